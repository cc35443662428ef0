//! The simulated SageMaker endpoint: the endpoint itself, CloudWatch metrics
//! and alarms, and Application Auto Scaling, on the run's clock. With a
//! paused tokio runtime, thirty simulated minutes take seconds and every run
//! with the same seed produces the same records.
//!
//! The behaviour it follows is in `shared/SAGEMAKER.md`; each fact is
//! repeated in the doc comment of the file that implements it.
//!
//! # Layout
//!
//! - [`config`], [`raw`], [`policy`], [`schedule`], [`dist`]: the `[sim]`
//!   profile section, raw and validated (scaling in AWS's own shapes).
//! - The synchronous model, every function taking "now" in seconds:
//!   [`endpoint`] (instances, routing, queues, timeout, async queue),
//!   [`metrics`] (CloudWatch datapoints), [`alarm`] (M-of-N alarms),
//!   [`rules`] (capacity arithmetic), [`policies`] (one type per scaling
//!   policy type, and scheduled actions; its header has the "to add a new
//!   policy type" checklist), [`autoscaler`] (what is common to every
//!   policy: cooldowns, activities), [`fleet`] (launches and terminations), [`inference_component`]
//!   (copies, their placement and managed instance scaling), [`world`] (all of
//!   it advanced in time order).
//! - The async layer: [`target`] (a [`Target`](crate::target::Target) that
//!   sleeps on the tokio clock) and [`observer`] (an
//!   [`Observer`](crate::observe::Observer) returning journal records), both
//!   built by [`start`] around one shared [`world::World`].
//!
//! To add a new mechanic: model it in the synchronous core with explicit
//! times, schedule its events in [`world::World::next_event_time`] and
//! `step`, report it from [`observer`], and test it with explicit times.

pub mod alarm;
pub mod alarm_eval;
pub mod autoscaler;
pub use crate::profile::sim::config;
pub use crate::profile::sim::dist;
pub mod endpoint;
pub mod fleet;
pub mod inference_component;
pub mod metrics;
pub mod observer;
pub mod policies;
pub use crate::profile::sim::policy;
pub use crate::profile::sim::raw;
pub mod rules;
pub use crate::profile::sim::schedule;
pub mod target;
pub mod world;

#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use config::SimConfig;
use world::World;

use crate::clock::RunClock;

/// What the engine gets from [`start`].
pub struct SimHandles {
    pub target: crate::target::SharedTarget,
    pub observer: Box<dyn crate::observe::Observer>,
}

/// Aborts the control-plane task when the last handle goes.
pub(crate) struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Locks the model (never held across an await).
pub(crate) fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the simulated deployment and spawns its control plane, which
/// wakes at each internal event (at least once per simulated second) to
/// publish datapoints, evaluate alarms, scale and start queued async work.
/// Must be called inside a tokio runtime (the engine uses a current-thread
/// runtime started paused). The task stops when both handles are dropped.
pub fn start(config: &SimConfig, seed: u64, clock: RunClock) -> SimHandles {
    start_with(config, seed, clock, Duration::from_secs(10))
}

/// [`start`], with the observer polling every `observe_interval` (the
/// profile's `[observe] interval`).
pub fn start_with(
    config: &SimConfig,
    seed: u64,
    clock: RunClock,
    observe_interval: Duration,
) -> SimHandles {
    let world = Arc::new(Mutex::new(World::new(config, seed, clock.started_at)));
    let weak = Arc::downgrade(&world);
    let task = tokio::spawn(async move {
        loop {
            let next = {
                let Some(w) = weak.upgrade() else { return };
                let mut g = lock(&w);
                g.advance(clock.now_s());
                g.next_event_time()
            };
            let next = if next.is_finite() {
                next
            } else {
                clock.now_s() + 1.0
            };
            tokio::time::sleep_until(clock.origin + Duration::from_secs_f64(next.max(0.0))).await;
        }
    });
    let guard = Arc::new(AbortOnDrop(task));
    let describe = format!(
        "sim {} endpoint {} (variant {})",
        if config.is_async() {
            "async"
        } else {
            "real-time"
        },
        config.endpoint.name,
        config.endpoint.variant
    );
    let target = Arc::new(target::SimTarget {
        world: world.clone(),
        clock,
        describe,
        is_async: config.is_async(),
        _guard: guard.clone(),
    });
    SimHandles {
        target,
        observer: Box::new(
            observer::SimObserver::new(world, guard).with_interval(observe_interval),
        ),
    }
}
