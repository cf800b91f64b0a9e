//! The SQLite store with real runs: recording, reading back, resuming,
//! pruning, and what it refuses to touch.

use super::*;
use crate::runner::StepState;
use serde_json::json;
use std::sync::Arc;

/// `count` appends a line to `dir/count` each time it runs; `check` fails
/// until `dir/fixed` exists; `after` reads `count`'s output.
fn flow(dir: &std::path::Path) -> String {
    let d = dir.display();
    format!(
        r#"
flow:
  - name: count
    source: {{type: process, configuration: {{command: [sh, -c, 'echo x >> {d}/count; echo "{{\"n\": 7}}"']}}}}
    output: [{{name: n, type: jmespath, value: n}}]
  - name: check
    source: {{type: process, configuration: {{command: [sh, -c, 'test -f {d}/fixed']}}}}
  - name: after
    depends_on: [check]
    source: {{type: process, configuration: {{command: [echo]}}}}
    input: "n={{{{ flows.count.n }}}}"
    output: [{{name: text}}]
"#
    )
}

fn store(dir: &std::path::Path) -> Arc<SqliteHistory> {
    Arc::new(SqliteHistory::open(dir.join("state/history.db")).expect("open the history"))
}

fn run_recorded(store: &Arc<SqliteHistory>, file: &std::path::Path) -> crate::RunStatus {
    let config = crate::config::load_yaml_files(&[file]).expect("valid flow");
    let mut runner = crate::LocalRunner::new(config);
    runner.record_into(store.clone());
    let status = runner.run().expect("run");
    assert!(runner.history_id().is_some());
    status
}

fn count_lines(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("count"))
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn a_halted_run_is_recorded_and_resumed_without_running_what_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flow.yaml");
    std::fs::write(&file, flow(dir.path())).unwrap();
    let store = store(dir.path());

    run_recorded(&store, &file);
    let runs = store.runs(&RunQuery::default()).unwrap();
    assert_eq!(runs.len(), 1);
    let first = &runs[0];
    assert_eq!(first.outcome, HistoryOutcome::Halted);
    assert_eq!((first.succeeded, first.failed, first.skipped), (1, 1, 1));
    assert_eq!(
        first.files,
        [file.canonicalize().unwrap().display().to_string()]
    );
    let record = store.run(first.id).unwrap().expect("the run");
    assert_eq!(record.steps.len(), 3);
    assert_eq!(
        record.step("count").unwrap().outputs.as_deref().unwrap()["n"],
        json!(7)
    );
    assert_eq!(
        record.step("after").unwrap().status.state,
        StepState::Skipped
    );

    std::fs::write(dir.path().join("fixed"), "").unwrap();
    let (runner, plan) = resume(store.clone(), first.id, crate::Loader::new()).unwrap();
    let reused: Vec<&str> = plan.reused().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(reused, ["count"]);
    let rerun: Vec<&str> = plan.rerun().iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(rerun, ["check", "after"]);
    let status = runner.run().unwrap();
    assert_eq!(count_lines(dir.path()), 1, "count did not run again");
    assert!(status.steps.iter().all(|s| s.state == StepState::Succeeded));
    assert_eq!(runner.flows()["after"]["text"], "n=7");
    assert_eq!(
        status.step("count").unwrap().error.as_deref(),
        Some(format!("reused from run {}", first.id).as_str())
    );
    let second = store.run(runner.history_id().unwrap()).unwrap().unwrap();
    assert_eq!(second.summary.resumed_from, Some(first.id));
    assert_eq!(second.summary.outcome, HistoryOutcome::Finished);
    assert_eq!(second.step("count").unwrap().reused_from, Some(first.id));

    // A changed definition runs again, with what depends on it.
    std::fs::write(&file, flow(dir.path()).replace(": 7}", ": 8}")).unwrap();
    let (runner, plan) = resume(store.clone(), second.summary.id, crate::Loader::new()).unwrap();
    assert_eq!(plan.reused().len(), 1, "check is unchanged: {plan:?}");
    assert_eq!(plan.reused()[0].name, "check");
    assert_eq!(plan.rerun()[0], ("count".to_string(), RerunReason::Changed));
    runner.run().unwrap();
    assert_eq!(count_lines(dir.path()), 2);
    assert_eq!(runner.flows()["after"]["text"], "n=8");
}

#[test]
fn secret_values_are_masked_and_their_steps_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("flow.yaml");
    let yaml = r#"
flow:
  - name: token
    source: {type: process, configuration: {command: [echo, 'history-unit-secret-4b1d']}}
    output: [{name: value, secret: true}]
  - name: plain
    source: {type: process, configuration: {command: [echo, 'nothing to hide']}}
    output: [{name: text}]
"#;
    std::fs::write(&file, yaml).unwrap();
    let store = store(dir.path());
    run_recorded(&store, &file);
    let id = store.runs(&RunQuery::default()).unwrap()[0].id;
    let record = store.run(id).unwrap().unwrap();
    let token = record.step("token").unwrap();
    assert!(token.secret);
    assert_eq!(
        token.outputs.as_deref().unwrap()["value"],
        crate::secrets::MASK
    );
    assert!(!record.step("plain").unwrap().secret);
    assert_eq!(record.document().secret_steps, ["token"]);
    let config = crate::config::load_yaml_files(&[&file]).unwrap();
    let plan = ResumePlan::new(&record, &config);
    assert_eq!(
        plan.rerun(),
        [("token".to_string(), RerunReason::SecretOutputs)]
    );
    assert_eq!(plan.reused()[0].name, "plain");
    drop(store);
    for entry in std::fs::read_dir(dir.path().join("state")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("history-unit-secret-4b1d"));
    }
}

#[test]
fn a_file_that_is_not_a_history_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();
    let error = SqliteHistory::open(&path).unwrap_err();
    assert!(error.is_usage());
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("--no-history"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no journal was made beside it");
}

#[cfg(unix)]
#[test]
fn a_new_history_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    assert_eq!(mode(store.path()), 0o600);
    assert_eq!(mode(&dir.path().join("state/history.db-wal")), 0o600);
}

#[test]
fn prune_keeps_the_newest_runs_and_never_a_running_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let new_run = |started_at: f64| NewRun {
        run_id: 1,
        files: vec!["/f.yaml".into()],
        config_hash: "h".into(),
        steps: vec!["a".into()],
        definitions: vec!["d".into()],
        started_at,
        resumed_from: None,
        process: ProcessIdentity::current(),
    };
    let end = RunEnd {
        ended_at: 0.0,
        outcome: HistoryOutcome::Finished,
        succeeded: 1,
        failed: 0,
        skipped: 0,
    };
    let ids: Vec<RunId> = (0..5)
        .map(|i| store.begin_run(&new_run(f64::from(i) * 100.0)).unwrap())
        .collect();
    for id in &ids[1..] {
        store.end_run(*id, &end).unwrap();
    }
    // ids[0] is still running (this process is alive).
    assert_eq!(store.prune(&Prune::Keep(2)).unwrap(), 2);
    let left: Vec<RunId> = store
        .runs(&RunQuery::default())
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, [ids[4], ids[3], ids[0]]);
    assert_eq!(store.prune(&Prune::StartedBefore(350.0)).unwrap(), 1);
    let query = RunQuery {
        outcome: Some(HistoryOutcome::Running),
        ..RunQuery::default()
    };
    assert_eq!(store.runs(&query).unwrap().len(), 1);
    let query = RunQuery {
        file: Some("/f.yaml".into()),
        ..RunQuery::default()
    };
    assert_eq!(store.runs(&query).unwrap().len(), 2);
    let query = RunQuery {
        file: Some("/other.yaml".into()),
        ..RunQuery::default()
    };
    assert!(store.runs(&query).unwrap().is_empty());
}

#[test]
fn a_run_whose_process_is_gone_is_interrupted_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let mut process = ProcessIdentity::current();
    process.pid = child.id();
    process.start = Some("a process that has ended".into());
    child.wait().unwrap();
    let id = store
        .begin_run(&NewRun {
            run_id: 1,
            files: vec![],
            config_hash: "h".into(),
            steps: vec!["a".into(), "b".into()],
            definitions: vec!["d".into(), "e".into()],
            started_at: 5.0,
            resumed_from: None,
            process,
        })
        .unwrap();
    let step = StepRecord {
        position: 0,
        status: Arc::new(crate::runner::StepStatus {
            name: "a".into(),
            state: StepState::Succeeded,
            attempt: Some(1),
            started_at: Some(6.0),
            ended_at: Some(7.0),
            error: None,
            outputs: Vec::new(),
            items: None,
            executor: None,
            job_id: None,
        }),
        outputs: Some(Arc::new(serde_json::Map::new())),
        secret: false,
        reused_from: None,
    };
    store.record_steps(id, &[step]).unwrap();
    drop(store);
    let store = self::store(dir.path());
    let run = store.run(id).unwrap().unwrap();
    assert_eq!(run.summary.outcome, HistoryOutcome::Interrupted);
    assert_eq!(run.summary.ended_at, Some(7.0));
    assert_eq!(run.summary.succeeded, 1);
    let doc = run.document();
    assert_eq!(doc.steps.get("b").unwrap().state, StepState::Pending);
}
