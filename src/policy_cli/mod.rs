//! `scaletrace inspect` and `scaletrace apply`: what Application Auto
//! Scaling has for one endpoint variant, and setting its target-tracking
//! policy under the built-in name.
//!
//! Both read AWS through the same calls as the AWS observer
//! ([`crate::observe::aws`]: DescribeEndpoint / DescribeEndpointConfig,
//! DescribeScalableTargets, DescribeScalingPolicies, DescribeAlarms,
//! DescribeScalingActivities with `IncludeNotScaledActivities`) and warn
//! with the observer's start-up checks
//! ([`crate::observe::aws_model::startup_warnings`]).
//!
//! # Layout
//! - [`snapshot`]: one read of everything for a variant, as a serializable
//!   [`snapshot::Snapshot`] (`inspect --json` prints it);
//! - [`render`]: the snapshot and policies as text;
//! - [`inspect`]: the `inspect` command;
//! - [`apply`]: the `apply` command: validated request → plan (before and
//!   after) → confirmation → RegisterScalableTarget / PutScalingPolicy →
//!   describe again;
//! - [`wake`]: the scale-from-zero step policy and alarm `apply` adds for
//!   an async variant with MinCapacity 0;
//! - [`component`]: `inspect --inference-component`, the same snapshot for
//!   an inference component (its copies, its scalable target);
//! - [`component_apply`]: `apply --inference-component`, its policy on
//!   concurrency (or invocations) per copy and scale to zero.

pub mod apply;
pub mod component;
pub mod component_apply;
pub mod inspect;
pub mod render;
pub mod snapshot;
pub mod wake;

use std::future::Future;

/// What can stop `inspect` or `apply`; each message is one line that names
/// the flag or the AWS call.
#[derive(Debug, thiserror::Error)]
pub enum PolicyCliError {
    /// No credentials or region, no such endpoint, or an AWS call failed
    /// (exit 3).
    #[error("{0}")]
    Aws(String),
    /// Flags that cannot work, or a policy that could never scale (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// Nothing was applied: confirmation was refused or impossible (exit 2).
    #[error("{0}")]
    NotConfirmed(String),
}

impl PolicyCliError {
    /// The exit code the README documents for this error.
    pub fn exit_code(&self) -> u8 {
        use crate::exit;
        match self {
            PolicyCliError::Aws(_) => exit::BROKE,
            PolicyCliError::BadInput(_) | PolicyCliError::NotConfirmed(_) => exit::BAD_INPUT,
        }
    }
}

/// Runs one future on a current-thread runtime (the commands are a handful
/// of sequential AWS calls).
pub fn block_on<F: Future>(f: F) -> Result<F::Output, PolicyCliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PolicyCliError::Aws(format!("cannot start the runtime: {e}")))?;
    Ok(runtime.block_on(f))
}
