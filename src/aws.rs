//! AWS plumbing shared by the SageMaker targets and the AWS observer: the
//! SDK configuration from the standard chain (with the profile's `region`,
//! `profile` and `endpoint_url` overrides), a credentials check that fails
//! in one clear line, the clients, and SDK errors → outcome classes.
//!
//! Tests hand in their own [`SdkConfig`] (static credentials, a local AWS
//! API server's URL), so everything below the config is the real SDK.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sagemakerruntime::config::StalledStreamProtectionConfig;
use aws_sdk_sagemakerruntime::config::http::HttpResponse;
use aws_sdk_sagemakerruntime::config::retry::RetryConfig;
use aws_sdk_sagemakerruntime::error::{ProvideErrorMetadata, SdkError};

use crate::outcome::Outcome;
use crate::profile::aws::AwsSpec;

pub mod credentials;

/// Loads the SDK configuration: the standard chain (environment, `~/.aws`
/// profiles and SSO, container and instance roles), then the overrides.
pub async fn load_config(spec: &AwsSpec) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(r) = &spec.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &spec.profile {
        loader = loader.profile_name(p);
    }
    if let Some(u) = &spec.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    // The SDK would go on to IMDS and report no region; say what is wrong.
    if let Some(missing) = credentials::missing_profile(spec).await {
        loader = loader.credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                credentials::MissingProfileProvider(missing),
            ),
        );
    }
    loader.load().await
}

/// Why the AWS configuration cannot be used; each message is one sentence
/// saying what is missing and how to provide it ([`credentials`]).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no AWS region: pass --region, set AWS_REGION, `region` in the profile's [target], or `region` in the AWS profile ({})",
        credentials::SharedFiles::from_env().config
    )]
    NoRegion,
    #[error("no AWS credentials provider configured")]
    NoCredentialsProvider,
    /// The provider chain failed: what that means, in one sentence.
    #[error("{0}")]
    Credentials(credentials::CredentialsProblem),
}

/// Checks credentials resolve and a region is set. Credentials first: a
/// missing profile also leaves no region, and its name is the news.
pub async fn check_config(config: &SdkConfig) -> Result<(), ConfigError> {
    let Some(provider) = config.credentials_provider() else {
        return Err(ConfigError::NoCredentialsProvider);
    };
    provider
        .provide_credentials()
        .await
        .map_err(|e| ConfigError::Credentials(credentials::explain(&e)))?;
    if config.region().is_none() {
        return Err(ConfigError::NoRegion);
    }
    Ok(())
}

/// The region a config will use, for messages.
pub fn region_of(config: &SdkConfig) -> String {
    config
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "(no region)".into())
}

/// The SageMaker Runtime client for measurement: no retries (a retry would
/// hide latency; throttling is counted instead) and no stalled-stream
/// protection (a slow model is measured, not cut off; the invoker applies
/// the profile's timeout).
pub fn runtime_client(config: &SdkConfig) -> aws_sdk_sagemakerruntime::Client {
    let conf = aws_sdk_sagemakerruntime::config::Builder::from(config)
        .retry_config(RetryConfig::disabled())
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    aws_sdk_sagemakerruntime::Client::from_conf(conf)
}

/// Attempts for the start-up check (DescribeEndpoint before a run or
/// `observe`, where a failure ends it with exit 3): the first and up to
/// nine retries. The SDK's default is three (AWS SDK for Rust,
/// "Configuring retries":
/// <https://docs.aws.amazon.com/sdk-for-rust/latest/dg/retries.html>),
/// which half of all calls throttled exhausts one start in eight.
pub const STARTUP_MAX_ATTEMPTS: u32 = 10;

/// Attempts for each observer call: a failure there is a warning and the
/// next poll tries again, and a call that keeps failing (a 5xx on every
/// attempt) should not hold a poll for long, so fewer than at start-up.
pub const OBSERVER_MAX_ATTEMPTS: u32 = 4;

/// How the control-plane clients (SageMaker, CloudWatch, Application Auto
/// Scaling) retry: the SDK's standard retry mode (throttling and transient
/// errors retried with exponential backoff and jitter, under a retry
/// quota; "Retry behavior", AWS SDKs and Tools Reference Guide:
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>)
/// with more attempts at start-up. Retrying is the SDK's alone: the
/// observer only paces its calls with its governor limiter and backs off
/// between polls when throttling still comes through, so throttling never
/// ends a run or `observe`.
///
/// Not the adaptive mode: its client-side limiter charges a retry 5 tokens
/// and, once throttled, refills at 0.5 token/s on a client that sends a few
/// calls a second (aws-smithy-runtime 1.9 `client_rate_limiter.rs`), so
/// each retry waited about 10 s: `observe` through a proxy throttling half
/// the calls took 48.6 s to start in adaptive mode, 3.1 s in standard
/// mode (`tests/observe_throttling.rs`). Our pacing is the governor
/// limiter already in front of every observer call.
///
/// Measurement calls keep [`runtime_client`]'s no-retry setting.
pub fn startup_retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(STARTUP_MAX_ATTEMPTS)
        .with_initial_backoff(std::time::Duration::from_millis(500))
        .with_max_backoff(std::time::Duration::from_secs(10))
}

/// The observer's calls: [`startup_retry_config`]'s mode with
/// [`OBSERVER_MAX_ATTEMPTS`] and shorter waits (at most 1.75 s of backoff
/// per call).
pub fn observer_retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(OBSERVER_MAX_ATTEMPTS)
        .with_initial_backoff(std::time::Duration::from_millis(250))
        .with_max_backoff(std::time::Duration::from_secs(2))
}

/// A stalled control-plane attempt is given up after this long and retried
/// (the SDK sets no attempt timeout by default, so one hung connection
/// would hold a call for ever).
pub const CONTROL_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

fn control_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(CONTROL_ATTEMPT_TIMEOUT)
        .build()
}

/// The SageMaker control-plane client for the start-up check (and the
/// targets' own control calls), retrying as [`startup_retry_config`].
pub fn sagemaker_client(config: &SdkConfig) -> aws_sdk_sagemaker::Client {
    let conf = aws_sdk_sagemaker::config::Builder::from(config)
        .retry_config(startup_retry_config())
        .timeout_config(control_timeouts())
        .build();
    aws_sdk_sagemaker::Client::from_conf(conf)
}

/// The observer's three clients (CloudWatch, Application Auto Scaling,
/// SageMaker), retrying as [`observer_retry_config`].
pub fn observer_clients(
    config: &SdkConfig,
) -> (
    aws_sdk_cloudwatch::Client,
    aws_sdk_applicationautoscaling::Client,
    aws_sdk_sagemaker::Client,
) {
    let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(config)
        .retry_config(observer_retry_config())
        .timeout_config(control_timeouts())
        .build();
    let autoscaling = aws_sdk_applicationautoscaling::config::Builder::from(config)
        .retry_config(observer_retry_config())
        .timeout_config(control_timeouts())
        .build();
    let sagemaker = aws_sdk_sagemaker::config::Builder::from(config)
        .retry_config(observer_retry_config())
        .timeout_config(control_timeouts())
        .build();
    (
        aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
        aws_sdk_applicationautoscaling::Client::from_conf(autoscaling),
        aws_sdk_sagemaker::Client::from_conf(sagemaker),
    )
}

/// The S3 client; path-style addressing when an endpoint URL is given
/// (local servers and some VPC endpoints can't serve virtual hosts).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// One line, however the SDK formats its error chain.
pub fn one_line(s: String) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An SDK error as one line with its whole chain of messages, without the
/// Debug dump `DisplayErrorContext` appends (raw responses, headers,
/// bodies).
pub fn describe_error<E, R>(e: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    credentials::display_chain(e)
}

/// Maps an SDK error to an outcome class (see [`classify_code`]). Timeouts
/// are `timeout`; connection (dispatch) failures are `connect_error`.
pub fn classify<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> Outcome {
    let status = |r: &HttpResponse| r.status().as_u16();
    match e {
        SdkError::ServiceError(se) => classify_code(se.err().code(), status(se.raw())),
        SdkError::TimeoutError(_) => Outcome::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => Outcome::Timeout,
        SdkError::DispatchFailure(_) => Outcome::ConnectError,
        SdkError::ResponseError(r) => match Outcome::from_status(status(r.raw())) {
            Outcome::Ok => Outcome::Other,
            o => o,
        },
        _ => Outcome::Other,
    }
}

/// SageMaker's error codes → outcome classes: ModelError → `model_error`,
/// ThrottlingException → `throttled`, ValidationError → `http_4xx`,
/// ServiceUnavailable / InternalFailure → `http_5xx`; anything else by its
/// HTTP status.
pub fn classify_code(code: Option<&str>, status: u16) -> Outcome {
    match code {
        Some("ModelError") => Outcome::ModelError,
        Some("ThrottlingException" | "Throttling" | "TooManyRequestsException" | "SlowDown") => {
            Outcome::Throttled
        }
        Some("ValidationError" | "ValidationException") => Outcome::Http4xx,
        Some("ServiceUnavailable" | "InternalFailure" | "InternalDependencyException") => {
            Outcome::Http5xx
        }
        _ => Outcome::from_status(status),
    }
}

/// True for the error codes AWS uses when an API call is throttled.
pub fn is_throttling<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    matches!(
        e.code(),
        Some(
            "Throttling"
                | "ThrottlingException"
                | "ThrottledException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "SlowDown"
                | "LimitExceeded"
                | "LimitExceededException"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_are_one_line_saying_what_to_do() {
        assert!(
            ConfigError::NoRegion
                .to_string()
                .starts_with("no AWS region: pass --region, set AWS_REGION")
        );
    }

    #[test]
    fn codes_map_to_sagemaker_classes() {
        assert_eq!(classify_code(Some("ModelError"), 424), Outcome::ModelError);
        assert_eq!(
            classify_code(Some("ThrottlingException"), 400),
            Outcome::Throttled
        );
        assert_eq!(
            classify_code(Some("ValidationError"), 400),
            Outcome::Http4xx
        );
        assert_eq!(
            classify_code(Some("ServiceUnavailable"), 503),
            Outcome::Http5xx
        );
        assert_eq!(
            classify_code(Some("InternalFailure"), 500),
            Outcome::Http5xx
        );
        assert_eq!(
            classify_code(Some("ModelNotReadyException"), 429),
            Outcome::Throttled
        );
        assert_eq!(classify_code(None, 502), Outcome::Http5xx);
    }

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("a\n  b\tc ".into()), "a b c");
    }
}
