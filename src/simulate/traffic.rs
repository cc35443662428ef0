//! The traffic `scaletrace simulate` replays: the profile's `[load]` phases,
//! or a CSV of per-minute invocation counts exported from CloudWatch
//! (`Invocations`, statistic Sum, period 1 minute), turned into one constant
//! phase per minute at `count / 60` requests per second.
//!
//! Accepted CSV shapes (blank lines and `#` comments skipped, fields may be
//! quoted):
//!
//! - a single column of counts, with or without a header line;
//! - `timestamp,invocations` (or any columns: the count is the column whose
//!   header names `invocations`, `sum`, `value` or `count`, else the last
//!   one; the timestamp is the column named `timestamp`/`time`/`date`, else
//!   the first). Rows are sorted by time (CloudWatch may list newest first),
//!   must be whole minutes apart, and minutes with no row are replayed as 0
//!   (CloudWatch publishes no Sum datapoint for a minute without
//!   invocations).
//!
//! Errors name the file and line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::profile::Phase;

/// A CSV that can't be replayed: `file:line: message` (line 0: the whole
/// file).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct TrafficError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Traffic read from a CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// One constant phase per minute, in time order.
    pub phases: Vec<Phase>,
    /// What was assumed while reading (gaps filled, rows reordered).
    pub notes: Vec<String>,
}

/// Reads and parses a traffic CSV.
pub fn load_csv(path: &Path) -> Result<Traffic, TrafficError> {
    let text = std::fs::read_to_string(path).map_err(|e| TrafficError {
        file: path.to_path_buf(),
        line: 0,
        message: format!("cannot read the traffic file: {e}"),
    })?;
    parse_csv(path, &text)
}

/// One CSV record's fields (RFC 4180: quoted fields may hold commas and
/// doubled quotes), trimmed; `None` when the line is not valid CSV.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(line.as_bytes());
    let record = reader.records().next()?.ok()?;
    Some(record.iter().map(str::to_string).collect())
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

/// RFC 3339, or `YYYY-MM-DD HH:MM[:SS]` (with a space or a `T`) read as UTC.
fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .map(|n| n.and_utc())
}

/// Parses a traffic CSV's text; `file` names it in errors.
pub fn parse_csv(file: &Path, text: &str) -> Result<Traffic, TrafficError> {
    let err = |line: usize, message: String| TrafficError {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    for (n, l) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let f = fields(l).ok_or_else(|| err(n, "not a CSV line".into()))?;
        lines.push((n, f));
    }
    let Some((first_line, first)) = lines.first() else {
        return Err(err(0, "no per-minute counts in the file".into()));
    };
    let width = first.len();
    let header = first.iter().all(|f| !is_number(f));
    let named = |names: &[&str]| {
        header
            .then(|| {
                first.iter().position(|h| {
                    let h = h.to_ascii_lowercase();
                    names.iter().any(|n| h.contains(n))
                })
            })
            .flatten()
    };
    let count_col = named(&["invocations", "sum", "value", "count"]).unwrap_or(width - 1);
    let time_col = (width > 1).then(|| {
        named(&["timestamp", "time", "date"])
            .filter(|c| *c != count_col)
            .unwrap_or(if count_col == 0 { 1 } else { 0 })
    });
    let rows = if header { &lines[1..] } else { &lines[..] };
    if rows.is_empty() {
        return Err(err(
            *first_line,
            "a header but no per-minute counts after it".into(),
        ));
    }
    let mut minutes: Vec<(usize, Option<DateTime<Utc>>, f64)> = Vec::new();
    for (n, fields) in rows {
        if fields.len() != width {
            return Err(err(
                *n,
                format!(
                    "expected {width} field{} like line {first_line}, found {}",
                    if width == 1 { "" } else { "s" },
                    fields.len()
                ),
            ));
        }
        let raw = &fields[count_col];
        let count = raw
            .parse::<f64>()
            .ok()
            .filter(|c| c.is_finite() && *c >= 0.0)
            .ok_or_else(|| {
                err(
                    *n,
                    format!("{raw:?} is not an invocation count (a number ≥ 0)"),
                )
            })?;
        let at = match time_col {
            Some(c) => Some(timestamp(&fields[c]).ok_or_else(|| {
                err(
                    *n,
                    format!(
                        "{:?} is not a timestamp (RFC 3339, e.g. 2024-05-01T12:00:00Z)",
                        fields[c]
                    ),
                )
            })?),
            None => None,
        };
        minutes.push((*n, at, count));
    }
    let mut notes = Vec::new();
    let counts: Vec<f64> = if time_col.is_some() {
        let sorted_already = minutes.windows(2).all(|w| w[0].1 < w[1].1);
        minutes.sort_by_key(|m| m.1);
        if !sorted_already {
            notes.push("rows sorted by timestamp (oldest first)".into());
        }
        let mut counts = vec![minutes[0].2];
        let mut gaps = 0;
        for w in minutes.windows(2) {
            let (a, b) = (w[0].1.expect("timestamp"), w[1].1.expect("timestamp"));
            let step = (b - a).num_seconds();
            if step == 0 {
                return Err(err(
                    w[1].0,
                    format!("the same minute as line {} ({a})", w[0].0),
                ));
            }
            if step % 60 != 0 || (b - a).subsec_nanos() != 0 {
                return Err(err(
                    w[1].0,
                    format!(
                        "{step} s after the row before ({a}); per-minute counts are whole minutes apart"
                    ),
                ));
            }
            let missing = (step / 60 - 1) as usize;
            gaps += missing;
            counts.extend(std::iter::repeat_n(0.0, missing));
            counts.push(w[1].2);
        }
        if gaps > 0 {
            notes.push(format!(
                "{gaps} minute{} without a row replayed as 0 invocations",
                if gaps == 1 { "" } else { "s" }
            ));
        }
        counts
    } else {
        minutes.iter().map(|m| m.2).collect()
    };
    let phases = counts
        .iter()
        .enumerate()
        .map(|(i, c)| Phase {
            name: format!("minute {}", i + 1),
            duration: Duration::from_secs(60),
            from_rate: c / 60.0,
            to_rate: c / 60.0,
        })
        .collect();
    Ok(Traffic { phases, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Traffic, TrafficError> {
        parse_csv(Path::new("t.csv"), text)
    }

    fn rates(t: &Traffic) -> Vec<f64> {
        t.phases.iter().map(|p| p.from_rate).collect()
    }

    #[test]
    fn a_single_column_with_or_without_header() {
        let t = parse("600\n1200\n\n# comment\n60\n").unwrap();
        assert_eq!(rates(&t), vec![10.0, 20.0, 1.0]);
        assert_eq!(t.phases[2].name, "minute 3");
        assert_eq!(t.phases[0].duration, Duration::from_secs(60));
        let t = parse("Invocations\n600\n").unwrap();
        assert_eq!(rates(&t), vec![10.0]);
    }

    #[test]
    fn quoted_fields_may_hold_commas_and_quotes() {
        // A console export with a quoted label column holding a comma: the
        // old comma split saw four fields and took "Sum\"" as the count.
        let t = parse(
            "\"Label, with comma\",Timestamp,Sum\n\
             \"demo, AllTraffic\",2024-05-01T12:00:00Z,60\n\
             \"say \"\"hi\"\"\",2024-05-01T12:01:00Z,120\n",
        )
        .unwrap();
        assert_eq!(rates(&t), vec![1.0, 2.0]);
    }

    #[test]
    fn timestamped_rows_are_sorted_and_gaps_filled() {
        let t = parse(
            "timestamp,\"Invocations\"\n\
             2024-05-01T12:03:00Z,120\n\
             2024-05-01T12:00:00Z,60\n\
             2024-05-01 12:01:00,600\n",
        )
        .unwrap();
        assert_eq!(rates(&t), vec![1.0, 10.0, 0.0, 2.0]);
        assert_eq!(t.notes.len(), 2, "{:?}", t.notes);
        assert!(t.notes[1].contains("1 minute without a row"));
        // Without a header, the count is the last column.
        let t = parse("2024-05-01T12:00:00Z,60\n2024-05-01T12:01:00Z,120\n").unwrap();
        assert_eq!(rates(&t), vec![1.0, 2.0]);
        // A named count column anywhere.
        let t = parse("Sum,Timestamp\n60,2024-05-01T12:00:00Z\n").unwrap();
        assert_eq!(rates(&t), vec![1.0]);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e =
            parse("timestamp,invocations\n2024-05-01T12:00:00Z,60\n\n2024-05-01T12:01:00Z,lots\n")
                .unwrap_err();
        assert_eq!(e.line, 4);
        assert_eq!(
            e.to_string(),
            "t.csv:4: \"lots\" is not an invocation count (a number ≥ 0)"
        );
        let e = parse("60\n-5\n").unwrap_err();
        assert!(e.to_string().starts_with("t.csv:2: \"-5\""), "{e}");
        let e = parse("t,n\n2024-05-01T12:00:00Z,2\n3\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("expected 2 fields"), "{e}");
        let e = parse("yesterday,5\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.csv:1: \"yesterday\" is not a timestamp")
        );
        let e = parse("t,n\n2024-05-01T12:00:00Z,1\n2024-05-01T12:00:30Z,1\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("whole minutes"), "{e}");
        let e = parse("# nothing\n\n").unwrap_err();
        assert_eq!(e.to_string(), "t.csv:0: no per-minute counts in the file");
        let e = load_csv(Path::new("/nonexistent/traffic.csv")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/traffic.csv:0: cannot read")
        );
    }
}
