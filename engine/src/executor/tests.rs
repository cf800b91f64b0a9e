//! The executor seam with an in-process executor: status shows where steps
//! run, remote calls count against the executor's cap and not against
//! `max_workers`, and a `fail` halt cancels remote calls in flight.

use crate::loader::Loader;
use crate::registry::ProviderRegistry;
use crate::runner::{LocalRunner, StepState};
use flowtoy_plugin_api::{
    CallContext, Executor, ExecutorJob, ExecutorType, ProviderInfo, ProviderResult,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts calls in flight; each call waits until `wide` calls are in
/// flight together (or 5 s), or until it is cancelled.
#[derive(Default)]
struct Gate {
    in_flight: AtomicUsize,
    most: AtomicUsize,
    cancelled: AtomicUsize,
    ids: Mutex<Vec<String>>,
}

struct Gated(Arc<Gate>);
struct GatedExecutor {
    gate: Arc<Gate>,
    wide: usize,
}

impl ExecutorType for Gated {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("gated", "test executor", "0.0.1")
    }
    fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String> {
        Ok(Box::new(GatedExecutor {
            gate: Arc::clone(&self.0),
            wide: configuration["wide"].as_u64().unwrap_or(1) as usize,
        }))
    }
}

impl Executor for GatedExecutor {
    fn max_in_flight(&self) -> Option<usize> {
        Some(self.wide)
    }

    fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
        let id = format!("job-{}", ctx.step());
        ctx.report_job_id(&id);
        self.gate.ids.lock().unwrap().push(id.clone());
        let now = self.gate.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.gate.most.fetch_max(now, Ordering::SeqCst);
        let start = Instant::now();
        let mut cancelled = false;
        while start.elapsed() < Duration::from_secs(5) {
            if ctx.is_cancelled() {
                cancelled = true;
                break;
            }
            if job.configuration["wait"] == json!(false)
                || self.gate.in_flight.load(Ordering::SeqCst) >= self.wide
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.gate.in_flight.fetch_sub(1, Ordering::SeqCst);
        if cancelled {
            self.gate.cancelled.fetch_add(1, Ordering::SeqCst);
            return Ok(ProviderResult::failed("cancelled"));
        }
        Ok(ProviderResult::ok(json!(job.payload)).with_meta("job_id", json!(id)))
    }
}

fn load(gate: &Arc<Gate>, yaml: &str) -> crate::config::Config {
    let mut registry = ProviderRegistry::with_builtins();
    registry.register_executor(Arc::new(Gated(Arc::clone(gate))));
    Loader::with_registry(registry)
        .without_plugin_path_var()
        .load_str("f.yaml", yaml)
        .unwrap()
}

#[test]
fn remote_calls_run_beyond_max_workers_up_to_their_cap_and_show_where() {
    let gate = Arc::new(Gate::default());
    let steps: String = (0..6)
        .map(|i| format!("  - {{name: s{i}, source: {{type: process, configuration: {{command: [x]}}}}, input: {i}}}\n"))
        .collect();
    let config = load(
        &gate,
        &format!(
            "runner:\n  max_workers: 1\n  executor: {{type: gated, configuration: {{wide: 6}}}}\nflow:\n{steps}  - {{name: here, source: env, executor: {{type: local}}}}\n"
        ),
    );
    let status = LocalRunner::new(config).run().unwrap();
    assert_eq!(
        gate.most.load(Ordering::SeqCst),
        6,
        "6 calls in flight with max_workers 1"
    );
    assert!(
        status.steps.iter().all(|s| s.state == StepState::Succeeded),
        "{status:?}"
    );
    let doc = serde_json::to_value(status.document()).unwrap();
    assert_eq!(doc["steps"]["s3"]["executor"], json!("gated"));
    assert_eq!(doc["steps"]["s3"]["job_id"], json!("job-s3"));
    assert!(doc["steps"]["here"].get("executor").is_none(), "{doc}");
    assert!(doc["steps"]["here"].get("job_id").is_none(), "{doc}");
}

#[test]
fn the_cap_holds_calls_back() {
    let gate = Arc::new(Gate::default());
    let config = load(
        &gate,
        "runner:\n  max_workers: 8\n  executor: {type: gated, configuration: {wide: 2}}\nflow:\n  - {name: wide, foreach: [1, 2, 3, 4, 5, 6, 7], source: {type: process, configuration: {command: [x]}}}\n",
    );
    let status = LocalRunner::new(config).run().unwrap();
    assert_eq!(status.steps[0].state, StepState::Succeeded);
    assert_eq!(gate.most.load(Ordering::SeqCst), 2);
}

#[test]
fn a_fail_halt_cancels_remote_calls_in_flight() {
    let gate = Arc::new(Gate::default());
    let config = load(
        &gate,
        "runner:\n  executor: {type: gated, configuration: {wide: 5}}\nflow:\n  - {name: waits, source: {type: process, configuration: {command: [x]}}}\n  - {name: breaks, source: {type: process, configuration: {command: [sh, -c, 'exit 1']}}, executor: {type: local}}\n",
    );
    let status = LocalRunner::new(config).run().unwrap();
    assert_eq!(status.steps[1].state, StepState::Failed);
    assert_eq!(status.steps[0].state, StepState::Failed, "{status:?}");
    assert_eq!(gate.cancelled.load(Ordering::SeqCst), 1);
}
