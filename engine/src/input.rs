//! Payload building (SPEC R9): a step's `input` rendered into what its provider gets.

use crate::config::InputSpec;
use crate::template::{self, BaseContext, Templates};
use flowtoy_plugin_api::Payload;
use serde_json::Value;

/// Renders a step's input into its payload; the context is only built when
/// the input holds templates.
pub fn build_payload(
    input: &InputSpec,
    templates: &Templates,
    base: &BaseContext,
) -> Result<Payload, String> {
    Ok(match input {
        InputSpec::None => None,
        InputSpec::Text(src) if !template::is_template(src) => Some(Value::String(src.clone())),
        InputSpec::Text(src) => Some(Value::String(
            templates.render(src, &base.with(Vec::new()))?,
        )),
        InputSpec::Structured(v) if !template::value_has_template(v) => Some(Value::clone(v)),
        InputSpec::Structured(v) => Some(templates.render_value(v, &base.with(Vec::new()))?),
        InputSpec::Literal(v) => Some(Value::clone(v)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::FlowStore;
    use serde_json::json;
    use std::sync::Arc;

    #[test]
    fn each_input_form() {
        let store = Arc::new(FlowStore::new());
        store.insert("a", json!({"x": 5}).as_object().unwrap().clone());
        let ctx = BaseContext::new(store, &json!({}));
        let mut t = Templates::new();
        for src in ["{{ flows.a.x }}", "n={{ flows.a.x + 1 }}"] {
            t.compile(src).unwrap();
        }
        assert_eq!(build_payload(&InputSpec::None, &t, &ctx).unwrap(), None);
        assert_eq!(
            build_payload(&InputSpec::Text("{{ flows.a.x }}".into()), &t, &ctx).unwrap(),
            Some(json!("5"))
        );
        let structured =
            InputSpec::Structured(Box::new(json!({"k": ["n={{ flows.a.x + 1 }}", 2]})));
        assert_eq!(
            build_payload(&structured, &t, &ctx).unwrap(),
            Some(json!({"k": ["n=6", 2]}))
        );
        assert_eq!(
            build_payload(&InputSpec::Literal(Box::new(json!(true))), &t, &ctx).unwrap(),
            Some(json!(true))
        );
    }
}
