//! Printing a run's outputs (human or JSON) and its summary (SPEC R17).

use flowtoy::flows::StepOutputs;
use flowtoy::runner::{OutputsDocument, RunStatus, StepState};
use flowtoy::LocalRunner;
use serde_json::Value;
use std::io::Write;
use std::path::Path;

/// The outputs to print: the engine's outputs document (file order, secret
/// values masked unless `show_secrets`, SPEC R24).
pub fn outputs(runner: &LocalRunner, show_secrets: bool) -> OutputsDocument<'_> {
    let outputs = runner.outputs();
    if show_secrets {
        outputs.show_secrets()
    } else {
        outputs
    }
}

/// Prints the outputs as pretty JSON.
pub fn json(outputs: &OutputsDocument) {
    match serde_json::to_string_pretty(outputs) {
        Ok(text) => outln!("{text}"),
        Err(e) => note!("error: cannot print the outputs as JSON: {e}"),
    }
}

/// Writes the outputs as JSON to `path`, replacing it only once the new
/// content is complete.
pub fn write_json_file(path: &Path, outputs: &OutputsDocument) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(outputs).map_err(std::io::Error::other)?;
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("outputs"),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn format_value(value: &Value) -> String {
    match value {
        Value::String(s) if !s.contains('\n') => s.clone(),
        Value::String(s) => format!("|\n{}", indent(s, "      ")),
        Value::Array(_) | Value::Object(_) => {
            let compact = value.to_string();
            if compact.len() <= 72 {
                compact
            } else {
                let pretty = serde_json::to_string_pretty(value).unwrap_or(compact);
                format!("\n{}", indent(&pretty, "      "))
            }
        }
        other => other.to_string(),
    }
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines()
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints the outputs for people: each succeeded step, then `name: value` lines.
pub fn human(outputs: &OutputsDocument) {
    human_steps(outputs.iter());
}

/// Prints steps' outputs for people (see [`human`]).
pub fn human_steps<'a, O: std::ops::Deref<Target = StepOutputs>>(
    steps: impl Iterator<Item = (&'a str, O)>,
) {
    let mut out = String::new();
    for (step, step_outputs) in steps {
        if step_outputs.is_empty() {
            out.push_str(&format!("{step} (no outputs)\n"));
            continue;
        }
        out.push_str(&format!("{step}\n"));
        for (name, value) in step_outputs.iter() {
            out.push_str(&format!("    {name}: {}\n", format_value(value)));
        }
    }
    out!("{out}");
}

/// Prints the run's summary and every failure to stderr.
pub fn summary(status: &RunStatus) {
    let count = |state| status.steps.iter().filter(|s| s.state == state).count();
    let (ok, failed, skipped) = (
        count(StepState::Succeeded),
        count(StepState::Failed),
        count(StepState::Skipped),
    );
    let elapsed = match (status.started_at, status.ended_at) {
        (Some(a), Some(b)) => format!(" in {:.2}s", b - a),
        _ => String::new(),
    };
    note!("flowtoy: {ok} succeeded, {failed} failed, {skipped} skipped{elapsed}");
    for step in status.steps.iter().filter(|s| s.state == StepState::Failed) {
        note!(
            "  ✗ {}: {}",
            step.name,
            step.error.as_deref().unwrap_or("failed")
        );
    }
}
