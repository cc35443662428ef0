//! The HTTP target: any server speaking the SageMaker container contract
//! (`POST /invocations`, `GET /ping`), or any URL at all.
//!
//! Plain `http://` invocations go through a lean HTTP/1.1 client on hyper
//! ([`PlainHttp`]); `https://` ones, and the readiness check, through
//! reqwest. reqwest's pool (hyper-util's legacy client) parks every request
//! that finds no idle connection as a waiter *and* opens a connection for
//! it, and each such request cleans the whole waiter list when it gets its
//! connection: quadratic in the backlog, so a load generator that falls
//! behind for a moment (a busy machine, a slow endpoint) spends ever more
//! CPU per request and falls further behind. The lean client opens a
//! connection when none is idle and nothing else.

use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue, InvalidHeaderName,
    InvalidHeaderValue,
};

use super::{Target, TargetError};
use crate::outcome::Outcome;
use crate::profile::HttpTargetSpec;

/// How long the readiness check may take.
const PING_TIMEOUT: Duration = Duration::from_secs(10);

/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many connections are being opened at once; beyond it a
/// request waits for a connection to come back idle or for a connect to
/// finish. Without it, a burst of requests due at the same moment (a client
/// that fell behind for an instant) opens one connection each, and the
/// extra work makes it fall further behind.
const MAX_CONCURRENT_CONNECTS: usize = 4;

pub struct HttpTarget {
    client: reqwest::Client,
    url: reqwest::Url,
    ping_url: Option<String>,
    /// How the ping error says to skip the check.
    skip_ping: SkipPing,
    method: reqwest::Method,
    description: String,
    /// Set for `http://` URLs: the invocations' client.
    plain: Option<Arc<PlainHttp>>,
}

impl HttpTarget {
    pub fn new(spec: &HttpTargetSpec) -> Result<HttpTarget, TargetError> {
        let setup = |e: HttpSetupError| TargetError::setup_failed(&spec.url, e);
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(&spec.content_type)
                .map_err(|source| setup(HttpSetupError::ContentType { source }))?,
        );
        if let Some(accept) = &spec.accept {
            headers.insert(
                ACCEPT,
                HeaderValue::from_str(accept)
                    .map_err(|source| setup(HttpSetupError::Accept { source }))?,
            );
        }
        for (k, v) in &spec.headers {
            let name = HeaderName::from_bytes(k.as_bytes()).map_err(|source| {
                setup(HttpSetupError::HeaderName {
                    name: k.clone(),
                    source,
                })
            })?;
            let mut value = HeaderValue::from_str(v.expose()).map_err(|source| {
                setup(HttpSetupError::HeaderValue {
                    name: k.clone(),
                    source,
                })
            })?;
            // Profile headers may be tokens: kept out of the HTTP stack's
            // own `Debug` output too.
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers.clone())
            // Load traffic must go exactly where the profile says.
            .no_proxy()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| setup(HttpSetupError::Client(e)))?;
        let url = reqwest::Url::parse(&spec.url).map_err(|e| setup(HttpSetupError::Url(e)))?;
        let method = reqwest::Method::from_bytes(spec.method.as_bytes())
            .map_err(|e| setup(HttpSetupError::Method(e)))?;
        let plain = if url.scheme() == "http" {
            Some(Arc::new(
                PlainHttp::new(&url, method.clone(), headers).map_err(setup)?,
            ))
        } else {
            None
        };
        Ok(HttpTarget {
            client,
            description: format!("http {} {}", spec.method, spec.url),
            url,
            ping_url: spec.ping_url.clone(),
            skip_ping: SkipPing::default(),
            method,
            plain,
        })
    }
}

impl HttpTarget {
    /// How the ping error's hint says to skip the check (default: the
    /// `--no-ping` flag).
    pub fn skip_ping_by(mut self, skip: SkipPing) -> HttpTarget {
        self.skip_ping = skip;
        self
    }
}

type UrlError = <reqwest::Url as std::str::FromStr>::Err;
type MethodError = <reqwest::Method as std::str::FromStr>::Err;
type UriError = <hyper::Uri as std::str::FromStr>::Err;

/// Why the profile's `[target]` does not make an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("content_type: {source}")]
    ContentType { source: InvalidHeaderValue },
    #[error("accept: {source}")]
    Accept { source: InvalidHeaderValue },
    #[error("header {name:?}: {source}")]
    HeaderName {
        name: String,
        source: InvalidHeaderName,
    },
    #[error("header {name:?}: {source}")]
    HeaderValue {
        name: String,
        source: InvalidHeaderValue,
    },
    #[error("{0}")]
    Client(#[source] reqwest::Error),
    #[error("url: {0}")]
    Url(#[source] UrlError),
    #[error("{0}")]
    Method(#[source] MethodError),
    #[error("url: no host")]
    NoHost,
    /// The path and query do not make an origin-form URI.
    #[error("url: {0}")]
    Uri(#[source] UriError),
    /// The host and port do not make a `Host` header.
    #[error("url: {0}")]
    Authority(#[source] InvalidHeaderValue),
}

/// How the user can skip `GET /ping`, as the ping error's hint names it:
/// only what the command line gave. A bare `--url` has no profile to set
/// `ping = false` in (so: `--no-ping`); a profile has the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SkipPing {
    /// No profile file: `run --url`.
    #[default]
    Flag,
    /// The profile file the target came from.
    Field(PathBuf),
}

impl SkipPing {
    /// From the profile's file (`None` for a bare `--url`).
    pub fn of(profile: Option<&Path>) -> SkipPing {
        profile.map_or(SkipPing::Flag, |p| SkipPing::Field(p.to_path_buf()))
    }

    /// "pass --no-ping", "set `ping = false` in [target] of p.toml".
    fn how(&self) -> String {
        match self {
            SkipPing::Flag => "pass --no-ping".into(),
            SkipPing::Field(p) => format!("set `ping = false` in [target] of {}", p.display()),
        }
    }

    /// Where the URL came from, for "is the endpoint at … running?": a
    /// profile's URL may be its own or `--url`'s, so it is not named.
    fn at(&self) -> &'static str {
        match self {
            SkipPing::Flag => " at --url",
            SkipPing::Field(_) => "",
        }
    }
}

/// Why `GET /ping` says the server cannot take traffic.
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    /// The message has reqwest's whole chain (the connect error under it is
    /// what tells a user what went wrong), as the CLI prints only the top
    /// error.
    #[error(
        "GET {url} failed: {} (is the endpoint{} running? to skip this check, {})",
        chain(.source),
        .skip.at(),
        .skip.how()
    )]
    Failed {
        url: String,
        #[source]
        source: reqwest::Error,
        skip: SkipPing,
    },
    #[error(
        "GET {url} answered {status} (the SageMaker container contract expects 200; to skip this check, {})",
        .skip.how()
    )]
    Status {
        url: String,
        status: reqwest::StatusCode,
        skip: SkipPing,
    },
}

/// An error and its sources, `: `-separated.
fn chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    msg
}

type Sender = SendRequest<Full<Bytes>>;

/// A lean HTTP/1.1 client for one `http://` URL: keep-alive connections in a
/// last-in-first-out idle list (so as few as the load needs stay warm); a
/// request takes an idle one or, when none is, opens its own.
struct PlainHttp {
    host: String,
    port: u16,
    method: reqwest::Method,
    /// Origin form: path and query.
    uri: hyper::Uri,
    /// Every header sent, `Host` included.
    headers: HeaderMap,
    idle: Mutex<Vec<Sender>>,
    /// Slots for connections being opened.
    connects: tokio::sync::Semaphore,
    /// Signalled when a connection goes back to the idle list.
    returned: tokio::sync::Notify,
}

impl PlainHttp {
    fn new(
        url: &reqwest::Url,
        method: reqwest::Method,
        mut headers: HeaderMap,
    ) -> Result<PlainHttp, HttpSetupError> {
        let Some(host_str) = url.host_str() else {
            return Err(HttpSetupError::NoHost);
        };
        // An IPv6 address comes in brackets.
        let host = host_str
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let authority = match url.port() {
            Some(p) => format!("{host_str}:{p}"),
            None => host_str.to_string(),
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path.push('?');
            path.push_str(q);
        }
        let uri = path.parse().map_err(HttpSetupError::Uri)?;
        headers.insert(
            HOST,
            HeaderValue::from_str(&authority).map_err(HttpSetupError::Authority)?,
        );
        // What reqwest sends by default.
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        Ok(PlainHttp {
            host,
            port,
            method,
            uri,
            headers,
            idle: Mutex::new(Vec::new()),
            connects: tokio::sync::Semaphore::new(MAX_CONCURRENT_CONNECTS),
            returned: tokio::sync::Notify::new(),
        })
    }

    async fn invoke(self: Arc<Self>, payload: Bytes) -> Outcome {
        let mut request = hyper::Request::new(Full::new(payload));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        loop {
            let (mut sender, reused) = match self.checkout().await {
                Ok(s) => s,
                Err(outcome) => return outcome,
            };
            match sender.try_send_request(request).await {
                Ok(resp) => {
                    let outcome = Outcome::from_status(resp.status().as_u16());
                    // Read the body so the connection can be reused and the
                    // service time includes the whole response.
                    let mut body = resp.into_body();
                    while let Some(frame) = body.frame().await {
                        if let Err(e) = frame {
                            return classify_hyper_error(&e);
                        }
                    }
                    self.idle.lock().expect("pool lock").push(sender);
                    self.returned.notify_one();
                    return outcome;
                }
                Err(mut e) => match e.take_message() {
                    // An idle connection the server closed just now hands
                    // the request back unsent: send it on another one.
                    Some(unsent) if reused => request = unsent,
                    _ => return classify_hyper_error(e.error()),
                },
            }
        }
    }

    /// An idle connection ready for a request (`true`), or a new one.
    async fn checkout(&self) -> Result<(Sender, bool), Outcome> {
        loop {
            if let Some(sender) = self.take_idle().await {
                return Ok((sender, true));
            }
            tokio::select! {
                biased;
                _ = self.returned.notified() => continue,
                permit = self.connects.acquire() => {
                    let _permit = permit.expect("the connect semaphore is never closed");
                    // One may have come back while this request waited.
                    if let Some(sender) = self.take_idle().await {
                        return Ok((sender, true));
                    }
                    return self.connect().await.map(|s| (s, false));
                }
            }
        }
    }

    /// The most recently used idle connection that is still open.
    async fn take_idle(&self) -> Option<Sender> {
        loop {
            let mut sender = self.idle.lock().expect("pool lock").pop()?;
            if !sender.is_closed() && sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    async fn connect(&self) -> Result<Sender, Outcome> {
        let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(s)) => s,
            Ok(Err(_)) => return Err(Outcome::ConnectError),
            Err(_) => return Err(Outcome::Timeout),
        };
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| classify_hyper_error(&e))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Classifies a transport error on the plain-HTTP path, as [`classify_error`]
/// does for reqwest's: a reset or a connection closed before the response
/// is a connection error.
fn classify_hyper_error(e: &hyper::Error) -> Outcome {
    if e.is_timeout() {
        return Outcome::Timeout;
    }
    if e.is_canceled() || e.is_closed() || e.is_incomplete_message() {
        return Outcome::ConnectError;
    }
    let mut source = e.source();
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return Outcome::ConnectError;
        }
        source = s.source();
    }
    Outcome::Other
}

/// Classifies a transport error. A reset or a connection closed before the
/// response is a connection error, like a refused connect.
pub(super) fn classify_error(e: &reqwest::Error) -> Outcome {
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

impl HttpTarget {
    /// An invocation through reqwest with the profile's method and
    /// headers, for the streaming target ([`super::http_stream`]), which
    /// reads the body part by part.
    pub(super) fn request(&self, payload: Bytes) -> reqwest::RequestBuilder {
        self.client
            .request(self.method.clone(), self.url.clone())
            .body(payload)
    }
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
            let not_ready = |e: PingError| TargetError::unready(&self.description, e);
            let resp = self
                .client
                .get(ping)
                .timeout(PING_TIMEOUT)
                .send()
                .await
                .map_err(|source| {
                    not_ready(PingError::Failed {
                        url: ping.clone(),
                        source,
                        skip: self.skip_ping.clone(),
                    })
                })?;
            if !resp.status().is_success() {
                return Err(not_ready(PingError::Status {
                    url: ping.clone(),
                    status: resp.status(),
                    skip: self.skip_ping.clone(),
                }));
            }
            Ok(())
        }
        .boxed()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        if let Some(plain) = &self.plain {
            return plain.clone().invoke(payload).boxed();
        }
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
