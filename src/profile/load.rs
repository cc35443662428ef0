//! `[load]`: arrivals, limits, and the phases — shorthands (steps, spike,
//! sine) expanded into plain constant or ramp phases — with positioned
//! errors.

use std::time::Duration;

use toml::Spanned;

use super::raw::{DurationValue, MAX_DURATION, RawLoad, RawPhase};
use super::{
    Arrivals, Ctx, DEFAULT_MAX_IN_FLIGHT, LoadSpec, Phase, ProfileError,
    SAGEMAKER_INVOCATION_TIMEOUT,
};

/// The highest rate of any phase, requests/s: ten times what one process
/// sustains, so a sharded plan still fits, and far below where the
/// schedule's float arithmetic stops meaning anything.
pub const MAX_RATE: f64 = 10_000_000.0;
/// The most phases a load may expand into (steps, sine), as for steps
/// before: each phase is journaled and drawn.
pub const MAX_PHASES: usize = 10_000;
/// The highest `max_in_flight`: one million open requests is past what
/// one process can hold sockets for.
pub const MAX_IN_FLIGHT: i64 = 1_000_000;

pub(super) fn load_spec(ctx: &Ctx, l: &Spanned<RawLoad>) -> Result<LoadSpec, ProfileError> {
    let raw: &RawLoad = l.get_ref();
    let arrivals = match &raw.arrivals {
        None => Arrivals::Uniform,
        Some(a) => match a.get_ref().as_str() {
            "uniform" => Arrivals::Uniform,
            "poisson" => Arrivals::Poisson,
            other => {
                return Err(ctx.err(
                    Some(a.span()),
                    "load.arrivals",
                    format!("unknown arrivals {other:?}; one of \"uniform\", \"poisson\""),
                ));
            }
        },
    };
    let max_in_flight = match &raw.max_in_flight {
        None => DEFAULT_MAX_IN_FLIGHT,
        Some(m) if (1..=MAX_IN_FLIGHT).contains(m.get_ref()) => *m.get_ref() as usize,
        Some(m) => {
            return Err(ctx.err(
                Some(m.span()),
                "load.max_in_flight",
                format!(
                    "must be between 1 and {MAX_IN_FLIGHT} (got {})",
                    m.get_ref()
                ),
            ));
        }
    };
    let timeout = match &raw.timeout {
        None => SAGEMAKER_INVOCATION_TIMEOUT,
        Some(t) => positive_duration(ctx, t, "load.timeout")?,
    };
    let raw_phases = raw.phases.as_ref().ok_or_else(|| {
        ctx.err(
            Some(l.span()),
            "load.phases",
            "missing; give at least one phase",
        )
    })?;
    if raw_phases.get_ref().is_empty() {
        return Err(ctx.err(
            Some(raw_phases.span()),
            "load.phases",
            "is empty; give at least one phase",
        ));
    }
    let mut phases = Vec::new();
    let mut total = Duration::ZERO;
    for (i, p) in raw_phases.get_ref().iter().enumerate() {
        let expanded = expand_phase(ctx, i, p)?;
        for e in &expanded {
            // Each phase is at most MAX_DURATION, so this cannot overflow
            // before the check stops it.
            total += e.duration;
            if total > MAX_DURATION {
                return Err(ctx.err(
                    Some(p.span()),
                    format!("load.phases[{i}]"),
                    format!(
                        "the phases last {} s in all, past the limit of 30 days ({} s)",
                        total.as_secs(),
                        MAX_DURATION.as_secs()
                    ),
                ));
            }
        }
        if phases.len() + expanded.len() > MAX_PHASES {
            return Err(ctx.err(
                Some(p.span()),
                format!("load.phases[{i}]"),
                format!("the load expands to more than {MAX_PHASES} phases"),
            ));
        }
        phases.extend(expanded);
    }
    Ok(LoadSpec {
        arrivals,
        seed: raw.seed.unwrap_or(1),
        max_in_flight,
        timeout,
        phases,
    })
}

pub(super) fn positive_duration(
    ctx: &Ctx,
    d: &Spanned<DurationValue>,
    field: &str,
) -> Result<Duration, ProfileError> {
    if d.get_ref().0.is_zero() {
        Err(ctx.err(Some(d.span()), field, "must be longer than zero"))
    } else {
        Ok(d.get_ref().0)
    }
}

/// Per-second multiplier of a shorthand's `per` field.
fn per_factor(ctx: &Ctx, per: &Option<Spanned<String>>, field: &str) -> Result<f64, ProfileError> {
    match per {
        None => Ok(1.0),
        Some(p) => match p.get_ref().as_str() {
            "second" => Ok(1.0),
            "minute" => Ok(1.0 / 60.0),
            other => Err(ctx.err(
                Some(p.span()),
                field,
                format!("unknown unit {other:?}; one of \"second\", \"minute\""),
            )),
        },
    }
}

fn rate(ctx: &Ctx, v: &Spanned<f64>, field: &str, factor: f64) -> Result<f64, ProfileError> {
    let r = *v.get_ref();
    if r.is_nan() || r < 0.0 {
        return Err(ctx.err(
            Some(v.span()),
            field,
            format!("rate must not be negative (got {r})"),
        ));
    }
    if r * factor > MAX_RATE {
        return Err(ctx.err(
            Some(v.span()),
            field,
            format!("rate must be at most {MAX_RATE} requests/s (got {r})"),
        ));
    }
    Ok(r * factor)
}

/// Both ends of a ramp, or an error naming the missing one.
fn ramp_ends<'a>(
    ctx: &Ctx,
    p: &Spanned<RawPhase>,
    i: usize,
    a: &'a Option<Spanned<f64>>,
    b: &'a Option<Spanned<f64>>,
    names: (&str, &str),
) -> Result<(&'a Spanned<f64>, &'a Spanned<f64>), ProfileError> {
    match (a, b) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(ctx.err(
            Some(p.span()),
            format!(
                "load.phases[{i}].{}",
                if a.is_none() { names.0 } else { names.1 }
            ),
            format!("a ramp needs both {} and {}", names.0, names.1),
        )),
    }
}

/// One `[[load.phases]]` entry → one or more phases.
fn expand_phase(ctx: &Ctx, i: usize, p: &Spanned<RawPhase>) -> Result<Vec<Phase>, ProfileError> {
    let raw = p.get_ref();
    let at = |f: &str| format!("load.phases[{i}].{f}");
    let shapes: Vec<&str> = [
        ("rate", raw.rate.is_some()),
        ("rpm", raw.rpm.is_some()),
        ("from/to", raw.from.is_some() || raw.to.is_some()),
        (
            "from_rpm/to_rpm",
            raw.from_rpm.is_some() || raw.to_rpm.is_some(),
        ),
        ("steps", raw.steps.is_some()),
        ("spike", raw.spike.is_some()),
        ("sine", raw.sine.is_some()),
    ]
    .iter()
    .filter(|(_, g)| *g)
    .map(|(n, _)| *n)
    .collect();
    if shapes.len() != 1 {
        return Err(ctx.err(
            Some(p.span()),
            format!("load.phases[{i}]"),
            format!(
                "give exactly one of rate, rpm, from/to, from_rpm/to_rpm, steps, spike, sine (got {})",
                if shapes.is_empty() { "none".into() } else { shapes.join(", ") }
            ),
        ));
    }
    let base_name = raw
        .name
        .clone()
        .unwrap_or_else(|| format!("phase {}", i + 1));
    let needs_duration = || -> Result<Duration, ProfileError> {
        match &raw.duration {
            Some(d) => positive_duration(ctx, d, &at("duration")),
            None => Err(ctx.err(Some(p.span()), at("duration"), "missing")),
        }
    };
    let constant = |rate: f64, duration| Phase {
        name: base_name.clone(),
        duration,
        from_rate: rate,
        to_rate: rate,
    };
    if let Some(r) = &raw.rate {
        return Ok(vec![constant(
            rate(ctx, r, &at("rate"), 1.0)?,
            needs_duration()?,
        )]);
    }
    if let Some(r) = &raw.rpm {
        return Ok(vec![constant(
            rate(ctx, r, &at("rpm"), 1.0 / 60.0)?,
            needs_duration()?,
        )]);
    }
    if raw.from.is_some() || raw.to.is_some() {
        let (a, b) = ramp_ends(ctx, p, i, &raw.from, &raw.to, ("from", "to"))?;
        return Ok(vec![Phase {
            name: base_name.clone(),
            duration: needs_duration()?,
            from_rate: rate(ctx, a, &at("from"), 1.0)?,
            to_rate: rate(ctx, b, &at("to"), 1.0)?,
        }]);
    }
    if raw.from_rpm.is_some() || raw.to_rpm.is_some() {
        let (a, b) = ramp_ends(
            ctx,
            p,
            i,
            &raw.from_rpm,
            &raw.to_rpm,
            ("from_rpm", "to_rpm"),
        )?;
        return Ok(vec![Phase {
            name: base_name.clone(),
            duration: needs_duration()?,
            from_rate: rate(ctx, a, &at("from_rpm"), 1.0 / 60.0)?,
            to_rate: rate(ctx, b, &at("to_rpm"), 1.0 / 60.0)?,
        }]);
    }
    if raw.duration.is_some() {
        return Err(ctx.err(
            Some(p.span()),
            at("duration"),
            "not used with steps/spike/sine (they carry their own durations)",
        ));
    }
    if let Some(s) = &raw.steps {
        let s = s.get_ref();
        let f = per_factor(ctx, &s.per, &at("steps.per"))?;
        let from = rate(ctx, &s.from, &at("steps.from"), f)?;
        let to = rate(ctx, &s.to, &at("steps.to"), f)?;
        let step = rate(ctx, &s.step, &at("steps.step"), f)?;
        if step <= 0.0 {
            return Err(ctx.err(
                Some(s.step.span()),
                at("steps.step"),
                "must be greater than zero",
            ));
        }
        let every = positive_duration(ctx, &s.every, &at("steps.every"))?;
        let count = ((to - from).abs() / step).floor() + 1.0;
        if count > MAX_PHASES as f64 {
            return Err(ctx.err(
                Some(s.step.span()),
                at("steps.step"),
                format!("makes {count} steps; at most {MAX_PHASES}"),
            ));
        }
        let count = count as usize;
        let sign = if to >= from { 1.0 } else { -1.0 };
        return Ok((0..count)
            .map(|k| {
                let r = from + sign * step * k as f64;
                Phase {
                    name: format!("{base_name} step {}", k + 1),
                    ..constant(r, every)
                }
            })
            .collect());
    }
    if let Some(s) = &raw.spike {
        let s = s.get_ref();
        let f = per_factor(ctx, &s.per, &at("spike.per"))?;
        let base = rate(ctx, &s.base, &at("spike.base"), f)?;
        let peak = rate(ctx, &s.peak, &at("spike.peak"), f)?;
        let mut out = Vec::new();
        for (label, r, d, field) in [
            ("before", base, &s.before, "spike.before"),
            ("spike", peak, &s.hold, "spike.hold"),
            ("after", base, &s.after, "spike.after"),
        ] {
            let d = d.get_ref().0;
            if d.is_zero() && field == "spike.hold" {
                return Err(ctx.err(Some(s.hold.span()), at(field), "must be longer than zero"));
            }
            if !d.is_zero() {
                out.push(Phase {
                    name: format!("{base_name} {label}"),
                    ..constant(r, d)
                });
            }
        }
        return Ok(out);
    }
    let s = raw.sine.as_ref().expect("one shape").get_ref();
    let f = per_factor(ctx, &s.per, &at("sine.per"))?;
    let mean = rate(ctx, &s.mean, &at("sine.mean"), f)?;
    let amplitude = rate(ctx, &s.amplitude, &at("sine.amplitude"), f)?;
    if amplitude > mean {
        return Err(ctx.err(
            Some(s.amplitude.span()),
            at("sine.amplitude"),
            format!("must not exceed mean ({amplitude} > {mean}); the rate would go negative"),
        ));
    }
    let period = positive_duration(ctx, &s.period, &at("sine.period"))?;
    let duration = positive_duration(ctx, &s.duration, &at("sine.duration"))?;
    let segments = match &s.segments {
        None => 12,
        Some(n) if *n.get_ref() >= 2 && *n.get_ref() <= 1000 => *n.get_ref() as usize,
        Some(n) => {
            return Err(ctx.err(
                Some(n.span()),
                at("sine.segments"),
                "must be between 2 and 1000",
            ));
        }
    };
    let seg = period.as_secs_f64() / segments as f64;
    let total = duration.as_secs_f64();
    // As steps have: a short period over a long duration would otherwise
    // expand into millions of phases.
    let count = (total / seg).ceil();
    if count > MAX_PHASES as f64 {
        return Err(ctx.err(
            Some(s.period.span()),
            at("sine"),
            format!(
                "makes {count} segments ({segments} a period over {} s); at most {MAX_PHASES}: \
                 lengthen the period or lower segments",
                total
            ),
        ));
    }
    let value =
        |t: f64| mean + amplitude * (2.0 * std::f64::consts::PI * t / period.as_secs_f64()).sin();
    let mut out = Vec::new();
    let mut t = 0.0;
    let mut k = 0;
    while t < total - 1e-9 {
        let end = (t + seg).min(total);
        k += 1;
        out.push(Phase {
            name: format!("{base_name} sine {k}"),
            duration: Duration::from_secs_f64(end - t),
            from_rate: value(t),
            to_rate: value(end),
        });
        t = end;
    }
    Ok(out)
}
