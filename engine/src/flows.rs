//! The outputs of succeeded steps (`flows` in templates, `/outputs`), shared
//! between the scheduler, templates and readers without copying (SPEC R12).

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One step's outputs: output name → value.
pub type StepOutputs = Map<String, Value>;

/// A snapshot of every succeeded step's outputs, step name → outputs.
pub type Flows = indexmap::IndexMap<String, StepOutputs>;

/// The live store. Cheap to read: each step's outputs sit behind an `Arc`,
/// and one lock guards the map and the finishing order together.
#[derive(Debug, Default)]
pub struct FlowStore {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    steps: HashMap<String, Arc<StepOutputs>>,
    order: Vec<String>,
}

impl FlowStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a succeeded step's outputs.
    pub fn insert(&self, step: &str, outputs: StepOutputs) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner
            .steps
            .insert(step.to_string(), Arc::new(outputs))
            .is_none()
        {
            inner.order.push(step.to_string());
        }
    }

    /// One step's outputs, if it succeeded.
    pub fn get(&self, step: &str) -> Option<Arc<StepOutputs>> {
        self.read().steps.get(step).cloned()
    }

    /// The outputs of those of `names` that have some, in the order of
    /// `names` (shared, not copied), read under one lock: a consistent
    /// snapshot.
    pub fn get_each<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Vec<(&'a str, Arc<StepOutputs>)> {
        let inner = self.read();
        names
            .into_iter()
            .filter_map(|n| inner.steps.get(n).map(|o| (n, Arc::clone(o))))
            .collect()
    }

    /// Names of the steps that have outputs, in the order they finished.
    pub fn names(&self) -> Vec<String> {
        self.read().order.clone()
    }

    /// Every step's outputs (shared, not copied), in the order they finished.
    pub fn shared(&self) -> Vec<(String, Arc<StepOutputs>)> {
        let inner = self.read();
        inner
            .order
            .iter()
            .filter_map(|n| inner.steps.get(n).map(|o| (n.clone(), Arc::clone(o))))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Readers listing the store while a writer inserts must never deadlock
    /// (the map and the order were once two locks taken in opposite orders).
    #[test]
    fn readers_and_a_writer_never_deadlock() {
        let store = Arc::new(FlowStore::new());
        let (done, finished) = mpsc::channel();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    while store.names().len() < 20_000 {
                        let _ = store.shared();
                    }
                })
            })
            .collect();
        let writer = Arc::clone(&store);
        std::thread::spawn(move || {
            for i in 0..20_000 {
                writer.insert(&format!("s{i}"), StepOutputs::new());
            }
            let _ = done.send(());
        });
        assert!(
            finished.recv_timeout(Duration::from_secs(60)).is_ok(),
            "the writer is stuck"
        );
        for r in readers {
            r.join().unwrap();
        }
        assert_eq!(store.shared().len(), 20_000);
    }
}
