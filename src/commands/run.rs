//! `flowtoy run`: run a flow, show progress on stderr, print outputs.

use super::load;
use crate::cli::RunArgs;
use crate::{exit, print, progress};
use flowtoy::LocalRunner;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Runs `flowtoy run`; returns the exit code.
pub fn run(args: RunArgs) -> i32 {
    let (config, registry) = match load::load(&args.configs, &args.plugins) {
        Ok(loaded) => loaded,
        Err(e) => return exit::report(&e),
    };
    let mut runner = match LocalRunner::with_registry(config, registry) {
        Ok(r) => r,
        Err(e) => return exit::report(&e),
    };
    if let Some(n) = args.max_workers {
        runner.set_max_workers(n as usize);
    }
    let runner = Arc::new(runner);
    let server = match args.status_port {
        Some(port) => match super::serve::start(&runner, &args.status_host, port) {
            Ok(server) => Some(server),
            Err(code) => return code,
        },
        None => None,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::HALTED;
        }
    };
    let terminated = Arc::new(AtomicBool::new(false));
    let status = rt.block_on(async {
        watch_signals(runner.cancel_handle(), Arc::clone(&terminated));
        let progress = progress::spawn(&runner);
        let status = runner.run_async().await;
        progress.finish().await;
        status
    });
    let status = match status {
        Ok(s) => s,
        Err(e) => return exit::report(&e),
    };
    let outputs = print::outputs_json(&runner, args.show_secrets);
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
        // Ends the signal watcher: from here Ctrl-C stops the server.
        drop(rt);
        super::serve::keep_serving(server, status.outcome);
    }
    exit::for_outcome(status.outcome, terminated.load(Ordering::SeqCst))
}

/// Cancels the run on SIGINT or SIGTERM, remembering which.
fn watch_signals(cancel: flowtoy::runner::CancelHandle, terminated: Arc<AtomicBool>) {
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
