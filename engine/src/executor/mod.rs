//! Executors (SPEC R34): *where* a step runs, separately from *what* it calls.
//!
//! Every step has a [`Placement`], decided once at validation from its own
//! `executor:` or the runner's: [`Placement::Local`] calls the provider in
//! this process (`local.rs`, the behaviour flowtoy always had), and
//! [`Placement::Remote`] hands the call — provider type, rendered
//! configuration, payload — to an [`Executor`] (the built-in `slurm`
//! executor, or one from a plugin library) that runs it elsewhere and
//! answers with the provider's result. The scheduler counts remote calls
//! against the executor's own cap ([`RemoteExecutor::cap`]), not against
//! `max_workers`.

mod local;
pub mod slurm;

pub use local::call_provider;

use crate::config::ExecutorDef;
use crate::registry::ProviderOrigin;
use flowtoy_plugin_api::{Executor, ExecutorType, ProviderInfo};
use std::fmt;
use std::sync::Arc;

/// How many calls a remote executor without a cap of its own runs at once.
pub const DEFAULT_REMOTE_CAP: usize = 100;

/// An executor type with its description and origin.
#[derive(Clone)]
pub struct RegisteredExecutor {
    /// The factory.
    pub executor_type: Arc<dyn ExecutorType>,
    /// Name, description, version (asked once, at registration).
    pub info: ProviderInfo,
    /// Where it comes from.
    pub origin: ProviderOrigin,
}

impl fmt::Debug for RegisteredExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredExecutor")
            .field("info", &self.info)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A configured executor that runs calls outside this process; one per
/// distinct `executor:` definition of the flow.
pub struct RemoteExecutor {
    /// The definition it was made from.
    pub definition: ExecutorDef,
    /// The executor.
    pub executor: Box<dyn Executor>,
    /// Most of its calls in flight at once.
    pub cap: usize,
    /// Its number among the flow's remote executors (the scheduler's lane).
    pub lane: usize,
}

impl fmt::Debug for RemoteExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteExecutor")
            .field("definition", &self.definition)
            .field("cap", &self.cap)
            .field("lane", &self.lane)
            .finish()
    }
}

/// Where one step's calls run.
#[derive(Debug, Clone, Default)]
pub enum Placement {
    /// In this process, on the runner's workers.
    #[default]
    Local,
    /// Through a remote executor.
    Remote(Arc<RemoteExecutor>),
}

impl Placement {
    /// The executor's type name: `local`, `slurm`, ...
    pub fn type_name(&self) -> &str {
        match self {
            Placement::Local => ExecutorDef::LOCAL,
            Placement::Remote(r) => &r.definition.type_name,
        }
    }

    /// The remote executor, if the step has one.
    pub fn remote(&self) -> Option<&Arc<RemoteExecutor>> {
        match self {
            Placement::Local => None,
            Placement::Remote(r) => Some(r),
        }
    }
}

#[cfg(test)]
mod tests;
