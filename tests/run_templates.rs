//! Templates, inputs, outputs and dependencies (SPEC R7–R9, R12) through the
//! real binary.

use crate::common;
use common::Test;
use serde_json::json;

/// `cat` echoes its stdin, so a step's payload comes back as its data.
const ECHO_SOURCES: &str = r#"
sources:
  echo_stdin:
    type: process
    configuration: {command: [cat], pass_to: stdin}
  vars:
    type: env
    configuration: {vars: [FT_NAME]}
"#;

fn run_flow(flow: &str) -> serde_json::Value {
    let out = Test::new()
        .file("f.yaml", &format!("{ECHO_SOURCES}\nflow:\n{flow}"))
        .env("FT_NAME", "Ada")
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    out.stdout_json()
}

#[test]
fn every_input_form_reaches_the_provider() {
    let got = run_flow(
        r#"
  - name: base
    source: vars
    output: [{name: name, type: jmespath, value: FT_NAME}]
  - name: string
    source: echo_stdin
    input: "hi {{ flows.base.name }}"
    output: [{name: out}]
  - name: parameter
    source: echo_stdin
    input: {type: parameter, value: "{{ flows.base.name | lower }}"}
    output: [{name: out}]
  - name: value
    source: echo_stdin
    input: {type: value, value: "v={{ flows.base.name }}"}
    output: [{name: out}]
  - name: body
    source: echo_stdin
    input: {type: body, template: '{"who": {{ flows.base.name | tojson }}}'}
    output: [{name: out}]
  - name: filter
    source: echo_stdin
    input: {type: filter, template: "{{ flows.base.name | upper }}"}
    output: [{name: out}]
  - name: template
    source: echo_stdin
    input: {type: template, template: "{{ flows.base.name ~ '!' }}"}
    output: [{name: out}]
  - name: mapping
    source: echo_stdin
    input: {who: "{{ flows.base.name }}", n: 3, list: ["{{ flows.base.name | length }}", true]}
    output: [{name: out}]
  - name: number
    source: echo_stdin
    input: 42
    output: [{name: out}]
  - name: none
    source: {type: process, configuration: {command: [echo, no payload]}}
    output: [{name: out}]
"#,
    );
    assert_eq!(got["string"]["out"], json!("hi Ada"));
    assert_eq!(got["parameter"]["out"], json!("ada"));
    assert_eq!(got["value"]["out"], json!("v=Ada"));
    assert_eq!(got["body"]["out"], json!({"who": "Ada"}));
    assert_eq!(got["filter"]["out"], json!("ADA"));
    assert_eq!(got["template"]["out"], json!("Ada!"));
    assert_eq!(
        got["mapping"]["out"],
        json!({"who": "Ada", "n": 3, "list": ["3", true]})
    );
    assert_eq!(got["number"]["out"], json!(42));
    assert_eq!(got["none"]["out"], json!("no payload"));
}

#[test]
fn every_output_type() {
    let got = run_flow(
        r#"
  - name: s
    source: {type: process, configuration: {command: [echo, '{"users": [{"name": "ann", "age": 3}, {"name": "bo", "age": 5}]}']}}
    output:
      - {name: whole, type: json}
      - {name: untyped}
      - {name: names, type: jmespath, value: "users[].name"}
      - {name: nothing, type: jmespath, value: "missing.path"}
      - {name: tmpl, type: template, value: "{{ result.users | length }} users, rc={{ meta.returncode }}, ok={{ status.success }}"}
      - {name: implicit_tmpl, value: "first={{ result.users[0].name }}"}
"#,
    );
    let s = &got["s"];
    assert_eq!(s["whole"]["users"][1]["age"], json!(5));
    assert_eq!(s["untyped"], s["whole"]);
    assert_eq!(s["names"], json!(["ann", "bo"]));
    assert_eq!(s["nothing"], json!(null));
    assert_eq!(s["tmpl"], json!("2 users, rc=0, ok=True"));
    assert_eq!(s["implicit_tmpl"], json!("first=ann"));
}

#[test]
fn a_step_without_outputs_has_an_empty_mapping() {
    let got = run_flow("  - {name: quiet, source: vars}\n");
    assert_eq!(got, json!({"quiet": {}}));
}

#[test]
fn context_has_sources_env_and_filters() {
    let got = run_flow(
        r#"
  - name: t
    source: echo_stdin
    input: >-
      {{ sources.vars.FT_NAME }}|{{ sources.echo_stdin.type }}|{{ env.FT_NAME }}|{{ ('{"a": [1,2]}' | fromjson).a | join('+') }}|{{ ' pad ' | trim | replace('pad', 'P') }}|{{ nope | default('dflt') }}|{{ 'yes' if env.FT_NAME == 'Ada' else 'no' }}|{{ 'a' + 'b' }}
    output: [{name: out}]
"#,
    );
    assert_eq!(got["t"]["out"], json!("Ada|process|Ada|1+2|P|dflt|yes|ab"));
}

#[test]
fn configuration_templates_see_the_payload() {
    let got = run_flow(
        r#"
  - name: raw
    source: {type: process, configuration: {command: ["echo", "{{ raw }}-{{ input }}"], pass_to: template}}
    input: "x"
    output: [{name: out}]
  - name: json
    source: {type: process, configuration: {command: ["echo", "{{ json.user.id }}", "{{ jmespath('user.tags[1]') }}"], pass_to: template}}
    input: {user: {id: 7, tags: [a, b]}}
    output: [{name: out}]
"#,
    );
    assert_eq!(got["raw"]["out"], json!("x-x"));
    assert_eq!(got["json"]["out"], json!("7 b"));
}

#[test]
fn implicit_dependencies_in_both_syntaxes_and_explicit_ones_order_steps() {
    // Each step appends to a log file; dependencies force the order even
    // though later steps come first in the file.
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
sources:
  log:
    type: process
    configuration: {command: "echo $0 >> order.log; echo $0", shell: true}
flow:
  - name: third
    source: {base: log, override: {configuration: {command: "echo third-{{ flows['second'].v }} >> order.log", shell: true}}}
  - name: second
    source: log
    input: "{{ flows.first.v }}"
    output: [{name: v, value: "{{ result }}"}]
  - name: fourth
    source: {type: process, configuration: {command: "echo fourth >> order.log", shell: true}}
    depends_on: [third]
  - name: first
    source: {type: process, configuration: {command: "echo first >> order.log; echo one", shell: true}}
    output: [{name: v}]
"#,
        )
        .args(["run", "-q", "--max-workers", "4", "f.yaml"])
        .run();
    out.success();
    let log = out.read("order.log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines, ["first", "one", "third-one", "fourth"], "{log}");
}

#[test]
fn strict_undefined_fails_the_step_naming_the_missing_name() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
flow:
  - name: a
    source: env
  - name: b
    source: {type: process, configuration: {command: [echo]}}
    input: "{{ flows.a.no_such_output }}"
"#,
        )
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("undefined variable 'flows.a.no_such_output'");
}
