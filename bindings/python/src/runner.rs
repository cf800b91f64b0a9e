//! The engine's runner for Python: `flowtoy._flowtoy.Runner`, wrapped by
//! `flowtoy.runner.LocalRunner` (SPEC R23, R33).
//!
//! A configuration dict goes through the engine's loader like a file
//! ([`RawConfig::from_text`] → [`Loader::compile`]), with the provider
//! types registered from Python. Problems do not raise when the runner is
//! made (the Python flowtoy's behaviour): `run()` raises them, all at once.
//! `run()` runs with the GIL released; the calling thread wakes now and
//! then to let Ctrl-C (`KeyboardInterrupt`) cancel the run.

use crate::errors::{self, DICT_NAME};
use crate::status::PyRunStatus;
use crate::{convert, logs, providers};
use flowtoy::config::{Config, RawConfig};
use flowtoy::runner::{LocalRunner, StatusStore};
use flowtoy::{FlowError, Loader, Problem, ProblemKind, RunStatus};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a waiting `run()` looks for Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

/// One flow, loaded once and run once.
#[pyclass(module = "flowtoy._flowtoy", name = "Runner", frozen)]
pub struct Runner {
    /// The engine's runner, or what is wrong with the configuration.
    runner: Result<Arc<LocalRunner>, PyErr>,
    status: Py<PyRunStatus>,
}

impl Runner {
    /// The engine's runner, when the configuration is valid.
    pub fn engine(&self) -> Option<Arc<LocalRunner>> {
        self.runner.as_ref().ok().map(Arc::clone)
    }

    fn from_config(py: Python<'_>, config: Result<Config, PyErr>) -> PyResult<Self> {
        let runner = config.map(|config| {
            for warning in config.warnings() {
                let warning = errors::clean(warning.clone());
                tracing::warn!(target: "flowtoy::config", "{warning}");
            }
            Arc::new(LocalRunner::new(config))
        });
        let store = match &runner {
            Ok(runner) => runner.status_store(),
            Err(_) => Arc::new(StatusStore::new(
                (flowtoy::runner::now_secs() * 1000.0) as u64,
                std::iter::empty(),
            )),
        };
        Ok(Runner {
            runner,
            status: Py::new(py, PyRunStatus::new(store))?,
        })
    }
}

/// Validates `value` as a configuration read from no file. It goes in as
/// JSON text (which is YAML) through the same reader as a file, so a dict
/// and a file give the same steps and the same problems.
fn compile_value(value: serde_json::Value) -> Result<Config, FlowError> {
    let text = serde_json::to_string(&value)
        .map_err(|e| FlowError::Run(format!("cannot read the configuration: {e}")))?;
    let raw = RawConfig::from_text(DICT_NAME, &text)?;
    Loader::with_registry(providers::registry()).compile(raw)
}

#[pymethods]
impl Runner {
    /// A runner for a configuration dict. Never raises for problems in the
    /// flow: [`Runner::run`] does.
    #[new]
    fn new(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Self> {
        logs::refresh_level(py);
        let config = match convert::from_py_checked(config) {
            Ok(value) => py
                .detach(|| compile_value(value))
                .map_err(|e| errors::flow_error(py, e)),
            Err(not_json) => Err(errors::config_error(
                py,
                vec![Problem::new(ProblemKind::Shape, not_json.describe(""))],
            )),
        };
        Runner::from_config(py, config)
    }

    /// A runner for configuration files, merged left to right; raises
    /// `ConfigError` at once for problems (with file and line).
    #[staticmethod]
    fn from_files(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Self> {
        logs::refresh_level(py);
        let config = py
            .detach(|| Loader::with_registry(providers::registry()).load(&paths))
            .map_err(|e| errors::flow_error(py, e))?;
        Runner::from_config(py, Ok(config))
    }

    /// Runs the flow to its end with the GIL released. Raises `ConfigError`
    /// for a configuration with problems, `RuntimeError` when the runner
    /// has run already, `KeyboardInterrupt` on Ctrl-C (after cancelling).
    fn run(&self, py: Python<'_>) -> PyResult<()> {
        let runner = match &self.runner {
            Ok(runner) => Arc::clone(runner),
            Err(e) => return Err(e.clone_ref(py)),
        };
        logs::refresh_level(py);
        let (done, result) = mpsc::channel::<Result<RunStatus, FlowError>>();
        let worker = Arc::clone(&runner);
        std::thread::Builder::new()
            .name("flowtoy-run".into())
            .spawn(move || {
                let _ = done.send(worker.run());
            })
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start the run: {e}")))?;
        let result = Mutex::new(result);
        let wait = |timeout: Option<Duration>| {
            let result = result.lock().unwrap_or_else(|e| e.into_inner());
            match timeout {
                Some(t) => result.recv_timeout(t),
                None => result.recv().map_err(|_| RecvTimeoutError::Disconnected),
            }
        };
        loop {
            match py.detach(|| wait(Some(SIGNAL_POLL))) {
                Ok(outcome) => return outcome.map(|_| ()).map_err(|e| errors::flow_error(py, e)),
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        let cancel = runner.cancel_handle();
                        let _ = py.detach(|| {
                            cancel.cancel();
                            wait(None)
                        });
                        return Err(interrupt);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(PyRuntimeError::new_err(
                        "the run ended without a result (the scheduler stopped unexpectedly)",
                    ))
                }
            }
        }
    }

    /// A dict of the outputs of the steps that have succeeded so far, step
    /// name → {output name → value}, in the order they finished.
    fn flows(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        if let Ok(runner) = &self.runner {
            for (name, outputs) in runner.flow_store().shared() {
                dict.set_item(name, convert::map_to_py(py, &outputs)?)?;
            }
        }
        Ok(dict.unbind())
    }

    /// The live status.
    #[getter]
    fn status(&self, py: Python<'_>) -> Py<PyRunStatus> {
        self.status.clone_ref(py)
    }

    /// True when the configuration is valid (`run()` will not raise
    /// `ConfigError`).
    #[getter]
    fn valid(&self) -> bool {
        self.runner.is_ok()
    }

    /// Cancels the run: running programs are killed, pending steps skipped.
    fn cancel(&self, py: Python<'_>) {
        if let Ok(runner) = &self.runner {
            let cancel = runner.cancel_handle();
            py.detach(move || cancel.cancel());
        }
    }
}
