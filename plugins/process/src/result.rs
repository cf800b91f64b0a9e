//! The result of a program that ran (SPEC R11): stdout parsed as JSON or
//! text, `meta.stderr`, `meta.returncode`, and the note a failed exit gets.
//! Shared with executors that run the same program elsewhere (the `slurm`
//! executor reads a job's output files back and builds the same result).

use flowtoy_plugin_api::ProviderResult;
use serde_json::Value;

/// Standard output as data: JSON when it parses, else the text without its
/// final line break.
pub fn text_or_json(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return v;
    }
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Value::String(trimmed.to_string())
}

/// The result of a program that ended with `returncode` (negative: killed
/// by that signal), before its exit is judged: success, `data` from
/// `stdout`, `meta.stderr` and `meta.returncode`, the code.
pub fn program_result(stdout: &[u8], stderr: &[u8], returncode: Option<i64>) -> ProviderResult {
    ProviderResult::ok(text_or_json(stdout))
        .with_code(returncode)
        .with_meta(
            "stderr",
            Value::String(String::from_utf8_lossy(stderr).into_owned()),
        )
        .with_meta(
            "returncode",
            returncode.map(Value::from).unwrap_or(Value::Null),
        )
}

/// Marks `result` failed with `note`.
pub fn fail(result: &mut ProviderResult, note: String) {
    result.status.success = false;
    result.status.notes.push(note);
}

/// The note of a program that did not exit with 0, or `None` when it did.
pub fn exit_failure(code: Option<i32>, signal: Option<i32>) -> Option<String> {
    match (code, signal) {
        (Some(0), _) => None,
        (Some(code), _) => Some(format!("process exited with code {code}")),
        (None, Some(sig)) => Some(format!("process killed by signal {sig}")),
        _ => Some("process failed".to_string()),
    }
}

/// The note of output cut off at `max_output_bytes`.
pub fn truncated_note(max_output_bytes: usize) -> String {
    format!("output exceeded max_output_bytes ({max_output_bytes} bytes) and was cut off")
}
