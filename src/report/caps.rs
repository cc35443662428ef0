//! How much of a long run the reports list, so a report's size does not
//! grow with the journal: the timeline tables list at most
//! [`PHASE_ROWS`] phase starts and [`EVENT_ROWS`] rows in all, and the
//! profile section at most [`PROFILE_PHASES`] phases, the scaling-lag
//! sections and the waterfall chart at most [`EPISODES`] episodes, each
//! with a line
//! saying how many more there were and which file lists them all
//! (`journal.jsonl`, `run.json`, `summary.json`). The charts have their own bound
//! ([`super::charts::POINT_BUDGET`]).
//!
//! A day of one-second phases (or a traffic file's minutes over a month)
//! made a report.html of 34 MB before (issue #13, item 9): 100,000 phase
//! rows and the same phases again in the profile.

use crate::timeline::lag::Episode;
use crate::timeline::{Event, EventKind};

/// Phase starts a timeline table lists; the later ones are counted in one
/// row. The scaling story (alarms, activities, endpoint counts) is listed
/// whole, up to [`EVENT_ROWS`].
pub const PHASE_ROWS: usize = 200;

/// Rows a timeline table lists in all.
pub const EVENT_ROWS: usize = 1000;

/// Phases the profile section of report.html shows.
pub const PROFILE_PHASES: usize = 200;

/// Scaling episodes the lag sections (and the waterfall chart) show; a
/// sine of 100,000 ramp phases is as many load changes. `summary.json`
/// keeps every episode.
pub const EPISODES: usize = 50;

/// The episodes a report shows, and the line for those left out.
pub fn episodes(lag: &[Episode]) -> (&[Episode], Option<String>) {
    if lag.len() <= EPISODES {
        return (lag, None);
    }
    let more = lag.len() - EPISODES;
    let t0 = |e: &Episode| e.links.first().and_then(|l| l.t_s);
    let span = match (t0(&lag[EPISODES]), t0(&lag[lag.len() - 1])) {
        (Some(a), Some(b)) => format!(", from t {a:.1} s to {b:.1} s"),
        _ => String::new(),
    };
    (
        &lag[..EPISODES],
        Some(format!(
            "({more} more scaling episode{}{span} left out; summary.json lists all)",
            if more == 1 { "" } else { "s" }
        )),
    )
}

/// The events a timeline table lists, in time order, and what was left
/// out.
pub struct Listing<'a> {
    pub shown: Vec<&'a Event>,
    /// Phase starts left out past [`PHASE_ROWS`]: how many, first and last t.
    pub phases_left_out: Option<(usize, f64, f64)>,
    /// Other events left out past [`EVENT_ROWS`]: how many, first and last t.
    pub others_left_out: Option<(usize, f64, f64)>,
}

/// `events` (in time order) as a table lists them: those `keep` accepts,
/// the first [`PHASE_ROWS`] phase starts and at most [`EVENT_ROWS`] in all.
pub fn listing<'a>(events: &'a [Event], keep: impl Fn(&Event) -> bool) -> Listing<'a> {
    let mut shown = Vec::new();
    let mut phases = 0usize;
    let mut phases_left_out: Option<(usize, f64, f64)> = None;
    let mut others_left_out: Option<(usize, f64, f64)> = None;
    let count = |slot: &mut Option<(usize, f64, f64)>, t: f64| {
        let s = slot.get_or_insert((0, t, t));
        s.0 += 1;
        s.2 = t;
    };
    for e in events.iter().filter(|e| keep(e)) {
        if e.kind == EventKind::Phase {
            phases += 1;
            if phases > PHASE_ROWS {
                count(&mut phases_left_out, e.t);
                continue;
            }
        }
        if shown.len() >= EVENT_ROWS {
            count(&mut others_left_out, e.t);
            continue;
        }
        shown.push(e);
    }
    Listing {
        shown,
        phases_left_out,
        others_left_out,
    }
}

/// `(99800 more phase starts, t 172.8–86399.1 s, left out; journal.jsonl lists all)`.
pub fn left_out_text(what: &str, (n, from, to): (usize, f64, f64)) -> String {
    format!(
        "({n} more {what}{}, t {from:.1}–{to:.1} s, left out; journal.jsonl lists all)",
        if n == 1 { "" } else { "s" }
    )
}

/// The resolved profile as the profile section shows it: `load.phases`
/// past [`PROFILE_PHASES`] replaced by one line saying how many more
/// there are.
pub fn profile_shown(profile: &mut serde_json::Value) {
    if let Some(phases) = profile
        .pointer_mut("/load/phases")
        .and_then(|p| p.as_array_mut())
        && phases.len() > PROFILE_PHASES
    {
        let more = phases.len() - PROFILE_PHASES;
        phases.truncate(PROFILE_PHASES);
        phases.push(serde_json::Value::String(format!(
            "… {more} more phase{}; run.json lists all",
            if more == 1 { "" } else { "s" }
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(t: f64, kind: EventKind) -> Event {
        Event {
            t,
            kind,
            text: format!("{t}"),
        }
    }

    #[test]
    fn phase_starts_past_the_cap_are_counted_and_the_scaling_story_kept() {
        let mut events: Vec<Event> = (0..1000)
            .map(|i| event(i as f64, EventKind::Phase))
            .collect();
        events.push(event(999.5, EventKind::Alarm));
        events.sort_by(|a, b| a.t.total_cmp(&b.t));
        let l = listing(&events, |_| true);
        assert_eq!(l.shown.len(), PHASE_ROWS + 1);
        assert_eq!(l.shown.last().unwrap().kind, EventKind::Alarm);
        assert_eq!(l.phases_left_out, Some((1000 - PHASE_ROWS, 200.0, 999.0)));
        assert!(l.others_left_out.is_none());
        assert_eq!(
            left_out_text("phase start", l.phases_left_out.unwrap()),
            "(800 more phase starts, t 200.0–999.0 s, left out; journal.jsonl lists all)"
        );
    }

    #[test]
    fn rows_past_the_cap_are_counted() {
        let events: Vec<Event> = (0..EVENT_ROWS + 5)
            .map(|i| event(i as f64, EventKind::Endpoint))
            .collect();
        let l = listing(&events, |_| true);
        assert_eq!(l.shown.len(), EVENT_ROWS);
        assert_eq!(
            l.others_left_out,
            Some((5, EVENT_ROWS as f64, (EVENT_ROWS + 4) as f64))
        );
    }

    #[test]
    fn the_profile_shows_its_first_phases_and_counts_the_rest() {
        let phases: Vec<_> = (0..PROFILE_PHASES + 3)
            .map(|i| serde_json::json!({ "name": format!("p{i}") }))
            .collect();
        let mut p = serde_json::json!({ "load": { "phases": phases } });
        profile_shown(&mut p);
        let shown = p["load"]["phases"].as_array().unwrap();
        assert_eq!(shown.len(), PROFILE_PHASES + 1);
        assert_eq!(shown[PROFILE_PHASES], "… 3 more phases; run.json lists all");
        let mut small = serde_json::json!({ "load": { "phases": [{ "name": "a" }] } });
        let before = small.clone();
        profile_shown(&mut small);
        assert_eq!(small, before);
    }
}
