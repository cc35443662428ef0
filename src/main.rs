//! The `scaletrace` binary: parse arguments, hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    scaletrace::cli::main_with(scaletrace::cli::Cli::parse())
}
