//! The command line's errors and its exit codes, in one place (SPEC R17).
//!
//! Commands return `Ok(code)` when they did their work — the code tells how
//! a run ended — or a [`CliError`], which `main` prints once and turns into
//! its exit code with [`CliError::exit_code`].

use flowtoy::runner::RunOutcome;
use flowtoy::FlowError;
use std::fmt;

/// The run finished; every failure was covered by `skip` or `continue`.
pub const OK: i32 = 0;
/// The run halted on a step with the `fail` policy.
pub const HALTED: i32 = 1;
/// A configuration or usage error: nothing ran.
pub const USAGE: i32 = 2;
/// flowtoy itself failed (an I/O error such as an unwritable `-o` file, the
/// terminal UI failing): the flow's outcome was not delivered.
pub const FAILURE: i32 = 3;
/// Interrupted by SIGINT.
pub const SIGINT: i32 = 130;
/// Interrupted by SIGTERM.
pub const SIGTERM: i32 = 143;

/// What a command returns: the exit code of work done, or why it failed.
pub type CliResult = Result<i32, CliError>;

/// Why a command could not do its work.
#[derive(Debug)]
pub enum CliError {
    /// An engine error: a configuration (every problem listed) or a run that
    /// could not start.
    Flow(FlowError),
    /// The command line itself is wrong (conflicting arguments, a bad URL).
    Usage(String),
    /// The address to serve on cannot be used (in use, not permitted): the
    /// user chooses another, nothing ran.
    Address(String),
    /// Reading or writing a file, or the terminal, failed.
    Io(String),
    /// flowtoy could not carry on (a thread or runtime could not start).
    Internal(String),
}

impl CliError {
    /// The exit code: 2 for what the user must fix before anything runs
    /// (configuration, usage, an unusable address), 3 for flowtoy's own
    /// failures after it started (I/O, internal).
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Flow(FlowError::Config(_)) => USAGE,
            CliError::Usage(_) | CliError::Address(_) => USAGE,
            CliError::Flow(_) | CliError::Io(_) | CliError::Internal(_) => FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Flow(e) => write!(f, "{e}"),
            CliError::Usage(m) | CliError::Address(m) | CliError::Io(m) | CliError::Internal(m) => {
                f.write_str(m)
            }
        }
    }
}

impl From<FlowError> for CliError {
    fn from(e: FlowError) -> Self {
        CliError::Flow(e)
    }
}

/// Prints `err` to stderr and returns its exit code.
pub fn report(err: &CliError) -> i32 {
    note!("error: {err}");
    err.exit_code()
}

/// The exit code for how a run ended; `terminated` is true when SIGTERM
/// (rather than SIGINT or a cancel handle) stopped it.
pub fn for_outcome(outcome: Option<RunOutcome>, terminated: bool) -> i32 {
    match outcome {
        Some(RunOutcome::Cancelled) if terminated => SIGTERM,
        Some(RunOutcome::Cancelled) => SIGINT,
        Some(RunOutcome::Completed) => OK,
        Some(RunOutcome::Halted) | Some(_) | None => HALTED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowtoy::{Problem, ProblemKind};

    #[test]
    fn each_error_has_its_documented_code() {
        let config = CliError::Flow(FlowError::config(Problem::new(ProblemKind::Shape, "x")));
        assert_eq!(config.exit_code(), 2);
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
        assert_eq!(CliError::Address("x".into()).exit_code(), 2);
        assert_eq!(CliError::Io("x".into()).exit_code(), 3);
        assert_eq!(CliError::Internal("x".into()).exit_code(), 3);
        assert_eq!(CliError::Flow(FlowError::Run("x".into())).exit_code(), 3);
        assert_eq!(for_outcome(Some(RunOutcome::Halted), false), 1);
        assert_eq!(for_outcome(Some(RunOutcome::Cancelled), true), 143);
    }
}
