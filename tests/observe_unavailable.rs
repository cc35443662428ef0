//! An AWS API answering 5xx, through a proxy in front of moto (a hyper
//! server on 127.0.0.1, like `tests/support/throttle.rs`): the first
//! [`FAILING`] GetMetricData requests get a 503 with an HTML body, as a load
//! balancer in front of a service sends it; everything else is forwarded.
//! The observer says once that GetMetricData is unavailable, in one line
//! (operation, error code or its absence, HTTP status; no SDK `Debug` dump,
//! no HTML), and once that it is back with how many calls failed, however
//! many polls it retried; no report carries more than those lines.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use support::moto::{self, Moto};

/// GetMetricData requests answered 503: two observer calls of
/// `OBSERVER_MAX_ATTEMPTS` (4) SDK attempts each.
const FAILING: u64 = 8;

const HTML_503: &str = "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n\
<hr><center>awselb/2.0</center>\r\n</body>\r\n</html>\r\n";

struct Proxy {
    url: String,
    failed: Arc<AtomicU64>,
}

async fn start(upstream: &str) -> Proxy {
    let upstream: SocketAddr = upstream.trim_start_matches("http://").parse().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let failed = Arc::new(AtomicU64::new(0));
    let counter = failed.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req| answer(req, upstream, counter.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Proxy { url, failed }
}

async fn answer(
    req: Request<Incoming>,
    upstream: SocketAddr,
    failed: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    // CloudWatch speaks awsQuery: the operation is the form's Action.
    let is_get_metric_data = String::from_utf8_lossy(&body).contains("Action=GetMetricData");
    if is_get_metric_data && failed.fetch_add(1, Ordering::SeqCst) < FAILING {
        let mut r = Response::new(Full::new(Bytes::from_static(HTML_503.as_bytes())));
        *r.status_mut() = hyper::StatusCode::SERVICE_UNAVAILABLE;
        r.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/html"),
        );
        return Ok(r);
    }
    let forwarded = async {
        let stream = TcpStream::connect(upstream).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let res = sender
            .send_request(Request::from_parts(parts, Full::new(body)))
            .await?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(Response::from_parts(
            parts,
            Full::new(body),
        ))
    };
    Ok(forwarded.await.unwrap_or_else(|e| {
        let mut r = Response::new(Full::new(Bytes::from(format!("proxy: {e}"))));
        *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
        r
    }))
}

#[test]
fn a_5xx_api_is_said_unavailable_once_in_one_line_and_back_with_its_count() {
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(async {
        let config = moto.config().await;
        moto::create_endpoint(&config, "down-ep", 1, None).await;
        start(&moto.url).await
    });
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("obs");
    let out = Command::new(env!("CARGO_BIN_EXE_scaletrace"))
        .args(["observe", "--endpoint", "down-ep", "--duration", "10s"])
        .args(["--interval", "1s", "--region", moto::REGION, "-q"])
        .args(["--endpoint-url", &proxy.url, "--run-dir"])
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
    assert!(
        proxy.failed.load(Ordering::SeqCst) > FAILING,
        "GetMetricData answered again"
    );
    let data = scaletrace::journal::read_run_dir(&run_dir).unwrap();
    let warnings: Vec<&str> = data
        .records
        .iter()
        .filter_map(|r| match r {
            scaletrace::journal::record::Record::Warning(w)
                if w.message.contains("GetMetricData") =>
            {
                Some(w.message.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        vec![
            "GetMetricData unavailable: no AWS error code (HTTP 503 Service Unavailable); \
             the observer retries it every poll",
            "GetMetricData available again after 2 failed calls (1 retry)",
        ]
    );
    for file in [
        "journal.jsonl",
        "summary.txt",
        "report.md",
        "report.html",
        "summary.json",
    ] {
        let text = std::fs::read_to_string(run_dir.join(file)).unwrap();
        for dump in [
            "ServiceError",
            "Unhandled",
            "<html>",
            "&lt;html",
            "awselb",
            "Temporarily",
            "raw:",
        ] {
            assert!(!text.contains(dump), "{file} holds {dump:?}:\n{text}");
        }
        assert!(
            text.matches("GetMetricData unavailable").count() <= 1,
            "{file} repeats the line"
        );
    }
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(
        html.contains(
            "GetMetricData unavailable: no AWS error code (HTTP 503 Service Unavailable)"
        )
    );
}
