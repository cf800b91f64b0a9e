//! The scheduler (SPEC R13–R16): starts ready steps in file order, at most
//! `max_workers` at once, applies each failed step's own policy, and stops
//! cleanly on cancellation. Each finished step costs work proportional to its
//! own dependents only.

use super::status::{now_secs, RunOutcome, StepState};
use super::step::{execute, panic_message};
use super::Shared;
use crate::config::OnError;
use crate::flows::StepOutputs;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use tokio::task::JoinSet;

struct Scheduler {
    shared: Arc<Shared>,
    /// Unfinished dependencies per step.
    waiting_on: Vec<usize>,
    /// Ready steps, smallest index (file order) first.
    ready: BinaryHeap<Reverse<usize>>,
    tasks: JoinSet<(usize, Result<StepOutputs, String>)>,
    halted: bool,
}

impl Scheduler {
    fn start(&mut self, index: usize) {
        let name = &self.shared.config.flow[index].name;
        tracing::info!(step = %name, "step started");
        self.shared.status.update(index, |s| {
            s.state = StepState::Running;
            s.started_at = Some(now_secs());
        });
        let shared = Arc::clone(&self.shared);
        self.tasks.spawn_blocking(move || {
            let outcome = catch_unwind(AssertUnwindSafe(|| execute(&shared, index)))
                .unwrap_or_else(|p| Err(format!("step panicked: {}", panic_message(&*p))));
            (index, outcome)
        });
    }

    /// A dependency of each of `index`'s dependents is done (succeeded, or failed under `continue`).
    fn release_dependents(&mut self, index: usize) {
        for &d in &self.shared.config.graph().dependents[index] {
            self.waiting_on[d] -= 1;
            if self.waiting_on[d] == 0 && self.shared.status.state(d) == StepState::Pending {
                self.ready.push(Reverse(d));
            }
        }
    }

    /// Skips every step that depends on `index`, transitively.
    fn skip_dependents(&mut self, index: usize) {
        let config = &self.shared.config;
        let graph = config.graph();
        let mut stack: Vec<(usize, usize)> = graph.dependents[index].iter().map(|&d| (d, index)).collect();
        while let Some((d, parent)) = stack.pop() {
            if self.shared.status.state(d) != StepState::Pending {
                continue;
            }
            let why = if parent == index { "failed" } else { "was skipped" };
            let reason = format!("skipped: depends on '{}', which {why}", config.flow[parent].name);
            tracing::info!(step = %config.flow[d].name, "{reason}");
            self.shared.status.update(d, |s| {
                s.state = StepState::Skipped;
                s.error = Some(reason);
            });
            stack.extend(graph.dependents[d].iter().map(|&g| (g, d)));

        }
    }

    fn finished(&mut self, index: usize, outcome: Result<StepOutputs, String>) {
        let name = self.shared.config.flow[index].name.clone();
        match outcome {
            Ok(outputs) => {
                tracing::info!(step = %name, "step succeeded");
                let names: Vec<String> = outputs.keys().cloned().collect();
                self.shared.flows.insert(&name, outputs);
                self.shared.status.update(index, |s| {
                    s.state = StepState::Succeeded;
                    s.ended_at = Some(now_secs());
                    s.outputs = names;
                });
                self.release_dependents(index);
            }
            Err(error) => {
                let policy = self.shared.policy(index);
                tracing::warn!(step = %name, policy = policy.as_str(), "step failed: {error}");
                self.shared.status.update(index, |s| {
                    s.state = StepState::Failed;
                    s.ended_at = Some(now_secs());
                    s.error = Some(error);
                });
                match policy {
                    OnError::Fail => self.halted = true,
                    OnError::Skip => self.skip_dependents(index),
                    OnError::Continue => self.release_dependents(index),
                }
            }
        }
    }
}

/// Runs every step of `shared`'s flow; returns how the run ended.
pub async fn schedule(shared: Arc<Shared>, max_workers: usize) -> RunOutcome {
    let graph = shared.config.graph();
    let waiting_on: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let ready = (0..waiting_on.len())
        .filter(|&i| waiting_on[i] == 0)
        .map(Reverse)
        .collect();
    let cancel = shared.cancel.clone();
    let mut s = Scheduler {
        shared: Arc::clone(&shared),
        waiting_on,
        ready,
        tasks: JoinSet::new(),
        halted: false,
    };
    shared.status.start();
    let cancelled = cancel.cancelled();
    tokio::pin!(cancelled);
    let mut is_cancelled = false;
    loop {
        while !s.halted && !is_cancelled && s.tasks.len() < max_workers.max(1) {
            match s.ready.pop() {
                Some(Reverse(i)) => s.start(i),
                None => break,
            }
        }
        if s.tasks.is_empty() {
            break;
        }
        tokio::select! {
            joined = s.tasks.join_next() => match joined {
                Some(Ok((index, outcome))) => s.finished(index, outcome),
                Some(Err(e)) => tracing::error!("a step task was lost: {e}"),
                None => {}
            },
            _ = &mut cancelled, if !is_cancelled => {
                tracing::warn!("run cancelled: stopping running steps");
                is_cancelled = true;
            }
        }
    }
    let reason = if is_cancelled {
        "skipped: the run was cancelled"
    } else {
        "skipped: the run halted after a failure"
    };
    for i in 0..shared.config.flow.len() {
        if shared.status.state(i) == StepState::Pending {
            shared.status.update(i, |st| {
                st.state = StepState::Skipped;
                st.error = Some(reason.to_string());
            });
        }
    }
    let outcome = if is_cancelled {
        RunOutcome::Cancelled
    } else if s.halted {
        RunOutcome::Halted
    } else {
        RunOutcome::Completed
    };
    shared.status.finish(outcome);
    outcome
}
