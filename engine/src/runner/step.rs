//! Running one step: render input and configuration, call the provider
//! (panics caught), check its result, pick the outputs (SPEC R8–R12).

use super::Shared;
use crate::error::{StepError, StepErrorKind};
use crate::executor::{call_provider, Placement, RemoteExecutor};
use crate::flows::StepOutputs;
use crate::template::{self, payload_extras, BaseContext};
use crate::{input, output};
use flowtoy_plugin_api::{CallContext, ProviderResult};
use flowtoy_plugin_api::{ExecutorJob, Payload};
use serde_json::Value;
use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Meta keys whose values are hidden (SPEC R10), matched case-insensitively.
const SECRET_META_KEYS: [&str; 5] = ["password", "secret", "token", "bind_password", "pw"];

/// Replaces the values of secret-looking meta keys by `"<redacted>"`, at any depth.
pub fn redact_meta(meta: &mut serde_json::Map<String, Value>) {
    for (key, value) in meta.iter_mut() {
        let lower = key.to_lowercase();
        if SECRET_META_KEYS.iter().any(|k| lower.contains(k)) {
            *value = Value::String("<redacted>".into());
        } else if let Value::Object(inner) = value {
            redact_meta(inner);
        }
    }
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// The error of a failed result (R10).
fn failure_message(result: &ProviderResult) -> String {
    if result.status.notes.is_empty() {
        match result.status.code {
            Some(code) => format!("provider reported failure (code={code})"),
            None => "provider reported failure (code=None)".to_string(),
        }
    } else {
        result.status.notes.join("; ")
    }
}

/// Runs one try of step `index` (or of one of its iterations: `base` then
/// holds `item` and `index`) to its outputs or its error; the provider sees
/// cancellation through `call_ctx`.
pub fn execute(
    shared: &Shared,
    index: usize,
    base: &BaseContext,
    call_ctx: &CallContext,
) -> Result<StepOutputs, StepError> {
    let config = &shared.config;
    let compiled = config.compiled();
    let step = &config.flow()[index];
    let templates = &compiled.templates;
    let template_error = |e: String| StepError::new(StepErrorKind::Template, e);
    let payload = input::build_payload(&step.input, templates, base).map_err(template_error)?;
    shared.details.input(index, &payload);
    let source = &compiled.resolved[index];
    let configuration = if template::value_has_template(&source.configuration) {
        let ctx = base.with(payload_extras(&payload));
        Cow::Owned(
            templates
                .render_value(&source.configuration, &ctx)
                .map_err(template_error)?,
        )
    } else {
        Cow::Borrowed(&source.configuration)
    };
    shared.metrics.count_call(index);
    let registry = config.registry();
    // Validation checked every type against this registry.
    let registered = registry.get(&source.type_name).ok_or_else(|| {
        StepError::new(
            StepErrorKind::Configuration,
            registry.unknown_type_message(&source.type_name),
        )
    })?;
    let mut result = match &compiled.placements[index] {
        Placement::Local => call_provider(registered, &configuration, &payload, call_ctx)?,
        Placement::Remote(remote) => run_remote(
            remote,
            &source.type_name,
            configuration.into_owned(),
            payload,
            call_ctx,
        )?,
    };
    redact_meta(&mut result.meta);
    shared.details.result(index, &result);
    if !result.status.success {
        return Err(StepError::new(
            StepErrorKind::Provider,
            failure_message(&result),
        ));
    }
    output::extract(&step.output, &result, templates, &compiled.jmespaths, base)
        .map_err(|e| StepError::new(StepErrorKind::Output, e))
}

/// Hands one call to a remote executor (R34); a panic or an error that kept
/// the call from running fails the try like a provider's would.
fn run_remote(
    remote: &RemoteExecutor,
    provider_type: &str,
    configuration: Value,
    payload: Payload,
    call_ctx: &CallContext,
) -> Result<ProviderResult, StepError> {
    let kind = &remote.definition.type_name;
    let job = ExecutorJob {
        provider_type: provider_type.to_string(),
        configuration,
        payload,
    };
    catch_unwind(AssertUnwindSafe(|| remote.executor.run(&job, call_ctx)))
        .map_err(|p| {
            StepError::new(
                StepErrorKind::Panic,
                format!("executor '{kind}' panicked: {}", panic_message(&*p)),
            )
        })?
        .map_err(|e| StepError::new(StepErrorKind::Provider, format!("executor '{kind}': {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_meta_is_redacted_at_any_depth() {
        let mut meta = json!({"Password": "x", "api_TOKEN": "y", "stderr": "ok", "headers": {"x-pw": "z", "a": "b"}})
            .as_object()
            .unwrap()
            .clone();
        redact_meta(&mut meta);
        assert_eq!(
            Value::Object(meta),
            json!({"Password": "<redacted>", "api_TOKEN": "<redacted>", "stderr": "ok", "headers": {"x-pw": "<redacted>", "a": "b"}})
        );
    }

    #[test]
    fn failure_messages() {
        let mut r = ProviderResult::failed("a");
        r.status.notes.push("b".into());
        assert_eq!(failure_message(&r), "a; b");
        r.status.notes.clear();
        r.status.code = Some(3);
        assert_eq!(failure_message(&r), "provider reported failure (code=3)");
    }
}
