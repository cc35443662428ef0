//! The report of an observe-only run (`scaletrace observe`: the traffic
//! came from something else): the fixed scale-out-and-in journal with its
//! load lines taken out, CloudWatch latency percentiles and 5XX counts put
//! in, and the `[slo]` the run was judged by. The table shows the observed
//! load, latency, errors and instances (no table of zeros), the control
//! plane section the times the chains measured, and each chain ends "back
//! within SLO" at the first CloudWatch minute that met it. The HTML passes
//! the layout check `scripts/check-html.sh` runs (its browser half needs
//! Chromium, which the tests do not install).

use std::process::Command;

use scaletrace::fixture;
use scaletrace::journal::record::{MetricRecord, Record};
use scaletrace::report::svg::layout_problems;

/// `scale_out_and_in` as `scaletrace observe` would have journaled it:
/// Invocations 5 → 30 → 5 per second (from the fixture), ModelLatency p99
/// 1.8 s and 2 % 5XX errors in the minutes 300–960 (one instance for
/// 30/s until 905), 100 ms and no errors otherwise; OverheadLatency p99
/// 5 ms throughout.
fn observe_only_run(dir: &std::path::Path) {
    let mut data = fixture::scale_out_and_in();
    data.records
        .retain(|r| !matches!(r, Record::Interval(_) | Record::Phase(_)));
    data.info.clock = "wall".into();
    data.info.profile = serde_json::json!({
        "name": "observe-demo",
        "observe_only": { "endpoint": "demo", "variant": null, "region": "us-east-1", "interval": 10.0 },
        "slo": { "p99_ms": 300.0, "error_rate": 0.01 },
    });
    let metric = |name: &str, stat: &str, start: f64, value: f64| {
        Record::Metric(MetricRecord {
            t: start + 60.0 + fixture::delay((start / 60.0) as usize),
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            dimensions: [
                ("EndpointName".to_string(), "demo".to_string()),
                ("VariantName".to_string(), "AllTraffic".to_string()),
            ]
            .into(),
            stat: stat.into(),
            period_s: 60,
            period_start: start,
            value,
            revision: false,
        })
    };
    for k in 0..40 {
        let start = 60.0 * k as f64;
        let slow = (300.0..960.0).contains(&start);
        let p99_us = if slow { 1_800_000.0 } else { 100_000.0 };
        data.records
            .push(metric("ModelLatency", "p99", start, p99_us));
        data.records
            .push(metric("ModelLatency", "p50", start, p99_us / 2.0));
        data.records
            .push(metric("OverheadLatency", "p99", start, 5_000.0));
        data.records.push(metric(
            "Invocation5XXErrors",
            "Sum",
            start,
            if slow { 36.0 } else { 0.0 },
        ));
    }
    data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
    fixture::write_run_dir(&data, dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("report")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn links(summary: &serde_json::Value, episode: usize) -> Vec<(String, Option<f64>, Option<f64>)> {
    summary["lag"][episode]["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["t_s"].as_f64(),
                l["delta_s"].as_f64(),
            )
        })
        .collect()
}

#[test]
fn an_observe_only_chain_ends_when_cloudwatch_latency_met_the_slo() {
    let dir = tempfile::tempdir().unwrap();
    observe_only_run(dir.path());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let s = |v: &str| v.to_string();
    // Capacity in service at 905; the minute 900–960 was still slow and 2 %
    // failed; 960–1020 met p99 ≤ 300 ms and errors ≤ 1 %.
    assert_eq!(
        links(&summary, 0),
        vec![
            (s("load change"), Some(300.0), None),
            (s("datapoint past threshold"), Some(360.0), Some(60.0)),
            (s("datapoint readable"), Some(419.0), Some(59.0)),
            (s("alarm ALARM"), Some(540.0), Some(121.0)),
            (s("activity starts"), Some(545.0), Some(5.0)),
            (s("desired count changes"), Some(550.0), Some(5.0)),
            (s("capacity in service"), Some(905.0), Some(355.0)),
            (s("back within SLO"), Some(960.0), Some(55.0)),
        ],
        "{:#}",
        summary["lag"]
    );
    let last = &summary["lag"][0]["links"][7];
    assert_eq!(
        last["detail"],
        "p99 ≤ 300 ms, errors ≤ 1% (from CloudWatch ModelLatency + OverheadLatency, \
         Invocation4XX/5XXErrors ÷ Invocations, one-minute resolution)"
    );
    assert!(last.get("missing").is_none(), "{last}");
    // Where the time went no longer ends "never back within SLO".
    assert_eq!(
        summary["lag"][0]["where_time_went"],
        "3 one-minute datapoints had to breach (3 min) + CloudWatch publishing (59 s) + \
         alarm evaluation (1 s) + autoscaler reaction (5 s) + launch (6 min) = 10 min 5 s"
    );
    // Scale in: in service with one instance at 2290, latency already fine.
    let back = links(&summary, 1);
    assert_eq!(back[0], (s("load change"), Some(1200.0), None));
    assert_eq!(
        back.last().unwrap(),
        &(s("back within SLO"), Some(2290.0), Some(0.0)),
        "{back:?}"
    );
}

#[test]
fn the_observe_only_report_shows_observed_load_latency_instances_and_the_control_plane() {
    let dir = tempfile::tempdir().unwrap();
    observe_only_run(dir.path());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    // For the browser half of scripts/check-html.sh, by hand:
    // SCALETRACE_KEEP_HTML=/tmp/observe-only.html cargo test --test observe_report
    if let Ok(keep) = std::env::var("SCALETRACE_KEEP_HTML") {
        std::fs::write(keep, &html).unwrap();
    }
    let summary_table = html
        .split("<table class=\"summary\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("a summary table");
    // No request table of zeros: the observed load, latency, errors and
    // instances, each with its source.
    assert!(!summary_table.contains(">sent<"), "{summary_table}");
    for cell in [
        "load (requests/s)",
        "from CloudWatch Invocations",
        "latency p99 (ms)",
        "errors (%)",
        "instances in service",
        "DescribeEndpoint CurrentInstanceCount",
    ] {
        assert!(
            summary_table.contains(cell),
            "no {cell:?} in {summary_table}"
        );
    }
    // 5/s for 300 s, 30/s for 900 s, 5/s for 1200 s.
    assert!(summary_table.contains("34500 requests"), "{summary_table}");
    // Charts: the observed load with instances, CloudWatch latency.
    assert!(html.contains("Observed load (from CloudWatch Invocations), instances"));
    assert!(html.contains("current instances"));
    assert!(html.contains("Latency from CloudWatch (ModelLatency, OverheadLatency; one-minute)"));
    // The control plane as the two chains measured it.
    for line in [
        "alarm evaluation (datapoint readable → alarm ALARM): median 481 s, max 841 s (2 episodes)",
        "autoscaler reaction (alarm ALARM → activity starts): median 5 s, max 5 s (2 episodes)",
        "launch or removal (desired count changes → capacity in service): median 237.50 s, max 355 s (2 episodes)",
        "recovery (capacity in service → back within SLO): median 27.50 s, max 55 s (2 episodes)",
    ] {
        let section = html
            .split("<h2>Control plane</h2>")
            .nth(1)
            .unwrap_or_default();
        let section = section.split("</ul>").next().unwrap_or_default();
        assert!(html.contains(line), "no {line:?} in {section}");
    }
    // The impact in observed requests, not "0 requests sent": 30/s over
    // 300–905 s, and the worst CloudWatch minute in that window.
    assert!(
        html.contains(
            "impact: 18150 requests observed (from CloudWatch Invocations) while \
             under-provisioned (300–905 s, until capacity in service): p99 up to 1805 ms \
             (from CloudWatch ModelLatency + OverheadLatency), errors up to 2% (from \
             CloudWatch Invocation4XX/5XXErrors ÷ Invocations)"
        ),
        "{}",
        html.split("impact:")
            .nth(1)
            .unwrap_or_default()
            .split("</p>")
            .next()
            .unwrap_or_default()
    );
    // The check scripts/check-html.sh runs first (examples/check_layout.rs).
    let problems = layout_problems(&html);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The terminal summary says the same, without zero counts.
    let text = std::fs::read_to_string(dir.path().join("summary.txt")).unwrap();
    assert!(text.contains("observed load"), "{text}");
    assert!(!text.contains("requests   sent 0"), "{text}");
    assert!(
        text.contains("alarm evaluation (datapoint readable → alarm ALARM)"),
        "{text}"
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("from CloudWatch Invocations") && !md.contains("| sent |"),
        "{md}"
    );
}

#[test]
fn observe_slo_flags_outside_the_slo_rules_are_exit_2_naming_the_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["observe", "--endpoint", "ep", "--slo-error-rate", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--slo-error-rate") && stderr.contains("must be a fraction from 0 to 1"),
        "{stderr}"
    );
}
