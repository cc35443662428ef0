//! Lag analysis: for every load change that should move capacity, and every
//! scaling activity whatever caused it, the chain of links from cause to
//! recovery, each with its time and the delta from the link before:
//!
//! load change → first datapoint past the alarm threshold (its period end) →
//! that datapoint readable in CloudWatch (first seen) → alarm ALARM →
//! scaling activity starts → desired count changes → capacity in service
//! (endpoint InService with the new count; when a later activity moved
//! desired further meanwhile, the new count serving while the endpoint
//! updates on) → latency and errors back within the profile's SLO.
//!
//! A link that never happened is named, and the chain stops there ("alarm
//! never fired: 2 of 3 datapoints breached"). A load change counts as an
//! episode when some datapoint after it is past its direction's alarm
//! threshold or a scaling activity in that direction starts before the next
//! load change; rises pair with the scale-out alarm (`Greater…`), drops with
//! the scale-in alarm (`Less…`). Activities no load change explains
//! (scheduled actions, manual updates, a follow-up while an episode's alarm
//! stayed in ALARM) get their own episode starting at the activity.
//!
//! Per episode, the impact window runs from the load change to capacity in
//! service (or to the end of the run when it never came): the requests sent
//! meanwhile (under-provisioned for scale-out, over-provisioned for
//! scale-in), their latency and error rate.
//!
//! Recovery ("back within SLO") is the first interval at or after capacity
//! came into service from which [`SLO_SUSTAIN_S`] seconds of intervals all
//! meet the `[slo]`; without an `[slo]` the link is left out.

use serde::{Deserialize, Serialize};

use super::{Datapoint, Timeline, TimelineError, median};
use crate::journal::JournalData;
use crate::journal::record::{ActivityRecord, AlarmConfigRecord, AlarmState, PhaseEvent};
use crate::profile::Slo;
use capacity::capacity_links;
use changes::refine_load_changes;
pub use worst::{WorstLagError, worst_lag};

/// How long latency and errors must stay within the SLO to count as
/// recovered.
pub const SLO_SUSTAIN_S: f64 = 10.0;

pub const LOAD_CHANGE: &str = "load change";
pub const PAST_THRESHOLD: &str = "datapoint past threshold";
pub const READABLE: &str = "datapoint readable";
pub const ALARM: &str = "alarm ALARM";
pub const ACTIVITY: &str = "activity starts";
pub const DESIRED: &str = "desired count changes";
pub const IN_SERVICE: &str = "capacity in service";
pub const WITHIN_SLO: &str = "back within SLO";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Out,
    In,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Out => "scale-out",
            Direction::In => "scale-in",
        }
    }
}

/// One link of a chain. `at`/`t_s` are absent when it never happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    /// RFC 3339 UTC.
    pub at: Option<String>,
    /// Seconds since the run started.
    pub t_s: Option<f64>,
    /// Seconds since the previous link (absent on the first link and on a
    /// missing one).
    pub delta_s: Option<f64>,
    /// Why this link is missing, e.g. "alarm never fired: 2 of 3 datapoints
    /// breached".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// What the link was, e.g. "InvocationsPerInstance 1800 > 600 (period 300–360 s)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Requests sent while capacity did not match load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    pub from_s: f64,
    pub to_s: f64,
    /// False when capacity never came into service (the window runs to the
    /// end of the run).
    pub until_in_service: bool,
    pub requests: u64,
    /// Latency of those requests; `None` when none completed (or none was
    /// sent). Async endpoints: matched to completions by queue order
    /// ([`super::Timeline::window_of_sends`]).
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: f64,
}

/// One chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub direction: Direction,
    /// What started it: a load change or an activity's cause.
    pub cause: String,
    pub links: Vec<Link>,
    /// First link → capacity in service; absent when capacity never came.
    pub total_s: Option<f64>,
    pub impact: Impact,
    /// One plain sentence on where the time went ("3 one-minute datapoints
    /// had to breach (3 min) + CloudWatch publishing (59 s) + …"), cut from
    /// the links and the alarm's rule (module `time_went`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub where_time_went: Option<String>,
}

impl Episode {
    pub fn missing(&self) -> Option<&str> {
        self.links.iter().find_map(|l| l.missing.as_deref())
    }
}

/// Count, median and maximum of a measured duration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub count: usize,
    pub median_s: Option<f64>,
    pub max_s: Option<f64>,
}

impl Stat {
    pub fn of(mut v: Vec<f64>) -> Stat {
        let max = v.iter().copied().reduce(f64::max);
        Stat {
            count: v.len(),
            median_s: median(&mut v).map(round3),
            max_s: max.map(round3),
        }
    }
}

/// Measurements of the control plane itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// CloudWatch publishing delay: first seen − period end, every datapoint
    /// first seen after its period ended.
    pub publishing_delay: Stat,
    /// Datapoints first seen before their period ended, left out of
    /// `publishing_delay` (a negative delay is no delay), and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishing_early: Option<control_plane::Early>,
    /// Instance launch: scale-out activity start → InService with the new count.
    pub launch: Stat,
    pub max_instances: Option<u32>,
    /// Simulated runs: the scale-in rule the model ran ("halfway: …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_in_rule: Option<String>,
}

pub struct LagAnalysis {
    pub episodes: Vec<Episode>,
    pub scaling: Scaling,
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn breaches(c: &AlarmConfigRecord, v: f64) -> bool {
    c.comparison.breaches(v, c.threshold)
}

fn direction_of_alarm(c: &AlarmConfigRecord) -> Option<Direction> {
    c.comparison
        .is_upper()
        .map(|up| if up { Direction::Out } else { Direction::In })
}

pub(super) fn direction_of_activity(a: &ActivityRecord) -> Option<Direction> {
    match (a.from, a.to) {
        (Some(f), Some(t)) if t > f => Some(Direction::Out),
        (Some(f), Some(t)) if t < f => Some(Direction::In),
        _ => None,
    }
}

/// The lag table's glyphs (`≥`/`≤` where the console writes `>=`/`<=`).
fn cmp_symbol(c: &AlarmConfigRecord) -> &str {
    match c.comparison.symbol() {
        ">=" => "≥",
        "<=" => "≤",
        s => s,
    }
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// A chain being built: each link's delta is from the one before.
struct Chain {
    started_at: chrono::DateTime<chrono::Utc>,
    links: Vec<Link>,
    last: Option<f64>,
}

impl Chain {
    fn at(&mut self, name: &str, t: f64, detail: Option<String>) {
        self.links.push(Link {
            name: name.into(),
            at: Some(crate::clock::rfc3339(crate::clock::utc_at(
                self.started_at,
                t,
            ))),
            t_s: Some(round3(t)),
            delta_s: self.last.map(|l| round3(t - l)),
            missing: None,
            detail,
        });
        self.last = Some(t);
    }

    fn missing(&mut self, name: &str, why: String) {
        self.missing_with(name, why, None);
    }

    /// A missing link that still says what it waited for (the alarm's
    /// condition, when the alarm never fired).
    fn missing_with(&mut self, name: &str, why: String, detail: Option<String>) {
        self.links.push(Link {
            name: name.into(),
            at: None,
            t_s: None,
            delta_s: None,
            missing: Some(why),
            detail,
        });
    }
}

/// Runs the analysis. `slo` is the profile's `[slo]`, if any.
pub fn analyze(
    data: &JournalData,
    tl: &Timeline,
    slo: Option<&Slo>,
) -> Result<LagAnalysis, TimelineError> {
    let started_at = data.info.started_at;
    let mut used: Vec<String> = Vec::new();
    let mut episodes = Vec::new();

    // Load changes: each phase start compared with the rate before it.
    let starts: Vec<_> = tl
        .phases
        .iter()
        .filter(|p| p.event == PhaseEvent::Start)
        .collect();
    let mut changes: Vec<(f64, Direction, String, f64)> = Vec::new();
    // The load change link's detail, per change (ramps, observed load).
    let mut details: Vec<Option<String>> = Vec::new();
    // Each phase's end, looked up once (a scan of every phase per load
    // change was quadratic: minutes for a sine of 100,000 phases).
    let mut phase_ends = std::collections::HashMap::new();
    for e in tl.phases.iter().filter(|e| e.event == PhaseEvent::End) {
        phase_ends.entry(e.index).or_insert(e.t);
    }
    let mut prev_rate = 0.0;
    for p in &starts {
        let new_rate = p.from_rate.max(p.to_rate);
        let dir = if new_rate > prev_rate + 1e-9 {
            Some(Direction::Out)
        } else if p.to_rate + 1e-9 < prev_rate {
            Some(Direction::In)
        } else {
            None
        };
        if let Some(d) = dir {
            let end = phase_ends.get(&p.index).copied();
            let ramp = (d == Direction::Out)
                .then(|| {
                    end.and_then(|t1| {
                        observed::ramp_crossing(tl, p.t, t1, p.from_rate.max(prev_rate), p.to_rate)
                    })
                })
                .flatten();
            details.push(ramp.as_ref().map(|r| r.1.clone()));
            changes.push((
                ramp.map(|r| r.0).unwrap_or(p.t),
                d,
                format!(
                    "load {} → {}/s (phase {:?})",
                    crate::format::fmt_rate(prev_rate),
                    crate::format::fmt_rate(if d == Direction::Out {
                        new_rate
                    } else {
                        p.to_rate
                    }),
                    p.name
                ),
                prev_rate,
            ));
        }
        prev_rate = p.to_rate;
    }
    let mut changes = refine_load_changes(data, tl, changes);
    if starts.is_empty()
        && let Some(load) = &tl.load
    {
        // Nothing sent by scaletrace: the observed load's changes.
        let observed = observed::observed_changes(tl, load);
        changes = observed.iter().map(|c| (c.0, c.1, c.2.clone())).collect();
        details = observed.into_iter().map(|c| c.4).collect();
    }
    for (i, (t0, dir, cause)) in changes.iter().enumerate() {
        let t_next = changes.get(i + 1).map(|c| c.0).unwrap_or(f64::INFINITY);
        let mut chain = Chain {
            started_at,
            links: Vec::new(),
            last: None,
        };
        chain.at(LOAD_CHANGE, *t0, details.get(i).cloned().flatten());
        let activity_in_window = tl.activities.iter().any(|a| {
            a.not_scaled.is_empty()
                && direction_of_activity(a) == Some(*dir)
                && a.start >= *t0
                && a.start < t_next
                && !used.contains(&a.id)
        });
        let first_activity = tl.activities.iter().find(|a| {
            a.not_scaled.is_empty()
                && direction_of_activity(a) == Some(*dir)
                && a.start >= *t0
                && a.start < t_next
                && !used.contains(&a.id)
        });
        let Some(config) = alarm_for(tl, *dir, first_activity) else {
            if activity_in_window {
                chain.missing(
                    PAST_THRESHOLD,
                    format!("no {} alarm in the journal", dir.label()),
                );
                episodes.push(finish(
                    data,
                    tl,
                    slo,
                    *dir,
                    cause.clone(),
                    chain,
                    *t0,
                    None,
                )?);
            }
            continue;
        };
        let series: &[Datapoint] = tl.alarm_metric(config).map(|v| v.as_slice()).unwrap_or(&[]);
        let in_window: Vec<&Datapoint> = series
            .iter()
            .filter(|d| d.period_end > *t0 + 1e-9 && d.period_start < t_next)
            .collect();
        let first = in_window.iter().find(|d| breaches(config, d.value()));
        let Some(first) = first else {
            if activity_in_window {
                let best = in_window
                    .iter()
                    .map(|d| d.value())
                    .reduce(if *dir == Direction::Out {
                        f64::max
                    } else {
                        f64::min
                    });
                chain.missing_with(
                    PAST_THRESHOLD,
                    match best {
                        Some(b) => format!(
                            "no datapoint past the threshold ({} {} {}; nearest {})",
                            config.metric,
                            cmp_symbol(config),
                            num(config.threshold),
                            num(b)
                        ),
                        None => format!("no {} datapoints after the load change", config.metric),
                    },
                    Some(alarm_words(config)),
                );
                episodes.push(finish(
                    data,
                    tl,
                    slo,
                    *dir,
                    cause.clone(),
                    chain,
                    *t0,
                    None,
                )?);
            }
            continue;
        };
        chain.at(
            PAST_THRESHOLD,
            first.period_end,
            Some(format!(
                "{} {} {} {} (period {}–{} s)",
                config.metric,
                num(first.value()),
                cmp_symbol(config),
                num(config.threshold),
                num(first.period_start),
                num(first.period_end)
            )),
        );
        let readable = first
            .first_seen_where(|v| breaches(config, v))
            .unwrap_or(first.first_seen);
        chain.at(
            READABLE,
            readable,
            Some(match round3(readable - first.period_end) {
                d if d >= 0.0 => format!("publishing delay {} s", num(d)),
                // No datapoint is published before its period ends: the
                // control plane section says whether the clocks disagree.
                d => format!(
                    "read {} s before its period ended (clock skew or a partial period)",
                    num(-d)
                ),
            }),
        );
        // The transition to ALARM after the breaching period ended (or the
        // one the alarm was already in).
        let fired = tl
            .alarms
            .iter()
            .filter(|a| a.name == config.name && a.to == AlarmState::Alarm)
            .find(|a| a.at >= first.period_end - 1e-9)
            .or_else(|| {
                (tl.alarm_state_at(&config.name, first.period_end) == Some(AlarmState::Alarm))
                    .then(|| {
                        tl.alarms
                            .iter()
                            .rfind(|a| a.name == config.name && a.at <= first.period_end)
                    })
                    .flatten()
            });
        let Some(fired) = fired else {
            chain.missing_with(
                ALARM,
                never_fired(config, &in_window, t_next, tl.end),
                Some(alarm_words(config)),
            );
            episodes.push(finish(
                data,
                tl,
                slo,
                *dir,
                cause.clone(),
                chain,
                *t0,
                None,
            )?);
            continue;
        };
        chain.at(ALARM, fired.at, Some(alarm_words(config)));
        let activity = tl.activities.iter().find(|a| {
            a.not_scaled.is_empty()
                && direction_of_activity(a) == Some(*dir)
                && a.start >= fired.at - 1e-9
                && !used.contains(&a.id)
        });
        let Some(activity) = activity else {
            let not_scaled = tl
                .activities
                .iter()
                .find(|a| !a.not_scaled.is_empty() && a.start >= fired.at - 1e-9);
            chain.missing(
                ACTIVITY,
                match not_scaled {
                    Some(a) => format!("did not scale: {}", super::not_scaled_text(a)),
                    None => "no scaling activity after the alarm".into(),
                },
            );
            episodes.push(finish(
                data,
                tl,
                slo,
                *dir,
                cause.clone(),
                chain,
                *t0,
                None,
            )?);
            continue;
        };
        used.push(activity.id.clone());
        chain.at(ACTIVITY, activity.start, Some(activity_detail(activity)));
        let in_service = capacity_links(tl, &mut chain, activity);
        episodes.push(finish(
            data,
            tl,
            slo,
            *dir,
            cause.clone(),
            chain,
            *t0,
            in_service,
        )?);
    }

    // Activities no load change explains.
    for a in &tl.activities {
        if !a.not_scaled.is_empty() || used.contains(&a.id) {
            continue;
        }
        let Some(dir) = direction_of_activity(a) else {
            continue;
        };
        let mut chain = Chain {
            started_at,
            links: Vec::new(),
            last: None,
        };
        chain.at(ACTIVITY, a.start, Some(activity_detail(a)));
        let in_service = capacity_links(tl, &mut chain, a);
        let cause = match follow_up_of(tl, &episodes, dir, a.start) {
            Some((alarm, since)) => format!(
                "follow-up {}: {alarm} still in ALARM since the load change at {} s",
                activity_counts(a),
                num(since)
            ),
            None => format!("scaling activity: {}", a.cause),
        };
        episodes.push(finish(
            data, tl, slo, dir, cause, chain, a.start, in_service,
        )?);
    }
    episodes.sort_by(|a, b| a.impact.from_s.total_cmp(&b.impact.from_s));
    for e in &mut episodes {
        // The alarm the chain followed (its link names it), else the default.
        let followed = e
            .links
            .iter()
            .find(|l| l.name == ALARM)
            .and_then(|l| l.detail.as_deref())
            .and_then(|d| {
                tl.alarm_configs
                    .iter()
                    .find(|c| d.starts_with(&format!("{}: ", c.name)))
            });
        e.where_time_went =
            time_went::sentence(e, followed.or_else(|| alarm_for(tl, e.direction, None)));
    }

    Ok(LagAnalysis {
        episodes,
        scaling: control_plane::scaling(tl),
    })
}

/// The episode an activity no load change explains follows up on: one in
/// the same direction whose alarm was still in ALARM when the activity
/// started (stale breaching datapoints after capacity arrived, or one
/// scale-out step not being enough). Returns the alarm and the load
/// change's time.
fn follow_up_of(
    tl: &Timeline,
    episodes: &[Episode],
    dir: Direction,
    start: f64,
) -> Option<(String, f64)> {
    // A load change's chain follows the alarm `alarm_for` picks.
    let name = &alarm_for(tl, dir, None)?.name;
    episodes
        .iter()
        .filter(|e| e.direction == dir && e.links[0].name == LOAD_CHANGE)
        .filter_map(|e| {
            e.links
                .iter()
                .find(|l| l.name == ALARM && l.t_s.is_some())?;
            let since = e.links[0].t_s?;
            (since <= start && tl.alarm_state_at(name, start) == Some(AlarmState::Alarm))
                .then(|| (name.clone(), since))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// "3 → 4 instances", or "scaling" when the counts are unknown.
fn activity_counts(a: &ActivityRecord) -> String {
    match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{f} → {t} instances"),
        _ => "scaling".into(),
    }
}

fn activity_detail(a: &ActivityRecord) -> String {
    match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{} → {} instances ({})", f, t, a.status),
        _ => a.description.clone(),
    }
}

/// The alarm link's detail: its name and its condition in the console's
/// words, so the chain says what the alarm waited for.
fn alarm_words(c: &AlarmConfigRecord) -> String {
    format!("{}: {}", c.name, c.condition())
}

/// The scale-out (rising) or scale-in (falling) alarm to follow: the one
/// the episode's scaling activity names in its cause ("monitor alarm X in
/// state ALARM triggered policy Y"), so an activity a step policy started is
/// credited to its alarm and not to target tracking's; else one owned by a
/// policy, then any.
fn alarm_for<'a>(
    tl: &'a Timeline,
    dir: Direction,
    activity: Option<&ActivityRecord>,
) -> Option<&'a AlarmConfigRecord> {
    let matching = || {
        tl.alarm_configs
            .iter()
            .filter(move |c| direction_of_alarm(c) == Some(dir))
    };
    let named = activity
        .and_then(|a| matching().find(|c| a.cause.contains(&format!("monitor alarm {} ", c.name))));
    named
        .or_else(|| matching().find(|c| c.policy.is_some()))
        .or_else(|| matching().next())
}

/// "alarm never fired: 2 of 3 datapoints breached": the best run of
/// `evaluation_periods` consecutive periods after the load change (the
/// latest on a tie). Periods that ended before the run did and have no
/// datapoint are counted as gaps.
fn never_fired(c: &AlarmConfigRecord, in_window: &[&Datapoint], t_next: f64, end: f64) -> String {
    let n = c.evaluation_periods.max(1) as usize;
    let p = c.period_s as f64;
    let Some(first) = in_window.first() else {
        return "alarm never fired: no datapoints".into();
    };
    let last_start = in_window
        .last()
        .map(|d| d.period_start)
        .unwrap_or(first.period_start);
    let (mut best, mut best_gaps) = (0usize, 0usize);
    let mut w = first.period_start - (n as f64 - 1.0) * p;
    while w <= last_start + 1e-9 {
        let mut hits = 0;
        let mut gaps = 0;
        for k in 0..n {
            let ps = w + k as f64 * p;
            if ps < first.period_start - 1e-9 || ps >= t_next {
                continue;
            }
            match in_window
                .iter()
                .find(|d| (d.period_start - ps).abs() < 1e-6)
            {
                Some(d) if breaches(c, d.value()) => hits += 1,
                Some(_) => {}
                None if ps + p <= end + 1e-9 => gaps += 1,
                None => {}
            }
        }
        if hits >= best {
            best = hits;
            best_gaps = gaps;
        }
        w += p;
    }
    let mut s = format!("alarm never fired: {best} of {n} datapoints breached");
    if c.datapoints_to_alarm as usize != n {
        s.push_str(&format!(" (needs {})", c.datapoints_to_alarm));
    }
    if best_gaps > 0 {
        s.push_str(&format!(
            "; {best_gaps} period{} had no datapoint",
            if best_gaps == 1 { "" } else { "s" }
        ));
    }
    s
}

#[allow(clippy::too_many_arguments)]
fn finish(
    data: &JournalData,
    tl: &Timeline,
    slo: Option<&Slo>,
    direction: Direction,
    cause: String,
    mut chain: Chain,
    from: f64,
    in_service: Option<f64>,
) -> Result<Episode, TimelineError> {
    if let (Some(slo), Some(ready)) = (slo, in_service) {
        match recovered(tl, slo, ready) {
            Some(t) => chain.at(WITHIN_SLO, t, Some(slo_text(slo))),
            None => chain.missing(
                WITHIN_SLO,
                format!("latency/errors never back within SLO ({})", slo_text(slo)),
            ),
        }
    }
    let to = in_service.unwrap_or(tl.end.max(from));
    let w = if tl.is_async() {
        tl.window_of_sends(data, from, to)?
    } else {
        tl.window(data, from, to)?
    };
    let quantile = |q| {
        (w.sent > 0 && !w.latency.is_empty())
            .then(|| round3(crate::histogram::quantile_ms(&w.latency, q)))
    };
    Ok(Episode {
        direction,
        cause,
        links: chain.links,
        total_s: in_service.map(|t| round3(t - from)),
        where_time_went: None,
        impact: Impact {
            from_s: round3(from),
            to_s: round3(to),
            until_in_service: in_service.is_some(),
            requests: w.sent,
            p50_ms: quantile(0.5),
            p99_ms: quantile(0.99),
            error_rate: (w.error_rate() * 1e6).round() / 1e6,
        },
    })
}

pub fn slo_text(slo: &Slo) -> String {
    let mut parts = Vec::new();
    if let Some(v) = slo.p50_ms {
        parts.push(format!("p50 ≤ {} ms", num(v)));
    }
    if let Some(v) = slo.p99_ms {
        parts.push(format!("p99 ≤ {} ms", num(v)));
    }
    if let Some(v) = slo.error_rate {
        parts.push(format!("errors ≤ {}%", num(v * 100.0)));
    }
    parts.join(", ")
}

/// Whether one interval meets the SLO (an interval with no completions does).
fn within(slo: &Slo, i: &super::IntervalPoint) -> bool {
    let rate = if i.completed == 0 {
        0.0
    } else {
        i.errors as f64 / i.completed as f64
    };
    slo.p50_ms.is_none_or(|m| i.p50_ms.is_none_or(|v| v <= m))
        && slo.p99_ms.is_none_or(|m| i.p99_ms.is_none_or(|v| v <= m))
        && slo.error_rate.is_none_or(|m| rate <= m)
}

fn recovered(tl: &Timeline, slo: &Slo, ready: f64) -> Option<f64> {
    let ivs: Vec<_> = tl.intervals.iter().filter(|i| i.t > ready + 1e-9).collect();
    (0..ivs.len()).find_map(|k| {
        let from = ivs[k].start.max(ready);
        let ok = ivs[k..]
            .iter()
            .take_while(|i| i.start < from + SLO_SUSTAIN_S)
            .all(|i| within(slo, i));
        ok.then_some(from)
    })
}

mod capacity;
mod changes;
mod control_plane;
mod observed;
#[cfg(test)]
mod tests;
mod time_went;
mod worst;
