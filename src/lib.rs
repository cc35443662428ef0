//! scaletrace: load tests for Amazon SageMaker endpoints, with a scaling
//! observer that shows when and why autoscaling reacted.

pub mod aws;
pub mod capacity;
pub mod cli;
pub mod clock;
pub mod compare;
#[doc(hidden)]
pub mod fixture;
pub mod gates;
pub mod histogram;
pub mod invoke;
pub mod journal;
pub mod observe;
pub mod observe_run;
pub mod outcome;
pub mod payload;
pub mod plan;
pub mod profile;
pub mod progress;
pub mod recorder;
pub mod report;
pub mod run;
pub mod scaling;
pub mod schedule;
pub mod sim;
pub mod simulate;
pub mod summary;
pub mod target;
pub mod timeline;
