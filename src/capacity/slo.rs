//! The SLO a capacity step is judged against, and where each limit came
//! from: a command-line flag, else the profile's `[slo]`, else
//! `[capacity]` (the same order `simulate` uses, [`crate::simulate`]).
//!
//! Before this, `capacity` judged steps against `[capacity] p99_ms` only
//! (1000 ms unless set), so a profile whose `[slo]` said 300 ms got a
//! MAX_RPS that broke its own SLO. Every limit now carries its source, and
//! the banner, the curve's header and `capacity.json` print it.

use serde::Serialize;

use crate::profile::Profile;

/// Flags that override the profile's limits (`--p99-ms`, `--ttft-p99-ms`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SloFlags {
    pub p99_ms: Option<f64>,
    pub ttft_p99_ms: Option<f64>,
}

/// One limit and where it came from (`--p99-ms`, `[slo] p99_ms`, …).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub value: f64,
    pub from: String,
}

/// The limits a step must hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepSlo {
    /// p99 latency at most this (ms).
    pub p99_ms: Limit,
    /// ok / completed at least this.
    pub min_success_ratio: Limit,
    /// p99 time to first token at most this (ms); streamed responses only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ms: Option<Limit>,
}

impl StepSlo {
    /// The flags first, then `[slo]` (p99_ms; error_rate as 1 −
    /// error_rate), then `[capacity]` (p99_ms, min_success_ratio,
    /// ttft_p99_ms).
    pub fn resolve(profile: &Profile, flags: SloFlags) -> StepSlo {
        let cap = &profile.capacity;
        let slo = profile.slo.as_ref();
        let limit = |value: f64, from: &str| Limit {
            value,
            from: from.into(),
        };
        let p99_ms = match (flags.p99_ms, slo.and_then(|s| s.p99_ms)) {
            (Some(v), _) => limit(v, "--p99-ms"),
            (None, Some(v)) => limit(v, "[slo] p99_ms"),
            (None, None) => limit(cap.search.p99_ms, "[capacity] p99_ms"),
        };
        let min_success_ratio = match slo.and_then(|s| s.error_rate) {
            // 1 − 0.001 is 0.9990000000000001 in binary: round to 9 places.
            Some(e) => limit(((1.0 - e) * 1e9).round() / 1e9, "[slo] error_rate"),
            None => limit(cap.search.min_success_ratio, "[capacity] min_success_ratio"),
        };
        let ttft_p99_ms = match (flags.ttft_p99_ms, cap.concurrency.ttft_p99_ms) {
            (Some(v), _) => Some(limit(v, "--ttft-p99-ms")),
            (None, Some(v)) => Some(limit(v, "[capacity] ttft_p99_ms")),
            (None, None) => None,
        };
        StepSlo {
            p99_ms,
            min_success_ratio,
            ttft_p99_ms,
        }
    }

    /// `p99 ≤ 300 ms ([slo] p99_ms), success ≥ 99.9 % ([capacity]
    /// min_success_ratio)`, and the TTFT limit when there is one.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "p99 ≤ {} ms ({}), ",
            num(self.p99_ms.value),
            self.p99_ms.from
        );
        if let Some(t) = &self.ttft_p99_ms {
            s += &format!("TTFT p99 ≤ {} ms ({}), ", num(t.value), t.from);
        }
        s += &format!(
            "success ≥ {} % ({})",
            num(self.min_success_ratio.value * 100.0),
            self.min_success_ratio.from
        );
        s
    }
}

/// A number as written: 300, 99.9, 0.5 (no trailing zeros).
fn num(v: f64) -> String {
    let s = format!("{:.6}", v);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile(extra: &str) -> Profile {
        Profile::parse(
            Path::new("p.toml"),
            &format!(
                "[target]\nkind = \"sim\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n{extra}"
            ),
        )
        .unwrap()
    }

    #[test]
    fn flags_then_slo_then_capacity() {
        let none = SloFlags::default();
        let p = profile("");
        assert_eq!(
            StepSlo::resolve(&p, none).describe(),
            "p99 ≤ 1000 ms ([capacity] p99_ms), success ≥ 99.9 % ([capacity] min_success_ratio)"
        );
        let p = profile("[slo]\np99_ms = 300\nerror_rate = 0.01\n[capacity]\np99_ms = 800\n");
        let s = StepSlo::resolve(&p, none);
        assert_eq!((s.p99_ms.value, s.min_success_ratio.value), (300.0, 0.99));
        assert_eq!(
            s.describe(),
            "p99 ≤ 300 ms ([slo] p99_ms), success ≥ 99 % ([slo] error_rate)"
        );
        let flags = SloFlags {
            p99_ms: Some(250.0),
            ttft_p99_ms: Some(400.0),
        };
        assert_eq!(
            StepSlo::resolve(&p, flags).describe(),
            "p99 ≤ 250 ms (--p99-ms), TTFT p99 ≤ 400 ms (--ttft-p99-ms), success ≥ 99 % ([slo] error_rate)"
        );
    }
}
