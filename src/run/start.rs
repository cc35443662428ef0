//! Waiting for a `--start-at` instant, and journaling how it was met.
//!
//! The wait comes before the dispatcher, timekeeper and observer start, so
//! none of them has to know about it: they all begin at the shared time
//! zero. On a terminal the wait shows a countdown (pods often wait
//! minutes for the last one to be scheduled); without one, a single line.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use tokio::time::Instant;

use super::RunError;
use crate::journal::JournalWriter;
use crate::journal::record::{Record, StartRecord, WarningRecord};
use crate::schedule::start::{Begin, StartAt};

/// How the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Waited {
    /// Time zero has come (or had passed: a late start).
    Started,
    /// A signal came first: the run ends without sending.
    Stopped,
}

/// Waits until `begin.origin`, or until `stop` turns true.
pub(super) async fn wait(
    begin: &Begin,
    at: &StartAt,
    quiet: bool,
    stop: &mut watch::Receiver<bool>,
) -> Waited {
    if begin.wait.is_zero() {
        return Waited::Started;
    }
    let tty = !quiet && std::io::stderr().is_terminal();
    if !quiet && !tty {
        eprintln!("{}", countdown_line(begin.wait, at.instant));
    }
    loop {
        if *stop.borrow() {
            clear(tty);
            return Waited::Stopped;
        }
        let now = Instant::now();
        if now >= begin.origin {
            clear(tty);
            return Waited::Started;
        }
        let remaining = begin.origin - now;
        // On a terminal, wake on each whole second left, to redraw.
        let next = if tty {
            eprint!("\r\x1b[2K{}", countdown_line(remaining, at.instant));
            let _ = std::io::stderr().flush();
            let whole = Duration::from_secs(remaining.as_secs_f64().ceil() as u64 - 1);
            begin.origin - whole
        } else {
            begin.origin
        };
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() {
                    // No signal watcher any more: nothing can stop the wait.
                    tokio::time::sleep_until(begin.origin).await;
                }
            }
            _ = tokio::time::sleep_until(next) => {}
        }
    }
}

fn clear(tty: bool) {
    if tty {
        eprint!("\r\x1b[2K");
        let _ = std::io::stderr().flush();
    }
}

/// `scaletrace: starting in 12s, at 2026-12-03T18:00:00.000Z (--start-at)`:
/// whole seconds, rounded up, so it never reads 0 before the start.
pub(super) fn countdown_line(remaining: Duration, at: DateTime<Utc>) -> String {
    let s = remaining.as_secs_f64().ceil() as u64;
    format!(
        "scaletrace: starting in {}, at {} (--start-at)",
        humantime::format_duration(Duration::from_secs(s)),
        crate::clock::rfc3339(at)
    )
}

/// Journals how the start instant was met: the `start` line, and for a
/// late start a warning that the plan's first part was not sent.
pub(super) fn journal(
    journal: &Mutex<JournalWriter>,
    at: &StartAt,
    begin: &Begin,
) -> Result<(), RunError> {
    let late_s = begin.late.as_secs_f64();
    let mut j = journal.lock().expect("journal lock");
    let broke = |e: crate::journal::JournalError| RunError::Broke(e.to_string());
    j.write(&Record::Start(StartRecord {
        t: late_s,
        start_at: at.instant,
        given: at.given.clone(),
        waited_s: begin.wait.as_secs_f64(),
        late_s,
    }))
    .map_err(broke)?;
    if !begin.late.is_zero() {
        j.write(&Record::Warning(WarningRecord {
            t: late_s,
            message: late_message(begin.late, at),
        }))
        .map_err(broke)?;
    }
    j.flush().map_err(broke)
}

fn late_message(late: Duration, at: &StartAt) -> String {
    let late = crate::format::fmt(late.as_secs_f64());
    format!(
        "started {late} s after --start-at {}: the plan was not shifted; its sends before t = {late} s were not sent",
        crate::clock::rfc3339(at.instant),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> StartAt {
        StartAt::parse_with("2026-12-03T18:00:00Z", |_| None).unwrap()
    }

    #[test]
    fn the_countdown_rounds_up_to_whole_seconds() {
        let t = at().instant;
        assert_eq!(
            countdown_line(Duration::from_millis(11_200), t),
            "scaletrace: starting in 12s, at 2026-12-03T18:00:00.000Z (--start-at)"
        );
        assert!(countdown_line(Duration::from_millis(1), t).contains("in 1s"));
        assert!(countdown_line(Duration::from_secs(90), t).contains("in 1m 30s"));
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_time_zero_exactly() {
        let now = Instant::now();
        let begin = Begin {
            origin: now + Duration::from_millis(3500),
            wait: Duration::from_millis(3500),
            late: Duration::ZERO,
        };
        let (_tx, mut rx) = watch::channel(false);
        assert_eq!(wait(&begin, &at(), true, &mut rx).await, Waited::Started);
        assert_eq!(Instant::now(), begin.origin);
    }

    #[tokio::test(start_paused = true)]
    async fn a_signal_ends_the_wait_at_once() {
        let now = Instant::now();
        let begin = Begin {
            origin: now + Duration::from_secs(60),
            wait: Duration::from_secs(60),
            late: Duration::ZERO,
        };
        let (tx, mut rx) = watch::channel(false);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = tx.send(true);
            // Kept alive past the wait, as the signal watcher is.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        assert_eq!(wait(&begin, &at(), true, &mut rx).await, Waited::Stopped);
        assert_eq!(Instant::now(), now + Duration::from_secs(2));
    }

    #[test]
    fn a_late_start_is_journaled_with_its_lateness() {
        let tmp = tempfile::tempdir().unwrap();
        let j = Mutex::new(JournalWriter::create(tmp.path()).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let begin = Begin {
            origin: rt.block_on(async { Instant::now() }),
            wait: Duration::ZERO,
            late: Duration::from_millis(2250),
        };
        journal(&j, &at(), &begin).unwrap();
        let lines = std::fs::read_to_string(tmp.path().join(crate::journal::JOURNAL_FILE)).unwrap();
        let records: Vec<Record> = lines
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            records[0],
            Record::Start(StartRecord {
                t: 2.25,
                start_at: at().instant,
                given: "2026-12-03T18:00:00Z".into(),
                waited_s: 0.0,
                late_s: 2.25,
            })
        );
        let Record::Warning(w) = &records[1] else {
            panic!("{records:?}")
        };
        assert_eq!(w.t, 2.25);
        assert!(
            w.message
                .starts_with("started 2.25 s after --start-at 2026-12-03T18:00:00.000Z"),
            "{}",
            w.message
        );
    }
}
