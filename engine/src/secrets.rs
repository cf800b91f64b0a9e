//! Secret values (SPEC R24): what counts as one, and masking them wherever
//! text or JSON is shown.
//!
//! The registry is process-wide: once a value is known to be secret it is
//! masked in every log line, status note and printed output of this process,
//! whichever runner found it.

use serde_json::Value;
use std::borrow::Cow;
use std::sync::{OnceLock, RwLock};

/// What a secret value is shown as.
pub const MASK: &str = "***REDACTED***";

/// Shorter values are not masked (they would mask ordinary text).
pub const MIN_SECRET_LEN: usize = 4;

/// Name parts that make an environment variable secret (case-insensitive).
const SECRET_NAME_PARTS: [&str; 6] = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// True when an environment variable's name marks its value as secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_uppercase();
    SECRET_NAME_PARTS.iter().any(|part| upper.contains(part))
}

/// A set of secret values, longest first.
#[derive(Debug, Default)]
pub struct Secrets {
    values: RwLock<Vec<String>>,
}

impl Secrets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value (ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn add(&self, value: &str) {
        if value.chars().count() < MIN_SECRET_LEN {
            return;
        }
        let mut values = self.values.write().unwrap_or_else(|e| e.into_inner());
        if !values.iter().any(|v| v == value) {
            values.push(value.to_string());
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// Adds a JSON value: a string or number as its text; a list or mapping
    /// as its JSON text and every string and number inside it. Booleans and
    /// null are never secret.
    pub fn add_json(&self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Number(n) => self.add(&n.to_string()),
            Value::Null | Value::Bool(_) => {}
            Value::Array(items) => {
                self.add(&value.to_string());
                items.iter().for_each(|v| self.add_json(v));
            }
            Value::Object(m) => {
                self.add(&value.to_string());
                m.values().for_each(|v| self.add_json(v));
            }
        }
    }

    /// True when no secret is known.
    pub fn is_empty(&self) -> bool {
        self.values
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
    }

    /// `text` with every secret replaced by [`MASK`].
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let values = self.values.read().unwrap_or_else(|e| e.into_inner());
        let mut out = Cow::Borrowed(text);
        for secret in values.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
        out
    }

    /// A copy of `value` with every secret inside its strings masked.
    pub fn mask_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.mask(s).into_owned()),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.mask_json(v)).collect()),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.mask_json(v)))
                    .collect(),
            ),
            other => {
                let text = other.to_string();
                match self.mask(&text) {
                    Cow::Borrowed(_) => other.clone(),
                    Cow::Owned(masked) => Value::String(masked),
                }
            }
        }
    }
}

/// The process-wide set of secret values.
pub fn registry() -> &'static Secrets {
    static REGISTRY: OnceLock<Secrets> = OnceLock::new();
    REGISTRY.get_or_init(Secrets::new)
}

/// `text` with every known secret masked (shorthand for `registry().mask`).
pub fn mask(text: &str) -> Cow<'_, str> {
    registry().mask(text)
}

/// `value` with every known secret masked (shorthand for `registry().mask_json`).
pub fn mask_json(value: &Value) -> Value {
    registry().mask_json(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_that_make_secrets() {
        for name in [
            "API_KEY",
            "github_token",
            "DbPassword",
            "passwd",
            "AWS_SECRET",
            "credentials",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        assert!(!is_secret_name("HOME"));
    }

    #[test]
    fn masks_text_and_json_but_not_short_values() {
        let s = Secrets::new();
        s.add("hunter2");
        s.add("abc");
        s.add_json(&json!({"pin": 123456}));
        assert_eq!(s.mask("pw=hunter2, abc"), "pw=***REDACTED***, abc");
        assert_eq!(
            s.mask_json(&json!({"a": ["x hunter2 y"], "n": 123456, "ok": 7})),
            json!({"a": ["x ***REDACTED*** y"], "n": "***REDACTED***", "ok": 7})
        );
    }

    #[test]
    fn longer_secrets_are_masked_first() {
        let s = Secrets::new();
        s.add("abcd");
        s.add("abcdefgh");
        assert_eq!(s.mask("abcdefgh"), MASK);
    }
}
