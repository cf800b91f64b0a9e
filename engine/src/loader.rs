//! Loading a flow, for every caller: the CLI's commands, [`run_flow`](crate::run_flow),
//! [`config::load_yaml_files`](crate::config::load_yaml_files) and embedding
//! programs. One function reads and merges the files, loads the provider
//! plugins of every plugin directory, and validates everything against the
//! resulting provider types, so a flow gives the same problems wherever it
//! is loaded.
//!
//! Plugin directories are taken in this order: those given to the loader
//! (the CLI's `--plugin-dir`, in the order given), then `FLOWTOY_PLUGIN_PATH`
//! (a `:`-separated list; empty entries ignored), then the configuration's
//! `plugins.dirs` (relative to the file that names them). A directory or a
//! library met a second time (same canonical path) is loaded once. Order
//! matters only for messages: two libraries that provide one type are an
//! error wherever they come from, and a plugin type named like a built-in
//! replaces it (with a warning). Directories and libraries other users can
//! write to are refused unless [`Loader::allow_insecure_plugins`] says
//! otherwise (see [`crate::plugins::permissions`]).
//!
//! ```no_run
//! use flowtoy::loader::Loader;
//! let config = Loader::new().plugin_dir("target/release").load(&["flow.yaml"])?;
//! for warning in config.warnings() {
//!     eprintln!("warning: {warning}");
//! }
//! let status = flowtoy::LocalRunner::new(config).run()?;
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

use crate::config::{Config, PluginsConfig, RawConfig};
use crate::error::{FlowError, Problem};
use crate::plugins::InsecurePlugins;
use crate::registry::ProviderRegistry;
use flowtoy_plugin_api::ProviderType;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The environment variable listing plugin directories, `:`-separated.
pub const PLUGIN_PATH_VAR: &str = "FLOWTOY_PLUGIN_PATH";

/// Loads flows: the provider types to start from, and where to find plugins.
#[derive(Debug, Clone)]
pub struct Loader {
    registry: ProviderRegistry,
    plugin_dirs: Vec<PathBuf>,
    plugin_path_var: bool,
    insecure_plugins: InsecurePlugins,
}

impl Default for Loader {
    fn default() -> Self {
        Loader::new()
    }
}

impl Loader {
    /// The built-in providers; plugins from `FLOWTOY_PLUGIN_PATH` and the
    /// configuration's `plugins.dirs`.
    pub fn new() -> Self {
        Loader::with_registry(ProviderRegistry::with_builtins())
    }

    /// Starts from `registry` (e.g. with in-process providers registered)
    /// instead of the built-ins alone.
    pub fn with_registry(registry: ProviderRegistry) -> Self {
        Loader {
            registry,
            plugin_dirs: Vec::new(),
            plugin_path_var: true,
            insecure_plugins: InsecurePlugins::Refuse,
        }
    }

    /// Adds a plugin directory, taken before `FLOWTOY_PLUGIN_PATH` and
    /// `plugins.dirs` (the CLI's `--plugin-dir`).
    pub fn plugin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plugin_dirs.push(dir.into());
        self
    }

    /// Adds plugin directories, in order (see [`Loader::plugin_dir`]).
    pub fn plugin_dirs(mut self, dirs: impl IntoIterator<Item = impl Into<PathBuf>>) -> Self {
        self.plugin_dirs.extend(dirs.into_iter().map(Into::into));
        self
    }

    /// Registers a provider type in-process (no shared library).
    pub fn register(mut self, provider: Arc<dyn ProviderType>) -> Self {
        self.registry.register(provider);
        self
    }

    /// Ignores `FLOWTOY_PLUGIN_PATH` (for programs that choose their plugin
    /// directories themselves).
    pub fn without_plugin_path_var(mut self) -> Self {
        self.plugin_path_var = false;
        self
    }

    /// With `true`, loads plugin directories and libraries that other users
    /// can write to, with a warning, instead of refusing them (the CLI's
    /// `--allow-insecure-plugins`; see [`crate::plugins::permissions`]).
    pub fn allow_insecure_plugins(mut self, allow: bool) -> Self {
        self.insecure_plugins = if allow {
            InsecurePlugins::Allow
        } else {
            InsecurePlugins::Refuse
        };
        self
    }

    /// Reads, merges (later files win) and validates `paths`, loading every
    /// plugin directory first. Every problem is reported at once.
    pub fn load<P: AsRef<Path>>(self, paths: &[P]) -> Result<Config, FlowError> {
        self.compile(RawConfig::load(paths)?)
    }

    /// Loads YAML text as if it were the file `name` (not read from disk).
    pub fn load_str(self, name: &str, text: &str) -> Result<Config, FlowError> {
        self.compile(RawConfig::from_text(name, text)?)
    }

    /// Loads the plugin directories of the loader, `FLOWTOY_PLUGIN_PATH` and
    /// `raw`'s `plugins.dirs`, then validates `raw` against the provider
    /// types found. Problems with plugin directories are reported together
    /// with the configuration's own.
    pub fn compile(self, raw: RawConfig) -> Result<Config, FlowError> {
        let (registry, problems) = self.load_plugins(Some(raw.plugins()));
        let config = raw.compile(registry, problems);
        crate::memory::release_freed();
        config
    }

    /// The provider types with the plugins of the loader's directories and
    /// `FLOWTOY_PLUGIN_PATH` (no configuration: for listing them).
    pub fn registry(self) -> Result<ProviderRegistry, FlowError> {
        match self.load_plugins(None) {
            (registry, problems) if problems.is_empty() => Ok(registry),
            (_, problems) => Err(FlowError::Config(problems)),
        }
    }

    /// Loads every plugin directory, in the documented order, into the
    /// loader's registry; returns it with the problems met.
    fn load_plugins(self, plugins: Option<&PluginsConfig>) -> (ProviderRegistry, Vec<Problem>) {
        let mut dirs = self.plugin_dirs;
        if self.plugin_path_var {
            if let Some(path) = std::env::var_os(PLUGIN_PATH_VAR) {
                dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
            }
        }
        dirs.extend(plugins.iter().flat_map(|p| p.dirs.iter().cloned()));
        let mut registry = self.registry;
        let problems =
            crate::plugins::load_dirs_listed(&mut registry, &dirs, plugins, self.insecure_plugins);
        (registry, problems)
    }
}
