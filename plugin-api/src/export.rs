//! The export macro: the one line a plugin library adds.

/// Exports provider types from a plugin library (a crate built with
/// `crate-type = ["cdylib"]`).
///
/// Give it one or more expressions whose types implement
/// [`ProviderType`](crate::ProviderType):
///
/// ```ignore
/// flowtoy_plugin_api::export_providers!(MyProviderType, OtherType::default());
/// ```
///
/// It defines the library's root module, declaring the
/// [`API_VERSION`](crate::abi::API_VERSION) of the `flowtoy-plugin-api` it was
/// compiled with. Every call from the host into the library is wrapped so
/// that a panic comes back as an error value, never as a process abort.
/// Use it once per library, and only in a `cdylib` crate: the root module is
/// a fixed, unmangled symbol.
#[macro_export]
macro_rules! export_providers {
    ($($provider_type:expr),+ $(,)?) => {
        $crate::export_providers_for_api!($crate::abi::API_VERSION; $($provider_type),+);
    };
}

/// Like [`export_providers!`], declaring an explicit API version. Only for
/// testing how hosts treat libraries built for another API version.
#[doc(hidden)]
#[macro_export]
macro_rules! export_providers_for_api {
    ($api_version:expr; $($provider_type:expr),+ $(,)?) => {
        $crate::__export_provider_types!($($provider_type),+);
        $crate::__export_root_module!($api_version);
    };
}

/// The provider types entry point both export macros define.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_provider_types {
    ($($provider_type:expr),*) => {
        #[doc(hidden)]
        extern "C" fn __flowtoy_provider_types() -> $crate::abi::abi_stable::std_types::RResult<
            $crate::abi::abi_stable::std_types::RVec<$crate::abi::FfiProviderTypeBox>,
            $crate::abi::FfiError,
        > {
            $crate::abi::export_types(|| {
                ::std::vec![$(
                    ::std::boxed::Box::new($provider_type)
                        as ::std::boxed::Box<dyn $crate::ProviderType>
                ),*]
            })
        }
    };
}

/// What every plugin library exports, whichever macro it uses: the root
/// module (declaring `$api_version`, handing out `__flowtoy_provider_types`),
/// the entry point taking the host's hooks, and the library header.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_root_module {
    ($api_version:expr) => {
        #[doc(hidden)]
        fn __flowtoy_root_module() -> $crate::abi::PluginModuleRef {
            $crate::abi::plugin_module($api_version, __flowtoy_provider_types)
        }

        #[doc(hidden)]
        extern "C" fn __flowtoy_root_module_loader(
        ) -> $crate::abi::abi_stable::library::RootModuleResult {
            $crate::abi::root_module_loader(__flowtoy_root_module)
        }

        /// Takes the host's hooks (output chunks, log lines:
        /// `flowtoy_plugin_api::abi::HOOKS_SYMBOL`).
        #[doc(hidden)]
        #[no_mangle]
        pub extern "C" fn flowtoy_plugin_accept_host_hooks(
            hooks: $crate::abi::HostHooksRef,
            layout: &'static $crate::abi::abi_stable::type_layout::TypeLayout,
        ) -> bool {
            $crate::abi::accept_host_hooks(hooks, layout)
        }

        /// The library header `abi_stable` looks for (the name is
        /// `abi_stable::library::ROOT_MODULE_LOADER_NAME`).
        #[doc(hidden)]
        #[no_mangle]
        #[allow(non_upper_case_globals)]
        pub static _1as_0lib_1header_0root_bmodule_bloader:
            $crate::abi::abi_stable::library::LibHeader = unsafe {
            $crate::abi::abi_stable::library::LibHeader::from_constructor::<
                $crate::abi::PluginModuleRef,
            >(
                __flowtoy_root_module_loader,
                $crate::abi::abi_stable::library::CheckTypeLayout::Yes,
            )
        };
    };
}

/// Exports provider types and executor types (SPEC R34) from a plugin
/// library; like [`export_providers!`], once per `cdylib` crate.
///
/// ```ignore
/// flowtoy_plugin_api::export_plugin! {
///     providers: [MyProviderType],
///     executors: [MyExecutorType],
/// }
/// ```
///
/// Either list may be empty. The root module is the one
/// [`export_providers!`] exports, so hosts built before executors existed
/// load such a library and see its provider types only; the executor types
/// are exported beside it (`flowtoy_executor_types_v1`, with the layout of
/// what it hands over in `flowtoy_executor_layout_v1`).
#[macro_export]
macro_rules! export_plugin {
    (providers: [$($provider_type:expr),* $(,)?], executors: [$($executor_type:expr),* $(,)?] $(,)?) => {
        $crate::__export_provider_types!($($provider_type),*);

        #[doc(hidden)]
        extern "C" fn __flowtoy_executor_types() -> $crate::abi::abi_stable::std_types::RResult<
            $crate::abi::abi_stable::std_types::RVec<$crate::abi::FfiExecutorTypeBox>,
            $crate::abi::FfiError,
        > {
            $crate::abi::export_executor_types(|| {
                ::std::vec![$(
                    ::std::boxed::Box::new($executor_type)
                        as ::std::boxed::Box<dyn $crate::ExecutorType>
                ),*]
            })
        }

        /// The executor entry point hosts look for beside the root module.
        #[doc(hidden)]
        #[no_mangle]
        pub extern "C" fn flowtoy_executor_types_v1() -> $crate::abi::ExecutorTypesList {
            __flowtoy_executor_types()
        }

        /// The layout of what the executor entry point hands over.
        #[doc(hidden)]
        #[no_mangle]
        pub extern "C" fn flowtoy_executor_layout_v1(
        ) -> &'static $crate::abi::abi_stable::type_layout::TypeLayout {
            $crate::abi::executor_types_layout()
        }

        $crate::__export_root_module!($crate::abi::API_VERSION);
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_hooks_symbol_is_the_one_the_macro_defines() {
        assert_eq!(
            crate::abi::HOOKS_SYMBOL,
            b"flowtoy_plugin_accept_host_hooks\0"
        );
    }

    #[test]
    fn the_exported_symbol_is_the_one_abi_stable_looks_for() {
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }
}
