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
use aws_sdk_sagemaker::config::http::HttpResponse;
use aws_sdk_sagemaker::error::SdkError;
use aws_sdk_sagemaker::operation::describe_endpoint::{
    DescribeEndpointError, DescribeEndpointOutput,
};
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
            control: aws::sagemaker_client(&config),
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

type DescribeEndpointSdkError = SdkError<DescribeEndpointError, HttpResponse>;

/// Why an endpoint cannot be used (or observed).
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Region or credentials missing ([`aws::check_config`]).
    #[error(transparent)]
    Config(#[from] aws::ConfigError),
    #[error("endpoint {endpoint:?} not found in {region} (check {named_by} and the region)")]
    NotFound {
        endpoint: String,
        region: String,
        named_by: NamedBy,
        #[source]
        source: Box<DescribeEndpointSdkError>,
    },
    /// The message has the SDK error's whole chain on one line, as the CLI
    /// prints only the top error.
    #[error("DescribeEndpoint {endpoint:?} in {region} failed: {}", describe(.source))]
    Describe {
        endpoint: String,
        region: String,
        #[source]
        source: Box<DescribeEndpointSdkError>,
    },
    /// `why` is `": <failure reason>"` on one line, or empty.
    #[error("endpoint {endpoint:?} is {status}, not InService{why}")]
    NotInService {
        endpoint: String,
        status: String,
        why: String,
    },
    #[error("endpoint has no variant {variant:?} (it has {})", .variants.join(", "))]
    NoVariant {
        variant: String,
        variants: Vec<String>,
    },
}

/// Where the user named the endpoint, so the not-found hint names only
/// that: the `--endpoint` flag (`observe`, `inspect`, `apply`) or the
/// profile's `endpoint_name` (`run`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    Flag,
    Profile,
}

impl std::fmt::Display for NamedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NamedBy::Flag => "--endpoint",
            NamedBy::Profile => "endpoint_name in the profile's [target]",
        })
    }
}

fn describe(e: &DescribeEndpointSdkError) -> String {
    aws::describe_error(e)
}

/// Checks region and credentials, then describes the endpoint; errors are
/// one line ("endpoint \"x\" not found in us-east-1 …").
pub async fn describe_endpoint(
    control: &aws_sdk_sagemaker::Client,
    config: &SdkConfig,
    endpoint: &str,
    named_by: NamedBy,
) -> Result<DescribeEndpointOutput, EndpointError> {
    aws::check_config(config).await?;
    let region = aws::region_of(config);
    control
        .describe_endpoint()
        .endpoint_name(endpoint)
        .send()
        .await
        .map_err(|e| {
            use aws_sdk_sagemaker::error::ProvideErrorMetadata;
            let (endpoint, region, source) = (endpoint.to_string(), region, Box::new(e));
            if source
                .message()
                .unwrap_or_default()
                .contains("Could not find endpoint")
            {
                EndpointError::NotFound {
                    endpoint,
                    region,
                    named_by,
                    source,
                }
            } else {
                EndpointError::Describe {
                    endpoint,
                    region,
                    source,
                }
            }
        })
}

/// Checks, via DescribeEndpoint, that the endpoint exists and is InService;
/// errors are one line. Returns the endpoint's variant names.
pub async fn check_endpoint(
    control: &aws_sdk_sagemaker::Client,
    config: &SdkConfig,
    endpoint: &str,
    named_by: NamedBy,
) -> Result<Vec<String>, EndpointError> {
    let out = describe_endpoint(control, config, endpoint, named_by).await?;
    let status = out
        .endpoint_status()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".into());
    if status != "InService" {
        // One line, as the whole message was before it had fields: the
        // endpoint name and status have no white space to collapse.
        let why = out
            .failure_reason()
            .map(|r| aws::one_line(format!(": {r}")))
            .unwrap_or_default();
        return Err(EndpointError::NotInService {
            endpoint: endpoint.to_string(),
            status,
            why,
        });
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
            let not_ready = |e| TargetError::unready(&self.description, e);
            let variants = check_endpoint(
                &self.control,
                &self.config,
                &self.spec.endpoint_name,
                NamedBy::Profile,
            )
            .await
            .map_err(not_ready)?;
            if let Some(v) = &self.spec.target_variant
                && !variants.iter().any(|x| x == v)
            {
                return Err(not_ready(EndpointError::NoVariant {
                    variant: v.clone(),
                    variants,
                }));
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
