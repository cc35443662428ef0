//! One read of a variant's scaling setup: the endpoint (kind, instance
//! counts), the scalable target, every scaling policy with its alarms, the
//! observer's warnings, and the last scaling activities with their
//! not-scaled reasons. Serializable: `scaletrace inspect --json` prints it.
//!
//! The endpoint and the scaling configuration must be readable (else
//! [`PolicyCliError::Aws`]); alarms and activities are read on: a failed
//! call is listed in [`Snapshot::errors`] with what it leaves unread, the
//! text says so where the data would be, and `inspect` exits 3 for such a
//! partial view unless `--best-effort` accepts it.

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use aws_sdk_sagemakerruntime::config::http::HttpResponse;
use aws_sdk_sagemakerruntime::error::{ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::PolicyCliError;
use super::component::{ComponentView, no_capacity_alarms, read_component};
use crate::aws;
use crate::journal::record::{AlarmConfigRecord, NotScaledReason, PolicyRecord};
use crate::observe::aws::inference_component::{ComponentFacts, component_warnings};
use crate::observe::aws::setup::{Unpaced, read_scaling_setup};
use crate::observe::aws::{
    AwsClients, alarm_config_record, kind_of_config, not_scaled_reasons, policy_record,
};
use crate::observe::aws_model::{
    BUILT_IN_POLICY, EndpointKind, PolicyFacts, ScalingFacts, desired_from_description,
    not_scaled_words, startup_warnings,
};
use crate::resource::ScalableResource;

/// The Application Auto Scaling resource of an endpoint variant.
pub fn resource_id(endpoint: &str, variant: &str) -> String {
    ScalableResource::variant(endpoint, variant).resource_id()
}

/// Everything `inspect` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub endpoint: String,
    pub region: String,
    pub variant: String,
    /// Asynchronous endpoints publish the backlog metrics, not
    /// InvocationsPerInstance.
    pub asynchronous: bool,
    /// `InService`, `Updating`, …
    pub status: String,
    pub current_instances: Option<u32>,
    pub desired_instances: Option<u32>,
    /// `endpoint/<endpoint>/variant/<variant>`.
    pub resource_id: String,
    /// None when no scalable target is registered.
    pub scalable_target: Option<Bounds>,
    pub policies: Vec<PolicyView>,
    /// Target-tracking alarms of this resource that no policy claims.
    pub other_alarms: Vec<AlarmView>,
    /// Setups that cannot scale as intended (the observer's start-up checks).
    pub warnings: Vec<String>,
    /// Newest first.
    pub activities: Vec<ActivityView>,
    /// Calls that failed (the rest of the snapshot stands): a partial view.
    pub errors: Vec<FailedCall>,
    /// Some call failed: `errors` says which, and what is missing.
    pub partial: bool,
    /// With `--inference-component`: the component whose scaling this is
    /// (then `resource_id` is `inference-component/<name>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_component: Option<ComponentView>,
}

/// What the view lacks because a call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unread {
    /// The policies' CloudWatch alarms (DescribeAlarms).
    Alarms,
    /// The last scaling activities (DescribeScalingActivities).
    Activities,
}

impl Unread {
    pub fn words(self) -> &'static str {
        match self {
            Unread::Alarms => "the policies' alarms",
            Unread::Activities => "the last scaling activities",
        }
    }
}

/// One failed call of a partial view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedCall {
    /// `DescribeAlarms`, `DescribeScalingActivities`.
    pub api: String,
    /// The AWS error code and message, or the HTTP status.
    pub error: String,
    pub unread: Unread,
}

impl FailedCall {
    /// "DescribeScalingActivities failed (HTTP 500): the last scaling
    /// activities were not read".
    pub fn line(&self) -> String {
        format!(
            "{} failed ({}): {} were not read",
            self.api,
            self.error,
            self.unread.words()
        )
    }
}

impl Snapshot {
    pub fn kind(&self) -> EndpointKind {
        if self.asynchronous {
            EndpointKind::Async
        } else {
            EndpointKind::RealTime
        }
    }

    pub fn policy(&self, name: &str) -> Option<&PolicyView> {
        self.policies.iter().find(|p| p.name == name)
    }

    /// The failed call that left `what` unread, if any.
    pub fn failure(&self, what: Unread) -> Option<&FailedCall> {
        self.errors.iter().find(|f| f.unread == what)
    }
}

/// MinCapacity / MaxCapacity of the scalable target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bounds {
    pub min: u32,
    pub max: u32,
}

/// A scaling policy and the alarms that drive it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyView {
    pub name: String,
    /// Named `SageMakerEndpointInvocationScalingPolicy`, which the console
    /// shows as the built-in policy (any other name shows as custom).
    pub built_in_name: bool,
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: String,
    /// Predefined metric type or custom metric name.
    pub metric: Option<String>,
    pub target_value: Option<f64>,
    pub scale_in_cooldown_s: Option<u32>,
    pub scale_out_cooldown_s: Option<u32>,
    pub disable_scale_in: bool,
    pub alarms: Vec<AlarmView>,
}

impl PolicyView {
    pub fn from_record(r: &PolicyRecord) -> PolicyView {
        PolicyView {
            name: r.name.clone(),
            built_in_name: r.name == BUILT_IN_POLICY,
            policy_type: r.policy_type.to_string(),
            metric: r.metric.clone(),
            target_value: r.target_value,
            scale_in_cooldown_s: r.scale_in_cooldown_s,
            scale_out_cooldown_s: r.scale_out_cooldown_s,
            disable_scale_in: r.disable_scale_in,
            alarms: Vec::new(),
        }
    }

    /// What the start-up checks look at.
    pub fn facts(&self) -> PolicyFacts {
        PolicyFacts {
            name: self.name.clone(),
            policy_type: self.policy_type.clone(),
            metric: self.metric.clone(),
        }
    }
}

/// A CloudWatch alarm: metric, threshold, M of N datapoints, current state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmView {
    pub name: String,
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    /// As CloudWatch spells it (`GreaterThanThreshold`, …).
    pub comparison: String,
    pub threshold: f64,
    pub period_s: u32,
    /// M of N: M.
    pub datapoints_to_alarm: u32,
    /// M of N: N.
    pub evaluation_periods: u32,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA`.
    pub state: Option<String>,
}

impl AlarmView {
    fn new(c: AlarmConfigRecord, state: Option<String>) -> AlarmView {
        AlarmView {
            name: c.name,
            namespace: c.namespace,
            metric: c.metric,
            stat: c.stat,
            comparison: c.comparison.to_string(),
            threshold: c.threshold,
            period_s: c.period_s,
            datapoints_to_alarm: c.datapoints_to_alarm,
            evaluation_periods: c.evaluation_periods,
            state,
        }
    }
}

/// A scaling activity, with its not-scaled reasons in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityView {
    pub id: String,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// `Successful`, `Failed`, `InProgress`, …
    pub status: String,
    pub description: String,
    pub cause: String,
    /// Desired capacity asked for, when the description says.
    pub to: Option<u32>,
    pub not_scaled: Vec<NotScaledReason>,
    /// The same, as "already at max capacity 4".
    pub not_scaled_words: Vec<String>,
}

/// A best-effort call's failure, short: the AWS error code and message, or
/// the HTTP status (a server without the operation answers with a page).
fn short_error<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => match e.raw_response() {
            Some(r) => format!("HTTP {}", r.status().as_u16()),
            None => aws::describe_error(e),
        },
    }
}

fn to_chrono(t: &aws_sdk_applicationautoscaling::primitives::DateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

/// Reads the variant's scaling setup; `activities` is how many of the last
/// scaling activities to read (0: none).
pub async fn fetch(
    clients: &AwsClients,
    config: &SdkConfig,
    endpoint: &str,
    variant: Option<&str>,
    activities: usize,
) -> Result<Snapshot, PolicyCliError> {
    fetch_with(clients, config, endpoint, variant, None, activities).await
}

/// [`fetch`], or with `component` that inference component's scaling
/// setup and copies ([`super::component`]); its variant, unless given, is
/// the one hosting it.
pub async fn fetch_with(
    clients: &AwsClients,
    config: &SdkConfig,
    endpoint: &str,
    variant: Option<&str>,
    component: Option<&str>,
    activities: usize,
) -> Result<Snapshot, PolicyCliError> {
    let read = match component {
        Some(name) => Some(read_component(clients, endpoint, name).await?),
        None => None,
    };
    let variant = variant.or(read.as_ref().and_then(|r| r.copies.variant.as_deref()));
    let region = aws::region_of(config);
    let ep = crate::target::sagemaker::describe_endpoint(
        &clients.sagemaker,
        config,
        endpoint,
        crate::target::sagemaker::NamedBy::Flag,
    )
    .await
    .map_err(|e| PolicyCliError::Aws(e.to_string()))?;
    let variants: Vec<&str> = ep
        .production_variants()
        .iter()
        .filter_map(|v| v.variant_name())
        .collect();
    let variant = match variant {
        Some(v) if variants.contains(&v) => v.to_string(),
        Some(v) => {
            return Err(PolicyCliError::Aws(format!(
                "endpoint {endpoint:?} has no variant {v:?} (it has {})",
                variants.join(", ")
            )));
        }
        None => variants
            .first()
            .map(|v| v.to_string())
            .ok_or_else(|| PolicyCliError::Aws(format!("endpoint {endpoint:?} has no variant")))?,
    };
    let pv = ep
        .production_variants()
        .iter()
        .find(|v| v.variant_name() == Some(variant.as_str()));
    let config_name = ep.endpoint_config_name().unwrap_or_default();
    let kind = clients
        .sagemaker
        .describe_endpoint_config()
        .endpoint_config_name(config_name)
        .send()
        .await
        .map(|c| kind_of_config(&c))
        .map_err(|e| {
            PolicyCliError::Aws(format!(
                "DescribeEndpointConfig {config_name:?} failed: {}",
                aws::describe_error(&e)
            ))
        })?;
    let scalable = match &read {
        Some(r) => r.resource(),
        None => ScalableResource::variant(endpoint, &variant),
    };
    let resource = scalable.resource_id();
    // The observer reads the same way (`observe::aws::setup`).
    let setup = read_scaling_setup(clients, &scalable, &[], &mut Unpaced).await;
    let config = setup.config.map_err(|f| {
        PolicyCliError::Aws(format!("{} {resource} failed: {}", f.api, f.description))
    })?;
    let scalable_target = config.bounds.map(|(min, max)| Bounds { min, max });
    let raw_policies = config.policies;
    let records: Vec<PolicyRecord> = raw_policies.iter().map(|p| policy_record(p, 0.0)).collect();
    let mut policies: Vec<PolicyView> = records.iter().map(PolicyView::from_record).collect();

    let mut errors: Vec<FailedCall> = setup
        .alarm_failures
        .iter()
        .map(|f| FailedCall {
            api: f.api.to_string(),
            error: aws::one_line(f.description.clone()),
            unread: Unread::Alarms,
        })
        .collect();
    let mut alarms = setup.alarms;
    if let Some(r) = &read {
        match no_capacity_alarms(clients, &r.name).await {
            Ok(found) => {
                for a in found {
                    if !alarms.iter().any(|x| x.alarm_name() == a.alarm_name()) {
                        alarms.push(a);
                    }
                }
            }
            Err(e) => errors.push(FailedCall {
                api: "DescribeAlarmsForMetric".into(),
                error: aws::one_line(e),
                unread: Unread::Alarms,
            }),
        }
    }
    alarms.sort_by(|a, b| a.alarm_name().cmp(&b.alarm_name()));
    let mut other_alarms = Vec::new();
    for a in alarms {
        let name = a.alarm_name().unwrap_or_default();
        // The policy that names the alarm, or whose ARN the alarm triggers.
        let owner = records
            .iter()
            .position(|r| r.alarms.iter().any(|n| n == name))
            .or_else(|| {
                raw_policies.iter().position(|p| {
                    a.alarm_actions()
                        .iter()
                        .any(|act| act.starts_with(p.policy_arn()) && !p.policy_arn().is_empty())
                })
            });
        let view = AlarmView::new(
            alarm_config_record(&a, 0.0, owner.map(|i| records[i].name.clone())),
            a.state_value().map(|s| s.as_str().to_string()),
        );
        match owner {
            Some(i) => policies[i].alarms.push(view),
            None => other_alarms.push(view),
        }
    }

    let current_instances = pv
        .and_then(|v| v.current_instance_count())
        .map(|c| c.max(0) as u32);
    let warnings = match &read {
        Some(r) => component_warnings(&ComponentFacts {
            resource: scalable.clone(),
            bounds: scalable_target.map(|b| (b.min, b.max)),
            current_copies: Some(r.copies.current),
            policies: policies.iter().map(PolicyView::facts).collect(),
        }),
        None => startup_warnings(&ScalingFacts {
            endpoint: endpoint.to_string(),
            variant: variant.clone(),
            kind,
            bounds: scalable_target.map(|b| (b.min, b.max)),
            current_instances,
            policies: policies.iter().map(PolicyView::facts).collect(),
        }),
    };
    let managed_instances = pv
        .and_then(|v| v.managed_instance_scaling())
        .filter(|m| {
            m.status() == Some(&aws_sdk_sagemaker::types::ManagedInstanceScalingStatus::Enabled)
        })
        .map(|m| Bounds {
            min: m.min_instance_count().unwrap_or(0).max(0) as u32,
            max: m.max_instance_count().unwrap_or(0).max(0) as u32,
        });
    let inference_component = read.map(|r| ComponentView {
        name: r.name,
        status: r.copies.status,
        current_copies: r.copies.current,
        desired_copies: r.copies.desired,
        managed_instances,
    });
    let activities = if activities == 0 {
        Vec::new()
    } else {
        fetch_activities(clients, &resource, activities, &mut errors).await
    };
    Ok(Snapshot {
        endpoint: endpoint.to_string(),
        region,
        variant,
        asynchronous: kind == EndpointKind::Async,
        status: ep
            .endpoint_status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "Unknown".into()),
        current_instances,
        desired_instances: pv
            .and_then(|v| v.desired_instance_count())
            .map(|c| c.max(0) as u32),
        resource_id: resource,
        scalable_target,
        policies,
        other_alarms,
        warnings,
        activities,
        partial: !errors.is_empty(),
        errors,
        inference_component,
    })
}

/// The last `n` scaling activities, newest first, with not-scaled reasons.
async fn fetch_activities(
    clients: &AwsClients,
    resource: &str,
    n: usize,
    errors: &mut Vec<FailedCall>,
) -> Vec<ActivityView> {
    let res = clients
        .autoscaling
        .describe_scaling_activities()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource)
        .scalable_dimension(ScalableResource::dimension_of_id(resource))
        .include_not_scaled_activities(true)
        .max_results(n.min(50) as i32)
        .send()
        .await;
    let o = match res {
        Ok(o) => o,
        Err(e) => {
            errors.push(FailedCall {
                api: "DescribeScalingActivities".into(),
                error: short_error(&e),
                unread: Unread::Activities,
            });
            return Vec::new();
        }
    };
    let mut list: Vec<ActivityView> = o
        .scaling_activities()
        .iter()
        .map(|a| {
            let not_scaled = not_scaled_reasons(a);
            ActivityView {
                id: a.activity_id().to_string(),
                start: to_chrono(a.start_time()),
                end: a.end_time().map(to_chrono),
                status: a.status_code().as_str().to_string(),
                description: a.description().to_string(),
                cause: a.cause().to_string(),
                to: desired_from_description(a.description()),
                not_scaled_words: not_scaled.iter().map(not_scaled_words).collect(),
                not_scaled,
            }
        })
        .collect();
    list.sort_by_key(|a| std::cmp::Reverse(a.start));
    list.truncate(n);
    list
}
