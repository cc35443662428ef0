//! The AWS observer on an inference component (`observe` / `run` with
//! `--inference-component NAME` or the target's `inference_component`):
//! what it reads on top of the endpoint.
//!
//! - The scaling setup of the component, not of the variant: the scalable
//!   target `inference-component/<name>` with dimension
//!   `sagemaker:inference-component:DesiredCopyCount`, its policies and
//!   their alarms (the same read as for a variant, [`super::setup`], keyed
//!   on [`ScalableResource::InferenceComponent`]); target tracking on
//!   `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`
//!   owns 10-second alarms, journaled with their period like any other;
//!   AWS, "Application Auto Scaling: Amazon SageMaker AI":
//!   <https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html>.
//! - `DescribeInferenceComponent` every poll: `InferenceComponentStatus`
//!   and `RuntimeConfig.DesiredCopyCount` / `CurrentCopyCount`, a `copies`
//!   line when any of them changes:
//!   <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html>.
//! - The endpoint's instance counts as for a variant (`DescribeEndpoint`),
//!   so managed instance scaling shows as the endpoint's own lane.
//! - The per-component metrics of the catalogue ([`metric_set_for`]):
//!   `InvocationsPerCopy`, `ConcurrentRequestsPerCopy` at 10 s and
//!   `NoCapacityInvocationFailures`, dimension `InferenceComponentName`
//!   (plus whatever the component's alarms evaluate). The endpoint's
//!   variant metrics are not read for a component.
//!
//! Its start-up checks are the component's ([`component_warnings`]): the
//! variant's (instance counts, InvocationsPerInstance) do not apply.

use super::AwsObserver;
use crate::clock::RunClock;
use crate::journal::record::{CopiesRecord, Record};
use crate::observe::aws_model::{EndpointKind, PolicyFacts, metric_set_for};
use crate::resource::ScalableResource;

/// The metric the documented scale-from-zero alarm watches.
pub const NO_CAPACITY_METRIC: &str = "NoCapacityInvocationFailures";

/// The component the observer follows, and what it last journaled of it.
#[derive(Debug, Clone)]
pub(super) struct ComponentWatch {
    pub(super) name: String,
    /// (status, current, desired) of the last `copies` line.
    last: Option<(String, u32, u32)>,
    /// The endpoint the component said it is on, once read.
    endpoint: Option<String>,
}

/// The copy counts one `DescribeInferenceComponent` showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentCopies {
    /// `InService`, `Creating`, `Updating`, `Failed`, `Deleting`.
    pub status: String,
    pub current: u32,
    pub desired: u32,
    pub endpoint: Option<String>,
    pub variant: Option<String>,
}

impl ComponentCopies {
    pub fn of(
        o: &aws_sdk_sagemaker::operation::describe_inference_component::DescribeInferenceComponentOutput,
    ) -> ComponentCopies {
        let rc = o.runtime_config();
        let count = |c: Option<i32>| c.unwrap_or(0).max(0) as u32;
        ComponentCopies {
            status: o
                .inference_component_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "Unknown".into()),
            current: count(rc.and_then(|r| r.current_copy_count())),
            desired: count(rc.and_then(|r| r.desired_copy_count())),
            endpoint: o.endpoint_name().map(str::to_string),
            variant: o.variant_name().map(str::to_string),
        }
    }
}

/// What the component's start-up checks look at.
#[derive(Debug, Clone)]
pub struct ComponentFacts {
    pub resource: ScalableResource,
    /// (min, max) copies of the scalable target, when one is registered.
    pub bounds: Option<(u32, u32)>,
    pub current_copies: Option<u32>,
    pub policies: Vec<PolicyFacts>,
}

/// Plain-words warnings about a component's setup that cannot scale as
/// intended. Scale to zero: target tracking cannot leave 0 copies; AWS
/// documents a step-scaling policy on an alarm over
/// `NoCapacityInvocationFailures` for that ("Scale an endpoint to zero
/// instances",
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>).
pub fn component_warnings(f: &ComponentFacts) -> Vec<String> {
    let resource = f.resource.resource_id();
    let mut w = Vec::new();
    let Some((min, max)) = f.bounds else {
        w.push(format!(
            "no scalable target is registered for {resource}: Application Auto Scaling will not change its copy count"
        ));
        return w;
    };
    if let Some(current) = f.current_copies
        && current >= max
    {
        w.push(format!(
            "{resource} already runs {current} copy(ies), its max capacity ({max}): it cannot scale out"
        ));
    }
    if min == 0 && !f.policies.iter().any(|p| p.policy_type == "StepScaling") {
        w.push(format!(
            "{resource} may scale in to 0 copies (min capacity 0) but has no step-scaling policy (on an alarm over {NO_CAPACITY_METRIC}): target tracking cannot scale out from 0 copies, so it would stay at 0"
        ));
    }
    if f.policies.is_empty() {
        w.push(format!(
            "{resource} has a scalable target but no scaling policy: only scheduled actions can change it"
        ));
    }
    w
}

impl AwsObserver {
    /// Follows inference component `name` on the endpoint: its scalable
    /// target, policies, alarms, activities, copy counts and per-copy
    /// metrics instead of the variant's (the endpoint's instance counts are
    /// still read). Inference components are hosted on real-time endpoints.
    pub fn with_inference_component(mut self, name: &str) -> AwsObserver {
        let resource = ScalableResource::InferenceComponent { name: name.into() };
        self.kind = Some(EndpointKind::RealTime);
        self.queries = metric_set_for(&resource, EndpointKind::RealTime);
        self.component = Some(ComponentWatch {
            name: name.into(),
            last: None,
            endpoint: None,
        });
        self
    }

    /// `DescribeInferenceComponent`: a `copies` line when the status or a
    /// count changed; the variant, when not given, is the component's.
    pub(super) async fn poll_component(&mut self, clock: &RunClock, out: &mut Vec<Record>) {
        let Some(name) = self.component.as_ref().map(|c| c.name.clone()) else {
            return;
        };
        self.pace().await;
        let res = self
            .c
            .sagemaker
            .describe_inference_component()
            .inference_component_name(&name)
            .send()
            .await;
        let Some(o) = self.settle("DescribeInferenceComponent", res, clock, out) else {
            return;
        };
        let copies = ComponentCopies::of(&o);
        if self.variant.is_none() {
            self.variant = copies.variant.clone();
        }
        let t = clock.now_s();
        let endpoint = self.what.endpoint.clone();
        let mut mismatch = None;
        if let Some(watch) = self.component.as_mut() {
            if watch.endpoint.is_none()
                && let Some(on) = &copies.endpoint
            {
                watch.endpoint = Some(on.clone());
                if *on != endpoint {
                    mismatch = Some(on.clone());
                }
            }
            let now = (copies.status.clone(), copies.current, copies.desired);
            if watch.last.as_ref() != Some(&now) {
                watch.last = Some(now);
                out.push(Record::Copies(CopiesRecord {
                    t,
                    component: name.clone(),
                    status: copies.status,
                    current: copies.current,
                    desired: copies.desired,
                }));
            }
        }
        if let Some(on) = mismatch {
            self.warn_once(
                t,
                format!(
                    "inference component {name:?} is hosted on endpoint {on:?}, not {endpoint:?}: its instance counts are read from {endpoint:?}"
                ),
                out,
            );
        }
    }

    /// The component's start-up warnings, once its target and policies
    /// were read.
    pub(super) fn component_startup(
        &mut self,
        policies: Vec<PolicyFacts>,
        clock: &RunClock,
        out: &mut Vec<Record>,
    ) {
        let Some(watch) = &self.component else {
            return;
        };
        let facts = ComponentFacts {
            resource: ScalableResource::InferenceComponent {
                name: watch.name.clone(),
            },
            bounds: self.last_bounds,
            current_copies: watch.last.as_ref().map(|l| l.1),
            policies,
        };
        let t = clock.now_s();
        for message in component_warnings(&facts) {
            self.warn_once(t, message, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(bounds: Option<(u32, u32)>, policies: &[(&str, &str)]) -> ComponentFacts {
        ComponentFacts {
            resource: ScalableResource::InferenceComponent { name: "ic".into() },
            bounds,
            current_copies: Some(1),
            policies: policies
                .iter()
                .map(|(name, ty)| PolicyFacts {
                    name: name.to_string(),
                    policy_type: ty.to_string(),
                    metric: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_component_that_can_reach_zero_needs_a_step_policy() {
        assert_eq!(
            component_warnings(&facts(None, &[])),
            vec![
                "no scalable target is registered for inference-component/ic: Application Auto Scaling will not change its copy count"
            ]
        );
        let w = component_warnings(&facts(Some((0, 4)), &[("tt", "TargetTrackingScaling")]));
        assert_eq!(
            w,
            vec![
                "inference-component/ic may scale in to 0 copies (min capacity 0) but has no step-scaling policy (on an alarm over NoCapacityInvocationFailures): target tracking cannot scale out from 0 copies, so it would stay at 0"
            ]
        );
        let ok = facts(
            Some((0, 4)),
            &[("tt", "TargetTrackingScaling"), ("wake", "StepScaling")],
        );
        assert!(component_warnings(&ok).is_empty());
        let w = component_warnings(&facts(Some((1, 1)), &[("tt", "TargetTrackingScaling")]));
        assert_eq!(
            w,
            vec![
                "inference-component/ic already runs 1 copy(ies), its max capacity (1): it cannot scale out"
            ]
        );
    }
}
