//! Keys: `q` (or Esc, Ctrl-C) quit, `r` refresh now, `Tab` next panel,
//! `Shift-Tab` previous, arrows / PageUp / PageDown / Home / End scroll the
//! focused panel (in the steps panel they move the selected row), `Enter`
//! opens the selected step's details; in the details view `Esc` (or
//! `Enter`) closes them and the arrows scroll them.

use super::app::{App, Panel};
use super::details::DetailsView;
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
    if let Some(view) = &mut app.details {
        match key.code {
            KeyCode::Char('c') if ctrl => {}
            KeyCode::Char('q') | KeyCode::Char('Q') => {}
            KeyCode::Esc | KeyCode::Enter | KeyCode::Backspace => {
                app.close_details();
                return KeyAction::None;
            }
            KeyCode::Down | KeyCode::Char('j') => return scrolled(view, 1),
            KeyCode::Up | KeyCode::Char('k') => return scrolled(view, -1),
            KeyCode::PageDown => return scrolled(view, 10),
            KeyCode::PageUp => return scrolled(view, -10),
            KeyCode::Home => return scrolled(view, isize::MIN / 2),
            KeyCode::End => return scrolled(view, isize::MAX / 2),
            KeyCode::Char('r') | KeyCode::Char('R') => return KeyAction::Refresh,
            _ => return KeyAction::None,
        }
    }
    match key.code {
        KeyCode::Enter if app.focus == Panel::Steps => app.open_details(),
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

fn scrolled(view: &mut DetailsView, lines: isize) -> KeyAction {
    view.scroll_by(lines);
    KeyAction::None
}
