//! The observer tests' endpoint `obs-ep` on moto: one instance, a
//! scalable target (1..4), the built-in target-tracking policy and its high
//! alarm, and CloudWatch datapoints put for it.

#![allow(dead_code)]

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDatum, Statistic};
use scaletrace::observe::aws_model::BUILT_IN_POLICY;

use super::moto;

pub const RESOURCE: &str = "endpoint/obs-ep/variant/AllTraffic";
pub const ALARM: &str = "TargetTracking-endpoint/obs-ep/variant/AllTraffic-AlarmHigh-1a2b";

/// Endpoint with one instance, a scalable target (1..4), the built-in
/// target-tracking policy and its high alarm.
pub async fn setup(config: &SdkConfig) {
    moto::create_endpoint(config, "obs-ep", 1, None).await;
    moto::register_target(config, RESOURCE, 1, 4).await;
    moto::put_invocations_policy(config, RESOURCE, BUILT_IN_POLICY, 70.0).await;
    let cw = aws_sdk_cloudwatch::Client::new(config);
    cw.put_metric_alarm()
        .alarm_name(ALARM)
        .namespace("AWS/SageMaker")
        .metric_name("InvocationsPerInstance")
        .dimensions(
            Dimension::builder()
                .name("EndpointName")
                .value("obs-ep")
                .build(),
        )
        .dimensions(
            Dimension::builder()
                .name("VariantName")
                .value("AllTraffic")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .datapoints_to_alarm(3)
        .threshold(70.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
}

pub async fn put_sum(config: &SdkConfig, name: &str, at: AwsTime, value: f64) {
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_data()
        .namespace("AWS/SageMaker")
        .metric_data(
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(
                    Dimension::builder()
                        .name("EndpointName")
                        .value("obs-ep")
                        .build(),
                )
                .dimensions(
                    Dimension::builder()
                        .name("VariantName")
                        .value("AllTraffic")
                        .build(),
                )
                .timestamp(at)
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
}
