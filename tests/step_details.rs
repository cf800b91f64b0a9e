//! Step details (`GET /steps/{name}`): state, tries, times, error, notes,
//! the rendered input, outputs, `meta`, the executor and the tail of a
//! `process` step's stdout and stderr, there WHILE the step runs; secret
//! values masked (SPEC R24), only the last 64 KiB of each stream kept, 404
//! for a step the flow does not have. The `process` provider streams its
//! output both built in and as a plugin library loaded from disk.

use crate::plugins_support::libraries;
use crate::status_api_support::{wait_for, write, Serving};
use serde_json::{json, Value};
use std::path::Path;

const SECRET: &str = "sess-5521-step-details";

/// `watched` prints, then waits for the file `go`; `loud` prints 223 KiB.
fn flow() -> String {
    format!(
        r#"
flow:
  - name: session
    source: {{type: process, configuration: {{command: [echo, {SECRET}]}}}}
    output: [{{name: id, secret: true}}]
  - name: watched
    depends_on: [session]
    input: "token {{{{ flows.session.id }}}}"
    source:
      type: process
      configuration:
        pass_to: stdin
        command: ["sh", "-c", "echo first-line; echo \"got $(cat)\"; echo to-stderr >&2; while [ ! -f go ]; do sleep 0.05; done; echo last-line"]
    output: [{{name: said}}]
  - name: loud
    source: {{type: process, configuration: {{command: [seq, "1", "40000"]}}}}
  - name: "a b/c"
    source: {{type: process, configuration: {{command: ["false"]}}}}
    on_error: continue
"#
    )
}

/// What `seq 1 40000` prints.
fn seq_output() -> String {
    (1..=40000).map(|i| format!("{i}\n")).collect()
}

fn details(server: &Serving, path: &str) -> Value {
    let (code, body) = server.get(path);
    assert_eq!(code, 200, "{path}: {body}");
    assert!(
        !body.to_string().contains(SECRET),
        "the secret leaked: {body}"
    );
    body
}

/// Serves `flow` from `dir` in a web UI process; with `plugin`, that
/// library (linked into `dir/plugins` under the given file name) loads too.
fn serve(dir: &Path, flow: &str, plugin: Option<(&Path, &str)>) -> Serving {
    write(dir, "flow.yaml", flow);
    let Some((library, file_name)) = plugin else {
        return Serving::start(dir, &["webui", "flow.yaml", "--port", "0"]);
    };
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::os::unix::fs::symlink(library, dir.join("plugins").join(file_name)).unwrap();
    Serving::start(
        dir,
        &[
            "webui",
            "flow.yaml",
            "--plugin-dir",
            "plugins",
            "--port",
            "0",
        ],
    )
}

fn a_running_step_shows_its_output_so_far(plugin_library: bool) {
    let dir = tempfile::tempdir().unwrap();
    let process_library = libraries().process.as_path();
    let plugin = plugin_library.then_some((process_library, "libflowtoy_plugin_process.so"));
    let server = serve(dir.path(), &flow(), plugin);

    // While `watched` runs: what it printed so far, masked.
    let running = wait_for("watched's first lines while it runs", || {
        let d = details(&server, "/steps/watched");
        let printed = d["stdout"]["text"].as_str().unwrap_or("").to_string();
        let complete = printed.contains("got token") && d["stderr"]["text"] == "to-stderr\n";
        (d["state"] == "running" && complete).then_some(d)
    });
    assert_eq!(running["name"], "watched");
    assert_eq!(running["provider"], "process");
    assert_eq!(running["executor"], "local");
    assert_eq!(
        (running["attempt"].clone(), running["max_attempts"].clone()),
        (json!(1), json!(1))
    );
    assert!(running["started_at"].is_f64(), "{running}");
    assert!(running["ended_at"].is_null(), "{running}");
    assert!(running["outputs"].is_null(), "{running}");
    assert_eq!(running["input"], "token ***REDACTED***");
    assert_eq!(
        running["stdout"]["text"],
        "first-line\ngot token ***REDACTED***\n"
    );
    assert_eq!(running["stdout"]["truncated"], false);
    assert!(!dir.path().join("go").exists());

    // After it ends: the whole tail, the outputs and meta, masked.
    write(dir.path(), "go", "");
    let done = wait_for("watched to succeed", || {
        let d = details(&server, "/steps/watched");
        (d["state"] == "succeeded").then_some(d)
    });
    assert!(done["ended_at"].as_f64() >= done["started_at"].as_f64());
    assert_eq!(
        done["stdout"]["text"],
        "first-line\ngot token ***REDACTED***\nlast-line\n"
    );
    assert_eq!(
        done["outputs"]["said"],
        "first-line\ngot token ***REDACTED***\nlast-line"
    );
    assert_eq!(done["meta"]["returncode"], 0);
    assert_eq!(done["meta"]["stderr"], "to-stderr\n");
    assert!(done["error"].is_null(), "{done}");

    // A step that prints 223 KiB keeps its last 64 KiB.
    let loud = wait_for("loud to succeed", || {
        let d = details(&server, "/steps/loud");
        (d["state"] == "succeeded").then_some(d)
    });
    let printed = seq_output();
    assert!(printed.len() > 200 * 1024);
    assert_eq!(loud["stdout"]["total_bytes"], printed.len());
    assert_eq!(loud["stdout"]["truncated"], true);
    let tail = loud["stdout"]["text"].as_str().unwrap();
    assert_eq!(tail.len(), 64 * 1024);
    assert_eq!(tail, &printed[printed.len() - 64 * 1024..]);
    assert!(loud.get("stderr").is_none(), "nothing on stderr: {loud}");

    // Names are percent-encoded in the path; a failed step has its error.
    let failed = wait_for("'a b/c' to fail", || {
        let d = details(&server, "/steps/a%20b%2Fc");
        (d["state"] == "failed").then_some(d)
    });
    assert_eq!(failed["name"], "a b/c");
    assert_eq!(failed["error"], "process exited with code 1");
    assert_eq!(failed["notes"], json!(["process exited with code 1"]));

    // A step the flow does not have.
    let (code, body) = server.get("/steps/nope");
    assert_eq!(code, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("no step named 'nope'")),
        "{body}"
    );

    // The same document through a relay.
    let relay = Serving::start(
        dir.path(),
        &["webui", "--status-url", &server.url, "--port", "0"],
    );
    assert_eq!(
        details(&relay, "/steps/watched"),
        details(&server, "/steps/watched")
    );
    assert_eq!(relay.get("/steps/nope").0, 404);
    relay.interrupt();
    server.interrupt();
}

#[test]
fn a_running_built_in_process_step_shows_its_output_so_far() {
    a_running_step_shows_its_output_so_far(false);
}

#[test]
fn a_running_process_step_from_the_plugin_library_shows_its_output_so_far() {
    a_running_step_shows_its_output_so_far(true);
}

/// A step a plugin library's executor runs (the `numbered` test executor,
/// which calls the process provider inside the library): its output
/// reaches `/steps/{name}` while it runs, through the hooks the host hands
/// every library, whichever export macro it was built with.
#[test]
fn a_step_run_by_a_plugin_executor_shows_its_output_while_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let flow = r#"
runner:
  executor: {type: numbered, configuration: {prefix: n}}
flow:
  - name: watched
    source:
      type: process
      configuration:
        command: ["sh", "-c", "echo first-line; while [ ! -f go ]; do sleep 0.05; done; echo last-line"]
"#;
    let plugin = Some((libraries().executor.as_path(), "libnumbered.so"));
    let server = serve(dir.path(), flow, plugin);
    let running = wait_for("watched's first line while it runs", || {
        let d = details(&server, "/steps/watched");
        (d["state"] == "running" && d["stdout"]["text"] == "first-line\n").then_some(d)
    });
    assert_eq!(running["executor"], "numbered", "{running}");
    assert_eq!(running["job_id"], "n-1", "{running}");
    write(dir.path(), "go", "");
    let done = wait_for("watched to succeed", || {
        let d = details(&server, "/steps/watched");
        (d["state"] == "succeeded").then_some(d)
    });
    assert_eq!(done["stdout"]["text"], "first-line\nlast-line\n");
    server.interrupt();
}
