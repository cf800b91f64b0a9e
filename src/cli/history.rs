//! Arguments of the run history (SPEC R31, R32): `--no-history` on the
//! commands that run a flow, `flowtoy history` and `flowtoy resume`.

use super::PluginArgs;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Whether a run is recorded in the run history.
#[derive(Debug, Args, Clone, Default)]
pub struct RecordArgs {
    /// Do not record this run in the run history (also FLOWTOY_HISTORY=0).
    #[arg(long)]
    pub no_history: bool,
}

/// A run's outcome, to filter the list.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutcomeArg {
    /// Still running.
    Running,
    /// Ended with exit code 0.
    Finished,
    /// Halted by a failed step (exit code 1).
    Halted,
    /// Stopped before its end (Ctrl-C, SIGTERM, its process died).
    Interrupted,
}

/// `flowtoy history`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    /// Show or prune instead of listing.
    #[command(subcommand)]
    pub action: Option<HistoryAction>,
    /// What to list.
    #[command(flatten)]
    pub list: HistoryListArgs,
}

/// `flowtoy history` (the list).
#[derive(Debug, Args)]
pub struct HistoryListArgs {
    /// At most N runs, newest first (0: all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Only runs of this configuration file.
    #[arg(long, value_name = "FILE")]
    pub flow: Option<PathBuf>,
    /// Only runs with this outcome.
    #[arg(long, value_enum, value_name = "S")]
    pub status: Option<OutcomeArg>,
    /// Print the runs as JSON: [{id, run_id, started_at, ended_at, duration, outcome, succeeded, failed, skipped, total_steps, files, config_hash, resumed_from}].
    #[arg(long)]
    pub json: bool,
}

/// `flowtoy history show|prune`.
#[derive(Debug, Subcommand)]
pub enum HistoryAction {
    /// One run's steps and outputs (secret values masked).
    #[command(
        after_help = "Examples:\n  flowtoy history show 12\n  flowtoy history show last --json"
    )]
    Show(HistoryShowArgs),
    /// Delete old runs (never one still running).
    #[command(
        after_help = "Examples:\n  flowtoy history prune --keep 100\n  flowtoy history prune --older-than 30"
    )]
    Prune(HistoryPruneArgs),
}

/// `flowtoy history show`.
#[derive(Debug, Args)]
pub struct HistoryShowArgs {
    /// The run's number (see `flowtoy history`), or `last`.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Print the run as JSON: the /status fields, the list's fields, and outputs.
    #[arg(long)]
    pub json: bool,
}

/// `flowtoy history prune`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["keep", "older_than"])))]
pub struct HistoryPruneArgs {
    /// Keep the newest N runs, delete the rest.
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Delete runs started more than DAYS days ago (fractions allowed).
    #[arg(long, value_name = "DAYS")]
    pub older_than: Option<f64>,
}

/// `flowtoy resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run to resume: its number (see `flowtoy history`), or `last`.
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Print the outputs as JSON.
    #[arg(short, long)]
    pub json: bool,
    /// Also write the outputs as JSON to this file.
    #[arg(short, long, value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Print nothing to stdout.
    #[arg(short, long)]
    pub quiet: bool,
    /// Most steps running at once (wins over runner.max_workers; default 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_workers: Option<u64>,
    /// Print secret values in outputs (stdout and -o only).
    #[arg(long)]
    pub show_secrets: bool,
    /// Plugin directories.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Recording the new run.
    #[command(flatten)]
    pub history: RecordArgs,
}
