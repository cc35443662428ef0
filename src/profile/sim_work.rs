//! How much work a simulated run is, checked before it starts: the
//! simulator computes every request (its arrival, queueing and service on
//! a simulated instance), so `rate = 1e9` for ten minutes is six hundred
//! billion events that would grind for days, never finishing and never
//! saying why. The estimate is the requests the load intends
//! ([`LoadSpec::expected_requests`]) against a budget of what a run
//! computes in a few minutes.

use super::LoadSpec;

/// Requests a simulated run may compute. The simulator works through about
/// 100 000 simulated requests per second of wall time on one core of a
/// small machine (the demo's 40 minutes, some 200 000 requests, take a few
/// seconds), so this is a run of a few minutes at most.
pub const MAX_SIMULATED_REQUESTS: f64 = 20_000_000.0;

/// Requests per second of wall time the estimate assumes.
const SIMULATED_REQUESTS_PER_SECOND: f64 = 100_000.0;

/// A simulated run refused for its size.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "the simulated run would compute about {requests:.0} requests (about {minutes:.0} minutes \
     of computing); at most {max:.0}: lower the rate or shorten the phases",
    max = MAX_SIMULATED_REQUESTS
)]
pub struct TooMuchWork {
    pub requests: f64,
    pub minutes: f64,
}

/// Refuses a simulated load past [`MAX_SIMULATED_REQUESTS`].
pub fn check(load: &LoadSpec) -> Result<(), TooMuchWork> {
    let requests = load.expected_requests();
    if requests > MAX_SIMULATED_REQUESTS {
        return Err(TooMuchWork {
            requests,
            minutes: requests / SIMULATED_REQUESTS_PER_SECOND / 60.0,
        });
    }
    Ok(())
}
