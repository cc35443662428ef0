//! `scaletrace observe` through a proxy in front of moto that throttles
//! half of the AWS calls (in runs of three) and stalls some for 5 s
//! (`tests/support/throttle.rs`), as in issue #13: throttling at start-up
//! must not end it (the SDK's adaptive retries with more attempts), and it
//! must exit within 2 s of a SIGINT or of its `--duration` (the poll in
//! flight is cancelled).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::moto::{self, Moto};
use support::throttle::{self, ThrottlingProxy};

/// moto with one InService endpoint, and the proxy in front of it (served
/// by the returned runtime).
fn setup(endpoint: &str) -> (Moto, tokio::runtime::Runtime, ThrottlingProxy) {
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, endpoint, 1, None).await;
        throttle::start(&moto.url).await
    });
    (moto, rt, proxy)
}

fn observe(
    moto: &Moto,
    proxy: &ThrottlingProxy,
    endpoint: &str,
    duration: &str,
    tmp: &std::path::Path,
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["observe", "--endpoint", endpoint, "--duration", duration])
        .args(["--interval", "1s", "--region", moto::REGION])
        .args(["--endpoint-url", &proxy.url])
        .arg("--run-dir")
        .arg(tmp.join("obs"))
        .env_clear()
        .envs(moto.env(tmp))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Stderr lines as they come, each with when it came.
fn lines_of(child: &mut Child) -> mpsc::Receiver<(Instant, String)> {
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send((Instant::now(), line)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (at most 60 s: start-up retries under throttling) for the line
/// saying observation started; returns when it came and everything before.
fn wait_for_start(lines: &mpsc::Receiver<(Instant, String)>) -> (Instant, String) {
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Ok((at, line)) =
        lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with("scaletrace: observing ") {
            return (at, seen);
        }
    }
    panic!("observe did not start: {seen}");
}

/// Waits (bounded) for the child to exit; returns when, and its code.
fn wait_exit(child: &mut Child, limit: Duration) -> (Instant, Option<i32>) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (Instant::now(), status.code());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("observe still running {limit:?} later");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn rest(lines: &mpsc::Receiver<(Instant, String)>) -> String {
    lines.try_iter().map(|(_, l)| l + "\n").collect::<String>()
}

#[test]
fn throttling_at_start_up_does_not_end_observe() {
    let (moto, _rt, proxy) = setup("thr-start");
    let tmp = tempfile::tempdir().unwrap();
    let spawned = Instant::now();
    let mut child = observe(&moto, &proxy, "thr-start", "2s", tmp.path());
    let lines = lines_of(&mut child);
    let (started, _) = wait_for_start(&lines);
    let (ended, code) = wait_exit(&mut child, Duration::from_secs(120));
    eprintln!(
        "start-up took {:?}, then {:?} to exit; {} calls, {} throttled, {} stalled",
        started - spawned,
        ended - started,
        proxy.calls.load(Ordering::SeqCst),
        proxy.throttled.load(Ordering::SeqCst),
        proxy.stalled.load(Ordering::SeqCst)
    );
    let stderr = rest(&lines);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("cannot observe"), "{stderr}");
    // The very first calls, DescribeEndpoint's, were the throttled run.
    assert!(proxy.throttled.load(Ordering::SeqCst) >= throttle::RUN);
    let summary = std::fs::read_to_string(tmp.path().join("obs").join("summary.json")).unwrap();
    assert!(summary.contains("observe-thr-start"), "{summary}");
}

#[test]
fn observe_exits_within_2_s_of_sigint_and_of_its_deadline() {
    let (moto, _rt, proxy) = setup("thr-stop");

    // SIGINT 3 s into observing.
    let tmp = tempfile::tempdir().unwrap();
    let mut child = observe(&moto, &proxy, "thr-stop", "10m", tmp.path());
    let lines = lines_of(&mut child);
    let (started, _) = wait_for_start(&lines);
    std::thread::sleep(Duration::from_secs(3).saturating_sub(started.elapsed()));
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (ended, code) = wait_exit(&mut child, Duration::from_secs(60));
    let stderr = rest(&lines);
    let took = ended - signalled;
    eprintln!("SIGINT → exit: {took:?}");
    // Interrupted before its --duration: exit 130.
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        took <= Duration::from_secs(2),
        "exit {took:?} after SIGINT: {stderr}"
    );
    assert!(stderr.contains("SIGINT received: stopping"), "{stderr}");
    assert!(
        !stderr.contains("in flight"),
        "observe sends nothing, so it waits for nothing: {stderr}"
    );
    assert!(tmp.path().join("obs").join("summary.json").exists());

    // A 4 s --duration.
    let tmp = tempfile::tempdir().unwrap();
    let mut child = observe(&moto, &proxy, "thr-stop", "4s", tmp.path());
    let lines = lines_of(&mut child);
    let (started, _) = wait_for_start(&lines);
    let (ended, code) = wait_exit(&mut child, Duration::from_secs(60));
    let stderr = rest(&lines);
    let took = ended - started;
    eprintln!("--duration 4s → exit: {took:?}");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        took <= Duration::from_secs(6),
        "exit {took:?} after starting a 4 s observation: {stderr}"
    );
    assert!(proxy.stalled.load(Ordering::SeqCst) > 0);
}
