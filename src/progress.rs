//! Live progress: an indicatif bar on a terminal, plain periodic lines
//! without one, nothing with `--quiet`. Updated once per interval by the run
//! loop; output goes to stderr so stdout stays the report.

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
    /// When the load ends; after it, until `total_s`, the observer's tail.
    pub load_s: f64,
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
        let tail = if s.elapsed_s > s.load_s {
            "tail (observing after the load)  "
        } else {
            ""
        };
        format!(
            "{tail}sent {}  rate {:.1}/s  p99 {:.1} ms  errors {}  late {}  in flight {}",
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
