//! [`InProcessSource`]: the TUI reading a runner of this process directly
//! (`flowtoy tui CONFIG...`). The status document is taken from a snapshot
//! and the outputs from the shared store, the same types the status API
//! serializes; changes come from [`LocalRunner::subscribe`]. No HTTP, no
//! JSON text, no server needed.

use super::source::{EventWatcher, Fetched, StatusSource};
use crate::runner::{LocalRunner, RunEvent, StatusReply, StepDetails};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// A runner in this process, read without going through the status API.
#[derive(Debug, Clone)]
pub struct InProcessSource {
    runner: Arc<LocalRunner>,
    label: String,
}

impl InProcessSource {
    /// A source for `runner`.
    pub fn new(runner: Arc<LocalRunner>) -> Self {
        InProcessSource {
            runner,
            label: "this process".into(),
        }
    }

    /// Shows `label` in the header instead of "this process" (e.g. where
    /// the status API is served for others).
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }
}

impl StatusSource for InProcessSource {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn fetch(&mut self) -> Result<Fetched, String> {
        let status = StatusReply::Run(self.runner.status().document().into_owned());
        let outputs = serde_json::to_value(self.runner.outputs())
            .map_err(|e| format!("cannot read the run's outputs: {e}"))?;
        Ok(Fetched { status, outputs })
    }

    fn details(&mut self, name: &str) -> Result<StepDetails, String> {
        self.runner
            .step_details(name)
            .ok_or_else(|| format!("the flow has no step named '{name}'"))
    }

    fn watcher(&self) -> Option<Box<dyn EventWatcher>> {
        Some(Box::new(RunEventWatcher {
            events: self.runner.subscribe(),
        }))
    }
}

/// Reports each [`RunEvent`] of the runner as a change. It holds the
/// receiver only, not the runner, so it never keeps a runner alive; once
/// the runner is gone the stream ends.
struct RunEventWatcher {
    events: broadcast::Receiver<RunEvent>,
}

impl EventWatcher for RunEventWatcher {
    fn watch(&mut self, changed: &mut dyn FnMut() -> bool) -> Result<(), String> {
        if !changed() {
            return Ok(());
        }
        loop {
            match self.events.blocking_recv() {
                // Fell behind: one fetch catches up with all that was missed.
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    if !changed() {
                        return Ok(());
                    }
                }
                Err(RecvError::Closed) => return Err("the run is gone".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    const FLOW: &str = r#"
flow:
  - name: hello
    source: {type: process, configuration: {command: [echo, '{"greeting": "hi"}']}}
    output: [{name: greeting, type: jmespath, value: greeting}]
  - name: broken
    source: {type: process, configuration: {command: [sh, -c, "exit 3"]}}
    on_error: skip
"#;

    fn runner() -> Arc<LocalRunner> {
        let config = crate::config::load_yaml_str("flow.yaml", FLOW).expect("valid flow");
        Arc::new(LocalRunner::new(config))
    }

    /// No server is started anywhere in this test: the source reads the
    /// runner itself, so the TUI's all-in-one path needs no HTTP.
    #[test]
    fn reads_a_runner_with_no_server_at_all() {
        let runner = runner();
        let mut source = InProcessSource::new(Arc::clone(&runner));
        assert_eq!(StatusSource::label(&source), "this process");

        let before = source.fetch().expect("fetch before the run");
        let StatusReply::Run(before) = before.status else {
            panic!("a run")
        };
        assert_eq!((before.total_steps, before.completed_steps), (2, 0));

        let mut watcher = source.watcher().expect("in-process sources watch");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut calls = 0;
            // Connected, then hello running and succeeded, broken running.
            let result = watcher.watch(&mut || {
                calls += 1;
                calls < 4
            });
            let _ = tx.send((calls, result));
        });
        runner.run().expect("run");
        let (calls, result) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("events arrive");
        assert_eq!((calls, result), (4, Ok(())));

        let after = source.fetch().expect("fetch after the run");
        assert_eq!(
            after.outputs,
            serde_json::json!({"hello": {"greeting": "hi"}})
        );
        assert_eq!(
            after.status,
            StatusReply::Run(runner.status().document().into_owned())
        );
        let StatusReply::Run(run) = after.status else {
            panic!("a run")
        };
        assert!(run.is_finished());
        assert_eq!(
            run.steps.get("broken").and_then(|s| s.error()).as_deref(),
            Some("process exited with code 3")
        );
    }

    #[test]
    fn the_watch_ends_when_the_runner_is_gone() {
        let runner = runner();
        let mut watcher = InProcessSource::new(Arc::clone(&runner))
            .watcher()
            .expect("a watcher");
        drop(runner);
        let mut calls = 0;
        let result = watcher.watch(&mut || {
            calls += 1;
            true
        });
        assert_eq!(calls, 1);
        assert_eq!(result, Err("the run is gone".to_string()));
    }
}
