//! Criterion micro-benchmarks of the engine's hot paths: template rendering,
//! JMESPath extraction, and the scheduler's cost per step.
//!
//! `cargo bench -p flowtoy`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use flowtoy::config::load_yaml_files;
use flowtoy::flows::FlowStore;
use flowtoy::query;
use flowtoy::runner::LocalRunner;
use flowtoy::template::{BaseContext, Templates};
use serde_json::json;
use std::sync::Arc;

fn templates(c: &mut Criterion) {
    let store = Arc::new(FlowStore::new());
    store.insert(
        "a",
        json!({"v": "value", "n": [1, 2, 3]})
            .as_object()
            .unwrap()
            .clone(),
    );
    let base = BaseContext::new(store, &json!({}));
    let mut t = Templates::new();
    let src = "{{ flows.a.v | upper }}-{{ flows.a.n | length }}";
    t.compile(src).unwrap();
    c.bench_function("template/render_precompiled", |b| {
        b.iter(|| t.render(src, &base.with(Vec::new())).unwrap())
    });
}

fn jmespath(c: &mut Criterion) {
    let data = json!({"users": (0..50).map(|i| json!({"name": format!("u{i}"), "age": i})).collect::<Vec<_>>()});
    let expr = query::compile("users[?age > `25`].name").unwrap();
    c.bench_function("jmespath/filter_50_users", |b| {
        b.iter(|| query::search(&expr, &data).unwrap())
    });
}

fn write_flow(steps: usize) -> tempfile::NamedTempFile {
    let mut yaml =
        String::from("sources:\n  home: {type: env, configuration: {vars: [HOME]}}\nflow:\n");
    for i in 0..steps {
        yaml.push_str(&format!(
            "  - {{name: s{i}, source: home, output: [{{name: v, type: json}}]}}\n"
        ));
    }
    let file = tempfile::Builder::new().suffix(".yaml").tempfile().unwrap();
    std::fs::write(file.path(), yaml).unwrap();
    file
}

fn scheduler(c: &mut Criterion) {
    let steps = 1_000;
    let file = write_flow(steps);
    let mut group = c.benchmark_group("scheduler");
    group.throughput(Throughput::Elements(steps as u64));
    group.sample_size(20);
    group.bench_function("run_1000_env_steps", |b| {
        b.iter_batched(
            || LocalRunner::new(load_yaml_files(&[file.path()]).unwrap()),
            |runner| runner.run().unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("load_and_validate_1000_steps", |b| {
        b.iter(|| load_yaml_files(&[file.path()]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, templates, jmespath, scheduler);
criterion_main!(benches);
