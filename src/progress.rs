//! Progress on stderr while a run goes on (SPEC R17): a live line on a
//! terminal, plain log lines otherwise. Fed by the runner's events, so its
//! cost per step does not depend on the number of steps.

use flowtoy::runner::{RunEvent, StepState, StepStatus};
use flowtoy::LocalRunner;
use indexmap::IndexSet;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// The running progress printer.
pub struct Progress {
    task: JoinHandle<()>,
}

impl Progress {
    /// Waits until the printer has shown the run's end.
    pub async fn finish(self) {
        let _ = self.task.await;
    }
}

enum Display {
    Bar(ProgressBar),
    Lines,
}

impl Display {
    fn line(&self, text: String) {
        match self {
            Display::Bar(bar) => bar.println(text),
            Display::Lines => eprintln!("{text}"),
        }
    }
}

fn duration(step: &StepStatus) -> String {
    match (step.started_at, step.ended_at) {
        (Some(a), Some(b)) => format!(" ({:.2}s)", b - a),
        _ => String::new(),
    }
}

/// Starts printing progress for `runner` (call before it runs).
pub fn spawn(runner: &LocalRunner) -> Progress {
    let mut events = runner.subscribe();
    let total = runner.steps().len();
    let display = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Display::Bar(bar)
    } else {
        Display::Lines
    };
    let task = tokio::spawn(async move {
        let mut running: IndexSet<String> = IndexSet::new();
        let mut done = 0usize;
        loop {
            let step = match events.recv().await {
                Ok(RunEvent::Step(step)) => step,
                Ok(RunEvent::RunEnded { .. }) | Err(RecvError::Closed) => break,
                Err(RecvError::Lagged(_)) => continue,
            };
            if step.state.is_final() {
                done += 1;
                running.shift_remove(&step.name);
            }
            let text = match step.state {
                StepState::Pending => continue,
                StepState::Running => {
                    running.insert(step.name.clone());
                    format!("[{done}/{total}] ▶ {} started", step.name)
                }
                StepState::Succeeded => format!(
                    "[{done}/{total}] ✓ {} succeeded{}",
                    step.name,
                    duration(&step)
                ),
                StepState::Failed => format!(
                    "[{done}/{total}] ✗ {} failed{}: {}",
                    step.name,
                    duration(&step),
                    step.error.as_deref().unwrap_or("")
                ),
                StepState::Skipped => format!(
                    "[{done}/{total}] ⊘ {} {}",
                    step.name,
                    step.error.as_deref().unwrap_or("skipped")
                ),
            };
            match &display {
                Display::Bar(bar) => {
                    bar.set_position(done as u64);
                    let names: Vec<&str> = running.iter().map(String::as_str).take(5).collect();
                    bar.set_message(if names.is_empty() {
                        String::new()
                    } else {
                        format!("running: {}", names.join(", "))
                    });
                    if matches!(step.state, StepState::Failed) {
                        display.line(text);
                    }
                }
                Display::Lines => display.line(text),
            }
        }
        if let Display::Bar(bar) = display {
            bar.finish_and_clear();
        }
    });
    Progress { task }
}
