//! `flowtoy graph`: the dependency graph as Graphviz dot, a Mermaid
//! flowchart or SVG (laid out in-process: `flowtoy::drawing`). Arrows point
//! from a step to the steps that need it (the way data flows); each step is
//! labelled with its provider type (and its executor, when it
//! runs elsewhere than this process). Dependencies named in `depends_on` are
//! solid, those that come only from a template reference (`flows.NAME`) are
//! dashed.

use super::load;
use crate::cli::{GraphArgs, GraphFormat};
use crate::error::{CliResult, OK};
use flowtoy::drawing::{layout, svg, FlowGraph};

/// Runs `flowtoy graph`.
pub fn run(args: GraphArgs) -> CliResult {
    let config = load::load(&args.configs, &args.plugins)?;
    let graph = FlowGraph::of(&config);
    let text = match args.format {
        GraphFormat::Dot => dot(&graph),
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Svg => svg::write(&graph, &layout::lay_out(&graph)),
    };
    out!("{text}");
    Ok(OK)
}

/// Graphviz dot. Names are quoted, with `\` and `"` escaped.
fn dot(graph: &FlowGraph) -> String {
    let mut out = String::from(
        "// dashed: a dependency that comes only from a template reference (flows.NAME)\n\
         digraph flow {\n  rankdir=LR;\n  node [shape=box];\n",
    );
    for node in &graph.nodes {
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n({})\"];\n",
            dot_escape(&node.name),
            dot_escape(&node.name),
            dot_escape(&node.kind_label())
        ));
    }
    for edge in &graph.edges {
        out.push_str(&format!(
            "  \"{}\" -> \"{}\"{};\n",
            dot_escape(&graph.nodes[edge.from].name),
            dot_escape(&graph.nodes[edge.to].name),
            if edge.dashed { " [style=dashed]" } else { "" }
        ));
    }
    out.push_str("}\n");
    out
}

/// Escapes text for a double-quoted dot string (IDs and labels).
fn dot_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A Mermaid flowchart. Node ids are `s1`, `s2`, ... (file order), so no
/// name can clash with Mermaid's syntax; names appear only in quoted labels.
fn mermaid(graph: &FlowGraph) -> String {
    let mut out = String::from(
        "flowchart LR\n  \
         %% dashed: a dependency that comes only from a template reference (flows.NAME)\n",
    );
    for (i, node) in graph.nodes.iter().enumerate() {
        out.push_str(&format!(
            "  s{}[\"{}<br/>({})\"]\n",
            i + 1,
            mermaid_escape(&node.name),
            mermaid_escape(&node.kind_label())
        ));
    }
    for edge in &graph.edges {
        out.push_str(&format!(
            "  s{} {} s{}\n",
            edge.from + 1,
            if edge.dashed { "-.->" } else { "-->" },
            edge.to + 1
        ));
    }
    out
}

/// Escapes text for a quoted Mermaid label with entity codes, so quotes,
/// HTML and Mermaid's own `#` syntax show as typed.
fn mermaid_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_escapes_quotes_and_backslashes() {
        assert_eq!(dot_escape(r#"say "hi" \ bye"#), r#"say \"hi\" \\ bye"#);
        assert_eq!(dot_escape("a\\"), "a\\\\");
    }

    #[test]
    fn mermaid_escapes_with_entities() {
        assert_eq!(
            mermaid_escape(r#"a "b" <c> & #d"#),
            "a #quot;b#quot; #lt;c#gt; #amp; #35;d"
        );
    }
}
