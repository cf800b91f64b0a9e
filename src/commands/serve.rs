//! `flowtoy serve` (SPEC R18): run a flow once while serving its status API
//! and web UI, and keep serving after the run until Ctrl-C. Also the
//! serving half of `run --status-port` and of the all-in-one `webui`.

use super::execute::{self, Finished};
use crate::cli::{AuthArgs, PluginArgs, RecordArgs, ServeArgs};
use crate::error::{self, CliError, CliResult};
use crate::{logging, print, signals};
use flowtoy::runner::RunOutcome;
use flowtoy::runner_api::{self, ApiServer, ServeOptions, StatusToken};
use flowtoy::LocalRunner;
use std::net::ToSocketAddrs;
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
        &args.auth,
        &args.history,
    )
}

/// The token a status API on `host` requires (`--status-token`,
/// `FLOWTOY_STATUS_TOKEN`). Without one, a non-loopback `host` is refused
/// unless `--no-auth` (then with a warning).
pub fn token_for(host: &str, auth: &AuthArgs) -> Result<Option<StatusToken>, CliError> {
    let token = auth
        .status_token
        .as_deref()
        .map(StatusToken::new)
        .transpose()
        .map_err(CliError::Usage)?;
    if token.is_none() && !is_loopback(host) {
        if !auth.no_auth {
            return Err(CliError::Usage(format!(
                "refusing to serve the status API on {host} without a token: anyone who can reach it would read the flow's status and outputs.\n\
                 Set a token with --status-token TOKEN or FLOWTOY_STATUS_TOKEN (e.g. `export FLOWTOY_STATUS_TOKEN=$(openssl rand -hex 32)`), \
                 bind 127.0.0.1, or pass --no-auth to serve it without one"
            )));
        }
        note!(
            "warning: --no-auth: the status API on {host} answers anyone who can reach it, without a token"
        );
    }
    Ok(token)
}

/// True when every address `host` resolves to is a loopback address (an
/// unresolvable host is left to the server to report).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match (bare, 0).to_socket_addrs() {
        Ok(addrs) => addrs.into_iter().all(|a| a.ip().is_loopback()),
        Err(_) => true,
    }
}

/// Starts the status API and web UI for `runner` on `host:port`, behind
/// `token` when given, telling the user where (never the token).
pub fn start(
    runner: &Arc<LocalRunner>,
    host: &str,
    port: u16,
    token: Option<StatusToken>,
) -> Result<ApiServer, CliError> {
    let options = ServeOptions::new(host, port)
        .log(tracing::Level::WARN, Some(logging::capture()))
        .token(token);
    match runner_api::serve_api(Some(Arc::clone(runner)).into(), options) {
        Ok(server) => {
            note!(
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
        note!(
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
        note!("error: cannot listen for Ctrl-C; stopping now");
        return;
    }
    note!("flowtoy: stopping the status API");
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
    auth: &AuthArgs,
    history: &RecordArgs,
) -> CliResult {
    let token = token_for(host, auth)?;
    let runner = Arc::new(execute::runner(configs, plugins, max_workers, history)?);
    let server = start(&runner, host, port, token)?;
    let Finished {
        status,
        terminated,
        signals_before,
    } = execute::run_with_progress(&runner)?;
    print::summary(&status);
    keep_serving(server, status.outcome, signals_before);
    Ok(error::for_outcome(status.outcome, terminated))
}
