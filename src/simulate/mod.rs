//! `scaletrace simulate`: what-if for SCALING_VALUE. Replays the profile's
//! traffic (its `[load]` phases, or per-minute invocation counts exported
//! from CloudWatch) against its simulated endpoint once per candidate
//! target value and cooldown setting, measures each run, and recommends the
//! cheapest candidate (fewest instance-minutes) that meets the SLO.
//!
//! # Layout
//!
//! - [`traffic`]: the CSV of per-minute counts → one phase per minute.
//! - [`scenario`]: the candidates, the policy they vary, and the measured
//!   capacity (`capacity.json`) mapped onto the simulated instances.
//! - [`measure`]: one run's cost and service (instance-minutes, time
//!   under-provisioned, p99 during scale-out, lags) and the SLO check.
//! - [`render`]: the side-by-side table (terminal and Markdown share it)
//!   and `simulate.json`.
//!
//! Each candidate is an ordinary simulated run (paused clock, quiet) with
//! its own run directory under the simulate directory, so any of them can
//! be opened with `scaletrace report`.

pub mod measure;
pub mod render;
pub mod scenario;
pub mod traffic;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::profile::Profile;
use crate::run::{RunError, RunOptions};
use crate::schedule::Shard;
use measure::{Metrics, SloUsed};
use scenario::{Base, Candidate};

pub const SCHEMA: &str = "scaletrace.simulate/1";

/// What to simulate (the command's flags, checked).
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// Candidate `TargetValue`s, invocations per instance per minute.
    pub target_values: Vec<f64>,
    /// Candidate `ScaleInCooldown`s, seconds; empty keeps the profile's.
    pub scale_in_cooldowns: Vec<f64>,
    /// Candidate `ScaleOutCooldown`s, seconds; empty keeps the profile's.
    pub scale_out_cooldowns: Vec<f64>,
    /// A CSV of per-minute invocation counts replacing `[load]`.
    pub traffic: Option<PathBuf>,
    /// `capacity.json` (or the directory holding it).
    pub capacity_json: Option<PathBuf>,
    /// The simulate directory: one run directory per candidate, and
    /// `simulate.json` / `simulate.md`.
    pub dir: PathBuf,
    /// No per-candidate progress lines.
    pub quiet: bool,
}

/// `simulate.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulateReport {
    pub schema: String,
    pub name: String,
    /// Where the traffic came from, e.g. `traffic.csv (35 one-minute
    /// phases)`.
    pub traffic: String,
    /// Minutes of load replayed.
    pub load_minutes: f64,
    /// The peak offered rate, requests/s.
    pub peak_rate: f64,
    /// The varied policy's name.
    pub policy: String,
    pub min_capacity: u32,
    pub max_capacity: u32,
    /// One instance: worker slots, mean service time and throughput.
    pub worker_slots: u32,
    pub service_time_ms: f64,
    pub instance_rps: f64,
    pub slo: SloUsed,
    /// What was added, assumed or kept.
    pub notes: Vec<String>,
    pub candidates: Vec<CandidateResult>,
    /// Index into `candidates` of the cheapest that meets the SLO.
    pub recommended: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    #[serde(flatten)]
    pub candidate: Candidate,
    /// The run directory's name inside the simulate directory.
    pub run: String,
    pub metrics: Metrics,
    pub meets_slo: bool,
    /// Why it does not, when it does not.
    pub reason: Option<String>,
}

/// The cheapest candidate meeting the SLO: fewest instance-minutes; ties go
/// to the earlier candidate (the order given).
pub fn recommend(results: &[CandidateResult]) -> Option<usize> {
    results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.meets_slo)
        .min_by(|a, b| {
            a.1.metrics
                .instance_minutes
                .total_cmp(&b.1.metrics.instance_minutes)
                .then(a.0.cmp(&b.0))
        })
        .map(|(i, _)| i)
}

// RunError carries its message as text (run.rs's choice), so the typed
// errors become their messages here, at the command's edge.
fn bad(m: impl Into<String>) -> RunError {
    RunError::BadInput(m.into())
}

/// Runs every candidate and writes `simulate.json` and `simulate.md` into
/// `opts.dir`.
pub fn run_simulate(profile: &Profile, opts: &SimulateOptions) -> Result<SimulateReport, RunError> {
    if !crate::deploy::is_simulated(&profile.target) {
        return Err(bad(
            "simulate needs a profile with [target] kind = \"sim\": the simulated endpoint \
             ([sim]) to replay the traffic against",
        ));
    }
    if opts.target_values.is_empty() {
        return Err(bad("--target-values: give at least one value"));
    }
    let mut notes = Vec::new();
    let (phases, traffic) = match &opts.traffic {
        Some(path) => {
            let t = traffic::load_csv(path).map_err(|e| bad(e.to_string()))?;
            notes.extend(t.notes.iter().map(|n| format!("traffic: {n}")));
            let label = format!("{} ({} one-minute phases)", path.display(), t.phases.len());
            (t.phases, label)
        }
        None => (
            profile.load.phases.clone(),
            format!(
                "the profile's [load] ({} phases)",
                profile.load.phases.len()
            ),
        ),
    };
    let mut load = profile.load.clone();
    load.phases = phases;
    let peak = load.peak_rate();
    let mut sim = profile.sim().cloned().unwrap_or_default();
    if let Some(path) = &opts.capacity_json {
        let (cap, file) = scenario::read_capacity(path).map_err(|e| bad(e.to_string()))?;
        let note = scenario::with_capacity(&mut sim, &cap)
            .map_err(|m| bad(format!("--capacity-json {}: {m}", file.display())))?;
        notes.push(note);
    }
    let smallest = opts
        .target_values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let base = Base::new(sim, peak, smallest).map_err(|e| bad(e.to_string()))?;
    notes.extend(base.notes.iter().cloned());
    let candidates = base.candidates(
        &opts.target_values,
        &opts.scale_in_cooldowns,
        &opts.scale_out_cooldowns,
    );
    let slo = SloUsed::choose(profile.slo.as_ref(), &profile.capacity);
    let instance_rps = scenario::instance_throughput(&base.sim);
    std::fs::create_dir_all(&opts.dir)
        .map_err(|e| RunError::Broke(format!("{}: {e}", opts.dir.display())))?;
    let results = run_all(&candidates, opts.quiet, |c| {
        run_candidate(profile, &load, &base, c, &opts.dir, &slo, instance_rps)
    })?;
    let (min_capacity, max_capacity) = base.bounds();
    let report = SimulateReport {
        schema: SCHEMA.into(),
        name: profile.name.clone(),
        traffic,
        load_minutes: load.total_duration().as_secs_f64() / 60.0,
        peak_rate: peak,
        policy: base.policy_name().to_string(),
        min_capacity,
        max_capacity,
        worker_slots: base.sim.instance.worker_slots,
        service_time_ms: base.sim.instance.service_time.mean_s() * 1000.0,
        instance_rps,
        slo,
        notes,
        recommended: recommend(&results),
        candidates: results,
    };
    write_reports(&opts.dir, &report)?;
    Ok(report)
}

/// Runs every candidate, each on a std thread of its own with its own
/// paused current-thread runtime (made by [`crate::run::run`]), at most
/// [`std::thread::available_parallelism`] at a time. The runs share nothing,
/// so each gives the same result alone or alongside others; the results
/// come back in candidate order. Threads take the next candidate as they
/// finish one, so a slow candidate does not hold back the others' share.
fn run_all(
    candidates: &[Candidate],
    quiet: bool,
    run: impl Fn(&Candidate) -> Result<CandidateResult, RunError> + Sync,
) -> Result<Vec<CandidateResult>, RunError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(candidates.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<CandidateResult, RunError>>> =
        (0..candidates.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let (run, next) = (&run, &next);
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(c) = candidates.get(i) else {
                            return done;
                        };
                        let r = run(c);
                        if let (false, Ok(r)) = (quiet, &r) {
                            eprintln!(
                                "  {}/{}  TargetValue {:>6}  {:>8.1} instance-min  p99 {:>8.1} ms  {}",
                                i + 1,
                                candidates.len(),
                                scenario::num(r.candidate.target_value),
                                r.metrics.instance_minutes,
                                r.metrics.p99_ms,
                                r.reason.as_deref().unwrap_or("meets the SLO")
                            );
                        }
                        done.push((i, r));
                    }
                })
            })
            .collect();
        for w in workers {
            for (i, r) in w.join().expect("a simulation thread panicked") {
                slots[i] = Some(r);
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("every candidate ran"))
        .collect()
}

fn run_candidate(
    profile: &Profile,
    load: &crate::profile::LoadSpec,
    base: &Base,
    c: &Candidate,
    dir: &Path,
    slo: &SloUsed,
    instance_rps: f64,
) -> Result<CandidateResult, RunError> {
    let mut p = profile.clone();
    p.load = load.clone();
    p.target = crate::profile::TargetSpec::Sim(Box::new(base.apply(c)));
    let name = c.dir_name();
    let run_dir = dir.join(&name);
    let _ = std::fs::remove_dir_all(&run_dir);
    let run = crate::run::run(
        p,
        RunOptions {
            run_dir: Some(run_dir),
            reports_root: dir.to_path_buf(),
            quiet: true,
            shard: Shard::WHOLE,
            started_at: None,
        },
    )?;
    let metrics = measure::measure(
        &run.report,
        &load.phases,
        base.sim.endpoint.initial_instances,
        instance_rps,
    )
    .map_err(|e| RunError::Broke(format!("{name}: {e}")))?;
    let verdict = slo.verdict(&metrics);
    Ok(CandidateResult {
        candidate: *c,
        run: name,
        metrics,
        meets_slo: verdict.is_ok(),
        reason: verdict.err().map(|miss| miss.to_string()),
    })
}

fn write_reports(dir: &Path, report: &SimulateReport) -> Result<(), RunError> {
    let broke = |e: crate::journal::JournalError| RunError::Broke(e.to_string());
    let json = serde_json::to_vec_pretty(report).expect("report serializes");
    crate::journal::write_atomically(&dir.join("simulate.json"), &json).map_err(broke)?;
    crate::journal::write_atomically(
        &dir.join("simulate.md"),
        render::markdown(report).as_bytes(),
    )
    .map_err(broke)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use measure::Lag;

    fn result(target_value: f64, instance_minutes: f64, meets: bool) -> CandidateResult {
        let lag = Lag {
            episodes: 0,
            longest_s: None,
            never: 0,
            never_why: None,
        };
        CandidateResult {
            candidate: Candidate {
                target_value,
                scale_in_cooldown_s: 300.0,
                scale_out_cooldown_s: 300.0,
            },
            run: String::new(),
            metrics: Metrics {
                instance_minutes,
                under_provisioned_s: 0.0,
                scale_out_p99_ms: None,
                p99_ms: 1.0,
                error_rate: 0.0,
                scale_out_lag: lag.clone(),
                scale_in_lag: lag,
                max_instances: 1,
            },
            meets_slo: meets,
            reason: (!meets).then(|| "p99".into()),
        }
    }

    #[test]
    fn the_cheapest_candidate_meeting_the_slo_is_recommended() {
        let rs = [
            result(300.0, 200.0, true),
            result(600.0, 120.0, true),
            result(900.0, 80.0, false),
            result(700.0, 120.0, true),
        ];
        // 900 is cheaper but misses; 600 and 700 tie, the first given wins.
        assert_eq!(recommend(&rs), Some(1));
        assert_eq!(recommend(&rs[2..3]), None);
    }

    /// Candidates run on every core, and finish in any order; the results
    /// come back in the order given, as a sequential loop would give them.
    #[test]
    fn parallel_candidates_come_back_in_candidate_order() {
        let candidates: Vec<Candidate> = (1..=7)
            .map(|k| Candidate {
                target_value: 100.0 * k as f64,
                scale_in_cooldown_s: 300.0,
                scale_out_cooldown_s: 300.0,
            })
            .collect();
        let run = |c: &Candidate| {
            // The first candidates take longest, so they finish last.
            let ms = 80 - c.target_value as u64 / 10;
            std::thread::sleep(std::time::Duration::from_millis(ms));
            Ok(result(c.target_value, c.target_value, true))
        };
        let parallel = run_all(&candidates, true, run).unwrap();
        let sequential: Vec<_> = candidates.iter().map(|c| run(c).unwrap()).collect();
        assert_eq!(parallel, sequential);
    }

    /// Each candidate runs on a thread other than the caller's, never more
    /// at once than the machine has cores, and with two or more cores more
    /// than one at a time (each run waits until another has started, or
    /// 2 s, so the overlap does not hang on scheduling luck).
    #[test]
    fn candidates_run_on_their_own_threads_at_most_one_per_core() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let candidates: Vec<Candidate> = (1..=6)
            .map(|k| Candidate {
                target_value: 100.0 * k as f64,
                scale_in_cooldown_s: 300.0,
                scale_out_cooldown_s: 300.0,
            })
            .collect();
        let (active, most, started) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let caller = std::thread::current().id();
        let on_caller = AtomicUsize::new(0);
        let run = |c: &Candidate| {
            let now = active.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let n = started.fetch_add(1, Ordering::SeqCst) + 1;
            if std::thread::current().id() == caller {
                on_caller.fetch_add(1, Ordering::SeqCst);
            }
            let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while cores > 1
                && n < candidates.len()
                && started.load(Ordering::SeqCst) <= n
                && std::time::Instant::now() < until
            {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            active.fetch_sub(1, Ordering::SeqCst);
            Ok(result(c.target_value, c.target_value, true))
        };
        let results = run_all(&candidates, true, run).unwrap();
        assert_eq!(results.len(), candidates.len());
        assert_eq!(on_caller.load(Ordering::SeqCst), 0);
        let most = most.load(Ordering::SeqCst);
        assert!(most <= cores, "{most} at once on {cores} cores");
        if cores > 1 {
            assert!(most > 1, "one at a time on {cores} cores");
        }
    }
}
