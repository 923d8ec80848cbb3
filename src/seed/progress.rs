//! Seeding progress: indicatif bars (rows/s, ETA) on a terminal, plain periodic lines in CI logs.
//! A log gets a line only for a step that took a second or more: a run with a seed point before
//! each of hundreds of migrations would otherwise drown its log in "1000 rows in 0.0s".

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars on a terminal, lines otherwise.
    Auto,
    Bars,
    Lines,
    Quiet,
}

pub enum SeedProgress {
    Bars(MultiProgress),
    Lines,
    Quiet,
}

impl SeedProgress {
    pub fn new(mode: ProgressMode) -> SeedProgress {
        match mode {
            ProgressMode::Quiet => SeedProgress::Quiet,
            ProgressMode::Lines => SeedProgress::Lines,
            ProgressMode::Bars => {
                SeedProgress::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr()))
            }
            ProgressMode::Auto => {
                if std::io::stderr().is_terminal() {
                    SeedProgress::Bars(
                        MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                    )
                } else {
                    SeedProgress::Lines
                }
            }
        }
    }

    /// A one-line note (index rebuild, analyze) on a step that took `seconds`, shown above the
    /// bars, and in line mode when it took a second or more.
    pub fn note(&self, message: &str, seconds: f64) {
        match self {
            SeedProgress::Bars(multi) => {
                let _ = multi.println(format!("rehearse: {message}"));
            }
            SeedProgress::Lines if seconds >= WORTH_A_LINE => crate::say!("rehearse: {message}"),
            SeedProgress::Lines | SeedProgress::Quiet => {}
        }
    }

    pub fn table(&self, name: &str, rows: u64) -> TableProgress {
        match self {
            SeedProgress::Bars(multi) => {
                let bar = multi.add(ProgressBar::new(rows));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>24} {bar:30} {pos}/{len} rows {per_sec} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(name.to_string());
                TableProgress::Bar(bar)
            }
            SeedProgress::Lines => TableProgress::Line {
                name: name.to_string(),
                rows,
                started: Instant::now(),
                last: Mutex::new(Instant::now()),
                done: AtomicU64::new(0),
            },
            SeedProgress::Quiet => TableProgress::Quiet,
        }
    }
}

pub enum TableProgress {
    Bar(ProgressBar),
    Line {
        name: String,
        rows: u64,
        started: Instant,
        last: Mutex<Instant>,
        done: AtomicU64,
    },
    Quiet,
}

const LINE_EVERY: Duration = Duration::from_secs(5);
/// A step shorter than this gets no line of its own in a log.
const WORTH_A_LINE: f64 = 1.0;

impl TableProgress {
    /// `rows` more rows are loaded (streams of one table report concurrently).
    pub fn add(&self, rows_loaded: u64) {
        match self {
            TableProgress::Bar(b) => b.inc(rows_loaded),
            TableProgress::Line {
                name,
                rows,
                started,
                last,
                done,
            } => {
                let done = done.fetch_add(rows_loaded, Ordering::Relaxed) + rows_loaded;
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.elapsed() < LINE_EVERY {
                    return;
                }
                *last = Instant::now();
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                let rate = done as f64 / secs;
                let eta = if rate > 0.0 {
                    (rows.saturating_sub(done)) as f64 / rate
                } else {
                    0.0
                };
                crate::say!(
                    "rehearse: seed {name}: {done}/{rows} rows ({:.0}%), {rate:.0} rows/s, ETA {eta:.0}s",
                    100.0 * done as f64 / (*rows).max(1) as f64
                );
            }
            TableProgress::Quiet => {}
        }
    }

    pub fn finish(&self, rows: u64, seconds: f64) {
        match self {
            TableProgress::Bar(b) => b.finish(),
            TableProgress::Line { name, .. } if seconds >= WORTH_A_LINE => crate::say!(
                "rehearse: seed {name}: {rows} rows in {seconds:.1}s ({:.0} rows/s)",
                rows as f64 / seconds.max(1e-9)
            ),
            TableProgress::Line { .. } | TableProgress::Quiet => {}
        }
    }
}
