//! `flowtoy-bench --history`: what recording the run history costs (SPEC
//! R31, issue 14). Each run-type workload runs side by side — alternately,
//! so machine load hits both alike — with `--no-history` and with
//! recording into a fresh `FLOWTOY_STATE_DIR`; then a history of
//! [`LISTED_RUNS`] runs is filled and `flowtoy history --json` is timed on it.

use super::{measure, write};
use flowtoy_bench::Workload;
use std::path::Path;
use std::process::Command;

/// Runs in the history whose listing is timed.
pub const LISTED_RUNS: usize = 1_000;

/// Steps of each of those runs.
const LISTED_STEPS: usize = 20;

fn megabytes(dir: &Path) -> f64 {
    let bytes: u64 = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    bytes as f64 / 1_048_576.0
}

/// `flowtoy ARGS FILE`, recording into `state` when given, else not at all.
fn flowtoy(bin: &Path, args: &[&str], file: Option<&Path>, state: Option<&Path>) -> Command {
    let mut c = Command::new(bin);
    c.args(args);
    if let Some(file) = file {
        c.arg(file);
    }
    match state {
        Some(dir) => {
            c.env("FLOWTOY_STATE_DIR", dir)
                .env_remove("FLOWTOY_HISTORY");
        }
        None => {
            c.arg("--no-history");
        }
    }
    c
}

/// Medians of `runs` alternate runs of `a` and `b`; `None` if one failed.
fn side_by_side(
    runs: usize,
    a: impl Fn() -> Command,
    b: impl Fn() -> Command,
) -> Option<(f64, f64)> {
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        xs.push(measure(a())?.0);
        ys.push(measure(b())?.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Some((median(&mut xs), median(&mut ys)))
}

/// The recording table, then the listing table.
pub fn compare(bin: &Path, dir: &Path, runs: usize, rows: &[(Workload, usize)]) {
    println!("| workload | size | --no-history median (s) | recording median (s) | recording / --no-history | history.db after (MB) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for &(w, size) in rows
        .iter()
        .filter(|(w, _)| !matches!(w, Workload::Validate | Workload::Graph))
    {
        let file = write(dir, &format!("{}-{size}.yaml", w.name()), &w.yaml(size));
        let state = dir.join(format!("state-{}-{size}", w.name()));
        let args = w.command();
        let result = side_by_side(
            runs,
            || flowtoy(bin, args, Some(&file), None),
            || flowtoy(bin, args, Some(&file), Some(&state)),
        );
        match result {
            Some((off, on)) => println!(
                "| {} | {size} | {off:.3} | {on:.3} | {:.2}x | {:.1} |",
                w.name(),
                on / off,
                megabytes(&state)
            ),
            None => println!("| {} | {size} | FAILED | | | |", w.name()),
        }
        let _ = std::fs::remove_dir_all(&state);
    }
    println!();
    list_speed(bin, dir, runs);
}

/// Fills a history with [`LISTED_RUNS`] runs and times reading it.
fn list_speed(bin: &Path, dir: &Path, runs: usize) {
    let state = dir.join("state-listed");
    let file = write(dir, "listed.yaml", &Workload::Wide.yaml(LISTED_STEPS));
    for i in 0..LISTED_RUNS {
        if measure(flowtoy(bin, &["run", "-q"], Some(&file), Some(&state))).is_none() {
            println!("filling the history failed at run {i}");
            return;
        }
    }
    println!("| runs in history.db ({LISTED_STEPS} steps each) | command | median (s) | history.db (MB) |");
    println!("| ---: | --- | ---: | ---: |");
    for args in [
        &["history", "--json", "--limit", "0"][..],
        &["history", "--json"],
        &["history"],
        &["history", "show", "last", "--json"],
    ] {
        let mut times: Vec<f64> = (0..runs)
            .filter_map(|_| measure(flowtoy(bin, args, None, Some(&state))).map(|m| m.0))
            .collect();
        times.sort_by(f64::total_cmp);
        match times.get(times.len() / 2) {
            Some(t) if times.len() == runs => println!(
                "| {LISTED_RUNS} | `flowtoy {}` | {t:.3} | {:.1} |",
                args.join(" "),
                megabytes(&state)
            ),
            _ => println!(
                "| {LISTED_RUNS} | `flowtoy {}` | FAILED | |",
                args.join(" ")
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&state);
}
