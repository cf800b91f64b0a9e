//! Running a flow: [`LocalRunner`], its live [`RunStatus`] and [`StepStatus`],
//! the documents readers get of them ([`StatusDocument`] for the status,
//! [`OutputsDocument`] for the outputs), and cancellation (SPEC R13–R16,
//! R19, R23).
//!
//! ```no_run
//! use flowtoy::{config, runner::LocalRunner};
//! let runner = LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?)?;
//! let status = runner.run()?;
//! for step in &status.steps {
//!     println!("{}: {:?}", step.name, step.state);
//! }
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

mod cancel;
mod document;
mod outputs;
mod scheduler;
mod status;
mod step;

pub use cancel::CancelHandle;
pub use document::{
    RunEndedEvent, StatusDocument, StatusReply, StepDocument, StepDocuments, StepEvent,
};
pub use outputs::OutputsDocument;
pub use status::{now_secs, RunEvent, RunOutcome, RunStatus, StatusStore, StepState, StepStatus};
pub use step::redact_meta;

use crate::config::{Config, OnError, SourceDef, StepDef};
use crate::error::FlowError;
use crate::flows::{FlowStore, Flows};
use crate::registry::ProviderRegistry;
use crate::template::BaseContext;
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Default number of steps running at once (SPEC R13).
pub const DEFAULT_MAX_WORKERS: usize = 4;

/// What the scheduler and step tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub registry: Arc<ProviderRegistry>,
    pub flows: Arc<FlowStore>,
    pub status: Arc<StatusStore>,
    pub base: BaseContext,
    pub cancel: CancelHandle,
}

impl Shared {
    /// A step's own failure policy (R4: step, else runner, else `fail`).
    pub fn policy(&self, index: usize) -> OnError {
        self.config.flow[index]
            .on_error
            .or(self.config.runner.on_error)
            .unwrap_or(OnError::Fail)
    }
}

/// Registers the secret values of every `env` source the flow uses (R24):
/// variables whose names look secret, and those listed under
/// `configuration.secrets`.
fn register_env_secrets(config: &Config) {
    let registry = crate::secrets::registry();
    // Named sources reach templates through `sources` even when no step calls them.
    let named = config.sources.values();
    let used = config.compiled.resolved.iter().map(|s| s.as_ref());
    for source in named.chain(used).filter(|s| s.type_name == "env") {
        let listed =
            flowtoy_provider_env::configured_vars(&source.configuration).unwrap_or_default();
        let declared: Vec<&str> = match source.configuration.get("secrets") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for name in listed
            .iter()
            .map(String::as_str)
            .chain(declared.iter().copied())
        {
            if crate::secrets::is_secret_name(name) || declared.contains(&name) {
                if let Ok(value) = std::env::var(name) {
                    registry.add(&value);
                }
            }
        }
    }
}

/// The `sources` template context (R8): env sources as their variables'
/// current values, other sources as their definitions.
fn sources_context(config: &Config) -> Value {
    let map = config
        .sources
        .iter()
        .map(|(name, def)| {
            let value = if def.type_name == "env" {
                let vars =
                    flowtoy_provider_env::configured_vars(&def.configuration).unwrap_or_default();
                Value::Object(flowtoy_provider_env::read_vars(&vars))
            } else {
                def.to_value()
            };
            (name.clone(), value)
        })
        .collect();
    Value::Object(map)
}

/// Runs one flow, once. Status and outputs can be read from other threads
/// while it runs.
#[derive(Debug)]
pub struct LocalRunner {
    shared: Arc<Shared>,
    max_workers: usize,
    started: AtomicBool,
}

impl LocalRunner {
    /// A runner with the built-in providers and the plugins of the
    /// configuration's `plugins.dirs`.
    pub fn new(config: Config) -> Result<Self, FlowError> {
        let mut registry = ProviderRegistry::with_builtins();
        crate::plugins::load_dirs_listed(
            &mut registry,
            &config.plugins.dirs,
            Some(&config.plugins),
        )?;
        Self::with_registry(config, registry)
    }

    /// A runner using exactly `registry` (add in-process providers to it with
    /// [`ProviderRegistry::register`]). Provider types are checked here.
    pub fn with_registry(config: Config, registry: ProviderRegistry) -> Result<Self, FlowError> {
        let problems: Vec<_> = config
            .flow
            .iter()
            .enumerate()
            .filter_map(|(i, step)| {
                let type_name = &config.resolved_source(i).type_name;
                (!registry.knows(type_name))
                    .then(|| step.problem(registry.unknown_type_message(type_name)))
            })
            .collect();
        if !problems.is_empty() {
            return Err(FlowError::Config(problems));
        }
        register_env_secrets(&config);
        let run_id = (now_secs() * 1000.0) as u64;

        let flows = Arc::new(FlowStore::new());
        let status = Arc::new(StatusStore::new(
            run_id,
            config.flow.iter().map(|s| s.name.clone()),
        ));
        let base = BaseContext::new(Arc::clone(&flows), &sources_context(&config));
        let max_workers = config.runner.max_workers.unwrap_or(DEFAULT_MAX_WORKERS);
        Ok(LocalRunner {
            shared: Arc::new(Shared {
                config,
                registry: Arc::new(registry),
                flows,
                status,
                base,
                cancel: CancelHandle::new(),
            }),
            max_workers,
            started: AtomicBool::new(false),
        })
    }

    /// Overrides `runner.max_workers` (the CLI's `--max-workers`).
    pub fn set_max_workers(&mut self, max_workers: usize) {
        self.max_workers = max_workers.max(1);
    }

    /// The number of steps that may run at once.
    pub fn max_workers(&self) -> usize {
        self.max_workers
    }

    /// The configuration being run.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// The steps, in file order.
    pub fn steps(&self) -> &[StepDef] {
        &self.shared.config.flow
    }

    /// The named sources.
    pub fn sources(&self) -> &IndexMap<String, SourceDef> {
        &self.shared.config.sources
    }

    /// The provider registry in use.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.shared.registry
    }

    /// A copy of the outputs of the steps that have succeeded so far.
    pub fn flows(&self) -> Flows {
        self.shared.flows.snapshot()
    }

    /// The live outputs store (shared, not copied).
    pub fn flow_store(&self) -> Arc<FlowStore> {
        Arc::clone(&self.shared.flows)
    }

    /// A consistent snapshot of the run's status.
    pub fn status(&self) -> RunStatus {
        self.shared.status.snapshot()
    }

    /// The live status store.
    pub fn status_store(&self) -> Arc<StatusStore> {
        Arc::clone(&self.shared.status)
    }

    /// Receives every step state change and the run's end from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.shared.status.subscribe()
    }

    /// A handle that cancels the run from anywhere.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.shared.cancel.clone()
    }

    /// Runs the flow to its end, blocking the calling thread (inside a tokio
    /// runtime, use [`LocalRunner::run_async`]).
    pub fn run(&self) -> Result<RunStatus, FlowError> {
        self.claim()?;
        scheduler::schedule(Arc::clone(&self.shared), self.max_workers);
        Ok(self.status())
    }

    /// Runs the flow to its end without blocking the caller's tokio runtime
    /// (the workers run on a blocking thread).
    pub async fn run_async(&self) -> Result<RunStatus, FlowError> {
        self.claim()?;
        let shared = Arc::clone(&self.shared);
        let max_workers = self.max_workers;
        tokio::task::spawn_blocking(move || scheduler::schedule(shared, max_workers))
            .await
            .map_err(|e| FlowError::Run(format!("the scheduler stopped unexpectedly: {e}")))?;
        Ok(self.status())
    }

    /// A runner runs once.
    fn claim(&self) -> Result<(), FlowError> {
        if self.started.swap(true, Ordering::SeqCst) {
            return Err(FlowError::Run(
                "this runner has already run; make a new one".into(),
            ));
        }
        Ok(())
    }
}
