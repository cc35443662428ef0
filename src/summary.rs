//! The load summary: totals, rates and latency percentiles over the whole
//! run, computed from the journal alone (so `scaletrace report` and an
//! interrupted run give the same numbers as a finished one).
//!
//! Two types, so nothing is built half-filled and patched later:
//! [`Measures`] is everything measured (built by [`measure`] from the
//! journal and the finished lag analysis), and [`Summary`] adds the gate
//! verdicts judged on those measures. `summary.json` stays one flat object.

pub mod stream;

use std::ops::Deref;

use serde::{Deserialize, Serialize};

use crate::histogram::{self, Hist};
use crate::journal::JournalData;
use crate::journal::record::{PhaseEvent, Record};
use crate::outcome::{Outcome, OutcomeCounts};
use crate::timeline::lag::{Episode, LagAnalysis};
use crate::verdict::GateResult;

pub const SCHEMA: &str = "scaletrace.summary/1";

/// `summary.json`. Keys are stable; later sections are added, never renamed.
///
/// The measures are flattened, so the file is one object with `gates` as
/// its last key, exactly as before the split; [`Deref`] to [`Measures`]
/// keeps `summary.requests`, `summary.lag`… reading as they always have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(flatten)]
    pub measures: Measures,
    /// Every `[gates]` verdict, in profile order.
    #[serde(default)]
    pub gates: Vec<GateResult>,
}

impl Summary {
    /// The verdicts are judged on `measures` (they need its numbers first).
    pub fn new(measures: Measures, gates: Vec<GateResult>) -> Summary {
        Summary { measures, gates }
    }

    /// Gates that failed.
    pub fn failed_gates(&self) -> impl Iterator<Item = &GateResult> {
        self.gates.iter().filter(|g| !g.passed)
    }
}

impl Deref for Summary {
    type Target = Measures;

    fn deref(&self) -> &Measures {
        &self.measures
    }
}

/// Everything `summary.json` measures: the load, the scaling story and
/// the lag chains, without the verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    pub schema: String,
    pub name: String,
    /// RFC 3339 UTC time the run started.
    pub started_at: String,
    /// Seconds of load: until the last phase ended, or until the run was
    /// interrupted.
    pub duration_s: f64,
    /// True when a signal stopped the run early.
    pub interrupted: bool,
    /// True when the journal has no end line (the process was killed).
    pub incomplete: bool,
    pub requests: Requests,
    pub rate: Rates,
    /// From the intended send time (coordinated-omission corrected).
    pub latency_ms: Percentiles,
    /// From the actual send time.
    pub service_time_ms: Percentiles,
    /// Send lag: actual − intended send time, the harness's own lateness
    /// (already inside `latency_ms`). Wall-clock runs only; absent on the
    /// virtual clock, where it is always zero, and for journals from before
    /// it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_lag_ms: Option<Percentiles>,
    /// Streamed responses only (`stream = true`): time to first token,
    /// from the intended send time like latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<Percentiles>,
    /// Streamed responses only: the time between consecutive parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inter_token_ms: Option<Percentiles>,
    /// Streamed responses only: tokens received per second, over the same
    /// span as `rate.achieved_per_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_s: Option<f64>,
    /// Streamed responses only: responses, parts and tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<stream::StreamCounts>,
    /// Instance counts, scaling activities and alarm transitions, when an
    /// observer ran.
    #[serde(default)]
    pub scaling: Option<crate::scaling::ScalingSummary>,
    /// The lag analysis: one chain per scaling episode (see
    /// [`crate::timeline::lag`]).
    #[serde(default)]
    pub lag: Vec<Episode>,
}

impl Measures {
    /// Errors / completed, `None` when nothing completed.
    pub fn error_rate(&self) -> Option<f64> {
        let r = &self.requests;
        (r.completed > 0).then(|| r.by_outcome.errors() as f64 / r.completed as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Requests whose send time came (offered load).
    pub sent: u64,
    /// Requests that ended, with any outcome.
    pub completed: u64,
    /// Requests that waited for the in-flight cap before they could start.
    pub late: u64,
    pub by_outcome: OutcomeCounts,
    /// Requests sent that never completed: async requests still pending
    /// when `drain_timeout` ended the run, or requests in flight when the
    /// process was killed. Absent when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unfinished: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Sent per second of load.
    pub offered_per_s: f64,
    /// `ok` completions per second, from the start to the last completion
    /// (at least the load duration).
    pub achieved_per_s: f64,
}

/// Whole-run latency percentiles, ms. When no request completed (an
/// `observe` run sends none) `summary.json` has `null` here: zeros read as
/// a measured 0 ms. In memory the fields are then 0 and `empty` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Percentiles {
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// No request completed: serialized as `null`.
    pub empty: bool,
}

/// The JSON object of [`Percentiles`] (its keys, without `empty`).
#[derive(Serialize, Deserialize)]
struct PercentilesJson {
    mean: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    max: f64,
}

impl Serialize for Percentiles {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.empty {
            return s.serialize_none();
        }
        PercentilesJson {
            mean: self.mean,
            p50: self.p50,
            p90: self.p90,
            p99: self.p99,
            p999: self.p999,
            max: self.max,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Percentiles {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<PercentilesJson>::deserialize(d)? {
            None => Percentiles::of(&histogram::new_hist()),
            Some(j) => Percentiles {
                mean: j.mean,
                p50: j.p50,
                p90: j.p90,
                p99: j.p99,
                p999: j.p999,
                max: j.max,
                empty: false,
            },
        })
    }
}

impl Percentiles {
    pub fn of(h: &Hist) -> Percentiles {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        Percentiles {
            empty: h.is_empty(),
            mean: round(if h.is_empty() { 0.0 } else { h.mean() / 1000.0 }),
            p50: round(histogram::quantile_ms(h, 0.5)),
            p90: round(histogram::quantile_ms(h, 0.9)),
            p99: round(histogram::quantile_ms(h, 0.99)),
            p999: round(histogram::quantile_ms(h, 0.999)),
            max: round(histogram::quantile_ms(h, 1.0)),
        }
    }
}

/// An interval line whose histograms can't be read or added up.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    /// Not a base64 V2+deflate histogram ([`histogram::decode`]'s message).
    #[error(transparent)]
    Decode(#[from] histogram::HistogramError),
    /// Histograms that don't add (hdrhistogram's error, as debug text).
    #[error("{0}")]
    Add(String),
    /// The streamed-response histograms.
    #[error(transparent)]
    Stream(#[from] crate::journal::stream::StreamHistError),
}

/// Whole-run histograms and counts, merged from every interval line.
pub struct Totals {
    pub sent: u64,
    pub completed: u64,
    pub late: u64,
    pub by_outcome: OutcomeCounts,
    pub latency: Hist,
    pub service: Hist,
    /// `None` when no interval line carries a send lag.
    pub send_lag: Option<Hist>,
}

pub fn totals(data: &JournalData) -> Result<Totals, SummaryError> {
    let mut t = Totals {
        sent: 0,
        completed: 0,
        late: 0,
        by_outcome: OutcomeCounts::default(),
        latency: histogram::new_hist(),
        service: histogram::new_hist(),
        send_lag: None,
    };
    for r in &data.records {
        if let Record::Interval(i) = r {
            t.sent += i.sent;
            t.completed += i.completed;
            t.late += i.late;
            t.by_outcome.merge(&i.by_outcome);
            if i.completed > 0 {
                let decode = |s: &str| histogram::decode(s).map_err(SummaryError::Decode);
                let add = |e| SummaryError::Add(format!("{e:?}"));
                t.latency.add(decode(&i.latency)?).map_err(add)?;
                t.service.add(decode(&i.service)?).map_err(add)?;
                if let Some(lag) = &i.send_lag {
                    t.send_lag
                        .get_or_insert_with(histogram::new_hist)
                        .add(decode(lag)?)
                        .map_err(add)?;
                }
            }
        }
    }
    Ok(t)
}

/// Seconds of load, as [`Summary::duration_s`] defines it. A journal with
/// no load at all (`scaletrace observe`) counts the time observed, until
/// its end line: 42 s of observing read as `duration_s: 0.0` before.
pub fn load_duration(data: &JournalData) -> f64 {
    let mut interrupted = None;
    let mut last_phase_end = None;
    let mut last_interval = None::<f64>;
    let mut end = None;
    for r in &data.records {
        match r {
            Record::Interrupted(i) => interrupted = Some(i.t),
            Record::Phase(p) if p.event == PhaseEvent::End => last_phase_end = Some(p.t),
            Record::Interval(i) => last_interval = Some(last_interval.unwrap_or(0.0).max(i.t)),
            Record::End(e) => end = Some(e.t),
            _ => {}
        }
    }
    interrupted
        .or(last_phase_end)
        .or(last_interval)
        .or(end)
        .unwrap_or(0.0)
}

/// Seconds from the start to the last completion (at least the load
/// duration): an endpoint that fell behind and caught up during the drain
/// did not achieve the offered rate, and this shows it.
pub fn completion_span(data: &JournalData) -> f64 {
    let last_completion = data
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Interval(i) if i.completed > 0 => Some(i.t),
            _ => None,
        })
        .fold(0.0f64, f64::max);
    load_duration(data).max(last_completion)
}

/// The measures of a journal, with its finished lag analysis (the episodes
/// and the control-plane measurements go in as they are).
pub fn measure(data: &JournalData, lag: LagAnalysis) -> Result<Measures, SummaryError> {
    let t = totals(data)?;
    let duration_s = load_duration(data);
    let span_s = completion_span(data);
    let streamed = stream::measure(data, span_s)?;
    let rate = |n: u64, over: f64| {
        if over > 0.0 {
            ((n as f64 / over) * 1000.0).round() / 1000.0
        } else {
            0.0
        }
    };
    Ok(Measures {
        schema: SCHEMA.into(),
        name: data.info.profile["name"]
            .as_str()
            .unwrap_or("run")
            .to_string(),
        started_at: crate::clock::rfc3339(data.info.started_at),
        duration_s: (duration_s * 1000.0).round() / 1000.0,
        interrupted: data
            .records
            .iter()
            .any(|r| matches!(r, Record::Interrupted(_))),
        incomplete: !data.records.iter().any(|r| matches!(r, Record::End(_))),
        requests: Requests {
            sent: t.sent,
            completed: t.completed,
            late: t.late,
            by_outcome: t.by_outcome,
            unfinished: t.sent.saturating_sub(t.completed),
        },
        rate: Rates {
            offered_per_s: rate(t.sent, duration_s),
            achieved_per_s: rate(t.by_outcome.get(Outcome::Ok), span_s),
        },
        latency_ms: Percentiles::of(&t.latency),
        service_time_ms: Percentiles::of(&t.service),
        send_lag_ms: t.send_lag.as_ref().map(Percentiles::of),
        ttft_ms: streamed.as_ref().map(|m| m.ttft_ms.clone()),
        inter_token_ms: streamed.as_ref().map(|m| m.inter_token_ms.clone()),
        tokens_per_s: streamed.as_ref().map(|m| m.tokens_per_s),
        stream: streamed.map(|m| m.counts),
        scaling: crate::scaling::summarize(data, lag.scaling),
        lag: lag.episodes,
    })
}
