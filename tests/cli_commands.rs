//! End-to-end tests of `validate`, `graph`, `completions`, help and usage
//! errors (SPEC R17, R18), on the example flows.

use crate::common;

use common::Test;
use serde_json::json;

const DIAMOND: &str = include_str!("../examples/diamond.yaml");

/// A test dir holding examples/diamond.yaml as `diamond.yaml`.
fn diamond() -> Test {
    Test::new().file("diamond.yaml", DIAMOND)
}

#[test]
fn validate_prints_the_diamond_in_waves() {
    let out = diamond().args(["validate", "diamond.yaml"]).run();
    out.success().no_panic();
    assert_eq!(
        out.stdout(),
        "diamond.yaml: valid, 4 steps in 3 waves\n\
         \n\
         wave 1:\n  \
           a  env\n\
         \n\
         wave 2:\n  \
           b  process  after a\n  \
           c  process  after a (template)\n\
         \n\
         wave 3:\n  \
           d  process  after b, c (template)\n"
    );
}

#[test]
fn validate_json_has_waves_types_and_dependency_kinds() {
    let out = diamond().args(["validate", "--json", "diamond.yaml"]).run();
    let report = out.success().stdout_json();
    assert_eq!(report["valid"], true);
    assert_eq!(report["files"], json!(["diamond.yaml"]));
    assert_eq!(report["steps"], 4);
    assert_eq!(report["warnings"], json!([]));
    let names: Vec<Vec<&str>> = report["waves"]
        .as_array()
        .expect("waves is a list")
        .iter()
        .map(|wave| {
            wave.as_array()
                .expect("a wave is a list")
                .iter()
                .map(|s| s["name"].as_str().expect("name"))
                .collect()
        })
        .collect();
    assert_eq!(names, vec![vec!["a"], vec!["b", "c"], vec!["d"]]);
    assert_eq!(
        report["waves"][2][0],
        json!({
            "name": "d",
            "type": "process",
            "on_error": "fail",
            "depends_on": [
                {"step": "b", "explicit": true, "implicit": true},
                {"step": "c", "explicit": false, "implicit": true},
            ],
        })
    );
    assert_eq!(report["waves"][0][0]["type"], "env");
    assert_eq!(report["waves"][0][0]["depends_on"], json!([]));
}

#[test]
fn validate_merges_files_and_shows_policies_and_warnings() {
    let out = diamond()
        .file("strict.yaml", "runner: {on_error: skip}\nflow_typo: true\n")
        .args(["validate", "diamond.yaml", "strict.yaml", "--json"])
        .run();
    let report = out.success().stdout_json();
    assert_eq!(report["files"], json!(["diamond.yaml", "strict.yaml"]));
    assert_eq!(report["waves"][1][1]["on_error"], "skip");
    let warnings = report["warnings"].as_array().expect("warnings is a list");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap_or_default().contains("flow_typo")),
        "{warnings:?}"
    );
    out.stderr_has("flow_typo");
}

#[test]
fn validate_reports_every_problem_and_exits_2() {
    let flow = "flow:\n  - {name: a, source: env, depends_on: [ghost]}\n  - {name: b, source: no_such_type}\n";
    let out = Test::new()
        .file("bad.yaml", flow)
        .args(["validate", "bad.yaml"])
        .run();
    out.code_is(2)
        .no_panic()
        .stderr_has("ghost")
        .stderr_has("no_such_type");
    assert_eq!(out.stdout(), "", "nothing on stdout for an invalid flow");

    let out = Test::new()
        .file("bad.yaml", flow)
        .args(["validate", "--json", "bad.yaml"])
        .run();
    let report = out.code_is(2).stdout_json();
    assert_eq!(report["valid"], false);
    let errors = report["errors"].as_array().expect("errors is a list");
    assert!(errors.len() >= 2, "{errors:?}");
    let all = errors
        .iter()
        .map(|e| e.as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("ghost") && all.contains("no_such_type"),
        "{all}"
    );
}

#[test]
fn validate_runs_nothing() {
    let flow = "flow:\n  - name: touch\n    source: {type: process, configuration: {command: [touch, ran.txt]}}\n";
    let out = Test::new()
        .file("f.yaml", flow)
        .args(["validate", "f.yaml"])
        .run();
    out.success();
    assert!(!out.dir.join("ran.txt").exists(), "validate ran a step");
}

#[test]
fn graph_dot_of_the_diamond() {
    let out = diamond().args(["graph", "diamond.yaml"]).run();
    out.success().no_panic();
    assert_eq!(
        out.stdout(),
        r#"// dashed: a dependency that comes only from a template reference (flows.NAME)
digraph flow {
  rankdir=LR;
  node [shape=box];
  "a" [label="a\n(env)"];
  "b" [label="b\n(process)"];
  "c" [label="c\n(process)"];
  "d" [label="d\n(process)"];
  "a" -> "b";
  "a" -> "c" [style=dashed];
  "b" -> "d";
  "c" -> "d" [style=dashed];
}
"#
    );
}

#[test]
fn graph_mermaid_of_the_diamond() {
    let out = diamond()
        .args(["graph", "diamond.yaml", "--format", "mermaid"])
        .run();
    out.success().no_panic();
    assert_eq!(
        out.stdout(),
        r#"flowchart LR
  %% dashed: a dependency that comes only from a template reference (flows.NAME)
  s1["a<br/>(env)"]
  s2["b<br/>(process)"]
  s3["c<br/>(process)"]
  s4["d<br/>(process)"]
  s1 --> s2
  s1 -.-> s3
  s2 --> s4
  s3 -.-> s4
"#
    );
}

/// Step names with quotes, backslashes, spaces, HTML and Mermaid keywords.
const ODD_NAMES: &str = r#"
flow:
  - name: 'say "hi"'
    source: env
  - name: 'back\slash\'
    source: env
    depends_on: ['say "hi"']
  - name: end
    source: env
    input: "{{ flows['say \"hi\"'] }}"
  - name: 'a <b> & #1'
    source: env
    depends_on: [end, 'back\slash\']
"#;

#[test]
fn graph_dot_escapes_odd_names() {
    let out = Test::new()
        .file("odd.yaml", ODD_NAMES)
        .args(["graph", "odd.yaml"])
        .run();
    out.success();
    let text = out.stdout();
    for line in [
        r#"  "say \"hi\"" [label="say \"hi\"\n(env)"];"#,
        r#"  "back\\slash\\" [label="back\\slash\\\n(env)"];"#,
        r#"  "a <b> & #1" [label="a <b> & #1\n(env)"];"#,
        r#"  "say \"hi\"" -> "back\\slash\\";"#,
        r#"  "say \"hi\"" -> "end" [style=dashed];"#,
        r#"  "end" -> "a <b> & #1";"#,
        r#"  "back\\slash\\" -> "a <b> & #1";"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line}\nin:\n{text}"
        );
    }
}

#[test]
fn graph_mermaid_escapes_odd_names() {
    let out = Test::new()
        .file("odd.yaml", ODD_NAMES)
        .args(["graph", "--format", "mermaid", "odd.yaml"])
        .run();
    out.success();
    let text = out.stdout();
    for line in [
        r#"  s1["say #quot;hi#quot;<br/>(env)"]"#,
        r#"  s2["back\slash\<br/>(env)"]"#,
        r#"  s3["end<br/>(env)"]"#,
        r#"  s4["a #lt;b#gt; #amp; #35;1<br/>(env)"]"#,
        "  s1 --> s2",
        "  s1 -.-> s3",
        "  s3 --> s4",
        "  s2 --> s4",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line}\nin:\n{text}"
        );
    }
}

#[test]
fn graph_of_an_invalid_flow_exits_2() {
    let flow = "flow:\n  - {name: a, source: env, depends_on: [b]}\n  - {name: b, source: env, depends_on: [a]}\n";
    let out = Test::new()
        .file("cycle.yaml", flow)
        .args(["graph", "cycle.yaml"])
        .run();
    out.code_is(2).stderr_has("cycle");
    assert_eq!(out.stdout(), "");
}

#[test]
fn completions_bash_is_a_valid_script() {
    let out = Test::new().args(["completions", "bash"]).run();
    out.success();
    let script = out.stdout();
    for word in [
        "validate",
        "graph",
        "completions",
        "--max-workers",
        "--format",
    ] {
        assert!(script.contains(word), "the script does not complete {word}");
    }
    let t = Test::new().file("flowtoy.bash", &script);
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(t.path("flowtoy.bash"))
        .output()
        .expect("run bash -n");
    assert!(
        check.status.success(),
        "bash -n rejects the script: {}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Sourcing the bash script and asking it to complete `flowtoy val` and
/// `flowtoy graph --f` gives the command and the flag.
#[test]
fn completions_bash_completes_commands_and_flags() {
    let script = Test::new().args(["completions", "bash"]).run().stdout();
    let t = Test::new().file("flowtoy.bash", &script);
    let probe = r#"source flowtoy.bash
complete -p flowtoy
COMP_WORDS=(flowtoy val); COMP_CWORD=1; COMP_LINE="flowtoy val"; COMP_POINT=11
_flowtoy flowtoy val flowtoy; echo "commands: ${COMPREPLY[*]}"
COMP_WORDS=(flowtoy graph --f); COMP_CWORD=2; COMP_LINE="flowtoy graph --f"; COMP_POINT=17
_flowtoy flowtoy --f graph; echo "flags: ${COMPREPLY[*]}"
"#;
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", probe])
        .current_dir(t.path(""))
        .output()
        .expect("run bash");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("-F _flowtoy flowtoy"), "{text}");
    assert!(text.lines().any(|l| l == "commands: validate"), "{text}");
    assert!(text.lines().any(|l| l == "flags: --format"), "{text}");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = Test::new().args(["completions", shell]).run();
        out.success();
        assert!(
            out.stdout().contains("validate"),
            "{shell}: {}",
            out.stdout()
        );
    }
    Test::new()
        .args(["completions", "tcsh"])
        .run()
        .code_is(2)
        .stderr_has("possible values");
}

#[test]
fn every_command_has_help_with_examples() {
    for command in [
        "run",
        "serve",
        "webui",
        "tui",
        "validate",
        "graph",
        "plugins",
        "completions",
    ] {
        let out = Test::new().args([command, "--help"]).run();
        out.success()
            .stdout_has("Usage: flowtoy")
            .stdout_has("Example");
        let by_help = Test::new().args(["help", command]).run();
        by_help.success();
        assert_eq!(by_help.stdout(), out.stdout(), "help {command}");
        let by_h = Test::new().args(["h", command]).run();
        by_h.success();
        assert_eq!(by_h.stdout(), out.stdout(), "h {command}");
    }
    Test::new()
        .args(["--help"])
        .run()
        .success()
        .stdout_has("validate")
        .stdout_has("Examples:");
}

/// The example lines in the help refer to files that exist.
#[test]
fn help_examples_name_real_example_files() {
    let root = env!("CARGO_MANIFEST_DIR");
    for command in [
        "run",
        "serve",
        "webui",
        "tui",
        "validate",
        "graph",
        "plugins",
        "completions",
        "",
    ] {
        let args: Vec<&str> = [command, "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let out = Test::new().args(args).run();
        let text = out.stdout();
        let named: Vec<&str> = text
            .split_whitespace()
            .filter(|w| w.starts_with("examples/"))
            .collect();
        for path in named {
            assert!(
                std::path::Path::new(root).join(path).exists(),
                "{command} --help names {path}, which does not exist"
            );
        }
    }
}

#[test]
fn help_examples_for_validate_and_graph_work() {
    let root = env!("CARGO_MANIFEST_DIR");
    let example = format!("{root}/examples/diamond.yaml");
    Test::new().args(["validate", &example]).run().success();
    Test::new()
        .args(["graph", &example, "--format", "mermaid"])
        .run()
        .success()
        .stdout_has("flowchart LR");
}

#[test]
fn unknown_flag_suggests_the_closest_one() {
    let out = diamond().args(["validate", "diamond.yaml", "--jsno"]).run();
    out.code_is(2)
        .stderr_has("unexpected argument '--jsno'")
        .stderr_has("--json");
    let out = diamond()
        .args(["run", "diamond.yaml", "--max-worker", "2"])
        .run();
    out.code_is(2).stderr_has("--max-workers");
}

#[test]
fn unknown_command_and_bad_values_are_usage_errors() {
    Test::new()
        .args(["validat", "x.yaml"])
        .run()
        .code_is(2)
        .stderr_has("validate");
    diamond()
        .args(["graph", "diamond.yaml", "--format", "png"])
        .run()
        .code_is(2)
        .stderr_has("dot")
        .stderr_has("mermaid");
    Test::new()
        .args(["validate"])
        .run()
        .code_is(2)
        .stderr_has("<CONFIG>");
}

#[test]
fn a_missing_config_file_says_which_and_why() {
    for command in ["validate", "graph", "run"] {
        let out = diamond().args([command, "diamond.yaml", "nope.yaml"]).run();
        out.code_is(2)
            .no_panic()
            .stderr_has("nope.yaml")
            .stderr_has("not found");
        assert!(
            !out.stderr().contains("diamond.yaml"),
            "only the missing file is blamed: {}",
            out.stderr()
        );
    }
}

/// With stdout and stderr closed by their reader (`flowtoy run f.yaml
/// 2>&1 | head -1`), a run still ends, with its own exit code: progress,
/// log lines, outputs and the summary that cannot be written are dropped
/// (before, the first log line that failed made a worker panic and the
/// process wait for ever).
#[test]
fn a_run_whose_output_is_closed_ends_with_its_own_code() {
    let mut flow = String::from("flow:\n");
    for i in 0..20 {
        flow.push_str(&format!(
            "  - {{name: s{i}, source: {{type: process, configuration: {{command: [echo, '{{\"i\": {i}}}']}}}}, output: [{{name: i, type: jmespath, value: i}}]}}\n"
        ));
    }
    flow.push_str("  - {name: last, source: {type: process, configuration: {command: [sh, -c, 'exit 3']}}, depends_on: [s19]}\n");
    let t = Test::new().file("f.yaml", &flow);
    for args in [&["run", "f.yaml"][..], &["run", "-v", "f.yaml"][..]] {
        let mut cmd = t.command();
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("start flowtoy");
        // The reader goes away at once.
        drop(child.stdout.take());
        drop(child.stderr.take());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for flowtoy") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("flowtoy {args:?} did not end with its output closed");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        // `last` failed (exit 3): the run's code for a failed step, not a
        // panic's 101.
        assert_eq!(status.code(), Some(1), "{args:?}: {status:?}");
    }
}
