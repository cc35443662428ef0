//! scaletrace: load tests for Amazon SageMaker endpoints, with a scaling
//! observer that shows when and why autoscaling reacted.
//!
//! # Layout
//!
//! Layers, each depending only on the ones above it (checked by
//! `tests/module_graph.rs`, which also rejects any import cycle):
//!
//! 1. **Vocabulary**: [`exit`] (exit codes), [`format`] (numbers),
//!    [`verdict`] (a limit's verdict), [`clock`], [`outcome`] (outcome
//!    classes), [`histogram`] (HDR encoding), [`resource`] (what Application
//!    Auto Scaling scales: a variant or an inference component), [`metric`]
//!    (the one catalogue of SageMaker's CloudWatch metrics).
//! 2. **Input and records**: [`profile`] (the TOML schema, validation with
//!    file/line/field errors, the `[sim]` and `[capacity]` sections; it
//!    imports only the vocabulary), [`plan`] (the resolved plan);
//!    [`journal`] (the run directory: `run.json` and the append-only
//!    journal's records); [`load_import`] (Locust, k6 and plain CSV load
//!    files parsed into one-second samples and their journal line).
//! 3. **Build**: [`schedule`] (phases → intended send times, sharded),
//!    [`payload`], [`aws`] (client set-up), [`target`] (one `Target` trait:
//!    HTTP, SageMaker real-time and async), [`observe`] (one `Observer`
//!    trait: CloudWatch, Application Auto Scaling, DescribeEndpoint), [`sim`]
//!    (the simulated endpoint, CloudWatch and autoscaler, with its target
//!    and observer); [`deploy`] is the one place a target kind becomes a
//!    target and its observer.
//! 4. **Engine**: [`invoke`] (the open-model dispatcher, and the closed
//!    loop of `capacity --concurrency`), [`recorder`] (per-second HDR
//!    histograms and counts), [`progress`].
//! 5. **Analysis**, pure functions of the journal: [`timeline`] (series,
//!    events, lag chains), [`scaling`], [`summary`], [`compare`], [`gates`].
//! 6. **Report**: [`report`], one exporter per file (text, JSON, HTML,
//!    Markdown, JUnit).
//! 7. **Commands**: [`run`] (a run start to finish), [`observe_run`],
//!    [`merge`], [`capacity`], [`simulate`], [`policy_cli`], [`cli`].

/// `println!` for what the commands print on stdout, without its panic
/// when stdout is gone (`scaletrace run … | head` closed the pipe): by
/// then the reports are on disk, so a lost line must not turn a finished
/// run into exit 101.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` without the panic on a closed stdout (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod aws;
pub mod capacity;
pub mod cli;
pub mod clock;
pub mod compare;
pub mod deploy;
pub mod exit;
#[cfg(any(test, feature = "fixtures"))]
#[doc(hidden)]
pub mod fixture;
pub mod format;
pub mod gates;
pub mod histogram;
pub mod invoke;
pub mod journal;
pub mod load_import;
pub mod merge;
pub mod metric;
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
pub mod resource;
pub mod run;
pub mod scaling;
pub mod schedule;
pub mod sim;
pub mod simulate;
pub mod summary;
pub mod target;
pub mod timeline;
pub mod verdict;
