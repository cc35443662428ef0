//! The closed-loop driver on the paused tokio clock: a scripted target
//! whose answers take known virtual times, so sends, counts, the number in
//! flight and latencies are exact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::watch;
use tokio::time::Instant;

use super::*;
use crate::profile::PayloadSpec;
use crate::target::{Target, TargetError};

/// The n-th request (from 0) takes `delays[n % delays.len()]`; records
/// every send's time and how many requests were in flight with it.
struct Scripted {
    origin: Instant,
    delays: Vec<Duration>,
    count: AtomicUsize,
    active: Arc<AtomicUsize>,
    /// (send time since origin, in flight including this one)
    sends: Arc<Mutex<Vec<(Duration, usize)>>>,
}

impl Target for Scripted {
    fn describe(&self) -> String {
        "scripted".into()
    }
    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        async { Ok(()) }.boxed()
    }
    fn invoke(&self, _payload: Bytes) -> BoxFuture<'static, Outcome> {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        let in_flight = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.sends
            .lock()
            .unwrap()
            .push((Instant::now() - self.origin, in_flight));
        let d = self.delays[n % self.delays.len()];
        let active = self.active.clone();
        async move {
            tokio::time::sleep(d).await;
            active.fetch_sub(1, Ordering::SeqCst);
            Outcome::Ok
        }
        .boxed()
    }
}

fn scripted(delays_ms: &[u64]) -> Scripted {
    Scripted {
        origin: Instant::now(),
        delays: delays_ms
            .iter()
            .map(|&d| Duration::from_millis(d))
            .collect(),
        count: AtomicUsize::new(0),
        active: Arc::default(),
        sends: Arc::default(),
    }
}

/// Drives `n` in flight for `length`, drains, and returns the recorder's
/// one interval and the sends.
async fn drive(
    target: Scripted,
    n: usize,
    length: Duration,
) -> (
    crate::recorder::IntervalData,
    Vec<(Duration, usize)>,
    Duration,
) {
    let origin = target.origin;
    let sends = target.sends.clone();
    let recorder = Arc::new(Mutex::new(Recorder::new()));
    let driver = ClosedLoop::new(
        Arc::new(target),
        recorder.clone(),
        NonZeroUsize::new(n).unwrap(),
        Duration::from_secs(60),
    );
    let mut payloads =
        Payloads::load(&PayloadSpec::Inline { body: "{}".into() }, ".".as_ref(), 1).unwrap();
    let (_tx, mut stop) = watch::channel(false);
    assert_eq!(
        driver.drive(origin, length, &mut payloads, &mut stop).await,
        DispatchEnd::Completed
    );
    let ended = Instant::now() - origin;
    driver.drain().await;
    let (data, in_flight) = recorder.lock().unwrap().take_interval();
    assert_eq!(in_flight, 0, "drained");
    let sends = sends.lock().unwrap().clone();
    (data, sends, ended)
}

#[tokio::test(start_paused = true)]
async fn keeps_exactly_n_in_flight_and_measures_each_from_its_slot_freeing() {
    // 3 slots, 100 ms answers, for 1 s: each slot sends at 0, 100, …, 900
    // ms (a request freed at 1000 ms starts nothing): 30 requests.
    let target = scripted(&[100]);
    // Between events (every 10 ms, 5 ms off the answers' instants), the
    // requests in flight, as the target counts them.
    let (active, origin) = (target.active.clone(), target.origin);
    let sampler = tokio::spawn(async move {
        let mut seen = Vec::new();
        for k in 0..100u64 {
            tokio::time::sleep_until(origin + Duration::from_millis(5 + 10 * k)).await;
            seen.push(active.load(Ordering::SeqCst));
        }
        seen
    });
    let (data, sends, ended) = drive(target, 3, Duration::from_secs(1)).await;
    assert_eq!(ended, Duration::from_secs(1));
    assert_eq!(sampler.await.unwrap(), vec![3; 100]);
    assert_eq!(sends.len(), 30);
    for (k, (at, in_flight)) in sends.iter().enumerate() {
        assert_eq!(*at, Duration::from_millis(100 * (k as u64 / 3)), "send {k}");
        // Never more than 3, counting the one being sent.
        assert!(*in_flight <= 3, "send {k}: {in_flight} in flight");
    }
    assert_eq!((data.sent, data.late), (30, 0));
    assert_eq!(data.by_outcome.get(Outcome::Ok), 30);
    // Every latency is 100 ms: the lowest and highest recorded fall in
    // the histogram's bucket of 100 000 µs.
    let h = &data.latency;
    assert_eq!(h.len(), 30);
    assert!(h.equivalent(h.min(), 100_000) && h.equivalent(h.max(), 100_000));
}

#[tokio::test(start_paused = true)]
async fn a_slow_request_holds_only_its_own_slot() {
    // 2 slots; request 0 takes 300 ms, the rest 100 ms. Slot A: 0 → 300;
    // slot B: 0 → 100 → 200 → 300; then both run 100 ms requests.
    let delays = [300, 100, 100, 100, 100, 100, 100, 100];
    let (data, sends, _) = drive(scripted(&delays), 2, Duration::from_millis(500)).await;
    let ms: Vec<u64> = sends.iter().map(|(at, _)| at.as_millis() as u64).collect();
    assert_eq!(ms, vec![0, 0, 100, 200, 300, 300, 400, 400]);
    assert!(sends.iter().all(|&(_, n)| n <= 2));
    assert_eq!(data.sent, 8);
    // 7 answers of 100 ms and one of 300 ms, each from its own slot's
    // freeing: the slow one did not delay the others' latency.
    let h = &data.latency;
    assert_eq!(h.len(), 8);
    assert_eq!(h.count_between(0, 100_100), 7);
    assert!(h.equivalent(h.min(), 100_000) && h.equivalent(h.max(), 300_000));
}

#[tokio::test(start_paused = true)]
async fn a_stop_starts_nothing_more() {
    let t = scripted(&[100]);
    let origin = t.origin;
    let recorder = Arc::new(Mutex::new(Recorder::new()));
    let driver = ClosedLoop::new(
        Arc::new(t),
        recorder.clone(),
        NonZeroUsize::new(4).unwrap(),
        Duration::from_secs(60),
    );
    let mut payloads =
        Payloads::load(&PayloadSpec::Inline { body: "{}".into() }, ".".as_ref(), 1).unwrap();
    let (tx, mut stop) = watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(250)).await;
        tx.send(true).unwrap();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let end = driver
        .drive(origin, Duration::from_secs(10), &mut payloads, &mut stop)
        .await;
    assert_eq!(end, DispatchEnd::Stopped);
    assert_eq!(Instant::now() - origin, Duration::from_millis(250));
    driver.drain().await;
    // Sends at 0, 100 and 200 ms in each of 4 slots; all completed.
    let totals = recorder.lock().unwrap().totals();
    assert_eq!((totals.sent, totals.completed), (12, 12));
}
