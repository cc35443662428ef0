//! Load files from the tool that sent the traffic, for `scaletrace observe
//! --load-from FILE` and `scaletrace report RUN_DIR --load-from FILE`:
//! parsing only, into one [`ImportedLoad`] of one-second samples.
//!
//! Formats, recognised by their first line:
//! - a Locust stats history (`locust --csv PREFIX` writes
//!   `PREFIX_stats_history.csv`; header `Timestamp,User Count,Type,Name,
//!   Requests/s,Failures/s,50%,…,99%,…`): the `Aggregated` rows ([`locust`]);
//! - k6's JSON output (`k6 run --out json=FILE`: one JSON object a line,
//!   `Metric` and `Point` lines), bucketed per second ([`k6`]);
//! - a plain CSV with the header `timestamp,requests_per_s`, the timestamp
//!   in Unix seconds or RFC 3339 ([`plain`]).
//!
//! Every error names the file, line and column (exit 2 at the command).
//!
//! To add a new format: a module with `parse(file, text) -> Result<Vec<Sample>,
//! ImportError>`, a [`Tool`] variant, and a test in [`detect`].

mod csv_line;
pub mod k6;
pub mod locust;
pub mod plain;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::journal::record::{LoadImportRecord, LoadSampleRecord};

/// The tool a load file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Locust,
    K6,
    Csv,
}

impl Tool {
    /// How the report labels the numbers ("from Locust").
    pub fn name(self) -> &'static str {
        match self {
            Tool::Locust => "Locust",
            Tool::K6 => "k6",
            Tool::Csv => "CSV",
        }
    }
}

/// One second (or one row) of the client's view of the load.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: DateTime<Utc>,
    pub requests_per_s: f64,
    pub failures_per_s: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Locust's simulated users at that moment.
    pub users: Option<u64>,
}

/// A parsed load file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedLoad {
    pub tool: Tool,
    pub file: PathBuf,
    /// In time order.
    pub samples: Vec<Sample>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}: {source}", file.display())]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", file.display())]
    Bad {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

impl ImportError {
    pub(crate) fn bad(file: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        ImportError::Bad {
            file: file.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Reads and parses a load file.
pub fn read(file: &Path) -> Result<ImportedLoad, ImportError> {
    let text = std::fs::read_to_string(file).map_err(|source| ImportError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    parse(file, &text)
}

/// Which format the first non-empty line says the text is in.
pub fn detect(file: &Path, text: &str) -> Result<Tool, ImportError> {
    let Some((n, first)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty()) else {
        return Err(ImportError::bad(file, 1, 1, "empty load file"));
    };
    let head = first.trim_start_matches('\u{feff}').trim();
    if head.starts_with('{') {
        return Ok(Tool::K6);
    }
    let fields: Vec<String> = csv_line::split(head)
        .into_iter()
        .map(|(_, f)| f.trim().to_ascii_lowercase())
        .collect();
    if fields.first().map(String::as_str) == Some("timestamp")
        && fields.iter().any(|f| f == "user count")
    {
        return Ok(Tool::Locust);
    }
    if fields == ["timestamp", "requests_per_s"] {
        return Ok(Tool::Csv);
    }
    Err(ImportError::bad(
        file,
        n + 1,
        1,
        "unknown load file: expected a Locust stats history CSV (header \
         `Timestamp,User Count,…`), k6 JSON output (`k6 run --out json=FILE`) \
         or a CSV with the header `timestamp,requests_per_s`",
    ))
}

/// Parses a load file's text (`file` names it in errors).
pub fn parse(file: &Path, text: &str) -> Result<ImportedLoad, ImportError> {
    let tool = detect(file, text)?;
    let mut samples = match tool {
        Tool::Locust => locust::parse(file, text)?,
        Tool::K6 => k6::parse(file, text)?,
        Tool::Csv => plain::parse(file, text)?,
    };
    samples.sort_by_key(|s| s.at);
    if samples.is_empty() {
        return Err(ImportError::bad(
            file,
            1,
            1,
            format!("no load samples in this {} file", tool.name()),
        ));
    }
    Ok(ImportedLoad {
        tool,
        file: file.to_path_buf(),
        samples,
    })
}

impl ImportedLoad {
    /// The journal line keeping this import, on the run's clock (`t = 0` at
    /// `started_at`). Each sample covers the time to the next one (the last
    /// one second).
    pub fn record(&self, started_at: DateTime<Utc>, t: f64) -> LoadImportRecord {
        let offset = |at: DateTime<Utc>| (at - started_at).num_milliseconds() as f64 / 1000.0;
        let samples = self
            .samples
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let start = offset(s.at);
                let end = self
                    .samples
                    .get(i + 1)
                    .map(|n| offset(n.at))
                    .filter(|e| *e > start)
                    .unwrap_or(start + 1.0);
                LoadSampleRecord {
                    start,
                    t: end,
                    requests_per_s: s.requests_per_s,
                    failures_per_s: s.failures_per_s,
                    p50_ms: s.p50_ms,
                    p99_ms: s.p99_ms,
                    users: s.users,
                }
            })
            .collect();
        LoadImportRecord {
            t,
            tool: self.tool.name().into(),
            file: self.file.display().to_string(),
            samples,
        }
    }
}

/// A timestamp in Unix seconds (fractions allowed) or RFC 3339.
pub(crate) fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        if !v.is_finite() {
            return None;
        }
        let ms = (v * 1000.0).round() as i64;
        return DateTime::from_timestamp_millis(ms);
    }
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Path::new("load.csv"), text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_and_malformed_files_name_file_line_and_column() {
        assert_eq!(
            err("time,rps\n1,2\n"),
            "load.csv:1:1: unknown load file: expected a Locust stats history CSV (header \
             `Timestamp,User Count,…`), k6 JSON output (`k6 run --out json=FILE`) or a CSV \
             with the header `timestamp,requests_per_s`"
        );
        assert_eq!(
            err("timestamp,requests_per_s\n1700000000,5\n1700000001,x5\n"),
            "load.csv:3:12: requests_per_s \"x5\" is not a number"
        );
        assert_eq!(
            err("timestamp,requests_per_s\nyesterday,5\n"),
            "load.csv:2:1: timestamp \"yesterday\" is neither Unix seconds nor RFC 3339"
        );
        assert_eq!(err(""), "load.csv:1:1: empty load file");
    }

    #[test]
    fn plain_csv_reads_unix_and_rfc3339_times() {
        let l = parse(
            Path::new("a.csv"),
            "timestamp,requests_per_s\n2026-01-01T00:00:01Z,3\n1767225600,2.5\n",
        )
        .unwrap();
        assert_eq!(l.tool, Tool::Csv);
        assert_eq!(l.samples.len(), 2);
        assert_eq!(l.samples[0].requests_per_s, 2.5);
        assert_eq!(l.samples[1].requests_per_s, 3.0);
        let r = l.record(DateTime::from_timestamp(1767225590, 0).unwrap(), 99.0);
        assert_eq!((r.samples[0].start, r.samples[0].t), (10.0, 11.0));
        assert_eq!((r.samples[1].start, r.samples[1].t), (11.0, 12.0));
    }
}
