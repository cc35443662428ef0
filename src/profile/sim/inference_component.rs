//! `[sim.inference_component]`: the simulated endpoint hosts one inference
//! component, whose copies Application Auto Scaling scales
//! (`ResourceId = inference-component/<name>`, `ScalableDimension =
//! sagemaker:inference-component:DesiredCopyCount`) and whose instances
//! follow by managed instance scaling.
//!
//! Facts kept here:
//! - A copy reserves compute units on one instance: accelerators
//!   (`NumberOfAcceleratorDevicesRequired`) and memory
//!   (`MinMemoryRequiredInMb`); an instance hosts the copies whose units
//!   fit in its own.
//!   <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html>
//! - Managed instance scaling (`ManagedInstanceScaling` on the variant:
//!   `MinInstanceCount` / `MaxInstanceCount`) adds instances when copies
//!   don't fit and removes idle ones.
//!   <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html>
//! - Scale to zero needs `MinCapacity = 0` on the component's scalable
//!   target and `MinInstanceCount = 0` on the variant.
//!   <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>
//!
//! AWS publishes no time for a copy to load its model on an instance that
//! has room: it is the setting `copy_load_time` (default 60 s). A new
//! instance takes `sim.instance.launch_time`, as today. Copies and their
//! requests are served as `sim.instance` describes one model server
//! (`worker_slots` sequences per copy, `[sim.instance.stream]`).

use serde::Serialize;
use toml::Spanned;

use super::config::{EndpointKind, SimConfig, count};
use crate::metric::MetricId;
use crate::profile::raw::DurationValue;
use crate::profile::{Ctx, ProfileError};

/// Default `copy_load_time`: 60 s (a setting, not an AWS number).
pub const DEFAULT_COPY_LOAD_S: f64 = 60.0;

/// `[sim.inference_component]` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInferenceComponent {
    pub name: Option<Spanned<String>>,
    pub copies: Option<Spanned<i64>>,
    pub accelerators_per_copy: Option<Spanned<i64>>,
    pub memory_per_copy_mb: Option<Spanned<i64>>,
    pub accelerators_per_instance: Option<Spanned<i64>>,
    pub memory_per_instance_mb: Option<Spanned<i64>>,
    pub min_instance_count: Option<Spanned<i64>>,
    pub max_instance_count: Option<Spanned<i64>>,
    pub copy_load_time: Option<Spanned<DurationValue>>,
}

/// The validated inference component and its variant's managed instance
/// scaling.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InferenceComponentConfig {
    /// `InferenceComponentName` (the metric dimension and the
    /// `ResourceId`).
    pub name: String,
    /// Copies in service when the run starts (`DesiredCopyCount`).
    pub copies: u32,
    pub accelerators_per_copy: u32,
    pub memory_per_copy_mb: u32,
    /// The instance type's units.
    pub accelerators_per_instance: u32,
    pub memory_per_instance_mb: u32,
    /// `ManagedInstanceScaling.MinInstanceCount` / `MaxInstanceCount`.
    pub min_instance_count: u32,
    pub max_instance_count: u32,
    /// From a copy placed on an instance with room (in service, or once
    /// it is) to the copy in service.
    pub copy_load_s: f64,
}

impl InferenceComponentConfig {
    /// Copies one instance holds.
    pub fn copies_per_instance(&self) -> u32 {
        let by_acc = self
            .accelerators_per_instance
            .checked_div(self.accelerators_per_copy)
            .unwrap_or(u32::MAX);
        let by_mem = self
            .memory_per_instance_mb
            .checked_div(self.memory_per_copy_mb)
            .unwrap_or(u32::MAX);
        by_acc.min(by_mem)
    }

    /// Instances at the start: enough for the initial copies, at least
    /// `MinInstanceCount`.
    pub fn initial_instances(&self) -> u32 {
        self.copies
            .div_ceil(self.copies_per_instance().max(1))
            .max(self.min_instance_count)
    }

    /// Validates the section; `sim` has `[sim.endpoint]` already.
    pub fn from_raw(
        ctx: &Ctx,
        raw: &Spanned<RawInferenceComponent>,
        sim: &SimConfig,
        initial_instances_given: Option<std::ops::Range<usize>>,
    ) -> Result<InferenceComponentConfig, ProfileError> {
        if sim.endpoint.kind == EndpointKind::Async {
            return Err(ctx.err(
                Some(raw.span()),
                "sim.inference_component",
                "only for a real-time endpoint (kind = \"real-time\")",
            ));
        }
        if let Some(span) = initial_instances_given {
            return Err(ctx.err(
                Some(span),
                "sim.endpoint.initial_instances",
                "not used with [sim.inference_component]: give its copies (instances follow by \
                 managed instance scaling)",
            ));
        }
        let r = raw.get_ref();
        let n = |v: &Option<Spanned<i64>>, field: &str, lo: i64, hi: i64, default: u32| match v {
            None => Ok(default),
            Some(v) => count(ctx, v, &format!("sim.inference_component.{field}"), lo, hi),
        };
        let mut c = InferenceComponentConfig {
            name: "scaletrace-ic".into(),
            copies: n(&r.copies, "copies", 0, 1000, 1)?,
            accelerators_per_copy: n(&r.accelerators_per_copy, "accelerators_per_copy", 0, 64, 1)?,
            memory_per_copy_mb: n(
                &r.memory_per_copy_mb,
                "memory_per_copy_mb",
                0,
                4_000_000,
                1024,
            )?,
            accelerators_per_instance: n(
                &r.accelerators_per_instance,
                "accelerators_per_instance",
                0,
                64,
                1,
            )?,
            memory_per_instance_mb: n(
                &r.memory_per_instance_mb,
                "memory_per_instance_mb",
                1,
                4_000_000,
                16_384,
            )?,
            min_instance_count: n(&r.min_instance_count, "min_instance_count", 0, 1000, 1)?,
            max_instance_count: n(&r.max_instance_count, "max_instance_count", 1, 1000, 1)?,
            copy_load_s: DEFAULT_COPY_LOAD_S,
        };
        if let Some(v) = &r.name {
            if v.get_ref().is_empty() || v.get_ref().contains('/') {
                return Err(ctx.err(
                    Some(v.span()),
                    "sim.inference_component.name",
                    "must be a non-empty inference component name without '/'",
                ));
            }
            c.name = v.get_ref().clone();
        }
        if let Some(v) = &r.copy_load_time {
            c.copy_load_s = v.get_ref().0.as_secs_f64();
        }
        if c.accelerators_per_copy > c.accelerators_per_instance
            || c.memory_per_copy_mb > c.memory_per_instance_mb
        {
            let span = r
                .accelerators_per_copy
                .as_ref()
                .map(|s| s.span())
                .or(r.memory_per_copy_mb.as_ref().map(|s| s.span()));
            return Err(ctx.err(
                span,
                "sim.inference_component.accelerators_per_copy",
                format!(
                    "a copy ({} accelerators, {} MB) does not fit on one instance ({} accelerators, {} MB)",
                    c.accelerators_per_copy,
                    c.memory_per_copy_mb,
                    c.accelerators_per_instance,
                    c.memory_per_instance_mb
                ),
            ));
        }
        if c.max_instance_count < c.min_instance_count {
            return Err(ctx.err(
                r.max_instance_count.as_ref().map(|s| s.span()),
                "sim.inference_component.max_instance_count",
                format!(
                    "must be at least min_instance_count ({})",
                    c.min_instance_count
                ),
            ));
        }
        if c.initial_instances() > c.max_instance_count {
            return Err(ctx.err(
                r.copies.as_ref().map(|s| s.span()),
                "sim.inference_component.copies",
                format!(
                    "{} copies need {} instances ({} per instance), more than max_instance_count ({})",
                    c.copies,
                    c.initial_instances(),
                    c.copies_per_instance(),
                    c.max_instance_count
                ),
            ));
        }
        Ok(c)
    }
}

impl SimConfig {
    /// Whether this simulated endpoint publishes `m`. With an inference
    /// component: the per-copy metrics (`InvocationsPerCopy`,
    /// `ConcurrentRequestsPerCopy`, `NoCapacityInvocationFailures`, with
    /// the dimension `InferenceComponentName`) and the request metrics, but
    /// not the per-instance ones (`InvocationsPerInstance`,
    /// `ConcurrentRequestsPerModel`) nor `CPUUtilization`, which the
    /// simulator would sample per copy.
    pub fn publishes(&self, m: MetricId) -> bool {
        if self.inference_component.is_none() {
            return m.published_by(self.is_async());
        }
        let s = m.spec();
        s.inference_component
            || (s.real_time
                && !matches!(
                    m,
                    MetricId::InvocationsPerInstance
                        | MetricId::ConcurrentRequestsPerModel
                        | MetricId::CPUUtilization
                ))
    }
}
