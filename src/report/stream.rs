//! The streamed-response rows every report shares: TTFT and inter-token
//! percentiles and the token counts, when the run streamed (`stream =
//! true`); nothing otherwise, so whole-response reports are unchanged.

use super::table::Table;
use crate::format::fmt;
use crate::summary::Measures;

/// `streamed 120 responses, 3 840 parts, 3 840 tokens (32/response), 64.0 tokens/s`.
pub fn stream_line(s: &Measures) -> Option<String> {
    let c = s.stream.as_ref()?;
    Some(format!(
        "streamed   {} responses   {} parts   {} tokens ({} per response, p50 {})   {} tokens/s   (TTFT from the intended send time)",
        c.responses,
        c.parts,
        c.tokens,
        fmt(c.tokens_per_response.mean),
        c.tokens_per_response.p50,
        fmt(s.tokens_per_s.unwrap_or(0.0)),
    ))
}

/// TTFT and inter-token percentiles as a table for Markdown and HTML.
pub fn stream_table(s: &Measures) -> Option<Table> {
    let ttft = s.ttft_ms.as_ref()?;
    let gaps = s.inter_token_ms.as_ref()?;
    let mut t = Table::new(&[
        "streamed", "p50 ms", "p90 ms", "p99 ms", "max ms", "tokens/s",
    ]);
    let tokens = fmt(s.tokens_per_s.unwrap_or(0.0));
    for (label, p, rate) in [
        ("time to first token", ttft, tokens.clone()),
        ("inter-token", gaps, String::new()),
    ] {
        t.row(vec![
            label.to_string(),
            fmt(p.p50),
            fmt(p.p90),
            fmt(p.p99),
            fmt(p.max),
            rate,
        ]);
    }
    Some(t)
}
