//! Provider plugins loaded from real shared libraries (SPEC R21): the example
//! `file` plugin, the `env` built-in as a library, misbehaving and
//! incompatible libraries, and in-process registration.
//!
//! The plugin libraries are built by the first test that needs them (see
//! `plugins_support`), so a fresh checkout needs no manual step.

use crate::common;
use crate::plugins_support;

use common::Test;
use plugins_support::{copy, install, libraries};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

const FILE_FLOW: &str = r#"
flow:
  - name: save
    source:
      type: file
      configuration: {action: write, path: out/people.csv}
    input:
      - {name: ada, born: 1815}
      - {name: alan, born: 1912}
  - name: load
    depends_on: [save]
    source:
      type: file
      configuration: {action: read, path: out/people.csv}
    output:
      - {name: names, type: jmespath, value: "[].name"}
  - name: list
    depends_on: [save]
    source: {type: file, configuration: {action: glob}}
    input: "out/*.csv"
"#;

const FILE_OUTPUTS: &str = r#"{"save": {}, "load": {"names": ["ada", "alan"]}, "list": {}}"#;

#[test]
fn example_plugin_runs_from_a_plugin_dir() {
    let t = Test::new().file("flow.yaml", FILE_FLOW);
    install(
        &t,
        "plugins",
        &libraries().file,
        "libflowtoy_plugin_file.so",
    );
    let out = t
        .args(["run", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run();
    out.success();
    assert_eq!(
        out.stdout_json(),
        serde_json::from_str::<Value>(FILE_OUTPUTS).unwrap()
    );
    assert_eq!(
        out.read("out/people.csv"),
        "name,born\nada,1815\nalan,1912\n"
    );
}

/// The example flow shipped with the plugin, run the way its README says
/// (from the repository root, with `--plugin-dir`).
#[test]
fn the_file_plugin_example_flow_runs() {
    let t = Test::new();
    install(
        &t,
        "plugins",
        &libraries().file,
        "libflowtoy_plugin_file.so",
    );
    let out = Command::new(common::flowtoy_bin())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FLOWTOY_PLUGIN_PATH")
        .env("FLOWTOY_STATE_DIR", t.path(".flowtoy-state"))
        .args([
            "run",
            "-j",
            "plugins/file/examples/report.yaml",
            "--plugin-dir",
        ])
        .arg(t.path("plugins"))
        .output()
        .expect("run flowtoy");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs: Value = serde_json::from_str(&stdout).expect("JSON outputs");
    assert_eq!(outputs["people"]["count"], json!(4));
    assert_eq!(
        outputs["check"]["names"],
        json!(["Alan Turing", "Grace Hopper"])
    );
}

#[test]
fn example_plugin_is_found_through_flowtoy_plugin_path() {
    let t = Test::new()
        .file("flow.yaml", FILE_FLOW)
        .file("empty/.keep", "");
    install(&t, "libs", &libraries().file, "libflowtoy_plugin_file.so");
    let path = format!("{}:{}", t.path("empty").display(), t.path("libs").display());
    let out = t
        .env("FLOWTOY_PLUGIN_PATH", &path)
        .args(["run", "-j", "flow.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json()["load"]["names"], json!(["ada", "alan"]));
}

#[test]
fn example_plugin_is_found_through_plugins_dirs_relative_to_the_yaml_file() {
    let flow = format!("plugins:\n  dirs: [../libs]\n{FILE_FLOW}");
    let t = Test::new().file("flows/flow.yaml", &flow);
    install(&t, "libs", &libraries().file, "libflowtoy_plugin_file.so");
    let out = t.args(["run", "-j", "flows/flow.yaml"]).run();
    out.success();
    assert_eq!(out.stdout_json()["load"]["names"], json!(["ada", "alan"]));
}

#[test]
fn the_engine_loads_plugins_dirs_too() {
    let t = Test::new();
    let data = t.path("data.yaml");
    let t = t.file("data.yaml", "answer: 42\nlist: [a, b]\n").file(
        "flow.yaml",
        &format!(
            "plugins: {{dirs: [libs]}}\nflow:\n  - name: read\n    source: {{type: file, configuration: {{action: read, path: {}}}}}\n    output: [{{name: data, type: json}}]\n",
            data.display()
        ),
    );
    install(&t, "libs", &libraries().file, "libflowtoy_plugin_file.so");
    let config = flowtoy::config::load_yaml_files(&[t.path("flow.yaml")]).unwrap();
    let runner = flowtoy::LocalRunner::new(config);
    let origin = runner.registry().get("file").unwrap().origin.to_string();
    assert!(
        origin.ends_with("libs/libflowtoy_plugin_file.so"),
        "{origin}"
    );
    runner.run().unwrap();
    let flows = serde_json::to_value(runner.flows()).unwrap();
    assert_eq!(
        flows,
        json!({"read": {"data": {"answer": 42, "list": ["a", "b"]}}})
    );
}

const ENV_FLOW: &str = r#"
flow:
  - name: vars
    source:
      type: env
      configuration: {vars: [FLOWTOY_PLUGIN_TEST_SET, FLOWTOY_PLUGIN_TEST_UNSET]}
    output:
      - {name: all, type: json}
      - {name: set, type: jmespath, value: FLOWTOY_PLUGIN_TEST_SET}
"#;

#[test]
fn env_as_a_plugin_library_gives_the_same_outputs_as_the_built_in() {
    let built_in = Test::new()
        .file("flow.yaml", ENV_FLOW)
        .env("FLOWTOY_PLUGIN_TEST_SET", "hello")
        .args(["run", "-j", "flow.yaml"])
        .run();
    built_in.success();
    let t = Test::new().file("flow.yaml", ENV_FLOW);
    install(&t, "plugins", &libraries().env, "libflowtoy_plugin_env.so");
    let from_library = t
        .env("FLOWTOY_PLUGIN_TEST_SET", "hello")
        .args(["run", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run();
    from_library
        .success()
        .stderr_has("libflowtoy_plugin_env.so replaces the built-in provider 'env'");
    assert_eq!(from_library.stdout_json(), built_in.stdout_json());
    assert_eq!(
        from_library.stdout_json()["vars"]["all"],
        json!({"FLOWTOY_PLUGIN_TEST_SET": "hello", "FLOWTOY_PLUGIN_TEST_UNSET": null})
    );
}

const PROCESS_FLOW: &str = r#"
flow:
  - name: words
    source:
      type: process
      configuration: {command: [printf, "%s|%s"], pass_to: arg}
    input: "{{ 'a b' | upper }}"
    output: [{name: text}]
  - name: json
    source:
      type: process
      configuration: {command: "cat", pass_to: stdin}
    input: {list: [1, 2], ok: true}
    output: [{name: data, type: json}]
  - name: fails
    on_error: continue
    source: {type: process, configuration: {command: [sh, -c, "echo oops >&2; exit 3"]}}
"#;

#[test]
fn process_as_a_plugin_library_behaves_like_the_built_in() {
    let built_in = Test::new()
        .file("flow.yaml", PROCESS_FLOW)
        .args(["run", "-j", "flow.yaml"])
        .run();
    built_in.success();
    let t = Test::new().file("flow.yaml", PROCESS_FLOW);
    install(
        &t,
        "plugins",
        &libraries().process,
        "libflowtoy_plugin_process.so",
    );
    let from_library = t
        .args(["run", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run();
    from_library
        .success()
        .stderr_has("replaces the built-in provider 'process'")
        .stderr_has("process exited with code 3");
    assert_eq!(from_library.stdout_json(), built_in.stdout_json());
    assert_eq!(
        from_library.stdout_json()["json"]["data"],
        json!({"list": [1, 2], "ok": true})
    );
}

fn panic_flow(policy: &str) -> String {
    format!(
        r#"
runner: {{max_workers: 1}}
flow:
  - name: boom
    source: {{type: panicky, configuration: {{message: "the plugin gave up"}}}}
    on_error: {policy}
  - name: after
    depends_on: [boom]
    source: {{type: env, configuration: {{vars: [HOME]}}}}
  - name: other
    source: {{type: env, configuration: {{vars: [HOME]}}}}
"#
    )
}

fn run_panic_flow(policy: &str) -> common::Outcome {
    let t = Test::new().file("flow.yaml", &panic_flow(policy));
    install(&t, "plugins", &libraries().misbehaving, "libmisbehaving.so");
    t.args(["run", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run()
}

#[test]
fn a_panicking_plugin_fails_only_its_step() {
    let out = run_panic_flow("continue");
    out.code_is(0)
        .stderr_has("provider 'panicky' panicked: the plugin gave up");
    assert_eq!(
        out.stdout_json(),
        json!({"after": {}, "other": {}}),
        "both other steps ran"
    );

    let out = run_panic_flow("skip");
    out.code_is(0)
        .stderr_has("provider 'panicky' panicked: the plugin gave up");
    assert_eq!(
        out.stdout_json(),
        json!({"other": {}}),
        "the dependent was skipped"
    );

    let out = run_panic_flow("fail");
    out.code_is(1)
        .stderr_has("provider 'panicky' panicked: the plugin gave up");
    assert!(
        !out.stderr().contains("stack backtrace"),
        "a caught panic is reported once, by the host:\n{}",
        out.stderr()
    );
}

#[test]
fn a_plugin_panicking_in_its_constructor_fails_its_step() {
    let t = Test::new().file(
        "flow.yaml",
        "flow:\n  - name: boom\n    source: {type: panicky, configuration: {panic_in: create, message: no way}}\n",
    );
    install(&t, "plugins", &libraries().misbehaving, "libmisbehaving.so");
    t.args(["run", "flow.yaml", "--plugin-dir", "plugins"])
        .run()
        .code_is(1)
        .stderr_has("provider 'panicky' panicked while starting: no way");
}

#[test]
fn a_plugin_sees_the_run_being_cancelled() {
    let t = Test::new().file(
        "flow.yaml",
        "flow:\n  - name: wait\n    source: {type: wait_for_cancel, configuration: {started: started.txt, marker: seen.txt}}\n",
    );
    install(&t, "plugins", &libraries().misbehaving, "libmisbehaving.so");
    let t = t.args(["run", "flow.yaml", "--plugin-dir", "plugins"]);
    let mut child = t
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn flowtoy");
    let started = t.path("started.txt");
    for _ in 0..6000 {
        if started.exists() || child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(started.exists(), "the plugin step never started");
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("wait for flowtoy");
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        std::fs::read_to_string(t.path("seen.txt")).ok().as_deref(),
        Some("cancelled"),
        "the plugin did not see the cancellation"
    );
}

#[test]
fn a_plugin_built_for_another_api_version_is_refused_naming_the_file() {
    let t = Test::new().file(
        "needs.yaml",
        "flow:\n  - name: new\n    source: from_the_future\n",
    );
    install(&t, "plugins", &libraries().future_api, "libfuture.so");
    t.args(["run", "needs.yaml", "--plugin-dir", "plugins"])
        .run()
        .code_is(2)
        .stderr_has("provider type 'from_the_future'")
        .stderr_has(
            "plugin library plugins/libfuture.so failed to load: incompatible plugin API: \
             it was built for flowtoy plugin API version 2, this flowtoy speaks version 1",
        );
    // A flow that does not need the library runs, with a warning.
    let t = Test::new().file(
        "other.yaml",
        "flow:\n  - name: e\n    source: {type: env, configuration: {vars: [HOME]}}\n",
    );
    install(&t, "plugins", &libraries().future_api, "libfuture.so");
    t.args(["run", "other.yaml", "--plugin-dir", "plugins"])
        .run()
        .success()
        .stderr_has("plugins/libfuture.so was not loaded: incompatible plugin API");
}

#[test]
fn a_library_with_another_layout_is_refused_as_a_layout_mismatch() {
    let t = Test::new().file("flow.yaml", "flow:\n  - name: x\n    source: answer\n");
    install(&t, "plugins", &libraries().other_layout, "libother.so");
    t.args(["run", "flow.yaml", "--plugin-dir", "plugins"])
        .run()
        .code_is(2)
        .stderr_has(
            "plugin library plugins/libother.so was not loaded: layout mismatch: \
             its plugin interface types differ from this flowtoy's",
        )
        .stderr_has("provider type 'answer' is not built in");
}

/// Builds a shared library that is not a flowtoy plugin, with the C compiler
/// Rust itself links with.
fn not_a_plugin(t: &Test) -> PathBuf {
    let src = t.path("not_a_plugin.c");
    std::fs::write(&src, "int answer(void) { return 42; }\n").unwrap();
    let lib = t.path("plugins/libnot_a_plugin.so");
    std::fs::create_dir_all(t.path("plugins")).unwrap();
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "cc failed");
    lib
}

/// A text file named like a library and a library that is not a flowtoy
/// plugin are reported with their path and the reason; other files (a
/// README) are ignored.
#[test]
fn files_that_are_not_plugins_give_clear_errors() {
    let t = Test::new()
        .file("plugins/README.txt", "these are my plugins\n")
        .file("plugins/broken.so", "this is text, not a library\n")
        .file(
            "env.yaml",
            "flow:\n  - name: e\n    source: {type: env, configuration: {vars: [HOME]}}\n",
        );
    not_a_plugin(&t);
    let env = t.args(["run", "env.yaml", "--plugin-dir", "plugins"]).run();
    env.success()
        .stderr_has("plugin library plugins/broken.so was not loaded: not a loadable shared library")
        .stderr_has(
            "plugin library plugins/libnot_a_plugin.so was not loaded: not a flowtoy plugin: it exports no abi_stable root module",
        );
    assert!(!env.stderr().contains("README"), "{}", env.stderr());
    let t = Test::new()
        .file("plugins/broken.so", "this is text, not a library\n")
        .file("file.yaml", "flow:\n  - name: f\n    source: file\n");
    not_a_plugin(&t);
    t.args(["run", "file.yaml", "--plugin-dir", "plugins"])
        .run()
        .code_is(2)
        .stderr_has("provider type 'file' is not built in and no loaded plugin provides it")
        .stderr_has("plugin library plugins/broken.so failed to load")
        .stderr_has(
            "plugin library plugins/libnot_a_plugin.so failed to load: not a flowtoy plugin",
        );
}

#[test]
fn two_libraries_with_the_same_type_are_a_configuration_error() {
    let t = Test::new().file(
        "flow.yaml",
        "flow:\n  - name: e\n    source: {type: env, configuration: {vars: [HOME]}}\n",
    );
    copy(&t, "a", &libraries().file, "libfile_one.so");
    copy(&t, "b", &libraries().file, "libfile_two.so");
    t.args(["run", "flow.yaml", "--plugin-dir", "a", "--plugin-dir", "b"])
        .run()
        .code_is(2)
        .stderr_has(
            "provider type 'file' is provided by two plugin libraries: a/libfile_one.so and b/libfile_two.so",
        );
}

#[test]
fn the_same_directory_named_twice_is_loaded_once() {
    let t = Test::new().file("flow.yaml", FILE_FLOW);
    install(
        &t,
        "plugins",
        &libraries().file,
        "libflowtoy_plugin_file.so",
    );
    let dir = t.path("plugins").display().to_string();
    t.env("FLOWTOY_PLUGIN_PATH", &dir)
        .args(["run", "-q", "flow.yaml", "--plugin-dir", "plugins"])
        .run()
        .success();
}

#[test]
fn plugins_command_lists_every_provider_type() {
    let t = Test::new();
    install(
        &t,
        "plugins",
        &libraries().file,
        "libflowtoy_plugin_file.so",
    );
    install(&t, "plugins", &libraries().misbehaving, "libmisbehaving.so");
    let out = t.args(["plugins", "--plugin-dir", "plugins"]).run();
    out.success();
    let rows: Vec<Vec<String>> = out
        .stdout()
        .lines()
        .map(|l| {
            l.split("  ")
                .filter(|c| !c.trim().is_empty())
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("no row for {name}:\n{}", out.stdout()))
            .clone()
    };
    assert_eq!(rows[0], ["TYPE", "VERSION", "ORIGIN", "DESCRIPTION"]);
    assert_eq!(row("env")[1..3], ["0.1.0", "built-in"]);
    assert_eq!(row("process")[2], "built-in");
    assert_eq!(row("rest")[2], "built-in");
    assert_eq!(
        row("file"),
        [
            "file",
            "0.1.0",
            "plugins/libflowtoy_plugin_file.so",
            "reads, writes and globs JSON, YAML, CSV and text files"
        ]
    );
    assert_eq!(row("panicky")[2], "plugins/libmisbehaving.so");
    assert_eq!(row("wait_for_cancel")[2], "plugins/libmisbehaving.so");
}

mod in_process {
    use flowtoy::plugin_api::{
        CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
    };
    use flowtoy::registry::ProviderOrigin;
    use flowtoy::{LocalRunner, ProviderRegistry};
    use serde_json::{json, Value};
    use std::sync::Arc;

    /// Doubles a number.
    struct Doubler;

    impl ProviderType for Doubler {
        fn info(&self) -> ProviderInfo {
            ProviderInfo::new("double", "doubles a number", "1.2.3")
        }
        fn create(&self, _configuration: &Value) -> Result<Box<dyn Provider>, String> {
            Ok(Box::new(Doubler))
        }
    }

    impl Provider for Doubler {
        fn call(&self, payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
            let n = match payload {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            }
            .ok_or("double needs a number")?;
            Ok(ProviderResult::ok(json!(n * 2)))
        }
    }

    #[test]
    fn a_provider_registered_in_process_runs_without_a_library() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        std::fs::write(
            &path,
            r#"
flow:
  - name: a
    source: double
    input: 21
    output: [{name: n, type: json}]
  - name: b
    source: double
    input: "{{ flows.a.n }}"
    output: [{name: n, type: json}]
"#,
        )
        .unwrap();
        // Without the in-process type the flow is refused, naming it.
        let err = flowtoy::config::load_yaml_files(&[&path]).unwrap_err();
        assert!(err.to_string().contains("provider type 'double'"), "{err}");
        let mut registry = ProviderRegistry::with_builtins();
        registry.register(Arc::new(Doubler));
        assert_eq!(
            registry.get("double").unwrap().origin,
            ProviderOrigin::InProcess
        );
        let config = flowtoy::Loader::with_registry(registry)
            .load(&[&path])
            .unwrap();
        let runner = LocalRunner::new(config);
        runner.run().unwrap();
        let flows = serde_json::to_value(runner.flows()).unwrap();
        assert_eq!(flows["a"]["n"], json!(42));
        assert_eq!(flows["b"]["n"], json!(84));
    }
}

/// A library exported as plugins were before flowtoy added the output/log
/// hooks and executor types beside the root module (no such symbols at all)
/// loads, offers its provider type and no executor, and runs its step.
#[test]
fn a_plugin_without_the_newer_symbols_still_loads_and_runs() {
    let flow = "flow:\n  - name: old\n    source: {type: classic}\n    input: {x: 1}\n    output: [{name: all, type: json}]\n";
    let t = Test::new().file("flow.yaml", flow);
    install(&t, "plugins", &libraries().api_v1, "libclassic.so");
    let out = t
        .args(["run", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run();
    out.success();
    assert_eq!(
        out.stdout_json()["old"]["all"],
        json!({"classic": {"x": 1}})
    );
    let t = Test::new();
    install(&t, "plugins", &libraries().api_v1, "libclassic.so");
    let listed = t.args(["plugins", "--plugin-dir", "plugins"]).run();
    listed.success().stdout_has("classic");
}
