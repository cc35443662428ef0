//! The text `inspect` and `apply` print: the endpoint line, the scalable
//! target, each policy on one line with its alarms beneath ("> 600 for 3 of
//! 3 datapoints of 60 s"), warnings, and activities with not-scaled reasons
//! in plain words.

use std::fmt::Write;

use super::snapshot::{AlarmView, Bounds, PolicyView, Snapshot, Unread};
use crate::observe::aws_model::BUILT_IN_POLICY;

/// CloudWatch's comparison operators as symbols.
pub fn comparison_symbol(op: &str) -> &str {
    match op {
        "GreaterThanThreshold" => ">",
        "GreaterThanOrEqualToThreshold" => ">=",
        "LessThanThreshold" => "<",
        "LessThanOrEqualToThreshold" => "<=",
        other => other,
    }
}

/// "endpoint e (us-east-1), variant AllTraffic: real-time, InService, 2 in service, 2 desired".
pub fn endpoint_line(s: &Snapshot) -> String {
    let count = |c: Option<u32>| c.map(|c| c.to_string()).unwrap_or_else(|| "?".into());
    format!(
        "endpoint {} ({}), variant {}: {}, {}, {} instance(s) in service, {} desired",
        s.endpoint,
        s.region,
        s.variant,
        if s.asynchronous { "async" } else { "real-time" },
        s.status,
        count(s.current_instances),
        count(s.desired_instances)
    )
}

pub fn bounds_text(b: Option<Bounds>) -> String {
    match b {
        Some(b) => format!("min {}, max {}", b.min, b.max),
        None => "none registered".into(),
    }
}

fn cooldown(c: Option<u32>) -> String {
    c.map(|c| format!("{c} s"))
        .unwrap_or_else(|| "default".into())
}

/// A policy's settings on one line.
pub fn policy_settings(p: &PolicyView) -> String {
    let mut s = p.policy_type.clone();
    if let Some(m) = &p.metric {
        let _ = write!(s, " on {m}");
    }
    if let Some(v) = p.target_value {
        let _ = write!(s, ", target value {v}");
    }
    if p.policy_type == "StepScaling" {
        let _ = write!(s, ", cooldown {}", cooldown(p.scale_out_cooldown_s));
    } else {
        let _ = write!(
            s,
            ", scale-in cooldown {}, scale-out cooldown {}",
            cooldown(p.scale_in_cooldown_s),
            cooldown(p.scale_out_cooldown_s)
        );
        let _ = write!(
            s,
            ", {}",
            if p.disable_scale_in {
                "scale-in disabled (DisableScaleIn)"
            } else {
                "scale-in enabled"
            }
        );
    }
    s
}

/// "policy NAME (built-in name)" or "(custom name)".
pub fn policy_title(name: &str) -> String {
    if name == BUILT_IN_POLICY {
        format!("policy {name} (built-in name)")
    } else {
        format!("policy {name} (custom name: the console shows it as a custom policy)")
    }
}

/// "InvocationsPerInstance Sum > 600 for 3 of 3 datapoints of 60 s, state OK".
pub fn alarm_line(a: &AlarmView) -> String {
    format!(
        "alarm {}: {} {} {} {} for {} of {} datapoints of {} s, state {}",
        a.name,
        a.metric,
        a.stat,
        comparison_symbol(&a.comparison),
        a.threshold,
        a.datapoints_to_alarm,
        a.evaluation_periods,
        a.period_s,
        a.state.as_deref().unwrap_or("unknown")
    )
}

/// The scalable target and every policy with its alarms.
pub fn scaling_config(s: &Snapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "scalable target {}: {}",
        s.resource_id,
        bounds_text(s.scalable_target)
    );
    if s.policies.is_empty() {
        let _ = writeln!(out, "no scaling policies");
    }
    for p in &s.policies {
        // The console's built-in/custom naming is about variants.
        let title = match &s.inference_component {
            Some(_) => format!("policy {}", p.name),
            None => policy_title(&p.name),
        };
        let _ = writeln!(out, "{title}");
        let _ = writeln!(out, "  {}", policy_settings(p));
        match (p.alarms.is_empty(), s.failure(Unread::Alarms)) {
            // Not "no alarms": nobody looked.
            (true, Some(f)) => {
                let _ = writeln!(out, "  alarms not read: {} failed ({})", f.api, f.error);
            }
            (true, None) => {
                let _ = writeln!(out, "  no alarms found");
            }
            (false, _) => {}
        }
        for a in &p.alarms {
            let _ = writeln!(out, "  {}", alarm_line(a));
        }
    }
    if !s.other_alarms.is_empty() {
        let _ = writeln!(
            out,
            "{} of {} that no policy claims",
            match &s.inference_component {
                // With the alarms on its NoCapacityInvocationFailures.
                Some(_) => "alarms",
                None => "target-tracking alarms",
            },
            s.resource_id
        );
        for a in &s.other_alarms {
            let _ = writeln!(out, "  {}", alarm_line(a));
        }
    }
    out
}

/// Everything `inspect` prints.
pub fn inspect_text(s: &Snapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", endpoint_line(s));
    if let Some(c) = &s.inference_component {
        let _ = writeln!(out, "{}", super::component::component_line(c));
    }
    let _ = writeln!(out);
    out.push_str(&scaling_config(s));
    let _ = writeln!(out);
    if s.warnings.is_empty() && s.partial {
        // The checks read the target and policies, which were read; say
        // that they could not see the rest.
        let _ = writeln!(
            out,
            "warnings: none from the scalable target and policies (partial view: see below)"
        );
    } else if s.warnings.is_empty() {
        let _ = writeln!(out, "warnings: none");
    } else {
        let _ = writeln!(out, "warnings");
        for w in &s.warnings {
            let _ = writeln!(out, "  ! {w}");
        }
    }
    let _ = writeln!(out);
    if let Some(f) = s.failure(Unread::Activities) {
        let _ = writeln!(
            out,
            "last activities not read: {} failed ({})",
            f.api, f.error
        );
    } else if s.activities.is_empty() {
        let _ = writeln!(out, "last activities: none");
    } else {
        let _ = writeln!(out, "last activities (newest first)");
    }
    for a in &s.activities {
        let mut line = format!(
            "  {}  {}: {}",
            a.start.format("%Y-%m-%d %H:%M:%SZ"),
            a.status,
            a.description
        );
        if !a.not_scaled_words.is_empty() {
            let _ = write!(line, " — not scaled: {}", a.not_scaled_words.join("; "));
        }
        let _ = writeln!(out, "{line}");
        if !a.cause.is_empty() {
            let _ = writeln!(out, "      cause: {}", a.cause);
        }
    }
    if s.partial {
        let _ = writeln!(out);
        let _ = writeln!(out, "PARTIAL VIEW: {} call(s) failed", s.errors.len());
        for e in &s.errors {
            let _ = writeln!(out, "  {}", e.line());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alarm_in_plain_words() {
        let a = AlarmView {
            name: "TargetTracking-x-AlarmHigh-1".into(),
            namespace: "AWS/SageMaker".into(),
            metric: "InvocationsPerInstance".into(),
            stat: "Sum".into(),
            comparison: "GreaterThanThreshold".into(),
            threshold: 1500.0,
            period_s: 60,
            datapoints_to_alarm: 3,
            evaluation_periods: 3,
            state: Some("OK".into()),
        };
        assert_eq!(
            alarm_line(&a),
            "alarm TargetTracking-x-AlarmHigh-1: InvocationsPerInstance Sum > 1500 for 3 of 3 datapoints of 60 s, state OK"
        );
    }

    #[test]
    fn policy_on_one_line() {
        let p = PolicyView {
            name: BUILT_IN_POLICY.into(),
            built_in_name: true,
            policy_type: "TargetTrackingScaling".into(),
            metric: Some("SageMakerVariantInvocationsPerInstance".into()),
            target_value: Some(600.0),
            scale_in_cooldown_s: Some(300),
            scale_out_cooldown_s: None,
            disable_scale_in: false,
            alarms: vec![],
        };
        assert_eq!(
            policy_settings(&p),
            "TargetTrackingScaling on SageMakerVariantInvocationsPerInstance, target value 600, scale-in cooldown 300 s, scale-out cooldown default, scale-in enabled"
        );
        assert!(policy_title(&p.name).contains("built-in"));
        assert!(policy_title("mine").contains("custom"));
    }
}
