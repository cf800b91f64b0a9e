//! Telling whether the process that recorded a run is gone (SPEC R31: a
//! run whose process is gone is `interrupted`).
//!
//! A run records its process id, the host's name and, on Linux, the
//! process's start time (clock ticks since boot, from `/proc/PID/stat`)
//! with the boot's id. A pid alone is not enough: pids are reused, so a
//! new process with the old pid would keep a dead run `running` forever.
//! With the start time and boot id, the process is the same one exactly
//! when both match. This needs no extra file and no lock held for the
//! whole run. Runs recorded on another host are left alone: their process
//! cannot be seen from here.

use serde::{Deserialize, Serialize};

/// The process that records a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessIdentity {
    /// Its process id.
    pub pid: u32,
    /// `BOOT_ID:START_TICKS` on Linux, telling this process apart from a
    /// later one with the same pid; `None` where it cannot be known.
    pub start: Option<String>,
    /// The host's name (empty when unknown).
    pub host: String,
}

impl ProcessIdentity {
    /// This process.
    pub fn current() -> Self {
        let pid = std::process::id();
        ProcessIdentity {
            pid,
            start: start_of(pid),
            host: host_name(),
        }
    }

    /// True when this identity's process has certainly ended (only said of
    /// processes on this host).
    pub fn is_gone(&self) -> bool {
        if self.host != host_name() {
            return false;
        }
        if self.pid == std::process::id() {
            return self.start.is_some() && self.start != start_of(self.pid);
        }
        !alive(self.pid, self.start.as_deref())
    }
}

#[cfg(target_os = "linux")]
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

#[cfg(not(target_os = "linux"))]
fn host_name() -> String {
    std::env::var("HOSTNAME").unwrap_or_default()
}

/// `BOOT_ID:START_TICKS` of process `pid`.
#[cfg(target_os = "linux")]
fn start_of(pid: u32) -> Option<String> {
    let (_, start) = stat(pid)?;
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(format!("{}:{start}", boot.trim()))
}

#[cfg(not(target_os = "linux"))]
fn start_of(_pid: u32) -> Option<String> {
    None
}

/// The state letter and start time (field 22) of `/proc/PID/stat`.
#[cfg(target_os = "linux")]
fn stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: the
    // fields after it start after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // `rest` starts at field 3 (state); field 22 is 19 further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

#[cfg(target_os = "linux")]
fn alive(pid: u32, start: Option<&str>) -> bool {
    match stat(pid) {
        // A zombie has ended; it only waits to be reaped.
        Some(('Z', _)) | None => false,
        Some(_) => start.is_none() || start_of(pid).as_deref() == start,
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn alive(pid: u32, _start: Option<&str>) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; no signal is sent.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_pid: u32, _start: Option<&str>) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_an_ended_one_is_gone() {
        let me = ProcessIdentity::current();
        assert!(!me.is_gone());
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let start = start_of(pid);
        child.wait().unwrap();
        let ended = ProcessIdentity {
            pid,
            start,
            host: me.host.clone(),
        };
        assert!(ended.is_gone());
        let elsewhere = ProcessIdentity {
            host: format!("{}-elsewhere", me.host),
            ..ended
        };
        assert!(!elsewhere.is_gone(), "another host's runs are left alone");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_reused_pid_is_told_apart_by_its_start_time() {
        let mut me = ProcessIdentity::current();
        me.pid = std::process::id();
        me.start = Some("another-boot:1".into());
        assert!(me.is_gone());
    }
}
