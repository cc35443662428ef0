//! What one candidate's simulation cost and how it served, computed from
//! its run's journal and summary (so any run directory can be re-measured):
//!
//! - **instance-minutes** (cost): the integral of instances in service
//!   (`current` in the `endpoint` records, as observed every `[observe]
//!   interval`) over the load, divided by 60. Launching instances are not
//!   counted; the observe tail after the load is not counted.
//! - **time under-provisioned**: the seconds of load in which the offered
//!   rate (the traffic's rate at that second, from the phases: no arrival
//!   noise) exceeded in-service capacity (instances in service × one
//!   instance's throughput, `worker_slots / mean service time`, or MAX_RPS
//!   with `--capacity-json`). Chosen over the lag episodes' impact windows
//!   because it also counts time no episode explains (a target value so
//!   high that no alarm fires) and none when capacity was enough anyway.
//! - **p99 during scale-out**: the p99 latency of the requests completed in
//!   the scale-out episodes' impact windows (load change → capacity in
//!   service), from the merged interval histograms; none without a
//!   scale-out episode.
//! - overall p99 latency and error rate (the run's summary);
//! - scale-out and scale-in lag: the longest `total_s` per direction in the
//!   lag analysis, or "never" when capacity did not come in some episode.

use serde::{Deserialize, Serialize};

use crate::format::pct;
use crate::histogram;
use crate::journal::record::Record;
use crate::profile::{Phase, Slo};
use crate::report::Report;
use crate::timeline::TimelineError;
use crate::timeline::lag::Direction;

/// The lag of one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lag {
    /// Episodes in this direction.
    pub episodes: usize,
    /// The longest load change → capacity in service among those that got
    /// there.
    pub longest_s: Option<f64>,
    /// Episodes whose capacity never came into service.
    pub never: usize,
    /// What stopped the first of those: its chain's missing link, with a
    /// not-scaled reason cut to its code ("AlreadyAtMaxCapacity"). A bare
    /// "1 never" did not say that target value 1200 had already reached
    /// MaxCapacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_why: Option<String>,
}

impl Lag {
    /// `—` without episodes; the longest in seconds, with how many never
    /// got capacity in service and why (`360 s, 1 never:
    /// AlreadyAtMaxCapacity`); `never` when none did.
    pub fn cell(&self) -> String {
        let why = self
            .never_why
            .as_deref()
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        match (self.episodes, self.never, self.longest_s) {
            (0, _, _) => "—".into(),
            (_, 0, Some(s)) => format!("{s:.0} s"),
            (_, n, Some(s)) => format!("{s:.0} s, {n} never{why}"),
            (_, _, None) => format!("never{why}"),
        }
    }
}

/// An episode's missing link, short enough for a table cell: a not-scaled
/// reason becomes its code ("did not scale: AlreadyAtMaxCapacity (max 4, …)"
/// → "AlreadyAtMaxCapacity"), any other its headline ("capacity never in
/// service: last seen …" → "capacity never in service").
fn never_why(e: &crate::timeline::lag::Episode) -> Option<String> {
    let missing = e.links.iter().find_map(|l| l.missing.as_deref())?;
    let short = missing.strip_prefix("did not scale: ").unwrap_or(missing);
    let short = short.split(" (").next().unwrap_or(short);
    Some(short.split(':').next().unwrap_or(short).to_string())
}

/// One candidate's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub instance_minutes: f64,
    pub under_provisioned_s: f64,
    /// p99 latency during scale-out episodes, ms.
    pub scale_out_p99_ms: Option<f64>,
    pub p99_ms: f64,
    /// Errors / completed (0 when nothing completed).
    pub error_rate: f64,
    pub scale_out_lag: Lag,
    pub scale_in_lag: Lag,
    /// The most instances in service at any observation.
    pub max_instances: u32,
}

/// The offered rate at `t` seconds.
fn rate_at(phases: &[Phase], t: f64) -> f64 {
    let mut start = 0.0;
    for p in phases {
        let d = p.duration.as_secs_f64();
        if t < start + d {
            let f = if d > 0.0 { (t - start) / d } else { 0.0 };
            return p.from_rate + (p.to_rate - p.from_rate) * f;
        }
        start += d;
    }
    0.0
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// Measures a candidate's run. `initial` is the instance count before the
/// first `endpoint` record; `per_instance_rps` one instance's throughput.
pub fn measure(
    report: &Report,
    phases: &[Phase],
    initial: u32,
    per_instance_rps: f64,
) -> Result<Metrics, TimelineError> {
    let load_end = report.summary.duration_s;
    // Instances in service as a step function: (from t, count).
    let mut steps: Vec<(f64, u32)> = vec![(0.0, initial)];
    for r in &report.data.records {
        if let Record::Endpoint(e) = r {
            steps.push((e.t.max(0.0), e.current));
        }
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let current_at = |t: f64| {
        steps
            .iter()
            .rev()
            .find(|(from, _)| *from <= t)
            .map(|s| s.1)
            .unwrap_or(initial)
    };
    let mut instance_s = 0.0;
    for (i, (from, n)) in steps.iter().enumerate() {
        let to = steps
            .get(i + 1)
            .map(|s| s.0)
            .unwrap_or(load_end)
            .min(load_end);
        if to > *from {
            instance_s += (to - from) * *n as f64;
        }
    }
    let mut under = 0.0;
    let mut t = 0.0;
    while t < load_end {
        let dt = (load_end - t).min(1.0);
        let mid = t + dt / 2.0;
        if rate_at(phases, mid) > current_at(mid) as f64 * per_instance_rps + 1e-9 {
            under += dt;
        }
        t += dt;
    }
    let windows: Vec<(f64, f64)> = report
        .summary
        .lag
        .iter()
        .filter(|e| e.direction == Direction::Out)
        .map(|e| (e.impact.from_s, e.impact.to_s))
        .collect();
    let mut scale_out = histogram::new_hist();
    let mut any = false;
    for r in &report.data.records {
        if let Record::Interval(i) = r {
            let mid = (i.start + i.t) / 2.0;
            if i.completed > 0 && windows.iter().any(|(a, b)| mid >= *a && mid < *b) {
                scale_out.add(histogram::decode(&i.latency)?)?;
                any = true;
            }
        }
    }
    let lag = |d: Direction| {
        let eps: Vec<_> = report
            .summary
            .lag
            .iter()
            .filter(|e| e.direction == d)
            .collect();
        Lag {
            episodes: eps.len(),
            longest_s: eps
                .iter()
                .filter_map(|e| e.total_s)
                .reduce(f64::max)
                .map(round3),
            never: eps.iter().filter(|e| e.total_s.is_none()).count(),
            never_why: eps
                .iter()
                .filter(|e| e.total_s.is_none())
                .find_map(|e| never_why(e)),
        }
    };
    Ok(Metrics {
        instance_minutes: round3(instance_s / 60.0),
        under_provisioned_s: round3(under),
        scale_out_p99_ms: (!windows.is_empty()).then(|| {
            if any {
                round3(histogram::quantile_ms(&scale_out, 0.99))
            } else {
                0.0
            }
        }),
        p99_ms: report.summary.latency_ms.p99,
        error_rate: report.summary.error_rate().unwrap_or(0.0),
        scale_out_lag: lag(Direction::Out),
        scale_in_lag: lag(Direction::In),
        max_instances: steps.iter().map(|s| s.1).max().unwrap_or(initial),
    })
}

/// The SLO a candidate must meet, and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloUsed {
    /// `[slo]` or `[capacity]`.
    pub source: String,
    pub p99_ms: Option<f64>,
    /// Errors / completed at most this.
    pub error_rate: Option<f64>,
}

impl SloUsed {
    /// The profile's `[slo]` p99_ms/error_rate when it sets either, else
    /// `[capacity]` p99_ms and 1 − min_success_ratio.
    pub fn choose(slo: Option<&Slo>, capacity: &crate::profile::CapacitySpec) -> SloUsed {
        match slo {
            Some(s) if s.p99_ms.is_some() || s.error_rate.is_some() => SloUsed {
                source: "[slo]".into(),
                p99_ms: s.p99_ms,
                error_rate: s.error_rate,
            },
            _ => SloUsed {
                source: "[capacity]".into(),
                p99_ms: Some(capacity.search.p99_ms),
                error_rate: Some(round9(1.0 - capacity.search.min_success_ratio)),
            },
        }
    }

    /// `[slo] p99 ≤ 500 ms, error rate ≤ 1 %`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.p99_ms {
            parts.push(format!("p99 ≤ {} ms", super::scenario::num(p)));
        }
        if let Some(e) = self.error_rate {
            parts.push(format!("error rate ≤ {} %", pct(e)));
        }
        format!("{} {}", self.source, parts.join(", "))
    }

    /// `Ok` when the metrics meet it, else why not.
    pub fn verdict(&self, m: &Metrics) -> Result<(), SloMiss> {
        let miss = SloMiss {
            p99_ms: self.p99_ms.filter(|&p| m.p99_ms > p).map(|p| (m.p99_ms, p)),
            error_rate: self
                .error_rate
                .filter(|&e| m.error_rate > e)
                .map(|e| (m.error_rate, e)),
        };
        if miss.p99_ms.is_none() && miss.error_rate.is_none() {
            Ok(())
        } else {
            Err(miss)
        }
    }
}

/// How a candidate missed the SLO: each limit it exceeded, as `(measured,
/// limit)`; at least one is set. Displayed as the candidate's `reason`,
/// `p99 700 ms > 500 ms, errors 2 % > 1 %`.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct SloMiss {
    pub p99_ms: Option<(f64, f64)>,
    pub error_rate: Option<(f64, f64)>,
}

impl SloMiss {
    fn describe(&self) -> String {
        let mut why = Vec::new();
        if let Some((v, p)) = self.p99_ms {
            why.push(format!("p99 {v:.0} ms > {} ms", super::scenario::num(p)));
        }
        if let Some((v, e)) = self.error_rate {
            why.push(format!("errors {} % > {} %", pct(v), pct(e)));
        }
        why.join(", ")
    }
}

fn round9(v: f64) -> f64 {
    (v * 1e9).round() / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rate_follows_the_phases() {
        let p = |d: u64, a: f64, b: f64| Phase {
            name: "p".into(),
            duration: Duration::from_secs(d),
            from_rate: a,
            to_rate: b,
        };
        let phases = [p(60, 10.0, 10.0), p(60, 0.0, 60.0)];
        assert_eq!(rate_at(&phases, 30.0), 10.0);
        assert_eq!(rate_at(&phases, 90.0), 30.0);
        assert_eq!(rate_at(&phases, 500.0), 0.0);
    }

    #[test]
    fn lag_cells() {
        let lag = |episodes, longest_s, never| Lag {
            episodes,
            longest_s,
            never,
            never_why: None,
        };
        assert_eq!(lag(0, None, 0).cell(), "—");
        assert_eq!(lag(2, Some(359.6), 0).cell(), "360 s");
        assert_eq!(lag(2, Some(360.0), 1).cell(), "360 s, 1 never");
        assert_eq!(lag(1, None, 1).cell(), "never");
        let at_max = Lag {
            never_why: Some("AlreadyAtMaxCapacity".into()),
            ..lag(2, Some(710.0), 1)
        };
        assert_eq!(at_max.cell(), "710 s, 1 never: AlreadyAtMaxCapacity");
    }

    #[test]
    fn slo_comes_from_slo_then_capacity() {
        let cap = crate::profile::CapacitySpec::default();
        let used = SloUsed::choose(None, &cap);
        assert_eq!(
            used.describe(),
            "[capacity] p99 ≤ 1000 ms, error rate ≤ 0.1 %"
        );
        let slo = Slo {
            p50_ms: Some(10.0),
            ..Slo::default()
        };
        assert_eq!(SloUsed::choose(Some(&slo), &cap).source, "[capacity]");
        let slo = Slo {
            p99_ms: Some(500.0),
            error_rate: Some(0.01),
            ..Slo::default()
        };
        let used = SloUsed::choose(Some(&slo), &cap);
        assert_eq!(used.describe(), "[slo] p99 ≤ 500 ms, error rate ≤ 1 %");
        let lag = Lag {
            episodes: 0,
            longest_s: None,
            never: 0,
            never_why: None,
        };
        let mut m = Metrics {
            instance_minutes: 1.0,
            under_provisioned_s: 0.0,
            scale_out_p99_ms: None,
            p99_ms: 400.0,
            error_rate: 0.0,
            scale_out_lag: lag.clone(),
            scale_in_lag: lag,
            max_instances: 1,
        };
        assert!(used.verdict(&m).is_ok());
        m.p99_ms = 700.4;
        m.error_rate = 0.02;
        assert_eq!(
            used.verdict(&m).unwrap_err().to_string(),
            "p99 700 ms > 500 ms, errors 2 % > 1 %"
        );
    }
}
