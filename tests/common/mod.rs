//! A small builder for end-to-end tests of the `flowtoy` binary: write files
//! into a temp dir, run the binary there, check what it did.
//!
//! ```ignore
//! let out = Test::new().file("f.yaml", "flow: ...").args(["run", "-j", "f.yaml"]).run();
//! out.success().stdout_json();
//! ```

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

/// The path of the built `flowtoy` binary.
pub fn flowtoy_bin() -> &'static str {
    env!("CARGO_BIN_EXE_flowtoy")
}

/// One test case: a temp dir with files, and the command to run there.
pub struct Test {
    pub dir: Arc<tempfile::TempDir>,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    pub fn new() -> Self {
        Test {
            dir: Arc::new(tempfile::tempdir().expect("temp dir")),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Writes `content` to `name` (relative to the temp dir), making parent dirs.
    pub fn file(self, name: &str, content: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dirs");
        }
        std::fs::write(&path, content).expect("write file");
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The command, ready to spawn (for tests that signal it).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(flowtoy_bin());
        cmd.args(&self.args)
            .current_dir(self.dir.path())
            .env_remove("FLOWTOY_PLUGIN_PATH")
            .env("FLOWTOY_STATE_DIR", self.dir.path().join(".flowtoy-state"));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self) -> Outcome {
        self.run_with(std::iter::empty::<String>())
    }

    /// Runs the binary with `extra` arguments after the builder's, keeping the
    /// files, so one test dir can be run several ways.
    pub fn run_with<I, S>(&self, extra: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.command();
        cmd.args(extra);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let output = cmd.output().expect("run flowtoy");
        Outcome {
            output,
            dir: self.dir.path().to_path_buf(),
            _keep: Arc::clone(&self.dir),
        }
    }
}

/// What one run of the binary did.
pub struct Outcome {
    pub output: Output,
    pub dir: PathBuf,
    /// Keeps the temp dir alive as long as the outcome is looked at.
    _keep: Arc<tempfile::TempDir>,
}

impl Outcome {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, showing stderr when it differs.
    pub fn code_is(&self, code: i32) -> &Self {
        assert_eq!(
            self.code(),
            code,
            "exit code\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    pub fn success(&self) -> &Self {
        self.code_is(0)
    }

    /// Stdout parsed as JSON.
    pub fn stdout_json(&self) -> Value {
        serde_json::from_str(&self.stdout()).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n--- stderr ---\n{}",
                self.stdout(),
                self.stderr()
            )
        })
    }

    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr().contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr()
        );
        self
    }

    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout().contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.stdout()
        );
        self
    }

    /// Asserts that nothing looks like a Rust panic or backtrace.
    pub fn no_panic(&self) -> &Self {
        let err = self.stderr();
        assert!(
            !err.contains("panicked at") && !err.contains("RUST_BACKTRACE"),
            "panic:\n{err}"
        );
        self
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).expect("read file")
    }
}

/// True while process `pid` runs (a zombie has exited: it only waits to be reaped).
pub fn process_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| !s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z')))
        .unwrap_or(false)
}

pub mod http_server;
pub mod own_process;
pub mod slurm;
