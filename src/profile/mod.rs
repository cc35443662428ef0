//! Profiles: the TOML schema, defaults and validation.
//!
//! [`raw`] mirrors the file; [`Profile::parse`] builds the typed profile,
//! expanding load shorthands (steps, spike, sine) into plain phases, and
//! rejects anything doubtful with a [`ProfileError`] naming the file, line,
//! column and field. Parsing and validation do no I/O: [`Profile::load`]
//! reads the profile and then, as its own step between parsing the TOML and
//! validating it, the scaling-policy files it refers to ([`files`]);
//! payload files are read later, by [`crate::payload`].

pub mod aws;
pub mod capacity;
pub mod error;
pub mod files;
pub mod gates;
mod load;
pub mod payload_file;
pub mod raw;
mod serialize;
pub mod sim;
pub mod sim_work;
pub mod stream;
mod target;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use toml::Spanned;

pub use error::ProfileError;
pub use files::Files;
pub use gates::{Gates, Slo, Tolerances};
pub use load::{MAX_IN_FLIGHT, MAX_PHASES, MAX_RATE};
use load::{load_spec, positive_duration};
pub use raw::MAX_DURATION;
use raw::{RawPayload, RawProfile};
pub use target::{HeaderValue, HttpTargetSpec, REDACTED, UrlError};
use target::{invocation_url, target_spec};

/// SageMaker's real-time invocation timeout; the default request timeout.
pub const SAGEMAKER_INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);
/// Default cap on requests in flight: high enough not to throttle a healthy
/// endpoint, low enough that a stalled one can't exhaust the harness.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 10_000;

/// A validated profile. Its JSON (the `profile` key of `run.json`, read
/// back by `report` and `merge`) is [`serialize::ProfileJson`]'s, the shape
/// it had when `[sim]` was a field of its own.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    /// Where the profile was read from; payload paths are relative to its
    /// folder.
    pub source: Option<PathBuf>,
    pub target: TargetSpec,
    pub payload: PayloadSpec,
    pub load: LoadSpec,
    pub observe: ObserveSpec,
    pub capacity: CapacitySpec,
    /// `[slo]`: when latency and errors count as recovered (lag analysis).
    pub slo: Option<Slo>,
    /// `[gates]`: limits checked after the run.
    pub gates: Option<Gates>,
}

/// `[capacity]`, with defaults: the stairs `scaletrace capacity` climbs and
/// the SLO a step must hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapacitySpec {
    pub search: capacity::SearchConfig,
    /// Warm-up at each step's rate, not measured.
    #[serde(with = "secs")]
    pub settle: Duration,
    /// The measured part of each step.
    #[serde(with = "secs")]
    pub step: Duration,
    /// SCALING_VALUE = MAX_RPS × this × 60; AWS suggests 0.5 to start.
    pub safety_factor: f64,
    /// `capacity --concurrency`'s stairs and TTFT limit.
    #[serde(skip_serializing_if = "capacity::ConcurrencyConfig::is_default")]
    pub concurrency: capacity::ConcurrencyConfig,
}

impl Default for CapacitySpec {
    fn default() -> Self {
        CapacitySpec {
            search: capacity::SearchConfig {
                start_rate: 1.0,
                max_rate: 10_000.0,
                growth: 2.0,
                fine_steps: 4,
                p99_ms: 1000.0,
                min_success_ratio: 0.999,
            },
            settle: Duration::from_secs(10),
            step: Duration::from_secs(30),
            safety_factor: 0.5,
            concurrency: capacity::ConcurrencyConfig::default(),
        }
    }
}

/// `[target]`: where requests go. Serialized as `{"kind": …, …}`
/// ([`serialize::TargetJson`]), the simulator's `[sim]` not included (the
/// profile's JSON carries it under `sim`).
#[derive(Debug, Clone)]
pub enum TargetSpec {
    Http(HttpTargetSpec),
    /// A real-time SageMaker endpoint (InvokeEndpoint).
    SageMaker(aws::SageMakerTargetSpec),
    /// An asynchronous SageMaker endpoint (InvokeEndpointAsync, S3 in/out).
    SageMakerAsync(aws::SageMakerAsyncTargetSpec),
    /// The embedded simulated endpoint, configured by `[sim]` (boxed: it is
    /// much larger than the other kinds).
    Sim(Box<sim::SimConfig>),
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum PayloadSpec {
    Inline { body: String },
    File { path: PathBuf },
    Jsonl { path: PathBuf, order: PayloadOrder },
    Dir { path: PathBuf, order: PayloadOrder },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayloadOrder {
    RoundRobin,
    Random,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Evenly spaced sends (wrk2-style).
    Uniform,
    /// A Poisson process with the phase's (possibly changing) rate.
    Poisson,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadSpec {
    pub arrivals: Arrivals,
    pub seed: u64,
    pub max_in_flight: usize,
    #[serde(with = "secs")]
    pub timeout: Duration,
    pub phases: Vec<Phase>,
}

/// One named stretch of load: a constant rate, or a linear ramp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    pub name: String,
    #[serde(with = "secs")]
    pub duration: Duration,
    /// Requests per second at the start of the phase.
    pub from_rate: f64,
    /// Requests per second at the end of the phase (equal to `from_rate`
    /// for a constant phase).
    pub to_rate: f64,
}

impl Phase {
    /// Intended requests in the phase (the rate's integral).
    pub fn expected_requests(&self) -> f64 {
        (self.from_rate + self.to_rate) / 2.0 * self.duration.as_secs_f64()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ObserveSpec {
    #[serde(with = "secs")]
    pub interval: Duration,
    #[serde(with = "secs")]
    pub tail: Duration,
}

impl LoadSpec {
    pub fn total_duration(&self) -> Duration {
        self.phases.iter().map(|p| p.duration).sum()
    }

    pub fn expected_requests(&self) -> f64 {
        self.phases.iter().map(Phase::expected_requests).sum()
    }

    pub fn peak_rate(&self) -> f64 {
        self.phases
            .iter()
            .map(|p| p.from_rate.max(p.to_rate))
            .fold(0.0, f64::max)
    }
}

/// Serializes a `Duration` as seconds (f64).
pub mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

/// Parsing context: the file and its text, for positions in errors, and the
/// files it refers to, read before validation.
pub struct Ctx<'a> {
    pub file: &'a Path,
    pub source: &'a str,
    pub files: &'a Files,
}

impl Ctx<'_> {
    pub fn err(
        &self,
        span: Option<Range<usize>>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> ProfileError {
        ProfileError::at(self.file, self.source, span, field, message)
    }
}

/// What the command line may change in a profile, as types (`scaletrace run
/// --url/--rate/--duration`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub url: Option<String>,
    pub rate: Option<f64>,
    pub duration: Option<Duration>,
}

/// An override the profile can't take; the message names the flag.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OverrideError {
    #[error("--url needs a profile with [target] kind = \"http\"")]
    UrlNeedsHttp,
    #[error("--url: {0}")]
    Url(#[source] UrlError),
    #[error("--rate must be a rate from 0 to {MAX_RATE} requests/s (got {0})")]
    Rate(f64),
    #[error("--duration must be at most 30 days (got {})", humantime::format_duration(*.0))]
    Duration(Duration),
    /// `--rate`/`--duration` make a simulated run too long to compute.
    #[error("--rate/--duration: {0}")]
    SimWork(sim_work::TooMuchWork),
    /// The built-in ad-hoc profile of [`Profile::for_url`] was rejected.
    #[error(transparent)]
    Adhoc(#[from] ProfileError),
}

impl Profile {
    /// Reads and validates a profile file: parses it, reads the files it
    /// refers to ([`files::referenced`], [`Files::read`]), then validates.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let bytes = std::fs::read(path).map_err(|e| ProfileError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            field: String::new(),
            message: format!("cannot read profile: {e}"),
        })?;
        let source = String::from_utf8(bytes).map_err(|e| error::not_utf8(path, e.as_bytes()))?;
        let none = Files::default();
        let raw = parse_raw(&Ctx {
            file: path,
            source: &source,
            files: &none,
        })?;
        let files = Files::read(&files::referenced(path, &raw));
        let ctx = Ctx {
            file: path,
            source: &source,
            files: &files,
        };
        let profile = Profile::validate(&ctx, &raw)?;
        payload_file::check(&ctx, &raw, &profile)?;
        Ok(profile)
    }

    /// Validates a profile's text; `file` is used for messages and for the
    /// default name and relative paths. Reads no file: a policy file it
    /// refers to is an error ([`Profile::load`] reads them, or give them to
    /// [`Profile::parse_with`]).
    pub fn parse(file: &Path, source: &str) -> Result<Profile, ProfileError> {
        Profile::parse_with(file, source, &Files::default())
    }

    /// [`Profile::parse`], with the referenced files' texts.
    pub fn parse_with(file: &Path, source: &str, files: &Files) -> Result<Profile, ProfileError> {
        let ctx = Ctx {
            file,
            source,
            files,
        };
        let raw = parse_raw(&ctx)?;
        Profile::validate(&ctx, &raw)
    }

    /// Builds the typed profile from the raw one (no I/O).
    fn validate(ctx: &Ctx, raw: &RawProfile) -> Result<Profile, ProfileError> {
        let file = ctx.file;
        let name = match &raw.name {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(ctx.err(Some(n.span()), "name", "must not be empty"));
            }
            Some(n) => n.get_ref().clone(),
            None => file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "run".into()),
        };
        let mut target = match &raw.target {
            Some(t) => target_spec(ctx, t)?,
            None => return Err(ctx.err(None, "target", "missing [target] section")),
        };
        match (&mut target, &raw.sim) {
            (TargetSpec::Sim(cfg), Some(s)) => **cfg = sim::SimConfig::from_raw(ctx, s)?,
            (TargetSpec::Sim(_), None) => {}
            (_, Some(s)) => {
                return Err(ctx.err(
                    Some(s.span()),
                    "sim",
                    "[sim] is only used with [target] kind = \"sim\"",
                ));
            }
            (_, None) => {}
        }
        let payload = match &raw.payload {
            Some(p) => payload_spec(ctx, p)?,
            None => PayloadSpec::Inline { body: "{}".into() },
        };
        let mut load = match &raw.load {
            Some(l) => load_spec(ctx, l)?,
            None => return Err(ctx.err(None, "load", "missing [load] section")),
        };
        let timeout_given = raw
            .load
            .as_ref()
            .is_some_and(|l| l.get_ref().timeout.is_some());
        if matches!(target, TargetSpec::SageMakerAsync(_)) && !timeout_given {
            load.timeout = aws::ASYNC_DEFAULT_TIMEOUT;
        }
        let observe = match &raw.observe {
            Some(o) => ObserveSpec {
                interval: match &o.get_ref().interval {
                    Some(d) => positive_duration(ctx, d, "observe.interval")?,
                    None => Duration::from_secs(10),
                },
                tail: o
                    .get_ref()
                    .tail
                    .as_ref()
                    .map(|d| d.get_ref().0)
                    .unwrap_or_default(),
            },
            None => ObserveSpec {
                interval: Duration::from_secs(10),
                tail: Duration::ZERO,
            },
        };
        let capacity = match &raw.capacity {
            Some(c) => capacity_spec(ctx, c)?,
            None => CapacitySpec::default(),
        };
        if matches!(target, TargetSpec::Sim(_)) {
            let phases = raw.load.as_ref().and_then(|l| l.get_ref().phases.as_ref());
            sim_work::check(&load)
                .map_err(|e| ctx.err(phases.map(|p| p.span()), "load.phases", e.to_string()))?;
        }
        let (slo, gates) = slo_and_gates(ctx, raw)?;
        Ok(Profile {
            capacity,
            name,
            description: raw.description.clone(),
            source: Some(file.to_path_buf()),
            target,
            payload,
            load,
            observe,
            slo,
            gates,
        })
    }

    /// The simulated deployment, when the target is the simulator.
    pub fn sim(&self) -> Option<&sim::SimConfig> {
        match &self.target {
            TargetSpec::Sim(s) => Some(s),
            _ => None,
        }
    }

    /// [`Profile::sim`], to change.
    pub fn sim_mut(&mut self) -> Option<&mut sim::SimConfig> {
        match &mut self.target {
            TargetSpec::Sim(s) => Some(s),
            _ => None,
        }
    }

    /// [`Profile::sim`], taken.
    pub fn into_sim(self) -> Option<sim::SimConfig> {
        match self.target {
            TargetSpec::Sim(s) => Some(*s),
            _ => None,
        }
    }

    /// Folder that relative paths in the profile start from.
    pub fn base_dir(&self) -> PathBuf {
        self.source
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// A profile for `scaletrace run --url URL` without a file: 10 requests/s
    /// for 10 s unless `--rate`/`--duration` say otherwise. The URL goes in
    /// as a typed override (validated like `target.url`), never into TOML.
    pub fn for_url(url: &str) -> Result<Profile, OverrideError> {
        const ADHOC: &str = "name = \"adhoc\"\n[target]\nkind = \"http\"\nurl = \"http://127.0.0.1\"\n\
                             [load]\nphases = [{ duration = \"10s\", rate = 10 }]\n";
        let mut p = Profile::parse(Path::new("<command line>"), ADHOC)?;
        p.source = None;
        p.apply(&Overrides {
            url: Some(url.to_string()),
            ..Overrides::default()
        })?;
        Ok(p)
    }

    /// Applies the command line's overrides: `--url` replaces an HTTP
    /// target's URL (and its `/ping`, when checked), `--rate`/`--duration`
    /// the load ([`Profile::override_load`]). Errors name the flag.
    pub fn apply(&mut self, o: &Overrides) -> Result<(), OverrideError> {
        if let Some(url) = &o.url {
            let TargetSpec::Http(h) = &mut self.target else {
                return Err(OverrideError::UrlNeedsHttp);
            };
            let (invoke_url, origin) = invocation_url(url).map_err(OverrideError::Url)?;
            h.url = invoke_url;
            if h.ping_url.is_some() {
                h.ping_url = Some(format!("{origin}/ping"));
            }
        }
        if let Some(r) = o.rate
            && !(r.is_finite() && (0.0..=MAX_RATE).contains(&r))
        {
            return Err(OverrideError::Rate(r));
        }
        if let Some(d) = o.duration
            && d > MAX_DURATION
        {
            return Err(OverrideError::Duration(d));
        }
        self.override_load(o.rate, o.duration);
        if self.sim().is_some() {
            sim_work::check(&self.load).map_err(OverrideError::SimWork)?;
        }
        Ok(())
    }

    /// Applies `--rate` and `--duration`: with a rate, the load becomes one
    /// constant phase (lasting `duration`, or the profile's total); with
    /// only a duration, the phases are cut at it or the last one extended.
    pub fn override_load(&mut self, rate: Option<f64>, duration: Option<Duration>) {
        let total = self.load.total_duration();
        if let Some(rate) = rate {
            self.load.phases = vec![Phase {
                name: "override".into(),
                duration: duration.unwrap_or(total),
                from_rate: rate,
                to_rate: rate,
            }];
        } else if let Some(limit) = duration {
            let mut left = limit;
            let mut phases = Vec::new();
            for p in &self.load.phases {
                if left.is_zero() {
                    break;
                }
                let mut p = p.clone();
                if p.duration > left {
                    let frac = left.as_secs_f64() / p.duration.as_secs_f64();
                    p.to_rate = p.from_rate + (p.to_rate - p.from_rate) * frac;
                    p.duration = left;
                }
                left -= p.duration;
                phases.push(p);
            }
            if let (false, Some(last)) = (left.is_zero(), phases.last_mut()) {
                last.duration += left;
            }
            self.load.phases = phases;
        }
    }
}

/// The `[slo]` and `[gates]` sections (see [`gates`]).
fn slo_and_gates(
    ctx: &Ctx,
    raw: &RawProfile,
) -> Result<(Option<Slo>, Option<Gates>), ProfileError> {
    let base = ctx.file.parent().unwrap_or(Path::new("."));
    let slo = raw
        .slo
        .as_ref()
        .map(|s| Slo::from_raw(ctx, s))
        .transpose()?;
    let gates = raw
        .gates
        .as_ref()
        .map(|g| Gates::from_raw(ctx, g, base))
        .transpose()?;
    Ok((slo, gates))
}

/// Deserializes the raw profile, turning serde errors into positioned ones
/// with the field's dotted path.
fn parse_raw(ctx: &Ctx) -> Result<RawProfile, ProfileError> {
    let de = toml::Deserializer::parse(ctx.source)
        .map_err(|e| ctx.err(e.span(), "", e.message().trim().to_string()))?;
    serde_path_to_error::deserialize::<_, RawProfile>(de).map_err(|e| {
        // Spanned<T> shows up in the path as a private wrapper key.
        let path = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "")
            .replace("$__serde_spanned_private_value.", "")
            .replace("$__serde_spanned_private_value", "");
        let inner = e.into_inner();
        let field = if path == "." || path.is_empty() {
            String::new()
        } else {
            path
        };
        ctx.err(inner.span(), field, inner.message().trim().to_string())
    })
}

fn payload_spec(ctx: &Ctx, p: &Spanned<RawPayload>) -> Result<PayloadSpec, ProfileError> {
    let raw: &RawPayload = p.get_ref();
    let order = match &raw.order {
        None => PayloadOrder::RoundRobin,
        Some(o) => match o.get_ref().as_str() {
            "round-robin" => PayloadOrder::RoundRobin,
            "random" => PayloadOrder::Random,
            other => {
                return Err(ctx.err(
                    Some(o.span()),
                    "payload.order",
                    format!("unknown order {other:?}; one of \"round-robin\", \"random\""),
                ));
            }
        },
    };
    let given: Vec<&str> = [
        ("body", raw.body.is_some()),
        ("file", raw.file.is_some()),
        ("jsonl", raw.jsonl.is_some()),
        ("dir", raw.dir.is_some()),
    ]
    .iter()
    .filter(|(_, g)| *g)
    .map(|(n, _)| *n)
    .collect();
    if given.len() != 1 {
        return Err(ctx.err(
            Some(p.span()),
            "payload",
            format!(
                "give exactly one of body, file, jsonl, dir (got {})",
                if given.is_empty() {
                    "none".into()
                } else {
                    given.join(", ")
                }
            ),
        ));
    }
    Ok(if let Some(b) = &raw.body {
        PayloadSpec::Inline {
            body: b.get_ref().clone(),
        }
    } else if let Some(f) = &raw.file {
        PayloadSpec::File {
            path: PathBuf::from(f.get_ref()),
        }
    } else if let Some(f) = &raw.jsonl {
        PayloadSpec::Jsonl {
            path: PathBuf::from(f.get_ref()),
            order,
        }
    } else {
        PayloadSpec::Dir {
            path: PathBuf::from(raw.dir.as_ref().expect("one payload source").get_ref()),
            order,
        }
    })
}

fn capacity_spec(ctx: &Ctx, c: &Spanned<raw::RawCapacity>) -> Result<CapacitySpec, ProfileError> {
    let raw = c.get_ref();
    let mut spec = CapacitySpec::default();
    let positive =
        |v: &Option<Spanned<f64>>, field: &str, default: f64| -> Result<f64, ProfileError> {
            match v {
                None => Ok(default),
                Some(x) if x.get_ref().is_finite() && *x.get_ref() > 0.0 => Ok(*x.get_ref()),
                Some(x) => Err(ctx.err(
                    Some(x.span()),
                    format!("capacity.{field}"),
                    format!("must be greater than zero (got {})", x.get_ref()),
                )),
            }
        };
    let s = &mut spec.search;
    s.start_rate = positive(&raw.start_rate, "start_rate", s.start_rate)?;
    s.max_rate = positive(&raw.max_rate, "max_rate", s.max_rate)?;
    if s.max_rate < s.start_rate {
        let span = raw.max_rate.as_ref().map(|m| m.span());
        return Err(ctx.err(span, "capacity.max_rate", "must be at least start_rate"));
    }
    s.growth = positive(&raw.growth, "growth", s.growth)?;
    if s.growth <= 1.0 {
        let span = raw.growth.as_ref().map(|m| m.span());
        return Err(ctx.err(span, "capacity.growth", "must be greater than 1"));
    }
    if let Some(f) = &raw.fine_steps {
        if !(0..=20).contains(f.get_ref()) {
            return Err(ctx.err(
                Some(f.span()),
                "capacity.fine_steps",
                "must be between 0 and 20",
            ));
        }
        s.fine_steps = *f.get_ref() as u32;
    }
    s.p99_ms = positive(&raw.p99_ms, "p99_ms", s.p99_ms)?;
    s.min_success_ratio = positive(
        &raw.min_success_ratio,
        "min_success_ratio",
        s.min_success_ratio,
    )?;
    if s.min_success_ratio > 1.0 {
        let span = raw.min_success_ratio.as_ref().map(|m| m.span());
        return Err(ctx.err(
            span,
            "capacity.min_success_ratio",
            "is a ratio: at most 1 (e.g. 0.999)",
        ));
    }
    spec.safety_factor = positive(&raw.safety_factor, "safety_factor", spec.safety_factor)?;
    if spec.safety_factor > 1.0 {
        let span = raw.safety_factor.as_ref().map(|m| m.span());
        return Err(ctx.err(span, "capacity.safety_factor", "must be at most 1"));
    }
    if let Some(d) = &raw.settle {
        spec.settle = d.get_ref().0;
    }
    if let Some(d) = &raw.step {
        spec.step = positive_duration(ctx, d, "capacity.step")?;
    }
    let c = &mut spec.concurrency;
    for (v, field, into) in [
        (&raw.start_concurrency, "start_concurrency", &mut c.start),
        (&raw.max_concurrency, "max_concurrency", &mut c.max),
    ] {
        if let Some(n) = v {
            if !(1..=100_000).contains(n.get_ref()) {
                return Err(ctx.err(
                    Some(n.span()),
                    format!("capacity.{field}"),
                    format!("must be between 1 and 100000 (got {})", n.get_ref()),
                ));
            }
            *into = *n.get_ref() as u32;
        }
    }
    if c.max < c.start {
        let span = raw.max_concurrency.as_ref().map(|m| m.span());
        return Err(ctx.err(
            span,
            "capacity.max_concurrency",
            "must be at least start_concurrency",
        ));
    }
    if raw.ttft_p99_ms.is_some() {
        c.ttft_p99_ms = Some(positive(&raw.ttft_p99_ms, "ttft_p99_ms", 0.0)?);
    }
    Ok(spec)
}

#[cfg(test)]
mod tests;
