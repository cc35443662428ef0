//! Credential, region and profile problems as one sentence each, the way
//! the aws CLI words them ("Unable to locate credentials. You can configure
//! credentials by running \"aws configure\"."; "The config profile (x)
//! could not be found"), never the SDK's debug dump of every provider's
//! attempt (IMDS requests, HTTP headers, bodies).
//!
//! The SDK for Rust looks for credentials in a chain, stopping at the first
//! that has them: environment variables, the shared `config` and
//! `credentials` files (the selected profile, with SSO and
//! `credential_process`), web identity tokens, the container credentials
//! endpoint, then EC2 instance metadata (IMDS)
//! (<https://docs.aws.amazon.com/sdk-for-rust/latest/dg/credproviders.html>,
//! `aws_config::default_provider::credentials::DefaultCredentialsChain`).
//! The files are `~/.aws/config` and `~/.aws/credentials` unless
//! `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` say otherwise
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/file-location.html>).
//!
//! A profile named with `--profile`, `profile =` or `AWS_PROFILE` that is in
//! neither file is not an error to the SDK: the chain goes on to IMDS and
//! the user reads "no region". [`missing_profile`] checks it first, with the
//! SDK's own parser, and [`MissingProfileProvider`] makes it the
//! credentials error [`super::check_config`] reports.

use std::borrow::Cow;
use std::error::Error;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials};

use crate::profile::aws::AwsSpec;

/// The shared files, as the SDK finds them, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFiles {
    pub config: String,
    pub credentials: String,
}

impl SharedFiles {
    pub fn from_env() -> SharedFiles {
        let var = |k: &str, default: &str| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        SharedFiles {
            config: var("AWS_CONFIG_FILE", "~/.aws/config"),
            credentials: var("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        }
    }
}

/// A selected AWS profile that neither shared file defines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the AWS profile {name:?} could not be found in {} or {}: check --profile / `profile` / AWS_PROFILE, or create it with `aws configure --profile {name}`",
    .files.config, .files.credentials
)]
pub struct MissingProfile {
    pub name: String,
    pub files: SharedFiles,
}

/// The profile the SDK will use (`spec.profile`, else `AWS_PROFILE`, else
/// `default`), when it was chosen and is not defined. `default` missing is
/// normal (the chain has other sources), unless named explicitly. A file
/// that can't be parsed is left to the SDK to report.
pub async fn missing_profile(spec: &AwsSpec) -> Option<MissingProfile> {
    let chosen = spec.profile.is_some() || std::env::var_os("AWS_PROFILE").is_some();
    if !chosen {
        return None;
    }
    let set = aws_config::profile::load(
        &Default::default(),
        &Default::default(),
        &Default::default(),
        spec.profile.clone().map(Cow::Owned),
    )
    .await
    .ok()?;
    let name = set.selected_profile();
    set.get_profile(name).is_none().then(|| MissingProfile {
        name: name.to_string(),
        files: SharedFiles::from_env(),
    })
}

/// Stands in for the credentials chain when the selected profile is
/// missing: every call fails with [`MissingProfile`] at once.
#[derive(Debug)]
pub struct MissingProfileProvider(pub MissingProfile);

impl ProvideCredentials for MissingProfileProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(Err(CredentialsError::invalid_configuration(
            self.0.clone(),
        )))
    }
}

/// What a failed credentials lookup means for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsProblem {
    /// The selected profile is in neither file.
    MissingProfile(MissingProfile),
    /// No source had credentials (IMDS failing counts: not on EC2).
    NotFound(String),
    /// A source was configured but failed (an expired SSO token, a failing
    /// `credential_process`): its message, one line.
    Failed(String),
}

/// Reads a provider chain's error: the missing profile, nothing found, or
/// a source that failed, each as one sentence.
pub fn explain(e: &CredentialsError) -> CredentialsProblem {
    if let Some(m) = find::<MissingProfile>(e) {
        return CredentialsProblem::MissingProfile(m.clone());
    }
    let files = SharedFiles::from_env();
    // IMDS is the chain's last source: off EC2 it fails (refused, timed
    // out, 403 from a proxy), which means "not found", not a broken source.
    let imds = find::<aws_config::imds::client::error::ImdsError>(e).is_some();
    if matches!(e, CredentialsError::CredentialsNotLoaded(_)) || imds {
        return CredentialsProblem::NotFound(format!(
            "Unable to locate AWS credentials (looked in the environment, the shared files {} and {}, web identity, the container and the EC2 instance metadata): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure` or `aws sso login`, or pick a profile with --profile or AWS_PROFILE",
            files.config, files.credentials,
        ));
    }
    CredentialsProblem::Failed(format!(
        "AWS credentials could not be loaded: {}; check the profile in {} and {}, or run `aws sso login` if it uses SSO",
        display_chain(e),
        files.config,
        files.credentials
    ))
}

impl std::fmt::Display for CredentialsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialsProblem::MissingProfile(m) => write!(f, "{m}"),
            CredentialsProblem::NotFound(s) | CredentialsProblem::Failed(s) => f.write_str(s),
        }
    }
}

/// The first error of type `T` in `e`'s source chain.
fn find<'a, T: Error + 'static>(e: &'a (dyn Error + 'static)) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

/// Every error's Display in the chain, joined with ": ", on one line; no
/// Debug output (that is where the SDK's dump of responses lives).
pub fn display_chain(e: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let s = super::one_line(err.to_string());
        // Wrappers often repeat their source's message.
        if !s.is_empty() && !parts.last().is_some_and(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> SharedFiles {
        SharedFiles::from_env()
    }

    #[test]
    fn nothing_found_is_one_sentence_with_the_ways_to_provide_them() {
        let e = CredentialsError::not_loaded("no providers in chain provided credentials");
        let p = explain(&e);
        assert!(matches!(p, CredentialsProblem::NotFound(_)), "{p:?}");
        let s = p.to_string();
        assert!(s.starts_with("Unable to locate AWS credentials"), "{s}");
        assert!(s.contains("AWS_ACCESS_KEY_ID"), "{s}");
        assert!(s.contains("aws configure"), "{s}");
        assert!(!s.contains('{') && !s.contains('\n'), "{s}");
    }

    #[test]
    fn a_missing_profile_is_named() {
        let m = MissingProfile {
            name: "nosuch".into(),
            files: files(),
        };
        let e = CredentialsError::invalid_configuration(m.clone());
        assert_eq!(explain(&e), CredentialsProblem::MissingProfile(m));
        let s = explain(&e).to_string();
        assert!(
            s.starts_with("the AWS profile \"nosuch\" could not be found in"),
            "{s}"
        );
    }

    #[test]
    fn a_failing_source_keeps_its_message_without_debug_output() {
        #[derive(Debug, thiserror::Error)]
        #[error("the SSO token for profile dev has expired")]
        struct Expired;
        let e = CredentialsError::provider_error(Expired);
        let s = explain(&e).to_string();
        assert!(
            s.starts_with("AWS credentials could not be loaded: an error occurred while loading credentials: the SSO token for profile dev has expired;"),
            "{s}"
        );
        assert!(!s.contains("ProviderError"), "{s}");
    }

    #[tokio::test]
    async fn the_provider_fails_at_once_with_the_missing_profile() {
        let m = MissingProfile {
            name: "x".into(),
            files: files(),
        };
        let e = MissingProfileProvider(m.clone())
            .provide_credentials()
            .await
            .unwrap_err();
        assert_eq!(explain(&e), CredentialsProblem::MissingProfile(m));
    }
}
