//! `flowtoy man-page [DIR]` (hidden): the man pages, made by `clap_mangen`
//! from the same definitions that parse the command line, so they cannot
//! say something the parser does not. `doc/` in the repository holds their
//! output (`flowtoy man-page doc`), and a test keeps it current.

use crate::cli::{Cli, ManPageArgs};
use crate::error::{CliError, CliResult, OK};
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// Runs `flowtoy man-page`: with DIR, writes `flowtoy.1` and one page per
/// command (`flowtoy-run.1`, ...) there; without, prints `flowtoy.1`.
pub fn run(args: ManPageArgs) -> CliResult {
    match &args.dir {
        Some(dir) => write_pages(dir).map_err(|e| {
            CliError::Io(format!(
                "cannot write the man pages to {}: {e}",
                dir.display()
            ))
        })?,
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .and_then(|()| std::io::stdout().write_all(&page))
                .map_err(|e| CliError::Io(format!("cannot write the man page: {e}")))?;
        }
    }
    Ok(OK)
}

/// Writes every page into `dir` (made if missing).
fn write_pages(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)
}
