//! Whether the server's file copies (`CREATE DATABASE ... STRATEGY FILE_COPY`: the template and
//! every reset) are reflinks or byte copies. PostgreSQL 18's `file_copy_method = clone` makes
//! them reflinks on a copy-on-write filesystem (XFS with reflink, btrfs), so a reset costs the
//! same whatever the database's size; elsewhere the copy costs its bytes.
//!
//! Decided where the data directory can be seen from here (the local provider's folder, the
//! docker provider's bind-mounted `--data-dir`): a reflink of a small file in that folder
//! (`FICLONE`) is the evidence, and the server's own setting, read back after it is set, is what
//! the report says. On Linux PostgreSQL's clone is `copy_file_range`, which quietly copies bytes
//! on a filesystem that cannot clone (ext4): setting it there would change nothing and the
//! report would lie, so it is set to `clone` only where the reflink worked.
//!
//! It never changes a server it did not start, and never anything but `file_copy_method`.

use std::path::Path;

pub use crate::report::{FileCopy, FileCopyMethod};

impl FileCopy {
    fn copy(reason: impl Into<String>) -> FileCopy {
        FileCopy {
            method: FileCopyMethod::Copy,
            reason: reason.into(),
        }
    }

    /// One line for the log.
    pub fn sentence(&self) -> String {
        format!(
            "database copies (template, resets): {}, {}",
            self.method.word(),
            self.reason
        )
    }
}

/// `--data-dir` as a folder that exists, absolute and without links (Docker needs a path on its
/// own machine); the error is one sentence naming it.
pub fn data_dir(dir: &Path) -> Result<std::path::PathBuf, super::ProvisionError> {
    match std::fs::canonicalize(dir) {
        Ok(real) if real.is_dir() => Ok(real),
        Ok(_) => Err(super::ProvisionError::Refused(format!(
            "--data-dir {} is not a folder",
            dir.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(super::ProvisionError::Refused(format!(
            "--data-dir {} does not exist: create it (on XFS or btrfs, for clones) or give another folder",
            dir.display()
        ))),
        Err(e) => Err(super::ProvisionError::Refused(format!(
            "--data-dir {} cannot be read: {e}",
            dir.display()
        ))),
    }
}

/// Ok when `dir`'s filesystem makes a reflink of a file in it; the error says why not (the
/// kernel's words). Leaves nothing behind.
pub fn can_reflink(dir: &Path) -> Result<(), String> {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let probe = tempfile::Builder::new()
        .prefix(".rehearse-reflink-")
        .tempdir_in(dir)
        .map_err(|e| format!("{} cannot hold a test file: {e}", dir.display()))?;
    let source_path = probe.path().join("source");
    let mut source = std::fs::File::create(&source_path).map_err(|e| e.to_string())?;
    // One filesystem block at least: a clone shares whole blocks.
    source
        .write_all(&[7u8; 65536])
        .and_then(|_| source.sync_all())
        .map_err(|e| e.to_string())?;
    let source = std::fs::File::open(&source_path).map_err(|e| e.to_string())?;
    let target = std::fs::File::create(probe.path().join("target")).map_err(|e| e.to_string())?;
    // SAFETY: FICLONE takes the source's descriptor as its argument; both files are open and
    // owned by this function for the length of the call.
    let done = unsafe { libc::ioctl(target.as_raw_fd(), libc::FICLONE, source.as_raw_fd()) };
    if done == 0 {
        Ok(())
    } else {
        Err(format!(
            "the filesystem of {} cannot reflink ({})",
            dir.display(),
            std::io::Error::last_os_error()
        ))
    }
}

/// What the server should use: clone where it is PostgreSQL 18 or later and `data_dir` (the
/// data directory as seen from here, or a folder on its filesystem) reflinks; copy otherwise,
/// with the reason.
pub fn choose(server_version_num: i32, data_dir: Option<&Path>) -> FileCopy {
    if server_version_num < 180_000 {
        return FileCopy::copy(format!(
            "PostgreSQL {} copies bytes (file_copy_method = clone needs 18 or later)",
            server_version_num / 10_000
        ));
    }
    let Some(dir) = data_dir else {
        return FileCopy::copy(
            "the data directory is inside the container, where its filesystem cannot be tried: give --data-dir on an XFS (reflink=1) or btrfs folder to clone",
        );
    };
    match can_reflink(dir) {
        Ok(()) => FileCopy {
            method: FileCopyMethod::Clone,
            reason: format!(
                "PostgreSQL {} and the data directory's filesystem reflinks (tried in {})",
                server_version_num / 10_000,
                dir.display()
            ),
        },
        Err(why) => FileCopy::copy(format!("{why}: every byte is copied")),
    }
}

/// Sets `file_copy_method` on a server this run started (18 or later) as [`choose`] says, and
/// reads it back: a setting the scenario gave on the command line wins over ours, and the
/// report says what the server does, not what was asked. A server that refuses is no reason
/// to stop: it copies as it did, and the reason says why.
pub async fn apply(client: &tokio_postgres::Client, data_dir: Option<&Path>) -> FileCopy {
    match try_apply(client, data_dir).await {
        Ok(said) => said,
        Err(why) => {
            let method = match setting(client).await.as_deref() {
                Some("clone") => FileCopyMethod::Clone,
                _ => FileCopyMethod::Copy,
            };
            FileCopy {
                method,
                reason: format!("the server's own setting ({why})"),
            }
        }
    }
}

async fn try_apply(
    client: &tokio_postgres::Client,
    data_dir: Option<&Path>,
) -> Result<FileCopy, String> {
    let version: i32 = client
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .map_err(|e| crate::server_text::of(&e))?
        .get(0);
    let chosen = choose(version, data_dir);
    if version < 180_000 {
        return Ok(chosen);
    }
    client
        .batch_execute(&format!(
            "ALTER SYSTEM SET file_copy_method = {}",
            chosen.method.word()
        ))
        .await
        .map_err(|e| {
            format!(
                "could not set file_copy_method: {}",
                crate::server_text::of(&e)
            )
        })?;
    let _ = client.batch_execute("SELECT pg_reload_conf()").await;
    let mut said = String::new();
    for _ in 0..200 {
        said = setting(client).await.unwrap_or_default();
        if said == chosen.method.word() {
            return Ok(chosen);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Ok(match said.as_str() {
        "clone" => FileCopy {
            method: FileCopyMethod::Clone,
            reason: "the scenario's settings set file_copy_method = clone".into(),
        },
        _ => FileCopy::copy(format!(
            "the server keeps file_copy_method = {said} (the scenario's settings win over rehearse's)"
        )),
    })
}

/// The server's `file_copy_method`; None before PostgreSQL 18.
pub async fn setting(client: &tokio_postgres::Client) -> Option<String> {
    client
        .query_one("SELECT current_setting('file_copy_method', true)", &[])
        .await
        .ok()
        .and_then(|r| r.get::<_, Option<String>>(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_18_the_server_copies_whatever_the_filesystem() {
        let chosen = choose(150_018, Some(Path::new("/")));
        assert_eq!(chosen.method, FileCopyMethod::Copy);
        assert!(
            chosen.reason.contains("PostgreSQL 15 copies bytes"),
            "{}",
            chosen.reason
        );
    }

    #[test]
    fn without_a_visible_data_directory_18_copies_and_says_how_to_clone() {
        let chosen = choose(180_001, None);
        assert_eq!(chosen.method, FileCopyMethod::Copy);
        assert!(chosen.reason.contains("--data-dir"), "{}", chosen.reason);
    }

    #[test]
    fn a_folder_that_cannot_reflink_is_said_and_left_clean() {
        // tmpfs and ext4 cannot reflink; whichever holds the temporary folder here, the
        // answer and its reason agree, and the probe leaves nothing behind.
        let dir = tempfile::tempdir().unwrap();
        let chosen = choose(180_001, Some(dir.path()));
        match can_reflink(dir.path()) {
            Ok(()) => assert_eq!(chosen.method, FileCopyMethod::Clone),
            Err(why) => {
                assert_eq!(chosen.method, FileCopyMethod::Copy);
                assert!(why.contains("cannot reflink"), "{why}");
            }
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
