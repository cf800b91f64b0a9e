//! Running a flow from the command line, shared by `run`, `serve`, `webui`
//! and `tui`: load it into a runner, then run it with progress on stderr
//! while SIGINT/SIGTERM cancel it.

use super::load;
use crate::cli::{PluginArgs, RecordArgs};
use crate::error::CliError;
use crate::progress;
use crate::signals::{self, Stop};
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
    /// How many signals had arrived before the run ([`signals::received`]):
    /// one more ended the run, or asks a server kept up after it to stop.
    pub signals_before: u64,
}

/// Runs `runner` to its end with progress on stderr; SIGINT and SIGTERM
/// cancel it. Signals are counted for the whole process (`signals.rs`), so a
/// server kept up afterwards sees one that arrives as the run ends.
pub fn run_with_progress(runner: &Arc<LocalRunner>) -> Result<Finished, CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    let terminated = Arc::new(AtomicBool::new(false));
    let signals_before = signals::received().map(|r| r.count);
    let status = rt.block_on(async {
        watch_signals(
            signals_before,
            runner.cancel_handle(),
            Arc::clone(&terminated),
        );
        let progress = progress::spawn(runner);
        let status = runner.run_async().await;
        match status {
            Ok(_) => progress.finish().await,
            // A run that ended without its end event (the scheduler
            // failed) leaves nothing more to show.
            Err(_) => progress.stop(),
        }
        status
    });
    drop(rt);
    let status = status?;
    Ok(Finished {
        status,
        terminated: terminated.load(Ordering::SeqCst),
        signals_before: signals_before.unwrap_or(0),
    })
}

/// Cancels the run on the first SIGINT or SIGTERM after `since` signals,
/// remembering which.
fn watch_signals(since: Option<u64>, cancel: CancelHandle, terminated: Arc<AtomicBool>) {
    let Some(since) = since else {
        tracing::warn!("cannot listen for signals; Ctrl-C will stop flowtoy abruptly");
        return;
    };
    tokio::spawn(async move {
        if signals::after(since).await == Stop::Terminate {
            terminated.store(true, Ordering::SeqCst);
        }
        note!("flowtoy: interrupted, stopping running steps");
        cancel.cancel();
    });
}
