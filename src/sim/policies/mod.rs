//! The simulated Application Auto Scaling's scaling policies, one type per
//! policy type behind one [`Policy`] trait: [`target_tracking`] (two alarms
//! it creates and owns, proportional sizing, scale in by agreement) and
//! [`step`] (the user's alarm, step adjustments). [`scheduled`] holds the
//! scheduled actions, which are not policies: they change the bounds, not
//! the capacity. The [`autoscaler`](super::autoscaler) owns what is common
//! to every policy: picking the largest proposal, clamping, activities,
//! not-scaled activities, and interrupting scale-in cooldowns.
//!
//! To add a new policy type:
//! 1. `profile/sim/raw.rs`: its fields on `RawPolicy`, in AWS's spelling;
//!    `profile/sim/policy.rs`: a `PolicyKind` variant (serde name = AWS's
//!    `PolicyType`), its validated config, and its case in `policy()`
//!    (plus the `PolicyType` check there).
//! 2. `sim/policies/<type>.rs`: a struct implementing [`Policy`] that
//!    creates or finds its alarms in its constructor; cite the AWS pages its
//!    rules follow in its `//!` header.
//! 3. [`build`] below: its one arm (the only `match` on `PolicyKind` in
//!    `sim`).
//! 4. `journal/record.rs`: a `PolicyType` variant, if AWS's name is not
//!    there yet (the journal keeps unknown names as `Other`).
//! 5. `simulate/scenario.rs`: the what-if varies target tracking only, but
//!    names every other kind in its notes (an exhaustive `match`).
//! 6. `sim/tests/`: its behaviour with explicit times and exact numbers.

pub mod scheduled;
pub mod step;
pub mod target_tracking;

use super::alarm::Alarm;
use super::autoscaler::Activity;
use super::config::SimConfig;
use super::metrics::MetricStore;
use super::policy::{PolicyConfig, PolicyKind};
use super::rules::{CapacityRule, ScaleInRule};
use crate::journal::record::PolicyRecord;

/// One scaling policy of the simulated Application Auto Scaling.
pub trait Policy: Send {
    /// `PolicyName`.
    fn name(&self) -> &str;

    /// Indices (in the world's alarms) of the alarms that trigger it, the
    /// scale-out (or only) one first.
    fn alarms(&self) -> &[usize];

    /// What the policy asks for now that its alarm `alarm` (one of
    /// [`Policy::alarms`]) invoked it in ALARM, or `None` when it does
    /// nothing this time (no datapoint, in a cooldown, scale in disabled,
    /// no step covers the metric).
    fn evaluate(&self, alarm: usize, state: &PolicyState, cx: &EvalCtx) -> Option<Proposal>;

    /// The cooldown a scale out it started runs for, seconds.
    fn scale_out_cooldown_s(&self) -> f64;

    /// Whether it scales in only together with every other policy of its
    /// kind (target tracking: each one that may scale in must agree).
    fn scales_in_together(&self) -> bool {
        false
    }

    /// Its vote when a policy that scales in together proposes a scale in.
    fn scale_in_vote(&self, _state: &PolicyState, _cx: &EvalCtx) -> Vote {
        Vote::Abstain
    }

    /// Whether it can add capacity to an endpoint at 0 instances (a step
    /// policy on the backlog metrics, the scale-from-zero path AWS
    /// documents).
    fn scales_from_zero(&self) -> bool {
        false
    }

    /// Warnings about configurations that can never act.
    fn warnings(&self, sim: &SimConfig, out: &mut Vec<String>);

    /// The policy as `DescribeScalingPolicies` shows it, with the names of
    /// its alarms.
    fn record(&self, now: f64, alarms: Vec<String>, scale_in: ScaleInRule) -> PolicyRecord;
}

/// Builds the policy for `cfg`, appending the alarms it creates or is
/// triggered by to `alarms`. The one place a `PolicyKind` becomes a type.
pub fn build(
    cfg: &PolicyConfig,
    alarm_prefix: &str,
    high_resolution_datapoints: u32,
    store: &MetricStore,
    alarms: &mut Vec<Alarm>,
    uuid: &mut dyn FnMut() -> String,
) -> Box<dyn Policy> {
    match &cfg.kind {
        PolicyKind::TargetTracking(t) => Box::new(target_tracking::TargetTracking::new(
            &cfg.name,
            t,
            alarm_prefix,
            high_resolution_datapoints,
            store,
            alarms,
            uuid,
        )),
        PolicyKind::Step(s) => Box::new(step::Step::new(&cfg.name, s, store, alarms)),
    }
}

/// What the autoscaler keeps for each policy between evaluations.
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// The scale-out activity whose cooldown this policy observes.
    pub out_activity: Option<usize>,
    /// The scale-in activity whose cooldown this policy observes.
    pub in_activity: Option<usize>,
    /// Step: desired count before the scale out that started the cooldown.
    pub cooldown_base: u32,
}

/// What a policy sees when it evaluates.
pub struct EvalCtx<'a> {
    pub now: f64,
    pub alarms: &'a [Alarm],
    pub activities: &'a [Activity],
    pub store: &'a MetricStore,
    /// Instances in service now.
    pub in_service: u32,
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    /// The target-tracking capacity rule.
    pub rule: CapacityRule,
    /// How far one target-tracking scale in moves.
    pub scale_in: ScaleInRule,
}

impl EvalCtx<'_> {
    /// Instances in service while alarm `a`'s latest datapoint was measured.
    pub fn measured(&self, a: usize) -> f64 {
        let a = &self.alarms[a];
        a.latest_k
            .and_then(|k| self.store.instances_during(a.spec.period_s, k))
            .unwrap_or(0.0)
    }

    /// Whether the cooldown that activity `a` started still runs now.
    pub fn cooling(&self, a: Option<usize>, cooldown_s: f64) -> bool {
        cooling(self.activities, a, cooldown_s, self.now)
    }
}

/// A way capacity moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Out,
    In,
}

/// A policy's answer to its alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The capacity asked for, before clamping to [min, max].
    pub capacity: i64,
    /// The only way it may move capacity (`None`: either way). A proposal
    /// that, clamped, goes the other way is dropped.
    pub only: Option<Direction>,
    /// Whether it asked for more (names the limit in a not-scaled
    /// activity when the clamped capacity is the desired count).
    pub wants_out: bool,
}

/// A policy's vote on another's scale in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    /// Not its business (another kind, or scale in disabled).
    Abstain,
    /// It does not agree: nothing scales in.
    Veto,
    /// It agrees, at this capacity (the largest agreeing one wins).
    Agree(u32),
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
pub fn cooling(activities: &[Activity], a: Option<usize>, cooldown_s: f64, now: f64) -> bool {
    a.is_some_and(|i| activities[i].end.is_none_or(|end| now < end + cooldown_s))
}
