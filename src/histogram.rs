//! Latency histograms: HdrHistogram with the range and precision every part
//! of scaletrace shares, and its journal encoding (V2 + deflate, base64).

use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::errors::AdditionError;
use hdrhistogram::serialization::{
    DeserializeError, Deserializer, Serializer, V2DeflateSerializer,
};

/// Microseconds. 1 µs to 1 hour (async invocations may take up to an hour),
/// 3 significant digits.
pub type Hist = Histogram<u64>;

pub const LOWEST_US: u64 = 1;
pub const HIGHEST_US: u64 = 3_600_000_000;
pub const SIGFIG: u8 = 3;

pub fn new_hist() -> Hist {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGFIG).expect("valid histogram bounds")
}

/// Records a duration, clamped to the histogram's range.
pub fn record(h: &mut Hist, d: std::time::Duration) {
    let us = (d.as_micros() as u64).clamp(LOWEST_US, HIGHEST_US);
    h.saturating_record(us);
}

/// Records a send lag: like [`record`], but a lag under a microsecond stays
/// 0 (on time is a real measurement, not a value below the range).
pub fn record_lag(h: &mut Hist, d: std::time::Duration) {
    h.saturating_record((d.as_micros() as u64).min(HIGHEST_US));
}

/// Encodes for the journal.
pub fn encode(h: &Hist) -> String {
    let mut buf = Vec::with_capacity(256);
    V2DeflateSerializer::new()
        .serialize(h, &mut buf)
        .expect("serializing to a Vec cannot fail");
    base64::engine::general_purpose::STANDARD.encode(buf)
}

/// Why a journal histogram could not be decoded. The messages show the
/// hdrhistogram errors in their `Debug` form, as the journal tools always
/// have.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    #[error("bad base64 histogram: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("bad histogram: {0:?}")]
    Decode(#[source] DeserializeError),
    #[error("histogram out of range: {0:?}")]
    Range(#[source] AdditionError),
}

/// Decodes a journal histogram.
pub fn decode(s: &str) -> Result<Hist, HistogramError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(s)?;
    let h: Hist = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(HistogramError::Decode)?;
    // Every journal scaletrace writes has the shared bounds: that histogram
    // is the answer as it is. Copying it into a fresh one (≈190 KB of
    // counts, zeroed, then added) was most of what a report of a long
    // simulated run cost.
    if (h.low(), h.high(), h.sigfig()) == (LOWEST_US, HIGHEST_US, SIGFIG) {
        return Ok(h);
    }
    let mut out = new_hist();
    out.add(&h).map_err(HistogramError::Range)?;
    Ok(out)
}

/// Milliseconds at a quantile (0 for an empty histogram).
pub fn quantile_ms(h: &Hist, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64 / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_through_the_journal_encoding() {
        let mut h = new_hist();
        for ms in 1..=100 {
            record(&mut h, Duration::from_millis(ms));
        }
        record(&mut h, Duration::from_secs(7200));
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), 101);
        assert_eq!(back.max(), h.max());
        assert!(
            (quantile_ms(&back, 0.5) - 51.0).abs() < 0.1,
            "{}",
            quantile_ms(&back, 0.5)
        );
    }
}
