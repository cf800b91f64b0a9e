//! One call of a step — or of one iteration of a `foreach` step — with its
//! policies (SPEC R25–R27): the iteration's `when`, a timeout on each try,
//! and retries with backoff. Runs on a worker thread, outside the
//! scheduler's lock.
//!
//! A try with a timeout runs on a thread of its own so the worker can stop
//! waiting at the deadline: the provider is told through its
//! [`CallContext`] (a process is killed with its children, an HTTP request
//! dropped), the try fails with `timeout after N s` at once, and the worker
//! takes other work. A provider that ignores cancellation keeps that thread
//! until its call returns; its result is then dropped. The run waits a short
//! while for such threads before it ends (see [`CallsInFlight`]), so killed
//! programs are gone when `run` returns.

use super::step::{execute, panic_message};
use super::Shared;
use crate::error::{StepError, StepErrorKind};
use crate::flows::StepOutputs;
use crate::template::BaseContext;
use flowtoy_plugin_api::CallContext;
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What one call came to.
#[derive(Debug)]
pub(super) enum CallOutcome {
    /// The outputs it picked.
    Succeeded(StepOutputs),
    /// Why it failed (after every try).
    Failed(StepError),
    /// An iteration whose `when` was false: why.
    Skipped(String),
}

/// Calls of timed-out tries still running on threads of their own.
#[derive(Debug, Default)]
pub(crate) struct CallsInFlight {
    count: Mutex<usize>,
    idle: Condvar,
}

impl CallsInFlight {
    fn begin(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    }

    fn end(&self) {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.idle.notify_all();
        }
    }

    /// Waits until none is left, or `grace` has passed; true when none is.
    pub fn wait_idle(&self, grace: Duration) -> bool {
        let count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        let (count, _) = self
            .idle
            .wait_timeout_while(count, grace, |n| *n > 0)
            .unwrap_or_else(|e| e.into_inner());
        *count == 0
    }
}

/// `2` for 2.0, `0.5` for 0.5.
pub(super) fn seconds_text(seconds: f64) -> String {
    if seconds.fract() == 0.0 && seconds < 1e15 {
        format!("{}", seconds as u64)
    } else {
        format!("{seconds}")
    }
}

/// Runs step `index` (or its iteration `iteration`: index and item) through
/// every try its retry policy allows. `on_try` hears the number of each try
/// as it starts.
pub(super) fn call(
    shared: &Arc<Shared>,
    index: usize,
    iteration: Option<(usize, &Value)>,
    on_try: &dyn Fn(u32),
) -> CallOutcome {
    let step = &shared.config.flow()[index];
    let base = match iteration {
        Some((i, item)) => shared.base.for_item(i, item),
        None => shared.base.clone(),
    };
    if let (Some((i, _)), Some(expr)) = (iteration, step.control().when_expression()) {
        match super::condition::holds(shared, expr, &base) {
            Ok(true) => {}
            Ok(false) => {
                return CallOutcome::Skipped(format!("item {i}: condition is false: {expr}"))
            }
            Err(e) => return CallOutcome::Failed(e),
        }
    }
    let runner = shared.config.runner();
    let policy = step.control().retry.as_ref().or(runner.retry.as_ref());
    let attempts = policy.map_or(1, |p| p.attempts.max(1));
    let timeout = step.control().timeout.or(runner.timeout);
    let mut attempt = 1;
    loop {
        on_try(attempt);
        if attempts > 1 {
            tracing::info!(step = %step.name, "try {attempt} of {attempts}");
        }
        let error = match try_once(shared, index, &base, timeout) {
            Ok(outputs) => return CallOutcome::Succeeded(outputs),
            Err(error) => error,
        };
        if error.kind.is_provider_failure() {
            shared.metrics.count_failure(index);
        }
        let retry = error.kind.is_retryable() && attempt < attempts;
        match policy.filter(|_| retry && !shared.cancel.is_cancelled()) {
            Some(policy) => {
                let wait = policy.wait_before(attempt + 1);
                tracing::warn!(
                    step = %step.name,
                    "try {attempt} of {attempts} failed: {}; trying again in {} s",
                    crate::secrets::mask(&error.message),
                    seconds_text(wait.as_secs_f64())
                );
                if shared.cancel.sleep(wait) {
                    return CallOutcome::Failed(StepError::new(
                        StepErrorKind::Cancelled,
                        format!(
                            "cancelled while waiting for try {} of {attempts}: {}",
                            attempt + 1,
                            error.message
                        ),
                    ));
                }
                shared.metrics.count_retry();
                attempt += 1;
            }
            None if attempt > 1 => {
                return CallOutcome::Failed(StepError::new(
                    error.kind,
                    format!("failed after {attempt} attempts: {}", error.message),
                ))
            }
            None => return CallOutcome::Failed(error),
        }
    }
}

/// One try, bounded by `timeout` seconds when there is one.
fn try_once(
    shared: &Arc<Shared>,
    index: usize,
    base: &BaseContext,
    timeout: Option<f64>,
) -> Result<StepOutputs, StepError> {
    let Some(seconds) = timeout else {
        let ctx = call_context(shared, index, None);
        return guarded(shared, index, base, &ctx);
    };
    let expired = Arc::new(AtomicBool::new(false));
    let ctx = call_context(shared, index, Some(Arc::clone(&expired)));
    let (send, receive) = mpsc::channel();
    let thread_shared = Arc::clone(shared);
    let thread_base = base.clone();
    shared.in_flight.begin();
    let spawned = std::thread::Builder::new()
        .name(format!("flowtoy-call-{index}"))
        .spawn(move || {
            let result = guarded(&thread_shared, index, &thread_base, &ctx);
            let _ = send.send(result);
            thread_shared.in_flight.end();
        });
    if let Err(e) = spawned {
        shared.in_flight.end();
        return Err(StepError::new(
            StepErrorKind::Provider,
            format!("cannot start a thread for the call: {e}"),
        ));
    }
    let deadline = Instant::now() + Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    match receive.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            expired.store(true, Ordering::SeqCst);
            Err(StepError::new(
                StepErrorKind::Timeout,
                format!("timeout after {} s", seconds_text(seconds)),
            ))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(StepError::new(
            StepErrorKind::Panic,
            "the call's thread ended without an answer",
        )),
    }
}

/// The context of one try of step `index`: it is cancelled with the run,
/// when `expired` (the try's deadline) is set, and — for a step on a remote
/// executor — when the run halts under `fail`, so its job does not go on
/// for a run that has already failed (R34, R35). A remote step's job ids
/// show in its status.
fn call_context(
    shared: &Arc<Shared>,
    index: usize,
    expired: Option<Arc<AtomicBool>>,
) -> CallContext {
    let name = &shared.config.flow()[index].name;
    let remote = shared.config.placement(index).remote().is_some();
    let sink = super::details::sink(shared, index);
    if !remote && expired.is_none() {
        return CallContext::new(name, shared.cancel.flag()).with_sink(sink);
    }
    let run = shared.cancel.flag();
    let halt = remote.then(|| Arc::clone(&shared.halt));
    let set =
        |flag: &Option<Arc<AtomicBool>>| flag.as_ref().is_some_and(|f| f.load(Ordering::SeqCst));
    let ctx = CallContext::with_cancel_check(
        name,
        Arc::new(move || run.load(Ordering::SeqCst) || set(&expired) || set(&halt)),
    )
    .with_sink(sink);
    if !remote {
        return ctx;
    }
    let status = Arc::clone(&shared.status);
    ctx.with_job_reporter(Arc::new(move |id: &str| {
        let id = id.to_string();
        status.update(index, |s| s.job_id = Some(id));
    }))
}

/// [`execute`] with panics turned into a failed try.
fn guarded(
    shared: &Shared,
    index: usize,
    base: &BaseContext,
    ctx: &CallContext,
) -> Result<StepOutputs, StepError> {
    catch_unwind(AssertUnwindSafe(|| execute(shared, index, base, ctx))).unwrap_or_else(|p| {
        Err(StepError::new(
            StepErrorKind::Panic,
            format!("step panicked: {}", panic_message(&*p)),
        ))
    })
}
