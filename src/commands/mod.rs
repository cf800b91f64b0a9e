//! One file per command; `dispatch` picks it and returns the exit code.

mod completions;
mod execute;
mod graph;
mod load;
mod man_page;
mod plugins;
mod run;
mod schema;
mod serve;
mod tui;
mod validate;
mod webui;

use crate::cli::{Cli, Command};
use crate::error::CliResult;

/// Runs the chosen command: the exit code of its work, or why it failed.
pub fn dispatch(cli: Cli) -> CliResult {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Tui(args) => tui::run(args, &cli.global),
        Command::Serve(args) => serve::run(args),
        Command::Webui(args) => webui::run(args),
        Command::Plugins(args) => plugins::run(args),
        Command::Schema => schema::run(),
        Command::ManPage(args) => man_page::run(args),
    }
}
