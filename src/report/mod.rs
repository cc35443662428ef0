//! Reports: one exporter per file behind [`Exporter`], all rendered from
//! one immutable [`Report`] (built by [`analysis`]); the
//! [`export::ExportManager`] owns the files and the terminal text. Every
//! report is a pure function of the run directory, so `scaletrace report
//! RUN_DIR` rebuilds them all.
//!
//! To add a new exporter:
//!
//! 1. Add `src/report/<format>.rs` with a unit struct implementing
//!    [`Exporter`]: `file_name` (inside the run directory), `export` (the
//!    bytes, from [`Shared`]: take charts and the terminal text from it
//!    rather than computing them again) and, when the file refers to
//!    others, `companions`.
//! 2. Escape every user or endpoint string with its format's function in
//!    [`escape`] (add one there for a new format).
//! 3. Declare the module below and add the struct to [`exporters`]; the
//!    manager then writes it on every run, `report`, `merge` and
//!    `observe`.
//! 4. Add a snapshot test on the fixed journal in `tests/reports.rs`, and
//!    list the file in the README's "The run directory" table.

pub mod analysis;
pub mod caps;
pub mod charts;
pub mod compare;
pub mod escape;
pub mod export;
pub mod html;
pub mod json;
pub mod junit;
pub mod limits;
pub mod markdown;
pub mod observed;
pub mod sections;
pub mod stream;
pub mod svg;
pub mod table;
pub mod text;
pub mod waterfall;

use std::path::Path;

pub use analysis::{AnalysisError, Report};
pub use export::{ExportError, ExportManager, Shared};
pub use limits::{Limits, LimitsError};

pub trait Exporter {
    /// File name inside the run directory.
    fn file_name(&self) -> &'static str;
    /// The file's bytes.
    fn export(&self, shared: &Shared) -> Vec<u8>;
    /// Files the main one refers to, as (path relative to the run
    /// directory, contents): the chart images beside `report.md`.
    fn companions(&self, _shared: &Shared) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }
    /// This exporter alone, on a report (tests, one-off renders).
    fn render(&self, report: &Report) -> Vec<u8> {
        self.export(&Shared::new(report))
    }
}

/// Every report a run directory gets, in the order they are written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(json::JsonSummary),
        Box::new(text::TextSummary),
        Box::new(html::HtmlReport),
        Box::new(markdown::MarkdownReport),
        Box::new(junit::JunitReport),
    ]
}

/// Writes every report into `dir` with the default manager; returns the
/// terminal text (the same as `summary.txt`).
pub fn write_all(dir: &Path, report: &Report) -> Result<String, ExportError> {
    ExportManager::default().write(dir, report)
}
