//! `flowtoy history` (SPEC R32): list, show and prune recorded runs; and
//! opening the run history for the commands that record into it or read it
//! (SPEC R31: `$FLOWTOY_STATE_DIR/history.db`, see the engine's
//! `history::default_path`).

use crate::cli::{
    HistoryAction, HistoryArgs, HistoryListArgs, HistoryPruneArgs, HistoryShowArgs, OutcomeArg,
    RecordArgs,
};
use crate::error::{CliError, CliResult, OK};
use crate::print;
use flowtoy::history::{
    self, local_datetime, HistoryError, HistoryOutcome, HistoryStore, Prune, RunDocument, RunId,
    RunQuery, RunSummary, SqliteHistory,
};
use flowtoy::runner::{now_secs, StepState};
use std::sync::Arc;

/// A history that cannot be used: exit code 2 when the user fixes it
/// (corrupt, unreadable, no place for it), 3 when it failed while in use.
pub fn history_error(e: HistoryError) -> CliError {
    if e.is_usage() {
        CliError::Usage(e.to_string())
    } else {
        CliError::Io(e.to_string())
    }
}

/// The store a run records into, unless `--no-history` or
/// `FLOWTOY_HISTORY=0` turn recording off.
pub fn store_for_run(args: &RecordArgs) -> Result<Option<Arc<dyn HistoryStore>>, CliError> {
    if args.no_history || history::disabled_by_env() {
        return Ok(None);
    }
    let store = SqliteHistory::open_default().map_err(history_error)?;
    Ok(Some(Arc::new(store)))
}

/// The history to read from: `None` when nothing was ever recorded.
pub fn open_for_reading() -> Result<Option<SqliteHistory>, CliError> {
    let path = history::default_path().map_err(history_error)?;
    SqliteHistory::open_existing(path).map_err(history_error)
}

/// The history to read from, or a usage error saying there is none.
pub fn open_or_explain() -> Result<SqliteHistory, CliError> {
    match open_for_reading()? {
        Some(store) => Ok(store),
        None => Err(CliError::Usage(format!(
            "no run has been recorded yet (no history at {})",
            history::default_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        ))),
    }
}

/// The run named `text` on the command line: its number, or `last`.
pub fn run_id(store: &dyn HistoryStore, text: &str) -> Result<RunId, CliError> {
    if text == "last" || text == "latest" {
        return store
            .runs(&RunQuery::default().limit(1))
            .map_err(history_error)?
            .first()
            .map(|run| run.id)
            .ok_or_else(|| CliError::Usage("no run has been recorded yet".into()));
    }
    text.parse().map_err(|_| {
        CliError::Usage(format!(
            "'{text}' is not a run: give its number (see `flowtoy history`) or `last`"
        ))
    })
}

/// Runs `flowtoy history`.
pub fn run(args: HistoryArgs) -> CliResult {
    match args.action {
        Some(HistoryAction::Show(show_args)) => show(&show_args),
        Some(HistoryAction::Prune(prune_args)) => prune(&prune_args),
        None => list(args.list),
    }
}

fn list(args: HistoryListArgs) -> CliResult {
    let Some(store) = open_for_reading()? else {
        if args.json {
            outln!("[]");
        } else {
            note!("flowtoy: no run has been recorded yet");
        }
        return Ok(OK);
    };
    let file = args.flow.as_ref().map(|f| {
        std::fs::canonicalize(f)
            .or_else(|_| std::path::absolute(f))
            .unwrap_or_else(|_| f.clone())
    });
    let query = RunQuery {
        limit: (args.limit > 0).then_some(args.limit),
        file,
        outcome: args.status.map(outcome),
    };
    let runs = store.runs(&query).map_err(history_error)?;
    if args.json {
        print_json(&runs)?;
    } else if runs.is_empty() {
        note!("flowtoy: no recorded run matches");
    } else {
        out!("{}", table(&runs));
    }
    Ok(OK)
}

fn outcome(arg: OutcomeArg) -> HistoryOutcome {
    match arg {
        OutcomeArg::Running => HistoryOutcome::Running,
        OutcomeArg::Finished => HistoryOutcome::Finished,
        OutcomeArg::Halted => HistoryOutcome::Halted,
        OutcomeArg::Interrupted => HistoryOutcome::Interrupted,
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Internal(format!("cannot print JSON: {e}")))?;
    outln!("{text}");
    Ok(())
}

fn seconds(duration: Option<f64>) -> String {
    duration.map_or_else(|| "-".into(), |d| format!("{d:.2}s"))
}

/// The runs as a table for people.
fn table(runs: &[RunSummary]) -> String {
    let mut out = format!(
        "{:>5}  {:<19}  {:>9}  {:<11}  {:>9}  {:>6}  {:>7}  FILES\n",
        "RUN", "STARTED", "DURATION", "OUTCOME", "SUCCEEDED", "FAILED", "SKIPPED"
    );
    for run in runs {
        out.push_str(&format!(
            "{:>5}  {:<19}  {:>9}  {:<11}  {:>9}  {:>6}  {:>7}  {}\n",
            run.id,
            local_datetime(run.started_at),
            seconds(run.duration),
            run.outcome.as_str(),
            run.succeeded,
            run.failed,
            run.skipped,
            run.files.join(" "),
        ));
    }
    out
}

fn show(args: &HistoryShowArgs) -> CliResult {
    let store = open_or_explain()?;
    let id = run_id(&store, &args.run)?;
    let record = store.run(id).map_err(history_error)?.ok_or_else(|| {
        CliError::Usage(format!(
            "there is no run {id} in the history; `flowtoy history` lists them"
        ))
    })?;
    let document = record.document();
    if args.json {
        print_json(&document)?;
    } else {
        out!("{}", describe(&document));
        let outputs = document
            .outputs
            .iter()
            .filter_map(|(name, values)| values.as_object().map(|values| (name.as_str(), values)));
        if !document.outputs.is_empty() {
            outln!("\noutputs (secret values masked):");
            print::human_steps(outputs);
        }
    }
    Ok(OK)
}

/// A recorded run for people: its header, then one line per step.
fn describe(doc: &RunDocument) -> String {
    let run = &doc.run;
    let mut out = format!(
        "run {} · {} · started {} · {}\n",
        run.id,
        run.outcome,
        local_datetime(run.started_at),
        seconds(run.duration)
    );
    out.push_str(&format!("files: {}\n", run.files.join(" ")));
    if let Some(from) = run.resumed_from {
        out.push_str(&format!("resumed from run {from}\n"));
    }
    out.push_str(&format!(
        "{} succeeded, {} failed, {} skipped of {} steps\n\n",
        run.succeeded, run.failed, run.skipped, run.total_steps
    ));
    let width = doc.steps.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, step) in doc.steps.iter() {
        let icon = match step.state {
            StepState::Succeeded => "✓",
            StepState::Failed => "✗",
            StepState::Skipped => "⊘",
            StepState::Running => "▶",
            _ => "◷",
        };
        let started = step
            .started_at
            .map(|t| local_datetime(t).get(11..).unwrap_or_default().to_string())
            .unwrap_or_default();
        let took = match (step.started_at, step.ended_at) {
            (Some(a), Some(b)) => format!("+{:.1}s", (b - a).max(0.0)),
            _ => String::new(),
        };
        let mut notes = step.error().unwrap_or_default();
        if doc.secret_steps.iter().any(|s| s == name) {
            if !notes.is_empty() {
                notes.push_str("; ");
            }
            notes.push_str("outputs held secret values (masked; runs again on resume)");
        }
        out.push_str(&format!(
            "  {icon} {name:<width$}  {:<9}  {started:<8}  {took:>7}  {notes}\n",
            step.state.as_str()
        ));
    }
    out
}

fn prune(args: &HistoryPruneArgs) -> CliResult {
    let Some(store) = open_for_reading()? else {
        outln!("pruned 0 runs (nothing was recorded yet)");
        return Ok(OK);
    };
    let rule = match (args.keep, args.older_than) {
        (Some(n), _) => Prune::Keep(n),
        (None, Some(days)) if days >= 0.0 && days.is_finite() => {
            Prune::StartedBefore(now_secs() - days * 86_400.0)
        }
        _ => {
            return Err(CliError::Usage(
                "--older-than takes a number of days, 0 or more".into(),
            ))
        }
    };
    let deleted = store.prune(&rule).map_err(history_error)?;
    let left = store
        .runs(&RunQuery::default())
        .map_err(history_error)?
        .len();
    outln!("pruned {deleted} runs; {left} left");
    Ok(OK)
}
