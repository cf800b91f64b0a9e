//! The executor interface (SPEC R34): where a step's call runs, separately
//! from what it calls.
//!
//! An *executor type* (`local`, `slurm`, or one of your own) is a factory:
//! given the `executor.configuration` of the runner or of a step it builds an
//! [`Executor`], which runs calls — a provider type, its rendered
//! configuration and the payload — somewhere and answers with the same
//! [`ProviderResult`] the provider would give. The host checks each step's
//! provider type against [`Executor::accepts`] before the run, and counts
//! calls in flight against [`Executor::max_in_flight`] instead of the
//! runner's `max_workers`.
//!
//! ```
//! use flowtoy_plugin_api::{CallContext, Executor, ExecutorJob, ExecutorType, ProviderInfo, ProviderResult};
//! use serde_json::{json, Value};
//!
//! struct Echoing;
//! struct EchoingExecutor;
//!
//! impl ExecutorType for Echoing {
//!     fn info(&self) -> ProviderInfo {
//!         ProviderInfo::new("echoing", "answers with the job it was given", "1.0.0")
//!     }
//!     fn create(&self, _configuration: &Value) -> Result<Box<dyn Executor>, String> {
//!         Ok(Box::new(EchoingExecutor))
//!     }
//! }
//!
//! impl Executor for EchoingExecutor {
//!     fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
//!         ctx.report_job_id("42");
//!         Ok(ProviderResult::ok(json!({"type": job.provider_type, "payload": job.payload}))
//!             .with_meta("job_id", json!("42")))
//!     }
//! }
//!
//! let executor = Echoing.create(&json!({})).unwrap();
//! let job = ExecutorJob { provider_type: "process".into(), configuration: json!({}), payload: Some(json!(1)) };
//! let result = executor.run(&job, &CallContext::default()).unwrap();
//! assert_eq!(result.data, json!({"type": "process", "payload": 1}));
//! ```

use crate::{CallContext, Payload, ProviderInfo, ProviderResult};
use serde_json::Value;

/// One call handed to an executor: which provider type, with what rendered
/// configuration, and the payload (SPEC R9). The step's name and the
/// cancellation flag come with the [`CallContext`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorJob {
    /// The provider type the step calls, e.g. `process`.
    pub provider_type: String,
    /// The source configuration, rendered (R8).
    pub configuration: Value,
    /// The payload.
    pub payload: Payload,
}

impl ExecutorJob {
    /// The job as the JSON mapping `{provider_type, configuration, payload}`
    /// (the form that crosses the plugin boundary).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "provider_type": self.provider_type,
            "configuration": self.configuration,
            "payload": self.payload,
        })
    }

    /// Reads a job back from its JSON mapping.
    pub fn from_json(value: &Value) -> Result<Self, String> {
        let provider_type = value
            .get("provider_type")
            .and_then(Value::as_str)
            .ok_or_else(|| "an executor job needs provider_type (text)".to_string())?;
        Ok(ExecutorJob {
            provider_type: provider_type.to_string(),
            configuration: value.get("configuration").cloned().unwrap_or(Value::Null),
            payload: value.get("payload").cloned().filter(|p| !p.is_null()),
        })
    }
}

/// An executor type: describes itself and builds an [`Executor`] from an
/// `executor.configuration` mapping. An `Err` is a configuration error of
/// the runner or step that names it.
pub trait ExecutorType: Send + Sync {
    /// Name (the `executor.type` that selects it), description and version.
    fn info(&self) -> ProviderInfo;
    /// Builds an executor from its configuration (not rendered: executor
    /// configurations hold no templates).
    fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String>;
}

/// A configured executor: runs calls somewhere else than this process.
///
/// Calls are synchronous, like provider calls; the host runs each on a
/// thread of its own. A long call must look at [`CallContext::is_cancelled`]
/// now and then and, when it says so, stop the work it started (cancel the
/// job) before it returns.
pub trait Executor: Send + Sync {
    /// Whether this executor can run steps that call `provider_type`; `Err`
    /// says why not (a configuration error of the step, SPEC R6).
    fn accepts(&self, _provider_type: &str) -> Result<(), String> {
        Ok(())
    }

    /// The most calls in flight at once through this executor; `None` lets
    /// the runner's `max_workers` bound them like local steps.
    fn max_in_flight(&self) -> Option<usize> {
        None
    }

    /// Runs one call to its end. `Err` means it could not be run at all; a
    /// call that ran and failed is an `Ok` result with `success: false`.
    fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn jobs_round_trip_through_json() {
        let job = ExecutorJob {
            provider_type: "process".into(),
            configuration: json!({"command": ["echo"]}),
            payload: Some(json!({"a": 1})),
        };
        assert_eq!(ExecutorJob::from_json(&job.to_json()).unwrap(), job);
        let none = ExecutorJob {
            payload: None,
            ..job
        };
        assert_eq!(ExecutorJob::from_json(&none.to_json()).unwrap(), none);
        assert!(ExecutorJob::from_json(&json!({})).is_err());
    }
}
