//! Closing a chain: the "back within SLO" link and the impact window (the
//! requests sent from the load change to capacity in service, their
//! latency and error rate).

use super::{Chain, Direction, Episode, Impact, SLO_SUSTAIN_S, WITHIN_SLO, num, round3};
use crate::journal::JournalData;
use crate::profile::Slo;
use crate::timeline::{IntervalPoint, Timeline, TimelineError};

#[allow(clippy::too_many_arguments)]
pub(super) fn finish(
    data: &JournalData,
    tl: &Timeline,
    slo: Option<&Slo>,
    direction: Direction,
    cause: String,
    mut chain: Chain,
    from: f64,
    in_service: Option<f64>,
) -> Result<Episode, TimelineError> {
    if let (Some(slo), Some(ready)) = (slo, in_service) {
        match recovered(tl, slo, ready) {
            Some(t) => chain.at(WITHIN_SLO, t, Some(slo_text(slo))),
            None => chain.missing(
                WITHIN_SLO,
                format!("latency/errors never back within SLO ({})", slo_text(slo)),
            ),
        }
    }
    let to = in_service.unwrap_or(tl.end.max(from));
    let w = if tl.is_async() {
        tl.window_of_sends(data, from, to)?
    } else {
        tl.window(data, from, to)?
    };
    let quantile = |q| {
        (w.sent > 0 && !w.latency.is_empty())
            .then(|| round3(crate::histogram::quantile_ms(&w.latency, q)))
    };
    Ok(Episode {
        direction,
        cause,
        links: chain.links,
        total_s: in_service.map(|t| round3(t - from)),
        where_time_went: None,
        impact: Impact {
            from_s: round3(from),
            to_s: round3(to),
            until_in_service: in_service.is_some(),
            requests: w.sent,
            p50_ms: quantile(0.5),
            p99_ms: quantile(0.99),
            error_rate: (w.error_rate() * 1e6).round() / 1e6,
            ttft_p99_ms: super::copies::window_ttft_p99(data, from, to)?.map(round3),
        },
    })
}

pub fn slo_text(slo: &Slo) -> String {
    let mut parts = Vec::new();
    if let Some(v) = slo.p50_ms {
        parts.push(format!("p50 ≤ {} ms", num(v)));
    }
    if let Some(v) = slo.p99_ms {
        parts.push(format!("p99 ≤ {} ms", num(v)));
    }
    if let Some(v) = slo.error_rate {
        parts.push(format!("errors ≤ {}%", num(v * 100.0)));
    }
    parts.join(", ")
}

/// Whether one interval meets the SLO (an interval with no completions does).
fn within(slo: &Slo, i: &IntervalPoint) -> bool {
    let rate = if i.completed == 0 {
        0.0
    } else {
        i.errors as f64 / i.completed as f64
    };
    slo.p50_ms.is_none_or(|m| i.p50_ms.is_none_or(|v| v <= m))
        && slo.p99_ms.is_none_or(|m| i.p99_ms.is_none_or(|v| v <= m))
        && slo.error_rate.is_none_or(|m| rate <= m)
}

fn recovered(tl: &Timeline, slo: &Slo, ready: f64) -> Option<f64> {
    let ivs: Vec<_> = tl.intervals.iter().filter(|i| i.t > ready + 1e-9).collect();
    (0..ivs.len()).find_map(|k| {
        let from = ivs[k].start.max(ready);
        let ok = ivs[k..]
            .iter()
            .take_while(|i| i.start < from + SLO_SUSTAIN_S)
            .all(|i| within(slo, i));
        ok.then_some(from)
    })
}
