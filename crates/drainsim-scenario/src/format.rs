//! The RON scenario format. Every construct is documented in `docs/scenario-format.md`, each with a
//! scenario file under `scenarios/` that uses it. Unknown fields and wrong types are errors.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use drainsim_core::api;
use drainsim_core::time::{bounded_time, bounded_time_opt};
use drainsim_core::Timings;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most instances a scenario may declare.
pub const MAX_INSTANCES: u64 = 100_000;
/// Most tasks a scenario may ask for (service desired counts plus standalone tasks).
pub const MAX_TASKS: u64 = 1_000_000;

fn bounded_count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = u64::deserialize(d)?;
    if n == 0 || n > MAX_INSTANCES {
        return Err(serde::de::Error::custom(format!(
            "count {n} is out of range: an instance group has 1 to {MAX_INSTANCES} instances"
        )));
    }
    Ok(n as u32)
}

/// The most events a scenario may let its run process (`maxEvents`): ten times the default. A
/// run's memory grows with its events where tasks keep failing and being replaced (every stopped
/// task stays describable, about 9 bytes an event), so this bounds it at a few GB.
pub const MAX_MAX_EVENTS: u64 = 500_000_000;

fn bounded_max_events<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let n = u64::deserialize(d)?;
    if n > MAX_MAX_EVENTS {
        return Err(serde::de::Error::custom(format!(
            "maxEvents {n} is out of range: a run processes at most {MAX_MAX_EVENTS} events (the default is 50000000)"
        )));
    }
    Ok(Some(n))
}

/// The latest simulated time a scenario may name: 2^50 ms, about 35,000 years.
pub const MAX_TIME_MS: u64 = drainsim_core::time::MAX_SIM_TIME_MS;

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn default_count() -> u32 {
    1
}

/// A scenario file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name (non-empty; reports carry it).
    pub name: String,
    /// What the scenario shows, for readers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The seed of the run (IDs, jitter, tie-breaks); `--seed` replaces it.
    #[serde(default)]
    pub seed: u64,
    /// Unix seconds at simulated time 0 (default 2019-06-06T00:00:00Z).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_unix_seconds: Option<u64>,
    /// The AWS account ID in ARNs (default `123456789012`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The region in ARNs (default `us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The newest agent version UpdateContainerAgent installs (default
    /// [`drainsim_core::CURRENT_AGENT_VERSION`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_agent_version: Option<String>,
    /// The Availability Zone of each subnet an awsvpc task's `networkConfiguration` may name
    /// (`{"subnet-0a1b2c3d": "us-east-1a"}`): EC2 knows it, ECS's API does not say it. A task is
    /// placed only on an instance in the zone of one of its subnets (docs/ecs-choices.md, "awsvpc
    /// subnets"; [`drainsim_core::EngineConfig::subnet_zones`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub subnet_zones: BTreeMap<String, String>,
    /// The engine's timings (an absent field keeps its documented default).
    #[serde(default, skip_serializing_if = "is_default")]
    pub timings: Timings,
    /// Overrides of AWS defaults (what applies when no principal has a setting).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub account_defaults: BTreeMap<String, String>,
    /// PutAccountSetting calls applied at time 0, before anything registers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_settings: Vec<api::PutAccountSettingRequest>,
    /// Clusters created at time 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<String>,
    /// Instance groups, registered at their `registerAtMs`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<InstanceGroup>,
    /// RegisterTaskDefinition calls applied at time 0.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_definitions: Vec<api::RegisterTaskDefinitionRequest>,
    /// CreateService calls applied at time 0, after the instances of time 0 registered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<api::CreateServiceRequest>,
    /// Tasks that already run when the simulation starts (a cluster captured from ECS), put on
    /// their instances after the services are created and before anything runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub running_tasks: Vec<RunningTasks>,
    /// Fault injection (none by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<FaultsSpec>,
    /// Exhaustive exploration (`drainsim explore`, docs/explore.md): the faults the explorer may
    /// inject and its bounds; with `choices`, the pinned choices of one explored path, which
    /// `drainsim run` replays instead of drawing from the seeded streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explore: Option<ExploreSpec>,
    /// EC2 Auto Scaling groups whose instances register in the scenario's clusters
    /// ([`AutoScalingGroupSpec`]; docs/rollouts.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auto_scaling_groups: Vec<AutoScalingGroupSpec>,
    /// ECS capacity providers of those groups, with managed draining and managed termination
    /// protection ([`drainsim_core::api::CreateCapacityProviderRequest`]; docs/rollouts.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_providers: Vec<drainsim_core::api::CreateCapacityProviderRequest>,
    /// PutClusterCapacityProviders calls applied at time 0, after the clusters are created: each
    /// cluster's capacity providers and default capacity provider strategy (docs/scenario-format.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_capacity_providers: Vec<api::PutClusterCapacityProvidersRequest>,
    /// The script: steps in time order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// Checked when the run ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<Expectation>,
    /// Simulated-time bound of the run (default 24 h).
    #[serde(default, deserialize_with = "bounded_time_opt", skip_serializing_if = "Option::is_none")]
    pub end_time_ms: Option<u64>,
    /// Event bound of the run (default 50,000,000; at most [`MAX_MAX_EVENTS`]).
    #[serde(default, deserialize_with = "bounded_max_events", skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
}

/// Default simulated-time bound of a run (`endTimeMs`).
pub const DEFAULT_END_TIME_MS: u64 = 24 * drainsim_core::time::HOUR_MS;

impl Scenario {
    /// The run's simulated-time bound: `endTimeMs`, else [`DEFAULT_END_TIME_MS`].
    pub fn end_time_or_default_ms(&self) -> u64 {
        self.end_time_ms.unwrap_or(DEFAULT_END_TIME_MS)
    }

    /// The capacity provider (from `capacityProviders`) of an Auto Scaling group, when the
    /// scenario associates it with the group's cluster (`clusterCapacityProviders`): the
    /// `capacityProviderName` its instances register with.
    pub fn asg_capacity_provider_name(&self, asg: &AutoScalingGroupSpec) -> Option<&str> {
        let provider = self
            .capacity_providers
            .iter()
            .find(|c| c.auto_scaling_group_provider.group_name() == asg.auto_scaling_group_name)
            .map(|c| c.name.as_str());
        let cluster = asg.cluster.as_deref().unwrap_or("default");
        provider.filter(|p| {
            self.cluster_capacity_providers
                .iter()
                .rev()
                .find(|put| put.cluster == cluster)
                .is_some_and(|put| put.capacity_providers.iter().any(|c| c == p))
        })
    }

    /// Members of an Auto Scaling group, each given the group's capacity provider when the
    /// scenario associates that provider with the member's cluster (`clusterCapacityProviders`):
    /// ECS names an instance's provider after its group's, in a cluster that has the provider.
    pub fn asg_members_with_provider(&self, asg: &AutoScalingGroupSpec, members: Vec<InstanceGroup>) -> Vec<InstanceGroup> {
        let associated = self.asg_capacity_provider_name(asg);
        members
            .into_iter()
            .map(|mut m| {
                if m.capacity_provider_name.is_none() {
                    m.capacity_provider_name = associated.map(str::to_string);
                }
                m
            })
            .collect()
    }
}

/// A group of alike instances; a group `web` of count 3 is `web-1`, `web-2`, `web-3` (a group of
/// count 1 is just `web`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceGroup {
    /// The group's name; its members are named after it.
    pub name: String,
    /// How many instances (1 to [`MAX_INSTANCES`], default 1).
    #[serde(default = "default_count", deserialize_with = "bounded_count")]
    pub count: u32,
    /// The cluster they register in (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The EC2 instance type (it decides the task ENI limit).
    pub instance_type: String,
    /// One zone, or several to deal the instances round-robin (left out: `us-east-1a`; an empty
    /// list is refused).
    #[serde(default, deserialize_with = "some_zones", skip_serializing_if = "Vec::is_empty")]
    pub availability_zones: Vec<String>,
    /// CPU units (1,024 per vCPU).
    pub cpu: i64,
    /// Memory in MiB.
    pub memory: i64,
    /// GPUs each instance registers (its agent's `ECS_ENABLE_GPU_SUPPORT`: they go to ECS as
    /// `platformDevices`, with IDs `GPU-<instance name>-<n>`); default 0.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub gpus: u32,
    /// Host ports the agent reserves (default 22, 2375, 2376, 51678, 51679).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_ports: Option<Vec<u16>>,
    /// Custom attributes registered with each instance.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Tags registered with each instance.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The IAM role the instance registers as (settings such as awsvpcTrunking resolve for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_role: Option<String>,
    /// The container agent's version (default [`drainsim_core::CURRENT_AGENT_VERSION`], today's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// Task ENI limit for an instance type missing from the built-in table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_eni_limit: Option<u16>,
    /// The EC2 instance ID (a group of one; default: derived from the seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_id: Option<String>,
    /// The container instance ID to keep (a group of one; default: derived from the seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance_id: Option<String>,
    /// `DRAINING` to start drained (set by UpdateContainerInstancesState during the setup, after
    /// `runningTasks`); default `ACTIVE`. Only for groups registered at time 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the group registers, in ms from time 0 (default 0): during the run when positive (the
    /// runner registers it then); when negative, before the run — the instances are there at time
    /// 0, and only their `registeredAt` (describe responses, the cluster query language) says how
    /// long ago they registered. `drainsim import` takes it from ECS's `registeredAt`.
    #[serde(default, deserialize_with = "bounded_signed_time", skip_serializing_if = "is_zero_i64")]
    pub register_at_ms: i64,
    /// When EC2 launched the instances (EC2's `LaunchTime`), in ms from time 0: negative for an
    /// instance launched before the run; at most `registerAtMs`, when they register, which is the
    /// default. What Auto Scaling's `OldestInstance`, `NewestInstance` and
    /// `ClosestToNextInstanceHour` termination policies read of a member of time 0;
    /// `drainsim import` takes it from `aws ec2 describe-instances`.
    #[serde(default, deserialize_with = "bounded_signed_time_opt", skip_serializing_if = "Option::is_none")]
    pub launched_at_ms: Option<i64>,
    /// The instances are Spot Instances (default: On-Demand): EC2 may interrupt them
    /// (docs/rollouts.md#spot-interruptions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<SpotSpec>,
    /// The container agent's configuration on each instance, as its `/etc/ecs/ecs.config` sets it
    /// (`agentConfig: (ECS_CONTAINER_STOP_TIMEOUT: "5s")`; default: none set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_config: Option<api::AgentConfig>,
    /// The capacity provider of the Auto Scaling group the instances belong to
    /// (`capacityProviderName`; one of their cluster's `clusterCapacityProviders`). Members of a
    /// scenario's `autoScalingGroups` get their group's provider without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
}

/// What a Spot Instance's agent is configured with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpotSpec {
    /// Spot Instance draining in the agent's configuration (`ECS_ENABLE_SPOT_INSTANCE_DRAINING=true`;
    /// default `false`, as the agent's): ECS sets the instance DRAINING on its interruption notice.
    #[serde(default)]
    pub spot_instance_draining: bool,
}

impl InstanceGroup {
    /// The Availability Zone of its member `index` (from 0): its zones dealt round-robin,
    /// `us-east-1a` when it names none.
    pub fn zone_of(&self, index: u32) -> String {
        if self.availability_zones.is_empty() {
            "us-east-1a".to_string()
        } else {
            self.availability_zones[index as usize % self.availability_zones.len()].clone()
        }
    }

    /// A group of one instance registered at time 0, with no optional field set.
    pub fn new(name: &str, instance_type: &str, cpu: i64, memory: i64) -> Self {
        InstanceGroup {
            name: name.to_string(),
            count: 1,
            cluster: None,
            instance_type: instance_type.to_string(),
            availability_zones: vec![],
            cpu,
            memory,
            gpus: 0,
            reserved_ports: None,
            attributes: BTreeMap::new(),
            tags: BTreeMap::new(),
            instance_role: None,
            agent_version: None,
            task_eni_limit: None,
            ec2_instance_id: None,
            container_instance_id: None,
            capacity_provider_name: None,
            status: None,
            register_at_ms: 0,
            launched_at_ms: None,
            spot: None,
            agent_config: None,
        }
    }

    /// When EC2 launched its instances, in ms from time 0: `launchedAtMs`, else when they register.
    pub fn launch_time_ms(&self) -> i64 {
        self.launched_at_ms.unwrap_or(self.register_at_ms)
    }

    /// Whether its instances are there at time 0 (`registerAtMs` 0, or negative: registered before
    /// the run), registered by the setup; else the runner registers them during the run.
    pub fn at_time_zero(&self) -> bool {
        self.register_at_ms <= 0
    }

    /// When the runner registers its instances: `registerAtMs`, or 0 for instances of time 0.
    pub fn registers_at_ms(&self) -> u64 {
        u64::try_from(self.register_at_ms).unwrap_or(0)
    }
}

/// A time in ms from time 0 that may be negative (before the run): at most [`MAX_TIME_MS`] either
/// way.
fn bounded_signed_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    signed_time_in_range(i64::deserialize(d)?)
}

/// [`bounded_signed_time`], optional.
fn bounded_signed_time_opt<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<i64>::deserialize(d)?.map(signed_time_in_range).transpose()
}

fn signed_time_in_range<E: serde::de::Error>(ms: i64) -> Result<i64, E> {
    if ms.unsigned_abs() > MAX_TIME_MS {
        return Err(E::custom(format!("{ms} ms is out of range: times from time 0 are at most {MAX_TIME_MS} ms either way")));
    }
    Ok(ms)
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Tasks that already run on an instance when the simulation starts (`runningTasks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunningTasks {
    /// The instance (a name registered at time 0).
    pub instance: String,
    /// The task definition (`family:revision` or `family`).
    pub task_definition: String,
    /// The service they belong to; none for standalone tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A standalone task's group (default `family:FAMILY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `startedBy` of standalone tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// Standalone tasks' `overrides`: the task-level `cpu` and `memory` their RunTask gave them
    /// instead of their task definition's, as a `RunTask` step's (`(cpu: "1024", memory: "3072")`);
    /// a service's tasks have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<api::TaskOverride>,
    /// How many such tasks (1 to 10,000, default 1).
    #[serde(default = "default_count", skip_serializing_if = "is_one")]
    pub count: u32,
    /// Whether they count as healthy (default true; false for tasks ECS reports UNHEALTHY).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub healthy: bool,
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

/// Fault injection of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultsSpec {
    /// Chance, per thousand, that an instance's trunk ENI provisioning fails.
    #[serde(default)]
    pub trunk_provisioning_failure_per_mille: u32,
    /// Extra latency of every ENI attachment.
    #[serde(default, deserialize_with = "bounded_time")]
    pub eni_attach_latency_ms: u64,
    /// Chance, per thousand, that a task fails to start.
    #[serde(default)]
    pub task_start_failure_per_mille: u32,
    /// Random agent disconnects per instance per hour (each reconnects 10–120 s later).
    #[serde(default)]
    pub agent_disconnects_per_hour: u32,
    /// Chance, per thousand, that a Spot Instance is interrupted within an hour: drawn for each
    /// Spot Instance at the start of each hour, the moment within it (one launched within an hour
    /// is drawn for the rest of it).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub spot_interruption_per_mille_per_hour: u32,
    /// How long before each drawn interruption's notice EC2 gives the Spot Instance its rebalance
    /// recommendation (default 0: with the notice); only with `spotInterruptionPerMillePerHour`.
    #[serde(default, deserialize_with = "bounded_time", skip_serializing_if = "is_zero")]
    pub spot_rebalance_recommendation_lead_ms: u64,
    /// Chance, per thousand, that a Spot Instance without a signal gets a rebalance recommendation
    /// no interruption follows within an hour, drawn for each as the interruptions are.
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub spot_rebalance_recommendation_per_mille_per_hour: u32,
    /// Instances whose trunk provisioning fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trunk_failures: Vec<String>,
    /// A cluster query: tasks on the instances it selects fail their health checks
    /// (`Engine::fail_health_checks_on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_health_checks: Option<String>,
    /// Faults at fixed times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<PinnedFaultSpec>,
}

/// A fault class the explorer may inject (docs/explore.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ExploreFault {
    /// A placed task fails to start.
    TaskStartFailure,
    /// A RUNNING task's essential container exits.
    TaskExit,
    /// An agent disconnects, and reconnects 60 s later.
    AgentDisconnect,
    /// A trunk ENI fails to provision.
    TrunkFailure,
    /// A request to drain an ACTIVE instance arrives.
    DrainRequest,
    /// A request to activate a DRAINING instance arrives.
    ActivateRequest,
    /// A healthy task's health checks fail.
    HealthCheckFailure,
}

impl ExploreFault {
    /// Every class, in the order of the enum.
    pub const ALL: [ExploreFault; 7] = [
        ExploreFault::TaskStartFailure,
        ExploreFault::TaskExit,
        ExploreFault::AgentDisconnect,
        ExploreFault::TrunkFailure,
        ExploreFault::DrainRequest,
        ExploreFault::ActivateRequest,
        ExploreFault::HealthCheckFailure,
    ];

    /// The class's name as the scenario format and `--faults` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExploreFault::TaskStartFailure => "TaskStartFailure",
            ExploreFault::TaskExit => "TaskExit",
            ExploreFault::AgentDisconnect => "AgentDisconnect",
            ExploreFault::TrunkFailure => "TrunkFailure",
            ExploreFault::DrainRequest => "DrainRequest",
            ExploreFault::ActivateRequest => "ActivateRequest",
            ExploreFault::HealthCheckFailure => "HealthCheckFailure",
        }
    }
}

/// The most faults one explored path may take.
pub const MAX_EXPLORE_FAULTS: u32 = 8;
/// The most pinned choices a scenario may carry.
pub const MAX_PINNED_CHOICES: usize = 100_000;
/// The most instances a scenario with an `explore` section, or explored, may declare (its instance
/// groups and Auto Scaling groups). Under a script of choices every injection point lists the
/// cluster's instances, and setup registers them an instant each, so setup alone grows with the
/// square of the count (100,000 instances took a minute); and each state of an exploration is an
/// engine of a quarter of a kilobyte per instance, which a `random` placement multiplies by the
/// instances that fit. Exploring thousands of instances is out of reach anyway.
pub const MAX_EXPLORED_INSTANCES: u64 = 10_000;

/// The instances a scenario declares: its instance groups' counts and its Auto Scaling groups'
/// desired capacities.
pub fn declared_instances(s: &Scenario) -> u64 {
    let groups: u64 = s.instances.iter().map(|g| u64::from(g.count)).sum();
    let asgs: u64 = s.auto_scaling_groups.iter().map(|g| u64::from(g.desired_capacity)).sum();
    groups.saturating_add(asgs)
}

/// Why a scenario is too big to explore (or to run under an `explore` section), if it is: it
/// declares more than [`MAX_EXPLORED_INSTANCES`].
pub fn too_big_to_explore(s: &Scenario) -> Option<String> {
    let declared = declared_instances(s);
    (declared > MAX_EXPLORED_INSTANCES).then(|| {
        format!(
            "explore takes at most {MAX_EXPLORED_INSTANCES} instances; this scenario declares {declared} (explore is for small clusters: docs/explore.md#bounds)"
        )
    })
}

fn default_one_u32() -> u32 {
    1
}

fn default_one_u8() -> u8 {
    1
}

/// Exhaustive exploration settings, and the pinned choices of a counterexample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExploreSpec {
    /// The fault classes the explorer may inject (none by default; `--faults` replaces them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<ExploreFault>,
    /// How many faults one path may take in all (default 1, at most [`MAX_EXPLORE_FAULTS`]).
    #[serde(default = "default_one_u32")]
    pub max_faults: u32,
    /// How many values a jittered duration takes: 1 nominal (default), 2 shortest and longest,
    /// 3 all three.
    #[serde(default = "default_one_u8")]
    pub jitter_values: u8,
    /// The choices of one path, in the order its choice points came (a counterexample written by
    /// `drainsim explore`); past the last one every choice is 0 (no fault, the shortest jitter,
    /// the first candidate). At most [`MAX_PINNED_CHOICES`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<u32>,
}

impl ExploreSpec {
    /// The engine's script configuration of these settings.
    pub fn engine_choices(&self) -> drainsim_core::ExploreChoices {
        let on = |f: ExploreFault| self.faults.contains(&f);
        drainsim_core::ExploreChoices {
            faults: drainsim_core::InjectableFaults {
                task_start_failure: on(ExploreFault::TaskStartFailure),
                task_exit: on(ExploreFault::TaskExit),
                agent_disconnect: on(ExploreFault::AgentDisconnect),
                trunk_failure: on(ExploreFault::TrunkFailure),
                drain_request: on(ExploreFault::DrainRequest),
                activate_request: on(ExploreFault::ActivateRequest),
                health_check_failure: on(ExploreFault::HealthCheckFailure),
            },
            max_faults: self.max_faults,
            jitter_values: self.jitter_values,
        }
    }
}

/// A fault at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PinnedFaultSpec {
    /// When the fault happens.
    #[serde(deserialize_with = "bounded_time")]
    pub at_ms: u64,
    /// What happens.
    pub fault: PinnedFaultKind,
}

/// A fault pinned to a time: on an instance named in the scenario (registered at time 0), or on
/// the health checks of the instances a cluster query selects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PinnedFaultKind {
    /// The instance's agent disconnects.
    AgentDisconnect(String),
    /// The instance's agent reconnects.
    AgentReconnect(String),
    /// The next agent update of the instance fails when it would reach the stage.
    AgentUpdateFailure(String, String),
    /// EC2 interrupts the Spot Instance: (instance, `terminate` or `hibernate`).
    SpotInterruption(String, String),
    /// EC2 gives the Spot Instance a rebalance recommendation (an Auto Scaling group with
    /// `CapacityRebalance` replaces it; ECS does nothing).
    SpotRebalanceRecommendation(String),
    /// From then on, tasks on the instances the cluster query selects fail their health checks
    /// (as `failingHealthChecks`, which it replaces; healthy tasks there turn UNHEALTHY at their
    /// unhealthy threshold).
    HealthChecksFail(String),
    /// From then on, health checks pass again.
    HealthChecksPass,
}

impl PinnedFaultKind {
    /// The instance the fault names, if it names one.
    pub fn instance(&self) -> Option<&String> {
        match self {
            PinnedFaultKind::AgentDisconnect(n)
            | PinnedFaultKind::AgentReconnect(n)
            | PinnedFaultKind::AgentUpdateFailure(n, _)
            | PinnedFaultKind::SpotInterruption(n, _)
            | PinnedFaultKind::SpotRebalanceRecommendation(n) => Some(n),
            PinnedFaultKind::HealthChecksFail(_) | PinnedFaultKind::HealthChecksPass => None,
        }
    }
}

/// One step of the script.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// Simulated time of the step (default: right after the previous one).
    #[serde(default, deserialize_with = "bounded_time_opt", skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// The principal the request runs as (default: the account's root user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    /// What the step does (`do:` in a file).
    #[serde(rename = "do")]
    pub action: Action,
    /// What the step's result must be (default: `Success`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<StepExpect>,
}

/// What a step does: one ECS operation, or a step of a drain plan.
///
/// In a file an ECS operation is written as its request under the operation's name
/// (`RegisterContainerInstance((...))`), exactly as [`api::Request`] reads it; the plan steps are
/// written the same way (`DrainInstances((...))`, `Advance`). The ECS operations are not listed
/// here: any operation `api::Request` knows is an action.
// A scenario holds a handful of steps, read once; boxing the request would only make every match
// on an ECS call dereference it.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// One ECS operation (instance references may be logical names; the runner resolves them).
    Ecs(api::Request),
    /// Sets instances (names or group names) to DRAINING, at most `waveSize` (≤ 10) per call.
    DrainInstances(DrainPlan),
    /// Sets instances back to ACTIVE, 10 per call.
    ActivateInstances(DrainPlan),
    /// Runs until every listed instance's drain is complete, or `timeoutMs` passes.
    WaitForDrain(WaitSpec),
    /// Deregisters instances (names or group names).
    DeregisterInstances(DeregisterPlan),
    /// Stops the tasks on an instance with StopTask calls (standalone ones only, or all), the way an
    /// operator finishes a drain that standalone tasks hold open. Task IDs are seed-derived, so
    /// scenarios name the instance instead.
    StopTasksOn(StopTasksPlan),
    /// Only moves the clock to the step's time.
    Advance,
    /// Runs until nothing but background retries is pending.
    RunUntilQuiet,
    /// Checks expectations at this moment.
    Check(Vec<Expectation>),
    /// Drains, waits for and deregisters the selected instances wave by wave: each wave's drains
    /// complete (and its instances are deregistered) before the next wave starts.
    RolloutInstances(RolloutPlan),
    /// Auto Scaling's StartInstanceRefresh on a group of `autoScalingGroups`; the step runs the
    /// refresh until it ends.
    StartInstanceRefresh(StartInstanceRefreshSpec),
    /// Auto Scaling's SetDesiredCapacity on a group of `autoScalingGroups`: the group launches or
    /// terminates instances (through its termination path) until it holds the new capacity, or
    /// only instances protected from scale in are left above it.
    SetDesiredCapacity(SetDesiredCapacitySpec),
    /// Auto Scaling's TerminateInstanceInAutoScalingGroup on a member of a group of
    /// `autoScalingGroups`: the group begins to terminate it (through its termination path) and,
    /// unless the desired capacity is decremented, launches a replacement; the step returns at
    /// once and the group goes on between steps.
    TerminateInstanceInAutoScalingGroup(TerminateInstanceSpec),
    /// Auto Scaling's SetInstanceProtection: members of a group of `autoScalingGroups` are
    /// protected from scale in, or no longer; the step returns at once.
    SetInstanceProtection(SetInstanceProtectionSpec),
}

/// The names of the plan steps, in the order of [`Action`]'s variants.
pub const PLAN_STEPS: [&str; 13] = [
    "DrainInstances",
    "ActivateInstances",
    "WaitForDrain",
    "DeregisterInstances",
    "StopTasksOn",
    "Advance",
    "RunUntilQuiet",
    "Check",
    "RolloutInstances",
    "StartInstanceRefresh",
    "SetDesiredCapacity",
    "TerminateInstanceInAutoScalingGroup",
    "SetInstanceProtection",
];

impl Action {
    /// The action's name as a file spells it: the ECS operation's name ([`api::Request::operation`])
    /// or the plan step's.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Ecs(r) => r.operation(),
            Action::DrainInstances(_) => PLAN_STEPS[0],
            Action::ActivateInstances(_) => PLAN_STEPS[1],
            Action::WaitForDrain(_) => PLAN_STEPS[2],
            Action::DeregisterInstances(_) => PLAN_STEPS[3],
            Action::StopTasksOn(_) => PLAN_STEPS[4],
            Action::Advance => PLAN_STEPS[5],
            Action::RunUntilQuiet => PLAN_STEPS[6],
            Action::Check(_) => PLAN_STEPS[7],
            Action::RolloutInstances(_) => PLAN_STEPS[8],
            Action::StartInstanceRefresh(_) => PLAN_STEPS[9],
            Action::SetDesiredCapacity(_) => PLAN_STEPS[10],
            Action::TerminateInstanceInAutoScalingGroup(_) => PLAN_STEPS[11],
            Action::SetInstanceProtection(_) => PLAN_STEPS[12],
        }
    }

    /// Every action name a file may use: the ECS operations [`api::Request`] reads, then
    /// [`PLAN_STEPS`].
    pub fn names() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| action_serde::ecs_operations().iter().chain(PLAN_STEPS.iter()).copied().collect())
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = |name: &str| Action::names().iter().position(|n| *n == name).unwrap_or(0) as u32;
        let name = self.name();
        match self {
            Action::Ecs(r) => r.serialize(s),
            Action::DrainInstances(p) | Action::ActivateInstances(p) => {
                s.serialize_newtype_variant("Action", index(name), name, p)
            }
            Action::WaitForDrain(w) => s.serialize_newtype_variant("Action", index(name), name, w),
            Action::DeregisterInstances(p) => s.serialize_newtype_variant("Action", index(name), name, p),
            Action::StopTasksOn(p) => s.serialize_newtype_variant("Action", index(name), name, p),
            Action::Advance | Action::RunUntilQuiet => s.serialize_unit_variant("Action", index(name), name),
            Action::Check(list) => s.serialize_newtype_variant("Action", index(name), name, list),
            Action::RolloutInstances(p) => s.serialize_newtype_variant("Action", index(name), name, p),
            Action::StartInstanceRefresh(r) => s.serialize_newtype_variant("Action", index(name), name, r),
            Action::SetDesiredCapacity(r) => s.serialize_newtype_variant("Action", index(name), name, r),
            Action::TerminateInstanceInAutoScalingGroup(r) => s.serialize_newtype_variant("Action", index(name), name, r),
            Action::SetInstanceProtection(r) => s.serialize_newtype_variant("Action", index(name), name, r),
        }
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_enum("Action", Action::names(), action_serde::ActionVisitor)
    }
}

/// The hand-written half of [`Action`]'s serde: the variant name decides between an ECS request
/// (handed back to [`api::Request`]'s own `Deserialize`) and a plan step.
mod action_serde {
    use std::fmt;

    use drainsim_core::api;
    use serde::de::{self, DeserializeSeed, EnumAccess, IntoDeserializer, VariantAccess, Visitor};
    use serde::{Deserialize, Deserializer};

    use super::{Action, PLAN_STEPS};

    /// The operation names [`api::Request`]'s derived `Deserialize` accepts, asked from the derive
    /// itself: it hands its variant list to `deserialize_enum`, which this probe keeps.
    pub(super) fn ecs_operations() -> &'static [&'static str] {
        #[derive(Debug)]
        struct Probe(Option<&'static [&'static str]>);
        impl fmt::Display for Probe {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("variant probe")
            }
        }
        impl std::error::Error for Probe {}
        impl de::Error for Probe {
            fn custom<T: fmt::Display>(_: T) -> Self {
                Probe(None)
            }
        }
        struct Variants;
        impl<'de> Deserializer<'de> for Variants {
            type Error = Probe;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probe> {
                Err(Probe(None))
            }
            fn deserialize_enum<V: Visitor<'de>>(
                self,
                _: &'static str,
                variants: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Probe> {
                Err(Probe(Some(variants)))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
                unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
            }
        }
        match api::Request::deserialize(Variants) {
            Err(Probe(Some(variants))) => variants,
            _ => unreachable!("api::Request is an externally tagged enum"),
        }
    }

    /// Reads a variant name, refusing one that is neither an ECS operation nor a plan step.
    struct Name;

    impl<'de> DeserializeSeed<'de> for Name {
        type Value = String;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
            d.deserialize_identifier(self)
        }
    }

    impl Visitor<'_> for Name {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an action name")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            if Action::names().contains(&v) {
                Ok(v.to_string())
            } else {
                Err(E::unknown_variant(v, Action::names()))
            }
        }
    }

    /// An enum whose variant name was already read: hands `name` and the rest of the input to a
    /// derived `Deserialize` as if it read them itself (error positions stay those of the input).
    struct Replay<A> {
        name: String,
        access: A,
    }

    impl<'de, A: VariantAccess<'de>> Deserializer<'de> for Replay<A> {
        type Error = A::Error;
        fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, A::Error> {
            v.visit_enum(self)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
        }
    }

    impl<'de, A: VariantAccess<'de>> EnumAccess<'de> for Replay<A> {
        type Error = A::Error;
        type Variant = A;
        fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, A), A::Error> {
            let value = seed.deserialize(self.name.into_deserializer())?;
            Ok((value, self.access))
        }
    }

    pub(super) struct ActionVisitor;

    impl<'de> Visitor<'de> for ActionVisitor {
        type Value = Action;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an ECS operation or a plan step")
        }
        fn visit_enum<E: EnumAccess<'de>>(self, data: E) -> Result<Action, E::Error> {
            let (name, v) = data.variant_seed(Name)?;
            Ok(match PLAN_STEPS.iter().position(|p| *p == name) {
                Some(0) => Action::DrainInstances(v.newtype_variant()?),
                Some(1) => Action::ActivateInstances(v.newtype_variant()?),
                Some(2) => Action::WaitForDrain(v.newtype_variant()?),
                Some(3) => Action::DeregisterInstances(v.newtype_variant()?),
                Some(4) => Action::StopTasksOn(v.newtype_variant()?),
                Some(5) => {
                    v.unit_variant()?;
                    Action::Advance
                }
                Some(6) => {
                    v.unit_variant()?;
                    Action::RunUntilQuiet
                }
                Some(7) => Action::Check(v.newtype_variant()?),
                Some(8) => Action::RolloutInstances(v.newtype_variant()?),
                Some(9) => Action::StartInstanceRefresh(v.newtype_variant()?),
                Some(10) => Action::SetDesiredCapacity(v.newtype_variant()?),
                Some(11) => Action::TerminateInstanceInAutoScalingGroup(v.newtype_variant()?),
                Some(12) => Action::SetInstanceProtection(v.newtype_variant()?),
                _ => Action::Ecs(api::Request::deserialize(Replay { name, access: v })?),
            })
        }
    }
}

/// Instances to set DRAINING or ACTIVE, in waves of UpdateContainerInstancesState calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DrainPlan {
    /// The cluster of the instances (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Instance names or group names (a group stands for its members); or give `filter`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Instead of `instances`: the instances of the cluster this cluster query language expression
    /// selects when the step runs (ListContainerInstances' `filter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// With `filter`: ListContainerInstances' `status` (default: every status but INACTIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Instances per call (1 to 10, default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_size: Option<u32>,
}

/// Instances to wait for, and how long at most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WaitSpec {
    /// With `filter`: the instances' cluster (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Instance names or group names whose drains must complete; or give `filter`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Instead of `instances`: the instances this cluster query language expression selects when
    /// the step starts (ListContainerInstances' `filter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// With `filter`: ListContainerInstances' `status` (default: every status but INACTIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// How long to wait at most (the step then times out).
    #[serde(deserialize_with = "bounded_time")]
    pub timeout_ms: u64,
}

/// The most instances one `RolloutInstances` wave may be given with `waveSize` (the scenario's
/// instance bound).
pub const MAX_WAVE_SIZE: u32 = MAX_INSTANCES as u32;

/// A rollout: the selected instances drained, waited for and deregistered in waves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutPlan {
    /// The instances' cluster (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Instance names or group names; or give `filter`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Instead of `instances`: the instances this cluster query language expression selects when
    /// the step starts (ListContainerInstances' `filter`); evaluated once, so the waves split one
    /// selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// With `filter`: ListContainerInstances' `status` (default: every status but INACTIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Instances per wave (1 to [`MAX_WAVE_SIZE`]); give this or `wavePercent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_size: Option<u32>,
    /// Instances per wave as a percentage of the selection (1 to 100), rounded up, at least one
    /// instance; give this or `waveSize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wave_percent: Option<u32>,
    /// How long each wave's drains may take; past it the step times out and no later wave starts.
    #[serde(deserialize_with = "bounded_time")]
    pub timeout_ms: u64,
    /// Deregister each wave's instances once their drains are complete (default `true`).
    #[serde(default = "default_true")]
    pub deregister: bool,
}

impl RolloutPlan {
    /// Instances per wave for a selection of `selected` instances: `waveSize`, or `wavePercent`
    /// of the selection rounded up; at least one. `None` when the plan gives neither.
    pub fn instances_per_wave(&self, selected: usize) -> Option<usize> {
        match (self.wave_size, self.wave_percent) {
            (Some(n), _) => Some((n as usize).max(1)),
            (None, Some(p)) => {
                let scaled = selected.checked_mul(p as usize)?;
                Some(scaled.div_ceil(100).max(1))
            }
            (None, None) => None,
        }
    }
}

/// The most instances an Auto Scaling group may hold (`MaxSize`).
pub const MAX_GROUP_SIZE: u32 = 10_000;

/// The heartbeat timeout of a lifecycle hook when none is given, in seconds (the API's default).
pub const DEFAULT_HEARTBEAT_TIMEOUT_S: u32 = 3600;

/// An EC2 Auto Scaling group. Members the Auto Scaling API spells are spelled as it does
/// (`AutoScalingGroupName`, `MinSize`, …); the drainsim extensions — what an instance it launches
/// registers with ECS and how long that takes — are camelCase. Its members are named
/// `<AutoScalingGroupName>-<n>`, numbered in launch order from 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoScalingGroupSpec {
    /// The group's name.
    #[serde(rename = "AutoScalingGroupName")]
    pub auto_scaling_group_name: String,
    /// The fewest instances the group may hold.
    #[serde(rename = "MinSize")]
    pub min_size: u32,
    /// The most instances the group may hold (at most [`MAX_GROUP_SIZE`]).
    #[serde(rename = "MaxSize")]
    pub max_size: u32,
    /// The instances the group holds at time 0 (they register with the instance groups).
    #[serde(rename = "DesiredCapacity")]
    pub desired_capacity: u32,
    /// The zones it launches into, balanced (left out: `us-east-1a`; an empty list is refused, as
    /// Auto Scaling needs at least one zone or subnet).
    #[serde(rename = "AvailabilityZones", default, deserialize_with = "some_zones", skip_serializing_if = "Vec::is_empty")]
    pub availability_zones: Vec<String>,
    /// The launch template and the version the group launches.
    #[serde(rename = "LaunchTemplate")]
    pub launch_template: LaunchTemplateSpec,
    /// Seconds after an instance enters InService before it counts as healthy when a refresh gives
    /// no `InstanceWarmup` (default 0).
    #[serde(rename = "HealthCheckGracePeriod", default, skip_serializing_if = "is_zero_u32")]
    pub health_check_grace_period: u32,
    /// Its lifecycle hooks; drainsim models one with `LifecycleTransition`
    /// `autoscaling:EC2_INSTANCE_TERMINATING`.
    #[serde(rename = "LifecycleHooks", default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle_hooks: Vec<LifecycleHookSpec>,
    /// drainsim: the cluster its instances register in (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// drainsim: the instance type it launches.
    #[serde(rename = "instanceType")]
    pub instance_type: String,
    /// drainsim: CPU units each instance registers.
    pub cpu: i64,
    /// drainsim: memory (MiB) each instance registers.
    pub memory: i64,
    /// drainsim: GPUs each instance registers, as in [`InstanceGroup::gpus`] (default 0).
    #[serde(default, skip_serializing_if = "is_zero_u32")]
    pub gpus: u32,
    /// drainsim: the container agent version of its instances (default
    /// [`drainsim_core::CURRENT_AGENT_VERSION`]).
    #[serde(rename = "agentVersion", default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// drainsim: the container agent's configuration on its instances (the launch template's
    /// user data writes it to `/etc/ecs/ecs.config`), as in [`InstanceGroup::agent_config`].
    #[serde(rename = "agentConfig", default, skip_serializing_if = "Option::is_none")]
    pub agent_config: Option<api::AgentConfig>,
    /// drainsim: attributes each instance it launches registers beside `ecs.ami-id` (custom ones,
    /// as the launch template's user data sets them with `ECS_INSTANCE_ATTRIBUTES`, or built-in ones
    /// drainsim cannot know, such as `ecs.vpc-id`), as in [`InstanceGroup::attributes`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// drainsim: the AMI of each launch template version; an instance registers it as the
    /// attribute `ecs.ami-id`. A key is a `Version` of the group's own `LaunchTemplate`, or
    /// `LaunchTemplateName:Version` for any template (a refresh to another template); every
    /// template and version a refresh or the group names must be here ([`Self::image_id`]).
    #[serde(rename = "imageIds")]
    pub image_ids: BTreeMap<String, String>,
    /// drainsim: from launch to RegisterContainerInstance (default 60 s); the instance is Pending
    /// until then and InService from then on.
    #[serde(rename = "launchToRegisterMs", default = "default_launch_ms", deserialize_with = "bounded_time")]
    pub launch_to_register_ms: u64,
    /// drainsim: the instances of time 0 (by name) protected from scale in — the API's
    /// per-instance `ProtectedFromScaleIn`, as SetInstanceProtection would set it.
    #[serde(rename = "protectedInstances", default, skip_serializing_if = "Vec::is_empty")]
    pub protected_instances: Vec<String>,
    /// The group's `NewInstancesProtectedFromScaleIn` (default `false`): each instance it launches
    /// is protected from scale in ("the instance inherits the instance scale-in protection setting
    /// of the Auto Scaling group"). Required with the capacity provider's managed termination
    /// protection, which then decides each instance's protection itself (docs/rollouts.md).
    #[serde(rename = "NewInstancesProtectedFromScaleIn", default, skip_serializing_if = "is_false")]
    pub new_instances_protected_from_scale_in: bool,
    /// drainsim: the group launches Spot Instances (default: On-Demand), which EC2 may interrupt
    /// as it interrupts an instance group's (docs/rollouts.md#spot-interruptions). An instance EC2
    /// terminates leaves the group, which launches a replacement to keep its desired capacity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<SpotSpec>,
    /// How much of a Spot group's capacity is On-Demand (a `MixedInstancesPolicy`'s
    /// `InstancesDistribution`); only with `spot`. Without it a Spot group launches Spot
    /// Instances only.
    #[serde(rename = "InstancesDistribution", default, skip_serializing_if = "Option::is_none")]
    pub instances_distribution: Option<InstancesDistributionSpec>,
    /// Capacity Rebalancing (the API's `CapacityRebalance`, default `false`): the group replaces a
    /// Spot Instance EC2 signals at risk — a rebalance recommendation or an interruption notice —
    /// launching first and terminating it through its termination path
    /// (docs/rollouts.md#capacity-rebalancing); only with `spot`.
    #[serde(rename = "CapacityRebalance", default, skip_serializing_if = "is_false")]
    pub capacity_rebalance: bool,
    /// The group's instance maintenance policy (`InstanceMaintenancePolicy`): the healthy
    /// percentages a StartInstanceRefresh keeps when its preferences give none
    /// ([`Self::refresh_healthy_percentages`]).
    #[serde(rename = "InstanceMaintenancePolicy", default, skip_serializing_if = "Option::is_none")]
    pub instance_maintenance_policy: Option<InstanceMaintenancePolicySpec>,
    /// `DefaultInstanceWarmup` (seconds): a StartInstanceRefresh's `InstanceWarmup` when its
    /// preferences give none, ahead of `HealthCheckGracePeriod` ([`Self::refresh_warmup_s`]).
    #[serde(rename = "DefaultInstanceWarmup", default, skip_serializing_if = "Option::is_none")]
    pub default_instance_warmup: Option<u32>,
    /// `TerminationPolicies`: the order in which a scale-in chooses, within the zone it takes
    /// from, the instances to terminate (default `["Default"]`; [`TerminationPolicy`]).
    #[serde(rename = "TerminationPolicies", default, skip_serializing_if = "Vec::is_empty")]
    pub termination_policies: Vec<String>,
    /// `MaxInstanceLifetime` (seconds; 0 or absent: none, else at least 86,400): the group
    /// replaces a member in service that long (docs/rollouts.md#maximum-instance-lifetime;
    /// [`Self::max_instance_lifetime_ms`]).
    #[serde(rename = "MaxInstanceLifetime", default, skip_serializing_if = "Option::is_none")]
    pub max_instance_lifetime: Option<u32>,
    /// The group's members at time 0 when they are instances the scenario's `instances` declare
    /// (Auto Scaling's `Instances`; how `drainsim import` writes a captured group): then exactly
    /// `DesiredCapacity` of them, and the group registers none of its own at time 0. Without it
    /// the group registers `DesiredCapacity` instances `<AutoScalingGroupName>-1` … at time 0.
    #[serde(rename = "Instances", default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<AsgInstanceSpec>,
}

/// A member of an Auto Scaling group at time 0 that the scenario's `instances` declare (Auto
/// Scaling's [`Instance`](https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html),
/// the members drainsim models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsgInstanceSpec {
    /// The instance: the name of an instance of the scenario's `instances` registered at time 0
    /// (an imported instance is named by its EC2 instance ID).
    #[serde(rename = "InstanceId")]
    pub instance_id: String,
    /// The launch template and version it was launched from (default: the group's
    /// `LaunchTemplate`); a refresh with `SkipMatching` skips it when it is the one it asks for.
    #[serde(rename = "LaunchTemplate", default, skip_serializing_if = "Option::is_none")]
    pub launch_template: Option<LaunchTemplateSpec>,
    /// Protected from scale in (default `false`).
    #[serde(rename = "ProtectedFromScaleIn", default, skip_serializing_if = "is_false")]
    pub protected_from_scale_in: bool,
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// The most termination policies a group may list.
pub const MAX_TERMINATION_POLICIES: usize = 10;

/// A predefined termination policy of an Auto Scaling group
/// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-termination-policies.html>),
/// as drainsim applies it within the zone a scale-in takes from (the zones' balance comes first).
/// Each orders the members it can tell apart and leaves the others tied for the next policy; the
/// last tie is broken by launch order, oldest first (where Auto Scaling picks at random).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationPolicy {
    /// `Default`: `OldestLaunchTemplate`, then `ClosestToNextInstanceHour`.
    Default,
    /// `AllocationStrategy`: aligns the rest with the allocation strategy; drainsim models one
    /// instance type, so it tells no member apart.
    AllocationStrategy,
    /// `OldestLaunchTemplate`: members of another launch template than the group's current one
    /// first, then those of the oldest version of the current one.
    OldestLaunchTemplate,
    /// `OldestLaunchConfiguration`: drainsim's groups launch from launch templates only, so it
    /// tells no member apart.
    OldestLaunchConfiguration,
    /// `ClosestToNextInstanceHour`: the member closest to a whole hour since its launch (a member
    /// of time 0 counts as launched at time 0).
    ClosestToNextInstanceHour,
    /// `NewestInstance`: the member launched last first.
    NewestInstance,
    /// `OldestInstance`: the member launched first first.
    OldestInstance,
}

impl TerminationPolicy {
    /// Every predefined policy, as the API spells it.
    pub const ALL: [(&'static str, TerminationPolicy); 7] = [
        ("Default", TerminationPolicy::Default),
        ("AllocationStrategy", TerminationPolicy::AllocationStrategy),
        ("OldestLaunchTemplate", TerminationPolicy::OldestLaunchTemplate),
        ("OldestLaunchConfiguration", TerminationPolicy::OldestLaunchConfiguration),
        ("ClosestToNextInstanceHour", TerminationPolicy::ClosestToNextInstanceHour),
        ("NewestInstance", TerminationPolicy::NewestInstance),
        ("OldestInstance", TerminationPolicy::OldestInstance),
    ];

    /// The policy the API spells `text`, if it is a predefined one.
    pub fn parse(text: &str) -> Option<TerminationPolicy> {
        Self::ALL.iter().find(|(name, _)| *name == text).map(|(_, p)| *p)
    }
}

/// An Auto Scaling group's
/// [`InstanceMaintenancePolicy`](https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceMaintenancePolicy.html):
/// both percentages, as the API requires them together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceMaintenancePolicySpec {
    /// The fewest of the desired capacity kept in service and healthy while instances are
    /// replaced, in percent (0 to 100).
    #[serde(rename = "MinHealthyPercentage")]
    pub min_healthy_percentage: u32,
    /// The most of the desired capacity in service and healthy, or pending, while instances are
    /// replaced, in percent (100 to 200, at most 100 above the minimum).
    #[serde(rename = "MaxHealthyPercentage")]
    pub max_healthy_percentage: u32,
}

/// The share of a group's capacity that is On-Demand, the rest being Spot (Auto Scaling's
/// [`InstancesDistribution`](https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html)),
/// with the API's defaults. The allocation strategies are not modelled: every instance is of the
/// group's `instanceType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstancesDistributionSpec {
    /// The first instances of the group's capacity, On-Demand (default 0).
    #[serde(rename = "OnDemandBaseCapacity", default)]
    pub on_demand_base_capacity: u32,
    /// The percentage of the capacity beyond the base that is On-Demand, 0–100 (default 100, as
    /// the API's: only On-Demand).
    #[serde(rename = "OnDemandPercentageAboveBaseCapacity", default = "all_percent")]
    pub on_demand_percentage_above_base_capacity: u32,
}

fn all_percent() -> u32 {
    100
}

impl InstancesDistributionSpec {
    /// How many of `capacity` instances are On-Demand: the base, then the percentage of the rest,
    /// rounded up ("If the result creates a fractional number, Amazon EC2 Auto Scaling rounds up
    /// to the next integer in favor of On-Demand Instances",
    /// <https://github.com/awsdocs/amazon-ec2-auto-scaling-user-guide/blob/master/doc_source/ec2-auto-scaling-mixed-instances-groups.md>).
    pub fn on_demand_of(&self, capacity: u32) -> u32 {
        let base = capacity.min(self.on_demand_base_capacity);
        let above = u64::from(capacity - base) * u64::from(self.on_demand_percentage_above_base_capacity.min(100));
        base + u32::try_from(above.div_ceil(100)).expect("at most the capacity")
    }
}

fn default_launch_ms() -> u64 {
    60_000
}

fn is_zero_u32(v: &u32) -> bool {
    *v == 0
}

impl AutoScalingGroupSpec {
    /// The zone of the `n`-th instance launched (from 0) when no instance has gone yet.
    pub fn zone(&self, n: usize) -> String {
        if self.availability_zones.is_empty() {
            "us-east-1a".into()
        } else {
            self.availability_zones[n % self.availability_zones.len()].clone()
        }
    }

    /// The name of the `n`-th instance the group launches (from 1).
    pub fn member_name(&self, n: u32) -> String {
        format!("{}-{n}", self.auto_scaling_group_name)
    }

    /// Whether an instance of this name may be a member of the group some time in a run: one it
    /// adopts (`instances`), or one it launches ([`Self::member_name`]).
    pub fn may_hold(&self, instance_id: &str) -> bool {
        let launched = instance_id
            .strip_prefix(self.auto_scaling_group_name.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|n| n.parse::<u32>().ok().filter(|k| *k >= 1 && k.to_string() == n));
        launched.is_some() || self.instances.iter().any(|i| i.instance_id == instance_id)
    }

    /// The AMI of a launch template version: `imageIds` at `LaunchTemplateName:Version`, or for
    /// the group's own template at `Version` alone. (A template name has no `:`, so the two
    /// spellings never meet:
    /// <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html>.)
    pub fn image_id(&self, template: &LaunchTemplateSpec) -> Option<&String> {
        self.image_ids.get(&format!("{}:{}", template.launch_template_name, template.version)).or_else(|| {
            (template.launch_template_name == self.launch_template.launch_template_name)
                .then(|| self.image_ids.get(&template.version))
                .flatten()
        })
    }

    /// How many of `capacity` instances of the group are On-Demand: all in a group without `spot`,
    /// none in a Spot group without an `InstancesDistribution`, else as its distribution says.
    pub fn on_demand_of(&self, capacity: u32) -> u32 {
        match (&self.spot, &self.instances_distribution) {
            (None, _) => capacity,
            (Some(_), None) => 0,
            (Some(_), Some(d)) => d.on_demand_of(capacity),
        }
    }

    /// Whether the instance the group launches when `on_demand` of its `alive` instances (Pending
    /// or InService) are On-Demand is a Spot Instance: it is On-Demand while the On-Demand share of
    /// the capacity after the launch calls for one more.
    pub fn launches_spot(&self, on_demand: u32, alive: u32) -> bool {
        self.spot.is_some() && on_demand >= self.on_demand_of(alive.saturating_add(1))
    }

    /// The MinHealthyPercentage and MaxHealthyPercentage a StartInstanceRefresh of the group keeps:
    /// each from the refresh's preferences, else from the group's instance maintenance policy,
    /// else 90 and 100 — "If you do not specify this property, the default is 90 percent, or the
    /// percentage set in the instance maintenance policy for the Auto Scaling group, if defined"
    /// (100 percent for the maximum;
    /// <https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html>).
    pub fn refresh_healthy_percentages(&self, preferences: &RefreshPreferencesSpec) -> (u32, u32) {
        let policy = self.instance_maintenance_policy.as_ref();
        let min = preferences
            .min_healthy_percentage
            .or(policy.map(|p| p.min_healthy_percentage))
            .unwrap_or(DEFAULT_MIN_HEALTHY_PERCENTAGE);
        let max = preferences
            .max_healthy_percentage
            .or(policy.map(|p| p.max_healthy_percentage))
            .unwrap_or(DEFAULT_MAX_HEALTHY_PERCENTAGE);
        (min, max)
    }

    /// How long a member may be in service before the group replaces it (`MaxInstanceLifetime`),
    /// in ms; `None` when it has none (absent or 0).
    pub fn max_instance_lifetime_ms(&self) -> Option<u64> {
        self.max_instance_lifetime.filter(|s| *s > 0).map(|s| u64::from(s) * 1000)
    }

    /// When an instance launched at `launch_time_ms` (from time 0; negative before the run) has
    /// been in service for the group's `MaxInstanceLifetime` of `lifetime_ms`: the group replaces it
    /// from then on (at or before 0: from the start of the run).
    pub fn lifetime_ends_at_ms(launch_time_ms: i64, lifetime_ms: u64) -> i128 {
        i128::from(launch_time_ms) + i128::from(lifetime_ms)
    }

    /// Whether the group launches a member's replacement before it terminates the member (its
    /// `InstanceMaintenancePolicy`'s `MinHealthyPercentage` is 100: "launch before terminating"),
    /// rather than terminating it first and launching the replacement meanwhile, Auto Scaling's
    /// default (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-maintenance-policy.html>).
    pub fn launches_before_terminating(&self) -> bool {
        self.instance_maintenance_policy.as_ref().is_some_and(|p| p.min_healthy_percentage >= 100)
    }

    /// The group's termination policies in the order they apply, `Default` expanded to what it
    /// does (`OldestLaunchTemplate`, then `ClosestToNextInstanceHour`); no policy is `Default`.
    /// Names `load` did not check are left out.
    pub fn termination_order(&self) -> Vec<TerminationPolicy> {
        let names: Vec<&str> = if self.termination_policies.is_empty() {
            vec!["Default"]
        } else {
            self.termination_policies.iter().map(String::as_str).collect()
        };
        names
            .into_iter()
            .filter_map(TerminationPolicy::parse)
            .flat_map(|p| match p {
                TerminationPolicy::Default => {
                    vec![TerminationPolicy::OldestLaunchTemplate, TerminationPolicy::ClosestToNextInstanceHour]
                }
                other => vec![other],
            })
            .collect()
    }

    /// The warmup of a StartInstanceRefresh of the group, in seconds: the refresh's
    /// `InstanceWarmup`, else the group's `DefaultInstanceWarmup`, else its
    /// `HealthCheckGracePeriod` ("the instance warmup by default is the value of the
    /// DefaultInstanceWarmup property, if defined ..., or the HealthCheckGracePeriod property
    /// otherwise", the same page).
    pub fn refresh_warmup_s(&self, preferences: &RefreshPreferencesSpec) -> u32 {
        preferences.instance_warmup.or(self.default_instance_warmup).unwrap_or(self.health_check_grace_period)
    }

    /// An instance the group launches: named `name`, in `zone`, from launch template `template`,
    /// a Spot Instance when `spot` (with the group's Spot settings).
    pub fn member(&self, name: &str, zone: &str, template: &LaunchTemplateSpec, spot: bool) -> InstanceGroup {
        let mut g = InstanceGroup::new(name, &self.instance_type, self.cpu, self.memory);
        g.gpus = self.gpus;
        g.cluster = self.cluster.clone();
        g.availability_zones = vec![zone.to_string()];
        g.agent_version = self.agent_version.clone();
        g.agent_config = self.agent_config;
        g.spot = self.spot.clone().filter(|_| spot);
        g.attributes = self.attributes.clone();
        if let Some(ami) = self.image_id(template) {
            g.attributes.insert("ecs.ami-id".into(), ami.clone());
        }
        g
    }

    /// Whether its members at time 0 are instances the scenario's `instances` declare
    /// ([`Self::instances`]) rather than its own.
    pub fn adopts_instances(&self) -> bool {
        !self.instances.is_empty()
    }

    /// The names of its members at time 0: its `Instances`, else `<AutoScalingGroupName>-1` …
    /// `-DesiredCapacity`.
    pub fn initial_member_names(&self) -> Vec<String> {
        if self.adopts_instances() {
            self.instances.iter().map(|i| i.instance_id.clone()).collect()
        } else {
            (1..=self.desired_capacity).map(|n| self.member_name(n)).collect()
        }
    }

    /// The members of time 0 protected from scale in, by name: those whose
    /// `ProtectedFromScaleIn` is set, or for the group's own members `protectedInstances`.
    pub fn initially_protected(&self) -> std::collections::BTreeSet<&str> {
        if self.adopts_instances() {
            self.instances.iter().filter(|i| i.protected_from_scale_in).map(|i| i.instance_id.as_str()).collect()
        } else {
            self.protected_instances.iter().map(String::as_str).collect()
        }
    }

    /// The members the group registers itself at time 0: `DesiredCapacity` instances of the
    /// group's launch template version, dealt over its zones, launched one after another, each
    /// On-Demand or Spot as [`Self::launches_spot`] says (none when it adopts `Instances`).
    pub fn initial_members(&self) -> Vec<InstanceGroup> {
        if self.adopts_instances() {
            return Vec::new();
        }
        (0..self.desired_capacity)
            .map(|k| {
                let spot = self.launches_spot(self.on_demand_of(k), k);
                self.member(&self.member_name(k + 1), &self.zone(k as usize), &self.launch_template, spot)
            })
            .collect()
    }

    /// The termination lifecycle hook, if the group has one.
    pub fn termination_hook(&self) -> Option<&LifecycleHookSpec> {
        self.lifecycle_hooks.iter().find(|h| h.lifecycle_transition == TERMINATING_TRANSITION)
    }
}

/// The `LifecycleTransition` of a termination lifecycle hook.
pub const TERMINATING_TRANSITION: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// A launch template and version (Auto Scaling's `LaunchTemplateSpecification`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaunchTemplateSpec {
    /// The template's name.
    #[serde(rename = "LaunchTemplateName")]
    pub launch_template_name: String,
    /// The version (with the template's name, a key of the group's `imageIds`).
    #[serde(rename = "Version")]
    pub version: String,
}

/// A lifecycle hook (PutLifecycleHook's members), and what the operator's tooling does while an
/// instance waits in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifecycleHookSpec {
    /// The hook's name.
    #[serde(rename = "LifecycleHookName")]
    pub lifecycle_hook_name: String,
    /// `autoscaling:EC2_INSTANCE_TERMINATING` (the only transition drainsim models).
    #[serde(rename = "LifecycleTransition")]
    pub lifecycle_transition: String,
    /// Seconds an instance waits in `Terminating:Wait` without a heartbeat (30 to 7200, default 3600).
    #[serde(rename = "HeartbeatTimeout", default = "default_heartbeat")]
    pub heartbeat_timeout: u32,
    /// `CONTINUE` or `ABANDON` (default `ABANDON`): what happens when the hook times out; for a
    /// termination hook the instance is terminated either way, but `ABANDON` "stops any remaining
    /// actions, such as other lifecycle hooks" — ECS's managed-draining wait — while `CONTINUE`
    /// lets them complete (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html>).
    #[serde(rename = "DefaultResult", default = "default_result")]
    pub default_result: String,
    /// drainsim: the tooling sets the instance DRAINING when it enters `Terminating:Wait` and
    /// completes the lifecycle action (`CONTINUE`) once its drain is complete (default `true`).
    #[serde(rename = "drainOnTermination", default = "default_true")]
    pub drain_on_termination: bool,
    /// drainsim: the tooling records a heartbeat (RecordLifecycleActionHeartbeat) before each
    /// heartbeat timeout, so the wait lasts until the global timeout — the smaller of 48 hours
    /// and 100 × `HeartbeatTimeout` (default `false`).
    #[serde(rename = "recordHeartbeats", default)]
    pub record_heartbeats: bool,
}

fn default_heartbeat() -> u32 {
    DEFAULT_HEARTBEAT_TIMEOUT_S
}

fn default_result() -> String {
    "ABANDON".into()
}

/// PutLifecycleHook's `HeartbeatTimeout` range, in seconds
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html>).
pub(crate) const HEARTBEAT_TIMEOUT_S: std::ops::RangeInclusive<u32> = 30..=7200;

impl LifecycleHookSpec {
    /// What PutLifecycleHook refuses in the hook, its transition apart: the field and why (None
    /// when it takes it). `LifecycleHookName` is 1 to 255 of `[A-Za-z0-9\-_\/]`
    /// (AsciiStringMaxLen255), `HeartbeatTimeout` 30 to 7200 seconds, `DefaultResult` CONTINUE or
    /// ABANDON (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html>).
    pub(crate) fn refusal(&self) -> Option<(&'static str, String)> {
        let hook = &self.lifecycle_hook_name;
        let hook_ok = (1..=255).contains(&hook.len()) && hook.chars().all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c));
        if !hook_ok {
            return Some((
                "LifecycleHookName",
                format!("LifecycleHookName '{hook}' must be 1 to 255 letters, digits, hyphens, underscores and slashes"),
            ));
        }
        if !HEARTBEAT_TIMEOUT_S.contains(&self.heartbeat_timeout) {
            return Some((
                "HeartbeatTimeout",
                format!(
                    "lifecycle hook '{hook}' HeartbeatTimeout {} is out of range: 30 to 7200 seconds",
                    self.heartbeat_timeout
                ),
            ));
        }
        if self.default_result != "CONTINUE" && self.default_result != "ABANDON" {
            return Some((
                "DefaultResult",
                format!("lifecycle hook '{hook}' DefaultResult '{}' must be CONTINUE or ABANDON", self.default_result),
            ));
        }
        None
    }

    /// How long an instance may wait in `Terminating:Wait`, in ms: the heartbeat timeout, or with
    /// heartbeats recorded the global timeout (the smaller of 48 hours and 100 × the heartbeat
    /// timeout).
    pub fn wait_limit_ms(&self) -> u64 {
        let heartbeat_ms = u64::from(self.heartbeat_timeout) * 1000;
        if self.record_heartbeats {
            (48 * 3600 * 1000u64).min(heartbeat_ms * 100)
        } else {
            heartbeat_ms
        }
    }
}

/// StartInstanceRefresh's request, as the Auto Scaling API spells it (`Strategy` is `Rolling`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartInstanceRefreshSpec {
    /// The group to refresh.
    #[serde(rename = "AutoScalingGroupName")]
    pub auto_scaling_group_name: String,
    /// The configuration to refresh to (default: the group's own launch template).
    #[serde(rename = "DesiredConfiguration", default, skip_serializing_if = "Option::is_none")]
    pub desired_configuration: Option<DesiredConfigurationSpec>,
    /// How to refresh.
    #[serde(rename = "Preferences", default)]
    pub preferences: RefreshPreferencesSpec,
}

/// StartInstanceRefresh's `DesiredConfiguration` (a launch template only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesiredConfigurationSpec {
    /// The launch template and version new instances use.
    #[serde(rename = "LaunchTemplate")]
    pub launch_template: LaunchTemplateSpec,
}

/// MinHealthyPercentage when a refresh gives none (the API's default).
pub const DEFAULT_MIN_HEALTHY_PERCENTAGE: u32 = 90;
/// MaxHealthyPercentage when a refresh gives none (the API's default).
pub const DEFAULT_MAX_HEALTHY_PERCENTAGE: u32 = 100;

/// StartInstanceRefresh's `Preferences` — the members drainsim models. StandbyInstances, AutoRollback, AlarmSpecification and BakeTime are refused as
/// unknown (docs/rollouts.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshPreferencesSpec {
    /// Percent of the desired capacity kept InService and past warmup (0 to 100; default: the
    /// group's instance maintenance policy's, else 90).
    #[serde(rename = "MinHealthyPercentage", default, skip_serializing_if = "Option::is_none")]
    pub min_healthy_percentage: Option<u32>,
    /// Percent of the desired capacity that may be InService or Pending (100 to 200; default: the
    /// group's instance maintenance policy's, else 100).
    #[serde(rename = "MaxHealthyPercentage", default, skip_serializing_if = "Option::is_none")]
    pub max_healthy_percentage: Option<u32>,
    /// Seconds after InService before a new instance counts as healthy (default: the group's
    /// `DefaultInstanceWarmup`, else its `HealthCheckGracePeriod`).
    #[serde(rename = "InstanceWarmup", default, skip_serializing_if = "Option::is_none")]
    pub instance_warmup: Option<u32>,
    /// Replace only instances whose launch template — name or version — differs from the desired
    /// one (default `false`: replace every instance).
    #[serde(rename = "SkipMatching", default, skip_serializing_if = "Option::is_none")]
    pub skip_matching: Option<bool>,
    /// Instances protected from scale in: `Refresh` replaces them like any other, `Ignore` leaves
    /// them, `Wait` (the default, as in Auto Scaling) waits one hour for the protection to be
    /// removed and then fails the refresh.
    #[serde(rename = "ScaleInProtectedInstances", default, skip_serializing_if = "Option::is_none")]
    pub scale_in_protected_instances: Option<String>,
    /// Percentages (1 to 100, ascending) of the instances to update at which the refresh pauses
    /// for `CheckpointDelay`; the last is how many it replaces (default: none, all of them).
    #[serde(rename = "CheckpointPercentages", default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_percentages: Option<Vec<u32>>,
    /// Seconds a checkpoint pauses the refresh (0 to 172,800, default 3,600); only with
    /// `CheckpointPercentages`.
    #[serde(rename = "CheckpointDelay", default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_delay: Option<u32>,
}

/// SetDesiredCapacity's request, as the Auto Scaling API spells it (`HonorCooldown` is not
/// modelled: drainsim has no scaling policies, so no cooldown).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetDesiredCapacitySpec {
    /// The group to resize.
    #[serde(rename = "AutoScalingGroupName")]
    pub auto_scaling_group_name: String,
    /// The capacity it should hold (within its MinSize and MaxSize).
    #[serde(rename = "DesiredCapacity")]
    pub desired_capacity: u32,
}

/// TerminateInstanceInAutoScalingGroup's request, as the Auto Scaling API spells it
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html>);
/// both members are required, as in the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminateInstanceSpec {
    /// The instance: a member of one of the scenario's groups, by its name (`GROUP-N` for those
    /// the group launches, the `instanceId` of an adopted one).
    #[serde(rename = "InstanceId")]
    pub instance_id: String,
    /// Whether the group's desired capacity goes down by one (no replacement); else the group
    /// launches a replacement at once.
    #[serde(rename = "ShouldDecrementDesiredCapacity")]
    pub should_decrement_desired_capacity: bool,
}

/// SetInstanceProtection's request, as the Auto Scaling API spells it
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html>);
/// every member is required, as in the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetInstanceProtectionSpec {
    /// The members (1 to [`MAX_PROTECTION_INSTANCE_IDS`]), by name as
    /// [`TerminateInstanceSpec::instance_id`] names one.
    #[serde(rename = "InstanceIds")]
    pub instance_ids: Vec<String>,
    /// Their group.
    #[serde(rename = "AutoScalingGroupName")]
    pub auto_scaling_group_name: String,
    /// Protected from scale in, or no longer.
    #[serde(rename = "ProtectedFromScaleIn")]
    pub protected_from_scale_in: bool,
}

/// The most instances one SetInstanceProtection names: "You can specify up to 50 instances"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html>).
pub const MAX_PROTECTION_INSTANCE_IDS: usize = 50;

/// The ceiling of ECS's managed-draining wait: 48 hours
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html>).
pub const MANAGED_DRAINING_LIMIT_MS: u64 = 48 * 3_600_000;

/// CheckpointDelay when a refresh with checkpoints gives none, in seconds (the API's default).
pub const DEFAULT_CHECKPOINT_DELAY_S: u32 = 3600;

/// The tasks of one instance to stop with StopTask calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTasksPlan {
    /// The instance's cluster (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The instance's name.
    pub instance: String,
    /// Only tasks that belong to no service (default true).
    #[serde(default = "default_true")]
    pub standalone_only: bool,
    /// The `reason` of the StopTask calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn default_true() -> bool {
    true
}

/// Instances to deregister with DeregisterContainerInstance calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeregisterPlan {
    /// The instances' cluster (default: `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Instance names or group names; or give `filter`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<String>,
    /// Instead of `instances`: the instances this cluster query language expression selects when
    /// the step runs (ListContainerInstances' `filter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// With `filter`: ListContainerInstances' `status` (default: every status but INACTIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Deregister even with tasks running (`force: true`).
    #[serde(default)]
    pub force: bool,
}

/// The expected result of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepExpect {
    /// The request succeeded (failures lists may be non-empty).
    Success,
    /// The request succeeded with no `failures`.
    NoFailures,
    /// The request failed with this ECS exception name.
    Error(String),
    /// The request failed with this exception and its message contains the text.
    ErrorContaining(String, String),
    /// The request succeeded with exactly these failures (instance name or reference, reason).
    Failures(Vec<(String, String)>),
    /// A list call returned exactly these instances (by logical name), and whether a nextToken came.
    Listed(Vec<String>, bool),
    /// A ListAccountSettings call returned exactly these (name, value, principalArn).
    Settings(Vec<(String, String, String)>),
    /// WaitForDrain ran out of time.
    TimedOut,
    /// A StartInstanceRefresh ended with this `Status` (`Successful`, `Failed`, or `InProgress`
    /// when the run's end came first).
    InstanceRefreshStatus(String),
}

/// The `Status` values of an instance refresh (the Auto Scaling model's `InstanceRefreshStatus`).
pub const INSTANCE_REFRESH_STATUSES: [&str; 10] = [
    "Pending",
    "InProgress",
    "Successful",
    "Failed",
    "Cancelling",
    "Cancelled",
    "RollbackInProgress",
    "RollbackFailed",
    "RollbackSuccessful",
    "Baking",
];

/// The values of `ScaleInProtectedInstances` (the Auto Scaling model's enum).
pub const SCALE_IN_PROTECTED_INSTANCES: [&str; 3] = ["Refresh", "Ignore", "Wait"];

/// How long a refresh with `ScaleInProtectedInstances: Wait` waits for protection to be removed
/// before it fails (one hour, as the user guide says).
pub const PROTECTED_INSTANCES_WAIT_MS: u64 = 3_600_000;

/// A comparison with a number (or null).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Cmp {
    /// Exactly this value.
    Eq(u64),
    /// At least this value.
    AtLeast(u64),
    /// At most this value.
    AtMost(u64),
    /// No value (null in the report).
    Null,
}

/// A named property of the run: checked at a step (`Check`) or at the end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expectation {
    /// The instance's status (`ACTIVE`, `DRAINING`, ...): (instance, status).
    InstanceStatus(String, String),
    /// The instance's statusReason contains the text: (instance, text).
    InstanceStatusReasonContains(String, String),
    /// The instance's `version` (bumped by every change ECS reports).
    InstanceVersion(String, Cmp),
    /// The instance's runningTasksCount.
    InstanceRunningTasks(String, Cmp),
    /// The instance's pendingTasksCount.
    InstancePendingTasks(String, Cmp),
    /// Tasks not yet STOPPED that went with the instance (orphaned: a lifecycle hook's timeout, a
    /// forced deregistration, EC2 taking it), the report's `orphanedTasks`.
    OrphanedTasks(String, Cmp),
    /// Whether the instance's agent is connected.
    AgentConnected(String, bool),
    /// The instance's agentUpdateStatus (`PENDING` ... `UPDATED`, `FAILED`), or none.
    AgentUpdateStatus(String, Option<String>),
    /// The instance's agent version.
    AgentVersion(String, String),
    /// Whether DescribeContainerInstances still finds the instance.
    Describable(String, bool),
    /// ListContainerInstances (cluster, status filter or None) returns exactly these names, in order.
    ListedInstances(Option<String>, Option<String>, Vec<String>),
    /// The effective value of a setting for a principal (principal ARN, setting name, value).
    EffectiveSetting(String, String, String),
    /// The instance's task ENI limit (null when it has none).
    TaskEniLimit(String, Cmp),
    /// Task ENIs the instance has in use.
    TaskEnisInUse(String, Cmp),
    /// Whether the instance has a trunk ENI.
    Trunked(String, bool),
    /// Whether the instance has the attribute: (instance, attribute, expected).
    HasAttribute(String, String, bool),
    /// The service's desiredCount.
    ServiceDesiredCount(String, Cmp),
    /// The service's runningCount.
    ServiceRunningCount(String, Cmp),
    /// Healthy tasks of the service.
    ServiceHealthyCount(String, Cmp),
    /// The service's pendingCount.
    ServicePendingCount(String, Cmp),
    /// The lowest healthy count of the service after its first steady state (null if never).
    MinHealthyObserved(String, Cmp),
    /// The most tasks of the service at once (null if never observed).
    MaxTasksObserved(String, Cmp),
    /// The floor at the instant of `minHealthyObserved` (null if never observed).
    FloorAtMinHealthyObserved(String, Cmp),
    /// The ceiling at the instant of `maxTasksObserved` (null if never observed).
    CeilingAtMaxTasksObserved(String, Cmp),
    /// How many healthy tasks the service was below its floor at its deepest dip (0 if it never
    /// fell below its floor).
    DeepestDipBelowFloor(String, Cmp),
    /// Failed placement attempts of a service for a reason.
    PlacementFailures(String, String, Cmp),
    /// Tasks of a service that waited in PENDING for their agent, for a cause.
    AgentWaits(String, String, Cmp),
    /// A service event whose message contains the text was seen.
    ServiceEventSeen(String, String),
    /// No service event contains the text.
    ServiceEventNotSeen(String, String),
    /// A stall episode with this reason was recorded.
    Stalled(String, String),
    /// The service never stalled.
    NoStalls(String),
    /// How many times the service went below its healthy floor.
    FloorBreaches(String, Cmp),
    /// A floor breach of the service had this cause.
    FloorBreachCause(String, String),
    /// Tasks of the service replaced more than once by drains.
    TasksMovedMoreThanOnce(String, Cmp),
    /// Tasks of the service found UNHEALTHY (adopted so, or failing their health checks), each
    /// replaced.
    UnhealthyTasks(String, Cmp),
    /// Extra task moves made by the service's Availability Zone rebalancing.
    AzRebalancingMoves(String, Cmp),
    /// Whether the service is in steady state.
    SteadyState(String, bool),
    /// The instance's drain completed (every task on it STOPPED; not a drain that ended because
    /// the instance went with tasks orphaned) at or before this simulated time.
    DrainCompletedBy(String, u64),
    /// The instance's drain completed (as for `DrainCompletedBy`) within this long after it started.
    DrainCompletedWithin(String, u64),
    /// The instance's drain had not completed at this simulated time (or at all, or it ended with
    /// tasks orphaned).
    DrainNotCompletedBy(String, u64),
    /// The instance's drain ended at or before `t`: it completed, or the instance went with tasks
    /// not yet STOPPED (a lifecycle hook's timeout, a forced deregistration), whichever it was.
    DrainEndedBy(String, u64),
    /// The instance's drain had not ended at `t` (neither completed nor ended by the instance
    /// going with tasks orphaned), or never did.
    DrainNotEndedBy(String, u64),
    /// runningTasksCount reached 0 strictly before the drain completed.
    NoRunningBeforeDrainCompleted(String),
    /// Every drain that was started ended at or before this simulated time: completed, or cut
    /// short by its instance going with tasks not yet STOPPED (the report's
    /// `allDrainsCompletedAtMs`, which counts the same drains).
    AllDrainsCompletedBy(u64),
    /// Tasks not yet STOPPED that went with their drained instances, over the whole run (the sum
    /// of the drained instances' `orphanedTasks`): what a plan whose drains Spot terminations or
    /// hook timeouts may cut short, on instances no scenario can name, expects of them.
    TasksOrphaned(Cmp),
    /// The run stopped for this reason (`quiet`, `endTime`, `maxEvents`).
    StopReason(String),
    /// A deliberately named expectation: (name, inner).
    Named(String, Box<Expectation>),
}

/// A list of zones that names at least one: an empty list would put every instance in the default
/// zone without a word (the field is left out for that).
fn some_zones<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let zones = Vec::<String>::deserialize(d)?;
    if zones.is_empty() {
        return Err(serde::de::Error::custom(
            "the list of Availability Zones is empty: give at least one zone, or leave the field out for us-east-1a",
        ));
    }
    Ok(zones)
}

#[cfg(test)]
mod tests {
    use super::RolloutPlan;

    fn plan(wave_size: Option<u32>, wave_percent: Option<u32>) -> RolloutPlan {
        RolloutPlan {
            cluster: None,
            instances: vec![],
            filter: Some("runningTasksCount == 0".into()),
            status: None,
            wave_size,
            wave_percent,
            timeout_ms: 1,
            deregister: true,
        }
    }

    /// An AMI is found by template name and version: a bare version is one of the group's own
    /// template, `LaunchTemplateName:Version` any template's; another template's version never
    /// takes the group's AMI of the same number.
    #[test]
    fn image_ids_are_keyed_by_template_and_version() {
        let text = r#"Scenario(name: "amis", seed: 1,
            autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 0, MaxSize: 4, DesiredCapacity: 1,
                LaunchTemplate: (LaunchTemplateName: "old-node", Version: "1"),
                instanceType: "c5.xlarge", cpu: 4096, memory: 8192, agentConfig: (ECS_CONTAINER_STOP_TIMEOUT: "2m"),
                imageIds: {"1": "ami-0old", "2": "ami-0two", "new-node:1": "ami-0new", "old-node:2": "ami-0named"})],
        )"#;
        let loaded = crate::load_str("amis.ron", text).expect("valid");
        let g = &loaded.scenario.auto_scaling_groups[0];
        let lt =
            |name: &str, version: &str| super::LaunchTemplateSpec { launch_template_name: name.into(), version: version.into() };
        assert_eq!(g.image_id(&lt("old-node", "1")).map(String::as_str), Some("ami-0old"));
        assert_eq!(g.image_id(&lt("new-node", "1")).map(String::as_str), Some("ami-0new"));
        assert_eq!(g.image_id(&lt("old-node", "2")).map(String::as_str), Some("ami-0named"), "the full key first");
        assert_eq!(g.image_id(&lt("new-node", "2")), None, "not the group's own version 2");
        assert_eq!(g.image_id(&lt("other", "1")), None);
        let member = g.member("asg-9", "us-east-1a", &lt("new-node", "1"), false);
        assert_eq!(member.attributes.get("ecs.ami-id").map(String::as_str), Some("ami-0new"));
        // Its instances' agents are configured as the group says (an instance group registers
        // with its `agentConfig`: fidelity/agent-stop-timeout.ron).
        let timeout = member.agent_config.and_then(|c| c.ecs_container_stop_timeout).map(|t| t.seconds());
        assert_eq!(timeout, Some(120));
    }

    #[test]
    fn wave_percent_rounds_up_and_takes_at_least_one_instance() {
        let p = plan(None, Some(10));
        assert_eq!(p.instances_per_wave(20), Some(2));
        assert_eq!(p.instances_per_wave(21), Some(3));
        assert_eq!(p.instances_per_wave(300), Some(30));
        assert_eq!(p.instances_per_wave(3), Some(1));
        assert_eq!(p.instances_per_wave(0), Some(1));
        assert_eq!(plan(None, Some(100)).instances_per_wave(7), Some(7));
        assert_eq!(plan(None, Some(33)).instances_per_wave(10), Some(4));
    }

    #[test]
    fn wave_size_is_taken_as_given() {
        assert_eq!(plan(Some(10), None).instances_per_wave(3), Some(10));
        assert_eq!(plan(Some(1), None).instances_per_wave(100_000), Some(1));
        assert_eq!(plan(None, None).instances_per_wave(5), None);
    }

    /// The On-Demand share of a mixed group, as Auto Scaling's guide tabulates it for 10 to 40
    /// instances ("Example: Scaling behavior", examples 1, 3 and 5), rounded up in favour of
    /// On-Demand; and the members a group launches one after another follow it.
    #[test]
    fn the_on_demand_share_follows_the_instances_distribution() {
        use super::InstancesDistributionSpec as D;
        let d = |base, percent| D { on_demand_base_capacity: base, on_demand_percentage_above_base_capacity: percent };
        let table = |d: D| [10, 20, 30, 40].map(|n| d.on_demand_of(n));
        assert_eq!(table(d(10, 50)), [10, 15, 20, 25]);
        assert_eq!(table(d(0, 60)), [6, 12, 18, 24]);
        assert_eq!(table(d(12, 0)), [10, 12, 12, 12]);
        assert_eq!(table(d(0, 100)), [10, 20, 30, 40]);
        assert_eq!(d(1, 25).on_demand_of(3), 2, "1 + 25 % of 2 = 1.5, rounded up");
        assert_eq!(d(u32::MAX, 100).on_demand_of(u32::MAX), u32::MAX);
        let group: super::AutoScalingGroupSpec = ron::from_str(
            r#"(AutoScalingGroupName: "mixed", MinSize: 0, MaxSize: 10, DesiredCapacity: 5,
                LaunchTemplate: (LaunchTemplateName: "n", Version: "1"), instanceType: "c5.large",
                cpu: 2048, memory: 3840, imageIds: {"1": "ami-0"}, spot: Some(()),
                InstancesDistribution: Some((OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 25)))"#,
        )
        .expect("parses");
        let spot: Vec<bool> = group.initial_members().iter().map(|m| m.spot.is_some()).collect();
        assert_eq!(spot, [false, false, true, true, true], "2 of 5 On-Demand, launched first");
        let all_spot = super::AutoScalingGroupSpec { instances_distribution: None, ..group.clone() };
        assert!(all_spot.initial_members().iter().all(|m| m.spot.is_some()), "spot without a distribution: all Spot");
        let on_demand = super::AutoScalingGroupSpec { spot: None, ..group };
        assert!(on_demand.initial_members().iter().all(|m| m.spot.is_none()));
    }
}
