//! The real-time SageMaker target with `stream = true`:
//! `InvokeEndpointWithResponseStream` through aws-sdk-sagemakerruntime.
//!
//! The response is an event stream of `PayloadPart` events, each "a portion
//! of the response for a streaming inference request"; the stream's errors
//! are `ModelStreamError` ("an error occurred while streaming the response
//! body": `ModelInvocationTimeExceeded`, `StreamBroken`) and
//! `InternalStreamFailure` ("the stream processing failed because of an
//! unknown error"). Source: SageMaker API reference, ResponseStream,
//! <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_ResponseStream.html>,
//! and the SDK's `InvokeEndpointWithResponseStreamError`
//! (<https://docs.rs/aws-sdk-sagemakerruntime/latest/aws_sdk_sagemakerruntime/operation/invoke_endpoint_with_response_stream/enum.InvokeEndpointWithResponseStreamError.html>).
//!
//! A `ModelStreamError` counts as `model_error` (the model side broke the
//! stream), an `InternalStreamFailure` as `http_5xx` (SageMaker's side);
//! the parts received before either still count toward TTFT and
//! inter-token latency. Readiness is [`SageMakerTarget`]'s
//! (`DescribeEndpoint`), and `inference_component` is sent as
//! `InferenceComponentName` as there.

use aws_config::SdkConfig;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemakerruntime::primitives::Blob;
use aws_sdk_sagemakerruntime::types::ResponseStream;
use aws_sdk_sagemakerruntime::types::error::ResponseStreamError;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::sagemaker::SageMakerTarget;
use super::stream::{PartTracker, Reply};
use super::{Target, TargetError};
use crate::aws;
use crate::outcome::Outcome;
use crate::profile::aws::SageMakerTargetSpec;
use crate::profile::stream::StreamSpec;

pub struct SageMakerStreamTarget {
    inner: SageMakerTarget,
    runtime: aws_sdk_sagemakerruntime::Client,
    spec: SageMakerTargetSpec,
    stream: StreamSpec,
}

impl SageMakerStreamTarget {
    /// Builds the target on a given SDK configuration (tests pass static
    /// credentials and a local server's URL).
    pub fn with_config(
        spec: &SageMakerTargetSpec,
        stream: &StreamSpec,
        config: SdkConfig,
    ) -> SageMakerStreamTarget {
        SageMakerStreamTarget {
            runtime: aws::runtime_client(&config),
            inner: SageMakerTarget::with_config(spec, config),
            spec: spec.clone(),
            stream: stream.clone(),
        }
    }
}

/// The stream's error codes first, then SageMaker's usual ones
/// ([`aws::classify_code`]).
fn classify_code(code: Option<&str>, status: u16) -> Outcome {
    match code {
        Some("ModelStreamError") => Outcome::ModelError,
        Some("InternalStreamFailure") => Outcome::Http5xx,
        _ => aws::classify_code(code, status),
    }
}

/// An error event (or a broken stream) after the response started.
fn classify_stream_error<R>(e: &SdkError<ResponseStreamError, R>) -> Outcome {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            ResponseStreamError::ModelStreamError(_) => Outcome::ModelError,
            ResponseStreamError::InternalStreamFailure(_) => Outcome::Http5xx,
            other => classify_code(other.code(), 500),
        },
        SdkError::TimeoutError(_) => Outcome::Timeout,
        // The body broke off (a reset) or its frames could not be read.
        SdkError::ResponseError(_) | SdkError::DispatchFailure(_) => Outcome::ConnectError,
        _ => Outcome::Other,
    }
}

impl Target for SageMakerStreamTarget {
    fn describe(&self) -> String {
        format!("{} (streamed)", self.inner.describe())
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        self.inner.ready()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        self.invoke_reply(payload).map(|r| r.outcome).boxed()
    }

    fn invoke_reply(&self, payload: Bytes) -> BoxFuture<'static, Reply> {
        let s = &self.spec;
        let request = self
            .runtime
            .invoke_endpoint_with_response_stream()
            .endpoint_name(&s.endpoint_name)
            .body(Blob::new(payload.to_vec()))
            .content_type(&s.content_type)
            .set_accept(s.accept.clone())
            .set_custom_attributes(s.custom_attributes.clone())
            .set_target_variant(s.target_variant.clone())
            .set_inference_component_name(s.inference_component.clone());
        let mut tracker = PartTracker::new(&self.stream.tokens);
        async move {
            let mut out = match request.send().await {
                Ok(out) => out,
                Err(e) => {
                    let outcome = match &e {
                        SdkError::ServiceError(se) => {
                            classify_code(se.err().code(), se.raw().status().as_u16())
                        }
                        _ => aws::classify(&e),
                    };
                    return Reply::whole(outcome);
                }
            };
            let outcome = loop {
                match out.body.recv().await {
                    Ok(Some(ResponseStream::PayloadPart(p))) => {
                        tracker.part(p.bytes().map(|b| b.as_ref()).unwrap_or_default())
                    }
                    // An event type this SDK does not know: not a part.
                    Ok(Some(_)) => {}
                    Ok(None) => break Outcome::Ok,
                    Err(e) => break classify_stream_error(&e),
                }
            };
            Reply {
                outcome,
                stream: Some(tracker.finish()),
            }
        }
        .boxed()
    }
}
