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

use super::alarm_eval::{Point, decide, evaluation_range};
use super::metrics::MetricStore;
use crate::journal::record::AlarmState;
use chrono::{DateTime, Utc};

pub use crate::profile::sim::alarm::{AlarmSpec, Comparison, TreatMissing};

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
        // Periods whose datapoint is readable now end at or before now -
        // delay: a datapoint still being published is not yet missing.
        let horizon = now - store.delay_s();
        let first_start = store.period_start(p, 0);
        let ended = ((horizon - first_start) / p as f64 + 1e-9).floor() as i64; // periods fully ended
        let n = s.evaluation_periods as usize;
        let span = evaluation_range(s.evaluation_periods) as i64;
        // The evaluation range, oldest first: (period start, value).
        let range: Vec<(Option<f64>, Option<f64>)> = ((ended - span)..ended)
            .map(|k| {
                if k < 0 {
                    (None, None)
                } else {
                    let k = k as usize;
                    (
                        Some(store.period_start(p, k)),
                        store.value(s.metric, s.stat, p, k),
                    )
                }
            })
            .collect();
        let points: Vec<Point> = range
            .iter()
            .map(|(_, v)| match v {
                None => Point::Missing,
                Some(v) if s.comparison.breaches(*v, s.threshold) => Point::Breaching,
                Some(_) => Point::NotBreaching,
            })
            .collect();
        let decision = decide(&points, n, s.datapoints_to_alarm as usize, s.treat_missing);
        self.window = decision.evaluated.iter().map(|&i| range[i].1).collect();
        self.latest_k = decision
            .evaluated
            .last()
            .map(|&i| (ended - span + i as i64) as usize);
        let new_state = decision.state.unwrap_or(self.state);
        if new_state == self.state {
            return None;
        }
        let pick = |want: Point| -> Vec<(f64, f64)> {
            decision
                .evaluated
                .iter()
                .filter(|&&i| points[i] == want)
                .filter_map(|&i| match range[i] {
                    (Some(t), Some(v)) => Some((v, t)),
                    _ => None,
                })
                .collect()
        };
        let breaching = pick(Point::Breaching);
        let breach_count = decision.breaching;
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
        let treated = match s.treat_missing {
            TreatMissing::Breaching => "Breaching",
            _ => "NotBreaching",
        };
        let reason = match new_state {
            // CloudWatch's wording when missing periods were filled in.
            AlarmState::Alarm | AlarmState::Ok if decision.filled > 0 => format!(
                "Threshold Crossed: no datapoints were received for {f} period{p} and {f} missing \
                 datapoint{p} {were} treated as [{treated}]; {b} out of the last {n} datapoints \
                 {bwere} {words} the threshold ({th:?}).",
                f = decision.filled,
                p = plural(decision.filled),
                were = if decision.filled == 1 { "was" } else { "were" },
                b = breach_count,
                n = s.evaluation_periods,
                bwere = if breach_count == 1 { "was" } else { "were" },
            ),
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
                let good = pick(Point::NotBreaching);
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
    use crate::sim::metrics::{METRIC_COUNT, MetricId, Stat};
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
        // Period 2 ends at 180, readable at 240. At 180 two breaching
        // datapoints of three are readable: too few for ALARM, and with no
        // good datapoint CloudWatch does not go to OK either (it avoids a
        // premature transition), so the alarm stays INSUFFICIENT_DATA.
        assert_eq!(a.evaluate(180.0, &st, &utc), None);
        assert_eq!(a.state, AlarmState::InsufficientData);
        let t = a.evaluate(240.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::Alarm);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 3 datapoints [2000.0 (22/11/26 11:02:00), 2000.0 (22/11/26 11:01:00), \
             2000.0 (22/11/26 11:00:00)] were greater than the threshold (1500.0)."
        );
    }

    #[test]
    fn one_good_datapoint_turns_insufficient_data_to_ok_with_its_value() {
        // "0 - - - -" is OK (AWS's first table, row 2); the reason names the
        // datapoint, never an empty list.
        let st = store(&[100.0]);
        let mut a = Alarm::new(spec(3, 3, Comparison::GreaterThanThreshold, 1500.0), &st);
        let t = a.evaluate(120.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::Ok);
        assert_eq!(
            t.reason,
            "Threshold Crossed: 1 out of the last 3 datapoints [100.0 (22/11/26 11:00:00)] was not \
             greater than the threshold (1500.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> OK transition)."
        );
    }

    #[test]
    fn gaps_reach_back_into_the_evaluation_range() {
        // Minutes 0..2 breach, 3 and 4 have no datapoint: at 360 (minute 4
        // readable) the range is minutes 0..4 = "X X X - -", three existing
        // datapoints, so the alarm evaluates them and stays in ALARM; with
        // exactly the last 3 periods it would have had one datapoint.
        let mut st = MetricStore::new(0.0, 0.0, 60.0, false, [true; METRIC_COUNT]);
        for k in 0..3 {
            st.add(
                MetricId::InvocationsPerInstance,
                k as f64 * 60.0 + 1.0,
                2000.0,
            );
        }
        let mut a = Alarm::new(spec(3, 3, Comparison::GreaterThanThreshold, 1500.0), &st);
        assert_eq!(a.evaluate(240.0, &st, &utc).unwrap().to, AlarmState::Alarm);
        assert_eq!(a.evaluate(300.0, &st, &utc), None);
        assert_eq!(a.evaluate(360.0, &st, &utc), None);
        assert_eq!(a.window, vec![Some(2000.0); 3]);
        // At 420 and 480 the range holds two, then one breaching datapoint:
        // too few for 3 of 3, no good one for OK, so the state is kept.
        assert_eq!(a.evaluate(420.0, &st, &utc), None);
        // At 540 the range is minutes 3..7: nothing left, INSUFFICIENT_DATA.
        assert_eq!(a.evaluate(480.0, &st, &utc), None);
        let t = a.evaluate(540.0, &st, &utc).unwrap();
        assert_eq!(t.to, AlarmState::InsufficientData);
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
