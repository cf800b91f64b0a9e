//! The `local` executor: the provider is created and called in this process,
//! on the worker that runs the step (panics caught).

use crate::error::{StepError, StepErrorKind};
use crate::registry::RegisteredProvider;
use crate::runner::panic_message;
use flowtoy_plugin_api::{CallContext, Payload, ProviderResult};
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Creates a provider of `registered` from `configuration` and calls it once
/// with `payload`.
pub fn call_provider(
    registered: &RegisteredProvider,
    configuration: &Value,
    payload: &Payload,
    ctx: &CallContext,
) -> Result<ProviderResult, StepError> {
    let kind = &registered.info.name;
    let provider = catch_unwind(AssertUnwindSafe(|| {
        registered.provider.create(configuration)
    }))
    .map_err(|p| {
        StepError::new(
            StepErrorKind::Panic,
            format!(
                "provider '{kind}' panicked while starting: {}",
                panic_message(&*p)
            ),
        )
    })?
    .map_err(|e| {
        StepError::new(
            StepErrorKind::Configuration,
            format!("provider '{kind}' rejected its configuration: {e}"),
        )
    })?;
    catch_unwind(AssertUnwindSafe(|| provider.call(payload, ctx)))
        .map_err(|p| {
            StepError::new(
                StepErrorKind::Panic,
                format!("provider '{kind}' panicked: {}", panic_message(&*p)),
            )
        })?
        .map_err(|e| StepError::new(StepErrorKind::Provider, e))
}
