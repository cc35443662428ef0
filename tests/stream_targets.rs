//! Streamed responses: the SageMaker target with `stream = true`
//! (InvokeEndpointWithResponseStream, the real SDK client) against a local
//! server on 127.0.0.1 that speaks the SageMaker runtime event-stream wire
//! format (frames encoded with `aws-smithy-eventstream`), and the HTTP
//! target with `stream = true` against a chunked HTTP server.
//!
//! The servers run on the test's own paused tokio runtime and send each
//! part after a `tokio::time::sleep`: virtual time moves only when every
//! task waits, so the first part arrives exactly `delays[0]` after the
//! request and the assertions on TTFT and gaps are exact, not windows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sagemakerruntime::primitives::event_stream::{Header, HeaderValue, Message};
use aws_smithy_eventstream::frame::write_message_to;
use bytes::Bytes;
use scaletrace::outcome::Outcome;
use scaletrace::profile::HttpTargetSpec;
use scaletrace::profile::aws::{AwsSpec, SageMakerTargetSpec};
use scaletrace::profile::stream::{StreamSpec, TokenSource};
use scaletrace::recorder::Recorder;
use scaletrace::target::Target;
use scaletrace::target::http_stream::HttpStreamTarget;
use scaletrace::target::sagemaker_stream::SageMakerStreamTarget;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;

const MS: fn(u64) -> Duration = Duration::from_millis;

/// What the server sends after the response headers, in order.
#[derive(Clone)]
enum Frame {
    /// Wait, then send a PayloadPart with these bytes.
    Part(Duration, &'static str),
    /// Wait, then send an exception event of this type.
    Exception(Duration, &'static str),
}

fn header(name: &'static str, value: &'static str) -> Header {
    Header::new(name, HeaderValue::String(value.into()))
}

/// One event-stream message as SageMaker frames it: prelude, headers
/// (`:message-type`, `:event-type` or `:exception-type`, `:content-type`),
/// payload, CRCs.
fn encode(frame: &Frame) -> Vec<u8> {
    let msg = match frame {
        Frame::Part(_, text) => Message::new(Bytes::from_static(text.as_bytes()))
            .add_header(header(":message-type", "event"))
            .add_header(header(":event-type", "PayloadPart"))
            .add_header(header(":content-type", "application/octet-stream")),
        Frame::Exception(_, kind) => Message::new(Bytes::from_static(
            br#"{"Message":"broken by the test server","ErrorCode":"StreamBroken"}"#,
        ))
        .add_header(header(":message-type", "exception"))
        .add_header(header(":exception-type", kind))
        .add_header(header(":content-type", "application/json")),
    };
    let mut buf = Vec::new();
    write_message_to(&msg, &mut buf).unwrap();
    buf
}

/// Reads one HTTP/1.1 request (head and content-length body); returns its
/// head, lower-cased.
async fn read_request(s: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed before a whole request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return head;
            }
        }
    }
}

/// A server answering every request with `frames` in a chunked body (one
/// chunk per frame, as SageMaker sends them); keeps each request's head.
async fn server(
    content_type: &'static str,
    frames: Vec<Frame>,
    raw_parts: bool,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let frames = frames.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let head = read_request(&mut s).await;
                seen.lock().unwrap().push(head);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ntransfer-encoding: chunked\r\n\r\n"
                );
                s.write_all(resp.as_bytes()).await.unwrap();
                for f in &frames {
                    let (Frame::Part(wait, _) | Frame::Exception(wait, _)) = f;
                    tokio::time::sleep(*wait).await;
                    let body = match (f, raw_parts) {
                        (Frame::Part(_, text), true) => text.as_bytes().to_vec(),
                        _ => encode(f),
                    };
                    let mut chunk = format!("{:x}\r\n", body.len()).into_bytes();
                    chunk.extend_from_slice(&body);
                    chunk.extend_from_slice(b"\r\n");
                    s.write_all(&chunk).await.unwrap();
                    s.flush().await.unwrap();
                }
                let _ = s.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    (format!("http://{addr}"), heads)
}

async fn local_config(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            "a", "b", None, None, "t",
        ))
        .endpoint_url(url)
        .load()
        .await
}

fn spec(component: Option<&str>) -> SageMakerTargetSpec {
    SageMakerTargetSpec {
        endpoint_name: "chat".into(),
        target_variant: None,
        target_model: None,
        inference_component: component.map(str::to_string),
        content_type: "application/json".into(),
        accept: None,
        custom_attributes: None,
        aws: AwsSpec::default(),
        stream: None,
    }
}

fn parts() -> StreamSpec {
    StreamSpec {
        tokens: TokenSource::Parts,
    }
}

#[tokio::test(start_paused = true)]
async fn sagemaker_stream_ttft_and_parts_are_exact() {
    let frames = vec![
        Frame::Part(MS(250), r#"{"token":{"text":"Hel"}}"#),
        Frame::Part(MS(30), r#"{"token":{"text":"lo"}}"#),
        Frame::Part(MS(45), r#"{"token":{"text":"!"}}"#),
    ];
    let (url, heads) = server("application/vnd.amazon.eventstream", frames, false).await;
    let config = local_config(&url).await;
    let target = SageMakerStreamTarget::with_config(&spec(Some("chat-ic")), &parts(), config);

    let intended = Instant::now();
    let reply = target
        .invoke_reply(Bytes::from_static(b"{\"inputs\":\"hi\"}"))
        .await;
    assert_eq!(reply.outcome, Outcome::Ok);
    let s = reply.stream.expect("a streamed response has its timing");
    assert_eq!(s.first_part, Some(intended + MS(250)));
    assert_eq!((s.parts, s.tokens), (3, 3));
    assert_eq!(s.gaps, vec![MS(30), MS(45)]);

    // The request went to the streaming path and named the component.
    let head = heads.lock().unwrap()[0].clone();
    assert!(
        head.starts_with("post /endpoints/chat/invocations-response-stream "),
        "{head}"
    );
    assert!(
        head.contains("x-amzn-sagemaker-inference-component: chat-ic"),
        "{head}"
    );

    // Through the recorder, TTFT counts from the intended send time.
    let mut rec = Recorder::new();
    rec.sent(false);
    rec.completed(reply.outcome, MS(325), MS(325));
    rec.streamed(intended, &s);
    let (data, _) = rec.take_interval();
    assert_eq!(data.stream.responses, 1);
    assert!(data.stream.ttft.equivalent(data.stream.ttft.max(), 250_000));
    assert_eq!(data.stream.inter_token.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn sagemaker_stream_errors_keep_the_parts_before_them() {
    for (kind, outcome) in [
        ("ModelStreamError", Outcome::ModelError),
        ("InternalStreamFailure", Outcome::Http5xx),
    ] {
        let frames = vec![
            Frame::Part(MS(100), "first"),
            Frame::Exception(MS(20), kind),
        ];
        let (url, _) = server("application/vnd.amazon.eventstream", frames, false).await;
        let target =
            SageMakerStreamTarget::with_config(&spec(None), &parts(), local_config(&url).await);
        let intended = Instant::now();
        let reply = target.invoke_reply(Bytes::from_static(b"{}")).await;
        assert_eq!(reply.outcome, outcome, "{kind}");
        let s = reply.stream.unwrap();
        assert_eq!(s.first_part, Some(intended + MS(100)), "{kind}");
        assert_eq!(s.parts, 1, "{kind}");
    }
}

#[tokio::test(start_paused = true)]
async fn http_stream_counts_tokens_by_json_pointer() {
    let frames = vec![
        Frame::Part(MS(180), "data: {\"token\":{\"text\":\"a\"}}\n\n"),
        Frame::Part(
            MS(25),
            "data: {\"token\":{\"text\":\"b\"}}\n\ndata: {\"token\":{\"text\":\"c\"}}\n\n",
        ),
        Frame::Part(MS(25), "data: [DONE]\n\n"),
    ];
    let (url, _) = server("text/event-stream", frames, true).await;
    let http = HttpTargetSpec {
        url: format!("{url}/generate_stream"),
        ping_url: None,
        method: "POST".into(),
        headers: Default::default(),
        content_type: "application/json".into(),
        accept: None,
        stream: None,
    };
    let stream = StreamSpec {
        tokens: TokenSource::JsonPointer("/token/text".into()),
    };
    let target = HttpStreamTarget::new(&http, &stream).unwrap();
    let intended = Instant::now();
    let reply = target.invoke_reply(Bytes::from_static(b"{}")).await;
    assert_eq!(reply.outcome, Outcome::Ok);
    let s = reply.stream.unwrap();
    assert_eq!(s.first_part, Some(intended + MS(180)));
    assert_eq!(s.parts, 3);
    assert_eq!(s.tokens, 3);
    assert_eq!(s.gaps, vec![MS(25), MS(25)]);
}

/// The whole engine on the wall clock: `scaletrace run` against a local
/// server that streams its answer. Only lower bounds on times (a busy
/// machine can only make them longer), exact counts.
#[test]
fn a_streamed_run_writes_ttft_to_summary_json_and_gates() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let frames = vec![
        Frame::Part(MS(80), "a"),
        Frame::Part(MS(10), "b"),
        Frame::Part(MS(10), "c"),
        Frame::Part(MS(10), "d"),
    ];
    let (url, _) = rt.block_on(server("text/plain", frames, true));
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("p.toml");
    std::fs::write(
        &profile,
        format!(
            "name = \"stream\"\n[target]\nkind = \"http\"\nurl = \"{url}/generate\"\nping = false\nstream = true\n\
             [load]\nphases = [{{ duration = \"2s\", rate = 5 }}]\n\
             [gates]\nttft_p99_ms = 60000\nttft_p50_ms = 1\n"
        ),
    )
    .unwrap();
    let run_dir = tmp.path().join("run");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .arg("run")
        .arg(&profile)
        .arg("--run-dir")
        .arg(&run_dir)
        .arg("-q")
        .output()
        .unwrap();
    // The ttft_p50_ms = 1 gate fails (TTFT is at least 80 ms): exit 1.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(s["stream"]["responses"], 10, "{s}");
    assert_eq!(s["stream"]["parts"], 40);
    assert_eq!(s["stream"]["tokens_per_response"]["p50"], 4);
    assert!(s["ttft_ms"]["p50"].as_f64().unwrap() >= 80.0, "{s}");
    assert!(s["inter_token_ms"]["p50"].as_f64().unwrap() >= 10.0, "{s}");
    let gates: Vec<(String, bool)> = s["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_string(),
                g["passed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(gates.contains(&("ttft_p99_ms".into(), true)), "{gates:?}");
    assert!(gates.contains(&("ttft_p50_ms".into(), false)), "{gates:?}");
    let text = std::fs::read_to_string(run_dir.join("summary.txt")).unwrap();
    assert!(
        text.contains("ttft") && text.contains("inter-token"),
        "{text}"
    );
    drop(rt);
}
