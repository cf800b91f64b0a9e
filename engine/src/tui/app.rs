//! The TUI's state: the last status document and outputs received, the
//! connection, the focused panel and each panel's scroll position.
//! Rendering reads it; keys and updates change it.

use super::details::DetailsView;
use super::format::Clock;
use crate::runner::{StatusDocument, StatusReply, StepDetails};
use serde_json::Value;

/// The panels that can have the focus, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Panel {
    /// The step table.
    Steps,
    /// The outputs as pretty JSON.
    Outputs,
    /// The captured log lines (only with `--show-logs`).
    Logs,
}

impl Panel {
    fn index(self) -> usize {
        match self {
            Panel::Steps => 0,
            Panel::Outputs => 1,
            Panel::Logs => 2,
        }
    }
}

/// How the status source is doing.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Connection {
    /// Nothing received yet.
    Connecting,
    /// The last fetch worked.
    Live,
    /// The last fetch failed; the source keeps retrying.
    Unreachable {
        /// What went wrong, for people.
        error: String,
        /// Failed fetches in a row.
        attempts: u32,
    },
}

/// Something the status source delivered.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Update {
    /// A fresh status and outputs pair.
    Snapshot {
        /// The status document (SPEC R19), or that there is no runner.
        status: StatusReply<'static>,
        /// The outputs mapping.
        outputs: Value,
    },
    /// A fetch failed; the message says why and where.
    Failed(String),
    /// The details of a step (`Enter` on its row), or why they could not
    /// be fetched.
    Details {
        /// The step.
        name: String,
        /// Its details, or what went wrong (boxed: the document is large).
        details: Box<Result<StepDetails, String>>,
    },
}

/// Everything the TUI shows.
#[derive(Debug, Clone)]
pub struct App {
    /// Where the data comes from, e.g. `remote http://127.0.0.1:8000`.
    pub source_label: String,
    /// The last run status received.
    pub run: Option<StatusDocument<'static>>,
    /// The server said it has no runner attached.
    pub no_runner: bool,
    /// The outputs mapping (`{}` before any step succeeds).
    pub outputs: Value,
    /// The outputs as pretty JSON lines (kept in step with `outputs`).
    pub output_lines: Vec<String>,
    /// Log lines when the logs panel is on (`--show-logs`).
    pub logs: Option<Vec<String>>,
    /// The source's health.
    pub connection: Connection,
    /// The focused panel.
    pub focus: Panel,
    /// Time now, seconds since the epoch (running durations, elapsed).
    pub now: f64,
    /// How start times are shown.
    pub clock: Clock,
    /// Set when the user asked to quit.
    pub quit: bool,
    /// The open step details view (`Enter` on a step), if any.
    pub details: Option<DetailsView>,
    /// The selected row of the steps panel.
    selected: usize,
    scroll: [usize; 3],
    viewport: [usize; 3],
}

impl App {
    /// A fresh state for `source_label`; `show_logs` adds the logs panel.
    pub fn new(source_label: impl Into<String>, show_logs: bool) -> Self {
        App {
            source_label: source_label.into(),
            run: None,
            no_runner: false,
            outputs: Value::Object(Default::default()),
            output_lines: vec!["{}".into()],
            logs: show_logs.then(Vec::new),
            connection: Connection::Connecting,
            focus: Panel::Steps,
            now: 0.0,
            clock: Clock::Local,
            quit: false,
            details: None,
            selected: 0,
            scroll: [0; 3],
            viewport: [10; 3],
        }
    }

    /// Takes in what the source delivered.
    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Snapshot { status, outputs } => {
                match status {
                    StatusReply::Run(run) => {
                        self.run = Some(run);
                        self.no_runner = false;
                        self.set_outputs(outputs);
                    }
                    StatusReply::NoRunner => self.no_runner = true,
                }
                self.connection = Connection::Live;
            }
            Update::Failed(error) => self.failed(error),
            Update::Details { name, details } => {
                if let Some(view) = &mut self.details {
                    view.apply(&name, *details);
                }
            }
        }
        self.clamp_scroll();
    }

    fn failed(&mut self, error: String) {
        let attempts = match &self.connection {
            Connection::Unreachable { attempts, .. } => attempts + 1,
            _ => 1,
        };
        self.connection = Connection::Unreachable { error, attempts };
    }

    fn set_outputs(&mut self, outputs: Value) {
        if outputs != self.outputs {
            self.output_lines = serde_json::to_string_pretty(&outputs)
                .unwrap_or_else(|e| format!("(cannot show the outputs: {e})"))
                .lines()
                .map(String::from)
                .collect();
            self.outputs = outputs;
        }
    }

    /// Replaces the log lines (ignored when the logs panel is off).
    pub fn set_logs(&mut self, lines: Vec<String>) {
        if let Some(logs) = &mut self.logs {
            *logs = lines;
            self.clamp_scroll();
        }
    }

    /// The panels shown, in `Tab` order.
    pub fn panels(&self) -> Vec<Panel> {
        let mut panels = vec![Panel::Steps, Panel::Outputs];
        if self.logs.is_some() {
            panels.push(Panel::Logs);
        }
        panels
    }

    /// Moves the focus to the next panel, wrapping around.
    pub fn focus_next(&mut self) {
        let panels = self.panels();
        let at = panels.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = panels[(at + 1) % panels.len()];
    }

    /// How many lines `panel` holds.
    pub fn content_len(&self, panel: Panel) -> usize {
        match panel {
            Panel::Steps => self.run.as_ref().map_or(0, |r| r.steps.len()),
            Panel::Outputs => self.output_lines.len(),
            Panel::Logs => self.logs.as_ref().map_or(0, Vec::len),
        }
    }

    /// The first line shown in `panel` (for logs: lines hidden below the
    /// newest, 0 = following the tail).
    pub fn scroll(&self, panel: Panel) -> usize {
        self.scroll[panel.index()]
    }

    /// How many lines `panel` showed at the last draw.
    pub fn viewport(&self, panel: Panel) -> usize {
        self.viewport[panel.index()]
    }

    /// Records how many lines `panel` has room for (set by the renderer).
    pub fn set_viewport(&mut self, panel: Panel, lines: usize) {
        self.viewport[panel.index()] = lines.max(1);
        self.clamp_scroll();
    }

    /// The name of the selected step (the row `Enter` opens), if any.
    pub fn selected_step(&self) -> Option<String> {
        let run = self.run.as_ref()?;
        let last = run.steps.len().checked_sub(1)?;
        run.steps
            .iter()
            .nth(self.selected.min(last))
            .map(|(name, _)| name.to_string())
    }

    /// The index of the selected row of the steps panel.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// Scrolls the focused panel by `lines` (negative: up, towards the
    /// start). In the steps panel the selection moves as far, and the view
    /// scrolls back when the selection goes above it.
    pub fn scroll_by(&mut self, lines: isize) {
        if self.focus == Panel::Steps {
            let last = self.content_len(Panel::Steps).saturating_sub(1);
            self.selected = self.selected.saturating_add_signed(lines).min(last);
        }
        let i = self.focus.index();
        // The logs panel counts from the newest line, so up means more.
        let lines = if self.focus == Panel::Logs {
            -lines
        } else {
            lines
        };
        self.scroll[i] = self.scroll[i].saturating_add_signed(lines);
        if self.focus == Panel::Steps {
            self.scroll[i] = self.scroll[i].min(self.selected);
        }
        self.clamp_scroll();
    }

    /// Scrolls the focused panel by one page.
    pub fn page(&mut self, down: bool) {
        let page = self.viewport(self.focus).saturating_sub(1).max(1) as isize;
        self.scroll_by(if down { page } else { -page });
    }

    fn clamp_scroll(&mut self) {
        for panel in [Panel::Steps, Panel::Outputs, Panel::Logs] {
            let max = self.content_len(panel).saturating_sub(self.viewport(panel));
            let i = panel.index();
            self.scroll[i] = self.scroll[i].min(max);
        }
    }
}
