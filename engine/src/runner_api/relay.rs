//! Relay mode: answering the status API by asking a remote runner's status
//! API (`webui --status-url`, SPEC R18, R20). An unreachable runner is a
//! `502 {"error": ...}`, never a crash.

use super::reply::{json_error, json_response, SyncStream};
use super::{StatusToken, StatusUrl};
use crate::runner::StatusReply;
use futures_util::StreamExt;
use std::time::Duration;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// How long connecting to the remote runner may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole JSON request to the remote runner may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A client of a remote runner's status API, used by the relay routes.
#[derive(Debug, Clone)]
pub struct RelayClient {
    url: StatusUrl,
    client: reqwest::Client,
    token: Option<StatusToken>,
}

impl RelayClient {
    /// A client for the runner at `url`.
    pub fn new(url: StatusUrl) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        Ok(RelayClient {
            url,
            client,
            token: None,
        })
    }

    /// Sends `token` as `Authorization: Bearer` to the remote runner.
    pub fn token(mut self, token: Option<StatusToken>) -> Self {
        self.token = token;
        self
    }

    /// A GET of `endpoint`, with the token when there is one.
    fn get(&self, endpoint: &str) -> reqwest::RequestBuilder {
        let request = self.client.get(self.url.endpoint(endpoint));
        match &self.token {
            Some(token) => request.bearer_auth(token.reveal()),
            None => request,
        }
    }

    /// The 502 for a remote runner that refused this relay's token.
    fn refused(&self, endpoint: &str) -> Response {
        json_error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "the runner at {} answered HTTP 401: it needs a token; give the relay its token with --status-token or FLOWTOY_STATUS_TOKEN",
                self.url.endpoint(endpoint)
            ),
        )
    }

    /// The remote runner's address.
    pub fn url(&self) -> &StatusUrl {
        &self.url
    }

    fn unreachable(&self, endpoint: &str, err: &reqwest::Error) -> Response {
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        json_error(
            StatusCode::BAD_GATEWAY,
            &format!(
                "cannot reach the runner at {}: {reason}",
                self.url.endpoint(endpoint)
            ),
        )
    }

    /// Forwards a JSON endpoint (`outputs`, `logs`): the remote answer as
    /// is when it is JSON, else a 502 that says why.
    pub async fn json(&self, endpoint: &str) -> Response {
        match self.fetch(endpoint).await {
            Ok((code, body)) => json_response(code, body),
            Err(error) => error,
        }
    }

    /// Forwards `GET /status`: the remote answer as is (fields this version
    /// does not know pass through) once it reads as a status document
    /// ([`StatusReply`]), else a 502 that says why.
    pub async fn status(&self) -> Response {
        let (code, body) = match self.fetch("status").await {
            Ok(answer) => answer,
            Err(error) => return error,
        };
        if code.is_success() {
            if let Err(e) = serde_json::from_slice::<StatusReply>(&body) {
                return json_error(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "the runner at {} did not answer with a status document: {e}",
                        self.url.endpoint("status")
                    ),
                );
            }
        }
        json_response(code, body)
    }

    /// GETs a JSON endpoint: its status code and body, or the 502 to answer.
    async fn fetch(&self, endpoint: &str) -> Result<(StatusCode, Vec<u8>), Response> {
        let answer = self.get(endpoint).timeout(REQUEST_TIMEOUT).send().await;
        let response = answer.map_err(|e| self.unreachable(endpoint, &e))?;
        let status = response.status().as_u16();
        if status == 401 {
            return Err(self.refused(endpoint));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| self.unreachable(endpoint, &e))?;
        if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
            return Err(json_error(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "the runner at {} answered HTTP {status} with something that is not JSON",
                    self.url.endpoint(endpoint)
                ),
            ));
        }
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        Ok((code, body.to_vec()))
    }

    /// Forwards the remote `/events` stream until it ends or `stop` resolves.
    pub async fn events(
        &self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Response {
        let answer = self
            .get("events")
            .header("accept", "text/event-stream")
            .send()
            .await;
        let response = match answer {
            Ok(r) if r.status().is_success() => r,
            Ok(r) if r.status().as_u16() == 401 => return self.refused("events"),
            Ok(r) => {
                return json_error(
                    StatusCode::BAD_GATEWAY,
                    &format!(
                        "the runner at {} answered HTTP {}",
                        self.url.endpoint("events"),
                        r.status().as_u16()
                    ),
                )
            }
            Err(e) => return self.unreachable("events", &e),
        };
        let stream = SyncStream::new(response.bytes_stream().take_until(Box::pin(stop)));
        let mut reply = warp::reply::stream(stream).into_response();
        let headers = reply.headers_mut();
        headers.insert(
            "content-type",
            warp::http::HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(
            "cache-control",
            warp::http::HeaderValue::from_static("no-cache"),
        );
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_urls_are_normalised_to_their_base() {
        for given in [
            "http://h:8000",
            "http://h:8000/",
            "http://h:8000/status",
            "http://h:8000/status/",
        ] {
            assert_eq!(StatusUrl::parse(given).unwrap().base(), "http://h:8000");
        }
        assert_eq!(
            StatusUrl::parse("https://h/runner/status").unwrap().base(),
            "https://h/runner"
        );
    }

    #[test]
    fn bad_status_urls_say_what_is_expected() {
        let err = StatusUrl::parse("localhost:8000").unwrap_err();
        assert!(err.contains("expected"), "{err}");
        assert!(StatusUrl::parse("not a url").is_err());
    }
}
