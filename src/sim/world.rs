//! The simulated deployment as one synchronous, time-parameterised model:
//! endpoint, CloudWatch metrics and alarms, Application Auto Scaling and the
//! fleet. Every method takes "now" in seconds since the run started, so each
//! mechanic is testable without async; [`super::start`] wraps it for tokio.
//!
//! [`World::advance`] processes every internal event up to `now` in time
//! order, at its exact time: async completions, launches and terminations,
//! one gauge sample per second, datapoints becoming readable, alarm
//! evaluations, scheduled actions, and the autoscaler's reaction to alarms.
//! At one instant the order is fixed (that list's order), so results do not
//! depend on who calls `advance` first.

use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::alarm::{Alarm, Transition};
use super::autoscaler::{Autoscaler, Change, ClockMap};
use super::config::{IdleMinutes, PeriodAlignment, SimConfig};
use super::endpoint::{Admission, AsyncTicket, Endpoint};
use super::fleet::Fleet;
use super::inference_component::{self as ic, Placement};
use super::metrics::{METRIC_COUNT, MetricId, MetricStore};
use crate::clock::utc_at;

const EPS: f64 = 1e-9;

pub struct World {
    pub cfg: SimConfig,
    pub started_at: DateTime<Utc>,
    /// Data plane draws (routing, service times).
    rng: ChaCha8Rng,
    /// Control plane draws (launch times, identifiers), kept apart so a
    /// change in traffic does not move launch times.
    ctl_rng: ChaCha8Rng,
    pub metrics: MetricStore,
    pub endpoint: Endpoint,
    pub alarms: Vec<Alarm>,
    pub scaler: Option<Autoscaler>,
    fleet: Fleet,
    /// `[sim.inference_component]`: its copies and instances (the fleet
    /// then stays idle).
    pub ic: Option<Placement>,
    clock_map: ClockMap,
    /// Every alarm transition so far, in order.
    pub transitions: Vec<Transition>,
    /// Every datapoint published so far: (metric, bucket, readable at).
    pub published: Vec<(MetricId, usize, f64)>,
    next_sample: f64,
    now: f64,
}

/// A random identifier shaped like an AWS UUID.
fn uuid(rng: &mut ChaCha8Rng) -> String {
    let a: u128 = rng.random();
    let h = format!("{a:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl World {
    pub fn new(cfg: &SimConfig, seed: u64, started_at: DateTime<Utc>) -> World {
        let start_epoch_s =
            started_at.timestamp() as f64 + started_at.timestamp_subsec_micros() as f64 / 1e6;
        let (phase60, phase10) = match cfg.cloudwatch.period_alignment {
            PeriodAlignment::RunStart => (0.0, 0.0),
            PeriodAlignment::Utc => (
                -(start_epoch_s.rem_euclid(60.0)),
                -(start_epoch_s.rem_euclid(10.0)),
            ),
        };
        let mut published = [false; METRIC_COUNT];
        for m in MetricId::ALL {
            published[m.index()] = cfg.publishes(m);
        }
        let metrics = MetricStore::new(
            phase60,
            phase10,
            cfg.cloudwatch.publishing_delay_s,
            cfg.cloudwatch.idle_minutes == IdleMinutes::Zero,
            published,
        );
        let mut ctl_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5ca1_e7ace);
        let clock_map = ClockMap { start_epoch_s };
        let mut alarms = Vec::new();
        let scaler = cfg.scaling.as_ref().map(|s| {
            Autoscaler::new(s, cfg, &metrics, &clock_map, &mut alarms, &mut || {
                uuid(&mut ctl_rng)
            })
        });
        World {
            cfg: cfg.clone(),
            started_at,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ctl_rng,
            metrics,
            endpoint: Endpoint::new(cfg),
            alarms,
            scaler,
            fleet: Fleet::default(),
            ic: cfg.inference_component.as_ref().map(Placement::new),
            clock_map,
            transitions: Vec::new(),
            published: Vec::new(),
            next_sample: 0.0,
            now: 0.0,
        }
    }

    /// `CurrentInstanceCount`.
    pub fn current(&self) -> u32 {
        if let Some(ic) = &self.ic {
            return ic.instances_in_service(self.now);
        }
        self.endpoint.in_service()
    }

    /// `DesiredInstanceCount`.
    pub fn desired(&self) -> u32 {
        if let Some(ic) = &self.ic {
            return ic.instances_desired();
        }
        self.scaler
            .as_ref()
            .map(|s| s.desired)
            .unwrap_or(self.cfg.endpoint.initial_instances)
    }

    /// `InService` or `Updating`.
    pub fn status(&self) -> &'static str {
        if self.fleet.is_updating()
            || self
                .ic
                .as_ref()
                .is_some_and(|c| c.endpoint_updating(self.now))
        {
            "Updating"
        } else {
            "InService"
        }
    }

    /// The time of the next internal event.
    pub fn next_event_time(&self) -> f64 {
        let mut t = self
            .next_sample
            .min(self.metrics.next_publish_time())
            .min(self.fleet.next_event());
        for a in &self.alarms {
            t = t.min(a.next_eval);
        }
        if let Some(s) = &self.scaler {
            t = t.min(s.next_scheduled());
        }
        if let Some(e) = self.endpoint.next_async_event() {
            t = t.min(e);
        }
        if let Some(c) = &self.ic {
            t = t.min(c.next_event(self.now));
        }
        t
    }

    /// Processes everything due up to `now`.
    pub fn advance(&mut self, now: f64) {
        loop {
            let t = self.next_event_time();
            if !t.is_finite() || t > now + EPS {
                break;
            }
            self.step(t.max(self.now));
        }
        self.now = self.now.max(now);
        if self.cfg.is_async() {
            self.endpoint
                .advance_async(now, &mut self.rng, &mut self.metrics);
        }
    }

    fn step(&mut self, t: f64) {
        self.now = t;
        if self.cfg.is_async() {
            self.endpoint
                .advance_async(t, &mut self.rng, &mut self.metrics);
        }
        let due = self.fleet.complete(t);
        if due.launched > 0 {
            self.endpoint.add_instances(due.launched);
        }
        if due.terminated > 0 {
            self.endpoint.remove_instances(due.terminated);
        }
        if let Some(s) = &mut self.scaler {
            for a in due.completed {
                let act = &mut s.activities[a];
                act.status = "Successful";
                act.end = Some(t);
            }
        }
        if let Some(c) = &mut self.ic {
            ic::settle(c, t, &mut self.endpoint, self.scaler.as_mut());
        }
        if self.next_sample <= t + EPS {
            self.endpoint.sample(t, &mut self.metrics);
            self.metrics.sample_instances(t, self.endpoint.in_service());
            self.next_sample += 1.0;
        }
        self.metrics.publish(t, &mut self.published);
        let mut invoked = Vec::new();
        let started_at = self.started_at;
        let utc = move |off: f64| utc_at(started_at, off);
        for (i, a) in self.alarms.iter_mut().enumerate() {
            if a.next_eval <= t + EPS {
                if let Some(tr) = a.evaluate(t, &self.metrics, &utc) {
                    self.transitions.push(tr);
                }
                if a.state == crate::journal::record::AlarmState::Alarm {
                    invoked.push(i);
                }
            }
        }
        let current = self.endpoint.in_service();
        let Some(s) = &mut self.scaler else {
            return;
        };
        let ctl = &mut self.ctl_rng;
        let mut changes: Vec<Change> = Vec::new();
        if s.next_scheduled() <= t + EPS
            && let Some(c) = s.run_scheduled(t, &self.clock_map, &mut || uuid(ctl))
        {
            changes.push(c);
        }
        if !invoked.is_empty()
            && let Some(c) = s.on_alarms(
                t,
                &invoked,
                &self.alarms,
                &self.metrics,
                current,
                &mut || uuid(ctl),
            )
        {
            changes.push(c);
        }
        for c in changes {
            let launch = self.cfg.instance.launch_time.sample(&mut self.ctl_rng);
            if let Some(p) = &mut self.ic {
                let term = self.cfg.instance.termination_time_s;
                let out = p.set_desired(t, c.desired, Some(c.activity), launch, term);
                self.endpoint.remove_instances(out);
                continue;
            }
            self.fleet.apply(
                t,
                current,
                c.desired,
                Some(c.activity),
                launch,
                self.cfg.instance.termination_time_s,
            );
        }
        // A change due immediately (nothing to wait for) completes now.
        if self.fleet.next_event() <= t + EPS {
            let due = self.fleet.complete(t);
            if let Some(s) = &mut self.scaler {
                for a in due.completed {
                    s.activities[a].status = "Successful";
                    s.activities[a].end = Some(t);
                }
            }
            self.endpoint.add_instances(due.launched);
            self.endpoint.remove_instances(due.terminated);
        }
        if let Some(c) = &mut self.ic {
            ic::settle(c, t, &mut self.endpoint, self.scaler.as_mut());
        }
    }

    /// A real-time request arriving at `now`.
    pub fn invoke_realtime(&mut self, now: f64) -> Admission {
        self.advance(now);
        self.endpoint
            .invoke_realtime(now, &mut self.rng, &mut self.metrics)
    }

    /// An async request arriving at `now`; `None` when refused.
    pub fn invoke_async(&mut self, now: f64) -> Option<AsyncTicket> {
        self.advance(now);
        self.endpoint
            .invoke_async(now, &mut self.rng, &mut self.metrics)
    }

    /// Warnings about the configuration, for the observer's first poll.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self
            .scaler
            .as_ref()
            .map(|s| s.warnings(&self.cfg))
            .unwrap_or_default();
        if self.cfg.cloudwatch.idle_minutes == IdleMinutes::Missing && self.scaler.is_some() {
            w.push(
                "sim.cloudwatch.idle_minutes = \"missing\": minutes without invocations have no datapoint, \
                 so target tracking cannot scale in an idle endpoint"
                    .into(),
            );
        }
        w
    }
}
