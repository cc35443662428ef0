//! The `[sim]` section as written: serde structs mirroring the TOML, with
//! spans kept where validation may reject a value. Scaling sections use the
//! AWS API's own PascalCase shapes so a user can paste what they deploy; the
//! shapes inside a policy have no spans because they can also come from a
//! JSON file (`file://…` as given to `aws application-autoscaling`).
//! [`super::config::SimConfig::from_raw`] checks meaning.

use serde::Deserialize;
use toml::Spanned;

use crate::profile::raw::DurationValue;

/// `[sim]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimConfig {
    pub endpoint: Option<Spanned<RawEndpoint>>,
    pub instance: Option<Spanned<RawInstance>>,
    #[serde(rename = "async")]
    pub async_: Option<Spanned<RawAsync>>,
    pub cloudwatch: Option<Spanned<RawCloudWatch>>,
    pub autoscaler: Option<Spanned<RawAutoscaler>>,
    pub scalable_target: Option<Spanned<RawScalableTarget>>,
    pub policies: Option<Vec<Spanned<RawPolicy>>>,
    pub scheduled_actions: Option<Vec<Spanned<RawScheduledAction>>>,
    /// `[sim.inference_component]` (`super::inference_component`).
    pub inference_component: Option<Spanned<super::inference_component::RawInferenceComponent>>,
}

/// `[sim.endpoint]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub name: Option<Spanned<String>>,
    pub variant: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub initial_instances: Option<Spanned<i64>>,
    pub routing: Option<Spanned<String>>,
    pub invocation_timeout: Option<Spanned<DurationValue>>,
    pub overhead: Option<Spanned<DurationValue>>,
    pub queue_full: Option<Spanned<String>>,
}

/// `[sim.instance]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInstance {
    pub worker_slots: Option<Spanned<i64>>,
    pub vcpus: Option<Spanned<i64>>,
    pub service_time: Option<Spanned<RawDist>>,
    pub queue_bound: Option<Spanned<i64>>,
    pub launch_time: Option<Spanned<RawDist>>,
    pub termination_time: Option<Spanned<DurationValue>>,
    /// `[sim.instance.stream]` (`super::stream`).
    pub stream: Option<Spanned<super::stream::RawStreamModel>>,
}

/// A duration (`"5m"`) or a distribution table
/// (`{ distribution = "lognormal", mean = "50ms", p99 = "150ms" }`).
#[derive(Debug)]
pub enum RawDist {
    Fixed(DurationValue),
    Table(RawDistTable),
}

impl<'de> Deserialize<'de> for RawDist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, StrDeserializer};
        use serde::de::{Error, IntoDeserializer};
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawDist;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a duration such as \"5m\", or a table such as \
                     { distribution = \"lognormal\", mean = \"50ms\", p99 = \"150ms\" }",
                )
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<RawDist, E> {
                DurationValue::deserialize(StrDeserializer::<E>::new(v)).map(RawDist::Fixed)
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<RawDist, E> {
                DurationValue::deserialize(v.into_deserializer()).map(RawDist::Fixed)
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<RawDist, E> {
                DurationValue::deserialize(v.into_deserializer()).map(RawDist::Fixed)
            }
            fn visit_f64<E: Error>(self, v: f64) -> Result<RawDist, E> {
                DurationValue::deserialize(v.into_deserializer()).map(RawDist::Fixed)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<RawDist, A::Error> {
                RawDistTable::deserialize(MapAccessDeserializer::new(m)).map(RawDist::Table)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDistTable {
    pub distribution: String,
    pub mean: DurationValue,
    pub p99: Option<DurationValue>,
}

/// `[sim.async]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAsync {
    pub request_ttl: Option<Spanned<DurationValue>>,
    pub queue_bound: Option<Spanned<i64>>,
    pub backlog_without_capacity_onset: Option<Spanned<DurationValue>>,
}

/// `[sim.cloudwatch]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCloudWatch {
    pub publishing_delay: Option<Spanned<DurationValue>>,
    pub idle_minutes: Option<Spanned<String>>,
    pub period_alignment: Option<Spanned<String>>,
}

/// `[sim.autoscaler]`: the parts of Application Auto Scaling AWS does not
/// publish, as model choices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAutoscaler {
    pub scale_in: Option<Spanned<String>>,
    pub high_resolution_datapoints: Option<Spanned<i64>>,
}

/// `[sim.scalable_target]` (RegisterScalableTarget).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawScalableTarget {
    pub min_capacity: Spanned<i64>,
    pub max_capacity: Spanned<i64>,
}

/// `[[sim.policies]]` (PutScalingPolicy).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawPolicy {
    pub policy_name: Option<Spanned<String>>,
    pub policy_type: Option<Spanned<String>>,
    pub target_tracking_scaling_policy_configuration: Option<Spanned<RawTargetTracking>>,
    pub target_tracking_scaling_policy_configuration_file: Option<Spanned<String>>,
    pub step_scaling_policy_configuration: Option<Spanned<RawStepScaling>>,
    pub step_scaling_policy_configuration_file: Option<Spanned<String>>,
    /// The CloudWatch alarm that triggers a step policy (PutMetricAlarm).
    pub alarm: Option<Spanned<RawAlarm>>,
}

/// TargetTrackingScalingPolicyConfiguration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawTargetTracking {
    pub target_value: f64,
    pub predefined_metric_specification: Option<RawPredefined>,
    pub customized_metric_specification: Option<RawCustomized>,
    pub scale_in_cooldown: Option<i64>,
    pub scale_out_cooldown: Option<i64>,
    pub disable_scale_in: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawPredefined {
    pub predefined_metric_type: String,
    /// Accepted for pasting; SageMaker metrics have no resource label.
    pub resource_label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawCustomized {
    pub metric_name: String,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub dimensions: Option<Vec<RawDimension>>,
    pub unit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawDimension {
    pub name: String,
    pub value: String,
}

/// StepScalingPolicyConfiguration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawStepScaling {
    pub adjustment_type: String,
    pub step_adjustments: Vec<RawStepAdjustment>,
    pub min_adjustment_magnitude: Option<i64>,
    pub cooldown: Option<i64>,
    pub metric_aggregation_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawStepAdjustment {
    pub metric_interval_lower_bound: Option<f64>,
    pub metric_interval_upper_bound: Option<f64>,
    pub scaling_adjustment: i64,
}

/// A CloudWatch alarm in PutMetricAlarm's shape.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawAlarm {
    pub alarm_name: Option<String>,
    pub metric_name: String,
    pub namespace: Option<String>,
    pub statistic: Option<String>,
    pub period: Option<i64>,
    pub threshold: f64,
    pub comparison_operator: String,
    pub evaluation_periods: i64,
    pub datapoints_to_alarm: Option<i64>,
    pub dimensions: Option<Vec<RawDimension>>,
    pub treat_missing_data: Option<String>,
}

/// `[[sim.scheduled_actions]]` (PutScheduledAction).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawScheduledAction {
    pub scheduled_action_name: Option<Spanned<String>>,
    pub schedule: Spanned<String>,
    pub scalable_target_action: Spanned<RawScalableTargetAction>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct RawScalableTargetAction {
    pub min_capacity: Option<i64>,
    pub max_capacity: Option<i64>,
}
