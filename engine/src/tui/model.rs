//! The TUI's view of a run, built from the status JSON of `GET /status`
//! (SPEC R19), so all-in-one and remote modes share one code path.

use crate::runner::StepState;
use serde_json::Value;

/// One row of the step table.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    /// The step's name.
    pub name: String,
    /// Its state (an unknown state name reads as pending).
    pub state: StepState,
    /// When it started, seconds since the epoch.
    pub started_at: Option<f64>,
    /// When it ended.
    pub ended_at: Option<f64>,
    /// The error of a failed step, or why it was skipped (`notes` joined).
    pub error: Option<String>,
    /// Its output names.
    pub outputs: Vec<String>,
}

/// A run as the status API reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunView {
    /// The run id (milliseconds since the epoch at creation).
    pub run_id: Option<u64>,
    /// When the run started.
    pub started_at: Option<f64>,
    /// When it ended; `None` while it goes on.
    pub ended_at: Option<f64>,
    /// How many steps there are.
    pub total_steps: usize,
    /// How many succeeded or failed.
    pub completed_steps: usize,
    /// The running steps, in file order.
    pub running_steps: Vec<String>,
    /// Every step, in file order.
    pub steps: Vec<StepRow>,
}

/// What a status document says.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusReport {
    /// A run, as in SPEC R19.
    Run(RunView),
    /// The server answered `{"status": "no-runner"}`.
    NoRunner,
}

/// Reads a step state name of the status API.
pub fn parse_state(name: &str) -> Option<StepState> {
    Some(match name {
        "pending" => StepState::Pending,
        "running" => StepState::Running,
        "succeeded" => StepState::Succeeded,
        "failed" => StepState::Failed,
        "skipped" => StepState::Skipped,
        _ => return None,
    })
}

impl StatusReport {
    /// Reads a `GET /status` document; says what is wrong when it is not one.
    pub fn from_json(json: &Value) -> Result<StatusReport, String> {
        let Some(obj) = json.as_object() else {
            return Err(format!("the status is not a JSON object: {}", short(json)));
        };
        if obj.get("status").and_then(Value::as_str) == Some("no-runner") {
            return Ok(StatusReport::NoRunner);
        }
        let Some(steps) = obj.get("steps").and_then(Value::as_object) else {
            return Err(format!(
                "the status has no `steps` mapping; is this a flowtoy status URL? got {}",
                short(json)
            ));
        };
        let steps: Vec<StepRow> = steps.iter().map(|(name, s)| step_row(name, s)).collect();
        let count = |state: &[StepState]| steps.iter().filter(|s| state.contains(&s.state)).count();
        let running_steps = match obj.get("running_steps").and_then(Value::as_array) {
            Some(names) => names
                .iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect(),
            None => steps
                .iter()
                .filter(|s| s.state == StepState::Running)
                .map(|s| s.name.clone())
                .collect(),
        };
        Ok(StatusReport::Run(RunView {
            run_id: obj.get("run_id").and_then(Value::as_u64),
            started_at: obj.get("started_at").and_then(Value::as_f64),
            ended_at: obj.get("ended_at").and_then(Value::as_f64),
            total_steps: obj
                .get("total_steps")
                .and_then(Value::as_u64)
                .map_or(steps.len(), |n| n as usize),
            completed_steps: obj
                .get("completed_steps")
                .and_then(Value::as_u64)
                .map_or_else(
                    || count(&[StepState::Succeeded, StepState::Failed]),
                    |n| n as usize,
                ),
            running_steps,
            steps,
        }))
    }
}

impl RunView {
    /// True once the run has ended.
    pub fn is_finished(&self) -> bool {
        self.ended_at.is_some()
    }

    /// Steps in `state`.
    pub fn count(&self, state: StepState) -> usize {
        self.steps.iter().filter(|s| s.state == state).count()
    }
}

fn step_row(name: &str, s: &Value) -> StepRow {
    let notes: Vec<&str> = match s.get("notes") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(text)) => vec![text.as_str()],
        _ => Vec::new(),
    };
    StepRow {
        name: name.to_string(),
        state: s
            .get("state")
            .and_then(Value::as_str)
            .and_then(parse_state)
            .unwrap_or(StepState::Pending),
        started_at: s.get("started_at").and_then(Value::as_f64),
        ended_at: s.get("ended_at").and_then(Value::as_f64),
        error: (!notes.is_empty()).then(|| notes.join("; ")),
        outputs: s
            .get("outputs")
            .and_then(Value::as_array)
            .map(|o| {
                o.iter()
                    .filter_map(|n| n.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The start of a JSON value, for error messages.
fn short(json: &Value) -> String {
    let text = json.to_string();
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}
