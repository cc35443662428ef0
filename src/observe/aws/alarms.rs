//! The alarm half of the AWS observer: the scaling policies' alarms (read
//! with the scaling configuration, [`super::setup`]), journaling their
//! configuration once, and every state transition
//! — from `DescribeAlarmHistory`, so a flip between two polls is not lost,
//! and from `DescribeAlarms` when the history has not shown it.

use aws_sdk_cloudwatch::types::{HistoryItemType, MetricAlarm};
use chrono::Utc;

use super::{AwsObserver, BEFORE_START, to_aws, to_chrono};
use crate::aws;
use crate::clock::RunClock;
use crate::journal::record::{AlarmConfigRecord, AlarmRecord, Record};
use crate::observe::aws_model::{MetricQuery, add_query_for, alarm_state, history_transition};

/// An alarm's configuration: metric, statistic, threshold and comparison,
/// the M-of-N rule (DatapointsToAlarm defaults to EvaluationPeriods).
pub fn alarm_config_record(a: &MetricAlarm, t: f64, policy: Option<String>) -> AlarmConfigRecord {
    AlarmConfigRecord {
        t,
        name: a.alarm_name().unwrap_or_default().to_string(),
        namespace: a.namespace().unwrap_or_default().to_string(),
        metric: a.metric_name().unwrap_or_default().to_string(),
        stat: a
            .statistic()
            .map(|s| s.as_str().to_string())
            .or_else(|| a.extended_statistic().map(str::to_string))
            .unwrap_or_default(),
        comparison: a
            .comparison_operator()
            .map(|c| c.as_str())
            .unwrap_or_default()
            .into(),
        threshold: a.threshold().unwrap_or(0.0),
        period_s: a.period().unwrap_or(60).max(0) as u32,
        evaluation_periods: a.evaluation_periods().unwrap_or(1).max(0) as u32,
        datapoints_to_alarm: a
            .datapoints_to_alarm()
            .or(a.evaluation_periods())
            .unwrap_or(1)
            .max(0) as u32,
        treat_missing_data: a.treat_missing_data().map(str::to_string),
        policy,
    }
}

/// What an alarm watches, as a metric query; `None` for a metric-math
/// alarm (no single metric).
pub fn alarm_query(a: &MetricAlarm) -> Option<MetricQuery> {
    let stat = a
        .statistic()
        .map(|s| s.as_str().to_string())
        .or_else(|| a.extended_statistic().map(str::to_string))?;
    let dimensions = a
        .dimensions()
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect();
    MetricQuery::for_alarm(
        a.namespace()?,
        a.metric_name()?,
        &stat,
        a.period()?.max(0) as u32,
        dimensions,
    )
}

impl AwsObserver {
    pub(super) async fn poll_alarms(&mut self, clock: &RunClock, out: &mut Vec<Record>) {
        let Some(resource) = self.resource() else {
            return;
        };
        // Read with the scaling configuration ([`super::setup`]).
        let Some((alarms, failures)) = self.read_alarms.take() else {
            return;
        };
        for f in failures {
            self.journal_failure(&f, clock, out);
        }
        let t = clock.now_s();
        let policy_of = |name: &str| -> Option<String> {
            self.last_policies
                .values()
                .find(|p| p.alarms.iter().any(|a| a == name))
                .map(|p| p.name.clone())
        };
        let mut new_configs = Vec::new();
        let mut math = Vec::new();
        for a in &alarms {
            let Some(name) = a.alarm_name() else { continue };
            if !self.alarm_configs.contains(name) {
                new_configs.push(Record::AlarmConfig(alarm_config_record(
                    a,
                    t,
                    policy_of(name),
                )));
                // Read what the alarm evaluates, whatever the fixed set has.
                match alarm_query(a) {
                    Some(q) => {
                        add_query_for(&mut self.queries, q, &resource);
                    }
                    None => math.push(name.to_string()),
                }
            }
        }
        for name in math {
            self.warn_once(
                t,
                format!(
                    "alarm {name:?} evaluates metric math: its datapoints are not read, so its lag chain has no \"datapoint past threshold\" link"
                ),
                out,
            );
        }
        for r in &new_configs {
            if let Record::AlarmConfig(c) = r {
                self.alarm_configs.insert(c.name.clone());
            }
        }
        out.extend(new_configs);

        // Every transition since the run started, from the history.
        let since = clock.started_at - BEFORE_START;
        let mut transitions = Vec::new();
        let names: Vec<String> = alarms
            .iter()
            .filter_map(|a| a.alarm_name().map(str::to_string))
            .collect();
        for name in &names {
            self.pace().await;
            let res = self
                .c
                .cloudwatch
                .describe_alarm_history()
                .alarm_name(name)
                .history_item_type(HistoryItemType::StateUpdate)
                .start_date(to_aws(since))
                .end_date(to_aws(Utc::now() + chrono::Duration::minutes(1)))
                .send()
                .await;
            if let Some(o) = self.settle("DescribeAlarmHistory", res, clock, out) {
                for item in o.alarm_history_items() {
                    let (Some(at), Some((from, to, reason))) = (
                        item.timestamp(),
                        history_transition(item.history_data(), item.history_summary()),
                    ) else {
                        continue;
                    };
                    transitions.push((name.clone(), to_chrono(at), from, to, reason));
                }
            }
        }
        // The current states; a change the history did not show is a
        // transition too (at the alarm's StateUpdatedTimestamp).
        for a in &alarms {
            let (Some(name), Some(state)) = (
                a.alarm_name(),
                a.state_value().and_then(|s| alarm_state(s.as_str())),
            ) else {
                continue;
            };
            let at = a
                .state_updated_timestamp()
                .map(to_chrono)
                .unwrap_or_else(Utc::now);
            match self.alarm_states.insert(name.to_string(), state) {
                Some(prev) if prev != state => transitions.push((
                    name.to_string(),
                    at,
                    prev,
                    state,
                    a.state_reason().unwrap_or_default().to_string(),
                )),
                _ => {}
            }
        }
        transitions.sort_by_key(|x| x.1);
        for (name, at, from, to, reason) in transitions {
            let key = (name.clone(), at.timestamp_millis(), to);
            if !self.transitions_seen.insert(key) {
                continue;
            }
            out.push(Record::Alarm(AlarmRecord {
                t,
                at: clock.offset_of_utc(at),
                name,
                from,
                to,
                reason: aws::one_line(reason),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm, MetricDataQuery, Statistic};

    use super::*;

    #[test]
    fn an_alarm_becomes_the_query_of_what_it_evaluates() {
        let a = MetricAlarm::builder()
            .namespace("AWS/SageMaker")
            .metric_name("HasBacklogWithoutCapacity")
            .statistic(Statistic::Average)
            .period(60)
            .dimensions(Dimension::builder().name("EndpointName").value("e").build())
            .build();
        let q = alarm_query(&a).unwrap();
        assert_eq!((q.stat.as_str(), q.period_s), ("Average", 60));
        // Its own dimensions (EndpointName only), not the variant's.
        assert_eq!(q.dimensions("e", "AllTraffic").len(), 1);
        let p99 = MetricAlarm::builder()
            .namespace("AWS/SageMaker")
            .metric_name("ModelLatency")
            .extended_statistic("p99")
            .period(10)
            .build();
        assert_eq!(alarm_query(&p99).unwrap().stat, "p99");
        // Metric math names no single metric.
        let math = MetricAlarm::builder()
            .metrics(
                MetricDataQuery::builder()
                    .id("e1")
                    .expression("m1/m2")
                    .build(),
            )
            .build();
        assert_eq!(alarm_query(&math), None);
    }
}
