//! Runs `capacity --concurrency` for real: every step is a closed-loop run
//! ([`crate::run::run_closed_loop`], exactly N requests in flight) with its
//! own run directory, measured from its journal after the settle time, and
//! `capacity.json` records the steps and the recommendation.
//!
//! As for the rate search ([`super::runner`]), a simulated endpoint is held
//! at one instance without autoscaling, and a real one is checked for a
//! second instance in service (a second copy, for an inference component:
//! [`more_than_one`]), so the concurrency found is one instance's (one
//! copy's).

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::concurrency::{ConcurrencyResult, ConcurrencyStep, most_steps, search, target_value};
use super::runner::{more_than_one_instance, one_instance};
use super::slo::{SloFlags, StepSlo};
use crate::histogram;
use crate::journal::record::Record;
use crate::journal::stream::StreamTotals;
use crate::journal::{self, JournalData};
use crate::outcome::Outcome;
use crate::profile::{Phase, Profile};
use crate::resource::ScalableResource;
use crate::run::{RunError, RunOptions};
use crate::schedule::Shard;

/// `capacity.json` of a `--concurrency` search.
#[derive(Debug, Clone, Serialize)]
pub struct ConcurrencyReport {
    pub schema: &'static str,
    /// `concurrency` (a rate search's capacity.json has no `mode`).
    pub mode: &'static str,
    pub name: String,
    /// Each limit with where it came from.
    pub slo: StepSlo,
    /// `copy` (inference component) or `instance` (variant).
    pub per: &'static str,
    /// The most requests in flight that held.
    pub max_concurrency: Option<u32>,
    /// True when `max_concurrency` of the profile still held.
    pub capped: bool,
    pub safety_factor: f64,
    /// `max_concurrency × safety_factor`, the policy's TargetValue.
    pub target_value: Option<f64>,
    /// The predefined metric the target value is for.
    pub predefined_metric: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub steps: Vec<ConcurrencyStep>,
}

/// The predefined metric type for `resource`, AWS, "Define a scaling
/// policy", high-resolution metrics: `SageMakerVariantConcurrentRequests
/// PerModelHighResolution` for a variant,
/// `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`
/// for an inference component.
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html>
pub fn predefined_metric(resource: &ScalableResource) -> &'static str {
    match resource {
        ScalableResource::Variant { .. } => {
            "SageMakerVariantConcurrentRequestsPerModelHighResolution"
        }
        ScalableResource::InferenceComponent { .. } => {
            "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
        }
    }
}

/// Measures one step from its journal: the one-second intervals that start
/// after the settle time. Achieved is ok responses over the time those
/// intervals span; TTFT from the streamed responses among them.
pub fn measure_step(
    data: &JournalData,
    concurrency: u32,
    settle_s: f64,
) -> Result<ConcurrencyResult, String> {
    let mut latency = histogram::new_hist();
    let mut stream = StreamTotals::default();
    let (mut completed, mut ok) = (0u64, 0u64);
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
                let h = histogram::decode(&i.latency).map_err(|e| e.to_string())?;
                latency.add(h).map_err(|e| format!("{e:?}"))?;
            }
            if let Some(s) = &i.stream {
                stream.add(s).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(ConcurrencyResult {
        concurrency,
        achieved_per_s: if to > from {
            ok as f64 / (to - from)
        } else {
            0.0
        },
        p50_ms: histogram::quantile_ms(&latency, 0.5),
        p99_ms: histogram::quantile_ms(&latency, 0.99),
        ttft_p99_ms: (stream.responses > 0 && !stream.ttft.is_empty())
            .then(|| histogram::quantile_ms(&stream.ttft, 0.99)),
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
pub fn run_concurrency(
    profile: &Profile,
    dir: &Path,
    quiet: bool,
    flags: SloFlags,
    resource: &ScalableResource,
) -> Result<ConcurrencyReport, RunError> {
    let (profile, note) = one_instance(profile);
    let profile = &profile;
    if let (Some(note), false) = (&note, quiet) {
        eprintln!("  note: {note}");
    }
    let slo = StepSlo::resolve(profile, flags);
    let spec = profile.capacity.clone();
    let cfg = &spec.concurrency;
    std::fs::create_dir_all(dir).map_err(|e| RunError::Broke(format!("{}: {e}", dir.display())))?;
    let most = most_steps(cfg, spec.search.growth, spec.search.fine_steps);
    let per_step = spec.settle + spec.step;
    let mut n = 0;
    let outcome = search(cfg, spec.search.growth, spec.search.fine_steps, &slo, |c| {
        n += 1;
        if !quiet {
            eprintln!(
                "  step {n} of at most {most}: {c} in flight for {} ({} settle + {} measured); ETA ≤ {} for the rest of the search",
                humantime::format_duration(per_step),
                humantime::format_duration(spec.settle),
                humantime::format_duration(spec.step),
                humantime::format_duration(per_step * (most.saturating_sub(n) + 1) as u32),
            );
        }
        let step_dir: PathBuf = dir.join(format!("step-{n:02}-{c}-in-flight"));
        let _ = std::fs::remove_dir_all(&step_dir);
        let data = crate::run::run_closed_loop(
            step_profile(profile, spec.settle, spec.step, c),
            RunOptions {
                run_dir: Some(step_dir.clone()),
                reports_root: dir.to_path_buf(),
                quiet,
                shard: Shard::WHOLE,
                started_at: None,
            },
            NonZeroUsize::new(c as usize).expect("the search starts at 1 or more"),
        )?
        .report
        .data;
        if let Some((t, current, what)) = more_than_one(&data, resource) {
            let whats = if what == "copy" {
                "copies"
            } else {
                "instances"
            };
            return Err(RunError::Broke(format!(
                "stopped at step {n} ({c} in flight): there were {current} {whats} in service \
                 at t = {t:.0} s ({}), and the concurrency searched for is one {what}'s. Hold it \
                 at one {what} (MinCapacity = MaxCapacity = 1, or deregister its scalable \
                 target) and run the search again.",
                step_dir.display()
            )));
        }
        let result = measure_step(&data, c, spec.settle.as_secs_f64()).map_err(RunError::Broke)?;
        if !quiet {
            let verdict = result.verdict(&slo);
            eprintln!(
                "  step {n:>2}  {c:>5} in flight  achieved {:>9.2}/s  p99 {:>8.1} ms  TTFT p99 {}  success {:>7.3} %  {}",
                result.achieved_per_s,
                result.p99_ms,
                result
                    .ttft_p99_ms
                    .map(|t| format!("{t:>8.1} ms"))
                    .unwrap_or_else(|| format!("{:>11}", "—")),
                result.success_ratio * 100.0,
                super::concurrency::verdict_text(&verdict, &slo)
            );
        }
        Ok(result)
    })?;
    let report = ConcurrencyReport {
        schema: "scaletrace.capacity/1",
        mode: "concurrency",
        name: profile.name.clone(),
        slo,
        per: match resource {
            ScalableResource::Variant { .. } => "instance",
            ScalableResource::InferenceComponent { .. } => "copy",
        },
        max_concurrency: outcome.max_concurrency,
        capped: outcome.capped,
        safety_factor: spec.safety_factor,
        target_value: outcome
            .max_concurrency
            .map(|c| target_value(c, spec.safety_factor)),
        predefined_metric: predefined_metric(resource),
        notes: note.into_iter().collect(),
        steps: outcome.steps,
    };
    let json = serde_json::to_vec_pretty(&report).expect("report serializes");
    journal::write_atomically(&dir.join("capacity.json"), &json)
        .map_err(|e| RunError::Broke(e.to_string()))?;
    Ok(report)
}

/// The first observation of more than one unit of what the concurrency
/// is per: copies (the observer's `copies` records) for an inference
/// component, instances (`endpoint` records) for a variant. An inference
/// component's copies may share or span instances, so for it only copies
/// count. `(t, current, "copy" | "instance")`.
pub fn more_than_one(
    data: &JournalData,
    resource: &ScalableResource,
) -> Option<(f64, u32, &'static str)> {
    match resource {
        ScalableResource::Variant { .. } => {
            more_than_one_instance(data).map(|(t, c)| (t, c, "instance"))
        }
        ScalableResource::InferenceComponent { .. } => data.records.iter().find_map(|r| match r {
            Record::Copies(k) if k.current > 1 => Some((k.t, k.current, "copy")),
            _ => None,
        }),
    }
}

/// One step's profile: a settle and a measured phase (rate 0: the closed
/// loop ignores rates; the phase names carry the concurrency into the
/// journal), no observer tail, no gates (a step is judged by the search).
fn step_profile(profile: &Profile, settle: Duration, step: Duration, c: u32) -> Profile {
    let mut p = profile.clone();
    p.observe.tail = Duration::ZERO;
    p.gates = None;
    p.load.phases = [("settle", settle), ("measure", step)]
        .into_iter()
        .filter(|(_, d)| !d.is_zero())
        .map(|(name, duration)| Phase {
            name: format!("{name}: {c} in flight"),
            duration,
            from_rate: 0.0,
            to_rate: 0.0,
        })
        .collect();
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::RunInfo;
    use crate::journal::record::{CopiesRecord, EndpointRecord};

    #[test]
    fn copies_count_for_a_component_and_instances_for_a_variant() {
        let data = JournalData {
            info: RunInfo {
                schema: RunInfo::SCHEMA.into(),
                tool_version: "0".into(),
                started_at: chrono::DateTime::UNIX_EPOCH,
                host: "h".into(),
                clock: "wall".into(),
                shard: "0/1".into(),
                profile: serde_json::json!({"name": "t"}),
            },
            records: vec![
                Record::Endpoint(EndpointRecord {
                    t: 5.0,
                    status: "InService".into(),
                    variant: "AllTraffic".into(),
                    current: 2,
                    desired: 2,
                }),
                Record::Copies(CopiesRecord {
                    t: 10.0,
                    component: "chat-ic".into(),
                    status: "InService".into(),
                    current: 2,
                    desired: 2,
                }),
            ],
            torn_tail: false,
        };
        let ic = ScalableResource::InferenceComponent {
            name: "chat-ic".into(),
        };
        let v = ScalableResource::variant("ep", "AllTraffic");
        assert_eq!(more_than_one(&data, &ic), Some((10.0, 2, "copy")));
        assert_eq!(more_than_one(&data, &v), Some((5.0, 2, "instance")));
    }
}
