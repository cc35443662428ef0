//! Every exporter on fixed constructed journals (snapshots), the JSON
//! against its schema, HTML escaping, gates and `compare` through the
//! binary.

use std::path::Path;
use std::process::Command;

use scaletrace::fixture;
use scaletrace::journal::JournalData;
use scaletrace::report::{self, Report};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn with_gates(mut data: JournalData, gates: serde_json::Value) -> JournalData {
    data.info.profile["gates"] = gates;
    data
}

fn fixed() -> JournalData {
    with_gates(
        fixture::scale_out_and_in(),
        serde_json::json!({ "p99_ms": 3000.0, "scale_out_lag_s": 700.0, "scale_in_lag_s": 900.0, "max_instances": 4 }),
    )
}

fn render(data: JournalData, file: &str) -> String {
    let r = Report::build(data).unwrap();
    let e = report::exporters()
        .into_iter()
        .find(|e| e.file_name() == file)
        .unwrap();
    String::from_utf8(e.render(&r)).unwrap()
}

#[test]
fn snapshot_text() {
    insta::assert_snapshot!(render(fixed(), "summary.txt"));
}

#[test]
fn snapshot_text_missing_link() {
    insta::assert_snapshot!(render(fixture::short_spike(), "summary.txt"));
}

#[test]
fn snapshot_json() {
    insta::assert_snapshot!(render(fixed(), "summary.json"));
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!(render(fixed(), "report.md"));
}

#[test]
fn snapshot_junit() {
    insta::assert_snapshot!(render(fixed(), "junit.xml"));
}

#[test]
fn snapshot_html() {
    insta::assert_snapshot!(render(fixed(), "report.html"));
}

#[test]
fn summary_json_matches_the_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/summary.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for data in [fixed(), fixture::short_spike()] {
        let json: serde_json::Value = serde_json::from_str(&render(data, "summary.json")).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let mut broken = json.clone();
        broken["lag"][0]["links"][0]["delta"] = broken["lag"][0]["links"][0]["delta_s"].take();
        broken["lag"][0]["links"][0]
            .as_object_mut()
            .unwrap()
            .remove("delta_s");
        assert!(!validator.is_valid(&broken));
    }
}

#[test]
fn html_escapes_hostile_strings() {
    let hostile = "<script>alert(1)</script>\"&'";
    let mut data = fixed();
    data.info.profile["name"] = hostile.into();
    data.info.profile["payload"]["body"] = format!("{{\"x\": \"{hostile}\"}}").into();
    let html = render(data, "report.html");
    assert!(!html.contains("<script"), "raw script tag in the HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;"));
    // Nothing is fetched at view time.
    for needle in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(needle), "{needle} in the HTML");
    }
    let mut data = fixed();
    data.info.profile["name"] = hostile.into();
    let md = render(data, "report.md");
    assert!(!md.contains("<script"));
}

#[test]
fn report_md_links_chart_files_written_beside_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut data = fixed();
    // A hostile alarm name reaches the chart's band labels.
    for r in &mut data.records {
        if let scaletrace::journal::record::Record::AlarmConfig(c) = r {
            c.name = format!("{}<script>&\"", c.name.replace("AlarmHigh", "High"));
        }
        if let scaletrace::journal::record::Record::Alarm(a) = r {
            a.name = format!("{}<script>&\"", a.name.replace("AlarmHigh", "High"));
        }
    }
    let r = Report::build(data).unwrap();
    report::write_all(tmp.path(), &r).unwrap();
    let md = std::fs::read_to_string(tmp.path().join("report.md")).unwrap();
    let links: Vec<&str> = md
        .split("](")
        .skip(1)
        .map(|rest| rest.split(')').next().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            "charts/rate.svg",
            "charts/latency.svg",
            "charts/metric.svg",
            "charts/lag.svg"
        ],
        "{md}"
    );
    for link in links {
        let svg = std::fs::read_to_string(tmp.path().join(link)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{link}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("width"), Some("1000"), "{link}");
        // A fixed size (a file without one has no size of its own).
        let height: f64 = root.attribute("height").unwrap().parse().unwrap();
        assert!(height >= 100.0, "{link}");
        assert!(!svg.contains("<script"), "{link}");
    }
    let metric = std::fs::read_to_string(tmp.path().join("charts/metric.svg")).unwrap();
    assert!(metric.contains("&lt;script&gt;&amp;&quot;"), "{metric}");
}

fn write_run(dir: &Path, data: &JournalData) {
    fixture::write_run_dir(data, dir).unwrap();
}

#[test]
fn report_exits_0_when_gates_pass_and_1_naming_the_failed_gate() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass");
    write_run(
        &pass,
        &with_gates(
            fixture::scale_out_and_in(),
            serde_json::json!({ "scale_out_lag_s": 700.0, "max_instances": 4 }),
        ),
    );
    let out = bin().arg("report").arg(&pass).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "summary.json",
        "summary.txt",
        "report.html",
        "report.md",
        "junit.xml",
    ] {
        assert!(pass.join(f).exists(), "{f}");
    }

    let fail = tmp.path().join("fail");
    write_run(
        &fail,
        &with_gates(
            fixture::scale_out_and_in(),
            serde_json::json!({ "scale_out_lag_s": 300.0, "async_backlog_age_s": 60.0 }),
        ),
    );
    let out = bin().arg("report").arg(&fail).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gate failed: scale_out_lag_s = 605 > 300"),
        "{stderr}"
    );
    assert!(
        stderr.contains("async_backlog_age_s") && stderr.contains("no data"),
        "{stderr}"
    );
    // The reports were written before the verdict.
    let junit = std::fs::read_to_string(fail.join("junit.xml")).unwrap();
    assert!(junit.contains("failures=\"2\""), "{junit}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("scaling lag"), "{stdout}");
}

#[test]
fn compare_flags_regressions_only() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let same = tmp.path().join("same");
    let worse = tmp.path().join("worse");
    write_run(&base, &fixture::scale_out_and_in());
    write_run(&same, &fixture::scale_out_and_in());
    write_run(&worse, &fixture::short_spike());
    for d in [&base, &same, &worse] {
        assert!(bin().arg("report").arg(d).status().unwrap().success());
    }
    let out = bin()
        .arg("compare")
        .arg(&base)
        .arg(same.join("summary.json"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = bin()
        .args(["compare", "--scale-out-lag-increase-pct", "10"])
        .arg(&base)
        .arg(&worse)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("EXCEEDED"), "{stdout}");
    let out = bin()
        .arg("compare")
        .arg(&base)
        .arg(tmp.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn baseline_gate_reads_the_profile_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    write_run(&base, &fixture::short_spike());
    assert!(bin().arg("report").arg(&base).status().unwrap().success());
    let cur = tmp.path().join("cur");
    write_run(
        &cur,
        &with_gates(
            fixture::scale_out_and_in(),
            serde_json::json!({ "baseline": base, "p50_increase_pct": 10.0 }),
        ),
    );
    let out = bin().arg("report").arg(&cur).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("baseline.p50_increase_pct"), "{stderr}");
}
