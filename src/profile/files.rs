//! The files a profile refers to besides itself: the scaling-policy JSON
//! files (`TargetTrackingScalingPolicyConfigurationFile`,
//! `StepScalingPolicyConfigurationFile`, as given to `aws
//! application-autoscaling put-scaling-policy`).
//!
//! Loading is three steps, and only the middle one does I/O:
//! 1. parse the TOML into [`RawProfile`] and list the files it refers to
//!    ([`referenced`], pure: each with its field and span);
//! 2. read them ([`Files::read`], the loader step [`super::Profile::load`]
//!    runs); a file that can't be read is kept as its error, not raised;
//! 3. validate ([`super::Profile::parse_with`], pure), which parses each
//!    file's JSON where the policy is validated, so an unreadable or invalid
//!    file is reported at the same point, with the same file, line and
//!    field, as any other mistake in that policy.
//!
//! To add a new kind of referenced file: list it in [`referenced`] and read
//! it from `Ctx::files` where its section is validated.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::raw::RawProfile;

/// A file the profile refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The field naming it, e.g. `sim.policies[0].StepScalingPolicyConfigurationFile`.
    pub field: String,
    /// Where in the profile the field's value is.
    pub span: Range<usize>,
    /// The path, resolved against the profile's folder.
    pub path: PathBuf,
}

/// Why a referenced file has no text; validation reports it under the
/// field that names the file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FileError {
    /// The read failed. Shared, because [`Files`] is `Clone` and
    /// `io::Error` is not; the I/O error stays the source.
    #[error("{source}")]
    Read {
        #[source]
        source: Arc<std::io::Error>,
    },
    #[error("not loaded (Profile::parse reads no files; use Profile::load)")]
    NotLoaded,
}

/// The texts of the referenced files, by resolved path. A file missing here
/// was not loaded (a profile given as text, [`super::Profile::parse`]).
#[derive(Debug, Clone, Default)]
pub struct Files {
    texts: BTreeMap<PathBuf, Result<String, FileError>>,
}

impl Files {
    /// Reads every referenced file (the loader's only I/O); a read error is
    /// kept for validation to report.
    pub fn read(refs: &[FileRef]) -> Files {
        let mut files = Files::default();
        for r in refs {
            if !files.texts.contains_key(&r.path) {
                let text = std::fs::read_to_string(&r.path).map_err(|e| FileError::Read {
                    source: Arc::new(e),
                });
                files.texts.insert(r.path.clone(), text);
            }
        }
        files
    }

    /// Adds a file's text (for profiles built in memory).
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.texts.insert(path.into(), Ok(text.into()));
    }

    /// The text of `path`, or why there is none.
    pub fn text(&self, path: &Path) -> Result<&str, FileError> {
        match self.texts.get(path) {
            Some(Ok(t)) => Ok(t),
            Some(Err(e)) => Err(e.clone()),
            None => Err(FileError::NotLoaded),
        }
    }
}

/// The path a `…ConfigurationFile` value names: relative to the profile's
/// folder, optionally written `file://…`.
pub fn resolve(profile: &Path, name: &str) -> PathBuf {
    let rel = name.strip_prefix("file://").unwrap_or(name);
    match profile.parent() {
        Some(dir) if !PathBuf::from(rel).is_absolute() => dir.join(rel),
        _ => PathBuf::from(rel),
    }
}

/// The files `raw` (read from `profile`) refers to, in file order.
pub fn referenced(profile: &Path, raw: &RawProfile) -> Vec<FileRef> {
    let mut out = Vec::new();
    let policies = raw.sim.as_ref().and_then(|s| s.get_ref().policies.as_ref());
    for (i, p) in policies.into_iter().flatten().enumerate() {
        let p = p.get_ref();
        for (name, v) in [
            (
                "TargetTrackingScalingPolicyConfigurationFile",
                &p.target_tracking_scaling_policy_configuration_file,
            ),
            (
                "StepScalingPolicyConfigurationFile",
                &p.step_scaling_policy_configuration_file,
            ),
        ] {
            if let Some(v) = v {
                out.push(FileRef {
                    field: format!("sim.policies[{i}].{name}"),
                    span: v.span(),
                    path: resolve(profile, v.get_ref()),
                });
            }
        }
    }
    out
}
