//! Logs from plugins: a provider in a plugin library writes log lines
//! through its `CallContext`; the host shows them in its log with the
//! step's name, in `/logs`, and masks secret values (SPEC R24). The plugin
//! is `plugins/testing/logging`, built as a shared library and loaded from
//! disk.

use crate::common::{self, Test};
use crate::plugins_support::{install, libraries};
use crate::status_api_support::{wait_for, write, Serving};

const SECRET: &str = "sess-8841-plugin-logs";

/// `session` yields a secret output; `talk` logs it (and a plain line)
/// through the plugin's context.
fn flow() -> String {
    format!(
        r#"
flow:
  - name: session
    source: {{type: process, configuration: {{command: [echo, {SECRET}]}}}}
    output: [{{name: id, secret: true}}]
  - name: talk
    source: {{type: chatty, configuration: {{}}}}
    input:
      lines:
        - {{level: warn, message: "the token is {{{{ flows.session.id }}}}"}}
        - {{level: info, message: "plain words from the plugin"}}
        - {{level: debug, message: "a debug line"}}
    output: [{{name: logged, type: jmespath, value: logged}}]
"#
    )
}

fn assert_masked(text: &str) {
    assert!(!text.contains(SECRET), "the secret leaked:\n{text}");
}

#[test]
fn plugin_log_lines_reach_stderr_with_the_step_name_masked() {
    let t = Test::new().file("flow.yaml", &flow());
    install(&t, "plugins", &libraries().logging, "liblogging.so");
    let out: common::Outcome = t
        .args(["run", "-v", "-j", "flow.yaml", "--plugin-dir", "plugins"])
        .run();
    out.success();
    let stderr = out.stderr();
    assert_masked(&stderr);
    assert_masked(&out.stdout());
    let line = |needle: &str| {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no log line with {needle:?}:\n{stderr}"))
            .to_string()
    };
    let warn = line("the token is");
    assert!(warn.contains("WARN"), "{warn}");
    assert!(warn.contains("the token is ***REDACTED***"), "{warn}");
    assert!(warn.contains("step=talk provider=chatty"), "{warn}");
    let info = line("plain words from the plugin");
    assert!(info.contains("INFO") && info.contains("talk"), "{info}");
    assert!(
        !stderr.contains("a debug line"),
        "-v shows info, not debug:\n{stderr}"
    );
    assert_eq!(out.stdout_json()["talk"]["logged"], 3);
}

#[test]
fn plugin_log_lines_reach_the_logs_endpoint_masked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", &flow());
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::os::unix::fs::symlink(
        &libraries().logging,
        dir.path().join("plugins/liblogging.so"),
    )
    .unwrap();
    let server = Serving::start(
        dir.path(),
        &[
            "webui",
            "-v",
            "flow.yaml",
            "--plugin-dir",
            "plugins",
            "--port",
            "0",
        ],
    );
    let records = wait_for("the plugin's lines in /logs", || {
        let (code, body) = server.get("/logs");
        assert_eq!(code, 200, "{body}");
        let records: Vec<String> = body["records"]
            .as_array()?
            .iter()
            .filter_map(|r| r.as_str().map(String::from))
            .collect();
        records
            .iter()
            .any(|r| r.contains("plain words from the plugin"))
            .then_some(records)
    });
    let all = records.join("\n");
    assert_masked(&all);
    let warn = records
        .iter()
        .find(|r| r.contains("the token is"))
        .unwrap_or_else(|| panic!("no warning in /logs:\n{all}"));
    assert!(
        warn.contains("WARN the token is ***REDACTED*** step=talk"),
        "{warn}"
    );
    let (_, _, stderr) = server.interrupt();
    assert_masked(&stderr);
}
