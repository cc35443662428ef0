//! Appends records to `journal.jsonl`.
//!
//! A write error (a full disk, a yanked volume) is returned, never a
//! panic, and it sticks: once a write or flush failed, every later one
//! returns the same error without touching the file, so a half-written line
//! is always the journal's last and `scaletrace report` reads what came
//! before it as a torn tail. The run stops sending on the first error
//! ([`crate::run`]).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::JournalError;
use super::record::Record;

pub struct JournalWriter {
    path: PathBuf,
    out: BufWriter<Box<dyn Write + Send>>,
    /// The first error, replayed on every later call.
    failed: Option<(std::io::ErrorKind, String)>,
}

impl JournalWriter {
    pub fn create(dir: &Path) -> Result<JournalWriter, JournalError> {
        let path = dir.join(super::JOURNAL_FILE);
        let file: File = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, e))?;
        Ok(JournalWriter::to_sink(path, Box::new(file)))
    }

    /// A writer onto any sink; `path` names it in errors. Tests hand in a
    /// sink that fails after some bytes, as a full disk does.
    pub fn to_sink(path: PathBuf, sink: Box<dyn Write + Send>) -> JournalWriter {
        JournalWriter {
            path,
            out: BufWriter::with_capacity(64 * 1024, sink),
            failed: None,
        }
    }

    /// The journal file, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Buffers one line; call [`JournalWriter::flush`] to make it durable
    /// against a crash of this process.
    pub fn write(&mut self, record: &Record) -> Result<(), JournalError> {
        self.check()?;
        // Serialized first, then written whole: serde_json hands the buffer
        // a line in pieces, and an I/O error surfacing mid-record would
        // come back as a serde error.
        let mut line = serde_json::to_vec(record).expect("records serialize");
        line.push(b'\n');
        let res = self.out.write_all(&line);
        self.settle(res)
    }

    /// Hands buffered lines to the OS: they survive `kill -9` of this
    /// process from here on.
    pub fn flush(&mut self) -> Result<(), JournalError> {
        self.check()?;
        let res = self.out.flush();
        self.settle(res)
    }

    fn check(&self) -> Result<(), JournalError> {
        match &self.failed {
            None => Ok(()),
            Some((kind, message)) => Err(JournalError::io(
                &self.path,
                std::io::Error::new(*kind, message.clone()),
            )),
        }
    }

    fn settle(&mut self, res: std::io::Result<()>) -> Result<(), JournalError> {
        res.map_err(|e| {
            self.failed = Some((e.kind(), e.to_string()));
            JournalError::io(&self.path, e)
        })
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        if self.failed.is_some() {
            // BufWriter's own drop would retry the failed bytes after the
            // torn line; what was lost stays lost.
            let _ = std::mem::replace(
                &mut self.out,
                BufWriter::new(Box::new(std::io::sink()) as Box<dyn Write + Send>),
            )
            .into_parts();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::WarningRecord;

    /// A sink that takes `room` bytes, then fails as a full disk does.
    struct FullAfter {
        room: usize,
        taken: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    }

    impl Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut taken = self.taken.lock().unwrap();
            let left = self.room.saturating_sub(taken.len());
            if left == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            let n = left.min(buf.len());
            taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn warning(i: usize) -> Record {
        Record::Warning(WarningRecord {
            t: i as f64,
            message: format!("line {i} {}", "x".repeat(100)),
        })
    }

    #[test]
    fn a_full_sink_is_an_error_naming_the_file_and_it_sticks() {
        let taken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut w = JournalWriter::to_sink(
            PathBuf::from("/runs/x/journal.jsonl"),
            Box::new(FullAfter {
                room: 1000,
                taken: taken.clone(),
            }),
        );
        let mut first_error = None;
        for i in 0..2000 {
            // Records larger than the buffer in total: the buffer spills.
            if let Err(e) = w.write(&warning(i)).and_then(|_| w.flush()) {
                first_error = Some(e);
                break;
            }
        }
        let e = first_error.expect("the sink filled up");
        assert!(e.to_string().starts_with("/runs/x/journal.jsonl: "), "{e}");
        let before = taken.lock().unwrap().len();
        let again = w.write(&warning(0)).unwrap_err();
        assert_eq!(again.to_string(), e.to_string());
        assert!(w.flush().is_err());
        drop(w);
        assert_eq!(
            taken.lock().unwrap().len(),
            before,
            "nothing after the error"
        );
    }
}
