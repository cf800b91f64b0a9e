//! The outputs document: every succeeded step's outputs, in file order,
//! secret values masked (SPEC R12, R19, R24). One type behind `GET
//! /outputs`, the TUI's outputs panel and `flowtoy run`'s printing (human,
//! `-j`, `-o`).
//!
//! It serializes straight from the runner's shared store: outputs are not
//! copied, except one step at a time when secret values are known and must
//! be masked. `run --show-secrets` asks for real values with
//! [`OutputsDocument::show_secrets`] (stdout and `-o` only, never the API).

use super::LocalRunner;
use crate::flows::StepOutputs;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::borrow::Cow;
use std::sync::Arc;

/// The outputs of the steps that have succeeded so far, in file order:
/// shared with the runner's store and masked on the way out.
#[derive(Debug, Clone)]
pub struct OutputsDocument<'a> {
    steps: Vec<(&'a str, Arc<StepOutputs>)>,
    show_secrets: bool,
}

impl LocalRunner {
    /// The outputs document: every succeeded step's outputs, in file order,
    /// secret values masked (see [`OutputsDocument`]).
    pub fn outputs(&self) -> OutputsDocument<'_> {
        let names = self.steps().iter().map(|s| s.name.as_str());
        OutputsDocument {
            steps: self.shared.flows.get_each(names),
            show_secrets: false,
        }
    }
}

impl<'a> OutputsDocument<'a> {
    /// The same outputs with secret values shown as they are (`run
    /// --show-secrets`; never for the status API).
    pub fn show_secrets(mut self) -> Self {
        self.show_secrets = true;
        self
    }

    /// How many steps have outputs.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when no step has succeeded yet.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Each step with its outputs, in file order: borrowed from the store,
    /// or a masked copy of one step's outputs when secret values are known.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, Cow<'_, StepOutputs>)> + '_ {
        let secrets = crate::secrets::registry();
        let mask = !self.show_secrets && !secrets.is_empty();
        self.steps.iter().map(move |(name, outputs)| {
            let outputs = if mask {
                Cow::Owned(
                    outputs
                        .iter()
                        .map(|(k, v)| (k.clone(), secrets.mask_json(v)))
                        .collect(),
                )
            } else {
                Cow::Borrowed(&**outputs)
            };
            (*name, outputs)
        })
    }
}

impl Serialize for OutputsDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.steps.len()))?;
        for (name, outputs) in self.iter() {
            map.serialize_entry(name, &*outputs)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::runner::LocalRunner;
    use serde_json::json;

    /// `first` finishes last, `masked` prints a secret value.
    const FLOW: &str = r#"
runner: {max_workers: 3}
flow:
  - name: first
    source: {type: process, configuration: {command: [sh, -c, 'sleep 0.3; echo "{\"n\": 1}"']}}
    output: [{name: n, type: jmespath, value: n}]
  - name: second
    source: {type: process, configuration: {command: [echo, '{"n": 2}']}}
    output: [{name: n, type: jmespath, value: n}]
  - name: masked
    source: {type: process, configuration: {command: [echo, '{"v": "see outputs-document-secret-7c1e"}']}}
    output: [{name: v, type: jmespath, value: v}]
"#;

    #[test]
    fn outputs_are_in_file_order_and_masked_unless_shown() {
        crate::secrets::registry().add("outputs-document-secret-7c1e");
        let config = crate::config::load_yaml_str("flow.yaml", FLOW).expect("valid flow");
        let runner = LocalRunner::new(config);
        assert!(runner.outputs().is_empty());
        runner.run().expect("run");
        assert_eq!(runner.flow_store().names().last().unwrap(), "first");

        let outputs = runner.outputs();
        assert_eq!(outputs.len(), 3);
        let names: Vec<&str> = outputs.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["first", "second", "masked"]);
        assert_eq!(
            serde_json::to_string(&outputs).unwrap(),
            json!({"first": {"n": 1}, "second": {"n": 2},
                   "masked": {"v": "see ***REDACTED***"}})
            .to_string()
        );
        let shown = serde_json::to_value(runner.outputs().show_secrets()).unwrap();
        assert_eq!(shown["masked"]["v"], "see outputs-document-secret-7c1e");
    }
}
