//! Running a flow: [`LocalRunner`], its live [`RunStatus`] and [`StepStatus`],
//! the documents readers get of them ([`StatusDocument`] for the status,
//! [`OutputsDocument`] for the outputs), and cancellation (SPEC R13–R16,
//! R19, R23).
//!
//! ```no_run
//! use flowtoy::{config, runner::LocalRunner};
//! let runner = LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?);
//! let status = runner.run()?;
//! for step in &status.steps {
//!     println!("{}: {:?}", step.name, step.state);
//! }
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

mod cancel;
mod condition;
mod details;
mod document;
mod fanout;
mod history;
mod metrics;
mod outputs;
mod scheduler;
mod status;
mod step;
mod tries;

pub use cancel::CancelHandle;
pub use details::{OutputTail, StepDetails, TAIL_BYTES};
pub use document::{
    RunEndedEvent, StatusDocument, StatusReply, StepDocument, StepDocuments, StepEvent,
};
pub use metrics::{ProviderCounts, RunMetrics};
pub use outputs::OutputsDocument;
pub use status::{
    now_secs, ItemCounts, RunEvent, RunOutcome, RunStatus, StatusStore, StepState, StepStatus,
};
pub(crate) use step::panic_message;
pub use step::redact_meta;

use crate::config::{Config, SourceDef, StepDef};
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
    pub flows: Arc<FlowStore>,
    pub status: Arc<StatusStore>,
    pub base: BaseContext,
    pub cancel: CancelHandle,
    /// Calls abandoned at their timeout, still running.
    pub in_flight: tries::CallsInFlight,
    /// Set when a step failed under `fail`: remote jobs are cancelled.
    pub halt: Arc<AtomicBool>,
    /// Each step's input, provider answer and output tail (`details.rs`).
    pub details: details::DetailsStore,
    /// Provider calls, failures and retries (`GET /metrics`).
    pub metrics: RunMetrics,
}

/// Registers the secret values every source the flow names or uses will
/// read (R24), as its provider type's [`SourceExtras`](crate::registry::SourceExtras) declares them.
fn register_source_secrets(config: &Config) {
    let registry = crate::secrets::registry();
    // Named sources reach templates through `sources` even when no step calls them.
    let named = config.sources().values();
    let used = (0..config.flow().len()).filter_map(|i| config.resolved_source(i));
    for source in named.chain(used) {
        if let Some(extras) = config
            .registry()
            .get(&source.type_name)
            .and_then(|p| p.extras.as_ref())
        {
            for value in extras.secret_values(&source.configuration) {
                registry.add(&value);
            }
        }
    }
}

/// The `sources` template context (R8): each named source as its provider
/// type shows it (env sources as their variables' current values), else as
/// its definition.
fn sources_context(config: &Config) -> Value {
    let map = config
        .sources()
        .iter()
        .map(|(name, def)| {
            let shown = config
                .registry()
                .get(&def.type_name)
                .and_then(|p| p.extras.as_ref())
                .and_then(|extras| extras.template_value(&def.configuration));
            (name.clone(), shown.unwrap_or_else(|| def.to_value()))
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
    /// Where the run is recorded, if anywhere (`history.rs`).
    history: crate::history::Recording,
}

impl LocalRunner {
    /// A runner for a validated configuration, with the provider types it
    /// was validated against ([`Config::registry`]).
    pub fn new(config: Config) -> Self {
        register_source_secrets(&config);
        let run_id = (now_secs() * 1000.0) as u64;
        let flows = Arc::new(FlowStore::new());
        let status = Arc::new(StatusStore::new(
            run_id,
            config.flow().iter().map(|s| s.name.clone()),
        ));
        // Steps that run elsewhere say where from the start (R34).
        for i in 0..config.flow().len() {
            if let Some(remote) = config.placement(i).remote() {
                let name = remote.definition.type_name.clone();
                status.update(i, |s| s.executor = Some(name));
            }
        }
        let base = BaseContext::new(Arc::clone(&flows), &sources_context(&config));
        let max_workers = config.runner().max_workers.unwrap_or(DEFAULT_MAX_WORKERS);
        let details = details::DetailsStore::new(config.flow().len());
        let metrics = RunMetrics::new(&config);
        LocalRunner {
            shared: Arc::new(Shared {
                config,
                flows,
                status,
                base,
                cancel: CancelHandle::new(),
                in_flight: Default::default(),
                halt: Arc::new(AtomicBool::new(false)),
                details,
                metrics,
            }),
            max_workers,
            started: AtomicBool::new(false),
            history: Default::default(),
        }
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
        self.shared.config.flow()
    }

    /// The named sources.
    pub fn sources(&self) -> &IndexMap<String, SourceDef> {
        self.shared.config.sources()
    }

    /// The provider registry in use.
    pub fn registry(&self) -> &ProviderRegistry {
        self.shared.config.registry()
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

    /// Provider calls and failures by type, and retries, so far.
    pub fn metrics(&self) -> &RunMetrics {
        &self.shared.metrics
    }

    /// A handle that cancels the run from anywhere.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.shared.cancel.clone()
    }

    /// Runs the flow to its end, blocking the calling thread (inside a tokio
    /// runtime, use [`LocalRunner::run_async`]).
    pub fn run(&self) -> Result<RunStatus, FlowError> {
        self.claim()?;
        let recorder = crate::history::Recorder::start(&self.shared, &self.history)?;
        scheduler::schedule(Arc::clone(&self.shared), self.max_workers);
        if let Some(recorder) = recorder {
            recorder.finish();
        }
        Ok(self.status())
    }

    /// Runs the flow to its end without blocking the caller's tokio runtime
    /// (the workers run on a blocking thread).
    pub async fn run_async(&self) -> Result<RunStatus, FlowError> {
        self.claim()?;
        let recorder = crate::history::Recorder::start(&self.shared, &self.history)?;
        let shared = Arc::clone(&self.shared);
        let max_workers = self.max_workers;
        tokio::task::spawn_blocking(move || scheduler::schedule(shared, max_workers))
            .await
            .map_err(|e| FlowError::Run(format!("the scheduler stopped unexpectedly: {e}")))?;
        if let Some(recorder) = recorder {
            recorder.finish();
        }
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
