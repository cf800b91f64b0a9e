//! `flowtoy webui --status-url` relays another runner's status API (SPEC
//! R18, R20): same answers, live events, 502 when the runner is away, and
//! usage errors for both or neither of CONFIG and --status-url.

use crate::status_api_support;

use crate::common::http_server::{self, Response};
use flowtoy::runner_api::{self, RelayClient, StatusUrl};
use serde_json::json;
use status_api_support::{check_status, closed_port, write, Serving, SseStream, GATED_FLOW};

#[test]
fn relay_answers_like_the_runner_and_streams_its_events() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let runner = Serving::start(dir.path(), &["serve", "flow.yaml", "--port", "0"]);
    // The --status-url may name the /status endpoint itself.
    let status_url = runner.at("/status");
    let relay = Serving::start(
        dir.path(),
        &["webui", "--status-url", &status_url, "--port", "0"],
    );
    assert!(relay.stderr().contains("relaying"), "{}", relay.stderr());

    let seen = status_api_support::wait_for("the gate step to run", || {
        let status = relay.status();
        (status["steps"]["gate"]["state"] == "running").then_some(status)
    });
    check_status(&seen);
    assert_eq!(seen["run_id"], runner.status()["run_id"]);

    let mut events = SseStream::open(&relay.at("/events"));
    assert_eq!(events.next_event().unwrap().event, "status");
    write(dir.path(), "go", "");
    let mut names = Vec::new();
    loop {
        let event = events
            .next_event()
            .expect("relayed events until the run ends");
        if event.event == "run_ended" {
            break;
        }
        names.push(format!(
            "{} {}",
            event.data["name"].as_str().unwrap(),
            event.data["state"].as_str().unwrap()
        ));
    }
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names.last().unwrap(), "after succeeded");

    assert_eq!(relay.get("/outputs"), runner.get("/outputs"));
    assert_eq!(
        relay.get("/outputs").1["after"],
        json!({"text": "hello again"})
    );
    assert_eq!(check_status(&relay.status()), 3);
    // The page itself is served by the relay.
    let page = status_api_support::client()
        .get(relay.at("/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("<script src=\"app.js\"></script>"), "{page}");

    let (code, _, _) = relay.interrupt();
    assert_eq!(code, 0);
    runner.interrupt();
}

#[test]
fn relay_to_an_unreachable_runner_answers_502_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let relay = Serving::start(dir.path(), &["webui", "--status-url", &url, "--port", "0"]);
    for path in ["/status", "/outputs", "/events"] {
        let (code, body) = relay.get(path);
        assert_eq!(code, 502, "{path}: {body}");
        let error = body["error"].as_str().expect("an error message");
        assert!(
            error.contains(&format!("cannot reach the runner at {url}")),
            "{error}"
        );
    }
    assert_eq!(relay.get("/healthz"), (200, json!({"ok": true})));
    let (code, _, stderr) = relay.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn flowtoy(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowtoy"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn webui_needs_exactly_one_of_config_and_status_url() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);

    let (code, stderr) = flowtoy(dir.path(), &["webui"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("give CONFIG files to run a flow here, or --status-url URL"),
        "{stderr}"
    );

    let (code, stderr) = flowtoy(
        dir.path(),
        &["webui", "flow.yaml", "--status-url", "http://127.0.0.1:9"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not both"), "{stderr}");

    let (code, stderr) = flowtoy(dir.path(), &["webui", "--status-url", "localhost:8000"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("invalid status URL 'localhost:8000'"),
        "{stderr}"
    );
    assert!(!dir.path().join("go").exists());
}

#[test]
fn relay_of_an_answer_that_is_not_a_status_document_is_a_502() {
    let fake = http_server::start(|req| match req.target.as_str() {
        "/status" => Response::json(200, r#"{"hello": "world"}"#),
        _ => Response::json(200, r#"{"a": {"x": 1}}"#),
    });
    let url = StatusUrl::parse(&fake.url("")).unwrap();
    let relay = runner_api::serve_api_in_thread(
        RelayClient::new(url).unwrap().into(),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .unwrap();
    let (code, body) = status_api_support::get_json(&format!("{}/status", relay.url()));
    assert_eq!(code, 502, "{body}");
    let error = body["error"].as_str().expect("an error message");
    assert!(
        error.contains("did not answer with a status document") && error.contains("no `steps`"),
        "{error}"
    );
    // Other endpoints are passed through as they are.
    assert_eq!(
        status_api_support::get_json(&format!("{}/outputs", relay.url())),
        (200, json!({"a": {"x": 1}}))
    );
}
