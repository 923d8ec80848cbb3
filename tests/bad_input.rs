//! Every kind of bad input a user can hand the binary (scenario TOML, dataset definitions,
//! migration folders, SQL, flags), one row each: the run exits 2 (3 when it is the environment)
//! with one sentence naming the file, line or object. Never 101, never a Debug dump, never the
//! rest of a file echoed back. The exact sentences are one insta snapshot, reviewed like code.
//!
//! No case reaches a database: every check happens before a server starts (the one exit-3 case
//! points at a port where nothing listens).

mod common;

use std::path::Path;
use std::process::Command;

/// One bad input: the files of a scenario folder and the command line.
struct Case {
    name: &'static str,
    /// `rehearse.toml` in the folder; None leaves a bare migrations folder.
    scenario: Option<&'static str>,
    /// Extra files, relative to the folder; a name ending in `/` is a folder, `|` a FIFO.
    files: &'static [(&'static str, &'static str)],
    /// Arguments; `{dir}` is the folder. Empty means `run {dir}` with a scenario, else
    /// `run {dir}/migrations`.
    args: &'static [&'static str],
    /// The exit code the contract gives it.
    code: i32,
}

const USERS: &str = "CREATE TABLE users (id int PRIMARY KEY, name text);\n";
const USERS_BACK: &str = "DROP TABLE users;\n";

const fn run(name: &'static str, scenario: &'static str) -> Case {
    Case {
        name,
        scenario: Some(scenario),
        files: &[],
        args: &[],
        code: 2,
    }
}

const fn files(name: &'static str, files: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        name,
        scenario: None,
        files,
        args: &[],
        code: 2,
    }
}

const fn flags(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        scenario: None,
        files: &[],
        args,
        code: 2,
    }
}

const CASES: &[Case] = &[
    // Scenario TOML.
    run("unknown top-level key", "nme = \"x\"\n"),
    run(
        "clone without the url provider",
        "[database]\nprovider = \"local\"\nclone = \"auto\"\n",
    ),
    run(
        "clone and in_transaction together",
        "[database]\nurl = \"postgresql://ci@localhost/app\"\nclone = \"copy\"\nin_transaction = true\n",
    ),
    run("clone method unknown", "[database]\nclone = \"fast\"\n"),
    run("typo in a section", "name = \"x\"\n[database]\nprovder = \"local\"\n"),
    run("missing value", "name =\n"),
    run("unknown section", "[workloads]\nrate = 1\n"),
    run("workload rate nan", "[workload]\nclients = 2\nrate = nan\n"),
    run("workload rate 1e-300", "[workload]\nrate = 1e-300\n"),
    run("workload rate negative", "[workload]\nrate = -5.0\n"),
    run("workload rate inf", "# rate\n[workload]\nrate = inf\n"),
    run("workload rate as text", "[workload]\nrate = \"fast\"\n"),
    run("workload clients zero", "[workload]\nclients = 0\n"),
    run("workload clients too many", "[workload]\nclients = 100000\n"),
    run("workload clients negative", "[workload]\nclients = -1\n"),
    run(
        "long transaction seconds 1e300",
        "[workload.long_transaction]\ntable = \"users\"\nseconds = 1e300\n",
    ),
    run(
        "long transaction seconds inf",
        "[workload.long_transaction]\ntable = \"users\"\nseconds = inf\n",
    ),
    run(
        "long transaction seconds negative",
        "[workload.long_transaction]\ntable = \"users\"\nseconds = -1\n",
    ),
    run(
        "long transaction unknown mode",
        "[workload.long_transaction]\ntable = \"users\"\nseconds = 1\nmode = \"SHARED\"\n",
    ),
    run(
        "long transaction unknown step",
        "[workload.long_transaction]\ntable = \"users\"\nseconds = 1\nduring = [\"forward\", \"sideways\"]\n",
    ),
    run(
        "long transaction without table",
        "[workload.long_transaction]\nseconds = 1\n",
    ),
    run(
        "workload query weight zero",
        "[workload]\n[[workload.queries]]\nsql = \"SELECT 1\"\n[[workload.queries]]\nsql = \"SELECT 2\"\nweight = 0\n",
    ),
    run("workload query without sql", "[[workload.queries]]\nweight = 1\n"),
    run("database cpus zero", "[database]\ncpus = 0\n"),
    run("database cpus nan", "[database]\ncpus = nan\n"),
    run("database memory not a size", "[database]\nmemory = \"lots\"\n"),
    run("database unknown provider", "[database]\nprovider = \"podman\"\n"),
    run(
        "database setting of the wrong type",
        "[database.settings]\nwork_mem = [1, 2]\n",
    ),
    run("lock_timeout not a duration", "[migrations]\nlock_timeout = \"soon\"\n"),
    run(
        "statement_timeout longer than postgresql takes",
        "[migrations]\nstatement_timeout = \"99999999999999999h\"\n",
    ),
    run(
        "database setting name unknown",
        "[database.settings]\nwork_mme = \"64MB\"\n",
    ),
    run("database version zero", "[database]\nversion = 0\n"),
    run("database image empty", "[database]\nimage = \"\"\n"),
    run("gate duration of the wrong type", "[gates]\nmax_duration = true\n"),
    run("run timeout not a duration", "[run]\ntimeout = \"soon\"\n"),
    run("statement_timeout negative", "[migrations]\nstatement_timeout = -5\n"),
    run("unknown format", "[migrations]\nformat = \"liquibase\"\n"),
    run("migrations path missing", "[migrations]\npath = \"nowhere\"\n"),
    run("baseline names no migration", "[migrations]\nbaseline = \"999\"\n"),
    run("probe sample interval zero", "[probe]\nsample_interval_ms = 0\n"),
    run("gate duration without unit", "[gates]\nmax_duration = \"5\"\n"),
    run("gate duration negative", "[gates]\nmax_duration = -1\n"),
    run(
        "gate lock mode unknown",
        "[gates.max_lock_hold]\nExclusiveLok = \"1s\"\n",
    ),
    run("gate duration not a duration", "[gates]\nmax_blocked = \"soon\"\n"),
    run(
        "unterminated string echoes nothing",
        "name = \"runaway\n# 1\n# 2\n# 3\n# 4\n# 5\n# 6\n# 7\n# 8\n# 9\n",
    ),
    run(
        "unterminated multi-line string",
        "name = \"\"\"runaway\n[database]\nprovider = \"local\"\n[workload]\nrate = 1\n",
    ),
    // Dataset definitions, inline in the scenario.
    run("dataset scale negative", "[dataset]\nscale = -1.0\n"),
    run("dataset generators missing", "[dataset]\ngenerators = \"nope\"\n"),
    run("dataset rows negative", "[dataset.tables.users]\nrows = -5\n"),
    run(
        "dataset std_dev negative",
        "[dataset.tables.users.columns]\nid = { kind = \"int\", distribution = \"normal\", std_dev = -1 }\n",
    ),
    run(
        "dataset zipf exponent zero",
        "[dataset.tables.users.columns]\nid = { kind = \"int\", distribution = \"zipf\", exponent = 0 }\n",
    ),
    run(
        "dataset nulls above one",
        "[dataset.tables.users.columns]\nname = { kind = \"name\", nulls = 2 }\n",
    ),
    run(
        "dataset true_fraction above one",
        "[dataset.tables.users.columns]\nname = { kind = \"bool\", true_fraction = 1.5 }\n",
    ),
    run(
        "dataset weights all zero",
        "[dataset.tables.users.columns]\nname = { kind = \"choice\", values = [\"a\", \"b\"], weights = [0, 0] }\n",
    ),
    run(
        "dataset unknown kind",
        "[dataset.tables.users.columns]\nname = { kind = \"martian\" }\n",
    ),
    run(
        "dataset count reversed",
        "[dataset.tables.users.columns]\nname = { kind = \"words\", count = [5, 1] }\n",
    ),
    run(
        "dataset nested field std_dev",
        "[dataset.tables.users.columns.name]\nkind = \"object\"\n[dataset.tables.users.columns.name.fields]\nage = { kind = \"int\", distribution = \"normal\", std_dev = 0 }\n",
    ),
    run(
        "dataset date that is no date",
        "[dataset.tables.users.columns]\nname = { kind = \"date\", min = \"2024-13-45\" }\n",
    ),
    run(
        "dataset min above max",
        "[dataset.tables.users.columns]\nid = { kind = \"int\", min = 10, max = 1 }\n",
    ),
    run(
        "dataset weights for other values",
        "[dataset.tables.users.columns]\nname = { kind = \"choice\", values = [\"a\", \"b\"], weights = [1] }\n",
    ),
    run(
        "dataset table no migration creates",
        "[dataset.tables.ghosts]\nrows = 10\n",
    ),
    // Dataset definition files.
    Case {
        name: "definition file std_dev negative",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users]\nrows = 5\n\n[tables.users.columns]\nid = { kind = \"int\", distribution = \"normal\", std_dev = -1 }\n",
        )],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file zipf exponent zero",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users.columns.id]\nkind = \"int\"\ndistribution = \"zipf\"\nexponent = 0.0\n",
        )],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file syntax error",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[("defs.toml", "[tables.users\nrows = 5\n")],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file unknown field",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[("defs.toml", "[tables.users]\nrowz = 5\n")],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file nan",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users.columns]\nid = { kind = \"int\", distribution = \"normal\", mean = nan }\n",
        )],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file date that is no date",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users]\nrows = 5\n\n[tables.users.columns.name]\nkind = \"timestamp\"\nmin = \"2024-01-01\"\nmax = \"2024-13-45\"\n",
        )],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file min after max",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users.columns]\nname = { kind = \"date\", min = \"2025-01-01\", max = \"2024-01-01\" }\n",
        )],
        args: &[],
        code: 2,
    },
    Case {
        name: "definition file weights for other values",
        scenario: Some("[dataset]\ngenerators = \"defs.toml\"\n"),
        files: &[(
            "defs.toml",
            "[tables.users.columns.name]\nkind = \"choice\"\nvalues = [\"a\", \"b\", \"c\"]\nweights = [1, 2]\n",
        )],
        args: &[],
        code: 2,
    },
    // Migration folders.
    files("empty folder", &[("migrations/", "")]),
    files(
        "name follows no convention",
        &[("migrations/V1__a.sql", USERS), ("migrations/V2_add_b.sql", "SELECT 1;")],
    ),
    files(
        "duplicate versions",
        &[("migrations/V1__a.sql", USERS), ("migrations/V001__b.sql", "SELECT 1;")],
    ),
    files(
        "folder named like a migration",
        &[("migrations/V1__a.sql", USERS), ("migrations/V002__x.sql/", "")],
    ),
    files(
        "fifo named like a migration",
        &[("migrations/V1__a.sql", USERS), ("migrations/V002__x.sql|", "")],
    ),
    files(
        "mixed conventions",
        &[("migrations/V1__a.sql", USERS), ("migrations/2_b.up.sql", "SELECT 1;")],
    ),
    files(
        "rollback without forward",
        &[("migrations/V1__a.sql", USERS), ("migrations/U2__b.sql", "SELECT 1;")],
    ),
    // SQL. A file that cannot be parsed is no longer bad input: it is that migration's failure
    // in the written report (issue G; tests/formats_cli.rs, tests/rehearse_cli.rs), and so
    // are an empty file (a no-op), a Flyway repeatable, a diesel folder's stray file and a
    // dbmate file with two up markers.
    // Flags.
    flags("max-duration without unit", &["run", "{dir}/migrations", "--max-duration", "5"]),
    flags("max-duration not a duration", &["run", "{dir}/migrations", "--max-duration", "soon"]),
    flags(
        "max-duration overflowing",
        &["run", "{dir}/migrations", "--max-duration", "1e400s"],
    ),
    flags(
        "max-lock-hold unknown mode",
        &["run", "{dir}/migrations", "--max-lock-hold", "ExclusiveLok=1s"],
    ),
    flags(
        "max-lock-hold without limit",
        &["run", "{dir}/migrations", "--max-lock-hold", "AccessExclusiveLock"],
    ),
    flags("scale negative", &["run", "{dir}/migrations", "--scale=-1"]),
    flags("scale nan", &["run", "{dir}/migrations", "--scale", "nan"]),
    flags("baseline unknown", &["run", "{dir}/migrations", "--baseline", "999"]),
    flags("in-transaction without url", &["run", "{dir}/migrations", "--in-transaction"]),
    flags(
        "clone and in-transaction flags",
        &["run", "{dir}/migrations", "--url", "postgresql://ci@localhost/app", "--clone", "--in-transaction"],
    ),
    flags(
        "clone-jobs zero",
        &["run", "{dir}/migrations", "--url", "postgresql://ci@localhost/app", "--clone", "--clone-jobs", "0"],
    ),
    flags("out is a file", &["run", "{dir}/migrations", "--out", "{dir}/migrations/V1__a.sql"]),
    flags("path missing", &["run", "{dir}/nowhere"]),
    flags(
        "data-dir missing",
        &["run", "{dir}/migrations", "--provider", "local", "--data-dir", "{dir}/nowhere"],
    ),
    flags("format unknown", &["run", "{dir}/migrations", "--format", "liquibase"]),
    flags("provider url without url", &["run", "{dir}/migrations", "--provider", "url"]),
    flags(
        "url that only looks like loopback",
        &[
            "run",
            "{dir}/migrations",
            "--provider",
            "url",
            "--url",
            "postgresql://u@127.attacker.invalid:5432/app",
        ],
    ),
    flags(
        "url asking for a revocation list",
        &["run", "{dir}/migrations", "--provider", "url", "--url", "postgresql://u@127.0.0.1:1/rehearse_test?sslmode=require&sslcrl=/tmp/crl.pem"],
    ),
    flags(
        "url with a root certificate",
        &["run", "{dir}/migrations", "--provider", "url", "--url", "host=127.0.0.1 port=1 dbname=rehearse_test sslmode=verify-full sslrootcert=/tmp/ca.pem"],
    ),
    flags(
        "url with a parameter rehearse does not know",
        &["run", "{dir}/migrations", "--provider", "url", "--url", "postgresql://u@127.0.0.1:1/rehearse_test?service=prod"],
    ),
    flags(
        "snapshot of a url asking for tls",
        &["snapshot", "--url", "postgresql://u@127.0.0.1:1/rehearse_test?sslmode=verify-ca", "--out", "{dir}/s.json"],
    ),
    flags(
        "url that cannot be parsed",
        &["run", "{dir}/migrations", "--provider", "url", "--url", "postgresql://u@host:notaport/db"],
    ),
    Case {
        name: "url where nothing listens",
        scenario: None,
        files: &[],
        args: &[
            "run",
            "{dir}/migrations",
            "--provider",
            "url",
            "--url",
            "postgresql://u@127.0.0.1:1/rehearse_test",
        ],
        code: 3,
    },
    flags("approvals file missing", &["run", "{dir}/migrations", "--approvals", "{dir}/nope.toml"]),
    Case {
        name: "approvals file malformed",
        scenario: None,
        files: &[("approvals.toml", "[1]\ndestructive = \"yes\"\n")],
        args: &["run", "{dir}/migrations", "--approvals", "{dir}/approvals.toml"],
        code: 2,
    },
    flags("image empty", &["run", "{dir}/migrations", "--image", ""]),
    flags("pg-version zero", &["run", "{dir}/migrations", "--pg-version", "0"]),
    flags("timeout zero", &["run", "{dir}/migrations", "--timeout", "0s"]),
    flags("timeout without unit", &["run", "{dir}/migrations", "--timeout", "30"]),
    // Files that are not regular files: refused at once, never read (a FIFO would block).
    Case {
        name: "scenario file that is a fifo",
        scenario: None,
        files: &[("scenario.toml|", "")],
        args: &["run", "{dir}/scenario.toml"],
        code: 2,
    },
    Case {
        name: "approvals file that is a fifo",
        scenario: None,
        files: &[("approvals.toml|", "")],
        args: &["run", "{dir}/migrations", "--approvals", "{dir}/approvals.toml"],
        code: 2,
    },
    Case {
        name: "dataset file that is a fifo",
        scenario: None,
        files: &[("defs.toml|", "")],
        args: &["run", "{dir}/migrations", "--dataset", "{dir}/defs.toml"],
        code: 2,
    },
    Case {
        name: "diff of a fifo",
        scenario: None,
        files: &[("schema.json|", "")],
        args: &["diff", "{dir}/schema.json", "{dir}/schema.json"],
        code: 2,
    },
    flags("diff of a folder", &["diff", "{dir}/migrations", "{dir}/migrations"]),
    Case {
        name: "compare of a fifo",
        scenario: None,
        files: &[("report.json|", "")],
        args: &["compare", "{dir}/report.json", "{dir}/report.json"],
        code: 2,
    },
    Case {
        name: "render of a fifo",
        scenario: None,
        files: &[("report.json|", "")],
        args: &["render", "{dir}/report.json", "--out", "{dir}/out"],
        code: 2,
    },
    flags("render of a device", &["render", "/dev/zero", "--out", "{dir}/out"]),
    Case {
        name: "profile compare with a fifo",
        scenario: None,
        files: &[("profile.toml|", "")],
        args: &["profile", "--url", "postgresql://u@127.0.0.1:1/x", "--compare", "{dir}/profile.toml"],
        code: 2,
    },
    flags("unknown subcommand", &["rehears", "{dir}"]),
    flags("diff of a missing file", &["diff", "{dir}/a.json", "{dir}/b.json"]),
    flags("compare of missing reports", &["compare", "{dir}/a.json", "{dir}/b.json"]),
    flags("render of a missing report", &["render", "{dir}/report.json"]),
    Case {
        name: "render into a file",
        scenario: None,
        files: &[("report.json", "{}")],
        args: &["render", "{dir}/report.json", "--out", "{dir}/migrations/V1__a.sql"],
        code: 2,
    },
    Case {
        name: "render of a file that is not a report",
        scenario: None,
        files: &[("report.json", "{\"verdict\": 7}")],
        args: &["render", "{dir}/report.json", "--out", "{dir}/out"],
        code: 2,
    },
];

/// Builds the case's folder: `migrations/V1__a.sql` (with its rollback) unless the case brings
/// its own migrations, its scenario, and its files.
fn folder(case: &Case) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let own_migrations = case.files.iter().any(|(p, _)| p.starts_with("migrations/"));
    std::fs::create_dir(root.join("migrations")).unwrap();
    if !own_migrations {
        std::fs::write(root.join("migrations/V1__a.sql"), USERS).unwrap();
        std::fs::write(root.join("migrations/V1__a_rollback.sql"), USERS_BACK).unwrap();
    }
    if let Some(toml) = case.scenario {
        std::fs::write(root.join("rehearse.toml"), toml).unwrap();
    }
    for (path, text) in case.files {
        if let Some(folder) = path.strip_suffix('/') {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        } else if let Some(fifo) = path.strip_suffix('|') {
            let c = std::ffi::CString::new(root.join(fifo).into_os_string().into_encoded_bytes())
                .unwrap();
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        } else {
            let file = root.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
    }
    dir
}

fn run_case(case: &Case, dir: &Path) -> (i32, String) {
    let d = dir.to_str().unwrap();
    let mut args: Vec<String> = if case.args.is_empty() && case.scenario.is_some() {
        vec!["run".into(), d.into()]
    } else if case.args.is_empty() {
        vec!["run".into(), format!("{d}/migrations")]
    } else {
        case.args.iter().map(|a| a.replace("{dir}", d)).collect()
    };
    let run = args.first().is_some_and(|a| a == "run");
    if run && !args.iter().any(|a| a == "--out") {
        args.extend(["--out".into(), format!("{d}/out")]);
    }
    if run && !args.iter().any(|a| a == "--provider") {
        // Never a server: every case fails before one would start.
        args.extend(["--provider".into(), "local".into()]);
    }
    let child = Command::new(common::binary())
        .args(&args)
        .env_remove("REHEARSE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A case that blocks (a FIFO read, a server started by mistake) fails instead of hanging.
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on the child this test started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return (-9, "rehearse: blocked for 60 seconds".into());
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).replace(d, "[DIR]");
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn every_bad_input_is_one_sentence_with_its_exit_code() {
    assert!(CASES.len() >= 60, "{} cases", CASES.len());
    let mut seen = std::collections::BTreeSet::new();
    let mut transcript = String::new();
    let mut wrong = Vec::new();
    for case in CASES {
        assert!(seen.insert(case.name), "two cases named {}", case.name);
        let dir = folder(case);
        let (code, stderr) = run_case(case, dir.path());
        let text = stderr.trim_end();
        // clap's own usage errors end with a usage block and a hint: the sentence is the first
        // line; everything of ours is one line.
        let sentence = text.lines().next().unwrap_or_default();
        let ours = sentence.starts_with("rehearse: ");
        let problems = [
            (
                code != case.code,
                format!("exit {code}, expected {}", case.code),
            ),
            (text.is_empty(), "no message".to_string()),
            (
                ours && text.lines().count() != 1,
                "more than one line".to_string(),
            ),
            (
                !ours && !sentence.starts_with("error: "),
                "neither our sentence nor clap's".to_string(),
            ),
            (text.contains("panicked"), "a panic".to_string()),
            (
                ["Error {", "Some(", "Os {", "kind: ", "db error"]
                    .iter()
                    .any(|debug| text.contains(debug)),
                "a Debug dump".to_string(),
            ),
            (text.len() > 600, format!("{} bytes of stderr", text.len())),
        ];
        for (bad, why) in problems {
            if bad {
                wrong.push(format!("{}: {why}\n{text}", case.name));
            }
        }
        transcript.push_str(&format!("## {} (exit {code})\n{sentence}\n\n", case.name));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    insta::assert_snapshot!(transcript);
}

/// Reads the first lines of `args`' stdout and closes the pipe, as `| head -3` does.
fn first_lines_then_close(args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(common::binary())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..3 {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0);
    }
    drop(out);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let before = rehearse::snapshot::Snapshot {
        format: rehearse::snapshot::model::FORMAT,
        ..Default::default()
    };
    let mut after = before.clone();
    // Far more than a pipe buffer holds, so the writer meets the closed pipe.
    for i in 0..20_000 {
        after.statistics.insert(
            format!("public.stat_{i}"),
            "ndistinct ON (a, b) FROM t".into(),
        );
    }
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    before.save(&a).unwrap();
    after.save(&b).unwrap();
    let (code, stderr) =
        first_lines_then_close(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    // Differences were found (exit 1), and nothing was said about the closed pipe.
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(stderr, "");
}
