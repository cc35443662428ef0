//! When a load change reached the endpoint, from the journal's one-second
//! intervals, as opposed to when its phase started.

use super::{Direction, num};
use crate::journal::JournalData;
use crate::timeline::Timeline;

/// Moves each load change to when the endpoint felt it, from the journal's
/// one-second intervals:
/// - from a rate of 0, the first request sent (a phase "0 → 2/s" may send
///   its first request seconds later; what wakes an idle endpoint is that
///   request);
/// - on an async endpoint, a drop counts from when the backlog drained (no
///   request in flight), not from the last send: until then instances are
///   still busy with the queue, and a scale out may still be pending.
pub(super) fn refine_load_changes(
    data: &JournalData,
    tl: &Timeline,
    changes: Vec<(f64, Direction, String, f64)>,
) -> Vec<(f64, Direction, String)> {
    let intervals: Vec<_> = data.intervals().collect();
    let next_of: Vec<f64> = (0..changes.len())
        .map(|i| changes.get(i + 1).map(|c| c.0).unwrap_or(f64::INFINITY))
        .collect();
    changes
        .into_iter()
        .zip(next_of)
        .map(|((t0, dir, cause, prev_rate), t_next)| {
            if dir == Direction::Out && prev_rate <= 0.0 {
                if let Some(i) = intervals
                    .iter()
                    .find(|i| i.start >= t0 - 1e-9 && i.start < t_next && i.sent > 0)
                {
                    return (
                        i.start,
                        dir,
                        format!("{cause}, first request at {} s", num(i.start)),
                    );
                }
            } else if dir == Direction::In
                && tl.is_async()
                && let Some(i) = intervals
                    .iter()
                    .find(|i| i.t >= t0 && i.t < t_next && i.in_flight == 0)
                && i.t > t0 + 1.0 + 1e-9
            {
                return (
                    i.t,
                    dir,
                    format!("{cause}, backlog drained at {} s", num(i.t)),
                );
            }
            (t0, dir, cause)
        })
        .collect()
}
