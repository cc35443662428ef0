//! `summary.txt` and the terminal summary: the same plain-text tables,
//! control characters shown as escapes ([`super::escape::terminal`]).

use std::fmt::Write;

use super::{Exporter, Report, Shared, sections};
use crate::format::fmt_ms;
use crate::outcome::Outcome;
use crate::summary::Percentiles;

pub struct TextSummary;

impl Exporter for TextSummary {
    fn file_name(&self) -> &'static str {
        "summary.txt"
    }

    fn export(&self, shared: &Shared) -> Vec<u8> {
        shared.terminal().as_bytes().to_vec()
    }
}

fn percentile_row(out: &mut String, label: &str, p: &Percentiles) {
    let _ = writeln!(
        out,
        "  {label:<12}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        fmt_ms(p.mean),
        fmt_ms(p.p50),
        fmt_ms(p.p90),
        fmt_ms(p.p99),
        fmt_ms(p.p999),
        fmt_ms(p.max)
    );
}

/// The load summary as plain text.
pub fn render_text(report: &Report) -> String {
    let s = &report.summary;
    let info = &report.data.info;
    let mut out = String::new();
    let clock = if info.clock == "virtual" {
        " (simulated time)"
    } else {
        ""
    };
    let _ = writeln!(out, "scaletrace {} — {}", info.tool_version, s.name);
    let _ = writeln!(out, "  started    {}{clock}", s.started_at);
    let mut status = String::new();
    if s.interrupted {
        status.push_str("  [interrupted]");
    }
    if s.incomplete {
        status.push_str("  [incomplete: the run did not finish writing]");
    }
    if sections::observer_only(report) {
        let _ = writeln!(
            out,
            "  observed   {:.1} s (observer only: no load from scaletrace){status}",
            report.timeline.end
        );
    } else {
        let _ = writeln!(out, "  duration   {:.1} s{status}", s.duration_s);
    }
    // An observe-only run sent nothing: the observed load instead of
    // request counts, rates and latencies of zero.
    if sections::observer_only(report)
        && let Some(t) = super::observed::load_table(report)
    {
        let _ = writeln!(out, "\nobserved load");
        out.push_str(&t.to_text("  "));
        scaling_sections(report, &mut out);
        return super::escape::terminal(&out).into_owned();
    }
    let r = &s.requests;
    let _ = writeln!(
        out,
        "  requests   sent {}   completed {}   late {}",
        r.sent, r.completed, r.late
    );
    if r.unfinished > 0 {
        let _ = writeln!(
            out,
            "  unfinished {} (sent, never completed before the run ended)",
            r.unfinished
        );
    }
    let _ = writeln!(
        out,
        "  rate       offered {:.2}/s   achieved {:.2}/s",
        s.rate.offered_per_s, s.rate.achieved_per_s
    );
    let outcomes: Vec<String> = Outcome::ALL
        .iter()
        .filter(|o| r.by_outcome.get(**o) > 0 || **o == Outcome::Ok)
        .map(|o| format!("{} {}", o.key(), r.by_outcome.get(*o)))
        .collect();
    let _ = writeln!(out, "  outcomes   {}", outcomes.join("   "));
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<12}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        "ms", "mean", "p50", "p90", "p99", "p99.9", "max"
    );
    percentile_row(&mut out, "latency", &s.latency_ms);
    percentile_row(&mut out, "service", &s.service_time_ms);
    if let Some(p) = &s.ttft_ms {
        percentile_row(&mut out, "ttft", p);
    }
    if let Some(p) = &s.inter_token_ms {
        percentile_row(&mut out, "inter-token", p);
    }
    let _ = writeln!(
        out,
        "  (latency runs from each request's intended send time; service time from its actual send)"
    );
    if let Some(lag) = &s.send_lag_ms {
        // In microseconds: a precise harness is late by tens of them.
        let us = |ms: f64| format!("{:.0} µs", ms * 1000.0);
        let _ = writeln!(
            out,
            "  send lag   p50 {}   p99 {}   max {}   (actual − intended send time; part of latency)",
            us(lag.p50),
            us(lag.p99),
            us(lag.max)
        );
    }
    if let Some(line) = super::stream::stream_line(s) {
        let _ = writeln!(out, "  {line}");
    }
    scaling_sections(report, &mut out);
    // Names come from the profile and the endpoint: no ESC or NUL of
    // theirs reaches the terminal (or summary.txt, the same text).
    super::escape::terminal(&out).into_owned()
}

/// Timeline, lag chains, control-plane measurements and gate verdicts.
fn scaling_sections(report: &Report, out: &mut String) {
    let s = &report.summary;
    let names = sections::AlarmNames::of(report);
    if sections::observed(report) {
        let _ = writeln!(out, "\ntimeline");
        out.push_str(&sections::compact_timeline_table(report, &names).to_text("  "));
        for l in names.legend() {
            let _ = writeln!(out, "  {l}");
        }
    }
    if !report.timeline.alarm_configs.is_empty() {
        let _ = writeln!(out, "\nalarms");
        let mut table = sections::alarms_table(report);
        for row in &mut table.rows {
            row[0] = names.apply(&row[0]);
        }
        out.push_str(&table.to_text("  "));
    }
    if !s.lag.is_empty() {
        let _ = writeln!(out, "\nscaling lag");
        let (shown, left_out) = super::caps::episodes(&s.lag);
        for e in shown {
            let _ = writeln!(out, "  {}", names.apply(&sections::episode_title(e)));
            let mut table = sections::lag_table(report, e);
            for row in &mut table.rows {
                for cell in row.iter_mut() {
                    *cell = names.apply(cell);
                }
            }
            out.push_str(&table.to_text("    "));
            if let Some(l) = sections::time_went_line(e) {
                let _ = writeln!(out, "    {}", names.apply(&l));
            }
            let _ = writeln!(out, "    {}", super::observed::impact_line(report, e));
        }
        if let Some(l) = left_out {
            let _ = writeln!(out, "  {l}");
        }
    }
    if let Some(sc) = &s.scaling {
        let _ = writeln!(out, "\ncontrol plane");
        for l in sections::scaling_lines(&sc.control_plane) {
            let _ = writeln!(out, "  {l}");
        }
        if sections::observer_only(report) {
            for l in super::observed::control_plane_lines(report) {
                let _ = writeln!(out, "  {l}");
            }
        }
    }
    if !s.gates.is_empty() {
        let _ = writeln!(out, "\ngates");
        out.push_str(&sections::gates_table(&s.gates).to_text("  "));
    }
}
