//! The task operations (RegisterTaskDefinition, RunTask, StartTask, StopTask, ListTasks,
//! DescribeTasks), the task lifecycle mutators and resource reservation, over the tables of
//! [`crate::state::task`].

use crate::api::{self, Failure, Response};
use crate::engine::Reply;
use crate::errors::EcsError;
use crate::infra::faults::AgentHeld;
use crate::infra::ids::{AttachmentId, ClusterId, InstanceId, ServiceId, TaskDefId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::queue::EventKind;
pub use crate::infra::shared::OriginId;
use crate::infra::time::{SimTimeMs, SECOND_MS};
use crate::placement::{Requirements, Strategy};
use crate::rules::lifecycle::InstanceStatus;
use crate::rules::lifecycle::TaskStatus;
use crate::rules::settings::SettingName;
use crate::rules::transitions::LegalChanges;
use crate::state::service::{BreachCause, SchedulingStrategy, SpreadPlace};
use crate::state::task::*;
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;

/// The most GPUs one container, or one task, may reserve: no instance registers more
/// ([`crate::state::instance::MAX_GPUS_PER_INSTANCE`]).
const MAX_TASK_GPUS: u32 = crate::state::instance::MAX_GPUS_PER_INSTANCE as u32;

/// The GPUs a task definition's containers reserve (their `resourceRequirements` of type `GPU`,
/// summed): "the number of physical GPUs the Amazon ECS container agent reserves for the
/// container", and "the number of GPUs reserved for all containers in a task cannot exceed the
/// number of available GPUs on the container instance the task is launched on"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-gpu-specifying.html>).
/// A whole number of GPUs, once per container; `ALL`, fractions and GPU sharing, Elastic Inference
/// and Neuron devices are refused as not modelled.
pub(crate) fn task_gpus(containers: &[api::ContainerDefinition]) -> Result<u32, EcsError> {
    let mut total: u32 = 0;
    for c in containers {
        let mut gpu_given = false;
        for r in &c.resource_requirements {
            match r.requirement_type.as_str() {
                "GPU" => {}
                "InferenceAccelerator" | "NeuronDevice" => {
                    return Err(EcsError::client(format!(
                        "Container {}: drainsim does not model {} resource requirements, only GPU.",
                        c.name, r.requirement_type
                    )))
                }
                other => {
                    return Err(EcsError::client(format!(
                        "Container {}: resource requirement type '{other}' is not valid; valid values are [GPU, InferenceAccelerator, NeuronDevice].",
                        c.name
                    )))
                }
            }
            if gpu_given {
                return Err(EcsError::client(format!("Container {} gives its GPU resource requirement twice.", c.name)));
            }
            gpu_given = true;
            let count = r.value.parse::<u32>().ok().filter(|n| (1..=MAX_TASK_GPUS).contains(n)).ok_or_else(|| {
                EcsError::client(format!(
                    "Container {}: GPU value '{}' is not a whole number of GPUs from 1 to {MAX_TASK_GPUS} (drainsim does not model ALL, fractional GPUs or GPU sharing).",
                    c.name, r.value
                ))
            })?;
            total = total.saturating_add(count);
        }
    }
    if total > MAX_TASK_GPUS {
        return Err(EcsError::client(format!(
            "The containers reserve {total} GPUs; no container instance has more than {MAX_TASK_GPUS}."
        )));
    }
    Ok(total)
}

impl Engine {
    // ----- task definitions -----

    pub(crate) fn register_task_definition(&mut self, req: &api::RegisterTaskDefinitionRequest) -> Result<Reply, EcsError> {
        if req.family.is_empty()
            || req.family.len() > 255
            || !req.family.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(EcsError::client("Family must be 1-255 letters, numbers, hyphens and underscores."));
        }
        if req.container_definitions.is_empty() {
            return Err(EcsError::client("Container definitions must not be empty."));
        }
        let network_mode = match req.network_mode.as_deref().unwrap_or("bridge") {
            "bridge" => NetworkMode::Bridge,
            "host" => NetworkMode::Host,
            "awsvpc" => NetworkMode::Awsvpc,
            "none" => NetworkMode::None,
            other => {
                return Err(EcsError::client(format!(
                    "networkMode '{other}' is not valid; valid values are [bridge, host, awsvpc, none]."
                )))
            }
        };
        // "If the network mode is none, you cannot specify port mappings in your container
        // definitions" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#network_mode>).
        if network_mode == NetworkMode::None && req.container_definitions.iter().any(|c| !c.port_mappings.is_empty()) {
            return Err(EcsError::client("Port mappings are not allowed when the network mode is none."));
        }
        // A port mapping names its container port: ECS refuses one without it ("Invalid
        // 'containerPort' setting for container 'container_1'." for a mapping of a `hostPort` alone,
        // <https://github.com/aws/aws-cli/issues/7288>; the same for an empty mapping,
        // <https://github.com/aws/aws-cdk/issues/8762>). ECS's other form, a `containerPortRange`,
        // is not modelled.
        if let Some(c) = req.container_definitions.iter().find(|c| c.port_mappings.iter().any(|pm| pm.container_port.is_none())) {
            return Err(EcsError::client(format!("Invalid 'containerPort' setting for container '{}'.", c.name)));
        }
        // "If you use containers in a task with the awsvpc or host network mode, the hostPort can
        // either be left blank or set to the same value as the containerPort"
        // (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html>); ECS
        // refuses another with "When networkMode=awsvpc, the host ports and container ports in
        // port mappings must match." (as public captures quote it, e.g.
        // <https://github.com/pulumi/pulumi-awsx/issues/935>).
        if matches!(network_mode, NetworkMode::Awsvpc | NetworkMode::Host) {
            let mismatched = req.container_definitions.iter().flat_map(|c| &c.port_mappings).any(|pm| {
                match (pm.host_port, pm.container_port) {
                    (Some(host), Some(container)) => host != 0 && host != container,
                    _ => false,
                }
            });
            if mismatched {
                let mode = if network_mode == NetworkMode::Awsvpc { "awsvpc" } else { "host" };
                return Err(EcsError::client(format!(
                    "When networkMode={mode}, the host ports and container ports in port mappings must match."
                )));
            }
        }
        let task_cpu = req.cpu.as_deref().map(parse_task_cpu).transpose()?;
        let task_mem = req.memory.as_deref().map(parse_task_memory).transpose()?;
        for c in &req.container_definitions {
            // "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens"
            // (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html>).
            if c.name.is_empty()
                || c.name.len() > 255
                || !c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                return Err(EcsError::client(format!(
                    "Container name '{}' must be 1-255 letters, numbers, underscores and hyphens.",
                    c.name
                )));
            }
        }
        // ECS's ClientException, word for word, as public captures of RegisterTaskDefinition
        // quote it (<https://github.com/Shippable/support/issues/2946>,
        // <https://github.com/metaps/genova/issues/291>); names compare exactly.
        let mut names: Vec<&str> = req.container_definitions.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return Err(EcsError::client("Container names must be unique within a Task Definition."));
        }
        check_essential_container(&req.container_definitions)?;
        // The containers' memory fits in the task's, and without a task memory each container
        // reserves its own ("you must specify either a task-level memory value or a
        // container-level memory value", ContainerDefinition API reference).
        let containers_memory: i64 = req.container_definitions.iter().map(|c| c.memory.unwrap_or(0) as i64).sum();
        match task_mem {
            Some(m) => check_task_memory_holds_containers(m, containers_memory)?,
            None => {
                if let Some(c) = req.container_definitions.iter().find(|c| c.memory.is_none()) {
                    return Err(EcsError::client(format!(
                        "Container {} must reserve memory: give it memory, or give the task a memory value.",
                        c.name
                    )));
                }
            }
        }
        let cpu = task_cpu.unwrap_or_else(|| req.container_definitions.iter().map(|c| c.cpu.unwrap_or(0) as i64).sum());
        let memory = task_mem.unwrap_or(containers_memory);
        if memory <= 0 {
            return Err(EcsError::client("The task definition must reserve memory (task memory or container memory)."));
        }
        let mut ports_tcp = Vec::new();
        let mut ports_udp = Vec::new();
        let mut health: Option<SimTimeMs> = None;
        let mut unhealthy_after: Option<SimTimeMs> = None;
        let mut unhealthy_from_start: Option<SimTimeMs> = None;
        let mut essential_unchecked = false;
        let mut container_stops = Vec::with_capacity(req.container_definitions.len());
        let mut containers = Vec::with_capacity(req.container_definitions.len());
        for c in &req.container_definitions {
            let host_of = |pm: &api::PortMapping| match network_mode {
                NetworkMode::Bridge | NetworkMode::None => pm.host_port.unwrap_or(0),
                NetworkMode::Host | NetworkMode::Awsvpc => pm.host_port.or(pm.container_port).unwrap_or(0),
            };
            // Every mapping names its container port (checked above); each with its host port
            // (the first mapping's, for a container port mapped twice).
            let mut mapped: Vec<(u16, u16)> =
                c.port_mappings.iter().filter_map(|pm| pm.container_port.map(|p| (p, host_of(pm)))).collect();
            mapped.sort_by_key(|(p, _)| *p);
            mapped.dedup_by_key(|(p, _)| *p);
            containers.push((c.name.as_str(), mapped));
            for pm in &c.port_mappings {
                let host = host_of(pm);
                // The protocol is checked on every mapping, as RegisterTaskDefinition checks it:
                // a dynamic or awsvpc mapping reserves nothing, but "sctp" is no more valid there.
                let udp = match pm.protocol.as_deref().unwrap_or("tcp") {
                    "tcp" => false,
                    "udp" => true,
                    p => return Err(EcsError::client(format!("protocol '{p}' is not valid; valid values are [tcp, udp]."))),
                };
                if network_mode == NetworkMode::Awsvpc || host == 0 {
                    continue; // awsvpc tasks and dynamic host ports reserve no host port
                }
                if udp {
                    ports_udp.push(host);
                } else {
                    ports_tcp.push(host);
                }
            }
            if let Some(h) = &c.health_check {
                check_health_check_command(&c.name, h)?;
                // Only the interval changes a run; the others are checked so that a task definition
                // ECS would refuse is refused here too.
                let interval = h.interval_s();
                for ((member, range), value) in api::HealthCheck::RANGES.iter().zip(h.values()) {
                    if value.is_some_and(|v| !range.contains(&v)) {
                        let unit = if *member == "retries" { "" } else { " seconds" };
                        return Err(EcsError::client(format!(
                            "healthCheck {member} must be between {} and {}{unit}.",
                            range.start(),
                            range.end()
                        )));
                    }
                }
                // Only essential containers' checks decide (a container is essential unless it says
                // otherwise). The first check runs one interval after the container starts and,
                // passing, makes it HEALTHY at once, even within startPeriod ("If a health check
                // succeeds within the startPeriod, then the container is considered healthy",
                // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
                // A container whose check fails is UNHEALTHY once `retries` checks in a row failed
                // ("The number of times to retry a failed health check before the container is
                // considered unhealthy"), not counting those within `startPeriod` of its start
                // ("Health check failures during this period aren't counted towards the maximum
                // number of retries"); the first essential container to be makes the task
                // UNHEALTHY. Checks run every `interval` from the container's start.
                if c.essential != Some(false) {
                    let ms = interval as u64 * SECOND_MS;
                    health = Some(health.map_or(ms, |m| m.max(ms)));
                    let retries = u64::from(h.retries_or_default());
                    let failing_ms = ms * retries;
                    unhealthy_after = Some(unhealthy_after.map_or(failing_ms, |m| m.min(failing_ms)));
                    let uncounted_checks = u64::from(h.start_period.unwrap_or(0) / interval);
                    let from_start_ms = ms * (uncounted_checks + retries);
                    unhealthy_from_start = Some(unhealthy_from_start.map_or(from_start_ms, |m| m.min(from_start_ms)));
                }
            } else if c.essential != Some(false) {
                essential_unchecked = true;
            }
            if c.stop_timeout == Some(0) {
                return Err(EcsError::client("stopTimeout must be at least 1 second."));
            }
            container_stops.push(ContainerStop {
                stop_timeout_ms: c.stop_timeout.map(|s| u64::from(s) * SECOND_MS),
                exit_after_sigterm_ms: c.exit_after_sigterm_ms,
            });
        }
        for ports in [&mut ports_tcp, &mut ports_udp] {
            let before = ports.len();
            ports.sort_unstable();
            ports.dedup();
            if ports.len() != before {
                return Err(EcsError::client("A host port is mapped more than once."));
            }
        }
        let gpu = task_gpus(&req.container_definitions)?;
        // At most 10 in all, and only memberOf (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinitionPlacementConstraint.html>).
        if req.placement_constraints.len() > crate::placement::MAX_PLACEMENT_CONSTRAINTS {
            return Err(EcsError::invalid_parameter(format!(
                "At most {} placement constraints are allowed; {} given.",
                crate::placement::MAX_PLACEMENT_CONSTRAINTS,
                req.placement_constraints.len()
            )));
        }
        let member_of = req
            .placement_constraints
            .iter()
            .map(|c| match c.constraint_type.as_str() {
                "memberOf" => crate::placement::parse_member_of(c.expression.as_deref()),
                t => Err(EcsError::invalid_parameter(format!(
                    "Invalid task definition placement constraint type '{t}'; the valid type is memberOf."
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        // ECS numbers a family's revisions itself; a captured cluster may name a higher one
        // (drainsim extension `revision`: the revisions between were deregistered in ECS).
        let next = self.strings.get(&req.family).map_or(1, |f| self.task_defs.next_revision(f));
        let revision = match req.revision {
            None => next,
            Some(r) if (next..=MAX_TASK_DEFINITION_REVISION).contains(&r) => r,
            Some(r) => {
                return Err(EcsError::invalid_parameter(format!(
                    "revision {r} of task definition family {}: a family's revisions only grow, from {next} to {MAX_TASK_DEFINITION_REVISION}.",
                    req.family
                )))
            }
        };
        if revision > MAX_TASK_DEFINITION_REVISION {
            return Err(EcsError::client(format!(
                "Task definition family {} has reached its limit of {MAX_TASK_DEFINITION_REVISION} revisions.",
                req.family
            )));
        }
        let family = self.strings.intern(&req.family);
        let containers: Box<[ContainerPorts]> = containers
            .into_iter()
            .map(|(name, mapped)| ContainerPorts {
                name: self.strings.intern(name),
                container_ports: mapped.iter().map(|(p, _)| *p).collect(),
                host_ports: mapped.iter().map(|(_, h)| *h).collect(),
            })
            .collect();
        let id = self.task_defs.push(TaskDefinition {
            family,
            revision,
            network_mode,
            cpu,
            memory,
            declared_cpu: task_cpu,
            declared_memory: task_mem,
            containers_memory,
            ports_tcp,
            ports_udp,
            health_check_interval_ms: health,
            health_check_unhealthy_after_ms: unhealthy_after,
            health_check_unhealthy_from_start_ms: unhealthy_from_start,
            every_essential_container_checked: !essential_unchecked,
            container_stops: container_stops.into(),
            member_of: member_of.into(),
            containers,
            gpu,
        });
        Ok(Reply::TaskDefinition(id))
    }

    /// Resolves `family`, `family:revision` or an ARN to a registered revision (latest by default).
    pub(crate) fn resolve_task_def(&self, reference: &str) -> Result<TaskDefId, EcsError> {
        // An ARN of another Region or account names no task definition here.
        let own = self.referenced(reference, "task-definition").filter(|r| r.cluster.is_none());
        let found = own.and_then(|r| self.task_def_named(r.name));
        found.ok_or_else(|| EcsError::client(format!("Unable to describe task definition {reference}.")))
    }

    /// A task definition by `family` (its latest revision) or `family:revision`.
    fn task_def_named(&self, reference: &str) -> Option<TaskDefId> {
        let (family, rev) = parse_task_def_ref(reference);
        self.strings.get(family).and_then(|f| match rev {
            None => self.task_defs.family(f).and_then(|revisions| revisions.last().copied()),
            Some(r) => self.task_defs.revision(f, r),
        })
    }

    pub(crate) fn task_def_arn(&self, id: TaskDefId) -> String {
        let td = &self.task_defs[id.index()];
        self.arn("task-definition", None, &format!("{}:{}", self.strings.resolve(td.family), td.revision))
    }

    pub(crate) fn render_task_def(&self, id: TaskDefId) -> api::TaskDefinition {
        let td = &self.task_defs[id.index()];
        api::TaskDefinition {
            task_definition_arn: self.task_def_arn(id),
            family: self.strings.resolve(td.family).into(),
            revision: td.revision,
            network_mode: td.network_mode.as_str().into(),
            cpu: td.declared_cpu.map(|c| c.to_string()),
            memory: td.declared_memory.map(|m| m.to_string()),
            status: "ACTIVE".into(),
            placement_constraints: td
                .member_of
                .iter()
                .map(|m| api::TaskDefinitionPlacementConstraint {
                    constraint_type: "memberOf".into(),
                    expression: Some(m.expression.clone()),
                })
                .collect(),
        }
    }

    /// What a task of `td` without overrides needs of an instance (a service's task).
    pub(crate) fn requirements_of(&self, td: TaskDefId) -> Requirements {
        self.requirements_with(td, SizeOverride::default())
    }

    /// What a task of `td` with the task-level size `size` needs of an instance.
    pub(crate) fn requirements_with(&self, td: TaskDefId, size: SizeOverride) -> Requirements {
        let t = &self.task_defs[td.index()];
        let (cpu, memory) = self.size_of(td, size);
        Requirements {
            cpu,
            memory,
            ports_tcp: t.ports_tcp.clone(),
            ports_udp: t.ports_udp.clone(),
            awsvpc: t.network_mode == NetworkMode::Awsvpc,
            gpu: t.gpu,
        }
    }

    /// The CPU units and MiB a task of `td` with the task-level size `size` reserves: the
    /// override's where it gives one, else the task definition's (its task-level size, or its
    /// containers' sums). The one place a task's size is read: placement, its reservation and
    /// its release, its agent's accounting, the views, DescribeTasks and the invariants' recount
    /// all come here (through [`Self::task_size`] for a task that exists).
    pub(crate) fn size_of(&self, td: TaskDefId, size: SizeOverride) -> (i64, i64) {
        let t = &self.task_defs[td.index()];
        size.applied_to((t.cpu, t.memory))
    }

    /// The CPU units and MiB a task reserves ([`Self::size_of`] of its origin).
    pub(crate) fn task_size(&self, id: TaskId) -> (i64, i64) {
        let origin = self.task_origin(id);
        self.size_of(origin.task_def, origin.size)
    }

    /// RunTask's or StartTask's `overrides` as the task-level size its tasks get: each value read
    /// and checked as RegisterTaskDefinition reads and checks a task definition's task-level
    /// `cpu` and `memory` (the same functions, the same messages), a memory override holding the
    /// task definition's containers' memory as a task definition's must. Changes nothing.
    pub(crate) fn size_override(&self, td: TaskDefId, overrides: Option<&api::TaskOverride>) -> Result<SizeOverride, EcsError> {
        let Some(o) = overrides else { return Ok(SizeOverride::default()) };
        let units = |n: i64| std::num::NonZeroU32::new(u32::try_from(n).expect("a checked task size fits in u32"));
        let cpu = o.cpu.as_deref().map(parse_task_cpu).transpose()?;
        let memory = o.memory.as_deref().map(parse_task_memory).transpose()?;
        if let Some(m) = memory {
            check_task_memory_holds_containers(m, self.task_defs[td.index()].containers_memory)?;
        }
        Ok(SizeOverride { cpu: cpu.and_then(units), memory: memory.and_then(units) })
    }

    // ----- rendering -----

    /// The task's 128-bit ID (a keyed bijection of its index, so no table is needed).
    pub(crate) fn task_uuid(&self, id: TaskId) -> u128 {
        self.tasks.uuid(id)
    }

    /// The cluster of a task.
    pub(crate) fn task_cluster(&self, id: TaskId) -> ClusterId {
        self.instances[self.tasks[id.index()].instance.index()].cluster
    }

    /// A task's ID as its ARN ends: 32 hex digits in the long ARN format, a 36-character UUID with
    /// hyphens in the old one (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>),
    /// as container instance IDs are.
    pub(crate) fn task_short_id(&self, id: TaskId) -> String {
        crate::state::instance::render_id(self.task_uuid(id), self.task_origin(id).long_arn)
    }

    pub(crate) fn task_arn(&self, id: TaskId) -> String {
        let long = self.task_origin(id).long_arn;
        let cluster = long.then(|| self.cluster_name(self.task_cluster(id)));
        self.arn("task", cluster, crate::state::instance::id_text(self.task_uuid(id), long).as_str())
    }

    /// A task origin by id.
    pub(crate) fn origin(&self, id: OriginId) -> &TaskOrigin {
        self.tasks.origin_by_id(id)
    }

    /// The origin of a task: its service, task definition, group, startedBy and ARN format.
    pub(crate) fn task_origin(&self, id: TaskId) -> &TaskOrigin {
        self.tasks.origin(id)
    }

    /// When a task was created (`createdAt`).
    pub(crate) fn task_created_at_ms(&self, id: TaskId) -> SimTimeMs {
        self.tasks.created_at_ms(id)
    }

    /// The ENI attachment of an awsvpc task.
    pub(crate) fn task_eni(&self, id: TaskId) -> Option<AttachmentId> {
        self.tasks.eni(id)
    }

    /// When a task reached a moment of its life, if it has.
    pub(crate) fn task_moment(&self, id: TaskId, moment: TaskMoment) -> Option<SimTimeMs> {
        self.tasks.moment(id, moment)
    }

    fn ts(&self, ms: SimTimeMs) -> f64 {
        self.config.epoch_unix_s as f64 + ms as f64 / 1000.0
    }

    pub(crate) fn render_task(&self, id: TaskId) -> api::Task {
        let t = &self.tasks[id.index()];
        let origin = self.task_origin(id);
        let td = &self.task_defs[origin.task_def.index()];
        let inst = &self.instances[t.instance.index()];
        let (cpu, memory) = self.size_of(origin.task_def, origin.size);
        api::Task {
            task_arn: self.task_arn(id),
            cluster_arn: self.cluster_arn(self.task_cluster(id)),
            task_definition_arn: self.task_def_arn(origin.task_def),
            container_instance_arn: Some(self.instance_arn(t.instance)),
            last_status: t.last_status.as_str().into(),
            desired_status: t.desired_status().into(),
            cpu: cpu.to_string(),
            memory: memory.to_string(),
            overrides: api::TaskOverride {
                cpu: origin.size.cpu.map(|c| c.to_string()),
                memory: origin.size.memory.map(|m| m.to_string()),
            },
            group: self.strings.resolve(origin.group).into(),
            started_by: origin.started_by.map(|s| self.strings.resolve(s).to_string()),
            version: u64::from(t.version()),
            launch_type: "EC2".into(),
            availability_zone: self.strings.resolve(inst.availability_zone).into(),
            // A task's healthStatus comes from its essential containers' health checks
            // (`TaskDefinition::reports_health_status`), whatever the scheduler counts toward
            // minimumHealthyPercent.
            // An UNHEALTHY task (adopted so, or failing its checks) says so while its service lists
            // it, or for good when it is standalone, when its containers' checks decide its
            // healthStatus (a target group's verdict leaves it UNKNOWN).
            health_status: match (td.reports_health_status(), t.healthy()) {
                (true, true) => "HEALTHY",
                (true, false) if self.found_unhealthy(id) => "UNHEALTHY",
                _ => "UNKNOWN",
            }
            .into(),
            created_at: self.ts(self.task_created_at_ms(id)),
            started_at: self.task_moment(id, TaskMoment::Started).map(|m| self.ts(m)),
            stopping_at: self.task_moment(id, TaskMoment::Stopping).map(|m| self.ts(m)),
            stopped_at: self.task_moment(id, TaskMoment::Stopped).map(|m| self.ts(m)),
            stop_code: t.stop_code().map(|c| c.as_str().into()),
            stopped_reason: self.tasks.stopped_reason(id).map(|s| self.strings.resolve(s).to_string()),
            attachments: self.task_eni(id).iter().map(|a| self.render_attachment(*a)).collect(),
        }
    }

    /// Whether new tasks get long ARNs (`taskLongArnFormat` of the caller, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>), cached
    /// until a setting changes.
    fn task_long_arn_format(&mut self) -> bool {
        let generation = self.settings.generation();
        if let Some((g, v)) = self.task_long_arn_cache {
            if g == generation {
                return v;
            }
        }
        let v = self.settings.is_enabled(self.default_caller_arn(), SettingName::TaskLongArnFormat);
        self.task_long_arn_cache = Some((generation, v));
        v
    }

    /// Whether a service task *stays*: not told to stop, and not on a DRAINING instance (spread
    /// placement balances what stays).
    pub(crate) fn is_staying(&self, id: TaskId) -> bool {
        let t = &self.tasks[id.index()];
        !t.desired_stopped() && !t.orphaned() && self.instances[t.instance.index()].status != InstanceStatus::Draining
    }

    /// Whether a listed service task is a drain candidate: not told to stop, on a DRAINING
    /// instance (a REPLICA pass stops or replaces it).
    pub(crate) fn is_drain_candidate(&self, id: TaskId) -> bool {
        let t = &self.tasks[id.index()];
        !t.desired_stopped() && self.instances[t.instance.index()].status == InstanceStatus::Draining
    }

    /// The task's service, if it keeps its drain candidates.
    fn service_keeping_drain_candidates(&self, id: TaskId) -> Option<ServiceId> {
        // Every stop comes here: a task of a service that keeps no set costs two lookups.
        self.task_origin(id).service.filter(|s| self.services[s.index()].drain_candidates.is_some())
    }

    /// Whether a task is a drain candidate its service lists.
    fn is_listed_drain_candidate(&self, id: TaskId, service: ServiceId) -> bool {
        // Its service lists it while it is live: `Services::remove_task` runs as it stops or is
        // orphaned. Read from the record, not found in a list of 50,000.
        let listed = self.tasks[id.index()].is_live();
        debug_assert_eq!(listed, self.services.list_position(service, id).is_some(), "a service lists its live tasks");
        listed && self.is_drain_candidate(id)
    }

    /// The service that keeps its drain candidates, if the task is one of them now (the key it is
    /// filed under is its [`Self::stop_key`]).
    fn filed_drain_candidate(&self, id: TaskId) -> Option<ServiceId> {
        self.service_keeping_drain_candidates(id).filter(|s| self.is_listed_drain_candidate(id, *s))
    }

    /// Keeps a task's place among its service's drain candidates (`ServiceState::drain_candidates`,
    /// when the service keeps them) true after its instance's status changed
    /// ([`Engine::set_instance_status`]), which leaves its key as it was. A task told to stop leaves
    /// them before ([`Engine::stop_task_now`]), one turning healthy moves among them
    /// ([`Engine::mark_healthy`]), a task leaving its lists leaves the set with them
    /// (`Services::remove_task`), and a task joins them on an ACTIVE instance, never as a candidate.
    pub(crate) fn refile_drain_candidate(&mut self, id: TaskId) {
        let Some(service) = self.service_keeping_drain_candidates(id) else {
            return;
        };
        let candidate = self.is_listed_drain_candidate(id, service);
        self.services.file_drain_candidate(service, self.stop_key(id), candidate);
    }

    /// A service has grown big enough to keep its drain candidates: they are gathered from its
    /// list once, and kept from then on.
    fn gather_drain_candidates(&mut self, service: ServiceId) {
        let tasks = &self.services[service.index()].tasks;
        let keys = tasks.iter().copied().filter(|t| self.is_drain_candidate(*t)).map(|t| self.stop_key(t));
        let candidates = crate::state::service::DrainCandidates::of(keys);
        self.services.keep_drain_candidates(service, candidates);
    }

    /// Whether a task is in its service's (or task group's) spread counts: not STOPPED, and staying.
    pub(crate) fn counted_in_spread(&self, id: TaskId) -> bool {
        self.tasks[id.index()].last_status != TaskStatus::Stopped && self.is_staying(id)
    }

    /// A service's staying tasks ([`Self::counted_in_spread`]) with their places (zone, stop key):
    /// what its [`ZoneStopOrder`](crate::state::service::ZoneStopOrder) holds.
    pub(crate) fn zone_places(&self, id: ServiceId) -> Vec<crate::state::service::ZonePlace> {
        let s = &self.services[id.index()];
        s.tasks.iter().filter(|t| self.counted_in_spread(**t)).map(|t| self.zone_place(*t)).collect()
    }

    /// Where a staying task is filed in its service's zone stop order.
    pub(crate) fn zone_place(&self, id: TaskId) -> crate::state::service::ZonePlace {
        let instance = &self.instances[self.tasks[id.index()].instance.index()];
        (instance.availability_zone, self.stop_key(id))
    }

    /// Counts a task in or out of its service's spread counts (a standalone task: its group's in
    /// its cluster).
    pub(crate) fn adjust_spread(&mut self, id: TaskId, delta: i32) {
        let t = &self.tasks[id.index()];
        let origin = *self.origin(t.origin);
        let instance = t.instance;
        let az = self.instances[instance.index()].availability_zone;
        match origin.service {
            Some(s) => {
                let spread = &self.services[s.index()].spread;
                let value = spread.value_attribute.and_then(|a| self.instance_attribute(instance, a).flatten());
                let in_room_class = self.in_room_class(spread, instance);
                let keys = self.room_keys_if(in_room_class, instance);
                self.services.adjust_spread(s, SpreadPlace { instance, az, value, in_room_class, keys }, delta);
                if t.contribution().healthy {
                    self.services.adjust_staying_healthy(s, delta);
                }
                if self.services[s.index()].zone_stop_order.is_some() {
                    self.services.refile_in_zone_order(s, self.zone_place(id), delta > 0);
                }
            }
            None => {
                let cluster = self.instances[instance.index()].cluster;
                let value = self
                    .clusters
                    .group_value_attribute(cluster, origin.group)
                    .and_then(|a| self.instance_attribute(instance, a).flatten());
                let in_room_class = self.clusters[cluster.index()]
                    .group_spread
                    .get(&origin.group)
                    .is_some_and(|g| self.in_room_class(g, instance));
                self.clusters.adjust_group_spread(
                    cluster,
                    origin.group,
                    SpreadPlace { instance, az, value, in_room_class, keys: self.room_keys_if(in_room_class, instance) },
                    delta,
                );
            }
        }
    }

    // ----- lifecycle -----

    /// Launches a task on an instance that fits it (the caller placed it): reserves its resources
    /// and ENI, and starts the lifecycle at PROVISIONING. `size` is the task-level size its
    /// RunTask or StartTask gave it (none for a service's task).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn launch_task(
        &mut self,
        instance: InstanceId,
        task_def: TaskDefId,
        service: Option<ServiceId>,
        group: Sym,
        started_by: Option<Sym>,
        size: SizeOverride,
        replaces_drained_task: bool,
        subnets: Option<&crate::placement::TaskSubnets>,
    ) -> TaskId {
        assert!(
            self.instances[instance.index()].is_placeable(),
            "placement on an instance that is not ACTIVE with a connected agent"
        );
        let long_arn = self.task_long_arn_format();
        let fails_to_start = self.draw_task_start_failure();
        let in_target_group = service.is_some_and(|s| self.services[s.index()].load_balancer.is_some());
        let daemon = service.is_some_and(|s| self.services[s.index()].scheduling == SchedulingStrategy::Daemon);
        let origin = TaskOrigin { service, task_def, group, started_by, long_arn, in_target_group, daemon, size };
        let id = self.tasks.push(instance, &origin, self.now_ms, replaces_drained_task, fails_to_start);
        self.reserve(id, true);
        let awsvpc = self.task_defs[task_def.index()].network_mode == NetworkMode::Awsvpc;
        let key_before = self.instances[instance.index()].index_key(instance);
        self.instances.add_task(instance, id, awsvpc, daemon);
        self.rekey_after_task_eni_change(instance, key_before);
        self.refresh_task_group_answers(instance, id, true);
        if let Some(s) = service {
            let provider = self.provider_counted_by(s, instance);
            self.services.add_task(s, id, provider);
            if self.services.needs_drain_candidates(s) {
                self.gather_drain_candidates(s);
            }
        }
        if awsvpc {
            // The ENI's subnet: the request's (RunTask, StartTask) or its service's, in the
            // instance's zone (`crate::engine::subnets`).
            let zone = self.instances[instance.index()].availability_zone;
            let subnet = match (subnets, service) {
                (Some(n), _) => n.subnet_in(zone),
                (None, Some(s)) => self.services[s.index()].network.as_ref().and_then(|n| n.subnet_in(zone)),
                (None, None) => None,
            };
            self.create_task_eni(id, subnet);
        }
        self.apply_contribution(id, Contribution::default());
        self.adjust_spread(id, 1);
        self.record(Subject::Task(id), Change::TaskStatus { from: None, to: TaskStatus::Provisioning }, "placement");
        self.queue_at_agent(id);
        self.triggers.push(Trigger::TaskPlaced(id));
        let d = self.config.timings.task_provisioning_ms;
        self.schedule_stage(id, d);
        id
    }

    /// Adds (`take`) or returns a task's reservation on its instance, keeping the placement index
    /// in step. The one place remaining resources change. GPUs are pinned to the task when it
    /// takes its reservation (the lowest-numbered free ones) and freed from the instance when it
    /// returns it; the task keeps which they were until it leaves its instance, since its agent
    /// holds them until its containers stop.
    fn reserve(&mut self, task: TaskId, take: bool) {
        let instance = self.tasks[task.index()].instance;
        // The task definition's port lists are read where they are (the tables are apart): no
        // copy of them per reservation.
        let td = &self.task_defs[self.tasks.origin(task).task_def.index()];
        let ((cpu, mem), gpu) = (self.task_size(task), td.gpu);
        let mut remaining = self.instances[instance.index()].remaining;
        for (set, list) in [(&mut remaining.ports_tcp, &td.ports_tcp), (&mut remaining.ports_udp, &td.ports_udp)] {
            if list.is_empty() {
                continue;
            }
            *set = self.instances.modified_port_set(*set, |ports| {
                for p in list {
                    match ports.binary_search(p) {
                        Ok(pos) if !take => {
                            ports.remove(pos);
                        }
                        Err(pos) if take => ports.insert(pos, *p),
                        _ => {}
                    }
                }
            });
        }
        if gpu > 0 {
            if take {
                let mask = self.instances.take_gpus(instance, gpu);
                self.tasks.pin_gpus(task, mask);
            } else {
                self.instances.give_back_gpus(instance, self.tasks.gpus(task));
            }
        }
        let gpu = u8::try_from(gpu).expect("a task reserves at most MAX_GPUS_PER_INSTANCE GPUs");
        self.update_instance_resources(instance, |r, gpus_free| {
            let sign = if take { -1 } else { 1 };
            r.cpu += sign * cpu;
            r.memory += sign * mem;
            *gpus_free = if take { gpus_free.checked_sub(gpu) } else { gpus_free.checked_add(gpu) }
                .expect("GPUs free stay within those registered");
            r.ports_tcp = remaining.ports_tcp;
            r.ports_udp = remaining.ports_udp;
        });
        self.bump_version(instance);
    }

    /// Applies the difference between a task's old and current contribution to its instance's and
    /// service's counters.
    pub(crate) fn apply_contribution(&mut self, id: TaskId, old: Contribution) {
        let t = &self.tasks[id.index()];
        let new = t.contribution();
        if new == old {
            return;
        }
        let service = self.tasks.origin(id).service;
        let (instance, now) = (t.instance, self.now_ms);
        self.instances.apply_contribution(instance, old, new, now);
        if old.running != new.running {
            self.refresh_running_count_answers(instance);
        }
        if old.running != new.running
            && self.clusters.any_daemon_service()
            && !self.clusters[self.instances[instance.index()].cluster.index()].daemon_services.is_empty()
        {
            self.triggers.push(Trigger::RunningTasksChanged(instance));
        }
        if let Some(s) = service {
            self.services.apply_contribution(s, old, new);
            // A staying task's health changed. (A new task's contribution comes from nothing: it
            // joins the staying ones after, with its contribution, in `adjust_spread`; a task
            // leaves them before its contribution changes, in `stop_task_now` and `orphan_tasks`.)
            if old.healthy != new.healthy && old != Contribution::default() && self.counted_in_spread(id) {
                self.services.adjust_staying_healthy(s, if new.healthy { 1 } else { -1 });
            }
            self.touched_services.insert(s);
        }
    }

    pub(crate) fn schedule_stage(&mut self, id: TaskId, base_ms: SimTimeMs) {
        self.schedule_stage_within(id, base_ms, 0..=SimTimeMs::MAX);
    }

    /// Schedules the end of a task's stage `base_ms` from now, jittered (`Timings::jitter_percent`)
    /// within `bounds`: see [`Self::deactivating_bounds_ms`] and [`Stopping::bounds_ms`].
    fn schedule_stage_within(&mut self, id: TaskId, base_ms: SimTimeMs, bounds: std::ops::RangeInclusive<SimTimeMs>) {
        let d = self.rng.jitter_within(base_ms, self.config.timings.jitter_percent, bounds);
        let epoch = self.tasks[id.index()].epoch();
        self.schedule(d, EventKind::TaskStageEnds, id.0, epoch);
    }

    /// How long DEACTIVATING may last under jitter: exactly the deregistration delay. ECS waits
    /// for the target to be unused, and "the amount of time that the load balancer waits to move
    /// the target to the UNUSED state is the deregistration delay"
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/load-balancer-connection-draining.html>):
    /// the load balancer shows a target draining "until the deregistration delay timeout expires"
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html>)
    /// and no longer. Jitter that could only lengthen it would shift every drain behind a load
    /// balancer later (a ±30 % jitter on a 300 s delay added 1 min to the median drain).
    fn deactivating_bounds_ms(delay_ms: SimTimeMs) -> std::ops::RangeInclusive<SimTimeMs> {
        delay_ms..=delay_ms
    }

    /// The one place a task's `lastStatus` changes: checks the legal graph, keeps counters,
    /// releases the reservation at STOPPED.
    pub(crate) fn set_task_status(&mut self, id: TaskId, to: TaskStatus, reason: &'static str) {
        let from = self.tasks[id.index()].last_status;
        assert!(from.change_allowed(to), "illegal task transition {} -> {}", from.as_str(), to.as_str());
        let old = self.tasks[id.index()].contribution();
        self.tasks.set_last_status(id, to, self.now_ms);
        self.record(Subject::Task(id), Change::TaskStatus { from: Some(from), to }, reason);
        if to == TaskStatus::Stopping {
            // Placement counts a STOPPING task's CPU, memory, ports and GPUs as free, but a DAEMON task
            // being replaced keeps them for its replacement until STOPPED (docs/ecs-choices.md § 6);
            // the agent tracks its stop until the containers exit (engine/agent_queue.rs).
            let instance = self.tasks[id.index()].instance;
            if !self.tasks.keeps_room(id) {
                self.reserve(id, false);
                self.tasks.release_reservation(id);
                self.triggers.push(Trigger::RoomFreed(self.instances[instance.index()].cluster, instance));
            }
            self.agent_told_to_stop(instance, id);
        }
        if to == TaskStatus::Stopped {
            self.release_task(id);
        }
        self.apply_contribution(id, old);
        let stopped_before_start = matches!(from, TaskStatus::Provisioning | TaskStatus::Pending)
            && matches!(to, TaskStatus::Deprovisioning | TaskStatus::Stopped);
        if from == TaskStatus::Stopping || stopped_before_start {
            self.agent_done_with(id, from == TaskStatus::Stopping, true);
        }
        // The load balancer's service events (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html>):
        // a target registers when its task enters ACTIVATING, the state in which ECS "registers load
        // balancer target groups" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html>),
        // and deregisters when it begins DEACTIVATING (from ACTIVATING or RUNNING).
        let origin = *self.task_origin(id);
        if let (Some(s), true) = (origin.service, origin.in_target_group) {
            if to == TaskStatus::Activating || to == TaskStatus::Deactivating {
                self.services.note_target_change(s, to == TaskStatus::Activating);
            }
        }
        if to == TaskStatus::Stopped {
            self.triggers.push(Trigger::TaskStopped(id));
        }
        if to == TaskStatus::Stopping {
            if let Some(s) = self.tasks.origin(id).service {
                self.triggers.push(Trigger::TaskStopping(s, self.tasks[id.index()].instance));
            }
        }
    }

    /// Frees a stopped or orphaned task's reservation (unless it was freed at STOPPING) and its task
    /// ENI, and removes it from its instance and service.
    fn release_task(&mut self, id: TaskId) {
        let (instance, eni) = (self.tasks[id.index()].instance, self.task_eni(id));
        let TaskOrigin { task_def: td, service, daemon, .. } = *self.task_origin(id);
        if !self.tasks[id.index()].reservation_released() {
            self.reserve(id, false);
            self.tasks.release_reservation(id);
        }
        self.tasks.unpin_gpus(id);
        let held_eni = eni.is_some() || self.task_defs[td.index()].network_mode == NetworkMode::Awsvpc;
        let key_before = self.instances[instance.index()].index_key(instance);
        self.instances.remove_task(instance, id, held_eni, daemon);
        self.rekey_after_task_eni_change(instance, key_before);
        self.refresh_task_group_answers(instance, id, false);
        if let Some(s) = service {
            // A task told to stop is no drain candidate: only an orphaned one may be (its key is
            // as it was filed: orphaning leaves its health).
            let candidate_key = (!self.tasks[id.index()].desired_stopped()).then(|| self.stop_key(id));
            let provider = self.provider_counted_by(s, instance);
            self.services.remove_task(s, id, provider, candidate_key);
        }
    }

    pub(crate) fn on_task_stage_ends(&mut self, id: TaskId, epoch: u16) {
        let t = &self.tasks[id.index()];
        if t.epoch() != epoch || t.orphaned() || t.last_status == TaskStatus::Stopped {
            return;
        }
        // The agent starts the containers (PENDING), sends SIGTERM (after DEACTIVATING) and reports
        // them stopped (STOPPING): with the agent disconnected, the stage ends when it is back.
        let agent_stage = matches!(t.last_status, TaskStatus::Pending | TaskStatus::Deactivating | TaskStatus::Stopping);
        if agent_stage && !self.instances[t.instance.index()].agent_connected {
            self.hold_for_agent(id, AgentHeld::StageEnd { epoch });
            return;
        }
        let awsvpc = self.task_defs[self.origin(t.origin).task_def.index()].network_mode == NetworkMode::Awsvpc;
        let timings = self.config.timings.clone();
        match t.last_status {
            TaskStatus::Provisioning => {
                self.attach_task_eni(id);
                self.set_task_status(id, TaskStatus::Pending, "task lifecycle");
                if self.agent_may_start(id) {
                    self.schedule_stage(id, timings.task_pending_ms);
                }
            }
            TaskStatus::Pending => {
                if self.tasks[id.index()].fails_to_start() {
                    self.fail_task_start(id);
                    return;
                }
                self.set_task_status(id, TaskStatus::Activating, "task lifecycle");
                self.schedule_stage(id, timings.task_activating_ms);
            }
            TaskStatus::Activating => {
                self.set_task_status(id, TaskStatus::Running, "task lifecycle");
                // A task whose checks fail is judged when they reach their threshold (never at
                // once: an interval is at least 5 s); one whose checks pass, when they first do.
                let delay = match self.failing_checks_due_ms(id) {
                    Some(due) => (due - self.now_ms).max(1),
                    None => self.health_delay_ms(id),
                };
                if delay == 0 {
                    self.mark_healthy(id);
                } else {
                    let epoch = self.tasks[id.index()].epoch();
                    self.schedule(delay, EventKind::TaskBecomesHealthy, id.0, epoch);
                }
            }
            TaskStatus::Running => {}
            TaskStatus::Deactivating => {
                let stopping = self.task_stopping(id);
                self.set_task_status(id, TaskStatus::Stopping, "deregistration delay elapsed");
                self.schedule_stage_within(id, stopping.duration_ms(), stopping.bounds_ms);
            }
            TaskStatus::Stopping => {
                if awsvpc {
                    self.set_task_status(id, TaskStatus::Deprovisioning, "containers stopped");
                    self.begin_task_eni_detach(id);
                    self.schedule_stage(id, timings.task_deprovisioning_ms);
                } else {
                    self.set_task_status(id, TaskStatus::Stopped, "containers stopped");
                }
            }
            TaskStatus::Deprovisioning => {
                self.finish_task_eni(id);
                self.set_task_status(id, TaskStatus::Stopped, "deprovisioned");
            }
            TaskStatus::Stopped => {}
        }
    }

    /// When a RUNNING task counts as healthy (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html> and docs/ecs-choices.md): with a load balancer once the
    /// target passes its first health check (the grace period does not delay it); with a container
    /// health check after its first interval; otherwise `Timings::healthy_after_running_ms` after RUNNING
    /// (40 s by default, today's documented rule; 0 for the 2019 rule).
    fn health_delay_ms(&self, id: TaskId) -> SimTimeMs {
        // healthCheckGracePeriodSeconds only makes the scheduler ignore *unhealthy* checks
        // ("ignores unhealthy Elastic Load Balancing ... and container health checks after a task
        // has first started", UpdateService API reference): a check that passes counts at once,
        // within the grace period too.
        match self.health_checks(id) {
            HealthChecks { container_ms: None, target_ms: None, .. } => self.config.timings.healthy_after_running_ms,
            HealthChecks { container_ms, target_ms, .. } => container_ms.unwrap_or(0).max(target_ms.unwrap_or(0)),
        }
    }

    /// The checks that decide when a RUNNING task counts as healthy, each with the time it takes to
    /// pass: its essential containers' health check, and its load balancer target's.
    fn health_checks(&self, id: TaskId) -> HealthChecks {
        let origin = self.task_origin(id);
        let task_def = &self.task_defs[origin.task_def.index()];
        HealthChecks {
            container_ms: task_def.health_check_interval_ms,
            health_status: task_def.reports_health_status(),
            target_ms: origin
                .service
                .and_then(|s| self.services[s.index()].load_balancer.as_ref())
                .map(|lb| lb.time_to_healthy_ms),
        }
    }

    pub(crate) fn on_task_healthy(&mut self, id: TaskId, epoch: u16) {
        let t = &self.tasks[id.index()];
        // A task judged already (its checks passed again sooner, `end_failing_health_checks`, or
        // it was found UNHEALTHY) is not judged twice.
        let judged = t.healthy() || self.found_unhealthy(id);
        if t.epoch() != epoch || t.orphaned() || t.last_status != TaskStatus::Running || t.desired_stopped() || judged {
            // A note of its recovering target ends with the task's judging or its stop (a stale
            // event of a task still waiting for its target leaves it).
            if judged || t.orphaned() || t.last_status != TaskStatus::Running || t.desired_stopped() {
                self.tasks.take_target_recovering(id);
            }
            return;
        }
        // A target that went unhealthy is not healthy again before its healthy threshold of
        // passing checks; if the grace period ends first, ECS reads it unhealthy then.
        if let Some(until) = self.tasks.target_recovering_until(id).filter(|until| *until > self.now_ms) {
            let grace_ends = self.health_check_grace_ends_ms(id);
            if grace_ends <= self.now_ms {
                self.tasks.take_target_recovering(id);
                self.mark_unhealthy(id);
            } else {
                self.schedule(grace_ends.min(until) - self.now_ms, EventKind::TaskBecomesHealthy, id.0, epoch);
            }
            return;
        }
        self.tasks.take_target_recovering(id);
        match self.failing_checks_due_ms(id) {
            Some(due) if due > self.now_ms => self.schedule(due - self.now_ms, EventKind::TaskBecomesHealthy, id.0, epoch),
            Some(_) => self.mark_unhealthy(id),
            None => self.mark_healthy(id),
        }
    }

    /// When a RUNNING task not yet healthy whose checks fail ([`Self::fails_health_checks`]) is
    /// found UNHEALTHY: once its checks reach their unhealthy threshold counted from its start
    /// ([`Self::unhealthy_after_ms`], `startPeriod` not counted) and from when they began to fail,
    /// and not within its service's grace period. None when its checks do not fail.
    fn failing_checks_due_ms(&self, id: TaskId) -> Option<SimTimeMs> {
        if !self.fails_health_checks(id) {
            return None;
        }
        let started = self.task_moment(id, TaskMoment::Started).unwrap_or(self.now_ms);
        let from_start = started.saturating_add(self.unhealthy_after_ms(id, true)?);
        let from_failing = self.failing_health_checks_since_ms.saturating_add(self.unhealthy_after_ms(id, false)?);
        Some(from_start.max(from_failing).max(self.health_check_grace_ends_ms(id)).max(self.now_ms))
    }

    /// How long a task's checks fail before it is UNHEALTHY: its essential containers'
    /// `interval` × `retries` (`from_start`: plus the checks within `startPeriod`, which are not
    /// counted), or its target's `healthCheckIntervalSeconds` × `unhealthyThresholdCount`,
    /// whichever says so first (either makes ECS replace it). None for a task no check judges.
    fn unhealthy_after_ms(&self, id: TaskId, from_start: bool) -> Option<SimTimeMs> {
        let origin = self.task_origin(id);
        let task_def = &self.task_defs[origin.task_def.index()];
        let container =
            if from_start { task_def.health_check_unhealthy_from_start_ms } else { task_def.health_check_unhealthy_after_ms };
        let target =
            origin.service.and_then(|s| self.services[s.index()].load_balancer.as_ref()).map(|lb| lb.time_to_unhealthy_ms);
        match (container, target) {
            (Some(c), Some(t)) => Some(c.min(t)),
            (c, t) => c.or(t),
        }
    }

    /// Whether the task's load balancer target decides it UNHEALTHY: it has one, and its checks
    /// reach their unhealthy threshold no later than its essential containers' would.
    fn target_decides_unhealthy(&self, id: TaskId) -> bool {
        let origin = self.task_origin(id);
        let Some(target) =
            origin.service.and_then(|s| self.services[s.index()].load_balancer.as_ref()).map(|lb| lb.time_to_unhealthy_ms)
        else {
            return false;
        };
        self.task_defs[origin.task_def.index()].health_check_unhealthy_after_ms.is_none_or(|container| target <= container)
    }

    /// Whether a check judges the task (an essential container's health check, or its service's
    /// load balancer target): a task without one is never UNHEALTHY.
    pub(super) fn judged_by_health_checks(&self, id: TaskId) -> bool {
        self.unhealthy_after_ms(id, false).is_some()
    }

    /// The health checks of tasks on the instances [`Engine::fail_health_checks_on`] selects
    /// begin to fail now: each healthy RUNNING task a check judges there is found UNHEALTHY once
    /// its checks reach their unhealthy threshold ([`Self::unhealthy_after_ms`]), and not within
    /// its service's grace period. (Tasks not yet healthy are judged when their checks first
    /// report, [`Self::on_task_healthy`].)
    pub(crate) fn begin_failing_health_checks(&mut self) {
        let Some(query) = self.failing_health_checks.clone() else { return };
        let now = self.now_ms;
        for id in self.running_tasks_on_instances_matching(&query) {
            let t = &self.tasks[id.index()];
            let Some(failing_ms) = self.unhealthy_after_ms(id, false).filter(|_| t.healthy()) else { continue };
            let at = now.saturating_add(failing_ms).max(self.health_check_grace_ends_ms(id));
            let epoch = t.epoch();
            self.schedule(at - now, EventKind::TaskFailsHealthChecks, id.0, epoch);
        }
    }

    /// The RUNNING tasks not told to stop on the instances `query` selects, in instance order: the
    /// tasks a change of the failing health checks judges (a one-off scan of the cluster).
    fn running_tasks_on_instances_matching(&self, query: &crate::rules::query::Query) -> Vec<TaskId> {
        (0..self.instances.len() as u32)
            .map(InstanceId)
            .filter(|i| !self.instances[i.index()].tasks.is_empty() && self.instance_matches(*i, query))
            .flat_map(|i| self.instances[i.index()].tasks.iter().copied())
            .filter(|t| {
                let t = &self.tasks[t.index()];
                t.last_status == TaskStatus::Running && !t.desired_stopped() && !t.orphaned()
            })
            .collect()
    }

    /// The checks of tasks on the instances `before` selected (failing since `before_since_ms`)
    /// pass again where the query in force now does not select them: a RUNNING task not yet
    /// judged there (not healthy, not found UNHEALTHY, its service's grace period hiding its
    /// failing checks) counts as healthy once its checks pass, as a new task's first check does
    /// ([`Self::health_delay_ms`] from now), not when its failing checks would have reached their
    /// threshold (that event finds it healthy and does nothing) — unless its load balancer target
    /// reached its unhealthy threshold meanwhile: the load balancer then counts it healthy only
    /// after `healthyThresholdCount` passing checks, "the number of consecutive health checks
    /// successes required before considering an unhealthy target healthy"
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html>),
    /// and if the grace period ends first, ECS reads the target unhealthy and replaces the task
    /// ([`Self::on_task_healthy`]). Scenario: `fidelity/recovered-target-needs-its-healthy-threshold.ron`.
    pub(crate) fn end_failing_health_checks(&mut self, before: &crate::rules::query::Query, before_since_ms: SimTimeMs) {
        for id in self.running_tasks_on_instances_matching(before) {
            if self.tasks[id.index()].healthy()
                || self.found_unhealthy(id)
                || !self.judged_by_health_checks(id)
                || self.fails_health_checks(id)
            {
                continue;
            }
            let epoch = self.tasks[id.index()].epoch();
            let delay_ms = match self.target_unhealthy_since_ms(id, before_since_ms) {
                Some(_) => {
                    let recover_ms = self.target_recover_ms(id).expect("a target went unhealthy");
                    let until = self.now_ms.saturating_add(recover_ms);
                    self.tasks.note_target_recovering(id, until);
                    self.health_check_grace_ends_ms(id).min(until).saturating_sub(self.now_ms)
                }
                None => self.health_delay_ms(id),
            };
            self.schedule(delay_ms.max(1), EventKind::TaskBecomesHealthy, id.0, epoch);
        }
    }

    /// When the task's load balancer target reached its unhealthy threshold under checks failing
    /// since `failing_since_ms` (counted from the task's start at the earliest), if it has by now.
    fn target_unhealthy_since_ms(&self, id: TaskId, failing_since_ms: SimTimeMs) -> Option<SimTimeMs> {
        let lb = self.task_origin(id).service.and_then(|s| self.services[s.index()].load_balancer.as_ref())?;
        let started = self.task_moment(id, TaskMoment::Started).unwrap_or(self.now_ms);
        let at = started.max(failing_since_ms).saturating_add(lb.time_to_unhealthy_ms);
        (at <= self.now_ms).then_some(at)
    }

    /// How long the task's load balancer target takes to be healthy again after it went unhealthy.
    fn target_recover_ms(&self, id: TaskId) -> Option<SimTimeMs> {
        let lb = self.task_origin(id).service.and_then(|s| self.services[s.index()].load_balancer.as_ref())?;
        Some(lb.time_to_recover_ms)
    }

    /// A healthy task's failing checks reached their unhealthy threshold
    /// ([`Self::begin_failing_health_checks`]): it is UNHEALTHY, unless it stopped meanwhile, its
    /// checks pass again, or they began failing anew since (a later event judges it then).
    pub(crate) fn on_task_fails_health_checks(&mut self, id: TaskId, epoch: u16) {
        let t = &self.tasks[id.index()];
        if t.epoch() != epoch || t.orphaned() || t.last_status != TaskStatus::Running || !t.healthy() {
            return;
        }
        let due = self.unhealthy_after_ms(id, false).map(|ms| self.failing_health_checks_since_ms.saturating_add(ms));
        if self.fails_health_checks(id) && due.is_some_and(|due| due <= self.now_ms) {
            self.mark_unhealthy(id);
        }
    }

    /// Whether the task's health checks fail ([`Engine::fail_health_checks_on`]): it has one (an
    /// essential container's check or a load balancer target) and its instance is selected.
    fn fails_health_checks(&self, id: TaskId) -> bool {
        let Some(query) = &self.failing_health_checks else { return false };
        self.judged_by_health_checks(id) && self.instance_matches(self.tasks[id.index()].instance, query)
    }

    /// When the grace period of a RUNNING task's service ends: the scheduler ignores failing
    /// checks until then (0 grace: at RUNNING).
    fn health_check_grace_ends_ms(&self, id: TaskId) -> SimTimeMs {
        let started = self.task_moment(id, TaskMoment::Started).unwrap_or(self.now_ms);
        started.saturating_add(self.health_check_grace_ms(id))
    }

    /// The task's service's `healthCheckGracePeriodSeconds`, in milliseconds (0 for a standalone task).
    fn health_check_grace_ms(&self, id: TaskId) -> SimTimeMs {
        let seconds = self.task_origin(id).service.and_then(|s| self.services[s.index()].health_check_grace_seconds);
        (seconds.unwrap_or(0).max(0) as u64).saturating_mul(1_000)
    }

    /// The task's health checks failed: it stays RUNNING, not healthy, with `healthStatus`
    /// UNHEALTHY, and its service replaces it (`scheduler.rs::replace_unhealthy`). A task that
    /// counted as healthy no longer does: its service lost a healthy task it did not stop.
    pub(super) fn mark_unhealthy(&mut self, id: TaskId) {
        let was_healthy = self.tasks[id.index()].healthy();
        let old = was_healthy.then(|| self.set_task_health(id, false));
        let checks = self.health_checks(id);
        let reason = match (checks.container_ms.is_some(), checks.target_ms.is_some()) {
            (true, true) => "container and target health checks failed",
            (true, false) => "container health check failed",
            _ => "target health check failed",
        };
        self.record(Subject::Task(id), Change::TaskUnhealthy { health_status: checks.health_status }, reason);
        // Its load balancer target's checks decided it (they reach their threshold no later than
        // the containers' would): ECS says so in a service event.
        if let Some(s) = self.task_origin(id).service.filter(|_| self.target_decides_unhealthy(id)) {
            self.service_event(s, crate::state::service::ServiceEventKind::UnhealthyTarget { task: id });
        }
        if let Some(old) = old {
            self.apply_contribution(id, old);
        }
        let Some(s) = self.task_origin(id).service else {
            self.tasks.note_standalone_unhealthy(id);
            return;
        };
        self.services.note_unhealthy(s, id);
        if was_healthy {
            self.triggers.push(Trigger::HealthyTaskLost(s, BreachCause::HealthCheckFailed));
        }
        self.triggers.push(Trigger::TaskUnhealthy(s));
    }

    /// Whether the task was found UNHEALTHY: one its service lists so, or a standalone one.
    fn found_unhealthy(&self, id: TaskId) -> bool {
        match self.task_origin(id).service {
            Some(s) => self.services.is_unhealthy(s, id),
            None => self.tasks.is_standalone_unhealthy(id),
        }
    }

    /// Whether a RUNNING task counts as healthy changes, and with it every order and counter that
    /// reads its health: its stop key leads with it, so a staying task of a rebalancing service
    /// moves in its zone's stop order and a drain candidate among its service's candidates (one
    /// whose health grace outlasted its instance's ACTIVE time, or one whose checks failed on a
    /// DRAINING instance). Returns its contribution from before, for the caller to apply once it
    /// recorded the change ([`Self::apply_contribution`]).
    #[must_use = "the task's old contribution is applied after the change is recorded"]
    fn set_task_health(&mut self, id: TaskId, healthy: bool) -> Contribution {
        assert_ne!(self.tasks[id.index()].healthy(), healthy, "a task's health changes");
        let old = self.tasks[id.index()].contribution();
        let service = self.task_origin(id).service;
        let refile = service.filter(|s| self.services[s.index()].zone_stop_order.is_some() && self.counted_in_spread(id));
        if let Some(s) = refile {
            self.services.refile_in_zone_order(s, self.zone_place(id), false);
        }
        let candidate = self.filed_drain_candidate(id).map(|s| (s, self.stop_key(id)));
        if healthy {
            self.tasks.mark_healthy(id);
        } else {
            self.tasks.lose_health(id);
        }
        if let Some(s) = refile {
            self.services.refile_in_zone_order(s, self.zone_place(id), true);
        }
        if let Some((s, old_key)) = candidate {
            self.services.refile_drain_candidate_health(s, old_key, self.stop_key(id));
        }
        old
    }

    fn mark_healthy(&mut self, id: TaskId) {
        let service = self.task_origin(id).service;
        let old =
            if self.tasks[id.index()].healthy() { self.tasks[id.index()].contribution() } else { self.set_task_health(id, true) };
        let checks = self.health_checks(id);
        let container_checked = checks.container_ms.is_some();
        let reason = match (container_checked, checks.target_ms.is_some()) {
            (true, true) => "container and target health checks passed",
            (true, false) => "container health check passed",
            (false, true) => "target health check passed",
            (false, false) => "no health check: the wait after RUNNING ended",
        };
        self.record(Subject::Task(id), Change::TaskHealthy { health_status: checks.health_status }, reason);
        self.apply_contribution(id, old);
        if let Some(s) = service {
            self.triggers.push(Trigger::TaskHealthy(s));
        }
    }

    /// Tells a task to stop (desiredStatus STOPPED) and starts its stop path from where it is.
    pub(crate) fn stop_task_now(&mut self, id: TaskId, code: StopCode, reason: &str) {
        if self.tasks[id.index()].desired_stopped() || self.tasks[id.index()].last_status == TaskStatus::Stopped {
            return;
        }
        let old = self.tasks[id.index()].contribution();
        if self.is_staying(id) {
            self.adjust_spread(id, -1);
        }
        // It leaves the drain candidates under the key it was filed under: being told to stop
        // clears its health.
        if let Some(service) = self.filed_drain_candidate(id) {
            self.services.file_drain_candidate(service, self.stop_key(id), false);
        }
        let reason_sym = self.strings.intern(reason);
        self.tasks.tell_to_stop(id, code, reason_sym, self.now_ms);
        self.record(Subject::Task(id), Change::TaskDesiredStopped, code.as_str());
        self.apply_contribution(id, old);
        let t = &self.tasks[id.index()];
        let origin = *self.origin(t.origin);
        match t.last_status {
            // The agent has a PENDING task (pulling, starting): only it can stop it and say so.
            TaskStatus::Pending if !self.instances[t.instance.index()].agent_connected => {
                self.hold_for_agent(id, AgentHeld::Stop);
            }
            TaskStatus::Provisioning | TaskStatus::Pending => self.stop_before_start(id),
            TaskStatus::Activating | TaskStatus::Running => {
                let lb_delay = origin
                    .service
                    .and_then(|s| self.services[s.index()].load_balancer.as_ref())
                    .filter(|_| origin.in_target_group)
                    .map(|lb| lb.deregistration_delay_ms);
                match lb_delay {
                    Some(d) => {
                        self.set_task_status(id, TaskStatus::Deactivating, "deregistering from target group");
                        self.schedule_stage_within(id, d, Self::deactivating_bounds_ms(d));
                    }
                    None if !self.instances[t.instance.index()].agent_connected => {
                        self.hold_for_agent(id, AgentHeld::Stop);
                    }
                    None => self.send_sigterm(id),
                }
            }
            _ => {}
        }
    }

    /// A task told to stop before its containers started: STOPPED, or DEPROVISIONING first while
    /// its task ENI detaches.
    fn stop_before_start(&mut self, id: TaskId) {
        if self.task_defs[self.task_origin(id).task_def.index()].network_mode == NetworkMode::Awsvpc {
            self.set_task_status(id, TaskStatus::Deprovisioning, "stopped before start");
            self.begin_task_eni_detach(id);
            let d = self.config.timings.task_deprovisioning_ms;
            self.schedule_stage(id, d);
        } else {
            self.set_task_status(id, TaskStatus::Stopped, "stopped before start");
        }
    }

    /// The agent sends SIGTERM to a task's containers: STOPPING, for as long as they take to exit.
    fn send_sigterm(&mut self, id: TaskId) {
        let stopping = self.task_stopping(id);
        self.set_task_status(id, TaskStatus::Stopping, "SIGTERM sent");
        self.schedule_stage_within(id, stopping.duration_ms(), stopping.bounds_ms);
    }

    /// How a task's STOPPING goes on its instance: its task definition's containers, with the stop
    /// timeout of its instance's agent for those that give none — or for all of them on an agent
    /// older than 1.26.0 ([`TaskDefinition::stopping`]).
    pub(crate) fn task_stopping(&self, id: TaskId) -> Stopping {
        let profile = self.instance_profile(self.tasks[id.index()].instance);
        let td = &self.task_defs[self.task_origin(id).task_def.index()];
        td.stopping(profile.agent_stop_timeout_ms, profile.honours_container_stop_timeout)
    }

    /// Notes that a task waits for its disconnected agent (docs/ecs-choices.md: tasks on an
    /// instance whose agent is disconnected).
    fn hold_for_agent(&mut self, id: TaskId, held: AgentHeld) {
        let instance = self.tasks[id.index()].instance;
        debug_assert!(!self.instances[instance.index()].agent_connected, "only a disconnected agent holds a task");
        self.faults.agent_held.entry(instance).or_default().push((id, held));
    }

    /// Whether a held entry still stands: its task has not moved on since it began to wait.
    pub(crate) fn agent_hold_stands(&self, id: TaskId, held: AgentHeld) -> bool {
        let t = &self.tasks[id.index()];
        if t.orphaned() || t.last_status == TaskStatus::Stopped {
            return false;
        }
        match held {
            AgentHeld::StageEnd { epoch } => t.epoch() == epoch,
            AgentHeld::Stop => {
                t.desired_stopped() && matches!(t.last_status, TaskStatus::Pending | TaskStatus::Activating | TaskStatus::Running)
            }
        }
    }

    /// An instance went INACTIVE: what its tasks waited for from its agent stands no more (they
    /// are STOPPED or orphaned), so its held entries go, and the entries left are those of the
    /// registered instances whose agent is away.
    pub(crate) fn forget_agent_holds(&mut self, instance: InstanceId) {
        self.faults.agent_held.remove(&instance);
    }

    /// How many of a service's live tasks wait for a disconnected agent: nothing but the agent's
    /// return moves them on. Two kinds: a task whose held step still stands (the held entries,
    /// kept only for instances not INACTIVE whose agent is away, [`Self::forget_agent_holds`]),
    /// and a task in PENDING that waits in the agent queue of such an instance — the queue moves
    /// only when the agent admits it, which a disconnected agent never does
    /// (`fidelity/stall-behind-a-task-queued-at-a-disconnected-agent.ron`). Reads only the
    /// instances whose agent is away and what waits on them, never the service's tasks: nothing
    /// in a run without a disconnect. Called only for a pass that failed to place a task with
    /// something in flight.
    pub(crate) fn service_tasks_held_for_agent(&self, service: ServiceId) -> u32 {
        let of_service = |t: TaskId| self.tasks.origin(t).service == Some(service);
        let held_steps = self
            .faults
            .agent_held
            .values()
            .flatten()
            .filter(|(t, step)| of_service(*t) && self.agent_hold_stands(*t, *step))
            .map(|(t, _)| *t);
        let queued_at_away_agent = self
            .instances
            .away_agents()
            .flat_map(|i| self.instances.agent_queue(i).map(|(t, _)| t))
            .filter(|t| of_service(*t) && self.tasks.waits_for_agent(*t));
        let mut held: Vec<TaskId> = held_steps.chain(queued_at_away_agent).collect();
        // A task may wait for two steps (its start, then the stop it was told meanwhile).
        held.sort_unstable();
        held.dedup();
        u32::try_from(held.len()).expect("fewer than 2^32 tasks")
    }

    /// The agent of `instance` reconnected: it does what its tasks waited for, in the order they
    /// began to wait.
    pub(crate) fn release_held_for_agent(&mut self, instance: InstanceId) {
        let Some(held) = self.faults.agent_held.remove(&instance) else { return };
        for (id, step) in held {
            if !self.agent_hold_stands(id, step) {
                continue;
            }
            match step {
                AgentHeld::StageEnd { epoch } => self.on_task_stage_ends(id, epoch),
                AgentHeld::Stop if self.tasks[id.index()].last_status == TaskStatus::Pending => self.stop_before_start(id),
                AgentHeld::Stop => self.send_sigterm(id),
            }
        }
    }

    /// A task that fails before RUNNING (fault): it stops with TaskFailedToStart.
    fn fail_task_start(&mut self, id: TaskId) {
        self.replacement_lost(id);
        self.stop_task_now(id, StopCode::TaskFailedToStart, "Task failed to start");
        if let Some(s) = self.task_origin(id).service {
            self.triggers.push(Trigger::TaskFailedToStart(s));
        }
    }

    /// Orphans every task of an instance being force-deregistered (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html>, docs/ecs-choices.md),
    /// terminated, or stopped by EC2 (a hibernated Spot Instance, `engine/spot.rs`): they leave the
    /// accounting at once and their services replace them.
    pub(crate) fn orphan_tasks(&mut self, instance: InstanceId, cause: BreachCause, reason: &'static str) {
        let tasks = self.instances[instance.index()].tasks.clone();
        for id in tasks {
            let old = self.tasks[id.index()].contribution();
            let was_healthy = old.healthy;
            if self.is_staying(id) {
                self.adjust_spread(id, -1);
            }
            let stopping = self.tasks[id.index()].last_status == TaskStatus::Stopping;
            self.replacement_lost(id);
            self.tasks.orphan(id);
            self.record(Subject::Task(id), Change::TaskOrphaned, reason);
            self.agent_done_with(id, stopping, false);
            self.release_task(id);
            if let Some(eni) = self.task_eni(id) {
                self.delete_attachment_now(eni);
            }
            self.apply_contribution(id, old);
            if let Some(s) = self.task_origin(id).service {
                if was_healthy {
                    self.triggers.push(Trigger::HealthyTaskLost(s, cause));
                }
                self.triggers.push(Trigger::TaskLeft(s));
            }
        }
    }

    // ----- operations -----

    pub(crate) fn run_task(&mut self, req: api::RunTaskRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let td = self.resolve_task_def(&req.task_definition)?;
        let count = req.count.unwrap_or(1);
        if !(1..=10).contains(&count) {
            return Err(EcsError::invalid_parameter(format!("count must be between 1 and 10; {count} given.")));
        }
        let size = self.size_override(td, req.overrides.as_ref())?;
        let strategies = crate::placement::parse_strategies(&mut self.strings, &req.placement_strategy, false)?;
        let constraints = crate::placement::parse_constraints(&self.task_defs[td.index()].member_of, &req.placement_constraints)?;
        let network = self.parse_network_configuration(td, req.network_configuration.as_ref())?;
        let constraints = self.constraints_in_subnets(constraints, network.as_deref());
        self.check_eni_limits_known(cluster, td)?;
        check_started_by(req.started_by.as_deref())?;
        // The call's tasks are dealt over its strategy's providers as a service's are, counting
        // this call's tasks only (docs/ecs-choices.md § "Capacity provider strategies").
        let capacity = self.service_capacity_strategy(
            cluster,
            crate::state::service::SchedulingStrategy::Replica,
            req.launch_type.as_deref(),
            &req.capacity_provider_strategy,
        )?;
        if capacity.is_empty() && self.no_container_instances(cluster) {
            return Err(EcsError::invalid_parameter("No Container Instances were found in your cluster."));
        }
        let mut launched_on = vec![0u32; capacity.len()];
        let mut built = Vec::new();
        let family = self.task_defs[td.index()].family;
        let group = self.strings.intern(&req.group.clone().unwrap_or_else(|| format!("family:{}", self.strings.resolve(family))));
        let started_by = req.started_by.as_deref().map(|s| self.strings.intern(s));
        let strategies = if strategies.is_empty() { vec![Strategy::Random] } else { strategies };
        let req_res = self.requirements_with(td, size);
        let mut tasks = Vec::new();
        let mut failures = Vec::new();
        for _ in 0..count {
            let item = (!capacity.is_empty()).then(|| crate::rules::capacity_providers::choose_provider(&capacity, &launched_on));
            let constraints = self.constraints_within(&constraints, item.map(|k| capacity[k].provider), &mut built);
            match self.choose_instance(cluster, &req_res, &strategies, crate::placement::Owner::Group(group), &constraints) {
                Ok(i) => {
                    if let Some(k) = item {
                        launched_on[k] += 1;
                    }
                    let t = self.launch_task(i, td, None, group, started_by, size, false, network.as_deref());
                    tasks.push(t);
                }
                Err(f) => failures.push(Failure {
                    arn: f.closest.map(|i| self.instance_arn(i)),
                    reason: f.reason.failure_reason().into(),
                    detail: None,
                }),
            }
        }
        Ok(Reply::Tasks { ids: tasks, failures })
    }

    pub(crate) fn start_task(&mut self, req: api::StartTaskRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let td = self.resolve_task_def(&req.task_definition)?;
        if req.container_instances.is_empty() || req.container_instances.len() > 10 {
            return Err(EcsError::invalid_parameter("containerInstances must list 1 to 10 container instances."));
        }
        let size = self.size_override(td, req.overrides.as_ref())?;
        self.check_eni_limits_known(cluster, td)?;
        check_started_by(req.started_by.as_deref())?;
        let network = self.parse_network_configuration(td, req.network_configuration.as_ref())?;
        let constraints = self.constraints_in_subnets(crate::placement::Constraints::default(), network.as_deref());
        let family = self.task_defs[td.index()].family;
        let group = self.strings.intern(&req.group.clone().unwrap_or_else(|| format!("family:{}", self.strings.resolve(family))));
        let started_by = req.started_by.as_deref().map(|s| self.strings.intern(s));
        let req_res = self.requirements_with(td, size);
        let mut tasks = Vec::new();
        let mut failures = Vec::new();
        for r in &req.container_instances {
            let Some(i) = self.resolve_instance(cluster, r) else {
                failures.push(Failure {
                    arn: Some(self.missing_instance_arn(cluster, r)),
                    reason: "MISSING".into(),
                    detail: None,
                });
                continue;
            };
            let inst = &self.instances[i.index()];
            if inst.status == InstanceStatus::Inactive {
                failures.push(Failure { arn: Some(self.instance_arn(i)), reason: "INACTIVE".into(), detail: None });
                continue;
            }
            if !inst.agent_connected {
                failures.push(Failure {
                    arn: Some(self.instance_arn(i)),
                    reason: crate::placement::PlacementFailureReason::Agent.as_str().into(),
                    detail: None,
                });
                continue;
            }
            if !inst.is_placeable() {
                failures.push(Failure {
                    arn: Some(self.instance_arn(i)),
                    reason: inst.status.as_str().into(),
                    detail: Some("Tasks are only placed on ACTIVE container instances.".into()),
                });
                continue;
            }
            match crate::engine::placement::unmet_requirement(
                self,
                i,
                &req_res,
                crate::placement::Owner::Group(group),
                &constraints,
            ) {
                Some(reason) => failures.push(Failure {
                    arn: Some(self.instance_arn(i)),
                    reason: reason.failure_reason().into(),
                    detail: None,
                }),
                None => {
                    let t = self.launch_task(i, td, None, group, started_by, size, false, network.as_deref());
                    tasks.push(t);
                }
            }
        }
        Ok(Reply::Tasks { ids: tasks, failures })
    }

    /// Puts a task that already runs on a container instance there, RUNNING from now (a cluster
    /// captured from ECS; see [`api::AdoptTaskRequest`]). The instance must be ACTIVE with a
    /// connected agent and have room for it; a service task may run another task definition than
    /// its service's (a deployment in progress when the cluster was captured). The task walks its start-up statuses at once (the trace shows them, with the
    /// reason `adopted`), is admitted by the agent, gets its ENI attached (awsvpc) and, unless
    /// `healthy` is false, counts as healthy. Nothing changes when the request is refused.
    pub fn adopt_running_task(&mut self, req: api::AdoptTaskRequest) -> Result<TaskId, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let td = self.resolve_task_def(&req.task_definition)?;
        let instance = self.resolve_instance(cluster, &req.container_instance).ok_or_else(|| {
            EcsError::invalid_parameter(format!("container instance '{}' is not in the cluster.", req.container_instance))
        })?;
        if !self.instances[instance.index()].is_placeable() {
            return Err(EcsError::invalid_parameter(format!(
                "container instance '{}' is {}{}: tasks are adopted only on ACTIVE instances with a connected agent.",
                req.container_instance,
                self.instances[instance.index()].status.as_str(),
                if self.instances[instance.index()].agent_connected { "" } else { " (agent disconnected)" }
            )));
        }
        let service = match &req.service {
            None => None,
            Some(name) => {
                // The task may run another task definition than its service's (a deployment was in
                // progress when the cluster was captured): it keeps its own reservation; the
                // service starts tasks of its own only.
                let s = self
                    .resolve_service(cluster, name)
                    .ok_or_else(|| EcsError::new(crate::errors::EcsErrorKind::ServiceNotFoundException, "Service not found."))?;
                Some(s)
            }
        };
        if service.is_some() && req.overrides.as_ref().is_some_and(|o| !o.is_empty()) {
            return Err(EcsError::invalid_parameter(format!(
                "a task of service '{}' has no overrides: a service gives its tasks its task definition's size.",
                req.service.as_deref().unwrap_or_default()
            )));
        }
        let size = self.size_override(td, req.overrides.as_ref())?;
        let group = match (service, &req.group) {
            (Some(s), _) => self.services[s.index()].group,
            (None, Some(g)) => self.strings.intern(g),
            (None, None) => {
                let family = self.strings.resolve(self.task_defs[td.index()].family).to_string();
                self.strings.intern(&format!("family:{family}"))
            }
        };
        let owner = match service {
            Some(s) => crate::placement::Owner::Service(s),
            None => crate::placement::Owner::Group(group),
        };
        let needs = self.requirements_with(td, size);
        if let Some(reason) =
            crate::engine::placement::unmet_requirement(self, instance, &needs, owner, &crate::placement::Constraints::default())
        {
            return Err(EcsError::invalid_parameter(format!(
                "container instance '{}' has no room for a task of {}: {reason}.",
                req.container_instance,
                self.task_def_arn(td)
            )));
        }
        let started_by = req.started_by.as_deref().map(|s| self.strings.intern(s));
        let id = self.launch_task(instance, td, service, group, started_by, size, false, None);
        if !self.tasks[id.index()].agent_admitted() {
            unreachable!("a task adopted on an ACTIVE instance before anything stops is admitted at once");
        }
        self.attach_task_eni(id);
        for to in [TaskStatus::Pending, TaskStatus::Activating, TaskStatus::Running] {
            self.set_task_status(id, to, "adopted");
        }
        if req.healthy {
            self.mark_healthy(id);
        } else if let Some(s) = service {
            // Its scheduler replaces it (`scheduler.rs::replace_unhealthy`), in a pass at this
            // time, as after a request.
            self.services.note_unhealthy(s, id);
            self.request_pass(s);
            self.defer_due_passes();
        } else {
            // ECS reported it UNHEALTHY; nothing replaces a standalone task.
            self.tasks.note_standalone_unhealthy(id);
        }
        Ok(id)
    }

    /// Resolves a task ID or ARN in a cluster.
    /// An ARN must be the task's own (its Region, account, format and cluster), and an ID the one
    /// its ARN ends with: another Region's task ARN with this task's ID names nothing here.
    pub(crate) fn resolve_task(&self, cluster: ClusterId, reference: &str) -> Option<TaskId> {
        let r = self.referenced(reference, "task")?;
        let uuid = crate::state::instance::parse_id(r.name)?;
        let id = self.tasks.by_uuid(uuid)?;
        let long = self.task_origin(id).long_arn;
        (self.task_cluster(id) == cluster
            && r.fits(self.cluster_name(cluster), long)
            && crate::state::instance::id_text(uuid, long).as_str() == r.name)
            .then_some(id)
    }

    pub(crate) fn stop_task(&mut self, req: api::StopTaskRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        check_stop_reason(req.reason.as_deref())?;
        let id = self
            .resolve_task(cluster, &req.task)
            .ok_or_else(|| EcsError::invalid_parameter(format!("The referenced task was not found: {}.", req.task)))?;
        let reason = req.reason.clone().unwrap_or_else(|| "Task stopped by user".into());
        if !self.tasks[id.index()].orphaned() {
            let was_healthy = self.tasks[id.index()].contribution().healthy;
            self.replacement_lost(id);
            self.stop_task_now(id, StopCode::UserInitiated, &reason);
            if let Some(s) = self.task_origin(id).service {
                if was_healthy {
                    self.triggers.push(Trigger::HealthyTaskLost(s, BreachCause::UserStoppedTask));
                }
                self.triggers.push(Trigger::TaskLeft(s));
            }
        }
        Ok(Reply::Task(id))
    }

    pub(crate) fn list_tasks(&mut self, req: api::ListTasksRequest) -> Result<Response, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        // "When you specify startedBy as the filter, it must be the only filter that you use"
        // (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html>); desiredStatus,
        // which always has a value (RUNNING by default), is not counted.
        if req.started_by.is_some() && (req.container_instance.is_some() || req.service_name.is_some() || req.family.is_some()) {
            return Err(EcsError::invalid_parameter(
                "startedBy must be the only filter: it cannot be combined with containerInstance, serviceName or family.",
            ));
        }
        let instance = match &req.container_instance {
            None => None,
            Some(r) => Some(
                self.resolve_instance(cluster, r)
                    .ok_or_else(|| EcsError::invalid_parameter(format!("Container instance {r} not found.")))?,
            ),
        };
        let service = match &req.service_name {
            None => None,
            Some(name) => Some(
                self.resolve_service(cluster, name)
                    .ok_or_else(|| EcsError::new(crate::errors::EcsErrorKind::ServiceNotFoundException, "Service not found."))?,
            ),
        };
        let desired = req.desired_status.as_deref().unwrap_or("RUNNING");
        if !matches!(desired, "RUNNING" | "PENDING" | "STOPPED") {
            return Err(EcsError::invalid_parameter(format!(
                "desiredStatus '{desired}' is not valid; valid values are [RUNNING, PENDING, STOPPED]."
            )));
        }
        let family = req.family.as_deref().map(|f| self.strings.get(f));
        let started_by = req.started_by.as_deref().map(|f| self.strings.get(f));
        let max = crate::state::instance::page_size(req.max_results, 100)?;
        let start = match &req.next_token {
            None => 0,
            Some(t) => self.decode_token(t, b't')?,
        };
        let listed = |id: TaskId| {
            let t = &self.tasks[id.index()];
            let origin = self.origin(t.origin);
            self.instances[t.instance.index()].cluster == cluster
                && !t.orphaned()
                && t.desired_status() == desired
                && instance.is_none_or(|i| t.instance == i)
                && service.is_none_or(|s| origin.service == Some(s))
                && family.is_none_or(|f| f == Some(self.task_defs[origin.task_def.index()].family))
                && started_by.is_none_or(|s| s.is_some() && origin.started_by == s)
        };
        // The token is a position in the task table (tasks in creation order), so a page tests
        // only the tasks from there on, and reading every page reads the table about once. Tasks
        // not told to stop are never STOPPED (`Tasks::set_last_status`), so those of an instance or
        // a service are all on its list of live tasks: when that list is shorter than the rest of
        // the table, the page is taken from it instead (the same tasks, in the same order).
        let table_len = self.tasks.len();
        let task_at = |n: usize| TaskId(u32::try_from(n).expect("fewer than 2^32 tasks"));
        // "Although you can filter results based on a desired status of PENDING, this doesn't
        // return any results. Amazon ECS never sets the desired status of a task to that value"
        // (ListTasks, above): nothing to read.
        let start = if desired == "PENDING" { table_len } else { start.min(table_len) };
        let rest = table_len - start;
        let live_list = match (desired, instance, service) {
            ("RUNNING", Some(i), _) => Some(&self.instances[i.index()].tasks),
            ("RUNNING", None, Some(s)) => Some(&self.services[s.index()].tasks),
            _ => None,
        };
        let (page, next) = match live_list.filter(|list| list.len() < rest / 4) {
            Some(list) => {
                let mut found: Vec<TaskId> = list.iter().copied().filter(|id| id.index() >= start && listed(*id)).collect();
                if found.len() > max {
                    found.select_nth_unstable(max);
                    found.truncate(max + 1);
                }
                found.sort_unstable();
                let more = found.len() > max;
                found.truncate(max);
                let next = more.then(|| found.last().expect("a full page").index() + 1);
                (found, next)
            }
            None => {
                let mut found = Vec::new();
                let mut at = start;
                while at < table_len && found.len() < max {
                    if listed(task_at(at)) {
                        found.push(task_at(at));
                    }
                    at += 1;
                }
                let more = (at..table_len).any(|n| listed(task_at(n)));
                (found, more.then_some(at))
            }
        };
        let page: Vec<String> = page.into_iter().map(|t| self.task_arn(t)).collect();
        let next_token = next.map(|n| self.encode_token(n, b't'));
        Ok(Response::TaskArns { task_arns: page, next_token })
    }

    pub(crate) fn describe_tasks(&mut self, req: api::DescribeTasksRequest) -> Result<Response, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        if req.tasks.is_empty() || req.tasks.len() > 100 {
            return Err(EcsError::invalid_parameter("tasks must list 1 to 100 tasks."));
        }
        let mut tasks = Vec::new();
        let mut failures = Vec::new();
        for r in &req.tasks {
            match self.resolve_task(cluster, r) {
                Some(t) => tasks.push(self.render_task(t)),
                None => failures.push(Failure { arn: Some(r.clone()), reason: "MISSING".into(), detail: None }),
            }
        }
        Ok(Response::Tasks { tasks, failures })
    }
}

/// A task-level `cpu` on EC2: "between 128 CPU units (0.125 vCPUs) and 196608 CPU units (192 vCPUs)"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html>).
const TASK_CPU_UNITS: std::ops::RangeInclusive<i64> = 128..=196_608;

/// A task-level `cpu` (a task definition's, or a RunTask or StartTask override's) in CPU units,
/// or the refusal RegisterTaskDefinition gives.
fn parse_task_cpu(text: &str) -> Result<i64, EcsError> {
    parse_task_size(text, "vcpu").filter(|n| TASK_CPU_UNITS.contains(n)).ok_or_else(|| {
        EcsError::client(format!(
            "Invalid 'cpu' setting for task: '{text}'. Give {} to {} CPU units, or vCPUs (\"1 vCPU\").",
            TASK_CPU_UNITS.start(),
            TASK_CPU_UNITS.end()
        ))
    })
}

/// A task-level `memory` (a task definition's, or a RunTask or StartTask override's) in MiB, or
/// the refusal RegisterTaskDefinition gives.
fn parse_task_memory(text: &str) -> Result<i64, EcsError> {
    parse_task_size(text, "gb").filter(|n| (1..=10_000_000).contains(n)).ok_or_else(|| {
        EcsError::client(format!("Invalid 'memory' setting for task: '{text}'. Give MiB (\"2048\") or GB (\"2 GB\")."))
    })
}

/// A task-level memory of `task_mib` holds the `containers_mib` its containers reserve, or the
/// refusal RegisterTaskDefinition gives.
fn check_task_memory_holds_containers(task_mib: i64, containers_mib: i64) -> Result<(), EcsError> {
    if containers_mib > task_mib {
        return Err(EcsError::client(format!(
            "The containers reserve {containers_mib} MiB of memory, more than the task's {task_mib} MiB."
        )));
    }
    Ok(())
}

/// A task-level `cpu` or `memory` as RegisterTaskDefinition reads it: an integer (CPU units, MiB),
/// or a number with `unit` (`vcpu` or `gb`, any case, a space optional: "1 vCPU", "0.5 vcpu",
/// "2GB"), of which one is 1,024 CPU units or MiB. None when it is neither, or not a whole number
/// of units (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html>).
fn parse_task_size(text: &str, unit: &str) -> Option<i64> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    match lower.strip_suffix(unit) {
        None => text.parse::<i64>().ok(),
        Some(number) => {
            let number = number.trim_end();
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') || number.len() > 12 {
                return None;
            }
            let units = number.parse::<f64>().ok()? * 1024.0;
            (units.fract() == 0.0 && units <= 1e12).then_some(units as i64)
        }
    }
}

/// A task definition has at least one essential container: "All tasks must have at least one
/// essential container", and a container whose `essential` is omitted is essential ("If this
/// parameter is omitted, a container is assumed to be essential",
/// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html>).
/// RegisterTaskDefinition refuses one whose every container says `essential: false` with ECS's
/// ClientException, word for word as public captures quote it
/// (<https://github.com/eagletmt/hako/pull/68>; checked against ECS in
/// <https://github.com/aws-cloudformation/cfn-lint/pull/4536>).
fn check_essential_container(containers: &[api::ContainerDefinition]) -> Result<(), EcsError> {
    if containers.iter().any(|c| c.essential != Some(false)) {
        return Ok(());
    }
    Err(EcsError::client("Task definition doesn't have any essential container."))
}

/// A container health check's `command` is required and "must start with CMD to run the command
/// arguments directly, or CMD-SHELL to run the command with the container's default shell"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html>): an empty
/// (or omitted) one, which the model's list shape alone would let through, is refused. Only
/// emptiness is checked (what a non-empty command's first word may be is left to the agent and
/// Docker). The message is drainsim's: no capture of ECS's own wording was found.
fn check_health_check_command(container: &str, check: &api::HealthCheck) -> Result<(), EcsError> {
    if check.command.is_empty() {
        return Err(EcsError::client(format!(
            "Container {container}: healthCheck command is empty; it must start with CMD or CMD-SHELL."
        )));
    }
    Ok(())
}

/// The longest `reason` StopTask takes, in characters: "Up to 255 characters are allowed in this
/// message" (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html>, as the
/// SDKs generated from the ECS model quote it, e.g.
/// <https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/ECS/TStopTaskRequest.html>).
const MAX_STOP_REASON_CHARS: usize = 255;

/// StopTask's `reason`: at most [`MAX_STOP_REASON_CHARS`] characters (Unicode scalar values, as
/// the tag limits count them), checked once the cluster is found and before the task is looked
/// up. The message is drainsim's: no capture of ECS's own wording for this refusal was found.
fn check_stop_reason(reason: Option<&str>) -> Result<(), EcsError> {
    match reason.map(|r| r.chars().count()) {
        Some(chars) if chars > MAX_STOP_REASON_CHARS => Err(EcsError::invalid_parameter(format!(
            "reason is {chars} characters; StopTask allows up to {MAX_STOP_REASON_CHARS}."
        ))),
        _ => Ok(()),
    }
}

/// `startedBy` of RunTask and StartTask: "Up to 36 letters (uppercase and lowercase), numbers,
/// hyphens (-), forward slash (/), and underscores (_) are allowed"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html>).
fn check_started_by(started_by: Option<&str>) -> Result<(), EcsError> {
    match started_by {
        Some(s) if s.len() > 36 || !s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_')) => {
            Err(EcsError::invalid_parameter(format!(
                "startedBy '{s}' must be up to 36 letters, numbers, hyphens, forward slashes and underscores."
            )))
        }
        _ => Ok(()),
    }
}

/// The checks that decide when a RUNNING task counts as healthy ([`Engine::health_checks`]).
struct HealthChecks {
    /// Its essential containers' first health check interval, when one has a check.
    container_ms: Option<SimTimeMs>,
    /// Its load balancer target's time to healthy, when its service has a load balancer.
    target_ms: Option<SimTimeMs>,
    /// Whether the container checks decide its `healthStatus` too
    /// ([`TaskDefinition::reports_health_status`](crate::state::task::TaskDefinition::reports_health_status)).
    health_status: bool,
}
