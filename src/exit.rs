//! The process exit codes the README documents, in one place below every
//! command, so library code can map its errors to them without importing
//! the CLI.

pub const DONE: u8 = 0;
pub const GATE_FAILED: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const BROKE: u8 = 3;
pub const INTERRUPTED: u8 = 130;
