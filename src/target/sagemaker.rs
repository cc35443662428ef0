//! The real-time SageMaker target: `InvokeEndpoint` through
//! aws-sdk-sagemakerruntime.
//!
//! The SDK's retries are off during measurement (a retry would hide
//! latency; throttling is counted instead). SDK errors map to outcome
//! classes in [`crate::aws::classify`]. The readiness check is
//! `DescribeEndpoint`: the endpoint must be `InService` (and have the
//! `target_variant`, when one is given).

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;

use aws_config::SdkConfig;
use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
use aws_sdk_sagemakerruntime::primitives::Blob;

use super::{Target, TargetError};
use crate::aws;
use crate::outcome::Outcome;
use crate::profile::aws::SageMakerTargetSpec;

pub struct SageMakerTarget {
    runtime: aws_sdk_sagemakerruntime::Client,
    control: aws_sdk_sagemaker::Client,
    config: SdkConfig,
    spec: SageMakerTargetSpec,
    description: String,
}

impl SageMakerTarget {
    /// Builds the target from the standard AWS chain and the profile's
    /// overrides.
    pub async fn new(spec: &SageMakerTargetSpec) -> SageMakerTarget {
        let config = aws::load_config(&spec.aws).await;
        SageMakerTarget::with_config(spec, config)
    }

    /// Builds the target on a given SDK configuration (tests pass static
    /// credentials and a local server's URL).
    pub fn with_config(spec: &SageMakerTargetSpec, config: SdkConfig) -> SageMakerTarget {
        SageMakerTarget {
            runtime: aws::runtime_client(&config),
            control: aws_sdk_sagemaker::Client::new(&config),
            description: format!(
                "sagemaker {} ({})",
                spec.endpoint_name,
                aws::region_of(&config)
            ),
            config,
            spec: spec.clone(),
        }
    }
}

/// Checks region and credentials, then describes the endpoint; errors are
/// one line ("endpoint \"x\" not found in us-east-1 …").
pub async fn describe_endpoint(
    control: &aws_sdk_sagemaker::Client,
    config: &SdkConfig,
    endpoint: &str,
) -> Result<DescribeEndpointOutput, String> {
    aws::check_config(config).await.map_err(|e| e.to_string())?;
    let region = aws::region_of(config);
    control
        .describe_endpoint()
        .endpoint_name(endpoint)
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_sagemaker::error::ProvideErrorMetadata;
            let msg = e.message().unwrap_or_default();
            if msg.contains("Could not find endpoint") {
                format!(
                    "endpoint {endpoint:?} not found in {region} (check endpoint_name and region)"
                )
            } else {
                format!(
                    "DescribeEndpoint {endpoint:?} in {region} failed: {}",
                    aws::describe_error(&e)
                )
            }
        })
}

/// Checks, via DescribeEndpoint, that the endpoint exists and is InService;
/// errors are one line. Returns the endpoint's variant names.
pub async fn check_endpoint(
    control: &aws_sdk_sagemaker::Client,
    config: &SdkConfig,
    endpoint: &str,
) -> Result<Vec<String>, String> {
    let out = describe_endpoint(control, config, endpoint).await?;
    let status = out
        .endpoint_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".into());
    if status != "InService" {
        let why = out
            .failure_reason()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        return Err(aws::one_line(format!(
            "endpoint {endpoint:?} is {status}, not InService{why}"
        )));
    }
    Ok(out
        .production_variants()
        .iter()
        .filter_map(|v| v.variant_name().map(str::to_string))
        .collect())
}

impl Target for SageMakerTarget {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        async move {
            let not_ready = |reason: String| TargetError::NotReady {
                target: self.description.clone(),
                reason,
            };
            let variants = check_endpoint(&self.control, &self.config, &self.spec.endpoint_name)
                .await
                .map_err(not_ready)?;
            if let Some(v) = &self.spec.target_variant
                && !variants.iter().any(|x| x == v)
            {
                return Err(not_ready(format!(
                    "endpoint has no variant {v:?} (it has {})",
                    variants.join(", ")
                )));
            }
            Ok(())
        }
        .boxed()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        let s = &self.spec;
        let request = self
            .runtime
            .invoke_endpoint()
            .endpoint_name(&s.endpoint_name)
            .body(Blob::new(payload.to_vec()))
            .content_type(&s.content_type)
            .set_accept(s.accept.clone())
            .set_custom_attributes(s.custom_attributes.clone())
            .set_target_variant(s.target_variant.clone())
            .set_target_model(s.target_model.clone())
            .set_inference_component_name(s.inference_component.clone());
        async move {
            match request.send().await {
                Ok(_) => Outcome::Ok,
                Err(e) => aws::classify(&e),
            }
        }
        .boxed()
    }
}
