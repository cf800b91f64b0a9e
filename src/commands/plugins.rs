//! `flowtoy plugins`: every provider type, where it comes from, its version
//! and what it does (SPEC R18, R21); then, under a header of their own, the
//! executor types (R34).

use crate::cli::PluginsArgs;
use crate::error::{CliResult, OK};
use flowtoy::ProviderRegistry;

/// Runs `flowtoy plugins`. Libraries that could not be loaded are reported
/// on stderr (with their path and the reason).
pub fn run(args: PluginsArgs) -> CliResult {
    let registry = flowtoy::loader::Loader::new()
        .plugin_dirs(&args.plugins.plugin_dirs)
        .allow_insecure_plugins(args.plugins.allow_insecure_plugins)
        .registry()?;
    for warning in &registry.warnings {
        note!("warning: {warning}");
    }
    out!("{}", table(&registry));
    Ok(OK)
}

/// The listing: one row per provider type, then one per executor type,
/// columns aligned.
fn table(registry: &ProviderRegistry) -> String {
    let header = ["TYPE", "VERSION", "ORIGIN", "DESCRIPTION"].map(String::from);
    let executors = ["EXECUTOR", "VERSION", "ORIGIN", "DESCRIPTION"].map(String::from);
    let local = [
        "local".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
        "built-in".to_string(),
        "runs steps in this process (the default)".to_string(),
    ];
    let row = |info: &flowtoy::plugin_api::ProviderInfo, origin: String| {
        [
            info.name.clone(),
            info.version.clone(),
            origin,
            info.description.clone(),
        ]
    };
    let rows: Vec<[String; 4]> = std::iter::once(header)
        .chain(registry.iter().map(|p| row(&p.info, p.origin.to_string())))
        .chain([executors, local])
        .chain(
            registry
                .executors()
                .map(|e| row(&e.info, e.origin.to_string())),
        )
        .collect();
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let mut out = String::new();
    for row in &rows {
        for (col, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$}  ", row[col]));
        }
        out.push_str(&row[3]);
        out.push('\n');
    }
    out
}
