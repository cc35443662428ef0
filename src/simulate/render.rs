//! The side-by-side comparison, as printed and as `simulate.md`: one row
//! per candidate, on the table layout the run reports use
//! ([`crate::report::table::Table`]). No paths and no wall-clock times, so
//! the same simulation prints the same text.

use std::fmt::Write;

use super::SimulateReport;
use super::scenario::{METRIC, num};
use crate::format::pct;
use crate::report::table::Table;

/// The comparison table.
pub fn table(report: &SimulateReport) -> Table {
    let mut t = Table::new(&[
        "TargetValue",
        "in cooldown",
        "out cooldown",
        "instance-min",
        "under-provisioned",
        "p99 scale-out",
        "p99",
        "errors",
        "out lag",
        "in lag",
        "max inst",
        "SLO",
    ]);
    for (i, r) in report.candidates.iter().enumerate() {
        let m = &r.metrics;
        t.row(vec![
            num(r.candidate.target_value),
            format!("{} s", num(r.candidate.scale_in_cooldown_s)),
            format!("{} s", num(r.candidate.scale_out_cooldown_s)),
            format!("{:.1}", m.instance_minutes),
            format!("{:.0} s", m.under_provisioned_s),
            m.scale_out_p99_ms
                .map(|p| format!("{p:.0} ms"))
                .unwrap_or_else(|| "—".into()),
            format!("{:.0} ms", m.p99_ms),
            format!("{} %", pct(m.error_rate)),
            m.scale_out_lag.cell(),
            m.scale_in_lag.cell(),
            m.max_instances.to_string(),
            match (&r.reason, report.recommended == Some(i)) {
                (None, true) => "meets (recommended)".into(),
                (None, false) => "meets".into(),
                (Some(why), _) => format!("misses: {why}"),
            },
        ]);
    }
    t
}

fn header(report: &SimulateReport) -> Vec<String> {
    let mut lines = vec![
        format!(
            "traffic: {}, {} min, peak {}/s",
            report.traffic,
            num(report.load_minutes),
            num(report.peak_rate)
        ),
        format!(
            "instance: {} worker slot{} × {} ms mean service time = {}/s each",
            report.worker_slots,
            if report.worker_slots == 1 { "" } else { "s" },
            num(report.service_time_ms),
            num(report.instance_rps)
        ),
        format!(
            "policy: {} (target tracking on {METRIC}), MinCapacity {}, MaxCapacity {}",
            report.policy, report.min_capacity, report.max_capacity
        ),
        format!("SLO: {}", report.slo.describe()),
    ];
    lines.extend(report.notes.iter().map(|n| format!("note: {n}")));
    lines
}

const LEGEND: &str = "instance-min: instances in service × minutes of load (cost). \
under-provisioned: seconds the offered rate exceeded instances in service × one instance's \
throughput. p99 scale-out: requests during scale-out episodes (load change → capacity in \
service). out/in lag: the longest load change → capacity in service.";

fn verdict(report: &SimulateReport) -> String {
    match report.recommended {
        Some(i) => {
            let r = &report.candidates[i];
            format!(
                "recommended: TargetValue {} (ScaleInCooldown {} s, ScaleOutCooldown {} s): the \
                 fewest instance-minutes ({:.1}) among the candidates that meet the SLO ({}).",
                num(r.candidate.target_value),
                num(r.candidate.scale_in_cooldown_s),
                num(r.candidate.scale_out_cooldown_s),
                r.metrics.instance_minutes,
                report.slo.describe()
            )
        }
        None => format!(
            "no candidate meets the SLO ({}): try lower target values (more headroom before \
             the scale-out alarm fires), a higher MinCapacity, or faster instances.",
            report.slo.describe()
        ),
    }
}

/// What `scaletrace simulate` prints.
pub fn text(report: &SimulateReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "simulate: {}", report.name);
    for l in header(report) {
        let _ = writeln!(out, "  {l}");
    }
    let _ = writeln!(out);
    out.push_str(&table(report).to_text("  "));
    let _ = writeln!(out);
    let _ = writeln!(out, "{LEGEND}");
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", verdict(report));
    out
}

/// `simulate.md`.
pub fn markdown(report: &SimulateReport) -> String {
    let esc = crate::report::table::md_escape;
    let mut out = String::new();
    let _ = writeln!(out, "# simulate: {}\n", esc(&report.name));
    for l in header(report) {
        let _ = writeln!(out, "- {}", esc(&l));
    }
    let _ = writeln!(out);
    out.push_str(&table(report).to_markdown());
    let _ = writeln!(out, "\n{LEGEND}\n");
    let _ = writeln!(out, "**{}**", esc(&verdict(report)));
    out
}
