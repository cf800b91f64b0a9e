//! The web UI's history view (SPEC R32) in a real browser: headless
//! Chromium, driven over the DevTools protocol like `webui_browser.rs`,
//! lists the recorded runs at `#history`, opens one by clicking its row,
//! and shows its steps and outputs.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it); without it the test
//! says why it was skipped. `FLOWTOY_CHROMIUM` names another binary.
//! `cargo test --test webui_history -- --ignored` also writes
//! `docs/webui-history.png`.

use crate::common;
use crate::status_api_support;

use common::Test;
use serde_json::{json, Value};
use status_api_support::{wait_for, Serving};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("FLOWTOY_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Headless Chromium with one page.
struct Browser {
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
                "--window-size=1280,900",
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
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let browser_url = rx
            .recv_timeout(status_api_support::PATIENCE)
            .expect("chromium printed its DevTools address");
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

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"id": id, "method": method, "params": params}).to_string();
        self.socket.send(Message::text(request)).expect("send");
        loop {
            let Message::Text(text) = self.socket.read().expect("read") else {
                continue;
            };
            let reply: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if reply["id"] == id {
                assert!(reply["error"].is_null(), "{method} failed: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Evaluates `expression` (which gives JSON text) in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        let text = result["result"]["value"].as_str().unwrap_or("null");
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    /// Waits until the page, read by [`PAGE`], satisfies `check`.
    fn wait_for_page(&mut self, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..600 {
            last = self.eval(PAGE);
            if check(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the page never showed {what}; last seen:\n{last:#}");
    }
}

impl Browser {
    fn screenshot(&mut self, path: &Path) {
        std::thread::sleep(Duration::from_millis(300));
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let bytes = base64_decode(shot["data"].as_str().expect("image data"));
        std::fs::write(path, bytes).expect("write the screenshot");
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
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

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the history view shows, read from the DOM.
const PAGE: &str = r#"JSON.stringify({
  live_hidden: document.getElementById('live-view').hidden,
  history_hidden: document.getElementById('history-view').hidden,
  detail_hidden: document.getElementById('run-detail').hidden,
  runs: [...document.querySelectorAll('#run-rows tr')].map(tr => ({
    id: tr.dataset.run,
    outcome: tr.dataset.outcome,
    cells: [...tr.cells].map(c => c.textContent),
  })),
  detail: {
    id: document.getElementById('detail-id').textContent,
    outcome: document.getElementById('detail-outcome').textContent,
    resumed: document.getElementById('detail-resumed').textContent,
    files: document.getElementById('detail-files').textContent,
    steps: [...document.querySelectorAll('#detail-steps tr')].map(tr => ({
      step: tr.dataset.step,
      state: tr.dataset.state,
      outputs: [...tr.cells[4].querySelectorAll('.tag')].map(t => t.textContent),
      notes: tr.cells[5].textContent,
    })),
    outputs: document.getElementById('detail-outputs').textContent,
  },
})"#;

const FLOW: &str = r#"
flow:
  - name: fetch
    source: {type: process, configuration: {command: [echo, '{"users": ["ada", "grace"]}']}}
    output: [{name: users, type: jmespath, value: users}]
  - name: check
    source: {type: process, configuration: {command: [sh, -c, 'test -f fixed']}}
  - name: report
    depends_on: [check]
    source: {type: process, configuration: {command: [echo]}}
    input: "{{ flows.fetch.users | length }} users"
    output: [{name: text}]
"#;

#[test]
fn the_history_view_lists_runs_and_opens_one() {
    let Some(binary) = chromium() else {
        eprintln!(
            "skipped the_history_view_lists_runs_and_opens_one: chromium is not installed \
             (`apt-get install chromium`, or set FLOWTOY_CHROMIUM)"
        );
        return;
    };
    let t = Test::new().file("flow.yaml", FLOW);
    t.run_with(["run", "flow.yaml"]).code_is(1);
    std::fs::write(t.path("fixed"), "").unwrap();
    t.run_with(["resume", "1"]).success();
    let server = Serving::start(t.dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    wait_for("the served run recorded", || {
        let (_, runs) = server.get("/runs");
        (runs[0]["outcome"] == "finished" && runs[0]["id"] == 3).then_some(())
    });

    let mut browser = Browser::launch(&binary);
    browser.call(
        "Page.navigate",
        json!({"url": format!("{}/#history", server.url)}),
    );
    let page = browser.wait_for_page("three runs", |p| {
        p["runs"].as_array().is_some_and(|r| r.len() == 3)
    });
    assert_eq!(page["live_hidden"], true, "{page:#}");
    assert_eq!(page["history_hidden"], false);
    let runs = page["runs"].as_array().unwrap();
    let listed: Vec<(&str, &str)> = runs
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [("3", "finished"), ("2", "finished"), ("1", "halted")]
    );
    let first = &runs[2]["cells"];
    assert_eq!(first[0], "1");
    assert_eq!(
        first[1].as_str().unwrap().len(),
        19,
        "YYYY-MM-DD HH:MM:SS: {first}"
    );
    assert_eq!(first[3], "halted");
    assert_eq!(first[4], "1 succeeded · 1 failed · 1 skipped");
    assert!(
        first[5].as_str().unwrap().ends_with("/flow.yaml"),
        "{first}"
    );

    // Open run 1 by clicking its row.
    browser.eval(r#"document.querySelector('#run-rows tr[data-run="1"]').click(); "null""#);
    let page = browser.wait_for_page("run 1's steps", |p| {
        p["detail_hidden"] == false
            && p["detail"]["id"] == "1"
            && p["detail"]["steps"]
                .as_array()
                .is_some_and(|s| s.len() == 3)
    });
    let detail = &page["detail"];
    assert_eq!(detail["outcome"], "halted");
    let steps: Vec<(&str, &str)> = detail["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("fetch", "succeeded"),
            ("check", "failed"),
            ("report", "skipped")
        ]
    );
    assert_eq!(detail["steps"][0]["outputs"], json!(["users"]));
    assert_eq!(detail["steps"][1]["notes"], "process exited with code 1");
    let outputs: Value = serde_json::from_str(detail["outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs, json!({"fetch": {"users": ["ada", "grace"]}}));

    // Run 2 resumed run 1: its reused step says so.
    browser.call(
        "Page.navigate",
        json!({"url": format!("{}/#runs/2", server.url)}),
    );
    let page = browser.wait_for_page("run 2", |p| p["detail"]["id"] == "2");
    assert_eq!(page["detail"]["resumed"], "resumed from run 1");
    assert_eq!(page["detail"]["steps"][0]["notes"], "reused from run 1");
    let outputs: Value = serde_json::from_str(page["detail"]["outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["report"], json!({"text": "2 users"}));

    // Back to the live view.
    browser.call("Page.navigate", json!({"url": format!("{}/#", server.url)}));
    let page = browser.wait_for_page("the live view", |p| p["live_hidden"] == false);
    assert_eq!(page["history_hidden"], true);
    server.interrupt();
}

/// Writes docs/webui-history.png: a resumed run opened in the history view.
#[test]
#[ignore = "writes docs/webui-history.png; run with --ignored"]
fn screenshot_for_the_docs() {
    let Some(binary) = chromium() else {
        eprintln!("skipped screenshot_for_the_docs: chromium is not installed");
        return;
    };
    let t = Test::new().file("flow.yaml", FLOW);
    t.run_with(["run", "flow.yaml"]).code_is(1);
    std::fs::write(t.path("fixed"), "").unwrap();
    t.run_with(["resume", "1"]).success();
    let server = Serving::start(t.dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    let mut browser = Browser::launch(&binary);
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 760, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.call(
        "Page.navigate",
        json!({"url": format!("{}/#runs/2", server.url)}),
    );
    browser.wait_for_page("run 2", |p| p["detail"]["id"] == "2");
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/webui-history.png");
    browser.screenshot(&target);
    server.interrupt();
    eprintln!("wrote {}", target.display());
}
