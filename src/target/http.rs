//! The HTTP target: any server speaking the SageMaker container contract
//! (`POST /invocations`, `GET /ping`), or any URL at all.

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::{Target, TargetError};
use crate::outcome::Outcome;
use crate::profile::HttpTargetSpec;

/// How long the readiness check may take.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

pub struct HttpTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    ping_url: Option<String>,
    method: reqwest::Method,
    description: String,
}

impl HttpTarget {
    pub fn new(spec: &HttpTargetSpec) -> Result<HttpTarget, TargetError> {
        let setup = |reason: String| TargetError::Setup {
            target: spec.url.clone(),
            reason,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(&spec.content_type)
                .map_err(|e| setup(format!("content_type: {e}")))?,
        );
        if let Some(accept) = &spec.accept {
            headers.insert(
                ACCEPT,
                HeaderValue::from_str(accept).map_err(|e| setup(format!("accept: {e}")))?,
            );
        }
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|e| setup(format!("header {k:?}: {e}")))?;
            let value =
                HeaderValue::from_str(v).map_err(|e| setup(format!("header {k:?}: {e}")))?;
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            // Load traffic must go exactly where the profile says.
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| setup(e.to_string()))?;
        let url = reqwest::Url::parse(&spec.url).map_err(|e| setup(format!("url: {e}")))?;
        let method = reqwest::Method::from_bytes(spec.method.as_bytes())
            .map_err(|e| setup(e.to_string()))?;
        Ok(HttpTarget {
            client,
            description: format!("http {} {}", spec.method, spec.url),
            url,
            ping_url: spec.ping_url.clone(),
            method,
        })
    }
}

/// Classifies a transport error. A reset or a connection closed before the
/// response is a connection error, like a refused connect.
fn classify_error(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        return Outcome::Timeout;
    }
    if e.is_connect() {
        return Outcome::ConnectError;
    }
    let mut source = e.source();
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return Outcome::ConnectError;
        }
        let text = s.to_string();
        if text.contains("connection") || text.contains("closed") {
            return Outcome::ConnectError;
        }
        source = s.source();
    }
    Outcome::Other
}

impl Target for HttpTarget {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        async move {
            let Some(ping) = &self.ping_url else {
                return Ok(());
            };
            let not_ready = |reason: String| TargetError::NotReady {
                target: self.description.clone(),
                reason,
            };
            let resp = self
                .client
                .get(ping)
                .timeout(PING_TIMEOUT)
                .send()
                .await
                .map_err(|e| {
                    let mut msg = format!("GET {ping} failed: {e}");
                    let mut source = e.source();
                    while let Some(s) = source {
                        msg.push_str(&format!(": {s}"));
                        source = s.source();
                    }
                    not_ready(format!(
                        "{msg} (is the endpoint running? set `ping = false` in [target] to skip this check)"
                    ))
                })?;
            if !resp.status().is_success() {
                return Err(not_ready(format!(
                    "GET {ping} answered {} (the SageMaker container contract expects 200)",
                    resp.status()
                )));
            }
            Ok(())
        }
        .boxed()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        let request = self
            .client
            .request(self.method.clone(), self.url.clone())
            .body(payload);
        async move {
            match request.send().await {
                Ok(resp) => {
                    let outcome = Outcome::from_status(resp.status().as_u16());
                    // Read the body so the connection can be reused and the
                    // service time includes the whole response.
                    match resp.bytes().await {
                        Ok(_) => outcome,
                        Err(e) => classify_error(&e),
                    }
                }
                Err(e) => classify_error(&e),
            }
        }
        .boxed()
    }
}
