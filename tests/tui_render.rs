//! Frames of `flowtoy tui` for known status JSON (SPEC R19, R22), drawn on
//! ratatui's TestBackend and compared with snapshots (insta). Start times are
//! shown at UTC+0 here (`Clock::FixedOffset(0)`) so frames do not depend on
//! the machine's time zone; `flowtoy tui` itself shows local time.

use flowtoy::runner::{RunStatus, StatusReply, StepState, StepStatus};
use flowtoy::tui::{self, App, Clock, Connection, Update};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;
use serde_json::{json, Value};
use std::sync::Arc;

/// 2024-11-24 01:00:00 UTC.
const T0: f64 = 1_732_410_000.0;

/// A run half-way through: one step in each state.
fn mixed_status() -> Value {
    json!({
        "run_id": 1_732_410_000_000u64,
        "started_at": T0,
        "ended_at": null,
        "total_steps": 5,
        "completed_steps": 2,
        "current_step": "transform",
        "running_steps": ["transform"],
        "running_count": 1,
        "steps": {
            "fetch_users": {"state": "succeeded", "started_at": T0 + 0.1, "ended_at": T0 + 1.35,
                            "notes": [], "outputs": ["users"]},
            "fetch_orders": {"state": "failed", "started_at": T0 + 0.1, "ended_at": T0 + 2.0,
                             "notes": ["HTTP status 503"], "outputs": []},
            "transform": {"state": "running", "started_at": T0 + 1.4, "ended_at": null,
                          "notes": [], "outputs": []},
            "report": {"state": "pending", "started_at": null, "ended_at": null,
                       "notes": [], "outputs": []},
            "notify": {"state": "skipped", "started_at": null, "ended_at": T0 + 2.0,
                       "notes": ["skipped: depends on 'fetch_orders', which failed"], "outputs": []}
        }
    })
}

fn mixed_outputs() -> Value {
    json!({"fetch_users": {"users": [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Grace"}]}})
}

/// An app that received `status` and `outputs`, five seconds into the run.
fn app_with(status: Value, outputs: Value) -> App {
    let mut app = App::new("http://127.0.0.1:8000", false);
    app.clock = Clock::FixedOffset(0);
    app.now = T0 + 5.0;
    app.apply(snapshot(status, outputs));
    app
}

/// What a source delivers for these documents.
fn snapshot(status: Value, outputs: Value) -> Update {
    Update::Snapshot {
        status: StatusReply::from_json(status).expect("a status document"),
        outputs,
    }
}

fn draw(app: &mut App, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    tui::draw(&mut terminal, app).expect("draw");
    terminal.backend().buffer().clone()
}

/// The frame as text, one line per row, trailing spaces cut.
fn text(buffer: &Buffer) -> String {
    let width = buffer.area.width as usize;
    buffer
        .content
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn frame(app: &mut App, width: u16, height: u16) -> String {
    text(&draw(app, width, height))
}

/// The frame line that contains `needle`.
fn line_with<'a>(frame: &'a str, needle: &str) -> &'a str {
    frame
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{frame}"))
}

#[test]
fn every_state_on_a_narrow_terminal() {
    let frame = frame(&mut app_with(mixed_status(), mixed_outputs()), 60, 24);
    insta::assert_snapshot!("mixed_60x24", frame);
    for row in [
        "✓ fetch_users",
        "✗ fetch_orders",
        "▶ transform",
        "◷ report",
        "⊘ notify",
    ] {
        line_with(&frame, row);
    }
    for line in frame.lines() {
        assert!(
            line.chars().count() <= 60,
            "line wider than the terminal: {line:?}"
        );
    }
}

#[test]
fn every_state_on_a_wide_terminal() {
    let frame = frame(&mut app_with(mixed_status(), mixed_outputs()), 140, 24);
    insta::assert_snapshot!("mixed_140x24", frame);
    // Wide terminals put the outputs beside the steps.
    assert!(
        line_with(&frame, "✓ fetch_users").contains(r#""fetch_users": {"#),
        "{frame}"
    );
    assert!(
        line_with(&frame, "⊘ notify").contains("skipped: depends on 'fetch_orders', which failed")
    );
}

#[test]
fn start_times_and_durations_are_formatted() {
    let frame = frame(&mut app_with(mixed_status(), mixed_outputs()), 100, 24);
    let users = line_with(&frame, "✓ fetch_users");
    assert!(
        users.contains("01:00:00") && users.contains("+1.2s"),
        "{users}"
    );
    let orders = line_with(&frame, "fetch_orders");
    assert!(
        orders.contains("+1.9s") && orders.contains("HTTP status 503"),
        "{orders}"
    );
    // A running step's duration runs until now (T0 + 5).
    assert!(line_with(&frame, "▶ transform").contains("+3.6s"));
    // Pending and skipped steps have no start time or duration.
    let report = line_with(&frame, "◷ report");
    assert!(!report.contains(':') && !report.contains("+"), "{report}");
    assert!(line_with(&frame, "run 1732410000000").contains("elapsed 5.0s"));
}

#[test]
fn start_times_follow_the_clock_offset() {
    let mut app = app_with(mixed_status(), mixed_outputs());
    app.clock = Clock::FixedOffset(5 * 3600 + 1800);
    let frame = frame(&mut app, 100, 24);
    assert!(
        line_with(&frame, "fetch_users").contains("06:30:00"),
        "{frame}"
    );
}

#[test]
fn long_names_and_errors_are_cut_with_an_ellipsis() {
    let long_name = "extract_every_single_customer_record_from_the_legacy_billing_system";
    let status = json!({
        "run_id": 1, "started_at": T0, "ended_at": T0 + 75.0,
        "total_steps": 2, "completed_steps": 2, "current_step": null,
        "running_steps": [], "running_count": 0,
        "steps": {
            long_name: {"state": "failed", "started_at": T0, "ended_at": T0 + 75.0,
                        "notes": ["process exited with code 2; stderr said:\n  cannot open\t/var/lib/billing/customers.db: permission denied (you may need to run as the billing user)"],
                        "outputs": []},
            "ok": {"state": "succeeded", "started_at": T0, "ended_at": T0 + 0.04,
                   "notes": [], "outputs": []}
        }
    });
    let frame = frame(&mut app_with(status, json!({})), 60, 16);
    insta::assert_snapshot!("long_60x16", frame);
    let row = line_with(&frame, "✗ extract");
    assert!(row.contains('…') && !row.contains(long_name), "{row}");
    assert!(row.contains("+75.0s"), "{row}");
    assert!(row.ends_with("…│"), "the error is cut at the border: {row}");
    assert!(!frame.contains('\t'));
    assert!(line_with(&frame, "run 1").contains("finished with failures"));
    assert!(line_with(&frame, "run 1").contains("1m 15s"));
}

#[test]
fn unreachable_runner_keeps_the_last_status_and_says_so() {
    let mut app = app_with(mixed_status(), mixed_outputs());
    app.apply(Update::Failed(
        "cannot reach the runner at http://127.0.0.1:8000/status: Connection refused (os error 111)".into(),
    ));
    app.apply(Update::Failed(
        "cannot reach the runner at http://127.0.0.1:8000/status: Connection refused (os error 111)".into(),
    ));
    let frame = frame(&mut app, 140, 20);
    insta::assert_snapshot!("unreachable_with_status_140x20", frame);
    let line = line_with(&frame, "cannot reach the runner");
    assert!(
        line.contains("Connection refused") && line.contains("retrying (attempt 2)"),
        "{line}"
    );
    assert!(line.contains("showing the last status received"), "{line}");
    assert!(frame.contains("✓ fetch_users"));
}

#[test]
fn unreachable_runner_before_any_status() {
    let mut app = App::new("http://127.0.0.1:9", false);
    app.clock = Clock::FixedOffset(0);
    app.apply(Update::Failed(
        "cannot reach the runner at http://127.0.0.1:9/status: Connection refused (os error 111)"
            .into(),
    ));
    let frame = frame(&mut app, 60, 16);
    insta::assert_snapshot!("unreachable_no_status_60x16", frame);
    assert!(frame.contains("waiting for the first status"));
    assert!(
        frame.contains("✗ retrying (attempt 1): cannot reach the runner"),
        "{frame}"
    );
    // The error wraps inside the header and ends cleanly.
    assert!(frame.contains("refused"), "{frame}");
}

#[test]
fn a_server_without_a_runner_is_shown_as_such() {
    let mut app = App::new("http://127.0.0.1:8000", false);
    app.apply(snapshot(json!({"status": "no-runner"}), json!({})));
    let frame = frame(&mut app, 60, 12);
    assert!(frame.contains("no runner attached"), "{frame}");
    assert_eq!(app.connection, Connection::Live);
}

#[test]
fn something_that_is_not_a_status_is_an_error_not_a_crash() {
    let mut app = App::new("http://127.0.0.1:8000", false);
    let error = StatusReply::from_json(json!(["not", "a", "status"])).expect_err("not a status");
    app.apply(Update::Failed(error));
    let frame = frame(&mut app, 80, 12);
    assert!(
        line_with(&frame, "✗").contains("not a JSON object"),
        "{frame}"
    );
}

#[test]
fn logs_panel_shows_the_newest_lines() {
    let mut app = app_with(mixed_status(), mixed_outputs());
    app.logs = Some(Vec::new());
    app.set_logs(
        (1..=30)
            .map(|i| format!("01:00:{i:02}.000Z  INFO log line {i}"))
            .collect(),
    );
    let frame = frame(&mut app, 80, 30);
    insta::assert_snapshot!("logs_80x30", frame);
    assert!(frame.contains("Logs (30)"));
    assert!(frame.contains("log line 30"));
    assert!(!frame.contains("log line 1\n") && !frame.contains("log line 10 "));
}

#[test]
fn the_engines_own_status_json_is_understood() {
    let step =
        |name: &str, state, started: Option<f64>, ended: Option<f64>, error: Option<&str>| {
            Arc::new(StepStatus {
                name: name.into(),
                state,
                started_at: started,
                ended_at: ended,
                error: error.map(String::from),
                outputs: vec![],
                attempt: None,
                items: None,
                executor: None,
                job_id: None,
            })
        };
    let status = RunStatus {
        run_id: 42,
        started_at: Some(T0),
        ended_at: Some(T0 + 3.0),
        steps: vec![
            step("a", StepState::Succeeded, Some(T0), Some(T0 + 1.0), None),
            step(
                "b",
                StepState::Failed,
                Some(T0 + 1.0),
                Some(T0 + 3.0),
                Some("boom"),
            ),
            step(
                "c",
                StepState::Skipped,
                None,
                Some(T0 + 3.0),
                Some("skipped: depends on 'b', which failed"),
            ),
        ],
        outcome: None,
    };
    let frame = frame(
        &mut app_with(
            serde_json::to_value(status.document()).expect("JSON"),
            json!({"a": {}}),
        ),
        80,
        20,
    );
    assert!(line_with(&frame, "✓ a").contains("+1.0s"));
    assert!(line_with(&frame, "✗ b").contains("boom"));
    assert!(line_with(&frame, "⊘ c").contains("skipped: depends on 'b'"));
    assert!(
        line_with(&frame, "completed").contains("2/3 completed"),
        "{frame}"
    );
}

#[test]
fn states_are_coloured() {
    let mut app = app_with(mixed_status(), mixed_outputs());
    let buffer = draw(&mut app, 100, 24);
    let frame = text(&buffer);
    let colour_of = |icon: &str| {
        let (y, line) = frame
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(&format!("{icon} ")) && !l.contains("run "))
            .expect("row");
        let x = line.chars().take_while(|c| c.to_string() != icon).count();
        buffer[(x as u16, y as u16)].fg
    };
    assert_eq!(colour_of("✓"), Color::Green);
    assert_eq!(colour_of("✗"), Color::Red);
    assert_eq!(colour_of("▶"), Color::Yellow);
}

#[test]
fn foreach_counts_and_retries_are_shown() {
    let mut status = mixed_status();
    status["steps"]["transform"]["items"] =
        json!({"total": 100, "succeeded": 35, "failed": 2, "running": 4});
    status["steps"]["transform"]["attempt"] = json!(2);
    status["steps"]["fetch_users"]["attempt"] = json!(3);
    let mut app = app_with(status, mixed_outputs());
    let frame = frame(&mut app, 100, 20);
    let transform = line_with(&frame, "▶ transform");
    assert!(
        transform.contains("37/100 items (2 failed), try 2"),
        "{transform}"
    );
    let users = line_with(&frame, "✓ fetch_users");
    assert!(users.contains("try 3"), "{users}");
}
