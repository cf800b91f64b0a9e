//! The routes of the status API and web UI (SPEC R19, R20):
//! `GET /status`, `/outputs`, `/events`, `/logs`, `/runs`, `/runs/{id}`
//! (`history.rs`), `/graph` (`graph.rs`), `/metrics` (`metrics.rs`), `/healthz`, and the page at
//! `/` with its assets. Every error is JSON: `{"error": "..."}`.

use super::events::{no_runner_events, runner_events};
use super::log_capture::LogCapture;
use super::reply::{asset, json_error, json_ok};
use super::source::ApiSource;
use super::webui;
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

/// Turns rejections (unknown path, wrong method) into JSON errors.
async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let (code, message) = if rejection.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "not found; the API has /status, /outputs, /events, /logs, /runs, /runs/{id}, /graph, /metrics, /healthz and the web UI at /".to_string(),
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

/// Every route, ready for `warp::serve`.
pub fn routes(state: ApiState, log_requests: bool) -> warp::filters::BoxedFilter<(Response,)> {
    let with_state = warp::any().map(move || state.clone());
    let get = warp::get().or(warp::head()).unify();
    let api = |name: &'static str| warp::path(name).and(warp::path::end()).and(get);
    let status = api("status").and(with_state.clone()).then(status);
    let outputs = api("outputs").and(with_state.clone()).then(outputs);
    let events = api("events").and(with_state.clone()).then(events);
    let logs = api("logs").and(with_state.clone()).then(logs);
    let runs = api("runs")
        .and(with_state.clone())
        .and(warp::query::<std::collections::HashMap<String, String>>())
        .then(super::history::runs);
    let graph = api("graph")
        .and(with_state.clone())
        .then(super::graph::graph);
    let metrics = api("metrics")
        .and(with_state.clone())
        .then(super::metrics::metrics);
    let run = warp::path!("runs" / String)
        .and(get)
        .and(with_state)
        .then(super::history::run);
    let healthz = api("healthz").map(|| json_ok(&json!({"ok": true})));
    let index = warp::path::end()
        .and(get)
        .map(|| asset("text/html; charset=utf-8", webui::INDEX_HTML));
    let script = api("app.js").map(|| asset("text/javascript; charset=utf-8", webui::APP_JS));
    let style = api("style.css").map(|| asset("text/css; charset=utf-8", webui::STYLE_CSS));
    let history_script =
        api("history.js").map(|| asset("text/javascript; charset=utf-8", webui::HISTORY_JS));
    let graph_script =
        api("graph.js").map(|| asset("text/javascript; charset=utf-8", webui::GRAPH_JS));
    let all = status
        .or(outputs)
        .unify()
        .or(events)
        .unify()
        .or(logs)
        .unify()
        .or(runs)
        .unify()
        .or(run)
        .unify()
        .or(history_script)
        .unify()
        .or(graph)
        .unify()
        .or(metrics)
        .unify()
        .or(graph_script)
        .unify()
        .or(healthz)
        .unify()
        .or(index)
        .unify()
        .or(script)
        .unify()
        .or(style)
        .unify()
        .recover(recover)
        .unify();
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
