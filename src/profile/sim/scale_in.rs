//! The simulator's scale-in rule (`[sim.autoscaler] scale_in`): how far one
//! target-tracking scale in moves, an assumption AWS does not publish.

use serde::Serialize;

/// How far one target-tracking scale in moves, given the desired count and
/// what [`proportional`] proposes (below it).
///
/// AWS says target tracking "scales in more gradually" than it scales out,
/// and only when the metric is clearly below target (the low alarm sits at
/// 90 %, 15 of 15); it publishes no rule. The default, [`halfway`], is an
/// assumption: each scale in removes half the gap (at least one instance),
/// so 4 → 1 takes three activities, each waiting out `ScaleInCooldown`
/// after the one before completes. Set `[sim.autoscaler] scale_in` to try
/// another; the report names the rule that ran.
/// <https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleInRule {
    /// Half the gap to the proportional size, rounded to keep capacity.
    Halfway,
    /// One instance per scale in.
    OneInstance,
    /// Straight to the proportional size (`ceil(current × metric / target)`).
    Proportional,
}

impl ScaleInRule {
    /// The function this rule names: `(desired, proposed) → new desired`.
    pub fn function(self) -> fn(u32, u32) -> u32 {
        match self {
            ScaleInRule::Halfway => halfway,
            ScaleInRule::OneInstance => one_instance,
            ScaleInRule::Proportional => |_, proposed| proposed,
        }
    }

    /// The profile's name for it.
    pub fn name(self) -> &'static str {
        match self {
            ScaleInRule::Halfway => "halfway",
            ScaleInRule::OneInstance => "one-instance",
            ScaleInRule::Proportional => "proportional",
        }
    }

    /// One line for reports: what the rule does.
    pub fn describe(self) -> &'static str {
        match self {
            ScaleInRule::Halfway => {
                "each scale in removes half the gap to ceil(current × metric / target), at least one instance"
            }
            ScaleInRule::OneInstance => "each scale in removes one instance",
            ScaleInRule::Proportional => {
                "each scale in goes straight to ceil(current × metric / target)"
            }
        }
    }
}

/// [`ScaleInRule::Halfway`]: `desired − max(1, floor((desired − proposed) / 2))`.
pub fn halfway(desired: u32, proposed: u32) -> u32 {
    if proposed >= desired {
        return desired;
    }
    desired - ((desired - proposed) / 2).max(1)
}

/// [`ScaleInRule::OneInstance`].
pub fn one_instance(desired: u32, proposed: u32) -> u32 {
    if proposed >= desired {
        desired
    } else {
        desired - 1
    }
}
