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

/// `capacity --concurrency` after the banner: the search, the
/// recommendation (printed and written beside `capacity.json`), and the
/// exit code: 0, or 1 when even the first step broke the SLO.
pub fn concurrency(
    profile: &crate::profile::Profile,
    dir: &std::path::Path,
    quiet: bool,
    slo: super::slo::SloFlags,
    resource: &crate::resource::ScalableResource,
) -> Result<u8, crate::run::RunError> {
    let report = super::concurrency_run::run_concurrency(profile, dir, quiet, slo, resource)?;
    let text = super::concurrency_recommend::write(dir, &report, resource)
        .map_err(|e| crate::run::RunError::Broke(format!("{}: {e}", dir.display())))?;
    print!("{text}");
    println!("\ncapacity directory: {}", dir.display());
    Ok(if report.max_concurrency.is_none() {
        crate::exit::GATE_FAILED
    } else {
        crate::exit::DONE
    })
}

/// The banner's stairs: "stairs from 1/s", or "stairs from 1 to 256 in
/// flight" with `--concurrency`.
pub fn stairs(profile: &crate::profile::Profile, concurrency: bool) -> String {
    let c = &profile.capacity;
    if concurrency {
        format!(
            "stairs from {} to {} in flight",
            c.concurrency.start, c.concurrency.max
        )
    } else {
        format!("stairs from {}/s", c.search.start_rate)
    }
}
