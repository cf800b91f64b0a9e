//! The `slurm` executor on a real one-machine cluster (SPEC R35): the
//! harness in `common::slurm` starts munged, slurmctld and slurmd in a temp
//! dir and stops them afterwards. One test runs every scenario against one
//! cluster, so `cargo test` (one process for all tests) and nextest (one
//! process per test) both start exactly one; the slowest scenario (a job
//! over its time limit, which Slurm enforces in whole minutes) runs beside
//! the others.

use crate::common;
use common::slurm::{self, Cluster};
use common::Test;
use serde_json::{json, Value};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Generous: only reached when something is broken.
const DEADLINE: Duration = Duration::from_secs(240);

/// A flow that uses what the process provider offers: JSON and text
/// output, stdin, a structured payload, `cwd`, `env`, stderr, a failing
/// step under `continue`.
const FLOW: &str = r#"
flow:
  - name: json
    source: {type: process, configuration: {command: [echo, '{"n": 3, "words": ["a", "b"]}']}}
    output: [{name: n, type: jmespath, value: n}, {name: all, type: json}]
  - name: upper
    source: {type: process, configuration: {command: [tr, a-z, A-Z], pass_to: stdin}}
    input: "hello {{ flows.json.n }}"
    output: [{name: text}]
  - name: where
    source: {type: process, configuration: {command: [sh, -c, 'echo "$GREETING from $(basename "$PWD")"'], cwd: sub, env: {GREETING: hi}}}
    output: [{name: said}]
  - name: structured
    source: {type: process, configuration: {command: ["false"]}}
    input: {command: [printf, "%s-%s"], args: [x, "{{ flows.upper.text }}"]}
    output: [{name: out}]
  - name: warns
    source: {type: process, configuration: {command: [sh, -c, 'echo careful >&2; echo ok']}}
    output: [{name: err, type: template, value: "{{ meta.stderr | trim }}/{{ meta.returncode }}/{{ result }}"}]
  - name: fails
    source: {type: process, configuration: {command: [sh, -c, 'echo oops >&2; exit 3']}}
    on_error: continue
"#;

/// The runner section that sends every step to the cluster.
fn on_slurm(work_dir: &str, more: &str) -> String {
    format!(
        "runner:\n  executor:\n    type: slurm\n    configuration: {{work_dir: {work_dir}, poll_interval: 0.2{more}}}\n"
    )
}

fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "waited {DEADLINE:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_exit(child: &mut Child) -> std::process::Output {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("flowtoy did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = std::process::Output {
        status: child.wait().expect("wait"),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_end(&mut out.stdout);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut out.stderr);
    }
    out
}

/// Every file under `dir`, read.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
        }
    }
    out
}

#[test]
fn flows_run_on_a_real_slurm_cluster() {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(why) => return slurm::unavailable("flows_run_on_a_real_slurm_cluster", &why),
    };
    let conf = cluster.conf().display().to_string();
    // The slowest first, beside the others: Slurm enforces time limits in
    // whole minutes, checked every half minute.
    let over_time = Test::new()
        .file("f.yaml", &format!(
            "{}flow:\n  - name: overtime\n    source: {{type: process, configuration: {{command: [sleep, '600']}}}}\n",
            on_slurm("work", ", time_limit: '1'")
        ))
        .env("SLURM_CONF", &conf)
        .args(["run", "-j", "f.yaml"]);
    let mut over_time_run = over_time.command();
    let over_time_child = over_time_run
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flowtoy");

    same_outputs_as_local(&conf);
    fifty_jobs_at_once(&cluster, &conf);
    ctrl_c_cancels_every_job(&cluster, &conf);
    cancelled_from_outside(&cluster, &conf);
    secrets_stay_out_of_work_dir(&conf);

    let mut child = over_time_child;
    let out = wait_exit(&mut child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the cluster killed it at its time limit") && stderr.contains("TIMEOUT"),
        "{stderr}"
    );
    drop(cluster);
}

/// The same flow gives the same outputs on the cluster as in this process.
fn same_outputs_as_local(conf: &str) {
    let t = Test::new()
        .file("f.yaml", FLOW)
        .file("slurm.yaml", &on_slurm("work", ""))
        .file("sub/.keep", "")
        .env("SLURM_CONF", conf);
    let local = t.run_with(["run", "-j", "f.yaml"]);
    let remote = t.run_with(["run", "-j", "f.yaml", "slurm.yaml"]);
    local.success();
    remote.success();
    assert_eq!(remote.stdout_json(), local.stdout_json());
    assert_eq!(local.stdout_json()["where"]["said"], json!("hi from sub"));
    assert_eq!(remote.stdout_json()["warns"]["err"], json!("careful/0/ok"));
    assert!(
        remote.stderr().contains("process exited with code 3"),
        "{}",
        remote.stderr()
    );
    // validate and graph say where the steps run.
    t.run_with(["validate", "f.yaml", "slurm.yaml"])
        .success()
        .stdout_has("on slurm");
    t.run_with(["graph", "f.yaml", "slurm.yaml"])
        .success()
        .stdout_has("process, on slurm");
    // The job id comes back in meta; the work dir is cleaned up.
    let ids = Test::new()
        .file("f.yaml", &format!(
            "{}flow:\n  - name: a\n    source: {{type: process, configuration: {{command: [echo, hi]}}}}\n    output: [{{name: job, type: template, value: '{{{{ meta.job_id }}}}'}}]\n",
            on_slurm("work", "")
        ))
        .env("SLURM_CONF", conf)
        .args(["run", "-j", "f.yaml"])
        .run();
    ids.success();
    let job = ids.stdout_json()["a"]["job"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !job.is_empty() && job.chars().all(|c| c.is_ascii_digit()),
        "{job:?}"
    );
    assert!(
        files_under(&ids.dir.join("work")).is_empty(),
        "job files were left behind"
    );
}

/// 50 steps are 50 jobs in flight at once: each records when its program
/// started and ended, and every start comes before the first end.
fn fifty_jobs_at_once(cluster: &Cluster, conf: &str) {
    let items: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let t = Test::new()
        .file("f.yaml", &format!(
            "{}flow:\n  - name: wide\n    foreach: [{}]\n    source: {{type: process, configuration: {{command: [sh, -c, 'date +%s.%N; sleep 8; date +%s.%N']}}}}\n    output: [{{name: times}}]\n",
            on_slurm("work", ", max_jobs: 50"),
            items.join(", ")
        ))
        .env("SLURM_CONF", conf)
        .args(["run", "-j", "--max-workers", "2", "f.yaml"]);
    let mut cmd = t.command();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flowtoy");
    // The cluster shows them running together.
    let mut most = 0;
    let start = Instant::now();
    while child.try_wait().ok().flatten().is_none() && start.elapsed() < DEADLINE {
        let running = cluster
            .squeue("%j|%T")
            .iter()
            .filter(|l| l.starts_with("flowtoy-wide|RUNNING"))
            .count();
        most = most.max(running);
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = wait_exit(&mut child);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_str(&stdout).expect("JSON outputs");
    let times = doc["wide"]["times"].as_array().expect("50 results").clone();
    assert_eq!(times.len(), 50);
    let (mut last_start, mut first_end) = (0f64, f64::MAX);
    for t in &times {
        let text = t.as_str().expect("two lines");
        let mut lines = text
            .lines()
            .map(|l| l.trim().parse::<f64>().expect("a time"));
        last_start = last_start.max(lines.next().expect("start"));
        first_end = first_end.min(lines.next().expect("end"));
    }
    assert!(
        last_start < first_end,
        "the 50 jobs did not all run at once: the last started at {last_start}, the first ended at {first_end}"
    );
    assert!(
        most >= 40,
        "squeue showed at most {most} of the jobs running at once"
    );
}

/// SIGINT to flowtoy cancels every job it has in flight: none is left in
/// `squeue`.
fn ctrl_c_cancels_every_job(cluster: &Cluster, conf: &str) {
    let steps: String = (0..5)
        .map(|i| format!("  - name: ctrlc{i}\n    source: {{type: process, configuration: {{command: [sleep, '600']}}}}\n"))
        .collect();
    let t = Test::new()
        .file("f.yaml", &format!("{}flow:\n{steps}", on_slurm("work", "")))
        .env("SLURM_CONF", conf)
        .args(["run", "-j", "f.yaml"]);
    let mut cmd = t.command();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flowtoy");
    let ours = || {
        cluster
            .squeue("%j|%T")
            .into_iter()
            .filter(|l| l.starts_with("flowtoy-ctrlc"))
            .collect::<Vec<_>>()
    };
    wait_for("5 running jobs", || {
        ours().iter().filter(|l| l.ends_with("RUNNING")).count() == 5
    });
    // SAFETY: kill only sends a signal to our own child.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGINT);
    }
    let out = wait_exit(&mut child);
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // scancel has been called for each before flowtoy exited; the cluster
    // may take a moment to clean up.
    wait_for("no job of the run in squeue", || ours().is_empty());
}

/// A job cancelled by someone else fails its step with that reason.
fn cancelled_from_outside(cluster: &Cluster, conf: &str) {
    let t = Test::new()
        .file("f.yaml", &format!(
            "{}flow:\n  - name: victim\n    source: {{type: process, configuration: {{command: [sleep, '600']}}}}\n",
            on_slurm("work", "")
        ))
        .env("SLURM_CONF", conf)
        .args(["run", "-j", "f.yaml"]);
    let mut cmd = t.command();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flowtoy");
    let mut id = String::new();
    wait_for("the victim's job to run", || {
        let line = cluster
            .squeue("%j|%T|%i")
            .into_iter()
            .find(|l| l.starts_with("flowtoy-victim|RUNNING"));
        if let Some(line) = line {
            id = line.rsplit('|').next().unwrap_or_default().to_string();
        }
        !id.is_empty()
    });
    let status = cluster
        .command("scancel")
        .arg(&id)
        .status()
        .expect("scancel");
    assert!(status.success());
    let out = wait_exit(&mut child);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Slurm job {id} failed: it was cancelled outside flowtoy"
        )),
        "{stderr}"
    );
}

/// A secret reaches the job (as an argument, in the environment and on
/// standard input) and no file under work_dir ever holds it.
fn secrets_stay_out_of_work_dir(conf: &str) {
    const TOKEN: &str = "tok-slurm-4a7c-SECRET";
    let t = Test::new()
        .file("f.yaml", &format!(
            r#"{}sources:
  creds: {{type: env, configuration: {{vars: [API_TOKEN]}}}}
flow:
  - name: use
    source:
      type: process
      configuration:
        command: [sh, -c, 'ls work/*/ >listing.txt; test "$1" = "$TOKEN" && printf "%s" "$1|$TOKEN|" && cat', sh, "{{{{ sources.creds.API_TOKEN }}}}"]
        env: {{TOKEN: "{{{{ sources.creds.API_TOKEN }}}}"}}
        pass_to: stdin
    input: "{{{{ sources.creds.API_TOKEN }}}}"
    output: [{{name: said}}]
"#,
            on_slurm("work", "")
        ))
        .env("SLURM_CONF", conf)
        .env("API_TOKEN", TOKEN)
        .args(["run", "-j", "--show-secrets", "f.yaml"]);
    let out = t.run();
    out.success();
    assert_eq!(
        out.stdout_json()["use"]["said"],
        json!(format!("{TOKEN}|{TOKEN}|{TOKEN}"))
    );
    // While the job ran, only its payload (mode 0600) held the secret...
    let listing = out.read("listing.txt");
    assert!(listing.contains("payload"), "{listing}");
    // ...and afterwards no file under work_dir does.
    for (path, bytes) in files_under(&out.dir.join("work")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "{} holds the secret",
            path.display()
        );
    }
}
