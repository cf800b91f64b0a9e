//! JMESPath queries over JSON data (SPEC R12, R8): compiled once at
//! validation, evaluated by output extraction and by the templates'
//! `jmespath()` function.

use jmespath::ast::Ast;
use jmespath::{Expression, Variable};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// JMESPath expressions of a flow, compiled once.
pub type JmesPaths = HashMap<String, Arc<Expression<'static>>>;

/// Evaluates a compiled expression over `data`; no match is `null`.
///
/// The jmespath crate keeps objects in a `BTreeMap` (sorted keys); the
/// result's objects get their keys back in the order of the data (an
/// object picked from `data` keeps the order it has there) or of the
/// expression (a multi-select hash `{b: b, a: a}` keeps `b, a`), as the
/// Python flowtoy does. An object found in neither (made by a function such
/// as `merge`) keeps sorted keys.
pub fn search(expr: &Expression<'_>, data: &Value) -> Result<Value, String> {
    let found = expr.search(data).map_err(|e| e.to_string())?;
    if !has_object_to_order(&found) {
        return Ok(to_json(&found, &KeyOrders::default()));
    }
    let mut orders = KeyOrders::default();
    orders.learn_from_expression(expr.as_ast());
    orders.learn_from_data(data);
    Ok(to_json(&found, &orders))
}

/// True when `var` holds an object with two keys or more.
fn has_object_to_order(var: &Variable) -> bool {
    match var {
        Variable::Object(map) => map.len() > 1 || map.values().any(|v| has_object_to_order(v)),
        Variable::Array(items) => items.iter().any(|v| has_object_to_order(v)),
        _ => false,
    }
}

/// Key orders by key set: the sorted keys of an object -> its keys in the
/// order first seen (in the expression, then in the data).
#[derive(Default)]
struct KeyOrders<'a> {
    by_set: HashMap<Vec<&'a str>, Vec<&'a str>>,
}

impl<'a> KeyOrders<'a> {
    fn learn(&mut self, keys: Vec<&'a str>) {
        if keys.len() < 2 {
            return;
        }
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        self.by_set.entry(sorted).or_insert(keys);
    }

    fn learn_from_expression(&mut self, ast: &'a Ast) {
        match ast {
            Ast::MultiHash { elements, .. } => {
                self.learn(elements.iter().map(|kv| kv.key.as_str()).collect());
                for kv in elements {
                    self.learn_from_expression(&kv.value);
                }
            }
            Ast::Comparison { lhs, rhs, .. }
            | Ast::Projection { lhs, rhs, .. }
            | Ast::And { lhs, rhs, .. }
            | Ast::Or { lhs, rhs, .. }
            | Ast::Subexpr { lhs, rhs, .. } => {
                self.learn_from_expression(lhs);
                self.learn_from_expression(rhs);
            }
            Ast::Condition {
                predicate, then, ..
            } => {
                self.learn_from_expression(predicate);
                self.learn_from_expression(then);
            }
            Ast::Expref { ast: node, .. }
            | Ast::Flatten { node, .. }
            | Ast::Not { node, .. }
            | Ast::ObjectValues { node, .. } => self.learn_from_expression(node),
            Ast::Function { args: nodes, .. }
            | Ast::MultiList {
                elements: nodes, ..
            } => {
                for node in nodes {
                    self.learn_from_expression(node);
                }
            }
            Ast::Identity { .. }
            | Ast::Field { .. }
            | Ast::Index { .. }
            | Ast::Literal { .. }
            | Ast::Slice { .. } => {}
        }
    }

    fn learn_from_data(&mut self, data: &'a Value) {
        match data {
            Value::Object(map) => {
                self.learn(map.keys().map(String::as_str).collect());
                for value in map.values() {
                    self.learn_from_data(value);
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.learn_from_data(item);
                }
            }
            _ => {}
        }
    }
}

/// `var` as JSON, objects in the key order `orders` knows for them.
fn to_json(var: &Variable, orders: &KeyOrders<'_>) -> Value {
    match var {
        Variable::Null => Value::Null,
        Variable::Bool(b) => Value::Bool(*b),
        Variable::Number(n) => Value::Number(n.clone()),
        Variable::String(s) => Value::String(s.clone()),
        Variable::Array(items) => Value::Array(items.iter().map(|v| to_json(v, orders)).collect()),
        Variable::Object(map) => {
            let sorted: Vec<&str> = map.keys().map(String::as_str).collect();
            let keys = orders.by_set.get(&sorted).unwrap_or(&sorted);
            let mut object = Map::with_capacity(map.len());
            for key in keys {
                if let Some(value) = map.get(*key) {
                    object.insert((*key).to_string(), to_json(value, orders));
                }
            }
            Value::Object(object)
        }
        // An expression reference is not data; as the crate serializes it.
        Variable::Expref(ast) => Value::String(format!("<expression: {ast:?}>")),
    }
}

/// Compiles one expression, with a message that says what is wrong.
pub fn compile(expr: &str) -> Result<Expression<'static>, String> {
    jmespath::compile(expr)
        .map_err(|e| format!("JMESPath expression `{expr}` does not parse: {}", e.reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_jmespath_crate_once_panicked_on_is_an_error() {
        // Found by fuzzing jmespath 0.3: a number too large for an `i32`,
        // and `-` before `½` (numeric, not a digit).
        for expr in ["a[99999999999]", "a[-½]"] {
            let e = compile(expr).unwrap_err();
            assert!(e.contains("does not parse"), "{e}");
        }
        assert!(compile("a[-1]").is_ok());
        assert!(compile("`\"-½\"`").is_ok());
        assert!(compile("a[?id == '99999999999']").is_ok());
        assert!(compile("a[2147483647]").is_ok());
    }

    #[test]
    fn objects_keep_the_order_of_the_data_and_of_the_expression() {
        let data: Value = serde_json::from_str(
            r#"{"items": [{"z": 1, "a": 2, "m": {"y": 1, "b": 2}}], "x": "x", "c": "c"}"#,
        )
        .unwrap();
        let found = |expr: &str| {
            serde_json::to_string(&search(&compile(expr).unwrap(), &data).unwrap()).unwrap()
        };
        assert_eq!(found("items[0]"), r#"{"z":1,"a":2,"m":{"y":1,"b":2}}"#);
        assert_eq!(found("items[*].m"), r#"[{"y":1,"b":2}]"#);
        assert_eq!(found("{x: x, c: c}"), r#"{"x":"x","c":"c"}"#);
        assert_eq!(found("{c: c, x: x}"), r#"{"c":"c","x":"x"}"#);
        assert_eq!(
            found("@"),
            r#"{"items":[{"z":1,"a":2,"m":{"y":1,"b":2}}],"x":"x","c":"c"}"#
        );
    }
}
