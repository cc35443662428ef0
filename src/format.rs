//! Number formatting shared by every report and analysis line: one set of
//! formatters, so a number reads the same in every report.

pub fn fmt(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        // `+ 0.0` turns a negative zero (a change of -0.0, or -1e-12 rounded)
        // into 0: a gate value printed as "-0" read as a sign error.
        format!("{:.0}", v.round() + 0.0)
    } else if v.abs() < 0.1 {
        // Under half the last decimal (-1e-7 would print "-0.0000"): 0, as
        // above.
        if (v * 1e4).round() == 0.0 {
            "0".into()
        } else {
            format!("{v:.4}")
        }
    } else {
        format!("{v:.2}")
    }
}

/// A latency in milliseconds, with fewer decimals the larger it is.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{v:.0}")
    } else if v >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A request rate: whole numbers without decimals, else two.
pub fn fmt_rate(r: f64) -> String {
    if (r - r.round()).abs() < 1e-9 {
        format!("{r:.0}")
    } else {
        format!("{r:.2}")
    }
}

/// A ratio as a percentage, without trailing zeros: 0.001 → `0.1`.
pub fn pct(r: f64) -> String {
    let s = format!("{:.3}", r * 100.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod negative_zero_tests {
    #[test]
    fn a_negative_zero_prints_as_zero() {
        // A gate's change of -0.0 (or -1e-12 after rounding) printed "-0".
        assert_eq!(super::fmt(-0.0), "0");
        assert_eq!(super::fmt(-1e-12), "0");
        assert_eq!(super::fmt(-2.0), "-2");
        // Too small for 4 decimals, on either side: "-0.0000" before.
        assert_eq!(super::fmt(-1e-7), "0");
        assert_eq!(super::fmt(3e-5), "0");
        assert_eq!(super::fmt(-0.0012), "-0.0012");
    }
}
