//! `inspect --inference-component NAME`: an inference component's scaling
//! setup instead of the variant's, in the same [`Snapshot`] (its scalable
//! target `inference-component/<name>`, policies, alarms with their period,
//! activities) plus the component's copy counts and the endpoint variant's
//! managed instance scaling.
//!
//! Copy counts and status come from `DescribeInferenceComponent`
//! (`RuntimeConfig.CurrentCopyCount` / `DesiredCopyCount`,
//! `InferenceComponentStatus`):
//! <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html>.
//! Besides the alarms the policies name and target tracking's own, the
//! alarms on the component's `NoCapacityInvocationFailures`
//! (`DescribeAlarmsForMetric`) are read: the documented scale-from-zero
//! alarm, whatever its name ("Scale an endpoint to zero instances",
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>).

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm};
use serde::Serialize;

use super::PolicyCliError;
use super::inspect::{InspectOptions, Inspected, partial_error};
use super::snapshot::{Bounds, Snapshot, fetch_with};
use crate::aws;
use crate::observe::aws::AwsClients;
use crate::observe::aws::inference_component::{ComponentCopies, NO_CAPACITY_METRIC};
use crate::resource::ScalableResource;

/// An inference component as `inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentView {
    pub name: String,
    /// `InService`, `Creating`, `Updating`, `Failed`, `Deleting`.
    pub status: String,
    pub current_copies: u32,
    pub desired_copies: u32,
    /// The hosting variant's `ManagedInstanceScaling` (Min/MaxInstanceCount),
    /// when enabled: SageMaker adds instances when copies don't fit and
    /// removes idle ones; MinInstanceCount 0 lets the endpoint reach zero
    /// instances.
    pub managed_instances: Option<Bounds>,
}

/// What [`read_component`] found before the endpoint is read.
#[derive(Debug, Clone)]
pub struct ComponentRead {
    pub copies: ComponentCopies,
    pub name: String,
}

impl ComponentRead {
    pub fn resource(&self) -> ScalableResource {
        ScalableResource::InferenceComponent {
            name: self.name.clone(),
        }
    }
}

/// `DescribeInferenceComponent`; the component must be on `endpoint`
/// (`--endpoint`), else bad input.
pub async fn read_component(
    clients: &AwsClients,
    endpoint: &str,
    name: &str,
) -> Result<ComponentRead, PolicyCliError> {
    let o = clients
        .sagemaker
        .describe_inference_component()
        .inference_component_name(name)
        .send()
        .await
        .map_err(|e| {
            PolicyCliError::Aws(format!(
                "DescribeInferenceComponent {name:?} failed: {}",
                aws::describe_error(&e)
            ))
        })?;
    let copies = ComponentCopies::of(&o);
    if let Some(on) = &copies.endpoint
        && on != endpoint
    {
        return Err(PolicyCliError::BadInput(format!(
            "--inference-component {name:?} is hosted on endpoint {on:?}, not {endpoint:?} (--endpoint)"
        )));
    }
    Ok(ComponentRead {
        copies,
        name: name.to_string(),
    })
}

/// The alarms on the component's `NoCapacityInvocationFailures`, with
/// exactly its dimension (`InferenceComponentName`).
pub async fn no_capacity_alarms(
    clients: &AwsClients,
    name: &str,
) -> Result<Vec<MetricAlarm>, String> {
    let o = clients
        .cloudwatch
        .describe_alarms_for_metric()
        .namespace(crate::metric::SAGEMAKER_NAMESPACE)
        .metric_name(NO_CAPACITY_METRIC)
        .dimensions(
            Dimension::builder()
                .name("InferenceComponentName")
                .value(name)
                .build(),
        )
        .send()
        .await
        .map_err(|e| aws::describe_error(&e))?;
    Ok(o.metric_alarms()
        .iter()
        .filter(|a| {
            let d = a.dimensions();
            d.len() == 1
                && d[0].name() == Some("InferenceComponentName")
                && d[0].value() == Some(name)
        })
        .cloned()
        .collect())
}

/// The component line: "inference component chat-ic: InService, 1
/// copy(ies) in service, 1 desired; managed instance scaling 0..2
/// instances".
pub fn component_line(c: &ComponentView) -> String {
    let managed = match c.managed_instances {
        Some(b) => format!("managed instance scaling {}..{} instances", b.min, b.max),
        None => "no managed instance scaling".into(),
    };
    format!(
        "inference component {}: {}, {} copy(ies) in service, {} desired; {managed}",
        c.name, c.status, c.current_copies, c.desired_copies
    )
}

/// `inspect --inference-component`: loads the AWS configuration, reads
/// the component's snapshot, and returns what to print.
pub fn inspect(opts: &InspectOptions, component: &str) -> Result<Inspected, PolicyCliError> {
    super::block_on(async {
        let config = aws::load_config(&opts.aws).await;
        let snapshot = inspect_with(&AwsClients::new(&config), &config, opts, component).await?;
        let output = if opts.json {
            serde_json::to_string_pretty(&snapshot).expect("snapshot serializes") + "\n"
        } else {
            super::render::inspect_text(&snapshot)
        };
        Ok(Inspected {
            output,
            partial: partial_error(&snapshot, opts.best_effort),
        })
    })?
}

/// The component's snapshot, on given clients (tests mock the calls moto
/// lacks).
pub async fn inspect_with(
    clients: &AwsClients,
    config: &SdkConfig,
    opts: &InspectOptions,
    component: &str,
) -> Result<Snapshot, PolicyCliError> {
    fetch_with(
        clients,
        config,
        &opts.endpoint,
        opts.variant.as_deref(),
        Some(component),
        opts.activities,
    )
    .await
}
