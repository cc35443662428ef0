//! Number formatting shared by every report and analysis line.

pub fn fmt(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() < 0.1 {
        format!("{v:.4}")
    } else {
        format!("{v:.2}")
    }
}
