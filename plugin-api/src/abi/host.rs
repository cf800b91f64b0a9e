//! The host side of the ABI: a provider type from a plugin library, seen as an
//! ordinary [`ProviderType`].

use super::{FfiCancel, FfiCancel_TO, FfiError, FfiProviderBox, FfiProviderTypeBox};
use crate::{CallContext, Payload, Provider, ProviderInfo, ProviderResult, ProviderType};
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RResult, RStr};
use serde_json::Value;

/// Turns an error value from the plugin back into the host's terms. A panic in
/// the plugin is raised again as a panic here (without running the panic
/// hook), so the host's own `catch_unwind` around provider calls reports it
/// exactly like the panic of a compiled-in provider.
pub(super) fn into_host<T>(result: RResult<T, FfiError>) -> Result<T, String> {
    match result {
        RResult::ROk(value) => Ok(value),
        RResult::RErr(e) if e.panicked => {
            std::panic::resume_unwind(Box::new(e.message.into_string()))
        }
        RResult::RErr(e) => Err(e.message.into_string()),
    }
}

/// A provider type that lives in a plugin library.
pub struct ForeignProviderType {
    ffi: FfiProviderTypeBox,
    info: ProviderInfo,
}

impl ForeignProviderType {
    /// Wraps a provider type handed over by a library, asking its name,
    /// description and version once. A panic while answering is an `Err`.
    pub fn new(ffi: FfiProviderTypeBox) -> Result<Self, String> {
        let info = match ffi.info() {
            RResult::ROk(info) => info,
            RResult::RErr(e) if e.panicked => {
                return Err(format!(
                    "it panicked while describing a provider type: {}",
                    e.message
                ))
            }
            RResult::RErr(e) => return Err(e.message.into_string()),
        };
        Ok(ForeignProviderType {
            ffi,
            info: ProviderInfo {
                name: info.name.into_string(),
                description: info.description.into_string(),
                version: info.version.into_string(),
            },
        })
    }
}

impl ProviderType for ForeignProviderType {
    fn info(&self) -> ProviderInfo {
        self.info.clone()
    }

    fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
        let text = configuration.to_string();
        let ffi = into_host(self.ffi.create(RStr::from_str(&text)))?;
        Ok(Box::new(ForeignProvider { ffi }))
    }
}

/// A configured provider that lives in a plugin library.
struct ForeignProvider {
    ffi: FfiProviderBox,
}

/// Answers the plugin's cancellation questions from the host's context.
struct HostCancel(CallContext);

impl FfiCancel for HostCancel {
    fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

impl Provider for ForeignProvider {
    fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
        let payload = payload.as_ref().map(Value::to_string).unwrap_or_default();
        let cancel = FfiCancel_TO::from_value(HostCancel(ctx.clone()), TD_Opaque);
        let text = into_host(super::hooks::during_call(ctx, || {
            self.ffi
                .call(RStr::from_str(&payload), RStr::from_str(ctx.step()), cancel)
        }))?;
        let value: Value = serde_json::from_str(text.as_str())
            .map_err(|e| format!("the plugin answered with a result that is not JSON: {e}"))?;
        ProviderResult::from_json(&value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{export_types, FfiProviderTypeBox};
    use crate::{Level, OutputStream};
    use serde_json::json;
    use std::panic::AssertUnwindSafe;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    struct Probe;
    struct ProbeCall {
        mode: String,
    }

    impl ProviderType for Probe {
        fn info(&self) -> ProviderInfo {
            ProviderInfo::new("probe", "test provider", "0.0.1")
        }
        fn create(&self, configuration: &Value) -> Result<Box<dyn Provider>, String> {
            let mode = configuration["mode"].as_str().unwrap_or("echo").to_string();
            if mode == "panic-create" {
                panic!("no configuration for me");
            }
            if mode == "bad" {
                return Err("mode 'bad' is bad".into());
            }
            Ok(Box::new(ProbeCall { mode }))
        }
    }

    impl Provider for ProbeCall {
        fn call(&self, payload: &Payload, ctx: &CallContext) -> Result<ProviderResult, String> {
            match self.mode.as_str() {
                "panic-call" => panic!("boom in call"),
                "cancel" => Ok(ProviderResult::ok(json!(ctx.is_cancelled()))),
                "talk" => {
                    ctx.log(Level::Warn, "careful");
                    ctx.output(OutputStream::Stdout, b"out\n");
                    ctx.output(OutputStream::Stderr, b"err");
                    Ok(ProviderResult::ok(json!(ctx.has_sink())))
                }
                _ => Ok(
                    ProviderResult::ok(json!({"payload": payload, "step": ctx.step()}))
                        .with_meta("k", json!(1)),
                ),
            }
        }
    }

    fn through_the_abi() -> ForeignProviderType {
        let mut types: Vec<FfiProviderTypeBox> =
            match export_types(|| vec![Box::new(Probe) as Box<dyn ProviderType>]) {
                RResult::ROk(types) => types.into_vec(),
                RResult::RErr(e) => panic!("export failed: {e:?}"),
            };
        ForeignProviderType::new(types.remove(0)).unwrap()
    }

    #[test]
    fn values_cross_as_json_and_come_back_whole() {
        let t = through_the_abi();
        assert_eq!(
            t.info(),
            ProviderInfo::new("probe", "test provider", "0.0.1")
        );
        let p = t.create(&json!({})).unwrap();
        let ctx = CallContext::new("s1", Arc::new(AtomicBool::new(false)));
        let r = p.call(&Some(json!({"a": [1, "x"]})), &ctx).unwrap();
        assert_eq!(r.data, json!({"payload": {"a": [1, "x"]}, "step": "s1"}));
        assert_eq!(r.meta["k"], json!(1));
        let r = p.call(&None, &ctx).unwrap();
        assert_eq!(r.data["payload"], Value::Null);
    }

    #[test]
    fn errors_stay_errors_and_panics_become_host_panics() {
        let t = through_the_abi();
        let err = t.create(&json!({"mode": "bad"})).err().unwrap();
        assert_eq!(err, "mode 'bad' is bad");
        let panic = std::panic::catch_unwind(AssertUnwindSafe(|| {
            t.create(&json!({"mode": "panic-create"}))
        }))
        .err()
        .unwrap();
        let text = crate::abi::panic_text(&*panic);
        assert!(
            text.starts_with("no configuration for me (at plugin-api/src/abi/host.rs:"),
            "{text}"
        );
        let p = t.create(&json!({"mode": "panic-call"})).unwrap();
        let panic =
            std::panic::catch_unwind(AssertUnwindSafe(|| p.call(&None, &CallContext::default())))
                .err()
                .unwrap();
        let text = crate::abi::panic_text(&*panic);
        assert!(
            text.starts_with("boom in call (at plugin-api/src/abi/host.rs:"),
            "{text}"
        );
    }

    /// Records what a provider sent back.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<String>>);

    impl crate::CallSink for Recorder {
        fn output(&self, stream: OutputStream, chunk: &[u8]) {
            let text = String::from_utf8_lossy(chunk);
            self.0.lock().unwrap().push(format!("{stream:?}:{text}"));
        }
        fn log(&self, level: Level, message: &str) {
            self.0.lock().unwrap().push(format!("{level:?}:{message}"));
        }
    }

    #[test]
    fn output_and_log_lines_come_back_through_the_abi() {
        let t = through_the_abi();
        let p = t.create(&json!({"mode": "talk"})).unwrap();
        // What the export macro's symbol does when the host loads a library.
        assert!(crate::abi::accept_host_hooks(
            crate::abi::host_hooks(),
            crate::abi::host_hooks_layout()
        ));
        let recorder = Arc::new(Recorder::default());
        let ctx = CallContext::default().with_sink(recorder.clone());
        assert_eq!(p.call(&None, &ctx).unwrap().data, json!(true));
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["Warn:careful", "Stdout:out\n", "Stderr:err"]
        );
        // Without a sink on the host's side the plugin has none either.
        assert_eq!(
            p.call(&None, &CallContext::default()).unwrap().data,
            json!(false)
        );
        assert_eq!(recorder.0.lock().unwrap().len(), 3);
    }

    #[test]
    fn cancellation_is_seen_through_the_abi() {
        let t = through_the_abi();
        let p = t.create(&json!({"mode": "cancel"})).unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let ctx = CallContext::new("s", Arc::clone(&flag));
        assert_eq!(p.call(&None, &ctx).unwrap().data, json!(false));
        flag.store(true, Ordering::SeqCst);
        assert_eq!(p.call(&None, &ctx).unwrap().data, json!(true));
    }
}
