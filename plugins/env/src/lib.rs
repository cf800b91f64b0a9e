//! The `env` provider: reads environment variables (SPEC R11).
//!
//! Configuration: `vars: [NAME, ...]`. Data: `{NAME: value or null}`.
#![deny(missing_docs)]

use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{Map, Value};

/// The `env` provider type.
pub struct EnvProviderType;

/// An `env` provider configured with the variables to read.
pub struct EnvProvider {
    vars: Vec<String>,
}

/// Reads the `vars` list of an `env` configuration.
pub fn configured_vars(configuration: &Value) -> Result<Vec<String>, String> {
    match configuration.get("vars") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "env: every entry of `vars` must be a string, got {other}"
                )),
            })
            .collect(),
        Some(other) => Err(format!("env: `vars` must be a list of names, got {other}")),
    }
}

/// The current values of `vars`, `null` where unset.
pub fn read_vars(vars: &[String]) -> Map<String, Value> {
    vars.iter()
        .map(|name| {
            let value = std::env::var(name)
                .map(Value::String)
                .unwrap_or(Value::Null);
            (name.clone(), value)
        })
        .collect()
}

impl ProviderType for EnvProviderType {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "env",
            "reads environment variables",
            env!("CARGO_PKG_VERSION"),
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(EnvProvider {
            vars: configured_vars(configuration)?,
        }))
    }
}

impl Provider for EnvProvider {
    fn call(&self, _payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        Ok(ProviderResult::ok(Value::Object(read_vars(&self.vars))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_set_and_unset_variables() {
        std::env::set_var("FLOWTOY_ENV_TEST_A", "hello");
        let p = EnvProviderType
            .create(&json!({"vars": ["FLOWTOY_ENV_TEST_A", "FLOWTOY_ENV_TEST_UNSET"]}))
            .unwrap();
        let r = p.call(&None, &CallContext::default()).unwrap();
        assert_eq!(
            r.data,
            json!({"FLOWTOY_ENV_TEST_A": "hello", "FLOWTOY_ENV_TEST_UNSET": null})
        );
    }

    #[test]
    fn rejects_non_list_vars() {
        assert!(EnvProviderType.create(&json!({"vars": "HOME"})).is_err());
    }
}
