//! Application Auto Scaling's capacity arithmetic as small pure functions,
//! so each rule can be tested, and replaced, on its own.

use super::policy::{AdjustmentType, StepAdjustment};

/// A target-tracking capacity rule: `(current, metric, target) → capacity`
/// before clamping to [min, max].
pub type CapacityRule = fn(f64, f64, f64) -> u32;

/// The target-tracking rule: `ceil(max(current, 1) × metric / target)`.
/// AWS does not publish its exact rule (scale out is proportional and fast,
/// scale in gradual); this is the model SAGEMAKER.md asks for. Swap
/// [`super::autoscaler::Autoscaler::rule`] to try another.
///
/// At 0 instances the rule sizes from one instance. The SageMaker page
/// "Autoscale an asynchronous endpoint" says that without the optional
/// scale-from-zero step policy "the endpoint starts scaling up from zero
/// only after the number of backlog requests exceeds the target tracking
/// value", so target tracking alone *does* leave 0: `ceil(0 × m / t) = 0`
/// would never scale out. A metric of 0 still proposes 0.
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html>
///
/// `current` may be fractional: during a scale-out cooldown it is the
/// (harmonic) mean count the datapoint was measured with.
pub fn proportional(current: f64, metric: f64, target: f64) -> u32 {
    let x = current.max(1.0) * metric / target;
    if !x.is_finite() || x <= 0.0 {
        return 0;
    }
    // Forgive float noise so 3 × 2200 / 2200 stays 3.
    (x - 1e-9).ceil().max(0.0) as u32
}

pub use crate::profile::sim::scale_in::{ScaleInRule, halfway, one_instance};

/// The step whose interval contains `diff = metric − threshold`. Above the
/// threshold (a "greater" alarm) the lower bound is inclusive and the upper
/// exclusive; below it (a "less" alarm) the reverse. A missing bound is
/// infinite.
pub fn find_step(steps: &[StepAdjustment], diff: f64, above: bool) -> Option<&StepAdjustment> {
    steps.iter().find(|s| {
        let lo = s.lower.unwrap_or(f64::NEG_INFINITY);
        let hi = s.upper.unwrap_or(f64::INFINITY);
        if above {
            lo <= diff && diff < hi
        } else {
            lo < diff && diff <= hi
        }
    })
}

/// The new capacity a step adjustment asks for, from `base`, before
/// clamping. PercentChangeInCapacity: a result above 1 in magnitude is
/// rounded toward zero (12.7 → 12, −6.67 → −6), one between 0 and 1 becomes
/// 1 (or −1), and `MinAdjustmentMagnitude` raises smaller changes to it.
pub fn step_capacity(base: u32, kind: AdjustmentType, adjustment: i64, mma: Option<u32>) -> i64 {
    match kind {
        AdjustmentType::ChangeInCapacity => base as i64 + adjustment,
        AdjustmentType::ExactCapacity => adjustment,
        AdjustmentType::PercentChangeInCapacity => {
            let raw = base as f64 * adjustment as f64 / 100.0;
            let mut change = if raw == 0.0 {
                0
            } else if raw.abs() < 1.0 {
                raw.signum() as i64
            } else {
                raw.trunc() as i64
            };
            if let Some(m) = mma
                && change != 0
                && change.unsigned_abs() < m as u64
            {
                change = change.signum() * m as i64;
            }
            base as i64 + change
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_rounds_up() {
        assert_eq!(proportional(1.0, 6600.0, 2400.0), 3);
        assert_eq!(proportional(3.0, 2200.0, 2200.0), 3);
        assert_eq!(proportional(3.0, 40.0, 2400.0), 1);
        // From 0 instances the rule sizes from one (AWS: scaling up from
        // zero starts once the backlog exceeds the target value).
        assert_eq!(proportional(0.0, 50.0, 5.0), 10);
        assert_eq!(proportional(0.0, 1.0, 0.5), 2);
        assert_eq!(proportional(0.0, 0.0, 5.0), 0);
        // A fractional count measured while instances arrived.
        assert_eq!(proportional(1.385, 4767.0, 2400.0), 3);
    }

    #[test]
    fn scale_in_rules_are_gradual_except_proportional() {
        // 4 → 1 proposed: halfway removes 1 (gap 3 / 2), then 1 (gap 2 / 2),
        // then 1.
        assert_eq!(halfway(4, 1), 3);
        assert_eq!(halfway(3, 1), 2);
        assert_eq!(halfway(2, 1), 1);
        assert_eq!(halfway(10, 2), 6);
        assert_eq!(halfway(3, 3), 3);
        assert_eq!(one_instance(10, 2), 9);
        assert_eq!(one_instance(2, 2), 2);
        assert_eq!((ScaleInRule::Proportional.function())(10, 2), 2);
    }

    fn steps() -> Vec<StepAdjustment> {
        vec![
            StepAdjustment {
                lower: Some(0.0),
                upper: Some(10.0),
                adjustment: 1,
            },
            StepAdjustment {
                lower: Some(10.0),
                upper: None,
                adjustment: 2,
            },
        ]
    }

    #[test]
    fn bounds_above_threshold_are_lower_inclusive() {
        let s = steps();
        assert_eq!(find_step(&s, 0.0, true).unwrap().adjustment, 1);
        assert_eq!(find_step(&s, 9.99, true).unwrap().adjustment, 1);
        assert_eq!(find_step(&s, 10.0, true).unwrap().adjustment, 2);
        assert!(find_step(&s, -0.1, true).is_none());
    }

    #[test]
    fn bounds_below_threshold_are_upper_inclusive() {
        let s = vec![
            StepAdjustment {
                lower: Some(-10.0),
                upper: Some(0.0),
                adjustment: -1,
            },
            StepAdjustment {
                lower: None,
                upper: Some(-10.0),
                adjustment: -2,
            },
        ];
        assert_eq!(find_step(&s, 0.0, false).unwrap().adjustment, -1);
        assert_eq!(find_step(&s, -10.0, false).unwrap().adjustment, -2);
        assert_eq!(find_step(&s, -9.99, false).unwrap().adjustment, -1);
        // The same value on the other side's rule would pick the other step.
        assert_eq!(find_step(&s, -10.0, true).unwrap().adjustment, -1);
    }

    #[test]
    fn percent_change_rounding_and_min_magnitude() {
        use AdjustmentType::PercentChangeInCapacity as P;
        // 10 × 127 % = 12.7 → +12.
        assert_eq!(step_capacity(10, P, 127, None), 22);
        // 3 × 10 % = 0.3 → +1.
        assert_eq!(step_capacity(3, P, 10, None), 4);
        // 15 × −44.5 %… integers only: 15 × −40 % = −6 → 9; 20 × −33 % = −6.6 → −6.
        assert_eq!(step_capacity(20, P, -33, None), 14);
        // 2 × −10 % = −0.2 → −1.
        assert_eq!(step_capacity(2, P, -10, None), 1);
        // MinAdjustmentMagnitude raises +1 to +2.
        assert_eq!(step_capacity(4, P, 25, Some(2)), 6);
        assert_eq!(step_capacity(4, P, 100, Some(2)), 8);
        assert_eq!(step_capacity(4, AdjustmentType::ExactCapacity, 7, None), 7);
        assert_eq!(
            step_capacity(4, AdjustmentType::ChangeInCapacity, -1, None),
            3
        );
    }
}
