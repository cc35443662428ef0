//! The one catalogue of SageMaker's CloudWatch metrics and CloudWatch's
//! statistics. For every metric: its CloudWatch name, namespace, unit,
//! period, dimensions, which endpoints publish it, and what each observer
//! reads of it. The profile (the `[sim]` policy and alarm metrics), the
//! simulator's metric store and observer, the AWS observer's query list and
//! the charts all read it, so they cannot drift apart.
//!
//! Facts from `SAGEMAKER.md`: namespace `AWS/SageMaker`, dimensions
//! `EndpointName` + `VariantName`, one-minute periods, except
//! `ConcurrentRequestsPerModel` (10-second high resolution); latencies in
//! microseconds; instance metrics (CPU, memory) in `/aws/sagemaker/Endpoints`
//! as percent summed over cores; async endpoints publish no `Invocations` /
//! `InvocationsPerInstance` but the backlog metrics (`EndpointName` only) and
//! per variant `TimeInBacklog`, `TotalProcessingTime`, `InvocationsProcesssed`
//! (sic), `InvocationFailures`, `ExpiredRequests`. Inference components
//! publish per-copy metrics with the dimension `InferenceComponentName`
//! (`InvocationsPerCopy`, `ConcurrentRequestsPerCopy` at 10 s,
//! `NoCapacityInvocationFailures`).
//!
//! It is a leaf: it imports nothing else of the crate.
//!
//! To add a new metric:
//! 1. Add a variant to [`MetricId`], spelled exactly as CloudWatch's
//!    `MetricName` (strum derives the name from it). A metric the simulator
//!    publishes goes with the simulated ones at the top, in the order the
//!    simulator publishes them (its position is its slot in the simulator's
//!    store and the order of its journal lines), and [`SIMULATED_COUNT`]
//!    grows by one; any other goes at the end.
//! 2. Give it an arm in [`MetricId::spec`]: namespace, unit, period,
//!    [`Dimensions`], which endpoint kinds (real-time, async, inference
//!    component) publish it, and the statistics the AWS observer queries on
//!    each kind (empty: not queried) and, when simulated, the ones the
//!    simulated observer records. A new kind of dimensions also needs its
//!    names in `ScalableResource::cloudwatch_dimensions` (`src/resource.rs`).
//! 3. A simulated metric also needs its samples: `MetricStore::add` calls
//!    in `src/sim/endpoint.rs`. It then becomes a valid `MetricName` in
//!    `[sim]` policies and alarms (the profile's error lists it).
//! 4. Nothing else: the AWS observer's query lists (`observe::aws_model::
//!    metric_set` and `metric_set_for`) are built from the catalogue. The tests below check the
//!    invariants (a queried metric is published, simulated ones come first).

use serde::Serialize;
use strum::{EnumCount, EnumIter, EnumString, IntoStaticStr, VariantArray};

/// SageMaker's endpoint metrics namespace.
pub const SAGEMAKER_NAMESPACE: &str = "AWS/SageMaker";
/// SageMaker's instance metrics namespace (CPU, memory, disk, GPU).
pub const ENDPOINT_HOST_NAMESPACE: &str = "/aws/sagemaker/Endpoints";

/// A SageMaker metric, named exactly as CloudWatch's `MetricName`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    EnumIter,
    EnumString,
    IntoStaticStr,
    EnumCount,
    VariantArray,
)]
pub enum MetricId {
    // The simulated metrics, first and in the simulator's order.
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
    // Inference components (simulated with `[sim.inference_component]`).
    InvocationsPerCopy,
    ConcurrentRequestsPerCopy,
    NoCapacityInvocationFailures,
    // Observed on AWS only.
    ModelSetupTime,
    TimeInBacklog,
    TotalProcessingTime,
    InvocationsProcesssed,
    InvocationFailures,
    ExpiredRequests,
    MemoryUtilization,
}

/// How many metrics the simulator publishes: the first ones of
/// [`MetricId`] (checked when compiling [`MetricId::SIMULATED`]).
pub const SIMULATED_COUNT: usize = 15;

/// The CloudWatch unit a metric is published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Microseconds,
    Milliseconds,
    Seconds,
    /// Percent summed over cores (4 vCPUs can read 400 %).
    Percent,
}

/// The dimensions a metric is published with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimensions {
    /// `EndpointName` and `VariantName`.
    Variant,
    /// `EndpointName` only (the async backlog metrics).
    Endpoint,
    /// `InferenceComponentName` (an inference component's per-copy
    /// metrics).
    InferenceComponent,
}

/// Everything the crate knows about one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricSpec {
    pub namespace: &'static str,
    pub unit: Unit,
    /// Storage resolution in seconds: the period the observers read.
    pub period_s: u32,
    pub dimensions: Dimensions,
    /// Published by real-time endpoints.
    pub real_time: bool,
    /// Published by asynchronous endpoints.
    pub asynchronous: bool,
    /// Published for inference components.
    pub inference_component: bool,
    /// Published by the simulator (the first [`SIMULATED_COUNT`] metrics).
    pub simulated: bool,
    /// Emitted only when requests arrive, so a period without any is either
    /// a 0 datapoint or no datapoint (`sim.cloudwatch.idle_minutes`).
    pub request_driven: bool,
    /// What the AWS observer queries on a real-time endpoint.
    pub queried_real_time: &'static [Stat],
    /// What the AWS observer queries for an inference component.
    pub queried_inference_component: &'static [Stat],
    /// What the AWS observer queries on an asynchronous endpoint. (It
    /// leaves out `ModelLatency` there, which async endpoints publish too:
    /// their latency is `TotalProcessingTime`.)
    pub queried_async: &'static [Stat],
    /// What the simulated observer records for every datapoint (alarms'
    /// statistics come on top).
    pub simulated_stats: &'static [Stat],
}

const SUM: &[Stat] = &[Stat::Sum];
const AVG: &[Stat] = &[Stat::Average];
const MAX: &[Stat] = &[Stat::Maximum];
const AVG_MAX: &[Stat] = &[Stat::Average, Stat::Maximum];
const NONE: &[Stat] = &[];

impl MetricId {
    /// The simulated metrics, in the simulator's order.
    pub const SIMULATED: [MetricId; SIMULATED_COUNT] = {
        let mut out = [MetricId::Invocations; SIMULATED_COUNT];
        let mut i = 0;
        while i < MetricId::VARIANTS.len() {
            let m = MetricId::VARIANTS[i];
            // Simulated metrics come first, so a metric's slot in the
            // simulator's store is its discriminant.
            assert!(m.spec().simulated == (i < SIMULATED_COUNT));
            if i < SIMULATED_COUNT {
                out[i] = m;
            }
            i += 1;
        }
        out
    };

    /// CloudWatch's MetricName.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The metric of a CloudWatch MetricName, any in the catalogue.
    pub fn of_name(name: &str) -> Option<MetricId> {
        name.parse().ok()
    }

    pub const fn spec(self) -> MetricSpec {
        use MetricId::*;
        let base = MetricSpec {
            namespace: SAGEMAKER_NAMESPACE,
            unit: Unit::Count,
            period_s: 60,
            dimensions: Dimensions::Variant,
            real_time: true,
            asynchronous: false,
            inference_component: false,
            simulated: true,
            request_driven: false,
            queried_real_time: NONE,
            queried_async: NONE,
            queried_inference_component: NONE,
            simulated_stats: SUM,
        };
        let real_time_sum = MetricSpec {
            request_driven: true,
            queried_real_time: SUM,
            ..base
        };
        let backlog = MetricSpec {
            dimensions: Dimensions::Endpoint,
            real_time: false,
            asynchronous: true,
            ..base
        };
        let per_copy = MetricSpec {
            dimensions: Dimensions::InferenceComponent,
            real_time: false,
            inference_component: true,
            ..base
        };
        let async_only = MetricSpec {
            real_time: false,
            asynchronous: true,
            simulated: false,
            simulated_stats: NONE,
            ..base
        };
        match self {
            Invocations | InvocationsPerInstance | Invocation4XXErrors | Invocation5XXErrors => {
                real_time_sum
            }
            ModelLatency => MetricSpec {
                unit: Unit::Microseconds,
                asynchronous: true,
                queried_real_time: AVG_MAX,
                simulated_stats: AVG_MAX,
                ..base
            },
            OverheadLatency => MetricSpec {
                unit: Unit::Microseconds,
                queried_real_time: AVG,
                simulated_stats: AVG,
                ..base
            },
            ConcurrentRequestsPerModel => MetricSpec {
                period_s: 10,
                request_driven: true,
                queried_real_time: MAX,
                simulated_stats: AVG_MAX,
                ..base
            },
            CPUUtilization => MetricSpec {
                namespace: ENDPOINT_HOST_NAMESPACE,
                unit: Unit::Percent,
                asynchronous: true,
                queried_real_time: AVG,
                queried_async: AVG,
                simulated_stats: AVG_MAX,
                ..base
            },
            ApproximateBacklogSize | ApproximateBacklogSizePerInstance => MetricSpec {
                queried_async: AVG,
                simulated_stats: AVG,
                ..backlog
            },
            ApproximateAgeOfOldestRequest => MetricSpec {
                unit: Unit::Seconds,
                queried_async: MAX,
                simulated_stats: MAX,
                ..backlog
            },
            HasBacklogWithoutCapacity => MetricSpec {
                queried_async: MAX,
                simulated_stats: MAX,
                ..backlog
            },
            ModelSetupTime => MetricSpec {
                unit: Unit::Microseconds,
                simulated: false,
                queried_real_time: AVG,
                simulated_stats: NONE,
                ..base
            },
            TimeInBacklog | TotalProcessingTime => MetricSpec {
                unit: Unit::Milliseconds,
                queried_async: AVG,
                ..async_only
            },
            InvocationsProcesssed | InvocationFailures | ExpiredRequests => MetricSpec {
                queried_async: SUM,
                ..async_only
            },
            MemoryUtilization => MetricSpec {
                namespace: ENDPOINT_HOST_NAMESPACE,
                unit: Unit::Percent,
                asynchronous: true,
                simulated: false,
                queried_real_time: AVG,
                queried_async: AVG,
                simulated_stats: NONE,
                ..base
            },
            // Target tracking's predefined metrics for inference
            // components read these (`SageMakerInferenceComponent
            // InvocationsPerCopy`, `…ConcurrentRequestsPerCopyHighResolution`).
            InvocationsPerCopy => MetricSpec {
                request_driven: true,
                queried_inference_component: SUM,
                ..per_copy
            },
            ConcurrentRequestsPerCopy => MetricSpec {
                period_s: 10,
                request_driven: true,
                queried_inference_component: MAX,
                simulated_stats: AVG_MAX,
                ..per_copy
            },
            // Requests that found no copy to serve them (an endpoint scaled
            // to zero): the metric the documented scale-from-zero alarm
            // watches (Sum, 60 s, > 1 for 1 datapoint), in `AWS/SageMaker`
            // with the dimension InferenceComponentName, "Scale an endpoint
            // to zero instances"; simulated, and queried by the AWS observer:
            // <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>
            NoCapacityInvocationFailures => MetricSpec {
                request_driven: true,
                queried_inference_component: SUM,
                ..per_copy
            },
        }
    }

    pub fn namespace(self) -> &'static str {
        self.spec().namespace
    }

    /// Storage resolution in seconds.
    pub fn resolution_s(self) -> u32 {
        self.spec().period_s
    }

    /// Published with `EndpointName` only (no `VariantName`).
    pub fn endpoint_only(self) -> bool {
        self.spec().dimensions == Dimensions::Endpoint
    }

    /// Whether an endpoint of this kind publishes the metric.
    pub fn published_by(self, is_async: bool) -> bool {
        let s = self.spec();
        if is_async {
            s.asynchronous
        } else {
            s.real_time
        }
    }

    /// See [`MetricSpec::request_driven`].
    pub fn request_driven(self) -> bool {
        self.spec().request_driven
    }

    /// The statistics the simulated observer records for every datapoint.
    pub fn default_stats(self) -> &'static [Stat] {
        self.spec().simulated_stats
    }

    /// The statistics the AWS observer queries on an endpoint of this kind.
    pub fn queried_stats(self, is_async: bool) -> &'static [Stat] {
        let s = self.spec();
        if is_async {
            s.queried_async
        } else {
            s.queried_real_time
        }
    }
}

/// A CloudWatch statistic, named as CloudWatch spells it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    EnumIter,
    EnumString,
    IntoStaticStr,
)]
pub enum Stat {
    Sum,
    Average,
    Minimum,
    Maximum,
    SampleCount,
}

impl Stat {
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn from_name(name: &str) -> Option<Stat> {
        name.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use strum::IntoEnumIterator;

    use super::*;

    #[test]
    fn names_are_cloudwatch_spellings_and_round_trip() {
        assert_eq!(MetricId::COUNT, MetricId::iter().count());
        for m in MetricId::iter() {
            assert_eq!(MetricId::of_name(m.name()), Some(m));
            assert_eq!(format!("{m:?}"), m.name());
        }
        assert_eq!(
            MetricId::InvocationsProcesssed.name(),
            "InvocationsProcesssed"
        );
        assert_eq!(MetricId::of_name("invocations"), None);
        for s in Stat::iter() {
            assert_eq!(Stat::from_name(s.name()), Some(s));
        }
        assert_eq!(Stat::from_name("p99"), None);
    }

    #[test]
    fn catalogue_invariants() {
        for m in MetricId::iter() {
            let s = m.spec();
            // A metric is queried only where it is published.
            assert!(s.queried_real_time.is_empty() || s.real_time, "{m:?}");
            assert!(s.queried_async.is_empty() || s.asynchronous, "{m:?}");
            assert!(
                s.queried_inference_component.is_empty() || s.inference_component,
                "{m:?}"
            );
            // Per-copy metrics carry the component's dimension, and only they.
            assert_eq!(
                s.inference_component,
                s.dimensions == Dimensions::InferenceComponent,
                "{m:?}"
            );
            // The simulator records something of every metric it publishes.
            assert_eq!(s.simulated, !s.simulated_stats.is_empty(), "{m:?}");
            assert!(s.period_s == 60 || s.period_s == 10, "{m:?}");
        }
        assert_eq!(
            MetricId::SIMULATED.to_vec(),
            MetricId::iter()
                .filter(|m| m.spec().simulated)
                .collect::<Vec<_>>()
        );
        assert_eq!(MetricId::ConcurrentRequestsPerModel.resolution_s(), 10);
        assert_eq!(
            MetricId::CPUUtilization.namespace(),
            ENDPOINT_HOST_NAMESPACE
        );
        assert!(MetricId::HasBacklogWithoutCapacity.endpoint_only());
        assert!(!MetricId::TimeInBacklog.endpoint_only());
        assert!(!MetricId::Invocations.published_by(true));
        assert!(MetricId::ModelLatency.published_by(true));
    }
}
