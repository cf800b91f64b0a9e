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

/// How often a waiting call looks at the cancellation flag.
const CANCEL_CHECK: std::time::Duration = std::time::Duration::from_millis(25);

impl Provider for RestProvider {
    /// Sends the request on its own thread and waits for it, so that a
    /// cancelled run (Ctrl-C, SIGTERM) does not wait for a stalled server: the
    /// call returns at once and the request is dropped with the process (or
    /// ends at its own `timeout`).
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let config = self.config.clone();
        let payload = payload.clone();
        std::thread::spawn(move || {
            let _ = tx.send(config.send(&payload));
        });
        loop {
            match rx.recv_timeout(CANCEL_CHECK) {
                Ok(result) => return Ok(result),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if ctx.is_cancelled() => {
                    return Ok(ProviderResult::failed("cancelled"));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("rest: the request thread ended without a result".into());
                }
            }
        }
    }
}
