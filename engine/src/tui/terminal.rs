//! Taking over the terminal and giving it back: raw mode, the alternate
//! screen and a hidden cursor on entry; the opposite on drop, on a panic of
//! the UI thread (a panic hook restores the terminal before the message is
//! printed) and on SIGINT/SIGTERM/SIGHUP (turned into a flag the main loop
//! checks while the TUI runs; afterwards they act as by default again).

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::ThreadId;

/// The terminal while the TUI owns it; restores it when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal drawing to stdout.
    pub terminal: Terminal<CrosstermBackend<Stdout>>,
    signal: Arc<AtomicUsize>,
    /// Set on drop: from then on the signals act as by default again.
    released: Arc<AtomicBool>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen.
    pub fn enter() -> io::Result<Self> {
        install_panic_hook();
        let signal = Arc::new(AtomicUsize::new(0));
        let released = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::flag::register_conditional_default(sig, Arc::clone(&released))?;
            signal_hook::flag::register_usize(sig, Arc::clone(&signal), sig as usize)?;
        }
        if let Err(e) = enable_raw_mode() {
            released.store(true, Ordering::SeqCst);
            return Err(e);
        }
        let terminal = execute!(io::stdout(), EnterAlternateScreen, Hide)
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match terminal {
            Ok(terminal) => {
                set_ui_thread(Some(std::thread::current().id()));
                Ok(TerminalGuard {
                    terminal,
                    signal,
                    released,
                })
            }
            Err(e) => {
                restore();
                released.store(true, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Tells the signal received since entering (SIGINT, SIGTERM or
    /// SIGHUP), if any.
    pub fn signal_reader(&self) -> impl Fn() -> Option<i32> {
        let signal = Arc::clone(&self.signal);
        move || match signal.load(Ordering::SeqCst) {
            0 => None,
            sig => i32::try_from(sig).ok(),
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        set_ui_thread(None);
        restore();
        self.released.store(true, Ordering::SeqCst);
    }
}

/// Gives the terminal back: cursor shown, main screen, cooked mode. Safe to
/// call more than once.
pub fn restore() {
    let _ = execute!(io::stdout(), Show, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}

/// The thread drawing the UI, while the TUI owns the terminal.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);

/// A panic on the UI thread restores the terminal before its message is
/// printed, so the message is readable and the shell usable. A panic on
/// another thread while the UI runs (a provider caught by the scheduler,
/// say) is logged instead of printed over the screen; the UI goes on.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ui = *UI_THREAD.lock().unwrap_or_else(|e| e.into_inner());
            match ui {
                Some(id) if id != std::thread::current().id() => {
                    tracing::error!(
                        "panic in thread {:?}: {info}",
                        std::thread::current().name()
                    );
                }
                _ => {
                    restore();
                    previous(info);
                }
            }
        }));
    });
}

fn set_ui_thread(id: Option<ThreadId>) {
    *UI_THREAD.lock().unwrap_or_else(|e| e.into_inner()) = id;
}
