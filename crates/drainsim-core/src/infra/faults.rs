//! Faults: scheduled events drawn from their own seeded stream, consulted at one point each (not
//! `if rng` scattered through the domain). Off unless a scenario turns them on.

use crate::infra::ids::InstanceId;
use crate::infra::time::SimTimeMs;

/// Fault rates of a run (per mille where a rate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultProfile {
    /// Chance that a trunk ENI fails to provision (REGISTRATION_FAILED), per mille.
    pub trunk_provisioning_failure_per_mille: u32,
    /// Extra latency added to every trunk ENI attach, in milliseconds.
    pub eni_attach_latency_ms: SimTimeMs,
    /// Chance that a task fails to start, per mille.
    pub task_start_failure_per_mille: u32,
    /// Random agent disconnects per instance per hour (each reconnects 10–120 s later).
    pub agent_disconnects_per_hour: u32,
}

/// A fault pinned at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinnedFault {
    /// The instance's agent disconnects.
    AgentDisconnect(InstanceId),
    /// The instance's agent reconnects.
    AgentReconnect(InstanceId),
}

/// Fault state of an engine.
#[derive(Debug, Clone, Default)]
pub struct FaultState {
    pub profile: FaultProfile,
    pub pinned: Vec<PinnedFault>,
    /// Instances whose trunk provisioning fails (pinned by the scenario).
    pub trunk_failures: Vec<InstanceId>,
}
