//! Recording a run as it goes (SPEC R31): a writer thread, fed by the
//! runner's events, writes the run when it starts, then the steps that
//! finished at least every [`FLUSH_EVERY`] (one commit, or one per
//! [`BATCH_STEPS`] steps) — so a 10,000-step run is a few commits, not
//! 10,000, and a run killed at any moment keeps every step committed before
//! it — and when the run is over, the rest and the run's end.
//!
//! The writer never holds the scheduler up: it only reads the status and
//! outputs stores, which are shared, and computes the definition hashes
//! itself. If it falls behind the event channel it catches up from a
//! status snapshot. A store that fails while the run goes on is a warning,
//! not a failed run: the run's outputs still arrive.

use super::document::HistoryOutcome;
use super::fingerprint::{config_hash, step_hashes};
use super::{HistoryStore, NewRun, ProcessIdentity, RunEnd, RunId, StepRecord};
use crate::error::FlowError;
use crate::flows::StepOutputs;
use crate::runner::{now_secs, RunEvent, Shared, StepState, StepStatus};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::TryRecvError;

/// Most steps written in one commit.
pub const BATCH_STEPS: usize = 2048;

/// Longest a finished step waits to be committed.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// How often the writer takes the events that came meanwhile.
pub const TICK: Duration = Duration::from_millis(10);

/// What a runner records into, set before its run.
#[derive(Debug, Default)]
pub(crate) struct Recording {
    /// Where; nothing is recorded without a store.
    pub store: Option<Arc<dyn HistoryStore>>,
    /// The run this one resumes.
    pub resumed_from: Option<RunId>,
    /// Reused steps, with the run their outputs come from.
    pub reused_from: HashMap<String, RunId>,
    /// The run's number, once its start is recorded.
    pub id: Arc<OnceLock<RunId>>,
}

/// A recording under way: its writer thread.
#[derive(Debug)]
pub(crate) struct Recorder {
    done: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The configuration files as absolute paths (as given when they cannot be
/// resolved).
fn absolute(files: &[PathBuf]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .or_else(|_| std::path::absolute(f))
                .unwrap_or_else(|_| f.clone())
        })
        .collect()
}

impl Recorder {
    /// Starts the writer thread, which records the run's start and then its
    /// steps; `None` when the runner has no store. Call before the
    /// scheduler starts, so that no event is missed.
    pub fn start(shared: &Arc<Shared>, recording: &Recording) -> Result<Option<Self>, FlowError> {
        let Some(store) = &recording.store else {
            return Ok(None);
        };
        let events = shared.status.subscribe();
        let started_at = now_secs();
        let (done, finished) = mpsc::channel();
        let writer = Writer {
            store: Arc::clone(store),
            id: 0,
            shared: Arc::clone(shared),
            hashes: Vec::new(),
            reused_from: recording.reused_from.clone(),
            recorded: vec![false; shared.config.flow().len()],
            batch: Vec::new(),
            pending_since: None,
            failed: false,
        };
        let begin = Begin {
            started_at,
            resumed_from: recording.resumed_from,
            id: Arc::clone(&recording.id),
        };
        let thread = std::thread::Builder::new()
            .name("flowtoy-history".into())
            .spawn(move || writer.run(begin, events, finished))
            .map_err(|e| FlowError::Run(format!("cannot start the history writer: {e}")))?;
        Ok(Some(Recorder {
            done: Some(done),
            thread: Some(thread),
        }))
    }

    /// The run is over: writes what is left and the run's end, and waits
    /// until it is written.
    pub fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        self.join();
    }

    fn join(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Recorder {
    /// Without [`Recorder::finish`] (the run did not end normally), the
    /// steps finished so far are written and the run stays `running` until
    /// its process is gone.
    fn drop(&mut self) {
        self.done = None;
        self.join();
    }
}

/// What the writer needs to record the run's start.
struct Begin {
    started_at: f64,
    resumed_from: Option<RunId>,
    id: Arc<OnceLock<RunId>>,
}

/// The writer thread's state.
struct Writer {
    store: Arc<dyn HistoryStore>,
    id: RunId,
    shared: Arc<Shared>,
    hashes: Vec<String>,
    reused_from: HashMap<String, RunId>,
    recorded: Vec<bool>,
    batch: Vec<StepRecord>,
    pending_since: Option<Instant>,
    failed: bool,
}

impl Writer {
    /// Records the run's start (its definition hashes computed here, off
    /// the scheduler's path); false when the store refused it.
    fn begin(&mut self, begin: &Begin) -> bool {
        let config = &self.shared.config;
        self.hashes = step_hashes(config);
        let run = NewRun {
            run_id: self.shared.status.snapshot().run_id,
            files: absolute(config.files()),
            config_hash: config_hash(config, &self.hashes),
            steps: config.flow().iter().map(|s| s.name.clone()).collect(),
            definitions: self.hashes.clone(),
            started_at: begin.started_at,
            resumed_from: begin.resumed_from,
            process: ProcessIdentity::current(),
        };
        match self.store.begin_run(&run) {
            Ok(id) => {
                self.id = id;
                let _ = begin.id.set(id);
                tracing::info!(
                    "recording this run as run {id} in {}",
                    self.store.location()
                );
                true
            }
            Err(e) => {
                tracing::warn!("{e}; this run is not recorded");
                false
            }
        }
    }

    /// Every [`TICK`], takes the events that came meanwhile and prepares
    /// the steps that finished; commits them every [`FLUSH_EVERY`] (or
    /// [`BATCH_STEPS`]); when the run is over, the rest and the end. It
    /// sleeps in between: a thread woken at every event would cost a
    /// context switch per step.
    fn run(
        mut self,
        begin: Begin,
        mut events: broadcast::Receiver<RunEvent>,
        done: mpsc::Receiver<()>,
    ) {
        if !self.begin(&begin) {
            return;
        }
        let shared = Arc::clone(&self.shared);
        let index: HashMap<&str, usize> = shared
            .config
            .flow()
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        // Steps already final before the run (reused ones).
        self.catch_up();
        let ended = loop {
            match done.recv_timeout(TICK) {
                Ok(()) => break true,
                Err(mpsc::RecvTimeoutError::Disconnected) => break false,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            loop {
                match events.try_recv() {
                    Ok(RunEvent::Step(step)) if step.state.is_final() => {
                        if let Some(&i) = index.get(step.name.as_str()) {
                            self.step(i, &step);
                        }
                    }
                    Ok(_) => {}
                    Err(TryRecvError::Lagged(_)) => self.catch_up(),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
                if self.batch.len() >= BATCH_STEPS {
                    self.flush();
                }
            }
            if self
                .pending_since
                .is_some_and(|t| t.elapsed() >= FLUSH_EVERY)
            {
                self.flush();
            }
        };
        self.catch_up();
        self.flush();
        if ended {
            self.end();
        }
    }

    /// A step changed: queue it when it has just finished.
    fn step(&mut self, index: usize, step: &Arc<StepStatus>) {
        if !step.state.is_final() || self.recorded[index] {
            return;
        }
        self.recorded[index] = true;
        let record = self.record(index, step);
        self.batch.push(record);
        self.pending_since.get_or_insert_with(Instant::now);
    }

    /// Queues every finished step not written yet, from a snapshot.
    fn catch_up(&mut self) {
        let snapshot = self.shared.status.snapshot();
        for (i, step) in snapshot.steps.iter().enumerate() {
            self.step(i, step);
        }
    }

    fn record(&self, index: usize, step: &Arc<StepStatus>) -> StepRecord {
        let outputs = match step.state {
            StepState::Succeeded => self.shared.flows.get(&step.name),
            _ => None,
        };
        let (outputs, secret) = match outputs {
            Some(values) => {
                let (masked, secret) = mask(&self.shared, index, values);
                (Some(masked), secret)
            }
            None => (None, false),
        };
        StepRecord {
            position: index,
            status: Arc::clone(step),
            outputs,
            secret,
            reused_from: self.reused_from.get(&step.name).copied(),
        }
    }

    /// Writes the queued steps in one commit.
    fn flush(&mut self) {
        self.pending_since = None;
        if self.batch.is_empty() {
            return;
        }
        if !self.failed {
            if let Err(e) = self.store.record_steps(self.id, &self.batch) {
                tracing::warn!("{e}; the rest of this run is not recorded");
                self.failed = true;
            }
        }
        self.batch.clear();
    }

    /// Writes how the run ended.
    fn end(&self) {
        let status = self.shared.status.snapshot();
        let count = |state| status.steps.iter().filter(|s| s.state == state).count();
        let end = RunEnd {
            ended_at: status.ended_at.unwrap_or_else(now_secs),
            outcome: status
                .outcome
                .map_or(HistoryOutcome::Interrupted, HistoryOutcome::of),
            succeeded: count(StepState::Succeeded),
            failed: count(StepState::Failed),
            skipped: count(StepState::Skipped),
        };
        if let Err(e) = self.store.end_run(self.id, &end) {
            tracing::warn!("{e}; the run's end is not recorded");
        }
    }
}

/// A step's outputs as they may be written, and whether they held secret
/// values (R24): values of outputs marked `secret: true` are replaced by the
/// mask whatever their length, every known secret value elsewhere is
/// masked. Shared, not copied, when there is nothing to mask.
fn mask(shared: &Shared, index: usize, values: Arc<StepOutputs>) -> (Arc<StepOutputs>, bool) {
    let specs = &shared.config.flow()[index].output;
    let registry = crate::secrets::registry();
    let marked = |name: &str| specs.iter().any(|s| s.secret && s.name == name);
    if registry.is_empty() && !specs.iter().any(|s| s.secret) {
        return (values, false);
    }
    let mut secret = false;
    let masked = values
        .iter()
        .map(|(name, value)| {
            let shown = if marked(name) {
                serde_json::Value::String(crate::secrets::MASK.into())
            } else {
                registry.mask_json(value)
            };
            secret |= shown != *value;
            (name.clone(), shown)
        })
        .collect();
    (Arc::new(masked), secret)
}
