//! Larger simulator tests.
