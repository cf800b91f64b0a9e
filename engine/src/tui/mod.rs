//! `flowtoy tui`: a full-screen terminal view of a run (SPEC R22), built
//! with `ratatui` and `crossterm`.
//!
//! Whatever the mode, the UI shows the status document of SPEC R19
//! ([`StatusDocument`](crate::runner::StatusDocument), the type the status
//! API serves) and the outputs document. Where they come from is a
//! [`StatusSource`]: an [`InProcessSource`] reads a runner of this process
//! directly (the CLI's all-in-one mode; it also serves the status API on a
//! free port, for others to watch, but does not read through it), an
//! [`HttpSource`] reads a remote runner's status API (`--status-url`).
//!
//! - [`app::App`]: the state (last status, outputs, logs, focus, scrolling,
//!   the selected step); [`details::DetailsView`]: a step's details
//!   (`Enter`), fetched again and again while open;
//! - [`render::draw`]: one frame; [`keys::handle_key`]: one key;
//! - [`source::StatusSource`], [`http::HttpSource`],
//!   [`in_process::InProcessSource`]: where data comes from;
//!   [`feed::Feed`]: fetching in the background (events + polling);
//! - [`Tui::run`]: the whole thing on the real terminal, restored on quit,
//!   on Ctrl-C, on SIGTERM and on panic.
//!
//! ```no_run
//! use flowtoy::tui::{HttpSource, Tui};
//! let source = HttpSource::new("http://127.0.0.1:8000")?;
//! let ended = Tui::new(source).run()?;
//! println!("left the TUI; last status: {:?}", ended.app.run.map(|r| r.completed_steps));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod app;
pub mod details;
pub mod feed;
pub mod format;
pub mod http;
pub mod in_process;
pub mod keys;
pub mod render;
pub mod source;
pub mod terminal;

pub use app::{App, Connection, Panel, Update};
pub use details::DetailsView;
pub use format::Clock;
pub use http::HttpSource;
pub use in_process::InProcessSource;
pub use keys::{handle_key, KeyAction};
pub use source::{EventWatcher, Fetched, StatusSource};

use crate::runner::now_secs;
use crossterm::event::{self, Event};
use feed::Feed;
use ratatui::backend::Backend;
use ratatui::Terminal;
use std::io;
use std::time::Duration;

/// How often the screen is redrawn when nothing happens (running
/// durations and the elapsed time tick).
const TICK: Duration = Duration::from_millis(100);

/// Draws `app` on `terminal` and records each panel's height in `app` (for
/// scrolling by pages).
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> io::Result<()> {
    let mut viewports = render::Viewports::default();
    terminal
        .draw(|frame| viewports = render::draw(frame, app))
        .map_err(|e| io::Error::other(e.to_string()))?;
    app.set_viewport(Panel::Steps, viewports.steps);
    app.set_viewport(Panel::Outputs, viewports.outputs);
    if app.logs.is_some() {
        app.set_viewport(Panel::Logs, viewports.logs);
    }
    Ok(())
}

/// How the TUI ended.
#[derive(Debug)]
pub struct Ended {
    /// The state at the end (the last status received, among others).
    pub app: App,
    /// The signal that ended it (SIGINT, SIGTERM, SIGHUP), when one did.
    pub signal: Option<i32>,
}

/// A terminal UI over a [`StatusSource`], with an optional log panel.
pub struct Tui {
    source: Box<dyn StatusSource>,
    logs: Option<Box<dyn Fn() -> Vec<String>>>,
    clock: Clock,
    poll: Duration,
}

impl Tui {
    /// A TUI showing what `source` reports.
    pub fn new(source: impl StatusSource + 'static) -> Self {
        Tui {
            source: Box::new(source),
            logs: None,
            clock: Clock::Local,
            poll: feed::POLL_INTERVAL,
        }
    }

    /// Adds the logs panel, showing what `lines` returns (e.g.
    /// [`LogCapture::records`](crate::runner_api::LogCapture::records)).
    pub fn logs(mut self, lines: impl Fn() -> Vec<String> + 'static) -> Self {
        self.logs = Some(Box::new(lines));
        self
    }

    /// Shows start times on `clock` (default: local time).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Polls every `poll` while no event stream is connected.
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// Runs on the real terminal until `q`, Ctrl-C or a signal; the terminal
    /// is given back in every case, panics included.
    pub fn run(self) -> io::Result<Ended> {
        let mut guard = terminal::TerminalGuard::enter()?;
        let signal = guard.signal_reader();
        let mut next_event = |timeout: Duration| -> io::Result<Option<Event>> {
            // Wait on the terminal ourselves: crossterm's own wait spins
            // forever on a terminal that went away (window closed, tmux
            // killed), which must end the UI instead. Resizes are picked up
            // by the next draw.
            if !terminal_readable(timeout)? {
                return Ok(None);
            }
            if event::poll(Duration::ZERO)? {
                event::read().map(Some)
            } else {
                Ok(None)
            }
        };
        self.run_on(&mut guard.terminal, &mut next_event, &signal)
    }

    /// The main loop on any backend: `next_event` waits up to the given time
    /// for a terminal event, `signal` tells whether a signal asked to stop.
    /// Returns when the user quits or a signal arrives.
    pub fn run_on<B: Backend>(
        self,
        terminal: &mut Terminal<B>,
        next_event: &mut dyn FnMut(Duration) -> io::Result<Option<Event>>,
        signal: &dyn Fn() -> Option<i32>,
    ) -> io::Result<Ended> {
        let mut app = App::new(self.source.label(), self.logs.is_some());
        app.clock = self.clock;
        let feed = Feed::spawn(self.source, self.poll)?;
        loop {
            match feed.drain() {
                Some(updates) => updates.into_iter().for_each(|u| app.apply(u)),
                None => {
                    return Err(io::Error::other(
                        "the background status feed panicked (its message is in the logs)",
                    ))
                }
            }
            if let Some(lines) = &self.logs {
                app.set_logs(lines());
            }
            feed.want_details(app.details.as_ref().map(|d| d.name.as_str()));
            app.now = now_secs();
            draw(terminal, &mut app)?;
            if let Some(signal) = signal() {
                return Ok(Ended {
                    app,
                    signal: Some(signal),
                });
            }
            if let Some(Event::Key(key)) = next_event(TICK)? {
                match handle_key(&mut app, key) {
                    KeyAction::Quit => return Ok(Ended { app, signal: None }),
                    KeyAction::Refresh => feed.refresh(),
                    KeyAction::None => {}
                }
            }
        }
    }
}

/// Waits up to `timeout` for input on standard input (the terminal): true
/// when there is some; an error when the terminal has hung up.
fn terminal_readable(timeout: Duration) -> io::Result<bool> {
    let mut fds = [libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    }];
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd for the duration of the call.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, ms) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(err)
        };
    }
    if fds[0].revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Err(io::Error::other("the terminal went away"));
    }
    Ok(ready > 0)
}
