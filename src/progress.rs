//! Progress on stderr while a run goes on (SPEC R17): a live line on a
//! terminal, plain log lines otherwise. Fed by the runner's events, so its
//! cost per step does not depend on the number of steps; plain lines are
//! written in batches.

use flowtoy::runner::{RunEvent, StepState, StepStatus};
use flowtoy::LocalRunner;
use indexmap::IndexMap;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
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

    /// Stops the printer where it is (the run ended without its end event).
    pub fn stop(self) {
        self.task.abort();
    }
}

enum Display {
    Bar(ProgressBar),
    Lines(std::io::BufWriter<std::io::Stderr>),
}

struct Printer {
    display: Display,
    /// Running steps, with the try each is on.
    running: IndexMap<String, u32>,
    done: usize,
    total: usize,
}

fn duration(step: &StepStatus) -> String {
    match (step.started_at, step.ended_at) {
        (Some(a), Some(b)) => format!(" ({:.2}s)", b - a),
        _ => String::new(),
    }
}

impl Printer {
    fn new(total: usize) -> Self {
        let display = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            Display::Bar(bar)
        } else {
            Display::Lines(std::io::BufWriter::new(std::io::stderr()))
        };
        Printer {
            display,
            running: IndexMap::new(),
            done: 0,
            total,
        }
    }

    /// Shows one step change.
    fn step(&mut self, step: &StepStatus) {
        let (done, total) = (self.done + usize::from(step.state.is_final()), self.total);
        self.done = done;
        let text = match step.state {
            StepState::Pending => return,
            StepState::Running => {
                let attempt = step.attempt.unwrap_or(1);
                match self.running.insert(step.name.clone(), attempt) {
                    None => match step.items {
                        Some(items) => format!(
                            "[{done}/{total}] ▶ {} started over {} items",
                            step.name, items.total
                        ),
                        None => format!("[{done}/{total}] ▶ {} started", step.name),
                    },
                    // A retry: say so once per try.
                    Some(before) if attempt > before => {
                        format!("[{done}/{total}] ↻ {} try {attempt}", step.name)
                    }
                    // Item counts changed: the bar shows them, lines do not.
                    Some(_) => {
                        if let Display::Bar(bar) = &self.display {
                            bar.set_message(self.running_message());
                        }
                        return;
                    }
                }
            }
            StepState::Succeeded => format!(
                "[{done}/{total}] ✓ {} succeeded{}",
                step.name,
                duration(step)
            ),
            StepState::Failed => format!(
                "[{done}/{total}] ✗ {} failed{}: {}",
                step.name,
                duration(step),
                step.error.as_deref().unwrap_or("")
            ),
            StepState::Skipped => {
                format!(
                    "[{done}/{total}] ⊘ {} {}",
                    step.name,
                    step.error.as_deref().unwrap_or("skipped")
                )
            }
            _ => return,
        };
        if step.state.is_final() {
            self.running.shift_remove(&step.name);
        }
        // Only the bar shows which steps run (thousands of lines would
        // each build the list for nothing).
        let message = matches!(self.display, Display::Bar(_)).then(|| self.running_message());
        match &mut self.display {
            Display::Bar(bar) => {
                bar.set_position(done as u64);
                bar.set_message(message.unwrap_or_default());
                if step.state == StepState::Failed {
                    bar.println(text);
                }
            }
            Display::Lines(out) => {
                let _ = writeln!(out, "{text}");
            }
        }
    }

    /// `running: a, b` for the live line.
    fn running_message(&self) -> String {
        let names: Vec<&str> = self.running.keys().map(String::as_str).take(5).collect();
        if names.is_empty() {
            String::new()
        } else {
            format!("running: {}", names.join(", "))
        }
    }

    fn flush(&mut self) {
        if let Display::Lines(out) = &mut self.display {
            let _ = out.flush();
        }
    }

    fn finish(mut self) {
        self.flush();
        if let Display::Bar(bar) = self.display {
            bar.finish_and_clear();
        }
    }
}

/// Starts printing progress for `runner` (call before it runs).
pub fn spawn(runner: &LocalRunner) -> Progress {
    let mut events = runner.subscribe();
    let mut printer = Printer::new(runner.steps().len());
    // Steps reused from an earlier run (`resume`) are done before the start.
    printer.done = runner
        .status()
        .steps
        .iter()
        .filter(|s| s.state.is_final())
        .count();
    let task = tokio::spawn(async move {
        'run: loop {
            let mut next = match events.recv().await {
                Ok(event) => Some(event),
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => break,
            };
            // Everything already waiting is printed in one batch.
            loop {
                match next {
                    Some(RunEvent::Step(step)) => printer.step(&step),
                    Some(RunEvent::RunEnded { .. }) => break 'run,
                    Some(_) | None => {}
                }
                next = match events.try_recv() {
                    Ok(event) => Some(event),
                    Err(TryRecvError::Lagged(_)) => None,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Closed) => break 'run,
                };
            }
            printer.flush();
        }
        printer.finish();
    });
    Progress { task }
}
