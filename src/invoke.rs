//! The open-model dispatcher.
//!
//! Each request is sent at its intended time from the [`Schedule`], never
//! when an earlier one returns. Latency runs from the intended time, so a
//! stalled endpoint shows in the numbers instead of silently slowing the
//! load (coordinated omission, as wrk2 corrects it); service time runs from
//! the actual send. When `max_in_flight` requests are outstanding the next
//! one waits for a slot: it is counted *late* and its wait is part of its
//! latency. Nothing is dropped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::outcome::Outcome;
use crate::payload::Payloads;
use crate::recorder::Recorder;
use crate::schedule::Send;
use crate::target::SharedTarget;
use crate::target::stream::Reply;

#[derive(Debug, Clone, Copy)]
pub struct InvokerConfig {
    pub max_in_flight: usize,
    pub timeout: Duration,
    /// Wall-clock runs: wake a little early and yield until the exact send
    /// time, because tokio's timer fires up to ~2 ms late and that lag would
    /// count as endpoint latency. Must be off on the paused (virtual) clock,
    /// where time only moves when every task is idle.
    pub precise_timing: bool,
}

/// How early to wake before a send when timing precisely; tokio's timer
/// wheel has millisecond ticks.
const EARLY_WAKE: Duration = Duration::from_micros(1500);

/// How dispatching ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchEnd {
    /// Every scheduled request was sent.
    Completed,
    /// A stop was requested (a signal) before the schedule ended.
    Stopped,
}

pub struct Invoker {
    target: SharedTarget,
    recorder: Arc<Mutex<Recorder>>,
    config: InvokerConfig,
    slots: Arc<Semaphore>,
}

impl Invoker {
    pub fn new(
        target: SharedTarget,
        recorder: Arc<Mutex<Recorder>>,
        config: InvokerConfig,
    ) -> Invoker {
        Invoker {
            target,
            recorder,
            slots: Arc::new(Semaphore::new(config.max_in_flight)),
            config,
        }
    }

    /// Sends the schedule, `origin` being its time zero, until it ends or
    /// `stop` turns true. Returns without waiting for responses; call
    /// [`Invoker::drain`] for that.
    pub async fn dispatch(
        &self,
        schedule: impl Iterator<Item = Send>,
        origin: Instant,
        payloads: &mut Payloads,
        stop: &mut watch::Receiver<bool>,
    ) -> DispatchEnd {
        for send in schedule {
            if *stop.borrow() {
                return DispatchEnd::Stopped;
            }
            let intended = origin + send.at;
            let now = Instant::now();
            if intended > now {
                let precise = self.config.precise_timing && intended - now > EARLY_WAKE;
                let wake = if precise {
                    intended - EARLY_WAKE
                } else {
                    intended
                };
                tokio::select! {
                    biased;
                    _ = tokio::time::sleep_until(wake) => {}
                    _ = stop.changed() => return DispatchEnd::Stopped,
                }
                // Only at low rates (sends over 1.5 ms apart) does this spin,
                // for well under a millisecond; above that, sends due within
                // the same timer tick go out together.
                while precise && Instant::now() < intended {
                    tokio::task::yield_now().await;
                }
            }
            let (permit, late) = match self.slots.clone().try_acquire_owned() {
                Ok(p) => (p, false),
                Err(_) => tokio::select! {
                    biased;
                    p = self.slots.clone().acquire_owned() => (p.expect("semaphore never closes"), true),
                    _ = stop.changed() => return DispatchEnd::Stopped,
                },
            };
            self.recorder.lock().expect("recorder lock").sent(late);
            let request = self.target.invoke_reply(payloads.next_body());
            let recorder = self.recorder.clone();
            let timeout = self.config.timeout;
            tokio::spawn(async move {
                let started = Instant::now();
                let reply = tokio::time::timeout(timeout, request)
                    .await
                    .unwrap_or(Reply::whole(Outcome::Timeout));
                let done = Instant::now();
                let mut r = recorder.lock().expect("recorder lock");
                r.completed(reply.outcome, done - intended, done - started);
                if let Some(timing) = &reply.stream {
                    r.streamed(intended, timing);
                }
                drop(r);
                drop(permit);
            });
        }
        DispatchEnd::Completed
    }

    /// Waits until every request sent has completed; each is bounded by the
    /// timeout, so this ends. (A second signal exits the process instead.)
    pub async fn drain(&self) {
        let all = self.config.max_in_flight as u32;
        let _ = self.slots.acquire_many(all).await;
    }
}

#[cfg(test)]
mod tests;
