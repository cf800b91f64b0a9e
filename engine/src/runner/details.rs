//! Step details: what a step was given, what its provider answered and the
//! tail of what its program printed, kept per step while the run goes on,
//! and [`StepDetails`], the one document that tells them (`GET
//! /steps/{name}`, the web UI's details panel, the TUI's details view).
//!
//! The runner records a step's rendered input when a try starts, the
//! provider's notes and `meta` (redacted, R10) when it answers, and the
//! output chunks a provider sends through its
//! [`CallContext`](flowtoy_plugin_api::CallContext) as they come (the
//! `process` provider streams its program's stdout and stderr): the last
//! [`TAIL_BYTES`] of each stream are kept. Log lines a provider writes
//! through its context become `tracing` events with the step's name.
//! Secret values (R24) are masked when the document is made, so a secret
//! split across two chunks is masked too.

use super::status::{ItemCounts, StepState, StepStatus};
use super::{LocalRunner, Shared};
use flowtoy_plugin_api::{CallSink, Level, OutputStream, Payload, ProviderResult};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// How much of each output stream a step keeps: the last 64 KiB.
pub const TAIL_BYTES: usize = 64 * 1024;

/// Where a step runs that no executor takes elsewhere.
const LOCAL_EXECUTOR: &str = "local";

/// The last [`TAIL_BYTES`] of one output stream, and how much came in all.
#[derive(Debug, Default)]
struct Tail {
    /// Holds up to twice the tail, cut back when it grows past that, so
    /// appending stays cheap whatever the chunk sizes.
    buf: Vec<u8>,
    total: u64,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if chunk.len() >= TAIL_BYTES {
            self.buf.clear();
            self.buf
                .extend_from_slice(&chunk[chunk.len() - TAIL_BYTES..]);
            return;
        }
        if self.buf.len() + chunk.len() > 2 * TAIL_BYTES {
            let keep = TAIL_BYTES - chunk.len();
            let cut = self.buf.len() - keep;
            self.buf.drain(..cut);
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The tail as text: lossy UTF-8, not starting inside a character when
    /// it was cut, secret values masked.
    fn document(&self) -> OutputTail {
        let mut tail = &self.buf[self.buf.len().saturating_sub(TAIL_BYTES)..];
        let truncated = self.total > tail.len() as u64;
        if truncated {
            let skip = tail
                .iter()
                .take(3)
                .take_while(|b| (**b & 0xC0) == 0x80)
                .count();
            tail = &tail[skip..];
        }
        let text = String::from_utf8_lossy(tail);
        OutputTail {
            text: crate::secrets::mask(&text).into_owned(),
            total_bytes: self.total,
            truncated,
        }
    }
}

/// What was recorded for one step (only steps with something to keep have one).
#[derive(Debug, Default)]
struct Recorded {
    input: Payload,
    notes: Vec<String>,
    meta: Option<Map<String, Value>>,
    stdout: Option<Tail>,
    stderr: Option<Tail>,
}

/// The recorded details of every step, shared by the workers (writing) and
/// readers (the status API, the TUI).
#[derive(Debug)]
pub(crate) struct DetailsStore {
    steps: Vec<Mutex<Option<Box<Recorded>>>>,
}

impl DetailsStore {
    /// A store for `steps` steps, nothing recorded.
    pub fn new(steps: usize) -> Self {
        DetailsStore {
            steps: (0..steps).map(|_| Mutex::new(None)).collect(),
        }
    }

    fn with<R>(&self, index: usize, f: impl FnOnce(&mut Option<Box<Recorded>>) -> R) -> R {
        f(&mut self.steps[index].lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A try of step `index` starts with `payload` (for a `foreach` step,
    /// the latest iteration's).
    pub fn input(&self, index: usize, payload: &Payload) {
        if payload.is_none() && self.with(index, |r| r.is_none()) {
            return;
        }
        self.with(index, |r| {
            r.get_or_insert_with(Default::default).input = payload.clone();
        });
    }

    /// The provider of step `index` answered `result` (its meta redacted).
    pub fn result(&self, index: usize, result: &ProviderResult) {
        if result.status.notes.is_empty() && result.meta.is_empty() {
            return;
        }
        self.with(index, |r| {
            let r = r.get_or_insert_with(Default::default);
            r.notes = result.status.notes.clone();
            r.meta = (!result.meta.is_empty()).then(|| result.meta.clone());
        });
    }

    /// A chunk of step `index`'s output on `stream`.
    pub fn output(&self, index: usize, stream: OutputStream, chunk: &[u8]) {
        self.with(index, |r| {
            let r = r.get_or_insert_with(Default::default);
            let tail = match stream {
                OutputStream::Stdout => &mut r.stdout,
                OutputStream::Stderr => &mut r.stderr,
            };
            tail.get_or_insert_with(Default::default).push(chunk);
        });
    }
}

/// The last 64 KiB of one of a step's output streams, as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputTail {
    /// The tail (lossy UTF-8, secret values masked).
    pub text: String,
    /// How many bytes the stream carried in all.
    pub total_bytes: u64,
    /// True when `text` is only the end of the stream.
    pub truncated: bool,
}

/// One step in detail, as `GET /steps/{name}` tells it; the web UI's
/// details panel and the TUI's details view read the same type. Secret
/// values are masked (R24), secret-looking `meta` keys redacted (R10).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDetails {
    /// The step's name.
    pub name: String,
    /// Its state (a state this version does not know reads as pending).
    #[serde(deserialize_with = "super::document::state_or_pending")]
    pub state: StepState,
    /// The provider type that runs it (`process`, `rest`, ...).
    pub provider: String,
    /// Where it runs: `local`, or the type of the executor that runs it
    /// elsewhere (R34).
    pub executor: String,
    /// The id of the job it became on that executor, once reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The try under way, or the last one (1-based), once it started.
    pub attempt: Option<u32>,
    /// How many tries its retry policy allows (1 without one).
    pub max_attempts: u32,
    /// When it started (seconds since the epoch).
    pub started_at: Option<f64>,
    /// When it ended.
    pub ended_at: Option<f64>,
    /// Why it failed or was skipped.
    pub error: Option<String>,
    /// The notes of the provider's last answer.
    #[serde(default)]
    pub notes: Vec<String>,
    /// For a `foreach` step, how its iterations stand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ItemCounts>,
    /// The rendered input the provider got (the latest try's or
    /// iteration's); `null` for none.
    pub input: Value,
    /// Its outputs, once it succeeded.
    pub outputs: Option<Map<String, Value>>,
    /// The `meta` of the provider's last answer.
    pub meta: Option<Map<String, Value>>,
    /// The tail of what its program printed on standard output (steps whose
    /// provider streams output: `process`); there while the step runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdout: Option<OutputTail>,
    /// The same for standard error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<OutputTail>,
}

impl LocalRunner {
    /// The details of the step called `name` (see [`StepDetails`]), or
    /// `None` when the flow has no such step.
    pub fn step_details(&self, name: &str) -> Option<StepDetails> {
        let shared = &self.shared;
        let index = shared.config.flow().iter().position(|s| s.name == name)?;
        let status: Arc<StepStatus> = shared.status.read(|run| Arc::clone(&run.steps[index]));
        let step = &shared.config.flow()[index];
        let runner = shared.config.runner();
        let max_attempts = step
            .control()
            .retry
            .as_ref()
            .or(runner.retry.as_ref())
            .map_or(1, |p| p.attempts.max(1));
        let secrets = crate::secrets::registry();
        let outputs = shared.flows.get(name).map(|outputs| {
            outputs
                .iter()
                .map(|(k, v)| (k.clone(), secrets.mask_json(v)))
                .collect()
        });
        let mask_map = |m: &Map<String, Value>| match secrets.mask_json(&Value::Object(m.clone())) {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut details = StepDetails {
            name: name.to_string(),
            state: status.state,
            provider: shared.config.compiled().resolved[index].type_name.clone(),
            executor: status
                .executor
                .clone()
                .unwrap_or_else(|| LOCAL_EXECUTOR.to_string()),
            job_id: status.job_id.clone(),
            attempt: status.attempt,
            max_attempts,
            started_at: status.started_at,
            ended_at: status.ended_at,
            error: status
                .error
                .as_deref()
                .map(|e| secrets.mask(e).into_owned()),
            notes: Vec::new(),
            items: status.items,
            input: Value::Null,
            outputs,
            meta: None,
            stdout: None,
            stderr: None,
        };
        shared.details.with(index, |recorded| {
            if let Some(r) = recorded {
                details.input = r
                    .input
                    .as_ref()
                    .map_or(Value::Null, |v| secrets.mask_json(v));
                details.notes = r
                    .notes
                    .iter()
                    .map(|n| secrets.mask(n).into_owned())
                    .collect();
                details.meta = r.meta.as_ref().map(mask_map);
                details.stdout = r.stdout.as_ref().map(Tail::document);
                details.stderr = r.stderr.as_ref().map(Tail::document);
            }
        });
        Some(details)
    }
}

/// Where the provider of one call of step `index` sends its output chunks
/// (into the details store) and log lines (into the host's log).
struct StepSink {
    shared: Arc<Shared>,
    index: usize,
}

/// The sink for a call of step `index`, for its [`CallContext`](flowtoy_plugin_api::CallContext).
pub(super) fn sink(shared: &Arc<Shared>, index: usize) -> Arc<dyn CallSink> {
    Arc::new(StepSink {
        shared: Arc::clone(shared),
        index,
    })
}

impl CallSink for StepSink {
    fn output(&self, stream: OutputStream, chunk: &[u8]) {
        self.shared.details.output(self.index, stream, chunk);
    }

    fn log(&self, level: Level, message: &str) {
        let step = self.shared.config.flow()[self.index].name.as_str();
        let provider = self.shared.config.compiled().resolved[self.index]
            .type_name
            .as_str();
        // The log writer and `LogCapture` mask secret values (R24).
        match level {
            Level::Error => tracing::error!(step = %step, provider = %provider, "{message}"),
            Level::Warn => tracing::warn!(step = %step, provider = %provider, "{message}"),
            Level::Info => tracing::info!(step = %step, provider = %provider, "{message}"),
            Level::Debug => tracing::debug!(step = %step, provider = %provider, "{message}"),
            Level::Trace => tracing::trace!(step = %step, provider = %provider, "{message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_keeps_the_last_64_kib_whatever_the_chunks() {
        let mut tail = Tail::default();
        let data: Vec<u8> = (0..200 * 1024).map(|i| b'a' + (i % 26) as u8).collect();
        for chunk in data.chunks(1000) {
            tail.push(chunk);
        }
        let doc = tail.document();
        assert_eq!(doc.total_bytes, data.len() as u64);
        assert!(doc.truncated);
        assert_eq!(doc.text.as_bytes(), &data[data.len() - TAIL_BYTES..]);
        assert!(tail.buf.len() <= 2 * TAIL_BYTES);

        let mut big = Tail::default();
        big.push(b"before");
        big.push(&data);
        assert_eq!(
            big.document().text.as_bytes(),
            &data[data.len() - TAIL_BYTES..]
        );

        let mut small = Tail::default();
        small.push(b"one\n");
        small.push(b"two\n");
        let doc = small.document();
        assert_eq!(
            (doc.text.as_str(), doc.total_bytes, doc.truncated),
            ("one\ntwo\n", 8, false)
        );
    }

    #[test]
    fn a_cut_tail_does_not_start_inside_a_character() {
        let mut tail = Tail::default();
        // 'é' is two bytes: cutting at an odd place leaves half of one.
        let text = "é".repeat(TAIL_BYTES);
        tail.push(text.as_bytes());
        tail.push(b"!");
        let doc = tail.document();
        assert!(!doc.text.contains('\u{FFFD}'), "{}", &doc.text[..10]);
        assert!(doc.text.ends_with("éé!"));
    }
}
