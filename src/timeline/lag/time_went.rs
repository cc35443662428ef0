//! Where an episode's time went, in one plain sentence: "3 one-minute
//! datapoints had to breach (3 min) + CloudWatch publishing (59 s) + alarm
//! evaluation (1 s) + launch (6 min) = 10 min 5 s".
//!
//! Why: the chain's table gives each link's delta, but the question users
//! ask is "why so long?", and most of the answer is the alarm's rule (M
//! periods that must breach), which no delta shows. The terms are cut from
//! the episode's own links and the alarm's configuration, so they add up
//! to the episode's total:
//!
//! - the metric not yet past the threshold: load change → start of the
//!   first breaching period (left out when it is under a second);
//! - M datapoints had to breach: the first breaching period's start (or the
//!   load change, if later) → the end of the M-th period;
//! - CloudWatch publishing: the delay measured on the first breaching
//!   datapoint (period end → readable), taken for the M-th too;
//! - alarm evaluation: what is left until the alarm went to ALARM (more
//!   periods when the breaches were not consecutive);
//! - autoscaler reaction: ALARM → activity start (left out under a second);
//! - launch (scale-out) or instance removal (scale-in): activity start →
//!   capacity in service, the desired-count update included.
//!
//! A chain cut short ends with what stopped it.

use super::{
    ACTIVITY, ALARM, Direction, Episode, IN_SERVICE, LOAD_CHANGE, PAST_THRESHOLD, READABLE,
};
use crate::journal::record::AlarmConfigRecord;

/// One stretch of time: what it was spent on, and when it ended.
struct Term {
    label: String,
    end: f64,
    /// Left out when shorter than a second (a step that usually takes no
    /// time, so naming it would be noise).
    optional: bool,
}

/// The sentence for `e`; `config` is the alarm its chain followed (the one
/// [`super::alarm_for`] picks for its direction).
pub(super) fn sentence(e: &Episode, config: Option<&AlarmConfigRecord>) -> Option<String> {
    let at = |name: &str| e.links.iter().find(|l| l.name == name).and_then(|l| l.t_s);
    let start = e.links.first()?.t_s?;
    let mut terms: Vec<Term> = Vec::new();
    let mut push = |label: String, end: f64, optional: bool| {
        terms.push(Term {
            label,
            end,
            optional,
        })
    };
    if e.links[0].name == LOAD_CHANGE {
        match (at(PAST_THRESHOLD), at(READABLE), at(ALARM), config) {
            (Some(t1), Some(readable), Some(fired), Some(c)) if fired > t1 - c.period_s as f64 => {
                let p = c.period_s as f64;
                let m = c.datapoints_to_alarm.max(1);
                let window_start = t1 - p;
                let mth_end = t1 + (m as f64 - 1.0) * p;
                push(
                    "metric not yet past the threshold".into(),
                    window_start,
                    true,
                );
                push(breach_label(c), mth_end, false);
                push(
                    "CloudWatch publishing".into(),
                    mth_end + (readable - t1),
                    false,
                );
                push("alarm evaluation".into(), fired, false);
            }
            (Some(_), _, Some(_), _) => {
                // The alarm was in ALARM before this load change's datapoints
                // came: nothing to wait for on the CloudWatch side.
                push(
                    "alarm already in ALARM".into(),
                    at(ALARM).unwrap_or(start).max(start),
                    false,
                );
            }
            (Some(t1), readable, None, _) => {
                push("first datapoint past the threshold".into(), t1, false);
                if let Some(r) = readable {
                    push("CloudWatch publishing".into(), r, false);
                }
            }
            _ => {}
        }
    }
    if let Some(t) = at(ACTIVITY) {
        push("autoscaler reaction".into(), t, true);
    }
    if let Some(t) = at(IN_SERVICE).or(at(super::copies::COPIES_IN_SERVICE)) {
        let label = match e.direction {
            Direction::Out => "launch",
            Direction::In => "instance removal",
        };
        push(label.into(), t, false);
    }
    let parts = durations(start, terms);
    let said: Vec<String> = parts
        .iter()
        .map(|(label, d)| format!("{label} ({})", duration_words(*d)))
        .collect();
    let mut s = said.join(" + ");
    match e.missing() {
        Some(why) if s.is_empty() => s = why.to_string(),
        Some(why) => s = format!("{s}, then {why}"),
        None if said.len() > 1 => {
            let total = e.total_s.unwrap_or_else(|| parts.iter().map(|p| p.1).sum());
            s = format!("{s} = {}", duration_words(total));
        }
        None => {}
    }
    (!s.is_empty()).then_some(s)
}

/// "3 one-minute datapoints had to breach", "2 of 3 ten-second
/// datapoints had to breach".
fn breach_label(c: &AlarmConfigRecord) -> String {
    let n = c.evaluation_periods.max(1);
    let m = c.datapoints_to_alarm.clamp(1, n);
    let count = if m == n {
        m.to_string()
    } else {
        format!("{m} of {n}")
    };
    let noun = if n == 1 { "datapoint" } else { "datapoints" };
    format!(
        "{count} {} {noun} had to breach",
        period_adjective(c.period_s)
    )
}

/// "one-minute", "ten-second", "5-minute": a period as an adjective.
fn period_adjective(period_s: u32) -> String {
    let (n, unit) = if period_s >= 60 && period_s.is_multiple_of(60) {
        (period_s / 60, "minute")
    } else {
        (period_s, "second")
    };
    const WORDS: [&str; 11] = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    ];
    match WORDS.get(n as usize) {
        Some(w) => format!("{w}-{unit}"),
        None => format!("{n}-{unit}"),
    }
}

/// Each term's duration from the end of the one before. A term that ended
/// before the one before it (the alarm fired before the observer first
/// read the datapoint) is merged into it, so the durations still add up;
/// optional terms under a second are dropped into the next one.
fn durations(start: f64, terms: Vec<Term>) -> Vec<(String, f64)> {
    let mut kept: Vec<Term> = Vec::new();
    for t in terms {
        let mut t = t;
        while let Some(prev) = kept.last() {
            if t.end >= prev.end - 1e-9 {
                break;
            }
            let prev = kept.pop().unwrap();
            t.label = format!("{} and {}", prev.label, t.label);
            t.optional = false;
        }
        kept.push(t);
    }
    let mut out = Vec::new();
    let mut last = start;
    for t in kept {
        let d = (t.end - last).max(0.0);
        if t.optional && d < 1.0 {
            continue;
        }
        out.push((t.label, d));
        last = t.end.max(last);
    }
    out
}

/// "59 s", "3 min", "4 min 50 s", "1 h 2 min": whole seconds, as people
/// say durations.
pub fn duration_words(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if sec > 0 || parts.is_empty() {
        parts.push(format!("{sec} s"));
    }
    parts.join(" ")
}
