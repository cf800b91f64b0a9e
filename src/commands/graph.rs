//! `flowtoy graph`: the dependency graph as Graphviz dot or a Mermaid
//! flowchart. Arrows point from a step to the steps that need it (the way
//! data flows); each step is labelled with its provider type (and its
//! executor, when it runs elsewhere than this process). Dependencies
//! named in `depends_on` are solid, those that come only from a template
//! reference (`flows.NAME`) are dashed.

use super::load;
use crate::cli::{GraphArgs, GraphFormat};
use crate::error::{CliResult, OK};
use flowtoy::config::{Config, StepDef};

/// Runs `flowtoy graph`.
pub fn run(args: GraphArgs) -> CliResult {
    let config = load::load(&args.configs, &args.plugins)?;
    let text = match args.format {
        GraphFormat::Dot => dot(&config),
        GraphFormat::Mermaid => mermaid(&config),
    };
    print!("{text}");
    Ok(OK)
}

/// One edge: from the dependency to the dependent, dashed when implicit only.
struct Edge {
    from: usize,
    to: usize,
    dashed: bool,
}

/// Every edge, grouped by dependent in file order.
fn edges(config: &Config) -> Vec<Edge> {
    let graph = config.graph();
    let mut edges = Vec::new();
    for (to, deps) in graph.deps.iter().enumerate() {
        for (from, kind) in deps {
            edges.push(Edge {
                from: *from,
                to,
                dashed: !kind.explicit,
            });
        }
    }
    edges
}

/// A node's second line: the provider type, `on EXECUTOR` when the step
/// runs elsewhere than this process (R34), and `foreach` / `when` when the
/// step fans out or runs on a condition (R27, R28).
fn kind_label(config: &Config, index: usize, step: &StepDef, type_name: &str) -> String {
    let mut label = type_name.to_string();
    if let Some(remote) = config.placement(index).remote() {
        label.push_str(&format!(", on {}", remote.definition.type_name));
    }
    if step.control().foreach.is_some() {
        label.push_str(", foreach");
    }
    if step.control().when.is_some() {
        label.push_str(", when");
    }
    label
}

/// Graphviz dot. Names are quoted, with `\` and `"` escaped.
fn dot(config: &Config) -> String {
    let mut out = String::from(
        "// dashed: a dependency that comes only from a template reference (flows.NAME)\n\
         digraph flow {\n  rankdir=LR;\n  node [shape=box];\n",
    );
    for (i, (step, source)) in config.steps_with_sources().enumerate() {
        let kind = kind_label(config, i, step, &source.type_name);
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n({})\"];\n",
            dot_escape(&step.name),
            dot_escape(&step.name),
            dot_escape(&kind)
        ));
    }
    for edge in edges(config) {
        out.push_str(&format!(
            "  \"{}\" -> \"{}\"{};\n",
            dot_escape(&config.flow()[edge.from].name),
            dot_escape(&config.flow()[edge.to].name),
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
fn mermaid(config: &Config) -> String {
    let mut out = String::from(
        "flowchart LR\n  \
         %% dashed: a dependency that comes only from a template reference (flows.NAME)\n",
    );
    for (i, (step, source)) in config.steps_with_sources().enumerate() {
        let kind = kind_label(config, i, step, &source.type_name);
        out.push_str(&format!(
            "  s{}[\"{}<br/>({})\"]\n",
            i + 1,
            mermaid_escape(&step.name),
            mermaid_escape(&kind)
        ));
    }
    for edge in edges(config) {
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
