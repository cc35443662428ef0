//! Locust's stats history (`locust --csv PREFIX` writes
//! `PREFIX_stats_history.csv`, a row per request name every
//! `CSV_STATS_INTERVAL_SEC`, one second by default). The `Aggregated` rows
//! are the whole load: `Timestamp` (Unix seconds), `User Count`,
//! `Requests/s` and `Failures/s` (Locust's current rates), and the current
//! response-time percentiles `50%` and `99%` in milliseconds (`N/A` before
//! any response). Columns are found by their header name, so versions that
//! add columns still read.

use std::path::Path;

use super::{ImportError, Sample, csv_line, timestamp};

const NEEDED: [&str; 5] = [
    "Timestamp",
    "User Count",
    "Name",
    "Requests/s",
    "Failures/s",
];

pub fn parse(file: &Path, text: &str) -> Result<Vec<Sample>, ImportError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hn, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let header = csv_line::split(header.trim_start_matches('\u{feff}'));
    let col = |name: &str| header.iter().position(|(_, h)| h.trim() == name);
    let mut idx = [0usize; 5];
    for (k, name) in NEEDED.iter().enumerate() {
        idx[k] = col(name).ok_or_else(|| {
            ImportError::bad(
                file,
                hn + 1,
                1,
                format!("Locust stats history without a {name:?} column"),
            )
        })?;
    }
    let [i_ts, i_users, i_name, i_rps, i_fps] = idx;
    let (i_p50, i_p99) = (col("50%"), col("99%"));
    let mut out = Vec::new();
    for (n, line) in lines {
        let f = csv_line::split(line);
        let field = |i: usize| -> Result<&(usize, String), ImportError> {
            f.get(i).ok_or_else(|| {
                ImportError::bad(
                    file,
                    n + 1,
                    line.chars().count() + 1,
                    format!("row has {} fields, the header {}", f.len(), header.len()),
                )
            })
        };
        if field(i_name)?.1.trim() != "Aggregated" {
            continue;
        }
        let (c, ts) = field(i_ts)?;
        let at = timestamp(ts).ok_or_else(|| {
            ImportError::bad(
                file,
                n + 1,
                *c,
                format!("Timestamp {ts:?} is not Unix seconds"),
            )
        })?;
        let number = |i: usize, what: &str| -> Result<Option<f64>, ImportError> {
            let (c, v) = field(i)?;
            let v = v.trim();
            if v == "N/A" || v.is_empty() {
                return Ok(None);
            }
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .map(Some)
                .ok_or_else(|| {
                    ImportError::bad(file, n + 1, *c, format!("{what} {v:?} is not a number"))
                })
        };
        let rps = number(i_rps, "Requests/s")?.unwrap_or(0.0);
        out.push(Sample {
            at,
            requests_per_s: rps,
            failures_per_s: number(i_fps, "Failures/s")?,
            p50_ms: i_p50.map(|i| number(i, "50%")).transpose()?.flatten(),
            p99_ms: i_p99.map(|i| number(i, "99%")).transpose()?.flatten(),
            users: number(i_users, "User Count")?.map(|u| u as u64),
        });
    }
    Ok(out)
}
