//! A test-only plugin library whose providers misbehave on purpose, so that
//! the host's handling of plugins can be shown on real shared libraries:
//!
//! - `panicky` panics in its constructor (`panic_in: create`) or in its call
//!   (`panic_in: call`, the default);
//! - `wait_for_cancel` writes the file `started` (if given), then blocks
//!   until the host reports cancellation (then writes `marker`, if given, and
//!   succeeds) or until `limit` seconds pass (then fails);
//! - `sleepy` sleeps `seconds` and ignores cancellation altogether, then
//!   writes `done` (if given) and succeeds.

use flowtoy_plugin_api::{
    CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Panics where it is told to.
pub struct Panicky;

struct PanickyCall {
    message: String,
}

impl ProviderType for Panicky {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new("panicky", "panics on purpose (tests only)", "0.0.1")
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        let message = configuration["message"]
            .as_str()
            .unwrap_or("panicky was told to panic")
            .to_string();
        if configuration["panic_in"].as_str() == Some("create") {
            panic!("{message}");
        }
        Ok(Box::new(PanickyCall { message }))
    }
}

impl Provider for PanickyCall {
    fn call(&self, _payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        panic!("{}", self.message);
    }
}

/// Waits for the run to be cancelled.
pub struct WaitForCancel;

struct WaitForCancelCall {
    started: Option<String>,
    marker: Option<String>,
    limit: Duration,
}

impl ProviderType for WaitForCancel {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "wait_for_cancel",
            "blocks until the run is cancelled (tests only)",
            "0.0.1",
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(WaitForCancelCall {
            started: configuration["started"].as_str().map(str::to_string),
            marker: configuration["marker"].as_str().map(str::to_string),
            limit: Duration::from_secs_f64(configuration["limit"].as_f64().unwrap_or(60.0)),
        }))
    }
}

impl Provider for WaitForCancelCall {
    fn call(&self, _payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        if let Some(started) = &self.started {
            std::fs::write(started, "started")
                .map_err(|e| format!("cannot write {started}: {e}"))?;
        }
        let start = Instant::now();
        while start.elapsed() < self.limit {
            if ctx.is_cancelled() {
                if let Some(marker) = &self.marker {
                    std::fs::write(marker, "cancelled")
                        .map_err(|e| format!("cannot write {marker}: {e}"))?;
                }
                return Ok(ProviderResult::ok(json!({"cancelled": true})));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(ProviderResult::failed("the run was never cancelled"))
    }
}

/// Sleeps, deaf to cancellation.
pub struct Sleepy;

struct SleepyCall {
    seconds: f64,
    done: Option<String>,
}

impl ProviderType for Sleepy {
    fn info(&self) -> ProviderInfo {
        ProviderInfo::new(
            "sleepy",
            "sleeps and ignores cancellation (tests only)",
            "0.0.1",
        )
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        Ok(Box::new(SleepyCall {
            seconds: configuration["seconds"].as_f64().unwrap_or(1.0),
            done: configuration["done"].as_str().map(str::to_string),
        }))
    }
}

impl Provider for SleepyCall {
    fn call(&self, _payload: &Payload, _ctx: &CallContext) -> Result<ProviderResult, String> {
        std::thread::sleep(Duration::from_secs_f64(self.seconds));
        if let Some(done) = &self.done {
            std::fs::write(done, "done").map_err(|e| format!("cannot write {done}: {e}"))?;
        }
        Ok(ProviderResult::ok(json!({"slept": self.seconds})))
    }
}

flowtoy_plugin_api::export_providers!(Panicky, WaitForCancel, Sleepy);
