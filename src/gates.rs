//! Gates: the profile's `[gates]` checked against a finished run. A failed
//! gate makes `run` and `report` exit 1 (after every report is written) with
//! a line naming it.
//!
//! A gate whose data is absent from the journal (no scale-out episode, no
//! async backlog metric, no endpoint observations) **fails** with a note
//! saying "no data": a limit someone wrote down is never passed silently.
//!
//! To add a gate: add the field to [`crate::profile::Gates`] (raw and
//! validated), evaluate it in [`evaluate`], and document it in the README.

use crate::compare::{self, SummaryFileError};
use crate::profile::Gates;
use crate::summary::{Measures, Summary};
use crate::timeline::Timeline;
use crate::timeline::lag::Direction;

pub use crate::verdict::GateResult;

/// Whether the value must stay at most (`Max`) or at least (`Min`) the
/// threshold.
#[derive(Clone, Copy)]
enum Bound {
    Max,
    Min,
}

/// Why a gate other than the lag gates has no value: the journal lacks the
/// data it reads. The message becomes the gate's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoData {
    #[error("no data: no request completed")]
    NoCompletion,
    #[error("no data: nothing was sent")]
    NothingSent,
    #[error("no data: no endpoint observations in the journal")]
    NoEndpoint,
    /// An async-only CloudWatch metric with no datapoint: the endpoint is
    /// most likely real-time.
    #[error("no data: no {metric} datapoints (not an async endpoint?)")]
    NoAsyncMetric { metric: &'static str },
    /// A streaming gate on a run without streamed responses.
    #[error("no data: no streamed responses (is stream = true set on the target?)")]
    NoStream,
}

/// `value` is the measured value, or why there is none (a [`NoData`] or a
/// [`crate::timeline::lag::WorstLagError`]), which fails the gate with that
/// note.
fn gate(
    name: &str,
    threshold: f64,
    bound: Bound,
    value: Result<f64, impl std::fmt::Display>,
) -> GateResult {
    match value {
        Ok(v) => GateResult {
            name: name.into(),
            threshold,
            value: Some((v * 1e6).round() / 1e6),
            passed: match bound {
                Bound::Max => v <= threshold,
                Bound::Min => v >= threshold,
            },
            note: None,
        },
        Err(note) => GateResult {
            name: name.into(),
            threshold,
            value: None,
            passed: false,
            note: Some(note.to_string()),
        },
    }
}

impl GateResult {
    /// `p99_ms: 2483.2 > 300 (limit)`, or the no-data note.
    pub fn line(&self) -> String {
        let verdict = if self.passed { "passed" } else { "failed" };
        match self.value {
            Some(v) => {
                let min = self.name.starts_with("min_");
                let op = match (min, self.passed) {
                    (false, true) => "≤",
                    (false, false) => ">",
                    (true, true) => "≥",
                    (true, false) => "<",
                };
                format!(
                    "gate {verdict}: {} = {} {op} {}",
                    self.name,
                    fmt(v),
                    fmt(self.threshold)
                )
            }
            None => format!(
                "gate {verdict}: {} (limit {}): {}",
                self.name,
                fmt(self.threshold),
                self.note.as_deref().unwrap_or("no data")
            ),
        }
    }
}

pub use crate::format::fmt;

/// A run's figures so far, for `abort_on_fail`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live {
    pub sent: u64,
    pub in_flight: u64,
    pub errors: u64,
    /// The requests the whole plan sends (this shard's share): with Poisson
    /// arrivals the expected count, so there "certain" means certain unless
    /// the rest of the run sends more than the plan expects.
    pub planned: f64,
    pub max_instances: Option<u32>,
    pub max_backlog_age_s: Option<f64>,
}

/// The first `abort_on_fail` gate already certain to fail, as the line to
/// print and journal: nothing the rest of the run does can pass it.
/// `error_rate`: more errors than the limit allows of every request the
/// plan sends; `max_instances`, `async_backlog_age_s`: a maximum already
/// past the limit.
pub fn certain_failure(g: &Gates, live: &Live) -> Option<String> {
    g.abort_on_fail.iter().find_map(|name| match name.as_str() {
        "error_rate" => {
            let limit = g.error_rate?;
            let most = live.planned.max((live.sent + live.in_flight) as f64);
            (live.errors as f64 > limit * most).then(|| {
                format!(
                    "gate error_rate is certain to fail: {} errors already exceed {} of the {} requests the run can complete",
                    live.errors,
                    fmt(limit),
                    fmt(most.round())
                )
            })
        }
        "max_instances" => {
            let (limit, seen) = (g.max_instances?, live.max_instances?);
            (seen > limit)
                .then(|| format!("gate max_instances failed: {seen} instances in service > {limit}"))
        }
        "async_backlog_age_s" => {
            let (limit, seen) = (g.async_backlog_age_s?, live.max_backlog_age_s?);
            (seen > limit).then(|| {
                format!(
                    "gate async_backlog_age_s failed: ApproximateAgeOfOldestRequest {} s > {}",
                    fmt(seen),
                    fmt(limit)
                )
            })
        }
        _ => None,
    })
}

pub use crate::timeline::lag::worst_lag;

/// Checks every gate set in `g`. `baseline` is the baseline's summary (or
/// why it could not be read) when `g.baseline` is set.
pub fn evaluate(
    g: &Gates,
    s: &Measures,
    tl: &Timeline,
    baseline: Option<&Result<Summary, SummaryFileError>>,
) -> Vec<GateResult> {
    let mut out = Vec::new();
    let has_latency = s.requests.completed > 0;
    let lat = |v: f64| {
        if has_latency {
            Ok(v)
        } else {
            Err(NoData::NoCompletion)
        }
    };
    let pct = [
        ("p50_ms", g.p50_ms, s.latency_ms.p50),
        ("p90_ms", g.p90_ms, s.latency_ms.p90),
        ("p99_ms", g.p99_ms, s.latency_ms.p99),
        ("p999_ms", g.p999_ms, s.latency_ms.p999),
    ];
    for (name, limit, v) in pct {
        if let Some(limit) = limit {
            out.push(gate(name, limit, Bound::Max, lat(v)));
        }
    }
    if let Some(limit) = g.error_rate {
        out.push(gate(
            "error_rate",
            limit,
            Bound::Max,
            s.error_rate().ok_or(NoData::NoCompletion),
        ));
    }
    if let Some(limit) = g.min_achieved_ratio {
        let v = if s.rate.offered_per_s > 0.0 {
            Ok(s.rate.achieved_per_s / s.rate.offered_per_s)
        } else {
            Err(NoData::NothingSent)
        };
        out.push(gate("min_achieved_ratio", limit, Bound::Min, v));
    }
    if let Some(limit) = g.scale_out_lag_s {
        out.push(gate(
            "scale_out_lag_s",
            limit,
            Bound::Max,
            worst_lag(&s.lag, Direction::Out),
        ));
    }
    if let Some(limit) = g.scale_in_lag_s {
        out.push(gate(
            "scale_in_lag_s",
            limit,
            Bound::Max,
            worst_lag(&s.lag, Direction::In),
        ));
    }
    if let Some(limit) = g.max_instances {
        out.push(gate(
            "max_instances",
            limit as f64,
            Bound::Max,
            tl.max_instances().map(f64::from).ok_or(NoData::NoEndpoint),
        ));
    }
    if let Some(limit) = g.async_backlog_age_s {
        let v = tl
            .metric("ApproximateAgeOfOldestRequest")
            .and_then(|(_, d)| d.iter().map(|d| d.value()).reduce(f64::max))
            .ok_or(NoData::NoAsyncMetric {
                metric: "ApproximateAgeOfOldestRequest",
            });
        out.push(gate("async_backlog_age_s", limit, Bound::Max, v));
    }
    if let Some(limit) = g.unfinished_async {
        let v = tl
            .metric("ApproximateBacklogSize")
            .and_then(|(_, d)| d.last().map(|d| d.value()))
            .ok_or(NoData::NoAsyncMetric {
                metric: "ApproximateBacklogSize",
            });
        out.push(gate("unfinished_async", limit as f64, Bound::Max, v));
    }
    streaming(g, s, &mut out);
    match baseline {
        Some(Ok(base)) => {
            for row in compare::compare(base, s, &g.tolerances) {
                if let Some(gr) = row.gate() {
                    out.push(gr);
                }
            }
        }
        Some(Err(e)) => out.push(GateResult {
            name: "baseline".into(),
            threshold: 0.0,
            value: None,
            passed: false,
            note: Some(format!("cannot read the baseline: {e}")),
        }),
        None => {}
    }
    out
}

/// The streamed-response gates (`ttft_p99_ms`, …); each fails with
/// [`NoData::NoStream`] when nothing was streamed.
fn streaming(g: &Gates, s: &Measures, out: &mut Vec<GateResult>) {
    let ttft = s.ttft_ms.as_ref();
    let gaps = s.inter_token_ms.as_ref();
    for (name, limit, bound, v) in [
        (
            "ttft_p50_ms",
            g.ttft_p50_ms,
            Bound::Max,
            ttft.map(|p| p.p50),
        ),
        (
            "ttft_p99_ms",
            g.ttft_p99_ms,
            Bound::Max,
            ttft.map(|p| p.p99),
        ),
        (
            "inter_token_p99_ms",
            g.inter_token_p99_ms,
            Bound::Max,
            gaps.map(|p| p.p99),
        ),
        (
            "min_tokens_per_s",
            g.min_tokens_per_s,
            Bound::Min,
            s.tokens_per_s,
        ),
    ] {
        if let Some(limit) = limit {
            out.push(gate(name, limit, bound, v.ok_or(NoData::NoStream)));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture;
    use crate::report::Report;

    fn report_with(gates: serde_json::Value) -> Report {
        let mut data = fixture::scale_out_and_in();
        data.info.profile["gates"] = gates;
        Report::build(data).unwrap()
    }

    #[test]
    fn gates_pass_and_fail_on_the_fixture() {
        let r = report_with(serde_json::json!({
            "p99_ms": 3000.0, "error_rate": 0.001, "scale_out_lag_s": 700.0,
            "scale_in_lag_s": 1000.0, "max_instances": 3, "min_achieved_ratio": 0.9,
        }));
        let by: std::collections::BTreeMap<_, _> = r
            .summary
            .gates
            .iter()
            .map(|g| (g.name.as_str(), (g.value, g.passed)))
            .collect();
        assert_eq!(by["scale_out_lag_s"], (Some(605.0), true));
        assert_eq!(by["scale_in_lag_s"], (Some(1090.0), false));
        assert_eq!(by["max_instances"], (Some(3.0), true));
        assert!(!by["error_rate"].1, "{by:?}");
        assert!(by["p99_ms"].1, "{by:?}");
        assert!(by["min_achieved_ratio"].1, "{by:?}");
    }

    #[test]
    fn abort_on_fail_fires_only_when_the_gate_cannot_pass() {
        use super::{Live, certain_failure};
        let g = crate::profile::Gates {
            error_rate: Some(0.01),
            max_instances: Some(2),
            abort_on_fail: vec!["error_rate".into(), "max_instances".into()],
            ..Default::default()
        };
        let live = Live {
            sent: 500,
            errors: 10,
            planned: 1000.0,
            max_instances: Some(2),
            ..Default::default()
        };
        // 10 errors ≤ 1 % of 1000: the rest could still pass it.
        assert_eq!(certain_failure(&g, &live), None);
        let live = Live { errors: 11, ..live };
        let why = certain_failure(&g, &live).unwrap();
        assert!(
            why.starts_with("gate error_rate is certain to fail: 11 errors"),
            "{why}"
        );
        let live = Live {
            errors: 0,
            max_instances: Some(3),
            ..live
        };
        assert_eq!(
            certain_failure(&g, &live).unwrap(),
            "gate max_instances failed: 3 instances in service > 2"
        );
        // A gate not in abort_on_fail never aborts.
        let g = crate::profile::Gates {
            abort_on_fail: vec![],
            ..g
        };
        assert_eq!(certain_failure(&g, &live), None);
    }

    #[test]
    fn a_gate_without_data_fails_and_says_so() {
        let r = report_with(serde_json::json!({ "async_backlog_age_s": 60.0 }));
        let g = &r.summary.gates[0];
        assert!(!g.passed);
        assert_eq!(g.value, None);
        assert!(g.line().contains("no data"), "{}", g.line());
    }
}
