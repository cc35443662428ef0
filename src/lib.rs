//! scaletrace: load tests for Amazon SageMaker endpoints, with a scaling
//! observer that shows when and why autoscaling reacted.

pub mod clock;
pub mod journal;
pub mod observe;
pub mod outcome;
pub mod profile;
pub mod sim;
pub mod target;
