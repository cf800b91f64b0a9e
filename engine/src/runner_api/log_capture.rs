//! [`LogCapture`]: the last N formatted log lines, kept in memory so a status
//! server (`GET /logs`), a terminal UI or an embedding program can show them
//! (SPEC R22, R23).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// How many lines a capture keeps when asked for [`LogCapture::default`].
pub const DEFAULT_MAXLEN: usize = 100;

/// A bounded buffer of formatted log records, filled as a `tracing`
/// [`Layer`]. Clones share the same buffer.
///
/// Add it to your subscriber (or let
/// [`serve_runner_api_in_thread`](super::serve_runner_api_in_thread) install
/// one for you when the program has none):
///
/// ```
/// use flowtoy::runner_api::LogCapture;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let capture = LogCapture::new(100);
/// let subscriber = tracing_subscriber::registry().with(capture.clone());
/// tracing::subscriber::with_default(subscriber, || tracing::warn!(step = "a", "slow"));
/// assert!(capture.records()[0].ends_with("WARN slow step=a"));
/// ```
#[derive(Debug, Clone)]
pub struct LogCapture {
    lines: Arc<Mutex<VecDeque<String>>>,
    maxlen: usize,
}

impl Default for LogCapture {
    fn default() -> Self {
        Self::new(DEFAULT_MAXLEN)
    }
}

impl LogCapture {
    /// A capture that keeps the last `maxlen` records (at least one).
    pub fn new(maxlen: usize) -> Self {
        let maxlen = maxlen.max(1);
        LogCapture {
            lines: Arc::new(Mutex::new(VecDeque::with_capacity(maxlen.min(1024)))),
            maxlen,
        }
    }

    /// How many records it keeps.
    pub fn maxlen(&self) -> usize {
        self.maxlen
    }

    /// The kept records, oldest first, each formatted as
    /// `HH:MM:SS.mmmZ LEVEL message key=value...` (UTC time).
    pub fn records(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// Appends one already formatted line, dropping the oldest when full.
    pub fn push(&self, line: String) {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == self.maxlen {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

/// Collects an event's message and its other fields.
#[derive(Default)]
struct LineVisitor {
    message: String,
    fields: String,
}

impl Visit for LineVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={}", field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// `HH:MM:SS.mmmZ` of a time in seconds since the epoch (UTC).
fn clock(secs: f64) -> String {
    let millis = (secs * 1000.0) as u64;
    let day = (millis / 1000) % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}Z",
        day / 3600,
        (day / 60) % 60,
        day % 60,
        millis % 1000
    )
}

/// An event's message followed by its other fields (` name=value`), secret
/// values masked (SPEC R24): the text of a log line as [`LogCapture`] keeps
/// it and as the Python package hands it to `logging`.
pub fn event_text(event: &Event<'_>) -> String {
    let mut visitor = LineVisitor::default();
    event.record(&mut visitor);
    crate::secrets::mask(&(visitor.message + &visitor.fields)).into_owned()
}

impl<S: Subscriber> Layer<S> for LogCapture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        // Secret values never reach a log panel (SPEC R24): the text is masked.
        self.push(format!(
            "{} {:>5} {}",
            clock(crate::runner::now_secs()),
            event.metadata().level(),
            event_text(event)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn keeps_the_last_maxlen_records_in_order() {
        let capture = LogCapture::new(3);
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..5 {
                tracing::info!(n = i, "line {i}");
            }
        });
        let records = capture.records();
        assert_eq!(records.len(), 3);
        assert!(records[0].ends_with(" INFO line 2 n=2"), "{records:?}");
        assert!(records[2].ends_with(" INFO line 4 n=4"), "{records:?}");
    }

    #[test]
    fn clock_is_utc_time_of_day() {
        assert_eq!(clock(86_400.0 * 3.0 + 3723.5), "01:02:03.500Z");
    }
}
