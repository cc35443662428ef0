//! The AWS observer and `scaletrace observe` against moto, with the real SDK
//! clients. moto implements neither DescribeScalingActivities nor
//! DescribeAlarmHistory, never creates target-tracking alarms and never
//! scales: those two operations come from aws-smithy-mocks (responses shaped
//! like AWS's documented examples; everything else passes through to moto),
//! the alarm is created by hand, and capacity moves through
//! UpdateEndpointWeightsAndCapacities.

mod support;

use std::process::Command;
use std::time::Duration;

use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricDatum, StateValue, Statistic,
};
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, mock};
use scaletrace::clock::RunClock;
use scaletrace::journal::record::{AlarmState, Record};
use scaletrace::observe::Observer;
use scaletrace::observe::aws::{AwsClients, AwsObserver, ObserveTarget};
use scaletrace::observe::aws_model::{BUILT_IN_POLICY, EndpointKind};
use support::moto::Moto;
use support::obs_ep::{self, ALARM, RESOURCE, setup};

fn observer(clients: AwsClients) -> AwsObserver {
    AwsObserver::new(
        clients,
        ObserveTarget {
            endpoint: "obs-ep".into(),
            variant: None,
            kind: Some(EndpointKind::RealTime),
            interval: Duration::from_secs(1),
        },
    )
}

fn of<T>(records: &[Record], pick: impl Fn(&Record) -> Option<&T>) -> Vec<&T> {
    records.iter().filter_map(pick).collect()
}

#[tokio::test]
async fn observer_records_metrics_alarms_scaling_config_and_instance_counts() {
    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    let minute = (chrono::Utc::now().timestamp() / 60 - 1) * 60;
    obs_ep::put_sum(&config, "Invocations", AwsTime::from_secs(minute + 5), 5.0).await;

    let clock = RunClock::start();
    let mut obs = observer(AwsClients::new(&config));
    let first = obs.poll(&clock).await;

    let endpoints = of(&first, |r| {
        if let Record::Endpoint(e) = r {
            Some(e)
        } else {
            None
        }
    });
    assert_eq!(endpoints.len(), 1, "{first:?}");
    assert_eq!((endpoints[0].current, endpoints[0].desired), (1, 1));
    let targets = of(&first, |r| {
        if let Record::ScalableTarget(t) = r {
            Some(t)
        } else {
            None
        }
    });
    assert_eq!((targets[0].min, targets[0].max), (1, 4));
    assert_eq!(targets[0].resource_id, RESOURCE);
    let policies = of(&first, |r| {
        if let Record::Policy(p) = r {
            Some(p)
        } else {
            None
        }
    });
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].name, BUILT_IN_POLICY);
    assert_eq!(policies[0].target_value, Some(70.0));
    assert_eq!(
        policies[0].metric.as_deref(),
        Some("SageMakerVariantInvocationsPerInstance")
    );
    let configs = of(&first, |r| {
        if let Record::AlarmConfig(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(configs.len(), 1, "{first:?}");
    assert_eq!(
        (configs[0].threshold, configs[0].datapoints_to_alarm),
        (70.0, 3)
    );
    let metrics = of(&first, |r| {
        if let Record::Metric(m) = r {
            Some(m)
        } else {
            None
        }
    });
    let inv: Vec<_> = metrics.iter().filter(|m| m.name == "Invocations").collect();
    assert_eq!(inv.len(), 1, "{metrics:?}");
    assert_eq!(
        (inv[0].value, inv[0].revision, inv[0].period_s),
        (5.0, false, 60)
    );
    assert_eq!(inv[0].dimensions["EndpointName"], "obs-ep");
    let start_utc = clock.utc_of(inv[0].period_start);
    assert_eq!(start_utc.timestamp(), minute);
    // Nothing about a setup that can't scale: this one can.
    assert!(
        !first
            .iter()
            .any(|r| matches!(r, Record::Warning(w) if w.message.contains("scalable target"))),
        "{first:?}"
    );

    // Mid-run: the alarm fires, the datapoint is revised, capacity grows.
    aws_sdk_cloudwatch::Client::new(&config)
        .set_alarm_state()
        .alarm_name(ALARM)
        .state_value(StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 datapoints were greater than the threshold (70.0)")
        .send()
        .await
        .unwrap();
    obs_ep::put_sum(&config, "Invocations", AwsTime::from_secs(minute + 20), 3.0).await;
    aws_sdk_sagemaker::Client::new(&config)
        .update_endpoint_weights_and_capacities()
        .endpoint_name("obs-ep")
        .desired_weights_and_capacities(
            aws_sdk_sagemaker::types::DesiredWeightAndCapacity::builder()
                .variant_name("AllTraffic")
                .desired_instance_count(3)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let second = obs.poll(&clock).await;
    let alarms = of(&second, |r| {
        if let Record::Alarm(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(alarms.len(), 1, "{second:?}");
    assert_eq!(alarms[0].name, ALARM);
    assert_eq!(alarms[0].to, AlarmState::Alarm);
    assert_ne!(alarms[0].from, AlarmState::Alarm);
    assert!(alarms[0].reason.contains("Threshold Crossed"));
    let inv: Vec<_> = of(&second, |r| {
        if let Record::Metric(m) = r {
            Some(m)
        } else {
            None
        }
    })
    .into_iter()
    .filter(|m| m.name == "Invocations")
    .collect();
    assert_eq!(inv.len(), 1, "{second:?}");
    assert_eq!((inv[0].value, inv[0].revision), (8.0, true));
    let endpoints = of(&second, |r| {
        if let Record::Endpoint(e) = r {
            Some(e)
        } else {
            None
        }
    });
    assert_eq!(endpoints.len(), 1, "{second:?}");
    assert_eq!(endpoints[0].current, 3);
    // Config unchanged: not journaled again.
    assert!(!second.iter().any(|r| matches!(
        r,
        Record::Policy(_) | Record::ScalableTarget(_) | Record::AlarmConfig(_)
    )));

    // Nothing new: nothing journaled (moto's missing operations warned once).
    let third = obs.poll(&clock).await;
    assert!(third.is_empty(), "{third:?}");
}

/// DescribeScalingActivities and DescribeAlarmHistory, shaped like the
/// examples in AWS's API reference; the other calls go to moto.
#[tokio::test]
async fn activities_and_alarm_history_between_polls_are_not_lost() {
    use aws_sdk_applicationautoscaling::operation::describe_scaling_activities::DescribeScalingActivitiesOutput;
    use aws_sdk_applicationautoscaling::types::{
        NotScaledReason, ScalingActivity, ScalingActivityStatusCode,
    };
    use aws_sdk_cloudwatch::operation::describe_alarm_history::DescribeAlarmHistoryOutput;
    use aws_sdk_cloudwatch::types::{AlarmHistoryItem, HistoryItemType};

    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    let now = chrono::Utc::now().timestamp();

    let activity = move |id: &str, start: i64, status: ScalingActivityStatusCode, desc: &str| {
        ScalingActivity::builder()
            .activity_id(id)
            .service_namespace(ServiceNamespace::Sagemaker)
            .resource_id(RESOURCE)
            .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
            .description(desc)
            .cause(format!(
                "monitor alarm {ALARM} in state ALARM triggered policy {BUILT_IN_POLICY}"
            ))
            .start_time(AwsTime::from_secs(start))
            .status_code(status)
    };
    let in_progress = activity(
        "e6c8a2b0-1111-4a6f-9d3c-0123456789ab",
        now - 30,
        ScalingActivityStatusCode::InProgress,
        "Setting desired instance count to 2.",
    )
    .build()
    .unwrap();
    let done = activity(
        "e6c8a2b0-1111-4a6f-9d3c-0123456789ab",
        now - 30,
        ScalingActivityStatusCode::Successful,
        "Setting desired instance count to 2.",
    )
    .end_time(AwsTime::from_secs(now - 5))
    .build()
    .unwrap();
    let not_scaled = activity(
        "4d759079-a31f-4d0c-8468-504c56e2eecf",
        now - 20,
        ScalingActivityStatusCode::Failed,
        "Failed to set desired instance count to 5",
    )
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
    let (a, b, c) = (in_progress.clone(), done.clone(), not_scaled.clone());
    let activities = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_activities)
        .sequence()
        .output(move || {
            DescribeScalingActivitiesOutput::builder()
                .scaling_activities(a.clone())
                .build()
        })
        .output(move || {
            DescribeScalingActivitiesOutput::builder()
                .scaling_activities(c.clone())
                .scaling_activities(b.clone())
                .build()
        })
        .repeatedly()
        .build();

    let item = move |at: i64, from: &str, to: &str| {
        AlarmHistoryItem::builder()
            .alarm_name(ALARM)
            .timestamp(AwsTime::from_secs(at))
            .history_item_type(HistoryItemType::StateUpdate)
            .history_summary(format!("Alarm updated from {from} to {to}"))
            .history_data(format!(
                r#"{{"version":"1.0","oldState":{{"stateValue":"{from}","stateReason":"x"}},"newState":{{"stateValue":"{to}","stateReason":"Threshold Crossed: {to}"}}}}"#
            ))
            .build()
    };
    let (i1, i2, i3) = (
        item(now - 40, "INSUFFICIENT_DATA", "OK"),
        item(now - 25, "OK", "ALARM"),
        item(now - 10, "ALARM", "OK"),
    );
    let (j1, j2) = (i1.clone(), i2.clone());
    let history = mock!(aws_sdk_cloudwatch::Client::describe_alarm_history)
        .sequence()
        .output(move || {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(j1.clone())
                .build()
        })
        // Newest first, as CloudWatch returns it; two flips since the last poll.
        .output(move || {
            DescribeAlarmHistoryOutput::builder()
                .alarm_history_items(i3.clone())
                .alarm_history_items(i2.clone())
                .alarm_history_items(i1.clone())
                .build()
        })
        .repeatedly()
        .build();
    let _ = j2;

    let clients = AwsClients {
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&config)
                // One mocked response per call (moto's 500 for the
                // unimplemented operation would otherwise be retried).
                .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
                .interceptor(
                    MockResponseInterceptor::new()
                        .rule_mode(RuleMode::MatchAny)
                        .with_rule(&history)
                        .allow_passthrough(),
                )
                .build(),
        ),
        autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(
            aws_sdk_applicationautoscaling::config::Builder::from(&config)
                // One mocked response per call (moto's 500 for the
                // unimplemented operation would otherwise be retried).
                .retry_config(
                    aws_sdk_applicationautoscaling::config::retry::RetryConfig::disabled(),
                )
                .interceptor(
                    MockResponseInterceptor::new()
                        .rule_mode(RuleMode::MatchAny)
                        .with_rule(&activities)
                        .allow_passthrough(),
                )
                .build(),
        ),
        sagemaker: aws_sdk_sagemaker::Client::new(&config),
    };
    let clock = RunClock::start();
    let mut obs = observer(clients);
    let first = obs.poll(&clock).await;
    let second = obs.poll(&clock).await;
    let third = obs.poll(&clock).await;

    let acts = of(&first, |r| {
        if let Record::Activity(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(acts.len(), 1, "{first:?}");
    assert_eq!(
        (acts[0].status.as_str(), acts[0].to),
        ("InProgress", Some(2))
    );
    assert!(acts[0].end.is_none());
    let acts = of(&second, |r| {
        if let Record::Activity(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(acts.len(), 2, "{second:?}");
    let ok = acts
        .iter()
        .find(|a| a.status == "Successful")
        .expect("status change journaled");
    assert!(ok.end.is_some());
    let failed = acts.iter().find(|a| a.status == "Failed").unwrap();
    assert_eq!(failed.not_scaled[0].code, "AlreadyAtMaxCapacity");
    assert_eq!(failed.not_scaled[0].max_capacity, Some(4));

    let alarms = of(&first, |r| {
        if let Record::Alarm(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(alarms.len(), 1, "{first:?}");
    assert_eq!(
        (alarms[0].from, alarms[0].to),
        (AlarmState::InsufficientData, AlarmState::Ok)
    );
    let alarms = of(&second, |r| {
        if let Record::Alarm(a) = r {
            Some(a)
        } else {
            None
        }
    });
    assert_eq!(
        alarms.iter().map(|a| (a.from, a.to)).collect::<Vec<_>>(),
        vec![
            (AlarmState::Ok, AlarmState::Alarm),
            (AlarmState::Alarm, AlarmState::Ok)
        ],
        "{second:?}"
    );
    assert!(alarms[0].at < alarms[1].at);
    assert!(
        (alarms[0].at
            - clock.offset_of_utc(chrono::DateTime::from_timestamp(now - 25, 0).unwrap()))
        .abs()
            < 1e-6
    );
    assert!(
        !third
            .iter()
            .any(|r| matches!(r, Record::Alarm(_) | Record::Activity(_))),
        "{third:?}"
    );
}

#[test]
fn observe_command_writes_a_journal_and_summary() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        setup(&config).await;
    });
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args([
            "observe",
            "--endpoint",
            "obs-ep",
            "--duration",
            "3s",
            "--interval",
            "1s",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.url,
            "--run-dir",
            run_dir.to_str().unwrap(),
            "-q",
        ])
        .env_clear()
        .envs(moto.env(tmp.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["name"], "observe-obs-ep");
    assert_eq!(summary["requests"]["sent"], 0);
    // The time observed, not 0.0 for want of load phases; and no latency
    // at all rather than a measured 0 ms.
    let duration = summary["duration_s"].as_f64().unwrap();
    assert!((3.0..10.0).contains(&duration), "{summary}");
    assert!(summary["latency_ms"].is_null(), "{summary}");
    assert!(summary["service_time_ms"].is_null(), "{summary}");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/summary.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&summary)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(summary["scaling"]["instances"]["final"], 1, "{summary}");
    let journal = std::fs::read_to_string(run_dir.join("journal.jsonl")).unwrap();
    assert!(journal.contains("\"type\":\"policy\""), "{journal}");
    assert!(journal.contains("\"type\":\"end\""), "{journal}");
    assert!(!journal.contains("\"type\":\"interval\""));
    assert!(String::from_utf8_lossy(&out.stdout).contains("observe-obs-ep"));
    let text = std::fs::read_to_string(run_dir.join("summary.txt")).unwrap();
    assert!(
        text.contains("observed ") && text.contains("observer only: no load from scaletrace"),
        "{text}"
    );
    let md = std::fs::read_to_string(run_dir.join("report.md")).unwrap();
    assert!(md.contains("no load from scaletrace"), "{md}");
}

fn profile_for(dir: &std::path::Path, endpoint_url: &str, endpoint: &str) -> std::path::PathBuf {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            "[target]\nkind = \"sagemaker\"\nendpoint_name = \"{endpoint}\"\nregion = \"us-east-1\"\nendpoint_url = \"{endpoint_url}\"\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn missing_credentials_and_missing_endpoint_fail_in_one_line_with_exit_3() {
    let moto = Moto::start();
    let tmp = tempfile::tempdir().unwrap();
    let profile = profile_for(tmp.path(), &moto.url, "no-such-endpoint");

    // No credentials anywhere (and no instance metadata lookups).
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["run", profile.to_str().unwrap(), "-q", "--run-dir"])
        .arg(tmp.path().join("r1"))
        .env_clear()
        .env("HOME", tmp.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", tmp.path().join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", tmp.path().join("none"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("Unable to locate AWS credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains("CredentialsNotLoaded"), "{stderr}");

    // Credentials, but no such endpoint.
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["run", profile.to_str().unwrap(), "-q", "--run-dir"])
        .arg(tmp.path().join("r2"))
        .env_clear()
        .envs(moto.env(tmp.path()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("\"no-such-endpoint\" not found in us-east-1"),
        "{stderr}"
    );
    assert!(!tmp.path().join("r2").join("journal.jsonl").exists());
}

/// Throttling is never fatal: the observer journals a warning, backs off,
/// and the rest of the poll's records still come.
#[tokio::test]
async fn throttled_calls_become_warnings() {
    use aws_sdk_cloudwatch::error::ErrorMetadata;
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError;

    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    let throttled = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_error(|| {
        GetMetricDataError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message("Rate exceeded")
                .build(),
        )
    });
    let clients = AwsClients {
        cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
            aws_sdk_cloudwatch::config::Builder::from(&config)
                .retry_config(aws_sdk_cloudwatch::config::retry::RetryConfig::disabled())
                .interceptor(
                    MockResponseInterceptor::new()
                        .rule_mode(RuleMode::MatchAny)
                        .with_rule(&throttled)
                        .allow_passthrough(),
                )
                .build(),
        ),
        ..AwsClients::new(&config)
    };
    let clock = RunClock::start();
    let mut obs = observer(clients);
    let first = obs.poll(&clock).await;
    assert!(
        first.iter().any(
            |r| matches!(r, Record::Warning(w) if w.message.contains("GetMetricData was throttled"))
        ),
        "{first:?}"
    );
    assert!(first.iter().any(|r| matches!(r, Record::Endpoint(_))));
    // The next poll still runs (after backing off) and warns at most once a minute.
    let second = obs.poll(&clock).await;
    assert!(
        !second
            .iter()
            .any(|r| matches!(r, Record::Warning(w) if w.message.contains("throttled"))),
        "{second:?}"
    );
}

/// An alarm on a series outside the observer's fixed set (here a
/// customized target-tracking metric: ConcurrentRequestsPerModel, Average
/// per minute; the fixed set reads its Maximum per 10 s): the observer
/// reads what the alarm evaluates, so the lag chain can find the datapoint
/// that crossed the threshold.
#[tokio::test]
async fn the_alarms_own_metric_is_read() {
    let moto = Moto::start();
    let config = moto.config().await;
    setup(&config).await;
    const CUSTOM: &str = "TargetTracking-endpoint/obs-ep/variant/AllTraffic-AlarmHigh-cc01";
    let dims = || {
        [("EndpointName", "obs-ep"), ("VariantName", "AllTraffic")]
            .map(|(n, v)| Dimension::builder().name(n).value(v).build())
    };
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    cw.put_metric_alarm()
        .alarm_name(CUSTOM)
        .namespace("AWS/SageMaker")
        .metric_name("ConcurrentRequestsPerModel")
        .set_dimensions(Some(dims().to_vec()))
        .statistic(Statistic::Average)
        .period(60)
        .evaluation_periods(3)
        .threshold(4.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm");
    let minute = (chrono::Utc::now().timestamp() / 60 - 1) * 60;
    for (s, v) in [(5, 4.0), (25, 6.0)] {
        cw.put_metric_data()
            .namespace("AWS/SageMaker")
            .metric_data(
                MetricDatum::builder()
                    .metric_name("ConcurrentRequestsPerModel")
                    .set_dimensions(Some(dims().to_vec()))
                    .timestamp(AwsTime::from_secs(minute + s))
                    .value(v)
                    .build(),
            )
            .send()
            .await
            .expect("PutMetricData");
    }
    let clock = RunClock::start();
    let mut obs = observer(AwsClients::new(&config));
    // Alarms are polled before metrics: the first poll has both.
    let records = obs.poll(&clock).await;
    let config = records
        .iter()
        .find_map(|r| match r {
            Record::AlarmConfig(c) if c.name == CUSTOM => Some(c),
            _ => None,
        })
        .expect("the alarm's config");
    let points: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Metric(m)
                if m.name == config.metric
                    && m.namespace == config.namespace
                    && m.stat == config.stat
                    && m.period_s == config.period_s =>
            {
                Some(m)
            }
            _ => None,
        })
        .collect();
    assert_eq!(points.len(), 1, "{records:#?}");
    assert_eq!(points[0].value, 5.0);
    assert_eq!(points[0].dimensions["VariantName"], "AllTraffic");
    assert_eq!(clock.utc_of(points[0].period_start).timestamp(), minute);
}
