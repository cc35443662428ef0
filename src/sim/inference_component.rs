//! The simulated inference component: its copies, where they are placed,
//! and the instances managed instance scaling launches and removes for
//! them (`[sim.inference_component]`, [`InferenceComponentConfig`]).
//!
//! Application Auto Scaling moves `DesiredCopyCount`; this file turns it
//! into copies and instances:
//! - A new copy goes on the oldest instance with room (accelerator and
//!   memory units, [`InferenceComponentConfig::copies_per_instance`]); it
//!   is in service `copy_load_time` after that instance is (a setting: AWS
//!   publishes no number).
//! - When no instance has room and the variant is below
//!   `MaxInstanceCount`, managed instance scaling launches instances (one
//!   draw of `sim.instance.launch_time` per decision, as for a variant) and
//!   the copies wait for them. At `MaxInstanceCount` a copy that fits
//!   nowhere stays pending: `CurrentCopyCount` stays below
//!   `DesiredCopyCount`.
//!   <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html>
//! - Scale in removes pending copies first, then loading ones, then copies
//!   in service, newest first; a removed copy stops taking requests at
//!   once (an assumption). Managed instance scaling removes idle instances
//!   (no copies) down to `MinInstanceCount`: a launch not yet in service is
//!   cancelled, an instance in service leaves after
//!   `sim.instance.termination_time`.
//! - A scaling activity completes when every copy asked for is in service
//!   (a scale in: at once).
//!
//! The data plane ([`super::endpoint::Endpoint`]) serves requests on copies:
//! each copy in service is one model server of `sim.instance.worker_slots`
//! sequences. With no copy in service a request fails as SageMaker fails
//! it ([`no_capacity`]).

use super::autoscaler::Autoscaler;
use super::endpoint::{Admission, Endpoint};
use super::metrics::{MetricId, MetricStore};
use crate::outcome::Outcome;
pub use crate::profile::sim::inference_component::InferenceComponentConfig;

const EPS: f64 = 1e-9;

#[derive(Debug, Clone, PartialEq)]
struct Host {
    /// When it is (or was) in service.
    ready_at: f64,
    /// When it leaves the endpoint, once idle and released.
    leaving_at: Option<f64>,
    /// Copies placed on it, loading or in service.
    copies: u32,
}

#[derive(Debug, Clone, PartialEq)]
struct Copy {
    /// Index in `hosts` (kept valid: a host with copies never leaves).
    host: usize,
    ready_at: f64,
}

/// Copies and instances of one inference component.
#[derive(Debug)]
pub struct Placement {
    cfg: InferenceComponentConfig,
    per_host: u32,
    hosts: Vec<Host>,
    /// Placed copies, in placement order.
    copies: Vec<Copy>,
    /// Copies asked for that fit on no instance.
    unplaced: u32,
    /// Activities waiting for their copies.
    pending: Vec<usize>,
    /// Copies in service (also the data plane's server count).
    in_service: u32,
}

/// What became due.
#[derive(Debug, Default, PartialEq)]
pub struct IcDue {
    pub copies_ready: u32,
    pub completed: Vec<usize>,
}

impl Placement {
    /// The initial copies, in service on the initial instances at time 0.
    pub fn new(cfg: &InferenceComponentConfig) -> Placement {
        let mut p = Placement {
            cfg: cfg.clone(),
            per_host: cfg.copies_per_instance().max(1),
            hosts: Vec::new(),
            copies: Vec::new(),
            unplaced: 0,
            pending: Vec::new(),
            in_service: 0,
        };
        for _ in 0..cfg.initial_instances() {
            p.hosts.push(Host {
                ready_at: 0.0,
                leaving_at: None,
                copies: 0,
            });
        }
        for _ in 0..cfg.copies {
            let h = p.room().expect("validated: initial copies fit");
            p.hosts[h].copies += 1;
            p.copies.push(Copy {
                host: h,
                ready_at: 0.0,
            });
        }
        p.in_service = cfg.copies;
        p
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    /// `CurrentCopyCount`.
    pub fn current_copies(&self) -> u32 {
        self.in_service
    }

    /// `DesiredCopyCount` as placed (copies placed or pending).
    pub fn desired_copies(&self) -> u32 {
        self.copies.len() as u32 + self.unplaced
    }

    /// Instances in service (`CurrentInstanceCount`), leaving ones until
    /// they have left.
    pub fn instances_in_service(&self, now: f64) -> u32 {
        self.hosts
            .iter()
            .filter(|h| h.ready_at <= now + EPS)
            .count() as u32
    }

    /// Instances the variant is moving to (`DesiredInstanceCount`).
    pub fn instances_desired(&self) -> u32 {
        self.hosts.iter().filter(|h| h.leaving_at.is_none()).count() as u32
    }

    /// The endpoint is `Updating` while an instance launches or leaves.
    pub fn endpoint_updating(&self, now: f64) -> bool {
        self.hosts
            .iter()
            .any(|h| h.ready_at > now + EPS || h.leaving_at.is_some())
    }

    /// `InferenceComponentStatus`: `Updating` while copies load or wait
    /// for room, else `InService`.
    pub fn status(&self) -> &'static str {
        if self.unplaced > 0 || self.in_service < self.copies.len() as u32 {
            "Updating"
        } else {
            "InService"
        }
    }

    /// The first instance, not leaving, with room for a copy.
    fn room(&self) -> Option<usize> {
        self.hosts
            .iter()
            .position(|h| h.leaving_at.is_none() && h.copies < self.per_host)
    }

    /// Places one copy at `now`; launches an instance (ready at
    /// `launch_at`) when none has room and the variant may grow.
    fn place(&mut self, now: f64, launch_at: f64) -> bool {
        let h = match self.room() {
            Some(h) => h,
            None if self.instances_desired() < self.cfg.max_instance_count => {
                self.hosts.push(Host {
                    ready_at: launch_at,
                    leaving_at: None,
                    copies: 0,
                });
                self.hosts.len() - 1
            }
            None => return false,
        };
        self.hosts[h].copies += 1;
        let ready_at = self.hosts[h].ready_at.max(now) + self.cfg.copy_load_s;
        self.copies.push(Copy { host: h, ready_at });
        true
    }

    /// Moves to `desired` copies at `now` for `activity`; `launch_s` is
    /// this decision's launch time, `terminate_s` how long an idle
    /// instance takes to leave. Returns the copies taken out of service
    /// (for the data plane to drop).
    pub fn set_desired(
        &mut self,
        now: f64,
        desired: u32,
        activity: Option<usize>,
        launch_s: f64,
        terminate_s: f64,
    ) -> u32 {
        let mut removed = 0;
        let planned = self.desired_copies();
        if desired > planned {
            for _ in planned..desired {
                if !self.place(now, now + launch_s) {
                    self.unplaced += 1;
                }
            }
        } else if desired < planned {
            let mut extra = planned - desired;
            let k = extra.min(self.unplaced);
            self.unplaced -= k;
            extra -= k;
            while extra > 0 {
                // Newest first, loading copies before those in service.
                let i = self
                    .copies
                    .iter()
                    .rposition(|c| c.ready_at > now + EPS)
                    .unwrap_or(self.copies.len() - 1);
                let c = self.copies.remove(i);
                self.hosts[c.host].copies -= 1;
                if c.ready_at <= now + EPS {
                    removed += 1;
                }
                extra -= 1;
            }
            self.in_service -= removed;
            self.release_idle(now, terminate_s);
        }
        self.pending.extend(activity);
        removed
    }

    /// Managed instance scaling takes idle instances out, newest first,
    /// keeping `MinInstanceCount`.
    fn release_idle(&mut self, now: f64, terminate_s: f64) {
        let mut keep = self.instances_desired();
        let mut i = self.hosts.len();
        while i > 0 && keep > self.cfg.min_instance_count {
            i -= 1;
            let h = &mut self.hosts[i];
            if h.copies > 0 || h.leaving_at.is_some() {
                continue;
            }
            keep -= 1;
            if h.ready_at > now + EPS {
                // A launch not in service yet is cancelled.
                self.remove_host(i);
            } else {
                h.leaving_at = Some(now + terminate_s);
            }
        }
    }

    fn remove_host(&mut self, i: usize) {
        self.hosts.remove(i);
        for c in &mut self.copies {
            if c.host > i {
                c.host -= 1;
            }
        }
    }

    /// The next launch, copy load or departure.
    pub fn next_event(&self, now: f64) -> f64 {
        let hosts = self
            .hosts
            .iter()
            .flat_map(|h| [Some(h.ready_at).filter(|t| *t > now + EPS), h.leaving_at]);
        let copies = self
            .copies
            .iter()
            .map(|c| Some(c.ready_at).filter(|t| *t > now + EPS));
        hosts.chain(copies).flatten().fold(f64::INFINITY, f64::min)
    }

    /// Completes what is due at `now`: copies entering service, instances
    /// leaving, activities whose copies are all in service.
    pub fn complete(&mut self, now: f64) -> IcDue {
        let mut due = IcDue::default();
        let ready = self
            .copies
            .iter()
            .filter(|c| c.ready_at <= now + EPS)
            .count() as u32;
        due.copies_ready = ready - self.in_service;
        self.in_service = ready;
        while let Some(i) = self
            .hosts
            .iter()
            .position(|h| h.leaving_at.is_some_and(|t| t <= now + EPS))
        {
            self.remove_host(i);
        }
        if self.status() == "InService" {
            due.completed = std::mem::take(&mut self.pending);
        }
        due
    }
}

/// Applies what is due at `t`: copies entering service join the data
/// plane; completed activities are marked `Successful`.
pub fn settle(
    ic: &mut Placement,
    t: f64,
    endpoint: &mut Endpoint,
    scaler: Option<&mut Autoscaler>,
) {
    let due = ic.complete(t);
    endpoint.add_instances(due.copies_ready);
    if let Some(s) = scaler {
        for a in due.completed {
            s.activities[a].status = "Successful";
            s.activities[a].end = Some(t);
        }
    }
}

/// A real-time request with no copy in service: SageMaker answers
/// `ValidationError` (HTTP 400) "Inference Component has no capacity to
/// process this request. ApplicationAutoScaling may be in-progress (if
/// configured) or try to increase the capacity by invoking
/// UpdateInferenceComponentRuntimeConfig API." and emits
/// `NoCapacityInvocationFailures`, the metric the scale-to-zero page's
/// wake-up alarm watches. The caller sees a 4xx (counted in
/// `Invocation4XXErrors`) after SageMaker's overhead.
/// <https://aws.amazon.com/blogs/machine-learning/unlock-cost-savings-with-the-new-scale-down-to-zero-feature-in-amazon-sagemaker-inference/>
/// <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-zero-instances.html>
pub fn no_capacity(now: f64, overhead_s: f64, metrics: &mut MetricStore) -> Admission {
    let at = now + overhead_s;
    metrics.add(MetricId::NoCapacityInvocationFailures, at, 1.0);
    metrics.add(MetricId::Invocation4XXErrors, at, 1.0);
    metrics.add(MetricId::Invocation5XXErrors, at, 0.0);
    metrics.add(MetricId::OverheadLatency, at, overhead_s * 1e6);
    Admission {
        after: overhead_s,
        outcome: Outcome::Http4xx,
        stream: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(copies: u32, min: u32, max: u32) -> InferenceComponentConfig {
        InferenceComponentConfig {
            name: "ic".into(),
            copies,
            accelerators_per_copy: 1,
            memory_per_copy_mb: 1000,
            accelerators_per_instance: 2,
            memory_per_instance_mb: 4000,
            min_instance_count: min,
            max_instance_count: max,
            copy_load_s: 30.0,
        }
    }

    #[test]
    fn copies_that_do_not_fit_wait_for_a_launched_instance() {
        let mut p = Placement::new(&cfg(1, 1, 2));
        assert_eq!((p.current_copies(), p.instances_in_service(0.0)), (1, 1));
        // 1 → 4 copies at t = 100: one more fits on instance 0 (ready at
        // 130), two wait for a launch (ready at 400, copies at 430).
        p.set_desired(100.0, 4, Some(0), 300.0, 60.0);
        assert_eq!(p.instances_desired(), 2);
        assert_eq!(p.next_event(100.0), 130.0);
        assert_eq!(p.complete(130.0).copies_ready, 1);
        assert_eq!(p.next_event(130.0), 400.0);
        assert_eq!(p.complete(400.0).copies_ready, 0);
        assert_eq!(p.instances_in_service(400.0), 2);
        assert_eq!(p.next_event(400.0), 430.0);
        let due = p.complete(430.0);
        assert_eq!(
            due,
            IcDue {
                copies_ready: 2,
                completed: vec![0]
            }
        );
        assert_eq!(p.status(), "InService");
        // At MaxInstanceCount a fifth copy fits nowhere.
        p.set_desired(500.0, 5, Some(1), 300.0, 60.0);
        assert_eq!((p.desired_copies(), p.status()), (5, "Updating"));
        assert_eq!(p.next_event(500.0), f64::INFINITY);
        // Back to 1 copy: the pending one goes first, then the newest two,
        // and the idle second instance leaves after 60 s.
        assert_eq!(p.set_desired(600.0, 1, Some(2), 300.0, 60.0), 3);
        assert_eq!(p.complete(600.0).completed, vec![1, 2]);
        assert_eq!(
            (p.instances_in_service(600.0), p.instances_desired()),
            (2, 1)
        );
        assert_eq!(p.next_event(600.0), 660.0);
        p.complete(660.0);
        assert_eq!(p.instances_in_service(660.0), 1);
    }

    #[test]
    fn scale_to_zero_and_back() {
        let mut p = Placement::new(&cfg(1, 0, 2));
        assert_eq!(p.set_desired(10.0, 0, Some(0), 300.0, 60.0), 1);
        assert_eq!(p.instances_desired(), 0);
        p.complete(70.0);
        assert_eq!(p.instances_in_service(70.0), 0);
        p.set_desired(100.0, 1, Some(1), 300.0, 60.0);
        assert_eq!((p.instances_desired(), p.next_event(100.0)), (1, 400.0));
        p.complete(400.0);
        assert_eq!(p.complete(430.0).copies_ready, 1);
    }

    #[test]
    fn a_cancelled_scale_out_cancels_its_launch() {
        let mut p = Placement::new(&cfg(2, 1, 3));
        p.set_desired(0.0, 4, Some(0), 300.0, 60.0);
        assert_eq!(p.instances_desired(), 2);
        assert_eq!(p.set_desired(10.0, 2, Some(1), 300.0, 60.0), 0);
        assert_eq!(p.instances_desired(), 1);
        assert_eq!(p.next_event(10.0), f64::INFINITY);
    }
}
