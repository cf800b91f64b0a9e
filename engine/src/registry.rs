//! The provider registry: built-in providers, plugins loaded from libraries,
//! and providers registered in-process by an embedding program (SPEC R21, R23).

use crate::error::Problem;
use crate::executor::RegisteredExecutor;
use flowtoy_plugin_api::{ExecutorType, ProviderInfo, ProviderType};
use indexmap::IndexMap;
use serde_json::Value;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a provider type comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderOrigin {
    /// Compiled into flowtoy.
    BuiltIn,
    /// Loaded from this shared library.
    Library(PathBuf),
    /// Registered by the embedding program.
    InProcess,
}

impl fmt::Display for ProviderOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderOrigin::BuiltIn => f.write_str("built-in"),
            ProviderOrigin::Library(p) => write!(f, "{}", p.display()),
            ProviderOrigin::InProcess => f.write_str("in-process"),
        }
    }
}

/// What the engine may ask of a provider type beyond creating and calling
/// it, for each source of that type the flow names. Built-in types implement
/// it in `builtins.rs`; a type without it shows in the template `sources`
/// context as its definition and declares no secrets.
pub trait SourceExtras: Send + Sync + fmt::Debug {
    /// Secret values a source with `configuration` will read (SPEC R24),
    /// registered before the run so they are masked everywhere.
    fn secret_values(&self, _configuration: &Value) -> Vec<String> {
        Vec::new()
    }

    /// How a source with `configuration` shows in the template `sources`
    /// context (R8); `None` shows its definition.
    fn template_value(&self, _configuration: &Value) -> Option<Value> {
        None
    }
}

/// A provider type with its description and origin.
#[derive(Clone)]
pub struct RegisteredProvider {
    /// The factory.
    pub provider: Arc<dyn ProviderType>,
    /// What the engine may ask of it beyond create and call.
    pub extras: Option<Arc<dyn SourceExtras>>,
    /// Name, description, version (asked once, at registration).
    pub info: ProviderInfo,
    /// Where it comes from.
    pub origin: ProviderOrigin,
}

impl fmt::Debug for RegisteredProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredProvider")
            .field("info", &self.info)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A plugin library that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLibrary {
    /// The library file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// Every provider type a run can use, by name.
#[derive(Debug, Clone, Default)]
pub struct ProviderRegistry {
    types: IndexMap<String, RegisteredProvider>,
    /// Libraries that failed to load; they matter only if a needed type is missing.
    pub broken: Vec<BrokenLibrary>,
    /// Things worth telling the user (a library that did not load, a plugin
    /// replacing a built-in, ...).
    pub warnings: Vec<Problem>,
    /// Executor types (R34) besides `local`, by name.
    executors: IndexMap<String, RegisteredExecutor>,
}

impl ProviderRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Registers a provider type in-process (no shared library); it replaces a
    /// type of the same name.
    pub fn register(&mut self, provider: Arc<dyn ProviderType>) {
        self.add(provider, ProviderOrigin::InProcess);
    }

    /// Adds a provider type with its origin, replacing one of the same name.
    /// Returns the entry it replaced.
    pub fn add(
        &mut self,
        provider: Arc<dyn ProviderType>,
        origin: ProviderOrigin,
    ) -> Option<RegisteredProvider> {
        self.add_with_extras(provider, origin, None)
    }

    /// Adds a provider type with its origin and [`SourceExtras`], replacing
    /// one of the same name. Returns the entry it replaced.
    pub fn add_with_extras(
        &mut self,
        provider: Arc<dyn ProviderType>,
        origin: ProviderOrigin,
        extras: Option<Arc<dyn SourceExtras>>,
    ) -> Option<RegisteredProvider> {
        let info = provider.info();
        let name = info.name.clone();
        self.types.insert(
            name,
            RegisteredProvider {
                provider,
                extras,
                info,
                origin,
            },
        )
    }

    /// The provider type called `name`.
    pub fn get(&self, name: &str) -> Option<&RegisteredProvider> {
        self.types.get(name)
    }

    /// True when `name` is provided.
    pub fn knows(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    /// Every provider type, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &RegisteredProvider> {
        self.types.values()
    }

    /// Adds an executor type (R34) with its origin, replacing one of the
    /// same name. Returns the entry it replaced.
    pub fn add_executor(
        &mut self,
        executor_type: Arc<dyn ExecutorType>,
        origin: ProviderOrigin,
    ) -> Option<RegisteredExecutor> {
        let info = executor_type.info();
        self.executors.insert(
            info.name.clone(),
            RegisteredExecutor {
                executor_type,
                info,
                origin,
            },
        )
    }

    /// Registers an executor type in-process (no shared library).
    pub fn register_executor(&mut self, executor_type: Arc<dyn ExecutorType>) {
        self.add_executor(executor_type, ProviderOrigin::InProcess);
    }

    /// The executor type called `name` (`local` is not registered: it is
    /// this process).
    pub fn executor(&self, name: &str) -> Option<&RegisteredExecutor> {
        self.executors.get(name)
    }

    /// Every executor type besides `local`, in registration order.
    pub fn executors(&self) -> impl Iterator<Item = &RegisteredExecutor> {
        self.executors.values()
    }

    /// The message for an executor type nobody provides.
    pub fn unknown_executor_message(&self, name: &str) -> String {
        let known = std::iter::once(crate::config::ExecutorDef::LOCAL)
            .chain(self.executors.keys().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ");
        let mut msg = format!(
            "executor type '{name}' is not built in and no loaded plugin provides it (known executors: {known}); \
             fix `executor.type`, or add the plugin's directory with --plugin-dir"
        );
        self.name_broken_libraries(&mut msg);
        msg
    }

    /// The message for a type nobody provides, naming broken libraries that
    /// might have provided it.
    pub fn unknown_type_message(&self, name: &str) -> String {
        let known = self
            .types
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        let mut msg = format!(
            "provider type '{name}' is not built in and no loaded plugin provides it (known types: {known}); \
             name a source from `sources`, fix the type, or add the plugin's directory with --plugin-dir"
        );
        self.name_broken_libraries(&mut msg);
        msg
    }

    /// Adds to `msg` the plugin libraries that failed to load: one of them
    /// may have been meant to provide what is missing.
    fn name_broken_libraries(&self, msg: &mut String) {
        for b in &self.broken {
            msg.push_str(&format!(
                "; plugin library {} failed to load: {}",
                b.path.display(),
                b.reason
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_are_there() {
        let r = ProviderRegistry::with_builtins();
        let names: Vec<_> = r.iter().map(|p| p.info.name.as_str()).collect();
        assert_eq!(names, ["env", "process", "rest"]);
        assert!(r.iter().all(|p| p.origin == ProviderOrigin::BuiltIn));
        assert!(r
            .unknown_type_message("nope")
            .contains("known types: env, process, rest"));
    }
}
