//! The simulated endpoint's data plane: instances with worker slots, routing,
//! per-instance queues, the invocation timeout, and the async queue.
//!
//! Real-time: each instance is a FIFO queue in front of `worker_slots`
//! workers. A request is routed when it arrives, so its start and end are
//! known at once (the earliest-free worker takes it, which is exactly FIFO
//! for a multi-server queue): admission costs O(slots + log n) and no
//! per-request allocation. Beyond `queue_bound` waiting requests the
//! instance refuses it (503, or 429 with `queue_full = "throttled"`). A
//! response later than the invocation timeout becomes a ModelError at the
//! timeout, as SageMaker reports it; the container keeps working on it, so
//! the worker stays busy.
//!
//! Async: one queue shared by all instances; a request starts when a worker
//! frees (event-driven, exactly at that time) and expires if still queued
//! after the TTL. With no instance at all the backlog only grows, which is
//! what `HasBacklogWithoutCapacity` reports, once it has lasted
//! `sim.async.backlog_without_capacity_onset` (default 150 s).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tokio::sync::oneshot;

use super::config::{QueueFull, Routing, SimConfig};
use super::metrics::{MetricId, MetricStore};
use crate::outcome::Outcome;

/// An `f64` time with a total order, for heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Time(pub f64);
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Time {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Debug)]
struct Instance {
    id: u32,
    /// Real-time: when each worker frees.
    free_at: Vec<f64>,
    /// Real-time: start times of requests still waiting (non-decreasing).
    waiting: VecDeque<f64>,
    /// Real-time: service end of every request not yet finished.
    outstanding: BinaryHeap<Reverse<Time>>,
    /// Async: workers busy.
    busy: u32,
}

impl Instance {
    fn prune(&mut self, now: f64) {
        while self.waiting.front().is_some_and(|s| *s <= now) {
            self.waiting.pop_front();
        }
        while self.outstanding.peek().is_some_and(|Reverse(e)| e.0 <= now) {
            self.outstanding.pop();
        }
    }
}

/// How a real-time request ends: the response comes `after` seconds after
/// it arrived.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Admission {
    pub after: f64,
    pub outcome: Outcome,
    /// With `[sim.instance.stream]`: its first token comes this long after
    /// arrival, then one per `gap_s`.
    pub stream: Option<SimStream>,
}

/// A simulated streamed response, relative to its arrival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimStream {
    pub first_after: f64,
    pub gap_s: f64,
    pub tokens: u32,
}

/// What an async request's caller learns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AsyncDone {
    /// Its output is written at this time.
    Finished(f64),
    /// It expired in the queue.
    Expired,
}

/// An accepted async request: wait on `rx`, or give up at `expires_at`.
#[derive(Debug)]
pub struct AsyncTicket {
    pub rx: oneshot::Receiver<AsyncDone>,
    pub expires_at: f64,
}

struct Queued {
    arrival: f64,
    expires_at: f64,
    tx: oneshot::Sender<AsyncDone>,
}

/// Counters kept for tests and reports.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EndpointCounts {
    pub admitted: u64,
    pub refused: u64,
    pub timed_out: u64,
    pub expired: u64,
    pub processed: u64,
}

pub struct Endpoint {
    cfg: SimConfig,
    instances: Vec<Instance>,
    next_id: u32,
    /// Rotates least-outstanding ties so equal instances share the load.
    rr: usize,
    queue: VecDeque<Queued>,
    in_processing: u64,
    completions: BinaryHeap<Reverse<(Time, u32)>>,
    /// Async: since when a backlog has waited with no instance in service.
    without_capacity_since: Option<f64>,
    pub counts: EndpointCounts,
}

impl Endpoint {
    pub fn new(cfg: &SimConfig) -> Endpoint {
        let mut e = Endpoint {
            cfg: cfg.clone(),
            instances: Vec::new(),
            next_id: 0,
            rr: 0,
            queue: VecDeque::new(),
            in_processing: 0,
            completions: BinaryHeap::new(),
            without_capacity_since: None,
            counts: EndpointCounts::default(),
        };
        e.add_instances(cfg.endpoint.initial_instances);
        e
    }

    /// Instances taking requests.
    pub fn in_service(&self) -> u32 {
        self.instances.len() as u32
    }

    pub fn add_instances(&mut self, n: u32) {
        for _ in 0..n {
            self.instances.push(Instance {
                id: self.next_id,
                free_at: vec![0.0; self.cfg.instance.worker_slots as usize],
                waiting: VecDeque::new(),
                outstanding: BinaryHeap::new(),
                busy: 0,
            });
            self.next_id += 1;
        }
    }

    /// Takes the newest `n` instances out of the endpoint. Work already
    /// routed to them finishes (its responses are already scheduled).
    pub fn remove_instances(&mut self, n: u32) {
        let keep = self.instances.len().saturating_sub(n as usize);
        self.instances.truncate(keep);
    }

    fn pick(&mut self, now: f64, rng: &mut ChaCha8Rng) -> usize {
        let n = self.instances.len();
        match self.cfg.endpoint.routing {
            Routing::Random => rng.random_range(0..n),
            Routing::LeastOutstanding => {
                self.rr = (self.rr + 1) % n;
                let mut best = self.rr;
                let mut best_len = usize::MAX;
                for k in 0..n {
                    let i = (self.rr + k) % n;
                    let inst = &mut self.instances[i];
                    inst.prune(now);
                    if inst.outstanding.len() < best_len {
                        best = i;
                        best_len = inst.outstanding.len();
                    }
                }
                best
            }
        }
    }

    /// Admits one real-time request arriving at `now`, records its metrics
    /// and says when and how it ends.
    pub fn invoke_realtime(
        &mut self,
        now: f64,
        rng: &mut ChaCha8Rng,
        metrics: &mut MetricStore,
    ) -> Admission {
        let overhead = self.cfg.endpoint.overhead_s;
        metrics.note_arrival(now);
        let n = self.instances.len();
        let refuse = |me: &mut Self, metrics: &mut MetricStore| {
            me.counts.refused += 1;
            let end = now + overhead;
            let outcome = match me.cfg.endpoint.queue_full {
                QueueFull::Http5xx => Outcome::Http5xx,
                QueueFull::Throttled => Outcome::Throttled,
            };
            record(metrics, end, n.max(1), overhead, None, outcome);
            Admission {
                after: overhead,
                outcome,
                stream: None,
            }
        };
        if n == 0 {
            if self.cfg.inference_component.is_some() {
                return super::inference_component::no_capacity(now, overhead, metrics);
            }
            return refuse(self, metrics);
        }
        let i = self.pick(now, rng);
        let bound = self.cfg.instance.queue_bound as usize;
        let inst = &mut self.instances[i];
        inst.prune(now);
        if inst.waiting.len() >= bound && inst.free_at.iter().all(|f| *f > now) {
            return refuse(self, metrics);
        }
        let (slot, free) = inst
            .free_at
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("at least one worker slot");
        let start = free.max(now);
        // A streamed response: the other sequences in progress when its
        // worker starts slow its decoding (`profile::sim::stream`).
        let plan = self.cfg.instance.stream.as_ref().map(|m| {
            let others = inst
                .free_at
                .iter()
                .enumerate()
                .filter(|(k, f)| *k != slot && **f > start)
                .count();
            m.plan(others, rng)
        });
        let service = match &plan {
            Some(p) => p.service_s(),
            None => self.cfg.instance.service_time.sample(rng),
        };
        let end = start + service;
        inst.free_at[slot] = end;
        if start > now {
            inst.waiting.push_back(start);
        }
        inst.outstanding.push(Reverse(Time(end)));
        self.counts.admitted += 1;
        let model_latency = end - now;
        let timeout = self.cfg.endpoint.invocation_timeout_s;
        let (after, outcome) = if model_latency + overhead > timeout {
            self.counts.timed_out += 1;
            (timeout, Outcome::ModelError)
        } else {
            (model_latency + overhead, Outcome::Ok)
        };
        record(
            metrics,
            now + after,
            n,
            overhead,
            Some(model_latency.min(timeout)),
            outcome,
        );
        let stream = plan.filter(|_| outcome == Outcome::Ok).map(|p| SimStream {
            first_after: start - now + p.prefill_s + overhead,
            gap_s: p.gap_s,
            tokens: p.tokens,
        });
        Admission {
            after,
            outcome,
            stream,
        }
    }

    /// Queues one async request arriving at `now`; `None` when the queue
    /// bound refuses it.
    pub fn invoke_async(
        &mut self,
        now: f64,
        rng: &mut ChaCha8Rng,
        metrics: &mut MetricStore,
    ) -> Option<AsyncTicket> {
        metrics.note_arrival(now);
        self.advance_async(now, rng, metrics);
        if let Some(b) = self.cfg.async_.queue_bound
            && self.queue.len() >= b as usize
        {
            self.counts.refused += 1;
            return None;
        }
        let (tx, rx) = oneshot::channel();
        let expires_at = now + self.cfg.async_.request_ttl_s;
        self.queue.push_back(Queued {
            arrival: now,
            expires_at,
            tx,
        });
        self.counts.admitted += 1;
        self.dispatch(now, rng, metrics);
        Some(AsyncTicket { rx, expires_at })
    }

    /// Starts queued async requests on free workers at time `t`.
    fn dispatch(&mut self, t: f64, rng: &mut ChaCha8Rng, metrics: &mut MetricStore) {
        let slots = self.cfg.instance.worker_slots;
        while !self.queue.is_empty() {
            let Some(inst) = self.instances.iter_mut().find(|i| i.busy < slots) else {
                return;
            };
            let q = self.queue.pop_front().expect("non-empty");
            if q.expires_at <= t {
                self.counts.expired += 1;
                let _ = q.tx.send(AsyncDone::Expired);
                continue;
            }
            inst.busy += 1;
            let service = self.cfg.instance.service_time.sample(rng);
            let end = t + service;
            self.completions.push(Reverse((Time(end), inst.id)));
            self.in_processing += 1;
            metrics.add(MetricId::ModelLatency, end, service * 1e6);
            let _ =
                q.tx.send(AsyncDone::Finished(end + self.cfg.endpoint.overhead_s));
        }
    }

    /// Processes async completions up to `now`, each freeing its worker for
    /// the next queued request at the exact completion time.
    pub fn advance_async(&mut self, now: f64, rng: &mut ChaCha8Rng, metrics: &mut MetricStore) {
        while let Some(Reverse((Time(e), id))) = self.completions.peek().copied() {
            if e > now {
                break;
            }
            self.completions.pop();
            self.in_processing -= 1;
            self.counts.processed += 1;
            if let Some(inst) = self.instances.iter_mut().find(|i| i.id == id) {
                inst.busy -= 1;
            }
            self.dispatch(e, rng, metrics);
        }
        // New instances (or none) may take queued work now.
        self.dispatch(now, rng, metrics);
    }

    /// The next async completion.
    pub fn next_async_event(&self) -> Option<f64> {
        self.completions.peek().map(|Reverse((t, _))| t.0)
    }

    /// Samples the gauges (concurrency, CPU, backlog) at `now`.
    pub fn sample(&mut self, now: f64, metrics: &mut MetricStore) {
        let slots = self.cfg.instance.worker_slots as f64;
        let cpu_full = self.cfg.instance.vcpus as f64 * 100.0;
        let n = self.instances.len();
        if self.cfg.is_async() {
            while self.queue.front().is_some_and(|q| q.expires_at <= now) {
                let q = self.queue.pop_front().expect("non-empty");
                self.counts.expired += 1;
                let _ = q.tx.send(AsyncDone::Expired);
            }
            let backlog = self.queue.len() as f64 + self.in_processing as f64;
            metrics.add(MetricId::ApproximateBacklogSize, now, backlog);
            metrics.add(
                MetricId::ApproximateBacklogSizePerInstance,
                now,
                backlog / n.max(1) as f64,
            );
            let age = self.queue.front().map(|q| now - q.arrival).unwrap_or(0.0);
            metrics.add(MetricId::ApproximateAgeOfOldestRequest, now, age);
            // The metric lags the backlog it reports (users see 2–3 minutes
            // before it moves from 0 to 1; AWS publishes no number).
            if backlog > 0.0 && n == 0 {
                self.without_capacity_since.get_or_insert(now);
            } else {
                self.without_capacity_since = None;
            }
            let without = self.without_capacity_since.is_some_and(|since| {
                now - since >= self.cfg.async_.backlog_without_capacity_onset_s - 1e-9
            });
            metrics.add(
                MetricId::HasBacklogWithoutCapacity,
                now,
                if without { 1.0 } else { 0.0 },
            );
            for inst in &self.instances {
                metrics.add(
                    MetricId::CPUUtilization,
                    now,
                    inst.busy as f64 / slots * cpu_full,
                );
            }
            return;
        }
        let mut total = 0usize;
        for inst in &mut self.instances {
            inst.prune(now);
            let out = inst.outstanding.len();
            let busy = out.saturating_sub(inst.waiting.len()) as f64;
            total += out;
            metrics.add(MetricId::CPUUtilization, now, busy / slots * cpu_full);
        }
        if n > 0 {
            metrics.add(
                MetricId::ConcurrentRequestsPerModel,
                now,
                total as f64 / n as f64,
            );
            // With an inference component the servers are its copies.
            metrics.add(
                MetricId::ConcurrentRequestsPerCopy,
                now,
                total as f64 / n as f64,
            );
        }
    }
}

/// Per-request samples, at the time the response is sent.
fn record(
    m: &mut MetricStore,
    at: f64,
    instances: usize,
    overhead_s: f64,
    model_latency_s: Option<f64>,
    outcome: Outcome,
) {
    m.add(MetricId::Invocations, at, 1.0);
    m.add(MetricId::InvocationsPerInstance, at, 1.0 / instances as f64);
    m.add(MetricId::InvocationsPerCopy, at, 1.0 / instances as f64);
    m.add(MetricId::OverheadLatency, at, overhead_s * 1e6);
    if let Some(l) = model_latency_s {
        m.add(MetricId::ModelLatency, at, l * 1e6);
    }
    let (e4, e5) = match outcome {
        Outcome::Http4xx | Outcome::ModelError | Outcome::Throttled => (1.0, 0.0),
        Outcome::Http5xx => (0.0, 1.0),
        _ => (0.0, 0.0),
    };
    m.add(MetricId::Invocation4XXErrors, at, e4);
    m.add(MetricId::Invocation5XXErrors, at, e5);
}
