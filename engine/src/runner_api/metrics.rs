//! `GET /metrics`: the run in the Prometheus text exposition format
//! (version 0.0.4). Steps by state and their durations come from the status,
//! runs by outcome from its end, provider calls, failures and retries from
//! the runner's counters ([`RunMetrics`](crate::runner::RunMetrics)).
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `flowtoy_steps` | gauge | `state`: pending, running, succeeded, failed, skipped |
//! | `flowtoy_step_duration_seconds` | histogram | (finished steps: succeeded or failed) |
//! | `flowtoy_runs_total` | counter | `outcome`: completed, halted, cancelled |
//! | `flowtoy_provider_calls_total` | counter | `type`: the provider type |
//! | `flowtoy_provider_failures_total` | counter | `type` |
//! | `flowtoy_retries_total` | counter | |
//!
//! A relay (`webui --status-url`) answers 404: scrape the runner itself.

use super::reply::json_error;
use super::routes::ApiState;
use super::source::ApiSource;
use crate::runner::{LocalRunner, RunOutcome, StepState};
use std::fmt::Write;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// The exposition format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the duration histogram's buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 300.0, 3600.0,
];

/// Escapes a label value (`\`, `"`, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The exposition text of `runner` (or of no run: zero steps, no calls).
pub fn exposition(runner: Option<&LocalRunner>) -> String {
    let mut out = String::new();
    let status = runner.map(LocalRunner::status);
    let steps = status.as_ref().map_or(&[][..], |s| &s.steps[..]);

    header(
        &mut out,
        "flowtoy_steps",
        "gauge",
        "Steps of the run by state.",
    );
    for state in [
        StepState::Pending,
        StepState::Running,
        StepState::Succeeded,
        StepState::Failed,
        StepState::Skipped,
    ] {
        let count = steps.iter().filter(|s| s.state == state).count();
        let _ = writeln!(out, "flowtoy_steps{{state=\"{}\"}} {count}", state.as_str());
    }

    let durations: Vec<f64> = steps
        .iter()
        .filter(|s| matches!(s.state, StepState::Succeeded | StepState::Failed))
        .filter_map(|s| Some((s.ended_at? - s.started_at?).max(0.0)))
        .collect();
    let name = "flowtoy_step_duration_seconds";
    header(
        &mut out,
        name,
        "histogram",
        "How long finished steps ran, from start to end (all tries and items).",
    );
    for bound in BUCKETS {
        let count = durations.iter().filter(|&&d| d <= bound).count();
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", durations.len());
    let _ = writeln!(out, "{name}_sum {}", durations.iter().sum::<f64>());
    let _ = writeln!(out, "{name}_count {}", durations.len());

    header(
        &mut out,
        "flowtoy_runs_total",
        "counter",
        "Runs that ended, by outcome.",
    );
    let outcome = status.as_ref().and_then(|s| s.outcome);
    for (text, kind) in [
        ("completed", RunOutcome::Completed),
        ("halted", RunOutcome::Halted),
        ("cancelled", RunOutcome::Cancelled),
    ] {
        let n = u8::from(outcome == Some(kind));
        let _ = writeln!(out, "flowtoy_runs_total{{outcome=\"{text}\"}} {n}");
    }

    let counts = runner
        .map(|r| r.metrics().provider_counts())
        .unwrap_or_default();
    header(
        &mut out,
        "flowtoy_provider_calls_total",
        "counter",
        "Calls to providers (each try and each foreach item), by provider type.",
    );
    for c in &counts {
        let _ = writeln!(
            out,
            "flowtoy_provider_calls_total{{type=\"{}\"}} {}",
            label(&c.type_name),
            c.calls
        );
    }
    header(
        &mut out,
        "flowtoy_provider_failures_total",
        "counter",
        "Provider calls that failed (error, failed result, panic, timeout, rejected configuration), by provider type.",
    );
    for c in &counts {
        let _ = writeln!(
            out,
            "flowtoy_provider_failures_total{{type=\"{}\"}} {}",
            label(&c.type_name),
            c.failures
        );
    }
    header(
        &mut out,
        "flowtoy_retries_total",
        "counter",
        "Tries started again after a retryable failure.",
    );
    let retries = runner.map_or(0, |r| r.metrics().retries());
    let _ = writeln!(out, "flowtoy_retries_total {retries}");
    out
}

/// Answers `GET /metrics`.
pub async fn metrics(state: ApiState) -> Response {
    match &state.source {
        ApiSource::Local(slot) => {
            let text = exposition(slot.get().as_deref());
            warp::reply::with_header(text, "content-type", CONTENT_TYPE).into_response()
        }
        ApiSource::Relay(client) => json_error(
            StatusCode::NOT_FOUND,
            &format!(
                "a relay serves no metrics: scrape the runner itself at {}",
                client.url().endpoint("metrics")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn no_run_has_every_header_and_zero_steps() {
        let text = exposition(None);
        assert!(text.contains("# TYPE flowtoy_steps gauge\n"));
        assert!(text.contains("flowtoy_steps{state=\"pending\"} 0\n"));
        assert!(text.contains("flowtoy_step_duration_seconds_bucket{le=\"+Inf\"} 0\n"));
        assert!(text.contains("flowtoy_retries_total 0\n"));
    }
}
