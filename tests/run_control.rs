//! Run control (SPEC R25–R30), end to end through the real binary: retries
//! with backoff, a timeout on any step (process, rest, a plugin that ignores
//! cancellation), conditions with the if/else/join pattern, `foreach`
//! fan-out, `max_concurrency` per source, and `default` over a failed step.
//! Times are read from what the steps recorded, never from the test's clock.

use crate::common;
use crate::plugins_support;

use common::http_server;
use common::{process_alive, Test};
use plugins_support::{install, libraries};
use serde_json::{json, Value};
use std::time::Duration;

/// A step that appends the time to `tries.txt` on each try and fails until
/// the third.
const FLAKY: &str = r#"
flow:
  - name: flaky
    source:
      type: process
      configuration:
        shell: true
        command: 'date +%s.%N >> tries.txt; n=$(wc -l < tries.txt); [ "$n" -ge 3 ] && echo "{\"n\": $n}" || { echo "try $n failed" >&2; exit 1; }'
    retry: {attempts: 4, delay: 0.2, backoff: 2}
    output: [{name: n, type: jmespath, value: n}]
"#;

fn times(text: &str) -> Vec<f64> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

#[test]
fn a_flaky_program_is_retried_with_growing_waits() {
    let test = Test::new().file("f.yaml", FLAKY);
    let out = test.args(["run", "-j", "f.yaml"]).run();
    out.success()
        .stderr_has("try 1 of 4 failed")
        .stderr_has("try 2 of 4 failed: process exited with code 1; trying again in 0.4 s");
    assert_eq!(out.stdout_json()["flaky"]["n"], json!(3));
    let t = times(&out.read("tries.txt"));
    assert_eq!(t.len(), 3, "{t:?}");
    // Waits of 0.2 s, then 0.4 s (backoff 2), as recorded by the tries.
    assert!(t[1] - t[0] >= 0.2, "{t:?}");
    assert!(t[2] - t[1] >= 0.4, "{t:?}");
    assert!(t[2] - t[1] > t[1] - t[0], "{t:?}");
}

#[test]
fn the_final_error_says_how_many_tries_were_made() {
    let flow = FLAKY.replace("attempts: 4", "attempts: 2");
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("failed after 2 attempts: process exited with code 1");
    assert_eq!(times(&out.read("tries.txt")).len(), 2);
}

#[test]
fn a_template_error_is_not_retried() {
    let flow = r#"
flow:
  - name: t
    source: {type: process, configuration: {command: 'sh -c "date >> tries.txt"'}}
    input: "{{ no_such_name }}"
    retry: {attempts: 3, delay: 0.1}
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("undefined variable 'no_such_name'");
    assert!(!out.stderr().contains("attempts"), "{}", out.stderr());
    assert!(!out.dir.join("tries.txt").exists(), "the program never ran");
}

#[test]
fn runner_retry_is_the_default_and_a_steps_own_replaces_it() {
    let flow = FLAKY.replace("    retry: {attempts: 4, delay: 0.2, backoff: 2}\n", "")
        + "runner: {retry: {attempts: 3, delay: 0.05}}\n";
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(times(&out.read("tries.txt")).len(), 3);
}

#[test]
fn a_timeout_kills_a_program_and_its_grandchild() {
    let flow = r#"
flow:
  - name: slow
    source:
      type: process
      configuration:
        shell: true
        command: 'sh -c "sleep 30" & echo $! > grandchild.pid; wait'
    timeout: 0.5
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1).stderr_has("timeout after 0.5 s");
    let pid: i32 = out.read("grandchild.pid").trim().parse().expect("a pid");
    let mut alive = process_alive(pid);
    for _ in 0..50 {
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        alive = process_alive(pid);
    }
    assert!(!alive, "the grandchild {pid} outlived the timeout");
}

#[test]
fn a_timeout_aborts_a_request_to_a_stalling_server() {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    let closed_at: Arc<Mutex<Option<f64>>> = Arc::default();
    let seen = Arc::clone(&closed_at);
    let port = http_server::start_raw(move |mut stream| {
        // Never answer; note when the client hangs up.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
        let mut buf = [0u8; 64];
        if matches!(stream.read(&mut buf), Ok(0)) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            *seen.lock().unwrap() = Some(now);
        }
    });
    // `later` runs for a while after the timeout: an aborted request closes
    // its connection before `later` ends, not when the process exits.
    let flow = format!(
        "runner: {{on_error: continue}}\nflow:\n  - name: stalled\n    source: {{type: rest, configuration: {{url: 'http://127.0.0.1:{port}/x'}}}}\n    timeout: 0.4\n  - name: later\n    source: {{type: process, configuration: {{command: 'sh -c \"sleep 1.5; date +%s.%N\"'}}}}\n    depends_on: [stalled]\n    output: [{{name: at}}]\n"
    );
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success().stderr_has("✗ stalled: timeout after 0.4 s");
    let later_end = out.stdout_json()["later"]["at"]
        .as_f64()
        .expect("later's time");
    let closed = closed_at
        .lock()
        .unwrap()
        .expect("the connection was closed");
    assert!(
        closed < later_end,
        "closed at {closed}, after `later` ended at {later_end}"
    );
}

#[test]
fn foreach_calls_a_url_per_item_through_a_structured_rest_payload() {
    let server = http_server::start(|req| {
        let id = req
            .target
            .trim_start_matches("/users/")
            .split('?')
            .next()
            .unwrap_or("");
        http_server::Response::json(200, &format!("{{\"id\": {id}}}"))
    });
    let flow = format!(
        r#"
sources:
  api: {{type: rest, configuration: {{url: "{base}/unused", headers: {{X-Source: s}}}}}}
flow:
  - name: users
    foreach: [1, 2, 3]
    source: api
    input:
      url: "{base}/users/{{{{ item }}}}"
      params: {{v: "{{{{ index }}}}"}}
      headers: {{X-Item: "{{{{ item }}}}"}}
    output: [{{name: id, type: jmespath, value: id}}]
"#,
        base = server.url("")
    );
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json()["users"]["id"], json!([1, 2, 3]));
    let mut requests = server.requests();
    requests.sort_by(|a, b| a.target.cmp(&b.target));
    let targets: Vec<&str> = requests.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["/users/1?v=0", "/users/2?v=1", "/users/3?v=2"]);
    assert_eq!(requests[1].header("x-item"), Some("2"));
    assert_eq!(
        requests[1].header("x-source"),
        Some("s"),
        "configuration headers kept"
    );
}

#[test]
fn a_plugin_that_ignores_cancellation_fails_at_the_deadline_and_frees_its_worker() {
    let t = Test::new();
    install(&t, "plugins", &libraries().misbehaving, "libmisbehaving.so");
    let done = t.path("done.txt");
    let marker = t.path("cancelled.txt");
    let flow = format!(
        r#"runner: {{max_workers: 1, on_error: continue}}
flow:
  - name: deaf
    source: {{type: sleepy, configuration: {{seconds: 1.5, done: "{done}"}}}}
    timeout: 0.3
  - name: listening
    source: {{type: wait_for_cancel, configuration: {{marker: "{marker}", limit: 20}}}}
    timeout: 0.3
  - name: next
    source: {{type: process, configuration: {{command: 'sh -c "date +%s.%N"'}}}}
    output: [{{name: at}}]
"#,
        done = done.display(),
        marker = marker.display()
    );
    let t = t.file("f.yaml", &flow);
    let out = t
        .args(["run", "-j", "--plugin-dir", "plugins", "f.yaml"])
        .run();
    out.success()
        .stderr_has("✗ deaf: timeout after 0.3 s")
        .stderr_has("✗ listening: timeout after 0.3 s");
    // The plugin that listens was told through its CallContext.
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap_or_default(),
        "cancelled"
    );
    // With one worker, `next` ran while the deaf plugin still slept: the
    // slot was freed at the deadline. Its `done` file came later.
    let next_at: f64 = out.stdout_json()["next"]["at"]
        .as_f64()
        .or_else(|| out.stdout_json()["next"]["at"].as_str()?.parse().ok())
        .expect("next's time");
    let done_at = std::fs::metadata(&done)
        .and_then(|m| m.modified())
        .expect("the deaf plugin finished before the run ended")
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs_f64();
    assert!(
        next_at < done_at,
        "next at {next_at}, deaf done at {done_at}"
    );
}

/// The if/else/join pattern, as in `examples/conditions.yaml`.
fn branches(mode: &str) -> String {
    format!(
        r#"
flow:
  - name: decide
    source: {{type: process, configuration: {{command: [echo, '{{"mode": "{mode}"}}']}}}}
    output: [{{name: mode, type: jmespath, value: mode}}]
  - name: fast
    source: {{type: process, configuration: {{command: [echo, fast]}}}}
    when: flows.decide.mode == "fast"
    output: [{{name: text}}]
  - name: careful
    source: {{type: process, configuration: {{command: [echo, careful]}}}}
    when: "{{{{ flows.decide.mode != 'fast' }}}}"
    output: [{{name: text}}]
  - name: after_careful
    source: {{type: process, configuration: {{command: [echo, also]}}}}
    depends_on: [careful]
  - name: join
    source: {{type: process, configuration: {{command: [echo]}}}}
    depends_on: [fast, careful]
    after_skipped: run
    input: "{{{{ flows.fast.text | default(flows.careful.text | default('none')) }}}}"
    output: [{{name: text}}]
"#
    )
}

#[test]
fn when_takes_one_branch_and_the_join_runs_after_either() {
    for (mode, taken, left) in [("fast", "fast", "careful"), ("slow", "careful", "fast")] {
        let out = Test::new()
            .file("f.yaml", &branches(mode))
            .args(["run", "-j", "f.yaml"])
            .run();
        out.success();
        let outputs = out.stdout_json();
        assert_eq!(outputs[taken]["text"], json!(taken), "{outputs}");
        assert!(outputs.get(left).is_none(), "{outputs}");
        assert_eq!(outputs["join"]["text"], json!(taken), "{outputs}");
        out.stderr_has(&format!("⊘ {left} condition is false: "));
        if mode == "fast" {
            // A plain dependent of the branch not taken is skipped with it.
            assert!(outputs.get("after_careful").is_none(), "{outputs}");
        }
    }
}

#[test]
fn foreach_runs_per_item_in_order_within_max_parallel() {
    let flow = r#"
flow:
  - name: ids
    source: {type: process, configuration: {command: [echo, '[3, 1, 4, 1, 5, 9]']}}
    output: [{name: list}]
  - name: each
    foreach: "{{ flows.ids.list }}"
    max_parallel: 2
    source:
      type: process
      configuration:
        shell: true
        command: 'a=$(date +%s.%N); sleep 0.2; b=$(date +%s.%N); printf "{\"v\": %s, \"i\": %s, \"t\": [%s, %s]}" "$0" "$1" "$a" "$b"'
    input: {args: ["{{ item }}", "{{ index }}"]}
    output:
      - {name: value, type: jmespath, value: v}
      - {name: index, type: jmespath, value: i}
      - {name: t, type: jmespath, value: t}
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    let each = &out.stdout_json()["each"];
    assert_eq!(each["value"], json!([3, 1, 4, 1, 5, 9]));
    assert_eq!(each["index"], json!([0, 1, 2, 3, 4, 5]));
    let iv: Vec<(f64, f64)> = each["t"]
        .as_array()
        .expect("times")
        .iter()
        .map(|t| (t[0].as_f64().unwrap_or(0.0), t[1].as_f64().unwrap_or(0.0)))
        .collect();
    let overlap = iv
        .iter()
        .map(|(s, _)| iv.iter().filter(|(a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0);
    assert_eq!(overlap, 2, "max_parallel 2: {iv:?}");
}

#[test]
fn a_failed_item_fails_the_step_naming_it_and_an_empty_list_succeeds() {
    let flow = r#"
runner: {on_error: continue}
flow:
  - name: each
    foreach: [1, 2, 3, 4]
    source: {type: process, configuration: {command: 'sh -c "test $0 != 2 && test $0 != 4"'}}
    input: "{{ item }}"
  - name: none
    foreach: "[]"
    source: env
    output: [{name: all}]
  - name: after
    source: {type: process, configuration: {command: [echo]}}
    input: "{{ flows.each | default('no outputs') }}"
    output: [{name: text}]
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success()
        .stderr_has("2 of 4 items failed (indexes 1, 3)")
        .stderr_has("item 1: process exited with code 1");
    let outputs = out.stdout_json();
    assert!(
        outputs.get("each").is_none(),
        "a failed step has no outputs"
    );
    assert_eq!(outputs["none"], json!({"all": []}));
    // R30: a failed step's outputs are undefined, and `default` handles them.
    assert_eq!(outputs["after"]["text"], json!("no outputs"));
}

#[test]
fn foreach_over_something_that_is_not_a_list_says_what_it_got() {
    for (foreach, got) in [
        ("\"{{ 42 }}\"", "the number 42"),
        ("\"{{ {'a': 1} }}\"", "a mapping"),
        ("\"not json\"", "the text \"not json\""),
    ] {
        let flow = format!("flow:\n  - name: each\n    foreach: {foreach}\n    source: env\n");
        let out = Test::new()
            .file("f.yaml", &flow)
            .args(["run", "f.yaml"])
            .run();
        out.code_is(1)
            .stderr_has(&format!("`foreach` must give a list, not {got}"));
    }
}

#[test]
fn max_concurrency_serializes_calls_to_a_source() {
    let step = |n: usize| {
        format!(
            "  - {{name: s{n}, source: slow, output: [{{name: t, type: jmespath, value: t}}]}}\n"
        )
    };
    let flow = format!(
        r#"runner: {{max_workers: 4}}
sources:
  slow:
    type: process
    max_concurrency: 1
    configuration:
      shell: true
      command: 'a=$(date +%s.%N); sleep 0.2; b=$(date +%s.%N); printf "{{\"t\": [%s, %s]}}" "$a" "$b"'
flow:
{}"#,
        (0..3).map(step).collect::<String>()
    );
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    let outputs = out.stdout_json();
    let iv: Vec<(f64, f64)> = (0..3)
        .map(|n| {
            let t = &outputs[format!("s{n}")]["t"];
            (t[0].as_f64().unwrap_or(0.0), t[1].as_f64().unwrap_or(0.0))
        })
        .collect();
    let overlap = iv
        .iter()
        .map(|(s, _)| iv.iter().filter(|(a, b)| a <= s && s < b).count())
        .max()
        .unwrap_or(0);
    assert_eq!(overlap, 1, "one call at a time: {iv:?}");
}

#[test]
fn undefined_values_of_a_failed_step_still_fail_without_default() {
    let flow = r#"
runner: {on_error: continue}
flow:
  - {name: bad, source: {type: process, configuration: {command: 'false'}}}
  - name: uses
    source: {type: process, configuration: {command: [echo]}}
    input: "{{ flows.bad.x }}"
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["run", "f.yaml"])
        .run();
    out.success()
        .stderr_has("✗ uses: undefined variable 'flows.bad'");
}

#[test]
fn new_keys_are_validated_all_at_once_at_their_step() {
    let flow = r#"
flow:
  - name: a
    source: env
    retry: {attempts: 0}
  - name: b
    source: env
    timeout: -1
  - name: c
    source: env
    when: "flows.a.x =="
  - name: d
    source: env
    foreach: [1]
    max_parallel: 0
"#;
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["validate", "f.yaml"])
        .run();
    out.code_is(2)
        .stderr_has("Flow configuration has 4 problems")
        .stderr_has("f.yaml:3: step 'a': `retry.attempts` must be an integer of 1 or more")
        .stderr_has("f.yaml:6: step 'b': `timeout` must be a number of seconds greater than 0")
        .stderr_has("f.yaml:9: step 'c': `when`: expression `flows.a.x ==` does not parse")
        .stderr_has("f.yaml:12: step 'd': `max_parallel` must be an integer of 1 or more");
}

#[test]
fn status_shows_attempts_and_items() {
    let test = Test::new();
    // The flaky command keeps its count in the test's directory.
    let tries = test.path("tries.txt");
    let flow = FLAKY.replace("tries.txt", &tries.display().to_string());
    let config = flowtoy::config::load_yaml_str("flaky.yaml", &flow);
    let runner = flowtoy::LocalRunner::new(config.expect("valid"));
    let status = runner.run().expect("ran");
    let doc: Value = serde_json::to_value(status.document()).expect("json");
    assert_eq!(doc["steps"]["flaky"]["attempt"], json!(3), "{doc}");
    assert_eq!(doc["steps"]["flaky"]["state"], json!("succeeded"));

    let flow = "flow:\n  - name: each\n    foreach: [a, b, c]\n    source: env\n";
    let runner = flowtoy::LocalRunner::new(
        flowtoy::config::load_yaml_str("each.yaml", flow).expect("valid"),
    );
    let status = runner.run().expect("ran");
    let doc: Value = serde_json::to_value(status.document()).expect("json");
    assert_eq!(
        doc["steps"]["each"]["items"],
        json!({"total": 3, "succeeded": 3, "failed": 0, "running": 0, "skipped": 0}),
        "{doc}"
    );
    assert_eq!(doc["steps"]["each"]["attempt"], json!(1));
}

#[test]
fn validate_and_graph_show_run_control() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let flow = std::fs::read_to_string(examples.join("conditions.yaml")).expect("example");
    let out = Test::new()
        .file("c.yaml", &flow)
        .args(["validate", "c.yaml"])
        .run();
    out.success()
        .stdout_has("[retry 3×, timeout 10 s, when: {{ flows.decide.mode != 'fast' }}]")
        .stdout_has("[after_skipped: run]");
    let out = Test::new()
        .file("c.yaml", &flow)
        .args(["validate", "--json", "c.yaml"])
        .run();
    let waves = out.success().stdout_json()["waves"].clone();
    let careful = &waves[1][1];
    assert_eq!(careful["name"], "careful");
    assert_eq!(
        careful["retry"],
        json!({"attempts": 3, "delay": 0.5, "backoff": 2.0, "max_delay": 60.0})
    );
    assert_eq!(careful["timeout"], json!(10.0));
    assert_eq!(waves[2][0]["after_skipped"], "run");
    let flow = std::fs::read_to_string(examples.join("foreach.yaml")).expect("example");
    let out = Test::new()
        .file("f.yaml", &flow)
        .args(["graph", "f.yaml"])
        .run();
    out.success()
        .stdout_has("\"square\" [label=\"square\\n(process, foreach)\"]")
        .stdout_has("\"ids\" -> \"square\" [style=dashed]");
}

#[test]
fn ctrl_c_ends_a_retry_wait_at_once() {
    // The first try fails and writes tried.txt; the next would come 60 s
    // later. SIGINT during that wait ends the run (exit 130) long before.
    let test = Test::new()
        .file(
            "f.yaml",
            r#"
flow:
  - name: flaky
    source: {type: process, configuration: {command: 'sh -c "touch tried.txt; exit 1"'}}
    retry: {attempts: 5, delay: 60}
"#,
        )
        .args(["run", "f.yaml"]);
    let mut child = test
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("flowtoy starts");
    let tried = test.path("tried.txt");
    for _ in 0..500 {
        if tried.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(tried.exists(), "the first try never ran");
    // Give the failure a moment to be recorded, so the wait has begun.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut exited = None;
    for _ in 0..500 {
        if let Some(status) = child.try_wait().expect("wait") {
            exited = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(status) = exited else {
        let _ = child.kill();
        panic!("still waiting to retry 10 s after Ctrl-C");
    };
    let mut stderr = String::new();
    use std::io::Read;
    let _ = child
        .stderr
        .take()
        .map(|mut e| e.read_to_string(&mut stderr));
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("cancelled while waiting for try 2 of 5: process exited with code 1"),
        "{stderr}"
    );
}
