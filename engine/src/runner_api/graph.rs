//! `GET /graph`: the flow's dependency graph laid out for the web UI's
//! graph view ([`GraphDocument`]): the page only draws the boxes and paths
//! computed here, by the same layout as `flowtoy graph --format svg`.

use super::reply::json_ok;
use super::routes::ApiState;
use super::source::ApiSource;
use crate::drawing::GraphDocument;
use crate::runner::StatusReply;
use warp::reply::Response;

/// Answers `GET /graph`: the document, `{"status": "no-runner"}` when no
/// runner is attached, or a relayed runner's answer.
pub async fn graph(state: ApiState) -> Response {
    match &state.source {
        ApiSource::Local(slot) => match slot.get() {
            Some(runner) => json_ok(&GraphDocument::of(runner.config())),
            None => json_ok(&StatusReply::NoRunner),
        },
        ApiSource::Relay(client) => client.json("graph").await,
    }
}
