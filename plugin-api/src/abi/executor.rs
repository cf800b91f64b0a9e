//! Executors across the library boundary (SPEC R34): the FFI objects, the
//! plugin side that wraps a safe [`ExecutorType`], and the host side that
//! sees a library's executor type as an ordinary one.
//!
//! A job crosses as JSON text (`{provider_type, configuration, payload}`),
//! its result as the provider result's JSON; cancellation through the same
//! [`FfiCancelBox`] providers get, and the job id an executor reports
//! through an [`FfiJobReportBox`].

use super::guest::guarded;
use super::host::into_host;
use super::{FfiCancel, FfiCancelBox, FfiCancel_TO, FfiError, FfiProviderInfo};
use crate::{CallContext, Executor, ExecutorJob, ExecutorType, ProviderInfo, ProviderResult};
use abi_stable::sabi_trait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr, RString, RVec};
use serde_json::Value;
use std::sync::Arc;

/// Hears the id of the job a call became (a Slurm job id).
#[sabi_trait]
pub trait FfiJobReport: Send + Sync {
    /// Tells the host the job's id.
    #[sabi(last_prefix_field)]
    fn job_id(&self, id: RStr<'_>);
}

/// A job-id listener owned by whoever holds it.
pub type FfiJobReportBox = FfiJobReport_TO<'static, abi_stable::std_types::RBox<()>>;

/// A configured executor, living in the plugin.
#[sabi_trait]
pub trait FfiExecutor: Send + Sync {
    /// Whether it runs steps of `provider_type`; the error says why not.
    fn accepts(&self, provider_type: RStr<'_>) -> RResult<(), FfiError>;
    /// The most calls in flight at once; 0 for "bounded by `max_workers`".
    fn max_in_flight(&self) -> u64;
    /// Runs a job (JSON text); answers with the result as JSON text.
    #[sabi(last_prefix_field)]
    fn run(
        &self,
        job: RStr<'_>,
        step: RStr<'_>,
        cancel: FfiCancelBox,
        report: FfiJobReportBox,
    ) -> RResult<RString, FfiError>;
}

/// An executor living in the plugin, owned by the host.
pub type FfiExecutorBox = FfiExecutor_TO<'static, abi_stable::std_types::RBox<()>>;

/// An executor type (factory), living in the plugin.
#[sabi_trait]
pub trait FfiExecutorType: Send + Sync {
    /// Name, description and version.
    fn info(&self) -> RResult<FfiProviderInfo, FfiError>;
    /// Builds an executor from its configuration, given as JSON text.
    #[sabi(last_prefix_field)]
    fn create(&self, configuration: RStr<'_>) -> RResult<FfiExecutorBox, FfiError>;
}

/// An executor type living in the plugin, owned by the host.
pub type FfiExecutorTypeBox = FfiExecutorType_TO<'static, abi_stable::std_types::RBox<()>>;

/// What a library's executor entry point answers.
pub type ExecutorTypesList = RResult<RVec<FfiExecutorTypeBox>, FfiError>;

/// The type of a library's executor entry point.
pub type ExecutorTypesFn = extern "C" fn() -> ExecutorTypesList;

/// The symbol of a library's executor entry point (an [`ExecutorTypesFn`]),
/// exported by [`export_plugin!`](crate::export_plugin) beside the root
/// module. A library without it (every library built before executors
/// existed) offers no executors.
pub const EXECUTOR_TYPES_SYMBOL: &[u8] = b"flowtoy_executor_types_v1\0";

/// The symbol of a function answering the layout of
/// [`ExecutorTypesList`] as the library was built, which the host checks
/// against its own with abi_stable before calling the entry point.
pub const EXECUTOR_LAYOUT_SYMBOL: &[u8] = b"flowtoy_executor_layout_v1\0";

/// The layout of [`ExecutorTypesList`] (everything an executor entry point
/// hands over), for the check of [`EXECUTOR_LAYOUT_SYMBOL`].
pub extern "C" fn executor_types_layout() -> &'static abi_stable::type_layout::TypeLayout {
    <ExecutorTypesList as abi_stable::StableAbi>::LAYOUT
}

// ---- the plugin side ----

/// A plugin's executor type, seen through the ABI.
struct ExportedExecutorType(Box<dyn ExecutorType>);

/// A plugin's configured executor, seen through the ABI.
struct ExportedExecutor(Box<dyn Executor>);

impl FfiExecutorType for ExportedExecutorType {
    fn info(&self) -> RResult<FfiProviderInfo, FfiError> {
        guarded(|| {
            let info = self.0.info();
            Ok(FfiProviderInfo {
                name: info.name.into(),
                description: info.description.into(),
                version: info.version.into(),
            })
        })
    }

    fn create(&self, configuration: RStr<'_>) -> RResult<FfiExecutorBox, FfiError> {
        guarded(|| {
            let configuration: Value = serde_json::from_str(configuration.as_str())
                .map_err(|e| format!("the host sent a configuration that is not JSON: {e}"))?;
            let executor = self.0.create(&configuration)?;
            Ok(FfiExecutor_TO::from_value(
                ExportedExecutor(executor),
                TD_Opaque,
            ))
        })
    }
}

impl FfiExecutor for ExportedExecutor {
    fn accepts(&self, provider_type: RStr<'_>) -> RResult<(), FfiError> {
        guarded(|| self.0.accepts(provider_type.as_str()))
    }

    fn max_in_flight(&self) -> u64 {
        match guarded(|| Ok(self.0.max_in_flight())) {
            RResult::ROk(Some(n)) => n as u64,
            _ => 0,
        }
    }

    fn run(
        &self,
        job: RStr<'_>,
        step: RStr<'_>,
        cancel: FfiCancelBox,
        report: FfiJobReportBox,
    ) -> RResult<RString, FfiError> {
        guarded(|| {
            let job: Value = serde_json::from_str(job.as_str())
                .map_err(|e| format!("the host sent a job that is not JSON: {e}"))?;
            let job = ExecutorJob::from_json(&job)?;
            // Output chunks and log lines reach the host through its hooks.
            let ctx = super::hooks::guest_context(CallContext::with_cancel_check(
                step.as_str(),
                Arc::new(move || cancel.is_cancelled()),
            ))
            .with_job_reporter(Arc::new(move |id: &str| report.job_id(RStr::from_str(id))));
            let result = self.0.run(&job, &ctx)?;
            Ok(RString::from(result.to_json().to_string()))
        })
    }
}

/// Wraps the executor types made by `make` for the host; used by
/// [`export_plugin!`](crate::export_plugin).
pub fn export_executor_types(
    make: impl FnOnce() -> Vec<Box<dyn ExecutorType>>,
) -> RResult<RVec<FfiExecutorTypeBox>, FfiError> {
    guarded(|| {
        Ok(make()
            .into_iter()
            .map(|t| FfiExecutorType_TO::from_value(ExportedExecutorType(t), TD_Opaque))
            .collect())
    })
}

// ---- the host side ----

/// An executor type that lives in a plugin library.
pub struct ForeignExecutorType {
    ffi: FfiExecutorTypeBox,
    info: ProviderInfo,
}

impl ForeignExecutorType {
    /// Wraps an executor type handed over by a library, asking its name,
    /// description and version once. A panic while answering is an `Err`.
    pub fn new(ffi: FfiExecutorTypeBox) -> Result<Self, String> {
        let info = match ffi.info() {
            RResult::ROk(info) => info,
            RResult::RErr(e) if e.panicked => {
                return Err(format!(
                    "it panicked while describing an executor type: {}",
                    e.message
                ))
            }
            RResult::RErr(e) => return Err(e.message.into_string()),
        };
        Ok(ForeignExecutorType {
            ffi,
            info: ProviderInfo {
                name: info.name.into_string(),
                description: info.description.into_string(),
                version: info.version.into_string(),
            },
        })
    }
}

impl ExecutorType for ForeignExecutorType {
    fn info(&self) -> ProviderInfo {
        self.info.clone()
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String> {
        let text = configuration.to_string();
        let ffi = into_host(self.ffi.create(RStr::from_str(&text)))?;
        Ok(Box::new(ForeignExecutor { ffi }))
    }
}

/// A configured executor that lives in a plugin library.
struct ForeignExecutor {
    ffi: FfiExecutorBox,
}

/// Answers the plugin's cancellation questions from the host's context.
struct HostCancel(CallContext);

impl FfiCancel for HostCancel {
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// Hands the job ids the plugin reports to the host's context.
struct HostReport(CallContext);

impl FfiJobReport for HostReport {
    fn job_id(&self, id: RStr<'_>) {
        self.0.report_job_id(id.as_str());
    }
}

impl Executor for ForeignExecutor {
    fn accepts(&self, provider_type: &str) -> Result<(), String> {
        into_host(self.ffi.accepts(RStr::from_str(provider_type)))
    }

    fn max_in_flight(&self) -> Option<usize> {
        match self.ffi.max_in_flight() {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        }
    }

    fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
        let job = job.to_json().to_string();
        let cancel = FfiCancel_TO::from_value(HostCancel(ctx.clone()), TD_Opaque);
        let report = FfiJobReport_TO::from_value(HostReport(ctx.clone()), TD_Opaque);
        let text = into_host(super::hooks::during_call(ctx, || {
            self.ffi.run(
                RStr::from_str(&job),
                RStr::from_str(ctx.step()),
                cancel,
                report,
            )
        }))?;
        let value: Value = serde_json::from_str(text.as_str())
            .map_err(|e| format!("the plugin answered with a result that is not JSON: {e}"))?;
        ProviderResult::from_json(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Mutex;

    struct Probe;
    struct ProbeExecutor;

    impl ExecutorType for Probe {
        fn info(&self) -> ProviderInfo {
            ProviderInfo::new("probe", "test executor", "0.0.1")
        }
        fn create(&self, configuration: &Value) -> Result<Box<dyn Executor>, String> {
            match configuration["mode"].as_str() {
                Some("bad") => Err("mode 'bad' is bad".into()),
                _ => Ok(Box::new(ProbeExecutor)),
            }
        }
    }

    impl Executor for ProbeExecutor {
        fn accepts(&self, provider_type: &str) -> Result<(), String> {
            match provider_type {
                "process" => Ok(()),
                other => Err(format!("probe runs process steps, not {other}")),
            }
        }
        fn max_in_flight(&self) -> Option<usize> {
            Some(7)
        }
        fn run(&self, job: &ExecutorJob, ctx: &CallContext) -> Result<ProviderResult, String> {
            ctx.report_job_id("job-1");
            Ok(ProviderResult::ok(
                json!({"job": job.to_json(), "step": ctx.step(), "cancelled": ctx.is_cancelled()}),
            ))
        }
    }

    #[test]
    fn an_executor_works_the_same_through_the_abi() {
        let mut types =
            match export_executor_types(|| vec![Box::new(Probe) as Box<dyn ExecutorType>]) {
                RResult::ROk(types) => types.into_vec(),
                RResult::RErr(e) => panic!("export failed: {e:?}"),
            };
        let t = ForeignExecutorType::new(types.remove(0)).unwrap();
        assert_eq!(t.info().name, "probe");
        assert_eq!(
            t.create(&json!({"mode": "bad"})).err().unwrap(),
            "mode 'bad' is bad"
        );
        let e = t.create(&json!({})).unwrap();
        assert_eq!(e.max_in_flight(), Some(7));
        assert!(e.accepts("process").is_ok());
        assert_eq!(
            e.accepts("rest").unwrap_err(),
            "probe runs process steps, not rest"
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let heard = Arc::clone(&seen);
        let ctx = CallContext::default().with_job_reporter(Arc::new(move |id: &str| {
            heard.lock().unwrap().push(id.to_string())
        }));
        let job = ExecutorJob {
            provider_type: "process".into(),
            configuration: json!({"command": ["true"]}),
            payload: Some(json!("x")),
        };
        let r = e.run(&job, &ctx).unwrap();
        assert_eq!(r.data["job"], job.to_json());
        assert_eq!(r.data["cancelled"], json!(false));
        assert_eq!(*seen.lock().unwrap(), ["job-1"]);
    }
}
