//! `[target]`: the kind of target, and for `kind = "http"` its URL and
//! headers. Header values may be secrets (`Authorization`, `X-Api-Key`):
//! [`HeaderValue`] keeps the value for the target to send and shows
//! `"<redacted>"` to everything else (`run.json`, every report, `Debug` in
//! log lines), and `{ env = "VAR" }` keeps the secret out of the profile.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};
use toml::Spanned;

use super::raw::{RawHeaderValue, RawTarget};
use super::{Ctx, ProfileError, TargetSpec, aws};

/// What a header value is written as, anywhere but on the wire.
pub const REDACTED: &str = "<redacted>";

/// A `[target] headers` value: sent as it is, written nowhere. Its
/// `Serialize` and `Debug` give [`REDACTED`], so `run.json` keeps the
/// header's name with a placeholder (the same JSON shape as before), and
/// only [`HeaderValue::expose`] reads the value.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderValue {
    value: String,
}

impl HeaderValue {
    pub fn new(value: impl Into<String>) -> HeaderValue {
        HeaderValue {
            value: value.into(),
        }
    }

    /// The value to send. The one reader: the HTTP target.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for HeaderValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpTargetSpec {
    /// Full invocation URL (`/invocations` appended when the URL has no path).
    pub url: String,
    /// The readiness URL (`/ping` on the same origin), when checked.
    pub ping_url: Option<String>,
    pub method: String,
    /// Extra request headers. Values are redacted wherever the profile is
    /// written ([`HeaderValue`]); only the target sends them.
    pub headers: BTreeMap<String, HeaderValue>,
    pub content_type: String,
    pub accept: Option<String>,
    /// `stream = true`: read the body part by part (time to first token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<super::stream::StreamSpec>,
}

/// Why a string is not an HTTP target URL (`--url`, `target.url`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("{url:?} must start with http:// or https://")]
    Scheme { url: String },
    #[error("{url:?} has no host")]
    NoHost { url: String },
}

pub(super) fn target_spec(ctx: &Ctx, t: &Spanned<RawTarget>) -> Result<TargetSpec, ProfileError> {
    let raw = t.get_ref();
    let kind = match &raw.kind {
        Some(k) => k,
        None => {
            return Err(ctx.err(
                Some(t.span()),
                "target.kind",
                "missing; one of \"http\", \"sagemaker\", \"sagemaker-async\", \"sim\"",
            ));
        }
    };
    match kind.get_ref().as_str() {
        "sagemaker" => Ok(TargetSpec::SageMaker(aws::sagemaker(ctx, t)?)),
        "sagemaker-async" => Ok(TargetSpec::SageMakerAsync(aws::sagemaker_async(ctx, t)?)),
        "http" => {
            aws::reject_aws_fields(ctx, t, "http")?;
            let url = raw.url.as_ref().ok_or_else(|| {
                ctx.err(
                    Some(t.span()),
                    "target.url",
                    "missing; kind = \"http\" needs the endpoint's URL, e.g. url = \"http://127.0.0.1:8080\"",
                )
            })?;
            let (invoke_url, origin) = invocation_url(url.get_ref())
                .map_err(|e| ctx.err(Some(url.span()), "target.url", e.to_string()))?;
            let method = match &raw.method {
                Some(m) => {
                    let upper = m.get_ref().to_ascii_uppercase();
                    if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&upper.as_str()) {
                        return Err(ctx.err(
                            Some(m.span()),
                            "target.method",
                            format!("unsupported method {:?}", m.get_ref()),
                        ));
                    }
                    upper
                }
                None => "POST".into(),
            };
            Ok(TargetSpec::Http(HttpTargetSpec {
                url: invoke_url,
                ping_url: raw.ping.unwrap_or(true).then(|| format!("{origin}/ping")),
                method,
                headers: match &raw.headers {
                    Some(h) => headers(ctx, h)?,
                    None => BTreeMap::new(),
                },
                content_type: raw
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/json".into()),
                accept: raw.accept.clone(),
                stream: super::stream::from_raw(ctx, &raw.stream, &raw.tokens)?,
            }))
        }
        "sim" => {
            aws::reject_aws_fields(ctx, t, "sim")?;
            aws::reject_present(ctx, t, [
                ("url", raw.url.is_some()),
                ("method", raw.method.is_some()),
                ("stream", raw.stream.is_some()),
                ("tokens", raw.tokens.is_some()),
            ], "not used with kind = \"sim\" (configure the endpoint in [sim])")?;
            // `[sim]`, validated by the caller, replaces the default.
            Ok(TargetSpec::Sim(Box::default()))
        }
        other => Err(ctx.err(
            Some(kind.span()),
            "target.kind",
            format!(
                "unknown kind {other:?}; one of \"http\", \"sagemaker\", \"sagemaker-async\", \"sim\""
            ),
        )),
    }
}

/// `http://host:port` → (`http://host:port/invocations`, `http://host:port`);
/// a URL with a path is used as it is.
pub(super) fn invocation_url(url: &str) -> Result<(String, String), UrlError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| UrlError::Scheme {
            url: url.to_string(),
        })?;
    let scheme_len = url.len() - rest.len();
    let host_end = rest.find('/').unwrap_or(rest.len());
    if host_end == 0 {
        return Err(UrlError::NoHost {
            url: url.to_string(),
        });
    }
    let origin = &url[..scheme_len + host_end];
    let path = &rest[host_end..];
    let full = if path.is_empty() || path == "/" {
        format!("{origin}/invocations")
    } else {
        url.to_string()
    };
    Ok((full, origin.to_string()))
}

/// `headers = { Name = "value", Other = { env = "VAR" } }`. A variable is
/// read here, at validation, so a missing one is bad input naming the field
/// rather than a request without its header.
fn headers(
    ctx: &Ctx,
    h: &Spanned<BTreeMap<String, Spanned<RawHeaderValue>>>,
) -> Result<BTreeMap<String, HeaderValue>, ProfileError> {
    let mut out = BTreeMap::new();
    for (name, v) in h.get_ref() {
        let field = format!("target.headers.{name}");
        let value = match v.get_ref() {
            RawHeaderValue::Value(s) => s.clone(),
            RawHeaderValue::Env(var) => std::env::var(var).map_err(|e| {
                let why = match e {
                    std::env::VarError::NotPresent => "is not set",
                    std::env::VarError::NotUnicode(_) => "is not valid Unicode",
                };
                ctx.err(
                    Some(v.span()),
                    &field,
                    format!("environment variable {var} {why}"),
                )
            })?,
        };
        out.insert(name.clone(), HeaderValue::new(value));
    }
    Ok(out)
}
