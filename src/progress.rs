//! Live progress: an indicatif bar on a terminal, plain periodic lines
//! without one, nothing with `--quiet`. Updated once per interval by the run
//! loop; output goes to stderr so stdout stays the report.
//!
//! [`ReportProgress`] is the bar for building a report from a journal
//! (`scaletrace report`, and the end of every run).

use std::io::IsTerminal;
use std::time::{Duration, Instant as WallInstant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::journal::record::Record;
use crate::recorder::Totals;

/// What the observer has reported so far, for the live line (instances,
/// alarm states, the last datapoint) and for `abort_on_fail`. Fed every
/// record the observer journals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    pub current: Option<u32>,
    pub desired: Option<u32>,
    /// The most instances in service at any observation.
    pub max_current: Option<u32>,
    /// Alarm (short name) → its latest state, in name order.
    pub alarms: std::collections::BTreeMap<String, String>,
    /// The newest datapoint read: metric, value, period end (run seconds).
    pub last_datapoint: Option<(String, f64, f64)>,
    /// The largest ApproximateAgeOfOldestRequest datapoint (async).
    pub max_backlog_age_s: Option<f64>,
}

impl Observed {
    pub fn absorb(&mut self, r: &Record) {
        match r {
            Record::Endpoint(e) => {
                self.current = Some(e.current);
                self.desired = Some(e.desired);
                self.max_current = Some(self.max_current.unwrap_or(0).max(e.current));
            }
            Record::Alarm(a) => {
                self.alarms
                    .insert(short_alarm(&a.name), a.to.as_aws().to_string());
            }
            Record::Metric(m) => {
                let end = m.period_start + f64::from(m.period_s);
                if self
                    .last_datapoint
                    .as_ref()
                    .is_none_or(|(_, _, e)| end >= *e)
                {
                    self.last_datapoint = Some((m.name.clone(), m.value, end));
                }
                if m.name == "ApproximateAgeOfOldestRequest" {
                    self.max_backlog_age_s =
                        Some(self.max_backlog_age_s.unwrap_or(f64::MIN).max(m.value));
                }
            }
            _ => {}
        }
    }

    /// "instances 1/3 (current/desired)  AlarmHigh ALARM  last
    /// InvocationsPerInstance 6427 @ 240 s", or "waiting for the first
    /// observation".
    pub fn words(&self) -> String {
        let mut parts = Vec::new();
        match (self.current, self.desired) {
            (Some(c), Some(d)) => parts.push(format!("instances {c}/{d} (current/desired)")),
            _ => parts.push("instances ?".to_string()),
        }
        for (name, state) in &self.alarms {
            parts.push(format!("{name} {state}"));
        }
        match &self.last_datapoint {
            Some((metric, v, end)) => parts.push(format!(
                "last datapoint {metric} {} (period to {end:.0} s)",
                crate::format::fmt(*v)
            )),
            None => parts.push("no datapoint yet".to_string()),
        }
        parts.join("  ")
    }
}

/// Target tracking's alarm names shortened as the reports do
/// (`TargetTracking-…-AlarmHigh-<uuid>` → `AlarmHigh`); others as they are.
fn short_alarm(name: &str) -> String {
    for k in ["AlarmHigh", "AlarmLow"] {
        if name.starts_with("TargetTracking-") && name.contains(&format!("-{k}-")) {
            return k.to_string();
        }
    }
    name.to_string()
}

/// Plain lines come at most this often, in wall-clock time (a simulated run
/// advances many virtual seconds per real one).
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub enum Progress {
    Quiet,
    Bar(ProgressBar),
    Plain { last: Option<WallInstant> },
}

/// One update's figures.
pub struct Snapshot {
    pub elapsed_s: f64,
    /// When the load ends; after it, until `total_s`, the observer's tail.
    pub load_s: f64,
    pub total_s: f64,
    pub totals: Totals,
    /// Requests completed `ok` in the last interval (per second).
    pub achieved_per_s: f64,
    /// p99 of the last interval; `None` when nothing completed in it (an
    /// idle phase, an async start), shown as "—" rather than a false 0 ms.
    pub last_p99_ms: Option<f64>,
    /// p99 of every request completed so far (`None` before the first).
    pub run_p99_ms: Option<f64>,
    /// What the observer saw, when one runs.
    pub observed: Option<Observed>,
}

/// "12.3 ms", or "—" when there is no figure.
fn ms_or_dash(ms: Option<f64>) -> String {
    ms.map_or_else(|| "—".to_string(), |v| format!("{v:.1} ms"))
}

impl Progress {
    pub fn new(quiet: bool, total: Duration) -> Progress {
        if quiet {
            Progress::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(
                Some(total.as_secs().max(1)),
                ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                ProgressStyle::with_template("{bar:30.cyan/blue} {pos:>5}/{len} s  {msg}")
                    .expect("valid template")
                    .progress_chars("█▉▊▋▌▍▎▏ "),
            );
            Progress::Bar(bar)
        } else {
            Progress::Plain { last: None }
        }
    }

    fn line(s: &Snapshot) -> String {
        let tail = if s.elapsed_s > s.load_s {
            "tail (observing after the load)  "
        } else {
            ""
        };
        let mut line = format!(
            "{tail}sent {}  rate {:.1}/s  p99 {} (so far {})  errors {}  late {}  in flight {}",
            s.totals.sent,
            s.achieved_per_s,
            ms_or_dash(s.last_p99_ms),
            ms_or_dash(s.run_p99_ms),
            s.totals.errors,
            s.totals.late,
            s.totals.in_flight
        );
        if let Some(o) = &s.observed {
            line.push_str("  ");
            line.push_str(&o.words());
        }
        line
    }

    /// A line of figures other than a load run's (`observe`, `capacity`):
    /// on the bar, or a plain line at most every [`PLAIN_EVERY`].
    /// `total_s` None: no end known (until Ctrl-C).
    pub fn update_line(&mut self, elapsed_s: f64, total_s: Option<f64>, text: &str) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(bar) => {
                let total = total_s.unwrap_or(elapsed_s).max(1.0);
                bar.set_length(total as u64);
                bar.set_position(elapsed_s.min(total) as u64);
                bar.set_message(text.to_string());
            }
            Progress::Plain { last } => {
                let now = WallInstant::now();
                if last.is_none_or(|l| now.duration_since(l) >= PLAIN_EVERY) {
                    *last = Some(now);
                    let total = total_s.map_or("?".to_string(), |t| format!("{t:.0}"));
                    eprintln!("[{elapsed_s:>6.0}/{total} s] {text}");
                }
            }
        }
    }

    /// Whether [`Progress::update`] shows a snapshot's figures at all
    /// (not with `--quiet`), so they need computing.
    pub fn shows_figures(&self) -> bool {
        !matches!(self, Progress::Quiet)
    }

    pub fn update(&mut self, s: &Snapshot) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(bar) => {
                bar.set_position(s.elapsed_s.min(s.total_s) as u64);
                bar.set_message(Self::line(s));
            }
            Progress::Plain { last } => {
                let now = WallInstant::now();
                if last.is_none_or(|l| now.duration_since(l) >= PLAIN_EVERY) {
                    *last = Some(now);
                    eprintln!(
                        "[{:>6.0}/{:.0} s] {}",
                        s.elapsed_s,
                        s.total_s,
                        Self::line(s)
                    );
                }
            }
        }
    }

    pub fn message(&self, text: &str) {
        match self {
            Progress::Quiet => {}
            Progress::Bar(bar) => bar.println(text),
            Progress::Plain { .. } => eprintln!("{text}"),
        }
    }

    /// Clears the bar (restoring the terminal line).
    pub fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Building a report shows a bar only once it has taken this long: the
/// usual report takes milliseconds and should print nothing extra.
const REPORT_BAR_AFTER: Duration = Duration::from_secs(1);

/// A bar over the journal's bytes while a report is built, on a terminal
/// only and only after [`REPORT_BAR_AFTER`]; cleared when dropped.
pub struct ReportProgress {
    started: WallInstant,
    shown: bool,
    bar: Option<ProgressBar>,
}

impl ReportProgress {
    pub fn new(quiet: bool) -> ReportProgress {
        ReportProgress {
            started: WallInstant::now(),
            shown: !quiet && std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    /// `done` of `total` bytes read; `what` is the step under way.
    pub fn update(&mut self, done: u64, total: u64, what: &str) {
        if !self.shown || self.started.elapsed() < REPORT_BAR_AFTER {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total.max(1)),
                ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {bytes:>9}/{total_bytes}  {msg} ({elapsed})",
                )
                .expect("valid template")
                .progress_chars("█▉▊▋▌▍▎▏ "),
            );
            bar
        });
        bar.set_position(done.min(total));
        bar.set_message(what.to_string());
    }

    /// A step after reading (the bar stays full).
    pub fn step(&mut self, what: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_string());
        } else {
            self.update(1, 1, what);
        }
    }
}

impl Drop for ReportProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::{AlarmRecord, AlarmState, EndpointRecord, EndpointStatus};

    #[test]
    fn nothing_completed_shows_a_dash_not_zero_ms() {
        let mut s = Snapshot {
            elapsed_s: 3.0,
            load_s: 10.0,
            total_s: 10.0,
            totals: Default::default(),
            achieved_per_s: 0.0,
            last_p99_ms: None,
            run_p99_ms: None,
            observed: None,
        };
        assert!(
            Progress::line(&s).contains("p99 — (so far —)"),
            "{}",
            Progress::line(&s)
        );
        s.last_p99_ms = Some(12.34);
        s.run_p99_ms = Some(20.0);
        assert!(Progress::line(&s).contains("p99 12.3 ms (so far 20.0 ms)"));
    }

    #[test]
    fn the_observed_line_names_instances_alarms_and_the_last_datapoint() {
        let mut o = Observed::default();
        assert_eq!(o.words(), "instances ?  no datapoint yet");
        o.absorb(&Record::Endpoint(EndpointRecord {
            t: 0.0,
            status: EndpointStatus::Updating,
            variant: "AllTraffic".into(),
            current: 1,
            desired: 3,
        }));
        o.absorb(&Record::Alarm(AlarmRecord {
            t: 420.0,
            at: 420.0,
            name: "TargetTracking-endpoint/e/variant/AllTraffic-AlarmHigh-01cb".into(),
            from: AlarmState::Ok,
            to: AlarmState::Alarm,
            reason: String::new(),
        }));
        assert_eq!(
            o.words(),
            "instances 1/3 (current/desired)  AlarmHigh ALARM  no datapoint yet"
        );
        assert_eq!(o.max_current, Some(1));
    }
}
