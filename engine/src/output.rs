//! Output extraction (SPEC R12): what a step keeps from its provider's result.

use crate::config::{OutputKind, OutputSpec};
use crate::flows::StepOutputs;
use crate::template::{BaseContext, Templates};
use flowtoy_plugin_api::ProviderResult;
use jmespath::Expression;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// JMESPath expressions of a flow, compiled once.
pub type JmesPaths = HashMap<String, Arc<Expression<'static>>>;

/// Evaluates a compiled expression over `data`; no match is `null`.
pub fn search(expr: &Expression<'_>, data: &Value) -> Result<Value, String> {
    let found = expr.search(data).map_err(|e| e.to_string())?;
    serde_json::to_value(&*found).map_err(|e| e.to_string())
}

/// Compiles one expression, with a message that says what is wrong.
pub fn compile(expr: &str) -> Result<Expression<'static>, String> {
    // The jmespath crate's lexer panics on some input; refuse it here with a
    // message instead.
    if let Some(reason) = lexer_trap(expr) {
        return Err(format!(
            "JMESPath expression `{expr}` does not parse: {reason}"
        ));
    }
    jmespath::compile(expr)
        .map_err(|e| format!("JMESPath expression `{expr}` does not parse: {}", e.reason))
}

/// What the jmespath crate's lexer would panic on (found by fuzzing), outside
/// quotes and literals: a number that does not fit in an `i32`
/// (`a[99999999999]`), or `-` before a numeric character that is not an
/// ASCII digit (`-½`).
fn lexer_trap(expr: &str) -> Option<String> {
    let mut quote: Option<char> = None;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if c == '-' => match chars.peek() {
                Some(&(_, next)) if next.is_numeric() && !next.is_ascii_digit() => {
                    return Some(format!("'-' must be followed by digits 1-9, not '{next}'"));
                }
                _ => {}
            },
            None if c.is_ascii_digit() => {
                let len = expr[i..].bytes().take_while(u8::is_ascii_digit).count();
                let digits = &expr[i..i + len];
                if digits.parse::<i32>().is_err() {
                    return Some(format!("the number {digits} is too large"));
                }
                while chars.next_if(|(_, c)| c.is_ascii_digit()).is_some() {}
            }
            None => {}
        }
    }
    None
}

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
    #[test]
    fn numbers_too_large_for_the_jmespath_crate_are_refused_not_panicked_on() {
        let e = super::compile("a[99999999999]").err().unwrap_or_default();
        assert!(e.contains("the number 99999999999 is too large"), "{e}");
        // Found by fuzzing too: `-` before `½` (numeric, not a digit).
        let e = compile("a[-½]").unwrap_err();
        assert!(
            e.contains("'-' must be followed by digits 1-9, not '½'"),
            "{e}"
        );
        assert!(compile("a[-1]").is_ok());
        assert!(compile("`\"-½\"`").is_ok());
        assert!(super::compile("a[?id == '99999999999']").is_ok());
        assert!(super::compile("a[2147483647]").is_ok());
    }

    use super::*;
    use crate::flows::FlowStore;
    use serde_json::json;

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
