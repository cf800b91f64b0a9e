//! What a runner shares with the run history (SPEC R31, R32): recording
//! into a store when given one, and steps whose outputs come from an
//! earlier run instead of their provider.

use super::status::{now_secs, StepState};
use super::LocalRunner;
use crate::error::FlowError;
use crate::flows::StepOutputs;
use crate::history::{HistoryStore, Recording, RunId};
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl LocalRunner {
    /// Records this runner's run into `store` (SPEC R31): the run when it
    /// starts, its steps as they finish, its end. Without a store nothing is
    /// recorded. Call before [`LocalRunner::run`]. A store that fails while
    /// the run goes on is logged as a warning; the run itself goes on.
    pub fn record_into(&mut self, store: Arc<dyn HistoryStore>) {
        self.recording_mut().store = Some(store);
    }

    /// The history store this runner records into, if any (the status API
    /// serves `GET /runs` from it).
    pub fn history(&self) -> Option<&Arc<dyn HistoryStore>> {
        self.history.store.as_ref()
    }

    /// This run's number in the history, once it has started recording.
    pub fn history_id(&self) -> Option<RunId> {
        self.history.id.get().copied()
    }

    pub(crate) fn recording_mut(&mut self) -> &mut Recording {
        &mut self.history
    }

    /// Takes `outputs` as the outputs of step `name` instead of running it:
    /// the step is succeeded before the run starts, with `note` (e.g.
    /// `reused from run 3`), and the scheduler treats it as done. Call
    /// before [`LocalRunner::run`]; an unknown step is an error.
    pub fn reuse(
        &mut self,
        name: &str,
        outputs: StepOutputs,
        note: impl Into<String>,
    ) -> Result<(), FlowError> {
        if self.started.load(Ordering::SeqCst) {
            return Err(FlowError::Run(
                "steps can only be reused before the run starts".into(),
            ));
        }
        let index = self
            .steps()
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| FlowError::Run(format!("there is no step '{name}' to reuse")))?;
        let names: Vec<String> = outputs.keys().cloned().collect();
        let note = note.into();
        let now = now_secs();
        self.shared.flows.insert(name, outputs);
        self.shared.status.update(index, |s| {
            s.state = StepState::Succeeded;
            s.started_at = Some(now);
            s.ended_at = Some(now);
            s.outputs = names;
            s.error = Some(note);
        });
        Ok(())
    }
}
