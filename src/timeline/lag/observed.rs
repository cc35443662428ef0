//! Load changes scaletrace did not send (from the observed load, module
//! [`crate::timeline::load`]), and where a gradual rise starts to matter.
//!
//! A ramp (a ramp phase, or an observed rise spread over several samples)
//! does not breach the scale-out alarm at its beginning: with target
//! tracking on `InvocationsPerInstance`, the metric passes the target when
//! the offered load passes `target × instances in service / 60` requests per
//! second (the alarm's threshold is the policy's target; AWS,
//! "Target tracking scaling policies for Application Auto Scaling"). So a
//! rise's episode starts where the load crossed that level, and its detail
//! says so; an observed rise that never reaches it opens no episode.

use super::{Direction, alarm_for, num};
use crate::format::fmt_rate;
use crate::timeline::Timeline;
use crate::timeline::load::ObservedLoad;

/// A load change: time, direction, cause, the rate before, and the load
/// change link's detail.
pub(super) type Change = (f64, Direction, String, f64, Option<String>);

/// The per-second rate past which the scale-out alarm's metric breaches at
/// the capacity in service at `t`, when that alarm watches
/// `InvocationsPerInstance`: threshold × instances / period.
fn breach_rate(tl: &Timeline, t: f64) -> Option<(f64, String)> {
    let c = alarm_for(tl, Direction::Out, None)?;
    if c.metric != "InvocationsPerInstance" || c.period_s == 0 {
        return None;
    }
    let instances = tl
        .endpoint
        .iter()
        .rfind(|e| e.t <= t)
        .or(tl.endpoint.first())
        .map(|e| e.current.max(1))
        .unwrap_or(1);
    let rate = c.threshold * instances as f64 / c.period_s as f64;
    Some((
        rate,
        format!(
            "{}/s = target {} × {instances} instance{} / {} s",
            fmt_rate(rate),
            num(c.threshold),
            if instances == 1 { "" } else { "s" },
            c.period_s
        ),
    ))
}

/// Where a linear ramp `from → to` over `[t0, t1]` crosses the breaching
/// level; `None` when it starts above it or never reaches it.
pub(super) fn ramp_crossing(
    tl: &Timeline,
    t0: f64,
    t1: f64,
    from: f64,
    to: f64,
) -> Option<(f64, String)> {
    if to <= from || t1 <= t0 {
        return None;
    }
    let (level, why) = breach_rate(tl, t0)?;
    if from >= level || to <= level {
        return None;
    }
    let t = t0 + (level - from) / (to - from) * (t1 - t0);
    Some((
        t,
        format!(
            "ramp from {} s: load crossed {why} at {} s",
            num(t0),
            num((t * 1000.0).round() / 1000.0)
        ),
    ))
}

/// The observed load's changes, each labelled with its source and
/// resolution; a rise starts where it crossed the breaching level.
pub(super) fn observed_changes(tl: &Timeline, load: &ObservedLoad) -> Vec<Change> {
    let res = if load.resolution_s >= 60.0 {
        "one-minute resolution".to_string()
    } else {
        format!("{}-second resolution", num(load.resolution_s))
    };
    let unit = load.source.unit();
    load.changes()
        .into_iter()
        .filter(|c| {
            // A rise that stays below the breaching level cannot move the
            // scale-out alarm: no episode.
            let peak = load.points[c.first..=c.settled]
                .iter()
                .map(|p| p.rate)
                .fold(f64::MIN, f64::max);
            !(c.to > c.from
                && unit == "/s"
                && breach_rate(tl, c.t).is_some_and(|(level, _)| peak <= level))
        })
        .map(|c| {
            let dir = if c.to > c.from {
                Direction::Out
            } else {
                Direction::In
            };
            let cause = format!(
                "load {} → {}{unit} ({})",
                fmt_rate(c.from),
                fmt_rate(c.to),
                load.source.label()
            );
            let mut detail = format!("{}, {res}", load.source.label());
            let mut t = c.t;
            if dir == Direction::Out
                && c.settled > c.first
                && unit == "/s"
                && let Some((level, why)) = breach_rate(tl, c.t)
                && c.from < level
            {
                let crossed = load.points[c.first..=c.settled]
                    .iter()
                    .find(|p| p.rate > level);
                if let Some(p) = crossed
                    && p.start > c.t
                {
                    t = p.start;
                    detail = format!(
                        "{detail}; rise from {} s: load crossed {why} at {} s",
                        num(c.t),
                        num(p.start)
                    );
                }
            }
            (t, dir, cause, c.from, Some(detail))
        })
        .collect()
}
