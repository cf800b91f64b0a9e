//! A test-only plugin library that offers an executor type, `numbered`
//! (SPEC R34): it runs `process` steps in the host process through the
//! process provider, as "jobs" it numbers itself, reports each number as
//! the job id and adds it to the result as `meta.job_id`. The tests load it
//! from disk and run steps through it.

use flowtoy_plugin_api::{
    CallContext, Executor, ExecutorJob, ExecutorType, ProviderInfo, ProviderResult, ProviderType,
};
use flowtoy_provider_process::ProcessProviderType;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The `numbered` executor type.
pub struct Numbered;

/// A `numbered` executor: its `prefix` starts every job id.
pub struct NumberedExecutor {
    prefix: String,
    max_jobs: Option<usize>,
    next: AtomicU64,
}

impl ExecutorType for Numbered {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "numbered",
            "runs process steps as numbered jobs (tests only)",
            "0.1.0",
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String> {
        let prefix = match configuration.get("prefix") {
            None | Some(Value::Null) => "job".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => return Err(format!("`prefix` must be text, not {other}")),
        };
        let max_jobs = configuration
            .get("max_jobs")
            .and_then(Value::as_u64)
            .map(|n| n as usize);
        Ok(Box::new(NumberedExecutor {
            prefix,
            max_jobs,
            next: AtomicU64::new(1),
        }))
    }
}

impl Executor for NumberedExecutor {
    fn accepts(&self, provider_type: &str) -> Result<(), String> {
        match provider_type {
            "process" => Ok(()),
            other => Err(format!("numbered runs process steps only, not '{other}'")),
        }
    }

    fn max_in_flight(&self) -> Option<usize> {
        self.max_jobs
    }

    fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
        let id = format!(
            "{}-{}",
            self.prefix,
            self.next.fetch_add(1, Ordering::SeqCst)
        );
        ctx.report_job_id(&id);
        let provider = ProcessProviderType.create(&job.configuration)?;
        let result = provider.call(&job.payload, ctx)?;
        Ok(result.with_meta("job_id", json!(id)))
    }
}

flowtoy_plugin_api::export_plugin! {
    providers: [],
    executors: [Numbered],
}
