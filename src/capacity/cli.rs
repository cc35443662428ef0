//! What `scaletrace capacity`'s flags need beyond clap: value parsers.

/// `--p99-ms`, `--ttft-p99-ms`: a positive, finite number of milliseconds.
pub fn parse_ms(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a positive number of milliseconds (e.g. 500)"
        )),
    }
}
