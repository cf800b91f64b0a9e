//! Printing a run's outputs (human or JSON) and its summary (SPEC R17).

use flowtoy::runner::{RunStatus, StepState};
use flowtoy::LocalRunner;
use serde_json::{Map, Value};
use std::io::Write;
use std::path::Path;

/// The outputs of every succeeded step, in file order, as one JSON mapping;
/// secret values masked unless `show_secrets` (SPEC R24).
pub fn outputs_json(runner: &LocalRunner, show_secrets: bool) -> Value {
    let store = runner.flow_store();
    let map: Map<String, Value> = runner
        .steps()
        .iter()
        .filter_map(|s| {
            store
                .get(&s.name)
                .map(|o| (s.name.clone(), Value::Object((*o).clone())))
        })
        .collect();
    let outputs = Value::Object(map);
    if show_secrets {
        outputs
    } else {
        flowtoy::secrets::mask_json(&outputs)
    }
}

/// Prints the outputs as pretty JSON.
pub fn json(outputs: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(outputs).unwrap_or_else(|_| outputs.to_string())
    );
}

/// Writes the outputs as JSON to `path`, replacing it only once the new
/// content is complete.
pub fn write_json_file(path: &Path, outputs: &Value) -> std::io::Result<()> {
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

/// Prints the outputs (as made by [`outputs_json`]) for people: each
/// succeeded step, then `name: value` lines.
pub fn human(outputs: &Value) {
    let mut out = String::new();
    for (step, step_outputs) in outputs.as_object().into_iter().flatten() {
        let Some(step_outputs) = step_outputs.as_object().filter(|o| !o.is_empty()) else {
            out.push_str(&format!("{step} (no outputs)\n"));
            continue;
        };
        out.push_str(&format!("{step}\n"));
        for (name, value) in step_outputs {
            out.push_str(&format!("    {name}: {}\n", format_value(value)));
        }
    }
    print!("{out}");
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
    eprintln!("flowtoy: {ok} succeeded, {failed} failed, {skipped} skipped{elapsed}");
    for step in status.steps.iter().filter(|s| s.state == StepState::Failed) {
        eprintln!(
            "  ✗ {}: {}",
            step.name,
            step.error.as_deref().unwrap_or("failed")
        );
    }
}
