//! Cancelling a run from another thread, a signal handler or a program (SPEC R16).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::watch;

type Waker = Box<dyn Fn() + Send + Sync>;

/// A cloneable handle that stops a run: no new step starts, running programs
/// are killed, pending steps become skipped.
#[derive(Clone)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    notify: watch::Sender<bool>,
    wakers: Arc<Mutex<Vec<Waker>>>,
    sleepers: Arc<(Mutex<bool>, Condvar)>,
}

impl std::fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelHandle")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
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
            wakers: Arc::new(Mutex::new(Vec::new())),
            sleepers: Arc::new((Mutex::new(false), Condvar::new())),
        }
    }

    /// Cancels the run.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.send_replace(true);
        let (cancelled, wake) = &*self.sleepers;
        *cancelled.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        for wake in self.wakers.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            wake();
        }
    }

    /// True once cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Resolves when cancelled (for async code).
    pub async fn cancelled(&self) {
        let mut rx = self.notify.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Sleeps for `duration` unless the run is cancelled first; true when it
    /// was (a retry's wait ends at once on Ctrl-C, SPEC R25).
    pub fn sleep(&self, duration: Duration) -> bool {
        let (cancelled, wake) = &*self.sleepers;
        let guard = cancelled.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = wake
            .wait_timeout_while(guard, duration, |cancelled| !*cancelled)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }

    /// The flag providers look at (through their call context).
    pub(crate) fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.flag)
    }

    /// Calls `wake` on cancellation (at once if already cancelled).
    pub(crate) fn on_cancel(&self, wake: Waker) {
        let mut wakers = self.wakers.lock().unwrap_or_else(|e| e.into_inner());
        if self.is_cancelled() {
            wake();
        }
        wakers.push(wake);
    }
}
