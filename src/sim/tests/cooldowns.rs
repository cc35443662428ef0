//! Cooldowns, on the synchronous model with exact times. AWS runs them from
//! when the scaling activity **completes** (for SageMaker: the new
//! instances in service), and during a scale-out cooldown the capacity just
//! added counts toward the next scale out. Application Auto Scaling API
//! reference, TargetTrackingScalingPolicyConfiguration and
//! StepScalingPolicyConfiguration:
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html>
//! <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html>
//!
//! Same conventions as [`super::mechanics`]: fixed 10 ms service, one-minute
//! periods from t = 0, publishing delay 60 s, so the datapoint of minute k
//! is readable at `(k + 2) × 60`.

use super::*;

/// Constant 20 req/s (1200 a minute) against target 600, two-minute
/// launches, with `ScaleOutCooldown = cooldown_s`.
fn steady_overload(cooldown_s: u32) -> World {
    let cfg = tt_config(
        1,
        1,
        10,
        600.0,
        "2m",
        &format!("ScaleOutCooldown = {cooldown_s}"),
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 900.0, 20.0);
    w
}

#[test]
fn scale_out_cooldown_keeps_a_stale_datapoint_from_compounding() {
    // Minutes 0..2 breach: AlarmHigh at 240, ceil(1 × 1200 / 600) = 2. The
    // second instance is in service at 360, when the alarm still reads
    // minute 4 (1200, measured on one instance).
    //
    // With a 600 s cooldown (running from 360) that datapoint is sized
    // with the one instance it was measured on: 2, already desired.
    assert_eq!(scalings(&steady_overload(600)), vec![(240.0, 1, 2)]);
    // With no cooldown AAS sizes it from the 2 instances now in service:
    // ceil(2 × 1200 / 600) = 4, an overshoot the load never needed.
    assert_eq!(
        scalings(&steady_overload(0)),
        vec![(240.0, 1, 2), (360.0, 2, 4)]
    );
}

#[test]
fn scale_out_cooldown_runs_from_completion_not_start() {
    let w = steady_overload(90);
    let acts = &w.scaler.as_ref().unwrap().activities;
    // The activity started at 240 and completed at 360 (two-minute launch).
    assert_eq!((acts[0].start, acts[0].end), (240.0, Some(360.0)));
    // A 90 s cooldown from the start would be over by 330 and scale 2 → 4 at
    // 360; from completion it covers 360..450: at 360 and 420 the alarm
    // reads minutes 4 and 5, measured on one instance (2, already desired),
    // and at 480 minute 6 (600 per instance) puts the alarm back to OK.
    assert_eq!(scalings(&w), vec![(240.0, 1, 2)]);
    let back_to_ok = w
        .transitions
        .iter()
        .find(|t| t.name.contains("AlarmHigh") && t.from == AlarmState::Alarm)
        .map(|t| (t.at, t.to));
    assert_eq!(back_to_ok, Some((480.0, AlarmState::Ok)));
}

#[test]
fn scale_in_cooldown_runs_from_completion_not_start() {
    let cfg = tt_config(3, 1, 5, 600.0, "1m", "ScaleInCooldown = 300");
    let mut w = world(&cfg);
    // 900 a minute on 3 instances = 300 each, below 540 (90 % of 600):
    // minutes 0..14 are readable at 960, ceil(3 × 300 / 600) = 2.
    drive(&mut w, 0.0, 960.0, 15.0);
    assert_eq!(scalings(&w), vec![(960.0, 3, 2)]);
    // The load drops to 300 a minute (150 each on 2): the low alarm stays in
    // ALARM and asks for 1 from 1020 on. The termination completes at 1020
    // (one minute), so the cooldown ends at 1320, not at 960 + 300 = 1260.
    drive(&mut w, 960.0, 1500.0, 5.0);
    let acts = &w.scaler.as_ref().unwrap().activities;
    assert_eq!(acts[0].end, Some(1020.0));
    assert_eq!(scalings(&w), vec![(960.0, 3, 2), (1320.0, 2, 1)]);
}

#[test]
fn step_policy_cooldown_runs_from_completion_and_counts_capacity_being_added() {
    // +1 every minute while in ALARM. The first +1 starts at 120 and its
    // instance lands at 720 (10-minute launch); until 720 + 300 the +1 is
    // measured from the capacity before it began, so it adds nothing more.
    let cfg = sim_config(
        r#"
[sim.instance]
launch_time = "10m"
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 10
[[sim.policies]]
PolicyName = "step"
[sim.policies.StepScalingPolicyConfiguration]
AdjustmentType = "ChangeInCapacity"
Cooldown = 300
StepAdjustments = [{ MetricIntervalLowerBound = 0, ScalingAdjustment = 1 }]
[sim.policies.Alarm]
MetricName = "Invocations"
Statistic = "Sum"
Threshold = 600
ComparisonOperator = "GreaterThanThreshold"
EvaluationPeriods = 1
"#,
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 1100.0, 20.0);
    // From the start (120 + 300) it would have added the next at 420.
    assert_eq!(scalings(&w), vec![(120.0, 1, 2), (1020.0, 2, 3)]);
}

#[test]
fn the_scale_in_rule_is_a_profile_setting() {
    // Same load as above with the rule that goes straight to the
    // proportional size: 3 → ceil(3 × 300 / 600) = 2 either way, but at
    // 200 a minute each (10 req/s) halfway stops at 2 where proportional
    // goes to 1.
    let run = |rule: &str| {
        let mut cfg = tt_config(3, 1, 5, 600.0, "1m", "");
        cfg.autoscaler.scale_in = match rule {
            "proportional" => crate::sim::config::ScaleInRule::Proportional,
            "one-instance" => crate::sim::config::ScaleInRule::OneInstance,
            _ => crate::sim::config::ScaleInRule::Halfway,
        };
        let mut w = world(&cfg);
        drive(&mut w, 0.0, 1000.0, 10.0);
        scalings(&w)
    };
    assert_eq!(run("halfway"), vec![(960.0, 3, 2)]);
    assert_eq!(run("proportional"), vec![(960.0, 3, 1)]);
    assert_eq!(run("one-instance"), vec![(960.0, 3, 2)]);
    // And it parses from [sim.autoscaler].
    let cfg = sim_config("[sim.autoscaler]\nscale_in = \"proportional\"\n");
    assert_eq!(
        cfg.autoscaler.scale_in,
        crate::sim::config::ScaleInRule::Proportional
    );
}
