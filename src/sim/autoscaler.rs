//! Simulated Application Auto Scaling: turns alarm invocations and
//! scheduled actions into a desired instance count, with cooldowns and
//! scaling activities worded as AWS words them.
//!
//! Facts from SAGEMAKER.md kept here:
//! - Target tracking creates and owns two alarms: scale out when the metric
//!   is **> target for 3 of 3** one-minute datapoints, scale in when it is
//!   **< 90 % of target for 15 of 15**. (For the 10-second
//!   `ConcurrentRequestsPerModel` metric the scale-out alarm uses 10-second
//!   periods; the scale-in alarm keeps one-minute periods — an assumption,
//!   AWS does not publish it.)
//! - New capacity is [`rules::proportional`] (`ceil(current × metric /
//!   target)`), clamped to [min, max] (see the cooldown rule below for
//!   which `current`). At 0 instances it
//!   sizes from one instance: AWS documents that target tracking alone
//!   scales up from zero "only after the number of backlog requests
//!   exceeds the target tracking value" (slower than the optional
//!   scale-from-zero step policy on `HasBacklogWithoutCapacity`, not
//!   impossible).
//! - Scale in is gradual: the proportional size, clamped, goes through the
//!   [`ScaleInRule`] (default `halfway`, an assumption; AWS publishes no
//!   rule, only that target tracking "scales in more gradually").
//! - Several policies: scale out when any asks, scale in only when every
//!   target-tracking policy with scale-in enabled agrees (its low alarm is
//!   in ALARM); the largest capacity wins. No scale-in on
//!   INSUFFICIENT_DATA (the alarm is not in ALARM). `DisableScaleIn` stops
//!   a policy from removing capacity (and from voting).
//! - Cooldowns run from when the activity **completes** (the new instances
//!   in service), not from its start; see [`cooling`]. During a scale-out
//!   cooldown the capacity just added counts toward the next scale out: a
//!   further scale out happens only if it asks for more than the desired
//!   count. Target tracking then sizes from the instances the datapoint was
//!   measured with (a datapoint from before the new instances does not ask
//!   for them twice); outside the cooldown it sizes from the instances in
//!   service now, so with `ScaleOutCooldown = 0` a stale datapoint
//!   compounds with capacity that just arrived and overshoots (the
//!   overshoot AWS's cooldown exists to prevent; how AAS sizes is not
//!   published, this is the model). Step policies measure the adjustment,
//!   during `Cooldown`, from the capacity before the cooldown began. A
//!   scale-in cooldown blocks scale in, but a scale out interrupts it.
//!   Scheduled actions ignore cooldowns.
//! - Not-scaled activities (`IncludeNotScaledActivities`) carry a reason:
//!   `AlreadyAtMaxCapacity`, `AlreadyAtMinCapacity`,
//!   `AlreadyAtDesiredCapacity`; a repeat of the same reason for the same
//!   policy is recorded once until something scales.

use super::alarm::{Alarm, AlarmSpec, Comparison, TreatMissing};
use super::config::SimConfig;
use super::metrics::{MetricId, MetricStore};
use super::policy::{Aggregation, PolicyConfig, PolicyKind, ScalingConfig, ScheduledActionConfig};
use super::rules::{self, CapacityRule, ScaleInRule};
use super::schedule::Schedule;
use crate::journal::record::{AlarmState, NotScaledReason};

/// A scaling activity (DescribeScalingActivities).
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub id: String,
    pub start: f64,
    pub end: Option<f64>,
    pub status: &'static str,
    pub cause: String,
    pub description: String,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub not_scaled: Option<NotScaledReason>,
}

/// A new desired count to apply, and the activity that tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub desired: u32,
    pub activity: usize,
}

#[derive(Debug)]
struct PolicyState {
    cfg: PolicyConfig,
    /// Target tracking: AlarmHigh, AlarmLow. Step: its alarm in `high`.
    high: usize,
    low: Option<usize>,
    /// The scale-out activity whose cooldown this policy observes.
    out_activity: Option<usize>,
    /// The scale-in activity whose cooldown this policy observes.
    in_activity: Option<usize>,
    /// Step: desired count before the scale out that started the cooldown.
    cooldown_base: u32,
    last_not_scaled: Option<&'static str>,
}

#[derive(Debug)]
struct ScheduledState {
    cfg: ScheduledActionConfig,
    /// Next time to fire (or to check, for cron).
    next: f64,
}

pub struct Autoscaler {
    /// The target-tracking capacity rule; replaceable for what-if runs.
    pub rule: CapacityRule,
    /// How far one target-tracking scale in moves (`[sim.autoscaler]`).
    pub scale_in: ScaleInRule,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    policies: Vec<PolicyState>,
    scheduled: Vec<ScheduledState>,
    pub activities: Vec<Activity>,
    alarm_prefix: String,
}

/// Whether the cooldown that activity `a` started still runs at `now`.
///
/// AWS runs cooldowns from when the activity **completes** (for SageMaker:
/// the endpoint InService with the new count), so the cooldown covers the
/// whole activity plus `cooldown_s`. Application Auto Scaling API reference,
/// TargetTrackingScalingPolicyConfiguration: ScaleInCooldown is "the amount
/// of time, in seconds, after a scale-in activity completes before another
/// scale-in activity can start"; ScaleOutCooldown likewise "after a scale-out
/// activity completes", and while it runs "the capacity that has been added
/// by the previous scale-out action that initiated the cooldown is
/// calculated as part of the desired capacity for the next scale out".
/// <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html>
fn cooling(activities: &[Activity], a: Option<usize>, cooldown_s: f64, now: f64) -> bool {
    a.is_some_and(|i| activities[i].end.is_none_or(|end| now < end + cooldown_s))
}

/// Where a UTC-dependent schedule is: the run's start in UTC seconds.
pub struct ClockMap {
    /// Seconds of the run start since the Unix epoch.
    pub start_epoch_s: f64,
}

impl Autoscaler {
    /// Builds the autoscaler and the alarms it owns or is triggered by
    /// (appended to `alarms`). `uuid` makes AWS-like identifiers.
    pub fn new(
        scaling: &ScalingConfig,
        sim: &SimConfig,
        store: &MetricStore,
        clock: &ClockMap,
        alarms: &mut Vec<Alarm>,
        uuid: &mut dyn FnMut() -> String,
    ) -> Autoscaler {
        let prefix = format!("TargetTracking-{}", sim.resource_id());
        let mut policies = Vec::new();
        for p in &scaling.policies {
            let (high, low) = match &p.kind {
                PolicyKind::TargetTracking(t) => {
                    let hi_period = t.metric.resolution_s();
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
                            3,
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
                    (alarms.len() - 2, Some(alarms.len() - 1))
                }
                PolicyKind::Step(s) => {
                    alarms.push(Alarm::new(s.alarm.clone(), store));
                    (alarms.len() - 1, None)
                }
            };
            policies.push(PolicyState {
                cfg: p.clone(),
                high,
                low,
                out_activity: None,
                in_activity: None,
                cooldown_base: 0,
                last_not_scaled: None,
            });
        }
        let scheduled = scaling
            .scheduled_actions
            .iter()
            .map(|a| ScheduledState {
                cfg: a.clone(),
                next: match &a.schedule {
                    Schedule::AtOffset { offset_s } => *offset_s,
                    Schedule::AtUtc { at } => {
                        let t = at.and_utc().timestamp() as f64 - clock.start_epoch_s;
                        if t < 0.0 { f64::INFINITY } else { t }
                    }
                    Schedule::Rate { every_s } => *every_s,
                    // First whole UTC minute at or after the start.
                    Schedule::Cron { .. } => {
                        (clock.start_epoch_s / 60.0).ceil() * 60.0 - clock.start_epoch_s
                    }
                },
            })
            .collect();
        Autoscaler {
            rule: rules::proportional,
            scale_in: sim.autoscaler.scale_in,
            min: scaling.min_capacity,
            max: scaling.max_capacity,
            desired: sim.endpoint.initial_instances,
            policies,
            scheduled,
            activities: Vec::new(),
            alarm_prefix: prefix,
        }
    }

    /// The common prefix of the target-tracking alarms' names.
    pub fn alarm_prefix(&self) -> &str {
        &self.alarm_prefix
    }

    /// Policies with the indices of their alarms (high/step first).
    pub fn policies(&self) -> impl Iterator<Item = (&PolicyConfig, Vec<usize>)> {
        self.policies
            .iter()
            .map(|p| (&p.cfg, std::iter::once(p.high).chain(p.low).collect()))
    }

    /// The policy owning alarm `a`.
    pub fn policy_of_alarm(&self, a: usize) -> Option<&str> {
        self.policies
            .iter()
            .find(|p| p.high == a || p.low == Some(a))
            .map(|p| p.cfg.name.as_str())
    }

    fn activity(
        &mut self,
        now: f64,
        uuid: &mut dyn FnMut() -> String,
        cause: String,
        from: u32,
        to: u32,
    ) -> usize {
        self.activities.push(Activity {
            id: uuid(),
            start: now,
            end: None,
            status: "InProgress",
            cause,
            description: format!("Setting desired instance count to {to}."),
            from: Some(from),
            to: Some(to),
            not_scaled: None,
        });
        self.activities.len() - 1
    }

    fn not_scaled(
        &mut self,
        now: f64,
        p: usize,
        cause: String,
        code: &'static str,
        uuid: &mut dyn FnMut() -> String,
    ) {
        if self.policies[p].last_not_scaled == Some(code) {
            return;
        }
        self.policies[p].last_not_scaled = Some(code);
        self.activities.push(Activity {
            id: uuid(),
            start: now,
            end: Some(now),
            status: "Failed",
            cause,
            description: "Attempting to scale due to alarm triggered".into(),
            from: Some(self.desired),
            to: None,
            not_scaled: Some(NotScaledReason {
                code: code.into(),
                max_capacity: Some(self.max),
                min_capacity: Some(self.min),
                current_capacity: Some(self.desired),
            }),
        });
    }

    /// Runs the policies whose alarms are in ALARM at this evaluation
    /// (`invoked`), with `in_service` instances in service now.
    pub fn on_alarms(
        &mut self,
        now: f64,
        invoked: &[usize],
        alarms: &[Alarm],
        store: &MetricStore,
        in_service: u32,
        uuid: &mut dyn FnMut() -> String,
    ) -> Option<Change> {
        // Instances in service while alarm `a`'s latest datapoint was measured.
        let measured = |a: &Alarm| -> f64 {
            a.latest_k
                .and_then(|k| store.instances_during(a.spec.period_s, k))
                .unwrap_or(0.0)
        };
        let mut out: Option<(u32, usize, usize)> = None;
        let mut inn: Option<(u32, usize, usize)> = None;
        for &a in invoked {
            let Some(p) = self
                .policies
                .iter()
                .position(|p| p.high == a || p.low == Some(a))
            else {
                continue;
            };
            let cause = format!(
                "monitor alarm {} in state ALARM triggered policy {}",
                alarms[a].spec.name, self.policies[p].cfg.name
            );
            let (min, max, desired) = (self.min, self.max, self.desired);
            let is_low = self.policies[p].low == Some(a);
            let is_tt = matches!(self.policies[p].cfg.kind, PolicyKind::TargetTracking(_));
            let ps = &self.policies[p];
            // The direction a step may move capacity (0: either way).
            let mut step_sign = 0i64;
            let proposal: i64 = match &ps.cfg.kind {
                PolicyKind::TargetTracking(t) => {
                    let Some(v) = alarms[a].latest() else {
                        continue;
                    };
                    if is_low && t.disable_scale_in {
                        continue;
                    }
                    if is_low
                        && cooling(&self.activities, ps.in_activity, t.scale_in_cooldown_s, now)
                    {
                        continue;
                    }
                    // During the scale-out cooldown the capacity just added
                    // counts: size from the instances the datapoint was
                    // measured with, so a datapoint from before the new
                    // instances does not ask for them again. Outside it AAS
                    // has only the current capacity to size from, and a
                    // stale datapoint compounds with it: that overshoot is
                    // what ScaleOutCooldown exists to prevent.
                    let base = if !is_low
                        && cooling(
                            &self.activities,
                            ps.out_activity,
                            t.scale_out_cooldown_s,
                            now,
                        ) {
                        measured(&alarms[a])
                    } else {
                        in_service as f64
                    };
                    let sized = (self.rule)(base, v, t.target_value).clamp(min, max);
                    if is_low {
                        (self.scale_in.function())(desired, sized) as i64
                    } else {
                        sized as i64
                    }
                }
                PolicyKind::Step(s) => {
                    let vals: Vec<f64> = alarms[a].window.iter().flatten().copied().collect();
                    if vals.is_empty() {
                        continue;
                    }
                    let v = match s.aggregation {
                        Aggregation::Average => vals.iter().sum::<f64>() / vals.len() as f64,
                        Aggregation::Minimum => vals.iter().copied().fold(f64::INFINITY, f64::min),
                        Aggregation::Maximum => {
                            vals.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                        }
                    };
                    let above = s.alarm.comparison.is_upper();
                    let Some(step) = rules::find_step(&s.steps, v - s.alarm.threshold, above)
                    else {
                        continue;
                    };
                    if s.adjustment_type != super::policy::AdjustmentType::ExactCapacity {
                        step_sign = step.adjustment.signum();
                    }
                    let in_cooldown =
                        |act: Option<usize>| cooling(&self.activities, act, s.cooldown_s, now);
                    let base = if step.adjustment > 0 && in_cooldown(ps.out_activity) {
                        ps.cooldown_base
                    } else if step.adjustment < 0 && in_cooldown(ps.in_activity) {
                        continue;
                    } else {
                        desired
                    };
                    rules::step_capacity(
                        base,
                        s.adjustment_type,
                        step.adjustment,
                        s.min_adjustment_magnitude,
                    )
                }
            };
            let clamped = proposal.clamp(min as i64, max as i64) as u32;
            // A target-tracking alarm only moves capacity its own way.
            if is_tt && ((is_low && clamped > desired) || (!is_low && clamped < desired)) {
                continue;
            }
            // Nor does a step adjustment: +N during its cooldown that is not
            // above the desired count adds nothing (and removes nothing).
            if (step_sign > 0 && clamped < desired) || (step_sign < 0 && clamped > desired) {
                continue;
            }
            if clamped > desired {
                if out.is_none_or(|(c, _, _)| clamped > c) {
                    out = Some((clamped, p, a));
                }
            } else if clamped < desired {
                if inn.is_none_or(|(c, _, _)| clamped > c) {
                    inn = Some((clamped, p, a));
                }
            } else {
                let wants_out = if is_tt {
                    !is_low
                } else {
                    proposal >= desired as i64
                };
                let code = if wants_out && desired == max {
                    "AlreadyAtMaxCapacity"
                } else if !wants_out && desired == min {
                    "AlreadyAtMinCapacity"
                } else {
                    "AlreadyAtDesiredCapacity"
                };
                self.not_scaled(now, p, cause, code, uuid);
            }
        }
        if let Some((to, p, a)) = out {
            let from = self.desired;
            let cause = format!(
                "monitor alarm {} in state ALARM triggered policy {}",
                alarms[a].spec.name, self.policies[p].cfg.name
            );
            let activity = self.activity(now, uuid, cause, from, to);
            let cooldown_s = match &self.policies[p].cfg.kind {
                PolicyKind::Step(s) => s.cooldown_s,
                PolicyKind::TargetTracking(t) => t.scale_out_cooldown_s,
            };
            let ps = &mut self.policies[p];
            // A scale out during the cooldown keeps the cooldown's base (the
            // capacity it added still counts) but restarts it.
            if !cooling(&self.activities, ps.out_activity, cooldown_s, now) {
                ps.cooldown_base = from;
            }
            ps.out_activity = Some(activity);
            // A scale out interrupts every scale-in cooldown.
            for q in &mut self.policies {
                q.in_activity = None;
                q.last_not_scaled = None;
            }
            self.desired = to;
            return Some(Change {
                desired: to,
                activity,
            });
        }
        let (to, p, a) = inn?;
        // Target tracking scales in only if every policy that may scale in
        // agrees; each agreeing policy proposes, the largest wins.
        let mut to = to;
        let is_tt = matches!(self.policies[p].cfg.kind, PolicyKind::TargetTracking(_));
        if is_tt {
            for q in &self.policies {
                let PolicyKind::TargetTracking(t) = &q.cfg.kind else {
                    continue;
                };
                if t.disable_scale_in {
                    continue;
                }
                let low = &alarms[q.low.expect("target tracking has a low alarm")];
                if low.state != AlarmState::Alarm {
                    return None;
                }
                if cooling(&self.activities, q.in_activity, t.scale_in_cooldown_s, now) {
                    return None;
                }
                let v = low.latest()?;
                let sized =
                    ((self.rule)(in_service as f64, v, t.target_value)).clamp(self.min, self.max);
                to = to.max((self.scale_in.function())(self.desired, sized));
            }
            if to >= self.desired {
                return None;
            }
        }
        let from = self.desired;
        let cause = format!(
            "monitor alarm {} in state ALARM triggered policy {}",
            alarms[a].spec.name, self.policies[p].cfg.name
        );
        let activity = self.activity(now, uuid, cause, from, to);
        for (i, q) in self.policies.iter_mut().enumerate() {
            if i == p || (is_tt && matches!(q.cfg.kind, PolicyKind::TargetTracking(_))) {
                q.in_activity = Some(activity);
            }
            q.last_not_scaled = None;
        }
        self.desired = to;
        Some(Change {
            desired: to,
            activity,
        })
    }

    /// The next time a scheduled action fires or needs checking.
    pub fn next_scheduled(&self) -> f64 {
        self.scheduled
            .iter()
            .map(|s| s.next)
            .fold(f64::INFINITY, f64::min)
    }

    /// Runs the scheduled actions due at `now`; returns a desired-count
    /// change when the new bounds force one.
    pub fn run_scheduled(
        &mut self,
        now: f64,
        clock: &ClockMap,
        uuid: &mut dyn FnMut() -> String,
    ) -> Option<Change> {
        let mut change = None;
        for i in 0..self.scheduled.len() {
            if self.scheduled[i].next > now + 1e-9 {
                continue;
            }
            let s = &mut self.scheduled[i];
            let fire = match &s.cfg.schedule {
                Schedule::AtOffset { .. } | Schedule::AtUtc { .. } => {
                    s.next = f64::INFINITY;
                    true
                }
                Schedule::Rate { every_s } => {
                    s.next += every_s;
                    true
                }
                Schedule::Cron { cron, .. } => {
                    let at = chrono::DateTime::from_timestamp(
                        (clock.start_epoch_s + now).round() as i64,
                        0,
                    );
                    s.next += 60.0;
                    at.is_some_and(|at| cron.matches(at))
                }
            };
            if !fire {
                continue;
            }
            let cfg = s.cfg.clone();
            if let Some(m) = cfg.min_capacity {
                self.min = m;
            }
            if let Some(m) = cfg.max_capacity {
                self.max = m;
            }
            if self.max < self.min {
                self.max = self.min;
            }
            let cause = format!("scheduled action name {} was triggered", cfg.name);
            self.activities.push(Activity {
                id: uuid(),
                start: now,
                end: Some(now),
                status: "Successful",
                cause,
                description: format!(
                    "Setting min capacity to {} and max capacity to {}",
                    self.min, self.max
                ),
                from: Some(self.desired),
                to: Some(self.desired),
                not_scaled: None,
            });
            let to = self.desired.clamp(self.min, self.max);
            if to != self.desired {
                let from = self.desired;
                let why = if to > from {
                    format!("minimum capacity was set to {}", self.min)
                } else {
                    format!("maximum capacity was set to {}", self.max)
                };
                self.desired = to;
                for p in &mut self.policies {
                    p.last_not_scaled = None;
                }
                let activity = self.activity(now, uuid, why, from, to);
                change = Some(Change {
                    desired: to,
                    activity,
                });
            }
        }
        change
    }

    /// Warnings about policies that can never act.
    pub fn warnings(&self, sim: &SimConfig) -> Vec<String> {
        let mut w = Vec::new();
        let mut leaves_zero = false;
        for p in &self.policies {
            match &p.cfg.kind {
                PolicyKind::TargetTracking(t) => {
                    if !t.metric.published_by(sim.is_async()) {
                        w.push(format!(
                            "policy {} tracks {} which an {} endpoint does not publish: it never scales",
                            p.cfg.name,
                            t.metric_label,
                            if sim.is_async() { "async" } else { "real-time" }
                        ));
                    }
                    if p.cfg.name != super::policy::BUILT_IN_POLICY_NAME {
                        w.push(format!(
                            "target tracking policy {} is not named {}: the SageMaker console shows it as a custom policy",
                            p.cfg.name,
                            super::policy::BUILT_IN_POLICY_NAME
                        ));
                    }
                }
                PolicyKind::Step(s) => {
                    if !s.alarm.metric.published_by(sim.is_async()) {
                        w.push(format!(
                            "alarm {} of policy {} watches {} which this endpoint does not publish: it never fires",
                            s.alarm.name,
                            p.cfg.name,
                            s.alarm.metric.name()
                        ));
                    }
                    let adds = s.steps.iter().any(|st| st.adjustment > 0)
                        || s.adjustment_type == super::policy::AdjustmentType::ExactCapacity;
                    if adds
                        && s.adjustment_type
                            != super::policy::AdjustmentType::PercentChangeInCapacity
                        && (s.alarm.metric == MetricId::HasBacklogWithoutCapacity
                            || s.alarm.metric == MetricId::ApproximateBacklogSize)
                    {
                        leaves_zero = true;
                    }
                }
            }
        }
        let scheduled_up = self
            .scheduled
            .iter()
            .any(|s| s.cfg.min_capacity.is_some_and(|m| m > 0));
        if self.min == 0 && !leaves_zero && !scheduled_up {
            w.push(
                "MinCapacity is 0 and no step policy on HasBacklogWithoutCapacity (or ApproximateBacklogSize) \
                 adds capacity: target tracking alone scales out from 0 instances only after the backlog \
                 exceeds its target value for 3 datapoints (users report about 5 minutes); the \
                 scale-from-zero step policy AWS documents is the faster path"
                    .into(),
            );
        }
        w
    }
}
