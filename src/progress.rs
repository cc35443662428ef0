//! Live progress: an indicatif bar on a terminal, plain periodic lines
//! without one, nothing with `--quiet`. Updated once per interval by the run
//! loop; output goes to stderr so stdout stays the report.
//!
//! [`ReportProgress`] is the bar for building a report from a journal
//! (`scaletrace report`, and the end of every run).

use std::io::IsTerminal;
use std::time::{Duration, Instant as WallInstant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::recorder::Totals;

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
    pub total_s: f64,
    pub totals: Totals,
    /// Requests completed `ok` in the last interval (per second).
    pub achieved_per_s: f64,
    pub last_p99_ms: f64,
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
        format!(
            "sent {}  rate {:.1}/s  p99 {:.1} ms  errors {}  late {}  in flight {}",
            s.totals.sent,
            s.achieved_per_s,
            s.last_p99_ms,
            s.totals.errors,
            s.totals.late,
            s.totals.in_flight
        )
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
