//! Recording a run as it goes (SPEC R31): the run is written when it
//! starts; a writer thread, fed by the runner's events, writes finished
//! steps in batches — every [`BATCH_STEPS`] steps or [`FLUSH_EVERY`],
//! whichever comes first — so a 10,000-step run is a few dozen commits, not
//! 10,000, and a run killed at any moment keeps every step committed before
//! it; when the run is over, the rest and the run's end.
//!
//! The writer never slows the scheduler down: it only reads the status and
//! outputs stores, which are shared. If it falls behind the event channel
//! it catches up from a status snapshot. A store that fails while the run
//! goes on is a warning, not a failed run: the run's outputs still arrive.

use super::document::HistoryOutcome;
use super::fingerprint::{config_hash, step_hashes};
use super::{HistoryStore, NewRun, ProcessIdentity, RunEnd, RunId, StepRecord};
use crate::error::FlowError;
use crate::flows::StepOutputs;
use crate::runner::{now_secs, RunEvent, Shared, StepState, StepStatus};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, oneshot};
use tokio::time::Instant;

/// Most steps written in one commit.
pub const BATCH_STEPS: usize = 512;

/// Longest a finished step waits to be written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// What a runner records into, set before its run.
#[derive(Debug, Default)]
pub(crate) struct Recording {
    /// Where; nothing is recorded without a store.
    pub store: Option<Arc<dyn HistoryStore>>,
    /// The run this one resumes.
    pub resumed_from: Option<RunId>,
    /// Reused steps, with the run their outputs come from.
    pub reused_from: HashMap<String, RunId>,
    /// The run's number, once it started.
    pub id: OnceLock<RunId>,
}

/// A recording under way: its writer thread.
#[derive(Debug)]
pub(crate) struct Recorder {
    done: Option<oneshot::Sender<()>>,
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
    /// Records the run's start and starts the writer thread; `None` when
    /// the runner has no store. Call before the scheduler starts, so that
    /// no event is missed.
    pub fn start(shared: &Arc<Shared>, recording: &Recording) -> Result<Option<Self>, FlowError> {
        let Some(store) = &recording.store else {
            return Ok(None);
        };
        let config = &shared.config;
        let hashes = step_hashes(config);
        let run = NewRun {
            run_id: shared.status.snapshot().run_id,
            files: absolute(config.files()),
            config_hash: config_hash(config, &hashes),
            steps: config.flow().iter().map(|s| s.name.clone()).collect(),
            started_at: now_secs(),
            resumed_from: recording.resumed_from,
            process: ProcessIdentity::current(),
        };
        let id = store.begin_run(&run)?;
        let _ = recording.id.set(id);
        tracing::info!("recording this run as run {id} in {}", store.location());
        let events = shared.status.subscribe();
        let (done, finished) = oneshot::channel();
        let writer = Writer {
            store: Arc::clone(store),
            id,
            shared: Arc::clone(shared),
            hashes,
            reused_from: recording.reused_from.clone(),
            recorded: vec![false; run.steps.len()],
            batch: Vec::new(),
            first_pending: None,
            failed: false,
        };
        let thread = std::thread::Builder::new()
            .name("flowtoy-history".into())
            .spawn(move || writer.run(events, finished))
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

/// The writer thread's state.
struct Writer {
    store: Arc<dyn HistoryStore>,
    id: RunId,
    shared: Arc<Shared>,
    hashes: Vec<String>,
    reused_from: HashMap<String, RunId>,
    recorded: Vec<bool>,
    batch: Vec<StepRecord>,
    first_pending: Option<Instant>,
    failed: bool,
}

impl Writer {
    fn run(mut self, mut events: broadcast::Receiver<RunEvent>, mut done: oneshot::Receiver<()>) {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                tracing::warn!("cannot record the run's steps in the history: {e}");
                return;
            }
        };
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
        let ended = runtime.block_on(async {
            loop {
                let deadline = self.first_pending.map(|t| t + FLUSH_EVERY);
                let far = Instant::now() + Duration::from_secs(3600);
                tokio::select! {
                    event = events.recv() => match event {
                        Ok(RunEvent::Step(step)) => {
                            if let Some(&i) = index.get(step.name.as_str()) {
                                self.step(i, &step);
                            }
                        }
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => self.catch_up(),
                        Err(RecvError::Closed) => return false,
                    },
                    end = &mut done => return end.is_ok(),
                    _ = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                        self.flush();
                    }
                }
                if self.batch.len() >= BATCH_STEPS {
                    self.flush();
                }
            }
        });
        self.catch_up();
        self.flush();
        if ended {
            self.end();
        }
    }

    /// A step changed: queue it when it has just finished.
    fn step(&mut self, index: usize, step: &StepStatus) {
        if !step.state.is_final() || self.recorded[index] {
            return;
        }
        self.recorded[index] = true;
        let record = self.record(index, step);
        self.batch.push(record);
        self.first_pending.get_or_insert_with(Instant::now);
    }

    /// Queues every finished step not written yet, from a snapshot.
    fn catch_up(&mut self) {
        let snapshot = self.shared.status.snapshot();
        for (i, step) in snapshot.steps.iter().enumerate() {
            self.step(i, step);
        }
    }

    fn record(&self, index: usize, step: &StepStatus) -> StepRecord {
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
            name: step.name.clone(),
            state: step.state,
            attempt: step.attempt,
            started_at: step.started_at,
            ended_at: step.ended_at,
            error: step.error.clone(),
            outputs,
            secret,
            definition: self.hashes[index].clone(),
            reused_from: self.reused_from.get(&step.name).copied(),
            items: step.items,
        }
    }

    /// Writes the queued steps in one commit.
    fn flush(&mut self) {
        self.first_pending = None;
        if self.batch.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if self.failed {
            return;
        }
        if let Err(e) = self.store.record_steps(self.id, &batch) {
            tracing::warn!("{e}; the rest of this run is not recorded");
            self.failed = true;
        }
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
