//! The profile's JSON, as `run.json` keeps it under `profile` and `report`,
//! `merge` and the HTML report read it back. Serialize-only views keep the
//! shape it had when `[sim]` was a field of its own: `target` is
//! `{"kind": "sim"}` and the simulator's configuration is `sim` (`null` for
//! other targets), between `observe` and `capacity`. Field order matters:
//! the JSON keeps it (`serde_json`'s `preserve_order`).

use std::path::PathBuf;

use serde::{Serialize, Serializer};

use super::{
    CapacitySpec, Gates, HttpTargetSpec, LoadSpec, ObserveSpec, PayloadSpec, Profile, Slo,
    TargetSpec, aws, sim,
};

/// [`Profile`] as JSON.
#[derive(Serialize)]
struct ProfileJson<'a> {
    name: &'a str,
    description: &'a Option<String>,
    source: &'a Option<PathBuf>,
    target: &'a TargetSpec,
    payload: &'a PayloadSpec,
    load: &'a LoadSpec,
    observe: &'a ObserveSpec,
    sim: Option<&'a sim::SimConfig>,
    capacity: &'a CapacitySpec,
    #[serde(skip_serializing_if = "Option::is_none")]
    slo: &'a Option<Slo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gates: &'a Option<Gates>,
}

impl Serialize for Profile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ProfileJson {
            name: &self.name,
            description: &self.description,
            source: &self.source,
            target: &self.target,
            payload: &self.payload,
            load: &self.load,
            observe: &self.observe,
            sim: self.sim(),
            capacity: &self.capacity,
            slo: &self.slo,
            gates: &self.gates,
        }
        .serialize(s)
    }
}

/// [`TargetSpec`] as JSON: tagged by `kind`, the simulator's without its
/// configuration.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum TargetJson<'a> {
    Http(&'a HttpTargetSpec),
    #[serde(rename = "sagemaker")]
    SageMaker(&'a aws::SageMakerTargetSpec),
    #[serde(rename = "sagemaker-async")]
    SageMakerAsync(&'a aws::SageMakerAsyncTargetSpec),
    Sim,
}

impl Serialize for TargetSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TargetSpec::Http(h) => TargetJson::Http(h),
            TargetSpec::SageMaker(a) => TargetJson::SageMaker(a),
            TargetSpec::SageMakerAsync(a) => TargetJson::SageMakerAsync(a),
            TargetSpec::Sim(_) => TargetJson::Sim,
        }
        .serialize(s)
    }
}
