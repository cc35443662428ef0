//! A new user's first hour with the binary: `run` outside the checkout,
//! `init`, `--tail`, credential errors, exit codes from a real terminal.

use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The journal's `end` line's time, seconds.
fn end_t(dir: &Path) -> f64 {
    let text = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["type"] == "end")
        .and_then(|v| v["t"].as_f64())
        .expect("an end line")
}

#[test]
fn run_without_a_profile_works_outside_the_checkout() {
    // As after `cargo install`: no profiles/ folder in the working directory.
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--tail", "0s", "-q"])
        .args(["--run-dir", "run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("— demo"), "{}", stdout(&out));
    assert!(tmp.path().join("run/report.html").exists());
}

#[test]
fn init_writes_the_examples_and_never_overwrites_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin().current_dir(tmp.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("wrote profiles/demo.toml"));
    for f in ["demo.toml", "step-scaling.toml", "sagemaker.toml"] {
        let p = tmp.path().join("profiles").join(f);
        let v = bin().arg("validate").arg(&p).output().unwrap();
        assert_eq!(v.status.code(), Some(0), "{f}: {}", stderr(&v));
    }
    let again = bin().current_dir(tmp.path()).arg("init").output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists (pass --force"),
        "{}",
        stderr(&again)
    );
    let forced = bin()
        .current_dir(tmp.path())
        .args(["init", "--force"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
}

#[test]
fn the_tail_shows_in_the_banner_and_progress_and_tail_flag_limits_it() {
    let tmp = tempfile::tempdir().unwrap();
    // The demo's tail is 2m: the banner and the progress count it.
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--run-dir", "with-tail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("for 1m + 2m observing after the load (--tail)"),
        "{err}"
    );
    assert!(err.contains("/180 s]"), "{err}");
    assert!((end_t(&tmp.path().join("with-tail")) - 180.0).abs() < 1.5);

    // --tail replaces it: the run ends with the load.
    let out = bin()
        .current_dir(tmp.path())
        .args(["run", "--duration", "1m", "--tail", "0s"])
        .args(["--run-dir", "no-tail"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains("observing after the load"), "{err}");
    assert!(err.contains("/60 s]"), "{err}");
    assert!(end_t(&tmp.path().join("no-tail")) < 61.5);

    let bad = bin().args(["run", "--tail", "soon"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--tail"), "{}", stderr(&bad));
}
