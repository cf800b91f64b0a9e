//! The step details view: `Enter` on a step row opens it, `Esc` (or
//! `Enter` again) closes it. It shows what `GET /steps/{name}` tells
//! ([`StepDetails`]): state, tries, times, error, notes, the tail of the
//! program's stdout and stderr, the rendered input, outputs and `meta`.
//! While it is open the feed fetches the step's details again and again
//! ([`DETAILS_POLL`]), so a running program's output shows as it comes.

use super::app::App;
use super::format::Clock;
use crate::runner::{OutputTail, StepDetails};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use serde_json::Value;
use std::time::Duration;

/// How often the details of the open step are fetched.
pub const DETAILS_POLL: Duration = Duration::from_millis(300);

/// Lines of each output stream's tail shown in the view.
const TAIL_LINES: usize = 12;

/// The open details view.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailsView {
    /// The step shown.
    pub name: String,
    /// The last details received, once some were.
    pub details: Option<StepDetails>,
    /// Why the last fetch failed, if it did.
    pub error: Option<String>,
    /// The first line shown.
    pub scroll: usize,
}

impl DetailsView {
    /// A view of step `name`, waiting for its details.
    pub fn new(name: impl Into<String>) -> Self {
        DetailsView {
            name: name.into(),
            details: None,
            error: None,
            scroll: 0,
        }
    }

    /// Takes in a fetch of step `name`'s details (ignored when another step
    /// is shown by now).
    pub fn apply(&mut self, name: &str, fetched: Result<StepDetails, String>) {
        if name != self.name {
            return;
        }
        match fetched {
            Ok(details) => {
                self.details = Some(details);
                self.error = None;
            }
            Err(error) => self.error = Some(error),
        }
    }

    /// Scrolls by `lines` (negative: up).
    pub fn scroll_by(&mut self, lines: isize) {
        self.scroll = self.scroll.saturating_add_signed(lines);
    }
}

impl App {
    /// Opens the details of the selected step (`Enter` on the steps panel).
    pub fn open_details(&mut self) {
        if let Some(name) = self.selected_step() {
            self.details = Some(DetailsView::new(name));
        }
    }

    /// Closes the details view (`Esc`).
    pub fn close_details(&mut self) {
        self.details = None;
    }
}

fn label(text: &str) -> Span<'static> {
    Span::styled(format!("{text:<10}"), Style::default().fg(Color::DarkGray))
}

fn fact(name: &str, value: String) -> Line<'static> {
    Line::from(vec![label(name), Span::raw(value)])
}

fn heading(text: String) -> Line<'static> {
    Line::from(Span::styled(
        text,
        Style::default()
            .fg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    ))
}

fn tail_lines(lines: &mut Vec<Line<'static>>, stream: &str, tail: Option<&OutputTail>) {
    let Some(tail) = tail else {
        lines.push(heading(format!("{stream}: nothing printed")));
        return;
    };
    let shown: Vec<&str> = tail.text.lines().collect();
    let from = shown.len().saturating_sub(TAIL_LINES);
    lines.push(heading(format!(
        "{stream}: last {} of {} lines kept ({} bytes in all)",
        shown.len() - from,
        shown.len(),
        tail.total_bytes
    )));
    lines.extend(
        shown[from..]
            .iter()
            .map(|l| Line::from(format!("  {}", super::format::one_line(l)))),
    );
}

fn json_lines(lines: &mut Vec<Line<'static>>, title: &str, value: Option<&Value>) {
    match value {
        None | Some(Value::Null) => lines.push(heading(format!("{title}: none"))),
        Some(value) => {
            lines.push(heading(title.to_string()));
            let text = serde_json::to_string_pretty(value).unwrap_or_default();
            lines.extend(text.lines().map(|l| Line::from(format!("  {l}"))));
        }
    }
}

/// The view's lines.
fn lines(view: &DetailsView, clock: Clock, now: f64) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(error) = &view.error {
        lines.push(Line::from(Span::styled(
            error.clone(),
            Style::default().fg(Color::Red),
        )));
    }
    let Some(d) = &view.details else {
        lines.push(Line::from("loading…"));
        return lines;
    };
    lines.push(fact("state", d.state.as_str().to_string()));
    lines.push(fact(
        "provider",
        format!("{} on {}", d.provider, d.executor),
    ));
    lines.push(fact(
        "tries",
        match d.attempt {
            Some(n) => format!("try {n} of {}", d.max_attempts),
            None => "not started".into(),
        },
    ));
    if let Some(start) = d.started_at {
        let took = d.ended_at.unwrap_or(now) - start;
        lines.push(fact(
            "started",
            format!(
                "{} (took {})",
                clock.hms(start),
                super::format::duration(took)
            ),
        ));
    }
    if let Some(error) = &d.error {
        lines.push(Line::from(vec![
            label("error"),
            Span::styled(error.clone(), Style::default().fg(Color::Red)),
        ]));
    }
    if !d.notes.is_empty() {
        lines.push(fact("notes", d.notes.join("; ")));
    }
    tail_lines(&mut lines, "stdout", d.stdout.as_ref());
    tail_lines(&mut lines, "stderr", d.stderr.as_ref());
    json_lines(&mut lines, "input", Some(&d.input));
    let outputs = d.outputs.clone().map(Value::Object);
    json_lines(&mut lines, "outputs", outputs.as_ref());
    let meta = d.meta.clone().map(Value::Object);
    json_lines(&mut lines, "meta", meta.as_ref());
    lines
}

/// Draws the details view into `area`.
pub fn draw(frame: &mut Frame, app: &App, view: &DetailsView, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(Color::Cyan))
        .title(Span::styled(
            format!(" Step {} — Esc closes ", view.name),
            Style::default().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = lines(view, app.clock, app.now);
    let max = all.len().saturating_sub(inner.height as usize);
    let shown: Vec<Line> = all.into_iter().skip(view.scroll.min(max)).collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
