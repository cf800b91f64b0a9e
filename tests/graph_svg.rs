//! `flowtoy graph --format svg`: laid out by flowtoy itself (no Graphviz),
//! read back as XML — one node per step, the same edges as `--format dot`,
//! template-only dependencies dashed.

use crate::common::Test;
use std::collections::BTreeSet;

/// A diamond with odd names, a step that needs another both ways (solid),
/// a template-only dependency (dashed), a `foreach` and a `when` step.
const FLOW: &str = r#"
flow:
  - name: 'say "hi" & <wave>'
    source: env
  - name: 'back\slash'
    source: env
    depends_on: ['say "hi" & <wave>']
  - name: both
    source: env
    depends_on: ['back\slash', middle]
    input: "{{ flows.middle }}"
  - name: middle
    source: env
  - name: template_only
    source: env
    input: "{{ flows['say \"hi\" & <wave>'] }}"
  - name: fan
    source: env
    foreach: [1, 2, 3]
    when: "true"
    depends_on: [both, template_only]
  - name: alone
    source: {type: process, configuration: {command: [echo]}}
"#;

/// One edge: from, to, dashed.
type Edge = (String, String, bool);

/// Reads a double-quoted dot string at the start of `text`: its value and the rest.
fn dot_string(text: &str) -> (String, &str) {
    let mut chars = text.char_indices();
    assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{text}");
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next().expect("escaped char").1),
            '"' => return (value, &text[i + 1..]),
            c => value.push(c),
        }
    }
    panic!("unterminated string in {text}");
}

/// The edges of `flowtoy graph --format dot`.
fn dot_edges(dot: &str) -> BTreeSet<Edge> {
    dot.lines()
        .filter(|l| l.contains("\" -> \""))
        .map(|line| {
            let (from, rest) = dot_string(line.trim_start());
            let (to, rest) = dot_string(rest.trim_start().trim_start_matches("->").trim_start());
            (from, to, rest.contains("style=dashed"))
        })
        .collect()
}

fn svg_of(test: Test, file: &str) -> String {
    let out = test.args(["graph", "--format", "svg", file]).run();
    out.success().no_panic();
    out.stdout()
}

#[test]
fn svg_has_one_node_per_step_and_the_edges_of_dot() {
    let test = Test::new().file("flow.yaml", FLOW);
    let dot = test.run_with(["graph", "flow.yaml"]);
    dot.success();
    let expected = dot_edges(&dot.stdout());
    assert_eq!(expected.len(), 6, "{}", dot.stdout());

    let text = svg_of(test, "flow.yaml");
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert!(root.attribute("viewBox").is_some());

    let has_class = |n: &roxmltree::Node, class: &str| {
        n.attribute("class")
            .is_some_and(|c| c.split(' ').any(|x| x == class))
    };
    let nodes: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| n.tag_name().name() == "g" && has_class(n, "node"))
        .collect();
    let names: Vec<&str> = nodes
        .iter()
        .map(|n| n.attribute("data-step").unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "say \"hi\" & <wave>",
            "back\\slash",
            "both",
            "middle",
            "template_only",
            "fan",
            "alone"
        ],
        "one node per step, in file order"
    );
    for node in &nodes {
        let name = node.attribute("data-step").unwrap();
        let texts: Vec<&str> = node
            .descendants()
            .filter(|n| n.tag_name().name() == "text")
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(texts[0], name, "the box shows the name");
        let rect = node
            .children()
            .find(|n| n.tag_name().name() == "rect")
            .expect("a box");
        for attr in ["x", "y", "width", "height"] {
            let v: f64 = rect.attribute(attr).unwrap().parse().unwrap();
            assert!(v >= 0.0, "{name}: {attr}={v}");
        }
    }
    let label = |name: &str| {
        nodes
            .iter()
            .find(|n| n.attribute("data-step") == Some(name))
            .unwrap()
            .descendants()
            .filter(|n| n.is_element())
            .filter_map(|n| n.text())
            .filter(|t| t.starts_with('('))
            .collect::<String>()
    };
    assert_eq!(label("fan"), "(env, foreach, when)");
    assert_eq!(label("alone"), "(process)");

    let edges: BTreeSet<Edge> = root
        .descendants()
        .filter(|n| n.tag_name().name() == "path" && has_class(n, "edge"))
        .map(|n| {
            let dashed = has_class(&n, "dashed");
            assert_eq!(
                dashed,
                n.attribute("stroke-dasharray").is_some(),
                "dashed edges are drawn dashed"
            );
            (
                n.attribute("data-from").unwrap().to_string(),
                n.attribute("data-to").unwrap().to_string(),
                dashed,
            )
        })
        .collect();
    assert_eq!(edges, expected, "the same edges as dot");
    let dashed: Vec<&Edge> = edges.iter().filter(|e| e.2).collect();
    assert_eq!(
        dashed,
        [&(
            "say \"hi\" & <wave>".to_string(),
            "template_only".to_string(),
            true
        )],
        "only the template-only dependency is dashed ('both' is named in depends_on too)"
    );
}

#[test]
fn svg_of_a_wide_and_deep_flow() {
    // 500 steps: 20 chains of 25, each step after the one before, and every
    // fifth also after a step of the next chain.
    let mut flow = String::from("flow:\n");
    for i in 0..500 {
        let (chain, depth) = (i % 20, i / 20);
        flow.push_str(&format!("  - name: s{i}\n    source: env\n"));
        if depth > 0 {
            let mut deps = vec![format!("s{}", i - 20)];
            if depth % 5 == 0 {
                deps.push(format!("s{}", (depth - 1) * 20 + (chain + 1) % 20));
            }
            flow.push_str(&format!("    depends_on: [{}]\n", deps.join(", ")));
        }
    }
    let text = svg_of(Test::new().file("big.yaml", &flow), "big.yaml");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let nodes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("node"))
        .count();
    let edges = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("edge"))
        .count();
    assert_eq!(nodes, 500);
    assert_eq!(edges, 480 + 4 * 20);
    // 25 columns, so the drawing is wider than one column and every box is inside it.
    let width: f64 = doc
        .root_element()
        .attribute("width")
        .unwrap()
        .parse()
        .unwrap();
    let xs: BTreeSet<String> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "rect" && n.attribute("rx").is_some())
        .map(|n| n.attribute("x").unwrap().to_string())
        .collect();
    assert_eq!(xs.len(), 25, "one column per depth");
    assert!(xs.iter().all(|x| x.parse::<f64>().unwrap() < width));
}
