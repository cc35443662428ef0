//! The run as time series and events, from [`JournalData`] alone: what the
//! load did per interval, what the observer saw per observation, and the
//! events between them. Every report and the lag analysis ([`lag`]) read
//! this instead of walking journal lines themselves.
//!
//! Gaps stay gaps: a metric period with no datapoint has no entry (CloudWatch
//! may publish nothing for an idle minute, and an alarm treats that as
//! missing data, not as zero).

mod error;
pub mod lag;
pub mod load;

pub use error::TimelineError;

use std::collections::BTreeMap;

use crate::format::fmt_rate;
use crate::histogram::{self, Hist};
use crate::journal::JournalData;
use crate::journal::record::{
    ActivityRecord, ActivityStatus, AlarmConfigRecord, AlarmRecord, AlarmState, CopiesRecord,
    EndpointRecord, PhaseEvent, PhaseRecord, PolicyRecord, Record,
};
use crate::outcome::{Outcome, OutcomeCounts};

/// One recording interval, as rates and percentiles.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalPoint {
    pub start: f64,
    pub t: f64,
    pub sent: u64,
    pub completed: u64,
    pub ok: u64,
    pub errors: u64,
    /// Sent per second (offered load).
    pub offered_per_s: f64,
    /// `ok` completions per second.
    pub achieved_per_s: f64,
    /// Latency percentiles of the requests completed in the interval; `None`
    /// when none completed.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub by_outcome: OutcomeCounts,
}

/// Identifies a metric series (dimensions are left out: one endpoint per
/// run).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricKey {
    pub namespace: String,
    pub name: String,
    pub stat: String,
    pub period_s: u32,
}

/// One CloudWatch datapoint: its period, when it was first seen, and every
/// value it had (revisions included).
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    pub period_start: f64,
    pub period_end: f64,
    /// When the observer first read a value for this period.
    pub first_seen: f64,
    /// `(seen at, value)`, in the order seen; the last is the current value.
    pub versions: Vec<(f64, f64)>,
}

impl Datapoint {
    pub fn value(&self) -> f64 {
        self.versions.last().map(|v| v.1).unwrap_or(f64::NAN)
    }

    /// When a value satisfying `pred` was first readable.
    pub fn first_seen_where(&self, pred: impl Fn(f64) -> bool) -> Option<f64> {
        self.versions.iter().find(|v| pred(v.1)).map(|v| v.0)
    }

    /// CloudWatch's publishing delay for this datapoint.
    pub fn publishing_delay(&self) -> f64 {
        self.first_seen - self.period_end
    }
}

/// Something that happened at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub t: f64,
    pub kind: EventKind,
    /// One line for the timeline tables.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Phase,
    Alarm,
    ActivityStart,
    ActivityEnd,
    NotScaled,
    Endpoint,
    Warning,
    Interrupted,
    /// A scaling policy that changed while the run watched (e.g. `scaletrace
    /// apply` during an `observe`): what scaled later ran under the new one.
    Policy,
    /// An inference component's copy counts changed.
    Copies,
}

impl EventKind {
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Phase => "phase",
            EventKind::Alarm => "alarm",
            EventKind::ActivityStart => "scaling",
            EventKind::ActivityEnd => "scaling",
            EventKind::NotScaled => "not scaled",
            EventKind::Endpoint => "endpoint",
            EventKind::Warning => "warning",
            EventKind::Interrupted => "interrupted",
            EventKind::Policy => "policy",
            EventKind::Copies => "copies",
        }
    }
}

/// The run as series and events.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub intervals: Vec<IntervalPoint>,
    pub phases: Vec<PhaseRecord>,
    pub metrics: BTreeMap<MetricKey, Vec<Datapoint>>,
    /// Every endpoint observation (status, current and desired counts).
    pub endpoint: Vec<EndpointRecord>,
    /// Every observation of an inference component's copies (empty for a
    /// production variant). With copies, scaling activities move copies
    /// and [`Timeline::endpoint`] holds the instances managed instance
    /// scaling follows with.
    pub copies: Vec<CopiesRecord>,
    pub alarm_configs: Vec<AlarmConfigRecord>,
    /// Transitions in CloudWatch's order (`at`).
    pub alarms: Vec<AlarmRecord>,
    /// The latest line per activity id, by start time; `from` inferred
    /// where the journal lacks it (see [`infer_from_counts`]).
    pub activities: Vec<ActivityRecord>,
    pub policies: Vec<PolicyRecord>,
    pub events: Vec<Event>,
    /// The load scaletrace did not send (observe-only runs): an imported
    /// file's, else CloudWatch's ([`load`]).
    pub load: Option<load::ObservedLoad>,
    /// The last time anything was recorded.
    pub end: f64,
}

impl Timeline {
    pub fn build(data: &JournalData) -> Result<Timeline, TimelineError> {
        let mut tl = Timeline::default();
        let mut activities: BTreeMap<String, ActivityRecord> = BTreeMap::new();
        let mut metrics: BTreeMap<MetricKey, BTreeMap<i64, Datapoint>> = BTreeMap::new();
        let mut imported = None;
        for r in &data.records {
            tl.end = tl.end.max(r.t());
            match r {
                Record::Interval(i) => {
                    let len = (i.t - i.start).max(1e-9);
                    let ok = i.by_outcome.get(Outcome::Ok);
                    let (p50, p99) = if i.completed > 0 {
                        let h = histogram::decode(&i.latency)?;
                        (
                            Some(histogram::quantile_ms(&h, 0.5)),
                            Some(histogram::quantile_ms(&h, 0.99)),
                        )
                    } else {
                        (None, None)
                    };
                    tl.intervals.push(IntervalPoint {
                        start: i.start,
                        t: i.t,
                        sent: i.sent,
                        completed: i.completed,
                        ok,
                        errors: i.by_outcome.errors(),
                        offered_per_s: i.sent as f64 / len,
                        achieved_per_s: ok as f64 / len,
                        p50_ms: p50,
                        p99_ms: p99,
                        by_outcome: i.by_outcome,
                    });
                }
                Record::Phase(p) => {
                    if p.event == PhaseEvent::Start {
                        tl.events.push(Event {
                            t: p.t,
                            kind: EventKind::Phase,
                            text: format!(
                                "phase {:?} starts: {} → {} requests/s",
                                p.name,
                                fmt_rate(p.from_rate),
                                fmt_rate(p.to_rate)
                            ),
                        });
                    }
                    tl.phases.push(p.clone());
                }
                Record::Metric(m) => {
                    let key = MetricKey {
                        namespace: m.namespace.clone(),
                        name: m.name.clone(),
                        stat: m.stat.clone(),
                        period_s: m.period_s,
                    };
                    let slot = (m.period_start * 1000.0).round() as i64;
                    let dp = metrics
                        .entry(key)
                        .or_default()
                        .entry(slot)
                        .or_insert(Datapoint {
                            period_start: m.period_start,
                            period_end: m.period_start + m.period_s as f64,
                            first_seen: m.t,
                            versions: Vec::new(),
                        });
                    dp.first_seen = dp.first_seen.min(m.t);
                    dp.versions.push((m.t, m.value));
                }
                Record::Alarm(a) => {
                    tl.events.push(Event {
                        t: a.at,
                        kind: EventKind::Alarm,
                        text: format!("{} {} → {}", a.name, a.from.as_aws(), a.to.as_aws()),
                    });
                    tl.alarms.push(a.clone());
                }
                Record::AlarmConfig(c) => {
                    tl.alarm_configs.retain(|x| x.name != c.name);
                    tl.alarm_configs.push(c.clone());
                }
                Record::Activity(a) => {
                    activities.insert(a.id.clone(), a.clone());
                }
                Record::Endpoint(e) => {
                    let changed = tl.endpoint.last().is_none_or(|l| {
                        l.status != e.status || l.current != e.current || l.desired != e.desired
                    });
                    if changed {
                        tl.events.push(Event {
                            t: e.t,
                            kind: EventKind::Endpoint,
                            text: format!(
                                "endpoint {} (current {}, desired {})",
                                e.status, e.current, e.desired
                            ),
                        });
                    }
                    tl.endpoint.push(e.clone());
                }
                Record::Policy(p) => {
                    // The observer journals a policy when first seen and
                    // again whenever it changes; a change is an event.
                    if let Some(old) = tl.policies.iter().find(|x| x.name == p.name)
                        && let Some(what) = policy_change(old, p)
                    {
                        tl.events.push(Event {
                            t: p.t,
                            kind: EventKind::Policy,
                            text: format!("policy {} changed: {what}", p.name),
                        });
                    }
                    tl.policies.retain(|x| x.name != p.name);
                    tl.policies.push(p.clone());
                }
                Record::Warning(w) => tl.events.push(Event {
                    t: w.t,
                    kind: EventKind::Warning,
                    text: w.message.clone(),
                }),
                Record::Interrupted(i) => tl.events.push(Event {
                    t: i.t,
                    kind: EventKind::Interrupted,
                    text: format!("{} received", i.signal),
                }),
                Record::LoadImport(l) => imported = Some(l),
                Record::Copies(c) => {
                    let changed = tl.copies.last().is_none_or(|l| {
                        l.status != c.status || l.current != c.current || l.desired != c.desired
                    });
                    if changed {
                        tl.events.push(Event {
                            t: c.t,
                            kind: EventKind::Copies,
                            text: format!(
                                "inference component {} {} (copies {}, desired {})",
                                c.component, c.status, c.current, c.desired
                            ),
                        });
                    }
                    tl.copies.push(c.clone());
                }
                Record::ScalableTarget(_) | Record::End(_) | Record::Start(_) => {}
            }
        }
        tl.metrics = metrics
            .into_iter()
            .map(|(k, v)| (k, v.into_values().collect()))
            .collect();
        tl.load = load::ObservedLoad::of(imported, &tl.metrics);
        let mut acts: Vec<ActivityRecord> = activities.into_values().collect();
        acts.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.id.cmp(&b.id)));
        // An inference component's activities move its copies.
        let unit = if tl.copies.is_empty() {
            infer_from_counts(&mut acts, &tl.endpoint);
            "instances"
        } else {
            infer_from_counts(&mut acts, &lag::copies::as_counts(&tl.copies));
            "copies"
        };
        for a in &acts {
            if a.not_scaled.is_empty() {
                tl.events.push(Event {
                    t: a.start,
                    kind: EventKind::ActivityStart,
                    text: format!("activity starts: {}", activity_summary(a, unit)),
                });
                if let Some(end) = a.end {
                    tl.events.push(Event {
                        t: end,
                        kind: EventKind::ActivityEnd,
                        text: format!("activity ends {}: {}", a.status, activity_summary(a, unit)),
                    });
                }
            } else {
                tl.events.push(Event {
                    t: a.start,
                    kind: EventKind::NotScaled,
                    text: format!("did not scale: {}", not_scaled_text(a)),
                });
            }
        }
        tl.activities = acts;
        tl.alarms.sort_by(|a, b| a.at.total_cmp(&b.at));
        tl.events.sort_by(|a, b| a.t.total_cmp(&b.t));
        Ok(tl)
    }

    /// The series of a metric by name (any namespace, statistic, period):
    /// the first one found.
    pub fn metric(&self, name: &str) -> Option<(&MetricKey, &Vec<Datapoint>)> {
        self.metrics.iter().find(|(k, _)| k.name == name)
    }

    /// Whether the endpoint is asynchronous (it publishes the backlog
    /// metrics). Async requests wait in a queue for minutes, so their
    /// latency lands long after they were sent.
    pub fn is_async(&self) -> bool {
        self.metrics
            .keys()
            .any(|k| k.name == "ApproximateBacklogSize" || k.name == "HasBacklogWithoutCapacity")
    }

    /// The series an alarm watches.
    pub fn alarm_metric(&self, c: &AlarmConfigRecord) -> Option<&Vec<Datapoint>> {
        self.metrics.get(&MetricKey {
            namespace: c.namespace.clone(),
            name: c.metric.clone(),
            stat: c.stat.clone(),
            period_s: c.period_s,
        })
    }

    /// An alarm's state at `t` (from its transitions; `None` before the
    /// first one).
    pub fn alarm_state_at(&self, name: &str, t: f64) -> Option<AlarmState> {
        self.alarms
            .iter()
            .rfind(|a| a.name == name && a.at <= t)
            .map(|a| a.to)
    }

    /// The alarm's states as bands `(from, to, state)` covering the run.
    pub fn alarm_bands(&self, name: &str) -> Vec<(f64, f64, AlarmState)> {
        let mut out: Vec<(f64, f64, AlarmState)> = Vec::new();
        for a in self.alarms.iter().filter(|a| a.name == name) {
            if let Some(last) = out.last_mut() {
                last.1 = a.at;
            }
            out.push((a.at, self.end, a.to));
        }
        out
    }

    /// The highest instance count in service at any observation.
    pub fn max_instances(&self) -> Option<u32> {
        self.endpoint.iter().map(|e| e.current).max()
    }

    /// Merged latency histogram and counts of the intervals overlapping
    /// `[from, to)`.
    pub fn window(&self, data: &JournalData, from: f64, to: f64) -> Result<Window, TimelineError> {
        let mut w = Window {
            sent: 0,
            completed: 0,
            errors: 0,
            latency: histogram::new_hist(),
        };
        for r in &data.records {
            if let Record::Interval(i) = r
                && i.t > from
                && i.start < to
            {
                w.sent += i.sent;
                w.completed += i.completed;
                w.errors += i.by_outcome.errors();
                if i.completed > 0 {
                    w.latency.add(histogram::decode(&i.latency)?)?;
                }
            }
        }
        Ok(w)
    }
}

impl Timeline {
    /// The requests *sent* in `(from, to)` and what they suffered, for
    /// queues where latency lands long after the send (async endpoints).
    ///
    /// Intervals hold latency by completion, so the window's requests are
    /// matched to completions by order: an async queue serves first come
    /// first served, so the requests sent in the window are the completions
    /// ranked after the S0 sent before it, up to S0 + sent; the intervals
    /// holding those ranks give the latency and errors (to the second).
    pub fn window_of_sends(
        &self,
        data: &JournalData,
        from: f64,
        to: f64,
    ) -> Result<Window, TimelineError> {
        let intervals: Vec<_> = data.intervals().collect();
        let before: u64 = intervals
            .iter()
            .filter(|i| i.t <= from)
            .map(|i| i.sent)
            .sum();
        let sent: u64 = intervals
            .iter()
            .filter(|i| i.t > from && i.start < to)
            .map(|i| i.sent)
            .sum();
        let mut w = Window {
            sent,
            completed: 0,
            errors: 0,
            latency: histogram::new_hist(),
        };
        let mut done = 0u64;
        for i in intervals {
            let rank_before = done;
            done += i.completed;
            if i.completed > 0 && done > before && rank_before < before + sent {
                w.completed += i.completed;
                w.errors += i.by_outcome.errors();
                w.latency.add(histogram::decode(&i.latency)?)?;
            }
        }
        Ok(w)
    }
}

/// Requests and latency over a stretch of the run.
pub struct Window {
    pub sent: u64,
    pub completed: u64,
    pub errors: u64,
    pub latency: Hist,
}

impl Window {
    pub fn error_rate(&self) -> f64 {
        if self.completed == 0 {
            0.0
        } else {
            self.errors as f64 / self.completed as f64
        }
    }
}

/// Application Auto Scaling says only where an activity goes ("Setting
/// desired instance count to 4."), so activities read from AWS have no
/// `from`, and without it nothing knows their direction. The count before
/// is the endpoint's desired count last seen before the activity started,
/// else the count the previous activity set.
fn infer_from_counts(acts: &mut [ActivityRecord], endpoint: &[EndpointRecord]) {
    let mut previous_to: Option<u32> = None;
    for a in acts.iter_mut() {
        if a.from.is_none() && a.to.is_some() && a.not_scaled.is_empty() {
            a.from = endpoint
                .iter()
                .rfind(|e| e.t < a.start - 1e-9)
                .map(|e| e.desired)
                .or(previous_to);
        }
        if a.not_scaled.is_empty() && a.status != ActivityStatus::Failed {
            previous_to = a.to.or(previous_to);
        }
    }
}

fn activity_summary(a: &ActivityRecord, unit: &str) -> String {
    let counts = match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{f} → {t} {unit}, "),
        (None, Some(t)) => format!("→ {t} {unit}, "),
        _ => String::new(),
    };
    format!("{counts}{}", a.cause)
}

pub fn not_scaled_text(a: &ActivityRecord) -> String {
    a.not_scaled
        .iter()
        .map(|n| {
            let mut s = n.code.clone();
            let mut extra = Vec::new();
            if let Some(m) = n.max_capacity {
                extra.push(format!("max {m}"));
            }
            if let Some(m) = n.min_capacity {
                extra.push(format!("min {m}"));
            }
            if let Some(c) = n.current_capacity {
                extra.push(format!("current {c}"));
            }
            if !extra.is_empty() {
                s.push_str(&format!(" ({})", extra.join(", ")));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The median of a list (sorted in place); `None` when empty.
pub fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// What changed between two journaled versions of one policy, in the
/// API's words ("TargetValue 600 → 900, ScaleInCooldown 300 → 600"), or
/// None when nothing the reports show did.
fn policy_change(old: &PolicyRecord, new: &PolicyRecord) -> Option<String> {
    let opt = |v: Option<f64>| v.map(crate::format::fmt).unwrap_or_else(|| "—".into());
    let mut parts = Vec::new();
    let mut diff = |name: &str, a: String, b: String| {
        if a != b {
            parts.push(format!("{name} {a} → {b}"));
        }
    };
    diff(
        "PolicyType",
        old.policy_type.to_string(),
        new.policy_type.to_string(),
    );
    diff(
        "metric",
        old.metric.clone().unwrap_or_else(|| "—".into()),
        new.metric.clone().unwrap_or_else(|| "—".into()),
    );
    diff("TargetValue", opt(old.target_value), opt(new.target_value));
    let secs = |v: Option<u32>| opt(v.map(f64::from));
    diff(
        "ScaleInCooldown",
        secs(old.scale_in_cooldown_s),
        secs(new.scale_in_cooldown_s),
    );
    diff(
        "ScaleOutCooldown",
        secs(old.scale_out_cooldown_s),
        secs(new.scale_out_cooldown_s),
    );
    diff(
        "DisableScaleIn",
        old.disable_scale_in.to_string(),
        new.disable_scale_in.to_string(),
    );
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod policy_change_tests {
    use super::*;
    use crate::fixture;

    /// `scaletrace apply` during an `observe` (600 → 900): the observer
    /// journals the new version, and the timeline shows the change.
    #[test]
    fn a_policy_changed_while_observing_is_a_timeline_event() {
        let mut b = fixture::JournalBuilder::new(fixture::profile("p", &[("p", 60.0, 1.0)]));
        b.target_tracking(0.0, 1, 4);
        let Some(Record::Policy(first)) = b
            .records
            .iter()
            .find(|r| matches!(r, Record::Policy(_)))
            .cloned()
        else {
            panic!("the fixture journals a policy");
        };
        b.push(Record::Policy(PolicyRecord {
            t: 42.0,
            target_value: Some(900.0),
            scale_in_cooldown_s: Some(600),
            ..first.clone()
        }));
        // The same policy journaled again unchanged is no event.
        b.push(Record::Policy(PolicyRecord {
            t: 50.0,
            target_value: Some(900.0),
            scale_in_cooldown_s: Some(600),
            ..first.clone()
        }));
        let tl = Timeline::build(&b.build()).unwrap();
        let changes: Vec<(f64, &str, String)> = tl
            .events
            .iter()
            .filter(|e| e.kind == EventKind::Policy)
            .map(|e| (e.t, e.kind.label(), e.text.clone()))
            .collect();
        let expected = format!(
            "policy {} changed: TargetValue 600 → 900, ScaleInCooldown 300 → 600",
            first.name
        );
        assert_eq!(changes, vec![(42.0, "policy", expected)]);
        assert_eq!(tl.policies.len(), 1);
        assert_eq!(tl.policies[0].target_value, Some(900.0));
    }
}
