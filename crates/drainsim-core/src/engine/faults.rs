//! Faults applied to the engine: the profile's draws and the pinned faults, each consulted at one
//! point (the fault types are in [`crate::infra::faults`]).

use crate::infra::choice::{ChoiceKind, ChoiceScript, ChoiceTaken, ExploreChoices, AGENT_RECONNECT_AFTER_MS};
use crate::infra::faults::*;
use crate::infra::ids::{InstanceId, TaskId};
use crate::infra::queue::EventKind;
use crate::infra::rng::StreamName;
use crate::infra::time::SimTimeMs;
use crate::rules::lifecycle::{InstanceStatus, TaskStatus};
use crate::state::service::BreachCause;
use crate::state::task::StopCode;
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;
use rand::RngExt;

/// A fault pinned at a time (`Engine::pin_fault`). It lives with the engine, not with the fault
/// state in `infra`, because one carries a cluster query (`rules`), and `infra` sits below
/// `rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinnedFault {
    /// The instance's agent disconnects.
    AgentDisconnect(InstanceId),
    /// The instance's agent reconnects.
    AgentReconnect(InstanceId),
    /// EC2 interrupts the Spot Instance (it must be marked with `Engine::mark_spot_instance`).
    SpotInterruption(InstanceId, SpotInterruptionBehavior),
    /// EC2 sends the Spot Instance a rebalance recommendation (it must be marked with
    /// `Engine::mark_spot_instance`).
    SpotRebalanceRecommendation(InstanceId),
    /// Health checks begin to fail on the instances the cluster query selects
    /// (`Engine::fail_health_checks_on`).
    HealthChecksFail(crate::rules::query::Query),
    /// Health checks pass again (`Engine::pass_health_checks`).
    HealthChecksPass,
}

impl Engine {
    /// Turns on fault rates for the rest of the run (agent disconnects start for every instance
    /// registered so far, and for each one registered later).
    pub fn set_fault_profile(&mut self, profile: FaultProfile) {
        self.finish_open_instant();
        let start_flaps = profile.agent_disconnects_per_hour > 0 && self.faults.profile.agent_disconnects_per_hour == 0;
        let start_spot_draws =
            profile.spot_interruption_per_mille_per_hour > 0 || profile.spot_rebalance_recommendation_per_mille_per_hour > 0;
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

    /// Pins a fault at `at_ms` (absolute simulated time, not before now). Refused, changing
    /// nothing, when `at_ms` is before now or the fault names an instance this engine does not
    /// have (an id of another engine, or one built by hand).
    pub fn pin_fault(&mut self, at_ms: SimTimeMs, fault: PinnedFault) -> Result<(), crate::ControlError> {
        if at_ms < self.now_ms {
            return Err(crate::ControlError::BeforeNow { call: "pin_fault", at_ms, now_ms: self.now_ms });
        }
        match &fault {
            PinnedFault::AgentDisconnect(id)
            | PinnedFault::AgentReconnect(id)
            | PinnedFault::SpotInterruption(id, _)
            | PinnedFault::SpotRebalanceRecommendation(id) => self.known_instance(*id, "pin_fault")?,
            PinnedFault::HealthChecksFail(_) | PinnedFault::HealthChecksPass => {}
        }
        self.finish_open_instant();
        let idx = self.pinned_faults.len() as u32;
        self.pinned_faults.push(fault);
        let delay = at_ms.saturating_sub(self.now_ms);
        self.schedule(delay, EventKind::Fault, idx, 0);
        Ok(())
    }

    /// `Ok` for an instance of this engine; else the refusal of `what`, naming the id.
    pub(crate) fn known_instance(&self, id: InstanceId, call: &'static str) -> Result<(), crate::ControlError> {
        if id.index() < self.instances.len() {
            Ok(())
        } else {
            Err(crate::ControlError::UnknownInstance { call, id, instances: self.instances.len() })
        }
    }

    /// From now on, tasks on the container instances that `filter` selects (a cluster query, as
    /// ListContainerInstances' `filter` takes one) fail their health checks: a broken image, host
    /// or network. A task with an essential container's health check or a load balancer target
    /// turns UNHEALTHY once its checks reach their unhealthy threshold (an essential container's
    /// `interval` × `retries`, the checks within `startPeriod` of a new task not counted, or the
    /// target group's `healthCheckIntervalSeconds` × `unhealthyThresholdCount`, whichever comes
    /// first), counted from its start or, for a task that already counts as healthy, from now;
    /// such a task's service loses a healthy task (a floor breach it causes is
    /// `healthCheckFailed`). Neither happens before the service's
    /// `healthCheckGracePeriodSeconds` since the task started ("the Amazon ECS service scheduler
    /// ignores unhealthy Elastic Load Balancing ... and container health checks after a task has
    /// first started", <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>),
    /// and its service replaces it (`scheduler.rs::replace_unhealthy`). A task with neither check
    /// is judged by nothing: it counts as healthy as ever. Whether an instance is selected is read
    /// now, when a task on it starts RUNNING, and again when its checks report. A later call
    /// replaces the query (the thresholds count again from then). Each registered instance whose
    /// tasks' checks begin or stop failing gets a [`Change::HealthChecksFailing`] record. Refused,
    /// changing nothing, when `filter` is not a valid cluster query.
    pub fn fail_health_checks_on(&mut self, filter: &str) -> Result<(), crate::errors::EcsError> {
        let query = crate::rules::query::Query::parse(filter).map_err(|e| {
            let quoted = crate::rules::query::quoted(filter);
            crate::errors::EcsError::invalid_parameter(format!("{quoted} is not a valid cluster query: {e}."))
        })?;
        self.finish_open_instant();
        self.set_failing_health_checks(Some(query));
        Ok(())
    }

    /// Whether health checks fail on some instances now ([`Engine::fail_health_checks_on`] in
    /// force, not yet ended by [`Engine::pass_health_checks`]).
    pub fn health_checks_failing(&self) -> bool {
        self.failing_health_checks.is_some()
    }

    /// From now on, health checks pass again (the end of [`Engine::fail_health_checks_on`]). A
    /// task already found UNHEALTHY stays so until its service replaces it: ECS replaces an
    /// unhealthy task rather than wait for it to recover.
    pub fn pass_health_checks(&mut self) {
        self.finish_open_instant();
        self.set_failing_health_checks(None);
    }

    /// The one place the failing health checks change: the query, since when, the tasks whose
    /// checks pass again (`tasks.rs::end_failing_health_checks`) and the healthy tasks it now
    /// judges (`tasks.rs::begin_failing_health_checks`).
    fn set_failing_health_checks(&mut self, query: Option<crate::rules::query::Query>) {
        let selected = |e: &Engine, q: &Option<crate::rules::query::Query>, i: InstanceId| {
            q.as_ref().is_some_and(|q| !e.instances[i.index()].status.is_deregistered() && e.instance_matches(i, q))
        };
        // Each registered instance whose tasks' checks begin or stop failing says so, in ID order.
        for i in (0..self.instances.len() as u32).map(InstanceId) {
            let (was, now) = (selected(self, &self.failing_health_checks, i), selected(self, &query, i));
            if was != now {
                let reason = if now { "fault: health checks fail" } else { "fault: health checks pass" };
                self.record(Subject::Instance(i), Change::HealthChecksFailing(now), reason);
            }
        }
        let before = std::mem::replace(&mut self.failing_health_checks, query);
        let before_since_ms = std::mem::replace(&mut self.failing_health_checks_since_ms, self.now_ms);
        if let Some(before) = before {
            self.end_failing_health_checks(&before, before_since_ms);
        }
        self.begin_failing_health_checks();
    }

    /// Makes the trunk provisioning of an instance fail: one REGISTERING now (an instance whose
    /// trunk is provisioned already, or that needs none, is unaffected). An id this engine never
    /// gave is refused, naming it, and nothing changes (as [`Engine::pin_fault`] refuses it).
    pub fn pin_trunk_failure(&mut self, id: InstanceId) -> Result<(), crate::ControlError> {
        self.known_instance(id, "pin_trunk_failure")?;
        self.finish_open_instant();
        self.faults.trunk_failures.push(id);
        Ok(())
    }

    pub(crate) fn on_fault(&mut self, idx: u32) {
        match self.pinned_faults[idx as usize].clone() {
            PinnedFault::AgentDisconnect(i) => self.set_agent_connected(i, false),
            PinnedFault::AgentReconnect(i) => self.set_agent_connected(i, true),
            PinnedFault::SpotInterruption(i, behavior) => self.spot_interruption(i, behavior),
            PinnedFault::SpotRebalanceRecommendation(i) => self.spot_rebalance_recommendation(i),
            PinnedFault::HealthChecksFail(query) => self.set_failing_health_checks(Some(query)),
            PinnedFault::HealthChecksPass => self.set_failing_health_checks(None),
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
        // An instance EC2 terminated while its agent was disconnected, or a hibernated Spot
        // Instance, has no agent running to reconnect (`engine/spot.rs`).
        if connected && self.faults.terminated_registered.contains(&id) {
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
            self.release_held_for_agent(id);
            self.resume_agent_update(id);
            self.relay_spot_notice(id);
        }
    }

    pub(crate) fn trunk_provisioning_fails(&mut self, id: InstanceId) -> bool {
        if self.faults.trunk_failures.contains(&id) {
            return true;
        }
        if let Some(script) = self.rng.script.as_mut() {
            let on = script.config.faults.trunk_failure;
            return script.choose_fault(ChoiceKind::TrunkFailure, on);
        }
        let rate = self.faults.profile.trunk_provisioning_failure_per_mille;
        rate > 0 && self.rng.stream(StreamName::Faults).random_range(0..1000u32) < rate
    }

    pub(crate) fn fault_attach_latency_ms(&self) -> SimTimeMs {
        self.faults.profile.eni_attach_latency_ms
    }

    pub(crate) fn draw_task_start_failure(&mut self) -> bool {
        if let Some(script) = self.rng.script.as_mut() {
            let on = script.config.faults.task_start_failure;
            return script.choose_fault(ChoiceKind::TaskStartFailure, on);
        }
        let rate = self.faults.profile.task_start_failure_per_mille;
        rate > 0 && self.rng.stream(StreamName::Faults).random_range(0..1000u32) < rate
    }
}

impl Engine {
    /// Swarm testing: this seed's own fault profile — which of the four fault classes (trunk
    /// provisioning failures, ENI attach latency, task start failures, agent disconnects) are on,
    /// and at what rates — drawn from the fault stream only. The Spot rates are the fleet's, not
    /// a fault class: they stay those of the profile in force (the scenario's), so that a swarm
    /// sweep of a Spot plan still loses Spot Instances.
    pub fn draw_swarm_fault_profile(&mut self) -> FaultProfile {
        let kept = &self.faults.profile;
        let (spot_interruption, spot_lead_ms, spot_recommendation) = (
            kept.spot_interruption_per_mille_per_hour,
            kept.spot_rebalance_recommendation_lead_ms,
            kept.spot_rebalance_recommendation_per_mille_per_hour,
        );
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
            spot_interruption_per_mille_per_hour: spot_interruption,
            spot_rebalance_recommendation_lead_ms: spot_lead_ms,
            spot_rebalance_recommendation_per_mille_per_hour: spot_recommendation,
        }
    }
}

/// A fault a script may inject at the end of an instant.
#[derive(Debug, Clone, Copy)]
enum Injection {
    TaskExit(TaskId),
    AgentDisconnect(InstanceId),
    Drain(InstanceId),
    Activate(InstanceId),
    HealthCheckFailure(TaskId),
}

impl Engine {
    /// Replaces the seeded draws of the jitter, `random` placement and fault streams with a script
    /// of choices (see `ChoiceKind`): `pinned` are the outcomes to take, in the order the choice
    /// points come; past them every choice is 0. Call it before the first request: setup draws
    /// too. A counterexample scenario of `drainsim explore` replays its path this way.
    pub fn script_choices(&mut self, config: ExploreChoices, pinned: Vec<u32>) {
        self.rng.script = Some(Box::new(ChoiceScript::new(config, pinned)));
    }

    /// Under a script: replaces the choices still to take and clears the log of those taken (the
    /// explorer pins one step's choices at a time). Without a script it does nothing.
    pub fn repin_choices(&mut self, pinned: Vec<u32>) {
        if let Some(script) = self.rng.script.as_mut() {
            script.repin(pinned);
        }
    }

    /// The choices taken since the script was set or last repinned (empty without a script).
    pub fn choices_taken(&self) -> &[ChoiceTaken] {
        self.rng.script.as_ref().map_or(&[], |s| s.taken())
    }

    /// Whether a run under pinned choices ([`Engine::script_choices`]) took them as written: None
    /// without a script or when it did; else the first pinned value past its choice point's
    /// outcomes (the last outcome was taken instead), or, when every value fit, how many pinned
    /// values no choice point took. Either means the replay is not the path the choices were
    /// written for.
    pub fn choice_departure(&self) -> Option<crate::ChoiceDeparture> {
        self.rng.script.as_ref().and_then(|s| s.departure())
    }

    /// Under a script: whether injections are offered (off while a scenario's setup runs). Without
    /// a script it does nothing.
    pub fn pause_injections(&mut self, paused: bool) {
        if let Some(script) = self.rng.script.as_mut() {
            script.injections_paused = paused;
        }
    }

    /// How many faults the script may still take (0 without a script).
    pub fn faults_left(&self) -> u32 {
        self.rng.script.as_ref().map_or(0, |s| s.faults_left)
    }

    /// The candidates of an injection, in a fixed order: task exits (instances in order, their
    /// tasks in order), agent disconnects, drain requests, activate requests, health-check
    /// failures (as task exits).
    fn injection_candidates(&self, config: &ExploreChoices) -> Vec<Injection> {
        let mut out = Vec::new();
        let f = config.faults;
        let registered: Vec<InstanceId> = (0..self.instances.len() as u32)
            .map(InstanceId)
            .filter(|id| {
                let i = &self.instances[id.index()];
                matches!(i.status, InstanceStatus::Active | InstanceStatus::Draining)
            })
            .collect();
        if f.task_exit {
            for id in &registered {
                for t in &self.instances[id.index()].tasks {
                    let task = &self.tasks[t.index()];
                    if task.last_status == TaskStatus::Running && !task.desired_stopped() {
                        out.push(Injection::TaskExit(*t));
                    }
                }
            }
        }
        if f.agent_disconnect {
            out.extend(
                registered
                    .iter()
                    .filter(|id| self.instances[id.index()].agent_connected)
                    .map(|id| Injection::AgentDisconnect(*id)),
            );
        }
        if f.drain_request {
            out.extend(
                registered
                    .iter()
                    .filter(|id| self.instances[id.index()].status == InstanceStatus::Active)
                    .map(|id| Injection::Drain(*id)),
            );
        }
        if f.activate_request {
            out.extend(
                registered
                    .iter()
                    .filter(|id| self.instances[id.index()].status == InstanceStatus::Draining)
                    .map(|id| Injection::Activate(*id)),
            );
        }
        if f.health_check_failure {
            for id in &registered {
                for t in &self.instances[id.index()].tasks {
                    let task = &self.tasks[t.index()];
                    if task.last_status == TaskStatus::Running && task.healthy() && self.judged_by_health_checks(*t) {
                        out.push(Injection::HealthCheckFailure(*t));
                    }
                }
            }
        }
        out
    }

    /// At the end of an instant that recorded something since the last injection point, under a
    /// script whose injections are on and whose faults are not spent: one choice among nothing and each candidate fault, applied as a request would be
    /// (its passes deferred to events at this time, its observations sampled). Without a script,
    /// nothing.
    pub(crate) fn inject_scripted_fault(&mut self) {
        let records = self.trace.len();
        let Some(script) = self.rng.script.as_mut() else { return };
        let config = script.config;
        let changed = std::mem::replace(&mut script.records_seen, records) != records;
        if !changed || script.injections_paused || script.faults_left == 0 || !config.faults.any_injection() {
            return;
        }
        let candidates = self.injection_candidates(&config);
        let script = self.rng.script.as_mut().expect("checked above");
        let k = script.choose(ChoiceKind::Injection, candidates.len() as u32 + 1);
        if k == 0 {
            return;
        }
        script.faults_left -= 1;
        match candidates[k as usize - 1] {
            Injection::TaskExit(id) => {
                let was_healthy = self.tasks[id.index()].healthy();
                self.replacement_lost(id);
                self.stop_task_now(id, StopCode::EssentialContainerExited, "Essential container in task exited");
                if let Some(s) = self.task_origin(id).service {
                    if was_healthy {
                        self.triggers.push(Trigger::HealthyTaskLost(s, BreachCause::TaskFailed));
                    }
                }
            }
            Injection::AgentDisconnect(id) => {
                self.set_agent_connected(id, false);
                let idx = self.pinned_faults.len() as u32;
                self.pinned_faults.push(PinnedFault::AgentReconnect(id));
                self.schedule(AGENT_RECONNECT_AFTER_MS, EventKind::Fault, idx, 0);
            }
            // Its checks reached their unhealthy threshold: as when they fail on its instance
            // (`fail_health_checks_on`), its service loses a healthy task and replaces it.
            Injection::HealthCheckFailure(id) => self.mark_unhealthy(id),
            Injection::Drain(id) | Injection::Activate(id) => {
                let status = if matches!(candidates[k as usize - 1], Injection::Drain(_)) { "DRAINING" } else { "ACTIVE" };
                let cluster = self.clusters[self.instances[id.index()].cluster.index()].name;
                let request = crate::api::UpdateContainerInstancesStateRequest {
                    cluster: Some(self.strings.resolve(cluster).to_string()),
                    container_instances: vec![self.instance(id).arn()],
                    status: status.to_string(),
                };
                // The instance is ACTIVE or DRAINING as the candidate requires: ECS accepts it.
                let accepted = self.update_container_instances_state(request);
                debug_assert!(accepted.is_ok(), "an injected request ECS refuses: {:?}", accepted.err());
            }
        }
        self.react();
        self.defer_due_passes();
        self.end_instant();
        let records = self.trace.len();
        if let Some(script) = self.rng.script.as_mut() {
            script.records_seen = records;
        }
    }

    /// Whether the next instant may offer an injection whatever it records (something was recorded
    /// since the last injection point), for the canonical digest.
    pub(crate) fn changed_since_injection_point(&self) -> bool {
        self.rng.script.as_ref().is_some_and(|s| s.records_seen != self.trace.len())
    }
}
