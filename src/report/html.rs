//! `report.html`: one self-contained page (no scripts, fonts, stylesheets
//! or images from anywhere; readable without JavaScript) with hand-drawn
//! SVG charts, the lag chains, gates, timeline and the profile.
//!
//! Every string that came from a user or an endpoint (profile name,
//! payload, alarm names, reasons) goes through [`super::escape::html`]. The
//! page is hand-written rather than built with a template crate such as
//! maud: maud writes its own whitespace and attribute quoting, so
//! `report.html` (a snapshot test) would not stay byte-identical.

use std::fmt::Write;

use super::escape::html as escape;
use super::table::Table;
use super::{Exporter, Report, Shared, charts, sections};
use crate::gates::fmt;

pub struct HtmlReport;

impl Exporter for HtmlReport {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn export(&self, shared: &Shared) -> Vec<u8> {
        render_html(shared.report, shared.charts()).into_bytes()
    }
}

fn table_html(t: &Table, class: &str) -> String {
    let mut o = format!("<table class=\"{class}\"><thead><tr>");
    for h in &t.headers {
        let _ = write!(o, "<th>{}</th>", escape(h));
    }
    o.push_str("</tr></thead><tbody>");
    for (i, r) in t.rows.iter().enumerate() {
        let bad = t.bad.get(i).copied().unwrap_or(false);
        o.push_str(if bad { "<tr class=\"bad\">" } else { "<tr>" });
        for c in r {
            let _ = write!(o, "<td>{}</td>", escape(c));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>\n");
    o
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1100px;color:#222;line-height:1.4}\
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}tr.bad td{background:#fde8e8}.pass{color:#11772d;font-weight:bold}.fail{color:#b00020;font-weight:bold}\
.muted{color:#666;font-size:13px}pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}figure{margin:12px 0}";

/// `charts`: [`charts::charts`] of the report, drawn once per write.
pub fn render_html(report: &Report, charts: &[charts::NamedChart]) -> String {
    let s = &report.summary;
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<title>scaletrace — {}</title><style>{STYLE}</style></head><body>\n",
        escape(&s.name)
    );
    let _ = writeln!(o, "<h1>scaletrace — {}</h1>", escape(&s.name));
    let clock = if report.data.info.clock == "virtual" {
        " (simulated time)"
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "<p class=\"muted\">started {}{clock} · {} · scaletrace {}{}{}</p>",
        escape(&s.started_at),
        sections::span_text(report),
        escape(&report.data.info.tool_version),
        if s.interrupted { " · interrupted" } else { "" },
        if s.incomplete {
            " · incomplete (the run did not finish writing)"
        } else {
            ""
        }
    );
    if !s.gates.is_empty() {
        let failed = s.failed_gates().count();
        let _ = writeln!(
            o,
            "<p class=\"{}\">{}</p>",
            if failed == 0 { "pass" } else { "fail" },
            if failed == 0 {
                format!("All {} gates passed.", s.gates.len())
            } else {
                format!("{failed} of {} gates failed.", s.gates.len())
            }
        );
    }
    let mut t = Table::new(&[
        "sent",
        "completed",
        "errors",
        "late",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
    ]);
    t.row(vec![
        s.requests.sent.to_string(),
        s.requests.completed.to_string(),
        s.requests.by_outcome.errors().to_string(),
        s.requests.late.to_string(),
        fmt(s.rate.offered_per_s),
        fmt(s.rate.achieved_per_s),
        fmt(s.latency_ms.p50),
        fmt(s.latency_ms.p90),
        fmt(s.latency_ms.p99),
        fmt(s.latency_ms.p999),
        fmt(s.latency_ms.max),
    ]);
    // An observe-only run sent nothing: its table is the observed load.
    match sections::observer_only(report)
        .then(|| super::observed::load_table(report))
        .flatten()
    {
        Some(observed) => o.push_str(&table_html(&observed, "summary")),
        None => o.push_str(&table_html(&t, "summary")),
    }
    if let Some(st) = super::stream::stream_table(s) {
        o.push_str(&table_html(&st, "stream"));
    }
    if !s.gates.is_empty() {
        o.push_str("<h2>Gates</h2>\n");
        o.push_str(&table_html(&sections::gates_table(&s.gates), "gates"));
    }
    o.push_str("<h2>Charts</h2>\n");
    for c in charts {
        let _ = writeln!(o, "<figure>{}</figure>", c.inline_svg);
    }
    if !report.timeline.alarm_configs.is_empty() {
        o.push_str("<h2>Alarms</h2>\n");
        o.push_str(&table_html(&sections::alarms_table(report), "alarms"));
    }
    if !s.lag.is_empty() {
        let names = sections::AlarmNames::of(report);
        o.push_str("<h2>Scaling lag</h2>\n");
        let (shown, left_out) = super::caps::episodes(&s.lag);
        for e in shown {
            // Short alarm names in the heading; the table has the full one.
            let title = names.apply(&sections::episode_title(e));
            let _ = writeln!(o, "<h3>{}</h3>", escape(&title));
            o.push_str(&table_html(&sections::lag_table(report, e), "lag"));
            if let Some(l) = sections::time_went_line(e) {
                let _ = writeln!(o, "<p>{}</p>", escape(&l));
            }
            let _ = writeln!(
                o,
                "<p>{}</p>",
                escape(&super::observed::impact_line(report, e))
            );
        }
        if let Some(l) = left_out {
            let _ = writeln!(o, "<p class=\"muted\">{}</p>", escape(&l));
        }
    }
    if let Some(sc) = &s.scaling {
        o.push_str("<h2>Control plane</h2>\n<ul>");
        for l in sections::scaling_lines(&sc.control_plane) {
            let _ = write!(o, "<li>{}</li>", escape(&l));
        }
        if sections::observer_only(report) {
            for l in super::observed::control_plane_lines(report) {
                let _ = write!(o, "<li>{}</li>", escape(&l));
            }
        }
        o.push_str("</ul>\n");
    }
    if sections::observed(report) {
        let names = sections::AlarmNames::of(report);
        o.push_str("<h2>Timeline</h2>\n");
        o.push_str(&table_html(
            &sections::timeline_table(report, &names),
            "timeline",
        ));
        let legend = names.legend();
        if !legend.is_empty() {
            o.push_str("<p class=\"muted\">");
            o.push_str(&escape(&legend.join(" · ")));
            o.push_str("</p>\n");
        }
    }
    o.push_str("<h2>Profile</h2>\n");
    // run.json has held header values redacted since they could be
    // secrets; one written before that is redacted here too.
    let mut profile = report.data.info.profile.clone();
    if let Some(headers) = profile
        .pointer_mut("/target/headers")
        .and_then(|h| h.as_object_mut())
    {
        for v in headers.values_mut() {
            *v = crate::profile::REDACTED.into();
        }
    }
    super::caps::profile_shown(&mut profile);
    let profile = serde_json::to_string_pretty(&profile).unwrap_or_default();
    let _ = writeln!(
        o,
        "<p class=\"muted\">as resolved in run.json · host {} · shard {}</p><pre>{}</pre>",
        escape(&report.data.info.host),
        escape(&report.data.info.shard),
        escape(&profile)
    );
    o.push_str("</body></html>\n");
    o
}
