//! The web UI in a real browser (SPEC R20): headless Chromium, driven over
//! the DevTools protocol, loads the page of a running flow and the test
//! reads the rendered DOM — rows, states, colours, outputs — then watches
//! it update live as the run ends, in all-in-one and in relay mode.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it); without it the tests
//! print why they were skipped, and fail when `CI=true`. `FLOWTOY_CHROMIUM` names another binary.
//! `cargo test --test webui_browser -- --ignored` also writes
//! `docs/webui.png`.

use crate::status_api_support;

use serde_json::{json, Value};
use status_api_support::{closed_port, get_json_with, wait_for, write, Serving};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("FLOWTOY_CHROMIUM") {
        return Ok(PathBuf::from(path));
    }
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return Ok(PathBuf::from(candidate));
        }
    }
    Err(
        "chromium is not installed (looked for /usr/bin/chromium and /usr/bin/chromium-browser; \
         `apt-get install chromium`, or set FLOWTOY_CHROMIUM)"
            .into(),
    )
}

/// Returns the browser, or prints why the test is skipped (a failure
/// under `CI=true`: CI must run the browser tests).
pub(crate) fn browser_or_skip(test: &str) -> Option<Browser> {
    match chromium() {
        Ok(path) => Some(Browser::launch(&path)),
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{test} needs chromium under CI=true: {why}")
        }
        Err(why) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{test}: {why} (CI=true: a missing browser is a failure)");
            }
            eprintln!("skipped {test}: {why}");
            None
        }
    }
}

/// Headless Chromium with one page, driven over the DevTools protocol.
pub(crate) struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn launch(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--window-size=1280,860",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep draining stderr so the browser never blocks on it.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let browser_url = rx
            .recv_timeout(status_api_support::PATIENCE)
            .expect("chromium printed its DevTools address");
        // ws://127.0.0.1:PORT/devtools/browser/ID -> http://127.0.0.1:PORT/json/list
        let host = browser_url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .expect("host:port")
            .to_string();
        let page_url = wait_for("a page target", || {
            let list = status_api_support::get_json(&format!("http://{host}/json/list")).1;
            list.as_array()?
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(String::from))
        });
        let (socket, _) = tungstenite::connect(page_url.as_str()).expect("DevTools websocket");
        Browser {
            child,
            socket,
            next_id: 0,
            _profile: profile,
        }
    }

    /// Calls a DevTools method and returns its result.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket
            .send(Message::text(request))
            .expect("send to chromium");
        loop {
            let message = self.socket.read().expect("read from chromium");
            let Message::Text(text) = message else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method} failed: {reply}");
                return reply["result"].clone();
            }
        }
    }

    pub(crate) fn open(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Evaluates `expression` in the page; it must return a JSON text,
    /// which comes back parsed (`Null` when it returns something else).
    pub(crate) fn eval_json(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        let text = result["result"]["value"].as_str().unwrap_or("null");
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    /// What the page shows, read from the DOM.
    fn page(&mut self) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": PAGE_STATE, "returnByValue": true}),
        );
        let text = result["result"]["value"]
            .as_str()
            .unwrap_or("null")
            .to_string();
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Waits until the page satisfies `check`, returning what it showed.
    fn wait_for_page(&mut self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..600 {
            last = self.page();
            if check(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the page never showed {what}; last seen:\n{last:#}");
    }

    fn screenshot(&mut self, path: &Path) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 1180, "deviceScaleFactor": 1, "mobile": false}),
        );
        std::thread::sleep(Duration::from_millis(300));
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let bytes = base64_decode(shot["data"].as_str().expect("image data"));
        std::fs::write(path, bytes).expect("write the screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the rendered page: one entry per step row, the header, the outputs.
const PAGE_STATE: &str = r#"JSON.stringify({
  rows: [...document.querySelectorAll('#step-rows tr')].map(tr => ({
    step: tr.dataset.step,
    state: tr.dataset.state,
    label: tr.cells[0].textContent,
    colour: getComputedStyle(tr.cells[0].firstElementChild).backgroundColor,
    started: tr.cells[2].textContent,
    duration: tr.cells[3].textContent,
    outputs: [...tr.cells[4].querySelectorAll('.tag')].map(t => t.textContent),
    error: tr.cells[5].textContent,
  })),
  run_id: document.getElementById('run-id').textContent,
  progress: document.getElementById('progress').textContent,
  badge: document.getElementById('run-state').textContent,
  running: [...document.querySelectorAll('#running .chip')].map(c => c.textContent),
  outputs: document.getElementById('outputs').textContent,
  connection: document.getElementById('connection').textContent,
  banner: document.getElementById('banner').hidden ? null : document.getElementById('banner').textContent,
})"#;

/// Decodes standard base64 (DevTools screenshots).
pub(crate) fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= (value(*c) as u32) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    out
}

const FLOW: &str = r#"
flow:
  - name: greet
    source: {type: process, configuration: {command: [echo, '{"greeting": "hello", "n": 3}']}}
    output:
      - {name: greeting, type: jmespath, value: greeting}
      - {name: all, type: json}
  - name: gate
    source:
      type: process
      configuration:
        command: ["sh", "-c", "while [ ! -f go ]; do sleep 0.02; done; echo released"]
    output:
      - {name: said, type: json}
  - name: after
    depends_on: [gate]
    source: {type: process, configuration: {command: [echo, done]}}
  - name: broken
    on_error: skip
    source: {type: process, configuration: {command: ["false"]}}
"#;

fn row<'a>(page: &'a Value, step: &str) -> &'a Value {
    page["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["step"] == step))
        .unwrap_or_else(|| panic!("no row for {step}: {page:#}"))
}

#[test]
fn the_page_shows_a_running_flow_and_follows_it_live() {
    let Some(mut browser) = browser_or_skip("the_page_shows_a_running_flow_and_follows_it_live")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    let status = wait_for("gate running, greet and broken done", || {
        let s = server.status();
        (s["steps"]["gate"]["state"] == "running" && s["completed_steps"] == 2).then_some(s)
    });

    browser.open(&format!("{}/", server.url));
    let page = browser.wait_for_page("four rows, live, with outputs", |p| {
        p["rows"].as_array().is_some_and(|r| r.len() == 4)
            && p["connection"] == "live"
            && p["outputs"].as_str().is_some_and(|o| o.contains("hello"))
    });
    let order: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["step"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["greet", "gate", "after", "broken"], "file order");
    assert_eq!(page["run_id"], status["run_id"].to_string());
    assert_eq!(page["progress"], "2/4");
    assert_eq!(page["badge"], "running");
    assert_eq!(page["running"], json!(["gate"]));

    let greet = row(&page, "greet");
    assert_eq!(
        (greet["state"].as_str(), greet["label"].as_str()),
        (Some("succeeded"), Some("succeeded"))
    );
    assert_eq!(greet["outputs"], json!(["greeting", "all"]));
    assert_eq!(
        greet["started"].as_str().unwrap().len(),
        8,
        "HH:MM:SS: {greet}"
    );
    assert!(
        greet["duration"].as_str().unwrap().ends_with('s'),
        "{greet}"
    );
    let gate = row(&page, "gate");
    assert_eq!(gate["state"], "running");
    assert_eq!(row(&page, "after")["state"], "pending");
    assert_eq!(row(&page, "after")["started"], "");
    let broken = row(&page, "broken");
    assert_eq!(broken["state"], "failed");
    assert_eq!(broken["error"], "process exited with code 1");
    // One colour per state.
    let colours: std::collections::HashSet<&str> = ["greet", "gate", "after", "broken"]
        .iter()
        .map(|s| row(&page, s)["colour"].as_str().unwrap())
        .collect();
    assert_eq!(colours.len(), 4, "{page:#}");

    let shown: Value =
        serde_json::from_str(page["outputs"].as_str().unwrap()).expect("outputs as JSON");
    assert_eq!(shown, server.get("/outputs").1);

    // Release the gate: the page follows without reloading.
    write(dir.path(), "go", "");
    let page = browser.wait_for_page("the run's end", |p| p["progress"] == "4/4");
    assert_eq!(row(&page, "after")["state"], "succeeded");
    assert_eq!(row(&page, "gate")["outputs"], json!(["said"]));
    assert!(
        page["badge"].as_str().unwrap().contains("completed"),
        "{page:#}"
    );
    assert_eq!(page["running"], json!([]));
    let page = browser.wait_for_page("the final outputs", |p| {
        p["outputs"]
            .as_str()
            .is_some_and(|o| o.contains("released"))
    });
    let shown: Value = serde_json::from_str(page["outputs"].as_str().unwrap()).unwrap();
    assert_eq!(shown["gate"]["said"], "released");

    // The same page through a relay.
    let relay = Serving::start(
        dir.path(),
        &["webui", "--status-url", &server.url, "--port", "0"],
    );
    browser.open(&format!("{}/", relay.url));
    let page = browser.wait_for_page("the relayed run", |p| {
        p["progress"] == "4/4"
            && p["connection"] == "live"
            && p["outputs"]
                .as_str()
                .is_some_and(|o| o.contains("released"))
    });
    assert_eq!(page["run_id"], status["run_id"].to_string());
    assert_eq!(row(&page, "broken")["state"], "failed");
    relay.interrupt();
    server.interrupt();
}

#[test]
fn the_page_says_when_the_runner_cannot_be_reached() {
    let Some(mut browser) = browser_or_skip("the_page_says_when_the_runner_cannot_be_reached")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let relay = Serving::start(dir.path(), &["webui", "--status-url", &url, "--port", "0"]);
    browser.open(&format!("{}/", relay.url));
    let page = browser.wait_for_page("a message about the runner", |p| p["banner"].is_string());
    let banner = page["banner"].as_str().unwrap();
    assert!(
        banner.contains(&format!("cannot reach the runner at {url}/status")),
        "{banner}"
    );
    assert_eq!(page["connection"], "disconnected");
    assert_eq!(page["rows"], json!([]));
    relay.interrupt();
}

/// Writes docs/webui.png: a flow caught mid-run.
#[test]
#[ignore = "writes docs/webui.png; run with --ignored"]
fn screenshot_for_the_docs() {
    let Some(mut browser) = browser_or_skip("screenshot_for_the_docs") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut flow = String::from("flow:\n");
    let steps = [
        ("fetch_users", "echo '{\"users\": [\"ada\", \"grace\", \"linus\"], \"count\": 3}'", "", "      - {name: users, type: jmespath, value: users}\n      - {name: count, type: jmespath, value: count}\n"),
        ("fetch_orders", "echo '{\"orders\": 42, \"total\": 1234.5}'", "", "      - {name: orders, type: json}\n"),
        ("read_config", "echo '{\"region\": \"eu-west\", \"retries\": 3}'", "", "      - {name: settings, type: json}\n"),
        ("enrich_users", "sleep 0.4; while [ ! -f go ]; do sleep 0.05; done; echo ok", "[fetch_users]", ""),
        ("score_orders", "sleep 0.4; while [ ! -f go ]; do sleep 0.05; done; echo ok", "[fetch_orders]", ""),
        ("legacy_export", "echo 'connection refused by legacy.example:21' >&2; exit 3", "", ""),
        ("upload_report", "echo done", "[enrich_users, score_orders]", ""),
        ("notify_team", "echo sent", "[upload_report]", ""),
    ];
    for (name, cmd, deps, outputs) in steps {
        flow.push_str(&format!("  - name: {name}\n    on_error: skip\n    source:\n      type: process\n      configuration:\n        command: [\"sh\", \"-c\", {cmd:?}]\n"));
        if !deps.is_empty() {
            flow.push_str(&format!("    depends_on: {deps}\n"));
        }
        if !outputs.is_empty() {
            flow.push_str(&format!("    output:\n{outputs}"));
        }
    }
    flow.push_str("  - name: archive_legacy\n    depends_on: [legacy_export]\n    source: {type: process, configuration: {command: [echo]}}\n");
    write(dir.path(), "flow.yaml", &flow);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    browser.open(&format!("{}/", server.url));
    browser.wait_for_page("two running steps", |p| {
        p["running"].as_array().is_some_and(|r| r.len() == 2)
            && p["outputs"].as_str().is_some_and(|o| o.contains("eu-west"))
            && p["rows"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x["state"] == "skipped"))
    });
    std::thread::sleep(Duration::from_millis(1500));
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/webui.png");
    browser.screenshot(&target);
    write(dir.path(), "go", "");
    server.interrupt();
    eprintln!("wrote {}", target.display());
}

/// Behind `--status-token`: the page opened without the token is refused;
/// opened as `/?token=...` it works live (its requests and event stream
/// carry the cookie the server set), drops the token from the address bar,
/// and does the same through a relay given the token.
#[test]
fn the_page_works_behind_a_status_token() {
    let Some(mut browser) = browser_or_skip("the_page_works_behind_a_status_token") else {
        return;
    };
    let token = "browser-T0ken_1";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let server = Serving::start(
        dir.path(),
        &["webui", "flow.yaml", "--port", "0", "--status-token", token],
    );
    wait_for("gate running", || {
        let (code, s) = get_json_with(&server.at("/status"), Some(token));
        assert_eq!(code, 200, "{s}");
        (s["steps"]["gate"]["state"] == "running").then_some(())
    });

    browser.open(&format!("{}/", server.url));
    wait_for("the refusal in the browser", || {
        let text = browser.eval("document.body ? document.body.innerText : ''");
        text.as_str()
            .is_some_and(|t| t.contains("needs a token"))
            .then_some(())
    });

    browser.open(&format!("{}/?token={token}", server.url));
    let page = browser.wait_for_page("four rows, live, with outputs", |p| {
        p["rows"].as_array().is_some_and(|r| r.len() == 4)
            && p["connection"] == "live"
            && p["outputs"].as_str().is_some_and(|o| o.contains("hello"))
    });
    assert_eq!(row(&page, "gate")["state"], "running");
    let href = browser.eval("location.href");
    assert!(
        href.as_str().is_some_and(|h| !h.contains(token)),
        "the token stays out of the address bar: {href}"
    );
    write(dir.path(), "go", "");
    let page = browser.wait_for_page("the run's end, live", |p| p["progress"] == "4/4");
    assert_eq!(row(&page, "after")["state"], "succeeded");

    let relay = Serving::start(
        dir.path(),
        &[
            "webui",
            "--status-url",
            &server.url,
            "--port",
            "0",
            "--status-token",
            token,
        ],
    );
    browser.open(&format!("{}/?token={token}", relay.url));
    let page = browser.wait_for_page("the relayed run", |p| {
        p["progress"] == "4/4"
            && p["connection"] == "live"
            && p["outputs"]
                .as_str()
                .is_some_and(|o| o.contains("released"))
    });
    assert_eq!(row(&page, "broken")["state"], "failed");
    let (_, _, relay_err) = relay.interrupt();
    let (_, _, server_err) = server.interrupt();
    assert!(!relay_err.contains(token) && !server_err.contains(token));
}

/// Reads the step details panel (details.js).
const DETAILS_STATE: &str = r#"JSON.stringify({
  hidden: document.getElementById('step-details').hidden,
  name: document.getElementById('details-name').textContent,
  state: document.getElementById('details-state').textContent,
  provider: document.getElementById('details-provider').textContent,
  tries: document.getElementById('details-attempt').textContent,
  stdout: document.getElementById('details-stdout').textContent,
  stderr: document.getElementById('details-stderr').textContent,
  outputs: document.getElementById('details-outputs').textContent,
  selected: [...document.querySelectorAll('#step-rows tr.selected')].map(tr => tr.dataset.step),
})"#;

impl Browser {
    /// Waits until the details panel satisfies `check`.
    fn wait_for_details(&mut self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..600 {
            last = self.eval_json(DETAILS_STATE);
            if check(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the details panel never showed {what}; last seen:\n{last:#}");
    }

    /// Clicks the middle of the element `selector` with the mouse.
    fn click(&mut self, selector: &str) {
        let rect = self.eval_json(&format!(
            "JSON.stringify((() => {{ const r = document.querySelector({selector:?}).getBoundingClientRect(); \
             return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})())"
        ));
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": rect["x"], "y": rect["y"], "button": "left", "clickCount": 1}),
            );
        }
    }
}

const DETAILS_FLOW: &str = r#"
flow:
  - name: watched
    source:
      type: process
      configuration:
        command: ["sh", "-c", "echo first-line; echo to-stderr >&2; while [ ! -f go ]; do sleep 0.05; done; echo last-line"]
    output: [{name: said}]
  - name: quick
    source: {type: process, configuration: {command: [echo, quick-said-this]}}
"#;

#[test]
fn clicking_a_step_shows_a_running_programs_output_before_it_ends() {
    let Some(mut browser) =
        browser_or_skip("clicking_a_step_shows_a_running_programs_output_before_it_ends")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", DETAILS_FLOW);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    wait_for("watched running", || {
        (server.status()["steps"]["watched"]["state"] == "running").then_some(())
    });
    browser.open(&format!("{}/", server.url));
    browser.wait_for_page("two rows", |p| {
        p["rows"].as_array().is_some_and(|r| r.len() == 2)
    });
    let closed = browser.eval_json(DETAILS_STATE);
    assert_eq!(closed["hidden"], true, "{closed:#}");

    // A click on the running step's row: its output so far, before it ends.
    browser.click("#step-rows tr[data-step=\"watched\"]");
    let shown = browser.wait_for_details("watched's first line", |d| {
        d["hidden"] == false
            && d["stdout"]
                .as_str()
                .is_some_and(|s| s.contains("first-line"))
    });
    assert_eq!(shown["name"], "watched");
    assert_eq!(shown["state"], "running");
    assert_eq!(shown["provider"], "process on local");
    assert_eq!(shown["tries"], "try 1 of 1");
    assert_eq!(shown["stderr"], "to-stderr\n");
    assert_eq!(shown["selected"], json!(["watched"]));
    assert!(!shown["stdout"].as_str().unwrap().contains("last-line"));
    assert_eq!(server.status()["steps"]["watched"]["state"], "running");
    assert!(
        !dir.path().join("go").exists(),
        "the program is still waiting"
    );

    // The panel follows the program to its end.
    write(dir.path(), "go", "");
    let ended = browser.wait_for_details("watched's end", |d| {
        d["state"] == "succeeded"
            && d["stdout"]
                .as_str()
                .is_some_and(|s| s.contains("last-line"))
    });
    assert_eq!(ended["stdout"], "first-line\nlast-line\n");
    assert!(
        ended["outputs"].as_str().unwrap().contains("last-line"),
        "{ended:#}"
    );

    // Esc closes it; other views open it with window.showStepDetails.
    browser.call(
        "Input.dispatchKeyEvent",
        json!({"type": "keyDown", "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27}),
    );
    browser.wait_for_details("the panel closed", |d| d["hidden"] == true);
    browser.call(
        "Runtime.evaluate",
        json!({"expression": "window.showStepDetails('quick')"}),
    );
    let quick = browser.wait_for_details("quick's details", |d| {
        d["hidden"] == false && d["name"] == "quick" && d["state"] == "succeeded"
    });
    assert_eq!(quick["stdout"], "quick-said-this\n");
    server.interrupt();
}
