//! Writes a run directory from a constructed journal (no endpoint needed),
//! then `scaletrace report DIR` renders it; used to look at report.html.
//!
//!   cargo run --example fixture_run -- /tmp/fixture-run [short-spike]
//!   cargo run -- report /tmp/fixture-run
//!   scripts/check-html.sh /tmp/fixture-run/report.html

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: fixture_run DIR [short-spike]"));
    let data = match args.next().as_deref() {
        Some("short-spike") => scaletrace::fixture::short_spike(),
        _ => scaletrace::fixture::scale_out_and_in(),
    };
    scaletrace::fixture::write_run_dir(&data, &dir).expect("writes the run directory");
    println!("{}", dir.display());
}
