//! The `[sim]` profile section (placeholder until issue 3 lands).

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::profile::{Ctx, ProfileError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimConfig {}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SimConfig {}

impl SimConfig {
    pub fn from_raw(_ctx: &Ctx, _raw: &Spanned<RawSimConfig>) -> Result<SimConfig, ProfileError> {
        Ok(SimConfig {})
    }
}
