//! Container instances: their state, the registration rules (resources, attributes, tags, ARN
//! format), and the container-instance operations RegisterContainerInstance,
//! DeregisterContainerInstance, DescribeContainerInstances, ListContainerInstances and
//! UpdateContainerInstancesState.

use crate::api::{self};
use crate::errors::EcsError;
use crate::infra::ids::{AttachmentId, ClusterId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::shared::ProfileId;
use crate::infra::time::SimTimeMs;
use crate::placement::Resources;
use crate::rules::lifecycle::{AgentUpdateStatus, InstanceStatus};

/// The consumable resources of an instance. PORTS/PORTS_UDP list the ports that are *in use* (the
/// agent's reserved ports at registration; remaining = reserved plus every task's host ports), as
/// ECS reports them.
/// What an instance shares with the instances registered alike: on a big cluster a handful of
/// profiles serve every instance (see [`crate::infra::shared`]). Changed copy-on-write
/// (`Engine::update_instance_profile`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InstanceProfile {
    /// The principal (instance role) that registered the instance.
    pub registered_by: Sym,
    pub agent_version: Option<Sym>,
    pub agent_hash: Option<Sym>,
    pub docker_version: Option<Sym>,
    /// Attributes sorted by name (`ecs.awsvpc-trunk-id` is kept on the instance).
    pub attributes: Vec<(Sym, Option<Sym>)>,
    pub tags: Vec<(Sym, Sym)>,
    /// `registeredResources` (never change).
    pub registered: Resources,
    pub custom_resources: Vec<CustomResource>,
    /// How long its agent waits after SIGTERM before it kills a container that gives no
    /// `stopTimeout`: its `ECS_CONTAINER_STOP_TIMEOUT`, else the agent's 30 s default
    /// ([`crate::state::task::AGENT_DEFAULT_STOP_TIMEOUT_MS`]).
    pub agent_stop_timeout_ms: SimTimeMs,
    /// Whether its agent applies a container's own `stopTimeout` (1.26.0 or later): derived from
    /// `agent_version` ([`crate::rules::versions::agent_honours_container_stop_timeout`]) and set
    /// with it (`Engine::set_agent_version`), so that a stop does not compare versions;
    /// `check_invariants` compares the two.
    pub honours_container_stop_timeout: bool,
    /// `agent_version` as the cluster query language orders it
    /// ([`crate::rules::query::version_key`]; None without a version or for one that is not
    /// dotted numbers): derived and set with it, so that evaluating `agentVersion >= 1.60.0` over
    /// a big cluster parses no version; `check_invariants` compares the two.
    pub agent_version_key: Option<Box<[u64]>>,
    /// `capacityProviderName`: the capacity provider of the Auto Scaling group that launched it
    /// (one of its cluster's providers when it registered).
    pub capacity_provider: Option<Sym>,
}

/// `totalResources` as parsed, before the port sets are interned (a rejected registration must
/// change nothing).
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedResources {
    pub cpu: i64,
    pub memory: i64,
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub custom: Vec<api::Resource>,
}

/// When an instance's drain started and ended (docs/ecs-choices.md), in 24 bytes (`NOT_YET` for a
/// moment that has not come).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DrainTimes {
    /// started, no running tasks, completed
    moments_ms: [SimTimeMs; 3],
}

const NOT_YET: SimTimeMs = SimTimeMs::MAX;

impl Default for DrainTimes {
    fn default() -> Self {
        DrainTimes { moments_ms: [NOT_YET; 3] }
    }
}

/// The three moments, each `None` until it comes (the record's `NOT_YET` is no time to show).
impl std::fmt::Debug for DrainTimes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DrainTimes")
            .field("started_at_ms", &self.started_at_ms())
            .field("no_running_at_ms", &self.no_running_at_ms())
            .field("completed_at_ms", &self.completed_at_ms())
            .finish()
    }
}

impl DrainTimes {
    /// A drain that starts now.
    pub(crate) fn starting_at(now_ms: SimTimeMs) -> Self {
        DrainTimes { moments_ms: [now_ms, NOT_YET, NOT_YET] }
    }
    fn get(&self, n: usize) -> Option<SimTimeMs> {
        (self.moments_ms[n] != NOT_YET).then_some(self.moments_ms[n])
    }
    /// The last transition to DRAINING.
    pub fn started_at_ms(&self) -> Option<SimTimeMs> {
        self.get(0)
    }
    /// When `runningTasksCount` first reached 0 after the drain started.
    pub fn no_running_at_ms(&self) -> Option<SimTimeMs> {
        self.get(1)
    }
    /// When every task on the instance had reached STOPPED (orphans excepted).
    pub fn completed_at_ms(&self) -> Option<SimTimeMs> {
        self.get(2)
    }
    /// How long the drain took, from its (last) start to its completion (`None` until it
    /// completes): a report's `drainCompletedAtMs` less its `drainStartedAtMs`.
    pub fn duration_ms(&self) -> Option<SimTimeMs> {
        let (started, completed) = (self.started_at_ms()?, self.completed_at_ms()?);
        Some(completed.checked_sub(started).expect("a drain completes after it starts"))
    }
    pub(crate) fn set_no_running_at(&mut self, now_ms: SimTimeMs) {
        self.moments_ms[1] = now_ms;
    }
    pub(crate) fn set_completed_at(&mut self, now_ms: SimTimeMs) {
        self.moments_ms[2] = now_ms;
    }
}

/// A custom resource of `totalResources` (not CPU, MEMORY or ports), kept as registered. Ordered by
/// its members (a DOUBLE by its bits) so that profiles can be shared.
#[derive(Debug, Clone)]
pub struct CustomResource(pub api::Resource);

impl CustomResource {
    fn key(&self) -> impl Ord + '_ {
        let r = &self.0;
        (&r.name, &r.resource_type, r.double_value.map(f64::to_bits), r.long_value, r.integer_value, &r.string_set_value)
    }
}

impl PartialEq for CustomResource {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for CustomResource {}
impl PartialOrd for CustomResource {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for CustomResource {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

/// An agent's stop sequence number: the order in which agents were told to stop tasks (the agent's
/// `StopSequenceNumber`). Every stop is of a different task and tasks are fewer than 2^32, so 4
/// bytes hold it (a stop in progress and a queued task's barrier are 8-byte entries).
pub(crate) type StopSequence = u32;

/// One container instance.
#[derive(Debug, Clone)]
pub struct InstanceState {
    pub cluster: ClusterId,
    pub name: Sym,
    pub long_arn: bool,
    /// The EC2 instance ID the registration gave; without one it is derived from the index
    /// ([`Engine::ec2_instance_id`](crate::engine::Engine::ec2_instance_id)).
    pub ec2_instance_id: Option<Sym>,
    pub instance_type: Sym,
    pub availability_zone: Sym,
    pub version: u64,
    /// What it shares with the instances registered alike.
    pub profile: ProfileId,
    /// The value of the `ecs.awsvpc-trunk-id` attribute while its trunk ENI is attached (unique to
    /// the instance, so not part of its profile).
    pub trunk_id_attribute: Option<Sym>,
    pub remaining: Resources,
    /// GPUs no task holds, of those it registered ([`Instances::gpu_devices`]).
    pub gpus_free: u8,
    pub status: InstanceStatus,
    pub status_reason: Option<Sym>,
    pub agent_connected: bool,
    pub running_tasks_count: u32,
    pub pending_tasks_count: u32,
    pub agent_update: Option<AgentUpdateStatus>,
    pub agent_update_epoch: u16,
    /// A scenario-injected failure of the next agent update, at this stage.
    pub agent_update_fail_at: Option<AgentUpdateStatus>,
    /// When it registered, in simulated ms: negative when before the run began
    /// ([`crate::api::InstanceIdentity::registered_at_ms`]).
    pub registered_at_ms: i64,
    /// Tasks on the instance that have not reached STOPPED (and are not orphaned).
    pub tasks: Vec<TaskId>,
    /// Whether the instance is in its cluster's placement index.
    pub indexed: bool,
    /// INACTIVE for longer than the describable window: no operation finds it any more.
    pub forgotten: bool,
    /// Its trunk ENI attachment, if it was registered with trunking.
    pub trunk: Option<AttachmentId>,
    /// Its trunk ENI failed to attach (the instance is or was REGISTRATION_FAILED).
    pub trunk_failed: bool,
    /// Task ENI limit fixed at registration (None: type not in the table and no explicit limit).
    pub task_eni_limit: Option<u16>,
    pub task_enis_in_use: u16,
    /// How many of `tasks` are a DAEMON service's: the instance runs another task while `tasks`
    /// holds more (managed scaling counts it as not empty).
    pub daemon_tasks: u16,
    pub drain: DrainTimes,
    /// How many of its tasks its agent was told to stop whose containers have not stopped yet:
    /// exactly its STOPPING tasks (the `stops-in-progress` invariant). Which stops an agent before
    /// 1.73.0 was told of first is kept beside, for those agents only ([`Instances::stop_begins`]).
    pub stops_in_progress: u32,
}

impl InstanceState {
    /// This instance's key in its cluster's placement index.
    pub fn index_key(&self, id: crate::infra::ids::InstanceId) -> crate::placement::IndexKey {
        crate::placement::IndexKey::of(id, &self.remaining, self.gpus_free, self.availability_zone, self.has_free_task_eni())
    }

    /// Whether an awsvpc task could take a task ENI here: fewer in use than the limit (`RESOURCE:ENI`
    /// otherwise, and always without a known limit; <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html>).
    pub fn has_free_task_eni(&self) -> bool {
        self.task_eni_limit.is_some_and(|limit| self.task_enis_in_use < limit)
    }

    /// Applies the change of one of its tasks' contribution to `runningTasksCount` and
    /// `pendingTasksCount`.
    fn apply_contribution(&mut self, old: crate::state::task::Contribution, new: crate::state::task::Contribution) {
        use crate::state::task::counter_moved;
        self.running_tasks_count = counter_moved(self.running_tasks_count, old.running, new.running, "runningTasksCount");
        self.pending_tasks_count = counter_moved(self.pending_tasks_count, old.pending, new.pending, "pendingTasksCount");
    }

    /// Records when, during its drain, `runningTasksCount` first reached 0 and when its last task
    /// stopped (docs/ecs-choices.md: the drain is complete when every task is STOPPED). Returns
    /// whether the drain completed now.
    #[inline]
    fn note_drain_progress(&mut self, now_ms: SimTimeMs) -> bool {
        if self.status != InstanceStatus::Draining || self.drain.started_at_ms().is_none() {
            return false;
        }
        if self.running_tasks_count == 0 && self.drain.no_running_at_ms().is_none() {
            self.drain.set_no_running_at(now_ms);
        }
        let completes = self.tasks.is_empty() && self.drain.completed_at_ms().is_none();
        if completes {
            self.drain.set_completed_at(now_ms);
        }
        completes
    }

    /// Whether the instance accepts placements: ACTIVE with a connected agent (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>).
    pub fn is_placeable(&self) -> bool {
        self.status == InstanceStatus::Active && self.agent_connected
    }
}

/// The attribute naming an instance's trunk ENI once it is attached.
pub const TRUNK_ID_ATTRIBUTE: &str = "ecs.awsvpc-trunk-id";
pub use crate::rules::rebalancing::AVAILABILITY_ZONE_ATTRIBUTE;

/// The attribute names every container instance gets from ECS, and the values drainsim gives the
/// fixed ones (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html#attributes>),
/// interned when the engine is built: a registration and a placement read them without hashing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuiltinAttributes {
    pub instance_type: Sym,
    pub availability_zone: Sym,
    pub os_type: Sym,
    pub cpu_architecture: Sym,
    pub task_eni: Sym,
    pub task_eni_trunking: Sym,
    pub trunk_id: Sym,
    /// The value of `ecs.os-type`.
    pub linux: Sym,
    /// The value of `ecs.cpu-architecture`.
    pub x86_64: Sym,
}

impl BuiltinAttributes {
    /// How many strings the built-in names are: an engine interns them first, so they are its
    /// interner's first strings.
    pub(crate) fn strings(&self) -> usize {
        let BuiltinAttributes {
            instance_type,
            availability_zone,
            os_type,
            cpu_architecture,
            task_eni,
            task_eni_trunking,
            trunk_id,
            linux,
            x86_64,
        } = *self;
        [instance_type, availability_zone, os_type, cpu_architecture, task_eni, task_eni_trunking, trunk_id, linux, x86_64]
            .into_iter()
            .map(|s| s.number())
            .max()
            .expect("nine names")
    }

    pub(crate) fn intern(strings: &mut crate::infra::intern::Interner) -> Self {
        BuiltinAttributes {
            instance_type: strings.intern("ecs.instance-type"),
            availability_zone: strings.intern(AVAILABILITY_ZONE_ATTRIBUTE),
            os_type: strings.intern("ecs.os-type"),
            cpu_architecture: strings.intern("ecs.cpu-architecture"),
            task_eni: strings.intern("ecs.capability.task-eni"),
            task_eni_trunking: strings.intern("ecs.capability.task-eni-trunking"),
            trunk_id: strings.intern(TRUNK_ID_ATTRIBUTE),
            linux: strings.intern("linux"),
            x86_64: strings.intern("x86_64"),
        }
    }
}

/// Custom attribute limits (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>).
pub const MAX_CUSTOM_ATTRIBUTES: usize = 10;
/// Tag limits (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>).
pub const MAX_TAGS: usize = 50;
/// DescribeContainerInstances accepts at most this many instances.
pub const MAX_DESCRIBE_INSTANCES: usize = 100;
/// UpdateContainerInstancesState accepts at most this many instances (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html>).
pub const MAX_UPDATE_STATE_INSTANCES: usize = 10;

/// An attribute name: 1-128 letters, numbers, hyphens, underscores, forward and back slashes and
/// periods ([Attribute](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attribute.html)).
pub(crate) fn valid_attribute_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '\\' | '.'))
}

/// An attribute value: 1-128 letters, numbers, hyphens, underscores, periods, at signs, forward and
/// back slashes, colons and spaces, not at either end ([Attribute](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Attribute.html)).
pub(crate) fn valid_attribute_value(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '\\' | '.' | '@' | ':' | ' '))
}

/// A tag key (1-128 characters) or value (at most 256): letters, separators, numbers and
/// `_ . : / = + - @`, the model's pattern `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
/// ([Tag](https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html)).
pub(crate) fn valid_tag_text(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&text.chars().count())
        && text.chars().all(|c| {
            c.is_alphanumeric()
                || (c.is_whitespace() && !c.is_control())
                || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
        })
}

/// Parses a `Resource` list into resources. CPU and MEMORY are INTEGER and required; PORTS and
/// PORTS_UDP are STRINGSETs of port numbers; anything else is a custom resource kept as given.
pub(crate) fn parse_total_resources(list: &[api::Resource]) -> Result<ParsedResources, EcsError> {
    let mut res = ParsedResources::default();
    let (mut cpu, mut mem) = (None, None);
    let mut custom = Vec::new();
    // CPU, MEMORY, PORTS and PORTS_UDP given twice are refused: which one ECS would keep is not
    // documented, and the agent sends each once (drainsim kept the last, silently). Flags, not a
    // set: a registration allocates nothing more for it.
    let mut given = [false; 4];
    for r in list {
        if let Some(k) = ["CPU", "MEMORY", "PORTS", "PORTS_UDP"].iter().position(|n| *n == r.name) {
            if std::mem::replace(&mut given[k], true) {
                return Err(EcsError::invalid_parameter(format!("Resource {} is given twice in totalResources.", r.name)));
            }
        }
        let integer = || {
            if r.resource_type != "INTEGER" {
                return Err(EcsError::invalid_parameter(format!("Resource {} must have type INTEGER.", r.name)));
            }
            match r.integer_value {
                Some(v) if v >= 0 && v <= i32::MAX as i64 => Ok(v),
                // `integerValue` is a 32-bit Integer in the ECS API model (the Rust field is wider).
                Some(v) => Err(EcsError::invalid_parameter(format!(
                    "Resource {} needs an integerValue from 0 to {}; {v} given.",
                    r.name,
                    i32::MAX
                ))),
                None => Err(EcsError::invalid_parameter(format!("Resource {} needs a non-negative integerValue.", r.name))),
            }
        };
        let ports = || -> Result<Vec<u16>, EcsError> {
            if r.resource_type != "STRINGSET" {
                return Err(EcsError::invalid_parameter(format!("Resource {} must have type STRINGSET.", r.name)));
            }
            let mut ps = Vec::with_capacity(r.string_set_value.as_ref().map_or(0, Vec::len));
            for p in r.string_set_value.iter().flatten() {
                let v: u16 =
                    p.parse().ok().filter(|v| *v > 0).ok_or_else(|| {
                        EcsError::invalid_parameter(format!("Resource {}: '{p}' is not a port number.", r.name))
                    })?;
                ps.push(v);
            }
            ps.sort_unstable();
            ps.dedup();
            Ok(ps)
        };
        match r.name.as_str() {
            "CPU" => cpu = Some(integer()?),
            "MEMORY" => mem = Some(integer()?),
            "PORTS" => res.ports_tcp = ports()?,
            "PORTS_UDP" => res.ports_udp = ports()?,
            // The agent sends GPUs as `platformDevices`, from which ECS makes the GPU resource.
            "GPU" => {
                return Err(EcsError::invalid_parameter(
                    "Resource GPU is not given in totalResources: a container instance registers its GPUs as platformDevices.",
                ))
            }
            _ => {
                if !matches!(r.resource_type.as_str(), "INTEGER" | "DOUBLE" | "LONG" | "STRINGSET") {
                    return Err(EcsError::invalid_parameter(format!(
                        "Resource {} has type '{}'; valid types are INTEGER, DOUBLE, LONG, STRINGSET.",
                        r.name, r.resource_type
                    )));
                }
                custom.push(r.clone());
            }
        }
    }
    res.cpu = cpu.ok_or_else(|| EcsError::invalid_parameter("totalResources must include CPU."))?;
    res.memory = mem.ok_or_else(|| EcsError::invalid_parameter("totalResources must include MEMORY."))?;
    res.custom = custom;
    Ok(res)
}

/// Reads `platformDevices`: the IDs of the instance's GPUs, in the order given. Each device is a
/// `GPU` with a non-empty ID given once, and an instance has at most [`MAX_GPUS_PER_INSTANCE`].
pub(crate) fn parse_platform_devices(list: &[api::PlatformDevice]) -> Result<Vec<&str>, EcsError> {
    if list.len() > MAX_GPUS_PER_INSTANCE {
        return Err(EcsError::invalid_parameter(format!(
            "platformDevices lists {} GPUs; drainsim models at most {MAX_GPUS_PER_INSTANCE} per container instance.",
            list.len()
        )));
    }
    let mut ids: Vec<&str> = Vec::with_capacity(list.len());
    for (n, d) in list.iter().enumerate() {
        match d.device_type.as_str() {
            "GPU" => {}
            "NEURON_DEVICE" => {
                return Err(EcsError::invalid_parameter(format!(
                    "platformDevices[{n}]: drainsim does not model NEURON_DEVICE devices, only GPU."
                )))
            }
            other => {
                return Err(EcsError::invalid_parameter(format!(
                    "platformDevices[{n}]: type '{other}' is not valid; valid values are [GPU, NEURON_DEVICE]."
                )))
            }
        }
        if d.id.is_empty() || d.id.len() > 255 {
            return Err(EcsError::invalid_parameter(format!("platformDevices[{n}]: a GPU's id is 1-255 characters.")));
        }
        if ids.contains(&d.id.as_str()) {
            return Err(EcsError::invalid_parameter(format!("platformDevices[{n}]: GPU '{}' is listed twice.", d.id)));
        }
        ids.push(&d.id);
    }
    Ok(ids)
}

/// Validates `maxResults` (1..=limit) and returns the page size.
pub(crate) fn page_size(max_results: Option<i64>, limit: usize) -> Result<usize, EcsError> {
    match max_results {
        None => Ok(limit),
        Some(m) if m >= 1 && m <= limit as i64 => Ok(m as usize),
        Some(m) => Err(EcsError::invalid_parameter(format!("maxResults must be between 1 and {limit}; {m} given."))),
    }
}

/// Renders a 128-bit id: 32 hex digits (new format) or a hyphenated UUID (old format, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>).
pub(crate) fn render_id(uuid: u128, long: bool) -> String {
    id_text(uuid, long).as_str().to_string()
}

/// An ID's text as [`render_id`] writes it, on the stack: comparing a reference with an ID, or
/// writing it into an ARN, needs no string of its own.
pub(crate) struct IdText {
    bytes: [u8; 36],
    len: usize,
}

impl IdText {
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("hex digits and hyphens are ASCII")
    }
}

/// The text of an ID: 32 lowercase hex digits, most significant first, with hyphens before the
/// 9th, 13th, 17th and 21st digit in the old format (8-4-4-4-12).
pub(crate) fn id_text(uuid: u128, long: bool) -> IdText {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = IdText { bytes: [0; 36], len: 0 };
    for digit in 0..32 {
        if !long && matches!(digit, 8 | 12 | 16 | 20) {
            text.bytes[text.len] = b'-';
            text.len += 1;
        }
        text.bytes[text.len] = HEX[(uuid >> (124 - 4 * digit) & 0xf) as usize];
        text.len += 1;
    }
    text
}

/// Parses either id format back into its 128-bit value.
pub(crate) fn parse_id(s: &str) -> Option<u128> {
    // Read in place (every ARN a request names is parsed here): hyphens skipped, each other byte an
    // ASCII hex digit, exactly 32 of them.
    let mut value: u128 = 0;
    let mut digits = 0;
    for b in s.bytes().filter(|b| *b != b'-') {
        let digit = char::from(b).to_digit(16).filter(|_| b.is_ascii())?;
        digits += 1;
        if digits > 32 {
            return None;
        }
        value = value << 4 | u128::from(digit);
    }
    (digits == 32).then_some(value)
}

/// The container-instance table: every instance ever registered, in registration order, with the
/// key of their IDs, the index of their names and the values they share (profiles and port sets).
/// It owns the records: outside this module an instance is read through `Index` and changed only
/// through the methods below.
#[derive(Debug, Clone)]
pub(crate) struct Instances {
    records: crate::infra::ids::ChunkedVec<InstanceState>,
    /// Container instance IDs are a keyed bijection of the index (no lookup table).
    uuids: crate::infra::ids::IdScrambler,
    by_name: std::collections::BTreeMap<Sym, crate::infra::ids::InstanceId>,
    /// What instances registered alike share ([`InstanceProfile`]).
    profiles: crate::infra::shared::SharedTable<InstanceProfile, ProfileId>,
    /// Port sets in use (`PortSetId(0)` is the empty set).
    port_sets: crate::infra::shared::SharedTable<Vec<u16>, crate::infra::shared::PortSetId>,
    /// Each instance's agent queue: the tasks placed on it that its agent has not started yet, in
    /// the order they arrived, each with the stop sequence number current when it arrived (an
    /// entry exists only while its queue is not empty).
    agent_queues: std::collections::BTreeMap<Id, std::collections::VecDeque<(TaskId, StopSequence)>>,
    /// The next stop sequence number (one sequence for every agent: only the order matters).
    next_stop_sequence: StopSequence,
    /// Per instance whose agent is older than 1.73.0 (an entry only while it has one): the stops
    /// in progress that began under such an agent, with their stop sequence numbers (the agent's
    /// `StopSequenceNumber`), in sequence order, since that agent starts a queued task only once
    /// every stop it was told of before has finished. A deque: stops mostly end in the order they
    /// began, so the one that ends is found near the front. A current agent waits for resources,
    /// not for stops, so its stops are only counted (`InstanceState::stops_in_progress`): a drain
    /// of 20,000 instances allocates nothing for them.
    sequenced_stops: std::collections::BTreeMap<Id, std::collections::VecDeque<(StopSequence, TaskId)>>,
    /// When each instance's `agentConnected` last changed, for those whose did since registration.
    connection_changed_at: std::collections::BTreeMap<Id, SimTimeMs>,
    /// Container instance IDs given at registration (instances captured from a real cluster),
    /// both ways; every other instance's ID is its scrambled index.
    given_uuids: std::collections::BTreeMap<u128, Id>,
    given_uuid_of: std::collections::BTreeMap<Id, u128>,
    /// Each task's position in its instance's task list, when the list is long: a task leaves the
    /// list in constant time.
    list_positions: crate::infra::ids::TaskListPositions,
    /// ACTIVE instances per cluster (by cluster index): a DAEMON service's desired count without
    /// counting the cluster's instances.
    active_per_cluster: Vec<u32>,
    /// The instances, not INACTIVE, whose task ENI limit is unknown (their type is not in the
    /// table and the registration gave none), by cluster: awsvpc requests are refused while a
    /// cluster has one, and this finds the first without a scan.
    unknown_eni_limit: std::collections::BTreeSet<(crate::infra::ids::ClusterId, Id)>,
    /// The ACTIVE instances whose agent is disconnected, by cluster then registration: a
    /// placement that finds no placeable instance, or room only behind a disconnected agent,
    /// ranks them without a scan of the cluster (`engine/placement.rs::closest_disconnected`).
    disconnected_active: std::collections::BTreeSet<(crate::infra::ids::ClusterId, Id)>,
    /// How many instances have become INACTIVE (deregistered, or terminated by EC2) so far.
    became_inactive: u64,
    /// The instances that went away, in that order: those that became INACTIVE, and those EC2
    /// terminated while ECS keeps them registered (their agent disconnected,
    /// [`Instances::note_gone_registered`]). A watcher of a set of instances (a Spot group) reads
    /// those since it last looked, not its whole set.
    inactive_order: Vec<Id>,
    /// When each INACTIVE instance became INACTIVE (kept for those only: a chart's lane of an
    /// instance that went away with its tasks, [`InstanceView::inactive_at_ms`](crate::InstanceView::inactive_at_ms)).
    inactive_at_ms: std::collections::BTreeMap<Id, SimTimeMs>,
    /// When each instance whose last drain was cancelled (set ACTIVE again before it completed)
    /// was set ACTIVE: kept for those only, dropped when it drains again.
    drain_cancelled_at_ms: std::collections::BTreeMap<Id, SimTimeMs>,
    /// The first request to set each instance DRAINING that ECS refused (the instance was in a
    /// status that cannot move, `UpdateContainerInstancesState`'s per-instance failure): when, and
    /// that status. Only for instances that had one.
    drain_refused: std::collections::BTreeMap<Id, (SimTimeMs, InstanceStatus)>,
    /// The instances whose drain completed, in that order (an instance drained twice is there
    /// twice): a watcher of some drains (an Auto Scaling group's lifecycle waits) reads those
    /// since it last looked, not every instance it watches.
    drained_order: Vec<Id>,
    /// The GPUs of each instance that registered any ([`GpuDevices`]): few instances have them,
    /// so the others keep no word for them.
    gpu_devices: std::collections::BTreeMap<Id, GpuDevices>,
}

/// The most GPUs one instance may register: the instance table keeps which of them tasks hold as
/// one bit each of a `u64`. The largest GPU instance types have 8 (p4d, p5) or 16 (p2.16xlarge).
pub const MAX_GPUS_PER_INSTANCE: usize = 64;

/// The GPUs an instance registered (its `platformDevices` of type `GPU`, in the order given) and
/// which of them tasks hold: bit `n` of `held` is `ids[n]`. ECS pins GPUs to a task's containers
/// when it places the task; drainsim gives a task the lowest-numbered free ones
/// (docs/ecs-choices.md, "GPUs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuDevices {
    pub ids: Box<[Sym]>,
    pub held: u64,
}

impl GpuDevices {
    /// The bits of the GPUs no task holds.
    pub fn free(&self) -> u64 {
        let all = if self.ids.len() == 64 { u64::MAX } else { (1u64 << self.ids.len()) - 1 };
        all & !self.held
    }
}

/// The IDs of the GPUs whose bits `mask` sets, in registration order.
pub(crate) fn gpus_of(devices: &GpuDevices, mask: u64) -> impl Iterator<Item = Sym> + '_ {
    devices.ids.iter().enumerate().filter(move |(n, _)| mask >> n & 1 == 1).map(|(_, id)| *id)
}

impl std::ops::Index<usize> for Instances {
    type Output = InstanceState;
    fn index(&self, n: usize) -> &InstanceState {
        &self.records[n]
    }
}

type Id = crate::infra::ids::InstanceId;

/// The first instance of `cluster` in a set ordered by cluster then registration.
fn first_in_cluster(
    set: &std::collections::BTreeSet<(crate::infra::ids::ClusterId, Id)>,
    cluster: crate::infra::ids::ClusterId,
) -> Option<Id> {
    let first = crate::infra::ids::InstanceId(0);
    set.range((cluster, first)..).next().filter(|(c, _)| *c == cluster).map(|(_, id)| *id)
}

impl crate::infra::recycle::Recycle for Instances {
    fn reset_to(&mut self, fresh: Self) {
        let Instances {
            records,
            uuids,
            by_name,
            profiles,
            port_sets,
            agent_queues,
            next_stop_sequence,
            sequenced_stops,
            connection_changed_at,
            given_uuids,
            given_uuid_of,
            list_positions,
            active_per_cluster,
            unknown_eni_limit,
            disconnected_active,
            became_inactive,
            inactive_order,
            inactive_at_ms,
            drain_cancelled_at_ms,
            drain_refused,
            drained_order,
            gpu_devices,
        } = fresh;
        self.records.reset_to(records);
        self.uuids = uuids;
        self.by_name = by_name;
        self.profiles.reset_to(profiles);
        self.port_sets.reset_to(port_sets);
        self.agent_queues = agent_queues;
        self.next_stop_sequence = next_stop_sequence;
        self.sequenced_stops = sequenced_stops;
        self.connection_changed_at = connection_changed_at;
        self.given_uuids = given_uuids;
        self.given_uuid_of = given_uuid_of;
        self.list_positions.reset_to(list_positions);
        self.active_per_cluster.reset_to(active_per_cluster);
        self.unknown_eni_limit = unknown_eni_limit;
        self.disconnected_active = disconnected_active;
        self.became_inactive = became_inactive;
        self.inactive_order = inactive_order;
        self.inactive_at_ms = inactive_at_ms;
        self.drain_cancelled_at_ms = drain_cancelled_at_ms;
        self.drain_refused = drain_refused;
        self.drained_order = drained_order;
        self.gpu_devices = gpu_devices;
    }
}

impl Instances {
    /// An empty table whose IDs are scrambled with `id_key`.
    pub(crate) fn new(id_key: u128) -> Self {
        let mut port_sets = crate::infra::shared::SharedTable::default();
        let empty = port_sets.intern(&Vec::new());
        debug_assert_eq!(empty, crate::infra::shared::PortSetId::default());
        Instances {
            records: Default::default(),
            uuids: crate::infra::ids::IdScrambler::new(id_key),
            by_name: Default::default(),
            profiles: Default::default(),
            port_sets,
            agent_queues: Default::default(),
            next_stop_sequence: 0,
            sequenced_stops: Default::default(),
            connection_changed_at: Default::default(),
            given_uuids: Default::default(),
            given_uuid_of: Default::default(),
            list_positions: Default::default(),
            active_per_cluster: Vec::new(),
            unknown_eni_limit: Default::default(),
            disconnected_active: Default::default(),
            became_inactive: 0,
            inactive_order: Vec::new(),
            inactive_at_ms: Default::default(),
            drain_cancelled_at_ms: Default::default(),
            drain_refused: Default::default(),
            drained_order: Vec::new(),
            gpu_devices: Default::default(),
        }
    }

    /// How many drains have completed so far.
    pub(crate) fn drains_completed(&self) -> u64 {
        self.drained_order.len() as u64
    }

    /// The instances whose drain completed after the first `seen` completions, in that order.
    pub(crate) fn drains_completed_since(&self, seen: u64) -> &[Id] {
        &self.drained_order[usize::try_from(seen).expect("fewer than 2^64 drains").min(self.drained_order.len())..]
    }

    /// How many instances have become INACTIVE so far.
    pub(crate) fn became_inactive(&self) -> u64 {
        self.became_inactive
    }

    /// How many instances have gone away so far: become INACTIVE, or been terminated by EC2 while
    /// ECS keeps them registered.
    pub(crate) fn gone(&self) -> u64 {
        self.inactive_order.len() as u64
    }

    /// The instances that went away after the first `seen` ([`Self::gone`]), in that order.
    pub(crate) fn gone_since(&self, seen: u64) -> &[Id] {
        &self.inactive_order[usize::try_from(seen).expect("fewer than 2^64 instances").min(self.inactive_order.len())..]
    }

    /// EC2 terminated the instance while its agent was disconnected: ECS keeps it registered, but
    /// it is gone for whoever watches the instances that went away (a Spot group replaces it).
    pub(crate) fn note_gone_registered(&mut self, id: Id) {
        debug_assert!(self.records[id.index()].status != InstanceStatus::Inactive, "an INACTIVE instance went away once");
        self.inactive_order.push(id);
    }

    /// When the instance's last drain was cancelled (it was set ACTIVE again before the drain
    /// completed), if it was and has not drained since.
    pub(crate) fn drain_cancelled_at_ms(&self, id: Id) -> Option<SimTimeMs> {
        self.drain_cancelled_at_ms.get(&id).copied()
    }

    /// A request to set the instance DRAINING was refused at `now_ms`, its status `status` being
    /// one that cannot move: the first refusal is kept.
    pub(crate) fn note_drain_refused(&mut self, id: Id, now_ms: SimTimeMs, status: InstanceStatus) {
        debug_assert!(!matches!(status, InstanceStatus::Active | InstanceStatus::Draining), "ACTIVE and DRAINING can move");
        self.drain_refused.entry(id).or_insert((now_ms, status));
    }

    /// The first request to set the instance DRAINING that was refused: when, and its status then.
    pub(crate) fn drain_refused(&self, id: Id) -> Option<(SimTimeMs, InstanceStatus)> {
        self.drain_refused.get(&id).copied()
    }

    /// The instances a request to set DRAINING was refused for, in registration order.
    pub(crate) fn drain_refused_ids(&self) -> impl Iterator<Item = Id> + '_ {
        self.drain_refused.keys().copied()
    }

    /// When the instance became INACTIVE, if it is.
    pub(crate) fn inactive_at_ms(&self, id: Id) -> Option<SimTimeMs> {
        self.inactive_at_ms.get(&id).copied()
    }

    /// Every instance, not INACTIVE, without a known task ENI limit, by cluster then registration.
    pub(crate) fn without_eni_limit(&self) -> impl Iterator<Item = (crate::infra::ids::ClusterId, Id)> + '_ {
        self.unknown_eni_limit.iter().copied()
    }

    /// The cluster's first registered instance, not INACTIVE, without a known task ENI limit.
    pub(crate) fn first_without_eni_limit(&self, cluster: crate::infra::ids::ClusterId) -> Option<Id> {
        first_in_cluster(&self.unknown_eni_limit, cluster)
    }

    /// Every ACTIVE instance whose agent is disconnected, by cluster then registration.
    pub(crate) fn disconnected_active(&self) -> impl Iterator<Item = (crate::infra::ids::ClusterId, Id)> + '_ {
        self.disconnected_active.iter().copied()
    }

    /// The cluster's first registered ACTIVE instance whose agent is disconnected.
    pub(crate) fn first_disconnected_active(&self, cluster: crate::infra::ids::ClusterId) -> Option<Id> {
        first_in_cluster(&self.disconnected_active, cluster)
    }

    /// The cluster's ACTIVE instances whose agent is disconnected, in registration order.
    pub(crate) fn disconnected_active_in(&self, cluster: crate::infra::ids::ClusterId) -> impl Iterator<Item = Id> + '_ {
        let first = crate::infra::ids::InstanceId(0);
        self.disconnected_active.range((cluster, first)..).take_while(move |(c, _)| *c == cluster).map(|(_, id)| *id)
    }

    /// Files an instance in `disconnected_active`, or takes it out, by its status and agent now.
    fn refile_disconnected(&mut self, id: Id) {
        let i = &self.records[id.index()];
        let key = (i.cluster, id);
        if i.status == InstanceStatus::Active && !i.agent_connected {
            self.disconnected_active.insert(key);
        } else {
            self.disconnected_active.remove(&key);
        }
    }

    /// The cluster's ACTIVE instances.
    pub(crate) fn active_in_cluster(&self, cluster: crate::infra::ids::ClusterId) -> u32 {
        self.active_per_cluster.get(cluster.index()).copied().unwrap_or(0)
    }

    /// Counts an instance entering (`+1`) or leaving (`-1`) ACTIVE.
    fn count_active(&mut self, cluster: crate::infra::ids::ClusterId, entering: bool) {
        if self.active_per_cluster.len() <= cluster.index() {
            self.active_per_cluster.resize(cluster.index() + 1, 0);
        }
        let n = &mut self.active_per_cluster[cluster.index()];
        *n = if entering { n.checked_add(1) } else { n.checked_sub(1) }.expect("the ACTIVE count stays within 0..2^32");
    }

    /// Instances ever registered.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Every instance record, in registration order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &InstanceState> {
        self.records.iter()
    }

    /// Adds a registered instance; its name now finds it.
    pub(crate) fn push(&mut self, state: InstanceState) -> Id {
        let id = crate::infra::ids::InstanceId(u32::try_from(self.records.len()).expect("fewer than 2^32 instances"));
        self.by_name.insert(state.name, id);
        if state.status == InstanceStatus::Active {
            self.count_active(state.cluster, true);
        }
        if state.task_eni_limit.is_none() && state.status != InstanceStatus::Inactive {
            self.unknown_eni_limit.insert((state.cluster, id));
        }
        self.records.push(state);
        self.refile_disconnected(id);
        id
    }

    /// The instance last registered under this name.
    pub(crate) fn by_name(&self, name: Sym) -> Option<Id> {
        self.by_name.get(&name).copied()
    }

    /// The instance's 128-bit ID.
    pub(crate) fn uuid(&self, id: Id) -> u128 {
        match self.given_uuid_of.get(&id) {
            Some(u) => *u,
            None => self.uuids.scramble(id.0),
        }
    }

    /// Whether `uuid` is free to give the next instance: no instance has it.
    pub(crate) fn uuid_is_free(&self, uuid: u128) -> bool {
        self.by_uuid(uuid).is_none() && !self.given_uuids.contains_key(&uuid)
    }

    /// Gives the instance just pushed the 128-bit ID `uuid` (checked free with `uuid_is_free`).
    pub(crate) fn give_uuid(&mut self, id: Id, uuid: u128) {
        assert!(self.uuid_is_free(uuid), "a given container instance ID is unique");
        assert!(self.given_uuid_of.insert(id, uuid).is_none(), "an instance's ID is given once");
        self.given_uuids.insert(uuid, id);
    }

    /// 64 bits of the instance's ID key stream (its derived EC2 instance ID).
    pub(crate) fn uuid64(&self, id: Id) -> u64 {
        self.uuids.scramble64(id.0)
    }

    /// The instance with this 128-bit ID, if one was registered.
    pub(crate) fn by_uuid(&self, uuid: u128) -> Option<Id> {
        if let Some(id) = self.given_uuids.get(&uuid) {
            return Some(*id);
        }
        // An instance with a given ID is not found by the ID its index would have had.
        self.uuids
            .unscramble(uuid, self.records.len())
            .map(crate::infra::ids::InstanceId)
            .filter(|id| !self.given_uuid_of.contains_key(id))
    }

    /// What the instance shares with the instances registered alike.
    pub(crate) fn profile(&self, id: Id) -> &InstanceProfile {
        self.profiles.get(self.records[id.index()].profile)
    }

    /// The value of one attribute: `None` if the instance lacks it, `Some(None)` if it has no
    /// value. `trunk_id` is the name `ecs.awsvpc-trunk-id`, whose value the record keeps apart
    /// from the shared profile.
    pub(crate) fn attribute(&self, id: Id, name: Sym, trunk_id: Sym) -> Option<Option<Sym>> {
        if let Some(value) = self.records[id.index()].trunk_id_attribute {
            if trunk_id == name {
                return Some(Some(value));
            }
        }
        self.profile(id).attributes.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Every distinct profile (a handful: instances registered alike share one).
    pub(crate) fn profiles(&self) -> impl Iterator<Item = &InstanceProfile> {
        self.profiles.values()
    }

    /// Interns a profile for a new registration.
    pub(crate) fn intern_profile(&mut self, profile: InstanceProfile) -> ProfileId {
        self.profiles.intern_owned(profile)
    }

    /// Changes an instance's profile (copy-on-write: other instances keep theirs).
    pub(crate) fn update_profile(&mut self, id: Id, f: impl FnOnce(&mut InstanceProfile)) {
        let profile = self.records[id.index()].profile;
        self.records[id.index()].profile = self.profiles.modified(profile, f);
    }

    /// A port set by id.
    pub(crate) fn port_set(&self, id: crate::infra::shared::PortSetId) -> &[u16] {
        self.port_sets.get(id)
    }

    /// Every interned port set (what the placement index resolves port classes with).
    pub(crate) fn port_sets(&self) -> &crate::placement::PortSets {
        &self.port_sets
    }

    /// The id of a port set, if any instance or port class has used it.
    pub(crate) fn lookup_port_set(&self, ports: &Vec<u16>) -> Option<crate::infra::shared::PortSetId> {
        self.port_sets.lookup(ports)
    }

    /// Interns a port set.
    pub(crate) fn intern_port_set(&mut self, ports: &Vec<u16>) -> crate::infra::shared::PortSetId {
        self.port_sets.intern(ports)
    }

    /// A port set changed copy-on-write.
    pub(crate) fn modified_port_set(
        &mut self,
        id: crate::infra::shared::PortSetId,
        f: impl FnOnce(&mut Vec<u16>),
    ) -> crate::infra::shared::PortSetId {
        self.port_sets.modified(id, f)
    }

    /// One more `version` (every change that would emit an ECS event, <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>).
    pub(crate) fn bump_version(&mut self, id: Id) {
        let i = &mut self.records[id.index()];
        i.version = i.version.checked_add(1).expect("version overflows");
    }

    /// Moves `status` to `to` at `now_ms` (the caller checked the transition): entering DRAINING
    /// starts a drain (its moments are the instance's own, docs/ecs-choices.md).
    pub(crate) fn set_status(&mut self, id: Id, to: InstanceStatus, now_ms: SimTimeMs) {
        let (from, cluster) = (self.records[id.index()].status, self.records[id.index()].cluster);
        if (from == InstanceStatus::Active) != (to == InstanceStatus::Active) {
            self.count_active(cluster, to == InstanceStatus::Active);
        }
        debug_assert!(from != InstanceStatus::Inactive || to == InstanceStatus::Inactive, "INACTIVE is final");
        if to == InstanceStatus::Inactive {
            self.unknown_eni_limit.remove(&(cluster, id));
            if from != InstanceStatus::Inactive {
                self.became_inactive = self.became_inactive.checked_add(1).expect("fewer than 2^64 instances");
                self.inactive_order.push(id);
                let first = self.inactive_at_ms.insert(id, now_ms);
                debug_assert!(first.is_none(), "an instance becomes INACTIVE once");
            }
        }
        let i = &mut self.records[id.index()];
        i.status = to;
        if to == InstanceStatus::Draining {
            i.drain = DrainTimes::starting_at(now_ms);
            self.drain_cancelled_at_ms.remove(&id);
        } else if from == InstanceStatus::Draining && to == InstanceStatus::Active && i.drain.completed_at_ms().is_none() {
            self.drain_cancelled_at_ms.insert(id, now_ms);
        }
        self.refile_disconnected(id);
    }

    /// `statusReason`.
    pub(crate) fn set_status_reason(&mut self, id: Id, reason: Sym) {
        self.records[id.index()].status_reason = Some(reason);
    }

    /// Whether the instance is in its cluster's placement index.
    pub(crate) fn set_indexed(&mut self, id: Id, indexed: bool) {
        self.records[id.index()].indexed = indexed;
    }

    /// An INACTIVE instance past its describable window: no operation finds it any more.
    pub(crate) fn forget(&mut self, id: Id) {
        let i = &mut self.records[id.index()];
        if i.status == InstanceStatus::Inactive {
            i.forgotten = true;
        }
    }

    /// `agentConnected`.
    pub(crate) fn set_agent_connected(&mut self, id: Id, connected: bool, now_ms: SimTimeMs) {
        let i = &mut self.records[id.index()];
        debug_assert_ne!(i.agent_connected, connected, "agentConnected changes");
        i.agent_connected = connected;
        self.connection_changed_at.insert(id, now_ms);
        self.refile_disconnected(id);
    }

    /// `agentUpdateStatus` moves to `status`; returns the epoch that stamps its next stage event.
    pub(crate) fn set_agent_update(&mut self, id: Id, status: AgentUpdateStatus) -> u16 {
        let i = &mut self.records[id.index()];
        i.agent_update = Some(status);
        i.agent_update_epoch = i.agent_update_epoch.wrapping_add(1);
        i.agent_update_epoch
    }

    /// The stage at which the next agent update fails (a scenario's fault), or none.
    pub(crate) fn set_agent_update_fail_at(&mut self, id: Id, stage: Option<AgentUpdateStatus>) {
        self.records[id.index()].agent_update_fail_at = stage;
    }

    /// The instance's trunk ENI attachment.
    pub(crate) fn set_trunk(&mut self, id: Id, attachment: AttachmentId) {
        self.records[id.index()].trunk = Some(attachment);
    }

    /// The instance's trunk ENI failed to attach: it is not trunked, now or later.
    pub(crate) fn mark_trunk_failed(&mut self, id: Id) {
        let i = &mut self.records[id.index()];
        assert!(i.trunk.is_some() && i.trunk_id_attribute.is_none(), "only a trunk that never attached fails");
        i.trunk_failed = true;
    }

    /// The `ecs.awsvpc-trunk-id` attribute's value while the trunk is attached.
    pub(crate) fn set_trunk_id_attribute(&mut self, id: Id, value: Option<Sym>) {
        self.records[id.index()].trunk_id_attribute = value;
    }

    /// A task placed on the instance (it holds a task ENI if `awsvpc`; `daemon`: a DAEMON
    /// service's).
    pub(crate) fn add_task(&mut self, id: Id, task: TaskId, awsvpc: bool, daemon: bool) {
        let i = &mut self.records[id.index()];
        debug_assert!(i.is_placeable(), "a task placed on an instance that is not placeable");
        self.list_positions.push(&mut i.tasks, task);
        if awsvpc {
            i.task_enis_in_use = i.task_enis_in_use.checked_add(1).expect("task ENIs in use overflow");
        }
        if daemon {
            i.daemon_tasks = i.daemon_tasks.checked_add(1).expect("fewer than 2^16 DAEMON tasks on an instance");
        }
    }

    /// A task placed on the instance reaches its agent and joins the end of the agent's queue,
    /// remembering which stops the agent had been told of before it.
    pub(crate) fn enqueue_for_agent(&mut self, id: Id, task: TaskId) {
        let barrier = self.next_stop_sequence;
        self.agent_queues.entry(id).or_default().push_back((task, barrier));
    }

    /// The instance's agent queue, oldest first, with each task's stop sequence barrier.
    pub(crate) fn agent_queue(&self, id: Id) -> impl Iterator<Item = (TaskId, StopSequence)> + '_ {
        self.agent_queues.get(&id).into_iter().flat_map(|q| q.iter().copied())
    }

    /// A task leaves the instance's agent queue (admitted, or stopped before it was).
    pub(crate) fn dequeue_for_agent(&mut self, id: Id, task: TaskId) {
        let queue = self.agent_queues.get_mut(&id).expect("the task's instance has an agent queue");
        let pos = queue.iter().position(|(t, _)| *t == task).expect("the task is in its instance's agent queue");
        queue.remove(pos);
        if queue.is_empty() {
            self.agent_queues.remove(&id);
        }
    }

    /// The agent is told to stop a task on the instance: the stop gets the next sequence number,
    /// which is kept (`sequenced`) when the agent is one that waits for earlier stops (before
    /// 1.73.0); a current agent's stop is only counted.
    pub(crate) fn stop_begins(&mut self, id: Id, task: TaskId, sequenced: bool) {
        let seq = self.next_stop_sequence;
        // A task's stop begins once and tasks are fewer than 2^32 (`Tasks::push`).
        self.next_stop_sequence = seq.checked_add(1).expect("fewer than 2^32 stops");
        let i = &mut self.records[id.index()];
        i.stops_in_progress = i.stops_in_progress.checked_add(1).expect("fewer than 2^32 stops");
        if sequenced {
            let stops = self.sequenced_stops.entry(id).or_default();
            debug_assert!(stops.iter().all(|(_, t)| *t != task), "a task's stop begins once");
            stops.push_back((seq, task));
        }
    }

    /// The containers of a task whose stop began (a STOPPING task of the instance) have stopped,
    /// or the task was orphaned while STOPPING.
    pub(crate) fn stop_ends(&mut self, id: Id, task: TaskId) {
        let i = &mut self.records[id.index()];
        i.stops_in_progress = i.stops_in_progress.checked_sub(1).expect("a stop ends only after it began");
        if let Some(stops) = self.sequenced_stops.get_mut(&id) {
            if let Some(pos) = stops.iter().position(|(_, t)| *t == task) {
                stops.remove(pos);
                if stops.is_empty() {
                    self.sequenced_stops.remove(&id);
                }
            }
        }
    }

    /// The stops in progress on the instance that began under an agent before 1.73.0, in sequence
    /// order (for the invariants).
    pub(crate) fn sequenced_stops(&self, id: Id) -> impl Iterator<Item = (StopSequence, TaskId)> + '_ {
        self.sequenced_stops.get(&id).into_iter().flat_map(|s| s.iter().copied())
    }

    /// When the instance's `agentConnected` last changed (its registration, or the run's start for
    /// an instance registered before it, if never since).
    /// The instances not INACTIVE whose agent is disconnected, in registration order: read from
    /// the instances whose connection ever changed (every instance registers connected), without
    /// a walk of the others.
    pub(crate) fn away_agents(&self) -> impl Iterator<Item = Id> + '_ {
        self.connection_changed_at.keys().copied().filter(|id| {
            let i = &self.records[id.index()];
            !i.agent_connected && i.status != InstanceStatus::Inactive
        })
    }

    pub(crate) fn connection_changed_at_ms(&self, id: Id) -> SimTimeMs {
        let registered = SimTimeMs::try_from(self.records[id.index()].registered_at_ms).unwrap_or(0);
        self.connection_changed_at.get(&id).copied().unwrap_or(registered)
    }

    /// Whether the agent of the instance was told to stop a task whose containers still run.
    pub(crate) fn has_stops_in_progress(&self, id: Id) -> bool {
        self.records[id.index()].stops_in_progress > 0
    }

    /// Whether every stop the instance's agent was told of before sequence number `barrier` has
    /// finished (what an agent before 1.73.0 waits for). A stop that began while the instance ran
    /// a current agent has no sequence number kept; an older agent that took over (a
    /// re-registration with an older version) is taken to have been told of it before any task it
    /// queued, so it waits for it (docs/ecs-choices.md).
    pub(crate) fn stops_before_finished(&self, id: Id, barrier: StopSequence) -> bool {
        let sequenced = self.sequenced_stops.get(&id);
        let unsequenced = (self.records[id.index()].stops_in_progress as usize)
            .checked_sub(sequenced.map_or(0, |s| s.len()))
            .expect("every stop kept in sequence is counted");
        unsequenced == 0 && sequenced.and_then(|s| s.front()).is_none_or(|(seq, _)| *seq >= barrier)
    }

    /// The log of drain completions to corrupt, for the tests of the invariant checker.
    #[cfg(test)]
    pub(crate) fn drained_order_mut_for_test(&mut self) -> &mut Vec<Id> {
        &mut self.drained_order
    }

    /// An instance record to corrupt, for the tests of the invariant checker.
    #[cfg(test)]
    pub(crate) fn record_mut_for_test(&mut self, id: Id) -> &mut InstanceState {
        &mut self.records[id.index()]
    }

    /// The position of a task in `instance`'s list, if it lists it (for the invariants).
    pub(crate) fn list_position(&self, instance: Id, task: TaskId) -> Option<usize> {
        self.list_positions.position(&self.records[instance.index()].tasks, task)
    }

    /// Whether the list positions agree with the lists: a position is recorded for exactly the
    /// tasks of long lists (for the invariants; each list's own tasks are checked with
    /// [`Instances::list_position`]).
    pub(crate) fn list_positions_counted(&self) -> bool {
        self.list_positions.counted_for(self.records.iter().map(|i| i.tasks.as_slice()))
    }

    /// A task leaves the instance (STOPPED or orphaned), with its task ENI if it held one: in
    /// constant time, however many tasks the instance runs.
    pub(crate) fn remove_task(&mut self, id: Id, task: TaskId, held_eni: bool, daemon: bool) {
        let i = &mut self.records[id.index()];
        self.list_positions.remove(&mut i.tasks, task);
        if daemon {
            i.daemon_tasks = i.daemon_tasks.checked_sub(1).expect("a DAEMON task on the instance to remove");
        }
        if i.tasks.is_empty() {
            // A drained instance keeps no capacity for tasks it will not get back.
            i.tasks = Vec::new();
        }
        if held_eni {
            i.task_enis_in_use = i.task_enis_in_use.checked_sub(1).expect("a task ENI in use to release");
        }
    }

    /// Applies the change of one of its tasks' contribution to its counters, and notes the
    /// progress of its drain at `now_ms`.
    pub(crate) fn apply_contribution(
        &mut self,
        id: Id,
        old: crate::state::task::Contribution,
        new: crate::state::task::Contribution,
        now_ms: SimTimeMs,
    ) {
        let i = &mut self.records[id.index()];
        i.apply_contribution(old, new);
        if i.note_drain_progress(now_ms) {
            self.drained_order.push(id);
        }
    }

    /// Notes the progress of the instance's drain at `now_ms`.
    pub(crate) fn note_drain_progress(&mut self, id: Id, now_ms: SimTimeMs) {
        if self.records[id.index()].note_drain_progress(now_ms) {
            self.drained_order.push(id);
        }
    }

    /// Records the GPUs a newly registered instance gave (none held yet).
    pub(crate) fn set_gpu_devices(&mut self, id: Id, ids: Box<[Sym]>) {
        assert!(ids.len() <= MAX_GPUS_PER_INSTANCE, "registration bounds the GPUs");
        assert_eq!(ids.len(), usize::from(self.records[id.index()].gpus_free), "the GPUs registered are all free");
        if !ids.is_empty() {
            let before = self.gpu_devices.insert(id, GpuDevices { ids, held: 0 });
            assert!(before.is_none(), "an instance registers its GPUs once");
        }
    }

    /// The GPUs of an instance, if it registered any.
    pub(crate) fn gpu_devices(&self, id: Id) -> Option<&GpuDevices> {
        self.gpu_devices.get(&id)
    }

    /// Every instance's GPUs, in instance order.
    pub(crate) fn all_gpu_devices(&self) -> impl Iterator<Item = (Id, &GpuDevices)> {
        self.gpu_devices.iter().map(|(id, d)| (*id, d))
    }

    /// Pins the `count` lowest-numbered free GPUs of an instance to a task and returns their bits
    /// (0 for none). The caller takes `count` from the instance's remaining GPUs with them.
    pub(crate) fn take_gpus(&mut self, id: Id, count: u32) -> u64 {
        if count == 0 {
            return 0;
        }
        let d = self.gpu_devices.get_mut(&id).expect("placement gives GPUs only on an instance that has them");
        let mut free = d.free();
        assert!(free.count_ones() >= count, "placement found {count} GPUs free");
        let mut taken = 0u64;
        for _ in 0..count {
            let lowest = free & free.wrapping_neg();
            taken |= lowest;
            free &= !lowest;
        }
        d.held |= taken;
        debug_assert_eq!(taken.count_ones(), count);
        taken
    }

    /// Frees the GPUs whose bits `mask` sets, which a task held.
    pub(crate) fn give_back_gpus(&mut self, id: Id, mask: u64) {
        if mask == 0 {
            return;
        }
        let d = self.gpu_devices.get_mut(&id).expect("a task held GPUs of its instance");
        assert_eq!(d.held & mask, mask, "a task gives back only the GPUs it held");
        d.held &= !mask;
    }

    /// Changes the remaining resources and the free GPU count; returns the instance's placement
    /// key before and after.
    pub(crate) fn update_remaining(
        &mut self,
        id: Id,
        f: impl FnOnce(&mut Resources, &mut u8),
    ) -> (crate::placement::IndexKey, crate::placement::IndexKey) {
        let i = &mut self.records[id.index()];
        let before = i.index_key(id);
        f(&mut i.remaining, &mut i.gpus_free);
        (before, i.index_key(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_lasts_from_its_start_to_its_completion() {
        let mut d = DrainTimes::starting_at(30_000);
        assert_eq!(d.duration_ms(), None, "not complete yet");
        d.set_no_running_at(50_000);
        assert_eq!(d.duration_ms(), None);
        d.set_completed_at(82_000);
        assert_eq!(d.duration_ms(), Some(52_000));
        assert_eq!(DrainTimes::default().duration_ms(), None, "never started");
    }

    /// What `parse_id` accepts, said the slow way: the hyphens dropped, 32 ASCII hex digits left.
    fn parse_id_reference(s: &str) -> Option<u128> {
        let hex: String = s.chars().filter(|c| *c != '-').collect();
        if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u128::from_str_radix(&hex, 16).ok()
    }

    #[test]
    fn id_text_is_the_formatted_hex() {
        let by_format = |uuid: u128, long: bool| {
            let hex = format!("{uuid:032x}");
            if long {
                hex
            } else {
                format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
            }
        };
        let mut uuid: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
        for _ in 0..1000 {
            for long in [false, true] {
                assert_eq!(render_id(uuid, long), by_format(uuid, long));
            }
            uuid = uuid.rotate_left(7).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835) ^ 1;
        }
        for uuid in [0, 1, u128::MAX, 1 << 127] {
            for long in [false, true] {
                assert_eq!(render_id(uuid, long), by_format(uuid, long));
            }
        }
    }

    #[test]
    fn ids_parse_in_both_formats_and_nothing_else() {
        let value = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        for long in [false, true] {
            assert_eq!(parse_id(&render_id(value, long)), Some(value), "long format {long}");
        }
        let uppercase = "0123456789ABCDEFFEDCBA9876543210";
        assert_eq!(parse_id(uppercase), Some(value));
        for bad in [
            "",
            "-",
            "0123",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
            "+123456789abcdef0123456789abcdef",
            "é123456789abcdef0123456789abcde",
        ] {
            assert_eq!(parse_id(bad), None, "{bad:?}");
        }
        // Random strings over the characters that matter agree with the reference.
        let alphabet: Vec<char> = "0123456789abcdefABCDEFg-+ é".chars().collect();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut valid = 0;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = 28 + (x >> 60) as usize;
            let s: String = (0..len)
                .map(|i| {
                    let r = x.rotate_left(i as u32 * 7) >> 32;
                    // Mostly hex digits, so that many strings are valid or nearly so.
                    if r % 8 != 0 {
                        alphabet[(r % 16) as usize]
                    } else {
                        alphabet[(r % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            assert_eq!(parse_id(&s), parse_id_reference(&s), "{s:?}");
            valid += usize::from(parse_id(&s).is_some());
        }
        assert!(valid > 100, "only {valid} of the random strings were IDs");
    }
}
