//! `[sim]`: the simulated deployment as a profile describes it, validated
//! (file/line/field errors) into plain types the simulator runs: the
//! endpoint and its instances ([`config`]), CloudWatch alarm specs
//! ([`alarm`]) over the metric catalogue ([`metric`]), Application Auto
//! Scaling's scalable target, policies and scheduled actions ([`policy`],
//! [`schedule`]), duration distributions ([`dist`]) and the model's
//! scale-in rule ([`scale_in`]), and an inference component with managed
//! instance scaling ([`inference_component`]). Nothing here runs the simulation; `sim`
//! does, and depends on this, never the other way.

pub mod alarm;
pub mod config;
pub mod dist;
pub mod inference_component;
pub mod metric;
pub mod policy;
pub mod raw;
pub mod scale_in;
pub mod schedule;
pub mod stream;

pub use config::{RawSimConfig, SimConfig};
