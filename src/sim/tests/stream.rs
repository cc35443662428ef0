//! The streaming service model on the paused clock: TTFT is the queue wait
//! plus prefill plus overhead, and decoding slows by `batch_slowdown` per
//! other sequence in progress, with exact instants.

use std::time::Duration;

use bytes::Bytes;
use chrono::TimeZone;
use futures::future::join_all;
use tokio::time::Instant;

use super::*;
use crate::clock::RunClock;
use crate::outcome::Outcome;
use crate::sim::start;

#[tokio::test(start_paused = true)]
async fn ttft_and_inter_token_grow_with_the_batch_and_the_queue() {
    let cfg = sim_config(
        r#"
[sim.endpoint]
overhead = "0s"
[sim.instance]
worker_slots = 2
[sim.instance.stream]
prefill = "200ms"
per_token = "20ms"
min_tokens = 10
max_tokens = 10
batch_slowdown = 0.5
"#,
    );
    let origin = Instant::now();
    let clock = RunClock {
        origin,
        started_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 22, 11, 0, 0)
            .unwrap(),
    };
    let h = start(&cfg, 1, clock);
    // Three requests at t = 0 on two sequences.
    let replies = join_all((0..3).map(|_| h.target.invoke_reply(Bytes::new()))).await;
    let ms = |v: u64| Duration::from_millis(v);
    let us = |d: Duration| d.as_micros();
    let got: Vec<_> = replies
        .iter()
        .map(|r| {
            let s = r.stream.as_ref().expect("streamed");
            assert_eq!(r.outcome, Outcome::Ok);
            assert_eq!((s.parts, s.tokens, s.gaps.len()), (10, 10, 9));
            (us(s.first_part.unwrap() - origin), us(s.gaps[0]))
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // Alone on the instance: 200 ms prefill, 20 ms per token; its
            // last token at 200 + 9 × 20 = 380 ms.
            (us(ms(200)), us(ms(20))),
            // One other sequence in progress: 20 × 1.5 = 30 ms per token;
            // last token at 200 + 9 × 30 = 470 ms.
            (us(ms(200)), us(ms(30))),
            // Queued until the first sequence ends at 380 ms, then prefill
            // with the second still decoding: TTFT 580 ms, 30 ms per token.
            (us(ms(580)), us(ms(30))),
        ]
    );
}

#[test]
fn stream_settings_are_checked() {
    let e = crate::profile::Profile::parse(
        std::path::Path::new("p.toml"),
        "[target]\nkind = \"sim\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n\
         [sim.instance.stream]\nmin_tokens = 50\nmax_tokens = 10\n",
    )
    .unwrap_err();
    assert_eq!(e.field, "sim.instance.stream.max_tokens");
}
