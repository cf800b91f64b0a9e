//! A test-only library with an `abi_stable` root module of its own, laid out
//! differently from flowtoy's: a host must refuse it with a layout mismatch,
//! naming the file. It stands for a library from another abi_stable project,
//! or one built against an incompatible `flowtoy-plugin-api`.

use abi_stable::library::RootModule;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::{
    declare_root_module_statics, export_root_module, package_version_strings, StableAbi,
};

/// Not flowtoy's root module: one function returning a number.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = OtherModuleRef)))]
#[sabi(missing_field(option))]
pub struct OtherModule {
    /// Says 42.
    #[sabi(last_prefix_field)]
    pub answer: extern "C" fn() -> u32,
}

impl RootModule for OtherModuleRef {
    declare_root_module_statics! {OtherModuleRef}
    const BASE_NAME: &'static str = "other";
    const NAME: &'static str = "other";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

extern "C" fn answer() -> u32 {
    42
}

/// The root module.
#[export_root_module]
pub fn other_module() -> OtherModuleRef {
    OtherModule { answer }.leak_into_prefix()
}
