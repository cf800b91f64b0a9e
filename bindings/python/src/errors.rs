//! Engine errors as Python exceptions: a configuration's problems become one
//! [`ConfigError`] (a `ValueError`) listing every problem (SPEC R6, R33); a
//! run that cannot go on becomes a `RuntimeError`.

use flowtoy::error::render_problems;
use flowtoy::{FlowError, Problem};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::path::Path;

pyo3::create_exception!(
    flowtoy,
    ConfigError,
    PyValueError,
    "The flow configuration has problems. The message lists every one of them \
     (missing dependencies in the 'Flow configuration has invalid dependencies:' \
     block); `problems` holds them one by one as dicts with kind, message, file, \
     line and step."
);

/// The name a configuration given as a dict goes by inside the engine; it is
/// left out of messages (the dict has no file).
pub const DICT_NAME: &str = "<config>";

/// `problem` without the stand-in file name (and its line) of a dict
/// configuration.
pub fn clean(mut problem: Problem) -> Problem {
    if problem.file.as_deref() == Some(Path::new(DICT_NAME)) {
        problem.file = None;
        problem.line = None;
    }
    problem
}

/// An engine error as the Python exception to raise.
pub fn flow_error(py: Python<'_>, error: FlowError) -> PyErr {
    match error {
        FlowError::Config(problems) => config_error(py, problems),
        other => PyRuntimeError::new_err(other.to_string()),
    }
}

/// A [`ConfigError`] for `problems` (warnings among them are left out).
pub fn config_error(py: Python<'_>, problems: Vec<Problem>) -> PyErr {
    let problems: Vec<Problem> = problems.into_iter().map(clean).collect();
    let err = ConfigError::new_err(render_problems(&problems));
    if let Ok(list) = problem_dicts(py, &problems) {
        let _ = err.value(py).setattr("problems", list);
    }
    err
}

/// The errors among `problems` as a list of dicts.
fn problem_dicts<'py>(py: Python<'py>, problems: &[Problem]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for p in problems.iter().filter(|p| !p.is_warning()) {
        let d = PyDict::new(py);
        d.set_item("kind", snake_case(&format!("{:?}", p.kind)))?;
        d.set_item("message", &p.message)?;
        d.set_item("file", p.file.as_ref().map(|f| f.display().to_string()))?;
        d.set_item("line", p.line)?;
        d.set_item("step", &p.step)?;
        list.append(d)?;
    }
    Ok(list)
}

/// `MissingDependency` → `missing_dependency`.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
