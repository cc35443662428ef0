//! The `[slo]` and `[gates]` profile sections: what "healthy" means for the
//! lag analysis, and the pass/fail limits CI checks after a run.
//!
//! Both are serialized into `run.json` with the rest of the profile and read
//! back from there by `scaletrace report`, so they derive `Deserialize` too.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Ctx, ProfileError};

/// `[slo]`: when latency and errors count as "back to normal" after a
/// scaling episode (the last link of the lag chain).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    pub p50_ms: Option<Spanned<f64>>,
    pub p99_ms: Option<Spanned<f64>>,
    pub error_rate: Option<Spanned<f64>>,
}

/// `[gates]`: limits checked after the run (exit 1 when one fails), and the
/// baseline comparison's tolerances.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGates {
    pub p50_ms: Option<Spanned<f64>>,
    pub p90_ms: Option<Spanned<f64>>,
    pub p99_ms: Option<Spanned<f64>>,
    pub p999_ms: Option<Spanned<f64>>,
    pub error_rate: Option<Spanned<f64>>,
    pub min_achieved_ratio: Option<Spanned<f64>>,
    pub scale_out_lag_s: Option<Spanned<f64>>,
    pub scale_in_lag_s: Option<Spanned<f64>>,
    pub max_instances: Option<Spanned<i64>>,
    pub async_backlog_age_s: Option<Spanned<f64>>,
    pub unfinished_async: Option<Spanned<i64>>,
    pub baseline: Option<Spanned<String>>,
    pub p50_increase_pct: Option<Spanned<f64>>,
    pub p99_increase_pct: Option<Spanned<f64>>,
    pub error_rate_increase: Option<Spanned<f64>>,
    pub achieved_decrease_pct: Option<Spanned<f64>>,
    pub scale_out_lag_increase_pct: Option<Spanned<f64>>,
    pub scale_in_lag_increase_pct: Option<Spanned<f64>>,
    pub abort_on_fail: Option<Vec<Spanned<String>>>,
    // Streamed responses (`stream = true`).
    pub ttft_p50_ms: Option<Spanned<f64>>,
    pub ttft_p99_ms: Option<Spanned<f64>>,
    pub inter_token_p99_ms: Option<Spanned<f64>>,
    pub min_tokens_per_s: Option<Spanned<f64>>,
}

/// The gates `abort_on_fail` may name: those a run can know have failed
/// before it ends (the most instances and the oldest backlog only grow;
/// errors past the limit of the whole plan's requests stay past it).
pub const ABORTABLE: &[&str] = &["error_rate", "max_instances", "async_backlog_age_s"];

/// A validated `[slo]`. A field left out is not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Errors / completed, 0..=1.
    pub error_rate: Option<f64>,
}

/// A validated `[gates]`. A field left out is not checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gates {
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    /// Errors / completed over the whole run.
    pub error_rate: Option<f64>,
    /// Achieved (ok/s) over offered (sent/s); 1.0 means every request
    /// succeeded.
    pub min_achieved_ratio: Option<f64>,
    /// The longest scale-out episode, load change → capacity in service.
    pub scale_out_lag_s: Option<f64>,
    pub scale_in_lag_s: Option<f64>,
    /// The most instances in service at any observation.
    pub max_instances: Option<u32>,
    /// The largest ApproximateAgeOfOldestRequest datapoint (async endpoints).
    pub async_backlog_age_s: Option<f64>,
    /// The last ApproximateBacklogSize datapoint: requests still queued when
    /// observation ended (async endpoints).
    pub unfinished_async: Option<u64>,
    #[serde(flatten)]
    pub tolerances: Tolerances,
    /// A baseline run directory or summary.json, resolved against the
    /// profile's folder.
    pub baseline: Option<PathBuf>,
    /// Gates that stop the run as soon as they are certain to fail (like
    /// k6's `abortOnFail`); every report is still written. Names from
    /// [`ABORTABLE`], each set in this section.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub abort_on_fail: Vec<String>,
    /// Streamed responses: time to first token, from the intended send
    /// time. Fails with "no data" when nothing was streamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p50_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ms: Option<f64>,
    /// Streamed responses: the time between parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inter_token_p99_ms: Option<f64>,
    /// Streamed responses: tokens per second over the run, at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tokens_per_s: Option<f64>,
}

/// How far a run may move from its baseline before `compare` (or the
/// `baseline` gate) fails. Percentages are relative to the baseline's value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    pub p50_increase_pct: Option<f64>,
    pub p99_increase_pct: Option<f64>,
    /// Absolute: 0.001 allows the error rate to rise by 0.1 percentage points.
    pub error_rate_increase: Option<f64>,
    pub achieved_decrease_pct: Option<f64>,
    pub scale_out_lag_increase_pct: Option<f64>,
    pub scale_in_lag_increase_pct: Option<f64>,
}

impl Tolerances {
    pub fn is_empty(&self) -> bool {
        *self == Tolerances::default()
    }
}

fn non_negative(
    ctx: &Ctx,
    v: &Option<Spanned<f64>>,
    field: &str,
) -> Result<Option<f64>, ProfileError> {
    match v {
        None => Ok(None),
        Some(s) => {
            let x = *s.get_ref();
            if x.is_finite() && x >= 0.0 {
                Ok(Some(x))
            } else {
                Err(ctx.err(
                    Some(s.span()),
                    field,
                    format!("must be a number ≥ 0 (got {x})"),
                ))
            }
        }
    }
}

fn ratio(ctx: &Ctx, v: &Option<Spanned<f64>>, field: &str) -> Result<Option<f64>, ProfileError> {
    let r = non_negative(ctx, v, field)?;
    match (r, v) {
        (Some(x), Some(s)) if x > 1.0 => Err(ctx.err(
            Some(s.span()),
            field,
            format!("must be a fraction between 0 and 1 (got {x}; 0.001 means 0.1 %)"),
        )),
        _ => Ok(r),
    }
}

fn count(ctx: &Ctx, v: &Option<Spanned<i64>>, field: &str) -> Result<Option<i64>, ProfileError> {
    match v {
        Some(s) if *s.get_ref() < 0 => Err(ctx.err(
            Some(s.span()),
            field,
            format!("must not be negative (got {})", s.get_ref()),
        )),
        Some(s) => Ok(Some(*s.get_ref())),
        None => Ok(None),
    }
}

impl Slo {
    pub fn from_raw(ctx: &Ctx, raw: &Spanned<RawSlo>) -> Result<Slo, ProfileError> {
        let r = raw.get_ref();
        Ok(Slo {
            p50_ms: non_negative(ctx, &r.p50_ms, "slo.p50_ms")?,
            p99_ms: non_negative(ctx, &r.p99_ms, "slo.p99_ms")?,
            error_rate: ratio(ctx, &r.error_rate, "slo.error_rate")?,
        })
    }
}

impl Gates {
    /// `base_dir` is the profile's folder, for a relative `baseline`.
    pub fn from_raw(
        ctx: &Ctx,
        raw: &Spanned<RawGates>,
        base_dir: &Path,
    ) -> Result<Gates, ProfileError> {
        let r = raw.get_ref();
        let baseline = match &r.baseline {
            Some(b) if b.get_ref().trim().is_empty() => {
                return Err(ctx.err(Some(b.span()), "gates.baseline", "must not be empty"));
            }
            Some(b) => Some(base_dir.join(b.get_ref())),
            None => None,
        };
        let f =
            |v: &Option<Spanned<f64>>, name: &str| non_negative(ctx, v, &format!("gates.{name}"));
        Gates {
            p50_ms: f(&r.p50_ms, "p50_ms")?,
            p90_ms: f(&r.p90_ms, "p90_ms")?,
            p99_ms: f(&r.p99_ms, "p99_ms")?,
            p999_ms: f(&r.p999_ms, "p999_ms")?,
            error_rate: ratio(ctx, &r.error_rate, "gates.error_rate")?,
            min_achieved_ratio: ratio(ctx, &r.min_achieved_ratio, "gates.min_achieved_ratio")?,
            scale_out_lag_s: f(&r.scale_out_lag_s, "scale_out_lag_s")?,
            scale_in_lag_s: f(&r.scale_in_lag_s, "scale_in_lag_s")?,
            max_instances: count(ctx, &r.max_instances, "gates.max_instances")?.map(|v| v as u32),
            async_backlog_age_s: f(&r.async_backlog_age_s, "async_backlog_age_s")?,
            unfinished_async: count(ctx, &r.unfinished_async, "gates.unfinished_async")?
                .map(|v| v as u64),
            tolerances: Tolerances {
                p50_increase_pct: f(&r.p50_increase_pct, "p50_increase_pct")?,
                p99_increase_pct: f(&r.p99_increase_pct, "p99_increase_pct")?,
                error_rate_increase: ratio(
                    ctx,
                    &r.error_rate_increase,
                    "gates.error_rate_increase",
                )?,
                achieved_decrease_pct: f(&r.achieved_decrease_pct, "achieved_decrease_pct")?,
                scale_out_lag_increase_pct: f(
                    &r.scale_out_lag_increase_pct,
                    "scale_out_lag_increase_pct",
                )?,
                scale_in_lag_increase_pct: f(
                    &r.scale_in_lag_increase_pct,
                    "scale_in_lag_increase_pct",
                )?,
            },
            baseline,
            ttft_p50_ms: f(&r.ttft_p50_ms, "ttft_p50_ms")?,
            ttft_p99_ms: f(&r.ttft_p99_ms, "ttft_p99_ms")?,
            inter_token_p99_ms: f(&r.inter_token_p99_ms, "inter_token_p99_ms")?,
            min_tokens_per_s: f(&r.min_tokens_per_s, "min_tokens_per_s")?,
            abort_on_fail: Vec::new(),
        }
        .with_abort_on_fail(ctx, r.abort_on_fail.as_deref().unwrap_or_default())
    }

    /// Checks each `abort_on_fail` name: one of [`ABORTABLE`], and set.
    fn with_abort_on_fail(
        mut self,
        ctx: &Ctx,
        names: &[Spanned<String>],
    ) -> Result<Gates, ProfileError> {
        for (i, n) in names.iter().enumerate() {
            let name = n.get_ref().as_str();
            let field = format!("gates.abort_on_fail[{i}]");
            if !ABORTABLE.contains(&name) {
                return Err(ctx.err(
                    Some(n.span()),
                    field,
                    format!(
                        "{name:?} can't be known to fail before the run ends; abort_on_fail takes {}",
                        ABORTABLE.join(", ")
                    ),
                ));
            }
            let set = match name {
                "error_rate" => self.error_rate.is_some(),
                "max_instances" => self.max_instances.is_some(),
                _ => self.async_backlog_age_s.is_some(),
            };
            if !set {
                return Err(ctx.err(
                    Some(n.span()),
                    field,
                    format!("gate {name:?} is not set in [gates]"),
                ));
            }
            self.abort_on_fail.push(name.to_string());
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Profile;
    use std::path::Path;

    const BASE: &str = "[target]\nkind = \"http\"\nurl = \"http://127.0.0.1:9\"\n[load]\nphases = [{ duration = \"1s\", rate = 1 }]\n";

    #[test]
    fn slo_and_gates_parse() {
        let p = Profile::parse(
            Path::new("dir/p.toml"),
            &format!(
                "{BASE}[slo]\np99_ms = 300\nerror_rate = 0.001\n[gates]\np99_ms = 500\nmax_instances = 4\nbaseline = \"base/summary.json\"\np99_increase_pct = 10\n"
            ),
        )
        .unwrap();
        assert_eq!(p.slo.as_ref().unwrap().p99_ms, Some(300.0));
        let g = p.gates.unwrap();
        assert_eq!(g.max_instances, Some(4));
        assert_eq!(g.tolerances.p99_increase_pct, Some(10.0));
        assert_eq!(g.baseline.unwrap(), Path::new("dir/base/summary.json"));
    }

    #[test]
    fn bad_values_name_line_and_field() {
        let e = Profile::parse(
            Path::new("p.toml"),
            &format!("{BASE}[slo]\nerror_rate = 5\n"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (7, "slo.error_rate"));
        assert!(e.message.contains("fraction"), "{e}");
        let e = Profile::parse(
            Path::new("p.toml"),
            &format!("{BASE}[gates]\np99_ms = -1\n"),
        )
        .unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (7, "gates.p99_ms"));
        let e = Profile::parse(Path::new("p.toml"), &format!("{BASE}[gates]\np98_ms = 1\n"))
            .unwrap_err();
        assert!(e.to_string().contains("p98_ms"), "{e}");
    }

    #[test]
    fn abort_on_fail_names_abortable_gates_that_are_set() {
        let p = Profile::parse(
            Path::new("p.toml"),
            &format!("{BASE}[gates]\nerror_rate = 0.01\nabort_on_fail = [\"error_rate\"]\n"),
        )
        .unwrap();
        assert_eq!(p.gates.unwrap().abort_on_fail, ["error_rate"]);
        let e = Profile::parse(
            Path::new("p.toml"),
            &format!("{BASE}[gates]\np99_ms = 1\nabort_on_fail = [\"p99_ms\"]\n"),
        )
        .unwrap_err();
        assert_eq!(e.field, "gates.abort_on_fail[0]");
        assert!(e.message.contains("can't be known to fail"), "{e}");
        let e = Profile::parse(
            Path::new("p.toml"),
            &format!("{BASE}[gates]\np99_ms = 1\nabort_on_fail = [\"max_instances\"]\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("not set"), "{e}");
    }
}
