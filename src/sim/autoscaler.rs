//! Simulated Application Auto Scaling: turns alarm invocations and
//! scheduled actions into a desired instance count, with cooldowns and
//! scaling activities worded as AWS words them. What each policy type asks
//! for is in [`policies`](super::policies) (one type per policy type); this
//! file owns what is common to all of them.
//!
//! Facts from SAGEMAKER.md kept here (the per-type ones are in
//! `policies/target_tracking.rs` and `policies/step.rs`):
//! - Several policies: scale out when any asks, the largest capacity wins;
//!   target tracking scales in only when every target-tracking policy that
//!   may scale in agrees ([`Policy::scale_in_vote`]).
//! - Cooldowns run from when the activity **completes** (the new instances
//!   in service), not from its start; see [`policies::cooling`]. During a
//!   scale-out cooldown the capacity just added counts toward the next
//!   scale out: a further scale out happens only if it asks for more than
//!   the desired count. A scale-in cooldown blocks scale in, but a scale out
//!   interrupts it. Scheduled actions ignore cooldowns.
//! - Not-scaled activities (`IncludeNotScaledActivities`) carry a reason:
//!   `AlreadyAtMaxCapacity`, `AlreadyAtMinCapacity`,
//!   `AlreadyAtDesiredCapacity`; a repeat of the same reason for the same
//!   policy is recorded once until something scales.

use super::alarm::Alarm;
use super::config::SimConfig;
use super::metrics::MetricStore;
use super::policies::scheduled::ScheduledAction;
use super::policies::{self, Direction, EvalCtx, Policy, PolicyState, Vote, cooling};
use super::policy::ScalingConfig;
use super::rules::{self, CapacityRule, ScaleInRule};
use crate::journal::record::NotScaledReason;

pub use super::policies::scheduled::ClockMap;

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

/// A policy and what the autoscaler keeps for it.
struct Slot {
    policy: Box<dyn Policy>,
    state: PolicyState,
    last_not_scaled: Option<&'static str>,
}

pub struct Autoscaler {
    /// The target-tracking capacity rule; replaceable for what-if runs.
    pub rule: CapacityRule,
    /// How far one target-tracking scale in moves (`[sim.autoscaler]`).
    pub scale_in: ScaleInRule,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    policies: Vec<Slot>,
    scheduled: Vec<ScheduledAction>,
    pub activities: Vec<Activity>,
    alarm_prefix: String,
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
        // Built before the scheduled actions: target tracking draws its
        // alarms' ids from `uuid` in policy order.
        let policies = scaling
            .policies
            .iter()
            .map(|p| Slot {
                policy: policies::build(
                    p,
                    &prefix,
                    sim.autoscaler.high_resolution_datapoints,
                    store,
                    alarms,
                    uuid,
                ),
                state: PolicyState::default(),
                last_not_scaled: None,
            })
            .collect();
        let scheduled = scaling
            .scheduled_actions
            .iter()
            .map(|a| ScheduledAction::new(a, clock))
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

    /// Policies with the indices of their alarms (scale-out/step first).
    pub fn policies(&self) -> impl Iterator<Item = (&dyn Policy, &[usize])> {
        self.policies
            .iter()
            .map(|p| (p.policy.as_ref(), p.policy.alarms()))
    }

    /// The policy owning alarm `a`.
    pub fn policy_of_alarm(&self, a: usize) -> Option<&str> {
        self.policies
            .iter()
            .find(|p| p.policy.alarms().contains(&a))
            .map(|p| p.policy.name())
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
        let mut out: Option<(u32, usize, usize)> = None;
        let mut inn: Option<(u32, usize, usize)> = None;
        for &a in invoked {
            let Some(p) = self
                .policies
                .iter()
                .position(|p| p.policy.alarms().contains(&a))
            else {
                continue;
            };
            let (min, max, desired) = (self.min, self.max, self.desired);
            let slot = &self.policies[p];
            let Some(proposal) = slot.policy.evaluate(
                a,
                &slot.state,
                &self.eval_ctx(now, alarms, store, in_service),
            ) else {
                continue;
            };
            let clamped = proposal.capacity.clamp(min as i64, max as i64) as u32;
            // A proposal moves capacity only its own way: a target-tracking
            // alarm in its direction, a step +N (or -N) during its cooldown
            // that, clamped, goes the other way adds (or removes) nothing.
            match proposal.only {
                Some(Direction::Out) if clamped < desired => continue,
                Some(Direction::In) if clamped > desired => continue,
                _ => {}
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
                let code = if proposal.wants_out && desired == max {
                    "AlreadyAtMaxCapacity"
                } else if !proposal.wants_out && desired == min {
                    "AlreadyAtMinCapacity"
                } else {
                    "AlreadyAtDesiredCapacity"
                };
                let cause = self.cause(alarms, a, p);
                self.not_scaled(now, p, cause, code, uuid);
            }
        }
        if let Some((to, p, a)) = out {
            let from = self.desired;
            let cause = self.cause(alarms, a, p);
            let activity = self.activity(now, uuid, cause, from, to);
            let cooldown_s = self.policies[p].policy.scale_out_cooldown_s();
            let st = &mut self.policies[p].state;
            // A scale out during the cooldown keeps the cooldown's base (the
            // capacity it added still counts) but restarts it.
            if !cooling(&self.activities, st.out_activity, cooldown_s, now) {
                st.cooldown_base = from;
            }
            st.out_activity = Some(activity);
            // A scale out interrupts every scale-in cooldown.
            for q in &mut self.policies {
                q.state.in_activity = None;
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
        let together = self.policies[p].policy.scales_in_together();
        if together {
            let cx = self.eval_ctx(now, alarms, store, in_service);
            for q in &self.policies {
                match q.policy.scale_in_vote(&q.state, &cx) {
                    Vote::Abstain => {}
                    Vote::Veto => return None,
                    Vote::Agree(c) => to = to.max(c),
                }
            }
            if to >= self.desired {
                return None;
            }
        }
        let from = self.desired;
        let cause = self.cause(alarms, a, p);
        let activity = self.activity(now, uuid, cause, from, to);
        for (i, q) in self.policies.iter_mut().enumerate() {
            if i == p || (together && q.policy.scales_in_together()) {
                q.state.in_activity = Some(activity);
            }
            q.last_not_scaled = None;
        }
        self.desired = to;
        Some(Change {
            desired: to,
            activity,
        })
    }

    /// What a policy sees when it evaluates at `now`.
    fn eval_ctx<'a>(
        &'a self,
        now: f64,
        alarms: &'a [Alarm],
        store: &'a MetricStore,
        in_service: u32,
    ) -> EvalCtx<'a> {
        EvalCtx {
            now,
            alarms,
            activities: &self.activities,
            store,
            in_service,
            min: self.min,
            max: self.max,
            desired: self.desired,
            rule: self.rule,
            scale_in: self.scale_in,
        }
    }

    /// The cause of an activity that alarm `a` started through policy `p`.
    fn cause(&self, alarms: &[Alarm], a: usize, p: usize) -> String {
        format!(
            "monitor alarm {} in state ALARM triggered policy {}",
            alarms[a].spec.name,
            self.policies[p].policy.name()
        )
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
            if !self.scheduled[i].take_due(now, clock) {
                continue;
            }
            let cfg = self.scheduled[i].cfg.clone();
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
            p.policy.warnings(sim, &mut w);
            leaves_zero |= p.policy.scales_from_zero();
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
