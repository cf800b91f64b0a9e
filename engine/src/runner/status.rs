//! Run and step status (SPEC R15, R19), readable while the run goes on: each
//! step's status is an immutable `Arc` replaced on change, so a snapshot is a
//! list of pointers and never sees a half-updated step.

use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::broadcast;

/// Seconds since the epoch, as a float (R15).
pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Where a step is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum StepState {
    /// Not started.
    Pending,
    /// Its provider is being called.
    Running,
    /// Finished; its outputs are in `flows`.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Never ran (a dependency failed or was skipped, or the run halted).
    Skipped,
}

impl StepState {
    /// The state's name as in the status API.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Running => "running",
            StepState::Succeeded => "succeeded",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
        }
    }

    /// The state called `name` in the status API, if there is one.
    pub fn from_name(name: &str) -> Option<StepState> {
        Some(match name {
            "pending" => StepState::Pending,
            "running" => StepState::Running,
            "succeeded" => StepState::Succeeded,
            "failed" => StepState::Failed,
            "skipped" => StepState::Skipped,
            _ => return None,
        })
    }

    /// True for succeeded, failed and skipped.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            StepState::Succeeded | StepState::Failed | StepState::Skipped
        )
    }
}

/// One step's status (its place in the status document:
/// [`StepStatus::document`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StepStatus {
    /// The step's name.
    pub name: String,
    /// Its state.
    pub state: StepState,
    /// When it started (seconds since the epoch).
    pub started_at: Option<f64>,
    /// When it ended.
    pub ended_at: Option<f64>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// The names of its outputs, once it succeeded.
    pub outputs: Vec<String>,
    /// The try under way, or the last one (1-based), once it started (R25).
    pub attempt: Option<u32>,
    /// For a `foreach` step, how its iterations stand (R28).
    pub items: Option<ItemCounts>,
    /// Where it runs, when not in this process: the executor type (R34).
    pub executor: Option<String>,
    /// The id of its job on a remote executor, once submitted (a Slurm job
    /// id; for a `foreach` step, its latest iteration's).
    pub job_id: Option<String>,
}

/// How the iterations of a `foreach` step stand (SPEC R28).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemCounts {
    /// Items in the list.
    pub total: usize,
    /// Iterations that succeeded.
    pub succeeded: usize,
    /// Iterations that failed.
    pub failed: usize,
    /// Iterations running now.
    pub running: usize,
    /// Iterations whose `when` was false.
    pub skipped: usize,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum RunOutcome {
    /// Every step finished; failures (if any) were covered by `skip`/`continue`.
    Completed,
    /// A step failed under the `fail` policy.
    Halted,
    /// The run was cancelled (Ctrl-C, SIGTERM, a cancel handle).
    Cancelled,
}

/// The whole run's status (as the status document of SPEC R19:
/// [`RunStatus::document`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RunStatus {
    /// Milliseconds since the epoch when the runner was made.
    pub run_id: u64,
    /// When the run started.
    pub started_at: Option<f64>,
    /// When the run ended: set only once no step is running.
    pub ended_at: Option<f64>,
    /// Every step, in file order.
    pub steps: Vec<Arc<StepStatus>>,
    /// How it ended, once it has.
    pub outcome: Option<RunOutcome>,
}

impl RunStatus {
    /// The status of the step called `name`.
    pub fn step(&self, name: &str) -> Option<&StepStatus> {
        self.steps.iter().map(Arc::as_ref).find(|s| s.name == name)
    }

    /// Steps that succeeded or failed.
    pub fn completed_steps(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s.state, StepState::Succeeded | StepState::Failed))
            .count()
    }

    /// Names of running steps, in file order.
    pub fn running_steps(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter(|s| s.state == StepState::Running)
            .map(|s| s.name.as_str())
            .collect()
    }
}

/// A change worth telling watchers about.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RunEvent {
    /// A step changed state; this is its new status.
    Step(Arc<StepStatus>),
    /// The run ended.
    RunEnded {
        /// When.
        ended_at: f64,
        /// How.
        outcome: RunOutcome,
    },
}

/// The live status, shared by the scheduler and readers.
#[derive(Debug)]
pub struct StatusStore {
    inner: RwLock<RunStatus>,
    events: broadcast::Sender<RunEvent>,
}

impl StatusStore {
    /// A store with every step pending.
    pub fn new(run_id: u64, names: impl Iterator<Item = String>) -> Self {
        let steps = names
            .map(|name| {
                Arc::new(StepStatus {
                    name,
                    state: StepState::Pending,
                    started_at: None,
                    ended_at: None,
                    error: None,
                    outputs: Vec::new(),
                    attempt: None,
                    items: None,
                    executor: None,
                    job_id: None,
                })
            })
            .collect();
        let (events, _) = broadcast::channel(4096);
        StatusStore {
            inner: RwLock::new(RunStatus {
                run_id,
                started_at: None,
                ended_at: None,
                steps,
                outcome: None,
            }),
            events,
        }
    }

    /// A consistent copy (step statuses are shared, not copied).
    pub fn snapshot(&self) -> RunStatus {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reads the live status in place under the read lock, without copying
    /// (for readers polling one field while the run goes on).
    pub fn read<R>(&self, f: impl FnOnce(&RunStatus) -> R) -> R {
        f(&self.inner.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// A receiver of every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.events.subscribe()
    }

    /// The state of step `index`.
    pub fn state(&self, index: usize) -> StepState {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).steps[index].state
    }

    /// Changes step `index` and tells watchers.
    pub fn update(&self, index: usize, change: impl FnOnce(&mut StepStatus)) {
        let new = {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            let mut step = (*inner.steps[index]).clone();
            change(&mut step);
            let new = Arc::new(step);
            inner.steps[index] = Arc::clone(&new);
            new
        };
        let _ = self.events.send(RunEvent::Step(new));
    }

    /// Marks the run started.
    pub fn start(&self) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .started_at = Some(now_secs());
    }

    /// Marks the run ended and tells watchers.
    pub fn finish(&self, outcome: RunOutcome) {
        let ended_at = now_secs();
        {
            let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
            inner.ended_at = Some(ended_at);
            inner.outcome = Some(outcome);
        }
        let _ = self.events.send(RunEvent::RunEnded { ended_at, outcome });
    }
}
