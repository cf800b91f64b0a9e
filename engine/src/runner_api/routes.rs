//! The routes of the status API and web UI (SPEC R19, R20):
//! `GET /status`, `/outputs`, `/events`, `/logs`, `/runs`, `/runs/{id}`
//! (`history.rs`), `/steps/{name}` (`steps.rs`), `/graph` (`graph.rs`), `/metrics` (`metrics.rs`), `/healthz`, and the page at
//! `/` with its assets. Every error is JSON: `{"error": "..."}`.

use super::auth::{self, Granted};
use super::events::{no_runner_events, runner_events};
use super::log_capture::LogCapture;
use super::reply::{asset, json_error, json_ok};
use super::source::ApiSource;
use super::webui;
use super::StatusToken;
use crate::runner::StatusReply;
use serde_json::json;
use std::convert::Infallible;
use tokio::sync::watch;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::{Filter, Rejection};

/// Everything a request handler needs.
#[derive(Clone)]
pub struct ApiState {
    /// Where answers come from.
    pub source: ApiSource,
    /// Log records for `GET /logs`.
    pub capture: Option<LogCapture>,
    /// Turns true when the server shuts down (ends open event streams).
    pub stopping: watch::Receiver<bool>,
    /// The token every route but `/healthz` requires, if any.
    pub token: Option<StatusToken>,
}

impl ApiState {
    /// Resolves once the server is shutting down.
    fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.clone();
        async move {
            let _ = stopping.wait_for(|s| *s).await;
        }
    }
}

async fn status(state: ApiState) -> Response {
    match &state.source {
        ApiSource::Local(slot) => match slot.get() {
            // Serialized straight from the snapshot's steps, not copied.
            Some(runner) => json_ok(&StatusReply::Run(runner.status().document())),
            None => json_ok(&StatusReply::NoRunner),
        },
        ApiSource::Relay(client) => client.status().await,
    }
}

async fn outputs(state: ApiState) -> Response {
    match &state.source {
        ApiSource::Local(slot) => match slot.get() {
            Some(runner) => json_ok(&runner.outputs()),
            None => json_ok(&json!({})),
        },
        ApiSource::Relay(client) => client.json("outputs").await,
    }
}

async fn events(state: ApiState) -> Response {
    match &state.source {
        ApiSource::Local(slot) => match slot.get() {
            Some(runner) => runner_events(runner, state.stopped()).into_response(),
            None => no_runner_events().into_response(),
        },
        ApiSource::Relay(client) => client.events(state.stopped()).await,
    }
}

async fn logs(state: ApiState) -> Response {
    match (&state.source, &state.capture) {
        (ApiSource::Local(_), Some(capture)) => json_ok(&json!({"records": capture.records()})),
        (ApiSource::Local(_), None) => json_ok(&json!({"records": []})),
        (ApiSource::Relay(client), _) => client.json("logs").await,
    }
}

/// Turns rejections (no token, unknown path, wrong method) into JSON errors.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    if let Some(reply) = auth::unauthorized(&rejection) {
        return Ok(reply);
    }
    let (code, message) = if rejection.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "not found; the API has /status, /outputs, /events, /logs, /steps/{name}, /runs, /runs/{id}, /graph, /metrics, /healthz and the web UI at /".to_string(),
        )
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed: the API is read-only (GET)".to_string(),
        )
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {rejection:?}"),
        )
    };
    Ok(json_error(code, &message))
}

/// Every route, ready for `warp::serve` on `port` (behind the state's
/// token, if any, but `/healthz`).
pub fn routes(
    state: ApiState,
    log_requests: bool,
    port: u16,
) -> warp::filters::BoxedFilter<(Response,)> {
    let token = state.token.clone();
    let with_state = warp::any().map(move || state.clone());
    let get = warp::get().or(warp::head()).unify();
    let api = |name: &'static str| warp::path(name).and(warp::path::end()).and(get);
    // Each route is boxed: a chain of unboxed warp filters is one type
    // nested as deep as the chain, which took rustc many minutes to compile.
    let status = api("status").and(with_state.clone()).then(status).boxed();
    let outputs = api("outputs").and(with_state.clone()).then(outputs).boxed();
    let events = api("events").and(with_state.clone()).then(events).boxed();
    let logs = api("logs").and(with_state.clone()).then(logs).boxed();
    let runs = api("runs")
        .and(with_state.clone())
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .then(super::history::runs)
        .boxed();
    let graph = api("graph")
        .and(with_state.clone())
        .then(super::graph::graph)
        .boxed();
    let metrics = api("metrics")
        .and(with_state.clone())
        .then(super::metrics::metrics)
        .boxed();
    let run = warp::path!("runs" / String)
        .and(get)
        .and(with_state.clone())
        .then(super::history::run)
        .boxed();
    let step = warp::path!("steps" / String)
        .and(get)
        .and(with_state)
        .then(super::steps::step)
        .boxed();
    let healthz = api("healthz").map(|| json_ok(&json!({"ok": true}))).boxed();
    let index = warp::path::end()
        .and(get)
        .map(|| asset("text/html; charset=utf-8", webui::INDEX_HTML))
        .boxed();
    let assets = warp::path::param::<String>()
        .and(warp::path::end())
        .and(get)
        .and_then(|name: String| async move {
            match webui_asset(&name) {
                Some((kind, body)) => Ok(asset(kind, body)),
                None => Err(warp::reject::not_found()),
            }
        })
        .boxed();
    let all = status
        .or(outputs)
        .unify()
        .boxed()
        .or(events)
        .unify()
        .or(logs)
        .unify()
        .boxed()
        .or(runs)
        .unify()
        .or(run)
        .unify()
        .boxed()
        .or(step)
        .unify()
        .or(graph)
        .unify()
        .boxed()
        .or(metrics)
        .unify()
        .or(index)
        .unify()
        .boxed()
        .or(assets)
        .unify()
        .recover(recover)
        .unify()
        .boxed();
    let guarded = auth::required(token.clone(), port)
        .and(all)
        .map(move |granted: Granted, reply| granted.finish(reply, token.as_ref(), port));
    let all = healthz.or(guarded).unify().recover(recover).unify();
    let logged = warp::log::custom(move |info: warp::log::Info<'_>| {
        if log_requests {
            tracing::debug!(
                "status API: {} {} -> {} in {:?}",
                info.method(),
                info.path(),
                info.status().as_u16(),
                info.elapsed()
            );
        }
    });
    all.with(logged).map(Reply::into_response).boxed()
}

/// The web UI's static files by name: content type and text.
fn webui_asset(name: &str) -> Option<(&'static str, &'static str)> {
    const JS: &str = "text/javascript; charset=utf-8";
    Some(match name {
        "app.js" => (JS, webui::APP_JS),
        "history.js" => (JS, webui::HISTORY_JS),
        "details.js" => (JS, webui::DETAILS_JS),
        "graph.js" => (JS, webui::GRAPH_JS),
        "style.css" => ("text/css; charset=utf-8", webui::STYLE_CSS),
        _ => return None,
    })
}
