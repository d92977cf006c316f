//! Clusters: their instances and services in order, and their placement index.

use crate::infra::ids::{InstanceId, ServiceId};
use crate::infra::intern::Sym;

/// A cluster.
#[derive(Debug, Clone)]
pub struct ClusterState {
    pub name: Sym,
    /// Instances in registration order.
    pub instances: Vec<InstanceId>,
    /// Services in creation order.
    pub services: Vec<ServiceId>,
    /// Free-capacity index of placeable instances.
    pub placement: crate::placement::PlacementIndex,
    /// Whether any instance of the cluster has been set to DRAINING (starts the observation window).
    pub drain_observed: bool,
    /// DAEMON services of the cluster (they re-evaluate on every instance change).
    pub daemon_services: Vec<ServiceId>,
    /// Services whose last pass could not place a task: freed or new capacity wakes them.
    pub capacity_waiters: std::collections::BTreeSet<ServiceId>,
}
