//! What the host tells a provider during a call, and what the provider can
//! tell the host back while it runs (output chunks, log lines).

use crate::host::{CallSink, Level, OutputStream};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A question "has the run been cancelled?" answered by someone else (the
/// host, when the provider lives in a plugin library).
type CancelCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// Hears the id a remote system gave the call's job (SPEC R34).
type JobReporter = Arc<dyn Fn(&str) + Send + Sync>;

/// Facts about the current call: the step's name and whether the run has been
/// cancelled (Ctrl-C, SIGTERM, or an embedding program's cancel handle); and
/// the way back to the host: [`CallContext::log`] for log lines,
/// [`CallContext::output`] for a program's output as it comes.
#[derive(Clone, Default)]
pub struct CallContext {
    step: String,
    cancelled: Arc<AtomicBool>,
    check: Option<CancelCheck>,
    job_reporter: Option<JobReporter>,
    sink: Option<Arc<dyn CallSink>>,
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("step", &self.step)
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

impl CallContext {
    /// A context for `step` that reports cancellation through `cancelled`.
    pub fn new(step: &str, cancelled: Arc<AtomicBool>) -> Self {
        CallContext {
            step: step.to_string(),
            cancelled,
            check: None,
            job_reporter: None,
            sink: None,
        }
    }

    /// A context for `step` that asks `check` whether the run has been
    /// cancelled. This is how a provider in a plugin library sees the host's
    /// cancellation across the library boundary.
    pub fn with_cancel_check(step: &str, check: Arc<dyn Fn() -> bool + Send + Sync>) -> Self {
        CallContext {
            step: step.to_string(),
            cancelled: Arc::new(AtomicBool::new(false)),
            check: Some(check),
            job_reporter: None,
            sink: None,
        }
    }

    /// The same context, sending output chunks and log lines to `sink` (the
    /// host does this; a context without a sink drops them).
    pub fn with_sink(mut self, sink: Arc<dyn CallSink>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Writes a log line at `level`. The host shows it in its log with the
    /// step's name, in the status API's `/logs` and the TUI, with secret
    /// values masked. Without a host listening (a context made in a test),
    /// the line is dropped.
    ///
    /// ```
    /// use flowtoy_plugin_api::{CallContext, Level};
    /// let ctx = CallContext::default();
    /// ctx.log(Level::Info, "fetched 3 pages");
    /// ```
    pub fn log(&self, level: Level, message: &str) {
        if let Some(sink) = &self.sink {
            sink.log(level, message);
        }
    }

    /// Hands the host a chunk of a program's output on `stream` as it comes,
    /// so people can follow a running step (the status API's
    /// `/steps/{name}` keeps the last 64 KiB of each stream). It changes
    /// nothing in the call's result.
    pub fn output(&self, stream: OutputStream, chunk: &[u8]) {
        if let Some(sink) = &self.sink {
            sink.output(stream, chunk);
        }
    }

    /// True when someone listens to [`CallContext::output`] and
    /// [`CallContext::log`] (a provider may skip work otherwise).
    pub fn has_sink(&self) -> bool {
        self.sink.is_some()
    }
    /// The name of the step being run.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// True once the run has been cancelled; a provider should stop its work
    /// (kill its program, drop its request) and return.
    pub fn is_cancelled(&self) -> bool {
        if self.cancelled.load(Ordering::SeqCst) {
            return true;
        }
        match &self.check {
            Some(check) if check() => {
                self.cancelled.store(true, Ordering::SeqCst);
                true
            }
            _ => false,
        }
    }

    /// The shared flag itself, for code that must hand it on.
    ///
    /// For a context made with [`CallContext::with_cancel_check`] the flag is
    /// set once [`CallContext::is_cancelled`] has seen the cancellation, so
    /// code that can should prefer asking `is_cancelled`.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancelled)
    }

    /// The same context, telling `reporter` the job ids an executor reports
    /// with [`CallContext::report_job_id`].
    pub fn with_job_reporter(mut self, reporter: Arc<dyn Fn(&str) + Send + Sync>) -> Self {
        self.job_reporter = Some(reporter);
        self
    }

    /// Tells the host the id of the job this call became on a remote
    /// system (a Slurm job id), so status readers can show it. Providers
    /// and local calls never need it; without a reporter it does nothing.
    pub fn report_job_id(&self, id: &str) {
        if let Some(report) = &self.job_reporter {
            report(id);
        }
    }
}
