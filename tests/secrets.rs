//! Secret values never leak (SPEC R24): env variables with secret-looking
//! names or listed under `secrets`, and outputs marked `secret: true`.

use crate::common;
use common::Test;
use serde_json::json;

const TOKEN: &str = "tok-3f9a-SECRET-VALUE";
const PLAIN: &str = "listed-but-plainly-named";

fn flow() -> Test {
    Test::new()
        .file(
            "f.yaml",
            r#"
sources:
  creds:
    type: env
    configuration:
      vars: [API_TOKEN, PLAIN_VAR, FT_USER]
      secrets: [PLAIN_VAR]
flow:
  - name: login
    source: {type: process, configuration: {command: [echo], log_full_command: true}}
    input: "user={{ sources.creds.FT_USER }} token={{ sources.creds.API_TOKEN }} plain={{ sources.creds.PLAIN_VAR }}"
    output: [{name: line}]
  - name: session
    source: {type: process, configuration: {command: [echo, sess-7781-abcd]}}
    output: [{name: id, secret: true}]
  - name: uses_session
    source: {type: process, configuration: {command: [echo]}}
    input: "session is {{ flows.session.id }}"
    output: [{name: said}]
"#,
        )
        .env("API_TOKEN", TOKEN)
        .env("PLAIN_VAR", PLAIN)
        .env("FT_USER", "ann")
}

fn assert_clean(text: &str) {
    for secret in [TOKEN, PLAIN, "sess-7781-abcd"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[test]
fn printed_outputs_and_logs_are_masked() {
    let out = flow()
        .args(["run", "-j", "-v", "-o", "out.json", "f.yaml"])
        .run();
    out.success();
    assert_clean(&out.stdout());
    assert_clean(&out.stderr());
    assert_clean(&out.read("out.json"));
    let got = out.stdout_json();
    assert_eq!(
        got["login"]["line"],
        json!("user=ann token=***REDACTED*** plain=***REDACTED***")
    );
    assert_eq!(got["session"]["id"], json!("***REDACTED***"));
    assert_eq!(
        got["uses_session"]["said"],
        json!("session is ***REDACTED***")
    );
    // The log line of the full command was masked, not dropped.
    out.stderr_has("running echo user=ann token=***REDACTED***");
}

#[test]
fn human_output_is_masked() {
    let out = flow().args(["run", "f.yaml"]).run();
    out.success().stdout_has("token=***REDACTED***");
    assert_clean(&out.stdout());
}

#[test]
fn show_secrets_prints_real_values_to_stdout_and_file_only() {
    let out = flow()
        .args([
            "run",
            "-j",
            "-v",
            "--show-secrets",
            "-o",
            "out.json",
            "f.yaml",
        ])
        .run();
    out.success();
    let got = out.stdout_json();
    assert_eq!(
        got["login"]["line"],
        json!(format!("user=ann token={TOKEN} plain={PLAIN}"))
    );
    assert!(out.read("out.json").contains(TOKEN));
    assert_clean(&out.stderr());
}

#[test]
fn error_messages_are_masked() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
sources:
  creds: {type: env, configuration: {vars: [DB_PASSWORD]}}
flow:
  - name: connect
    source: {type: process, configuration: {command: ["/no/such/{{ sources.creds.DB_PASSWORD }}"]}}
"#,
        )
        .env("DB_PASSWORD", "hunter2-long")
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("cannot start '/no/such/***REDACTED***'");
    assert!(!out.stderr().contains("hunter2-long"), "{}", out.stderr());
}

#[test]
fn short_values_are_not_masked() {
    let out = Test::new()
        .file(
            "f.yaml",
            "sources:\n  c: {type: env, configuration: {vars: [MY_KEY]}}\nflow:\n  - {name: a, source: c, output: [{name: k, type: jmespath, value: MY_KEY}]}\n",
        )
        .env("MY_KEY", "abc")
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json()["a"]["k"], json!("abc"));
}

#[test]
fn the_status_api_masks_outputs_notes_and_events() {
    // The secret comes from this process's environment: it is set for a
    // process of this test alone, not under every other test's threads.
    let name = "secrets::the_status_api_masks_outputs_notes_and_events";
    let env = [("FT_API_SECRET_FOR_STATUS", "status-secret-9911")];
    if common::own_process::ran_alone(name, &env) {
        return;
    }
    use flowtoy::runner::LocalRunner;
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.yaml");
    std::fs::write(
        &path,
        r#"
sources:
  creds: {type: env, configuration: {vars: [FT_API_SECRET_FOR_STATUS]}}
flow:
  - name: show
    source: creds
    output: [{name: v, type: jmespath, value: FT_API_SECRET_FOR_STATUS}]
  - name: leak_in_error
    source: {type: process, configuration: {command: ["/no/{{ sources.creds.FT_API_SECRET_FOR_STATUS }}"]}}
    on_error: continue
"#,
    )
    .unwrap();
    let runner = Arc::new(LocalRunner::new(
        flowtoy::config::load_yaml_files(&[&path]).unwrap(),
    ));
    let server = flowtoy::runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .unwrap();
    runner.run().unwrap();
    for path in ["/outputs", "/status", "/events"] {
        let body = reqwest::blocking::Client::new()
            .get(format!("{}{path}", server.url()))
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .unwrap();
        // /events streams; the final status and run_ended arrive at once
        // after the run, so reading a little is enough.
        let mut text = String::new();
        let mut body = body;
        let mut buf = [0u8; 65536];
        while let Ok(n) = std::io::Read::read(&mut body, &mut buf) {
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            if path != "/events" || text.contains("run_ended") {
                break;
            }
        }
        assert!(
            !text.contains("status-secret-9911"),
            "{path} leaked: {text}"
        );
        assert!(
            text.contains("***REDACTED***"),
            "{path} shows no mask: {text}"
        );
    }
}
