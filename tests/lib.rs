//! The integration tests, one module per concept, in one test binary (like
//! just's `tests/lib.rs`): `cargo test --workspace` compiles and links them
//! once instead of once per file. Run one module with
//! `cargo test --test integration config_errors::`.
//!
//! The few tests that change process-wide state (the environment, the
//! global `tracing` subscriber) run alone in a process of their own:
//! `common::own_process`.

mod common;
mod plugins_support;
mod status_api_support;

mod bench_workloads;
mod cli_commands;
mod config_errors;
mod faults;
mod fuzz_regressions;
mod plugins;
mod provider_process;
mod provider_rest;
mod run_config;
mod run_scheduler;
mod run_templates;
mod secrets;
mod status_api;
mod status_api_embed;
mod status_api_load;
mod status_api_relay;
mod tui_cli;
mod tui_keys;
mod tui_render;
mod tui_source;
mod tui_tmux;
mod webui_browser;
