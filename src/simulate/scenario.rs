//! What each simulated candidate runs on: the profile's simulated endpoint
//! with the target-tracking policy's `TargetValue` (and cooldowns)
//! replaced, and optionally instances given the capacity `scaletrace
//! capacity` measured.
//!
//! The policy replaced is the target-tracking policy on
//! `SageMakerVariantInvocationsPerInstance` (the one named
//! `SageMakerEndpointInvocationScalingPolicy`, the console's built-in
//! policy, if there are several). A profile without one gets one under that
//! name (and, without `[sim.scalable_target]`, MinCapacity = the initial
//! instances and a MaxCapacity high enough never to bind). Other policies
//! and scheduled actions stay as the profile has them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sim::config::SimConfig;
use crate::sim::dist::Dist;
use crate::sim::metrics::{MetricId, Stat};
use crate::sim::policy::{
    BUILT_IN_POLICY_NAME, DEFAULT_COOLDOWN_S, PolicyConfig, PolicyKind, ScalingConfig,
    TargetTrackingConfig,
};

/// Why the candidates can't be built: the profile's simulated endpoint or
/// the `capacity.json` given doesn't fit.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The candidates vary an InvocationsPerInstance target; an async
    /// endpoint scales on its backlog instead.
    #[error(
        "simulate replays real-time traffic and varies the InvocationsPerInstance target; \
         this profile's simulated endpoint is async (it scales on the backlog)"
    )]
    AsyncEndpoint,
    /// The built-in policy's name is taken by a policy the candidates can't
    /// vary.
    #[error(
        "the profile's policy {BUILT_IN_POLICY_NAME:?} does not track {METRIC}, \
         so it can't take these target values (it is {kind})"
    )]
    BuiltInPolicyElsewhere {
        /// What it is instead, e.g. `a step policy`.
        kind: String,
    },
    #[error("--capacity-json {}: {source}", .file.display())]
    ReadCapacity {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--capacity-json {}: {source}", .file.display())]
    ParseCapacity {
        file: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Even the first step broke the SLO, so there is no rate to give the
    /// instances.
    #[error("capacity.json has no MAX_RPS (even the first step broke the SLO)")]
    NoMaxRps,
}

/// The predefined metric the candidates' target values are for.
pub const METRIC: &str = "SageMakerVariantInvocationsPerInstance";

/// One combination of settings to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// `TargetValue`: invocations per instance per minute.
    pub target_value: f64,
    /// `ScaleInCooldown`, seconds.
    pub scale_in_cooldown_s: f64,
    /// `ScaleOutCooldown`, seconds.
    pub scale_out_cooldown_s: f64,
}

impl Candidate {
    /// A name for its run directory: `tv600-in300-out300`.
    pub fn dir_name(&self) -> String {
        format!(
            "tv{}-in{}-out{}",
            num(self.target_value),
            num(self.scale_in_cooldown_s),
            num(self.scale_out_cooldown_s)
        )
    }
}

/// Whole numbers without decimals, others with two.
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The simulated endpoint every candidate starts from, with the policy to
/// vary found (or added).
#[derive(Debug, Clone)]
pub struct Base {
    pub sim: SimConfig,
    /// Index of the varied policy in `sim.scaling.policies`.
    policy: usize,
    /// What was added or assumed, for the output.
    pub notes: Vec<String>,
}

fn is_tracked(p: &PolicyConfig) -> bool {
    matches!(&p.kind, PolicyKind::TargetTracking(t) if t.metric == MetricId::InvocationsPerInstance)
}

impl Base {
    /// Finds the policy the candidates vary, adding it (and a scalable
    /// target) when the profile has none. `peak_rate` (requests/s) and the
    /// smallest candidate value size an added MaxCapacity:
    /// `ceil(peak × 60 / smallest value)`, what target tracking would ask
    /// for at the peak, so it never binds.
    pub fn new(
        mut sim: SimConfig,
        peak_rate: f64,
        smallest_value: f64,
    ) -> Result<Base, ScenarioError> {
        if sim.is_async() {
            return Err(ScenarioError::AsyncEndpoint);
        }
        let mut notes = Vec::new();
        let initial = sim.endpoint.initial_instances;
        let scaling = sim.scaling.get_or_insert_with(|| {
            let max = ((peak_rate * 60.0 / smallest_value).ceil() as u32).max(initial);
            notes.push(format!(
                "the profile has no [sim.scalable_target]: MinCapacity = {initial} (the initial \
                 instances), MaxCapacity = {max} (what the smallest target value asks for at the \
                 peak of {}/s, so it never binds)",
                num(peak_rate)
            ));
            ScalingConfig {
                min_capacity: initial,
                max_capacity: max,
                policies: Vec::new(),
                scheduled_actions: Vec::new(),
            }
        });
        let tracked: Vec<usize> = (0..scaling.policies.len())
            .filter(|&i| is_tracked(&scaling.policies[i]))
            .collect();
        let policy = match tracked
            .iter()
            .copied()
            .find(|&i| scaling.policies[i].name == BUILT_IN_POLICY_NAME)
            .or(tracked.first().copied())
        {
            Some(i) => {
                if tracked.len() > 1 {
                    notes.push(format!(
                        "{} target-tracking policies on {METRIC}: only {:?} is varied",
                        tracked.len(),
                        scaling.policies[i].name
                    ));
                }
                i
            }
            None => {
                if let Some(p) = scaling
                    .policies
                    .iter()
                    .find(|p| p.name == BUILT_IN_POLICY_NAME)
                {
                    return Err(ScenarioError::BuiltInPolicyElsewhere {
                        kind: match &p.kind {
                            PolicyKind::TargetTracking(t) => {
                                format!("target tracking on {}", t.metric_label)
                            }
                            PolicyKind::Step(_) => "a step policy".into(),
                        },
                    });
                }
                notes.push(format!(
                    "the profile has no target-tracking policy on {METRIC}: added one under the \
                     built-in name {BUILT_IN_POLICY_NAME}"
                ));
                scaling.policies.push(PolicyConfig {
                    name: BUILT_IN_POLICY_NAME.into(),
                    kind: PolicyKind::TargetTracking(TargetTrackingConfig {
                        target_value: smallest_value,
                        metric_label: METRIC.into(),
                        metric: MetricId::InvocationsPerInstance,
                        stat: Stat::Sum,
                        scale_in_cooldown_s: DEFAULT_COOLDOWN_S,
                        scale_out_cooldown_s: DEFAULT_COOLDOWN_S,
                        disable_scale_in: false,
                    }),
                });
                scaling.policies.len() - 1
            }
        };
        let others = scaling.policies.len() - 1;
        if others > 0 || !scaling.scheduled_actions.is_empty() {
            notes.push(format!(
                "kept as in the profile: {others} other polic{} and {} scheduled action{}",
                if others == 1 { "y" } else { "ies" },
                scaling.scheduled_actions.len(),
                if scaling.scheduled_actions.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
        Ok(Base { sim, policy, notes })
    }

    fn tracking(&self) -> &TargetTrackingConfig {
        let p = &self.sim.scaling.as_ref().expect("scaling").policies[self.policy];
        match &p.kind {
            PolicyKind::TargetTracking(t) => t,
            PolicyKind::Step(_) => unreachable!("the varied policy tracks a target"),
        }
    }

    /// The varied policy's name.
    pub fn policy_name(&self) -> &str {
        &self.sim.scaling.as_ref().expect("scaling").policies[self.policy].name
    }

    /// `(MinCapacity, MaxCapacity)`.
    pub fn bounds(&self) -> (u32, u32) {
        let s = self.sim.scaling.as_ref().expect("scaling");
        (s.min_capacity, s.max_capacity)
    }

    /// Every combination of the given values; an empty cooldown list keeps
    /// the policy's own.
    pub fn candidates(
        &self,
        target_values: &[f64],
        scale_in: &[f64],
        scale_out: &[f64],
    ) -> Vec<Candidate> {
        let t = self.tracking();
        let ins = if scale_in.is_empty() {
            vec![t.scale_in_cooldown_s]
        } else {
            scale_in.to_vec()
        };
        let outs = if scale_out.is_empty() {
            vec![t.scale_out_cooldown_s]
        } else {
            scale_out.to_vec()
        };
        let mut all = Vec::new();
        for &target_value in target_values {
            for &scale_in_cooldown_s in &ins {
                for &scale_out_cooldown_s in &outs {
                    all.push(Candidate {
                        target_value,
                        scale_in_cooldown_s,
                        scale_out_cooldown_s,
                    });
                }
            }
        }
        all
    }

    /// The simulated endpoint for one candidate.
    pub fn apply(&self, c: &Candidate) -> SimConfig {
        let mut sim = self.sim.clone();
        let p = &mut sim.scaling.as_mut().expect("scaling").policies[self.policy];
        if let PolicyKind::TargetTracking(t) = &mut p.kind {
            t.target_value = c.target_value;
            t.scale_in_cooldown_s = c.scale_in_cooldown_s;
            t.scale_out_cooldown_s = c.scale_out_cooldown_s;
        }
        sim
    }
}

/// The part of `capacity.json` the mapping needs.
#[derive(Debug, Clone, Deserialize)]
pub struct MeasuredCapacity {
    pub max_rps: Option<f64>,
    #[serde(default)]
    pub capped: bool,
    #[serde(default)]
    pub steps: Vec<MeasuredStep>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MeasuredStep {
    pub result: MeasuredResult,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MeasuredResult {
    pub rate: f64,
    pub p50_ms: f64,
}

/// Reads `capacity.json` (or `DIR/capacity.json`).
pub fn read_capacity(path: &Path) -> Result<(MeasuredCapacity, PathBuf), ScenarioError> {
    let file = if path.is_dir() {
        path.join("capacity.json")
    } else {
        path.to_path_buf()
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(source) => return Err(ScenarioError::ReadCapacity { file, source }),
    };
    let cap: MeasuredCapacity = match serde_json::from_str(&text) {
        Ok(cap) => cap,
        Err(source) => return Err(ScenarioError::ParseCapacity { file, source }),
    };
    Ok((cap, file))
}

/// Gives the simulated instances the measured capacity, so one instance's
/// throughput (`worker_slots / mean service time`) equals MAX_RPS:
///
/// 1. unloaded service time `s0` = the p50 latency of the lowest-rate step
///    (the profile's mean service time when no step has one);
/// 2. `worker_slots = max(1, round(MAX_RPS × s0))` (concurrency at MAX_RPS
///    by Little's law);
/// 3. mean service time = `worker_slots / MAX_RPS` (so the throughput is
///    exactly MAX_RPS), the profile's distribution scaled to that mean
///    (its shape, e.g. the p99/mean ratio, kept).
///
/// Returns the note describing it.
pub fn with_capacity(sim: &mut SimConfig, cap: &MeasuredCapacity) -> Result<String, ScenarioError> {
    let max_rps = cap
        .max_rps
        .filter(|m| m.is_finite() && *m > 0.0)
        .ok_or(ScenarioError::NoMaxRps)?;
    let lowest = cap
        .steps
        .iter()
        .map(|s| &s.result)
        .filter(|r| r.p50_ms > 0.0)
        .min_by(|a, b| a.rate.total_cmp(&b.rate));
    let s0 = lowest
        .map(|r| r.p50_ms / 1000.0)
        .unwrap_or(sim.instance.service_time.mean_s());
    let slots = ((max_rps * s0).round() as u32).max(1);
    let mean = slots as f64 / max_rps;
    let old = sim.instance.service_time.mean_s();
    let k = if old > 0.0 { mean / old } else { 1.0 };
    sim.instance.service_time = match sim.instance.service_time {
        Dist::Fixed { .. } => Dist::fixed(mean),
        Dist::Normal { p99_s, .. } => Dist::Normal {
            mean_s: mean,
            p99_s: p99_s * k,
        },
        Dist::Lognormal { p99_s, .. } => Dist::Lognormal {
            mean_s: mean,
            p99_s: p99_s * k,
        },
    };
    sim.instance.worker_slots = slots;
    Ok(format!(
        "instances given the measured capacity: MAX_RPS {}/s{}; unloaded service time {} ms \
         (p50 of the lowest step) → {slots} worker slot{} × {} ms mean service time = {}/s per \
         instance",
        num(max_rps),
        if cap.capped {
            " (a lower bound: the highest rate tried still held)"
        } else {
            ""
        },
        num(s0 * 1000.0),
        if slots == 1 { "" } else { "s" },
        num(mean * 1000.0),
        num(max_rps)
    ))
}

/// One instance's throughput in the simulation, requests/s.
pub fn instance_throughput(sim: &SimConfig) -> f64 {
    let mean = sim.instance.service_time.mean_s();
    if mean > 0.0 {
        sim.instance.worker_slots as f64 / mean
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> SimConfig {
        let path = Path::new("profiles/demo.toml");
        let source = std::fs::read_to_string(path).unwrap();
        crate::profile::Profile::parse(path, &source)
            .unwrap()
            .into_sim()
            .unwrap()
    }

    fn tracking(sim: &SimConfig) -> Vec<&TargetTrackingConfig> {
        sim.scaling
            .as_ref()
            .unwrap()
            .policies
            .iter()
            .filter_map(|p| match &p.kind {
                PolicyKind::TargetTracking(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_profiles_policy_is_varied() {
        let base = Base::new(demo(), 110.0, 300.0).unwrap();
        assert!(base.notes.is_empty(), "{:?}", base.notes);
        assert_eq!(base.policy_name(), BUILT_IN_POLICY_NAME);
        let cs = base.candidates(&[300.0, 900.0], &[], &[60.0, 120.0]);
        assert_eq!(cs.len(), 4);
        assert_eq!(cs[1].dir_name(), "tv300-in300-out120");
        let sim = base.apply(&cs[3]);
        let t = tracking(&sim);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].target_value, 900.0);
        assert_eq!(t[0].scale_in_cooldown_s, 300.0);
        assert_eq!(t[0].scale_out_cooldown_s, 120.0);
    }

    #[test]
    fn a_profile_without_scaling_gets_the_built_in_policy() {
        let mut sim = demo();
        sim.scaling = None;
        sim.endpoint.initial_instances = 2;
        let base = Base::new(sim, 110.0, 300.0).unwrap();
        assert_eq!(base.bounds(), (2, 22));
        assert_eq!(base.policy_name(), BUILT_IN_POLICY_NAME);
        assert_eq!(base.notes.len(), 2, "{:?}", base.notes);
        let sim = base.apply(&base.candidates(&[600.0], &[], &[])[0]);
        let t = tracking(&sim);
        assert_eq!(t[0].target_value, 600.0);
        assert_eq!(t[0].metric, MetricId::InvocationsPerInstance);
        assert_eq!(t[0].scale_in_cooldown_s, DEFAULT_COOLDOWN_S);
    }

    #[test]
    fn measured_capacity_sets_throughput_to_max_rps() {
        let mut sim = demo();
        let cap: MeasuredCapacity = serde_json::from_value(serde_json::json!({
            "max_rps": 30.0,
            "capped": false,
            "steps": [
                {"result": {"rate": 40.0, "p50_ms": 900.0}},
                {"result": {"rate": 10.0, "p50_ms": 100.0}},
            ]
        }))
        .unwrap();
        let note = with_capacity(&mut sim, &cap).unwrap();
        assert_eq!(sim.instance.worker_slots, 3);
        assert!((instance_throughput(&sim) - 30.0).abs() < 1e-9);
        // The lognormal's p99/mean ratio (150/50) is kept.
        match sim.instance.service_time {
            Dist::Lognormal { mean_s, p99_s } => assert!((p99_s / mean_s - 3.0).abs() < 1e-9),
            ref d => panic!("{d:?}"),
        }
        assert!(note.contains("3 worker slots × 100 ms"), "{note}");
        let none: MeasuredCapacity =
            serde_json::from_value(serde_json::json!({"max_rps": null})).unwrap();
        assert!(
            with_capacity(&mut sim, &none)
                .unwrap_err()
                .to_string()
                .contains("no MAX_RPS")
        );
    }
}
