//! The trace: every state change appends a record (time, subject, what changed, reason). Records are
//! compact (numeric ids, static reason codes); the edges render them. A stable 64-bit FNV-1a digest
//! of the canonical encoding is updated incrementally, so keeping the records is optional.

use crate::infra::ids::{AttachmentId, InstanceId, ServiceId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::time::SimTimeMs;
use crate::rules::lifecycle::TaskStatus;
use crate::rules::lifecycle::{AgentUpdateStatus, AttachmentStatus, InstanceStatus};

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// A container instance.
    Instance(InstanceId),
    /// A task.
    Task(TaskId),
    /// A service.
    Service(ServiceId),
    /// A trunk or task ENI attachment.
    Attachment(AttachmentId),
    /// An IAM principal (account settings).
    Principal(Sym),
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// The payloads that are strings or indexes ([`Change::AgentVersion`], [`Change::ServiceEvent`],
/// [`Change::SettingPut`]) are rendered by [`Engine::describe_record`](crate::Engine::describe_record).
pub enum Change {
    /// A container instance's `status` changed (`from` is None at registration).
    InstanceStatus {
        /// The status before; None when the instance registered.
        from: Option<InstanceStatus>,
        /// The status after.
        to: InstanceStatus,
    },
    /// `agentConnected` changed.
    AgentConnected(bool),
    /// `agentUpdateStatus` changed.
    AgentUpdate(AgentUpdateStatus),
    /// `versionInfo.agentVersion` changed (an interned string).
    AgentVersion(Sym),
    /// An attachment's `status` changed (`from` is None when it was created).
    AttachmentStatus {
        /// The status before; None when the attachment was created.
        from: Option<AttachmentStatus>,
        /// The status after.
        to: AttachmentStatus,
    },
    /// A task's `lastStatus` changed (`from` is None when it was placed).
    TaskStatus {
        /// The status before; None when the task was placed.
        from: Option<TaskStatus>,
        /// The status after.
        to: TaskStatus,
    },
    /// A task's `desiredStatus` became STOPPED.
    TaskDesiredStopped,
    /// A task counts as healthy toward minimumHealthyPercent: its essential containers' health checks
    /// passed, its load balancer target passed its check, or (with neither) the wait after RUNNING
    /// ended.
    TaskHealthy {
        /// Whether the task's `healthStatus` (DescribeTasks) became HEALTHY too, which only the
        /// essential containers' health checks decide, when every one has a check; otherwise it
        /// stays UNKNOWN.
        health_status: bool,
    },
    /// A RUNNING task's health checks failed (a fault: `Engine::fail_health_checks_on`): its
    /// service replaces it.
    TaskUnhealthy {
        /// Whether its `healthStatus` (DescribeTasks) became UNHEALTHY, which only the essential
        /// containers' health checks decide, when every one has a check; otherwise (a target
        /// group's verdict) it stays UNKNOWN.
        health_status: bool,
    },
    /// A task was orphaned: its instance was deregistered with `force` (or terminated) while it ran.
    TaskOrphaned,
    /// EC2 gave the instance's Spot Instance interruption notice (two minutes before it goes).
    SpotInterruptionNotice,
    /// EC2 gave the Spot Instance a rebalance recommendation (its interruption risk is elevated);
    /// ECS does nothing with it, an Auto Scaling group with Capacity Rebalancing replaces the
    /// instance.
    SpotRebalanceRecommendation,
    /// The health checks of tasks on the instance began to fail (`true`, the fault
    /// `Engine::fail_health_checks_on`) or pass again (`false`, `Engine::pass_health_checks`).
    HealthChecksFailing(bool),
    /// A task reached PENDING but its instance's agent does not start it yet, for this cause.
    TaskAgentWaits(crate::state::task::AgentWaitCause),
    /// The agent started a task that had waited in PENDING (`TaskAgentWaits`).
    TaskAgentStarts,
    /// A service was created.
    ServiceCreated,
    /// A service's `desiredCount` changed.
    ServiceDesiredCount(u32),
    /// UpdateService gave a service new values of these fields (`desiredCount` has its own
    /// record).
    ServiceUpdated(UpdatedFields),
    /// A service was deleted: it is DRAINING until its last task stops.
    ServiceDeleted,
    /// A deleted service's last task stopped: it is INACTIVE.
    ServiceInactive,
    /// A service event was emitted (the index of the event in the service's list).
    ServiceEvent(u32),
    /// An account setting was put.
    SettingPut {
        /// The setting (its index among the setting names).
        name: u8,
        /// The value (an interned string).
        value: Sym,
    },
    /// An account setting was deleted.
    SettingDeleted {
        /// The setting (its index among the setting names).
        name: u8,
    },
}

/// One trace record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceRecord {
    /// When, in simulated time.
    pub time_ms: SimTimeMs,
    /// What the record is about.
    pub subject: Subject,
    /// What changed.
    pub change: Change,
    /// Why: the operation or rule that made the change.
    pub reason: &'static str,
}

/// The trace sink: a count of records, their digest unless turned off
/// ([`crate::EngineConfig::digest_trace`]), and the records themselves on request.
#[derive(Debug, Clone)]
pub struct Trace {
    /// `None` when the digest is not computed.
    digest: Option<u64>,
    len: u64,
    keep_records: bool,
    records: Vec<TraceRecord>,
}

use crate::infra::fnv::{fnv1a_word, fnv1a_words_extend, FNV_OFFSET};

impl crate::infra::recycle::Recycle for Trace {
    fn reset_to(&mut self, fresh: Self) {
        let Trace { digest, len, keep_records, records } = fresh;
        self.digest = digest;
        self.len = len;
        self.keep_records = keep_records;
        self.records.reset_to(records);
    }
}

impl Trace {
    pub(crate) fn new(keep_records: bool, digest: bool) -> Self {
        Trace { digest: digest.then_some(FNV_OFFSET), len: 0, keep_records, records: Vec::new() }
    }

    /// Whether records are digested ([`Trace::append`]) rather than only counted
    /// ([`Trace::append_undigested`]).
    pub(crate) fn digests(&self) -> bool {
        self.digest.is_some()
    }

    /// Appends a record; `subject_key` is the subject's seed-derived identifier (so a new seed
    /// changes the digest) and `payload_key` the canonical encoding of the change's strings.
    pub(crate) fn append(&mut self, record: TraceRecord, subject_key: u128, payload_key: u64) {
        let Some(mut h) = self.digest else {
            unreachable!("a trace that digests nothing is appended to with append_undigested");
        };
        // FNV-1a over 64-bit words (stable across platforms; one multiply per word).
        let mut eat = |word: u64| h = fnv1a_word(h, word);
        eat(record.time_ms);
        eat(subject_key as u64);
        eat((subject_key >> 64) as u64);
        eat(change_code(&record.change));
        eat(payload_key);
        // The reason's bytes eight at a time as little-endian words, the last one zero-padded.
        h = fnv1a_words_extend(h, record.reason.as_bytes());
        self.digest = Some(h);
        self.append_undigested(record);
    }

    /// Appends a record to a trace that computes no digest: counts it, and keeps it on request.
    pub(crate) fn append_undigested(&mut self, record: TraceRecord) {
        self.len += 1;
        if self.keep_records {
            self.records.push(record);
        }
    }

    /// The digest of every record appended so far, or `None` when the engine was configured not
    /// to compute it ([`crate::EngineConfig::digest_trace`]).
    pub fn digest(&self) -> Option<u64> {
        self.digest
    }

    /// How many records were appended.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kept records (empty unless records are kept).
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// Takes the kept records, leaving the digest (for streaming them out).
    pub(crate) fn take_records(&mut self) -> Vec<TraceRecord> {
        std::mem::take(&mut self.records)
    }
}

/// A stable numeric encoding of a change (status enums by their position in the ECS model).
fn change_code(change: &Change) -> u64 {
    let st = |s: Option<InstanceStatus>| s.map_or(0, |s| s as u64 + 1);
    let ts = |s: Option<TaskStatus>| s.map_or(0, |s| s as u64 + 1);
    let at = |s: Option<AttachmentStatus>| s.map_or(0, |s| s as u64 + 1);
    match *change {
        Change::InstanceStatus { from, to } => (1 << 32) | (st(from) << 8) | st(Some(to)),
        Change::AgentConnected(c) => (2 << 32) | c as u64,
        Change::AgentUpdate(s) => (3 << 32) | s as u64,
        Change::AgentVersion(_) => 4 << 32,
        Change::AttachmentStatus { from, to } => (5 << 32) | (at(from) << 8) | at(Some(to)),
        Change::TaskStatus { from, to } => (6 << 32) | (ts(from) << 8) | ts(Some(to)),
        Change::TaskDesiredStopped => 7 << 32,
        Change::TaskHealthy { .. } => 8 << 32,
        Change::TaskOrphaned => 9 << 32,
        Change::ServiceCreated => 10 << 32,
        Change::ServiceDesiredCount(n) => (11 << 32) | n as u64,
        Change::ServiceDeleted => 12 << 32,
        Change::ServiceEvent(i) => (13 << 32) | i as u64,
        Change::SettingPut { name, .. } => (14 << 32) | name as u64,
        Change::SettingDeleted { name } => (15 << 32) | name as u64,
        Change::ServiceInactive => 16 << 32,
        Change::TaskAgentWaits(c) => (17 << 32) | c as u64,
        Change::TaskAgentStarts => 18 << 32,
        Change::SpotInterruptionNotice => 19 << 32,
        Change::ServiceUpdated(f) => (20 << 32) | f.bits(),
        Change::TaskUnhealthy { health_status } => (21 << 32) | health_status as u64,
        Change::HealthChecksFailing(failing) => (22 << 32) | failing as u64,
        Change::SpotRebalanceRecommendation => 23 << 32,
    }
}

/// The fields of a service other than `desiredCount` an UpdateService request gave
/// ([`Change::ServiceUpdated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdatedFields {
    /// `deploymentConfiguration`.
    pub deployment_configuration: bool,
    /// `placementStrategy`.
    pub placement_strategy: bool,
    /// `placementConstraints`.
    pub placement_constraints: bool,
    /// `healthCheckGracePeriodSeconds`.
    pub health_check_grace_period_seconds: bool,
    /// `availabilityZoneRebalancing`.
    pub availability_zone_rebalancing: bool,
    /// `capacityProviderStrategy`.
    pub capacity_provider_strategy: bool,
}

impl UpdatedFields {
    /// Each field, whether it was given and its name as UpdateService spells it, in the request's
    /// order: what [`UpdatedFields::names`] and the trace digest's code read.
    fn fields(&self) -> [(bool, &'static str); 6] {
        [
            (self.deployment_configuration, "deploymentConfiguration"),
            (self.placement_strategy, "placementStrategy"),
            (self.placement_constraints, "placementConstraints"),
            (self.health_check_grace_period_seconds, "healthCheckGracePeriodSeconds"),
            (self.availability_zone_rebalancing, "availabilityZoneRebalancing"),
            (self.capacity_provider_strategy, "capacityProviderStrategy"),
        ]
    }

    /// The fields given, as UpdateService spells them, in the request's order.
    pub fn names(&self) -> Vec<&'static str> {
        self.fields().into_iter().filter_map(|(given, name)| given.then_some(name)).collect()
    }

    /// Whether any field was given.
    pub fn any(&self) -> bool {
        self.bits() != 0
    }

    /// One bit per field, in [`UpdatedFields::fields`]' order (the trace digest's code).
    fn bits(&self) -> u64 {
        self.fields().iter().enumerate().fold(0, |bits, (k, (given, _))| bits | (u64::from(*given) << k))
    }
}
