//! One read of a resource's scaling setup from AWS: its scalable target
//! (`DescribeScalableTargets`), its scaling policies
//! (`DescribeScalingPolicies`) and their alarms (`DescribeAlarms`). The
//! observer and `inspect` both read it here, so they cannot disagree about
//! which target, policies or alarms belong to a resource: everything is
//! matched on the exact resource id (moto matches policy resource ids by
//! substring, and a name prefix such as target tracking's
//! `TargetTracking-endpoint/e/variant/Blue-` also starts the alarms of
//! variant `Blue-2`).
//!
//! The caller decides how calls are paced and what a failure means
//! ([`Pacing`]): the observer waits for its rate limiter and backs off on
//! throttling; `inspect` calls at once and fails on a missing target read.

use std::collections::BTreeSet;

use aws_sdk_applicationautoscaling::types::{ScalingPolicy, ServiceNamespace};
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_sagemakerruntime::config::http::HttpResponse;
use aws_sdk_sagemakerruntime::error::{ProvideErrorMetadata, SdkError};
use futures::future::BoxFuture;

use super::AwsClients;
use crate::aws;
use crate::resource::ScalableResource;

/// A failed call, reduced to what callers report.
#[derive(Debug, Clone, PartialEq)]
pub struct CallFailure {
    /// `DescribeScalableTargets`, …
    pub api: &'static str,
    /// A throttling error (after the SDK's own retries).
    pub throttled: bool,
    /// The AWS error code, when there is one.
    pub code: Option<String>,
    /// One line: error code, message, HTTP status ([`error_line`]).
    pub description: String,
    /// The service answered 5xx (it is unavailable for now).
    pub unavailable: bool,
    /// What the caller's [`Pacing`] made of it (the observer's warning).
    pub warning: Option<String>,
}

impl CallFailure {
    pub fn of<E>(api: &'static str, e: &SdkError<E, HttpResponse>) -> CallFailure
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        CallFailure {
            api,
            throttled: aws::is_throttling(e),
            code: e.code().map(str::to_string),
            description: super::error_line::error_line(api, e),
            unavailable: super::error_line::is_unavailable(e),
            warning: None,
        }
    }
}

/// How a caller runs each call of the read.
pub trait Pacing: Send {
    /// Before each call (the observer waits for its rate limiter).
    fn before(&mut self) -> BoxFuture<'_, ()>;
    /// After each call, with its failure if it failed; a warning to journal.
    fn after(&mut self, failure: Option<&CallFailure>) -> Option<String>;
}

/// Calls at once, warns about nothing: `inspect`.
pub struct Unpaced;

impl Pacing for Unpaced {
    fn before(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }

    fn after(&mut self, _: Option<&CallFailure>) -> Option<String> {
        None
    }
}

/// The scalable target and policies of one resource.
#[derive(Debug, Clone)]
pub struct ScalingConfig {
    /// (min, max) of the resource's scalable target, when one is registered.
    pub bounds: Option<(u32, u32)>,
    /// The resource's policies, in the order AWS lists them.
    pub policies: Vec<ScalingPolicy>,
}

/// What one read found.
#[derive(Debug, Clone)]
pub struct ScalingSetup {
    /// The target and policies, or the first call that failed.
    pub config: Result<ScalingConfig, CallFailure>,
    /// Target tracking's alarms of the resource and the alarms its policies
    /// name, each once, in the order found.
    pub alarms: Vec<MetricAlarm>,
    /// Failed `DescribeAlarms` calls (the alarms found stand).
    pub alarm_failures: Vec<CallFailure>,
}

/// Target tracking names its alarms after the resource:
/// `TargetTracking-<resource id>-AlarmHigh-<id>` (and `AlarmLow`).
pub fn target_tracking_alarm_prefix(resource: &ScalableResource) -> String {
    format!("TargetTracking-{}-", resource.resource_id())
}

/// Whether `name` is one of target tracking's alarms of exactly `resource`
/// (not of another resource whose id the prefix also starts: variant
/// `Blue` and `Blue-2`).
pub fn is_target_tracking_alarm_of(name: &str, resource: &ScalableResource) -> bool {
    name.strip_prefix(&target_tracking_alarm_prefix(resource))
        .is_some_and(|rest| rest.starts_with("AlarmHigh-") || rest.starts_with("AlarmLow-"))
}

/// Reads the scalable target, policies and alarms of `resource`. The
/// alarms named are the policies' (or `known_alarms` when the policies
/// could not be read).
pub async fn read_scaling_setup(
    clients: &AwsClients,
    resource: &ScalableResource,
    known_alarms: &[String],
    pacing: &mut dyn Pacing,
) -> ScalingSetup {
    let config = read_config(clients, resource, pacing).await;
    let named: Vec<String> = match &config {
        Ok(c) => c
            .policies
            .iter()
            .flat_map(|p| p.alarms())
            .map(|a| a.alarm_name().to_string())
            .collect(),
        Err(_) => known_alarms.to_vec(),
    };
    let (alarms, alarm_failures) = read_alarms(clients, resource, &named, pacing).await;
    ScalingSetup {
        config,
        alarms,
        alarm_failures,
    }
}

/// Runs one call through `pacing`.
async fn call<T, E>(
    api: &'static str,
    pacing: &mut dyn Pacing,
    send: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, CallFailure>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    pacing.before().await;
    match send.await {
        Ok(o) => {
            pacing.after(None);
            Ok(o)
        }
        Err(e) => {
            let mut f = CallFailure::of(api, &e);
            f.warning = pacing.after(Some(&f));
            Err(f)
        }
    }
}

async fn read_config(
    clients: &AwsClients,
    resource: &ScalableResource,
    pacing: &mut dyn Pacing,
) -> Result<ScalingConfig, CallFailure> {
    let id = resource.resource_id();
    let aas = &clients.autoscaling;
    let targets = call(
        "DescribeScalableTargets",
        pacing,
        aas.describe_scalable_targets()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_ids(&id)
            .scalable_dimension(resource.scalable_dimension())
            .send(),
    )
    .await?;
    let bounds = targets
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == id)
        .map(|t| {
            (
                t.min_capacity().max(0) as u32,
                t.max_capacity().max(0) as u32,
            )
        });
    let policies = call(
        "DescribeScalingPolicies",
        pacing,
        aas.describe_scaling_policies()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(&id)
            .scalable_dimension(resource.scalable_dimension())
            .send(),
    )
    .await?;
    Ok(ScalingConfig {
        bounds,
        policies: policies
            .scaling_policies()
            .iter()
            .filter(|p| p.resource_id() == id)
            .cloned()
            .collect(),
    })
}

/// Target tracking's alarms of the resource (by name prefix, then exactly)
/// and the alarms named (by name, 100 a call), each once.
async fn read_alarms(
    clients: &AwsClients,
    resource: &ScalableResource,
    named: &[String],
    pacing: &mut dyn Pacing,
) -> (Vec<MetricAlarm>, Vec<CallFailure>) {
    let cw = &clients.cloudwatch;
    let mut alarms: Vec<MetricAlarm> = Vec::new();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let mut keep = |found: &[MetricAlarm], tracking_only: bool, out: &mut Vec<MetricAlarm>| {
        for a in found {
            let name = a.alarm_name().unwrap_or_default();
            if tracking_only && !is_target_tracking_alarm_of(name, resource) {
                continue;
            }
            if seen.insert(name.to_string()) {
                out.push(a.clone());
            }
        }
    };
    let prefix = target_tracking_alarm_prefix(resource);
    match call(
        "DescribeAlarms",
        pacing,
        cw.describe_alarms().alarm_name_prefix(&prefix).send(),
    )
    .await
    {
        Ok(o) => keep(o.metric_alarms(), true, &mut alarms),
        Err(f) => failures.push(f),
    }
    let named: Vec<String> = named
        .iter()
        .filter(|n| !is_target_tracking_alarm_of(n, resource))
        .cloned()
        .collect();
    for chunk in named.chunks(100) {
        match call(
            "DescribeAlarms",
            pacing,
            cw.describe_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .send(),
        )
        .await
        {
            Ok(o) => keep(o.metric_alarms(), false, &mut alarms),
            Err(f) => failures.push(f),
        }
    }
    (alarms, failures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_tracking_alarms_match_the_exact_resource() {
        let blue = ScalableResource::variant("ep", "Blue");
        let blue2 = ScalableResource::variant("ep", "Blue-2");
        assert_eq!(
            target_tracking_alarm_prefix(&blue),
            "TargetTracking-endpoint/ep/variant/Blue-"
        );
        let high = "TargetTracking-endpoint/ep/variant/Blue-AlarmHigh-1a2b";
        let other = "TargetTracking-endpoint/ep/variant/Blue-2-AlarmLow-3c4d";
        assert!(is_target_tracking_alarm_of(high, &blue));
        assert!(!is_target_tracking_alarm_of(other, &blue));
        assert!(is_target_tracking_alarm_of(other, &blue2));
        assert!(!is_target_tracking_alarm_of("my-step-alarm", &blue));
        let ic = ScalableResource::InferenceComponent { name: "ic".into() };
        assert!(is_target_tracking_alarm_of(
            "TargetTracking-inference-component/ic-AlarmHigh-9",
            &ic
        ));
    }
}
