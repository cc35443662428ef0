//! The SageMaker metrics the simulator publishes and CloudWatch's
//! statistics: names, namespaces, resolutions and which endpoint kinds
//! publish them. A vocabulary shared by the profile (policy and alarm
//! metrics), the simulator's metric store and its observer.

use serde::Serialize;

/// Every metric the simulator publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MetricId {
    Invocations,
    InvocationsPerInstance,
    ModelLatency,
    OverheadLatency,
    Invocation4XXErrors,
    Invocation5XXErrors,
    ConcurrentRequestsPerModel,
    CPUUtilization,
    ApproximateBacklogSize,
    ApproximateBacklogSizePerInstance,
    ApproximateAgeOfOldestRequest,
    HasBacklogWithoutCapacity,
}

/// Number of [`MetricId`]s.
pub const METRIC_COUNT: usize = 12;

impl MetricId {
    pub const ALL: [MetricId; METRIC_COUNT] = [
        MetricId::Invocations,
        MetricId::InvocationsPerInstance,
        MetricId::ModelLatency,
        MetricId::OverheadLatency,
        MetricId::Invocation4XXErrors,
        MetricId::Invocation5XXErrors,
        MetricId::ConcurrentRequestsPerModel,
        MetricId::CPUUtilization,
        MetricId::ApproximateBacklogSize,
        MetricId::ApproximateBacklogSizePerInstance,
        MetricId::ApproximateAgeOfOldestRequest,
        MetricId::HasBacklogWithoutCapacity,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    /// CloudWatch's MetricName.
    pub fn name(self) -> &'static str {
        match self {
            MetricId::Invocations => "Invocations",
            MetricId::InvocationsPerInstance => "InvocationsPerInstance",
            MetricId::ModelLatency => "ModelLatency",
            MetricId::OverheadLatency => "OverheadLatency",
            MetricId::Invocation4XXErrors => "Invocation4XXErrors",
            MetricId::Invocation5XXErrors => "Invocation5XXErrors",
            MetricId::ConcurrentRequestsPerModel => "ConcurrentRequestsPerModel",
            MetricId::CPUUtilization => "CPUUtilization",
            MetricId::ApproximateBacklogSize => "ApproximateBacklogSize",
            MetricId::ApproximateBacklogSizePerInstance => "ApproximateBacklogSizePerInstance",
            MetricId::ApproximateAgeOfOldestRequest => "ApproximateAgeOfOldestRequest",
            MetricId::HasBacklogWithoutCapacity => "HasBacklogWithoutCapacity",
        }
    }

    pub fn from_name(name: &str) -> Option<MetricId> {
        MetricId::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn namespace(self) -> &'static str {
        match self {
            MetricId::CPUUtilization => "/aws/sagemaker/Endpoints",
            _ => "AWS/SageMaker",
        }
    }

    /// Storage resolution in seconds.
    pub fn resolution_s(self) -> u32 {
        match self {
            MetricId::ConcurrentRequestsPerModel => 10,
            _ => 60,
        }
    }

    /// Published with `EndpointName` only (no `VariantName`).
    pub fn endpoint_only(self) -> bool {
        matches!(
            self,
            MetricId::ApproximateBacklogSize
                | MetricId::ApproximateBacklogSizePerInstance
                | MetricId::ApproximateAgeOfOldestRequest
                | MetricId::HasBacklogWithoutCapacity
        )
    }

    /// Whether an endpoint of this kind publishes the metric.
    pub fn published_by(self, is_async: bool) -> bool {
        match self {
            MetricId::ModelLatency | MetricId::CPUUtilization => true,
            MetricId::ApproximateBacklogSize
            | MetricId::ApproximateBacklogSizePerInstance
            | MetricId::ApproximateAgeOfOldestRequest
            | MetricId::HasBacklogWithoutCapacity => is_async,
            _ => !is_async,
        }
    }

    /// Metrics emitted only when requests arrive: a period without any is
    /// either a 0 datapoint or no datapoint (`sim.cloudwatch.idle_minutes`).
    pub fn request_driven(self) -> bool {
        matches!(
            self,
            MetricId::Invocations
                | MetricId::InvocationsPerInstance
                | MetricId::Invocation4XXErrors
                | MetricId::Invocation5XXErrors
                | MetricId::ConcurrentRequestsPerModel
        )
    }

    /// The statistics the observer records for every datapoint.
    pub fn default_stats(self) -> &'static [Stat] {
        match self {
            MetricId::ModelLatency
            | MetricId::ConcurrentRequestsPerModel
            | MetricId::CPUUtilization => &[Stat::Average, Stat::Maximum],
            MetricId::OverheadLatency
            | MetricId::ApproximateBacklogSize
            | MetricId::ApproximateBacklogSizePerInstance => &[Stat::Average],
            MetricId::ApproximateAgeOfOldestRequest | MetricId::HasBacklogWithoutCapacity => {
                &[Stat::Maximum]
            }
            _ => &[Stat::Sum],
        }
    }
}

/// A CloudWatch statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Stat {
    Sum,
    Average,
    Minimum,
    Maximum,
    SampleCount,
}

impl Stat {
    pub fn name(self) -> &'static str {
        match self {
            Stat::Sum => "Sum",
            Stat::Average => "Average",
            Stat::Minimum => "Minimum",
            Stat::Maximum => "Maximum",
            Stat::SampleCount => "SampleCount",
        }
    }

    pub fn from_name(name: &str) -> Option<Stat> {
        [
            Stat::Sum,
            Stat::Average,
            Stat::Minimum,
            Stat::Maximum,
            Stat::SampleCount,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}
