//! Simulated CloudWatch alarms: M-of-N evaluation over the readable
//! datapoints, states OK / ALARM / INSUFFICIENT_DATA, and transitions with a
//! StateReason worded like CloudWatch's.
//!
//! An alarm is evaluated once per period (every minute for periods of a
//! minute or more, every 10 s for high-resolution periods), at period
//! boundaries. The evaluation range is the last `EvaluationPeriods`
//! datapoints that are readable at that moment, i.e. whose period ended at
//! least the publishing delay ago. It goes to ALARM when at least
//! `DatapointsToAlarm` of them breach. Missing datapoints follow
//! `TreatMissingData` (default `missing`: all missing gives
//! INSUFFICIENT_DATA; otherwise only present datapoints can breach).
//! Alarms owned by scaling policies re-invoke their action at every
//! evaluation while in ALARM, as CloudWatch does for Auto Scaling actions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::metrics::{MetricId, MetricStore, Stat};
use crate::journal::record::AlarmState;

/// CloudWatch's ComparisonOperator (the threshold forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl Comparison {
    pub const ALL: [Comparison; 4] = [
        Comparison::GreaterThanOrEqualToThreshold,
        Comparison::GreaterThanThreshold,
        Comparison::LessThanThreshold,
        Comparison::LessThanOrEqualToThreshold,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThanThreshold => "GreaterThanThreshold",
            Comparison::LessThanThreshold => "LessThanThreshold",
            Comparison::LessThanOrEqualToThreshold => "LessThanOrEqualToThreshold",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => "greater than or equal to",
            Comparison::GreaterThanThreshold => "greater than",
            Comparison::LessThanThreshold => "less than",
            Comparison::LessThanOrEqualToThreshold => "less than or equal to",
        }
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
            Comparison::GreaterThanThreshold => value > threshold,
            Comparison::LessThanThreshold => value < threshold,
            Comparison::LessThanOrEqualToThreshold => value <= threshold,
        }
    }

    /// True for the "greater" forms (the breach lies above the threshold).
    pub fn is_upper(self) -> bool {
        matches!(
            self,
            Comparison::GreaterThanOrEqualToThreshold | Comparison::GreaterThanThreshold
        )
    }
}

/// TreatMissingData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissing {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// An alarm's configuration (PutMetricAlarm).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmSpec {
    pub name: String,
    pub metric: MetricId,
    pub stat: Stat,
    pub period_s: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
    pub treat_missing: TreatMissing,
}

/// A state change.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub at: f64,
    pub name: String,
    pub from: AlarmState,
    pub to: AlarmState,
    pub reason: String,
}

/// An alarm and its state.
#[derive(Debug, Clone)]
pub struct Alarm {
    pub spec: AlarmSpec,
    pub state: AlarmState,
    /// The next evaluation time.
    pub next_eval: f64,
    /// The last evaluation range, oldest first (`None` = missing).
    pub window: Vec<Option<f64>>,
    /// The period index of the latest datapoint in `window`.
    pub latest_k: Option<usize>,
}

impl Alarm {
    /// A new alarm in INSUFFICIENT_DATA, first evaluated at the first
    /// evaluation boundary after the run starts.
    pub fn new(spec: AlarmSpec, store: &MetricStore) -> Alarm {
        let every = Self::interval_of(&spec);
        let next_eval = store.period_start(every, 1);
        Alarm {
            spec,
            state: AlarmState::InsufficientData,
            next_eval,
            window: Vec::new(),
            latest_k: None,
        }
    }

    fn interval_of(spec: &AlarmSpec) -> u32 {
        spec.period_s.min(60)
    }

    /// The latest datapoint in the last evaluation range.
    pub fn latest(&self) -> Option<f64> {
        self.window.iter().rev().find_map(|v| *v)
    }

    /// Evaluates at `now` (an evaluation boundary) and schedules the next
    /// evaluation. `utc` maps run offsets to UTC for the reason text.
    pub fn evaluate(
        &mut self,
        now: f64,
        store: &MetricStore,
        utc: &dyn Fn(f64) -> DateTime<Utc>,
    ) -> Option<Transition> {
        let s = &self.spec;
        let p = s.period_s;
        self.next_eval = now + Self::interval_of(s) as f64;
        // Periods whose datapoint is readable now end at or before now - delay.
        let horizon = now - store.delay_s();
        let first_start = store.period_start(p, 0);
        let ended = ((horizon - first_start) / p as f64 + 1e-9).floor() as i64; // periods fully ended
        let n = s.evaluation_periods as i64;
        self.window.clear();
        self.latest_k = None;
        let mut stamps = Vec::new();
        for k in (ended - n)..ended {
            let v = if k < 0 {
                None
            } else {
                store.value(s.metric, s.stat, p, k as usize)
            };
            if v.is_some() {
                self.latest_k = Some(k as usize);
            }
            self.window.push(v);
            stamps.push(if k < 0 {
                None
            } else {
                Some(store.period_start(p, k as usize))
            });
        }
        let present = self.window.iter().filter(|v| v.is_some()).count();
        let breaching: Vec<(f64, f64)> = self
            .window
            .iter()
            .zip(&stamps)
            .filter_map(|(v, t)| match (v, t) {
                (Some(v), Some(t)) if s.comparison.breaches(*v, s.threshold) => Some((*v, *t)),
                _ => None,
            })
            .collect();
        let missing = s.evaluation_periods as usize - present;
        let breach_count = breaching.len()
            + match s.treat_missing {
                TreatMissing::Breaching => missing,
                _ => 0,
            };
        let new_state = if present == 0
            && matches!(
                s.treat_missing,
                TreatMissing::Missing | TreatMissing::Ignore
            ) {
            if s.treat_missing == TreatMissing::Ignore {
                self.state
            } else {
                AlarmState::InsufficientData
            }
        } else if breach_count >= s.datapoints_to_alarm as usize {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        if new_state == self.state {
            return None;
        }
        let fmt = |list: &[(f64, f64)]| {
            let items: Vec<String> = list
                .iter()
                .rev()
                .map(|(v, t)| format!("{v:?} ({})", utc(*t).format("%d/%m/%y %H:%M:%S")))
                .collect();
            items.join(", ")
        };
        let th = s.threshold;
        let words = s.comparison.words();
        let reason = match new_state {
            AlarmState::InsufficientData => format!(
                "Insufficient Data: {} datapoint{} {} unknown.",
                s.evaluation_periods,
                plural(s.evaluation_periods as usize),
                if s.evaluation_periods == 1 {
                    "was"
                } else {
                    "were"
                }
            ),
            AlarmState::Alarm if breaching.len() == s.evaluation_periods as usize => format!(
                "Threshold Crossed: {} datapoint{} [{}] {} {words} the threshold ({th:?}).",
                breaching.len(),
                plural(breaching.len()),
                fmt(&breaching),
                if breaching.len() == 1 { "was" } else { "were" },
            ),
            AlarmState::Alarm => format!(
                "Threshold Crossed: {} out of the last {} datapoints were {words} the threshold ({th:?}). \
                 The most recent datapoints which crossed the threshold: [{}] \
                 (minimum {} datapoint{} for {} -> ALARM transition).",
                breach_count,
                s.evaluation_periods,
                fmt(&breaching),
                s.datapoints_to_alarm,
                plural(s.datapoints_to_alarm as usize),
                self.state.as_aws(),
            ),
            AlarmState::Ok => {
                let good: Vec<(f64, f64)> = self
                    .window
                    .iter()
                    .zip(&stamps)
                    .filter_map(|(v, t)| match (v, t) {
                        (Some(v), Some(t)) if !s.comparison.breaches(*v, th) => Some((*v, *t)),
                        _ => None,
                    })
                    .collect();
                format!(
                    "Threshold Crossed: {} out of the last {} datapoint{} [{}] {} not {words} the threshold ({th:?}) \
                     (minimum 1 datapoint for {} -> OK transition).",
                    good.len(),
                    s.evaluation_periods,
                    plural(s.evaluation_periods as usize),
                    fmt(&good),
                    if good.len() == 1 { "was" } else { "were" },
                    self.state.as_aws(),
                )
            }
        };
        let t = Transition {
            at: now,
            name: s.name.clone(),
            from: self.state,
            to: new_state,
            reason,
        };
        self.state = new_state;
        Some(t)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::metrics::METRIC_COUNT;
    use chrono::TimeZone;

    fn spec(m: u32, n: u32, cmp: Comparison, th: f64) -> AlarmSpec {
        AlarmSpec {
            name: "a".into(),
            metric: MetricId::InvocationsPerInstance,
            stat: Stat::Sum,
            period_s: 60,
            threshold: th,
            comparison: cmp,
            evaluation_periods: n,
            datapoints_to_alarm: m,
            treat_missing: TreatMissing::Missing,
        }
    }

    fn utc(t: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 11, 0, 0).unwrap() + chrono::Duration::seconds(t as i64)
    }

    /// A store with per-minute sums.
    fn store(minutes: &[f64]) -> MetricStore {
        let mut s = MetricStore::new(0.0, 0.0, 60.0, true, [true; METRIC_COUNT]);
        for (k, v) in minutes.iter().enumerate() {
            s.add(MetricId::InvocationsPerInstance, k as f64 * 60.0 + 1.0, *v);
        }
        s
    }

    #[test]
    fn m_of_n_with_reason_text() {
        let st = store(&[2000.0, 2000.0, 2000.0]);
        let mut a = Alarm::new(spec(3, 3, Comparison::GreaterThanThreshold, 1500.0), &st);
        // Period 2 ends at 180, readable at 240.
        let t = a.evaluate(180.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::Ok);
        let t = a.evaluate(240.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::Alarm);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 3 datapoints [2000.0 (22/11/26 11:02:00), 2000.0 (22/11/26 11:01:00), \
             2000.0 (22/11/26 11:00:00)] were greater than the threshold (1500.0)."
        );
    }

    #[test]
    fn insufficient_data_without_datapoints() {
        let st = MetricStore::new(0.0, 0.0, 60.0, false, [true; METRIC_COUNT]);
        let mut a = Alarm::new(spec(3, 3, Comparison::GreaterThanThreshold, 1.0), &st);
        a.state = AlarmState::Ok;
        let t = a.evaluate(600.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::InsufficientData);
        assert_eq!(t.reason, "Insufficient Data: 3 datapoints were unknown.");
    }

    #[test]
    fn treat_missing_as_breaching_and_not_breaching() {
        let st = MetricStore::new(0.0, 0.0, 60.0, false, [true; METRIC_COUNT]);
        let mut sp = spec(2, 3, Comparison::LessThanThreshold, 1.0);
        sp.treat_missing = TreatMissing::Breaching;
        let mut a = Alarm::new(sp.clone(), &st);
        assert_eq!(a.evaluate(600.0, &st, &utc).unwrap().to, AlarmState::Alarm);
        sp.treat_missing = TreatMissing::NotBreaching;
        let mut a = Alarm::new(sp, &st);
        assert_eq!(a.evaluate(600.0, &st, &utc).unwrap().to, AlarmState::Ok);
    }
}
