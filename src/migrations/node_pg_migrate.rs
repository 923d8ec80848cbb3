//! node-pg-migrate's SQL migrations: `<timestamp>_<name>.sql` holding `-- Up Migration` and
//! `-- Down Migration` comments.
//!
//! node-pg-migrate finds each marker as the first line matching `^\s*--[\s-]*up\s+migration`
//! (and `down`), case-insensitively, and runs the text from one marker to the other (or to the
//! end). A file without the up marker is all forward; without the down marker, it has no
//! rollback. It records each migration by file name, without `.sql`, in `public.pgmigrations`.

use super::dbmate::Sections;
use super::split::script_of;
use super::syntax::count_newlines;
use std::path::Path;

/// Where the first line marking `direction` (`up` or `down`) starts.
fn marker(text: &str, direction: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let rest = line.trim_start();
        if let Some(rest) = rest.strip_prefix("--") {
            let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '-');
            let lower = rest.to_ascii_lowercase();
            if let Some(after) = lower.strip_prefix(direction) {
                let words = after.trim_start();
                if words.len() < after.len() && words.starts_with("migration") {
                    return Some(offset);
                }
            }
        }
        offset += line.len();
    }
    None
}

/// Whether `text` is a node-pg-migrate SQL migration (it has `-- Up Migration`).
pub(crate) fn has_up_marker(text: &str) -> bool {
    marker(text, "up").is_some()
}

/// The forward and rollback as node-pg-migrate cuts them, keeping the file's line numbers.
pub(crate) fn sections(path: &Path, text: &str) -> Sections {
    let (up, down) = (marker(text, "up"), marker(text, "down"));
    let script = |start: usize, end: usize| {
        script_of(path, &text[start..end], 1 + count_newlines(&text[..start]))
    };
    let forward = match up {
        Some(u) => script(u, down.filter(|d| *d > u).unwrap_or(text.len())),
        None => script(0, text.len()),
    };
    let rollback = down.map(|d| script(d, up.filter(|u| *u > d).unwrap_or(text.len())));
    Sections {
        up: forward,
        down: rollback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_as_node_pg_migrates_pattern_reads_them() {
        assert!(has_up_marker("-- Up Migration\nSELECT 1;\n"));
        assert!(has_up_marker("  ---- up   MIGRATION\n"));
        assert!(!has_up_marker("-- Upmigration\n"));
        assert!(!has_up_marker("SELECT 1; -- Up Migration\n"));
    }

    #[test]
    fn down_below_up_is_the_rollback_with_file_lines() {
        let text =
            "-- Up Migration\nCREATE TABLE t (id int);\n\n-- Down Migration\nDROP TABLE t;\n";
        let s = sections(Path::new("1700000000000_t.sql"), text);
        assert_eq!(s.up.statements.len(), 1);
        assert_eq!(s.up.statements[0].line, 2);
        let down = s.down.unwrap();
        assert_eq!(down.statements[0].sql, "DROP TABLE t");
        assert_eq!(down.statements[0].line, 5);
        // Down written first: each section runs to the other marker.
        let s = sections(
            Path::new("1_t.sql"),
            "-- Down Migration\nDROP TABLE t;\n-- Up Migration\nCREATE TABLE t (id int);\n",
        );
        assert_eq!(s.up.statements[0].sql, "CREATE TABLE t (id int)");
        assert_eq!(s.down.unwrap().statements[0].sql, "DROP TABLE t");
        let s = sections(Path::new("1_t.sql"), "-- Up Migration\nSELECT 1;\n");
        assert!(s.down.is_none());
    }
}
