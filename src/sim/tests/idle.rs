//! When an endpoint that has gone idle scales in: the answer depends on
//! whether idle minutes publish a 0 datapoint or none
//! (`sim.cloudwatch.idle_minutes`; AWS does not document it), on CloudWatch's
//! evaluation range with missing data, and on the gradual scale-in rule.
//! Users on AWS report scale-in well after the 15 minutes of the low alarm
//! (more than 25 minutes with target 1500); this is the model's account.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data>

use super::*;

/// Four instances at 1400 invocations a minute each (between 1350, 90 % of
/// the target 1500, and the target: no scaling), then nothing from 600 s.
fn idle_after_load(idle: &str) -> World {
    let cfg = tt_config(
        4,
        1,
        4,
        1500.0,
        "5m",
        &format!("[sim.cloudwatch]\nidle_minutes = \"{idle}\"\n"),
    );
    let mut w = world(&cfg);
    drive(&mut w, 0.0, 600.0, 4.0 * 1400.0 / 60.0);
    drive(&mut w, 600.0, 3600.0, 0.0);
    w
}

#[test]
fn idle_minutes_as_zero_scale_in_from_16_minutes_and_reach_one_at_28() {
    let w = idle_after_load("zero");
    // Minutes 10..24 read 0 (< 1350): the 15th is readable at 26 × 60.
    assert_eq!(
        first_transition(&w, "AlarmLow", AlarmState::Alarm),
        Some(1560.0)
    );
    // Halfway each time, every termination (1 min) + ScaleInCooldown (300 s)
    // later: 16, 22 and 28 minutes after the load stopped.
    assert_eq!(
        scalings(&w),
        vec![(1560.0, 4, 3), (1920.0, 3, 2), (2280.0, 2, 1)]
    );
}

#[test]
fn idle_minutes_as_missing_never_scale_in() {
    let w = idle_after_load("missing");
    // The good datapoints of minutes 0..9 keep the low alarm OK while any is
    // in its 17-period evaluation range; once minute 9 leaves it (at 28 ×
    // 60) nothing is left: INSUFFICIENT_DATA, and target tracking does not
    // scale in on INSUFFICIENT_DATA.
    let low: Vec<(f64, AlarmState)> = w
        .transitions
        .iter()
        .filter(|t| t.name.contains("AlarmLow"))
        .map(|t| (t.at, t.to))
        .collect();
    assert_eq!(
        low,
        vec![
            (120.0, AlarmState::Ok),
            (1680.0, AlarmState::InsufficientData)
        ]
    );
    assert_eq!(scalings(&w), vec![]);
    assert_eq!(w.current(), 4);
}
