//! The built-in provider types (`env`, `process`, `rest`, SPEC R11), the
//! built-in `slurm` executor (R35), and what
//! the engine needs to know about them beyond creating and calling them:
//! which values an `env` source makes secret (R24) and how it shows in the
//! template `sources` context (R8). The runner asks for these through
//! [`SourceExtras`] and knows no concrete provider.

use crate::registry::{ProviderOrigin, ProviderRegistry, SourceExtras};
use crate::secrets::is_secret_name;
use serde_json::Value;
use std::sync::Arc;

impl ProviderRegistry {
    /// A registry holding the built-in `env`, `process` and `rest` providers.
    pub fn with_builtins() -> Self {
        let mut r = Self::empty();
        r.add_with_extras(
            Arc::new(flowtoy_provider_env::EnvProviderType),
            ProviderOrigin::BuiltIn,
            Some(Arc::new(EnvExtras)),
        );
        r.add(
            Arc::new(flowtoy_provider_process::ProcessProviderType),
            ProviderOrigin::BuiltIn,
        );
        r.add(
            Arc::new(flowtoy_provider_rest::RestProviderType),
            ProviderOrigin::BuiltIn,
        );
        r.add_executor(
            Arc::new(crate::executor::slurm::SlurmExecutorType),
            ProviderOrigin::BuiltIn,
        );
        r
    }
}

/// An `env` source: its variables' values in templates; the values of
/// secret-named variables and of those listed under `secrets` are secret.
#[derive(Debug)]
struct EnvExtras;

impl SourceExtras for EnvExtras {
    fn secret_values(&self, configuration: &Value) -> Vec<String> {
        let listed = flowtoy_provider_env::configured_vars(configuration).unwrap_or_default();
        let declared: Vec<&str> = match configuration.get("secrets") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        listed
            .iter()
            .map(String::as_str)
            .filter(|name| is_secret_name(name))
            .chain(declared)
            .filter_map(|name| std::env::var(name).ok())
            .collect()
    }

    fn template_value(&self, configuration: &Value) -> Option<Value> {
        let vars = flowtoy_provider_env::configured_vars(configuration).unwrap_or_default();
        Some(Value::Object(flowtoy_provider_env::read_vars(&vars)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_sources_read_their_variables_and_name_their_secrets() {
        std::env::set_var("FLOWTOY_BUILTINS_TEST_TOKEN", "tok-123");
        std::env::set_var("FLOWTOY_BUILTINS_TEST_PLAIN", "plain");
        std::env::set_var("FLOWTOY_BUILTINS_TEST_LISTED", "listed");
        let config = json!({
            "vars": ["FLOWTOY_BUILTINS_TEST_TOKEN", "FLOWTOY_BUILTINS_TEST_PLAIN"],
            "secrets": ["FLOWTOY_BUILTINS_TEST_LISTED"],
        });
        let mut secrets = EnvExtras.secret_values(&config);
        secrets.sort();
        assert_eq!(secrets, ["listed", "tok-123"]);
        assert_eq!(
            EnvExtras.template_value(&config),
            Some(
                json!({"FLOWTOY_BUILTINS_TEST_TOKEN": "tok-123", "FLOWTOY_BUILTINS_TEST_PLAIN": "plain"})
            )
        );
    }
}
