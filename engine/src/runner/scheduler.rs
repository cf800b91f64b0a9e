//! The scheduler (SPEC R13–R16): starts ready steps in file order, at most
//! `max_workers` at once, applies each failed step's own policy, and stops
//! cleanly on cancellation.
//!
//! `max_workers` threads schedule themselves: a worker that finishes a step
//! records it, releases its dependents and takes the next ready step, all
//! under one short lock, so a step costs no thread hand-off and work
//! proportional to its own dependents only. Idle workers sleep on a condition
//! variable; nothing polls.

use super::status::{now_secs, RunOutcome, StepState};
use super::step::{execute, panic_message};
use super::Shared;
use crate::config::OnError;
use crate::error::{StepError, StepErrorKind};
use crate::flows::StepOutputs;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// What the workers share, behind one lock.
struct Queue {
    /// Unfinished dependencies per step.
    waiting_on: Vec<usize>,
    /// Ready steps, smallest index (file order) first.
    ready: BinaryHeap<Reverse<usize>>,
    /// Steps being run right now.
    running: usize,
    /// A step failed under `fail`: start nothing new.
    halted: bool,
    /// The run was cancelled: start nothing new.
    cancelled: bool,
}

impl Queue {
    fn may_start(&self) -> bool {
        !self.halted && !self.cancelled && !self.ready.is_empty()
    }

    fn is_over(&self) -> bool {
        self.running == 0 && (self.halted || self.cancelled || self.ready.is_empty())
    }
}

struct Pool {
    shared: Arc<Shared>,
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One worker: take a ready step, run it, record it, repeat.
    fn work(&self) {
        let mut queue = self.lock();
        loop {
            if queue.is_over() {
                self.wake.notify_all();
                return;
            }
            if !queue.may_start() {
                queue = self.wake.wait(queue).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            let Some(Reverse(index)) = queue.ready.pop() else {
                continue;
            };
            queue.running += 1;
            // Marked running under the lock, so start order is file order.
            self.shared.status.update(index, |s| {
                s.state = StepState::Running;
                s.started_at = Some(now_secs());
            });
            drop(queue);
            tracing::info!(step = %self.shared.config.flow()[index].name, "step started");
            let outcome = catch_unwind(AssertUnwindSafe(|| execute(&self.shared, index)))
                .unwrap_or_else(|p| {
                    Err(StepError::new(
                        StepErrorKind::Panic,
                        format!("step panicked: {}", panic_message(&*p)),
                    ))
                });
            queue = self.lock();
            queue.running -= 1;
            self.finished(&mut queue, index, outcome);
        }
    }

    /// A dependency of each of `index`'s dependents is done (succeeded, or
    /// failed under `continue`).
    fn release_dependents(&self, queue: &mut Queue, index: usize) {
        let mut released = 0;
        for &d in &self.shared.config.graph().dependents[index] {
            queue.waiting_on[d] -= 1;
            if queue.waiting_on[d] == 0 && self.shared.status.state(d) == StepState::Pending {
                queue.ready.push(Reverse(d));
                released += 1;
            }
        }
        // The calling worker takes one of them itself as soon as it loops;
        // waking another for it would only cost a futex round trip.
        match released {
            0 | 1 => {}
            2 => self.wake.notify_one(),
            _ => self.wake.notify_all(),
        }
    }

    /// Skips every step that depends on `index`, transitively.
    fn skip_dependents(&self, index: usize) {
        let config = &self.shared.config;
        let graph = config.graph();
        let mut stack: Vec<(usize, usize)> = graph.dependents[index]
            .iter()
            .map(|&d| (d, index))
            .collect();
        while let Some((d, parent)) = stack.pop() {
            if self.shared.status.state(d) != StepState::Pending {
                continue;
            }
            let why = if parent == index {
                "failed"
            } else {
                "was skipped"
            };
            let reason = format!(
                "skipped: depends on '{}', which {why}",
                config.flow()[parent].name
            );
            tracing::info!(step = %config.flow()[d].name, "{reason}");
            self.shared.status.update(d, |s| {
                s.state = StepState::Skipped;
                s.error = Some(reason);
            });
            stack.extend(graph.dependents[d].iter().map(|&g| (g, d)));
        }
    }

    fn finished(&self, queue: &mut Queue, index: usize, outcome: Result<StepOutputs, StepError>) {
        let shared = &self.shared;
        let name = &shared.config.flow()[index].name;
        match outcome {
            Ok(outputs) => {
                tracing::info!(step = %name, "step succeeded");
                for spec in shared.config.flow()[index]
                    .output
                    .iter()
                    .filter(|o| o.secret)
                {
                    if let Some(value) = outputs.get(&spec.name) {
                        crate::secrets::registry().add_json(value);
                    }
                }
                let names: Vec<String> = outputs.keys().cloned().collect();
                shared.flows.insert(name, outputs);
                shared.status.update(index, |s| {
                    s.state = StepState::Succeeded;
                    s.ended_at = Some(now_secs());
                    s.outputs = names;
                });
                self.release_dependents(queue, index);
            }
            Err(error) => {
                let error = crate::secrets::mask(&error.message).into_owned();
                let policy = shared.config.policy(index);

                tracing::warn!(step = %name, policy = policy.as_str(), "step failed: {error}");
                shared.status.update(index, |s| {
                    s.state = StepState::Failed;
                    s.ended_at = Some(now_secs());
                    s.error = Some(error);
                });
                match policy {
                    OnError::Fail => queue.halted = true,
                    OnError::Skip => self.skip_dependents(index),
                    OnError::Continue => self.release_dependents(queue, index),
                }
            }
        }
    }
}

/// Runs every step of `shared`'s flow on `max_workers` threads, blocking the
/// caller until the run is over; returns how it ended.
pub fn schedule(shared: Arc<Shared>, max_workers: usize) -> RunOutcome {
    let graph = shared.config.graph();
    let waiting_on: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let ready = (0..waiting_on.len())
        .filter(|&i| waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let pool = Arc::new(Pool {
        shared: Arc::clone(&shared),
        queue: Mutex::new(Queue {
            waiting_on,
            ready,
            running: 0,
            halted: false,
            cancelled: shared.cancel.is_cancelled(),
        }),
        wake: Condvar::new(),
    });
    let waker = Arc::downgrade(&pool);
    shared.cancel.on_cancel(Box::new(move || {
        if let Some(pool) = waker.upgrade() {
            tracing::warn!("run cancelled: stopping running steps");
            pool.lock().cancelled = true;
            pool.wake.notify_all();
        }
    }));
    shared.status.start();
    let workers = max_workers.clamp(1, shared.config.flow().len().max(1));
    std::thread::scope(|scope| {
        for i in 1..workers {
            let pool = &pool;
            let spawned = std::thread::Builder::new()
                .name(format!("flowtoy-worker-{i}"))
                .spawn_scoped(scope, move || pool.work());
            if let Err(e) = spawned {
                tracing::warn!("could only start {i} of {workers} workers: {e}");
                break;
            }
        }
        // The calling thread works too, so a run always has a worker.
        pool.work();
    });
    let queue = pool.lock();
    let reason = if queue.cancelled {
        "skipped: the run was cancelled"
    } else {
        "skipped: the run halted after a failure"
    };
    for i in 0..shared.config.flow().len() {
        if shared.status.state(i) == StepState::Pending {
            shared.status.update(i, |st| {
                st.state = StepState::Skipped;
                st.error = Some(reason.to_string());
            });
        }
    }
    let outcome = if queue.cancelled {
        RunOutcome::Cancelled
    } else if queue.halted {
        RunOutcome::Halted
    } else {
        RunOutcome::Completed
    };
    shared.status.finish(outcome);
    outcome
}
