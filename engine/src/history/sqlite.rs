//! The run history in an embedded SQLite database (SPEC R31): SQLite is
//! compiled in (`rusqlite`'s `bundled`), so nothing needs installing.
//!
//! - WAL journal: readers never block the writer, and several flowtoy
//!   processes record into one database at once; each write waits up to
//!   [`BUSY_TIMEOUT`] for another's (write transactions take the lock
//!   first, `BEGIN IMMEDIATE`, so they queue instead of failing).
//! - `synchronous = NORMAL`: a commit is in the WAL file before it returns,
//!   so a killed process loses nothing it committed, and the database stays
//!   consistent through a power cut (which may lose the last commits before
//!   it). One fsync per commit (`FULL`) would cost a whole short run's time.
//! - Closing leaves the WAL as it is (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`):
//!   folding it into the database at the end of every run costs two fsyncs
//!   and a copy; SQLite folds it when it passes 1,000 pages, and `prune`
//!   empties it. `history.db-wal` and `history.db-shm` belong with
//!   `history.db` (copy the three together).
//! - Opening never rewrites an existing file: one that is not an SQLite
//!   database, is corrupt, or belongs to another program is refused with
//!   [`HistoryError::Unusable`] and left byte for byte as it was. A new
//!   file is created with mode 0600, in a directory created with mode 0700.

use super::document::HistoryOutcome;
use super::sqlite_schema::{self, SchemaError};
use super::{
    HistoryError, HistoryStore, NewRun, ProcessIdentity, Prune, RunEnd, RunId, RunQuery, RunRecord,
    RunSummary, StepRecord,
};
use crate::flows::StepOutputs;
use crate::runner::{StepState, StepStatus};
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a write waits for another process's write to end.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The run history in an SQLite database file.
#[derive(Debug)]
pub struct SqliteHistory {
    path: PathBuf,
    conn: Mutex<Connection>,
}

/// The columns of a run summary, in [`summary`]'s order.
const SUMMARY_COLUMNS: &str = "runs.id, runs.run_id, runs.started_at, runs.ended_at, \
     runs.outcome, runs.succeeded, runs.failed, runs.skipped, runs.total_steps, runs.files, \
     runs.config_hash, runs.resumed_from";

impl SqliteHistory {
    /// Opens (creating it when missing) the history at `path`, brings its
    /// schema up to date, and marks `interrupted` the runs whose process is
    /// gone.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, HistoryError> {
        let path = path.into();
        create(&path)?;
        Self::connect(path)
    }

    /// Opens the history at `path` if the file exists (for commands that
    /// only read it); `None` when there is none yet.
    pub fn open_existing(path: impl Into<PathBuf>) -> Result<Option<Self>, HistoryError> {
        let path = path.into();
        if !path.exists() {
            return Ok(None);
        }
        Self::connect(path).map(Some)
    }

    /// The history at [`default_path`](super::default_path).
    pub fn open_default() -> Result<Self, HistoryError> {
        Self::open(super::default_path()?)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(path: PathBuf) -> Result<Self, HistoryError> {
        let unusable = |e: &dyn std::fmt::Display| HistoryError::Unusable {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        // Never create here: `create` made a new file, and an existing one
        // must not be replaced.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(&path, flags).map_err(|e| unusable(&e))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| unusable(&e))?;
        // The first statement that reads the file: a file that is not a
        // database fails here, before anything is written.
        conn.query_row("PRAGMA schema_version", [], |row| row.get::<_, i64>(0))
            .map_err(|e| unusable(&e))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(|e| unusable(&e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                "run history {}: journal mode {mode}, not WAL",
                path.display()
            );
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(|e| unusable(&e))?;
        // Closing does not fold the WAL into the database (two fsyncs and a
        // copy at the end of every run); SQLite does it in whichever
        // commit finds the WAL past 1,000 pages, and `prune` does it too.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(|e| unusable(&e))?;
        sqlite_schema::migrate(&mut conn).map_err(|e| match e {
            SchemaError::Sqlite(e) => unusable(&e),
            SchemaError::Foreign(why) => unusable(&why),
        })?;
        let store = SqliteHistory {
            path,
            conn: Mutex::new(conn),
        };
        store.mark_interrupted().map_err(|e| match e {
            HistoryError::Failed { path, reason } => HistoryError::Unusable { path, reason },
            other => other,
        })?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn failed(&self, what: &str, e: impl std::fmt::Display) -> HistoryError {
        HistoryError::Failed {
            path: self.path.display().to_string(),
            reason: format!("{what}: {e}"),
        }
    }

    /// Marks `interrupted` every run still `running` whose process is gone
    /// (SPEC R31); it ended when its last recorded step did.
    fn mark_interrupted(&self) -> Result<usize, HistoryError> {
        let mut conn = self.lock();
        let err = |e| self.failed("cannot check for interrupted runs", e);
        let running: Vec<(RunId, ProcessIdentity)> = {
            let mut stmt = conn
                .prepare("SELECT id, pid, process_start, host FROM runs WHERE outcome = 'running'")
                .map_err(err)?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((
                        row.get(0)?,
                        ProcessIdentity {
                            pid: row.get(1)?,
                            start: row.get(2)?,
                            host: row.get(3)?,
                        },
                    ))
                })
                .map_err(err)?;
            rows.collect::<Result<_, _>>().map_err(err)?
        };
        let gone: Vec<RunId> = running
            .into_iter()
            .filter(|(_, process)| process.is_gone())
            .map(|(id, _)| id)
            .collect();
        if gone.is_empty() {
            return Ok(0);
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        for id in &gone {
            tx.execute(
                "UPDATE runs SET outcome = 'interrupted', ended_at = coalesce(
                     (SELECT max(ended_at) FROM steps WHERE run = ?1), started_at)
                 WHERE id = ?1 AND outcome = 'running'",
                [id],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        tracing::info!("run history: marked runs {gone:?} interrupted (their process is gone)");
        Ok(gone.len())
    }
}

/// Makes the directory (0700) and an empty database file (0600) when they
/// are missing; an existing file is not touched.
fn create(path: &Path) -> Result<(), HistoryError> {
    let unusable = |e: std::io::Error| HistoryError::Unusable {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(unusable)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process made it first.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(unusable(e)),
    }
}

/// A run summary from a row of [`SUMMARY_COLUMNS`].
fn summary(row: &Row<'_>) -> rusqlite::Result<RunSummary> {
    let started_at: f64 = row.get(2)?;
    let ended_at: Option<f64> = row.get(3)?;
    let outcome: String = row.get(4)?;
    let files: String = row.get(9)?;
    let count = |i| row.get::<_, i64>(i).map(|n| n.max(0) as usize);
    Ok(RunSummary {
        id: row.get(0)?,
        run_id: row.get::<_, i64>(1)?.max(0) as u64,
        started_at,
        ended_at,
        duration: ended_at.map(|end| (end - started_at).max(0.0)),
        outcome: HistoryOutcome::from_name(&outcome).unwrap_or(HistoryOutcome::Running),
        succeeded: count(5)?,
        failed: count(6)?,
        skipped: count(7)?,
        total_steps: count(8)?,
        files: serde_json::from_str(&files).unwrap_or_default(),
        config_hash: row.get(10)?,
        resumed_from: row.get(11)?,
    })
}

/// A recorded step from a row of the `steps` table, called `name` (names
/// are in `plans`).
fn step(row: &Row<'_>, name: String) -> rusqlite::Result<StepRecord> {
    let state: String = row.get(1)?;
    let outputs: Option<String> = row.get(6)?;
    let items: Option<String> = row.get(9)?;
    let outputs: Option<StepOutputs> = outputs.and_then(|text| serde_json::from_str(&text).ok());
    let status = StepStatus {
        name,
        state: StepState::from_name(&state).unwrap_or(StepState::Pending),
        started_at: row.get(3)?,
        ended_at: row.get(4)?,
        error: row.get(5)?,
        outputs: outputs
            .as_ref()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default(),
        attempt: row.get(2)?,
        items: items.and_then(|text| serde_json::from_str(&text).ok()),
        executor: None,
        job_id: None,
    };
    Ok(StepRecord {
        position: row.get::<_, i64>(0)?.max(0) as usize,
        status: Arc::new(status),
        outputs: outputs.map(Arc::new),
        secret: row.get(7)?,
        reused_from: row.get(8)?,
    })
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl HistoryStore for SqliteHistory {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn begin_run(&self, run: &NewRun) -> Result<RunId, HistoryError> {
        let err = |e| self.failed("cannot record the run's start", e);
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let files: Vec<String> = run.files.iter().map(|f| f.display().to_string()).collect();
        tx.execute(
            "INSERT INTO runs (run_id, files, config_hash, started_at, outcome,
                 total_steps, resumed_from, pid, process_start, host)
             VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7, ?8, ?9)",
            params![
                i64::try_from(run.run_id).unwrap_or(i64::MAX),
                to_json(&files),
                run.config_hash,
                run.started_at,
                run.steps.len() as i64,
                run.resumed_from,
                run.process.pid,
                run.process.start,
                run.process.host,
            ],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        let planned: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM plans WHERE config_hash = ?1)",
                [&run.config_hash],
                |row| row.get(0),
            )
            .map_err(err)?;
        if !planned {
            tx.execute(
                "INSERT INTO plans (config_hash, names, definitions) VALUES (?1, ?2, ?3)",
                params![
                    run.config_hash,
                    to_json(&run.steps),
                    to_json(&run.definitions)
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    fn record_steps(&self, run: RunId, steps: &[StepRecord]) -> Result<(), HistoryError> {
        let err = |e| self.failed("cannot record finished steps", e);
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let (mut succeeded, mut failed, mut skipped) = (0i64, 0i64, 0i64);
        // One buffer for every step's outputs, serialized in turn.
        let mut outputs = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO steps (run, position, state, attempt, started_at,
                         ended_at, error, outputs, secret, reused_from, items)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(err)?;
            for record in steps {
                let step = &record.status;
                outputs.clear();
                let outputs_text = match record.outputs.as_deref() {
                    Some(values) => serde_json::to_writer(&mut outputs, values)
                        .ok()
                        .and_then(|()| std::str::from_utf8(&outputs).ok()),
                    None => None,
                };
                match step.state {
                    StepState::Succeeded => succeeded += 1,
                    StepState::Failed => failed += 1,
                    StepState::Skipped => skipped += 1,
                    _ => {}
                }
                insert
                    .execute(params![
                        run,
                        record.position as i64,
                        step.state.as_str(),
                        step.attempt,
                        step.started_at,
                        step.ended_at,
                        step.error,
                        outputs_text,
                        record.secret,
                        record.reused_from,
                        step.items.as_ref().map(to_json),
                    ])
                    .map_err(err)?;
            }
        }
        tx.execute(
            "UPDATE runs SET succeeded = succeeded + ?2, failed = failed + ?3,
                 skipped = skipped + ?4 WHERE id = ?1",
            params![run, succeeded, failed, skipped],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    fn end_run(&self, run: RunId, end: &RunEnd) -> Result<(), HistoryError> {
        let err = |e| self.failed("cannot record the run's end", e);
        self.lock()
            .execute(
                "UPDATE runs SET ended_at = ?2, outcome = ?3, succeeded = ?4, failed = ?5,
                     skipped = ?6 WHERE id = ?1",
                params![
                    run,
                    end.ended_at,
                    end.outcome.as_str(),
                    end.succeeded as i64,
                    end.failed as i64,
                    end.skipped as i64,
                ],
            )
            .map(|_| ())
            .map_err(err)
    }

    fn runs(&self, query: &RunQuery) -> Result<Vec<RunSummary>, HistoryError> {
        let err = |e| self.failed("cannot list runs", e);
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM runs
                 WHERE (?1 IS NULL OR outcome = ?1)
                   AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(runs.files) WHERE value = ?2))
                 ORDER BY id DESC LIMIT ?3"
            ))
            .map_err(err)?;
        let limit = query
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let file = query.file.as_ref().map(|f| f.display().to_string());
        let rows = stmt
            .query_map(
                params![query.outcome.map(HistoryOutcome::as_str), file, limit],
                summary,
            )
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    fn run(&self, id: RunId) -> Result<Option<RunRecord>, HistoryError> {
        let err = |e| self.failed(&format!("cannot read run {id}"), e);
        let conn = self.lock();
        let found = conn
            .query_row(
                &format!(
                    "SELECT {SUMMARY_COLUMNS}, names, definitions
                     FROM runs LEFT JOIN plans ON plans.config_hash = runs.config_hash
                     WHERE runs.id = ?1"
                ),
                [id],
                |row| {
                    let list = |i| {
                        row.get::<_, Option<String>>(i).map(|text| {
                            text.and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok())
                                .unwrap_or_default()
                        })
                    };
                    Ok((summary(row)?, list(12)?, list(13)?))
                },
            )
            .optional()
            .map_err(err)?;
        let Some((summary, names, definitions)) = found else {
            return Ok(None);
        };
        let mut stmt = conn
            .prepare_cached(
                "SELECT position, state, attempt, started_at, ended_at, error, outputs,
                     secret, reused_from, items
                 FROM steps WHERE run = ?1 ORDER BY position",
            )
            .map_err(err)?;
        let at = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
        let steps = stmt
            .query_map([id], |row| {
                step(row, at(&names, row.get::<_, i64>(0)?.max(0) as usize))
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        Ok(Some(RunRecord {
            summary,
            step_names: names,
            definitions,
            steps,
        }))
    }

    fn prune(&self, prune: &Prune) -> Result<usize, HistoryError> {
        let err = |e| self.failed("cannot prune runs", e);
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let doomed = match prune {
            Prune::Keep(_) => {
                "SELECT id FROM runs WHERE outcome != 'running' AND id NOT IN
                     (SELECT id FROM runs ORDER BY id DESC LIMIT ?1)"
            }
            Prune::StartedBefore(_) => {
                "SELECT id FROM runs WHERE outcome != 'running' AND started_at < ?1"
            }
        };
        let bound: rusqlite::types::Value = match prune {
            Prune::Keep(n) => i64::try_from(*n).unwrap_or(i64::MAX).into(),
            Prune::StartedBefore(t) => (*t).into(),
        };
        tx.execute(
            &format!("DELETE FROM steps WHERE run IN ({doomed})"),
            [&bound],
        )
        .map_err(err)?;
        let deleted = tx
            .execute(
                &format!("DELETE FROM runs WHERE id IN ({doomed})"),
                [&bound],
            )
            .map_err(err)?;
        tx.execute(
            "DELETE FROM plans WHERE config_hash NOT IN (SELECT config_hash FROM runs)",
            [],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        // A good moment to fold the WAL into the database and empty it.
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)") {
            tracing::warn!(
                "run history {}: checkpoint after pruning: {e}",
                self.location()
            );
        }
        Ok(deleted)
    }
}
