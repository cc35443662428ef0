//! Observers: what the control plane did while load ran. One [`Observer`]
//! trait; the simulated and the AWS observers write the same journal records.
//!
//! The run loop calls [`Observer::poll`] every [`Observer::interval`] and
//! appends what it returns to the journal. An observer remembers what it has
//! already reported and returns only what is new: datapoints first seen (or
//! revised), alarm transitions, activities whose status changed, endpoint
//! counts that moved.
//!
//! To add a new observer: implement [`Observer`], return records with `t` on
//! the [`RunClock`], and build it where the run picks its target.

pub mod aws;
pub mod aws_model;

use std::time::Duration;

use futures::future::BoxFuture;

use crate::clock::RunClock;
use crate::journal::record::Record;

pub trait Observer: Send {
    /// How often to poll.
    fn interval(&self) -> Duration;

    /// Reads what is new since the last poll. Failures that can pass
    /// (throttling) are retried inside or reported as `warning` records; an
    /// observer never ends the run.
    fn poll<'a>(&'a mut self, clock: &'a RunClock) -> BoxFuture<'a, Vec<Record>>;

    /// What a poll dropped before its end (the run ending: the loop gives
    /// a poll in flight only a moment) had already read, so the journal
    /// keeps it. An observer whose polls cannot be cut short keeps the
    /// default.
    fn take_unfinished(&mut self) -> Vec<Record> {
        Vec::new()
    }

    /// Lines to journal once the last poll is over (at `t`): what is still
    /// wrong then, e.g. an API that never answered again and how often it
    /// was retried, said once here rather than never.
    fn closing(&mut self, _t: f64) -> Vec<Record> {
        Vec::new()
    }
}
