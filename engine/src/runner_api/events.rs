//! `GET /events` for a runner in this process: Server-Sent Events, one per
//! step state change and one at the run's end (SPEC R19).
//!
//! The stream opens with a `status` event holding the whole `/status`
//! document ([`StatusDocument`](crate::runner::StatusDocument)), so a client
//! needs no separate first request and misses nothing (it subscribes before
//! taking the snapshot). Then:
//! - `step`: `{name, state, started_at, ended_at, notes, outputs}`
//!   ([`StepEvent`]);
//! - `run_ended`: `{ended_at, outcome}` (`completed`, `halted`, `cancelled`;
//!   [`RunEndedEvent`]),
//!   also sent right after the first `status` when the run has already ended;
//! - `status` again when the client fell behind and events were dropped.

use super::reply::SyncStream;
use crate::runner::{
    LocalRunner, RunEndedEvent, RunEvent, RunOutcome, RunStatus, StatusReply, StepEvent, StepStatus,
};
use futures_util::{stream, StreamExt};
use serde::Serialize;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use warp::sse::Event;

/// How often an idle stream sends a comment so proxies keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

fn event(name: &str, data: &impl Serialize) -> Event {
    let data = serde_json::to_string(data).unwrap_or_else(|e| {
        serde_json::json!({ "error": format!("cannot serialize the event: {e}") }).to_string()
    });
    Event::default().event(name).data(data)
}

/// The `status` event.
pub fn status_event(status: &RunStatus) -> Event {
    event("status", &status.document())
}

/// The `step` event of one state change.
pub fn step_event(step: &StepStatus) -> Event {
    event("step", &StepEvent::of(step))
}

/// The `run_ended` event.
pub fn ended_event(ended_at: f64, outcome: RunOutcome) -> Event {
    event("run_ended", &RunEndedEvent { ended_at, outcome })
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
    warp::sse::reply(SyncStream::new(
        warp::sse::keep_alive().interval(KEEP_ALIVE).stream(events),
    ))
}

/// The event stream when no runner is attached: one `status` event with
/// `{"status": "no-runner"}`, then the stream closes and the browser's
/// `EventSource` comes back two seconds later.
pub fn no_runner_events() -> impl warp::Reply {
    let only = event("status", &StatusReply::NoRunner).retry(Duration::from_secs(2));
    warp::sse::reply(stream::iter([Ok::<_, Infallible>(only)]))
}
