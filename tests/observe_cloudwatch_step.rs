//! `scaletrace observe` against moto with no load of its own: a step in
//! the endpoint's CloudWatch `Invocations` is the observed load and opens
//! the lag chain (the real binary, the real SDK clients).

mod support;

use std::process::Command;

use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
use support::moto::Moto;
use support::obs_ep::{put_sum, setup};

/// `observe` with no load of its own: CloudWatch `Invocations` stepping
/// from 60 to 600 a minute (1 → 10 requests/s) is the observed load, and
/// its step opens the lag chain at the first minute of the step.
#[test]
fn observe_turns_a_step_in_cloudwatch_invocations_into_a_lag_chain() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let now = chrono::Utc::now().timestamp();
    let minute = now - now.rem_euclid(60);
    // Minutes −5…−3 at 60 invocations, −2…0 at 600 (one instance, so
    // InvocationsPerInstance is the same and breaches the alarm's 70).
    let step_at = minute - 120;
    rt.block_on(async {
        let config = moto.config().await;
        setup(&config).await;
        for k in 0..6 {
            let at = minute - 300 + 60 * k;
            let v = if at >= step_at { 600.0 } else { 60.0 };
            put_sum(&config, "Invocations", AwsTime::from_secs(at), v).await;
            put_sum(&config, "InvocationsPerInstance", AwsTime::from_secs(at), v).await;
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args([
            "observe",
            "--endpoint",
            "obs-ep",
            "--duration",
            "2s",
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
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data = scaletrace::journal::read_run_dir(&run_dir).unwrap();
    let start_us = data.info.started_at.timestamp_micros();
    let offset = |unix: i64| (unix * 1_000_000 - start_us) as f64 / 1e6;
    // Links keep milliseconds; details print two decimals.
    let ms = |v: f64| (v * 1000.0).round() / 1000.0;
    let tl = scaletrace::timeline::Timeline::build(&data).unwrap();
    let load = tl.load.as_ref().expect("observed load from Invocations");
    assert_eq!(load.resolution_s, 60.0);
    let changes: Vec<f64> = load.changes().iter().map(|c| c.t).collect();
    assert_eq!(changes, vec![offset(step_at)]);
    let lag = scaletrace::timeline::lag::analyze(&data, &tl, None).unwrap();
    assert_eq!(lag.episodes.len(), 1, "{:#?}", lag.episodes);
    let e = &lag.episodes[0];
    assert_eq!(e.cause, "load 1 → 10/s (from CloudWatch Invocations)");
    assert_eq!(e.links[0].name, "load change");
    assert_eq!(e.links[0].t_s, Some(ms(offset(step_at))));
    assert_eq!(
        e.links[0].detail.as_deref(),
        Some("from CloudWatch Invocations, one-minute resolution")
    );
    assert_eq!(e.links[1].name, "datapoint past threshold");
    assert_eq!(e.links[1].t_s, Some(ms(offset(step_at + 60))));
    assert_eq!(
        e.links[1].detail.as_deref(),
        Some(
            format!(
                "InvocationsPerInstance 600 > 70 (period {:.2}–{:.2} s)",
                offset(step_at),
                offset(step_at + 60)
            )
            .as_str()
        )
    );
    assert_eq!(e.links[2].name, "datapoint readable");
    // The report draws the observed load, not a rate of zeros.
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(
        html.contains("from CloudWatch Invocations"),
        "no observed load in report.html"
    );
}
