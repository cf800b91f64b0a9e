//! One file per command; `dispatch` picks it and returns the exit code.

mod load;
mod run;

use crate::cli::{Cli, Command};
use crate::exit;

/// Runs the chosen command; returns the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Serve(_)
        | Command::Webui(_)
        | Command::Tui(_)
        | Command::Validate(_)
        | Command::Graph(_)
        | Command::Plugins(_)
        | Command::Completions(_) => {
            eprintln!("error: this command is not available in this build yet");
            exit::USAGE
        }
    }
}
