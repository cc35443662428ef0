//! "Where the time went": one bar per lag episode, from its first link to
//! its last, cut into the links' deltas (metric below the threshold, first
//! breaching period, CloudWatch publishing, more breaching datapoints +
//! alarm evaluation, autoscaler, desired count, instances launched or
//! removed, recovery), on one shared time scale so episodes
//! compare at a glance. A chain cut short ends in a grey stretch to the end of its
//! impact window, labelled with the missing link. Hand-drawn SVG like
//! [`super::svg`] (its [`svg::open`]/[`svg::close`]); every label escaped
//! as XML ([`super::escape::xml`]).

use std::fmt::Write;

use super::escape::xml as escape;
use super::svg;
use crate::timeline::lag::copies::{COPIES_DESIRED, COPIES_IN_SERVICE, INSTANCES_LAUNCHED};
use crate::timeline::lag::{
    ACTIVITY, ALARM, DESIRED, Episode, IN_SERVICE, PAST_THRESHOLD, READABLE, WITHIN_SLO,
};

const W: f64 = 1000.0;
const LEFT: f64 = 190.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 54.0;
const ROW: f64 = 30.0;
const BAR: f64 = 18.0;
const BOTTOM: f64 = 34.0;

/// What the time before each link was spent on, and its colour.
const SEGMENTS: [(&str, &str, &str); 11] = [
    // Load change → the start of the first breaching period: no link ends
    // there (`BELOW` splits it off the past-threshold link's delta, which
    // runs to the period's end).
    (BELOW, "metric below the threshold", "#c6dbef"),
    // The alarm link's delta holds the rest of the M datapoints that had to
    // breach as well as the evaluation itself (the episode's "where the time
    // went" sentence splits it), so the label names both.
    (PAST_THRESHOLD, "first breaching period", "#9ecae1"),
    (READABLE, "CloudWatch publishing", "#4292c6"),
    (
        ALARM,
        "more breaching datapoints + alarm evaluation",
        "#fd8d3c",
    ),
    (ACTIVITY, "autoscaler reaction", "#d94801"),
    (DESIRED, "desired count update", "#a1d99b"),
    (IN_SERVICE, "instances launched or removed", "#31a354"),
    // An inference component's chain (`timeline::lag::copies`).
    (COPIES_DESIRED, "desired copy count update", "#a1d99b"),
    (INSTANCES_LAUNCHED, "instances launched", "#74c476"),
    (COPIES_IN_SERVICE, "copies loaded", "#31a354"),
    (WITHIN_SLO, "back within SLO", "#807dba"),
];
const MISSING: &str = "#d9d9d9";
/// No link has this name: the stretch before the first breaching period.
const BELOW: &str = "";

pub const TITLE: &str = "Where the time went: each scaling episode, link by link";

/// One bar: `(from, to, link name)` stretches, the missing link if any.
struct Bar {
    label: String,
    tooltip: String,
    stretches: Vec<(f64, f64, &'static str, &'static str)>,
    missing: Option<(f64, f64, String)>,
}

fn bar(e: &Episode) -> Option<Bar> {
    let start = e.links.first()?.t_s?;
    let mut stretches = Vec::new();
    let mut last = start;
    let segment = |name: &str| SEGMENTS.iter().find(|s| s.0 == name);
    for l in &e.links[1..] {
        let Some(t) = l.t_s else { break };
        // The time before the breaching period began is the metric still
        // below the threshold, not part of the period (an async endpoint
        // woken by a trickle: 120 s of it, then a 60 s period).
        if l.name == PAST_THRESHOLD
            && let Some(ps) = l.period_start_s
            && ps - last >= 1.0
            && let Some((_, label, color)) = segment(BELOW)
        {
            stretches.push((last - start, ps - start, *label, *color));
            last = ps;
        }
        if let Some((_, label, color)) = segment(&l.name) {
            stretches.push((last - start, t - start, *label, *color));
        }
        last = t;
    }
    let missing = e.missing().map(|why| {
        (
            last - start,
            (e.impact.to_s - start).max(last - start),
            why.to_string(),
        )
    });
    Some(Bar {
        label: format!("{} at {} s", e.direction.label(), crate::gates::fmt(start)),
        tooltip: super::sections::episode_title(e),
        stretches,
        missing,
    })
}

/// A "nice" tick step for up to `max` seconds.
fn step(max: f64) -> f64 {
    [
        10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
    ]
    .into_iter()
    .find(|s| max / s <= 10.0)
    .unwrap_or(7200.0)
}

/// The chart, or `None` without episodes. `standalone`: a fixed-size file
/// with a white background (as [`super::svg::render_file`]).
pub fn render(episodes: &[Episode], standalone: bool) -> Option<String> {
    let bars: Vec<Bar> = episodes.iter().filter_map(bar).collect();
    if bars.is_empty() {
        return None;
    }
    // Legend: the kinds of time that occur, wrapped onto more lines when
    // they do not fit the width (the bars move down by the extra lines).
    let used = |name: &str| bars.iter().any(|b| b.stretches.iter().any(|s| s.2 == name));
    let mut legend: Vec<(&str, &str)> = SEGMENTS
        .iter()
        .filter(|s| used(s.1))
        .map(|s| (s.1, s.2))
        .collect();
    if bars.iter().any(|b| b.missing.is_some()) {
        legend.push(("never happened", MISSING));
    }
    let mut placed = Vec::new();
    let (mut x, mut line) = (10.0, 0.0);
    for (label, color) in legend {
        let width = 6.5 * label.chars().count() as f64 + 30.0;
        if x > 10.0 && x + width > W - 10.0 {
            x = 10.0;
            line += 1.0;
        }
        placed.push((x, 28.0 + 14.0 * line, label, color));
        x += width;
    }
    let top = TOP + 14.0 * line;
    let h = top + ROW * bars.len() as f64 + BOTTOM;
    let pw = W - LEFT - RIGHT;
    let x_max = bars
        .iter()
        .flat_map(|b| {
            b.stretches
                .iter()
                .map(|s| s.1)
                .chain(b.missing.as_ref().map(|m| m.1))
        })
        .fold(1.0, f64::max);
    let tick = step(x_max);
    let x_max = (x_max / tick).ceil() * tick;
    let xs = |t: f64| LEFT + t.clamp(0.0, x_max) / x_max * pw;
    let mut o = svg::open(TITLE, W, h, standalone);
    let _ = write!(
        o,
        "<text x=\"10\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{TITLE}</text>"
    );
    for (x, y, label, color) in placed {
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{y:.0}\" width=\"12\" height=\"8\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.0}\">{label}</text>",
            x + 15.0,
            y + 8.0
        );
    }
    // Grid: seconds since the episode's first link.
    let mut t = 0.0;
    let bottom = top + ROW * bars.len() as f64;
    while t <= x_max + 1e-9 {
        let gx = xs(t);
        let _ = write!(
            o,
            "<line x1=\"{gx:.1}\" x2=\"{gx:.1}\" y1=\"{top}\" y2=\"{bottom:.1}\" stroke=\"#ddd\"/><text x=\"{gx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            bottom + 14.0,
            crate::gates::fmt(t)
        );
        t += tick;
    }
    let _ = write!(
        o,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">seconds since the load change (or the activity)</text>",
        LEFT + pw / 2.0,
        h - 4.0
    );
    for (i, b) in bars.iter().enumerate() {
        let y = top + ROW * i as f64 + (ROW - BAR) / 2.0;
        let _ = write!(
            o,
            "<g><title>{}</title><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            escape(&b.tooltip),
            LEFT - 8.0,
            y + BAR / 2.0 + 4.0,
            escape(&b.label)
        );
        for (from, to, label, color) in &b.stretches {
            let (x0, x1) = (xs(*from), xs(*to));
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{color}\"><title>{label}: {} s</title></rect>",
                (x1 - x0).max(0.0),
                crate::gates::fmt(to - from)
            );
            if x1 - x0 >= 34.0 {
                let _ = write!(
                    o,
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#111\">{} s</text>",
                    (x0 + x1) / 2.0,
                    y + BAR / 2.0 + 4.0,
                    crate::gates::fmt(to - from)
                );
            }
        }
        if let Some((from, to, why)) = &b.missing {
            let (x0, x1) = (xs(*from), xs(*to));
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR}\" fill=\"{MISSING}\"><title>{}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#444\">{}</text>",
                (x1 - x0).max(0.0),
                escape(why),
                x0 + 4.0,
                y + BAR / 2.0 + 4.0,
                escape(why)
            );
        }
        o.push_str("</g>");
    }
    svg::close(&mut o, standalone);
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;
    use crate::report::Report;

    #[test]
    fn each_link_is_a_stretch_and_a_missing_one_is_named() {
        let r = Report::build(fixture::scale_out_and_in()).unwrap();
        let svg = render(&r.summary.lag, true).unwrap();
        roxmltree_free_check(&svg);
        // Scale-out: 60 s period, 59 s publishing, 121 s alarm, 355 s launch.
        for s in [
            "first breaching period: 60 s",
            "CloudWatch publishing: 59 s",
            "more breaching datapoints + alarm evaluation: 121 s",
            "instances launched or removed: 355 s",
        ] {
            assert!(svg.contains(s), "{s} missing");
        }
        // The legend wraps instead of running past the width: every label
        // starts, and (at 6.5 px a character) ends, inside it.
        for piece in svg.split("<text x=\"").skip(1) {
            let x: f64 = piece.split('"').next().unwrap().parse().unwrap();
            let label = piece.split('>').nth(1).unwrap().split('<').next().unwrap();
            if piece.contains("y=\"36\"") || piece.contains("y=\"50\"") {
                assert!(
                    x + 6.5 * label.chars().count() as f64 <= W,
                    "{label} at {x}"
                );
            }
        }
        let r = Report::build(fixture::short_spike()).unwrap();
        let svg = render(&r.summary.lag, false).unwrap();
        assert!(svg.contains("alarm never fired: 2 of 3 datapoints breached"));
        assert!(svg.contains("never happened"));
    }

    #[test]
    fn no_episodes_no_chart() {
        assert_eq!(render(&[], false), None);
    }

    /// Tags balance (the integration tests parse the files as XML).
    fn roxmltree_free_check(svg: &str) {
        assert_eq!(svg.matches("<g>").count(), svg.matches("</g>").count());
        assert!(svg.ends_with("</svg>\n"));
    }
}
