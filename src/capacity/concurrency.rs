//! The search behind `capacity --concurrency`: the highest number of
//! requests in flight one copy (or one instance, for a variant) serves
//! within the SLO, for the ConcurrentRequestsPerCopy (or PerModel) target
//! value.
//!
//! Stairs in concurrency rather than rate: a coarse pass from
//! `start_concurrency` multiplying by `growth` (at least +1 a step) until a
//! step breaks the SLO or `max_concurrency` holds, then `fine_steps`
//! bisections between the last that held and the first that broke, until
//! they are neighbours. Each step is one closed-loop run measured by the
//! caller, so the search is a pure function of the step results.
//!
//! A closed loop achieves whatever the endpoint serves, so unlike a rate
//! step there is no offered rate to fall short of: a step holds on p99
//! latency, p99 time to first token (when the SLO has one) and the success
//! ratio.

use serde::Serialize;

use super::slo::StepSlo;
use crate::profile::capacity::ConcurrencyConfig;

/// What one step measured (after its settle time).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrencyResult {
    /// Requests kept in flight.
    pub concurrency: u32,
    /// ok responses per second over the measured intervals.
    pub achieved_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// p99 time to first token, from the request's due time; none when no
    /// response was streamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ms: Option<f64>,
    pub success_ratio: f64,
    pub requests: u64,
}

/// Why a step did not hold; its message is the step's `reason`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Missed {
    #[error("no requests completed")]
    NoRequests,
    #[error("p99 {p99_ms:.1} ms > {limit_ms:.1} ms")]
    Latency { p99_ms: f64, limit_ms: f64 },
    #[error("TTFT p99 {p99_ms:.1} ms > {limit_ms:.1} ms")]
    Ttft { p99_ms: f64, limit_ms: f64 },
    #[error(
        "no streamed responses, so no TTFT to hold the TTFT limit against (set stream = true on the target, or [sim.instance.stream])"
    )]
    NoStream,
    #[error("success {:.3} % < {:.3} %", .ratio * 100.0, .min_ratio * 100.0)]
    Success { ratio: f64, min_ratio: f64 },
}

impl ConcurrencyResult {
    pub fn verdict(&self, slo: &StepSlo) -> Result<(), Missed> {
        if self.requests == 0 {
            return Err(Missed::NoRequests);
        }
        if self.p99_ms > slo.p99_ms.value {
            return Err(Missed::Latency {
                p99_ms: self.p99_ms,
                limit_ms: slo.p99_ms.value,
            });
        }
        if let Some(limit) = &slo.ttft_p99_ms {
            match self.ttft_p99_ms {
                None => return Err(Missed::NoStream),
                Some(p) if p > limit.value => {
                    return Err(Missed::Ttft {
                        p99_ms: p,
                        limit_ms: limit.value,
                    });
                }
                Some(_) => {}
            }
        }
        if self.success_ratio < slo.min_success_ratio.value {
            return Err(Missed::Success {
                ratio: self.success_ratio,
                min_ratio: slo.min_success_ratio.value,
            });
        }
        Ok(())
    }
}

/// The step line's verdict: the SLO it held against, or why it broke.
pub fn verdict_text(verdict: &Result<(), Missed>, slo: &StepSlo) -> String {
    match verdict {
        Ok(()) => {
            let ttft = slo
                .ttft_p99_ms
                .as_ref()
                .map(|t| format!("TTFT p99 ≤ {:.1} ms, ", t.value))
                .unwrap_or_default();
            format!(
                "held: p99 ≤ {:.1} ms, {ttft}success ≥ {:.3} %",
                slo.p99_ms.value,
                slo.min_success_ratio.value * 100.0
            )
        }
        Err(why) => format!("broke: {why}"),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrencyStep {
    pub result: ConcurrencyResult,
    pub passed: bool,
    pub reason: Option<String>,
    pub verdict: String,
    /// `coarse` or `fine`.
    pub pass: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrencyOutcome {
    /// The most requests in flight that held (None: even the first broke).
    pub max_concurrency: Option<u32>,
    /// True when `max_concurrency` of the profile still held.
    pub capped: bool,
    pub steps: Vec<ConcurrencyStep>,
}

/// The coarse pass's next step: × growth, at least one more, at most max.
fn next_up(c: u32, growth: f64, max: u32) -> u32 {
    ((f64::from(c) * growth).round() as u32).max(c + 1).min(max)
}

/// The most steps the search can take (for the ETA).
pub fn most_steps(cfg: &ConcurrencyConfig, growth: f64, fine_steps: u32) -> usize {
    let mut c = cfg.start.min(cfg.max);
    let mut coarse = 1;
    while c < cfg.max {
        c = next_up(c, growth, cfg.max);
        coarse += 1;
    }
    coarse + fine_steps as usize
}

/// Runs the search; `measure(concurrency)` runs one step. A measuring
/// error ends the search and is returned.
pub fn search<E>(
    cfg: &ConcurrencyConfig,
    growth: f64,
    fine_steps: u32,
    slo: &StepSlo,
    mut measure: impl FnMut(u32) -> Result<ConcurrencyResult, E>,
) -> Result<ConcurrencyOutcome, E> {
    let mut steps = Vec::new();
    let mut run = |c: u32, pass: &'static str, steps: &mut Vec<ConcurrencyStep>| {
        let result = measure(c)?;
        let verdict = result.verdict(slo);
        steps.push(ConcurrencyStep {
            result,
            passed: verdict.is_ok(),
            verdict: verdict_text(&verdict, slo),
            reason: verdict.err().map(|m| m.to_string()),
            pass,
        });
        Ok::<bool, E>(steps.last().expect("just pushed").passed)
    };
    let (mut good, mut bad) = (None, None);
    let mut c = cfg.start.min(cfg.max);
    loop {
        if run(c, "coarse", &mut steps)? {
            good = Some(c);
            if c >= cfg.max {
                break;
            }
            c = next_up(c, growth, cfg.max);
        } else {
            bad = Some(c);
            break;
        }
    }
    if let (Some(mut lo), Some(mut hi)) = (good, bad) {
        for _ in 0..fine_steps {
            if hi - lo <= 1 {
                break;
            }
            let mid = lo + (hi - lo) / 2;
            if run(mid, "fine", &mut steps)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        good = Some(lo);
    }
    Ok(ConcurrencyOutcome {
        max_concurrency: good,
        capped: bad.is_none() && good.is_some(),
        steps,
    })
}

/// The target value of ConcurrentRequestsPerCopy (or PerModel): the held
/// concurrency × the safety factor, to two decimals rounded down
/// (TargetValue is a double; rounding down keeps the margin).
pub fn target_value(max_concurrency: u32, safety_factor: f64) -> f64 {
    // + 1e-9: 7 × 0.3 is 2.0999999999999996 in binary, and is 2.1.
    ((f64::from(max_concurrency) * safety_factor * 100.0) + 1e-9).floor() / 100.0
}

#[cfg(test)]
mod tests {
    use super::super::slo::Limit;
    use super::*;

    fn slo(ttft: Option<f64>) -> StepSlo {
        let l = |value: f64| Limit {
            value,
            from: "test".into(),
        };
        StepSlo {
            p99_ms: l(1000.0),
            min_success_ratio: l(0.999),
            ttft_p99_ms: ttft.map(l),
        }
    }

    /// A copy whose TTFT p99 is 100 ms per request in flight.
    fn copy(c: u32) -> Result<ConcurrencyResult, ()> {
        Ok(ConcurrencyResult {
            concurrency: c,
            achieved_per_s: f64::from(c),
            p50_ms: 100.0,
            p99_ms: 200.0,
            ttft_p99_ms: Some(100.0 * f64::from(c)),
            success_ratio: 1.0,
            requests: 100,
        })
    }

    #[test]
    fn bisects_to_neighbours_on_the_ttft_limit() {
        let cfg = ConcurrencyConfig {
            start: 1,
            max: 256,
            ttft_p99_ms: None,
        };
        // TTFT ≤ 1150 ms holds up to 11 in flight: 1, 2, 4, 8 hold, 16
        // breaks; then 12 breaks, 10 holds, 11 holds: neighbours.
        let out = search(&cfg, 2.0, 4, &slo(Some(1150.0)), copy).unwrap();
        let tried: Vec<u32> = out.steps.iter().map(|s| s.result.concurrency).collect();
        assert_eq!(tried, vec![1, 2, 4, 8, 16, 12, 10, 11]);
        assert_eq!(out.max_concurrency, Some(11));
        assert!(!out.capped);
        assert_eq!(
            out.steps[0].verdict,
            "held: p99 ≤ 1000.0 ms, TTFT p99 ≤ 1150.0 ms, success ≥ 99.900 %"
        );
        assert_eq!(
            out.steps[4].verdict,
            "broke: TTFT p99 1600.0 ms > 1150.0 ms"
        );
        // 1, 2, 4, …, 256: nine coarse steps.
        assert_eq!(most_steps(&cfg, 2.0, 4), 9 + 4);
    }

    #[test]
    fn a_ttft_limit_without_streamed_responses_breaks_and_says_why() {
        let mut r = copy(1).unwrap();
        r.ttft_p99_ms = None;
        assert_eq!(r.verdict(&slo(None)), Ok(()));
        assert_eq!(r.verdict(&slo(Some(500.0))), Err(Missed::NoStream));
    }

    #[test]
    fn holding_at_max_is_capped_and_growth_adds_at_least_one() {
        let cfg = ConcurrencyConfig {
            start: 1,
            max: 3,
            ttft_p99_ms: None,
        };
        let out = search(&cfg, 1.2, 4, &slo(None), copy).unwrap();
        let tried: Vec<u32> = out.steps.iter().map(|s| s.result.concurrency).collect();
        assert_eq!(tried, vec![1, 2, 3]);
        assert_eq!((out.max_concurrency, out.capped), (Some(3), true));
    }

    #[test]
    fn target_value_is_held_concurrency_times_the_factor() {
        assert_eq!(target_value(8, 0.5), 4.0);
        assert_eq!(target_value(7, 0.3), 2.1);
        assert_eq!(target_value(5, 0.5), 2.5);
        assert_eq!(target_value(1, 0.333), 0.33);
    }
}
