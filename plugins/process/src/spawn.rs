//! Starting the program, feeding it, capturing its output, and killing it (and
//! its children) on timeout or cancellation.

use crate::command::{CommandLine, ProcessConfig};
use flowtoy_plugin_api::{CallContext, ProviderResult};
use serde_json::Value;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often a waiting call looks at the cancellation flag.
const CANCEL_CHECK: Duration = Duration::from_millis(25);
/// How long children may keep the program's pipes open after it exited.
const ORPHAN_GRACE: Duration = Duration::from_millis(200);

/// Output read from one pipe, capped.
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
}

enum Event {
    Exited(std::io::Result<ExitStatus>),
    Stdout(Captured),
    Stderr(Captured),
}

fn read_capped(mut pipe: impl Read, cap: usize) -> Captured {
    let mut bytes = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(bytes.len());
                if n > room {
                    truncated = true;
                }
                bytes.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    Captured { bytes, truncated }
}

fn kill_group(pgid: u32) {
    // SAFETY: killpg only sends a signal; a stale id at worst fails with ESRCH.
    unsafe {
        libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
    }
}

fn text_or_json(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return v;
    }
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Value::String(trimmed.to_string())
}

/// Runs `line` to completion (or timeout/cancellation) and builds the result.
pub fn run(line: &CommandLine, cfg: &ProcessConfig, ctx: &CallContext) -> ProviderResult {
    let mut cmd = Command::new(&line.argv[0]);
    cmd.args(&line.argv[1..])
        .stdin(if line.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    if let Some(dir) = &cfg.cwd {
        cmd.current_dir(dir);
    }
    for (k, v) in &cfg.env {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return ProviderResult::failed(format!("cannot start '{}': {e}", line.argv[0]))
                .with_meta("returncode", Value::Null)
        }
    };
    let pgid = child.id();
    let (tx, rx) = mpsc::channel();
    let cap = cfg.max_output_bytes;
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        thread::spawn(move || tx.send(Event::Stdout(read_capped(out, cap))));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        thread::spawn(move || tx.send(Event::Stderr(read_capped(err, cap))));
    }
    if let (Some(mut input), Some(text)) = (child.stdin.take(), line.stdin.clone()) {
        // A program that does not read its input makes this fail with EPIPE: fine.
        thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    thread::spawn(move || tx.send(Event::Exited(child.wait())));

    let deadline = cfg.timeout.map(|t| Instant::now() + t);
    let (mut status, mut stdout, mut stderr) = (None, None, None);
    let mut exited_at: Option<Instant> = None;
    let mut timed_out = false;
    let mut killed = false;
    while status.is_none() || stdout.is_none() || stderr.is_none() {
        let now = Instant::now();
        if !killed {
            timed_out = deadline.is_some_and(|d| now >= d);
            // Children that outlive the program and hold its pipes open are
            // killed once the program has been gone for a moment.
            let orphans = exited_at.is_some_and(|t| now >= t + ORPHAN_GRACE);
            if timed_out || orphans || ctx.is_cancelled() {
                kill_group(pgid);
                killed = true;
            }
        }
        let mut wait = CANCEL_CHECK;
        for limit in [deadline, exited_at.map(|t| t + ORPHAN_GRACE)]
            .into_iter()
            .flatten()
        {
            wait = wait.min(limit.saturating_duration_since(now));
        }
        match rx.recv_timeout(wait) {
            Ok(Event::Exited(s)) => {
                status = Some(s);
                exited_at = Some(Instant::now());
            }
            Ok(Event::Stdout(c)) => stdout = Some(c),
            Ok(Event::Stderr(c)) => stderr = Some(c),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    let stdout = stdout.unwrap_or(Captured {
        bytes: Vec::new(),
        truncated: false,
    });
    let stderr = stderr.unwrap_or(Captured {
        bytes: Vec::new(),
        truncated: false,
    });
    let stderr_text = String::from_utf8_lossy(&stderr.bytes).into_owned();
    let status = match status {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            return ProviderResult::failed(format!("waiting for '{}' failed: {e}", line.argv[0]))
        }
        None => return ProviderResult::failed(format!("lost track of '{}'", line.argv[0])),
    };
    let returncode = status
        .code()
        .map(i64::from)
        .or_else(|| status.signal().map(|s| -i64::from(s)));
    let mut result = ProviderResult::ok(text_or_json(&stdout.bytes))
        .with_code(returncode)
        .with_meta("stderr", Value::String(stderr_text))
        .with_meta(
            "returncode",
            returncode.map(Value::from).unwrap_or(Value::Null),
        );
    if timed_out {
        result.status.success = false;
        result.status.notes.push("timeout".into());
        result.meta.insert("timeout".into(), Value::Bool(true));
    } else if killed && ctx.is_cancelled() {
        result.status.success = false;
        result.status.notes.push("cancelled".into());
    } else if stdout.truncated || stderr.truncated {
        result.status.success = false;
        result.status.notes.push(format!(
            "output exceeded max_output_bytes ({cap} bytes) and was cut off"
        ));
        result.meta.insert("truncated".into(), Value::Bool(true));
    } else if !status.success() {
        result.status.success = false;
        result
            .status
            .notes
            .push(match (status.code(), status.signal()) {
                (Some(code), _) => format!("process exited with code {code}"),
                (None, Some(sig)) => format!("process killed by signal {sig}"),
                _ => "process failed".to_string(),
            });
    }
    result
}
