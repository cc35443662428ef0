//! The shards' start instant: merged only when they share one, and each
//! shard's lateness reported.
//!
//! Shards run with `run --start-at` all put `t = 0` at the same UTC
//! instant, so their load changes line up on the endpoint and merging
//! needs no shifting. Shards of one merge must all have used it, with one
//! instant: a shard that began at another instant ran its phases at other
//! times, and no shift of its journal makes the endpoint have seen them
//! together. Shards without `--start-at` are still merged on the earliest
//! start's clock, with a warning when their starts were far apart.

use std::path::PathBuf;

use super::{MergeError, ShardRun};
use crate::journal::record::{Record, StartRecord};

/// Start-ups further apart than this, without `--start-at`, smear each
/// load change of the plan over that long: worth a warning.
const SPREAD_WARNING_S: f64 = 0.5;

/// How one shard met the start instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardStart {
    pub shard: String,
    pub dir: PathBuf,
    /// Its `start` line; `None` when it ran without `--start-at`.
    pub start: Option<StartRecord>,
}

impl std::fmt::Display for ShardStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fmt = crate::format::fmt;
        write!(f, "shard {} ({}): ", self.shard, self.dir.display())?;
        match &self.start {
            None => write!(f, "ran without --start-at"),
            Some(s) if s.late_s > 0.0 => write!(
                f,
                "{} s late for {}: its sends before t = {} s are missing",
                fmt(s.late_s),
                crate::clock::rfc3339(s.start_at),
                fmt(s.late_s)
            ),
            Some(s) => write!(
                f,
                "on time for {} (waited {} s)",
                crate::clock::rfc3339(s.start_at),
                fmt(s.waited_s)
            ),
        }
    }
}

/// The first `start` line of a journal.
fn start_of(s: &ShardRun) -> Option<&StartRecord> {
    s.data.records.iter().find_map(|r| match r {
        Record::Start(s) => Some(s),
        _ => None,
    })
}

/// How each shard met the start instant, in the order given.
pub fn starts(shards: &[ShardRun]) -> Vec<ShardStart> {
    shards
        .iter()
        .map(|s| ShardStart {
            shard: s.data.info.shard.clone(),
            dir: s.dir.clone(),
            start: start_of(s).cloned(),
        })
        .collect()
}

/// Refuses shards that did not share one start instant; returns the
/// notes for the merged journal.
pub(super) fn check(ordered: &[ShardRun]) -> Result<Vec<String>, MergeError> {
    let with = ordered.iter().find_map(|s| start_of(s).map(|r| (s, r)));
    let Some((first, expected)) = with else {
        return Ok(spread_note(ordered).into_iter().collect());
    };
    for s in ordered {
        match start_of(s) {
            None => {
                return Err(MergeError::NoStartAt {
                    dir: s.dir.clone(),
                    other: first.dir.clone(),
                    at: crate::clock::rfc3339(expected.start_at),
                });
            }
            Some(r) if r.start_at != expected.start_at => {
                return Err(MergeError::OtherStartAt {
                    dir: s.dir.clone(),
                    at: crate::clock::rfc3339(r.start_at),
                    first: first.dir.clone(),
                    expected: crate::clock::rfc3339(expected.start_at),
                });
            }
            Some(_) => {}
        }
    }
    Ok(Vec::new())
}

/// Without `--start-at`: a warning when the shards started far apart.
fn spread_note(ordered: &[ShardRun]) -> Option<String> {
    let at = |s: &ShardRun| s.data.info.started_at;
    let first = ordered.iter().map(at).min()?;
    let last = ordered.iter().map(at).max()?;
    let spread = (last - first).num_milliseconds() as f64 / 1000.0;
    (spread > SPREAD_WARNING_S).then(|| {
        format!(
            "the shards ran without --start-at and started {} s apart: each ran the plan from its own start, so every load change is spread over that long (run them with one --start-at)",
            crate::format::fmt(spread)
        )
    })
}
