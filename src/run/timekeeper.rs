//! The timekeeper: closes an interval every second, marks the phase
//! boundaries, journals the target's warnings, feeds the progress line and
//! checks the `abort_on_fail` gates.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::clock::RunClock;
use crate::histogram;
use crate::journal::record::{IntervalRecord, PhaseEvent, PhaseRecord, Record};
use crate::progress::{Observed, Progress, Snapshot};
use crate::recorder::Recorder;
use crate::run::{INTERVAL, JournalStop, RunError};
use crate::target::SharedTarget;

/// What the timekeeper writes from.
pub(crate) struct Timekeeping {
    pub(crate) clock: RunClock,
    pub(crate) phases: Vec<crate::profile::Phase>,
    pub(crate) recorder: Arc<Mutex<Recorder>>,
    pub(crate) journal: JournalStop,
    /// Asked every tick for warnings to journal now.
    pub(crate) target: SharedTarget,
    pub(crate) total: Duration,
    /// Observing after the load; progress counts it.
    pub(crate) tail: Duration,
    /// What the observer saw (when one runs): for progress and aborts.
    pub(crate) seen: Option<Arc<Mutex<Observed>>>,
    pub(crate) abort: Abort,
    /// Where the first interval starts: 0, or how late a `--start-at`
    /// run arrived (its intervals then keep the shared one-second grid).
    pub(crate) from: Duration,
}

/// `[gates] abort_on_fail`: checked every interval; the first gate certain
/// to fail is journaled as a warning and stops the sending.
pub(crate) struct Abort {
    /// Only when some gate has `abort_on_fail`.
    pub(crate) gates: Option<crate::profile::Gates>,
    /// Requests the plan sends (this shard's share).
    pub(crate) planned: f64,
    pub(crate) stop: watch::Sender<bool>,
    /// Why the run was stopped, once it was.
    pub(crate) why: Arc<Mutex<Option<String>>>,
}

/// Phase boundaries, in order: (time, record).
pub(crate) fn phase_boundaries(phases: &[crate::profile::Phase]) -> Vec<(Duration, PhaseRecord)> {
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
pub(crate) async fn timekeeper(
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
    let shown = progress.shows_figures();
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
            // Only the progress line shows these; each costs a pass over
            // a histogram's counts, every interval.
            last_p99_ms: (shown && !data.latency.is_empty())
                .then(|| histogram::quantile_ms(&data.latency, 0.99)),
            run_p99_ms: if shown {
                let _ = so_far.add(&data.latency);
                (!so_far.is_empty()).then(|| histogram::quantile_ms(&so_far, 0.99))
            } else {
                None
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
        recorder.lock().expect("recorder lock").recycle(data);
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

/// The first interval boundary after `t`: intervals stay on one grid from
/// time zero, so a late shard's line up with the other shards'.
pub(crate) fn next_tick(t: Duration) -> Duration {
    let n = t.as_nanos() / INTERVAL.as_nanos() + 1;
    INTERVAL * u32::try_from(n).unwrap_or(u32::MAX)
}
