//! # flowtoy
//!
//! Run data flows described in YAML: named *sources* (provider configurations)
//! and *steps* that call them with inputs rendered from Jinja templates, keep
//! outputs picked with JMESPath, and run in parallel as their dependencies allow.
//!
//! The data path reads straight through, one owner per hop:
//!
//! 1. [`loader::Loader`] — the only way in, for the CLI, [`run_flow`] and
//!    embedders alike: reads and merges the files ([`config::RawConfig`]),
//!    loads the plugin directories into a [`ProviderRegistry`], and validates
//!    everything at once. Problems come back together as
//!    [`FlowError::Config`], each a [`Problem`] with a [`ProblemKind`], file,
//!    line and step.
//! 2. [`config::Config`] — the validated configuration: its model, its
//!    compiled templates and JMESPath expressions ([`query`]), its dependency
//!    graph ([`config::Graph`]) and the registry it was checked against.
//!    Nothing can change it, and it is the only thing a runner accepts.
//! 3. [`runner::LocalRunner`] — schedules ready steps on `max_workers`
//!    threads; for each step: render the input ([`input`]) and the source's
//!    configuration ([`template`]) → [`flowtoy_plugin_api::Provider::call`] →
//!    pick outputs ([`output`]) → [`flows::FlowStore`] and
//!    [`runner::StatusStore`]. A failed step carries a [`StepError`] whose
//!    [`StepErrorKind`] says what failed.
//! 4. Watchers read the status store and its events: the status API and web
//!    UI ([`runner_api`]), the terminal UI ([`tui`]), the CLI's progress line.
//! 5. [`history`] — a runner given a store records its run there as it goes
//!    ([`LocalRunner::record_into`]); [`history::resume`] runs a recorded
//!    run again, reusing what succeeded.
//!
//! A flow given as text, loaded and run in-process:
//!
//! ```
//! use flowtoy::runner::StepState;
//! let yaml = "
//! flow:
//!   - name: greet
//!     source: {type: process, configuration: {command: [echo]}}
//!     input: hello
//!     output: [{name: text}]
//! ";
//! let config = flowtoy::config::load_yaml_str("greet.yaml", yaml)?;
//! let runner = flowtoy::LocalRunner::new(config);
//! let status = runner.run()?;
//! assert_eq!(status.steps[0].state, StepState::Succeeded);
//! assert_eq!(runner.flows()["greet"]["text"], "hello");
//! # Ok::<(), flowtoy::FlowError>(())
//! ```
//!
//! Or from files, in one call:
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
//! let runner = Arc::new(LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?));
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

mod builtins;
pub mod config;
pub mod drawing;
pub mod error;
pub mod executor;
pub mod flows;
pub mod history;
pub mod input;
pub mod loader;
mod memory;
pub mod output;
pub mod plugins;
pub mod query;
pub mod registry;
pub mod runner;
pub mod runner_api;
pub mod schema;
pub mod secrets;

pub mod template;
#[cfg(feature = "tui")]
pub mod tui;

pub use error::{FlowError, Problem, ProblemKind, StepError, StepErrorKind};
pub use flows::Flows;
pub use flowtoy_plugin_api as plugin_api;
pub use loader::Loader;
pub use registry::ProviderRegistry;
pub use runner::{LocalRunner, RunStatus, StepStatus};

use std::path::Path;

/// Loads `paths`, runs the flow to its end, and returns its outputs and status.
pub fn run_flow<P: AsRef<Path>>(paths: &[P]) -> Result<(Flows, RunStatus), FlowError> {
    let runner = LocalRunner::new(config::load_yaml_files(paths)?);
    let status = runner.run()?;
    Ok((runner.flows(), status))
}
