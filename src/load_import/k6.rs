//! k6's JSON output (`k6 run --out json=FILE`): one JSON object a line,
//! `{"type":"Metric",…}` declaring a metric and `{"type":"Point","metric":
//! "http_reqs","data":{"time":"…RFC 3339…","value":1,"tags":{…}}}` for each
//! sample (k6 docs, "JSON output"). Points are bucketed per second of their
//! `time`: `http_reqs` values summed give requests/s, `http_req_failed`
//! values summed give failures/s, `http_req_duration` values (milliseconds)
//! give p50 and p99 (nearest rank). Other metrics are skipped.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::DateTime;
use serde::Deserialize;

use super::{ImportError, Sample, timestamp};

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    metric: String,
    data: serde_json::Value,
}

#[derive(Default)]
struct Second {
    requests: f64,
    failures: f64,
    durations: Vec<f64>,
}

fn nearest_rank(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

pub fn parse(file: &Path, text: &str) -> Result<Vec<Sample>, ImportError> {
    let mut seconds: BTreeMap<i64, Second> = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        let line: Line = serde_json::from_str(raw).map_err(|e| {
            ImportError::bad(
                file,
                n + 1,
                e.column().max(1),
                format!("not a k6 JSON line: {e}"),
            )
        })?;
        if line.kind != "Point" {
            continue;
        }
        let wanted = matches!(
            line.metric.as_str(),
            "http_reqs" | "http_req_failed" | "http_req_duration"
        );
        if !wanted {
            continue;
        }
        let column_of = |key: &str| raw.find(&format!("\"{key}\"")).map_or(1, |i| i + 1);
        let time = line.data["time"].as_str().unwrap_or_default();
        let at = timestamp(time).ok_or_else(|| {
            ImportError::bad(
                file,
                n + 1,
                column_of("time"),
                format!("data.time {time:?} is not RFC 3339"),
            )
        })?;
        let value = line.data["value"].as_f64().ok_or_else(|| {
            ImportError::bad(
                file,
                n + 1,
                column_of("value"),
                "data.value is not a number",
            )
        })?;
        let s = seconds.entry(at.timestamp()).or_default();
        match line.metric.as_str() {
            "http_reqs" => s.requests += value,
            "http_req_failed" => s.failures += value,
            _ => s.durations.push(value),
        }
    }
    let Some((&first, _)) = seconds.first_key_value() else {
        return Ok(Vec::new());
    };
    let last = *seconds.keys().last().expect("non-empty");
    // Every second from the first to the last, so a second without requests
    // reads as 0/s (k6 writes a point per request: none means none sent).
    Ok((first..=last)
        .map(|sec| {
            let mut s = seconds.remove(&sec).unwrap_or_default();
            s.durations.sort_by(f64::total_cmp);
            Sample {
                at: DateTime::from_timestamp(sec, 0).unwrap_or_default(),
                requests_per_s: s.requests,
                failures_per_s: Some(s.failures),
                p50_ms: nearest_rank(&s.durations, 0.5),
                p99_ms: nearest_rank(&s.durations, 0.99),
                users: None,
            }
        })
        .collect())
}
