//! Keys of `flowtoy tui` (SPEC R22): `q` quits, `r` asks for a refresh,
//! `Tab` moves the focus, arrows and PageUp/PageDown scroll the focused panel.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flowtoy::runner::StatusReply;
use flowtoy::tui::{self, handle_key, App, Clock, KeyAction, Panel, Update};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::{json, Map, Value};

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// A finished run of `steps` steps with as many outputs, drawn once at
/// 80x24 so the panels know their heights.
fn app(steps: usize, show_logs: bool) -> App {
    let step_map: Map<String, Value> = (0..steps)
        .map(|i| {
            let t = 1_732_410_000.0 + i as f64;
            let step = json!({"state": "succeeded", "started_at": t, "ended_at": t + 0.5,
                              "notes": [], "outputs": ["n"]});
            (format!("step_{i:03}"), step)
        })
        .collect();
    let outputs: Map<String, Value> = (0..steps)
        .map(|i| (format!("step_{i:03}"), json!({"n": i})))
        .collect();
    let mut app = App::new("test", show_logs);
    app.clock = Clock::FixedOffset(0);
    let status = json!({"run_id": 1, "started_at": 1_732_410_000.0, "ended_at": 1_732_410_100.0,
                        "total_steps": steps, "completed_steps": steps, "current_step": null,
                        "running_steps": [], "running_count": 0, "steps": step_map});
    app.apply(Update::Snapshot {
        status: StatusReply::from_json(status).expect("a status document"),
        outputs: Value::Object(outputs),
    });
    if show_logs {
        app.set_logs((0..50).map(|i| format!("log {i}")).collect());
    }
    redraw(&mut app);
    app
}

fn redraw(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    tui::draw(&mut terminal, app).expect("draw");
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(buffer.area.width as usize)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn tab_cycles_through_the_panels() {
    let mut app = app(3, false);
    assert_eq!(app.focus, Panel::Steps);
    handle_key(&mut app, key(KeyCode::Tab));
    assert_eq!(app.focus, Panel::Outputs);
    assert!(redraw(&mut app).contains("Tab focus (outputs)"));
    handle_key(&mut app, key(KeyCode::Tab));
    assert_eq!(app.focus, Panel::Steps, "without logs there are two panels");

    let mut app = self::app(3, true);
    let mut seen = vec![app.focus];
    for _ in 0..3 {
        handle_key(&mut app, key(KeyCode::Tab));
        seen.push(app.focus);
    }
    assert_eq!(
        seen,
        [Panel::Steps, Panel::Outputs, Panel::Logs, Panel::Steps]
    );
    handle_key(&mut app, key(KeyCode::BackTab));
    assert_eq!(app.focus, Panel::Logs);
}

#[test]
fn arrows_scroll_the_focused_panel_only() {
    let mut app = app(40, false);
    handle_key(&mut app, key(KeyCode::Down));
    handle_key(&mut app, key(KeyCode::Down));
    assert_eq!(app.scroll(Panel::Steps), 2);
    assert_eq!(app.scroll(Panel::Outputs), 0);
    let frame = redraw(&mut app);
    assert!(
        !frame.contains("✓ step_001") && frame.contains("✓ step_002"),
        "{frame}"
    );
    handle_key(&mut app, key(KeyCode::Up));
    assert_eq!(app.scroll(Panel::Steps), 1);

    handle_key(&mut app, key(KeyCode::Tab));
    handle_key(&mut app, key(KeyCode::Down));
    assert_eq!(app.scroll(Panel::Outputs), 1);
    assert_eq!(app.scroll(Panel::Steps), 1);
}

#[test]
fn scrolling_stops_at_both_ends() {
    let mut app = app(40, false);
    handle_key(&mut app, key(KeyCode::Up));
    assert_eq!(app.scroll(Panel::Steps), 0);
    for _ in 0..100 {
        handle_key(&mut app, key(KeyCode::Down));
    }
    let last_start = 40 - app.viewport(Panel::Steps);
    assert_eq!(app.scroll(Panel::Steps), last_start);
    let frame = redraw(&mut app);
    assert!(
        frame.contains("step_039"),
        "the last step is visible:\n{frame}"
    );
    // A panel whose content fits does not scroll at all.
    let mut small = self::app(2, false);
    handle_key(&mut small, key(KeyCode::PageDown));
    assert_eq!(small.scroll(Panel::Steps), 0);
}

#[test]
fn page_keys_move_by_a_page() {
    let mut app = app(40, false);
    handle_key(&mut app, key(KeyCode::Tab));
    let page = app.viewport(Panel::Outputs) - 1;
    handle_key(&mut app, key(KeyCode::PageDown));
    assert_eq!(app.scroll(Panel::Outputs), page);
    handle_key(&mut app, key(KeyCode::PageDown));
    assert_eq!(app.scroll(Panel::Outputs), 2 * page);
    handle_key(&mut app, key(KeyCode::PageUp));
    assert_eq!(app.scroll(Panel::Outputs), page);
    handle_key(&mut app, key(KeyCode::Home));
    assert_eq!(app.scroll(Panel::Outputs), 0);
    handle_key(&mut app, key(KeyCode::End));
    let frame = redraw(&mut app);
    assert!(frame.contains(r#""step_039": {"#), "{frame}");
}

#[test]
fn logs_follow_the_tail_and_scroll_back() {
    let mut app = app(3, true);
    let frame = redraw(&mut app);
    assert!(frame.contains("log 49"), "{frame}");
    for _ in 0..2 {
        handle_key(&mut app, key(KeyCode::Tab));
    }
    assert_eq!(app.focus, Panel::Logs);
    handle_key(&mut app, key(KeyCode::Up));
    let frame = redraw(&mut app);
    assert!(
        frame.contains("log 48") && !frame.contains("log 49"),
        "{frame}"
    );
    handle_key(&mut app, key(KeyCode::Down));
    assert!(redraw(&mut app).contains("log 49"));
}

#[test]
fn q_esc_and_ctrl_c_quit_and_r_refreshes() {
    for quit in [
        key(KeyCode::Char('q')),
        key(KeyCode::Esc),
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    ] {
        let mut app = app(1, false);
        assert_eq!(handle_key(&mut app, quit), KeyAction::Quit, "{quit:?}");
        assert!(app.quit);
    }
    let mut app = app(1, false);
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Char('r'))),
        KeyAction::Refresh
    );
    assert_eq!(
        handle_key(&mut app, key(KeyCode::Char('c'))),
        KeyAction::None
    );
    assert!(!app.quit);
}
