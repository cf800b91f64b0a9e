//! Exit codes, in one place (SPEC R17).

use flowtoy::runner::RunOutcome;
use flowtoy::FlowError;

/// The run finished; every failure was covered by `skip` or `continue`.
pub const OK: i32 = 0;
/// The run halted on a step with the `fail` policy.
pub const HALTED: i32 = 1;
/// A configuration or usage error; no step ran.
pub const USAGE: i32 = 2;
/// Interrupted by SIGINT.
pub const SIGINT: i32 = 130;
/// Interrupted by SIGTERM.
pub const SIGTERM: i32 = 143;

/// The exit code for an engine error, after printing it to stderr.
pub fn report(err: &FlowError) -> i32 {
    eprintln!("error: {err}");
    if err.is_config() {
        USAGE
    } else {
        HALTED
    }
}

/// The exit code for how a run ended; `terminated` is true when SIGTERM
/// (rather than SIGINT or a cancel handle) stopped it.
pub fn for_outcome(outcome: Option<RunOutcome>, terminated: bool) -> i32 {
    match outcome {
        Some(RunOutcome::Cancelled) if terminated => SIGTERM,
        Some(RunOutcome::Cancelled) => SIGINT,
        Some(RunOutcome::Completed) => OK,
        Some(RunOutcome::Halted) | None => HALTED,
    }
}
