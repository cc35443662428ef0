//! The SageMaker targets with the real SDK clients: against moto (a local
//! AWS API server) for endpoints, S3 and async results, and against a tiny
//! local server answering with SageMaker-shaped errors (moto's
//! InvokeEndpoint always answers 200).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use scaletrace::outcome::Outcome;
use scaletrace::profile::aws::{AwsSpec, SageMakerAsyncTargetSpec, SageMakerTargetSpec};
use scaletrace::target::Target;
use scaletrace::target::sagemaker::SageMakerTarget;
use scaletrace::target::sagemaker_async::SageMakerAsyncTarget;
use support::moto::{self, Moto};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scaletrace"))
}

fn rt_spec(endpoint: &str) -> SageMakerTargetSpec {
    SageMakerTargetSpec {
        endpoint_name: endpoint.into(),
        target_variant: None,
        target_model: None,
        inference_component: None,
        content_type: "application/json".into(),
        accept: None,
        custom_attributes: None,
        aws: AwsSpec::default(),
        stream: None,
    }
}

fn async_spec(endpoint: &str, input: &str, unique: bool) -> SageMakerAsyncTargetSpec {
    SageMakerAsyncTargetSpec {
        endpoint_name: endpoint.into(),
        content_type: "application/json".into(),
        accept: None,
        custom_attributes: None,
        inference_component: None,
        input_s3_uri: input.into(),
        unique_inputs: unique,
        request_ttl: Some(Duration::from_secs(600)),
        invocation_timeout: Some(Duration::from_secs(60)),
        drain_timeout: Duration::from_secs(10),
        s3_requests_per_second: 50.0,
        output_poll_max: Duration::from_millis(500),
        aws: AwsSpec::default(),
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn realtime_run_counts_responses_and_observes_the_endpoint() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, "rt-ep", 2, None).await;
    });
    moto.queue_endpoint_results(&["{\"a\":1}", "{\"b\":2}"]);
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"rt\"\n[target]\nkind = \"sagemaker\"\nendpoint_name = \"rt-ep\"\nregion = \"us-east-1\"\nendpoint_url = \"{}\"\n[payload]\njsonl = \"p.jsonl\"\n[load]\nphases = [{{ duration = \"2s\", rate = 10 }}]\n[observe]\ninterval = \"1s\"\n",
            moto.url
        ),
    )
    .unwrap();
    std::fs::write(tmp.path().join("p.jsonl"), "{\"x\":1}\n{\"x\":2}\n").unwrap();
    let run_dir = tmp.path().join("run");
    let out = bin()
        .args([
            "run",
            profile.to_str().unwrap(),
            "-q",
            "--run-dir",
            run_dir.to_str().unwrap(),
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
    let s = read_json(&run_dir.join("summary.json"));
    assert_eq!(s["requests"]["sent"], 20, "{s}");
    assert_eq!(s["requests"]["by_outcome"]["ok"], 20, "{s}");
    assert!(s["requests"].get("unfinished").is_none());
    let lines = journal(&run_dir);
    let endpoint = lines
        .iter()
        .find(|l| l["type"] == "endpoint")
        .expect("observer wrote the endpoint's counts");
    assert_eq!(endpoint["current"], 2);
    assert_eq!(endpoint["variant"], "AllTraffic");
    // moto registers no scalable target: the observer says so.
    assert!(
        lines.iter().any(|l| l["type"] == "warning"
            && l["message"]
                .as_str()
                .unwrap()
                .contains("no scalable target")),
        "{lines:?}"
    );
}

/// Answers each request with the next (status, x-amzn-errortype) pair, the
/// way SageMaker Runtime reports errors (restJson1).
async fn error_server(answers: Vec<(u16, &'static str)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let (status, kind) = answers[n % answers.len()];
            n += 1;
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                // Read the head and the body (Content-Length).
                loop {
                    let k = s.read(&mut chunk).await.unwrap_or(0);
                    if k == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..k]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let body = if status == 200 {
                    "{\"ok\":true}".to_string()
                } else {
                    format!("{{\"message\":\"{kind} from the test server\"}}")
                };
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                if status != 200 {
                    head.push_str(&format!("x-amzn-errortype: {kind}\r\n"));
                }
                head.push_str("\r\n");
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn sagemaker_errors_map_to_outcome_classes() {
    let answers = vec![
        (200, ""),
        (424, "ModelError"),
        (400, "ThrottlingException"),
        (400, "ValidationError"),
        (503, "ServiceUnavailable"),
        (500, "InternalFailure"),
    ];
    let url = error_server(answers).await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "t",
        ))
        .endpoint_url(&url)
        .load()
        .await;
    let target = SageMakerTarget::with_config(&rt_spec("ep"), config);
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(target.invoke(bytes::Bytes::from_static(b"{}")).await);
    }
    assert_eq!(
        got,
        vec![
            Outcome::Ok,
            Outcome::ModelError,
            Outcome::Throttled,
            Outcome::Http4xx,
            Outcome::Http5xx,
            Outcome::Http5xx
        ]
    );

    // Nothing listening: a connection error, not a retry.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "t",
        ))
        .endpoint_url(format!("http://{closed}"))
        .load()
        .await;
    let target = SageMakerTarget::with_config(&rt_spec("ep"), config);
    assert_eq!(
        target.invoke(bytes::Bytes::from_static(b"{}")).await,
        Outcome::ConnectError
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_target_uploads_invokes_and_follows_outputs_and_failures() {
    let moto = Moto::start();
    let config = moto.config().await;
    moto::create_endpoint(&config, "async-ep", 1, Some("s3://async-out/")).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket("async-in").send().await.unwrap();
    moto.queue_async_results(&[
        Ok("{\"r\":1}"),
        Err("model crashed: out of memory"),
        Ok("{\"r\":3}"),
    ]);

    // One object per request: each gets its own queued result.
    let target = SageMakerAsyncTarget::with_config(
        &async_spec("async-ep", "s3://async-in/unique/", true),
        config.clone(),
    )
    .unwrap();
    target
        .ready()
        .await
        .expect("endpoint InService, bucket reachable");
    let mut got = Vec::new();
    for i in 0..3 {
        let started = std::time::Instant::now();
        let o = tokio::time::timeout(
            Duration::from_secs(20),
            target.invoke(bytes::Bytes::from(format!("{{\"i\":{i}}}"))),
        )
        .await
        .expect("each request is followed to its end");
        assert!(started.elapsed() < Duration::from_secs(5));
        got.push(o);
    }
    assert_eq!(got, vec![Outcome::Ok, Outcome::ModelError, Outcome::Ok]);
    let notes = target.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("model crashed: out of memory"),
        "{notes:?}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket("async-in")
        .prefix("unique/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 3);

    // Shared inputs: the same payload is uploaded once.
    let target = SageMakerAsyncTarget::with_config(
        &async_spec("async-ep", "s3://async-in/shared", false),
        config,
    )
    .unwrap();
    for _ in 0..3 {
        let o = tokio::time::timeout(
            Duration::from_secs(20),
            target.invoke(bytes::Bytes::from_static(b"{\"same\":1}")),
        )
        .await
        .unwrap();
        assert_eq!(o, Outcome::Ok);
    }
    let listed = s3
        .list_objects_v2()
        .bucket("async-in")
        .prefix("shared/")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contents().len(), 1);
}

#[test]
fn async_run_reports_latency_failures_and_their_reasons() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, "async-run", 1, Some("s3://async-run-out/")).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket("async-run-in")
            .send()
            .await
            .unwrap();
    });
    moto.queue_async_results(&[
        Ok("1"),
        Err("bad input"),
        Ok("3"),
        Ok("4"),
        Err("bad input"),
        Ok("6"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"async\"\n[target]\nkind = \"sagemaker-async\"\nendpoint_name = \"async-run\"\ninput_s3_uri = \"s3://async-run-in/scaletrace/\"\nunique_inputs = true\noutput_poll_max = \"500ms\"\ndrain_timeout = \"20s\"\nendpoint_url = \"{}\"\n[load]\nphases = [{{ duration = \"2s\", rate = 3 }}]\n[observe]\ninterval = \"1s\"\n",
            moto.url
        ),
    )
    .unwrap();
    let run_dir = tmp.path().join("run");
    let out = bin()
        .args([
            "run",
            profile.to_str().unwrap(),
            "-q",
            "--run-dir",
            run_dir.to_str().unwrap(),
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
    let s = read_json(&run_dir.join("summary.json"));
    assert_eq!(s["requests"]["sent"], 6, "{s}");
    assert_eq!(s["requests"]["by_outcome"]["ok"], 4, "{s}");
    assert_eq!(s["requests"]["by_outcome"]["model_error"], 2, "{s}");
    assert!(s["latency_ms"]["p50"].as_f64().unwrap() > 0.0, "{s}");
    let lines = journal(&run_dir);
    assert!(
        lines.iter().any(|l| l["type"] == "warning"
            && l["message"]
                .as_str()
                .unwrap()
                .contains("2 async request(s) failed: bad input")),
        "{lines:?}"
    );
    // The reason was journaled when it first came, by the once-a-second
    // interval writer (a run killed before its end keeps it), once.
    let first: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| {
            l["type"] == "warning"
                && l["message"] == "async request failed (first of its kind): bad input"
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(first.len(), 1, "{lines:?}");
    assert_eq!(lines[first[0] - 1]["type"], "interval", "{lines:?}");
    assert_eq!(lines[first[0]]["t"], lines[first[0] - 1]["t"], "{lines:?}");
}

#[test]
fn async_requests_still_pending_after_drain_timeout_are_unfinished() {
    let moto = Moto::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, "slow-ep", 1, Some("s3://slow-out/")).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket("slow-in").send().await.unwrap();
    });
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.toml");
    // One S3 check per second follows six requests: the 1 s drain cannot
    // see them all finish.
    std::fs::write(
        &profile,
        format!(
            "name = \"slow\"\n[target]\nkind = \"sagemaker-async\"\nendpoint_name = \"slow-ep\"\ninput_s3_uri = \"s3://slow-in/\"\ns3_requests_per_second = 1\ndrain_timeout = \"1s\"\nendpoint_url = \"{}\"\n[load]\nphases = [{{ duration = \"2s\", rate = 3 }}]\n",
            moto.url
        ),
    )
    .unwrap();
    let run_dir = tmp.path().join("run");
    let out = bin()
        .args([
            "run",
            profile.to_str().unwrap(),
            "-q",
            "--run-dir",
            run_dir.to_str().unwrap(),
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
    let s = read_json(&run_dir.join("summary.json"));
    let unfinished = s["requests"]["unfinished"].as_u64().unwrap_or(0);
    assert!(unfinished >= 1, "{s}");
    assert_eq!(
        s["requests"]["sent"].as_u64().unwrap(),
        s["requests"]["completed"].as_u64().unwrap() + unfinished
    );
    let text = std::fs::read_to_string(run_dir.join("summary.txt")).unwrap();
    assert!(text.contains(&format!("unfinished {unfinished}")), "{text}");
}
