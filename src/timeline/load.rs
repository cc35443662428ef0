//! The observed load: what was offered when scaletrace did not send it
//! (`scaletrace observe`), and the rule that finds its changes.
//!
//! Sources, best first:
//! 1. a load file imported with `--load-from` (Locust, k6, CSV): the
//!    client's own rate, failures and latency, one-second resolution;
//! 2. CloudWatch `Invocations` (Sum per one-minute period, divided by 60)
//!    on a real-time endpoint, one-minute resolution;
//! 3. on an asynchronous endpoint, which publishes no `Invocations`
//!    ("Alarms and logs for tracking metrics from asynchronous endpoints",
//!    <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html>),
//!    the requests that arrived each minute, from the metrics it does
//!    publish: what left the queue (`InvocationsProcesssed` and
//!    `ExpiredRequests`, Sum) plus what the queue grew by
//!    (`ApproximateBacklogSize` Average, this minute's less the minute
//!    before's; a minute after a gap in the backlog counts no growth), per
//!    second, clamped at 0. AWS publishes no arrival count for async
//!    endpoints, so this is an estimate with one-minute resolution; the
//!    averages make the backlog term lag the true arrivals by up to half a
//!    minute. (`InvocationFailures` are not added: a failed invocation was
//!    processed, as far as AWS's descriptions say.)
//! 4. `ApproximateBacklogSize` alone, when no `InvocationsProcesssed` was
//!    read: the level is requests queued, not requests per second.
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

mod health;

pub use health::{HealthPoint, ObservedHealth, judge_observed_slo};

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
    /// Async endpoints: `InvocationsProcesssed` + `ExpiredRequests` + the
    /// backlog's growth, per second (item 3 of the module header).
    AsyncArrivals,
    /// CloudWatch `ApproximateBacklogSize` alone (async endpoints).
    Backlog,
}

impl LoadSource {
    /// "from CloudWatch Invocations", "from Locust (load.csv)".
    pub fn label(&self) -> String {
        match self {
            LoadSource::Imported { tool, file } => format!("from {tool} ({file})"),
            LoadSource::Invocations => "from CloudWatch Invocations".into(),
            LoadSource::AsyncArrivals => {
                "from CloudWatch InvocationsProcesssed + backlog growth".into()
            }
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
        let per_minute = |dps: &Vec<Datapoint>, source, per_s: bool| ObservedLoad {
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
        };
        if let Some(v) = series("Invocations", "Sum") {
            return Some(per_minute(v, LoadSource::Invocations, true));
        }
        let backlog = series("ApproximateBacklogSize", "Average");
        if let Some(processed) = series("InvocationsProcesssed", "Sum") {
            return Some(async_arrivals(
                processed,
                series("ExpiredRequests", "Sum"),
                backlog,
            ));
        }
        backlog.map(|v| per_minute(v, LoadSource::Backlog, false))
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

/// An async endpoint's arrivals per second, minute by minute (item 3 of
/// the module header): a sample for every minute with a processed, expired
/// or backlog datapoint; a missing count is 0 when another series has the
/// minute.
fn async_arrivals(
    processed: &[Datapoint],
    expired: Option<&Vec<Datapoint>>,
    backlog: Option<&Vec<Datapoint>>,
) -> ObservedLoad {
    use std::collections::BTreeMap;
    let slot = |d: &Datapoint| (d.period_start * 1000.0).round() as i64;
    let by_slot = |v: &[Datapoint]| -> BTreeMap<i64, f64> {
        v.iter().map(|d| (slot(d), d.value())).collect()
    };
    let processed = by_slot(processed);
    let expired = expired.map(|v| by_slot(v)).unwrap_or_default();
    let backlog = backlog.map(|v| by_slot(v)).unwrap_or_default();
    let mut slots: Vec<i64> = processed
        .keys()
        .chain(expired.keys())
        .chain(backlog.keys())
        .copied()
        .collect();
    slots.sort_unstable();
    slots.dedup();
    let points = slots
        .into_iter()
        .map(|s| {
            let left =
                processed.get(&s).copied().unwrap_or(0.0) + expired.get(&s).copied().unwrap_or(0.0);
            let grew = match (backlog.get(&s), backlog.get(&(s - 60_000))) {
                (Some(now), Some(before)) => now - before,
                _ => 0.0,
            };
            let start = s as f64 / 1000.0;
            LoadPoint {
                start,
                t: start + 60.0,
                rate: ((left + grew) / 60.0).max(0.0),
                failures_per_s: None,
                p50_ms: None,
                p99_ms: None,
            }
        })
        .collect();
    ObservedLoad {
        source: LoadSource::AsyncArrivals,
        resolution_s: 60.0,
        points,
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

    fn dp(start: f64, value: f64) -> Datapoint {
        Datapoint {
            period_start: start,
            period_end: start + 60.0,
            first_seen: start + 90.0,
            versions: vec![(start + 90.0, value)],
        }
    }

    #[test]
    fn async_arrivals_are_what_left_the_queue_plus_what_it_grew_by() {
        let key = |name: &str, stat: &str| MetricKey {
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            stat: stat.into(),
            period_s: 60,
        };
        let mut m = std::collections::BTreeMap::new();
        // 60 a minute processed throughout; from 180 s the queue grows by
        // 300 a minute (arrivals 360 a minute = 6/s); one expired at 240 s.
        m.insert(
            key("InvocationsProcesssed", "Sum"),
            (0..6).map(|k| dp(60.0 * k as f64, 60.0)).collect(),
        );
        m.insert(
            key("ApproximateBacklogSize", "Average"),
            [0.0, 0.0, 0.0, 300.0, 600.0, 900.0]
                .iter()
                .enumerate()
                .map(|(k, v)| dp(60.0 * k as f64, *v))
                .collect(),
        );
        m.insert(key("ExpiredRequests", "Sum"), vec![dp(240.0, 6.0)]);
        let load = ObservedLoad::of(None, &m).unwrap();
        assert_eq!(load.source, LoadSource::AsyncArrivals);
        let rates: Vec<f64> = load.points.iter().map(|p| p.rate).collect();
        assert_eq!(rates, vec![1.0, 1.0, 1.0, 6.0, 6.1, 6.0]);
        let c = load.changes();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].t, c[0].from, c[0].to),
            (180.0, 1.0, 6.033333333333334)
        );
        // Without InvocationsProcesssed, the backlog itself, in requests queued.
        m.remove(&key("InvocationsProcesssed", "Sum"));
        m.remove(&key("ExpiredRequests", "Sum"));
        let load = ObservedLoad::of(None, &m).unwrap();
        assert_eq!(
            (load.source.clone(), load.source.unit()),
            (LoadSource::Backlog, "queued")
        );
    }
}
