//! The built-in `env` provider as a plugin library (`libflowtoy_plugin_env.so`).

flowtoy_plugin_api::export_providers!(flowtoy_provider_env::EnvProviderType);
