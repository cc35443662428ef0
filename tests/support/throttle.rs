//! A throttling proxy in front of moto, for the AWS paths under API
//! throttling (issue #13): a hyper server on 127.0.0.1 that forwards each
//! call to moto, except that it answers half of them with the throttling
//! error of the call's protocol, in runs of [`RUN`] calls (so the SDK's
//! default three attempts meet a whole run of throttles), and holds every
//! [`STALL_EVERY`]-th call back for [`STALL`] before forwarding it.
//!
//! Protocols: SageMaker and Application Auto Scaling speak awsJson 1.1
//! (an `X-Amz-Target` header; the error is a JSON body with `__type`),
//! CloudWatch 1.99 speaks awsQuery (a form body; the error is an XML
//! `ErrorResponse` with code `Throttling`).

#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// Throttled calls come in runs this long, alternating with as many
/// forwarded ones: 50 % throttled.
pub const RUN: u64 = 3;
/// Every this many calls, one is stalled.
pub const STALL_EVERY: u64 = 5;
pub const STALL: Duration = Duration::from_secs(5);

pub struct ThrottlingProxy {
    pub url: String,
    /// Calls seen, throttled, stalled.
    pub calls: Arc<AtomicU64>,
    pub throttled: Arc<AtomicU64>,
    pub stalled: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ThrottlingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Shared {
    upstream: SocketAddr,
    calls: Arc<AtomicU64>,
    throttled: Arc<AtomicU64>,
    stalled: Arc<AtomicU64>,
}

/// Starts the proxy on the current runtime, forwarding to `upstream`
/// (moto's `http://127.0.0.1:PORT`). The first [`RUN`] calls are throttled.
pub async fn start(upstream: &str) -> ThrottlingProxy {
    let upstream: SocketAddr = upstream
        .trim_start_matches("http://")
        .parse()
        .expect("an http://IP:PORT upstream");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = Arc::new(Shared {
        upstream,
        calls: Arc::default(),
        throttled: Arc::default(),
        stalled: Arc::default(),
    });
    ThrottlingProxy {
        url: format!("http://{addr}"),
        calls: shared.calls.clone(),
        throttled: shared.throttled.clone(),
        stalled: shared.stalled.clone(),
        task: tokio::spawn({
            let shared = shared.clone();
            async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let service =
                            hyper::service::service_fn(move |req| answer(req, shared.clone()));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        }),
    }
}

async fn answer(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let n = shared.calls.fetch_add(1, Ordering::SeqCst);
    if (n / RUN).is_multiple_of(2) {
        shared.throttled.fetch_add(1, Ordering::SeqCst);
        return Ok(throttling_error(parts.headers.contains_key("x-amz-target")));
    }
    if n % STALL_EVERY == STALL_EVERY - 1 {
        shared.stalled.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(STALL).await;
    }
    Ok(
        forward(&shared, Request::from_parts(parts, Full::new(body)))
            .await
            .unwrap_or_else(|e| {
                let mut r = Response::new(Full::new(Bytes::from(format!("proxy: {e}"))));
                *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                r
            }),
    )
}

/// The throttling error as the protocol's service sends it.
fn throttling_error(json: bool) -> Response<Full<Bytes>> {
    let (content_type, body) = if json {
        (
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        )
    } else {
        (
            "text/xml",
            "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
             <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>\
             <RequestId>throttling-proxy</RequestId></ErrorResponse>"
                .to_string(),
        )
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::BAD_REQUEST;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    if json {
        r.headers_mut().insert(
            "x-amzn-errortype",
            hyper::header::HeaderValue::from_static("ThrottlingException"),
        );
    }
    r
}

async fn forward(
    shared: &Shared,
    req: Request<Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, Box<dyn std::error::Error + Send + Sync>> {
    let stream = TcpStream::connect(shared.upstream).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let res = sender.send_request(req).await?;
    let (parts, body) = res.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(body)))
}
