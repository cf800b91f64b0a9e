//! The `process` provider: runs a program (SPEC R11).
//!
//! Configuration keys: `command` (list or string), `shell`, `pass_to`
//! (`arg` | `stdin` | `template`), `timeout` (seconds), `cwd`, `env`,
//! `max_output_bytes`, and the log redaction keys `redact_args`,
//! `redact_patterns`, `log_full_command`.
#![deny(missing_docs)]

mod command;
mod redact;
mod result;
mod spawn;

use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::Value;

pub use command::{CommandLine, PassTo, ProcessConfig};
pub use redact::display_command;
pub use result::{exit_failure, fail, program_result, text_or_json, truncated_note};

/// The `process` provider type.
pub struct ProcessProviderType;

/// A `process` provider with its parsed configuration.
pub struct ProcessProvider {
    config: ProcessConfig,
}

impl ProviderType for ProcessProviderType {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("process", "runs a program", env!("CARGO_PKG_VERSION"))
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(ProcessProvider {
            config: ProcessConfig::parse(configuration)?,
        }))
    }
}

impl Provider for ProcessProvider {
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        let line = self.config.command_line(payload)?;
        tracing::info!(
            step = ctx.step(),
            "running {}",
            display_command(&line.argv, &self.config.redaction)
        );
        Ok(spawn::run(&line, &self.config, ctx))
    }
}
