//! Parsing the `rest` configuration and making the request.

use flowtoy_plugin_api::{Payload, ProviderResult};
use reqwest::Client;
use reqwest::Method;
use serde_json::{Map, Value};
use std::error::Error as _;
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

    /// The request this call makes: the configuration, changed by a
    /// structured payload (see [`RequestParts`]).
    fn request(&self, payload: &Payload) -> Result<reqwest::RequestBuilder, String> {
        let client = client()?;
        let parts = RequestParts::of(payload)?;
        let (url, method) = match &parts {
            Some(p) => (
                p.url.as_deref().unwrap_or(&self.url),
                p.method.clone().unwrap_or_else(|| self.method.clone()),
            ),
            None => (self.url.as_str(), self.method.clone()),
        };
        let mut req = client.request(method, url).timeout(self.timeout);
        for (k, v) in &self.headers {
            req = req.header(k, v);
        }
        match parts {
            Some(parts) => {
                for (k, v) in &parts.headers {
                    req = req.header(k, v);
                }
                if !parts.params.is_empty() {
                    req = req.query(&parts.params);
                }
                if let Some(body) = &parts.body {
                    req = req.json(&json_body(body));
                }
            }
            None => {
                if let Some(p) = payload {
                    req = match &self.input_mode {
                        InputMode::Parameter(name) => req.query(&[(name.as_str(), text_of(p))]),
                        InputMode::Body => req.json(&json_body(p)),
                    };
                }
            }
        }
        Ok(req)
    }

    /// Sends the request; every failure becomes a failed result. Dropping
    /// the future aborts the request (its connection is closed).
    pub async fn send(&self, payload: &Payload) -> ProviderResult {
        let req = match self.request(payload) {
            Ok(r) => r,
            Err(e) => return ProviderResult::failed(e),
        };
        let mut resp = match req.send().await {
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
        let mut result = ProviderResult::ok(Value::Null)
            .with_code(Some(i64::from(code)))
            .with_meta("status_code", Value::from(code))
            .with_meta("headers", Value::Object(headers));
        let fail = |mut r: ProviderResult, note: String| {
            r.status.success = false;
            r.status.notes.push(note);
            r
        };
        let cap = self.max_response_bytes;
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > cap {
                        return fail(
                            result,
                            format!("response body exceeded max_response_bytes ({cap} bytes)"),
                        );
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return fail(
                        result,
                        format!("reading the response failed: {}", describe(&e)),
                    )
                }
            }
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

/// A body to send as JSON: a string that is JSON is sent as that value,
/// other strings as a JSON string (SPEC R11).
fn json_body(value: &Value) -> Value {
    match value {
        Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

/// The keys of a structured payload.
const REQUEST_KEYS: [&str; 5] = ["url", "method", "headers", "params", "body"];

/// A structured payload: a mapping whose keys are all among `url`,
/// `method`, `headers`, `params` and `body` (or JSON text of one). It
/// describes this call's request: `url` and `method` replace the
/// configuration's, `headers` are added to the configuration's (the
/// payload's win on the same name), `params` are added to the query, and
/// `body` is sent as JSON; `input_mode` does not apply. Any other payload is
/// sent as `input_mode` says.
#[derive(Debug, Default, PartialEq)]
pub struct RequestParts {
    url: Option<String>,
    method: Option<Method>,
    headers: Vec<(String, String)>,
    params: Vec<(String, String)>,
    body: Option<Value>,
}

impl RequestParts {
    /// The parts `payload` describes, `None` when it is no request
    /// description; an error for a description with a wrong value.
    pub fn of(payload: &Payload) -> Result<Option<Self>, String> {
        let parsed;
        let map = match payload {
            Some(Value::Object(m)) => m,
            Some(Value::String(s)) if s.trim_start().starts_with('{') => {
                parsed = serde_json::from_str::<Value>(s).ok();
                match &parsed {
                    Some(Value::Object(m)) => m,
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        if map.is_empty() || !map.keys().all(|k| REQUEST_KEYS.contains(&k.as_str())) {
            return Ok(None);
        }
        let pairs = |key: &str| -> Result<Vec<(String, String)>, String> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(m)) => {
                    Ok(m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
                }
                Some(other) => Err(format!(
                    "rest: the payload's `{key}` must be a mapping, got {other}"
                )),
            }
        };
        let url = match map.get("url") {
            None | Some(Value::Null) => None,
            Some(Value::String(u)) => Some(u.clone()),
            Some(other) => {
                return Err(format!(
                    "rest: the payload's `url` must be a string, got {other}"
                ))
            }
        };
        let method = match map.get("method") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let name = text_of(v).to_uppercase();
                Some(Method::from_bytes(name.as_bytes()).map_err(|_| {
                    format!("rest: the payload's `method` {name:?} is not an HTTP method")
                })?)
            }
        };
        Ok(Some(RequestParts {
            url,
            method,
            headers: pairs("headers")?,
            params: pairs("params")?,
            body: map.get("body").filter(|b| !b.is_null()).cloned(),
        }))
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
    fn a_mapping_of_request_keys_describes_the_request() {
        let parts = RequestParts::of(&Some(json!({
            "url": "http://127.0.0.1:1/users/7", "method": "post",
            "headers": {"X-A": "1"}, "params": {"q": 3}, "body": {"n": 1}
        })))
        .unwrap()
        .unwrap();
        assert_eq!(parts.url.as_deref(), Some("http://127.0.0.1:1/users/7"));
        assert_eq!(parts.method, Some(Method::POST));
        assert_eq!(parts.params, [("q".to_string(), "3".to_string())]);
        // JSON text of one works too; other mappings are payloads as before.
        assert!(RequestParts::of(&Some(json!("{\"url\": \"http://x\"}")))
            .unwrap()
            .is_some());
        assert!(RequestParts::of(&Some(json!({"url": "x", "id": 1})))
            .unwrap()
            .is_none());
        assert!(RequestParts::of(&Some(json!("7"))).unwrap().is_none());
        assert!(RequestParts::of(&Some(json!({"headers": 5}))).is_err());
    }

    #[test]
    fn bad_configuration_is_an_error() {
        assert!(RestConfig::parse(&json!({})).unwrap_err().contains("url"));
        assert!(RestConfig::parse(&json!({"url": "x", "input_mode": "form"})).is_err());
        assert!(RestConfig::parse(&json!({"url": "x", "method": "GE T"})).is_err());
    }
}
