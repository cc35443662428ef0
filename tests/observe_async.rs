//! `scaletrace observe` on an asynchronous endpoint in moto, with the real
//! SDK clients: the observed load comes from the metrics async endpoints
//! publish (they publish no `Invocations`), and its step opens the lag
//! chain. The test puts the CloudWatch datapoints itself (moto publishes
//! none) and the scale-out alarm (moto creates no target-tracking alarms).

mod support;

use std::process::Command;

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDatum, Statistic};
use support::moto::{self, Moto};

async fn put_metric(config: &SdkConfig, name: &str, dims: &[(&str, &str)], at: i64, value: f64) {
    aws_sdk_cloudwatch::Client::new(config)
        .put_metric_data()
        .namespace("AWS/SageMaker")
        .metric_data(
            MetricDatum::builder()
                .metric_name(name)
                .set_dimensions(Some(
                    dims.iter()
                        .map(|(n, v)| Dimension::builder().name(*n).value(*v).build())
                        .collect(),
                ))
                .timestamp(AwsTime::from_secs(at))
                .value(value)
                .build(),
        )
        .send()
        .await
        .expect("PutMetricData");
}

/// `observe` on an asynchronous endpoint, which publishes no `Invocations`:
/// the observed load is what left the queue (`InvocationsProcesssed`) plus
/// what it grew by (`ApproximateBacklogSize`). 60 processed a minute with
/// an empty queue, then the queue growing by 300 a minute: arrivals step
/// from 1 to 6 requests/s at the minute the backlog began to grow, and the
/// scale-out alarm on ApproximateBacklogSizePerInstance (> 5 for 3 of 3)
/// has its first breaching datapoint at that minute's end.
#[test]
fn observe_turns_a_step_in_async_arrivals_into_a_lag_chain() {
    const EP: &str = "obs-async";
    const HIGH: &str = "TargetTracking-endpoint/obs-async/variant/AllTraffic-AlarmHigh-a51c";
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let now = chrono::Utc::now().timestamp();
    let minute = now - now.rem_euclid(60);
    let step_at = minute - 120;
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, EP, 1, Some("s3://obs-async-out/")).await;
        moto::register_target(&config, "endpoint/obs-async/variant/AllTraffic", 1, 4).await;
        aws_sdk_cloudwatch::Client::new(&config)
            .put_metric_alarm()
            .alarm_name(HIGH)
            .namespace("AWS/SageMaker")
            .metric_name("ApproximateBacklogSizePerInstance")
            .dimensions(Dimension::builder().name("EndpointName").value(EP).build())
            .statistic(Statistic::Average)
            .period(60)
            .evaluation_periods(3)
            .datapoints_to_alarm(3)
            .threshold(5.0)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("PutMetricAlarm");
        let endpoint = [("EndpointName", EP)];
        let variant = [("EndpointName", EP), ("VariantName", "AllTraffic")];
        for k in 0..6 {
            let at = minute - 300 + 60 * k;
            let queued = ((at - step_at) / 60 + 1).max(0) as f64 * 300.0;
            put_metric(&config, "InvocationsProcesssed", &variant, at, 60.0).await;
            put_metric(&config, "ApproximateBacklogSize", &endpoint, at, queued).await;
            put_metric(
                &config,
                "ApproximateBacklogSizePerInstance",
                &endpoint,
                at,
                queued,
            )
            .await;
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["observe", "--endpoint", EP, "--duration", "2s"])
        .args(["--interval", "1s", "--region", "us-east-1"])
        .args(["--endpoint-url", &moto.url, "-q", "--run-dir"])
        .arg(&run_dir)
        .env_clear()
        .envs(moto.env(tmp.path()))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = scaletrace::journal::read_run_dir(&run_dir).unwrap();
    let start_us = data.info.started_at.timestamp_micros();
    let offset = |unix: i64| (unix * 1_000_000 - start_us) as f64 / 1e6;
    let ms = |v: f64| (v * 1000.0).round() / 1000.0;
    let tl = scaletrace::timeline::Timeline::build(&data).unwrap();
    let load = tl
        .load
        .as_ref()
        .expect("observed load from the async metrics");
    assert_eq!(
        load.source,
        scaletrace::timeline::load::LoadSource::AsyncArrivals
    );
    let rates: Vec<f64> = load.points.iter().map(|p| p.rate).collect();
    assert_eq!(&rates[..5], &[1.0, 1.0, 1.0, 6.0, 6.0], "{rates:?}");
    let changes: Vec<f64> = load.changes().iter().map(|c| ms(c.t)).collect();
    assert_eq!(changes, vec![ms(offset(step_at))]);
    let lag = scaletrace::timeline::lag::analyze(&data, &tl, None).unwrap();
    assert_eq!(lag.episodes.len(), 1, "{:#?}", lag.episodes);
    let e = &lag.episodes[0];
    assert_eq!(
        e.cause,
        "load 1 → 6/s (from CloudWatch InvocationsProcesssed + backlog growth)"
    );
    assert_eq!(e.links[0].name, "load change");
    assert_eq!(e.links[0].t_s, Some(ms(offset(step_at))));
    assert_eq!(
        e.links[0].detail.as_deref(),
        Some("from CloudWatch InvocationsProcesssed + backlog growth, one-minute resolution")
    );
    assert_eq!(e.links[1].name, "datapoint past threshold");
    assert_eq!(e.links[1].t_s, Some(ms(offset(step_at + 60))));
    assert_eq!(
        e.links[1].detail.as_deref(),
        Some(
            format!(
                "ApproximateBacklogSizePerInstance 300 > 5 (period {:.2}–{:.2} s)",
                offset(step_at),
                offset(step_at + 60)
            )
            .as_str()
        )
    );
    assert_eq!(e.links[2].name, "datapoint readable");
}
