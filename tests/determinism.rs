//! The same input gives the same verdicts, whatever else the machine is doing: load may change
//! times, never what runs. A folder written the way application teams write them (renames,
//! required columns added late, keys over inferred rows, casts; repairs and resets on the way)
//! is rehearsed twice, the second time with every core kept busy, and what ran, each verdict,
//! each finding's kind and each note's kind must agree.

mod common;

use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What must not depend on timing: per migration, its id, verdict, finding kinds and note kinds.
fn outcome(report: &Value) -> Vec<(String, String, Vec<String>, Vec<String>)> {
    let kinds = |list: &Value| {
        let mut k: Vec<String> = list
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["kind"].as_str().unwrap_or("").to_string())
                    // Timing findings are about time.
                    .filter(|k| !k.contains("timeout") && !k.contains("duration"))
                    .collect()
            })
            .unwrap_or_default();
        k.sort();
        k
    };
    report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["verdict"].as_str().unwrap().to_string(),
                kinds(&m["findings"]),
                kinds(&m["notes"]),
            )
        })
        .collect()
}

#[test]
fn a_realistic_folder_rehearses_the_same_on_a_busy_machine() {
    let folder = common::fixture("first_run/registry");
    let quiet = common::rehearse_local(&folder, &[]);
    let quiet_outcome = outcome(&quiet.report());

    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut x = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    std::hint::black_box(x);
                }
            })
        })
        .collect();
    let busy = common::rehearse_local(&folder, &[]);
    stop.store(true, Ordering::Relaxed);
    for hog in hogs {
        hog.join().unwrap();
    }
    let busy_outcome = outcome(&busy.report());

    assert_eq!(quiet.code, busy.code, "{}\n---\n{}", quiet.stderr, busy.stderr);
    assert_eq!(quiet_outcome, busy_outcome, "{}\n---\n{}", quiet.stderr, busy.stderr);
    assert!(quiet_outcome.len() >= 7, "{quiet_outcome:?}");
}
