//! Payload files checked before a run, by the loader ([`super::Profile::load`],
//! the step that may do I/O): each must be a regular file (`/dev/zero` or a
//! FIFO would be read until memory runs out) no larger than the target
//! takes, so a payload SageMaker would refuse is an error naming
//! `payload.file` rather than a run of 413s.
//!
//! The limits are SageMaker's:
//! - real-time `InvokeEndpoint`: a request body of at most 6 MB (6 291 456
//!   bytes), <https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html>;
//! - asynchronous inference: payloads up to 1 GB, uploaded to S3,
//!   <https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference.html>.
//!
//! An HTTP target (a model container on its own) gets the asynchronous
//! limit: every payload is held in memory for the whole run.

use std::path::{Path, PathBuf};

use super::raw::RawProfile;
use super::sim::config::EndpointKind;
use super::{Ctx, PayloadSpec, Profile, ProfileError, TargetSpec};

/// Real-time `InvokeEndpoint`'s body limit: 6 MB.
pub const REALTIME_MAX_BYTES: u64 = 6 * 1024 * 1024;
/// Asynchronous inference's payload limit: 1 GB.
pub const ASYNC_MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// The largest payload `target` takes, and what the limit is, for messages.
pub fn limit(target: &TargetSpec) -> (u64, &'static str) {
    let realtime = (
        REALTIME_MAX_BYTES,
        "6 MB, SageMaker's real-time InvokeEndpoint limit",
    );
    let asynchronous = (
        ASYNC_MAX_BYTES,
        "1 GB, SageMaker's asynchronous inference limit",
    );
    match target {
        TargetSpec::SageMaker(_) => realtime,
        TargetSpec::SageMakerAsync(_) => asynchronous,
        TargetSpec::Sim(s) if s.endpoint.kind == EndpointKind::RealTime => realtime,
        TargetSpec::Sim(_) => asynchronous,
        TargetSpec::Http(_) => (
            ASYNC_MAX_BYTES,
            "1 GB: each payload is held in memory for the run",
        ),
    }
}

/// Why a payload file can't be used.
#[derive(Debug, thiserror::Error)]
pub enum PayloadFileError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a regular file (a device, FIFO or socket would be read without end)")]
    NotRegular { path: PathBuf },
    #[error("{path}: {len} bytes, more than {max} bytes ({why})")]
    TooLarge {
        path: PathBuf,
        len: u64,
        max: u64,
        why: &'static str,
    },
}

/// A payload file: regular, and at most `max` bytes. Follows symlinks.
pub fn check_file(path: &Path, (max, why): (u64, &'static str)) -> Result<u64, PayloadFileError> {
    let meta = std::fs::metadata(path).map_err(|source| PayloadFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_file() {
        return Err(PayloadFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > max {
        return Err(PayloadFileError::TooLarge {
            path: path.to_path_buf(),
            len: meta.len(),
            max,
            why,
        });
    }
    Ok(meta.len())
}

/// Checks the profile's payload files (`file`, `jsonl`, each file of
/// `dir`); errors name the field and its line.
pub fn check(ctx: &Ctx, raw: &RawProfile, profile: &Profile) -> Result<(), ProfileError> {
    let Some(rp) = raw.payload.as_ref().map(|p| p.get_ref()) else {
        return Ok(());
    };
    let base = profile.base_dir();
    let resolve = |p: &Path| base.join(p);
    let err = |span, field: &str, e: PayloadFileError| ctx.err(span, field, e.to_string());
    let per_payload = limit(&profile.target);
    match &profile.payload {
        PayloadSpec::Inline { .. } => Ok(()),
        PayloadSpec::File { path } => {
            let span = rp.file.as_ref().map(|f| f.span());
            check_file(&resolve(path), per_payload)
                .map(drop)
                .map_err(|e| err(span, "payload.file", e))
        }
        PayloadSpec::Jsonl { path, .. } => {
            // One payload a line; the file as a whole is held in memory.
            let span = rp.jsonl.as_ref().map(|f| f.span());
            let whole = (ASYNC_MAX_BYTES, "1 GB: the file is held in memory");
            check_file(&resolve(path), whole)
                .map(drop)
                .map_err(|e| err(span, "payload.jsonl", e))
        }
        PayloadSpec::Dir { path, .. } => {
            let span = rp.dir.as_ref().map(|f| f.span());
            let dir = resolve(path);
            let entries = std::fs::read_dir(&dir).map_err(|source| {
                err(
                    span.clone(),
                    "payload.dir",
                    PayloadFileError::Read {
                        path: dir.clone(),
                        source,
                    },
                )
            })?;
            // Only regular files are payloads (as `crate::payload` reads
            // them); each within the target's limit.
            for e in entries.flatten() {
                let p = e.path();
                if p.is_file() {
                    check_file(&p, per_payload).map_err(|e| err(span.clone(), "payload.dir", e))?;
                }
            }
            Ok(())
        }
    }
}
