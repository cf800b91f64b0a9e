//! Keys: `q` (or Esc, Ctrl-C) quit, `r` refresh now, `Tab` next panel,
//! `Shift-Tab` previous, arrows / PageUp / PageDown / Home / End scroll the
//! focused panel.

use super::app::App;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What the main loop must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAction {
    /// Nothing beyond redrawing.
    None,
    /// Fetch the status now.
    Refresh,
    /// Leave the UI.
    Quit,
}

/// Applies `key` to `app`.
pub fn handle_key(app: &mut App, key: KeyEvent) -> KeyAction {
    if key.kind == KeyEventKind::Release {
        return KeyAction::None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('c') if ctrl => {
            app.quit = true;
            return KeyAction::Quit;
        }
        KeyCode::Char('q') | KeyCode::Char('Q') | KeyCode::Esc => {
            app.quit = true;
            return KeyAction::Quit;
        }
        KeyCode::Char('r') | KeyCode::Char('R') => return KeyAction::Refresh,
        KeyCode::Tab => app.focus_next(),
        KeyCode::BackTab => {
            // Previous panel: go forward len-1 times.
            for _ in 1..app.panels().len() {
                app.focus_next();
            }
        }
        KeyCode::Down | KeyCode::Char('j') => app.scroll_by(1),
        KeyCode::Up | KeyCode::Char('k') => app.scroll_by(-1),
        KeyCode::PageDown => app.page(true),
        KeyCode::PageUp => app.page(false),
        KeyCode::Home => app.scroll_by(isize::MIN / 2),
        KeyCode::End => app.scroll_by(isize::MAX / 2),
        _ => {}
    }
    KeyAction::None
}
