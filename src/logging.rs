//! Log set-up: `tracing` to stderr at the level of `-v`/`--log-level`.

use crate::cli::GlobalArgs;
use flowtoy::runner_api::LogCapture;
use std::sync::OnceLock;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
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

/// The last 100 log lines of this process, served at `/logs` by the status API.
pub fn capture() -> LogCapture {
    static CAPTURE: OnceLock<LogCapture> = OnceLock::new();
    CAPTURE.get_or_init(LogCapture::default).clone()
}

/// Stderr with every known secret value masked (SPEC R24). The fmt layer
/// writes each log line in one call, so a secret is never split.
struct MaskingStderr;

impl std::io::Write for MaskingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(flowtoy::secrets::mask(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Installs the stderr subscriber (which also feeds [`capture`]).
pub fn init(global: &GlobalArgs) {
    let filter = EnvFilter::try_new(level(global)).unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| MaskingStderr)
        .with_target(false)
        .finish()
        .with(capture())
        .try_init();
}
