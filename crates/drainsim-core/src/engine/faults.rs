//! Faults applied to the engine: the profile's draws and the pinned faults, each consulted at one
//! point (the fault types are in [`crate::infra::faults`]).

use crate::infra::faults::*;
use crate::infra::ids::InstanceId;
use crate::infra::queue::EventKind;
use crate::infra::rng::StreamName;
use crate::infra::time::SimTimeMs;
use crate::state::trace::{Change, Subject};
use crate::Engine;
use rand::RngExt;

impl Engine {
    /// Turns on fault rates for the rest of the run (agent disconnects start for every instance
    /// registered so far, and for each one registered later).
    pub fn set_fault_profile(&mut self, profile: FaultProfile) {
        self.finish_open_instant();
        let start_flaps = profile.agent_disconnects_per_hour > 0 && self.faults.profile.agent_disconnects_per_hour == 0;
        let start_spot_draws = profile.spot_interruption_per_mille_per_hour > 0;
        self.faults.profile = profile;
        if start_spot_draws {
            self.start_spot_draws();
        }
        if start_flaps {
            for id in 0..self.instances.len() as u32 {
                self.schedule_agent_flap(InstanceId(id));
            }
        }
    }

    /// Schedules an instance's next random agent disconnect (uniform over twice the mean gap).
    pub(crate) fn schedule_agent_flap(&mut self, id: InstanceId) {
        let rate = self.faults.profile.agent_disconnects_per_hour;
        if rate == 0 || self.instances[id.index()].status.is_deregistered() {
            return;
        }
        let mean_gap_ms = 3_600_000 / rate as u64;
        let delay = self.rng.stream(StreamName::Faults).random_range(1..=2 * mean_gap_ms.max(1));
        self.schedule(delay, EventKind::AgentFlapDisconnect, id.0, 0);
    }

    /// A random disconnect (and, 10–120 s later, its reconnect).
    pub(crate) fn on_agent_flap(&mut self, id: InstanceId, reconnect: bool) {
        // A deregistered instance's agent has no session left to flap (see `set_agent_connected`).
        if self.instances[id.index()].status.is_deregistered() {
            return;
        }
        if reconnect {
            self.set_agent_connected(id, true);
            self.schedule_agent_flap(id);
        } else {
            self.set_agent_connected(id, false);
            let delay = self.rng.stream(StreamName::Faults).random_range(10_000..=120_000u64);
            self.schedule(delay, EventKind::AgentFlapReconnect, id.0, 0);
        }
    }

    /// The fault profile in force.
    pub fn fault_profile(&self) -> &FaultProfile {
        &self.faults.profile
    }

    /// Pins a fault at `at_ms` (absolute simulated time, not before now).
    pub fn pin_fault(&mut self, at_ms: SimTimeMs, fault: PinnedFault) {
        self.finish_open_instant();
        let idx = self.faults.pinned.len() as u32;
        self.faults.pinned.push(fault);
        let delay = at_ms.saturating_sub(self.now_ms);
        self.schedule(delay, EventKind::Fault, idx, 0);
    }

    /// Makes the trunk provisioning of an instance fail (it must be REGISTERING).
    pub fn pin_trunk_failure(&mut self, id: InstanceId) {
        self.finish_open_instant();
        self.faults.trunk_failures.push(id);
    }

    pub(crate) fn on_fault(&mut self, idx: u32) {
        match self.faults.pinned[idx as usize].clone() {
            PinnedFault::AgentDisconnect(i) => self.set_agent_connected(i, false),
            PinnedFault::AgentReconnect(i) => self.set_agent_connected(i, true),
            PinnedFault::SpotInterruption(i, behavior) => self.spot_interruption(i, behavior),
        }
    }

    /// The agent's connection (`agentConnected`) after a fault. The one rule for an agent event on
    /// a deregistered instance (DEREGISTERING or INACTIVE): it changes nothing. Deregistration
    /// closed the agent's session (`deregister_container_instance` disconnects it), and ECS's
    /// agent communication service refuses the connection of an agent whose container instance is
    /// deregistered with `InactiveInstanceException`; the agent then waits an hour before it tries
    /// again (`inactiveInstanceReconnectDelay` in the agent's ACS session,
    /// <https://github.com/aws/amazon-ecs-agent/blob/v1.29.0/agent/acs/handler/acs_handler.go>).
    /// DEREGISTERING counts as deregistered (docs/ecs-choices.md § 9): the deregistration was
    /// accepted and ECS is only detaching the trunk ENI. Shown by
    /// `scenarios/regressions/agent-reconnect-while-deregistering.ron`.
    pub(crate) fn set_agent_connected(&mut self, id: InstanceId, connected: bool) {
        let i = &self.instances[id.index()];
        if i.agent_connected == connected || i.status.is_deregistered() {
            return;
        }
        self.instances.set_agent_connected(id, connected, self.now_ms);
        self.bump_version(id);
        self.record(
            Subject::Instance(id),
            Change::AgentConnected(connected),
            if connected { "agent reconnected" } else { "agent disconnected" },
        );
        self.refresh_placeability(id);
        if connected {
            self.resume_agent_update(id);
        }
    }

    pub(crate) fn trunk_provisioning_fails(&mut self, id: InstanceId) -> bool {
        if self.faults.trunk_failures.contains(&id) {
            return true;
        }
        let rate = self.faults.profile.trunk_provisioning_failure_per_mille;
        rate > 0 && self.rng.stream(StreamName::Faults).random_range(0..1000u32) < rate
    }

    pub(crate) fn fault_attach_latency_ms(&self) -> SimTimeMs {
        self.faults.profile.eni_attach_latency_ms
    }

    pub(crate) fn draw_task_start_failure(&mut self) -> bool {
        let rate = self.faults.profile.task_start_failure_per_mille;
        rate > 0 && self.rng.stream(StreamName::Faults).random_range(0..1000u32) < rate
    }
}

impl Engine {
    /// Swarm testing: this seed's own fault profile — which faults are on, and at what rates —
    /// drawn from the fault stream only.
    pub fn draw_swarm_fault_profile(&mut self) -> FaultProfile {
        let rng = self.rng.stream(StreamName::Faults);
        let on = |rng: &mut rand_chacha::ChaCha8Rng| rng.random_range(0..2u32) == 1;
        let trunk = if on(rng) { rng.random_range(1..=200u32) } else { 0 };
        let latency = if on(rng) { rng.random_range(1..=180u64) * 1000 } else { 0 };
        let start = if on(rng) { rng.random_range(1..=300u32) } else { 0 };
        let flaps = if on(rng) { rng.random_range(1..=6u32) } else { 0 };
        FaultProfile {
            trunk_provisioning_failure_per_mille: trunk,
            eni_attach_latency_ms: latency,
            task_start_failure_per_mille: start,
            agent_disconnects_per_hour: flaps,
            spot_interruption_per_mille_per_hour: 0,
        }
    }
}
