//! The observe-only parts of the reports (`scaletrace observe`: traffic
//! sent by something else, nothing measured by scaletrace itself): the
//! observed-load table shown instead of a request table of zeros, the
//! control-plane numbers the run measured along its lag chains, and each
//! episode's impact in observed requests rather than "0 requests sent".
//!
//! The load comes from [`crate::timeline::load::ObservedLoad`] (an imported
//! file, else CloudWatch), latency and errors from
//! [`crate::timeline::load::ObservedHealth`]; each row names its source.

use super::Report;
use super::table::Table;
use crate::gates::fmt;
use crate::timeline::lag::{
    ACTIVITY, ALARM, DESIRED, Episode, IN_SERVICE, READABLE, Stat, WITHIN_SLO,
};
use crate::timeline::load::ObservedHealth;

/// The observed load, latency, errors and instances of an observe-only
/// run, one row per source; `None` when the run saw none of them.
pub fn load_table(report: &Report) -> Option<Table> {
    let tl = &report.timeline;
    let mut t = Table::new(&["what", "source", "resolution", "mean", "peak", "total"]);
    if let Some(load) = &tl.load
        && !load.points.is_empty()
    {
        let unit = load.source.unit();
        let n = load.points.len() as f64;
        let mean = load.points.iter().map(|p| p.rate).sum::<f64>() / n;
        let peak = load.points.iter().map(|p| p.rate).fold(0.0, f64::max);
        let total = (unit == "/s").then(|| {
            load.points
                .iter()
                .map(|p| p.rate * (p.t - p.start))
                .sum::<f64>()
        });
        let resolution = resolution(load.resolution_s);
        t.row(vec![
            if unit == "/s" {
                "load (requests/s)".into()
            } else {
                "load (requests queued)".into()
            },
            load.source.label(),
            resolution,
            fmt(mean),
            fmt(peak),
            total
                .map(|v| format!("{} requests", fmt(v.round())))
                .unwrap_or_else(|| "—".into()),
        ]);
    }
    if let Some(h) = ObservedHealth::of(tl) {
        let resolution = resolution(h.resolution_s);
        let median = |v: Vec<f64>| Stat::of(v).median_s;
        for (what, values) in [
            (
                "latency p50 (ms)",
                h.points.iter().filter_map(|p| p.p50_ms).collect::<Vec<_>>(),
            ),
            (
                "latency p99 (ms)",
                h.points.iter().filter_map(|p| p.p99_ms).collect(),
            ),
        ] {
            if values.is_empty() {
                continue;
            }
            let peak = values.iter().copied().fold(0.0, f64::max);
            t.row(vec![
                what.into(),
                h.latency_source.clone(),
                resolution.clone(),
                format!("median {}", median(values).map(fmt).unwrap_or_default()),
                fmt(peak),
                "—".into(),
            ]);
        }
        let errors: Vec<f64> = h.points.iter().filter_map(|p| p.error_rate).collect();
        if !errors.is_empty() {
            let mean = errors.iter().sum::<f64>() / errors.len() as f64;
            let peak = errors.iter().copied().fold(0.0, f64::max);
            t.row(vec![
                "errors (%)".into(),
                h.errors_source.clone(),
                resolution,
                fmt(mean * 100.0),
                fmt(peak * 100.0),
                "—".into(),
            ]);
        }
    }
    if !tl.endpoint.is_empty() {
        let counts = tl.endpoint.iter().map(|e| e.current);
        let (min, max) = (counts.clone().min().unwrap_or(0), counts.max().unwrap_or(0));
        let last = tl.endpoint.last().map(|e| e.current).unwrap_or(0);
        t.row(vec![
            "instances in service".into(),
            "DescribeEndpoint CurrentInstanceCount".into(),
            "each poll".into(),
            format!("{min}–{max}"),
            max.to_string(),
            format!("{last} at the end"),
        ]);
    }
    (!t.rows.is_empty()).then_some(t)
}

fn resolution(seconds: f64) -> String {
    if seconds >= 60.0 {
        "one minute".into()
    } else {
        format!("{} s", fmt(seconds))
    }
}

/// What the run measured of the control plane along its lag chains: each
/// step's time over every episode that had it ("alarm evaluation (datapoint
/// readable → alarm ALARM): median 106 s, max 106 s (1 episode)").
pub fn control_plane_lines(report: &Report) -> Vec<String> {
    let steps = [
        (
            READABLE,
            "CloudWatch publishing of the breaching datapoint (period end → readable)",
        ),
        (ALARM, "alarm evaluation (datapoint readable → alarm ALARM)"),
        (
            ACTIVITY,
            "autoscaler reaction (alarm ALARM → activity starts)",
        ),
        (
            DESIRED,
            "desired count (activity starts → desired count changes)",
        ),
        (
            IN_SERVICE,
            "launch or removal (desired count changes → capacity in service)",
        ),
        (
            WITHIN_SLO,
            "recovery (capacity in service → back within SLO)",
        ),
    ];
    let mut out = Vec::new();
    for (link, what) in steps {
        let deltas: Vec<f64> = report
            .summary
            .lag
            .iter()
            .flat_map(|e| e.links.iter())
            .filter(|l| l.name == link)
            .filter_map(|l| l.delta_s)
            .collect();
        let s = Stat::of(deltas);
        if let (Some(m), Some(x)) = (s.median_s, s.max_s) {
            out.push(format!(
                "{what}: median {} s, max {} s ({} episode{})",
                fmt(m),
                fmt(x),
                s.count,
                if s.count == 1 { "" } else { "s" }
            ));
        }
    }
    out
}

/// An episode's impact line. An observe-only run sent nothing itself, so
/// instead of "0 requests sent" it counts the observed load over the
/// window (rate × time, per sample overlap) and gives the worst observed
/// p99 and error rate in it, naming their source.
pub fn impact_line(report: &Report, e: &Episode) -> String {
    let line = super::sections::impact_line(e);
    let tl = &report.timeline;
    let Some(load) = tl.load.as_ref().filter(|l| l.source.unit() == "/s") else {
        return line;
    };
    if !super::sections::observer_only(report) {
        return line;
    }
    let (from, to) = (e.impact.from_s, e.impact.to_s);
    let overlap = |start: f64, end: f64| (end.min(to) - start.max(from)).max(0.0);
    let requests: f64 = load
        .points
        .iter()
        .map(|p| p.rate * overlap(p.start, p.t))
        .sum();
    let sent = format!("impact: {} requests sent", e.impact.requests);
    let rest = line.strip_prefix(&sent).unwrap_or(&line);
    let mut out = format!(
        "impact: {} requests observed ({}){rest}",
        fmt(requests.round()),
        load.source.label()
    );
    if let Some(h) = ObservedHealth::of(tl) {
        let inside: Vec<_> = h
            .points
            .iter()
            .filter(|p| overlap(p.start, p.t) > 0.0)
            .collect();
        let worst = |f: &dyn Fn(&&crate::timeline::load::HealthPoint) -> Option<f64>| {
            inside.iter().filter_map(f).reduce(f64::max)
        };
        let mut parts = Vec::new();
        if let Some(p99) = worst(&|p| p.p99_ms) {
            parts.push(format!("p99 up to {} ms ({})", fmt(p99), h.latency_source));
        }
        if let Some(errors) = worst(&|p| p.error_rate) {
            parts.push(format!(
                "errors up to {}% ({})",
                fmt(errors * 100.0),
                h.errors_source
            ));
        }
        if !parts.is_empty() {
            out.push_str(": ");
            out.push_str(&parts.join(", "));
        }
    }
    out
}
