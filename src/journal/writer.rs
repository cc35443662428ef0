//! Appends records to `journal.jsonl`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::JournalError;
use super::record::Record;

pub struct JournalWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl JournalWriter {
    pub fn create(dir: &Path) -> Result<JournalWriter, JournalError> {
        let path = dir.join(super::JOURNAL_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, e))?;
        Ok(JournalWriter {
            path,
            out: BufWriter::with_capacity(64 * 1024, file),
        })
    }

    /// Buffers one line; call [`JournalWriter::flush`] to make it durable
    /// against a crash of this process.
    pub fn write(&mut self, record: &Record) -> Result<(), JournalError> {
        serde_json::to_writer(&mut self.out, record).expect("records serialize");
        self.out
            .write_all(b"\n")
            .map_err(|e| JournalError::io(&self.path, e))
    }

    /// Hands buffered lines to the OS: they survive `kill -9` of this
    /// process from here on.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        self.out
            .flush()
            .map_err(|e| JournalError::io(&self.path, e))
    }
}
