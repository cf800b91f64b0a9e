//! JSON values (the engine's) to Python objects and back.
//!
//! A configuration dict, a payload or a provider's result crosses as a
//! `serde_json::Value`: mappings with text keys, lists, text, numbers,
//! booleans and `None`. A few Python values that YAML loaders produce are
//! taken as text (dates and times by `isoformat()`, paths by `os.fspath`);
//! anything else is refused with the place where it stands.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence, PyString, PyTuple,
};
use pyo3::IntoPyObjectExt;
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (a dict that contains itself would
/// otherwise recurse until the stack ends).
const MAX_DEPTH: usize = 512;

/// `value` as a Python object: dicts (in order), lists, `str`, `int`,
/// `float`, `bool` and `None`.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

/// A JSON mapping as a Python dict, in order.
pub fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Value>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, to_py(py, value)?)?;
    }
    Ok(dict)
}

fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        i.into_bound_py_any(py)
    } else if let Some(u) = n.as_u64() {
        u.into_bound_py_any(py)
    } else {
        Ok(PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any())
    }
}

/// Why a Python value could not become JSON, and where it stands.
#[derive(Debug)]
pub struct NotJson {
    /// What is wrong.
    pub message: String,
    /// The keys and indexes from the top down to the value, innermost last.
    pub path: Vec<String>,
}

impl NotJson {
    fn new(message: impl Into<String>) -> Self {
        NotJson {
            message: message.into(),
            path: Vec::new(),
        }
    }

    fn within(mut self, segment: String) -> Self {
        self.path.push(segment);
        self
    }

    /// `flow[0].input: message` (or the message alone at the top).
    pub fn describe(&self, top: &str) -> String {
        let mut place = top.to_string();
        for segment in self.path.iter().rev() {
            place.push_str(segment);
        }
        let place = place.strip_prefix('.').unwrap_or(&place);
        if place.is_empty() {
            self.message.clone()
        } else {
            format!("{place}: {}", self.message)
        }
    }
}

/// `obj` as a JSON value; the error says where the offending value stands.
pub fn from_py_checked(obj: &Bound<'_, PyAny>) -> Result<Value, NotJson> {
    from_py_at(obj, 0)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

fn from_py_at(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, NotJson> {
    if depth > MAX_DEPTH {
        return Err(NotJson::new(format!(
            "nested more than {MAX_DEPTH} levels deep (does it contain itself?)"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(NotJson::new("an integer too large for 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| NotJson::new("a float that is not finite (NaN or infinity)"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_string()));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        return mapping_from_py(dict.iter().map(Ok), depth);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return sequence_from_py(obj, depth);
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let items = mapping.items().map_err(|e| NotJson::new(e.to_string()))?;
        let pairs = items.iter().map(|pair| {
            pair.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()
                .map_err(|e| NotJson::new(e.to_string()))
        });
        return mapping_from_py(pairs, depth);
    }
    if let Ok(text) = text_like(obj) {
        return Ok(Value::String(text));
    }
    if obj.cast::<PySequence>().is_ok() && !obj.hasattr("decode").unwrap_or(false) {
        return sequence_from_py(obj, depth);
    }
    Err(NotJson::new(format!(
        "a value of type {} cannot be used (give mappings, lists, text, numbers, booleans or None)",
        type_name(obj)
    )))
}

/// Dates, times and paths as text; anything else is not text-like.
fn text_like(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = obj.py();
    let datetime = py.import("datetime")?;
    for kind in ["date", "time"] {
        if obj.is_instance(&datetime.getattr(kind)?)? {
            return obj.call_method0("isoformat")?.extract();
        }
    }
    if obj.hasattr("__fspath__")? {
        return py.import("os")?.call_method1("fspath", (obj,))?.extract();
    }
    Err(PyTypeError::new_err("not text-like"))
}

fn sequence_from_py(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, NotJson> {
    let mut items = Vec::new();
    let iter = obj.try_iter().map_err(|e| NotJson::new(e.to_string()))?;
    for (i, item) in iter.enumerate() {
        let item = item.map_err(|e| NotJson::new(e.to_string()).within(format!("[{i}]")))?;
        items.push(from_py_at(&item, depth + 1).map_err(|e| e.within(format!("[{i}]")))?);
    }
    Ok(Value::Array(items))
}

fn mapping_from_py<'py>(
    pairs: impl Iterator<Item = Result<(Bound<'py, PyAny>, Bound<'py, PyAny>), NotJson>>,
    depth: usize,
) -> Result<Value, NotJson> {
    let mut map = Map::new();
    for pair in pairs {
        let (key, value) = pair?;
        let key = key_text(&key)?;
        let value = from_py_at(&value, depth + 1).map_err(|e| e.within(segment(&key)))?;
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

/// A mapping key as text: text as is; numbers and booleans as YAML would
/// write them (`1`, `true`).
fn key_text(key: &Bound<'_, PyAny>) -> Result<String, NotJson> {
    if let Ok(s) = key.cast::<PyString>() {
        return Ok(s.to_string());
    }
    if let Ok(b) = key.cast::<PyBool>() {
        return Ok(if b.is_true() { "true" } else { "false" }.into());
    }
    if key.is_instance_of::<PyInt>() || key.is_instance_of::<PyFloat>() {
        if let Ok(text) = key.str() {
            return Ok(text.to_string());
        }
    }
    Err(NotJson::new(format!(
        "a mapping key must be text, not {}",
        type_name(key)
    )))
}

/// `.name`, or `["odd name"]` for keys that are not identifiers.
fn segment(key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!(".{key}")
    } else {
        format!("[{key:?}]")
    }
}
