//! Starting the program, feeding it, capturing its output, and killing it (and
//! its children) on timeout or cancellation.
//!
//! One thread watches everything with `poll(2)`: both output pipes and a
//! pidfd for the program's exit, waking at once when any of them is ready
//! (and every 25 ms to look at the cancellation flag). Only a payload for
//! standard input gets a thread of its own, so a program that never reads it
//! cannot block the call.
//!
//! What the program prints is handed to the host as it is read
//! ([`CallContext::output`]), chunk by chunk, so a running program can be
//! followed (`GET /steps/{name}`); the result is built from the captured
//! output at the end, as before.

use crate::command::{CommandLine, ProcessConfig};
use crate::result::{exit_failure, fail, program_result, truncated_note};
use flowtoy_plugin_api::{CallContext, OutputStream, ProviderResult};
use serde_json::Value;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How often a waiting call looks at the cancellation flag.
const CANCEL_CHECK: Duration = Duration::from_millis(25);
/// How long children may keep the program's pipes open after it exited.
const ORPHAN_GRACE: Duration = Duration::from_millis(200);
/// Without a pidfd (old kernels), how often the program's exit is checked.
const EXIT_CHECK: Duration = Duration::from_millis(2);

/// Output read from one pipe, capped.
struct Captured {
    bytes: Vec<u8>,
    truncated: bool,
    open: bool,
}

impl Captured {
    fn new() -> Self {
        Captured {
            bytes: Vec::new(),
            truncated: false,
            open: true,
        }
    }

    /// Reads what is ready and hands it to the host as `stream` (so people
    /// can follow the program while it runs); marks the pipe closed at end
    /// of file.
    fn read_from(
        &mut self,
        pipe: &mut impl Read,
        cap: usize,
        ctx: &CallContext,
        stream: OutputStream,
    ) {
        let mut buf = [0u8; 64 * 1024];
        match pipe.read(&mut buf) {
            Ok(0) => self.open = false,
            Ok(n) => {
                ctx.output(stream, &buf[..n]);
                let room = cap.saturating_sub(self.bytes.len());
                if n > room {
                    self.truncated = true;
                }
                self.bytes.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => self.open = false,
        }
    }
}

fn kill_group(pgid: u32) {
    // SAFETY: killpg only sends a signal; a stale id at worst fails with ESRCH.
    unsafe {
        libc::killpg(pgid as libc::pid_t, libc::SIGKILL);
    }
}

/// A file descriptor that becomes readable when `pid` exits (Linux ≥ 5.3).
fn pidfd(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative result is a descriptor we now own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// Waits until one of `fds` is readable or `timeout` passes.
fn wait_readable(fds: &mut [libc::pollfd], timeout: Duration) {
    let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
    // SAFETY: fds is a valid, exclusively borrowed slice of pollfd.
    unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms);
    }
}

fn start(line: &CommandLine, cfg: &ProcessConfig) -> std::io::Result<Child> {
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
    cmd.spawn()
}

/// How the watch ended.
struct Finished {
    status: std::io::Result<ExitStatus>,
    stdout: Captured,
    stderr: Captured,
    timed_out: bool,
    killed: bool,
}

/// Watches the program until it has exited and both pipes are closed.
fn watch(mut child: Child, cfg: &ProcessConfig, ctx: &CallContext) -> Finished {
    let pgid = child.id();
    let cap = cfg.max_output_bytes;
    let (mut out_pipe, mut err_pipe) = (child.stdout.take(), child.stderr.take());
    let (mut stdout, mut stderr) = (Captured::new(), Captured::new());
    stdout.open = out_pipe.is_some();
    stderr.open = err_pipe.is_some();
    let exit_fd = pidfd(pgid);
    let deadline = cfg.timeout.map(|t| Instant::now() + t);
    let mut status: Option<std::io::Result<ExitStatus>> = None;
    let mut exited_at: Option<Instant> = None;
    let (mut timed_out, mut killed) = (false, false);
    loop {
        if status.is_none() {
            if let Ok(Some(s)) = child.try_wait() {
                status = Some(Ok(s));
                exited_at = Some(Instant::now());
            }
        }
        if status.is_some() && !stdout.open && !stderr.open {
            break;
        }
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
        let mut fds = Vec::with_capacity(3);
        let mut push = |fd: RawFd| {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
        };
        if let (true, Some(p)) = (stdout.open, &out_pipe) {
            push(p.as_raw_fd());
        }
        if let (true, Some(p)) = (stderr.open, &err_pipe) {
            push(p.as_raw_fd());
        }
        match (&exit_fd, status.is_none()) {
            (Some(fd), true) => push(fd.as_raw_fd()),
            (None, true) => wait = wait.min(EXIT_CHECK),
            _ => {}
        }
        wait_readable(&mut fds, wait);
        for fd in fds.iter().filter(|f| f.revents != 0) {
            match (&mut out_pipe, &mut err_pipe) {
                (Some(p), _) if p.as_raw_fd() == fd.fd => {
                    stdout.read_from(p, cap, ctx, OutputStream::Stdout)
                }
                (_, Some(p)) if p.as_raw_fd() == fd.fd => {
                    stderr.read_from(p, cap, ctx, OutputStream::Stderr)
                }
                _ => {}
            }
        }
    }
    let status = status.unwrap_or_else(|| child.wait());
    Finished {
        status,
        stdout,
        stderr,
        timed_out,
        killed,
    }
}

/// Runs `line` to completion (or timeout/cancellation) and builds the result.
pub fn run(line: &CommandLine, cfg: &ProcessConfig, ctx: &CallContext) -> ProviderResult {
    let mut child = match start(line, cfg) {
        Ok(c) => c,
        Err(e) => {
            return ProviderResult::failed(format!("cannot start '{}': {e}", line.argv[0]))
                .with_meta("returncode", Value::Null)
        }
    };
    if let (Some(mut input), Some(text)) = (child.stdin.take(), line.stdin.clone()) {
        // A program that does not read its input makes this fail with EPIPE: fine.
        thread::spawn(move || {
            let _ = input.write_all(text.as_bytes());
        });
    }
    let done = watch(child, cfg, ctx);
    let status = match done.status {
        Ok(s) => s,
        Err(e) => {
            return ProviderResult::failed(format!("waiting for '{}' failed: {e}", line.argv[0]))
        }
    };
    let returncode = status
        .code()
        .map(i64::from)
        .or_else(|| status.signal().map(|s| -i64::from(s)));
    let mut result = program_result(&done.stdout.bytes, &done.stderr.bytes, returncode);
    if done.timed_out {
        fail(&mut result, "timeout".into());
        result.meta.insert("timeout".into(), Value::Bool(true));
    } else if done.killed && ctx.is_cancelled() {
        fail(&mut result, "cancelled".into());
    } else if done.stdout.truncated || done.stderr.truncated {
        fail(&mut result, truncated_note(cfg.max_output_bytes));
        result.meta.insert("truncated".into(), Value::Bool(true));
    } else if let Some(note) = exit_failure(status.code(), status.signal()) {
        fail(&mut result, note);
    }
    result
}
