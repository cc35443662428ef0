//! `summary.json`: the machine-readable summary (schema in
//! `schema/summary.schema.json`).

use super::{Exporter, Shared};

pub struct JsonSummary;

impl Exporter for JsonSummary {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn export(&self, shared: &Shared) -> Vec<u8> {
        let mut out =
            serde_json::to_vec_pretty(&shared.report.summary).expect("summary serializes");
        out.push(b'\n');
        out
    }
}
