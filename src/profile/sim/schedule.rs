//! Scheduled-action schedules: `at(...)`, `rate(...)` and `cron(...)` as
//! Application Auto Scaling writes them, evaluated on the simulator's
//! virtual clock mapped onto the run's UTC start.
//!
//! Supported:
//! - `at(2026-11-22T12:00:00)`: once, at that UTC time;
//! - `at(+10m)`: once, that long after the run starts (a scaletrace
//!   extension so demo profiles are reproducible; any humantime duration);
//! - `rate(5 minutes)`: every interval, first one interval after the run
//!   starts (units `minute(s)`, `hour(s)`, `day(s)`);
//! - `cron(min hour day-of-month month day-of-week year)`: AWS's six
//!   fields, in UTC, with `*`, `?`, numbers, names (`JAN`, `MON`), lists
//!   `a,b`, ranges `a-b` and steps `*/n`, `a/n`, `a-b/n`; day-of-week 1–7
//!   is SUN–SAT. `L`, `W` and `#` are not supported (rejected).

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use serde::Serialize;

/// Why a `Schedule` does not parse (`schedule` is the text, trimmed).
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("invalid offset in {schedule:?}: {error}")]
    Offset {
        schedule: String,
        error: humantime::DurationError,
    },
    #[error("invalid time in {schedule:?} ({error}); write at(yyyy-mm-ddThh:mm:ss) or at(+10m)")]
    Time {
        schedule: String,
        error: chrono::ParseError,
    },
    #[error("{schedule:?}: rate needs a positive whole number")]
    RateNumber { schedule: String },
    #[error("{schedule:?}: unknown unit {unit:?}; minute(s), hour(s) or day(s)")]
    RateUnit { schedule: String, unit: String },
    #[error("{schedule:?}: write rate(<number> <unit>)")]
    RateShape { schedule: String },
    #[error("{schedule:?}: {error}")]
    Cron { schedule: String, error: CronError },
    #[error("unknown schedule {schedule:?}; write at(...), rate(...) or cron(...)")]
    Unknown { schedule: String },
}

/// Why a cron expression does not parse (the offending field or part).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("cron needs 6 fields (minutes hours day-of-month month day-of-week year), got {0}")]
    FieldCount(usize),
    #[error("give day-of-month or day-of-week, and '?' for the other")]
    BothDays,
    #[error("{0:?}: L, W and # are not supported by the simulator")]
    Unsupported(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("{value} is outside {lo}-{hi}")]
    OutOfRange { value: u32, lo: u32, hi: u32 },
    #[error("{0:?}: bad step")]
    BadStep(String),
    #[error("{0:?}: range runs backwards")]
    Backwards(String),
}

/// A parsed schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// Once at a UTC time.
    AtUtc { at: NaiveDateTime },
    /// Once, this many seconds after the run starts.
    AtOffset { offset_s: f64 },
    /// Every `every_s` seconds after the run starts.
    Rate { every_s: f64 },
    /// AWS cron, in UTC.
    Cron { expression: String, cron: Cron },
}

/// The six cron fields as sets of allowed values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cron {
    #[serde(skip)]
    minutes: Vec<bool>,
    #[serde(skip)]
    hours: Vec<bool>,
    #[serde(skip)]
    dom: Option<Vec<bool>>,
    #[serde(skip)]
    months: Vec<bool>,
    #[serde(skip)]
    dow: Option<Vec<bool>>,
    /// Years from 1970 to 2199; `None` for `*`.
    #[serde(skip)]
    years: Option<Vec<bool>>,
}

impl Schedule {
    pub fn parse(s: &str) -> Result<Schedule, ScheduleError> {
        let s = s.trim();
        let schedule = || s.to_string();
        let inner = |prefix: &str| {
            s.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix(')'))
                .map(str::trim)
        };
        if let Some(v) = inner("at(") {
            if let Some(off) = v.strip_prefix('+') {
                let d = humantime::parse_duration(off.trim()).map_err(|error| {
                    ScheduleError::Offset {
                        schedule: schedule(),
                        error,
                    }
                })?;
                return Ok(Schedule::AtOffset {
                    offset_s: d.as_secs_f64(),
                });
            }
            let at = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S").map_err(|error| {
                ScheduleError::Time {
                    schedule: schedule(),
                    error,
                }
            })?;
            return Ok(Schedule::AtUtc { at });
        }
        if let Some(v) = inner("rate(") {
            let mut parts = v.split_whitespace();
            let (n, unit) = (parts.next(), parts.next());
            let n: u64 = n
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| ScheduleError::RateNumber {
                    schedule: schedule(),
                })?;
            let unit_s = match unit.unwrap_or("") {
                "minute" | "minutes" => 60,
                "hour" | "hours" => 3600,
                "day" | "days" => 86_400,
                other => {
                    return Err(ScheduleError::RateUnit {
                        schedule: schedule(),
                        unit: other.into(),
                    });
                }
            };
            if parts.next().is_some() {
                return Err(ScheduleError::RateShape {
                    schedule: schedule(),
                });
            }
            return Ok(Schedule::Rate {
                every_s: (n * unit_s) as f64,
            });
        }
        if let Some(v) = inner("cron(") {
            return Ok(Schedule::Cron {
                expression: v.to_string(),
                cron: Cron::parse(v).map_err(|error| ScheduleError::Cron {
                    schedule: schedule(),
                    error,
                })?,
            });
        }
        Err(ScheduleError::Unknown {
            schedule: schedule(),
        })
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let f: Vec<&str> = expr.split_whitespace().collect();
        if f.len() != 6 {
            return Err(CronError::FieldCount(f.len()));
        }
        let dom = optional(f[2], 1, 31, &[], Ends::Fixed)?;
        let dow = optional(f[4], 1, 7, &DAYS, Ends::Wrap)?;
        if dom.is_some() && dow.is_some() {
            return Err(CronError::BothDays);
        }
        let years = if f[5] == "*" {
            None
        } else {
            Some(field(f[5], 1970, 2199, &[], Ends::Fixed)?)
        };
        Ok(Cron {
            minutes: field(f[0], 0, 59, &[], Ends::Wrap)?,
            hours: field(f[1], 0, 23, &[], Ends::Wrap)?,
            dom,
            months: field(f[3], 1, 12, &MONTHS, Ends::Wrap)?,
            dow,
            years,
        })
    }

    /// Whether the minute starting at `at` (seconds ignored) matches.
    pub fn matches(&self, at: DateTime<Utc>) -> bool {
        let ok = |set: &Vec<bool>, v: u32, lo: u32| set.get((v - lo) as usize) == Some(&true);
        let year_ok = match &self.years {
            None => true,
            Some(set) => at.year() >= 1970 && ok(set, at.year() as u32, 1970),
        };
        year_ok
            && ok(&self.minutes, at.minute(), 0)
            && ok(&self.hours, at.hour(), 0)
            && ok(&self.months, at.month(), 1)
            && self.dom.as_ref().is_none_or(|d| ok(d, at.day(), 1))
            && self
                .dow
                .as_ref()
                .is_none_or(|d| ok(d, at.weekday().num_days_from_sunday() + 1, 1))
    }
}

fn optional(
    s: &str,
    lo: u32,
    hi: u32,
    names: &[&str],
    ends: Ends,
) -> Result<Option<Vec<bool>>, CronError> {
    if s == "?" {
        Ok(None)
    } else if s == "*" {
        Ok(Some(vec![true; (hi - lo + 1) as usize]))
    } else {
        field(s, lo, hi, names, ends).map(Some)
    }
}

fn value(s: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u32, CronError> {
    if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
        return Ok(lo + i as u32);
    }
    let v: u32 = s.parse().map_err(|_| {
        if s.contains(['L', 'W', '#']) {
            CronError::Unsupported(s.into())
        } else {
            CronError::NotANumber(s.into())
        }
    })?;
    if v < lo || v > hi {
        return Err(CronError::OutOfRange { value: v, lo, hi });
    }
    Ok(v)
}

/// Whether a range may run past the field's end and on from its start.
///
/// EventBridge's cron reference (the syntax AWS Application Auto Scaling
/// scheduled actions use,
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>)
/// gives `cron(0/30 20-2 ? * MON-FRI *)`, "every 30 minutes Monday through
/// Friday between 10:00 pm on the starting day to 2:00 am on the following
/// day": the hours range wraps. The cyclic fields (minutes, hours, months,
/// days of the week) wrap that way; a day of the month (months differ in
/// length) and a year do not, and a backwards range there is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ends {
    Wrap,
    Fixed,
}

fn field(s: &str, lo: u32, hi: u32, names: &[&str], ends: Ends) -> Result<Vec<bool>, CronError> {
    let mut set = vec![false; (hi - lo + 1) as usize];
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => (
                r,
                st.parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| CronError::BadStep(part.into()))?,
            ),
            None => (part, 1),
        };
        let (a, b) = if range == "*" || range == "?" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a, lo, hi, names)?, value(b, lo, hi, names)?)
        } else {
            let a = value(range, lo, hi, names)?;
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b && ends == Ends::Fixed {
            return Err(CronError::Backwards(part.into()));
        }
        // Offsets from `a` along the cycle lo..=hi, so `20-2/3` steps
        // 20, 23, 2 across the wrap.
        let width = hi - lo + 1;
        let span = (b + width - a) % width;
        let mut offset = 0;
        while offset <= span {
            set[((a - lo + offset) % width) as usize] = true;
            offset += step;
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_each_form() {
        assert_eq!(
            Schedule::parse("at(+10m)").unwrap(),
            Schedule::AtOffset { offset_s: 600.0 }
        );
        assert!(matches!(
            Schedule::parse("at(2026-01-02T03:04:05)").unwrap(),
            Schedule::AtUtc { .. }
        ));
        assert_eq!(
            Schedule::parse("rate(5 minutes)").unwrap(),
            Schedule::Rate { every_s: 300.0 }
        );
        assert!(Schedule::parse("cron(0 9 * * ? *)").is_ok());
        assert!(Schedule::parse("cron(0 9 * * *)").is_err());
        assert!(Schedule::parse("cron(0 9 L * ? *)").is_err());
        assert!(Schedule::parse("every(5m)").is_err());
    }

    #[test]
    fn errors_print_what_the_profile_error_says() {
        let msg = |s: &str| Schedule::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("every(5m)"),
            "unknown schedule \"every(5m)\"; write at(...), rate(...) or cron(...)"
        );
        assert_eq!(
            msg(" cron(0 9 * * *) "),
            "\"cron(0 9 * * *)\": cron needs 6 fields (minutes hours day-of-month month \
             day-of-week year), got 5"
        );
        assert_eq!(
            msg("rate(5 weeks)"),
            "\"rate(5 weeks)\": unknown unit \"weeks\"; minute(s), hour(s) or day(s)"
        );
        assert_eq!(
            msg("cron(0 9 L * ? *)"),
            "\"cron(0 9 L * ? *)\": \"L\": L, W and # are not supported by the simulator"
        );
        assert_eq!(
            msg("cron(0 25 * * ? *)"),
            "\"cron(0 25 * * ? *)\": 25 is outside 0-23"
        );
        assert!(matches!(
            Schedule::parse("cron(0 9 5-1 * ? *)"),
            Err(ScheduleError::Cron {
                error: CronError::Backwards(_),
                ..
            })
        ));
    }

    #[test]
    fn cron_matches_aws_fields() {
        let Schedule::Cron { cron, .. } = Schedule::parse("cron(*/15 9-17 ? * MON-FRI *)").unwrap()
        else {
            panic!()
        };
        // 2026-11-23 is a Monday.
        let mon = Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap();
        assert!(cron.matches(mon));
        assert!(!cron.matches(mon + chrono::Duration::minutes(1)));
        assert!(!cron.matches(mon - chrono::Duration::days(1)));
        assert!(!cron.matches(Utc.with_ymd_and_hms(2026, 11, 23, 18, 0, 0).unwrap()));
        let Schedule::Cron { cron, .. } = Schedule::parse("cron(0 0 1 JAN ? 2027)").unwrap() else {
            panic!()
        };
        assert!(cron.matches(Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()));
        assert!(!cron.matches(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
    }
}
