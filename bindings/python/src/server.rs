//! The status API for Python (SPEC R19, R33): the engine's server on its
//! own thread and runtime, bound before [`serve`] returns. The Python
//! `serve_runner_api_in_thread` wraps it in a daemon `threading.Thread`
//! that waits in [`PyApiServer::wait`] until the server is shut down.

use crate::logs;
use crate::runner::Runner;
use flowtoy::runner_api::{self, ApiError, ApiServer, LogCapture};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::{Condvar, Mutex, MutexGuard};
use tracing::Level;

/// A running status API server.
#[pyclass(module = "flowtoy._flowtoy", name = "ApiServer", frozen)]
pub struct PyApiServer {
    host: String,
    port: u16,
    /// The server while it runs (`None` once shut down).
    server: Mutex<Option<ApiServer>>,
    stopped: Condvar,
    /// The lines `GET /logs` serves (fed by the Python `LogCapture`).
    logs: LogCapture,
}

impl PyApiServer {
    fn server(&self) -> MutexGuard<'_, Option<ApiServer>> {
        self.server.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl PyApiServer {
    /// The address it is bound to.
    #[getter]
    fn host(&self) -> &str {
        &self.host
    }

    /// The port it is bound to (the one picked when 0 was asked for).
    #[getter]
    fn port(&self) -> u16 {
        self.port
    }

    /// `http://HOST:PORT`, the base URL of the API and the web UI.
    #[getter]
    fn url(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }

    /// True while it serves.
    #[getter]
    fn running(&self) -> bool {
        self.server().is_some()
    }

    /// Adds one formatted line to those `GET /logs` serves.
    fn push_log(&self, line: String) {
        self.logs.push(line);
    }

    /// Blocks (with the GIL released) until the server is shut down.
    fn wait(&self, py: Python<'_>) {
        py.detach(|| {
            let mut server = self.server();
            while server.is_some() {
                server = self.stopped.wait(server).unwrap_or_else(|e| e.into_inner());
            }
        });
    }

    /// Stops serving (open event streams end) and wakes [`PyApiServer::wait`].
    fn shutdown(&self, py: Python<'_>) {
        let server = self.server().take();
        if let Some(server) = server {
            py.detach(move || server.shutdown());
        }
        self.stopped.notify_all();
    }
}

/// The `tracing` level for a Python level name or number.
fn level(log_level: &Bound<'_, PyAny>) -> PyResult<Level> {
    if let Ok(number) = log_level.extract::<i64>() {
        return Ok(match number {
            n if n >= 40 => Level::ERROR,
            n if n >= 30 => Level::WARN,
            n if n >= 20 => Level::INFO,
            n if n >= 10 => Level::DEBUG,
            _ => Level::TRACE,
        });
    }
    let name: String = log_level.extract()?;
    Ok(match name.to_ascii_lowercase().as_str() {
        "critical" | "fatal" | "error" => Level::ERROR,
        "warning" | "warn" => Level::WARN,
        "info" => Level::INFO,
        "debug" => Level::DEBUG,
        "trace" | "notset" => Level::TRACE,
        _ => {
            return Err(PyValueError::new_err(format!(
                "unknown log level '{name}': use critical, error, warning, info, debug or trace"
            )))
        }
    })
}

/// Serves the status API for `runner` (or for no runner: `/status` then
/// says `no-runner`) on `host:port`; returns once it accepts connections.
#[pyfunction]
#[pyo3(signature = (runner, host="127.0.0.1", port=0, log_level=None, log_lines=100))]
pub fn serve(
    py: Python<'_>,
    runner: Option<PyRef<'_, Runner>>,
    host: &str,
    port: u16,
    log_level: Option<&Bound<'_, PyAny>>,
    log_lines: usize,
) -> PyResult<PyApiServer> {
    let level = match log_level {
        Some(l) => level(l)?,
        None => Level::INFO,
    };
    logs::refresh_level(py);
    let engine = runner.and_then(|r| r.engine());
    let logs = LogCapture::new(log_lines);
    let capture = logs.clone();
    let host_owned = host.to_string();
    let server = py
        .detach(move || {
            runner_api::serve_runner_api_in_thread(engine, &host_owned, port, level, Some(capture))
        })
        .map_err(|e| match e {
            ApiError::Start(_) => PyRuntimeError::new_err(e.to_string()),
            _ => PyOSError::new_err(e.to_string()),
        })?;
    let addr = server.addr();
    Ok(PyApiServer {
        host: addr.ip().to_string(),
        port: addr.port(),
        server: Mutex::new(Some(server)),
        stopped: Condvar::new(),
        logs,
    })
}
