//! The built-in `rest` provider as a plugin library (`libflowtoy_plugin_rest.so`).

flowtoy_plugin_api::export_providers!(flowtoy_provider_rest::RestProviderType);
