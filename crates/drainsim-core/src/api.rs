//! Requests and responses of the ECS operations drainsim models, spelled exactly as the ECS API model
//! spells them (camelCase members, ECS enum strings). Requests are deserialisable so that scenario
//! files can carry them verbatim; responses are serialisable so the edges can print them.
//!
//! Members the simulation needs but ECS derives from elsewhere (the EC2 instance identity document,
//! the target group's health check) are grouped in clearly named drainsim extension members.

use serde::{Deserialize, Serialize};

/// `Resource` (registered/remaining/total resources).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// `name`.
    pub name: String,
    /// `type`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// `doubleValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub double_value: Option<f64>,
    /// `longValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_value: Option<i64>,
    /// `integerValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integer_value: Option<i64>,
    /// `stringSetValue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_set_value: Option<Vec<String>>,
}

impl Resource {
    /// An `INTEGER` resource (`CPU`, `MEMORY`, or a custom one).
    pub fn integer(name: &str, value: i64) -> Self {
        Resource { name: name.into(), resource_type: "INTEGER".into(), integer_value: Some(value), ..Default::default() }
    }

    /// A `STRINGSET` resource (`PORTS`, `PORTS_UDP`).
    pub fn string_set(name: &str, values: Vec<String>) -> Self {
        Resource { name: name.into(), resource_type: "STRINGSET".into(), string_set_value: Some(values), ..Default::default() }
    }
}

/// `VersionInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VersionInfo {
    /// `agentVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_version: Option<String>,
    /// `agentHash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hash: Option<String>,
    /// `dockerVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
}

/// `Attribute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attribute {
    /// `name`.
    pub name: String,
    /// `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `targetType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_type: Option<String>,
    /// `targetId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}

/// `Tag`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Tag {
    /// `key`.
    pub key: String,
    /// `value`.
    #[serde(default)]
    pub value: String,
}

impl Tag {
    /// Whether its key or its value starts with AWS's reserved prefix `aws:`, in any case — a tag
    /// RegisterContainerInstance refuses (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html>;
    /// the one rule, `has_reserved_tag_prefix`).
    pub fn is_reserved(&self) -> bool {
        has_reserved_tag_prefix(&self.key) || has_reserved_tag_prefix(&self.value)
    }
}

/// The tag prefix reserved for AWS: "Do not use `aws:`, `AWS:`, or any upper or lowercase
/// combination of such as a prefix for either keys or values as it is reserved for AWS use. You
/// cannot edit or delete tag keys or values with this prefix"
/// ([Tag](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html)). The container
/// agent leaves out every EC2 tag whose key or value starts with it, in any case, before it
/// registers an instance with its EC2 tags (`DescribeECSTagsForInstance`,
/// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/ec2/ec2_client.go>).
pub(crate) const RESERVED_TAG_PREFIX: &str = "aws:";

/// Whether a tag key or value starts with [`RESERVED_TAG_PREFIX`] in any case (`aws:`, `AWS:`,
/// `Aws:`…).
pub(crate) fn has_reserved_tag_prefix(text: &str) -> bool {
    text.get(..RESERVED_TAG_PREFIX.len()).is_some_and(|p| p.eq_ignore_ascii_case(RESERVED_TAG_PREFIX))
}

/// `KeyValuePair` (attachment details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyValuePair {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
}

/// `Attachment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// `id`.
    pub id: String,
    /// `type`.
    #[serde(rename = "type")]
    pub attachment_type: String,
    /// `status`.
    pub status: String,
    /// `details`.
    pub details: Vec<KeyValuePair>,
}

/// `Failure`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// `arn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `reason`.
    pub reason: String,
    /// `detail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `ContainerInstance`, every member of the seed's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstance {
    /// `containerInstanceArn`.
    pub container_instance_arn: String,
    /// `ec2InstanceId`.
    pub ec2_instance_id: String,
    /// `capacityProviderName`: the capacity provider of the Auto Scaling group the instance
    /// belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// `version`.
    pub version: u64,
    /// `versionInfo`.
    pub version_info: VersionInfo,
    /// `remainingResources`.
    pub remaining_resources: Vec<Resource>,
    /// `registeredResources`.
    pub registered_resources: Vec<Resource>,
    /// `status`.
    pub status: String,
    /// `statusReason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// `agentConnected`.
    pub agent_connected: bool,
    /// `runningTasksCount`.
    pub running_tasks_count: u32,
    /// `pendingTasksCount`.
    pub pending_tasks_count: u32,
    /// `agentUpdateStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_update_status: Option<String>,
    /// `attributes`.
    pub attributes: Vec<Attribute>,
    /// Seconds since the Unix epoch (the JSON protocol's timestamp form).
    pub registered_at: f64,
    /// `attachments`.
    pub attachments: Vec<Attachment>,
    /// `tags`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// `healthStatus` (only with `include: CONTAINER_INSTANCE_HEALTH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_status: Option<ContainerInstanceHealthStatus>,
}

/// `ContainerInstanceHealthStatus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerInstanceHealthStatus {
    /// `overallStatus`: `OK`, `IMPAIRED`, `INSUFFICIENT_DATA` or `INITIALIZING`.
    pub overall_status: String,
    /// `details`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<InstanceHealthCheckResult>>,
}

/// `InstanceHealthCheckResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceHealthCheckResult {
    /// `type`: `CONTAINER_RUNTIME`.
    #[serde(rename = "type")]
    pub check_type: String,
    /// `status`.
    pub status: String,
    /// `lastUpdated`, seconds since the Unix epoch.
    pub last_updated: f64,
    /// `lastStatusChange`, seconds since the Unix epoch.
    pub last_status_change: f64,
}

/// `Setting`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Setting {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
    /// `principalArn`.
    pub principal_arn: String,
    /// `type`.
    #[serde(rename = "type")]
    pub setting_type: String,
}

/// drainsim extension of RegisterContainerInstance: what ECS reads from the EC2 instance identity
/// document (and the instance profile) instead of from request members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceIdentity {
    /// The scenario's logical name of the instance (`web-3`).
    pub name: String,
    /// The EC2 instance type (`c5.large`).
    pub instance_type: String,
    /// The Availability Zone (`us-east-1a`).
    pub availability_zone: String,
    /// The EC2 instance ID; generated from the seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ec2_instance_id: Option<String>,
    /// Task ENI limit when the instance type is not in the built-in table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_eni_limit: Option<u16>,
    /// The container instance ID to keep (32 hex digits, or a hyphenated UUID), for an instance
    /// captured from a real cluster; generated from the seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance_id: Option<String>,
    /// The capacity provider of the Auto Scaling group that launched the instance, which ECS
    /// finds from the group (`capacityProviderName` of the container instance). It must be one of
    /// the cluster's capacity providers ([`crate::Engine::put_cluster_capacity_providers`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_name: Option<String>,
    /// When the instance registered, in simulated ms: negative for an instance that registered
    /// before the run began (captured from a real cluster, where ECS set its `registeredAt`), at
    /// most the time of this request and at least -2^50; the time of this request when absent.
    /// Only `registeredAt` reads it: the describe responses and the cluster query language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at_ms: Option<i64>,
}

/// drainsim extension, for clusters captured from ECS (`drainsim import`): a task that already runs
/// on a container instance when the simulation starts. [`crate::Engine::adopt_running_task`] puts
/// it there, RUNNING, without a placement decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdoptTaskRequest {
    /// The cluster (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The container instance: ID or ARN.
    pub container_instance: String,
    /// The task definition (`family:revision`, `family` for the latest, or an ARN).
    pub task_definition: String,
    /// The service it belongs to; none for a standalone task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// A standalone task's `group` (default `family:FAMILY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `startedBy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// A standalone task's `overrides`: the task-level size its RunTask or StartTask gave it
    /// instead of its task definition's (what ECS reports as the task's `cpu` and `memory`).
    /// Refused for a service's task: services give their tasks no overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,
    /// Whether it counts as healthy (false for a task ECS reports UNHEALTHY: a service's task is
    /// then replaced, docs/ecs-choices.md § "UNHEALTHY tasks are replaced").
    pub healthy: bool,
}

/// The request of [RegisterContainerInstance](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterContainerInstance.html).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterContainerInstanceRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `totalResources`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub total_resources: Vec<Resource>,
    /// `versionInfo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_info: Option<VersionInfo>,
    /// `containerInstanceArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance_arn: Option<String>,
    /// `attributes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    /// `tags`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// `platformDevices`: the instance's GPUs (the agent sends them when `ECS_ENABLE_GPU_SUPPORT`
    /// is on); ECS lists them as the instance's `GPU` resource.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platform_devices: Vec<PlatformDevice>,
    /// drainsim extension: the identity document's content.
    pub instance_identity: InstanceIdentity,
    /// drainsim extension: the container agent's configuration on the instance, which ECS never
    /// sees but which changes what the agent does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_config: Option<AgentConfig>,
}

/// `PlatformDevice`: a device of a container instance
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PlatformDevice.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformDevice {
    /// `id`: the GPU's ID, as the instance's `nvidia_gpu_info.json` gives it.
    pub id: String,
    /// `type`: `GPU` (drainsim models no `NEURON_DEVICE`).
    #[serde(rename = "type")]
    pub device_type: String,
}

/// `ResourceRequirement` of a container: `type` `GPU` and `value` the number of GPUs the agent
/// pins to it (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ResourceRequirement.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirement {
    /// `type`: `GPU` (drainsim models no `InferenceAccelerator` or `NeuronDevice`).
    #[serde(rename = "type")]
    pub requirement_type: String,
    /// `value`: for `GPU`, a whole number of GPUs.
    pub value: String,
}

/// drainsim extension of RegisterContainerInstance: the container agent's configuration on the
/// instance (its `/etc/ecs/ecs.config` variables, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html>),
/// spelled as the agent reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// `ECS_CONTAINER_STOP_TIMEOUT`: how long the agent waits after SIGTERM before it kills a
    /// container whose definition gives no `stopTimeout` (the agent's default is 30 s).
    #[serde(rename = "ECS_CONTAINER_STOP_TIMEOUT", default, skip_serializing_if = "Option::is_none")]
    pub ecs_container_stop_timeout: Option<AgentStopTimeout>,
}

/// A value of `ECS_CONTAINER_STOP_TIMEOUT`: whole seconds, at least one.
///
/// It is read and written as the agent reads it, a Go duration (`"5s"`, `"2m"`, `"1m30s"`,
/// `"1.5s"`): the agent parses it with Go's `time.ParseDuration` and hands Docker whole seconds
/// (`parseDockerStopTimeout` in
/// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/config/parse.go>, and the Docker
/// client's stop call). Where the agent would quietly use something else, drainsim refuses the value
/// instead, so that a simulation never runs on a setting the user did not mean: a number without a
/// unit (`"5"`, which the agent ignores for its 30 s default) and a value under the agent's minimum
/// of one second (which the agent raises to one second).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentStopTimeout {
    seconds: u32,
}

impl AgentStopTimeout {
    /// The agent's minimum (`minimumDockerStopTimeout`), in seconds.
    pub const MIN_SECONDS: u32 = 1;

    /// A timeout of `seconds` whole seconds; refused below [`Self::MIN_SECONDS`].
    pub fn from_seconds(seconds: u32) -> Result<Self, String> {
        if seconds < Self::MIN_SECONDS {
            return Err(format!("ECS_CONTAINER_STOP_TIMEOUT must be at least {}s, the agent's minimum", Self::MIN_SECONDS));
        }
        Ok(AgentStopTimeout { seconds })
    }

    /// Parses the agent's text: a Go duration, truncated to whole seconds as Docker takes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let nanos = parse_go_duration(text).map_err(|e| format!("ECS_CONTAINER_STOP_TIMEOUT \"{text}\": {e}"))?;
        if nanos < 0 {
            return Err(format!("ECS_CONTAINER_STOP_TIMEOUT \"{text}\": a negative duration"));
        }
        let seconds = u32::try_from(nanos / 1_000_000_000)
            .map_err(|_| format!("ECS_CONTAINER_STOP_TIMEOUT \"{text}\": longer than {} seconds", u32::MAX))?;
        Self::from_seconds(seconds).map_err(|e| format!("{e} (\"{text}\" is less)"))
    }

    /// What the agent itself makes of `text` (`parseDockerStopTimeout` in
    /// <https://github.com/aws/amazon-ecs-agent/blob/master/agent/config/parse.go>): a duration
    /// of at least a second is used (in whole seconds); one that is not zero but shorter, negative
    /// included, is raised to one second; zero, or text that is not a Go duration (a number
    /// without a unit), leaves the agent's 30 s default (`None`). For configuration drainsim reads
    /// rather than the user writes for it (an imported launch template's user data); a scenario's
    /// own `agentConfig` goes through [`Self::parse`], which refuses what the agent would replace.
    pub fn as_the_agent_reads(text: &str) -> Option<Self> {
        const NANOS_PER_SECOND: i64 = 1_000_000_000;
        match parse_go_duration(text.trim()) {
            Ok(0) | Err(_) => None,
            Ok(nanos) if nanos < NANOS_PER_SECOND => Some(AgentStopTimeout { seconds: Self::MIN_SECONDS }),
            Ok(nanos) => Some(AgentStopTimeout { seconds: u32::try_from(nanos / NANOS_PER_SECOND).unwrap_or(u32::MAX) }),
        }
    }

    /// The timeout in whole seconds.
    pub fn seconds(self) -> u32 {
        self.seconds
    }
}

impl Serialize for AgentStopTimeout {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}s", self.seconds))
    }
}

impl<'de> Deserialize<'de> for AgentStopTimeout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        AgentStopTimeout::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: an optional sign, then one or more decimal numbers
/// (with an optional fraction), each followed by a unit (`ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h`);
/// `"0"` alone needs no unit (<https://pkg.go.dev/time#ParseDuration>). A value beyond `i64`
/// nanoseconds (about 292 years) is refused, as Go refuses it.
fn parse_go_duration(text: &str) -> Result<i64, String> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err("not a duration (write it as the agent reads it: \"30s\", \"2m\")".into());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(rest.len());
        let (number, after) = rest.split_at(digits);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if number.is_empty() {
            return Err(format!("expected a number where '{rest}' begins (write it as the agent reads it: \"30s\", \"2m\")"));
        }
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(format!("'{number}' is not a number (write it as the agent reads it: \"30s\", \"2m\")"));
        }
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_len);
        let unit_nanos: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => {
                return Err(format!(
                    "missing unit in duration (the agent ignores such a value and uses its 30s default; write \"{number}s\")"
                ))
            }
            other => return Err(format!("unknown unit '{other}' (ns, us, ms, s, m or h)")),
        };
        let too_long = || "too long a duration".to_string();
        let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_long())? };
        let mut value = whole.checked_mul(unit_nanos).ok_or_else(too_long)?;
        // The fraction's digits, scaled by the unit (Go drops what is finer than a nanosecond).
        let mut scale = unit_nanos;
        for digit in fraction.bytes() {
            scale /= 10;
            value = value.checked_add(u128::from(digit - b'0') * scale).ok_or_else(too_long)?;
        }
        total = total.checked_add(value).ok_or_else(too_long)?;
        if total > i64::MAX as u128 {
            return Err(too_long());
        }
        rest = next;
    }
    let total = total as i64;
    Ok(if negative { -total } else { total })
}

/// The request of [DeregisterContainerInstance](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeregisterContainerInstanceRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstance`.
    pub container_instance: String,
    /// `force`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// The request of [DescribeContainerInstances](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeContainerInstances.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeContainerInstancesRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstances`.
    pub container_instances: Vec<String>,
    /// `include`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

/// The request of [ListContainerInstances](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListContainerInstancesRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `filter`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// `nextToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// `maxResults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The request of [UpdateContainerInstancesState](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerInstancesStateRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstances`.
    pub container_instances: Vec<String>,
    /// `status`.
    pub status: String,
}

/// The request of [UpdateContainerAgent](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateContainerAgentRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstance`.
    pub container_instance: String,
}

/// The request of [PutAccountSetting](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSetting.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutAccountSettingRequest {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
    /// `principalArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
}

/// The request of [PutAccountSettingDefault](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSettingDefault.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutAccountSettingDefaultRequest {
    /// `name`.
    pub name: String,
    /// `value`.
    pub value: String,
}

/// The request of [DeleteAccountSetting](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteAccountSetting.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteAccountSettingRequest {
    /// `name`.
    pub name: String,
    /// `principalArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
}

/// The request of [ListAccountSettings](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListAccountSettings.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListAccountSettingsRequest {
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `principalArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
    /// `effectiveSettings`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_settings: Option<bool>,
    /// `nextToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// `maxResults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
}

/// `AttachmentStateChange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttachmentStateChange {
    /// `attachmentArn`.
    pub attachment_arn: String,
    /// `status`.
    pub status: String,
}

/// The request of [SubmitAttachmentStateChanges](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_SubmitAttachmentStateChanges.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitAttachmentStateChangesRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `attachments`.
    pub attachments: Vec<AttachmentStateChange>,
}

/// The request of [CreateCluster](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateClusterRequest {
    /// `clusterName`.
    pub cluster_name: String,
}

/// One item of a capacity provider strategy
/// ([`CapacityProviderStrategyItem`](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CapacityProviderStrategyItem.html)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CapacityProviderStrategyItem {
    /// `capacityProvider`: the capacity provider's short name.
    pub capacity_provider: String,
    /// `weight` (0 to 1,000; default 0): the provider's relative share of the tasks launched
    /// beyond the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
    /// `base` (0 to 100,000; default 0): how many tasks, at a minimum, run on this provider. Only
    /// one item of a strategy may have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<i64>,
}

/// The request of [PutClusterCapacityProviders](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutClusterCapacityProviders.html):
/// the cluster's capacity providers and its default capacity provider strategy, both replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PutClusterCapacityProvidersRequest {
    /// `cluster`.
    pub cluster: String,
    /// `capacityProviders`: the short names of the capacity providers to associate.
    pub capacity_providers: Vec<String>,
    /// `defaultCapacityProviderStrategy`: used by a service created with neither a launch type
    /// nor a strategy.
    pub default_capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
}

/// The request of [CreateCapacityProvider](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCapacityProvider.html):
/// a capacity provider of an Auto Scaling group ([`crate::Engine::create_capacity_provider`];
/// checked without an engine by [`crate::validate_capacity_provider`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCapacityProviderRequest {
    /// `name`: up to 255 letters, numbers, underscores and hyphens, not prefixed with `aws`,
    /// `ecs` or `fargate`.
    pub name: String,
    /// `autoScalingGroupProvider`: its Auto Scaling group and how ECS manages it.
    pub auto_scaling_group_provider: AutoScalingGroupProvider,
}

/// [`AutoScalingGroupProvider`](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AutoScalingGroupProvider.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoScalingGroupProvider {
    /// `autoScalingGroupArn`: the group's ARN (`...:autoScalingGroupName/<name>`) or, in
    /// drainsim, its name.
    pub auto_scaling_group_arn: String,
    /// `managedScaling`: whether ECS scales the group by its CapacityProviderReservation metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_scaling: Option<ManagedScaling>,
    /// `managedTerminationProtection`: `ENABLED` or `DISABLED` (the default). With it ECS keeps
    /// the instances that run non-daemon tasks protected from scale in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_termination_protection: Option<String>,
    /// `managedDraining`: `ENABLED` (the default when a capacity provider is created) or
    /// `DISABLED`. With it ECS drains an instance the group terminates and completes the lifecycle
    /// action once its tasks are gone, or after 48 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_draining: Option<String>,
}

impl AutoScalingGroupProvider {
    /// The group's name: what follows `autoScalingGroupName/` in an ARN, or the value itself.
    pub fn group_name(&self) -> &str {
        let arn = self.auto_scaling_group_arn.as_str();
        arn.rsplit_once("autoScalingGroupName/").map_or(arn, |(_, name)| name)
    }

    /// `managedDraining` is ENABLED (it is unless it says `DISABLED`).
    pub fn managed_draining_enabled(&self) -> bool {
        self.managed_draining.as_deref() != Some("DISABLED")
    }

    /// `managedTerminationProtection` is ENABLED.
    pub fn managed_termination_protection_enabled(&self) -> bool {
        self.managed_termination_protection.as_deref() == Some("ENABLED")
    }

    /// `managedScaling` is given with `status` ENABLED.
    pub fn managed_scaling_enabled(&self) -> bool {
        self.managed_scaling.as_ref().is_some_and(|m| m.status.as_deref() == Some("ENABLED"))
    }
}

/// [`ManagedScaling`](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedScaling.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedScaling {
    /// `status`: `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// `targetCapacity`: the CapacityProviderReservation the group is scaled to, percent (1 to
    /// 100; default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_capacity: Option<u32>,
    /// `minimumScalingStepSize`: fewest instances one scale-out adds (1 to 10,000; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_scaling_step_size: Option<u32>,
    /// `maximumScalingStepSize`: most instances one scaling step adds or removes (1 to 10,000;
    /// default 10,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_scaling_step_size: Option<u32>,
    /// `instanceWarmupPeriod`: seconds after launch before a new instance counts toward the
    /// group's metrics (0 to 10,000; default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_warmup_period: Option<u32>,
}

/// One of the ECS operations, with its request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// [CreateCluster](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html).
    CreateCluster(CreateClusterRequest),
    /// [RegisterContainerInstance](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterContainerInstance.html).
    RegisterContainerInstance(RegisterContainerInstanceRequest),
    /// [DeregisterContainerInstance](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html).
    DeregisterContainerInstance(DeregisterContainerInstanceRequest),
    /// [DescribeContainerInstances](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeContainerInstances.html).
    DescribeContainerInstances(DescribeContainerInstancesRequest),
    /// [ListContainerInstances](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html).
    ListContainerInstances(ListContainerInstancesRequest),
    /// [UpdateContainerInstancesState](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html).
    UpdateContainerInstancesState(UpdateContainerInstancesStateRequest),
    /// [UpdateContainerAgent](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html).
    UpdateContainerAgent(UpdateContainerAgentRequest),
    /// [PutAccountSetting](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSetting.html).
    PutAccountSetting(PutAccountSettingRequest),
    /// [PutAccountSettingDefault](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutAccountSettingDefault.html).
    PutAccountSettingDefault(PutAccountSettingDefaultRequest),
    /// [DeleteAccountSetting](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteAccountSetting.html).
    DeleteAccountSetting(DeleteAccountSettingRequest),
    /// [ListAccountSettings](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListAccountSettings.html).
    ListAccountSettings(ListAccountSettingsRequest),
    /// [SubmitAttachmentStateChanges](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_SubmitAttachmentStateChanges.html).
    SubmitAttachmentStateChanges(SubmitAttachmentStateChangesRequest),
    /// [RegisterTaskDefinition](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
    RegisterTaskDefinition(RegisterTaskDefinitionRequest),
    /// [CreateService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
    CreateService(CreateServiceRequest),
    /// [UpdateService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html).
    UpdateService(UpdateServiceRequest),
    /// [DeleteService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html).
    DeleteService(DeleteServiceRequest),
    /// [DescribeServices](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html).
    DescribeServices(DescribeServicesRequest),
    /// [RunTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
    RunTask(RunTaskRequest),
    /// [StartTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StartTask.html).
    StartTask(StartTaskRequest),
    /// [StopTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html).
    StopTask(StopTaskRequest),
    /// [ListTasks](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html).
    ListTasks(ListTasksRequest),
    /// [DescribeTasks](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
    DescribeTasks(DescribeTasksRequest),
}

impl Request {
    /// The operation's name as ECS spells it.
    pub fn operation(&self) -> &'static str {
        match self {
            Request::CreateCluster(_) => "CreateCluster",
            Request::RegisterContainerInstance(_) => "RegisterContainerInstance",
            Request::DeregisterContainerInstance(_) => "DeregisterContainerInstance",
            Request::DescribeContainerInstances(_) => "DescribeContainerInstances",
            Request::ListContainerInstances(_) => "ListContainerInstances",
            Request::UpdateContainerInstancesState(_) => "UpdateContainerInstancesState",
            Request::UpdateContainerAgent(_) => "UpdateContainerAgent",
            Request::PutAccountSetting(_) => "PutAccountSetting",
            Request::PutAccountSettingDefault(_) => "PutAccountSettingDefault",
            Request::DeleteAccountSetting(_) => "DeleteAccountSetting",
            Request::ListAccountSettings(_) => "ListAccountSettings",
            Request::SubmitAttachmentStateChanges(_) => "SubmitAttachmentStateChanges",
            Request::RegisterTaskDefinition(_) => "RegisterTaskDefinition",
            Request::CreateService(_) => "CreateService",
            Request::UpdateService(_) => "UpdateService",
            Request::DeleteService(_) => "DeleteService",
            Request::DescribeServices(_) => "DescribeServices",
            Request::RunTask(_) => "RunTask",
            Request::StartTask(_) => "StartTask",
            Request::StopTask(_) => "StopTask",
            Request::ListTasks(_) => "ListTasks",
            Request::DescribeTasks(_) => "DescribeTasks",
        }
    }
}

/// `Cluster` (the members drainsim keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// `clusterArn`.
    pub cluster_arn: String,
    /// `clusterName`.
    pub cluster_name: String,
    /// `status`.
    pub status: String,
    /// `registeredContainerInstancesCount`.
    pub registered_container_instances_count: u32,
}

/// The response of an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Response {
    /// A response carrying `cluster`.
    Cluster {
        /// `cluster`.
        cluster: Cluster,
    },
    /// A response carrying `containerInstance`.
    ContainerInstance {
        /// `containerInstance`.
        #[serde(rename = "containerInstance")]
        container_instance: Box<ContainerInstance>,
    },
    /// A response carrying `containerInstances`.
    ContainerInstances {
        /// `containerInstances`.
        #[serde(rename = "containerInstances")]
        container_instances: Vec<ContainerInstance>,
        /// `failures`.
        failures: Vec<Failure>,
    },
    /// A response carrying `containerInstanceArns`.
    ContainerInstanceArns {
        /// `containerInstanceArns`.
        #[serde(rename = "containerInstanceArns")]
        container_instance_arns: Vec<String>,
        /// `nextToken`.
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
    /// A response carrying `setting`.
    Setting {
        /// `setting`.
        setting: Setting,
    },
    /// A response carrying `settings`.
    Settings {
        /// `settings`.
        settings: Vec<Setting>,
        /// `nextToken`.
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
    /// A response carrying `acknowledgment`.
    Acknowledgment {
        /// `acknowledgment`.
        acknowledgment: String,
    },
    /// A response carrying `taskDefinition`.
    TaskDefinition {
        /// `taskDefinition`.
        #[serde(rename = "taskDefinition")]
        task_definition: TaskDefinition,
    },
    /// A response carrying `service`.
    Service {
        /// `service`.
        service: Box<Service>,
    },
    /// A response carrying `services`.
    Services {
        /// `services`.
        services: Vec<Service>,
        /// `failures`.
        failures: Vec<Failure>,
    },
    /// A response carrying `tasks`.
    Tasks {
        /// `tasks`.
        tasks: Vec<Task>,
        /// `failures`.
        failures: Vec<Failure>,
    },
    /// A response carrying `task`.
    Task {
        /// `task`.
        task: Box<Task>,
    },
    /// A response carrying `taskArns`.
    TaskArns {
        /// `taskArns`.
        #[serde(rename = "taskArns")]
        task_arns: Vec<String>,
        /// `nextToken`.
        #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    },
}

/// `PortMapping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortMapping {
    /// `containerPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
    /// `hostPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<u16>,
    /// `tcp` (default) or `udp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// `HealthCheck` of a container definition (seconds, as in ECS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    /// `command`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    /// `interval`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u32>,
    /// `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    /// `retries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// `startPeriod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<u32>,
}

impl HealthCheck {
    /// The values ECS accepts for each member — seconds, but `retries` a count
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html>):
    /// RegisterTaskDefinition refuses any other, and `drainsim import` checks a captured one
    /// against the same ranges.
    pub const RANGES: [(&'static str, std::ops::RangeInclusive<u32>); 4] =
        [("interval", 5..=300), ("timeout", 2..=60), ("retries", 1..=10), ("startPeriod", 0..=300)];

    /// The values ECS accepts for `member`, one of [`HealthCheck::RANGES`]' names (`None` for
    /// another name).
    pub fn range_of(member: &str) -> Option<std::ops::RangeInclusive<u32>> {
        Self::RANGES.iter().find(|(m, _)| *m == member).map(|(_, r)| r.clone())
    }

    /// `interval` when the definition gives none (seconds).
    pub const DEFAULT_INTERVAL_S: u32 = 30;

    /// `interval`, or its default.
    pub fn interval_s(&self) -> u32 {
        self.interval.unwrap_or(Self::DEFAULT_INTERVAL_S)
    }

    /// `retries` when none is given ("The default value is 3").
    pub const DEFAULT_RETRIES: u32 = 3;

    /// `retries`, the default filled in.
    pub fn retries_or_default(&self) -> u32 {
        self.retries.unwrap_or(Self::DEFAULT_RETRIES)
    }

    /// The members' values, in the order of [`HealthCheck::RANGES`] (`interval` with its default).
    pub fn values(&self) -> [Option<u32>; 4] {
        [Some(self.interval_s()), self.timeout, self.retries, self.start_period]
    }
}

/// `ContainerDefinition` (the members drainsim uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerDefinition {
    /// `name`.
    pub name: String,
    /// `cpu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// `memory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
    /// `portMappings`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// `healthCheck`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// `resourceRequirements`: the GPUs the container needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
    /// `essential`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Seconds between SIGTERM and SIGKILL (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<u32>,
    /// drainsim extension: how long the process takes to exit after SIGTERM, in milliseconds;
    /// absent means it never exits on its own and is killed at `stopTimeout` (the conservative case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_after_sigterm_ms: Option<u64>,
}

/// The request of [RegisterTaskDefinition](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterTaskDefinitionRequest {
    /// `family`.
    pub family: String,
    /// `networkMode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Task-level CPU units, a string as in ECS (`"256"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Task-level memory in MiB, a string as in ECS (`"512"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// `containerDefinitions`.
    pub container_definitions: Vec<ContainerDefinition>,
    /// `placementConstraints`: `memberOf` constraints every task of the definition obeys, with
    /// those of the service or RunTask (at most 10 in all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<TaskDefinitionPlacementConstraint>,
    /// drainsim extension, for clusters captured from ECS (`drainsim import`): the revision to
    /// register, at least the family's next and at most 1,000,000, so that a captured `web:12`
    /// keeps its number (the revisions between were deregistered in ECS). Absent, the family's
    /// next revision, as ECS assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
}

/// `TaskDefinitionPlacementConstraint`: `type` is `memberOf`, `expression` a cluster query language
/// expression (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinitionPlacementConstraint.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskDefinitionPlacementConstraint {
    /// `type`.
    #[serde(rename = "type")]
    pub constraint_type: String,
    /// `expression`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// `TaskDefinition` (the members drainsim keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDefinition {
    /// `taskDefinitionArn`.
    pub task_definition_arn: String,
    /// `family`.
    pub family: String,
    /// `revision`.
    pub revision: u32,
    /// `networkMode`.
    pub network_mode: String,
    /// `cpu`: the task-level CPU units, when the task definition gives them (converted from vCPUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// `memory`: the task-level MiB, when the task definition gives them (converted from GB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    /// `status`.
    pub status: String,
    /// `placementConstraints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<TaskDefinitionPlacementConstraint>,
}

/// `DeploymentConfiguration` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentConfiguration {
    /// `maximumPercent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<i64>,
    /// `minimumHealthyPercent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<i64>,
}

/// `PlacementStrategy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementStrategy {
    /// `type`.
    #[serde(rename = "type")]
    pub strategy_type: String,
    /// `field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `PlacementConstraint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlacementConstraint {
    /// `type`.
    #[serde(rename = "type")]
    pub constraint_type: String,
    /// `expression`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// `LoadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// `targetGroupArn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// `loadBalancerName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_name: Option<String>,
    /// `containerName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// `containerPort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<u16>,
}

impl LoadBalancer {
    /// A Classic Load Balancer: named by `loadBalancerName`, with no target group (an Application
    /// or Network Load Balancer is named by its `targetGroupArn`).
    pub fn is_classic(&self) -> bool {
        self.target_group_arn.is_none()
    }
}

/// drainsim extension: the ELB target group's settings that decide when a target is healthy and
/// how long deregistration takes (ELB defaults: 30 s interval, 5 healthy checks, 300 s delay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetGroupSettings {
    /// `healthCheckIntervalSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<u32>,
    /// `healthyThresholdCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<u32>,
    /// `unhealthyThresholdCount`: the consecutive failed checks that make a healthy target
    /// unhealthy (what decides when a task whose checks start failing is replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<u32>,
    /// `deregistrationDelaySeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deregistration_delay_seconds: Option<u32>,
}

impl TargetGroupSettings {
    /// `healthCheckIntervalSeconds`: ELB's range and default
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>).
    pub const INTERVAL_RANGE_S: std::ops::RangeInclusive<u32> = 5..=300;
    /// `healthCheckIntervalSeconds` when none is given.
    pub const DEFAULT_INTERVAL_S: u32 = 30;
    /// `healthyThresholdCount`'s range.
    pub const HEALTHY_THRESHOLD_RANGE: std::ops::RangeInclusive<u32> = 2..=10;
    /// `healthyThresholdCount` when none is given: a target group's default, or a Classic Load
    /// Balancer's (<https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-healthchecks.html>).
    pub fn default_healthy_threshold(classic: bool) -> u32 {
        if classic {
            10
        } else {
            5
        }
    }
    /// `unhealthyThresholdCount`'s range, the same for a target group and a Classic Load Balancer.
    pub const UNHEALTHY_THRESHOLD_RANGE: std::ops::RangeInclusive<u32> = 2..=10;
    /// `unhealthyThresholdCount` when none is given: 2 for a target group of every protocol
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>)
    /// and for a Classic Load Balancer
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-healthchecks.html>).
    pub const DEFAULT_UNHEALTHY_THRESHOLD: u32 = 2;
    /// `deregistrationDelaySeconds` (`deregistration_delay.timeout_seconds`)'s range.
    pub const DEREGISTRATION_DELAY_RANGE_S: std::ops::RangeInclusive<u32> = 0..=3600;
    /// `deregistrationDelaySeconds` when none is given.
    pub const DEFAULT_DEREGISTRATION_DELAY_S: u32 = 300;

    /// The interval, healthy threshold and deregistration delay in force for a load balancer
    /// (`classic`: a Classic Load Balancer), defaults filled in.
    pub fn in_force(&self, classic: bool) -> (u32, u32, u32) {
        (
            self.health_check_interval_seconds.unwrap_or(Self::DEFAULT_INTERVAL_S),
            self.healthy_threshold_count.unwrap_or(Self::default_healthy_threshold(classic)),
            self.deregistration_delay_seconds.unwrap_or(Self::DEFAULT_DEREGISTRATION_DELAY_S),
        )
    }

    /// The unhealthy threshold in force, the default filled in.
    pub fn unhealthy_threshold_in_force(&self) -> u32 {
        self.unhealthy_threshold_count.unwrap_or(Self::DEFAULT_UNHEALTHY_THRESHOLD)
    }
}

/// `NetworkConfiguration` of CreateService, RunTask and StartTask
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_NetworkConfiguration.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkConfiguration {
    /// `awsvpcConfiguration`: required for a task definition of network mode `awsvpc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// `AwsVpcConfiguration` (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html>):
/// "The IDs of the subnets associated with the task or service. There's a limit of 16 subnets",
/// "The IDs of the security groups associated with the task or service. ... There's a limit of 5
/// security groups", and `assignPublicIp` (`ENABLED` or `DISABLED`; only `DISABLED` for tasks on
/// EC2 instances). drainsim knows a subnet's Availability Zone from the engine's configuration
/// ([`crate::EngineConfig::subnet_zones`]); security groups are kept and described, not modelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AwsVpcConfiguration {
    /// `subnets`: 1 to 16 subnet IDs.
    pub subnets: Vec<String>,
    /// `securityGroups`: at most 5.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// `assignPublicIp`: `ENABLED` or `DISABLED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
}

/// The request of [CreateService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateServiceRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `serviceName`.
    pub service_name: String,
    /// `taskDefinition`.
    pub task_definition: String,
    /// `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i64>,
    /// `schedulingStrategy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<String>,
    /// `deploymentConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// `placementStrategy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_strategy: Vec<PlacementStrategy>,
    /// `placementConstraints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `loadBalancers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<LoadBalancer>,
    /// `healthCheckGracePeriodSeconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i64>,
    /// drainsim extension: the target group's health-check and deregistration settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group: Option<TargetGroupSettings>,
    /// `availabilityZoneRebalancing`: `ENABLED` or `DISABLED`. Absent, `ENABLED` for a service
    /// that can rebalance and `DISABLED` for one that cannot, as ECS defaults a new service
    /// (`Engine::az_rebalancing_setting`; docs/rollouts.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<String>,
    /// `launchType`: only `EC2` is modelled. With neither it nor a `capacityProviderStrategy`,
    /// the cluster's default capacity provider strategy applies, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    /// `capacityProviderStrategy`: which of the cluster's capacity providers its tasks run on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// `networkConfiguration`: for a task definition of network mode `awsvpc`, the subnets
    /// its task ENIs are created in ([`NetworkConfiguration`]). A task is placed only on an
    /// instance in the Availability Zone of one of them (docs/ecs-choices.md, "awsvpc subnets").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
}

/// The request of [UpdateService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateServiceRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `service`.
    pub service: String,
    /// `desiredCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<i64>,
    /// `deploymentConfiguration`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// `availabilityZoneRebalancing`: `ENABLED` or `DISABLED` (absent: the service's value stays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_zone_rebalancing: Option<String>,
    /// `placementStrategy`: absent, the service's strategy stays; given, it replaces it ("If no
    /// value is specified, the existing placement strategy for the service will remain unchanged.
    /// If this value is specified, it will override the existing placement strategy defined for
    /// the service. To remove an existing placement strategy, specify an empty object."); empty,
    /// the service places by drainsim's default for a service without one, as CreateService does
    /// (spread by zone, then by instance; docs/ecs-choices.md). Validated as CreateService
    /// validates it (at most 5 rules, none for a DAEMON service). It moves no running task: "This
    /// parameter doesn't trigger a new service deployment"; later placements and scale-ins follow it
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_strategy: Option<Vec<PlacementStrategy>>,
    /// `placementConstraints`: absent, the service's constraints stay; given, they replace them
    /// ("To remove all existing placement constraints, specify an empty array"), validated as
    /// CreateService validates them (at most 10 with the task definition's). A REPLICA service's
    /// running tasks stay where they are ("This parameter doesn't trigger a new service
    /// deployment", <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html>);
    /// a DAEMON service stops its tasks where the new expressions no longer hold, as its
    /// scheduler always does ("The service scheduler also evaluates the task placement constraints
    /// for running tasks and stops tasks that do not meet the placement constraints",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_constraints: Option<Vec<PlacementConstraint>>,
    /// `healthCheckGracePeriodSeconds`: absent, the service's value stays; validated as
    /// CreateService validates it (0 to 2,147,483,647). drainsim records and describes it; as at
    /// creation, it delays no passing check, only a failing one (`Engine::fail_health_checks_on`):
    /// no task of the service is found UNHEALTHY within it after the task started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i64>,
    /// `capacityProviderStrategy`: absent, the service's strategy stays; given, it replaces it for
    /// later placements (it "doesn't trigger a new service deployment": no running task moves);
    /// empty, the service goes back to the launch type (its tasks go to any instance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_provider_strategy: Option<Vec<CapacityProviderStrategyItem>>,
}

/// The request of [DeleteService](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteServiceRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `service`.
    pub service: String,
    /// `force`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// The request of [DescribeServices](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeServicesRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `services`.
    pub services: Vec<String>,
}

/// The request of [RunTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunTaskRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `taskDefinition`.
    pub task_definition: String,
    /// `count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `startedBy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// `placementStrategy`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_strategy: Vec<PlacementStrategy>,
    /// `placementConstraints`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `launchType`: only `EC2` is modelled. With neither it nor a `capacityProviderStrategy`,
    /// the cluster's default capacity provider strategy applies, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    /// `capacityProviderStrategy`: which of the cluster's capacity providers the tasks run on
    /// (the base and weights apply to this call's tasks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// `overrides`: the task-level `cpu` and `memory` the tasks have instead of their task
    /// definition's (what they reserve, are placed by and report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,
    /// `networkConfiguration`: for a task definition of network mode `awsvpc`, the subnets
    /// its task ENIs are created in ([`NetworkConfiguration`]). A task is placed only on an
    /// instance in the Availability Zone of one of them (docs/ecs-choices.md, "awsvpc subnets").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
}

/// `TaskOverride` (the members drainsim models): "The cpu override for the task" and "The memory
/// override for the task", strings read as a task definition's task-level `cpu` and `memory` are
/// (`"1024"`, `"1 vCPU"`; `"3072"`, `"3 GB"`), each in place of the task definition's
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html>).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskOverride {
    /// `cpu`: the task's CPU units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// `memory`: the task's MiB of memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

impl TaskOverride {
    /// Whether it overrides nothing.
    pub fn is_empty(&self) -> bool {
        self.cpu.is_none() && self.memory.is_none()
    }
}

/// The request of [StartTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StartTask.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTaskRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `taskDefinition`.
    pub task_definition: String,
    /// `containerInstances`.
    pub container_instances: Vec<String>,
    /// `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// `startedBy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// `overrides`: as RunTask's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<TaskOverride>,
    /// `networkConfiguration`: for a task definition of network mode `awsvpc`, the subnets
    /// its task ENIs are created in ([`NetworkConfiguration`]). A task is placed only on an
    /// instance in the Availability Zone of one of them (docs/ecs-choices.md, "awsvpc subnets").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
}

/// The request of [StopTask](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTaskRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `task`.
    pub task: String,
    /// `reason`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The request of [ListTasks](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTasksRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `containerInstance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_instance: Option<String>,
    /// `serviceName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// `desiredStatus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_status: Option<String>,
    /// `family`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// `startedBy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// `maxResults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// `nextToken`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// The request of [DescribeTasks](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DescribeTasksRequest {
    /// `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `tasks`.
    pub tasks: Vec<String>,
}

/// `ServiceEvent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEvent {
    /// `id`.
    pub id: String,
    /// `createdAt`.
    pub created_at: f64,
    /// `message`.
    pub message: String,
}

/// `Service` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// `serviceArn`.
    pub service_arn: String,
    /// `serviceName`.
    pub service_name: String,
    /// `clusterArn`.
    pub cluster_arn: String,
    /// `status`.
    pub status: String,
    /// `desiredCount`.
    pub desired_count: u32,
    /// `runningCount`.
    pub running_count: u32,
    /// `pendingCount`.
    pub pending_count: u32,
    /// `launchType` (`EC2`; absent for a service with a capacity provider strategy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<String>,
    /// `capacityProviderStrategy` (absent for a service with a launch type).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// `taskDefinition`.
    pub task_definition: String,
    /// `deploymentConfiguration`.
    pub deployment_configuration: DeploymentConfiguration,
    /// `placementStrategy`.
    pub placement_strategy: Vec<PlacementStrategy>,
    /// `placementConstraints`.
    pub placement_constraints: Vec<PlacementConstraint>,
    /// `loadBalancers`.
    pub load_balancers: Vec<LoadBalancer>,
    /// `networkConfiguration`, as CreateService gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    /// `healthCheckGracePeriodSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<i64>,
    /// `schedulingStrategy`.
    pub scheduling_strategy: String,
    /// `availabilityZoneRebalancing` (`ENABLED` or `DISABLED`).
    pub availability_zone_rebalancing: String,
    /// `events`.
    pub events: Vec<ServiceEvent>,
    /// `createdAt`.
    pub created_at: f64,
}

/// `Task` (the members drainsim models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// `taskArn`.
    pub task_arn: String,
    /// `clusterArn`.
    pub cluster_arn: String,
    /// `taskDefinitionArn`.
    pub task_definition_arn: String,
    /// `containerInstanceArn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_instance_arn: Option<String>,
    /// `lastStatus`.
    pub last_status: String,
    /// `desiredStatus`.
    pub desired_status: String,
    /// `cpu`: the CPU units it reserves (its `overrides.cpu` when it has one).
    pub cpu: String,
    /// `memory`: the MiB it reserves (its `overrides.memory` when it has one).
    pub memory: String,
    /// `overrides`: the task-level size its RunTask or StartTask gave it (as CPU units and MiB);
    /// absent when it has none.
    #[serde(default, skip_serializing_if = "TaskOverride::is_empty")]
    pub overrides: TaskOverride,
    /// `group`.
    pub group: String,
    /// `startedBy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// `version`.
    pub version: u64,
    /// `launchType`.
    pub launch_type: String,
    /// `availabilityZone`.
    pub availability_zone: String,
    /// `healthStatus`.
    pub health_status: String,
    /// `createdAt`.
    pub created_at: f64,
    /// `startedAt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<f64>,
    /// `stoppingAt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopping_at: Option<f64>,
    /// `stoppedAt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<f64>,
    /// `stopCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_code: Option<String>,
    /// `stoppedReason`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
    /// `attachments`.
    pub attachments: Vec<Attachment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ECS_CONTAINER_STOP_TIMEOUT` is read as the agent reads it (a Go duration, whole seconds),
    /// and what the agent would quietly replace is refused with the reason.
    #[test]
    fn agent_stop_timeout_reads_go_durations() {
        let seconds = |t: &str| AgentStopTimeout::parse(t).map(AgentStopTimeout::seconds);
        assert_eq!(seconds("5s"), Ok(5));
        assert_eq!(seconds("2m"), Ok(120));
        assert_eq!(seconds("1m30s"), Ok(90));
        assert_eq!(seconds("1.5s"), Ok(1));
        assert_eq!(seconds("1500ms"), Ok(1));
        assert_eq!(seconds("+1h"), Ok(3600));
        assert_eq!(seconds(".5m"), Ok(30));
        assert_eq!(seconds("2000000000us"), Ok(2000));
        let refused = |t: &str, why: &str| {
            let e = AgentStopTimeout::parse(t).expect_err(t);
            assert!(e.contains(why), "{t}: {e}");
        };
        refused("5", "missing unit");
        refused("", "not a duration");
        refused("0", "at least 1s");
        refused("500ms", "at least 1s");
        refused("-5s", "negative");
        refused("5 s", "unknown unit");
        refused("5sec", "unknown unit");
        refused("1.2.3s", "not a number");
        refused("s", "expected a number where 's' begins");
        refused("own", "expected a number where 'own' begins");
        refused("300000000h", "too long");
        refused("99999999999999999999999999999999999999999s", "too long");
        // Written back as whole seconds, and read again alike.
        let t = AgentStopTimeout::parse("1m30s").expect("valid");
        let text = serde_json::to_string(&AgentConfig { ecs_container_stop_timeout: Some(t) }).expect("serializes");
        assert_eq!(text, r#"{"ECS_CONTAINER_STOP_TIMEOUT":"90s"}"#);
        assert_eq!(
            serde_json::from_str::<AgentConfig>(&text).expect("reads"),
            AgentConfig { ecs_container_stop_timeout: Some(t) }
        );
        let e = serde_json::from_str::<AgentConfig>(r#"{"ECS_CONTAINER_STOP_TIMEOUT":"5"}"#).expect_err("no unit");
        assert!(e.to_string().contains("missing unit"), "{e}");
    }

    /// What the agent does with a value `parse` refuses: zero and what is not a duration leave
    /// its 30 s default, anything else under a second is raised to one.
    #[test]
    fn agent_stop_timeout_as_the_agent_reads_it() {
        let agent = |t: &str| AgentStopTimeout::as_the_agent_reads(t).map(AgentStopTimeout::seconds);
        assert_eq!(agent("2m"), Some(120));
        assert_eq!(agent(" 45s "), Some(45));
        assert_eq!(agent("1.5s"), Some(1));
        assert_eq!(agent("500ms"), Some(1));
        assert_eq!(agent("-5s"), Some(1));
        for default in ["5", "0", "0s", "", "soon", "5 s"] {
            assert_eq!(agent(default), None, "{default}");
        }
        assert_eq!(agent("2000000h"), Some(u32::MAX), "past 2^32 seconds it is held at the most a u32 holds");
    }
}
