//! The observer's loop in a run or an `observe`: poll at its interval,
//! journal what is new, and on finishing give the poll in flight a short
//! grace.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::RunClock;
use crate::observe::Observer;
use crate::progress::Observed;
use crate::run::{JournalStop, RunError};

/// How long the observer may still take once told to finish: the poll in
/// flight (or, when it was between polls, one last poll) gets this long,
/// then it is dropped, HTTP calls and all. Under throttling one poll's
/// calls with their retries and back-off can take minutes; waiting for it
/// made `observe` exit half a minute after Ctrl-C or its `--duration`.
pub(crate) const FINAL_POLL_GRACE: Duration = Duration::from_secs(1);

/// Polls the observer at its interval, journaling what is new, until told
/// to finish; then lets the poll in flight, or one last poll, run for at
/// most [`FINAL_POLL_GRACE`]. A poll cut short journals what it had read
/// ([`Observer::take_unfinished`]).
pub(crate) async fn observe_loop(
    mut observer: Box<dyn Observer>,
    clock: RunClock,
    journal: JournalStop,
    mut finish: watch::Receiver<bool>,
    seen: Arc<Mutex<Observed>>,
) -> Result<(), RunError> {
    loop {
        let finished = *finish.borrow_and_update();
        let records = {
            let mut poll = observer.poll(&clock);
            if finished {
                tokio::time::timeout(FINAL_POLL_GRACE, poll).await.ok()
            } else {
                tokio::select! {
                    biased;
                    r = &mut poll => Some(r),
                    // A dropped sender is a finish too.
                    _ = finish.changed() => {
                        tokio::time::timeout(FINAL_POLL_GRACE, poll).await.ok()
                    }
                }
            }
        };
        // A poll cut short hands over what it had read.
        let records = records.unwrap_or_else(|| observer.take_unfinished());
        journal.write_all(&records)?;
        {
            let mut o = seen.lock().expect("observed lock");
            records.iter().for_each(|r| o.absorb(r));
        }
        if finished || *finish.borrow() || finish.has_changed().is_err() {
            journal.write_all(&observer.closing(clock.now_s()))?;
            return Ok(());
        }
        let interval = observer.interval();
        tokio::select! {
            biased;
            _ = tokio::time::sleep(interval) => {}
            _ = finish.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use crate::journal::JournalWriter;
    use crate::journal::record::{Record, WarningRecord};

    /// An observer whose every poll takes a minute (throttled calls, their
    /// retries and back-off), and counts the polls that completed.
    struct Slow {
        took: std::time::Duration,
        done: std::sync::Arc<std::sync::atomic::AtomicU32>,
    }

    impl crate::observe::Observer for Slow {
        fn interval(&self) -> std::time::Duration {
            std::time::Duration::from_secs(10)
        }
        fn poll<'a>(
            &'a mut self,
            clock: &'a crate::clock::RunClock,
        ) -> futures::future::BoxFuture<'a, Vec<Record>> {
            Box::pin(async move {
                tokio::time::sleep(self.took).await;
                self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                vec![Record::Warning(WarningRecord {
                    t: clock.now_s(),
                    message: "polled".into(),
                })]
            })
        }
    }

    fn observe_for(
        took: std::time::Duration,
        finish_at: std::time::Duration,
    ) -> (std::time::Duration, u32, String) {
        let tmp = tempfile::tempdir().unwrap();
        let journal = std::sync::Arc::new(Mutex::new(JournalWriter::create(tmp.path()).unwrap()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let took_until_end = rt.block_on(async {
            let (stop, _stopped) = tokio::sync::watch::channel(false);
            let (finish_tx, finish_rx) = tokio::sync::watch::channel(false);
            let start = tokio::time::Instant::now();
            let task = tokio::spawn(super::observe_loop(
                Box::new(Slow {
                    took,
                    done: done.clone(),
                }),
                crate::clock::RunClock::start(),
                crate::run::JournalStop::new(journal.clone(), stop),
                finish_rx,
                Default::default(),
            ));
            tokio::time::sleep(finish_at).await;
            finish_tx.send(true).unwrap();
            task.await.unwrap().unwrap();
            start.elapsed()
        });
        let lines = std::fs::read_to_string(tmp.path().join(crate::journal::JOURNAL_FILE)).unwrap();
        (
            took_until_end,
            done.load(std::sync::atomic::Ordering::SeqCst),
            lines,
        )
    }

    #[test]
    fn finishing_cancels_a_poll_in_flight_within_the_grace() {
        let s = std::time::Duration::from_secs;
        // Polls of 60 s; finish at 20 s, in the middle of the first.
        let (took, done, lines) = observe_for(s(60), s(20));
        assert!(took <= s(20) + super::FINAL_POLL_GRACE, "{took:?}");
        assert_eq!(done, 0);
        assert!(!lines.contains("polled"), "{lines}");
    }

    #[test]
    fn finishing_between_quick_polls_still_takes_a_last_one() {
        let ms = std::time::Duration::from_millis;
        // Polls of 200 ms every 10 s: at 0, 10.2, 20.4; finish at 25 s.
        let (took, done, lines) = observe_for(ms(200), ms(25_000));
        assert_eq!(took, ms(25_200));
        assert_eq!(done, 4);
        assert_eq!(lines.matches("polled").count(), 4, "{lines}");
    }
}
