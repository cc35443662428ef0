//! `scaletrace compare`'s table: the baseline comparison's rows laid out for
//! the terminal or Markdown.

use super::table::Table;
use crate::compare::Row;
use crate::format::fmt;

/// The comparison as a table (terminal or Markdown layout).
pub fn comparison_table(rows: &[Row]) -> Table {
    let mut t = Table::new(&[
        "metric",
        "baseline",
        "current",
        "change",
        "tolerance",
        "verdict",
    ]);
    let opt = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "—".into());
    for r in rows {
        let change = match (r.change, r.tolerance) {
            (Some(c), Some((n, _))) if n.ends_with("_pct") => format!("{c:+.1}%"),
            (Some(c), Some(_)) => format!("{c:+.4}"),
            (Some(c), None) => format!("{c:+.1}%"),
            (None, _) => "—".into(),
        };
        let tol = r
            .tolerance
            .map(|(n, v)| format!("{n} = {}", fmt(v)))
            .unwrap_or_else(|| "—".into());
        let verdict = match (r.tolerance, r.exceeded) {
            (None, _) => "",
            (Some(_), false) => "ok",
            (Some(_), true) => "EXCEEDED",
        };
        t.row(vec![
            r.metric.to_string(),
            opt(r.baseline),
            opt(r.current),
            change,
            tol,
            verdict.into(),
        ]);
    }
    t
}
