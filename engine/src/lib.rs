//! # flowtoy
//!
//! Run data flows described in YAML: named *sources* (provider configurations)
//! and *steps* that call them with inputs rendered from Jinja templates, keep
//! outputs picked with JMESPath, and run in parallel as their dependencies allow.
//!
//! The data path reads straight through:
//! files → [`config::load_yaml_files`] → [`config::Config`] (validated, templates
//! compiled) → [`runner::LocalRunner`] → for each ready step: resolve source →
//! render input and configuration → [`flowtoy_plugin_api::Provider::call`] on a
//! blocking thread → extract outputs → update [`flows::FlowStore`] and
//! [`runner::StatusStore`] → notify watchers.
//!
//! ```no_run
//! let (flows, status) = flowtoy::run_flow(&["examples/quickstart.yaml"])?;
//! println!("{} steps, outputs: {:?}", status.steps.len(), flows);
//! # Ok::<(), flowtoy::FlowError>(())
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod error;
pub mod flows;
pub mod graph;
pub mod input;
pub mod output;
pub mod plugins;
pub mod registry;
pub mod runner;
pub mod template;

pub use error::{FlowError, Problem};
pub use flows::Flows;
pub use flowtoy_plugin_api as plugin_api;
pub use registry::ProviderRegistry;
pub use runner::{LocalRunner, RunStatus, StepStatus};

use std::path::Path;

/// Loads `paths`, runs the flow to its end, and returns its outputs and status.
pub fn run_flow<P: AsRef<Path>>(paths: &[P]) -> Result<(Flows, RunStatus), FlowError> {
    let runner = LocalRunner::new(config::load_yaml_files(paths)?)?;
    let status = runner.run()?;
    Ok((runner.flows(), status))
}
