//! Where `flowtoy tui` gets its data (SPEC R19, R22): a runner's status API
//! over HTTP, or a runner of this process read directly. Real servers on
//! 127.0.0.1: the engine's own status API around a real run, a small HTTP
//! server answering known JSON, and a port where nothing listens.

use crate::common;

use common::http_server::{self, Response};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use flowtoy::runner::{LocalRunner, StatusReply};
use flowtoy::runner_api;
use flowtoy::tui::feed::Feed;
use flowtoy::tui::{
    self, App, Clock, Connection, HttpSource, InProcessSource, Panel, StatusSource, Tui, Update,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Generous: only reached when something is broken.
const DEADLINE: Duration = Duration::from_secs(30);

fn frame(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    tui::draw(&mut terminal, app).expect("draw");
    let buffer = terminal.backend().buffer();
    buffer
        .content
        .chunks(buffer.area.width as usize)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Waits for `count` updates from `feed` that satisfy `wanted`.
fn wait_for(feed: &Feed, count: usize, wanted: impl Fn(&Update) -> bool) -> Vec<Update> {
    let start = Instant::now();
    let mut got = Vec::new();
    while got.iter().filter(|u| wanted(u)).count() < count {
        assert!(start.elapsed() < DEADLINE, "no such update; got {got:?}");
        got.extend(feed.drain().expect("the feed is alive"));
        std::thread::sleep(Duration::from_millis(20));
    }
    got
}

/// A flow that finishes at once: one step succeeds, one fails, one is skipped.
fn finished_runner(dir: &tempfile::TempDir) -> Arc<LocalRunner> {
    let path = dir.path().join("flow.yaml");
    std::fs::write(
        &path,
        r#"
flow:
  - name: hello
    source: {type: process, configuration: {command: [echo, '{"greeting": "hi"}']}}
    output: [{name: greeting, type: jmespath, value: greeting}]
  - name: broken
    source: {type: process, configuration: {command: [sh, -c, "exit 3"]}}
    on_error: skip
  - name: after_broken
    depends_on: [broken]
    source: {type: process, configuration: {command: [echo, never]}}
"#,
    )
    .expect("write flow");
    let config = flowtoy::config::load_yaml_files(&[&path]).expect("valid flow");
    let runner = Arc::new(LocalRunner::new(config));
    runner.run().expect("run");
    runner
}

#[test]
fn a_refused_connection_is_a_clear_error_and_is_retried() {
    let port = http_server::closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut source = HttpSource::new(&url).expect("valid URL");
    let error = source.fetch().expect_err("nothing listens there");
    assert!(
        error.starts_with(&format!("cannot reach the runner at {url}/status: ")),
        "{error}"
    );
    assert!(error.to_lowercase().contains("refused"), "{error}");

    // The feed keeps trying, and the UI says so each time.
    let feed = Feed::spawn(Box::new(source), Duration::from_millis(50)).expect("feed");
    let failures = wait_for(&feed, 2, |u| matches!(u, Update::Failed(_)));
    let mut app = App::new(url.clone(), false);
    failures.into_iter().for_each(|u| app.apply(u));
    assert!(matches!(app.connection, Connection::Unreachable { attempts, .. } if attempts >= 2));
    let frame = frame(&mut app, 80, 16);
    assert!(frame.contains("✗ retrying (attempt"), "{frame}");
    assert!(frame.contains("cannot reach the runner"), "{frame}");
}

#[test]
fn a_status_url_may_be_the_base_or_the_status_endpoint() {
    let server = http_server::start(|req| match req.target.as_str() {
        "/status" => Response::json(200, r#"{"status": "no-runner"}"#),
        "/outputs" => Response::json(200, "{}"),
        _ => Response::text(404, "not found"),
    });
    for url in [server.url(""), server.url("/"), server.url("/status")] {
        let mut source = HttpSource::new(&url).expect("valid URL");
        assert_eq!(source.label(), server.url(""));
        let fetched = source.fetch().expect("fetch");
        assert_eq!(fetched.status, StatusReply::NoRunner);
    }
    let error = HttpSource::new("127.0.0.1:8000").expect_err("no scheme");
    assert!(error.contains("invalid status URL"), "{error}");
}

#[test]
fn a_server_that_is_not_a_status_api_is_reported() {
    let server = http_server::start(|req| match req.target.as_str() {
        "/status" => Response::text(200, "<html>hello</html>"),
        _ => Response::text(404, "not found"),
    });
    let mut source = HttpSource::new(&server.url("")).expect("valid URL");
    let error = source.fetch().expect_err("not JSON");
    assert!(error.contains("did not answer with JSON"), "{error}");

    let server = http_server::start(|_| Response::json(500, r#"{"error": "disk on fire"}"#));
    let mut source = HttpSource::new(&server.url("")).expect("valid URL");
    let error = source.fetch().expect_err("HTTP 500");
    assert!(
        error.contains("answered HTTP 500") && error.contains("disk on fire"),
        "{error}"
    );
}

#[test]
fn a_real_run_through_the_status_api_and_the_runner_going_away() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runner = finished_runner(&dir);
    let server = runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .expect("status API");
    let mut source = HttpSource::new(&server.url()).expect("valid URL");
    let fetched = source.fetch().expect("the API answers");
    let mut app = App::new(server.url(), false);
    app.clock = Clock::FixedOffset(0);
    app.apply(Update::Snapshot {
        status: fetched.status,
        outputs: fetched.outputs,
    });
    let live = frame(&mut app, 100, 20);
    assert!(live.contains("✓ hello"), "{live}");
    assert!(
        live.contains("✗ broken") && live.contains("process exited with code 3"),
        "{live}"
    );
    assert!(live.contains("⊘ after_broken"), "{live}");
    assert!(live.contains(r#""greeting": "hi""#), "{live}");
    assert!(live.contains("finished with failures"), "{live}");

    server.shutdown();
    let error = source.fetch().expect_err("the server is gone");
    app.apply(Update::Failed(error));
    let gone = frame(&mut app, 100, 20);
    assert!(gone.contains("showing the last status received"), "{gone}");
    assert!(gone.contains("cannot reach the runner"), "{gone}");
    assert!(
        gone.contains("✓ hello"),
        "the last status stays on screen:\n{gone}"
    );
}

/// The in-process source and `GET /status` / `GET /outputs` give the same
/// documents for the same runner: the TUI's all-in-one mode and a remote
/// TUI show the same thing.
#[test]
fn the_in_process_source_reads_what_the_status_api_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runner = finished_runner(&dir);
    let server = runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .expect("status API");
    let over_http = HttpSource::new(&server.url())
        .expect("valid URL")
        .fetch()
        .expect("the API answers");
    let in_process = InProcessSource::new(Arc::clone(&runner))
        .fetch()
        .expect("the runner answers");
    assert_eq!(in_process.outputs, over_http.outputs);

    // The served text is the document's, byte for byte.
    let served = reqwest::blocking::get(format!("{}/status", server.url()))
        .expect("GET /status")
        .text()
        .expect("a body");
    let document = serde_json::to_string(&in_process.status).expect("JSON");
    assert_eq!(served, document);
    // Read back, it is what the HTTP source got (both parsed from the same
    // text: JSON parsing may round the last digit of a time).
    let read_back: Value = serde_json::from_str(&document).expect("JSON");
    assert_eq!(
        StatusReply::from_json(read_back).expect("a status document"),
        over_http.status
    );
    let StatusReply::Run(run) = in_process.status else {
        panic!("a run")
    };
    assert_eq!(run.steps.len(), 3);
}

#[test]
fn the_event_stream_reports_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let runner = finished_runner(&dir);
    let server = runner_api::serve_runner_api_in_thread(
        Some(runner),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .expect("status API");
    let source = HttpSource::new(&server.url()).expect("valid URL");
    let mut watcher = source.watcher().expect("HTTP sources watch /events");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut calls = 0;
        // Connected, then the `status` and `run_ended` events of a finished run.
        let result = watcher.watch(&mut || {
            calls += 1;
            calls < 3
        });
        let _ = tx.send((calls, result));
    });
    let (calls, result) = rx.recv_timeout(DEADLINE).expect("events arrive");
    assert_eq!(calls, 3);
    assert_eq!(result, Ok(()));
}

#[test]
fn the_main_loop_reads_keys_and_the_source() {
    let server = http_server::start(|req| match req.target.as_str() {
        "/status" => Response::json(
            200,
            r#"{"run_id": 7, "started_at": 1.0, "ended_at": 2.0, "total_steps": 1,
                "completed_steps": 1, "current_step": null, "running_steps": [],
                "running_count": 0, "steps": {"only": {"state": "succeeded",
                "started_at": 1.0, "ended_at": 2.0, "notes": [], "outputs": ["x"]}}}"#,
        ),
        "/outputs" => Response::json(200, r#"{"only": {"x": 1}}"#),
        _ => Response::text(404, "not found"),
    });
    let source = HttpSource::new(&server.url("")).expect("valid URL");
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).expect("terminal");
    // Wait (as a terminal would, without keys) until the status arrived,
    // then press Tab, r and q.
    let requests = Arc::clone(&server.requests);
    let mut keys = vec![KeyCode::Char('q'), KeyCode::Char('r'), KeyCode::Tab];
    let start = Instant::now();
    let mut next_event = move |timeout: Duration| {
        let asked = requests
            .lock()
            .expect("lock")
            .iter()
            .filter(|r| r.target == "/outputs")
            .count();
        if asked == 0 {
            assert!(start.elapsed() < DEADLINE, "the source was never asked");
            std::thread::sleep(timeout);
            return Ok(None);
        }
        Ok(keys
            .pop()
            .map(|code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
    };
    let ended = Tui::new(source)
        .clock(Clock::FixedOffset(0))
        .run_on(&mut terminal, &mut next_event, &|| None)
        .expect("the loop ends on q");
    assert!(ended.app.quit);
    assert_eq!(ended.signal, None);
    assert_eq!(ended.app.focus, Panel::Outputs);
    let screen: String = terminal
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains("Tab focus (outputs)"), "{screen}");
}

#[test]
fn a_signal_ends_the_main_loop() {
    let source = HttpSource::new(&format!("http://127.0.0.1:{}", http_server::closed_port()))
        .expect("valid URL");
    let mut terminal = Terminal::new(TestBackend::new(60, 16)).expect("terminal");
    let ended = Tui::new(source)
        .run_on(&mut terminal, &mut |_| Ok(None), &|| Some(15))
        .expect("the loop ends on the signal");
    assert_eq!(ended.signal, Some(15));
    assert!(!ended.app.quit);
}
