//! `flowtoy.config.load_yaml_files` (SPEC R1, R33): YAML files read with the
//! engine's reader and merged left to right into one plain dict, without
//! validating it (a `LocalRunner` does that).

use crate::convert;
use crate::errors::ConfigError;
use flowtoy::config::{deep_merge, parse_yaml};
use pyo3::exceptions::{PyFileNotFoundError, PyIsADirectoryError, PyOSError, PyPermissionError};
use pyo3::prelude::*;
use serde_json::{Map, Value};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Why one file could not be used.
enum FileError {
    /// It could not be read.
    Io(std::io::Error, PathBuf),
    /// Its text is not YAML whose top level is a mapping.
    Config(String),
}

impl FileError {
    fn into_py(self) -> PyErr {
        match self {
            FileError::Io(e, path) => {
                let args = (
                    e.raw_os_error().unwrap_or(0),
                    e.to_string(),
                    path.display().to_string(),
                );
                match e.kind() {
                    ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
                    ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
                    ErrorKind::IsADirectory => PyIsADirectoryError::new_err(args),
                    _ => PyOSError::new_err(args),
                }
            }
            FileError::Config(message) => ConfigError::new_err(message),
        }
    }
}

/// Reads one file into a mapping (an empty file is an empty mapping).
fn read(path: &Path) -> Result<Value, FileError> {
    let bytes = std::fs::read(path).map_err(|e| FileError::Io(e, path.to_path_buf()))?;
    let at = |msg: &str, line: Option<usize>| match line {
        Some(line) => FileError::Config(format!("{}:{line}: {msg}", path.display())),
        None => FileError::Config(format!("{}: {msg}", path.display())),
    };
    let text =
        String::from_utf8(bytes).map_err(|_| at("the file is not valid UTF-8 text", None))?;
    match parse_yaml(&text).map_err(|(msg, line)| at(&msg, line))? {
        Value::Null => Ok(Value::Object(Map::new())),
        value @ Value::Object(_) => Ok(value),
        _ => Err(at(
            "the top level must be a mapping (sources:, flow:, ...)",
            None,
        )),
    }
}

/// Loads YAML files and merges them left to right (mappings merge
/// recursively, anything else is replaced by the later file) into a dict.
#[pyfunction]
pub fn load_yaml_files(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Py<PyAny>> {
    let merged = py
        .detach(|| {
            let mut merged = Value::Object(Map::new());
            for path in &paths {
                deep_merge(&mut merged, read(path)?);
            }
            Ok(merged)
        })
        .map_err(FileError::into_py)?;
    Ok(convert::to_py(py, &merged)?.unbind())
}
