//! `scaletrace inspect` and `scaletrace apply` against moto, with the real
//! SDK clients (the binary through `--endpoint-url`, static credentials in
//! the environment). moto implements no DescribeScalingActivities and
//! creates no target-tracking alarms for SageMaker: the activity comes from
//! aws-smithy-mocks (everything else passes through to moto) and the alarm
//! is created by hand, triggering the policy's ARN as AWS's do.

mod support;

use std::process::{Command, Output, Stdio};

use aws_config::SdkConfig;
use aws_sdk_applicationautoscaling::types::{
    MetricType, ScalableDimension, ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, mock};
use scaletrace::observe::aws::AwsClients;
use scaletrace::observe::aws_model::BUILT_IN_POLICY;
use scaletrace::policy_cli::inspect::{InspectOptions, inspect_with};
use scaletrace::policy_cli::render::inspect_text;
use scaletrace::profile::aws::AwsSpec;
use support::moto::{self, Moto};

const EP: &str = "insp-ep";
const RESOURCE: &str = "endpoint/insp-ep/variant/AllTraffic";
const ALARM: &str = "TargetTracking-endpoint/insp-ep/variant/AllTraffic-AlarmHigh-1a2b";
const CUSTOM: &str = "my-invocations-policy";

fn aas(config: &SdkConfig) -> aws_sdk_applicationautoscaling::Client {
    aws_sdk_applicationautoscaling::Client::new(config)
}

/// Puts a target-tracking policy on InvocationsPerInstance; returns its ARN.
async fn put_policy(config: &SdkConfig, name: &str, target: f64) -> String {
    moto::put_invocations_policy(config, RESOURCE, name, target).await
}

/// An endpoint at 4 instances, a scalable target 1..4, the built-in policy
/// (target 70) with its high alarm, and a custom-named policy (target 500).
async fn setup(config: &SdkConfig) {
    moto::create_endpoint(config, EP, 4, None).await;
    moto::register_target(config, RESOURCE, 1, 4).await;
    let arn = put_policy(config, BUILT_IN_POLICY, 70.0).await;
    put_policy(config, CUSTOM, 500.0).await;
    let dim = |n: &str, v: &str| Dimension::builder().name(n).value(v).build();
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_alarm()
        .alarm_name(ALARM)
        .namespace("AWS/SageMaker")
        .metric_name("InvocationsPerInstance")
        .dimensions(dim("EndpointName", EP))
        .dimensions(dim("VariantName", "AllTraffic"))
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .datapoints_to_alarm(3)
        .threshold(70.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .alarm_actions(arn)
        .send()
        .await
        .expect("PutMetricAlarm");
}

fn scaletrace(moto: &Moto, home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(args)
        .args(["--endpoint-url", &moto.url])
        .env_clear()
        .envs(moto.env(home))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn inspect_shows_target_policies_alarms_warnings_and_not_scaled_reasons() {
    use aws_sdk_applicationautoscaling::operation::describe_scaling_activities::DescribeScalingActivitiesOutput;
    use aws_sdk_applicationautoscaling::primitives::DateTime as AwsTime;
    use aws_sdk_applicationautoscaling::types::{
        NotScaledReason, ScalingActivity, ScalingActivityStatusCode,
    };

    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    let now = chrono::Utc::now().timestamp();
    // Shaped like the not-scaled example in AWS's API reference.
    let activity = ScalingActivity::builder()
        .activity_id("4d759079-a31f-4d0c-8468-504c56e2eecf")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(RESOURCE)
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .description("Failed to set desired instance count to 5")
        .cause(format!(
            "monitor alarm {ALARM} in state ALARM triggered policy {BUILT_IN_POLICY}"
        ))
        .start_time(AwsTime::from_secs(now - 60))
        .end_time(AwsTime::from_secs(now - 60))
        .status_code(ScalingActivityStatusCode::Failed)
        .not_scaled_reasons(
            NotScaledReason::builder()
                .code("AlreadyAtMaxCapacity")
                .max_capacity(4)
                .current_capacity(4)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let activities = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
        .match_requests(|r| r.include_not_scaled_activities() == Some(true))
        .then_output(move || {
            DescribeScalingActivitiesOutput::builder()
                .scaling_activities(activity.clone())
                .build()
        });
    let clients = AwsClients {
        autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(
            aws_sdk_applicationautoscaling::config::Builder::from(&config)
                .interceptor(
                    MockResponseInterceptor::new()
                        .rule_mode(RuleMode::MatchAny)
                        .with_rule(&activities)
                        .allow_passthrough(),
                )
                .build(),
        ),
        ..AwsClients::new(&config)
    };
    let opts = InspectOptions {
        endpoint: EP.into(),
        variant: None,
        aws: AwsSpec::default(),
        activities: 10,
        json: false,
        best_effort: false,
    };
    let snap = inspect_with(&clients, &config, &opts).await.unwrap();
    assert_eq!(snap.variant, "AllTraffic");
    assert!(!snap.asynchronous);
    assert_eq!(
        snap.scalable_target.map(|b| (b.min, b.max)),
        Some((1, 4)),
        "{snap:?}"
    );
    let built_in = snap.policy(BUILT_IN_POLICY).expect("built-in policy");
    assert!(built_in.built_in_name);
    assert_eq!(built_in.target_value, Some(70.0));
    assert_eq!(built_in.alarms.len(), 1, "{snap:?}");
    // moto starts new alarms in OK; AWS in INSUFFICIENT_DATA.
    let state = built_in.alarms[0].state.clone().expect("alarm state");
    let custom = snap.policy(CUSTOM).expect("custom policy");
    assert!(!custom.built_in_name);
    assert!(custom.alarms.is_empty());
    assert!(snap.errors.is_empty(), "{:?}", snap.errors);

    let out = inspect_text(&snap);
    for expected in [
        "endpoint insp-ep (us-east-1), variant AllTraffic: real-time, InService, 4 instance(s) in service",
        "scalable target endpoint/insp-ep/variant/AllTraffic: min 1, max 4",
        "policy SageMakerEndpointInvocationScalingPolicy (built-in name)",
        "TargetTrackingScaling on SageMakerVariantInvocationsPerInstance, target value 70, scale-in cooldown 300 s, scale-out cooldown 60 s, scale-in enabled",
        &format!(
            "alarm {ALARM}: InvocationsPerInstance Sum > 70 for 3 of 3 datapoints of 60 s, state {state}"
        ),
        "policy my-invocations-policy (custom name",
        "target-tracking policy \"my-invocations-policy\" has a custom name",
        "already runs 4 instance(s), its max capacity (4): it cannot scale out",
        "Failed: Failed to set desired instance count to 5 — not scaled: already at max capacity 4",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn inspect_command_prints_text_and_json() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { setup(&moto.config().await).await });
    let tmp = tempfile::tempdir().unwrap();

    // moto lacks DescribeScalingActivities: a partial view, which says
    // which call failed where the activities would be, and exits 3.
    let out = scaletrace(&moto, tmp.path(), &["inspect", "--endpoint", EP]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    for expected in [
        "last activities not read: DescribeScalingActivities failed (HTTP 500)",
        "PARTIAL VIEW: 1 call(s) failed",
        "DescribeScalingActivities failed (HTTP 500): the last scaling activities were not read",
        "min 1, max 4",
        "has a custom name",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("last activities: none"), "{stdout}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("error: partial view: DescribeScalingActivities failed (HTTP 500)")
            && stderr.contains("--best-effort"),
        "{stderr}"
    );
    // --best-effort accepts it.
    let out = scaletrace(
        &moto,
        tmp.path(),
        &["inspect", "--endpoint", EP, "--best-effort"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("PARTIAL VIEW"));
    let out = scaletrace(&moto, tmp.path(), &["inspect", "--endpoint", EP, "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json parses");
    assert_eq!(v["partial"], true, "{v}");
    assert_eq!(v["errors"][0]["api"], "DescribeScalingActivities", "{v}");
    assert_eq!(v["errors"][0]["unread"], "activities", "{v}");

    let out = scaletrace(
        &moto,
        tmp.path(),
        &["inspect", "--endpoint", EP, "--json", "--activities", "0"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json parses");
    assert_eq!(v["resource_id"], RESOURCE);
    assert_eq!(v["scalable_target"]["max"], 4);
    let names: Vec<&str> = v["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&BUILT_IN_POLICY) && names.contains(&CUSTOM),
        "{v}"
    );
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("custom name")),
        "{v}"
    );
}

#[tokio::test]
async fn alarms_that_cannot_be_read_are_not_reported_as_none() {
    use scaletrace::policy_cli::inspect::partial_error;
    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    // CloudWatch unreachable (nothing listens on port 9): DescribeAlarms fails.
    let clients = AwsClients {
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&config)
                .endpoint_url("http://127.0.0.1:9")
                .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
                .build(),
        ),
        ..AwsClients::new(&config)
    };
    let opts = InspectOptions {
        endpoint: EP.into(),
        variant: None,
        aws: AwsSpec::default(),
        activities: 0,
        json: false,
        best_effort: false,
    };
    let snap = inspect_with(&clients, &config, &opts).await.unwrap();
    assert!(snap.partial, "{snap:?}");
    assert_eq!(snap.errors[0].api, "DescribeAlarms", "{:?}", snap.errors);
    let out = inspect_text(&snap);
    assert!(
        out.contains("alarms not read: DescribeAlarms failed ("),
        "{out}"
    );
    assert!(!out.contains("no alarms found"), "{out}");
    assert!(
        !out.contains("DispatchFailure"),
        "SDK debug output in:\n{out}"
    );
    assert!(!out.contains("warnings: none\n"), "{out}");
    assert!(out.contains("the policies' alarms were not read"), "{out}");
    let e = partial_error(&snap, false).expect("exit 3 without --best-effort");
    assert_eq!(e.exit_code(), 3);
    assert!(
        e.to_string()
            .starts_with("partial view: DescribeAlarms failed"),
        "{e}"
    );
    assert!(partial_error(&snap, true).is_none());
}

#[test]
fn missing_endpoint_exits_3_with_one_line() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        vec!["inspect", "--endpoint", "no-such-endpoint"],
        vec![
            "apply",
            "--endpoint",
            "no-such-endpoint",
            "--target-value",
            "600",
            "--yes",
        ],
    ] {
        let out = scaletrace(&moto, tmp.path(), &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("\"no-such-endpoint\" not found in us-east-1"),
            "{stderr}"
        );
    }
}

#[test]
fn missing_credentials_exit_3_with_one_line() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["inspect", "--endpoint", EP, "--region", "us-east-1"])
        .args(["--endpoint-url", &moto.url])
        .env_clear()
        .env("HOME", tmp.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", tmp.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", tmp.path().join("none"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Unable to locate AWS credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("CredentialsNotLoaded"), "{stderr}");
}

/// The scalable target's (min, max) and the target-tracking policies
/// (name → config) moto now holds for RESOURCE.
async fn aws_state(
    config: &SdkConfig,
) -> (
    Option<(i32, i32)>,
    Vec<(String, TargetTrackingScalingPolicyConfiguration)>,
) {
    let c = aas(config);
    let t = c
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_ids(RESOURCE)
        .send()
        .await
        .unwrap();
    let p = c
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(RESOURCE)
        .send()
        .await
        .unwrap();
    (
        t.scalable_targets()
            .first()
            .map(|t| (t.min_capacity(), t.max_capacity())),
        p.scaling_policies()
            .iter()
            .filter_map(|p| {
                Some((
                    p.policy_name().to_string(),
                    p.target_tracking_scaling_policy_configuration().cloned()?,
                ))
            })
            .collect(),
    )
}

#[test]
fn apply_puts_the_built_in_policy_and_registers_the_target() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(moto.config());
    rt.block_on(moto::create_endpoint(&config, EP, 1, None));
    let tmp = tempfile::tempdir().unwrap();
    let apply = [
        "apply",
        "--endpoint",
        EP,
        "--target-value",
        "600",
        "--scale-in-cooldown",
        "600",
        "--scale-out-cooldown",
        "60",
        "--min-capacity",
        "1",
        "--max-capacity",
        "3",
        "--yes",
    ];
    let out = scaletrace(&moto, tmp.path(), &apply);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        text(&out.stderr)
    );
    for expected in [
        "  before  none registered",
        "  after   min 1, max 3  (RegisterScalableTarget)",
        "policy SageMakerEndpointInvocationScalingPolicy (built-in name)",
        "the default name",
        "  before  none",
        "  after   TargetTrackingScaling on SageMakerVariantInvocationsPerInstance, target value 600, scale-in cooldown 600 s, scale-out cooldown 60 s, scale-in enabled  (PutScalingPolicy)",
        "now in AWS:\nscalable target endpoint/insp-ep/variant/AllTraffic: min 1, max 3",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    let (target, policies) = rt.block_on(aws_state(&config));
    assert_eq!(target, Some((1, 3)));
    assert_eq!(policies.len(), 1, "{policies:?}");
    let (name, c) = &policies[0];
    assert_eq!(name, BUILT_IN_POLICY);
    assert_eq!(c.target_value(), 600.0);
    assert_eq!(
        (c.scale_in_cooldown(), c.scale_out_cooldown()),
        (Some(600), Some(60))
    );
    assert_eq!(
        c.predefined_metric_specification()
            .map(|m| m.predefined_metric_type().clone()),
        Some(MetricType::SageMakerVariantInvocationsPerInstance)
    );

    // The same again changes nothing (and asks nothing, even without --yes).
    let out = scaletrace(&moto, tmp.path(), &apply[..apply.len() - 1]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("nothing to change"));

    // A new target value keeps the cooldowns and the scalable target.
    let out = scaletrace(
        &moto,
        tmp.path(),
        &["apply", "--endpoint", EP, "--target-value", "900", "--yes"],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("unchanged  min 1, max 3"), "{stdout}");
    assert!(
        stdout.contains("target value 600, scale-in cooldown 600 s"),
        "{stdout}"
    );
    let (target, policies) = rt.block_on(aws_state(&config));
    assert_eq!(target, Some((1, 3)));
    assert_eq!(policies[0].1.target_value(), 900.0);
    assert_eq!(policies[0].1.scale_in_cooldown(), Some(600));
}

#[test]
fn apply_refuses_without_yes_when_stdin_is_not_a_terminal() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(moto.config());
    rt.block_on(moto::create_endpoint(&config, EP, 1, None));
    let tmp = tempfile::tempdir().unwrap();
    let out = scaletrace(
        &moto,
        tmp.path(),
        &[
            "apply",
            "--endpoint",
            EP,
            "--target-value",
            "600",
            "--min-capacity",
            "1",
            "--max-capacity",
            "2",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("stdin is not a terminal"), "{stderr}");
    assert!(stderr.contains("--yes"), "{stderr}");
    // The plan was shown, and nothing changed.
    assert!(text(&out.stdout).contains("(PutScalingPolicy)"));
    let (target, policies) = rt.block_on(aws_state(&config));
    assert_eq!(target, None);
    assert!(policies.is_empty(), "{policies:?}");
}

#[test]
fn apply_warns_about_a_custom_policy_name() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(moto.config());
    rt.block_on(moto::create_endpoint(&config, EP, 1, None));
    let tmp = tempfile::tempdir().unwrap();
    let out = scaletrace(
        &moto,
        tmp.path(),
        &[
            "apply",
            "--endpoint",
            EP,
            "--target-value",
            "600",
            "--min-capacity",
            "1",
            "--max-capacity",
            "2",
            "--policy-name",
            CUSTOM,
            "--yes",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "policy my-invocations-policy (custom name: the console shows it as a custom policy)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("! target-tracking policy \"my-invocations-policy\" has a custom name"),
        "{stdout}"
    );
    let (_, policies) = rt.block_on(aws_state(&config));
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].0, CUSTOM);
}

#[test]
fn apply_needs_min_and_max_without_a_scalable_target() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(moto.config());
    rt.block_on(moto::create_endpoint(&config, EP, 1, None));
    let tmp = tempfile::tempdir().unwrap();
    let out = scaletrace(
        &moto,
        tmp.path(),
        &["apply", "--endpoint", EP, "--target-value", "600", "--yes"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no scalable target is registered for endpoint/insp-ep/variant/AllTraffic: give --min-capacity and --max-capacity"),
        "{stderr}"
    );
    assert_eq!(rt.block_on(aws_state(&config)).0, None);
}

#[test]
fn apply_on_an_async_endpoint_refuses_invocations_and_tracks_the_backlog() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = rt.block_on(moto.config());
    rt.block_on(moto::create_endpoint(
        &config,
        EP,
        1,
        Some("s3://bucket/out/"),
    ));
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "apply",
        "--endpoint",
        EP,
        "--target-value",
        "5",
        "--min-capacity",
        "0",
        "--max-capacity",
        "2",
        "--yes",
    ];
    let out = scaletrace(&moto, tmp.path(), &args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("would never scale"), "{stderr}");
    assert!(stderr.contains("--metric backlog"), "{stderr}");
    assert_eq!(rt.block_on(aws_state(&config)).0, None);

    let out = scaletrace(
        &moto,
        tmp.path(),
        &[&args[..], &["--metric", "backlog"]].concat(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{stdout}",
        text(&out.stderr)
    );
    // Min 0 needs a way out of 0: the plan adds the documented step
    // policy and its alarm, so the "step policy is the faster path"
    // warning is gone.
    assert!(
        stdout.contains("HasBacklogWithoutCapacity-ScalingPolicy (scale from zero)"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("the step policy is the faster path"),
        "{stdout}"
    );
    let (target, policies) = rt.block_on(aws_state(&config));
    assert_eq!(target, Some((0, 2)));
    let c = &policies[0].1;
    let m = c.customized_metric_specification().expect("custom metric");
    assert_eq!(m.metric_name(), Some("ApproximateBacklogSizePerInstance"));
    assert_eq!(m.dimensions()[0].value(), EP);
    assert_eq!(c.target_value(), 5.0);
    let (step, alarm) = rt.block_on(async {
        let p = aas(&config)
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(RESOURCE)
            .send()
            .await
            .unwrap();
        // (moto ignores the PolicyNames filter: pick by name.)
        let step = p
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == "HasBacklogWithoutCapacity-ScalingPolicy")
            .expect("the step policy")
            .clone();
        let a = aws_sdk_cloudwatch::Client::new(&config)
            .describe_alarms()
            .alarm_names(format!("{EP}-HasBacklogWithoutCapacity"))
            .send()
            .await
            .unwrap();
        (step, a.metric_alarms()[0].clone())
    });
    let sc = step
        .step_scaling_policy_configuration()
        .unwrap_or_else(|| panic!("{step:?}"));
    assert_eq!(sc.step_adjustments()[0].scaling_adjustment(), 1);
    assert_eq!(
        sc.step_adjustments()[0].metric_interval_lower_bound(),
        Some(0.0)
    );
    assert_eq!(alarm.metric_name(), Some("HasBacklogWithoutCapacity"));
    assert_eq!(alarm.threshold(), Some(1.0));
    assert_eq!(alarm.dimensions()[0].value(), Some(EP));
    // The alarm acts on the policy it was made for.
    assert_eq!(alarm.alarm_actions(), [step.policy_arn().to_string()]);

    // Applied again: the step policy is there, nothing more to add.
    let again = scaletrace(
        &moto,
        tmp.path(),
        &[&args[..], &["--metric", "backlog"]].concat(),
    );
    let stdout = text(&again.stdout);
    assert!(stdout.contains("nothing to change"), "{stdout}");
}
