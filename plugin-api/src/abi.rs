//! The stable ABI between flowtoy and provider plugins loaded from shared
//! libraries (SPEC R21).
//!
//! Plugin authors do not use this module directly: they implement
//! [`ProviderType`](crate::ProviderType) and [`Provider`](crate::Provider) and
//! write one [`export_providers!`](crate::export_providers) line. The host
//! (`flowtoy`) loads a library with `abi_stable`, which checks its own version,
//! this crate's version and the layout of every type below, then reads
//! [`PluginModule::api_version`] and refuses a library built for another
//! [`API_VERSION`].
//!
//! What crosses the boundary:
//! - the root module [`PluginModule`] (a prefix type: fields may only ever be
//!   appended, after the `last_prefix_field`);
//! - provider types and providers as `#[sabi_trait]` objects
//!   ([`FfiProviderTypeBox`], [`FfiProviderBox`]);
//! - every value (configuration, payload, result) as JSON text;
//! - errors as [`FfiError`], which says whether the plugin panicked;
//! - cancellation as an [`FfiCancelBox`] the plugin may ask at any time;
//! - output chunks and log lines from the plugin to the host through
//!   [`HostHooks`], handed to the library through one more symbol
//!   ([`HOOKS_SYMBOL`]) so that no type plugins built before had changes
//!   (see `hooks.rs` for why).
//!
//! Every entry point on the plugin side runs inside `catch_unwind`: a panic
//! becomes an [`FfiError`] with `panicked: true`, never a process abort.
#![allow(non_local_definitions)] // the `#[sabi_trait]` expansions define impls inside consts

mod executor;
mod guest;
mod hooks;
mod host;

pub use executor::{
    executor_types_layout, export_executor_types, ExecutorTypesFn, ExecutorTypesList, FfiExecutor,
    FfiExecutorBox, FfiExecutorType, FfiExecutorTypeBox, FfiExecutorType_TO, FfiExecutor_TO,
    FfiJobReport, FfiJobReportBox, FfiJobReport_TO, ForeignExecutorType, EXECUTOR_LAYOUT_SYMBOL,
    EXECUTOR_TYPES_SYMBOL,
};
pub use guest::{export_types, plugin_module, root_module_loader};
pub use hooks::{
    accept_host_hooks, host_hooks, host_hooks_layout, AcceptHooks, HostHooks, HostHooksRef,
    HOOKS_SYMBOL,
};
pub use host::ForeignProviderType;

/// `abi_stable` itself, re-exported so that the host and the export macro use
/// the very version this crate was built with.
pub use abi_stable;

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, RResult, RStr, RString, RVec};
use abi_stable::{declare_root_module_statics, package_version_strings, sabi_trait, StableAbi};

/// The plugin API version this crate speaks.
///
/// It changes only when the meaning of the interface changes in a way a
/// layout check cannot see. A host loads a library only when the library's
/// `api_version` equals its own; additions that keep old plugins working
/// (appended root-module fields, appended trait methods with defaults) do not
/// change it.
pub const API_VERSION: u32 = 1;

/// An error crossing the boundary: a message, and whether it came from a panic.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// True when the plugin panicked (the host reports "provider 'x' panicked").
    pub panicked: bool,
    /// What went wrong.
    pub message: RString,
}

impl FfiError {
    /// An ordinary error (bad configuration, malformed JSON, ...).
    pub fn error(message: impl Into<String>) -> Self {
        FfiError {
            panicked: false,
            message: RString::from(message.into()),
        }
    }

    /// The error for a caught panic.
    pub fn panic(message: impl Into<String>) -> Self {
        FfiError {
            panicked: true,
            message: RString::from(message.into()),
        }
    }
}

/// Name, description and version of a provider type, as plain strings.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, PartialEq, Eq)]
pub struct FfiProviderInfo {
    /// The type name used in a source's `type:`.
    pub name: RString,
    /// One line saying what it does.
    pub description: RString,
    /// The provider's own version.
    pub version: RString,
}

/// Asks the host whether the run has been cancelled.
#[sabi_trait]
pub trait FfiCancel: Send + Sync {
    /// True once the run has been cancelled (Ctrl-C, SIGTERM, a cancel handle).
    #[sabi(last_prefix_field)]
    fn is_cancelled(&self) -> bool;
}

/// A cancellation probe owned by whoever holds it (safe to keep past the call).
pub type FfiCancelBox = FfiCancel_TO<'static, RBox<()>>;

/// A configured provider, living in the plugin.
#[sabi_trait]
pub trait FfiProvider: Send + Sync {
    /// Runs the provider. `payload` is JSON text, or empty for no payload.
    /// On success the answer is the result as JSON text
    /// (`{status: {success, code, notes}, data, meta}`).
    #[sabi(last_prefix_field)]
    fn call(
        &self,
        payload: RStr<'_>,
        step: RStr<'_>,
        cancel: FfiCancelBox,
    ) -> RResult<RString, FfiError>;
}

/// A provider living in the plugin, owned by the host.
pub type FfiProviderBox = FfiProvider_TO<'static, RBox<()>>;

/// A provider type (factory), living in the plugin.
#[sabi_trait]
pub trait FfiProviderType: Send + Sync {
    /// Name, description and version.
    fn info(&self) -> RResult<FfiProviderInfo, FfiError>;
    /// Builds a provider from its configuration, given as JSON text.
    #[sabi(last_prefix_field)]
    fn create(&self, configuration: RStr<'_>) -> RResult<FfiProviderBox, FfiError>;
}

/// A provider type living in the plugin, owned by the host.
pub type FfiProviderTypeBox = FfiProviderType_TO<'static, RBox<()>>;

/// The root module every flowtoy plugin library exports.
///
/// This is a prefix type: later versions may only append fields after
/// `provider_types`. Beware: abi_stable 0.11's layout check refuses a
/// library whose root module has FEWER fields than the host's, so an
/// appended field would make every library built before it unloadable.
/// Executor types (SPEC R34) are therefore exported beside the root
/// module, under [`EXECUTOR_TYPES_SYMBOL`], not in it.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(option))]
pub struct PluginModule {
    /// The [`API_VERSION`] the library was built for.
    pub api_version: u32,
    /// The provider types the library offers.
    #[sabi(last_prefix_field)]
    pub provider_types: extern "C" fn() -> RResult<RVec<FfiProviderTypeBox>, FfiError>,
}

impl RootModule for PluginModuleRef {
    declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "flowtoy_plugin";
    const NAME: &'static str = "flowtoy plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The text of a panic payload.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
