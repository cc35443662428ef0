//! The open-model dispatcher.
//!
//! Each request is sent at its intended time from the [`Schedule`], never
//! when an earlier one returns. Latency runs from the intended time, so a
//! stalled endpoint shows in the numbers instead of silently slowing the
//! load (coordinated omission, as wrk2 corrects it); service time runs from
//! the actual send. When `max_in_flight` requests are outstanding the next
//! one waits for a slot: it is counted *late* and its wait is part of its
//! latency. Nothing is dropped.
//!
//! On the wall clock each send waits on a [`timer::SendTimer`] (a timerfd,
//! to the microsecond, without spinning); the recorder keeps how late each
//! send still was (the send lag) apart from the endpoint's latency.
//!
//! [`closed_loop`] is the other driver: a fixed number of requests in
//! flight (`capacity --concurrency`); [`Driver`] holds either.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::outcome::Outcome;
use crate::payload::Payloads;
use crate::recorder::Recorder;
use crate::schedule::Send;
use crate::target::SharedTarget;
use timer::SendTimer;

mod closed_loop;
mod timer;
use crate::target::stream::Reply;
pub use closed_loop::{ClosedLoop, Drive, Driver};

#[derive(Debug, Clone, Copy)]
pub struct InvokerConfig {
    pub max_in_flight: usize,
    pub timeout: Duration,
    /// Wall-clock runs: wait for each send on a [`SendTimer`] (a timerfd,
    /// to the microsecond) rather than tokio's timer, which fires up to a
    /// millisecond late, a lag that would count as endpoint latency. Must
    /// be off on the paused (virtual) clock, whose time the kernel's timers
    /// know nothing of.
    pub precise_timing: bool,
}

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
        let timer = self.config.precise_timing.then(SendTimer::new);
        for send in schedule {
            if *stop.borrow() {
                return DispatchEnd::Stopped;
            }
            let intended = origin + send.at;
            if intended > Instant::now() {
                tokio::select! {
                    biased;
                    _ = sleep_until(timer.as_ref(), intended) => {}
                    _ = stop.changed() => return DispatchEnd::Stopped,
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

/// Waits on the precise timer when there is one, else on tokio's.
async fn sleep_until(timer: Option<&SendTimer>, at: Instant) {
    match timer {
        Some(t) => t.sleep_until(at).await,
        None => tokio::time::sleep_until(at).await,
    }
}

#[cfg(test)]
mod tests;
