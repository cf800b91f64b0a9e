//! The bad-configuration corpus (SPEC R1, R2–R6, R12, R17): every broken
//! configuration is refused before any step runs, with exit code 2 and a
//! message that names the file (and the line or step where known), never a
//! panic or a backtrace. The messages are kept as insta snapshots.
//!
//! Fixtures live in `tests/fixtures/err_*.yaml`; the cases a file cannot hold
//! (non-UTF-8 bytes, a directory, an unreadable file, huge or deeply nested
//! documents) are generated here.

use crate::common;
use common::{Outcome, Test};
use std::path::PathBuf;
use std::time::Instant;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The names of the fixtures starting with `prefix`, sorted.
fn fixtures(prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

/// Stderr with the temp dir's path replaced, so snapshots do not change.
fn message(out: &Outcome) -> String {
    let dir = out.dir.to_string_lossy().into_owned();
    let real = std::fs::canonicalize(&out.dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| dir.clone());
    out.stderr().replace(&real, "[TMP]").replace(&dir, "[TMP]")
}

/// Runs `flowtoy <command> FILE` where FILE is already in the test's dir and
/// checks what every configuration error must look like.
fn refused(test: &Test, command: &str, file: &str) -> Outcome {
    let out = test.run_with([command, file]);
    out.code_is(2).no_panic();
    let err = out.stderr();
    assert!(
        err.contains(file),
        "the message does not name {file}:\n{err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        out.stdout().is_empty(),
        "a refused configuration printed outputs"
    );
    out
}

#[test]
fn every_err_fixture_is_refused_with_a_message_naming_the_file() {
    let names = fixtures("err_");
    assert!(names.len() >= 30, "the corpus went missing: {names:?}");
    for name in names {
        let text = std::fs::read_to_string(fixtures_dir().join(&name)).expect("read fixture");
        let test = Test::new().file(&name, &text);
        let out = refused(&test, "run", &name);
        insta::assert_snapshot!(name.trim_end_matches(".yaml").to_string(), message(&out));
        // `validate` refuses it the same way.
        let again = refused(&test, "validate", &name);
        assert_eq!(
            message(&again),
            message(&out),
            "validate and run disagree on {name}"
        );
    }
}

#[test]
fn step_problems_carry_the_line_of_the_step() {
    let text = std::fs::read_to_string(fixtures_dir().join("err_on_error_wrong_values.yaml"))
        .expect("read fixture");
    let out = Test::new()
        .file("f.yaml", &text)
        .args(["validate", "f.yaml"])
        .run();
    out.code_is(2)
        .stderr_has("f.yaml:2: step 'unknown_word': unknown on_error \"explode\"")
        .stderr_has("f.yaml:11: step 'list': unknown on_error [\"skip\"]");
}

#[test]
fn unknown_keys_are_warnings_and_the_flow_runs() {
    let text =
        std::fs::read_to_string(fixtures_dir().join("warn_unknown_keys.yaml")).expect("read");
    let out = Test::new()
        .file("w.yaml", &text)
        .args(["run", "-j", "w.yaml"])
        .run();
    out.success().no_panic();
    assert_eq!(out.stdout_json(), serde_json::json!({"a": {}}));
    let warnings: String = out
        .stderr()
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("warn_unknown_keys", warnings);
}

#[test]
fn warnings_are_shown_even_when_the_configuration_is_refused() {
    // The typo `flows:` is the reason `flow` is missing: say both.
    let out = Test::new()
        .file("t.yaml", "flows:\n  - {name: a, source: env}\n")
        .args(["run", "t.yaml"])
        .run();
    out.code_is(2)
        .stderr_has(
            "warning: t.yaml:1: unknown top-level key `flows` is ignored (did you mean `flow`?)",
        )
        .stderr_has("t.yaml: there is no `flow`");
}

#[test]
fn a_file_that_is_not_utf8_names_the_line() {
    let test = Test::new();
    std::fs::write(
        test.path("latin1.yaml"),
        b"flow:\n  - name: caf\xe9\n    source: env\n",
    )
    .expect("write");
    let out = refused(&test, "run", "latin1.yaml");
    insta::assert_snapshot!("non_utf8", message(&out));
}

#[test]
fn a_directory_a_missing_file_and_an_unreadable_file() {
    let test = Test::new();
    std::fs::create_dir(test.path("dir.yaml")).expect("mkdir");
    let out = refused(&test, "run", "dir.yaml");
    insta::assert_snapshot!("directory", message(&out));
    let out = refused(&test, "run", "missing.yaml");
    insta::assert_snapshot!("missing", message(&out));

    let path = test.path("locked.yaml");
    std::fs::write(&path, "flow:\n  - {name: a, source: env}\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&path).is_ok() {
        // Root (and CAP_DAC_OVERRIDE) reads files whatever their mode.
        eprintln!("skipped the unreadable-file case: this user can read a file with mode 000");
        return;
    }
    let out = refused(&test, "run", "locked.yaml");
    insta::assert_snapshot!("unreadable", message(&out));
}

#[test]
fn several_broken_files_are_all_reported() {
    let test = Test::new()
        .file("a.yaml", "flow: [\n")
        .file("b.yaml", "- not a mapping\n");
    let out = test.run_with(["run", "a.yaml", "b.yaml", "c.yaml"]);
    out.code_is(2).no_panic();
    insta::assert_snapshot!("several_files", message(&out));
}

#[test]
fn deeply_nested_yaml_is_a_clear_error_not_a_stack_overflow() {
    const LEVELS: usize = 100_000;
    let cases = [
        (
            "nested_flow_lists",
            format!("flow: {}{}\n", "[".repeat(LEVELS), "]".repeat(LEVELS)),
        ),
        (
            "nested_flow_mappings",
            format!("flow: {}1{}\n", "{a: ".repeat(LEVELS), "}".repeat(LEVELS)),
        ),
        ("nested_unclosed", format!("flow: {}\n", "[".repeat(LEVELS))),
        (
            "nested_block_lists",
            format!("flow:\n{}x\n", "- ".repeat(LEVELS)),
        ),
    ];
    for (name, text) in cases {
        let file = format!("{name}.yaml");
        let test = Test::new().file(&file, &text);
        let out = refused(&test, "validate", &file);
        insta::assert_snapshot!(name, message(&out));
    }
}

#[test]
fn an_alias_bomb_is_bounded_and_clear() {
    // "Billion laughs": nine levels of nine aliases each, 9^9 strings if expanded.
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut previous = 'a';
    for name in 'b'..='i' {
        let refs = vec![format!("*{previous}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{refs}]\n"));
        previous = name;
    }
    text.push_str("flow:\n  - {name: x, source: env, input: *i}\n");
    let test = Test::new().file("bomb.yaml", &text);
    let out = refused(&test, "run", "bomb.yaml");
    insta::assert_snapshot!("alias_bomb", message(&out));
}

#[test]
fn a_few_aliases_are_fine() {
    let out = Test::new()
        .file(
            "a.yaml",
            "common: &vars {vars: [HOME]}\nflow:\n  - {name: a, source: {type: env, configuration: *vars}}\n",
        )
        .args(["run", "-q", "a.yaml"])
        .run();
    out.success().stderr_has("unknown top-level key `common`");
}

/// A 10 MB configuration with 50,000 steps that reference each other.
/// The configuration `flowtoy-bench` times as its `validate` workload.
fn huge_config(steps: usize) -> String {
    flowtoy_bench::Workload::Validate.yaml(steps)
}

#[test]
fn a_10_mb_configuration_with_50000_steps_validates() {
    let text = huge_config(50_000);
    assert!(text.len() > 10_000_000, "only {} bytes", text.len());
    let test = Test::new().file("huge.yaml", &text);
    let started = Instant::now();
    let out = test.run_with(["validate", "huge.yaml"]);
    // Measured, not asserted: a debug build is far slower than a release one.
    eprintln!(
        "validating {} bytes / 50,000 steps took {:.2?} (this build)",
        text.len(),
        started.elapsed()
    );
    out.success().no_panic();
    assert!(
        out.stdout().contains("s49999"),
        "the last step is not listed"
    );
    // With a cycle at the start of the chain, every step sits behind it.
    let cyclic = text.replacen("'start'", "flows.s49999.v", 1);
    let test = Test::new().file("cyclic.yaml", &cyclic);
    let started = Instant::now();
    let out = refused(&test, "validate", "cyclic.yaml");
    eprintln!(
        "refusing the cyclic 50,000-step configuration took {:.2?}",
        started.elapsed()
    );
    // The cycle runs through 25,001 steps: its ends are shown, not all of it.
    out.stderr_has("dependency cycle: s0 -> s49999 -> s49997 -> s49995 -> ")
        .stderr_has(" -> ... 24992 more ... -> s1 -> s0");
    assert!(out.stderr().len() < 2_000, "{}", out.stderr());
}

#[test]
fn the_cli_run_flow_and_the_runner_report_the_same_problems() {
    // A shape error, a type no plugin provides and a cycle, all at once.
    let flow = "\
flow:
  - {name: a, source: env, on_error: sometimes}
  - {name: b, source: no_such_type}
  - {name: c, source: env, depends_on: [d]}
  - {name: d, source: env, depends_on: [c]}
";
    let test = Test::new().file("three.yaml", flow);
    let path = test.path("three.yaml");
    let out = test.args(["validate", "--json", "three.yaml"]).run();
    let report = out.code_is(2).stdout_json();
    let from_cli: Vec<String> = report["errors"]
        .as_array()
        .expect("errors is a list")
        .iter()
        .map(|e| e.as_str().unwrap_or_default().to_string())
        .collect();
    // The engine names the file as it was given; the CLI was given a
    // relative name in the test's directory.
    let relative = |problems: &[flowtoy::Problem]| -> Vec<String> {
        problems
            .iter()
            .filter(|p| !p.is_warning())
            .map(|p| {
                p.to_string()
                    .replace(&format!("{}", path.display()), "three.yaml")
            })
            .collect()
    };
    let from_run_flow = match flowtoy::run_flow(&[&path]) {
        Err(e) => relative(e.problems()),
        Ok(_) => panic!("run_flow ran an invalid flow"),
    };
    // `LocalRunner::new` takes only a validated configuration: what stops
    // an invalid one is the loading it needs.
    let from_runner =
        match flowtoy::config::load_yaml_files(&[&path]).map(flowtoy::LocalRunner::new) {
            Err(e) => relative(e.problems()),
            Ok(_) => panic!("a runner was made for an invalid flow"),
        };
    assert_eq!(from_cli.len(), 3, "{from_cli:#?}");
    assert!(
        from_cli.iter().any(|p| p.contains("sometimes")),
        "{from_cli:#?}"
    );
    assert!(
        from_cli.iter().any(|p| p.contains("no_such_type")),
        "{from_cli:#?}"
    );
    assert!(
        from_cli.iter().any(|p| p.contains("dependency cycle")),
        "{from_cli:#?}"
    );
    assert_eq!(from_cli, from_run_flow);
    assert_eq!(from_cli, from_runner);
}
