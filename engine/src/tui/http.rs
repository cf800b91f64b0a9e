//! [`HttpSource`]: the TUI reading a runner's status API over HTTP
//! (`flowtoy tui --status-url`): `GET /status`, `/outputs` and
//! `/steps/{name}` on demand,
//! `GET /events` (Server-Sent Events) for live updates.

use super::source::{EventWatcher, Fetched, StatusSource};
use crate::runner::{StatusReply, StepDetails};
use crate::runner_api::{StatusToken, StatusUrl};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::time::Duration;

/// How long one status or outputs request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);
/// How long connecting to the runner may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A runner's status API over HTTP: polls `/status` and `/outputs`, and
/// listens to `/events` (Server-Sent Events) for live updates.
#[derive(Debug, Clone)]
pub struct HttpSource {
    url: StatusUrl,
    client: reqwest::blocking::Client,
    token: Option<StatusToken>,
}

impl HttpSource {
    /// A source for the runner at `url`: its base URL or its `/status` URL.
    /// The error says what is wrong with the URL.
    pub fn new(url: &str) -> Result<Self, String> {
        let url = StatusUrl::parse(url)?;
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {}", innermost(&e)))?;
        Ok(HttpSource {
            url,
            client,
            token: None,
        })
    }

    /// Sends `token` as `Authorization: Bearer` (`--status-token`).
    pub fn token(mut self, token: Option<StatusToken>) -> Self {
        self.token = token;
        self
    }

    /// The runner's base URL.
    pub fn base(&self) -> &str {
        self.url.base()
    }

    fn get_json(&self, endpoint: &str) -> Result<Value, String> {
        let url = self.url.endpoint(endpoint);
        let response = with_token(self.client.get(&url), self.token.as_ref())
            .send()
            .map_err(|e| format!("cannot reach the runner at {url}: {}", innermost(&e)))?;
        let code = response.status();
        let body = response
            .text()
            .map_err(|e| format!("lost the runner at {url}: {}", innermost(&e)))?;
        if !code.is_success() {
            let detail = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(String::from))
                .unwrap_or_else(|| super::format::truncate(&super::format::one_line(&body), 120));
            return Err(format!(
                "the runner at {url} answered HTTP {code}: {detail}"
            ));
        }
        serde_json::from_str(&body).map_err(|e| {
            format!(
                "the runner at {url} did not answer with JSON ({e}); is this a flowtoy status URL?"
            )
        })
    }
}

impl StatusSource for HttpSource {
    fn label(&self) -> String {
        self.url.base().to_string()
    }

    fn fetch(&mut self) -> Result<Fetched, String> {
        let status = StatusReply::from_json(self.get_json("status")?)?;
        let outputs = self.get_json("outputs")?;
        Ok(Fetched { status, outputs })
    }

    fn details(&mut self, name: &str) -> Result<StepDetails, String> {
        let value = self.get_json(&crate::runner_api::step_path(name))?;
        serde_json::from_value(value).map_err(|e| {
            format!(
                "the runner at {} answered with step details this version cannot read: {e}",
                self.url.base()
            )
        })
    }

    fn watcher(&self) -> Option<Box<dyn EventWatcher>> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(None::<Duration>)
            .build()
            .ok()?;
        Some(Box::new(SseWatcher {
            url: self.url.endpoint("events"),
            client,
            token: self.token.clone(),
        }))
    }
}

/// Reads `GET /events` and reports each event as a change.
struct SseWatcher {
    url: String,
    client: reqwest::blocking::Client,
    token: Option<StatusToken>,
}

/// `request` with `Authorization: Bearer` when there is a token.
fn with_token(
    request: reqwest::blocking::RequestBuilder,
    token: Option<&StatusToken>,
) -> reqwest::blocking::RequestBuilder {
    match token {
        Some(token) => request.bearer_auth(token.reveal()),
        None => request,
    }
}

impl EventWatcher for SseWatcher {
    fn watch(&mut self, changed: &mut dyn FnMut() -> bool) -> Result<(), String> {
        let response = with_token(self.client.get(&self.url), self.token.as_ref())
            .header("accept", "text/event-stream")
            .send()
            .map_err(|e| format!("cannot reach {}: {}", self.url, innermost(&e)))?;
        if !response.status().is_success() {
            return Err(format!("{} answered HTTP {}", self.url, response.status()));
        }
        if !changed() {
            return Ok(());
        }
        let mut in_event = false;
        for line in BufReader::new(response).lines() {
            let line = line.map_err(|e| format!("lost {}: {e}", self.url))?;
            if line.is_empty() {
                // A blank line ends an event; comments (keep-alives) are not events.
                if std::mem::take(&mut in_event) && !changed() {
                    return Ok(());
                }
            } else if !line.starts_with(':') {
                in_event = true;
            }
        }
        Ok(())
    }
}

/// The most specific message in an error's chain (e.g. `Connection refused
/// (os error 111)` rather than `error sending request`), with "timed out"
/// made explicit.
fn innermost(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".into();
    }
    let mut message = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        message = s.to_string();
        source = s.source();
    }
    message
}
