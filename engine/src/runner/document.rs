//! The status document (SPEC R19): the one type behind `GET /status`, the
//! `status`, `step` and `run_ended` events of `GET /events`, the web UI's
//! JSON and the TUI. The server serializes it borrowed from a
//! [`RunStatus`] snapshot (no step is copied per request); readers
//! deserialize the same type, owned (`StatusDocument<'static>`).
//!
//! Growing the document without breaking readers: unknown fields are
//! ignored when reading, and a new field is optional —
//! `#[serde(default, skip_serializing_if = "Option::is_none")]` — so old
//! documents still read and documents without it keep today's shape.
//!
//! ```
//! use flowtoy::runner::{StatusDocument, StatusReply, StatusStore, StepState};
//!
//! let store = StatusStore::new(7, ["fetch".to_string()].into_iter());
//! store.update(0, |s| s.state = StepState::Running);
//! let status = store.snapshot();
//! let json = serde_json::to_string(&status.document())?;
//! assert!(json.starts_with(r#"{"run_id":7,"#));
//! let back: StatusDocument = serde_json::from_str(&json)?;
//! assert_eq!(back, status.document());
//! assert_eq!(back.current_step.as_deref(), Some("fetch"));
//! let reply: StatusReply = serde_json::from_str(r#"{"status": "no-runner"}"#)?;
//! assert_eq!(reply, StatusReply::NoRunner);
//! # Ok::<(), serde_json::Error>(())
//! ```

use super::status::{ItemCounts, RunOutcome, RunStatus, StepState, StepStatus};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// The run as `GET /status` tells it (SPEC R19).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusDocument<'a> {
    /// Milliseconds since the epoch when the runner was made.
    pub run_id: u64,
    /// When the run started (seconds since the epoch).
    pub started_at: Option<f64>,
    /// When the run ended; `None` while it goes on.
    pub ended_at: Option<f64>,
    /// How many steps there are.
    pub total_steps: usize,
    /// How many succeeded or failed.
    pub completed_steps: usize,
    /// The first running step in file order.
    pub current_step: Option<Cow<'a, str>>,
    /// The running steps, in file order.
    pub running_steps: Vec<Cow<'a, str>>,
    /// How many steps are running.
    pub running_count: usize,
    /// Every step by name, in file order.
    pub steps: StepDocuments<'a>,
}

/// One entry of `steps` in the status document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDocument<'a> {
    /// Its state (a state this version does not know reads as pending).
    #[serde(deserialize_with = "state_or_pending")]
    pub state: StepState,
    /// When it started (seconds since the epoch).
    pub started_at: Option<f64>,
    /// When it ended.
    pub ended_at: Option<f64>,
    /// Why it failed or was skipped (empty otherwise).
    #[serde(default)]
    pub notes: Cow<'a, [String]>,
    /// The names of its outputs, once it succeeded.
    #[serde(default)]
    pub outputs: Cow<'a, [String]>,
    /// The try under way, or the last one (1-based), once it started (R25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// For a `foreach` step, how its iterations stand (R28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemCounts>,
    /// Where it runs when not in this process: the executor type (R34).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor: Option<Cow<'a, str>>,
    /// Its job's id on a remote executor, once submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Cow<'a, str>>,
}

/// The `steps` mapping: step name → [`StepDocument`], in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepDocuments<'a>(Vec<(Cow<'a, str>, StepDocument<'a>)>);

/// What `GET /status` answers: a run, or `{"status": "no-runner"}` when
/// the server has no runner attached.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StatusReply<'a> {
    /// The server has no runner attached.
    NoRunner,
    /// The run's status.
    Run(StatusDocument<'a>),
}

/// The data of a `step` event of `GET /events`: the step's name and its
/// entry of `steps`, `{name, state, started_at, ended_at, notes, outputs}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepEvent<'a> {
    /// The step's name.
    pub name: Cow<'a, str>,
    /// Its new status.
    #[serde(flatten)]
    pub step: StepDocument<'a>,
}

/// The data of the `run_ended` event of `GET /events`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunEndedEvent {
    /// When the run ended.
    pub ended_at: f64,
    /// How.
    pub outcome: RunOutcome,
}

impl RunStatus {
    /// The status document of this snapshot, borrowing its steps.
    pub fn document(&self) -> StatusDocument<'_> {
        let running: Vec<Cow<'_, str>> = self
            .running_steps()
            .into_iter()
            .map(Cow::Borrowed)
            .collect();
        StatusDocument {
            run_id: self.run_id,
            started_at: self.started_at,
            ended_at: self.ended_at,
            total_steps: self.steps.len(),
            completed_steps: self.completed_steps(),
            current_step: running.first().cloned(),
            running_count: running.len(),
            running_steps: running,
            steps: self
                .steps
                .iter()
                .map(|s| (Cow::Borrowed(s.name.as_str()), s.document()))
                .collect(),
        }
    }
}

impl StepStatus {
    /// This step's entry of `steps` in the status document.
    pub fn document(&self) -> StepDocument<'_> {
        StepDocument {
            state: self.state,
            started_at: self.started_at,
            ended_at: self.ended_at,
            notes: Cow::Borrowed(self.error.as_slice()),
            outputs: Cow::Borrowed(&self.outputs),
            attempt: self.attempt,
            items: self.items,
            executor: self.executor.as_deref().map(Cow::Borrowed),
            job_id: self.job_id.as_deref().map(Cow::Borrowed),
        }
    }
}

impl StatusDocument<'_> {
    /// True once the run has ended.
    pub fn is_finished(&self) -> bool {
        self.ended_at.is_some()
    }

    /// How many steps are in `state`.
    pub fn count(&self, state: StepState) -> usize {
        self.steps.iter().filter(|(_, s)| s.state == state).count()
    }

    /// A copy that owns everything it holds.
    pub fn into_owned(self) -> StatusDocument<'static> {
        StatusDocument {
            run_id: self.run_id,
            started_at: self.started_at,
            ended_at: self.ended_at,
            total_steps: self.total_steps,
            completed_steps: self.completed_steps,
            current_step: self.current_step.map(owned_str),
            running_steps: self.running_steps.into_iter().map(owned_str).collect(),
            running_count: self.running_count,
            steps: self.steps.into_owned(),
        }
    }
}

impl StepDocument<'_> {
    /// The notes as one line of text (`; ` between them), or `None`.
    pub fn error(&self) -> Option<String> {
        (!self.notes.is_empty()).then(|| self.notes.join("; "))
    }

    /// A copy that owns everything it holds.
    pub fn into_owned(self) -> StepDocument<'static> {
        StepDocument {
            state: self.state,
            started_at: self.started_at,
            ended_at: self.ended_at,
            notes: Cow::Owned(self.notes.into_owned()),
            outputs: Cow::Owned(self.outputs.into_owned()),
            attempt: self.attempt,
            items: self.items,
            executor: self.executor.map(owned_str),
            job_id: self.job_id.map(owned_str),
        }
    }
}

impl<'a> StepDocuments<'a> {
    /// How many steps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no steps.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry of the step called `name`.
    pub fn get(&self, name: &str) -> Option<&StepDocument<'a>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// Each step's name and entry, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &StepDocument<'a>)> {
        self.0.iter().map(|(n, s)| (n.as_ref(), s))
    }

    /// A copy that owns everything it holds.
    pub fn into_owned(self) -> StepDocuments<'static> {
        StepDocuments(
            self.0
                .into_iter()
                .map(|(n, s)| (owned_str(n), s.into_owned()))
                .collect(),
        )
    }
}

impl<'a> FromIterator<(Cow<'a, str>, StepDocument<'a>)> for StepDocuments<'a> {
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, StepDocument<'a>)>>(iter: I) -> Self {
        StepDocuments(iter.into_iter().collect())
    }
}

impl Serialize for StepDocuments<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, step) in &self.0 {
            map.serialize_entry(name, step)?;
        }
        map.end()
    }
}

impl<'de, 'a> Deserialize<'de> for StepDocuments<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepsVisitor;

        impl<'de> Visitor<'de> for StepsVisitor {
            type Value = StepDocuments<'static>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of step names to step statuses")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                // A repeated name keeps its first place and its last value,
                // as JSON readers usually do.
                let mut steps = indexmap::IndexMap::with_capacity(access.size_hint().unwrap_or(0));
                while let Some((name, step)) =
                    access.next_entry::<String, StepDocument<'static>>()?
                {
                    steps.insert(name, step);
                }
                Ok(StepDocuments(
                    steps.into_iter().map(|(n, s)| (Cow::Owned(n), s)).collect(),
                ))
            }
        }

        deserializer.deserialize_map(StepsVisitor)
    }
}

impl StatusReply<'_> {
    /// Reads a `GET /status` answer; the error says, for people, what is
    /// wrong when it is not one.
    pub fn from_json(json: Value) -> Result<StatusReply<'static>, String> {
        let Some(object) = json.as_object() else {
            return Err(format!("the status is not a JSON object: {}", short(&json)));
        };
        if object.get("status").and_then(Value::as_str) == Some("no-runner") {
            return Ok(StatusReply::NoRunner);
        }
        if !object.get("steps").is_some_and(Value::is_object) {
            return Err(format!(
                "the status has no `steps` mapping; is this a flowtoy status URL? got {}",
                short(&json)
            ));
        }
        StatusDocument::deserialize(json)
            .map(StatusReply::Run)
            .map_err(|e| format!("the status is not a flowtoy status document: {e}"))
    }

    /// A copy that owns everything it holds.
    pub fn into_owned(self) -> StatusReply<'static> {
        match self {
            StatusReply::NoRunner => StatusReply::NoRunner,
            StatusReply::Run(run) => StatusReply::Run(run.into_owned()),
        }
    }
}

impl Serialize for StatusReply<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StatusReply::NoRunner => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("status", "no-runner")?;
                map.end()
            }
            StatusReply::Run(run) => run.serialize(serializer),
        }
    }
}

impl<'de, 'a> Deserialize<'de> for StatusReply<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StatusReply::from_json(Value::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

impl<'a> StepEvent<'a> {
    /// The event of `step`'s new status.
    pub fn of(step: &'a StepStatus) -> Self {
        StepEvent {
            name: Cow::Borrowed(&step.name),
            step: step.document(),
        }
    }
}

/// A step state by name; an unknown name (from a newer runner) is pending.
pub(super) fn state_or_pending<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<StepState, D::Error> {
    let name = Cow::<'de, str>::deserialize(deserializer)?;
    Ok(StepState::from_name(&name).unwrap_or(StepState::Pending))
}

fn owned_str(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

/// The start of a JSON value, for error messages.
fn short(json: &Value) -> String {
    let text = json.to_string();
    match text.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::StatusStore;
    use serde_json::json;

    /// A run with a step in each state but skipped.
    fn mixed() -> RunStatus {
        let store = StatusStore::new(42, ["a", "b", "c", "d"].into_iter().map(String::from));
        store.start();
        store.update(0, |s| {
            s.state = StepState::Succeeded;
            s.started_at = Some(1.5);
            s.ended_at = Some(2.0);
            s.outputs = vec!["x".into(), "y".into()];
        });
        store.update(1, |s| {
            s.state = StepState::Running;
            s.started_at = Some(1.75);
        });
        store.update(2, |s| {
            s.state = StepState::Failed;
            s.started_at = Some(1.0);
            s.ended_at = Some(3.0);
            s.error = Some("boom".into());
        });
        store.snapshot()
    }

    #[test]
    fn the_document_has_the_shape_of_spec_r19() {
        let status = mixed();
        let started = status.started_at.unwrap();
        let expected = json!({
            "run_id": 42, "started_at": started, "ended_at": null,
            "total_steps": 4, "completed_steps": 2, "current_step": "b",
            "running_steps": ["b"], "running_count": 1,
            "steps": {
                "a": {"state": "succeeded", "started_at": 1.5, "ended_at": 2.0,
                      "notes": [], "outputs": ["x", "y"]},
                "b": {"state": "running", "started_at": 1.75, "ended_at": null,
                      "notes": [], "outputs": []},
                "c": {"state": "failed", "started_at": 1.0, "ended_at": 3.0,
                      "notes": ["boom"], "outputs": []},
                "d": {"state": "pending", "started_at": null, "ended_at": null,
                      "notes": [], "outputs": []}
            }
        });
        let served = serde_json::to_string(&status.document()).unwrap();
        // Same keys in the same order, not only the same values.
        assert_eq!(served, expected.to_string());
    }

    #[test]
    fn serialize_then_deserialize_gives_the_same_document() {
        let mut status = mixed();
        // A time with few digits: serde_json may round the last digit of
        // others when it reads them back.
        status.started_at = Some(1.25);
        let document = status.document();
        let text = serde_json::to_string(&document).unwrap();
        let back: StatusDocument<'static> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, document);
        assert_eq!(serde_json::to_string(&back).unwrap(), text);
        let reply: StatusReply<'static> = serde_json::from_str(&text).unwrap();
        assert_eq!(reply, StatusReply::Run(document.into_owned()));

        let no_runner = serde_json::to_string(&StatusReply::NoRunner).unwrap();
        assert_eq!(no_runner, r#"{"status":"no-runner"}"#);
        assert_eq!(
            serde_json::from_str::<StatusReply>(&no_runner).unwrap(),
            StatusReply::NoRunner
        );
    }

    #[test]
    fn events_round_trip_and_keep_their_shape() {
        let status = mixed();
        let failed = &status.steps[2];
        let text = serde_json::to_string(&StepEvent::of(failed)).unwrap();
        assert_eq!(
            text,
            r#"{"name":"c","state":"failed","started_at":1.0,"ended_at":3.0,"notes":["boom"],"outputs":[]}"#
        );
        let back: StepEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back, StepEvent::of(failed));

        let ended = RunEndedEvent {
            ended_at: 4.5,
            outcome: RunOutcome::Halted,
        };
        let text = serde_json::to_string(&ended).unwrap();
        assert_eq!(text, r#"{"ended_at":4.5,"outcome":"halted"}"#);
        assert_eq!(serde_json::from_str::<RunEndedEvent>(&text).unwrap(), ended);
    }

    #[test]
    fn readers_tolerate_fields_and_states_they_do_not_know() {
        let newer = json!({
            "run_id": 1, "started_at": 1.0, "ended_at": null, "total_steps": 1,
            "completed_steps": 0, "current_step": "a", "running_steps": ["a"],
            "running_count": 1, "queue": "gpu",
            "steps": {"a": {"state": "retrying", "started_at": 1.0, "ended_at": null,
                            "notes": [], "outputs": [], "attempt": 2,
                            "items": {"total": 3, "succeeded": 1, "failed": 0, "running": 2}}}
        });
        let StatusReply::Run(run) = StatusReply::from_json(newer).unwrap() else {
            panic!("a run")
        };
        let a = run.steps.get("a").unwrap();
        assert_eq!(a.state, StepState::Pending);
        assert_eq!(run.running_steps, ["a"]);
    }

    #[test]
    fn what_is_not_a_status_says_why() {
        let error = StatusReply::from_json(json!(["not", "a", "status"])).unwrap_err();
        assert!(error.contains("not a JSON object"), "{error}");
        let error = StatusReply::from_json(json!({"hello": 1})).unwrap_err();
        assert!(error.contains("no `steps` mapping"), "{error}");
        let error = StatusReply::from_json(json!({"steps": {}})).unwrap_err();
        assert!(error.contains("missing field `run_id`"), "{error}");
    }

    #[test]
    fn a_repeated_step_name_keeps_its_place_and_last_value() {
        let text = r#"{"a": {"state": "pending", "started_at": null, "ended_at": null},
                       "b": {"state": "pending", "started_at": null, "ended_at": null},
                       "a": {"state": "running", "started_at": 1.0, "ended_at": null}}"#;
        let steps: StepDocuments = serde_json::from_str(text).unwrap();
        let names: Vec<&str> = steps.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(steps.get("a").unwrap().state, StepState::Running);
    }
}
