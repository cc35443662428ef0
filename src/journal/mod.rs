//! The run directory's journal.
pub mod record;
