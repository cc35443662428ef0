//! The observed load: what was offered when scaletrace did not send it
//! (`scaletrace observe`), and the rule that finds its changes.
//!
//! Sources, best first:
//! 1. a load file imported with `--load-from` (Locust, k6, CSV): the
//!    client's own rate, failures and latency, one-second resolution;
//! 2. CloudWatch `Invocations` (Sum per one-minute period, divided by 60)
//!    on a real-time endpoint, one-minute resolution;
//! 3. CloudWatch `ApproximateBacklogSize` (Average per minute) on an
//!    asynchronous endpoint, which publishes no `Invocations`: the level is
//!    requests queued, not requests per second.
//!
//! Change detection ([`changes`]): the load holds a *level* (the mean of the
//! samples since it settled). A sample more than [`REL_STEP`] of the level
//! away from it (and at least [`MIN_STEP`] in the series' unit), followed by
//! a sample on the same side, starts a change at that sample's start (a
//! single outlier is not one, nor does it move the level). The change lasts until [`SETTLE`] samples in
//! a row lie within half a step of their own mean: that mean is the new
//! level.
//! A ramp is one change from where it left the old level to where it
//! settled.

use crate::journal::record::LoadImportRecord;

use super::{Datapoint, MetricKey};

/// A sample differs from the level when it is more than this fraction of it
/// away…
pub const REL_STEP: f64 = 0.2;
/// …and more than this, in the series' unit (requests/s or requests queued).
pub const MIN_STEP: f64 = 0.5;
/// Samples in a row within the step of their mean for a new level.
pub const SETTLE: usize = 3;

/// Where the observed load came from.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadSource {
    /// A `--load-from` file: the tool (`Locust`, `k6`, `CSV`) and the file.
    Imported { tool: String, file: String },
    /// CloudWatch `Invocations` (Sum / 60).
    Invocations,
    /// CloudWatch `ApproximateBacklogSize` (async endpoints).
    Backlog,
}

impl LoadSource {
    /// "from CloudWatch Invocations", "from Locust (load.csv)".
    pub fn label(&self) -> String {
        match self {
            LoadSource::Imported { tool, file } => format!("from {tool} ({file})"),
            LoadSource::Invocations => "from CloudWatch Invocations".into(),
            LoadSource::Backlog => "from CloudWatch ApproximateBacklogSize".into(),
        }
    }

    /// The level's unit.
    pub fn unit(&self) -> &'static str {
        match self {
            LoadSource::Backlog => "queued",
            _ => "/s",
        }
    }
}

/// One sample of the observed load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPoint {
    pub start: f64,
    pub t: f64,
    /// Requests per second (requests queued for [`LoadSource::Backlog`]).
    pub rate: f64,
    pub failures_per_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedLoad {
    pub source: LoadSource,
    /// Seconds per sample: 1 for imported files, 60 for CloudWatch.
    pub resolution_s: f64,
    pub points: Vec<LoadPoint>,
}

/// A change the rule found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadChange {
    pub t: f64,
    pub from: f64,
    pub to: f64,
    /// Index in [`ObservedLoad::points`] of the first sample of the change.
    pub first: usize,
    /// Index of the first sample at the new level.
    pub settled: usize,
}

impl ObservedLoad {
    /// The observed load of a journal: its last import, else CloudWatch.
    pub fn of(
        imported: Option<&LoadImportRecord>,
        metrics: &std::collections::BTreeMap<MetricKey, Vec<Datapoint>>,
    ) -> Option<ObservedLoad> {
        if let Some(i) = imported {
            return Some(ObservedLoad {
                source: LoadSource::Imported {
                    tool: i.tool.clone(),
                    file: i.file.clone(),
                },
                resolution_s: 1.0,
                points: i
                    .samples
                    .iter()
                    .map(|s| LoadPoint {
                        start: s.start,
                        t: s.t,
                        rate: s.requests_per_s,
                        failures_per_s: s.failures_per_s,
                        p50_ms: s.p50_ms,
                        p99_ms: s.p99_ms,
                    })
                    .collect(),
            });
        }
        let series = |name: &str, stat: &str| {
            metrics
                .iter()
                .find(|(k, _)| k.name == name && k.stat == stat && k.period_s == 60)
                .map(|(_, v)| v)
        };
        let (source, dps, per_s) = if let Some(v) = series("Invocations", "Sum") {
            (LoadSource::Invocations, v, true)
        } else if let Some(v) = series("ApproximateBacklogSize", "Average") {
            (LoadSource::Backlog, v, false)
        } else {
            return None;
        };
        Some(ObservedLoad {
            source,
            resolution_s: 60.0,
            points: dps
                .iter()
                .map(|d| LoadPoint {
                    start: d.period_start,
                    t: d.period_end,
                    rate: if per_s { d.value() / 60.0 } else { d.value() },
                    failures_per_s: None,
                    p50_ms: None,
                    p99_ms: None,
                })
                .collect(),
        })
    }

    /// The load changes, by the rule in the module header.
    pub fn changes(&self) -> Vec<LoadChange> {
        let p = &self.points;
        let step = |level: f64| (REL_STEP * level.abs()).max(MIN_STEP);
        let away = |level: f64, v: f64| (v - level).abs() > step(level);
        let mut out = Vec::new();
        let Some(first) = p.first() else {
            return out;
        };
        let (mut level, mut n) = (first.rate, 1usize);
        let mut i = 1;
        while i < p.len() {
            let v = p[i].rate;
            let confirmed = p
                .get(i + 1)
                .is_some_and(|next| away(level, next.rate) && (next.rate > level) == (v > level));
            if !away(level, v) {
                level = (level * n as f64 + v) / (n + 1) as f64;
                n += 1;
                i += 1;
                continue;
            }
            if !confirmed {
                // A lone outlier: neither a change nor part of the level.
                i += 1;
                continue;
            }
            // A change from `level` starting at sample i: find where it settles.
            let mut j = i;
            let settled = loop {
                if j + SETTLE > p.len() {
                    break None;
                }
                let w = &p[j..j + SETTLE];
                let mean = w.iter().map(|x| x.rate).sum::<f64>() / SETTLE as f64;
                if w.iter().all(|x| (x.rate - mean).abs() <= step(mean) / 2.0) {
                    break Some((j, mean));
                }
                j += 1;
            };
            let (at, to) = settled.unwrap_or((p.len() - 1, p[p.len() - 1].rate));
            out.push(LoadChange {
                t: p[i].start,
                from: level,
                to,
                first: i,
                settled: at,
            });
            level = to;
            n = 1;
            i = at + 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(rates: &[f64], res: f64) -> ObservedLoad {
        ObservedLoad {
            source: LoadSource::Invocations,
            resolution_s: res,
            points: rates
                .iter()
                .enumerate()
                .map(|(i, r)| LoadPoint {
                    start: i as f64 * res,
                    t: (i + 1) as f64 * res,
                    rate: *r,
                    failures_per_s: None,
                    p50_ms: None,
                    p99_ms: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_step_is_one_change_at_its_first_sample() {
        let c = load(&[2.0, 2.0, 2.0, 10.0, 10.5, 9.5, 10.0], 60.0).changes();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].t, c[0].first, c[0].settled), (180.0, 3, 3));
        assert_eq!((c[0].from, c[0].to), (2.0, 10.0));
    }

    #[test]
    fn one_outlier_is_no_change_and_a_ramp_is_one() {
        assert!(load(&[5.0, 5.0, 20.0, 5.0, 5.0], 1.0).changes().is_empty());
        let c = load(&[5.0, 5.0, 8.0, 11.0, 14.0, 17.0, 20.0, 20.0, 20.0], 1.0).changes();
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].t, c[0].first, c[0].settled), (2.0, 2, 6));
        assert_eq!((c[0].from, c[0].to), (5.0, 20.0));
        let down = load(&[20.0, 20.0, 20.0, 4.0, 4.0, 4.0], 1.0).changes();
        assert_eq!(down.len(), 1);
        assert_eq!((down[0].t, down[0].to), (3.0, 4.0));
    }
}
