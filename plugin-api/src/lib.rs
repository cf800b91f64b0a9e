//! The provider interface of flowtoy.
//!
//! A *provider type* (`env`, `process`, `rest`, or one of your own) is a factory:
//! given a step's rendered configuration it builds a [`Provider`], which is then
//! called once with the step's payload and answers with a [`ProviderResult`]
//! (SPEC R10).
//!
//! The built-in providers are written against exactly these traits, and so are
//! plugins loaded from shared libraries and providers registered in-process by an
//! embedding program.
//!
//! A plugin library is a `cdylib` crate that implements these traits and ends
//! with one line, [`export_providers!`]`(MyType)`. The macro exports the
//! stable-ABI root module described in [`abi`]: values cross the library
//! boundary as JSON text, every entry point catches panics, and the host
//! checks the `abi_stable` layout and the [`abi::API_VERSION`] before using the
//! library. The author guide is `docs/plugins.md` in the flowtoy repository.
//!
//! ```
//! use flowtoy_plugin_api::{CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType};
//! use serde_json::{json, Value};
//!
//! struct Echo;
//! struct EchoCall { prefix: String }
//!
//! impl ProviderType for Echo {
//!     fn info(&self) -> ProviderInfo {
//!         ProviderInfo::new("echo", "returns the payload", "1.0.0")
//!     }
//!     fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
//!         let prefix = configuration.get("prefix").and_then(Value::as_str).unwrap_or("").to_string();
//!         Ok(Box::new(EchoCall { prefix }))
//!     }
//! }
//!
//! impl Provider for EchoCall {
//!     fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
//!         let text = payload.as_ref().map(|p| p.to_string()).unwrap_or_default();
//!         Ok(ProviderResult::ok(json!(format!("{}{}", self.prefix, text))))
//!     }
//! }
//!
//! let provider = Echo.create(&json!({"prefix": "> "})).unwrap();
//! let result = provider.call(&Some(json!(1)), &CallContext::default()).unwrap();
//! assert_eq!(result.data, json!("> 1"));
//! ```
#![deny(missing_docs)]

pub mod abi;
mod context;
mod executor;
mod export;
mod host;
mod result;

pub use context::CallContext;
pub use executor::{Executor, ExecutorJob, ExecutorType};
pub use host::{CallSink, Level, OutputStream};
pub use result::{ProviderResult, Status};
pub use serde_json;
use serde_json::Value;

/// The payload handed to a provider (SPEC R9): `None` when the step has no input,
/// otherwise a JSON value (a rendered string becomes `Value::String`).
pub type Payload = Option<Value>;

/// Name, description and version of a provider type, as `flowtoy plugins` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// The type name used in a source's `type:` field, e.g. `rest`.
    pub name: String,
    /// One line saying what the provider does.
    pub description: String,
    /// The provider's own version (semver text).
    pub version: String,
}

impl ProviderInfo {
    /// Builds a `ProviderInfo` from its three parts.
    pub fn new(name: &str, description: &str, version: &str) -> Self {
        ProviderInfo {
            name: name.to_string(),
            description: description.to_string(),
            version: version.to_string(),
        }
    }
}

/// A provider type: describes itself and builds a [`Provider`] from a step's
/// rendered configuration. An `Err` is a configuration error of that step.
pub trait ProviderType: Send + Sync {
    /// Name, description and version.
    fn info(&self) -> ProviderInfo;
    /// Builds a provider from the configuration mapping (already rendered, R8).
    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String>;
}

/// A configured provider, ready to be called with a step's payload.
///
/// Calls are synchronous; the host runs them on a blocking thread. A long call
/// should look at [`CallContext::is_cancelled`] now and then and stop early.
pub trait Provider: Send + Sync {
    /// Runs the provider once. `Err` means the call could not be made at all
    /// (bad configuration, missing field); a runtime failure is an `Ok` result
    /// with `success: false` (SPEC R10).
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String>;
}
