//! Baseline comparison: what moved between two runs' summaries, and
//! whether any move exceeds its tolerance. Used by `scaletrace compare` and
//! by the `[gates] baseline` gate.

use std::path::{Path, PathBuf};

use crate::format::fmt;
use crate::profile::Tolerances;
use crate::summary::{Measures, Summary};
use crate::timeline::lag::Direction;
use crate::timeline::lag::worst_lag;
use crate::verdict::GateResult;

/// How a row's change is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Percent of the baseline's value.
    Percent,
    /// Current − baseline, in the quantity's own unit (the error rate: a
    /// fraction, so 0.001 is 0.1 percentage points, as `error_rate_increase`
    /// is written).
    Absolute,
}

/// One compared quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub metric: &'static str,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// The tolerance field that applies, and its value.
    pub tolerance: Option<(&'static str, f64)>,
    pub unit: Unit,
    /// The signed change from baseline to current, in `unit`: positive
    /// when the quantity rose, whichever direction is worse (33.56 →
    /// 118.14 req/s is +252.0 %).
    pub change: Option<f64>,
    /// The change in the bad direction, as the tolerance measures it (a
    /// fall of the achieved rate by 71.6 % is 71.6 here, a rise −252.0).
    pub worse_by: Option<f64>,
    pub exceeded: bool,
}

impl Row {
    /// The row as a gate, when a tolerance applies.
    pub fn gate(&self) -> Option<GateResult> {
        let (name, tol) = self.tolerance?;
        Some(GateResult {
            name: format!("baseline.{name}"),
            threshold: tol,
            value: self.worse_by.map(|c| (c * 1000.0).round() / 1000.0),
            passed: !self.exceeded,
            note: match (self.baseline, self.current) {
                (Some(b), Some(c)) => Some(format!("{}: {} → {}", self.metric, fmt(b), fmt(c))),
                _ => Some(format!(
                    "no data: {} missing in one of the runs",
                    self.metric
                )),
            },
        })
    }
}

/// A summary that can't be read, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum SummaryFileError {
    #[error("{}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", file.display())]
    Parse {
        file: PathBuf,
        source: serde_json::Error,
    },
}

/// Reads a summary from a run directory (its `summary.json`) or a file.
pub fn load_summary(path: &Path) -> Result<Summary, SummaryFileError> {
    let file = if path.is_dir() {
        path.join("summary.json")
    } else {
        path.to_path_buf()
    };
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(source) => return Err(SummaryFileError::Read { file, source }),
    };
    serde_json::from_slice(&bytes).map_err(|source| SummaryFileError::Parse { file, source })
}

/// A warning when the two summaries come from different profiles: their
/// numbers measure different loads, so a change says little about a
/// regression.
pub fn profile_mismatch(base: &Measures, cur: &Measures) -> Option<String> {
    (base.name != cur.name).then(|| {
        format!(
            "warning: the runs come from two different profiles (baseline \"{}\", current \"{}\"): \
             their load differs, so the changes below compare different tests",
            base.name, cur.name
        )
    })
}

fn pct_change(b: f64, c: f64) -> Option<f64> {
    (b != 0.0).then(|| (c - b) / b * 100.0)
}

/// (metric, baseline, current, tolerance, higher is worse, in percent)
type Spec = (
    &'static str,
    Option<f64>,
    Option<f64>,
    Option<(&'static str, f64)>,
    bool,
    bool,
);

/// Every quantity compared, with the tolerance that applies to it.
pub fn compare(base: &Measures, cur: &Measures, tol: &Tolerances) -> Vec<Row> {
    let lag = |s: &Measures, d| worst_lag(&s.lag, d).ok();
    let inst = |s: &Measures| {
        s.scaling
            .as_ref()
            .and_then(|x| x.control_plane.max_instances)
            .map(f64::from)
    };
    let specs: Vec<Spec> = vec![
        (
            "p50 ms",
            Some(base.latency_ms.p50),
            Some(cur.latency_ms.p50),
            tol.p50_increase_pct.map(|t| ("p50_increase_pct", t)),
            true,
            true,
        ),
        (
            "p99 ms",
            Some(base.latency_ms.p99),
            Some(cur.latency_ms.p99),
            tol.p99_increase_pct.map(|t| ("p99_increase_pct", t)),
            true,
            true,
        ),
        (
            "error rate",
            base.error_rate(),
            cur.error_rate(),
            tol.error_rate_increase.map(|t| ("error_rate_increase", t)),
            true,
            false,
        ),
        (
            "achieved/s",
            Some(base.rate.achieved_per_s),
            Some(cur.rate.achieved_per_s),
            tol.achieved_decrease_pct
                .map(|t| ("achieved_decrease_pct", t)),
            false,
            true,
        ),
        (
            "scale-out lag s",
            lag(base, Direction::Out),
            lag(cur, Direction::Out),
            tol.scale_out_lag_increase_pct
                .map(|t| ("scale_out_lag_increase_pct", t)),
            true,
            true,
        ),
        (
            "scale-in lag s",
            lag(base, Direction::In),
            lag(cur, Direction::In),
            tol.scale_in_lag_increase_pct
                .map(|t| ("scale_in_lag_increase_pct", t)),
            true,
            true,
        ),
        ("max instances", inst(base), inst(cur), None, true, true),
    ];
    specs
        .into_iter()
        .map(|(metric, b, c, tolerance, worse_up, pct)| {
            let change = match (b, c) {
                (Some(b), Some(c)) if pct => pct_change(b, c),
                (Some(b), Some(c)) => Some(c - b),
                _ => None,
            };
            // Tolerances are written as the bad direction's size; the
            // displayed change keeps its own sign.
            let worse_by = change.map(|r| if worse_up { r } else { -r });
            let exceeded = match (tolerance, worse_by, b, c) {
                (Some((_, t)), Some(ch), _, _) => ch > t + 1e-9,
                // A quantity that vanished (or a baseline of 0 that grew)
                // can't be judged: flag it.
                (Some(_), None, Some(b), Some(c)) => c != b,
                (Some(_), None, Some(_), None) => true,
                _ => false,
            };
            Row {
                metric,
                baseline: b,
                current: c,
                tolerance,
                unit: if pct { Unit::Percent } else { Unit::Absolute },
                change,
                worse_by,
                exceeded,
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A summary with the figures `compare` reads (the demo's and a
    /// faster run's, from issue #15).
    pub(crate) fn measures(name: &str, achieved: f64, ok: u64, errors: u64) -> Measures {
        let p = serde_json::json!({"mean": 1.0, "p50": 90.5, "p90": 1.0, "p99": 1462.27, "p999": 1.0, "max": 1.0});
        serde_json::from_value(serde_json::json!({
            "schema": crate::summary::SCHEMA,
            "name": name,
            "started_at": "2026-12-03T07:26:22.585Z",
            "duration_s": 2280.0,
            "interrupted": false,
            "incomplete": false,
            "requests": {"sent": ok + errors, "completed": ok + errors, "late": 0,
                         "by_outcome": {"ok": ok, "http_5xx": errors}},
            "rate": {"offered_per_s": 40.16, "achieved_per_s": achieved},
            "latency_ms": p,
            "service_time_ms": p,
            "scaling": null,
            "lag": [],
        }))
        .unwrap()
    }

    fn row<'a>(rows: &'a [Row], metric: &str) -> &'a Row {
        rows.iter().find(|r| r.metric == metric).unwrap()
    }

    #[test]
    fn the_achieved_change_keeps_its_sign_and_the_tolerance_its_direction() {
        let slow = measures("demo", 33.56, 84, 16);
        let fast = measures("demo", 118.14, 90, 10);
        let tol = Tolerances {
            achieved_decrease_pct: Some(10.0),
            ..Tolerances::default()
        };
        let up = compare(&slow, &fast, &tol);
        let r = row(&up, "achieved/s");
        assert_eq!(format!("{:+.1}", r.change.unwrap()), "+252.0");
        assert!(!r.exceeded);
        let down = compare(&fast, &slow, &tol);
        let r = row(&down, "achieved/s");
        assert_eq!(format!("{:+.1}", r.change.unwrap()), "-71.6");
        assert_eq!(format!("{:.1}", r.worse_by.unwrap()), "71.6");
        assert!(r.exceeded);
        assert_eq!(r.gate().unwrap().value, Some(71.593));
    }

    #[test]
    fn runs_of_two_profiles_are_warned_about() {
        let a = measures("demo", 33.56, 84, 16);
        assert_eq!(profile_mismatch(&a, &a), None);
        let b = measures("async-scale-from-zero", 0.39, 100, 0);
        let w = profile_mismatch(&a, &b).unwrap();
        assert!(
            w.contains("\"demo\"") && w.contains("\"async-scale-from-zero\""),
            "{w}"
        );
    }
}
