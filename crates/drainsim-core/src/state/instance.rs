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

/// When an instance's drain started and ended (reference §9.11), in 24 bytes (`NOT_YET` for a
/// moment that has not come).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One container instance.
#[derive(Debug, Clone)]
pub struct InstanceState {
    pub cluster: ClusterId,
    pub name: Sym,
    pub long_arn: bool,
    /// The EC2 instance ID the registration gave; without one it is derived from the index
    /// ([`Engine::ec2_instance_id`]).
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
    pub status: InstanceStatus,
    pub status_reason: Option<Sym>,
    pub agent_connected: bool,
    pub running_tasks_count: u32,
    pub pending_tasks_count: u32,
    pub agent_update: Option<AgentUpdateStatus>,
    pub agent_update_epoch: u16,
    /// A scenario-injected failure of the next agent update, at this stage.
    pub agent_update_fail_at: Option<AgentUpdateStatus>,
    pub registered_at_ms: SimTimeMs,
    /// Tasks on the instance that have not reached STOPPED (and are not orphaned).
    pub tasks: Vec<TaskId>,
    /// Whether the instance is in its cluster's placement index.
    pub indexed: bool,
    /// INACTIVE for longer than the describable window: no operation finds it any more.
    pub forgotten: bool,
    /// Its trunk ENI attachment, if it was registered with trunking.
    pub trunk: Option<AttachmentId>,
    /// Task ENI limit fixed at registration (None: type not in the table and no explicit limit).
    pub task_eni_limit: Option<u16>,
    pub task_enis_in_use: u16,
    pub drain: DrainTimes,
}

impl InstanceState {
    /// This instance's key in its cluster's placement index.
    pub fn index_key(&self, id: crate::infra::ids::InstanceId) -> crate::placement::IndexKey {
        crate::placement::IndexKey::of(id, &self.remaining, self.availability_zone)
    }

    /// Applies the change of one of its tasks' contribution to `runningTasksCount` and
    /// `pendingTasksCount`.
    pub(crate) fn apply_contribution(&mut self, old: crate::state::task::Contribution, new: crate::state::task::Contribution) {
        use crate::state::task::counter_moved;
        self.running_tasks_count = counter_moved(self.running_tasks_count, old.running, new.running, "runningTasksCount");
        self.pending_tasks_count = counter_moved(self.pending_tasks_count, old.pending, new.pending, "pendingTasksCount");
    }

    /// Records when, during its drain, `runningTasksCount` first reached 0 and when its last task
    /// stopped (reference §9.11: the drain is complete when every task is STOPPED).
    pub(crate) fn note_drain_progress(&mut self, now_ms: SimTimeMs) {
        if self.status != InstanceStatus::Draining || self.drain.started_at_ms().is_none() {
            return;
        }
        if self.running_tasks_count == 0 && self.drain.no_running_at_ms().is_none() {
            self.drain.set_no_running_at(now_ms);
        }
        if self.tasks.is_empty() && self.drain.completed_at_ms().is_none() {
            self.drain.set_completed_at(now_ms);
        }
    }

    /// Whether the instance accepts placements: ACTIVE with a connected agent (reference §2.3).
    pub fn is_placeable(&self) -> bool {
        self.status == InstanceStatus::Active && self.agent_connected
    }
}

/// The attribute naming an instance's trunk ENI once it is attached.
pub const TRUNK_ID_ATTRIBUTE: &str = "ecs.awsvpc-trunk-id";

/// Custom attribute limits (reference §3.3).
pub const MAX_CUSTOM_ATTRIBUTES: usize = 10;
/// Tag limits (reference §3.3).
pub const MAX_TAGS: usize = 50;
/// DescribeContainerInstances accepts at most this many instances.
pub const MAX_DESCRIBE_INSTANCES: usize = 100;
/// UpdateContainerInstancesState accepts at most this many instances (reference §1.1).
pub const MAX_UPDATE_STATE_INSTANCES: usize = 10;

pub(crate) fn valid_attribute_name(name: &str) -> bool {
    (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
}

pub(crate) fn valid_attribute_value(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.' | '@' | ':' | ' '))
}

/// Parses a `Resource` list into resources. CPU and MEMORY are INTEGER and required; PORTS and
/// PORTS_UDP are STRINGSETs of port numbers; anything else is a custom resource kept as given.
pub(crate) fn parse_total_resources(list: &[api::Resource]) -> Result<ParsedResources, EcsError> {
    let mut res = ParsedResources::default();
    let (mut cpu, mut mem) = (None, None);
    let mut custom = Vec::new();
    for r in list {
        let integer = || {
            if r.resource_type != "INTEGER" {
                return Err(EcsError::invalid_parameter(format!("Resource {} must have type INTEGER.", r.name)));
            }
            match r.integer_value {
                Some(v) if v >= 0 && v <= i32::MAX as i64 => Ok(v),
                _ => Err(EcsError::invalid_parameter(format!("Resource {} needs a non-negative integerValue.", r.name))),
            }
        };
        let ports = || -> Result<Vec<u16>, EcsError> {
            if r.resource_type != "STRINGSET" {
                return Err(EcsError::invalid_parameter(format!("Resource {} must have type STRINGSET.", r.name)));
            }
            let mut ps = Vec::new();
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

/// Validates `maxResults` (1..=limit) and returns the page size.
pub(crate) fn page_size(max_results: Option<i64>, limit: usize) -> Result<usize, EcsError> {
    match max_results {
        None => Ok(limit),
        Some(m) if m >= 1 && m <= limit as i64 => Ok(m as usize),
        Some(m) => Err(EcsError::invalid_parameter(format!("maxResults must be between 1 and {limit}; {m} given."))),
    }
}

/// Renders a 128-bit id: 32 hex digits (new format) or a hyphenated UUID (old format, reference §5).
pub(crate) fn render_id(uuid: u128, long: bool) -> String {
    let hex = format!("{uuid:032x}");
    if long {
        hex
    } else {
        format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
    }
}

/// Parses either id format back into its 128-bit value.
pub(crate) fn parse_id(s: &str) -> Option<u128> {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}
