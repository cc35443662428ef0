//! Hand-drawn SVG line charts, inline in `report.html` and as files beside
//! `report.md`: no script, no fonts, no network. Gaps in a series (`None`)
//! break its line. Every label goes through [`super::escape::xml`] (the
//! files are XML documents; the same text is valid inline in HTML).

use std::fmt::Write;

use super::escape::xml as escape;

const W: f64 = 1000.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 64.0;
/// The plot's height; the chart grows with its legend rows above it.
const PH: f64 = 184.0;
const BOTTOM: f64 = 36.0;
/// Baselines: the title, then the first legend row, one row apart.
const TITLE_Y: f64 = 16.0;
const LEGEND_Y: f64 = 34.0;
const ROW: f64 = 15.0;
const FONT: f64 = 11.0;
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
    /// A logarithmic left axis (latency spanning orders of magnitude); the
    /// axis label says so.
    pub y_log: bool,
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
    // Six digits beside the axis would run into its label.
    if v >= 1e6 && (v / 1e6 - (v / 1e6).round()).abs() < 1e-9 {
        format!("{:.0}M", v / 1e6)
    } else if v >= 1e4 && (v / 1e3 - (v / 1e3).round()).abs() < 1e-9 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A tick step in seconds for a time axis up to `max` seconds: whole
/// minutes once the run is longer than a few, at most about eight ticks.
fn time_step(max: f64) -> f64 {
    [
        5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0,
        21600.0, 43200.0, 86400.0,
    ]
    .into_iter()
    .find(|s| max / s <= 8.0)
    .unwrap_or_else(|| (max / 8.0 / 86400.0).ceil() * 86400.0)
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

/// A legend entry: `x`, baseline, label, colour, whether it is a band.
type Entry = (f64, f64, String, &'static str, bool);

/// The legend laid out in rows from the left under the title, and the
/// number of rows.
fn legend(c: &Chart) -> (Vec<Entry>, usize) {
    let mut items: Vec<(String, &'static str, bool)> = c
        .series
        .iter()
        .map(|s| (s.label.clone(), s.color, false))
        .collect();
    items.extend(c.bands.iter().map(|b| (b.label.clone(), b.color, true)));
    items.dedup();
    let (mut x, mut row) = (LEFT, 0usize);
    let mut out = Vec::new();
    for (label, color, band) in items {
        let w = 15.0 + text_width(&label, FONT, false) + 14.0;
        if x > LEFT && x + w > W - RIGHT {
            x = LEFT;
            row += 1;
        }
        out.push((x, LEGEND_Y + ROW * row as f64, label, color, band));
        x += w;
    }
    let rows = if out.is_empty() { 0 } else { row + 1 };
    (out, rows)
}

fn draw(c: &Chart, standalone: bool) -> String {
    let pw = W - LEFT - RIGHT;
    let ph = PH;
    let (legend, rows) = legend(c);
    // The title on its own line, the legend rows under it, then the plot.
    let top = if rows == 0 {
        TITLE_Y + 12.0
    } else {
        LEGEND_Y + ROW * (rows - 1) as f64 + 12.0
    };
    let h = top + ph + BOTTOM;
    let x_max = if c.x_max > 0.0 { c.x_max } else { 1.0 };
    let xs = |t: f64| LEFT + (t.clamp(0.0, x_max) / x_max) * pw;
    let values = |right: bool| {
        c.series
            .iter()
            .filter(move |s| s.right == right)
            .flat_map(|s| s.points.iter().filter_map(|p| p.1))
            .chain(c.hlines.iter().filter(move |_| !right).map(|h| h.0))
    };
    let max_of = |right: bool| values(right).fold(0.0, f64::max);
    let (y_max, y_step) = nice(max_of(false) * 1.05);
    let (y2_max, y2_step) = nice(max_of(true).max(1.0) * 1.1);
    // Log axis: whole decades around the positive values.
    let (lo, hi) = {
        let min = values(false)
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let max = max_of(false);
        if min.is_finite() && max > 0.0 {
            let lo = min.log10().floor();
            (lo, max.log10().ceil().max(lo + 1.0))
        } else {
            (0.0, 1.0)
        }
    };
    let ys = |v: f64, right: bool| {
        let frac = if right {
            v / y2_max
        } else if c.y_log {
            if v > 0.0 {
                (v.log10() - lo) / (hi - lo)
            } else {
                0.0
            }
        } else {
            v / y_max
        };
        top + ph - frac.clamp(0.0, 1.05) * ph
    };
    let mut o = open(&c.title, W, h, standalone);
    let _ = write!(
        o,
        "<text x=\"{LEFT}\" y=\"{TITLE_Y}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        escape(&c.title)
    );
    for b in &c.bands {
        let (x0, x1) = (xs(b.from), xs(b.to));
        if x1 > x0 {
            let _ = write!(
                o,
                "<rect x=\"{x0:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{ph}\" fill=\"{}\" fill-opacity=\"0.18\"><title>{}</title></rect>",
                x1 - x0,
                b.color,
                escape(&b.label)
            );
        }
    }
    // Grid and axes.
    let ticks: Vec<f64> = if c.y_log {
        (lo as i32..=hi as i32).map(|e| 10f64.powi(e)).collect()
    } else {
        let mut t = Vec::new();
        let mut v = 0.0;
        while v <= y_max + 1e-9 {
            t.push(v);
            v += y_step;
        }
        t
    };
    for v in ticks {
        let y = ys(v, false);
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            num(v)
        );
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
    // Seconds, as the tables' `t (s)`, in whole-minute steps.
    let x_step = time_step(x_max);
    let mut t = 0.0;
    while t <= x_max + 1e-9 {
        let x = xs(t);
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            top + ph,
            top + ph + 4.0,
            top + ph + 16.0,
            num(t)
        );
        t += x_step;
    }
    let _ = write!(
        o,
        "<rect x=\"{LEFT}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">seconds since start (t in the tables)</text>",
        LEFT + pw / 2.0,
        h - 4.0
    );
    let y_label = if c.y_log {
        format!("{} (log scale)", c.y_label)
    } else {
        c.y_label.clone()
    };
    let _ = write!(
        o,
        "<text transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\"{}>{}</text>",
        top + ph / 2.0,
        fit(&y_label, ph),
        escape(&y_label)
    );
    if let Some(l) = &c.y2_label {
        let _ = write!(
            o,
            "<text transform=\"translate({:.1} {:.1}) rotate(90)\" text-anchor=\"middle\"{}>{}</text>",
            W - 12.0,
            top + ph / 2.0,
            fit(l, ph),
            escape(l)
        );
    }
    // Labels inside the plot, each placed clear of those placed before it.
    let mut placed: Vec<TextBox> = Vec::new();
    let inside = |b: &TextBox| b.x0 >= LEFT + 2.0 && b.y0 >= top && b.y1 <= top + ph;
    for (val, label) in &c.hlines {
        let y = ys(*val, false);
        // Above the line, else below it; right-aligned, moved left past
        // any label in the way.
        let mut spot = None;
        'rows: for ly in [y - 4.0, y + 12.0] {
            let mut right = LEFT + pw - 4.0;
            loop {
                let b = TextBox::at(label, right, ly, FONT, false, "end");
                if !inside(&b) {
                    break;
                }
                match placed
                    .iter()
                    .filter(|p| p.overlaps(&b))
                    .map(|p| p.x0)
                    .reduce(f64::min)
                {
                    None => {
                        spot = Some((right, ly, b));
                        break 'rows;
                    }
                    Some(x0) => right = x0 - 8.0,
                }
            }
        }
        let (lx, ly, b) = spot.unwrap_or_else(|| {
            let (r, ly) = (LEFT + pw - 4.0, y - 4.0);
            (r, ly, TextBox::at(label, r, ly, FONT, false, "end"))
        });
        placed.push(b);
        let _ = write!(
            o,
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#444\" stroke-dasharray=\"6 3\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"end\" fill=\"#444\">{}</text>",
            LEFT + pw,
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
        // Right of the marker (left of it near the right edge), in the
        // first row down that is free.
        let (anchor, lx) = if x + 3.0 + text_width(label, FONT, false) > LEFT + pw {
            ("end", x - 3.0)
        } else {
            ("start", x + 3.0)
        };
        let ly = (0..8)
            .map(|k| top + 11.0 + 12.0 * k as f64)
            .find(|ly| {
                let b = TextBox::at(label, lx, *ly, FONT, false, anchor);
                !placed.iter().any(|p| p.overlaps(&b))
            })
            .unwrap_or(top + 11.0);
        placed.push(TextBox::at(label, lx, ly, FONT, false, anchor));
        let anchor_attr = if anchor == "end" {
            " text-anchor=\"end\""
        } else {
            ""
        };
        let _ = write!(
            o,
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"#7b3fa0\" stroke-width=\"1.2\" stroke-dasharray=\"2 2\"/><text x=\"{lx:.1}\" y=\"{ly:.1}\"{anchor_attr} fill=\"#7b3fa0\">{}</text>",
            top + ph,
            escape(label)
        );
    }
    // Legend rows between the title and the plot; a band's swatch is as
    // pale as its band.
    for (x, y, label, color, band) in &legend {
        let opacity = if *band { " fill-opacity=\"0.45\"" } else { "" };
        let _ = write!(
            o,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"12\" height=\"8\" fill=\"{color}\"{opacity}/><text x=\"{:.1}\" y=\"{y:.1}\">{}</text>",
            y - 8.0,
            x + 15.0,
            escape(label)
        );
    }
    close(&mut o, standalone);
    o
}

/// A smaller font for an axis label longer than its axis (`len`).
fn fit(label: &str, len: f64) -> String {
    let w = text_width(label, FONT, false);
    if w > len - 4.0 {
        format!(" font-size=\"{:.1}\"", (FONT * (len - 4.0) / w).floor())
    } else {
        String::new()
    }
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

// ---------------------------------------------------------------------
// Text extents: where each `<text>` lands, so layout can avoid collisions
// and tests (and `scripts/check-html.sh`) can prove none remain.

/// An upper bound on a character's advance in em for the sans-serif fonts
/// browsers pick (DejaVu Sans, the widest common one, then Arial and
/// Helvetica): a box computed from it holds the rendered text.
pub fn char_em(c: char) -> f64 {
    match c {
        'i' | 'l' | 'j' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 0.32,
        ' ' | 'f' | 't' | 'r' | 'I' | 'J' | '(' | ')' | '[' | ']' | '-' | '/' => 0.45,
        'm' | 'w' | 'M' | 'W' | '%' | '@' => 1.0,
        'A'..='Z' => 0.8,
        '0'..='9' | 'a'..='z' => 0.64,
        _ if c.is_ascii() => 0.84,
        _ => 1.0,
    }
}

/// The width bound of `s` (unescaped) at `font_size`; bold is wider.
pub fn text_width(s: &str, font_size: f64, bold: bool) -> f64 {
    let w: f64 = s.chars().map(char_em).sum::<f64>() * font_size;
    if bold { w * 1.1 } else { w }
}

/// A text element's box in its SVG's user units.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub text: String,
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl TextBox {
    /// The box of text drawn with its baseline at `y`, anchored at `x`.
    pub fn at(text: &str, x: f64, y: f64, font_size: f64, bold: bool, anchor: &str) -> TextBox {
        let w = text_width(text, font_size, bold);
        let x0 = match anchor {
            "middle" => x - w / 2.0,
            "end" => x - w,
            _ => x,
        };
        TextBox {
            text: text.to_string(),
            x0,
            y0: y - ASCENT * font_size,
            x1: x0 + w,
            y1: y + DESCENT * font_size,
        }
    }

    /// Whether the two boxes share more than a hair (half a unit each way).
    pub fn overlaps(&self, o: &TextBox) -> bool {
        self.x0 < o.x1 - 0.5 && o.x0 < self.x1 - 0.5 && self.y0 < o.y1 - 0.5 && o.y0 < self.y1 - 0.5
    }
}

/// Above and below the baseline, in em (DejaVu Sans: 0.76 and 0.24).
const ASCENT: f64 = 0.8;
const DESCENT: f64 = 0.25;

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let pat = format!(" {name}=\"");
    let i = tag.find(&pat)? + pat.len();
    tag[i..].split('"').next()
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').map(|j| i + j + 1).unwrap_or(rest.len());
        out.push(match &rest[i..end] {
            "&lt;" => '<',
            "&gt;" => '>',
            "&amp;" => '&',
            "&quot;" => '"',
            "&#39;" => '\'',
            _ => '\u{FFFD}',
        });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn nums(s: &str) -> Vec<f64> {
    s.split([' ', ','])
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

/// The boxes of every `<text>` in one `<svg>` element (its opening tag
/// gives the default font size), transforms `translate(a b) rotate(r)`
/// applied.
pub fn text_boxes(svg: &str) -> Vec<TextBox> {
    let root = svg.split('>').next().unwrap_or("");
    let default_size: f64 = attr(root, "font-size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(16.0);
    let mut out = Vec::new();
    for piece in svg.split("<text").skip(1) {
        let Some((tag, rest)) = piece.split_once('>') else {
            continue;
        };
        let tag = format!(" {tag}");
        let content = unescape(rest.split("</text>").next().unwrap_or(""));
        let n = |a: &str| attr(&tag, a).and_then(|v| v.parse::<f64>().ok());
        let size = n("font-size").unwrap_or(default_size);
        let bold = attr(&tag, "font-weight") == Some("bold");
        let anchor = attr(&tag, "text-anchor").unwrap_or("start");
        let local = TextBox::at(
            &content,
            n("x").unwrap_or(0.0),
            n("y").unwrap_or(0.0),
            size,
            bold,
            anchor,
        );
        let (mut tx, mut ty, mut deg) = (0.0, 0.0, 0.0);
        if let Some(t) = attr(&tag, "transform") {
            if let Some(a) = t
                .split("translate(")
                .nth(1)
                .and_then(|s| s.split(')').next())
            {
                let v = nums(a);
                tx = v.first().copied().unwrap_or(0.0);
                ty = v.get(1).copied().unwrap_or(0.0);
            }
            if let Some(a) = t.split("rotate(").nth(1).and_then(|s| s.split(')').next()) {
                deg = nums(a).first().copied().unwrap_or(0.0);
            }
        }
        let (s, c) = deg.to_radians().sin_cos();
        let corners = [
            (local.x0, local.y0),
            (local.x1, local.y0),
            (local.x0, local.y1),
            (local.x1, local.y1),
        ]
        .map(|(x, y)| (tx + x * c - y * s, ty + x * s + y * c));
        let xs = corners.map(|p| p.0);
        let ys = corners.map(|p| p.1);
        out.push(TextBox {
            text: content,
            x0: xs.iter().copied().fold(f64::INFINITY, f64::min),
            y0: ys.iter().copied().fold(f64::INFINITY, f64::min),
            x1: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            y1: ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        });
    }
    out
}

/// Every layout fault in a document holding SVG charts (a chart file or a
/// whole `report.html`): two text boxes of one chart that overlap, or a
/// text box that leaves its chart's `viewBox`. One sentence each; empty
/// when the layout is clean.
pub fn layout_problems(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, piece) in doc.split("<svg ").skip(1).enumerate() {
        let svg = piece.split("</svg>").next().unwrap_or(piece);
        let name = attr(&format!(" {svg}"), "aria-label")
            .map(unescape)
            .unwrap_or_else(|| format!("chart {}", i + 1));
        let view = attr(&format!(" {svg}"), "viewBox")
            .map(nums)
            .unwrap_or_default();
        let boxes = text_boxes(svg);
        for (j, a) in boxes.iter().enumerate() {
            if let [vx, vy, vw, vh] = view[..]
                && (a.x0 < vx - 0.5
                    || a.y0 < vy - 0.5
                    || a.x1 > vx + vw + 0.5
                    || a.y1 > vy + vh + 0.5)
            {
                out.push(format!(
                    "{name}: \"{}\" ({:.0},{:.0})–({:.0},{:.0}) leaves the chart (0,0)–({vw},{vh})",
                    a.text, a.x0, a.y0, a.x1, a.y1
                ));
            }
            for b in &boxes[j + 1..] {
                if a.overlaps(b) {
                    out.push(format!(
                        "{name}: \"{}\" ({:.0},{:.0})–({:.0},{:.0}) overlaps \"{}\" ({:.0},{:.0})–({:.0},{:.0})",
                        a.text, a.x0, a.y0, a.x1, a.y1, b.text, b.x0, b.y0, b.x1, b.y1
                    ));
                }
            }
        }
    }
    out
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
            y_log: false,
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

    #[test]
    fn text_boxes_follow_anchor_size_and_rotation() {
        let svg = "<svg viewBox=\"0 0 100 100\" font-size=\"10\"><text x=\"50\" y=\"20\" text-anchor=\"end\">aa</text><text transform=\"translate(14 50) rotate(-90)\" text-anchor=\"middle\">aa</text><text x=\"0\" y=\"90\" font-size=\"20\">a&amp;</text></svg>";
        let b = text_boxes(svg);
        assert_eq!(
            (b[0].x0, b[0].x1, b[0].y0, b[0].y1),
            (37.2, 50.0, 12.0, 22.5)
        );
        // Rotated: as tall as the text is wide, as wide as it is tall.
        assert!((b[1].y1 - b[1].y0 - 12.8).abs() < 1e-9);
        assert!((b[1].x0 - 6.0).abs() < 1e-9 && (b[1].x1 - 16.5).abs() < 1e-9);
        assert_eq!(b[2].text, "a&");
        assert!((b[2].x1 - 20.0 * (0.64 + 0.84)).abs() < 1e-9);
        assert!(layout_problems(svg).is_empty());
        let off = "<svg viewBox=\"0 0 100 100\" font-size=\"10\"><text x=\"90\" y=\"20\">long label</text></svg>";
        assert!(layout_problems(off)[0].contains("leaves the chart"));
    }

    #[test]
    fn long_legends_wrap_and_latency_can_be_logarithmic() {
        let long = |i: usize| {
            Series::line(
                format!("a rather long series label number {i}"),
                "#000",
                vec![(0.0, Some(1.0)), (60.0, Some(5000.0))],
            )
        };
        let c = Chart {
            title: "A title as long as the legend beside it would have been".into(),
            x_max: 3600.0,
            y_label: "ms".into(),
            y_log: true,
            y2_label: None,
            series: (0..5).map(long).collect(),
            bands: vec![],
            markers: vec![(600.0, "1→2".into()), (610.0, "2→3".into())],
            hlines: vec![
                (300.0, "SLO p99 300 ms".into()),
                (310.0, "another line".into()),
            ],
        };
        let svg = render(&c);
        assert_eq!(layout_problems(&svg), Vec::<String>::new());
        assert!(svg.contains(">ms (log scale)<") && svg.contains(">10k<"));
        assert!(svg.contains(">3600<") && svg.contains("seconds since start"));
    }
}
