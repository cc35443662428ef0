//! The async layer under a paused tokio clock: the target as the engine's
//! invoker sees it, and the observer's records.

use std::time::Duration;

use bytes::Bytes;
use futures::future::join_all;
use tokio::time::Instant;

use super::*;
use crate::clock::RunClock;
use crate::journal::record::Record;
use crate::outcome::Outcome;
use crate::sim::start;

fn clock() -> RunClock {
    RunClock {
        origin: Instant::now(),
        started_at: Utc.with_ymd_and_hms(2026, 11, 22, 11, 0, 0).unwrap(),
    }
}

/// Sends `n` requests at once; returns each one's outcome and duration.
async fn burst(target: &crate::target::SharedTarget, n: usize) -> Vec<(Outcome, Duration)> {
    let futs: Vec<_> = (0..n)
        .map(|_| {
            let f = target.invoke(Bytes::new());
            async move {
                let t0 = Instant::now();
                let o = f.await;
                (o, t0.elapsed())
            }
        })
        .collect();
    join_all(futs).await
}

#[tokio::test(start_paused = true)]
async fn requests_beyond_capacity_queue_time_out_or_fail() {
    let cfg = sim_config(
        r#"
[sim.endpoint]
overhead = "0s"
invocation_timeout = "2500ms"
[sim.instance]
worker_slots = 1
service_time = "1s"
queue_bound = 2
"#,
    );
    let h = start(&cfg, 1, clock());
    let got = burst(&h.target, 5).await;
    let s = |ms| Duration::from_millis(ms);
    assert_eq!(
        got,
        vec![
            (Outcome::Ok, s(1000)),
            // Queued behind the first.
            (Outcome::Ok, s(2000)),
            // Would answer at 3 s, past the invocation timeout: SageMaker's
            // ModelError at 2.5 s.
            (Outcome::ModelError, s(2500)),
            // Two already waiting: refused at once with a 503.
            (Outcome::Http5xx, s(0)),
            (Outcome::Http5xx, s(0)),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_can_throttle_instead() {
    let cfg = sim_config(
        "[sim.endpoint]\noverhead = \"0s\"\nqueue_full = \"throttled\"\n[sim.instance]\nworker_slots = 1\nservice_time = \"1s\"\nqueue_bound = 0\n",
    );
    let h = start(&cfg, 1, clock());
    let got: Vec<Outcome> = burst(&h.target, 2).await.into_iter().map(|g| g.0).collect();
    assert_eq!(got, vec![Outcome::Ok, Outcome::Throttled]);
}

#[tokio::test(start_paused = true)]
async fn async_requests_wait_in_the_shared_queue_and_expire() {
    let cfg = sim_config(
        r#"
[sim.endpoint]
kind = "async"
overhead = "0s"
[sim.instance]
worker_slots = 1
service_time = "10s"
[sim.async]
request_ttl = "15s"
"#,
    );
    let h = start(&cfg, 1, clock());
    let got = burst(&h.target, 3).await;
    assert_eq!(
        got,
        vec![
            (Outcome::Ok, Duration::from_secs(10)),
            (Outcome::Ok, Duration::from_secs(20)),
            (Outcome::Timeout, Duration::from_secs(15)),
        ]
    );
}

/// Drives `target` at 20 req/s for 8 minutes and polls the observer every
/// 10 s, as the engine does; returns every record as JSON lines.
async fn recorded_run(seed: u64) -> String {
    let cfg = sim_config(
        r#"
[sim.instance]
launch_time = { distribution = "normal", mean = "2m", p99 = "3m" }
[sim.scalable_target]
MinCapacity = 1
MaxCapacity = 4
[[sim.policies]]
[sim.policies.TargetTrackingScalingPolicyConfiguration]
TargetValue = 600
PredefinedMetricSpecification = { PredefinedMetricType = "SageMakerVariantInvocationsPerInstance" }
"#,
    );
    let clock = clock();
    let mut h = start(&cfg, seed, clock);
    let mut lines = Vec::new();
    let mut next_poll = 0.0;
    let mut inflight = Vec::new();
    for i in 0..(8 * 60 * 20) {
        let t = i as f64 / 20.0;
        tokio::time::sleep_until(clock.origin + Duration::from_secs_f64(t)).await;
        inflight.push(tokio::spawn(h.target.invoke(Bytes::new())));
        if t >= next_poll {
            for r in h.observer.poll(&clock).await {
                lines.push(serde_json::to_string(&r).unwrap());
            }
            next_poll += 10.0;
        }
    }
    let outcomes = join_all(inflight).await;
    lines.push(format!(
        "{:?}",
        outcomes
            .iter()
            .map(|o| *o.as_ref().unwrap())
            .collect::<Vec<_>>()
    ));
    tokio::time::sleep(Duration::from_secs(120)).await;
    for r in h.observer.poll(&clock).await {
        lines.push(serde_json::to_string(&r).unwrap());
    }
    lines.join("\n")
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_gives_identical_records() {
    let a = recorded_run(5).await;
    let b = recorded_run(5).await;
    assert_eq!(a, b);
    let c = recorded_run(6).await;
    assert_ne!(a, c);
    // And the story is there: config, datapoints, the alarm, the activity.
    for needle in [
        "\"type\":\"scalable_target\"",
        "\"type\":\"policy\"",
        "\"type\":\"alarm_config\"",
        "\"type\":\"metric\"",
        "\"to\":\"ALARM\"",
        "Setting desired instance count to 2.",
        "\"status\":\"Successful\"",
        "\"status\":\"Updating\"",
    ] {
        assert!(a.contains(needle), "missing {needle}");
    }
}

#[tokio::test(start_paused = true)]
async fn observer_reports_datapoints_once_after_the_delay_and_config_once() {
    let cfg = tt_config(1, 1, 3, 600.0, "1m", "");
    let clock = clock();
    let mut h = start(&cfg, 1, clock);
    let first = h.observer.poll(&clock).await;
    assert!(first.iter().any(|r| matches!(r, Record::Policy(_))));
    assert_eq!(
        first
            .iter()
            .filter(|r| matches!(r, Record::AlarmConfig(_)))
            .count(),
        2
    );
    assert!(
        first
            .iter()
            .any(|r| matches!(r, Record::Endpoint(e) if e.status == "InService" && e.current == 1))
    );
    assert!(!first.iter().any(|r| matches!(r, Record::Metric(_))));
    // Minute 0 ends at 60 and is readable at 120.
    tokio::time::sleep(Duration::from_secs(119)).await;
    let none = h.observer.poll(&clock).await;
    assert!(
        !none
            .iter()
            .any(|r| matches!(r, Record::Metric(m) if m.period_s == 60)),
        "{none:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = h.observer.poll(&clock).await;
    let inv: Vec<_> = got
        .iter()
        .filter_map(|r| match r {
            Record::Metric(m) if m.name == "InvocationsPerInstance" => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(inv.len(), 1);
    assert_eq!(
        (inv[0].t, inv[0].period_start, inv[0].value),
        (120.0, 0.0, 0.0)
    );
    assert_eq!(inv[0].stat, "Sum");
    assert_eq!(inv[0].dimensions["EndpointName"], "scaletrace-sim");
    assert!(!got.iter().any(|r| matches!(r, Record::Policy(_))));
}

#[tokio::test(start_paused = true)]
async fn the_control_task_stops_with_the_handles() {
    let metrics = tokio::runtime::Handle::current().metrics();
    let before = metrics.num_alive_tasks();
    let h = start(&SimConfig::default(), 1, clock());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(metrics.num_alive_tasks(), before + 1);
    drop(h);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(metrics.num_alive_tasks(), before);
}
