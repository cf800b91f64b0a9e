//! Run history (SPEC R31, R32): every run recorded as it goes, listed,
//! shown, pruned, and resumed from where it stopped.
//!
//! The history is an interface, [`HistoryStore`]; [`SqliteHistory`] (feature
//! `history`, on by default) keeps it in an embedded SQLite database, by
//! default `$FLOWTOY_STATE_DIR/history.db` ([`default_path`]). A runner
//! records only when it is given a store
//! ([`LocalRunner::record_into`](crate::LocalRunner::record_into)):
//! its run is written when it starts, its steps in batches as they finish
//! (by a writer thread fed by the runner's events, so a run killed at any
//! moment keeps every step committed before it), and its end. Outputs are
//! written with secret values masked (R24), and steps whose outputs held any
//! are marked so that [`ResumePlan`] runs them again.
//!
//! ```no_run
//! # #[cfg(feature = "history")] {
//! use flowtoy::history::{self, HistoryStore, RunQuery, SqliteHistory};
//! use std::sync::Arc;
//!
//! let store = Arc::new(SqliteHistory::open(history::default_path()?)?);
//! let mut runner = flowtoy::LocalRunner::new(flowtoy::config::load_yaml_files(&["flow.yaml"])?);
//! runner.record_into(store.clone());
//! runner.run()?;
//! for run in store.runs(&RunQuery::default())? {
//!     println!("run {}: {} ({} succeeded)", run.id, run.outcome, run.succeeded);
//! }
//! // Run the newest run again, reusing what succeeded in it.
//! let newest = store.runs(&RunQuery::default().limit(1))?.remove(0);
//! let (runner, plan) = history::resume(store, newest.id, flowtoy::Loader::new())?;
//! println!("reusing {} steps", plan.reused().len());
//! runner.run()?;
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Another store (a server database shared by a team, say) implements
//! [`HistoryStore`]; the runner, the commands and the status API only see
//! the trait.

mod document;
mod fingerprint;
mod location;
mod process;
mod recorder;
mod resume;
#[cfg(feature = "history")]
mod sqlite;
#[cfg(feature = "history")]
mod sqlite_schema;
#[cfg(all(test, feature = "history"))]
mod tests;
mod time;

pub use document::{HistoryOutcome, RunDocument, RunRecord, RunSummary};
pub use fingerprint::{config_hash, step_hashes};
pub use location::{default_path, disabled_by_env, HISTORY_VAR, STATE_DIR_VAR};
pub use process::ProcessIdentity;
pub(crate) use recorder::{Recorder, Recording};
pub use resume::{resume, RerunReason, ResumePlan, ReusedStep};
#[cfg(feature = "history")]
pub use sqlite::SqliteHistory;
pub use time::local_datetime;

use crate::flows::StepOutputs;
use crate::runner::StepStatus;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A run's number in the history: 1, 2, 3, ... in the order runs started.
pub type RunId = i64;

/// Where runs are recorded. Implementations are shared between threads:
/// the writer thread of each recording run, the status API, the commands.
///
/// Besides these calls, a store marks `interrupted` the runs still
/// `running` whose process is gone ([`ProcessIdentity::is_gone`]) when it is
/// opened, as [`SqliteHistory::open`] does.
pub trait HistoryStore: Send + Sync + fmt::Debug {
    /// Where the history is kept, for messages (a file path).
    fn location(&self) -> String;

    /// Records that a run starts; returns its number.
    fn begin_run(&self, run: &NewRun) -> Result<RunId, HistoryError>;

    /// Records steps that finished, all or none (one transaction), and adds
    /// them to the run's counts.
    fn record_steps(&self, run: RunId, steps: &[StepRecord]) -> Result<(), HistoryError>;

    /// Records how a run ended, with its final counts.
    fn end_run(&self, run: RunId, end: &RunEnd) -> Result<(), HistoryError>;

    /// The runs that match `query`, newest first.
    fn runs(&self, query: &RunQuery) -> Result<Vec<RunSummary>, HistoryError>;

    /// One run with its recorded steps, or `None` when there is no such run.
    fn run(&self, id: RunId) -> Result<Option<RunRecord>, HistoryError>;

    /// Deletes old runs with their steps (never one still running);
    /// returns how many were deleted.
    fn prune(&self, prune: &Prune) -> Result<usize, HistoryError>;
}

/// What is known of a run when it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    /// The runner's run id (milliseconds since the epoch, as in `/status`).
    pub run_id: u64,
    /// The configuration files, absolute, in merge order.
    pub files: Vec<PathBuf>,
    /// The hash of the merged configuration ([`config_hash`]).
    pub config_hash: String,
    /// Every step's name, in file order.
    pub steps: Vec<String>,
    /// Every step's definition hash ([`step_hashes`]), in file order.
    pub definitions: Vec<String>,
    /// When it started (seconds since the epoch).
    pub started_at: f64,
    /// The run it resumes, if any.
    pub resumed_from: Option<RunId>,
    /// The process that runs it, to tell later whether it is gone.
    pub process: ProcessIdentity,
}

/// One finished step as recorded: its final status as the runner had it
/// (name, state, last try, times, error — masked — or how it was reused,
/// `foreach` counts; shared with the runner, not copied), and its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// Its place in the flow (0-based, file order).
    pub position: usize,
    /// How it ended (succeeded, failed or skipped).
    pub status: Arc<StepStatus>,
    /// Its outputs with secret values masked, once it succeeded.
    pub outputs: Option<Arc<StepOutputs>>,
    /// Its outputs held secret values (they are masked here; the step runs
    /// again on resume).
    pub secret: bool,
    /// The run whose outputs it took instead of running, when resumed.
    pub reused_from: Option<RunId>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunEnd {
    /// When.
    pub ended_at: f64,
    /// How.
    pub outcome: HistoryOutcome,
    /// Steps that succeeded (reused ones included).
    pub succeeded: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps that were skipped.
    pub skipped: usize,
}

/// Which runs [`HistoryStore::runs`] lists.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunQuery {
    /// At most this many (newest first); `None` for all.
    pub limit: Option<usize>,
    /// Only runs of this configuration file (absolute path).
    pub file: Option<PathBuf>,
    /// Only runs with this outcome.
    pub outcome: Option<HistoryOutcome>,
}

impl RunQuery {
    /// At most `limit` runs.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// Which runs [`HistoryStore::prune`] deletes.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Prune {
    /// All but the newest N runs.
    Keep(usize),
    /// Runs started before this time (seconds since the epoch).
    StartedBefore(f64),
}

/// Why the history could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// The history cannot be opened or read: corrupt, not a database, not
    /// readable, written by a newer flowtoy. Nothing was changed in it.
    #[error(
        "cannot use the run history at {path}: {reason}. The file is left as it is: \
         move it away to start a new history, or run with --no-history (or FLOWTOY_HISTORY=0)"
    )]
    Unusable {
        /// The database.
        path: String,
        /// Why.
        reason: String,
    },
    /// There is no place for the history (no state directory can be found).
    #[error("no place for the run history: {0}; set FLOWTOY_STATE_DIR, or run with --no-history (or FLOWTOY_HISTORY=0)")]
    Location(String),
    /// Reading or writing failed while the history was in use.
    #[error("the run history at {path} failed: {reason}")]
    Failed {
        /// The database.
        path: String,
        /// What failed.
        reason: String,
    },
}

impl HistoryError {
    /// True for problems the user fixes before anything runs (a corrupt or
    /// unreadable database, no place for it): the CLI's exit code 2.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            HistoryError::Unusable { .. } | HistoryError::Location(_)
        )
    }
}

impl From<HistoryError> for crate::FlowError {
    fn from(e: HistoryError) -> Self {
        crate::FlowError::Run(e.to_string())
    }
}
