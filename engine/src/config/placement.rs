//! Where each step runs (SPEC R34, R35): its own `executor:` or the
//! runner's, checked against the executor types of the registry, each
//! distinct definition created once, and every step asked of its executor
//! (`slurm` runs only `process` steps). Problems are collected with the
//! rest of validation.

use super::control::ExecutorDef;
use super::model::StepDef;
use crate::error::{Problem, ProblemKind};
use crate::executor::{Placement, RemoteExecutor, DEFAULT_REMOTE_CAP};
use crate::registry::ProviderRegistry;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Places the steps of a flow, creating each distinct remote executor once.
#[derive(Default)]
pub struct Placer {
    /// Executors made so far, by their definition's JSON text; `None` for a
    /// definition that failed (reported once).
    made: HashMap<String, Option<Arc<RemoteExecutor>>>,
    /// The remote executors, by lane.
    pub remotes: Vec<Arc<RemoteExecutor>>,
}

impl Placer {
    /// The placement of `step`, whose source has `provider_type`, under the
    /// runner's default `runner`; problems are pushed.
    pub fn place(
        &mut self,
        step: &StepDef,
        provider_type: &str,
        runner: Option<&ExecutorDef>,
        registry: &ProviderRegistry,
        problems: &mut Vec<Problem>,
    ) -> Placement {
        let own = step.control().executor.as_ref();
        let Some(def) = own.or(runner).filter(|d| !d.is_local()) else {
            return Placement::Local;
        };
        let whose = if own.is_some() {
            "executor"
        } else {
            "runner.executor"
        };
        let problem = |message: String| step.problem(message).of_kind(ProblemKind::Executor);
        let key = serde_json::to_string(def).unwrap_or_default();
        let remote = match self.made.get(&key) {
            Some(made) => made.clone(),
            None => {
                let made = self
                    .make(def, registry)
                    .map_err(|e| problems.push(problem(format!("{whose}: {e}"))))
                    .ok();
                self.made.insert(key, made.clone());
                made
            }
        };
        let Some(remote) = remote else {
            return Placement::Local;
        };
        if !provider_type.is_empty() {
            let accepted =
                catch_unwind(AssertUnwindSafe(|| remote.executor.accepts(provider_type)))
                    .unwrap_or_else(
                        |_| Err("the executor panicked while checking the step".into()),
                    );
            if let Err(e) = accepted {
                problems.push(problem(format!(
                    "the '{}' executor ({whose}) cannot run this step: {e}",
                    def.type_name
                )));
            }
        }
        Placement::Remote(remote)
    }

    /// Creates the executor of `def`.
    fn make(
        &mut self,
        def: &ExecutorDef,
        registry: &ProviderRegistry,
    ) -> Result<Arc<RemoteExecutor>, String> {
        let registered = registry
            .executor(&def.type_name)
            .ok_or_else(|| registry.unknown_executor_message(&def.type_name))?;
        let executor = catch_unwind(AssertUnwindSafe(|| {
            registered.executor_type.create(&def.configuration)
        }))
        .unwrap_or_else(|_| Err("the executor panicked while reading its configuration".into()))
        .map_err(|e| {
            format!(
                "the '{}' executor refused its configuration: {e}",
                def.type_name
            )
        })?;
        let cap = executor
            .max_in_flight()
            .unwrap_or(DEFAULT_REMOTE_CAP)
            .max(1);
        let remote = Arc::new(RemoteExecutor {
            definition: def.clone(),
            executor,
            cap,
            lane: self.remotes.len(),
        });
        self.remotes.push(Arc::clone(&remote));
        Ok(remote)
    }
}
