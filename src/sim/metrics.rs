//! The simulated CloudWatch metric store: per-period statistic sets
//! computed from what the simulated endpoint actually did.
//!
//! Facts from SAGEMAKER.md kept here:
//! - Namespace `AWS/SageMaker`, dimensions `EndpointName`, `VariantName`,
//!   one-minute periods; `ConcurrentRequestsPerModel` is **10-second**
//!   high resolution.
//! - `InvocationsPerInstance`: each request adds 1/instance-count.
//! - `ModelLatency`, `OverheadLatency` are in microseconds.
//! - `CPUUtilization` lives in `/aws/sagemaker/Endpoints` and is a percentage
//!   summed over cores (4 vCPUs can read 400 %).
//! - Async endpoints publish no `Invocations`/`InvocationsPerInstance`; they
//!   publish `ApproximateBacklogSize`, `ApproximateBacklogSizePerInstance`,
//!   `ApproximateAgeOfOldestRequest` (dimension `EndpointName` only) and
//!   `HasBacklogWithoutCapacity`.
//! - A datapoint is readable only after its period ends plus the publishing
//!   delay (AWS publishes no number; it is the setting
//!   `sim.cloudwatch.publishing_delay`).
//!
//! Request-driven samples (invocations, errors, latencies) are added when a
//! request is admitted, to the period its response falls in (always the
//! current or a later, still open period, so a published datapoint is never
//! revised). Gauges (concurrency, CPU, backlog) are sampled once per second
//! of simulated time.

pub use crate::profile::sim::metric::{METRIC_COUNT, MetricId, Stat};

/// Count, sum, min and max of the samples in a period: every statistic
/// CloudWatch offers except percentiles.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatSet {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Default for StatSet {
    fn default() -> Self {
        StatSet {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }
}

impl StatSet {
    pub fn add(&mut self, v: f64) {
        self.count += 1;
        self.sum += v;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, o: &StatSet) {
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// The statistic's value; `None` without samples.
    pub fn get(&self, stat: Stat) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        Some(match stat {
            Stat::Sum => self.sum,
            Stat::Average => self.sum / self.count as f64,
            Stat::Minimum => self.min,
            Stat::Maximum => self.max,
            Stat::SampleCount => self.count as f64,
        })
    }
}

/// Per-metric buckets at each metric's storage resolution.
#[derive(Debug)]
pub struct MetricStore {
    /// Start of the first 60 s period, in `(-60, 0]` (0 when periods start
    /// at the run start, negative when aligned to UTC minutes).
    phase60: f64,
    /// Same for 10 s periods, in `(-10, 0]`.
    phase10: f64,
    delay_s: f64,
    idle_zero: bool,
    buckets: Vec<Vec<StatSet>>,
    /// Requests arriving per 10 s bucket, to tell an idle period of a
    /// sampled request-driven gauge from a quiet one.
    arrivals10: Vec<u32>,
    /// Instances in service, sampled once per second (index = second), so
    /// the autoscaler knows the capacity a datapoint was measured with.
    instances: Vec<u32>,
    /// Next bucket to publish, per metric.
    next_publish: [usize; METRIC_COUNT],
    published: [bool; METRIC_COUNT],
}

impl MetricStore {
    /// `phase60`/`phase10` as described on the fields; `published` says
    /// which metrics this endpoint publishes.
    pub fn new(
        phase60: f64,
        phase10: f64,
        delay_s: f64,
        idle_zero: bool,
        published: [bool; METRIC_COUNT],
    ) -> MetricStore {
        MetricStore {
            phase60,
            phase10,
            delay_s,
            idle_zero,
            buckets: vec![Vec::new(); METRIC_COUNT],
            arrivals10: Vec::new(),
            instances: Vec::new(),
            next_publish: [0; METRIC_COUNT],
            published,
        }
    }

    pub fn delay_s(&self) -> f64 {
        self.delay_s
    }

    pub fn is_published(&self, m: MetricId) -> bool {
        self.published[m.index()]
    }

    fn phase(&self, period_s: u32) -> f64 {
        if period_s.is_multiple_of(60) {
            self.phase60
        } else {
            self.phase10
        }
    }

    /// Index of the `period_s` period containing `t`.
    pub fn period_index(&self, period_s: u32, t: f64) -> usize {
        ((t - self.phase(period_s)) / period_s as f64)
            .floor()
            .max(0.0) as usize
    }

    /// Start of period `k` of length `period_s`.
    pub fn period_start(&self, period_s: u32, k: usize) -> f64 {
        self.phase(period_s) + k as f64 * period_s as f64
    }

    /// When the datapoint of period `k` becomes readable.
    pub fn readable_at(&self, period_s: u32, k: usize) -> f64 {
        self.period_start(period_s, k + 1) + self.delay_s
    }

    /// Adds one sample at time `t`.
    pub fn add(&mut self, m: MetricId, t: f64, v: f64) {
        if !self.published[m.index()] {
            return;
        }
        let k = self.period_index(m.resolution_s(), t);
        let b = &mut self.buckets[m.index()];
        if b.len() <= k {
            b.resize(k + 1, StatSet::default());
        }
        b[k].add(v);
    }

    /// Notes a request arriving at `t`.
    pub fn note_arrival(&mut self, t: f64) {
        let k = self.period_index(10, t);
        if self.arrivals10.len() <= k {
            self.arrivals10.resize(k + 1, 0);
        }
        self.arrivals10[k] += 1;
    }

    /// The statistic set of period `k` of length `period_s` (a multiple of
    /// the metric's resolution); `None` when CloudWatch would have no
    /// datapoint.
    pub fn statset(&self, m: MetricId, period_s: u32, k: usize) -> Option<StatSet> {
        if !self.published[m.index()] {
            return None;
        }
        let res = m.resolution_s();
        let per = (period_s / res).max(1) as usize;
        let first = self.period_index(res, self.period_start(period_s, k) + 1e-6);
        let b = &self.buckets[m.index()];
        let mut set = StatSet::default();
        let mut arrivals = 0u32;
        for i in first..first + per {
            if let Some(s) = b.get(i) {
                set.merge(s);
            }
            if res == 10 {
                arrivals += self.arrivals10.get(i).copied().unwrap_or(0);
            }
        }
        let idle = if matches!(
            m,
            MetricId::ConcurrentRequestsPerModel | MetricId::ConcurrentRequestsPerCopy
        ) {
            arrivals == 0
        } else {
            set.count == 0
        };
        if m.request_driven() && idle {
            return if self.idle_zero {
                let mut z = StatSet::default();
                z.add(0.0);
                Some(z)
            } else {
                None
            };
        }
        (set.count > 0).then_some(set)
    }

    /// Records the instances in service at second `t` (called once per
    /// simulated second).
    pub fn sample_instances(&mut self, t: f64, n: u32) {
        let i = t.round().max(0.0) as usize;
        if self.instances.len() <= i {
            self.instances.resize(i + 1, n);
        }
        self.instances[i] = n;
    }

    /// The instance count a per-instance datapoint of period `k` (length
    /// `period_s`) was measured with: the harmonic mean of the per-second
    /// counts in service, seconds with none left out. Each request adds
    /// `1 / instances` to `InvocationsPerInstance`, so it is this mean that
    /// turns the datapoint back into the period's total (`total = n × m`);
    /// the arithmetic mean overstates it while instances arrive (1 instance
    /// for 35 s then 3 for 25 s: 1.83 instead of 1.38, which sized a fourth
    /// instance the load never needed). `None` before the period has any
    /// samples; `Some(0.0)` when nothing was in service.
    pub fn instances_during(&self, period_s: u32, k: usize) -> Option<f64> {
        let start = self.period_start(period_s, k).ceil().max(0.0) as usize;
        let end =
            (self.period_start(period_s, k + 1).ceil().max(0.0) as usize).min(self.instances.len());
        if end <= start {
            return None;
        }
        let serving: Vec<f64> = self.instances[start..end]
            .iter()
            .filter(|n| **n > 0)
            .map(|n| *n as f64)
            .collect();
        if serving.is_empty() {
            return Some(0.0);
        }
        Some(serving.len() as f64 / serving.iter().map(|n| 1.0 / n).sum::<f64>())
    }

    /// The statistic of period `k`, if there is a datapoint.
    pub fn value(&self, m: MetricId, stat: Stat, period_s: u32, k: usize) -> Option<f64> {
        self.statset(m, period_s, k).and_then(|s| s.get(stat))
    }

    /// Buckets (at storage resolution) that became readable by `now` since
    /// the last call, as `(metric, k, readable_at)`.
    pub fn publish(&mut self, now: f64, out: &mut Vec<(MetricId, usize, f64)>) {
        for m in MetricId::ALL {
            if !self.published[m.index()] {
                continue;
            }
            let res = m.resolution_s();
            loop {
                let k = self.next_publish[m.index()];
                let at = self.readable_at(res, k);
                if at > now + 1e-9 {
                    break;
                }
                out.push((m, k, at));
                self.next_publish[m.index()] = k + 1;
            }
        }
    }

    /// The earliest time a not yet published bucket becomes readable.
    pub fn next_publish_time(&self) -> f64 {
        MetricId::ALL
            .iter()
            .filter(|m| self.published[m.index()])
            .map(|m| self.readable_at(m.resolution_s(), self.next_publish[m.index()]))
            .fold(f64::INFINITY, f64::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(idle_zero: bool) -> MetricStore {
        MetricStore::new(0.0, 0.0, 60.0, idle_zero, [true; METRIC_COUNT])
    }

    #[test]
    fn periods_merge_and_publish_after_the_delay() {
        let mut s = store(true);
        s.add(MetricId::Invocations, 10.0, 1.0);
        s.add(MetricId::Invocations, 59.9, 1.0);
        s.add(MetricId::Invocations, 60.0, 1.0);
        assert_eq!(s.value(MetricId::Invocations, Stat::Sum, 60, 0), Some(2.0));
        assert_eq!(s.value(MetricId::Invocations, Stat::Sum, 120, 0), Some(3.0));
        let mut out = Vec::new();
        s.publish(119.0, &mut out);
        assert!(out.iter().all(|(m, _, _)| m.resolution_s() == 10));
        out.clear();
        s.publish(120.0, &mut out);
        assert!(out.contains(&(MetricId::Invocations, 0, 120.0)));
    }

    #[test]
    fn idle_periods_are_zero_or_missing() {
        let zero = store(true);
        assert_eq!(
            zero.value(MetricId::Invocations, Stat::Sum, 60, 3),
            Some(0.0)
        );
        assert_eq!(
            zero.value(MetricId::ModelLatency, Stat::Average, 60, 3),
            None
        );
        let missing = store(false);
        assert_eq!(missing.value(MetricId::Invocations, Stat::Sum, 60, 3), None);
    }

    #[test]
    fn utc_alignment_shifts_periods() {
        let s = MetricStore::new(-15.0, -5.0, 60.0, true, [true; METRIC_COUNT]);
        assert_eq!(s.period_index(60, 0.0), 0);
        assert_eq!(s.period_index(60, 45.0), 1);
        assert_eq!(s.period_start(60, 1), 45.0);
        assert_eq!(s.readable_at(60, 0), 105.0);
    }
}
