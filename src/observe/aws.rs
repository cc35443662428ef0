//! The AWS observer: what CloudWatch, Application Auto Scaling and SageMaker
//! did while load ran, as the same journal lines the simulator writes.
//!
//! Every poll, each API call paced through one governor rate limiter:
//! - `DescribeEndpoint`: status, CurrentInstanceCount / DesiredInstanceCount
//!   (an `endpoint` line when they change);
//! - `DescribeScalableTargets` (min/max) and `DescribeScalingPolicies`
//!   (`scalable_target` / `policy` lines when they change);
//! - the policies' alarms (their `Alarms`, plus target tracking's
//!   `TargetTracking-endpoint/<e>/variant/<v>-…` alarms): `DescribeAlarms`
//!   for configuration and state, `DescribeAlarmHistory` for every state
//!   transition, so a flip between two polls is not lost (target, policies
//!   and alarms are read by [`setup::read_scaling_setup`], as `inspect`
//!   reads them);
//! - `DescribeScalingActivities` with `IncludeNotScaledActivities` (an
//!   `activity` line whenever an activity is new or its status changes);
//! - one `GetMetricData` call for all the endpoint's metrics (the real-time
//!   or the async set, one-minute and 10-second high-resolution), each
//!   datapoint journaled when first seen and again when revised, so the
//!   report can show CloudWatch's publishing delay. Gaps stay gaps.
//!
//! With an inference component ([`inference_component`]) the scaling
//! setup, activities and metrics are the component's, and
//! `DescribeInferenceComponent` adds a `copies` line when its copy counts
//! change.
//!
//! Throttling (after the SDK's own retries) backs the observer off and is
//! journaled as a `warning`; no failure ends the run. At start it warns
//! about setups that cannot scale as intended ([`startup_warnings`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::types::{ScalingActivity, ScalingPolicy};
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::MetricAlarm;
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemakerruntime::config::http::HttpResponse;
use aws_sdk_sagemakerruntime::error::{ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;

mod alarms;
mod calls;
pub mod error_line;
pub mod inference_component;
mod polls;
pub mod setup;

pub use alarms::alarm_config_record;
use calls::Calls;
use setup::CallFailure;
pub use setup::target_tracking_alarm_prefix;

use super::Observer;
use super::aws_model::{
    EndpointKind, MetricQuery, MetricTracker, PolicyFacts, ScalingFacts, add_query, metric_set,
    startup_warnings,
};
use crate::aws;
use crate::clock::RunClock;
use crate::journal::record::{
    ActivityStatus, AlarmState, EndpointRecord, EndpointStatus, NotScaledReason, PolicyRecord,
    Record, ScalableTargetRecord, WarningRecord,
};
use crate::profile::TargetSpec;
use crate::resource::ScalableResource;
use crate::target::{SharedTarget, TargetError};

/// How far back metrics are read (CloudWatch may revise recent periods).
const METRIC_LOOKBACK: chrono::Duration = chrono::Duration::minutes(30);
/// Activities and history read from this long before the run started.
const BEFORE_START: chrono::Duration = chrono::Duration::minutes(5);

/// The clients the observer uses (tests may hand in clients with mocked
/// operations).
#[derive(Clone)]
pub struct AwsClients {
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub sagemaker: aws_sdk_sagemaker::Client,
}

impl AwsClients {
    pub fn new(config: &SdkConfig) -> AwsClients {
        let (cloudwatch, autoscaling, sagemaker) = aws::observer_clients(config);
        AwsClients {
            cloudwatch,
            autoscaling,
            sagemaker,
        }
    }
}

/// What to observe.
#[derive(Debug, Clone)]
pub struct ObserveTarget {
    pub endpoint: String,
    /// The variant; the endpoint's first when not given.
    pub variant: Option<String>,
    /// Known from the target kind; detected from the endpoint config when
    /// not given.
    pub kind: Option<EndpointKind>,
    pub interval: Duration,
}

/// Builds the SageMaker target of a profile and its observer on one SDK
/// configuration.
pub async fn build_for_target(
    spec: &TargetSpec,
    interval: Duration,
) -> Result<(SharedTarget, Box<dyn Observer>), TargetError> {
    let mut component = None;
    let (target, config, endpoint, variant, kind): (SharedTarget, SdkConfig, _, _, _) = match spec {
        TargetSpec::SageMaker(s) => {
            let config = aws::load_config(&s.aws).await;
            let t: SharedTarget = match &s.stream {
                Some(stream) => Arc::new(
                    crate::target::sagemaker_stream::SageMakerStreamTarget::with_config(
                        s,
                        stream,
                        config.clone(),
                    ),
                ),
                None => Arc::new(crate::target::sagemaker::SageMakerTarget::with_config(
                    s,
                    config.clone(),
                )),
            };
            let v = s.target_variant.clone();
            component = s.inference_component.as_deref();
            (t, config, &s.endpoint_name, v, EndpointKind::RealTime)
        }
        TargetSpec::SageMakerAsync(s) => {
            let config = aws::load_config(&s.aws).await;
            let t = crate::target::sagemaker_async::SageMakerAsyncTarget::with_config(
                s,
                config.clone(),
            )?;
            (
                Arc::new(t),
                config,
                &s.endpoint_name,
                None,
                EndpointKind::Async,
            )
        }
        _ => {
            return Err(TargetError::Setup {
                target: "observer".into(),
                reason: "only SageMaker targets have an AWS observer".into(),
            });
        }
    };
    let mut observer = AwsObserver::new(
        AwsClients::new(&config),
        ObserveTarget {
            endpoint: endpoint.clone(),
            variant,
            kind: Some(kind),
            interval,
        },
    );
    if let Some(name) = component {
        observer = observer.with_inference_component(name);
    }
    Ok((target, Box::new(observer)))
}

pub struct AwsObserver {
    c: AwsClients,
    what: ObserveTarget,
    calls: Calls,
    variant: Option<String>,
    kind: Option<EndpointKind>,
    queries: Vec<MetricQuery>,
    metrics: MetricTracker,
    last_endpoint: Option<(EndpointStatus, u32, u32)>,
    last_bounds: Option<(u32, u32)>,
    last_policies: HashMap<String, PolicyRecord>,
    policy_alarms: Vec<String>,
    alarm_states: HashMap<String, AlarmState>,
    alarm_configs: HashSet<String>,
    transitions_seen: HashSet<(String, i64, AlarmState)>,
    activities: HashMap<String, ActivityStatus>,
    warned: HashSet<String>,
    /// The alarms (and failed alarm calls) the last setup read found, for
    /// `poll_alarms` to journal after the start-up warnings.
    read_alarms: Option<(Vec<MetricAlarm>, Vec<CallFailure>)>,
    startup_done: bool,
    /// The records of the poll in flight, step by step.
    unfinished: Vec<Record>,
    /// The inference component followed instead of the variant, if any.
    component: Option<inference_component::ComponentWatch>,
}

fn to_chrono(t: &AwsTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

fn to_aws(t: DateTime<Utc>) -> AwsTime {
    AwsTime::from_secs(t.timestamp())
}

fn floor_to(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp().div_euclid(secs) * secs, 0).unwrap_or(t)
}

/// A scaling policy as the journal (and `scaletrace inspect`) shows it: its
/// tracked metric (predefined type or custom metric name), target value,
/// cooldowns (a step policy's one `Cooldown` for both), DisableScaleIn and
/// the names of its alarms.
pub fn policy_record(p: &ScalingPolicy, t: f64) -> PolicyRecord {
    let tt = p.target_tracking_scaling_policy_configuration();
    let metric = tt.and_then(|c| {
        c.predefined_metric_specification()
            .map(|m| m.predefined_metric_type().as_str().to_string())
            .or_else(|| {
                c.customized_metric_specification()
                    .and_then(|m| m.metric_name())
                    .map(str::to_string)
            })
    });
    let step = p.step_scaling_policy_configuration();
    PolicyRecord {
        t,
        name: p.policy_name().to_string(),
        policy_type: p.policy_type().as_str().into(),
        metric,
        target_value: tt.map(|c| c.target_value()),
        scale_in_cooldown_s: tt
            .and_then(|c| c.scale_in_cooldown())
            .or_else(|| step.and_then(|s| s.cooldown()))
            .map(|c| c.max(0) as u32),
        scale_out_cooldown_s: tt
            .and_then(|c| c.scale_out_cooldown())
            .or_else(|| step.and_then(|s| s.cooldown()))
            .map(|c| c.max(0) as u32),
        disable_scale_in: tt.and_then(|c| c.disable_scale_in()).unwrap_or(false),
        alarms: p
            .alarms()
            .iter()
            .map(|a| a.alarm_name().to_string())
            .collect(),
        simulated_scale_in_rule: None,
    }
}

/// Why an activity did not scale (`IncludeNotScaledActivities`).
pub fn not_scaled_reasons(a: &ScalingActivity) -> Vec<NotScaledReason> {
    a.not_scaled_reasons()
        .iter()
        .map(|r| NotScaledReason {
            code: r.code().to_string(),
            max_capacity: r.max_capacity().map(|c| c.max(0) as u32),
            min_capacity: r.min_capacity().map(|c| c.max(0) as u32),
            current_capacity: r.current_capacity().map(|c| c.max(0) as u32),
        })
        .collect()
}

/// An endpoint config with `AsyncInferenceConfig` serves an asynchronous
/// endpoint (which publishes the backlog metrics, not InvocationsPerInstance).
pub fn kind_of_config(c: &DescribeEndpointConfigOutput) -> EndpointKind {
    if c.async_inference_config().is_some() {
        EndpointKind::Async
    } else {
        EndpointKind::RealTime
    }
}

impl AwsObserver {
    pub fn new(clients: AwsClients, what: ObserveTarget) -> AwsObserver {
        AwsObserver {
            c: clients,
            calls: Calls::new(),
            variant: what.variant.clone(),
            kind: what.kind,
            queries: what.kind.map(metric_set).unwrap_or_default(),
            what,
            metrics: MetricTracker::default(),
            last_endpoint: None,
            last_bounds: None,
            last_policies: HashMap::new(),
            policy_alarms: Vec::new(),
            alarm_states: HashMap::new(),
            alarm_configs: HashSet::new(),
            transitions_seen: HashSet::new(),
            activities: HashMap::new(),
            warned: HashSet::new(),
            read_alarms: None,
            startup_done: false,
            unfinished: Vec::new(),
            component: None,
        }
    }

    /// What Application Auto Scaling scales: the component, else the
    /// variant (once known). Its metrics carry its dimensions.
    fn resource(&self) -> Option<ScalableResource> {
        if let Some(c) = &self.component {
            return Some(ScalableResource::InferenceComponent {
                name: c.name.clone(),
            });
        }
        self.variant
            .as_ref()
            .map(|v| ScalableResource::variant(&self.what.endpoint, v))
    }

    /// Waits for the rate limiter (and any back-off) before an API call.
    async fn pace(&mut self) {
        self.calls.pace().await;
    }

    /// Turns a failed call into (at most) one warning; throttling backs off.
    fn failed<E>(
        &mut self,
        api: &'static str,
        e: &SdkError<E, HttpResponse>,
        clock: &RunClock,
        out: &mut Vec<Record>,
    ) where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut f = CallFailure::of(api, e);
        f.warning = self.calls.failed(&f);
        self.journal_failure(&f, clock, out);
    }

    /// Journals the warning the call discipline made of a failure, if any.
    fn journal_failure(&mut self, f: &CallFailure, clock: &RunClock, out: &mut Vec<Record>) {
        if let Some(message) = &f.warning {
            out.push(Record::Warning(WarningRecord {
                t: clock.now_s(),
                message: message.clone(),
            }));
        }
    }

    /// A call's result: on success the back-off eases and the output comes
    /// back; on failure [`Self::failed`] journals why and `None` comes back.
    fn settle<T, E>(
        &mut self,
        api: &'static str,
        res: Result<T, SdkError<E, HttpResponse>>,
        clock: &RunClock,
        out: &mut Vec<Record>,
    ) -> Option<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match res {
            Ok(o) => {
                self.succeeded();
                if let Some(message) = self.calls.answered(api) {
                    out.push(Record::Warning(WarningRecord {
                        t: clock.now_s(),
                        message,
                    }));
                }
                Some(o)
            }
            Err(e) => {
                self.failed(api, &e, clock, out);
                None
            }
        }
    }

    fn succeeded(&mut self) {
        self.calls.succeeded();
    }

    fn warn_once(&mut self, t: f64, message: String, out: &mut Vec<Record>) {
        if self.warned.insert(message.clone()) {
            out.push(Record::Warning(WarningRecord { t, message }));
        }
    }

    async fn poll_endpoint(&mut self, clock: &RunClock, out: &mut Vec<Record>) -> Option<u32> {
        self.pace().await;
        let res = self
            .c
            .sagemaker
            .describe_endpoint()
            .endpoint_name(&self.what.endpoint)
            .send()
            .await;
        let ep = self.settle("DescribeEndpoint", res, clock, out)?;
        if self.variant.is_none() {
            self.variant = ep
                .production_variants()
                .first()
                .and_then(|v| v.variant_name())
                .map(str::to_string);
        }
        if self.kind.is_none()
            && let Some(config) = ep.endpoint_config_name()
        {
            self.pace().await;
            let res = self
                .c
                .sagemaker
                .describe_endpoint_config()
                .endpoint_config_name(config)
                .send()
                .await;
            if let Some(c) = self.settle("DescribeEndpointConfig", res, clock, out) {
                let kind = kind_of_config(&c);
                self.kind = Some(kind);
                // The alarms' own queries, if any came first, stay.
                let alarm_queries = std::mem::replace(&mut self.queries, metric_set(kind));
                self.metrics = MetricTracker::default();
                let variant = self.variant.clone().unwrap_or_default();
                for q in alarm_queries {
                    add_query(&mut self.queries, q, &self.what.endpoint, &variant);
                }
            }
        }
        let variant = self.variant.clone()?;
        let v = ep
            .production_variants()
            .iter()
            .find(|v| v.variant_name() == Some(variant.as_str()))?;
        let status = EndpointStatus::from(
            ep.endpoint_status()
                .map(|s| s.as_str())
                .unwrap_or("Unknown"),
        );
        let current = v.current_instance_count().unwrap_or(0).max(0) as u32;
        let desired = v.desired_instance_count().unwrap_or(0).max(0) as u32;
        let now = (status.clone(), current, desired);
        if self.last_endpoint.as_ref() != Some(&now) {
            self.last_endpoint = Some(now);
            out.push(Record::Endpoint(EndpointRecord {
                t: clock.now_s(),
                status,
                variant,
                current,
                desired,
            }));
        }
        Some(current)
    }

    async fn poll_scaling_config(
        &mut self,
        clock: &RunClock,
        out: &mut Vec<Record>,
    ) -> Option<Vec<PolicyFacts>> {
        let scalable = self.resource()?;
        let resource = scalable.resource_id();
        let setup =
            setup::read_scaling_setup(&self.c, &scalable, &self.policy_alarms, &mut self.calls)
                .await;
        self.read_alarms = Some((setup.alarms, setup.alarm_failures));
        let config = match setup.config {
            Ok(c) => c,
            Err(f) => {
                self.journal_failure(&f, clock, out);
                return None;
            }
        };
        let bounds = config.bounds;
        if bounds != self.last_bounds {
            self.last_bounds = bounds;
            if let Some((min, max)) = bounds {
                out.push(Record::ScalableTarget(ScalableTargetRecord {
                    t: clock.now_s(),
                    resource_id: resource.clone(),
                    min,
                    max,
                }));
            }
        }
        let mut facts = Vec::new();
        let mut alarms = Vec::new();
        for p in &config.policies {
            let record = policy_record(p, clock.now_s());
            let metric = record.metric.clone();
            alarms.extend(record.alarms.iter().cloned());
            facts.push(PolicyFacts {
                name: record.name.clone(),
                policy_type: record.policy_type.to_string(),
                metric,
            });
            let changed = self.last_policies.get(&record.name).is_none_or(|old| {
                PolicyRecord {
                    t: record.t,
                    ..old.clone()
                } != record
            });
            if changed {
                self.last_policies
                    .insert(record.name.clone(), record.clone());
                out.push(Record::Policy(record));
            }
        }
        self.policy_alarms = alarms;
        Some(facts)
    }

    /// One poll. Each step's records move to `unfinished` as the step
    /// ends, so a poll dropped mid-way still hands over what it read
    /// ([`Observer::take_unfinished`]).
    async fn poll_once(&mut self, clock: &RunClock) -> Vec<Record> {
        let mut out = Vec::new();
        self.poll_component(clock, &mut out).await;
        self.unfinished.append(&mut out);
        let current = self.poll_endpoint(clock, &mut out).await;
        self.unfinished.append(&mut out);
        if self.variant.is_none() {
            let t = clock.now_s();
            self.warn_once(
                t,
                format!(
                    "endpoint {:?} could not be described yet; the observer keeps trying",
                    self.what.endpoint
                ),
                &mut out,
            );
            self.unfinished.append(&mut out);
            return std::mem::take(&mut self.unfinished);
        }
        let policies = self.poll_scaling_config(clock, &mut out).await;
        self.unfinished.append(&mut out);
        if !self.startup_done
            && self.component.is_some()
            && let Some(policies) = policies
        {
            self.startup_done = true;
            self.component_startup(policies, clock, &mut out);
        } else if !self.startup_done
            && let (Some(policies), Some(kind)) = (policies, self.kind)
        {
            self.startup_done = true;
            let facts = ScalingFacts {
                endpoint: self.what.endpoint.clone(),
                variant: self.variant.clone().unwrap_or_default(),
                kind,
                bounds: self.last_bounds,
                current_instances: current,
                policies,
            };
            let t = clock.now_s();
            for message in startup_warnings(&facts) {
                self.warn_once(t, message, &mut out);
            }
        }
        self.unfinished.append(&mut out);
        self.poll_alarms(clock, &mut out).await;
        self.unfinished.append(&mut out);
        self.poll_activities(clock, &mut out).await;
        self.unfinished.append(&mut out);
        self.poll_metrics(clock, &mut out).await;
        self.unfinished.append(&mut out);
        std::mem::take(&mut self.unfinished)
    }
}

impl Observer for AwsObserver {
    fn interval(&self) -> Duration {
        self.what.interval
    }

    fn poll<'a>(&'a mut self, clock: &'a RunClock) -> BoxFuture<'a, Vec<Record>> {
        self.poll_once(clock).boxed()
    }

    fn take_unfinished(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.unfinished)
    }

    fn closing(&mut self, t: f64) -> Vec<Record> {
        self.calls
            .still_unavailable()
            .into_iter()
            .map(|message| Record::Warning(WarningRecord { t, message }))
            .collect()
    }
}
