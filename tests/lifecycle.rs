//! The lifecycle of what a run creates (issue H items 1, 2, 8, 9, 10), on real PostgreSQL and
//! real containers: signals at random moments on each provider leave nothing behind, a killed
//! run's leftovers are removed by the next run or by `rehearse clean`, a server that exits
//! during start-up is reported at once, and an interrupted run writes its partial report.

mod common;

use common::*;
use rehearse::provision::{self, Database, DatabaseRequest, ProviderChoice};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIGNALS: [(i32, i32); 3] = [
    (libc::SIGINT, 130),
    (libc::SIGTERM, 143),
    (libc::SIGHUP, 129),
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A temporary folder the local provider's unprivileged server user can enter.
fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A `rehearse` process in the background, its stderr collected line by line.
struct Launched {
    child: std::process::Child,
    stderr: Arc<Mutex<String>>,
    out: tempfile::TempDir,
    started: Instant,
}

impl Launched {
    fn start(args: &[&str], tmpdir: &Path) -> Launched {
        let out = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary())
            .args(args)
            .arg("--out")
            .arg(out.path())
            .env("TMPDIR", tmpdir)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the rehearse binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Launched {
            child,
            stderr,
            out,
            started: Instant::now(),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until stderr holds `needle` (false if the process ended first or 120 s passed).
    fn wait_for(&mut self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            if self.child.try_wait().unwrap().is_some() {
                std::thread::sleep(Duration::from_millis(100));
                return self.stderr().contains(needle);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// The exit code (None when a signal ended it), failing the test if it hangs.
    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the stderr reader catch the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "rehearse did not exit; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn report(&self) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.out.path().join("report.json")).ok()?;
        Some(serde_json::from_str(&text).expect("report.json is JSON"))
    }
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(format!("{}: {cmd}", entry.file_name().to_string_lossy()));
            }
        }
    }
    found
}

/// What a local run left under its TMPDIR: folders, and processes (initdb, postgres) using them.
fn local_leftovers(tmp: &Path) -> Vec<String> {
    let mut left: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .collect();
    left.extend(processes_mentioning(tmp.to_str().unwrap()));
    left
}

/// Processes whose command line mentions `needle`, once they had a moment to go.
fn processes_after_a_while(needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = processes_mentioning(needle);
        if found.is_empty() || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn docker_image() -> Option<String> {
    let image = std::env::var("REHEARSE_TEST_IMAGE").unwrap_or_else(|_| "postgres:15".into());
    let present = Command::new("docker")
        .args(["image", "inspect", &image])
        .output()
        .map(|o| o.status.success());
    match present {
        Ok(true) => Some(image),
        _ if in_ci() => panic!(
            "CI=true, so docker tests may not skip: image {image} is not available (images/postgres/build.sh 15)"
        ),
        _ => {
            eprintln!("skipping: image {image} is not available");
            None
        }
    }
}

/// Containers (running or not) of the run with process id `pid`.
fn containers_of(pid: u32) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            "label=rehearse.run",
            "--format",
            "{{.Names}} {{.Label \"rehearse.run\"}}",
        ])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|label| label.starts_with(&format!("{pid}-")))
        })
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

fn dangling_volumes() -> BTreeSet<String> {
    let out = Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", "dangling=true"])
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// A private server for url-provider runs (nobody else's databases on it).
fn url_server(rt: &tokio::runtime::Runtime) -> Database {
    rt.block_on(provision::provision(&DatabaseRequest {
        provider: ProviderChoice::Local,
        ..Default::default()
    }))
    .unwrap()
}

/// Scratch and template databases on `server`, all of them or those of process `pid`.
fn scratch_databases(
    rt: &tokio::runtime::Runtime,
    server: &Database,
    pid: Option<u32>,
) -> Vec<String> {
    rt.block_on(async {
        let client = server.connection.connect().await.unwrap();
        client
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'rehearse\\_scratch\\_%' ORDER BY 1",
                &[],
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.get::<_, String>(0))
            .filter(|name| pid.is_none_or(|pid| name.contains(&format!("_{pid}_"))))
            .collect()
    })
}

fn run_clean(tmp: &Path, url: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(binary());
    cmd.arg("clean").env("TMPDIR", tmp).current_dir("/");
    if let Some(url) = url {
        cmd.args(["--url", url]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Signals `rehearse run ARGS` at 20 random moments, four runs at a time: half during start-up
/// (a random delay after launch), half during the rehearsal (a random delay after its server
/// answered), cycling SIGINT, SIGTERM and SIGHUP. After each, `leftovers(pid, tmp)` must be
/// empty, the exit code the signal's (or 0 when the run finished first), stderr free of
/// failures caused by the stop, and a run that had its server wrote a partial report.
fn interrupt_at_random_moments(
    args: &[&str],
    leftovers: &(dyn Fn(u32, &Path) -> Vec<String> + Sync),
) {
    let moments: Vec<usize> = (0..20).collect();
    std::thread::scope(|scope| {
        for wave in moments.chunks(5) {
            let wave = wave.to_vec();
            scope.spawn(move || {
                for i in wave {
                    let (signal, code) = SIGNALS[i % SIGNALS.len()];
                    let tmp = open_tempdir();
                    let mut run = Launched::start(args, tmp.path());
                    let during_startup = i % 2 == 0;
                    let delay = if during_startup {
                        Duration::from_millis(rand::random_range(0..2500))
                    } else {
                        run.wait_for("PostgreSQL");
                        Duration::from_millis(rand::random_range(0..1500))
                    };
                    std::thread::sleep(delay);
                    run.signal(signal);
                    let exit = run.wait_exit();
                    let stderr = run.stderr();
                    let moment = format!(
                        "moment {i}: signal {signal} {} ms after {}",
                        delay.as_millis(),
                        if during_startup {
                            "launch"
                        } else {
                            "the server answered"
                        }
                    );
                    // In the first milliseconds, before the handlers exist, the signal's default
                    // action ends the process: it has started nothing and said nothing yet.
                    let before_handlers = exit.is_none() && stderr.trim().is_empty();
                    assert!(
                        exit == Some(code) || exit == Some(0) || before_handlers,
                        "{moment}: exit {exit:?}, expected {code}; stderr:\n{stderr}"
                    );
                    assert!(
                        !stderr.contains("FAILED") && !stderr.contains("panicked"),
                        "{moment}: the stop printed failures:\n{stderr}"
                    );
                    if exit == Some(code) && stderr.contains("PostgreSQL") {
                        let report = run.report().unwrap_or_else(|| {
                            panic!("{moment}: no partial report; stderr:\n{stderr}")
                        });
                        assert_eq!(report["verdict"], "interrupted", "{moment}");
                    }
                    let left = leftovers(run.pid(), tmp.path());
                    assert!(
                        left.is_empty(),
                        "{moment}: left behind {left:?}\nstderr:\n{stderr}"
                    );
                    eprintln!("{moment}: exit {exit:?} in {:?}", run.started.elapsed());
                }
            });
        }
    });
}

fn fixture_arg(name: &str) -> String {
    fixture(&format!("rehearsals/{name}"))
        .to_str()
        .unwrap()
        .to_string()
}

// ---- items 1 and 9: local ----

#[test]
fn twenty_signals_at_random_moments_leave_no_local_folder_or_server() {
    let path = fixture_arg("interruptible");
    interrupt_at_random_moments(&["run", &path, "--provider", "local"], &|_, tmp| {
        local_leftovers(tmp)
    });
}

#[test]
fn a_signal_while_initdb_runs_removes_the_folder_and_stops_initdb() {
    let path = fixture_arg("interruptible");
    for (signal, code) in SIGNALS {
        let tmp = open_tempdir();
        let mut run = Launched::start(&["run", &path, "--provider", "local"], tmp.path());
        // The moment initdb is at work in the run's folder.
        let deadline = Instant::now() + Duration::from_secs(60);
        while !processes_mentioning(tmp.path().to_str().unwrap())
            .iter()
            .any(|p| p.contains("initdb"))
        {
            assert!(
                Instant::now() < deadline,
                "initdb never ran: {}",
                run.stderr()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        run.signal(signal);
        assert_eq!(run.wait_exit(), Some(code), "{}", run.stderr());
        let left = local_leftovers(tmp.path());
        assert!(
            left.is_empty(),
            "signal {signal} during initdb left {left:?}"
        );
    }
}

#[test]
fn a_killed_local_run_takes_its_server_along_and_clean_removes_its_folder() {
    let path = fixture_arg("slow_forward");
    let tmp = open_tempdir();
    let mut run = Launched::start(&["run", &path, "--provider", "local"], tmp.path());
    assert!(run.wait_for("PostgreSQL"), "{}", run.stderr());
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGKILL);
    assert_eq!(run.wait_exit(), None);

    // The server had a parent-death signal: it goes with the run.
    let servers = processes_after_a_while(tmp.path().to_str().unwrap());
    assert!(
        servers.is_empty(),
        "the killed run's server still runs: {servers:?}"
    );
    let folders: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert_eq!(
        folders.len(),
        1,
        "SIGKILL leaves the folder for clean to find"
    );
    let folder = folders[0].path();
    let marker = std::fs::read_to_string(folder.join("rehearse.owner")).unwrap();
    assert!(
        marker.contains(&format!(":{}:", run.pid())),
        "marker: {marker}"
    );

    let (code, stdout, stderr) = run_clean(tmp.path(), None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("removed folder {}", folder.display())),
        "clean says what it removed: {stdout}"
    );
    assert!(local_leftovers(tmp.path()).is_empty());
    let (_, again, _) = run_clean(tmp.path(), None);
    assert!(again.contains("nothing to remove"), "{again}");
}

#[test]
fn the_next_local_run_removes_what_a_killed_run_left() {
    let slow = fixture_arg("slow_forward");
    let tmp = open_tempdir();
    let mut killed = Launched::start(&["run", &slow, "--provider", "local"], tmp.path());
    assert!(killed.wait_for("PostgreSQL"), "{}", killed.stderr());
    killed.signal(libc::SIGKILL);
    killed.wait_exit();
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

    let quick = fixture_arg("interruptible");
    let mut next = Launched::start(&["run", &quick, "--provider", "local"], tmp.path());
    assert_eq!(next.wait_exit(), Some(0), "{}", next.stderr());
    assert!(
        next.stderr()
            .contains("removed what an earlier run left: folder"),
        "{}",
        next.stderr()
    );
    let left = local_leftovers(tmp.path());
    assert!(left.is_empty(), "left behind: {left:?}");
}

// ---- item 8 ----

#[test]
fn a_server_that_exits_during_start_up_is_reported_at_once_with_its_log_line() {
    let tmp = open_tempdir();
    let scenario = fixture("rehearsals/bad_setting.toml");
    let mut run = Launched::start(&["run", scenario.to_str().unwrap()], tmp.path());
    assert_eq!(run.wait_exit(), Some(3), "{}", run.stderr());
    let stderr = run.stderr();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one sentence: {stderr}");
    assert!(
        lines[0].contains("exited before it answered")
            && lines[0].contains("invalid value for parameter \"shared_buffers\": \"banana\""),
        "{stderr}"
    );
    assert!(local_leftovers(tmp.path()).is_empty());
}

// ---- items 2 and 9: url ----

#[test]
fn twenty_signals_at_random_moments_leave_no_scratch_or_template_database() {
    let rt = runtime();
    let server = url_server(&rt);
    let url = server.connection.url();
    let path = fixture_arg("interruptible");
    interrupt_at_random_moments(
        &["run", &path, "--provider", "url", "--url", &url],
        &|pid, _| scratch_databases(&rt, &server, Some(pid)),
    );
    assert_eq!(scratch_databases(&rt, &server, None), Vec::<String>::new());
}

#[test]
fn a_signal_while_the_template_is_taken_drops_it() {
    let rt = runtime();
    let server = url_server(&rt);
    let url = server.connection.url();
    let path = fixture_arg("interruptible");
    for (signal, code) in SIGNALS {
        let tmp = open_tempdir();
        let mut run = Launched::start(
            &["run", &path, "--provider", "url", "--url", &url],
            tmp.path(),
        );
        // The moment the template exists (or is being created).
        let deadline = Instant::now() + Duration::from_secs(60);
        while !scratch_databases(&rt, &server, Some(run.pid()))
            .iter()
            .any(|d| d.ends_with("_seeded"))
        {
            assert!(Instant::now() < deadline, "no template: {}", run.stderr());
            std::thread::sleep(Duration::from_millis(2));
        }
        run.signal(signal);
        let exit = run.wait_exit();
        assert!(
            exit == Some(code) || exit == Some(0),
            "{exit:?}: {}",
            run.stderr()
        );
        let left = scratch_databases(&rt, &server, Some(run.pid()));
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

#[test]
fn a_killed_url_run_leaves_databases_that_clean_and_the_next_run_drop() {
    let rt = runtime();
    let server = url_server(&rt);
    let url = server.connection.url();
    let tmp = open_tempdir();
    let slow = fixture_arg("slow_forward");
    let mut killed = Launched::start(
        &["run", &slow, "--provider", "url", "--url", &url],
        tmp.path(),
    );
    assert!(killed.wait_for("PostgreSQL"), "{}", killed.stderr());
    std::thread::sleep(Duration::from_millis(500));
    killed.signal(libc::SIGKILL);
    killed.wait_exit();
    let left = scratch_databases(&rt, &server, Some(killed.pid()));
    assert!(
        !left.is_empty(),
        "SIGKILL leaves the scratch database for clean to find"
    );

    let (code, stdout, stderr) = run_clean(tmp.path(), Some(&url));
    assert_eq!(code, 0, "{stderr}");
    for name in &left {
        assert!(
            stdout.contains(&format!("removed database {name}")),
            "{stdout}"
        );
    }
    assert_eq!(scratch_databases(&rt, &server, None), Vec::<String>::new());

    // Killed again: this time the next run drops what it left.
    let mut killed = Launched::start(
        &["run", &slow, "--provider", "url", "--url", &url],
        tmp.path(),
    );
    assert!(killed.wait_for("PostgreSQL"), "{}", killed.stderr());
    std::thread::sleep(Duration::from_millis(500));
    killed.signal(libc::SIGKILL);
    killed.wait_exit();
    assert!(!scratch_databases(&rt, &server, Some(killed.pid())).is_empty());
    let quick = fixture_arg("interruptible");
    let mut next = Launched::start(
        &["run", &quick, "--provider", "url", "--url", &url],
        tmp.path(),
    );
    assert_eq!(next.wait_exit(), Some(0), "{}", next.stderr());
    assert!(
        next.stderr()
            .contains("removed what an earlier run left: database"),
        "{}",
        next.stderr()
    );
    assert_eq!(scratch_databases(&rt, &server, None), Vec::<String>::new());
}

#[test]
fn clean_drops_only_databases_a_run_marked_never_one_by_its_name_alone() {
    let rt = runtime();
    let server = url_server(&rt);
    let url = server.connection.url();
    let tmp = open_tempdir();
    // A pid that belongs to nobody: a child that has exited and been reaped.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let machine = rehearse::provision::ownership::machine_id();
    let marked = format!("rehearse_scratch_{machine}_{dead}_0000beef");
    let named_only = format!("rehearse_scratch_{machine}_{dead}_0000cafe");
    // The template copy a SIGKILL caught mid-copy: unmarked, but its scratch database is marked.
    let marked_template = format!("{marked}_seeded");
    rt.block_on(async {
        let client = server.connection.connect().await.unwrap();
        for name in [&marked, &named_only, &marked_template] {
            client
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
        }
        client
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{marked}\" IS 'rehearse run {machine}:{dead}:0'"
            ))
            .await
            .unwrap();
        client
            .batch_execute(&format!(
                "COMMENT ON DATABASE \"{named_only}\" IS 'the ledger, not a rehearsal'"
            ))
            .await
            .unwrap();
    });
    let (code, stdout, stderr) = run_clean(tmp.path(), Some(&url));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!("removed database {marked}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("removed database {marked_template}")),
        "{stdout}"
    );
    assert!(!stdout.contains(&named_only), "{stdout}");
    assert_eq!(scratch_databases(&rt, &server, None), vec![named_only]);
}

// ---- item 9: docker ----

#[test]
fn twenty_signals_at_random_moments_leave_no_container_or_volume() {
    let Some(image) = docker_image() else { return };
    let before = dangling_volumes();
    let path = fixture_arg("interruptible");
    interrupt_at_random_moments(
        &["run", &path, "--provider", "docker", "--image", &image],
        &|pid, _| containers_of(pid),
    );
    let new: Vec<_> = dangling_volumes().difference(&before).cloned().collect();
    assert!(new.is_empty(), "volumes left behind: {new:?}");
}

#[test]
fn a_killed_docker_run_leaves_a_container_that_clean_removes() {
    let Some(image) = docker_image() else { return };
    let tmp = open_tempdir();
    let slow = fixture_arg("slow_forward");
    // A machine id of this test's own: the runs other tests start side by side remove the
    // containers of gone runs of their machine, and would race this test's clean for it.
    let machine = format!("lifecycle-killed-docker-{}", std::process::id());
    std::env::set_var("REHEARSE_MACHINE_ID", &machine);
    let mut killed = Launched::start(
        &["run", &slow, "--provider", "docker", "--image", &image],
        tmp.path(),
    );
    std::env::remove_var("REHEARSE_MACHINE_ID");
    assert!(killed.wait_for("PostgreSQL"), "{}", killed.stderr());
    killed.signal(libc::SIGKILL);
    killed.wait_exit();
    let before = containers_of(killed.pid());
    assert_eq!(
        before.len(),
        1,
        "SIGKILL leaves the container for clean to find"
    );

    // Another machine's clean leaves it: its run may still be alive there.
    let (code, stdout, stderr) = run_clean(tmp.path(), None);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains(&before[0]), "{stdout}");
    assert_eq!(containers_of(killed.pid()), before);

    let mut clean = Command::new(binary());
    clean
        .arg("clean")
        .env("TMPDIR", tmp.path())
        .env("REHEARSE_MACHINE_ID", &machine)
        .current_dir("/");
    let out = clean.output().unwrap();
    let (code, stdout, stderr) = (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(code, 0, "{stderr}");
    for name in &before {
        assert!(
            stdout.contains(&format!("removed container {name}")),
            "{stdout}"
        );
    }
    assert_eq!(containers_of(killed.pid()), Vec::<String>::new());
}

// ---- item 10 ----

#[test]
fn sigterm_writes_the_partial_report_and_no_spurious_failure() {
    let path = fixture_arg("interrupted_second");
    let tmp = open_tempdir();
    let mut run = Launched::start(&["run", &path, "--provider", "local"], tmp.path());
    assert!(
        run.wait_for("001 create_accounts (1 of 2)"),
        "{}",
        run.stderr()
    );
    // The second migration sleeps inside the server now.
    std::thread::sleep(Duration::from_millis(800));
    run.signal(libc::SIGTERM);
    assert_eq!(run.wait_exit(), Some(143));
    let stderr = run.stderr();
    assert!(!stderr.contains("FAILED"), "spurious failures:\n{stderr}");
    assert!(!stderr.contains("connection closed"), "{stderr}");
    assert!(stderr.contains("partial report"), "{stderr}");

    let report = run.report().expect("a partial report");
    assert_eq!(report["verdict"], "interrupted");
    let migrations = report["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 2, "{report:#}");
    assert_eq!(migrations[0]["id"], "001");
    assert_eq!(migrations[0]["verdict"], "pass");
    assert_eq!(migrations[1]["id"], "002");
    assert_eq!(migrations[1]["verdict"], "interrupted");
    assert!(migrations[1]["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("SIGTERM"));

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schema/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    for file in ["report.md", "report.html", "junit.xml"] {
        assert!(run.out.path().join(file).exists(), "{file} written");
    }
    assert!(local_leftovers(tmp.path()).is_empty());
}
