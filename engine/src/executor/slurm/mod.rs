//! The `slurm` executor (SPEC R35): runs `process` steps as batch jobs on a
//! Slurm cluster.
//!
//! A call becomes one job: the step's `process` configuration is read by
//! the process provider's own parser and turned into the same command line
//! (command, arguments, payload for standard input, `cwd`, `env`); the job
//! files are written under `work_dir` (`job.rs`) and the job is submitted
//! with `sbatch`. The call then waits for the [`Watcher`], which asks the
//! cluster about every job in flight with one `squeue` per interval. When
//! the job has ended, its output files are read back into the process
//! provider's result (`{data, meta}`), plus `meta.job_id`; a job the cluster
//! killed fails the step with the cluster's reason. A cancelled call (the
//! step's `timeout`, Ctrl-C, a `fail` halt) cancels its job with `scancel`.
//!
//! Why `sbatch`/`squeue`/`scancel` and not `slurmrestd`: the commands are on
//! every login node and speak to any Slurm version alike, while
//! `slurmrestd` is an extra daemon most sites do not run for users, needs
//! JWT authentication set up, and changes its API version with Slurm
//! releases.

mod config;
mod job;
mod watcher;

pub use config::SlurmConfig;
pub use watcher::{JobEnd, Watcher};

use flowtoy_plugin_api::{
    CallContext, Executor, ExecutorJob, ExecutorType, ProviderInfo, ProviderResult,
};
use flowtoy_provider_process::{exit_failure, fail, program_result, truncated_note, ProcessConfig};
use job::JobFiles;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a waiting call looks at the cancellation flag.
const CANCEL_CHECK: Duration = Duration::from_millis(100);
/// How long a cancelled call waits for the cluster to confirm its job ended.
const CANCEL_GRACE: Duration = Duration::from_secs(15);
/// How long a job that ended may take to show its exit code on a shared
/// file system (attribute caches of NFS).
const RESULT_GRACE: Duration = Duration::from_secs(5);

/// The `slurm` executor type.
pub struct SlurmExecutorType;

impl ExecutorType for SlurmExecutorType {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "slurm",
            "runs process steps as batch jobs on a Slurm cluster",
            env!("CARGO_PKG_VERSION"),
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String> {
        let config = SlurmConfig::parse(configuration)?;
        let watcher = Watcher::new(config.poll_interval);
        Ok(Box::new(SlurmExecutor { config, watcher }))
    }
}

/// A configured `slurm` executor and the watcher of its jobs.
pub struct SlurmExecutor {
    config: SlurmConfig,
    watcher: Arc<Watcher>,
}

/// Why a call stopped waiting for its job.
enum Stop {
    /// The job ended by itself.
    Ended(JobEnd),
    /// The call was cancelled (or the process configuration's `timeout`
    /// passed): the job was cancelled.
    Cancelled { timeout: bool },
}

impl Executor for SlurmExecutor {
    fn accepts(&self, provider_type: &str) -> Result<(), String> {
        if provider_type == "process" {
            Ok(())
        } else {
            Err(format!(
                "it runs only `process` steps as batch jobs, and this step calls '{provider_type}'; \
                 give the step `executor: {{type: local}}` or use a process source"
            ))
        }
    }

    fn max_in_flight(&self) -> Option<usize> {
        Some(self.config.max_jobs)
    }

    fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
        self.accepts(&job.provider_type)?;
        let process = ProcessConfig::parse(&job.configuration)?;
        let line = process.command_line(&job.payload)?;
        if ctx.is_cancelled() {
            return Ok(ProviderResult::failed(
                "cancelled before its job was submitted",
            ));
        }
        // The job starts where the program would start here: `cwd`, taken
        // from this process's directory when relative (the file system is
        // shared).
        let here = std::env::current_dir().map_err(|e| format!("no current directory: {e}"))?;
        let cwd = match &process.cwd {
            Some(dir) => here.join(dir),
            None => here,
        };
        let step = ctx.step();
        let files = JobFiles::write(&self.config.work_dir, step, &line)?;
        let submitted = files.submit(
            step,
            &line,
            &process.env,
            &cwd,
            &self.config.sbatch_options(),
        );
        let id = match submitted {
            Ok(id) => id,
            Err(e) => {
                files.remove();
                return Err(e);
            }
        };
        ctx.report_job_id(&id);
        tracing::info!(step, job_id = %id, "submitted to Slurm as job {id}");
        let stop = self.wait(&id, process.timeout, ctx);
        files.remove_payload();
        let result = match stop {
            Stop::Ended(end) => self.ended(&files, &id, &end, &process),
            Stop::Cancelled { timeout } => {
                let output = files.read(process.max_output_bytes);
                let mut result = failed_job(&id, &output, "CANCELLED");
                result.status.notes =
                    vec![if timeout { "timeout" } else { "cancelled" }.to_string()];
                if timeout {
                    result.meta.insert("timeout".into(), Value::Bool(true));
                }
                result
            }
        };
        files.remove();
        Ok(result)
    }
}

impl SlurmExecutor {
    /// Waits for job `id` to end; cancels it when the call is cancelled or
    /// `timeout` passes.
    fn wait(&self, id: &str, timeout: Option<Duration>, ctx: &CallContext) -> Stop {
        let slot = self.watcher.watch(id);
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if let Some(end) = slot.wait(CANCEL_CHECK) {
                return Stop::Ended(end);
            }
            let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
            if timed_out || ctx.is_cancelled() {
                tracing::info!(step = ctx.step(), "cancelling Slurm job {id}");
                if let Err(e) = job::cancel(&[id]) {
                    tracing::warn!(step = ctx.step(), "scancel {id} failed: {e}");
                }
                // The cluster confirms the end; a call does not wait forever.
                if slot.wait(CANCEL_GRACE).is_none() {
                    self.watcher.forget(id);
                    tracing::warn!(
                        step = ctx.step(),
                        "Slurm job {id} was cancelled but still shows as {}",
                        slot.last_state()
                    );
                }
                return Stop::Cancelled { timeout: timed_out };
            }
        }
    }

    /// The result of a job that ended by itself.
    fn ended(
        &self,
        files: &JobFiles,
        id: &str,
        end: &JobEnd,
        process: &ProcessConfig,
    ) -> ProviderResult {
        let ran_to_the_end = matches!(end.state.as_str(), "COMPLETED" | "FAILED" | "VANISHED");
        if ran_to_the_end {
            let since = Instant::now();
            while !files.has_returncode() && since.elapsed() < RESULT_GRACE {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let output = files.read(process.max_output_bytes);
        match output.returncode {
            Some(code) if ran_to_the_end => {
                let mut result = program_result(&output.stdout, &output.stderr, Some(code))
                    .with_meta("job_id", Value::String(id.to_string()));
                if output.truncated {
                    fail(&mut result, truncated_note(process.max_output_bytes));
                    result.meta.insert("truncated".into(), Value::Bool(true));
                } else if let Some(note) = exit_failure(i32::try_from(code).ok(), None) {
                    fail(&mut result, note);
                }
                result
            }
            _ => {
                let mut result = failed_job(id, &output, &end.state);
                fail(&mut result, cluster_reason(id, end, &output.slurm_log));
                result
            }
        }
    }
}

/// The failed result of a job whose program did not finish: what it wrote
/// so far, no exit code, the job's id and state.
fn failed_job(id: &str, output: &job::JobOutput, state: &str) -> ProviderResult {
    program_result(b"", &output.stderr, None)
        .with_meta("job_id", Value::String(id.to_string()))
        .with_meta("slurm_state", Value::String(state.to_string()))
}

/// What the cluster said about a job that ended without its program
/// finishing: time limit, out of memory, node failure, cancelled by someone
/// else, or Slurm's own message.
fn cluster_reason(id: &str, end: &JobEnd, slurm_log: &str) -> String {
    let what = match end.state.as_str() {
        "TIMEOUT" => "the cluster killed it at its time limit (time_limit)".to_string(),
        "OUT_OF_MEMORY" => "the cluster killed it: out of memory (mem)".to_string(),
        "NODE_FAIL" => "its node failed".to_string(),
        "CANCELLED" => {
            "it was cancelled outside flowtoy (scancel by a user or an administrator)".to_string()
        }
        "PREEMPTED" => "the cluster preempted it".to_string(),
        "BOOT_FAIL" => "its node failed to boot".to_string(),
        "DEADLINE" => "it missed its deadline".to_string(),
        "VANISHED" => "the cluster no longer knows it and it left no exit code".to_string(),
        "COMPLETED" | "FAILED" => {
            "its program never ran to the end (no exit code written)".to_string()
        }
        other => format!("it ended {other}"),
    };
    let mut note = format!("Slurm job {id} failed: {what} [{}", end.state);
    if !end.reason.is_empty() {
        note.push_str(&format!(", {}", end.reason));
    }
    note.push(']');
    let said: Vec<&str> = slurm_log
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(last) = said.last() {
        note.push_str(&format!("; Slurm said: {last}"));
    }
    note
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_process_steps_are_accepted() {
        let e = SlurmExecutorType
            .create(&json!({"work_dir": "/tmp/x"}))
            .unwrap();
        assert!(e.accepts("process").is_ok());
        assert!(e
            .accepts("rest")
            .unwrap_err()
            .contains("only `process` steps"));
        assert_eq!(e.max_in_flight(), Some(config::DEFAULT_MAX_JOBS));
    }

    #[test]
    fn the_clusters_reason_is_told() {
        let end = JobEnd {
            state: "TIMEOUT".into(),
            reason: "TimeLimit".into(),
        };
        let note = cluster_reason(
            "7",
            &end,
            "slurmstepd: error: *** JOB 7 ON vm CANCELLED AT 2026 DUE TO TIME LIMIT ***\n",
        );
        assert!(
            note.starts_with("Slurm job 7 failed: the cluster killed it at its time limit"),
            "{note}"
        );
        assert!(note.contains("[TIMEOUT, TimeLimit]"), "{note}");
        assert!(note.contains("DUE TO TIME LIMIT"), "{note}");
    }
}
