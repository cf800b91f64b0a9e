//! The host's hooks: how a provider in a plugin library hands the host its
//! output chunks and log lines ([`CallContext::output`],
//! [`CallContext::log`]) — added after plugin API version 1 first shipped,
//! without changing a single type that plugins built before already have.
//!
//! Why not new methods on the cancellation object or new root-module
//! fields: `abi_stable`'s layout check accepts a library whose prefix types
//! have *more* fields than the host's, never *fewer*, so growing an existing
//! type would refuse every plugin built before the change. Instead the export
//! macro adds one more symbol, [`HOOKS_SYMBOL`]; after loading a library
//! (its layout checked as before) the host looks that symbol up and, when the
//! library has it, hands it the [`HostHooks`] (a prefix type of its own,
//! whose layout the library checks against its own view). A plugin built
//! before has no such symbol: it loads and runs as it always did. A plugin
//! built with hooks, in a host without them, is never handed any: its lines
//! are dropped.
//!
//! During a call the host registers the call's [`CallContext`] under a
//! number and marks the calling thread with it ([`during_call`]); the plugin
//! asks that number once, when the call enters the library, and passes it
//! back with every chunk and line, from whichever thread sends them.

use crate::{CallContext, CallSink, Level, OutputStream};
use abi_stable::abi_stability::check_layout_compatibility;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::std_types::{RSlice, RStr};
use abi_stable::type_layout::TypeLayout;
use abi_stable::{sabi_extern_fn, StableAbi};
use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The name of the symbol through which a plugin library accepts the host's
/// hooks (defined by [`export_providers!`](crate::export_providers)).
pub const HOOKS_SYMBOL: &[u8] = b"flowtoy_plugin_accept_host_hooks\0";

/// The type of the [`HOOKS_SYMBOL`] function: takes the hooks and the
/// host's layout of them; true when the library uses them.
pub type AcceptHooks = extern "C" fn(HostHooksRef, &'static TypeLayout) -> bool;

/// What the host offers a plugin during its calls. A prefix type: fields
/// are only ever appended after the `last_prefix_field`.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = HostHooksRef)))]
#[sabi(missing_field(option))]
pub struct HostHooks {
    /// The number of the call the calling thread is making (0: none).
    pub current_call: extern "C" fn() -> u64,
    /// A chunk of output of call `call` on stream `stream`
    /// ([`OutputStream::code`]).
    pub output: extern "C" fn(call: u64, stream: u8, chunk: RSlice<'_, u8>),
    /// A log line of call `call` at `level` ([`Level::code`]).
    #[sabi(last_prefix_field)]
    pub log: extern "C" fn(call: u64, level: u8, message: RStr<'_>),
}

// ---- the host's side ------------------------------------------------------

thread_local! {
    /// The call this thread is making into a plugin (0: none).
    static CURRENT_CALL: Cell<u64> = const { Cell::new(0) };
}

/// The contexts of calls under way in plugins, by number.
fn calls() -> &'static Mutex<HashMap<u64, CallContext>> {
    static CALLS: OnceLock<Mutex<HashMap<u64, CallContext>>> = OnceLock::new();
    CALLS.get_or_init(Default::default)
}

fn call_context(call: u64) -> Option<CallContext> {
    calls()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&call)
        .cloned()
}

#[sabi_extern_fn]
fn host_current_call() -> u64 {
    CURRENT_CALL.with(Cell::get)
}

#[sabi_extern_fn]
fn host_output(call: u64, stream: u8, chunk: RSlice<'_, u8>) {
    // Nothing may unwind across the boundary; a failing sink loses a chunk.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Some(ctx) = call_context(call) {
            ctx.output(OutputStream::from_code(stream), chunk.as_slice());
        }
    }));
}

#[sabi_extern_fn]
fn host_log(call: u64, level: u8, message: RStr<'_>) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if let Some(ctx) = call_context(call) {
            ctx.log(Level::from_code(level), message.as_str());
        }
    }));
}

/// The hooks of this host (made once).
pub fn host_hooks() -> HostHooksRef {
    static HOOKS: OnceLock<HostHooksRef> = OnceLock::new();
    *HOOKS.get_or_init(|| {
        HostHooks {
            current_call: host_current_call,
            output: host_output,
            log: host_log,
        }
        .leak_into_prefix()
    })
}

/// The host's layout of [`HostHooks`], handed over with them.
pub fn host_hooks_layout() -> &'static TypeLayout {
    <HostHooksRef as StableAbi>::LAYOUT
}

/// Forgets a registered call, also when the call panicked.
struct Registered {
    call: u64,
    outer: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        CURRENT_CALL.with(|c| c.set(self.outer));
        calls()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.call);
    }
}

/// Runs `f` (a call into a plugin) with `ctx` registered, so the plugin's
/// output chunks and log lines reach `ctx`'s sink.
pub(super) fn during_call<R>(ctx: &CallContext, f: impl FnOnce() -> R) -> R {
    if !ctx.has_sink() {
        return f();
    }
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let call = NEXT.fetch_add(1, Ordering::Relaxed);
    calls()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(call, ctx.clone());
    let outer = CURRENT_CALL.with(|c| c.replace(call));
    let _registered = Registered { call, outer };
    f()
}

// ---- the plugin's side ----------------------------------------------------

/// The hooks the host handed this library, once it did.
static ACCEPTED: OnceLock<HostHooksRef> = OnceLock::new();

/// Takes the host's hooks when their layout fits this library's view of
/// them (what [`HOOKS_SYMBOL`] does; used by
/// [`export_providers!`](crate::export_providers)).
pub fn accept_host_hooks(hooks: HostHooksRef, layout: &'static TypeLayout) -> bool {
    catch_unwind(AssertUnwindSafe(|| {
        if check_layout_compatibility(<HostHooksRef as StableAbi>::LAYOUT, layout).is_err() {
            return false;
        }
        let _ = ACCEPTED.set(hooks);
        true
    }))
    .unwrap_or(false)
}

/// Sends a call's chunks and lines to the host through its hooks.
struct HookSink {
    hooks: HostHooksRef,
    call: u64,
}

impl CallSink for HookSink {
    fn output(&self, stream: OutputStream, chunk: &[u8]) {
        (self.hooks.output())(self.call, stream.code(), RSlice::from_slice(chunk));
    }

    fn log(&self, level: Level, message: &str) {
        (self.hooks.log())(self.call, level.code(), RStr::from_str(message));
    }
}

/// `ctx` with a sink to the host, when the host handed this library its
/// hooks and the calling thread is making a call of its.
pub(super) fn guest_context(ctx: CallContext) -> CallContext {
    let Some(hooks) = ACCEPTED.get().copied() else {
        return ctx;
    };
    match (hooks.current_call())() {
        0 => ctx,
        call => ctx.with_sink(Arc::new(HookSink { hooks, call })),
    }
}
