//! The asynchronous SageMaker target: payloads go to S3, `InvokeEndpointAsync`
//! queues them, and each request is followed to its end by looking for the
//! object at its OutputLocation (success) or FailureLocation (failure).
//!
//! - **Inputs.** Each distinct payload is uploaded once under
//!   `input_s3_uri/<run id>/`, or, with `unique_inputs = true`, one object per
//!   request (for endpoints that cache, or to tell requests apart in S3).
//! - **Following requests.** One shared poller task (not a loop per request)
//!   holds every pending request in a queue ordered by when it is next due,
//!   checks due ones in batches with `HeadObject`, and paces every S3 call
//!   through one governor rate limiter (`s3_requests_per_second`). A request
//!   is first checked 100 ms after submission, then at doubling waits up to
//!   `output_poll_max`; latencies are therefore late by at most that wait.
//!   S3 throttling (SlowDown) backs the whole poller off.
//! - **Outcomes.** Output visible → `ok`, latency = submission → output
//!   seen. Failure object visible → `model_error`; its first bytes are the
//!   reason, counted per distinct reason and written to the journal as
//!   `warning` lines at the end of the run ([`Target::notes`]). Upload or
//!   invocation errors map like the real-time target's.
//! - **Bounded memory.** A pending request is a few hundred bytes and the
//!   invoker's `max_in_flight` caps how many exist; a request the invoker
//!   gave up on (`load.timeout`) is dropped by the poller at its next check.
//! - **The end.** After the last send the run waits at most `drain_timeout`;
//!   requests still pending are reported as `unfinished` in the summary.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::head_bucket::HeadBucketError;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OnceCell, mpsc, oneshot};
use tokio::time::Instant;

use super::{Target, TargetError};
use crate::aws;
use crate::outcome::Outcome;
use crate::profile::aws::{SageMakerAsyncTargetSpec, parse_s3_uri};

/// First check of a request's output, after submission.
const FIRST_CHECK: Duration = Duration::from_millis(100);
/// Requests checked together at most.
const BATCH: usize = 32;
/// Distinct failure reasons kept (the rest are counted together).
const MAX_REASONS: usize = 20;
/// Bytes of a failure object kept as its reason.
const REASON_BYTES: usize = 300;
/// Pause for the whole poller after S3 says SlowDown.
const THROTTLE_PAUSE: Duration = Duration::from_secs(2);

pub struct SageMakerAsyncTarget {
    inner: Arc<Inner>,
    description: String,
}

struct Inner {
    runtime: aws_sdk_sagemakerruntime::Client,
    s3: aws_sdk_s3::Client,
    control: aws_sdk_sagemaker::Client,
    config: SdkConfig,
    spec: SageMakerAsyncTargetSpec,
    bucket: String,
    /// `<input prefix><run id>/`
    prefix: String,
    run_id: String,
    seq: AtomicU64,
    /// Payload hash → its uploaded object's URI (each uploaded once).
    uploaded: Mutex<HashMap<u64, Arc<OnceCell<String>>>>,
    poller: mpsc::Sender<Pending>,
    failures: Arc<Mutex<FailureLog>>,
}

/// Failure reasons and how often each came.
#[derive(Default)]
struct FailureLog {
    reasons: BTreeMap<String, u64>,
    other: u64,
    /// Reasons seen for the first time and not yet journaled.
    fresh: Vec<String>,
}

impl FailureLog {
    fn add(&mut self, reason: String) {
        if let Some(n) = self.reasons.get_mut(&reason) {
            *n += 1;
        } else if self.reasons.len() < MAX_REASONS {
            self.fresh.push(reason.clone());
            self.reasons.insert(reason, 1);
        } else {
            self.other += 1;
        }
    }
}

/// `s3://bucket/key` split.
#[derive(Debug, Clone)]
struct S3Loc {
    bucket: String,
    key: String,
}

impl S3Loc {
    fn parse(uri: &str) -> Option<S3Loc> {
        let rest = uri.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/')?;
        Some(S3Loc {
            bucket: bucket.into(),
            key: key.into(),
        })
    }
}

type HeadBucketSdkError = SdkError<HeadBucketError, HttpResponse>;

/// The input bucket cannot be reached (the readiness check's HeadBucket).
#[derive(Debug, thiserror::Error)]
#[error("input bucket {bucket:?} is not reachable: {}", describe(.source))]
pub struct BucketUnreachable {
    bucket: String,
    /// The message has its whole chain on one line, as the CLI prints only
    /// the top error.
    #[source]
    source: Box<HeadBucketSdkError>,
}

fn describe(e: &HeadBucketSdkError) -> String {
    aws::describe_error(e)
}

/// How an async request ended, as the poller found it in S3. A failure's
/// reason goes to the failure log (the run's warnings), not to the invoker,
/// which only counts it as a model error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    Output,
    Failure,
}

/// One request waiting for its output.
struct Pending {
    output: S3Loc,
    failure: Option<S3Loc>,
    due: Instant,
    wait: Duration,
    seq: u64,
    /// What the poller found. Closed when the invoker gave up on the
    /// request.
    done: oneshot::Sender<Ended>,
}

/// Orders the poller's queue by due time (earliest first).
struct Due(Pending);

impl PartialEq for Due {
    fn eq(&self, o: &Self) -> bool {
        (self.0.due, self.0.seq) == (o.0.due, o.0.seq)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Due {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        Reverse((self.0.due, self.0.seq)).cmp(&Reverse((o.0.due, o.0.seq)))
    }
}

impl SageMakerAsyncTarget {
    /// Builds the target from the standard AWS chain and the profile's
    /// overrides. Must run inside a tokio runtime (it starts the poller).
    pub async fn new(spec: &SageMakerAsyncTargetSpec) -> Result<SageMakerAsyncTarget, TargetError> {
        let config = aws::load_config(&spec.aws).await;
        SageMakerAsyncTarget::with_config(spec, config)
    }

    /// Builds the target on a given SDK configuration.
    pub fn with_config(
        spec: &SageMakerAsyncTargetSpec,
        config: SdkConfig,
    ) -> Result<SageMakerAsyncTarget, TargetError> {
        let (bucket, prefix) =
            parse_s3_uri(&spec.input_s3_uri).map_err(|e| TargetError::SetupFailed {
                target: spec.endpoint_name.clone(),
                source: Box::new(e),
            })?;
        let run_id = format!(
            "scaletrace-{}-{:04x}",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ"),
            rand::random::<u16>()
        );
        let s3 = aws::s3_client(&config);
        let failures = Arc::new(Mutex::new(FailureLog::default()));
        let (tx, rx) = mpsc::channel(1024);
        // Each S3 call waits for the limiter; bursts up to one second's worth.
        let rps = spec.s3_requests_per_second;
        let quota = Quota::with_period(Duration::from_secs_f64(1.0 / rps))
            .expect("rate is positive")
            .allow_burst(NonZeroU32::new(rps.ceil() as u32).unwrap_or(NonZeroU32::MIN));
        tokio::spawn(poller(
            rx,
            s3.clone(),
            Arc::new(RateLimiter::direct(quota)),
            spec.output_poll_max,
            failures.clone(),
        ));
        let description = format!(
            "sagemaker-async {} ({}, inputs {})",
            spec.endpoint_name,
            aws::region_of(&config),
            spec.input_s3_uri
        );
        Ok(SageMakerAsyncTarget {
            inner: Arc::new(Inner {
                runtime: aws::runtime_client(&config),
                control: crate::aws::sagemaker_client(&config),
                s3,
                config,
                spec: spec.clone(),
                bucket,
                prefix: format!("{prefix}{run_id}/"),
                run_id,
                seq: AtomicU64::new(0),
                uploaded: Mutex::new(HashMap::new()),
                poller: tx,
                failures,
            }),
            description,
        })
    }
}

impl Inner {
    /// The input object for this request: uploaded now (unique inputs) or
    /// once per distinct payload.
    async fn input_location(&self, payload: Bytes, seq: u64) -> Result<String, Outcome> {
        if self.spec.unique_inputs {
            let key = format!("{}{seq:08}.in", self.prefix);
            return self.upload(&key, payload).await;
        }
        let mut h = DefaultHasher::new();
        payload.hash(&mut h);
        let hash = h.finish();
        let cell = self
            .uploaded
            .lock()
            .expect("upload map lock")
            .entry(hash)
            .or_default()
            .clone();
        let key = format!("{}payload-{hash:016x}.in", self.prefix);
        cell.get_or_try_init(|| self.upload(&key, payload))
            .await
            .cloned()
    }

    async fn upload(&self, key: &str, payload: Bytes) -> Result<String, Outcome> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(&self.spec.content_type)
            .body(ByteStream::from(payload))
            .send()
            .await
            .map_err(|e| aws::classify(&e))?;
        Ok(format!("s3://{}/{key}", self.bucket))
    }

    async fn invoke(self: Arc<Self>, payload: Bytes) -> Outcome {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let input = match self.input_location(payload, seq).await {
            Ok(l) => l,
            Err(o) => return o,
        };
        let s = &self.spec;
        let sent = self
            .runtime
            .invoke_endpoint_async()
            .endpoint_name(&s.endpoint_name)
            .input_location(input)
            .inference_id(format!("{}-{seq}", self.run_id))
            .content_type(&s.content_type)
            .set_accept(s.accept.clone())
            .set_custom_attributes(s.custom_attributes.clone())
            .set_request_ttl_seconds(s.request_ttl.map(|d| d.as_secs() as i32))
            .set_invocation_timeout_seconds(s.invocation_timeout.map(|d| d.as_secs() as i32))
            .send()
            .await;
        let out = match sent {
            Ok(o) => o,
            Err(e) => return aws::classify(&e),
        };
        let Some(output) = out.output_location().and_then(S3Loc::parse) else {
            return Outcome::Other;
        };
        let (done, finished) = oneshot::channel();
        let pending = Pending {
            output,
            failure: out.failure_location().and_then(S3Loc::parse),
            due: Instant::now() + FIRST_CHECK,
            wait: FIRST_CHECK,
            seq,
            done,
        };
        if self.poller.send(pending).await.is_err() {
            return Outcome::Other;
        }
        match finished.await {
            Ok(Ended::Output) => Outcome::Ok,
            Ok(Ended::Failure) => Outcome::ModelError,
            Err(_) => Outcome::Other,
        }
    }
}

/// What one check found.
enum Seen {
    Present,
    Absent,
    Throttled,
}

async fn head(s3: &aws_sdk_s3::Client, limiter: &DefaultDirectRateLimiter, loc: &S3Loc) -> Seen {
    limiter.until_ready().await;
    match s3
        .head_object()
        .bucket(&loc.bucket)
        .key(&loc.key)
        .send()
        .await
    {
        Ok(_) => Seen::Present,
        Err(e) if aws::is_throttling(&e) => Seen::Throttled,
        Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
            Some(503) => Seen::Throttled,
            // 404, or 403 without s3:ListBucket: not there yet. Anything
            // else: look again later.
            _ => Seen::Absent,
        },
    }
}

async fn failure_reason(
    s3: &aws_sdk_s3::Client,
    limiter: &DefaultDirectRateLimiter,
    loc: &S3Loc,
) -> String {
    limiter.until_ready().await;
    let got = s3
        .get_object()
        .bucket(&loc.bucket)
        .key(&loc.key)
        .range(format!("bytes=0-{}", REASON_BYTES - 1))
        .send()
        .await;
    let text = match got {
        Ok(o) => match o.body.collect().await {
            Ok(b) => String::from_utf8_lossy(&b.into_bytes()).into_owned(),
            Err(e) => format!("(could not read the failure object: {e})"),
        },
        Err(e) => format!(
            "(could not read the failure object: {})",
            aws::describe_error(&e)
        ),
    };
    let mut line = aws::one_line(text);
    if line.len() > REASON_BYTES {
        let cut = (0..=REASON_BYTES)
            .rev()
            .find(|i| line.is_char_boundary(*i))
            .unwrap_or(0);
        line.truncate(cut);
    }
    if line.is_empty() {
        "(empty failure object)".into()
    } else {
        line
    }
}

/// Checks one request; gives it back (rescheduled) while it is unfinished.
async fn check(
    mut p: Pending,
    s3: &aws_sdk_s3::Client,
    limiter: &DefaultDirectRateLimiter,
    max_wait: Duration,
    failures: &Mutex<FailureLog>,
) -> (Option<Pending>, bool) {
    if p.done.is_closed() {
        return (None, false);
    }
    let mut throttled = false;
    match head(s3, limiter, &p.output).await {
        Seen::Present => {
            let _ = p.done.send(Ended::Output);
            return (None, false);
        }
        Seen::Throttled => throttled = true,
        Seen::Absent => {}
    }
    if let (false, Some(f)) = (throttled, &p.failure) {
        match head(s3, limiter, f).await {
            Seen::Present => {
                let reason = failure_reason(s3, limiter, f).await;
                failures.lock().expect("failure log lock").add(reason);
                let _ = p.done.send(Ended::Failure);
                return (None, false);
            }
            Seen::Throttled => throttled = true,
            Seen::Absent => {}
        }
    }
    p.wait = (p.wait * 2).min(max_wait);
    p.due = Instant::now() + p.wait;
    (Some(p), throttled)
}

/// The one task that follows every pending request.
async fn poller(
    mut rx: mpsc::Receiver<Pending>,
    s3: aws_sdk_s3::Client,
    limiter: Arc<DefaultDirectRateLimiter>,
    max_wait: Duration,
    failures: Arc<Mutex<FailureLog>>,
) {
    let mut queue: BinaryHeap<Due> = BinaryHeap::new();
    let mut open = true;
    loop {
        let next_due = queue.peek().map(|d| d.0.due);
        tokio::select! {
            biased;
            msg = rx.recv(), if open => match msg {
                Some(p) => queue.push(Due(p)),
                None => open = false,
            },
            _ = tokio::time::sleep_until(next_due.unwrap_or_else(Instant::now)), if next_due.is_some() => {}
            else => return,
        }
        let now = Instant::now();
        let mut batch = Vec::new();
        while batch.len() < BATCH && queue.peek().is_some_and(|d| d.0.due <= now) {
            batch.push(queue.pop().expect("peeked").0);
        }
        if batch.is_empty() {
            continue;
        }
        let checks = batch
            .into_iter()
            .map(|p| check(p, &s3, &limiter, max_wait, &failures));
        let mut throttled = false;
        for (back, t) in futures::future::join_all(checks).await {
            throttled |= t;
            if let Some(p) = back {
                queue.push(Due(p));
            }
        }
        if throttled {
            tokio::time::sleep(THROTTLE_PAUSE).await;
        }
    }
}

impl Target for SageMakerAsyncTarget {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn ready(&self) -> BoxFuture<'_, Result<(), TargetError>> {
        async move {
            let i = &self.inner;
            super::sagemaker::check_endpoint(
                &i.control,
                &i.config,
                &i.spec.endpoint_name,
                super::sagemaker::NamedBy::Profile,
            )
            .await
            .map_err(|e| TargetError::unready(&self.description, e))?;
            i.s3.head_bucket()
                .bucket(&i.bucket)
                .send()
                .await
                .map_err(|e| {
                    TargetError::unready(
                        &self.description,
                        BucketUnreachable {
                            bucket: i.bucket.clone(),
                            source: Box::new(e),
                        },
                    )
                })?;
            Ok(())
        }
        .boxed()
    }

    fn invoke(&self, payload: Bytes) -> BoxFuture<'static, Outcome> {
        self.inner.clone().invoke(payload).boxed()
    }

    fn fresh_notes(&self) -> Vec<String> {
        let mut log = self.inner.failures.lock().expect("failure log lock");
        std::mem::take(&mut log.fresh)
            .into_iter()
            .map(|reason| format!("async request failed (first of its kind): {reason}"))
            .collect()
    }

    fn notes(&self) -> Vec<String> {
        let log = self.inner.failures.lock().expect("failure log lock");
        let mut notes: Vec<String> = log
            .reasons
            .iter()
            .map(|(reason, n)| format!("{n} async request(s) failed: {reason}"))
            .collect();
        if log.other > 0 {
            notes.push(format!(
                "{} async request(s) failed for other reasons (only {MAX_REASONS} distinct reasons are kept)",
                log.other
            ));
        }
        notes
    }
}
