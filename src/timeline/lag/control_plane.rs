//! The control plane's own measurements: CloudWatch's publishing delay
//! (with the datapoints that were readable too early to have one), the
//! instance launch time and the peak instance count.

use serde::{Deserialize, Serialize};

use super::capacity::in_service_at;
use super::{Direction, Scaling, Stat, direction_of_activity};
use crate::timeline::{Datapoint, Timeline};

/// Datapoints first seen before their period ended. A period can't be
/// published before it ends, so these don't measure CloudWatch's delay.
/// One seen before its period even *began* carries a timestamp ahead of
/// the observer's clock: the clocks disagree (moto stamps datapoints with
/// its own clock; a real endpoint's account can't be behind UTC, but this
/// machine can). One seen during its period is CloudWatch's running value
/// of a period still in progress (GetMetricData returns partial periods;
/// the observer records the later revisions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Early {
    pub count: usize,
    /// Of those, seen before their period began: clock skew.
    pub before_period_start: usize,
    /// The most negative delay (first seen − period end), seconds.
    pub earliest_s: f64,
}

impl Early {
    /// The report's sentence.
    pub fn describe(&self) -> String {
        let ahead = crate::format::fmt(-self.earliest_s);
        if self.before_period_start > 0 {
            format!(
                "{} datapoints were read before their period ended, {} of them before it began (up to {ahead} s early): \
                 the datapoints' timestamps run ahead of this machine's clock (clock skew with the AWS API or a local stand-in), \
                 so they are left out of the publishing delay; check the machine's clock (NTP)",
                self.count, self.before_period_start
            )
        } else {
            format!(
                "{} datapoints were read while their period was still running (up to {ahead} s before it ended: \
                 CloudWatch's partial value), so they are left out of the publishing delay",
                self.count
            )
        }
    }
}

/// Every datapoint's publishing delay (only those seen after their period
/// ended), and the ones seen earlier.
fn publishing(tl: &Timeline) -> (Vec<f64>, Option<Early>) {
    let all: Vec<&Datapoint> = tl.metrics.values().flatten().collect();
    let (late, early): (Vec<&Datapoint>, Vec<&Datapoint>) =
        all.into_iter().partition(|d| d.publishing_delay() >= 0.0);
    let delays = late.iter().map(|d| d.publishing_delay()).collect();
    let early = (!early.is_empty()).then(|| Early {
        count: early.len(),
        before_period_start: early
            .iter()
            .filter(|d| d.first_seen < d.period_start)
            .count(),
        earliest_s: early
            .iter()
            .map(|d| d.publishing_delay())
            .fold(0.0, f64::min),
    });
    (delays, early)
}

pub(super) fn scaling(tl: &Timeline) -> Scaling {
    let (delays, publishing_early) = publishing(tl);
    let launches: Vec<f64> = tl
        .activities
        .iter()
        .filter(|a| a.not_scaled.is_empty() && direction_of_activity(a) == Some(Direction::Out))
        .filter_map(|a| {
            in_service_at(tl, a.start, Some(Direction::Out), a.to?).map(|e| e.t - a.start)
        })
        .collect();
    Scaling {
        publishing_delay: Stat::of(delays),
        publishing_early,
        launch: Stat::of(launches),
        max_instances: tl.max_instances(),
        scale_in_rule: tl
            .policies
            .iter()
            .find_map(|p| p.simulated_scale_in_rule.clone()),
    }
}
