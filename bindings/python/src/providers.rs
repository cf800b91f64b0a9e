//! Provider types written in Python (SPEC R33): a class or a callable
//! registered with `flowtoy.register_provider(name, provider)` becomes a
//! provider type usable from YAML like a built-in.
//!
//! - A **class** is built with the step's rendered configuration,
//!   `provider(configuration)`, and its `call(payload)` method is called
//!   (the Python flowtoy's provider shape).
//! - Any other **callable** is called as `provider(configuration, payload)`.
//!
//! Either returns the step's data, or a whole result
//! `{"status": {"success", "code", "notes"}, "data", "meta"}`; an exception
//! fails the step with its message. Calls run on the engine's worker
//! threads, which take the GIL for the call only.

use crate::convert;
use flowtoy::plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use flowtoy::ProviderRegistry;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// Provider types registered from Python, in registration order.
static REGISTERED: Mutex<Vec<Arc<PyProviderType>>> = Mutex::new(Vec::new());

fn registered() -> std::sync::MutexGuard<'static, Vec<Arc<PyProviderType>>> {
    REGISTERED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The built-in provider types plus every type registered from Python
/// (a Python type named like a built-in replaces it).
pub fn registry() -> ProviderRegistry {
    let mut registry = ProviderRegistry::with_builtins();
    for provider in registered().iter() {
        registry.register(Arc::clone(provider) as Arc<dyn ProviderType>);
    }
    registry
}

/// A provider type backed by a Python class or callable.
struct PyProviderType {
    info: ProviderInfo,
    target: Py<PyAny>,
    is_class: bool,
}

impl ProviderType for PyProviderType {
    fn info(&self) -> ProviderInfo {
        self.info.clone()
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        attach(|py| {
            let configuration = convert::to_py(py, configuration).map_err(|e| e.to_string())?;
            let call = if self.is_class {
                let instance = self
                    .target
                    .call1(py, (configuration,))
                    .map_err(|e| exception_message(py, &e))?;
                let method = instance.getattr(py, "call").map_err(|_| {
                    format!(
                        "provider class for '{}' has no call(payload) method",
                        self.info.name
                    )
                })?;
                Call::Method(method)
            } else {
                Call::Function(self.target.clone_ref(py), configuration.unbind())
            };
            Ok(Box::new(PyProvider { call }) as Box<dyn Provider>)
        })
    }
}

/// How one configured provider is called.
enum Call {
    /// `instance.call(payload)`.
    Method(Py<PyAny>),
    /// `function(configuration, payload)`.
    Function(Py<PyAny>, Py<PyAny>),
}

/// A configured Python provider.
struct PyProvider {
    call: Call,
}

impl Provider for PyProvider {
    fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        attach(|py| {
            let payload = match payload {
                Some(value) => convert::to_py(py, value).map_err(|e| e.to_string())?,
                None => py.None().into_bound(py),
            };
            let returned = match &self.call {
                Call::Method(method) => method.call1(py, (payload,)),
                Call::Function(function, configuration) => {
                    function.call1(py, (configuration.clone_ref(py), payload))
                }
            }
            .map_err(|e| exception_message(py, &e))?;
            interpret(returned.bind(py))
        })
    }
}

/// Runs `f` attached to the interpreter, or fails the call when Python is
/// shutting down.
fn attach<R>(f: impl FnOnce(Python<'_>) -> Result<R, String>) -> Result<R, String> {
    Python::try_attach(f)
        .unwrap_or_else(|| Err("the Python interpreter is shutting down".to_string()))
}

/// The message of a raised exception: `str(exc)`, or its type's name when
/// that is empty.
fn exception_message(py: Python<'_>, err: &PyErr) -> String {
    let text = err
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    if text.is_empty() {
        err.get_type(py)
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "exception".into())
    } else {
        text
    }
}

/// A provider's return value as a result: a dict whose `status` is a dict is
/// a whole result (`success` defaults to true); anything else is the data.
fn interpret(returned: &Bound<'_, PyAny>) -> Result<ProviderResult, String> {
    let whole = returned
        .cast::<PyDict>()
        .ok()
        .and_then(|d| d.get_item("status").ok().flatten())
        .is_some_and(|s| s.is_instance_of::<PyDict>());
    let value = convert::from_py_checked(returned)
        .map_err(|e| format!("the provider returned {}", e.describe("result")))?;
    if !whole {
        return Ok(ProviderResult::ok(value));
    }
    let status = value.get("status").cloned().unwrap_or(Value::Null);
    let mut result = ProviderResult::ok(value.get("data").cloned().unwrap_or(Value::Null));
    result.status.success = status
        .get("success")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    result.status.code = status.get("code").and_then(Value::as_i64);
    result.status.notes = match status.get("notes") {
        Some(Value::Array(notes)) => notes
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| n.to_string())
            })
            .collect(),
        Some(Value::String(note)) => vec![note.clone()],
        _ => Vec::new(),
    };
    result.meta = match value.get("meta") {
        Some(Value::Object(meta)) => meta.clone(),
        _ => Map::new(),
    };
    Ok(result)
}

/// Registers `provider` (a class or a callable) as the provider type `name`
/// for every runner made afterwards; replaces a type of the same name.
#[pyfunction]
#[pyo3(signature = (name, provider, *, description=None, version=None))]
pub fn register_provider(
    name: &str,
    provider: &Bound<'_, PyAny>,
    description: Option<String>,
    version: Option<String>,
) -> PyResult<()> {
    if name.trim().is_empty() {
        return Err(PyTypeError::new_err("a provider type needs a name"));
    }
    if !provider.is_callable() {
        return Err(PyTypeError::new_err(format!(
            "provider '{name}' must be a class or a callable, not {}",
            provider.get_type().name()?
        )));
    }
    let description = match description {
        Some(d) => d,
        None => first_doc_line(provider),
    };
    let version = match version {
        Some(v) => v,
        None => provider
            .getattr("__version__")
            .and_then(|v| v.extract::<String>())
            .unwrap_or_else(|_| "0.0.0".into()),
    };
    let entry = Arc::new(PyProviderType {
        info: ProviderInfo::new(name, &description, &version),
        target: provider.clone().unbind(),
        is_class: provider.is_instance_of::<PyType>(),
    });
    let mut types = registered();
    types.retain(|t| t.info.name != name);
    types.push(entry);
    Ok(())
}

/// Removes the provider type `name` registered from Python; true when there
/// was one.
#[pyfunction]
pub fn unregister_provider(name: &str) -> bool {
    let mut types = registered();
    let before = types.len();
    types.retain(|t| t.info.name != name);
    types.len() != before
}

/// The names of the provider types registered from Python.
#[pyfunction]
pub fn registered_providers() -> Vec<String> {
    registered().iter().map(|t| t.info.name.clone()).collect()
}

/// The first line of `obj`'s docstring, or a stand-in.
fn first_doc_line(obj: &Bound<'_, PyAny>) -> String {
    obj.getattr("__doc__")
        .ok()
        .and_then(|d| d.extract::<String>().ok())
        .and_then(|d| {
            d.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "a provider written in Python".into())
}
