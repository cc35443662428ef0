//! The streamed-response part of an `interval` line: what the parts of the
//! responses that completed in that interval measured. Absent when no
//! response was streamed, so journals of whole-response runs (and those
//! written before streaming existed) read and write as they did.

use hdrhistogram::errors::AdditionError;
use serde::{Deserialize, Serialize};

use crate::histogram::{self, Hist, HistogramError};

/// Streamed responses completed in one interval. Histograms use the
/// journal's encoding ([`crate::histogram::encode`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamIntervalRecord {
    /// Streamed responses that completed (any outcome) in the interval.
    pub responses: u64,
    /// Parts received, over those responses.
    pub parts: u64,
    /// Tokens, as the target's `tokens` setting counts them.
    pub tokens: u64,
    /// Time to first part, from the intended send time (microseconds).
    pub ttft: String,
    /// Time between consecutive parts (microseconds).
    pub inter_token: String,
    /// Tokens per response (a count, not a time).
    pub tokens_per_response: String,
}

/// Why streamed-response histograms of interval lines can't be added up.
#[derive(Debug, thiserror::Error)]
pub enum StreamHistError {
    #[error("stream {which} histogram: {source}")]
    Decode {
        which: &'static str,
        #[source]
        source: HistogramError,
    },
    /// Debug form, as the journal tools show hdrhistogram's errors.
    #[error("adding stream {which} histograms: {source:?}")]
    Add {
        which: &'static str,
        #[source]
        source: AdditionError,
    },
}

/// Streamed responses over several interval lines (a whole run for the
/// summary, one second of several shards for `merge`).
pub struct StreamTotals {
    pub responses: u64,
    pub parts: u64,
    pub tokens: u64,
    pub ttft: Hist,
    pub inter_token: Hist,
    pub tokens_per_response: Hist,
}

impl Default for StreamTotals {
    fn default() -> Self {
        StreamTotals {
            responses: 0,
            parts: 0,
            tokens: 0,
            ttft: histogram::new_hist(),
            inter_token: histogram::new_hist(),
            tokens_per_response: histogram::new_hist(),
        }
    }
}

impl StreamTotals {
    /// Adds one interval line's streamed responses.
    pub fn add(&mut self, r: &StreamIntervalRecord) -> Result<(), StreamHistError> {
        self.responses += r.responses;
        self.parts += r.parts;
        self.tokens += r.tokens;
        for (which, into, from) in [
            ("ttft", &mut self.ttft, &r.ttft),
            ("inter-token", &mut self.inter_token, &r.inter_token),
            (
                "tokens-per-response",
                &mut self.tokens_per_response,
                &r.tokens_per_response,
            ),
        ] {
            let h = histogram::decode(from)
                .map_err(|source| StreamHistError::Decode { which, source })?;
            into.add(h)
                .map_err(|source| StreamHistError::Add { which, source })?;
        }
        Ok(())
    }

    pub fn to_record(&self) -> StreamIntervalRecord {
        StreamIntervalRecord {
            responses: self.responses,
            parts: self.parts,
            tokens: self.tokens,
            ttft: histogram::encode(&self.ttft),
            inter_token: histogram::encode(&self.inter_token),
            tokens_per_response: histogram::encode(&self.tokens_per_response),
        }
    }
}

/// The sum of some interval lines' streamed responses; `None` when none
/// had any.
pub fn combine<'a>(
    records: impl Iterator<Item = &'a StreamIntervalRecord>,
) -> Result<Option<StreamIntervalRecord>, StreamHistError> {
    let mut t = StreamTotals::default();
    let mut any = false;
    for r in records {
        t.add(r)?;
        any = true;
    }
    Ok(any.then(|| t.to_record()))
}
