//! A ramp in `run` on the simulated endpoint (paused clock): the scale-out
//! episode opens where the offered load crossed the level that breaches
//! the target at the capacity in service (target × instances / 60 per
//! second for InvocationsPerInstance), not at the ramp's beginning, and
//! the load-change link says so.

use std::path::Path;

use chrono::TimeZone;
use scaletrace::journal::read_run_dir;
use scaletrace::profile::Profile;
use scaletrace::run::{RunOptions, run};
use scaletrace::schedule::Shard;

/// One instance of 4 workers × 20 ms, target 600 invocations per
/// instance-minute: 10 requests/s breach it at one instance.
const PROFILE: &str = r#"
name = "ramp"
[target]
kind = "sim"
[observe]
interval = "10s"
[sim.endpoint]
name = "ramp-test"
initial_instances = 1
[sim.instance]
worker_slots = 4
service_time = "20ms"
launch_time = "2m"
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
ScaleOutCooldown = 180
[load]
arrivals = "uniform"
seed = 7
phases = [
  { duration = "2m", rate = 5 },
  { duration = "4m", from = 5, to = 25 },
  { duration = "4m", rate = 25 },
]
"#;

#[test]
fn a_ramps_episode_starts_where_the_load_crossed_the_breaching_level() {
    let dir = tempfile::tempdir().unwrap();
    let profile = Profile::parse(Path::new("ramp.toml"), PROFILE).unwrap();
    run(
        profile,
        RunOptions {
            run_dir: Some(dir.path().to_path_buf()),
            reports_root: dir.path().to_path_buf(),
            quiet: true,
            shard: Shard::WHOLE,
            started_at: Some(chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()),
        },
    )
    .unwrap();
    let data = read_run_dir(dir.path()).unwrap();
    let report = scaletrace::report::Report::build(data).unwrap();
    let lag = &report.summary.measures.lag;
    let out = lag
        .iter()
        .find(|e| e.cause.contains("phase"))
        .unwrap_or_else(|| panic!("no load-change episode in {lag:#?}"));
    // The ramp runs 5 → 25/s over 120–360 s; 10/s breaches 600 per minute
    // at one instance: 120 + (10 − 5) / (25 − 5) × 240 = 180 s.
    let first = &out.links[0];
    assert_eq!(first.name, "load change");
    assert_eq!(first.t_s, Some(180.0), "{:#?}", out.links);
    assert_eq!(
        first.detail.as_deref(),
        Some("ramp from 120 s: load crossed 10/s = target 600 × 1 instance / 60 s at 180 s")
    );
    // The first minute past 600 per instance is 180–240 s (10 → 15/s).
    assert_eq!(out.links[1].name, "datapoint past threshold");
    assert_eq!(out.links[1].t_s, Some(240.0), "{:#?}", out.links);
    assert_eq!(out.impact.from_s, 180.0);
}
