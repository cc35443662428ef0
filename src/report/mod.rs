//! Reports: one exporter per file behind [`Exporter`]; [`write_all`] owns
//! the files. Every report is a pure function of the run directory, so
//! `scaletrace report RUN_DIR` rebuilds them all.
//!
//! To add a report: implement [`Exporter`] in a new file here, add it to
//! [`exporters`], and add a snapshot test on the fixed journal.

pub mod json;
pub mod text;

use std::path::Path;

use crate::journal::{self, JournalData, JournalError};
use crate::summary::{self, Summary};

/// What every exporter renders from.
pub struct Report {
    pub data: JournalData,
    pub summary: Summary,
}

impl Report {
    pub fn build(data: JournalData) -> Result<Report, String> {
        let summary = summary::summarize(&data)?;
        Ok(Report { data, summary })
    }
}

pub trait Exporter {
    /// File name inside the run directory.
    fn file_name(&self) -> &'static str;
    fn render(&self, report: &Report) -> Vec<u8>;
}

pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![Box::new(json::JsonSummary), Box::new(text::TextSummary)]
}

/// Writes every report into `dir` (each atomically).
pub fn write_all(dir: &Path, report: &Report) -> Result<(), JournalError> {
    for e in exporters() {
        journal::write_atomically(&dir.join(e.file_name()), &e.render(report))?;
    }
    Ok(())
}
