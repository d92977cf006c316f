//! The legal transition graphs of container instances, tasks and attachments, built into `petgraph`
//! graphs from the one table of each (`InstanceStatus::TRANSITIONS`, `TaskStatus::TRANSITIONS`,
//! `AttachmentStatus::TRANSITIONS`), which `drainsim graph` (DOT) and the tests read; and the same
//! tables as successor bit sets computed at compile time ([`LegalChanges`]), which the engine checks
//! every status change against without building a graph per engine.

use std::collections::BTreeMap;

use petgraph::dot::{Config, Dot};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::rules::lifecycle::TaskStatus;
use crate::rules::lifecycle::{AttachmentStatus, InstanceStatus};

/// One status graph.
#[derive(Debug, Clone)]
pub struct TransitionGraph<S: Copy + Ord + 'static> {
    name: &'static str,
    graph: DiGraph<S, ()>,
    nodes: BTreeMap<S, NodeIndex>,
    label: fn(S) -> &'static str,
    initial: &'static [S],
}

impl<S: Copy + Ord + 'static> TransitionGraph<S> {
    fn build(name: &'static str, all: &[S], edges: &[(S, S)], label: fn(S) -> &'static str, initial: &'static [S]) -> Self {
        let mut graph = DiGraph::new();
        let nodes: BTreeMap<S, NodeIndex> = all.iter().map(|s| (*s, graph.add_node(*s))).collect();
        for (a, b) in edges {
            graph.add_edge(nodes[a], nodes[b], ());
        }
        TransitionGraph { name, graph, nodes, label, initial }
    }

    /// Whether `from → to` is an edge of the graph.
    pub fn allows(&self, from: S, to: S) -> bool {
        self.graph.contains_edge(self.nodes[&from], self.nodes[&to])
    }

    /// Whether `status` is a status a new object may start in.
    pub fn is_initial(&self, status: S) -> bool {
        self.initial.contains(&status)
    }

    /// The statuses reachable in one step from `from`, in table order.
    pub fn successors(&self, from: S) -> Vec<S> {
        let mut next: Vec<S> = self.graph.neighbors(self.nodes[&from]).map(|n| self.graph[n]).collect();
        next.sort();
        next
    }

    /// The graph as Graphviz DOT (petgraph's writer), named statuses, initial states marked.
    pub fn to_dot(&self) -> String {
        let label = self.label;
        let named = self.graph.map(|_, s| label(*s), |_, _| "");
        let body = format!("{}", Dot::with_config(&named, &[Config::EdgeNoLabel]));
        let initial: String = self.initial.iter().map(|s| format!("    start -> {};\n", self.nodes[s].index())).collect();
        let body = body.replacen(
            "digraph {",
            &format!("digraph {} {{\n    rankdir=LR;\n    start [shape=point];\n{initial}", self.name),
            1,
        );
        body
    }
}

/// A status type whose changes the engine checks: each status's successors as a bit set (bit `to`
/// of word `from`), computed at compile time from the type's `TRANSITIONS` table, the one table the
/// graphs are built from too (a unit test compares the two for every pair).
pub(crate) trait LegalChanges: Copy + 'static {
    /// Successor bits, one word per status in declaration order.
    const SUCCESSORS: &'static [u32];
    /// The status's position in declaration order.
    fn position(self) -> usize;
    /// Whether `self → to` is an edge of the type's table.
    fn change_allowed(self, to: Self) -> bool {
        Self::SUCCESSORS[self.position()] >> to.position() & 1 == 1
    }
}

macro_rules! legal_changes {
    ($status:ty) => {
        impl LegalChanges for $status {
            const SUCCESSORS: &'static [u32] = &{
                const N: usize = <$status>::ALL.len();
                assert!(N <= 32, "a status type has at most 32 statuses");
                let mut bits = [0u32; N];
                let edges = <$status>::TRANSITIONS;
                let mut i = 0;
                while i < edges.len() {
                    bits[edges[i].0 as usize] |= 1 << (edges[i].1 as usize);
                    i += 1;
                }
                bits
            };
            fn position(self) -> usize {
                self as usize
            }
        }
    };
}
legal_changes!(InstanceStatus);
legal_changes!(TaskStatus);
legal_changes!(AttachmentStatus);

/// The three graphs.
#[derive(Debug, Clone)]
pub struct Transitions {
    /// Container instance `status`.
    pub instance: TransitionGraph<InstanceStatus>,
    /// Task `lastStatus`.
    pub task: TransitionGraph<TaskStatus>,
    /// Attachment `status`.
    pub attachment: TransitionGraph<AttachmentStatus>,
}

impl Default for Transitions {
    fn default() -> Self {
        Transitions {
            instance: TransitionGraph::build(
                "container_instance_status",
                &InstanceStatus::ALL,
                InstanceStatus::TRANSITIONS,
                InstanceStatus::as_str,
                InstanceStatus::INITIAL,
            ),
            task: TransitionGraph::build(
                "task_status",
                &TaskStatus::ALL,
                TaskStatus::TRANSITIONS,
                TaskStatus::as_str,
                &[TaskStatus::Provisioning],
            ),
            attachment: TransitionGraph::build(
                "attachment_status",
                &AttachmentStatus::ALL,
                AttachmentStatus::TRANSITIONS,
                AttachmentStatus::as_str,
                &[AttachmentStatus::Precreated],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_match_their_tables() {
        let t = Transitions::default();
        for a in InstanceStatus::ALL {
            for b in InstanceStatus::ALL {
                assert_eq!(t.instance.allows(a, b), InstanceStatus::TRANSITIONS.contains(&(a, b)));
            }
        }
        assert!(t.instance.successors(InstanceStatus::Inactive).is_empty());
        assert_eq!(t.instance.successors(InstanceStatus::Deregistering), vec![InstanceStatus::Inactive]);
        assert!(t.task.allows(TaskStatus::Running, TaskStatus::Deactivating));
        assert!(!t.task.allows(TaskStatus::Stopped, TaskStatus::Running));
        assert!(t.attachment.allows(AttachmentStatus::Attaching, AttachmentStatus::Attached));
    }

    #[test]
    fn successor_bits_agree_with_the_graphs_for_every_pair() {
        fn agree<S: LegalChanges + Ord + std::fmt::Debug>(g: &TransitionGraph<S>, all: &[S]) {
            for (n, a) in all.iter().enumerate() {
                assert_eq!(a.position(), n, "{a:?} is declared in ALL order");
                for b in all {
                    assert_eq!(a.change_allowed(*b), g.allows(*a, *b), "{a:?} -> {b:?}");
                }
            }
        }
        let t = Transitions::default();
        agree(&t.instance, &InstanceStatus::ALL);
        agree(&t.task, &TaskStatus::ALL);
        agree(&t.attachment, &AttachmentStatus::ALL);
    }

    #[test]
    fn every_status_is_reachable_from_an_initial_one() {
        let t = Transitions::default();
        let start = t.task.nodes[&TaskStatus::Provisioning];
        for s in TaskStatus::ALL {
            assert!(petgraph::algo::has_path_connecting(&t.task.graph, start, t.task.nodes[&s], None), "{s:?}");
        }
        for s in InstanceStatus::ALL {
            let reachable = InstanceStatus::INITIAL
                .iter()
                .any(|i| petgraph::algo::has_path_connecting(&t.instance.graph, t.instance.nodes[i], t.instance.nodes[&s], None));
            assert!(reachable, "{s:?}");
        }
    }

    #[test]
    fn dot_names_every_status() {
        let dot = Transitions::default().instance.to_dot();
        assert!(dot.starts_with("digraph container_instance_status {"), "{dot}");
        for s in InstanceStatus::ALL {
            assert!(dot.contains(s.as_str()), "{dot}");
        }
    }
}
