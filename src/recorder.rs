//! The recorder: what the invoker measured in the current interval.
//!
//! The invoker adds sends and completions; the run loop takes the interval
//! once a second ([`Recorder::take_interval`]) and writes it to the journal.
//! Only the open interval's histograms are held, so memory stays flat however
//! long the run. Running totals feed the live progress display.

pub mod stream;

use std::time::Duration;

use crate::histogram::{self, Hist};
use crate::outcome::{Outcome, OutcomeCounts};
use crate::target::stream::StreamTiming;

/// One interval's measurements, ready for the journal.
pub struct IntervalData {
    pub sent: u64,
    pub late: u64,
    pub by_outcome: OutcomeCounts,
    pub latency: Hist,
    pub service: Hist,
    /// Streamed responses' TTFT, inter-token and token counts.
    pub stream: stream::StreamHists,
}

/// Totals since the run started, for the progress display.
#[derive(Debug, Clone, Copy, Default)]
pub struct Totals {
    pub sent: u64,
    pub late: u64,
    pub completed: u64,
    pub errors: u64,
    pub in_flight: u64,
}

pub struct Recorder {
    open: IntervalData,
    totals: Totals,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            open: IntervalData {
                sent: 0,
                late: 0,
                by_outcome: OutcomeCounts::default(),
                latency: histogram::new_hist(),
                service: histogram::new_hist(),
                stream: stream::StreamHists::default(),
            },
            totals: Totals::default(),
        }
    }

    /// A request was handed to the target; `late` when it had to wait for
    /// the in-flight cap.
    pub fn sent(&mut self, late: bool) {
        self.open.sent += 1;
        self.totals.sent += 1;
        self.totals.in_flight += 1;
        if late {
            self.open.late += 1;
            self.totals.late += 1;
        }
    }

    /// A request ended. `latency` runs from the intended send time,
    /// `service` from the actual send.
    pub fn completed(&mut self, outcome: Outcome, latency: Duration, service: Duration) {
        self.open.by_outcome.add(outcome);
        histogram::record(&mut self.open.latency, latency);
        histogram::record(&mut self.open.service, service);
        self.totals.completed += 1;
        self.totals.in_flight -= 1;
        if outcome != Outcome::Ok {
            self.totals.errors += 1;
        }
    }

    /// A streamed response ended (after [`Recorder::completed`]);
    /// `intended` is its intended send time, which TTFT runs from.
    pub fn streamed(&mut self, intended: tokio::time::Instant, timing: &StreamTiming) {
        self.open.stream.record(intended, timing);
    }

    /// Closes the open interval and starts a new one. Histograms are reset
    /// in place rather than reallocated.
    pub fn take_interval(&mut self) -> (IntervalData, u64) {
        let mut fresh = IntervalData {
            sent: 0,
            late: 0,
            by_outcome: OutcomeCounts::default(),
            latency: self.open.latency.clone(),
            service: self.open.service.clone(),
            stream: self.open.stream.fresh_like(),
        };
        fresh.latency.reset();
        fresh.service.reset();
        (
            std::mem::replace(&mut self.open, fresh),
            self.totals.in_flight,
        )
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }
}
