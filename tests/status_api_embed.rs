//! The embedding API (SPEC R23) used as `examples/embed.rs` uses it: a
//! runner in an `Arc`, `serve_runner_api_in_thread` on port 0, a
//! `LogCapture`, then the run; plus a server with no runner attached.

use crate::common::own_process;
use crate::status_api_support;
use flowtoy::runner::LocalRunner;
use flowtoy::runner_api::{self, LogCapture};
use flowtoy::{config, run_flow};
use serde_json::json;
use status_api_support::{check_status, get_json, write};
use std::sync::Arc;

const FLOW: &str = r#"
flow:
  - name: hello
    source: {type: process, configuration: {command: [echo, '{"word": "hi"}']}}
    output:
      - {name: word, type: jmespath, value: word}
  - name: shout
    source: {type: process, configuration: {command: [echo]}}
    input: "{{ flows.hello.word | upper }}"
    output:
      - {name: text, type: json}
"#;

#[test]
fn a_program_runs_a_flow_serves_its_status_and_reads_its_logs() {
    // Its LogCapture becomes the process-wide log subscriber and must see
    // this run's lines alone, not those of every other test here.
    let name = "status_api_embed::a_program_runs_a_flow_serves_its_status_and_reads_its_logs";
    if own_process::ran_alone(name, &[]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let path = dir.path().join("flow.yaml");

    let capture = LogCapture::new(100);
    let config = config::load_yaml_files(&[&path]).expect("the flow loads");
    let runner = Arc::new(LocalRunner::new(config));
    let server = runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::INFO,
        Some(capture.clone()),
    )
    .expect("the server starts");
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0, "the actual port is reported");

    let before = get_json(&format!("{}/status", server.url())).1;
    check_status(&before);
    assert_eq!(before["completed_steps"], 0);
    assert_eq!(before["started_at"], json!(null));

    let status = runner.run().expect("the run");
    assert_eq!(status.completed_steps(), 2);
    assert_eq!(status.step("shout").unwrap().outputs, ["text"]);

    let after = get_json(&format!("{}/status", server.url())).1;
    assert_eq!(check_status(&after), 2);
    assert_eq!(after["run_id"], status.run_id);
    assert_eq!(
        get_json(&format!("{}/outputs", server.url())).1,
        json!({"hello": {"word": "hi"}, "shout": {"text": "HI"}})
    );

    let records = capture.records();
    assert!(
        records
            .iter()
            .any(|l| l.contains("INFO step succeeded step=shout")),
        "{records:#?}"
    );
    assert!(
        records
            .iter()
            .any(|l| l.contains("status API and web UI at http://")),
        "{records:#?}"
    );
    let served = get_json(&format!("{}/logs", server.url())).1;
    assert_eq!(
        served["records"].as_array().unwrap().len(),
        capture.records().len()
    );

    let url = server.url();
    server.shutdown();
    assert!(
        reqwest::blocking::get(format!("{url}/healthz")).is_err(),
        "nothing listens after shutdown"
    );

    // The one-call form gives the same outputs.
    let (flows, status) = run_flow(&[&path]).expect("run_flow");
    assert_eq!(flows["shout"]["text"], "HI");
    assert!(status.ended_at.is_some());
}

#[test]
fn a_server_without_a_runner_says_so_until_one_is_attached() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let server =
        runner_api::serve_runner_api_in_thread(None, "127.0.0.1", 0, tracing::Level::WARN, None)
            .expect("the server starts");
    let url = server.url();
    assert_eq!(
        get_json(&format!("{url}/status")),
        (200, json!({"status": "no-runner"}))
    );
    assert_eq!(get_json(&format!("{url}/outputs")), (200, json!({})));
    assert_eq!(
        get_json(&format!("{url}/healthz")),
        (200, json!({"ok": true}))
    );
    let mut events = status_api_support::SseStream::open(&format!("{url}/events"));
    let first = events.next_event().unwrap();
    assert_eq!(
        (first.event.as_str(), first.data),
        ("status", json!({"status": "no-runner"}))
    );

    let config = config::load_yaml_files(&[dir.path().join("flow.yaml")]).unwrap();
    let runner = Arc::new(LocalRunner::new(config));
    server.set_runner(Some(Arc::clone(&runner)));
    let status = get_json(&format!("{url}/status")).1;
    check_status(&status);
    assert_eq!(status["total_steps"], 2);
}
