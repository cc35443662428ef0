//! The whole pipeline on the simulated endpoint: engine → sim → observer →
//! journal → lag analysis. The chains must carry the simulator's own
//! timestamps, and the same seed must give a byte-identical journal.

use std::path::Path;

use chrono::TimeZone;
use scaletrace::journal::JournalData;
use scaletrace::journal::read_run_dir;
use scaletrace::journal::record::{AlarmState, Record};
use scaletrace::profile::Profile;
use scaletrace::run::{RunOptions, run};
use scaletrace::schedule::Shard;
use scaletrace::timeline::lag::{self, Direction, Episode};

/// One instance of 4 workers × 20 ms (200 req/s), target 600 invocations
/// per instance-minute (10 req/s), launches taking 2 minutes.
const SIM: &str = r#"
[target]
kind = "sim"
[observe]
interval = "10s"
[sim.endpoint]
name = "lag-test"
initial_instances = 1
[sim.instance]
worker_slots = 4
service_time = "20ms"
launch_time = "2m"
termination_time = "30s"
[sim.cloudwatch]
publishing_delay = "1m"
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 3
[[sim.policies]]
PolicyName = "SageMakerEndpointInvocationScalingPolicy"
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 600.0
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }
ScaleInCooldown = 60
# Longer than the metric's own lag (1-minute period + 1-minute delay), so a
# datapoint measured before the new instance does not compound with it.
ScaleOutCooldown = 180
"#;

fn run_sim(dir: &Path, load: &str) -> JournalData {
    let src = format!("name = \"lag\"\n{SIM}\n[load]\narrivals = \"uniform\"\nseed = 7\n{load}\n");
    let profile = Profile::parse(Path::new("lag.toml"), &src).unwrap();
    run(
        profile,
        RunOptions {
            run_dir: Some(dir.to_path_buf()),
            reports_root: dir.to_path_buf(),
            quiet: true,
            shard: Shard::WHOLE,
            started_at: Some(chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()),
        },
    )
    .unwrap();
    read_run_dir(dir).unwrap()
}

fn link(e: &Episode, name: &str) -> f64 {
    e.links
        .iter()
        .find(|l| l.name == name)
        .and_then(|l| l.t_s)
        .unwrap_or_else(|| panic!("no {name} link in {:?}", e.links))
}

fn analyze(data: &JournalData) -> Vec<Episode> {
    let report = scaletrace::report::Report::build(data.clone()).unwrap();
    report.summary.measures.lag
}

/// The simulator's own alarm transition to ALARM for alarms whose name
/// contains `which` (AlarmHigh / AlarmLow).
fn alarm_at(data: &JournalData, which: &str) -> f64 {
    data.records
        .iter()
        .find_map(|r| match r {
            Record::Alarm(a) if a.name.contains(which) && a.to == AlarmState::Alarm => Some(a.at),
            _ => None,
        })
        .unwrap()
}

/// Start of the first scaling activity that moved desired capacity to `to`.
fn activity_start(data: &JournalData, to: u32) -> f64 {
    data.records
        .iter()
        .find_map(|r| match r {
            Record::Activity(a) if a.to == Some(to) && a.not_scaled.is_empty() => Some(a.start),
            _ => None,
        })
        .unwrap()
}

/// When the endpoint was first InService with `count` instances after `after`.
fn in_service(data: &JournalData, count: u32, after: f64) -> f64 {
    data.records
        .iter()
        .find_map(|r| match r {
            Record::Endpoint(e) if e.t > after && e.status == "InService" && e.current == count => {
                Some(e.t)
            }
            _ => None,
        })
        .unwrap()
}

#[test]
fn scale_out_and_in_chains_carry_the_simulators_timestamps() {
    let tmp = tempfile::tempdir().unwrap();
    // 5/s (300/min), then 20/s (1200/min: two instances' worth), then 1/s.
    let data = run_sim(
        tmp.path(),
        "phases = [{ duration = \"2m\", rate = 5 }, { duration = \"6m\", rate = 20 }, { duration = \"20m\", rate = 1 }]",
    );
    let episodes = analyze(&data);
    let out = episodes
        .iter()
        .find(|e| e.direction == Direction::Out && e.missing().is_none())
        .expect("a complete scale-out episode");
    // Load rises at 2:00; its first minute (120–180 s) breaches 600.
    assert_eq!(link(out, lag::LOAD_CHANGE), 120.0);
    assert_eq!(link(out, lag::PAST_THRESHOLD), 180.0);
    // Readable after the 1-minute publishing delay (polled every 10 s).
    assert_eq!(link(out, lag::READABLE), 240.0);
    // Third breaching datapoint (240–300 s) readable at 360 s: ALARM.
    assert_eq!(alarm_at(&data, "AlarmHigh"), 360.0);
    assert_eq!(link(out, lag::ALARM), alarm_at(&data, "AlarmHigh"));
    assert_eq!(link(out, lag::ACTIVITY), activity_start(&data, 2));
    let up = in_service(&data, 2, link(out, lag::ACTIVITY));
    assert_eq!(link(out, lag::IN_SERVICE), up);
    // Launch takes 2 minutes; the observer sees it at its next poll.
    assert!(
        (up - link(out, lag::ACTIVITY) - 120.0).abs() <= 10.0,
        "launch {up}"
    );
    assert_eq!(out.total_s, Some(up - 120.0));
    // Requests sent while under-provisioned: 2:00 until capacity arrived.
    assert_eq!(out.impact.from_s, 120.0);
    assert!(out.impact.requests > 0);

    let inn = episodes
        .iter()
        .find(|e| e.direction == Direction::In && e.missing().is_none())
        .expect("a complete scale-in episode");
    assert_eq!(link(inn, lag::LOAD_CHANGE), 480.0);
    // 15 of 15 datapoints below 540: the first is 480–540 s, the 15th ends
    // at 1380 s and is readable at 1440 s.
    assert_eq!(alarm_at(&data, "AlarmLow"), 1440.0);
    assert_eq!(link(inn, lag::ALARM), 1440.0);
    assert_eq!(link(inn, lag::ACTIVITY), activity_start(&data, 1));
    assert_eq!(
        link(inn, lag::IN_SERVICE),
        in_service(&data, 1, link(inn, lag::ACTIVITY))
    );
}

#[test]
fn a_two_minute_spike_names_the_missing_alarm() {
    let tmp = tempfile::tempdir().unwrap();
    let data = run_sim(
        tmp.path(),
        "phases = [{ duration = \"2m\", rate = 5 }, { duration = \"2m\", rate = 20 }, { duration = \"6m\", rate = 5 }]",
    );
    let episodes = analyze(&data);
    let spike = episodes
        .iter()
        .find(|e| e.direction == Direction::Out)
        .expect("the spike is an episode");
    let missing = spike.missing().expect("a missing link");
    assert!(
        missing.contains("alarm never fired: 2 of 3 datapoints breached"),
        "{missing}"
    );
    assert!(
        !data
            .records
            .iter()
            .any(|r| matches!(r, Record::Activity(_))),
        "nothing scaled"
    );
}

#[test]
fn the_same_seed_gives_a_byte_identical_journal() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // Random routing across the instances is the seeded part here.
    let load = "phases = [{ duration = \"2m\", rate = 5 }, { duration = \"5m\", rate = 20 }]";
    run_sim(a.path(), load);
    run_sim(b.path(), load);
    let ja = std::fs::read(a.path().join("journal.jsonl")).unwrap();
    let jb = std::fs::read(b.path().join("journal.jsonl")).unwrap();
    assert!(ja.len() > 10_000);
    assert!(ja == jb, "journals differ");
    assert_eq!(
        std::fs::read(a.path().join("summary.json")).unwrap(),
        std::fs::read(b.path().join("summary.json")).unwrap()
    );
}

#[test]
fn the_report_names_the_simulated_scale_in_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let data = run_sim(tmp.path(), "phases = [{ duration = \"2m\", rate = 1 }]");
    let report = scaletrace::report::Report::build(data).unwrap();
    let rule = report
        .summary
        .scaling
        .as_ref()
        .and_then(|s| s.control_plane.scale_in_rule.clone());
    assert_eq!(
        rule.as_deref(),
        Some(
            "halfway: each scale in removes half the gap to ceil(current × metric / target), at least one instance"
        )
    );
    let text = scaletrace::report::text::render_text(&report);
    assert!(
        text.contains("simulated scale-in rule (an assumption; AWS publishes none): halfway: "),
        "{text}"
    );
}

/// An async endpoint woken from 0 by target tracking alone
/// (`profiles/async-target-tracking-only.toml`): the scale out is linked to
/// the first request after the idle period, the scale in is timed from the
/// backlog draining (not from the last send, while the scale out was still
/// pending), and the impact reports what the queued requests waited.
#[test]
fn async_chains_start_at_the_first_request_and_at_the_drained_backlog() {
    let tmp = tempfile::tempdir().unwrap();
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/async-target-tracking-only.toml");
    let profile = Profile::load(&path).unwrap();
    run(
        profile,
        RunOptions {
            run_dir: Some(tmp.path().to_path_buf()),
            reports_root: tmp.path().to_path_buf(),
            quiet: true,
            shard: Shard::WHOLE,
            started_at: Some(chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()),
        },
    )
    .unwrap();
    let data = read_run_dir(tmp.path()).unwrap();
    let intervals: Vec<_> = data.intervals().cloned().collect();
    let first_sent = intervals.iter().find(|i| i.sent > 0).unwrap().start;
    // The phase "jobs" starts at 120 s; with the profile's seed the first
    // Poisson arrival falls in its first second, the interval starting at
    // 120 s.
    assert_eq!(first_sent, 120.0);
    let drained = intervals
        .iter()
        .find(|i| i.t >= 720.0 && i.in_flight == 0)
        .unwrap()
        .t;
    let episodes = analyze(&data);
    // In time order.
    let starts: Vec<f64> = episodes.iter().map(|e| e.impact.from_s).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
    let out = &episodes[0];
    assert_eq!(out.direction, Direction::Out);
    assert_eq!(link(out, lag::LOAD_CHANGE), first_sent);
    assert!(
        out.cause
            .contains(&format!("first request at {first_sent} s")),
        "{}",
        out.cause
    );
    // Every job sent before the instance arrived waited for it: minutes.
    assert_eq!(
        out.impact.requests,
        intervals
            .iter()
            .filter(|i| i.start < 780.0)
            .map(|i| i.sent)
            .sum::<u64>()
    );
    let p50 = out.impact.p50_ms.unwrap();
    assert!(p50 > 60_000.0, "{p50}");
    assert!(out.impact.p99_ms.unwrap() >= p50);
    let inn = episodes
        .iter()
        .find(|e| e.direction == Direction::In)
        .unwrap();
    // The queue built up at 0 instances drains only after the instance came
    // at 780 s; the scale in is timed from there.
    assert!(drained > 780.0, "{drained}");
    assert_eq!(link(inn, lag::LOAD_CHANGE), drained);
    assert_eq!(link(inn, lag::ALARM), 1740.0);
    assert_eq!(inn.impact.requests, 0);
    assert_eq!(inn.impact.p50_ms, None);
}
