//! The status API and web UI (SPEC R19, R20, R23): a `warp` server that
//! reports on a [`LocalRunner`](crate::runner::LocalRunner) in this process,
//! or relays another runner's API. The server needs the `server` feature
//! (on by default); [`LogCapture`] is there without it.
//!
//! | route | answer |
//! | --- | --- |
//! | `GET /status` | `{run_id, started_at, ended_at, total_steps, completed_steps, current_step, running_steps, running_count, steps: {name: {state, started_at, ended_at, notes, outputs}}}`, or `{"status": "no-runner"}` |
//! | `GET /outputs` | the `flows` mapping, `{step: {output: value}}` |
//! | `GET /events` | Server-Sent Events: `status`, then `step` per state change, `run_ended` |
//! | `GET /steps/{name}` | one step in detail ([`StepDetails`](crate::runner::StepDetails)): state, tries, times, error, notes, rendered input, outputs, `meta`, executor, and the last 64 KiB of its program's stdout and stderr while it runs; 404 for an unknown step |
//! | `GET /logs` | `{"records": [...]}` from the [`LogCapture`] given to the server |
//! | `GET /runs` | the run history, newest first, as `flowtoy history --json` (`?limit=N&status=S&flow=FILE`); 404 when the runner keeps none |
//! | `GET /runs/{id}` | one recorded run as `/status` shapes it, plus `outputs` ([`RunDocument`](crate::history::RunDocument)) |
//! | `GET /graph` | the flow's graph laid out for the web UI: `{width, height, nodes: [{name, type, foreach, when, level, x, y, width, height, label}], edges: [{from, to, dashed, path}]}` ([`GraphDocument`](crate::drawing::GraphDocument)) |
//! | `GET /metrics` | Prometheus text format: steps by state, step durations, runs by outcome, provider calls and failures by type, retries (`metrics.rs`) |
//! //! | `GET /healthz` | `{"ok": true}`, open even behind a token |
//! | `GET /` | the web UI |
//!
//! With a [`StatusToken`] ([`ServeOptions::token`]) every route but
//! `/healthz` needs it (`Authorization: Bearer`, `?token=`, or the page's
//! cookie; `auth.rs`), else `401` with `WWW-Authenticate: Bearer`.
//!
//! Errors are JSON `{"error": "..."}` (500 for a server error, 502 in relay
//! mode when the remote runner cannot be reached). Reads take a snapshot of
//! pointers to immutable step statuses and outputs under a short read lock:
//! they never wait for a step, never block the scheduler for longer than
//! copying a list of pointers, and never see a half-updated step.
//!
//! ```no_run
//! use flowtoy::{config, runner::LocalRunner, runner_api::{self, LogCapture}};
//! use std::sync::Arc;
//!
//! let runner = Arc::new(LocalRunner::new(config::load_yaml_files(&["flow.yaml"])?));
//! let capture = LogCapture::new(100);
//! let server = runner_api::serve_runner_api_in_thread(
//!     Some(Arc::clone(&runner)), "127.0.0.1", 0, tracing::Level::INFO, Some(capture.clone()),
//! )?;
//! println!("web UI at {}", server.url());
//! let status = runner.run()?;
//! println!("{} of {} steps done", status.completed_steps(), status.steps.len());
//! for line in capture.records() {
//!     println!("{line}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "server")]
mod auth;
#[cfg(feature = "server")]
mod events;
#[cfg(feature = "server")]
mod graph;
#[cfg(feature = "server")]
mod history;
mod log_capture;
#[cfg(feature = "server")]
mod metrics;
#[cfg(feature = "server")]
mod relay;
#[cfg(feature = "server")]
mod reply;
#[cfg(feature = "server")]
mod routes;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod source;
#[cfg(any(feature = "server", feature = "tui"))]
mod status_url;
#[cfg(feature = "server")]
mod steps;
#[cfg(any(feature = "server", feature = "tui"))]
mod token;
#[cfg(feature = "server")]
mod webui;

pub use log_capture::{event_text, LogCapture, DEFAULT_MAXLEN};
#[cfg(feature = "server")]
pub use relay::RelayClient;
#[cfg(feature = "server")]
pub use server::{
    serve_api, serve_api_in_thread, serve_runner_api_in_thread, ApiError, ApiServer, ServeOptions,
};
#[cfg(feature = "server")]
pub use source::{ApiSource, RunnerSlot};
#[cfg(any(feature = "server", feature = "tui"))]
pub use status_url::{step_path, StatusUrl};
#[cfg(any(feature = "server", feature = "tui"))]
pub use token::StatusToken;
