//! Validated Application Auto Scaling configuration: the scalable target,
//! scaling policies (target tracking and step, inline or from the JSON file
//! given to `aws application-autoscaling put-scaling-policy`) and scheduled
//! actions.
//!
//! Facts from SAGEMAKER.md kept here: the built-in policy the console shows
//! is named `SageMakerEndpointInvocationScalingPolicy` (the default name of a
//! target-tracking policy); cooldowns default to 300 s for SageMaker;
//! MinCapacity may be 0 only for async endpoints and inference components
//! (scale to zero:
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>).

use serde::Serialize;
use toml::Spanned;

use super::alarm::{AlarmSpec, Comparison, TreatMissing};
use super::config::SimConfig;
use super::metric::{MetricId, Stat};
use super::raw::{RawAlarm, RawPolicy, RawSimConfig, RawStepScaling, RawTargetTracking};
use super::schedule::Schedule;
use crate::profile::{Ctx, ProfileError};

/// The console's built-in policy name.
pub const BUILT_IN_POLICY_NAME: &str = "SageMakerEndpointInvocationScalingPolicy";
/// SageMaker's default cooldown, seconds.
pub const DEFAULT_COOLDOWN_S: f64 = 300.0;

#[derive(Debug, Clone, Serialize)]
pub struct ScalingConfig {
    /// `[sim.scalable_target] MinCapacity` (0 only for async endpoints and
    /// inference components).
    pub min_capacity: u32,
    /// `MaxCapacity`.
    pub max_capacity: u32,
    /// `[[sim.policies]]`, in file order.
    pub policies: Vec<PolicyConfig>,
    /// `[[sim.scheduled_actions]]`.
    pub scheduled_actions: Vec<ScheduledActionConfig>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyConfig {
    /// `PolicyName`; target tracking defaults to
    /// [`BUILT_IN_POLICY_NAME`].
    pub name: String,
    pub kind: PolicyKind,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "PolicyType")]
pub enum PolicyKind {
    #[serde(rename = "TargetTrackingScaling")]
    TargetTracking(TargetTrackingConfig),
    #[serde(rename = "StepScaling")]
    Step(StepConfig),
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetTrackingConfig {
    /// `TargetValue`; for InvocationsPerInstance, invocations per instance
    /// per **minute** (SCALING_VALUE).
    pub target_value: f64,
    /// The predefined metric type or the custom metric's name.
    pub metric_label: String,
    /// The simulated metric and statistic it tracks.
    pub metric: MetricId,
    pub stat: Stat,
    /// `ScaleInCooldown` (default 300 s).
    pub scale_in_cooldown_s: f64,
    /// `ScaleOutCooldown` (default 300 s).
    pub scale_out_cooldown_s: f64,
    /// `DisableScaleIn`: never remove capacity (and do not vote on scale in).
    pub disable_scale_in: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AdjustmentType {
    ChangeInCapacity,
    ExactCapacity,
    PercentChangeInCapacity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Aggregation {
    Average,
    Minimum,
    Maximum,
}

/// One step: bounds are offsets from the alarm threshold (`None` is
/// unbounded).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepAdjustment {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub adjustment: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepConfig {
    /// `AdjustmentType`.
    pub adjustment_type: AdjustmentType,
    /// `StepAdjustments`, checked not to overlap or leave gaps.
    pub steps: Vec<StepAdjustment>,
    /// `MinAdjustmentMagnitude` (PercentChangeInCapacity only).
    pub min_adjustment_magnitude: Option<u32>,
    /// `Cooldown` (default 300 s), per policy.
    pub cooldown_s: f64,
    /// `MetricAggregationType` (default Average) over the alarm's datapoints.
    pub aggregation: Aggregation,
    /// The user's own alarm that triggers the policy.
    pub alarm: AlarmSpec,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledActionConfig {
    /// `ScheduledActionName` (default `scheduled-action-<n>`).
    pub name: String,
    /// `Schedule`: `at(...)`, `at(+offset)`, `rate(...)` or `cron(...)`.
    pub schedule: Schedule,
    /// `ScalableTargetAction.MinCapacity`.
    pub min_capacity: Option<u32>,
    /// `ScalableTargetAction.MaxCapacity`.
    pub max_capacity: Option<u32>,
}

/// Builds the scaling configuration from `[sim.scalable_target]`,
/// `[[sim.policies]]` and `[[sim.scheduled_actions]]`.
pub fn scaling_config(
    ctx: &Ctx,
    raw: &Spanned<RawSimConfig>,
    sim: &SimConfig,
) -> Result<Option<ScalingConfig>, ProfileError> {
    let r = raw.get_ref();
    let Some(st) = &r.scalable_target else {
        if let Some(p) = r.policies.as_ref().and_then(|p| p.first()) {
            return Err(ctx.err(
                Some(p.span()),
                "sim.scalable_target",
                "missing; policies need [sim.scalable_target] MinCapacity/MaxCapacity",
            ));
        }
        if let Some(a) = r.scheduled_actions.as_ref().and_then(|p| p.first()) {
            return Err(ctx.err(
                Some(a.span()),
                "sim.scalable_target",
                "missing; scheduled actions need [sim.scalable_target]",
            ));
        }
        return Ok(None);
    };
    let st = st.get_ref();
    // 0 for async endpoints and inference components (scale to zero).
    let min_lo = if sim.is_async() || sim.inference_component.is_some() {
        0
    } else {
        1
    };
    let min = super::config::count(
        ctx,
        &st.min_capacity,
        "sim.scalable_target.MinCapacity",
        min_lo,
        1000,
    )
    .map_err(|mut e| {
        if min_lo == 1 && *st.min_capacity.get_ref() == 0 {
            e.message =
                "must be at least 1 for a real-time endpoint (0 is for async endpoints and inference components)".into();
        }
        e
    })?;
    let max = super::config::count(
        ctx,
        &st.max_capacity,
        "sim.scalable_target.MaxCapacity",
        1,
        1000,
    )?;
    if max < min {
        return Err(ctx.err(
            Some(st.max_capacity.span()),
            "sim.scalable_target.MaxCapacity",
            format!("must be at least MinCapacity ({min})"),
        ));
    }
    let initial = sim.endpoint.initial_instances;
    if initial < min || initial > max {
        return Err(ctx.err(
            Some(st.min_capacity.span()),
            "sim.endpoint.initial_instances",
            format!("{initial} is outside [MinCapacity, MaxCapacity] = [{min}, {max}]"),
        ));
    }
    let mut policies: Vec<PolicyConfig> = Vec::new();
    for (i, p) in r.policies.iter().flatten().enumerate() {
        let policy = policy(ctx, i, p)?;
        if policies.iter().any(|q| q.name == policy.name) {
            return Err(ctx.err(
                Some(p.span()),
                format!("sim.policies[{i}].PolicyName"),
                format!("duplicate policy name {:?}", policy.name),
            ));
        }
        policies.push(policy);
    }
    let mut scheduled = Vec::new();
    for (i, a) in r.scheduled_actions.iter().flatten().enumerate() {
        let at = |f: &str| format!("sim.scheduled_actions[{i}].{f}");
        let raw = a.get_ref();
        let schedule = Schedule::parse(raw.schedule.get_ref())
            .map_err(|e| ctx.err(Some(raw.schedule.span()), at("Schedule"), e.to_string()))?;
        let act = raw.scalable_target_action.get_ref();
        let span = Some(raw.scalable_target_action.span());
        let cap = |v: Option<i64>, f: &str| -> Result<Option<u32>, ProfileError> {
            match v {
                None => Ok(None),
                Some(n) if (0..=1000).contains(&n) => Ok(Some(n as u32)),
                Some(n) => Err(ctx.err(
                    span.clone(),
                    at(&format!("ScalableTargetAction.{f}")),
                    format!("must be between 0 and 1000 (got {n})"),
                )),
            }
        };
        let (smin, smax) = (
            cap(act.min_capacity, "MinCapacity")?,
            cap(act.max_capacity, "MaxCapacity")?,
        );
        if smin.is_none() && smax.is_none() {
            return Err(ctx.err(
                span,
                at("ScalableTargetAction"),
                "give MinCapacity, MaxCapacity or both",
            ));
        }
        if let (Some(a), Some(b)) = (smin, smax)
            && a > b
        {
            return Err(ctx.err(
                span,
                at("ScalableTargetAction.MaxCapacity"),
                "must be at least MinCapacity",
            ));
        }
        if !sim.is_async() && sim.inference_component.is_none() && smin == Some(0) {
            return Err(ctx.err(
                span,
                at("ScalableTargetAction.MinCapacity"),
                "must be at least 1 for a real-time endpoint",
            ));
        }
        scheduled.push(ScheduledActionConfig {
            name: raw
                .scheduled_action_name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_else(|| format!("scheduled-action-{}", i + 1)),
            schedule,
            min_capacity: smin,
            max_capacity: smax,
        });
    }
    Ok(Some(ScalingConfig {
        min_capacity: min,
        max_capacity: max,
        policies,
        scheduled_actions: scheduled,
    }))
}

/// Parses a `…ConfigurationFile` (a path relative to the profile's folder,
/// optionally written `file://…`) as JSON, from the text the loader read
/// ([`crate::profile::files`]).
fn from_file<T: serde::de::DeserializeOwned>(
    ctx: &Ctx,
    v: &Spanned<String>,
    field: &str,
) -> Result<T, ProfileError> {
    let path = crate::profile::files::resolve(ctx.file, v.get_ref());
    let text = ctx.files.text(&path).map_err(|e| {
        ctx.err(
            Some(v.span()),
            field,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    serde_json::from_str(text)
        .map_err(|e| ctx.err(Some(v.span()), field, format!("{}: {e}", path.display())))
}

fn policy(ctx: &Ctx, i: usize, p: &Spanned<RawPolicy>) -> Result<PolicyConfig, ProfileError> {
    let raw = p.get_ref();
    let at = |f: &str| format!("sim.policies[{i}].{f}");
    let span = Some(p.span());
    let tt_file: Option<RawTargetTracking> =
        match &raw.target_tracking_scaling_policy_configuration_file {
            Some(f) => Some(from_file(
                ctx,
                f,
                &at("TargetTrackingScalingPolicyConfigurationFile"),
            )?),
            None => None,
        };
    let step_file: Option<RawStepScaling> = match &raw.step_scaling_policy_configuration_file {
        Some(f) => Some(from_file(
            ctx,
            f,
            &at("StepScalingPolicyConfigurationFile"),
        )?),
        None => None,
    };
    let tt = raw
        .target_tracking_scaling_policy_configuration
        .as_ref()
        .map(|s| (s.get_ref(), Some(s.span())))
        .or(tt_file.as_ref().map(|t| (t, span.clone())));
    let step = raw
        .step_scaling_policy_configuration
        .as_ref()
        .map(|s| (s.get_ref(), Some(s.span())))
        .or(step_file.as_ref().map(|t| (t, span.clone())));
    let given = [
        raw.target_tracking_scaling_policy_configuration.is_some(),
        raw.target_tracking_scaling_policy_configuration_file
            .is_some(),
        raw.step_scaling_policy_configuration.is_some(),
        raw.step_scaling_policy_configuration_file.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given != 1 {
        return Err(ctx.err(
            span,
            format!("sim.policies[{i}]"),
            "give exactly one of TargetTrackingScalingPolicyConfiguration(File), \
             StepScalingPolicyConfiguration(File)",
        ));
    }
    let declared = raw.policy_type.as_ref().map(|t| t.get_ref().as_str());
    let implied = if tt.is_some() {
        "TargetTrackingScaling"
    } else {
        "StepScaling"
    };
    if let Some(d) = declared
        && d != implied
    {
        let t = raw.policy_type.as_ref().expect("declared");
        return Err(ctx.err(
            Some(t.span()),
            at("PolicyType"),
            if ["TargetTrackingScaling", "StepScaling"].contains(&d) {
                format!("is {d:?} but the configuration given is for {implied:?}")
            } else {
                format!("unknown type {d:?}; one of \"TargetTrackingScaling\", \"StepScaling\"")
            },
        ));
    }
    let name = match &raw.policy_name {
        Some(n) if n.get_ref().trim().is_empty() => {
            return Err(ctx.err(Some(n.span()), at("PolicyName"), "must not be empty"));
        }
        Some(n) => n.get_ref().clone(),
        None if tt.is_some() => BUILT_IN_POLICY_NAME.to_string(),
        None => return Err(ctx.err(span, at("PolicyName"), "missing")),
    };
    if let Some((t, tspan)) = tt {
        if let Some(a) = &raw.alarm {
            return Err(ctx.err(
                Some(a.span()),
                at("Alarm"),
                "target tracking creates its own alarms; Alarm is for step policies",
            ));
        }
        let f = |x: &str| at(&format!("TargetTrackingScalingPolicyConfiguration.{x}"));
        let kind = target_tracking(t).map_err(|(field, m)| ctx.err(tspan, f(&field), m))?;
        return Ok(PolicyConfig {
            name,
            kind: PolicyKind::TargetTracking(kind),
        });
    }
    let (s, sspan) = step.expect("one configuration");
    let f = |x: &str| at(&format!("StepScalingPolicyConfiguration.{x}"));
    let mut cfg = step_scaling(s).map_err(|(field, m)| ctx.err(sspan, f(&field), m))?;
    let Some(alarm) = &raw.alarm else {
        return Err(ctx.err(
            span,
            at("Alarm"),
            "missing; a step policy needs the CloudWatch alarm that triggers it \
             (MetricName, Threshold, ComparisonOperator, EvaluationPeriods, …)",
        ));
    };
    cfg.alarm = alarm_spec(alarm.get_ref(), &name)
        .map_err(|(field, m)| ctx.err(Some(alarm.span()), at(&format!("Alarm.{field}")), m))?;
    Ok(PolicyConfig {
        name,
        kind: PolicyKind::Step(cfg),
    })
}

type FieldError = (String, String);

fn fe(field: &str, m: impl Into<String>) -> FieldError {
    (field.to_string(), m.into())
}

fn cooldown(v: Option<i64>, field: &str) -> Result<f64, FieldError> {
    match v {
        None => Ok(DEFAULT_COOLDOWN_S),
        Some(n) if (0..=31_536_000).contains(&n) => Ok(n as f64),
        Some(n) => Err(fe(field, format!("must be 0 or more seconds (got {n})"))),
    }
}

fn metric_and_namespace(name: &str, namespace: Option<&str>) -> Result<MetricId, FieldError> {
    let m = MetricId::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = MetricId::ALL.iter().map(|m| m.name()).collect();
        fe(
            "MetricName",
            format!(
                "the simulator does not publish {name:?}; it publishes {}",
                names.join(", ")
            ),
        )
    })?;
    if let Some(ns) = namespace
        && ns != m.namespace()
    {
        return Err(fe(
            "Namespace",
            format!("{name} is in namespace {:?}, not {ns:?}", m.namespace()),
        ));
    }
    Ok(m)
}

fn statistic(s: Option<&str>, field: &str) -> Result<Stat, FieldError> {
    match s {
        None => Ok(Stat::Average),
        Some(s) => Stat::from_name(s).ok_or_else(|| {
            fe(
                field,
                format!(
                    "unknown statistic {s:?}; one of Sum, Average, Minimum, Maximum, SampleCount"
                ),
            )
        }),
    }
}

fn target_tracking(t: &RawTargetTracking) -> Result<TargetTrackingConfig, FieldError> {
    if !(t.target_value.is_finite() && t.target_value > 0.0) {
        return Err(fe("TargetValue", "must be greater than zero"));
    }
    let (label, metric, stat) = match (
        &t.predefined_metric_specification,
        &t.customized_metric_specification,
    ) {
        (Some(p), None) => {
            let ty = p.predefined_metric_type.as_str();
            let (m, s) = match ty {
                "SageMakerVariantInvocationsPerInstance" => {
                    (MetricId::InvocationsPerInstance, Stat::Sum)
                }
                "SageMakerVariantConcurrentRequestsPerModelHighResolution" => {
                    (MetricId::ConcurrentRequestsPerModel, Stat::Average)
                }
                "SageMakerInferenceComponentInvocationsPerCopy" => {
                    (MetricId::InvocationsPerCopy, Stat::Sum)
                }
                "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution" => {
                    (MetricId::ConcurrentRequestsPerCopy, Stat::Average)
                }
                other => {
                    return Err(fe(
                        "PredefinedMetricSpecification.PredefinedMetricType",
                        format!(
                            "{other:?} is not simulated; use SageMakerVariantInvocationsPerInstance, \
                             SageMakerVariantConcurrentRequestsPerModelHighResolution, \
                             SageMakerInferenceComponentInvocationsPerCopy or \
                             SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
                        ),
                    ));
                }
            };
            (ty.to_string(), m, s)
        }
        (None, Some(c)) => {
            let m = metric_and_namespace(&c.metric_name, c.namespace.as_deref())
                .map_err(|(f, m)| (format!("CustomizedMetricSpecification.{f}"), m))?;
            let s = statistic(
                c.statistic.as_deref(),
                "CustomizedMetricSpecification.Statistic",
            )?;
            (c.metric_name.clone(), m, s)
        }
        _ => {
            return Err(fe(
                "PredefinedMetricSpecification",
                "give exactly one of PredefinedMetricSpecification, CustomizedMetricSpecification",
            ));
        }
    };
    Ok(TargetTrackingConfig {
        target_value: t.target_value,
        metric_label: label,
        metric,
        stat,
        scale_in_cooldown_s: cooldown(t.scale_in_cooldown, "ScaleInCooldown")?,
        scale_out_cooldown_s: cooldown(t.scale_out_cooldown, "ScaleOutCooldown")?,
        disable_scale_in: t.disable_scale_in.unwrap_or(false),
    })
}

fn step_scaling(s: &RawStepScaling) -> Result<StepConfig, FieldError> {
    let adjustment_type = match s.adjustment_type.as_str() {
        "ChangeInCapacity" => AdjustmentType::ChangeInCapacity,
        "ExactCapacity" => AdjustmentType::ExactCapacity,
        "PercentChangeInCapacity" => AdjustmentType::PercentChangeInCapacity,
        other => {
            return Err(fe(
                "AdjustmentType",
                format!(
                    "unknown type {other:?}; one of ChangeInCapacity, ExactCapacity, PercentChangeInCapacity"
                ),
            ));
        }
    };
    if s.step_adjustments.is_empty() {
        return Err(fe("StepAdjustments", "give at least one step"));
    }
    let mut steps: Vec<StepAdjustment> = Vec::new();
    for (i, a) in s.step_adjustments.iter().enumerate() {
        let f = |x: &str| format!("StepAdjustments[{i}].{x}");
        if let (Some(l), Some(u)) = (a.metric_interval_lower_bound, a.metric_interval_upper_bound)
            && l >= u
        {
            return Err(fe(
                &f("MetricIntervalUpperBound"),
                "must be greater than MetricIntervalLowerBound",
            ));
        }
        if adjustment_type == AdjustmentType::ExactCapacity && a.scaling_adjustment < 0 {
            return Err(fe(
                &f("ScalingAdjustment"),
                "ExactCapacity must not be negative",
            ));
        }
        steps.push(StepAdjustment {
            lower: a.metric_interval_lower_bound,
            upper: a.metric_interval_upper_bound,
            adjustment: a.scaling_adjustment,
        });
    }
    // AWS: the ranges can't overlap or leave a gap.
    let mut sorted = steps.clone();
    sorted.sort_by(|a, b| {
        a.lower
            .unwrap_or(f64::NEG_INFINITY)
            .total_cmp(&b.lower.unwrap_or(f64::NEG_INFINITY))
    });
    for w in sorted.windows(2) {
        if w[0].upper != w[1].lower || w[0].upper.is_none() {
            return Err(fe(
                "StepAdjustments",
                "step ranges must not overlap or leave a gap (each upper bound is the next lower bound)",
            ));
        }
    }
    let min_adjustment_magnitude = match s.min_adjustment_magnitude {
        None => None,
        Some(_) if adjustment_type != AdjustmentType::PercentChangeInCapacity => {
            return Err(fe(
                "MinAdjustmentMagnitude",
                "only applies to PercentChangeInCapacity",
            ));
        }
        Some(n) if (1..=1000).contains(&n) => Some(n as u32),
        Some(n) => {
            return Err(fe(
                "MinAdjustmentMagnitude",
                format!("must be at least 1 (got {n})"),
            ));
        }
    };
    let aggregation = match s.metric_aggregation_type.as_deref() {
        None | Some("Average") => Aggregation::Average,
        Some("Minimum") => Aggregation::Minimum,
        Some("Maximum") => Aggregation::Maximum,
        Some(o) => {
            return Err(fe(
                "MetricAggregationType",
                format!("unknown type {o:?}; one of Average, Minimum, Maximum"),
            ));
        }
    };
    Ok(StepConfig {
        adjustment_type,
        steps,
        min_adjustment_magnitude,
        cooldown_s: cooldown(s.cooldown, "Cooldown")?,
        aggregation,
        alarm: AlarmSpec {
            name: String::new(),
            metric: MetricId::Invocations,
            stat: Stat::Sum,
            period_s: 60,
            threshold: 0.0,
            comparison: Comparison::GreaterThanThreshold,
            evaluation_periods: 1,
            datapoints_to_alarm: 1,
            treat_missing: TreatMissing::Missing,
        },
    })
}

fn alarm_spec(a: &RawAlarm, policy: &str) -> Result<AlarmSpec, FieldError> {
    let metric = metric_and_namespace(&a.metric_name, a.namespace.as_deref())?;
    let stat = statistic(a.statistic.as_deref(), "Statistic")?;
    let res = metric.resolution_s() as i64;
    let period = a.period.unwrap_or(60);
    let ok_period = if res == 10 {
        period == 10 || period == 30 || (period > 0 && period % 60 == 0)
    } else {
        period > 0 && period % 60 == 0
    };
    if !ok_period {
        return Err(fe(
            "Period",
            format!(
                "must be a multiple of 60{} (got {period})",
                if res == 10 {
                    ", or 10 or 30 for this high-resolution metric"
                } else {
                    ""
                }
            ),
        ));
    }
    if !a.threshold.is_finite() {
        return Err(fe("Threshold", "must be a number"));
    }
    let comparison = Comparison::ALL
        .into_iter()
        .find(|c| c.name() == a.comparison_operator)
        .ok_or_else(|| {
            fe(
                "ComparisonOperator",
                format!(
                    "unknown operator {:?}; one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, \
                     LessThanThreshold, LessThanOrEqualToThreshold",
                    a.comparison_operator
                ),
            )
        })?;
    // Checked: both come from the profile, and their product can overflow.
    if a.evaluation_periods < 1
        || a.evaluation_periods
            .checked_mul(period)
            .is_none_or(|p| p > 86_400)
    {
        return Err(fe(
            "EvaluationPeriods",
            "must be at least 1, and EvaluationPeriods × Period at most one day",
        ));
    }
    let dta = a.datapoints_to_alarm.unwrap_or(a.evaluation_periods);
    if dta < 1 || dta > a.evaluation_periods {
        return Err(fe(
            "DatapointsToAlarm",
            format!(
                "must be between 1 and EvaluationPeriods ({})",
                a.evaluation_periods
            ),
        ));
    }
    let treat_missing = match a.treat_missing_data.as_deref() {
        None | Some("missing") => TreatMissing::Missing,
        Some("notBreaching") => TreatMissing::NotBreaching,
        Some("breaching") => TreatMissing::Breaching,
        Some("ignore") => TreatMissing::Ignore,
        Some(o) => {
            return Err(fe(
                "TreatMissingData",
                format!("unknown value {o:?}; one of missing, notBreaching, breaching, ignore"),
            ));
        }
    };
    Ok(AlarmSpec {
        name: a
            .alarm_name
            .clone()
            .unwrap_or_else(|| format!("{policy}-alarm")),
        metric,
        stat,
        period_s: period as u32,
        threshold: a.threshold,
        comparison,
        evaluation_periods: a.evaluation_periods as u32,
        datapoints_to_alarm: dta as u32,
        treat_missing,
    })
}
