//! The HTTP target with `stream = true`: for local model servers that
//! stream their answer (chunked transfer encoding, server-sent events).
//! Each body chunk as hyper hands it over is a part; readiness and request
//! set-up are [`HttpTarget`]'s.
//!
//! Streams go through reqwest (not the lean plain-HTTP client), since
//! the cost that client avoids (reqwest's pool under a backlog of
//! thousands of short requests) does not arise at LLM request rates.

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;

use super::http::{HttpTarget, classify_error};
use super::stream::{PartTracker, Reply};
use super::{Target, TargetError};
use crate::outcome::Outcome;
use crate::profile::HttpTargetSpec;
use crate::profile::stream::StreamSpec;

pub struct HttpStreamTarget {
    inner: HttpTarget,
    stream: StreamSpec,
}

impl HttpStreamTarget {
    pub fn new(
        spec: &HttpTargetSpec,
        stream: &StreamSpec,
    ) -> Result<HttpStreamTarget, TargetError> {
        Ok(HttpStreamTarget {
            inner: HttpTarget::new(spec)?,
            stream: stream.clone(),
        })
    }
}

impl HttpStreamTarget {
    /// As [`HttpTarget::skip_ping_by`].
    pub fn skip_ping_by(mut self, skip: super::http::SkipPing) -> HttpStreamTarget {
        self.inner = self.inner.skip_ping_by(skip);
        self
    }
}

impl Target for HttpStreamTarget {
    fn describe(&self) -> String {
        format!("{} (streamed)", self.inner.describe())
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        self.inner.ready()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        self.invoke_reply(payload).map(|r| r.outcome).boxed()
    }

    fn invoke_reply(&self, payload: Bytes) -> BoxFuture<'static, Reply> {
        let request = self.inner.request(payload);
        let mut tracker = PartTracker::new(&self.stream.tokens);
        async move {
            let mut resp = match request.send().await {
                Ok(r) => r,
                Err(e) => return Reply::whole(classify_error(&e)),
            };
            let status = Outcome::from_status(resp.status().as_u16());
            let outcome = loop {
                match resp.chunk().await {
                    Ok(Some(part)) => tracker.part(&part),
                    Ok(None) => break status,
                    // A stream cut part-way: the parts so far still count.
                    Err(e) => break classify_error(&e),
                }
            };
            Reply {
                outcome,
                // An error status's body is not the model's answer.
                stream: (status == Outcome::Ok).then(|| tracker.finish()),
            }
        }
        .boxed()
    }
}
