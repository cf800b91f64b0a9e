//! `flowtoy completions SHELL`: a shell completion script on stdout, made by
//! `clap_complete` from the same definitions that parse the command line.

use crate::cli::{Cli, CompletionsArgs};
use crate::error::{CliResult, OK};
use clap::CommandFactory;

/// Runs `flowtoy completions`.
pub fn run(args: CompletionsArgs) -> CliResult {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "flowtoy", &mut std::io::stdout());
    Ok(OK)
}
