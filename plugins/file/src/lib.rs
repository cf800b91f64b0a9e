//! The `file` provider plugin: read, write and glob JSON, YAML, CSV and text
//! files, offline. See this crate's README for the configuration.
//!
//! Built as a shared library (`libflowtoy_plugin_file.so`) and loaded by
//! flowtoy from a plugin directory (`--plugin-dir`, `FLOWTOY_PLUGIN_PATH`,
//! `plugins.dirs`).

mod config;
mod format;

use config::{Action, FileConfig, Format};
use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

/// The `file` provider type.
pub struct FileProviderType;

/// A `file` provider with its checked configuration.
pub struct FileProvider {
    config: FileConfig,
}

impl ProviderType for FileProviderType {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "file",
            "reads, writes and globs JSON, YAML, CSV and text files",
            env!("CARGO_PKG_VERSION"),
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(FileProvider {
            config: FileConfig::parse(configuration)?,
        }))
    }
}

impl Provider for FileProvider {
    fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        match self.config.action {
            Action::Read => self.read(payload),
            Action::Write => self.write(payload),
            Action::Glob => self.glob(payload),
        }
    }
}

impl FileProvider {
    /// The configured path or pattern, else a string payload.
    fn target(&self, payload: &Payload, what: &str) -> Result<String, String> {
        match (&self.config.target, payload) {
            (Some(t), _) => Ok(t.clone()),
            (None, Some(Value::String(s))) => Ok(s.clone()),
            _ => Err(format!(
                "file: give the {what} in the configuration or as a string input"
            )),
        }
    }

    fn format_of(&self, path: &Path) -> Format {
        self.config
            .format
            .unwrap_or_else(|| Format::from_extension(path))
    }

    fn read(&self, payload: &Payload) -> Result<ProviderResult, String> {
        let path = self.target(payload, "path")?;
        let format = self.format_of(Path::new(&path));
        let content = match std::fs::read_to_string(&path) {
            Ok(c) => c,
            Err(e) => return Ok(ProviderResult::failed(format!("cannot read '{path}': {e}"))),
        };
        let data = match format::decode(&content, format, self.config.csv_header) {
            Ok(d) => d,
            Err(e) => return Ok(ProviderResult::failed(format!("'{path}' is {e}"))),
        };
        Ok(ProviderResult::ok(data)
            .with_meta("path", json!(path))
            .with_meta("format", json!(format.name()))
            .with_meta("bytes", json!(content.len())))
    }

    fn write(&self, payload: &Payload) -> Result<ProviderResult, String> {
        let path = self.target(payload, "path")?;
        let format = self.format_of(Path::new(&path));
        let data = payload.clone().unwrap_or(Value::Null);
        let text = match format::encode(&data, format, self.config.csv_header) {
            Ok(t) => t,
            Err(e) => {
                return Ok(ProviderResult::failed(format!(
                    "cannot write '{path}': {e}"
                )))
            }
        };
        if let Err(e) = self.write_text(Path::new(&path), &text) {
            return Ok(ProviderResult::failed(format!(
                "cannot write '{path}': {e}"
            )));
        }
        Ok(
            ProviderResult::ok(json!({"path": path, "bytes": text.len()}))
                .with_meta("format", json!(format.name())),
        )
    }

    fn write_text(&self, path: &Path, text: &str) -> std::io::Result<()> {
        if self.config.create_dirs {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(self.config.append)
            .truncate(!self.config.append)
            .open(path)?;
        file.write_all(text.as_bytes())
    }

    fn glob(&self, payload: &Payload) -> Result<ProviderResult, String> {
        let pattern = self.target(payload, "pattern")?;
        let paths =
            glob::glob(&pattern).map_err(|e| format!("file: bad glob pattern '{pattern}': {e}"))?;
        let mut found = Vec::new();
        for entry in paths {
            match entry {
                Ok(p) => found.push(p.to_string_lossy().into_owned()),
                Err(e) => {
                    return Ok(ProviderResult::failed(format!(
                        "cannot list '{pattern}': {e}"
                    )))
                }
            }
        }
        found.sort();
        let count = found.len();
        Ok(ProviderResult::ok(json!(found))
            .with_meta("pattern", json!(pattern))
            .with_meta("count", json!(count)))
    }
}

flowtoy_plugin_api::export_providers!(FileProviderType);

#[cfg(test)]
mod tests {
    use super::*;

    fn call(configuration: Value, payload: Payload) -> ProviderResult {
        FileProviderType
            .create(&configuration)
            .unwrap()
            .call(&payload, &CallContext::default())
            .unwrap()
    }

    #[test]
    fn writes_then_reads_and_globs_each_format() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_string_lossy().into_owned();
        let rows = json!([{"id": "1", "name": "ada"}, {"id": "2", "name": "alan"}]);
        for ext in ["json", "yaml", "csv"] {
            let path = format!("{base}/out/rows.{ext}");
            let w = call(json!({"action": "write", "path": path}), Some(rows.clone()));
            assert!(w.status.success, "{:?}", w.status);
            let r = call(json!({"action": "read"}), Some(json!(path)));
            assert_eq!(r.data, rows, "{ext}");
            assert_eq!(r.meta["format"], json!(ext));
        }
        let g = call(
            json!({"action": "glob", "pattern": format!("{base}/out/*.y*ml")}),
            None,
        );
        assert_eq!(g.data, json!([format!("{base}/out/rows.yaml")]));
    }

    #[test]
    fn appends_text_and_reports_missing_files_as_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.txt").to_string_lossy().into_owned();
        for line in ["a\n", "b\n"] {
            call(
                json!({"action": "write", "path": path, "append": true}),
                Some(json!(line)),
            );
        }
        assert_eq!(
            call(json!({"action": "read", "path": path}), None).data,
            json!("a\nb\n")
        );
        let missing = call(
            json!({"action": "read", "path": format!("{path}.nope")}),
            None,
        );
        assert!(!missing.status.success);
        assert!(
            missing.status.notes[0].starts_with("cannot read"),
            "{:?}",
            missing.status
        );
    }
}
