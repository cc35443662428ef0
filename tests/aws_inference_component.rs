//! Inference components against moto, with the real SDK clients: the AWS
//! observer (`copies` lines, the component's 10-second alarm, its per-copy
//! metrics), `inspect --inference-component` and `apply
//! --inference-component`.
//!
//! moto (5.2) implements PutScalingPolicy / DescribeScalingPolicies for
//! `inference-component/...` resource ids, PutMetricAlarm /
//! DescribeAlarms with a 10-second period, and PutMetricData /
//! GetMetricData with the `InferenceComponentName` dimension at 10 and 60
//! s: those go to moto. It rejects the dimension
//! `sagemaker:inference-component:DesiredCopyCount` in
//! **RegisterScalableTarget** and **DescribeScalableTargets** (a
//! ValidationException listing the dimensions it knows), and does not
//! implement **DescribeInferenceComponent**, **DescribeScalingActivities**
//! or **DescribeAlarmHistory**: those five operations come from
//! aws-smithy-mocks, shaped like AWS's API reference; everything else
//! passes through to moto.

mod support;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
use aws_sdk_applicationautoscaling::operation::describe_scaling_activities::DescribeScalingActivitiesOutput;
use aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetOutput;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTarget,
    ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDatum, Statistic};
use aws_sdk_sagemaker::operation::describe_inference_component::DescribeInferenceComponentOutput;
use aws_sdk_sagemaker::types::{InferenceComponentRuntimeConfigSummary, InferenceComponentStatus};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
use scaletrace::clock::RunClock;
use scaletrace::journal::record::Record;
use scaletrace::observe::Observer;
use scaletrace::observe::aws::{AwsClients, AwsObserver, ObserveTarget};
use support::moto::{self, Moto};

const ENDPOINT: &str = "chat-ep";
const COMPONENT: &str = "chat-ic";
const RESOURCE: &str = "inference-component/chat-ic";
const HIGH: &str = "TargetTracking-inference-component/chat-ic-AlarmHigh-5f1e";

/// DescribeInferenceComponent as AWS's API reference shapes it.
fn described(
    status: InferenceComponentStatus,
    current: i32,
    desired: i32,
) -> DescribeInferenceComponentOutput {
    DescribeInferenceComponentOutput::builder()
        .inference_component_name(COMPONENT)
        .endpoint_name(ENDPOINT)
        .variant_name("AllTraffic")
        .inference_component_status(status)
        .runtime_config(
            InferenceComponentRuntimeConfigSummary::builder()
                .current_copy_count(current)
                .desired_copy_count(desired)
                .build(),
        )
        .build()
}

/// DescribeScalableTargets answering `bounds` (None: none registered).
fn targets(bounds: Option<(i32, i32)>) -> DescribeScalableTargetsOutput {
    let mut o = DescribeScalableTargetsOutput::builder();
    if let Some((min, max)) = bounds {
        o = o.scalable_targets(
            ScalableTarget::builder()
                .service_namespace(ServiceNamespace::Sagemaker)
                .resource_id(RESOURCE)
                .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
                .min_capacity(min)
                .max_capacity(max)
                .role_arn("arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint")
                .creation_time(AwsTime::from_secs(1_700_000_000))
                .build()
                .unwrap(),
        );
    }
    o.build()
}

/// Clients on moto with the given rules for the operations moto lacks.
fn clients(config: &SdkConfig, aas: &[&Rule], cw: &[&Rule], sm: &[&Rule]) -> AwsClients {
    fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
        let mut i = MockResponseInterceptor::new()
            .rule_mode(RuleMode::MatchAny)
            .allow_passthrough();
        for r in rules {
            i = i.with_rule(r);
        }
        i
    }
    AwsClients {
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(config)
                .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
                .interceptor(interceptor(cw))
                .build(),
        ),
        autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(
            aws_sdk_applicationautoscaling::config::Builder::from(config)
                .retry_config(
                    aws_sdk_applicationautoscaling::config::retry::RetryConfig::disabled(),
                )
                .interceptor(interceptor(aas))
                .build(),
        ),
        sagemaker: aws_sdk_sagemaker::Client::from_conf(
            aws_sdk_sagemaker::config::Builder::from(config)
                .retry_config(aws_sdk_sagemaker::config::retry::RetryConfig::disabled())
                .interceptor(interceptor(sm))
                .build(),
        ),
    }
}

fn no_activities() -> Rule {
    mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
        .then_output(|| DescribeScalingActivitiesOutput::builder().build())
}

fn no_history() -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
        .then_output(|| DescribeAlarmHistoryOutput::builder().build())
}

fn ic_dimension() -> Dimension {
    Dimension::builder()
        .name("InferenceComponentName")
        .value(COMPONENT)
        .build()
}

/// The target-tracking policy on concurrent requests per copy (target 4),
/// as `apply --inference-component` puts it; its ARN.
async fn put_concurrency_policy(config: &SdkConfig, name: &str) -> String {
    aws_sdk_applicationautoscaling::Client::new(config)
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(RESOURCE)
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(4.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(
                            MetricType::SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution,
                        )
                        .build()
                        .unwrap(),
                )
                .scale_in_cooldown(300)
                .scale_out_cooldown(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("PutScalingPolicy")
        .policy_arn()
        .to_string()
}

/// Target tracking's high alarm on the high-resolution metric (moto never
/// creates target tracking's alarms): > 4 for 3 of 3 datapoints of 10 s,
/// its action the policy (`policy_arn`), as AWS creates it.
async fn put_high_alarm(config: &SdkConfig, policy_arn: Option<&str>) {
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_alarm()
        .set_alarm_actions(policy_arn.map(|a| vec![a.to_string()]))
        .alarm_name(HIGH)
        .namespace("AWS/SageMaker")
        .metric_name("ConcurrentRequestsPerCopy")
        .dimensions(ic_dimension())
        .statistic(Statistic::Maximum)
        .period(10)
        .evaluation_periods(3)
        .datapoints_to_alarm(3)
        .threshold(4.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
}

async fn put(config: &SdkConfig, name: &str, at: i64, value: f64) {
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_data()
        .namespace("AWS/SageMaker")
        .metric_data(
            MetricDatum::builder()
                .metric_name(name)
                .dimensions(ic_dimension())
                .timestamp(AwsTime::from_secs(at))
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
}

/// A record as its journal line, with the poll time `t` set to 0 (the
/// wall clock's).
fn line(r: &Record) -> String {
    let mut v = serde_json::to_value(r).unwrap();
    v["t"] = serde_json::json!(0);
    v.to_string()
}

fn lines(records: &[Record], kind: &str) -> Vec<String> {
    records
        .iter()
        .map(line)
        .filter(|l| l.starts_with(&format!("{{\"type\":\"{kind}\"")))
        .collect()
}

#[tokio::test]
async fn observer_follows_copies_the_high_resolution_alarm_and_per_copy_metrics() {
    let moto = Moto::start();
    let config = moto.config().await;
    moto::create_endpoint(&config, ENDPOINT, 1, None).await;
    put_concurrency_policy(&config, "chat-ic-ConcurrentRequestsPerCopy").await;
    put_high_alarm(&config, None).await;
    // Two 10-second periods of concurrency, one minute of failures and
    // invocations, all a minute or two back.
    let minute = (chrono::Utc::now().timestamp() / 60 - 2) * 60;
    put(&config, "ConcurrentRequestsPerCopy", minute + 10, 3.0).await;
    put(&config, "ConcurrentRequestsPerCopy", minute + 20, 6.0).await;
    put(&config, "NoCapacityInvocationFailures", minute + 5, 2.0).await;
    put(&config, "InvocationsPerCopy", minute + 5, 12.0).await;

    let scalable = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| targets(Some((0, 4))));
    let copies = mock!(aws_sdk_sagemaker::Client::describe_inference_component)
        .sequence()
        .output(|| described(InferenceComponentStatus::InService, 1, 1))
        .output(|| described(InferenceComponentStatus::Updating, 1, 3))
        .output(|| described(InferenceComponentStatus::InService, 3, 3))
        .repeatedly()
        .build();
    let (activities, history) = (no_activities(), no_history());
    let c = clients(&config, &[&scalable, &activities], &[&history], &[&copies]);
    let mut obs = AwsObserver::new(
        c,
        ObserveTarget {
            endpoint: ENDPOINT.into(),
            variant: None,
            kind: None,
            interval: Duration::from_secs(1),
        },
    )
    .with_inference_component(COMPONENT);
    // t = 0 on a whole minute, so period starts are whole seconds.
    let clock = RunClock {
        origin: tokio::time::Instant::now(),
        started_at: chrono::DateTime::from_timestamp(minute, 0).unwrap(),
    };
    let mut all = Vec::new();
    for _ in 0..4 {
        all.extend(obs.poll(&clock).await);
    }

    assert_eq!(
        lines(&all, "copies"),
        vec![
            r#"{"type":"copies","t":0,"component":"chat-ic","status":"InService","current":1,"desired":1}"#,
            r#"{"type":"copies","t":0,"component":"chat-ic","status":"Updating","current":1,"desired":3}"#,
            r#"{"type":"copies","t":0,"component":"chat-ic","status":"InService","current":3,"desired":3}"#,
        ],
        "{all:#?}"
    );
    // The endpoint's instances are their own lane.
    assert_eq!(
        lines(&all, "endpoint"),
        vec![
            r#"{"type":"endpoint","t":0,"status":"InService","variant":"AllTraffic","current":1,"desired":1}"#
        ]
    );
    assert_eq!(
        lines(&all, "scalable_target"),
        vec![
            r#"{"type":"scalable_target","t":0,"resource_id":"inference-component/chat-ic","min":0,"max":4}"#
        ]
    );
    assert_eq!(
        lines(&all, "policy"),
        vec![
            r#"{"type":"policy","t":0,"name":"chat-ic-ConcurrentRequestsPerCopy","policy_type":"TargetTrackingScaling","metric":"SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution","target_value":4.0,"scale_in_cooldown_s":300,"scale_out_cooldown_s":60,"disable_scale_in":false,"alarms":[]}"#
        ]
    );
    assert_eq!(
        lines(&all, "alarm_config"),
        vec![format!(
            r#"{{"type":"alarm_config","t":0,"name":"{HIGH}","namespace":"AWS/SageMaker","metric":"ConcurrentRequestsPerCopy","stat":"Maximum","comparison":"GreaterThanThreshold","threshold":4.0,"period_s":10,"evaluation_periods":3,"datapoints_to_alarm":3,"policy":null}}"#
        )]
    );
    // The component's checks, not the variant's: min 0 with no step policy.
    assert_eq!(
        lines(&all, "warning"),
        vec![
            r#"{"type":"warning","t":0,"message":"inference-component/chat-ic may scale in to 0 copies (min capacity 0) but has no step-scaling policy (on an alarm over NoCapacityInvocationFailures): target tracking cannot scale out from 0 copies, so it would stay at 0"}"#
        ]
    );
    // Each datapoint once (the alarm's series is the catalogue's), with
    // the component's dimension.
    let dims = r#"{"InferenceComponentName":"chat-ic"}"#;
    let mut metrics = lines(&all, "metric");
    metrics.sort();
    let mut want = vec![
        format!(
            r#"{{"type":"metric","t":0,"namespace":"AWS/SageMaker","name":"ConcurrentRequestsPerCopy","dimensions":{dims},"stat":"Maximum","period_s":10,"period_start":10.0,"value":3.0,"revision":false}}"#
        ),
        format!(
            r#"{{"type":"metric","t":0,"namespace":"AWS/SageMaker","name":"ConcurrentRequestsPerCopy","dimensions":{dims},"stat":"Maximum","period_s":10,"period_start":20.0,"value":6.0,"revision":false}}"#
        ),
        format!(
            r#"{{"type":"metric","t":0,"namespace":"AWS/SageMaker","name":"InvocationsPerCopy","dimensions":{dims},"stat":"Sum","period_s":60,"period_start":0.0,"value":12.0,"revision":false}}"#
        ),
        format!(
            r#"{{"type":"metric","t":0,"namespace":"AWS/SageMaker","name":"NoCapacityInvocationFailures","dimensions":{dims},"stat":"Sum","period_s":60,"period_start":0.0,"value":2.0,"revision":false}}"#
        ),
    ];
    want.sort();
    assert_eq!(metrics, want, "{all:#?}");
}

/// The documented scale-from-zero step policy and its alarm ("Scale an
/// endpoint to zero instances"), put straight into moto.
async fn put_wake(config: &SdkConfig) {
    use aws_sdk_applicationautoscaling::types::{
        AdjustmentType, MetricAggregationType, StepAdjustment, StepScalingPolicyConfiguration,
    };
    let arn = aws_sdk_applicationautoscaling::Client::new(config)
        .put_scaling_policy()
        .policy_name("NoCapacityInvocationFailures-ScalingPolicy")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(RESOURCE)
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .policy_type(PolicyType::StepScaling)
        .step_scaling_policy_configuration(
            StepScalingPolicyConfiguration::builder()
                .adjustment_type(AdjustmentType::ChangeInCapacity)
                .metric_aggregation_type(MetricAggregationType::Maximum)
                .cooldown(60)
                .step_adjustments(
                    StepAdjustment::builder()
                        .metric_interval_lower_bound(0.0)
                        .scaling_adjustment(1)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("PutScalingPolicy")
        .policy_arn()
        .to_string();
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_alarm()
        .alarm_name("chat-ic-NoCapacityInvocationFailures")
        .alarm_actions(arn)
        .namespace("AWS/SageMaker")
        .metric_name("NoCapacityInvocationFailures")
        .dimensions(ic_dimension())
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .datapoints_to_alarm(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
}

fn inspect_options(endpoint_url: &str) -> scaletrace::policy_cli::inspect::InspectOptions {
    scaletrace::policy_cli::inspect::InspectOptions {
        endpoint: ENDPOINT.into(),
        variant: None,
        aws: scaletrace::profile::aws::AwsSpec {
            region: Some(moto::REGION.into()),
            profile: None,
            endpoint_url: Some(endpoint_url.into()),
        },
        activities: 10,
        json: false,
        best_effort: false,
    }
}

#[tokio::test]
async fn inspect_shows_the_components_target_policies_high_resolution_alarms_and_copies() {
    let moto = Moto::start();
    let config = moto.config().await;
    moto::create_endpoint(&config, ENDPOINT, 1, None).await;
    let tt = put_concurrency_policy(&config, "chat-ic-ConcurrentRequestsPerCopy").await;
    put_high_alarm(&config, Some(&tt)).await;
    put_wake(&config).await;
    let scalable = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| targets(Some((0, 4))));
    let copies = mock!(aws_sdk_sagemaker::Client::describe_inference_component)
        .then_output(|| described(InferenceComponentStatus::InService, 2, 3));
    let activities = no_activities();
    let c = clients(&config, &[&scalable, &activities], &[], &[&copies]);
    let snap = scaletrace::policy_cli::component::inspect_with(
        &c,
        &config,
        &inspect_options(&moto.url),
        COMPONENT,
    )
    .await
    .unwrap();
    let text = scaletrace::policy_cli::render::inspect_text(&snap);
    // The wake alarm names no policy in moto's DescribeScalingPolicies:
    // it is found on the component's NoCapacityInvocationFailures and
    // claimed through its action (the policy's ARN).
    assert_eq!(
        text,
        "\
endpoint chat-ep (us-east-1), variant AllTraffic: real-time, InService, 1 instance(s) in service, 1 desired
inference component chat-ic: InService, 2 copy(ies) in service, 3 desired; no managed instance scaling

scalable target inference-component/chat-ic: min 0, max 4
policy chat-ic-ConcurrentRequestsPerCopy
  TargetTrackingScaling on SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution, target value 4, scale-in cooldown 300 s, scale-out cooldown 60 s, scale-in enabled
  alarm TargetTracking-inference-component/chat-ic-AlarmHigh-5f1e: ConcurrentRequestsPerCopy Maximum > 4 for 3 of 3 datapoints of 10 s, state OK
policy NoCapacityInvocationFailures-ScalingPolicy
  StepScaling, cooldown 60 s
  alarm chat-ic-NoCapacityInvocationFailures: NoCapacityInvocationFailures Sum > 1 for 1 of 1 datapoints of 60 s, state OK

warnings: none

last activities: none
"
    );
    let json = serde_json::to_value(&snap).unwrap();
    assert_eq!(
        json["inference_component"],
        serde_json::json!({"name": "chat-ic", "status": "InService", "current_copies": 2, "desired_copies": 3, "managed_instances": null})
    );
    assert_eq!(json["resource_id"], "inference-component/chat-ic");
}

/// `scaletrace ARGS --endpoint-url moto` with test credentials.
fn scaletrace(moto: &Moto, home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(args)
        .args(["--endpoint-url", &moto.url])
        .env_clear()
        .envs(moto.env(home))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_flag_reaches_describe_inference_component_and_a_failure_exits_3() {
    // moto lacks DescribeInferenceComponent: the command must name it.
    let moto = Moto::start();
    let config = moto.config().await;
    moto::create_endpoint(&config, ENDPOINT, 1, None).await;
    let home = tempfile::tempdir().unwrap();
    let out = scaletrace(
        &moto,
        home.path(),
        &[
            "inspect",
            "--endpoint",
            ENDPOINT,
            "--inference-component",
            COMPONENT,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("DescribeInferenceComponent \"chat-ic\" failed"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[tokio::test]
async fn apply_sets_the_concurrency_policy_and_scale_to_zero_then_changes_nothing() {
    use scaletrace::policy_cli::component_apply::{
        self as ic, ComponentApplyRequest, ComponentMetric, RawComponentApply,
    };
    let moto = Moto::start();
    let config = moto.config().await;
    moto::create_endpoint(&config, ENDPOINT, 1, None).await;
    // No target yet; registered (by the mocked RegisterScalableTarget)
    // from the describe after applying on.
    let scalable = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .sequence()
        .output(|| targets(None))
        .output(|| targets(Some((0, 4))))
        .repeatedly()
        .build();
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .match_requests(|r| {
            r.resource_id() == Some(RESOURCE)
                && r.scalable_dimension()
                    == Some(&ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
                && r.min_capacity() == Some(0)
                && r.max_capacity() == Some(4)
        })
        .then_output(|| RegisterScalableTargetOutput::builder().build());
    let copies = mock!(aws_sdk_sagemaker::Client::describe_inference_component)
        .then_output(|| described(InferenceComponentStatus::InService, 1, 1));
    let c = clients(&config, &[&scalable, &register], &[], &[&copies]);
    let req = ComponentApplyRequest::validate(RawComponentApply {
        endpoint: ENDPOINT.into(),
        component: COMPONENT.into(),
        target_value: 4.0,
        scale_in_cooldown: None,
        scale_out_cooldown: Some(60),
        min_capacity: Some(0),
        max_capacity: Some(4),
        policy_name: None,
        metric: ComponentMetric::ConcurrencyPerCopy,
    })
    .unwrap();

    let plan = ic::plan(&c, &config, &req).await.unwrap();
    let header = "\
endpoint chat-ep (us-east-1), variant AllTraffic: real-time, InService, 1 instance(s) in service, 1 desired
inference component chat-ic: InService, 1 copy(ies) in service, 1 desired; no managed instance scaling
";
    let managed = "  ! variant AllTraffic of endpoint chat-ep has no managed instance scaling: the component can reach 0 copies, but the endpoint keeps its instances (scale to zero needs ManagedInstanceScaling MinInstanceCount 0 in the endpoint config)\n";
    assert_eq!(
        ic::render_plan(&plan),
        format!(
            "{header}
scalable target inference-component/chat-ic
  before  none registered
  after   min 0, max 4  (RegisterScalableTarget)
policy chat-ic-ConcurrentRequestsPerCopy
  before  none
  after   TargetTrackingScaling on SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution, target value 4, scale-in cooldown 300 s, scale-out cooldown 60 s, scale-in enabled  (PutScalingPolicy)
policy NoCapacityInvocationFailures-ScalingPolicy (scale from zero)
  (MinCapacity 0: target tracking cannot scale out from 0 copies; AWS documents this step policy and alarm to wake the component)
  before  none
  after   StepScaling +1 copy (ChangeInCapacity, MetricAggregationType Maximum, cooldown 60 s) when alarm \"chat-ic-NoCapacityInvocationFailures\" fires: NoCapacityInvocationFailures Sum > 1 for 1 of 1 periods of 60 s  (PutScalingPolicy, PutMetricAlarm)
warnings
{managed}"
        )
    );

    let after = ic::execute(&c, &config, &plan).await.unwrap();
    // (moto evaluates a new alarm at once: OK, where AWS starts it in
    // INSUFFICIENT_DATA.)
    assert_eq!(
        scaletrace::policy_cli::apply::render_after(&after),
        "\
now in AWS:
scalable target inference-component/chat-ic: min 0, max 4
policy chat-ic-ConcurrentRequestsPerCopy
  TargetTrackingScaling on SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution, target value 4, scale-in cooldown 300 s, scale-out cooldown 60 s, scale-in enabled
  no alarms found
policy NoCapacityInvocationFailures-ScalingPolicy
  StepScaling, cooldown 60 s
  alarm chat-ic-NoCapacityInvocationFailures: NoCapacityInvocationFailures Sum > 1 for 1 of 1 datapoints of 60 s, state OK
"
    );
    // What moto stored is the documented shape.
    let step = aws_sdk_applicationautoscaling::Client::new(&config)
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(RESOURCE)
        .send()
        .await
        .unwrap();
    let cfg = step
        .scaling_policies()
        .iter()
        .find(|p| p.policy_name() == "NoCapacityInvocationFailures-ScalingPolicy")
        .and_then(|p| p.step_scaling_policy_configuration())
        .unwrap();
    assert_eq!(
        (
            cfg.adjustment_type().map(|a| a.as_str()),
            cfg.metric_aggregation_type().map(|a| a.as_str()),
            cfg.cooldown(),
            cfg.step_adjustments()[0].metric_interval_lower_bound(),
            cfg.step_adjustments()[0].scaling_adjustment(),
        ),
        (
            Some("ChangeInCapacity"),
            Some("Maximum"),
            Some(60),
            Some(0.0),
            1
        )
    );

    // Again: nothing to change.
    let again = ic::plan(&c, &config, &req).await.unwrap();
    assert!(again.changes_nothing(), "{}", ic::render_plan(&again));
    assert_eq!(
        ic::render_plan(&again),
        format!(
            "{header}
scalable target inference-component/chat-ic
  unchanged  min 0, max 4
policy chat-ic-ConcurrentRequestsPerCopy
  unchanged  TargetTrackingScaling on SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution, target value 4, scale-in cooldown 300 s, scale-out cooldown 60 s, scale-in enabled
warnings
{managed}"
        )
    );
}

#[test]
fn a_metric_of_the_other_kind_is_bad_input_before_any_call() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
            .args(args)
            .env_clear()
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    };
    let base = ["apply", "--endpoint", "e", "--target-value", "4"];
    let (code, err) = run(&[
        &base[..],
        &["--inference-component", "ic", "--metric", "backlog"],
    ]
    .concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.ends_with("--metric backlog is for endpoint variants; with --inference-component use concurrency-per-copy or invocations-per-copy"),
        "{err}"
    );
    let (code, err) = run(&[&base[..], &["--metric", "concurrency-per-copy"]].concat());
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.ends_with("--metric concurrency-per-copy is for inference components: give --inference-component NAME"),
        "{err}"
    );
}

#[test]
fn run_with_a_target_naming_inference_component_observes_the_component() {
    // `scaletrace run` on a profile whose target names the component, with
    // moto lacking DescribeInferenceComponent: the observer's first call
    // of every poll asks for it (a variant's observer never does). (What
    // follows it in the poll depends on how long moto's 500s take to
    // retry, so only that call is asserted.)
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, ENDPOINT, 1, None).await;
    });
    moto.queue_endpoint_results(&["{\"a\":1}", "{\"b\":2}"]);
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("ic.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"ic\"\n[target]\nkind = \"sagemaker\"\nendpoint_name = \"{ENDPOINT}\"\ninference_component = \"{COMPONENT}\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n[load]\nphases = [{{ duration = \"6s\", rate = 1 }}]\n[observe]\ninterval = \"1s\"\n",
            moto.url
        ),
    )
    .unwrap();
    let run_dir = tmp.path().join("run");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["run", profile.to_str().unwrap(), "-q", "--run-dir"])
        .arg(&run_dir)
        .env_clear()
        .envs(moto.env(tmp.path()))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let data = scaletrace::journal::read_run_dir(&run_dir)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let warnings = lines(&data.records, "warning").join("\n");
    assert!(
        warnings.contains("DescribeInferenceComponent"),
        "{warnings}"
    );
}
