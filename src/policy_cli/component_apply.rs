//! `apply --inference-component NAME`: an inference component's
//! target-tracking policy, its scalable target when asked, and with
//! `--min-capacity 0` the documented scale-from-zero step policy and
//! alarm. The same steps as for a variant ([`super::apply`]): validate →
//! plan (before and after) → confirm → execute → describe again; applying
//! the same flags again changes nothing.
//!
//! The policy tracks a predefined metric: by default
//! `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`
//! (concurrent requests per copy, published every 10 seconds, so target
//! tracking scales out faster), or with `--metric invocations-per-copy`
//! `SageMakerInferenceComponentInvocationsPerCopy`; AWS, "Define a scaling
//! policy":
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html>.
//! AWS names no built-in policy for inference components, so the default
//! name is `<component>-<metric>` (`chat-ic-ConcurrentRequestsPerCopy`):
//! one policy per metric, which is how both can coexist.
//!
//! Scale to zero, AWS "Scale an endpoint to zero instances"
//! (<https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>):
//! MinCapacity 0 on the component (and MinInstanceCount 0 in the variant's
//! ManagedInstanceScaling, which `apply` checks and warns about); target
//! tracking cannot leave 0 copies, so a step-scaling policy
//! (ChangeInCapacity, MetricAggregationType Maximum, Cooldown 60, one step
//! from 0 up: +1) on a CloudWatch alarm over `NoCapacityInvocationFailures`
//! (Sum > 1 for 1 of 1 periods of 60 s, dimension InferenceComponentName,
//! the page's example as written) wakes it.

use std::fmt::Write;

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, MetricAggregationType, MetricType, PolicyType, PredefinedMetricSpecification,
    ServiceNamespace, StepAdjustment, StepScalingPolicyConfiguration,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};

use super::PolicyCliError;
use super::apply::{confirm, render_after};
use super::component::component_line;
use super::render::{bounds_text, endpoint_line, policy_settings};
use super::snapshot::{Bounds, PolicyView, Snapshot, fetch_with};
use crate::aws;
use crate::observe::aws::AwsClients;
use crate::observe::aws::inference_component::{
    ComponentFacts, NO_CAPACITY_METRIC, component_warnings,
};
use crate::resource::ScalableResource;

/// The step policy's name (policy names are per resource).
pub const WAKE_POLICY: &str = "NoCapacityInvocationFailures-ScalingPolicy";
/// The documented step policy's cooldown.
pub const WAKE_COOLDOWN_S: u32 = 60;

/// The metric the component's target-tracking policy tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComponentMetric {
    /// `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`.
    ConcurrencyPerCopy,
    /// `SageMakerInferenceComponentInvocationsPerCopy`.
    InvocationsPerCopy,
}

impl ComponentMetric {
    pub fn predefined(self) -> MetricType {
        match self {
            ComponentMetric::ConcurrencyPerCopy => {
                MetricType::SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution
            }
            ComponentMetric::InvocationsPerCopy => {
                MetricType::SageMakerInferenceComponentInvocationsPerCopy
            }
        }
    }

    /// The CloudWatch metric behind it (the default policy name's end).
    pub fn cloudwatch_name(self) -> &'static str {
        match self {
            ComponentMetric::ConcurrencyPerCopy => "ConcurrentRequestsPerCopy",
            ComponentMetric::InvocationsPerCopy => "InvocationsPerCopy",
        }
    }
}

/// `--metric` as given: a variant's metrics or a component's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricFlag {
    /// SageMakerVariantInvocationsPerInstance (real-time variants; the
    /// default for a variant).
    Invocations,
    /// ApproximateBacklogSizePerInstance (async variants).
    Backlog,
    /// SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution
    /// (inference components; their default).
    ConcurrencyPerCopy,
    /// SageMakerInferenceComponentInvocationsPerCopy (inference components).
    InvocationsPerCopy,
}

impl MetricFlag {
    /// The component's metric (default: concurrency per copy); a
    /// variant's metric is bad input.
    pub fn for_component(flag: Option<MetricFlag>) -> Result<ComponentMetric, PolicyCliError> {
        match flag {
            None | Some(MetricFlag::ConcurrencyPerCopy) => Ok(ComponentMetric::ConcurrencyPerCopy),
            Some(MetricFlag::InvocationsPerCopy) => Ok(ComponentMetric::InvocationsPerCopy),
            Some(other) => Err(PolicyCliError::BadInput(format!(
                "--metric {} is for endpoint variants; with --inference-component use concurrency-per-copy or invocations-per-copy",
                other.spelling()
            ))),
        }
    }

    /// The variant's metric (default: invocations); a component's metric
    /// is bad input.
    pub fn for_variant(
        flag: Option<MetricFlag>,
    ) -> Result<super::apply::MetricChoice, PolicyCliError> {
        use super::apply::MetricChoice;
        match flag {
            None | Some(MetricFlag::Invocations) => Ok(MetricChoice::Invocations),
            Some(MetricFlag::Backlog) => Ok(MetricChoice::Backlog),
            Some(other) => Err(PolicyCliError::BadInput(format!(
                "--metric {} is for inference components: give --inference-component NAME",
                other.spelling()
            ))),
        }
    }

    fn spelling(self) -> &'static str {
        match self {
            MetricFlag::Invocations => "invocations",
            MetricFlag::Backlog => "backlog",
            MetricFlag::ConcurrencyPerCopy => "concurrency-per-copy",
            MetricFlag::InvocationsPerCopy => "invocations-per-copy",
        }
    }
}

/// The flags as given.
#[derive(Debug, Clone)]
pub struct RawComponentApply {
    pub endpoint: String,
    pub component: String,
    pub target_value: f64,
    pub scale_in_cooldown: Option<u32>,
    pub scale_out_cooldown: Option<u32>,
    pub min_capacity: Option<u32>,
    pub max_capacity: Option<u32>,
    pub policy_name: Option<String>,
    pub metric: ComponentMetric,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentApplyRequest {
    pub endpoint: String,
    pub component: String,
    pub target_value: f64,
    pub scale_in_cooldown_s: Option<u32>,
    pub scale_out_cooldown_s: Option<u32>,
    pub capacity: Option<Bounds>,
    pub policy_name: String,
    pub metric: ComponentMetric,
}

impl ComponentApplyRequest {
    pub fn validate(raw: RawComponentApply) -> Result<ComponentApplyRequest, PolicyCliError> {
        let bad = |m: String| Err(PolicyCliError::BadInput(m));
        super::apply::checked_target_value(raw.target_value)?;
        let capacity = super::apply::checked_bounds(raw.min_capacity, raw.max_capacity)?;
        let policy_name = raw
            .policy_name
            .unwrap_or_else(|| format!("{}-{}", raw.component, raw.metric.cloudwatch_name()));
        if policy_name.trim().is_empty() {
            return bad("--policy-name must not be empty".into());
        }
        Ok(ComponentApplyRequest {
            endpoint: raw.endpoint,
            component: raw.component,
            target_value: raw.target_value,
            scale_in_cooldown_s: raw.scale_in_cooldown,
            scale_out_cooldown_s: raw.scale_out_cooldown,
            capacity,
            policy_name,
            metric: raw.metric,
        })
    }
}

/// What `apply --inference-component` will do.
#[derive(Debug, Clone)]
pub struct ComponentPlan {
    pub before: Snapshot,
    pub component: String,
    pub target_after: Bounds,
    pub register: bool,
    pub policy_after: PolicyView,
    pub put_policy: bool,
    pub metric: ComponentMetric,
    /// The scale-from-zero step policy and its alarm (name), when needed.
    pub wake_alarm: Option<String>,
    pub warnings: Vec<String>,
}

impl ComponentPlan {
    pub fn changes_nothing(&self) -> bool {
        !self.register && !self.put_policy && self.wake_alarm.is_none()
    }
}

/// Whether a step policy with an alarm on NoCapacityInvocationFailures is
/// there.
fn has_wake(s: &Snapshot) -> bool {
    s.policies.iter().any(|p| {
        p.policy_type == "StepScaling" && p.alarms.iter().any(|a| a.metric == NO_CAPACITY_METRIC)
    })
}

/// Reads AWS and works out the change.
pub async fn plan(
    clients: &AwsClients,
    config: &SdkConfig,
    req: &ComponentApplyRequest,
) -> Result<ComponentPlan, PolicyCliError> {
    let before = fetch_with(
        clients,
        config,
        &req.endpoint,
        None,
        Some(&req.component),
        0,
    )
    .await?;
    let target_after =
        super::apply::bounds_after(req.capacity, before.scalable_target, &before.resource_id)?;
    let old = before.policy(&req.policy_name);
    let (policy_after, put_policy) = super::apply::target_tracking_after(
        &req.policy_name,
        false,
        req.metric.predefined().as_str().into(),
        req.target_value,
        (req.scale_in_cooldown_s, req.scale_out_cooldown_s),
        old,
    );
    let register = before.scalable_target != Some(target_after);
    let wake_alarm = (target_after.min == 0 && !has_wake(&before))
        .then(|| format!("{}-{NO_CAPACITY_METRIC}", req.component));

    let mut policies: Vec<_> = before
        .policies
        .iter()
        .filter(|p| p.name != policy_after.name)
        .map(PolicyView::facts)
        .collect();
    policies.push(policy_after.facts());
    if wake_alarm.is_some() {
        policies.push(crate::observe::aws_model::PolicyFacts {
            name: WAKE_POLICY.into(),
            policy_type: "StepScaling".into(),
            metric: None,
        });
    }
    let mut warnings = component_warnings(&ComponentFacts {
        resource: ScalableResource::InferenceComponent {
            name: req.component.clone(),
        },
        bounds: Some((target_after.min, target_after.max)),
        current_copies: before
            .inference_component
            .as_ref()
            .map(|c| c.current_copies),
        policies,
    });
    let managed_min = before
        .inference_component
        .as_ref()
        .and_then(|c| c.managed_instances)
        .map(|b| b.min);
    if target_after.min == 0 && managed_min != Some(0) {
        warnings.push(format!(
            "variant {} of endpoint {} has {}: the component can reach 0 copies, but the endpoint keeps its instances (scale to zero needs ManagedInstanceScaling MinInstanceCount 0 in the endpoint config)",
            before.variant,
            before.endpoint,
            match managed_min {
                Some(m) => format!("managed instance scaling with MinInstanceCount {m}"),
                None => "no managed instance scaling".into(),
            }
        ));
    }
    Ok(ComponentPlan {
        component: req.component.clone(),
        before,
        target_after,
        register,
        policy_after,
        put_policy,
        metric: req.metric,
        wake_alarm,
        warnings,
    })
}

/// The step policy and alarm, as one plan line.
fn wake_words(alarm: &str) -> String {
    format!(
        "StepScaling +1 copy (ChangeInCapacity, MetricAggregationType Maximum, cooldown {WAKE_COOLDOWN_S} s) when alarm {alarm:?} fires: {NO_CAPACITY_METRIC} Sum > 1 for 1 of 1 periods of 60 s"
    )
}

/// The before and after, as printed before asking.
pub fn render_plan(p: &ComponentPlan) -> String {
    let mut out = String::new();
    let b = &p.before;
    let _ = writeln!(out, "{}", endpoint_line(b));
    if let Some(c) = &b.inference_component {
        let _ = writeln!(out, "{}", component_line(c));
    }
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
    let _ = writeln!(out, "policy {}", p.policy_after.name);
    match (b.policy(&p.policy_after.name), p.put_policy) {
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
    if let Some(alarm) = &p.wake_alarm {
        let _ = writeln!(out, "policy {WAKE_POLICY} (scale from zero)");
        let _ = writeln!(
            out,
            "  (MinCapacity 0: target tracking cannot scale out from 0 copies; AWS documents this step policy and alarm to wake the component)"
        );
        let _ = writeln!(out, "  before  none");
        let _ = writeln!(
            out,
            "  after   {}  (PutScalingPolicy, PutMetricAlarm)",
            wake_words(alarm)
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

/// RegisterScalableTarget, PutScalingPolicy, the wake policy and alarm
/// (each only when needed), then describes again.
pub async fn execute(
    clients: &AwsClients,
    config: &SdkConfig,
    p: &ComponentPlan,
) -> Result<Snapshot, PolicyCliError> {
    let aas = &clients.autoscaling;
    let resource = ScalableResource::InferenceComponent {
        name: p.component.clone(),
    };
    let id = resource.resource_id();
    let failed = |api: &str, e: String| PolicyCliError::Aws(format!("{api} {id} failed: {e}"));
    let build = |e: aws_sdk_applicationautoscaling::error::BuildError| {
        PolicyCliError::BadInput(format!("cannot build the policy: {e}"))
    };
    if p.register {
        aas.register_scalable_target()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&id)
            .scalable_dimension(resource.scalable_dimension())
            .min_capacity(p.target_after.min as i32)
            .max_capacity(p.target_after.max as i32)
            .send()
            .await
            .map_err(|e| failed("RegisterScalableTarget", aws::describe_error(&e)))?;
    }
    if p.put_policy {
        let after = &p.policy_after;
        let tt = TargetTrackingScalingPolicyConfiguration::builder()
            .target_value(after.target_value.unwrap_or_default())
            .set_scale_in_cooldown(after.scale_in_cooldown_s.map(|c| c as i32))
            .set_scale_out_cooldown(after.scale_out_cooldown_s.map(|c| c as i32))
            .disable_scale_in(after.disable_scale_in)
            .predefined_metric_specification(
                PredefinedMetricSpecification::builder()
                    .predefined_metric_type(p.metric.predefined())
                    .build()
                    .map_err(build)?,
            )
            .build()
            .map_err(build)?;
        aas.put_scaling_policy()
            .policy_name(&after.name)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&id)
            .scalable_dimension(resource.scalable_dimension())
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(tt)
            .send()
            .await
            .map_err(|e| failed("PutScalingPolicy", aws::describe_error(&e)))?;
    }
    if let Some(alarm) = &p.wake_alarm {
        let step = StepScalingPolicyConfiguration::builder()
            .adjustment_type(AdjustmentType::ChangeInCapacity)
            .metric_aggregation_type(MetricAggregationType::Maximum)
            .cooldown(WAKE_COOLDOWN_S as i32)
            .step_adjustments(
                StepAdjustment::builder()
                    .metric_interval_lower_bound(0.0)
                    .scaling_adjustment(1)
                    .build()
                    .map_err(build)?,
            )
            .build();
        let put = aas
            .put_scaling_policy()
            .policy_name(WAKE_POLICY)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&id)
            .scalable_dimension(resource.scalable_dimension())
            .policy_type(PolicyType::StepScaling)
            .step_scaling_policy_configuration(step)
            .send()
            .await
            .map_err(|e| failed("PutScalingPolicy", aws::describe_error(&e)))?;
        clients
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(alarm)
            .alarm_description(format!(
                "scale {} out from 0 copies when invoked without capacity (created by scaletrace apply)",
                p.component
            ))
            .alarm_actions(put.policy_arn())
            .namespace(crate::metric::SAGEMAKER_NAMESPACE)
            .metric_name(NO_CAPACITY_METRIC)
            .dimensions(
                Dimension::builder()
                    .name("InferenceComponentName")
                    .value(&p.component)
                    .build(),
            )
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(1)
            .datapoints_to_alarm(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .map_err(|e| failed("PutMetricAlarm", aws::describe_error(&e)))?;
    }
    fetch_with(
        clients,
        config,
        &p.before.endpoint,
        Some(&p.before.variant),
        Some(&p.component),
        0,
    )
    .await
}

/// The whole command: plan, print, confirm, execute, print.
pub fn apply(
    req: &ComponentApplyRequest,
    aws_spec: &crate::profile::aws::AwsSpec,
    yes: bool,
) -> Result<(), PolicyCliError> {
    use std::io::IsTerminal;
    super::block_on(async {
        let config = aws::load_config(aws_spec).await;
        let clients = AwsClients::new(&config);
        let plan = plan(&clients, &config, req).await?;
        print!("{}", render_plan(&plan));
        if plan.changes_nothing() {
            println!("\nAWS already has this: nothing to change.");
            return Ok(());
        }
        println!();
        confirm(yes, std::io::stdin().is_terminal(), || {
            eprint!("apply these changes? [y/N] ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })?;
        let after = execute(&clients, &config, &plan).await?;
        print!("{}", render_after(&after));
        Ok(())
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawComponentApply {
        RawComponentApply {
            endpoint: "ep".into(),
            component: "chat-ic".into(),
            target_value: 4.0,
            scale_in_cooldown: None,
            scale_out_cooldown: None,
            min_capacity: Some(0),
            max_capacity: Some(4),
            policy_name: None,
            metric: ComponentMetric::ConcurrencyPerCopy,
        }
    }

    #[test]
    fn flags_are_checked_and_the_policy_is_named_after_the_metric() {
        let r = ComponentApplyRequest::validate(raw()).unwrap();
        assert_eq!(r.policy_name, "chat-ic-ConcurrentRequestsPerCopy");
        assert_eq!(r.capacity, Some(Bounds { min: 0, max: 4 }));
        let r = ComponentApplyRequest::validate(RawComponentApply {
            metric: ComponentMetric::InvocationsPerCopy,
            ..raw()
        })
        .unwrap();
        assert_eq!(r.policy_name, "chat-ic-InvocationsPerCopy");
        let err = |raw| {
            ComponentApplyRequest::validate(raw)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(RawComponentApply {
                max_capacity: Some(0),
                ..raw()
            }),
            "--min-capacity (0) must be at most --max-capacity (0), and --max-capacity at least 1"
        );
        assert!(
            err(RawComponentApply {
                target_value: -1.0,
                ..raw()
            })
            .contains("--target-value")
        );
    }
}
