//! An AWS call's failure as one readable line for the journal and every
//! report: operation, error code, message, HTTP status
//! (`GetMetricData failed: InternalFailure: Service unavailable (HTTP 503
//! Service Unavailable)`; a response with no AWS error in it, such as a
//! load balancer's HTML page, is `no AWS error code (HTTP 503 Service
//! Unavailable)`).
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
            parts.push(e.code().unwrap_or("no AWS error code").to_string());
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
        let reason = hyper::StatusCode::from_u16(s)
            .ok()
            .and_then(|c| c.canonical_reason())
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        line.push_str(&format!(" (HTTP {s}{reason})"));
    }
    line
}

/// Whether the service answered with a server error (5xx): unavailable,
/// worth retrying every poll and saying so once.
pub fn is_unavailable<E>(e: &SdkError<E, HttpResponse>) -> bool {
    status_of(e).is_some_and(|s| (500..600).contains(&s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::error::ErrorMetadata;
    use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataError;
    use aws_sdk_s3::primitives::SdkBody;

    fn failed(status: u16, code: Option<&str>, message: Option<&str>) -> String {
        let mut meta = ErrorMetadata::builder();
        if let Some(c) = code {
            meta = meta.code(c);
        }
        if let Some(m) = message {
            meta = meta.message(m);
        }
        let e = SdkError::service_error(
            GetMetricDataError::generic(meta.build()),
            HttpResponse::new(status.try_into().unwrap(), SdkBody::from("<html>…</html>")),
        );
        error_line("GetMetricData", &e)
    }

    #[test]
    fn an_aws_error_is_one_line_of_code_message_and_status() {
        assert_eq!(
            failed(
                400,
                Some("InvalidParameterValue"),
                Some("The parameter\nStartTime is bad")
            ),
            "InvalidParameterValue: The parameter StartTime is bad (HTTP 400 Bad Request)"
        );
        assert_eq!(
            failed(503, None, None),
            "no AWS error code (HTTP 503 Service Unavailable)"
        );
        // A long message (an HTML page read as one) is cut, not dumped.
        let long = format!("<html>{}</html>", "x".repeat(400));
        let line = failed(500, Some("InternalFailure"), Some(&long));
        assert_eq!(
            line.chars().count(),
            "InternalFailure: ".len() + 160 + 1 + " (HTTP 500 Internal Server Error)".len()
        );
        assert!(
            line.ends_with("xxx… (HTTP 500 Internal Server Error)"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
