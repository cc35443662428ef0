//! Larger simulator tests: one per scaling mechanic, driving the
//! synchronous model with explicit times ([`mechanics`], [`cooldowns`]), and the async
//! layer under a paused tokio clock ([`runtime`]).

mod config_errors;
mod cooldowns;
mod idle;
mod mechanics;
mod runtime;
mod stream;

use std::path::Path;

use chrono::{TimeZone, Utc};

use super::config::SimConfig;
use super::world::World;
use crate::journal::record::AlarmState;
use crate::profile::Profile;

/// A `[sim]` configuration from TOML (everything under `[sim]`).
pub(crate) fn sim_config(sim_toml: &str) -> SimConfig {
    let src = format!(
        "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{sim_toml}"
    );
    Profile::parse(Path::new("t.toml"), &src)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_sim()
        .expect("sim config")
}

/// A real-time endpoint with fixed 10 ms service, one policy tracking
/// InvocationsPerInstance at `target`; `extra` is appended to the policy
/// configuration table.
pub(crate) fn tt_config(
    initial: u32,
    min: u32,
    max: u32,
    target: f64,
    launch: &str,
    extra: &str,
) -> SimConfig {
    sim_config(&format!(
        r#"
[sim.endpoint]
initial_instances = {initial}
overhead = "0s"
[sim.instance]
service_time = "10ms"
launch_time = "{launch}"
termination_time = "1m"
[sim.scalable_target]
MinCapacity = {min}
MaxCapacity = {max}
[[sim.policies]]
PolicyName = "SageMakerEndpointInvocationScalingPolicy"
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = {target}
PredefinedMetricSpecification = {{ PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }}
{extra}
"#
    ))
}

pub(crate) fn world(cfg: &SimConfig) -> World {
    World::new(
        cfg,
        1,
        Utc.with_ymd_and_hms(2026, 11, 22, 11, 0, 0).unwrap(),
    )
}

/// Sends real-time requests evenly at `rate` per second over `[from, to)`.
pub(crate) fn drive(w: &mut World, from: f64, to: f64, rate: f64) {
    if rate > 0.0 {
        let n = ((to - from) * rate).round() as u64;
        for i in 0..n {
            w.invoke_realtime(from + i as f64 / rate);
        }
    }
    w.advance(to);
}

/// When alarm `name` (by suffix role, e.g. "AlarmHigh") first went to `to`.
pub(crate) fn first_transition(w: &World, role: &str, to: AlarmState) -> Option<f64> {
    w.transitions
        .iter()
        .find(|t| t.name.contains(role) && t.to == to)
        .map(|t| t.at)
}

/// Activities that changed the desired count: (start, from, to).
pub(crate) fn scalings(w: &World) -> Vec<(f64, u32, u32)> {
    w.scaler
        .as_ref()
        .map(|s| {
            s.activities
                .iter()
                .filter(|a| a.not_scaled.is_none() && a.from != a.to)
                .map(|a| (a.start, a.from.unwrap(), a.to.unwrap()))
                .collect()
        })
        .unwrap_or_default()
}
