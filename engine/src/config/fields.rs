//! The values of a step's `input` (SPEC R9) and `output` specs (R12), read
//! from YAML with a message for what is wrong.

use super::load::kind_of;
use super::model::{InputSpec, OutputKind, OutputSpec};
use serde_json::{Map, Value};

/// A step's `input`, taken from the step.
pub fn input_spec(value: Option<Value>) -> Result<InputSpec, String> {
    Ok(match value {
        None | Some(Value::Null) => InputSpec::None,
        Some(Value::String(s)) => InputSpec::Text(s),
        Some(v @ (Value::Bool(_) | Value::Number(_))) => InputSpec::Literal(Box::new(v)),
        Some(Value::Object(mut m)) => match m.get("type").and_then(Value::as_str) {
            Some("parameter" | "value") => InputSpec::Text(field_text(&mut m, "value")?),
            Some("filter" | "body" | "template") => {
                InputSpec::Text(field_text(&mut m, "template")?)
            }
            _ => InputSpec::Structured(Box::new(Value::Object(m))),
        },
        Some(v @ Value::Array(_)) => InputSpec::Structured(Box::new(v)),
    })
}

/// The text of `field` of an input of a `type` that names one.
fn field_text(m: &mut Map<String, Value>, field: &str) -> Result<String, String> {
    match m.shift_remove(field) {
        Some(Value::String(s)) => Ok(s),
        Some(Value::Null) | None => {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or_default();
            Err(format!("an input of type `{kind}` needs `{field}`"))
        }
        Some(other) => Ok(other.to_string()),
    }
}

/// One output spec, taken from the step.
pub fn output_spec(spec: Value) -> Result<OutputSpec, String> {
    let m = match spec {
        Value::Object(m) => m,
        other => {
            return Err(format!(
                "must be a mapping {{name, type, value}}, not {}",
                kind_of(&other)
            ))
        }
    };
    // One pass over the fields, in order: their texts move into the spec.
    let (mut name, mut kind, mut value, mut secret) = (None, None, None, None);
    for (key, v) in m {
        match key.as_str() {
            "name" => name = Some(v),
            "type" => kind = Some(v),
            "value" => value = Some(v),
            "secret" => secret = Some(v),
            _ => {}
        }
    }
    let name = match name {
        Some(Value::String(n)) if !n.is_empty() => n,
        None | Some(Value::Null) => return Err("has no `name`".into()),
        Some(Value::String(_)) => return Err("has an empty `name`".into()),
        Some(v) => {
            return Err(format!(
                "has a `name` that is {}, not a string",
                kind_of(&v)
            ))
        }
    };
    let value_text = |value: Option<Value>| match value {
        Some(Value::String(s)) => Ok(s),
        _ => Err(format!("output '{name}' needs a `value` (a string)")),
    };
    let kind = match kind {
        None | Some(Value::Null) => implicit_kind(value),
        Some(Value::String(t)) if t == "json" => OutputKind::Json,
        Some(Value::String(t)) if t == "jmespath" => OutputKind::JmesPath(value_text(value)?),
        Some(Value::String(t)) if t == "template" => OutputKind::Template(value_text(value)?),
        Some(Value::String(t)) if t == "null" => implicit_kind(value),
        Some(other) => {
            let t = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_string);
            return Err(format!(
                "output '{name}' has unknown type {t:?}: use json, jmespath or template"
            ));
        }
    };
    let secret = match secret {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(other) => {
            return Err(format!(
                "output '{name}': `secret` must be true or false, not {other}"
            ))
        }
    };
    Ok(OutputSpec { name, kind, secret })
}

fn implicit_kind(value: Option<Value>) -> OutputKind {
    match value {
        Some(Value::String(s)) if s.contains("{{") => OutputKind::Template(s),
        _ => OutputKind::Json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_forms() {
        assert_eq!(input_spec(None).unwrap(), InputSpec::None);
        assert_eq!(
            input_spec(Some(json!("x"))).unwrap(),
            InputSpec::Text("x".into())
        );
        assert_eq!(
            input_spec(Some(json!({"type": "value", "value": "v"}))).unwrap(),
            InputSpec::Text("v".into())
        );
        assert_eq!(
            input_spec(Some(json!({"type": "body", "template": "t"}))).unwrap(),
            InputSpec::Text("t".into())
        );
        assert_eq!(
            input_spec(Some(json!(3))).unwrap(),
            InputSpec::Literal(Box::new(json!(3)))
        );
        assert!(matches!(
            input_spec(Some(json!({"a": 1}))).unwrap(),
            InputSpec::Structured(_)
        ));
        assert!(input_spec(Some(json!({"type": "parameter"}))).is_err());
    }

    #[test]
    fn output_forms() {
        let o = output_spec(json!({"name": "a"})).unwrap();
        assert_eq!(o.kind, OutputKind::Json);
        let o = output_spec(json!({"name": "a", "value": "{{ result.x }}"})).unwrap();
        assert_eq!(o.kind, OutputKind::Template("{{ result.x }}".into()));
        let o = output_spec(json!({"name": "a", "type": "jmespath", "value": "x"})).unwrap();
        assert_eq!(o.kind, OutputKind::JmesPath("x".into()));
        assert!(output_spec(json!({"type": "json"})).is_err());
        assert!(output_spec(json!({"name": "a", "type": "xml"})).is_err());
    }
}
