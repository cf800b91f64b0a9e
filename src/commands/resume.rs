//! `flowtoy resume RUN` (SPEC R32): load the recorded run's configuration
//! files again, reuse the outputs of the steps that succeeded in it and did
//! not change, run the rest, say which is which, and record the new run
//! with the run it resumed.

use super::execute::{self, Finished};
use super::history::{history_error, open_or_explain, run_id};
use super::load;
use crate::cli::ResumeArgs;
use crate::error::{self, CliError, CliResult};
use crate::print;
use flowtoy::history::{self, HistoryStore, ResumePlan};
use flowtoy::LocalRunner;
use std::path::PathBuf;
use std::sync::Arc;

/// Most step names listed on one line of the plan.
const NAMES_SHOWN: usize = 20;

/// Runs `flowtoy resume`.
pub fn run(args: ResumeArgs) -> CliResult {
    let store: Arc<dyn HistoryStore> = Arc::new(open_or_explain()?);
    let id = run_id(&*store, &args.run)?;
    let record = store.run(id).map_err(history_error)?.ok_or_else(|| {
        CliError::Usage(format!(
            "there is no run {id} in the history; `flowtoy history` lists them"
        ))
    })?;
    let files: Vec<PathBuf> = record.summary.files.iter().map(PathBuf::from).collect();
    let config = load::load(&files, &args.plugins)?;
    let plan = ResumePlan::new(&record, &config);
    let mut runner = LocalRunner::new(config);
    if let Some(n) = args.max_workers {
        runner.set_max_workers(n as usize);
    }
    runner.resume_from(&plan)?;
    if !(args.history.no_history || history::disabled_by_env()) {
        runner.record_into(Arc::clone(&store));
    }
    tell(&plan, &record.summary.files);
    let runner = Arc::new(runner);
    let Finished {
        status, terminated, ..
    } = execute::run_with_progress(&runner)?;
    let outputs = print::outputs(&runner, args.show_secrets);
    if let Some(path) = &args.output_file {
        print::write_json_file(path, &outputs).map_err(|e| {
            CliError::Io(format!("cannot write outputs to {}: {e}", path.display()))
        })?;
    }
    if !args.quiet {
        if args.json {
            print::json(&outputs);
        } else {
            print::human(&outputs);
        }
    }
    print::summary(&status);
    if let Some(new) = runner.history_id() {
        note!("flowtoy: recorded as run {new}, resumed from run {id}");
    }
    Ok(error::for_outcome(status.outcome, terminated))
}

/// `a, b, c` — at most [`NAMES_SHOWN`] of them, then how many more.
fn names<'a>(list: impl ExactSizeIterator<Item = &'a str>) -> String {
    let total = list.len();
    let mut shown: Vec<&str> = list.take(NAMES_SHOWN).collect();
    let more = format!("… and {} more", total.saturating_sub(NAMES_SHOWN));
    if total > NAMES_SHOWN {
        shown.push(&more);
    }
    shown.join(", ")
}

/// Says on stderr which steps are reused and which run, and why.
fn tell(plan: &ResumePlan, files: &[String]) {
    note!(
        "flowtoy: resuming run {} ({})",
        plan.from_run(),
        files.join(" ")
    );
    let reused = plan.reused();
    note!(
        "flowtoy: reusing {} step{}{}{}",
        reused.len(),
        if reused.len() == 1 { "" } else { "s" },
        if reused.is_empty() { "" } else { ": " },
        names(reused.iter().map(|s| s.name.as_str()))
    );
    let rerun: Vec<String> = plan
        .rerun()
        .iter()
        .map(|(name, why)| format!("{name} ({why})"))
        .collect();
    note!(
        "flowtoy: running {} step{}{}{}",
        rerun.len(),
        if rerun.len() == 1 { "" } else { "s" },
        if rerun.is_empty() { "" } else { ": " },
        names(rerun.iter().map(String::as_str))
    );
}
