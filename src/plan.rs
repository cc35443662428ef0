//! The resolved plan as `scaletrace validate` prints it: phases, expected
//! request count, peak rate.

use std::fmt::Write;

use crate::profile::{Profile, TargetSpec};

pub fn describe(p: &Profile) -> String {
    let mut out = String::new();
    let target = match &p.target {
        TargetSpec::Http(h) => format!("http {} {}", h.method, h.url),
        TargetSpec::SageMaker(s) => format!("sagemaker endpoint {}", s.endpoint_name),
        TargetSpec::SageMakerAsync(s) => format!(
            "sagemaker-async endpoint {} (inputs in {}; drain {})",
            s.endpoint_name,
            s.input_s3_uri,
            humantime::format_duration(s.drain_timeout)
        ),
        TargetSpec::Sim(_) => "simulated SageMaker endpoint".to_string(),
    };
    let _ = writeln!(out, "profile {:?}: ok", p.name);
    let _ = writeln!(out, "  target       {target}");
    let _ = writeln!(
        out,
        "  arrivals     {}, seed {}, max in flight {}, timeout {}",
        match p.load.arrivals {
            crate::profile::Arrivals::Uniform => "uniform",
            crate::profile::Arrivals::Poisson => "poisson",
        },
        p.load.seed,
        p.load.max_in_flight,
        humantime::format_duration(p.load.timeout)
    );
    let _ = writeln!(out, "  phases");
    let mut start = std::time::Duration::ZERO;
    for (i, ph) in p.load.phases.iter().enumerate() {
        let rate = if (ph.from_rate - ph.to_rate).abs() < 1e-9 {
            format!("{:.2}/s ({:.0}/min)", ph.from_rate, ph.from_rate * 60.0)
        } else {
            format!("{:.2} → {:.2}/s", ph.from_rate, ph.to_rate)
        };
        let _ = writeln!(
            out,
            "    {:>3}  {:>8} +{:<8} {:<28} {:>10.0} requests  {}",
            i + 1,
            humantime::format_duration(start).to_string(),
            humantime::format_duration(ph.duration).to_string(),
            rate,
            ph.expected_requests(),
            ph.name
        );
        start += ph.duration;
    }
    let _ = writeln!(
        out,
        "  total        {}, {:.0} requests expected, peak {:.2}/s ({:.0}/min)",
        humantime::format_duration(p.load.total_duration()),
        p.load.expected_requests(),
        p.load.peak_rate(),
        p.load.peak_rate() * 60.0
    );
    out
}
