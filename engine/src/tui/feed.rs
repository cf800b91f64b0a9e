//! The background side of the TUI: one thread fetches from the
//! [`StatusSource`] when woken (by an event, by `r`) or when the poll
//! interval passes; another follows the source's event stream. The UI thread
//! only ever reads the channel, so a slow or dead runner never freezes it.

use super::app::Update;
use super::source::StatusSource;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Polling interval while no event stream is connected.
pub const POLL_INTERVAL: Duration = Duration::from_millis(400);
/// Polling interval while the event stream is connected (a safety net).
const STREAMING_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Wait between attempts while the source is unreachable.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);
/// Wait before reconnecting a dropped event stream.
const RECONNECT_INTERVAL: Duration = Duration::from_secs(2);

/// The running fetch and watch threads, seen from the UI.
#[derive(Debug)]
pub struct Feed {
    updates: Receiver<Update>,
    wake: Sender<()>,
    /// The step whose details the UI shows, fetched with each status.
    details: Arc<Mutex<Option<String>>>,
}

impl Feed {
    /// Starts fetching from `source` in the background, polling every
    /// `poll` while no event stream tells of changes.
    pub fn spawn(source: Box<dyn StatusSource>, poll: Duration) -> std::io::Result<Feed> {
        let (updates_tx, updates) = mpsc::channel();
        let (wake, wake_rx) = mpsc::channel();
        let streaming = Arc::new(AtomicBool::new(false));
        let details = Arc::new(Mutex::new(None));
        if let Some(mut watcher) = source.watcher() {
            let wake = wake.clone();
            let streaming = Arc::clone(&streaming);
            std::thread::Builder::new()
                .name("flowtoy-tui-events".into())
                .spawn(move || loop {
                    let mut alive = true;
                    let result = watcher.watch(&mut || {
                        streaming.store(true, Ordering::SeqCst);
                        alive = wake.send(()).is_ok();
                        alive
                    });
                    streaming.store(false, Ordering::SeqCst);
                    if !alive {
                        return;
                    }
                    tracing::debug!("event stream ended ({result:?}); polling until it is back");
                    std::thread::sleep(RECONNECT_INTERVAL);
                    // Stop once the UI is gone.
                    if wake.send(()).is_err() {
                        return;
                    }
                })?;
        }
        std::thread::Builder::new()
            .name("flowtoy-tui-fetch".into())
            .spawn({
                let details = Arc::clone(&details);
                move || fetch_loop(source, poll, &streaming, &details, &updates_tx, &wake_rx)
            })?;
        Ok(Feed {
            updates,
            wake,
            details,
        })
    }

    /// Says which step's details the UI shows (`None`: none); they are
    /// fetched at once when that changes, then every
    /// [`DETAILS_POLL`](super::details::DETAILS_POLL) while shown.
    pub fn want_details(&self, name: Option<&str>) {
        let mut wanted = self.details.lock().unwrap_or_else(|e| e.into_inner());
        if wanted.as_deref() != name {
            *wanted = name.map(String::from);
            let _ = self.wake.send(());
        }
    }

    /// Asks for a fetch now (the `r` key).
    pub fn refresh(&self) {
        let _ = self.wake.send(());
    }

    /// Everything delivered since the last call; `None` once the fetch
    /// thread has stopped (it only stops when it panicked).
    pub fn drain(&self) -> Option<Vec<Update>> {
        let mut got = Vec::new();
        loop {
            match self.updates.try_recv() {
                Ok(update) => got.push(update),
                Err(mpsc::TryRecvError::Empty) => return Some(got),
                Err(mpsc::TryRecvError::Disconnected) if got.is_empty() => return None,
                Err(mpsc::TryRecvError::Disconnected) => return Some(got),
            }
        }
    }
}

fn fetch_loop(
    mut source: Box<dyn StatusSource>,
    poll: Duration,
    streaming: &AtomicBool,
    details: &Mutex<Option<String>>,
    updates: &Sender<Update>,
    wake: &Receiver<()>,
) {
    loop {
        let wanted = details.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(name) = wanted.as_deref() {
            let fetched = source.details(name);
            let update = Update::Details {
                name: name.to_string(),
                details: Box::new(fetched),
            };
            if updates.send(update).is_err() {
                return;
            }
        }
        let update = match source.fetch() {
            Ok(fetched) => Update::Snapshot {
                status: fetched.status,
                outputs: fetched.outputs,
            },
            Err(error) => Update::Failed(error),
        };
        let failed = matches!(update, Update::Failed(_));
        if updates.send(update).is_err() {
            return; // the UI is gone
        }
        let wait = if failed {
            RETRY_INTERVAL
        } else if streaming.load(Ordering::SeqCst) {
            STREAMING_POLL_INTERVAL
        } else {
            poll
        };
        let wait = match wanted {
            Some(_) => wait.min(super::details::DETAILS_POLL),
            None => wait,
        };
        match wake.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Many events at once need one fetch.
        while wake.try_recv().is_ok() {}
    }
}
