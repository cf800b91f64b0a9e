//! The `rest` provider: one HTTP request (SPEC R11).
//!
//! Configuration: `url` (required), `method` (default `GET`), `headers`,
//! `timeout` (seconds, default 30), `input_mode` (`parameter` with
//! `param_name`, default `id`; or `body`), `max_response_bytes` (default 64 MiB).
//! https uses rustls, so no system OpenSSL is needed.
#![deny(missing_docs)]

mod request;

use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::Value;

pub use request::RestConfig;

/// The `rest` provider type.
pub struct RestProviderType;

/// A `rest` provider with its parsed configuration.
pub struct RestProvider {
    config: RestConfig,
}

impl ProviderType for RestProviderType {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("rest", "makes one HTTP request", env!("CARGO_PKG_VERSION"))
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(RestProvider {
            config: RestConfig::parse(configuration)?,
        }))
    }
}

impl Provider for RestProvider {
    fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        Ok(self.config.send(payload))
    }
}
