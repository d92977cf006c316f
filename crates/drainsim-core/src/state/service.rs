//! Services: REPLICA and DAEMON services, their deployment configuration (defaults and validation,
//! <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>), load balancer settings, service events, and the operations CreateService,
//! UpdateService, DeleteService and DescribeServices. The scheduling pass lives in `drain`.

use std::collections::BTreeMap;

use crate::api::{self};
use crate::errors::EcsError;
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskDefId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::time::SimTimeMs;
use crate::placement::Strategy;

/// `schedulingStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulingStrategy {
    /// `REPLICA`: `desiredCount` tasks across the cluster.
    Replica,
    /// `DAEMON`: one task on each ACTIVE instance.
    Daemon,
}

impl SchedulingStrategy {
    /// `REPLICA` or `DAEMON`, as ECS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SchedulingStrategy::Replica => "REPLICA",
            SchedulingStrategy::Daemon => "DAEMON",
        }
    }

    /// The strategy ECS spells `text`, if one.
    pub fn parse(text: &str) -> Option<Self> {
        [SchedulingStrategy::Replica, SchedulingStrategy::Daemon].into_iter().find(|s| s.as_str() == text)
    }
}

/// Service `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    /// `ACTIVE`.
    Active,
    /// `DRAINING`.
    Draining,
    /// `INACTIVE`.
    Inactive,
}

impl ServiceStatus {
    /// ECS's text.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "ACTIVE",
            ServiceStatus::Draining => "DRAINING",
            ServiceStatus::Inactive => "INACTIVE",
        }
    }
}

/// The load balancer a service registers its tasks with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadBalancerConfig {
    pub spec: api::LoadBalancer,
    /// How long a new target takes to count as healthy: one check's interval (a Classic Load
    /// Balancer's instance: interval × healthy threshold).
    pub time_to_healthy_ms: SimTimeMs,
    /// interval × healthy threshold: how long a target that went unhealthy takes to be healthy
    /// again once its checks pass.
    pub time_to_recover_ms: SimTimeMs,
    /// interval × unhealthy threshold: how long a healthy target's checks fail before it is
    /// unhealthy.
    pub time_to_unhealthy_ms: SimTimeMs,
    /// Target group deregistration delay (default 300 s).
    pub deregistration_delay_ms: SimTimeMs,
    pub settings: api::TargetGroupSettings,
}

/// Live counters of a service's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceCounts {
    /// Desired RUNNING and RUNNING.
    pub running: u32,
    /// Desired RUNNING and not yet RUNNING.
    pub pending: u32,
    /// Desired RUNNING, RUNNING and healthy (counts toward minimumHealthyPercent).
    pub healthy: u32,
    /// Not STOPPED (counts toward maximumPercent).
    pub live: u32,
}

impl ServiceCounts {
    /// Applies the change of one of the service's tasks' contribution.
    pub(crate) fn apply_contribution(&mut self, old: crate::state::task::Contribution, new: crate::state::task::Contribution) {
        use crate::state::task::counter_moved;
        self.running = counter_moved(self.running, old.running, new.running, "runningCount");
        self.pending = counter_moved(self.pending, old.pending, new.pending, "pendingCount");
        self.healthy = counter_moved(self.healthy, old.healthy, new.healthy, "healthy count");
        self.live = counter_moved(self.live, old.live, new.live, "live count");
    }
}

/// How long a service event that repeats the service's last one is omitted: "duplicate event
/// messages are omitted until either the cause is resolved or six hours passes. If the cause is not
/// resolved within six hours, you will receive another service event message for that cause"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html>). A
/// different event in between is the cause resolved.
pub(crate) const DUPLICATE_EVENT_OMITTED_MS: SimTimeMs = 6 * 60 * 60 * 1000;

/// The deployment-configuration deadlock event (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html>).
pub const DEADLOCK_EVENT_SUFFIX: &str = "was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.";

/// Why a service fell below its floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BreachCause {
    /// `forcedDeregistration`.
    ForcedDeregistration,
    /// `taskFailed`.
    TaskFailed,
    /// `preExistingDeficit`.
    PreExistingDeficit,
    /// `agentDisconnected`.
    AgentDisconnected,
    /// A user's StopTask of a healthy task.
    UserStoppedTask,
    /// EC2 interrupted (terminated) the Spot Instance the task ran on.
    SpotInterruption,
    /// A healthy task's health checks began to fail (`healthCheckFailed`).
    HealthCheckFailed,
}

impl BreachCause {
    /// Every cause.
    pub const ALL: [BreachCause; 7] = [
        BreachCause::ForcedDeregistration,
        BreachCause::TaskFailed,
        BreachCause::PreExistingDeficit,
        BreachCause::AgentDisconnected,
        BreachCause::UserStoppedTask,
        BreachCause::SpotInterruption,
        BreachCause::HealthCheckFailed,
    ];

    /// The cause as the report spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            BreachCause::ForcedDeregistration => "forcedDeregistration",
            BreachCause::TaskFailed => "taskFailed",
            BreachCause::PreExistingDeficit => "preExistingDeficit",
            BreachCause::AgentDisconnected => "agentDisconnected",
            BreachCause::UserStoppedTask => "userStoppedTask",
            BreachCause::SpotInterruption => "spotInterruption",
            BreachCause::HealthCheckFailed => "healthCheckFailed",
        }
    }
}

/// Why a service stalled: work was left, nothing was in flight and its last pass changed nothing.
/// [`Display`](std::fmt::Display) gives the reason as drainsim reports it: ECS's placement failure
/// reason (`RESOURCE:MEMORY`, ...), `deploymentConfiguration` (ECS's deployment-configuration event:
/// minimumHealthyPercent and maximumPercent leave no legal move) or `TaskFailedToStart` (the
/// failed-start back-off holds starts back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StallReason {
    /// No instance met the task's requirements.
    Placement(crate::placement::PlacementFailureReason),
    /// minimumHealthyPercent and maximumPercent leave no legal stop or start.
    DeploymentConfiguration,
    /// Tasks failed to start, and the scheduler is backing off.
    StartThrottled,
    /// No instance of the task's capacity provider has room, and the provider's managed scaling
    /// is ENABLED: the tasks wait PROVISIONING for the group to scale out
    /// ([`crate::ServiceView::tasks_provisioning`]).
    Provisioning,
}

impl StallReason {
    /// Every reason: each placement failure reason, then the three of the scheduler's own.
    pub fn all() -> impl Iterator<Item = StallReason> {
        crate::placement::PlacementFailureReason::ALL.into_iter().map(StallReason::Placement).chain([
            StallReason::DeploymentConfiguration,
            StallReason::StartThrottled,
            StallReason::Provisioning,
        ])
    }

    /// The reason as drainsim reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            StallReason::Placement(r) => r.as_str(),
            StallReason::DeploymentConfiguration => "deploymentConfiguration",
            StallReason::StartThrottled => "TaskFailedToStart",
            StallReason::Provisioning => "PROVISIONING",
        }
    }
}

impl std::fmt::Display for StallReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for BreachCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An episode with a start, an optional end and a reason (a [`StallReason`] or a [`BreachCause`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode<R> {
    /// When the episode started.
    pub started_at_ms: SimTimeMs,
    /// When it ended; `None` while it lasts.
    pub ended_at_ms: Option<SimTimeMs>,
    /// Why it happened.
    pub reason: R,
}

impl<R: std::fmt::Display> std::fmt::Display for Episode<R> {
    /// `RESOURCE:MEMORY from 120000 ms to 150000 ms`, or `... from 120000 ms, not over`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ended_at_ms {
            Some(end) => write!(f, "{} from {} ms to {end} ms", self.reason, self.started_at_ms),
            None => write!(f, "{} from {} ms, not over", self.reason, self.started_at_ms),
        }
    }
}

/// What a placement stall's failure was, when it began.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StallDetail {
    /// Every requirement the closest instance did not meet.
    pub unmet: Vec<crate::placement::PlacementFailureReason>,
    /// For a `memberOf` stall, what the closest instance the constraints allow lacked
    /// ([`crate::placement::PlacementFailure::allowed_unmet`]).
    pub allowed_unmet: Vec<crate::placement::PlacementFailureReason>,
    /// The capacity provider whose instances the task could run on (a service with a capacity
    /// provider strategy; None otherwise).
    pub capacity_provider: Option<Sym>,
}

/// An instant a service was below its healthy floor: how many tasks were healthy, the floor it
/// was judged against then, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloorDip {
    /// Tasks that counted toward `minimumHealthyPercent` then.
    pub healthy: u32,
    /// The floor then (after a scale-up, until the service is steady again, the floor of the count
    /// it was steady at: docs/draining.md, "Observations").
    pub floor: u32,
    /// When, in simulated milliseconds.
    pub at_ms: SimTimeMs,
}

impl FloorDip {
    /// How many healthy tasks it was below the floor.
    pub fn depth(&self) -> u32 {
        self.floor - self.healthy
    }
}

/// What drainsim observed of a service during the run (the report's service section).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceObservations {
    pub min_healthy_observed: Option<u32>,
    /// The floor when `min_healthy_observed` was last seen (a DAEMON's, or an updated service's,
    /// floor follows its desired count). Set with `min_healthy_observed` and read only when that
    /// is, as is `desired_at_min_healthy`: not `Option`s of their own, so the record stays small.
    pub floor_at_min_healthy: u32,
    /// The desired count that floor was of (the watched one: after a scale-up, until steady, the
    /// count the service was steady at). With it a plan that lowers `minimumHealthyPercent` shows
    /// what it costs, which no dip below its own lower floor does.
    pub desired_at_min_healthy: u32,
    pub max_tasks_observed: Option<u32>,
    /// The ceiling when `max_tasks_observed` was last seen.
    pub ceiling_at_max_tasks: Option<u32>,
    /// The highest ceiling the service has had since it was created (kept by [`Services`]'
    /// mutators of `desiredCount` and `maximumPercent`): the tasks a scale-in stops still run, and
    /// count, after the ceiling came down.
    pub highest_ceiling: u32,
    /// Failed placement attempts by reason.
    pub placement_failures: BTreeMap<crate::placement::PlacementFailureReason, u64>,
    /// Failed placement attempts, all reasons, made before its cluster's first drain began
    /// (start-up: trunked instances still REGISTERING, say): no cost of a drain plan.
    pub placement_failures_before_first_drain: u64,
    /// Tasks whose agent held them in PENDING after placement, by the cause at the start of the wait.
    pub agent_waits: BTreeMap<crate::state::task::AgentWaitCause, AgentWaitTally>,
    pub stalls: Vec<Episode<StallReason>>,
    /// For each stall, what its placement failure was (a placement stall; empty for the others).
    pub stall_details: Vec<StallDetail>,
    pub floor_breaches: Vec<Episode<BreachCause>>,
    pub tasks_moved_more_than_once: u32,
    /// Tasks found UNHEALTHY: adopted so, or failing their health checks during the run
    /// ([`Services::note_unhealthy`]). The service replaces each.
    pub unhealthy_tasks: u32,
    /// Tasks moved by Availability Zone rebalancing (each a task started in one zone and a task
    /// stopped in another).
    pub az_rebalancing_moves: u32,
    pub steady_state_at_ms: Option<SimTimeMs>,
    /// Running, healthy and pending tasks at the end of each instant they changed (at most
    /// [`MAX_SERIES_POINTS`]; the series says whether the rest were left out).
    pub series: Series,
}

/// The most points a service's time series keeps (2.4 MB as points; usually a fifth of that as
/// the series keeps them).
pub const MAX_SERIES_POINTS: usize = 100_000;

/// A service's task counts at the end of an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeriesPoint {
    /// The instant.
    pub at_ms: SimTimeMs,
    /// Tasks RUNNING and wanted RUNNING (`runningCount`).
    pub running: u32,
    /// Healthy tasks (they count toward `minimumHealthyPercent`).
    pub healthy: u32,
    /// Tasks not yet RUNNING and wanted RUNNING (`pendingCount`).
    pub pending: u32,
    /// Tasks not STOPPED, those told to stop included: what `maximumPercent` bounds.
    pub not_stopped: u32,
}

impl ServiceObservations {
    /// Ends the open stall and the open floor breach, if any, at `now_ms`: a deleted service has no
    /// work left, which ends a stall, and its desired count is 0, so its floor is 0 and no
    /// healthy count is below it, which ends a breach (docs/draining.md, "Stalls and the deadlock
    /// event" and "Observations").
    pub(crate) fn end_open_episodes(&mut self, now_ms: SimTimeMs) {
        for end in
            [self.stalls.last_mut().map(|e| &mut e.ended_at_ms), self.floor_breaches.last_mut().map(|e| &mut e.ended_at_ms)]
                .into_iter()
                .flatten()
        {
            if end.is_none() {
                *end = Some(now_ms);
            }
        }
    }

    /// Notes the counts at the end of an instant, if they changed since the last point.
    pub(crate) fn note_counts(&mut self, at_ms: SimTimeMs, counts: ServiceCounts) {
        let ServiceCounts { running, healthy, pending, live } = counts;
        self.series.note(SeriesPoint { at_ms, running, healthy, pending, not_stopped: live }, MAX_SERIES_POINTS);
    }
}

/// A service's time series, kept small: a service's counts change at most instants of a drain
/// with jittered timings, and as 24-byte points the series of 1,000 services took over a third
/// of the heap of a 20,000-instance drain (docs/performance.md, twenty-fifth pass). Every point but the newest is stored
/// as its difference from the one before, in LEB128 varints: the time since the point before,
/// then each count's change, zigzag-encoded (usually one byte each). The newest point stays
/// whole, since a later sample of the same instant replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Series {
    /// The points before `last`, each relative to the one before it (the first to zero counts at
    /// time 0).
    encoded: Vec<u8>,
    /// How many points `encoded` holds.
    encoded_points: u32,
    /// The last point in `encoded` (zero counts at time 0 while it holds none).
    last_encoded: SeriesPoint,
    /// The newest point.
    last: Option<SeriesPoint>,
    /// Whether points were left out at [`MAX_SERIES_POINTS`].
    truncated: bool,
}

impl Series {
    /// How many points the series holds.
    pub(crate) fn len(&self) -> usize {
        self.encoded_points as usize + usize::from(self.last.is_some())
    }

    /// Whether points were left out at [`MAX_SERIES_POINTS`].
    pub(crate) fn truncated(&self) -> bool {
        self.truncated
    }

    /// Notes the counts at the end of an instant: nothing if they are the newest point's, the
    /// newest point replaced if it is of the same instant, else a new point (or, with `bound`
    /// points already, none and the series marked truncated).
    fn note(&mut self, point: SeriesPoint, bound: usize) {
        match self.last {
            Some(last) if SeriesPoint { at_ms: last.at_ms, ..point } == last => {}
            Some(last) if last.at_ms == point.at_ms => self.last = Some(point),
            _ if self.len() >= bound => self.truncated = true,
            _ => self.push(point),
        }
    }

    /// Appends a point later than the newest.
    fn push(&mut self, point: SeriesPoint) {
        if let Some(last) = self.last {
            assert!(point.at_ms > last.at_ms, "series points are in time order");
            encode_point_delta(&mut self.encoded, self.last_encoded, last);
            self.encoded_points = self.encoded_points.checked_add(1).expect("at most MAX_SERIES_POINTS points");
            self.last_encoded = last;
        }
        self.last = Some(point);
    }

    /// The points, oldest first.
    pub(crate) fn points(&self) -> SeriesPoints<'_> {
        SeriesPoints {
            encoded: &self.encoded,
            encoded_left: self.encoded_points,
            before: SeriesPoint::default(),
            last: self.last,
        }
    }
}

/// Appends `point` as its difference from `before` (see [`Series`]).
fn encode_point_delta(out: &mut Vec<u8>, before: SeriesPoint, point: SeriesPoint) {
    let since_ms = point.at_ms.checked_sub(before.at_ms).expect("series points are in time order");
    push_varint(out, since_ms);
    for (old, new) in [
        (before.running, point.running),
        (before.healthy, point.healthy),
        (before.pending, point.pending),
        (before.not_stopped, point.not_stopped),
    ] {
        let change = i64::from(new) - i64::from(old);
        push_varint(out, ((change << 1) ^ (change >> 63)) as u64);
    }
}

/// LEB128: seven bits a byte, the low ones first, the high bit set on all but the last byte.
fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Reads a varint [`push_varint`] wrote at the start of `bytes`, and moves past it.
fn take_varint(bytes: &mut &[u8]) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let (&byte, rest) = bytes.split_first().expect("a series point is whole");
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

/// The points of a [`Series`], oldest first.
#[derive(Debug, Clone)]
pub(crate) struct SeriesPoints<'a> {
    encoded: &'a [u8],
    encoded_left: u32,
    before: SeriesPoint,
    last: Option<SeriesPoint>,
}

impl Iterator for SeriesPoints<'_> {
    type Item = SeriesPoint;

    fn next(&mut self) -> Option<SeriesPoint> {
        if self.encoded_left == 0 {
            return self.last.take();
        }
        self.encoded_left -= 1;
        let b = self.before;
        let since_ms = take_varint(&mut self.encoded);
        let mut count = |old: u32| {
            let zigzag = take_varint(&mut self.encoded);
            let change = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
            u32::try_from(i64::from(old) + change).expect("a series count fits in 32 bits")
        };
        let point = SeriesPoint {
            at_ms: b.at_ms + since_ms,
            running: count(b.running),
            healthy: count(b.healthy),
            pending: count(b.pending),
            not_stopped: count(b.not_stopped),
        };
        self.before = point;
        Some(point)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.encoded_left as usize + usize::from(self.last.is_some());
        (n, Some(n))
    }
}

impl ExactSizeIterator for SeriesPoints<'_> {}

/// How long a service's tasks waited in PENDING for their agent, for one cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentWaitTally {
    /// Tasks that waited.
    pub tasks: u64,
    /// Their waits, summed, in milliseconds.
    pub total_wait_ms: SimTimeMs,
    /// The longest wait, in milliseconds.
    pub longest_wait_ms: SimTimeMs,
}

impl AgentWaitTally {
    /// Counts one more wait of `waited_ms`.
    pub(crate) fn add(&mut self, waited_ms: SimTimeMs) {
        self.tasks = self.tasks.checked_add(1).expect("fewer than 2^64 waits");
        self.total_wait_ms = self.total_wait_ms.saturating_add(waited_ms);
        self.longest_wait_ms = self.longest_wait_ms.max(waited_ms);
    }
}

/// A service's staying tasks (as [`SpreadCounts`] counts them) by Availability Zone, each zone's in
/// stop order, kept while `availabilityZoneRebalancing` is ENABLED: a rebalancing move reads the
/// zones' counts and stops the fullest zone's first task in stop order
/// (`engine/rebalance.rs`), without reading the service's tasks. Derived from the tasks (a task's
/// key changes only when it becomes healthy): not part of the cluster's canonical state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneStopOrder {
    per_zone: BTreeMap<Sym, std::collections::BTreeSet<PackedStopKey>>,
}

/// A [`StopKey`](crate::state::task::StopKey) with its 128-bit task ID in two halves, which
/// compare as it does: 32 bytes instead of 48 (a `u128` aligns the tuple to 16).
type PackedStopKey = (bool, SimTimeMs, u64, u64, TaskId);

fn packed((healthy, created_at_ms, uuid, task): crate::state::task::StopKey) -> PackedStopKey {
    (healthy, created_at_ms, (uuid >> 64) as u64, uuid as u64, task)
}

/// Where a staying task is filed in a [`ZoneStopOrder`]: its instance's zone and its stop key.
pub(crate) type ZonePlace = (Sym, crate::state::task::StopKey);

impl ZoneStopOrder {
    /// The order of `staying`: each task with its place.
    pub(crate) fn of(staying: impl IntoIterator<Item = ZonePlace>) -> Self {
        let mut order = ZoneStopOrder::default();
        for place in staying {
            order.insert(place);
        }
        order
    }

    /// The staying tasks in `zone`.
    pub(crate) fn tasks_in(&self, zone: Sym) -> usize {
        self.per_zone.get(&zone).map_or(0, |keys| keys.len())
    }

    /// The staying tasks of `zone`, in stop order.
    pub(crate) fn in_stop_order(&self, zone: Sym) -> impl Iterator<Item = TaskId> + '_ {
        self.per_zone.get(&zone).into_iter().flatten().map(|k| k.4)
    }

    /// Whether `key` is filed under `zone`.
    pub(crate) fn contains(&self, zone: Sym, key: crate::state::task::StopKey) -> bool {
        self.per_zone.get(&zone).is_some_and(|keys| keys.contains(&packed(key)))
    }

    /// The tasks in all zones.
    pub(crate) fn len(&self) -> usize {
        self.per_zone.values().map(|keys| keys.len()).sum()
    }

    fn insert(&mut self, (zone, key): ZonePlace) {
        let fresh = self.per_zone.entry(zone).or_default().insert(packed(key));
        assert!(fresh, "a task joins its zone's stop order once");
    }

    /// Takes a task out of its zone's order. Its key is the one it was filed under: a staying
    /// task's key changes only when it becomes healthy, and the engine files it again then; it
    /// leaves the staying ones before it is told to stop (which clears its health).
    fn remove(&mut self, (zone, key): ZonePlace) {
        let keys = self.per_zone.get_mut(&zone).expect("a staying task's zone is in the order");
        assert!(keys.remove(&packed(key)), "a staying task is in its zone's stop order under its key");
        if keys.is_empty() {
            self.per_zone.remove(&zone);
        }
    }
}

#[cfg(test)]
mod zone_stop_order_tests {
    use super::*;

    #[test]
    fn packed_keys_keep_the_stop_order_and_are_small() {
        assert_eq!(std::mem::size_of::<PackedStopKey>(), 32);
        let keys: Vec<crate::state::task::StopKey> = vec![
            (false, 5, u128::MAX, TaskId(9)),
            (false, 5, 1 << 64, TaskId(3)),
            (false, 5, (1 << 64) - 1, TaskId(4)),
            (false, 7, 0, TaskId(1)),
            (true, 0, 2, TaskId(2)),
            (true, 0, 1 << 100, TaskId(0)),
        ];
        let mut sorted = keys.clone();
        sorted.sort();
        let mut by_packed = keys;
        by_packed.sort_by_key(|k| packed(*k));
        assert_eq!(sorted, by_packed);
    }
}

/// A big service's drain candidates — its tasks not told to stop on DRAINING instances — in stop
/// order ([`StopKey`](crate::state::task::StopKey): unhealthy first, then oldest, then by task
/// ID; docs/ecs-choices.md), so that a REPLICA pass reads the unhealthy ones and as many healthy
/// ones as the floor lets it stop, not every candidate: with start and health times that vary
/// (`jitterPercent`), replacements turn healthy one instant at a time, and a pass per instant that
/// read all candidates made a drain of a big service quadratic. A candidate's key changes only when
/// it turns healthy (the engine files it again then); it is told to stop, which clears its health,
/// after it leaves. Derived from the tasks: not part of the cluster's canonical state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainCandidates {
    keys: std::collections::BTreeSet<PackedStopKey>,
}

impl DrainCandidates {
    /// The candidates with these keys.
    pub(crate) fn of(keys: impl IntoIterator<Item = crate::state::task::StopKey>) -> Self {
        DrainCandidates { keys: keys.into_iter().map(packed).collect() }
    }

    /// How many there are.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The unhealthy candidates, in stop order.
    pub(crate) fn unhealthy(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.keys.iter().take_while(|k| !k.0).map(|k| k.4)
    }

    /// The first `n` healthy candidates in stop order (fewer if there are fewer).
    pub(crate) fn first_healthy(&self, n: usize) -> impl Iterator<Item = TaskId> + '_ {
        self.keys.range((true, 0, 0, 0, TaskId(0))..).take(n).map(|k| k.4)
    }

    /// Whether these are exactly the candidates with `keys`.
    pub(crate) fn are(&self, keys: impl IntoIterator<Item = crate::state::task::StopKey>) -> bool {
        self.keys.iter().copied().eq(keys.into_iter().map(packed).collect::<std::collections::BTreeSet<_>>())
    }

    fn insert(&mut self, key: crate::state::task::StopKey) {
        self.keys.insert(packed(key));
    }

    fn remove(&mut self, key: crate::state::task::StopKey) -> bool {
        self.keys.remove(&packed(key))
    }
}

#[cfg(test)]
mod drain_candidates_tests {
    use super::*;

    #[test]
    fn candidates_give_the_unhealthy_then_the_first_healthy_in_stop_order() {
        let mut c = DrainCandidates::of([
            (true, 10, 5, TaskId(1)),
            (false, 20, 1, TaskId(2)),
            (true, 10, 3, TaskId(3)),
            (false, 5, 9, TaskId(4)),
            (true, 30, 0, TaskId(5)),
        ]);
        assert_eq!(c.len(), 5);
        assert_eq!(c.unhealthy().collect::<Vec<_>>(), [TaskId(4), TaskId(2)]);
        assert_eq!(c.first_healthy(2).collect::<Vec<_>>(), [TaskId(3), TaskId(1)]);
        assert_eq!(c.first_healthy(9).count(), 3);
        // Turning healthy moves a candidate among the healthy, by age.
        assert!(c.remove((false, 5, 9, TaskId(4))));
        c.insert((true, 5, 9, TaskId(4)));
        assert_eq!(c.unhealthy().collect::<Vec<_>>(), [TaskId(2)]);
        assert_eq!(c.first_healthy(1).collect::<Vec<_>>(), [TaskId(4)]);
        assert!(!c.remove((false, 5, 9, TaskId(4))), "a key it is no longer filed under");
        assert!(c.are([
            (true, 5, 9, TaskId(4)),
            (false, 20, 1, TaskId(2)),
            (true, 10, 3, TaskId(3)),
            (true, 10, 5, TaskId(1)),
            (true, 30, 0, TaskId(5))
        ]));
        assert!(!c.are([(true, 5, 9, TaskId(4))]));
    }
}

/// Where a service's *staying* tasks are — tasks not told to stop, on instances that are not
/// DRAINING — kept up to date on every launch, stop and drain, so that spread placement needs no
/// scan of the service's tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpreadCounts {
    /// Whether the per-instance counts below are kept. Only spread by instance (or by an attribute
    /// other than the zone) reads them, and on a big cluster they cost more than the service's tasks.
    pub tracks_instances: bool,
    /// Staying tasks per instance (instances with none are absent), probed without a tree search.
    pub per_instance: InstanceCounts,
    /// The same pairs ordered by count.
    pub by_count: std::collections::BTreeSet<(u32, InstanceId)>,
    /// Staying tasks per Availability Zone.
    pub per_az: BTreeMap<Sym, u32>,
    /// Staying tasks in all: the tasks the service wants that are not on a DRAINING instance
    /// (what a pass compares with `desiredCount`, without visiting the service's tasks).
    pub staying: u32,
    /// The attribute other than the zone that a service's placement spreads by, when it does: its
    /// staying tasks are then also counted by the value of it of their instance (`None` below:
    /// the instance lacks the attribute or it has no value). The engine counts the tasks on an
    /// instance out and back in around a change of its attributes.
    pub value_attribute: Option<Sym>,
    /// Staying tasks per value of `value_attribute`.
    pub per_value: BTreeMap<Option<Sym>, u32>,
    /// Instances holding staying tasks, per value of `value_attribute`.
    pub occupied_per_value: BTreeMap<Option<Sym>, u32>,
    /// The instances holding staying tasks by value, then by count: a value's instance with the
    /// fewest tasks first.
    pub by_value_count: std::collections::BTreeSet<(Option<Sym>, u32, InstanceId)>,
    /// The occupied instances with room for one size class, by count, once spread placement
    /// passed over many without room ([`RoomOrder`]). Derived from the counts and the
    /// instances' room: not part of [`SpreadCounts::same_counts`].
    pub room: Option<Box<RoomOrder>>,
    /// How many occupied (or, with distinctInstance, unfitting) members the owner's walks have
    /// passed over in all: its room order keeps the unoccupied members once this passes a few
    /// times the pool's size (their upkeep costs a move at every change of a member's room, which
    /// a few long walks do not repay). Not part of [`SpreadCounts::same_counts`].
    pub walked_past: u64,
    /// How many times an instance stopped holding a staying task of the owner: a member it
    /// occupied may have become free. With the placement index's joins, what
    /// `no_free_members` is checked against. Not part of [`SpreadCounts::same_counts`].
    pub vacated: u64,
    /// The pools whose every member searches found occupied by the owner since the last change
    /// that could free one ([`NoFreeMembers`]). Not part of [`SpreadCounts::same_counts`].
    pub no_free_members: Option<Box<NoFreeMembers>>,
    /// The counted values in the order spread by `value_attribute` visits them, once a spread
    /// read it ([`ValueOrder`]). Derived from `per_value` and the attribute's ranks: not part of
    /// [`SpreadCounts::same_counts`].
    pub value_order: Option<Box<ValueOrder>>,
}

/// Most changes of counts by value an owner notes for its [`ValueOrder`] between two spreads
/// beyond the values it counts: past them it rebuilds the order from its counts instead.
pub const VALUE_CHANGES_NOTED: usize = 64;

/// An owner's values of `value_attribute` with staying tasks, ordered by (count, rank): with the
/// placement index's bits of the values a size class holds ([`crate::placement::RankBits`]),
/// the order spread by an attribute visits values in — the fewest of the owner's tasks first,
/// ties in the values' text order — without sorting every value at each placement
/// ([`ValueOrder::visit`]). Counts change through [`SpreadCounts::adjust_at`], which notes the
/// value; [`SpreadCounts::sync_value_order`] files the noted values again before a spread reads
/// the order, and rebuilds it when the ranks were given anew.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueOrder {
    /// The epoch of the ranks the order is filed by ([`crate::placement::ValueRanks::epoch`]).
    epoch: u64,
    /// (count, rank) of each filed value.
    by_count: std::collections::BTreeSet<(u32, u32)>,
    /// A bit per rank of the filed values.
    counted: crate::placement::RankBits,
    /// The count each value is filed with: the values with a rank and staying tasks.
    filed: BTreeMap<Option<Sym>, u32>,
    /// Values whose count changed since the order was last synced (at most
    /// [`VALUE_CHANGES_NOTED`] beyond the values counted).
    changed: Vec<Option<Sym>>,
    /// Whether more changes came than `changed` keeps: the order is rebuilt.
    stale: bool,
}

impl ValueOrder {
    fn note_change(&mut self, value: Option<Sym>, values_counted: usize) {
        if self.stale {
            return;
        }
        if self.changed.len() >= values_counted.saturating_add(VALUE_CHANGES_NOTED) {
            self.stale = true;
            self.changed = Vec::new();
        } else {
            self.changed.push(value);
        }
    }
    /// Files `value` with its count `now` (unfiled at 0, or without a rank).
    fn refile(&mut self, value: Option<Sym>, now: u32, ranks: &crate::placement::ValueRanks) {
        let Some(rank) = ranks.rank(value) else {
            assert!(!self.filed.contains_key(&value), "a filed value has a rank");
            return;
        };
        if let Some(old) = self.filed.remove(&value) {
            assert!(self.by_count.remove(&(old, rank)), "a filed value is ordered by its filed count");
            self.counted.set(rank, false);
        }
        if now > 0 {
            self.filed.insert(value, now);
            self.by_count.insert((now, rank));
            self.counted.set(rank, true);
        }
    }
    /// The values of a size class (`present`: its bits of the values it holds, of the same ranks)
    /// in the order spread visits them: those without a staying task of the owner in rank order,
    /// then the rest by (count, rank). Synced first ([`SpreadCounts::sync_value_order`]).
    pub(crate) fn visit<'a>(
        &'a self,
        present: &'a crate::placement::RankBits,
        ranks: &'a crate::placement::ValueRanks,
    ) -> impl Iterator<Item = Option<Sym>> + 'a {
        debug_assert!(self.epoch == ranks.epoch && present.epoch == ranks.epoch && !self.stale && self.changed.is_empty());
        let unoccupied = present.words.iter().enumerate().flat_map(move |(n, word)| {
            let mut left = word & !self.counted.words.get(n).copied().unwrap_or(0);
            std::iter::from_fn(move || {
                (left != 0).then(|| {
                    let bit = left.trailing_zeros();
                    left &= left - 1;
                    (n * 64) as u32 + bit
                })
            })
        });
        let occupied = self.by_count.iter().map(|(_, rank)| *rank).filter(|rank| present.get(*rank));
        unoccupied.chain(occupied).map(|rank| ranks.value(rank))
    }
}

/// A pool a spread search looks for a member the owner does not occupy in: the members of a
/// size class, in one zone or all, and (in a spread by an attribute) with one value of it: the
/// attribute and the value (`None`: lacking it).
pub type SpreadPool = (crate::placement::SizeClass, Option<Sym>, Option<(Sym, Option<Sym>)>);

/// At most this many pools are noted full at once (an attribute with a value per instance would
/// otherwise note as many as the cluster has instances).
pub const NO_FREE_POOLS: usize = 64;

/// Pools whose every member a spread search walked and found occupied by the owner, while its
/// cluster's placement index had counted `joins` and the owner `vacated`
/// (`PlacementIndex::joins`, `SpreadCounts::vacated`). While both are unchanged no instance has
/// joined a class or changed value and none the owner occupied has become free, so every member
/// of these pools is still occupied and the next search need not walk them (an owner whose tasks
/// fill every member would otherwise walk the pool at every placement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFreeMembers {
    pub joins: u64,
    pub vacated: u64,
    pub pools: std::collections::BTreeSet<SpreadPool>,
}

/// Where a staying task is counted: its instance, the instance's zone, its value of the owner's
/// `value_attribute` (when it has one), whether the instance is now a member of the size class
/// of the owner's [`RoomOrder`] (placeable with room for it; ignored without one), and its free
/// memory and CPU as the placement index keys them (read with `in_room_class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadPlace {
    pub instance: InstanceId,
    pub az: Sym,
    pub value: Option<Sym>,
    pub in_room_class: bool,
    pub keys: RoomKeys,
}

/// An instance's free memory and CPU as the placement index keys them: what a [`RoomOrder`]
/// files the members its owner does not occupy by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomKeys {
    pub memory: i32,
    pub cpu: i32,
}

/// The instances an owner occupies that have room for one size class (members of the class in
/// the cluster's placement index), ordered by the owner's staying tasks on them, within each pool
/// its spread by instance picks in ([`RoomPools`]).
///
/// Spread by instance, once every member of its pool holds a task of the owner, takes the member
/// holding the fewest. The owner's instances in order of their counts (`SpreadCounts::by_count`,
/// or `by_value_count` within an attribute's value) also hold the instances without room, which
/// other services' tasks may have filled (a binpack service beside a spread one fills instance
/// after instance): a walk passes over all of them, and does so again at the next placement. This
/// order holds only the members, so the walk starts at the first one. The engine keeps it exact: a
/// change of a task count passes the instance's membership in ([`SpreadPlace::in_room_class`]),
/// and a change of an instance's membership (its room, or its being placeable) is passed on to
/// every owner that keeps an order ([`SpreadCounts::room_membership_changed`]).
///
/// It also keeps the members the owner does *not* occupy, by free memory (`free`): what spread by
/// instance takes first, the empty member with the most free memory. A walk of the class's
/// members from the most free memory passes over the occupied ones, which in a mixed fleet can be
/// all the big instances, every time. Filed by value, an unoccupied member moves with a change of
/// its value ([`SpreadCounts::room_member_refiled`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomOrder {
    /// The size class whose members are kept.
    pub class: crate::placement::SizeClass,
    /// What the members are filed under.
    pub pools: RoomPools,
    /// What orders the occupied members with the same count: their free memory or CPU, when a
    /// binpack rule breaks spread by instance's ties, else nothing (by instance).
    pub tie: crate::placement::SpreadTie,
    /// `(pool, staying tasks, tie key, instance)` for every occupied member of `class`
    /// ([`RoomOrder::entry`]).
    pub entries: std::collections::BTreeSet<RoomEntry>,
    /// `(pool, free memory as the index keys it, instance)` for every member of `class` the owner
    /// does not occupy, once a placement reads them ([`RoomFree`]): every change of such a
    /// member's room moves it, which an order only the fewest-tasks phase reads would pay for
    /// nothing.
    pub free: Option<std::collections::BTreeSet<(Option<Sym>, i32, InstanceId)>>,
    /// The same members by free CPU, once binpack by CPU with distinctInstance reads them.
    pub free_by_cpu: Option<std::collections::BTreeSet<(Option<Sym>, i32, InstanceId)>>,
}

/// An occupied member of a [`RoomOrder`]: its pool, the owner's staying tasks on it, its key under
/// the order's tie-break ([`crate::placement::SpreadTie::key`]) and the instance.
pub type RoomEntry = (Option<Sym>, u32, i32, InstanceId);

/// Which of its unoccupied members a [`RoomOrder`] keeps (each level keeps the ones before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoomFree {
    /// None: only the occupied members, by count.
    Not,
    /// By free memory (`RoomOrder::free`).
    ByMemory,
    /// By free memory and by free CPU (`RoomOrder::free_by_cpu`).
    ByMemoryAndCpu,
}

/// The pools a [`RoomOrder`] files its members under: those spread by instance picks within.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomPools {
    /// One pool (`None`): spread by instance over the whole class.
    Whole,
    /// The instance's zone: spread by instance after a spread by zone.
    Zone,
    /// The instance's value of the owner's `value_attribute` (`None`: it lacks one): spread by
    /// instance within the value a spread by that attribute chose.
    Value,
}

impl RoomPools {
    /// The pool an instance in zone `az` with `value` of the owner's `value_attribute` is filed
    /// under.
    pub fn pool(self, az: Sym, value: Option<Sym>) -> Option<Sym> {
        match self {
            RoomPools::Whole => None,
            RoomPools::Zone => Some(az),
            RoomPools::Value => value,
        }
    }
}

impl RoomOrder {
    /// The pool an instance in zone `az` with `value` of the owner's `value_attribute` is filed
    /// under.
    pub fn pool(&self, az: Sym, value: Option<Sym>) -> Option<Sym> {
        self.pools.pool(az, value)
    }

    /// The members in pool `pool`, fewest tasks first (ties: by the order's tie-break, then the
    /// lower instance ID), as `(count, instance)`.
    pub fn in_pool(&self, pool: Option<Sym>) -> impl Iterator<Item = (u32, InstanceId)> + '_ {
        self.entries
            .range((pool, 0, i32::MIN, InstanceId(0))..=(pool, u32::MAX, i32::MAX, InstanceId(u32::MAX)))
            .map(|(_, n, _, id)| (*n, *id))
    }

    /// The entry of an occupied member filed under `pool`, holding `tasks` of the owner's staying
    /// tasks, with `keys`.
    pub fn entry(&self, pool: Option<Sym>, tasks: u32, keys: RoomKeys, instance: InstanceId) -> RoomEntry {
        (pool, tasks, self.tie.key(keys.memory, keys.cpu), instance)
    }

    /// The members in pool `pool` the owner does not occupy, most free memory first (ties: the
    /// higher instance ID), if the order keeps them.
    pub fn free_in_pool(&self, pool: Option<Sym>) -> Option<impl Iterator<Item = InstanceId> + '_> {
        Some(self.free_least_first(pool, false)?.rev())
    }

    /// Which unoccupied members the order keeps.
    pub fn keeps_free(&self) -> RoomFree {
        match (&self.free, &self.free_by_cpu) {
            (None, _) => RoomFree::Not,
            (Some(_), None) => RoomFree::ByMemory,
            (Some(_), Some(_)) => RoomFree::ByMemoryAndCpu,
        }
    }

    /// Files an unoccupied member under `pool` with `keys` (where the order keeps them); false if
    /// it was filed already.
    fn file_free(&mut self, pool: Option<Sym>, keys: RoomKeys, instance: InstanceId) -> bool {
        if let Some(by_cpu) = &mut self.free_by_cpu {
            by_cpu.insert((pool, keys.cpu, instance));
        }
        self.free.as_mut().is_none_or(|f| f.insert((pool, keys.memory, instance)))
    }

    /// Takes an unoccupied member filed under `pool` with `keys` out (where the order keeps
    /// them); false if it was not filed.
    fn unfile_free(&mut self, pool: Option<Sym>, keys: RoomKeys, instance: InstanceId) -> bool {
        let by_cpu = self.free_by_cpu.as_mut().is_none_or(|f| f.remove(&(pool, keys.cpu, instance)));
        self.free.as_mut().is_none_or(|f| f.remove(&(pool, keys.memory, instance))) && by_cpu
    }

    /// The members in pool `pool` the owner does not occupy, least free memory (CPU when `by_cpu`)
    /// first (ties: the lower instance ID), as binpack reads them, if the order keeps them so.
    pub fn free_least_first(&self, pool: Option<Sym>, by_cpu: bool) -> Option<impl DoubleEndedIterator<Item = InstanceId> + '_> {
        let free = if by_cpu { self.free_by_cpu.as_ref()? } else { self.free.as_ref()? };
        Some(free.range((pool, i32::MIN, InstanceId(0))..=(pool, i32::MAX, InstanceId(u32::MAX))).map(|(_, _, id)| *id))
    }
}

// A hash map is allowed here alone (clippy.toml keeps hash order out of outputs): it is only
// probed, its equality ignores order, and `InstanceCounts` lists its pairs sorted (`sorted`, and
// its `Debug`).
#[allow(clippy::disallowed_types)]
type ProbedCounts = std::collections::HashMap<InstanceId, u32, std::hash::BuildHasherDefault<crate::infra::fnv::FnvWordHasher>>;

/// An owner's staying tasks per instance it occupies (instances with none are absent), probed in
/// constant time and sized by its members (one per instance the owner occupies, not per instance
/// of the cluster): spread placement asks "does the owner hold a task here, and how many?" of
/// many candidates. Its pairs come out only sorted by instance ([`InstanceCounts::sorted`]), so
/// its hash order reaches no output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct InstanceCounts {
    counts: ProbedCounts,
}

impl std::fmt::Debug for InstanceCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl InstanceCounts {
    /// The owner's staying tasks on `instance` (0 when it holds none there).
    pub fn get(&self, instance: InstanceId) -> u32 {
        self.counts.get(&instance).copied().unwrap_or(0)
    }

    /// Whether the owner holds a staying task on `instance`.
    pub fn contains(&self, instance: InstanceId) -> bool {
        self.counts.contains_key(&instance)
    }

    /// How many instances the owner occupies.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Sets the owner's staying tasks on `instance` (0 takes the instance out).
    fn set(&mut self, instance: InstanceId, tasks: u32) {
        if tasks > 0 {
            self.counts.insert(instance, tasks);
        } else {
            self.counts.remove(&instance);
        }
    }

    /// The counts summed by a key of their instance (a value of one of its attributes): a sum,
    /// so the order the pairs are visited in (the hash's) shows in nothing, as long as `key_of`
    /// only reads.
    pub fn sum_by<K: Ord>(&self, key_of: impl Fn(InstanceId) -> K) -> BTreeMap<K, u32> {
        let mut sums = BTreeMap::new();
        for (instance, n) in &self.counts {
            let sum: &mut u32 = sums.entry(key_of(*instance)).or_insert(0);
            *sum = sum.checked_add(*n).expect("fewer than 2^32 staying tasks");
        }
        sums
    }

    /// The occupied instances and their counts, by instance.
    pub fn sorted(&self) -> Vec<(InstanceId, u32)> {
        let mut pairs: Vec<(InstanceId, u32)> = self.counts.iter().map(|(i, n)| (*i, *n)).collect();
        pairs.sort_unstable();
        pairs
    }
}

impl SpreadCounts {
    /// Whether two counts agree, a zero count and an absent key alike (the per-zone and per-value
    /// maps keep a key whose count fell to zero). What `check_invariants` compares a recount with,
    /// without copying either.
    pub(crate) fn same_counts(&self, other: &SpreadCounts) -> bool {
        fn nonzero_equal<K: Ord>(a: &BTreeMap<K, u32>, b: &BTreeMap<K, u32>) -> bool {
            a.iter().filter(|(_, n)| **n > 0).eq(b.iter().filter(|(_, n)| **n > 0))
        }
        // Destructured, so a new field cannot be left out of the comparison.
        let SpreadCounts {
            tracks_instances,
            per_instance,
            by_count,
            per_az,
            staying,
            value_attribute,
            per_value,
            occupied_per_value,
            by_value_count,
            room: _,
            walked_past: _,
            vacated: _,
            no_free_members: _,
            value_order: _,
        } = self;
        *tracks_instances == other.tracks_instances
            && *per_instance == other.per_instance
            && *by_count == other.by_count
            && nonzero_equal(per_az, &other.per_az)
            && *staying == other.staying
            && *value_attribute == other.value_attribute
            && nonzero_equal(per_value, &other.per_value)
            && nonzero_equal(occupied_per_value, &other.occupied_per_value)
            && *by_value_count == other.by_value_count
    }

    /// Empty counts; `tracks_instances` says whether per-instance counts are kept.
    pub fn new(tracks_instances: bool) -> Self {
        SpreadCounts { tracks_instances, ..Default::default() }
    }

    /// Empty counts of a service with these strategies: per instance when they need it
    /// ([`SpreadCounts::needed_by`]) or when the service places with `distinctInstance`
    /// (`distinct`: a room order then keeps the instances it does not occupy, which are the only
    /// ones its tasks fit), and per value of the attribute they spread by (other than the zone,
    /// which `per_az` counts) when the strategy that picks spreads by one.
    pub(crate) fn for_strategies(strategies: &[crate::placement::Strategy], az_attribute: Sym, distinct: bool) -> Self {
        let value_attribute = match crate::placement::deciding_strategy(strategies, az_attribute) {
            crate::placement::Strategy::SpreadAttribute(a) => Some(a),
            _ => None,
        };
        let tracks_instances = Self::needed_by(strategies, az_attribute) || distinct;
        SpreadCounts { tracks_instances, value_attribute, ..Default::default() }
    }

    /// Whether a service with these strategies needs per-instance counts: the strategy that picks
    /// among the candidates ([`crate::placement::deciding_strategy`]) spreads — by instance, or by
    /// an attribute (which counts the service's tasks per instance). A service that spreads by zone
    /// alone picks within the zone by instance.
    pub(crate) fn needed_by(strategies: &[crate::placement::Strategy], az_attribute: Sym) -> bool {
        use crate::placement::Strategy;
        matches!(
            crate::placement::deciding_strategy(strategies, az_attribute),
            Strategy::SpreadInstance | Strategy::SpreadAttribute(_)
        )
    }

    /// Starts counting the staying tasks by their instance's value of `attribute` (a task group's
    /// spread by it, when its counts are by no attribute or another), from `values`: each
    /// instance the owner occupies, with its value. Counts by another attribute, and a room order
    /// filed by its values, are dropped: a group counts by the attribute it spread by last.
    /// Returns whether a room order was dropped.
    #[must_use]
    pub(crate) fn count_by_value(&mut self, attribute: Sym, values: &[(InstanceId, Option<Sym>)]) -> bool {
        assert_ne!(self.value_attribute, Some(attribute), "already counted by this attribute");
        assert!(self.tracks_instances, "counts by value come from the counts per instance");
        assert_eq!(values.len(), self.per_instance.len(), "a value for each occupied instance");
        let mut dropped_room_order = false;
        if self.value_attribute.is_some() {
            self.per_value.clear();
            self.occupied_per_value.clear();
            self.by_value_count.clear();
            if self.room.as_ref().is_some_and(|r| r.pools == RoomPools::Value) {
                self.room = None;
                dropped_room_order = true;
            }
        }
        self.value_attribute = Some(attribute);
        self.value_order = None;
        for (instance, value) in values {
            let tasks = self.per_instance.get(*instance);
            assert!(tasks > 0, "each instance given is occupied");
            let sum = self.per_value.entry(*value).or_insert(0);
            *sum = sum.checked_add(tasks).expect("fewer than 2^32 staying tasks");
            *self.occupied_per_value.entry(*value).or_insert(0) += 1;
            self.by_value_count.insert((*value, tasks, *instance));
        }
        dropped_room_order
    }

    /// Starts keeping the members of `class` in order ([`RoomOrder`]), filed under `pools`, from
    /// `members`: every member of the class now, with its pool and keys; the unoccupied ones as
    /// `free` says. Replaces an order kept for another class or pools.
    pub(crate) fn keep_room_order(
        &mut self,
        class: crate::placement::SizeClass,
        pools: RoomPools,
        members: &[(InstanceId, Option<Sym>, RoomKeys)],
        free: RoomFree,
        tie: crate::placement::SpreadTie,
    ) {
        assert!(self.tracks_instances, "a room order is filed by the counts per instance");
        assert!(pools != RoomPools::Value || self.value_attribute.is_some(), "an order by value is filed by counted values");
        let free_by_cpu = (free == RoomFree::ByMemoryAndCpu).then(Default::default);
        let free = (free >= RoomFree::ByMemory).then(Default::default);
        let mut order = RoomOrder { class, pools, tie, entries: Default::default(), free, free_by_cpu };
        for (instance, pool, keys) in members {
            match self.per_instance.get(*instance) {
                0 => {
                    order.file_free(*pool, *keys, *instance);
                }
                n => {
                    let entry = order.entry(*pool, n, *keys, *instance);
                    order.entries.insert(entry);
                }
            }
        }
        self.room = Some(Box::new(order));
    }

    /// Whether every member of `pool` is known to be occupied by the owner: a search found it so
    /// and, with `joins` the index's count now, nothing has changed since.
    pub fn knows_no_free_member(&self, pool: SpreadPool, joins: u64) -> bool {
        self.no_free_members.as_deref().is_some_and(|n| n.joins == joins && n.vacated == self.vacated && n.pools.contains(&pool))
    }

    /// A search walked every member of `pool` and found each occupied by the owner, with the
    /// index's joins at `joins` (notes taken before a change are dropped).
    pub(crate) fn note_no_free_member(&mut self, pool: SpreadPool, joins: u64) {
        let vacated = self.vacated;
        let notes =
            self.no_free_members.get_or_insert_with(|| Box::new(NoFreeMembers { joins, vacated, pools: Default::default() }));
        if (notes.joins, notes.vacated) != (joins, vacated) {
            **notes = NoFreeMembers { joins, vacated, pools: Default::default() };
        }
        if notes.pools.len() < NO_FREE_POOLS {
            notes.pools.insert(pool);
        }
    }

    /// Adds `passed_over` to the members the owner's walks passed over; returns the total.
    pub(crate) fn note_walked_past(&mut self, passed_over: usize) -> u64 {
        self.walked_past = self.walked_past.saturating_add(passed_over as u64);
        self.walked_past
    }

    /// Stops keeping a room order (an owner that places no more tasks).
    pub(crate) fn drop_room_order(&mut self) {
        self.room = None;
    }

    /// `instance` (filed under `pool`, with `keys`) became a member of the room order's class
    /// (`member`), or stopped being one: it joins or leaves the order.
    pub(crate) fn room_membership_changed(&mut self, instance: InstanceId, pool: Option<Sym>, keys: RoomKeys, member: bool) {
        let n = self.per_instance.get(instance);
        let Some(room) = self.room.as_deref_mut() else { return };
        if n == 0 {
            if member {
                assert!(
                    room.file_free(pool, keys, instance),
                    "an unoccupied instance that just gained room was not in the room order"
                );
            } else {
                assert!(
                    room.unfile_free(pool, keys, instance),
                    "an unoccupied instance that just lost room was in the room order"
                );
            }
            return;
        }
        let entry = room.entry(pool, n, keys, instance);
        if member {
            assert!(room.entries.insert(entry), "an instance that just gained room was not in the room order");
        } else {
            assert!(room.entries.remove(&entry), "an instance that just lost room was in the room order");
        }
    }

    /// A member of the room order's class (filed under `pool`) stays one, its keys `before` now
    /// `after`: if the owner does not occupy it, it moves among the unoccupied ones; if it does,
    /// it moves within its count when the order breaks ties by the key that changed.
    pub(crate) fn room_member_rekeyed(&mut self, instance: InstanceId, pool: Option<Sym>, before: RoomKeys, after: RoomKeys) {
        let tasks = self.per_instance.get(instance);
        let Some(room) = self.room.as_deref_mut() else { return };
        if before == after {
            return;
        }
        if tasks > 0 {
            let (was, is) = (room.entry(pool, tasks, before, instance), room.entry(pool, tasks, after, instance));
            if was != is {
                assert!(room.entries.remove(&was), "an occupied member is in the room order under its keys");
                room.entries.insert(is);
            }
            return;
        }
        assert!(room.unfile_free(pool, before, instance), "an unoccupied member is in the room order");
        room.file_free(pool, after, instance);
    }

    /// A member of the room order's class that the owner does not occupy (with `keys`) moves from
    /// pool `before` to pool `after`: its value of the attribute the order is filed by changed.
    pub(crate) fn room_member_refiled(&mut self, instance: InstanceId, keys: RoomKeys, before: Option<Sym>, after: Option<Sym>) {
        assert!(!self.per_instance.contains(instance), "an instance is refiled while its tasks are counted out");
        let Some(room) = self.room.as_deref_mut() else { return };
        assert!(room.unfile_free(before, keys, instance), "an unoccupied member is in the room order");
        room.file_free(after, keys, instance);
    }

    /// What is wrong with the kept [`ValueOrder`], if anything, given the current ranks of the
    /// counted attribute (`None`: not tracked): an order of the current ranks, not stale, files
    /// every ranked value with staying tasks at its count, by (count, rank) and by bit, except
    /// values noted as changed. What `check_invariants` asks.
    pub(crate) fn value_order_fault(&self, ranks: Option<&crate::placement::ValueRanks>) -> Option<&'static str> {
        let order = self.value_order.as_deref()?;
        if self.value_attribute.is_none() {
            return Some("an order of values kept without counts by value");
        }
        let ranks = ranks.filter(|r| r.current() && r.epoch == order.epoch && !order.stale)?;
        let noted = |v: &Option<Sym>| order.changed.contains(v);
        let counted = self.per_value.iter().filter(|(v, n)| **n > 0 && ranks.rank(**v).is_some());
        if counted.clone().any(|(v, n)| order.filed.get(v) != Some(n) && !noted(v))
            || order.filed.iter().any(|(v, n)| self.per_value.get(v) != Some(n) && !noted(v))
        {
            return Some("a value filed at another count than its staying tasks, not noted as changed");
        }
        let by_count: std::collections::BTreeSet<(u32, u32)> =
            order.filed.iter().map(|(v, n)| (*n, ranks.rank(*v).expect("filed values are ranked"))).collect();
        if by_count != order.by_count {
            return Some("the order by count is not the filed counts");
        }
        let mut bits = ranks.no_bits();
        for (_, rank) in &by_count {
            if *rank as usize >= ranks.ranked() {
                return Some("a filed value past the ranks");
            }
            bits.set(*rank, true);
        }
        if bits != order.counted {
            return Some("the bits are not the filed values'");
        }
        None
    }

    /// Files the values whose counts changed since the last spread in the [`ValueOrder`] (built
    /// on the first spread, and again when `ranks` — the `value_attribute`'s — were given anew or
    /// too many changes came in between).
    pub(crate) fn sync_value_order(&mut self, ranks: &crate::placement::ValueRanks) {
        assert!(self.value_attribute.is_some(), "only counts by value keep an order of values");
        assert!(ranks.current(), "the order is filed by current ranks");
        let per_value = &self.per_value;
        let order = self.value_order.get_or_insert_with(|| Box::new(ValueOrder { stale: true, ..Default::default() }));
        if order.stale || order.epoch != ranks.epoch {
            **order = ValueOrder { epoch: ranks.epoch, counted: ranks.no_bits(), ..Default::default() };
            for (value, count) in per_value {
                order.refile(*value, *count, ranks);
            }
        } else {
            let changed = std::mem::take(&mut order.changed);
            for value in &changed {
                order.refile(*value, per_value.get(value).copied().unwrap_or(0), ranks);
            }
            // Its room kept for the next changes.
            order.changed = changed;
            order.changed.clear();
        }
        debug_assert!(
            order.filed.iter().eq(per_value.iter().filter(|(v, n)| **n > 0 && ranks.rank(**v).is_some())),
            "the order files every ranked value with staying tasks, at its count"
        );
    }

    /// Adds `delta` staying tasks on `instance` (in zone `az`, and with `value` of the
    /// `value_attribute`, when there is one).
    pub fn adjust_valued(&mut self, instance: InstanceId, az: Sym, value: Option<Sym>, delta: i32) {
        assert!(self.room.is_none(), "counts with a room order are adjusted with the instance's membership");
        self.adjust_at(SpreadPlace { instance, az, value, in_room_class: false, keys: RoomKeys::default() }, delta)
    }

    /// Adds `delta` staying tasks at `place` (its instance, zone and value; and whether the
    /// instance is a member of the room order's class, when one is kept).
    pub fn adjust_at(&mut self, place: SpreadPlace, delta: i32) {
        let SpreadPlace { instance, az, value, in_room_class, keys } = place;
        self.staying = self
            .staying
            .checked_add_signed(delta)
            .unwrap_or_else(|| panic!("a service's staying tasks would be {} + {delta}", self.staying));
        let zone = self.per_az.entry(az).or_insert(0);
        *zone = (*zone as i64 + delta as i64).max(0) as u32;
        if !self.tracks_instances {
            return;
        }
        let old = self.per_instance.get(instance);
        let new = (old as i64 + delta as i64).max(0) as u32;
        if old > 0 {
            self.by_count.remove(&(old, instance));
        }
        if new > 0 {
            self.by_count.insert((new, instance));
        }
        self.per_instance.set(instance, new);
        if old > 0 && new == 0 {
            self.vacated = self.vacated.checked_add(1).expect("fewer than 2^64 changes of counts");
        }
        if let Some(room) = self.room.as_deref_mut().filter(|_| in_room_class) {
            let pool = room.pool(az, value);
            if old > 0 {
                let entry = room.entry(pool, old, keys, instance);
                assert!(room.entries.remove(&entry), "an occupied member is in the room order");
            } else {
                assert!(room.unfile_free(pool, keys, instance), "an unoccupied member is in the room order");
            }
            if new > 0 {
                let entry = room.entry(pool, new, keys, instance);
                room.entries.insert(entry);
            } else {
                room.file_free(pool, keys, instance);
            }
        }
        if self.value_attribute.is_none() {
            return;
        }
        let tasks = self.per_value.entry(value).or_insert(0);
        *tasks =
            tasks.checked_add_signed(delta).unwrap_or_else(|| panic!("a value's staying tasks would be {} + {delta}", *tasks));
        if let Some(order) = self.value_order.as_deref_mut() {
            order.note_change(value, self.per_value.len());
        }
        if old > 0 {
            let removed = self.by_value_count.remove(&(value, old, instance));
            assert!(removed, "an occupied instance is counted under the value it was counted in with");
        }
        if new > 0 {
            self.by_value_count.insert((value, new, instance));
        }
        if (old == 0) != (new == 0) {
            let occupied = self.occupied_per_value.entry(value).or_insert(0);
            *occupied = if new > 0 { *occupied + 1 } else { occupied.checked_sub(1).expect("an occupied instance was counted") };
        }
    }
}

/// How many task IDs a "has started/stopped N tasks" event lists (the rest are counted).
pub const EVENT_TASKS_LISTED: usize = 10;

/// A service event, stored compactly and rendered into ECS's message text at the edges
/// ([`Engine::service_event_message`](crate::engine::Engine::service_event_message)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceEventKind {
    /// `(service NAME) has started N tasks: (task ID) ...`
    Started { count: u32, listed: Box<[TaskId]> },
    /// `(service NAME) has stopped N running tasks: (task ID) ...` (or `pending` tasks)
    Stopped { running: bool, count: u32, listed: Box<[TaskId]> },
    /// `(service NAME) has reached a steady state.`
    SteadyState,
    /// `(service NAME) was unable to place a task because no container instance met all of its requirements. ...`
    UnableToPlace { reason: crate::placement::PlacementFailureReason, closest: Option<InstanceId> },
    /// The deployment-configuration deadlock (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html>).
    DeploymentConfigurationDeadlock,
    /// `(service NAME) is unable to consistently start tasks successfully.`
    UnableToConsistentlyStart,
    /// `(service NAME) registered N targets in (target-group ARN)`: tasks reached RUNNING and
    /// their targets were registered.
    TargetsRegistered { count: u32 },
    /// `(service NAME) deregistered N targets in (target-group ARN)`: tasks told to stop left the
    /// target group (they are DEACTIVATING).
    TargetsDeregistered { count: u32 },
    /// `(service NAME) has begun draining connections on N tasks.`: the same tasks' deregistration
    /// delay began.
    BeganDraining { count: u32 },
    /// `(service NAME) (task ID) (instance i-…) (port N) is unhealthy in (target-group ARN) due to
    /// (reason Health checks failed).`: a task found UNHEALTHY whose load balancer target failed
    /// its checks (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html>).
    UnhealthyTarget { task: TaskId },
    /// An Availability Zone rebalancing event (`engine/rebalance.rs`).
    Rebalancing(Box<RebalancingEvent>),
}

/// The service events of Availability Zone rebalancing, in ECS's words
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing-event-messages-list.html>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RebalancingEvent {
    /// `service (NAME) is not AZ balanced with N tasks in ZONE, ... AZ Rebalancing in progress.`
    NotBalanced(Vec<(Sym, u32)>),
    /// `service (NAME) is AZ balanced with N tasks in ZONE, ...`
    Balanced(Vec<(Sym, u32)>),
    /// `NAME has started 1 tasks in ZONE to AZ Rebalance: TASK.`
    Started(Sym, TaskId),
    /// `NAME has stopped 1 running tasks in ZONE due to AZ rebalancing: TASK.`
    Stopped(Sym, TaskId),
    /// `service (NAME) is unable to place a task in ZONE because no container instance met all of
    /// its requirements.`
    UnableToPlace(Sym),
}

/// An Availability Zone rebalancing move under way: a task started in the zone with the fewest
/// tasks, waiting to be healthy before a task of the zone with the most is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebalanceMove {
    /// The task started in the zone with the fewest tasks.
    pub started: TaskId,
}

impl ServiceEventKind {
    /// A rebalancing event (boxed: they are rare, and keep every event in 24 bytes).
    pub(crate) fn rebalancing(event: RebalancingEvent) -> Self {
        ServiceEventKind::Rebalancing(Box::new(event))
    }
    pub(crate) fn started(tasks: &[TaskId]) -> Self {
        ServiceEventKind::Started { count: tasks.len() as u32, listed: tasks.iter().take(EVENT_TASKS_LISTED).copied().collect() }
    }
    pub(crate) fn stopped(running: bool, tasks: &[TaskId]) -> Self {
        ServiceEventKind::Stopped {
            running,
            count: tasks.len() as u32,
            listed: tasks.iter().take(EVENT_TASKS_LISTED).copied().collect(),
        }
    }
}

/// One service.
#[derive(Debug, Clone)]
pub struct ServiceState {
    pub uuid: u128,
    pub long_arn: bool,
    pub name: Sym,
    /// The task group of its tasks, `service:NAME`.
    pub group: Sym,
    pub cluster: ClusterId,
    pub task_def: TaskDefId,
    pub scheduling: SchedulingStrategy,
    pub desired_count: u32,
    pub minimum_healthy_percent: u32,
    pub maximum_percent: u32,
    pub strategies: std::sync::Arc<[Strategy]>,
    pub strategy_specs: Vec<api::PlacementStrategy>,
    pub constraint_specs: Vec<api::PlacementConstraint>,
    /// `distinctInstance` and the `memberOf` expressions of its tasks.
    pub constraints: crate::placement::Constraints,
    /// Its `networkConfiguration`: the subnets of its awsvpc tasks' ENIs, with their zones (None:
    /// any zone, `crate::engine::subnets`).
    pub network: Option<std::sync::Arc<crate::placement::TaskSubnets>>,
    /// Its target group (boxed: most services have none, and the settings take 112 bytes).
    pub load_balancer: Option<Box<LoadBalancerConfig>>,
    pub health_check_grace_seconds: Option<i64>,
    pub status: ServiceStatus,
    pub created_at_ms: SimTimeMs,
    /// Tasks not STOPPED (and not orphaned).
    pub tasks: Vec<TaskId>,
    pub counts: ServiceCounts,
    /// The healthy tasks among the staying ones (`spread.staying`): with `counts.healthy`, how many
    /// of the tasks on DRAINING instances are healthy, so that a pass that can stop none of them
    /// knows it without reading them ([`Services::adjust_staying_healthy`]).
    pub staying_healthy: u32,
    /// Where the staying tasks are (for spread placement).
    pub spread: SpreadCounts,
    /// Every service event, oldest first (DescribeServices shows the newest 100).
    pub events: Vec<(SimTimeMs, ServiceEventKind)>,
    /// The scheduler's own bookkeeping of the service (its to change, see [`Services::schedule_mut`]).
    pub schedule: ServiceSchedule,
    /// Its staying tasks by zone, in stop order: built when its first Availability Zone
    /// rebalancing operation begins (its "not AZ balanced" event) and kept while rebalancing stays
    /// ENABLED. A rebalancing service whose zones stay balanced keeps none; its balance is read
    /// from [`SpreadCounts::per_az`] (boxed: most services have none).
    pub zone_stop_order: Option<Box<ZoneStopOrder>>,
    /// `availabilityZoneRebalancing` is ENABLED.
    pub availability_zone_rebalancing: bool,
    /// A DAEMON service's instances to visit in its next pass, in cluster order: those something
    /// happened to since its last pass, and those its task did not fit in then
    /// ([`Services::note_daemon_candidate`]).
    pub daemon_candidates: MarkedInstances,
    /// A DAEMON service with `memberOf` expressions: the ACTIVE instances its expressions select
    /// as last evaluated (its desired count), and the instances to evaluate again before it is
    /// next read (something happened to them since).
    pub daemon_members: std::collections::BTreeSet<InstanceId>,
    pub daemon_members_stale: MarkedInstances,
    /// A big service's drain candidates: its tasks not told to stop on DRAINING instances, which
    /// a REPLICA pass stops or replaces ([`Services::file_drain_candidate`]), in stop order. A
    /// pass reads them here, not from its whole task list, and only those it may stop: a pass
    /// then costs what it stops, not the service's size nor its candidates. Kept from
    /// [`DRAIN_CANDIDATES_KEPT_FROM`] listed tasks until the list is shorter than
    /// [`DRAIN_CANDIDATES_KEPT_DOWN_TO`] (`None` otherwise): walking a smaller list costs a pass
    /// a bounded amount, and the set costs about 40 bytes per candidate, which a drain of many
    /// small services would pay for every task it moves.
    pub drain_candidates: Option<DrainCandidates>,
    /// How many times its staying tasks changed: one joined or left them
    /// ([`Services::adjust_spread`]), one's health changed ([`Services::adjust_staying_healthy`]),
    /// or they were counted anew for a new placement ([`Services::set_placement`]).
    /// A kept scale-in order is taken up again only while this stays where it was
    /// (`engine::scale_in`). Derived bookkeeping: not part of the cluster's canonical state.
    pub(crate) staying_changes: u64,
    /// Its capacity provider strategy and where its tasks run by it (boxed: most services have
    /// none).
    pub capacity: Option<Box<ServiceCapacity>>,
}

/// A REPLICA service's `desiredCount` and `deploymentConfiguration`, and the floor and ceiling
/// they make: the one place ECS's rounding of the two bounds is written
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>:
/// "rounded up to the nearest integer" for the floor, "rounded down" for the ceiling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentSettings {
    /// `desiredCount`.
    pub desired_count: u32,
    /// `deploymentConfiguration.minimumHealthyPercent`.
    pub minimum_healthy_percent: u32,
    /// `deploymentConfiguration.maximumPercent`.
    pub maximum_percent: u32,
}

impl DeploymentSettings {
    /// ceil(desiredCount × minimumHealthyPercent / 100): healthy tasks never fall below this.
    pub fn healthy_floor(&self) -> u32 {
        ((u64::from(self.desired_count) * u64::from(self.minimum_healthy_percent)).div_ceil(100)) as u32
    }

    /// floor(desiredCount × maximumPercent / 100): tasks that are not STOPPED never exceed this;
    /// at most `u32::MAX` (maximumPercent has no documented cap).
    pub fn task_ceiling(&self) -> u32 {
        u32::try_from(u64::from(self.desired_count) * u64::from(self.maximum_percent) / 100).unwrap_or(u32::MAX)
    }
}

/// A service's capacity provider strategy (its own, or its cluster's default when it was created),
/// and how many of its tasks that are not STOPPED run on each item's provider: what
/// [`crate::rules::capacity_providers::choose_provider`] reads for its next task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceCapacity {
    pub strategy: Vec<crate::rules::capacity_providers::StrategyItem>,
    /// One count per item of `strategy`.
    pub live: Vec<u32>,
    /// Since when its tasks have waited PROVISIONING for their provider's managed scaling (every
    /// pass since then found no room there): a `PROVISIONING` stall begins then, not at the first
    /// pass that also changed nothing else. Kept here, with the strategy only such a service has.
    pub provisioning_since_ms: Option<SimTimeMs>,
}

impl ServiceCapacity {
    /// A strategy with no task yet.
    pub(crate) fn new(strategy: Vec<crate::rules::capacity_providers::StrategyItem>) -> Self {
        let live = vec![0; strategy.len()];
        ServiceCapacity { strategy, live, provisioning_since_ms: None }
    }

    /// The provider of the service's next task.
    pub(crate) fn next_provider(&self) -> Sym {
        self.strategy[crate::rules::capacity_providers::choose_provider(&self.strategy, &self.live)].provider
    }

    /// A task joined (`up`) or left the tasks on `provider`, if the strategy names it.
    pub(crate) fn count(&mut self, provider: Sym, up: bool) {
        if let Some(k) = self.strategy.iter().position(|i| i.provider == provider) {
            self.live[k] = crate::state::task::counter_moved(self.live[k], !up, up, "capacity provider count");
        }
    }
}

/// A service's placement as UpdateService replaces it: the strategies it places by (the default
/// when it names none) with the list as given, and its constraints (the task definition's
/// `memberOf` expressions among them) with the list as given.
#[derive(Debug, Clone)]
pub(crate) struct ServicePlacement {
    pub strategies: Vec<Strategy>,
    pub strategy_specs: Vec<api::PlacementStrategy>,
    pub constraints: crate::placement::Constraints,
    pub constraint_specs: Vec<api::PlacementConstraint>,
}

/// A service keeps its drain candidates once it lists this many tasks ([`ServiceState::drain_candidates`]):
/// above the 200 a service of 100 lists during a drain at `maximumPercent` 200, so that a drain of
/// many such services keeps no sets, and low enough that a service of 1,000 does (with stage
/// durations that vary, a pass per replacement turning healthy each walking 1,000 to 2,000 tasks
/// made a drain of 100 such services at minimum 100 / maximum 101 take 4.1 s, 0.7 s with sets).
pub(crate) const DRAIN_CANDIDATES_KEPT_FROM: usize = 256;
/// ... until it lists fewer than this many (apart from [`DRAIN_CANDIDATES_KEPT_FROM`], so that a
/// service hovering around one size does not build and drop the set again and again).
pub(crate) const DRAIN_CANDIDATES_KEPT_DOWN_TO: usize = 64;

/// A set of instances that takes a member in constant time and gives its members up in instance
/// order (which is each cluster's order: instances are numbered as they register and never leave
/// their cluster's list). A DAEMON's candidates are noted on every change of an instance or its
/// tasks, many times more often than they are read.
#[derive(Debug, Clone, Default)]
pub struct MarkedInstances {
    /// One bit per instance index: whether it is a member.
    bits: Vec<u64>,
    /// The members, in the order they were noted.
    members: Vec<InstanceId>,
}

impl MarkedInstances {
    /// Makes `instance` a member (no-op if it is one).
    pub fn insert(&mut self, instance: InstanceId) {
        let (word, bit) = (instance.index() / 64, instance.index() % 64);
        if word >= self.bits.len() {
            self.bits.resize(word + 1, 0);
        }
        if self.bits[word] & (1 << bit) == 0 {
            self.bits[word] |= 1 << bit;
            self.members.push(instance);
        }
    }

    /// Whether `instance` is a member.
    pub fn contains(&self, instance: InstanceId) -> bool {
        self.bits.get(instance.index() / 64).is_some_and(|w| w & (1 << (instance.index() % 64)) != 0)
    }

    /// The members, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = InstanceId> + '_ {
        self.members.iter().copied()
    }

    /// Every member in instance order; the set is left empty (its room kept).
    pub fn take_in_order(&mut self) -> Vec<InstanceId> {
        let mut members = std::mem::take(&mut self.members);
        for i in &members {
            self.bits[i.index() / 64] &= !(1 << (i.index() % 64));
        }
        members.sort_unstable();
        debug_assert!(self.bits.iter().all(|w| *w == 0), "every member was listed");
        members
    }
}

impl FromIterator<InstanceId> for MarkedInstances {
    fn from_iter<T: IntoIterator<Item = InstanceId>>(iter: T) -> Self {
        let mut set = MarkedInstances::default();
        for i in iter {
            set.insert(i);
        }
        set
    }
}

/// What the scheduler keeps about a service: its observations of the run, and when it passes and
/// retries. The scheduler owns it; the service's ECS state changes only through [`Services`].
#[derive(Debug, Clone, Default)]
pub struct ServiceSchedule {
    /// What was observed of the service during the run (the report's service section).
    pub observations: ServiceObservations,
    /// Whether the last pass left work undone (a retry is pending).
    pub retry_pending: bool,
    /// The time of the pass event already scheduled for this service, if any.
    pub pass_event_at_ms: Option<SimTimeMs>,
    /// The cause of the most recent loss of a healthy task not made by the scheduler.
    pub last_health_loss: Option<BreachCause>,
    /// Whether the service is at steady state now.
    pub steady: bool,
    /// Whether floor breaches are being recorded: from the service's first steady state, or from its
    /// cluster's first drain if the service existed then (a service still deploying is not breaching).
    pub breach_watch: bool,
    /// The desired count at the service's latest steady state, or the lowest one asked for since
    /// (None before its first steady state): what a scale-up is watched against until the service
    /// is steady again ([`ServiceState::watched_floor`]). A scale-in lowers it, so that a scale-up
    /// after it is not judged against the floor of the count before the scale-in, which the
    /// scheduler's stops of the scale-in were free to go below.
    pub steady_desired_count: Option<u32>,
    /// The highest ceiling since the service was last steady: its ceiling then, raised by every
    /// later change of `desiredCount` or `maximumPercent` (never lowered by one). Tasks started
    /// under it may still be live after a scale-in lowered the ceiling; the most tasks observed is
    /// paired with it ([`ServiceState::watched_ceiling`]).
    pub ceiling_since_steady: u32,
    /// Consecutive tasks that failed to start, and the back-off until the next start attempt.
    pub failed_starts: u32,
    /// No start is attempted before this time (the failed-start back-off).
    pub start_backoff_until_ms: SimTimeMs,
    /// The Availability Zone rebalancing move under way, if any (`engine/rebalance.rs`).
    pub rebalance_move: Option<RebalanceMove>,
    /// An Availability Zone rebalancing operation is under way (its "not AZ balanced" event was
    /// sent and its "AZ balanced" event was not yet).
    pub rebalancing: bool,
    /// The replacements of drained tasks the scheduler owes and has started ahead, for marking
    /// the tasks it starts as replacements (`tasksMovedMoreThanOnce` counts those later stopped
    /// on a draining instance in their turn).
    pub drain_replacements: DrainReplacements,
}

/// The replacements of drained tasks a service owes, kept per pass (`engine/scheduler.rs`, steps
/// 3 and 4). A drained task's replacement is started before it stops when `maximumPercent`
/// leaves room (ahead), or after (owed): at `maximumPercent` 100 every replacement is started
/// only once its drained task stopped, when the task is no longer on the draining instance to be
/// counted; the ledger keeps those replacements marked as such. A replacement owed is paid before
/// one is started ahead, and a stop takes a replacement ahead before it owes one, so the service
/// never both owes replacements and has some ahead: one signed balance holds both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReplacements {
    /// Drained tasks stopped before a replacement was started for them (positive), or
    /// replacements started for drain candidates still RUNNING on their draining instances
    /// (negative).
    owed_or_ahead: i32,
}

impl DrainReplacements {
    /// Drained tasks stopped before a replacement was started for them.
    pub fn owed(self) -> u32 {
        self.owed_or_ahead.max(0).unsigned_abs()
    }

    /// Replacements started for drain candidates still RUNNING (what `bound` keeps under the
    /// candidates; the marks do not read it).
    #[cfg(test)]
    pub fn ahead(self) -> u32 {
        self.owed_or_ahead.min(0).unsigned_abs()
    }

    /// How many of the next tasks started replace drained tasks: one for each drain candidate
    /// (`on_draining`), and those owed. The replacements started ahead are not subtracted: one that
    /// stopped before its drained task (a failed start, an unhealthy task replaced, one whose own
    /// instance was drained before it ran) has a successor that replaces the same drained task,
    /// and no stop of the ledger's gives it back (`bound` drops what is left ahead once the
    /// candidates are gone).
    pub fn replacements_to_mark(self, on_draining: u32) -> u32 {
        on_draining.saturating_add(self.owed())
    }

    /// The balance, for the state digest: replacements owed (positive) or started ahead (negative).
    pub fn balance(self) -> i32 {
        self.owed_or_ahead
    }

    /// A task was started as a replacement: of a drained task stopped (owed), else ahead.
    pub fn started(&mut self) {
        self.owed_or_ahead = self.owed_or_ahead.checked_sub(1).expect("fewer than 2^31 replacements ahead");
    }

    /// A drain candidate was stopped: its replacement was started ahead, else it is owed.
    pub fn drained_task_stopped(&mut self) {
        self.owed_or_ahead = self.owed_or_ahead.checked_add(1).expect("fewer than 2^31 replacements owed");
    }

    /// A replacement stopped or lost before the service started a task in its place
    /// (`engine/scheduler.rs::replacement_lost` says when): the task started next in its place
    /// replaces the same drained task. When that drained task is already gone (always at
    /// `maximumPercent` 100; above, when the floor let it stop first) only the ledger keeps the
    /// successor marked; while it is still a candidate it marks the successor itself, and this only
    /// gives back one started ahead.
    pub fn replacement_stopped_early(&mut self) {
        self.drained_task_stopped();
    }

    /// At a pass's start: no more ahead than there are drain candidates (a cancelled drain's
    /// tasks stay), no more owed than the service misses (a scale-in owes no replacement).
    pub fn bound(&mut self, on_draining: u32, missing: u32) {
        let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        self.owed_or_ahead = self.owed_or_ahead.clamp(-clamp(on_draining), clamp(missing));
    }
}

impl ServiceState {
    /// `availabilityZoneRebalancing` is ENABLED.
    pub fn az_rebalancing(&self) -> bool {
        self.availability_zone_rebalancing
    }
}

impl ServiceState {
    /// How many healthy tasks may stop now without the healthy count falling below the floor
    /// ([`ServiceState::floor`]): a drained task's stop and a rebalancing move's stop both wait
    /// for it.
    pub fn healthy_stops_within_floor(&self) -> u32 {
        self.counts.healthy.saturating_sub(self.floor())
    }

    /// ceil(desired × min / 100): healthy tasks never fall below this ([`DeploymentSettings::healthy_floor`]).
    pub fn floor(&self) -> u32 {
        self.floor_of(self.desired_count)
    }

    fn floor_of(&self, desired_count: u32) -> u32 {
        DeploymentSettings { desired_count, ..self.settings() }.healthy_floor()
    }

    /// Its `desiredCount` and `deploymentConfiguration` now.
    pub fn settings(&self) -> DeploymentSettings {
        DeploymentSettings {
            desired_count: self.desired_count,
            minimum_healthy_percent: self.minimum_healthy_percent,
            maximum_percent: self.maximum_percent,
        }
    }

    /// The floor a floor breach is judged against: the floor of the desired count, or, after a
    /// scale-up (UpdateService raising `desiredCount`, a DAEMON's new instance) and until the
    /// service is steady again, of the desired count it was steady at (or the lowest asked for
    /// since: a scale-in's stops may go below the old floor). The tasks a scale-up adds
    /// are starting, not lost: the service is short of its new floor, as one deploying for the
    /// first time is (docs/draining.md, "Observations"). A lower desired count counts at once.
    pub(crate) fn watched_floor(&self) -> u32 {
        self.floor_of(self.watched_desired_count())
    }

    /// The desired count [`Self::watched_floor`] is the floor of: after a scale-up, until the
    /// service is steady again, the count it was steady at, or the lowest asked for since.
    pub(crate) fn watched_desired_count(&self) -> u32 {
        let steady = self.schedule.steady_desired_count.unwrap_or(self.desired_count);
        self.desired_count.min(steady)
    }

    /// The ceiling the most tasks observed is paired with (`ceilingAtMaxTasksObserved`): for a
    /// REPLICA service, the highest since it was last steady ([`ServiceSchedule::ceiling_since_steady`]):
    /// a scale-in (or a lower `maximumPercent`) lowers the ceiling at once, but the tasks above
    /// it were started under the old one and are being stopped, not started above the new one. A
    /// DAEMON's ceiling follows its ACTIVE instances at once: its tasks on DRAINING instances, which
    /// stop last, are above it, and the report says so (`daemon_tasks_above_ceiling`).
    pub(crate) fn watched_ceiling(&self) -> u32 {
        match self.scheduling {
            SchedulingStrategy::Replica => self.ceiling().max(self.schedule.ceiling_since_steady),
            SchedulingStrategy::Daemon => self.ceiling(),
        }
    }

    /// floor(desired × max / 100): tasks that are not STOPPED never exceed this
    /// ([`DeploymentSettings::task_ceiling`]).
    pub fn ceiling(&self) -> u32 {
        self.settings().task_ceiling()
    }
}

/// Validates and defaults a deployment configuration (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html>): REPLICA 100/200, DAEMON 0/100;
/// a DAEMON service's maximum must be 100; min ≤ max; max ≥ 100 for REPLICA.
pub fn deployment_configuration(
    scheduling: SchedulingStrategy,
    given: Option<&api::DeploymentConfiguration>,
) -> Result<(u32, u32), EcsError> {
    let (dmin, dmax) = match scheduling {
        SchedulingStrategy::Replica => (100, 200),
        SchedulingStrategy::Daemon => (0, 100),
    };
    let min = given.and_then(|g| g.minimum_healthy_percent).unwrap_or(dmin);
    let max = given.and_then(|g| g.maximum_percent).unwrap_or(dmax);
    if !(0..=100).contains(&min) {
        return Err(EcsError::invalid_parameter(format!("minimumHealthyPercent must be between 0 and 100; {min} given.")));
    }
    // No documented cap above: the API reference gives 200 as the REPLICA default, not a limit
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html);
    // the member is a 32-bit Integer.
    if max > i64::from(i32::MAX) {
        return Err(EcsError::invalid_parameter(format!("maximumPercent must be at most {}; {max} given.", i32::MAX)));
    }
    if max < 100 && scheduling == SchedulingStrategy::Replica {
        return Err(EcsError::invalid_parameter(format!("maximumPercent must be at least 100; {max} given.")));
    }
    // A DAEMON service's maximumPercent "must be 100"
    // (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service-options.html>). Above
    // 100, ECS's own text (InvalidParameterException, quoted in
    // <https://github.com/hashicorp/terraform-provider-aws/pull/4825>); below, no text is on record.
    if scheduling == SchedulingStrategy::Daemon && max > 100 {
        return Err(EcsError::invalid_parameter(
            "The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again",
        ));
    }
    if scheduling == SchedulingStrategy::Daemon && max != 100 {
        return Err(EcsError::invalid_parameter("The maximumPercent of a DAEMON service must be 100."));
    }
    Ok((min as u32, max as u32))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    /// The counts a service may report: small changes mostly, and the extremes.
    fn counts() -> impl proptest::strategy::Strategy<Value = u32> {
        prop_oneof![0u32..8, 0u32..100_000, Just(u32::MAX)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The compact series reads back exactly what a plain list of points keeps, under the
        /// same rules: an unchanged sample adds nothing, a second sample of an instant replaces
        /// its point, and points past the bound are left out and noted.
        #[test]
        fn the_series_reads_back_the_points_noted(
            samples in proptest::collection::vec(
                (prop_oneof![Just(0u64), 0u64..3, 0u64..100_000, Just(1u64 << 49)], counts(), counts(), counts(), counts()),
                0..300,
            ),
            bound in prop_oneof![Just(super::MAX_SERIES_POINTS), 1usize..40],
        ) {
            let mut series = super::Series::default();
            let mut model: Vec<super::SeriesPoint> = Vec::new();
            let mut model_truncated = false;
            let mut at_ms = 0u64;
            for (advance_ms, running, healthy, pending, not_stopped) in samples {
                at_ms += advance_ms;
                let point = super::SeriesPoint { at_ms, running, healthy, pending, not_stopped };
                let full = model.len() >= bound;
                match model.last_mut() {
                    Some(last) if super::SeriesPoint { at_ms: last.at_ms, ..point } == *last => {}
                    Some(last) if last.at_ms == at_ms => *last = point,
                    _ if full => model_truncated = true,
                    _ => model.push(point),
                }
                series.note(point, bound);
                prop_assert_eq!(series.len(), model.len());
            }
            prop_assert_eq!(series.points().collect::<Vec<_>>(), model.clone());
            prop_assert_eq!(series.points().len(), model.len());
            prop_assert_eq!(series.truncated(), model_truncated);
        }
    }

    /// Points whose counts change by a little, a short time apart, take 5 bytes, not 24.
    #[test]
    fn a_series_of_small_changes_takes_a_fifth_of_the_points_size() {
        let mut series = super::Series::default();
        for n in 0..1_000u32 {
            let point =
                super::SeriesPoint { at_ms: u64::from(n) * 50, running: n, healthy: n / 2, pending: 1, not_stopped: n + 1 };
            series.note(point, super::MAX_SERIES_POINTS);
        }
        assert_eq!(series.len(), 1_000);
        assert_eq!(series.encoded.len(), 999 * 5);
        let back: Vec<_> = series.points().collect();
        assert_eq!(back[999], super::SeriesPoint { at_ms: 49_950, running: 999, healthy: 499, pending: 1, not_stopped: 1_000 });
        assert_eq!(back[1].at_ms, 50);
    }

    /// The per-instance counts are a hash map: nothing may show its hash order. `sorted` and
    /// `Debug` (invariant messages) list the pairs by instance, and equality ignores the order of
    /// insertion.
    #[test]
    fn the_per_instance_counts_show_no_hash_order() {
        use crate::infra::ids::InstanceId;
        let (mut up, mut down) = (super::InstanceCounts::default(), super::InstanceCounts::default());
        for n in 0..200u32 {
            up.set(InstanceId(n * 7), n + 1);
            down.set(InstanceId((199 - n) * 7), 200 - n);
        }
        up.set(InstanceId(14), 0);
        down.set(InstanceId(14), 0);
        assert_eq!(up, down);
        assert_eq!(format!("{up:?}"), format!("{down:?}"));
        let listed = format!("{up:?}");
        assert!(listed.starts_with("{InstanceId(0): 1, InstanceId(7): 2, InstanceId(21): 4,"), "{listed}");
        assert!(!up.contains(InstanceId(14)) && up.contains(InstanceId(21)));
        assert_eq!((up.get(InstanceId(21)), up.get(InstanceId(14)), up.len()), (4, 0, 199));
        let sorted = up.sorted();
        assert!(sorted.windows(2).all(|w| w[0].0 < w[1].0) && sorted.len() == 199);
        let parity = |id: InstanceId| id.0 % 2;
        assert_eq!(up.sum_by(parity), down.sum_by(parity));
        let expected: BTreeMap<u32, u32> = sorted.iter().fold(BTreeMap::new(), |mut m, (i, n)| {
            *m.entry(parity(*i)).or_insert(0) += n;
            m
        });
        assert_eq!(up.sum_by(parity), expected);
    }

    use super::*;

    #[test]
    fn defaults_and_validation() {
        assert_eq!(deployment_configuration(SchedulingStrategy::Replica, None).unwrap(), (100, 200));
        assert_eq!(deployment_configuration(SchedulingStrategy::Daemon, None).unwrap(), (0, 100));
        let bad = api::DeploymentConfiguration { maximum_percent: Some(150), minimum_healthy_percent: None };
        assert!(deployment_configuration(SchedulingStrategy::Daemon, Some(&bad)).is_err());
        let bad = api::DeploymentConfiguration { maximum_percent: Some(99), minimum_healthy_percent: Some(50) };
        assert!(deployment_configuration(SchedulingStrategy::Replica, Some(&bad)).is_err());
        // Above 200 is accepted: 200 is the default, not a cap; the member is a 32-bit Integer.
        let wide = api::DeploymentConfiguration { maximum_percent: Some(400), minimum_healthy_percent: Some(100) };
        assert_eq!(deployment_configuration(SchedulingStrategy::Replica, Some(&wide)).unwrap(), (100, 400));
        let huge = api::DeploymentConfiguration { maximum_percent: Some(i64::from(i32::MAX) + 1), minimum_healthy_percent: None };
        assert!(deployment_configuration(SchedulingStrategy::Replica, Some(&huge)).is_err());
    }
}

/// What a rebalancing service's last pass found of its zones that lets an instance becoming
/// placeable pass it by, while the cluster's placeable instances stay in the zones `over`
/// (`PlacementIndex::zone_set_changes`, never 0 once a zone exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ZoneNote {
    /// The zones the finding is for.
    pub(crate) over: std::num::NonZeroU64,
    /// What the pass found.
    pub(crate) found: ZoneFinding,
}

/// See [`ZoneNote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ZoneFinding {
    /// Settled and balanced, with no rebalancing to do or announce.
    Balanced,
    /// Not settled (`Engine::zones_unsettled`), with no move under way: what would settle it (a
    /// task healthy or gone, a steady state, its count) is the service's own change, which runs
    /// its pass, and an instance in a zone the cluster already has changes no count of its zones.
    Unsettled,
}

/// The service table: every service ever created, in creation order. It owns the records: outside
/// this module a service is read through `Index`, its ECS state changes only through the methods
/// below, and the scheduler changes its own bookkeeping through [`Services::schedule_mut`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Services {
    records: Vec<ServiceState>,
    /// Targets registered and deregistered this instant, by service (for the load balancer's
    /// service events, emitted when the instant ends).
    target_changes: BTreeMap<ServiceId, (u32, u32)>,
    /// Each task's position in its service's task list: a task leaves its list in constant time,
    /// whatever the service's size.
    list_positions: crate::infra::ids::TaskListPositions,
    /// Whether a service counting its tasks by an attribute's value was ever created.
    value_spreaders: bool,
    /// By service, its listed tasks found UNHEALTHY (adopted so, or failing their health
    /// checks); services with none are absent (most runs have none, so a service record does not
    /// carry the set). The scheduler replaces them (`engine/scheduler.rs::replace_unhealthy`); a
    /// task leaves as it leaves its service's list, in logarithmic time however many fail at once.
    unhealthy: BTreeMap<ServiceId, std::collections::BTreeSet<TaskId>>,
    /// By service, what its last pass found of its zones ([`ZoneNote`]), over which zones, if it
    /// found it settled and balanced or unsettled with nothing an instance could change: while
    /// the zones stay those, an instance becoming placeable gives it nothing to look at
    /// (`Engine::wake_rebalancing_services`). A change of its staying tasks (one joined or left
    /// them, or one's health changed) or of its status drops a balanced finding; the next pass
    /// replaces an unsettled one (`drop_zone_balance`). Kept apart from the records: the
    /// staying tasks change at every task move, and this small table stays in the cache. Derived
    /// bookkeeping: not part of the canonical state.
    zone_notes: Vec<Option<ZoneNote>>,
    /// Services whose `zone_notes` finding a change dropped, in the order it was dropped:
    /// the engine takes them (`drain_unbalanced`) so that an instance becoming placeable wakes them
    /// again. Empty whenever the engine has reacted to a change.
    unbalanced: Vec<ServiceId>,
    /// By REPLICA service, the deployment settings UpdateService or DeleteService replaced, oldest
    /// first, each with when it was replaced ([`Services::set_deployment_configuration`]): what
    /// was in force at an earlier time ([`Services::settings_at`]). Services never updated are
    /// absent (most are; a record does not carry the list). A DAEMON, whose desired count follows
    /// its instances, has none.
    replaced_settings: BTreeMap<ServiceId, Vec<(SimTimeMs, DeploymentSettings)>>,
    /// By service, the instant it was furthest below its floor (the floor a breach is judged
    /// against), the first of equal dips: the depth of its floor breaches, which the lowest
    /// healthy count alone does not give (a later instant as low, under a floor an UpdateService
    /// lowered, is no dip). Services that never fell below their floor are absent.
    deepest_dips: BTreeMap<ServiceId, FloorDip>,
}

impl std::ops::Index<usize> for Services {
    type Output = ServiceState;
    fn index(&self, n: usize) -> &ServiceState {
        &self.records[n]
    }
}

impl crate::infra::recycle::Recycle for Services {
    fn reset_to(&mut self, fresh: Self) {
        let Services {
            records,
            target_changes,
            list_positions,
            value_spreaders,
            unhealthy,
            zone_notes,
            unbalanced,
            replaced_settings,
            deepest_dips,
        } = fresh;
        self.records.reset_to(records);
        self.replaced_settings = replaced_settings;
        self.deepest_dips = deepest_dips;
        self.zone_notes = zone_notes;
        self.unbalanced = unbalanced;
        self.target_changes = target_changes;
        self.list_positions.reset_to(list_positions);
        self.value_spreaders = value_spreaders;
        self.unhealthy = unhealthy;
    }
}

impl Services {
    /// The service's `desiredCount` and `deploymentConfiguration` in force at `at_ms`: those an
    /// UpdateService or DeleteService replaced after `at_ms`, else today's (at the instant of an
    /// update, the update's). A DAEMON's are today's.
    pub(crate) fn settings_at(&self, id: ServiceId, at_ms: SimTimeMs) -> DeploymentSettings {
        let replaced = self.replaced_settings(id);
        let later = replaced.partition_point(|(until, _)| *until <= at_ms);
        replaced.get(later).map_or_else(|| self.records[id.index()].settings(), |(_, settings)| *settings)
    }

    /// The instant the service was furthest below its floor, if it ever was (see `deepest_dips`).
    pub(crate) fn deepest_dip(&self, id: ServiceId) -> Option<FloorDip> {
        self.deepest_dips.get(&id).copied()
    }

    /// The service was below its floor now: `dip` is its deepest if no earlier one was as deep.
    pub(crate) fn note_floor_dip(&mut self, id: ServiceId, dip: FloorDip) {
        assert!(dip.healthy < dip.floor, "a dip is below the floor");
        match self.deepest_dips.entry(id) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(dip);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => {
                assert!(o.get().at_ms <= dip.at_ms, "dips are noted in time order");
                if dip.depth() > o.get().depth() {
                    o.insert(dip);
                }
            }
        }
    }

    /// The deployment settings UpdateService replaced, oldest first, with when (see
    /// `replaced_settings`).
    pub(crate) fn replaced_settings(&self, id: ServiceId) -> &[(SimTimeMs, DeploymentSettings)] {
        self.replaced_settings.get(&id).map_or(&[], Vec::as_slice)
    }

    /// The zones the service's last pass found it balanced over, if it did (see `zone_notes`).
    pub(crate) fn zones_balanced_over(&self, id: ServiceId) -> Option<std::num::NonZeroU64> {
        self.zone_notes[id.index()].filter(|n| n.found == ZoneFinding::Balanced).map(|n| n.over)
    }

    /// The zones over which the service's last pass found it with nothing an instance becoming
    /// placeable could give it to do, balanced or unsettled, if it did (see `zone_notes`).
    pub(crate) fn zones_noted_over(&self, id: ServiceId) -> Option<std::num::NonZeroU64> {
        self.zone_notes[id.index()].map(|n| n.over)
    }

    /// What the service's last pass found of its zones, if it noted anything (see `zone_notes`).
    pub(crate) fn zone_note(&self, id: ServiceId) -> Option<ZoneNote> {
        self.zone_notes[id.index()]
    }

    /// The service's pass found `note` of its zones (`None`: nothing to note).
    pub(crate) fn set_zone_note(&mut self, id: ServiceId, note: Option<ZoneNote>) {
        self.zone_notes[id.index()] = note;
    }

    /// The service's staying tasks changed (`staying_changes`), which ends a finding that it is
    /// balanced over its zones (`zone_notes`).
    fn note_staying_change(&mut self, id: ServiceId) {
        let s = &mut self.records[id.index()];
        s.staying_changes = s.staying_changes.checked_add(1).expect("fewer than 2^64 changes");
        self.drop_zone_balance(id);
    }

    /// A change of the service's staying tasks or status, which ends a finding that it is balanced
    /// over its zones (`zone_notes`), if there is one: it joins `unbalanced`. A finding that it is
    /// unsettled stays: every change that could settle it runs the service's pass (a task healthy,
    /// unhealthy or stopped; an instance of its tasks set DRAINING or ACTIVE; its count updated),
    /// which notes its zones again (`Engine::note_zones_after_pass`), and `check_invariants` holds
    /// a service noted unsettled whose pass is not due to being so. Dropping it at every task move
    /// of a drain cost 3 % of the 20,000-instance drain.
    fn drop_zone_balance(&mut self, id: ServiceId) {
        if self.zone_notes[id.index()].is_some_and(|n| n.found == ZoneFinding::Balanced) {
            self.zone_notes[id.index()] = None;
            self.unbalanced.push(id);
        }
    }

    /// Hands each service whose finding of its zones a change dropped since the last call (see
    /// `unbalanced`) to `f`, in order, with its record; the list's room is kept.
    pub(crate) fn drain_unbalanced(&mut self, mut f: impl FnMut(ServiceId, &ServiceState)) {
        for id in self.unbalanced.drain(..) {
            f(id, &self.records[id.index()]);
        }
    }

    /// Services ever created.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Every service record, in creation order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ServiceState> {
        self.records.iter()
    }

    /// Adds a created service.
    pub(crate) fn push(&mut self, state: ServiceState) -> ServiceId {
        let id = ServiceId(u32::try_from(self.records.len()).expect("fewer than 2^32 services"));
        self.value_spreaders |= state.spread.value_attribute.is_some();
        self.records.push(state);
        self.zone_notes.push(None);
        self.note_ceiling(id);
        id
    }

    /// Raises the service's highest ceiling, of the run and since it was last steady, to its
    /// ceiling now.
    fn note_ceiling(&mut self, id: ServiceId) {
        let s = &mut self.records[id.index()];
        let ceiling = s.ceiling();
        let highest = &mut s.schedule.observations.highest_ceiling;
        *highest = (*highest).max(ceiling);
        let since_steady = &mut s.schedule.ceiling_since_steady;
        *since_steady = (*since_steady).max(ceiling);
    }

    /// The scheduler's bookkeeping of a service.
    pub(crate) fn schedule_mut(&mut self, id: ServiceId) -> &mut ServiceSchedule {
        &mut self.records[id.index()].schedule
    }

    /// `desiredCount`. A lower count also lowers the count a later scale-up is watched against
    /// until the service is steady again ([`ServiceSchedule::steady_desired_count`]).
    pub(crate) fn set_desired_count(&mut self, id: ServiceId, n: u32) {
        let s = &mut self.records[id.index()];
        // A REPLICA's count changes with its settings' history (`set_deployment_configuration`).
        assert_eq!(s.scheduling, SchedulingStrategy::Daemon, "only a DAEMON's desired count is set alone");
        s.desired_count = n;
        if let Some(steady) = s.schedule.steady_desired_count.as_mut() {
            *steady = (*steady).min(n);
        }
        self.note_ceiling(id);
        debug_assert!(
            self.records[id.index()].watched_desired_count() <= n,
            "a service is never watched against more than its desired count"
        );
    }

    /// `status`.
    pub(crate) fn set_status(&mut self, id: ServiceId, status: ServiceStatus) {
        let s = &mut self.records[id.index()];
        // ACTIVE → DRAINING (DeleteService, which a DRAINING service accepts again) → INACTIVE (its
        // last task stopped); never back.
        debug_assert!(
            matches!(
                (s.status, status),
                (ServiceStatus::Active | ServiceStatus::Draining, ServiceStatus::Draining)
                    | (ServiceStatus::Draining, ServiceStatus::Inactive)
            ),
            "illegal service transition {} -> {}",
            s.status.as_str(),
            status.as_str()
        );
        s.status = status;
        // Only an ACTIVE service rebalances: a deleted one is not balanced over anything.
        self.drop_zone_balance(id);
    }

    /// `deploymentConfiguration` (already validated) and `desiredCount` together, as one
    /// UpdateService sets them at `now_ms`: the highest ceiling is noted once, for the pair (a new
    /// percentage with the old count never existed), and the settings replaced are kept, with
    /// `now_ms` ([`Services::settings_at`]).
    pub(crate) fn set_deployment_configuration(&mut self, id: ServiceId, settings: DeploymentSettings, now_ms: SimTimeMs) {
        let DeploymentSettings { desired_count, minimum_healthy_percent, maximum_percent } = settings;
        let was = self.records[id.index()].settings();
        // A DAEMON's desired count follows its instances (`set_desired_count`): no history is kept
        // of its settings, which `settings_at` gives as they are now.
        if was != settings && self.records[id.index()].scheduling == SchedulingStrategy::Replica {
            let replaced = self.replaced_settings.entry(id).or_default();
            // Settings replaced in the instant they were set were never in force: the ones before
            // them stay the ones replaced at this instant.
            match replaced.last() {
                // Set back, in the same instant, to what was in force before it: nothing replaced.
                Some((until, before)) if *until == now_ms && *before == settings => {
                    replaced.pop();
                    if replaced.is_empty() {
                        self.replaced_settings.remove(&id);
                    }
                }
                Some((until, _)) if *until == now_ms => {}
                last => {
                    assert!(last.is_none_or(|(until, _)| *until < now_ms), "settings are replaced in time order");
                    replaced.push((now_ms, was));
                }
            }
        }
        let s = &mut self.records[id.index()];
        s.minimum_healthy_percent = minimum_healthy_percent;
        s.maximum_percent = maximum_percent;
        s.desired_count = desired_count;
        // As `set_desired_count`: a lower count is what a later scale-up is watched against.
        if let Some(steady) = s.schedule.steady_desired_count.as_mut() {
            *steady = (*steady).min(desired_count);
        }
        self.note_ceiling(id);
    }

    /// `placementStrategy` and `placementConstraints` (UpdateService; already validated, the
    /// strategies already defaulted), with `spread`, the service's spread counts recounted from its
    /// staying tasks for them ([`SpreadCounts::for_strategies`]). The counts it replaces go with the
    /// room order and full-pool notes derived from them (they were filed by the old strategies'
    /// pools and tie-break; a later walk starts a new order); the staying tasks and their zones are
    /// the same tasks counted again. Running tasks stay where they are.
    pub(crate) fn set_placement(&mut self, id: ServiceId, placement: ServicePlacement, spread: SpreadCounts) {
        let s = &mut self.records[id.index()];
        assert!(spread.room.is_none() && spread.no_free_members.is_none(), "recounted spread counts keep nothing derived yet");
        assert_eq!(spread.staying, s.spread.staying, "a recount counts the same staying tasks");
        assert!(
            spread.per_az.iter().filter(|(_, n)| **n > 0).eq(s.spread.per_az.iter().filter(|(_, n)| **n > 0)),
            "a recount counts the same staying tasks in each zone"
        );
        let ServicePlacement { strategies, strategy_specs, constraints, constraint_specs } = placement;
        assert!(!strategies.is_empty(), "a service places by the default strategy when it names none");
        s.strategies = strategies.into();
        s.strategy_specs = strategy_specs;
        s.constraints = constraints;
        s.constraint_specs = constraint_specs;
        s.spread = spread;
        self.value_spreaders |= s.spread.value_attribute.is_some();
        self.note_staying_change(id);
    }

    /// `healthCheckGracePeriodSeconds` (UpdateService; already validated).
    pub(crate) fn set_health_check_grace(&mut self, id: ServiceId, seconds: i64) {
        assert!((0..=i64::from(i32::MAX)).contains(&seconds), "a validated grace period");
        self.records[id.index()].health_check_grace_seconds = Some(seconds);
    }

    /// `availabilityZoneRebalancing` (UpdateService). Turned off, the zone stop order of an
    /// operation under way goes too.
    pub(crate) fn set_az_rebalancing(&mut self, id: ServiceId, enabled: bool) {
        let s = &mut self.records[id.index()];
        s.availability_zone_rebalancing = enabled;
        if !enabled {
            s.zone_stop_order = None;
            self.zone_notes[id.index()] = None;
        }
    }

    /// The service's first rebalancing operation begins: its zone stop order files `staying`, the
    /// service's staying tasks with their places.
    pub(crate) fn keep_zone_stop_order(&mut self, id: ServiceId, staying: Vec<ZonePlace>) {
        let s = &mut self.records[id.index()];
        debug_assert!(s.availability_zone_rebalancing && s.zone_stop_order.is_none(), "one order, of a rebalancing service");
        s.zone_stop_order = Some(Box::new(ZoneStopOrder::of(staying)));
    }

    /// A staying task of a rebalancing service joins its zone's stop order (`joins`) or leaves it.
    pub(crate) fn refile_in_zone_order(&mut self, id: ServiceId, place: ZonePlace, joins: bool) {
        let order = self.records[id.index()].zone_stop_order.as_deref_mut().expect("the service rebalances");
        if joins {
            order.insert(place);
        } else {
            order.remove(place);
        }
    }

    /// One of the service's listed tasks is UNHEALTHY (adopted so, or failing its checks), once.
    pub(crate) fn note_unhealthy(&mut self, id: ServiceId, task: TaskId) {
        assert!(self.list_position(id, task).is_some(), "an unhealthy task of the service is one of its listed tasks");
        let noted = self.unhealthy.entry(id).or_default();
        assert!(noted.insert(task), "a task is noted unhealthy once");
        let observations = &mut self.records[id.index()].schedule.observations;
        observations.unhealthy_tasks = observations.unhealthy_tasks.checked_add(1).expect("fewer than 2^32 tasks");
    }

    /// The service's listed UNHEALTHY tasks, by task ID.
    pub(crate) fn unhealthy_tasks(&self, id: ServiceId) -> impl Iterator<Item = TaskId> + '_ {
        self.unhealthy.get(&id).into_iter().flatten().copied()
    }

    /// Whether the service has a listed UNHEALTHY task.
    pub(crate) fn any_unhealthy(&self, id: ServiceId) -> bool {
        self.unhealthy.contains_key(&id)
    }

    /// Whether `task` is one of the service's listed UNHEALTHY tasks.
    pub(crate) fn is_unhealthy(&self, id: ServiceId, task: TaskId) -> bool {
        self.unhealthy.get(&id).is_some_and(|noted| noted.contains(&task))
    }

    /// A service's capacity provider strategy replaced (UpdateService), with its live tasks counted
    /// on the new one's providers (None: back to the launch type).
    /// After a pass of a service with a capacity provider strategy: whether its tasks wait
    /// PROVISIONING now. Returns since when they have waited (None when they do not, or the
    /// service has no strategy).
    pub(crate) fn note_provisioning(&mut self, id: ServiceId, provisioning: bool, now_ms: SimTimeMs) -> Option<SimTimeMs> {
        let c = self.records[id.index()].capacity.as_mut()?;
        if provisioning {
            Some(*c.provisioning_since_ms.get_or_insert(now_ms))
        } else {
            c.provisioning_since_ms = None;
            None
        }
    }

    pub(crate) fn set_capacity(&mut self, id: ServiceId, capacity: Option<Box<ServiceCapacity>>) {
        if let Some(c) = &capacity {
            debug_assert_eq!(c.strategy.len(), c.live.len(), "one count per item");
            debug_assert!(c.live.iter().map(|n| *n as usize).sum::<usize>() <= self.records[id.index()].tasks.len());
        }
        self.records[id.index()].capacity = capacity;
    }

    /// A task the service started, on an instance of `provider`.
    pub(crate) fn add_task(&mut self, id: ServiceId, task: TaskId, provider: Option<Sym>) {
        let s = &mut self.records[id.index()];
        self.list_positions.push(&mut s.tasks, task);
        if let (Some(c), Some(p)) = (&mut s.capacity, provider) {
            c.count(p, true);
        }
    }

    /// A task of the service reached STOPPED or was orphaned: it leaves the list in constant time
    /// (the last task takes its place), and its drain candidates if it may be one, filed under
    /// `candidate_key` (none for a task told to stop: no candidate, so no search of the set).
    pub(crate) fn remove_task(
        &mut self,
        id: ServiceId,
        task: TaskId,
        provider: Option<Sym>,
        candidate_key: Option<crate::state::task::StopKey>,
    ) {
        let s = &mut self.records[id.index()];
        self.list_positions.remove(&mut s.tasks, task);
        if let (Some(c), Some(p)) = (&mut s.capacity, provider) {
            c.count(p, false);
        }
        if let Some(noted) = self.unhealthy.get_mut(&id) {
            noted.remove(&task);
            if noted.is_empty() {
                self.unhealthy.remove(&id);
            }
        }
        if let Some(set) = &mut s.drain_candidates {
            if let Some(key) = candidate_key {
                debug_assert_eq!(key.3, task, "the task's own key");
                set.remove(key);
            }
            if s.tasks.len() < DRAIN_CANDIDATES_KEPT_DOWN_TO {
                s.drain_candidates = None;
            }
        }
    }

    /// Files a task as one of the service's drain candidates under `key` (`candidate`), or takes it
    /// out from under `key` (it may not be there). A candidate is one of its listed tasks; the
    /// service keeps its candidates.
    pub(crate) fn file_drain_candidate(&mut self, id: ServiceId, key: crate::state::task::StopKey, candidate: bool) {
        debug_assert!(!candidate || self.list_position(id, key.3).is_some(), "a drain candidate is a listed task");
        let set = self.records[id.index()].drain_candidates.as_mut().expect("the service keeps its drain candidates");
        if candidate {
            set.insert(key);
        } else {
            set.remove(key);
        }
    }

    /// A drain candidate's health changed: it moves from `old` to its key now, `new`.
    pub(crate) fn refile_drain_candidate_health(
        &mut self,
        id: ServiceId,
        old: crate::state::task::StopKey,
        new: crate::state::task::StopKey,
    ) {
        assert!(old.0 != new.0 && (old.1, old.2, old.3) == (new.1, new.2, new.3), "only the health of a key changes");
        let set = self.records[id.index()].drain_candidates.as_mut().expect("the service keeps its drain candidates");
        assert!(set.remove(old), "a drain candidate is filed under its key");
        set.insert(new);
    }

    /// Whether the service has grown big enough to keep its drain candidates and does not yet
    /// (the engine then gathers them: [`Services::keep_drain_candidates`]).
    pub(crate) fn needs_drain_candidates(&self, id: ServiceId) -> bool {
        let s = &self.records[id.index()];
        s.drain_candidates.is_none() && s.tasks.len() >= DRAIN_CANDIDATES_KEPT_FROM
    }

    /// Starts keeping the service's drain candidates, gathered from its tasks by the engine.
    pub(crate) fn keep_drain_candidates(&mut self, id: ServiceId, candidates: DrainCandidates) {
        debug_assert!(candidates.keys.iter().all(|k| self.list_position(id, k.4).is_some()), "drain candidates are listed tasks");
        let s = &mut self.records[id.index()];
        assert!(s.drain_candidates.is_none(), "a service gathers its drain candidates once");
        s.drain_candidates = Some(candidates);
    }

    /// The position of a task in `service`'s list, if it lists it (the invariants, and the order a
    /// pass stops tasks in that have not started).
    pub(crate) fn list_position(&self, service: ServiceId, task: TaskId) -> Option<usize> {
        self.list_positions.position(&self.records[service.index()].tasks, task)
    }

    /// Whether the list positions agree with the lists: a position is recorded for exactly the
    /// tasks of long lists (for the invariants; each list's own tasks are checked with
    /// [`Services::list_position`]).
    pub(crate) fn list_positions_counted(&self) -> bool {
        self.list_positions.counted_for(self.records.iter().map(|s| s.tasks.as_slice()))
    }

    /// Applies the change of one of its tasks' contribution to its counters.
    pub(crate) fn apply_contribution(
        &mut self,
        id: ServiceId,
        old: crate::state::task::Contribution,
        new: crate::state::task::Contribution,
    ) {
        self.records[id.index()].counts.apply_contribution(old, new);
    }

    /// The DAEMON service's next pass visits `instance`.
    pub(crate) fn note_daemon_candidate(&mut self, id: ServiceId, instance: InstanceId) {
        debug_assert_eq!(self.records[id.index()].scheduling, SchedulingStrategy::Daemon, "only a DAEMON visits candidates");
        self.records[id.index()].daemon_candidates.insert(instance);
    }

    /// The DAEMON service's count of the instances its `memberOf` expressions select must look at
    /// `instance` again.
    pub(crate) fn note_daemon_member_stale(&mut self, id: ServiceId, instance: InstanceId) {
        self.records[id.index()].daemon_members_stale.insert(instance);
    }

    /// The instances whose membership the DAEMON service must evaluate again, in cluster order;
    /// none are left noted.
    pub(crate) fn take_stale_daemon_members(&mut self, id: ServiceId) -> Vec<InstanceId> {
        self.records[id.index()].daemon_members_stale.take_in_order()
    }

    /// Whether `instance` counts toward the DAEMON service's desired count.
    pub(crate) fn set_daemon_member(&mut self, id: ServiceId, instance: InstanceId, member: bool) {
        let members = &mut self.records[id.index()].daemon_members;
        if member {
            members.insert(instance);
        } else {
            members.remove(&instance);
        }
    }

    /// The instances the DAEMON service's pass visits now, in cluster order; none are left noted.
    pub(crate) fn take_daemon_candidates(&mut self, id: ServiceId) -> Vec<InstanceId> {
        self.records[id.index()].daemon_candidates.take_in_order()
    }

    /// One of its staying tasks came to (`+1`) or left (`-1`) an instance in a zone (with `value`
    /// of the attribute the service spreads by, when it counts per value).
    pub(crate) fn adjust_spread(&mut self, id: ServiceId, place: SpreadPlace, delta: i32) {
        let s = &mut self.records[id.index()];
        s.spread.adjust_at(place, delta);
        self.note_staying_change(id);
    }

    /// The service's order of values is synced ([`SpreadCounts::sync_value_order`]).
    pub(crate) fn sync_value_order(&mut self, id: ServiceId, ranks: &crate::placement::ValueRanks) {
        self.records[id.index()].spread.sync_value_order(ranks);
    }

    /// The service starts keeping a room order ([`SpreadCounts::keep_room_order`]).
    pub(crate) fn keep_room_order(
        &mut self,
        id: ServiceId,
        class: crate::placement::SizeClass,
        pools: RoomPools,
        members: &[(InstanceId, Option<Sym>, RoomKeys)],
        (free, tie): (RoomFree, crate::placement::SpreadTie),
    ) {
        self.records[id.index()].spread.keep_room_order(class, pools, members, free, tie);
    }

    /// A walk of the service's placement passed over `passed_over` members; returns the total
    /// ([`SpreadCounts::note_walked_past`]).
    pub(crate) fn note_walked_past(&mut self, id: ServiceId, passed_over: usize) -> u64 {
        self.records[id.index()].spread.note_walked_past(passed_over)
    }

    /// A search found every member of `pool` occupied by the service
    /// ([`SpreadCounts::note_no_free_member`]).
    pub(crate) fn note_no_free_member(&mut self, id: ServiceId, pool: SpreadPool, joins: u64) {
        self.records[id.index()].spread.note_no_free_member(pool, joins);
    }

    /// The service stops keeping its room order (it places no more tasks).
    pub(crate) fn drop_room_order(&mut self, id: ServiceId) {
        self.records[id.index()].spread.drop_room_order();
    }

    /// An instance joined or left the class of the service's room order
    /// ([`SpreadCounts::room_membership_changed`]).
    pub(crate) fn room_membership_changed(
        &mut self,
        id: ServiceId,
        instance: InstanceId,
        pool: Option<Sym>,
        keys: RoomKeys,
        member: bool,
    ) {
        self.records[id.index()].spread.room_membership_changed(instance, pool, keys, member);
    }

    /// An unoccupied member of the class of the service's room order changed pools
    /// ([`SpreadCounts::room_member_refiled`]).
    pub(crate) fn room_member_refiled(
        &mut self,
        id: ServiceId,
        instance: InstanceId,
        keys: RoomKeys,
        pools: (Option<Sym>, Option<Sym>),
    ) {
        self.records[id.index()].spread.room_member_refiled(instance, keys, pools.0, pools.1);
    }

    /// A member of the class of the service's room order has new keys
    /// ([`SpreadCounts::room_member_rekeyed`]).
    pub(crate) fn room_member_rekeyed(
        &mut self,
        id: ServiceId,
        instance: InstanceId,
        pool: Option<Sym>,
        before: RoomKeys,
        after: RoomKeys,
    ) {
        self.records[id.index()].spread.room_member_rekeyed(instance, pool, before, after);
    }

    /// One more (`+1`) or one fewer (`-1`) healthy task among the service's staying ones: a
    /// healthy task joins or leaves the staying ones, or a staying task gains or loses its health.
    pub(crate) fn adjust_staying_healthy(&mut self, id: ServiceId, delta: i32) {
        self.note_staying_change(id);
        let s = &mut self.records[id.index()];
        s.staying_healthy = s
            .staying_healthy
            .checked_add_signed(delta)
            .unwrap_or_else(|| panic!("a service's staying healthy tasks would be {} + {delta}", s.staying_healthy));
        debug_assert!(
            s.staying_healthy <= s.spread.staying && s.staying_healthy <= s.counts.healthy,
            "healthy staying tasks are staying tasks, and healthy ones"
        );
    }

    /// Whether any service counts its tasks by an attribute's value (spread by an attribute
    /// other than the zone).
    pub(crate) fn any_value_spread(&self) -> bool {
        self.value_spreaders
    }

    /// Appends a service event at `at_ms`, unless it repeats the last one within
    /// [`DUPLICATE_EVENT_OMITTED_MS`]; returns its index when it was appended.
    pub(crate) fn push_event(&mut self, id: ServiceId, at_ms: SimTimeMs, event: ServiceEventKind) -> Option<u32> {
        let events = &mut self.records[id.index()].events;
        if events.last().is_some_and(|(last_at, last)| {
            *last == event && at_ms.checked_sub(*last_at).expect("events in time order") < DUPLICATE_EVENT_OMITTED_MS
        }) {
            return None;
        }
        events.push((at_ms, event));
        Some(u32::try_from(events.len() - 1).expect("fewer than 2^32 events"))
    }

    /// Notes a target of the service registered (`true`: a task reached RUNNING) or deregistered
    /// (a task began DEACTIVATING), for the service events at the end of the instant.
    pub(crate) fn note_target_change(&mut self, id: ServiceId, registered: bool) {
        let (reg, dereg) = self.target_changes.entry(id).or_default();
        let counter = if registered { reg } else { dereg };
        *counter = counter.checked_add(1).expect("fewer than 2^32 targets change in an instant");
    }

    /// The target registrations and deregistrations noted this instant, by service, in service
    /// order; the notes are cleared.
    pub(crate) fn take_target_changes(&mut self) -> BTreeMap<ServiceId, (u32, u32)> {
        std::mem::take(&mut self.target_changes)
    }

    /// A service record to corrupt, for the tests of the invariant checker.
    #[cfg(test)]
    pub(crate) fn record_mut_for_test(&mut self, id: ServiceId) -> &mut ServiceState {
        &mut self.records[id.index()]
    }
}

#[cfg(test)]
mod value_order_tests {
    /// Ranks of `values` in text order, as `PlacementIndex::rank_values` gives them.
    fn ranks_of(
        values: &std::collections::BTreeSet<Option<crate::infra::intern::Sym>>,
        strings: &crate::infra::intern::Interner,
        epoch: u64,
    ) -> crate::placement::ValueRanks {
        let mut by_rank: Vec<_> = values.iter().copied().collect();
        by_rank.sort_unstable_by_key(|v| v.map(|s| strings.resolve(s)));
        crate::placement::ValueRanks::in_order(by_rank, epoch)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// An owner's kept order of values (`ValueOrder`), synced after any counts change, values
        /// joining (ranked anew, as the index does when an unranked value becomes placeable) and
        /// a class coming to hold values or not, visits the class's values as a sort of them by
        /// (the owner's staying tasks, text) does — the order spread by an attribute visits them
        /// in. Values are interned out of text order, and more changes than the order notes
        /// between two syncs make it rebuild.
        #[test]
        fn the_kept_order_of_values_is_the_sorted_one(
            ops in proptest::collection::vec((0u8..5, 0usize..41, 0usize..6, -3i32..4), 1..300)
        ) {
            use crate::infra::ids::InstanceId;
            use crate::state::service::SpreadCounts;
            use std::collections::BTreeSet;
            let mut strings = crate::infra::intern::Interner::with_capacity(64, 1024);
            let attr = strings.intern("rack");
            let syms: Vec<_> = (0..40).map(|n| strings.intern(&format!("rack-{:02}", (n * 17) % 40))).collect();
            let value_of = |a: usize| (a < 40).then(|| syms[a]);
            let az = strings.intern("us-east-1a");
            let mut spread = SpreadCounts { value_attribute: Some(attr), ..SpreadCounts::new(true) };
            let (mut placeable, mut present) = (BTreeSet::new(), BTreeSet::new());
            let mut ranks = crate::placement::ValueRanks::default();
            for (op, a, b, delta) in ops {
                let value = value_of(a);
                match op {
                    // Staying tasks come or go on an instance (each has one value).
                    0 | 1 => {
                        let instance = InstanceId((a * 6 + b) as u32);
                        let on = spread.per_instance.get(instance) as i32;
                        spread.adjust_valued(instance, az, value, delta.max(-on));
                    }
                    // A value becomes placeable (unranked until the next spread reads the ranks).
                    2 => {
                        placeable.insert(value);
                    }
                    // The class comes to hold a placeable value, or no longer holds it.
                    3 => {
                        if placeable.contains(&value) && !present.remove(&value) {
                            present.insert(value);
                        }
                    }
                    // A spread reads the order.
                    _ => {
                        if ranks.epoch == 0 || placeable.iter().any(|v| ranks.rank(*v).is_none()) {
                            ranks = ranks_of(&placeable, &strings, ranks.epoch + 1);
                        }
                        spread.sync_value_order(&ranks);
                        proptest::prop_assert_eq!(spread.value_order_fault(Some(&ranks)), None);
                        let mut bits = ranks.no_bits();
                        for v in &present {
                            bits.set(ranks.rank(*v).expect("ranked"), true);
                        }
                        let visited: Vec<_> = spread.value_order.as_deref().expect("synced").visit(&bits, &ranks).collect();
                        let mut sorted: Vec<_> = present
                            .iter()
                            .map(|v| (spread.per_value.get(v).copied().unwrap_or(0), v.map(|s| strings.resolve(s)), *v))
                            .collect();
                        sorted.sort_unstable();
                        let sorted: Vec<_> = sorted.into_iter().map(|(_, _, v)| v).collect();
                        proptest::prop_assert_eq!(visited, sorted);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod stall_reason_tests {
    use super::StallReason;
    use crate::placement::PlacementFailureReason;

    /// `all` lists every reason once (a sweep's `--merge` refuses a reason it does not list): a new
    /// variant does not compile here until it is counted, and then the count fails until `all`
    /// lists it.
    #[test]
    fn every_stall_reason_is_listed_once() {
        let all: Vec<StallReason> = StallReason::all().collect();
        let variants = |r: StallReason| match r {
            StallReason::Placement(_) => PlacementFailureReason::ALL.len(),
            StallReason::DeploymentConfiguration | StallReason::StartThrottled | StallReason::Provisioning => 1,
        };
        let expected: usize = [
            StallReason::Placement(PlacementFailureReason::Cpu),
            StallReason::DeploymentConfiguration,
            StallReason::StartThrottled,
            StallReason::Provisioning,
        ]
        .into_iter()
        .map(variants)
        .sum();
        assert_eq!(all.len(), expected);
        let texts: std::collections::BTreeSet<&str> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(texts.len(), all.len(), "each reason's text once");
    }
}

#[cfg(test)]
mod drain_replacement_tests {
    use super::DrainReplacements;

    /// The ledger's moves: started ahead then stopped (maximumPercent above 100), stopped then
    /// owed (maximumPercent 100), the marks a pass makes, and the bounds a pass puts on it.
    #[test]
    fn the_ledger_owes_and_keeps_ahead() {
        let mut l = DrainReplacements::default();
        // Two candidates, replacements started ahead for both: none owed.
        assert_eq!(l.replacements_to_mark(2), 2);
        l.started();
        l.started();
        assert_eq!((l.owed(), l.ahead()), (0, 2));
        // Their tasks stop: the replacements were ahead.
        l.drained_task_stopped();
        l.drained_task_stopped();
        assert_eq!((l.owed(), l.ahead(), l.balance()), (0, 0, 0));
        // At maximumPercent 100 a candidate stops first: its replacement is owed, and marked
        // though no candidate is left on the draining instance.
        l.drained_task_stopped();
        assert_eq!(l.replacements_to_mark(0), 1);
        l.started();
        assert_eq!(l.balance(), 0);
        // A replacement ahead that stopped early leaves the ledger ahead: its successor is still
        // marked, for the candidate it replaces (not subtracted), and the pass's bound drops what
        // is left ahead once the candidates are gone.
        l.started();
        assert_eq!(l.replacements_to_mark(1), 1);
        l.bound(0, 5);
        assert_eq!(l.ahead(), 0);
        // A scale-in owes nothing past what the service misses.
        for _ in 0..3 {
            l.drained_task_stopped();
        }
        l.bound(0, 1);
        assert_eq!(l.owed(), 1);
        // At maximumPercent 100 the owed replacement starts, then is stopped before it ran (its
        // own instance drained): the task started in its place is owed, with no candidate left.
        l.started();
        assert_eq!(l.replacements_to_mark(0), 0);
        l.replacement_stopped_early();
        assert_eq!(l.replacements_to_mark(0), 1);
        // Above 100 the candidate still marks the successor: the stop only gives one back.
        let mut above = DrainReplacements::default();
        above.started();
        above.replacement_stopped_early();
        assert_eq!((above.replacements_to_mark(1), above.balance()), (1, 0));
    }
}
