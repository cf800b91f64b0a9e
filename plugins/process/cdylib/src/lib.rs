//! The built-in `process` provider as a plugin library (`libflowtoy_plugin_process.so`).

flowtoy_plugin_api::export_providers!(flowtoy_provider_process::ProcessProviderType);
