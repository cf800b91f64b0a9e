//! The SVG of a laid-out [`FlowGraph`] (`flowtoy graph --format svg`): one
//! `<g class="node" data-step="NAME">` per step (a box, the name, the
//! provider type, the full name as a tooltip) and one
//! `<path class="edge" data-from="A" data-to="B">` per dependency, dashed
//! (`stroke-dasharray`, class `dashed`) when it comes only from a template
//! reference. Self-contained: styles are attributes, no fonts or scripts.

use super::layout::Layout;
use super::FlowGraph;
use std::fmt::Write;

/// Escapes text for XML content and double-quoted attributes; drops the
/// control characters XML 1.0 does not allow.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Writes the SVG document of `graph` drawn at `layout`.
pub fn write(graph: &FlowGraph, layout: &Layout) -> String {
    let mut out = String::with_capacity(300 * (graph.nodes.len() + graph.edges.len()) + 1024);
    let (w, h) = (layout.width, layout.height);
    let _ = writeln!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flowtoy-graph\" \
         width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <!-- dashed: a dependency that comes only from a template reference (flows.NAME) -->\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M0 0 L10 5 L0 10 z\" fill=\"#667085\"/></marker></defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <g class=\"edges\" fill=\"none\" stroke=\"#667085\" stroke-width=\"1.4\">"
    );
    for (edge, path) in graph.edges.iter().zip(&layout.edges) {
        let (class, dash) = if edge.dashed {
            ("edge dashed", " stroke-dasharray=\"6 4\"")
        } else {
            ("edge", "")
        };
        let _ = writeln!(
            out,
            "<path class=\"{class}\"{dash} data-from=\"{}\" data-to=\"{}\" d=\"{path}\" marker-end=\"url(#arrow)\"/>",
            escape(&graph.nodes[edge.from].name),
            escape(&graph.nodes[edge.to].name),
        );
    }
    out.push_str("</g>\n<g class=\"nodes\">\n");
    for (i, (node, b)) in graph.nodes.iter().zip(&layout.nodes).enumerate() {
        let name = escape(&node.name);
        let (cx, top) = (b.x + b.width / 2.0, b.y);
        let _ = writeln!(
            out,
            "<g class=\"node\" id=\"step-{}\" data-step=\"{name}\"><title>{name}</title>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"#f2f4f7\" stroke=\"#475467\"/>\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#101828\">{}</text>\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" fill=\"#667085\" font-size=\"10\">({})</text></g>",
            i + 1,
            b.x,
            b.y,
            b.width,
            b.height,
            top + 17.0,
            escape(&b.label),
            top + 31.0,
            escape(&node.kind_label()),
        );
    }
    out.push_str("</g>\n</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(escape("a<b>&\"'\u{1}c"), "a&lt;b&gt;&amp;&quot;&apos;c");
    }
}
