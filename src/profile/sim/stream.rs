//! `[sim.instance.stream]`: a streaming service model for the simulated
//! instance, so a simulated LLM endpoint answers streamed requests with
//! parts: a prefill time until the first token, then one token per
//! `per_token`, for a token count drawn per request.
//!
//! Each worker slot is one concurrent sequence (`sim.instance.worker_slots`
//! is the server's batch size), so requests beyond it queue and their time
//! to first token grows by the wait, as on a real model server with a
//! limited number of concurrent sequences. Decoding slows as the batch
//! fills: each other sequence in progress when a request starts adds
//! `batch_slowdown` × `per_token` to its time per token. AWS publishes
//! none of these numbers (they are the model server's); every one is a
//! setting, with the defaults below.

use serde::Serialize;
use toml::Spanned;

use super::dist::Dist;
use super::raw::RawDist;
use crate::profile::raw::DurationValue;
use crate::profile::{Ctx, ProfileError};

/// Default prefill: 200 ms (a setting, not an AWS number).
pub const DEFAULT_PREFILL_S: f64 = 0.2;
/// Default time per token: 20 ms (50 tokens/s per sequence).
pub const DEFAULT_PER_TOKEN_S: f64 = 0.02;
/// Default tokens per response: 64 to 256, uniform.
pub const DEFAULT_TOKENS: (u32, u32) = (64, 256);
/// Default slowdown per other sequence in the batch: 5 %.
pub const DEFAULT_BATCH_SLOWDOWN: f64 = 0.05;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStreamModel {
    pub prefill: Option<Spanned<RawDist>>,
    pub per_token: Option<Spanned<DurationValue>>,
    pub min_tokens: Option<Spanned<i64>>,
    pub max_tokens: Option<Spanned<i64>>,
    pub batch_slowdown: Option<Spanned<f64>>,
}

/// A validated streaming service model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamModel {
    /// From a worker starting the request to its first token.
    pub prefill: Dist,
    /// Between tokens, with the batch empty but for this request.
    pub per_token_s: f64,
    /// Tokens per response, uniform between these (inclusive).
    pub min_tokens: u32,
    pub max_tokens: u32,
    /// Added to the time per token, as a fraction of `per_token`, for each
    /// other sequence in progress on the instance when the request starts.
    pub batch_slowdown: f64,
}

impl Default for StreamModel {
    fn default() -> Self {
        StreamModel {
            prefill: Dist::fixed(DEFAULT_PREFILL_S),
            per_token_s: DEFAULT_PER_TOKEN_S,
            min_tokens: DEFAULT_TOKENS.0,
            max_tokens: DEFAULT_TOKENS.1,
            batch_slowdown: DEFAULT_BATCH_SLOWDOWN,
        }
    }
}

/// What one streamed response does, decided when its worker starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamPlan {
    pub prefill_s: f64,
    pub gap_s: f64,
    pub tokens: u32,
}

impl StreamPlan {
    /// From the worker starting to the last token.
    pub fn service_s(&self) -> f64 {
        self.prefill_s + f64::from(self.tokens.saturating_sub(1)) * self.gap_s
    }
}

impl StreamModel {
    /// The plan for a request starting with `others` other sequences in
    /// progress on its instance.
    pub fn plan<R: rand::Rng>(&self, others: usize, rng: &mut R) -> StreamPlan {
        StreamPlan {
            prefill_s: self.prefill.sample(rng),
            gap_s: self.per_token_s * (1.0 + self.batch_slowdown * others as f64),
            tokens: rng.random_range(self.min_tokens..=self.max_tokens),
        }
    }

    /// `dist` is the `[sim]` section's distribution reader.
    pub fn from_raw(
        ctx: &Ctx,
        raw: &Spanned<RawStreamModel>,
        dist: impl Fn(&Spanned<RawDist>, &str) -> Result<Dist, ProfileError>,
    ) -> Result<StreamModel, ProfileError> {
        let r = raw.get_ref();
        let mut m = StreamModel::default();
        if let Some(v) = &r.prefill {
            m.prefill = dist(v, "sim.instance.stream.prefill")?;
        }
        if let Some(v) = &r.per_token {
            if v.get_ref().0.is_zero() {
                return Err(ctx.err(
                    Some(v.span()),
                    "sim.instance.stream.per_token",
                    "must be longer than zero",
                ));
            }
            m.per_token_s = v.get_ref().0.as_secs_f64();
        }
        let tokens = |v: &Option<Spanned<i64>>, field: &str, default: u32| match v {
            None => Ok(default),
            Some(n) if (1..=100_000).contains(n.get_ref()) => Ok(*n.get_ref() as u32),
            Some(n) => Err(ctx.err(
                Some(n.span()),
                field,
                format!("must be between 1 and 100000 (got {})", n.get_ref()),
            )),
        };
        m.min_tokens = tokens(
            &r.min_tokens,
            "sim.instance.stream.min_tokens",
            m.min_tokens,
        )?;
        m.max_tokens = tokens(
            &r.max_tokens,
            "sim.instance.stream.max_tokens",
            m.max_tokens,
        )?;
        if r.max_tokens.is_none() {
            m.max_tokens = m.max_tokens.max(m.min_tokens);
        }
        if r.min_tokens.is_none() {
            m.min_tokens = m.min_tokens.min(m.max_tokens);
        }
        if m.min_tokens > m.max_tokens {
            let span = r.max_tokens.as_ref().map(|s| s.span());
            return Err(ctx.err(
                span,
                "sim.instance.stream.max_tokens",
                format!("must be at least min_tokens ({})", m.min_tokens),
            ));
        }
        if let Some(v) = &r.batch_slowdown {
            let x = *v.get_ref();
            if !(x.is_finite() && (0.0..=10.0).contains(&x)) {
                return Err(ctx.err(
                    Some(v.span()),
                    "sim.instance.stream.batch_slowdown",
                    format!("must be between 0 and 10 (got {x})"),
                ));
            }
            m.batch_slowdown = x;
        }
        Ok(m)
    }
}
