//! `stream = true` on a `[target]`: the response comes back in parts
//! (SageMaker's `InvokeEndpointWithResponseStream`, or a local model server
//! that streams its HTTP body), and the run records time to first token,
//! the time between parts and the tokens per response.
//!
//! What a "token" is depends on the model server, so it is a setting:
//! `tokens = "parts"` (the default) counts one per part; `tokens =
//! "/token/text"` (a JSON pointer, RFC 6901) reads the streamed body as
//! lines of JSON (an SSE `data:` prefix is dropped, as TGI and the LMI
//! containers send it) and counts one token per line that has a value
//! there (an array counts its length).

use serde::Serialize;
use toml::Spanned;

use super::{Ctx, ProfileError};

/// A validated `stream = true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamSpec {
    pub tokens: TokenSource,
}

/// Where the token count of a streamed response comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenSource {
    /// One token per part (PayloadPart or HTTP body chunk).
    Parts,
    /// A JSON pointer into each line of the streamed body.
    JsonPointer(String),
}

/// Reads `stream` and `tokens`; `tokens` without `stream = true` is an
/// error naming the field (it would silently measure nothing).
pub fn from_raw(
    ctx: &Ctx,
    stream: &Option<Spanned<bool>>,
    tokens: &Option<Spanned<String>>,
) -> Result<Option<StreamSpec>, ProfileError> {
    let on = stream.as_ref().is_some_and(|s| *s.get_ref());
    let tokens = match tokens {
        None => TokenSource::Parts,
        Some(t) if !on => {
            return Err(ctx.err(
                Some(t.span()),
                "target.tokens",
                "only used with stream = true",
            ));
        }
        Some(t) if t.get_ref() == "parts" => TokenSource::Parts,
        Some(t) if t.get_ref().starts_with('/') => TokenSource::JsonPointer(t.get_ref().clone()),
        Some(t) => {
            return Err(ctx.err(
                Some(t.span()),
                "target.tokens",
                format!(
                    "{:?} is neither \"parts\" nor a JSON pointer starting with / (e.g. \"/token/text\")",
                    t.get_ref()
                ),
            ));
        }
    };
    Ok(on.then_some(StreamSpec { tokens }))
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
    fn stream_and_tokens_on_sagemaker_and_http() {
        let p = parse("kind = \"sagemaker\"\nendpoint_name = \"chat\"\ninference_component = \"chat-ic\"\nstream = true").unwrap();
        let TargetSpec::SageMaker(s) = &p.target else {
            panic!()
        };
        assert_eq!(s.stream.as_ref().unwrap().tokens, TokenSource::Parts);
        assert_eq!(s.inference_component.as_deref(), Some("chat-ic"));
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["target"]["stream"]["tokens"], "parts");
        let p = parse("kind = \"http\"\nurl = \"http://127.0.0.1:8080\"\nstream = true\ntokens = \"/token/text\"").unwrap();
        let TargetSpec::Http(h) = &p.target else {
            panic!()
        };
        assert_eq!(
            h.stream.as_ref().unwrap().tokens,
            TokenSource::JsonPointer("/token/text".into())
        );
        // Off: nothing in run.json.
        let p = parse("kind = \"http\"\nurl = \"http://127.0.0.1:8080\"").unwrap();
        assert!(
            serde_json::to_value(&p).unwrap()["target"]
                .get("stream")
                .is_none()
        );
    }

    #[test]
    fn errors_name_the_field_and_line() {
        let e = parse("kind = \"http\"\nurl = \"http://x\"\ntokens = \"parts\"").unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("target.tokens", 4));
        let e =
            parse("kind = \"http\"\nurl = \"http://x\"\nstream = true\ntokens = \"token.text\"")
                .unwrap_err();
        assert_eq!(e.field, "target.tokens");
        assert!(e.message.contains("JSON pointer"), "{e}");
        let e = parse("kind = \"sagemaker-async\"\nendpoint_name = \"e\"\ninput_s3_uri = \"s3://b/\"\nstream = true").unwrap_err();
        assert_eq!(e.field, "target.stream");
        let e = parse(
            "kind = \"sagemaker\"\nendpoint_name = \"e\"\ntarget_model = \"m.tar.gz\"\nstream = true",
        )
        .unwrap_err();
        assert_eq!((e.field.as_str(), e.line), ("target.target_model", 4));
        let e = parse("kind = \"sim\"\nstream = true").unwrap_err();
        assert_eq!(e.field, "target.stream");
    }
}
