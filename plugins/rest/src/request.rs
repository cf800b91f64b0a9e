//! Parsing the `rest` configuration and making the request.

use flowtoy_plugin_api::{Payload, ProviderResult};
use reqwest::blocking::Client;
use reqwest::Method;
use serde_json::{Map, Value};
use std::error::Error as _;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

/// Default cap on a response body (64 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// How the payload is sent.
#[derive(Debug, Clone, PartialEq)]
enum InputMode {
    /// As the query parameter with this name.
    Parameter(String),
    /// As the JSON body.
    Body,
}

/// The parsed `rest` configuration.
#[derive(Debug, Clone)]
pub struct RestConfig {
    url: String,
    method: Method,
    headers: Vec<(String, String)>,
    timeout: Duration,
    input_mode: InputMode,
    max_response_bytes: u64,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One shared client: connection pools and TLS set-up are made once.
fn client() -> Result<&'static Client, String> {
    static CLIENT: OnceLock<Result<Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            Client::builder()
                .build()
                .map_err(|e| format!("rest: cannot build HTTP client: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The error and its causes, e.g. `error sending request: connection refused`.
fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    if err.is_timeout() && !text.contains("timed out") {
        text.push_str(" (timed out)");
    }
    text
}

impl RestConfig {
    /// Reads a configuration mapping.
    pub fn parse(configuration: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let cfg = configuration.as_object().unwrap_or(&empty);
        let url = cfg
            .get("url")
            .and_then(Value::as_str)
            .ok_or_else(|| "rest: `url` is required (a string)".to_string())?
            .to_string();
        let method_name = cfg
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_uppercase();
        let method = Method::from_bytes(method_name.as_bytes())
            .map_err(|_| format!("rest: `method` {method_name:?} is not an HTTP method"))?;
        let headers = match cfg.get("headers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect(),
            Some(other) => return Err(format!("rest: `headers` must be a mapping, got {other}")),
        };
        let timeout = match cfg.get("timeout") {
            None | Some(Value::Null) => Duration::from_secs(30),
            Some(v) => Duration::from_secs_f64(
                v.as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| {
                        format!("rest: `timeout` must be a positive number of seconds, got {v}")
                    })?,
            ),
        };
        let input_mode = match cfg
            .get("input_mode")
            .and_then(Value::as_str)
            .unwrap_or("parameter")
        {
            "parameter" => InputMode::Parameter(
                cfg.get("param_name")
                    .and_then(Value::as_str)
                    .unwrap_or("id")
                    .to_string(),
            ),
            "body" => InputMode::Body,
            other => {
                return Err(format!(
                    "rest: unknown input_mode '{other}' (use parameter or body)"
                ))
            }
        };
        let max_response_bytes = cfg
            .get("max_response_bytes")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        Ok(RestConfig {
            url,
            method,
            headers,
            timeout,
            input_mode,
            max_response_bytes,
        })
    }

    /// Sends the request; every failure becomes a failed result.
    pub fn send(&self, payload: &Payload) -> ProviderResult {
        let client = match client() {
            Ok(c) => c,
            Err(e) => return ProviderResult::failed(e),
        };
        let mut req = client
            .request(self.method.clone(), &self.url)
            .timeout(self.timeout);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        if let Some(p) = payload {
            req = match &self.input_mode {
                InputMode::Parameter(name) => req.query(&[(name.as_str(), text_of(p))]),
                InputMode::Body => {
                    let body = match p {
                        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| p.clone()),
                        other => other.clone(),
                    };
                    req.json(&body)
                }
            };
        }
        let resp = match req.send() {
            Ok(r) => r,
            Err(e) => return ProviderResult::failed(describe(&e)),
        };
        let code = resp.status().as_u16();
        let headers: Map<String, Value> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                )
            })
            .collect();
        let is_json = headers
            .get("content-type")
            .and_then(Value::as_str)
            .is_some_and(|ct| ct.contains("json"));
        let mut body = Vec::new();
        let cap = self.max_response_bytes;
        let read = resp.take(cap + 1).read_to_end(&mut body);
        let mut result = ProviderResult::ok(Value::Null)
            .with_code(Some(i64::from(code)))
            .with_meta("status_code", Value::from(code))
            .with_meta("headers", Value::Object(headers));
        let fail = |mut r: ProviderResult, note: String| {
            r.status.success = false;
            r.status.notes.push(note);
            r
        };
        if let Err(e) = read {
            // The client's own error (a timeout, a reset) says more than the wrapper.
            let why = match e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>()) {
                Some(inner) => describe(inner),
                None => e.to_string(),
            };
            return fail(result, format!("reading the response failed: {why}"));
        }
        if body.len() as u64 > cap {
            return fail(
                result,
                format!("response body exceeded max_response_bytes ({cap} bytes)"),
            );
        }
        let text = String::from_utf8_lossy(&body);
        result.data = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(e) if is_json && !text.trim().is_empty() => {
                return fail(
                    result,
                    format!("response says it is JSON but does not parse: {e}"),
                );
            }
            Err(_) => Value::String(text.into_owned()),
        };
        if !(200..300).contains(&code) {
            return fail(result, format!("HTTP status {code}"));
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults() {
        let c = RestConfig::parse(&json!({"url": "http://127.0.0.1:1/x"})).unwrap();
        assert_eq!(c.method, Method::GET);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.input_mode, InputMode::Parameter("id".into()));
    }

    #[test]
    fn bad_configuration_is_an_error() {
        assert!(RestConfig::parse(&json!({})).unwrap_err().contains("url"));
        assert!(RestConfig::parse(&json!({"url": "x", "input_mode": "form"})).is_err());
        assert!(RestConfig::parse(&json!({"url": "x", "method": "GE T"})).is_err());
    }
}
