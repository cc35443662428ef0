//! `--load-from`: a Locust stats history and k6 JSON output imported into an
//! observe-only run directory, the load changes found in them, and the first
//! links of the lag chain they open.
//!
//! `data/load/locust_step_stats_history.csv` is real Locust output: Locust
//! 2.x from PyPI, run headless for 30 s with `locust_step_locustfile.py`
//! (2 users, then 10 from 10 s on, one request per user per second) against
//! a small Python HTTP server on 127.0.0.1, with `--csv step`. Locust's
//! `Requests/s` is a rolling rate, so its step shows as a ramp.
//!
//! `data/load/k6_step.json` is written by hand, line for line in the format
//! of k6's documentation ("JSON", Grafana k6 results output,
//! <https://grafana.com/docs/k6/latest/results-output/real-time/json/>:
//! `Metric` lines whose `data` holds `type`, `contains`, `tainted`,
//! `thresholds` and `submetrics`, and `Point` lines whose `data` holds
//! `time`, `value` in milliseconds for time metrics, and `tags`): k6 is a
//! Go binary under the AGPL that the registries here do not offer. It holds 2 requests/s for 10 s, then 8/s
//! for 10 s with one failure a second.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Utc};
use scaletrace::journal::record::{
    AlarmConfigRecord, AlarmRecord, AlarmState, EndpointRecord, MetricRecord, Record,
};
use scaletrace::journal::{self, JournalWriter, RunInfo};
use scaletrace::timeline::{Timeline, lag};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/load")
        .join(name)
}

/// An observe-only run directory starting at `start` (Unix seconds) with
/// target tracking's high alarm (InvocationsPerInstance Sum > 300 for 3 of
/// 3 minutes: 5 requests/s at one instance), one instance, one breaching
/// datapoint for 0–60 s first seen at 75 s and the alarm firing at 181 s.
fn run_dir(name: &str, start: i64) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scaletrace-load-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let info = RunInfo {
        schema: RunInfo::SCHEMA.into(),
        tool_version: "test".into(),
        started_at: DateTime::<Utc>::from_timestamp(start, 0).unwrap(),
        host: "test".into(),
        clock: "wall".into(),
        shard: "0/1".into(),
        profile: serde_json::json!({"name": "observe-ep", "observe_only": {"endpoint": "ep"}}),
    };
    journal::create_run_dir(&dir, &info).unwrap();
    let mut w = JournalWriter::create(&dir).unwrap();
    let alarm = "TargetTracking-endpoint/ep/variant/AllTraffic-AlarmHigh-1";
    let dims = [("EndpointName", "ep"), ("VariantName", "AllTraffic")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for r in [
        Record::Endpoint(EndpointRecord {
            t: 0.0,
            status: "InService".into(),
            variant: "AllTraffic".into(),
            current: 1,
            desired: 1,
        }),
        Record::AlarmConfig(AlarmConfigRecord {
            t: 0.0,
            name: alarm.into(),
            namespace: "AWS/SageMaker".into(),
            metric: "InvocationsPerInstance".into(),
            stat: "Sum".into(),
            comparison: "GreaterThanThreshold".into(),
            threshold: 300.0,
            period_s: 60,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            policy: Some("SageMakerEndpointInvocationScalingPolicy".into()),
            treat_missing_data: None,
        }),
        Record::Metric(MetricRecord {
            t: 75.0,
            namespace: "AWS/SageMaker".into(),
            name: "InvocationsPerInstance".into(),
            dimensions: dims,
            stat: "Sum".into(),
            period_s: 60,
            period_start: 0.0,
            value: 420.0,
            revision: false,
        }),
        Record::Alarm(AlarmRecord {
            t: 190.0,
            at: 181.0,
            name: alarm.into(),
            from: AlarmState::Ok,
            to: AlarmState::Alarm,
            reason: "3 datapoints breached".into(),
        }),
    ] {
        w.write(&r).unwrap();
    }
    w.flush().unwrap();
    dir
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

/// A link as `(name, t_s, detail)`.
type LinkView = (String, Option<f64>, Option<String>);

/// The load changes' times, and the single episode's links up to the alarm.
fn first_links(dir: &Path) -> (Vec<f64>, Vec<LinkView>) {
    let data = journal::read_run_dir(dir).unwrap();
    let tl = Timeline::build(&data).unwrap();
    let changes = tl
        .load
        .as_ref()
        .expect("observed load")
        .changes()
        .iter()
        .map(|c| c.t)
        .collect();
    let lag = lag::analyze(&data, &tl, None).unwrap();
    assert_eq!(lag.episodes.len(), 1, "{:#?}", lag.episodes);
    let links = lag.episodes[0]
        .links
        .iter()
        .take(4)
        .map(|l| (l.name.clone(), l.t_s, l.detail.clone()))
        .collect();
    (changes, links)
}

#[test]
fn locust_stats_history_opens_the_chain_where_the_rise_crossed_the_target() {
    // Locust's first row is at 1796318981; the run started one second before.
    let dir = run_dir("locust", 1796318980);
    let file = data("locust_step_stats_history.csv");
    let out = bin()
        .args(["report", dir.to_str().unwrap(), "--load-from"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (changes, links) = first_links(&dir);
    // 0 → 1.8/s at 987 (first requests counted), then the rolling rate
    // leaves 2/s at 996 and rises to 10/s.
    assert_eq!(changes, vec![7.0, 16.0]);
    let f = file.display();
    assert_eq!(
        links,
        vec![
            (
                "load change".into(),
                Some(18.0),
                Some(format!(
                    "from Locust ({f}), 1-second resolution; rise from 16 s: load crossed \
                     5/s = target 300 × 1 instance / 60 s at 18 s"
                ))
            ),
            (
                "datapoint past threshold".into(),
                Some(60.0),
                Some("InvocationsPerInstance 420 > 300 (period 0–60 s)".into())
            ),
            (
                "datapoint readable".into(),
                Some(75.0),
                Some("publishing delay 15 s".into())
            ),
            (
                "alarm ALARM".into(),
                Some(181.0),
                Some(
                    "TargetTracking-endpoint/ep/variant/AllTraffic-AlarmHigh-1: \
                     InvocationsPerInstance (Sum) > 300 for 3 datapoints within 3 minutes"
                        .into()
                )
            ),
        ]
    );
    // The journal keeps the import: a later `report` gives the same summary.
    let before = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    let again = bin()
        .args(["report", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.json")).unwrap(),
        before
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn k6_json_step_is_one_change_at_its_second() {
    // The first point is at 2026-12-03T15:00:00.012Z; the run started at 15:00:00.
    let dir = run_dir("k6", 1796310000);
    let file = data("k6_step.json");
    let out = bin()
        .args(["report", dir.to_str().unwrap(), "--load-from"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (changes, links) = first_links(&dir);
    assert_eq!(changes, vec![10.0]);
    assert_eq!(
        links[0],
        (
            "load change".into(),
            Some(10.0),
            Some(format!("from k6 ({}), 1-second resolution", file.display()))
        )
    );
    assert_eq!(links[1].1, Some(60.0));
    assert_eq!(links[2].1, Some(75.0));
    assert_eq!(links[3].1, Some(181.0));
    let load = scaletrace::load_import::read(&file).unwrap();
    let s = &load.samples[12];
    assert_eq!((s.requests_per_s, s.failures_per_s), (8.0, Some(1.0)));
    // Durations 120, 125, … 155 ms: nearest-rank p50 is the 4th, p99 the 8th.
    assert_eq!((s.p50_ms, s.p99_ms), (Some(135.0), Some(155.0)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_load_file_is_exit_2_naming_file_line_and_column() {
    let dir = run_dir("bad", 1796310000);
    let bad = dir.join("bad_stats_history.csv");
    std::fs::write(
        &bad,
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,99%\n\
         1796310001,2,,Aggregated,2.0,0.0,10,20\n\
         1796310002,2,,Aggregated,fast,0.0,10,20\n",
    )
    .unwrap();
    let out = bin()
        .args(["report", dir.to_str().unwrap(), "--load-from"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:3:26: Requests/s \"fast\" is not a number",
            bad.display()
        )),
        "{stderr}"
    );
    let unknown = dir.join("x.txt");
    std::fs::write(&unknown, "hello\n").unwrap();
    let out = bin()
        .args(["report", dir.to_str().unwrap(), "--load-from"])
        .arg(&unknown)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("{}:1:1: unknown load file", unknown.display()))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
