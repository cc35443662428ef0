//! The recorder: what the invoker measured in the current interval.
//!
//! The invoker adds sends and completions; the run loop takes the interval
//! once a second ([`Recorder::take_interval`]) and writes it to the journal.
//! Only the open interval's histograms are held, so memory stays flat however
//! long the run. Running totals feed the live progress display.
//!
//! Wall-clock runs also keep the *send lag* (actual send − intended send):
//! how late the harness itself was, so a tool problem is never mistaken for
//! endpoint latency. On the virtual clock it is always zero and is not kept,
//! which leaves simulated journals as they were.

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
    /// Actual − intended send time, when the recorder keeps it
    /// ([`Recorder::with_send_lag`]).
    pub send_lag: Option<Hist>,
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

/// Empties a histogram. One nothing was recorded in since it was made or
/// last cleared is left as it is: clearing writes all of its ≈190 KB of
/// counts.
pub(crate) fn clear_hist(h: &mut Hist) {
    if !h.is_empty() {
        h.reset();
    }
}

pub struct Recorder {
    open: IntervalData,
    /// An interval handed back by [`Recorder::recycle`], cleared: the next
    /// [`Recorder::take_interval`] opens it instead of allocating.
    spare: Option<IntervalData>,
    totals: Totals,
}

impl IntervalData {
    /// An empty interval with the same histograms kept (send lag or not).
    fn empty_like(&self) -> IntervalData {
        IntervalData {
            sent: 0,
            late: 0,
            by_outcome: OutcomeCounts::default(),
            latency: histogram::new_hist(),
            service: histogram::new_hist(),
            send_lag: self.send_lag.as_ref().map(|_| histogram::new_hist()),
            stream: stream::StreamHists::default(),
        }
    }

    /// Empties it in place. A histogram nothing was recorded in is left as
    /// it is: clearing one writes all of its ≈190 KB of counts.
    fn clear(&mut self) {
        self.sent = 0;
        self.late = 0;
        self.by_outcome = OutcomeCounts::default();
        for h in [&mut self.latency, &mut self.service]
            .into_iter()
            .chain(self.send_lag.as_mut())
        {
            clear_hist(h);
        }
        self.stream.clear();
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// A recorder without the send-lag histogram (virtual-clock runs).
    pub fn new() -> Recorder {
        Recorder {
            open: IntervalData {
                sent: 0,
                late: 0,
                by_outcome: OutcomeCounts::default(),
                latency: histogram::new_hist(),
                service: histogram::new_hist(),
                send_lag: None,
                stream: stream::StreamHists::default(),
            },
            spare: None,
            totals: Totals::default(),
        }
    }

    /// A recorder that also keeps the send lag per interval (wall-clock
    /// runs).
    pub fn with_send_lag() -> Recorder {
        let mut r = Recorder::new();
        r.open.send_lag = Some(histogram::new_hist());
        r
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
    /// `service` from the actual send, so their difference is the send lag
    /// (recorded here rather than at the send: one lock per request, not
    /// two, on the hot path).
    pub fn completed(&mut self, outcome: Outcome, latency: Duration, service: Duration) {
        self.open.by_outcome.add(outcome);
        histogram::record(&mut self.open.latency, latency);
        histogram::record(&mut self.open.service, service);
        if let Some(lag) = &mut self.open.send_lag {
            histogram::record_lag(lag, latency.saturating_sub(service));
        }
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

    /// Closes the open interval and starts a new one: the one last given
    /// back to [`Recorder::recycle`], else a fresh one.
    pub fn take_interval(&mut self) -> (IntervalData, u64) {
        let fresh = match self.spare.take() {
            Some(spare) => spare,
            None => self.open.empty_like(),
        };
        (
            std::mem::replace(&mut self.open, fresh),
            self.totals.in_flight,
        )
    }

    /// Hands a taken interval back once it is written, so that the next
    /// [`Recorder::take_interval`] reuses its histograms. A simulated run
    /// takes an interval per simulated second, tens of thousands a run:
    /// copying and clearing five histograms of ≈190 KB for each was a large
    /// share of its CPU.
    pub fn recycle(&mut self, mut data: IntervalData) {
        data.clear();
        self.spare = Some(data);
    }

    pub fn totals(&self) -> Totals {
        self.totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_lag_is_latency_minus_service_time_and_resets_per_interval() {
        let mut r = Recorder::with_send_lag();
        r.sent(false);
        r.completed(
            Outcome::Ok,
            Duration::from_micros(1_250),
            Duration::from_micros(1_000),
        );
        r.sent(false);
        r.completed(
            Outcome::Ok,
            Duration::from_millis(3),
            Duration::from_millis(3),
        );
        let (data, _) = r.take_interval();
        let lag = data.send_lag.expect("kept");
        assert_eq!((lag.len(), lag.min(), lag.max()), (2, 0, 250));
        let (next, _) = r.take_interval();
        assert!(next.send_lag.expect("still kept").is_empty());
    }

    /// An interval given back is reopened empty: nothing of what it held
    /// leaks into the next one.
    #[test]
    fn a_recycled_interval_comes_back_empty() {
        let mut r = Recorder::with_send_lag();
        r.sent(true);
        r.completed(
            Outcome::Throttled,
            Duration::from_millis(900),
            Duration::from_millis(400),
        );
        let (first, _) = r.take_interval();
        assert_eq!((first.sent, first.late, first.latency.len()), (1, 1, 1));
        r.recycle(first);
        r.sent(false);
        r.completed(
            Outcome::Ok,
            Duration::from_millis(7),
            Duration::from_millis(7),
        );
        let (second, in_flight) = r.take_interval();
        assert_eq!((second.sent, second.late, in_flight), (1, 0, 0));
        assert_eq!(second.by_outcome.total(), 1);
        assert_eq!(second.by_outcome.get(Outcome::Throttled), 0);
        assert_eq!((second.latency.len(), second.service.len()), (1, 1));
        assert!(second.latency.max() < 8_000, "{}", second.latency.max());
        let lag = second.send_lag.as_ref().expect("kept");
        assert_eq!((lag.len(), lag.max()), (1, 0));
        r.recycle(second);
        let (third, _) = r.take_interval();
        assert!(third.latency.is_empty() && third.service.is_empty());
        assert_eq!(r.totals().sent, 2);
    }

    #[test]
    fn virtual_clock_recorders_keep_no_send_lag() {
        let mut r = Recorder::new();
        r.sent(false);
        r.completed(
            Outcome::Ok,
            Duration::from_millis(2),
            Duration::from_millis(1),
        );
        assert!(r.take_interval().0.send_lag.is_none());
    }
}
