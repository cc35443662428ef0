//! Reports stay bounded however long the run (issue #13, item 9), shown
//! structurally rather than timed: a journal of 100,000 phases and more
//! one-second intervals than a chart draws gives charts of at most
//! `POINT_BUDGET` points a series, timeline tables of at most the capped
//! rows, a profile section of at most `PROFILE_PHASES` phases, lag
//! sections of at most `EPISODES` episodes, and a report.html of a size
//! that does not depend on the number of phases.

use scaletrace::fixture::{self, JournalBuilder};
use scaletrace::journal::JournalData;
use scaletrace::journal::record::Record;
use scaletrace::report::{self, Report, caps, charts};

const PHASES: usize = 100_000;
/// 2.5 times the chart budget: enough that every series is down-sampled,
/// few enough that a debug build analyses them in seconds.
const INTERVALS: usize = 5_000;

/// `PHASES` phases over `INTERVALS` seconds, each at the rate `rate(i)`,
/// one to three requests a second sent, one completing in 20–40 ms, and the profile listing
/// every phase (as run.json does).
fn long_journal(rate: impl Fn(usize) -> f64) -> JournalData {
    let span = INTERVALS as f64;
    let len = span / PHASES as f64;
    let mut profile = fixture::profile("long", &[]);
    profile["load"]["phases"] = (0..PHASES)
        .map(|i| serde_json::json!({ "name": format!("p{i}"), "duration": len, "from_rate": rate(i), "to_rate": rate(i) }))
        .collect();
    let mut b = JournalBuilder::new(profile);
    b.target_tracking(0.0, 1, 4);
    for i in 0..PHASES {
        let r = rate(i);
        b.phase(
            i,
            &format!("p{i}"),
            i as f64 * len,
            (i + 1) as f64 * len,
            r,
            r,
        );
    }
    b.interval(0.0, 1.0, 1, 0, 20.0, 40.0);
    let mut data = b.build();
    let Some(Record::Interval(first)) = data
        .records
        .iter()
        .find(|r| matches!(r, Record::Interval(_)))
        .cloned()
    else {
        unreachable!("the builder wrote one interval")
    };
    for s in 1..INTERVALS {
        let mut i = first.clone();
        i.start = s as f64;
        i.t = s as f64 + 1.0;
        // Offered 1–3 a second, so each chart bucket has a low and a high.
        i.sent = 1 + (s as u64 % 3);
        data.records.push(Record::Interval(i));
    }
    data.records.sort_by(|a, b| a.t().total_cmp(&b.t()));
    data
}

fn html(r: &Report) -> String {
    let e = report::exporters()
        .into_iter()
        .find(|e| e.file_name() == "report.html")
        .unwrap();
    String::from_utf8(e.render(r)).unwrap()
}

/// Points of each line series in an SVG chart: the `M`/`L` commands of
/// each `<path d="…">` with a stroke (the drawn series).
fn series_points(svg: &str) -> Vec<usize> {
    svg.split("<path d=\"")
        .skip(1)
        .map(|p| {
            let d = &p[..p.find('"').unwrap()];
            d.matches(['M', 'L']).count()
        })
        .collect()
}

#[test]
fn a_hundred_thousand_phases_give_a_bounded_report() {
    // The rate stays put from phase to phase but for one step up at the
    // middle: one scaling episode, 99,998 phase starts at an unchanged rate.
    let r = Report::build(long_journal(|i| if i < PHASES / 2 { 5.0 } else { 50.0 })).unwrap();
    assert_eq!(r.timeline.intervals.len(), INTERVALS);

    for c in charts::charts(&r) {
        let points = series_points(&c.inline_svg);
        assert!(
            points.iter().all(|n| *n <= charts::POINT_BUDGET),
            "{}: {points:?} points a series, budget {}",
            c.stem,
            charts::POINT_BUDGET
        );
    }
    let rate = charts::charts(&r).into_iter().next().unwrap();
    assert!(
        series_points(&rate.inline_svg)
            .iter()
            .any(|n| *n > charts::POINT_BUDGET / 2),
        "the rate chart is down-sampled, not empty"
    );

    let page = html(&r);
    // The timeline table: PHASE_ROWS phase starts and the row counting
    // the rest; the profile: PROFILE_PHASES phases and the line counting
    // the rest.
    assert!(
        page.contains(&format!(
            "({} more phase starts, t ",
            PHASES - caps::PHASE_ROWS
        )),
        "{}",
        &page[page.find("<h2>Timeline").unwrap_or(0)..][..2000]
    );
    assert!(page.contains(&format!(
        "… {} more phases; run.json lists all",
        PHASES - caps::PROFILE_PHASES
    )));
    assert!(
        page.matches("phase &quot;p").count() <= caps::PHASE_ROWS,
        "timeline rows naming a phase"
    );
    // 100,000 phase rows and 100,000 profile phases were ~20 MB; what is
    // left is the charts, the first phases and the tables.
    assert!(page.len() < 600_000, "report.html is {} bytes", page.len());
}

#[test]
fn the_lag_sections_show_the_first_episodes_and_count_the_rest() {
    // The fixed scale-out-and-in story, its episodes repeated to 120 (as
    // many load changes as 120 ramp phases of a sine give).
    let mut r = Report::build(fixture::scale_out_and_in()).unwrap();
    assert!(!r.summary.lag.is_empty());
    let one = r.summary.lag.clone();
    r.summary.measures.lag = one.iter().cycle().take(120).cloned().collect();
    let page = html(&r);
    assert_eq!(
        page.matches("<h3>").count(),
        caps::EPISODES,
        "episode headings in report.html"
    );
    assert!(page.contains(&format!(
        "({} more scaling episodes, from t ",
        120 - caps::EPISODES
    )));
    let render = |file: &str| {
        let e = report::exporters()
            .into_iter()
            .find(|e| e.file_name() == file)
            .unwrap();
        String::from_utf8(e.render(&r)).unwrap()
    };
    for file in ["report.md", "summary.txt"] {
        assert!(render(file).contains("(70 more scaling episodes"), "{file}");
    }
    // The waterfall chart draws the episodes shown, not all 120.
    let lag_chart = charts::charts(&r)
        .into_iter()
        .find(|c| c.stem == "lag")
        .unwrap();
    assert!(lag_chart.inline_svg.len() < 60 * 5_000);
    // summary.json keeps every episode.
    let json: serde_json::Value = serde_json::from_str(&render("summary.json")).unwrap();
    assert_eq!(json["lag"].as_array().map(Vec::len), Some(120));
}

/// A long simulated run (bench/sim-day.toml: 24 simulated hours) stopped
/// by SIGTERM writes its reports and exits within Kubernetes' default
/// grace period (30 s), with a journal of over 1,000 intervals. (Before
/// item 9, a 90 MB journal took ~40 s to report after SIGTERM.)
#[test]
fn a_sigtermed_long_simulated_run_reports_and_exits_within_the_grace_period() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("day.toml");
    std::fs::write(&profile, include_str!("../bench/sim-day.toml")).unwrap();
    let run_dir = tmp.path().join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("run")
        .arg(&profile)
        .arg("--run-dir")
        .arg(&run_dir)
        .arg("-q")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let intervals = || {
        std::fs::read_to_string(run_dir.join("journal.jsonl"))
            .unwrap_or_default()
            .matches("\"type\":\"interval\"")
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while intervals() < 1_000 {
        assert!(
            Instant::now() < deadline,
            "the simulated run never got going"
        );
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let term = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            term.elapsed() < Duration::from_secs(30),
            "still running 30 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert!(summary["duration_s"].as_f64().unwrap() < 86_400.0);
    assert!(run_dir.join("report.html").exists());
    assert!(!run_dir.join("report.html.tmp").exists());
}
