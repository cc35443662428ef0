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
}

/// Loads the AWS configuration, reads the snapshot, and returns what to
/// print.
pub fn inspect(opts: &InspectOptions) -> Result<String, PolicyCliError> {
    super::block_on(async {
        let config = crate::aws::load_config(&opts.aws).await;
        let snapshot = inspect_with(&AwsClients::new(&config), &config, opts).await?;
        Ok(if opts.json {
            serde_json::to_string_pretty(&snapshot).expect("snapshot serializes") + "\n"
        } else {
            super::render::inspect_text(&snapshot)
        })
    })?
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
