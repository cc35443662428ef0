//! Targets: where requests go. One [`Target`] trait, one file per kind.
//!
//! The invoker owns timing (intended send time, in-flight cap, timeout); a
//! target only sends one request and classifies how it ended.
//!
//! To add a new target kind, see the checklist in [`crate::deploy`]: its
//! profile section, a [`Target`] in a new file here, one arm in
//! `deploy::build`, a test against a real server on 127.0.0.1.

pub mod http;
pub mod http_stream;
pub mod sagemaker;
pub mod sagemaker_async;
pub mod sagemaker_stream;
pub mod stream;

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::outcome::Outcome;

/// Why a target cannot take traffic; the run stops before sending anything
/// (exit code 3).
///
/// Each target file has its own error type with the details
/// ([`http::HttpSetupError`], [`sagemaker::EndpointError`], …); the
/// `Unready` and `SetupFailed` variants carry it as their source, so the
/// chain down to the I/O or SDK error is kept. `Setup` is for a reason
/// that is only a sentence.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("could not set up {target}: {reason}")]
    Setup { target: String, reason: String },
    #[error("{target} is not ready: {source}")]
    Unready {
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("could not set up {target}: {source}")]
    SetupFailed {
        target: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl TargetError {
    /// `target` is not ready because of `source`.
    pub fn unready(
        target: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> TargetError {
        TargetError::Unready {
            target: target.to_string(),
            source: Box::new(source),
        }
    }

    /// `target` could not be set up because of `source`.
    pub fn setup_failed(
        target: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> TargetError {
        TargetError::SetupFailed {
            target: target.to_string(),
            source: Box::new(source),
        }
    }
}

/// Something that can be invoked.
pub trait Target: Send + Sync + 'static {
    /// A short description for logs and reports (`http POST http://…/invocations`).
    fn describe(&self) -> String;

    /// Checks the target can take traffic before the run starts (for HTTP,
    /// `GET /ping` per the SageMaker container contract).
    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>>;

    /// Sends one request and reports how it ended. The returned future owns
    /// what it needs, so the invoker can spawn it; the invoker applies the
    /// timeout by dropping it.
    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome>;

    /// Like [`Target::invoke`], with the parts' timing when the response
    /// is streamed ([`stream`]); the invoker calls this one. Targets whose
    /// responses come whole need not implement it.
    fn invoke_reply(&self, payload: Bytes) -> BoxFuture<'static, stream::Reply> {
        use futures::FutureExt;
        self.invoke(payload).map(stream::Reply::whole).boxed()
    }

    /// Things the run should journal as `warning` lines when it ends (the
    /// async target's failure reasons with their counts). Most targets have
    /// none.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Warnings to journal now, each returned once (an async failure
    /// reason the first time it comes), so a run killed before its end
    /// still has them.
    fn fresh_notes(&self) -> Vec<String> {
        Vec::new()
    }
}

pub type SharedTarget = Arc<dyn Target>;
