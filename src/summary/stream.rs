//! The streamed-response part of `summary.json`: `ttft_ms`,
//! `inter_token_ms`, `tokens_per_s` and the counts behind them, from the
//! interval lines' `stream` sections. All absent when nothing was
//! streamed, so summaries of whole-response runs are unchanged.

use serde::{Deserialize, Serialize};

use super::{Percentiles, SummaryError};
use crate::histogram::Hist;
use crate::journal::JournalData;
use crate::journal::record::Record;
use crate::journal::stream::StreamTotals;

/// Counts of the streamed responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamCounts {
    /// Streamed responses completed (any outcome).
    pub responses: u64,
    pub parts: u64,
    pub tokens: u64,
    /// Tokens per response.
    pub tokens_per_response: CountStats,
}

/// A count's distribution over responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountStats {
    pub mean: f64,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

impl CountStats {
    fn of(h: &Hist) -> CountStats {
        let q = |q: f64| {
            if h.is_empty() {
                0
            } else {
                h.value_at_quantile(q)
            }
        };
        CountStats {
            mean: if h.is_empty() {
                0.0
            } else {
                (h.mean() * 1000.0).round() / 1000.0
            },
            p50: q(0.5),
            p99: q(0.99),
            max: q(1.0),
        }
    }
}

/// What the summary shows of streamed responses.
pub struct StreamMeasures {
    pub ttft_ms: Percentiles,
    pub inter_token_ms: Percentiles,
    /// Tokens received per second, over `span_s` (the run's completion
    /// span, as the achieved rate uses).
    pub tokens_per_s: f64,
    pub counts: StreamCounts,
}

/// `None` when no interval line has a `stream` section.
pub fn measure(data: &JournalData, span_s: f64) -> Result<Option<StreamMeasures>, SummaryError> {
    let mut t = StreamTotals::default();
    let mut any = false;
    for r in &data.records {
        if let Record::Interval(i) = r
            && let Some(s) = &i.stream
        {
            t.add(s)?;
            any = true;
        }
    }
    if !any {
        return Ok(None);
    }
    let tokens_per_s = if span_s > 0.0 {
        ((t.tokens as f64 / span_s) * 1000.0).round() / 1000.0
    } else {
        0.0
    };
    Ok(Some(StreamMeasures {
        ttft_ms: Percentiles::of(&t.ttft),
        inter_token_ms: Percentiles::of(&t.inter_token),
        tokens_per_s,
        counts: StreamCounts {
            responses: t.responses,
            parts: t.parts,
            tokens: t.tokens,
            tokens_per_response: CountStats::of(&t.tokens_per_response),
        },
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::fixture;
    use crate::histogram;
    use crate::journal::record::Record;
    use crate::journal::stream::StreamIntervalRecord;
    use crate::report::Report;

    /// Every interval of the fixture gets 10 streamed responses with TTFT
    /// 100..=1000 ms, 9 gaps of 20 ms each and 10 tokens.
    fn streamed_fixture(gates: serde_json::Value) -> Report {
        let mut data = fixture::scale_out_and_in();
        let mut intervals = 0;
        for r in &mut data.records {
            if let Record::Interval(i) = r {
                let (mut ttft, mut gaps, mut per) = (
                    histogram::new_hist(),
                    histogram::new_hist(),
                    histogram::new_hist(),
                );
                for k in 1..=10u64 {
                    histogram::record(&mut ttft, Duration::from_millis(100 * k));
                    for _ in 0..9 {
                        histogram::record(&mut gaps, Duration::from_millis(20));
                    }
                    per.record(10).unwrap();
                }
                i.stream = Some(StreamIntervalRecord {
                    responses: 10,
                    parts: 100,
                    tokens: 100,
                    ttft: histogram::encode(&ttft),
                    inter_token: histogram::encode(&gaps),
                    tokens_per_response: histogram::encode(&per),
                });
                intervals += 1;
            }
        }
        assert!(intervals > 0);
        data.info.profile["gates"] = gates;
        Report::build(data).unwrap()
    }

    #[test]
    fn summary_and_gates_read_the_stream_sections() {
        let r = streamed_fixture(serde_json::json!({
            "ttft_p99_ms": 500.0, "ttft_p50_ms": 600.0, "inter_token_p99_ms": 25.0,
        }));
        let s = &r.summary;
        let ttft = s.ttft_ms.as_ref().unwrap();
        assert!((ttft.p50 - 500.0).abs() < 1.0, "{ttft:?}");
        assert!((ttft.max - 1000.0).abs() < 1.0, "{ttft:?}");
        assert!((s.inter_token_ms.as_ref().unwrap().p99 - 20.0).abs() < 0.1);
        let c = s.stream.as_ref().unwrap();
        assert_eq!(c.tokens_per_response.p50, 10);
        assert_eq!(c.tokens, c.responses * 10);
        assert!(s.tokens_per_s.unwrap() > 0.0);
        let by: std::collections::BTreeMap<_, _> = s
            .gates
            .iter()
            .map(|g| (g.name.as_str(), g.passed))
            .collect();
        assert!(!by["ttft_p99_ms"]);
        assert!(by["ttft_p50_ms"]);
        assert!(by["inter_token_p99_ms"]);
        let json = serde_json::to_value(s).unwrap();
        assert!(json["ttft_ms"]["p99"].is_number(), "{json}");
        assert!(json["inter_token_ms"]["p50"].is_number());
        assert!(json["tokens_per_s"].is_number());
        assert!(crate::report::text::render_text(&r).contains("ttft"));
    }

    #[test]
    fn streaming_gates_without_streams_fail_with_no_data() {
        let mut data = fixture::scale_out_and_in();
        data.info.profile["gates"] = serde_json::json!({ "ttft_p99_ms": 500.0 });
        let r = Report::build(data).unwrap();
        assert!(r.summary.ttft_ms.is_none());
        let json = serde_json::to_value(&r.summary).unwrap();
        assert!(json.get("ttft_ms").is_none(), "absent, not null");
        let g = &r.summary.gates[0];
        assert!(!g.passed);
        assert!(g.line().contains("no streamed responses"), "{}", g.line());
    }
}
