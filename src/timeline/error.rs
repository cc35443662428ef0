//! Why the timeline (or a window of it) can't be built from a journal: an
//! interval's latency histogram that doesn't decode or doesn't merge. The
//! lag analysis reads windows, so it fails the same ways.

use hdrhistogram::errors::AdditionError;

use crate::histogram::HistogramError;

/// A journal interval whose latency can't be read. The messages are the
/// histogram errors' own, as the journal tools always printed them.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    /// An interval's `latency` is not a histogram.
    #[error(transparent)]
    Histogram(#[from] HistogramError),
    /// Two intervals' histograms can't be merged (a value out of range).
    /// Shown in `Debug` form: hdrhistogram's `Display` says less.
    #[error("{0:?}")]
    Merge(#[source] AdditionError),
}

impl From<AdditionError> for TimelineError {
    fn from(e: AdditionError) -> TimelineError {
        TimelineError::Merge(e)
    }
}
