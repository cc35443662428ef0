//! An AWS call's failure as one readable line for the journal and every
//! report: operation, error code, message, HTTP status
//! (`GetMetricData failed: InternalFailure: Service unavailable (HTTP 503)`).
//! The SDK's full error (its `Debug` chain can hold a raw HTML body of
//! hundreds of characters) goes to stderr only with `SCALETRACE_DEBUG` set,
//! never into a report.

use aws_sdk_sagemakerruntime::config::http::HttpResponse;
use aws_sdk_sagemakerruntime::error::{ProvideErrorMetadata, SdkError};

/// Longest message kept (an HTML body is cut, not dumped).
const MAX_MESSAGE: usize = 160;

/// The HTTP status of the response, when one came back.
pub fn status_of<E>(e: &SdkError<E, HttpResponse>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

/// `InternalFailure: message (HTTP 500)`, or what kept a response from
/// coming back (`no response: timed out`).
pub fn error_line<E>(api: &str, e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if std::env::var_os("SCALETRACE_DEBUG").is_some() {
        eprintln!("scaletrace debug: {api}: {e:?}");
    }
    let status = status_of(e);
    let mut parts: Vec<String> = Vec::new();
    match e {
        SdkError::TimeoutError(_) => parts.push("no response: timed out".into()),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            parts.push("no response: timed out".into())
        }
        SdkError::DispatchFailure(_) => parts.push("no response: connection failed".into()),
        SdkError::ConstructionFailure(_) => parts.push("request could not be built".into()),
        _ => {
            parts.push(e.code().unwrap_or("unknown error").to_string());
            if let Some(m) = e
                .message()
                .map(|m| crate::aws::one_line(m.to_string()))
                .filter(|m| !m.is_empty())
            {
                let mut m: String = m.chars().take(MAX_MESSAGE).collect();
                if m.len() < e.message().map_or(0, str::len) {
                    m.push('…');
                }
                parts.push(m);
            }
        }
    }
    let mut line = parts.join(": ");
    if let Some(s) = status {
        line.push_str(&format!(" (HTTP {s})"));
    }
    line
}

/// Whether the service answered with a server error (5xx): unavailable,
/// worth retrying every poll and saying so once.
pub fn is_unavailable<E>(e: &SdkError<E, HttpResponse>) -> bool {
    status_of(e).is_some_and(|s| (500..600).contains(&s))
}
