//! `flowtoy plugins`: every provider type, where it comes from, its version
//! and what it does (SPEC R18, R21).

use super::load;
use crate::cli::PluginsArgs;
use crate::exit;
use flowtoy::ProviderRegistry;

/// Runs `flowtoy plugins`; returns the exit code. Libraries that could not be
/// loaded are reported on stderr (with their path and the reason).
pub fn run(args: PluginsArgs) -> i32 {
    let registry = match load::registry(&load::plugin_dirs(&args.plugins, &[]), None) {
        Ok(r) => r,
        Err(e) => return exit::report(&e),
    };
    print!("{}", table(&registry));
    exit::OK
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
