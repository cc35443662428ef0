//! The lag analysis's output: a chain's direction and links, the requests
//! its window held (impact), one episode, and the control plane's own
//! measurements. Serialized as they are into summary.json.

use serde::{Deserialize, Serialize};

use super::round3;
use crate::timeline::median;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Out,
    In,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Out => "scale-out",
            Direction::In => "scale-in",
        }
    }
}

/// One link of a chain. `at`/`t_s` are absent when it never happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    /// RFC 3339 UTC.
    pub at: Option<String>,
    /// Seconds since the run started.
    pub t_s: Option<f64>,
    /// Seconds since the previous link (absent on the first link and on a
    /// missing one).
    pub delta_s: Option<f64>,
    /// Why this link is missing, e.g. "alarm never fired: 2 of 3 datapoints
    /// breached".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// What the link was, e.g. "InvocationsPerInstance 1800 > 600 (period 300–360 s)".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// On the "datapoint past threshold" link: when the breaching period
    /// began, seconds since the run started. The link's delta runs from the
    /// load change to the period's *end*, which holds time the metric spent
    /// below the threshold as well as the period itself; this tells them
    /// apart (the waterfall draws them as two stretches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_start_s: Option<f64>,
}

/// Requests sent while capacity did not match load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    pub from_s: f64,
    pub to_s: f64,
    /// False when capacity never came into service (the window runs to the
    /// end of the run).
    pub until_in_service: bool,
    pub requests: u64,
    /// Latency of those requests; `None` when none completed (or none was
    /// sent). Async endpoints: matched to completions by queue order
    /// ([`super::Timeline::window_of_sends`]).
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub error_rate: f64,
    /// Streamed responses: p99 time to first token of those completed in
    /// the window (`copies::window_ttft_p99`); absent without streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_p99_ms: Option<f64>,
}

/// One chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Episode {
    pub direction: Direction,
    /// What started it: a load change or an activity's cause.
    pub cause: String,
    pub links: Vec<Link>,
    /// First link → capacity in service; absent when capacity never came.
    pub total_s: Option<f64>,
    pub impact: Impact,
    /// One plain sentence on where the time went ("3 one-minute datapoints
    /// had to breach (3 min) + CloudWatch publishing (59 s) + …"), cut from
    /// the links and the alarm's rule (module `time_went`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub where_time_went: Option<String>,
}

impl Episode {
    pub fn missing(&self) -> Option<&str> {
        self.links.iter().find_map(|l| l.missing.as_deref())
    }
}

/// Count, median and maximum of a measured duration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    pub count: usize,
    pub median_s: Option<f64>,
    pub max_s: Option<f64>,
}

impl Stat {
    pub fn of(mut v: Vec<f64>) -> Stat {
        let max = v.iter().copied().reduce(f64::max);
        Stat {
            count: v.len(),
            median_s: median(&mut v).map(round3),
            max_s: max.map(round3),
        }
    }
}

/// Measurements of the control plane itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// CloudWatch publishing delay: first seen − period end, every datapoint
    /// first seen after its period ended.
    pub publishing_delay: Stat,
    /// Datapoints first seen before their period ended, left out of
    /// `publishing_delay` (a negative delay is no delay), and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishing_early: Option<super::control_plane::Early>,
    /// Instance launch: scale-out activity start → InService with the new count.
    pub launch: Stat,
    pub max_instances: Option<u32>,
    /// Simulated runs: the scale-in rule the model ran ("halfway: …").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale_in_rule: Option<String>,
}

pub struct LagAnalysis {
    pub episodes: Vec<Episode>,
    pub scaling: Scaling,
}
