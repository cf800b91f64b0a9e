//! `flowtoy plugins`: every provider type, where it comes from, its version
//! and what it does (SPEC R18, R21).

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
        eprintln!("warning: {warning}");
    }
    print!("{}", table(&registry));
    Ok(OK)
}

/// The listing: one row per provider type, columns aligned.
fn table(registry: &ProviderRegistry) -> String {
    let header = ["TYPE", "VERSION", "ORIGIN", "DESCRIPTION"].map(String::from);
    let rows: Vec<[String; 4]> = std::iter::once(header)
        .chain(registry.iter().map(|p| {
            [
                p.info.name.clone(),
                p.info.version.clone(),
                p.origin.to_string(),
                p.info.description.clone(),
            ]
        }))
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
