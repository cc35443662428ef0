//! Target tracking (`TargetTrackingScaling`).
//!
//! Facts from SAGEMAKER.md kept here:
//! - Target tracking creates and owns two alarms: scale out when the metric
//!   is **> target for 3 of 3** one-minute datapoints, scale in when it is
//!   **< 90 % of target for 15 of 15**. (For the 10-second
//!   `ConcurrentRequestsPerModel` and `ConcurrentRequestsPerCopy`
//!   metrics the scale-out alarm uses 10-second periods; the scale-in
//!   alarm keeps one-minute periods. SageMaker documents the speeds: with
//!   these metrics a policy "reacts by scaling out much more quickly than
//!   it would for standard metrics", while it "scales in at the same speed
//!   as it would for standard metrics"; the datapoint count at 10 s (3 of
//!   3 by default) is an assumption, AWS does not publish it, so it is the
//!   setting `[sim.autoscaler] high_resolution_datapoints`.
//!   <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html>)
//! - New capacity is [`rules::proportional`](super::super::rules::proportional) (`ceil(current × metric /
//!   target)`), clamped to [min, max]. At 0 instances it sizes from one
//!   instance: AWS documents that target tracking alone scales up from zero
//!   "only after the number of backlog requests exceeds the target tracking
//!   value" (slower than the optional scale-from-zero step policy on
//!   `HasBacklogWithoutCapacity`, not impossible).
//! - Scale in is gradual: the proportional size, clamped, goes through the
//!   [`ScaleInRule`] (default `halfway`, an assumption; AWS publishes no
//!   rule, only that target tracking "scales in more gradually").
//! - Scale in only when every target-tracking policy with scale-in enabled
//!   agrees (its low alarm is in ALARM, outside its scale-in cooldown); the
//!   largest capacity wins. No scale-in on INSUFFICIENT_DATA (the alarm is
//!   not in ALARM). `DisableScaleIn` stops a policy from removing capacity
//!   (and from voting).
//! - During a scale-out cooldown target tracking sizes from the instances
//!   the datapoint was measured with (a datapoint from before the new
//!   instances does not ask for them twice); outside it, from the instances
//!   in service now, so with `ScaleOutCooldown = 0` a stale datapoint
//!   compounds with capacity that just arrived and overshoots (the
//!   overshoot AWS's cooldown exists to prevent; how AAS sizes is not
//!   published, this is the model).

use super::super::alarm::{Alarm, AlarmSpec, Comparison, TreatMissing};
use super::super::config::SimConfig;
use super::super::metrics::MetricStore;
use super::super::policy::{BUILT_IN_POLICY_NAME, TargetTrackingConfig};
use super::super::rules::ScaleInRule;
use super::{Direction, EvalCtx, Policy, PolicyState, Proposal, Vote};
use crate::journal::record::{AlarmState, PolicyRecord};

pub struct TargetTracking {
    name: String,
    cfg: TargetTrackingConfig,
    /// AlarmHigh, AlarmLow.
    alarms: [usize; 2],
}

impl TargetTracking {
    /// Creates the policy's two alarms (`<prefix>-AlarmHigh-<uuid>`,
    /// `<prefix>-AlarmLow-<uuid>`), appended to `alarms`.
    pub fn new(
        name: &str,
        t: &TargetTrackingConfig,
        prefix: &str,
        high_resolution_datapoints: u32,
        store: &MetricStore,
        alarms: &mut Vec<Alarm>,
        uuid: &mut dyn FnMut() -> String,
    ) -> TargetTracking {
        let hi_period = t.metric.resolution_s();
        // 3 of 3 one-minute datapoints (documented); at 10 s the count is
        // `[sim.autoscaler] high_resolution_datapoints` (an assumption).
        let hi_n = if hi_period < 60 {
            high_resolution_datapoints
        } else {
            3
        };
        let id = uuid();
        let mk = |role: &str, cmp, th, period, n| AlarmSpec {
            name: format!("{prefix}-Alarm{role}-{id}"),
            metric: t.metric,
            stat: t.stat,
            period_s: period,
            threshold: th,
            comparison: cmp,
            evaluation_periods: n,
            datapoints_to_alarm: n,
            treat_missing: TreatMissing::Missing,
        };
        alarms.push(Alarm::new(
            mk(
                "High",
                Comparison::GreaterThanThreshold,
                t.target_value,
                hi_period,
                hi_n,
            ),
            store,
        ));
        alarms.push(Alarm::new(
            mk(
                "Low",
                Comparison::LessThanThreshold,
                0.9 * t.target_value,
                60,
                15,
            ),
            store,
        ));
        TargetTracking {
            name: name.to_string(),
            cfg: t.clone(),
            alarms: [alarms.len() - 2, alarms.len() - 1],
        }
    }

    fn low(&self) -> usize {
        self.alarms[1]
    }
}

impl Policy for TargetTracking {
    fn name(&self) -> &str {
        &self.name
    }

    fn alarms(&self) -> &[usize] {
        &self.alarms
    }

    fn evaluate(&self, alarm: usize, state: &PolicyState, cx: &EvalCtx) -> Option<Proposal> {
        let t = &self.cfg;
        let is_low = alarm == self.low();
        let v = cx.alarms[alarm].latest()?;
        if is_low && t.disable_scale_in {
            return None;
        }
        if is_low && cx.cooling(state.in_activity, t.scale_in_cooldown_s) {
            return None;
        }
        // During the scale-out cooldown the capacity just added counts:
        // size from the instances the datapoint was measured with, so a
        // datapoint from before the new instances does not ask for them
        // again. Outside it AAS has only the current capacity to size from,
        // and a stale datapoint compounds with it: that overshoot is what
        // ScaleOutCooldown exists to prevent.
        let base = if !is_low && cx.cooling(state.out_activity, t.scale_out_cooldown_s) {
            cx.measured(alarm)
        } else {
            cx.in_service as f64
        };
        let sized = (cx.rule)(base, v, t.target_value).clamp(cx.min, cx.max);
        // Each alarm only moves capacity its own way.
        Some(if is_low {
            Proposal {
                capacity: (cx.scale_in.function())(cx.desired, sized) as i64,
                only: Some(Direction::In),
                wants_out: false,
            }
        } else {
            Proposal {
                capacity: sized as i64,
                only: Some(Direction::Out),
                wants_out: true,
            }
        })
    }

    fn scale_out_cooldown_s(&self) -> f64 {
        self.cfg.scale_out_cooldown_s
    }

    fn scales_in_together(&self) -> bool {
        true
    }

    fn scale_in_vote(&self, state: &PolicyState, cx: &EvalCtx) -> Vote {
        let t = &self.cfg;
        if t.disable_scale_in {
            return Vote::Abstain;
        }
        let low = &cx.alarms[self.low()];
        if low.state != AlarmState::Alarm || cx.cooling(state.in_activity, t.scale_in_cooldown_s) {
            return Vote::Veto;
        }
        let Some(v) = low.latest() else {
            return Vote::Veto;
        };
        let sized = ((cx.rule)(cx.in_service as f64, v, t.target_value)).clamp(cx.min, cx.max);
        Vote::Agree((cx.scale_in.function())(cx.desired, sized))
    }

    fn warnings(&self, sim: &SimConfig, out: &mut Vec<String>) {
        let t = &self.cfg;
        if !sim.publishes(t.metric) {
            out.push(format!(
                "policy {} tracks {} which an {} endpoint does not publish: it never scales",
                self.name,
                t.metric_label,
                if sim.is_async() { "async" } else { "real-time" }
            ));
        }
        if self.name != BUILT_IN_POLICY_NAME {
            out.push(format!(
                "target tracking policy {} is not named {}: the SageMaker console shows it as a custom policy",
                self.name, BUILT_IN_POLICY_NAME
            ));
        }
    }

    fn record(&self, now: f64, alarms: Vec<String>, scale_in: ScaleInRule) -> PolicyRecord {
        let t = &self.cfg;
        PolicyRecord {
            t: now,
            name: self.name.clone(),
            policy_type: "TargetTrackingScaling".into(),
            metric: Some(t.metric_label.clone()),
            target_value: Some(t.target_value),
            scale_in_cooldown_s: Some(t.scale_in_cooldown_s as u32),
            scale_out_cooldown_s: Some(t.scale_out_cooldown_s as u32),
            disable_scale_in: t.disable_scale_in,
            alarms,
            simulated_scale_in_rule: Some(format!("{}: {}", scale_in.name(), scale_in.describe())),
        }
    }
}
