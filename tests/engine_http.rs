//! The load engine against real HTTP servers on 127.0.0.1 (issue 2).

mod support;

use std::path::Path;
use std::time::Duration;

use scaletrace::journal::read_run_dir;
use scaletrace::journal::record::Record;
use scaletrace::profile::Profile;
use scaletrace::run::{RunEnd, RunOptions, run};
use scaletrace::schedule::Shard;
use support::Behaviour;

fn profile(url: &str, extra_load: &str, phases: &str) -> Profile {
    let src = format!(
        "name = \"t\"\n[target]\nkind = \"http\"\nurl = \"{url}\"\n[load]\n{extra_load}\nphases = [{phases}]\n"
    );
    Profile::parse(Path::new("t.toml"), &src).unwrap()
}

/// The tests here measure time on a 2-core machine: one at a time, so they
/// don't take each other's CPU.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn opts(dir: &Path) -> RunOptions {
    RunOptions {
        run_dir: Some(dir.to_path_buf()),
        reports_root: dir.to_path_buf(),
        quiet: true,
        shard: Shard::WHOLE,
        started_at: None,
    }
}

#[test]
fn twenty_ms_server_reports_p50_between_20_and_23_ms() {
    let _serial = serial();
    let addr = support::start_in_thread(Behaviour::Delay(Duration::from_millis(20)));
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://{addr}"),
        "",
        "{ duration = \"3s\", rate = 200 }",
    );
    let result = run(p, opts(dir.path())).unwrap();
    let s = &result.report.summary;
    assert_eq!(s.requests.sent, 600);
    assert_eq!(
        s.requests.by_outcome.get(scaletrace::outcome::Outcome::Ok),
        600
    );
    assert!(
        (20.0..=23.0).contains(&s.latency_ms.p50),
        "p50 latency {} ms (service {} ms)",
        s.latency_ms.p50,
        s.service_time_ms.p50
    );
    assert!(s.service_time_ms.p50 >= 20.0);
    // A wall-clock run keeps its own lateness apart: the send lag is part
    // of the latency, so it can't exceed it.
    let lag = s
        .send_lag_ms
        .as_ref()
        .expect("wall-clock runs record send lag");
    assert!(lag.p50 <= s.latency_ms.p50 - s.service_time_ms.p50 + 0.05);
    assert!(lag.max <= s.latency_ms.max);
    eprintln!(
        "p50 latency {} service {}",
        s.latency_ms.p50, s.service_time_ms.p50
    );
    assert!((s.rate.offered_per_s - 200.0).abs() < 1.0);
    // The reports are on disk and agree with the returned summary.
    let on_disk: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(on_disk["requests"]["sent"], 600);
    assert_eq!(on_disk["schema"], "scaletrace.summary/1");
    assert!(on_disk["send_lag_ms"]["p99"].is_number());
    assert!(dir.path().join("summary.txt").exists());
    let text = std::fs::read_to_string(dir.path().join("summary.txt")).unwrap();
    assert!(text.contains("send lag   p50 "), "{text}");
}

#[test]
fn coordinated_omission_is_corrected_against_a_stalling_server() {
    let _serial = serial();
    // One slot, 100/s, and the 101st request (at t = 1 s) stalls for 1 s.
    let addr = support::start_in_thread(Behaviour::StallOnce {
        delay: Duration::from_millis(1),
        nth: 100,
        stall: Duration::from_secs(1),
    });
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://{addr}"),
        "max_in_flight = 1",
        "{ duration = \"3s\", rate = 100 }",
    );
    let s = run(p, opts(dir.path())).unwrap().report.summary;
    assert_eq!(s.requests.sent, 300, "nothing dropped");
    assert_eq!(s.requests.completed, 300);
    // The ~100 requests due during the stall were held back, plus those due
    // while that backlog cleared (more on a busy machine).
    assert!(
        (99..=200).contains(&s.requests.late),
        "late {}",
        s.requests.late
    );
    let data = read_run_dir(dir.path()).unwrap();
    let first_second = data
        .records
        .iter()
        .find_map(|r| match r {
            Record::Interval(i) => Some(i.clone()),
            _ => None,
        })
        .unwrap();
    // Before the stall requests go out on time (a loaded machine may delay
    // a few past their 10 ms slot).
    assert!(
        first_second.late < 30,
        "late before the stall: {}",
        first_second.late
    );
    assert!(
        s.latency_ms.p99 > 900.0,
        "latency p99 {} must include the stall",
        s.latency_ms.p99
    );
    assert!(
        s.service_time_ms.p99 < 50.0,
        "service p99 {} must not",
        s.service_time_ms.p99
    );
    assert!(s.service_time_ms.max >= 1000.0);
    // A third of the requests waited: the median latency moved too.
    assert!(s.latency_ms.p90 > 300.0, "latency p90 {}", s.latency_ms.p90);
}

#[test]
fn outcome_classes_from_statuses_resets_and_silence() {
    let _serial = serial();
    let statuses =
        support::start_in_thread(Behaviour::Statuses(vec![200, 400, 424, 429, 500, 503]));
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://{statuses}"),
        "",
        "{ duration = \"1s\", rate = 60 }",
    );
    let s = run(p, opts(&dir.path().join("a"))).unwrap().report.summary;
    let by = serde_json::to_value(s.requests.by_outcome).unwrap();
    assert_eq!(by["ok"], 10);
    assert_eq!(by["http_4xx"], 10);
    assert_eq!(by["model_error"], 10);
    assert_eq!(by["throttled"], 10);
    assert_eq!(by["http_5xx"], 20);

    let reset = support::start_in_thread(Behaviour::Reset);
    let p = profile(
        &format!("http://{reset}"),
        "",
        "{ duration = \"1s\", rate = 10 }",
    );
    let s = run(p, opts(&dir.path().join("b"))).unwrap().report.summary;
    let by = serde_json::to_value(s.requests.by_outcome).unwrap();
    assert_eq!(by["connect_error"], 10, "{by}");

    let silent = support::start_in_thread(Behaviour::Silent);
    let p = profile(
        &format!("http://{silent}"),
        "timeout = \"300ms\"",
        "{ duration = \"1s\", rate = 10 }",
    );
    let s = run(p, opts(&dir.path().join("c"))).unwrap().report.summary;
    let by = serde_json::to_value(s.requests.by_outcome).unwrap();
    assert_eq!(by["timeout"], 10, "{by}");
    assert!(s.latency_ms.min_or_p50() >= 299.0);
}

trait MinOrP50 {
    fn min_or_p50(&self) -> f64;
}
impl MinOrP50 for scaletrace::summary::Percentiles {
    fn min_or_p50(&self) -> f64 {
        self.p50
    }
}

#[test]
fn unreachable_target_fails_before_sending() {
    let _serial = serial();
    // Bind and drop: nothing listens on this port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://127.0.0.1:{port}"),
        "",
        "{ duration = \"1s\", rate = 1 }",
    );
    let err = run(p, opts(&dir.path().join("r")))
        .err()
        .expect("must fail");
    assert!(matches!(err, scaletrace::run::RunError::Broke(_)));
    assert!(err.to_string().contains("/ping"), "{err}");
    assert!(
        !dir.path().join("r").exists(),
        "no run directory for a run that never started"
    );
}

#[test]
fn journal_intervals_add_up_to_the_summary() {
    let _serial = serial();
    let addr = support::start_in_thread(Behaviour::Delay(Duration::from_millis(2)));
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://{addr}"),
        "",
        "{ duration = \"1s\", from = 0, to = 100 }, { duration = \"1s\", rate = 0 }, { duration = \"1s\", rate = 50 }",
    );
    let result = run(p, opts(dir.path())).unwrap();
    assert_eq!(result.end, RunEnd::Completed);
    let data = read_run_dir(dir.path()).unwrap();
    let sent: u64 = data
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Interval(i) => Some(i.sent),
            _ => None,
        })
        .sum();
    assert_eq!(sent, 100);
    assert_eq!(result.report.summary.requests.sent, 100);
    let phases = data
        .records
        .iter()
        .filter(|r| matches!(r, Record::Phase(_)))
        .count();
    assert_eq!(phases, 6);
    assert!(matches!(data.records.last(), Some(Record::End(_))));
}

#[test]
fn summary_json_matches_the_repo_schema() {
    let _serial = serial();
    let addr = support::start_in_thread(Behaviour::Statuses(vec![200, 429]));
    let dir = tempfile::tempdir().unwrap();
    let p = profile(
        &format!("http://{addr}"),
        "",
        "{ duration = \"1s\", rate = 20 }",
    );
    run(p, opts(dir.path())).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/summary.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        summary["send_lag_ms"].is_object(),
        "validated with its send lag"
    );
    // The schema is strict enough to catch a renamed key.
    let mut broken = summary.clone();
    broken["requests"]["by_outcome"]["throttle"] =
        broken["requests"]["by_outcome"]["throttled"].take();
    assert!(!validator.is_valid(&broken));
}
