//! The simulated SageMaker endpoint (placeholder until issue 3 lands).

pub mod config;
