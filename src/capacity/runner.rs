//! Runs the capacity search for real: every step is an ordinary run (its
//! own run directory under the capacity directory, so each can be reported
//! on), measured from its journal after the settle time.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::search::{SearchOutcome, StepResult, scaling_value, search};
use crate::histogram;
use crate::journal::record::Record;
use crate::journal::{self, JournalData};
use crate::outcome::Outcome;
use crate::profile::{Phase, Profile};
use crate::run::{RunError, RunOptions};
use crate::schedule::Shard;

/// `capacity.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CapacityReport {
    pub schema: &'static str,
    pub name: String,
    pub p99_slo_ms: f64,
    pub min_success_ratio: f64,
    pub max_rps: Option<f64>,
    /// True when the highest rate tried still held.
    pub capped: bool,
    pub safety_factor: f64,
    /// floor(MAX_RPS × safety_factor × 60), invocations per instance per
    /// minute.
    pub scaling_value: Option<u64>,
    pub steps: Vec<super::Step>,
}

/// Measures one step from its journal: only the one-second intervals that
/// start after the settle time count, and the achieved rate is over the
/// time those intervals span.
pub fn measure_step(data: &JournalData, rate: f64, settle_s: f64) -> Result<StepResult, String> {
    let mut latency = histogram::new_hist();
    let mut completed = 0u64;
    let mut ok = 0u64;
    let (mut from, mut to) = (f64::INFINITY, 0.0f64);
    for r in &data.records {
        if let Record::Interval(i) = r
            && i.start >= settle_s - 1e-6
        {
            from = from.min(i.start);
            to = to.max(i.t);
            completed += i.completed;
            ok += i.by_outcome.get(Outcome::Ok);
            if i.completed > 0 {
                latency
                    .add(histogram::decode(&i.latency)?)
                    .map_err(|e| format!("{e:?}"))?;
            }
        }
    }
    Ok(StepResult {
        rate,
        achieved_per_s: if to > from {
            ok as f64 / (to - from)
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

/// Runs the search against the profile's target, writing every step's run
/// directory under `dir` and `capacity.json` beside them.
pub fn run_capacity(
    profile: &Profile,
    dir: &Path,
    quiet: bool,
) -> Result<CapacityReport, RunError> {
    let spec = profile.capacity.clone();
    std::fs::create_dir_all(dir).map_err(|e| RunError::Broke(format!("{}: {e}", dir.display())))?;
    let mut n = 0;
    let outcome: SearchOutcome = search(&spec.search, |rate| {
        n += 1;
        let mut p = profile.clone();
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
        crate::run::run(
            p,
            RunOptions {
                run_dir: Some(step_dir.clone()),
                reports_root: dir.to_path_buf(),
                quiet: true,
                shard: Shard::WHOLE,
                started_at: None,
            },
        )?;
        let data = journal::read_run_dir(&step_dir).map_err(|e| RunError::Broke(e.to_string()))?;
        let result =
            measure_step(&data, rate, spec.settle.as_secs_f64()).map_err(RunError::Broke)?;
        if !quiet {
            let verdict = result.verdict(&spec.search);
            eprintln!(
                "  step {n:>2}  {rate:>9.2}/s  achieved {:>9.2}/s  p50 {:>8.1} ms  p99 {:>8.1} ms  success {:>7.3} %  {}",
                result.achieved_per_s,
                result.p50_ms,
                result.p99_ms,
                result.success_ratio * 100.0,
                match verdict {
                    Ok(()) => "held".to_string(),
                    Err(why) => format!("broke: {why}"),
                }
            );
        }
        Ok(result)
    })?;
    let report = CapacityReport {
        schema: "scaletrace.capacity/1",
        name: profile.name.clone(),
        p99_slo_ms: spec.search.p99_ms,
        min_success_ratio: spec.search.min_success_ratio,
        max_rps: outcome.max_rps,
        capped: outcome.capped,
        safety_factor: spec.safety_factor,
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
