//! The profile as written: serde structs mirroring the TOML, with spans kept
//! for every value that validation may reject. Nothing here checks meaning;
//! [`super::Profile::parse`] turns this into the typed, validated profile.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub target: Option<Spanned<RawTarget>>,
    pub payload: Option<Spanned<RawPayload>>,
    pub load: Option<Spanned<RawLoad>>,
    pub observe: Option<Spanned<RawObserve>>,
    pub sim: Option<Spanned<super::sim::RawSimConfig>>,
    pub capacity: Option<Spanned<RawCapacity>>,
    pub slo: Option<Spanned<super::gates::RawSlo>>,
    pub gates: Option<Spanned<super::gates::RawGates>>,
}

/// `[capacity]`: how `scaletrace capacity` climbs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCapacity {
    pub start_rate: Option<Spanned<f64>>,
    pub max_rate: Option<Spanned<f64>>,
    pub growth: Option<Spanned<f64>>,
    pub fine_steps: Option<Spanned<i64>>,
    pub settle: Option<Spanned<DurationValue>>,
    pub step: Option<Spanned<DurationValue>>,
    pub p99_ms: Option<Spanned<f64>>,
    pub min_success_ratio: Option<Spanned<f64>>,
    pub safety_factor: Option<Spanned<f64>>,
    pub start_concurrency: Option<Spanned<i64>>,
    pub max_concurrency: Option<Spanned<i64>>,
    pub ttft_p99_ms: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTarget {
    pub kind: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub headers: Option<Spanned<BTreeMap<String, Spanned<RawHeaderValue>>>>,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    /// `GET /ping` before the run (the SageMaker container contract).
    pub ping: Option<bool>,
    // kind = "sagemaker" / "sagemaker-async" (validated in `super::aws`).
    pub endpoint_name: Option<Spanned<String>>,
    pub target_variant: Option<Spanned<String>>,
    pub target_model: Option<Spanned<String>>,
    pub inference_component: Option<Spanned<String>>,
    pub custom_attributes: Option<Spanned<String>>,
    pub region: Option<Spanned<String>>,
    pub profile: Option<Spanned<String>>,
    pub endpoint_url: Option<Spanned<String>>,
    pub input_s3_uri: Option<Spanned<String>>,
    pub unique_inputs: Option<Spanned<bool>>,
    pub request_ttl: Option<Spanned<DurationValue>>,
    pub invocation_timeout: Option<Spanned<DurationValue>>,
    pub drain_timeout: Option<Spanned<DurationValue>>,
    pub s3_requests_per_second: Option<Spanned<f64>>,
    pub output_poll_max: Option<Spanned<DurationValue>>,
    // Streaming responses, kind = "sagemaker" or "http" (`super::stream`).
    pub stream: Option<Spanned<bool>>,
    pub tokens: Option<Spanned<String>>,
}

/// A header value: `"Bearer …"`, or `{ env = "API_TOKEN" }` to read it from
/// the environment (so the secret need not sit in the profile).
#[derive(Debug)]
pub enum RawHeaderValue {
    Value(String),
    Env(String),
}

impl<'de> Deserialize<'de> for RawHeaderValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct FromEnv {
            env: String,
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawHeaderValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a header value (a string) or { env = \"VARIABLE\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawHeaderValue, E> {
                Ok(RawHeaderValue::Value(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                m: A,
            ) -> Result<RawHeaderValue, A::Error> {
                let e = FromEnv::deserialize(serde::de::value::MapAccessDeserializer::new(m))?;
                Ok(RawHeaderValue::Env(e.env))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayload {
    pub body: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    pub jsonl: Option<Spanned<String>>,
    pub dir: Option<Spanned<String>>,
    pub order: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLoad {
    pub arrivals: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub max_in_flight: Option<Spanned<i64>>,
    pub timeout: Option<Spanned<DurationValue>>,
    pub phases: Option<Spanned<Vec<Spanned<RawPhase>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub name: Option<String>,
    pub duration: Option<Spanned<DurationValue>>,
    pub rate: Option<Spanned<f64>>,
    pub rpm: Option<Spanned<f64>>,
    pub from: Option<Spanned<f64>>,
    pub to: Option<Spanned<f64>>,
    pub from_rpm: Option<Spanned<f64>>,
    pub to_rpm: Option<Spanned<f64>>,
    pub steps: Option<Spanned<RawSteps>>,
    pub spike: Option<Spanned<RawSpike>>,
    pub sine: Option<Spanned<RawSine>>,
}

/// `steps = { from = 10, to = 50, step = 10, every = "1m" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSteps {
    pub from: Spanned<f64>,
    pub to: Spanned<f64>,
    pub step: Spanned<f64>,
    pub every: Spanned<DurationValue>,
    pub per: Option<Spanned<String>>,
}

/// `spike = { base = 10, peak = 100, before = "1m", hold = "30s", after = "2m" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpike {
    pub base: Spanned<f64>,
    pub peak: Spanned<f64>,
    pub before: Spanned<DurationValue>,
    pub hold: Spanned<DurationValue>,
    pub after: Spanned<DurationValue>,
    pub per: Option<Spanned<String>>,
}

/// `sine = { mean = 50, amplitude = 30, period = "10m", duration = "30m" }`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSine {
    pub mean: Spanned<f64>,
    pub amplitude: Spanned<f64>,
    pub period: Spanned<DurationValue>,
    pub duration: Spanned<DurationValue>,
    /// Linear segments per period (default 12).
    pub segments: Option<Spanned<i64>>,
    pub per: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObserve {
    pub interval: Option<Spanned<DurationValue>>,
    /// Keep observing this long after the load ends.
    pub tail: Option<Spanned<DurationValue>>,
}

/// The longest duration any field takes: 30 days. Far beyond any load
/// test or timeout, and small enough that sums of durations and instants
/// plus durations never overflow (a `Duration` holds 584 billion years,
/// but `Instant + Duration` and `Duration::from_secs_f64` panic well
/// before that, and `1e300` is a valid TOML number).
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// A duration written as `"90s"`, `"5m"`, `"1h 30m"` or a number of seconds,
/// from 0 to [`MAX_DURATION`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DurationValue(pub Duration);

fn too_long<E: serde::de::Error>(got: &dyn std::fmt::Display) -> E {
    E::custom(format!(
        "duration must be at most 30 days ({} s) (got {got})",
        MAX_DURATION.as_secs()
    ))
}

impl<'de> Deserialize<'de> for DurationValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DurationValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a duration such as \"90s\", \"5m\" or a number of seconds")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DurationValue, E> {
                let d = humantime::parse_duration(v.trim())
                    .map_err(|e| E::custom(format!("invalid duration {v:?}: {e}")))?;
                if d > MAX_DURATION {
                    return Err(too_long(&format_args!("{v:?}")));
                }
                Ok(DurationValue(d))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<DurationValue, E> {
                if v < 0 {
                    return Err(E::custom(format!(
                        "duration must not be negative (got {v})"
                    )));
                }
                self.visit_u64(v as u64)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<DurationValue, E> {
                if v > MAX_DURATION.as_secs() {
                    return Err(too_long(&format_args!("{v} s")));
                }
                Ok(DurationValue(Duration::from_secs(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<DurationValue, E> {
                if v.is_nan() || v < 0.0 {
                    return Err(E::custom(format!(
                        "duration must not be negative (got {v:?})"
                    )));
                }
                // Checked before converting: `from_secs_f64` panics on
                // values past `Duration::MAX` (and on infinity). `{v:?}`
                // prints 1e300 as `1e300`, not as 301 digits.
                if v > MAX_DURATION.as_secs_f64() {
                    return Err(too_long(&format_args!("{v:?} s")));
                }
                Ok(DurationValue(Duration::from_secs_f64(v)))
            }
        }
        d.deserialize_any(Visitor)
    }
}
