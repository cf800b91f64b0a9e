//! The run history in the status API (SPEC R32): `GET /runs` (the list, as
//! `flowtoy history --json` gives it; `?limit=N`, `?status=S`,
//! `?flow=FILE`) and `GET /runs/{id}` (one run as `/status` shapes it,
//! plus its outputs). They read the history store of the runner being
//! served ([`LocalRunner::history`](crate::LocalRunner::history)), on a
//! blocking thread; a relay forwards them.

use super::reply::{json_error, json_ok};
use super::routes::ApiState;
use super::source::ApiSource;
use crate::history::{HistoryOutcome, HistoryStore, RunQuery};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use warp::http::StatusCode;
use warp::reply::Response;

/// An error answer: its status and message.
type Refusal = (StatusCode, String);

/// The served runner's history store, or why there is none.
fn store(state: &ApiState) -> Result<Arc<dyn HistoryStore>, Refusal> {
    let ApiSource::Local(slot) = &state.source else {
        return Err((StatusCode::NOT_FOUND, "not a local runner".into()));
    };
    slot.get()
        .and_then(|runner| runner.history().cloned())
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                "this server keeps no run history (the run was started with --no-history or \
                 FLOWTOY_HISTORY=0, or its program gave the runner no history store)"
                    .into(),
            )
        })
}

/// Runs `read` on a blocking thread and answers with its result as JSON.
async fn blocking<T: serde::Serialize + Send + 'static>(
    read: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(read).await {
        Ok(Ok(value)) => json_ok(&value),
        Ok(Err((code, message))) => json_error(code, &message),
        Err(e) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("reading the run history stopped: {e}"),
        ),
    }
}

fn failed(e: crate::history::HistoryError) -> Refusal {
    (StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// `%XX` for every byte but letters, digits and `-._~`.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /runs`.
pub async fn runs(state: ApiState, params: HashMap<String, String>) -> Response {
    if let ApiSource::Relay(client) = &state.source {
        let mut pairs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        pairs.sort();
        let endpoint = match pairs.is_empty() {
            true => "runs".to_string(),
            false => format!("runs?{}", pairs.join("&")),
        };
        return client.json(&endpoint).await;
    }
    let store = match store(&state) {
        Ok(store) => store,
        Err((code, message)) => return json_error(code, &message),
    };
    let limit = match params.get("limit").map(|n| n.parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return json_error(StatusCode::BAD_REQUEST, "limit must be a whole number"),
    };
    let outcome = match params.get("status") {
        None => None,
        Some(name) => match HistoryOutcome::from_name(name) {
            Some(outcome) => Some(outcome),
            None => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "status must be running, finished, halted or interrupted",
                )
            }
        },
    };
    let query = RunQuery {
        limit,
        file: params.get("flow").map(PathBuf::from),
        outcome,
    };
    blocking(move || store.runs(&query).map_err(failed)).await
}

/// `GET /runs/{id}`.
pub async fn run(id: String, state: ApiState) -> Response {
    if let ApiSource::Relay(client) = &state.source {
        return client.json(&format!("runs/{}", encode(&id))).await;
    }
    let store = match store(&state) {
        Ok(store) => store,
        Err((code, message)) => return json_error(code, &message),
    };
    let Ok(number) = id.parse::<i64>() else {
        return json_error(StatusCode::BAD_REQUEST, "a run is named by its number");
    };
    blocking(move || match store.run(number) {
        Ok(Some(record)) => Ok(record.document()),
        Ok(None) => Err((
            StatusCode::NOT_FOUND,
            format!("there is no run {number} in the history"),
        )),
        Err(e) => Err(failed(e)),
    })
    .await
}
