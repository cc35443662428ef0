//! `run --start-at`: shards whose processes start seconds apart (as the
//! pods of one Kubernetes Indexed Job do) still run one plan from one
//! instant, and `merge` gives the plan's load step where the plan has it.
//! Real processes of the binary against a local server that notes when
//! each request arrives.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use scaletrace::journal::record::{Record, StartRecord};
use scaletrace::schedule::{Schedule, Shard};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// When each `POST /invocations` arrived (UTC), on a server of its own
/// thread; `GET /ping` answers 200 too.
fn recording_server() -> (SocketAddr, Arc<Mutex<Vec<SystemTime>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let seen = seen.clone();
                        async move {
                            if req.uri().path() == "/invocations" {
                                seen.lock().unwrap().push(SystemTime::now());
                            }
                            let _ = req.into_body().collect().await;
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{}"))))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    (rx.recv().unwrap(), arrivals)
}

/// The plan: a load step at 1.5 s, from 20/s to 200/s, uniform arrivals.
const LOW: f64 = 20.0;
const HIGH: f64 = 200.0;
const STEP_S: f64 = 1.5;

fn write_profile(dir: &Path, addr: SocketAddr) -> PathBuf {
    let path = dir.join(format!("step-{}.toml", addr.port()));
    std::fs::write(
        &path,
        format!(
            r#"name = "step"
[target]
kind = "http"
url = "http://{addr}"
[payload]
body = "{{}}"
[load]
arrivals = "uniform"
[[load.phases]]
name = "low"
duration = "1500ms"
rate = {LOW}
[[load.phases]]
name = "high"
duration = "1500ms"
rate = {HIGH}
"#
        ),
    )
    .unwrap();
    path
}

fn run(profile: &Path, shard: &str, start_at: &str, dir: &Path) -> Child {
    bin()
        .arg("run")
        .arg(profile)
        .args(["-q", "--shard", shard, "--start-at", start_at, "--run-dir"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn start_line(dir: &Path) -> StartRecord {
    let journal = scaletrace::journal::read_run_dir(dir).unwrap();
    journal
        .records
        .iter()
        .find_map(|r| match r {
            Record::Start(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: no start line", dir.display()))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The step's instant in a merged run's one-second intervals: the
/// interval around it holds `LOW` per second before the step and `HIGH`
/// after, so its count says where in that second the step fell.
fn step_from_intervals(dir: &Path) -> f64 {
    let data = scaletrace::journal::read_run_dir(dir).unwrap();
    let second = STEP_S.floor();
    let sent = data
        .intervals()
        .find(|i| (i.start - second).abs() < 1e-6)
        .unwrap_or_else(|| panic!("no interval at {second} s"))
        .sent as f64;
    // sent = LOW (s - k) + HIGH (k + 1 - s)
    (HIGH * (second + 1.0) - LOW * second - sent) / (HIGH - LOW)
}

/// The step's instant at the server, seconds after `zero`: the first
/// arrival after which they come at the high rate's spacing.
fn step_at_server(arrivals: &[SystemTime], zero: DateTime<Utc>) -> f64 {
    let mut t: Vec<f64> = arrivals
        .iter()
        .map(|a| {
            let utc: DateTime<Utc> = (*a).into();
            (utc - zero).num_microseconds().unwrap() as f64 / 1e6
        })
        .collect();
    t.sort_by(f64::total_cmp);
    // Low-rate gaps are 50 ms, high-rate ones 5 ms: the first of five
    // consecutive gaps under 25 ms starts the step.
    let dense = |i: usize| (i..i + 5).all(|j| t[j + 1] - t[j] < 0.025);
    let i = (0..t.len() - 6).find(|&i| dense(i)).expect("a step");
    t[i]
}

#[test]
fn four_staggered_shards_start_at_one_instant_and_merge_to_the_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let (sharded_addr, sharded_arrivals) = recording_server();
    let (whole_addr, _) = recording_server();
    let sharded = write_profile(tmp.path(), sharded_addr);
    let whole_profile = write_profile(tmp.path(), whole_addr);
    // Far enough ahead for the last process, started 3 s after the first,
    // to be ready on a loaded machine.
    let start_at = rfc3339(Utc::now() + chrono::Duration::seconds(6));
    let start: DateTime<Utc> = start_at.parse().unwrap();

    // One process for the whole plan, at the same instant, on its own
    // server: the counts the shards must add up to.
    let whole = run(&whole_profile, "0/1", &start_at, &tmp.path().join("whole"));
    let mut shards = Vec::new();
    for i in 0..4u32 {
        if i > 0 {
            std::thread::sleep(Duration::from_secs(1));
        }
        shards.push(run(
            &sharded,
            &format!("{i}/4"),
            &start_at,
            &tmp.path().join(format!("shard-{i}")),
        ));
    }
    for s in shards {
        ok(&s.wait_with_output().unwrap());
    }
    ok(&whole.wait_with_output().unwrap());

    // Each shard waited for the instant (the first longest), none late.
    let mut waited = Vec::new();
    for i in 0..4 {
        let s = start_line(&tmp.path().join(format!("shard-{i}")));
        assert_eq!(s.start_at, start, "shard {i}");
        assert_eq!(s.late_s, 0.0, "shard {i} was late: {s:?}");
        waited.push(s.waited_s);
    }
    assert!(
        waited.windows(2).all(|w| w[0] > w[1] + 0.5),
        "staggered by about 1 s each: {waited:?}"
    );

    let merged = tmp.path().join("merged");
    let mut merge = bin();
    merge.arg("merge");
    for i in (0..4).rev() {
        merge.arg(tmp.path().join(format!("shard-{i}")));
    }
    let out = merge.arg("--run-dir").arg(&merged).output().unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for i in 0..4 {
        assert!(
            stderr.contains(&format!("shard {i}/4 (")) && stderr.contains("on time for"),
            "{stderr}"
        );
    }

    // The merged run's step is where the plan has it, in the journal and
    // at the endpoint.
    let info = read_json(&merged.join("run.json"));
    let zero: DateTime<Utc> = info["started_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(zero, start);
    let in_journal = step_from_intervals(&merged);
    let at_server = step_at_server(&sharded_arrivals.lock().unwrap(), zero);
    eprintln!(
        "phase change error: journal {:+.1} ms, server {:+.1} ms",
        (in_journal - STEP_S) * 1e3,
        (at_server - STEP_S) * 1e3
    );
    assert!((in_journal - STEP_S).abs() < 0.05, "journal: {in_journal}");
    assert!((at_server - STEP_S).abs() < 0.05, "server: {at_server}");

    // The same counts as one process running the whole plan.
    let m = read_json(&merged.join("summary.json"));
    let w = read_json(&tmp.path().join("whole/summary.json"));
    let plan = (LOW * STEP_S + HIGH * 1.5) as u64;
    assert_eq!(m["requests"]["sent"], plan, "{m}");
    for key in ["sent", "completed"] {
        assert_eq!(m["requests"][key], w["requests"][key], "{key}");
    }
    assert_eq!(
        m["requests"]["by_outcome"]["ok"],
        w["requests"]["by_outcome"]["ok"]
    );
    assert_eq!(sharded_arrivals.lock().unwrap().len() as u64, plan);
}

#[test]
fn a_late_shard_starts_mid_plan_and_merge_reports_how_late() {
    let tmp = tempfile::tempdir().unwrap();
    let (addr, _) = recording_server();
    let profile = write_profile(tmp.path(), addr);
    let start_at = rfc3339(Utc::now() + chrono::Duration::milliseconds(2500));
    let on_time = run(&profile, "0/2", &start_at, &tmp.path().join("s0"));
    // The second pod comes up a second after the instant.
    std::thread::sleep(Duration::from_millis(3500));
    let late = run(&profile, "1/2", &start_at, &tmp.path().join("s1"));
    ok(&on_time.wait_with_output().unwrap());
    ok(&late.wait_with_output().unwrap());

    let s = start_line(&tmp.path().join("s1"));
    assert!((0.9..2.5).contains(&s.late_s), "{s:?}");
    assert_eq!(s.t, s.late_s);
    // Exactly the sends of its shard from its late offset on: the plan
    // was not shifted.
    let phases = scaletrace::profile::Profile::load(&profile)
        .unwrap()
        .load
        .phases;
    let expected = Schedule::new(
        &phases,
        scaletrace::profile::Arrivals::Uniform,
        1,
        Shard { index: 1, count: 2 },
    )
    .filter(|send| send.at.as_secs_f64() >= s.late_s)
    .count();
    let sent = read_json(&tmp.path().join("s1/summary.json"))["requests"]["sent"].clone();
    assert_eq!(sent, expected as u64);
    // Its first interval runs from the late offset to the next whole
    // second, so the shards' intervals share one grid.
    let data = scaletrace::journal::read_run_dir(&tmp.path().join("s1")).unwrap();
    let first = data.intervals().next().unwrap();
    assert_eq!(first.start, s.late_s);
    assert_eq!(first.t, s.late_s.ceil());

    let out = bin()
        .arg("merge")
        .arg(tmp.path().join("s0"))
        .arg(tmp.path().join("s1"))
        .arg("--run-dir")
        .arg(tmp.path().join("m"))
        .output()
        .unwrap();
    ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("shard 0/2 ("), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "s late for {start_at}: its sends before t = {} s are missing",
            scaletrace::format::fmt(s.late_s)
        )),
        "{stderr}"
    );
    let merged = scaletrace::journal::read_run_dir(&tmp.path().join("m")).unwrap();
    assert!(
        merged.records.iter().any(
            |r| matches!(r, Record::Warning(w) if w.message.starts_with("shard 1/2: started "))
        )
    );
}

#[test]
fn bad_start_at_values_exit_2_naming_the_flag() {
    let (addr, _) = recording_server();
    let url = format!("http://{addr}");
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, Option<&str>, &str); 4] = [
        ("18:00", None, "is neither an RFC 3339 time"),
        ("+2m", None, "SCALETRACE_START_REF, which is not set"),
        (
            "+2m",
            Some("soon"),
            "SCALETRACE_START_REF=\"soon\" is not an RFC 3339 time",
        ),
        // Past the plan's end: a pod restarted after the run, most likely.
        ("2020-01-01T00:00:00Z", None, "already ended"),
    ];
    for (i, (value, reference, says)) in cases.into_iter().enumerate() {
        let mut cmd = bin();
        cmd.args([
            "run",
            "--url",
            &url,
            "--rate",
            "5",
            "--duration",
            "2s",
            "-q",
        ])
        .args(["--start-at", value, "--run-dir"])
        .arg(tmp.path().join(format!("r{i}")))
        .env_remove("SCALETRACE_START_REF");
        if let Some(r) = reference {
            cmd.env("SCALETRACE_START_REF", r);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{value}: {stderr}");
        assert!(stderr.contains("--start-at"), "{value}: {stderr}");
        assert!(stderr.contains(says), "{value}: {stderr}");
    }
    // The simulated endpoint has no clock to line up.
    let out = bin()
        .args([
            "run",
            "-q",
            "--start-at",
            "2030-01-01T00:00:00Z",
            "--run-dir",
        ])
        .arg(tmp.path().join("sim"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("virtual clock"));
}

#[test]
fn a_signal_during_the_wait_ends_the_run_without_sending() {
    let (addr, arrivals) = recording_server();
    let tmp = tempfile::tempdir().unwrap();
    let start_at = rfc3339(Utc::now() + chrono::Duration::seconds(60));
    let child = bin()
        .args(["run", "--url", &format!("http://{addr}"), "--rate", "5"])
        .args(["--duration", "2s", "--start-at", &start_at, "--run-dir"])
        .arg(tmp.path().join("r"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once it waits: its countdown line (stderr is no terminal) is not
    // readable before exit, so give it the time to get there.
    std::thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let began = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(began.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("scaletrace: starting in "), "{stderr}");
    assert!(arrivals.lock().unwrap().is_empty());
    let journal = scaletrace::journal::read_run_dir(&tmp.path().join("r")).unwrap();
    assert!(
        journal
            .records
            .iter()
            .any(|r| matches!(r, Record::Interrupted(_)))
    );
}
