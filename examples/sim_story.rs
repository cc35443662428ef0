//! Prints a profile's scaling story as the simulator tells it: the outcome
//! counts, every alarm transition and every scaling activity, with times in
//! simulated seconds. Each phase's requests are evenly spaced (not the
//! profile's Poisson arrivals) and go straight into the synchronous model,
//! the way `src/sim/tests/` drives it: no runtime, no endpoint, well under a
//! second per story.
//!
//! ```text
//! cargo run --example sim_story                     # the four example stories
//! cargo run --example sim_story -- profiles/demo.toml
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use scaletrace::profile::Profile;
use scaletrace::sim::world::World;

/// The profiles whose stories the README tells.
const STORIES: [&str; 4] = [
    "demo",
    "step-scaling",
    "async-scale-from-zero",
    "async-target-tracking-only",
];

fn main() {
    let mut paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        paths = STORIES
            .iter()
            .map(|n| root.join(format!("profiles/{n}.toml")))
            .collect();
    }
    for path in &paths {
        let profile = match Profile::load(path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        if profile.sim().is_none() {
            eprintln!(
                "{}: not a simulated profile ([target] kind = \"sim\")",
                path.display()
            );
            std::process::exit(2);
        }
        print_story(&profile, &run(&profile));
    }
}

/// A finished simulation and what its requests got.
struct Story {
    world: World,
    /// Outcome (real time) or "processed"/"expired" (async) → count.
    outcomes: BTreeMap<String, u64>,
}

/// Sends each phase's requests evenly spaced, then lets the model run
/// through the profile's observe tail.
fn run(profile: &Profile) -> Story {
    let sim = profile.sim().expect("checked in main");
    // A fixed start, so scheduled actions fire at the same simulated times.
    let started_at = Utc.with_ymd_and_hms(2026, 11, 22, 11, 0, 0).unwrap();
    let mut world = World::new(sim, profile.load.seed, started_at);
    let mut outcomes = BTreeMap::new();
    let mut t = 0.0;
    for phase in &profile.load.phases {
        let d = phase.duration.as_secs_f64();
        let n = phase.expected_requests().round() as u64;
        for i in 0..n {
            let at = t + i as f64 * d / n as f64;
            if sim.is_async() {
                // Nobody waits for the output: the counts below say what
                // became of each job.
                let _ = world.invoke_async(at);
            } else {
                let a = world.invoke_realtime(at);
                *outcomes.entry(format!("{:?}", a.outcome)).or_insert(0) += 1;
            }
        }
        t += d;
        world.advance(t);
    }
    world.advance(t + profile.observe.tail.as_secs_f64());
    if sim.is_async() {
        let c = world.endpoint.counts;
        outcomes.insert("processed".into(), c.processed);
        outcomes.insert("expired".into(), c.expired);
    }
    Story { world, outcomes }
}

fn print_story(profile: &Profile, story: &Story) {
    let w = &story.world;
    println!("== {}: {:?}", profile.name, story.outcomes);
    for tr in &w.transitions {
        println!("{:>7} {} {:?} -> {:?}", tr.at, tr.name, tr.from, tr.to);
    }
    for a in w.scaler.iter().flat_map(|s| &s.activities) {
        println!(
            "{:>7} {:?} {} {:?} -> {:?} {:?} | {} | {}",
            a.start,
            a.end,
            a.status,
            a.from,
            a.to,
            a.not_scaled.as_ref().map(|n| &n.code),
            a.description,
            a.cause
        );
    }
    println!("ends with {} instance(s) in service", w.current());
}
