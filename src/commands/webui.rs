//! `flowtoy webui` (SPEC R18, R20): the web UI for a flow run here
//! (all-in-one), or for a remote runner (`--status-url`, relay mode).

use super::serve;
use crate::cli::WebuiArgs;
use crate::error::{CliError, CliResult, OK};
use crate::{logging, signals};
use flowtoy::runner_api::{self, ApiSource, RelayClient, ServeOptions, StatusUrl};

/// Runs `flowtoy webui`.
pub fn run(args: WebuiArgs) -> CliResult {
    match (args.configs.is_empty(), &args.status_url) {
        (false, Some(_)) => Err(CliError::Usage(
            "give either CONFIG files (run a flow here) or --status-url (watch a remote runner), not both".into(),
        )),
        (true, None) => Err(CliError::Usage(
            "give CONFIG files to run a flow here, or --status-url URL to watch a remote runner\n\n\
             Examples:\n  flowtoy webui examples/quickstart.yaml\n  flowtoy webui --status-url http://127.0.0.1:8000"
                .into(),
        )),
        (false, None) => serve::serve_flow(
            &args.configs,
            &args.plugins,
            args.max_workers,
            &args.host,
            args.port,
            &args.auth,
            &args.history,
        ),
        (true, Some(url)) => relay(url, &args.host, args.port, &args.auth),
    }
}

/// Serves the web UI and API by relaying the runner at `url` until Ctrl-C.
/// The token, when given, is both required here and sent to the runner.
fn relay(url: &str, host: &str, port: u16, auth: &crate::cli::AuthArgs) -> CliResult {
    let target = StatusUrl::parse(url).map_err(CliError::Usage)?;
    let token = serve::token_for(host, auth)?;
    let client = RelayClient::new(target.clone())
        .map_err(CliError::Internal)?
        .token(token.clone());
    let signals_before = signals::received().map_or(0, |r| r.count);
    let options = ServeOptions::new(host, port)
        .log(tracing::Level::WARN, Some(logging::capture()))
        .token(token);
    let server = runner_api::serve_api(ApiSource::Relay(client), options)
        .map_err(|e| CliError::Address(e.to_string()))?;
    note!(
        "flowtoy: web UI at {}/ relaying the runner at {} (Ctrl-C to stop)",
        server.url(),
        target.base()
    );
    serve::wait_for_stop(signals_before);
    server.shutdown();
    Ok(OK)
}
