//! scaletrace: load tests for Amazon SageMaker endpoints, with a scaling
//! observer that shows when and why autoscaling reacted.
//!
//! # Layout
//!
//! The data flow of a run, in module order:
//!
//! - [`profile`]: the TOML schema, defaults, validation with file/line/field
//!   errors; [`plan`] prints the resolved plan.
//! - [`schedule`]: phases → intended send times (uniform or Poisson,
//!   sharded).
//! - [`invoke`]: the open-model dispatcher (in-flight cap, late requests,
//!   timeouts); [`outcome`] the outcome classes; [`payload`] the bodies.
//! - [`target`]: one `Target` trait; `http`, `sagemaker`,
//!   `sagemaker_async`; [`sim`] brings the simulated endpoint and its
//!   observer.
//! - [`observe`]: one `Observer` trait; `aws` reads CloudWatch, Application
//!   Auto Scaling and DescribeEndpoint; [`observe_run`] runs it alone.
//! - [`recorder`], [`histogram`]: per-second HDR histograms and counts.
//! - [`journal`]: the run directory (append-only journal, `run.json`;
//!   `alarm_words` states an alarm's condition as the console does);
//!   [`merge`] combines the run directories of a plan's shards.
//! - [`summary`], [`scaling`], [`timeline`] (series, events, lag
//!   analysis), [`gates`], [`compare`]: pure functions of the journal.
//! - [`report`]: one exporter per file (text, JSON, HTML, Markdown, JUnit).
//! - [`capacity`]: MAX_RPS stairs and the SCALING_VALUE recommendation;
//!   [`simulate`]: what-if runs per candidate target value;
//!   [`policy_cli`]: `inspect` and `apply` on a real endpoint.
//! - [`run`]: a run start to finish (runtime, signals, observer loop);
//!   [`progress`] the live display; [`clock`] the run's clock; [`aws`] the
//!   shared AWS client set-up; [`cli`] the commands.

pub mod aws;
pub mod capacity;
pub mod cli;
pub mod clock;
pub mod compare;
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixture;
pub mod gates;
pub mod histogram;
pub mod invoke;
pub mod journal;
pub mod merge;
pub mod observe;
pub mod observe_run;
pub mod outcome;
pub mod payload;
pub mod plan;
pub mod policy_cli;
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
