//! `scaletrace capacity`: measure MAX_RPS on one instance and recommend
//! SCALING_VALUE. [`search`] holds the pure search; [`runner`] runs each
//! step as a real run (its own run directory) and reads its journal;
//! [`recommend`] prints the result. `--concurrency` has the same three
//! parts in [`concurrency`], [`concurrency_run`] (closed-loop steps) and
//! [`concurrency_recommend`] (the ConcurrentRequestsPerCopy target value).
//! [`slo`] resolves the SLO both judge steps against; [`cli`] holds what
//! the command edge needs.

pub mod cli;
pub mod concurrency;
pub mod concurrency_recommend;
pub mod concurrency_run;
pub mod recommend;
pub mod runner;
pub mod search;
pub mod slo;

pub use search::{SearchConfig, SearchOutcome, Step, StepResult, scaling_value, search};
