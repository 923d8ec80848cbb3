//! A migration that inserts rows with generated keys is rolled back and applied again; the keys
//! it wrote the second time must be the ones it wrote the first time (and the ones production,
//! which applies it once, gets), or a later migration that names a row by its key fails in the
//! rehearsal only, and a reset from the template (which replays the forward once) would give
//! other keys than no reset: the same folder would rehearse differently depending on where the
//! template was taken.

mod common;

use std::fs;

#[test]
fn keys_written_again_by_the_redo_are_the_keys_of_the_first_forward() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("migrations");
    fs::create_dir(&m).unwrap();
    let files = [
        ("001_roles.up.sql", "CREATE TABLE roles (id serial PRIMARY KEY, name text NOT NULL UNIQUE);"),
        ("001_roles.down.sql", "DROP TABLE roles;"),
        ("002_default_roles.up.sql", "INSERT INTO roles (name) VALUES ('reader'), ('writer');"),
        ("002_default_roles.down.sql", "DELETE FROM roles WHERE name IN ('reader', 'writer');"),
        // Written as application teams write it: the row inserted above, named by its key.
        ("003_accounts.up.sql", "CREATE TABLE accounts (id bigint PRIMARY KEY, role_id int NOT NULL DEFAULT 2 REFERENCES roles (id));\nINSERT INTO accounts (id) VALUES (1);\nDO $$ BEGIN IF (SELECT name FROM roles WHERE id = 2) IS DISTINCT FROM 'writer' THEN RAISE EXCEPTION 'role 2 is not writer'; END IF; END $$;"),
        ("003_accounts.down.sql", "DROP TABLE accounts;"),
    ];
    for (name, sql) in files {
        fs::write(m.join(name), sql).unwrap();
    }
    let run = common::rehearse_local(&m, &["--no-seed"]);
    let report = run.report();
    let verdicts: Vec<(String, String)> = report["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap().to_string(), m["verdict"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("001".to_string(), "pass".to_string()),
            ("002".to_string(), "pass".to_string()),
            ("003".to_string(), "pass".to_string()),
        ],
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}
