//! The one place a profile's target kind becomes running parts: the target
//! requests go to, the observer that watches its scaling, and how the run
//! ends its sends. `run` uses [`build`], `observe` (no load, no profile)
//! [`observe_only`]; nothing else matches on the target kind or builds an
//! observer.
//!
//! To add a new target kind:
//! 1. add its profile section to [`crate::profile`] (`TargetSpec`) with its
//!    validation;
//! 2. implement [`crate::target::Target`] in a new file under `target/`
//!    (and an [`crate::observe::Observer`] if it has a control plane);
//! 3. build both in [`build`] here, and say in [`drain_timeout`] how long
//!    requests in flight may take at the end;
//! 4. describe it in [`crate::plan`] and test it against a real server on
//!    127.0.0.1 (or moto for AWS APIs).

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;

use crate::clock::RunClock;
use crate::observe::Observer;
use crate::observe::aws::{AwsClients, AwsObserver, ObserveTarget};
use crate::profile::{Profile, TargetSpec};
use crate::target::{SharedTarget, TargetError};

/// A target and what observes it, ready to run.
pub struct Deployment {
    pub target: SharedTarget,
    /// `None` when the target has no control plane to watch (plain HTTP).
    pub observer: Option<Box<dyn Observer>>,
}

/// Whether a target kind runs on the simulator's virtual clock.
pub fn is_simulated(spec: &TargetSpec) -> bool {
    matches!(spec, TargetSpec::Sim(_))
}

/// How long the run waits for requests still in flight once sending ends:
/// `None` waits for each to end on its own timeout. Async requests may take
/// minutes, so they are bounded by the profile's `drain_timeout`.
pub fn drain_timeout(spec: &TargetSpec) -> Option<Duration> {
    match spec {
        TargetSpec::SageMakerAsync(s) => Some(s.drain_timeout),
        _ => None,
    }
}

/// Builds the profile's target and its observer (the simulator's share the
/// run's clock).
pub async fn build(profile: &Profile, clock: RunClock) -> Result<Deployment, TargetError> {
    Ok(match &profile.target {
        TargetSpec::Http(spec) => Deployment {
            target: {
                let skip = crate::target::http::SkipPing::of(profile.source.as_deref());
                match &spec.stream {
                    Some(stream) => Arc::new(
                        crate::target::http_stream::HttpStreamTarget::new(spec, stream)?
                            .skip_ping_by(skip),
                    ),
                    None => {
                        Arc::new(crate::target::http::HttpTarget::new(spec)?.skip_ping_by(skip))
                    }
                }
            },
            observer: None,
        },
        TargetSpec::SageMaker(_) | TargetSpec::SageMakerAsync(_) => {
            let (target, observer) =
                crate::observe::aws::build_for_target(&profile.target, profile.observe.interval)
                    .await?;
            Deployment {
                target,
                observer: Some(observer),
            }
        }
        TargetSpec::Sim(cfg) => {
            let h = crate::sim::start_with(cfg, profile.load.seed, clock, profile.observe.interval);
            Deployment {
                target: h.target,
                observer: Some(h.observer),
            }
        }
    })
}

/// The observer alone, for `scaletrace observe` on an endpoint whose
/// traffic something else sends (its kind, real-time or async, is read
/// from the endpoint); with `inference_component`, that component's
/// scaling and copies.
pub fn observe_only(
    config: &SdkConfig,
    endpoint: &str,
    variant: Option<&str>,
    inference_component: Option<&str>,
    interval: Duration,
) -> Box<dyn Observer> {
    let observer = AwsObserver::new(
        AwsClients::new(config),
        ObserveTarget {
            endpoint: endpoint.to_owned(),
            variant: variant.map(str::to_owned),
            kind: None,
            interval,
        },
    );
    Box::new(match inference_component {
        Some(name) => observer.with_inference_component(name),
        None => observer,
    })
}
