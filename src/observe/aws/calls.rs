//! The observer's call discipline: one governor rate limiter for every AWS
//! API, a back-off that doubles on throttling, and each kind of failure
//! warned about once.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::setup::{CallFailure, Pacing};

/// API calls per second, all APIs together.
const CALLS_PER_SECOND: u32 = 5;
/// Longest back-off after throttling.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The observer's call discipline: one rate limiter for every API, a
/// back-off that doubles on throttling and eases on success, and each kind
/// of failure warned about once (throttling at most once a minute per API).
pub(super) struct Calls {
    limiter: DefaultDirectRateLimiter,
    backoff: Duration,
    last_throttle_warning: HashMap<&'static str, tokio::time::Instant>,
    failures_warned: HashSet<String>,
    /// APIs answering 5xx, and how often they were retried since: said
    /// once when it starts and once when the API answers again.
    unavailable: HashMap<&'static str, u32>,
}

impl Calls {
    pub(super) fn new() -> Calls {
        let quota = Quota::per_second(NonZeroU32::new(CALLS_PER_SECOND).expect("non-zero"));
        Calls {
            limiter: RateLimiter::direct(quota),
            backoff: Duration::ZERO,
            last_throttle_warning: HashMap::new(),
            failures_warned: HashSet::new(),
            unavailable: HashMap::new(),
        }
    }

    /// Waits for the rate limiter (and any back-off) before an API call.
    pub(super) async fn pace(&self) {
        if !self.backoff.is_zero() {
            tokio::time::sleep(self.backoff).await;
        }
        self.limiter.until_ready().await;
    }

    pub(super) fn succeeded(&mut self) {
        self.backoff /= 2;
        if self.backoff < Duration::from_millis(500) {
            self.backoff = Duration::ZERO;
        }
    }

    /// Backs off on throttling; the warning to journal, if one is due.
    pub(super) fn failed(&mut self, f: &CallFailure) -> Option<String> {
        if f.throttled {
            self.backoff = (self.backoff * 2).clamp(Duration::from_secs(1), MAX_BACKOFF);
            let now = tokio::time::Instant::now();
            let recent = self
                .last_throttle_warning
                .get(f.api)
                .is_some_and(|at| now.duration_since(*at) < Duration::from_secs(60));
            if recent {
                return None;
            }
            self.last_throttle_warning.insert(f.api, now);
            return Some(format!(
                "{} was throttled; the observer backs off {} between calls",
                f.api,
                humantime::format_duration(self.backoff)
            ));
        }
        if f.unavailable {
            let retries = self.unavailable.entry(f.api).or_insert(0);
            *retries += 1;
            return (*retries == 1).then(|| {
                format!(
                    "{} unavailable: {}; the observer retries it every poll",
                    f.api, f.description
                )
            });
        }
        let key = format!("{}:{}", f.api, f.code.as_deref().unwrap_or("error"));
        self.failures_warned
            .insert(key)
            .then(|| format!("{} failed: {}", f.api, f.description))
    }
}

impl Calls {
    /// `api` answered: if it was unavailable, the line saying it is back
    /// and how often it was retried.
    pub(super) fn answered(&mut self, api: &'static str) -> Option<String> {
        let failures = self.unavailable.remove(api)?;
        let retries = failures.saturating_sub(1);
        Some(format!(
            "{api} available again after {failures} failed call{} ({retries} retr{})",
            if failures == 1 { "" } else { "s" },
            if retries == 1 { "y" } else { "ies" }
        ))
    }
}

impl Calls {
    /// The APIs still unavailable at the end of the run, each with how
    /// often it failed and was retried (in API order, for a stable journal).
    pub(super) fn still_unavailable(&self) -> Vec<String> {
        let mut apis: Vec<_> = self.unavailable.iter().collect();
        apis.sort();
        apis.into_iter()
            .map(|(api, failures)| {
                let retries = failures.saturating_sub(1);
                format!(
                    "{api} still unavailable when the run ended, after {failures} failed call{} ({retries} retr{})",
                    if *failures == 1 { "" } else { "s" },
                    if retries == 1 { "y" } else { "ies" }
                )
            })
            .collect()
    }
}

impl Pacing for Calls {
    fn before(&mut self) -> BoxFuture<'_, ()> {
        self.pace().boxed()
    }

    fn after(&mut self, failure: Option<&CallFailure>) -> Option<String> {
        match failure {
            None => {
                self.succeeded();
                None
            }
            Some(f) => self.failed(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Calls;
    use crate::observe::aws::setup::CallFailure;

    fn unavailable(api: &'static str) -> CallFailure {
        CallFailure {
            api,
            throttled: false,
            unavailable: true,
            code: None,
            description: "no AWS error code (HTTP 503 Service Unavailable)".into(),
            warning: None,
        }
    }

    #[test]
    fn an_api_that_never_answers_again_is_counted_once_at_the_end() {
        let mut calls = Calls::new();
        let first = calls.failed(&unavailable("GetMetricData"));
        assert!(first.unwrap().starts_with("GetMetricData unavailable: "));
        for _ in 0..4 {
            assert_eq!(calls.failed(&unavailable("GetMetricData")), None);
        }
        assert_eq!(
            calls.still_unavailable(),
            [
                "GetMetricData still unavailable when the run ended, after 5 failed calls (4 retries)"
            ]
        );
        assert!(calls.answered("GetMetricData").is_some());
        assert!(calls.still_unavailable().is_empty());
    }
}
