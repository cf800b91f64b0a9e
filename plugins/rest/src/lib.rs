//! The `rest` provider: one HTTP request (SPEC R11).
//!
//! Configuration: `url` (required), `method` (default `GET`), `headers`,
//! `timeout` (seconds, default 30), `input_mode` (`parameter` with
//! `param_name`, default `id`; or `body`), `max_response_bytes` (default 64 MiB).
//! A payload that is a mapping of `url`, `method`, `headers`, `params` and
//! `body` describes the call's request instead ([`RequestParts`]).
//! https uses rustls, so no system OpenSSL is needed.
#![deny(missing_docs)]

mod request;

use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::Value;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::OnceLock;

pub use request::{RequestParts, RestConfig};

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

/// The runtime requests run on: one thread, made at the first call, kept for
/// the process (inside a plugin library, its own).
fn runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("flowtoy-rest")
                .enable_all()
                .build()
                .map_err(|e| format!("rest: cannot start the HTTP runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

impl Provider for RestProvider {
    /// Sends the request and waits for it, looking at the cancellation flag
    /// meanwhile: a cancelled run (Ctrl-C, SIGTERM) or a try past its step's
    /// `timeout` aborts the request at once (its connection is closed).
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        let (tx, rx) = std::sync::mpsc::channel();
        let config = self.config.clone();
        let payload = payload.clone();
        let task = runtime()?.spawn(async move {
            let _ = tx.send(config.send(&payload).await);
        });
        loop {
            match rx.recv_timeout(CANCEL_CHECK) {
                Ok(result) => return Ok(result),
                Err(RecvTimeoutError::Timeout) if ctx.is_cancelled() => {
                    task.abort();
                    return Ok(ProviderResult::failed("cancelled"));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("rest: the request ended without a result".into());
                }
            }
        }
    }
}
