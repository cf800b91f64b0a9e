//! Resuming a recorded run (SPEC R32): which steps keep their recorded
//! outputs and which run again.
//!
//! A step is reused when, in the recorded run, it succeeded with the same
//! definition hash ([`step_hashes`](super::step_hashes): its own
//! definition, its resolved source and, transitively, everything it depends
//! on), every step it depends on succeeded there too (so nothing it read
//! can come out differently now), and its outputs held no secret value
//! (those were written masked, so the step runs again to have them). Every
//! other step runs: failed, skipped, not finished, new, changed, or
//! downstream of a step that did not succeed.

use super::{HistoryError, HistoryStore, RunId, RunRecord};
use crate::config::Config;
use crate::error::FlowError;
use crate::flows::StepOutputs;
use crate::loader::Loader;
use crate::runner::{LocalRunner, StepState};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A step whose recorded outputs are taken instead of running it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReusedStep {
    /// The step's name.
    pub name: String,
    /// Its outputs, as recorded.
    pub outputs: StepOutputs,
    /// The run that computed them (the resumed run, or the run it had
    /// them from when it was itself a resume).
    pub from_run: RunId,
}

/// Why a step runs again on resume.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RerunReason {
    /// The recorded run has no such step.
    New,
    /// It failed or was skipped in the recorded run.
    Ended(StepState),
    /// It did not finish before the recorded run stopped.
    NotFinished,
    /// Its definition, its source, or something it depends on changed.
    Changed,
    /// A step it depends on did not succeed in the recorded run.
    Upstream(String),
    /// Its outputs held secret values, which are never recorded.
    SecretOutputs,
}

impl fmt::Display for RerunReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RerunReason::New => f.write_str("new step"),
            RerunReason::Ended(state) => write!(f, "{}", state.as_str()),
            RerunReason::NotFinished => f.write_str("did not finish"),
            RerunReason::Changed => f.write_str("definition changed"),
            RerunReason::Upstream(step) => write!(f, "depends on '{step}', which runs again"),
            RerunReason::SecretOutputs => f.write_str("its outputs held secret values"),
        }
    }
}

/// What resuming a run does: steps reused, steps run (file order each).
#[derive(Debug, Clone, PartialEq)]
pub struct ResumePlan {
    from: RunId,
    reused: Vec<ReusedStep>,
    rerun: Vec<(String, RerunReason)>,
}

impl ResumePlan {
    /// Compares the recorded run `record` with `config` (the same files
    /// loaded again).
    pub fn new(record: &RunRecord, config: &Config) -> ResumePlan {
        let hashes = super::step_hashes(config);
        let recorded: HashMap<&str, &super::StepRecord> = record
            .steps
            .iter()
            .map(|s| (s.status.name.as_str(), s))
            .collect();
        let steps = config.flow();
        let graph = config.graph();
        // `stands[i]`: the recorded outputs of step i still hold. Computed
        // dependencies first (Kahn's order).
        let mut stands = vec![false; steps.len()];
        let mut reasons: Vec<Option<RerunReason>> = vec![None; steps.len()];
        let mut waiting: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
        let mut ready: Vec<usize> = (0..steps.len()).filter(|&i| waiting[i] == 0).collect();
        while let Some(i) = ready.pop() {
            let reason = match recorded.get(steps[i].name.as_str()) {
                None if record.step_names.contains(&steps[i].name) => {
                    Some(RerunReason::NotFinished)
                }
                None => Some(RerunReason::New),
                Some(step) if step.status.state != StepState::Succeeded => {
                    Some(RerunReason::Ended(step.status.state))
                }
                Some(step)
                    if record.definitions.get(step.position) != Some(&hashes[i])
                        || step.outputs.is_none() =>
                {
                    Some(RerunReason::Changed)
                }
                Some(_) => graph.deps[i]
                    .iter()
                    .find(|(j, _)| !stands[*j])
                    .map(|(j, _)| RerunReason::Upstream(steps[*j].name.clone())),
            };
            stands[i] = reason.is_none();
            reasons[i] = reason;
            for &d in &graph.dependents[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.push(d);
                }
            }
        }
        let mut plan = ResumePlan {
            from: record.summary.id,
            reused: Vec::new(),
            rerun: Vec::new(),
        };
        for (i, step) in steps.iter().enumerate() {
            let old = recorded.get(step.name.as_str());
            match (reasons[i].take(), old) {
                (None, Some(old)) if old.secret => plan
                    .rerun
                    .push((step.name.clone(), RerunReason::SecretOutputs)),
                (None, Some(old)) => plan.reused.push(ReusedStep {
                    name: step.name.clone(),
                    outputs: old.outputs.as_deref().cloned().unwrap_or_default(),
                    from_run: old.reused_from.unwrap_or(record.summary.id),
                }),
                (reason, _) => plan.rerun.push((
                    step.name.clone(),
                    reason.unwrap_or(RerunReason::NotFinished),
                )),
            }
        }
        plan
    }

    /// The run resumed.
    pub fn from_run(&self) -> RunId {
        self.from
    }

    /// The steps whose recorded outputs are taken, in file order.
    pub fn reused(&self) -> &[ReusedStep] {
        &self.reused
    }

    /// The steps that run, with why, in file order.
    pub fn rerun(&self) -> &[(String, RerunReason)] {
        &self.rerun
    }
}

impl LocalRunner {
    /// Prepares this runner to resume the recorded run of `plan`: its
    /// reused steps count as succeeded with their recorded outputs (note:
    /// `reused from run N`) and are never called, and a recording of this
    /// run says which run it resumed. Call before [`LocalRunner::run`].
    pub fn resume_from(&mut self, plan: &ResumePlan) -> Result<(), FlowError> {
        for step in &plan.reused {
            self.reuse(
                &step.name,
                step.outputs.clone(),
                format!("reused from run {}", step.from_run),
            )?;
        }
        let recording = self.recording_mut();
        recording.resumed_from = Some(plan.from);
        recording.reused_from = plan
            .reused
            .iter()
            .map(|s| (s.name.clone(), s.from_run))
            .collect();
        Ok(())
    }
}

/// Loads the configuration files of run `id` of `store` again with
/// `loader` (its plugin directories, its in-process providers), and makes
/// a runner that resumes that run and records into `store`.
pub fn resume(
    store: Arc<dyn HistoryStore>,
    id: RunId,
    loader: Loader,
) -> Result<(LocalRunner, ResumePlan), FlowError> {
    let record = store.run(id)?.ok_or_else(|| {
        FlowError::from(HistoryError::Failed {
            path: store.location(),
            reason: format!("there is no run {id}"),
        })
    })?;
    let files: Vec<PathBuf> = record.summary.files.iter().map(PathBuf::from).collect();
    let config = loader.load(&files)?;
    let plan = ResumePlan::new(&record, &config);
    let mut runner = LocalRunner::new(config);
    runner.resume_from(&plan)?;
    runner.record_into(store);
    Ok((runner, plan))
}
