//! The SCALING_VALUE recommendation, with its working shown, and the exact
//! commands to apply it under the built-in policy name.

use std::fmt::Write;

use serde_json::json;

use super::runner::CapacityReport;

/// The name the SageMaker console shows as the built-in policy; any other
/// name appears as a custom policy.
pub const BUILT_IN_POLICY_NAME: &str = "SageMakerEndpointInvocationScalingPolicy";

/// Which endpoint the commands are for.
#[derive(Debug, Clone)]
pub struct EndpointRef {
    pub endpoint: String,
    pub variant: String,
    /// Async endpoints scale on the backlog, not on InvocationsPerInstance
    /// (which they do not publish).
    pub asynchronous: bool,
}

impl EndpointRef {
    pub fn resource(&self) -> crate::resource::ScalableResource {
        crate::resource::ScalableResource::variant(&self.endpoint, &self.variant)
    }

    pub fn resource_id(&self) -> String {
        self.resource().resource_id()
    }
}

/// The `--target-tracking-scaling-policy-configuration` JSON.
pub fn policy_json(target_value: u64, asynchronous: bool) -> serde_json::Value {
    if asynchronous {
        json!({
            "TargetValue": target_value as f64,
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance",
                "Namespace": "AWS/SageMaker",
                "Dimensions": [{"Name": "EndpointName", "Value": "<endpoint>"}],
                "Statistic": "Average"
            },
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 300
        })
    } else {
        json!({
            "TargetValue": target_value as f64,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
            "ScaleInCooldown": 300,
            "ScaleOutCooldown": 300
        })
    }
}

/// The recommendation as printed by `scaletrace capacity`.
pub fn render(report: &CapacityReport, target: &EndpointRef) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "capacity curve (one instance; SLO {})", report.slo);
    for note in &report.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(
        out,
        "  {:>10}  {:>10}  {:>9}  {:>9}  {:>9}  verdict",
        "rate/s", "achieved/s", "p50 ms", "p99 ms", "success %"
    );
    let mut steps: Vec<_> = report.steps.iter().collect();
    steps.sort_by(|a, b| a.result.rate.total_cmp(&b.result.rate));
    for s in steps {
        let r = &s.result;
        let _ = writeln!(
            out,
            "  {:>10.2}  {:>10.2}  {:>9.1}  {:>9.1}  {:>9.3}  {}",
            r.rate,
            r.achieved_per_s,
            r.p50_ms,
            r.p99_ms,
            r.success_ratio * 100.0,
            s.verdict
        );
    }
    let _ = writeln!(out);
    let (Some(max_rps), Some(value)) = (report.max_rps, report.scaling_value) else {
        let _ = writeln!(
            out,
            "no MAX_RPS: even the first step broke the SLO. Lower capacity.start_rate, or check the endpoint."
        );
        return out;
    };
    let capped = if report.capped {
        " (the highest rate tried still held: raise capacity.max_rate to find the real limit)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "MAX_RPS        {max_rps:.2} requests/s per instance: the last step that held{capped}"
    );
    let metric = if target.asynchronous {
        "ApproximateBacklogSizePerInstance (queued requests per instance; one instance clears this many in about a minute at the safety factor)"
    } else {
        "SageMakerVariantInvocationsPerInstance (invocations per instance per minute)"
    };
    let _ = writeln!(
        out,
        "SCALING_VALUE  floor(MAX_RPS × SAFETY_FACTOR × 60) = floor({max_rps:.2} × {} × 60) = {value}",
        report.safety_factor
    );
    let _ = writeln!(out, "               target value of {metric}");
    let _ = writeln!(out);
    let policy = serde_json::to_string_pretty(&policy_json(value, target.asynchronous))
        .expect("json")
        .replace("<endpoint>", &target.endpoint);
    let rid = target.resource_id();
    let dim = target.resource().dimension_name();
    let _ = writeln!(
        out,
        "Apply it under the built-in policy name {BUILT_IN_POLICY_NAME}, so the console shows it as the built-in policy:\n"
    );
    let _ = writeln!(out, "cat > scaling-policy.json <<'JSON'\n{policy}\nJSON");
    let _ = writeln!(
        out,
        "aws application-autoscaling put-scaling-policy \\\n  --policy-name {BUILT_IN_POLICY_NAME} \\\n  --service-namespace sagemaker \\\n  --resource-id {rid} \\\n  --scalable-dimension {dim} \\\n  --policy-type TargetTrackingScaling \\\n  --target-tracking-scaling-policy-configuration file://scaling-policy.json"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "# or with boto3:");
    let _ = writeln!(
        out,
        "import boto3, json\nboto3.client(\"application-autoscaling\").put_scaling_policy(\n    PolicyName=\"{BUILT_IN_POLICY_NAME}\",\n    ServiceNamespace=\"sagemaker\",\n    ResourceId=\"{rid}\",\n    ScalableDimension=\"{dim}\",\n    PolicyType=\"TargetTrackingScaling\",\n    TargetTrackingScalingPolicyConfiguration=json.load(open(\"scaling-policy.json\")),\n)"
    );
    if target.asynchronous {
        let _ = writeln!(
            out,
            "\nTarget tracking alone scales up from 0 instances only after the backlog exceeds its target value (minutes). If MinCapacity is 0, the faster path is the step policy AWS documents:\nan alarm on HasBacklogWithoutCapacity >= 1 (Average, 2 of 2 one-minute periods) triggering the policy below\n(`scaletrace apply --metric backlog --min-capacity 0 …` creates both):\n\naws application-autoscaling put-scaling-policy \\\n  --policy-name HasBacklogWithoutCapacity-ScalingPolicy \\\n  --service-namespace sagemaker \\\n  --resource-id {rid} \\\n  --scalable-dimension {dim} \\\n  --policy-type StepScaling \\\n  --step-scaling-policy-configuration '{{\"AdjustmentType\": \"ChangeInCapacity\", \"MetricAggregationType\": \"Average\", \"Cooldown\": 300, \"StepAdjustments\": [{{\"MetricIntervalLowerBound\": 0, \"ScalingAdjustment\": 1}}]}}'"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::{Step, StepResult};

    fn report() -> CapacityReport {
        let step = |rate: f64, p99: f64, reason: Option<&str>| Step {
            result: StepResult {
                rate,
                achieved_per_s: rate,
                p50_ms: 20.0,
                p99_ms: p99,
                success_ratio: 1.0,
                requests: (rate * 30.0) as u64,
            },
            passed: reason.is_none(),
            verdict: match reason {
                None => {
                    "held: p99 ≤ 300.0 ms, success ≥ 99.900 %, achieved ≥ 95 % of offered".into()
                }
                Some(why) => format!("broke: {why}"),
            },
            reason: reason.map(String::from),
            pass: "coarse",
        };
        CapacityReport {
            schema: "scaletrace.capacity/1",
            name: "t".into(),
            p99_slo_ms: 300.0,
            min_success_ratio: 0.999,
            slo:
                "p99 ≤ 300 ms ([capacity] p99_ms), success ≥ 99.9 % ([capacity] min_success_ratio)"
                    .into(),
            max_rps: Some(20.0),
            capped: false,
            safety_factor: 0.5,
            notes: Vec::new(),
            scaling_value: Some(600),
            steps: vec![
                step(10.0, 25.0, None),
                step(20.0, 40.0, None),
                step(40.0, 4000.0, Some("p99 4000.0 ms > 300.0 ms")),
            ],
        }
    }

    #[test]
    fn real_time_recommendation_and_commands() {
        let ep = EndpointRef {
            endpoint: "my-endpoint".into(),
            variant: "AllTraffic".into(),
            asynchronous: false,
        };
        insta::assert_snapshot!(render(&report(), &ep));
    }

    #[test]
    fn async_recommendation_adds_the_scale_from_zero_policy() {
        let ep = EndpointRef {
            endpoint: "my-async".into(),
            variant: "AllTraffic".into(),
            asynchronous: true,
        };
        let text = render(&report(), &ep);
        assert!(text.contains("ApproximateBacklogSizePerInstance"));
        assert!(text.contains("HasBacklogWithoutCapacity"));
        assert!(text.contains("\"Value\": \"my-async\""));
        assert!(!text.contains("SageMakerVariantInvocationsPerInstance"));
    }
}
