//! Dispatcher timing on the paused tokio clock: a scripted target whose
//! answers take known virtual times.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::time::Instant;

use super::*;
use crate::profile::{Arrivals, PayloadSpec, Phase};
use crate::schedule::{Schedule, Shard};
use crate::target::{Target, TargetError};

/// Answers after a fixed delay, except that the request sent at `stall_at`
/// takes `stall` instead; records the (virtual) time of every send.
struct Scripted {
    origin: Instant,
    delay: Duration,
    stall_at: Option<Duration>,
    stall: Duration,
    sends: Arc<Mutex<Vec<Duration>>>,
}

impl Target for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        async { Ok(()) }.boxed()
    }
    fn invoke(&self, _payload: Bytes) -> BoxFuture<'static, Outcome> {
        let at = Instant::now() - self.origin;
        self.sends.lock().unwrap().push(at);
        let d = if self.stall_at == Some(at) {
            self.stall
        } else {
            self.delay
        };
        async move {
            tokio::time::sleep(d).await;
            Outcome::Ok
        }
        .boxed()
    }
}

fn constant(rate: f64, secs: u64) -> Vec<Phase> {
    vec![Phase {
        name: "p".into(),
        duration: Duration::from_secs(secs),
        from_rate: rate,
        to_rate: rate,
    }]
}

async fn run(
    target: Scripted,
    phases: &[Phase],
    max_in_flight: usize,
) -> (Recorder, Vec<Duration>) {
    let origin = target.origin;
    let sends = target.sends.clone();
    let recorder = Arc::new(Mutex::new(Recorder::new()));
    let invoker = Invoker::new(
        Arc::new(target),
        recorder.clone(),
        InvokerConfig {
            max_in_flight,
            timeout: Duration::from_secs(60),
            precise_timing: false,
        },
    );
    let mut payloads =
        Payloads::load(&PayloadSpec::Inline { body: "{}".into() }, ".".as_ref(), 1).unwrap();
    let (_tx, mut stop) = watch::channel(false);
    let schedule = Schedule::new(phases, Arrivals::Uniform, 1, Shard::WHOLE);
    assert_eq!(
        invoker
            .dispatch(schedule, origin, &mut payloads, &mut stop)
            .await,
        DispatchEnd::Completed
    );
    invoker.drain().await;
    drop(invoker);
    let rec = Arc::try_unwrap(recorder)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap();
    let sends = sends.lock().unwrap().clone();
    (rec, sends)
}

fn scripted(delay_ms: u64) -> Scripted {
    Scripted {
        origin: Instant::now(),
        delay: Duration::from_millis(delay_ms),
        stall_at: None,
        stall: Duration::ZERO,
        sends: Arc::default(),
    }
}

#[tokio::test(start_paused = true)]
async fn sends_happen_at_intended_times_whatever_the_responses() {
    // Responses take 250 ms, far longer than the 10 ms spacing: an open model
    // keeps sending on schedule anyway.
    let (mut rec, sends) = run(scripted(250), &constant(100.0, 2), 1000).await;
    assert_eq!(sends.len(), 200);
    for (k, at) in sends.iter().enumerate() {
        assert_eq!(*at, Duration::from_millis(10 * k as u64), "send {k}");
    }
    let (data, in_flight) = rec.take_interval();
    assert_eq!((data.sent, data.late, in_flight), (200, 0, 0));
    assert_eq!(data.by_outcome.get(Outcome::Ok), 200);
    // Every latency is the same 250 ms (within the histogram's precision).
    assert!(data.latency.max() - data.latency.min() < 500);
    assert!((crate::histogram::quantile_ms(&data.latency, 0.5) - 250.0).abs() < 0.5);
}

#[tokio::test(start_paused = true)]
async fn a_stall_counts_in_latency_not_in_service_time() {
    // max_in_flight = 1 at 100/s; the request at t = 1 s stalls for 1 s.
    let mut t = scripted(1);
    t.stall_at = Some(Duration::from_secs(1));
    t.stall = Duration::from_secs(1);
    let (mut rec, sends) = run(t, &constant(100.0, 4), 1).await;
    assert_eq!(sends.len(), 400, "nothing is dropped");
    let (data, _) = rec.take_interval();
    // The 100 requests due during the stall waited for the slot; the 10
    // due while that backlog drained (100 × 1 ms) waited too, and the 1 due
    // while those 10 drained: 100 + 10 + 1. The paused clock makes it exact.
    assert_eq!(data.late, 111);
    let lat_p99 = crate::histogram::quantile_ms(&data.latency, 0.99);
    let svc_p99 = crate::histogram::quantile_ms(&data.service, 0.99);
    assert!(lat_p99 > 900.0, "latency p99 {lat_p99} must show the stall");
    assert!(svc_p99 < 2.0, "service p99 {svc_p99} must not");
    assert!(crate::histogram::quantile_ms(&data.service, 1.0) >= 999.0);
    // The first request held back waited almost the whole stall, the next
    // ones 10 ms less each.
    let first_late = sends
        .iter()
        .position(|s| *s > Duration::from_secs(1))
        .unwrap();
    assert_eq!(sends[first_late], Duration::from_secs(2));
    assert_eq!(sends[first_late + 1], Duration::from_millis(2001));
    let (_, _) = rec.take_interval();
}

#[tokio::test(start_paused = true)]
async fn a_stop_ends_dispatch_early() {
    let t = scripted(5);
    let origin = t.origin;
    let recorder = Arc::new(Mutex::new(Recorder::new()));
    let invoker = Invoker::new(
        Arc::new(t),
        recorder.clone(),
        InvokerConfig {
            max_in_flight: 10,
            timeout: Duration::from_secs(60),
            precise_timing: false,
        },
    );
    let mut payloads =
        Payloads::load(&PayloadSpec::Inline { body: "{}".into() }, ".".as_ref(), 1).unwrap();
    let (tx, mut stop) = watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(450)).await;
        tx.send(true).unwrap();
        // Keep the sender alive so `changed` does not fire twice.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let schedule = Schedule::new(&constant(10.0, 10), Arrivals::Uniform, 1, Shard::WHOLE);
    let end = invoker
        .dispatch(schedule, origin, &mut payloads, &mut stop)
        .await;
    assert_eq!(end, DispatchEnd::Stopped);
    invoker.drain().await;
    assert_eq!(recorder.lock().unwrap().totals().sent, 5);
    assert_eq!(recorder.lock().unwrap().totals().completed, 5);
}
