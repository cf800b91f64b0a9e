//! Loading a flow for a command: merge the files, load plugins from every
//! plugin directory, validate everything at once.

use crate::cli::PluginArgs;
use flowtoy::config::{Config, Draft, PluginsConfig};
use flowtoy::{FlowError, ProviderRegistry};
use std::path::{Path, PathBuf};

/// Plugin directories from `--plugin-dir`, then `FLOWTOY_PLUGIN_PATH`, then the
/// configuration's `plugins.dirs`.
pub fn plugin_dirs(args: &PluginArgs, config_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = args.plugin_dirs.clone();
    if let Some(path) = std::env::var_os("FLOWTOY_PLUGIN_PATH") {
        dirs.extend(std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty()));
    }
    dirs.extend(config_dirs.iter().cloned());
    dirs
}

/// The built-ins plus every plugin found in `dirs`; problems with a
/// directory of `plugins` point at the YAML file that listed it.
pub fn registry(
    dirs: &[PathBuf],
    plugins: Option<&PluginsConfig>,
) -> Result<ProviderRegistry, FlowError> {
    let mut registry = ProviderRegistry::with_builtins();
    flowtoy::plugins::load_dirs_listed(&mut registry, dirs, plugins)?;
    for warning in &registry.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(registry)
}

/// Loads, merges and validates `configs`; warnings go to stderr.
pub fn load(
    configs: &[impl AsRef<Path>],
    plugins: &PluginArgs,
) -> Result<(Config, ProviderRegistry), FlowError> {
    let draft = Draft::load(configs)?;
    // Warnings first: an unknown key is often the reason for an error below.
    for warning in &draft.config.warnings {
        eprintln!("warning: {warning}");
    }
    let dirs = plugin_dirs(plugins, &draft.config.plugins.dirs);
    let registry = match registry(&dirs, Some(&draft.config.plugins)) {
        Ok(registry) => registry,
        Err(FlowError::Config(mut problems)) => {
            // Report the configuration's own problems together with the plugins'.
            if let Err(FlowError::Config(more)) = draft.validate(None) {
                problems.extend(more);
            }
            return Err(FlowError::Config(problems));
        }
        Err(e) => return Err(e),
    };
    let config = draft.validate(Some(&registry))?;
    Ok((config, registry))
}
