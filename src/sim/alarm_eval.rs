//! CloudWatch's decision over an alarm's evaluation range, as a pure
//! function of the pattern of datapoints, so each documented row can be
//! tested on its own ([`super::alarm`] turns datapoints into the pattern and
//! the decision into a state change with its reason).
//!
//! CloudWatch, "Configuring how CloudWatch alarms treat missing data":
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data>
//!
//! - Each evaluation retrieves more datapoints than `EvaluationPeriods`
//!   (N): the *evaluation range*. AWS shows N = 3 with a range of 5 and
//!   says only that the range depends on the period and resolution; the
//!   model takes N + 2 ([`evaluation_range`], an assumption).
//! - At least N datapoints in the range: the N most recent *existing* ones
//!   are evaluated, reaching back past gaps; TreatMissingData is not used.
//! - Fewer: `breaching` / `notBreaching` fill just enough missing periods
//!   ("only as few times as possible") to make N, and every existing
//!   datapoint in the range counts. ALARM when at least `DatapointsToAlarm`
//!   (M) breach, else OK.
//! - `missing`: no datapoint at all is INSUFFICIENT_DATA. With some, ALARM
//!   when M of them breach; otherwise a non-breaching datapoint makes it OK.
//!   When every existing datapoint breaches but fewer than M do, CloudWatch
//!   avoids a premature transition: it goes to ALARM only once the oldest
//!   breaching datapoint within the last N periods is at least M periods
//!   old ("- - X - -" with M = 3), and otherwise keeps its state ("- - - - X"
//!   may be followed by a good datapoint). AWS words the M-of-N case as "at
//!   least as old as Evaluation Periods", but its own table (2 of 3, "- - -
//!   X -" → ALARM) follows M; the model follows the table.
//! - `ignore`: as `missing`, except that no datapoint, or only breaching ones
//!   short of M, keeps the current state (never INSUFFICIENT_DATA, never the
//!   premature ALARM).

use super::alarm::TreatMissing;
use crate::journal::record::AlarmState;

/// One period of the evaluation range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    Missing,
    NotBreaching,
    Breaching,
}

/// What the evaluation concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The new state; `None` keeps the current one.
    pub state: Option<AlarmState>,
    /// Indices into the range of the existing datapoints evaluated.
    pub evaluated: Vec<usize>,
    /// Missing periods filled in by `breaching` / `notBreaching`.
    pub filled: usize,
    /// Datapoints counted as breaching, fills included.
    pub breaching: usize,
}

/// How many periods an alarm with `evaluation_periods` retrieves.
pub fn evaluation_range(evaluation_periods: u32) -> u32 {
    evaluation_periods + 2
}

/// Decides over `range` (oldest first, newest last) for an M-of-N alarm.
pub fn decide(range: &[Point], n: usize, m: usize, treat: TreatMissing) -> Decision {
    let existing: Vec<usize> = (0..range.len())
        .filter(|&i| range[i] != Point::Missing)
        .collect();
    let count = |idx: &[usize]| {
        idx.iter()
            .filter(|&&i| range[i] == Point::Breaching)
            .count()
    };
    let verdict = |b: usize| {
        if b >= m {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        }
    };
    if existing.len() >= n {
        let evaluated = existing[existing.len() - n..].to_vec();
        let breaching = count(&evaluated);
        return Decision {
            state: Some(verdict(breaching)),
            evaluated,
            filled: 0,
            breaching,
        };
    }
    let real_breaching = count(&existing);
    let any_good = existing.iter().any(|&i| range[i] == Point::NotBreaching);
    let filled = n - existing.len();
    let state = match treat {
        TreatMissing::Breaching => {
            return Decision {
                state: Some(verdict(real_breaching + filled)),
                evaluated: existing,
                filled,
                breaching: real_breaching + filled,
            };
        }
        TreatMissing::NotBreaching => {
            return Decision {
                state: Some(verdict(real_breaching)),
                evaluated: existing,
                filled,
                breaching: real_breaching,
            };
        }
        _ if existing.is_empty() => {
            (treat == TreatMissing::Missing).then_some(AlarmState::InsufficientData)
        }
        _ if real_breaching >= m => Some(AlarmState::Alarm),
        _ if any_good => Some(AlarmState::Ok),
        TreatMissing::Missing => {
            // Every existing datapoint breaches, fewer than M of them.
            let last = range.len();
            let oldest_recent_breach = (last.saturating_sub(n)..last)
                .find(|&i| range[i] == Point::Breaching)
                .map(|i| last - i);
            oldest_recent_breach
                .is_some_and(|age| age >= m)
                .then_some(AlarmState::Alarm)
        }
        TreatMissing::Ignore => None,
    };
    Decision {
        state,
        evaluated: existing,
        filled: 0,
        breaching: real_breaching,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::{Alarm, InsufficientData as Insufficient, Ok};

    /// "0 - X - X" (oldest first) as points.
    fn pattern(s: &str) -> Vec<Point> {
        s.split_whitespace()
            .map(|c| match c {
                "0" => Point::NotBreaching,
                "X" => Point::Breaching,
                "-" => Point::Missing,
                other => panic!("{other}"),
            })
            .collect()
    }

    /// One row of AWS's table: the state for MISSING, IGNORE, BREACHING,
    /// NOT BREACHING (`None` = "Retain current state").
    fn row(points: &str, m: usize, expected: [Option<AlarmState>; 4]) {
        let range = pattern(points);
        assert_eq!(range.len() as u32, evaluation_range(3));
        let treatments = [
            TreatMissing::Missing,
            TreatMissing::Ignore,
            TreatMissing::Breaching,
            TreatMissing::NotBreaching,
        ];
        for (treat, want) in treatments.into_iter().zip(expected) {
            assert_eq!(
                decide(&range, 3, m, treat).state,
                want,
                "{points} with {treat:?}, {m} of 3"
            );
        }
    }

    // The first table: Datapoints to Alarm 3, Evaluation Periods 3,
    // evaluation range 5.
    #[test]
    fn three_of_three_row_1_gaps_reach_back_to_older_datapoints() {
        row("0 - X - X", 3, [Some(Ok); 4]);
    }

    #[test]
    fn three_of_three_row_2_one_good_datapoint_and_two_fills() {
        // Even as breaching, the two fills and the good datapoint make 2 of 3.
        row("0 - - - -", 3, [Some(Ok); 4]);
    }

    #[test]
    fn three_of_three_row_3_nothing_at_all() {
        row(
            "- - - - -",
            3,
            [Some(Insufficient), None, Some(Alarm), Some(Ok)],
        );
    }

    #[test]
    fn three_of_three_row_4_three_existing_breaching() {
        row("0 X X - X", 3, [Some(Alarm); 4]);
    }

    #[test]
    fn three_of_three_row_5_premature_alarm_state() {
        row("- - X - -", 3, [Some(Alarm), None, Some(Alarm), Some(Ok)]);
    }

    // The second table: 2 of 3.
    #[test]
    fn two_of_three_row_1() {
        row("0 - X - X", 2, [Some(Alarm); 4]);
    }

    #[test]
    fn two_of_three_row_2_older_datapoints_not_needed() {
        row("0 0 X 0 X", 2, [Some(Alarm); 4]);
    }

    #[test]
    fn two_of_three_row_3_one_fill() {
        row("0 - X - -", 2, [Some(Ok), Some(Ok), Some(Alarm), Some(Ok)]);
    }

    #[test]
    fn two_of_three_row_4_two_fills() {
        row("- - - - 0", 2, [Some(Ok), Some(Ok), Some(Alarm), Some(Ok)]);
    }

    #[test]
    fn two_of_three_row_5_premature_alarm_state() {
        row("- - - X -", 2, [Some(Alarm), None, Some(Alarm), Some(Ok)]);
    }

    // "Avoiding premature transitions to alarm state": a lone recent
    // breaching datapoint may be followed by a good one, so the alarm
    // neither goes to ALARM nor (having no good datapoint) to OK.
    #[test]
    fn a_recent_lone_breach_keeps_the_state() {
        for p in ["- - - - X", "- - - X -"] {
            let d = decide(&pattern(p), 3, 3, TreatMissing::Missing);
            assert_eq!(d.state, None, "{p}");
        }
        // …and once a good datapoint follows, OK.
        let d = decide(&pattern("- - - X 0"), 3, 3, TreatMissing::Missing);
        assert_eq!(d.state, Some(Ok));
    }

    #[test]
    fn fills_are_as_few_as_possible_and_counted() {
        let d = decide(&pattern("0 - X - -"), 3, 3, TreatMissing::Breaching);
        assert_eq!((d.filled, d.breaching, d.evaluated), (1, 2, vec![0, 2]));
        assert_eq!(d.state, Some(Ok));
    }
}
