//! Executors (SPEC R34): where a step runs is checked with the rest of the
//! configuration, and an executor type from a plugin library loaded from
//! disk runs steps. The `slurm` executor on a real cluster is in
//! `executor_slurm.rs`.

use crate::common;
use crate::plugins_support;

use common::Test;
use plugins_support::{install, libraries};
use serde_json::json;

#[test]
fn a_slurm_executor_on_a_step_that_is_not_a_process_is_a_configuration_error() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
runner:
  executor: {type: slurm, configuration: {work_dir: /tmp/nowhere}}
flow:
  - name: ok
    source: {type: process, configuration: {command: [echo]}}
  - name: home
    source: {type: env}
  - name: mistyped
    source: {type: process}
    executor: {type: slrum}
  - name: badly_configured
    source: {type: process}
    executor: {type: slurm, configuration: {cpus: 0}}
  - name: back_home
    source: {type: env}
    executor: {type: local}
"#,
        )
        .args(["validate", "f.yaml"])
        .run();
    out.code_is(2).no_panic();
    let err = out.stderr();
    assert!(
        err.contains("f.yaml:7") && err.contains("home")
            && err.contains("the 'slurm' executor (runner.executor) cannot run this step: it runs only `process` steps"),
        "{err}"
    );
    assert!(
        err.contains("f.yaml:9") && err.contains("executor type 'slrum' is not built in"),
        "{err}"
    );
    assert!(err.contains("known executors: local, slurm"), "{err}");
    assert!(
        err.contains("f.yaml:12")
            && err.contains("`cpus` must be an integer of 1 or more")
            && err.contains("`work_dir` is required"),
        "{err}"
    );
    assert!(
        !err.contains("back_home"),
        "a step may come back to local: {err}"
    );
}

#[test]
fn executor_mappings_are_checked_for_shape() {
    let out = Test::new()
        .file(
            "f.yaml",
            "runner:\n  executor: slurm\nflow:\n  - name: a\n    source: env\n    executor: {configuration: [], extra: 1}\n",
        )
        .args(["validate", "f.yaml"])
        .run();
    out.code_is(2).no_panic();
    let err = out.stderr();
    assert!(
        err.contains("`runner.executor` must be a mapping {type, configuration}"),
        "{err}"
    );
    assert!(err.contains("unknown key `extra` in `executor`"), "{err}");
    assert!(err.contains("`executor` needs a `type`"), "{err}");
    assert!(
        err.contains("`executor.configuration` must be a mapping"),
        "{err}"
    );
}

#[test]
fn an_executor_from_a_plugin_library_runs_steps() {
    let t = Test::new().file(
        "f.yaml",
        r#"
plugins:
  dirs: [plugins]
runner:
  executor: {type: numbered, configuration: {prefix: n, max_jobs: 2}}
flow:
  - name: a
    source: {type: process, configuration: {command: [echo, '{"x": 1}']}}
    output:
      - {name: x, type: jmespath, value: x}
      - {name: job, type: template, value: "{{ meta.job_id }}"}
  - name: b
    source: {type: process, configuration: {command: [cat], pass_to: stdin}}
    input: "{{ flows.a.x }}"
    output: [{name: job, type: template, value: "{{ meta.job_id }}/{{ result }}"}]
  - name: here
    source: {type: env}
    executor: {type: local}
"#,
    );
    install(&t, "plugins", &libraries().executor, "libnumbered.so");
    let out = t.run_with(["run", "-j", "f.yaml"]);
    out.success();
    let got = out.stdout_json();
    assert_eq!(got["a"], json!({"x": 1, "job": "n-1"}));
    assert_eq!(got["b"]["job"], json!("n-2/1"));
    let validated = t.run_with(["validate", "--json", "f.yaml"]);
    validated.success();
    let report = validated.stdout_json();
    let first = &report["waves"][0];
    assert_eq!(
        first[0]["executor"],
        json!({"type": "numbered", "configuration": {"prefix": "n", "max_jobs": 2}})
    );
    assert!(
        first
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "here" && s.get("executor").is_none()),
        "{report}"
    );
}
