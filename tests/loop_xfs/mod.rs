//! A loop-mounted XFS with reflink, made for one test or bench and removed after it: the
//! copy-on-write filesystem PostgreSQL 18's `file_copy_method = clone` needs. Making one takes
//! root, `mkfs.xfs` (xfsprogs) and a loop device; where any is missing the caller is told why,
//! and skips, except under CI=true, where it fails (CI runs as root and must not skip silently).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

pub struct LoopXfs {
    /// Where it is mounted.
    pub mount: tempfile::TempDir,
    /// The image file's folder (the image itself is sparse).
    _image: tempfile::TempDir,
}

impl LoopXfs {
    /// A fresh XFS of `size` (for `truncate -s`: "2G"), mounted at a temporary folder.
    pub fn make(size: &str) -> Result<LoopXfs, String> {
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } != 0 {
            return Err("mounting a loop XFS needs root".into());
        }
        let image = tempfile::Builder::new()
            .prefix("rehearse-xfs-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let file = image.path().join("xfs.img");
        run("truncate", &["-s", size, file.to_str().unwrap()])?;
        run(
            "mkfs.xfs",
            &["-q", "-m", "reflink=1", file.to_str().unwrap()],
        )
        .map_err(|e| format!("{e} (install xfsprogs: apt-get install -y xfsprogs)"))?;
        let mount = tempfile::Builder::new()
            .prefix("rehearse-xfs-mount-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        run(
            "mount",
            &[
                "-o",
                "loop",
                file.to_str().unwrap(),
                mount.path().to_str().unwrap(),
            ],
        )?;
        Ok(LoopXfs {
            mount,
            _image: image,
        })
    }

    /// [`LoopXfs::make`], or None with a line on stderr; under CI=true a panic instead.
    pub fn or_skip(size: &str) -> Option<LoopXfs> {
        match LoopXfs::make(size) {
            Ok(xfs) => Some(xfs),
            Err(why) if ci() => panic!("CI=true and no loop XFS could be made: {why}"),
            Err(why) => {
                eprintln!("skipped: no loop XFS ({why})");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.mount.path()
    }

    /// Bytes in use on the filesystem (blocks a clone shares are counted once).
    pub fn used_bytes(&self) -> u64 {
        let path = std::ffi::CString::new(self.path().to_str().unwrap()).unwrap();
        // SAFETY: statvfs writes into the zeroed struct we own; the path is a valid C string.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        let done = unsafe { libc::statvfs(path.as_ptr(), &mut stat) };
        assert_eq!(done, 0, "statvfs {}", self.path().display());
        (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    }
}

impl Drop for LoopXfs {
    fn drop(&mut self) {
        let path = self.path().to_str().unwrap().to_string();
        // A container's files may keep it busy for a moment after the container is removed.
        for _ in 0..50 {
            if run("umount", &[&path]).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let _ = run("umount", &["-l", &path]);
    }
}

fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program} could not be run: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
