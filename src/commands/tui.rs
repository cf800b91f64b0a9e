//! `flowtoy tui`: watch a run in a full-screen terminal UI (SPEC R22).
//!
//! All-in-one (`flowtoy tui CONFIG...`): the flow runs here and the UI reads
//! the runner in-process; its status API is served on a free port of
//! 127.0.0.1 for others to watch (SPEC R22). The UI stays after the run
//! until `q`. Remote (`--status-url URL`,
//! or `RUNNER_STATUS_URL` when no CONFIG is given): nothing runs here.
//!
//! Exit status: a signal (SIGINT, SIGTERM, SIGHUP) gives 128 + its number;
//! otherwise remote mode gives 0, and all-in-one mode gives the run's code as
//! `flowtoy run` does (0, 1, or 130 when `q`/Ctrl-C left before the run
//! ended and stopped it).

use crate::cli::{GlobalArgs, TuiArgs};
use crate::error::{self, CliError, CliResult, OK};
use crate::{logging, print};
use flowtoy::runner_api::{self, LogCapture, ServeOptions, StatusToken};
use flowtoy::tui::{Ended, HttpSource, InProcessSource, Tui};
use std::io::IsTerminal;
use std::sync::Arc;

/// Runs `flowtoy tui`.
pub fn run(args: TuiArgs, global: &GlobalArgs) -> CliResult {
    let status_url = args.status_url.clone().filter(|url| {
        // RUNNER_STATUS_URL is only a fallback: CONFIG files win over it.
        args.configs.is_empty() || given_on_command_line() || !from_env(url)
    });
    match (args.configs.is_empty(), status_url) {
        (false, Some(_)) => Err(CliError::Usage(
            "give either CONFIG files (run a flow here) or --status-url (watch a remote runner), not both".into(),
        )),
        (true, None) => Err(CliError::Usage(
            "give CONFIG files to run a flow here, or --status-url URL (or RUNNER_STATUS_URL) to watch a remote runner\n\n  flowtoy tui examples/quickstart.yaml --show-logs\n  flowtoy tui --status-url http://127.0.0.1:8000".into(),
        )),
        (true, Some(url)) => remote(&url, token(&args)?, args.show_logs),
        (false, None) => all_in_one(args, global),
    }
}

/// The status API token given (`--status-token`, `FLOWTOY_STATUS_TOKEN`).
fn token(args: &TuiArgs) -> Result<Option<StatusToken>, CliError> {
    args.status_token
        .as_deref()
        .map(StatusToken::new)
        .transpose()
        .map_err(CliError::Usage)
}

/// A usage error when stdout is not a terminal.
fn need_terminal() -> Result<(), CliError> {
    if std::io::stdout().is_terminal() {
        return Ok(());
    }
    Err(CliError::Usage(
        "flowtoy tui needs a terminal, and stdout is not one; use `flowtoy run` (or `flowtoy webui`) instead".into(),
    ))
}

/// The terminal UI failed.
fn ui_failed(e: impl std::fmt::Display) -> CliError {
    CliError::Io(format!("the terminal UI failed: {e}"))
}

fn given_on_command_line() -> bool {
    std::env::args().any(|a| a == "--status-url" || a.starts_with("--status-url="))
}

fn from_env(url: &str) -> bool {
    std::env::var("RUNNER_STATUS_URL").is_ok_and(|v| v == url)
}

/// Watches the runner at `url`.
fn remote(url: &str, token: Option<StatusToken>, show_logs: bool) -> CliResult {
    if show_logs {
        note!(
            "warning: --show-logs shows the logs of a flow run here; with --status-url there are none, going on without the logs panel"
        );
    }
    let source = HttpSource::new(url).map_err(CliError::Usage)?.token(token);
    need_terminal()?;
    let ended = Tui::new(source).run().map_err(ui_failed)?;
    Ok(signal_exit(&ended).unwrap_or(OK))
}

/// The exit code for a TUI ended by a signal (128 + its number).
fn signal_exit(ended: &Ended) -> Option<i32> {
    ended.signal.map(|signal| 128 + signal)
}

/// Runs the flow here and watches it in-process; serves its status API on
/// a free port for others.
fn all_in_one(args: TuiArgs, global: &GlobalArgs) -> CliResult {
    let token = token(&args)?;
    let runner = super::execute::runner(
        &args.configs,
        &args.plugins,
        args.max_workers,
        &args.history,
    )?;
    need_terminal()?;
    let runner = Arc::new(runner);
    // Log lines must not reach the terminal the UI draws on: with
    // --show-logs they go to the logs panel, otherwise nowhere.
    let capture = args.show_logs.then(|| LogCapture::new(100));
    let level = log_level(global, args.show_logs);
    let options = ServeOptions::new("127.0.0.1", 0)
        .log(level, capture.clone())
        .token(token);
    let server = runner_api::serve_api(Some(Arc::clone(&runner)).into(), options)
        .map_err(|e| CliError::Address(e.to_string()))?;
    let source = InProcessSource::new(Arc::clone(&runner))
        .label(format!("this process (status API at {})", server.url()));
    let run_thread = {
        let runner = Arc::clone(&runner);
        std::thread::Builder::new()
            .name("flowtoy-run".into())
            .spawn(move || runner.run())
    };
    let run_thread =
        run_thread.map_err(|e| CliError::Internal(format!("cannot start the run: {e}")))?;
    let mut tui = Tui::new(source);
    if let Some(capture) = capture {
        tui = tui.logs(move || capture.records());
    }
    let ended = tui.run();
    if runner.status().ended_at.is_none() {
        note!("flowtoy: left the UI before the run ended; stopping running steps");
        runner.cancel_handle().cancel();
    }
    let status = run_thread
        .join()
        .map_err(|_| CliError::Internal("the run panicked".into()))??;
    server.shutdown();
    print::summary(&status);
    let ended = ended.map_err(ui_failed)?;
    Ok(signal_exit(&ended).unwrap_or_else(|| error::for_outcome(status.outcome, false)))
}

/// The level of the log lines captured for the logs panel: `-v` and
/// `--log-level` as usual, `info` by default with `--show-logs`.
fn log_level(global: &GlobalArgs, show_logs: bool) -> tracing::Level {
    let name = if show_logs && global.verbose == 0 && global.log_level.is_none() {
        "info".to_string()
    } else {
        logging::level(global)
    };
    name.parse().unwrap_or(tracing::Level::WARN)
}
