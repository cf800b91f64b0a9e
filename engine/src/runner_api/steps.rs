//! `GET /steps/{name}`: one step in detail
//! ([`StepDetails`](crate::runner::StepDetails): state, tries, times, error,
//! notes, rendered input, outputs, `meta`, executor and the tail of its
//! program's output, available while it runs). 404 `{"error"}` for a step
//! the flow does not have.

use super::reply::{json_error, json_ok};
use super::routes::ApiState;
use super::source::ApiSource;
use super::status_url::step_path;
use percent_encoding::percent_decode_str;
use warp::http::StatusCode;
use warp::reply::Response;

/// Answers `GET /steps/{segment}` (the segment as it came, percent-encoded).
pub async fn step(segment: String, state: ApiState) -> Response {
    let name = match percent_decode_str(&segment).decode_utf8() {
        Ok(name) => name.into_owned(),
        Err(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "the step name in the URL is not UTF-8 once percent-decoded",
            )
        }
    };
    match &state.source {
        ApiSource::Local(slot) => match slot.get() {
            Some(runner) => match runner.step_details(&name) {
                Some(details) => json_ok(&details),
                None => json_error(
                    StatusCode::NOT_FOUND,
                    &format!(
                        "the flow has no step named '{}'; /status lists its steps",
                        crate::secrets::mask(&name)
                    ),
                ),
            },
            None => json_error(
                StatusCode::NOT_FOUND,
                "no run is attached to this server yet, so there are no steps",
            ),
        },
        ApiSource::Relay(client) => client.json(&step_path(&name)).await,
    }
}
