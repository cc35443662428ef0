//! Hand-drawn SVG line charts, inline in `report.html` and as files beside
//! `report.md`: no script, no fonts, no network. Gaps in a series (`None`)
//! break its line. Every label goes through [`super::escape::xml`] (the
//! files are XML documents; the same text is valid inline in HTML).

use std::fmt::Write;

use super::escape::xml as escape;

const W: f64 = 1000.0;
const H: f64 = 250.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 64.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 36.0;

pub struct Series {
    pub label: String,
    pub color: &'static str,
    /// `(t, value)`; `None` is a gap.
    pub points: Vec<(f64, Option<f64>)>,
    /// Drawn against the right axis.
    pub right: bool,
    /// Hold each value until the next point (instance counts).
    pub step: bool,
    pub dashed: bool,
    /// Draw a dot at every point (sparse series such as metric datapoints).
    pub dots: bool,
}

impl Series {
    pub fn line(
        label: impl Into<String>,
        color: &'static str,
        points: Vec<(f64, Option<f64>)>,
    ) -> Series {
        Series {
            label: label.into(),
            color,
            points,
            right: false,
            step: false,
            dashed: false,
            dots: false,
        }
    }
}

/// A shaded stretch of time (an alarm state).
pub struct Band {
    pub from: f64,
    pub to: f64,
    pub color: &'static str,
    pub label: String,
}

pub struct Chart {
    pub title: String,
    pub x_max: f64,
    pub y_label: String,
    pub y2_label: Option<String>,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    /// Vertical markers `(t, label)`: scaling activities.
    pub markers: Vec<(f64, String)>,
    /// Horizontal reference lines `(value, label)`: the target value.
    pub hlines: Vec<(f64, String)>,
}

/// A "nice" axis maximum and tick step for data up to `max`.
fn nice(max: f64) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    ((max / step).ceil() * step, step)
}

fn num(v: f64) -> String {
    if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The chart inline in an HTML page: as wide as its container.
pub fn render(c: &Chart) -> String {
    draw(c, false)
}

/// The chart as a standalone `.svg` file: a fixed size (an image without
/// one has no size of its own in a Markdown viewer) and a white background
/// (the dark text stays readable on a dark page).
pub fn render_file(c: &Chart) -> String {
    draw(c, true)
}

fn draw(c: &Chart, standalone: bool) -> String {
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let x_max = if c.x_max > 0.0 { c.x_max } else { 1.0 };
    let xs = |t: f64| LEFT + (t.clamp(0.0, x_max) / x_max) * pw;
    let max_of = |right: bool| {
        c.series
            .iter()
            .filter(|s| s.right == right)
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
            .chain(c.hlines.iter().filter(|_| !right).map(|h| h.0))
            .fold(0.0, f64::max)
    };
    let (y_max, y_step) = nice(max_of(false) * 1.05);
    let (y2_max, y2_step) = nice(max_of(true).max(1.0) * 1.1);
    let ys = |v: f64, right: bool| {
        let m = if right { y2_max } else { y_max };
        TOP + ph - (v / m).clamp(0.0, 1.05) * ph
    };
    let mut o = open(&c.title, W, H, standalone);
    let _ = write!(
        o,
        "<text x=\"{LEFT}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        escape(&c.title)
    );
    for b in &c.bands {
        let (x0, x1) = (xs(b.from), xs(b.to));
        if x1 > x0 {
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{ph}\" fill=\"{}\" fill-opacity=\"0.18\"><title>{}</title></rect>",
                x1 - x0,
                b.color,
                escape(&b.label)
            );
        }
    }
    // Grid and axes.
    let mut v = 0.0;
    while v <= y_max + 1e-9 {
        let y = ys(v, false);
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            num(v)
        );
        v += y_step;
    }
    if c.y2_label.is_some() {
        let mut v = 0.0;
        while v <= y2_max + 1e-9 {
            let y = ys(v, true);
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                LEFT + pw + 6.0,
                y + 4.0,
                num(v)
            );
            v += y2_step;
        }
    }
    let (_, x_step) = nice(x_max / 60.0);
    let mut m = 0.0;
    while m * 60.0 <= x_max + 1e-9 {
        let x = xs(m * 60.0);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            TOP + ph,
            TOP + ph + 4.0,
            TOP + ph + 16.0,
            num(m)
        );
        m += x_step.max(0.5);
    }
    let _ = write!(
        o,
        "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">minutes since start</text>",
        LEFT + pw / 2.0,
        H - 4.0
    );
    let _ = write!(
        o,
        "<text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        TOP + ph / 2.0,
        escape(&c.y_label)
    );
    if let Some(l) = &c.y2_label {
        let _ = write!(
            o,
            "<text transform=\"translate({:.1} {:.1}) rotate(90)\" text-anchor=\"middle\">{}</text>",
            W - 12.0,
            TOP + ph / 2.0,
            escape(l)
        );
    }
    // Labels of nearby lines would overlap: each one further left.
    for (i, (val, label)) in c.hlines.iter().enumerate() {
        let y = ys(*val, false);
        let lx = LEFT + pw - 4.0 - 220.0 * i as f64;
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#444\" stroke-dasharray=\"6 3\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            LEFT + pw,
            lx,
            y - 4.0,
            escape(label)
        );
    }
    for s in &c.series {
        let mut d = String::new();
        let mut pen_down = false;
        let mut prev_y = 0.0;
        for (t, val) in &s.points {
            match val {
                Some(val) => {
                    let (x, y) = (xs(*t), ys(*val, s.right));
                    if !pen_down {
                        let _ = write!(d, "M{x:.1},{y:.1}");
                    } else if s.step {
                        let _ = write!(d, "L{x:.1},{prev_y:.1}L{x:.1},{y:.1}");
                    } else {
                        let _ = write!(d, "L{x:.1},{y:.1}");
                    }
                    pen_down = true;
                    prev_y = y;
                }
                None => pen_down = false,
            }
        }
        if s.step && pen_down {
            let _ = write!(d, "L{:.1},{prev_y:.1}", xs(x_max));
        }
        let dash = if s.dashed {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = write!(
            o,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"{dash}><title>{}</title></path>",
            s.color,
            escape(&s.label)
        );
        if s.dots {
            for (t, val) in &s.points {
                if let Some(val) = val {
                    let _ = write!(
                        o,
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{}\"/>",
                        xs(*t),
                        ys(*val, s.right),
                        s.color
                    );
                }
            }
        }
    }
    for (t, label) in &c.markers {
        let x = xs(*t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#7b3fa0\" stroke-width=\"1.2\" stroke-dasharray=\"2 2\"/><text x=\"{:.1}\" y=\"{:.1}\" fill=\"#7b3fa0\">{}</text>",
            TOP + ph,
            x + 3.0,
            TOP + 11.0,
            escape(label)
        );
    }
    // Legend, right-aligned above the plot.
    let mut x = W - RIGHT;
    let mut items: Vec<(String, &str)> = c
        .series
        .iter()
        .map(|s| (s.label.clone(), s.color))
        .collect();
    items.extend(c.bands.iter().map(|b| (b.label.clone(), b.color)));
    items.dedup();
    for (label, color) in items.iter().rev() {
        let w = 7.0 * label.chars().count() as f64 + 22.0;
        x -= w;
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"8\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"16\">{}</text>",
            x + 15.0,
            escape(label)
        );
    }
    close(&mut o, standalone);
    o
}

/// The `<svg>` start every chart shares: inline, as wide as the page; as
/// a file, the XML declaration, a fixed size and a white background. Then
/// the title as a tooltip (escaped).
pub fn open(title: &str, w: f64, h: f64, standalone: bool) -> String {
    let mut o = String::new();
    let size = if standalone {
        o.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        format!("width=\"{w}\" height=\"{h}\"")
    } else {
        "width=\"100%\"".to_string()
    };
    let title = escape(title);
    let _ = write!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" {size} role=\"img\" aria-label=\"{title}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    if standalone {
        let _ = write!(o, "<rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>");
    }
    let _ = write!(o, "<title>{title}</title>");
    o
}

/// Ends what [`open`] started (a file ends with a newline).
pub fn close(o: &mut String, standalone: bool) {
    o.push_str("</svg>");
    if standalone {
        o.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_break_the_line_and_labels_are_escaped() {
        let c = Chart {
            title: "<b>".into(),
            x_max: 120.0,
            y_label: "y".into(),
            y2_label: None,
            series: vec![Series::line(
                "s&p",
                "#000",
                vec![(0.0, Some(1.0)), (60.0, None), (120.0, Some(2.0))],
            )],
            bands: vec![],
            markers: vec![],
            hlines: vec![],
        };
        let svg = render(&c);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("s&amp;p"));
        let d = svg.split("<path d=\"").nth(1).unwrap();
        assert_eq!(d.split('"').next().unwrap().matches('M').count(), 2);
    }
}
