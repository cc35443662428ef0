//! A run directory on a full filesystem: a 64 KiB tmpfs filled to a few
//! KiB free, as in issue #13. The journal's first failed write must stop the
//! sending within a second, say what failed and where, and exit 3; a report
//! that cannot be written names its file and leaves no temporary file.
//!
//! Mounting needs root (CI runs as root). Where `mount` is refused the
//! tests say so on stderr and pass without running: the unit tests in
//! `src/journal/writer.rs` and `src/report/export.rs` cover the same paths
//! with a failing sink and an unrenamable file.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::Behaviour;

/// A tmpfs mounted on a fresh directory, unmounted on drop.
struct Tmpfs {
    dir: PathBuf,
    _holder: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (after saying so) where this process may not mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        let holder = tempfile::tempdir().unwrap();
        let dir = holder.path().join("fs");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs {
                dir,
                _holder: holder,
            }),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs here (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    /// Fills the filesystem, then gives back `free` bytes.
    fn fill_leaving(&self, free: u64) {
        use std::io::Write;
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = [0u8; 4096];
        let mut len = 0u64;
        while f.write_all(&chunk).is_ok() {
            len += chunk.len() as u64;
        }
        drop(f);
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(len.saturating_sub(free)).unwrap();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for sub in [dir.to_path_buf(), dir.join("charts")] {
        if let Ok(list) = std::fs::read_dir(&sub) {
            out.extend(
                list.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.to_string_lossy().ends_with(".tmp")),
            );
        }
    }
    out
}

/// Issue #13's reproduction: 200 req/s for 30 s onto 8 KiB of free space.
#[test]
fn a_full_disk_stops_the_run_within_a_second_and_exits_3_naming_the_journal() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    fs.fill_leaving(8 * 1024);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(support::start(Behaviour::Delay(Duration::from_millis(2))));
    let run_dir = fs.dir.join("run");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args([
            "run",
            "--url",
            &server.url(),
            "--rate",
            "200",
            "--duration",
            "30s",
        ])
        .arg("--run-dir")
        .arg(&run_dir)
        .arg("-q")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let journal_path = run_dir.join("journal.jsonl");
    assert!(
        stderr.contains(&format!("{}: ", journal_path.display()))
            && stderr.contains("No space left on device"),
        "says what failed and where: {stderr}"
    );
    assert!(
        stderr.contains("stopped sending"),
        "said when it happened: {stderr}"
    );
    assert!(took < Duration::from_secs(25), "stopped early: {took:?}");

    // The journal's last complete interval ends just before the write that
    // failed; within a second of that the sending stopped. (Allowance:
    // the interval being closed when the write failed, plus the second.)
    let journal = std::fs::read_to_string(&journal_path).unwrap();
    let last_t = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "interval")
        .filter_map(|v| v["t"].as_f64())
        .fold(0.0, f64::max);
    let served = server.requests.load(Ordering::SeqCst);
    eprintln!("exit 3 after {took:?}; journal to {last_t} s; the server got {served} requests");
    let bound = ((last_t + 2.0) * 200.0) as u64 + 10;
    assert!(
        served <= bound,
        "server got {served} requests; the journal's last interval ends at {last_t} s (bound {bound})"
    );
    assert!(served < 6000, "{served}");
    assert!(
        temporaries(&run_dir).is_empty(),
        "{:?}",
        temporaries(&run_dir)
    );
}

/// Room for the journal but not for the reports: `report` names the file
/// it could not write and leaves no `.tmp` behind.
#[test]
fn a_report_that_does_not_fit_is_named_and_leaves_no_temporary_file() {
    let Some(fs) = Tmpfs::mount("64k") else {
        return;
    };
    // A small run directory made on the normal disk, copied onto the tmpfs.
    let src = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(support::start(Behaviour::Delay(Duration::from_millis(1))));
    let src_run = src.path().join("run");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args([
            "run",
            "--url",
            &server.url(),
            "--rate",
            "20",
            "--duration",
            "2s",
            "-q",
        ])
        .arg("--run-dir")
        .arg(&src_run)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run_dir = fs.dir.join("run");
    std::fs::create_dir(&run_dir).unwrap();
    for f in ["run.json", "journal.jsonl"] {
        std::fs::copy(src_run.join(f), run_dir.join(f)).unwrap();
    }
    // summary.json fits; report.html (tens of KiB of charts) does not.
    fs.fill_leaving(12 * 1024);
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("report")
        .arg(&run_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write {}", run_dir.display())),
        "names the file: {stderr}"
    );
    assert!(
        temporaries(&run_dir).is_empty(),
        "{:?}",
        temporaries(&run_dir)
    );
}
