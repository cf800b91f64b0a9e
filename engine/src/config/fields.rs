//! The values of a step's `input` (SPEC R9) and `output` specs (R12), read
//! from YAML with a message for what is wrong.

use super::load::kind_of;
use super::model::{InputSpec, OutputKind, OutputSpec};
use serde_json::{Map, Value};

/// A step's `input`.
pub fn input_spec(value: Option<&Value>) -> Result<InputSpec, String> {
    Ok(match value {
        None | Some(Value::Null) => InputSpec::None,
        Some(Value::String(s)) => InputSpec::Text(s.clone()),
        Some(v @ (Value::Bool(_) | Value::Number(_))) => InputSpec::Literal(v.clone()),
        Some(Value::Object(m)) => match m.get("type").and_then(Value::as_str) {
            Some(t @ ("parameter" | "value")) => InputSpec::Text(field_text(m, "value", t)?),
            Some(t @ ("filter" | "body" | "template")) => {
                InputSpec::Text(field_text(m, "template", t)?)
            }
            _ => InputSpec::Structured(Value::Object(m.clone())),
        },
        Some(v @ Value::Array(_)) => InputSpec::Structured(v.clone()),
    })
}

fn field_text(m: &Map<String, Value>, field: &str, kind: &str) -> Result<String, String> {
    match m.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Null) | None => Err(format!("an input of type `{kind}` needs `{field}`")),
        Some(other) => Ok(other.to_string()),
    }
}

/// One output spec.
pub fn output_spec(spec: &Value) -> Result<OutputSpec, String> {
    let m = spec.as_object().ok_or_else(|| {
        format!(
            "must be a mapping {{name, type, value}}, not {}",
            kind_of(spec)
        )
    })?;
    let name = match m.get("name") {
        Some(Value::String(n)) if !n.is_empty() => n.clone(),
        None | Some(Value::Null) => return Err("has no `name`".into()),
        Some(Value::String(_)) => return Err("has an empty `name`".into()),
        Some(v) => return Err(format!("has a `name` that is {}, not a string", kind_of(v))),
    };
    let value = m.get("value");
    let value_text = || match value {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(format!("output '{name}' needs a `value` (a string)")),
    };
    let kind = match m
        .get("type")
        .and_then(|t| t.as_str().map(str::to_string).or(Some(t.to_string())))
    {
        Some(t) if t == "json" => OutputKind::Json,
        Some(t) if t == "jmespath" => OutputKind::JmesPath(value_text()?),
        Some(t) if t == "template" => OutputKind::Template(value_text()?),
        Some(t) if t == "null" => implicit_kind(value),
        Some(t) => {
            return Err(format!(
                "output '{name}' has unknown type {t:?}: use json, jmespath or template"
            ))
        }
        None => implicit_kind(value),
    };
    let secret = match m.get("secret") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(format!(
                "output '{name}': `secret` must be true or false, not {other}"
            ))
        }
    };
    Ok(OutputSpec { name, kind, secret })
}

fn implicit_kind(value: Option<&Value>) -> OutputKind {
    match value {
        Some(Value::String(s)) if s.contains("{{") => OutputKind::Template(s.clone()),
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
            input_spec(Some(&json!("x"))).unwrap(),
            InputSpec::Text("x".into())
        );
        assert_eq!(
            input_spec(Some(&json!({"type": "value", "value": "v"}))).unwrap(),
            InputSpec::Text("v".into())
        );
        assert_eq!(
            input_spec(Some(&json!({"type": "body", "template": "t"}))).unwrap(),
            InputSpec::Text("t".into())
        );
        assert_eq!(
            input_spec(Some(&json!(3))).unwrap(),
            InputSpec::Literal(json!(3))
        );
        assert!(matches!(
            input_spec(Some(&json!({"a": 1}))).unwrap(),
            InputSpec::Structured(_)
        ));
        assert!(input_spec(Some(&json!({"type": "parameter"}))).is_err());
    }

    #[test]
    fn output_forms() {
        let o = output_spec(&json!({"name": "a"})).unwrap();
        assert_eq!(o.kind, OutputKind::Json);
        let o = output_spec(&json!({"name": "a", "value": "{{ result.x }}"})).unwrap();
        assert_eq!(o.kind, OutputKind::Template("{{ result.x }}".into()));
        let o = output_spec(&json!({"name": "a", "type": "jmespath", "value": "x"})).unwrap();
        assert_eq!(o.kind, OutputKind::JmesPath("x".into()));
        assert!(output_spec(&json!({"type": "json"})).is_err());
        assert!(output_spec(&json!({"name": "a", "type": "xml"})).is_err());
    }
}
