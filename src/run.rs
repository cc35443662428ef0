//! A run, start to finish: profile → run directory → target (and observer)
//! → schedule → invoker → journal → reports.
//!
//! Real targets run on the wall clock; the simulator runs on a paused tokio
//! clock, where sleeping advances virtual time as soon as every task is
//! idle, so thirty simulated minutes take seconds through the very same
//! invoker, recorder, observer loop and journal.
//!
//! Signals: the first SIGINT/SIGTERM stops sending, waits for requests in
//! flight (each bounded by the timeout), writes the journal and reports, and
//! the run ends as interrupted (exit 130). A second signal stops at once:
//! the run returns [`RunError::Aborted`] (exit 130 too) without reports;
//! the journal, flushed every interval and once more then, still reads
//! back.
//!
//! With `--start-at` ([`run_at`]) the schedule's time zero is a given UTC
//! instant shared by every shard: the run waits for it once the target is
//! ready ([`start`]), and a run that arrives late starts mid-plan.

mod journal_stop;
mod observe_loop;
mod reports;
mod signals;
mod start;
mod timekeeper;

pub(crate) use journal_stop::JournalStop;
pub(crate) use observe_loop::observe_loop;
pub use reports::build_reports;
pub(crate) use reports::write_reports;
use signals::stopping_words;
pub(crate) use signals::{unless_second_signal, watch_signals};
use timekeeper::{Abort, Timekeeping, phase_boundaries, timekeeper};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::clock::RunClock;
use crate::invoke::{DispatchEnd, Drive, Driver, InvokerConfig};
use crate::journal::record::{EndRecord, Record};
use crate::journal::{self, JournalWriter, RunInfo};
use crate::payload::Payloads;
use crate::profile::Profile;
use crate::progress::{Observed, Progress};
use crate::recorder::Recorder;
use crate::report::{Limits, Report};
use crate::schedule::start::StartAt;
use crate::schedule::{Schedule, Shard};

/// One recording interval.
pub const INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Exactly this run directory; otherwise `<reports_root>/<UTC>-<name>/`.
    pub run_dir: Option<PathBuf>,
    pub reports_root: PathBuf,
    pub quiet: bool,
    pub shard: Shard,
    /// The UTC time journal time 0 maps to; default now. A simulated run
    /// with a fixed start and seed writes a byte-identical journal.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Completed,
    Interrupted,
}

pub struct RunResult {
    pub dir: PathBuf,
    pub end: RunEnd,
    pub report: Report,
    /// The terminal summary, the same text as `summary.txt`.
    pub terminal: String,
}

/// A run directory's reports, as the export manager wrote them.
pub struct Reported {
    pub report: Report,
    /// The terminal summary, rendered once for `summary.txt` and stdout.
    pub terminal: String,
}

/// Why a run could not be done; each maps to an exit code.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad profile, flags or payload files (exit 2).
    #[error("{0}")]
    BadInput(String),
    /// The target can't be reached or set up, or writing failed (exit 3).
    #[error("{0}")]
    Broke(String),
    /// A second SIGINT/SIGTERM: stopped at once, without reports; the
    /// journal holds what was flushed (exit 130, like the first signal).
    #[error("second {signal}: stopped at once")]
    Aborted { signal: &'static str },
    /// The journal could not be written (a full disk): sending stopped at
    /// once, the requests in flight were waited for, and no report was
    /// written, since reports are read from the journal (exit 3).
    #[error("cannot write the journal, so the run stopped: {0}")]
    Journal(#[source] journal::JournalError),
}

impl RunError {
    /// The process exit code ([`crate::exit`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::BadInput(_) => crate::exit::BAD_INPUT,
            RunError::Broke(_) | RunError::Journal(_) => crate::exit::BROKE,
            RunError::Aborted { .. } => crate::exit::INTERRUPTED,
        }
    }
}

/// Runs a profile to the end (or to a signal) and writes every report.
pub fn run(profile: Profile, opts: RunOptions) -> Result<RunResult, RunError> {
    run_at(profile, opts, None)
}

/// [`run`], with the schedule's time zero at `start_at` when given
/// (`--start-at`): the same instant on every shard.
pub fn run_at(
    profile: Profile,
    opts: RunOptions,
    start_at: Option<StartAt>,
) -> Result<RunResult, RunError> {
    run_driven(profile, opts, start_at, Drive::Open)
}

/// [`run`] with exactly `concurrency` requests in flight for the length of
/// the plan instead of its rates (`capacity --concurrency`,
/// [`crate::invoke::ClosedLoop`]).
pub fn run_closed_loop(
    profile: Profile,
    opts: RunOptions,
    concurrency: std::num::NonZeroUsize,
) -> Result<RunResult, RunError> {
    run_driven(profile, opts, None, Drive::Closed { concurrency })
}

fn run_driven(
    profile: Profile,
    opts: RunOptions,
    start_at: Option<StartAt>,
    drive: Drive,
) -> Result<RunResult, RunError> {
    let simulated = crate::deploy::is_simulated(&profile.target);
    let mut builder = tokio::runtime::Builder::new_current_thread();
    if simulated {
        // Timers only: with an I/O driver, every auto-advance of the paused
        // clock first polls epoll (one syscall per simulated instant, about
        // 60 % of a simulated run's CPU); without one that poll is a no-op.
        // Nothing simulated does I/O on the runtime; signals have their own
        // thread ([`Signals`]).
        builder.enable_time().start_paused(true);
    } else {
        builder.enable_all();
    }
    let runtime = builder
        .build()
        .map_err(|e| RunError::Broke(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(run_async(profile, opts, simulated, start_at, drive));
    // Simulator tasks tick forever on the virtual clock; don't wait for them.
    runtime.shutdown_background();
    result
}

/// Default run directory name: `20261122T105709Z-demo`.
pub fn default_run_dir(
    root: &Path,
    name: &str,
    started_at: chrono::DateTime<chrono::Utc>,
) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    root.join(format!("{}-{safe}", started_at.format("%Y%m%dT%H%M%SZ")))
}

async fn run_async(
    profile: Profile,
    opts: RunOptions,
    simulated: bool,
    start_at: Option<StartAt>,
    drive: Drive,
) -> Result<RunResult, RunError> {
    // Judged by the profile in hand, not by reading run.json back.
    let limits = Limits::of(&profile);
    let mut payloads = Payloads::load(&profile.payload, &profile.base_dir(), profile.load.seed)
        .map_err(|e| RunError::BadInput(e.to_string()))?;
    let mut clock = RunClock::start();
    if let Some(at) = opts.started_at {
        clock.started_at = at;
    }

    if opts.shard.count > 1 && simulated {
        return Err(RunError::BadInput(format!(
            "--shard {}/{}: the simulated endpoint runs whole in one process; shard HTTP and SageMaker targets",
            opts.shard.index, opts.shard.count
        )));
    }
    if let (Some(at), true) = (&start_at, simulated) {
        return Err(RunError::BadInput(format!(
            "--start-at {}: the simulated endpoint runs on its own virtual clock, with nothing to line up; use --start-at with HTTP and SageMaker targets",
            at.given
        )));
    }
    let total = profile.load.total_duration();
    let crate::deploy::Deployment { target, observer } = crate::deploy::build(&profile, clock)
        .await
        .map_err(|e| RunError::Broke(e.to_string()))?;
    target
        .ready()
        .await
        .map_err(|e| RunError::Broke(e.to_string()))?;
    // One shard observes: the others would only repeat its API calls
    // (and share its throttling quota); `merge` keeps shard 0's.
    let observer = observer.filter(|_| opts.shard.index == 0);
    // Decided once the target is ready, so the time spent getting ready
    // counts towards arriving late.
    let begin = match &start_at {
        Some(at) => {
            let begin = at
                .begin(Instant::now(), chrono::Utc::now(), total)
                .map_err(|e| RunError::BadInput(e.to_string()))?;
            clock.origin = begin.origin;
            clock.started_at = at.instant;
            Some(begin)
        }
        None => None,
    };

    let dir = opts
        .run_dir
        .clone()
        .unwrap_or_else(|| default_run_dir(&opts.reports_root, &profile.name, clock.started_at));
    let info = RunInfo {
        schema: RunInfo::SCHEMA.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: clock.started_at,
        host: gethostname::gethostname().to_string_lossy().into_owned(),
        clock: if simulated { "virtual" } else { "wall" }.into(),
        shard: format!("{}/{}", opts.shard.index, opts.shard.count),
        profile: serde_json::to_value(&profile).expect("profile serializes"),
    };
    journal::create_run_dir(&dir, &info).map_err(|e| RunError::Broke(e.to_string()))?;
    let mut writer = JournalWriter::create(&dir).map_err(|e| RunError::Broke(e.to_string()))?;
    // The first phase's start goes to the OS before the first request (the
    // timekeeper writes the later boundaries): a run killed in its first
    // second then still reads as a load run, not as an observe-only one.
    for (_, r) in phase_boundaries(&profile.load.phases)
        .into_iter()
        .take_while(|(w, _)| w.is_zero())
    {
        writer
            .write(&Record::Phase(r))
            .map_err(|e| RunError::Broke(e.to_string()))?;
    }
    writer.flush().map_err(|e| RunError::Broke(e.to_string()))?;
    let journal = Arc::new(Mutex::new(writer));
    let recorder = Arc::new(Mutex::new(if simulated {
        Recorder::new()
    } else {
        Recorder::with_send_lag()
    }));

    // The observer's tail runs after the load: the banner and the progress
    // count it, so `--duration 15s` with a 5-minute tail says 15s + 5m.
    let tail = if observer.is_some() {
        profile.observe.tail
    } else {
        Duration::ZERO
    };
    let (stop_tx, mut stop_rx) = watch::channel(false);
    // abort_on_fail stops the sending the way a signal does.
    let abort = Abort {
        gates: profile
            .gates
            .clone()
            .filter(|g| !g.abort_on_fail.is_empty()),
        planned: profile.load.expected_requests() / f64::from(opts.shard.count.max(1)),
        stop: stop_tx.clone(),
        why: Arc::new(Mutex::new(None)),
    };
    let aborted = abort.why.clone();
    let in_flight = {
        let recorder = recorder.clone();
        move || recorder.lock().expect("recorder lock").totals().in_flight
    };
    let signals = tokio::spawn(watch_signals(
        stop_tx.clone(),
        journal.clone(),
        clock,
        move || stopping_words(in_flight()),
    ));
    let seen = observer
        .as_ref()
        .map(|_| Arc::new(Mutex::new(Observed::default())));

    let notes_from = target.clone();
    // Everything up to the end of recording yields to a second signal.
    let recording = async {
        let late = match (&start_at, &begin) {
            (Some(at), Some(begin)) => {
                if start::wait(begin, at, opts.quiet, &mut stop_rx).await == start::Waited::Stopped
                {
                    return Ok(true);
                }
                start::journal(&journal, at, begin)?;
                begin.late
            }
            _ => Duration::ZERO,
        };
        let progress = Progress::new(opts.quiet, total + tail);
        progress.message(&crate::report::escape::terminal(&format!(
            "scaletrace: {} → {} for {}{}; run directory {}",
            profile.name,
            target.describe(),
            humantime::format_duration(total),
            tail_words(tail),
            dir.display()
        )));
        let (finish_tx, finish_rx) = watch::channel(false);
        let keeper = tokio::spawn(timekeeper(
            Timekeeping {
                clock,
                phases: profile.load.phases.clone(),
                recorder: recorder.clone(),
                journal: JournalStop::new(journal.clone(), stop_tx.clone()),
                target: target.clone(),
                total,
                tail,
                seen: seen.clone(),
                abort,
                from: late,
            },
            progress,
            finish_rx.clone(),
        ));
        let observer_task = observer.map(|o| {
            let seen = seen.clone().unwrap_or_default();
            tokio::spawn(observe_loop(
                o,
                clock,
                JournalStop::new(journal.clone(), stop_tx.clone()),
                finish_rx,
                seen,
            ))
        });

        let invoker = Driver::new(
            drive,
            target,
            recorder.clone(),
            InvokerConfig {
                max_in_flight: profile.load.max_in_flight,
                timeout: profile.load.timeout,
                precise_timing: !simulated,
            },
        );
        let schedule = Schedule::new(
            &profile.load.phases,
            profile.load.arrivals,
            profile.load.seed,
            opts.shard,
        )
        .starting_at(late);
        let mut dispatched = invoker
            .dispatch(schedule, clock.origin, total, &mut payloads, &mut stop_rx)
            .await;
        if dispatched == DispatchEnd::Completed {
            // Trailing idle phases (rate 0, to watch scale-in) send nothing but
            // still last their duration.
            tokio::select! {
                biased;
                _ = tokio::time::sleep_until(clock.origin + total) => {}
                _ = stop_rx.changed() => dispatched = DispatchEnd::Stopped,
            }
        }
        match crate::deploy::drain_timeout(&profile.target) {
            // Requests that may take minutes (async) are waited for at most this
            // long; the rest stay unfinished (sent but never completed).
            Some(limit) => {
                let _ = tokio::time::timeout(limit, invoker.drain()).await;
            }
            None => invoker.drain().await,
        }
        let was_aborted = aborted.lock().expect("abort lock").is_some();
        // An abort_on_fail stop is not an interruption: the run ends and its
        // gates are judged (exit 1).
        let interrupted = (dispatched == DispatchEnd::Stopped || *stop_rx.borrow()) && !was_aborted;
        if !interrupted && !was_aborted && !tail.is_zero() {
            tokio::select! {
                biased;
                _ = tokio::time::sleep(tail) => {}
                _ = stop_rx.changed() => {}
            }
        }
        let interrupted = interrupted || (*stop_rx.borrow() && !was_aborted);

        let _ = finish_tx.send(true);
        let progress = keeper
            .await
            .map_err(|e| RunError::Broke(format!("recording task failed: {e}")))??;
        if let Some(task) = observer_task {
            task.await
                .map_err(|e| RunError::Broke(format!("observer task failed: {e}")))??;
        }
        progress.finish();
        Ok(interrupted)
    };
    let interrupted = unless_second_signal(signals, &journal, recording).await?;
    {
        let mut j = journal.lock().expect("journal lock");
        for message in notes_from.notes() {
            j.write(&Record::Warning(crate::journal::record::WarningRecord {
                t: clock.now_s(),
                message,
            }))
            .map_err(RunError::Journal)?;
        }
        write_end(&mut j, &clock, interrupted)?;
    }
    let Reported { report, terminal } = write_reports(&dir, limits)?;
    Ok(RunResult {
        dir,
        end: if interrupted {
            RunEnd::Interrupted
        } else {
            RunEnd::Completed
        },
        report,
        terminal,
    })
}

/// The banner's words for the observer's tail: `" + 5m observing after
/// the load (--tail)"`, or nothing.
fn tail_words(tail: Duration) -> String {
    if tail.is_zero() {
        String::new()
    } else {
        format!(
            " + {} observing after the load (--tail)",
            humantime::format_duration(tail)
        )
    }
}

/// Writes the journal's `end` line (absent only when the process died) and
/// flushes.
pub(crate) fn write_end(
    j: &mut JournalWriter,
    clock: &RunClock,
    interrupted: bool,
) -> Result<(), RunError> {
    j.write(&Record::End(EndRecord {
        t: clock.now_s(),
        reason: if interrupted {
            "interrupted"
        } else {
            "completed"
        }
        .into(),
    }))
    .and_then(|_| j.flush())
    .map_err(RunError::Journal)
}
