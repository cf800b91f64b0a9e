//! `flowtoy.runner.RunStatus` and `StepStatus` (SPEC R15, R33): live views
//! of a run's status store. Every attribute reads the store when it is read,
//! under the store's read lock, so another thread sees the run move on while
//! `run()` goes on and never a half-updated step.

use flowtoy::runner::{now_secs, RunOutcome, StatusStore, StepStatus};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use std::sync::Arc;

/// A run id for a status made from Python: milliseconds since the epoch.
fn new_run_id() -> u64 {
    (now_secs() * 1000.0) as u64
}

/// The whole run's status: `run_id`, `started_at`, `ended_at` and `steps`
/// (step name → [`PyStepStatus`], in file order).
#[pyclass(module = "flowtoy.runner", name = "RunStatus", frozen)]
pub struct PyRunStatus {
    store: Arc<StatusStore>,
    steps: PyOnceLock<Py<PyDict>>,
}

impl PyRunStatus {
    /// A view of `store`.
    pub fn new(store: Arc<StatusStore>) -> Self {
        PyRunStatus {
            store,
            steps: PyOnceLock::new(),
        }
    }
}

#[pymethods]
impl PyRunStatus {
    /// A status with no steps, not started (as the Python flowtoy's `RunStatus()`).
    #[new]
    fn py_new() -> Self {
        PyRunStatus::new(Arc::new(StatusStore::new(new_run_id(), std::iter::empty())))
    }

    /// Milliseconds since the epoch when the runner was made.
    #[getter]
    fn run_id(&self) -> u64 {
        self.store.read(|s| s.run_id)
    }

    /// When `run()` started (seconds since the epoch), or `None` before.
    #[getter]
    fn started_at(&self) -> Option<f64> {
        self.store.read(|s| s.started_at)
    }

    /// When the run ended: set once no step is running any more.
    #[getter]
    fn ended_at(&self) -> Option<f64> {
        self.store.read(|s| s.ended_at)
    }

    /// How the run ended: `"completed"`, `"halted"` (a step failed under
    /// `on_error: fail`) or `"cancelled"`; `None` while it goes on.
    #[getter]
    fn outcome(&self) -> Option<&'static str> {
        self.store.read(|s| {
            s.outcome.map(|o| match o {
                RunOutcome::Completed => "completed",
                RunOutcome::Halted => "halted",
                RunOutcome::Cancelled => "cancelled",
                _ => "ended",
            })
        })
    }

    /// Step name → `StepStatus`, in file order: one dict, made once; its
    /// `StepStatus` objects are live.
    #[getter]
    fn steps(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let steps = self.steps.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
            let dict = PyDict::new(py);
            let names: Vec<String> = self
                .store
                .read(|s| s.steps.iter().map(|st| st.name.clone()).collect());
            for (index, name) in names.into_iter().enumerate() {
                let step = PyStepStatus {
                    store: Arc::clone(&self.store),
                    index,
                    name: name.clone(),
                };
                dict.set_item(name, Py::new(py, step)?)?;
            }
            Ok(dict.unbind())
        })?;
        Ok(steps.clone_ref(py))
    }

    fn __repr__(&self) -> String {
        self.store.read(|s| {
            format!(
                "RunStatus(run_id={}, started_at={}, ended_at={}, steps={})",
                s.run_id,
                py_float(s.started_at),
                py_float(s.ended_at),
                s.steps.len()
            )
        })
    }
}

/// One step's status: `name`, `state` (`pending`, `running`, `succeeded`,
/// `failed`, `skipped`), `started_at`, `ended_at`, `error`.
#[pyclass(module = "flowtoy.runner", name = "StepStatus", frozen)]
pub struct PyStepStatus {
    store: Arc<StatusStore>,
    index: usize,
    name: String,
}

impl PyStepStatus {
    fn read<R>(&self, f: impl FnOnce(&StepStatus) -> R) -> Option<R> {
        self.store.read(|s| s.steps.get(self.index).map(|st| f(st)))
    }
}

#[pymethods]
impl PyStepStatus {
    /// A pending step of its own (as the Python flowtoy's `StepStatus(name)`).
    #[new]
    fn py_new(name: String) -> Self {
        let store = StatusStore::new(new_run_id(), std::iter::once(name.clone()));
        PyStepStatus {
            store: Arc::new(store),
            index: 0,
            name,
        }
    }

    /// The step's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// `pending`, `running`, `succeeded`, `failed` or `skipped`.
    #[getter]
    fn state(&self) -> &'static str {
        self.read(|s| s.state.as_str()).unwrap_or("pending")
    }

    /// When it started (seconds since the epoch), or `None`.
    #[getter]
    fn started_at(&self) -> Option<f64> {
        self.read(|s| s.started_at).flatten()
    }

    /// When it ended, or `None`.
    #[getter]
    fn ended_at(&self) -> Option<f64> {
        self.read(|s| s.ended_at).flatten()
    }

    /// Why it failed or was skipped, or `None`.
    #[getter]
    fn error(&self) -> Option<String> {
        self.read(|s| s.error.clone()).flatten()
    }

    /// The names of its outputs, once it succeeded.
    #[getter]
    fn outputs(&self) -> Vec<String> {
        self.read(|s| s.outputs.clone()).unwrap_or_default()
    }

    /// The try under way, or the last one (1-based), once it started.
    #[getter]
    fn attempt(&self) -> Option<u32> {
        self.read(|s| s.attempt).flatten()
    }

    fn __repr__(&self) -> String {
        self.read(|s| {
            format!(
                "StepStatus(name={}, state={}, started_at={}, ended_at={}, error={})",
                py_str(&s.name),
                py_str(s.state.as_str()),
                py_float(s.started_at),
                py_float(s.ended_at),
                s.error
                    .as_deref()
                    .map(py_str)
                    .unwrap_or_else(|| "None".into())
            )
        })
        .unwrap_or_else(|| format!("StepStatus(name={})", py_str(&self.name)))
    }
}

/// Text quoted the way Python's `repr` quotes it (single quotes).
fn py_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `None` or the number, as Python prints them.
fn py_float(value: Option<f64>) -> String {
    value
        .map(|v| v.to_string())
        .unwrap_or_else(|| "None".into())
}
