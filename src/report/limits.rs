//! The `[slo]` and `[gates]` a report is judged by, as types: taken from
//! the [`Profile`] in memory when a run has one, or read back from
//! `run.json` (for `scaletrace report RUN_DIR`) in one validated step.
//!
//! `run.json` holds the profile as resolved, so its `slo`/`gates` are the
//! validated types serialized. Reading them back goes through the
//! profile's own raw types and `from_raw` rules (numbers ≥ 0, fractions in
//! 0..=1, no unknown field, a non-empty baseline), never a second copy of
//! those rules: the two sections are re-encoded as TOML, the profile
//! format, and parsed like a profile's. Errors name `run.json` and the
//! dotted field; the TOML's line and column are dropped, since they point
//! into the re-encoded text, not the file.

use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::journal::JournalData;
use crate::profile::gates::{RawGates, RawSlo};
use crate::profile::{Ctx, Gates, Profile, ProfileError, Slo};

/// What "healthy" means for the lag analysis (`slo`) and the limits the
/// run is judged by (`gates`); either may be absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    pub slo: Option<Slo>,
    pub gates: Option<Gates>,
}

/// `run.json`'s `[slo]` or `[gates]` is not what a profile allows.
/// Displayed as `run.json: gates.p99_ms: must be a number ≥ 0 (got -1)`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", ProfileError::at(Path::new(RUN_JSON), "", None, .field.as_str(), .message.as_str()))]
pub struct LimitsError {
    /// Dotted, e.g. `gates.p99_ms`; empty when the sections as a whole
    /// could not be read.
    pub field: String,
    pub message: String,
}

const RUN_JSON: &str = "run.json";

/// The two sections as the profile's raw types, for their validation.
#[derive(Deserialize)]
struct RawLimits {
    slo: Option<Spanned<RawSlo>>,
    gates: Option<Spanned<RawGates>>,
}

impl Limits {
    /// The profile's own, already validated.
    pub fn of(profile: &Profile) -> Limits {
        Limits {
            slo: profile.slo.clone(),
            gates: profile.gates.clone(),
        }
    }

    /// The run's, from its `run.json` (read into `data`). The `baseline`
    /// path is taken as written there: it was resolved against the
    /// profile's folder when the run started.
    pub fn from_run_json(data: &JournalData) -> Result<Limits, LimitsError> {
        let err = |field: &str, message: String| LimitsError {
            field: field.into(),
            message,
        };
        let mut sections = toml::Table::new();
        for key in ["slo", "gates"] {
            match data.info.profile.get(key) {
                // Absent and null both mean "no such section", as before.
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Object(fields)) => {
                    let mut table = toml::Table::new();
                    for (name, value) in fields {
                        // TOML has no null: a field left out is the same.
                        if value.is_null() {
                            continue;
                        }
                        let v = toml::Value::try_from(value)
                            .map_err(|e| err(&format!("{key}.{name}"), e.to_string()))?;
                        table.insert(name.clone(), v);
                    }
                    sections.insert(key.into(), toml::Value::Table(table));
                }
                Some(other) => {
                    return Err(err(key, format!("must be a table (got {other})")));
                }
            }
        }
        let source = toml::to_string(&sections).map_err(|e| err("", e.to_string()))?;
        let de = toml::Deserializer::parse(&source).map_err(|e| err("", e.to_string()))?;
        let raw: RawLimits = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "")
                .replace("$__serde_spanned_private_value.", "")
                .replace("$__serde_spanned_private_value", "");
            err(&field, e.into_inner().message().trim().to_string())
        })?;
        // [slo] and [gates] reference no files.
        let files = crate::profile::files::Files::default();
        let ctx = Ctx {
            file: Path::new(RUN_JSON),
            source: &source,
            files: &files,
        };
        // Positions would point into the re-encoded TOML: keep the field
        // and the message.
        let unplaced = |e: ProfileError| err(&e.field, e.message);
        Ok(Limits {
            slo: raw
                .slo
                .as_ref()
                .map(|s| Slo::from_raw(&ctx, s))
                .transpose()
                .map_err(unplaced)?,
            gates: raw
                .gates
                .as_ref()
                .map(|g| Gates::from_raw(&ctx, g, Path::new("")))
                .transpose()
                .map_err(unplaced)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Limits, LimitsError};
    use crate::fixture;

    // Kept as String: the tests compare the displayed message.
    fn with(slo: serde_json::Value, gates: serde_json::Value) -> Result<Limits, String> {
        let mut data = fixture::scale_out_and_in();
        data.info.profile["slo"] = slo;
        data.info.profile["gates"] = gates;
        Limits::from_run_json(&data).map_err(|e: LimitsError| e.to_string())
    }

    #[test]
    fn reads_back_what_a_profile_serialized() {
        let l = with(
            serde_json::json!({ "p99_ms": 300.0, "p50_ms": null, "error_rate": 0.001 }),
            serde_json::json!({ "p99_ms": 500, "max_instances": 4, "baseline": "b/summary.json",
                                "p99_increase_pct": 10.0, "p50_ms": null }),
        )
        .unwrap();
        assert_eq!(l.slo.unwrap().p99_ms, Some(300.0));
        let g = l.gates.unwrap();
        assert_eq!(g.p99_ms, Some(500.0));
        assert_eq!(g.max_instances, Some(4));
        assert_eq!(g.tolerances.p99_increase_pct, Some(10.0));
        assert_eq!(g.baseline.unwrap(), std::path::Path::new("b/summary.json"));
        let none = with(serde_json::Value::Null, serde_json::Value::Null).unwrap();
        assert_eq!(none, Limits::default());
    }

    #[test]
    fn a_bad_value_names_run_json_and_the_field() {
        let e = with(
            serde_json::Value::Null,
            serde_json::json!({ "p99_ms": -1.0 }),
        )
        .unwrap_err();
        assert_eq!(e, "run.json: gates.p99_ms: must be a number ≥ 0 (got -1)");
        let e = with(
            serde_json::json!({ "error_rate": 2.0 }),
            serde_json::Value::Null,
        )
        .unwrap_err();
        assert!(
            e.starts_with("run.json: slo.error_rate: must be a fraction"),
            "{e}"
        );
        let e = with(
            serde_json::Value::Null,
            serde_json::json!({ "p99_ms": "x" }),
        )
        .unwrap_err();
        assert!(e.starts_with("run.json: gates.p99_ms: "), "{e}");
        let e = with(serde_json::Value::Null, serde_json::json!(3)).unwrap_err();
        assert!(e.starts_with("run.json: gates: must be a table"), "{e}");
    }
}
