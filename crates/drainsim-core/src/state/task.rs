//! Task definitions and tasks: the task lifecycle (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle.html>)
//! PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED,
//! resource reservation on the instance, health, and the task operations RegisterTaskDefinition,
//! RunTask, StartTask, StopTask, ListTasks and DescribeTasks.

use crate::infra::ids::{InstanceId, ServiceId, TaskDefId};
use crate::infra::intern::Sym;
pub use crate::infra::shared::OriginId;
use crate::infra::time::SimTimeMs;
use crate::rules::lifecycle::TaskStatus;

/// Task `stopCode` values (the ECS `TaskStopCode` enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopCode {
    TaskFailedToStart,
    EssentialContainerExited,
    UserInitiated,
    ServiceSchedulerInitiated,
}

impl StopCode {
    pub const ALL: [StopCode; 4] = [
        StopCode::TaskFailedToStart,
        StopCode::EssentialContainerExited,
        StopCode::UserInitiated,
        StopCode::ServiceSchedulerInitiated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StopCode::TaskFailedToStart => "TaskFailedToStart",
            StopCode::EssentialContainerExited => "EssentialContainerExited",
            StopCode::UserInitiated => "UserInitiated",
            StopCode::ServiceSchedulerInitiated => "ServiceSchedulerInitiated",
        }
    }
}

/// Why a task placed on an instance waited in PENDING before its agent started it (placement
/// treats a STOPPING task's CPU, memory and ports as free; the agent does not start a new task
/// until its own rule is met).
///
/// An agent before 1.73.0 waits until every stop it was told of before the task arrived has
/// finished; 1.73.0 and later start tasks in arrival order as soon as the CPU, memory and ports
/// a task needs are not held by tasks whose containers still run
/// (<https://aws.amazon.com/about-aws/whats-new/2023/06/amazon-ecs-tasks-faster-prolonged-shutdown/>,
/// and the agent's `monitorQueuedTasks`:
/// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/engine/docker_task_engine.go>).
/// The variants are declared in the order of their text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgentWaitCause {
    /// `QUEUED_BEHIND`: an earlier task in the agent's queue waits (1.73.0 or later: the queue is
    /// first in, first out).
    QueuedBehind,
    /// `RESOURCE:CPU`: CPU still held by a task whose containers have not stopped.
    Cpu,
    /// `RESOURCE:GPU`: a GPU pinned to the task is still held by a task whose containers have
    /// not stopped.
    Gpu,
    /// `RESOURCE:MEMORY`: memory still held by a task whose containers have not stopped.
    Memory,
    /// `RESOURCE:PORTS`: a host port still held by a task whose containers have not stopped.
    Ports,
    /// `STOPPING_TASKS`: an agent before 1.73.0 waits for every task told to stop before it.
    StoppingTasks,
}

impl AgentWaitCause {
    /// Every cause, in order.
    pub const ALL: [AgentWaitCause; 6] = [
        AgentWaitCause::QueuedBehind,
        AgentWaitCause::Cpu,
        AgentWaitCause::Gpu,
        AgentWaitCause::Memory,
        AgentWaitCause::Ports,
        AgentWaitCause::StoppingTasks,
    ];

    /// The cause as the report and trace spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentWaitCause::QueuedBehind => "QUEUED_BEHIND",
            AgentWaitCause::Cpu => "RESOURCE:CPU",
            AgentWaitCause::Gpu => "RESOURCE:GPU",
            AgentWaitCause::Memory => "RESOURCE:MEMORY",
            AgentWaitCause::Ports => "RESOURCE:PORTS",
            AgentWaitCause::StoppingTasks => "STOPPING_TASKS",
        }
    }
}

impl std::fmt::Display for AgentWaitCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Network modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    Bridge,
    Host,
    Awsvpc,
    /// No external connectivity: no port mappings, no ENI.
    None,
}

impl NetworkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::Awsvpc => "awsvpc",
            NetworkMode::None => "none",
        }
    }
}

/// A registered task definition revision.
#[derive(Debug, Clone)]
pub struct TaskDefinition {
    pub family: Sym,
    pub revision: u32,
    pub network_mode: NetworkMode,
    pub cpu: i64,
    pub memory: i64,
    /// The task-level `cpu` and `memory` the registration gave (an EC2 task definition may give
    /// neither; `cpu` and `memory` above are then the containers' sums).
    pub declared_cpu: Option<i64>,
    pub declared_memory: Option<i64>,
    /// The memory its containers reserve, summed (a task-level `memory`, its own or a RunTask
    /// override's, is at least this).
    pub containers_memory: i64,
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    /// When the task counts as healthy after RUNNING if an essential container has a health check:
    /// the longest first-check interval over the essential containers.
    pub health_check_interval_ms: Option<SimTimeMs>,
    /// How long an essential container's health check fails before the container is UNHEALTHY
    /// (`interval` × `retries`), the shortest over the essential containers with a check: the
    /// first of them to turn UNHEALTHY makes the task UNHEALTHY.
    pub health_check_unhealthy_after_ms: Option<SimTimeMs>,
    /// The same for a container whose check fails from its start: failures within `startPeriod`
    /// are not counted, so the `retries`-th counted failure comes that much later.
    pub health_check_unhealthy_from_start_ms: Option<SimTimeMs>,
    /// Whether every essential container has a health check (see [`TaskDefinition::reports_health_status`]).
    pub every_essential_container_checked: bool,
    /// How each container stops after SIGTERM ([`TaskDefinition::stopping`]).
    pub container_stops: Box<[ContainerStop]>,
    /// Its `memberOf` placement constraints, which every task of it obeys.
    pub member_of: std::sync::Arc<[crate::placement::MemberOf]>,
    /// Each container's name and the `containerPort`s it maps, which a service's load balancer
    /// must name.
    pub containers: Box<[ContainerPorts]>,
    /// The GPUs its containers reserve, summed (`resourceRequirements` of type `GPU`).
    pub gpu: u32,
}

/// A container of a task definition as a load balancer sees it: its name and its mapped ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPorts {
    pub name: Sym,
    pub container_ports: Box<[u16]>,
    /// The host port each of `container_ports` is mapped to (0: a dynamic host port, which
    /// drainsim does not assign).
    pub host_ports: Box<[u16]>,
}

impl ContainerPorts {
    /// The host port `container_port` is mapped to, if fixed (None: dynamic, or not mapped).
    pub fn host_port_of(&self, container_port: u16) -> Option<u16> {
        let n = self.container_ports.iter().position(|p| *p == container_port)?;
        Some(self.host_ports[n]).filter(|h| *h != 0)
    }
}

impl TaskDefinition {
    /// Whether a task's `healthStatus` (DescribeTasks) can become HEALTHY: only when every essential
    /// container has a health check. A container without one is UNKNOWN ("there's no container
    /// health check defined"), and the task is UNKNOWN while any essential container is ("If
    /// Container1 is HEALTHY and Container2 is UNKNOWN, the task health is UNKNOWN",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html>). When such a
    /// task counts toward minimumHealthyPercent is drainsim's choice (docs/ecs-choices.md).
    pub fn reports_health_status(&self) -> bool {
        self.health_check_interval_ms.is_some() && self.every_essential_container_checked
    }

    /// How STOPPING goes for a task of this definition on an instance whose agent's
    /// `ECS_CONTAINER_STOP_TIMEOUT` is `agent_stop_timeout_ms` ([`AGENT_DEFAULT_STOP_TIMEOUT_MS`]
    /// when not set), and which applies the containers' own `stopTimeout` when
    /// `container_timeouts` (an agent of 1.26.0 or later): see [`Stopping`].
    pub fn stopping(&self, agent_stop_timeout_ms: SimTimeMs, container_timeouts: bool) -> Stopping {
        stopping_of(&self.container_stops, agent_stop_timeout_ms, container_timeouts)
    }
}

/// The agent's stop timeout when `ECS_CONTAINER_STOP_TIMEOUT` is not set: 30 s
/// (`defaultDockerStopTimeout`, <https://github.com/aws/amazon-ecs-agent/blob/master/agent/config/config.go>;
/// "If neither the stopTimeout parameter or the ECS_CONTAINER_STOP_TIMEOUT agent configuration
/// variable are set, then the default values of 30 seconds ... are used",
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout>).
pub const AGENT_DEFAULT_STOP_TIMEOUT_MS: SimTimeMs = 30_000;

/// The `stoppedReason` of a task its service's scale-in stopped (a lower `desiredCount`), as ECS
/// words it.
pub(crate) const SCALE_IN_STOPPED_REASON: &str = "Scaling activity initiated by (deployment)";

/// The `stoppedReason` of a task stopped because its service was deleted.
pub const SERVICE_DELETED_STOPPED_REASON: &str = "Service deleted";

/// How one container of a task definition stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerStop {
    /// Its own `stopTimeout`; None takes the agent's.
    pub stop_timeout_ms: Option<SimTimeMs>,
    /// How long it takes to exit after SIGTERM (drainsim's `exitAfterSigtermMs`); None: it never
    /// exits on its own and is killed at its stop timeout.
    pub exit_after_sigterm_ms: Option<SimTimeMs>,
}

/// How a task's STOPPING goes: it lasts until its last container has stopped, each container
/// either exiting on SIGTERM or killed at its stop timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopping {
    /// How the container that stops last ends (a kill where a kill and an exit tie): when it does
    /// is how long STOPPING lasts without jitter ([`Stopping::duration_ms`]).
    pub last_container: StoppingEnd,
    /// The range jitter keeps STOPPING in: a container's exit after SIGTERM varies, but never past
    /// its stop timeout, the time ECS waits before the container is forcefully killed
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html>);
    /// so STOPPING is never longer than the largest stop timeout, and never shorter than the
    /// stop timeout of a container that does not exit before it.
    pub bounds_ms: std::ops::RangeInclusive<SimTimeMs>,
}

impl Stopping {
    /// How long STOPPING lasts without jitter: until the last container has stopped.
    pub fn duration_ms(&self) -> SimTimeMs {
        self.last_container.after_sigterm_ms()
    }
}

/// How the container that stops last ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoppingEnd {
    /// It exits on SIGTERM after this long.
    Exits {
        /// Its `exitAfterSigtermMs`.
        after_sigterm_ms: SimTimeMs,
    },
    /// It does not exit before its stop timeout, and the agent kills it then.
    KilledAtStopTimeout {
        /// The stop timeout.
        stop_timeout_ms: SimTimeMs,
        /// Whether that is the agent's (`ECS_CONTAINER_STOP_TIMEOUT`, or its 30 s default), the
        /// container giving no `stopTimeout` of its own.
        agent_default: bool,
        /// Whether the container gives no `exitAfterSigtermMs`, so that its not exiting on SIGTERM
        /// is drainsim's assumption (the conservative case), not what the scenario says of it.
        exit_assumed: bool,
    },
}

impl StoppingEnd {
    /// How long after SIGTERM the container stopped: its exit, or its kill at its stop timeout.
    pub fn after_sigterm_ms(&self) -> SimTimeMs {
        match *self {
            StoppingEnd::Exits { after_sigterm_ms } => after_sigterm_ms,
            StoppingEnd::KilledAtStopTimeout { stop_timeout_ms, .. } => stop_timeout_ms,
        }
    }
}

/// The rule of [`TaskDefinition::stopping`]: each container stops at the earlier of its exit after
/// SIGTERM and its stop timeout — its own `stopTimeout`, else the agent's `ECS_CONTAINER_STOP_TIMEOUT`
/// (the agent uses the container's timeout when it has one, its own otherwise: `stopContainer` in
/// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/engine/docker_task_engine.go>) — and
/// the task is STOPPED once the last one has. An agent older than 1.26.0 (`container_timeouts`
/// false) applies its own timeout to every container
/// ([`crate::rules::versions::agent_honours_container_stop_timeout`]).
fn stopping_of(containers: &[ContainerStop], agent_stop_timeout_ms: SimTimeMs, container_timeouts: bool) -> Stopping {
    let mut last_container = StoppingEnd::Exits { after_sigterm_ms: 0 };
    let (mut floor_ms, mut ceiling_ms) = (0, 0);
    for c in containers {
        let own_ms = c.stop_timeout_ms.filter(|_| container_timeouts);
        let timeout_ms = own_ms.unwrap_or(agent_stop_timeout_ms);
        ceiling_ms = ceiling_ms.max(timeout_ms);
        let end = match c.exit_after_sigterm_ms {
            Some(exit_ms) if exit_ms < timeout_ms => StoppingEnd::Exits { after_sigterm_ms: exit_ms },
            _ => {
                floor_ms = floor_ms.max(timeout_ms);
                StoppingEnd::KilledAtStopTimeout {
                    stop_timeout_ms: timeout_ms,
                    agent_default: own_ms.is_none(),
                    exit_assumed: c.exit_after_sigterm_ms.is_none(),
                }
            }
        };
        let (end_ms, last_ms) = (end.after_sigterm_ms(), last_container.after_sigterm_ms());
        let kill_wins_tie = end_ms == last_ms && matches!(end, StoppingEnd::KilledAtStopTimeout { .. });
        if end_ms > last_ms || kill_wins_tie {
            last_container = end;
        }
    }
    let stopping = Stopping { last_container, bounds_ms: floor_ms..=ceiling_ms };
    debug_assert!(stopping.bounds_ms.contains(&stopping.duration_ms()));
    stopping
}

/// The most revisions a task definition family may have: its revision numbers run from 1 to this
/// ("Revisions per task definition family", <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html>).
pub const MAX_TASK_DEFINITION_REVISION: u32 = 1_000_000;

/// The task definition table: every registered revision, in registration order, and each
/// family's revisions in order. Revisions are immutable once registered.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskDefinitions {
    records: Vec<TaskDefinition>,
    by_family: std::collections::BTreeMap<Sym, Vec<TaskDefId>>,
}

impl std::ops::Index<usize> for TaskDefinitions {
    type Output = TaskDefinition;
    fn index(&self, n: usize) -> &TaskDefinition {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for TaskDefinitions {
    fn reset_to(&mut self, fresh: Self) {
        let TaskDefinitions { records, by_family } = fresh;
        self.records.reset_to(records);
        self.by_family = by_family;
    }
}

impl TaskDefinitions {
    /// Revisions registered.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// The next revision of a family: one above its latest (1 for a new family).
    pub(crate) fn next_revision(&self, family: Sym) -> u32 {
        self.by_family.get(&family).and_then(|v| v.last()).map_or(0, |id| self.records[id.index()].revision) + 1
    }

    /// Registers a revision: the family's next, or (a cluster captured from ECS, whose earlier
    /// revisions were deregistered there) any revision above its latest.
    pub(crate) fn push(&mut self, td: TaskDefinition) -> TaskDefId {
        assert!(td.revision >= self.next_revision(td.family), "a family's revisions only grow");
        let id = TaskDefId(u32::try_from(self.records.len()).expect("fewer than 2^32 task definitions"));
        self.by_family.entry(td.family).or_default().push(id);
        self.records.push(td);
        id
    }

    /// A family's revisions, oldest first.
    pub(crate) fn family(&self, family: Sym) -> Option<&[TaskDefId]> {
        self.by_family.get(&family).map(Vec::as_slice)
    }

    /// One revision of a family, if it was registered (a family's revisions are in increasing
    /// order, so this is a binary search).
    pub(crate) fn revision(&self, family: Sym, revision: u32) -> Option<TaskDefId> {
        let revisions = self.by_family.get(&family)?;
        revisions.binary_search_by_key(&revision, |id| self.records[id.index()].revision).ok().map(|i| revisions[i])
    }
}

/// Who launched a task, with what, and in which format. Every task a service launches with one task
/// definition shares one origin (so does every task of one RunTask group), so a task stores a
/// 4-byte [`OriginId`] instead of these 24 bytes (tasks dominate memory on big clusters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskOrigin {
    pub service: Option<ServiceId>,
    pub task_def: TaskDefId,
    pub group: Sym,
    pub started_by: Option<Sym>,
    /// The task ARN format in force at launch (`taskLongArnFormat`, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>).
    pub long_arn: bool,
    /// Registered with the service's target group (goes through DEACTIVATING when stopped).
    pub in_target_group: bool,
    /// A DAEMON service's task (its instance counts them, `InstanceState::daemon_tasks`, without
    /// reading the service when the task leaves).
    pub daemon: bool,
    /// The task-level size its RunTask or StartTask `overrides` gave it (none for a service's
    /// task); what it reserves is read through `Engine::task_size`.
    pub size: SizeOverride,
}

/// A task's own task-level `cpu` and `memory` (RunTask's and StartTask's `overrides`,
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html>), each in
/// place of its task definition's when given: CPU units and MiB, parsed and checked as
/// RegisterTaskDefinition checks a task definition's. A task without one shares its origin with
/// the other tasks of its group, so an override costs a task nothing; one with costs its origin
/// 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct SizeOverride {
    pub cpu: Option<std::num::NonZeroU32>,
    pub memory: Option<std::num::NonZeroU32>,
}

impl SizeOverride {
    /// The task's (CPU units, MiB) when its task definition's task-level size is `of_definition`.
    pub fn applied_to(self, of_definition: (i64, i64)) -> (i64, i64) {
        (self.cpu.map_or(of_definition.0, |c| i64::from(c.get())), self.memory.map_or(of_definition.1, |m| i64::from(m.get())))
    }
}

/// The moments of a task after its creation, as `DescribeTasks` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TaskMoment {
    /// `startedAt`: the task reached RUNNING.
    Started = 0,
    /// `stoppingAt`: the task was told to stop.
    Stopping = 1,
    /// `stoppedAt`: the task reached STOPPED.
    Stopped = 2,
}

/// A task moment is stored as milliseconds after the task's creation in 4 bytes: `NOT_YET` means it
/// has not happened; `FAR` means it is 49.7 days or more after creation and is kept exactly in the
/// engine's side table (`Engine::far_task_moments`).
const MOMENT_NOT_YET: u32 = u32::MAX;
const MOMENT_FAR: u32 = u32::MAX - 1;

const FLAG_DESIRED_STOPPED: u8 = 1;
const FLAG_HEALTHY: u8 = 1 << 1;
const FLAG_ORPHANED: u8 = 1 << 2;
const FLAG_REPLACES_DRAINED_TASK: u8 = 1 << 3;
const FLAG_FAILS_TO_START: u8 = 1 << 4;
/// Bits 5–7 hold the stop code (0: none).
const STOP_CODE_SHIFT: u32 = 5;

/// One task, in 24 bytes (tasks dominate memory on big clusters: every moved task leaves a STOPPED
/// predecessor that stays describable). Its ID and ARN are derived from its index, its cluster
/// from its instance, its creation time from the engine's creation runs (tasks are created in
/// index order and time never goes back, so one entry serves every task launched in an instant),
/// its ENI from the engine's sorted task-ENI list, and what it shares with its service's other
/// tasks lives in its [`TaskOrigin`]; flags and the stop code are packed into one byte, the
/// `version` and where the task is with its agent into another, and its stop reason is a
/// one-byte code ([`Tasks::stopped_reason`]).
#[derive(Debug, Clone)]
pub struct TaskState {
    pub instance: InstanceId,
    pub origin: OriginId,
    /// Offsets from creation of the [`TaskMoment`]s.
    moment_offsets_ms: [u32; 3],
    pub last_status: TaskStatus,
    flags: u8,
    /// The task's `version` (bits 0–4) and where the task is with its instance's agent and its
    /// placement reservation (the `AGENT_*` bits 5–7).
    version_agent: u8,
    /// Its stop reason: 0 none, [`REASON_ELSEWHERE`] in the table's side map, else one more than
    /// its index in the table's list of reasons.
    reason: u8,
}

/// The bits of `version_agent` that hold the version. A task's version is one more with every
/// change of state: at most seven status changes (the lifecycle only moves forward), being told
/// to stop and being orphaned, once each, so it never passes 10.
const VERSION_MASK: u8 = 0b1_1111;
/// The stop reason of a task whose code is this is in `Tasks::rare_reasons`.
const REASON_ELSEWHERE: u8 = u8::MAX;

/// Waiting in its instance's agent queue for the agent to start it.
const AGENT_QUEUED: u8 = 1 << 5;
/// Admitted by the agent: it holds the agent's host resources until its containers stop.
const AGENT_ADMITTED: u8 = 1 << 6;
/// Its CPU, memory and ports were handed back to placement (at STOPPING, or at STOPPED).
const RESERVATION_RELEASED: u8 = 1 << 7;
const _: () = assert!((AGENT_QUEUED | AGENT_ADMITTED | RESERVATION_RELEASED) & VERSION_MASK == 0);

impl TaskState {
    fn new(instance: InstanceId, origin: OriginId) -> Self {
        TaskState {
            instance,
            origin,
            moment_offsets_ms: [MOMENT_NOT_YET; 3],
            last_status: TaskStatus::Provisioning,
            flags: 0,
            version_agent: 1,
            reason: 0,
        }
    }

    /// The task's `version`: one more with every change of state.
    pub fn version(&self) -> u8 {
        self.version_agent & VERSION_MASK
    }

    /// One more `version` (a task's version never passes 10, see [`VERSION_MASK`]).
    fn bump_version(&mut self) {
        let version = self.version() + 1;
        assert!(version <= VERSION_MASK, "a task changes state about a dozen times");
        self.version_agent = (self.version_agent & !VERSION_MASK) | version;
    }

    fn agent_bit(&self, bit: u8) -> bool {
        self.version_agent & bit != 0
    }

    fn flag(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    fn set_flag(&mut self, bit: u8, on: bool) {
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }

    /// Stamps the task's scheduled lifecycle events: being told to stop (which happens once)
    /// invalidates the events scheduled before.
    pub fn epoch(&self) -> u16 {
        self.desired_stopped() as u16
    }

    /// `desiredStatus` is STOPPED.
    pub fn desired_stopped(&self) -> bool {
        self.flag(FLAG_DESIRED_STOPPED)
    }
    /// Counts as healthy for its service.
    pub fn healthy(&self) -> bool {
        self.flag(FLAG_HEALTHY)
    }
    /// Left behind by a forced deregistration: no longer accounted for.
    pub fn orphaned(&self) -> bool {
        self.flag(FLAG_ORPHANED)
    }
    /// Started to replace a task whose instance was draining.
    pub fn replaces_drained_task(&self) -> bool {
        self.flag(FLAG_REPLACES_DRAINED_TASK)
    }
    /// Fails before RUNNING (fault injection).
    pub fn fails_to_start(&self) -> bool {
        self.flag(FLAG_FAILS_TO_START)
    }
    /// Waits in its instance's agent queue.
    pub fn agent_queued(&self) -> bool {
        self.agent_bit(AGENT_QUEUED)
    }
    /// The agent admitted it and it holds the agent's host resources (until its containers stop).
    pub fn agent_admitted(&self) -> bool {
        self.agent_bit(AGENT_ADMITTED)
    }
    /// Its CPU, memory and ports no longer count against its instance for placement.
    pub fn reservation_released(&self) -> bool {
        self.agent_bit(RESERVATION_RELEASED)
    }
    /// Sets `desiredStatus` to STOPPED, for good (a task is never told to run again).
    fn set_desired_stopped(&mut self) {
        self.set_flag(FLAG_DESIRED_STOPPED, true)
    }
    fn set_healthy(&mut self, on: bool) {
        self.set_flag(FLAG_HEALTHY, on)
    }
    fn set_orphaned(&mut self, on: bool) {
        self.set_flag(FLAG_ORPHANED, on)
    }

    pub fn stop_code(&self) -> Option<StopCode> {
        match self.flags >> STOP_CODE_SHIFT {
            0 => None,
            n => Some(StopCode::ALL[n as usize - 1]),
        }
    }
    fn set_stop_code(&mut self, code: StopCode) {
        let n = StopCode::ALL.iter().position(|c| *c == code).expect("every code is listed") as u8 + 1;
        self.flags = (self.flags & ((1 << STOP_CODE_SHIFT) - 1)) | n << STOP_CODE_SHIFT;
    }
}

/// A task's place in stop order (`Engine::stop_key`, which computes it): healthy, `createdAt`,
/// task ID, task. Unique per task, so any sort of keys gives one order.
pub(crate) type StopKey = (bool, SimTimeMs, u128, crate::infra::ids::TaskId);

/// What a task contributes to its instance's and service's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Contribution {
    pub running: bool,
    pub pending: bool,
    pub healthy: bool,
    pub live: bool,
}

/// Moves a counter by the change of one task's contribution (`was` → `is`), refusing to go below
/// zero or past `u32::MAX`: a counter that would is a bookkeeping bug, caught where it happens.
pub(crate) fn counter_moved(counter: u32, was: bool, is: bool, what: &str) -> u32 {
    match (was, is) {
        (false, true) => counter.checked_add(1).unwrap_or_else(|| panic!("{what} overflows")),
        (true, false) => counter.checked_sub(1).unwrap_or_else(|| panic!("{what} goes below zero")),
        _ => counter,
    }
}

impl TaskState {
    /// Whether the task is live: not STOPPED and not orphaned (the tasks its instance's and its
    /// service's lists hold).
    pub(crate) fn is_live(&self) -> bool {
        !self.orphaned() && self.last_status != TaskStatus::Stopped
    }

    pub(crate) fn contribution(&self) -> Contribution {
        if !self.is_live() {
            return Contribution::default();
        }
        let wanted = !self.desired_stopped();
        Contribution {
            running: wanted && self.last_status == TaskStatus::Running,
            pending: wanted && self.last_status.is_starting(),
            healthy: wanted && self.last_status == TaskStatus::Running && self.healthy(),
            live: true,
        }
    }

    /// `desiredStatus` as ECS spells it.
    pub fn desired_status(&self) -> &'static str {
        if self.desired_stopped() {
            "STOPPED"
        } else {
            "RUNNING"
        }
    }
}

/// Parses a `taskDefinition` reference without its ARN prefix (`Engine::referenced` strips an
/// ARN's, checking it): `family` or `family:revision`.
pub(crate) fn parse_task_def_ref(s: &str) -> (&str, Option<u32>) {
    match s.rsplit_once(':') {
        Some((family, rev)) => match rev.parse() {
            Ok(r) => (family, Some(r)),
            Err(_) => (s, None),
        },
        None => (s, None),
    }
}

/// The task table: every task ever placed, in placement order, with what the records share (their
/// origins), when they were created (runs of one instant each), the rare far moments, their ENI
/// attachments and the key of their IDs. It owns the records: outside this module a task is read
/// through `Index` and changed only through the methods below, each of which keeps the table's
/// own invariants (moments after creation, creation runs in index order, ENIs sorted by task).
#[derive(Debug, Clone)]
pub(crate) struct Tasks {
    records: crate::infra::ids::ChunkedVec<TaskState>,
    origins: crate::infra::shared::SharedTable<TaskOrigin, OriginId>,
    /// The origin of the task placed last: a pass places its service's tasks one after another,
    /// all of one origin, and finding it again in `origins` is a search of the table.
    last_origin: Option<(TaskOrigin, OriginId)>,
    /// Task moments 49.7 days or more after the task's creation (rare: a record keeps 4-byte
    /// offsets).
    far_moments: std::collections::BTreeMap<(crate::infra::ids::TaskId, TaskMoment), SimTimeMs>,
    /// The tasks in PENDING that their agent has not started yet: since when, and why.
    agent_waits: std::collections::BTreeMap<crate::infra::ids::TaskId, (SimTimeMs, AgentWaitCause)>,
    /// `(first task index, time)` for each instant that created tasks: a task's creation time is
    /// that of the last run starting at or before it.
    created_runs: Vec<(u32, SimTimeMs)>,
    /// `(task, ENI attachment)` of awsvpc tasks, sorted by task (made at launch).
    enis: Vec<(crate::infra::ids::TaskId, crate::infra::ids::AttachmentId)>,
    /// Task IDs are a keyed bijection of the task index (no lookup table).
    ids: crate::infra::ids::IdScrambler,
    /// The stop reasons records refer to by a one-byte code (one more than the index), in the
    /// order first given. ECS's own reasons are a handful (StopTask's `reason` is the caller's
    /// text), so a reason's code is found by a scan of at most 254 symbols, which a run's first
    /// few settle: no map to build and drop for every run of a sweep.
    reasons: Vec<Sym>,
    /// The stop reasons of tasks given a reason not listed once 254 were (their code is
    /// [`REASON_ELSEWHERE`]).
    rare_reasons: std::collections::BTreeMap<crate::infra::ids::TaskId, Sym>,
    /// Standalone tasks (RunTask, StartTask) found UNHEALTHY: nothing replaces them, so they keep
    /// their verdict (a service's UNHEALTHY tasks are its own, `Services::unhealthy`).
    unhealthy_standalone: std::collections::BTreeSet<crate::infra::ids::TaskId>,
    /// DAEMON tasks being replaced on an ACTIVE instance: their CPU, memory and ports stay reserved
    /// through STOPPING, for the replacement, until they are STOPPED (docs/ecs-choices.md § 6).
    room_kept: std::collections::BTreeSet<crate::infra::ids::TaskId>,
    /// The GPUs pinned to each task that reserves any, as bits of its instance's GPUs
    /// ([`crate::state::instance::GpuDevices`]), from its placement until it leaves its instance.
    gpus: std::collections::BTreeMap<crate::infra::ids::TaskId, u64>,
    /// Tasks not yet judged whose load balancer target went unhealthy while their checks failed
    /// and whose checks pass again: the target is healthy again only at this time
    /// (`engine/tasks.rs::end_failing_health_checks`).
    targets_recovering: std::collections::BTreeMap<crate::infra::ids::TaskId, SimTimeMs>,
}

impl std::ops::Index<usize> for Tasks {
    type Output = TaskState;
    fn index(&self, n: usize) -> &TaskState {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for Tasks {
    fn reset_to(&mut self, fresh: Self) {
        let Tasks {
            records,
            origins,
            last_origin,
            far_moments,
            agent_waits,
            created_runs,
            enis,
            ids,
            reasons,
            rare_reasons,
            unhealthy_standalone,
            room_kept,
            gpus,
            targets_recovering,
        } = fresh;
        self.records.reset_to(records);
        self.origins.reset_to(origins);
        self.last_origin = last_origin;
        self.far_moments = far_moments;
        self.agent_waits = agent_waits;
        self.created_runs.reset_to(created_runs);
        self.enis.reset_to(enis);
        self.ids = ids;
        self.reasons.reset_to(reasons);
        self.rare_reasons = rare_reasons;
        self.unhealthy_standalone = unhealthy_standalone;
        self.room_kept = room_kept;
        self.gpus = gpus;
        self.targets_recovering = targets_recovering;
    }
}

impl Tasks {
    /// An empty table whose task IDs are scrambled with `id_key`.
    pub(crate) fn new(id_key: u128) -> Self {
        Tasks {
            records: Default::default(),
            origins: Default::default(),
            last_origin: None,
            far_moments: Default::default(),
            agent_waits: Default::default(),
            created_runs: Vec::new(),
            enis: Vec::new(),
            ids: crate::infra::ids::IdScrambler::new(id_key),
            reasons: Vec::new(),
            rare_reasons: Default::default(),
            unhealthy_standalone: Default::default(),
            room_kept: Default::default(),
            gpus: Default::default(),
            targets_recovering: Default::default(),
        }
    }

    /// Tasks ever placed.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Every task record, in placement order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TaskState> {
        self.records.iter()
    }

    /// Places a new task created at `now_ms` (PROVISIONING, version 1); returns its id.
    pub(crate) fn push(
        &mut self,
        instance: InstanceId,
        origin: &TaskOrigin,
        now_ms: SimTimeMs,
        replaces_drained_task: bool,
        fails_to_start: bool,
    ) -> crate::infra::ids::TaskId {
        let id = crate::infra::ids::TaskId(u32::try_from(self.records.len()).expect("fewer than 2^32 tasks"));
        let origin = match self.last_origin {
            Some((last, id)) if last == *origin => id,
            _ => {
                let id = self.origins.intern(origin);
                self.last_origin = Some((*origin, id));
                id
            }
        };
        let mut task = TaskState::new(instance, origin);
        match self.created_runs.last() {
            Some((_, at)) if *at == now_ms => {}
            last => {
                debug_assert!(last.is_none_or(|(_, at)| *at < now_ms), "tasks are created as time moves forward");
                self.created_runs.push((id.0, now_ms));
            }
        }
        task.set_flag(FLAG_REPLACES_DRAINED_TASK, replaces_drained_task);
        task.set_flag(FLAG_FAILS_TO_START, fails_to_start);
        self.records.push(task);
        id
    }

    /// The task's 128-bit ID (a keyed bijection of its index).
    pub(crate) fn uuid(&self, id: crate::infra::ids::TaskId) -> u128 {
        self.ids.scramble(id.0)
    }

    /// The task with this 128-bit ID, if one was placed.
    pub(crate) fn by_uuid(&self, uuid: u128) -> Option<crate::infra::ids::TaskId> {
        self.ids.unscramble(uuid, self.records.len()).map(crate::infra::ids::TaskId)
    }

    /// A shared origin by its id (a record's `origin`).
    pub(crate) fn origin_by_id(&self, id: OriginId) -> &TaskOrigin {
        self.origins.get(id)
    }

    /// What the task shares with the other tasks of its service or group.
    pub(crate) fn origin(&self, id: crate::infra::ids::TaskId) -> &TaskOrigin {
        self.origins.get(self.records[id.index()].origin)
    }

    /// The place in `created_runs` of the instant that created the task.
    fn creation_run(&self, id: crate::infra::ids::TaskId) -> usize {
        self.created_runs.partition_point(|(first, _)| *first <= id.0) - 1
    }

    /// When the task was created (`createdAt`).
    pub(crate) fn created_at_ms(&self, id: crate::infra::ids::TaskId) -> SimTimeMs {
        self.created_runs[self.creation_run(id)].1
    }

    /// The tasks created in the same instant as `id` (so with its `createdAt`), as a range of task
    /// indices: tasks are numbered as they are created and time only moves forward, so they are
    /// consecutive, and every task below the range is older, every task above it younger.
    pub(crate) fn created_with(&self, id: crate::infra::ids::TaskId) -> std::ops::Range<u32> {
        let run = self.creation_run(id);
        let end = self.created_runs.get(run + 1).map_or(self.records.len() as u32, |(first, _)| *first);
        self.created_runs[run].0..end
    }

    /// When the task reached a moment of its life, if it has.
    pub(crate) fn moment(&self, id: crate::infra::ids::TaskId, moment: TaskMoment) -> Option<SimTimeMs> {
        match self.records[id.index()].moment_offsets_ms[moment as usize] {
            MOMENT_NOT_YET => None,
            MOMENT_FAR => Some(self.far_moments[&(id, moment)]),
            offset => Some(self.created_at_ms(id) + offset as u64),
        }
    }

    /// Records that the task reaches a moment at `now_ms`.
    fn set_moment(&mut self, id: crate::infra::ids::TaskId, moment: TaskMoment, now_ms: SimTimeMs) {
        let offset = now_ms.checked_sub(self.created_at_ms(id)).expect("a moment after the task's creation");
        let t = &mut self.records[id.index()];
        if offset < MOMENT_FAR as u64 {
            t.moment_offsets_ms[moment as usize] = offset as u32;
        } else {
            t.moment_offsets_ms[moment as usize] = MOMENT_FAR;
            self.far_moments.insert((id, moment), now_ms);
        }
    }

    /// The task's `stoppedReason`, once it was told to stop.
    pub(crate) fn stopped_reason(&self, id: crate::infra::ids::TaskId) -> Option<Sym> {
        match self.records[id.index()].reason {
            0 => None,
            REASON_ELSEWHERE => Some(self.rare_reasons[&id]),
            code => Some(self.reasons[code as usize - 1]),
        }
    }

    /// Gives the task its stop reason: the reason's code, listing the reason first if it is new
    /// and there is room, else an entry in the side map.
    fn set_stopped_reason(&mut self, id: crate::infra::ids::TaskId, reason: Sym) {
        let listed = self.reasons.iter().position(|r| *r == reason);
        let code = match listed {
            Some(n) => u8::try_from(n + 1).expect("fewer than 255 listed reasons"),
            None if self.reasons.len() < usize::from(REASON_ELSEWHERE - 1) => {
                self.reasons.push(reason);
                u8::try_from(self.reasons.len()).expect("fewer than 255 listed reasons")
            }
            None => {
                self.rare_reasons.insert(id, reason);
                REASON_ELSEWHERE
            }
        };
        let t = &mut self.records[id.index()];
        assert_eq!(t.reason, 0, "a task is given a stop reason once");
        t.reason = code;
    }

    /// The ENI attachment of an awsvpc task.
    pub(crate) fn eni(&self, id: crate::infra::ids::TaskId) -> Option<crate::infra::ids::AttachmentId> {
        let n = self.enis.binary_search_by_key(&id, |(t, _)| *t).ok()?;
        Some(self.enis[n].1)
    }

    /// Records a task's ENI attachment (made at launch, so in task order).
    pub(crate) fn set_eni(&mut self, id: crate::infra::ids::TaskId, attachment: crate::infra::ids::AttachmentId) {
        assert!(self.enis.last().is_none_or(|(t, _)| *t < id), "task ENIs are made at launch, in task order");
        self.enis.push((id, attachment));
    }

    /// Moves `lastStatus` to `to` at `now_ms` (the caller checked the transition); a STOPPED task
    /// is no longer healthy. Returns the status it left.
    pub(crate) fn set_last_status(&mut self, id: crate::infra::ids::TaskId, to: TaskStatus, now_ms: SimTimeMs) -> TaskStatus {
        let t = &mut self.records[id.index()];
        // ECS sets a task's desiredStatus to STOPPED before (or as) it stops it; ListTasks relies
        // on it to find the tasks not told to stop among the live ones (engine/tasks.rs::list_tasks).
        assert!(
            to != TaskStatus::Stopped || t.desired_stopped() || t.orphaned(),
            "a task reaches STOPPED only once told to stop"
        );
        let from = t.last_status;
        t.last_status = to;
        t.bump_version();
        if to == TaskStatus::Stopped {
            t.set_healthy(false);
        }
        match to {
            TaskStatus::Running => self.set_moment(id, TaskMoment::Started, now_ms),
            TaskStatus::Stopped => self.set_moment(id, TaskMoment::Stopped, now_ms),
            _ => {}
        }
        from
    }

    /// Sets a task's `desiredStatus` back to RUNNING, which no request can: for the tests of the
    /// invariant checker.
    #[cfg(test)]
    pub(crate) fn clear_desired_stopped_for_test(&mut self, id: crate::infra::ids::TaskId) {
        self.records[id.index()].set_flag(FLAG_DESIRED_STOPPED, false);
    }

    /// Sets `desiredStatus` to STOPPED at `now_ms`, for good, with its stop code and reason; the
    /// task no longer counts as healthy.
    pub(crate) fn tell_to_stop(&mut self, id: crate::infra::ids::TaskId, code: StopCode, reason: Sym, now_ms: SimTimeMs) {
        let t = &mut self.records[id.index()];
        assert!(!t.desired_stopped(), "a task is told to stop once");
        t.set_desired_stopped();
        t.set_healthy(false);
        t.bump_version();
        t.set_stop_code(code);
        self.set_stopped_reason(id, reason);
        self.set_moment(id, TaskMoment::Stopping, now_ms);
    }

    /// The task now counts as healthy for its service.
    pub(crate) fn mark_healthy(&mut self, id: crate::infra::ids::TaskId) {
        self.records[id.index()].set_healthy(true);
    }

    /// A standalone task's health checks failed: it is UNHEALTHY from now on (once).
    pub(crate) fn note_standalone_unhealthy(&mut self, id: crate::infra::ids::TaskId) {
        let t = &self.records[id.index()];
        assert!(self.origin(id).service.is_none() && !t.healthy(), "a standalone task not healthy");
        assert!(self.unhealthy_standalone.insert(id), "a task is found UNHEALTHY once");
    }

    /// The standalone tasks found UNHEALTHY, by task ID (for the invariants).
    pub(crate) fn standalone_unhealthy(&self) -> impl Iterator<Item = crate::infra::ids::TaskId> + '_ {
        self.unhealthy_standalone.iter().copied()
    }

    /// The task's load balancer target went unhealthy and is healthy again at `until_ms`.
    pub(crate) fn note_target_recovering(&mut self, id: crate::infra::ids::TaskId, until_ms: SimTimeMs) {
        assert!(!self.records[id.index()].healthy(), "only a task not yet judged waits for its target");
        self.targets_recovering.insert(id, until_ms);
    }

    /// When the task's recovering target is healthy again, taking the note (the task is judged now).
    pub(crate) fn take_target_recovering(&mut self, id: crate::infra::ids::TaskId) -> Option<SimTimeMs> {
        self.targets_recovering.remove(&id)
    }

    /// When the task's recovering target is healthy again, if it is recovering.
    pub(crate) fn target_recovering_until(&self, id: crate::infra::ids::TaskId) -> Option<SimTimeMs> {
        self.targets_recovering.get(&id).copied()
    }

    /// Whether a standalone task was found UNHEALTHY.
    pub(crate) fn is_standalone_unhealthy(&self, id: crate::infra::ids::TaskId) -> bool {
        self.unhealthy_standalone.contains(&id)
    }

    /// The task no longer counts as healthy: its health checks failed while it ran healthy. Only
    /// a healthy RUNNING task not told to stop loses its health (one told to stop lost it then).
    pub(crate) fn lose_health(&mut self, id: crate::infra::ids::TaskId) {
        let t = &mut self.records[id.index()];
        assert!(
            t.healthy() && !t.desired_stopped() && t.last_status == TaskStatus::Running,
            "only a healthy RUNNING task loses its health"
        );
        t.set_healthy(false);
    }

    /// A queued task reached PENDING and waits for its agent from `now_ms`, for `cause`.
    pub(crate) fn begin_agent_wait(&mut self, id: crate::infra::ids::TaskId, cause: AgentWaitCause, now_ms: SimTimeMs) {
        assert!(self.records[id.index()].agent_queued(), "a task waits for its agent while queued");
        assert!(self.agent_waits.insert(id, (now_ms, cause)).is_none(), "a task waits for its agent once");
    }

    /// Whether the task reached PENDING and waits in its instance's agent queue.
    pub(crate) fn waits_for_agent(&self, id: crate::infra::ids::TaskId) -> bool {
        self.agent_waits.contains_key(&id)
    }

    /// The task's wait for its agent ends (it starts, or stops): since when it waited, and why;
    /// None if it was not waiting.
    pub(crate) fn end_agent_wait(&mut self, id: crate::infra::ids::TaskId) -> Option<(SimTimeMs, AgentWaitCause)> {
        self.agent_waits.remove(&id)
    }

    /// The task joins (`true`) or leaves its instance's agent queue.
    pub(crate) fn set_agent_queued(&mut self, id: crate::infra::ids::TaskId, on: bool) {
        let t = &mut self.records[id.index()];
        assert_ne!(t.agent_queued(), on, "a task joins and leaves the agent queue once");
        assert!(!on || t.version_agent & !VERSION_MASK == 0, "a task is queued once, before it is admitted");
        t.version_agent ^= AGENT_QUEUED;
    }

    /// The agent admits the task (`true`: it leaves the queue and holds host resources) or the
    /// task's containers stopped (`false`: the agent's host resources are released).
    pub(crate) fn set_agent_admitted(&mut self, id: crate::infra::ids::TaskId, on: bool) {
        let t = &mut self.records[id.index()];
        assert_ne!(t.agent_admitted(), on, "a task is admitted once and released once");
        if on {
            assert!(t.agent_queued(), "the agent admits a queued task");
            t.version_agent &= !AGENT_QUEUED;
        }
        t.version_agent ^= AGENT_ADMITTED;
    }

    /// The task's CPU, memory and ports are handed back to placement (once); a task whose room was
    /// kept for its replacement no longer keeps it.
    /// Pins GPUs (bits of its instance's) to a task that was just placed.
    pub(crate) fn pin_gpus(&mut self, id: crate::infra::ids::TaskId, mask: u64) {
        assert!(mask != 0, "a task pins GPUs only when it reserves some");
        let before = self.gpus.insert(id, mask);
        assert!(before.is_none(), "GPUs are pinned to a task once");
    }

    /// The GPUs pinned to a task (0 for none, or once it left its instance).
    pub(crate) fn gpus(&self, id: crate::infra::ids::TaskId) -> u64 {
        self.gpus.get(&id).copied().unwrap_or(0)
    }

    /// Every task's pinned GPUs, in task order.
    pub(crate) fn pinned_gpus(&self) -> impl Iterator<Item = (crate::infra::ids::TaskId, u64)> + '_ {
        self.gpus.iter().map(|(t, m)| (*t, *m))
    }

    /// A task left its instance: its containers no longer hold its GPUs.
    pub(crate) fn unpin_gpus(&mut self, id: crate::infra::ids::TaskId) {
        self.gpus.remove(&id);
    }

    pub(crate) fn release_reservation(&mut self, id: crate::infra::ids::TaskId) {
        let t = &mut self.records[id.index()];
        assert!(!t.reservation_released(), "a reservation is released once");
        t.version_agent |= RESERVATION_RELEASED;
        self.room_kept.remove(&id);
    }

    /// A DAEMON task about to be told to stop for its replacement on an ACTIVE instance keeps its
    /// room through STOPPING ([`Self::keeps_room`]).
    pub(crate) fn keep_room(&mut self, id: crate::infra::ids::TaskId) {
        let t = &self.records[id.index()];
        assert!(!t.reservation_released() && !t.desired_stopped(), "a live task not yet told to stop keeps its room");
        self.room_kept.insert(id);
    }

    /// Whether the task keeps its room until it is STOPPED (its reservation is released then, not
    /// at STOPPING).
    pub(crate) fn keeps_room(&self, id: crate::infra::ids::TaskId) -> bool {
        self.room_kept.contains(&id)
    }

    /// The task is orphaned (its instance was deregistered with `force`): no longer accounted for.
    pub(crate) fn orphan(&mut self, id: crate::infra::ids::TaskId) {
        let t = &mut self.records[id.index()];
        t.set_orphaned(true);
        t.bump_version();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::ids::TaskId;
    use proptest::prelude::*;

    fn container(stop_timeout_s: Option<u64>, exit_ms: Option<u64>) -> ContainerStop {
        ContainerStop { stop_timeout_ms: stop_timeout_s.map(|s| s * 1000), exit_after_sigterm_ms: exit_ms }
    }

    /// Each container is killed at its own timeout (the agent's when it gives none), not at the
    /// largest of the task's; an exit before the timeout ends it sooner.
    #[test]
    fn each_container_stops_at_its_own_timeout_or_exit() {
        let killed =
            |ms, agent| StoppingEnd::KilledAtStopTimeout { stop_timeout_ms: ms, agent_default: agent, exit_assumed: true };
        // A container without a timeout takes the agent's (30 s by default, 5 s when set).
        let plain = [container(None, None)];
        assert_eq!(stopping_of(&plain, AGENT_DEFAULT_STOP_TIMEOUT_MS, true).duration_ms(), 30_000);
        assert_eq!(stopping_of(&plain, 5_000, true).last_container, killed(5_000, true));
        assert_eq!(stopping_of(&plain, 5_000, true).bounds_ms, 5_000..=5_000);
        // Its own timeout wins over the agent's.
        assert_eq!(stopping_of(&[container(Some(20), None)], 5_000, true).last_container, killed(20_000, false));
        // The sidecar ignoring SIGTERM is killed at its 3 s while the app exited at 1 s.
        let mixed = [container(Some(5), Some(1_000)), container(Some(3), None)];
        let s = stopping_of(&mixed, AGENT_DEFAULT_STOP_TIMEOUT_MS, true);
        assert_eq!((s.duration_ms(), s.last_container, s.bounds_ms), (3_000, killed(3_000, false), 3_000..=5_000));
        // An exit after a kill decides.
        let late_exit = [container(None, None), container(Some(60), Some(8_000))];
        let s = stopping_of(&late_exit, 5_000, true);
        assert_eq!((s.duration_ms(), s.last_container), (8_000, StoppingEnd::Exits { after_sigterm_ms: 8_000 }));
        assert_eq!(s.bounds_ms, 5_000..=60_000);
        // An exit that would come after the timeout is a kill; a tie is told as the kill.
        // (Its exit is given, so the kill is no assumption.)
        let killed_given =
            |ms, agent| StoppingEnd::KilledAtStopTimeout { stop_timeout_ms: ms, agent_default: agent, exit_assumed: false };
        assert_eq!(stopping_of(&[container(Some(5), Some(9_000))], 30_000, true).last_container, killed_given(5_000, false));
        let tie = [container(Some(10), Some(4_000)), container(Some(4), None)];
        assert_eq!(stopping_of(&tie, 30_000, true).last_container, killed(4_000, false));
        // An agent older than 1.26.0 applies its own timeout to every container.
        assert_eq!(stopping_of(&[container(Some(120), None)], 30_000, false).last_container, killed(30_000, true));
        assert_eq!(stopping_of(&[container(Some(120), None)], 30_000, false).bounds_ms, 30_000..=30_000);
        assert_eq!(stopping_of(&[container(Some(120), Some(45_000))], 30_000, false).last_container, killed_given(30_000, true));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        /// Against a model that steps through time: STOPPING ends at the first instant when every
        /// container has exited or been killed, within the jitter bounds.
        #[test]
        fn stopping_ends_when_the_last_container_has_stopped(
            containers in proptest::collection::vec((proptest::option::of(1u64..=120), proptest::option::of(0u64..=130_000)), 1..5),
            agent_s in 1u64..=300,
            container_timeouts in proptest::bool::ANY,
        ) {
            let stops: Vec<ContainerStop> = containers.iter().map(|&(t, e)| container(t, e)).collect();
            let s = stopping_of(&stops, agent_s * 1000, container_timeouts);
            // An agent older than 1.26.0 reads no container's timeout.
            let timeout_of = |c: &ContainerStop| c.stop_timeout_ms.filter(|_| container_timeouts).unwrap_or(agent_s * 1000);
            let stopped_by = |at_ms: u64| stops.iter().all(|c| {
                at_ms >= timeout_of(c) || c.exit_after_sigterm_ms.is_some_and(|e| at_ms >= e)
            });
            prop_assert!(stopped_by(s.duration_ms()));
            prop_assert!(s.duration_ms() == 0 || !stopped_by(s.duration_ms() - 1));
            prop_assert!(s.bounds_ms.contains(&s.duration_ms()));
            let largest_timeout = stops.iter().map(timeout_of).max().unwrap();
            prop_assert_eq!(*s.bounds_ms.end(), largest_timeout);
        }
    }

    fn table_of(tasks: u32) -> Tasks {
        let mut t = Tasks::new(7);
        let origin = TaskOrigin {
            service: None,
            task_def: TaskDefId(0),
            group: crate::infra::intern::Interner::default().intern("family:app"),
            started_by: None,
            long_arn: true,
            in_target_group: false,
            daemon: false,
            size: SizeOverride::default(),
        };
        for _ in 0..tasks {
            t.push(InstanceId(0), &origin, 0, false, false);
        }
        t
    }

    /// Past the 254 reasons a one-byte code lists, a task's reason is kept beside the records, and
    /// every task reads back the reason it was given.
    #[test]
    fn every_task_reads_back_its_stop_reason_past_the_listed_ones() {
        let mut strings = crate::infra::intern::Interner::default();
        let mut tasks = table_of(700);
        let reasons: Vec<Sym> = (0..300).map(|n| strings.intern(&format!("reason {n}"))).collect();
        for n in 0..700u32 {
            tasks.tell_to_stop(TaskId(n), StopCode::UserInitiated, reasons[(n % 300) as usize], 5);
        }
        for n in 0..700u32 {
            assert_eq!(tasks.stopped_reason(TaskId(n)), Some(reasons[(n % 300) as usize]), "task {n}");
        }
        assert_eq!(tasks.reasons.len(), 254);
        assert_eq!(
            tasks.rare_reasons.len(),
            2 * 46,
            "reasons 254 to 299, given to tasks 254..300 and 554..600, are never listed"
        );
        assert_eq!(table_of(1).stopped_reason(TaskId(0)), None);
    }

    /// The longest life a task has — every status, told to stop, orphaned — leaves its version
    /// within its five bits, and the agent bits beside it untouched.
    #[test]
    fn a_task_version_counts_every_change_beside_the_agent_bits() {
        let mut strings = crate::infra::intern::Interner::default();
        let mut tasks = table_of(1);
        let id = TaskId(0);
        tasks.set_agent_queued(id, true);
        tasks.set_agent_admitted(id, true);
        use TaskStatus::*;
        for status in [Pending, Activating, Running] {
            tasks.set_last_status(id, status, 10);
        }
        tasks.tell_to_stop(id, StopCode::UserInitiated, strings.intern("bye"), 10);
        for status in [Deactivating, Stopping, Deprovisioning, Stopped] {
            tasks.set_last_status(id, status, 10);
        }
        tasks.release_reservation(id);
        tasks.orphan(id);
        let t = &tasks[0];
        assert_eq!(t.version(), 10);
        assert!(t.agent_admitted() && !t.agent_queued() && t.reservation_released());
        assert_eq!(t.last_status, Stopped);
    }
}
