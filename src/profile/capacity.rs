//! `[capacity]`'s search settings as the profile gives them; the search
//! itself is `capacity::search`.

use serde::Serialize;

/// How to climb.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchConfig {
    /// First step, requests per second.
    pub start_rate: f64,
    /// Never go above this; if it still holds, MAX_RPS is "at least" it.
    pub max_rate: f64,
    /// Coarse pass: each step multiplies the rate by this (> 1).
    pub growth: f64,
    /// Fine pass: bisection steps between the last good and first bad rate.
    pub fine_steps: u32,
    /// The SLO: p99 latency at most this.
    pub p99_ms: f64,
    /// The SLO: ok / completed at least this.
    pub min_success_ratio: f64,
}

/// `capacity --concurrency`: the stairs in requests in flight (per copy,
/// or per instance for a variant) and the TTFT limit. The coarse pass
/// multiplies by [`SearchConfig::growth`], the fine pass bisects with
/// [`SearchConfig::fine_steps`]. Left out of `run.json` while at its
/// defaults, so run directories read as they did before it existed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcurrencyConfig {
    /// First step: this many requests in flight.
    pub start: u32,
    /// Never more in flight than this; if it still holds, the concurrency
    /// found is "at least" it.
    pub max: u32,
    /// The SLO: p99 time to first token at most this (streamed
    /// responses); none when left out.
    pub ttft_p99_ms: Option<f64>,
}

impl Default for ConcurrencyConfig {
    fn default() -> Self {
        ConcurrencyConfig {
            start: 1,
            max: 256,
            ttft_p99_ms: None,
        }
    }
}

impl ConcurrencyConfig {
    pub fn is_default(&self) -> bool {
        *self == ConcurrencyConfig::default()
    }
}
