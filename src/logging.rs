//! Log set-up: `tracing` to stderr at the level of `-v`/`--log-level`.

use crate::cli::GlobalArgs;
use tracing_subscriber::EnvFilter;

/// The level name for the global options: `--log-level` wins, else `-v` count.
pub fn level(global: &GlobalArgs) -> String {
    if let Some(level) = &global.log_level {
        return level.to_lowercase();
    }
    match global.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
    .to_string()
}

/// Installs the stderr subscriber.
pub fn init(global: &GlobalArgs) {
    let filter = EnvFilter::try_new(level(global)).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
