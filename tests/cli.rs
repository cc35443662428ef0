//! The `scaletrace` binary: exit codes, signals, kill -9, bad profiles.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::Behaviour;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn run_ok(cmd: &mut Command) -> Output {
    cmd.output().expect("scaletrace runs")
}

fn journal_intervals(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "interval")
        .collect()
}

/// Waits (bounded) until the run has journaled `n` intervals.
fn wait_for_intervals(dir: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while journal_intervals(dir).len() < n {
        assert!(
            Instant::now() < deadline,
            "run never journaled {n} intervals"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn write_profile(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn kill_9_leaves_a_run_directory_that_reports() {
    let addr = support::start_in_thread(Behaviour::Delay(Duration::from_millis(2)));
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let mut child = bin()
        .args([
            "run",
            "--url",
            &format!("http://{addr}"),
            "--rate",
            "50",
            "--duration",
            "30s",
            "-q",
        ])
        .arg("--run-dir")
        .arg(&run_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_intervals(&run_dir, 2);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let out = run_ok(bin().arg("report").arg(&run_dir));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).unwrap()).unwrap();
    let intervals = journal_intervals(&run_dir);
    let sent: u64 = intervals.iter().map(|i| i["sent"].as_u64().unwrap()).sum();
    let completed: u64 = intervals
        .iter()
        .map(|i| i["completed"].as_u64().unwrap())
        .sum();
    assert!(sent >= 50, "two intervals at 50/s, got {sent}");
    assert_eq!(summary["requests"]["sent"].as_u64().unwrap(), sent);
    assert_eq!(
        summary["requests"]["completed"].as_u64().unwrap(),
        completed
    );
    assert_eq!(summary["incomplete"], true);
    assert!(String::from_utf8_lossy(&out.stdout).contains("incomplete"));
}

#[test]
fn sigint_stops_writes_reports_and_exits_130() {
    let addr = support::start_in_thread(Behaviour::Delay(Duration::from_millis(2)));
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let child = bin()
        .args([
            "run",
            "--url",
            &format!("http://{addr}"),
            "--rate",
            "20",
            "--duration",
            "60s",
            "-q",
        ])
        .arg("--run-dir")
        .arg(&run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_intervals(&run_dir, 1);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert_eq!(summary["incomplete"], false);
    assert!(summary["duration_s"].as_f64().unwrap() < 30.0);
    // Every request sent was waited for.
    assert_eq!(
        summary["requests"]["sent"],
        summary["requests"]["completed"]
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("[interrupted]"));
}

#[test]
fn bad_profiles_exit_2_naming_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\nurll = \"x\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n",
            ":4:1: target.urll: unknown field `urll`",
        ),
        (
            "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n[load]\nseed = \"x\"\nphases = [{ duration = \"1s\", rate = 1 }]\n",
            ":5:8: load.seed:",
        ),
        (
            "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n[load]\nphases = [{ duration = \"1s\", rate = -3 }]\n",
            ":5:37: load.phases[0].rate: rate must not be negative",
        ),
        (
            "[target]\nkind = \"http\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n",
            ":1:1: target.url: missing",
        ),
    ];
    for (text, expected) in cases {
        let p = write_profile(tmp.path(), text);
        for sub in ["validate", "run"] {
            let out = if sub == "validate" {
                run_ok(bin().arg(sub).arg(&p))
            } else {
                run_ok(bin().arg(sub).arg(&p).arg("-q"))
            };
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{sub}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{sub}: expected {expected:?} in {stderr}"
            );
            assert!(stderr.contains("p.toml"), "{stderr}");
        }
    }
}

#[test]
fn unreachable_url_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let out = run_ok(
        bin()
            .args([
                "run",
                "--url",
                &format!("http://127.0.0.1:{port}"),
                "--rate",
                "1",
                "--duration",
                "1s",
                "-q",
            ])
            .arg("--run-dir")
            .arg(tmp.path().join("r")),
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/ping"), "{stderr}");
    // With --url there is no profile to set `ping = false` in: the hint
    // names the flag, and the flag skips the check (the requests then fail
    // to connect, which the run counts rather than refusing to start).
    assert!(stderr.contains("--no-ping"), "{stderr}");
    let out = run_ok(
        bin()
            .args([
                "run",
                "--url",
                &format!("http://127.0.0.1:{port}"),
                "--no-ping",
                "--rate",
                "1",
                "--duration",
                "1s",
                "-q",
            ])
            .arg("--run-dir")
            .arg(tmp.path().join("r2")),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("r2/summary.json")).unwrap())
            .unwrap();
    let sent = summary["requests"]["sent"].as_u64().unwrap();
    assert!(sent >= 1, "{summary}");
    assert_eq!(
        summary["requests"]["by_outcome"]["connect_error"].as_u64(),
        Some(sent),
        "{summary}"
    );
}

#[test]
fn validate_prints_the_resolved_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write_profile(
        tmp.path(),
        "name = \"plan\"\n[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n[load]\n\
         [[load.phases]]\nduration = \"10s\"\nfrom = 0\nto = 100\n\
         [[load.phases]]\nduration = \"1m\"\nrpm = 600\n",
    );
    let out = run_ok(bin().arg("validate").arg(&p));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("1100 requests expected"), "{text}");
    assert!(text.contains("peak 100.00/s"), "{text}");
    assert!(text.contains("0.00 → 100.00/s"), "{text}");
}

#[test]
fn report_on_a_missing_directory_exits_2() {
    let out = run_ok(bin().args(["report", "/nonexistent/run"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a scaletrace run directory"));
}

/// `scaletrace run | head -1`: the pipe closes after the first line, and
/// the run still ends as it would have (exit 0, every report written)
/// instead of panicking in `println!` (exit 101).
#[test]
fn a_closed_stdout_does_not_panic_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let mut child = bin()
        .args(["run", "--duration", "20s", "--quiet", "--run-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read nothing: close the pipe before the run prints its summary.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(dir.join("report.html").is_file());
}
