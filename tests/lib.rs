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
mod ecosystem;
mod executor_slurm;
mod executors;
mod faults;
mod fuzz_regressions;
mod graph_svg;
mod history;
mod metrics;
mod plugin_logs;
mod plugins;
mod provider_process;
mod provider_rest;
mod run_config;
mod run_control;
mod run_scheduler;
mod run_templates;
mod secrets;
mod status_api;
mod status_api_auth;
mod status_api_embed;
mod status_api_load;
mod status_api_relay;
mod step_details;
mod tui_cli;
mod tui_keys;
mod tui_render;
mod tui_source;
mod tui_tmux;
mod webui_browser;
mod webui_graph;
mod webui_history;

/// Cargo.toml says `autotests = false`, so cargo builds no test binary of
/// its own for a new `tests/*.rs` file: one not declared above never runs.
#[test]
fn every_test_file_is_a_module_here() {
    let declared = include_str!("lib.rs");
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&tests).expect("read tests/") {
        let path = entry.expect("a tests/ entry").path();
        let module = if path.extension().is_some_and(|e| e == "rs") {
            path.file_stem()
        } else if path.join("mod.rs").exists() || path.join("main.rs").exists() {
            path.file_name()
        } else {
            None
        };
        match module.and_then(|m| m.to_str()) {
            // python.rs is a test binary of its own (Cargo.toml): cargo runs
            // it after this one, so its timing-sensitive pytest suite does
            // not share the machine with every other test.
            Some("lib") | Some("python") | None => {}
            Some(name) if declared.contains(&format!("\nmod {name};\n")) => {}
            Some(name) => missing.push(name.to_string()),
        }
    }
    assert!(
        missing.is_empty(),
        "declare in tests/lib.rs: mod {missing:?}"
    );
}
