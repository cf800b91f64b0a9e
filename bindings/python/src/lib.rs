//! `flowtoy._flowtoy`, the extension module of the `flowtoy` Python
//! package: the seed's Python API (SPEC R33) over the Rust engine. The
//! package's pure-Python modules (`flowtoy.cli`, `flowtoy.config`,
//! `flowtoy.runner`, `flowtoy.runner_api`) are thin layers over it.
//!
//! | file | what |
//! | --- | --- |
//! | `config.rs` | `load_yaml_files`: files → one merged dict |
//! | `runner.rs` | `Runner`: a dict or files → the engine's loader → `LocalRunner`; `run()` without the GIL |
//! | `status.rs` | `RunStatus`, `StepStatus`: live views of the status store |
//! | `server.rs` | `serve`: the status API on its own thread |
//! | `providers.rs` | provider types written in Python |
//! | `logs.rs` | the engine's logs → Python's `logging` (`flowtoy` logger) |
//! | `convert.rs` | JSON values ↔ Python objects |
//! | `errors.rs` | `ConfigError` and the mapping of engine errors |

mod config;
mod convert;
mod errors;
mod logs;
mod providers;
mod runner;
mod server;
mod status;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _flowtoy(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    logs::install();
    logs::refresh_level(py);
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add_class::<runner::Runner>()?;
    m.add_class::<status::PyRunStatus>()?;
    m.add_class::<status::PyStepStatus>()?;
    m.add_class::<server::PyApiServer>()?;
    m.add_function(wrap_pyfunction!(config::load_yaml_files, m)?)?;
    m.add_function(wrap_pyfunction!(server::serve, m)?)?;
    m.add_function(wrap_pyfunction!(providers::register_provider, m)?)?;
    m.add_function(wrap_pyfunction!(providers::unregister_provider, m)?)?;
    m.add_function(wrap_pyfunction!(providers::registered_providers, m)?)?;
    Ok(())
}
