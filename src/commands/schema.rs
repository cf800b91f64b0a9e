//! `flowtoy schema`: the JSON Schema of flow files (SPEC R36), made by the
//! engine ([`flowtoy::schema::flow_schema`]); `schema/flowtoy.schema.json`
//! in the repository is this output.

use crate::error::{CliError, CliResult, OK};
use std::io::Write;

/// The schema as printed: pretty JSON and a final newline.
pub fn text() -> String {
    format!("{:#}\n", flowtoy::schema::flow_schema())
}

/// Runs `flowtoy schema`.
pub fn run() -> CliResult {
    std::io::stdout()
        .write_all(text().as_bytes())
        .map_err(|e| CliError::Io(format!("cannot write the schema: {e}")))?;
    Ok(OK)
}
