//! Drawing one frame: header (run id, progress, running steps, elapsed,
//! connection), the step table, the outputs panel, the logs panel with
//! `--show-logs`, and a key help line.

use super::app::{App, Connection, Panel};
use super::format::{self, duration, elapsed, one_line, truncate};
use crate::runner::{StatusDocument, StepDocument, StepState};
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// Terminals at least this wide show steps and outputs side by side.
pub const WIDE_COLUMNS: u16 = 110;

/// The number of lines each panel had room for in a drawn frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewports {
    /// Step rows (without the column header).
    pub steps: usize,
    /// Output lines.
    pub outputs: usize,
    /// Log lines (0 without the logs panel).
    pub logs: usize,
}

/// The icon of a step state (SPEC R22).
pub fn state_icon(state: StepState) -> &'static str {
    match state {
        StepState::Pending => "◷",
        StepState::Running => "▶",
        StepState::Succeeded => "✓",
        StepState::Failed => "✗",
        StepState::Skipped => "⊘",
    }
}

fn state_style(state: StepState) -> Style {
    match state {
        StepState::Pending => Style::default().fg(Color::DarkGray),
        StepState::Running => Style::default().fg(Color::Yellow),
        StepState::Succeeded => Style::default().fg(Color::Green),
        StepState::Failed => Style::default().fg(Color::Red),
        StepState::Skipped => Style::default().fg(Color::DarkGray),
    }
}

/// Draws `app` into `frame`; returns how many lines each panel showed.
pub fn draw(frame: &mut Frame, app: &App) -> Viewports {
    let area = frame.area();
    let logs_height = if app.logs.is_some() {
        (area.height / 4).max(5)
    } else {
        0
    };
    let header_height = 5 + connection_lines(app, area.width.saturating_sub(2) as usize) as u16;
    let [header, body, logs, footer] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(header_height),
            Constraint::Min(4),
            Constraint::Length(logs_height),
            Constraint::Length(1),
        ])
        .areas(area);
    draw_header(frame, app, header);
    let mut viewports = match &app.details {
        Some(view) => {
            super::details::draw(frame, app, view, body);
            Viewports {
                steps: app.viewport(Panel::Steps),
                outputs: app.viewport(Panel::Outputs),
                logs: 0,
            }
        }
        None => {
            let (steps_area, outputs_area) = split_body(app, body);
            Viewports {
                steps: draw_steps(frame, app, steps_area),
                outputs: draw_outputs(frame, app, outputs_area),
                logs: 0,
            }
        }
    };
    if app.logs.is_some() {
        viewports.logs = draw_logs(frame, app, logs);
    }
    draw_footer(frame, app, footer);
    viewports
}

/// Steps and outputs side by side on wide terminals, stacked otherwise.
fn split_body(app: &App, body: Rect) -> (Rect, Rect) {
    if body.width >= WIDE_COLUMNS {
        let [steps, outputs] = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(62), Constraint::Percentage(38)])
            .areas(body);
        return (steps, outputs);
    }
    let rows = app.content_len(Panel::Steps).max(1) as u16 + 3;
    let steps_height = rows.min(body.height.saturating_mul(3) / 5).max(4);
    let [steps, outputs] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(steps_height), Constraint::Min(3)])
        .areas(body);
    (steps, outputs)
}

fn panel_block(app: &App, panel: Panel, title: String) -> Block<'static> {
    let focused = app.focus == panel;
    let border = if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default().fg(Color::DarkGray)
    };
    let title_style = if focused {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(title, title_style))
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" flowtoy tui ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut lines = Vec::new();
    match &app.run {
        Some(run) => {
            lines.push(run_line(app, run));
            lines.push(progress_line(run, width));
            let running = if run.running_steps.is_empty() {
                "none".to_string()
            } else {
                run.running_steps.join(", ")
            };
            lines.push(Line::from(vec![
                Span::styled("running: ", Style::default().fg(Color::DarkGray)),
                Span::styled(
                    truncate(&running, width.saturating_sub(9)),
                    Style::default().fg(Color::Yellow),
                ),
            ]));
        }
        None if app.no_runner => {
            lines.push(Line::from("the status server has no runner attached"));
        }
        None => lines.push(Line::from("waiting for the first status…")),
    }
    while lines.len() < 3 {
        lines.push(Line::from(""));
    }
    let [run_area, connection_area] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(3), Constraint::Min(1)])
        .areas(inner);
    frame.render_widget(Paragraph::new(lines), run_area);
    let (text, style) = connection_text(app);
    // Cut what would not fit in the lines there are, so the end shows `…`.
    let room = width * connection_area.height as usize;
    let text = if format::width(&text) > room {
        truncate(&text, room.saturating_sub(width / 2))
    } else {
        text
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: true }),
        connection_area,
    );
}

fn run_line(app: &App, run: &StatusDocument) -> Line<'static> {
    let id = run.run_id.to_string();
    let (state, style) = match (run.started_at, run.ended_at) {
        (_, Some(_)) if run.count(StepState::Failed) > 0 => (
            "finished with failures",
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        (_, Some(_)) => (
            "finished",
            Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
        ),
        (None, None) => ("not started", Style::default().fg(Color::DarkGray)),
        (Some(_), None) => ("running", Style::default().fg(Color::Yellow)),
    };
    let took = match run.started_at {
        Some(start) => elapsed(run.ended_at.unwrap_or(app.now) - start),
        None => "-".into(),
    };
    let dim = Style::default().fg(Color::DarkGray);
    Line::from(vec![
        Span::styled("run ", dim),
        Span::styled(id, Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(" · ", dim),
        Span::styled(state, style),
        Span::styled(" · elapsed ", dim),
        Span::raw(took),
    ])
}

fn progress_line(run: &StatusDocument, width: usize) -> Line<'static> {
    let label = format!(" {}/{} completed", run.completed_steps, run.total_steps);
    let bar_width = width.saturating_sub(format::width(&label)).min(60);
    let done = (bar_width * run.completed_steps.min(run.total_steps))
        .checked_div(run.total_steps)
        .unwrap_or(0);
    let color = if run.count(StepState::Failed) > 0 {
        Color::Red
    } else {
        Color::Green
    };
    Line::from(vec![
        Span::styled("█".repeat(done), Style::default().fg(color)),
        Span::styled(
            "░".repeat(bar_width - done),
            Style::default().fg(Color::DarkGray),
        ),
        Span::raw(label),
    ])
}

/// The connection's state as text: one line when all is well, an error
/// that may wrap when the source is unreachable.
fn connection_text(app: &App) -> (String, Style) {
    match &app.connection {
        Connection::Connecting => (
            format!("connecting to {}…", app.source_label),
            Style::default().fg(Color::Yellow),
        ),
        Connection::Live => (
            format!("source: {}", app.source_label),
            Style::default().fg(Color::DarkGray),
        ),
        Connection::Unreachable { error, attempts } => {
            let stale = if app.run.is_some() {
                "; showing the last status received"
            } else {
                ""
            };
            (
                format!(
                    "✗ retrying (attempt {attempts}){stale}: {}",
                    one_line(error)
                ),
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            )
        }
    }
}

/// Most lines the connection message may take.
const CONNECTION_LINES: usize = 3;

/// How many lines the connection message takes at `width` columns.
fn connection_lines(app: &App, width: usize) -> usize {
    let (text, _) = connection_text(app);
    let text_width = format::width(&text);
    if text_width <= width || width == 0 {
        1
    } else {
        // Word wrapping may need a line more than the bare division.
        (text_width.div_ceil(width) + 1).min(CONNECTION_LINES)
    }
}

/// Column widths of the step table for `inner` columns.
struct Columns {
    name: usize,
    error: usize,
}

const START_WIDTH: usize = 8;
const DURATION_WIDTH: usize = 8;

impl Columns {
    fn new(run: &StatusDocument, inner: usize) -> Self {
        // icon, space, name, space, start, space, duration, two spaces, error
        let fixed = 1 + 1 + 1 + START_WIDTH + 1 + DURATION_WIDTH + 2;
        let free = inner.saturating_sub(fixed);
        let longest = run
            .steps
            .iter()
            .map(|(name, _)| format::width(name))
            .max()
            .unwrap_or(0)
            .max(4);
        let name = longest.min((free * 45 / 100).max(4)).min(free);
        Columns {
            name,
            error: free - name,
        }
    }
}

fn draw_steps(frame: &mut Frame, app: &App, area: Rect) -> usize {
    let title = match &app.run {
        Some(run) => format!(" Steps {}/{} ", run.completed_steps, run.total_steps),
        None => " Steps ".to_string(),
    };
    let block = panel_block(app, Panel::Steps, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = (inner.height as usize).saturating_sub(1);
    let Some(run) = &app.run else {
        let text = if app.no_runner {
            "no run to show"
        } else {
            "no status yet"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, Style::default().fg(Color::DarkGray))),
            inner,
        );
        return rows.max(1);
    };
    let cols = Columns::new(run, inner.width as usize);
    let head = Style::default()
        .fg(Color::DarkGray)
        .add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<nw$} {:<sw$} {:>dw$}  {}",
            "STEP",
            "START",
            "TOOK",
            "ERROR",
            nw = cols.name,
            sw = START_WIDTH,
            dw = DURATION_WIDTH
        ),
        head,
    ))];
    let first = app.scroll(Panel::Steps);
    lines.extend(
        run.steps
            .iter()
            .skip(first)
            .take(rows)
            .enumerate()
            .map(|(i, (name, step))| {
                let line = step_line(app, name, step, &cols);
                // The selected row (`Enter` opens its details).
                if app.focus == Panel::Steps && first + i == app.selected() {
                    line.patch_style(Style::default().add_modifier(Modifier::REVERSED))
                } else {
                    line
                }
            }),
    );
    frame.render_widget(Paragraph::new(lines), inner);
    rows.max(1)
}

fn step_line(app: &App, name: &str, step: &StepDocument, cols: &Columns) -> Line<'static> {
    let start = match (step.state, step.started_at) {
        (StepState::Pending | StepState::Skipped, _) | (_, None) => String::new(),
        (_, Some(t)) => app.clock.hms(t),
    };
    let took = match (step.state, step.started_at, step.ended_at) {
        (StepState::Running, Some(s), _) => duration(app.now - s),
        (StepState::Succeeded | StepState::Failed, Some(s), Some(e)) => duration(e - s),
        _ => String::new(),
    };
    let error = step
        .error()
        .or_else(|| progress_note(step))
        .map(|e| truncate(&one_line(&e), cols.error))
        .unwrap_or_default();
    let name = truncate(name, cols.name);
    let pad = cols.name.saturating_sub(format::width(&name));
    let style = state_style(step.state);
    let error_style = match step.state {
        StepState::Failed => Style::default().fg(Color::Red),
        _ => Style::default().fg(Color::DarkGray),
    };
    Line::from(vec![
        Span::styled(state_icon(step.state), style),
        Span::raw(" "),
        Span::raw(format!("{name}{} ", " ".repeat(pad))),
        Span::raw(format!("{start:<START_WIDTH$} ")),
        Span::styled(
            format!("{took:>DURATION_WIDTH$}  "),
            Style::default().fg(Color::Cyan),
        ),
        Span::styled(error, error_style),
    ])
}

/// `37/100 items` for a `foreach` step, `try 2` for a retried one (R25,
/// R28), `on slurm job 812` for one that runs elsewhere (R34).
fn progress_note(step: &StepDocument) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(executor) = &step.executor {
        match &step.job_id {
            Some(id) => parts.push(format!("on {executor} job {id}")),
            None => parts.push(format!("on {executor}")),
        }
    }
    if let Some(items) = step.items {
        let done = items.succeeded + items.failed + items.skipped;
        let failed = match items.failed {
            0 => String::new(),
            n => format!(" ({n} failed)"),
        };
        parts.push(format!("{done}/{} items{failed}", items.total));
    }
    if let Some(attempt) = step.attempt.filter(|a| *a > 1) {
        parts.push(format!("try {attempt}"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn draw_outputs(frame: &mut Frame, app: &App, area: Rect) -> usize {
    let block = panel_block(app, Panel::Outputs, " Outputs ".into());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let lines: Vec<Line> = app
        .output_lines
        .iter()
        .skip(app.scroll(Panel::Outputs))
        .take(inner.height as usize)
        .map(|l| Line::from(truncate(l, width)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    (inner.height as usize).max(1)
}

fn draw_logs(frame: &mut Frame, app: &App, area: Rect) -> usize {
    let logs = app.logs.as_deref().unwrap_or_default();
    let block = panel_block(app, Panel::Logs, format!(" Logs ({}) ", logs.len()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    let end = logs.len().saturating_sub(app.scroll(Panel::Logs));
    let start = end.saturating_sub(rows);
    let width = inner.width as usize;
    let lines: Vec<Line> = logs[start..end]
        .iter()
        .map(|l| Line::from(truncate(&one_line(l), width)))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    rows.max(1)
}

fn draw_footer(frame: &mut Frame, app: &App, area: Rect) {
    let focus = match app.focus {
        Panel::Steps => "steps",
        Panel::Outputs => "outputs",
        Panel::Logs => "logs",
    };
    let key = Style::default()
        .fg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    let dim = Style::default().fg(Color::DarkGray);
    let spans = vec![
        Span::styled("q", key),
        Span::styled(" quit  ", dim),
        Span::styled("r", key),
        Span::styled(" refresh  ", dim),
        Span::styled("Tab", key),
        Span::styled(format!(" focus ({focus})  "), dim),
        Span::styled("Enter", key),
        Span::styled(" details  ", dim),
        Span::styled("↑↓ PgUp PgDn", key),
        Span::styled(" scroll", dim),
    ];
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
