//! `flowtoy serve` (SPEC R18): run a flow once while serving its status API
//! and web UI, and keep serving after the run until Ctrl-C. Also the
//! serving half of `run --status-port` and of the all-in-one `webui`.

use super::execute::{self, Finished};
use crate::cli::{PluginArgs, RecordArgs, ServeArgs};
use crate::error::{self, CliError, CliResult};
use crate::{logging, print, signals};
use flowtoy::runner::RunOutcome;
use flowtoy::runner_api::{self, ApiServer};
use flowtoy::LocalRunner;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs `flowtoy serve`.
pub fn run(args: ServeArgs) -> CliResult {
    serve_flow(
        &args.configs,
        &args.plugins,
        args.max_workers,
        &args.host,
        args.port,
        &args.history,
    )
}

/// Starts the status API and web UI for `runner` on `host:port`, telling
/// the user where.
pub fn start(runner: &Arc<LocalRunner>, host: &str, port: u16) -> Result<ApiServer, CliError> {
    let level = tracing::Level::WARN;
    match runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(runner)),
        host,
        port,
        level,
        Some(logging::capture()),
    ) {
        Ok(server) => {
            eprintln!(
                "flowtoy: status API at {url}/status, web UI at {url}/",
                url = server.url()
            );
            Ok(server)
        }
        Err(e) => Err(CliError::Address(e.to_string())),
    }
}

/// After a run: unless it was interrupted, keep `server` up until SIGINT
/// or SIGTERM (one after the `signals_before` counted when the run
/// started), then stop it.
pub fn keep_serving(server: ApiServer, outcome: Option<RunOutcome>, signals_before: u64) {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    if outcome != Some(RunOutcome::Cancelled) {
        eprintln!(
            "flowtoy: the run has ended; still serving at {} until Ctrl-C",
            server.url()
        );
        wait_for_stop(signals_before);
    }
    server.shutdown();
}

/// Blocks until SIGINT or SIGTERM arrives after `since` signals
/// ([`signals::received`]); at once if one already has.
pub fn wait_for_stop(since: u64) {
    if !signals::wait_after(since) {
        eprintln!("error: cannot listen for Ctrl-C; stopping now");
        return;
    }
    eprintln!("flowtoy: stopping the status API");
}

/// Loads `configs`, serves the status API and web UI on `host:port`, runs
/// the flow once with progress on stderr, then keeps serving until Ctrl-C.
/// The exit code is the run's (SPEC R17).
pub fn serve_flow(
    configs: &[PathBuf],
    plugins: &PluginArgs,
    max_workers: Option<u64>,
    host: &str,
    port: u16,
    history: &RecordArgs,
) -> CliResult {
    let runner = Arc::new(execute::runner(configs, plugins, max_workers, history)?);
    let server = start(&runner, host, port)?;
    let Finished {
        status,
        terminated,
        signals_before,
    } = execute::run_with_progress(&runner)?;
    print::summary(&status);
    keep_serving(server, status.outcome, signals_before);
    Ok(error::for_outcome(status.outcome, terminated))
}
