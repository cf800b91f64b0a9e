//! Drawing a flow's dependency graph without Graphviz: the nodes and edges
//! every format shows ([`FlowGraph`]: `flowtoy graph` as dot, Mermaid or
//! SVG, and the web UI), a layered layout computed here ([`layout`]), and
//! the SVG written from it ([`svg`]).
//!
//! Edges point from a step to the steps that need it (the way data flows).
//! A dependency named in `depends_on` is solid; one that comes only from a
//! template reference (`flows.NAME`) is dashed.
//!
//! ```
//! use flowtoy::drawing::{layout, svg, FlowGraph};
//! let config = flowtoy::config::load_yaml_str(
//!     "f.yaml",
//!     "flow:\n  - {name: a, source: env}\n  - {name: b, source: env, depends_on: [a]}\n",
//! )?;
//! let graph = FlowGraph::of(&config);
//! assert_eq!(graph.edges.len(), 1);
//! let drawn = layout::lay_out(&graph);
//! assert!(svg::write(&graph, &drawn).contains("data-step=\"b\""));
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

mod document;
pub mod layout;
pub mod svg;

pub use document::{GraphDocument, GraphEdgeDocument, GraphNodeDocument};

use crate::config::Config;

/// One step as the graph shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// The step's name.
    pub name: String,
    /// Its provider type.
    pub type_name: String,
    /// The executor type when the step runs elsewhere than this process
    /// (R34); `None` for `local`.
    pub executor: Option<String>,
    /// True when the step fans out over a list (`foreach`, R28).
    pub foreach: bool,
    /// True when the step runs on a condition (`when`, R27).
    pub when: bool,
}

impl GraphNode {
    /// The node's second line: the provider type, `on EXECUTOR` when the
    /// step runs elsewhere than this process, and `foreach` / `when` when
    /// the step fans out or runs on a condition.
    pub fn kind_label(&self) -> String {
        let mut label = self.type_name.clone();
        if let Some(executor) = &self.executor {
            label.push_str(&format!(", on {executor}"));
        }
        if self.foreach {
            label.push_str(", foreach");
        }
        if self.when {
            label.push_str(", when");
        }
        label
    }
}

/// One dependency: from the step needed to the step that needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphEdge {
    /// The dependency (an index into [`FlowGraph::nodes`]).
    pub from: usize,
    /// The dependent.
    pub to: usize,
    /// True when it comes only from a template reference (drawn dashed).
    pub dashed: bool,
}

/// The steps (file order) and their dependencies, as every drawing shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowGraph {
    /// Every step, in file order.
    pub nodes: Vec<GraphNode>,
    /// Every dependency, grouped by dependent in file order.
    pub edges: Vec<GraphEdge>,
}

impl FlowGraph {
    /// The graph of a validated configuration.
    pub fn of(config: &Config) -> FlowGraph {
        let nodes = config
            .steps_with_sources()
            .enumerate()
            .map(|(index, (step, source))| GraphNode {
                name: step.name.clone(),
                type_name: source.type_name.clone(),
                executor: config
                    .placement(index)
                    .remote()
                    .map(|remote| remote.definition.type_name.clone()),
                foreach: step.control().foreach.is_some(),
                when: step.control().when.is_some(),
            })
            .collect();
        let edges = config
            .graph()
            .deps
            .iter()
            .enumerate()
            .flat_map(|(to, deps)| {
                deps.iter().map(move |(from, kind)| GraphEdge {
                    from: *from,
                    to,
                    dashed: !kind.explicit,
                })
            })
            .collect();
        FlowGraph { nodes, edges }
    }
}
