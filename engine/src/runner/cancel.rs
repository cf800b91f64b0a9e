//! Cancelling a run from another thread, a signal handler or a program (SPEC R16).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// A cloneable handle that stops a run: no new step starts, running programs
/// are killed, pending steps become skipped.
#[derive(Debug, Clone)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    notify: watch::Sender<bool>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelHandle {
    /// A handle that has not been cancelled.
    pub fn new() -> Self {
        CancelHandle {
            flag: Arc::new(AtomicBool::new(false)),
            notify: watch::channel(false).0,
        }
    }

    /// Cancels the run.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.send_replace(true);
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// The flag providers look at (through their call context).
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Resolves when cancelled.
    pub(crate) async fn cancelled(&self) {
        let mut rx = self.notify.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }
}
