//! The `file` provider's configuration, checked before anything is touched.

use serde_json::Value;
use std::path::Path;

/// What the step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read one file and parse it.
    Read,
    /// Write the payload to one file.
    Write,
    /// List the paths that match a pattern.
    Glob,
}

/// How a file's content maps to data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Any JSON value.
    Json,
    /// Any YAML value (read as JSON data).
    Yaml,
    /// Rows: objects keyed by the header row, or lists with `csv_header: false`.
    Csv,
    /// The text as one string.
    Text,
}

impl Format {
    /// The format named in the configuration; `auto` (or none) picks it from
    /// the file extension.
    fn parse(name: Option<&str>) -> Result<Option<Format>, String> {
        match name {
            None | Some("auto") => Ok(None),
            Some("json") => Ok(Some(Format::Json)),
            Some("yaml") | Some("yml") => Ok(Some(Format::Yaml)),
            Some("csv") => Ok(Some(Format::Csv)),
            Some("text") | Some("txt") => Ok(Some(Format::Text)),
            Some(other) => Err(format!(
                "file: unknown format '{other}'; use auto, json, yaml, csv or text"
            )),
        }
    }

    /// The format of `path` judged by its extension; text when unknown.
    pub fn from_extension(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Format::Json,
            Some("yaml") | Some("yml") => Format::Yaml,
            Some("csv") => Format::Csv,
            _ => Format::Text,
        }
    }

    /// The name used in `meta.format`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
            Format::Csv => "csv",
            Format::Text => "text",
        }
    }
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct FileConfig {
    /// `action`: read, write or glob.
    pub action: Action,
    /// `path` (read, write) or `pattern` (glob); for read and glob it may
    /// instead come from a string payload.
    pub target: Option<String>,
    /// `format`; `None` means judge by extension.
    pub format: Option<Format>,
    /// `csv_header` (default true).
    pub csv_header: bool,
    /// `append` (write, default false).
    pub append: bool,
    /// `create_dirs` (write, default true).
    pub create_dirs: bool,
}

fn flag(configuration: &Value, key: &str, default: bool) -> Result<bool, String> {
    match configuration.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("file: `{key}` must be true or false, not {other}")),
    }
}

fn text<'a>(configuration: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match configuration.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("file: `{key}` must be a string, not {other}")),
    }
}

impl FileConfig {
    /// Checks a step's configuration.
    pub fn parse(configuration: &Value) -> Result<FileConfig, String> {
        if !configuration.is_object() && !configuration.is_null() {
            return Err(format!(
                "file: the configuration must be a mapping, not {configuration}"
            ));
        }
        let action = match text(configuration, "action")? {
            Some("read") => Action::Read,
            Some("write") => Action::Write,
            Some("glob") => Action::Glob,
            Some(other) => {
                return Err(format!(
                    "file: unknown action '{other}'; use read, write or glob"
                ))
            }
            None => return Err("file: `action` is required (read, write or glob)".into()),
        };
        let key = if action == Action::Glob {
            "pattern"
        } else {
            "path"
        };
        let target = text(configuration, key)?.map(str::to_string);
        if action == Action::Write && target.is_none() {
            return Err("file: `path` is required to write".into());
        }
        Ok(FileConfig {
            action,
            target,
            format: Format::parse(text(configuration, "format")?)?,
            csv_header: flag(configuration, "csv_header", true)?,
            append: flag(configuration, "append", false)?,
            create_dirs: flag(configuration, "create_dirs", true)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_action_format_and_flags() {
        let c = FileConfig::parse(&json!({"action": "read", "path": "a.csv"})).unwrap();
        assert_eq!(c.action, Action::Read);
        assert_eq!(c.format, None);
        assert!(c.csv_header);
        let err = FileConfig::parse(&json!({"action": "delete"})).unwrap_err();
        assert!(err.contains("unknown action 'delete'"), "{err}");
        let err = FileConfig::parse(&json!({"action": "write"})).unwrap_err();
        assert!(err.contains("`path` is required"), "{err}");
        let err = FileConfig::parse(&json!({"action": "read", "format": "xml"})).unwrap_err();
        assert!(err.contains("unknown format 'xml'"), "{err}");
        let err = FileConfig::parse(&json!({"action": "write", "path": "x", "append": "yes"}))
            .unwrap_err();
        assert!(err.contains("`append` must be true or false"), "{err}");
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_extension(Path::new("a/b.YML")), Format::Yaml);
        assert_eq!(Format::from_extension(Path::new("rows.csv")), Format::Csv);
        assert_eq!(Format::from_extension(Path::new("notes")), Format::Text);
    }
}
