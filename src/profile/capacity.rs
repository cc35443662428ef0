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
