//! The simulated inference component (`[sim.inference_component]`): copies
//! placed on instances by accelerator units, managed instance scaling,
//! ConcurrentRequestsPerCopy target tracking with its high-resolution
//! alarms, and scale to zero and back through a step policy on
//! NoCapacityInvocationFailures, all at exact simulated times.

use std::path::Path;

use chrono::TimeZone;
use scaletrace::journal::record::AlarmState;
use scaletrace::outcome::Outcome;
use scaletrace::profile::Profile;
use scaletrace::sim::config::SimConfig;
use scaletrace::sim::world::World;

/// 2 copies per instance (1 of 2 accelerators each), 0..=2 instances,
/// 4-minute launches, 1-minute copy loads, 2-second requests on 4 slots
/// per copy; target tracking at 2 concurrent requests per copy and the
/// scale-to-zero page's wake-up alarm and step policy.
const SIM: &str = r#"
[sim.endpoint]
name = "chat"
overhead = "0s"
[sim.instance]
worker_slots = 4
service_time = "2s"
launch_time = "4m"
termination_time = "1m"
[sim.inference_component]
name = "chat-ic"
copies = 0
accelerators_per_copy = 1
memory_per_copy_mb = 20000
accelerators_per_instance = 2
memory_per_instance_mb = 80000
min_instance_count = 0
max_instance_count = 2
copy_load_time = "1m"
[sim.cloudwatch]
publishing_delay = "1m"
[sim.scalable_target]
MinCapacity = 0
MaxCapacity = 4
[[sim.policies]]
PolicyName = "SageMakerEndpointInvocationScalingPolicy"
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 2.0
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution" }
ScaleInCooldown = 60
ScaleOutCooldown = 60
[[sim.policies]]
PolicyName = "wake"
[sim.policies.StepScalingPolicyConfiguration]
AdjustmentType = "ChangeInCapacity"
MetricAggregationType = "Maximum"
Cooldown = 300
StepAdjustments = [{ MetricIntervalLowerBound = 0, ScalingAdjustment = 1 }]
[sim.policies.Alarm]
AlarmName = "ic-step-scaling-alarm"
MetricName = "NoCapacityInvocationFailures"
Namespace = "AWS/SageMaker"
Statistic = "Sum"
Period = 60
EvaluationPeriods = 1
DatapointsToAlarm = 1
Threshold = 1
ComparisonOperator = "GreaterThanThreshold"
"#;

fn sim(toml: &str) -> SimConfig {
    let src = format!(
        "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{toml}"
    );
    Profile::parse(Path::new("ic.toml"), &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_sim()
        .unwrap()
}

fn world(cfg: &SimConfig) -> World {
    World::new(
        cfg,
        1,
        chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap(),
    )
}

/// (copies in service, desired copies, instances in service, desired
/// instances).
type Counts = (u32, u32, u32, u32);

/// The [`Counts`] now.
fn counts(w: &World) -> Counts {
    let ic = w.ic.as_ref().unwrap();
    (
        ic.current_copies(),
        ic.desired_copies(),
        w.current(),
        w.desired(),
    )
}

/// Sends `rate` requests per second over `[from, to)` and notes, at each
/// whole second, when the counts change: `(t, counts)`.
fn drive(
    w: &mut World,
    from: u32,
    to: u32,
    rate: u32,
    seen: &mut Vec<(u32, Counts)>,
    outcomes: &mut Vec<(u32, Outcome)>,
) {
    for s in from..to {
        for k in 0..rate {
            let t = s as f64 + k as f64 / rate as f64;
            let a = w.invoke_realtime(t);
            // Each change of outcome, at the second it happens.
            if outcomes.last().is_none_or(|(_, o)| *o != a.outcome) {
                outcomes.push((s, a.outcome));
            }
        }
        w.advance(s as f64 + 0.999);
        let c = counts(w);
        if seen.last().is_none_or(|(_, p)| *p != c) {
            seen.push((s, c));
        }
    }
}

/// The scale-to-zero story at exact times: the first request fails with
/// no copy (a 4xx, ValidationError), the wake-up alarm fires on the
/// first minute's NoCapacityInvocationFailures, the step policy asks for
/// 0 → 1 copy, managed instance scaling launches an instance, the copy
/// loads on it and requests succeed; a burst grows the component to 4
/// copies on 2 instances (2 of them waiting for the second instance); idle,
/// target tracking takes it back to 0 copies and the instances follow.
#[test]
fn scale_to_zero_and_back_with_managed_instances() {
    let cfg = sim(SIM);
    let mut w = world(&cfg);
    assert_eq!(counts(&w), (0, 0, 0, 0));
    let (mut seen, mut outcomes) = (Vec::new(), Vec::new());
    // 1 request/s from t = 0, 4/s from 600 s, then nothing.
    drive(&mut w, 0, 600, 1, &mut seen, &mut outcomes);
    drive(&mut w, 600, 1200, 4, &mut seen, &mut outcomes);
    drive(&mut w, 1200, 3600, 0, &mut seen, &mut outcomes);

    // Every request fails (4xx) until the copy is in service at 420 s;
    // the burst later overflows the copies' queues (503) while it waits for
    // more copies, but never finds no copy again.
    let when = |o: Outcome| {
        outcomes
            .iter()
            .filter(move |(_, x)| *x == o)
            .map(|(t, _)| *t)
    };
    assert_eq!(outcomes[0], (0, Outcome::Http4xx));
    assert_eq!(when(Outcome::Http4xx).max(), Some(0));
    assert_eq!(outcomes[1], (420, Outcome::Ok));
    let wake = w
        .transitions
        .iter()
        .find(|t| t.name == "ic-step-scaling-alarm" && t.to == AlarmState::Alarm)
        .unwrap();
    // Minute 0's datapoint (Sum 60 > 1) is readable at 60 + 60 s.
    assert_eq!(wake.at, 120.0);
    let s = w.scaler.as_ref().unwrap();
    let a0 = &s.activities[0];
    assert_eq!((a0.start, a0.from, a0.to), (120.0, Some(0), Some(1)));
    // The copy is in service when it has loaded on the launched instance.
    assert_eq!(a0.end, Some(420.0));
    assert_eq!(
        seen,
        vec![
            (0, (0, 0, 0, 0)),
            // 0 → 1 copy at 120 s: an instance launches (in service at 360 s).
            (120, (0, 1, 0, 1)),
            (360, (0, 1, 1, 1)),
            // The copy loads in 1 minute.
            (420, (1, 1, 1, 1)),
            // The burst from 600 s: 8 concurrent requests on 1 copy. The
            // 10-second datapoints of 600..630 s are readable at 690 s
            // (1-minute delay): AlarmHigh (3 of 3 > 2) asks ceil(1 × 8 / 2)
            // = 4 copies. One more fits on the first instance (loaded at
            // 750 s); two wait for a second instance (launched 690 → 930 s)
            // and load on it by 990 s: 4 copies on 2 instances.
            (690, (1, 4, 1, 2)),
            (750, (2, 4, 1, 2)),
            (930, (2, 4, 2, 2)),
            (990, (4, 4, 2, 2)),
            // Idle from 1200 s: AlarmLow (15 one-minute datapoints < 1.8)
            // goes to ALARM at 2100 s and target tracking scales in
            // halfway, 4 → 2; the newest copies go, their
            // instance is idle and leaves after 1 minute, as the 60-second
            // ScaleInCooldown ends and takes 2 → 1, then 1 → 0; the last
            // idle instance leaves at 2280 s.
            (2100, (2, 2, 2, 1)),
            (2160, (1, 1, 1, 1)),
            (2220, (0, 0, 1, 0)),
            (2280, (0, 0, 0, 0)),
        ]
    );
}

/// Copies that don't fit wait for an instance; at MaxInstanceCount they
/// stay pending and the component reads Updating.
#[test]
fn copies_that_do_not_fit_wait_for_an_instance() {
    let cfg = sim(&SIM.replace("copies = 0", "copies = 2"));
    let mut w = world(&cfg);
    // 2 copies start on 1 instance.
    assert_eq!(counts(&w), (2, 2, 1, 1));
    let p = w.ic.as_mut().unwrap();
    // 2 → 5 at 100 s: instance 2 launches (ready 340 s), copies 3 and 4
    // load on it (ready 400 s); copy 5 fits nowhere at MaxInstanceCount 2.
    assert_eq!(p.set_desired(100.0, 5, None, 240.0, 60.0), 0);
    assert_eq!(p.next_event(100.0), 340.0);
    w.advance(399.0);
    assert_eq!(counts(&w), (2, 5, 2, 2));
    w.advance(400.0);
    assert_eq!(counts(&w), (4, 5, 2, 2));
    assert_eq!(w.ic.as_ref().unwrap().status(), "Updating");
}

/// Target tracking on ConcurrentRequestsPerCopyHighResolution builds its
/// alarms on the 10-second metric: AlarmHigh 3 of 3 10-second datapoints
/// above the target (SageMaker: such a policy scales out "much more
/// quickly"; the count is the simulator's assumption), AlarmLow 15 of 15
/// one-minute datapoints below 90 % ("scales in at the same speed as it
/// would for standard metrics").
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html>
#[test]
fn high_resolution_target_tracking_alarms() {
    let w = world(&sim(SIM));
    let shapes: Vec<_> = w
        .alarms
        .iter()
        .map(|a| {
            let s = &a.spec;
            (
                s.metric.name(),
                s.comparison.name(),
                s.threshold,
                s.period_s,
                s.datapoints_to_alarm,
                s.evaluation_periods,
            )
        })
        .collect();
    assert_eq!(
        shapes,
        vec![
            (
                "ConcurrentRequestsPerCopy",
                "GreaterThanThreshold",
                2.0,
                10,
                3,
                3
            ),
            (
                "ConcurrentRequestsPerCopy",
                "LessThanThreshold",
                1.8,
                60,
                15,
                15
            ),
            (
                "NoCapacityInvocationFailures",
                "GreaterThanThreshold",
                1.0,
                60,
                1,
                1
            ),
        ]
    );
    assert!(
        w.alarms[0]
            .spec
            .name
            .starts_with("TargetTracking-inference-component/chat-ic-AlarmHigh-")
    );
}

/// AWS publishes no datapoint count for the high-resolution scale-out
/// alarm: `[sim.autoscaler] high_resolution_datapoints` sets it (default
/// 3); the one-minute scale-in alarm keeps AWS's 15 of 15, and a value out
/// of range names the field.
#[test]
fn the_high_resolution_datapoint_count_is_a_setting() {
    let w = world(&sim(&format!(
        "{SIM}\n[sim.autoscaler]\nhigh_resolution_datapoints = 6\n"
    )));
    let shape = |i: usize| {
        let s = &w.alarms[i].spec;
        (s.period_s, s.datapoints_to_alarm, s.evaluation_periods)
    };
    assert_eq!(shape(0), (10, 6, 6));
    assert_eq!(shape(1), (60, 15, 15));
    let src = format!(
        "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{SIM}\n[sim.autoscaler]\nhigh_resolution_datapoints = 0\n"
    );
    let e = Profile::parse(Path::new("ic.toml"), &src)
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("sim.autoscaler.high_resolution_datapoints") && e.contains("between 1 and 60"),
        "{e}"
    );
}

/// Inference component settings are checked with the field and line.
#[test]
fn settings_are_checked() {
    let err = |toml: &str| {
        let src = format!(
            "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{toml}"
        );
        Profile::parse(Path::new("ic.toml"), &src)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let e = err(
        "[sim.inference_component]\naccelerators_per_copy = 4\naccelerators_per_instance = 2\n",
    );
    assert!(
        e.contains("ic.toml:6") && e.contains("sim.inference_component.accelerators_per_copy"),
        "{e}"
    );
    let e = err("[sim.endpoint]\ninitial_instances = 2\n[sim.inference_component]\ncopies = 1\n");
    assert!(e.contains("sim.endpoint.initial_instances"), "{e}");
    let e = err(
        "[sim.inference_component]\ncopies = 5\nmax_instance_count = 2\naccelerators_per_instance = 2\n",
    );
    assert!(e.contains("sim.inference_component.copies"), "{e}");
}

/// The whole pipeline (engine on the paused clock → sim → observer →
/// journal → lag analysis): the wake-up episode's chain ends copies
/// desired → instances launched → copies in service, at the simulator's
/// own times, and the journal carries the copy counts.
#[test]
fn the_lag_chain_links_copies_and_instances() {
    use scaletrace::journal::read_run_dir;
    use scaletrace::journal::record::Record;
    use scaletrace::run::{RunOptions, run};
    use scaletrace::schedule::Shard;
    use scaletrace::timeline::lag::{self, Direction};

    let dir = tempfile::tempdir().unwrap();
    let src = format!(
        "name = \"ic\"\n[target]\nkind = \"sim\"\n[observe]\ninterval = \"10s\"\ntail = \"0s\"\n\
         [load]\narrivals = \"uniform\"\nseed = 3\nphases = [{{ duration = \"8m\", rate = 1 }}]\n{SIM}"
    );
    let profile = Profile::parse(Path::new("ic.toml"), &src).unwrap();
    run(
        profile,
        RunOptions {
            run_dir: Some(dir.path().to_path_buf()),
            reports_root: dir.path().to_path_buf(),
            quiet: true,
            shard: Shard::WHOLE,
            started_at: Some(chrono::Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()),
        },
    )
    .unwrap();
    let data = read_run_dir(dir.path()).unwrap();
    let copies: Vec<(f64, String, u32, u32)> = data
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Copies(c) => Some((c.t, c.status.clone(), c.current, c.desired)),
            _ => None,
        })
        .collect();
    assert_eq!(
        copies,
        vec![
            (0.0, "InService".to_string(), 0, 0),
            (120.0, "Updating".to_string(), 0, 1),
            (420.0, "InService".to_string(), 1, 1),
        ]
    );
    let tl = scaletrace::timeline::Timeline::build(&data).unwrap();
    let report = lag::analyze(&data, &tl, None).unwrap();
    let wake = report
        .episodes
        .iter()
        .find(|e| e.direction == Direction::Out)
        .unwrap();
    let links: Vec<(&str, Option<f64>, Option<f64>)> = wake
        .links
        .iter()
        .map(|l| (l.name.as_str(), l.t_s, l.delta_s))
        .collect();
    assert_eq!(
        links,
        vec![
            (lag::LOAD_CHANGE, Some(0.0), None),
            (lag::PAST_THRESHOLD, Some(60.0), Some(60.0)),
            (lag::READABLE, Some(120.0), Some(60.0)),
            (lag::ALARM, Some(120.0), Some(0.0)),
            (lag::ACTIVITY, Some(120.0), Some(0.0)),
            (lag::copies::COPIES_DESIRED, Some(120.0), Some(0.0)),
            (lag::copies::INSTANCES_LAUNCHED, Some(360.0), Some(240.0)),
            (lag::copies::COPIES_IN_SERVICE, Some(420.0), Some(60.0)),
        ]
    );
    assert_eq!(
        wake.links[4].detail.as_deref(),
        Some("0 → 1 copies (Successful)")
    );
    assert_eq!(wake.total_s, Some(420.0));
    // Every request sent before the copy was in service failed.
    assert_eq!(wake.impact.error_rate, 1.0);
}
