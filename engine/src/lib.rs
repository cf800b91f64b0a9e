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
//!
//! To watch a run from elsewhere, share the runner with a status API server
//! ([`runner_api`]): port 0 picks a free port, the handle tells which, and
//! the status is readable while the run goes on.
//!
//! ```no_run
//! use flowtoy::{config, runner::LocalRunner, runner_api::{self, LogCapture}};
//! use std::sync::Arc;
//!
//! let runner = Arc::new(LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?)?);
//! let logs = LogCapture::new(100);
//! let server = runner_api::serve_runner_api_in_thread(
//!     Some(Arc::clone(&runner)), "127.0.0.1", 0, tracing::Level::INFO, Some(logs.clone()),
//! )?;
//! println!("GET {}/status, web UI at {}/", server.url(), server.url());
//! let status = runner.run()?; // or `runner.run_async().await` inside tokio
//! println!("{}/{} steps completed", status.completed_steps(), status.steps.len());
//! logs.records().iter().for_each(|line| println!("{line}"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
pub mod runner_api;
pub mod secrets;

pub mod template;
pub mod tui;

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
