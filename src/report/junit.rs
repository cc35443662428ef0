//! `junit.xml`: one test case per gate, for CI systems that show JUnit
//! results. A run without gates gets one passing case saying so. Every
//! string escaped as XML ([`super::escape::xml`]).
//!
//! Hand-written rather than with the `quick-junit` crate: its serializer
//! indents by four spaces, adds a `disabled` attribute to the suite, puts
//! `name` before `classname`, writes `time` with three decimals and the
//! timestamp as `+00:00`, and closes an empty `<failure/>`, so `junit.xml`
//! (a snapshot test, and what CI jobs already parse) would change.

use std::fmt::Write;

use super::escape::xml as escape;
use super::{Exporter, Report, Shared};

pub struct JunitReport;

impl Exporter for JunitReport {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }

    fn export(&self, shared: &Shared) -> Vec<u8> {
        render_junit(shared.report).into_bytes()
    }
}

pub fn render_junit(report: &Report) -> String {
    let s = &report.summary;
    let failures = s.failed_gates().count();
    let tests = s.gates.len().max(1);
    let suite = escape(&format!("scaletrace.{}", s.name));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"scaletrace\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" timestamp=\"{}\" time=\"{}\">",
        escape(&s.started_at),
        s.duration_s
    );
    if s.gates.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase classname=\"{suite}\" name=\"no gates\">\n      <system-out>The profile has no [gates] section.</system-out>\n    </testcase>"
        );
    }
    for g in &s.gates {
        let _ = write!(
            out,
            "    <testcase classname=\"{suite}\" name=\"{}\"",
            escape(&g.name)
        );
        if g.passed {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}</system-out>\n    </testcase>",
                escape(&g.line())
            );
        } else {
            let _ = writeln!(
                out,
                ">\n      <failure message=\"{}\" type=\"gate\">{}</failure>\n    </testcase>",
                escape(&g.line()),
                escape(g.note.as_deref().unwrap_or(""))
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
