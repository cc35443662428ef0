//! `scaletrace inspect`: reads a variant's scaling setup once and prints it
//! as text or JSON. Read-only.

use aws_config::SdkConfig;

use super::PolicyCliError;
use super::snapshot::{Snapshot, fetch};
use crate::observe::aws::AwsClients;
use crate::profile::aws::AwsSpec;

/// How many scaling activities `inspect` shows unless told.
pub const DEFAULT_ACTIVITIES: usize = 10;

#[derive(Debug, Clone)]
pub struct InspectOptions {
    pub endpoint: String,
    /// The production variant (default: the endpoint's first).
    pub variant: Option<String>,
    pub aws: AwsSpec,
    /// How many of the last scaling activities to show.
    pub activities: usize,
    /// JSON (the [`Snapshot`]) instead of text.
    pub json: bool,
    /// Accept a partial view (a call failed) with exit 0.
    pub best_effort: bool,
}

/// What `inspect` prints, and whether it must still fail.
#[derive(Debug)]
pub struct Inspected {
    /// The view (text or JSON), partial or whole: printed either way.
    pub output: String,
    /// A partial view without `--best-effort`: the error to exit with.
    pub partial: Option<PolicyCliError>,
}

/// Loads the AWS configuration, reads the snapshot, and returns what to
/// print.
pub fn inspect(opts: &InspectOptions) -> Result<Inspected, PolicyCliError> {
    super::block_on(async {
        let config = crate::aws::load_config(&opts.aws).await;
        let snapshot = inspect_with(&AwsClients::new(&config), &config, opts).await?;
        let output = if opts.json {
            serde_json::to_string_pretty(&snapshot).expect("snapshot serializes") + "\n"
        } else {
            super::render::inspect_text(&snapshot)
        };
        Ok(Inspected {
            output,
            partial: partial_error(&snapshot, opts.best_effort),
        })
    })?
}

/// A partial view is an environment failure (exit 3) naming each failed
/// call, unless `--best-effort` accepts it.
pub fn partial_error(s: &Snapshot, best_effort: bool) -> Option<PolicyCliError> {
    if !s.partial || best_effort {
        return None;
    }
    let calls: Vec<String> = s.errors.iter().map(|f| f.line()).collect();
    Some(PolicyCliError::Aws(format!(
        "partial view: {}; pass --best-effort to accept it (exit 0)",
        calls.join("; ")
    )))
}

/// The snapshot, on given clients (tests mock the calls moto lacks).
pub async fn inspect_with(
    clients: &AwsClients,
    config: &SdkConfig,
    opts: &InspectOptions,
) -> Result<Snapshot, PolicyCliError> {
    fetch(
        clients,
        config,
        &opts.endpoint,
        opts.variant.as_deref(),
        opts.activities,
    )
    .await
}
