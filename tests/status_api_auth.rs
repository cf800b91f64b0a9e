//! The status API behind a token (`--status-token`, `FLOWTOY_STATUS_TOKEN`;
//! issue 17): 401 with a JSON error and `WWW-Authenticate: Bearer` without
//! it or with a wrong one, 200 with it (header, query parameter, or the
//! cookie the page gets), `/healthz` open, the relay and the TUI's HTTP
//! source passing it, the token never printed, and a non-loopback address
//! refused without a token unless `--no-auth`.

use crate::common;
use crate::status_api_support;

use common::Test;
use serde_json::Value;
use status_api_support::{client, get_json_with, wait_for, write, Serving, SseStream, GATED_FLOW};

const TOKEN: &str = "t0ken-Under_Test.42";

/// GET `url` with `Authorization: Bearer token`: (code, WWW-Authenticate, JSON).
fn get(url: &str, authorization: Option<&str>) -> (u16, Option<String>, Value) {
    let mut request = client().get(url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let code = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().expect("body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {url} answered {code} with non-JSON ({e}): {text}"));
    (code, challenge, json)
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

#[test]
fn every_route_but_healthz_needs_the_token() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let server = Serving::start(
        dir.path(),
        &["serve", "flow.yaml", "--port", "0", "--status-token", TOKEN],
    );
    for path in [
        "/status", "/outputs", "/logs", "/runs", "/", "/app.js", "/nope",
    ] {
        let (code, challenge, body) = get(&server.at(path), None);
        assert_eq!(code, 401, "{path}: {body}");
        assert!(challenge.is_some_and(|c| c.starts_with("Bearer")), "{path}");
        assert!(
            body["error"].as_str().is_some_and(|e| e.contains("token")),
            "{path}: {body}"
        );
        let (code, _, body) = get(&server.at(path), Some("Bearer wrong-token"));
        assert_eq!(code, 401, "{path} with a wrong token: {body}");
        let (code, _, body) = get(&server.at(path), Some(&format!("Basic {TOKEN}")));
        assert_eq!(code, 401, "{path} with another scheme: {body}");
    }
    let (code, _, body) = get(&server.at("/healthz"), None);
    assert_eq!((code, body), (200, serde_json::json!({"ok": true})));
    let (code, _, status) = get(&server.at("/status"), Some(&bearer()));
    assert_eq!(code, 200, "{status}");
    assert!(status["steps"]["gate"].is_object(), "{status}");
    let (code, _, _) = get(&server.at("/outputs"), Some(&bearer()));
    assert_eq!(code, 200);
    // Authenticated, an unknown path is a plain 404.
    let (code, _, _) = get(&server.at("/nope"), Some(&bearer()));
    assert_eq!(code, 404);
    // The query parameter (how the web UI is opened and EventSource gets
    // in) works too, and its answer sets the page's cookie.
    let response = client()
        .get(server.at(&format!("/?token={TOKEN}")))
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .expect("a cookie for the page")
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let by_cookie = client()
        .get(server.at("/status"))
        .header("cookie", pair)
        .send()
        .unwrap();
    assert_eq!(by_cookie.status().as_u16(), 200);
    let (code, _, _) = get(&server.at(&format!("/status?token={TOKEN}x")), None);
    assert_eq!(code, 401);
    let mut events = SseStream::open(&server.at(&format!("/events?token={TOKEN}")));
    assert_eq!(events.next_event().unwrap().event, "status");
    write(dir.path(), "go", "");
    wait_for("the run to end", || {
        let (_, status) = get_json_with(&server.at("/status"), Some(TOKEN));
        status["ended_at"].is_number().then_some(())
    });
    let (code, stdout, stderr) = server.interrupt();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stderr}"
    );
}

#[test]
fn the_token_comes_from_the_environment_too_and_is_never_shown() {
    // `run --status-port` with FLOWTOY_STATUS_TOKEN, at debug level: the
    // request log names paths, never the token in a query.
    let port = status_api_support::closed_port();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let child = std::process::Command::new(common::flowtoy_bin())
        .args([
            "run",
            "-vv",
            "flow.yaml",
            "--status-port",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .env("FLOWTOY_STATUS_TOKEN", TOKEN)
        .env("FLOWTOY_STATE_DIR", dir.path().join(".state"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    wait_for("the server", || {
        client().get(format!("{url}/healthz")).send().ok()
    });
    let (code, _, _) = get(&format!("{url}/status"), None);
    assert_eq!(code, 401);
    let (code, _, _) = get(&format!("{url}/status?token={TOKEN}"), None);
    assert_eq!(code, 200);
    write(dir.path(), "go", "");
    wait_for("the run to end", || {
        let (_, _, s) = get(&format!("{url}/status"), Some(&bearer()));
        s["ended_at"].is_number().then_some(())
    });
    // SAFETY: signalling our own child by its pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stderr.contains("/status"), "the request log: {stderr}");
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "{stderr}"
    );
    // Nor does --help show the environment's value.
    let out = Test::new()
        .env("FLOWTOY_STATUS_TOKEN", TOKEN)
        .args(["serve", "--help"])
        .run();
    out.success().stdout_has("--status-token");
    assert!(!out.stdout().contains(TOKEN), "{}", out.stdout());
}

#[test]
fn the_relay_passes_the_token_and_needs_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let runner = Serving::start(
        dir.path(),
        &["serve", "flow.yaml", "--port", "0", "--status-token", TOKEN],
    );
    let relay = Serving::start(
        dir.path(),
        &[
            "webui",
            "--status-url",
            &runner.url,
            "--port",
            "0",
            "--status-token",
            TOKEN,
        ],
    );
    let (code, _, _) = get(&relay.at("/status"), None);
    assert_eq!(code, 401, "the relay asks for the token too");
    let status = wait_for("the gate step, through the relay", || {
        let (code, status) = get_json_with(&relay.at("/status"), Some(TOKEN));
        assert_eq!(code, 200, "{status}");
        (status["steps"]["gate"]["state"] == "running").then_some(status)
    });
    assert_eq!(
        status["run_id"],
        get_json_with(&runner.at("/status"), Some(TOKEN)).1["run_id"]
    );
    let mut events = SseStream::open(&relay.at(&format!("/events?token={TOKEN}")));
    assert_eq!(events.next_event().unwrap().event, "status");
    // A relay without the runner's token says so (502, not the runner's 401).
    let blind = Serving::start(
        dir.path(),
        &["webui", "--status-url", &runner.url, "--port", "0"],
    );
    let (code, _, body) = get(&blind.at("/status"), None);
    assert_eq!(code, 502, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("--status-token"),
        "{body}"
    );
    write(dir.path(), "go", "");
    blind.interrupt();
    let (_, _, stderr) = relay.interrupt();
    assert!(!stderr.contains(TOKEN), "{stderr}");
    runner.interrupt();
}

#[test]
fn the_tui_http_source_passes_the_token() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let runner = Serving::start(
        dir.path(),
        &["serve", "flow.yaml", "--port", "0", "--status-token", TOKEN],
    );
    use flowtoy::runner_api::StatusToken;
    use flowtoy::tui::{HttpSource, StatusSource};
    let mut without = HttpSource::new(&runner.url).unwrap();
    let Err(err) = without.fetch() else {
        panic!("the runner answered without the token");
    };
    assert!(err.contains("401"), "{err}");
    let mut with = HttpSource::new(&runner.url)
        .unwrap()
        .token(Some(StatusToken::new(TOKEN).unwrap()));
    let fetched = with.fetch().expect("the status with the token");
    assert!(fetched.outputs.is_object(), "{:?}", fetched.outputs);
    let mut watcher = with.watcher().expect("an event watcher");
    let mut seen = 0;
    watcher
        .watch(&mut || {
            seen += 1;
            false
        })
        .expect("the event stream with the token");
    assert_eq!(seen, 1);
    write(dir.path(), "go", "");
    runner.interrupt();
}

#[test]
fn a_network_address_without_a_token_is_refused() {
    for command in [
        vec!["serve", "f.yaml", "--host", "0.0.0.0", "--port", "0"],
        vec!["webui", "f.yaml", "--host", "0.0.0.0", "--port", "0"],
        vec![
            "webui",
            "--status-url",
            "http://127.0.0.1:9",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
        ],
        vec![
            "run",
            "f.yaml",
            "--status-host",
            "0.0.0.0",
            "--status-port",
            "0",
        ],
    ] {
        let out = Test::new()
            .file(
                "f.yaml",
                "flow:\n  - {name: a, source: {type: process, configuration: {command: [echo]}}}\n",
            )
            .args(command.clone())
            .run();
        out.code_is(2)
            .stderr_has("--status-token")
            .stderr_has("FLOWTOY_STATUS_TOKEN")
            .stderr_has("--no-auth");
    }
}

/// `flowtoy serve` of the gated flow on 0.0.0.0 with `extra` arguments:
/// what `/status` answers on 127.0.0.1 without a token, and its stderr.
fn on_every_address(extra: &[&str]) -> (u16, String) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", GATED_FLOW);
    let mut args = vec!["serve", "flow.yaml", "--host", "0.0.0.0", "--port", "0"];
    args.extend_from_slice(extra);
    let server = Serving::start(dir.path(), &args);
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let (code, _, _) = get(&format!("http://127.0.0.1:{port}/status"), None);
    write(dir.path(), "go", "");
    let (_, _, stderr) = server.interrupt();
    (code, stderr)
}

#[test]
fn no_auth_serves_a_network_address_with_a_warning() {
    let (code, stderr) = on_every_address(&["--no-auth"]);
    assert_eq!(code, 200, "{stderr}");
    assert!(stderr.contains("warning: --no-auth"), "{stderr}");
    // With a token, a network address needs no --no-auth.
    let (code, stderr) = on_every_address(&["--status-token", TOKEN]);
    assert_eq!(code, 401, "{stderr}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
}
