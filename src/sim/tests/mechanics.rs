//! One test per scaling mechanic, on the synchronous model with explicit
//! times. Unless a test says otherwise: fixed 10 ms service, one-minute
//! periods starting at t = 0, publishing delay 60 s, so the datapoint of
//! minute k is readable at `(k + 2) × 60`.

use super::*;
use crate::sim::policy::BUILT_IN_POLICY_NAME;

#[test]
fn scale_out_alarm_fires_on_the_third_breaching_datapoint_plus_delay() {
    // 20 req/s = 1200 a minute on one instance, target 600.
    let cfg = tt_config(1, 1, 5, 600.0, "10m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 300.0, 20.0);
    // Minutes 0, 1, 2 breach; minute 2 ends at 180 and is readable at 240.
    assert_eq!(
        first_transition(&w, "AlarmHigh", AlarmState::Alarm),
        Some(240.0)
    );
    let t = w
        .transitions
        .iter()
        .find(|t| t.to == AlarmState::Alarm)
        .unwrap();
    assert!(
        t.reason
            .starts_with("Threshold Crossed: 3 datapoints [1200.0 (22/11/26 11:02:00)"),
        "{}",
        t.reason
    );
    assert!(
        t.reason
            .ends_with("were greater than the threshold (600.0).")
    );
    // The scaling activity follows at once, worded as AWS words it.
    let s = w.scaler.as_ref().unwrap();
    let a = &s.activities[0];
    assert_eq!(a.start, 240.0);
    assert_eq!(a.description, "Setting desired instance count to 2.");
    assert_eq!(
        a.cause,
        format!(
            "monitor alarm {} in state ALARM triggered policy {BUILT_IN_POLICY_NAME}",
            t.name
        )
    );
    assert!(
        t.name
            .starts_with("TargetTracking-endpoint/scaletrace-sim/variant/AllTraffic-AlarmHigh-")
    );
}

#[test]
fn two_breaching_and_one_not_do_not_fire() {
    let cfg = tt_config(1, 1, 5, 600.0, "10m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 120.0, 20.0);
    drive(&mut w, 120.0, 180.0, 5.0); // 300 a minute: below target
    drive(&mut w, 180.0, 480.0, 20.0);
    // Windows (0,1,2), (1,2,3), (2,3,4) each hold the quiet minute; (3,4,5)
    // is readable at 420.
    assert_eq!(
        first_transition(&w, "AlarmHigh", AlarmState::Alarm),
        Some(420.0)
    );
}

#[test]
fn scale_in_needs_15_of_15_below_90_percent_of_target() {
    // 3 instances at 20 req/s: 400 per instance a minute, below 540.
    let cfg = tt_config(3, 1, 5, 600.0, "1m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 300.0, 20.0);
    drive(&mut w, 300.0, 360.0, 30.0); // minute 5: 600 per instance, not below 540
    drive(&mut w, 360.0, 1400.0, 20.0);
    // Minutes 6..20 are the first 15 in a row below; minute 20 is readable
    // at 1320.
    assert_eq!(
        first_transition(&w, "AlarmLow", AlarmState::Alarm),
        Some(1320.0)
    );
    let low = w
        .transitions
        .iter()
        .find(|t| t.name.contains("AlarmLow") && t.to == AlarmState::Alarm)
        .unwrap();
    assert!(
        low.reason.starts_with("Threshold Crossed: 15 datapoints ["),
        "{}",
        low.reason
    );
    assert!(
        low.reason
            .ends_with("were less than the threshold (540.0)."),
        "{}",
        low.reason
    );
    // ceil(3 × 400 / 600) = 2.
    assert_eq!(scalings(&w), vec![(1320.0, 3, 2)]);
}

#[test]
fn scale_out_cooldown_blocks_a_second_scale_out_unless_larger() {
    // Launches take 10 minutes, so capacity is still being added.
    let cfg = tt_config(1, 1, 10, 600.0, "10m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 360.0, 20.0);
    // At 300 and 360 the alarm is still in ALARM and asks for
    // ceil(1 × 1200 / 600) = 2 again: the desired count already has it.
    assert_eq!(scalings(&w), vec![(240.0, 1, 2)]);
    drive(&mut w, 360.0, 600.0, 40.0);
    // Minute 6 (2400 a minute) is readable at 480: ceil(1 × 2400 / 600) = 4
    // is larger, so it scales out within the cooldown.
    assert_eq!(scalings(&w), vec![(240.0, 1, 2), (480.0, 2, 4)]);
}

#[test]
fn scale_in_cooldown_is_interrupted_by_a_scale_out_alarm() {
    let cfg = tt_config(3, 1, 5, 600.0, "1m", "ScaleInCooldown = 600");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 960.0, 10.0);
    // 200 a minute each, below 540: halfway from 3 towards 1.
    assert_eq!(scalings(&w), vec![(960.0, 3, 2)]);
    drive(&mut w, 960.0, 1500.0, 30.0);
    // 1800 a minute from 960 on. Minute 16 still has 3 instances (600 each,
    // not above target; the third leaves at 1020); minutes 17..19 breach,
    // readable at 1260, inside the scale-in cooldown (1020 + 600), which
    // does not hold the scale out back: ceil(2 × 900 / 600) = 3.
    assert_eq!(scalings(&w), vec![(960.0, 3, 2), (1260.0, 2, 3)]);
}

#[test]
fn max_capacity_clamps_and_reports_already_at_max() {
    // 2400 a minute asks for 4 instances; MaxCapacity is 2.
    let cfg = tt_config(1, 1, 2, 600.0, "1m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 600.0, 40.0);
    assert_eq!(scalings(&w), vec![(240.0, 1, 2)]);
    let s = w.scaler.as_ref().unwrap();
    let ns: Vec<_> = s
        .activities
        .iter()
        .filter_map(|a| a.not_scaled.as_ref().map(|n| (a, n)))
        .collect();
    assert_eq!(ns.len(), 1, "repeats are recorded once: {ns:?}");
    let (a, n) = ns[0];
    assert_eq!(n.code, "AlreadyAtMaxCapacity");
    assert_eq!(n.max_capacity, Some(2));
    assert_eq!(n.current_capacity, Some(2));
    assert_eq!(a.status, "Failed");
    assert_eq!(w.desired(), 2);
    assert_eq!(w.current(), 2);
}

#[test]
fn min_capacity_reports_already_at_min() {
    let cfg = tt_config(1, 1, 3, 600.0, "1m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 1100.0, 1.0);
    let s = w.scaler.as_ref().unwrap();
    let codes: Vec<&str> = s
        .activities
        .iter()
        .filter_map(|a| a.not_scaled.as_ref().map(|n| n.code.as_str()))
        .collect();
    assert_eq!(codes, vec!["AlreadyAtMinCapacity"]);
    assert!(scalings(&w).is_empty());
}

#[test]
fn disable_scale_in_keeps_capacity() {
    let cfg = tt_config(3, 1, 5, 600.0, "1m", "DisableScaleIn = true");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 1500.0, 10.0);
    assert_eq!(
        first_transition(&w, "AlarmLow", AlarmState::Alarm),
        Some(960.0)
    );
    assert!(scalings(&w).is_empty());
    assert_eq!(w.current(), 3);
}

#[test]
fn no_scale_in_on_insufficient_data() {
    let cfg = sim_config(
        r#"
[sim.endpoint]
initial_instances = 3
[sim.cloudwatch]
idle_minutes = "missing"
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 5
[[sim.policies]]
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 600
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }
"#,
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 2400.0, 0.0);
    assert!(scalings(&w).is_empty());
    assert!(first_transition(&w, "AlarmLow", AlarmState::Alarm).is_none());
    assert!(w.warnings().iter().any(|m| m.contains("idle_minutes")));
}

#[test]
fn two_policies_scale_in_only_when_both_agree() {
    // Invocations per instance are far below target, but CPU (1 s jobs,
    // 2.3 req/s over 3 instances: about 77 % CPU per instance)
    // sits between 90 % of 80 and 80, so the CPU policy does not agree.
    let cfg = sim_config(
        r#"
[sim.endpoint]
initial_instances = 3
routing = "least-outstanding"
overhead = "0s"
[sim.instance]
service_time = "1s"
worker_slots = 4
vcpus = 4
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 5
[[sim.policies]]
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 600
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }
[[sim.policies]]
PolicyName = "cpu"
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 80
CustomizedMetricSpecification = { MetricName = "CPUUtilization", Namespace = "/aws/sagemaker/Endpoints", Statistic = "Average" }
"#,
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 1500.0, 2.3);
    let lows: Vec<_> = w
        .transitions
        .iter()
        .filter(|t| t.name.contains("AlarmLow") && t.to == AlarmState::Alarm)
        .collect();
    assert_eq!(
        lows.len(),
        1,
        "only the invocations policy wants in: {lows:?}"
    );
    assert!(scalings(&w).is_empty(), "{:?}", scalings(&w));
    assert!(w.warnings().iter().any(|m| m.contains("cpu")));
}

#[test]
fn step_policy_bounds_pick_the_step_on_the_right_side() {
    // Threshold 600; [0, 500) → +1, [500, ∞) → +3. 1100 a minute is
    // exactly 500 above: the lower bound is inclusive above the threshold.
    let cfg = sim_config(
        r#"
[sim.endpoint]
overhead = "0s"
[sim.instance]
service_time = "10ms"
launch_time = "10m"
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 10
[[sim.policies]]
PolicyName = "step"
[sim.policies.StepScalingPolicyConfiguration]
AdjustmentType = "ChangeInCapacity"
StepAdjustments = [
  { MetricIntervalLowerBound = 0, MetricIntervalUpperBound = 500, ScalingAdjustment = 1 },
  { MetricIntervalLowerBound = 500, ScalingAdjustment = 3 },
]
[sim.policies.Alarm]
MetricName = "InvocationsPerInstance"
Statistic = "Sum"
Threshold = 600
ComparisonOperator = "GreaterThanOrEqualToThreshold"
EvaluationPeriods = 1
"#,
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 60.0, 1100.0 / 60.0);
    drive(&mut w, 60.0, 300.0, 0.0);
    assert_eq!(scalings(&w), vec![(120.0, 1, 4)]);
    let a = &w.scaler.as_ref().unwrap().activities[0];
    assert!(
        a.cause
            .contains("monitor alarm step-alarm in state ALARM triggered policy step")
    );
}

#[test]
fn scheduled_action_raises_min_and_ignores_cooldowns() {
    let cfg = tt_config(
        1,
        1,
        5,
        600.0,
        "1m",
        "[[sim.scheduled_actions]]\nScheduledActionName = \"raise\"\nSchedule = \"at(+2m)\"\nScalableTargetAction = { MinCapacity = 3 }\n",
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 200.0, 5.0);
    let s = w.scaler.as_ref().unwrap();
    assert_eq!(s.min, 3);
    let set = &s.activities[0];
    assert_eq!(set.cause, "scheduled action name raise was triggered");
    assert_eq!(
        set.description,
        "Setting min capacity to 3 and max capacity to 5"
    );
    let scale = &s.activities[1];
    assert_eq!(
        (scale.start, scale.from, scale.to),
        (120.0, Some(1), Some(3))
    );
    assert_eq!(scale.cause, "minimum capacity was set to 3");
    assert_eq!(scale.status, "Successful");
    assert_eq!(scale.end, Some(180.0));
    assert_eq!(w.current(), 3);
}

#[test]
fn endpoint_is_updating_while_instances_launch() {
    let cfg = tt_config(1, 1, 5, 600.0, "5m", "");
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 241.0, 20.0);
    assert_eq!((w.status(), w.current(), w.desired()), ("Updating", 1, 2));
    drive(&mut w, 241.0, 539.0, 20.0);
    assert_eq!((w.status(), w.current(), w.desired()), ("Updating", 1, 2));
    drive(&mut w, 539.0, 600.0, 20.0);
    // The datapoints read at 540 and 600 were measured on one instance:
    // ceil(1 × 1200 / 600) = 2, nothing more to add.
    assert_eq!((w.status(), w.current(), w.desired()), ("InService", 2, 2));
    let a = &w.scaler.as_ref().unwrap().activities[0];
    assert_eq!((a.status, a.end), ("Successful", Some(540.0)));
}

#[test]
fn async_scales_from_zero_through_has_backlog_without_capacity() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/async-scale-from-zero.toml");
    let cfg = Profile::load(&path).unwrap().into_sim().unwrap();
    let mut w = world(&cfg);
    assert_eq!(w.current(), 0);
    let mut tickets = Vec::new();
    for i in 0..1200 {
        tickets.push(w.invoke_async(120.0 + i as f64 * 0.5).unwrap());
    }
    w.advance(56.0 * 60.0);
    let s = w.scaler.as_ref().unwrap();
    let first = s
        .activities
        .iter()
        .find(|a| a.not_scaled.is_none())
        .unwrap();
    // The backlog passes 5 in the first minute of the burst, so target
    // tracking (backlog per instance, sized from one instance at 0, > 5
    // for minutes 2, 3 and 4, readable at 360) acts first:
    // ceil(1 × backlog / 5), clamped to MaxCapacity 5.
    assert_eq!((first.from, first.to), (Some(0), Some(5)));
    assert!(
        first.cause.contains("AlarmHigh")
            && first
                .cause
                .contains("SageMakerEndpointInvocationScalingPolicy"),
        "{}",
        first.cause
    );
    assert_eq!(first.start, 360.0);
    assert_eq!(first.end, Some(660.0));
    // HasBacklogWithoutCapacity reads 1 from 270 (150 s after the first
    // request): minute 4 averages 0.5, minutes 5 and 6 average 1, readable
    // at 480, when the step policy finds the endpoint at MaxCapacity.
    assert_eq!(
        first_transition(&w, "has-backlog-without-capacity", AlarmState::Alarm),
        Some(480.0)
    );
    let step = s
        .activities
        .iter()
        .find(|a| a.cause.contains("HasBacklogWithoutCapacity-ScalingPolicy"))
        .unwrap();
    assert_eq!(step.start, 480.0);
    assert_eq!(
        step.not_scaled.as_ref().map(|n| n.code.as_str()),
        Some("AlreadyAtMaxCapacity")
    );
    // Back to 0 gradually: the halfway rule, one step per ScaleInCooldown
    // (300 s) after each one-minute termination completes.
    assert_eq!(
        scalings(&w),
        vec![
            (360.0, 0, 5),
            (2100.0, 5, 3),
            (2460.0, 3, 2),
            (2820.0, 2, 1),
            (3180.0, 1, 0)
        ]
    );
    assert_eq!(w.current(), 0);
    // Every request finished (none expired with a one-hour TTL).
    assert_eq!(w.endpoint.counts.processed, 1200);
    assert_eq!(w.endpoint.counts.expired, 0);
    let done = finished(&mut tickets);
    assert_eq!(done, 1200);
}

/// How many async tickets finished (not expired or failed).
fn finished(tickets: &mut [crate::sim::endpoint::AsyncTicket]) -> usize {
    tickets
        .iter_mut()
        .filter_map(|t| t.rx.try_recv().ok())
        .filter(|d| matches!(d, crate::sim::endpoint::AsyncDone::Finished(_)))
        .count()
}

/// Target tracking alone scales an async endpoint from 0: the SageMaker
/// page "Autoscale an asynchronous endpoint" says that without the step
/// policy "the endpoint starts scaling up from zero only after the number of
/// backlog requests exceeds the target tracking value". A user's set-up
/// (HasBacklogWithoutCapacity, Maximum, TargetValue 0.5, MinCapacity 0,
/// MaxCapacity 1) goes 0 -> 1 after the 3-datapoint alarm.
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html>
#[test]
fn async_target_tracking_alone_scales_from_zero() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/async-target-tracking-only.toml");
    let cfg = Profile::load(&path).unwrap().into_sim().unwrap();
    let mut w = world(&cfg);
    assert_eq!(w.current(), 0);
    // One job every 5 s from 120 s to 720 s, as the profile's phases.
    let mut tickets = Vec::new();
    for i in 0..120 {
        tickets.push(w.invoke_async(120.0 + i as f64 * 5.0).unwrap());
    }
    w.advance(40.0 * 60.0);
    let s = w.scaler.as_ref().unwrap();
    // Never "did not scale" at 0 instances: the rule sizes from one (the
    // model used to log AlreadyAtDesiredCapacity with current 0 here).
    assert!(
        s.activities.iter().all(|a| a
            .not_scaled
            .as_ref()
            .is_none_or(|n| n.code != "AlreadyAtDesiredCapacity")),
        "{:?}",
        s.activities
    );
    let first = &s.activities[0];
    assert_eq!((first.from, first.to), (Some(0), Some(1)));
    assert!(first.cause.contains("AlarmHigh"), "{}", first.cause);
    // HasBacklogWithoutCapacity moves 150 s after the first request (at
    // 270); minutes 4, 5 and 6 read Maximum 1 (> 0.5); minute 6 ends at 420
    // and is readable after the 1-minute publishing delay: ALARM at 480,
    // 6 minutes after the first request.
    assert_eq!(
        first_transition(&w, "AlarmHigh", AlarmState::Alarm),
        Some(480.0)
    );
    assert_eq!(first.start, 480.0);
    // The instance launches for 5 minutes and then serves every request.
    assert_eq!(first.end, Some(780.0));
    // Back to 0 once 15 one-minute datapoints read 0 (< 0.45).
    assert_eq!(scalings(&w), vec![(480.0, 0, 1), (1740.0, 1, 0)]);
    assert_eq!(w.endpoint.counts.processed, 120);
    assert_eq!(w.endpoint.counts.expired, 0);
    let done = finished(&mut tickets);
    assert_eq!(done, 120);
}

/// Runs a profile's phases through the model with uniform arrivals.
fn run_profile(name: &str) -> (World, std::collections::BTreeMap<String, u64>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("profiles/{name}.toml"));
    let p = Profile::load(&path).unwrap();
    let mut w = world(p.sim().unwrap());
    let mut t = 0.0;
    let mut outcomes = std::collections::BTreeMap::new();
    for ph in &p.load.phases {
        let d = ph.duration.as_secs_f64();
        let n = (d * ph.from_rate).round() as u64;
        for i in 0..n {
            let a = w.invoke_realtime(t + i as f64 * d / n as f64);
            *outcomes.entry(format!("{:?}", a.outcome)).or_insert(0u64) += 1;
        }
        t += d;
        w.advance(t);
    }
    w.advance(t + p.observe.tail.as_secs_f64());
    (w, outcomes)
}

#[test]
fn the_demo_tells_the_whole_story() {
    let (w, outcomes) = run_profile("demo");
    // Scale out to 3 at 7 minutes (3 breaching minutes 3..5, + 1 minute
    // delay), instances in service about 5 minutes later, scale in to 1
    // once 15 minutes of the drop are readable (minutes 16..30, at 32).
    let s = scalings(&w);
    // Scale in is gradual (halfway: 3 → 2), and the next step waits for the
    // ScaleInCooldown (300 s) from the termination's completion at 1980.
    assert_eq!(s, vec![(420.0, 1, 3), (1920.0, 3, 2), (2280.0, 2, 1)]);
    let acts = &w.scaler.as_ref().unwrap().activities;
    let up = acts.iter().find(|a| a.to == Some(3)).unwrap();
    let in_service = up.end.unwrap();
    // 420 s plus the scale out's one launch_time draw (normal, mean 5 min,
    // p99 6 min) under the test world's seed 1: 316.7 s.
    assert_eq!(in_service, 736.712897819621);
    // Until then one instance could not keep up: 503s.
    assert!(outcomes["Http5xx"] > 1000, "{outcomes:?}");
    assert_eq!(w.current(), 1);
}

#[test]
fn high_resolution_concurrency_alarm_uses_10_second_periods() {
    // 4 req/s of 1 s jobs: about 4 requests in flight on one instance,
    // target 2 per model.
    let cfg = sim_config(
        r#"
[sim.endpoint]
overhead = "0s"
[sim.instance]
service_time = "1s"
launch_time = "5m"
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 4
[[sim.policies]]
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 2
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantConcurrentRequestsPerModelHighResolution" }
"#,
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 120.0, 4.0);
    let high = &w.alarms[0].spec;
    assert_eq!((high.period_s, high.evaluation_periods), (10, 3));
    assert_eq!(w.alarms[1].spec.period_s, 60);
    // 10-second periods 0, 1, 2 end at 30 and are readable at 90.
    assert_eq!(
        first_transition(&w, "AlarmHigh", AlarmState::Alarm),
        Some(90.0)
    );
    assert_eq!(scalings(&w), vec![(90.0, 1, 2)]);
}

#[test]
fn warnings_name_policies_that_cannot_act() {
    let cfg = sim_config(
        r#"
[sim.endpoint]
kind = "async"
initial_instances = 0
[sim.scalable_target]
MinCapacity = 0
MaxCapacity = 2
[[sim.policies]]
PolicyName = "mine"
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 600
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }
"#,
    );
    let w = world(&cfg);
    let warnings = w.warnings().join("\n");
    assert!(
        warnings.contains("policy mine tracks SageMakerVariantInvocationsPerInstance which an async endpoint does not publish: it never scales"),
        "{warnings}"
    );
    assert!(
        warnings.contains("is not named SageMakerEndpointInvocationScalingPolicy"),
        "{warnings}"
    );
    assert!(
        warnings.contains("target tracking alone scales out from 0 instances only after the backlog exceeds its target value"),
        "{warnings}"
    );
}

#[test]
fn cron_and_rate_schedules_run_on_the_utc_clock() {
    // The run starts at 11:00:00 UTC (see `world`).
    let cfg = tt_config(
        1,
        1,
        5,
        600.0,
        "1m",
        "[[sim.scheduled_actions]]\nScheduledActionName = \"at-1105\"\nSchedule = \"cron(5 11 * * ? *)\"\nScalableTargetAction = { MinCapacity = 2 }\n\
         [[sim.scheduled_actions]]\nScheduledActionName = \"every-10m\"\nSchedule = \"rate(10 minutes)\"\nScalableTargetAction = { MaxCapacity = 4 }\n\
         [[sim.scheduled_actions]]\nScheduledActionName = \"utc\"\nSchedule = \"at(2026-11-22T11:15:00)\"\nScalableTargetAction = { MinCapacity = 3 }\n",
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 1300.0, 1.0);
    let fired: Vec<(f64, String)> = w
        .scaler
        .as_ref()
        .unwrap()
        .activities
        .iter()
        .filter(|a| a.cause.starts_with("scheduled action"))
        .map(|a| (a.start, a.cause.clone()))
        .collect();
    let at = |t: f64, n: &str| (t, format!("scheduled action name {n} was triggered"));
    assert_eq!(
        fired,
        vec![
            at(300.0, "at-1105"),
            at(600.0, "every-10m"),
            at(900.0, "utc"),
            at(1200.0, "every-10m"),
        ]
    );
    assert_eq!(w.desired(), 3);
}
