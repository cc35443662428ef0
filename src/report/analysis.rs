//! The analysis step: a journal and the run's typed [`Limits`] become one
//! immutable [`Report`], built once, that every exporter renders from.
//!
//! Order matters and is fixed here: the timeline, then the lag analysis
//! (which needs the `[slo]`; an observe-only run's recovery links judged on
//! the observed latency, [`crate::timeline::load::judge_observed_slo`]), then the measures (which carry the lag
//! chains and control-plane numbers), then the gate verdicts on those
//! measures. Each step's output is complete when the next one reads it;
//! nothing is filled in afterwards.

use super::limits::{Limits, LimitsError};
use crate::compare::SummaryFileError;
use crate::journal::JournalData;
use crate::profile::Slo;
use crate::summary::{self, Summary, SummaryError};
use crate::timeline::Timeline;
use crate::timeline::lag;

/// Why a journal can't be analysed; the messages are the parts' own.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// `run.json`'s `[slo]` or `[gates]`.
    #[error(transparent)]
    Limits(#[from] LimitsError),
    /// The timeline or the lag analysis (their messages name the record).
    #[error(transparent)]
    Timeline(crate::timeline::TimelineError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
}

/// What every exporter renders from.
pub struct Report {
    pub data: JournalData,
    /// The measures (with the lag analysis) and the gate verdicts.
    pub summary: Summary,
    pub timeline: Timeline,
    pub slo: Option<Slo>,
}

impl Report {
    /// The report of a journal judged by the limits in its `run.json`, with
    /// no baseline to compare against.
    pub fn build(data: JournalData) -> Result<Report, AnalysisError> {
        let limits = Limits::from_run_json(&data)?;
        Report::analyse(data, limits, None)
    }

    /// `baseline`: the `[gates] baseline` summary, or why it can't be read.
    pub fn analyse(
        data: JournalData,
        limits: Limits,
        baseline: Option<Result<Summary, SummaryFileError>>,
    ) -> Result<Report, AnalysisError> {
        let Limits { slo, gates } = limits;
        let timeline = Timeline::build(&data).map_err(AnalysisError::Timeline)?;
        let mut lag =
            lag::analyze(&data, &timeline, slo.as_ref()).map_err(AnalysisError::Timeline)?;
        // An observe-only run has no intervals of its own: its chains'
        // "back within SLO" is judged on the observed latency and errors.
        if let Some(slo) = &slo
            && timeline.intervals.is_empty()
            && timeline.phases.is_empty()
        {
            crate::timeline::load::judge_observed_slo(
                &mut lag,
                &timeline,
                slo,
                data.info.started_at,
            );
        }
        let measures = summary::measure(&data, lag)?;
        let verdicts = gates
            .map(|g| crate::gates::evaluate(&g, &measures, &timeline, baseline.as_ref()))
            .unwrap_or_default();
        Ok(Report {
            summary: Summary::new(measures, verdicts),
            data,
            timeline,
            slo,
        })
    }
}
