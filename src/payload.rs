//! Request bodies: one inline body, one file, the lines of a JSON Lines file,
//! or the files of a directory, used round-robin or at random (seeded).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::profile::{PayloadOrder, PayloadSpec, payload_file};

/// Why the payloads could not be read; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("payload {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("payload {path}: is not UTF-8 text")]
    NotUtf8 {
        path: PathBuf,
        source: std::string::FromUtf8Error,
    },
    #[error("payload {path}: line {line}: not JSON: {source}")]
    NotJson {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("payload {0}")]
    File(#[source] payload_file::PayloadFileError),
    #[error("payload {path}: holds no payloads")]
    Empty { path: PathBuf },
}

/// The bodies to send and the order to send them in.
pub struct Payloads {
    items: Vec<Bytes>,
    order: PayloadOrder,
    next: usize,
    rng: ChaCha8Rng,
}

impl Payloads {
    /// Reads the payloads; relative paths start at `base_dir` (the profile's
    /// folder).
    pub fn load(spec: &PayloadSpec, base_dir: &Path, seed: u64) -> Result<Payloads, PayloadError> {
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            }
        };
        // Checked before reading, for profiles not made by
        // `Profile::load` (which also checks the target's own limit): a
        // device or FIFO would be read until memory runs out.
        let limit = (
            payload_file::ASYNC_MAX_BYTES,
            "1 GB: each payload is held in memory for the run",
        );
        let read = |p: &Path| {
            payload_file::check_file(p, limit).map_err(PayloadError::File)?;
            std::fs::read(p).map_err(|source| PayloadError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let (items, order) = match spec {
            PayloadSpec::Inline { body } => {
                (vec![Bytes::from(body.clone())], PayloadOrder::RoundRobin)
            }
            PayloadSpec::File { path } => (
                vec![Bytes::from(read(&resolve(path))?)],
                PayloadOrder::RoundRobin,
            ),
            PayloadSpec::Jsonl { path, order } => {
                let path = resolve(path);
                let text =
                    String::from_utf8(read(&path)?).map_err(|source| PayloadError::NotUtf8 {
                        path: path.clone(),
                        source,
                    })?;
                let mut items = Vec::new();
                for (i, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    serde_json::from_str::<serde_json::Value>(line).map_err(|source| {
                        PayloadError::NotJson {
                            path: path.clone(),
                            line: i + 1,
                            source,
                        }
                    })?;
                    items.push(Bytes::from(line.to_string()));
                }
                (items, *order)
            }
            PayloadSpec::Dir { path, order } => {
                let path = resolve(path);
                let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                    .map_err(|source| PayloadError::Read {
                        path: path.clone(),
                        source,
                    })?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file())
                    .collect();
                files.sort();
                let items = files
                    .iter()
                    .map(|f| read(f).map(Bytes::from))
                    .collect::<Result<Vec<_>, _>>()?;
                (items, *order)
            }
        };
        if items.is_empty() {
            let path = match spec {
                PayloadSpec::Jsonl { path, .. } | PayloadSpec::Dir { path, .. } => resolve(path),
                _ => PathBuf::from("<inline>"),
            };
            return Err(PayloadError::Empty { path });
        }
        Ok(Payloads {
            items,
            order,
            next: 0,
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x7061_796c_6f61),
        })
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The next body (cheap: a reference-counted clone).
    pub fn next_body(&mut self) -> Bytes {
        let i = match self.order {
            PayloadOrder::RoundRobin => {
                let i = self.next;
                self.next = (self.next + 1) % self.items.len();
                i
            }
            PayloadOrder::Random => self.rng.random_range(0..self.items.len()),
        };
        self.items[i].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_round_robin_and_seeded_random() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.jsonl"), "{\"a\":1}\n\n{\"a\":2}\n").unwrap();
        let spec = PayloadSpec::Jsonl {
            path: "p.jsonl".into(),
            order: PayloadOrder::RoundRobin,
        };
        let mut p = Payloads::load(&spec, dir.path(), 1).unwrap();
        assert_eq!(p.len(), 2);
        let seq: Vec<Bytes> = (0..3).map(|_| p.next_body()).collect();
        assert_eq!(seq[0], seq[2]);
        assert_ne!(seq[0], seq[1]);
        let spec = PayloadSpec::Jsonl {
            path: "p.jsonl".into(),
            order: PayloadOrder::Random,
        };
        let a: Vec<Bytes> = {
            let mut p = Payloads::load(&spec, dir.path(), 9).unwrap();
            (0..20).map(|_| p.next_body()).collect()
        };
        let b: Vec<Bytes> = {
            let mut p = Payloads::load(&spec, dir.path(), 9).unwrap();
            (0..20).map(|_| p.next_body()).collect()
        };
        assert_eq!(a, b);
    }

    #[test]
    fn bad_jsonl_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.jsonl"), "{}\nnot json\n").unwrap();
        let spec = PayloadSpec::Jsonl {
            path: "p.jsonl".into(),
            order: PayloadOrder::RoundRobin,
        };
        let e = Payloads::load(&spec, dir.path(), 1).err().unwrap();
        assert!(e.to_string().contains("line 2"), "{e}");
    }
}
