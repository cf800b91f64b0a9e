//! The plugin side of the ABI: wraps a plugin's safe [`ProviderType`]s into
//! FFI objects, catching every panic.

use super::{
    panic_text, FfiCancelBox, FfiError, FfiProvider, FfiProviderBox, FfiProviderInfo,
    FfiProviderType, FfiProviderTypeBox, FfiProviderType_TO, FfiProvider_TO, PluginModule,
    PluginModuleRef,
};
use crate::{CallContext, Provider, ProviderType};
use abi_stable::library::RootModuleResult;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr, RString, RVec};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Once};

thread_local! {
    /// True while this thread runs an entry point called by the host.
    static IN_ENTRY_POINT: Cell<bool> = const { Cell::new(false) };
    /// Where the last panic caught in an entry point happened.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once) a panic hook that keeps quiet about panics the entry points
/// catch (the host reports them, with their location) and hands every other
/// panic to the hook that was there before.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_ENTRY_POINT.with(Cell::get) {
                let location = info.location().map(|l| l.to_string());
                PANIC_LOCATION.with(|p| *p.borrow_mut() = location);
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning an `Err` into an error value and a panic into a panic value.
pub(super) fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> RResult<T, FfiError> {
    install_panic_hook();
    let outer = IN_ENTRY_POINT.with(|e| e.replace(true));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    IN_ENTRY_POINT.with(|e| e.set(outer));
    match outcome {
        Ok(Ok(value)) => RResult::ROk(value),
        Ok(Err(message)) => RResult::RErr(FfiError::error(message)),
        Err(payload) => {
            let mut message = panic_text(&*payload);
            if let Some(location) = PANIC_LOCATION.with(|p| p.borrow_mut().take()) {
                message.push_str(&format!(" (at {location})"));
            }
            RResult::RErr(FfiError::panic(message))
        }
    }
}

/// A plugin's provider type, seen through the ABI.
struct ExportedType(Box<dyn ProviderType>);

/// A plugin's configured provider, seen through the ABI.
struct ExportedProvider(Box<dyn Provider>);

impl FfiProviderType for ExportedType {
    fn info(&self) -> RResult<FfiProviderInfo, FfiError> {
        guarded(|| {
            let info = self.0.info();
            Ok(FfiProviderInfo {
                name: info.name.into(),
                description: info.description.into(),
                version: info.version.into(),
            })
        })
    }

    fn create(&self, configuration: RStr<'_>) -> RResult<FfiProviderBox, FfiError> {
        guarded(|| {
            let configuration: Value = serde_json::from_str(configuration.as_str())
                .map_err(|e| format!("the host sent a configuration that is not JSON: {e}"))?;
            let provider = self.0.create(&configuration)?;
            Ok(FfiProvider_TO::from_value(
                ExportedProvider(provider),
                TD_Opaque,
            ))
        })
    }
}

impl FfiProvider for ExportedProvider {
    fn call(
        &self,
        payload: RStr<'_>,
        step: RStr<'_>,
        cancel: FfiCancelBox,
    ) -> RResult<RString, FfiError> {
        guarded(|| {
            let payload = match payload.as_str() {
                "" => None,
                text => Some(
                    serde_json::from_str::<Value>(text)
                        .map_err(|e| format!("the host sent a payload that is not JSON: {e}"))?,
                ),
            };
            let ctx = super::hooks::guest_context(CallContext::with_cancel_check(
                step.as_str(),
                Arc::new(move || cancel.is_cancelled()),
            ));
            let result = self.0.call(&payload, &ctx)?;
            Ok(RString::from(result.to_json().to_string()))
        })
    }
}

/// Wraps the provider types made by `make` for the host; used by
/// [`export_providers!`](crate::export_providers).
pub fn export_types(
    make: impl FnOnce() -> Vec<Box<dyn ProviderType>>,
) -> RResult<RVec<FfiProviderTypeBox>, FfiError> {
    guarded(|| {
        Ok(make()
            .into_iter()
            .map(|t| FfiProviderType_TO::from_value(ExportedType(t), TD_Opaque))
            .collect())
    })
}

/// Builds the root module of a plugin library declaring `api_version`.
pub fn plugin_module(
    api_version: u32,
    provider_types: extern "C" fn() -> RResult<RVec<FfiProviderTypeBox>, FfiError>,
) -> PluginModuleRef {
    PluginModule {
        api_version,
        provider_types,
    }
    .leak_into_prefix()
}

/// What the exported loader function of a plugin library returns: the root
/// module built by `build`, with a panic turned into an error.
pub fn root_module_loader(build: fn() -> PluginModuleRef) -> RootModuleResult {
    abi_stable::library::__call_root_module_loader(build)
}
