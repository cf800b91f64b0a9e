//! Running a flow from the command line, shared by `run`, `serve`, `webui`
//! and `tui`: load it into a runner, then run it with progress on stderr
//! while SIGINT/SIGTERM cancel it.

use super::load;
use crate::cli::{PluginArgs, RecordArgs};
use crate::error::CliError;
use crate::progress;
use flowtoy::runner::{CancelHandle, RunStatus};
use flowtoy::LocalRunner;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Loads `configs` (plugins included) and makes the runner, `--max-workers`
/// applied, recording into the run history unless `history` says not to
/// (a history that cannot be used stops here: nothing runs).
pub fn runner(
    configs: &[PathBuf],
    plugins: &PluginArgs,
    max_workers: Option<u64>,
    history: &RecordArgs,
) -> Result<LocalRunner, CliError> {
    let mut runner = LocalRunner::new(load::load(configs, plugins)?);
    if let Some(n) = max_workers {
        runner.set_max_workers(n as usize);
    }
    if let Some(store) = super::history::store_for_run(history)? {
        runner.record_into(store);
    }
    Ok(runner)
}

/// How a run from the command line ended.
pub struct Finished {
    /// The final status.
    pub status: RunStatus,
    /// SIGTERM (rather than SIGINT) cancelled it.
    pub terminated: bool,
}

/// Runs `runner` to its end with progress on stderr; SIGINT and SIGTERM
/// cancel it. The signal watcher is gone when this returns, so a server that
/// keeps serving afterwards handles Ctrl-C itself.
pub fn run_with_progress(runner: &Arc<LocalRunner>) -> Result<Finished, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    let terminated = Arc::new(AtomicBool::new(false));
    let status = rt.block_on(async {
        watch_signals(runner.cancel_handle(), Arc::clone(&terminated));
        let progress = progress::spawn(runner);
        let status = runner.run_async().await;
        progress.finish().await;
        status
    });
    drop(rt);
    let status = status?;
    Ok(Finished {
        status,
        terminated: terminated.load(Ordering::SeqCst),
    })
}

/// Cancels the run on SIGINT or SIGTERM, remembering which.
fn watch_signals(cancel: CancelHandle, terminated: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!("cannot listen for signals; Ctrl-C will stop flowtoy abruptly");
        return;
    };
    tokio::spawn(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => terminated.store(true, Ordering::SeqCst),
        }
        eprintln!("flowtoy: interrupted, stopping running steps");
        cancel.cancel();
    });
}
