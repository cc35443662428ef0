//! The run directory: `run.json` (what was run), `journal.jsonl` (everything
//! that happened, append-only) and the reports rebuilt from them.
//!
//! The journal is flushed every interval, so a run killed at any moment
//! leaves a journal whose complete lines can be read back; a torn last line
//! is ignored. Reports are pure functions of [`JournalData`].

pub mod alarm_words;
mod reader;
pub mod record;
pub mod stream;
mod writer;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use reader::{JournalData, read_run_dir, read_run_dir_with};
pub use writer::JournalWriter;

pub const RUN_FILE: &str = "run.json";
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// `run.json`: the resolved profile and where/when it ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// `scaletrace.run/1`.
    pub schema: String,
    pub tool_version: String,
    /// UTC time that journal time 0 maps to.
    pub started_at: DateTime<Utc>,
    pub host: String,
    /// `wall` for real targets; `virtual` for the simulator, whose journal
    /// times are simulated seconds mapped onto `started_at`.
    pub clock: String,
    /// The shard this process ran, `I/N`.
    pub shard: String,
    /// The profile as resolved (defaults filled, shorthands expanded).
    pub profile: serde_json::Value,
}

impl RunInfo {
    pub const SCHEMA: &'static str = "scaletrace.run/1";
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {source}")]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("{0} is not a scaletrace run directory (no {RUN_FILE} or {JOURNAL_FILE})")]
    NotARunDir(PathBuf),
}

impl JournalError {
    pub fn io(path: &Path, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Creates the run directory, refusing one that already holds a run.
pub fn create_run_dir(dir: &Path, info: &RunInfo) -> Result<(), JournalError> {
    if dir.join(JOURNAL_FILE).exists() {
        return Err(JournalError::io(
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "already holds a run; choose another --run-dir",
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| JournalError::io(dir, e))?;
    let path = dir.join(RUN_FILE);
    let json = serde_json::to_vec_pretty(info).expect("run info serializes");
    write_atomically(&path, &json)
}

/// Writes a file via a temporary name (`<name>.tmp`, so two files differing
/// only in extension never share one) and a rename, so a crash never
/// leaves half a file. A failed write (a full disk) removes the temporary
/// file, and the error names the file meant.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            JournalError::io(path, e)
        })
}
