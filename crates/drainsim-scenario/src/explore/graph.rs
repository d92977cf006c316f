//! The explored state graph, for `drainsim explore --dot`: one node per distinct state (its depth,
//! simulated time, whether it is terminal), one edge per transition between them, written as DOT
//! through petgraph. Kept only for small graphs.

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};

/// The most states a graph is kept for (a larger one is dropped: DOT of it would be unreadable).
pub const MAX_GRAPH_STATES: usize = 2_000;

/// A state in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateNode {
    /// Transitions from the start.
    pub depth: u32,
    /// Whether its paths end there.
    pub terminal: bool,
    /// Its simulated time.
    pub at_ms: u64,
}

/// The explored graph (states by discovery index).
#[derive(Debug, Clone, Default)]
pub struct StateGraph {
    nodes: Vec<StateNode>,
    edges: std::collections::BTreeSet<(u32, u32)>,
}

impl StateGraph {
    /// States kept.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no state is kept.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Transitions kept (distinct pairs of states).
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub(crate) fn node(&mut self, index: u32, depth: u32, terminal: bool, at_ms: u64) {
        if self.nodes.len() > MAX_GRAPH_STATES {
            return;
        }
        debug_assert_eq!(index as usize, self.nodes.len(), "states are numbered in discovery order");
        self.nodes.push(StateNode { depth, terminal, at_ms });
    }

    pub(crate) fn edge(&mut self, from: u32, to: u32) {
        if self.nodes.len() <= MAX_GRAPH_STATES {
            self.edges.insert((from, to));
        }
    }

    /// The graph as DOT: node `sN` labelled with its depth and time, terminal states doubled.
    pub fn to_dot(&self) -> String {
        let mut g: DiGraph<String, &str> = DiGraph::new();
        let ids: Vec<NodeIndex> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(n, s)| {
                g.add_node(format!(
                    "s{n} d{} {}{}",
                    s.depth,
                    drainsim_core::time::format_sim_time(s.at_ms),
                    if s.terminal { " end" } else { "" }
                ))
            })
            .collect();
        for (a, b) in &self.edges {
            if let (Some(x), Some(y)) = (ids.get(*a as usize), ids.get(*b as usize)) {
                g.add_edge(*x, *y, "");
            }
        }
        format!("{}", Dot::with_config(&g, &[Config::EdgeNoLabel]))
    }
}
