//! `scaletrace compare`'s table: the baseline comparison's rows laid out for
//! the terminal or Markdown.

use super::table::Table;
use crate::compare::{Row, Unit};
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
    for r in rows {
        // An absolute row (the error rate, a fraction) keeps four decimals
        // in every column, so its change reads in the unit of its values
        // and of `error_rate_increase`, with or without a tolerance.
        let value = |v: f64| match r.unit {
            Unit::Percent => fmt(v),
            Unit::Absolute => format!("{v:.4}"),
        };
        let opt = |v: Option<f64>| v.map(value).unwrap_or_else(|| "—".into());
        let change = match (r.change, r.unit) {
            (Some(c), Unit::Percent) => format!("{c:+.1}%"),
            (Some(c), Unit::Absolute) => format!("{c:+.4}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_rate_change_is_absolute_with_or_without_a_tolerance() {
        let base = crate::compare::tests::measures("demo", 33.56, 84, 16);
        let cur = crate::compare::tests::measures("demo", 33.56, 90, 10);
        for tol in [
            crate::profile::Tolerances::default(),
            crate::profile::Tolerances {
                error_rate_increase: Some(0.01),
                ..crate::profile::Tolerances::default()
            },
        ] {
            let rows = crate::compare::compare(&base, &cur, &tol);
            let text = comparison_table(&rows).to_text("");
            let line = text.lines().find(|l| l.starts_with("error rate")).unwrap();
            assert!(line.contains("0.1600") && line.contains("0.1000"), "{line}");
            assert!(line.contains("-0.0600"), "{line}");
            assert!(!line.contains('%'), "{line}");
        }
    }
}
