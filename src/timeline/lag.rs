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
//! An inference component's chain ends copies desired → instances
//! launched (when managed instance scaling had to add some) → copies in
//! service instead (module `copies`).
//!
//! Per episode, the impact window runs from the load change to capacity in
//! service (or to the end of the run when it never came): the requests sent
//! meanwhile (under-provisioned for scale-out, over-provisioned for
//! scale-in), their latency and error rate.
//!
//! Recovery ("back within SLO") is the first interval at or after capacity
//! came into service from which [`SLO_SUSTAIN_S`] seconds of intervals all
//! meet the `[slo]`; without an `[slo]` the link is left out.

use super::{Datapoint, Timeline, TimelineError};
use crate::journal::JournalData;
use crate::journal::record::{AlarmState, PhaseEvent};
use crate::profile::Slo;
pub(super) use chain::direction_of_activity;
use chain::{
    Chain, activity_counts, activity_detail, alarm_for, alarm_words, breaches, capacity_unit,
    cmp_symbol, never_fired,
};
use changes::refine_load_changes;
use finish::finish;
pub use finish::slo_text;
pub use model::{Direction, Episode, Impact, LagAnalysis, Link, Scaling, Stat};
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

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
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
        if let Some(l) = chain.links.last_mut() {
            l.period_start_s = Some(round3(first.period_start));
        }
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
        chain.at(
            ACTIVITY,
            activity.start,
            Some(activity_detail(activity, capacity_unit(tl))),
        );
        let in_service = copies::capacity_or_copy_links(tl, &mut chain, activity);
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
        chain.at(
            ACTIVITY,
            a.start,
            Some(activity_detail(a, capacity_unit(tl))),
        );
        let in_service = copies::capacity_or_copy_links(tl, &mut chain, a);
        let cause = match follow_up_of(tl, &episodes, dir, a.start) {
            Some((alarm, since)) => format!(
                "follow-up {}: {alarm} still in ALARM since the load change at {} s",
                activity_counts(a, capacity_unit(tl)),
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

mod capacity;
mod chain;
mod changes;
mod control_plane;
pub mod copies;
mod finish;
mod model;
mod observed;
#[cfg(test)]
mod tests;
mod time_went;

pub(crate) use time_went::duration_words;
mod worst;
