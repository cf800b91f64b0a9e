//! Reading YAML files, turning them into JSON values, and merging them (SPEC R1).
//!
//! YAML is read by `yaml.rs` (libyaml events, streamed) and, in the rare
//! corners it leaves, by `serde_yaml`; both stay behind this file.

use super::model::{ModelBuilder, Origins, ReadSteps};
use super::yaml::{self, Lines, Read};
use crate::error::{Problem, ProblemKind};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// One file as read: its path, its value, and where things stand in it.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The path as given.
    pub path: PathBuf,
    /// The file's content as a JSON value (an empty file is an empty mapping).
    /// When `steps` is there, the items of `flow` are nulls here.
    pub value: Value,
    /// The lines of top-level keys, sources and steps, to point problems at them.
    pub lines: Lines,
    /// The items of `flow`, read into steps while the file was parsed.
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
    // Each step is read as soon as its item is parsed; the item's value is
    // dropped at once instead of being kept for the whole file.
    let origins = Origins {
        flow_file: Some(path.to_path_buf()),
        ..Origins::default()
    };
    let mut model = ModelBuilder::new(&origins);
    let mut steps = Vec::new();
    let mut items = 0;
    let mut read_item = |index: usize, item: Value, line: usize| {
        items += 1;
        steps.extend(model.step(index, &item, Some(line)));
        Value::Null
    };
    let (value, lines, streamed) =
        read_yaml(text, Some(&mut read_item)).map_err(|(msg, line)| at(msg).at_line(line))?;
    // No item handed over although `flow` may hold some: `flow: *alias`
    // copies a list written elsewhere; the value holds it whole.
    let steps = (streamed && items > 0).then(|| ReadSteps {
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

/// Deepest nesting of flow collections (`[...]`, `{...}`) accepted before the
/// text is handed to the YAML parser. The parser refuses more than 128 levels
/// of any nesting anyway, but it spends time quadratic in the flow nesting
/// depth before it gets there, so 100,000 `[` would hang it for minutes.
const MAX_FLOW_DEPTH: usize = 256;

/// Parses YAML text into a JSON value; errors carry the line when known.
pub fn parse_yaml(text: &str) -> Result<Value, (String, Option<usize>)> {
    read_yaml(text, None).map(|(value, _, _)| value)
}

/// Parses YAML text into a JSON value and the lines where things stand;
/// `flow_items` receives the items of `flow` as they are parsed (see
/// [`yaml::FlowItems`]). The flag says whether it received all of them: when
/// `serde_yaml` had to decide, the value holds them instead.
fn read_yaml(
    text: &str,
    flow_items: Option<yaml::FlowItems<'_>>,
) -> Result<(Value, Lines, bool), (String, Option<usize>)> {
    if let Some(line) = flow_depth_exceeded(text, MAX_FLOW_DEPTH) {
        return Err((
            format!(
                "invalid YAML: brackets nested more than {MAX_FLOW_DEPTH} levels deep; \
                 flatten the structure"
            ),
            Some(line),
        ));
    }
    // Usually the streaming reader decides alone; in the rare corners it
    // leaves to serde_yaml (and for syntax errors, which serde_yaml words),
    // the text goes through serde_yaml too.
    let lines = match yaml::read_with(text, flow_items) {
        Read::Value(value, lines) => return Ok((value, lines, true)),
        Read::Unusual(lines) => lines,
        Read::Invalid => Lines::default(),
        Read::Refused(message, line) => {
            return Err((format!("invalid YAML: {message}"), Some(line)))
        }
    };
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let message = e.to_string();
        let hint = if message.starts_with("recursion limit exceeded") {
            "; the document is nested too deeply (more than 128 levels)"
        } else if message.starts_with("repetition limit exceeded") {
            "; anchors and aliases (`&a`, `*a`) expand to too many values, \
             as in a \"billion laughs\" document: use fewer aliases"
        } else if line
            .and_then(|l| text.lines().nth(l.saturating_sub(1)))
            .is_some_and(|l| l.trim_start_matches(' ').starts_with('\t'))
        {
            "; YAML does not allow tabs for indentation: use spaces"
        } else {
            ""
        };
        (format!("invalid YAML: {message}{hint}"), line)
    })?;
    let value = to_json(yaml).map_err(|message| (format!("invalid YAML: {message}"), None))?;
    Ok((value, lines, false))
}

/// The 1-based line where the nesting of `[`/`{` outside quotes, comments and
/// block scalars first goes deeper than `limit`, if it does. A rough scan:
/// it may undercount (never overcount by much), which only means the YAML
/// parser sees the text and reports the problem itself.
fn flow_depth_exceeded(text: &str, limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut quote: Option<u8> = None;
    let mut prev = b'\n';
    // Indentation of the line that opened a block scalar (`|` or `>`): lines
    // indented deeper are its text.
    let mut block_indent: Option<usize> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if prev == b'\n' {
            let indent = bytes[i..].iter().take_while(|c| **c == b' ').count();
            let blank = matches!(bytes.get(i + indent), None | Some(b'\n' | b'\r'));
            match block_indent {
                Some(parent) if blank || indent > parent => {
                    // Skip the whole line of block-scalar text.
                    let len = bytes[i..].iter().position(|c| *c == b'\n');
                    i += len.map_or(bytes.len() - i, |n| n + 1);
                    line += 1;
                    continue;
                }
                _ => block_indent = None,
            }
        }
        match quote {
            Some(q) if b == q => quote = None,
            Some(b'"') if b == b'\\' => i += 1,
            Some(_) => {}
            None => match b {
                b'#' if prev.is_ascii_whitespace() => {
                    let len = bytes[i..].iter().position(|c| *c == b'\n');
                    i += len.unwrap_or(bytes.len() - i);
                    continue;
                }
                b'"' | b'\''
                    if prev.is_ascii_whitespace() || (depth > 0 && is_token_start(prev)) =>
                {
                    quote = Some(b)
                }
                b'[' | b'{' if depth > 0 || prev.is_ascii_whitespace() => {
                    depth += 1;
                    if depth > limit {
                        return Some(line);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'|' | b'>' if depth == 0 && is_token_start(prev) => {
                    let rest = &bytes[i + 1..];
                    let end = rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
                    let header = String::from_utf8_lossy(&rest[..end]);
                    let header = header.split(" #").next().unwrap_or("").trim();
                    if header
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    {
                        let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                        let indent = bytes[start..].iter().take_while(|c| **c == b' ').count();
                        block_indent = Some(indent);
                    }
                }
                _ => {}
            },
        }
        if bytes.get(i) == Some(&b'\n') {
            line += 1;
        }
        prev = bytes.get(i).copied().unwrap_or(b);
        i += 1;
    }
    None
}

/// True after a byte that may precede the start of a YAML token.
fn is_token_start(prev: u8) -> bool {
    matches!(
        prev,
        b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':' | b'-' | b'?'
    )
}

/// A YAML value as JSON; keys become text (a list or mapping as a key is
/// refused, as in `yaml.rs`).
fn to_json(v: serde_yaml::Value) -> Result<Value, &'static str> {
    use serde_yaml::Value as Y;
    Ok(match v {
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
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match to_json(k)? {
                        Value::String(s) => s,
                        Value::Array(_) | Value::Object(_) => return Err(yaml::COLLECTION_KEY),
                        other => other.to_string(),
                    };
                    Ok((key, to_json(v)?))
                })
                .collect::<Result<_, _>>()?,
        ),
        Y::Tagged(t) => to_json(t.value)?,
    })
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
        assert!(msg.contains("duplicate entry with key \"name\""), "{msg}");
        assert_eq!(line, Some(2));
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
        assert!(flow_depth_exceeded(&text, 256).is_none());
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
