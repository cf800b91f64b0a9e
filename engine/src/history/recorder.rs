//! Recording a run as it goes (SPEC R31): a writer thread, fed by the
//! runner's events, writes the run when it starts, then the steps that
//! finished at least every [`FLUSH_EVERY`] (one commit, or one per
//! [`BATCH_STEPS`] steps) — so a 10,000-step run is a few commits, not
//! 10,000, and a run killed at any moment keeps every step committed before
//! it. When the run is over, the thread that ran it writes the rest and the
//! run's end itself (no hand-off to a thread that may wait to be scheduled).
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
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
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

/// A recording under way: the writer, shared by its thread (which writes
/// while the run goes on) and the thread that runs the flow (which writes
/// the rest and the end itself, without waiting for the writer's thread to
/// be scheduled).
#[derive(Debug)]
pub(crate) struct Recorder {
    writer: Arc<Mutex<Writer>>,
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
        let writer = Arc::new(Mutex::new(Writer {
            store: Arc::clone(store),
            begin: Some(Begin {
                started_at: now_secs(),
                resumed_from: recording.resumed_from,
                id: Arc::clone(&recording.id),
            }),
            id: None,
            shared: Arc::clone(shared),
            events: shared.status.subscribe(),
            index: HashMap::new(),
            reused_from: recording.reused_from.clone(),
            recorded: vec![false; shared.config.flow().len()],
            batch: Vec::new(),
            pending_since: None,
            failed: false,
            over: false,
        }));
        let background = Arc::downgrade(&writer);
        std::thread::Builder::new()
            .name("flowtoy-history".into())
            .spawn(move || Writer::work(background))
            .map_err(|e| FlowError::Run(format!("cannot start the history writer: {e}")))?;
        Ok(Some(Recorder { writer }))
    }

    fn lock(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The run is over: writes what is left and the run's end, here.
    pub fn finish(self) {
        let mut writer = self.lock();
        writer.close();
        writer.end();
    }
}

impl Drop for Recorder {
    /// Without [`Recorder::finish`] (the run did not end normally), the
    /// steps finished so far are written and the run stays `running` until
    /// its process is gone.
    fn drop(&mut self) {
        self.lock().close();
    }
}

/// What the writer needs to record the run's start.
#[derive(Debug)]
struct Begin {
    started_at: f64,
    resumed_from: Option<RunId>,
    id: Arc<OnceLock<RunId>>,
}

/// The writer's state.
#[derive(Debug)]
struct Writer {
    store: Arc<dyn HistoryStore>,
    /// Until the run's start is recorded.
    begin: Option<Begin>,
    /// The run's number, once its start is recorded (`None` if refused).
    id: Option<RunId>,
    shared: Arc<Shared>,
    events: broadcast::Receiver<RunEvent>,
    /// Step name → position (built by the writer's thread).
    index: HashMap<String, usize>,
    reused_from: HashMap<String, RunId>,
    recorded: Vec<bool>,
    batch: Vec<StepRecord>,
    pending_since: Option<Instant>,
    failed: bool,
    /// The run is over: nothing more to do for the writer's thread.
    over: bool,
}

impl Writer {
    /// The writer's thread: records the run's start (definition hashes
    /// computed here, off the scheduler's path), then every [`TICK`] takes
    /// the events that came meanwhile and prepares the steps that finished,
    /// committing them every [`FLUSH_EVERY`] (or [`BATCH_STEPS`]). It sleeps
    /// in between: a thread woken at every event would cost a context switch
    /// per step. It ends once the run is over (or the recorder is gone).
    fn work(writer: Weak<Mutex<Writer>>) {
        let mut first = true;
        loop {
            if !first {
                std::thread::sleep(TICK);
            }
            first = false;
            let Some(writer) = writer.upgrade() else {
                return;
            };
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            if writer.over {
                return;
            }
            writer.tick();
        }
    }

    /// Records the run's start, once; false when the store refused it.
    fn begin(&mut self) -> bool {
        let Some(begin) = self.begin.take() else {
            return self.id.is_some();
        };
        let config = &self.shared.config;
        let hashes = step_hashes(config);
        let run = NewRun {
            run_id: self.shared.status.snapshot().run_id,
            files: absolute(config.files()),
            config_hash: config_hash(config, &hashes),
            steps: config.flow().iter().map(|s| s.name.clone()).collect(),
            definitions: hashes,
            started_at: begin.started_at,
            resumed_from: begin.resumed_from,
            process: ProcessIdentity::current(),
        };
        match self.store.begin_run(&run) {
            Ok(id) => {
                self.id = Some(id);
                let _ = begin.id.set(id);
                tracing::info!(
                    "recording this run as run {id} in {}",
                    self.store.location()
                );
                // Steps already final before the run (reused ones).
                self.catch_up();
                true
            }
            Err(e) => {
                tracing::warn!("{e}; this run is not recorded");
                false
            }
        }
    }

    /// Takes the events that came since the last tick.
    fn tick(&mut self) {
        if !self.begin() {
            return;
        }
        if self.index.is_empty() {
            let names = self.shared.config.flow().iter().map(|s| s.name.clone());
            self.index = names.enumerate().map(|(i, n)| (n, i)).collect();
        }
        loop {
            match self.events.try_recv() {
                Ok(RunEvent::Step(step)) if step.state.is_final() => {
                    if let Some(&i) = self.index.get(step.name.as_str()) {
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
    }

    /// The run is over (or abandoned): writes every step finished so far.
    fn close(&mut self) {
        if self.over {
            return;
        }
        self.over = true;
        if self.begin() {
            self.catch_up();
            self.flush();
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
        let Some(id) = self.id.filter(|_| !self.batch.is_empty()) else {
            return;
        };
        if !self.failed {
            if let Err(e) = self.store.record_steps(id, &self.batch) {
                tracing::warn!("{e}; the rest of this run is not recorded");
                self.failed = true;
            }
        }
        self.batch.clear();
    }

    /// Writes how the run ended.
    fn end(&self) {
        let Some(id) = self.id else {
            return;
        };
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
        if let Err(e) = self.store.end_run(id, &end) {
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
