//! The graph as the web UI reads it (`GET /graph`): every step with its box,
//! every dependency with its path, laid out here so the page only draws.

use super::layout::{self, Layout};
use super::FlowGraph;
use crate::config::Config;
use serde::{Deserialize, Serialize};

/// One step of [`GraphDocument`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphNodeDocument {
    /// The step's name.
    pub name: String,
    /// Its provider type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// True for a `foreach` step.
    pub foreach: bool,
    /// True for a step with a `when` condition.
    pub when: bool,
    /// Its column (0: no dependencies).
    pub level: usize,
    /// Its box: left, top, width, height.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// The name as shown in the box (cut with `…` when long).
    pub label: String,
}

/// One dependency of [`GraphDocument`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphEdgeDocument {
    /// The step needed.
    pub from: String,
    /// The step that needs it.
    pub to: String,
    /// True when it comes only from a template reference.
    pub dashed: bool,
    /// SVG path data of its curve.
    pub path: String,
}

/// `GET /graph`: the laid-out dependency graph of the flow being run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphDocument {
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
    /// Every step, in file order.
    pub nodes: Vec<GraphNodeDocument>,
    /// Every dependency, grouped by dependent in file order.
    pub edges: Vec<GraphEdgeDocument>,
}

impl GraphDocument {
    /// The document of `config`'s graph.
    pub fn of(config: &Config) -> GraphDocument {
        let graph = FlowGraph::of(config);
        let drawn = layout::lay_out(&graph);
        GraphDocument::from_parts(graph, drawn)
    }

    /// The document of `graph` drawn at `layout`.
    pub fn from_parts(graph: FlowGraph, layout: Layout) -> GraphDocument {
        let edges = graph
            .edges
            .iter()
            .zip(layout.edges)
            .map(|(edge, path)| GraphEdgeDocument {
                from: graph.nodes[edge.from].name.clone(),
                to: graph.nodes[edge.to].name.clone(),
                dashed: edge.dashed,
                path,
            })
            .collect();
        let nodes = graph
            .nodes
            .into_iter()
            .zip(layout.nodes)
            .map(|(node, b)| GraphNodeDocument {
                name: node.name,
                type_name: node.type_name,
                foreach: node.foreach,
                when: node.when,
                level: b.level,
                x: b.x,
                y: b.y,
                width: b.width,
                height: b.height,
                label: b.label,
            })
            .collect();
        GraphDocument {
            width: layout.width,
            height: layout.height,
            nodes,
            edges,
        }
    }
}
