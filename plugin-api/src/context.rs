//! What the host tells a provider during a call.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Facts about the current call: the step's name and whether the run has been
/// cancelled (Ctrl-C, SIGTERM, or an embedding program's cancel handle).
#[derive(Debug, Clone, Default)]
pub struct CallContext {
    step: String,
    cancelled: Arc<AtomicBool>,
}

impl CallContext {
    /// A context for `step` that reports cancellation through `cancelled`.
    pub fn new(step: &str, cancelled: Arc<AtomicBool>) -> Self {
        CallContext {
            step: step.to_string(),
            cancelled,
        }
    }

    /// The name of the step being run.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// True once the run has been cancelled; a provider should stop its work
    /// (kill its program, drop its request) and return.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// The shared flag itself, for code that must hand it on.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancelled)
    }
}
