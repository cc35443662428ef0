//! `observe` as a user runs it: the live line, and Ctrl-C from a real
//! terminal (tmux, send-keys C-c) exiting 130 like a plain SIGINT, with a
//! message that does not speak of requests in flight (observe sends none).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::moto::{self, Moto};

const EP: &str = "term-ep";

fn with_endpoint() -> Moto {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, EP, 1, None).await;
    });
    moto
}

fn observe_args<'a>(moto: &'a Moto, run_dir: &'a str, duration: &'a str) -> Vec<&'a str> {
    vec![
        "observe",
        "--endpoint",
        EP,
        "--duration",
        duration,
        "--interval",
        "1s",
        "--endpoint-url",
        &moto.url,
        "--run-dir",
        run_dir,
    ]
}

#[test]
fn observe_shows_a_live_line_with_elapsed_and_instances() {
    let moto = with_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(observe_args(&moto, run_dir.to_str().unwrap(), "8s"))
        .env_clear()
        .envs(moto.env(tmp.path()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // Without a terminal: a plain line at most every 5 s, "[elapsed/total
    // s] …"; the first may come before the first poll has answered.
    assert!(
        err.lines().any(|l| l.trim_start().starts_with('[')
            && l.contains("/8 s]")
            && l.contains("instances 1/1 (current/desired)")),
        "no live line with the instances in:\n{err}"
    );
}

/// Waits (bounded) for `path` to hold `needle`.
fn wait_for(path: &Path, needle: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never held {needle:?}: {text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn ctrl_c_in_a_terminal_exits_130_and_says_what_it_does() {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!("tmux is required (scripts/test installs it)");
    }
    let moto = with_endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let rc = tmp.path().join("rc");
    // The command line the terminal runs: the environment spelled out (the
    // tmux server has its own), the exit code written down, and the pane
    // kept open to read what was printed.
    let mut cmd = String::from("env -i");
    for (k, v) in moto.env(tmp.path()) {
        cmd += &format!(" {k}={}", sh_quote(&v));
    }
    cmd += &format!(" {}", sh_quote(env!("CARGO_BIN_EXE_scaletrace")));
    for a in observe_args(&moto, run_dir.to_str().unwrap(), "10m") {
        cmd += &format!(" {}", sh_quote(a));
    }
    cmd += &format!("; echo $? > {}; sleep 60", sh_quote(rc.to_str().unwrap()));
    // A server of our own: no other tmux session is touched.
    let socket = format!("scaletrace-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "200",
        "-y",
        "50",
        &cmd,
    ]);
    assert!(started.status.success(), "{started:?}");
    struct Server<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Server<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _server = Server(&tmux);

    // Observing: the first poll is in the journal.
    wait_for(
        &run_dir.join("journal.jsonl"),
        "\"type\":\"endpoint\"",
        Duration::from_secs(30),
    );
    let sent = tmux(&["send-keys", "-t", "t", "C-c"]);
    assert!(sent.status.success(), "{sent:?}");
    let code = wait_for(&rc, "\n", Duration::from_secs(30));
    let pane =
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned();
    assert_eq!(
        code.trim(),
        "130",
        "exit code from the terminal; pane:\n{pane}"
    );
    assert!(
        pane.contains("SIGINT received: stopping: one last poll, then the reports"),
        "{pane}"
    );
    assert!(!pane.contains("requests in flight"), "{pane}");
    assert!(run_dir.join("report.html").exists());
}
