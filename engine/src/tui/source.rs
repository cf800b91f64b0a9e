//! Where the TUI's data comes from: a [`StatusSource`] gives the status
//! document and the outputs on demand and, optionally, an [`EventWatcher`]
//! that says when they changed.
//!
//! - [`HttpSource`](super::HttpSource): a runner's status API over HTTP
//!   (`--status-url`);
//! - [`InProcessSource`](super::InProcessSource): a runner in this process
//!   (all-in-one mode), read directly — no HTTP, no JSON text.

use crate::runner::{StatusReply, StepDetails};
use serde_json::Value;

/// A fresh pair of documents: the status and the outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The status (SPEC R19), or that there is no runner.
    pub status: StatusReply<'static>,
    /// The outputs mapping, `{step: {output: value}}`, secret values masked.
    pub outputs: Value,
}

/// Gives the TUI the run's status and outputs.
pub trait StatusSource: Send {
    /// Where the data comes from, for the header (e.g. the URL).
    fn label(&self) -> String;
    /// Fetches the current status and outputs; the error says what failed
    /// and where, for people.
    fn fetch(&mut self) -> Result<Fetched, String>;
    /// Something that blocks until the run changes, for live updates
    /// without polling; `None` when the source has no such thing.
    fn watcher(&self) -> Option<Box<dyn EventWatcher>>;
    /// The details of step `name` (`GET /steps/{name}`); the error says
    /// why they cannot be had. Sources that cannot tell say so.
    fn details(&mut self, name: &str) -> Result<StepDetails, String> {
        Err(format!(
            "this source cannot show the details of step '{name}'"
        ))
    }
}

/// Blocks while watching a run, calling back at each change.
pub trait EventWatcher: Send {
    /// Watches until the stream ends (`Ok`) or fails (`Err`, with why).
    /// Calls `changed` once when connected and once per change; stops soon
    /// after `changed` returns false.
    fn watch(&mut self, changed: &mut dyn FnMut() -> bool) -> Result<(), String>;
}
