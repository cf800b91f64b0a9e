//! The status API of `flowtoy serve` and `flowtoy run --status-port`
//! (SPEC R17–R19), exercised over HTTP on 127.0.0.1.

use crate::status_api_support;

use flowtoy::runner::{RunEndedEvent, RunOutcome, StatusDocument, StepEvent, StepState};
use serde_json::json;
use status_api_support::{check_status, write, Serving, SseStream, GATED_FLOW};

#[test]
fn status_shows_a_running_step_then_the_final_counts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let server = Serving::start(dir.path(), &["serve", "flow.yaml", "--port", "0"]);

    let running = status_api_support::wait_for("the gate step to run", || {
        let status = server.status();
        (status["steps"]["gate"]["state"] == "running").then_some(status)
    });
    check_status(&running);
    assert_eq!(running["total_steps"], 3);
    assert_eq!(running["completed_steps"], 0);
    assert_eq!(running["current_step"], "gate");
    assert_eq!(running["ended_at"], json!(null));
    assert!(running["started_at"].is_f64());
    assert_eq!(running["steps"]["greet"]["state"], "pending");
    assert_eq!(server.get("/outputs"), (200, json!({})));

    write(dir.path(), "go", "");
    let done = status_api_support::wait_for("the run to end", || {
        let status = server.status();
        status["ended_at"].is_f64().then_some(status)
    });
    assert_eq!(check_status(&done), 3);
    assert_eq!(done["run_id"], running["run_id"]);
    assert_eq!(done["current_step"], json!(null));
    assert_eq!(done["running_steps"], json!([]));
    assert_eq!(done["running_count"], 0);
    assert_eq!(
        done["steps"]["greet"]["outputs"],
        json!(["greeting", "all"])
    );
    assert_eq!(
        server.get("/outputs"),
        (
            200,
            json!({
                "gate": {"released": true},
                "greet": {"greeting": "hello", "all": {"greeting": "hello", "n": 3}},
                "after": {"text": "hello again"}
            })
        )
    );
    assert_eq!(server.get("/healthz"), (200, json!({"ok": true})));

    let (code, body) = server.get("/no-such-thing");
    assert_eq!(code, 404);
    assert!(
        body["error"].as_str().unwrap().contains("/status"),
        "{body}"
    );

    let (code, _, stderr) = server.interrupt();
    assert_eq!(code, 0, "a completed run exits 0 after Ctrl-C:\n{stderr}");
    assert!(stderr.contains("still serving"), "{stderr}");
}

#[test]
fn events_stream_every_state_change_and_the_run_end() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let server = Serving::start(dir.path(), &["serve", "flow.yaml", "--port", "0"]);
    status_api_support::wait_for("the gate step to run", || {
        (server.status()["steps"]["gate"]["state"] == "running").then_some(())
    });

    let mut events = SseStream::open(&server.at("/events"));
    let first = events.next_event().expect("a first event");
    assert_eq!(first.event, "status");
    check_status(&first.data);
    assert_eq!(first.data["steps"]["gate"]["state"], "running");
    // Every event reads as the engine's own document types.
    let document: StatusDocument = serde_json::from_value(first.data.clone()).expect("a status");
    assert_eq!(
        document.steps.get("gate").unwrap().state,
        StepState::Running
    );

    write(dir.path(), "go", "");
    let mut seen = Vec::new();
    loop {
        let event = events
            .next_event()
            .expect("the stream goes on until the run ends");
        if event.event == "run_ended" {
            assert_eq!(event.data["outcome"], "completed");
            assert!(event.data["ended_at"].is_f64());
            let ended: RunEndedEvent = serde_json::from_value(event.data).expect("run_ended");
            assert_eq!(ended.outcome, RunOutcome::Completed);
            break;
        }
        assert_eq!(event.event, "step", "{event:?}");
        let data = &event.data;
        let step: StepEvent = serde_json::from_value(data.clone()).expect("a step event");
        assert_eq!(step.name, data["name"].as_str().unwrap());
        assert!(
            data["started_at"].is_f64() && data["notes"].is_array(),
            "{data}"
        );
        seen.push(format!(
            "{} {}",
            data["name"].as_str().unwrap(),
            data["state"].as_str().unwrap()
        ));
    }
    assert_eq!(
        seen,
        [
            "gate succeeded",
            "greet running",
            "greet succeeded",
            "after running",
            "after succeeded"
        ]
    );

    // A client that connects after the end gets the final status and the end.
    let mut late = SseStream::open(&server.at("/events"));
    assert_eq!(late.next_event().unwrap().data["completed_steps"], 3);
    assert_eq!(late.next_event().unwrap().event, "run_ended");
    server.interrupt();
}

#[test]
fn run_with_status_port_prints_outputs_and_serves_until_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    write(dir.path(), "go", "");
    let server = Serving::start(
        dir.path(),
        &[
            "run",
            "flow.yaml",
            "-j",
            "--status-port",
            "0",
            "--status-host",
            "127.0.0.1",
        ],
    );
    let done = status_api_support::wait_for("the run to end", || {
        let status = server.status();
        status["ended_at"].is_f64().then_some(status)
    });
    assert_eq!(check_status(&done), 3);
    status_api_support::wait_for("the serving notice", || {
        server.stderr().contains("still serving").then_some(())
    });
    assert_eq!(
        server.get("/outputs").1["after"],
        json!({"text": "hello again"})
    );
    let (code, stdout, stderr) = server.interrupt();
    assert_eq!(code, 0, "{stderr}");
    let printed: serde_json::Value = serde_json::from_str(&stdout).expect("-j prints JSON");
    assert_eq!(printed["greet"]["greeting"], "hello");
}

#[test]
fn run_with_a_failing_step_keeps_its_exit_code_after_serving() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "flow.yaml",
        "flow:\n  - name: broken\n    source: {type: process, configuration: {command: [\"false\"]}}\n",
    );
    let server = Serving::start(dir.path(), &["run", "flow.yaml", "--status-port", "0"]);
    let done = status_api_support::wait_for("the run to end", || {
        let status = server.status();
        status["ended_at"].is_f64().then_some(status)
    });
    check_status(&done);
    assert_eq!(done["steps"]["broken"]["state"], "failed");
    assert_eq!(
        done["steps"]["broken"]["notes"],
        json!(["process exited with code 1"])
    );
    status_api_support::wait_for("the serving notice", || {
        server.stderr().contains("still serving").then_some(())
    });
    let (code, _, stderr) = server.interrupt();
    assert_eq!(code, 1, "a halted run exits 1:\n{stderr}");
}

#[test]
fn a_port_in_use_is_a_usage_error_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "flow.yaml",
        "flow:\n  - name: touch\n    source: {type: process, configuration: {command: [touch, ran]}}\n",
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    for args in [
        vec!["run", "flow.yaml", "--status-port", port.as_str()],
        vec!["serve", "flow.yaml", "--port", port.as_str()],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowtoy"))
            .args(&args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("cannot serve the status API on 127.0.0.1:{port}")),
            "{stderr}"
        );
        assert!(!dir.path().join("ran").exists(), "no step may run");
    }
}
