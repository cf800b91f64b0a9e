//! Output extraction (SPEC R12): what a step keeps from its provider's result.

use crate::config::{OutputKind, OutputSpec};
use crate::flows::StepOutputs;
use crate::query::{compile, search, JmesPaths};
use crate::template::{BaseContext, Templates};
use flowtoy_plugin_api::ProviderResult;
use serde_json::Value;

/// Picks the outputs of a step from its result.
pub fn extract(
    specs: &[OutputSpec],
    result: &ProviderResult,
    templates: &Templates,
    paths: &JmesPaths,
    base: &BaseContext,
) -> Result<StepOutputs, String> {
    let mut outputs = StepOutputs::new();
    for spec in specs {
        let value = match &spec.kind {
            OutputKind::Json => result.data.clone(),
            OutputKind::JmesPath(expr) => {
                let found = match paths.get(expr) {
                    Some(compiled) => search(compiled, &result.data),
                    None => compile(expr).and_then(|c| search(&c, &result.data)),
                };
                found.map_err(|e| format!("output '{}': {e}", spec.name))?
            }
            OutputKind::Template(src) => {
                let json = result.to_json();
                let ctx = base.with(vec![
                    ("result", crate::template::to_value(&result.data)),
                    ("meta", crate::template::to_value(&json["meta"])),
                    ("status", crate::template::to_value(&json["status"])),
                ]);
                Value::String(
                    templates
                        .render(src, &ctx)
                        .map_err(|e| format!("output '{}': {e}", spec.name))?,
                )
            }
        };
        outputs.insert(spec.name.clone(), value);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::FlowStore;
    use serde_json::json;
    use std::sync::Arc;

    fn spec(name: &str, kind: OutputKind) -> OutputSpec {
        OutputSpec {
            name: name.into(),
            kind,
            secret: false,
        }
    }

    #[test]
    fn every_output_type() {
        let result = ProviderResult::ok(json!({"users": [{"name": "ann"}, {"name": "bo"}]}))
            .with_meta("m", json!(7));
        let specs = vec![
            spec("all", OutputKind::Json),
            spec("names", OutputKind::JmesPath("users[].name".into())),
            spec("none", OutputKind::JmesPath("nothing.here".into())),
            spec(
                "t",
                OutputKind::Template(
                    "{{ result.users[1].name }}/{{ meta.m }}/{{ status.success }}".into(),
                ),
            ),
        ];
        let mut templates = Templates::new();
        templates
            .compile("{{ result.users[1].name }}/{{ meta.m }}/{{ status.success }}")
            .unwrap();
        let base = BaseContext::new(Arc::new(FlowStore::new()), &json!({}));
        let out = extract(&specs, &result, &templates, &JmesPaths::new(), &base).unwrap();
        assert_eq!(out["all"], result.data);
        assert_eq!(out["names"], json!(["ann", "bo"]));
        assert_eq!(out["none"], Value::Null);
        // Jinja prints booleans the Python way.
        assert_eq!(out["t"], json!("bo/7/True"));
    }

    #[test]
    fn bad_expression_is_explained() {
        assert!(compile("a[").unwrap_err().contains("does not parse"));
    }
}
