//! The AWS observer's bookkeeping, free of I/O so it can be tested alone:
//! which metrics to read, first-seen and revised datapoints, alarm history
//! entries, and the start-up warnings about policies that cannot work.
//! Facts from `SAGEMAKER.md` are repeated where they are used.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use strum::IntoEnumIterator;

use crate::journal::record::{AlarmState, MetricRecord, NotScaledReason};
use crate::metric::{Dimensions, MetricId, Stat};
use crate::resource::ScalableResource;

/// The built-in target-tracking policy's name (the console shows any other
/// name as a "custom" policy).
pub const BUILT_IN_POLICY: &str = "SageMakerEndpointInvocationScalingPolicy";

/// Real-time or asynchronous endpoint: they publish different metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    RealTime,
    Async,
}

/// One metric query.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricQuery {
    pub namespace: String,
    pub name: String,
    /// A statistic (`Sum`, `Average`, …) or a percentile (`p99`).
    pub stat: String,
    pub period_s: u32,
    /// Which dimensions the metric is published with (the catalogue's).
    pub dims: Dimensions,
    /// Dimensions as an alarm names them, instead of the two above.
    pub exact_dimensions: Option<BTreeMap<String, String>>,
}

impl MetricQuery {
    fn new(namespace: &str, name: &str, stat: &str, period_s: u32) -> Self {
        MetricQuery {
            namespace: namespace.into(),
            name: name.into(),
            stat: stat.into(),
            period_s,
            dims: Dimensions::Variant,
            exact_dimensions: None,
        }
    }

    /// The query for what an alarm watches, so its chain in the lag
    /// analysis has the very datapoints it evaluated (a user's step alarm
    /// on `HasBacklogWithoutCapacity` Average, a percentile, a 10-second
    /// period). `None` for metric-math alarms, which name no single metric.
    pub fn for_alarm(
        namespace: &str,
        name: &str,
        stat: &str,
        period_s: u32,
        dimensions: BTreeMap<String, String>,
    ) -> Option<MetricQuery> {
        if namespace.is_empty() || name.is_empty() || stat.is_empty() || period_s == 0 {
            return None;
        }
        Some(MetricQuery {
            exact_dimensions: Some(dimensions),
            ..MetricQuery::new(namespace, name, stat, period_s)
        })
    }

    /// The dimensions to query for a variant of an endpoint.
    pub fn dimensions(&self, endpoint: &str, variant: &str) -> BTreeMap<String, String> {
        self.dimensions_for(&ScalableResource::variant(endpoint, variant))
    }

    /// The dimensions to query for `resource` (none when the metric has no
    /// dimensions for this kind of resource; [`metric_set_for`] leaves such
    /// queries out).
    pub fn dimensions_for(&self, resource: &ScalableResource) -> BTreeMap<String, String> {
        if let Some(d) = &self.exact_dimensions {
            return d.clone();
        }
        resource
            .cloudwatch_dimensions(self.dims)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    /// Whether two queries read the same series.
    pub fn same_series(&self, other: &MetricQuery, endpoint: &str, variant: &str) -> bool {
        self.same_series_for(other, &ScalableResource::variant(endpoint, variant))
    }

    /// Whether two queries read the same series of `resource` (an
    /// inference component's alarm on `ConcurrentRequestsPerCopy` and the
    /// catalogue's query of it are one series).
    pub fn same_series_for(&self, other: &MetricQuery, resource: &ScalableResource) -> bool {
        self.namespace == other.namespace
            && self.name == other.name
            && self.stat == other.stat
            && self.period_s == other.period_s
            && self.dimensions_for(resource) == other.dimensions_for(resource)
    }
}

/// Appends `q` unless a query of the same series is there; whether it was
/// added. (Appending keeps every earlier query's index, which the
/// [`MetricTracker`] keys on.)
pub fn add_query(
    queries: &mut Vec<MetricQuery>,
    q: MetricQuery,
    endpoint: &str,
    variant: &str,
) -> bool {
    add_query_for(queries, q, &ScalableResource::variant(endpoint, variant))
}

/// [`add_query`] for the series of any resource.
pub fn add_query_for(
    queries: &mut Vec<MetricQuery>,
    q: MetricQuery,
    resource: &ScalableResource,
) -> bool {
    if queries.iter().any(|x| x.same_series_for(&q, resource)) {
        return false;
    }
    queries.push(q);
    true
}

/// The endpoint's metrics as the catalogue ([`crate::metric`]) lists them:
/// every statistic it queries on an endpoint of this kind, in catalogue
/// order.
///
/// Real-time: Invocations and InvocationsPerInstance (Sum; target tracking
/// reads InvocationsPerInstance per minute), latencies (microseconds),
/// 4XX/5XX errors, ModelSetupTime, and ConcurrentRequestsPerModel at 10 s
/// (high resolution). Async endpoints do not publish Invocations or
/// InvocationsPerInstance; they publish the backlog metrics (EndpointName
/// only) and per variant TimeInBacklog, TotalProcessingTime,
/// InvocationsProcesssed (sic), InvocationFailures, ExpiredRequests. Both:
/// instance CPU and memory (percent summed over cores).
///
/// Real-time endpoints also get `ModelLatency` and `OverheadLatency` at p50
/// and p99 (CloudWatch extended statistics, which GetMetricData takes as a
/// `Stat` of `p50`/`p99`; "Amazon CloudWatch statistics definitions" and
/// "Monitor Amazon SageMaker AI with Amazon CloudWatch"), so an observe-only
/// report has latency percentiles and not only averages. They come after the
/// catalogue's queries, which keeps every catalogue query's index.
pub fn metric_set(kind: EndpointKind) -> Vec<MetricQuery> {
    let is_async = kind == EndpointKind::Async;
    let mut q = catalogue_queries(|m| m.queried_stats(is_async));
    if !is_async {
        for m in [MetricId::ModelLatency, MetricId::OverheadLatency] {
            for p in LATENCY_PERCENTILES {
                q.push(MetricQuery::new(
                    m.namespace(),
                    m.name(),
                    p,
                    m.resolution_s(),
                ));
            }
        }
    }
    q
}

/// The extended statistics read of the latency metrics.
pub const LATENCY_PERCENTILES: [&str; 2] = ["p50", "p99"];

/// The metrics of `resource`: a variant's are its endpoint's
/// ([`metric_set`]); an inference component's are its per-copy metrics
/// (`InvocationsPerCopy` Sum, `ConcurrentRequestsPerCopy` Maximum at 10 s,
/// `NoCapacityInvocationFailures` Sum, dimension `InferenceComponentName`).
pub fn metric_set_for(resource: &ScalableResource, kind: EndpointKind) -> Vec<MetricQuery> {
    match resource {
        ScalableResource::Variant { .. } => metric_set(kind),
        ScalableResource::InferenceComponent { .. } => {
            catalogue_queries(|m| m.spec().queried_inference_component)
        }
    }
}

/// One query per metric of the catalogue and statistic `stats` gives it,
/// in catalogue order.
fn catalogue_queries(stats: impl Fn(MetricId) -> &'static [Stat]) -> Vec<MetricQuery> {
    let mut q = Vec::new();
    for m in MetricId::iter() {
        let spec = m.spec();
        for stat in stats(m) {
            q.push(MetricQuery {
                dims: spec.dimensions,
                ..MetricQuery::new(spec.namespace, m.name(), stat.name(), spec.period_s)
            });
        }
    }
    q
}

/// Remembers every datapoint's value so each is reported when first seen
/// and again when CloudWatch revises it.
#[derive(Default)]
pub struct MetricTracker {
    seen: HashMap<(usize, i64), f64>,
}

impl MetricTracker {
    /// A datapoint of query `index` for the period starting at `start`:
    /// `Some(revision)` when it is new (`false`) or changed (`true`).
    pub fn observe(&mut self, index: usize, start: DateTime<Utc>, value: f64) -> Option<bool> {
        let key = (index, start.timestamp());
        match self.seen.insert(key, value) {
            None => Some(false),
            Some(old) if (old - value).abs() > 1e-9 * old.abs().max(1.0) => Some(true),
            Some(_) => None,
        }
    }

    /// Forgets periods before `start`: they are outside every later query.
    pub fn forget_before(&mut self, start: DateTime<Utc>) {
        let cut = start.timestamp();
        self.seen.retain(|(_, t), _| *t >= cut);
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Builds the journal line for a datapoint.
pub fn metric_record(
    q: &MetricQuery,
    endpoint: &str,
    variant: &str,
    t: f64,
    period_start: f64,
    value: f64,
    revision: bool,
) -> MetricRecord {
    let resource = ScalableResource::variant(endpoint, variant);
    metric_record_for(q, &resource, t, period_start, value, revision)
}

/// [`metric_record`] for a datapoint of any resource's series.
pub fn metric_record_for(
    q: &MetricQuery,
    resource: &ScalableResource,
    t: f64,
    period_start: f64,
    value: f64,
    revision: bool,
) -> MetricRecord {
    MetricRecord {
        t,
        namespace: q.namespace.clone(),
        name: q.name.clone(),
        dimensions: q.dimensions_for(resource),
        stat: q.stat.clone(),
        period_s: q.period_s,
        period_start,
        value,
        revision,
    }
}

/// CloudWatch's state names.
pub fn alarm_state(s: &str) -> Option<AlarmState> {
    match s {
        "OK" => Some(AlarmState::Ok),
        "ALARM" => Some(AlarmState::Alarm),
        "INSUFFICIENT_DATA" => Some(AlarmState::InsufficientData),
        _ => None,
    }
}

/// A state transition from an alarm history item: from its HistoryData JSON
/// (`oldState.stateValue`, `newState.stateValue`, `newState.stateReason`),
/// or failing that its summary ("Alarm updated from OK to ALARM").
pub fn history_transition(
    data: Option<&str>,
    summary: Option<&str>,
) -> Option<(AlarmState, AlarmState, String)> {
    if let Some(v) = data.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) {
        let from = v["oldState"]["stateValue"].as_str().and_then(alarm_state);
        let to = v["newState"]["stateValue"].as_str().and_then(alarm_state);
        if let (Some(from), Some(to)) = (from, to) {
            let reason = v["newState"]["stateReason"].as_str().unwrap_or_default();
            return Some((from, to, reason.to_string()));
        }
    }
    let s = summary?;
    let rest = &s[s.find(" from ")? + 6..];
    let (from, to) = rest.split_once(" to ")?;
    Some((
        alarm_state(from.trim())?,
        alarm_state(to.trim())?,
        s.to_string(),
    ))
}

/// "Setting desired instance count to 3." → 3.
pub fn desired_from_description(description: &str) -> Option<u32> {
    let at = description.rfind(" to ")?;
    let digits: String = description[at + 4..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// A not-scaled reason (`DescribeScalingActivities` with
/// `IncludeNotScaledActivities`) in plain words: "already at max capacity 4".
/// Codes AWS documents: AlreadyAtMaxCapacity, AlreadyAtMinCapacity,
/// AlreadyAtDesiredCapacity, AutoScalingAnticipatedFlapping,
/// TargetServicePutResourceAsUnscalable; others are shown as their code.
pub fn not_scaled_words(r: &NotScaledReason) -> String {
    let n = |v: Option<u32>| v.map(|v| format!(" {v}")).unwrap_or_default();
    match r.code.as_str() {
        "AlreadyAtMaxCapacity" => format!("already at max capacity{}", n(r.max_capacity)),
        "AlreadyAtMinCapacity" => format!("already at min capacity{}", n(r.min_capacity)),
        "AlreadyAtDesiredCapacity" => {
            format!("already at the desired capacity{}", n(r.current_capacity))
        }
        "AutoScalingAnticipatedFlapping" => {
            "scaling in would have made it scale out again at once (anticipated flapping)".into()
        }
        "TargetServicePutResourceAsUnscalable" => {
            "SageMaker marked the endpoint unscalable for now (e.g. while it is updating)".into()
        }
        other => format!("not scaled ({other})"),
    }
}

/// What the start-up checks need to know about one scaling policy.
#[derive(Debug, Clone)]
pub struct PolicyFacts {
    pub name: String,
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: String,
    /// Predefined metric type or custom metric name.
    pub metric: Option<String>,
}

/// What the start-up checks look at.
#[derive(Debug, Clone)]
pub struct ScalingFacts {
    pub endpoint: String,
    pub variant: String,
    pub kind: EndpointKind,
    /// (min, max) of the scalable target, when one is registered.
    pub bounds: Option<(u32, u32)>,
    pub current_instances: Option<u32>,
    pub policies: Vec<PolicyFacts>,
}

/// Plain-words warnings about setups that cannot scale as intended.
pub fn startup_warnings(f: &ScalingFacts) -> Vec<String> {
    let mut w = Vec::new();
    let resource =
        crate::resource::ScalableResource::variant(&f.endpoint, &f.variant).resource_id();
    let Some((min, max)) = f.bounds else {
        w.push(format!(
            "no scalable target is registered for {resource}: Application Auto Scaling will not change its instance count"
        ));
        return w;
    };
    for p in &f.policies {
        let on_invocations = p.metric.as_deref().is_some_and(|m| {
            m == "SageMakerVariantInvocationsPerInstance" || m == "InvocationsPerInstance"
        });
        if f.kind == EndpointKind::Async && on_invocations {
            w.push(format!(
                "policy {:?} tracks InvocationsPerInstance, which asynchronous endpoints do not publish: it will never scale (use ApproximateBacklogSizePerInstance)",
                p.name
            ));
        }
        if p.policy_type == "TargetTrackingScaling"
            && p.metric.as_deref() == Some("SageMakerVariantInvocationsPerInstance")
            && p.name != BUILT_IN_POLICY
        {
            w.push(format!(
                "target-tracking policy {:?} has a custom name; the console shows only {BUILT_IN_POLICY:?} as the built-in invocation policy",
                p.name
            ));
        }
    }
    if let Some(current) = f.current_instances
        && current >= max
    {
        w.push(format!(
            "{resource} already runs {current} instance(s), its max capacity ({max}): it cannot scale out"
        ));
    }
    if f.kind == EndpointKind::Async
        && min == 0
        && !f.policies.iter().any(|p| p.policy_type == "StepScaling")
    {
        w.push(format!(
            "{resource} may scale in to 0 instances (min capacity 0) but has no step-scaling policy (e.g. on HasBacklogWithoutCapacity >= 1): target tracking alone leaves 0 only after the backlog exceeds its target value, minutes later; the step policy is the faster path"
        ));
    }
    if f.policies.is_empty() {
        w.push(format!(
            "{resource} has a scalable target but no scaling policy: only scheduled actions can change it"
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(
        kind: EndpointKind,
        bounds: Option<(u32, u32)>,
        policies: Vec<PolicyFacts>,
    ) -> ScalingFacts {
        ScalingFacts {
            endpoint: "ep".into(),
            variant: "AllTraffic".into(),
            kind,
            bounds,
            current_instances: Some(1),
            policies,
        }
    }

    fn policy(name: &str, ty: &str, metric: &str) -> PolicyFacts {
        PolicyFacts {
            name: name.into(),
            policy_type: ty.into(),
            metric: Some(metric.into()),
        }
    }

    #[test]
    fn revisions_are_reported_once_per_change() {
        let mut m = MetricTracker::default();
        let t = DateTime::from_timestamp(600, 0).unwrap();
        assert_eq!(m.observe(0, t, 5.0), Some(false));
        assert_eq!(m.observe(0, t, 5.0), None);
        assert_eq!(m.observe(0, t, 8.0), Some(true));
        assert_eq!(m.observe(1, t, 8.0), Some(false));
        m.forget_before(DateTime::from_timestamp(660, 0).unwrap());
        assert!(m.is_empty());
    }

    #[test]
    fn history_items_parse_from_data_or_summary() {
        let data = r#"{"version":"1.0","oldState":{"stateValue":"OK","stateReason":"x"},"newState":{"stateValue":"ALARM","stateReason":"Threshold Crossed"}}"#;
        assert_eq!(
            history_transition(Some(data), None),
            Some((
                AlarmState::Ok,
                AlarmState::Alarm,
                "Threshold Crossed".into()
            ))
        );
        assert_eq!(
            history_transition(None, Some("Alarm updated from ALARM to INSUFFICIENT_DATA"))
                .map(|t| t.1),
            Some(AlarmState::InsufficientData)
        );
        assert_eq!(history_transition(Some("{}"), Some("Alarm created")), None);
    }

    #[test]
    fn desired_count_from_activity_description() {
        assert_eq!(
            desired_from_description("Setting desired instance count to 3."),
            Some(3)
        );
        assert_eq!(desired_from_description("Nothing"), None);
    }

    #[test]
    fn not_scaled_reasons_in_plain_words() {
        let r = |code: &str| NotScaledReason {
            code: code.into(),
            max_capacity: Some(4),
            min_capacity: Some(1),
            current_capacity: Some(2),
        };
        assert_eq!(
            not_scaled_words(&r("AlreadyAtMaxCapacity")),
            "already at max capacity 4"
        );
        assert_eq!(
            not_scaled_words(&r("AlreadyAtMinCapacity")),
            "already at min capacity 1"
        );
        assert_eq!(
            not_scaled_words(&r("AlreadyAtDesiredCapacity")),
            "already at the desired capacity 2"
        );
        assert!(not_scaled_words(&r("AutoScalingAnticipatedFlapping")).contains("flapping"));
        assert_eq!(not_scaled_words(&r("Novel")), "not scaled (Novel)");
    }

    #[test]
    fn metric_sets_come_from_the_catalogue() {
        let set = |kind| {
            let mut v: Vec<String> = metric_set(kind)
                .iter()
                .map(|q| {
                    format!(
                        "{} {} {} {} {}",
                        q.namespace,
                        q.name,
                        q.stat,
                        q.period_s,
                        q.dims == Dimensions::Variant
                    )
                })
                .collect();
            v.sort();
            v
        };
        let sm = "AWS/SageMaker";
        let host = "/aws/sagemaker/Endpoints";
        let mut real_time = vec![
            format!("{sm} Invocations Sum 60 true"),
            format!("{sm} InvocationsPerInstance Sum 60 true"),
            format!("{sm} Invocation4XXErrors Sum 60 true"),
            format!("{sm} Invocation5XXErrors Sum 60 true"),
            format!("{sm} ModelLatency Average 60 true"),
            format!("{sm} OverheadLatency Average 60 true"),
            format!("{sm} ModelSetupTime Average 60 true"),
            format!("{sm} ModelLatency Maximum 60 true"),
            format!("{sm} ModelLatency p50 60 true"),
            format!("{sm} ModelLatency p99 60 true"),
            format!("{sm} OverheadLatency p50 60 true"),
            format!("{sm} OverheadLatency p99 60 true"),
            format!("{sm} ConcurrentRequestsPerModel Maximum 10 true"),
            format!("{host} CPUUtilization Average 60 true"),
            format!("{host} MemoryUtilization Average 60 true"),
        ];
        real_time.sort();
        assert_eq!(set(EndpointKind::RealTime), real_time);
        let mut asynchronous = vec![
            format!("{sm} ApproximateBacklogSize Average 60 false"),
            format!("{sm} ApproximateBacklogSizePerInstance Average 60 false"),
            format!("{sm} ApproximateAgeOfOldestRequest Maximum 60 false"),
            format!("{sm} HasBacklogWithoutCapacity Maximum 60 false"),
            format!("{sm} TimeInBacklog Average 60 true"),
            format!("{sm} TotalProcessingTime Average 60 true"),
            format!("{sm} InvocationsProcesssed Sum 60 true"),
            format!("{sm} InvocationFailures Sum 60 true"),
            format!("{sm} ExpiredRequests Sum 60 true"),
            format!("{host} CPUUtilization Average 60 true"),
            format!("{host} MemoryUtilization Average 60 true"),
        ];
        asynchronous.sort();
        assert_eq!(set(EndpointKind::Async), asynchronous);
    }

    #[test]
    fn an_inference_component_reads_its_per_copy_metrics() {
        let ic = ScalableResource::InferenceComponent {
            name: "llama-ic".into(),
        };
        let q = metric_set_for(&ic, EndpointKind::RealTime);
        let got: Vec<_> = q
            .iter()
            .map(|q| {
                (
                    q.namespace.as_str(),
                    q.name.as_str(),
                    q.stat.as_str(),
                    q.period_s,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("AWS/SageMaker", "InvocationsPerCopy", "Sum", 60),
                ("AWS/SageMaker", "ConcurrentRequestsPerCopy", "Maximum", 10),
                ("AWS/SageMaker", "NoCapacityInvocationFailures", "Sum", 60),
            ]
        );
        for q in &q {
            assert_eq!(
                q.dimensions_for(&ic),
                BTreeMap::from([("InferenceComponentName".to_string(), "llama-ic".to_string())])
            );
        }
        let variant = ScalableResource::variant("ep", "AllTraffic");
        assert_eq!(
            metric_set_for(&variant, EndpointKind::Async),
            metric_set(EndpointKind::Async)
        );
        // A variant's queries carry its dimensions, the backlog's only the endpoint.
        let backlog = metric_set(EndpointKind::Async)
            .into_iter()
            .find(|q| q.name == "ApproximateBacklogSize")
            .unwrap();
        assert_eq!(backlog.dimensions("ep", "AllTraffic").len(), 1);
    }

    #[test]
    fn warns_about_setups_that_cannot_scale() {
        let w = startup_warnings(&facts(EndpointKind::RealTime, None, vec![]));
        assert!(w[0].contains("no scalable target"), "{w:?}");

        let w = startup_warnings(&facts(
            EndpointKind::Async,
            Some((0, 4)),
            vec![policy(
                "mine",
                "TargetTrackingScaling",
                "SageMakerVariantInvocationsPerInstance",
            )],
        ));
        assert!(w.iter().any(|m| m.contains("will never scale")), "{w:?}");
        assert!(w.iter().any(|m| m.contains("custom name")), "{w:?}");
        assert!(
            w.iter()
                .any(|m| m.contains("the step policy is the faster path")),
            "{w:?}"
        );

        let w = startup_warnings(&facts(
            EndpointKind::RealTime,
            Some((1, 1)),
            vec![policy(
                BUILT_IN_POLICY,
                "TargetTrackingScaling",
                "SageMakerVariantInvocationsPerInstance",
            )],
        ));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("max capacity"), "{w:?}");

        let w = startup_warnings(&facts(
            EndpointKind::Async,
            Some((0, 4)),
            vec![
                policy(
                    "backlog",
                    "TargetTrackingScaling",
                    "ApproximateBacklogSizePerInstance",
                ),
                policy("wake", "StepScaling", "HasBacklogWithoutCapacity"),
            ],
        ));
        assert!(w.is_empty(), "{w:?}");
    }
}
