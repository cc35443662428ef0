//! The charts every report shows, built once from the timeline: (a)
//! offered vs achieved rate with current and desired instances, (b)
//! latency p50/p99, (c) the scaling metric against the target value with
//! alarm states as bands, (d) the async backlog metrics when present;
//! scaling activities as markers on all of them; then where the time of
//! each scaling episode went. `report.html` draws them
//! inline, `report.md` links them as SVG files in `charts/` beside it.

use super::Report;
use super::sections::AlarmNames;
use super::svg::{self, Band, Chart, Series};
use super::waterfall;
use crate::gates::fmt;
use crate::journal::record::AlarmState;
use crate::timeline::lag::Episode;

/// A chart, drawn both ways, and the stem of its file name
/// (`charts/{stem}.svg`).
pub struct NamedChart {
    pub stem: &'static str,
    pub title: String,
    /// For inside report.html (as wide as the page).
    pub inline_svg: String,
    /// For a `.svg` file beside report.md.
    pub file_svg: String,
}

impl NamedChart {
    fn lines(stem: &'static str, mut chart: Chart) -> NamedChart {
        for s in &mut chart.series {
            s.points = downsample(std::mem::take(&mut s.points), POINT_BUDGET);
        }
        NamedChart {
            stem,
            title: chart.title.clone(),
            inline_svg: svg::render(&chart),
            file_svg: svg::render_file(&chart),
        }
    }

    /// The lag episodes as one bar each ([`waterfall`]); `None` without
    /// episodes.
    fn waterfall(episodes: &[Episode]) -> Option<NamedChart> {
        Some(NamedChart {
            stem: "lag",
            title: waterfall::TITLE.into(),
            inline_svg: waterfall::render(episodes, false)?,
            file_svg: waterfall::render(episodes, true)?,
        })
    }

    /// The path relative to the run directory.
    pub fn path(&self) -> String {
        format!("{CHART_DIR}/{}.svg", self.stem)
    }
}

/// Most points one series is drawn with. A chart is 1,000 units wide, so
/// more points than this only add bytes (a day of one-second intervals was
/// 86,400 points a series, megabytes of SVG); below it nothing changes.
pub const POINT_BUDGET: usize = 2000;

/// At most `budget` points: the time span cut into `budget / 2` equal
/// buckets, each drawn by its lowest and its highest value, in the order
/// they came, so a one-second spike (or dip) still shows; the last point is
/// kept too. A gap in a bucket stays a gap, after the bucket's values.
/// Series within the budget come back as they are.
pub fn downsample(points: Vec<(f64, Option<f64>)>, budget: usize) -> Vec<(f64, Option<f64>)> {
    if points.len() <= budget || budget < 2 {
        return points;
    }
    // Two points a bucket, and room for the series' last point (so the
    // line still reaches the end of the run).
    let buckets = ((budget - 1) / 2).max(1);
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let width = (last - first) / buckets as f64;
    if width.is_nan() || width <= 0.0 {
        return points;
    }
    let mut out = Vec::with_capacity(budget + 2);
    let mut i = 0;
    while i < points.len() {
        let bucket = (((points[i].0 - first) / width) as usize).min(buckets - 1);
        let mut min: Option<(f64, f64)> = None;
        let mut max: Option<(f64, f64)> = None;
        let mut gap: Option<f64> = None;
        while i < points.len()
            && (((points[i].0 - first) / width) as usize).min(buckets - 1) == bucket
        {
            match points[i] {
                (t, Some(v)) => {
                    if min.is_none_or(|(_, m)| v < m) {
                        min = Some((t, v));
                    }
                    if max.is_none_or(|(_, m)| v > m) {
                        max = Some((t, v));
                    }
                }
                (t, None) => gap = Some(t),
            }
            i += 1;
        }
        match (min, max) {
            (Some(a), Some(b)) if a.0 == b.0 => out.push((a.0, Some(a.1))),
            (Some(a), Some(b)) => {
                let (x, y) = if a.0 <= b.0 { (a, b) } else { (b, a) };
                out.push((x.0, Some(x.1)));
                out.push((y.0, Some(y.1)));
            }
            _ => {}
        }
        if let Some(t) = gap {
            out.push((t, None));
        }
    }
    let end = points[points.len() - 1];
    if out.last().is_some_and(|p| p.0 < end.0) {
        out.push(end);
    }
    out
}

/// Where the chart files go, relative to the run directory.
pub const CHART_DIR: &str = "charts";

/// Scaling activities, as markers on every chart.
fn markers(report: &Report) -> Vec<(f64, String)> {
    report
        .timeline
        .activities
        .iter()
        .filter(|a| a.not_scaled.is_empty())
        .map(|a| {
            let label = match (a.from, a.to) {
                (Some(f), Some(t)) => format!("{f}→{t}"),
                _ => "scaling".into(),
            };
            (a.start, label)
        })
        .collect()
}

/// A metric's datapoints at their period ends, with a gap wherever a
/// period has none.
fn metric_points(d: &[crate::timeline::Datapoint]) -> Vec<(f64, Option<f64>)> {
    let mut out = Vec::new();
    let mut prev: Option<&crate::timeline::Datapoint> = None;
    for p in d {
        if let Some(q) = prev
            && p.period_start > q.period_end + 1e-6
        {
            out.push((q.period_end, None));
        }
        out.push((p.period_end, Some(p.value())));
        prev = Some(p);
    }
    out
}

/// A metric's name as its axis label: the long ones by their unit, so the
/// label fits beside the plot (the title and legend name the metric).
fn axis_label(metric: &str) -> String {
    match metric {
        "ApproximateBacklogSizePerInstance" => "requests per instance".into(),
        "InvocationsPerInstance" => "invocations per instance".into(),
        _ => metric.into(),
    }
}

/// The charts there is data for, in reading order.
pub fn charts(report: &Report) -> Vec<NamedChart> {
    let tl = &report.timeline;
    let x_max = tl.end.max(report.summary.duration_s);
    let marks = markers(report);
    let mut out = Vec::new();
    let iv = &tl.intervals;
    let mut rate = Chart {
        title: "Offered vs achieved rate, instances".into(),
        x_max,
        y_label: "requests/s".into(),
        y_log: false,
        y2_label: None,
        series: vec![
            Series::line(
                "offered/s",
                "#1f77b4",
                iv.iter().map(|i| (i.t, Some(i.offered_per_s))).collect(),
            ),
            Series::line(
                "achieved (ok)/s",
                "#2ca02c",
                iv.iter().map(|i| (i.t, Some(i.achieved_per_s))).collect(),
            ),
        ],
        bands: vec![],
        markers: marks.clone(),
        hlines: vec![],
    };
    if iv.is_empty() {
        observed_rate(tl, &mut rate);
    }
    if !tl.endpoint.is_empty() {
        rate.y2_label = Some("instances".into());
        for (label, color, dashed, f) in [
            (
                "current instances",
                "#ff7f0e",
                false,
                (|e: &crate::journal::record::EndpointRecord| e.current) as fn(&_) -> u32,
            ),
            ("desired instances", "#d62728", true, |e| e.desired),
        ] {
            let mut sr = Series::line(
                label,
                color,
                tl.endpoint
                    .iter()
                    .map(|e| (e.t, Some(f(e) as f64)))
                    .collect(),
            );
            sr.right = true;
            sr.step = true;
            sr.dashed = dashed;
            rate.series.push(sr);
        }
    }
    out.push(NamedChart::lines("rate", rate));
    let observed_latency = iv.is_empty().then(|| observed_latency(tl)).flatten();
    if let Some((title, series)) = observed_latency {
        out.push(NamedChart::lines(
            "latency",
            Chart {
                title,
                x_max,
                y_label: "ms".into(),
                y_log: false,
                y2_label: None,
                series,
                bands: vec![],
                markers: marks.clone(),
                hlines: vec![],
            },
        ));
    } else {
        // Latency spanning more than two decades (a queue that grew to
        // minutes beside sub-second requests) reads on a log axis.
        let lat = || iv.iter().flat_map(|i| [i.p50_ms, i.p99_ms]).flatten();
        let lat_min = lat().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
        let lat_max = lat().fold(0.0, f64::max);
        let y_log = lat_max > 100.0 * lat_min;
        // Past a minute, seconds: "540 s", not "540000 ms".
        let (unit, per) = if lat_max > 60_000.0 {
            ("s", 1000.0)
        } else {
            ("ms", 1.0)
        };
        let scaled = |v: Option<f64>| v.map(|v| v / per);
        out.push(NamedChart::lines(
            "latency",
            Chart {
                title: "Latency per interval (from intended send time)".into(),
                x_max,
                y_label: format!("latency, {unit}"),
                y_log,
                y2_label: None,
                series: vec![
                    Series::line(
                        "p50",
                        "#1f77b4",
                        iv.iter().map(|i| (i.t, scaled(i.p50_ms))).collect(),
                    ),
                    Series::line(
                        "p99",
                        "#d62728",
                        iv.iter().map(|i| (i.t, scaled(i.p99_ms))).collect(),
                    ),
                ],
                bands: vec![],
                markers: marks.clone(),
                hlines: report
                    .slo
                    .as_ref()
                    .and_then(|s| s.p99_ms)
                    .map(|v| vec![(v / per, format!("SLO p99 {} ms", fmt(v)))])
                    .unwrap_or_default(),
            },
        ));
    }
    // The scaling metric: the one the alarms watch, else InvocationsPerInstance.
    let config = tl.alarm_configs.first();
    let series = config
        .and_then(|c| tl.alarm_metric(c).map(|d| (c.metric.clone(), d)))
        .or_else(|| {
            tl.metric(crate::metric::MetricId::InvocationsPerInstance.name())
                .map(|(k, d)| (k.name.clone(), d))
        });
    if let Some((name, data)) = series {
        let mut sr = Series::line(name.clone(), "#1f77b4", metric_points(data));
        sr.dots = true;
        let mut hlines = Vec::new();
        if let Some(target) = tl.policies.iter().find_map(|p| p.target_value) {
            hlines.push((target, format!("target {}", fmt(target))));
        }
        let mut bands = Vec::new();
        let names = AlarmNames::of(report);
        // A colour per alarm, never the metric line's blue: scale-out
        // alarms in reds, scale-in alarms in greens, missing data in greys.
        const UPPER: [&str; 3] = ["#d62728", "#ff7f0e", "#8c564b"];
        const LOWER: [&str; 3] = ["#2ca02c", "#17becf", "#bcbd22"];
        const GREY: [&str; 3] = ["#999999", "#c7c7c7", "#636363"];
        let (mut upper, mut lower) = (0, 0);
        for (i, c) in tl.alarm_configs.iter().enumerate() {
            if hlines.iter().all(|h| (h.0 - c.threshold).abs() > 1e-9) {
                hlines.push((
                    c.threshold,
                    format!("{} threshold {}", names.apply(&c.name), fmt(c.threshold)),
                ));
            }
            let is_upper = c.comparison.is_upper() == Some(true);
            let alarm_color = if is_upper {
                upper += 1;
                UPPER[(upper - 1) % UPPER.len()]
            } else {
                lower += 1;
                LOWER[(lower - 1) % LOWER.len()]
            };
            for (from, to, state) in tl.alarm_bands(&c.name) {
                let color = match state {
                    AlarmState::Alarm => alarm_color,
                    AlarmState::InsufficientData => GREY[i % GREY.len()],
                    AlarmState::Ok => continue,
                };
                bands.push(Band {
                    from,
                    to,
                    color,
                    label: format!("{} {}", names.apply(&c.name), state.as_aws()),
                });
            }
        }
        out.push(NamedChart::lines(
            "metric",
            Chart {
                title: format!("Scaling metric: {name} per period, against the target"),
                x_max,
                y_label: axis_label(&name),
                y_log: false,
                y2_label: None,
                series: vec![sr],
                bands,
                markers: marks.clone(),
                hlines,
            },
        ));
    }
    let backlog: Vec<Series> = [
        ("ApproximateBacklogSize", "#1f77b4"),
        ("ApproximateBacklogSizePerInstance", "#ff7f0e"),
        ("ApproximateAgeOfOldestRequest", "#d62728"),
        ("HasBacklogWithoutCapacity", "#7f7f7f"),
    ]
    .iter()
    .filter_map(|(n, color)| {
        tl.metric(n).map(|(_, d)| {
            let mut s = Series::line(*n, color, metric_points(d));
            s.dots = true;
            s.right = *n == "ApproximateAgeOfOldestRequest";
            s
        })
    })
    .collect();
    if !backlog.is_empty() {
        let age = backlog.iter().any(|s| s.right);
        out.push(NamedChart::lines(
            "backlog",
            Chart {
                title: "Async backlog".into(),
                x_max,
                y_label: "requests".into(),
                y_log: false,
                y2_label: age.then(|| "age of oldest (s)".into()),
                series: backlog,
                bands: vec![],
                markers: marks,
                hlines: vec![],
            },
        ));
    }
    out.extend(NamedChart::waterfall(
        super::caps::episodes(&report.summary.lag).0,
    ));
    out
}

/// Observe-only runs: the observed load (an imported file's or CloudWatch
/// `Invocations` / 60) as the offered rate, and the client's failures.
fn observed_rate(tl: &crate::timeline::Timeline, rate: &mut Chart) {
    let Some(load) = &tl.load else { return };
    let label = load.source.label();
    rate.title = format!("Observed load ({label}), instances");
    if load.source.unit() != "/s" {
        rate.y_label = "requests queued".into();
    }
    rate.series = vec![Series::line(
        format!("offered{} {label}", load.source.unit()),
        "#1f77b4",
        load.points.iter().map(|p| (p.t, Some(p.rate))).collect(),
    )];
    if load.points.iter().any(|p| p.failures_per_s.is_some()) {
        rate.series.push(Series::line(
            format!("failures/s {label}"),
            "#d62728",
            load.points
                .iter()
                .map(|p| (p.t, p.failures_per_s))
                .collect(),
        ));
    }
}

/// Observe-only runs: the client's percentiles when the imported file has
/// them, else CloudWatch's `ModelLatency` and `OverheadLatency` (p50, p99;
/// microseconds, drawn in ms).
fn observed_latency(tl: &crate::timeline::Timeline) -> Option<(String, Vec<Series>)> {
    if let Some(load) = &tl.load
        && load.points.iter().any(|p| p.p99_ms.is_some())
    {
        let label = load.source.label();
        return Some((
            format!("Latency ({label})"),
            vec![
                Series::line(
                    "p50",
                    "#1f77b4",
                    load.points.iter().map(|p| (p.t, p.p50_ms)).collect(),
                ),
                Series::line(
                    "p99",
                    "#d62728",
                    load.points.iter().map(|p| (p.t, p.p99_ms)).collect(),
                ),
            ],
        ));
    }
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    let mut series = Vec::new();
    for name in ["ModelLatency", "OverheadLatency"] {
        for stat in ["p50", "p99"] {
            if let Some((_, d)) = tl
                .metrics
                .iter()
                .find(|(k, _)| k.name == name && k.stat == stat)
            {
                let mut sr = Series::line(
                    format!("{name} {stat}"),
                    colors[series.len() % colors.len()],
                    d.iter()
                        .map(|p| (p.period_end, Some(p.value() / 1000.0)))
                        .collect(),
                );
                sr.dots = true;
                series.push(sr);
            }
        }
    }
    (!series.is_empty()).then(|| {
        (
            "Latency from CloudWatch (ModelLatency, OverheadLatency; one-minute)".into(),
            series,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::downsample;

    #[test]
    fn a_series_within_the_budget_is_untouched() {
        let p: Vec<_> = (0..2000)
            .map(|i| (i as f64, Some((i % 7) as f64)))
            .collect();
        assert_eq!(downsample(p.clone(), 2000), p);
    }

    #[test]
    fn a_day_of_seconds_keeps_the_one_second_spike_and_dip_within_the_budget() {
        let mut p: Vec<_> = (0..86_400).map(|i| (i as f64, Some(100.0))).collect();
        p[40_000].1 = Some(5_000.0);
        p[60_001].1 = Some(0.0);
        let d = downsample(p, 2000);
        assert!(d.len() <= 2000, "{}", d.len());
        assert!(d.contains(&(40_000.0, Some(5_000.0))), "the spike stays");
        assert!(d.contains(&(60_001.0, Some(0.0))), "the dip stays");
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
        assert_eq!(d[0], (0.0, Some(100.0)));
        assert_eq!(d.last().unwrap().0, 86_399.0);
    }

    #[test]
    fn gaps_stay_gaps() {
        let p: Vec<_> = (0..10_000)
            .map(|i| (i as f64, (!(5_000..5_100).contains(&i)).then_some(1.0)))
            .collect();
        let d = downsample(p, 200);
        assert!(
            d.iter()
                .any(|(t, v)| v.is_none() && (5_000.0..5_100.0).contains(t))
        );
    }
}
