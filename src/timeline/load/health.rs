//! How users fared in an observe-only run (`scaletrace observe`), where
//! scaletrace measured no request itself: latency and errors per sample,
//! and the lag chain's last link ("back within SLO") judged on them.
//!
//! Sources, best first:
//! 1. the `--load-from` file, when it has the client's percentiles or
//!    failures (Locust's `50%`/`99%` and `Failures/s`, k6's
//!    `http_req_duration` and `http_req_failed`): one-second resolution;
//! 2. CloudWatch on a real-time endpoint: `ModelLatency` +
//!    `OverheadLatency` at p50 and p99 (extended statistics, microseconds;
//!    "Monitor Amazon SageMaker AI with Amazon CloudWatch",
//!    <https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html>:
//!    ModelLatency is the time the model took, OverheadLatency what
//!    SageMaker added, so their sum is the time a request spent in the
//!    endpoint) and `(Invocation4XXErrors + Invocation5XXErrors) /
//!    Invocations`, one-minute resolution. A sum of two p99s is not the p99
//!    of the sums (CloudWatch publishes no percentile of the total); it is
//!    the figure the report can honestly name, and the link's detail names
//!    it. Async endpoints publish neither in the observer's set, so their
//!    chain says no latency was observed.
//!
//! Recovery follows the load run's rule (module [`crate::timeline::lag`]):
//! the first sample at or after capacity came into service from which
//! [`SLO_SUSTAIN_S`] seconds, or one sample when samples are longer, all
//! meet the `[slo]`; a sample lacking a figure is not judged on it.

use std::collections::BTreeMap;

use crate::clock::{rfc3339, utc_at};
use crate::profile::Slo;
use crate::timeline::lag::{IN_SERVICE, LagAnalysis, SLO_SUSTAIN_S, WITHIN_SLO, slo_text};
use crate::timeline::{Datapoint, Timeline};

use super::LoadSource;

/// One sample of latency and errors.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthPoint {
    pub start: f64,
    pub t: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Errors / requests, 0..=1.
    pub error_rate: Option<f64>,
}

/// Latency and errors of an observe-only run, and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedHealth {
    /// "from Locust (load.csv)", "from CloudWatch ModelLatency +
    /// OverheadLatency, Invocation4XX/5XXErrors".
    pub label: String,
    /// Where the latency and the errors came from, each on its own
    /// ("from CloudWatch ModelLatency + OverheadLatency"); the file's label
    /// for an imported load.
    pub latency_source: String,
    pub errors_source: String,
    pub resolution_s: f64,
    pub points: Vec<HealthPoint>,
}

fn slot(start: f64) -> i64 {
    (start * 1000.0).round() as i64
}

impl ObservedHealth {
    /// The run's observed health; `None` when nothing measured latency or
    /// errors.
    pub fn of(tl: &Timeline) -> Option<ObservedHealth> {
        if let Some(load) = &tl.load
            && matches!(load.source, LoadSource::Imported { .. })
            && load
                .points
                .iter()
                .any(|p| p.p99_ms.is_some() || p.p50_ms.is_some() || p.failures_per_s.is_some())
        {
            return Some(ObservedHealth {
                label: load.source.label(),
                latency_source: load.source.label(),
                errors_source: load.source.label(),
                resolution_s: load.resolution_s,
                points: load
                    .points
                    .iter()
                    .map(|p| HealthPoint {
                        start: p.start,
                        t: p.t,
                        p50_ms: p.p50_ms,
                        p99_ms: p.p99_ms,
                        error_rate: p
                            .failures_per_s
                            .filter(|_| p.rate > 0.0)
                            .map(|f| (f / p.rate).min(1.0)),
                    })
                    .collect(),
            });
        }
        Self::of_cloudwatch(tl)
    }

    fn of_cloudwatch(tl: &Timeline) -> Option<ObservedHealth> {
        let series = |name: &str, stat: &str| -> BTreeMap<i64, (f64, f64)> {
            tl.metrics
                .iter()
                .find(|(k, _)| k.name == name && k.stat == stat && k.period_s == 60)
                .map(|(_, v): (_, &Vec<Datapoint>)| {
                    v.iter()
                        .map(|d| (slot(d.period_start), (d.period_start, d.value())))
                        .collect()
                })
                .unwrap_or_default()
        };
        // Microseconds → ms, the two latencies added where both exist.
        let latency = |stat: &str| -> BTreeMap<i64, (f64, f64)> {
            let model = series("ModelLatency", stat);
            let overhead = series("OverheadLatency", stat);
            model
                .iter()
                .map(|(k, (s, m))| {
                    let o = overhead.get(k).map_or(0.0, |o| o.1);
                    (*k, (*s, (m + o) / 1000.0))
                })
                .collect()
        };
        let (p50, p99) = (latency("p50"), latency("p99"));
        let invocations = series("Invocations", "Sum");
        let (e4, e5) = (
            series("Invocation4XXErrors", "Sum"),
            series("Invocation5XXErrors", "Sum"),
        );
        let errors: BTreeMap<i64, (f64, f64)> = invocations
            .iter()
            .filter(|(k, _)| e4.contains_key(k) || e5.contains_key(k))
            .filter(|(_, (_, n))| *n > 0.0)
            .map(|(k, (s, n))| {
                let e = e4.get(k).map_or(0.0, |v| v.1) + e5.get(k).map_or(0.0, |v| v.1);
                (*k, (*s, (e / n).min(1.0)))
            })
            .collect();
        let mut slots: Vec<(i64, f64)> = p50
            .iter()
            .chain(&p99)
            .chain(&errors)
            .map(|(k, (s, _))| (*k, *s))
            .collect();
        slots.sort_by_key(|s| s.0);
        slots.dedup_by_key(|s| s.0);
        if slots.is_empty() {
            return None;
        }
        const LATENCY: &str = "ModelLatency + OverheadLatency";
        const ERRORS: &str = "Invocation4XX/5XXErrors ÷ Invocations";
        let mut parts = Vec::new();
        if !p99.is_empty() || !p50.is_empty() {
            parts.push(LATENCY);
        }
        if !errors.is_empty() {
            parts.push(ERRORS);
        }
        Some(ObservedHealth {
            label: format!("from CloudWatch {}", parts.join(", ")),
            latency_source: format!("from CloudWatch {LATENCY}"),
            errors_source: format!("from CloudWatch {ERRORS}"),
            resolution_s: 60.0,
            points: slots
                .into_iter()
                .map(|(k, start)| HealthPoint {
                    start,
                    t: start + 60.0,
                    p50_ms: p50.get(&k).map(|v| v.1),
                    p99_ms: p99.get(&k).map(|v| v.1),
                    error_rate: errors.get(&k).map(|v| v.1),
                })
                .collect(),
        })
    }

    /// "one-minute resolution", "1-second resolution".
    pub fn resolution(&self) -> String {
        if self.resolution_s >= 60.0 {
            "one-minute resolution".into()
        } else {
            format!("{}-second resolution", fmt_s(self.resolution_s))
        }
    }

    /// When latency and errors came back within `slo` for good, judged
    /// from capacity in service at `ready` (the module header's rule).
    pub fn recovered(&self, slo: &Slo, ready: f64) -> Option<f64> {
        let pts: Vec<&HealthPoint> = self.points.iter().filter(|p| p.t > ready + 1e-9).collect();
        let sustain = SLO_SUSTAIN_S.max(self.resolution_s);
        (0..pts.len()).find_map(|k| {
            let from = pts[k].start.max(ready);
            let ok = pts[k..]
                .iter()
                .take_while(|p| p.start < from + sustain)
                .all(|p| within(slo, p));
            ok.then_some(from)
        })
    }
}

fn fmt_s(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn within(slo: &Slo, p: &HealthPoint) -> bool {
    let under = |limit: Option<f64>, v: Option<f64>| limit.is_none_or(|m| v.is_none_or(|v| v <= m));
    under(slo.p50_ms, p.p50_ms)
        && under(slo.p99_ms, p.p99_ms)
        && under(slo.error_rate, p.error_rate)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// An observe-only run's "back within SLO" links, judged on the observed
/// health instead of scaletrace's own intervals (which such a run has
/// none of, so the load-run rule finds no recovery). Each episode's
/// missing [`WITHIN_SLO`] link after a [`IN_SERVICE`] link is replaced:
/// by the time latency came back, or by why it did not or could not.
pub fn judge_observed_slo(
    lag: &mut LagAnalysis,
    tl: &Timeline,
    slo: &Slo,
    started_at: chrono::DateTime<chrono::Utc>,
) {
    let health = ObservedHealth::of(tl);
    for e in &mut lag.episodes {
        let Some(i) = e
            .links
            .iter()
            .position(|l| l.name == WITHIN_SLO && l.missing.is_some())
        else {
            continue;
        };
        let Some(ready) = e.links[..i]
            .iter()
            .rev()
            .find(|l| l.name == IN_SERVICE)
            .and_then(|l| l.t_s)
        else {
            continue;
        };
        let prev = e.links[..i].iter().rev().find_map(|l| l.t_s);
        let old = e.links[i].missing.clone().unwrap_or_default();
        let link = &mut e.links[i];
        let Some(h) = &health else {
            let why = format!(
                "no latency or errors observed to judge {} by: no CloudWatch ModelLatency \
                 p50/p99 or error counts, and no --load-from file with the client's",
                slo_text(slo)
            );
            if let Some(w) = &mut e.where_time_went {
                *w = w.replace(&format!(", then {old}"), &format!(", then {why}"));
            }
            e.links[i].missing = Some(why);
            continue;
        };
        let what = format!("{} ({}, {})", slo_text(slo), h.label, h.resolution());
        match h.recovered(slo, ready) {
            Some(t) => {
                link.at = Some(rfc3339(utc_at(started_at, t)));
                link.t_s = Some(round3(t));
                link.delta_s = prev.map(|p| round3(t - p));
                link.missing = None;
                link.detail = Some(what);
            }
            None => {
                link.missing = Some(format!("latency/errors never back within SLO: {what}"));
            }
        }
        // "Where the time went" ends with what stopped a chain cut short
        // (", then <missing>"): say the new reason, or, once the link is
        // there, the total as a whole chain's sentence does.
        let now = match (&e.links[i].missing, e.total_s) {
            (Some(m), _) => format!(", then {m}"),
            (None, Some(total)) if e.missing().is_none() => {
                format!(" = {}", crate::timeline::lag::duration_words(total))
            }
            (None, _) => String::new(),
        };
        if let Some(w) = &mut e.where_time_went {
            *w = if w.contains(" + ") || now.starts_with(", ") {
                w.replace(&format!(", then {old}"), &now)
            } else {
                w.replace(&format!(", then {old}"), "")
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(start: f64, p99: f64, errors: Option<f64>) -> HealthPoint {
        HealthPoint {
            start,
            t: start + 60.0,
            p50_ms: None,
            p99_ms: Some(p99),
            error_rate: errors,
        }
    }

    #[test]
    fn recovery_is_the_first_good_sample_from_capacity_in_service() {
        let h = ObservedHealth {
            label: "from CloudWatch ModelLatency + OverheadLatency".into(),
            latency_source: String::new(),
            errors_source: String::new(),
            resolution_s: 60.0,
            points: vec![
                point(840.0, 2000.0, None),
                point(900.0, 900.0, None),
                point(960.0, 120.0, Some(0.001)),
                point(1020.0, 110.0, None),
            ],
        };
        let slo = Slo {
            p99_ms: Some(300.0),
            ..Slo::default()
        };
        // In service at 905: the minute 900–960 still breached.
        assert_eq!(h.recovered(&slo, 905.0), Some(960.0));
        // In service at 960.5: judged from then on, within the same minute.
        assert_eq!(h.recovered(&slo, 960.5), Some(960.5));
        let strict = Slo {
            error_rate: Some(0.0005),
            ..slo
        };
        assert_eq!(h.recovered(&strict, 905.0), Some(1020.0));
        assert_eq!(h.recovered(&slo, 1080.0), None);
    }
}
