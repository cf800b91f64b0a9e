//! Reading YAML files, turning them into JSON values, and merging them (SPEC R1).
//!
//! `serde_yaml` stays behind this file so it can be swapped.

use crate::error::Problem;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One file as read: its path, its value, and the lines where step names stand.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The path as given.
    pub path: PathBuf,
    /// The file's content as a JSON value (an empty file is an empty mapping).
    pub value: Value,
    /// `name: X` → the 1-based lines where it stands, to point problems at steps.
    pub name_lines: HashMap<String, Vec<usize>>,
}

/// Reads and parses one file. Problems name the file (and line for syntax errors).
pub fn read_file(path: &Path) -> Result<LoadedFile, Problem> {
    let at = |msg: String| Problem::new(msg).in_file(Some(path.to_path_buf()));
    if path.is_dir() {
        return Err(at("is a directory, not a YAML file".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| at(read_error(path, &e)))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        at("the file is not valid UTF-8 text".into()).at_line(Some(line))
    })?;
    let value = parse_yaml(&text).map_err(|(msg, line)| at(msg).at_line(line))?;
    let value = match value {
        Value::Null => Value::Object(Map::new()),
        v @ Value::Object(_) => v,
        other => {
            return Err(at(format!(
                "the top level must be a mapping (sources:, flow:, ...), not {}",
                kind_of(&other)
            )))
        }
    };
    Ok(LoadedFile {
        path: path.to_path_buf(),
        value,
        name_lines: name_lines(&text),
    })
}

/// Why a file could not be read, in words that say what to check.
fn read_error(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound if path.is_relative() => match std::env::current_dir() {
            Ok(cwd) => format!(
                "cannot read the file: not found (looked for {}); check the path",
                cwd.join(path).display()
            ),
            Err(_) => "cannot read the file: not found; check the path".into(),
        },
        ErrorKind::NotFound => "cannot read the file: not found; check the path".into(),
        ErrorKind::PermissionDenied => {
            "cannot read the file: permission denied; check its permissions".into()
        }
        _ => format!("cannot read the file: {e}"),
    }
}

/// Parses YAML text into a JSON value; errors carry the line when known.
pub fn parse_yaml(text: &str) -> Result<Value, (String, Option<usize>)> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        (format!("invalid YAML: {e}"), line)
    })?;
    Ok(to_json(yaml))
}

fn to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => to_json(t.value),
    }
}

/// A word for a value's type, for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Lines of `name: X` / `- name: X` entries, in order of appearance.
fn name_lines(text: &str) -> HashMap<String, Vec<usize>> {
    let mut lines = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches('-').trim_start();
        if let Some(rest) = t.strip_prefix("name:") {
            let name = rest.trim().trim_matches(|c| c == '"' || c == '\'');
            if !name.is_empty() {
                lines.entry(name.to_string()).or_insert_with(Vec::new).push(i + 1);
            }
        }
    }
    lines
}

/// Deep merge (SPEC R1): mappings merge recursively, anything else is replaced
/// by the later value.
pub fn deep_merge(base: &mut Value, later: Value) {
    match (base, later) {
        (Value::Object(b), Value::Object(l)) => {
            for (k, v) in l {
                match b.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, l) => *b = l,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_mappings_recursively_and_replace_the_rest() {
        let mut a = json!({"m": {"x": 1, "y": [1, 2]}, "s": "a", "t": {"k": 1}});
        deep_merge(&mut a, json!({"m": {"y": [3], "z": 2}, "s": "b", "t": 5}));
        assert_eq!(
            a,
            json!({"m": {"x": 1, "y": [3], "z": 2}, "s": "b", "t": 5})
        );
    }

    #[test]
    fn yaml_errors_carry_lines() {
        let (msg, line) = parse_yaml("a: 1\nb: [\n").unwrap_err();
        assert!(msg.contains("invalid YAML"));
        assert!(line.is_some());
    }

    #[test]
    fn name_lines_are_found() {
        let l = name_lines("flow:\n  - name: a\n    source: env\n  - name: \"b\"\n");
        assert_eq!(l.get("a"), Some(&vec![2]));
        assert_eq!(l.get("b"), Some(&vec![4]));
    }

    #[test]
    fn non_string_keys_become_text() {
        assert_eq!(
            parse_yaml("1: a\ntrue: b").unwrap(),
            json!({"1": "a", "true": "b"})
        );
    }
}
