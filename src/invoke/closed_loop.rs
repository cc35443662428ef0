//! The closed-loop driver: exactly N requests in flight.
//!
//! Beside the open-model [`Invoker`] (sends at scheduled times), this one
//! keeps a fixed concurrency: N requests start together, and each
//! completion starts the next at once, until the run's length is up. It is
//! what `capacity --concurrency` climbs in, since LLM endpoints scale on
//! concurrent requests per copy (ConcurrentRequestsPerCopy), not on a rate.
//!
//! A request is *due* when its slot freed (the previous request in that
//! slot completed; for the first N, when driving began), and its latency
//! and TTFT run from then, so any delay of the harness in starting it
//! counts, as the open model counts a late send. It records into the same
//! [`Recorder`] (HDR histograms per interval, outcome counts), so the
//! journal and every report read it as they read an open-model run.
//!
//! [`Driver`] is what the run loop holds: either kind, with one `dispatch`
//! and one `drain`.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::{DispatchEnd, Invoker, InvokerConfig};
use crate::outcome::Outcome;
use crate::payload::Payloads;
use crate::recorder::Recorder;
use crate::schedule::Send;
use crate::target::SharedTarget;
use crate::target::stream::Reply;

/// How a run drives its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drive {
    /// Sends at the schedule's times (the default).
    Open,
    /// Keeps this many requests in flight for the length of the plan.
    Closed { concurrency: NonZeroUsize },
}

/// The run loop's dispatcher: open-model or closed-loop.
pub enum Driver {
    Open(Invoker),
    Closed(ClosedLoop),
}

impl Driver {
    pub fn new(
        drive: Drive,
        target: SharedTarget,
        recorder: Arc<Mutex<Recorder>>,
        config: InvokerConfig,
    ) -> Driver {
        match drive {
            Drive::Open => Driver::Open(Invoker::new(target, recorder, config)),
            Drive::Closed { concurrency } => Driver::Closed(ClosedLoop::new(
                target,
                recorder,
                concurrency,
                config.timeout,
            )),
        }
    }

    /// Open: sends the schedule. Closed: keeps N in flight from `origin`
    /// for `length` (the schedule is not used). Returns without waiting
    /// for the requests in flight ([`Driver::drain`]).
    pub async fn dispatch(
        &self,
        schedule: impl Iterator<Item = Send>,
        origin: Instant,
        length: Duration,
        payloads: &mut Payloads,
        stop: &mut watch::Receiver<bool>,
    ) -> DispatchEnd {
        match self {
            Driver::Open(i) => i.dispatch(schedule, origin, payloads, stop).await,
            Driver::Closed(c) => c.drive(origin, length, payloads, stop).await,
        }
    }

    /// Waits until every request sent has completed.
    pub async fn drain(&self) {
        match self {
            Driver::Open(i) => i.drain().await,
            Driver::Closed(c) => c.drain().await,
        }
    }
}

pub struct ClosedLoop {
    target: SharedTarget,
    recorder: Arc<Mutex<Recorder>>,
    concurrency: usize,
    timeout: Duration,
    /// One permit per slot, held by the request in it: `drain` takes them
    /// all back.
    slots: Arc<Semaphore>,
}

impl ClosedLoop {
    pub fn new(
        target: SharedTarget,
        recorder: Arc<Mutex<Recorder>>,
        concurrency: NonZeroUsize,
        timeout: Duration,
    ) -> ClosedLoop {
        ClosedLoop {
            target,
            recorder,
            concurrency: concurrency.get(),
            timeout,
            slots: Arc::new(Semaphore::new(concurrency.get())),
        }
    }

    /// Starts N requests at `origin` (or now, when later) and, whenever
    /// one completes before `origin + length`, the next in its slot, due
    /// at that completion. Ends at `origin + length` (a request freed then
    /// or later starts nothing) or when `stop` turns true.
    pub async fn drive(
        &self,
        origin: Instant,
        length: Duration,
        payloads: &mut Payloads,
        stop: &mut watch::Receiver<bool>,
    ) -> DispatchEnd {
        let end = origin + length;
        if *stop.borrow() {
            return DispatchEnd::Stopped;
        }
        if origin > Instant::now() {
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(origin) => {}
                _ = stop.changed() => return DispatchEnd::Stopped,
            }
        }
        let (freed_tx, mut freed) = mpsc::unbounded_channel::<Instant>();
        let first = Instant::now();
        if first >= end {
            return DispatchEnd::Completed;
        }
        for _ in 0..self.concurrency {
            self.start(first, payloads, &freed_tx);
        }
        let deadline = tokio::time::sleep_until(end);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                biased;
                _ = stop.changed() => return DispatchEnd::Stopped,
                _ = &mut deadline => return DispatchEnd::Completed,
                Some(at) = freed.recv() => {
                    if at < end {
                        self.start(at, payloads, &freed_tx);
                    }
                }
            }
        }
    }

    /// One request in a free slot, due at `due`.
    fn start(&self, due: Instant, payloads: &mut Payloads, freed: &mpsc::UnboundedSender<Instant>) {
        let permit = self
            .slots
            .clone()
            .try_acquire_owned()
            .expect("a slot frees before its next request starts");
        self.recorder.lock().expect("recorder lock").sent(false);
        let request = self.target.invoke_reply(payloads.next_body());
        let recorder = self.recorder.clone();
        let timeout = self.timeout;
        let freed = freed.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let reply = tokio::time::timeout(timeout, request)
                .await
                .unwrap_or(Reply::whole(Outcome::Timeout));
            let done = Instant::now();
            let mut r = recorder.lock().expect("recorder lock");
            r.completed(reply.outcome, done - due, done - started);
            if let Some(timing) = &reply.stream {
                r.streamed(due, timing);
            }
            drop(r);
            // The slot is free before the driver hears of it, so its next
            // request finds the permit.
            drop(permit);
            // After the driver has ended nobody listens: nothing to start.
            let _ = freed.send(done);
        });
    }

    /// Waits until every request started has completed; each is bounded
    /// by the timeout.
    pub async fn drain(&self) {
        let _ = self.slots.acquire_many(self.concurrency as u32).await;
    }
}

#[cfg(test)]
#[path = "closed_loop_tests.rs"]
mod tests;
