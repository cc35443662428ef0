//! Reads a run directory back: `run.json` and every complete journal line,
//! streamed (a line at a time, parsed as it is read).

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
    read_run_dir_with(dir, &mut |_, _| {})
}

/// [`read_run_dir`], streaming: each line is parsed as it is read (never
/// the whole file, or all its lines, in memory beside the records), and
/// `progress(bytes read, journal size)` is called every few thousand
/// lines for a progress bar.
pub fn read_run_dir_with(
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<JournalData, JournalError> {
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
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut records = Vec::new();
    // A line that did not parse: an error unless no other line follows it
    // (then it is the torn tail of a process that died mid-write).
    let mut unparsed: Option<(usize, serde_json::Error)> = None;
    let mut line = String::new();
    let mut number = 0;
    let mut read = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(|e| JournalError::io(&journal_path, e))?;
        if n == 0 {
            break;
        }
        number += 1;
        read += n as u64;
        if number % 4096 == 0 {
            progress(read, size);
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Some((at, source)) = unparsed.take() {
            return Err(JournalError::Parse {
                path: journal_path.clone(),
                line: at,
                source,
            });
        }
        match serde_json::from_str::<Record>(&line) {
            Ok(r) => records.push(r),
            Err(e) => unparsed = Some((number, e)),
        }
    }
    progress(read, size);
    records.shrink_to_fit();
    Ok(JournalData {
        info,
        records,
        torn_tail: unparsed.is_some(),
    })
}
