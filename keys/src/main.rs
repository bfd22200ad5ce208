//! The `chatseal` command: keyrings, tokens, verification. See
//! `chatseal --help`; exit codes are documented in `error.rs`.

#![forbid(unsafe_code)]

mod cli;
mod error;
#[cfg(feature = "services")]
mod gateway;
#[cfg(feature = "services")]
mod listen;
mod run;
#[cfg(feature = "services")]
mod serve;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.line());
            ExitCode::from(e.exit_code())
        }
    }
}
