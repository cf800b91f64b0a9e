//! The outputs of succeeded steps (`flows` in templates, `/outputs`), shared
//! between the scheduler, templates and readers without copying (SPEC R12).

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One step's outputs: output name → value.
pub type StepOutputs = Map<String, Value>;

/// A snapshot of every succeeded step's outputs, step name → outputs.
pub type Flows = indexmap::IndexMap<String, StepOutputs>;

/// The live store. Cheap to read: each step's outputs sit behind an `Arc`.
#[derive(Debug, Default)]
pub struct FlowStore {
    steps: RwLock<HashMap<String, Arc<StepOutputs>>>,
    order: RwLock<Vec<String>>,
}

impl FlowStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a succeeded step's outputs.
    pub fn insert(&self, step: &str, outputs: StepOutputs) {
        let mut steps = self.steps.write().unwrap_or_else(|e| e.into_inner());
        if steps.insert(step.to_string(), Arc::new(outputs)).is_none() {
            self.order
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .push(step.to_string());
        }
    }

    /// One step's outputs, if it succeeded.
    pub fn get(&self, step: &str) -> Option<Arc<StepOutputs>> {
        self.steps
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(step)
            .cloned()
    }

    /// Names of the steps that have outputs, in the order they finished.
    pub fn names(&self) -> Vec<String> {
        self.order.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Every step's outputs (shared, not copied), in the order they finished.
    pub fn shared(&self) -> Vec<(String, Arc<StepOutputs>)> {
        let order = self.order.read().unwrap_or_else(|e| e.into_inner());
        let steps = self.steps.read().unwrap_or_else(|e| e.into_inner());
        order
            .iter()
            .filter_map(|n| steps.get(n).map(|o| (n.clone(), Arc::clone(o))))
            .collect()
    }

    /// A deep copy of everything, for callers that keep it.
    pub fn snapshot(&self) -> Flows {
        self.shared()
            .into_iter()
            .map(|(n, o)| (n, (*o).clone()))
            .collect()
    }

    /// The whole mapping as one JSON value.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.shared()
                .into_iter()
                .map(|(n, o)| (n, Value::Object((*o).clone())))
                .collect(),
        )
    }
}
