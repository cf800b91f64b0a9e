//! `flowtoy run`: run a flow, show progress on stderr, print outputs.

use super::execute::{self, Finished};
use crate::cli::RunArgs;
use crate::{exit, print};
use std::sync::Arc;

/// Runs `flowtoy run`; returns the exit code.
pub fn run(args: RunArgs) -> i32 {
    let runner = match execute::runner(&args.configs, &args.plugins, args.max_workers) {
        Ok(r) => Arc::new(r),
        Err(code) => return code,
    };
    let server = match args.status_port {
        Some(port) => match super::serve::start(&runner, &args.status_host, port) {
            Ok(server) => Some(server),
            Err(code) => return code,
        },
        None => None,
    };
    let Finished { status, terminated } = match execute::run_with_progress(&runner) {
        Ok(finished) => finished,
        Err(code) => return code,
    };
    let outputs = print::outputs(&runner, args.show_secrets);
    if let Some(path) = &args.output_file {
        if let Err(e) = print::write_json_file(path, &outputs) {
            eprintln!("error: cannot write outputs to {}: {e}", path.display());
            return exit::HALTED;
        }
    }
    if !args.quiet {
        if args.json {
            print::json(&outputs);
        } else {
            print::human(&outputs);
        }
    }
    print::summary(&status);
    if let Some(server) = server {
        super::serve::keep_serving(server, status.outcome);
    }
    exit::for_outcome(status.outcome, terminated)
}
