//! The result every provider returns (SPEC R10).

use serde_json::{Map, Value};

/// The `status` part of a provider result.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Whether the call succeeded.
    pub success: bool,
    /// A provider-specific code (exit code, HTTP status), if any.
    pub code: Option<i64>,
    /// Human-readable notes; on failure they become the step's error.
    pub notes: Vec<String>,
}

/// `{status, data, meta}`: what a provider call produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderResult {
    /// Success flag, code and notes.
    pub status: Status,
    /// The data the step's outputs are picked from.
    pub data: Value,
    /// Extra facts about the call (headers, stderr, ...). Keys that look like
    /// secrets are redacted by the host before anything shows them.
    pub meta: Map<String, Value>,
}

impl ProviderResult {
    /// A successful result carrying `data`, no code, no notes, empty meta.
    pub fn ok(data: Value) -> Self {
        ProviderResult {
            status: Status {
                success: true,
                code: None,
                notes: Vec::new(),
            },
            data,
            meta: Map::new(),
        }
    }

    /// A failed result with one note and null data.
    pub fn failed(note: impl Into<String>) -> Self {
        ProviderResult {
            status: Status {
                success: false,
                code: None,
                notes: vec![note.into()],
            },
            data: Value::Null,
            meta: Map::new(),
        }
    }

    /// Sets the status code.
    pub fn with_code(mut self, code: Option<i64>) -> Self {
        self.status.code = code;
        self
    }

    /// Adds one `meta` entry.
    pub fn with_meta(mut self, key: &str, value: Value) -> Self {
        self.meta.insert(key.to_string(), value);
        self
    }

    /// The whole result as the JSON mapping `{status: {success, code, notes}, data, meta}`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "status": {
                "success": self.status.success,
                "code": self.status.code,
                "notes": self.status.notes,
            },
            "data": self.data,
            "meta": self.meta,
        })
    }

    /// Reads a result back from its JSON mapping (the form that crosses the
    /// plugin boundary). Missing parts take their defaults.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let obj = value
            .as_object()
            .ok_or_else(|| "a provider result must be a JSON object".to_string())?;
        let status = obj.get("status").cloned().unwrap_or(Value::Null);
        let success = status
            .get("success")
            .and_then(Value::as_bool)
            .ok_or_else(|| "a provider result needs status.success (a boolean)".to_string())?;
        let code = status.get("code").and_then(Value::as_i64);
        let notes = match status.get("notes") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|n| match n {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let meta = match obj.get("meta") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        Ok(ProviderResult {
            status: Status {
                success,
                code,
                notes,
            },
            data: obj.get("data").cloned().unwrap_or(Value::Null),
            meta,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_keeps_every_part() {
        let r = ProviderResult::failed("boom")
            .with_code(Some(3))
            .with_meta("stderr", json!("x"));
        let back = ProviderResult::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn from_json_requires_success() {
        assert!(ProviderResult::from_json(&json!({"data": 1})).is_err());
    }
}
