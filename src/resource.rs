//! What Application Auto Scaling scales on SageMaker: a production variant's
//! instance count, or an inference component's copy count. One type owns
//! each kind's resource id, scalable dimension and CloudWatch dimensions, so
//! the observer, `inspect`/`apply` and the capacity recommendation name
//! the resource the same way.
//!
//! AWS, "Application Auto Scaling: Amazon SageMaker AI":
//! `ResourceId = endpoint/<endpoint>/variant/<variant>`,
//! `ScalableDimension = sagemaker:variant:DesiredInstanceCount`; for
//! inference components `ResourceId = inference-component/<name>`,
//! `ScalableDimension = sagemaker:inference-component:DesiredCopyCount`.
//! <https://docs.aws.amazon.com/autoscaling/application/userguide/services-that-can-integrate-sagemaker.html>
//!
//! Inference components publish their per-copy metrics in `AWS/SageMaker`
//! with the dimension `InferenceComponentName` (`InvocationsPerCopy`,
//! `ConcurrentRequestsPerCopy`, the metrics behind the predefined types
//! `SageMakerInferenceComponentInvocationsPerCopy` and
//! `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`),
//! AWS, "Amazon SageMaker AI and Application Auto Scaling" (above) and
//! "Amazon SageMaker AI enhanced metrics for inference endpoints":
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch-enhanced-metrics.html>.
//! Only the observer's reading of the setup and metrics knows the kind so
//! far; no profile or CLI names one yet.
//!
//! To add a new scalable-resource kind:
//! 1. Add a variant to [`ScalableResource`] and an arm to each method here:
//!    [`ScalableResource::resource_id`], [`ScalableResource::dimension_name`]
//!    and [`ScalableResource::scalable_dimension`] (Application Auto
//!    Scaling's spelling and the SDK's), [`ScalableResource::metric_dimensions`]
//!    and [`ScalableResource::cloudwatch_dimensions`] (CloudWatch's names).
//! 2. Parse its id in [`ScalableResource::of_id`]; test both directions.
//! 3. If its metrics carry other dimensions, add a [`Dimensions`] kind and
//!    its metrics to the catalogue (`src/metric.rs`, with its "To add a new
//!    metric" list); `observe::aws_model::metric_set_for` then queries them.
//! 4. The setup read (`observe::aws::setup`: scalable target, policies,
//!    target tracking's `TargetTracking-<resource id>-…` alarms) needs
//!    nothing more: it works from the resource id and dimension.

use aws_sdk_applicationautoscaling::types::ScalableDimension;

use crate::metric::Dimensions;

/// A scalable SageMaker resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScalableResource {
    /// A production variant of an endpoint (instances).
    Variant { endpoint: String, variant: String },
    /// An inference component (model copies).
    InferenceComponent { name: String },
}

impl ScalableResource {
    pub fn variant(endpoint: &str, variant: &str) -> ScalableResource {
        ScalableResource::Variant {
            endpoint: endpoint.into(),
            variant: variant.into(),
        }
    }

    /// Application Auto Scaling's `ResourceId`.
    pub fn resource_id(&self) -> String {
        match self {
            ScalableResource::Variant { endpoint, variant } => {
                format!("endpoint/{endpoint}/variant/{variant}")
            }
            ScalableResource::InferenceComponent { name } => format!("inference-component/{name}"),
        }
    }

    /// The `ScalableDimension` as the CLI and JSON spell it.
    pub fn dimension_name(&self) -> &'static str {
        match self {
            ScalableResource::Variant { .. } => "sagemaker:variant:DesiredInstanceCount",
            ScalableResource::InferenceComponent { .. } => {
                "sagemaker:inference-component:DesiredCopyCount"
            }
        }
    }

    /// The SDK's `ScalableDimension`.
    pub fn scalable_dimension(&self) -> ScalableDimension {
        match self {
            ScalableResource::Variant { .. } => {
                ScalableDimension::SageMakerVariantDesiredInstanceCount
            }
            ScalableResource::InferenceComponent { .. } => {
                ScalableDimension::SageMakerInferenceComponentDesiredCopyCount
            }
        }
    }

    /// The CloudWatch dimensions of its per-resource metrics in
    /// `AWS/SageMaker`.
    pub fn metric_dimensions(&self) -> Vec<(&'static str, String)> {
        match self {
            ScalableResource::Variant { endpoint, variant } => vec![
                ("EndpointName", endpoint.clone()),
                ("VariantName", variant.clone()),
            ],
            ScalableResource::InferenceComponent { name } => {
                vec![("InferenceComponentName", name.clone())]
            }
        }
    }

    /// The CloudWatch dimensions of a metric published with `dims`, for
    /// this resource; `None` when this kind of resource has no such metric
    /// (an inference component has no `VariantName`).
    pub fn cloudwatch_dimensions(&self, dims: Dimensions) -> Option<Vec<(&'static str, String)>> {
        match (self, dims) {
            (ScalableResource::Variant { .. }, Dimensions::Variant)
            | (ScalableResource::InferenceComponent { .. }, Dimensions::InferenceComponent) => {
                Some(self.metric_dimensions())
            }
            (ScalableResource::Variant { endpoint, .. }, Dimensions::Endpoint) => {
                Some(vec![("EndpointName", endpoint.clone())])
            }
            _ => None,
        }
    }

    /// The resource a `ResourceId` names; `None` for one that is neither.
    pub fn of_id(resource_id: &str) -> Option<ScalableResource> {
        if let Some(name) = resource_id.strip_prefix("inference-component/") {
            return (!name.is_empty() && !name.contains('/'))
                .then(|| ScalableResource::InferenceComponent { name: name.into() });
        }
        let rest = resource_id.strip_prefix("endpoint/")?;
        let (endpoint, variant) = rest.split_once("/variant/")?;
        (!endpoint.is_empty() && !variant.is_empty() && !variant.contains('/'))
            .then(|| ScalableResource::variant(endpoint, variant))
    }

    /// The dimension for a `ResourceId` (a variant's when it names neither
    /// kind, SageMaker's only kind before inference components).
    pub fn dimension_of_id(resource_id: &str) -> ScalableDimension {
        ScalableResource::of_id(resource_id)
            .map(|r| r.scalable_dimension())
            .unwrap_or(ScalableDimension::SageMakerVariantDesiredInstanceCount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_dimensions_round_trip() {
        let v = ScalableResource::variant("demo", "AllTraffic");
        assert_eq!(v.resource_id(), "endpoint/demo/variant/AllTraffic");
        assert_eq!(v.dimension_name(), "sagemaker:variant:DesiredInstanceCount");
        assert_eq!(ScalableResource::of_id(&v.resource_id()), Some(v.clone()));
        assert_eq!(
            v.scalable_dimension().as_str(),
            "sagemaker:variant:DesiredInstanceCount"
        );
        let ic = ScalableResource::InferenceComponent {
            name: "llama-ic".into(),
        };
        assert_eq!(ic.resource_id(), "inference-component/llama-ic");
        assert_eq!(ic.scalable_dimension().as_str(), ic.dimension_name());
        assert_eq!(
            ScalableResource::of_id("inference-component/llama-ic"),
            Some(ic.clone())
        );
        assert_eq!(
            ic.metric_dimensions(),
            vec![("InferenceComponentName", "llama-ic".to_string())]
        );
        assert_eq!(
            ic.cloudwatch_dimensions(Dimensions::InferenceComponent),
            Some(vec![("InferenceComponentName", "llama-ic".to_string())])
        );
        assert_eq!(ic.cloudwatch_dimensions(Dimensions::Variant), None);
        assert_eq!(
            v.cloudwatch_dimensions(Dimensions::Endpoint),
            Some(vec![("EndpointName", "demo".to_string())])
        );
        assert_eq!(
            v.cloudwatch_dimensions(Dimensions::InferenceComponent),
            None
        );
        assert_eq!(ScalableResource::of_id("table/x"), None);
        assert_eq!(ScalableResource::of_id("endpoint/x/variant/"), None);
    }
}
