//! `foreach` steps (SPEC R28): the list a step runs over, and how its
//! iterations stand while they run. Outputs become lists in item order.

use super::status::ItemCounts;
use super::Shared;
use crate::config::{strip_braces, Foreach};
use crate::error::{StepError, StepErrorKind};
use crate::flows::StepOutputs;
use serde_json::Value;
use std::sync::Arc;

/// The items a step runs over, rendered now (its dependencies are done).
pub(super) fn items(shared: &Shared, foreach: &Foreach) -> Result<Vec<Value>, StepError> {
    let templates = &shared.config.compiled().templates;
    let ctx = shared.base.with(Vec::new());
    let template_error =
        |e: String| StepError::new(StepErrorKind::Template, format!("`foreach`: {e}"));
    match foreach {
        Foreach::List(items) => items
            .iter()
            .map(|item| templates.render_value(item, &ctx))
            .collect::<Result<_, _>>()
            .map_err(template_error),
        Foreach::Template(text) => {
            let stripped = strip_braces(text);
            // `{{ expr }}` alone gives the value itself; other text is
            // rendered and read as a JSON array.
            let value = if stripped != text.trim() {
                let value = templates.eval(stripped, &ctx).map_err(template_error)?;
                serde_json::to_value(&value).map_err(|e| template_error(e.to_string()))?
            } else {
                Value::String(templates.render(text, &ctx).map_err(template_error)?)
            };
            as_list(value)
        }
    }
}

/// The list a `foreach` value holds, or a clear error saying what it is.
fn as_list(value: Value) -> Result<Vec<Value>, StepError> {
    let refuse = |what: String| {
        StepError::new(
            StepErrorKind::Template,
            format!("`foreach` must give a list, not {what}"),
        )
    };
    match value {
        Value::Array(items) => Ok(items),
        Value::String(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Array(items)) => Ok(items),
            _ => Err(refuse(format!("the text {}", preview(&text)))),
        },
        Value::Null => Err(refuse("null".into())),
        Value::Bool(b) => Err(refuse(format!("the boolean {b}"))),
        Value::Number(n) => Err(refuse(format!("the number {n}"))),
        Value::Object(_) => Err(refuse("a mapping".into())),
    }
}

/// At most 60 characters of `text`, quoted.
fn preview(text: &str) -> String {
    let short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        format!("{short:?}…")
    } else {
        format!("{short:?}")
    }
}

/// The iterations of one `foreach` step while they run.
#[derive(Debug)]
pub(super) struct Fanout {
    /// The items.
    pub items: Arc<Vec<Value>>,
    /// The next item not yet queued.
    pub next: usize,
    /// Iterations queued or running.
    pub in_flight: usize,
    /// Most iterations in flight at once.
    pub cap: usize,
    /// How they stand.
    pub counts: ItemCounts,
    /// Each iteration's outputs, once it succeeded.
    pub outputs: Vec<Option<StepOutputs>>,
    /// Failed iterations: index and error.
    pub failures: Vec<(usize, String)>,
    /// The try under way furthest along, over all iterations.
    pub attempt: u32,
}

impl Fanout {
    /// A fan-out over `items`, at most `cap` in flight.
    pub fn new(items: Vec<Value>, cap: usize) -> Self {
        let total = items.len();
        Fanout {
            items: Arc::new(items),
            next: 0,
            in_flight: 0,
            cap: cap.max(1),
            counts: ItemCounts {
                total,
                ..ItemCounts::default()
            },
            outputs: vec![None; total],
            failures: Vec::new(),
            attempt: 0,
        }
    }

    /// The next item to queue, if the cap allows one.
    pub fn take_next(&mut self) -> Option<usize> {
        (self.next < self.items.len() && self.in_flight < self.cap).then(|| {
            self.in_flight += 1;
            self.next += 1;
            self.next - 1
        })
    }

    /// True once every item has been run.
    pub fn is_done(&self) -> bool {
        self.next == self.items.len() && self.in_flight == 0
    }

    /// The step's outputs: each output name's values in item order (null for
    /// skipped iterations).
    pub fn collect(&mut self, names: &[String]) -> StepOutputs {
        names
            .iter()
            .map(|name| {
                let values = self
                    .outputs
                    .iter()
                    .map(|o| {
                        o.as_ref()
                            .and_then(|o| o.get(name))
                            .cloned()
                            .unwrap_or(Value::Null)
                    })
                    .collect();
                (name.clone(), Value::Array(values))
            })
            .collect()
    }

    /// The step's error: which items failed, and why.
    pub fn error(&self) -> String {
        const SHOWN: usize = 10;
        let mut failures = self.failures.clone();
        failures.sort_by_key(|(i, _)| *i);
        let listed: Vec<String> = failures
            .iter()
            .take(SHOWN)
            .map(|(i, e)| format!("item {i}: {e}"))
            .collect();
        let more = failures.len().saturating_sub(SHOWN);
        let mut indexes: Vec<String> = failures
            .iter()
            .take(100)
            .map(|(i, _)| i.to_string())
            .collect();
        if failures.len() > 100 {
            indexes.push("…".into());
        }
        let mut text = format!(
            "{} of {} items failed (indexes {}): {}",
            failures.len(),
            self.counts.total,
            indexes.join(", "),
            listed.join("; ")
        );
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        text
    }
}
