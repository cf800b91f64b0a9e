//! Embedding flowtoy in a Rust program (SPEC R23): run a flow, serve its
//! status API and web UI on a free port while it runs, then print what the
//! API reports and the captured log lines.
//!
//! ```text
//! cargo run --example embed                       # runs examples/quickstart.yaml
//! cargo run --example embed -- examples/parallel.yaml
//! ```

use flowtoy::runner::LocalRunner;
use flowtoy::runner_api::{self, LogCapture};
use flowtoy::{config, FlowError};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/quickstart.yaml".to_string());

    // The last 100 log lines, fed by the subscriber the server installs
    // (this program has none of its own).
    let capture = LogCapture::new(100);
    let config = config::load_yaml_files(&[&path])?;
    let runner = Arc::new(LocalRunner::new(config));

    // Port 0: the system picks a free port; the handle tells which.
    let server = runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::INFO,
        Some(capture.clone()),
    )?;
    println!("status API at {}/status", server.url());
    println!("web UI at {}/", server.url());

    // Blocks until the flow is done; /status and /events are live meanwhile.
    let status = runner.run()?;
    println!(
        "run {} ended: {} of {} steps completed",
        status.run_id,
        status.completed_steps(),
        status.steps.len()
    );
    for step in &status.steps {
        println!("  {:<12} {}", step.name, step.state.as_str());
    }

    // What a client of the API sees now.
    let body = reqwest::blocking::get(format!("{}/status", server.url()))?.text()?;
    let served: serde_json::Value = serde_json::from_str(&body)?;
    println!(
        "GET /status: completed_steps={} total_steps={}",
        served["completed_steps"], served["total_steps"]
    );

    println!("captured log lines:");
    for line in capture.records() {
        println!("  {line}");
    }
    server.shutdown();
    if status.steps.iter().any(|s| s.state.as_str() == "failed") {
        return Err(FlowError::Run("some steps failed".into()).into());
    }
    Ok(())
}
