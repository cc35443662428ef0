//! Reports: one exporter per file behind [`Exporter`]; [`write_all`] owns
//! the files. Every report is a pure function of the run directory, so
//! `scaletrace report RUN_DIR` rebuilds them all.
//!
//! To add a report: implement [`Exporter`] in a new file here, add it to
//! [`exporters`], and add a snapshot test on the fixed journal.

pub mod analysis;
pub mod charts;
pub mod compare;
pub mod html;
pub mod json;
pub mod junit;
pub mod limits;
pub mod markdown;
pub mod sections;
pub mod svg;
pub mod table;
pub mod text;
pub mod waterfall;

use std::path::Path;

use crate::journal::{self, JournalError};

pub use analysis::Report;
pub use limits::Limits;

pub trait Exporter {
    /// File name inside the run directory.
    fn file_name(&self) -> &'static str;
    fn render(&self, report: &Report) -> Vec<u8>;
    /// Files the main one refers to, as (path relative to the run
    /// directory, contents): the chart images beside `report.md`.
    fn companions(&self, _report: &Report) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }
}

pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(json::JsonSummary),
        Box::new(text::TextSummary),
        Box::new(html::HtmlReport),
        Box::new(markdown::MarkdownReport),
        Box::new(junit::JunitReport),
    ]
}

/// Writes every report into `dir` (each file atomically; a file's
/// companions before it, so no report refers to a file not yet written).
pub fn write_all(dir: &Path, report: &Report) -> Result<(), JournalError> {
    for e in exporters() {
        for (path, bytes) in e.companions(report) {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| JournalError::io(parent, e))?;
            }
            journal::write_atomically(&path, &bytes)?;
        }
        journal::write_atomically(&dir.join(e.file_name()), &e.render(report))?;
    }
    Ok(())
}
