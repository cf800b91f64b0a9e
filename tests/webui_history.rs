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

use crate::webui_browser::{base64_decode, browser_or_skip, Browser};
use common::Test;
use serde_json::{json, Value};
use status_api_support::{wait_for, Serving};
use std::path::Path;
use std::time::Duration;

/// Waits until the page, read by [`PAGE`], satisfies `check`.
fn wait_for_page(browser: &mut Browser, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..600 {
        last = browser.eval_json(PAGE);
        if check(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the page never showed {what}; last seen:\n{last:#}");
}

/// Writes a PNG of the page to `path`.
fn screenshot(browser: &mut Browser, path: &Path) {
    std::thread::sleep(Duration::from_millis(300));
    let shot = browser.call("Page.captureScreenshot", json!({"format": "png"}));
    let bytes = base64_decode(shot["data"].as_str().expect("image data"));
    std::fs::write(path, bytes).expect("write the screenshot");
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
    let Some(mut browser) = browser_or_skip("the_history_view_lists_runs_and_opens_one") else {
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

    browser.call(
        "Page.navigate",
        json!({"url": format!("{}/#history", server.url)}),
    );
    let page = wait_for_page(&mut browser, "three runs", |p| {
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
    browser.eval_json(r#"document.querySelector('#run-rows tr[data-run="1"]').click(); "null""#);
    let page = wait_for_page(&mut browser, "run 1's steps", |p| {
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
    let page = wait_for_page(&mut browser, "run 2", |p| p["detail"]["id"] == "2");
    assert_eq!(page["detail"]["resumed"], "resumed from run 1");
    assert_eq!(page["detail"]["steps"][0]["notes"], "reused from run 1");
    let outputs: Value = serde_json::from_str(page["detail"]["outputs"].as_str().unwrap()).unwrap();
    assert_eq!(outputs["report"], json!({"text": "2 users"}));

    // Back to the live view.
    browser.call("Page.navigate", json!({"url": format!("{}/#", server.url)}));
    let page = wait_for_page(&mut browser, "the live view", |p| p["live_hidden"] == false);
    assert_eq!(page["history_hidden"], true);
    server.interrupt();
}

/// Writes docs/webui-history.png: a resumed run opened in the history view.
#[test]
#[ignore = "writes docs/webui-history.png; run with --ignored"]
fn screenshot_for_the_docs() {
    let Some(mut browser) = browser_or_skip("screenshot_for_the_docs") else {
        return;
    };
    let t = Test::new().file("flow.yaml", FLOW);
    t.run_with(["run", "flow.yaml"]).code_is(1);
    std::fs::write(t.path("fixed"), "").unwrap();
    t.run_with(["resume", "1"]).success();
    let server = Serving::start(t.dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 1280, "height": 760, "deviceScaleFactor": 1, "mobile": false}),
    );
    browser.call(
        "Page.navigate",
        json!({"url": format!("{}/#runs/2", server.url)}),
    );
    wait_for_page(&mut browser, "run 2", |p| p["detail"]["id"] == "2");
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/webui-history.png");
    screenshot(&mut browser, &target);
    server.interrupt();
    eprintln!("wrote {}", target.display());
}
