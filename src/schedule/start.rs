//! `--start-at`: one start instant for every shard of a plan.
//!
//! The pods of one Kubernetes Indexed Job, or the children of one AWS Batch
//! array job, start seconds to minutes apart (image pulls, scheduling). If
//! each shard ran its phases from its own start, a load step of the plan
//! would become N steps smeared over the pods' start-up. So every shard is
//! given the same UTC instant: it waits for it and runs its schedule from
//! it, the way k6-operator's starter pod releases all runners at once
//! (<https://github.com/grafana/k6-operator/issues/199>). A shard
//! that arrives late does not shift the plan: it starts mid-plan, at the
//! offset the plan has reached, and its journal says how late it was.
//!
//! The instant is written either as RFC 3339 (`2026-12-03T18:00:00Z`), or
//! as `+DURATION` after the reference instant in [`StartAt::REFERENCE`]
//! (RFC 3339 too): one value the manifest gives every pod, such as the
//! time the job was submitted, so the same manifest says "two minutes
//! after submission" for every shard. (Neither a Kubernetes Indexed Job,
//! <https://kubernetes.io/docs/tasks/job/indexed-parallel-processing-static>,
//! nor an AWS Batch array job,
//! <https://docs.aws.amazon.com/batch/latest/userguide/array_jobs.html>,
//! hands its pods a shared instant of its own: both give only the index.)

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The instant every shard's schedule begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartAt {
    pub instant: DateTime<Utc>,
    /// As written on the command line (with the reference it counted from),
    /// for messages and the journal.
    pub given: String,
}

/// Why a `--start-at` value is not an instant, or can no longer be met.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartAtError {
    #[error(
        "--start-at {given:?} is neither an RFC 3339 time (2026-12-03T18:00:00Z) nor +DURATION (+2m): {reason}"
    )]
    Form { given: String, reason: String },
    #[error("--start-at {given:?}: the duration after '+': {reason}")]
    Duration { given: String, reason: String },
    #[error(
        "--start-at {given:?}: +DURATION counts from {}, which is not set; set it to one RFC 3339 time for every shard (e.g. when the job was submitted), or give an RFC 3339 time",
        StartAt::REFERENCE
    )]
    NoReference { given: String },
    #[error(
        "--start-at {given:?}: {}={value:?} is not an RFC 3339 time: {reason}",
        StartAt::REFERENCE
    )]
    Reference {
        given: String,
        value: String,
        reason: String,
    },
    /// Arriving after the whole plan: there is nothing left to send, and an
    /// empty shard is more likely a restarted pod than an intent.
    #[error(
        "--start-at {given}: the plan ({plan}) already ended {ago} ago; nothing is left to send"
    )]
    PastTheEnd {
        given: String,
        plan: String,
        ago: String,
    },
}

/// When, on this process's clock, the schedule begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Begin {
    /// Schedule time zero: the start instant on the runtime's clock (in the
    /// past for a late shard).
    pub origin: Instant,
    /// How long to wait for it (zero when late).
    pub wait: Duration,
    /// How far past it this shard arrived (zero when on time): the plan
    /// offset its schedule starts from.
    pub late: Duration,
}

impl StartAt {
    /// The reference instant `+DURATION` counts from.
    pub const REFERENCE: &'static str = "SCALETRACE_START_REF";

    /// Parses `--start-at`, reading [`StartAt::REFERENCE`] for `+DURATION`.
    pub fn parse(s: &str) -> Result<StartAt, StartAtError> {
        StartAt::parse_with(s, |k| std::env::var(k).ok())
    }

    /// [`StartAt::parse`] with `env` for the environment.
    pub fn parse_with(
        s: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<StartAt, StartAtError> {
        let given = s.trim().to_string();
        if let Some(after) = given.strip_prefix('+') {
            let d =
                humantime::parse_duration(after.trim()).map_err(|e| StartAtError::Duration {
                    given: given.clone(),
                    reason: e.to_string(),
                })?;
            let value = env(StartAt::REFERENCE).ok_or_else(|| StartAtError::NoReference {
                given: given.clone(),
            })?;
            let reference = rfc3339(&value).map_err(|reason| StartAtError::Reference {
                given: given.clone(),
                value: value.clone(),
                reason,
            })?;
            let d = chrono::Duration::from_std(d).map_err(|e| StartAtError::Duration {
                given: given.clone(),
                reason: e.to_string(),
            })?;
            return Ok(StartAt {
                instant: reference + d,
                given: format!("{given} after {}={value}", StartAt::REFERENCE),
            });
        }
        let instant = rfc3339(&given).map_err(|reason| StartAtError::Form {
            given: given.clone(),
            reason,
        })?;
        Ok(StartAt { instant, given })
    }

    /// Where schedule time zero falls on this process's clock, given the
    /// two clocks read together now; refused when even the plan's end
    /// (`plan` long) has passed.
    pub fn begin(
        &self,
        now: Instant,
        now_utc: DateTime<Utc>,
        plan: Duration,
    ) -> Result<Begin, StartAtError> {
        let ahead = self.instant - now_utc;
        if let Ok(wait) = ahead.to_std() {
            return Ok(Begin {
                origin: now + wait,
                wait,
                late: Duration::ZERO,
            });
        }
        // In the past: late by -ahead.
        let late = (-ahead).to_std().unwrap_or(Duration::MAX);
        let origin = now.checked_sub(late).filter(|_| late < plan);
        match origin {
            Some(origin) => Ok(Begin {
                origin,
                wait: Duration::ZERO,
                late,
            }),
            None => Err(StartAtError::PastTheEnd {
                given: self.given.clone(),
                plan: humantime::format_duration(plan).to_string(),
                ago: humantime::format_duration(round_ms(late.saturating_sub(plan))).to_string(),
            }),
        }
    }
}

/// RFC 3339 in UTC; the error as text (chrono's errors are not `Eq`).
fn rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| e.to_string())
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis().min(u64::MAX as u128) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        rfc3339(s).unwrap()
    }

    #[test]
    fn rfc3339_and_plus_duration_from_the_reference() {
        let s = StartAt::parse_with("2026-12-03T18:00:00Z", env(&[])).unwrap();
        assert_eq!(s.instant, utc("2026-12-03T18:00:00Z"));
        // Any offset, read as the same UTC instant.
        let s = StartAt::parse_with("2026-12-03T19:00:00+01:00", env(&[])).unwrap();
        assert_eq!(s.instant, utc("2026-12-03T18:00:00Z"));
        let s = StartAt::parse_with(
            "+2m30s",
            env(&[("SCALETRACE_START_REF", "2026-12-03T18:00:00Z")]),
        )
        .unwrap();
        assert_eq!(s.instant, utc("2026-12-03T18:02:30Z"));
        assert_eq!(
            s.given,
            "+2m30s after SCALETRACE_START_REF=2026-12-03T18:00:00Z"
        );
    }

    #[test]
    fn bad_values_name_the_flag_and_what_is_wrong() {
        let e = StartAt::parse_with("18:00", env(&[])).unwrap_err();
        assert!(matches!(e, StartAtError::Form { .. }), "{e}");
        assert!(e.to_string().starts_with("--start-at \"18:00\""), "{e}");
        let e = StartAt::parse_with("+soon", env(&[])).unwrap_err();
        assert!(matches!(e, StartAtError::Duration { .. }), "{e}");
        // Without the reference, +DURATION is refused rather than counted
        // from each shard's own now (which would not line shards up).
        let e = StartAt::parse_with("+2m", env(&[])).unwrap_err();
        assert_eq!(
            e,
            StartAtError::NoReference {
                given: "+2m".into()
            }
        );
        assert!(e.to_string().contains("SCALETRACE_START_REF"), "{e}");
        let e =
            StartAt::parse_with("+2m", env(&[("SCALETRACE_START_REF", "yesterday")])).unwrap_err();
        assert!(matches!(e, StartAtError::Reference { .. }), "{e}");
        assert!(e.to_string().contains("\"yesterday\""), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn early_shards_wait_late_ones_start_mid_plan() {
        let at = StartAt::parse_with("2026-12-03T18:00:00Z", env(&[])).unwrap();
        let now = Instant::now();
        let plan = Duration::from_secs(60);
        // 2.5 s early: wait exactly that long; time zero is then.
        let b = at
            .begin(now, utc("2026-12-03T17:59:57.500Z"), plan)
            .unwrap();
        assert_eq!(b.wait, Duration::from_millis(2500));
        assert_eq!(b.late, Duration::ZERO);
        assert_eq!(b.origin, now + Duration::from_millis(2500));
        // Exactly on time.
        let b = at.begin(now, utc("2026-12-03T18:00:00Z"), plan).unwrap();
        assert_eq!(
            (b.wait, b.late, b.origin),
            (Duration::ZERO, Duration::ZERO, now)
        );
        // 1.25 s late: time zero was 1.25 s ago; the plan goes on from there.
        tokio::time::advance(Duration::from_secs(10)).await;
        let now = Instant::now();
        let b = at
            .begin(now, utc("2026-12-03T18:00:01.250Z"), plan)
            .unwrap();
        assert_eq!(b.wait, Duration::ZERO);
        assert_eq!(b.late, Duration::from_millis(1250));
        assert_eq!(b.origin, now - Duration::from_millis(1250));
        // After the plan's end: refused.
        let e = at
            .begin(now, utc("2026-12-03T18:01:05Z"), plan)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--start-at 2026-12-03T18:00:00Z: the plan (1m) already ended 5s ago; nothing is left to send"
        );
    }
}
