//! Where the history lives (SPEC R31): `$FLOWTOY_STATE_DIR/history.db`,
//! else `$XDG_STATE_HOME/flowtoy/history.db`, else
//! `~/.local/state/flowtoy/history.db`; and whether the environment turns
//! recording off (`FLOWTOY_HISTORY=0`).

use super::HistoryError;
use std::path::PathBuf;

/// The environment variable naming the state directory.
pub const STATE_DIR_VAR: &str = "FLOWTOY_STATE_DIR";

/// The environment variable that turns recording off when `0` (or `false`,
/// `no`, `off`).
pub const HISTORY_VAR: &str = "FLOWTOY_HISTORY";

/// The database's file name in the state directory.
pub const FILE_NAME: &str = "history.db";

/// True when `FLOWTOY_HISTORY` turns recording off.
pub fn disabled_by_env() -> bool {
    std::env::var(HISTORY_VAR).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off"
        )
    })
}

/// A variable's value, when set and not empty.
fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The history database's path (see the module doc). Relative values are
/// taken from the current directory.
pub fn default_path() -> Result<PathBuf, HistoryError> {
    let dir = if let Some(dir) = var(STATE_DIR_VAR) {
        dir
    } else if let Some(state) = var("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        state.join("flowtoy")
    } else if let Some(home) = var("HOME") {
        home.join(".local/state/flowtoy")
    } else {
        return Err(HistoryError::Location(
            "neither FLOWTOY_STATE_DIR, XDG_STATE_HOME nor HOME is set".into(),
        ));
    };
    Ok(std::path::absolute(&dir).unwrap_or(dir).join(FILE_NAME))
}
