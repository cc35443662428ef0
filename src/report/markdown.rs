//! `report.md`: the summary for GitHub job summaries and pull-request
//! comments (`cat report.md >> "$GITHUB_STEP_SUMMARY"`): tables in the same
//! layout as the terminal, and the charts as SVG files in `charts/` beside
//! it, linked by relative path (they show wherever the directory travels
//! whole: an artifact, a committed report, a local viewer). Every user
//! string escaped.

use std::fmt::Write;

use super::charts::NamedChart;
use super::escape::markdown as md_escape;
use super::table::Table;
use super::{Exporter, Report, Shared, sections};
use crate::gates::fmt;

pub struct MarkdownReport;

impl Exporter for MarkdownReport {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn export(&self, shared: &Shared) -> Vec<u8> {
        render_markdown(shared.report, shared.charts()).into_bytes()
    }

    fn companions(&self, shared: &Shared) -> Vec<(String, Vec<u8>)> {
        shared
            .charts()
            .iter()
            .map(|c| (c.path(), c.file_svg.clone().into_bytes()))
            .collect()
    }
}

/// `![title](charts/rate.svg)`, the title safe as alt text.
fn image(c: &NamedChart) -> String {
    let alt: String = md_escape(&c.title)
        .chars()
        .map(|ch| if matches!(ch, '[' | ']') { ' ' } else { ch })
        .collect();
    format!("![{alt}]({})", c.path())
}

/// `charts`: [`super::charts::charts`] of the report, drawn once per write.
pub fn render_markdown(report: &Report, charts: &[NamedChart]) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let failed = s.failed_gates().count();
    let verdict = match (s.gates.len(), failed) {
        (0, _) => String::new(),
        (n, 0) => format!(" — ✅ all {n} gates passed"),
        (n, f) => format!(" — ❌ {f} of {n} gates failed"),
    };
    let _ = writeln!(out, "## scaletrace: {}{verdict}\n", md_escape(&s.name));
    let mut flags = String::new();
    if s.interrupted {
        flags.push_str(" · interrupted");
    }
    if s.incomplete {
        flags.push_str(" · incomplete");
    }
    let _ = writeln!(
        out,
        "Started {} · {}{flags}\n",
        s.started_at,
        sections::span_text(report)
    );
    let mut t = Table::new(&[
        "sent",
        "completed",
        "errors",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
    ]);
    t.row(vec![
        s.requests.sent.to_string(),
        s.requests.completed.to_string(),
        s.requests.by_outcome.errors().to_string(),
        fmt(s.rate.offered_per_s),
        fmt(s.rate.achieved_per_s),
        fmt(s.latency_ms.p50),
        fmt(s.latency_ms.p90),
        fmt(s.latency_ms.p99),
        fmt(s.latency_ms.max),
    ]);
    // An observe-only run sent nothing: its table is the observed load.
    match sections::observer_only(report)
        .then(|| super::observed::load_table(report))
        .flatten()
    {
        Some(observed) => out.push_str(&observed.to_markdown()),
        None => out.push_str(&t.to_markdown()),
    }
    if let Some(st) = super::stream::stream_table(s) {
        out.push('\n');
        out.push_str(&st.to_markdown());
    }
    if !s.gates.is_empty() {
        let _ = writeln!(out, "\n### Gates\n");
        out.push_str(&sections::gates_table(&s.gates).to_markdown());
    }
    let _ = writeln!(out, "\n### Charts\n");
    for c in charts {
        let _ = writeln!(out, "{}\n", image(c));
    }
    if !report.timeline.alarm_configs.is_empty() {
        let _ = writeln!(out, "### Alarms\n");
        out.push_str(&sections::alarms_table(report).to_markdown());
        out.push('\n');
    }
    if !s.lag.is_empty() {
        let _ = writeln!(out, "### Scaling lag\n");
        // Short alarm names in the headings; the tables have the full ones.
        let names = sections::AlarmNames::of(report);
        let (shown, left_out) = super::caps::episodes(&s.lag);
        for e in shown {
            let title = names.apply(&sections::episode_title(e));
            let _ = writeln!(out, "**{}**\n", md_escape(&title));
            out.push_str(&sections::lag_table(report, e).to_markdown());
            if let Some(l) = sections::time_went_line(e) {
                let _ = writeln!(out, "\n{}", md_escape(&l));
            }
            let _ = writeln!(
                out,
                "\n{}\n",
                md_escape(&super::observed::impact_line(report, e))
            );
        }
        if let Some(l) = left_out {
            let _ = writeln!(out, "{}\n", md_escape(&l));
        }
    }
    if let Some(sc) = &s.scaling {
        let _ = writeln!(out, "### Control plane\n");
        for l in sections::scaling_lines(&sc.control_plane) {
            let _ = writeln!(out, "- {}", md_escape(&l));
        }
        if sections::observer_only(report) {
            for l in super::observed::control_plane_lines(report) {
                let _ = writeln!(out, "- {}", md_escape(&l));
            }
        }
    }
    if sections::observed(report) {
        let names = sections::AlarmNames::of(report);
        let legend: String = names
            .legend()
            .iter()
            .map(|l| format!("\n{}\n", md_escape(l)))
            .collect();
        let _ = writeln!(
            out,
            "\n<details><summary>Timeline</summary>\n\n{}{legend}\n</details>",
            sections::timeline_table(report, &names).to_markdown()
        );
    }
    let _ = writeln!(
        out,
        "\n<sub>Charts: SVG files in charts/ beside this file; report.html has them inline. Latency runs from each request's intended send time.</sub>"
    );
    out
}
