//! The report's sections as [`Table`]s and lines, shared by the text,
//! Markdown and HTML exporters so all three say the same thing.

use super::Report;
use super::caps;
use super::table::Table;
use crate::gates::{GateResult, fmt};
use crate::journal::record::PhaseEvent;
use crate::timeline::EventKind;
use crate::timeline::lag::{Episode, Scaling, Stat};

/// `10:05:00.000` (the date is in the header): UTC time of a run offset.
pub fn clock_time(report: &Report, t: f64) -> String {
    crate::clock::utc_at(report.data.info.started_at, t)
        .format("%H:%M:%S%.3f")
        .to_string()
}

/// Phase changes, alarm transitions, scaling activities, not-scaled
/// reasons, endpoint status and counts, warnings; alarm names as `names`
/// shortens them (list [`AlarmNames::legend`] beside it).
pub fn timeline_table(report: &Report, names: &AlarmNames) -> Table {
    events_table(
        report,
        names,
        caps::listing(&report.timeline.events, |_| true),
    )
}

/// The rows of `listing`, then a row for each kind of event left out.
fn events_table(report: &Report, names: &AlarmNames, listing: caps::Listing) -> Table {
    let mut t = Table::new(&["t (s)", "UTC", "what", "event"]);
    for e in &listing.shown {
        t.row(vec![
            format!("{:.1}", e.t),
            clock_time(report, e.t),
            e.kind.label().to_string(),
            names.apply(&e.text),
        ]);
    }
    for (what, left_out) in [
        ("phase start", listing.phases_left_out),
        ("event", listing.others_left_out),
    ] {
        if let Some(l) = left_out {
            let label = if what == "event" { "" } else { "phase" };
            t.row(vec![
                String::new(),
                String::new(),
                label.into(),
                caps::left_out_text(what, l),
            ]);
        }
    }
    t
}

/// The terminal's shorter names for long alarm names: Application Auto
/// Scaling names target-tracking alarms
/// `TargetTracking-endpoint/<e>/variant/<v>-AlarmHigh-<uuid>`; the
/// terminal says `AlarmHigh` and lists the full names once. Names that
/// would collide (two target-tracking policies) stay whole.
pub struct AlarmNames {
    short: Vec<(String, String)>,
}

impl AlarmNames {
    pub fn of(report: &Report) -> AlarmNames {
        let mut short: Vec<(String, String)> = Vec::new();
        for c in &report.timeline.alarm_configs {
            if !c.name.starts_with("TargetTracking-") {
                continue;
            }
            for k in ["AlarmHigh", "AlarmLow"] {
                if c.name.contains(&format!("-{k}-")) {
                    short.push((c.name.clone(), k.to_string()));
                }
            }
        }
        let unique: Vec<(String, String)> = short
            .iter()
            .filter(|(_, s)| short.iter().filter(|(_, o)| o == s).count() == 1)
            .cloned()
            .collect();
        AlarmNames { short: unique }
    }

    /// `text` with every long alarm name replaced by its short one.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (full, short) in &self.short {
            out = out.replace(full, short);
        }
        out
    }

    /// `AlarmHigh = TargetTracking-…`, one line per shortened name.
    pub fn legend(&self) -> Vec<String> {
        self.short
            .iter()
            .map(|(full, short)| format!("{short} = {full}"))
            .collect()
    }
}

/// The terminal's timeline: [`timeline_table`] without phase starts that
/// keep the rate the load already had (a traffic file of one-minute phases
/// would list each minute), alarm names shortened.
pub fn compact_timeline_table(report: &Report, names: &AlarmNames) -> Table {
    let tl = &report.timeline;
    // Phase starts are in time order: a binary search finds whether an
    // event's time is one of them (a scan per event was quadratic, most
    // of a 100,000-phase report's time).
    let mut steady = Vec::new();
    let mut prev_rate: Option<f64> = None;
    for p in tl.phases.iter().filter(|p| p.event == PhaseEvent::Start) {
        if prev_rate.is_some_and(|r| (r - p.from_rate).abs() < 1e-9 && (r - p.to_rate).abs() < 1e-9)
        {
            steady.push(p.t);
        }
        prev_rate = Some(p.to_rate);
    }
    let starts = tl
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Phase)
        .count();
    steady.sort_by(f64::total_cmp);
    let is_steady = |t: f64| {
        let i = steady.partition_point(|s| *s < t - 1e-9);
        steady.get(i).is_some_and(|s| (s - t).abs() < 1e-9)
    };
    let hidden = tl
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Phase && is_steady(e.t))
        .count();
    let listing = caps::listing(&tl.events, |e| {
        !(e.kind == EventKind::Phase && is_steady(e.t))
    });
    let mut t = events_table(report, names, listing);
    if hidden > 0 {
        t.row(vec![
            String::new(),
            String::new(),
            "phase".into(),
            format!(
                "({hidden} phase start{} at an unchanged rate left out; {} lists all)",
                if hidden == 1 { "" } else { "s" },
                // report.html lists up to caps::PHASE_ROWS of them.
                if starts <= caps::PHASE_ROWS {
                    "report.html"
                } else {
                    "journal.jsonl"
                }
            ),
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
            None => t.bad_row(vec![
                l.name.clone(),
                "—".into(),
                "—".into(),
                "".into(),
                match &l.detail {
                    // What the link waited for (the alarm's condition).
                    Some(d) => format!(
                        "MISSING: {} ({d})",
                        l.missing.as_deref().unwrap_or("never happened")
                    ),
                    None => format!(
                        "MISSING: {}",
                        l.missing.as_deref().unwrap_or("never happened")
                    ),
                },
            ]),
        }
    }
    t
}

/// "where the time went: 3 one-minute datapoints had to breach (3 min) +
/// …", printed under each chain.
pub fn time_went_line(e: &Episode) -> Option<String> {
    e.where_time_went
        .as_ref()
        .map(|s| format!("where the time went: {s}"))
}

/// Every alarm the observer saw, with the policy that owns it and its
/// condition in the CloudWatch console's words: the rule that decides how
/// long scaling waits, which target tracking sets without showing it.
pub fn alarms_table(report: &Report) -> Table {
    let mut t = Table::new(&["alarm", "policy", "condition"]);
    for c in &report.timeline.alarm_configs {
        t.row(vec![
            c.name.clone(),
            c.policy.clone().unwrap_or_else(|| "—".into()),
            c.condition(),
        ]);
    }
    t
}

pub fn impact_line(e: &Episode) -> String {
    use crate::timeline::lag::{Direction, LOAD_CHANGE};
    let i = &e.impact;
    // Only a load change says capacity did not match load; an activity no
    // load change explains (a follow-up on stale datapoints, a schedule)
    // only says the endpoint was scaling.
    let from_load = e.links.first().is_some_and(|l| l.name == LOAD_CHANGE);
    let state = match (e.direction, from_load) {
        (Direction::Out, true) => "under-provisioned",
        (Direction::In, true) => "over-provisioned",
        (Direction::Out, false) => "scaling out",
        (Direction::In, false) => "scaling in",
    };
    let until = if i.until_in_service {
        "capacity in service"
    } else {
        "the end of the run"
    };
    // No latency when nothing was sent, rather than a misleading "0 ms".
    let suffered = match (i.requests, i.p50_ms, i.p99_ms) {
        (0, _, _) => String::new(),
        (_, Some(p50), Some(p99)) => format!(
            ": p50 {} ms, p99 {} ms, errors {:.2}%",
            fmt(p50),
            fmt(p99),
            i.error_rate * 100.0
        ),
        _ => ": none completed".to_string(),
    };
    // Streamed responses: what users waited for the first token.
    let suffered = match i.ttft_p99_ms {
        Some(t) if i.requests > 0 => format!("{suffered}, TTFT p99 {} ms", fmt(t)),
        _ => suffered,
    };
    format!(
        "impact: {} requests sent while {state} ({}–{} s, until {until}){suffered}",
        i.requests,
        fmt(i.from_s),
        fmt(i.to_s),
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
    let mut lines = vec![format!(
        "CloudWatch publishing delay (first seen − period end): {}",
        stat(&s.publishing_delay, "datapoints")
    )];
    lines.extend(
        s.publishing_early
            .as_ref()
            .map(|e| format!("  {}", e.describe())),
    );
    lines.extend([
        format!(
            "instance launch (activity start → InService with the new count): {}",
            stat(&s.launch, "launches")
        ),
        format!(
            "most instances in service: {}",
            s.max_instances.map(|m| m.to_string()).unwrap_or("—".into())
        ),
    ]);
    if let Some(rule) = &s.scale_in_rule {
        lines.push(format!(
            "simulated scale-in rule (an assumption; AWS publishes none): {rule}"
        ));
    }
    lines
}

pub fn gates_table(gates: &[GateResult]) -> Table {
    let mut t = Table::new(&["gate", "limit", "value", "verdict", "note"]);
    for g in gates {
        let cells = vec![
            g.name.clone(),
            fmt(g.threshold),
            g.value.map(fmt).unwrap_or_else(|| "no data".into()),
            if g.passed { "PASS" } else { "FAIL" }.into(),
            g.note.clone().unwrap_or_default(),
        ];
        if g.passed {
            t.row(cells);
        } else {
            t.bad_row(cells);
        }
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
    // A run journals its first phase before its first request, so a phase
    // line alone (a run killed in its first second) is a load run.
    report.summary.requests.sent == 0
        && report.timeline.intervals.is_empty()
        && report.timeline.phases.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{self, JournalBuilder};
    use crate::journal::record::{AlarmConfigRecord, Record};

    fn text_of(t: &Table) -> String {
        t.to_text("")
    }

    #[test]
    fn the_compact_timeline_leaves_out_phases_at_an_unchanged_rate() {
        let mut b = JournalBuilder::new(fixture::profile(
            "steps",
            &[("m1", 60.0, 5.0), ("m2", 60.0, 5.0), ("m3", 60.0, 30.0)],
        ));
        b.phase(0, "m1", 0.0, 60.0, 5.0, 5.0);
        b.phase(1, "m2", 60.0, 120.0, 5.0, 5.0);
        b.phase(2, "m3", 120.0, 180.0, 30.0, 30.0);
        b.endpoint(1.0, "InService", 1, 1);
        let report = Report::build(b.build()).unwrap();
        let names = AlarmNames::of(&report);
        let full = text_of(&timeline_table(&report, &names));
        let compact = text_of(&compact_timeline_table(&report, &names));
        assert!(full.contains("\"m2\""), "{full}");
        assert!(!compact.contains("\"m2\""), "{compact}");
        assert!(
            compact.contains("\"m1\"") && compact.contains("\"m3\""),
            "{compact}"
        );
        assert!(
            compact.contains("(1 phase start at an unchanged rate left out"),
            "{compact}"
        );
    }

    #[test]
    fn only_a_load_change_makes_an_impact_under_provisioned() {
        let mut data = fixture::short_spike();
        let mut b = JournalBuilder::new(data.info.profile.clone());
        b.activity("scheduled", 600.0, 700.0, 1, 2, "scheduled action");
        b.endpoint(601.0, "Updating", 1, 2);
        b.endpoint(700.0, "InService", 2, 2);
        data.records.extend(b.records);
        data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
        let report = Report::build(data).unwrap();
        let lines: Vec<String> = report.summary.lag.iter().map(impact_line).collect();
        assert!(lines[0].contains("while under-provisioned"), "{lines:?}");
        let scheduled = report
            .summary
            .lag
            .iter()
            .find(|e| e.cause.contains("scheduled"))
            .unwrap();
        assert!(
            impact_line(scheduled).contains("sent while scaling out (600–700 s"),
            "{}",
            impact_line(scheduled)
        );
    }

    #[test]
    fn alarm_names_shorten_only_when_unambiguous() {
        let mut data = fixture::scale_out_and_in();
        let report = Report::build(data.clone()).unwrap();
        let names = AlarmNames::of(&report);
        let high = "TargetTracking-endpoint/demo/variant/AllTraffic-AlarmHigh-7f3a";
        assert_eq!(
            names.apply(&format!("alarm {high} fired")),
            "alarm AlarmHigh fired"
        );
        assert_eq!(names.legend().len(), 2);
        // A second target-tracking policy: two AlarmHigh alarms stay whole.
        let other = report
            .timeline
            .alarm_configs
            .iter()
            .find(|c| c.name == high)
            .map(|c| AlarmConfigRecord {
                name: high.replace("7f3a", "9b1c"),
                ..c.clone()
            })
            .unwrap();
        data.records.push(Record::AlarmConfig(other));
        let names = AlarmNames::of(&Report::build(data).unwrap());
        assert_eq!(names.apply(high), high);
        assert_eq!(names.legend().len(), 1);
    }
}
