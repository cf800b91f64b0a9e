//! The render context every template of a run shares (SPEC R8): `flows`
//! (a live view of the outputs store, where a step without outputs is
//! undefined for `default`, R30), `sources`, `env`, an iteration's `item`
//! and `index` (R28), and the payload names of a source's configuration.

use super::{to_value, EnvView};
use crate::flows::FlowStore;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::{Error, ErrorKind, Value};
use std::sync::Arc;

/// `flows` as templates see it: a read-only view of the live [`FlowStore`].
#[derive(Debug)]
pub struct FlowsView(pub Arc<FlowStore>);

impl Object for FlowsView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let name = key.as_str()?;
        Some(match self.0.get(name) {
            Some(outputs) => to_value(&*outputs),
            None => Value::from_object(NoOutputs(name.to_string())),
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.names().into_iter().map(Value::from).collect())
    }
}

/// `flows.NAME` of a step with no outputs (it failed, was skipped, or has
/// not run): each of its outputs is undefined, so `{{ flows.NAME.x |
/// default('y') }}` gives `y` while `{{ flows.NAME.x }}` still fails (SPEC
/// R30); `default` and `is defined` treat the step itself as undefined.
#[derive(Debug)]
pub struct NoOutputs(pub String);

impl Object for NoOutputs {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, _key: &Value) -> Option<Value> {
        None
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn render(self: &Arc<Self>, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Printing it is printing an undefined value: an error (R7).
        Err(std::fmt::Error)
    }
}

/// The parts of the context every template of a run shares (SPEC R8), and
/// for an iteration of a `foreach` step its `item` and `index` (R28).
#[derive(Debug, Clone)]
pub struct BaseContext {
    /// `flows`.
    pub flows: Value,
    /// `sources`.
    pub sources: Value,
    /// `env` (an [`EnvView`]).
    pub env: Value,
    /// `item` and `index`, for an iteration.
    pub iteration: Option<(Value, Value)>,
}

impl BaseContext {
    /// A context over the live `flows` with the given `sources` and the
    /// process environment.
    pub fn new(flows: Arc<FlowStore>, sources: &serde_json::Value) -> Self {
        BaseContext {
            flows: Value::from_object(FlowsView(flows)),
            sources: to_value(sources),
            env: Value::from_object(EnvView::from_process()),
            iteration: None,
        }
    }

    /// The context of iteration `index` of a `foreach` step, over `item`.
    pub fn for_item(&self, index: usize, item: &serde_json::Value) -> BaseContext {
        BaseContext {
            iteration: Some((to_value(item), Value::from(index))),
            ..self.clone()
        }
    }

    /// The context with extra names (`input`, `result`, ...).
    pub fn with(&self, extras: Vec<(&'static str, Value)>) -> Value {
        let base = [
            ("flows", self.flows.clone()),
            ("sources", self.sources.clone()),
            ("env", self.env.clone()),
        ];
        let iteration = self
            .iteration
            .iter()
            .flat_map(|(item, index)| [("item", item.clone()), ("index", index.clone())]);
        Value::from_pairs(base.into_iter().chain(iteration).chain(extras))
    }
}

/// The payload names of R8: `input`, `raw`, `json` and `jmespath()`.
pub fn payload_extras(payload: &Option<serde_json::Value>) -> Vec<(&'static str, Value)> {
    let raw = match payload {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    };
    let json: serde_json::Value = match payload {
        Some(serde_json::Value::String(s)) => {
            serde_json::from_str(s).unwrap_or(serde_json::Value::Null)
        }
        Some(v) => v.clone(),
        None => serde_json::Value::Null,
    };
    let input = payload.as_ref().map(to_value).unwrap_or(Value::from(()));
    let json_value = to_value(&json);
    let search = move |expr: &str| -> Result<Value, Error> {
        let compiled = crate::query::compile(expr)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("jmespath: {e}")))?;
        let found = crate::query::search(&compiled, &json)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("jmespath: {e}")))?;
        Ok(to_value(&found))
    };
    vec![
        ("input", input),
        ("raw", Value::from(raw)),
        ("json", json_value),
        ("jmespath", Value::from_function(search)),
    ]
}
