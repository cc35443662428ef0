//! Reports: one exporter per file behind [`Exporter`]; [`write_all`] owns
//! the files. Every report is a pure function of the run directory, so
//! `scaletrace report RUN_DIR` rebuilds them all.
//!
//! To add a report: implement [`Exporter`] in a new file here, add it to
//! [`exporters`], and add a snapshot test on the fixed journal.

pub mod charts;
pub mod compare;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sections;
pub mod svg;
pub mod table;
pub mod text;
pub mod waterfall;

use std::path::Path;

use crate::journal::{self, JournalData, JournalError};
use crate::profile::{Gates, Slo};
use crate::summary::{self, Summary};
use crate::timeline::Timeline;
use crate::timeline::lag;

/// What every exporter renders from.
pub struct Report {
    pub data: JournalData,
    /// With the lag analysis and gate verdicts filled in.
    pub summary: Summary,
    pub timeline: Timeline,
    pub slo: Option<Slo>,
}

impl Report {
    /// Builds the report of a journal with no baseline to compare against.
    pub fn build(data: JournalData) -> Result<Report, String> {
        Report::build_with(data, None)
    }

    /// The `[slo]` and `[gates]` the run was made with (from `run.json`).
    pub fn slo_and_gates(data: &JournalData) -> Result<(Option<Slo>, Option<Gates>), String> {
        let get = |k: &str| data.info.profile.get(k).cloned().unwrap_or_default();
        let slo = serde_json::from_value(get("slo")).map_err(|e| format!("run.json: slo: {e}"))?;
        let gates =
            serde_json::from_value(get("gates")).map_err(|e| format!("run.json: gates: {e}"))?;
        Ok((slo, gates))
    }

    /// `baseline`: the `[gates] baseline` summary, or why it can't be read.
    pub fn build_with(
        data: JournalData,
        baseline: Option<Result<Summary, String>>,
    ) -> Result<Report, String> {
        let mut summary = summary::summarize(&data)?;
        let timeline = Timeline::build(&data)?;
        let (slo, gates) = Report::slo_and_gates(&data)?;
        let analysis = lag::analyze(&data, &timeline, slo.as_ref())?;
        summary.lag = analysis.episodes;
        if let Some(sc) = summary.scaling.as_mut() {
            sc.control_plane = analysis.scaling;
        }
        if let Some(g) = &gates {
            summary.gates = crate::gates::evaluate(g, &summary, &timeline, baseline.as_ref());
        }
        Ok(Report {
            data,
            summary,
            timeline,
            slo,
        })
    }
}

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
