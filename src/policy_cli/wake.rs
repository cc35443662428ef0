//! Scale from zero for async endpoints: without a step policy, AWS
//! documents that target tracking "starts scaling up from zero only after
//! the number of backlog requests exceeds the target tracking value"
//! (users report about 5 minutes), so an async variant whose MinCapacity
//! is 0 gets the faster step policy AWS documents as well: +1 instance when an alarm on
//! `HasBacklogWithoutCapacity` (Average ≥ 1 for 2 of 2 one-minute periods,
//! dimension EndpointName) fires. `apply` adds both when it sets min 0 on
//! an async variant that has no step policy yet.

use aws_sdk_applicationautoscaling::types::{
    AdjustmentType, MetricAggregationType, PolicyType, ServiceNamespace, StepAdjustment,
    StepScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};

use super::PolicyCliError;
use super::snapshot::{PolicyView, Snapshot};
use crate::aws;
use crate::observe::aws::AwsClients;
use crate::observe::aws_model::EndpointKind;

/// The name AWS's documentation uses for the step policy.
pub const WAKE_POLICY: &str = "HasBacklogWithoutCapacity-ScalingPolicy";
/// The metric the alarm watches.
pub const WAKE_METRIC: &str = "HasBacklogWithoutCapacity";
pub const WAKE_COOLDOWN_S: u32 = 300;
/// M of N one-minute periods, as documented.
pub const WAKE_PERIODS: u32 = 2;

/// The step policy and alarm to create.
#[derive(Debug, Clone, PartialEq)]
pub struct WakePlan {
    pub policy_name: String,
    pub alarm_name: String,
}

impl WakePlan {
    /// Needed when an async variant may sit at 0 instances and no step
    /// policy exists to leave 0.
    pub fn needed(before: &Snapshot, min_after: u32) -> Option<WakePlan> {
        let has_step = before
            .policies
            .iter()
            .any(|p| p.policy_type == "StepScaling");
        (before.kind() == EndpointKind::Async && min_after == 0 && !has_step).then(|| WakePlan {
            policy_name: WAKE_POLICY.into(),
            alarm_name: format!("{}-{WAKE_METRIC}", before.endpoint),
        })
    }

    /// The policy as `inspect` will show it.
    pub fn view(&self) -> PolicyView {
        PolicyView {
            name: self.policy_name.clone(),
            built_in_name: false,
            policy_type: "StepScaling".into(),
            metric: Some(WAKE_METRIC.into()),
            target_value: None,
            scale_in_cooldown_s: Some(WAKE_COOLDOWN_S),
            scale_out_cooldown_s: Some(WAKE_COOLDOWN_S),
            disable_scale_in: false,
            alarms: Vec::new(),
        }
    }

    /// One line for the plan.
    pub fn describe(&self) -> String {
        format!(
            "StepScaling +1 instance (ChangeInCapacity, cooldown {WAKE_COOLDOWN_S} s) when alarm {:?} fires: {WAKE_METRIC} Average >= 1 for {WAKE_PERIODS} of {WAKE_PERIODS} one-minute periods",
            self.alarm_name
        )
    }

    /// PutScalingPolicy (step), then PutMetricAlarm with the policy's ARN
    /// as its action.
    pub async fn create(
        &self,
        clients: &AwsClients,
        resource: &str,
        endpoint: &str,
    ) -> Result<(), PolicyCliError> {
        let failed = |api: &str, e: String| {
            PolicyCliError::Aws(format!(
                "{api} {resource} ({}) failed: {e}",
                self.policy_name
            ))
        };
        let build = |e: aws_sdk_applicationautoscaling::error::BuildError| {
            PolicyCliError::BadInput(format!("cannot build the step policy: {e}"))
        };
        let config = StepScalingPolicyConfiguration::builder()
            .adjustment_type(AdjustmentType::ChangeInCapacity)
            .metric_aggregation_type(MetricAggregationType::Average)
            .cooldown(WAKE_COOLDOWN_S as i32)
            .step_adjustments(
                StepAdjustment::builder()
                    .metric_interval_lower_bound(0.0)
                    .scaling_adjustment(1)
                    .build()
                    .map_err(build)?,
            )
            .build();
        let put = clients
            .autoscaling
            .put_scaling_policy()
            .policy_name(&self.policy_name)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(resource)
            .scalable_dimension(crate::resource::ScalableResource::dimension_of_id(resource))
            .policy_type(PolicyType::StepScaling)
            .step_scaling_policy_configuration(config)
            .send()
            .await
            .map_err(|e| failed("PutScalingPolicy", aws::describe_error(&e)))?;
        clients
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&self.alarm_name)
            .alarm_description(format!(
                "scale {endpoint} out from 0 instances when requests wait (created by scaletrace apply)"
            ))
            .namespace("AWS/SageMaker")
            .metric_name(WAKE_METRIC)
            .dimensions(Dimension::builder().name("EndpointName").value(endpoint).build())
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(WAKE_PERIODS as i32)
            .datapoints_to_alarm(WAKE_PERIODS as i32)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("missing")
            .alarm_actions(put.policy_arn())
            .send()
            .await
            .map_err(|e| failed("PutMetricAlarm", aws::describe_error(&e)))?;
        Ok(())
    }
}
