//! Faults survived (SPEC R10, R11, R14, R16, R17), through the real binary:
//! programs that vanish, die, flood stdout or hang; HTTP servers that stall,
//! reset, or send too much; signals mid-run. In each the failing step fails
//! with a clear message, other branches follow their policy, no process is
//! left behind, and the exit code is the one R17 gives.
//!
//! The basic cases (a missing program, a program killed by a signal, a hung
//! program with `timeout`, invalid JSON from a server, SIGINT/SIGTERM with one
//! running program) are in provider_process.rs, provider_rest.rs and
//! run_scheduler.rs; plugin panics and garbage plugin files in plugins.rs.

use crate::common;
use common::http_server;
use common::Test;
use serde_json::json;
use std::io::Write;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Waits up to 5 s for every pid written in `files` to be gone.
fn assert_no_orphans(dir: &Path, files: &[&str]) {
    for file in files {
        let text = std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("{file} was not written: {e}"));
        for pid in text
            .split_whitespace()
            .filter_map(|p| p.parse::<i32>().ok())
        {
            let deadline = Instant::now() + Duration::from_secs(5);
            while common::process_alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            assert!(
                !common::process_alive(pid),
                "process {pid} (from {file}) was left running"
            );
        }
    }
}

fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn states(out: &common::Outcome) -> Vec<String> {
    out.stderr()
        .lines()
        .filter(|l| l.contains('✓') || l.contains('✗') || l.contains('⊘'))
        .map(|l| l.split("] ").nth(1).unwrap_or(l).to_string())
        .collect()
}

#[test]
fn failures_follow_each_steps_policy_and_other_branches_finish() {
    // Three failing branches, each with another policy, and a healthy one.
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
flow:
  - name: missing
    source: {type: process, configuration: {command: [no-such-program-xyz]}}
    on_error: skip
  - name: after_missing
    source: env
    depends_on: [missing]
  - name: killed
    source: {type: process, configuration: {command: 'sleep 60 & echo $! > killed.pid; kill -9 $$', shell: true}}
    on_error: continue
  - name: after_killed
    source: {type: process, configuration: {command: [echo, ran]}}
    depends_on: [killed]
    output: [{name: text}]
  - name: hung
    source: {type: process, configuration: {command: 'sleep 60 & echo $! > hung.pid; wait', shell: true, timeout: 0.5}}
    on_error: skip
  - name: healthy
    source: {type: process, configuration: {command: [echo, fine]}}
    output: [{name: text}]
"#,
        )
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success().no_panic();
    assert_eq!(
        out.stdout_json(),
        json!({"after_killed": {"text": "ran"}, "healthy": {"text": "fine"}})
    );
    let err = out.stderr();
    for needle in [
        "✗ missing failed",
        "cannot start 'no-such-program-xyz'",
        "⊘ after_missing",
        "✗ killed failed",
        "process killed by signal 9",
        "✗ hung failed",
        ": timeout",
    ] {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
    assert_no_orphans(&out.dir, &["killed.pid", "hung.pid"]);
}

#[test]
fn a_failure_under_fail_halts_but_lets_running_steps_finish_and_exits_1() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
flow:
  - name: slow
    source: {type: process, configuration: {command: 'echo $$ > slow.pid; sleep 0.5; echo done', shell: true}}
    output: [{name: text}]
  - name: broken
    source: {type: process, configuration: {command: [sh, -c, 'exit 3']}}
  - name: later
    source: {type: process, configuration: {command: [touch, later.txt]}}
    depends_on: [broken]
  - name: last
    source: {type: process, configuration: {command: [touch, last.txt]}}
    depends_on: [slow]
"#,
        )
        .args(["run", "-j", "f.yaml"])
        .run();
    out.code_is(1).no_panic();
    assert_eq!(out.stdout_json(), json!({"slow": {"text": "done"}}));
    assert!(!out.dir.join("later.txt").exists() && !out.dir.join("last.txt").exists());
    let states = states(&out);
    assert!(
        states.iter().any(|s| s.starts_with("✗ broken failed")),
        "{states:?}"
    );
    assert!(
        states.iter().any(|s| s.starts_with("⊘ later")),
        "{states:?}"
    );
    assert!(states.iter().any(|s| s.starts_with("⊘ last")), "{states:?}");
    assert_no_orphans(&out.dir, &["slow.pid"]);
}

/// Peak resident memory (KiB) of a child, read from its rusage as it is reaped.
fn wait_with_peak_rss(child: &mut std::process::Child) -> (i32, i64) {
    let mut status = 0;
    // SAFETY: rusage is a plain C struct, for which all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child, with pointers to live locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    (libc::WEXITSTATUS(status), usage.ru_maxrss)
}

#[test]
fn a_program_writing_1_gb_is_cut_at_the_default_cap_and_memory_stays_bounded() {
    let test = Test::new().file(
        "f.yaml",
        r#"
flow:
  - name: flood
    source: {type: process, configuration: {command: 'head -c 1073741824 /dev/zero; echo $$ > flood.pid', shell: true}}
    on_error: continue
  - name: other
    source: {type: process, configuration: {command: [echo, unaffected]}}
    output: [{name: text}]
"#,
    );
    let mut child = test
        .command()
        .args(["run", "-j", "f.yaml"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn flowtoy");
    // The outputs are small: reading them after the exit cannot block it.
    let (code, peak_kib) = wait_with_peak_rss(&mut child);
    let mut stdout = String::new();
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    eprintln!(
        "peak RSS of flowtoy while a step wrote 1 GiB: {} MiB",
        peak_kib / 1024
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("✗ flood failed")
            && stderr.contains("output exceeded max_output_bytes (67108864 bytes) and was cut off"),
        "{stderr}"
    );
    let outputs: serde_json::Value = serde_json::from_str(&stdout).expect("JSON outputs");
    assert_eq!(outputs, json!({"other": {"text": "unaffected"}}));
    // 1 GiB went through; what stayed is the 64 MiB cap and its copies.
    assert!(
        peak_kib < 512 * 1024,
        "peak RSS {peak_kib} KiB: the output was not capped"
    );
}

#[test]
fn a_small_max_output_bytes_keeps_memory_small() {
    // Peak RSS is read from wait4, which also counts what the child shared
    // with this process before it started flowtoy: measured from a process
    // of its own, not from the whole test binary with every test's data.
    if common::own_process::ran_alone("faults::a_small_max_output_bytes_keeps_memory_small", &[]) {
        return;
    }
    let test = Test::new().file(
        "f.yaml",
        r#"
flow:
  - name: flood
    source: {type: process, configuration: {command: 'head -c 268435456 /dev/zero', shell: true, max_output_bytes: 1024}}
"#,
    );
    let mut child = test
        .command()
        .args(["run", "f.yaml"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn flowtoy");
    let (code, peak_kib) = wait_with_peak_rss(&mut child);
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("output exceeded max_output_bytes (1024 bytes)"),
        "{stderr}"
    );
    assert!(
        peak_kib < 100 * 1024,
        "peak RSS {peak_kib} KiB with a 1 KiB cap"
    );
}

fn rest_flow(port: u16, extra: &str) -> String {
    format!(
        r#"
flow:
  - name: call
    source: {{type: rest, configuration: {{url: "http://127.0.0.1:{port}/x"{extra}}}}}
    on_error: skip
  - name: after_call
    source: env
    depends_on: [call]
  - name: other
    source: {{type: process, configuration: {{command: [echo, fine]}}}}
    output: [{{name: text}}]
"#
    )
}

/// Runs a flow whose `call` step talks to the server on `port`; checks the
/// other branch and the skipped dependent, and returns stderr.
fn run_rest_fault(port: u16, extra: &str) -> String {
    let started = Instant::now();
    let out = Test::new()
        .file("f.yaml", &rest_flow(port, extra))
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success().no_panic();
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the request was not cut off"
    );
    assert_eq!(out.stdout_json(), json!({"other": {"text": "fine"}}));
    let err = out.stderr();
    assert!(err.contains("✗ call failed"), "{err}");
    assert!(err.contains("⊘ after_call"), "{err}");
    err
}

#[test]
fn a_server_that_never_answers_is_cut_off_by_the_rest_timeout() {
    let port = http_server::start_raw(|stream| {
        std::thread::sleep(Duration::from_secs(60));
        drop(stream);
    });
    let err = run_rest_fault(port, ", timeout: 0.5").to_lowercase();
    assert!(
        err.contains("timed out") || err.contains("timeout"),
        "{err}"
    );
}

#[test]
fn a_server_that_stalls_in_the_middle_of_the_body_is_cut_off_too() {
    let port = http_server::start_raw(|mut stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\": ",
        );
        let _ = stream.flush();
        std::thread::sleep(Duration::from_secs(60));
    });
    let err = run_rest_fault(port, ", timeout: 0.5").to_lowercase();
    assert!(
        err.contains("timed out") || err.contains("timeout"),
        "{err}"
    );
}

#[test]
fn a_connection_reset_is_a_failed_step_that_says_so() {
    let port = http_server::start_raw(|stream| {
        // SO_LINGER with a zero timeout makes close() send RST.
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: setsockopt on a socket we own, with a correctly sized struct.
        unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
        drop(stream);
    });
    let err = run_rest_fault(port, ", timeout: 5");
    let lower = err.to_lowercase();
    assert!(
        lower.contains("reset")
            || lower.contains("connection closed")
            || lower.contains("error sending request"),
        "{err}"
    );
}

#[test]
fn a_connection_closed_without_an_answer_is_a_failed_step() {
    let port = http_server::start_raw(drop::<TcpStream>);
    run_rest_fault(port, ", timeout: 5");
}

#[test]
fn a_body_over_max_response_bytes_is_refused_without_reading_it_all() {
    // The server would send 1 GiB; the client stops after the cap.
    let port = http_server::start_raw(|mut stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..16 * 1024 {
            if stream.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let err = run_rest_fault(port, ", timeout: 20, max_response_bytes: 100000");
    assert!(
        err.contains("response body exceeded max_response_bytes (100000 bytes)"),
        "{err}"
    );
}

/// Starts a flow with two branches that are both busy (a program with a
/// child, and a rest call to a server that stalls), signals flowtoy, and
/// checks the exit code, the skipped steps and that nothing is left running.
fn interrupt_busy_branches(signal: i32, expected: i32) {
    let port = http_server::start_raw(|stream| {
        std::thread::sleep(Duration::from_secs(60));
        drop(stream);
    });
    let test = Test::new().file(
        "f.yaml",
        &format!(
            r#"
flow:
  - name: program
    source: {{type: process, configuration: {{command: 'sleep 60 & echo $! > child.pid; echo $$ > program.pid; wait', shell: true}}}}
    on_error: continue
  - name: request
    source: {{type: rest, configuration: {{url: "http://127.0.0.1:{port}/x", timeout: 60}}}}
    on_error: skip
  - name: after_program
    source: {{type: process, configuration: {{command: [touch, after.txt]}}}}
    depends_on: [program]
"#
        ),
    );
    let started = Instant::now();
    let child = test
        .command()
        .args(["run", "-j", "f.yaml"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn flowtoy");
    wait_for_file(&test.path("child.pid"));
    wait_for_file(&test.path("program.pid"));
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
    let output = child.wait_with_output().expect("wait for flowtoy");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(expected), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the stalled request held the run"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !test.path("after.txt").exists(),
        "a pending step ran after the signal"
    );
    assert!(stderr.contains("⊘ after_program"), "{stderr}");
    assert_no_orphans(test.dir.path(), &["child.pid", "program.pid"]);
}

#[test]
fn sigint_with_busy_branches_stops_everything_and_exits_130() {
    interrupt_busy_branches(libc::SIGINT, 130);
}

#[test]
fn sigterm_with_busy_branches_stops_everything_and_exits_143() {
    interrupt_busy_branches(libc::SIGTERM, 143);
}
