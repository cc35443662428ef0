//! Checks the SVG charts in report files for overlapping text and text
//! outside its chart, with the same text extents the tests use
//! ([`scaletrace::report::svg::layout_problems`]). `scripts/check-html.sh`
//! runs it.
//!
//!   cargo run --example check_layout -- RUN_DIR/report.html [more files]

fn main() {
    let mut failed = false;
    for path in std::env::args().skip(1) {
        let doc = match std::fs::read_to_string(&path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            }
        };
        for p in scaletrace::report::svg::layout_problems(&doc) {
            eprintln!("{path}: {p}");
            failed = true;
        }
    }
    if failed {
        std::process::exit(1);
    }
}
