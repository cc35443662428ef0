//! A benchmark, not a timed test: 30 simulated minutes at 100 req/s through
//! the simulator's target and observer on a paused current-thread runtime,
//! the way the engine runs it. Run it in release:
//!
//! ```text
//! cargo test --release --test sim_bench -- --ignored --nocapture
//! ```

use std::time::Duration;

use bytes::Bytes;
use scaletrace::clock::RunClock;
use scaletrace::profile::Profile;

#[test]
#[ignore]
fn thirty_minutes_at_100_per_second() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/demo.toml");
    let cfg = Profile::load(&path).unwrap().sim.unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let wall = std::time::Instant::now();
    let (records, ok) = rt.block_on(async {
        let clock = RunClock::start();
        let mut h = scaletrace::sim::start(&cfg, 42, clock);
        let mut records = 0usize;
        let mut ok = 0usize;
        let mut next_poll = 0.0;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let n = 30 * 60 * 100;
        for i in 0..n {
            let t = i as f64 / 100.0;
            tokio::time::sleep_until(clock.origin + Duration::from_secs_f64(t)).await;
            let f = h.target.invoke(Bytes::new());
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(f.await);
            });
            if t >= next_poll {
                records += h.observer.poll(&clock).await.len();
                next_poll += 10.0;
            }
        }
        drop(tx);
        while let Some(o) = rx.recv().await {
            ok += usize::from(o == scaletrace::outcome::Outcome::Ok);
        }
        (records, ok)
    });
    println!(
        "180000 requests ({ok} ok), {records} observer records in {:?} wall time",
        wall.elapsed()
    );
}
