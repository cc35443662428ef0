//! The simulated SageMaker endpoint (placeholder until issue 3 lands).

pub mod config;

use crate::clock::RunClock;
use crate::observe::Observer;
use crate::target::SharedTarget;

/// What a simulated run needs: the endpoint to invoke and its observer.
pub struct SimHandles {
    pub target: SharedTarget,
    pub observer: Box<dyn Observer>,
}

/// Placeholder until the simulator lands.
pub fn start(_config: &config::SimConfig, _seed: u64, _clock: RunClock) -> SimHandles {
    panic!("the simulator is not merged yet")
}
