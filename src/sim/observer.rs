//! The simulator's [`Observer`]: reads the model the way the AWS observer
//! reads CloudWatch, Application Auto Scaling and SageMaker, and returns
//! only what is new since the last poll.
//!
//! - datapoints newly readable (period ended + publishing delay), with
//!   `t` = the poll and `period_start` = the period's start; a period
//!   without a datapoint stays a gap (no record), never a zero;
//! - alarm transitions (`at` = when CloudWatch made them);
//! - scaling activities new or changed (including not-scaled ones);
//! - the endpoint's status and counts when they changed, and an inference
//!   component's copies ([`CopiesRecord`]) when they changed;
//! - once, at the first poll: the scalable target, the policies, every
//!   alarm's configuration (for the lag analysis) and warnings.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;

use super::metrics::{MetricId, Stat};
use super::world::World;
use super::{AbortOnDrop, lock};
use crate::clock::RunClock;
use crate::journal::record::{
    ActivityRecord, AlarmConfigRecord, AlarmRecord, CopiesRecord, EndpointRecord, MetricRecord,
    Record, ScalableTargetRecord, WarningRecord,
};
use crate::metric::Dimensions;
use crate::observe::Observer;

/// How often the engine polls the simulated observer by default.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

pub struct SimObserver {
    world: Arc<Mutex<World>>,
    interval: Duration,
    first: bool,
    datapoints_seen: usize,
    transitions_seen: usize,
    /// Status and end of every activity as last reported.
    activities_seen: Vec<(&'static str, Option<f64>)>,
    endpoint_seen: Option<(&'static str, u32, u32)>,
    copies_seen: Option<(&'static str, u32, u32)>,
    stats: Vec<Vec<Stat>>,
    /// By [`Dimensions`]: endpoint, variant, inference component.
    dims: [BTreeMap<String, String>; 3],
    _guard: Arc<AbortOnDrop>,
}

impl SimObserver {
    pub(crate) fn new(world: Arc<Mutex<World>>, guard: Arc<AbortOnDrop>) -> SimObserver {
        let (stats, dims) = {
            let w = lock(&world);
            let mut stats: Vec<Vec<Stat>> = MetricId::ALL
                .iter()
                .map(|m| m.default_stats().to_vec())
                .collect();
            for a in &w.alarms {
                let s = &mut stats[a.spec.metric.index()];
                if !s.contains(&a.spec.stat) {
                    s.push(a.spec.stat);
                }
            }
            let ep = BTreeMap::from([("EndpointName".to_string(), w.cfg.endpoint.name.clone())]);
            let mut both = ep.clone();
            both.insert("VariantName".into(), w.cfg.endpoint.variant.clone());
            let ic = w
                .cfg
                .inference_component
                .as_ref()
                .map(|c| BTreeMap::from([("InferenceComponentName".to_string(), c.name.clone())]))
                .unwrap_or_default();
            (stats, [ep, both, ic])
        };
        SimObserver {
            world,
            interval: DEFAULT_INTERVAL,
            first: true,
            datapoints_seen: 0,
            transitions_seen: 0,
            activities_seen: Vec::new(),
            endpoint_seen: None,
            copies_seen: None,
            stats,
            dims,
            _guard: guard,
        }
    }

    /// Polls at another interval.
    pub fn with_interval(mut self, interval: Duration) -> SimObserver {
        self.interval = interval;
        self
    }

    /// Everything new at `now` (the sync core of [`Observer::poll`]).
    pub fn collect(&mut self, now: f64) -> Vec<Record> {
        let world = self.world.clone();
        let mut w = lock(&world);
        w.advance(now);
        let mut out = Vec::new();
        if self.first {
            self.first = false;
            self.config_records(&w, now, &mut out);
        }
        for &(m, k, _) in &w.published[self.datapoints_seen..] {
            let res = m.resolution_s();
            for &stat in &self.stats[m.index()] {
                let Some(value) = w.metrics.value(m, stat, res, k) else {
                    continue;
                };
                out.push(Record::Metric(MetricRecord {
                    t: now,
                    namespace: m.namespace().into(),
                    name: m.name().into(),
                    dimensions: self.dims[match m.spec().dimensions {
                        Dimensions::Endpoint => 0,
                        Dimensions::Variant => 1,
                        Dimensions::InferenceComponent => 2,
                    }]
                    .clone(),
                    stat: stat.name().into(),
                    period_s: res,
                    period_start: w.metrics.period_start(res, k),
                    value,
                    revision: false,
                }));
            }
        }
        self.datapoints_seen = w.published.len();
        for tr in &w.transitions[self.transitions_seen..] {
            out.push(Record::Alarm(AlarmRecord {
                t: now,
                at: tr.at,
                name: tr.name.clone(),
                from: tr.from,
                to: tr.to,
                reason: tr.reason.clone(),
            }));
        }
        self.transitions_seen = w.transitions.len();
        if let Some(s) = &w.scaler {
            for (i, a) in s.activities.iter().enumerate() {
                let state = (a.status, a.end);
                if self.activities_seen.get(i) == Some(&state) {
                    continue;
                }
                if i < self.activities_seen.len() {
                    self.activities_seen[i] = state;
                } else {
                    self.activities_seen.push(state);
                }
                out.push(Record::Activity(ActivityRecord {
                    t: now,
                    id: a.id.clone(),
                    start: a.start,
                    end: a.end,
                    status: a.status.into(),
                    cause: a.cause.clone(),
                    description: a.description.clone(),
                    from: a.from,
                    to: a.to,
                    not_scaled: a.not_scaled.iter().cloned().collect(),
                }));
            }
        }
        let ep = (w.status(), w.current(), w.desired());
        if self.endpoint_seen != Some(ep) {
            self.endpoint_seen = Some(ep);
            out.push(Record::Endpoint(EndpointRecord {
                t: now,
                status: ep.0.into(),
                variant: w.cfg.endpoint.variant.clone(),
                current: ep.1,
                desired: ep.2,
            }));
        }
        if let Some(c) = &w.ic {
            let copies = (c.status(), c.current_copies(), c.desired_copies());
            if self.copies_seen != Some(copies) {
                self.copies_seen = Some(copies);
                out.push(Record::Copies(CopiesRecord {
                    t: now,
                    component: c.name().to_string(),
                    status: copies.0.into(),
                    current: copies.1,
                    desired: copies.2,
                }));
            }
        }
        out
    }

    fn config_records(&self, w: &World, now: f64, out: &mut Vec<Record>) {
        if let Some(s) = &w.scaler {
            out.push(Record::ScalableTarget(ScalableTargetRecord {
                t: now,
                resource_id: w.cfg.resource_id(),
                min: s.min,
                max: s.max,
            }));
            for (p, alarms) in s.policies() {
                let names = alarms
                    .iter()
                    .map(|a| w.alarms[*a].spec.name.clone())
                    .collect();
                out.push(Record::Policy(p.record(now, names, s.scale_in)));
            }
        }
        for (i, a) in w.alarms.iter().enumerate() {
            let s = &a.spec;
            out.push(Record::AlarmConfig(AlarmConfigRecord {
                t: now,
                name: s.name.clone(),
                namespace: s.metric.namespace().into(),
                metric: s.metric.name().into(),
                stat: s.stat.name().into(),
                comparison: s.comparison.name().into(),
                threshold: s.threshold,
                period_s: s.period_s,
                evaluation_periods: s.evaluation_periods,
                datapoints_to_alarm: s.datapoints_to_alarm,
                policy: w
                    .scaler
                    .as_ref()
                    .and_then(|sc| sc.policy_of_alarm(i))
                    .map(str::to_string),
                treat_missing_data: Some(s.treat_missing.name().into()),
            }));
        }
        for message in w.warnings() {
            out.push(Record::Warning(WarningRecord { t: now, message }));
        }
    }
}

impl Observer for SimObserver {
    fn interval(&self) -> Duration {
        self.interval
    }

    fn poll<'a>(&'a mut self, clock: &'a RunClock) -> BoxFuture<'a, Vec<Record>> {
        let now = clock.now_s();
        Box::pin(async move { self.collect(now) })
    }
}
