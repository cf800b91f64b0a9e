//! Load generator for the status API benchmark (not a test; see
//! `bench/status_load.sh` and BENCHMARKS.md). Loopback only, bounded in
//! requests and time.
//!
//! It runs a generated flow of `--steps` process steps three times without
//! a server and three times with `--clients` threads polling `GET /status`
//! as fast as they can, and prints the request rate, the latency, the
//! errors, and the run's slowdown as Markdown table rows.
//!
//! ```text
//! cargo run --release -p flowtoy-bench --bin status_load -- --steps 1000 --clients 32
//! ```

use flowtoy::runner::LocalRunner;
use flowtoy::runner_api;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// No client sends more than this many requests in one run.
const MAX_REQUESTS_PER_CLIENT: u64 = 200_000;
/// No loaded run may take longer than this.
const MAX_RUN: Duration = Duration::from_secs(120);

struct Options {
    steps: usize,
    clients: usize,
    rounds: usize,
    /// Spread clients over `/status`, `/outputs` and `/events` (else all `/status`).
    mixed: bool,
    /// Keep the load on for at least this many seconds from the run's start.
    seconds: u64,
}

fn options() -> Result<Options, String> {
    let mut opts = Options {
        steps: 1000,
        clients: 32,
        rounds: 3,
        mixed: false,
        seconds: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--mixed" {
            opts.mixed = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .map_err(|_| format!("{flag} needs a number, got '{value}'"))?;
        match flag.as_str() {
            "--steps" => opts.steps = n.max(1),
            "--clients" => opts.clients = n.clamp(1, 256),
            "--rounds" => opts.rounds = n.max(1),
            "--seconds" => opts.seconds = n.min(120) as u64,
            _ => {
                return Err(format!(
                    "unknown option {flag}; use --steps, --clients, --rounds, --seconds, --mixed"
                ))
            }
        }
    }
    Ok(opts)
}

fn runner(path: &std::path::Path) -> Result<Arc<LocalRunner>, Box<dyn std::error::Error>> {
    let config = flowtoy::config::load_yaml_files(&[path])?;
    Ok(Arc::new(LocalRunner::new(config)))
}

#[derive(Default)]
struct Load {
    requests: AtomicU64,
    errors: AtomicU64,
    bytes: AtomicU64,
    latency_us: AtomicU64,
    max_latency_us: AtomicU64,
}

fn client(url: String, stop: Arc<AtomicBool>, load: Arc<Load>) {
    let Ok(http) = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    else {
        load.errors.fetch_add(1, Ordering::Relaxed);
        return;
    };
    for _ in 0..MAX_REQUESTS_PER_CLIENT {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let start = Instant::now();
        let response = http.get(&url).send().and_then(|r| r.error_for_status());
        let body = if url.ends_with("/events") {
            // An event stream stays open: read it until the run's end.
            response
                .map_err(|_| ())
                .and_then(|r| read_events_until_end(r, &stop))
        } else {
            response
                .and_then(|r| r.bytes())
                .map(|b| b.len())
                .map_err(|_| ())
        };
        match body {
            Ok(body_len) => {
                let us = start.elapsed().as_micros() as u64;
                load.requests.fetch_add(1, Ordering::Relaxed);
                load.bytes.fetch_add(body_len as u64, Ordering::Relaxed);
                load.latency_us.fetch_add(us, Ordering::Relaxed);
                load.max_latency_us.fetch_max(us, Ordering::Relaxed);
            }
            Err(_) => {
                load.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Reads an SSE stream until its `run_ended` event; the bytes read.
fn read_events_until_end(
    response: reqwest::blocking::Response,
    stop: &AtomicBool,
) -> Result<usize, ()> {
    use std::io::BufRead;
    let mut read = 0;
    for line in std::io::BufReader::new(response).lines() {
        let line = line.map_err(|_| ())?;
        read += line.len() + 1;
        // warp writes `event:NAME`, with no space after the colon.
        let ended = line
            .strip_prefix("event:")
            .is_some_and(|name| name.trim() == "run_ended");
        if ended || stop.load(Ordering::Relaxed) {
            return Ok(read);
        }
    }
    Err(())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = options()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("flow.yaml");
    std::fs::write(&path, flowtoy_bench::status_load_flow(opts.steps, 4))?;

    let mut quiet = Vec::new();
    for _ in 0..opts.rounds {
        let runner = runner(&path)?;
        let start = Instant::now();
        let status = runner.run()?;
        quiet.push(start.elapsed().as_secs_f64());
        assert_eq!(
            status.completed_steps(),
            opts.steps,
            "every step must succeed"
        );
    }

    let mut loaded = Vec::new();
    let mut rates = Vec::new();
    let mut rows = String::new();
    for round in 0..opts.rounds {
        let runner = runner(&path)?;
        let server = runner_api::serve_runner_api_in_thread(
            Some(Arc::clone(&runner)),
            "127.0.0.1",
            0,
            tracing::Level::ERROR,
            None,
        )?;
        let paths: &[&str] = if opts.mixed {
            &["/status", "/outputs", "/events"]
        } else {
            &["/status"]
        };
        let stop = Arc::new(AtomicBool::new(false));
        let load = Arc::new(Load::default());
        let clients: Vec<_> = (0..opts.clients)
            .map(|i| {
                let url = format!("{}{}", server.url(), paths[i % paths.len()]);
                let (stop, load) = (Arc::clone(&stop), Arc::clone(&load));
                std::thread::spawn(move || client(url, stop, load))
            })
            .collect();
        // Let every client connect before the run starts.
        // (Event-stream clients only finish a request when the run ends.)
        let pollers = (0..opts.clients)
            .filter(|i| !paths[i % paths.len()].ends_with("/events"))
            .count();
        while load.requests.load(Ordering::Relaxed) < pollers as u64 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let before = load.requests.load(Ordering::Relaxed);
        let start = Instant::now();
        let cancel = runner.cancel_handle();
        let watchdog = std::thread::spawn({
            let stop = Arc::clone(&stop);
            move || {
                let deadline = Instant::now() + MAX_RUN;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
                if !stop.load(Ordering::Relaxed) {
                    cancel.cancel();
                }
            }
        });
        let status = runner.run()?;
        let elapsed = start.elapsed().as_secs_f64();
        let window = Duration::from_secs(opts.seconds);
        if start.elapsed() < window {
            std::thread::sleep(window - start.elapsed());
        }
        let during = load.requests.load(Ordering::Relaxed) - before;
        let load_secs = start.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            let _ = c.join();
        }
        let _ = watchdog.join();
        server.shutdown();
        assert_eq!(
            status.completed_steps(),
            opts.steps,
            "every step must succeed under load"
        );
        let total = load.requests.load(Ordering::Relaxed).max(1);
        let rate = during as f64 / load_secs;
        loaded.push(elapsed);
        rates.push(rate);
        let _ = writeln!(
            rows,
            "| {} | {} | {} | {:.2} s | {:.0} | {:.1} ms | {:.1} ms | {} | {:.0} KiB |",
            round + 1,
            opts.steps,
            opts.clients,
            elapsed,
            rate,
            load.latency_us.load(Ordering::Relaxed) as f64 / total as f64 / 1000.0,
            load.max_latency_us.load(Ordering::Relaxed) as f64 / 1000.0,
            load.errors.load(Ordering::Relaxed),
            load.bytes.load(Ordering::Relaxed) as f64 / total as f64 / 1024.0,
        );
    }

    println!("| round | steps | clients | run time under load | req/s | mean latency | max latency | errors | mean body |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    print!("{rows}");
    println!();
    let (q, l) = (median(quiet), median(loaded.clone()));
    println!(
        "median run time without a server: {q:.2} s; with {} clients polling: {l:.2} s; slowdown x{:.2}; median rate {:.0} req/s",
        opts.clients,
        l / q,
        median(rates)
    );
    Ok(())
}
