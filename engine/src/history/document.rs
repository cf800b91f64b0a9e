//! The run-history documents: [`RunSummary`] (one entry of `flowtoy history
//! --json` and `GET /runs`) and [`RunDocument`] (`flowtoy history show
//! --json` and `GET /runs/{id}`: the run as `/status` shapes it, plus its
//! outputs). Like the status document, readers ignore fields they do not
//! know and new fields are optional.

use super::{RunId, StepRecord};
use crate::runner::{StepDocument, StepDocuments, StepState};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// How a recorded run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum HistoryOutcome {
    /// Still running (or its process died and no command has looked since).
    Running,
    /// Ended with every failure covered by `skip`/`continue` (exit 0).
    Finished,
    /// Halted by a step with `on_error: fail` (exit 1).
    Halted,
    /// Stopped before its end: Ctrl-C, SIGTERM, a cancel handle, or its
    /// process died.
    Interrupted,
}

impl HistoryOutcome {
    /// Every outcome, for listing them.
    pub const ALL: [HistoryOutcome; 4] = [
        HistoryOutcome::Running,
        HistoryOutcome::Finished,
        HistoryOutcome::Halted,
        HistoryOutcome::Interrupted,
    ];

    /// The outcome's name (`finished`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryOutcome::Running => "running",
            HistoryOutcome::Finished => "finished",
            HistoryOutcome::Halted => "halted",
            HistoryOutcome::Interrupted => "interrupted",
        }
    }

    /// The outcome called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == name)
    }

    /// The outcome of a run that ended `outcome`.
    pub fn of(outcome: crate::runner::RunOutcome) -> Self {
        match outcome {
            crate::runner::RunOutcome::Completed => HistoryOutcome::Finished,
            crate::runner::RunOutcome::Halted => HistoryOutcome::Halted,
            crate::runner::RunOutcome::Cancelled => HistoryOutcome::Interrupted,
        }
    }
}

impl fmt::Display for HistoryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run in the list (`flowtoy history --json`, `GET /runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Its number in the history.
    pub id: RunId,
    /// The runner's run id (as `/status` showed it while it ran).
    pub run_id: u64,
    /// When it started (seconds since the epoch).
    pub started_at: f64,
    /// When it ended; `None` while running (or when its process died).
    pub ended_at: Option<f64>,
    /// `ended_at - started_at`, in seconds.
    pub duration: Option<f64>,
    /// How it stands.
    pub outcome: HistoryOutcome,
    /// Steps that succeeded (reused ones included).
    pub succeeded: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps that were skipped.
    pub skipped: usize,
    /// How many steps the flow has.
    pub total_steps: usize,
    /// The configuration files, absolute, in merge order.
    pub files: Vec<String>,
    /// The hash of the merged configuration.
    pub config_hash: String,
    /// The run this one resumed.
    #[serde(default)]
    pub resumed_from: Option<RunId>,
}

/// One run as stored: its summary, every step's name, the steps recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run.
    pub summary: RunSummary,
    /// Every step's name, in file order.
    pub step_names: Vec<String>,
    /// Every step's definition hash, in file order (empty strings when
    /// unknown).
    pub definitions: Vec<String>,
    /// The steps that finished, in file order (those that did not finish
    /// are missing).
    pub steps: Vec<StepRecord>,
}

/// One run as `GET /runs/{id}` and `flowtoy history show --json` give it:
/// the summary's fields, the fields of the status document (`steps` by
/// name in file order, ...), and the outputs (masked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDocument {
    /// The run.
    #[serde(flatten)]
    pub run: RunSummary,
    /// Steps that succeeded or failed.
    pub completed_steps: usize,
    /// Always `None`: a recorded run shows no step running.
    pub current_step: Option<String>,
    /// Always empty, as `current_step`.
    pub running_steps: Vec<String>,
    /// Always 0, as `current_step`.
    pub running_count: usize,
    /// Every step by name, in file order; steps that never finished are
    /// `pending` with a note.
    pub steps: StepDocuments<'static>,
    /// Each succeeded step's outputs, in file order, secret values masked.
    pub outputs: Map<String, Value>,
    /// Steps whose outputs held secret values (masked above; they run again
    /// on resume).
    #[serde(default)]
    pub secret_steps: Vec<String>,
}

impl RunRecord {
    /// The recorded step called `name`.
    pub fn step(&self, name: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.status.name == name)
    }

    /// The run as a document.
    pub fn document(&self) -> RunDocument {
        let recorded: std::collections::HashMap<&str, &StepRecord> = self
            .steps
            .iter()
            .map(|s| (s.status.name.as_str(), s))
            .collect();
        let unfinished = match self.summary.outcome {
            super::HistoryOutcome::Running => "not finished yet",
            _ => "did not finish: the run stopped first",
        };
        let mut outputs = Map::new();
        let mut secret_steps = Vec::new();
        let steps = self
            .step_names
            .iter()
            .map(|name| {
                let doc = match recorded.get(name.as_str()) {
                    Some(step) => {
                        if let Some(values) = &step.outputs {
                            outputs.insert(name.clone(), Value::Object((**values).clone()));
                        }
                        if step.secret {
                            secret_steps.push(name.clone());
                        }
                        step_document(step)
                    }
                    None => StepDocument {
                        state: StepState::Pending,
                        started_at: None,
                        ended_at: None,
                        notes: Cow::Owned(vec![unfinished.to_string()]),
                        outputs: Cow::Owned(Vec::new()),
                        attempt: None,
                        items: None,
                        executor: None,
                        job_id: None,
                    },
                };
                (Cow::Owned(name.clone()), doc)
            })
            .collect();
        let completed = self
            .steps
            .iter()
            .filter(|s| matches!(s.status.state, StepState::Succeeded | StepState::Failed))
            .count();
        RunDocument {
            run: self.summary.clone(),
            completed_steps: completed,
            current_step: None,
            running_steps: Vec::new(),
            running_count: 0,
            steps,
            outputs,
            secret_steps,
        }
    }
}

/// A recorded step's entry of `steps`, as the status document has it.
fn step_document(step: &StepRecord) -> StepDocument<'static> {
    step.status.document().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::StepOutputs;
    use crate::runner::StepStatus;
    use serde_json::json;
    use std::sync::Arc;

    fn record() -> RunRecord {
        let mut outputs = StepOutputs::new();
        outputs.insert("v".into(), json!(1));
        RunRecord {
            summary: RunSummary {
                id: 3,
                run_id: 17,
                started_at: 10.0,
                ended_at: None,
                duration: None,
                outcome: HistoryOutcome::Interrupted,
                succeeded: 1,
                failed: 0,
                skipped: 0,
                total_steps: 2,
                files: vec!["/f.yaml".into()],
                config_hash: "abc".into(),
                resumed_from: None,
            },
            step_names: vec!["a".into(), "b".into()],
            definitions: vec!["d".into(), "e".into()],
            steps: vec![StepRecord {
                position: 0,
                status: Arc::new(StepStatus {
                    name: "a".into(),
                    state: StepState::Succeeded,
                    attempt: Some(1),
                    started_at: Some(10.0),
                    ended_at: Some(10.5),
                    error: None,
                    outputs: vec!["v".into()],
                    items: None,
                    executor: None,
                    job_id: None,
                }),
                outputs: Some(Arc::new(outputs)),
                secret: false,
                reused_from: None,
            }],
        }
    }

    #[test]
    fn a_run_document_has_the_status_fields_and_the_outputs() {
        let doc = record().document();
        let value = serde_json::to_value(&doc).unwrap();
        for key in [
            "id",
            "run_id",
            "started_at",
            "ended_at",
            "total_steps",
            "completed_steps",
            "current_step",
            "running_steps",
            "running_count",
            "steps",
            "outcome",
            "outputs",
        ] {
            assert!(value.get(key).is_some(), "{key} missing: {value}");
        }
        assert_eq!(value["steps"]["a"]["state"], "succeeded");
        assert_eq!(value["steps"]["a"]["outputs"], json!(["v"]));
        assert_eq!(value["steps"]["b"]["state"], "pending");
        assert_eq!(value["outputs"], json!({"a": {"v": 1}}));
        assert_eq!(value["outcome"], "interrupted");
        let back: RunDocument = serde_json::from_value(value).unwrap();
        assert_eq!(back, doc);
    }
}
