//! The scheduler (SPEC R13–R16, R25–R29): starts ready work in file order,
//! at most `max_workers` at once, applies each failed step's own policy,
//! skips what a false `when` leaves out, fans `foreach` steps out into
//! iterations, holds calls back while their source is at its
//! `max_concurrency`, and stops cleanly on cancellation.
//!
//! `max_workers` threads schedule themselves: a worker that finishes a task
//! records it, releases what it unblocks and takes the next ready task, all
//! under one short lock, so a step costs no thread hand-off and work
//! proportional to its own dependents only. Idle workers sleep on a condition
//! variable; nothing polls. Calls themselves (with their retries and
//! timeouts, `tries.rs`) run outside the lock.

use super::fanout::{self, Fanout};
use super::status::{now_secs, RunOutcome, StepState};
use super::tries::{self, CallOutcome};
use super::Shared;
use crate::config::OnError;
use crate::error::{StepError, StepErrorKind};
use crate::flows::StepOutputs;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How long the end of a run waits for calls abandoned at their timeout
/// (providers that were told to stop), so killed programs are gone.
const ABANDONED_GRACE: Duration = Duration::from_secs(5);

/// One unit of work, ordered by step (file order), then item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Task {
    /// Decide a step's `when` and expand its `foreach`.
    Prepare(usize),
    /// A call of a step (no item) or of one iteration.
    Call(usize, Option<usize>),
}

impl Task {
    fn step(self) -> usize {
        match self {
            Task::Prepare(step) | Task::Call(step, _) => step,
        }
    }
}

/// Why a step was skipped: its dependents follow it unless it was only
/// left out by a condition and they declare `after_skipped: run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SkipCause {
    /// A false `when`, here or upstream.
    Condition,
    /// A failure (`on_error: skip`), here or upstream.
    Failure,
}

/// What the workers share, behind one lock.
struct Queue {
    /// Unfinished dependencies per step.
    waiting_on: Vec<usize>,
    /// Ready tasks, smallest first.
    ready: BinaryHeap<Reverse<Task>>,
    /// Tasks being worked on right now.
    running: usize,
    /// A step failed under `fail`: start nothing new.
    halted: bool,
    /// The run was cancelled: start nothing new.
    cancelled: bool,
    /// Calls running per concurrency limit (R29).
    limit_running: Vec<usize>,
    /// Calls held back per concurrency limit.
    limit_waiting: Vec<VecDeque<Task>>,
    /// `foreach` steps under way.
    fanouts: HashMap<usize, Fanout>,
    /// Tasks running per lane (R34): lane 0 is this process (at most
    /// `max_workers`), lane 1 + i the flow's remote executor i (at most its
    /// cap).
    lane_running: Vec<usize>,
    /// Tasks held back per lane while it is full.
    lane_waiting: Vec<VecDeque<Task>>,
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
    /// The cap of each lane (see [`Queue::lane_running`]).
    lane_caps: Vec<usize>,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One worker: take a ready task, do it, record it, repeat.
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
            let Some(task) = self.take(&mut queue) else {
                continue;
            };
            queue.running += 1;
            let items = match task {
                Task::Call(step, Some(_)) => queue_items(&queue, step),
                _ => None,
            };
            drop(queue);
            match task {
                Task::Prepare(step) => {
                    let prepared = self.prepare(step);
                    queue = self.lock();
                    queue.running -= 1;
                    self.release_lane(&mut queue, task);
                    self.prepared(&mut queue, step, prepared);
                }
                Task::Call(step, item) => {
                    let outcome = self.call(step, item, &items);
                    queue = self.lock();
                    queue.running -= 1;
                    self.release_lane(&mut queue, task);
                    self.release_limit(&mut queue, step);
                    match item {
                        None => self.finished(&mut queue, step, outcome),
                        Some(item) => self.iteration_finished(&mut queue, step, item, outcome),
                    }
                }
            }
        }
    }

    /// The next ready task whose source has room; calls held back by their
    /// source's limit wait aside. Marks a step running at its first call.
    fn take(&self, queue: &mut Queue) -> Option<Task> {
        let limits = &self.shared.config.compiled().limit_of;
        let caps = &self.shared.config.compiled().limits;
        while let Some(Reverse(task)) = queue.ready.pop() {
            let step = task.step();
            let lane = self.lane_of(task);
            if queue.lane_running[lane] >= self.lane_caps[lane] {
                queue.lane_waiting[lane].push_back(task);
                continue;
            }
            if let (Task::Call(..), Some(limit)) = (task, limits[step]) {
                if queue.limit_running[limit] >= caps[limit] {
                    queue.limit_waiting[limit].push_back(task);
                    continue;
                }
                queue.limit_running[limit] += 1;
            }
            queue.lane_running[lane] += 1;
            if let Task::Call(_, item) = task {
                self.mark_started(queue, step, item);
            }
            return Some(task);
        }
        None
    }

    /// Records that a call of `step` starts (under the lock, so start order
    /// is file order).
    fn mark_started(&self, queue: &mut Queue, step: usize, item: Option<usize>) {
        let status = &self.shared.status;
        match item {
            None => status.update(step, |s| {
                s.state = StepState::Running;
                s.started_at = Some(now_secs());
                s.attempt = Some(1);
            }),
            Some(_) => {
                if let Some(fanout) = queue.fanouts.get_mut(&step) {
                    fanout.counts.running += 1;
                    let counts = fanout.counts;
                    status.update(step, |s| s.items = Some(counts));
                }
            }
        }
        if item.is_none() {
            tracing::info!(step = %self.shared.config.flow()[step].name, "step started");
        }
    }

    /// The lane a task runs in: a call through a remote executor runs in
    /// that executor's; everything else (calls of local steps, deciding
    /// `when` and `foreach`) in this process's.
    fn lane_of(&self, task: Task) -> usize {
        match task {
            Task::Prepare(_) => 0,
            Task::Call(step, _) => self.shared.config.compiled().placements[step]
                .remote()
                .map_or(0, |r| 1 + r.lane),
        }
    }

    /// A task ended: its lane has room for one more.
    fn release_lane(&self, queue: &mut Queue, task: Task) {
        let lane = self.lane_of(task);
        queue.lane_running[lane] -= 1;
        if let Some(held) = queue.lane_waiting[lane].pop_front() {
            queue.ready.push(Reverse(held));
            self.wake.notify_one();
        }
    }

    /// A call ended: its source has room for one more.
    fn release_limit(&self, queue: &mut Queue, step: usize) {
        if let Some(limit) = self.shared.config.compiled().limit_of[step] {
            queue.limit_running[limit] -= 1;
            if let Some(task) = queue.limit_waiting[limit].pop_front() {
                queue.ready.push(Reverse(task));
                self.wake.notify_one();
            }
        }
    }

    /// Runs one call with its policies, outside the lock.
    fn call(
        &self,
        step: usize,
        item: Option<usize>,
        items: &Option<Arc<Vec<serde_json::Value>>>,
    ) -> CallOutcome {
        let shared = &self.shared;
        let on_try = |attempt: u32| {
            if attempt > 1 || item.is_some() {
                self.note_attempt(step, item, attempt);
            }
        };
        let iteration = match (item, items) {
            (Some(i), Some(items)) => items.get(i).map(|value| (i, value)),
            _ => None,
        };
        tries::call(shared, step, iteration, &on_try)
    }

    /// Shows the try under way in the step's status (for a `foreach` step,
    /// the furthest along over its iterations).
    fn note_attempt(&self, step: usize, item: Option<usize>, attempt: u32) {
        if item.is_some() {
            let mut queue = self.lock();
            let Some(fanout) = queue.fanouts.get_mut(&step) else {
                return;
            };
            if attempt <= fanout.attempt {
                return;
            }
            fanout.attempt = attempt;
        }
        self.shared
            .status
            .update(step, |s| s.attempt = Some(attempt));
    }

    /// Decides a step's `when` and expands its `foreach`, outside the lock.
    fn prepare(&self, step: usize) -> Prepared {
        let def = &self.shared.config.flow()[step];
        if let Some(foreach) = &def.control().foreach {
            // With `foreach`, `when` is decided per item.
            return match fanout::items(&self.shared, foreach) {
                Ok(items) => Prepared::Items(items),
                Err(e) => Prepared::Fail(e),
            };
        }
        match def.control().when_expression() {
            Some(expr) => match super::condition::holds(&self.shared, expr, &self.shared.base) {
                Ok(true) => Prepared::Run,
                Ok(false) => Prepared::Skip(format!("condition is false: {expr}")),
                Err(e) => Prepared::Fail(e),
            },
            None => Prepared::Run,
        }
    }

    /// Acts on what [`Pool::prepare`] decided.
    fn prepared(&self, queue: &mut Queue, step: usize, prepared: Prepared) {
        match prepared {
            Prepared::Run => queue.ready.push(Reverse(Task::Call(step, None))),
            Prepared::Skip(reason) => {
                tracing::info!(step = %self.shared.config.flow()[step].name, "skipped: {reason}");
                self.skip(queue, step, reason, SkipCause::Condition);
            }
            Prepared::Fail(error) => {
                self.shared
                    .status
                    .update(step, |s| s.started_at = Some(now_secs()));
                self.finished(queue, step, CallOutcome::Failed(error));
            }
            Prepared::Items(items) => {
                let cap = self.shared.config.flow()[step]
                    .control()
                    .max_parallel
                    .unwrap_or(usize::MAX);
                let mut fanout = Fanout::new(items, cap);
                let counts = fanout.counts;
                self.shared.status.update(step, |s| {
                    s.state = StepState::Running;
                    s.started_at = Some(now_secs());
                    s.items = Some(counts);
                });
                tracing::info!(
                    step = %self.shared.config.flow()[step].name,
                    "step started over {} items", counts.total
                );
                if counts.total == 0 {
                    let names = self.output_names(step);
                    let outputs = fanout.collect(&names);
                    self.finished(queue, step, CallOutcome::Succeeded(outputs));
                    return;
                }
                while let Some(item) = fanout.take_next() {
                    queue.ready.push(Reverse(Task::Call(step, Some(item))));
                }
                queue.fanouts.insert(step, fanout);
                self.wake.notify_all();
            }
        }
    }

    fn output_names(&self, step: usize) -> Vec<String> {
        self.shared.config.flow()[step]
            .output
            .iter()
            .map(|o| o.name.clone())
            .collect()
    }

    /// An iteration of a `foreach` step ended; the step ends with its last.
    fn iteration_finished(
        &self,
        queue: &mut Queue,
        step: usize,
        item: usize,
        outcome: CallOutcome,
    ) {
        let Some(mut fanout) = queue.fanouts.remove(&step) else {
            return;
        };
        fanout.in_flight -= 1;
        fanout.counts.running = fanout.counts.running.saturating_sub(1);
        match outcome {
            CallOutcome::Succeeded(outputs) => {
                self.register_secret_outputs(step, &outputs);
                fanout.outputs[item] = Some(outputs);
                fanout.counts.succeeded += 1;
            }
            CallOutcome::Failed(error) => {
                fanout.counts.failed += 1;
                fanout
                    .failures
                    .push((item, crate::secrets::mask(&error.message).into_owned()));
            }
            CallOutcome::Skipped(_) => fanout.counts.skipped += 1,
        }
        if !queue.halted && !queue.cancelled {
            while let Some(next) = fanout.take_next() {
                queue.ready.push(Reverse(Task::Call(step, Some(next))));
            }
        }
        let counts = fanout.counts;
        self.shared.status.update(step, |s| s.items = Some(counts));
        if !fanout.is_done() {
            queue.fanouts.insert(step, fanout);
            return;
        }
        let outcome = if fanout.failures.is_empty() {
            CallOutcome::Succeeded(fanout.collect(&self.output_names(step)))
        } else {
            CallOutcome::Failed(StepError::new(StepErrorKind::Provider, fanout.error()))
        };
        self.finished(queue, step, outcome);
    }

    /// Registers the values of outputs marked `secret: true` (R24).
    fn register_secret_outputs(&self, step: usize, outputs: &StepOutputs) {
        for spec in self.shared.config.flow()[step]
            .output
            .iter()
            .filter(|o| o.secret)
        {
            if let Some(value) = outputs.get(&spec.name) {
                crate::secrets::registry().add_json(value);
            }
        }
    }

    /// A dependency of each of `index`'s dependents is done (succeeded, or
    /// failed under `continue`, or skipped by a condition for dependents
    /// that run after skipped steps).
    fn release_dependents(&self, queue: &mut Queue, index: usize) {
        let mut released = 0;
        for &d in &self.shared.config.graph().dependents[index] {
            if self.release(queue, d) {
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

    /// One dependency of `d` is done; queues `d` when it was the last.
    fn release(&self, queue: &mut Queue, d: usize) -> bool {
        queue.waiting_on[d] -= 1;
        if queue.waiting_on[d] != 0 || self.shared.status.state(d) != StepState::Pending {
            return false;
        }
        queue.ready.push(Reverse(first_task(&self.shared, d)));
        true
    }

    /// Skips step `index` for `reason`, and what depends on it, transitively
    /// — except dependents that run after steps a condition left out.
    fn skip(&self, queue: &mut Queue, index: usize, reason: String, cause: SkipCause) {
        let config = &self.shared.config;
        let graph = config.graph();
        let mut stack = vec![(index, reason, cause)];
        let mut released = false;
        while let Some((step, reason, cause)) = stack.pop() {
            if self.shared.status.state(step) != StepState::Pending {
                continue;
            }
            self.shared.status.update(step, |s| {
                s.state = StepState::Skipped;
                s.error = Some(reason);
            });
            for &d in &graph.dependents[step] {
                if cause == SkipCause::Condition && config.flow()[d].control().run_after_skipped {
                    released |= self.release(queue, d);
                    continue;
                }
                let reason = format!(
                    "skipped: depends on '{}', which was skipped",
                    config.flow()[step].name
                );
                tracing::info!(step = %config.flow()[d].name, "{reason}");
                stack.push((d, reason, cause));
            }
        }
        if released {
            self.wake.notify_all();
        }
    }

    /// Records how step `index` ended and applies its policy.
    fn finished(&self, queue: &mut Queue, index: usize, outcome: CallOutcome) {
        let shared = &self.shared;
        let name = &shared.config.flow()[index].name;
        match outcome {
            CallOutcome::Succeeded(outputs) => {
                tracing::info!(step = %name, "step succeeded");
                self.register_secret_outputs(index, &outputs);
                let names: Vec<String> = outputs.keys().cloned().collect();
                shared.flows.insert(name, outputs);
                shared.status.update(index, |s| {
                    s.state = StepState::Succeeded;
                    s.ended_at = Some(now_secs());
                    s.outputs = names;
                });
                self.release_dependents(queue, index);
            }
            CallOutcome::Skipped(reason) => {
                self.skip(queue, index, reason, SkipCause::Condition);
            }
            CallOutcome::Failed(error) => {
                let error = crate::secrets::mask(&error.message).into_owned();
                let policy = shared.config.policy(index);
                tracing::warn!(step = %name, policy = policy.as_str(), "step failed: {error}");
                shared.status.update(index, |s| {
                    s.state = StepState::Failed;
                    s.ended_at = Some(now_secs());
                    s.error = Some(error);
                });
                match policy {
                    OnError::Fail => {
                        queue.halted = true;
                        shared.halt.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    OnError::Skip => {
                        for &d in &shared.config.graph().dependents[index] {
                            let reason = format!("skipped: depends on '{name}', which failed");
                            tracing::info!(step = %shared.config.flow()[d].name, "{reason}");
                            self.skip(queue, d, reason, SkipCause::Failure);
                        }
                    }
                    OnError::Continue => self.release_dependents(queue, index),
                }
            }
        }
    }
}

/// What deciding a step's `when` and `foreach` came to.
enum Prepared {
    /// Call it.
    Run,
    /// Its condition is false: why.
    Skip(String),
    /// Deciding failed.
    Fail(StepError),
    /// Run it once per item.
    Items(Vec<serde_json::Value>),
}

/// The caps of the lanes (this process's first, then each remote
/// executor's), and how many workers the remote lanes need: each its cap,
/// or fewer when fewer of its calls can ever run at once.
fn lanes(shared: &Shared, local_workers: usize) -> (Vec<usize>, usize) {
    let compiled = shared.config.compiled();
    let mut caps = vec![local_workers];
    let mut workers = 0;
    for remote in &compiled.remotes {
        let mut steps = 0usize;
        let mut fans_out = false;
        for (i, placement) in compiled.placements.iter().enumerate() {
            if placement.remote().is_some_and(|r| r.lane == remote.lane) {
                steps += 1;
                fans_out |= shared.config.flow()[i].control().foreach.is_some();
            }
        }
        caps.push(remote.cap);
        workers += if fans_out {
            remote.cap
        } else {
            remote.cap.min(steps)
        };
    }
    (caps, workers)
}

/// The first task of a step whose dependencies are done.
fn first_task(shared: &Shared, step: usize) -> Task {
    let control = &shared.config.flow()[step].control();
    if control.when.is_some() || control.foreach.is_some() {
        Task::Prepare(step)
    } else {
        Task::Call(step, None)
    }
}

/// The items of `step`'s fan-out, if it has one (shared, not copied).
fn queue_items(queue: &Queue, step: usize) -> Option<Arc<Vec<serde_json::Value>>> {
    queue.fanouts.get(&step).map(|f| Arc::clone(&f.items))
}

/// Runs every step of `shared`'s flow on `max_workers` threads, blocking the
/// caller until the run is over; returns how it ended.
pub fn schedule(shared: Arc<Shared>, max_workers: usize) -> RunOutcome {
    let graph = shared.config.graph();
    // Steps reused from an earlier run are succeeded before the start:
    // done, never waited on, never started.
    let done: Vec<bool> = (0..graph.len())
        .map(|i| shared.status.state(i) == StepState::Succeeded)
        .collect();
    let waiting_on: Vec<usize> = graph
        .deps
        .iter()
        .map(|deps| deps.iter().filter(|(j, _)| !done[*j]).count())
        .collect();
    let ready = (0..waiting_on.len())
        .filter(|&i| waiting_on[i] == 0 && !done[i])
        .map(|i| Reverse(first_task(&shared, i)))
        .collect();
    let limits = shared.config.compiled().limits.len();
    let local_workers = max_workers.clamp(1, shared.config.flow().len().max(1));
    let (lane_caps, remote_workers) = lanes(&shared, local_workers);
    let pool = Arc::new(Pool {
        shared: Arc::clone(&shared),
        queue: Mutex::new(Queue {
            waiting_on,
            ready,
            running: 0,
            halted: false,
            cancelled: shared.cancel.is_cancelled(),
            limit_running: vec![0; limits],
            limit_waiting: vec![VecDeque::new(); limits],
            fanouts: HashMap::new(),
            lane_running: vec![0; lane_caps.len()],
            lane_waiting: vec![VecDeque::new(); lane_caps.len()],
        }),
        wake: Condvar::new(),
        lane_caps,
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
    // Workers for local work, plus one per call a remote executor may have
    // in flight: such a worker only waits for its executor's answer.
    let workers = local_workers + remote_workers;
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
    if !shared.in_flight.wait_idle(ABANDONED_GRACE) {
        tracing::warn!(
            "calls that timed out are still running after {} s; their providers ignore cancellation",
            ABANDONED_GRACE.as_secs()
        );
    }
    let queue = pool.lock();
    // A call can see the cancellation and end its step before the callback
    // above marks the queue: the handle decides.
    let cancelled = queue.cancelled || shared.cancel.is_cancelled();
    let why = if cancelled {
        "the run was cancelled"
    } else {
        "the run halted after a failure"
    };
    for i in 0..shared.config.flow().len() {
        match shared.status.state(i) {
            StepState::Pending => shared.status.update(i, |st| {
                st.state = StepState::Skipped;
                st.error = Some(format!("skipped: {why}"));
            }),
            // A `foreach` step whose remaining items were never started.
            StepState::Running => shared.status.update(i, |st| {
                let done = st.items.map_or(0, |c| c.succeeded + c.failed + c.skipped);
                let total = st.items.map_or(0, |c| c.total);
                st.state = StepState::Failed;
                st.ended_at = Some(now_secs());
                st.error = Some(format!("stopped after {done} of {total} items: {why}"));
            }),
            _ => {}
        }
    }
    let outcome = if cancelled {
        RunOutcome::Cancelled
    } else if queue.halted {
        RunOutcome::Halted
    } else {
        RunOutcome::Completed
    };
    shared.status.finish(outcome);
    outcome
}
