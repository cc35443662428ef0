//! Building a chain: links with their deltas, and the words each link
//! uses (the alarm's condition, an activity's counts, the comparison's
//! glyphs, "alarm never fired: 2 of 3 datapoints breached").

use super::{Direction, Link, round3};
use crate::journal::record::{ActivityRecord, AlarmConfigRecord};
use crate::timeline::{Datapoint, Timeline};

pub(super) fn breaches(c: &AlarmConfigRecord, v: f64) -> bool {
    c.comparison.breaches(v, c.threshold)
}

pub(super) fn direction_of_alarm(c: &AlarmConfigRecord) -> Option<Direction> {
    c.comparison
        .is_upper()
        .map(|up| if up { Direction::Out } else { Direction::In })
}

pub(in crate::timeline) fn direction_of_activity(a: &ActivityRecord) -> Option<Direction> {
    match (a.from, a.to) {
        (Some(f), Some(t)) if t > f => Some(Direction::Out),
        (Some(f), Some(t)) if t < f => Some(Direction::In),
        _ => None,
    }
}

/// The lag table's glyphs (`≥`/`≤` where the console writes `>=`/`<=`).
pub(super) fn cmp_symbol(c: &AlarmConfigRecord) -> &str {
    match c.comparison.symbol() {
        ">=" => "≥",
        "<=" => "≤",
        s => s,
    }
}

/// A chain being built: each link's delta is from the one before.
pub(super) struct Chain {
    pub(super) started_at: chrono::DateTime<chrono::Utc>,
    pub(super) links: Vec<Link>,
    pub(super) last: Option<f64>,
}

impl Chain {
    pub(super) fn at(&mut self, name: &str, t: f64, detail: Option<String>) {
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
            period_start_s: None,
        });
        self.last = Some(t);
    }

    pub(super) fn missing(&mut self, name: &str, why: String) {
        self.missing_with(name, why, None);
    }

    /// A missing link that still says what it waited for (the alarm's
    /// condition, when the alarm never fired).
    pub(super) fn missing_with(&mut self, name: &str, why: String, detail: Option<String>) {
        self.links.push(Link {
            name: name.into(),
            at: None,
            t_s: None,
            delta_s: None,
            missing: Some(why),
            detail,
            period_start_s: None,
        });
    }
}

/// What an activity moves: an inference component's activities move its
/// copies (the timeline saw copy counts), a variant's its instances.
pub(super) fn capacity_unit(tl: &Timeline) -> &'static str {
    if tl.copies.is_empty() {
        "instances"
    } else {
        "copies"
    }
}

/// "3 → 4 instances" (or copies), or "scaling" when the counts are unknown.
pub(super) fn activity_counts(a: &ActivityRecord, unit: &str) -> String {
    match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{f} → {t} {unit}"),
        _ => "scaling".into(),
    }
}

pub(super) fn activity_detail(a: &ActivityRecord, unit: &str) -> String {
    match (a.from, a.to) {
        (Some(f), Some(t)) => format!("{} → {} {unit} ({})", f, t, a.status),
        _ => a.description.clone(),
    }
}

/// The alarm link's detail: its name and its condition in the console's
/// words, so the chain says what the alarm waited for.
pub(super) fn alarm_words(c: &AlarmConfigRecord) -> String {
    format!("{}: {}", c.name, c.condition())
}

/// The scale-out (rising) or scale-in (falling) alarm to follow: the one
/// the episode's scaling activity names in its cause ("monitor alarm X in
/// state ALARM triggered policy Y"), so an activity a step policy started is
/// credited to its alarm and not to target tracking's; else one owned by a
/// policy, then any.
pub(super) fn alarm_for<'a>(
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
pub(super) fn never_fired(
    c: &AlarmConfigRecord,
    in_window: &[&Datapoint],
    t_next: f64,
    end: f64,
) -> String {
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
