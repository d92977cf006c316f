//! Read-only views: what a library user asks of a run, without the engine's internal records.
//!
//! A view is a handle and a borrow of the engine: [`Engine::instance`], [`Engine::service`] and
//! [`Engine::task`] make one from an id; [`Engine::instance_named`], [`Engine::service_named`] and
//! the `*_by_arn` lookups find one by the names a scenario uses or by the ARNs ECS returns. Views
//! change nothing and allocate only where they render a string (an ARN, an event message).

use crate::infra::ids::{InstanceId, ServiceId, TaskId};
use crate::infra::time::SimTimeMs;
use crate::placement::PlacementFailureReason;
use crate::rules::lifecycle::{AgentUpdateStatus, InstanceStatus, TaskStatus};
use crate::state::service::{AgentWaitTally, SeriesPoint};
use crate::state::service::{BreachCause, DeploymentSettings, Episode, FloorDip, StallReason};
use crate::state::task::TaskMoment;
use crate::state::task::{AgentWaitCause, StoppingEnd};
use crate::Engine;

pub use crate::state::instance::DrainTimes;
pub use crate::state::service::{SchedulingStrategy, ServiceStatus};

/// A container instance, read-only.
#[derive(Clone, Copy)]
pub struct InstanceView<'a> {
    engine: &'a Engine,
    id: InstanceId,
}

impl<'a> InstanceView<'a> {
    fn state(&self) -> &'a crate::state::instance::InstanceState {
        &self.engine.instances[self.id.index()]
    }

    /// The CPU units and MiB of memory it registered (`registeredResources`).
    pub fn registered_cpu_memory(&self) -> (i64, i64) {
        let r = &self.engine.instance_profile(self.id).registered;
        (r.cpu, r.memory)
    }

    /// The IDs of the GPUs it registered (its `platformDevices`), in the order given.
    pub fn gpu_ids(&self) -> Vec<&'a str> {
        let devices = self.engine.instances.gpu_devices(self.id);
        devices.map_or_else(Vec::new, |d| d.ids.iter().map(|g| self.engine.strings.resolve(*g)).collect())
    }

    /// How many of its GPUs no task holds (for placement).
    pub fn gpus_free(&self) -> u32 {
        u32::from(self.state().gpus_free)
    }

    /// Its id in this engine.
    pub fn id(&self) -> InstanceId {
        self.id
    }

    /// The name the scenario (or the registration's instance identity) gave it.
    pub fn name(&self) -> &'a str {
        self.engine.strings.resolve(self.state().name)
    }

    /// The name of its cluster.
    pub fn cluster(&self) -> &'a str {
        self.engine.cluster_name(self.state().cluster)
    }

    /// `capacityProviderName`: the capacity provider of its Auto Scaling group, if it has one.
    pub fn capacity_provider(&self) -> Option<&'a str> {
        self.engine.instance_profile(self.id).capacity_provider.map(|p| self.engine.strings.resolve(p))
    }

    /// `containerInstanceArn`.
    pub fn arn(&self) -> String {
        self.engine.instance_arn(self.id)
    }

    /// The instance as DescribeContainerInstances returns it (without `tags` and `healthStatus`):
    /// `registeredAt`, `registeredResources`, `remainingResources`, `attributes`, `versionInfo`, ….
    pub fn describe(&self) -> crate::api::ContainerInstance {
        self.engine.render_instance(self.id, false, false)
    }

    /// `ec2InstanceId`.
    pub fn ec2_instance_id(&self) -> String {
        self.engine.ec2_instance_id(self.id)
    }

    /// `status`.
    pub fn status(&self) -> InstanceStatus {
        self.state().status
    }

    /// `statusReason`, when one was given.
    pub fn status_reason(&self) -> Option<&'a str> {
        self.state().status_reason.map(|s| self.engine.strings.resolve(s))
    }

    /// `version`: one more with every change of the instance.
    pub fn version(&self) -> u64 {
        self.state().version
    }

    /// `runningTasksCount`.
    pub fn running_tasks_count(&self) -> u32 {
        self.state().running_tasks_count
    }

    /// `pendingTasksCount`.
    pub fn pending_tasks_count(&self) -> u32 {
        self.state().pending_tasks_count
    }

    /// `agentConnected`.
    pub fn agent_connected(&self) -> bool {
        self.state().agent_connected
    }

    /// Whether EC2 terminated (or a Spot interruption hibernated) the instance while ECS keeps it
    /// registered: its agent was disconnected, so ECS did not deregister it, and it never
    /// reconnects (`Engine::terminate_ec2_instance`).
    pub fn ec2_instance_gone(&self) -> bool {
        self.engine.faults.terminated_registered.contains(&self.id)
    }

    /// `agentUpdateStatus`, once an update was asked for.
    pub fn agent_update_status(&self) -> Option<AgentUpdateStatus> {
        self.state().agent_update
    }

    /// `versionInfo.agentVersion`.
    pub fn agent_version(&self) -> Option<&'a str> {
        self.engine.instance_profile(self.id).agent_version.map(|v| self.engine.strings.resolve(v))
    }

    /// Whether its agent applies a container's own `stopTimeout` (1.26.0 or later); an older one
    /// stops every container at its own `ECS_CONTAINER_STOP_TIMEOUT`.
    pub fn honours_container_stop_timeout(&self) -> bool {
        self.engine.instance_profile(self.id).honours_container_stop_timeout
    }

    /// When its drain started, when `runningTasksCount` reached 0, and when its last task stopped.
    pub fn drain(&self) -> DrainTimes {
        self.state().drain
    }

    /// Its task ENI limit (None: the instance type is not in the table and none was given).
    pub fn task_eni_limit(&self) -> Option<u16> {
        self.state().task_eni_limit
    }

    /// When its last drain was cancelled: it was set ACTIVE again before the drain completed (None
    /// when its last drain was not cancelled, or it never drained).
    pub fn drain_cancelled_at_ms(&self) -> Option<SimTimeMs> {
        self.engine.instances.drain_cancelled_at_ms(self.id)
    }

    /// The first request to set it DRAINING that ECS refused — UpdateContainerInstancesState's
    /// per-instance failure for an instance in a status that cannot move (REGISTERING,
    /// REGISTRATION_FAILED, DEREGISTERING, INACTIVE) — when, and that status; None if none was.
    /// Whether it drained later is [`Self::drain`]'s.
    pub fn drain_refused(&self) -> Option<(SimTimeMs, InstanceStatus)> {
        self.engine.instances.drain_refused(self.id)
    }

    /// When it became INACTIVE (its deregistration, or EC2 terminating it), if it is.
    pub fn inactive_at_ms(&self) -> Option<SimTimeMs> {
        self.engine.instances.inactive_at_ms(self.id)
    }

    /// Task ENIs in use.
    pub fn task_enis_in_use(&self) -> u16 {
        self.state().task_enis_in_use
    }

    /// Whether it has been INACTIVE for longer than ECS keeps it describable (one hour by
    /// default): no operation finds it any more.
    pub fn forgotten(&self) -> bool {
        self.state().forgotten
    }

    /// Its `registeredAt`, simulated milliseconds: negative for an instance that registered before
    /// the run (captured from a real cluster).
    pub fn registered_at_ms(&self) -> i64 {
        self.state().registered_at_ms
    }

    /// Whether it is trunked: registered with a trunk ENI that is being provisioned, is attached or
    /// was (through deregistration), and did not fail. A REGISTRATION_FAILED instance is not, nor
    /// is it later (docs/ecs-choices.md).
    pub fn trunked(&self) -> bool {
        let i = self.state();
        i.trunk.is_some() && !i.trunk_failed
    }

    /// Its attributes, `(name, value)`, sorted by name.
    pub fn attributes(&self) -> Vec<(&'a str, Option<&'a str>)> {
        let strings = &self.engine.strings;
        self.engine
            .instance_attributes(self.id)
            .into_iter()
            .map(|(k, v)| (strings.resolve(k), v.map(|v| strings.resolve(v))))
            .collect()
    }

    /// Whether it has an attribute of this name.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.engine.strings.get(name).is_some_and(|n| self.engine.instance_attribute(self.id, n).is_some())
    }

    /// Whether a task that is not a DAEMON service's (a REPLICA service's, or one RunTask or
    /// StartTask started) is on it and has not reached STOPPED: managed scaling counts such an
    /// instance as not empty ("A container instance is considered empty even when daemon tasks
    /// are running",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-scaling-behavior.html>).
    /// From counts kept as tasks come and go, without a visit of its tasks.
    pub fn runs_non_daemon_task(&self) -> bool {
        let i = self.state();
        i.tasks.len() > usize::from(i.daemon_tasks)
    }

    /// Its tasks that have not reached STOPPED.
    pub fn tasks(&self) -> impl Iterator<Item = TaskView<'a>> + 'a {
        let engine = self.engine;
        self.state().tasks.iter().map(move |t| TaskView { engine, id: *t })
    }

    /// The strongest signal EC2 gave it of a coming Spot interruption (a rebalance
    /// recommendation, then the interruption notice), if it is a Spot Instance that had one.
    pub fn spot_signal(&self) -> Option<crate::SpotSignal> {
        self.engine.faults.spot_signals.get(&self.id).copied()
    }
}

impl std::fmt::Debug for InstanceView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceView").field("name", &self.name()).field("status", &self.status()).finish()
    }
}

/// What one task of a task definition reserves on an instance ([`ServiceView::task_size`],
/// [`TaskView::size`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSize {
    /// CPU units.
    pub cpu: i64,
    /// MiB of memory.
    pub memory: i64,
    /// Whether it needs a host port (then at most one such task fits on an instance).
    pub host_port: bool,
    /// Whether it uses the `awsvpc` network mode (then it takes one of the instance's task ENIs).
    pub awsvpc: bool,
    /// The GPUs its containers reserve (`resourceRequirements` of type `GPU`).
    pub gpu: u32,
}

/// A service and what drainsim observed of it, read-only.
#[derive(Clone, Copy)]
pub struct ServiceView<'a> {
    engine: &'a Engine,
    id: ServiceId,
}

impl<'a> ServiceView<'a> {
    fn state(&self) -> &'a crate::state::service::ServiceState {
        &self.engine.services[self.id.index()]
    }

    /// What one of its tasks reserves on an instance (its task definition's requirements).
    pub fn task_size(&self) -> TaskSize {
        let r = self.engine.requirements_of(self.state().task_def);
        TaskSize { cpu: r.cpu, memory: r.memory, host_port: r.has_host_ports(), awsvpc: r.awsvpc, gpu: r.gpu }
    }

    /// Its id in this engine.
    pub fn id(&self) -> ServiceId {
        self.id
    }

    /// `serviceName`.
    pub fn name(&self) -> &'a str {
        self.engine.service_name(self.id)
    }

    /// The name of its cluster.
    pub fn cluster(&self) -> &'a str {
        self.engine.cluster_name(self.state().cluster)
    }

    /// `serviceArn`.
    pub fn arn(&self) -> String {
        self.engine.service_arn(self.id)
    }

    /// The service as DescribeServices returns it, read without a request (which needs the engine
    /// mutably: a request first finishes an instant [`Engine::step_part`] left open).
    pub fn describe(&self) -> crate::api::Service {
        self.engine.render_service(self.id)
    }

    /// `status`.
    pub fn status(&self) -> ServiceStatus {
        self.state().status
    }

    /// Its load balancer's deregistration delay (a target group's, or a Classic Load Balancer's
    /// connection draining timeout), when it is behind one: how long a task it stops spends in
    /// DEACTIVATING, at least.
    pub fn deregistration_delay_ms(&self) -> Option<SimTimeMs> {
        self.state().load_balancer.as_ref().map(|lb| lb.deregistration_delay_ms)
    }

    /// `schedulingStrategy`.
    pub fn scheduling_strategy(&self) -> SchedulingStrategy {
        self.state().scheduling
    }

    /// The expressions of its `memberOf` placement constraints, as written: an instance takes its
    /// tasks only if it satisfies every one (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html>).
    pub fn member_of_expressions(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.state().constraints.member_of.iter().filter(|m| !m.subnet_zones).map(|m| m.expression.as_str())
    }

    /// The Availability Zones of the subnets its awsvpc tasks' ENIs are created in (its
    /// `networkConfiguration`), in name order; empty without one (its tasks go to any zone).
    pub fn subnet_zones(&self) -> Vec<&'a str> {
        let mut zones: Vec<&str> = self
            .state()
            .network
            .as_ref()
            .map(|n| n.zones().into_iter().map(|z| self.engine.strings.resolve(z)).collect())
            .unwrap_or_default();
        zones.sort_unstable();
        zones
    }

    /// Whether a `distinctInstance` placement constraint puts each of its tasks on a different
    /// instance (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html>).
    pub fn distinct_instance(&self) -> bool {
        self.state().constraints.distinct
    }

    /// `desiredCount`.
    pub fn desired_count(&self) -> u32 {
        self.state().desired_count
    }

    /// `runningCount`.
    pub fn running_count(&self) -> u32 {
        self.state().counts.running
    }

    /// `pendingCount`.
    pub fn pending_count(&self) -> u32 {
        self.state().counts.pending
    }

    /// Tasks that count toward `minimumHealthyPercent` now.
    pub fn healthy_count(&self) -> u32 {
        self.state().counts.healthy
    }

    /// Tasks that are not STOPPED now (they count toward `maximumPercent`).
    pub fn live_count(&self) -> u32 {
        self.state().counts.live
    }

    /// `deploymentConfiguration.minimumHealthyPercent`.
    pub fn minimum_healthy_percent(&self) -> u32 {
        self.state().minimum_healthy_percent
    }

    /// `deploymentConfiguration.maximumPercent`.
    pub fn maximum_percent(&self) -> u32 {
        self.state().maximum_percent
    }

    /// The healthy floor, ceil(desiredCount × minimumHealthyPercent / 100).
    pub fn healthy_floor(&self) -> u32 {
        self.state().floor()
    }

    /// `desiredCount` and `deploymentConfiguration` as they were at `at_ms` (simulated
    /// milliseconds), with the floor and ceiling they made then: an UpdateService after `at_ms`
    /// or DeleteService does not change them (at the instant of an update, the update's). A
    /// DAEMON's desired count follows its instances; its settings are given as they are now.
    pub fn settings_at(&self, at_ms: u64) -> DeploymentSettings {
        self.engine.services.settings_at(self.id, at_ms)
    }

    /// The task ceiling, floor(desiredCount × maximumPercent / 100).
    pub fn task_ceiling(&self) -> u32 {
        self.state().ceiling()
    }

    /// The fewest healthy tasks seen since the observation window opened, or while the service was
    /// below its floor before that (a breach outside a drain: docs/draining.md, "Observations").
    /// The window opens at the first drain of any instance of its cluster (for a service created
    /// during a drain, at its first steady state after that): `None` for a service of a cluster no
    /// drain ever touched that never fell below its floor, however long it ran.
    pub fn min_healthy_observed(&self) -> Option<u32> {
        self.state().schedule.observations.min_healthy_observed
    }

    /// The desired count at the (last) instant [`Self::min_healthy_observed`] was seen, the one
    /// its floor is of (after a scale-up, until the service is steady again, the count it was
    /// steady at): how many healthy tasks the service was short of then does not depend on its
    /// `minimumHealthyPercent`.
    pub fn desired_count_at_min_healthy_observed(&self) -> Option<u32> {
        let o = &self.state().schedule.observations;
        o.min_healthy_observed.map(|_| o.desired_at_min_healthy)
    }

    /// How many healthy tasks short of its desired count the service was at
    /// [`Self::min_healthy_observed`] (0 when it never fell short, None when nothing was
    /// observed). Two plans that differ in `minimumHealthyPercent` are compared by it.
    pub fn healthy_shortfall_observed(&self) -> Option<u32> {
        let o = &self.state().schedule.observations;
        Some(o.desired_at_min_healthy.saturating_sub(o.min_healthy_observed?))
    }

    /// The instant the service was furthest below its floor (the first of equal dips): the depth of
    /// its [`Self::floor_breaches`]. `None` when it never fell below its floor. The lowest healthy
    /// count ([`Self::min_healthy_observed`]) may be another instant, under a lower floor.
    pub fn deepest_dip_below_floor(&self) -> Option<FloorDip> {
        self.engine.services.deepest_dip(self.id)
    }

    /// The most tasks not STOPPED seen at once since the observation window opened (as
    /// [`Self::min_healthy_observed`]: `None` before its cluster's first drain).
    pub fn max_tasks_observed(&self) -> Option<u32> {
        self.state().schedule.observations.max_tasks_observed
    }

    /// The floor at the (last) instant [`Self::min_healthy_observed`] was seen: a DAEMON's, or an
    /// updated service's, floor follows its desired count.
    pub fn floor_at_min_healthy_observed(&self) -> Option<u32> {
        let o = &self.state().schedule.observations;
        o.min_healthy_observed.map(|_| o.floor_at_min_healthy)
    }

    /// The ceiling at the (last) instant [`Self::max_tasks_observed`] was seen.
    pub fn ceiling_at_max_tasks_observed(&self) -> Option<u32> {
        self.state().schedule.observations.ceiling_at_max_tasks
    }

    /// The highest ceiling the service has had since it was created: after a scale-in (or a lower
    /// `maximumPercent`) the tasks told to stop still run, and count, until they are STOPPED.
    pub fn highest_ceiling(&self) -> u32 {
        self.state().schedule.observations.highest_ceiling
    }

    /// Failed placement attempts, by reason (in the order of the reasons' text).
    pub fn placement_failures(&self) -> impl Iterator<Item = (PlacementFailureReason, u64)> + 'a {
        self.state().schedule.observations.placement_failures.iter().map(|(r, c)| (*r, *c))
    }

    /// Failed placement attempts, all reasons, made before its cluster's first drain began.
    pub fn placement_failures_before_first_drain(&self) -> u64 {
        self.state().schedule.observations.placement_failures_before_first_drain
    }

    /// Failed placement attempts for one reason.
    pub fn placement_failures_for(&self, reason: PlacementFailureReason) -> u64 {
        self.state().schedule.observations.placement_failures.get(&reason).copied().unwrap_or(0)
    }

    /// Tasks of the service that reached PENDING and waited for their agent to start them, by the
    /// cause at the start of each wait (placement had found them room; see [`AgentWaitCause`]).
    pub fn agent_waits(&self) -> impl Iterator<Item = (AgentWaitCause, AgentWaitTally)> + 'a {
        self.state().schedule.observations.agent_waits.iter().map(|(c, t)| (*c, *t))
    }

    /// Times it was stalled, with why.
    pub fn stalls(&self) -> &'a [Episode<StallReason>] {
        &self.state().schedule.observations.stalls
    }

    /// Its running, healthy and pending tasks at the end of each instant they changed, oldest
    /// first (at most [`MAX_SERIES_POINTS`](crate::MAX_SERIES_POINTS)).
    pub fn series(&self) -> impl ExactSizeIterator<Item = SeriesPoint> + Clone + 'a {
        self.state().schedule.observations.series.points()
    }

    /// Whether the series was cut at [`MAX_SERIES_POINTS`](crate::MAX_SERIES_POINTS): the points
    /// after it were left out.
    pub fn series_truncated(&self) -> bool {
        self.state().schedule.observations.series.truncated()
    }

    /// Every requirement the closest instance did not meet when the `n`-th stall began (in ECS's
    /// order; empty for a stall that is not about placement).
    pub fn stall_unmet_requirements(&self, n: usize) -> &'a [PlacementFailureReason] {
        self.state().schedule.observations.stall_details.get(n).map_or(&[], |d| d.unmet.as_slice())
    }

    /// For a `CONSTRAINT:memberOf` stall `n`, what the closest of the instances satisfying every
    /// `memberOf` expression lacked when it began (in ECS's order): the shortfall behind the
    /// constraint; empty when no placeable instance satisfied them, and for other stalls.
    pub fn stall_allowed_instances_lack(&self, n: usize) -> &'a [PlacementFailureReason] {
        self.state().schedule.observations.stall_details.get(n).map_or(&[], |d| d.allowed_unmet.as_slice())
    }

    /// For stall `n` (an index into [`Self::stalls`]), the capacity provider whose instances the
    /// task that could not be placed could run on: a placement stall of a service with a capacity
    /// provider strategy; None for the others.
    pub fn stall_capacity_provider(&self, n: usize) -> Option<&'a str> {
        let p = self.state().schedule.observations.stall_details.get(n)?.capacity_provider?;
        Some(self.engine.strings.resolve(p))
    }

    /// The tasks it has waiting PROVISIONING for its capacity provider's managed scaling, with
    /// that provider: after a pass that found no room on the provider (whose managed scaling is
    /// ENABLED), as many as it would still start: the tasks missing from `desiredCount` on
    /// instances that are not draining, within `maximumPercent`. None while no task waits so.
    /// drainsim keeps them as this count, not as task records (docs/ecs-choices.md § "Managed
    /// scaling").
    pub fn tasks_provisioning(&self) -> Option<(&'a str, u32)> {
        let (provider, count) = self.engine.tasks_provisioning(self.id)?;
        Some((self.engine.strings.resolve(provider), count))
    }

    /// The capacity providers of its capacity provider strategy, in the strategy's order (none
    /// for a service without one: its tasks go to any instance).
    pub fn capacity_providers(&self) -> impl Iterator<Item = &'a str> + 'a {
        let strings = &self.engine.strings;
        self.state().capacity.iter().flat_map(|c| c.strategy.iter()).map(move |i| strings.resolve(i.provider))
    }

    /// Times its healthy tasks were below its floor, with the cause.
    pub fn floor_breaches(&self) -> &'a [Episode<BreachCause>] {
        &self.state().schedule.observations.floor_breaches
    }

    /// Tasks that replaced a drained task and then had to move again.
    pub fn tasks_moved_more_than_once(&self) -> u32 {
        self.state().schedule.observations.tasks_moved_more_than_once
    }

    /// Tasks of the service found UNHEALTHY: adopted so, or failing their health checks during the
    /// run (`Engine::fail_health_checks_on`). The service replaces each.
    pub fn unhealthy_tasks(&self) -> u32 {
        self.state().schedule.observations.unhealthy_tasks
    }

    /// Its UNHEALTHY tasks not told to stop yet: each waits for a healthy replacement (or, on a
    /// DRAINING instance, for its drain) and stops once it has one.
    pub fn unhealthy_tasks_not_stopped(&self) -> u32 {
        let n = self.engine.services.unhealthy_tasks(self.id).filter(|t| !self.engine.tasks[t.index()].desired_stopped()).count();
        u32::try_from(n).expect("fewer than 2^32 tasks")
    }

    /// Tasks moved by Availability Zone rebalancing: each a task started in the zone with the
    /// fewest tasks and, once it was healthy, a task stopped in the zone with the most.
    pub fn az_rebalancing_moves(&self) -> u32 {
        self.state().schedule.observations.az_rebalancing_moves
    }

    /// Whether `availabilityZoneRebalancing` is ENABLED.
    pub fn az_rebalancing_enabled(&self) -> bool {
        self.state().az_rebalancing()
    }

    /// Whether it is at steady state now.
    pub fn is_steady(&self) -> bool {
        self.state().schedule.steady
    }

    /// When it last reached steady state, if it is at steady state now.
    pub fn steady_state_at_ms(&self) -> Option<SimTimeMs> {
        if self.state().schedule.steady {
            self.state().schedule.observations.steady_state_at_ms
        } else {
            None
        }
    }

    /// Service events so far.
    pub fn events_total(&self) -> usize {
        self.state().events.len()
    }

    /// Service event `n` (0 is the oldest): when, and ECS's message.
    ///
    /// # Panics
    ///
    /// For `n` at or past [`ServiceView::events_total`].
    pub fn event(&self, n: usize) -> (SimTimeMs, String) {
        let total = self.events_total();
        assert!(n < total, "service {} has {total} events: no event {n}", self.name());
        (self.state().events[n].0, self.engine.service_event_message(self.id, n))
    }

    /// Every service event, oldest first: when, and ECS's message.
    pub fn events(&self) -> impl Iterator<Item = (SimTimeMs, String)> + 'a {
        let view = *self;
        (0..self.events_total()).map(move |n| view.event(n))
    }

    /// Its tasks that have not reached STOPPED.
    pub fn tasks(&self) -> impl Iterator<Item = TaskView<'a>> + 'a {
        let engine = self.engine;
        self.state().tasks.iter().map(move |t| TaskView { engine, id: *t })
    }
}

impl std::fmt::Debug for ServiceView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceView").field("name", &self.name()).field("desired_count", &self.desired_count()).finish()
    }
}

/// A task, read-only.
#[derive(Clone, Copy)]
pub struct TaskView<'a> {
    engine: &'a Engine,
    id: TaskId,
}

impl<'a> TaskView<'a> {
    fn state(&self) -> &'a crate::state::task::TaskState {
        &self.engine.tasks[self.id.index()]
    }

    /// Its id in this engine.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// `taskArn`.
    pub fn arn(&self) -> String {
        self.engine.task_arn(self.id)
    }

    /// The task as DescribeTasks returns it, read without a request (as [`ServiceView::describe`]).
    pub fn describe(&self) -> crate::api::Task {
        self.engine.render_task(self.id)
    }

    /// `lastStatus`.
    pub fn last_status(&self) -> TaskStatus {
        self.state().last_status
    }

    /// Whether a forced deregistration of its instance left it behind before it reached STOPPED
    /// (ECS no longer accounts for it; its instance went with it still running or stopping).
    pub fn orphaned(&self) -> bool {
        self.state().orphaned()
    }

    /// Whether `desiredStatus` is STOPPED.
    pub fn desired_stopped(&self) -> bool {
        self.state().desired_stopped()
    }

    /// Whether it counts as healthy now.
    pub fn healthy(&self) -> bool {
        self.state().healthy()
    }

    /// `stoppedReason`, once it was told to stop.
    pub fn stopped_reason(&self) -> Option<&'a str> {
        self.engine.tasks.stopped_reason(self.id).map(|s| self.engine.strings.resolve(s))
    }

    /// The instance it was placed on.
    pub fn instance(&self) -> InstanceView<'a> {
        InstanceView { engine: self.engine, id: self.state().instance }
    }

    /// The service that started it; None for a standalone task.
    pub fn service(&self) -> Option<ServiceView<'a>> {
        self.engine.task_origin(self.id).service.map(|id| ServiceView { engine: self.engine, id })
    }

    /// `createdAt`.
    pub fn created_at_ms(&self) -> SimTimeMs {
        self.engine.task_created_at_ms(self.id)
    }

    /// `startedAt`, once RUNNING.
    pub fn started_at_ms(&self) -> Option<SimTimeMs> {
        self.engine.task_moment(self.id, TaskMoment::Started)
    }

    /// `stoppingAt`: when it was told to stop (its `desiredStatus` became STOPPED), once it was.
    pub fn stopping_at_ms(&self) -> Option<SimTimeMs> {
        self.engine.task_moment(self.id, TaskMoment::Stopping)
    }

    /// `stoppedAt`, once STOPPED.
    pub fn stopped_at_ms(&self) -> Option<SimTimeMs> {
        self.engine.task_moment(self.id, TaskMoment::Stopped)
    }

    /// `stopCode`, once it was told to stop.
    pub fn stop_code(&self) -> Option<&'static str> {
        self.state().stop_code().map(|c| c.as_str())
    }

    /// What it reserves on its instance (its task definition's requirements, with the task-level
    /// `cpu` and `memory` its RunTask or StartTask `overrides` gave it).
    pub fn size(&self) -> TaskSize {
        let origin = self.engine.task_origin(self.id);
        let r = self.engine.requirements_with(origin.task_def, origin.size);
        TaskSize { cpu: r.cpu, memory: r.memory, host_port: r.has_host_ports(), awsvpc: r.awsvpc, gpu: r.gpu }
    }

    /// The IDs of the GPUs pinned to it, from its placement until it leaves its instance (its
    /// containers' `gpuIds`); empty for a task that reserves none, and once it left.
    pub fn gpu_ids(&self) -> Vec<&'a str> {
        let instance = self.state().instance;
        let mask = self.engine.tasks.gpus(self.id);
        match self.engine.instances.gpu_devices(instance) {
            Some(d) if mask != 0 => crate::state::instance::gpus_of(d, mask).map(|g| self.engine.strings.resolve(g)).collect(),
            _ => Vec::new(),
        }
    }

    /// `taskDefinitionArn`.
    pub fn task_definition_arn(&self) -> String {
        self.engine.task_def_arn(self.engine.task_origin(self.id).task_def)
    }

    /// The largest stop timeout of its containers on its instance, a container without a
    /// `stopTimeout` taking its agent's `ECS_CONTAINER_STOP_TIMEOUT` (30 s unless set): how long
    /// STOPPING lasts at most (SIGTERM, then SIGKILL).
    pub fn stop_timeout_ms(&self) -> SimTimeMs {
        *self.engine.task_stopping(self.id).bounds_ms.end()
    }

    /// How long its STOPPING lasts on its instance without jitter: until its last container exits
    /// on SIGTERM or is killed at its stop timeout.
    pub fn stopping_ms(&self) -> SimTimeMs {
        self.engine.task_stopping(self.id).duration_ms()
    }

    /// How the container that stops last ends on its instance: it exits on SIGTERM (drainsim's
    /// `exitAfterSigtermMs`), or the agent kills it at its stop timeout.
    pub fn stopping_end(&self) -> StoppingEnd {
        self.engine.task_stopping(self.id).last_container
    }
}

impl std::fmt::Debug for TaskView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskView").field("id", &self.id).field("last_status", &self.last_status()).finish()
    }
}

impl Engine {
    /// A container instance by id.
    ///
    /// # Panics
    ///
    /// For an id this engine never gave (of another engine, or built by hand):
    /// [`Engine::get_instance`] answers `None` instead.
    pub fn instance(&self, id: InstanceId) -> InstanceView<'_> {
        self.get_instance(id)
            .unwrap_or_else(|| panic!("no container instance {} in this engine (it has {})", id.0, self.instances.len()))
    }

    /// A container instance by id, or `None` for an id this engine never gave. An id of another
    /// engine that this one also gave names this engine's instance: ids are positions, not names.
    pub fn get_instance(&self, id: InstanceId) -> Option<InstanceView<'_>> {
        (id.index() < self.instances.len()).then_some(InstanceView { engine: self, id })
    }

    /// Every container instance, in registration order.
    pub fn instances(&self) -> impl Iterator<Item = InstanceView<'_>> + '_ {
        (0..self.instances.len() as u32).map(|n| InstanceView { engine: self, id: InstanceId(n) })
    }

    /// The container instances a request to set DRAINING was refused for
    /// ([`InstanceView::drain_refused`]), in registration order: without a walk of the others.
    pub fn instances_drain_refused(&self) -> impl Iterator<Item = InstanceView<'_>> + '_ {
        self.instances.drain_refused_ids().map(|id| InstanceView { engine: self, id })
    }

    /// How many container instances have gone away so far: become INACTIVE (deregistered by a
    /// request, or terminated by EC2), or been terminated by EC2 while their agent was
    /// disconnected, which leaves them registered ([`InstanceView::ec2_instance_gone`]). It only
    /// grows: a caller watching a set of instances looks at them again only when it moved.
    pub fn instances_deregistered(&self) -> u64 {
        self.instances.gone()
    }

    /// The container instances that went away after the first `seen`
    /// ([`Self::instances_deregistered`] when the caller last looked), in that order.
    pub fn instances_deregistered_since(&self, seen: u64) -> &[InstanceId] {
        self.instances.gone_since(seen)
    }

    /// How many drains have completed so far (every task of a DRAINING instance STOPPED; an
    /// instance drained twice counts twice). It only grows: a caller waiting for some drains to
    /// complete looks at them again only when it moved.
    pub fn drains_completed(&self) -> u64 {
        self.instances.drains_completed()
    }

    /// The container instances whose drain completed after the first `seen`
    /// ([`Self::drains_completed`] when the caller last looked), in that order; an instance
    /// drained twice is there twice.
    pub fn drains_completed_since(&self, seen: u64) -> &[InstanceId] {
        self.instances.drains_completed_since(seen)
    }

    /// How many signals EC2 has given Spot Instances so far (each rebalance recommendation and
    /// each interruption notice once). It only grows: a caller watching the instances' signals
    /// ([`InstanceView::spot_signal`]) looks at them again only when it moved.
    pub fn spot_signals(&self) -> u64 {
        self.faults.spot_signals_given
    }

    /// How many Spot Instances EC2 has interrupted so far (a `terminate` with its two-minute
    /// notice, or a `hibernate`), each once.
    pub fn spot_interruptions(&self) -> u64 {
        self.faults.spot_notices.len() as u64
    }

    /// A container instance by the name the scenario (or its instance identity) gave it.
    pub fn instance_named(&self, name: &str) -> Option<InstanceView<'_>> {
        self.instance_by_name(name).map(|id| InstanceView { engine: self, id })
    }

    /// A container instance by its `containerInstanceArn`, exactly as ECS returned it (either ARN
    /// format), or by the container instance ID that ends it, as requests take either, whatever
    /// its status: an instance INACTIVE for longer than ECS keeps it describable is still found
    /// here.
    pub fn instance_by_arn(&self, arn: &str) -> Option<InstanceView<'_>> {
        let Some(rest) = arn.strip_prefix("arn:") else {
            // A container instance ID, exactly as its ARN ends.
            let id = self.instances.by_uuid(crate::state::instance::parse_id(arn)?)?;
            return self.instance_arn(id).ends_with(&format!("/{arn}")).then_some(InstanceView { engine: self, id });
        };
        let id_part = rest.split_once(":container-instance/")?.1.rsplit('/').next()?;
        let uuid = crate::state::instance::parse_id(id_part)?;
        let id = self.instances.by_uuid(uuid)?;
        (self.instance_arn(id) == arn).then_some(InstanceView { engine: self, id })
    }

    /// A service by id.
    ///
    /// # Panics
    ///
    /// For an id this engine never gave (of another engine, or built by hand):
    /// [`Engine::get_service`] answers `None` instead.
    pub fn service(&self, id: ServiceId) -> ServiceView<'_> {
        self.get_service(id).unwrap_or_else(|| panic!("no service {} in this engine (it has {})", id.0, self.services.len()))
    }

    /// A service by id, or `None` for an id this engine never gave (as [`Engine::get_instance`]).
    pub fn get_service(&self, id: ServiceId) -> Option<ServiceView<'_>> {
        (id.index() < self.services.len()).then_some(ServiceView { engine: self, id })
    }

    /// Every service, in creation order.
    pub fn services(&self) -> impl Iterator<Item = ServiceView<'_>> + '_ {
        (0..self.services.len() as u32).map(|n| ServiceView { engine: self, id: ServiceId(n) })
    }

    /// The services of the cluster named `cluster` whose last scheduling pass could not place a
    /// task and that wait for room (or, on a capacity provider with managed scaling, wait
    /// PROVISIONING: [`ServiceView::tasks_provisioning`]), in creation order; none for an unknown
    /// cluster. Kept as they come and go: no visit of the cluster's other services.
    pub fn services_waiting_for_room(&self, cluster: &str) -> impl Iterator<Item = ServiceView<'_>> + '_ {
        let waiters = self.clusters.by_name(cluster).map(|c| self.clusters[c.index()].capacity_waiters.iter());
        waiters.into_iter().flatten().map(|(id, _)| ServiceView { engine: self, id })
    }

    /// The service with this `serviceName`, in any cluster: the one not INACTIVE if there is one
    /// (a name is reused once its deleted service is INACTIVE), else the last one created.
    pub fn service_named(&self, name: &str) -> Option<ServiceView<'_>> {
        // Each cluster's latest service of the name is its only one that may not be INACTIVE.
        let sym = self.strings.get(name)?;
        let latest = self.clusters.iter().filter_map(|c| c.services_by_name.get(&sym).and_then(|named| named.last()).copied());
        let (mut live, mut last) = (None, None);
        for id in latest {
            last = last.max(Some(id));
            if self.services[id.index()].status != ServiceStatus::Inactive {
                live = live.max(Some(id));
            }
        }
        live.or(last).map(|id| ServiceView { engine: self, id })
    }

    /// The service with this `serviceName` in the cluster named `cluster`: the one not INACTIVE if
    /// there is one, else the last one created; `None` for an unknown cluster or name. Two clusters
    /// may each have a service of one name ([`Engine::service_named`] gives one of them); this
    /// gives the one asked for.
    pub fn service_in_cluster(&self, cluster: &str, name: &str) -> Option<ServiceView<'_>> {
        let id = self.latest_service_named(self.clusters.by_name(cluster)?, name)?;
        Some(ServiceView { engine: self, id })
    }

    /// A service by its `serviceArn`, exactly as ECS returned it (either ARN format). A name used
    /// again after its service became INACTIVE gives the same ARN twice: as DescribeServices does,
    /// this finds the one not INACTIVE if there is one, else the last created (each cluster's
    /// latest service of a name is its only one that may not be INACTIVE). Only the services of
    /// the ARN's name are compared.
    pub fn service_by_arn(&self, arn: &str) -> Option<ServiceView<'_>> {
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let sym = self.strings.get(name)?;
        self.clusters
            .iter()
            .filter_map(|c| c.services_by_name.get(&sym))
            .filter_map(|named| named.iter().rev().copied().find(|id| self.service_arn(*id) == arn))
            .max()
            .map(|id| ServiceView { engine: self, id })
    }

    /// A task by id.
    ///
    /// # Panics
    ///
    /// For an id this engine never gave (of another engine, or built by hand):
    /// [`Engine::get_task`] answers `None` instead.
    pub fn task(&self, id: TaskId) -> TaskView<'_> {
        self.get_task(id).unwrap_or_else(|| panic!("no task {} in this engine (it has {})", id.0, self.tasks.len()))
    }

    /// A task by id, or `None` for an id this engine never gave (as [`Engine::get_instance`]).
    pub fn get_task(&self, id: TaskId) -> Option<TaskView<'_>> {
        (id.index() < self.tasks.len()).then_some(TaskView { engine: self, id })
    }

    /// Every task ever placed, in placement order.
    pub fn tasks(&self) -> impl Iterator<Item = TaskView<'_>> + '_ {
        (0..self.tasks.len() as u32).map(|n| TaskView { engine: self, id: TaskId(n) })
    }

    /// A task by its `taskArn`, exactly as ECS returned it (either ARN format), or by the task ID
    /// that ends it, as StopTask and DescribeTasks take either.
    pub fn task_by_arn(&self, arn: &str) -> Option<TaskView<'_>> {
        let Some(rest) = arn.strip_prefix("arn:") else {
            let id = self.tasks.by_uuid(crate::state::instance::parse_id(arn)?)?;
            return self.task_arn(id).ends_with(&format!("/{arn}")).then_some(TaskView { engine: self, id });
        };
        let id_part = rest.split_once(":task/")?.1.rsplit('/').next()?;
        let uuid = crate::state::instance::parse_id(id_part)?;
        let id = self.tasks.by_uuid(uuid)?;
        (self.task_arn(id) == arn).then_some(TaskView { engine: self, id })
    }
}
