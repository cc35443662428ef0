//! A verdict on one limit (a `[gates]` field or a baseline tolerance), as
//! `summary.json` and `junit.xml` carry it. Below the analysis modules so
//! the summary, the gates and the baseline comparison share it without
//! importing each other.

use serde::{Deserialize, Serialize};

/// One gate's verdict, as `summary.json` and `junit.xml` carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The `[gates]` field, e.g. `p99_ms`, or `baseline.p99_increase_pct`.
    pub name: String,
    pub threshold: f64,
    /// The measured value; absent when the journal has no data for it.
    pub value: Option<f64>,
    pub passed: bool,
    /// Why the value is absent, or what it was measured on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
