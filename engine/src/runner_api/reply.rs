//! Building the API's HTTP answers: JSON bodies (errors as
//! `{"error": "..."}`, SPEC R19) and static assets.

use futures_util::{Stream, TryStream};
use serde::Serialize;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

/// A JSON answer from already serialized bytes.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut reply = Response::new(body.into());
    *reply.status_mut() = status;
    let headers = reply.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    reply
}

/// `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    json_response(status, body.into_bytes())
}

/// `value` serialized as JSON with 200, or a 500 `{"error"}` when it cannot be.
pub fn json_ok<T: Serialize + ?Sized>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("cannot serialize the answer: {e}"),
        ),
    }
}

/// A static asset compiled into the binary.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut reply = Response::new(body.into());
    reply
        .headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    reply
}

/// A stream that is `Sync` because only its owner polls it: warp 0.4 asks
/// for `Sync` bodies and event streams, which a stream holding a `reqwest`
/// body or a keep-alive timer is not. `Mutex::get_mut` takes no lock.
pub struct SyncStream<S>(Mutex<Pin<Box<S>>>);

impl<S: TryStream> SyncStream<S> {
    /// Wraps `stream`.
    pub fn new(stream: S) -> Self {
        SyncStream(Mutex::new(Box::pin(stream)))
    }
}

impl<S: TryStream> Stream for SyncStream<S> {
    type Item = Result<S::Ok, S::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let inner = self.get_mut().0.get_mut();
        inner
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
            .try_poll_next(cx)
    }
}
