//! The `flowtoy` command line: parses arguments, calls the engine, maps
//! outcomes to exit codes. Nothing else lives here.

mod cli;
mod commands;
mod error;
mod logging;
mod print;
mod progress;
mod signals;

use clap::Parser;

fn main() {
    // `flowtoy h` is `flowtoy help`.
    let args =
        std::env::args_os()
            .enumerate()
            .map(|(i, a)| if i == 1 && a == "h" { "help".into() } else { a });
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                error::USAGE
            } else {
                error::OK
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    // The TUI owns the terminal: it sends log lines to its logs panel instead.
    if !matches!(cli.command, cli::Command::Tui(_)) {
        logging::init(&cli.global);
    }
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    };
    std::process::exit(code);
}
