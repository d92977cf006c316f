//! Task definitions and tasks: the task lifecycle (reference §2.1)
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

/// Network modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    Bridge,
    Host,
    Awsvpc,
}

impl NetworkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkMode::Bridge => "bridge",
            NetworkMode::Host => "host",
            NetworkMode::Awsvpc => "awsvpc",
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
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    /// Container health check interval, if any essential container has one.
    pub health_check_interval_ms: Option<SimTimeMs>,
    /// SIGTERM→SIGKILL (the largest container stopTimeout; default 30 s, reference §2.2).
    pub stop_timeout_ms: SimTimeMs,
    /// How long the slowest container takes to exit after SIGTERM (None: killed at stopTimeout).
    pub exit_after_sigterm_ms: Option<SimTimeMs>,
}

impl TaskDefinition {
    /// How long STOPPING lasts: until the containers exit, at most `stopTimeout`.
    pub fn stopping_ms(&self) -> SimTimeMs {
        self.exit_after_sigterm_ms.map_or(self.stop_timeout_ms, |e| e.min(self.stop_timeout_ms))
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
    /// The task ARN format in force at launch (`taskLongArnFormat`, reference §5).
    pub long_arn: bool,
    /// Registered with the service's target group (goes through DEACTIVATING when stopped).
    pub in_target_group: bool,
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
pub(crate) const MOMENT_NOT_YET: u32 = u32::MAX;
pub(crate) const MOMENT_FAR: u32 = u32::MAX - 1;

pub(crate) const FLAG_DESIRED_STOPPED: u8 = 1;
pub(crate) const FLAG_HEALTHY: u8 = 1 << 1;
pub(crate) const FLAG_ORPHANED: u8 = 1 << 2;
pub(crate) const FLAG_REPLACES_DRAINED_TASK: u8 = 1 << 3;
pub(crate) const FLAG_FAILS_TO_START: u8 = 1 << 4;
/// Bits 5–7 hold the stop code (0: none).
const STOP_CODE_SHIFT: u32 = 5;

/// One task, in 28 bytes (tasks dominate memory on big clusters: every moved task leaves a STOPPED
/// predecessor that stays describable). Its ID and ARN are derived from its index, its cluster
/// from its instance, its creation time from the engine's creation runs (tasks are created in
/// index order and time never goes back, so one entry serves every task launched in an instant),
/// its ENI from the engine's sorted task-ENI list, and what it shares with its service's other
/// tasks lives in its [`TaskOrigin`]; flags and the stop code are packed into one byte.
#[derive(Debug, Clone)]
pub struct TaskState {
    pub instance: InstanceId,
    pub origin: OriginId,
    pub stopped_reason: Option<Sym>,
    /// Offsets from creation of the [`TaskMoment`]s.
    pub(crate) moment_offsets_ms: [u32; 3],
    /// The task's `version`: one more with every change of state (a task changes state at most a
    /// dozen times in its life).
    pub version: u16,
    pub last_status: TaskStatus,
    flags: u8,
}

impl TaskState {
    pub(crate) fn new(instance: InstanceId, origin: OriginId) -> Self {
        TaskState {
            instance,
            origin,
            version: 1,
            stopped_reason: None,
            moment_offsets_ms: [MOMENT_NOT_YET; 3],
            last_status: TaskStatus::Provisioning,
            flags: 0,
        }
    }

    fn flag(&self, bit: u8) -> bool {
        self.flags & bit != 0
    }

    pub(crate) fn set_flag(&mut self, bit: u8, on: bool) {
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
    /// Sets `desiredStatus` to STOPPED, for good (a task is never told to run again).
    pub(crate) fn set_desired_stopped(&mut self) {
        self.set_flag(FLAG_DESIRED_STOPPED, true)
    }
    pub(crate) fn set_healthy(&mut self, on: bool) {
        self.set_flag(FLAG_HEALTHY, on)
    }
    pub(crate) fn set_orphaned(&mut self, on: bool) {
        self.set_flag(FLAG_ORPHANED, on)
    }

    pub fn stop_code(&self) -> Option<StopCode> {
        match self.flags >> STOP_CODE_SHIFT {
            0 => None,
            n => Some(StopCode::ALL[n as usize - 1]),
        }
    }
    pub(crate) fn set_stop_code(&mut self, code: StopCode) {
        let n = StopCode::ALL.iter().position(|c| *c == code).expect("every code is listed") as u8 + 1;
        self.flags = (self.flags & ((1 << STOP_CODE_SHIFT) - 1)) | n << STOP_CODE_SHIFT;
    }
}

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
    pub(crate) fn contribution(&self) -> Contribution {
        if self.orphaned() || self.last_status == TaskStatus::Stopped {
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

/// Parses the `taskDefinition` member: `family`, `family:revision`, or a task definition ARN.
pub(crate) fn parse_task_def_ref(s: &str) -> (&str, Option<u32>) {
    let s = s.rsplit_once(":task-definition/").map_or(s, |(_, r)| r);
    match s.rsplit_once(':') {
        Some((family, rev)) => match rev.parse() {
            Ok(r) => (family, Some(r)),
            Err(_) => (s, None),
        },
        None => (s, None),
    }
}
