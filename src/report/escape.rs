//! Escaping, one function per output format, so each exporter says which
//! format its user and endpoint strings (profile name, payload, alarm
//! names, reasons) land in:
//!
//! - [`html`]: text and attribute values in `report.html`;
//! - [`xml`]: text and attribute values in XML documents: the SVG charts
//!   (standalone files beside `report.md`, and inline in the HTML, where
//!   the same output is valid) and `junit.xml`;
//! - [`markdown`]: text in `report.md` (GitHub renders inline HTML in it).
//!
//! The three agree on ordinary text, so the split changes no report; they
//! differ where the formats do: XML 1.0 cannot carry most control
//! characters even as references, so [`xml`] replaces them (a stray one
//! from an endpoint's message would otherwise make the whole file
//! unreadable to a CI's JUnit parser).

/// `& < > " '` as entities: safe in element text and in quoted attribute
/// values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_entity(&mut out, c);
    }
    out
}

/// As [`html`] (`&#39;` rather than `&apos;`, which HTML 4 lacks, keeps
/// inline SVG valid in the page too), plus every character XML 1.0 does not
/// allow replaced by U+FFFD.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let allowed = matches!(c, '\t' | '\n' | '\r')
            || matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
        push_entity(&mut out, if allowed { c } else { '\u{FFFD}' });
    }
    out
}

/// What Markdown renderers would treat as HTML: `&`, `<`, `>`. Table cells
/// escape `|` and line breaks on top of this ([`super::table::Table`]).
pub fn markdown(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn push_entity(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script>\"&'";

    #[test]
    fn html_and_xml_escape_markup_and_quotes() {
        let want = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;&#39;";
        assert_eq!(html(HOSTILE), want);
        assert_eq!(xml(HOSTILE), want);
    }

    #[test]
    fn xml_replaces_what_xml_cannot_hold() {
        assert_eq!(xml("a\u{1}b\tc\nd\u{FFFE}"), "a\u{FFFD}b\tc\nd\u{FFFD}");
        assert_eq!(html("a\u{1}b"), "a\u{1}b");
        assert_eq!(xml("p99 ≤ 300 ✅"), "p99 ≤ 300 ✅");
    }

    #[test]
    fn markdown_escapes_html_only() {
        assert_eq!(
            markdown("a <b> & \"c\" 'd' |"),
            "a &lt;b&gt; &amp; \"c\" 'd' |"
        );
    }
}
