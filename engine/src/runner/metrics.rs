//! Counters of a run that its status does not hold: calls to providers and
//! their failures by provider type, and retries. Counted lock-free where
//! they happen (`step.rs` counts a call as it reaches the provider,
//! `tries.rs` a failed try and a retry); read by `GET /metrics`, which adds
//! what the status holds (steps by state, durations, the outcome).

use crate::config::Config;
use std::sync::atomic::{AtomicU64, Ordering};

/// Calls and failures of one provider type.
#[derive(Debug, Default)]
struct TypeCounters {
    name: String,
    calls: AtomicU64,
    failures: AtomicU64,
}

/// What [`RunMetrics::provider_counts`] reports for one provider type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCounts {
    /// The provider type.
    pub type_name: String,
    /// Calls made to it (each try, each `foreach` item).
    pub calls: u64,
    /// Calls that failed: an error, a failed result, a panic, a timeout, a
    /// rejected configuration.
    pub failures: u64,
}

/// The run's counters; one per [`LocalRunner`](super::LocalRunner).
#[derive(Debug, Default)]
pub struct RunMetrics {
    /// One entry per provider type the flow uses, in order of first use.
    types: Vec<TypeCounters>,
    /// `slot[step]`: the entry of the step's provider type.
    slot: Vec<usize>,
    retries: AtomicU64,
}

impl RunMetrics {
    /// Counters for every provider type `config`'s steps call, all zero.
    pub(crate) fn new(config: &Config) -> RunMetrics {
        let mut metrics = RunMetrics::default();
        for (_, source) in config.steps_with_sources() {
            let slot = match metrics
                .types
                .iter()
                .position(|t| t.name == source.type_name)
            {
                Some(slot) => slot,
                None => {
                    metrics.types.push(TypeCounters {
                        name: source.type_name.clone(),
                        ..TypeCounters::default()
                    });
                    metrics.types.len() - 1
                }
            };
            metrics.slot.push(slot);
        }
        metrics
    }

    fn of_step(&self, step: usize) -> Option<&TypeCounters> {
        self.slot.get(step).and_then(|&s| self.types.get(s))
    }

    /// Step `step`'s provider is being called.
    pub(crate) fn count_call(&self, step: usize) {
        if let Some(t) = self.of_step(step) {
            t.calls.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A call of step `step`'s provider failed.
    pub(crate) fn count_failure(&self, step: usize) {
        if let Some(t) = self.of_step(step) {
            t.failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A failed try is tried again.
    pub(crate) fn count_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls and failures by provider type, in order of first use.
    pub fn provider_counts(&self) -> Vec<ProviderCounts> {
        self.types
            .iter()
            .map(|t| ProviderCounts {
                type_name: t.name.clone(),
                calls: t.calls.load(Ordering::Relaxed),
                failures: t.failures.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Tries started again after a retryable failure (R25).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}
