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

mod start;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::clock::RunClock;
use crate::histogram;
use crate::invoke::{DispatchEnd, Invoker, InvokerConfig};
use crate::journal::record::{
    EndRecord, InterruptedRecord, IntervalRecord, PhaseEvent, PhaseRecord, Record,
};
use crate::journal::{self, JournalData, JournalWriter, RunInfo};
use crate::observe::Observer;
use crate::payload::Payloads;
use crate::profile::Profile;
use crate::progress::{Observed, Progress, ReportProgress, Snapshot};
use crate::recorder::Recorder;
use crate::report::{Limits, Report};
use crate::schedule::start::StartAt;
use crate::schedule::{Schedule, Shard};
use crate::target::SharedTarget;

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
    let result = runtime.block_on(run_async(profile, opts, simulated, start_at));
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

        let invoker = Invoker::new(
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
            .dispatch(schedule, clock.origin, &mut payloads, &mut stop_rx)
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
fn stopping_words(in_flight: u64) -> String {
    match in_flight {
        0 => "stopping (again to exit at once)".into(),
        1 => "stopping, waiting for 1 request in flight (again to exit at once)".into(),
        n => format!("stopping, waiting for {n} requests in flight (again to exit at once)"),
    }
}

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
    fn write_all<'r>(&self, records: impl IntoIterator<Item = &'r Record>) -> Result<(), RunError> {
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

/// What the timekeeper writes from.
struct Timekeeping {
    clock: RunClock,
    phases: Vec<crate::profile::Phase>,
    recorder: Arc<Mutex<Recorder>>,
    journal: JournalStop,
    /// Asked every tick for warnings to journal now.
    target: SharedTarget,
    total: Duration,
    /// Observing after the load; progress counts it.
    tail: Duration,
    /// What the observer saw (when one runs): for progress and aborts.
    seen: Option<Arc<Mutex<Observed>>>,
    abort: Abort,
    /// Where the first interval starts: 0, or how late a `--start-at`
    /// run arrived (its intervals then keep the shared one-second grid).
    from: Duration,
}

/// `[gates] abort_on_fail`: checked every interval; the first gate certain
/// to fail is journaled as a warning and stops the sending.
struct Abort {
    /// Only when some gate has `abort_on_fail`.
    gates: Option<crate::profile::Gates>,
    /// Requests the plan sends (this shard's share).
    planned: f64,
    stop: watch::Sender<bool>,
    /// Why the run was stopped, once it was.
    why: Arc<Mutex<Option<String>>>,
}

/// Phase boundaries, in order: (time, record).
fn phase_boundaries(phases: &[crate::profile::Phase]) -> Vec<(Duration, PhaseRecord)> {
    let mut boundaries = Vec::new();
    let mut at = Duration::ZERO;
    for (index, p) in phases.iter().enumerate() {
        for (event, when) in [(PhaseEvent::Start, at), (PhaseEvent::End, at + p.duration)] {
            boundaries.push((
                when,
                PhaseRecord {
                    t: when.as_secs_f64(),
                    index,
                    name: p.name.clone(),
                    event,
                    from_rate: p.from_rate,
                    to_rate: p.to_rate,
                },
            ));
        }
        at += p.duration;
    }
    boundaries.sort_by_key(|(w, r)| (*w, r.event == PhaseEvent::Start));
    boundaries
}

/// Closes an interval every second and marks phase boundaries, until told
/// to finish; then closes the last (partial) interval. Also journals the
/// target's fresh warnings each second.
async fn timekeeper(
    k: Timekeeping,
    mut progress: Progress,
    mut finish: watch::Receiver<bool>,
) -> Result<Progress, RunError> {
    let Timekeeping {
        clock,
        phases,
        recorder,
        journal,
        target,
        total,
        tail,
        seen,
        abort,
        from,
    } = k;
    let boundaries = phase_boundaries(&phases);
    // Those at time zero were written before the first request (`run_async`).
    let mut next_boundary = boundaries.iter().take_while(|(w, _)| w.is_zero()).count();
    // For the progress line's "p99 so far" (one add per second).
    let mut so_far = histogram::new_hist();
    let mut interval_start = from;
    loop {
        let tick = next_tick(interval_start);
        // Biased: a run must journal the same lines every time (the
        // simulator's determinism), never a coin toss between two branches
        // ready at the same instant.
        let finishing = tokio::select! {
            biased;
            _ = finish.changed() => true,
            _ = tokio::time::sleep_until(clock.origin + tick) => false,
        };
        let now = if finishing {
            Instant::now() - clock.origin
        } else {
            tick
        };
        let (data, in_flight) = recorder.lock().expect("recorder lock").take_interval();
        let mut lines = Vec::new();
        while next_boundary < boundaries.len() && boundaries[next_boundary].0 <= now {
            lines.push(Record::Phase(boundaries[next_boundary].1.clone()));
            next_boundary += 1;
        }
        let completed = data.by_outcome.total();
        if finishing && now == interval_start && data.sent == 0 && completed == 0 {
            // The run ended exactly on a tick: no empty zero-length interval.
            journal.write_all(&lines)?;
            return Ok(progress);
        }
        let snapshot = Snapshot {
            elapsed_s: now.as_secs_f64(),
            load_s: total.as_secs_f64(),
            total_s: (total + tail).as_secs_f64(),
            totals: recorder.lock().expect("recorder lock").totals(),
            achieved_per_s: data.by_outcome.get(crate::outcome::Outcome::Ok) as f64
                / (now - interval_start).as_secs_f64().max(1e-3),
            last_p99_ms: histogram::quantile_ms(&data.latency, 0.99),
            run_p99_ms: {
                let _ = so_far.add(&data.latency);
                histogram::quantile_ms(&so_far, 0.99)
            },
            observed: seen
                .as_ref()
                .map(|o| o.lock().expect("observed lock").clone()),
        };
        lines.push(Record::Interval(IntervalRecord {
            start: interval_start.as_secs_f64(),
            t: now.as_secs_f64(),
            sent: data.sent,
            late: data.late,
            completed,
            in_flight,
            by_outcome: data.by_outcome,
            latency: histogram::encode(&data.latency),
            service: histogram::encode(&data.service),
            send_lag: data.send_lag.as_ref().map(histogram::encode),
            stream: data.stream.to_record(),
        }));
        for message in target.fresh_notes() {
            lines.push(Record::Warning(crate::journal::record::WarningRecord {
                t: now.as_secs_f64(),
                message,
            }));
        }
        if let Some(why) = abort_now(&abort, &snapshot) {
            lines.push(Record::Warning(crate::journal::record::WarningRecord {
                t: now.as_secs_f64(),
                message: format!("abort_on_fail: {why}; the run stopped sending"),
            }));
            progress.message(&format!(
                "scaletrace: {why}: stopping (abort_on_fail), then writing every report"
            ));
            *abort.why.lock().expect("abort lock") = Some(why);
            let _ = abort.stop.send(true);
        }
        journal.write_all(&lines)?;
        progress.update(&snapshot);
        interval_start = now;
        if finishing {
            return Ok(progress);
        }
    }
}

/// The abort_on_fail gate certain to fail now, unless the run was already
/// stopped for one.
fn abort_now(abort: &Abort, s: &Snapshot) -> Option<String> {
    let gates = abort.gates.as_ref()?;
    if abort.why.lock().expect("abort lock").is_some() {
        return None;
    }
    let live = crate::gates::Live {
        sent: s.totals.sent,
        in_flight: s.totals.in_flight,
        errors: s.totals.errors,
        planned: abort.planned,
        max_instances: s.observed.as_ref().and_then(|o| o.max_current),
        max_backlog_age_s: s.observed.as_ref().and_then(|o| o.max_backlog_age_s),
    };
    crate::gates::certain_failure(gates, &live)
}

/// Polls the observer at its interval, journaling what is new (and telling
/// `seen`, for the live line), until told to finish; then polls once more.
/// The first interval boundary after `t`: intervals stay on one grid from
/// time zero, so a late shard's line up with the other shards'.
fn next_tick(t: Duration) -> Duration {
    let n = t.as_nanos() / INTERVAL.as_nanos() + 1;
    INTERVAL * u32::try_from(n).unwrap_or(u32::MAX)
}

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

    use super::{RunError, unless_second_signal};
    use crate::journal::JournalWriter;
    use crate::journal::record::{Record, WarningRecord};

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
                super::JournalStop::new(journal.clone(), stop),
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
