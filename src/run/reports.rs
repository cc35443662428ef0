//! The reports of a run directory: read the journal back (streaming, with
//! a progress bar), analyse it once, write every exporter's file.

use std::path::Path;

use crate::journal::{self, JournalData};
use crate::progress::ReportProgress;
use crate::report::{Limits, Report};
use crate::run::{Reported, RunError};

/// Reads a run directory back and writes every report into it, judged by
/// the `[slo]`/`[gates]` its `run.json` recorded (`scaletrace report`).
pub fn build_reports(dir: &Path) -> Result<Reported, RunError> {
    let mut progress = ReportProgress::new(false);
    let data = read_journal(dir, &mut progress)?;
    let limits = Limits::from_run_json(&data)
        .map_err(|e| RunError::BadInput(format!("{}: {e}", dir.display())))?;
    report_on(dir, data, limits, &mut progress)
}

/// Reads the run directory, streaming, with the progress bar over its bytes.
fn read_journal(dir: &Path, progress: &mut ReportProgress) -> Result<JournalData, RunError> {
    journal::read_run_dir_with(dir, &mut |done, total| {
        progress.update(done, total, "reading the journal")
    })
    .map_err(|e| RunError::BadInput(e.to_string()))
}

/// Reads a run directory back and writes every report into it, judged by
/// `limits` (a run's typed profile sections, in memory).
pub(crate) fn write_reports(dir: &Path, limits: Limits) -> Result<Reported, RunError> {
    let mut progress = ReportProgress::new(false);
    let data = read_journal(dir, &mut progress)?;
    report_on(dir, data, limits, &mut progress)
}

fn report_on(
    dir: &Path,
    data: JournalData,
    limits: Limits,
    progress: &mut ReportProgress,
) -> Result<Reported, RunError> {
    progress.step("analysing");
    let bad =
        |e: crate::report::AnalysisError| RunError::BadInput(format!("{}: {e}", dir.display()));
    let baseline = limits
        .gates
        .as_ref()
        .and_then(|g| g.baseline.as_deref())
        .map(crate::compare::load_summary);
    let report = Report::analyse(data, limits, baseline).map_err(bad)?;
    progress.step("writing the reports");
    let terminal = crate::report::ExportManager::default()
        .write(dir, &report)
        .map_err(|e| RunError::Broke(e.to_string()))?;
    Ok(Reported { report, terminal })
}
