//! `[target]` sections for real SageMaker endpoints: `kind = "sagemaker"`
//! (InvokeEndpoint) and `kind = "sagemaker-async"` (InvokeEndpointAsync with
//! S3 input and output).
//!
//! Region and credentials come from the standard AWS chain (environment,
//! `~/.aws` profiles and SSO, container and instance roles); `region`,
//! `profile` and `endpoint_url` override it.

use std::time::Duration;

use serde::Serialize;
use toml::Spanned;

use super::raw::{DurationValue, RawTarget};
use super::{Ctx, ProfileError};

/// How long the run waits, after the last send, for async requests still
/// pending before it reports them as unfinished.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(300);
/// For async targets, `load.timeout` (how long one request may take from
/// submission to output) defaults to SageMaker's longest
/// InvocationTimeoutSeconds.
pub const ASYNC_DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// Default cap on S3 calls per second made to follow async requests.
pub const DEFAULT_S3_RPS: f64 = 50.0;
/// Default longest wait between two checks of one async request's output.
pub const DEFAULT_OUTPUT_POLL_MAX: Duration = Duration::from_secs(5);

/// Where the AWS clients connect.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AwsSpec {
    /// Overrides the chain's region (`AWS_REGION`, the profile's region).
    pub region: Option<String>,
    /// A named profile from `~/.aws/config` (instead of `AWS_PROFILE`).
    pub profile: Option<String>,
    /// Sends every AWS call here (a local AWS API server, a VPC endpoint).
    pub endpoint_url: Option<String>,
}

/// `kind = "sagemaker"`: InvokeEndpoint.
#[derive(Debug, Clone, Serialize)]
pub struct SageMakerTargetSpec {
    pub endpoint_name: String,
    pub target_variant: Option<String>,
    pub target_model: Option<String>,
    pub inference_component: Option<String>,
    pub content_type: String,
    pub accept: Option<String>,
    pub custom_attributes: Option<String>,
    pub aws: AwsSpec,
    /// `stream = true`: InvokeEndpointWithResponseStream instead of
    /// InvokeEndpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<super::stream::StreamSpec>,
}

/// `kind = "sagemaker-async"`: InvokeEndpointAsync, payloads in S3.
#[derive(Debug, Clone, Serialize)]
pub struct SageMakerAsyncTargetSpec {
    pub endpoint_name: String,
    pub content_type: String,
    pub accept: Option<String>,
    pub custom_attributes: Option<String>,
    pub inference_component: Option<String>,
    /// `s3://bucket/prefix/`: where payloads are uploaded.
    pub input_s3_uri: String,
    /// One input object per request (otherwise each distinct payload is
    /// uploaded once and reused).
    pub unique_inputs: bool,
    /// RequestTTLSeconds (60 s to 6 h), when set.
    #[serde(with = "opt_secs")]
    pub request_ttl: Option<Duration>,
    /// InvocationTimeoutSeconds (1 s to 1 h), when set.
    #[serde(with = "opt_secs")]
    pub invocation_timeout: Option<Duration>,
    /// After the last send, how long to wait for pending requests.
    #[serde(with = "super::secs")]
    pub drain_timeout: Duration,
    /// Cap on S3 calls per second spent following requests.
    pub s3_requests_per_second: f64,
    /// Longest wait between two checks of one request's output.
    #[serde(with = "super::secs")]
    pub output_poll_max: Duration,
    pub aws: AwsSpec,
}

mod opt_secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_f64(d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }
}

/// The fields only `kind = "sagemaker-async"` uses, with whether each is
/// given.
fn async_fields(raw: &RawTarget) -> [(&'static str, bool); 7] {
    [
        ("input_s3_uri", raw.input_s3_uri.is_some()),
        ("unique_inputs", raw.unique_inputs.is_some()),
        ("request_ttl", raw.request_ttl.is_some()),
        ("invocation_timeout", raw.invocation_timeout.is_some()),
        ("drain_timeout", raw.drain_timeout.is_some()),
        (
            "s3_requests_per_second",
            raw.s3_requests_per_second.is_some(),
        ),
        ("output_poll_max", raw.output_poll_max.is_some()),
    ]
}

/// Fields that only the AWS kinds use, for rejecting them elsewhere.
pub fn aws_fields_given(raw: &RawTarget) -> Vec<&'static str> {
    [
        ("endpoint_name", raw.endpoint_name.is_some()),
        ("target_variant", raw.target_variant.is_some()),
        ("target_model", raw.target_model.is_some()),
        ("inference_component", raw.inference_component.is_some()),
        ("custom_attributes", raw.custom_attributes.is_some()),
        ("region", raw.region.is_some()),
        ("profile", raw.profile.is_some()),
        ("endpoint_url", raw.endpoint_url.is_some()),
    ]
    .into_iter()
    .chain(async_fields(raw))
    .filter(|(_, given)| *given)
    .map(|(name, _)| name)
    .collect()
}

/// Rejects AWS-only fields on another kind.
pub fn reject_aws_fields(
    ctx: &Ctx,
    t: &Spanned<RawTarget>,
    kind: &str,
) -> Result<(), ProfileError> {
    if let Some(field) = aws_fields_given(t.get_ref()).first() {
        return Err(ctx.err(
            Some(t.span()),
            format!("target.{field}"),
            format!(
                "not used with kind = {kind:?} (only with \"sagemaker\" and \"sagemaker-async\")"
            ),
        ));
    }
    Ok(())
}

fn reject_http_fields(ctx: &Ctx, t: &Spanned<RawTarget>, kind: &str) -> Result<(), ProfileError> {
    let raw = t.get_ref();
    reject_present(
        ctx,
        t,
        [
            ("url", raw.url.is_some()),
            ("method", raw.method.is_some()),
            ("headers", raw.headers.is_some()),
            ("ping", raw.ping.is_some()),
        ],
        format!("not used with kind = {kind:?} (the endpoint is named by endpoint_name)"),
    )?;
    Ok(())
}

fn non_empty(
    ctx: &Ctx,
    v: &Option<Spanned<String>>,
    field: &str,
) -> Result<Option<String>, ProfileError> {
    match v {
        Some(s) if s.get_ref().trim().is_empty() => Err(ctx.err(
            Some(s.span()),
            format!("target.{field}"),
            "must not be empty",
        )),
        Some(s) => Ok(Some(s.get_ref().clone())),
        None => Ok(None),
    }
}

fn endpoint_name(ctx: &Ctx, t: &Spanned<RawTarget>, kind: &str) -> Result<String, ProfileError> {
    let name = non_empty(ctx, &t.get_ref().endpoint_name, "endpoint_name")?.ok_or_else(|| {
        ctx.err(
            Some(t.span()),
            "target.endpoint_name",
            format!("missing; kind = {kind:?} needs the endpoint's name, e.g. endpoint_name = \"my-endpoint\""),
        )
    })?;
    // SageMaker's rule for endpoint names.
    let valid = name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !valid {
        let span = t.get_ref().endpoint_name.as_ref().map(|s| s.span());
        return Err(ctx.err(
            span,
            "target.endpoint_name",
            format!("{name:?} is not a SageMaker endpoint name (letters, digits and inner hyphens, at most 63)"),
        ));
    }
    Ok(name)
}

fn aws_spec(ctx: &Ctx, raw: &RawTarget) -> Result<AwsSpec, ProfileError> {
    let endpoint_url = non_empty(ctx, &raw.endpoint_url, "endpoint_url")?;
    if let (Some(u), Some(s)) = (&endpoint_url, &raw.endpoint_url)
        && !(u.starts_with("http://") || u.starts_with("https://"))
    {
        return Err(ctx.err(
            Some(s.span()),
            "target.endpoint_url",
            format!("{u:?} must start with http:// or https://"),
        ));
    }
    Ok(AwsSpec {
        region: non_empty(ctx, &raw.region, "region")?,
        profile: non_empty(ctx, &raw.profile, "profile")?,
        endpoint_url,
    })
}

/// `kind = "sagemaker"`.
pub fn sagemaker(ctx: &Ctx, t: &Spanned<RawTarget>) -> Result<SageMakerTargetSpec, ProfileError> {
    const KIND: &str = "sagemaker";
    reject_http_fields(ctx, t, KIND)?;
    let raw = t.get_ref();
    reject_present(
        ctx,
        t,
        async_fields(raw),
        "only used with kind = \"sagemaker-async\"",
    )?;
    let stream = super::stream::from_raw(ctx, &raw.stream, &raw.tokens)?;
    // InvokeEndpointWithResponseStream has no TargetModel (multi-model
    // endpoints don't stream), so the field would be silently dropped.
    if let (Some(_), Some(m)) = (&stream, &raw.target_model) {
        return Err(ctx.err(
            Some(m.span()),
            "target.target_model",
            "not supported with stream = true (InvokeEndpointWithResponseStream has no TargetModel)",
        ));
    }
    Ok(SageMakerTargetSpec {
        endpoint_name: endpoint_name(ctx, t, KIND)?,
        target_variant: non_empty(ctx, &raw.target_variant, "target_variant")?,
        target_model: non_empty(ctx, &raw.target_model, "target_model")?,
        inference_component: non_empty(ctx, &raw.inference_component, "inference_component")?,
        content_type: raw
            .content_type
            .clone()
            .unwrap_or_else(|| "application/json".into()),
        accept: raw.accept.clone(),
        custom_attributes: non_empty(ctx, &raw.custom_attributes, "custom_attributes")?,
        aws: aws_spec(ctx, raw)?,
        stream,
    })
}

/// Why a string is not an `s3://bucket/prefix` URI; the profile reports it
/// under `target.input_s3_uri`, the async target as a set-up failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum S3UriError {
    #[error("{uri:?} must start with s3://")]
    Scheme { uri: String },
    #[error("{uri:?} has no bucket")]
    NoBucket { uri: String },
}

/// `s3://bucket/prefix` → (bucket, prefix ending in `/` or empty).
pub fn parse_s3_uri(uri: &str) -> Result<(String, String), S3UriError> {
    let rest = uri
        .strip_prefix("s3://")
        .ok_or_else(|| S3UriError::Scheme {
            uri: uri.to_string(),
        })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(S3UriError::NoBucket {
            uri: uri.to_string(),
        });
    }
    let prefix = if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_string()
    } else {
        format!("{prefix}/")
    };
    Ok((bucket.to_string(), prefix))
}

fn duration_within(
    ctx: &Ctx,
    v: &Option<Spanned<DurationValue>>,
    field: &str,
    min: Duration,
    max: Duration,
) -> Result<Option<Duration>, ProfileError> {
    match v {
        None => Ok(None),
        Some(d) => {
            let x = d.get_ref().0;
            if x < min || x > max || x.subsec_nanos() != 0 {
                Err(ctx.err(
                    Some(d.span()),
                    format!("target.{field}"),
                    format!(
                        "must be whole seconds between {} and {} (got {})",
                        humantime::format_duration(min),
                        humantime::format_duration(max),
                        humantime::format_duration(x)
                    ),
                ))
            } else {
                Ok(Some(x))
            }
        }
    }
}

/// `kind = "sagemaker-async"`.
pub fn sagemaker_async(
    ctx: &Ctx,
    t: &Spanned<RawTarget>,
) -> Result<SageMakerAsyncTargetSpec, ProfileError> {
    const KIND: &str = "sagemaker-async";
    reject_http_fields(ctx, t, KIND)?;
    let raw = t.get_ref();
    reject_present(
        ctx,
        t,
        [
            ("target_variant", raw.target_variant.is_some()),
            ("target_model", raw.target_model.is_some()),
            ("stream", raw.stream.is_some()),
            ("tokens", raw.tokens.is_some()),
        ],
        "not supported by InvokeEndpointAsync",
    )?;
    let uri = raw.input_s3_uri.as_ref().ok_or_else(|| {
        ctx.err(
            Some(t.span()),
            "target.input_s3_uri",
            "missing; kind = \"sagemaker-async\" uploads payloads there, e.g. input_s3_uri = \"s3://my-bucket/scaletrace/\"",
        )
    })?;
    parse_s3_uri(uri.get_ref())
        .map_err(|e| ctx.err(Some(uri.span()), "target.input_s3_uri", e.to_string()))?;
    let rps = match &raw.s3_requests_per_second {
        None => DEFAULT_S3_RPS,
        Some(r) if r.get_ref().is_finite() && *r.get_ref() >= 1.0 => *r.get_ref(),
        Some(r) => {
            return Err(ctx.err(
                Some(r.span()),
                "target.s3_requests_per_second",
                format!("must be at least 1 (got {})", r.get_ref()),
            ));
        }
    };
    let positive = |v: &Option<Spanned<DurationValue>>, field: &str, default: Duration| match v {
        None => Ok(default),
        Some(d) if d.get_ref().0.is_zero() => Err(ctx.err(
            Some(d.span()),
            format!("target.{field}"),
            "must be longer than zero",
        )),
        Some(d) => Ok(d.get_ref().0),
    };
    Ok(SageMakerAsyncTargetSpec {
        endpoint_name: endpoint_name(ctx, t, KIND)?,
        content_type: raw
            .content_type
            .clone()
            .unwrap_or_else(|| "application/json".into()),
        accept: raw.accept.clone(),
        custom_attributes: non_empty(ctx, &raw.custom_attributes, "custom_attributes")?,
        inference_component: non_empty(ctx, &raw.inference_component, "inference_component")?,
        input_s3_uri: uri.get_ref().clone(),
        unique_inputs: raw
            .unique_inputs
            .as_ref()
            .map(|b| *b.get_ref())
            .unwrap_or(false),
        request_ttl: duration_within(
            ctx,
            &raw.request_ttl,
            "request_ttl",
            Duration::from_secs(60),
            Duration::from_secs(21_600),
        )?,
        invocation_timeout: duration_within(
            ctx,
            &raw.invocation_timeout,
            "invocation_timeout",
            Duration::from_secs(1),
            Duration::from_secs(3_600),
        )?,
        drain_timeout: match &raw.drain_timeout {
            None => DEFAULT_DRAIN_TIMEOUT,
            Some(d) => d.get_ref().0,
        },
        s3_requests_per_second: rps,
        output_poll_max: positive(
            &raw.output_poll_max,
            "output_poll_max",
            DEFAULT_OUTPUT_POLL_MAX,
        )?,
        aws: aws_spec(ctx, raw)?,
    })
}

/// The first of `fields` that is set, as an error naming it: fields that
/// mean nothing for this kind of target (`why` says so) would otherwise be
/// dropped silently.
pub(super) fn reject_present<'f>(
    ctx: &Ctx,
    t: &Spanned<RawTarget>,
    fields: impl IntoIterator<Item = (&'f str, bool)>,
    why: impl std::fmt::Display,
) -> Result<(), ProfileError> {
    match fields.into_iter().find(|(_, present)| *present) {
        Some((field, _)) => {
            Err(ctx.err(Some(t.span()), format!("target.{field}"), why.to_string()))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::{Profile, TargetSpec};
    use super::*;

    fn parse(target: &str) -> Result<Profile, ProfileError> {
        Profile::parse(
            Path::new("p.toml"),
            &format!("[target]\n{target}\n[load]\nphases = [{{ duration = \"1s\", rate = 1 }}]\n"),
        )
    }

    #[test]
    fn sagemaker_target_with_overrides() {
        let p = parse(
            "kind = \"sagemaker\"\nendpoint_name = \"my-ep\"\ntarget_variant = \"v1\"\nregion = \"eu-west-1\"\nendpoint_url = \"http://127.0.0.1:5000\"",
        )
        .unwrap();
        let TargetSpec::SageMaker(s) = &p.target else {
            panic!("{:?}", p.target)
        };
        assert_eq!(s.endpoint_name, "my-ep");
        assert_eq!(s.target_variant.as_deref(), Some("v1"));
        assert_eq!(s.aws.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.content_type, "application/json");
        assert_eq!(p.load.timeout, Duration::from_secs(60));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["target"]["kind"], "sagemaker");
    }

    #[test]
    fn async_target_defaults() {
        let p = parse(
            "kind = \"sagemaker-async\"\nendpoint_name = \"ep\"\ninput_s3_uri = \"s3://b/in\"",
        )
        .unwrap();
        let TargetSpec::SageMakerAsync(s) = &p.target else {
            panic!()
        };
        assert!(!s.unique_inputs);
        assert_eq!(s.drain_timeout, DEFAULT_DRAIN_TIMEOUT);
        assert_eq!(p.load.timeout, ASYNC_DEFAULT_TIMEOUT);
        assert_eq!(
            parse_s3_uri(&s.input_s3_uri).unwrap(),
            ("b".into(), "in/".into())
        );
        assert_eq!(
            serde_json::to_value(&p).unwrap()["target"]["kind"],
            "sagemaker-async"
        );
    }

    #[test]
    fn example_profiles_parse() {
        for (file, text) in [
            (
                "sagemaker.toml",
                include_str!("../../profiles/sagemaker.toml"),
            ),
            (
                "sagemaker-async.toml",
                include_str!("../../profiles/sagemaker-async.toml"),
            ),
        ] {
            Profile::parse(Path::new(file), text).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse("kind = \"sagemaker\"").unwrap_err();
        assert_eq!(e.field, "target.endpoint_name");
        let e = parse("kind = \"sagemaker\"\nendpoint_name = \"a_b\"").unwrap_err();
        assert!(e.message.contains("not a SageMaker endpoint name"), "{e}");
        assert_eq!(e.line, 3);
        let e =
            parse("kind = \"sagemaker\"\nendpoint_name = \"e\"\nurl = \"http://x\"").unwrap_err();
        assert_eq!(e.field, "target.url");
        let e = parse("kind = \"http\"\nurl = \"http://x\"\nendpoint_name = \"e\"").unwrap_err();
        assert_eq!(e.field, "target.endpoint_name");
        let e = parse("kind = \"sagemaker-async\"\nendpoint_name = \"e\"").unwrap_err();
        assert_eq!(e.field, "target.input_s3_uri");
        let e = parse(
            "kind = \"sagemaker-async\"\nendpoint_name = \"e\"\ninput_s3_uri = \"s3://b/\"\nrequest_ttl = \"10s\"",
        )
        .unwrap_err();
        assert_eq!(e.field, "target.request_ttl");
        assert_eq!(e.line, 5);
        let e =
            parse("kind = \"sagemaker\"\nendpoint_name = \"e\"\nunique_inputs = true").unwrap_err();
        assert_eq!(e.field, "target.unique_inputs");
    }
}
