//! The run's clock: one origin for every timestamp in a run.
//!
//! Measurements use [`tokio::time::Instant`], so the same code runs on the
//! wall clock against real endpoints and on tokio's paused (virtual) clock
//! against the simulator, where sleeping advances time instantly. Journal
//! times are seconds since [`RunClock::origin`]; `started_at` maps them to
//! UTC.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    /// `t = 0` on the runtime's clock.
    pub origin: Instant,
    /// `t = 0` in UTC (for the simulator, the real time the run started).
    pub started_at: DateTime<Utc>,
}

impl RunClock {
    /// Starts a clock now.
    pub fn start() -> RunClock {
        RunClock {
            origin: Instant::now(),
            started_at: Utc::now(),
        }
    }

    /// Seconds since the origin.
    pub fn now_s(&self) -> f64 {
        self.offset_of(Instant::now())
    }

    /// Seconds from the origin to `instant`.
    pub fn offset_of(&self, instant: Instant) -> f64 {
        if instant >= self.origin {
            instant.duration_since(self.origin).as_secs_f64()
        } else {
            -self.origin.duration_since(instant).as_secs_f64()
        }
    }

    /// The UTC time of an offset.
    pub fn utc_of(&self, offset_s: f64) -> DateTime<Utc> {
        utc_at(self.started_at, offset_s)
    }

    /// The offset of a UTC time (negative before the run started).
    pub fn offset_of_utc(&self, at: DateTime<Utc>) -> f64 {
        (at - self.started_at)
            .num_microseconds()
            .unwrap_or(i64::MAX) as f64
            / 1e6
    }
}

/// `started_at + offset_s`, to the microsecond.
pub fn utc_at(started_at: DateTime<Utc>, offset_s: f64) -> DateTime<Utc> {
    started_at + chrono::Duration::microseconds((offset_s * 1e6).round() as i64)
}

/// RFC 3339 with milliseconds, `Z` suffix: the format of every timestamp in
/// reports.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
