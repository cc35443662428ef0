//! `summary.json`: the machine-readable summary (schema in
//! `schema/summary.schema.json`).

use super::{Exporter, Report};

pub struct JsonSummary;

impl Exporter for JsonSummary {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, report: &Report) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&report.summary).expect("summary serializes");
        out.push(b'\n');
        out
    }
}
