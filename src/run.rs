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
use crate::progress::{Progress, Snapshot};
use crate::recorder::Recorder;
use crate::report::{Limits, Report};
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
}

impl RunError {
    /// The process exit code ([`crate::exit`]).
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::BadInput(_) => crate::exit::BAD_INPUT,
            RunError::Broke(_) => crate::exit::BROKE,
            RunError::Aborted { .. } => crate::exit::INTERRUPTED,
        }
    }
}

/// Runs a profile to the end (or to a signal) and writes every report.
pub fn run(profile: Profile, opts: RunOptions) -> Result<RunResult, RunError> {
    let simulated = crate::deploy::is_simulated(&profile.target);
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if simulated {
        builder.start_paused(true);
    }
    let runtime = builder
        .build()
        .map_err(|e| RunError::Broke(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(run_async(profile, opts, simulated));
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
    let writer = JournalWriter::create(&dir).map_err(|e| RunError::Broke(e.to_string()))?;
    let journal = Arc::new(Mutex::new(writer));
    let recorder = Arc::new(Mutex::new(Recorder::new()));

    let total = profile.load.total_duration();
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let signals = tokio::spawn(watch_signals(stop_tx, journal.clone(), clock));

    let notes_from = target.clone();
    // Everything up to the end of recording yields to a second signal.
    let recording = async {
        let progress = Progress::new(opts.quiet, total);
        progress.message(&format!(
            "scaletrace: {} → {} for {}; run directory {}",
            profile.name,
            target.describe(),
            humantime::format_duration(total),
            dir.display()
        ));
        let (finish_tx, finish_rx) = watch::channel(false);
        let keeper = tokio::spawn(timekeeper(
            Timekeeping {
                clock,
                phases: profile.load.phases.clone(),
                recorder: recorder.clone(),
                journal: journal.clone(),
                target: target.clone(),
                total,
            },
            progress,
            finish_rx.clone(),
        ));
        let observer_task =
            observer.map(|o| tokio::spawn(observe_loop(o, clock, journal.clone(), finish_rx)));

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
        );
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
        let interrupted = dispatched == DispatchEnd::Stopped || *stop_rx.borrow();
        if !interrupted && !profile.observe.tail.is_zero() && observer_task.is_some() {
            tokio::select! {
                biased;
                _ = tokio::time::sleep(profile.observe.tail) => {}
                _ = stop_rx.changed() => {}
            }
        }
        let interrupted = interrupted || *stop_rx.borrow();

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
            .map_err(|e| RunError::Broke(e.to_string()))?;
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
    .map_err(|e| RunError::Broke(e.to_string()))
}

/// Reads a run directory back and writes every report into it, judged by
/// the `[slo]`/`[gates]` its `run.json` recorded (`scaletrace report`).
pub fn build_reports(dir: &Path) -> Result<Reported, RunError> {
    let data = journal::read_run_dir(dir).map_err(|e| RunError::BadInput(e.to_string()))?;
    let limits = Limits::from_run_json(&data)
        .map_err(|e| RunError::BadInput(format!("{}: {e}", dir.display())))?;
    report_on(dir, data, limits)
}

/// Reads a run directory back and writes every report into it, judged by
/// `limits` (a run's typed profile sections, in memory).
pub(crate) fn write_reports(dir: &Path, limits: Limits) -> Result<Reported, RunError> {
    let data = journal::read_run_dir(dir).map_err(|e| RunError::BadInput(e.to_string()))?;
    report_on(dir, data, limits)
}

fn report_on(dir: &Path, data: JournalData, limits: Limits) -> Result<Reported, RunError> {
    let bad =
        |e: crate::report::AnalysisError| RunError::BadInput(format!("{}: {e}", dir.display()));
    let baseline = limits
        .gates
        .as_ref()
        .and_then(|g| g.baseline.as_deref())
        .map(crate::compare::load_summary);
    let report = Report::analyse(data, limits, baseline).map_err(bad)?;
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

/// First signal: note it in the journal and stop sending. Second: say so
/// and return its name (the run then aborts, exit 130).
pub(crate) async fn watch_signals(
    stop: watch::Sender<bool>,
    journal: Arc<Mutex<JournalWriter>>,
    clock: RunClock,
) -> &'static str {
    let mut signals = Signals::new();
    let name = signals.next().await;
    eprintln!(
        "\nscaletrace: {name} received: stopping, waiting for requests in flight (again to exit at once)"
    );
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

/// SIGINT and SIGTERM, registered once for the whole run.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            int: signal(SignalKind::interrupt()).expect("SIGINT handler"),
            term: signal(SignalKind::terminate()).expect("SIGTERM handler"),
        }
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            biased;
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
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
    journal: Arc<Mutex<JournalWriter>>,
    /// Asked every tick for warnings to journal now.
    target: SharedTarget,
    total: Duration,
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
    } = k;
    // Phase boundaries, in order: (time, record).
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
    let mut next_boundary = 0;
    let mut interval_start = Duration::ZERO;
    let write_err = |e: journal::JournalError| RunError::Broke(e.to_string());
    loop {
        let tick = interval_start + INTERVAL;
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
        let mut j = journal.lock().expect("journal lock");
        while next_boundary < boundaries.len() && boundaries[next_boundary].0 <= now {
            j.write(&Record::Phase(boundaries[next_boundary].1.clone()))
                .map_err(write_err)?;
            next_boundary += 1;
        }
        let completed = data.by_outcome.total();
        if finishing && now == interval_start && data.sent == 0 && completed == 0 {
            // The run ended exactly on a tick: no empty zero-length interval.
            j.flush().map_err(write_err)?;
            drop(j);
            return Ok(progress);
        }
        let snapshot = Snapshot {
            elapsed_s: now.as_secs_f64(),
            total_s: total.as_secs_f64(),
            totals: recorder.lock().expect("recorder lock").totals(),
            achieved_per_s: data.by_outcome.get(crate::outcome::Outcome::Ok) as f64
                / (now - interval_start).as_secs_f64().max(1e-3),
            last_p99_ms: histogram::quantile_ms(&data.latency, 0.99),
        };
        j.write(&Record::Interval(IntervalRecord {
            start: interval_start.as_secs_f64(),
            t: now.as_secs_f64(),
            sent: data.sent,
            late: data.late,
            completed,
            in_flight,
            by_outcome: data.by_outcome,
            latency: histogram::encode(&data.latency),
            service: histogram::encode(&data.service),
            stream: data.stream.to_record(),
        }))
        .map_err(write_err)?;
        for message in target.fresh_notes() {
            j.write(&Record::Warning(crate::journal::record::WarningRecord {
                t: now.as_secs_f64(),
                message,
            }))
            .map_err(write_err)?;
        }
        j.flush().map_err(write_err)?;
        drop(j);
        progress.update(&snapshot);
        interval_start = now;
        if finishing {
            return Ok(progress);
        }
    }
}

/// Polls the observer at its interval, journaling what is new, until told
/// to finish; then polls once more.
pub(crate) async fn observe_loop(
    mut observer: Box<dyn Observer>,
    clock: RunClock,
    journal: Arc<Mutex<JournalWriter>>,
    mut finish: watch::Receiver<bool>,
) -> Result<(), RunError> {
    loop {
        let records = observer.poll(&clock).await;
        {
            let mut j = journal.lock().expect("journal lock");
            for r in &records {
                j.write(r).map_err(|e| RunError::Broke(e.to_string()))?;
            }
            j.flush().map_err(|e| RunError::Broke(e.to_string()))?;
        }
        if *finish.borrow() {
            return Ok(());
        }
        tokio::select! {
            biased;
            _ = tokio::time::sleep(observer.interval()) => {}
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
