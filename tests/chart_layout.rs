//! No two text elements of a chart overlap and none leaves its chart, in
//! the reports of the async scale-from-zero and step-scaling profiles (run
//! on the simulated endpoint) and of an observe-only journal, by the text
//! extents of [`scaletrace::report::svg::layout_problems`].

use std::process::Command;

use scaletrace::fixture;
use scaletrace::journal::record::Record;
use scaletrace::report::svg::layout_problems;

fn run_profile(profile: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["run", profile, "--run-dir"])
        .arg(dir.path())
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for f in std::fs::read_dir(dir.path().join("charts")).unwrap() {
        let f = f.unwrap().path();
        let problems = layout_problems(&std::fs::read_to_string(&f).unwrap());
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            f.display(),
            problems.join("\n")
        );
    }
    html
}

fn assert_clean(html: &str) {
    assert!(html.contains("<svg "), "no charts");
    let problems = layout_problems(html);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn async_scale_from_zero_charts_have_no_overlapping_text() {
    let html = run_profile("profiles/async-scale-from-zero.toml");
    assert!(html.contains("Async backlog"));
    assert_clean(&html);
    // Every chart's legend swatches differ in colour (the metric line and
    // the scale-in alarm's band once shared a blue).
    for svg in html.split("<svg ").skip(1) {
        let fills: Vec<&str> = svg
            .split("width=\"12\" height=\"8\" fill=\"")
            .skip(1)
            .map(|p| p.split('"').next().unwrap())
            .collect();
        let mut distinct = fills.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), fills.len(), "{fills:?}");
    }
    // The latency of a queue measured in minutes reads in seconds.
    let latency = html
        .split("<svg ")
        .find(|s| s.contains("Latency per interval"))
        .unwrap();
    assert!(latency.contains(">latency, s<"));
}

#[test]
fn step_scaling_charts_have_no_overlapping_text() {
    assert_clean(&run_profile("profiles/step-scaling.toml"));
}

#[test]
fn observe_only_charts_have_no_overlapping_text() {
    let mut data = fixture::scale_out_and_in();
    data.records
        .retain(|r| !matches!(r, Record::Interval(_) | Record::Phase(_)));
    data.info.profile = serde_json::json!({
        "name": "observe-demo",
        "observe_only": { "endpoint": "demo", "variant": null, "region": "us-east-1", "interval": 10.0 }
    });
    let dir = tempfile::tempdir().unwrap();
    fixture::write_run_dir(&data, dir.path()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["report"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_clean(&std::fs::read_to_string(dir.path().join("report.html")).unwrap());
}

/// The checker itself finds the fault this test guards against: a title
/// and a legend on one line.
#[test]
fn the_checker_sees_a_title_over_a_legend() {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1000 250\" font-size=\"11\"><text x=\"64\" y=\"16\" font-size=\"13\" font-weight=\"bold\">Async backlog</text><text x=\"100.0\" y=\"16\">ApproximateBacklogSize</text></svg>";
    let p = layout_problems(svg);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("\"Async backlog\"") && p[0].contains("overlaps"));
}
