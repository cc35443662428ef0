//! The journal as the recording tasks share it: a failed write stops the
//! run's sending at once.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::journal::record::Record;
use crate::journal::{self, JournalWriter};
use crate::run::RunError;

/// The journal as the recording tasks share it, with the run's stop: the
/// first write that fails stops the sending at once (within the interval
/// that failed, not at the end of the schedule), and the task then returns
/// [`RunError::Journal`].
#[derive(Clone)]
pub(crate) struct JournalStop {
    journal: Arc<Mutex<JournalWriter>>,
    stop: watch::Sender<bool>,
    /// The failure is said once, whichever task meets it first.
    said: Arc<std::sync::atomic::AtomicBool>,
}

impl JournalStop {
    pub(crate) fn new(journal: Arc<Mutex<JournalWriter>>, stop: watch::Sender<bool>) -> Self {
        JournalStop {
            journal,
            stop,
            said: Arc::default(),
        }
    }

    /// Writes the records and flushes, under one lock.
    pub(crate) fn write_all<'r>(
        &self,
        records: impl IntoIterator<Item = &'r Record>,
    ) -> Result<(), RunError> {
        let mut j = self.journal.lock().expect("journal lock");
        let res = records
            .into_iter()
            .try_for_each(|r| j.write(r))
            .and_then(|_| j.flush());
        res.map_err(|e| self.failed(e))
    }

    /// Stops the sending and says so on stderr at once (the progress line
    /// would otherwise just freeze); the error ends the run with exit 3.
    fn failed(&self, e: journal::JournalError) -> RunError {
        self.stop.send_replace(true);
        if !self.said.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!(
                "\nscaletrace: cannot write the journal: {e}; stopped sending, waiting for requests in flight"
            );
        }
        RunError::Journal(e)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use crate::journal::JournalWriter;
    use crate::journal::record::{Record, WarningRecord};

    #[test]
    fn a_journal_that_cannot_be_written_stops_the_sending() {
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::StorageFull.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let journal = JournalWriter::to_sink("/full/journal.jsonl".into(), Box::new(Full));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let j = super::JournalStop::new(std::sync::Arc::new(Mutex::new(journal)), stop);
        let e = j
            .write_all(&[Record::Warning(WarningRecord {
                t: 0.0,
                message: "x".into(),
            })])
            .unwrap_err();
        assert!(*stopped.borrow());
        assert_eq!(e.exit_code(), crate::exit::BROKE);
        assert!(e.to_string().contains("/full/journal.jsonl: "), "{e}");
    }
}
