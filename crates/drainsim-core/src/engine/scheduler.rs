//! The draining scheduler (seed text of UpdateContainerInstancesState; <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html>, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>–<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html>, docs/ecs-choices.md–
//! docs/ecs-choices.md, docs/ecs-choices.md): one scheduling pass per service, what triggers it, and the observations the report
//! is made of (min healthy, max tasks, stalls, floor breaches, drain completion times).
//!
//! One REPLICA pass, in order:
//! 1. service tasks not yet RUNNING on a DRAINING instance are stopped at once;
//! 2. UNHEALTHY tasks the healthy ones make up for are stopped (the others wait for replacements);
//!    tasks beyond `desiredCount` on non-draining instances are stopped (scale-in);
//! 3. replacements are started — as many as are missing, but never more than
//!    `ceiling − tasks not STOPPED` (ceiling = floor(desired × max / 100)); with no room, one
//!    UNHEALTHY task waiting for a replacement stops;
//! 4. RUNNING tasks on DRAINING instances are stopped — unhealthy ones always, healthy ones only while
//!    healthy tasks stay ≥ floor (floor = ceil(desired × min / 100)); oldest first, then by ARN;
//! 5. if work is left, nothing is in flight and the pass changed nothing, the service is stalled:
//!    for lack of CPU/memory/ports/ENIs, or because the min/max arithmetic leaves no legal move
//!    (ECS's deployment-configuration event).

use crate::engine::placement::{satisfies_member_of, satisfies_member_of_without};
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::infra::queue::EventKind;
use crate::infra::time::MINUTE_MS;
use crate::placement::{Constraints, Owner, PlacementFailure};
use crate::rules::lifecycle::{InstanceStatus, TaskStatus};
use crate::state::cluster::{CapacityWait, WaiterPick};
use crate::state::service::{
    BreachCause, Episode, FloorDip, SchedulingStrategy, ServiceEventKind, ServiceState, ServiceStatus, StallDetail, StallReason,
};
use crate::state::task::{SizeOverride, StopCode, StopKey};
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;

/// Longest back-off between start attempts after failed starts (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html>: 15 minutes).
pub const MAX_START_BACKOFF_MS: u64 = 15 * MINUTE_MS;

/// The drain candidates a REPLICA pass reads.
#[derive(Debug)]
enum PassCandidates {
    /// All of them, from the list of a service that keeps no set, in list order.
    Listed(Vec<TaskId>),
    /// From a big service's set, in stop order: the unhealthy ones, and how many healthy ones
    /// there are (step 4 reads those it may stop from the set).
    Kept { unhealthy: Vec<TaskId>, healthy: usize },
}

impl PassCandidates {
    /// How many there are.
    fn len(&self) -> usize {
        match self {
            PassCandidates::Listed(listed) => listed.len(),
            PassCandidates::Kept { unhealthy, healthy } => unhealthy.len() + healthy,
        }
    }

    /// The candidates read before step 1, among which are all that have not started yet (they
    /// are unhealthy): step 1 takes those out.
    fn read_up_front(&mut self) -> &mut Vec<TaskId> {
        match self {
            PassCandidates::Listed(read) | PassCandidates::Kept { unhealthy: read, .. } => read,
        }
    }
}

/// The tasks a pass stopped, for its service events: not yet RUNNING, and RUNNING.
#[derive(Debug, Default)]
struct Stops {
    pending: Vec<TaskId>,
    running: Vec<TaskId>,
}

/// What a DAEMON service's pass does on one instance of its cluster ([`Engine::daemon_action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DaemonAction {
    /// Nothing: its task runs there, or should not and does not.
    Nothing,
    /// Place its task there (if it fits).
    Place,
    /// Stop its tasks there, for this reason.
    Stop(&'static str),
    /// Stop its UNHEALTHY task there; a new one is placed once it is STOPPED (`maximumPercent` 100).
    ReplaceUnhealthy,
}

/// What one pass did.
#[derive(Debug, Default)]
struct PassOutcome {
    progress: bool,
    /// The pass placed a task (a start, not a stop).
    placed: bool,
    placement_failure: Option<PlacementFailure>,
    /// The CPU and memory of the task it could not place (with `placement_failure`).
    unplaced: Option<(i64, i64, u32)>,
    /// The task that found no room waits PROVISIONING for its provider's managed scaling.
    provisioning: bool,
    blocked_by_bounds: bool,
    throttled: bool,
}

/// The services whose scheduling pass is due at the current instant, keyed `(not a daemon, id)`: in
/// the order the passes run ([`Engine::request_pass`]). A service asked for again while its pass is
/// due (every task of it that changes in an instant asks) is found by a mark, not a search.
#[derive(Debug, Clone, Default)]
pub(crate) struct DuePasses {
    due: std::collections::BTreeSet<(bool, ServiceId)>,
    /// By service index: whether the service is in `due`.
    marked: Vec<bool>,
}

impl DuePasses {
    fn insert(&mut self, replica: bool, id: ServiceId) {
        if self.marked.len() <= id.index() {
            self.marked.resize(id.index() + 1, false);
        }
        if !std::mem::replace(&mut self.marked[id.index()], true) {
            let inserted = self.due.insert((replica, id));
            debug_assert!(inserted, "a service not marked is not due");
        }
    }

    fn pop_first(&mut self) -> Option<ServiceId> {
        let (_, id) = self.due.pop_first()?;
        self.marked[id.index()] = false;
        Some(id)
    }

    /// Empties the set, in order.
    fn take(&mut self) -> Vec<ServiceId> {
        let due = std::mem::take(&mut self.due);
        due.into_iter()
            .map(|(_, id)| {
                self.marked[id.index()] = false;
                id
            })
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// Whether the service's pass is due.
    pub(crate) fn contains(&self, id: ServiceId) -> bool {
        self.marked.get(id.index()).copied().unwrap_or(false)
    }
}

/// A scale-in stops at most this many tasks beyond desiredCount by the placement strategy's order
/// (rebalancing per stop); past it, the surplus stops first: another revision's, unhealthy, then newest.
const SCALE_IN_REBALANCED_UP_TO: usize = 256;

impl Engine {
    /// Asks for a pass of a service at the current instant.
    ///
    /// Due passes are kept in the order they run: DAEMON services first, then in service-creation
    /// order (the key's first member is false for a daemon). ECS prioritises daemon tasks when it
    /// schedules: a new or re-activated instance gets its daemon task before replica tasks take its
    /// room ("Improving daemon services in Amazon ECS",
    /// <https://aws.amazon.com/blogs/containers/improving-daemon-services-in-amazon-ecs/>), so which
    /// service was created first must not decide whether the daemon fits.
    pub(crate) fn request_pass(&mut self, id: ServiceId) {
        let replica = self.services[id.index()].scheduling != SchedulingStrategy::Daemon;
        self.pass_due.insert(replica, id);
    }

    /// Whether the service's pass is due at this instant: its pass event is at this instant (a
    /// request's passes wait so), or it is among the instant's due passes (an event's do).
    pub(crate) fn pass_due_now(&self, id: ServiceId) -> bool {
        self.services[id.index()].schedule.pass_event_at_ms == Some(self.now_ms) || self.pass_due.contains(id)
    }

    /// The next due pass to run (see [`Self::request_pass`] for the order).
    pub(crate) fn next_due_pass(&mut self) -> Option<ServiceId> {
        let id = self.pass_due.pop_first()?;
        if self.services[id.index()].az_rebalancing() {
            // It is no longer due: the cluster's note that all its rebalancing passes are goes.
            self.clusters.note_rebalancing_pass_taken(self.services[id.index()].cluster);
        }
        Some(id)
    }

    /// Turns the passes a request made due into pass events at the current time.
    pub(crate) fn defer_due_passes(&mut self) {
        for id in self.pass_due.take() {
            if self.services[id.index()].schedule.pass_event_at_ms != Some(self.now_ms) {
                self.services.schedule_mut(id).pass_event_at_ms = Some(self.now_ms);
                self.schedule(0, EventKind::SchedulerPass, id.0, 0);
            }
        }
    }

    pub(crate) fn on_scheduler_event(&mut self, id: ServiceId, kind: EventKind) {
        match kind {
            EventKind::SchedulerRetry => self.services.schedule_mut(id).retry_pending = false,
            _ => {
                if self.services[id.index()].schedule.pass_event_at_ms == Some(self.now_ms) {
                    self.services.schedule_mut(id).pass_event_at_ms = None;
                    if self.services[id.index()].az_rebalancing() {
                        self.clusters.note_rebalancing_pass_taken(self.services[id.index()].cluster);
                    }
                }
            }
        }
        self.request_pass(id);
    }

    /// Reacts to every trigger the state pushed, in the order it was pushed. Called by the engine
    /// after every event, scheduling pass and request.
    pub(crate) fn react(&mut self) {
        let mut n = 0;
        while n < self.triggers.len() {
            let trigger = self.triggers[n];
            n += 1;
            match trigger {
                Trigger::TaskStopped(id) => self.on_task_stopped(id),
                Trigger::TaskHealthy(s) => {
                    // A task that reached RUNNING and turned healthy ends a run of failed starts:
                    // the throttle counts starts that "repeatedly fail" (docs/ecs-choices.md,
                    // "Failed-start back-off").
                    self.services.schedule_mut(s).failed_starts = 0;
                    self.request_pass(s)
                }
                Trigger::TaskUnhealthy(s) | Trigger::TaskLeft(s) => self.request_pass(s),
                Trigger::TaskStopping(s, instance) => {
                    // Only a deleted service waits for its tasks to reach STOPPING.
                    if self.services[s.index()].status == ServiceStatus::Draining {
                        self.request_pass(s);
                    }
                    // Placement counts the task's room free: no REPLICA service is woken until it is
                    // STOPPED, but an instance becoming placeable meanwhile wakes those it may serve.
                    self.clusters.note_unannounced_room(self.services[s.index()].cluster, Some(instance));
                }
                Trigger::RoomFreed(cluster, instance) => {
                    self.wake_waiting_daemons(cluster);
                    self.clusters.note_unannounced_room(cluster, Some(instance));
                }
                Trigger::HealthyTaskLost(s, cause) => self.note_health_loss(s, cause),
                Trigger::TaskFailedToStart(s) => self.note_failed_start(s),
                Trigger::TaskPlaced(t) => self.wake_task_group_readers(t),
                Trigger::InstancePlaceable(instance) => {
                    let cluster = self.instances[instance.index()].cluster;
                    self.wake_services_with_room_on(instance);
                    self.wake_daemon_services(cluster);
                    self.wake_rebalancing_services(cluster);
                }
                Trigger::ClusterInstancesChanged(cluster) => self.wake_daemon_services(cluster),
                Trigger::RunningTasksChanged(instance) => {
                    let cluster = self.instances[instance.index()].cluster;
                    self.wake_daemons_reading(cluster, |_, s| {
                        s.status == ServiceStatus::Active && s.constraints.reads_running_tasks_count()
                    });
                }
                Trigger::DrainStarted(id) => self.begin_drain(id),
                Trigger::DrainEnded(id) => self.end_drain(id),
                Trigger::ServiceCreated(s) => {
                    if self.services[s.index()].scheduling == SchedulingStrategy::Daemon {
                        self.refresh_daemon_desired(s);
                    }
                    self.request_pass(s);
                }
                Trigger::ServiceChanged(s) => self.request_pass(s),
            }
        }
        self.triggers.clear();
        // Rebalancing services no longer known balanced over their zones: an instance becoming
        // placeable wakes them again (`engine/rebalance.rs::wake_rebalancing_services`).
        let clusters = &mut self.clusters;
        self.services.drain_unbalanced(|id, s| {
            if s.az_rebalancing() {
                clusters.unsettle_rebalancing_service(s.cluster, id);
            }
        });
    }

    /// A task stopped in the cluster: the services that could not place a task try again.
    fn wake_waiting_services(&mut self, cluster: ClusterId) {
        self.wake_capacity_waiters(cluster, WaiterPick::All);
    }

    /// An instance became placeable (registered, re-activated, its agent reconnected, its trunk
    /// attached): the services waiting for room try again if its free CPU, memory and GPUs hold the task
    /// each could not place, and whose `memberOf` expressions it satisfies. Another would fail its
    /// pass again, for no instance gained room since its last without a wake: a STOPPED task
    /// wakes every waiting service, an instance becoming placeable those it may serve, and room
    /// that wakes no REPLICA service when it appears is announced by the next instance that
    /// becomes placeable: a task STOPPING frees its room for placement on its instance, which
    /// then wakes the services it may serve too (none while it is not placeable: a DRAINING
    /// instance's), and a change of the capacity providers wakes every one. So a stalled service
    /// is not retried, and does not count another placement failure, each time an agent that
    /// cannot take its task reconnects (docs/ecs-choices.md, "When a service that could not place
    /// a task tries again"). Ports and ENIs are left to the pass.
    fn wake_services_with_room_on(&mut self, instance: InstanceId) {
        let i = &self.instances[instance.index()];
        if !i.indexed {
            return;
        }
        let cluster = i.cluster;
        let (everywhere, noted) = self.clusters.take_unannounced_room(cluster);
        if everywhere {
            self.wake_capacity_waiters(cluster, WaiterPick::All);
            return;
        }
        // The room now announced: this instance's, and that of the instances noted since (those
        // still placeable: a DRAINING instance's freed room serves nobody).
        let mut woken: Vec<ServiceId> = Vec::new();
        for on in noted.into_iter().filter(|on| *on != instance).chain([instance]) {
            let i = &self.instances[on.index()];
            if !i.indexed {
                continue;
            }
            let key = i.index_key(on);
            for s in
                self.clusters.capacity_waiters_fitting_in(cluster, i64::from(key.cpu), i64::from(key.memory), u32::from(key.gpu))
            {
                let service = &self.services[s.index()];
                let selected = match service.scheduling {
                    SchedulingStrategy::Daemon => satisfies_member_of_without(self, on, &service.constraints, s),
                    SchedulingStrategy::Replica => satisfies_member_of(self, on, &service.constraints),
                };
                if selected {
                    self.clusters.stop_waiting(cluster, s);
                    woken.push(s);
                }
            }
        }
        woken.sort_unstable();
        for s in woken {
            self.request_pass(s);
        }
    }

    /// Room was freed in the cluster before the task holding it stopped: the DAEMON services that
    /// could not place a task try again, before the replica passes of the instant (due passes run
    /// DAEMON services first) or a later retry take it. ECS "reserves container instance compute
    /// resources including CPU, memory and network interfaces for the daemon tasks", so that
    /// "resources are not used by pending replica tasks and are available for the daemon tasks",
    /// and where they are short it "continues to try and schedule the task on the instance by
    /// waiting for resources to become available"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service-options.html>).
    fn wake_waiting_daemons(&mut self, cluster: ClusterId) {
        self.wake_capacity_waiters(cluster, WaiterPick::Daemons);
    }

    /// The services of the cluster waiting for room that `pick` selects stop waiting and try again.
    fn wake_capacity_waiters(&mut self, cluster: ClusterId, pick: WaiterPick) {
        for s in self.clusters.take_capacity_waiters(cluster, pick) {
            self.request_pass(s);
        }
    }

    /// A task was placed: the other services waiting for room whose `memberOf` expressions read
    /// `task:group` try again, since the task may satisfy one (affinity), and so do the cluster's
    /// other daemon services that read it (their instances may have changed). Its own service
    /// tried its remaining tasks after placing it, so it does not.
    fn wake_task_group_readers(&mut self, placed: TaskId) {
        let t = &self.tasks[placed.index()];
        let cluster = self.instances[t.instance.index()].cluster;
        let own = self.origin(t.origin).service;
        let reads = |id: ServiceId, s: &ServiceState| Some(id) != own && s.constraints.reads_task_groups();
        self.wake_daemons_reading(cluster, reads);
        self.wake_capacity_waiters(cluster, WaiterPick::TaskGroupReadersBut(own));
    }

    /// The daemon services of a cluster that `read` picks re-count and re-evaluate their
    /// instances: what they read on an instance changed.
    fn wake_daemons_reading(&mut self, cluster: ClusterId, read: impl Fn(ServiceId, &ServiceState) -> bool) {
        let readers: Vec<ServiceId> = self.clusters[cluster.index()]
            .daemon_services
            .iter()
            .copied()
            .filter(|s| read(*s, &self.services[s.index()]))
            .collect();
        for s in readers {
            self.refresh_daemon_desired(s);
            self.request_pass(s);
        }
    }

    /// Daemon services of a cluster re-evaluate their instances.
    fn wake_daemon_services(&mut self, cluster: ClusterId) {
        self.wake_daemons_reading(cluster, |_, _| true);
    }

    /// ACTIVE → DRAINING: nothing more is placed there; the services with tasks on it move them.
    fn begin_drain(&mut self, id: InstanceId) {
        let cluster = self.instances[id.index()].cluster;
        if self.clusters.observe_first_drain(cluster) {
            let services = self.clusters[cluster.index()].services.clone();
            for s in &services {
                self.services.schedule_mut(*s).breach_watch = true;
                let obs = &mut self.services.schedule_mut(*s).observations;
                obs.placement_failures_before_first_drain = obs.placement_failures.values().sum();
            }
            for s in services {
                self.touched_services.insert(s);
            }
        }
        let owners: Vec<ServiceId> =
            self.instances[id.index()].tasks.iter().filter_map(|t| self.task_origin(*t).service).collect();
        for s in owners {
            self.request_pass(s);
        }
        self.wake_daemon_services(cluster);
        let now = self.now_ms;
        self.instances.note_drain_progress(id, now);
    }

    /// DRAINING → ACTIVE: the instance is schedulable again (placeability is refreshed by the status
    /// change); services re-evaluate.
    fn end_drain(&mut self, id: InstanceId) {
        let cluster = self.instances[id.index()].cluster;
        self.wake_waiting_services(cluster);
        self.wake_daemon_services(cluster);
        // Services with tasks there re-plan: those tasks no longer need replacing.
        let owners: Vec<ServiceId> =
            self.instances[id.index()].tasks.iter().filter_map(|t| self.task_origin(*t).service).collect();
        for s in owners {
            self.request_pass(s);
        }
    }

    /// A task reached STOPPED: its service re-plans, and services waiting for capacity try again.
    fn on_task_stopped(&mut self, id: TaskId) {
        let t = &self.tasks[id.index()];
        let cluster = self.instances[t.instance.index()].cluster;
        if let Some(s) = self.origin(t.origin).service {
            self.request_pass(s);
        }
        self.wake_waiting_services(cluster);
        // A task group left the instance: daemons whose expressions read task groups may now run there.
        self.wake_daemons_reading(cluster, |_, s| s.status == ServiceStatus::Active && s.constraints.reads_task_groups());
        let inst = self.tasks[id.index()].instance;
        if self.instances[inst.index()].status == InstanceStatus::Draining {
            // A daemon task may now be the last one on a draining instance.
            for s in self.clusters[cluster.index()].daemon_services.clone() {
                self.request_pass(s);
            }
        }
    }

    /// A healthy task was lost for a reason other than the scheduler's own stop.
    fn note_health_loss(&mut self, id: ServiceId, cause: BreachCause) {
        self.services.schedule_mut(id).last_health_loss = Some(cause);
        self.touched_services.insert(id);
    }

    /// A task of the service failed to start: from the second failure in a row (a task turning
    /// healthy ends a run) the scheduler backs off, up to 15 minutes
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html>), and says so.
    fn note_failed_start(&mut self, id: ServiceId) {
        let now = self.now_ms;
        let retry_interval_ms = self.config.timings.scheduler_retry_interval_ms;
        let s = self.services.schedule_mut(id);
        s.failed_starts = s.failed_starts.saturating_add(1);
        let failed_starts = s.failed_starts;
        // Throttled are starts that "repeatedly fail": a lone failure is replaced at once; the
        // n-th in a row (n ≥ 2) waits the retry interval × 2^(n−1), and ECS says so.
        if failed_starts < 2 {
            self.request_pass(id);
            return;
        }
        let backoff = retry_interval_ms.saturating_mul(1 << (failed_starts - 1).min(10)).min(MAX_START_BACKOFF_MS);
        s.start_backoff_until_ms = now.saturating_add(backoff);
        self.service_event(id, ServiceEventKind::UnableToConsistentlyStart);
        self.schedule(backoff, EventKind::SchedulerPass, id.0, 0);
    }

    /// Whether an instance counts toward a DAEMON's desired count: ACTIVE, and selected by its
    /// `memberOf` expressions (read without its own tasks).
    pub(crate) fn counts_as_daemon_member(&self, id: ServiceId, inst: InstanceId) -> bool {
        self.instances[inst.index()].status == InstanceStatus::Active
            && crate::engine::placement::satisfies_member_of_without(self, inst, &self.services[id.index()].constraints, id)
    }

    /// The daemon service's desired count: one task per ACTIVE instance of its cluster (a DRAINING
    /// instance does not count; docs/ecs-choices.md) that its `memberOf` expressions select. Without
    /// one it is the cluster's ACTIVE count, which the instance table keeps: registering or draining
    /// many instances of a cluster with a daemon does not count the cluster's instances each time.
    /// With expressions, it keeps the instances it found selected and evaluates again only those
    /// something happened to since ([`Engine::note_instance_changed`]).
    pub(crate) fn refresh_daemon_desired(&mut self, id: ServiceId) {
        let cluster = self.services[id.index()].cluster;
        let n = if self.services[id.index()].constraints.member_of.is_empty() {
            self.instances.active_in_cluster(cluster)
        } else {
            // Only the instances something happened to since the last count are evaluated again
            // (`note_instance_changed`); invariant `daemon-candidates` checks the others.
            for i in self.services.take_stale_daemon_members(id) {
                let member = self.counts_as_daemon_member(id, i);
                self.services.set_daemon_member(id, i, member);
            }
            u32::try_from(self.services[id.index()].daemon_members.len()).expect("fewer than 2^32 instances")
        };
        if self.services[id.index()].status == ServiceStatus::Active && self.services[id.index()].desired_count != n {
            self.services.set_desired_count(id, n);
            // CreateService's words for the strategy: "exactly one task on each active container
            // instance that meets all of the task placement constraints".
            let reason = if self.services[id.index()].constraints.member_of.is_empty() {
                "daemon: one task per ACTIVE instance"
            } else {
                "daemon: one task per ACTIVE instance that meets its placement constraints"
            };
            self.record(Subject::Service(id), Change::ServiceDesiredCount(n), reason);
            self.touched_services.insert(id);
        }
    }

    pub(crate) fn scheduling_pass(&mut self, id: ServiceId) {
        let outcome = match (self.services[id.index()].status, self.services[id.index()].scheduling) {
            (ServiceStatus::Inactive, _) => return,
            (ServiceStatus::Draining, _) => {
                self.deleted_service_pass(id);
                return;
            }
            (ServiceStatus::Active, SchedulingStrategy::Replica) => {
                // Availability Zone rebalancing (`rebalance.rs`) around the pass.
                self.rebalance_before_pass(id);
                let mut out = self.replica_pass(id);
                out.progress |= self.rebalance_after_pass(id, out.progress);
                out
            }
            (ServiceStatus::Active, SchedulingStrategy::Daemon) => self.daemon_pass(id),
        };
        self.after_pass(id, outcome);
        // What the pass leaves of the service's zones, its steady state noted.
        self.note_zones_after_pass(id);
    }

    /// A deleted (DRAINING) service stops every task, and is INACTIVE once all of them are
    /// STOPPING or STOPPED ("After all tasks have transitioned to either STOPPING or STOPPED status,
    /// the service status moves from DRAINING to INACTIVE",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html>); from then
    /// on its name can be reused. A task still deregistering from a load balancer (DEACTIVATING)
    /// holds it DRAINING.
    fn deleted_service_pass(&mut self, id: ServiceId) {
        for t in self.services[id.index()].tasks.clone() {
            self.stop_task_now(t, StopCode::ServiceSchedulerInitiated, crate::state::task::SERVICE_DELETED_STOPPED_REASON);
        }
        if self.services[id.index()].tasks.iter().all(|t| self.tasks[t.index()].last_status >= TaskStatus::Stopping) {
            self.services.set_status(id, ServiceStatus::Inactive);
            self.record(Subject::Service(id), Change::ServiceInactive, "service deleted and its tasks stopping");
        }
    }

    /// Whether a service's task runs another task definition revision than its service's: a task
    /// adopted from a cluster captured while a deployment was in progress
    /// (`Engine::adopt_running_task`). drainsim does not carry a deployment on, but a scale-in
    /// stops these tasks before any other, as the deployment would have: ECS's rolling update
    /// replaces the old deployment's tasks with the new task definition's and keeps the latter
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html>),
    /// so a service captured with more tasks than `desiredCount` keeps its new revision's, not
    /// whichever a tie-break by task ID picked (docs/ecs-choices.md, "A deployment in progress";
    /// `fidelity/imported-deployment-keeps-the-new-revision.ron`).
    pub(crate) fn runs_another_revision(&self, t: TaskId) -> bool {
        let origin = self.tasks.origin(t);
        origin.service.is_some_and(|s| self.services[s.index()].task_def != origin.task_def)
    }

    /// What puts a task before the others in a scale-in, whatever the placement strategy: running
    /// another revision than its service's ([`Self::runs_another_revision`]), then not being counted
    /// healthy — found UNHEALTHY, or still starting, a choice where ECS is silent
    /// (docs/ecs-choices.md, "Scale-in order";
    /// `drain/scale-in-after-a-cancelled-drain-stops-the-starting-tasks.ron`).
    pub(crate) fn first_to_go(&self, t: TaskId) -> (bool, bool) {
        (self.runs_another_revision(t), !self.tasks[t.index()].healthy())
    }

    /// A task's place in stop order: unhealthy first, then oldest, then by task ID (the order of
    /// task ARNs within a cluster; docs/ecs-choices.md). Keys are unique, so any sort gives one order.
    pub(crate) fn stop_key(&self, t: TaskId) -> StopKey {
        (self.tasks[t.index()].healthy(), self.task_created_at_ms(t), self.task_uuid(t), t)
    }

    /// The first of `tasks` in stop order ([`Self::stop_key`]), without a creation time per task:
    /// tasks are numbered as they are created, so the oldest of the least healthy are those
    /// created in the same instant as the lowest-numbered of them (`Tasks::created_with`), and
    /// only they are compared by task ID.
    pub(crate) fn first_in_stop_order(&self, tasks: &[TaskId]) -> Option<TaskId> {
        let healthy = |t: &TaskId| self.tasks[t.index()].healthy();
        let first = tasks.iter().min_by_key(|t| (healthy(t), t.0))?;
        let (least_healthy, created_together) = (healthy(first), self.tasks.created_with(*first));
        let chosen = tasks
            .iter()
            .copied()
            .filter(|t| healthy(t) == least_healthy && created_together.contains(&t.0))
            .min_by_key(|t| self.task_uuid(*t));
        debug_assert_eq!(chosen, tasks.iter().copied().min_by_key(|t| self.stop_key(*t)), "the first in stop order");
        chosen
    }

    /// One REPLICA pass: the four steps of the module documentation, in order, then the service
    /// events naming what it stopped.
    fn replica_pass(&mut self, id: ServiceId) -> PassOutcome {
        let mut out = PassOutcome::default();
        let mut stops = Stops::default();
        // When the floor holds every task on a DRAINING instance (all are healthy, and no healthy
        // task may stop within the floor, which scale-in only lowers), steps 1 and 4 stop none of
        // them: the counters say so, and the pass does not read them.
        let floor_holds_all = self.floor_holds_every_drain_candidate(id);
        let (mut kept, mut drain_candidates) = if floor_holds_all {
            (self.services[id.index()].spread.staying as usize, PassCandidates::Listed(Vec::new()))
        } else {
            self.staying_and_draining(id)
        };
        #[cfg(debug_assertions)]
        if floor_holds_all {
            let (_, read) = self.staying_and_draining(id);
            let all_healthy = match &read {
                PassCandidates::Listed(read) => !read.is_empty() && read.iter().all(|t| self.tasks[t.index()].healthy()),
                PassCandidates::Kept { unhealthy, healthy } => unhealthy.is_empty() && *healthy > 0,
            };
            assert!(all_healthy, "the counters say every candidate is healthy");
        }
        self.stop_starting_on_draining(id, drain_candidates.read_up_front(), &mut stops, &mut out);
        let replaced = self.replace_unhealthy(id, &mut stops, &mut out);
        kept = kept.checked_sub(replaced).expect("the unhealthy tasks stopped were staying");
        if kept > self.scale_in_target(id) {
            kept = self.scale_in(id, &mut stops, &mut out);
        }
        let on_draining = if floor_holds_all { self.wanted_on_draining(id) as usize } else { drain_candidates.len() };
        // The unhealthy tasks still waiting stay but are not counted: their replacements start.
        let awaiting = self.unhealthy_awaiting_replacement(id);
        let counted = kept.checked_sub(awaiting).expect("the unhealthy tasks waiting for replacements stay");
        // The tasks step 3 starts first replace drained tasks: those stopped before a replacement
        // started for them, and the drain candidates none was started ahead for.
        let missing = (self.services[id.index()].desired_count as usize).saturating_sub(counted);
        let ledger = &mut self.services.schedule_mut(id).drain_replacements;
        ledger.bound(u32::try_from(on_draining).unwrap_or(u32::MAX), u32::try_from(missing).unwrap_or(u32::MAX));
        let replacing = ledger.replacements_to_mark(u32::try_from(on_draining).unwrap_or(u32::MAX)) as usize;
        let (need, room) = self.start_missing(id, counted, replacing, &mut out);
        if need > room && awaiting > 0 && !self.stop_in_flight(id) {
            // maximumPercent leaves no room for every replacement ("If the maximumPercent parameter
            // limits the scheduler from starting a replacement task first, the scheduler will stop
            // an unhealthy task one at a time"): one unhealthy task stops first, in this pass.
            let first = self.unhealthy_staying(id)[0];
            self.replacement_lost(first);
            self.stop_unhealthy(first, &mut stops, &mut out);
        }
        let remaining_candidates = if floor_holds_all {
            on_draining
        } else {
            self.stop_drained_within_floor(id, drain_candidates, &mut stops, &mut out)
        };
        if !stops.pending.is_empty() {
            self.service_event(id, ServiceEventKind::stopped(false, &stops.pending));
        }
        if !stops.running.is_empty() {
            self.service_event(id, ServiceEventKind::stopped(true, &stops.running));
        }
        if remaining_candidates > 0 && need == 0 {
            // Replacements exist but are not healthy yet: waiting, not blocked.
            out.blocked_by_bounds = false;
        }
        if remaining_candidates > 0 && room == 0 && !out.progress {
            out.blocked_by_bounds = true;
        }
        out
    }

    /// How many of the service's tasks not told to stop are staying, and those on DRAINING
    /// instances (the drain candidates). The count comes from the counters, and the candidates
    /// from a big service's own set (`ServiceState::drain_candidates`), in stop order, of which
    /// only the unhealthy ones are read here, so that a pass costs what it stops, not the
    /// service's size nor its candidates; a smaller service's list is walked when some of them are
    /// on DRAINING instances. Only a scale-in needs the staying tasks themselves
    /// ([`Self::staying_tasks`]).
    fn staying_and_draining(&self, id: ServiceId) -> (usize, PassCandidates) {
        let s = &self.services[id.index()];
        let staying = s.spread.staying as usize;
        let on_draining = self.wanted_on_draining(id) as usize;
        let candidates = match &s.drain_candidates {
            Some(set) => {
                let unhealthy: Vec<TaskId> = set.unhealthy().collect();
                PassCandidates::Kept { healthy: set.len() - unhealthy.len(), unhealthy }
            }
            None if on_draining == 0 => PassCandidates::Listed(Vec::new()),
            None => PassCandidates::Listed(s.tasks.iter().copied().filter(|t| self.is_drain_candidate(*t)).collect()),
        };
        debug_assert_eq!(candidates.len(), on_draining, "the counters count the tasks on DRAINING instances");
        (staying, candidates)
    }

    /// The service's staying tasks (not told to stop, not on a DRAINING instance).
    fn staying_tasks(&self, id: ServiceId, into: &mut Vec<TaskId>) {
        into.clear();
        into.extend(self.services[id.index()].tasks.iter().copied().filter(|t| self.is_staying(*t)));
    }

    /// Step 1: tasks not yet RUNNING on a DRAINING instance stop at once (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-draining.html>).
    fn stop_starting_on_draining(
        &mut self,
        id: ServiceId,
        drain_candidates: &mut Vec<TaskId>,
        stops: &mut Stops,
        out: &mut PassOutcome,
    ) {
        drain_candidates.retain(|t| {
            if self.tasks[t.index()].last_status.is_starting() {
                stops.pending.push(*t);
                false
            } else {
                true
            }
        });
        // In the service's list order, whether the candidates came from its list or its set, so
        // that keeping a set changes no output (sorted before the stops below reorder the list:
        // a task stopped before it started leaves it at once).
        stops.pending.sort_by_cached_key(|t| self.services.list_position(id, *t).expect("a drain candidate is listed"));
        for t in &stops.pending {
            self.replacement_lost(*t);
            self.stop_task_now(
                *t,
                StopCode::ServiceSchedulerInitiated,
                "Task stopped because its container instance is DRAINING",
            );
            out.progress = true;
        }
    }

    /// Step 2, scale-in: stop what exceeds desiredCount (not bound by the floor), tasks of another
    /// revision than the service's first ([`Self::runs_another_revision`]), then unhealthy ones,
    /// then as the service's placement strategy would choose
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html>):
    /// binpack stops the task whose instance is left with the most free memory (or CPU); spread
    /// balances its field (by instance: the instance with the most of the service's tasks; by an
    /// attribute: the value with the most, then the instance with the most); with no strategy (and
    /// with `random`, which drainsim keeps deterministic) the Availability Zone with the most of the
    /// service's tasks, then the instance with the most (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>). Ties go to the newest
    /// task. A very large scale-in (more than 256 at once) takes another revision's, the unhealthy, then the newest,
    /// without rebalancing per stop. Each stop re-reads only what it changed
    /// ([`super::scale_in::ScaleInOrder`]); the order is kept for the service's next scale-in,
    /// which takes it up again if nothing it was built from changed in between
    /// ([`super::scale_in::ScaleInLists`]). Returns how many staying tasks are kept.
    fn scale_in(&mut self, id: ServiceId, stops: &mut Stops, out: &mut PassOutcome) -> usize {
        let desired = self.scale_in_target(id);
        let strategy = self.services[id.index()].strategies.first().copied();
        let stamp = self.scale_in_stamp(id);
        // The lists live in the engine between passes, so that a service scaled in pass after
        // pass does not allocate (and fault in) them anew each time.
        let mut order = match self.scale_in_lists.take_up(stamp) {
            Some(order) if order.len() <= desired + SCALE_IN_REBALANCED_UP_TO => {
                #[cfg(debug_assertions)]
                self.check_kept_scale_in_order(id, &order, strategy);
                order
            }
            taken => {
                if let Some(order) = taken {
                    self.scale_in_lists.give_back(order.into_buffers());
                }
                match self.build_scale_in_order(id, strategy, stops, out) {
                    Ok(order) => order,
                    Err(kept) => return kept,
                }
            }
        };
        while order.len() > desired {
            let victim = order.next().expect("more tasks stay than are wanted");
            self.stop_for_scale_in(victim, stops, out);
            order.take_next(self);
        }
        let kept = order.len();
        let stamp = self.scale_in_stamp(id);
        self.scale_in_lists.keep(stamp, order);
        kept
    }

    /// Lists the service's staying tasks into the engine's scale-in lists and orders them for a
    /// scale-in to [`Self::scale_in_target`]; more than [`SCALE_IN_REBALANCED_UP_TO`] over it,
    /// the surplus stops first: another revision's, unhealthy, then newest. When no more stay than are wanted then,
    /// how many stay (the lists are given back).
    fn build_scale_in_order(
        &mut self,
        id: ServiceId,
        strategy: Option<crate::placement::Strategy>,
        stops: &mut Stops,
        out: &mut PassOutcome,
    ) -> Result<Box<super::scale_in::ScaleInOrder>, usize> {
        let desired = self.scale_in_target(id);
        let mut buffers = self.scale_in_lists.take_spare();
        self.staying_tasks(id, &mut buffers.staying);
        let keep = &mut buffers.staying;
        if keep.len() > desired + SCALE_IN_REBALANCED_UP_TO {
            keep.sort_by_key(|t| {
                (std::cmp::Reverse(self.first_to_go(*t)), std::cmp::Reverse(self.task_created_at_ms(*t)), self.task_uuid(*t))
            });
            for victim in keep.drain(..keep.len() - desired - SCALE_IN_REBALANCED_UP_TO).collect::<Vec<_>>() {
                self.stop_for_scale_in(victim, stops, out);
            }
        }
        if keep.len() <= desired {
            let kept = keep.len();
            keep.clear();
            self.scale_in_lists.give_back(buffers);
            return Err(kept);
        }
        Ok(Box::new(super::scale_in::ScaleInOrder::new(self, buffers, strategy)))
    }

    /// A kept scale-in order stops what one built anew would (debug builds; the first stops of
    /// both, reading the engine as it is).
    #[cfg(debug_assertions)]
    fn check_kept_scale_in_order(
        &self,
        id: ServiceId,
        kept: &super::scale_in::ScaleInOrder,
        strategy: Option<crate::placement::Strategy>,
    ) {
        let mut buffers = super::scale_in::ScaleInBuffers::default();
        self.staying_tasks(id, &mut buffers.staying);
        assert_eq!(kept.len(), buffers.staying.len(), "a kept scale-in order holds the staying tasks");
        let fresh = super::scale_in::ScaleInOrder::new(self, buffers, strategy);
        let n = kept.len().min(1024);
        assert_eq!(kept.first_stops(self, n), fresh.first_stops(self, n), "a kept scale-in order stops what a new one would");
    }

    /// How many staying tasks scale-in keeps: `desiredCount`, plus a zone rebalancing move's task
    /// while it starts, plus the UNHEALTHY tasks waiting for their replacements.
    fn scale_in_target(&self, id: ServiceId) -> usize {
        self.services[id.index()].desired_count as usize + self.rebalance_surplus(id) + self.unhealthy_awaiting_replacement(id)
    }

    /// Step 2a: UNHEALTHY tasks are replaced. ECS "will first start a replacement task. Then [...]
    /// If the replacement task has a health status of HEALTHY, the service scheduler stops the
    /// unhealthy task", and "If the maximumPercent parameter limits the scheduler from starting a
    /// replacement task first, the scheduler will stop an unhealthy task one at a time [...] to
    /// free up capacity, and then start a replacement task"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html>, the rule
    /// since October 2023: <https://aws.amazon.com/about-aws/whats-new/2023/10/amazon-ecs-applications-resiliency-unpredictable-load-spikes/>;
    /// the second rule is the pass's step 3, after the starts). Here: the staying UNHEALTHY tasks that
    /// the healthy staying tasks already make up for stop, oldest first; the others stay until
    /// replacements are healthy ([`Self::unhealthy_awaiting_replacement`]). Stopping one never
    /// lowers the healthy count, so the floor does not hold it. Returns how many it stopped.
    fn replace_unhealthy(&mut self, id: ServiceId, stops: &mut Stops, out: &mut PassOutcome) -> usize {
        if !self.services.any_unhealthy(id) {
            return 0;
        }
        let staying = self.unhealthy_staying(id);
        let replaced = staying.len() - self.unhealthy_awaiting_replacement(id);
        for t in &staying[..replaced] {
            self.stop_unhealthy(*t, stops, out);
        }
        replaced
    }

    /// The service's UNHEALTHY tasks that stay (a drain stops those on DRAINING instances), in
    /// stop order.
    fn unhealthy_staying(&self, id: ServiceId) -> Vec<TaskId> {
        let mut staying: Vec<TaskId> = self.services.unhealthy_tasks(id).filter(|t| self.is_staying(*t)).collect();
        staying.sort_by_cached_key(|t| self.stop_key(*t));
        staying
    }

    /// How many of the service's staying UNHEALTHY tasks wait for a healthy replacement: as many as
    /// the healthy staying tasks fall short of `desiredCount`, at most all of them.
    pub(crate) fn unhealthy_awaiting_replacement(&self, id: ServiceId) -> usize {
        if !self.services.any_unhealthy(id) {
            return 0;
        }
        let s = &self.services[id.index()];
        let unhealthy = self.unhealthy_staying_count(id) as usize;
        unhealthy.min((s.desired_count as usize).saturating_sub(s.staying_healthy as usize))
    }

    /// Stops an UNHEALTHY task of a service, in ECS's words for a task replaced after failing its
    /// health checks: its load balancer's (a target group, or a Classic Load Balancer) when only
    /// the load balancer judges its health, else the containers'
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html>).
    fn stop_unhealthy(&mut self, t: TaskId, stops: &mut Stops, out: &mut PassOutcome) {
        let reason = self.unhealthy_stop_reason(t);
        self.stop_task_now(t, StopCode::ServiceSchedulerInitiated, &reason);
        stops.running.push(t);
        out.progress = true;
    }

    /// Why an UNHEALTHY task is stopped, in ECS's words ([`Self::stop_unhealthy`]).
    fn unhealthy_stop_reason(&self, t: TaskId) -> String {
        let origin = *self.task_origin(t);
        let by_containers = self.task_defs[origin.task_def.index()].reports_health_status();
        match origin.service.filter(|_| !by_containers).and_then(|s| self.load_balancer_label(s)) {
            Some(lb) => format!("Task failed ELB health checks in ({lb})"),
            None => "Task failed container health checks".to_string(),
        }
    }

    /// Whether a task of the service was told to stop and has not reached STOPPED.
    fn stop_in_flight(&self, id: ServiceId) -> bool {
        let c = &self.services[id.index()].counts;
        c.live > c.running + c.pending
    }

    fn stop_for_scale_in(&mut self, victim: TaskId, stops: &mut Stops, out: &mut PassOutcome) {
        self.stop_noted(victim, crate::state::task::SCALE_IN_STOPPED_REASON, stops);
        out.progress = true;
    }

    /// The service scheduler stops a task (`ServiceSchedulerInitiated`), noted for the pass's
    /// events as pending (it had not reached RUNNING) or running.
    fn stop_noted(&mut self, t: TaskId, reason: &str, stops: &mut Stops) {
        let starting = self.tasks[t.index()].last_status.is_starting();
        self.stop_task_now(t, StopCode::ServiceSchedulerInitiated, reason);
        if starting {
            stops.pending.push(t);
        } else {
            stops.running.push(t);
        }
    }

    /// Step 3: start what is missing, within the ceiling, unless the failed-start back-off holds
    /// starts back; the first `replacing` started replace drained tasks (each noted in the
    /// service's [`DrainReplacements`](crate::state::service::DrainReplacements)). Returns how many were
    /// missing and how many the ceiling left room for.
    fn start_missing(&mut self, id: ServiceId, kept: usize, replacing: usize, out: &mut PassOutcome) -> (usize, usize) {
        let s = &self.services[id.index()];
        let need = (s.desired_count as usize).saturating_sub(kept);
        let room = (s.ceiling() as usize).saturating_sub(s.counts.live as usize);
        if need == 0 {
            return (need, room);
        }
        if room == 0 {
            out.blocked_by_bounds = true;
            return (need, room);
        }
        if self.now_ms < s.schedule.start_backoff_until_ms {
            out.throttled = true;
            return (need, room);
        }
        let n = need.min(room);
        let (task_def, cluster, group) = (s.task_def, s.cluster, s.group);
        let base = s.constraints.clone();
        let strategies = s.strategies.clone();
        let req = self.requirements_of(task_def);
        let mut started = Vec::new();
        let mut built = Vec::new();
        // With a capacity provider strategy, each of the `n` tasks is given its provider first, by
        // the strategy's shares as if every earlier one of them were placed: a provider whose
        // instances cannot take its task keeps its share unplaced (failed, or PROVISIONING for its
        // managed scaling) and the other providers place theirs, as ECS assigns tasks to providers
        // before placing them within each. (Until 2026-12-08 the first failure ended the pass, so a
        // provider without capacity held back every other provider's tasks, in the order the
        // strategy listed them.)
        let mut planned: Option<Vec<u32>> = self.services[id.index()].capacity.as_ref().map(|c| c.live.clone());
        // The providers that failed this pass, each with its tasks left unplaced and why.
        let mut failed: Vec<(Option<crate::infra::intern::Sym>, u64, PlacementFailure)> = Vec::new();
        for k in 0..n {
            let provider = match (planned.as_mut(), self.services[id.index()].capacity.as_ref()) {
                (Some(counts), Some(c)) => {
                    let chosen = crate::rules::capacity_providers::choose_provider(&c.strategy, counts);
                    counts[chosen] = counts[chosen].checked_add(1).expect("fewer than 2^32 tasks");
                    Some(c.strategy[chosen].provider)
                }
                _ => None,
            };
            if let Some(entry) = failed.iter_mut().find(|(p, _, _)| *p == provider) {
                entry.1 += 1;
                continue;
            }
            // A service without a strategy places by its own constraints (no copy per task).
            let within;
            let constraints = match provider {
                None => &base,
                provider => {
                    within = self.constraints_within(&base, provider, &mut built);
                    &within
                }
            };
            match self.choose_instance(cluster, &req, &strategies, Owner::Service(id), constraints) {
                Ok(i) => {
                    let replaces = started.len() < replacing;
                    started.push(self.launch_task(i, task_def, Some(id), group, None, SizeOverride::default(), replaces, None));
                    if replaces {
                        self.services.schedule_mut(id).drain_replacements.started();
                    }
                    out.progress = true;
                    out.placed = true;
                }
                Err(f) => {
                    failed.push((provider, 1, f));
                    if provider.is_none() {
                        // Without a strategy every task is placed alike: the rest would fail too.
                        failed[0].1 = (n - k) as u64;
                        break;
                    }
                }
            }
        }
        if !failed.is_empty() {
            // Tasks that wait PROVISIONING for managed scaling did not fail placement; the pass's
            // failure (its event, the stall's reason) is that of the first provider that failed
            // without managed scaling, when one did, else the first's.
            let waits: Vec<bool> = failed.iter().map(|(p, _, _)| self.waits_for_managed_scaling(*p)).collect();
            for ((_, unplaced, f), waits) in failed.iter().zip(&waits) {
                if !waits {
                    *self.services.schedule_mut(id).observations.placement_failures.entry(f.reason).or_insert(0) += unplaced;
                }
            }
            let shown = waits.iter().position(|w| !w).unwrap_or(0);
            out.provisioning = waits.iter().all(|w| *w);
            out.placement_failure = Some(failed.swap_remove(shown).2);
            out.unplaced = Some((req.cpu, req.memory, req.gpu));
        }
        if !started.is_empty() {
            self.service_event(id, ServiceEventKind::started(&started));
        }
        (need, room)
    }

    /// A task not yet told to stop is stopped or lost for a reason other than step 4's stop of a
    /// drain candidate or its service's own scale-in or rebalancing move, and the service will
    /// start a task in its place: still PENDING on an instance drained in its turn (step 1), an
    /// UNHEALTHY one stopped before its replacement for lack of room, a user's StopTask, a failed
    /// start, an essential container's exit (explore's injection), or orphaned with its instance.
    /// If it replaced a drained task, the task started in its place replaces the same one
    /// ([`DrainReplacements::replacement_stopped_early`](crate::state::service::DrainReplacements::replacement_stopped_early)):
    /// the one place this rule is applied. Not here: an UNHEALTHY replacement stopped once the task
    /// started for it (with room above `maximumPercent` 100) is healthy — that task was started
    /// unmarked unless its drained task was still a candidate.
    pub(crate) fn replacement_lost(&mut self, t: TaskId) {
        let task = &self.tasks[t.index()];
        if !task.replaces_drained_task() || task.desired_stopped() {
            return;
        }
        if let Some(s) = self.task_origin(t).service {
            self.services.schedule_mut(s).drain_replacements.replacement_stopped_early();
        }
    }

    /// Step 4: stop RUNNING tasks on DRAINING instances, unhealthy ones always, healthy ones only
    /// while the healthy tasks stay above the floor; in stop order (docs/ecs-choices.md). Returns how
    /// many drain candidates it had to leave running.
    fn stop_drained_within_floor(
        &mut self,
        id: ServiceId,
        drain_candidates: PassCandidates,
        stops: &mut Stops,
        out: &mut PassOutcome,
    ) -> usize {
        let within_floor = self.services[id.index()].healthy_stops_within_floor() as usize;
        let (to_stop, remaining_candidates) = match drain_candidates {
            PassCandidates::Listed(listed) => self.first_drain_candidates_to_stop(listed, within_floor),
            PassCandidates::Kept { mut unhealthy, healthy } => {
                // Read in stop order from the set: the unhealthy ones (those left by step 1), then
                // as many healthy ones as may stop.
                let may_stop = within_floor.min(healthy);
                let set = self.services[id.index()].drain_candidates.as_ref().expect("the service keeps its drain candidates");
                debug_assert_eq!(set.len(), unhealthy.len() + healthy, "steps 2 and 3 leave the candidates alone");
                unhealthy.extend(set.first_healthy(may_stop));
                #[cfg(debug_assertions)]
                if self.services[id.index()].tasks.len() <= 4096 {
                    let listed =
                        self.services[id.index()].tasks.iter().copied().filter(|t| self.is_drain_candidate(*t)).collect();
                    let from_list = self.first_drain_candidates_to_stop(listed, within_floor);
                    assert_eq!(
                        (&unhealthy, healthy - may_stop),
                        (&from_list.0, from_list.1),
                        "the kept candidates stop as the rule orders"
                    );
                }
                (unhealthy, healthy - may_stop)
            }
        };
        for t in to_stop {
            if self.tasks[t.index()].replaces_drained_task() {
                self.services.schedule_mut(id).observations.tasks_moved_more_than_once += 1;
            }
            self.services.schedule_mut(id).drain_replacements.drained_task_stopped();
            self.stop_task_now(t, StopCode::ServiceSchedulerInitiated, "Task stopped because its container instance is DRAINING");
            stops.running.push(t);
            out.progress = true;
        }
        remaining_candidates
    }

    /// Of `candidates` (RUNNING, on DRAINING instances), the ones step 4 stops, in stop order —
    /// every unhealthy one, and the first `within_floor` healthy ones — and how many it leaves.
    fn first_drain_candidates_to_stop(&self, candidates: Vec<TaskId>, within_floor: usize) -> (Vec<TaskId>, usize) {
        // Only the healthy ones that may stop are ordered (each key computed once, not per
        // comparison).
        let mut keys: Vec<StopKey> = candidates.into_iter().map(|t| self.stop_key(t)).collect();
        // Unhealthy (`false`) first, in place.
        let mut unhealthy = 0;
        for k in 0..keys.len() {
            if !keys[k].0 {
                keys.swap(unhealthy, k);
                unhealthy += 1;
            }
        }
        let (first, healthy) = keys.split_at_mut(unhealthy);
        first.sort_unstable();
        let may_stop = within_floor.min(healthy.len());
        if may_stop < healthy.len() && may_stop > 0 {
            healthy.select_nth_unstable(may_stop);
        }
        healthy[..may_stop].sort_unstable();
        let remaining = healthy.len() - may_stop;
        keys.truncate(unhealthy + may_stop);
        (keys.into_iter().map(|k| k.3).collect(), remaining)
    }

    /// Something about an instance changed (its status, agent or attributes, or a task on it, or
    /// an attachment to it): the ACTIVE DAEMON services of its cluster visit it in their next
    /// pass. Called for every trace record ([`Engine::record`]).
    pub(crate) fn note_instance_changed(&mut self, instance: InstanceId) {
        let cluster = self.instances[instance.index()].cluster;
        for s in &self.clusters[cluster.index()].daemon_services {
            let service = &self.services[s.index()];
            if service.status == ServiceStatus::Active {
                let member_of = !service.constraints.member_of.is_empty();
                self.services.note_daemon_candidate(*s, instance);
                if member_of {
                    self.services.note_daemon_member_stale(*s, instance);
                }
            }
        }
    }

    /// The DAEMON service's tasks on an instance that are not told to stop.
    fn daemon_tasks_on(&self, id: ServiceId, inst: InstanceId) -> impl Iterator<Item = TaskId> + '_ {
        self.instances[inst.index()]
            .tasks
            .iter()
            .copied()
            .filter(move |t| self.task_origin(*t).service == Some(id) && !self.tasks[t.index()].desired_stopped())
    }

    /// What the DAEMON service's pass does on an instance of its cluster. The pass and the
    /// `daemon-candidates` invariant both ask.
    pub(crate) fn daemon_action(&self, id: ServiceId, inst: InstanceId) -> DaemonAction {
        let constraints = &self.services[id.index()].constraints;
        let i = &self.instances[inst.index()];
        let runs_there = self.daemon_tasks_on(id, inst).next().is_some();
        // A task of this daemon told to stop but not yet STOPPED still counts toward its
        // maximumPercent of 100 (tasks "in the RUNNING, STOPPING, or PENDING state",
        // <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html>):
        // its successor on this instance waits for it to be STOPPED, a record that makes the
        // instance a candidate again. (An instance set ACTIVE again while the daemon's task there
        // still stops placed a second one beside it.)
        let stopping_there =
            !runs_there && i.tasks.iter().any(|t| self.task_origin(*t).service == Some(id) && self.tasks[t.index()].is_live());
        match i.status {
            InstanceStatus::Active if stopping_there => DaemonAction::Nothing,
            // A daemon runs only on the instances its memberOf expressions select (they are not
            // in its desired count either); the others are not failures.
            InstanceStatus::Active if !runs_there => {
                if i.is_placeable() && crate::engine::placement::satisfies_member_of_without(self, inst, constraints, id) {
                    DaemonAction::Place
                } else {
                    DaemonAction::Nothing
                }
            }
            // "The service scheduler also evaluates the task placement constraints for running
            // tasks and stops tasks that do not meet the placement constraints" (CreateService,
            // schedulingStrategy, <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>).
            InstanceStatus::Active if !crate::engine::placement::satisfies_member_of_without(self, inst, constraints, id) => {
                DaemonAction::Stop("Task stopped because its container instance no longer meets the placement constraints")
            }
            // Daemon tasks stop last: after every other service task on the instance stopped.
            InstanceStatus::Draining if runs_there => {
                let others = i.tasks.iter().any(|t| {
                    let t = &self.tasks[t.index()];
                    self.origin(t.origin)
                        .service
                        .is_some_and(|s| self.services[s.index()].scheduling == SchedulingStrategy::Replica)
                });
                if others {
                    DaemonAction::Nothing
                } else {
                    DaemonAction::Stop("Task stopped because its container instance is DRAINING")
                }
            }
            InstanceStatus::Active if self.daemon_tasks_on(id, inst).any(|t| self.services.is_unhealthy(id, t)) => {
                DaemonAction::ReplaceUnhealthy
            }
            _ => DaemonAction::Nothing,
        }
    }

    /// A DAEMON service's pass: a task on every instance of its cluster that should run one,
    /// none where it should not. It visits only its candidates ([`Engine::note_instance_changed`]):
    /// an instance nothing happened to since the last pass needs nothing now, unless its task
    /// did not fit then — those stay candidates, and each pass counts them again as placement
    /// failures, as ECS reports an instance the daemon cannot run on until it can. So a pass
    /// costs what changed, not the cluster's size.
    fn daemon_pass(&mut self, id: ServiceId) -> PassOutcome {
        let mut out = PassOutcome::default();
        self.refresh_daemon_desired(id);
        let task_def = self.services[id.index()].task_def;
        let req = self.requirements_of(task_def);
        let group = self.services[id.index()].group;
        let mut started = Vec::new();
        let mut stops = Stops::default();
        let mut unhealthy_stop_begun = false;
        for inst in self.services.take_daemon_candidates(id) {
            match self.daemon_action(id, inst) {
                DaemonAction::Nothing => {}
                DaemonAction::Place => match crate::engine::placement::unmet_requirement(
                    self,
                    inst,
                    &req,
                    Owner::Service(id),
                    &Constraints::default(),
                ) {
                    None => {
                        started.push(self.launch_task(
                            inst,
                            task_def,
                            Some(id),
                            group,
                            None,
                            SizeOverride::default(),
                            false,
                            None,
                        ));
                        out.progress = true;
                        out.placed = true;
                    }
                    Some(reason) => {
                        *self.services.schedule_mut(id).observations.placement_failures.entry(reason).or_insert(0) += 1;
                        let unmet = crate::engine::placement::unmet_requirements(
                            self,
                            inst,
                            &req,
                            Owner::Service(id),
                            &Constraints::default(),
                        );
                        out.placement_failure =
                            Some(PlacementFailure { reason, closest: Some(inst), unmet, allowed_unmet: Vec::new() });
                        out.unplaced = Some((req.cpu, req.memory, req.gpu));
                        // Still wanting a task: the next pass tries it again.
                        self.services.note_daemon_candidate(id, inst);
                    }
                },
                DaemonAction::Stop(reason) => {
                    let daemon_tasks: Vec<TaskId> = self.daemon_tasks_on(id, inst).collect();
                    for t in daemon_tasks {
                        self.stop_noted(t, reason, &mut stops);
                        out.progress = true;
                    }
                }
                DaemonAction::ReplaceUnhealthy => {
                    // maximumPercent 100 never leaves room to start a replacement first, so ECS
                    // "will stop an unhealthy task one at a time at random to free up capacity, and
                    // then start a replacement task" (developer guide, Amazon ECS services;
                    // DeploymentConfiguration: "stops the unhealthy tasks one-by-one"). One stop at a
                    // time: while one is under way the others wait, and the instance stays a
                    // candidate so the pass after its STOPPED takes the next.
                    if unhealthy_stop_begun || self.stop_in_flight(id) {
                        self.services.note_daemon_candidate(id, inst);
                        continue;
                    }
                    unhealthy_stop_begun = true;
                    let unhealthy: Vec<TaskId> =
                        self.daemon_tasks_on(id, inst).filter(|t| self.services.is_unhealthy(id, *t)).collect();
                    for t in unhealthy {
                        let reason = self.unhealthy_stop_reason(t);
                        // Its room stays reserved for the daemon task that replaces it: "the daemon
                        // task is placed first and its resources are reserved, so replica tasks
                        // cannot take them" (docs/ecs-choices.md § 6).
                        if !self.tasks[t.index()].reservation_released() {
                            self.tasks.keep_room(t);
                        }
                        self.stop_task_now(t, StopCode::ServiceSchedulerInitiated, &reason);
                        stops.running.push(t);
                        out.progress = true;
                    }
                }
            }
        }
        if !started.is_empty() {
            self.service_event(id, ServiceEventKind::started(&started));
        }
        if !stops.pending.is_empty() {
            self.service_event(id, ServiceEventKind::stopped(false, &stops.pending));
        }
        if !stops.running.is_empty() {
            self.service_event(id, ServiceEventKind::stopped(true, &stops.running));
        }
        out
    }

    /// Work left after a pass: missing tasks, or (a REPLICA service's) tasks still on draining
    /// instances. From the service's counters, not its tasks (a pass runs each instant a service
    /// is touched, and a big service or a DAEMON on a big cluster has a task per instance): the
    /// tasks it wants are its RUNNING and pending ones (a task told to stop is neither, and no
    /// task leaves RUNNING before it is told to), and those not on a DRAINING instance are its
    /// staying tasks, which the spread counts keep. `invariants.rs` recounts both from the tasks
    /// (`pass-counters`).
    ///
    /// A staying UNHEALTHY task that waits for a healthy replacement does not count toward
    /// `desiredCount` (step 2a): while its replacement cannot be placed, work is left, and the
    /// service is stalled and retried like any other, not left waiting for nothing.
    pub(crate) fn work_left(&self, id: ServiceId) -> bool {
        let s = &self.services[id.index()];
        let awaiting = u32::try_from(self.unhealthy_awaiting_replacement(id)).expect("fewer than 2^32 tasks");
        let counted = s.spread.staying.checked_sub(awaiting).expect("tasks awaiting replacement are staying tasks");
        (s.scheduling == SchedulingStrategy::Replica && self.wanted_on_draining(id) > 0) || counted < s.desired_count
    }

    /// How many of the service's UNHEALTHY tasks stay (not told to stop, not on a DRAINING
    /// instance): they wait for replacements, and nothing of their own will move them.
    fn unhealthy_staying_count(&self, id: ServiceId) -> u32 {
        if !self.services.any_unhealthy(id) {
            return 0;
        }
        let n = self.services.unhealthy_tasks(id).filter(|t| self.is_staying(*t)).count();
        u32::try_from(n).expect("fewer than 2^32 tasks")
    }

    /// Whether the service has tasks on DRAINING instances, all of them healthy, and none of its
    /// healthy tasks may stop within the floor: then no pass step stops one of them (none is
    /// starting or unhealthy). From the counters: the healthy tasks on
    /// DRAINING instances are the healthy ones less the staying healthy ones.
    fn floor_holds_every_drain_candidate(&self, id: ServiceId) -> bool {
        let s = &self.services[id.index()];
        let on_draining = self.wanted_on_draining(id);
        let healthy_on_draining = s.counts.healthy.checked_sub(s.staying_healthy).expect("staying healthy tasks are healthy");
        on_draining > 0 && healthy_on_draining == on_draining && s.healthy_stops_within_floor() == 0
    }

    /// The service's tasks not told to stop that are on DRAINING instances: its RUNNING and
    /// pending tasks less its staying ones (see [`Engine::work_left`]).
    fn wanted_on_draining(&self, id: ServiceId) -> u32 {
        let s = &self.services[id.index()];
        let wanted = s.counts.running.checked_add(s.counts.pending).expect("fewer than 2^32 tasks");
        wanted.checked_sub(s.spread.staying).expect("staying tasks are wanted tasks")
    }

    /// Whether anything of the service is in transition (a later event will trigger a pass): a
    /// live task that is not healthy (one told to stop never is), but a staying UNHEALTHY one,
    /// which waits for its replacement and moves on no event of its own. From the counters, as
    /// [`Engine::work_left`] (the UNHEALTHY tasks are read only when the service has some).
    pub(crate) fn in_flight(&self, id: ServiceId) -> bool {
        let c = &self.services[id.index()].counts;
        c.healthy.checked_add(self.unhealthy_staying_count(id)).expect("fewer than 2^32 tasks") < c.live
    }

    /// Whether what is in flight ([`Self::in_flight`]) hides a pass's failed placement: not when
    /// every task in flight waits for a disconnected agent, which may never come back to move
    /// it. A drained task told to stop on an instance whose agent went away stays RUNNING with
    /// `desiredStatus` STOPPED until the agent is back (docs/ecs-choices.md, "Tasks on an
    /// instance whose agent is disconnected"); a replacement that cannot be placed meanwhile is a
    /// stall, with the placement's reason, as it is with the agent connected
    /// (`fidelity/stall-behind-a-task-held-by-a-disconnected-agent.ron`). Only for a pass that
    /// failed to place a task: one that tried no placement and is held back by its bounds while
    /// the tasks wait for their agent is not in a deadlock of minimumHealthyPercent and
    /// maximumPercent — it goes on once the agent is back — so it reports no
    /// `deploymentConfiguration` stall (`fidelity/no-deadlock-while-replacements-wait-for-their-agent.ron`).
    /// The held tasks are read only then: a failed placement, no progress, work left and
    /// something in flight by the counters.
    fn in_flight_hides_placement_failure(&self, id: ServiceId, failed_placement: bool) -> bool {
        if !self.in_flight(id) {
            return false;
        }
        if !failed_placement {
            return true;
        }
        let c = &self.services[id.index()].counts;
        let not_healthy = c.live.checked_sub(c.healthy).expect("healthy tasks are live");
        let in_transition = not_healthy.checked_sub(self.unhealthy_staying_count(id)).expect("UNHEALTHY tasks are not healthy");
        in_transition > self.service_tasks_held_for_agent(id)
    }

    /// Stalls, the deadlock and placement events, retries and steady state after a pass.
    fn after_pass(&mut self, id: ServiceId, out: PassOutcome) {
        // A task of a provider with managed scaling that finds no room waits PROVISIONING for the
        // group to scale out, instead of failing placement: no "unable to place" event.
        let provisioning = out.provisioning;
        if let Some(f) = out.placement_failure.as_ref().filter(|_| !provisioning) {
            self.service_event(id, ServiceEventKind::UnableToPlace { reason: f.reason, closest: f.closest });
        }
        let cluster = self.services[id.index()].cluster;
        match out.unplaced {
            Some((cpu, memory, gpu)) => {
                let s = &self.services[id.index()];
                let daemon = s.scheduling == SchedulingStrategy::Daemon;
                let wait = CapacityWait { cpu, memory, gpu, daemon, reads_task_groups: s.constraints.reads_task_groups() };
                self.clusters.wait_for_capacity(cluster, id, wait);
            }
            None => self.clusters.stop_waiting(cluster, id),
        }
        let work_left = self.work_left(id);
        let in_flight = self.in_flight(id);
        // A deleted (DRAINING) service places nothing: it cannot stall (its episodes ended when it
        // was deleted).
        let active = self.services[id.index()].status == ServiceStatus::Active;
        let failed_placement = out.placement_failure.is_some() && !provisioning;
        let stalled_reason: Option<StallReason> =
            if active && work_left && !out.progress && !self.in_flight_hides_placement_failure(id, failed_placement) {
                if provisioning {
                    Some(StallReason::Provisioning)
                } else if let Some(f) = &out.placement_failure {
                    Some(StallReason::Placement(f.reason))
                } else if out.throttled {
                    Some(StallReason::StartThrottled)
                } else if out.blocked_by_bounds || self.services[id.index()].scheduling == SchedulingStrategy::Replica {
                    self.service_event(id, ServiceEventKind::DeploymentConfigurationDeadlock);
                    Some(StallReason::DeploymentConfiguration)
                } else {
                    None
                }
            } else {
                None
            };
        let (unmet, allowed_unmet) = match (&stalled_reason, &out.placement_failure) {
            (Some(StallReason::Placement(_) | StallReason::Provisioning), Some(f)) => (f.unmet.clone(), f.allowed_unmet.clone()),
            _ => (Vec::new(), Vec::new()),
        };
        // The provider of the task that could not be placed: the failed task was not launched, so
        // the strategy chooses the same one again.
        let provider = match &stalled_reason {
            Some(StallReason::Placement(_) | StallReason::Provisioning) => self.next_task_provider(id),
            _ => None,
        };
        let now = self.now_ms;
        // The placement failure of this pass, as a stall would name it.
        let still_failing = out.placement_failure.as_ref().filter(|_| !provisioning).map(|f| StallReason::Placement(f.reason));
        // Tasks wait PROVISIONING from the first pass that found no room for them, whatever else
        // that pass did; a PROVISIONING stall begins then (but not before an earlier stall ended).
        let waited_since = self.services.note_provisioning(id, provisioning, now).unwrap_or(now);
        let s = self.services.schedule_mut(id);
        let open = s.observations.stalls.last_mut().filter(|e| e.ended_at_ms.is_none());
        match (open, stalled_reason) {
            (Some(e), Some(r)) if e.reason == r => {}
            (Some(e), Some(r)) => {
                e.ended_at_ms = Some(now);
                s.observations.stalls.push(Episode { started_at_ms: now, ended_at_ms: None, reason: r });
                s.observations.stall_details.push(StallDetail { unmet, allowed_unmet, capacity_provider: provider });
            }
            (None, Some(r)) => {
                let after_last = s.observations.stalls.last().and_then(|e| e.ended_at_ms).unwrap_or(0);
                let started = if r == StallReason::Provisioning { waited_since.max(after_last) } else { now };
                s.observations.stalls.push(Episode { started_at_ms: started, ended_at_ms: None, reason: r });
                s.observations.stall_details.push(StallDetail { unmet, allowed_unmet, capacity_provider: provider });
            }
            // Progress elsewhere (stopping tasks of another draining instance) does not end a
            // PROVISIONING episode while this pass still found no room: its tasks still wait. Nor
            // does it end a placement stall whose placement still fails for the same reason and
            // placed nothing: a new wave's stops are no placement (each wave of a stuck rollout
            // once ended the stall, which opened again at the next try, 31 s later).
            (Some(e), None)
                if !work_left
                    || (out.progress
                        && !(e.reason == StallReason::Provisioning && provisioning)
                        && (still_failing != Some(e.reason) || out.placed)) =>
            {
                e.ended_at_ms = Some(now)
            }
            _ => {}
        }
        if work_left && !s.retry_pending {
            s.retry_pending = true;
            let retry = self.config.timings.scheduler_retry_interval_ms;
            self.schedule(retry, EventKind::SchedulerRetry, id.0, 0);
        }
        let s = &self.services[id.index()];
        let steady = !work_left && !in_flight && s.counts.running == s.desired_count && s.counts.live == s.desired_count;
        if steady && !s.schedule.steady {
            let (desired_count, ceiling) = (s.desired_count, s.ceiling());
            // ECS "starts monitoring a service after it reaches the steady state"
            // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html):
            // the pass that first reached it looked at the zones before it was noted (`zone_check`
            // reads the steady state), so a rebalancing service is looked at again in a pass of
            // this instant when its zones now call for a move. Until 2026-12-08 a service whose
            // zones changed while it was still starting (a zone's first instance registering,
            // managed scaling's launches) was left unbalanced for good.
            let first_steady_state = s.schedule.observations.steady_state_at_ms.is_none();
            let s = self.services.schedule_mut(id);
            s.steady_desired_count = Some(desired_count);
            s.ceiling_since_steady = ceiling;
            s.steady = true;
            s.breach_watch = true;
            s.observations.steady_state_at_ms = Some(now);
            if first_steady_state
                && self.services[id.index()].az_rebalancing()
                && matches!(self.zone_check(id, false), crate::engine::rebalance::ZoneCheck::NotBalanced(_))
            {
                self.request_pass(id);
            }
            self.service_event(id, ServiceEventKind::SteadyState);
            // Sampled from its steady state on: at the end of this instant too, even when nothing
            // else touched it (a service created with desiredCount 0 has no task to).
            self.touched_services.insert(id);
        } else if !steady {
            self.services.schedule_mut(id).steady = false;
        }
    }

    /// Samples observations of the services touched in this instant (after all its events).
    pub(crate) fn end_instant(&mut self) {
        debug_assert!(self.triggers.is_empty(), "an instant ended with triggers nobody reacted to: {:?}", self.triggers);
        for (id, (registered, deregistered)) in self.services.take_target_changes() {
            if registered > 0 {
                self.service_event(id, ServiceEventKind::TargetsRegistered { count: registered });
            }
            if deregistered > 0 {
                self.service_event(id, ServiceEventKind::TargetsDeregistered { count: deregistered });
                self.service_event(id, ServiceEventKind::BeganDraining { count: deregistered });
            }
        }
        let now = self.now_ms;
        let touched = self.touched_services.take_sorted();
        for &id in &touched {
            let c = self.services[id.index()].counts;
            self.services.schedule_mut(id).observations.note_counts(now, c);
            let cluster = self.services[id.index()].cluster;
            let drain_window = self.clusters[cluster.index()].drain_observed;
            let service = &self.services[id.index()];
            // Floor breaches count from the drain window or from the service's first steady state,
            // whichever comes first (a service still deploying is not breaching).
            if service.status != ServiceStatus::Active || !(drain_window || service.schedule.breach_watch) {
                continue;
            }
            let (healthy, live, ceiling) = (service.counts.healthy, service.counts.live, service.watched_ceiling());
            let (watched_floor, watched_desired) = (service.watched_floor(), service.watched_desired_count());
            let s = self.services.schedule_mut(id);
            // The extremes are watched like the floor: a service created during a drain is not
            // below its floor while it first deploys, so its ramp-up from 0 is not its minimum.
            // Outside a drain's window the lowest healthy count is watched while the service is
            // below its floor (an instance terminated undrained, a Spot Instance taken): a plan
            // that breaches deeper shows the deeper dip. The most tasks are a drain's alone.
            if s.breach_watch && (drain_window || healthy < watched_floor) {
                let o = &mut s.observations;
                // Each extreme is kept with the bound of its instant: a DAEMON's (or an updated
                // service's) floor and ceiling follow its desired count. The floor is the one the
                // breach watch judges (`watched_floor`): after a scale-up, until the service is
                // steady again, that of the count it was steady at, so a scale-up is no dip below
                // the floor here either (docs/draining.md, "Observations"); the ceiling, after a
                // scale-in, the highest since then (`watched_ceiling`), so a scale-in's tasks
                // still stopping are not above it.
                if o.min_healthy_observed.is_none_or(|m| healthy <= m) {
                    o.min_healthy_observed = Some(healthy);
                    o.floor_at_min_healthy = watched_floor;
                    o.desired_at_min_healthy = watched_desired;
                }
                if drain_window && o.max_tasks_observed.is_none_or(|m| live >= m) {
                    o.max_tasks_observed = Some(live);
                    o.ceiling_at_max_tasks = Some(ceiling);
                }
            }
            if !s.breach_watch {
                continue;
            }
            let open = s.observations.floor_breaches.last_mut().filter(|e| e.ended_at_ms.is_none());
            if healthy < watched_floor {
                if open.is_none() {
                    let cause = s.last_health_loss.take().unwrap_or(BreachCause::PreExistingDeficit);
                    s.observations.floor_breaches.push(Episode { started_at_ms: now, ended_at_ms: None, reason: cause });
                }
                self.services.note_floor_dip(id, FloorDip { healthy, floor: watched_floor, at_ms: now });
            } else {
                if let Some(e) = open {
                    e.ended_at_ms = Some(now);
                }
                s.last_health_loss = None;
            }
        }
        self.touched_services.give_back(touched);
    }
}

#[cfg(test)]
mod tests {
    use super::DuePasses;
    use crate::api::{Request, UpdateServiceRequest};
    use crate::engine::invariants::check_invariants;
    use crate::engine::invariants::tests::{flap, register_instance, steady_cluster};
    use crate::infra::ids::{ClusterId, ServiceId};
    use crate::Engine;

    fn register(e: &mut Engine, name: &str, cpu: i64, memory: i64) {
        register_instance(e, name, "us-east-1a", cpu, memory);
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(e).expect("every invariant holds after a registration");
    }

    /// The agent of instance `name` disconnects and reconnects, and the passes it asked for run as
    /// an event's would.
    fn flap_and_settle(e: &mut Engine, name: &str) {
        flap(e, name);
        e.defer_due_passes();
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(e).expect("every invariant holds once settled");
    }

    /// `web`'s eight tasks fill `a` and `b` (room for four each, zone us-east-1a); scaled to 10
    /// (with `memberOf` constraints, if given), its pass cannot place two and it waits for room.
    fn web_waiting_for_room(placement_constraints: Option<Vec<crate::api::PlacementConstraint>>) -> Engine {
        let mut e =
            steady_cluster(&[("a", "us-east-1a", 1024, 2048), ("b", "us-east-1a", 1024, 2048)], (256, 512), &[("web", 8)]);
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "web".into(),
            desired_count: Some(10),
            placement_constraints,
            ..Default::default()
        }))
        .expect("updates");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        e
    }

    /// The placement failures `web` (the first service) counted.
    fn web_failures(e: &Engine) -> u64 {
        e.services[0].schedule.observations.placement_failures.values().sum()
    }

    /// Starts that "repeatedly fail" are throttled: a lone failure is not (no back-off, no event),
    /// the second in a row backs off twice the retry interval and says so, and a task turning
    /// healthy ends the run (the next failure is a lone one again).
    #[test]
    fn a_lone_failed_start_is_not_throttled_and_a_healthy_task_ends_a_run_of_them() {
        use crate::state::service::ServiceEventKind;
        let mut e = steady_cluster(&[("a", "us-east-1a", 1024, 2048)], (256, 512), &[("web", 2)]);
        let web = ServiceId(0);
        let throttle_events = |e: &Engine| {
            e.services[0].events.iter().filter(|(_, k)| matches!(k, ServiceEventKind::UnableToConsistentlyStart)).count()
        };
        let now = e.now_ms;
        e.note_failed_start(web);
        assert_eq!(e.services[0].schedule.failed_starts, 1);
        assert!(e.services[0].schedule.start_backoff_until_ms <= now, "a lone failure is not throttled");
        assert_eq!(throttle_events(&e), 0);
        e.note_failed_start(web);
        let retry = e.config.timings.scheduler_retry_interval_ms;
        assert_eq!(e.services[0].schedule.start_backoff_until_ms, now + 2 * retry);
        assert_eq!(throttle_events(&e), 1);
        e.triggers.push(crate::state::trigger::Trigger::TaskHealthy(web));
        e.react();
        assert_eq!(e.services[0].schedule.failed_starts, 0, "a healthy task ends the run");
        e.note_failed_start(web);
        assert_eq!(throttle_events(&e), 1, "a lone failure again");
    }

    /// A service that could not place a task tries again when an instance with the free CPU and
    /// memory for it becomes placeable, not when one without them does: a full instance's agent
    /// reconnecting, or an instance with the memory but not the CPU registering, leaves it waiting
    /// (no pass, no placement failure counted); an instance with room places its tasks and ends the
    /// wait.
    #[test]
    fn a_waiting_service_is_retried_by_an_instance_with_room_for_its_task_only() {
        // Two instances of room for four tasks each, full with `web`'s eight.
        let mut e = web_waiting_for_room(None);
        let (cluster, web) = (ClusterId(0), ServiceId(0));
        let failures = web_failures;
        check_invariants(&e).expect("every invariant holds while the service waits");
        assert!(e.clusters.is_waiting(cluster, web), "two tasks found no room");
        let waiting = |e: &Engine| e.services_waiting_for_room("prod").map(|s| s.name().to_string()).collect::<Vec<_>>();
        assert_eq!(waiting(&e), ["web"]);
        assert_eq!(e.services_waiting_for_room("nowhere").count(), 0);
        let failed = failures(&e);
        assert!(failed >= 2, "the two unplaced tasks count as failures");

        // A full instance comes back: no retry.
        flap_and_settle(&mut e, "a");
        assert_eq!(failures(&e), failed, "no pass at a full instance's reconnect");
        assert!(e.clusters.is_waiting(cluster, web));
        // An instance with the memory for a task but not its CPU: no retry either.
        register(&mut e, "c", 128, 4096);
        assert_eq!(failures(&e), failed, "no pass at an instance short of CPU");
        assert!(e.clusters.is_waiting(cluster, web));

        // An instance with room for one task: the pass places it and fails the other (and so do
        // the passes its new task's progress asks for).
        register(&mut e, "d", 256, 512);
        assert_eq!(e.services[web.index()].counts.running, 9);
        let failed_after = failures(&e);
        assert!(failed_after > failed, "the passes count the unplaced task");
        assert!(e.clusters.is_waiting(cluster, web));
        // One with room for the last: placed, and the wait is over.
        register(&mut e, "f", 1024, 2048);
        assert_eq!(e.services[web.index()].counts.running, 10);
        assert!(!e.clusters.is_waiting(cluster, web), "a pass that placed its tasks ends the wait");
        assert!(waiting(&e).is_empty());
        assert_eq!(failures(&e), failed_after);
    }

    /// Nor does an instance with the room whose attributes the service's `memberOf` expressions
    /// do not select: nothing else changed, so the try would fail again. `web`, pinned to zone
    /// us-east-1a, waits for room; an instance with room in us-east-1b registering, and its agent
    /// reconnecting, leave it waiting (no pass, no failure counted); one in us-east-1a places it.
    #[test]
    fn a_waiting_service_is_not_retried_by_an_instance_its_member_of_does_not_select() {
        let mut e = web_waiting_for_room(Some(vec![crate::api::PlacementConstraint {
            constraint_type: "memberOf".into(),
            expression: Some("attribute:ecs.availability-zone == us-east-1a".into()),
        }]));
        let (cluster, web) = (ClusterId(0), ServiceId(0));
        let failures = web_failures;
        assert!(e.clusters.is_waiting(cluster, web), "two tasks found no room");
        let failed = failures(&e);
        assert!(failed >= 2, "the two unplaced tasks count as failures");

        register_instance(&mut e, "c", "us-east-1b", 1024, 2048);
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        assert_eq!(failures(&e), failed, "no pass at an instance outside the zone");
        flap_and_settle(&mut e, "c");
        assert_eq!(failures(&e), failed, "nor at its agent's reconnect");
        assert!(e.clusters.is_waiting(cluster, web));
        assert_eq!(e.services[web.index()].counts.running, 8);

        register(&mut e, "d", 512, 1024);
        assert_eq!(e.services[web.index()].counts.running, 10, "placed in the zone");
        assert!(!e.clusters.is_waiting(cluster, web));
        assert_eq!(failures(&e), failed);
        check_invariants(&e).expect("every invariant holds");
    }

    /// Nor does an instance's agent reconnecting wake it as a service with zone rebalancing
    /// ENABLED: its last pass could not place a task, so it has no move to make, and only the
    /// waiting services' wakes retry that placement. `web` rebalances and waits for room; the full
    /// `a` reconnecting (in a second zone, which unsettles every rebalancing service) leaves it
    /// waiting with no failure counted; an instance with room for one task, in a new zone, places
    /// one, and neither its reconnect nor `b`'s retries the other.
    #[test]
    fn a_waiting_service_is_not_retried_by_the_rebalancing_wake() {
        let mut e = web_waiting_for_room(None);
        let (cluster, web) = (ClusterId(0), ServiceId(0));
        crate::engine::invariants::tests::enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        assert!(e.services[web.index()].az_rebalancing());
        assert!(e.clusters.is_waiting(cluster, web), "the update's pass found no room either");
        let failed = web_failures(&e);

        flap_and_settle(&mut e, "a");
        assert_eq!(web_failures(&e), failed, "no pass at a full instance's reconnect");
        register_instance(&mut e, "c", "us-east-1b", 256, 512);
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        assert_eq!(e.services[web.index()].counts.running, 9, "one task placed in the new zone");
        assert!(web_failures(&e) > failed, "the other still found no room");
        let failed = web_failures(&e);
        flap_and_settle(&mut e, "c");
        flap_and_settle(&mut e, "b");
        assert_eq!(web_failures(&e), failed, "no reconnect of a full instance retried it");
        assert!(e.clusters.is_waiting(cluster, web));
        check_invariants(&e).expect("every invariant holds");
    }

    /// Room a task entering STOPPING frees is announced by the next instance that becomes
    /// placeable, for the services it may serve: none when its instance is DRAINING (placement
    /// takes nothing there). `web` waits for room; `b` is set DRAINING and room is noted on it (as
    /// one of its tasks entering STOPPING notes it); `a`'s agent reconnecting, full, retries
    /// nobody, and the note is spent. (Room noted on a placeable instance reaches the service:
    /// `regressions/room-freed-at-stopping-reaches-a-waiting-service.ron`.)
    #[test]
    fn room_left_on_a_draining_instance_wakes_nobody() {
        let mut e = web_waiting_for_room(None);
        let (cluster, web) = (ClusterId(0), ServiceId(0));
        let failures = web_failures;
        assert!(e.clusters.is_waiting(cluster, web));

        let b = crate::infra::ids::InstanceId(1); // registered second
        e.handle(Request::UpdateContainerInstancesState(crate::api::UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: vec![e.instance_arn(b)],
            status: "DRAINING".into(),
        }))
        .expect("drains");
        // Its tasks cannot be replaced (no room): the drain's passes fail, then all is quiet.
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        assert!(e.clusters.is_waiting(cluster, web));
        let failed = failures(&e);
        e.clusters.note_unannounced_room(cluster, Some(b));
        flap_and_settle(&mut e, "a");
        assert_eq!(failures(&e), failed, "no pass: the noted room is on a DRAINING instance");
        assert!(e.clusters.is_waiting(cluster, web));
        assert_eq!(e.clusters.unannounced_room(cluster), (false, &std::collections::BTreeSet::new()), "the note is spent");
        check_invariants(&e).expect("every invariant holds");
    }

    #[test]
    fn due_passes_run_daemons_first_then_in_creation_order_each_once() {
        let mut due = DuePasses::default();
        // Keyed (not a daemon, id): the daemon 9 first, then 2 and 7, each once however often asked.
        for (replica, id) in [(true, 7), (false, 9), (true, 2), (true, 7), (false, 9)] {
            due.insert(replica, ServiceId(id));
        }
        assert_eq!(due.pop_first(), Some(ServiceId(9)));
        // A service asked for again after its pass was taken is due again.
        due.insert(false, ServiceId(9));
        assert_eq!(due.take(), vec![ServiceId(9), ServiceId(2), ServiceId(7)]);
        assert!(due.is_empty());
        due.insert(true, ServiceId(2));
        assert_eq!(due.pop_first(), Some(ServiceId(2)));
        assert_eq!(due.pop_first(), None);
    }
}
