//! Helpers for the status API and web UI tests: start `flowtoy` commands
//! that serve on a free port of 127.0.0.1, read their address from stderr,
//! talk HTTP and SSE to them, stop them with SIGINT.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long anything in these tests may take before the test gives up.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `check` until it returns `Some`, or panics naming `what`.
pub fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// A blocking HTTP client for tests.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// GET `url`: the status code and the body as JSON.
pub fn get_json(url: &str) -> (u16, Value) {
    get_json_with(url, None)
}

/// GET `url` with `Authorization: Bearer TOKEN` when `token` is given.
pub fn get_json_with(url: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let code = response.status().as_u16();
    let text = response.text().expect("body");
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("GET {url} answered {code} with non-JSON ({e}): {text}"));
    (code, json)
}

/// A `flowtoy` process that serves an API, with its stderr collected.
pub struct Serving {
    child: Child,
    /// The base URL it printed, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    stderr: Arc<Mutex<String>>,
    stdout: Option<std::process::ChildStdout>,
}

impl Serving {
    /// Runs `flowtoy ARGS` in `dir` and waits until it prints its address.
    pub fn start(dir: &Path, args: &[&str]) -> Serving {
        let mut child = Command::new(env!("CARGO_BIN_EXE_flowtoy"))
            .args(args)
            .current_dir(dir)
            .env_remove("FLOWTOY_PLUGIN_PATH")
            .env_remove("FLOWTOY_STATUS_TOKEN")
            .env("FLOWTOY_STATE_DIR", dir.join(".flowtoy-state"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn flowtoy");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        let pipe = child.stderr.take().expect("stderr");
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                {
                    let mut all = collected.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
                if let Some(rest) = line.split(" at http://").nth(1) {
                    let addr: String = rest
                        .chars()
                        .take_while(|c| *c != '/' && *c != ' ')
                        .collect();
                    let _ = url_tx.send(format!("http://{addr}"));
                }
            }
        });
        let url = match url_rx.recv_timeout(PATIENCE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "flowtoy {args:?} printed no address; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let stdout = child.stdout.take();
        Serving {
            child,
            url,
            stderr,
            stdout,
        }
    }

    /// `url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// GET `path` as JSON.
    pub fn get(&self, path: &str) -> (u16, Value) {
        get_json(&self.at(path))
    }

    /// GET `/status`, expecting 200.
    pub fn status(&self) -> Value {
        let (code, body) = self.get("/status");
        assert_eq!(code, 200, "{body}");
        body
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends SIGINT and waits (at most [`PATIENCE`], then the test fails
    /// rather than hangs): the exit code, stdout and stderr.
    pub fn interrupt(mut self) -> (i32, String, String) {
        // SAFETY: signalling our own child by its pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let stdout = self.stdout.take().map(|mut out| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = out.read_to_string(&mut text);
                text
            })
        });
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "flowtoy did not stop on SIGINT; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(30));
        };
        let code = status.code().unwrap_or(-1);
        let stdout = stdout
            .map(|reader| reader.join().expect("stdout reader"))
            .unwrap_or_default();
        // Let the reader thread take the last lines.
        std::thread::sleep(Duration::from_millis(50));
        (code, stdout, self.stderr())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub data: Value,
}

/// A reader of a `/events` stream.
pub struct SseStream {
    lines: std::io::Lines<BufReader<reqwest::blocking::Response>>,
}

impl SseStream {
    /// Opens `url` (an `/events` endpoint), expecting 200 and `text/event-stream`.
    pub fn open(url: &str) -> SseStream {
        let client = reqwest::blocking::Client::builder()
            .timeout(None)
            .build()
            .expect("client");
        let response = client
            .get(url)
            .send()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "GET {url}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(kind.starts_with("text/event-stream"), "content type {kind}");
        SseStream {
            lines: BufReader::new(response).lines(),
        }
    }

    /// The next event (keep-alive comments skipped); `None` when the stream ends.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        let mut event = String::from("message");
        let mut data = String::new();
        loop {
            let line = self.lines.next()?.ok()?;
            if line.is_empty() {
                if data.is_empty() {
                    continue;
                }
                let data = serde_json::from_str(&data)
                    .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {data}"));
                return Some(SseEvent { event, data });
            }
            if let Some(v) = line.strip_prefix("event:") {
                event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push_str(v.strip_prefix(' ').unwrap_or(v));
            }
        }
    }
}

/// A flow whose step `gate` runs until the file `go` exists in the working
/// directory (so a test can watch it `running`), then `greet`, then `after`.
pub const GATED_FLOW: &str = r#"
flow:
  - name: gate
    source:
      type: process
      configuration:
        command: ["sh", "-c", "while [ ! -f go ]; do sleep 0.02; done; echo '{\"released\": true}'"]
    output:
      - {name: released, type: jmespath, value: released}
  - name: greet
    depends_on: [gate]
    source:
      type: process
      configuration:
        command: ["echo", '{"greeting": "hello", "n": 3}']
    output:
      - {name: greeting, type: jmespath, value: greeting}
      - {name: all, type: json}
  - name: after
    source:
      type: process
      configuration:
        command: ["echo", "{{ flows.greet.greeting }} again"]
    output:
      - {name: text, type: json}
"#;

/// Writes `content` to `dir/name`.
pub fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).expect("write file");
}

fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn number_or_null(v: &Value, what: &str) {
    assert!(
        v.is_f64() || v.is_null(),
        "{what} must be a float or null, got {v}"
    );
}

fn strings(v: &Value, what: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} must be a list, got {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("{what} must hold strings, got {s}"))
                .to_string()
        })
        .collect()
}

/// Asserts the field names and types of a `/status` document (SPEC R19)
/// and that it is consistent with itself: no torn step, counts that match
/// the steps. Returns the number of completed steps.
pub fn check_status(status: &Value) -> u64 {
    assert_eq!(
        keys(status),
        [
            "completed_steps",
            "current_step",
            "ended_at",
            "run_id",
            "running_count",
            "running_steps",
            "started_at",
            "steps",
            "total_steps"
        ],
        "{status}"
    );
    assert!(
        status["run_id"].is_u64(),
        "run_id must be an integer: {status}"
    );
    number_or_null(&status["started_at"], "started_at");
    number_or_null(&status["ended_at"], "ended_at");
    let steps = status["steps"].as_object().expect("steps is a mapping");
    assert_eq!(
        status["total_steps"].as_u64(),
        Some(steps.len() as u64),
        "{status}"
    );
    let mut completed = 0;
    let mut running = Vec::new();
    for (name, step) in steps {
        // `attempt` once started (R25), `items` for `foreach` steps (R28).
        let mut step_keys = keys(step);
        step_keys.retain(|k| *k != "attempt" && *k != "items");
        assert_eq!(
            step_keys,
            ["ended_at", "notes", "outputs", "started_at", "state"],
            "{name}: {step}"
        );
        if let Some(attempt) = step.get("attempt") {
            assert!(attempt.as_u64().is_some_and(|n| n >= 1), "{name}: {step}");
            assert_ne!(step["state"], "pending", "{name}: {step}");
        }
        number_or_null(&step["started_at"], "started_at");
        number_or_null(&step["ended_at"], "ended_at");
        let notes = strings(&step["notes"], "notes");
        let outputs = strings(&step["outputs"], "outputs");
        let (started, ended) = (step["started_at"].as_f64(), step["ended_at"].as_f64());
        match step["state"].as_str().expect("state is a string") {
            "pending" => {
                assert!(
                    started.is_none() && ended.is_none() && outputs.is_empty(),
                    "torn step {name}: {step}"
                )
            }
            "running" => {
                assert!(
                    started.is_some() && ended.is_none() && outputs.is_empty(),
                    "torn step {name}: {step}"
                );
                running.push(name.clone());
            }
            "succeeded" => {
                assert!(
                    started.is_some() && ended >= started && notes.is_empty(),
                    "torn step {name}: {step}"
                );
                completed += 1;
            }
            "failed" => {
                assert!(
                    started.is_some() && ended >= started && !notes.is_empty(),
                    "torn step {name}: {step}"
                );
                completed += 1;
            }
            "skipped" => assert!(
                ended.is_none() && outputs.is_empty(),
                "torn step {name}: {step}"
            ),
            other => panic!("unknown state {other} of {name}"),
        }
    }
    assert_eq!(
        status["completed_steps"].as_u64(),
        Some(completed),
        "{status}"
    );
    assert_eq!(
        strings(&status["running_steps"], "running_steps"),
        running,
        "{status}"
    );
    assert_eq!(
        status["running_count"].as_u64(),
        Some(running.len() as u64),
        "{status}"
    );
    match running.first() {
        Some(first) => assert_eq!(
            status["current_step"].as_str(),
            Some(first.as_str()),
            "{status}"
        ),
        None => assert!(status["current_step"].is_null(), "{status}"),
    }
    completed
}
