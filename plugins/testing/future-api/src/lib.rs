//! A test-only plugin library built "for a newer flowtoy": it declares plugin
//! API version `API_VERSION + 1`, so a host must refuse it with a message that
//! names the file.

use flowtoy_plugin_api::abi::API_VERSION;
use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{json, Value};

/// A provider type only this library offers.
pub struct FromTheFuture;

impl ProviderType for FromTheFuture {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "from_the_future",
            "needs a newer flowtoy (tests only)",
            "9.0.0",
        )
    }

    fn create(&self, _configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(FromTheFuture))
    }
}

impl Provider for FromTheFuture {
    fn call(&self, _payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        Ok(ProviderResult::ok(json!("this should never run")))
    }
}

flowtoy_plugin_api::export_providers_for_api!(API_VERSION + 1; FromTheFuture);
