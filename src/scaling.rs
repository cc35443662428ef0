//! The scaling story of a run, from the observer's journal lines: instance
//! counts, scaling activities and alarm transitions. Feeds the `scaling`
//! section of `summary.json` and the timeline printed after the load
//! summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::{rfc3339, utc_at};
use crate::journal::JournalData;
use crate::journal::record::{
    ActivityRecord, AlarmConfigRecord, AlarmRecord, EndpointRecord, Record,
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingSummary {
    pub instances: Instances,
    pub activities: Vec<Activity>,
    pub alarms: Vec<Alarm>,
    /// CloudWatch publishing delay, instance launch time, peak instances:
    /// measured by the lag analysis.
    #[serde(flatten)]
    pub control_plane: crate::timeline::lag::Scaling,
}

/// Instance counts in service (CurrentInstanceCount) over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instances {
    pub initial: u32,
    pub min_seen: u32,
    pub max_seen: u32,
    #[serde(rename = "final")]
    pub last: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub start: String,
    pub end: Option<String>,
    pub from: Option<u32>,
    pub to: Option<u32>,
    pub status: String,
    pub cause: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub transitions: Vec<Transition>,
    /// The scaling policy that owns or is triggered by the alarm.
    #[serde(default)]
    pub policy: Option<String>,
    /// The condition in the CloudWatch console's words ("InvocationsPerInstance
    /// (Sum) > 1500 for 3 datapoints within 3 minutes"): the rule that
    /// decides how long scaling waits. Null when the journal has no
    /// `alarm_config` line for the alarm.
    #[serde(default)]
    pub condition: Option<String>,
    /// The same rule as fields, for machines.
    #[serde(default)]
    pub config: Option<AlarmRule>,
}

/// An alarm's rule as CloudWatch configures it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmRule {
    pub namespace: String,
    pub metric: String,
    pub stat: String,
    /// As CloudWatch spells it: `GreaterThanThreshold`, …
    pub comparison: crate::journal::record::ComparisonOperator,
    pub threshold: f64,
    pub period_s: u32,
    /// M of N: M.
    pub datapoints_to_alarm: u32,
    /// M of N: N.
    pub evaluation_periods: u32,
}

impl From<&AlarmConfigRecord> for AlarmRule {
    fn from(c: &AlarmConfigRecord) -> AlarmRule {
        AlarmRule {
            namespace: c.namespace.clone(),
            metric: c.metric.clone(),
            stat: c.stat.clone(),
            comparison: c.comparison.clone(),
            threshold: c.threshold,
            period_s: c.period_s,
            datapoints_to_alarm: c.datapoints_to_alarm,
            evaluation_periods: c.evaluation_periods,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub at: String,
    pub from: String,
    pub to: String,
}

/// The latest state of every scaling activity, in start order.
pub fn latest_activities(data: &JournalData) -> Vec<&ActivityRecord> {
    let mut by_id: BTreeMap<&str, &ActivityRecord> = BTreeMap::new();
    for r in &data.records {
        if let Record::Activity(a) = r {
            by_id.insert(&a.id, a);
        }
    }
    let mut list: Vec<&ActivityRecord> = by_id.into_values().collect();
    list.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.id.cmp(&b.id)));
    list
}

/// Alarm transitions in the order they happened.
pub fn alarm_transitions(data: &JournalData) -> Vec<&AlarmRecord> {
    let mut list: Vec<&AlarmRecord> = data
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Alarm(a) => Some(a),
            _ => None,
        })
        .collect();
    list.sort_by(|a, b| a.at.total_cmp(&b.at));
    list
}

pub fn endpoint_records(data: &JournalData) -> Vec<&EndpointRecord> {
    data.records
        .iter()
        .filter_map(|r| match r {
            Record::Endpoint(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// None when the run had no observer. `control_plane` comes from the lag
/// analysis.
pub fn summarize(
    data: &JournalData,
    control_plane: crate::timeline::lag::Scaling,
) -> Option<ScalingSummary> {
    let endpoints = endpoint_records(data);
    let activities = latest_activities(data);
    let transitions = alarm_transitions(data);
    let observed = data.records.iter().any(|r| {
        matches!(
            r,
            Record::Metric(_)
                | Record::Endpoint(_)
                | Record::Copies(_)
                | Record::Activity(_)
                | Record::Alarm(_)
        )
    });
    if !observed {
        return None;
    }
    let at = |t: f64| rfc3339(utc_at(data.info.started_at, t));
    let counts: Vec<u32> = endpoints.iter().map(|e| e.current).collect();
    let instances = Instances {
        initial: counts.first().copied().unwrap_or(0),
        min_seen: counts.iter().copied().min().unwrap_or(0),
        max_seen: counts.iter().copied().max().unwrap_or(0),
        last: counts.last().copied().unwrap_or(0),
    };
    let mut alarms: BTreeMap<&str, Vec<Transition>> = BTreeMap::new();
    // The latest configuration per alarm; an alarm that never changed
    // state is listed too, for its condition.
    let mut configs: BTreeMap<&str, &AlarmConfigRecord> = BTreeMap::new();
    for r in &data.records {
        if let Record::AlarmConfig(c) = r {
            configs.insert(&c.name, c);
            alarms.entry(&c.name).or_default();
        }
    }
    for a in &transitions {
        alarms.entry(&a.name).or_default().push(Transition {
            at: at(a.at),
            from: a.from.as_aws().into(),
            to: a.to.as_aws().into(),
        });
    }
    Some(ScalingSummary {
        instances,
        activities: activities
            .iter()
            .map(|a| Activity {
                start: at(a.start),
                end: a.end.map(at),
                from: a.from,
                to: a.to,
                status: a.status.to_string(),
                cause: a.cause.clone(),
            })
            .collect(),
        alarms: alarms
            .into_iter()
            .map(|(name, transitions)| {
                let config = configs.get(name).copied();
                Alarm {
                    name: name.into(),
                    transitions,
                    policy: config.and_then(|c| c.policy.clone()),
                    condition: config.map(AlarmConfigRecord::condition),
                    config: config.map(AlarmRule::from),
                }
            })
            .collect(),
        control_plane,
    })
}

/// `+12:34` (or `+1:02:03`), run time as people read it.
pub fn clock_label(t: f64) -> String {
    let sign = if t < 0.0 { "-" } else { "+" };
    let s = t.abs().round() as u64;
    if s >= 3600 {
        format!("{sign}{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{sign}{:02}:{:02}", s / 60, s % 60)
    }
}

/// The timeline printed after the load summary: alarm transitions, scaling
/// activities and instance-count changes, in run time.
pub fn timeline_lines(data: &JournalData) -> Vec<String> {
    let mut events: Vec<(f64, u8, String)> = Vec::new();
    for a in alarm_transitions(data) {
        events.push((
            a.at,
            0,
            format!("alarm {}: {} → {}", a.name, a.from.as_aws(), a.to.as_aws()),
        ));
    }
    for a in latest_activities(data) {
        let end = match a.end {
            Some(e) => format!(", ended {}", clock_label(e)),
            None => String::new(),
        };
        let reasons: Vec<&str> = a.not_scaled.iter().map(|r| r.code.as_str()).collect();
        let not_scaled = if reasons.is_empty() {
            String::new()
        } else {
            format!(" — not scaled: {}", reasons.join(", "))
        };
        events.push((
            a.start,
            1,
            format!("activity {} ({}{end}){not_scaled}", a.description, a.status),
        ));
    }
    let mut last: Option<(u32, u32, &str)> = None;
    for e in endpoint_records(data) {
        let now = (e.current, e.desired, e.status.as_str());
        if last != Some(now) {
            events.push((
                e.t,
                2,
                format!(
                    "endpoint {}: {} in service, {} desired",
                    e.status, e.current, e.desired
                ),
            ));
            last = Some(now);
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    events
        .into_iter()
        .map(|(t, _, text)| format!("  {:>8}  {text}", clock_label(t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_labels() {
        assert_eq!(clock_label(0.0), "+00:00");
        assert_eq!(clock_label(754.4), "+12:34");
        assert_eq!(clock_label(3723.0), "+1:02:03");
        assert_eq!(clock_label(-60.0), "-01:00");
    }
}
