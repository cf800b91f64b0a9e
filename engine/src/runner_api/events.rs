//! `GET /events` for a runner in this process: Server-Sent Events, one per
//! step state change and one at the run's end (SPEC R19).
//!
//! The stream opens with a `status` event holding the whole `/status`
//! document, so a client needs no separate first request and misses nothing
//! (it subscribes before taking the snapshot). Then:
//! - `step`: `{name, state, started_at, ended_at, notes, outputs}`;
//! - `run_ended`: `{ended_at, outcome}` (`completed`, `halted`, `cancelled`),
//!   also sent right after the first `status` when the run has already ended;
//! - `status` again when the client fell behind and events were dropped.

use crate::runner::{LocalRunner, RunEvent, RunOutcome, RunStatus, StepStatus};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use warp::sse::Event;

/// How often an idle stream sends a comment so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn event(name: &str, data: &Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// The `status` event.
pub fn status_event(status: &RunStatus) -> Event {
    event("status", &status.to_json())
}

/// The `step` event of one state change.
pub fn step_event(step: &StepStatus) -> Event {
    let mut data = serde_json::Map::new();
    data.insert("name".into(), Value::String(step.name.clone()));
    if let Value::Object(fields) = step.to_json() {
        data.extend(fields);
    }
    event("step", &Value::Object(data))
}

/// The `run_ended` event.
pub fn ended_event(ended_at: f64, outcome: RunOutcome) -> Event {
    event(
        "run_ended",
        &json!({ "ended_at": ended_at, "outcome": outcome }),
    )
}

/// The event stream of `runner` until `stop` resolves or the client leaves.
pub fn runner_events(
    runner: Arc<LocalRunner>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> impl warp::Reply {
    let receiver = runner.subscribe();
    let snapshot = runner.status();
    let mut first = vec![status_event(&snapshot)];
    if let (Some(ended_at), Some(outcome)) = (snapshot.ended_at, snapshot.outcome) {
        first.push(ended_event(ended_at, outcome));
    }
    let head = stream::iter(first.into_iter().map(Ok::<_, Infallible>));
    let tail = stream::unfold((receiver, runner), |(mut receiver, runner)| async move {
        let next = match receiver.recv().await {
            Ok(RunEvent::Step(step)) => step_event(&step),
            Ok(RunEvent::RunEnded { ended_at, outcome }) => ended_event(ended_at, outcome),
            Err(RecvError::Lagged(_)) => status_event(&runner.status()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(next), (receiver, runner)))
    });
    let events = head.chain(tail).take_until(Box::pin(stop));
    warp::sse::reply(warp::sse::keep_alive().interval(KEEP_ALIVE).stream(events))
}

/// The event stream when no runner is attached: one `status` event with
/// `{"status": "no-runner"}`, then the stream closes and the browser's
/// `EventSource` comes back two seconds later.
pub fn no_runner_events() -> impl warp::Reply {
    let only = Event::default()
        .event("status")
        .retry(Duration::from_secs(2))
        .data(json!({"status": "no-runner"}).to_string());
    warp::sse::reply(stream::iter([Ok::<_, Infallible>(only)]))
}
