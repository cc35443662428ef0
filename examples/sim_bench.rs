//! Simulator throughput: 30 simulated minutes at 100 req/s (180,000
//! requests) through the simulator's target and observer on a paused
//! current-thread runtime, the way the engine runs it, and the wall time it
//! took. Run it in release:
//!
//! ```text
//! cargo run --release --example sim_bench [PROFILE]   # default profiles/demo.toml
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use scaletrace::clock::RunClock;
use scaletrace::outcome::Outcome;
use scaletrace::profile::Profile;

const RATE: u64 = 100;
const MINUTES: u64 = 30;
/// How often the observer is polled, in simulated seconds (the default
/// `[observe] interval`).
const POLL_S: f64 = 10.0;

fn main() {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("profiles/demo.toml"));
    let cfg = match Profile::load(&path) {
        Ok(p) => p.into_sim().unwrap_or_else(|| {
            eprintln!("{}: not a simulated profile", path.display());
            std::process::exit(2)
        }),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let wall = Instant::now();
    let n = MINUTES * 60 * RATE;
    let (records, ok) = rt.block_on(async {
        let clock = RunClock::start();
        let mut h = scaletrace::sim::start(&cfg, 42, clock);
        let mut records = 0usize;
        let mut next_poll = 0.0;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..n {
            let t = i as f64 / RATE as f64;
            tokio::time::sleep_until(clock.origin + Duration::from_secs_f64(t)).await;
            let f = h.target.invoke(Bytes::new());
            let tx = tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(f.await);
            });
            if t >= next_poll {
                records += h.observer.poll(&clock).await.len();
                next_poll += POLL_S;
            }
        }
        drop(tx);
        let mut ok = 0usize;
        while let Some(o) = rx.recv().await {
            ok += usize::from(o == Outcome::Ok);
        }
        (records, ok)
    });
    println!(
        "{n} requests ({ok} ok), {records} observer records in {:?} wall time",
        wall.elapsed()
    );
}
