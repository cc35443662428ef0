//! The streamed-response histograms of one interval: time to first token
//! (TTFT) and time between parts, each an HDR histogram like latency, and
//! tokens per response. TTFT runs from the request's *intended* send time,
//! so a request that waited for a slot, or for an endpoint that fell
//! behind, shows the wait in its TTFT as it does in its latency.

use tokio::time::Instant;

use crate::histogram::{self, Hist};
use crate::journal::stream::StreamIntervalRecord;
use crate::target::stream::StreamTiming;

/// One interval's streamed responses.
pub struct StreamHists {
    pub responses: u64,
    pub parts: u64,
    pub tokens: u64,
    pub ttft: Hist,
    pub inter_token: Hist,
    /// Token counts recorded as raw values in the shared histogram shape;
    /// its range starts at 1, so a response with no token records as 1
    /// (the exact total is `tokens`).
    pub tokens_per_response: Hist,
}

impl Default for StreamHists {
    fn default() -> Self {
        StreamHists {
            responses: 0,
            parts: 0,
            tokens: 0,
            ttft: histogram::new_hist(),
            inter_token: histogram::new_hist(),
            tokens_per_response: histogram::new_hist(),
        }
    }
}

impl StreamHists {
    /// A streamed response ended; `intended` is its intended send time.
    pub fn record(&mut self, intended: Instant, t: &StreamTiming) {
        self.responses += 1;
        self.parts += t.parts;
        self.tokens += t.tokens;
        if let Some(first) = t.first_part {
            histogram::record(&mut self.ttft, first.saturating_duration_since(intended));
        }
        for gap in &t.gaps {
            histogram::record(&mut self.inter_token, *gap);
        }
        self.tokens_per_response
            .saturating_record(t.tokens.clamp(histogram::LOWEST_US, histogram::HIGHEST_US));
    }

    /// Empties it in place (see [`super::clear_hist`]).
    pub fn clear(&mut self) {
        self.responses = 0;
        self.parts = 0;
        self.tokens = 0;
        for h in [
            &mut self.ttft,
            &mut self.inter_token,
            &mut self.tokens_per_response,
        ] {
            super::clear_hist(h);
        }
    }

    /// The journal's form; `None` when no streamed response completed.
    pub fn to_record(&self) -> Option<StreamIntervalRecord> {
        (self.responses > 0).then(|| StreamIntervalRecord {
            responses: self.responses,
            parts: self.parts,
            tokens: self.tokens,
            ttft: histogram::encode(&self.ttft),
            inter_token: histogram::encode(&self.inter_token),
            tokens_per_response: histogram::encode(&self.tokens_per_response),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ttft_runs_from_the_intended_send_time() {
        let intended = Instant::now();
        let t = StreamTiming {
            first_part: Some(intended + Duration::from_millis(250)),
            parts: 3,
            tokens: 5,
            gaps: vec![Duration::from_millis(20), Duration::from_millis(40)],
        };
        let mut h = StreamHists::default();
        h.record(intended, &t);
        assert_eq!((h.responses, h.parts, h.tokens), (1, 3, 5));
        // Exact to the histogram's precision (3 significant digits).
        assert!(h.ttft.equivalent(h.ttft.max(), 250_000));
        assert!(h.inter_token.equivalent(h.inter_token.min(), 20_000));
        assert!(h.inter_token.equivalent(h.inter_token.max(), 40_000));
        assert_eq!(h.tokens_per_response.max(), 5);
        let rec = h.to_record().unwrap();
        assert_eq!(histogram::decode(&rec.ttft).unwrap().len(), 1);
        h.clear();
        assert!(h.to_record().is_none());
        assert!(h.ttft.is_empty() && h.inter_token.is_empty());
    }
}
