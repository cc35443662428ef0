//! Escaping, one function per output format, so each exporter says which
//! format its user and endpoint strings (profile name, payload, alarm
//! names, reasons) land in:
//!
//! - [`html`]: text and attribute values in `report.html`;
//! - [`xml`]: text and attribute values in XML documents: the SVG charts
//!   (standalone files beside `report.md`, and inline in the HTML, where
//!   the same output is valid) and `junit.xml`;
//! - [`markdown`]: text in `report.md` (GitHub renders inline HTML in it);
//! - [`terminal`]: plain text for a terminal and `summary.txt`.
//!
//! The four agree on ordinary text, so the split changes no report; they
//! differ where the formats do. Control characters are never passed on:
//! XML 1.0 cannot carry most of them even as references, so [`xml`]
//! replaces them (a stray one from an endpoint's message, or a profile
//! name with `\u001b`, would otherwise make the whole file unreadable to
//! a CI's JUnit parser); HTML and Markdown replace them likewise (HTML
//! forbids them, a NUL cuts some viewers' text short); [`terminal`] shows
//! them as `\u{1b}`, so an ESC in a name cannot clear the screen or
//! recolour what follows.

/// `& < > " '` as entities: safe in element text and in quoted attribute
/// values.
pub fn html(s: &str) -> String {
    xml(s)
}

/// `& < > " '` as entities (`&#39;` rather than `&apos;`, which HTML 4
/// lacks, keeps inline SVG valid in the page too), plus every character
/// XML 1.0 does not allow replaced by U+FFFD. HTML allows no more than
/// that, so [`html`] is the same.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_entity(&mut out, if xml_allowed(c) { c } else { '\u{FFFD}' });
    }
    out
}

/// What XML 1.0 (and HTML) can carry: no C0 control but tab and line
/// breaks, no DEL or C1 control, no surrogate or U+FFFE/U+FFFF.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Plain text for a terminal (and `summary.txt`, which is the same text):
/// line breaks and tabs kept, every other control character (C0, DEL, C1:
/// ESC starts the terminal's escape sequences, NUL and form feed are not
/// text) shown as a Rust-style escape, `\u{1b}`.
pub fn terminal(s: &str) -> std::borrow::Cow<'_, str> {
    let is_control = |c: char| c.is_control() && !matches!(c, '\n' | '\t');
    if !s.chars().any(is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// What Markdown renderers would treat as HTML: `&`, `<`, `>`; and, as in
/// [`xml`], control characters replaced by U+FFFD. Table cells escape `|`
/// and line breaks on top of this ([`super::table::Table`]).
pub fn markdown(s: &str) -> String {
    s.chars()
        .map(|c| if xml_allowed(c) { c } else { '\u{FFFD}' })
        .collect::<String>()
        .replace('&', "&amp;")
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
        assert_eq!(
            html("a\u{1}b\u{1b}[2J\u{0}"),
            "a\u{FFFD}b\u{FFFD}[2J\u{FFFD}"
        );
        assert_eq!(markdown("a\u{c}<b>"), "a\u{FFFD}&lt;b&gt;");
        assert_eq!(xml("p99 ≤ 300 ✅"), "p99 ≤ 300 ✅");
    }

    #[test]
    fn terminal_shows_control_characters_as_escapes() {
        assert_eq!(terminal("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(
            terminal("a\u{1b}[2J\u{0}\u{c}\r\u{7f}\u{9b}b"),
            "a\\u{1b}[2J\\u{0}\\u{c}\\u{d}\\u{7f}\\u{9b}b"
        );
    }

    #[test]
    fn markdown_escapes_html_only() {
        assert_eq!(
            markdown("a <b> & \"c\" 'd' |"),
            "a &lt;b&gt; &amp; \"c\" 'd' |"
        );
    }
}
