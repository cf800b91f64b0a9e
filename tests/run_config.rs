//! `flowtoy run`: configuration loading, merging, source forms and
//! validation errors (SPEC R1–R6), through the real binary.

use crate::common;
use common::Test;
use serde_json::json;

#[test]
fn files_merge_mappings_recursively_lists_replace_later_wins() {
    let out = Test::new()
        .file(
            "base.yaml",
            r#"
sources:
  cmd:
    type: process
    configuration: {command: [echo, base], timeout: 5}
flow:
  - name: a
    source: cmd
    output: [{name: v, type: json}]
runner: {max_workers: 2}
"#,
        )
        .file(
            "over.yaml",
            r#"
sources:
  cmd:
    configuration: {command: [echo, over]}
"#,
        )
        .args(["run", "-j", "base.yaml", "over.yaml"])
        .run();
    out.success();
    // `command` (a list) was replaced; `timeout` survived the mapping merge.
    assert_eq!(out.stdout_json(), json!({"a": {"v": "over"}}));
}

#[test]
fn later_flow_list_replaces_earlier_one() {
    let out = Test::new()
        .file("a.yaml", "flow:\n  - {name: first, source: env}\n")
        .file("b.yaml", "flow:\n  - {name: second, source: env}\n")
        .args(["run", "-j", "a.yaml", "b.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json(), json!({"second": {}}));
}

#[test]
fn every_source_form() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
sources:
  vars:
    type: env
    configuration: {vars: [FT_A, FT_B]}
  echo:
    type: process
    configuration: {command: [echo, base], shell: false}
flow:
  - name: named
    source: vars
    output: [{name: a, type: jmespath, value: FT_A}]
  - name: type_only
    source: env
  - name: inline
    source: {type: env, configuration: {vars: [FT_B]}}
    output: [{name: all, type: json}]
  - name: overridden
    source: {base: echo, override: {configuration: {command: [echo, changed]}}}
    output: [{name: out}]
"#,
        )
        .env("FT_A", "alpha")
        .env("FT_B", "beta")
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(
        out.stdout_json(),
        json!({
            "named": {"a": "alpha"},
            "type_only": {},
            "inline": {"all": {"FT_B": "beta"}},
            "overridden": {"out": "changed"}
        })
    );
}

#[test]
fn override_keeps_the_base_keys_it_does_not_name() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
sources:
  sh:
    type: process
    configuration: {command: "echo $GREETING", shell: true, env: {GREETING: hi}}
flow:
  - name: s
    source: {base: sh, override: {configuration: {env: {GREETING: hello}}}}
    output: [{name: out}]
"#,
        )
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json(), json!({"s": {"out": "hello"}}));
}

#[test]
fn all_configuration_errors_are_reported_together_and_nothing_runs() {
    let out = Test::new()
        .file(
            "bad.yaml",
            r#"
sources:
  ok: {type: env}
flow:
  - name: a
    source: nosuchtype
    on_error: explode
    input: "{{ broken "
    output:
      - {name: x, type: jmespath, value: "a[["}
      - {type: json}
  - name: a
    source: {base: missing_base}
  - name: writes
    source: {type: process, configuration: {command: [touch, ran.txt]}}
  - name: step2
    source: ok
    depends_on: [missing1, missing2]
runner: {max_workers: 0}
"#,
        )
        .args(["run", "bad.yaml"])
        .run();
    out.code_is(2).no_panic();
    let err = out.stderr();
    for needle in [
        "bad.yaml:5: step 'a': provider type 'nosuchtype'",
        "unknown on_error \"explode\"",
        "does not parse",
        "JMESPath expression `a[[`",
        "output #2: has no `name`",
        "bad.yaml:12: step 'a': duplicate step name 'a' (first defined at line 5)",
        "`source.base` 'missing_base' names no source",
        "runner.max_workers must be an integer of 1 or more",
        "Flow configuration has invalid dependencies:\n  - Step 'step2' depends on missing step(s): 'missing1', 'missing2'",
    ] {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
    assert!(
        !out.dir.join("ran.txt").exists(),
        "a step ran despite configuration errors"
    );
}

#[test]
fn a_cycle_is_shown() {
    let out = Test::new()
        .file(
            "c.yaml",
            r#"
flow:
  - {name: a, source: env, depends_on: [c]}
  - {name: b, source: env, input: "{{ flows.a }}"}
  - {name: c, source: env, input: "{{ flows['b'] }}"}
"#,
        )
        .args(["run", "c.yaml"])
        .run();
    out.code_is(2)
        .stderr_has("dependency cycle: a -> c -> b -> a");
}

#[test]
fn yaml_syntax_errors_name_file_and_line() {
    let out = Test::new()
        .file("y.yaml", "flow:\n  - name: a\n    source: [env\n")
        .args(["run", "y.yaml"])
        .run();
    out.code_is(2).no_panic().stderr_has("y.yaml:");
    assert!(out.stderr().contains("invalid YAML"), "{}", out.stderr());
}

#[test]
fn missing_file_and_non_mapping_top_level() {
    let out = Test::new().args(["run", "nope.yaml"]).run();
    out.code_is(2).stderr_has("nope.yaml: cannot read the file");
    let out = Test::new()
        .file("l.yaml", "- a\n- b\n")
        .args(["run", "l.yaml"])
        .run();
    out.code_is(2)
        .stderr_has("l.yaml: the top level must be a mapping");
}

#[test]
fn unknown_top_level_key_is_a_warning() {
    let out = Test::new()
        .file("w.yaml", "flows: []\nflow:\n  - {name: a, source: env}\n")
        .args(["run", "-q", "w.yaml"])
        .run();
    out.success()
        .stderr_has("warning: w.yaml:1: unknown top-level key `flows`");
}

#[test]
fn empty_file_is_an_empty_mapping() {
    let out = Test::new()
        .file("empty.yaml", "")
        .file("f.yaml", "flow:\n  - {name: a, source: env}\n")
        .args(["run", "-j", "empty.yaml", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json(), json!({"a": {}}));
}
