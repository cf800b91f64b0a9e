//! How flowtoy fits its ecosystem (issue 17): logging conventions
//! (`RUST_LOG`, colour), secrets read through the template `env` context
//! (SPEC R37), plugin directories other users can write to, the man page and
//! the JSON Schema of the flow format (SPEC R36).

mod common;

use common::Test;

/// A flow whose one step logs at info level (`step started`).
const ECHO_FLOW: &str = r#"
flow:
  - name: hello
    source: {type: process, configuration: {command: [echo]}}
    input: hi
    output: [{name: text}]
"#;

/// True when `text` holds an ANSI escape sequence (colour codes).
fn has_ansi(text: &str) -> bool {
    text.contains("\x1b[")
}

// ---- logging ----------------------------------------------------------------

#[test]
fn rust_log_sets_the_log_filter() {
    let flow = || {
        Test::new()
            .file("f.yaml", ECHO_FLOW)
            .file("plugins/notes.txt", "not a plugin")
            .args(["run", "f.yaml", "--plugin-dir", "plugins"])
    };
    let out = flow().env("RUST_LOG", "debug").run();
    out.success()
        .stderr_has("DEBUG")
        .stderr_has("ignoring plugins/notes.txt")
        .stderr_has("INFO");
    // A directive string: debug lines of one module, warnings of the rest.
    let out = flow().env("RUST_LOG", "warn,flowtoy::plugins=debug").run();
    out.success().stderr_has("ignoring plugins/notes.txt");
    assert!(!out.stderr().contains("INFO"), "{}", out.stderr());
}

#[test]
fn the_command_line_wins_over_rust_log() {
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "debug")
        .args(["run", "f.yaml", "--log-level", "warn"])
        .run();
    out.success();
    assert!(!out.stderr().contains("DEBUG"), "{}", out.stderr());
    assert!(!out.stderr().contains("INFO"), "{}", out.stderr());
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "error")
        .args(["run", "f.yaml", "-v"])
        .run();
    out.success().stderr_has("INFO");
}

#[test]
fn an_invalid_rust_log_is_a_warning() {
    Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "debug=[")
        .args(["run", "f.yaml"])
        .run()
        .success()
        .stderr_has("warning: RUST_LOG \"debug=[\" is not a log filter");
}

#[test]
fn log_lines_into_a_pipe_carry_no_colour() {
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .args(["run", "-vv", "f.yaml"])
        .run();
    out.success().stderr_has("INFO");
    assert!(!has_ansi(&out.stderr()), "{:?}", out.stderr());
}

#[test]
fn color_always_colours_and_no_color_wins_over_auto() {
    let t = Test::new().file("f.yaml", ECHO_FLOW);
    let out = t.run_with(["run", "-v", "--color", "always", "f.yaml"]);
    out.success();
    assert!(has_ansi(&out.stderr()), "{:?}", out.stderr());
    let t = Test::new().file("f.yaml", ECHO_FLOW).env("NO_COLOR", "1");
    for color in ["auto", "never"] {
        let out = t.run_with(["run", "-v", "--color", color, "f.yaml"]);
        out.success().stderr_has("INFO");
        assert!(!has_ansi(&out.stderr()), "{color}: {:?}", out.stderr());
    }
}
