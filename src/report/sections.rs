//! The report's sections as [`Table`]s and lines, shared by the text,
//! Markdown and HTML exporters so all three say the same thing.

use super::Report;
use super::table::Table;
use crate::gates::{GateResult, fmt};
use crate::timeline::EventKind;
use crate::timeline::lag::{Episode, Scaling, Stat};

/// `10:05:00.000` (the date is in the header): UTC time of a run offset.
pub fn clock_time(report: &Report, t: f64) -> String {
    crate::clock::utc_at(report.data.info.started_at, t)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// Phase changes, alarm transitions, scaling activities, not-scaled
/// reasons, endpoint status and counts, warnings.
pub fn timeline_table(report: &Report) -> Table {
    let mut t = Table::new(&["t (s)", "UTC", "what", "event"]);
    for e in &report.timeline.events {
        t.row(vec![
            format!("{:.1}", e.t),
            clock_time(report, e.t),
            e.kind.label().to_string(),
            e.text.clone(),
        ]);
    }
    t
}

pub fn episode_title(e: &Episode) -> String {
    let total = match e.total_s {
        Some(s) => format!("{} s to capacity in service", fmt(s)),
        None => format!(
            "incomplete: {}",
            e.missing().unwrap_or("capacity never in service")
        ),
    };
    format!("{}: {} — {}", e.direction.label(), e.cause, total)
}

pub fn lag_table(report: &Report, e: &Episode) -> Table {
    let mut t = Table::new(&["link", "UTC", "t (s)", "+s", "detail"]);
    for l in &e.links {
        match l.t_s {
            Some(ts) => t.row(vec![
                l.name.clone(),
                clock_time(report, ts),
                format!("{ts:.1}"),
                l.delta_s.map(|d| format!("+{d:.1}")).unwrap_or_default(),
                l.detail.clone().unwrap_or_default(),
            ]),
            None => t.row(vec![
                l.name.clone(),
                "—".into(),
                "—".into(),
                "".into(),
                format!(
                    "MISSING: {}",
                    l.missing.as_deref().unwrap_or("never happened")
                ),
            ]),
        }
    }
    t
}

pub fn impact_line(e: &Episode) -> String {
    let i = &e.impact;
    let state = match e.direction {
        crate::timeline::lag::Direction::Out => "under-provisioned",
        crate::timeline::lag::Direction::In => "over-provisioned",
    };
    let until = if i.until_in_service {
        "capacity in service"
    } else {
        "the end of the run"
    };
    format!(
        "impact: {} requests sent while {state} ({}–{} s, until {until}): p50 {} ms, p99 {} ms, errors {:.2}%",
        i.requests,
        fmt(i.from_s),
        fmt(i.to_s),
        fmt(i.p50_ms),
        fmt(i.p99_ms),
        i.error_rate * 100.0
    )
}

fn stat(s: &Stat, what: &str) -> String {
    match (s.median_s, s.max_s) {
        (Some(m), Some(x)) => format!(
            "median {} s, max {} s ({what}: {})",
            fmt(m),
            fmt(x),
            s.count
        ),
        _ => format!("no {what}"),
    }
}

pub fn scaling_lines(s: &Scaling) -> Vec<String> {
    vec![
        format!(
            "CloudWatch publishing delay (first seen − period end): {}",
            stat(&s.publishing_delay, "datapoints")
        ),
        format!(
            "instance launch (activity start → InService with the new count): {}",
            stat(&s.launch, "launches")
        ),
        format!(
            "most instances in service: {}",
            s.max_instances.map(|m| m.to_string()).unwrap_or("—".into())
        ),
    ]
}

pub fn gates_table(gates: &[GateResult]) -> Table {
    let mut t = Table::new(&["gate", "limit", "value", "verdict", "note"]);
    for g in gates {
        t.row(vec![
            g.name.clone(),
            fmt(g.threshold),
            g.value.map(fmt).unwrap_or_else(|| "no data".into()),
            if g.passed { "PASS" } else { "FAIL" }.into(),
            g.note.clone().unwrap_or_default(),
        ]);
    }
    t
}

/// Whether the timeline has anything beyond phase changes.
pub fn observed(report: &Report) -> bool {
    report
        .timeline
        .events
        .iter()
        .any(|e| e.kind != EventKind::Phase)
}

/// How long the run lasted, for the headers: "2280 s of load", or for an
/// observer-only run (`scaletrace observe`, the load sent by something
/// else) "observed 900 s, no load from scaletrace".
pub fn span_text(report: &Report) -> String {
    let s = &report.summary;
    if observer_only(report) {
        format!(
            "observed {} s, no load from scaletrace",
            fmt(report.timeline.end)
        )
    } else {
        format!("{} s of load", fmt(s.duration_s))
    }
}

/// A run of `scaletrace observe`: no load intervals at all.
pub fn observer_only(report: &Report) -> bool {
    report.summary.requests.sent == 0 && report.timeline.intervals.is_empty()
}
