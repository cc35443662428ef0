//! The ConcurrentRequestsPerCopy (or PerModel) recommendation of
//! `capacity --concurrency`, with its working and the commands to apply
//! it.
//!
//! AWS, "Define a scaling policy" (high-resolution predefined metrics):
//! ConcurrentRequestsPerModel / ConcurrentRequestsPerCopy count the
//! requests a model container (a copy) is handling, those queued in the
//! container included, and for streamed responses until the last token;
//! they are published every 10 seconds, so a policy on them scales out
//! faster than on InvocationsPerInstance (scale-in is as slow). Its
//! example is `{"TargetValue": 5.0, "PredefinedMetricSpecification":
//! {"PredefinedMetricType": "SageMakerVariantConcurrentRequestsPerModelHighResolution"}}`,
//! with `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution`
//! for inference components.
//! <https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-auto-scaling-add-code-define.html>

use std::fmt::Write;
use std::path::Path;

use serde_json::json;

use super::concurrency_run::ConcurrencyReport;
use crate::profile::{Profile, TargetSpec};
use crate::resource::ScalableResource;

/// What the printed commands scale: the inference component given
/// (`--inference-component`, else the profile's SageMaker target's
/// `inference_component`), else the endpoint's variant.
pub fn resource_for(
    profile: &Profile,
    endpoint: &str,
    variant: &str,
    inference_component: Option<&str>,
) -> ScalableResource {
    let from_target = match &profile.target {
        TargetSpec::SageMaker(s) => s.inference_component.as_deref(),
        _ => None,
    };
    match inference_component.or(from_target) {
        Some(name) => ScalableResource::InferenceComponent { name: name.into() },
        None => ScalableResource::variant(endpoint, variant),
    }
}

/// The policy name the commands use. AWS's built-in name
/// (`SageMakerEndpointInvocationScalingPolicy`) is the invocations
/// policy's; a concurrency policy has none, so this one names its metric.
pub fn policy_name(resource: &ScalableResource) -> &'static str {
    match resource {
        ScalableResource::Variant { .. } => "ConcurrentRequestsPerModel-TargetTracking",
        ScalableResource::InferenceComponent { .. } => "ConcurrentRequestsPerCopy-TargetTracking",
    }
}

/// The `--target-tracking-scaling-policy-configuration` JSON.
pub fn policy_json(target_value: f64, metric: &str) -> serde_json::Value {
    json!({
        "TargetValue": target_value,
        "PredefinedMetricSpecification": { "PredefinedMetricType": metric },
        "ScaleInCooldown": 300,
        "ScaleOutCooldown": 300
    })
}

/// The recommendation as printed.
pub fn render(report: &ConcurrencyReport, resource: &ScalableResource) -> String {
    let per = report.per;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "capacity curve (requests in flight per {per}; SLO {})",
        report.slo.describe()
    );
    for note in &report.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(
        out,
        "  {:>9}  {:>10}  {:>9}  {:>9}  {:>11}  {:>9}  verdict",
        "in flight", "achieved/s", "p50 ms", "p99 ms", "TTFT p99 ms", "success %"
    );
    let mut steps: Vec<_> = report.steps.iter().collect();
    steps.sort_by_key(|s| s.result.concurrency);
    for s in steps {
        let r = &s.result;
        let ttft = r
            .ttft_p99_ms
            .map(|t| format!("{t:.1}"))
            .unwrap_or_else(|| "—".into());
        let _ = writeln!(
            out,
            "  {:>9}  {:>10.2}  {:>9.1}  {:>9.1}  {:>11}  {:>9.3}  {}",
            r.concurrency,
            r.achieved_per_s,
            r.p50_ms,
            r.p99_ms,
            ttft,
            r.success_ratio * 100.0,
            s.verdict
        );
    }
    let _ = writeln!(out);
    let (Some(max), Some(value)) = (report.max_concurrency, report.target_value) else {
        let _ = writeln!(
            out,
            "no MAX_CONCURRENCY: even the first step broke the SLO. Lower capacity.start_concurrency, or check the endpoint."
        );
        return out;
    };
    let capped = if report.capped {
        " (the most tried still held: raise capacity.max_concurrency to find the real limit)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "MAX_CONCURRENCY  {max} requests in flight per {per}: the last step that held{capped}"
    );
    let _ = writeln!(
        out,
        "TARGET_VALUE     MAX_CONCURRENCY × SAFETY_FACTOR = {max} × {} = {value}",
        report.safety_factor
    );
    let _ = writeln!(
        out,
        "                 target value of {} (concurrent requests per {}, 10-second high-resolution metric)",
        report.predefined_metric,
        if per == "copy" { "copy" } else { "model" }
    );
    let _ = writeln!(out);
    let policy =
        serde_json::to_string_pretty(&policy_json(value, report.predefined_metric)).expect("json");
    let (rid, dim, name) = (
        resource.resource_id(),
        resource.dimension_name(),
        policy_name(resource),
    );
    let _ = writeln!(out, "cat > scaling-policy.json <<'JSON'\n{policy}\nJSON");
    let _ = writeln!(
        out,
        "aws application-autoscaling put-scaling-policy \\\n  --policy-name {name} \\\n  --service-namespace sagemaker \\\n  --resource-id {rid} \\\n  --scalable-dimension {dim} \\\n  --policy-type TargetTrackingScaling \\\n  --target-tracking-scaling-policy-configuration file://scaling-policy.json"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "# or with boto3:");
    let _ = writeln!(
        out,
        "import boto3, json\nboto3.client(\"application-autoscaling\").put_scaling_policy(\n    PolicyName=\"{name}\",\n    ServiceNamespace=\"sagemaker\",\n    ResourceId=\"{rid}\",\n    ScalableDimension=\"{dim}\",\n    PolicyType=\"TargetTrackingScaling\",\n    TargetTrackingScalingPolicyConfiguration=json.load(open(\"scaling-policy.json\")),\n)"
    );
    out
}

/// Writes `recommendation.txt` and, when there is a target value,
/// `scaling-policy.json` into `dir`; returns the text.
pub fn write(
    dir: &Path,
    report: &ConcurrencyReport,
    resource: &ScalableResource,
) -> std::io::Result<String> {
    let text = render(report, resource);
    std::fs::write(dir.join("recommendation.txt"), &text)?;
    if let Some(value) = report.target_value {
        let json = serde_json::to_string_pretty(&policy_json(value, report.predefined_metric))
            .expect("json");
        std::fs::write(dir.join("scaling-policy.json"), json + "\n")?;
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::concurrency::{ConcurrencyResult, ConcurrencyStep};
    use crate::capacity::slo::{Limit, StepSlo};

    fn report(per: &'static str, metric: &'static str) -> ConcurrencyReport {
        let step = |c: u32, ttft: f64, why: Option<&str>| ConcurrencyStep {
            result: ConcurrencyResult {
                concurrency: c,
                achieved_per_s: 2.5 * f64::from(c),
                p50_ms: 2000.0,
                p99_ms: 3000.0,
                ttft_p99_ms: Some(ttft),
                success_ratio: 1.0,
                requests: 100,
            },
            passed: why.is_none(),
            reason: why.map(String::from),
            verdict: match why {
                None => "held: p99 ≤ 10000.0 ms, TTFT p99 ≤ 500.0 ms, success ≥ 99.900 %".into(),
                Some(w) => format!("broke: {w}"),
            },
            pass: "coarse",
        };
        let l = |value: f64, from: &str| Limit {
            value,
            from: from.into(),
        };
        ConcurrencyReport {
            schema: "scaletrace.capacity/1",
            mode: "concurrency",
            name: "t".into(),
            slo: StepSlo {
                p99_ms: l(10000.0, "--p99-ms"),
                min_success_ratio: l(0.999, "[capacity] min_success_ratio"),
                ttft_p99_ms: Some(l(500.0, "[capacity] ttft_p99_ms")),
            },
            per,
            max_concurrency: Some(8),
            capped: false,
            safety_factor: 0.5,
            target_value: Some(4.0),
            predefined_metric: metric,
            notes: Vec::new(),
            steps: vec![
                step(8, 420.0, None),
                step(4, 260.0, None),
                step(16, 900.0, Some("TTFT p99 900.0 ms > 500.0 ms")),
            ],
        }
    }

    #[test]
    fn inference_component_recommendation_and_commands() {
        let ic = ScalableResource::InferenceComponent {
            name: "chat-ic".into(),
        };
        let text = render(
            &report(
                "copy",
                super::super::concurrency_run::predefined_metric(&ic),
            ),
            &ic,
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_variant_scales_on_concurrent_requests_per_model() {
        let v = ScalableResource::variant("my-ep", "AllTraffic");
        let text = render(
            &report(
                "instance",
                super::super::concurrency_run::predefined_metric(&v),
            ),
            &v,
        );
        assert!(text.contains("\"SageMakerVariantConcurrentRequestsPerModelHighResolution\""));
        assert!(text.contains("--resource-id endpoint/my-ep/variant/AllTraffic"));
        assert!(text.contains("MAX_CONCURRENCY  8 requests in flight per instance"));
    }
}
