//! Runs the capacity search for real: every step is an ordinary run (its
//! own run directory under the capacity directory, so each can be reported
//! on), measured from its journal after the settle time.
//!
//! MAX_RPS is one instance's capacity. A simulated endpoint is forced to one
//! instance without autoscaling ([`one_instance`]); for any other target,
//! each step's journal is checked for `endpoint` records (the AWS observer's
//! DescribeEndpoint) and the search stops when more than one instance was in
//! service ([`more_than_one_instance`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::search::{SearchOutcome, StepResult, scaling_value, search};
use super::slo::{SloFlags, StepSlo};
use crate::histogram;
use crate::journal::record::Record;
use crate::journal::{self, JournalData};
use crate::outcome::Outcome;
use crate::profile::{Phase, Profile};
use crate::run::{RunError, RunOptions};
use crate::schedule::Shard;
use crate::timeline::TimelineError;

/// `capacity.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    pub schema: &'static str,
    pub name: String,
    pub p99_slo_ms: f64,
    pub min_success_ratio: f64,
    /// The SLO with where each limit came from (`--p99-ms`, `[slo]`,
    /// `[capacity]`): "p99 ≤ 300 ms ([slo] p99_ms), success ≥ 99.9 %
    /// ([capacity] min_success_ratio)".
    pub slo: String,
    pub max_rps: Option<f64>,
    /// True when the highest rate tried still held.
    pub capped: bool,
    pub safety_factor: f64,
    /// What the harness changed or assumed to measure one instance (e.g.
    /// the simulated endpoint forced to one instance without scaling).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// floor(MAX_RPS × safety_factor × 60), invocations per instance per
    /// minute.
    pub scaling_value: Option<u64>,
    pub steps: Vec<super::Step>,
}

/// Measures one step from its journal: only the one-second intervals that
/// start after the settle time count, and the achieved rate is over the
/// time those intervals span.
///
/// Intervals count completions when they complete, so the first measured
/// second also completes requests the settle phase sent: counted as they
/// are, 1920 requests/s offered "achieved" 1968.96/s. The ok count is
/// therefore capped at the requests sent in the same intervals, so the
/// achieved rate never exceeds the offered one.
pub fn measure_step(
    data: &JournalData,
    rate: f64,
    settle_s: f64,
) -> Result<StepResult, TimelineError> {
    let mut latency = histogram::new_hist();
    let mut completed = 0u64;
    let mut ok = 0u64;
    let mut sent = 0u64;
    let (mut from, mut to) = (f64::INFINITY, 0.0f64);
    for r in &data.records {
        if let Record::Interval(i) = r
            && i.start >= settle_s - 1e-6
        {
            from = from.min(i.start);
            to = to.max(i.t);
            completed += i.completed;
            sent += i.sent;
            ok += i.by_outcome.get(Outcome::Ok);
            if i.completed > 0 {
                latency.add(histogram::decode(&i.latency)?)?;
            }
        }
    }
    Ok(StepResult {
        rate,
        achieved_per_s: if to > from {
            ok.min(sent) as f64 / (to - from)
        } else {
            0.0
        },
        p50_ms: histogram::quantile_ms(&latency, 0.5),
        p99_ms: histogram::quantile_ms(&latency, 0.99),
        success_ratio: if completed == 0 {
            0.0
        } else {
            ok as f64 / completed as f64
        },
        requests: completed,
    })
}

/// For a simulated target: the profile with its endpoint held at one
/// instance and no autoscaling (`scaling` cleared, `initial_instances = 1`),
/// and a note saying so. Other targets are returned as they are.
pub fn one_instance(profile: &Profile) -> (Profile, Option<String>) {
    let mut p = profile.clone();
    let Some(sim) = p.sim_mut() else {
        return (p, None);
    };
    let note = format!(
        "simulated endpoint held at 1 instance without autoscaling for the search \
         (the profile has initial_instances = {}{})",
        sim.endpoint.initial_instances,
        if sim.scaling.is_some() {
            " and a scalable target; its policies and scheduled actions are ignored"
        } else {
            ""
        }
    );
    sim.endpoint.initial_instances = 1;
    sim.scaling = None;
    (p, Some(note))
}

/// The first `endpoint` record (from the AWS observer) with more than one
/// instance in service: `(t, current)`. MAX_RPS is per instance, so such a
/// step measured a fleet, not an instance.
pub fn more_than_one_instance(data: &JournalData) -> Option<(f64, u32)> {
    data.records.iter().find_map(|r| match r {
        Record::Endpoint(e) if e.current > 1 => Some((e.t, e.current)),
        _ => None,
    })
}

/// The most steps the search can take: the coarse pass from `start_rate`
/// multiplying by `growth` up to `max_rate`, then `fine_steps` bisections.
pub fn most_steps(cfg: &crate::profile::capacity::SearchConfig) -> usize {
    let mut rate = cfg.start_rate.min(cfg.max_rate);
    let mut coarse = 1;
    while rate < cfg.max_rate && coarse < 10_000 {
        rate = (rate * cfg.growth).min(cfg.max_rate);
        coarse += 1;
    }
    coarse + cfg.fine_steps as usize
}

/// Runs the search against the profile's target, writing every step's run
/// directory under `dir` and `capacity.json` beside them.
/// Steps are judged against [`StepSlo::resolve`]: `flags`, else the
/// profile's `[slo]`, else `[capacity]`.
pub fn run_capacity(
    profile: &Profile,
    dir: &Path,
    quiet: bool,
    flags: SloFlags,
) -> Result<CapacityReport, RunError> {
    let (profile, note) = one_instance(profile);
    let profile = &profile;
    if let (Some(note), false) = (&note, quiet) {
        eprintln!("  note: {note}");
    }
    let slo = StepSlo::resolve(profile, flags);
    let mut spec = profile.capacity.clone();
    spec.search.p99_ms = slo.p99_ms.value;
    spec.search.min_success_ratio = slo.min_success_ratio.value;
    std::fs::create_dir_all(dir).map_err(|e| RunError::Broke(format!("{}: {e}", dir.display())))?;
    let mut n = 0;
    let most = most_steps(&spec.search);
    let per_step = spec.settle + spec.step;
    let outcome: SearchOutcome = search(&spec.search, |rate| {
        n += 1;
        if !quiet {
            // The search stops early when a step breaks: "at most".
            eprintln!(
                "  step {n} of at most {most}: {rate:.2}/s for {} ({} settle + {} measured); ETA ≤ {} for the rest of the search",
                humantime::format_duration(per_step),
                humantime::format_duration(spec.settle),
                humantime::format_duration(spec.step),
                humantime::format_duration(per_step * (most.saturating_sub(n) + 1) as u32),
            );
        }
        let mut p = profile.clone();
        // A step measures load, not scaling: the profile's observer tail
        // (minutes after the load, for scale-in) would only make every
        // step wait for it.
        p.observe.tail = std::time::Duration::ZERO;
        p.load.phases = [("settle", spec.settle), ("measure", spec.step)]
            .into_iter()
            .filter(|(_, d)| !d.is_zero())
            .map(|(name, duration)| Phase {
                name: name.into(),
                duration,
                from_rate: rate,
                to_rate: rate,
            })
            .collect();
        let step_dir: PathBuf = dir.join(format!("step-{n:02}-{rate:.2}rps"));
        let _ = std::fs::remove_dir_all(&step_dir);
        // The run's own report holds the journal it just wrote: measure that
        // rather than read the run directory back from disk.
        let data = crate::run::run(
            p,
            RunOptions {
                run_dir: Some(step_dir.clone()),
                reports_root: dir.to_path_buf(),
                // The step's own progress: elapsed/total, p99 so far.
                quiet,
                shard: Shard::WHOLE,
                started_at: None,
            },
        )?
        .report
        .data;
        if let Some((t, current)) = more_than_one_instance(&data) {
            return Err(RunError::Broke(format!(
                "stopped at step {n} ({rate:.2}/s): the endpoint had {current} instances in service \
                 at t = {t:.0} s ({}), and MAX_RPS is one instance's capacity. Hold the endpoint at \
                 one instance (MinCapacity = MaxCapacity = 1, or deregister its scalable target) \
                 and run the search again.",
                step_dir.display()
            )));
        }
        // RunError carries its message as text (run.rs's choice).
        let result = measure_step(&data, rate, spec.settle.as_secs_f64())
            .map_err(|e| RunError::Broke(e.to_string()))?;
        if !quiet {
            let verdict = result.verdict(&spec.search);
            eprintln!(
                "  step {n:>2}  {rate:>9.2}/s  achieved {:>9.2}/s  p50 {:>8.1} ms  p99 {:>8.1} ms  success {:>7.3} %  {}",
                result.achieved_per_s,
                result.p50_ms,
                result.p99_ms,
                result.success_ratio * 100.0,
                super::search::verdict_text(&verdict, &spec.search)
            );
        }
        Ok(result)
    })?;
    let report = CapacityReport {
        schema: "scaletrace.capacity/1",
        name: profile.name.clone(),
        p99_slo_ms: spec.search.p99_ms,
        min_success_ratio: spec.search.min_success_ratio,
        slo: slo.describe(),
        max_rps: outcome.max_rps,
        capped: outcome.capped,
        safety_factor: spec.safety_factor,
        notes: note.into_iter().collect(),
        scaling_value: outcome
            .max_rps
            .map(|m| scaling_value(m, spec.safety_factor)),
        steps: outcome.steps,
    };
    let json = serde_json::to_vec_pretty(&report).expect("report serializes");
    journal::write_atomically(&dir.join("capacity.json"), &json)
        .map_err(|e| RunError::Broke(e.to_string()))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::RunInfo;
    use crate::journal::record::EndpointRecord;

    #[test]
    fn most_steps_counts_the_coarse_pass_and_the_bisections() {
        let mut cfg = Profile::parse(
            Path::new("p.toml"),
            "[target]\nkind = \"sim\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n",
        )
        .unwrap()
        .capacity
        .search;
        (cfg.start_rate, cfg.max_rate, cfg.growth, cfg.fine_steps) = (10.0, 40.0, 2.0, 1);
        assert_eq!(most_steps(&cfg), 4);
        // 1, 2, 4, …, 8192, then 10000: 15 coarse steps.
        (cfg.start_rate, cfg.max_rate, cfg.fine_steps) = (1.0, 10000.0, 4);
        assert_eq!(most_steps(&cfg), 19);
    }

    fn data(counts: &[u32]) -> JournalData {
        JournalData {
            info: RunInfo {
                schema: RunInfo::SCHEMA.into(),
                tool_version: "0".into(),
                started_at: chrono::DateTime::UNIX_EPOCH,
                host: "h".into(),
                clock: "wall".into(),
                shard: "0/1".into(),
                profile: serde_json::json!({"name": "t"}),
            },
            records: counts
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    Record::Endpoint(EndpointRecord {
                        t: i as f64 * 10.0,
                        status: "InService".into(),
                        variant: "AllTraffic".into(),
                        current: c,
                        desired: c,
                    })
                })
                .collect(),
            torn_tail: false,
        }
    }

    /// One second's interval record with `sent` requests sent and `ok`
    /// completed ok at 10 ms each.
    fn interval(start: f64, sent: u64, ok: u64) -> Record {
        let mut h = histogram::new_hist();
        h.record_n(10_000, ok).unwrap();
        let mut by_outcome = crate::outcome::OutcomeCounts::default();
        (0..ok).for_each(|_| by_outcome.add(Outcome::Ok));
        Record::Interval(crate::journal::record::IntervalRecord {
            start,
            t: start + 1.0,
            sent,
            late: 0,
            completed: ok,
            in_flight: 0,
            by_outcome,
            latency: histogram::encode(&h),
            service: histogram::encode(&h),
            send_lag: None,
            stream: None,
        })
    }

    #[test]
    fn achieved_never_exceeds_offered() {
        // At 1920/s the first measured second also completes the 97
        // requests the settle phase left in flight.
        let mut d = data(&[]);
        d.records = vec![
            interval(0.0, 1920, 1823),
            interval(1.0, 1920, 2017),
            interval(2.0, 1920, 1920),
        ];
        let step = measure_step(&d, 1920.0, 1.0).unwrap();
        assert_eq!(step.achieved_per_s, 1920.0);
    }

    #[test]
    fn a_second_instance_in_service_is_found() {
        assert_eq!(more_than_one_instance(&data(&[])), None);
        assert_eq!(more_than_one_instance(&data(&[1, 1])), None);
        assert_eq!(more_than_one_instance(&data(&[1, 2, 3])), Some((10.0, 2)));
    }

    #[test]
    fn a_simulated_endpoint_is_held_at_one_instance() {
        let source = std::fs::read_to_string("profiles/demo.toml").unwrap();
        let mut demo = Profile::parse(Path::new("profiles/demo.toml"), &source).unwrap();
        demo.sim_mut().unwrap().endpoint.initial_instances = 3;
        let (p, note) = one_instance(&demo);
        let sim = p.into_sim().unwrap();
        assert_eq!(sim.endpoint.initial_instances, 1);
        assert!(sim.scaling.is_none());
        let note = note.unwrap();
        assert!(note.contains("1 instance without autoscaling"), "{note}");
        assert!(note.contains("initial_instances = 3"), "{note}");
    }
}

#[cfg(test)]
mod step_tests {
    use super::*;

    /// A one-step search (start_rate = max_rate) on the simulator: 4
    /// workers × 50 ms fixed, so 20/s has a p99 of 53 ms (50 ms service +
    /// 3 ms overhead).
    fn one_step_profile(extra: &str) -> Profile {
        let source = format!(
            "name = \"one-step\"\n[target]\nkind = \"sim\"\n\
             [load]\nseed = 7\nphases = [{{ duration = \"1s\", rate = 1 }}]\n\
             [sim.instance]\nworker_slots = 4\nservice_time = \"50ms\"\n\
             [capacity]\nstart_rate = 20\nmax_rate = 20\nfine_steps = 0\n\
             settle = \"2s\"\nstep = \"3s\"\n{extra}"
        );
        Profile::parse(Path::new("one-step.toml"), &source).unwrap()
    }

    #[test]
    fn a_step_does_not_wait_for_the_observer_tail() {
        // Before: the step kept `[observe] tail = "5m"` and its journal
        // ended at 305.003 s instead of 5.003 s.
        let profile = one_step_profile("[observe]\ntail = \"5m\"\n");
        let tmp = tempfile::tempdir().unwrap();
        run_capacity(&profile, tmp.path(), true, SloFlags::default()).unwrap();
        let data = journal::read_run_dir(&tmp.path().join("step-01-20.00rps")).unwrap();
        let end = data
            .records
            .iter()
            .find_map(|r| match r {
                Record::End(e) => Some(e.t),
                _ => None,
            })
            .unwrap();
        // The last send (4.95 s) answers 53 ms later; then the run ends.
        assert_eq!(end, 5.003);
    }

    #[test]
    fn steps_are_judged_against_the_profiles_slo() {
        // Before: `[slo] p99_ms = 40` was ignored and the step (p99 53 ms)
        // held against `[capacity]`'s default 1000 ms.
        let profile = one_step_profile("[slo]\np99_ms = 40\n");
        let tmp = tempfile::tempdir().unwrap();
        let report = run_capacity(&profile, tmp.path(), true, SloFlags::default()).unwrap();
        assert_eq!(report.p99_slo_ms, 40.0);
        assert_eq!(report.max_rps, None);
        assert_eq!(report.steps[0].verdict, "broke: p99 53.0 ms > 40.0 ms");
        assert_eq!(
            report.slo,
            "p99 ≤ 40 ms ([slo] p99_ms), success ≥ 99.9 % ([capacity] min_success_ratio)"
        );
        // A flag overrides it.
        let flags = SloFlags {
            p99_ms: Some(60.0),
            ttft_p99_ms: None,
        };
        let report = run_capacity(&profile, tmp.path(), true, flags).unwrap();
        assert_eq!(report.max_rps, Some(20.0));
        assert!(
            report.slo.starts_with("p99 ≤ 60 ms (--p99-ms)"),
            "{}",
            report.slo
        );
    }
}
