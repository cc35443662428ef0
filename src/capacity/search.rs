//! The per-instance capacity search behind SCALING_VALUE.
//!
//! AWS's guidance: find MAX_RPS, the highest rate one instance serves before
//! latency rises past the SLO or the success ratio drops, then
//! `SCALING_VALUE = MAX_RPS × SAFETY_FACTOR × 60` (InvocationsPerInstance
//! is per minute). The search climbs stairs: a coarse pass multiplies the
//! rate until a step breaks the SLO, then a fine pass bisects between the
//! last step that held and the first that broke. Each step is measured by
//! the caller (a real run), so the search itself is a pure function of the
//! step results and is tested as one.

use serde::{Deserialize, Serialize};

pub use crate::profile::capacity::SearchConfig;

/// What one step measured (after its settle time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub rate: f64,
    pub achieved_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub success_ratio: f64,
    pub requests: u64,
}

impl StepResult {
    /// Whether the step held the SLO, and if not, why.
    pub fn verdict(&self, cfg: &SearchConfig) -> Result<(), Missed> {
        if self.requests == 0 {
            return Err(Missed::NoRequests);
        }
        if self.p99_ms > cfg.p99_ms {
            return Err(Missed::Latency {
                p99_ms: self.p99_ms,
                limit_ms: cfg.p99_ms,
            });
        }
        if self.success_ratio < cfg.min_success_ratio {
            return Err(Missed::Success {
                ratio: self.success_ratio,
                min_ratio: cfg.min_success_ratio,
            });
        }
        // An endpoint that answers within the SLO but can't keep up with
        // the offered rate (a client-side cap, say) has not held it either.
        if self.achieved_per_s < 0.95 * self.rate {
            return Err(Missed::Throughput {
                achieved_per_s: self.achieved_per_s,
                rate: self.rate,
            });
        }
        Ok(())
    }
}

/// The verdict as a step line ends: what held and the SLO it held
/// against ("held: p99 669.0 ms ≤ 1000.0 ms, success 100.000 % ≥
/// 99.900 %"), or why it broke. A bare "held" beside a p99 of 669 ms read
/// as a mistake when the limit (the `[capacity]` default, 1000 ms) was not
/// on the line.
pub fn verdict_text(verdict: &Result<(), Missed>, cfg: &SearchConfig) -> String {
    match verdict {
        Ok(()) => format!(
            "held: p99 ≤ {:.1} ms, success ≥ {:.3} %, achieved ≥ 95 % of offered",
            cfg.p99_ms,
            cfg.min_success_ratio * 100.0
        ),
        Err(why) => format!("broke: {why}"),
    }
}

/// Why a step did not hold the SLO; its message is the step's `reason` in
/// the capacity report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Missed {
    #[error("no requests completed")]
    NoRequests,
    #[error("p99 {p99_ms:.1} ms > {limit_ms:.1} ms")]
    Latency { p99_ms: f64, limit_ms: f64 },
    #[error("success {:.3} % < {:.3} %", .ratio * 100.0, .min_ratio * 100.0)]
    Success { ratio: f64, min_ratio: f64 },
    #[error("achieved {achieved_per_s:.1}/s < 95 % of {rate:.1}/s")]
    Throughput { achieved_per_s: f64, rate: f64 },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub result: StepResult,
    pub passed: bool,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    /// The step line's verdict, with the SLO it held against or why it
    /// broke ([`verdict_text`]).
    pub verdict: String,
    /// `coarse` or `fine`.
    pub pass: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    /// The last rate that held (None: even the first step broke the SLO).
    pub max_rps: Option<f64>,
    /// True when `max_rate` still held: MAX_RPS is at least this.
    pub capped: bool,
    /// Every step, in the order run.
    pub steps: Vec<Step>,
}

impl SearchOutcome {
    /// Steps sorted by rate: the capacity curve.
    pub fn curve(&self) -> Vec<&Step> {
        let mut s: Vec<&Step> = self.steps.iter().collect();
        s.sort_by(|a, b| a.result.rate.total_cmp(&b.result.rate));
        s
    }
}

/// Runs the search; `measure(rate)` runs one step. A measuring error (the
/// endpoint went away) ends the search and is returned.
pub fn search<E>(
    cfg: &SearchConfig,
    mut measure: impl FnMut(f64) -> Result<StepResult, E>,
) -> Result<SearchOutcome, E> {
    let mut steps = Vec::new();
    let mut run = |rate: f64, pass: &'static str, steps: &mut Vec<Step>| -> Result<bool, E> {
        let result = measure(rate)?;
        let verdict = result.verdict(cfg);
        steps.push(Step {
            result,
            passed: verdict.is_ok(),
            verdict: verdict_text(&verdict, cfg),
            reason: verdict.err().map(|m| m.to_string()),
            pass,
        });
        Ok(steps.last().expect("just pushed").passed)
    };
    let mut good: Option<f64> = None;
    let mut bad: Option<f64> = None;
    let mut rate = cfg.start_rate.min(cfg.max_rate);
    loop {
        if run(rate, "coarse", &mut steps)? {
            good = Some(rate);
            if rate >= cfg.max_rate {
                break;
            }
            rate = (rate * cfg.growth).min(cfg.max_rate);
        } else {
            bad = Some(rate);
            break;
        }
    }
    if let (Some(mut lo), Some(mut hi)) = (good, bad) {
        for _ in 0..cfg.fine_steps {
            let mid = (lo + hi) / 2.0;
            if run(mid, "fine", &mut steps)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        good = Some(lo);
    }
    Ok(SearchOutcome {
        max_rps: good,
        capped: bad.is_none() && good.is_some(),
        steps,
    })
}

/// The target value of `SageMakerVariantInvocationsPerInstance`:
/// `floor(MAX_RPS × safety_factor × 60)`.
pub fn scaling_value(max_rps: f64, safety_factor: f64) -> u64 {
    (max_rps * safety_factor * 60.0).floor() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> SearchConfig {
        SearchConfig {
            start_rate: 10.0,
            max_rate: 10_000.0,
            growth: 2.0,
            fine_steps: 5,
            p99_ms: 300.0,
            min_success_ratio: 0.999,
        }
    }

    /// A model endpoint that holds up to `cap` requests/s.
    fn endpoint(cap: f64) -> impl FnMut(f64) -> Result<StepResult, ()> {
        move |rate| {
            Ok(StepResult {
                rate,
                achieved_per_s: rate,
                p50_ms: 50.0,
                p99_ms: if rate <= cap { 100.0 } else { 5_000.0 },
                success_ratio: 1.0,
                requests: (rate * 30.0) as u64,
            })
        }
    }

    #[test]
    fn finds_the_knee_within_a_few_percent() {
        let out = search(&cfg(), endpoint(137.0)).unwrap();
        let max = out.max_rps.unwrap();
        // The fine pass bisects between 80 (held) and 160 (broke): 120
        // holds, 140 breaks, 130 and 135 hold, 137.5 breaks, so 135, within
        // 1.5 % below the knee.
        assert_eq!(max, 135.0);
        assert!(!out.capped);
        // Coarse: 10, 20, 40, 80, 160 (broke); fine: 5 bisections.
        assert_eq!(out.steps.len(), 5 + 5);
        assert!(out.steps.iter().filter(|s| s.pass == "fine").count() == 5);
        assert_eq!(out.curve().first().unwrap().result.rate, 10.0);
        // Every step line names the SLO, held or not.
        assert_eq!(
            out.steps[0].verdict,
            "held: p99 ≤ 300.0 ms, success ≥ 99.900 %, achieved ≥ 95 % of offered"
        );
        assert_eq!(out.steps[4].verdict, "broke: p99 5000.0 ms > 300.0 ms");
    }

    #[test]
    fn first_step_breaking_gives_no_max() {
        let out = search(&cfg(), endpoint(5.0)).unwrap();
        assert_eq!(out.max_rps, None);
        assert_eq!(out.steps.len(), 1);
        assert!(out.steps[0].reason.as_deref().unwrap().contains("p99"));
    }

    #[test]
    fn holding_at_max_rate_is_capped() {
        let mut c = cfg();
        c.max_rate = 50.0;
        let out = search(&c, endpoint(1e9)).unwrap();
        assert_eq!(out.max_rps, Some(50.0));
        assert!(out.capped);
    }

    #[test]
    fn success_ratio_and_shortfall_break_a_step() {
        let c = cfg();
        let mut r = StepResult {
            rate: 100.0,
            achieved_per_s: 100.0,
            p50_ms: 1.0,
            p99_ms: 1.0,
            success_ratio: 0.998,
            requests: 3000,
        };
        assert!(r.verdict(&c).unwrap_err().to_string().contains("success"));
        r.success_ratio = 1.0;
        r.achieved_per_s = 90.0;
        assert!(r.verdict(&c).unwrap_err().to_string().contains("achieved"));
    }

    #[test]
    fn scaling_value_is_per_minute_with_the_factor() {
        // 20 req/s per instance at 0.5 → 600 invocations per instance-minute.
        assert_eq!(scaling_value(20.0, 0.5), 600);
        assert_eq!(scaling_value(13.7, 0.5), 411);
    }
}
