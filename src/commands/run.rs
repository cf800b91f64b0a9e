//! `flowtoy run`: run a flow, show progress on stderr, print outputs.

use super::execute::{self, Finished};
use crate::cli::RunArgs;
use crate::error::{self, CliError, CliResult};
use crate::print;
use std::sync::Arc;

/// Runs `flowtoy run`.
pub fn run(args: RunArgs) -> CliResult {
    let token = match args.status_port {
        Some(_) => super::serve::token_for(&args.status_host, &args.auth)?,
        None => None,
    };
    let runner = Arc::new(execute::runner(
        &args.configs,
        &args.plugins,
        args.max_workers,
        &args.history,
    )?);
    let server = match args.status_port {
        Some(port) => Some(super::serve::start(
            &runner,
            &args.status_host,
            port,
            token,
        )?),
        None => None,
    };
    let Finished {
        status,
        terminated,
        signals_before,
    } = execute::run_with_progress(&runner)?;
    let outputs = print::outputs(&runner, args.show_secrets);
    if let Some(path) = &args.output_file {
        print::write_json_file(path, &outputs).map_err(|e| {
            CliError::Io(format!("cannot write outputs to {}: {e}", path.display()))
        })?;
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
        super::serve::keep_serving(server, status.outcome, signals_before);
    }
    Ok(error::for_outcome(status.outcome, terminated))
}
