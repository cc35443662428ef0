//! The validated `[sim]` configuration: the simulated endpoint, its
//! instances, the async queue, CloudWatch's behaviour and (in
//! [`super::policy`]) Application Auto Scaling's scalable target, policies
//! and scheduled actions.
//!
//! [`SimConfig::from_raw`] turns the raw TOML ([`super::raw`]) into these
//! types and rejects doubtful values with an error naming the field path
//! (`sim.instance.service_time`) and its line.

use std::ops::Range;

use serde::Serialize;
use toml::Spanned;

use super::dist::Dist;
use super::policy::{ScalingConfig, scaling_config};
pub use super::raw::RawSimConfig;
use super::raw::{RawDist, RawDistTable};
pub use super::scale_in::ScaleInRule;
use crate::profile::raw::DurationValue;
use crate::profile::{Ctx, ProfileError};

/// The whole simulated deployment.
#[derive(Debug, Clone, Serialize)]
pub struct SimConfig {
    /// `[sim.endpoint]`.
    pub endpoint: EndpointConfig,
    /// `[sim.instance]`: one instance of the production variant.
    pub instance: InstanceConfig,
    /// `[sim.async]`, used when `endpoint.kind = "async"`.
    #[serde(rename = "async")]
    pub async_: AsyncConfig,
    /// `[sim.cloudwatch]`.
    pub cloudwatch: CloudWatchConfig,
    /// `[sim.autoscaler]`: model choices where AWS publishes no rule.
    pub autoscaler: AutoscalerModel,
    /// Application Auto Scaling; `None` keeps the instance count fixed.
    pub scaling: Option<ScalingConfig>,
    /// `[sim.inference_component]`: the endpoint hosts one inference
    /// component; `endpoint.initial_instances` is then its copies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inference_component: Option<super::inference_component::InferenceComponentConfig>,
}

/// Real-time (`InvokeEndpoint`) or asynchronous (`InvokeEndpointAsync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointKind {
    RealTime,
    Async,
}

/// How the endpoint picks an instance for a real-time request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Routing {
    /// SageMaker's default: a random in-service instance.
    Random,
    /// `RoutingStrategy = LEAST_OUTSTANDING_REQUESTS`.
    LeastOutstanding,
}

/// What a real-time request gets when its instance's queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueFull {
    /// HTTP 503 from the model server (counted in `Invocation5XXErrors`).
    Http5xx,
    /// A 429 / ThrottlingException.
    Throttled,
}

#[derive(Debug, Clone, Serialize)]
pub struct EndpointConfig {
    /// `EndpointName` (the metric dimension and the `ResourceId`).
    pub name: String,
    /// `VariantName`; SageMaker's default is `AllTraffic`.
    pub variant: String,
    /// Real-time (default) or async.
    pub kind: EndpointKind,
    /// Instances in service when the run starts.
    pub initial_instances: u32,
    /// Default `random`, SageMaker's default.
    pub routing: Routing,
    /// SageMaker's real-time limit (60 s): a request whose response would
    /// come later gets a ModelError (424, "Your invocation timed out while
    /// waiting for a response from container") at this time, while the
    /// container keeps working on it.
    pub invocation_timeout_s: f64,
    /// SageMaker's own time per request (`OverheadLatency`), added to the
    /// response.
    pub overhead_s: f64,
    /// Real-time requests refused by a full instance queue: `http-5xx`
    /// (default: a 503 from the model server, counted in
    /// `Invocation5XXErrors`) or `throttled` (429, counted in
    /// `Invocation4XXErrors`).
    pub queue_full: QueueFull,
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceConfig {
    /// Requests one instance serves at once (model server workers).
    pub worker_slots: u32,
    /// vCPUs: `CPUUtilization` reads `vcpus × 100 %` with every worker busy.
    pub vcpus: u32,
    /// Time a worker spends on one request (`ModelLatency` adds the wait
    /// in the instance's queue).
    pub service_time: Dist,
    /// Requests an instance holds waiting for a worker; one more is refused
    /// as [`EndpointConfig::queue_full`] says.
    pub queue_bound: u32,
    /// From a scale-out decision to the new instances in service ("several
    /// minutes"; AWS publishes no number). Drawn once per scaling activity.
    pub launch_time: Dist,
    /// From a scale-in decision to the instances leaving the endpoint.
    pub termination_time_s: f64,
    /// `[sim.instance.stream]`: responses come back as tokens
    /// ([`super::stream`]); absent, whole responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<super::stream::StreamModel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AsyncConfig {
    /// A request still queued this long after it arrived expires
    /// (`ExpiredRequests`); the caller sees a timeout.
    pub request_ttl_s: f64,
    /// Optional cap on queued requests; beyond it a request is throttled.
    pub queue_bound: Option<u32>,
    /// How long a backlog must sit with no instance before
    /// `HasBacklogWithoutCapacity` reads 1. AWS publishes no number; users
    /// see 2–3 minutes between the first request at 0 instances and the
    /// metric moving from 0 to 1, so the default is 150 s (an assumption).
    pub backlog_without_capacity_onset_s: f64,
}

/// Model choices for Application Auto Scaling where AWS publishes no rule.
#[derive(Debug, Clone, Serialize)]
pub struct AutoscalerModel {
    /// How far one target-tracking scale in moves; default `halfway`.
    pub scale_in: ScaleInRule,
    /// Target tracking on a 10-second high-resolution metric
    /// (`ConcurrentRequestsPerModel`, `ConcurrentRequestsPerCopy`): its
    /// scale-out alarm fires after this many of as many 10-second
    /// datapoints breach. SageMaker says only that such a policy "reacts by
    /// scaling out much more quickly than it would for standard metrics"
    /// (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html),
    /// so the default, 3 (the standard alarm's count, at 10 s), is an
    /// assumption. Left out of run.json at its default.
    #[serde(skip_serializing_if = "is_default_high_resolution_datapoints")]
    pub high_resolution_datapoints: u32,
}

/// The default of [`AutoscalerModel::high_resolution_datapoints`].
pub const HIGH_RESOLUTION_DATAPOINTS: u32 = 3;

fn is_default_high_resolution_datapoints(n: &u32) -> bool {
    *n == HIGH_RESOLUTION_DATAPOINTS
}

/// Whether a minute without invocations gives a 0 datapoint or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdleMinutes {
    /// A 0 datapoint: an idle endpoint scales in after the 15-minute alarm.
    Zero,
    /// No datapoint: the scale-in alarm goes to INSUFFICIENT_DATA and an
    /// idle endpoint never scales in.
    Missing,
}

/// Where metric periods start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PeriodAlignment {
    /// At the run's start: reproducible records whatever the wall clock.
    RunStart,
    /// At whole UTC minutes, as CloudWatch does.
    Utc,
}

#[derive(Debug, Clone, Serialize)]
pub struct CloudWatchConfig {
    /// From a period's end to its datapoint being readable. AWS publishes
    /// no number (the AWS observer measures it), so this is a setting.
    pub publishing_delay_s: f64,
    /// Default `zero` (users report that scale-in happens after traffic
    /// stops, which needs datapoints); observers still report gaps as gaps.
    pub idle_minutes: IdleMinutes,
    /// Default `run-start`, so a run's records do not depend on the second
    /// the wall clock started at.
    pub period_alignment: PeriodAlignment,
}

impl Default for SimConfig {
    /// A real-time endpoint of one instance with 4 workers, lognormal
    /// service time (mean 50 ms, p99 150 ms), no autoscaling.
    fn default() -> Self {
        SimConfig {
            endpoint: EndpointConfig {
                name: "scaletrace-sim".into(),
                variant: "AllTraffic".into(),
                kind: EndpointKind::RealTime,
                initial_instances: 1,
                routing: Routing::Random,
                invocation_timeout_s: 60.0,
                overhead_s: 0.003,
                queue_full: QueueFull::Http5xx,
            },
            instance: InstanceConfig {
                worker_slots: 4,
                vcpus: 4,
                service_time: Dist::Lognormal {
                    mean_s: 0.05,
                    p99_s: 0.15,
                },
                queue_bound: 100,
                launch_time: Dist::fixed(300.0),
                termination_time_s: 60.0,
                stream: None,
            },
            async_: AsyncConfig {
                request_ttl_s: 6.0 * 3600.0,
                queue_bound: None,
                backlog_without_capacity_onset_s: 150.0,
            },
            cloudwatch: CloudWatchConfig {
                publishing_delay_s: 60.0,
                idle_minutes: IdleMinutes::Zero,
                period_alignment: PeriodAlignment::RunStart,
            },
            autoscaler: AutoscalerModel {
                scale_in: ScaleInRule::Halfway,
                high_resolution_datapoints: HIGH_RESOLUTION_DATAPOINTS,
            },
            scaling: None,
            inference_component: None,
        }
    }
}

/// One of a fixed set of strings, or an error listing them.
pub(crate) fn choice<T: Copy>(
    ctx: &Ctx,
    v: &Spanned<String>,
    field: &str,
    options: &[(&str, T)],
) -> Result<T, ProfileError> {
    options
        .iter()
        .find(|(n, _)| *n == v.get_ref())
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
            ctx.err(
                Some(v.span()),
                field,
                format!(
                    "unknown value {:?}; one of {}",
                    v.get_ref(),
                    names.join(", ")
                ),
            )
        })
}

/// An integer within bounds.
pub(crate) fn count(
    ctx: &Ctx,
    v: &Spanned<i64>,
    field: &str,
    lo: i64,
    hi: i64,
) -> Result<u32, ProfileError> {
    let n = *v.get_ref();
    if n < lo || n > hi {
        return Err(ctx.err(
            Some(v.span()),
            field,
            format!("must be between {lo} and {hi} (got {n})"),
        ));
    }
    Ok(n as u32)
}

fn secs(d: &Spanned<DurationValue>) -> f64 {
    d.get_ref().0.as_secs_f64()
}

fn positive(ctx: &Ctx, d: &Spanned<DurationValue>, field: &str) -> Result<f64, ProfileError> {
    if d.get_ref().0.is_zero() {
        return Err(ctx.err(Some(d.span()), field, "must be longer than zero"));
    }
    Ok(secs(d))
}

fn dist(ctx: &Ctx, d: &Spanned<RawDist>, field: &str) -> Result<Dist, ProfileError> {
    let span: Range<usize> = d.span();
    match d.get_ref() {
        RawDist::Fixed(v) => Ok(Dist::fixed(v.0.as_secs_f64())),
        RawDist::Table(RawDistTable {
            distribution,
            mean,
            p99,
        }) => Dist::new(
            distribution,
            mean.0.as_secs_f64(),
            p99.map(|p| p.0.as_secs_f64()),
        )
        .map_err(|e| ctx.err(Some(span), format!("{field}.{}", e.field()), e.to_string())),
    }
}

impl SimConfig {
    /// Validates `[sim]`. Policy files (`…ConfigurationFile`) are parsed
    /// here from the texts the loader read ([`crate::profile::files`]).
    pub fn from_raw(ctx: &Ctx, raw: &Spanned<RawSimConfig>) -> Result<SimConfig, ProfileError> {
        let r = raw.get_ref();
        let mut c = SimConfig::default();
        if let Some(e) = &r.endpoint {
            let e = e.get_ref();
            if let Some(v) = &e.name {
                if v.get_ref().is_empty() || v.get_ref().contains('/') {
                    return Err(ctx.err(
                        Some(v.span()),
                        "sim.endpoint.name",
                        "must be a non-empty endpoint name without '/'",
                    ));
                }
                c.endpoint.name = v.get_ref().clone();
            }
            if let Some(v) = &e.variant {
                if v.get_ref().is_empty() || v.get_ref().contains('/') {
                    return Err(ctx.err(
                        Some(v.span()),
                        "sim.endpoint.variant",
                        "must be a non-empty variant name without '/'",
                    ));
                }
                c.endpoint.variant = v.get_ref().clone();
            }
            if let Some(v) = &e.kind {
                c.endpoint.kind = choice(
                    ctx,
                    v,
                    "sim.endpoint.kind",
                    &[
                        ("real-time", EndpointKind::RealTime),
                        ("async", EndpointKind::Async),
                    ],
                )?;
            }
            if let Some(v) = &e.initial_instances {
                let lo = if c.endpoint.kind == EndpointKind::Async {
                    0
                } else {
                    1
                };
                c.endpoint.initial_instances =
                    count(ctx, v, "sim.endpoint.initial_instances", lo, 1000)?;
            }
            if let Some(v) = &e.routing {
                c.endpoint.routing = choice(
                    ctx,
                    v,
                    "sim.endpoint.routing",
                    &[
                        ("random", Routing::Random),
                        ("least-outstanding", Routing::LeastOutstanding),
                    ],
                )?;
            }
            if let Some(v) = &e.invocation_timeout {
                c.endpoint.invocation_timeout_s =
                    positive(ctx, v, "sim.endpoint.invocation_timeout")?;
            }
            if let Some(v) = &e.overhead {
                c.endpoint.overhead_s = secs(v);
            }
            if let Some(v) = &e.queue_full {
                c.endpoint.queue_full = choice(
                    ctx,
                    v,
                    "sim.endpoint.queue_full",
                    &[
                        ("http-5xx", QueueFull::Http5xx),
                        ("throttled", QueueFull::Throttled),
                    ],
                )?;
            }
        }
        if let Some(i) = &r.instance {
            let i = i.get_ref();
            if let Some(v) = &i.worker_slots {
                c.instance.worker_slots = count(ctx, v, "sim.instance.worker_slots", 1, 10_000)?;
            }
            if let Some(v) = &i.vcpus {
                c.instance.vcpus = count(ctx, v, "sim.instance.vcpus", 1, 1024)?;
            }
            if let Some(v) = &i.service_time {
                c.instance.service_time = dist(ctx, v, "sim.instance.service_time")?;
            }
            if let Some(v) = &i.queue_bound {
                c.instance.queue_bound = count(ctx, v, "sim.instance.queue_bound", 0, 1_000_000)?;
            }
            if let Some(v) = &i.launch_time {
                c.instance.launch_time = dist(ctx, v, "sim.instance.launch_time")?;
            }
            if let Some(v) = &i.termination_time {
                c.instance.termination_time_s = secs(v);
            }
            if let Some(v) = &i.stream {
                c.instance.stream =
                    Some(super::stream::StreamModel::from_raw(ctx, v, |d, field| {
                        dist(ctx, d, field)
                    })?);
            }
        }
        if let Some(a) = &r.async_ {
            if c.endpoint.kind != EndpointKind::Async {
                return Err(ctx.err(
                    Some(a.span()),
                    "sim.async",
                    "only used with [sim.endpoint] kind = \"async\"",
                ));
            }
            let a = a.get_ref();
            if let Some(v) = &a.request_ttl {
                c.async_.request_ttl_s = positive(ctx, v, "sim.async.request_ttl")?;
            }
            if let Some(v) = &a.queue_bound {
                c.async_.queue_bound = Some(count(
                    ctx,
                    v,
                    "sim.async.queue_bound",
                    1,
                    i64::from(u32::MAX),
                )?);
            }
            if let Some(v) = &a.backlog_without_capacity_onset {
                c.async_.backlog_without_capacity_onset_s = secs(v);
            }
        }
        if let Some(w) = &r.cloudwatch {
            let w = w.get_ref();
            if let Some(v) = &w.publishing_delay {
                c.cloudwatch.publishing_delay_s = secs(v);
            }
            if let Some(v) = &w.idle_minutes {
                c.cloudwatch.idle_minutes = choice(
                    ctx,
                    v,
                    "sim.cloudwatch.idle_minutes",
                    &[
                        ("zero", IdleMinutes::Zero),
                        ("missing", IdleMinutes::Missing),
                    ],
                )?;
            }
            if let Some(v) = &w.period_alignment {
                c.cloudwatch.period_alignment = choice(
                    ctx,
                    v,
                    "sim.cloudwatch.period_alignment",
                    &[
                        ("run-start", PeriodAlignment::RunStart),
                        ("utc", PeriodAlignment::Utc),
                    ],
                )?;
            }
        }
        if let Some(v) = r
            .autoscaler
            .as_ref()
            .and_then(|a| a.get_ref().high_resolution_datapoints.as_ref())
        {
            c.autoscaler.high_resolution_datapoints =
                count(ctx, v, "sim.autoscaler.high_resolution_datapoints", 1, 60)?;
        }
        if let Some(a) = &r.autoscaler
            && let Some(v) = &a.get_ref().scale_in
        {
            c.autoscaler.scale_in = choice(
                ctx,
                v,
                "sim.autoscaler.scale_in",
                &[
                    ("halfway", ScaleInRule::Halfway),
                    ("one-instance", ScaleInRule::OneInstance),
                    ("proportional", ScaleInRule::Proportional),
                ],
            )?;
        }
        if let Some(v) = &r.inference_component {
            let given = r
                .endpoint
                .as_ref()
                .and_then(|e| e.get_ref().initial_instances.as_ref().map(|i| i.span()));
            let ic =
                super::inference_component::InferenceComponentConfig::from_raw(ctx, v, &c, given)?;
            c.endpoint.initial_instances = ic.copies;
            c.inference_component = Some(ic);
        }
        c.scaling = scaling_config(ctx, raw, &c)?;
        Ok(c)
    }

    pub fn is_async(&self) -> bool {
        self.endpoint.kind == EndpointKind::Async
    }

    /// The scalable target: `endpoint/<endpoint>/variant/<variant>`, or
    /// `inference-component/<name>` with `[sim.inference_component]`.
    pub fn resource_id(&self) -> String {
        if let Some(ic) = &self.inference_component {
            return format!("inference-component/{}", ic.name);
        }
        format!(
            "endpoint/{}/variant/{}",
            self.endpoint.name, self.endpoint.variant
        )
    }
}
