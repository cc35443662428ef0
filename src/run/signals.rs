//! Signals: SIGINT and SIGTERM heard on a thread of their own, the first
//! one stopping the sending (journaled, with what happens now said on
//! stderr), a second one aborting the run at once.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::clock::RunClock;
use crate::journal::JournalWriter;
use crate::journal::record::{InterruptedRecord, Record};
use crate::run::RunError;

/// Awaits `work` unless a second signal (from [`watch_signals`]) comes
/// first; then flushes what the journal holds and returns
/// [`RunError::Aborted`] at once, dropping the work mid-way. Either way the
/// signal watcher stops here: a signal while the reports are written is
/// not "at once" any more.
pub(crate) async fn unless_second_signal<T>(
    mut signals: tokio::task::JoinHandle<&'static str>,
    journal: &Mutex<JournalWriter>,
    work: impl std::future::Future<Output = Result<T, RunError>>,
) -> Result<T, RunError> {
    let out = tokio::select! {
        biased;
        second = &mut signals => {
            if let Ok(mut j) = journal.lock() {
                let _ = j.flush();
            }
            Err(RunError::Aborted {
                signal: second.unwrap_or("signal"),
            })
        }
        r = work => r,
    };
    signals.abort();
    out
}

/// First signal: note it in the journal and stop sending, saying what
/// happens now (`stopping`: a run waits for its requests in flight, if
/// any; `observe` has none). Second: say so and return its name (the run
/// then aborts, exit 130).
pub(crate) async fn watch_signals(
    stop: watch::Sender<bool>,
    journal: Arc<Mutex<JournalWriter>>,
    clock: RunClock,
    stopping: impl Fn() -> String + Send + 'static,
) -> &'static str {
    let mut signals = Signals::new();
    let name = signals.next().await;
    eprintln!("\nscaletrace: {name} received: {}", stopping());
    if let Ok(mut j) = journal.lock() {
        let _ = j.write(&Record::Interrupted(InterruptedRecord {
            t: clock.now_s(),
            signal: name.into(),
        }));
        let _ = j.flush();
    }
    let _ = stop.send(true);
    let name = signals.next().await;
    eprintln!("\nscaletrace: second {name}, exiting now; the run directory holds what was flushed");
    name
}

/// What the first signal's line says: the wait for requests in flight
/// only when there are some.
pub(crate) fn stopping_words(in_flight: u64) -> String {
    match in_flight {
        0 => "stopping (again to exit at once)".into(),
        1 => "stopping, waiting for 1 request in flight (again to exit at once)".into(),
        n => format!("stopping, waiting for {n} requests in flight (again to exit at once)"),
    }
}

/// SIGINT and SIGTERM, registered once for the whole run, and heard on a
/// thread of their own: tokio's signals need its I/O driver, which the
/// simulator's runtime goes without (see [`run`]).
#[cfg(unix)]
struct Signals {
    names: tokio::sync::mpsc::UnboundedReceiver<&'static str>,
    /// Dropping it ends the listening thread.
    _done: tokio::sync::oneshot::Sender<()>,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let (tx, names) = tokio::sync::mpsc::unbounded_channel();
        let (done, mut done_rx) = tokio::sync::oneshot::channel::<()>();
        let (registered_tx, registered) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("scaletrace-signals".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                    .expect("signal runtime");
                rt.block_on(async move {
                    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
                    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
                    let _ = registered_tx.send(());
                    loop {
                        let name = tokio::select! {
                            biased;
                            _ = &mut done_rx => return,
                            _ = int.recv() => "SIGINT",
                            _ = term.recv() => "SIGTERM",
                        };
                        if tx.send(name).is_err() {
                            return;
                        }
                    }
                });
            })
            .expect("signal thread");
        // Handlers are in place before the run goes on, as when they were
        // registered on the run's own runtime.
        let _ = registered.recv();
        Signals { names, _done: done }
    }

    async fn next(&mut self) -> &'static str {
        match self.names.recv().await {
            Some(name) => name,
            None => std::future::pending().await,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Signals {
        Signals
    }

    async fn next(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::unless_second_signal;
    use crate::journal::JournalWriter;
    use crate::journal::record::{Record, WarningRecord};
    use crate::run::RunError;

    #[test]
    fn a_second_signal_aborts_the_work_and_flushes_the_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let journal = Mutex::new(JournalWriter::create(tmp.path()).unwrap());
        journal
            .lock()
            .unwrap()
            .write(&Record::Warning(WarningRecord {
                t: 1.0,
                message: "buffered".into(),
            }))
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            let second = tokio::spawn(async { "SIGINT" });
            unless_second_signal(
                second,
                &journal,
                std::future::pending::<Result<(), RunError>>(),
            )
            .await
        });
        let e = out.unwrap_err();
        assert!(matches!(e, RunError::Aborted { signal: "SIGINT" }), "{e}");
        assert_eq!(e.exit_code(), crate::exit::INTERRUPTED);
        let lines = std::fs::read_to_string(tmp.path().join(crate::journal::JOURNAL_FILE)).unwrap();
        assert!(lines.contains("buffered"), "{lines}");
    }

    #[test]
    fn the_stop_line_mentions_requests_in_flight_only_when_there_are_some() {
        assert_eq!(super::stopping_words(0), "stopping (again to exit at once)");
        assert!(super::stopping_words(1).contains("1 request in flight"));
        assert!(super::stopping_words(12).contains("12 requests in flight"));
    }

    #[test]
    fn without_a_second_signal_the_work_finishes() {
        let tmp = tempfile::tempdir().unwrap();
        let journal = Mutex::new(JournalWriter::create(tmp.path()).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            let never = tokio::spawn(std::future::pending::<&'static str>());
            unless_second_signal(never, &journal, async { Ok::<_, RunError>(7) }).await
        });
        assert_eq!(out.unwrap(), 7);
    }
}
