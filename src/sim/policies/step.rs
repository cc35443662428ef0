//! Step scaling (`StepScaling`): the user's own CloudWatch alarm triggers
//! the policy, which picks the step adjustment covering how far the
//! aggregated metric is past the alarm's threshold.
//!
//! Facts from SAGEMAKER.md kept here:
//! - The metric is aggregated over the alarm's datapoints by
//!   `MetricAggregationType` (default Average); step bounds are offsets
//!   from the alarm threshold ([`rules::find_step`](super::super::rules::find_step)).
//! - During `Cooldown` a step measures the adjustment from the capacity
//!   before the cooldown began (the capacity just added counts), and +N
//!   that is not above the desired count adds nothing (and removes
//!   nothing); a scale in waits for its cooldown to end.
//! - The scale-from-zero policy AWS documents for async endpoints is a step
//!   policy on `HasBacklogWithoutCapacity` (or `ApproximateBacklogSize`)
//!   that adds capacity.

use super::super::alarm::Alarm;
use super::super::config::SimConfig;
use super::super::metrics::{MetricId, MetricStore};
use super::super::policy::{AdjustmentType, Aggregation, StepConfig};
use super::super::rules::{self, ScaleInRule};
use super::{Direction, EvalCtx, Policy, PolicyState, Proposal};
use crate::journal::record::PolicyRecord;

pub struct Step {
    name: String,
    cfg: StepConfig,
    /// Its alarm.
    alarms: [usize; 1],
}

impl Step {
    /// Creates the user's alarm that triggers the policy, appended to
    /// `alarms`.
    pub fn new(name: &str, s: &StepConfig, store: &MetricStore, alarms: &mut Vec<Alarm>) -> Step {
        alarms.push(Alarm::new(s.alarm.clone(), store));
        Step {
            name: name.to_string(),
            cfg: s.clone(),
            alarms: [alarms.len() - 1],
        }
    }
}

impl Policy for Step {
    fn name(&self) -> &str {
        &self.name
    }

    fn alarms(&self) -> &[usize] {
        &self.alarms
    }

    fn evaluate(&self, alarm: usize, state: &PolicyState, cx: &EvalCtx) -> Option<Proposal> {
        let s = &self.cfg;
        let vals: Vec<f64> = cx.alarms[alarm].window.iter().flatten().copied().collect();
        if vals.is_empty() {
            return None;
        }
        let v = match s.aggregation {
            Aggregation::Average => vals.iter().sum::<f64>() / vals.len() as f64,
            Aggregation::Minimum => vals.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregation::Maximum => vals.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        };
        let above = s.alarm.comparison.is_upper();
        let step = rules::find_step(&s.steps, v - s.alarm.threshold, above)?;
        // The direction a step may move capacity (an exact capacity: either).
        let only = if s.adjustment_type == AdjustmentType::ExactCapacity {
            None
        } else if step.adjustment > 0 {
            Some(Direction::Out)
        } else if step.adjustment < 0 {
            Some(Direction::In)
        } else {
            None
        };
        let base = if step.adjustment > 0 && cx.cooling(state.out_activity, s.cooldown_s) {
            state.cooldown_base
        } else if step.adjustment < 0 && cx.cooling(state.in_activity, s.cooldown_s) {
            return None;
        } else {
            cx.desired
        };
        let capacity = rules::step_capacity(
            base,
            s.adjustment_type,
            step.adjustment,
            s.min_adjustment_magnitude,
        );
        Some(Proposal {
            capacity,
            only,
            wants_out: capacity >= cx.desired as i64,
        })
    }

    fn scale_out_cooldown_s(&self) -> f64 {
        self.cfg.cooldown_s
    }

    fn scales_from_zero(&self) -> bool {
        let s = &self.cfg;
        let adds = s.steps.iter().any(|st| st.adjustment > 0)
            || s.adjustment_type == AdjustmentType::ExactCapacity;
        adds && s.adjustment_type != AdjustmentType::PercentChangeInCapacity
            && (s.alarm.metric == MetricId::HasBacklogWithoutCapacity
                || s.alarm.metric == MetricId::ApproximateBacklogSize
                || s.alarm.metric == MetricId::NoCapacityInvocationFailures)
    }

    fn warnings(&self, sim: &SimConfig, out: &mut Vec<String>) {
        let s = &self.cfg;
        if !sim.publishes(s.alarm.metric) {
            out.push(format!(
                "alarm {} of policy {} watches {} which this endpoint does not publish: it never fires",
                s.alarm.name,
                self.name,
                s.alarm.metric.name()
            ));
        }
    }

    fn record(&self, now: f64, alarms: Vec<String>, _scale_in: ScaleInRule) -> PolicyRecord {
        let s = &self.cfg;
        PolicyRecord {
            t: now,
            name: self.name.clone(),
            policy_type: "StepScaling".into(),
            metric: Some(s.alarm.metric.name().into()),
            target_value: None,
            scale_in_cooldown_s: Some(s.cooldown_s as u32),
            scale_out_cooldown_s: Some(s.cooldown_s as u32),
            disable_scale_in: false,
            alarms,
            simulated_scale_in_rule: None,
        }
    }
}
