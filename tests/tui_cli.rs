//! `flowtoy tui` arguments (SPEC R18, R22): CONFIG files or `--status-url`
//! (`RUNNER_STATUS_URL` as the fallback), never both, never neither.

use crate::common;

use common::Test;

const FLOW: &str =
    "flow:\n  - name: a\n    source: {type: process, configuration: {command: [echo, hi]}}\n";

#[test]
fn config_and_status_url_together_is_a_usage_error() {
    Test::new()
        .file("flow.yaml", FLOW)
        .args(["tui", "flow.yaml", "--status-url", "http://127.0.0.1:8000"])
        .run()
        .code_is(2)
        .stderr_has("not both")
        .no_panic();
}

#[test]
fn neither_config_nor_status_url_is_a_usage_error() {
    Test::new()
        .args(["tui"])
        .run()
        .code_is(2)
        .stderr_has("give CONFIG files to run a flow here, or --status-url URL")
        .no_panic();
}

#[test]
fn runner_status_url_is_only_a_fallback() {
    // With CONFIG files the variable is not a second source: no usage error
    // about both (this stdout is not a terminal, so that error comes next).
    let out = Test::new()
        .file("flow.yaml", FLOW)
        .env("RUNNER_STATUS_URL", "http://127.0.0.1:8000")
        .args(["tui", "flow.yaml"])
        .run();
    out.code_is(2).stderr_has("needs a terminal").no_panic();
    assert!(!out.stderr().contains("not both"), "{}", out.stderr());
    // Alone, it is the remote runner to watch.
    Test::new()
        .env("RUNNER_STATUS_URL", "http://127.0.0.1:8000")
        .args(["tui"])
        .run()
        .code_is(2)
        .stderr_has("needs a terminal");
}

#[test]
fn a_bad_config_is_reported_before_any_screen() {
    let out = Test::new()
        .file("flow.yaml", "flow:\n  - name: a\n    source: nosuchtype\n")
        .args(["tui", "flow.yaml"])
        .run();
    out.code_is(2).stderr_has("nosuchtype").no_panic();
    assert!(
        !out.stderr().contains("needs a terminal"),
        "{}",
        out.stderr()
    );
}

#[test]
fn a_bad_status_url_is_a_usage_error() {
    let out = Test::new().args(["tui", "--status-url", "not a url"]).run();
    out.code_is(2).stderr_has("invalid status URL").no_panic();
    assert!(
        !out.stderr().contains("needs a terminal"),
        "{}",
        out.stderr()
    );
}
