//! Where the API's answers come from: a runner in this process, or a remote
//! runner's status API (relay mode).

use super::relay::RelayClient;
use crate::runner::LocalRunner;
use std::sync::{Arc, RwLock};

/// The runner a server reports on; empty until one is attached, and then
/// `GET /status` answers `{"status": "no-runner"}` (SPEC R19).
#[derive(Debug, Clone, Default)]
pub struct RunnerSlot(Arc<RwLock<Option<Arc<LocalRunner>>>>);

impl RunnerSlot {
    /// A slot holding `runner` (or nothing).
    pub fn new(runner: Option<Arc<LocalRunner>>) -> Self {
        RunnerSlot(Arc::new(RwLock::new(runner)))
    }

    /// The attached runner, if any.
    pub fn get(&self) -> Option<Arc<LocalRunner>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Attaches `runner` (or detaches with `None`).
    pub fn set(&self, runner: Option<Arc<LocalRunner>>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = runner;
    }
}

/// What a status API server serves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ApiSource {
    /// A runner in this process (the slot may be empty).
    Local(RunnerSlot),
    /// Another runner's status API, relayed (`webui --status-url`).
    Relay(RelayClient),
}

impl From<Option<Arc<LocalRunner>>> for ApiSource {
    fn from(runner: Option<Arc<LocalRunner>>) -> Self {
        ApiSource::Local(RunnerSlot::new(runner))
    }
}

impl From<Arc<LocalRunner>> for ApiSource {
    fn from(runner: Arc<LocalRunner>) -> Self {
        ApiSource::Local(RunnerSlot::new(Some(runner)))
    }
}

impl From<RelayClient> for ApiSource {
    fn from(client: RelayClient) -> Self {
        ApiSource::Relay(client)
    }
}
