//! The run history end to end (SPEC R31, R32): the real binary records
//! into `FLOWTOY_STATE_DIR` (the test's temp dir), lists, shows, prunes and
//! resumes runs; survives SIGKILL, Ctrl-C and a second process; never
//! writes a secret value; refuses a corrupt database without touching it;
//! serves `GET /runs` and `GET /runs/{id}`.

use crate::common;
use crate::status_api_support;

use common::{Outcome, Test};
use serde_json::{json, Value};
use status_api_support::{wait_for, Serving};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

/// `count` appends a line to `count` each time it runs; `check` fails until
/// the file `fixed` exists (and halts the run); `after` needs both.
const COUNTED: &str = r#"
flow:
  - name: count
    source: {type: process, configuration: {command: [sh, -c, 'echo x >> count; echo "{\"n\": 7}"']}}
    output: [{name: n, type: jmespath, value: n}]
  - name: check
    source: {type: process, configuration: {command: [sh, -c, 'test -f fixed']}}
  - name: after
    depends_on: [check]
    source: {type: process, configuration: {command: [echo]}}
    input: "n={{ flows.count.n }}"
    output: [{name: text}]
"#;

/// `first` counts its runs and ends at once; `gate` waits for the file
/// `go`; `last` needs `gate`.
const GATED: &str = r#"
flow:
  - name: first
    source: {type: process, configuration: {command: [sh, -c, 'echo x >> count; echo "{\"v\": 1}"']}}
    output: [{name: v, type: jmespath, value: v}]
  - name: gate
    source: {type: process, configuration: {command: [sh, -c, 'while [ ! -f go ]; do sleep 0.02; done; echo released']}}
    output: [{name: said}]
  - name: last
    depends_on: [gate]
    source: {type: process, configuration: {command: [echo, done]}}
    output: [{name: text}]
"#;

fn state_dir(t: &Test) -> PathBuf {
    t.path(".flowtoy-state")
}

fn lines(t: &Test, name: &str) -> usize {
    std::fs::read_to_string(t.path(name))
        .unwrap_or_default()
        .lines()
        .count()
}

/// `flowtoy ARGS` in the test's dir.
fn flowtoy(t: &Test, args: &[&str]) -> Outcome {
    t.run_with(args)
}

/// `flowtoy history --json --limit 0`.
fn runs(t: &Test) -> Vec<Value> {
    let out = flowtoy(t, &["history", "--json", "--limit", "0"]);
    out.success();
    out.stdout_json().as_array().expect("a list").clone()
}

/// `flowtoy history show RUN --json`.
fn show(t: &Test, run: &str) -> Value {
    let out = flowtoy(t, &["history", "show", run, "--json"]);
    out.success();
    out.stdout_json()
}

fn ids(runs: &[Value]) -> Vec<i64> {
    runs.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

/// `flowtoy run flow.yaml` in the background, with its output discarded.
fn spawn_run(t: &Test) -> Child {
    let mut cmd = t.command();
    cmd.args(["run", "flow.yaml"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("spawn flowtoy")
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: signalling our own child by its pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
}

/// Waits until the newest recorded run shows `first` succeeded (committed)
/// while it is still running.
fn wait_for_first_step(t: &Test) {
    wait_for("the first step recorded", || {
        let out = flowtoy(t, &["history", "show", "last", "--json"]);
        (out.code() == 0).then(|| out.stdout_json()).filter(|run| {
            run["outcome"] == "running" && run["steps"]["first"]["state"] == "succeeded"
        })
    });
}

#[test]
fn runs_are_recorded_and_listed_newest_first() {
    let t = Test::new()
        .file("flow.yaml", COUNTED)
        .file("other.yaml", "flow:\n  - {name: e, source: env}\n");
    flowtoy(&t, &["run", "flow.yaml"]).code_is(1);
    std::fs::write(t.path("fixed"), "").unwrap();
    flowtoy(&t, &["run", "flow.yaml"]).success();
    flowtoy(&t, &["run", "other.yaml"]).success();
    // Not recorded: --no-history, FLOWTOY_HISTORY=0.
    flowtoy(&t, &["run", "other.yaml", "--no-history"]).success();
    let out = t
        .command()
        .args(["run", "other.yaml"])
        .env("FLOWTOY_HISTORY", "0")
        .output()
        .unwrap();
    assert!(out.status.success());

    let list = runs(&t);
    assert_eq!(ids(&list), [3, 2, 1], "newest first: {list:#?}");
    let flow = t.path("flow.yaml").canonicalize().unwrap();
    let halted = &list[2];
    let keys: Vec<&str> = halted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "run_id",
            "started_at",
            "ended_at",
            "duration",
            "outcome",
            "succeeded",
            "failed",
            "skipped",
            "total_steps",
            "files",
            "config_hash",
            "resumed_from"
        ]
    );
    assert_eq!(halted["outcome"], "halted");
    assert_eq!(
        (
            &halted["succeeded"],
            &halted["failed"],
            &halted["skipped"],
            &halted["total_steps"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(3))
    );
    assert_eq!(halted["files"], json!([flow.display().to_string()]));
    assert!(halted["duration"].as_f64().unwrap() >= 0.0);
    assert_eq!(list[1]["outcome"], "finished");
    assert_eq!(
        list[1]["config_hash"], halted["config_hash"],
        "same files, same hash"
    );
    assert_ne!(list[0]["config_hash"], halted["config_hash"]);

    let only = |args: &[&str]| {
        let mut all = vec!["history", "--json"];
        all.extend_from_slice(args);
        let out = flowtoy(&t, &all);
        out.success();
        ids(out.stdout_json().as_array().unwrap())
    };
    assert_eq!(only(&["--status", "halted"]), [1]);
    assert_eq!(only(&["--limit", "1"]), [3]);
    assert_eq!(only(&["--flow", "flow.yaml"]), [2, 1]);
    assert_eq!(only(&["--flow", "other.yaml"]), [3]);

    let out = flowtoy(&t, &["history"]);
    out.success();
    let text = out.stdout();
    assert!(text.starts_with("  RUN  STARTED"), "{text}");
    assert!(
        text.contains("halted") && text.contains("finished"),
        "{text}"
    );
    assert!(text.contains(&flow.display().to_string()), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
}

#[test]
fn show_gives_the_steps_like_the_status_and_the_outputs() {
    let t = Test::new().file("flow.yaml", COUNTED);
    flowtoy(&t, &["run", "flow.yaml"]).code_is(1);
    let run = show(&t, "1");
    for key in [
        "id",
        "run_id",
        "started_at",
        "ended_at",
        "total_steps",
        "completed_steps",
        "current_step",
        "running_steps",
        "running_count",
        "steps",
        "outcome",
        "outputs",
    ] {
        assert!(run.get(key).is_some(), "{key} missing: {run:#}");
    }
    let order: Vec<&str> = run["steps"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(order, ["count", "check", "after"], "file order");
    assert_eq!(run["steps"]["count"]["state"], "succeeded");
    assert_eq!(run["steps"]["count"]["outputs"], json!(["n"]));
    assert_eq!(run["steps"]["count"]["attempt"], 1);
    assert_eq!(run["steps"]["check"]["state"], "failed");
    assert_eq!(
        run["steps"]["check"]["notes"],
        json!(["process exited with code 1"])
    );
    assert_eq!(run["steps"]["after"]["state"], "skipped");
    assert_eq!(run["outputs"], json!({"count": {"n": 7}}));
    assert_eq!(run["completed_steps"], 2);
    assert_eq!(show(&t, "last"), run);

    let out = flowtoy(&t, &["history", "show", "last"]);
    out.success();
    let text = out.stdout();
    assert!(text.starts_with("run 1 · halted · started "), "{text}");
    assert!(text.contains("✓ count  succeeded"), "{text}");
    assert!(
        text.contains("✗ check  failed") && text.contains("process exited with code 1"),
        "{text}"
    );
    assert!(text.contains("⊘ after  skipped"), "{text}");
    assert!(
        text.contains("outputs (secret values masked):\ncount\n    n: 7"),
        "{text}"
    );

    let out = flowtoy(&t, &["history", "show", "99"]);
    out.code_is(2).stderr_has("there is no run 99");
    flowtoy(&t, &["history", "show", "nope"])
        .code_is(2)
        .stderr_has("'nope' is not a run");
}

#[test]
fn resume_after_a_halt_reuses_what_succeeded_and_runs_what_changed() {
    let t = Test::new().file("flow.yaml", COUNTED);
    flowtoy(&t, &["run", "flow.yaml"]).code_is(1);
    assert_eq!(lines(&t, "count"), 1);
    std::fs::write(t.path("fixed"), "").unwrap();

    let out = flowtoy(&t, &["resume", "1", "-j"]);
    out.success()
        .stderr_has("flowtoy: resuming run 1 (")
        .stderr_has("flowtoy: reusing 1 step: count\n")
        .stderr_has("flowtoy: running 2 steps: check (failed), after (skipped)\n")
        .stderr_has("flowtoy: recorded as run 2, resumed from run 1");
    assert_eq!(lines(&t, "count"), 1, "count did not run again");
    assert_eq!(
        out.stdout_json(),
        json!({"count": {"n": 7}, "check": {}, "after": {"text": "n=7"}})
    );
    let list = runs(&t);
    assert_eq!(list[0]["resumed_from"], 1);
    assert_eq!(list[0]["outcome"], "finished");
    assert_eq!(list[0]["succeeded"], 3);
    let resumed = show(&t, "2");
    assert_eq!(
        resumed["steps"]["count"]["notes"],
        json!(["reused from run 1"])
    );
    assert_eq!(resumed["outputs"]["count"], json!({"n": 7}));

    // A changed step runs again, with what reads it; the rest is reused
    // (and keeps saying where its outputs come from).
    let changed = COUNTED.replace(": 7}", ": 8}");
    std::fs::write(t.path("flow.yaml"), changed).unwrap();
    let out = flowtoy(&t, &["resume", "last", "-j"]);
    out.success()
        .stderr_has("flowtoy: reusing 1 step: check\n")
        .stderr_has("running 2 steps: count (definition changed), after (definition changed)");
    assert_eq!(lines(&t, "count"), 2);
    assert_eq!(out.stdout_json()["after"], json!({"text": "n=8"}));
    assert_eq!(show(&t, "3")["resumed_from"], 2);

    flowtoy(&t, &["resume", "42"])
        .code_is(2)
        .stderr_has("there is no run 42");
}

#[test]
fn a_run_killed_with_sigkill_is_interrupted_and_keeps_its_finished_steps() {
    let t = Test::new().file("flow.yaml", GATED);
    let mut child = spawn_run(&t);
    wait_for_first_step(&t);
    assert_eq!(runs(&t)[0]["outcome"], "running", "its process is alive");
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();

    let list = runs(&t);
    assert_eq!(list[0]["outcome"], "interrupted", "{list:#?}");
    assert_eq!(list[0]["succeeded"], 1);
    assert!(list[0]["ended_at"].as_f64().is_some());
    let run = show(&t, "1");
    assert_eq!(run["steps"]["first"]["state"], "succeeded");
    assert_eq!(run["outputs"]["first"], json!({"v": 1}));
    assert_eq!(run["steps"]["gate"]["state"], "pending");
    assert_eq!(
        run["steps"]["gate"]["notes"],
        json!(["did not finish: the run stopped first"])
    );

    std::fs::write(t.path("go"), "").unwrap();
    flowtoy(&t, &["resume", "1"])
        .success()
        .stderr_has("reusing 1 step: first\n")
        .stderr_has("running 2 steps: gate (did not finish), last (did not finish)");
    assert_eq!(lines(&t, "count"), 1);
    assert_eq!(runs(&t)[0]["outcome"], "finished");
}

#[test]
fn a_run_stopped_with_ctrl_c_is_interrupted_and_resumes() {
    let t = Test::new().file("flow.yaml", GATED);
    let mut child = spawn_run(&t);
    wait_for_first_step(&t);
    signal(&child, libc::SIGINT);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    let list = runs(&t);
    assert_eq!(list[0]["outcome"], "interrupted");
    assert_eq!(
        (&list[0]["succeeded"], &list[0]["skipped"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(show(&t, "1")["steps"]["gate"]["state"], "failed");

    std::fs::write(t.path("go"), "").unwrap();
    flowtoy(&t, &["resume", "last"])
        .success()
        .stderr_has("reusing 1 step: first\n");
    assert_eq!(lines(&t, "count"), 1);
}

#[test]
fn two_processes_record_at_once() {
    let mut flow =
        String::from("sources:\n  home: {type: env, configuration: {vars: [HOME]}}\nflow:\n");
    flow.push_str("  - name: gate\n    source: {type: process, configuration: {command: [sh, -c, 'while [ ! -f go ]; do sleep 0.02; done']}}\n");
    for i in 0..300 {
        flow.push_str(&format!(
            "  - {{name: s{i}, source: home, output: [{{name: v, type: json}}]}}\n"
        ));
    }
    let t = Test::new().file("flow.yaml", &flow);
    let mut children = [spawn_run(&t), spawn_run(&t)];
    wait_for("both runs recorded and running", || {
        let list = runs(&t);
        (list.len() == 2 && list.iter().all(|r| r["outcome"] == "running")).then_some(())
    });
    std::fs::write(t.path("go"), "").unwrap();
    for child in &mut children {
        assert!(child.wait().unwrap().success());
    }
    let list = runs(&t);
    assert_eq!(list.len(), 2);
    for run in &list {
        assert_eq!(run["outcome"], "finished", "{run}");
        assert_eq!(run["succeeded"], 301, "{run}");
        let id = run["id"].to_string();
        let shown = show(&t, &id);
        assert_eq!(shown["outputs"].as_object().unwrap().len(), 301);
    }
}

/// Every file under `dir`, read whole.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn secret_values_are_never_written_and_their_steps_run_again() {
    const SECRET: &str = "history-e2e-secret-9f3a";
    let flow = r#"
sources:
  creds: {type: env, configuration: {vars: [API_TOKEN]}}
flow:
  - name: creds
    source: creds
    output: [{name: token, type: jmespath, value: API_TOKEN}]
  - name: use
    source: {type: process, configuration: {command: [echo]}}
    input: "calling with {{ flows.creds.token }}"
    output: [{name: said}]
  - name: plain
    source: {type: process, configuration: {command: [sh, -c, 'echo x >> count; echo hello']}}
    output: [{name: text}]
  - name: gate
    depends_on: [use, plain]
    source: {type: process, configuration: {command: [sh, -c, 'while [ ! -f go ]; do sleep 0.02; done']}}
"#;
    let t = Test::new().file("flow.yaml", flow).env("API_TOKEN", SECRET);
    // Killed while the gate waits: the write-ahead log still holds what
    // was written, not yet folded into the database.
    let mut child = spawn_run(&t);
    wait_for("the three first steps recorded", || {
        let out = flowtoy(&t, &["history", "show", "last", "--json"]);
        (out.code() == 0)
            .then(|| out.stdout_json())
            .filter(|run| run["completed_steps"] == 3)
    });
    let files = files_under(&state_dir(&t));
    assert!(
        files.iter().any(|(p, _)| p.ends_with("history.db-wal")),
        "{files:?}"
    );
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    let mut files = files_under(&state_dir(&t));
    std::fs::write(t.path("go"), "").unwrap();
    flowtoy(&t, &["run", "flow.yaml"]).success();
    files.extend(files_under(&state_dir(&t)));
    for (path, bytes) in &files {
        assert!(
            !contains(bytes, SECRET.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }

    let run = show(&t, "1");
    assert_eq!(run["secret_steps"], json!(["creds", "use"]));
    assert_eq!(run["outputs"]["creds"], json!({"token": "***REDACTED***"}));
    assert_eq!(
        run["outputs"]["use"],
        json!({"said": "calling with ***REDACTED***"})
    );
    assert_eq!(run["outputs"]["plain"], json!({"text": "hello"}));
    let out = flowtoy(&t, &["resume", "1", "-j"]);
    out.success()
        .stderr_has("reusing 1 step: plain\n")
        .stderr_has("creds (its outputs held secret values), use (its outputs held secret values)");
    assert_eq!(
        lines(&t, "count"),
        2,
        "the first run and the plain run; not the resume"
    );
    assert_eq!(
        out.stdout_json()["use"]["said"],
        "calling with ***REDACTED***"
    );
    for (path, bytes) in files_under(&state_dir(&t)) {
        assert!(
            !contains(&bytes, SECRET.as_bytes()),
            "{} holds the secret",
            path.display()
        );
    }
}

#[test]
fn a_corrupt_history_is_refused_and_left_byte_for_byte() {
    let t = Test::new().file(
        "flow.yaml",
        "flow:\n  - name: touch\n    source: {type: process, configuration: {command: [touch, ran]}}\n",
    );
    std::fs::create_dir(state_dir(&t)).unwrap();
    let db = state_dir(&t).join("history.db");
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(7919) % 256) as u8)
        .collect();
    std::fs::write(&db, &garbage).unwrap();
    for args in [
        vec!["run", "flow.yaml"],
        vec!["history"],
        vec!["history", "show", "last"],
        vec!["resume", "last"],
    ] {
        let out = flowtoy(&t, &args);
        out.code_is(2)
            .no_panic()
            .stderr_has(&db.display().to_string())
            .stderr_has("--no-history");
        assert!(!t.path("ran").exists(), "{args:?}: nothing may run");
    }
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
    flowtoy(&t, &["run", "flow.yaml", "--no-history"]).success();
    assert!(t.path("ran").exists());
    assert_eq!(std::fs::read(&db).unwrap(), garbage, "never overwritten");
    assert_eq!(
        std::fs::read_dir(state_dir(&t)).unwrap().count(),
        1,
        "nothing beside it"
    );
}

#[test]
fn prune_keeps_the_newest_runs() {
    let t = Test::new().file("flow.yaml", "flow:\n  - {name: e, source: env}\n");
    for _ in 0..4 {
        flowtoy(&t, &["run", "flow.yaml"]).success();
    }
    flowtoy(&t, &["history", "prune", "--keep", "2"])
        .success()
        .stdout_has("pruned 2 runs; 2 left");
    assert_eq!(ids(&runs(&t)), [4, 3]);
    flowtoy(&t, &["history", "prune", "--older-than", "1"])
        .success()
        .stdout_has("pruned 0 runs; 2 left");
    flowtoy(&t, &["history", "prune", "--older-than", "0"])
        .success()
        .stdout_has("pruned 2 runs; 0 left");
    flowtoy(&t, &["history", "prune"]).code_is(2);
    flowtoy(&t, &["run", "flow.yaml"]).success();
    assert_eq!(ids(&runs(&t)), [5], "numbers are never given twice");
}

#[cfg(unix)]
#[test]
fn the_history_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new().file("flow.yaml", "flow:\n  - {name: e, source: env}\n");
    flowtoy(&t, &["run", "flow.yaml"]).success();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state_dir(&t)), 0o700);
    assert_eq!(mode(&state_dir(&t).join("history.db")), 0o600);
}

#[test]
fn the_status_api_serves_runs_as_the_commands_show_them() {
    let t = Test::new().file("flow.yaml", COUNTED);
    flowtoy(&t, &["run", "flow.yaml"]).code_is(1);
    let server = Serving::start(t.dir.path(), &["serve", "flow.yaml", "--port", "0"]);
    wait_for("the served run's end", || {
        (server.status()["ended_at"].is_f64()).then_some(())
    });
    let (code, listed) = server.get("/runs");
    assert_eq!(code, 200, "{listed}");
    // The served run is recorded too; it ended before it was shown.
    wait_for("the served run recorded as ended", || {
        let (_, listed) = server.get("/runs");
        (listed[0]["outcome"] == "halted").then_some(())
    });
    let (_, listed) = server.get("/runs");
    assert_eq!(listed, Value::Array(runs(&t)));
    assert_eq!(ids(listed.as_array().unwrap()), [2, 1]);
    let (code, one) = server.get("/runs/1");
    assert_eq!(code, 200);
    assert_eq!(one, show(&t, "1"));
    let (_, halted) = server.get("/runs?status=halted&limit=1");
    assert_eq!(ids(halted.as_array().unwrap()), [2]);
    let (code, missing) = server.get("/runs/99");
    assert_eq!(code, 404);
    assert!(
        missing["error"].as_str().unwrap().contains("no run 99"),
        "{missing}"
    );
    assert_eq!(server.get("/runs/abc").0, 400);
    assert_eq!(server.get("/runs?status=weird").0, 400);
    server.interrupt();

    let quiet = Serving::start(
        t.dir.path(),
        &["serve", "flow.yaml", "--port", "0", "--no-history"],
    );
    let (code, body) = quiet.get("/runs");
    assert_eq!(code, 404);
    assert!(
        body["error"].as_str().unwrap().contains("no run history"),
        "{body}"
    );
    quiet.interrupt();
    assert_eq!(runs(&t).len(), 2, "--no-history recorded nothing");
}
