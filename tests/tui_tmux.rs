//! `flowtoy tui` on a real terminal: tmux runs the binary in a detached
//! pane, the test reads the pane with `capture-pane` and types with
//! `send-keys`. Each test has its own tmux server (a socket in its temp dir).
//! Skipped, with the reason printed, where tmux is not installed; a failure
//! when `CI=true` (`.ci/run` installs it for CI).

use crate::common;

use common::{flowtoy_bin, http_server};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Generous: only reached when something is broken.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs the command given to it, then says how it ended and whether the
/// terminal is back in cooked mode, then waits so the pane stays readable.
const WRAPPER: &str = r#"sh -c 'echo $$ > tui.pid; exec "$0" "$@"' "$@"
echo "EXIT=$?"
if stty -a | grep -q -- '-icanon'; then echo "TERMINAL=raw"; else echo "TERMINAL=restored"; fi
sleep 600
"#;

/// A flow with every final state: succeeded, failed (under `skip`), skipped.
const MIXED_FLOW: &str = r#"
flow:
  - name: greet
    source: {type: process, configuration: {command: [echo, '{"hello": "world"}']}}
    output: [{name: hello, type: jmespath, value: hello}]
  - name: broken
    source: {type: process, configuration: {command: [sh, -c, "echo oops >&2; exit 3"]}}
    on_error: skip
  - name: after_broken
    depends_on: [broken]
    source: {type: process, configuration: {command: [echo, never]}}
  - name: report
    depends_on: [greet]
    source: {type: process, configuration: {command: [cat], pass_to: stdin}}
    input: "{{ flows.greet.hello }}!"
    output: [{name: text, type: json}]
"#;

/// A flow that runs until it is stopped.
const SLOW_FLOW: &str = r#"
flow:
  - name: nap
    source: {type: process, configuration: {command: [sleep, "60"]}}
"#;

fn tmux_missing() -> Option<String> {
    match Command::new("tmux").arg("-V").output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`tmux -V` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Some(format!("tmux is not installed ({e})")),
    }
}

macro_rules! require_tmux {
    () => {
        if let Some(reason) = tmux_missing() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{reason} (CI=true: a missing tmux is a failure; .ci/run installs it)");
            }
            eprintln!("skipped: {reason}; install tmux to run this test");
            return;
        }
    };
}

/// A detached tmux pane running `flowtoy ARGS` in a temp dir.
struct Pane {
    dir: tempfile::TempDir,
    socket: PathBuf,
}

impl Pane {
    fn start(files: &[(&str, &str)], args: &[&str], width: u16, height: u16) -> Pane {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).expect("write file");
        }
        std::fs::write(dir.path().join("wrapper.sh"), WRAPPER).expect("write wrapper");
        let socket = dir.path().join("tmux.sock");
        let mut command = vec!["sh".to_string(), "wrapper.sh".into(), flowtoy_bin().into()];
        command.extend(args.iter().map(|a| a.to_string()));
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(["-f", "/dev/null", "new-session", "-d", "-s", "flowtoy"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg("-c")
            .arg(dir.path())
            .args(["-e", "TZ=UTC"])
            .arg("-e")
            .arg(format!(
                "FLOWTOY_STATE_DIR={}",
                dir.path().join(".flowtoy-state").display()
            ))
            .args(command)
            .env_remove("TMUX")
            .env_remove("FLOWTOY_PLUGIN_PATH")
            .env_remove("RUNNER_STATUS_URL")
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed");
        Pane { dir, socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "flowtoy"])
    }

    fn send(&self, keys: &str) {
        self.tmux(&["send-keys", "-t", "flowtoy", keys]);
    }

    /// Waits until the pane shows `needle`; returns the whole pane.
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the pane never showed {needle:?}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// The pane line that contains `needle`.
fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{screen}"))
}

fn quickstart() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/quickstart.yaml")
        .display()
        .to_string()
}

#[test]
fn quickstart_runs_to_the_end_and_waits_for_q() {
    require_tmux!();
    let pane = Pane::start(&[], &["tui", &quickstart()], 100, 30);
    let screen = pane.wait_for("4/4 completed");
    assert!(line_with(&screen, "run ").contains("finished"), "{screen}");
    for step in ["whoami", "greeting", "disk", "report"] {
        let row = line_with(&screen, &format!("✓ {step} "));
        // start HH:MM:SS and duration +X.Xs
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert!(
            cells
                .iter()
                .any(|c| c.len() == 8 && c.matches(':').count() == 2),
            "no start time in {row:?}"
        );
        assert!(
            cells.iter().any(|c| c.starts_with('+') && c.ends_with('s')),
            "no duration in {row:?}"
        );
    }
    assert!(screen.contains(r#""summary": "HELLO, "#), "{screen}");
    // The UI stays after the run until q.
    std::thread::sleep(Duration::from_millis(500));
    assert!(pane.capture().contains("4/4 completed"));
    pane.send("q");
    let after = pane.wait_for("TERMINAL=");
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(after.contains("TERMINAL=restored"), "{after}");
    assert!(
        after.contains("flowtoy: 4 succeeded, 0 failed, 0 skipped"),
        "{after}"
    );
    // The TUI records its run in the history, like `run` (SPEC R31).
    let listed = Command::new(flowtoy_bin())
        .args(["history", "--json"])
        .env("FLOWTOY_STATE_DIR", pane.path(".flowtoy-state"))
        .output()
        .expect("run flowtoy history");
    let runs: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("history JSON");
    assert_eq!(runs[0]["outcome"], "finished", "{runs}");
    assert_eq!(runs[0]["succeeded"], 4, "{runs}");
}

#[test]
fn failures_and_skips_are_shown_with_logs() {
    require_tmux!();
    let pane = Pane::start(
        &[("flow.yaml", MIXED_FLOW)],
        &["tui", "flow.yaml", "--show-logs"],
        100,
        32,
    );
    let screen = pane.wait_for("finished with failures");
    assert!(line_with(&screen, "✓ greet ").contains("+"), "{screen}");
    assert!(line_with(&screen, "✗ broken ").contains("process exited with code 3"));
    assert!(line_with(&screen, "⊘ after_broken ")
        .contains("skipped: depends on 'broken', which failed"));
    assert!(line_with(&screen, "✓ report ").contains("+"));
    assert!(line_with(&screen, "completed").contains("3/4 completed"));
    assert!(screen.contains("Logs ("), "{screen}");
    assert!(
        screen.contains("step started"),
        "log lines are shown:\n{screen}"
    );
    // Tab to the outputs, scroll, quit.
    pane.send("Tab");
    pane.wait_for("focus (outputs)");
    pane.send("q");
    let after = pane.wait_for("TERMINAL=");
    assert!(
        after.contains("EXIT=0"),
        "skip covers the failure:\n{after}"
    );
    assert!(after.contains("TERMINAL=restored"), "{after}");
}

#[test]
fn ctrl_c_stops_the_run_and_restores_the_terminal() {
    require_tmux!();
    let pane = Pane::start(&[("flow.yaml", SLOW_FLOW)], &["tui", "flow.yaml"], 80, 24);
    pane.wait_for("▶ nap");
    pane.send("C-c");
    let after = pane.wait_for("TERMINAL=");
    assert!(after.contains("EXIT=130"), "{after}");
    assert!(after.contains("TERMINAL=restored"), "{after}");
    assert!(after.contains("stopping running steps"), "{after}");
}

#[test]
fn sigterm_restores_the_terminal() {
    require_tmux!();
    let pane = Pane::start(&[("flow.yaml", SLOW_FLOW)], &["tui", "flow.yaml"], 80, 24);
    pane.wait_for("▶ nap");
    let pid: i32 = std::fs::read_to_string(pane.path("tui.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    // SAFETY: sends a signal to the flowtoy process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let after = pane.wait_for("TERMINAL=");
    assert!(after.contains("EXIT=143"), "{after}");
    assert!(after.contains("TERMINAL=restored"), "{after}");
}

#[test]
fn an_unreachable_remote_runner_is_reported_and_retried() {
    require_tmux!();
    let url = format!("http://127.0.0.1:{}", http_server::closed_port());
    let pane = Pane::start(&[], &["tui", "--status-url", &url, "--show-logs"], 80, 24);
    let screen = pane.wait_for("retrying (attempt 2)");
    assert!(screen.contains("cannot reach the runner at"), "{screen}");
    assert!(screen.contains(&format!("{url}/status")), "{screen}");
    assert!(screen.contains("Connection refused"), "{screen}");
    assert!(
        !screen.contains("Logs ("),
        "no logs panel in remote mode:\n{screen}"
    );
    pane.send("q");
    let after = pane.wait_for("TERMINAL=");
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(after.contains("TERMINAL=restored"), "{after}");
    assert!(after.contains("warning: --show-logs"), "{after}");
}

/// A TUI whose terminal goes away (window closed, tmux killed) exits instead
/// of running on, unwatched, in the background.
#[test]
fn a_tui_whose_terminal_goes_away_exits() {
    require_tmux!();
    let url = format!("http://127.0.0.1:{}", http_server::closed_port());
    let pane = Pane::start(&[], &["tui", "--status-url", &url], 80, 24);
    pane.wait_for("retrying");
    let shell: u32 = pane
        .tmux(&["list-panes", "-t", "flowtoy", "-F", "#{pane_pid}"])
        .trim()
        .parse()
        .expect("pane pid");
    let children =
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
    let tui: u32 = children
        .split_whitespace()
        .next()
        .expect("the wrapper runs flowtoy")
        .parse()
        .unwrap();
    let alive = || common::process_alive(tui as i32);
    assert!(alive());
    pane.tmux(&["kill-server"]);
    let start = Instant::now();
    while alive() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let still = alive();
    if still {
        // SAFETY: cleaning up our own test's process.
        unsafe { libc::kill(tui as i32, libc::SIGKILL) };
    }
    assert!(
        !still,
        "flowtoy tui kept running after its terminal went away"
    );
}

/// A step that prints a line and waits for the file `go`, and a quick one.
const DETAILS_FLOW: &str = r#"
flow:
  - name: watched
    source:
      type: process
      configuration:
        command: ["sh", "-c", "echo first-line; echo to-stderr >&2; while [ ! -f go ]; do sleep 0.05; done; echo last-line"]
  - name: quick
    source: {type: process, configuration: {command: [echo, quick-said-this]}}
"#;

#[test]
fn enter_shows_a_steps_details_and_esc_closes_them() {
    require_tmux!();
    let pane = Pane::start(
        &[("flow.yaml", DETAILS_FLOW)],
        &["tui", "flow.yaml"],
        120,
        40,
    );
    pane.wait_for("✓ quick");
    let screen = pane.wait_for("Enter details");
    assert!(
        line_with(&screen, "watched").contains("watched"),
        "{screen}"
    );

    // The first row is selected: Enter opens the running step's details,
    // with what it printed so far.
    pane.send("Enter");
    let screen = pane.wait_for("first-line");
    assert!(screen.contains("Step watched"), "{screen}");
    assert!(line_with(&screen, "state").contains("running"), "{screen}");
    assert!(screen.contains("to-stderr"), "{screen}");
    assert!(
        line_with(&screen, "provider").contains("process on local"),
        "{screen}"
    );
    assert!(!pane.dir.path().join("go").exists());

    // It follows the step to its end.
    std::fs::write(pane.dir.path().join("go"), "").expect("write go");
    let screen = pane.wait_for("last-line");
    assert!(
        line_with(&screen, "state").contains("succeeded"),
        "{screen}"
    );

    // Esc closes the details (it does not quit), back to the table.
    pane.send("Escape");
    let screen = pane.wait_for("START");
    assert!(!screen.contains("Step watched"), "{screen}");

    // Down selects the next row, Enter opens it.
    pane.send("Down");
    pane.send("Enter");
    let screen = pane.wait_for("quick-said-this");
    assert!(screen.contains("Step quick"), "{screen}");
    pane.send("Escape");
    pane.wait_for("START");
    pane.send("q");
    pane.wait_for("EXIT=0");
}
