//! The web UI's graph view in headless Chromium: one node per step with the
//! edges of `/graph` (dashed for template-only dependencies), colours that
//! follow the run live, a `foreach` node's item count, a click on a node
//! (selection and status line; `showStepDetails(name)` when the page has
//! it), and a 500-step flow drawn whole.

use crate::status_api_support::{wait_for, write, Serving};
use crate::webui_browser::{browser_or_skip, Browser};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// What the graph view shows, read from the DOM.
const GRAPH_STATE: &str = r#"JSON.stringify({
  nodes: [...document.querySelectorAll('#graph-view g.gnode')].map(g => {
    const r = g.querySelector('rect').getBoundingClientRect();
    return {
      step: g.dataset.step,
      state: g.dataset.state,
      fill: getComputedStyle(g.querySelector('rect')).fill,
      sub: g.querySelector('text.sub').textContent,
      selected: g.classList.contains('selected'),
      x: r.left + r.width / 2,
      y: r.top + r.height / 2,
    };
  }),
  edges: [...document.querySelectorAll('#graph-view path.edge')].map(p => ({
    from: p.dataset.from, to: p.dataset.to, dashed: p.classList.contains('dashed'),
    dasharray: getComputedStyle(p).strokeDasharray,
  })),
  line: document.getElementById('graph-selected').hidden ? null : document.getElementById('graph-selected').textContent,
  details: window.__details || null,
})"#;

const FLOW: &str = r#"
flow:
  - name: greet
    source: {type: process, configuration: {command: [echo, '{"greeting": "hello"}']}}
    output: [{name: greeting, type: jmespath, value: greeting}]
  - name: gate
    source:
      type: process
      configuration:
        command: ["sh", "-c", "while [ ! -f go ]; do sleep 0.02; done; echo released"]
  - name: after
    depends_on: [gate]
    source: {type: process, configuration: {command: [echo, done]}}
  - name: quote
    input: "{{ flows.greet.greeting }}"
    source: {type: process, configuration: {command: [echo]}}
  - name: fan
    depends_on: [greet]
    foreach: [1, 2, 3]
    source: {type: process, configuration: {command: [echo, item]}}
  - name: broken
    on_error: skip
    source: {type: process, configuration: {command: ["false"]}}
"#;

fn graph(browser: &mut Browser) -> Value {
    browser.eval_json(GRAPH_STATE)
}

fn wait_for_graph(browser: &mut Browser, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = graph(browser);
        if check(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the graph view never showed {what}; last seen:\n{last:#}");
}

fn node<'a>(graph: &'a Value, step: &str) -> &'a Value {
    graph["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["step"] == step))
        .unwrap_or_else(|| panic!("no node for {step}: {graph:#}"))
}

/// A real mouse click (press and release) at the centre of `step`'s node.
fn click(browser: &mut Browser, graph: &Value, step: &str) {
    let n = node(graph, step);
    let (x, y) = (n["x"].as_f64().unwrap(), n["y"].as_f64().unwrap());
    for kind in ["mousePressed", "mouseReleased"] {
        browser.call(
            "Input.dispatchMouseEvent",
            json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
        );
    }
}

fn edge_set(edges: &Value) -> BTreeSet<(String, String, bool)> {
    edges
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
                e["dashed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_graph_view_draws_the_flow_and_follows_the_run() {
    let Some(mut browser) = browser_or_skip("the_graph_view_draws_the_flow_and_follows_the_run")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    wait_for("gate running, the others done", || {
        let s = server.status();
        (s["steps"]["gate"]["state"] == "running" && s["completed_steps"] == 4).then_some(())
    });
    browser.open(&format!("{}/", server.url));
    let seen = wait_for_graph(&mut browser, "six nodes, gate running", |g| {
        g["nodes"].as_array().is_some_and(|n| n.len() == 6)
            && node(g, "gate")["state"] == "running"
            && node(g, "fan")["state"] == "succeeded"
    });
    let steps: Vec<&str> = seen["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["greet", "gate", "after", "quote", "fan", "broken"]);

    // The edges of the flow, the same as GET /graph, dashed where
    // the dependency comes from a template only.
    let expected: BTreeSet<(String, String, bool)> = [
        ("gate", "after", false),
        ("greet", "quote", true),
        ("greet", "fan", false),
    ]
    .iter()
    .map(|(a, b, d)| (a.to_string(), b.to_string(), *d))
    .collect();
    assert_eq!(edge_set(&seen["edges"]), expected);
    let (code, doc) = server.get("/graph");
    assert_eq!(code, 200);
    assert_eq!(edge_set(&doc["edges"]), expected);
    for e in seen["edges"].as_array().unwrap() {
        assert_eq!(
            e["dashed"].as_bool().unwrap(),
            e["dasharray"] != "none",
            "drawn dashed: {e}"
        );
    }

    // Colours by state, and the foreach node's items.
    let fills: BTreeSet<&str> = ["greet", "gate", "after", "broken"]
        .iter()
        .map(|s| node(&seen, s)["fill"].as_str().unwrap())
        .collect();
    assert_eq!(fills.len(), 4, "one colour per state: {seen:#}");
    assert_eq!(node(&seen, "after")["state"], "pending");
    assert_eq!(node(&seen, "broken")["state"], "failed");
    assert_eq!(node(&seen, "fan")["sub"], "3/3 items");
    let running_fill = node(&seen, "gate")["fill"].as_str().unwrap().to_string();

    // A click with no details view: the node is selected, its status shown.
    click(&mut browser, &seen, "gate");
    let clicked = wait_for_graph(&mut browser, "gate selected", |g| {
        node(g, "gate")["selected"] == true
    });
    let line = clicked["line"].as_str().unwrap();
    assert!(line.starts_with("gate · running"), "{line}");
    // With a details view: the click opens it.
    browser.eval_json("window.showStepDetails = (name) => { window.__details = name; }; 'null'");
    click(&mut browser, &clicked, "broken");
    let opened = wait_for_graph(&mut browser, "details of broken", |g| {
        g["details"] == "broken"
    });
    assert_eq!(node(&opened, "broken")["selected"], true);
    assert_eq!(node(&opened, "gate")["selected"], false);

    // Release the gate: the nodes change colour without a reload.
    write(dir.path(), "go", "");
    let done = wait_for_graph(&mut browser, "gate and after succeeded", |g| {
        node(g, "gate")["state"] == "succeeded" && node(g, "after")["state"] == "succeeded"
    });
    assert_ne!(node(&done, "gate")["fill"], running_fill);
    assert_eq!(node(&done, "gate")["fill"], node(&done, "greet")["fill"]);
    server.interrupt();
}

#[test]
fn the_graph_view_draws_500_steps() {
    let Some(mut browser) = browser_or_skip("the_graph_view_draws_500_steps") else {
        return;
    };
    // 25 layers of 20: each step after one of the layer before.
    let mut flow = String::from("flow:\n");
    for i in 0..500 {
        flow.push_str(&format!("  - name: s{i}\n    source: env\n"));
        if i >= 20 {
            let dep = (i / 20 - 1) * 20 + (i * 7) % 20;
            flow.push_str(&format!("    depends_on: [s{dep}]\n"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", &flow);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    wait_for("the run's end", || {
        (!server.status()["ended_at"].is_null()).then_some(())
    });
    browser.open(&format!("{}/", server.url));
    let seen = wait_for_graph(&mut browser, "500 succeeded nodes", |g| {
        g["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == 500 && n.iter().all(|x| x["state"] == "succeeded"))
    });
    assert_eq!(seen["edges"].as_array().unwrap().len(), 480);
    // Filtering finds one step among 500.
    let found = browser.eval_json(
        r#"(() => { const f = document.getElementById('graph-filter');
          f.value = 's437'; f.dispatchEvent(new Event('input'));
          return JSON.stringify([...document.querySelectorAll('#graph-view g.gnode.match')].map(g => g.dataset.step)); })()"#,
    );
    assert_eq!(found, json!(["s437"]));
    server.interrupt();
}

/// A click on a running `process` step's node opens its details, which show
/// the program's output so far before it ends.
#[test]
fn clicking_a_node_shows_a_running_programs_output_before_it_ends() {
    let Some(mut browser) =
        browser_or_skip("clicking_a_node_shows_a_running_programs_output_before_it_ends")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let flow = r#"
flow:
  - name: watched
    source:
      type: process
      configuration:
        command: ["sh", "-c", "echo first-line; while [ ! -f go ]; do sleep 0.05; done; echo last-line"]
  - name: next
    depends_on: [watched]
    source: {type: process, configuration: {command: [echo, done]}}
"#;
    write(dir.path(), "flow.yaml", flow);
    let server = Serving::start(dir.path(), &["webui", "flow.yaml", "--port", "0"]);
    wait_for("watched running", || {
        (server.status()["steps"]["watched"]["state"] == "running").then_some(())
    });
    browser.open(&format!("{}/", server.url));
    let seen = wait_for_graph(&mut browser, "two nodes, watched running", |g| {
        g["nodes"].as_array().is_some_and(|n| n.len() == 2)
            && node(g, "watched")["state"] == "running"
    });
    click(&mut browser, &seen, "watched");
    let deadline = Instant::now() + Duration::from_secs(30);
    let shown = loop {
        let d = browser.eval_json(
            "JSON.stringify({hidden: document.getElementById('step-details').hidden, \
             name: document.getElementById('details-name').textContent, \
             stdout: document.getElementById('details-stdout').textContent})",
        );
        if d["hidden"] == false
            && d["name"] == "watched"
            && d["stdout"]
                .as_str()
                .is_some_and(|s| s.contains("first-line"))
        {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "the node's details never showed the running output; last: {d}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!shown["stdout"].as_str().unwrap().contains("last-line"));
    assert_eq!(server.status()["steps"]["watched"]["state"], "running");
    write(dir.path(), "go", "");
    server.interrupt();
}
