//! Log set-up: `tracing` to stderr, filtered and coloured by the usual
//! conventions.
//!
//! Which lines: `--log-level` wins, then `-v` (`-v` info, `-vv` debug,
//! `-vvv` trace), then `RUST_LOG` (an `EnvFilter` directive string such as
//! `debug` or `flowtoy=debug,warn`), then the default, `warn`.
//!
//! Colour: `--color always` or `never` as said; `--color auto` (the default)
//! colours only when stderr is a terminal and `NO_COLOR` is unset or empty.

use crate::cli::{ColorChoice, GlobalArgs};
use flowtoy::runner_api::LogCapture;
use std::io::IsTerminal;
use std::sync::OnceLock;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The environment variable with a log filter directive string.
pub const RUST_LOG: &str = "RUST_LOG";

/// The level used when neither the command line nor `RUST_LOG` says one.
const DEFAULT_LEVEL: &str = "warn";

/// The level name for the global options: `--log-level` wins, else `-v`
/// count, else `warn` (`RUST_LOG` is not consulted: see [`directive`]).
pub fn level(global: &GlobalArgs) -> String {
    explicit_level(global).unwrap_or_else(|| DEFAULT_LEVEL.to_string())
}

/// The level the command line asks for, if it asks.
fn explicit_level(global: &GlobalArgs) -> Option<String> {
    if let Some(level) = &global.log_level {
        return Some(level.to_lowercase());
    }
    let name = match global.verbose {
        0 => return None,
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    Some(name.to_string())
}

/// Where the log filter came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Directive {
    /// `--log-level` or `-v`.
    CommandLine(String),
    /// The value of `RUST_LOG`.
    Environment(String),
    /// Nothing said: [`DEFAULT_LEVEL`].
    Default,
}

/// The filter directive: the command line, else `rust_log` (the value of
/// `RUST_LOG`, ignored when empty), else the default.
fn directive(global: &GlobalArgs, rust_log: Option<&str>) -> Directive {
    if let Some(level) = explicit_level(global) {
        return Directive::CommandLine(level);
    }
    match rust_log.map(str::trim) {
        Some(value) if !value.is_empty() => Directive::Environment(value.to_string()),
        _ => Directive::Default,
    }
}

/// The filter for `directive`, with a warning when it cannot be parsed.
fn filter(directive: &Directive) -> (EnvFilter, Option<String>) {
    let (text, origin) = match directive {
        Directive::CommandLine(text) => (text.as_str(), "--log-level"),
        Directive::Environment(text) => (text.as_str(), RUST_LOG),
        Directive::Default => (DEFAULT_LEVEL, "the default"),
    };
    match EnvFilter::try_new(text) {
        Ok(filter) => (filter, None),
        Err(e) => (
            EnvFilter::new(DEFAULT_LEVEL),
            Some(format!(
                "{origin} {text:?} is not a log filter ({e}); logging at {DEFAULT_LEVEL}. \
                 Use error, warn, info, debug or trace, or directives like `flowtoy=debug,warn`"
            )),
        ),
    }
}

/// True when log lines should carry colour: `choice`, and for `auto`
/// whether stderr is a terminal and `no_color` (the value of `NO_COLOR`) is
/// unset or empty.
pub fn use_color(choice: ColorChoice, stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stderr_is_terminal && no_color.is_none_or(str::is_empty),
    }
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
    /// A line stderr does not take (closed: `2>&1 | head -1`) is dropped:
    /// reporting it would mean writing to stderr again.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let _ = std::io::stderr().write_all(flowtoy::secrets::mask(&text).as_bytes());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Installs the stderr subscriber (which also feeds [`capture`]).
pub fn init(global: &GlobalArgs) {
    let rust_log = std::env::var(RUST_LOG).ok();
    let directive = directive(global, rust_log.as_deref());
    let (filter, problem) = filter(&directive);
    let no_color = std::env::var("NO_COLOR").ok();
    let ansi = use_color(
        global.color,
        std::io::stderr().is_terminal(),
        no_color.as_deref(),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| MaskingStderr)
        .with_ansi(ansi)
        .with_target(false)
        .finish()
        .with(capture())
        .try_init();
    if let Some(problem) = problem {
        note!("warning: {problem}");
    }
    tracing::debug!("log filter: {directive:?}; colour: {ansi}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(verbose: u8, log_level: Option<&str>) -> GlobalArgs {
        GlobalArgs {
            verbose,
            log_level: log_level.map(str::to_string),
            color: ColorChoice::Auto,
        }
    }

    #[test]
    fn the_command_line_wins_over_rust_log_which_wins_over_the_default() {
        let rust_log = Some("flowtoy=debug");
        assert_eq!(
            directive(&global(0, Some("INFO")), rust_log),
            Directive::CommandLine("info".into())
        );
        assert_eq!(
            directive(&global(2, None), rust_log),
            Directive::CommandLine("debug".into())
        );
        assert_eq!(
            directive(&global(0, None), rust_log),
            Directive::Environment("flowtoy=debug".into())
        );
        assert_eq!(directive(&global(0, None), Some(" ")), Directive::Default);
        assert_eq!(directive(&global(0, None), None), Directive::Default);
        assert_eq!(level(&global(0, None)), "warn");
    }

    #[test]
    fn a_bad_filter_falls_back_to_warn_and_says_so() {
        let (_, problem) = filter(&Directive::Environment("debug=[".into()));
        let problem = problem.unwrap_or_default();
        assert!(problem.contains("RUST_LOG \"debug=[\""), "{problem}");
        assert!(filter(&Directive::Environment("a=debug,warn".into()))
            .1
            .is_none());
    }

    #[test]
    fn colour_follows_the_terminal_no_color_and_the_flag() {
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(use_color(ColorChoice::Auto, true, Some("")));
        assert!(!use_color(ColorChoice::Auto, true, Some("1")));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(use_color(ColorChoice::Always, false, Some("1")));
        assert!(!use_color(ColorChoice::Never, true, None));
    }
}
