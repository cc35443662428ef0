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

/// One compared quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub metric: &'static str,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// The tolerance field that applies, and its value.
    pub tolerance: Option<(&'static str, f64)>,
    /// The change as the tolerance measures it: percent for `_pct`
    /// tolerances, absolute otherwise.
    pub change: Option<f64>,
    pub exceeded: bool,
}

impl Row {
    /// The row as a gate, when a tolerance applies.
    pub fn gate(&self) -> Option<GateResult> {
        let (name, tol) = self.tolerance?;
        Some(GateResult {
            name: format!("baseline.{name}"),
            threshold: tol,
            value: self.change.map(|c| (c * 1000.0).round() / 1000.0),
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
                (Some(b), Some(c)) => {
                    let raw = if pct { pct_change(b, c) } else { Some(c - b) };
                    // Tolerances are written as the bad direction's size.
                    raw.map(|r| if worse_up { r } else { -r })
                }
                _ => None,
            };
            let exceeded = match (tolerance, change, b, c) {
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
                change,
                exceeded,
            }
        })
        .collect()
}
