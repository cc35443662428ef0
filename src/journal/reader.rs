//! Reads a run directory back: `run.json` and every complete journal line.

use std::io::{BufRead, BufReader};
use std::path::Path;

use super::record::Record;
use super::{JOURNAL_FILE, JournalError, RUN_FILE, RunInfo};

/// Everything a report needs, read from a run directory.
#[derive(Debug, Clone)]
pub struct JournalData {
    pub info: RunInfo,
    pub records: Vec<Record>,
    /// True when the last line was cut short (the process died mid-write).
    pub torn_tail: bool,
}

impl JournalData {
    /// The one-second interval lines, in journal order.
    pub fn intervals(&self) -> impl Iterator<Item = &super::record::IntervalRecord> {
        self.records.iter().filter_map(|r| match r {
            Record::Interval(i) => Some(i),
            _ => None,
        })
    }
}

/// Reads `run.json` and `journal.jsonl`. A torn last line is skipped; any
/// other unreadable line is an error naming the file and line.
pub fn read_run_dir(dir: &Path) -> Result<JournalData, JournalError> {
    let run_path = dir.join(RUN_FILE);
    let journal_path = dir.join(JOURNAL_FILE);
    if !run_path.exists() || !journal_path.exists() {
        return Err(JournalError::NotARunDir(dir.to_path_buf()));
    }
    let info_bytes = std::fs::read(&run_path).map_err(|e| JournalError::io(&run_path, e))?;
    let info: RunInfo = serde_json::from_slice(&info_bytes).map_err(|e| JournalError::Parse {
        path: run_path.clone(),
        line: e.line(),
        source: e,
    })?;
    let file =
        std::fs::File::open(&journal_path).map_err(|e| JournalError::io(&journal_path, e))?;
    let mut lines: Vec<String> = Vec::new();
    for line in BufReader::new(file).lines() {
        lines.push(line.map_err(|e| JournalError::io(&journal_path, e))?);
    }
    let mut records = Vec::with_capacity(lines.len());
    let mut torn_tail = false;
    let last = lines.len();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => records.push(r),
            Err(_) if i + 1 == last => torn_tail = true,
            Err(e) => {
                return Err(JournalError::Parse {
                    path: journal_path.clone(),
                    line: i + 1,
                    source: e,
                });
            }
        }
    }
    Ok(JournalData {
        info,
        records,
        torn_tail,
    })
}
