//! Reading YAML files, turning them into JSON values, and merging them (SPEC R1).
//!
//! YAML is read by `yaml/` (the events of `saphyr-parser`, streamed); it
//! stays behind this file.

use super::builder::{ModelBuilder, Origins, ReadSteps};
use super::yaml::{self, Lines};
use crate::error::{Problem, ProblemKind};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One file as read: its path, its value, and where things stand in it.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The path as given.
    pub path: PathBuf,
    /// The file's content as a JSON value (an empty file is an empty mapping).
    /// The items of `flow` are nulls here: they are in `steps`.
    pub value: Value,
    /// The lines of top-level keys, sources and steps, to point problems at them.
    pub lines: Lines,
    /// The items of `flow`, read into steps while the file was parsed
    /// (`None` when the file has no top-level `flow`).
    pub steps: Option<ReadSteps>,
}

/// Reads and parses one file. Problems name the file (and line for syntax errors).
pub fn read_file(path: &Path) -> Result<LoadedFile, Problem> {
    let at = |msg: String| Problem::new(ProblemKind::Read, msg).in_file(Some(path.to_path_buf()));
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
    from_text(path, &text)
}

/// Parses `text` as the content of the file `path` (which is not read).
pub fn from_text(path: &Path, text: &str) -> Result<LoadedFile, Problem> {
    let at = |msg: String| Problem::new(ProblemKind::Syntax, msg).in_file(Some(path.to_path_buf()));
    // Each step is read as soon as its item is parsed (also the items of
    // `flow: *alias`); the item's value is dropped at once instead of being
    // kept for the whole file.
    let origins = Origins {
        flow_file: Some(path.to_path_buf()),
        ..Origins::default()
    };
    let mut model = ModelBuilder::new(&origins);
    let mut steps = Vec::new();
    let mut read_item = |index: usize, item: Value, line: usize| {
        steps.extend(model.step(index, item, Some(line)));
    };
    let (value, lines) = yaml::read(text, Some(&mut read_item))
        .map_err(|e| at(format!("invalid YAML: {}", e.message)).at_line(e.line))?;
    let steps = value.get("flow").is_some().then(|| ReadSteps {
        steps,
        problems: model.problems,
        warnings: model.warnings,
    });
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
        lines,
        steps,
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
    yaml::read(text, None)
        .map(|(value, _)| value)
        .map_err(|e| (format!("invalid YAML: {}", e.message), e.line))
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
    fn duplicate_keys_are_refused_with_their_line() {
        let (msg, line) = parse_yaml("flow:\n  - name: a\n    name: b\n").unwrap_err();
        assert_eq!(
            msg,
            "invalid YAML: duplicate key `name`: the same mapping has it at line 2 already; \
             write each key once"
        );
        assert_eq!(line, Some(3));
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!("flow: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (msg, line) = parse_yaml(&deep).unwrap_err();
        assert!(msg.contains("nested more than 256 levels"), "{msg}");
        assert_eq!(line, Some(1));
        // Brackets in quotes, comments and block scalars do not count.
        let many = "[".repeat(300);
        let text = format!(
            "a: \"{many}\"\nb: '{many}'\n# {many}\nc: |\n  {many}\n\n  {many}\nd: x{many}\n"
        );
        assert!(parse_yaml(&text).is_ok());
    }

    #[test]
    fn non_string_keys_become_text() {
        assert_eq!(
            parse_yaml("1: a\ntrue: b").unwrap(),
            json!({"1": "a", "true": "b"})
        );
    }
}
