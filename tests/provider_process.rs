//! The `process` provider (SPEC R10, R11) through the real binary: real
//! programs, real process groups, real logs.

use crate::common;
use common::Test;
use serde_json::json;
use std::time::{Duration, Instant};

fn one_step(configuration: &str, input: Option<&str>, on_error: &str) -> String {
    let input = input
        .map(|i| format!("    input: {i}\n"))
        .unwrap_or_default();
    format!(
        "flow:\n  - name: p\n    source: {{type: process, configuration: {configuration}}}\n{input}    on_error: {on_error}\n    output: [{{name: data, type: json}}, {{name: meta, type: template, value: '{{{{ meta | tojson }}}}'}}]\n"
    )
}

fn run(configuration: &str, input: Option<&str>) -> common::Outcome {
    Test::new()
        .file("f.yaml", &one_step(configuration, input, "continue"))
        .args(["run", "-j", "-v", "f.yaml"])
        .run()
}

fn data(out: &common::Outcome) -> serde_json::Value {
    out.stdout_json()["p"]["data"].clone()
}

#[test]
fn json_stdout_is_parsed_and_text_stays_text() {
    let out = run(r#"{command: [echo, '{"a": [1, 2]}']}"#, None);
    out.success();
    assert_eq!(data(&out), json!({"a": [1, 2]}));
    let out = run(r#"{command: "printf 'two words\n'"}"#, None);
    assert_eq!(data(&out), json!("two words"));
}

#[test]
fn meta_has_stderr_and_returncode() {
    let out = run(r#"{command: "echo warn >&2; echo ok", shell: true}"#, None);
    let meta: serde_json::Value =
        serde_json::from_str(out.stdout_json()["p"]["meta"].as_str().unwrap()).unwrap();
    assert_eq!(meta, json!({"stderr": "warn\n", "returncode": 0}));
}

#[test]
fn non_zero_exit_fails_the_step_with_its_code() {
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step("{command: [sh, -c, 'exit 7']}", None, "fail"),
        )
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1).stderr_has("✗ p: process exited with code 7");
}

#[test]
fn a_missing_program_is_a_failed_step_that_says_why() {
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step("{command: [no-such-program-xyz]}", None, "fail"),
        )
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .no_panic()
        .stderr_has("cannot start 'no-such-program-xyz': No such file or directory");
}

#[test]
fn a_program_killed_by_a_signal_fails() {
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step("{command: 'kill -9 $$', shell: true}", None, "fail"),
        )
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1).stderr_has("process killed by signal 9");
}

#[test]
fn pass_to_arg_stdin_and_structured_payloads() {
    let out = run("{command: [echo, first]}", Some("second"));
    assert_eq!(data(&out), json!("first second"));
    let out = run("{command: [cat], pass_to: stdin}", Some("piped"));
    assert_eq!(data(&out), json!("piped"));
    let out = run(
        "{command: [false]}",
        Some(r#"{command: [sh, -c, 'cat; echo " $0 $1"'], args: [A, B], stdin: "in"}"#),
    );
    assert_eq!(data(&out), json!("in A B"));
}

#[test]
fn cwd_and_env_are_applied() {
    let test = Test::new().file("sub/marker.txt", "here");
    let out = test
        .file("f.yaml", &one_step(r#"{command: 'cat marker.txt; echo " $FT_X"', shell: true, cwd: sub, env: {FT_X: 42}}"#, None, "fail"))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(data(&out), json!("here 42"));
}

#[test]
fn timeout_kills_the_program_and_its_children() {
    let started = Instant::now();
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step(
                "{command: 'sleep 30 & echo $! > grandchild.pid; wait', shell: true, timeout: 0.5}",
                None,
                "continue",
            ),
        )
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success()
        .stderr_has("✗ p failed")
        .stderr_has(": timeout");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the timeout did not stop the program"
    );
    let pid: i32 = out.read("grandchild.pid").trim().parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while common::process_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !common::process_alive(pid),
        "the grandchild survived the timeout"
    );
}

const SECRET_ARGS: &str = "command: [echo, --user, admin, --password=hunter2, --token, abc123]";

fn logged(extra: &str) -> String {
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step(&format!("{{{SECRET_ARGS}{extra}}}"), None, "fail"),
        )
        .args(["run", "-q", "-v", "f.yaml"])
        .run();
    out.success();
    out.stderr()
}

#[test]
fn logs_show_only_the_program_and_arg_count_by_default() {
    let log = logged("");
    assert!(log.contains("running echo <5 args>"), "{log}");
    assert!(!log.contains("hunter2") && !log.contains("abc123"), "{log}");
}

#[test]
fn redact_args_and_patterns_hide_chosen_arguments() {
    let log = logged(", redact_args: [5]");
    assert!(
        log.contains("running echo --user admin --password=hunter2 --token [REDACTED]"),
        "{log}"
    );
    let log = logged(", redact_patterns: [password]");
    assert!(
        log.contains("running echo --user admin [REDACTED] --token abc123"),
        "{log}"
    );
    let log = logged(", redact_args: [5], redact_patterns: [password]");
    assert!(
        log.contains("running echo --user admin [REDACTED] --token [REDACTED]"),
        "{log}"
    );
    assert!(!log.contains("hunter2") && !log.contains("abc123"), "{log}");
}

#[test]
fn log_full_command_logs_everything() {
    let log = logged(", log_full_command: true");
    assert!(
        log.contains("running echo --user admin --password=hunter2 --token abc123"),
        "{log}"
    );
}

#[test]
fn stdout_over_the_cap_fails_with_a_clear_note() {
    let out = Test::new()
        .file(
            "f.yaml",
            &one_step(
                "{command: 'head -c 100000 /dev/zero', shell: true, max_output_bytes: 1000}",
                None,
                "fail",
            ),
        )
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("output exceeded max_output_bytes (1000 bytes)");
}
