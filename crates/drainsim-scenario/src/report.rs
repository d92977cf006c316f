//! The versioned JSON report: its own types (not derives on engine internals), camelCase, and
//! nothing in it depends on wall time or the machine.

use serde::Serialize;

use drainsim_core::api;
use drainsim_core::{Engine, InstanceView, PlacementFailureReason, ServiceView, StallReason};

use crate::outcome::{all_drains_completed_at, orphaned_tasks_by_instance, ExpectationResult, RunOutcome};

/// Bumped whenever a field changes meaning or disappears. Version 2 renamed `endTimeMs` (when the
/// run stopped) to `runEndedAtMs`, so that it is not mistaken for the scenario's `endTimeMs` bound.
/// Version 3: a service's `minHealthyObserved` also counts the instants it was below its floor
/// before its cluster's first drain (a run that drains nothing may have one). Version 4:
/// `allDrainsCompletedAtMs` leaves out the drains managed scaling's scale-in began, when the run
/// has others ([`crate::outcome::DrainScope`]).
pub const REPORT_VERSION: u32 = 4;

/// The JSON report of one run (`drainsim run --json`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The version of this format ([`REPORT_VERSION`]).
    pub report_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The seed the run used.
    pub seed: u64,
    /// Simulated time when the run stopped (not the scenario's `endTimeMs`, the bound it ran under).
    /// Version 1 called it `endTimeMs`.
    pub run_ended_at_ms: u64,
    /// Events the engine processed.
    pub events_processed: u64,
    /// The trace digest, 16 hex digits: equal digests mean equal runs.
    pub trace_digest: String,
    /// Why the run stopped (`quiet`, `endTime`, `maxEvents`, `timeLimit`, `maxEventsPerInstant`).
    pub stop_reason: String,
    /// The fault profile, when the run injects faults.
    pub fault_profile: Option<FaultProfileReport>,
    /// Every evaluated expectation (of steps, checks and the end), in order.
    pub expectations: Vec<ExpectationReport>,
    /// The invariant violation found at the end of the run, if any.
    pub invariant_violation: Option<String>,
    /// Every expectation held and no invariant was violated: the run passed. (`drainsim run
    /// --strict` also fails a run on `unmentionedFindings`; its exit status says so.)
    pub passed: bool,
    /// Every container instance, in registration order.
    pub container_instances: Vec<ContainerInstanceReport>,
    /// Every service, in creation order.
    pub services: Vec<ServiceReport>,
    /// When the last drain that counts completed (null if one did not, or none started): a drain
    /// cancelled by setting the instance ACTIVE again is none, nor is one managed scaling's
    /// scale-in began while the run has others ([`crate::outcome::DrainScope`]).
    pub all_drains_completed_at_ms: Option<u64>,
    /// The instances a request asked to set DRAINING that ECS refused (their status could not
    /// move) and that never drained in the run, in registration order
    /// ([`crate::outcome::refused_drains`]); absent when there is none. No drain time counts them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drains_refused: Vec<RefusedDrainReport>,
    /// The instance refreshes the run's StartInstanceRefresh steps ran, in order (absent when
    /// there were none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance_refreshes: Vec<InstanceRefreshReport>,
    /// The managed scaling of each capacity provider that has it ENABLED (absent when none has).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_scaling: Vec<ManagedScalingReport>,
    /// What the run found that no expectation of the scenario mentions (a floor breach, a stall),
    /// as the text report warns of them and as `--strict` fails the run on them
    /// ([`crate::outcome::unmentioned_findings`]); absent when there is none. `drainsim run
    /// --json` writes them ([`write_json_with_findings`]); [`build`] and [`write_json`] leave them
    /// out, having no scenario to read the expectations of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmentioned_findings: Vec<String>,
}

/// A drain ECS refused ([`crate::outcome::RefusedDrain`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RefusedDrainReport {
    /// The instance's name.
    pub instance: String,
    /// When the first request to set it DRAINING was refused.
    pub at_ms: u64,
    /// Its status then (the failure's reason).
    pub status: String,
}

/// What one capacity provider's managed scaling did (ECS cluster auto scaling): its datapoints
/// where something changed, and its scaling activity (camelCase, simulated milliseconds).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedScalingReport {
    /// The capacity provider's name.
    pub capacity_provider_name: String,
    /// Its Auto Scaling group.
    pub auto_scaling_group_name: String,
    /// `targetCapacity`, percent.
    pub target_capacity: u32,
    /// The group's desired capacity when the run began.
    pub initial_desired_capacity: u32,
    /// Datapoints that raised the group's desired capacity.
    pub scale_outs: u32,
    /// Datapoints that lowered it.
    pub scale_ins: u32,
    /// Instances the group launched for it.
    pub instances_launched: u32,
    /// Instances the group began to terminate for it.
    pub instances_terminated: u32,
    /// The first ECS request of the group that was refused (null if none).
    pub error: Option<String>,
    /// Each minute's datapoint where something changed.
    pub datapoints: Vec<ManagedScalingPoint>,
    /// Whether datapoints past 10,000 were left out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub datapoints_truncated: bool,
}

/// One datapoint of a capacity provider's managed scaling.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ManagedScalingPoint {
    /// Simulated time (a whole minute).
    pub at_ms: u64,
    /// N: the group's InService instances.
    pub instances_running: u32,
    /// M: the instances the tasks need.
    pub instances_needed: u32,
    /// `CapacityProviderReservation`, percent (M / N × 100, two decimals).
    pub capacity_provider_reservation: f64,
    /// Tasks of the provider waiting PROVISIONING.
    pub tasks_provisioning: u32,
    /// The group's desired capacity when the datapoint was taken: a change from the previous
    /// datapoint's `desired_capacity` was made between them by something else (a step, a
    /// request).
    pub desired_capacity_before: u32,
    /// The group's desired capacity after the datapoint.
    pub desired_capacity: u32,
}

fn managed_scaling_rows(outcome: &RunOutcome) -> Vec<ManagedScalingReport> {
    outcome
        .managed_scaling
        .iter()
        .map(|m| ManagedScalingReport {
            capacity_provider_name: m.capacity_provider_name.clone(),
            auto_scaling_group_name: m.auto_scaling_group_name.clone(),
            target_capacity: m.target_capacity,
            initial_desired_capacity: m.initial_desired_capacity,
            scale_outs: m.scale_outs,
            scale_ins: m.scale_ins,
            instances_launched: m.instances_launched,
            instances_terminated: m.instances_terminated,
            error: m.error.clone(),
            datapoints: m
                .samples
                .iter()
                .map(|p| ManagedScalingPoint {
                    at_ms: p.at_ms,
                    instances_running: p.instances_running,
                    instances_needed: p.instances_needed,
                    capacity_provider_reservation: p.capacity_provider_reservation_hundredths as f64 / 100.0,
                    tasks_provisioning: p.tasks_provisioning,
                    desired_capacity_before: p.desired_capacity_before,
                    desired_capacity: p.desired_capacity,
                })
                .collect(),
            datapoints_truncated: m.samples_truncated,
        })
        .collect()
}

/// One instance refresh: the members DescribeInstanceRefreshes spells as it does, and drainsim's
/// record of it over time (camelCase, simulated milliseconds).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InstanceRefreshReport {
    /// `InstanceRefreshId`.
    #[serde(rename = "InstanceRefreshId")]
    pub instance_refresh_id: String,
    /// `AutoScalingGroupName`.
    #[serde(rename = "AutoScalingGroupName")]
    pub auto_scaling_group_name: String,
    /// `Status`: `Successful`, `Failed`, or `InProgress` when the run ended first.
    #[serde(rename = "Status")]
    pub status: String,
    /// `StatusReason`.
    #[serde(rename = "StatusReason")]
    pub status_reason: Option<String>,
    /// `InstancesToUpdate`: the instances still to update when the run ended.
    #[serde(rename = "InstancesToUpdate")]
    pub instances_to_update: u32,
    /// `PercentageComplete` when the run ended.
    #[serde(rename = "PercentageComplete")]
    pub percentage_complete: u32,
    /// When it started (simulated ms).
    #[serde(rename = "startTimeMs")]
    pub start_time_ms: u64,
    /// When it ended (simulated ms; null if it did not).
    #[serde(rename = "endTimeMs")]
    pub end_time_ms: Option<u64>,
    /// `PercentageComplete` at each change.
    #[serde(rename = "percentageCompleteOverTime")]
    pub percentage_complete_over_time: Vec<RefreshProgressPoint>,
    /// The group's desired capacity.
    #[serde(rename = "desiredCapacity")]
    pub desired_capacity: u32,
    /// The fewest healthy instances MinHealthyPercentage allows.
    #[serde(rename = "minHealthyInstances")]
    pub min_healthy_instances: u32,
    /// The most Pending and InService instances MaxHealthyPercentage allows.
    #[serde(rename = "maxInstances")]
    pub max_instances: u32,
    /// Pending, InService and healthy instances at each change.
    #[serde(rename = "capacityOverTime")]
    pub capacity_over_time: Vec<RefreshCapacityPoint>,
}

/// `PercentageComplete` at one moment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RefreshProgressPoint {
    /// Simulated time.
    #[serde(rename = "atMs")]
    pub at_ms: u64,
    /// `PercentageComplete`.
    #[serde(rename = "PercentageComplete")]
    pub percentage_complete: u32,
}

/// A group's capacity at one moment of a refresh.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RefreshCapacityPoint {
    /// Simulated time.
    pub at_ms: u64,
    /// `Pending` instances.
    pub pending: u32,
    /// `InService` instances.
    pub in_service: u32,
    /// `InService` instances past their warmup, not being terminated.
    pub healthy: u32,
}

fn refresh_rows(outcome: &RunOutcome) -> Vec<InstanceRefreshReport> {
    outcome
        .instance_refreshes
        .iter()
        .map(|r| InstanceRefreshReport {
            instance_refresh_id: r.instance_refresh_id.clone(),
            auto_scaling_group_name: r.auto_scaling_group_name.clone(),
            status: r.status.clone(),
            status_reason: r.status_reason.clone(),
            instances_to_update: r.instances_to_update,
            percentage_complete: r.percentage_complete,
            start_time_ms: r.start_time_ms,
            end_time_ms: r.end_time_ms,
            percentage_complete_over_time: r
                .percentage_complete_over_time
                .iter()
                .map(|&(at_ms, percentage_complete)| RefreshProgressPoint { at_ms, percentage_complete })
                .collect(),
            desired_capacity: r.desired_capacity,
            min_healthy_instances: r.min_healthy_instances,
            max_instances: r.max_instances,
            capacity_over_time: r
                .capacity
                .iter()
                .map(|c| RefreshCapacityPoint {
                    at_ms: c.at_ms,
                    pending: c.pending,
                    in_service: c.in_service,
                    healthy: c.healthy,
                })
                .collect(),
        })
        .collect()
}

/// The fault profile of a run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FaultProfileReport {
    /// Chance, per thousand, that a trunk ENI provisioning fails.
    pub trunk_provisioning_failure_per_mille: u32,
    /// Extra latency of every ENI attachment.
    pub eni_attach_latency_ms: u64,
    /// Chance, per thousand, that a task fails to start.
    pub task_start_failure_per_mille: u32,
    /// Random agent disconnects per instance per hour.
    pub agent_disconnects_per_hour: u32,
    /// Chance, per thousand, that a Spot Instance is interrupted within an hour (absent when 0).
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub spot_interruption_per_mille_per_hour: u32,
    /// How long before a drawn interruption's notice its rebalance recommendation comes (absent when 0).
    #[serde(skip_serializing_if = "is_zero_u64")]
    pub spot_rebalance_recommendation_lead_ms: u64,
    /// Chance, per thousand, that a Spot Instance gets a rebalance recommendation no interruption
    /// follows within an hour (absent when 0).
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub spot_rebalance_recommendation_per_mille_per_hour: u32,
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

/// The verdict of one expectation.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationReport {
    /// What was expected.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// What was observed.
    pub detail: String,
    /// Simulated time at which it was evaluated.
    pub at_ms: u64,
    /// The step (1-based) that evaluated it; absent for the expectations checked when the run ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
}

/// A container instance at the end of the run.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstanceReport {
    /// Its logical name.
    pub name: String,
    /// Its ARN.
    pub container_instance_arn: String,
    /// Its EC2 instance ID.
    pub ec2_instance_id: String,
    /// Its `capacityProviderName` (absent when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// Its status (`ACTIVE`, `DRAINING`, `INACTIVE`, ...).
    pub status: String,
    /// Its statusReason, if any.
    pub status_reason: Option<String>,
    /// Its version.
    pub version: u64,
    /// Its runningTasksCount.
    pub running_tasks_count: u32,
    /// Its pendingTasksCount.
    pub pending_tasks_count: u32,
    /// Whether its agent is connected.
    pub agent_connected: bool,
    /// Its agentUpdateStatus, if an update was requested.
    pub agent_update_status: Option<String>,
    /// When its (last) drain started.
    pub drain_started_at_ms: Option<u64>,
    /// When its runningTasksCount reached 0 during the drain.
    pub no_running_tasks_at_ms: Option<u64>,
    /// When its (last) drain completed.
    pub drain_completed_at_ms: Option<u64>,
    /// When its (last) drain was cancelled: the instance set ACTIVE again before its drain
    /// completed, and ACTIVE at the end of the run (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain_cancelled_at_ms: Option<u64>,
    /// Tasks its forced deregistration left behind before they reached STOPPED (its Auto Scaling
    /// group terminated it, or DeregisterContainerInstance with `force`, with them still running
    /// or stopping): a drain that completed so ended because the instance went, not because its
    /// tasks stopped.
    pub orphaned_tasks: u32,
    /// Its task ENI limit, if it has one.
    pub task_eni_limit: Option<u16>,
    /// Task ENIs in use on it.
    pub task_enis_in_use: u16,
    /// Whether it is trunked: registered with a trunk ENI that did not fail (false for a
    /// REGISTRATION_FAILED instance; docs/ecs-choices.md).
    pub trunked: bool,
    /// `registeredAt`, seconds since the Unix epoch (as DescribeContainerInstances spells it).
    pub registered_at: f64,
    /// `registeredResources`.
    pub registered_resources: Vec<api::Resource>,
    /// `remainingResources` at the end of the run.
    pub remaining_resources: Vec<api::Resource>,
    /// `attributes` (instance type, zone, AMI, capabilities, custom ones).
    pub attributes: Vec<api::Attribute>,
    /// `versionInfo`.
    pub version_info: api::VersionInfo,
}

/// An instant a service was below its floor.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FloorDipReport {
    /// Tasks that counted toward `minimumHealthyPercent` then.
    pub healthy: u32,
    /// The floor then (after a scale-up, until the service is steady again, the floor of the count
    /// it was steady at).
    pub floor: u32,
    /// `floor` minus `healthy`.
    pub below_by: u32,
    /// When (simulated milliseconds).
    pub at_ms: u64,
}

/// A count of one reason.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CountByReason {
    /// The reason, as ECS spells it.
    pub reason: String,
    /// How many times.
    pub count: u64,
}

/// A service's task counts at one instant.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SeriesPointReport {
    /// The instant.
    pub at_ms: u64,
    /// `runningCount`.
    pub running: u32,
    /// Healthy tasks.
    pub healthy: u32,
    /// `pendingCount`.
    pub pending: u32,
    /// Tasks not STOPPED, those told to stop included: what `maximumPercent` bounds.
    pub not_stopped: u32,
}

/// A service's `deploymentConfiguration`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentConfigurationReport {
    /// `minimumHealthyPercent`.
    pub minimum_healthy_percent: u32,
    /// `maximumPercent`.
    pub maximum_percent: u32,
}

/// Tasks of a service that waited for their agent, for one cause.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AgentWaitReport {
    /// `STOPPING_TASKS` (an agent before 1.73.0 waits for every earlier stop), `RESOURCE:CPU`,
    /// `RESOURCE:MEMORY`, `RESOURCE:PORTS`, `RESOURCE:GPU` (1.73.0 or later waits for what the task needs) or
    /// `QUEUED_BEHIND` (behind such a task in the agent's first-in, first-out queue).
    pub cause: String,
    /// Tasks that waited.
    pub tasks: u64,
    /// Their waits summed.
    pub total_wait_ms: u64,
    /// The longest wait.
    pub longest_wait_ms: u64,
}

/// A stall episode of a service.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeReport {
    /// When it started.
    pub started_at_ms: u64,
    /// When it ended (null if it had not by the end of the run).
    pub ended_at_ms: Option<u64>,
    /// Why the service could not progress.
    pub reason: String,
    /// For a `CONSTRAINT:memberOf` stall, the service's `memberOf` expressions (an instance must
    /// satisfy every one); absent otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_of: Vec<String>,
    /// For a placement stall of a service with a capacity provider strategy, the provider whose
    /// instances the task could run on; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider: Option<String>,
    /// For a placement stall, every requirement the closest instance did not meet when it began, in
    /// ECS's order (`reason` is the first); absent for other stalls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmet_requirements: Vec<String>,
    /// For a `CONSTRAINT:memberOf` stall, what the closest instance satisfying every `memberOf`
    /// expression lacked when it began (`RESOURCE:MEMORY`, …); absent when none was placeable,
    /// and for other stalls.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub member_of_instances_lack: Vec<String>,
}

/// A time a service spent below its healthy floor.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FloorBreachReport {
    /// When it started.
    pub started_at_ms: u64,
    /// When it ended (null if it had not by the end of the run).
    pub ended_at_ms: Option<u64>,
    /// What caused it.
    pub cause: String,
}

/// A service event.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEventReport {
    /// When it happened.
    pub at_ms: u64,
    /// Its message, as ECS writes it.
    pub message: String,
}

/// A service at the end of the run, with what was observed of it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceReport {
    /// Its name.
    pub service_name: String,
    /// `serviceArn`.
    pub service_arn: String,
    /// `schedulingStrategy` (`REPLICA`, `DAEMON`).
    pub scheduling_strategy: String,
    /// `availabilityZoneRebalancing` as DescribeServices gives it (`ENABLED`, `DISABLED`): the
    /// value given, else the default CreateService chose for the service.
    pub availability_zone_rebalancing: String,
    /// `status` (`ACTIVE`, `DRAINING`, `INACTIVE`).
    pub status: String,
    /// `pendingCount`.
    pub pending_count: u32,
    /// `deploymentConfiguration` as DescribeServices nests it (the same numbers as
    /// `minimumHealthyPercent` and `maximumPercent` beside it).
    pub deployment_configuration: DeploymentConfigurationReport,
    /// Its desiredCount.
    pub desired_count: u32,
    /// Its runningCount.
    pub running_count: u32,
    /// Its healthy tasks.
    pub healthy_count: u32,
    /// Its deployment configuration's minimumHealthyPercent.
    pub minimum_healthy_percent: u32,
    /// Its deployment configuration's maximumPercent.
    pub maximum_percent: u32,
    /// ceil(desired × min / 100) at the end of the run.
    pub healthy_floor: u32,
    /// floor(desired × max / 100) at the end of the run.
    pub task_ceiling: u32,
    /// The lowest healthy count once its cluster's observation window opened (its first drain), or
    /// while it was below its floor before that; null if neither happened.
    pub min_healthy_observed: Option<u32>,
    /// The floor at the instant of `minHealthyObserved` (a DAEMON's, or an updated service's, floor
    /// follows its desired count; `healthyFloor` is the one at the end).
    pub floor_at_min_healthy_observed: Option<u32>,
    /// The desired count at the instant of `minHealthyObserved`, the one its floor was of (after a
    /// scale-up, until steady, the count it was steady at): how far short of it the service fell
    /// does not depend on `minimumHealthyPercent`.
    pub desired_count_at_min_healthy_observed: Option<u32>,
    /// The instant it was furthest below its floor (the first of equal dips), the depth of its
    /// `floorBreaches`; null if it never fell below its floor. The lowest healthy count
    /// (`minHealthyObserved`) may be another instant, under a lower floor.
    pub deepest_dip_below_floor: Option<FloorDipReport>,
    /// The most tasks it had at once.
    pub max_tasks_observed: Option<u32>,
    /// The ceiling at the instant of `maxTasksObserved`.
    pub ceiling_at_max_tasks_observed: Option<u32>,
    /// A DAEMON's tasks at `maxTasksObserved` above `ceilingAtMaxTasksObserved`: its tasks on
    /// DRAINING instances, which stop last and which its ceiling (its ACTIVE instances) does not
    /// count (absent for a REPLICA service, or when none were above).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon_tasks_above_ceiling_at_max_tasks_observed: Option<u32>,
    /// Failed placement attempts, by reason.
    pub placement_failures: Vec<CountByReason>,
    /// Tasks placed but held in PENDING by their instance's agent, by cause: what held a task
    /// back once placement had found it room.
    pub agent_waits: Vec<AgentWaitReport>,
    /// Its running, healthy and pending tasks at the end of each instant they changed (to chart it
    /// with other tools; at most 100,000 points).
    pub series: Vec<SeriesPointReport>,
    /// Whether `series` was cut at its bound (absent when it was not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub series_truncated: bool,
    /// Its stall episodes.
    pub stalls: Vec<EpisodeReport>,
    /// Its floor breaches.
    pub floor_breaches: Vec<FloorBreachReport>,
    /// Tasks replaced more than once by drains.
    pub tasks_moved_more_than_once: u32,
    /// Tasks found UNHEALTHY: adopted so, or failing their health checks (absent when none).
    #[serde(skip_serializing_if = "no_moves")]
    pub unhealthy_tasks: u32,
    /// Extra task moves made by Availability Zone rebalancing (absent when none).
    #[serde(skip_serializing_if = "no_moves")]
    pub az_rebalancing_moves: u32,
    /// When it reached the steady state it is in at the end (null if it is not steady).
    pub steady_state_at_ms: Option<u64>,
    /// How many service events the run produced.
    pub events_total: usize,
    /// The most recent 100 of them, oldest first (ECS keeps the 100 most recent, too).
    pub events: Vec<ServiceEventReport>,
}

/// Service events a report keeps per service.
pub const REPORT_EVENTS_KEPT: usize = 100;

/// Every container instance's report row, in registration order, each built as it is taken (the
/// tasks are counted for `orphanedTasks` once, first).
fn instance_rows(e: &Engine) -> impl Iterator<Item = ContainerInstanceReport> + '_ {
    let orphaned = orphaned_tasks_by_instance(e);
    e.instances().map(move |i| instance_row(i, orphaned.get(i.name()).copied().unwrap_or(0)))
}

/// The report row of one container instance; `orphaned_tasks` as
/// [`crate::outcome::orphaned_tasks_by_instance`] counts them.
pub fn instance_row(i: InstanceView, orphaned_tasks: u32) -> ContainerInstanceReport {
    let drain = i.drain();
    let described = i.describe();
    ContainerInstanceReport {
        registered_at: described.registered_at,
        registered_resources: described.registered_resources,
        remaining_resources: described.remaining_resources,
        attributes: described.attributes,
        version_info: described.version_info,
        name: i.name().into(),
        container_instance_arn: i.arn(),
        ec2_instance_id: i.ec2_instance_id(),
        capacity_provider_name: i.capacity_provider().map(str::to_string),
        status: i.status().as_str().into(),
        status_reason: i.status_reason().map(str::to_string),
        version: i.version(),
        running_tasks_count: i.running_tasks_count(),
        pending_tasks_count: i.pending_tasks_count(),
        agent_connected: i.agent_connected(),
        agent_update_status: i.agent_update_status().map(|u| u.as_str().to_string()),
        drain_started_at_ms: drain.started_at_ms(),
        no_running_tasks_at_ms: drain.no_running_at_ms(),
        drain_completed_at_ms: drain.completed_at_ms(),
        drain_cancelled_at_ms: crate::outcome::drain_cancelled_at(&i),
        orphaned_tasks,
        task_eni_limit: i.task_eni_limit(),
        task_enis_in_use: i.task_enis_in_use(),
        trunked: i.trunked(),
    }
}

/// The report row of one service.
pub fn service_row(s: ServiceView) -> ServiceReport {
    ServiceReport {
        service_name: s.name().into(),
        service_arn: s.arn(),
        scheduling_strategy: s.scheduling_strategy().as_str().into(),
        availability_zone_rebalancing: if s.az_rebalancing_enabled() { "ENABLED" } else { "DISABLED" }.into(),
        daemon_tasks_above_ceiling_at_max_tasks_observed: crate::outcome::daemon_tasks_above_ceiling(&s),
        series: s
            .series()
            .map(|p| SeriesPointReport {
                at_ms: p.at_ms,
                running: p.running,
                healthy: p.healthy,
                pending: p.pending,
                not_stopped: p.not_stopped,
            })
            .collect(),
        series_truncated: s.series_truncated(),
        status: s.status().as_str().into(),
        pending_count: s.pending_count(),
        deployment_configuration: DeploymentConfigurationReport {
            minimum_healthy_percent: s.minimum_healthy_percent(),
            maximum_percent: s.maximum_percent(),
        },
        desired_count: s.desired_count(),
        running_count: s.running_count(),
        healthy_count: s.healthy_count(),
        minimum_healthy_percent: s.minimum_healthy_percent(),
        maximum_percent: s.maximum_percent(),
        healthy_floor: s.healthy_floor(),
        task_ceiling: s.task_ceiling(),
        min_healthy_observed: s.min_healthy_observed(),
        floor_at_min_healthy_observed: s.floor_at_min_healthy_observed(),
        desired_count_at_min_healthy_observed: s.desired_count_at_min_healthy_observed(),
        deepest_dip_below_floor: s.deepest_dip_below_floor().map(|d| FloorDipReport {
            healthy: d.healthy,
            floor: d.floor,
            below_by: d.depth(),
            at_ms: d.at_ms,
        }),
        max_tasks_observed: s.max_tasks_observed(),
        ceiling_at_max_tasks_observed: s.ceiling_at_max_tasks_observed(),
        placement_failures: s.placement_failures().map(|(r, count)| CountByReason { reason: r.to_string(), count }).collect(),
        agent_waits: s
            .agent_waits()
            .map(|(c, t)| AgentWaitReport {
                cause: c.to_string(),
                tasks: t.tasks,
                total_wait_ms: t.total_wait_ms,
                longest_wait_ms: t.longest_wait_ms,
            })
            .collect(),
        stalls: s
            .stalls()
            .iter()
            .enumerate()
            .map(|(n, x)| EpisodeReport {
                unmet_requirements: s.stall_unmet_requirements(n).iter().map(|r| r.to_string()).collect(),
                member_of_instances_lack: s.stall_allowed_instances_lack(n).iter().map(|r| r.to_string()).collect(),
                started_at_ms: x.started_at_ms,
                ended_at_ms: x.ended_at_ms,
                reason: x.reason.to_string(),
                member_of: if x.reason == StallReason::Placement(PlacementFailureReason::MemberOf) {
                    s.member_of_expressions().map(str::to_string).collect()
                } else {
                    Vec::new()
                },
                capacity_provider: s.stall_capacity_provider(n).map(str::to_string),
            })
            .collect(),
        floor_breaches: s
            .floor_breaches()
            .iter()
            .map(|x| FloorBreachReport {
                started_at_ms: x.started_at_ms,
                ended_at_ms: x.ended_at_ms,
                cause: x.reason.to_string(),
            })
            .collect(),
        tasks_moved_more_than_once: s.tasks_moved_more_than_once(),
        unhealthy_tasks: s.unhealthy_tasks(),
        az_rebalancing_moves: s.az_rebalancing_moves(),
        steady_state_at_ms: s.steady_state_at_ms(),
        events_total: s.events_total(),
        events: (s.events_total().saturating_sub(REPORT_EVENTS_KEPT)..s.events_total())
            .map(|n| {
                let (at_ms, message) = s.event(n);
                ServiceEventReport { at_ms, message }
            })
            .collect(),
    }
}

/// The report's header fields (everything but the instance and service rows).
struct Header {
    scenario: String,
    seed: u64,
    run_ended_at_ms: u64,
    events_processed: u64,
    trace_digest: String,
    stop_reason: String,
    fault_profile: Option<FaultProfileReport>,
    expectations: Vec<ExpectationReport>,
    invariant_violation: Option<String>,
    passed: bool,
    all_drains_completed_at_ms: Option<u64>,
    drains_refused: Vec<RefusedDrainReport>,
}

fn header(outcome: &RunOutcome) -> Header {
    let e = &outcome.engine;
    Header {
        scenario: outcome.scenario_name.clone(),
        seed: outcome.seed,
        run_ended_at_ms: e.now_ms(),
        events_processed: e.events_processed(),
        trace_digest: digest_text(e.trace().digest()),
        stop_reason: outcome.stop_reason.as_str().into(),
        fault_profile: outcome.fault_profile.as_ref().map(|p| FaultProfileReport {
            trunk_provisioning_failure_per_mille: p.trunk_provisioning_failure_per_mille,
            eni_attach_latency_ms: p.eni_attach_latency_ms,
            task_start_failure_per_mille: p.task_start_failure_per_mille,
            agent_disconnects_per_hour: p.agent_disconnects_per_hour,
            spot_interruption_per_mille_per_hour: p.spot_interruption_per_mille_per_hour,
            spot_rebalance_recommendation_lead_ms: p.spot_rebalance_recommendation_lead_ms,
            spot_rebalance_recommendation_per_mille_per_hour: p.spot_rebalance_recommendation_per_mille_per_hour,
        }),
        expectations: outcome
            .expectations
            .iter()
            .map(|x: &ExpectationResult| ExpectationReport {
                name: x.name.clone(),
                passed: x.passed,
                detail: x.detail.clone(),
                at_ms: x.at_ms,
                step: x.step,
            })
            .collect(),
        invariant_violation: outcome.invariant_violation.clone(),
        passed: outcome.passed(),
        all_drains_completed_at_ms: all_drains_completed_at(e, &outcome.drain_scope()),
        drains_refused: crate::outcome::refused_drains(e)
            .into_iter()
            .map(|r| RefusedDrainReport { instance: r.instance, at_ms: r.at_ms, status: r.status.as_str().to_string() })
            .collect(),
    }
}

/// Builds the report of a run.
pub fn build(outcome: &RunOutcome) -> Report {
    let e = &outcome.engine;
    let h = header(outcome);
    Report {
        report_version: REPORT_VERSION,
        scenario: h.scenario,
        seed: h.seed,
        run_ended_at_ms: h.run_ended_at_ms,
        events_processed: h.events_processed,
        trace_digest: h.trace_digest,
        stop_reason: h.stop_reason,
        fault_profile: h.fault_profile,
        expectations: h.expectations,
        invariant_violation: h.invariant_violation,
        passed: h.passed,
        container_instances: instance_rows(e).collect(),
        services: e.services().map(service_row).collect(),
        all_drains_completed_at_ms: h.all_drains_completed_at_ms,
        drains_refused: h.drains_refused,
        instance_refreshes: refresh_rows(outcome),
        managed_scaling: managed_scaling_rows(outcome),
        unmentioned_findings: Vec::new(),
    }
}

/// Writes the report as pretty JSON, building each instance and service row only as it is written
/// (a 40,000-instance report never exists in memory at once). The bytes equal those of
/// `serde_json::to_writer_pretty(w, &build(outcome))`.
pub fn write_json<W: std::io::Write>(outcome: &RunOutcome, w: W) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(w, &Streamed(outcome, &[]))
}

/// [`write_json`] with the run's findings no expectation mentions
/// ([`crate::outcome::unmentioned_findings`]) as `unmentionedFindings`: what `drainsim run --json`
/// prints, so that a script told by `--strict`'s exit status that the run failed reads why.
pub fn write_json_with_findings<W: std::io::Write>(outcome: &RunOutcome, findings: &[String], w: W) -> serde_json::Result<()> {
    serde_json::to_writer_pretty(w, &Streamed(outcome, findings))
}

struct Streamed<'a>(&'a RunOutcome, &'a [String]);
/// The instance rows, each built as it is written.
struct InstanceRows<'a>(&'a Engine);
/// The service rows, each built as it is written.
struct ServiceRows<'a>(&'a Engine);

impl Serialize for InstanceRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(instance_rows(self.0))
    }
}

impl Serialize for ServiceRows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.services().map(service_row))
    }
}

impl Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let e = &self.0.engine;
        let h = header(self.0);
        let mut st = s.serialize_struct("Report", 17)?;
        st.serialize_field("reportVersion", &REPORT_VERSION)?;
        st.serialize_field("scenario", &h.scenario)?;
        st.serialize_field("seed", &h.seed)?;
        st.serialize_field("runEndedAtMs", &h.run_ended_at_ms)?;
        st.serialize_field("eventsProcessed", &h.events_processed)?;
        st.serialize_field("traceDigest", &h.trace_digest)?;
        st.serialize_field("stopReason", &h.stop_reason)?;
        st.serialize_field("faultProfile", &h.fault_profile)?;
        st.serialize_field("expectations", &h.expectations)?;
        st.serialize_field("invariantViolation", &h.invariant_violation)?;
        st.serialize_field("passed", &h.passed)?;
        st.serialize_field("containerInstances", &InstanceRows(e))?;
        st.serialize_field("services", &ServiceRows(e))?;
        st.serialize_field("allDrainsCompletedAtMs", &h.all_drains_completed_at_ms)?;
        if h.drains_refused.is_empty() {
            st.skip_field("drainsRefused")?;
        } else {
            st.serialize_field("drainsRefused", &h.drains_refused)?;
        }
        let refreshes = refresh_rows(self.0);
        if refreshes.is_empty() {
            st.skip_field("instanceRefreshes")?;
        } else {
            st.serialize_field("instanceRefreshes", &refreshes)?;
        }
        let scaling = managed_scaling_rows(self.0);
        if scaling.is_empty() {
            st.skip_field("managedScaling")?;
        } else {
            st.serialize_field("managedScaling", &scaling)?;
        }
        if self.1.is_empty() {
            st.skip_field("unmentionedFindings")?;
        } else {
            st.serialize_field("unmentionedFindings", self.1)?;
        }
        st.end()
    }
}

/// A count the report leaves out when it is zero.
fn no_moves(n: &u32) -> bool {
    *n == 0
}

/// A trace digest as 16 hex digits, or `not computed` (a run configured not to digest its trace).
pub fn digest_text(digest: Option<u64>) -> String {
    digest.map_or_else(|| "not computed".to_string(), |d| format!("{d:016x}"))
}
