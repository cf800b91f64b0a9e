//! The engine's log records, forwarded to Python's `logging` under the
//! `flowtoy` logger (SPEC R33): a `tracing` layer installed as the global
//! subscriber when the module is imported.
//!
//! Targets become logger names: `flowtoy::runner::scheduler` logs to
//! `flowtoy.runner.scheduler`, the provider crates to `flowtoy.providers.*`,
//! anything else (warnings and errors of libraries only) to
//! `flowtoy.<crate>`. A record keeps its level, message and fields
//! (`message key=value`), with secret values masked (R24), and the Rust
//! file and line it comes from.
//!
//! The GIL is taken only for records that Python would keep: the least
//! severe level any `flowtoy` logger listens to is read when a runner is
//! made, a run starts or a server starts ([`refresh_level`]), and records
//! below it are dropped at once.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Python's level numbers.
const WARNING: u32 = 30;

/// The least severe Python level some `flowtoy` logger listens to.
static MIN_LEVEL: AtomicU32 = AtomicU32::new(WARNING);

/// Loggers by target, fetched once each.
static LOGGERS: Mutex<Option<HashMap<&'static str, Py<PyAny>>>> = Mutex::new(None);

/// Python's level number for a `tracing` level.
pub fn python_level(level: &Level) -> u32 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        _ => 5,
    }
}

/// The Python logger name for a `tracing` target.
fn logger_name(target: &str) -> String {
    let dotted = target.replace("::", ".");
    if let Some(rest) = dotted.strip_prefix("flowtoy_provider_") {
        format!("flowtoy.providers.{rest}")
    } else if let Some(rest) = dotted.strip_prefix("flowtoy_plugin_") {
        format!("flowtoy.plugins.{rest}")
    } else if dotted == "flowtoy" || dotted.starts_with("flowtoy.") {
        dotted
    } else {
        format!("flowtoy.{}", dotted.replace('-', "_"))
    }
}

/// True for the engine's own targets (every level is forwarded for them;
/// other crates' only from WARNING up).
fn is_ours(target: &str) -> bool {
    target.starts_with("flowtoy")
}

/// Reads again which levels the `flowtoy` loggers listen to. Until the
/// program imports `logging` nobody can have set one, and Python's default
/// (WARNING) holds: `logging` is not imported for nothing.
pub fn refresh_level(py: Python<'_>) {
    let imported = py
        .import("sys")
        .and_then(|sys| sys.getattr("modules"))
        .and_then(|modules| modules.contains("logging"))
        .unwrap_or(true);
    if !imported {
        return;
    }
    if let Ok(level) = least_level(py) {
        MIN_LEVEL.store(level, Ordering::Relaxed);
    }
}

/// The least effective level among `flowtoy` and its existing children.
fn least_level(py: Python<'_>) -> PyResult<u32> {
    let logging = py.import("logging")?;
    let root: u32 = logging
        .call_method1("getLogger", ("flowtoy",))?
        .call_method0("getEffectiveLevel")?
        .extract()?;
    let mut least = root;
    let loggers = logging
        .getattr("Logger")?
        .getattr("manager")?
        .getattr("loggerDict")?;
    let class = logging.getattr("Logger")?;
    for item in loggers.call_method0("items")?.try_iter()? {
        let (name, logger): (String, Bound<'_, PyAny>) = item?.extract()?;
        if name.starts_with("flowtoy.") && logger.is_instance(&class)? {
            let level: u32 = logger.call_method0("getEffectiveLevel")?.extract()?;
            least = least.min(level);
        }
    }
    Ok(least)
}

/// Installs the forwarding layer as the global `tracing` subscriber (unless
/// the process has one already).
pub fn install() {
    let _ = tracing_subscriber::registry().with(PythonLogs).try_init();
}

/// The `tracing` layer that hands records to Python's `logging`.
struct PythonLogs;

impl<S: Subscriber> Layer<S> for PythonLogs {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // Asked again for every record: the Python side's levels can change.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        let level = python_level(metadata.level());
        level >= MIN_LEVEL.load(Ordering::Relaxed)
            && (level >= WARNING || is_ours(metadata.target()))
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let message = flowtoy::runner_api::event_text(event);
        let level = python_level(metadata.level());
        let _ = Python::try_attach(|py| -> PyResult<()> {
            let logger = logger(py, metadata.target())?;
            let logger = logger.bind(py);
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let record = logger.call_method1(
                "makeRecord",
                (
                    logger.getattr("name")?,
                    level,
                    metadata.file().unwrap_or("<rust>"),
                    metadata.line().unwrap_or(0),
                    message,
                    PyTuple::empty(py),
                    py.None(),
                ),
            )?;
            logger.call_method1("handle", (record,))?;
            Ok(())
        });
    }
}

/// The logger for `target`, fetched once. The lock is never held while
/// Python runs (Python may switch threads then).
fn logger(py: Python<'_>, target: &'static str) -> PyResult<Py<PyAny>> {
    let cached = |py| {
        LOGGERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|m| m.get(target).map(|l| l.clone_ref(py)))
    };
    if let Some(logger) = cached(py) {
        return Ok(logger);
    }
    let logger = py
        .import("logging")?
        .call_method1("getLogger", (logger_name(target),))?
        .unbind();
    LOGGERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(target, logger.clone_ref(py));
    Ok(logger)
}
