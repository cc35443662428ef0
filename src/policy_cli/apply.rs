//! `scaletrace apply`: sets a variant's target-tracking policy, and its
//! scalable target when asked, showing the before and after and asking
//! first.
//!
//! The steps, each a function tests call alone:
//! 1. [`ApplyRequest::validate`]: the flags → one typed request (no I/O);
//! 2. [`plan`]: reads AWS ([`super::snapshot::fetch`]) and works out what
//!    changes, refusing setups that cannot work (an async endpoint on
//!    InvocationsPerInstance never scales; no scalable target and no
//!    `--min-capacity`/`--max-capacity`);
//! 3. [`confirm`]: `--yes`, or a "y" on a terminal; without a terminal and
//!    without `--yes`, nothing is applied;
//! 4. [`execute`]: RegisterScalableTarget (when min/max change), then
//!    PutScalingPolicy, then (async, min 0, no step policy yet) the
//!    scale-from-zero step policy and its alarm ([`super::wake`]), then
//!    describes again so the user sees what AWS has.
//!
//! The policy goes under `SageMakerEndpointInvocationScalingPolicy` unless
//! `--policy-name` says otherwise: the console shows that name as the
//! built-in policy and any other as a custom one. Async endpoints do not
//! publish InvocationsPerInstance, so for them `--metric backlog` tracks
//! `ApproximateBacklogSizePerInstance` (Average, dimension EndpointName)
//! through a CustomizedMetricSpecification, as `scaletrace capacity`
//! recommends.

use std::fmt::Write;

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::types::{
    CustomizedMetricSpecification, MetricDimension, MetricStatistic, MetricType, PolicyType,
    PredefinedMetricSpecification, ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};

use super::PolicyCliError;
use super::render::{bounds_text, endpoint_line, policy_settings, policy_title, scaling_config};
use super::snapshot::{Bounds, PolicyView, Snapshot, fetch};
use super::wake::WakePlan;
use crate::aws;
use crate::observe::aws::AwsClients;
use crate::observe::aws_model::{BUILT_IN_POLICY, EndpointKind, ScalingFacts, startup_warnings};

/// SageMaker's default cooldown, used for a new policy when no cooldown
/// flag is given.
pub const DEFAULT_COOLDOWN_S: u32 = 300;

/// The metric the target-tracking policy tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricChoice {
    /// SageMakerVariantInvocationsPerInstance (real-time endpoints;
    /// invocations per instance per minute).
    Invocations,
    /// ApproximateBacklogSizePerInstance (async endpoints; queued requests
    /// per instance).
    Backlog,
}

impl MetricChoice {
    /// The name `policy_record` reports for it.
    pub fn metric_name(self) -> &'static str {
        match self {
            MetricChoice::Invocations => "SageMakerVariantInvocationsPerInstance",
            MetricChoice::Backlog => "ApproximateBacklogSizePerInstance",
        }
    }
}

/// The flags as given.
#[derive(Debug, Clone)]
pub struct RawApply {
    pub endpoint: String,
    pub variant: Option<String>,
    pub target_value: f64,
    pub scale_in_cooldown: Option<u32>,
    pub scale_out_cooldown: Option<u32>,
    pub min_capacity: Option<u32>,
    pub max_capacity: Option<u32>,
    pub policy_name: Option<String>,
    pub metric: MetricChoice,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyRequest {
    pub endpoint: String,
    pub variant: Option<String>,
    pub target_value: f64,
    pub scale_in_cooldown_s: Option<u32>,
    pub scale_out_cooldown_s: Option<u32>,
    /// New MinCapacity/MaxCapacity, when given.
    pub capacity: Option<Bounds>,
    pub policy_name: String,
    pub metric: MetricChoice,
}

/// The scalable target's bounds after apply: the ones given, else those
/// registered; with neither there is nothing to apply to.
pub(super) fn bounds_after(
    given: Option<Bounds>,
    registered: Option<Bounds>,
    resource_id: &str,
) -> Result<Bounds, PolicyCliError> {
    given.or(registered).ok_or_else(|| {
        PolicyCliError::BadInput(format!(
            "no scalable target is registered for {resource_id}: give --min-capacity and --max-capacity to register one"
        ))
    })
}

/// The target-tracking policy as apply leaves it, and whether that takes a
/// PutScalingPolicy. PutScalingPolicy replaces the whole configuration, so
/// cooldowns not given and DisableScaleIn keep the old policy's values
/// (else [`DEFAULT_COOLDOWN_S`]).
pub(super) fn target_tracking_after(
    name: &str,
    built_in_name: bool,
    metric: String,
    target_value: f64,
    (scale_in_cooldown_s, scale_out_cooldown_s): (Option<u32>, Option<u32>),
    old: Option<&PolicyView>,
) -> (PolicyView, bool) {
    let keep = |given: Option<u32>, old: Option<u32>| given.or(old).unwrap_or(DEFAULT_COOLDOWN_S);
    let after = PolicyView {
        name: name.to_string(),
        built_in_name,
        policy_type: "TargetTrackingScaling".into(),
        metric: Some(metric),
        target_value: Some(target_value),
        scale_in_cooldown_s: Some(keep(
            scale_in_cooldown_s,
            old.and_then(|p| p.scale_in_cooldown_s),
        )),
        scale_out_cooldown_s: Some(keep(
            scale_out_cooldown_s,
            old.and_then(|p| p.scale_out_cooldown_s),
        )),
        disable_scale_in: old.is_some_and(|p| p.disable_scale_in),
        alarms: Vec::new(),
    };
    let put = old.is_none_or(|p| {
        PolicyView {
            alarms: Vec::new(),
            ..p.clone()
        } != after
    });
    (after, put)
}

/// `--target-value`: a finite number above 0.
pub(super) fn checked_target_value(v: f64) -> Result<f64, PolicyCliError> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(PolicyCliError::BadInput(format!(
            "--target-value must be a number above 0 (got {v})"
        )))
    }
}

/// `--min-capacity`/`--max-capacity`: both or neither, min ≤ max, max ≥ 1.
pub(super) fn checked_bounds(
    min: Option<u32>,
    max: Option<u32>,
) -> Result<Option<Bounds>, PolicyCliError> {
    let bad = |m: String| Err(PolicyCliError::BadInput(m));
    match (min, max) {
        (None, None) => Ok(None),
        (Some(min), Some(max)) if min <= max && max >= 1 => Ok(Some(Bounds { min, max })),
        (Some(min), Some(max)) => bad(format!(
            "--min-capacity ({min}) must be at most --max-capacity ({max}), and --max-capacity at least 1"
        )),
        _ => bad("--min-capacity and --max-capacity go together".into()),
    }
}

impl ApplyRequest {
    pub fn validate(raw: RawApply) -> Result<ApplyRequest, PolicyCliError> {
        let bad = |m: String| Err(PolicyCliError::BadInput(m));
        checked_target_value(raw.target_value)?;
        let capacity = checked_bounds(raw.min_capacity, raw.max_capacity)?;
        let policy_name = raw
            .policy_name
            .unwrap_or_else(|| BUILT_IN_POLICY.to_string());
        if policy_name.trim().is_empty() {
            return bad("--policy-name must not be empty".into());
        }
        Ok(ApplyRequest {
            endpoint: raw.endpoint,
            variant: raw.variant,
            target_value: raw.target_value,
            scale_in_cooldown_s: raw.scale_in_cooldown,
            scale_out_cooldown_s: raw.scale_out_cooldown,
            capacity,
            policy_name,
            metric: raw.metric,
        })
    }
}

/// What `apply` will do, worked out from what AWS has now.
#[derive(Debug, Clone)]
pub struct ApplyPlan {
    pub before: Snapshot,
    pub target_after: Bounds,
    /// RegisterScalableTarget is needed (new target or new bounds).
    pub register: bool,
    pub policy_after: PolicyView,
    /// PutScalingPolicy is needed (new policy or new settings).
    pub put_policy: bool,
    pub metric: MetricChoice,
    /// The scale-from-zero step policy and alarm, when they are needed.
    pub wake: Option<WakePlan>,
    /// Warnings about the setup after the change.
    pub warnings: Vec<String>,
}

impl ApplyPlan {
    pub fn changes_nothing(&self) -> bool {
        !self.register && !self.put_policy && self.wake.is_none()
    }

    pub fn policy_before(&self) -> Option<&PolicyView> {
        self.before.policy(&self.policy_after.name)
    }
}

/// Reads AWS and works out the change; refuses setups that cannot work.
pub async fn plan(
    clients: &AwsClients,
    config: &SdkConfig,
    req: &ApplyRequest,
) -> Result<ApplyPlan, PolicyCliError> {
    let before = fetch(clients, config, &req.endpoint, req.variant.as_deref(), 0).await?;
    let kind = before.kind();
    match (kind, req.metric) {
        (EndpointKind::Async, MetricChoice::Invocations) => {
            return Err(PolicyCliError::BadInput(format!(
                "endpoint {:?} is asynchronous: it does not publish InvocationsPerInstance, so a policy on SageMakerVariantInvocationsPerInstance would never scale; use --metric backlog to track ApproximateBacklogSizePerInstance (the target value is then queued requests per instance)",
                req.endpoint
            )));
        }
        (EndpointKind::RealTime, MetricChoice::Backlog) => {
            return Err(PolicyCliError::BadInput(format!(
                "--metric backlog is for asynchronous endpoints; {:?} is real-time (it publishes no backlog metrics)",
                req.endpoint
            )));
        }
        _ => {}
    }
    let target_after = bounds_after(req.capacity, before.scalable_target, &before.resource_id)?;
    if target_after.min == 0 && kind == EndpointKind::RealTime {
        return Err(PolicyCliError::BadInput(format!(
            "--min-capacity 0 is for asynchronous endpoints; {:?} is real-time and needs at least 1 instance",
            req.endpoint
        )));
    }
    let old = before.policy(&req.policy_name);
    let (policy_after, put_policy) = target_tracking_after(
        &req.policy_name,
        req.policy_name == BUILT_IN_POLICY,
        req.metric.metric_name().into(),
        req.target_value,
        (req.scale_in_cooldown_s, req.scale_out_cooldown_s),
        old,
    );
    let register = before.scalable_target != Some(target_after);
    let wake = WakePlan::needed(&before, target_after.min);

    let mut after_policies: Vec<_> = before
        .policies
        .iter()
        .filter(|p| p.name != policy_after.name)
        .map(PolicyView::facts)
        .collect();
    after_policies.push(policy_after.facts());
    if let Some(w) = &wake {
        after_policies.push(w.view().facts());
    }
    let mut warnings = startup_warnings(&ScalingFacts {
        endpoint: before.endpoint.clone(),
        variant: before.variant.clone(),
        kind,
        bounds: Some((target_after.min, target_after.max)),
        current_instances: before.current_instances,
        policies: after_policies,
    });
    if !policy_after.built_in_name
        && !warnings
            .iter()
            .any(|w| w.contains("custom name") && w.contains(&policy_after.name))
    {
        warnings.push(format!(
            "policy {:?} has a custom name: the console shows it as a custom policy, not as the built-in {BUILT_IN_POLICY:?}",
            policy_after.name
        ));
    }
    for p in &before.policies {
        if p.name != policy_after.name && p.metric == policy_after.metric {
            warnings.push(format!(
                "policy {:?} also tracks {}: with both, AWS scales out when either asks and scales in only when both agree; remove the one you no longer want (aws application-autoscaling delete-scaling-policy --service-namespace sagemaker --scalable-dimension sagemaker:variant:DesiredInstanceCount --resource-id {} --policy-name {})",
                p.name,
                req.metric.metric_name(),
                before.resource_id,
                p.name
            ));
        }
    }
    Ok(ApplyPlan {
        before,
        target_after,
        register,
        policy_after,
        put_policy,
        metric: req.metric,
        wake,
        warnings,
    })
}

/// The before and after, as printed before asking.
pub fn render_plan(p: &ApplyPlan) -> String {
    let mut out = String::new();
    let b = &p.before;
    let _ = writeln!(out, "{}", endpoint_line(b));
    let _ = writeln!(out);
    let _ = writeln!(out, "scalable target {}", b.resource_id);
    if p.register {
        let _ = writeln!(out, "  before  {}", bounds_text(b.scalable_target));
        let _ = writeln!(
            out,
            "  after   {}  (RegisterScalableTarget)",
            bounds_text(Some(p.target_after))
        );
    } else {
        let _ = writeln!(out, "  unchanged  {}", bounds_text(Some(p.target_after)));
    }
    let name = &p.policy_after.name;
    let _ = writeln!(out, "{}", policy_title(name));
    if p.policy_after.built_in_name {
        let _ = writeln!(
            out,
            "  (the default name: the SageMaker console shows {BUILT_IN_POLICY} as the built-in policy; --policy-name changes it)"
        );
    }
    match (p.policy_before(), p.put_policy) {
        (Some(old), false) => {
            let _ = writeln!(out, "  unchanged  {}", policy_settings(old));
        }
        (old, _) => {
            let _ = writeln!(
                out,
                "  before  {}",
                old.map(policy_settings).unwrap_or_else(|| "none".into())
            );
            let _ = writeln!(
                out,
                "  after   {}  (PutScalingPolicy)",
                policy_settings(&p.policy_after)
            );
        }
    }
    if let Some(w) = &p.wake {
        // Not `policy_title`: the console's built-in/custom distinction is
        // about target tracking.
        let _ = writeln!(out, "policy {} (scale from zero)", w.policy_name);
        let _ = writeln!(
            out,
            "  (MinCapacity 0 on an async endpoint: target tracking alone leaves 0 instances only after the backlog exceeds its target value; this step policy wakes it faster)"
        );
        let _ = writeln!(out, "  before  none");
        let _ = writeln!(
            out,
            "  after   {}  (PutScalingPolicy, PutMetricAlarm)",
            w.describe()
        );
    }
    if !p.warnings.is_empty() {
        let _ = writeln!(out, "warnings");
        for w in &p.warnings {
            let _ = writeln!(out, "  ! {w}");
        }
    }
    out
}

/// `--yes` applies; otherwise a terminal is asked (through `ask`, which
/// returns the line typed) and only "y"/"yes" applies. Without a terminal
/// and without `--yes`, nothing is applied.
pub fn confirm(
    yes: bool,
    stdin_is_terminal: bool,
    ask: impl FnOnce() -> std::io::Result<String>,
) -> Result<(), PolicyCliError> {
    if yes {
        return Ok(());
    }
    if !stdin_is_terminal {
        return Err(PolicyCliError::NotConfirmed(
            "nothing applied: stdin is not a terminal, so scaletrace cannot ask for confirmation; rerun with --yes to apply without asking".into(),
        ));
    }
    let line = ask().map_err(|e| {
        PolicyCliError::NotConfirmed(format!("nothing applied: cannot read the answer ({e})"))
    })?;
    match line.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(PolicyCliError::NotConfirmed(
            "nothing applied: not confirmed".into(),
        )),
    }
}

/// The target-tracking configuration PutScalingPolicy receives.
pub fn policy_configuration(
    p: &ApplyPlan,
) -> Result<TargetTrackingScalingPolicyConfiguration, PolicyCliError> {
    let build = |e: aws_sdk_applicationautoscaling::error::BuildError| {
        PolicyCliError::BadInput(format!("cannot build the policy: {e}"))
    };
    let after = &p.policy_after;
    let mut c = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(after.target_value.unwrap_or_default())
        .set_scale_in_cooldown(after.scale_in_cooldown_s.map(|c| c as i32))
        .set_scale_out_cooldown(after.scale_out_cooldown_s.map(|c| c as i32))
        .disable_scale_in(after.disable_scale_in);
    c = match p.metric {
        MetricChoice::Invocations => c.predefined_metric_specification(
            PredefinedMetricSpecification::builder()
                .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                .build()
                .map_err(build)?,
        ),
        MetricChoice::Backlog => c.customized_metric_specification(
            CustomizedMetricSpecification::builder()
                .metric_name("ApproximateBacklogSizePerInstance")
                .namespace("AWS/SageMaker")
                .dimensions(
                    MetricDimension::builder()
                        .name("EndpointName")
                        .value(&p.before.endpoint)
                        .build()
                        .map_err(build)?,
                )
                .statistic(MetricStatistic::Average)
                .build(),
        ),
    };
    c.build().map_err(build)
}

/// Registers the scalable target (if needed), puts the policy (if needed),
/// and describes again.
pub async fn execute(
    clients: &AwsClients,
    config: &SdkConfig,
    p: &ApplyPlan,
) -> Result<Snapshot, PolicyCliError> {
    let aas = &clients.autoscaling;
    let resource = &p.before.resource_id;
    let failed =
        |api: &str, e: String| PolicyCliError::Aws(format!("{api} {resource} failed: {e}"));
    if p.register {
        aas.register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource)
            .scalable_dimension(crate::resource::ScalableResource::dimension_of_id(resource))
            .min_capacity(p.target_after.min as i32)
            .max_capacity(p.target_after.max as i32)
            .send()
            .await
            .map_err(|e| failed("RegisterScalableTarget", aws::describe_error(&e)))?;
    }
    if p.put_policy {
        aas.put_scaling_policy()
            .policy_name(&p.policy_after.name)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource)
            .scalable_dimension(crate::resource::ScalableResource::dimension_of_id(resource))
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(policy_configuration(p)?)
            .send()
            .await
            .map_err(|e| failed("PutScalingPolicy", aws::describe_error(&e)))?;
    }
    if let Some(w) = &p.wake {
        w.create(clients, resource, &p.before.endpoint).await?;
    }
    fetch(
        clients,
        config,
        &p.before.endpoint,
        Some(&p.before.variant),
        0,
    )
    .await
}

/// What AWS has after applying.
pub fn render_after(s: &Snapshot) -> String {
    let mut out = String::from("now in AWS:\n");
    out.push_str(&scaling_config(s));
    if !s.warnings.is_empty() {
        out.push_str("warnings\n");
        for w in &s.warnings {
            let _ = writeln!(out, "  ! {w}");
        }
    }
    out
}

/// Options for [`apply`], the whole command.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub request: ApplyRequest,
    pub aws: crate::profile::aws::AwsSpec,
    pub yes: bool,
}

/// The whole command: plan, print, confirm, execute, print. Output goes to
/// stdout; the question to stderr.
pub fn apply(opts: &ApplyOptions) -> Result<(), PolicyCliError> {
    use std::io::IsTerminal;
    super::block_on(async {
        let config = aws::load_config(&opts.aws).await;
        let clients = AwsClients::new(&config);
        let plan = plan(&clients, &config, &opts.request).await?;
        out!("{}", render_plan(&plan));
        if plan.changes_nothing() {
            outln!("\nAWS already has this: nothing to change.");
            return Ok(());
        }
        outln!();
        confirm(opts.yes, std::io::stdin().is_terminal(), || {
            eprint!("apply these changes? [y/N] ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })?;
        let after = execute(&clients, &config, &plan).await?;
        out!("{}", render_after(&after));
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawApply {
        RawApply {
            endpoint: "ep".into(),
            variant: None,
            target_value: 600.0,
            scale_in_cooldown: None,
            scale_out_cooldown: Some(60),
            min_capacity: None,
            max_capacity: None,
            policy_name: None,
            metric: MetricChoice::Invocations,
        }
    }

    #[test]
    fn flags_are_checked_without_io() {
        let r = ApplyRequest::validate(raw()).unwrap();
        assert_eq!(r.policy_name, BUILT_IN_POLICY);
        assert_eq!(r.capacity, None);
        let err = |raw: RawApply| ApplyRequest::validate(raw).unwrap_err().to_string();
        assert!(
            err(RawApply {
                target_value: 0.0,
                ..raw()
            })
            .contains("--target-value")
        );
        assert!(
            err(RawApply {
                min_capacity: Some(2),
                ..raw()
            })
            .contains("go together")
        );
        assert!(
            err(RawApply {
                min_capacity: Some(5),
                max_capacity: Some(4),
                ..raw()
            })
            .contains("at most")
        );
        let r = ApplyRequest::validate(RawApply {
            min_capacity: Some(1),
            max_capacity: Some(4),
            ..raw()
        })
        .unwrap();
        assert_eq!(r.capacity, Some(Bounds { min: 1, max: 4 }));
    }

    #[test]
    fn confirmation() {
        let never = || -> std::io::Result<String> { panic!("must not ask") };
        assert!(confirm(true, false, never).is_ok());
        let e = confirm(false, false, never).unwrap_err();
        assert!(e.to_string().contains("--yes"), "{e}");
        assert_eq!(e.exit_code(), 2);
        assert!(confirm(false, true, || Ok("y\n".into())).is_ok());
        assert!(confirm(false, true, || Ok("YES\n".into())).is_ok());
        assert!(confirm(false, true, || Ok("\n".into())).is_err());
        assert!(confirm(false, true, || Ok("no\n".into())).is_err());
    }
}
