//! A test-only plugin library exported as plugins were before flowtoy
//! offered output and log hooks and executor types: the root module and its
//! header only, with none of the symbols `export_plugin!` adds beside them
//! (`flowtoy_plugin_accept_host_hooks`, `flowtoy_executor_types_v1`,
//! `flowtoy_executor_layout_v1`). A host must load it and run its provider.

use flowtoy_plugin_api::abi::{self, abi_stable, FfiError, FfiProviderTypeBox, PluginModuleRef};
use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{json, Value};

/// A provider type only this library offers: it answers with its payload.
pub struct Classic;

impl ProviderType for Classic {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("classic", "a plugin of the first API (tests only)", "1.0.0")
    }

    fn create(&self, _configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(Classic))
    }
}

impl Provider for Classic {
    fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        Ok(ProviderResult::ok(json!({"classic": payload.clone()})))
    }
}

extern "C" fn provider_types(
) -> abi_stable::std_types::RResult<abi_stable::std_types::RVec<FfiProviderTypeBox>, FfiError> {
    abi::export_types(|| vec![Box::new(Classic) as Box<dyn ProviderType>])
}

fn root_module() -> PluginModuleRef {
    abi::plugin_module(abi::API_VERSION, provider_types)
}

extern "C" fn root_module_loader() -> abi_stable::library::RootModuleResult {
    abi::root_module_loader(root_module)
}

/// The library header `abi_stable` looks for, and nothing else.
#[no_mangle]
#[allow(non_upper_case_globals)]
pub static _1as_0lib_1header_0root_bmodule_bloader: abi_stable::library::LibHeader =
    // SAFETY: the constructor is this library's root module loader, of the
    // type the header declares, as `export_providers!` does it.
    unsafe {
        abi_stable::library::LibHeader::from_constructor::<PluginModuleRef>(
            root_module_loader,
            abi_stable::library::CheckTypeLayout::Yes,
        )
    };
