//! Loading a flow for a command, through the engine's [`Loader`]: the
//! `--plugin-dir` directories come first (see the loader for the order);
//! warnings go to stderr.

use crate::cli::PluginArgs;
use flowtoy::config::Config;
use flowtoy::{FlowError, Loader};
use std::path::Path;

/// Loads, merges and validates `configs` with the plugins of `plugins` (and
/// of `FLOWTOY_PLUGIN_PATH` and `plugins.dirs`); warnings go to stderr.
pub fn load(configs: &[impl AsRef<Path>], plugins: &PluginArgs) -> Result<Config, FlowError> {
    let loaded = Loader::new()
        .plugin_dirs(&plugins.plugin_dirs)
        .allow_insecure_plugins(plugins.allow_insecure_plugins)
        .load(configs);
    let warnings: Vec<_> = match &loaded {
        Ok(config) => config.warnings().collect(),
        Err(e) => e.warnings().collect(),
    };
    for warning in warnings {
        note!("warning: {warning}");
    }
    loaded
}
