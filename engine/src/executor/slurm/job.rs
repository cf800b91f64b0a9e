//! One job: its directory under `work_dir`, the script, the payload file,
//! submission with `sbatch`, cancellation with `scancel`, and reading its
//! result back (SPEC R35).
//!
//! What crosses to the job: the program and its arguments travel in the
//! job's environment (`FLOWTOY_ARGC`, `FLOWTOY_ARG_<n>`, unset by the
//! script before the program starts), together with the step's `env` and
//! the environment of flowtoy itself (`sbatch --export=ALL`); the payload
//! for standard input in a file only the user can read. The script holds no
//! value of the step — only the directory and the step's name — so a
//! secret never lands in it, nor in the job's name.

use flowtoy_provider_process::CommandLine;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

/// Job directories made by this process so far.
static JOBS_MADE: AtomicU64 = AtomicU64::new(0);

/// The files of one job, in its own directory under `work_dir`.
#[derive(Debug)]
pub struct JobFiles {
    /// The job's directory.
    pub dir: PathBuf,
}

/// What a job left behind: its program's output and exit code, if it got
/// as far as writing one.
#[derive(Debug, Default)]
pub struct JobOutput {
    /// Standard output (at most the cap).
    pub stdout: Vec<u8>,
    /// Standard error (at most the cap).
    pub stderr: Vec<u8>,
    /// True when either was longer than the cap.
    pub truncated: bool,
    /// The program's exit code, when the script wrote it.
    pub returncode: Option<i64>,
    /// What Slurm itself wrote for the job (its own errors).
    pub slurm_log: String,
}

/// `text` in single quotes for `bash`.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A job name from a step name: letters, digits, `-`, `_` and `.` only.
pub fn job_name(step: &str) -> String {
    let clean: String = step
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    format!("flowtoy-{clean}")
}

/// The batch script: runs the program whose arguments come in the
/// environment, with its input and output in `dir`.
fn script(dir: &Path, step: &str, stdin: bool) -> String {
    let dir = quoted(&dir.to_string_lossy());
    let input = if stdin {
        "\"$dir/payload\""
    } else {
        "/dev/null"
    };
    format!(
        "#!/bin/bash\n\
         # flowtoy job of step {step:?}. The program, its arguments and its environment\n\
         # come with the job's environment; its input is the file `payload`.\n\
         dir={dir}\n\
         args=()\n\
         for ((i = 0; i < FLOWTOY_ARGC; i++)); do\n\
         \x20 name=\"FLOWTOY_ARG_$i\"\n\
         \x20 args+=(\"${{!name}}\")\n\
         \x20 unset \"$name\"\n\
         done\n\
         unset FLOWTOY_ARGC\n\
         \"${{args[@]}}\" <{input} >\"$dir/stdout\" 2>\"$dir/stderr\"\n\
         code=$?\n\
         echo \"$code\" >\"$dir/returncode.part\" && mv \"$dir/returncode.part\" \"$dir/returncode\"\n\
         exit \"$code\"\n"
    )
}

impl JobFiles {
    /// Makes the job's directory (mode 0700) under `work_dir` and writes its
    /// script and, when there is one, its payload (mode 0600).
    pub fn write(work_dir: &Path, step: &str, line: &CommandLine) -> Result<JobFiles, String> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(work_dir)
            .map_err(|e| format!("cannot make work_dir {}: {e}", work_dir.display()))?;
        let n = JOBS_MADE.fetch_add(1, Ordering::SeqCst);
        let name = job_name(step);
        let dir = work_dir.join(format!("{name}.{}.{n}", std::process::id()));
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot make the job directory {}: {e}", dir.display()))?;
        let files = JobFiles { dir };
        let write = |file: &str, text: &str, mode: u32| -> Result<(), String> {
            let path = files.dir.join(file);
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            f.write_all(text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        write(
            "job.sh",
            &script(&files.dir, step, line.stdin.is_some()),
            0o700,
        )?;
        if let Some(stdin) = &line.stdin {
            write("payload", stdin, 0o600)?;
        }
        Ok(files)
    }

    /// Submits the job; returns its id.
    pub fn submit(
        &self,
        step: &str,
        line: &CommandLine,
        env: &[(String, String)],
        cwd: &Path,
        options: &[String],
    ) -> Result<String, String> {
        let mut cmd = Command::new("sbatch");
        cmd.arg("--parsable")
            .arg(format!("--job-name={}", job_name(step)))
            .arg(format!("--output={}", self.dir.join("slurm.out").display()))
            .arg(format!("--chdir={}", cwd.display()))
            .arg("--export=ALL")
            .args(options)
            .arg(self.dir.join("job.sh"))
            .env("FLOWTOY_ARGC", line.argv.len().to_string());
        for (i, arg) in line.argv.iter().enumerate() {
            cmd.env(format!("FLOWTOY_ARG_{i}"), arg);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run sbatch: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "sbatch refused the job: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        // `--parsable` prints `id` or `id;cluster`.
        let text = String::from_utf8_lossy(&out.stdout);
        let id = text.trim().split(';').next().unwrap_or("").to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return Err(format!("sbatch answered with no job id: {:?}", text.trim()));
        }
        Ok(id)
    }

    /// Removes the payload (it may hold secret values) as soon as the job has
    /// ended.
    pub fn remove_payload(&self) {
        let _ = fs::remove_file(self.dir.join("payload"));
    }

    /// Reads what the job left, each output at most `cap` bytes.
    pub fn read(&self, cap: usize) -> JobOutput {
        let mut truncated = false;
        let mut capped = |file: &str| -> Vec<u8> {
            let mut bytes = Vec::new();
            if let Ok(f) = fs::File::open(self.dir.join(file)) {
                let _ = f.take(cap as u64 + 1).read_to_end(&mut bytes);
            }
            if bytes.len() > cap {
                bytes.truncate(cap);
                truncated = true;
            }
            bytes
        };
        let stdout = capped("stdout");
        let stderr = capped("stderr");
        let returncode = fs::read_to_string(self.dir.join("returncode"))
            .ok()
            .and_then(|t| t.trim().parse().ok());
        let slurm_log = fs::read_to_string(self.dir.join("slurm.out")).unwrap_or_default();
        JobOutput {
            stdout,
            stderr,
            truncated,
            returncode,
            slurm_log,
        }
    }

    /// True once the script has written the exit code.
    pub fn has_returncode(&self) -> bool {
        self.dir.join("returncode").exists()
    }

    /// Removes the job's directory and all in it.
    pub fn remove(&self) {
        if let Err(e) = fs::remove_dir_all(&self.dir) {
            tracing::debug!("cannot remove {}: {e}", self.dir.display());
        }
    }
}

/// Cancels jobs with one `scancel`.
pub fn cancel(ids: &[&str]) -> Result<(), String> {
    let out = Command::new("scancel")
        .args(ids)
        .output()
        .map_err(|e| format!("cannot run scancel: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_hold_no_values_of_the_step() {
        let text = script(Path::new("/w/it's"), "fit", true);
        assert!(text.contains("dir='/w/it'\\''s'"), "{text}");
        assert!(text.contains("<\"$dir/payload\""), "{text}");
        assert!(script(Path::new("/w"), "fit", false).contains("</dev/null"));
        assert_eq!(job_name("a b/c"), "flowtoy-a_b_c");
    }

    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let line = CommandLine {
            argv: vec!["cat".into()],
            stdin: Some("hunter2".into()),
        };
        let job = JobFiles::write(dir.path(), "s", &line).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&job.dir), 0o700);
        assert_eq!(mode(&job.dir.join("payload")), 0o600);
        assert!(!fs::read_to_string(job.dir.join("job.sh"))
            .unwrap()
            .contains("hunter2"));
        job.remove_payload();
        assert!(!job.dir.join("payload").exists());
        job.remove();
        assert!(!job.dir.exists());
    }
}
