//! The worst lag of a direction, for the `scale_out_lag_s` /
//! `scale_in_lag_s` gates and `compare`: the longest episode, or why there
//! is no number (an episode that never completed, or none at all). The
//! reason becomes the gate's note, so its wording is part of the output.

use super::{Direction, Episode};

/// Why a direction has no worst lag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorstLagError {
    /// An episode of the direction never reached capacity in service: its
    /// lag is unbounded, so no number would be honest.
    #[error("{} at {from_s} s never completed: {missing}", .direction.label())]
    NeverCompleted {
        direction: Direction,
        /// When the episode's impact window starts, seconds since the run
        /// started.
        from_s: f64,
        /// The chain's first missing link, as the lag table names it.
        missing: String,
    },
    /// The journal has no episode of the direction.
    #[error("no data: no {} episode in the journal", .direction.label())]
    NoEpisode { direction: Direction },
}

/// The longest episode of a direction, load change → capacity in service.
pub fn worst_lag(episodes: &[Episode], dir: Direction) -> Result<f64, WorstLagError> {
    let mut worst: Option<f64> = None;
    for e in episodes.iter().filter(|e| e.direction == dir) {
        match e.total_s {
            Some(t) => worst = Some(worst.map_or(t, |w: f64| w.max(t))),
            None => {
                return Err(WorstLagError::NeverCompleted {
                    direction: dir,
                    from_s: e.impact.from_s,
                    missing: e
                        .missing()
                        .unwrap_or("capacity never in service")
                        .to_string(),
                });
            }
        }
    }
    worst.ok_or(WorstLagError::NoEpisode { direction: dir })
}
