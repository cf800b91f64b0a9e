//! Reads under load (SPEC R19): 16 clients poll `/status` while a 500-step
//! flow runs; none sees an error, a torn step, or a step going backwards.

use crate::status_api_support;

use flowtoy::runner::LocalRunner;
use flowtoy::runner_api;
use serde_json::Value;
use status_api_support::check_status;
use std::collections::HashMap;
use std::sync::Arc;

const STEPS: usize = 500;
const READERS: usize = 16;

fn flow() -> String {
    flowtoy_bench::status_load_flow(STEPS, 8)
}

fn rank(state: &str) -> u8 {
    match state {
        "pending" => 0,
        "running" => 1,
        _ => 2,
    }
}

/// Polls until it has seen the run end; returns how many documents it read.
fn reader(url: String) -> usize {
    let client = status_api_support::client();
    let mut last_completed = 0;
    let mut last_rank: HashMap<String, u8> = HashMap::new();
    let mut reads = 0;
    loop {
        let response = client
            .get(&url)
            .send()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status().as_u16(), 200);
        let status: Value = response.json().expect("JSON");
        reads += 1;
        let completed = check_status(&status);
        assert!(completed >= last_completed, "completed_steps went back");
        last_completed = completed;
        for (name, step) in status["steps"].as_object().unwrap() {
            let state = step["state"].as_str().unwrap();
            if state == "succeeded" {
                assert_eq!(
                    step["outputs"],
                    serde_json::json!(["out"]),
                    "torn step {name}: {step}"
                );
            }
            let r = rank(state);
            let before = last_rank.insert(name.clone(), r).unwrap_or(0);
            assert!(
                r >= before,
                "{name} went from rank {before} back to {state}"
            );
        }
        if status["ended_at"].is_f64() {
            return reads;
        }
    }
}

#[test]
fn sixteen_readers_during_a_500_step_run_see_whole_consistent_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flow.yaml");
    std::fs::write(&path, flow()).unwrap();
    let config = flowtoy::config::load_yaml_files(&[&path]).expect("the flow loads");
    let runner = Arc::new(LocalRunner::new(config));
    let server = runner_api::serve_runner_api_in_thread(
        Some(Arc::clone(&runner)),
        "127.0.0.1",
        0,
        tracing::Level::WARN,
        None,
    )
    .expect("the server starts");
    let url = format!("{}/status", server.url());

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || reader(url))
        })
        .collect();
    let status = runner.run().expect("the run");
    let reads: Vec<usize> = readers
        .into_iter()
        .map(|r| r.join().expect("a reader failed"))
        .collect();

    assert_eq!(status.completed_steps(), STEPS);
    let outputs = status_api_support::get_json(&format!("{}/outputs", server.url())).1;
    assert_eq!(outputs.as_object().unwrap().len(), STEPS);
    assert_eq!(outputs["s499"]["out"], 499);
    assert!(reads.iter().all(|&n| n >= 1), "{reads:?}");
    eprintln!("documents read per client: {reads:?}");
}
