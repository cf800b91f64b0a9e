//! `flowtoy-bench`: runs the benchmark workloads through a flowtoy binary
//! (and, when given, comparison commands) and prints a results table.
//!
//! ```text
//! cargo build --release -p flowtoy-cli -p flowtoy-bench
//! target/release/flowtoy-bench --runs 5 [--scaling] [--python-flowtoy CMD] [--only wide,chain,validate,graph]
//! target/release/flowtoy-bench --history --only wide,chain   # recording vs --no-history
//! ```
//!
//! Runs are not recorded in the run history (`FLOWTOY_HISTORY=0`), except
//! with `--history`, which compares recording (into a temp dir) with
//! `--no-history` side by side (`history.rs`).

mod history;

use flowtoy_bench::Workload;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Options {
    flowtoy: PathBuf,
    runs: usize,
    only: Option<Vec<Workload>>,
    scaling: bool,
    python: Option<String>,
    make: bool,
    history: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: flowtoy-bench [--flowtoy PATH] [--runs N] [--only wide,chain,...] [--scaling] \
         [--python-flowtoy CMD] [--no-make] [--history]"
    );
    std::process::exit(2)
}

fn parse_args() -> Options {
    let default_bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("flowtoy")))
        .unwrap_or_else(|| PathBuf::from("flowtoy"));
    let mut o = Options {
        flowtoy: default_bin,
        runs: 5,
        only: None,
        scaling: false,
        python: None,
        make: true,
        history: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--flowtoy" => o.flowtoy = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--runs" => {
                o.runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .unwrap_or_else(|| usage())
            }
            "--only" => {
                let list = args.next().unwrap_or_else(|| usage());
                o.only = Some(
                    list.split(',')
                        .map(|w| Workload::parse(w).unwrap_or_else(|| usage()))
                        .collect(),
                );
            }
            "--scaling" => o.scaling = true,
            "--python-flowtoy" => o.python = Some(args.next().unwrap_or_else(|| usage())),
            "--no-make" => o.make = false,
            "--history" => o.history = true,
            _ => usage(),
        }
    }
    o
}

/// Wall seconds and peak RSS (KiB) of one run of `cmd`; `None` if it failed.
fn measure(mut cmd: Command) -> Option<(f64, u64)> {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .stdin(Stdio::null());
    let start = Instant::now();
    let child = cmd.spawn().ok()?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child, with valid pointers.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    (pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0)
        .then_some((wall, usage.ru_maxrss as u64))
}

/// Median wall time and the peak RSS of the runs.
fn median_of(runs: usize, make: impl Fn() -> Command) -> Option<(f64, u64)> {
    let mut results = Vec::new();
    for _ in 0..runs {
        results.push(measure(make())?);
    }
    results.sort_by(|a, b| a.0.total_cmp(&b.0));
    let peak = results.iter().map(|r| r.1).max().unwrap_or(0);
    Some((results[results.len() / 2].0, peak))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn main() {
    let o = parse_args();
    if !o.flowtoy.exists() {
        eprintln!("flowtoy binary not found at {} (build it with cargo build --release, or pass --flowtoy)", o.flowtoy.display());
        std::process::exit(2);
    }
    let dir = std::env::temp_dir().join(format!("flowtoy-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let workloads = o.only.clone().unwrap_or_else(|| Workload::ALL.to_vec());
    let mut rows: Vec<(Workload, usize)> =
        workloads.iter().map(|w| (*w, w.default_size())).collect();
    if o.scaling {
        for w in &workloads {
            let sizes: &[usize] = match w {
                Workload::Wide => &[1_000, 100_000],
                Workload::Chain => &[200, 20_000],
                Workload::Graph => &[500, 50_000],
                _ => &[],
            };
            rows.extend(sizes.iter().map(|s| (*w, *s)));
        }
        rows.sort_by_key(|(w, s)| (Workload::ALL.iter().position(|x| x == w), *s));
    }
    if o.history {
        history::compare(&o.flowtoy, &dir, o.runs, &rows);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    println!("| workload | size | flowtoy median (s) | per step (µs) | peak RSS (MB) | comparison | its median (s) | ratio |");
    println!("| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |");
    for (w, size) in rows {
        let file = write(&dir, &format!("{}-{size}.yaml", w.name()), &w.yaml(size));
        let ours = median_of(o.runs, || {
            let mut c = Command::new(&o.flowtoy);
            c.args(w.command()).arg(&file).env("FLOWTOY_HISTORY", "0");
            c
        });
        let Some((secs, rss)) = ours else {
            println!("| {} | {size} | FAILED | | | | | |", w.name());
            continue;
        };
        let mut comparisons: Vec<(String, Option<(f64, u64)>)> = Vec::new();
        if o.make {
            if let Some(makefile) = w.makefile(size) {
                let mf = write(&dir, &format!("{}-{size}.mk", w.name()), &makefile);
                let jobs = w.make_jobs();
                comparisons.push((
                    format!("make -j{jobs}"),
                    median_of(o.runs, || {
                        let mut c = Command::new("make");
                        c.arg("-s").arg(format!("-j{jobs}")).arg("-f").arg(&mf);
                        c
                    }),
                ));
            }
        }
        // The Python flowtoy is compared on runs it can make.
        if let Some(py) = o.python.as_ref().filter(|_| w.python_can_run()) {
            comparisons.push((
                "python flowtoy".into(),
                median_of(o.runs.min(3), || {
                    let mut c = Command::new("sh");
                    c.arg("-c").arg(format!("{py} run \"$0\"")).arg(&file);
                    c
                }),
            ));
        }
        let per_step = secs * 1e6 / size as f64;
        let base = format!(
            "| {} | {size} | {secs:.3} | {per_step:.1} | {:.1} |",
            w.name(),
            rss as f64 / 1024.0
        );
        if comparisons.is_empty() {
            println!("{base} | | |");
        }
        for (name, result) in comparisons {
            match result {
                Some((theirs, _)) => {
                    println!("{base} {name} | {theirs:.3} | {:.2}x |", secs / theirs)
                }
                None => println!("{base} {name} | failed | |"),
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
