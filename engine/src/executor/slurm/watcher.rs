//! Watching every job of an executor together (SPEC R35): one thread asks
//! the cluster about all jobs in flight with ONE `squeue` call per
//! interval, and wakes the call waiting for a job once that job has ended.
//! No process waits per job.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// How a job ended, as the cluster told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEnd {
    /// The final job state (`COMPLETED`, `FAILED`, `TIMEOUT`,
    /// `OUT_OF_MEMORY`, `NODE_FAIL`, `CANCELLED`, ...), or `VANISHED` for a
    /// job the cluster no longer knows.
    pub state: String,
    /// Slurm's reason (`TimeLimit`, `NonZeroExitCode`, ...); `None` is empty.
    pub reason: String,
}

/// Times in a row a job may be missing from `squeue` before it counts as
/// gone (a job the controller has already purged, or lost).
const MISSES_BEFORE_VANISHED: u32 = 3;

/// States after which a job does nothing more.
const FINAL_STATES: [&str; 10] = [
    "COMPLETED",
    "FAILED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "CANCELLED",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
    "SPECIAL_EXIT",
];

/// True for a state after which a job does nothing more.
pub fn is_final(state: &str) -> bool {
    FINAL_STATES.contains(&state)
}

/// One job being waited for.
#[derive(Debug, Default)]
pub struct JobSlot {
    end: Mutex<Option<JobEnd>>,
    ended: Condvar,
    /// The last state seen (for the status of a job still in flight).
    state: Mutex<String>,
}

impl JobSlot {
    /// Waits up to `wait` for the job's end.
    pub fn wait(&self, wait: Duration) -> Option<JobEnd> {
        let end = self.end.lock().unwrap_or_else(|e| e.into_inner());
        let (end, _) = self
            .ended
            .wait_timeout_while(end, wait, |e| e.is_none())
            .unwrap_or_else(|e| e.into_inner());
        end.clone()
    }

    /// The state the job was last seen in (`PENDING`, `RUNNING`, ...).
    pub fn last_state(&self) -> String {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn finish(&self, end: JobEnd) {
        *self.end.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
        self.ended.notify_all();
    }
}

/// The jobs in flight, shared by the watcher thread and the calls.
#[derive(Debug, Default)]
struct Jobs {
    slots: HashMap<String, (Arc<JobSlot>, u32)>,
    thread_running: bool,
}

/// The watcher of one executor's jobs.
#[derive(Debug)]
pub struct Watcher {
    jobs: Mutex<Jobs>,
    added: Condvar,
    interval: Duration,
}

impl Watcher {
    /// A watcher asking the cluster every `interval`; its thread starts with
    /// the first job and ends when it has had nothing to watch for a while.
    pub fn new(interval: Duration) -> Arc<Self> {
        Arc::new(Watcher {
            jobs: Mutex::new(Jobs::default()),
            added: Condvar::new(),
            interval,
        })
    }

    /// Starts watching job `id`.
    pub fn watch(self: &Arc<Self>, id: &str) -> Arc<JobSlot> {
        let slot = Arc::new(JobSlot::default());
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.slots.insert(id.to_string(), (Arc::clone(&slot), 0));
        if !jobs.thread_running {
            let weak = Arc::downgrade(self);
            let spawned = std::thread::Builder::new()
                .name("flowtoy-slurm-watcher".into())
                .spawn(move || watch_loop(weak));
            jobs.thread_running = spawned.is_ok();
            if let Err(e) = spawned {
                tracing::warn!("cannot start the Slurm watcher thread: {e}");
            }
        }
        self.added.notify_all();
        slot
    }

    /// Stops watching job `id` (its call gave up on it).
    pub fn forget(&self, id: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .slots
            .remove(id);
    }

    /// One look at every job in flight; returns false when there was
    /// nothing to look at for a long while (the thread may end).
    fn poll(&self) -> bool {
        let ids: Vec<String> = {
            let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if jobs.slots.is_empty() {
                let (jobs, timeout) = self
                    .added
                    .wait_timeout_while(jobs, Duration::from_secs(10), |j| j.slots.is_empty())
                    .unwrap_or_else(|e| e.into_inner());
                if timeout.timed_out() && jobs.slots.is_empty() {
                    return false;
                }
                return true;
            }
            jobs.slots.keys().cloned().collect()
        };
        let seen = match query(&ids) {
            Ok(seen) => seen,
            Err(e) => {
                tracing::warn!("squeue failed (trying again in {:?}): {e}", self.interval);
                return true;
            }
        };
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        for id in ids {
            let Some((slot, misses)) = jobs.slots.get_mut(&id) else {
                continue;
            };
            let end = match seen.get(&id) {
                Some(end) if is_final(&end.state) => Some(end.clone()),
                Some(end) => {
                    *misses = 0;
                    *slot.state.lock().unwrap_or_else(|e| e.into_inner()) = end.state.clone();
                    None
                }
                None => {
                    *misses += 1;
                    (*misses >= MISSES_BEFORE_VANISHED).then(|| JobEnd {
                        state: "VANISHED".into(),
                        reason: String::new(),
                    })
                }
            };
            if let Some(end) = end {
                if let Some((slot, _)) = jobs.slots.remove(&id) {
                    slot.finish(end);
                }
            }
        }
        true
    }
}

/// The watcher thread: polls while its watcher lives and has work.
fn watch_loop(watcher: Weak<Watcher>) {
    loop {
        let Some(w) = watcher.upgrade() else {
            return;
        };
        if !w.poll() {
            let mut jobs = w.jobs.lock().unwrap_or_else(|e| e.into_inner());
            if jobs.slots.is_empty() {
                jobs.thread_running = false;
                return;
            }
            continue;
        }
        let interval = w.interval;
        drop(w);
        std::thread::sleep(interval);
    }
}

/// Asks `squeue` about `ids` at once: id → (state, reason).
fn query(ids: &[String]) -> Result<HashMap<String, JobEnd>, String> {
    let out = Command::new("squeue")
        .args(["--noheader", "--states=all", "--format=%i|%T|%r"])
        .arg(format!("--jobs={}", ids.join(",")))
        .output()
        .map_err(|e| format!("cannot run squeue: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One id the controller no longer knows makes squeue fail.
    if !out.status.success() && !stderr.contains("Invalid job id") {
        return Err(stderr.trim().to_string());
    }
    Ok(parse_squeue(&String::from_utf8_lossy(&out.stdout)))
}

/// Reads `squeue --format=%i|%T|%r` lines.
pub fn parse_squeue(text: &str) -> HashMap<String, JobEnd> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.trim().splitn(3, '|');
            let id = parts.next()?.trim();
            let state = parts.next()?.trim();
            let reason = parts.next().unwrap_or("").trim();
            (!id.is_empty()).then(|| {
                (
                    id.to_string(),
                    JobEnd {
                        state: state.to_string(),
                        reason: if reason == "None" {
                            String::new()
                        } else {
                            reason.to_string()
                        },
                    },
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_lines_are_read() {
        let seen = parse_squeue("12|RUNNING|None\n13|TIMEOUT|TimeLimit\n\n");
        assert_eq!(seen["12"].state, "RUNNING");
        assert_eq!(seen["12"].reason, "");
        assert_eq!(seen["13"].reason, "TimeLimit");
        assert!(is_final("TIMEOUT") && !is_final("COMPLETING") && !is_final("PENDING"));
    }
}
