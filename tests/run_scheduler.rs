//! Scheduling, failure policies, exit codes and cancellation (SPEC R13–R17)
//! through the real binary.

use crate::common;
use common::Test;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A step that records when it started and ended (seconds since the epoch).
fn timed_step(name: &str, secs: &str) -> String {
    format!(
        "  - name: {name}\n    source: timed\n    input: \"{secs}\"\n    output: [{{name: t}}]\n"
    )
}

const TIMED_SOURCE: &str = r#"
sources:
  timed:
    type: process
    configuration:
      command: 'a=$(date +%s.%N); sleep "$0"; b=$(date +%s.%N); printf "[%s, %s]" "$a" "$b"'
      shell: true
"#;

fn intervals(outputs: &Value) -> Vec<(f64, f64)> {
    outputs
        .as_object()
        .unwrap()
        .values()
        .map(|o| (o["t"][0].as_f64().unwrap(), o["t"][1].as_f64().unwrap()))
        .collect()
}

/// The most intervals that hold one common instant.
fn max_overlap(iv: &[(f64, f64)]) -> usize {
    iv.iter()
        .map(|(s, _)| iv.iter().filter(|(a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn independent_steps_overlap() {
    let flow: String = ["a", "b", "c"]
        .iter()
        .map(|n| timed_step(n, "0.4"))
        .collect();
    let out = Test::new()
        .file("f.yaml", &format!("{TIMED_SOURCE}\nflow:\n{flow}"))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    let iv = intervals(&out.stdout_json());
    assert_eq!(max_overlap(&iv), 3, "all three should run at once: {iv:?}");
}

#[test]
fn max_workers_caps_how_many_run_at_once() {
    let flow: String = (0..6)
        .map(|i| timed_step(&format!("s{i}"), "0.3"))
        .collect();
    let yaml = format!("{TIMED_SOURCE}\nflow:\n{flow}runner: {{max_workers: 3}}\n");
    // The flag wins over runner.max_workers.
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "--max-workers", "2", "f.yaml"])
        .run();
    out.success();
    let iv = intervals(&out.stdout_json());
    assert_eq!(max_overlap(&iv), 2, "{iv:?}");
    // Without the flag, runner.max_workers applies.
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "f.yaml"])
        .run();
    assert_eq!(max_overlap(&intervals(&out.stdout_json())), 3);
}

/// `bad` fails after `other` has started (both take a moment), so the
/// halt finds `other` running whatever the thread start-up order.
fn policy_flow(policy: &str) -> String {
    format!(
        r#"
flow:
  - name: bad
    source: {{type: process, configuration: {{command: [sh, -c, "sleep 0.2; echo oops >&2; exit 3"]}}}}
    on_error: {policy}
  - name: child
    source: {{type: process, configuration: {{command: [echo, child ran]}}}}
    depends_on: [bad]
    output: [{{name: out}}]
  - name: grandchild
    source: env
    input: "{{{{ flows.child.out | default('none') }}}}"
  - name: other
    source: {{type: process, configuration: {{command: [sh, -c, "sleep 0.3; echo other ran"]}}}}
    output: [{{name: out}}]
"#
    )
}

fn states(out: &common::Outcome) -> String {
    out.stderr()
}

#[test]
fn fail_policy_halts_the_run_and_exits_1() {
    let out = Test::new()
        .file("f.yaml", &policy_flow("fail"))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("✗ bad failed")
        .stderr_has("process exited with code 3");
    let got = out.stdout_json();
    // `other` was already running when `bad` failed: it finishes.
    assert_eq!(
        got,
        json!({"other": {"out": "other ran"}}),
        "{}",
        states(&out)
    );
    out.stderr_has("⊘ child skipped: the run halted")
        .stderr_has("1 succeeded, 1 failed, 2 skipped");
}

#[test]
fn skip_policy_skips_dependents_only_and_exits_0() {
    let out = Test::new()
        .file("f.yaml", &policy_flow("skip"))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(0);
    assert_eq!(out.stdout_json(), json!({"other": {"out": "other ran"}}));
    out.stderr_has("⊘ child skipped: depends on 'bad'")
        .stderr_has("⊘ grandchild skipped: depends on 'child'");
}

#[test]
fn continue_policy_lets_dependents_run_and_exits_0() {
    let out = Test::new()
        .file("f.yaml", &policy_flow("continue"))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(0);
    let got = out.stdout_json();
    assert_eq!(got["child"], json!({"out": "child ran"}));
    assert_eq!(got["grandchild"], json!({}));
    assert!(got.get("bad").is_none(), "failed steps have no outputs");
}

#[test]
fn a_steps_own_policy_wins_over_the_runner_default() {
    let yaml = format!("{}runner: {{on_error: continue}}\n", policy_flow("skip"));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(0);
    assert!(out.stdout_json().get("child").is_none());
    let yaml =
        policy_flow("skip").replace("    on_error: skip\n", "") + "runner: {on_error: continue}\n";
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(0);
    assert_eq!(out.stdout_json()["child"], json!({"out": "child ran"}));
}

#[test]
fn ready_steps_start_in_file_order() {
    let flow: String = ["z", "y", "x", "w"]
        .iter()
        .map(|n| format!("  - {{name: {n}, source: {{type: process, configuration: {{command: 'echo {n} >> order.log', shell: true}}}}}}\n"))
        .collect();
    let out = Test::new()
        .file("f.yaml", &format!("flow:\n{flow}"))
        .args(["run", "-q", "--max-workers", "1", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.read("order.log"), "z\ny\nx\nw\n");
}

#[test]
fn outputs_go_to_a_file_and_quiet_prints_nothing() {
    let out = Test::new()
        .file("f.yaml", "flow:\n  - {name: a, source: {type: process, configuration: {command: [echo, '{\"k\": 1}']}}, output: [{name: o}]}\n")
        .args(["run", "-q", "-o", "out.json", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout(), "");
    let written: Value = serde_json::from_str(&out.read("out.json")).unwrap();
    assert_eq!(written, json!({"a": {"o": {"k": 1}}}));
}

#[test]
fn human_output_lists_steps_and_values() {
    let out = Test::new()
        .file("f.yaml", "flow:\n  - {name: greet, source: {type: process, configuration: {command: [echo, hello]}}, output: [{name: text}]}\n")
        .args(["run", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout(), "greet\n    text: hello\n");
}

fn wait_for_file(path: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return text;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{} never appeared", path.display());
}

fn interrupt(signal: i32, expected_code: i32) {
    let test = Test::new().file(
        "f.yaml",
        r#"
flow:
  - name: long
    source: {type: process, configuration: {command: 'sleep 60 & echo $! > child.pid; wait', shell: true}}
  - name: later
    source: {type: process, configuration: {command: [touch, later.txt]}}
    depends_on: [long]
"#,
    )
    .args(["run", "f.yaml"]);
    let child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid_text = wait_for_file(&test.path("child.pid"));
    let sleeper: i32 = pid_text.trim().parse().unwrap();
    assert!(common::process_alive(sleeper));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(expected_code), "{stderr}");
    assert!(
        !test.path("later.txt").exists(),
        "a pending step ran after the interrupt"
    );
    assert!(
        stderr.contains("⊘ later skipped: the run was cancelled"),
        "{stderr}"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while common::process_alive(sleeper) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !common::process_alive(sleeper),
        "the step's program was left running"
    );
}

#[test]
fn sigint_kills_running_programs_and_exits_130() {
    interrupt(libc::SIGINT, 130);
}

#[test]
fn sigterm_exits_143() {
    interrupt(libc::SIGTERM, 143);
}
