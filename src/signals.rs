//! SIGINT and SIGTERM, listened to once for the whole process.
//!
//! One thread listens from the first use to the end of the process and
//! counts the signals, so none is lost between a run's end and a server
//! starting to wait for Ctrl-C (a listener created after a signal arrived
//! would never see it).

use std::sync::{Condvar, LazyLock, Mutex, OnceLock};
use tokio::sync::watch;

/// Which signal asked flowtoy to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

/// The signals received so far: how many, and the last one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Received {
    /// How many SIGINT and SIGTERM arrived.
    pub count: u64,
    /// The last of them.
    pub last: Option<Stop>,
}

static RECEIVED: Mutex<Received> = Mutex::new(Received {
    count: 0,
    last: None,
});
static ARRIVED: Condvar = Condvar::new();
static CHANGES: LazyLock<watch::Sender<Received>> =
    LazyLock::new(|| watch::Sender::new(Received::default()));
/// Whether the listening thread runs (set once, by the first use).
static LISTENING: OnceLock<bool> = OnceLock::new();

/// Starts the listening thread on first use; false if signals cannot be
/// listened to (then Ctrl-C stops flowtoy abruptly, as by default).
fn listening() -> bool {
    *LISTENING.get_or_init(|| {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("flowtoy-signals".into())
            .spawn(move || listen(ready_tx));
        spawned.is_ok() && ready_rx.recv().unwrap_or(false)
    })
}

fn lock() -> std::sync::MutexGuard<'static, Received> {
    RECEIVED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The listening thread: registers both handlers, says whether that
/// worked, then counts signals for ever.
fn listen(ready: std::sync::mpsc::Sender<bool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        let _ = ready.send(false);
        return;
    };
    rt.block_on(async move {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            let _ = ready.send(false);
            return;
        };
        let _ = ready.send(true);
        loop {
            let stop = tokio::select! {
                _ = int.recv() => Stop::Interrupt,
                _ = term.recv() => Stop::Terminate,
            };
            let now = {
                let mut received = lock();
                received.count += 1;
                received.last = Some(stop);
                *received
            };
            ARRIVED.notify_all();
            CHANGES.send_replace(now);
        }
    });
}

/// Starts listening (if not yet) and says what arrived so far; `None` if
/// signals cannot be listened to.
pub fn received() -> Option<Received> {
    listening().then(|| *lock())
}

/// Resolves with the first signal after `since` (a count from
/// [`received`]); never, if signals cannot be listened to.
pub async fn after(since: u64) -> Stop {
    if !listening() {
        return std::future::pending().await;
    }
    let mut changes = CHANGES.subscribe();
    loop {
        let now = *changes.borrow_and_update();
        if now.count > since {
            return now.last.unwrap_or(Stop::Interrupt);
        }
        if changes.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Blocks until a signal arrives after `since` (a count from
/// [`received`]); returns at once if one already has. Returns `false` if
/// signals cannot be listened to.
pub fn wait_after(since: u64) -> bool {
    if !listening() {
        return false;
    }
    let mut received = lock();
    while received.count <= since {
        received = ARRIVED.wait(received).unwrap_or_else(|e| e.into_inner());
    }
    true
}
