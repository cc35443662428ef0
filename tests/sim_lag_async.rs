//! Async lag chains on the simulated endpoint, run from the shipped
//! profiles (`profiles/async-scale-from-zero.toml`,
//! `profiles/async-target-tracking-only.toml`) on the paused clock, with
//! exact figures read back from the journal: the impact of the queued
//! requests, the episodes' order in every report, what the waterfall calls
//! each stretch, and which policy a scale out from 0 is credited to.

use std::path::Path;

use chrono::TimeZone;
use scaletrace::histogram;
use scaletrace::journal::record::{AlarmState, Record};
use scaletrace::journal::{JournalData, read_run_dir};
use scaletrace::profile::Profile;
use scaletrace::run::{RunOptions, run};
use scaletrace::schedule::Shard;
use scaletrace::timeline::lag::{self, Direction, Episode};

fn profile_source(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Runs `src` (a profile's text) into `dir` and reads the journal back.
fn run_profile(dir: &Path, name: &str, src: &str) -> JournalData {
    let profile = Profile::parse(Path::new(name), src).unwrap();
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

fn episodes(data: &JournalData) -> Vec<Episode> {
    scaletrace::report::Report::build(data.clone())
        .unwrap()
        .summary
        .measures
        .lag
}

fn link(e: &Episode, name: &str) -> f64 {
    e.links
        .iter()
        .find(|l| l.name == name)
        .and_then(|l| l.t_s)
        .unwrap_or_else(|| panic!("no {name} link in {:?}", e.links))
}

fn detail<'a>(e: &'a Episode, name: &str) -> &'a str {
    e.links
        .iter()
        .find(|l| l.name == name)
        .and_then(|l| l.detail.as_deref())
        .unwrap_or_default()
}

/// The `from` of every "impact: … (FROM–TO s, …" line of a report, in the
/// order the report lists them.
fn impact_starts(report: &str) -> Vec<f64> {
    report
        .lines()
        .filter_map(|l| l.trim().strip_prefix("impact: "))
        .map(|l| {
            let from = l.split(" (").nth(1).unwrap().split('–').next().unwrap();
            from.parse().unwrap()
        })
        .collect()
}

/// The p50 and p99 of the first `n` completions, merged from the journal's
/// per-second histograms (an async queue serves first come, first served;
/// the interval holding the n-th completion counts whole).
fn first_completions(data: &JournalData, n: u64) -> (f64, f64) {
    let mut h = histogram::new_hist();
    let mut done = 0;
    for i in data.intervals() {
        if done >= n {
            break;
        }
        if i.completed > 0 {
            h.add(histogram::decode(&i.latency).unwrap()).unwrap();
            done += i.completed;
        }
    }
    let q = |q| (histogram::quantile_ms(&h, q) * 1000.0).round() / 1000.0;
    (q(0.5), q(0.99))
}

/// `profiles/async-scale-from-zero.toml`: the requests queued while the
/// endpoint sat at 0 instances waited minutes, and the reports say so
/// (before 58c8b44: "1103 requests … p50 0 ms, p99 0 ms", and a scale in
/// with "0 requests … p99 826278 ms"). Every report lists the episodes in
/// time order.
#[test]
fn async_impact_is_what_the_queued_requests_waited_in_time_order_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let data = run_profile(
        tmp.path(),
        "async-scale-from-zero.toml",
        &profile_source("async-scale-from-zero.toml"),
    );
    let eps = episodes(&data);
    let intervals: Vec<_> = data.intervals().cloned().collect();
    // The burst's first request, the instances' arrival, and when the
    // backlog drained after the load stopped at 720 s.
    let first_sent = intervals.iter().find(|i| i.sent > 0).unwrap().start;
    assert_eq!(first_sent, 120.0);
    let out = &eps[0];
    assert_eq!(out.direction, Direction::Out);
    let up = link(out, lag::IN_SERVICE);
    assert_eq!(up, 660.0);
    // Nothing completed before capacity came: the window's requests are
    // the first completions.
    assert_eq!(
        intervals
            .iter()
            .filter(|i| i.t <= up)
            .map(|i| i.completed)
            .sum::<u64>(),
        0
    );
    let sent: u64 = intervals
        .iter()
        .filter(|i| i.start >= first_sent && i.start < up)
        .map(|i| i.sent)
        .sum();
    assert_eq!(out.impact.requests, sent);
    let (p50, p99) = first_completions(&data, sent);
    assert_eq!(out.impact.p50_ms, Some(p50));
    assert_eq!(out.impact.p99_ms, Some(p99));
    // The median request was sent about halfway through the 540 s wait.
    assert!(p50 > 250_000.0, "{p50}");

    // Scale in: one episode from the drained backlog, then a follow-up per
    // step; nothing was sent during any of them, so no latency is given.
    let drained = intervals
        .iter()
        .find(|i| i.t >= 720.0 && i.in_flight == 0)
        .unwrap()
        .t;
    let starts: Vec<f64> = eps.iter().map(|e| e.impact.from_s).collect();
    assert_eq!(starts, [120.0, drained, 2460.0, 2820.0, 3180.0]);
    for e in &eps[1..] {
        assert_eq!(e.direction, Direction::In);
        assert_eq!((e.impact.requests, e.impact.p50_ms), (0, None));
        assert_eq!(e.impact.p99_ms, None);
    }

    // Every report: the same episodes in the same (time) order, and an
    // impact line without latency when nothing was sent.
    for file in ["summary.txt", "report.md", "report.html"] {
        let text = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        let text = text.replace("<p>", "\n").replace("</p>", "\n");
        assert_eq!(impact_starts(&text), starts, "{file}");
        let line = format!(
            "impact: 0 requests sent while over-provisioned ({drained}–2160 s, until capacity in service)\n"
        );
        assert!(text.contains(&line), "{file}: {line}");
        assert!(!text.contains("p50 0 ms"), "{file}");
    }
}

/// `profiles/async-target-tracking-only.toml`: the first request at 120 s,
/// the first breaching period 240–300 s. The waterfall's first stretch is
/// two: 120 s of the metric below the threshold, then the 60 s period
/// (it said "first breaching period: 180 s").
#[test]
fn the_waterfall_tells_the_metric_below_the_threshold_from_the_breaching_period() {
    let tmp = tempfile::tempdir().unwrap();
    let data = run_profile(
        tmp.path(),
        "async-target-tracking-only.toml",
        &profile_source("async-target-tracking-only.toml"),
    );
    let eps = episodes(&data);
    let out = &eps[0];
    assert_eq!(link(out, lag::LOAD_CHANGE), 120.0);
    assert_eq!(link(out, lag::PAST_THRESHOLD), 300.0);
    let past = out
        .links
        .iter()
        .find(|l| l.name == lag::PAST_THRESHOLD)
        .unwrap();
    assert_eq!(past.period_start_s, Some(240.0));
    let svg = std::fs::read_to_string(tmp.path().join("charts/lag.svg")).unwrap();
    let bar = |from: &str| {
        let start = svg.find(&format!(">{from}</text>")).unwrap();
        let end = svg[start..].find("</g>").unwrap();
        svg[start..start + end].to_string()
    };
    let scale_out = bar("scale-out at 120 s");
    assert!(
        scale_out.contains("<title>metric below the threshold: 120 s</title>"),
        "{scale_out}"
    );
    assert!(
        scale_out.contains("<title>first breaching period: 60 s</title>"),
        "{scale_out}"
    );
    // The scale in's period (1020–1080 s) began before the backlog drained
    // at 1040 s: its stretch is the rest of that period only.
    let inn = &eps[1];
    assert_eq!(link(inn, lag::LOAD_CHANGE), 1040.0);
    let scale_in = bar("scale-in at 1040 s");
    assert!(
        scale_in.contains("<title>first breaching period: 40 s</title>"),
        "{scale_in}"
    );
    assert!(
        !scale_in.contains("metric below the threshold"),
        "{scale_in}"
    );
    assert!(svg.contains(">metric below the threshold</text>"), "legend");
}

/// The scale-from-zero profile with a trickle (0.02/s) that keeps the
/// backlog per instance below target tracking's 5 for minutes: the step
/// policy on HasBacklogWithoutCapacity launches 0 → 1, and the first
/// episode is credited to it and its alarm, not to target tracking's
/// AlarmHigh (which fired later and added the second instance).
#[test]
fn a_scale_out_from_zero_is_credited_to_the_step_policy_that_launched_it() {
    let tmp = tempfile::tempdir().unwrap();
    let src = profile_source("async-scale-from-zero.toml");
    assert!(src.contains("\nrate = 2\n"));
    let data = run_profile(
        tmp.path(),
        "async-trickle.toml",
        &src.replace("\nrate = 2\n", "\nrate = 0.02\n"),
    );
    let step_alarm = "async-endpoint-has-backlog-without-capacity";
    let fired = |name: &str| {
        data.records
            .iter()
            .find_map(|r| match r {
                Record::Alarm(a) if a.name.contains(name) && a.to == AlarmState::Alarm => {
                    Some(a.at)
                }
                _ => None,
            })
            .unwrap()
    };
    let launch = data
        .records
        .iter()
        .find_map(|r| match r {
            Record::Activity(a) if a.from == Some(0) && a.to == Some(1) => Some(a.clone()),
            _ => None,
        })
        .unwrap();
    assert!(
        launch
            .cause
            .contains("triggered policy HasBacklogWithoutCapacity-ScalingPolicy"),
        "{}",
        launch.cause
    );
    // Target tracking's AlarmHigh only fired after the step policy acted.
    assert!(fired("AlarmHigh") > fired(step_alarm));
    let eps = episodes(&data);
    let out = &eps[0];
    assert_eq!(out.direction, Direction::Out);
    assert_eq!(link(out, lag::ALARM), fired(step_alarm));
    assert!(
        detail(out, lag::ALARM).starts_with(&format!("{step_alarm}: HasBacklogWithoutCapacity")),
        "{}",
        detail(out, lag::ALARM)
    );
    assert_eq!(link(out, lag::ACTIVITY), launch.start);
    assert_eq!(detail(out, lag::ACTIVITY), "0 → 1 instances (Successful)");
    assert!(
        out.where_time_went
            .as_deref()
            .unwrap()
            .contains("2 one-minute datapoints had to breach"),
        "{:?}",
        out.where_time_went
    );
    // Target tracking's own activities (1 → 2, 2 → 3) are follow-ups,
    // listed where they happened: before the scale in from the drained
    // backlog, in every report.
    let starts: Vec<f64> = eps.iter().map(|e| e.impact.from_s).collect();
    assert_eq!(starts[1..3], [fired("AlarmHigh"), 720.0]);
    assert!(starts.is_sorted(), "{starts:?}");
    assert_eq!(eps[3].links[0].name, lag::LOAD_CHANGE);
    for file in ["summary.txt", "report.md", "report.html"] {
        let text = std::fs::read_to_string(tmp.path().join(file)).unwrap();
        let text = text.replace("<p>", "\n").replace("</p>", "\n");
        assert_eq!(impact_starts(&text), starts, "{file}");
    }
    let follow = &eps[1];
    assert_eq!(link(follow, lag::ACTIVITY), fired("AlarmHigh"));
    assert!(
        follow.cause.starts_with("follow-up 1 → 2 instances"),
        "{}",
        follow.cause
    );
}
