//! Reading a file the user named (a migration, a scenario, a dataset definition, an approvals
//! file, a snapshot, a report): it must be a regular file of UTF-8 text, and a byte order mark
//! at its start is dropped, as editors on Windows write one. Every command reads its files
//! through here, so that every command refuses the same things in the same words.
//!
//! It never blocks: a FIFO, socket or device is refused before a byte is read (the file is
//! opened non-blocking and judged by the descriptor it gave, so a file swapped in between is
//! judged too).

use std::io::Read as _;
use std::path::Path;

/// The UTF-8 byte order mark.
const BOM: &str = "\u{feff}";

/// Why a file cannot be read, as the end of a sentence that starts with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub reason: String,
}

/// Reads `path` as UTF-8 text without a leading byte order mark.
pub fn read_text(path: &Path) -> Result<String, Unreadable> {
    let bytes = read_bytes(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Unreadable {
            reason: format!("it is not valid UTF-8 (line {line}, byte {offset})"),
        }
    })?;
    Ok(match text.strip_prefix(BOM) {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Whether `path` is a regular file rehearse could read, without opening it.
pub fn check(path: &Path) -> Result<(), Unreadable> {
    let meta = std::fs::metadata(path).map_err(|e| Unreadable {
        reason: crate::error::io_reason(&e),
    })?;
    match not_a_file(&meta) {
        Some(reason) => Err(Unreadable { reason }),
        None => Ok(()),
    }
}

/// Reads `path` when it is a regular file; anything else is refused without blocking.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Unreadable> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(reason) = not_a_file(&meta) {
            return Err(Unreadable { reason });
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| Unreadable {
            reason: crate::error::io_reason(&e),
        })?;
    let meta = file.metadata().map_err(|e| Unreadable {
        reason: crate::error::io_reason(&e),
    })?;
    if let Some(reason) = not_a_file(&meta) {
        return Err(Unreadable { reason });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).map_err(|e| Unreadable {
        reason: crate::error::io_reason(&e),
    })?;
    Ok(bytes)
}

/// Why `meta` is not a file rehearse reads, or None when it is a regular file.
fn not_a_file(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::FileTypeExt as _;
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    Some(
        if kind.is_dir() {
            "it is a folder, not a file"
        } else if kind.is_fifo() {
            "it is a FIFO (a named pipe), not a regular file; rehearse reads only regular files"
        } else if kind.is_socket() {
            "it is a socket, not a regular file; rehearse reads only regular files"
        } else {
            "it is a device, not a regular file; rehearse reads only regular files"
        }
        .to_string(),
    )
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("V1__pipe.sql");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo(3) on a path in our own temporary folder.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_text(&fifo).unwrap_err();
        assert!(e.reason.contains("FIFO"), "{e}");
    }

    #[test]
    fn folders_devices_and_bad_utf8_are_named_and_a_bom_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_text(dir.path()).unwrap_err().reason.contains("folder"));
        assert!(read_text(Path::new("/dev/null"))
            .unwrap_err()
            .reason
            .contains("device"));
        let bad = dir.path().join("bad.sql");
        std::fs::write(&bad, b"SELECT 1;\n\xff").unwrap();
        assert_eq!(
            read_text(&bad).unwrap_err().reason,
            "it is not valid UTF-8 (line 2, byte 10)"
        );
        let bom = dir.path().join("bom.sql");
        std::fs::write(&bom, "\u{feff}SELECT 1;").unwrap();
        assert_eq!(read_text(&bom).unwrap(), "SELECT 1;");
        assert_eq!(
            read_text(&dir.path().join("missing")).unwrap_err().reason,
            "it does not exist"
        );
    }
}
