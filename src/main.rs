//! The `flowtoy` command line: parses arguments, calls the engine, maps
//! outcomes to exit codes. Nothing else lives here.

/// `eprintln!` that drops what stderr does not take (closed:
/// `2>&1 | head -1`) instead of panicking: messages on stderr never decide
/// how a command ends.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `print!` and `println!` that drop what stdout does not take (closed:
/// `flowtoy run f.yaml | head -1`) instead of panicking: the command still
/// ends with its own exit code.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// [`out!`] with a line break.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

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
