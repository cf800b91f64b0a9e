//! A test-only plugin library that talks back to the host while it runs, so
//! the host's handling of plugin logs and output can be shown on a real
//! shared library:
//!
//! - `chatty` writes each entry of its payload's `lines` as a log line
//!   (`{level, message}`, level `error`, `warn`, `info`, `debug` or
//!   `trace`), sends each entry of `stdout` as an output chunk, and answers
//!   `{"logged": N}`.

use flowtoy_plugin_api::{
    CallContext, Level, OutputStream, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{json, Value};

/// Logs what its payload says.
pub struct Chatty;

struct ChattyCall;

impl ProviderType for Chatty {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("chatty", "writes log lines (tests only)", "0.0.1")
    }

    fn create(&self, _configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(ChattyCall))
    }
}

fn level(name: &str) -> Level {
    match name {
        "error" => Level::Error,
        "warn" => Level::Warn,
        "debug" => Level::Debug,
        "trace" => Level::Trace,
        _ => Level::Info,
    }
}

impl Provider for ChattyCall {
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        let payload = payload.clone().unwrap_or(Value::Null);
        let lines = payload["lines"].as_array().cloned().unwrap_or_default();
        for line in &lines {
            let message = line["message"].as_str().unwrap_or_default();
            ctx.log(level(line["level"].as_str().unwrap_or("info")), message);
        }
        for chunk in payload["stdout"].as_array().into_iter().flatten() {
            let text = chunk.as_str().unwrap_or_default();
            ctx.output(OutputStream::Stdout, text.as_bytes());
        }
        Ok(ProviderResult::ok(json!({"logged": lines.len()})))
    }
}

flowtoy_plugin_api::export_providers!(Chatty);
