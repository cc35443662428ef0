//! `timestamp,requests_per_s`: the simplest load file (any tool, or
//! production traffic exported from elsewhere).

use std::path::Path;

use super::{ImportError, Sample, csv_line, timestamp};

pub fn parse(file: &Path, text: &str) -> Result<Vec<Sample>, ImportError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields = csv_line::split(line);
        if fields.len() != 2 {
            return Err(ImportError::bad(
                file,
                n + 1,
                1,
                format!(
                    "expected 2 fields (timestamp,requests_per_s), found {}",
                    fields.len()
                ),
            ));
        }
        let (c0, ts) = &fields[0];
        let at = timestamp(ts).ok_or_else(|| {
            ImportError::bad(
                file,
                n + 1,
                *c0,
                format!("timestamp {ts:?} is neither Unix seconds nor RFC 3339"),
            )
        })?;
        let (c1, v) = &fields[1];
        let rate = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .ok_or_else(|| {
                ImportError::bad(
                    file,
                    n + 1,
                    *c1,
                    format!("requests_per_s {v:?} is not a number"),
                )
            })?;
        out.push(Sample {
            at,
            requests_per_s: rate,
            failures_per_s: None,
            p50_ms: None,
            p99_ms: None,
            users: None,
        });
    }
    Ok(out)
}
