//! The benchmark workloads at small sizes, as a smoke test of their outputs
//! (no timing here: speed lives in `flowtoy-bench` and BENCHMARKS.md).

use crate::common;
use common::Test;
use flowtoy_bench::Workload;
use serde_json::json;

fn run(workload: Workload, size: usize) -> serde_json::Value {
    let out = Test::new()
        .file("w.yaml", &workload.yaml(size))
        .env("HOME", "/home/bench")
        .args(["run", "-j", "w.yaml"])
        .run();
    out.success();
    out.stdout_json()
}

#[test]
fn wide_gives_every_step_its_json_output() {
    let got = run(Workload::Wide, 50);
    let steps = got.as_object().unwrap();
    assert_eq!(steps.len(), 50);
    assert!(steps
        .values()
        .all(|o| o == &json!({"v": {"HOME": "/home/bench"}})));
}

#[test]
fn chain_passes_the_value_down_every_link() {
    let got = run(Workload::Chain, 30);
    assert_eq!(got.as_object().unwrap().len(), 30);
    assert_eq!(got["s29"], json!({"v": "/home/bench"}));
}

#[test]
fn proc_sleep_and_startup_succeed() {
    for (w, size) in [
        (Workload::Proc, 20),
        (Workload::Sleep, 8),
        (Workload::Startup, 1),
    ] {
        let got = run(w, size);
        assert_eq!(got.as_object().unwrap().len(), size, "{}", w.name());
    }
}

#[test]
fn the_validate_workload_is_a_flow_that_runs() {
    // Each input template is used once (checked at validation, compiled at
    // its use); the output template is shared by every step (compiled once).
    let got = run(Workload::Validate, 30);
    assert_eq!(got.as_object().unwrap().len(), 30);
    assert_eq!(got["s29"], json!({"v": "/home/bench", "t": "/HOME/BENCH"}));
}

#[test]
fn foreach_gives_one_list_and_guarded_runs_like_wide() {
    let got = run(Workload::Foreach, 40);
    let values = got["each"]["v"].as_array().expect("a list");
    assert_eq!(values.len(), 40);
    assert!(values.iter().all(|v| v == &json!({"HOME": "/home/bench"})));
    let got = run(Workload::Guarded, 20);
    assert_eq!(got.as_object().unwrap().len(), 20);
}

#[test]
fn the_graph_workload_draws_every_step() {
    let out = Test::new()
        .file("w.yaml", &Workload::Graph.yaml(30))
        .args(Workload::Graph.command().iter().copied().chain(["w.yaml"]))
        .run();
    out.success();
    assert_eq!(out.stdout().matches("<g class=\"node\"").count(), 30);
}
