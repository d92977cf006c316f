//! The container-instance operations (RegisterContainerInstance, DeregisterContainerInstance,
//! DescribeContainerInstances, ListContainerInstances, UpdateContainerInstancesState) and the
//! instance status mutator, over the tables of [`crate::state::instance`].

use crate::api::{self, has_reserved_tag_prefix, Failure, Response, RESERVED_TAG_PREFIX};
use crate::engine::Reply;
use crate::errors::EcsError;
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::queue::EventKind;
use crate::infra::shared::PortSetId;
use crate::infra::time::SECOND_MS;
use crate::placement::Resources;
use crate::rules::lifecycle::InstanceStatus;
use crate::rules::query::{InstanceFacts, Query};
use crate::rules::settings::SettingName;
use crate::rules::transitions::LegalChanges;
use crate::state::instance::*;
use crate::state::service::BreachCause;
use crate::state::task::AGENT_DEFAULT_STOP_TIMEOUT_MS;
use crate::state::trace::{Change, Subject};
use crate::state::trigger::Trigger;
use crate::Engine;

/// An instance's facts as the cluster query language reads them; with `ignoring`, as if that
/// service's tasks were not on the instance (a DAEMON's own tasks, see
/// [`crate::engine::placement::satisfies_member_of_without`]).
struct QueryFacts<'a> {
    engine: &'a Engine,
    id: InstanceId,
    ignoring: Option<ServiceId>,
}

impl QueryFacts<'_> {
    /// The instance's tasks that the facts see.
    fn tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.engine.instances[self.id.index()]
            .tasks
            .iter()
            .copied()
            .filter(|t| self.ignoring.is_none() || self.engine.task_origin(*t).service != self.ignoring)
    }
}

impl InstanceFacts for QueryFacts<'_> {
    fn agent_connected(&self) -> bool {
        self.engine.instances[self.id.index()].agent_connected
    }
    fn agent_version_key(&self) -> Option<std::borrow::Cow<'_, [u64]>> {
        self.engine.instance_profile(self.id).agent_version_key.as_deref().map(std::borrow::Cow::Borrowed)
    }
    fn ec2_instance_id(&self) -> std::borrow::Cow<'_, str> {
        self.engine.ec2_instance_id(self.id).into()
    }
    fn registered_at_unix_ms(&self) -> i64 {
        let epoch_ms = i64::try_from(self.engine.config.epoch_unix_s).unwrap_or(i64::MAX).saturating_mul(1000);
        epoch_ms.saturating_add(self.engine.instances[self.id.index()].registered_at_ms)
    }
    fn running_tasks_count(&self) -> u64 {
        match self.ignoring {
            None => u64::from(self.engine.instances[self.id.index()].running_tasks_count),
            Some(_) => self.tasks().filter(|t| self.engine.tasks[t.index()].contribution().running).count() as u64,
        }
    }
    fn attribute(&self, name: &str) -> Option<Option<&str>> {
        let name = self.engine.strings.get(name)?;
        self.engine.instance_attribute(self.id, name).map(|v| v.map(|v| self.engine.strings.resolve(v)))
    }
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool {
        self.tasks().any(|t| test(self.engine.strings.resolve(self.engine.task_origin(t).group)))
    }
    fn hosts_tasks(&self) -> bool {
        self.tasks().next().is_some()
    }
    fn capacity_provider(&self) -> Option<&str> {
        self.engine.instance_capacity_provider_name(self.id)
    }
}

/// What an instance profile derives from its agent version, set with it (registration,
/// `Engine::set_agent_version`) and compared with it by `check_invariants`: whether the agent
/// honours a container's `stopTimeout`, and the version as the cluster query language orders it.
/// The longest logical instance name RegisterContainerInstance accepts (`instanceIdentity.name`,
/// drainsim's extension): an EC2 instance ID, an imported name or a group member's fits many times.
pub(crate) const MAX_INSTANCE_NAME_CHARS: usize = 255;

pub(crate) fn derived_from_agent_version(version: Option<&str>) -> (bool, Option<Box<[u64]>>) {
    (
        crate::rules::versions::agent_honours_container_stop_timeout(version),
        version.and_then(crate::rules::query::version_key).map(Vec::into_boxed_slice),
    )
}

impl Engine {
    // ----- rendering -----

    /// The container instance's 128-bit ID (a keyed bijection of its index, so no table is needed).
    pub(crate) fn instance_uuid(&self, id: InstanceId) -> u128 {
        self.instances.uuid(id)
    }

    /// The EC2 instance ID: the one registered, or `i-0` and 16 hex digits derived from the index
    /// (a keyed bijection, so distinct instances never share one and nothing is stored).
    pub(crate) fn ec2_instance_id(&self, id: InstanceId) -> String {
        match self.instances[id.index()].ec2_instance_id {
            Some(given) => self.strings.resolve(given).to_string(),
            None => format!("i-0{:016x}", self.instances.uuid64(id)),
        }
    }

    /// The container instance ID (32 hex digits, or a hyphenated UUID in the old format).
    pub(crate) fn instance_short_id(&self, id: InstanceId) -> String {
        render_id(self.instance_uuid(id), self.instances[id.index()].long_arn)
    }

    /// The container instance ARN, in the format chosen at registration (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>).
    pub(crate) fn instance_arn(&self, id: InstanceId) -> String {
        let i = &self.instances[id.index()];
        let cluster = i.long_arn.then(|| self.cluster_name(i.cluster));
        self.arn("container-instance", cluster, crate::state::instance::id_text(self.instance_uuid(id), i.long_arn).as_str())
    }

    /// The instance registered under a logical name.
    pub(crate) fn instance_by_name(&self, name: &str) -> Option<InstanceId> {
        self.strings.get(name).and_then(|s| self.instances.by_name(s))
    }

    /// What an instance shares with the instances registered alike.
    pub(crate) fn instance_profile(&self, id: InstanceId) -> &InstanceProfile {
        self.instances.profile(id)
    }

    /// Its agent reports version `v` (re-registration, UpdateContainerAgent): the profile's
    /// `agent_version` and what is derived from it change together.
    pub(crate) fn set_agent_version(&mut self, id: InstanceId, v: Sym) {
        let (honours, key) = derived_from_agent_version(Some(self.strings.resolve(v)));
        self.update_instance_profile(id, |p| {
            p.agent_version = Some(v);
            p.honours_container_stop_timeout = honours;
            p.agent_version_key = key;
        });
    }

    /// Changes an instance's profile (copy-on-write: other instances keep theirs).
    pub(crate) fn update_instance_profile(&mut self, id: InstanceId, f: impl FnOnce(&mut InstanceProfile)) {
        self.change_attributes(id, |e| e.instances.update_profile(id, f));
    }

    /// Changes what an instance's attribute values come from (its profile, or its trunk's
    /// attribute), keeping in step what reads them: the staying tasks of services and task groups
    /// that count their tasks by an attribute's value are counted out under the old values and back in under
    /// the new, the placement index files the instance under its new values, and the instance is
    /// noted as changed (`memberOf` expressions read attributes and the agent version, and not
    /// every such change is recorded).
    fn change_attributes(&mut self, id: InstanceId, change: impl FnOnce(&mut Self)) {
        let recount: Vec<TaskId> = if self.services.any_value_spread() || self.clusters.any_group_value_spread() {
            let cluster = self.instances[id.index()].cluster;
            self.instances[id.index()]
                .tasks
                .iter()
                .copied()
                .filter(|t| {
                    let origin = self.tasks.origin(*t);
                    let counts_by_value = match origin.service {
                        Some(s) => self.services[s.index()].spread.value_attribute.is_some(),
                        None => self.clusters.group_value_attribute(cluster, origin.group).is_some(),
                    };
                    counts_by_value && self.counted_in_spread(*t)
                })
                .collect()
        } else {
            Vec::new()
        };
        // Where room orders by value file the instance now (its tasks, counted out below, leave
        // it unoccupied there until they are counted back in).
        let value_rooms = self.value_room_pools(id);
        for t in &recount {
            self.adjust_spread(*t, -1);
        }
        change(self);
        self.refile_value_rooms(id, value_rooms);
        for t in &recount {
            self.adjust_spread(*t, 1);
        }
        self.note_instance_changed(id);
        self.refile_attribute_values(id);
    }

    /// Keeps a placeable instance filed under its current values of the attributes spread
    /// placement reads (after a change of its attributes).
    fn refile_attribute_values(&mut self, id: InstanceId) {
        let i = &self.instances[id.index()];
        if !i.indexed {
            return;
        }
        let (key, cluster) = (i.index_key(id), i.cluster);
        let (instances, trunk_id) = (&self.instances, self.builtin.trunk_id);
        self.clusters
            .placement_mut(cluster)
            .revalue(key, instances.port_sets(), |a| instances.attribute(id, a, trunk_id).flatten());
        // And under its answers to the constraint classes' `memberOf` expressions (every list
        // may read an attribute or the profile).
        self.refile_member_of_answers(id, |p| !p.member_of_lists.is_empty());
    }

    /// Sets or clears the instance's `ecs.awsvpc-trunk-id` attribute, which `memberOf`
    /// expressions may read.
    pub(crate) fn set_trunk_id_attribute(&mut self, id: InstanceId, value: Option<Sym>) {
        self.change_attributes(id, |e| e.instances.set_trunk_id_attribute(id, value));
    }

    /// An instance's attributes sorted by name, as DescribeContainerInstances lists them (the
    /// profile keeps them in symbol order, which is the order their names were first seen).
    pub(crate) fn instance_attributes(&self, id: InstanceId) -> Vec<(Sym, Option<Sym>)> {
        let mut attributes = self.instance_profile(id).attributes.clone();
        if let Some(value) = self.instances[id.index()].trunk_id_attribute {
            attributes.push((self.builtin.trunk_id, Some(value)));
        }
        attributes.sort_by(|(a, _), (b, _)| self.strings.resolve(*a).cmp(self.strings.resolve(*b)));
        attributes
    }

    /// The value of one attribute: `None` if the instance lacks it, `Some(None)` if it has no value.
    pub(crate) fn instance_attribute(&self, id: InstanceId, name: Sym) -> Option<Option<Sym>> {
        self.instances.attribute(id, name, self.builtin.trunk_id)
    }

    /// Whether an instance satisfies a cluster query language expression (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html>).
    pub(crate) fn instance_matches(&self, id: InstanceId, query: &Query) -> bool {
        query.matches(&QueryFacts { engine: self, id, ignoring: None })
    }

    /// Whether the instance matches a query as if `service`'s tasks were not on it.
    pub(crate) fn instance_matches_without(&self, id: InstanceId, query: &Query, service: ServiceId) -> bool {
        query.matches(&QueryFacts { engine: self, id, ignoring: Some(service) })
    }

    /// The ports of a port set, sorted.
    pub(crate) fn port_set(&self, id: PortSetId) -> &[u16] {
        self.instances.port_set(id)
    }

    /// The ECS `ContainerInstance` shape of an instance.
    pub(crate) fn render_instance(&self, id: InstanceId, include_tags: bool, include_health: bool) -> api::ContainerInstance {
        let i = &self.instances[id.index()];
        let p = self.instance_profile(id);
        let s = |sym: Sym| self.strings.resolve(sym).to_string();
        let gpus = self.instances.gpu_devices(id);
        // GPUs show as a STRINGSET of their IDs: all of them registered, and remaining the free
        // ones (where remaining PORTS lists the ports in use).
        let resources = |r: &Resources, gpu_mask: u64| {
            let mut v = vec![
                api::Resource::integer("CPU", r.cpu),
                api::Resource::integer("MEMORY", r.memory),
                api::Resource::string_set("PORTS", self.port_set(r.ports_tcp).iter().map(|p| p.to_string()).collect()),
                api::Resource::string_set("PORTS_UDP", self.port_set(r.ports_udp).iter().map(|p| p.to_string()).collect()),
            ];
            if let Some(d) = gpus {
                let ids = crate::state::instance::gpus_of(d, gpu_mask).map(|g| self.strings.resolve(g).to_string()).collect();
                v.push(api::Resource::string_set("GPU", ids));
            }
            v.extend(p.custom_resources.iter().map(|c| c.0.clone()));
            v
        };
        api::ContainerInstance {
            container_instance_arn: self.instance_arn(id),
            ec2_instance_id: self.ec2_instance_id(id),
            capacity_provider_name: self.instance_capacity_provider_name(id).map(str::to_string),
            version: i.version,
            version_info: api::VersionInfo {
                agent_version: p.agent_version.map(s),
                agent_hash: p.agent_hash.map(s),
                docker_version: p.docker_version.map(s),
            },
            remaining_resources: resources(&i.remaining, gpus.map_or(0, |d| d.free())),
            registered_resources: resources(&p.registered, u64::MAX),
            status: i.status.as_str().into(),
            status_reason: i.status_reason.map(s),
            agent_connected: i.agent_connected,
            running_tasks_count: i.running_tasks_count,
            pending_tasks_count: i.pending_tasks_count,
            agent_update_status: i.agent_update.map(|u| u.as_str().to_string()),
            attributes: self
                .instance_attributes(id)
                .iter()
                .map(|(n, v)| api::Attribute { name: s(*n), value: v.map(s), target_type: None, target_id: None })
                .collect(),
            registered_at: self.config.epoch_unix_s as f64 + i.registered_at_ms as f64 / 1000.0,
            attachments: i.trunk.iter().map(|a| self.render_attachment(*a)).collect(),
            tags: include_tags.then(|| p.tags.iter().map(|(k, v)| api::Tag { key: s(*k), value: s(*v) }).collect()),
            health_status: include_health.then(|| self.instance_health(id)),
        }
    }

    /// `healthStatus` (DescribeContainerInstances with `include: CONTAINER_INSTANCE_HEALTH`,
    /// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-health.html>):
    /// ECS checks the container runtime of instances whose agent is 1.57.0 or later. drainsim's
    /// runtime is always responsive, so the check is `OK` while the agent is connected, from the
    /// moment it (re)connected; while it is disconnected ECS has no data (`INSUFFICIENT_DATA`, from
    /// the moment it disconnected). An older agent reports no check: `overallStatus`
    /// `INSUFFICIENT_DATA` with no `details` (docs/ecs-choices.md).
    fn instance_health(&self, id: InstanceId) -> api::ContainerInstanceHealthStatus {
        let i = &self.instances[id.index()];
        let version = self.instance_profile(id).agent_version.map(|v| self.strings.resolve(v));
        let status = if i.agent_connected { "OK" } else { "INSUFFICIENT_DATA" };
        if !crate::rules::versions::agent_reports_instance_health(version) {
            return api::ContainerInstanceHealthStatus { overall_status: "INSUFFICIENT_DATA".into(), details: None };
        }
        let ts = |ms: crate::infra::time::SimTimeMs| self.config.epoch_unix_s as f64 + ms as f64 / 1000.0;
        let changed_at = self.instances.connection_changed_at_ms(id);
        let last_updated = if i.agent_connected { self.now_ms } else { changed_at };
        api::ContainerInstanceHealthStatus {
            overall_status: status.into(),
            details: Some(vec![api::InstanceHealthCheckResult {
                check_type: "CONTAINER_RUNTIME".into(),
                status: status.into(),
                last_updated: ts(last_updated),
                last_status_change: ts(changed_at),
            }]),
        }
    }

    /// Finds an instance of `cluster` by container instance ID or ARN; forgotten instances are gone.
    pub(crate) fn resolve_instance(&self, cluster: ClusterId, reference: &str) -> Option<InstanceId> {
        let r = self.referenced(reference, "container-instance")?;
        let uuid = parse_id(r.name)?;
        let id = self.instances.by_uuid(uuid)?;
        let i = &self.instances[id.index()];
        (i.cluster == cluster
            && !i.forgotten
            && r.fits(self.cluster_name(cluster), i.long_arn)
            && crate::state::instance::id_text(uuid, i.long_arn).as_str() == r.name)
            .then_some(id)
    }

    /// The ARN a failure names for a reference that matched nothing.
    pub(crate) fn missing_instance_arn(&self, cluster: ClusterId, reference: &str) -> String {
        if reference.starts_with("arn:") {
            reference.to_string()
        } else {
            self.arn("container-instance", Some(self.cluster_name(cluster)), reference)
        }
    }

    /// Bumps an instance's version (every change that would emit an ECS event, <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerInstance.html>).
    pub(crate) fn bump_version(&mut self, id: InstanceId) {
        self.instances.bump_version(id);
    }

    /// The one place an instance changes status: checks the legal graph, bumps the version, records.
    pub(crate) fn set_instance_status(&mut self, id: InstanceId, to: InstanceStatus, reason: &'static str) {
        let from = self.instances[id.index()].status;
        // Tasks on a DRAINING instance are leaving: they move out of (and back into) spread counts,
        // and into (and out of) their services' drain candidates.
        let leaving: Vec<TaskId> = if (from == InstanceStatus::Draining) != (to == InstanceStatus::Draining) {
            self.instances[id.index()].tasks.clone()
        } else {
            Vec::new()
        };
        let delta = if to == InstanceStatus::Draining { -1 } else { 1 };
        for t in &leaving {
            if !self.tasks[t.index()].desired_stopped() {
                self.adjust_spread(*t, delta);
            }
        }
        assert!(from.change_allowed(to), "illegal container instance transition {} -> {}", from.as_str(), to.as_str());
        self.instances.set_status(id, to, self.now_ms);
        for t in leaving {
            self.refile_drain_candidate(t);
        }
        self.bump_version(id);
        self.record(Subject::Instance(id), Change::InstanceStatus { from: Some(from), to }, reason);
        self.refresh_placeability(id);
        if to == InstanceStatus::Inactive {
            let window = self.config.timings.inactive_describable_ms;
            self.schedule(window, EventKind::InstanceForgotten, id.0, 0);
            self.forget_agent_holds(id);
        }
    }

    /// Puts an instance in or out of its cluster's placement index to match `is_placeable`.
    pub(crate) fn refresh_placeability(&mut self, id: InstanceId) {
        let placeable = self.instances[id.index()].is_placeable();
        let indexed = self.instances[id.index()].indexed;
        if placeable != indexed {
            let i = &self.instances[id.index()];
            let key = i.index_key(id);
            let cluster = i.cluster;
            let answers = if placeable { self.member_of_answers(cluster, id) } else { Vec::new() };
            let (instances, trunk_id) = (&self.instances, self.builtin.trunk_id);
            let index = self.clusters.placement_mut(cluster);
            if placeable {
                index.insert(key, instances.port_sets(), |a| instances.attribute(id, a, trunk_id).flatten(), &answers);
            } else {
                index.remove(key, instances.port_sets());
            }
            self.instances.set_indexed(id, placeable);
            let (before, after) = if placeable { (None, Some(key)) } else { (Some(key), None) };
            self.relay_room_change(id, before, after);
            if placeable {
                // New room: services waiting for capacity it can hold, and daemon services (one
                // task per instance, e.g. a trunked instance that just became ACTIVE), try again.
                self.triggers.push(Trigger::InstancePlaceable(id));
            }
        }
    }

    pub(crate) fn on_instance_forgotten(&mut self, id: InstanceId) {
        self.instances.forget(id);
    }

    // ----- RegisterContainerInstance -----

    pub(crate) fn register_container_instance(
        &mut self,
        caller_arn: &str,
        req: &api::RegisterContainerInstanceRequest,
    ) -> Result<Reply, EcsError> {
        // Validate everything before changing anything.
        // No `cluster` means `default`, which this registration creates if it does not exist.
        let existing_cluster = match req.cluster.as_deref() {
            None => self.resolve_cluster(None).ok(),
            Some(c) => Some(self.resolve_cluster(Some(c))?),
        };
        if let Some(arn) = &req.container_instance_arn {
            let cluster = existing_cluster.ok_or_else(EcsError::cluster_not_found)?;
            let id = self
                .resolve_instance(cluster, arn)
                .ok_or_else(|| EcsError::client(format!("Container instance {arn} not found.")))?;
            if self.instances[id.index()].status == InstanceStatus::Inactive {
                return Err(EcsError::client(format!("Container instance {} is inactive.", self.instance_short_id(id))));
            }
            return self.reregister_container_instance(id, req);
        }
        let ident = &req.instance_identity;
        let given_uuid = match &ident.container_instance_id {
            None => None,
            Some(given) => {
                let uuid = crate::state::instance::parse_id(given).ok_or_else(|| {
                    EcsError::invalid_parameter(format!(
                        "containerInstanceId '{given}' is not a container instance ID (32 hex digits, or a hyphenated UUID)."
                    ))
                })?;
                if !self.instances.uuid_is_free(uuid) {
                    return Err(EcsError::invalid_parameter(format!("containerInstanceId '{given}' is already registered.")));
                }
                Some(uuid)
            }
        };
        if ident.name.is_empty() || ident.instance_type.is_empty() || ident.availability_zone.is_empty() {
            return Err(EcsError::invalid_parameter(
                "The instance identity must give the instance's name, instanceType and availabilityZone.",
            ));
        }
        // The logical name is drainsim's own and appears on every line about the instance: a
        // control character (a line feed) or a name of pages would break them.
        // The name is not echoed: it would carry the character to the terminal (or Rust's escape).
        if let Some((at, c)) = ident.name.chars().enumerate().find(|(_, c)| c.is_control()) {
            return Err(EcsError::invalid_parameter(format!(
                "The instance name holds the control character U+{:04X} (character {}); a name is 1-{MAX_INSTANCE_NAME_CHARS} characters without control characters.",
                u32::from(c),
                at + 1
            )));
        }
        let name_chars = ident.name.chars().count();
        if name_chars > MAX_INSTANCE_NAME_CHARS {
            return Err(EcsError::invalid_parameter(format!(
                "The instance name is {name_chars} characters; a name is 1-{MAX_INSTANCE_NAME_CHARS} characters without control characters."
            )));
        }
        let now_ms = i64::try_from(self.now_ms).expect("simulated times are below 2^50");
        let registered_at_ms = ident.registered_at_ms.unwrap_or(now_ms);
        let earliest_ms = -i64::try_from(crate::time::MAX_SIM_TIME_MS).expect("2^50");
        if !(earliest_ms..=now_ms).contains(&registered_at_ms) {
            return Err(EcsError::invalid_parameter(format!(
                "registeredAtMs {registered_at_ms} must be at most the time of the registration ({now_ms} ms) and at least {earliest_ms}."
            )));
        }
        if let Some(existing) = self.instance_by_name(&ident.name) {
            // A name stays its instance's for the engine's life, in every cluster: a deregistered
            // instance is still described (and named in the trace) by it.
            let i = &self.instances[existing.index()];
            let detail = if i.status.is_deregistered() {
                format!(
                    "was registered before (now {}): logical names are unique for the engine's life, in every cluster; \
                     register it again under another name",
                    i.status.as_str()
                )
            } else {
                format!(
                    "is already registered in cluster {}: a logical name is unique across all clusters",
                    self.cluster_name(i.cluster)
                )
            };
            return Err(EcsError::invalid_parameter(format!("An instance named '{}' {detail}.", ident.name)));
        }
        let parsed = parse_total_resources(&req.total_resources)?;
        let gpu_ids = crate::state::instance::parse_platform_devices(&req.platform_devices)?;
        let custom_attrs = req.attributes.iter().filter(|a| !a.name.starts_with("ecs.")).count();
        if custom_attrs > MAX_CUSTOM_ATTRIBUTES {
            return Err(EcsError::invalid_parameter(format!(
                "A container instance can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes; {custom_attrs} given."
            )));
        }
        for a in &req.attributes {
            if !valid_attribute_name(&a.name) {
                return Err(EcsError::invalid_parameter(format!(
                    "Attribute name '{}' must be 1-128 letters, numbers, hyphens, underscores, forward and back slashes and periods.",
                    a.name
                )));
            }
            if let Some(v) = &a.value {
                if !valid_attribute_value(v) {
                    return Err(EcsError::invalid_parameter(format!(
                        "Attribute value '{v}' of '{}' must be 1-128 letters, numbers, hyphens, underscores, periods, at signs, forward and back slashes, colons and inner spaces.",
                        a.name
                    )));
                }
            }
        }
        if req.tags.len() > MAX_TAGS {
            return Err(EcsError::invalid_parameter(format!("At most {MAX_TAGS} tags are allowed; {} given.", req.tags.len())));
        }
        for (n, t) in req.tags.iter().enumerate() {
            if !valid_tag_text(&t.key, 1..=128) || !valid_tag_text(&t.value, 0..=256) {
                return Err(EcsError::invalid_parameter(format!(
                    "Tag '{}': keys are 1-128 characters and values at most 256, of letters, spaces, numbers and _ . : / = + - @.",
                    t.key
                )));
            }
            // A user may not tag with the prefix AWS reserves, in a key or a value, in any case.
            for (member, text) in [("key", &t.key), ("value", &t.value)] {
                if has_reserved_tag_prefix(text) {
                    return Err(EcsError::invalid_parameter(format!(
                        "tags[{n}].{member} '{text}' starts with '{}': the aws: prefix, in any case, is reserved for AWS use in tag keys and values.",
                        &text[..RESERVED_TAG_PREFIX.len()]
                    )));
                }
            }
        }
        self.settings.validate_principal(caller_arn)?;
        // Tagging requires the long ARN format (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html>).
        if !req.tags.is_empty() && !self.settings.is_enabled(caller_arn, SettingName::ContainerInstanceLongArnFormat) {
            return Err(EcsError::invalid_parameter("Long arn format must be used for tagging operations"));
        }
        if let Some(eid) = &ident.ec2_instance_id {
            if !eid.starts_with("i-") {
                return Err(EcsError::invalid_parameter(format!("'{eid}' is not an EC2 instance ID.")));
            }
        }
        // The group's capacity provider must be one of the cluster's: ECS gives an instance the
        // provider of its Auto Scaling group when the cluster has that provider.
        let capacity_provider = match &ident.capacity_provider_name {
            None => None,
            Some(name) => Some(existing_cluster.and_then(|c| self.cluster_capacity_provider(c, name)).ok_or_else(|| {
                EcsError::invalid_parameter(format!(
                    "The capacity provider '{name}' of instance {} is not associated with its cluster.",
                    ident.name
                ))
            })?),
        };

        // drainsim extension for clusters captured from ECS: an instance that registers with the
        // `ecs.awsvpc-trunk-id` attribute already has its trunk ENI attached (docs/ecs-choices.md).
        let attached_trunk = req
            .attributes
            .iter()
            .find(|a| a.name == crate::state::instance::TRUNK_ID_ATTRIBUTE)
            .map(|a| a.value.clone().unwrap_or_default());
        // Whether this instance can be trunked at all: a Linux instance, a type that supports it and
        // an agent new enough.
        let type_limits = match self.type_limits_memo {
            Some((sym, limits)) if self.strings.resolve(sym) == ident.instance_type => limits,
            _ => crate::rules::eni_limits::TypeLimits::of(&ident.instance_type),
        };
        let os_type = req.attributes.iter().find(|a| a.name == "ecs.os-type").and_then(|a| a.value.as_deref());
        // The agent advertises `ecs.capability.task-eni-trunking` about itself — a Linux agent of
        // 1.28.1 or newer, with ENI trunking on in its configuration, the default — whatever the
        // account setting or the instance type (`appendENITrunkingCapabilities`, agent/app/
        // agent_capability_unix.go, https://github.com/aws/amazon-ecs-agent): a trunked instance is
        // the one with `ecs.awsvpc-trunk-id`, as the guide says to tell them
        // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html).
        let agent_capable = crate::rules::eni_limits::os_supports_trunking(os_type)
            && crate::rules::versions::agent_supports_trunking(
                req.version_info.as_ref().and_then(|v| v.agent_version.as_deref()),
            );
        let trunk_capable = type_limits.supports_trunking() && agent_capable;
        if let Some(eni) = &attached_trunk {
            if !eni.starts_with("eni-") || !trunk_capable {
                return Err(EcsError::invalid_parameter(format!(
                    "attribute {} '{eni}' needs an ENI ID, a Linux instance of a type that supports trunking and agent 1.28.1 or newer.",
                    crate::state::instance::TRUNK_ID_ATTRIBUTE
                )));
            }
        }

        // Commit.
        let cluster = match existing_cluster {
            Some(id) => id,
            None => self.ensure_cluster("default"),
        };
        let long_arn = self.settings.is_enabled(caller_arn, SettingName::ContainerInstanceLongArnFormat);
        let trunking_opted_in = self.settings.is_enabled(caller_arn, SettingName::AwsvpcTrunking);
        // Trunking needs the account setting, an instance type that supports it, and agent 1.28.1 or
        // newer; an instance that misses one registers untrunked, with the untrunked ENI limit.
        let trunked = attached_trunk.is_some() || (trunking_opted_in && trunk_capable);
        let task_eni_limit = ident.task_eni_limit.or_else(|| type_limits.task_eni_limit(trunked));
        let id = InstanceId(self.instances.len() as u32);
        let resources = Resources {
            cpu: parsed.cpu,
            memory: parsed.memory,
            ports_tcp: self.instances.intern_port_set(&parsed.ports_tcp),
            ports_udp: self.instances.intern_port_set(&parsed.ports_udp),
        };
        let intern = |e: &mut Engine, s: &str| e.strings.intern(s);
        let instance_type = intern(self, &ident.instance_type);
        let availability_zone = intern(self, &ident.availability_zone);
        let b = self.builtin;
        // The attributes ECS gives every instance, unless the registration gives them itself.
        let builtin = [
            (b.instance_type, Some(instance_type)),
            (b.availability_zone, Some(availability_zone)),
            (b.os_type, Some(b.linux)),
            (b.cpu_architecture, Some(b.x86_64)),
            (b.task_eni, None),
        ];
        let mut attributes: Vec<(Sym, Option<Sym>)> = Vec::with_capacity(builtin.len() + 1 + req.attributes.len());
        for (name, value) in builtin {
            let text = self.strings.resolve(name);
            if !req.attributes.iter().any(|a| a.name == text) {
                attributes.push((name, value));
            }
        }
        let trunking_capability = self.strings.resolve(b.task_eni_trunking);
        if agent_capable && !req.attributes.iter().any(|a| a.name == trunking_capability) {
            attributes.push((b.task_eni_trunking, None));
        }
        for a in req.attributes.iter().filter(|a| a.name != crate::state::instance::TRUNK_ID_ATTRIBUTE) {
            let name = intern(self, &a.name);
            let value = a.value.as_deref().map(|v| intern(self, v));
            attributes.push((name, value));
        }
        attributes.sort();
        let vi = req.version_info.as_ref();
        let agent_version = vi.and_then(|v| v.agent_version.as_deref());
        let (honours_container_stop_timeout, agent_version_key) = derived_from_agent_version(agent_version);
        let profile = InstanceProfile {
            honours_container_stop_timeout,
            agent_version_key,
            registered_by: intern(self, caller_arn),
            agent_version: agent_version.map(|v| intern(self, v)),
            agent_hash: vi.and_then(|v| v.agent_hash.as_deref()).map(|v| intern(self, v)),
            docker_version: vi.and_then(|v| v.docker_version.as_deref()).map(|v| intern(self, v)),
            attributes,
            tags: req.tags.iter().map(|t| (intern(self, &t.key), intern(self, &t.value))).collect(),
            registered: resources,
            custom_resources: parsed.custom.iter().cloned().map(CustomResource).collect(),
            agent_stop_timeout_ms: req
                .agent_config
                .and_then(|c| c.ecs_container_stop_timeout)
                .map_or(AGENT_DEFAULT_STOP_TIMEOUT_MS, |t| u64::from(t.seconds()) * SECOND_MS),
            capacity_provider,
        };
        let profile = self.instances.intern_profile(profile);
        let state = InstanceState {
            cluster,
            name: intern(self, &ident.name),
            long_arn,
            ec2_instance_id: ident.ec2_instance_id.as_deref().map(|e| intern(self, e)),
            instance_type,
            availability_zone,
            version: 1,
            profile,
            trunk_id_attribute: None,
            remaining: resources,
            gpus_free: u8::try_from(gpu_ids.len()).expect("at most MAX_GPUS_PER_INSTANCE"),
            status: if trunked && attached_trunk.is_none() { InstanceStatus::Registering } else { InstanceStatus::Active },
            status_reason: None,
            agent_connected: true,
            running_tasks_count: 0,
            pending_tasks_count: 0,
            agent_update: None,
            agent_update_epoch: 0,
            agent_update_fail_at: None,
            registered_at_ms,
            tasks: Vec::new(),
            indexed: false,
            forgotten: false,
            trunk: None,
            trunk_failed: false,
            task_eni_limit,
            task_enis_in_use: 0,
            daemon_tasks: 0,
            drain: DrainTimes::default(),
            stops_in_progress: 0,
        };
        self.type_limits_memo = Some((state.instance_type, type_limits));
        let status = state.status;
        let pushed = self.instances.push(state);
        debug_assert_eq!(pushed, id);
        let gpu_ids: Box<[Sym]> = gpu_ids.iter().map(|g| self.strings.intern(g)).collect();
        self.instances.set_gpu_devices(id, gpu_ids);
        if let Some(uuid) = given_uuid {
            self.instances.give_uuid(id, uuid);
        }
        self.clusters.add_instance(cluster, id);
        self.record(Subject::Instance(id), Change::InstanceStatus { from: None, to: status }, "RegisterContainerInstance");
        // An instance the failing health checks select from its registration says so, as one
        // registered before they began did (its "pass again" record had no "fail" before it).
        if self.failing_health_checks.as_ref().is_some_and(|q| self.instance_matches(id, q)) {
            self.record(Subject::Instance(id), Change::HealthChecksFailing(true), "fault: health checks fail");
        }
        match (&attached_trunk, trunked) {
            (Some(eni), _) => self.adopt_attached_trunk(id, eni),
            (None, true) => self.start_trunk_attachment(id),
            (None, false) => {}
        }
        self.schedule_agent_flap(id);
        self.refresh_placeability(id);
        self.triggers.push(Trigger::ClusterInstancesChanged(cluster));
        Ok(Reply::Instance { id, tags: true })
    }

    /// Registration with `containerInstanceArn` of a live instance: the agent restarted; its version
    /// information and attributes are refreshed.
    fn reregister_container_instance(
        &mut self,
        id: InstanceId,
        req: &api::RegisterContainerInstanceRequest,
    ) -> Result<Reply, EcsError> {
        if let Some(vi) = &req.version_info {
            let av = vi.agent_version.as_deref().map(|v| self.strings.intern(v));
            if let Some(v) = av {
                self.set_agent_version(id, v);
            }
        }
        self.bump_version(id);
        Ok(Reply::Instance { id, tags: true })
    }

    // ----- DeregisterContainerInstance -----

    /// Reference <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html> and docs/ecs-choices.md: without `force`, an instance with tasks that are not STOPPED is
    /// refused; with `force`, its tasks are orphaned and their services replace them.
    pub(crate) fn deregister_container_instance(
        &mut self,
        req: api::DeregisterContainerInstanceRequest,
    ) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let id = self
            .resolve_instance(cluster, &req.container_instance)
            .ok_or_else(|| EcsError::client(format!("Container instance {} not found.", req.container_instance)))?;
        let status = self.instances[id.index()].status;
        if status == InstanceStatus::Inactive {
            return Err(EcsError::client(format!("Container instance {} is inactive.", self.instance_short_id(id))));
        }
        if status == InstanceStatus::Deregistering {
            return Err(EcsError::client(format!("Container instance {} is already deregistering.", self.instance_short_id(id))));
        }
        let force = req.force.unwrap_or(false);
        if !force && !self.instances[id.index()].tasks.is_empty() {
            return Err(EcsError::invalid_parameter(format!(
                "Found running tasks on the instance. Container instance {} has {} task(s) that are not STOPPED; stop them, or deregister with force.",
                self.instance_short_id(id),
                self.instances[id.index()].tasks.len()
            )));
        }
        self.remove_instance(
            id,
            BreachCause::ForcedDeregistration,
            "DeregisterContainerInstance force",
            "DeregisterContainerInstance",
        );
        Ok(Reply::Instance { id, tags: true })
    }

    /// The instance leaves the cluster (DeregisterContainerInstance, or EC2 terminating a Spot
    /// Instance, which ECS deregisters the same way): its tasks are orphaned (their services
    /// replace them; a healthy one lost counts toward a floor breach of `cause`), its agent's
    /// session closes, and it goes DEREGISTERING (trunked) or INACTIVE.
    pub(crate) fn remove_instance(
        &mut self,
        id: InstanceId,
        cause: BreachCause,
        orphan_reason: &'static str,
        reason: &'static str,
    ) {
        self.orphan_tasks(id, cause, orphan_reason);
        if self.instances[id.index()].agent_connected {
            self.instances.set_agent_connected(id, false, self.now_ms);
            self.record(Subject::Instance(id), Change::AgentConnected(false), reason);
        }
        if self.instances[id.index()].trunk.is_some() {
            self.set_instance_status(id, InstanceStatus::Deregistering, reason);
            self.start_trunk_detach(id);
        } else {
            self.set_instance_status(id, InstanceStatus::Inactive, reason);
        }
        let cluster = self.instances[id.index()].cluster;
        self.triggers.push(Trigger::ClusterInstancesChanged(cluster));
    }

    // ----- DescribeContainerInstances -----

    pub(crate) fn describe_container_instances(
        &mut self,
        req: api::DescribeContainerInstancesRequest,
    ) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        if req.container_instances.is_empty() || req.container_instances.len() > MAX_DESCRIBE_INSTANCES {
            return Err(EcsError::invalid_parameter(format!(
                "containerInstances must list 1 to {MAX_DESCRIBE_INSTANCES} container instances; {} given.",
                req.container_instances.len()
            )));
        }
        let (mut include_tags, mut include_health) = (false, false);
        for inc in &req.include {
            match inc.as_str() {
                "TAGS" => include_tags = true,
                "CONTAINER_INSTANCE_HEALTH" => include_health = true,
                other => {
                    return Err(EcsError::invalid_parameter(format!(
                        "include value '{other}' is not valid; valid values are [TAGS, CONTAINER_INSTANCE_HEALTH]."
                    )))
                }
            }
        }
        let mut found = Vec::new();
        let mut failures = Vec::new();
        for r in &req.container_instances {
            match self.resolve_instance(cluster, r) {
                Some(id) => found.push(id),
                None => failures.push(Failure {
                    arn: Some(self.missing_instance_arn(cluster, r)),
                    reason: "MISSING".into(),
                    detail: None,
                }),
            }
        }
        // Rendered when read (the reply shows the state the call left, as the call would have).
        Ok(Reply::Instances { ids: found, failures, tags: include_tags, health: include_health })
    }

    // ----- ListContainerInstances -----

    /// ListContainerInstances (a read: it changes nothing, so it needs no `&mut`).
    pub fn list_container_instances(&self, req: api::ListContainerInstancesRequest) -> Result<Response, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let filter = match &req.filter {
            None => None,
            Some(f) => Some(Query::parse(f).map_err(|e| {
                let quoted = crate::rules::query::quoted(f);
                EcsError::invalid_parameter(format!("filter {quoted} is not a valid cluster query: {e}."))
            })?),
        };
        let status = match &req.status {
            None => None,
            Some(s) => Some(InstanceStatus::parse_filter_enum(s).ok_or_else(|| {
                EcsError::invalid_parameter(format!(
                    "status '{s}' is not valid; valid values are [ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED]."
                ))
            })?),
        };
        let max = page_size(req.max_results, 100)?;
        let start = match &req.next_token {
            None => 0,
            Some(t) => self.decode_token(t, b'c')?,
        };
        let list = &self.clusters[cluster.index()].instances;
        let listed = |id: InstanceId| {
            let i = &self.instances[id.index()];
            !i.forgotten
                && match status {
                    Some(s) => i.status == s,
                    None => i.status != InstanceStatus::Inactive,
                }
                && filter.as_ref().is_none_or(|q| self.instance_matches(id, q))
        };
        // The token is a position in the cluster's instance list (registration order), so a page
        // tests only the instances from there on: reading every page of a large cluster tests each
        // instance at most twice (once for its page, once looking past the previous page's end).
        let mut at = start.min(list.len());
        let mut page = Vec::new();
        while at < list.len() && page.len() < max {
            if listed(list[at]) {
                page.push(self.instance_arn(list[at]));
            }
            at += 1;
        }
        let next_token = list[at..].iter().any(|id| listed(*id)).then(|| self.encode_token(at, b'c'));
        Ok(Response::ContainerInstanceArns { container_instance_arns: page, next_token })
    }

    /// Opaque pagination tokens: a position, a kind byte and a check, hex-encoded, keyed by the seed.
    pub(crate) fn encode_token(&self, position: usize, kind: u8) -> String {
        let key = self.config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
        let payload = (position as u64) ^ key;
        let check = crate::infra::fnv::fnv1a(&[&payload.to_le_bytes()[..], &[kind]].concat()) & 0xffff;
        format!("{kind:02x}{payload:016x}{check:04x}")
    }

    pub(crate) fn decode_token(&self, token: &str, kind: u8) -> Result<usize, EcsError> {
        let bad = || EcsError::invalid_parameter(format!("nextToken '{token}' is not valid."));
        if token.len() != 22 || !token.is_ascii() {
            return Err(bad());
        }
        let k = u8::from_str_radix(&token[0..2], 16).map_err(|_| bad())?;
        let payload = u64::from_str_radix(&token[2..18], 16).map_err(|_| bad())?;
        let check = u64::from_str_radix(&token[18..22], 16).map_err(|_| bad())?;
        let expect = crate::infra::fnv::fnv1a(&[&payload.to_le_bytes()[..], &[kind]].concat()) & 0xffff;
        if k != kind || check != expect {
            return Err(bad());
        }
        let key = self.config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
        usize::try_from(payload ^ key).map_err(|_| bad())
    }

    // ----- UpdateContainerInstancesState -----

    /// Reference <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerInstancesState.html> and docs/ecs-choices.md: only ACTIVE and DRAINING are valid targets; at most 10 instances; an
    /// unknown instance is a `MISSING` failure; an instance in a status that cannot move is a failure
    /// named after its status; the rest of the call proceeds; same-status updates change nothing.
    pub(crate) fn update_container_instances_state(
        &mut self,
        req: api::UpdateContainerInstancesStateRequest,
    ) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let target = match InstanceStatus::parse_filter_enum(&req.status) {
            Some(s @ (InstanceStatus::Active | InstanceStatus::Draining)) => s,
            _ => {
                return Err(EcsError::invalid_parameter(format!(
                    "Container instance status should be one of [ACTIVE, DRAINING]; '{}' given.",
                    req.status
                )))
            }
        };
        if req.container_instances.len() > MAX_UPDATE_STATE_INSTANCES {
            return Err(EcsError::invalid_parameter(format!("instanceIds can have at most {MAX_UPDATE_STATE_INSTANCES} items.")));
        }
        if req.container_instances.is_empty() {
            return Err(EcsError::invalid_parameter("containerInstances must list at least one container instance."));
        }
        let mut updated = Vec::new();
        let mut failures: Vec<Failure> = Vec::new();
        // Each instance is acted on and reported once, however often (by ID, by either ARN) the
        // request names it: its first mention stands, in the request's order; a reference to no
        // instance is one MISSING failure per ARN it builds (docs/ecs-choices.md §1).
        let mut named: Vec<InstanceId> = Vec::with_capacity(req.container_instances.len());
        for r in &req.container_instances {
            let Some(id) = self.resolve_instance(cluster, r) else {
                let arn = self.missing_instance_arn(cluster, r);
                if !failures.iter().any(|f| f.arn.as_deref() == Some(arn.as_str())) {
                    failures.push(Failure { arn: Some(arn), reason: "MISSING".into(), detail: None });
                }
                continue;
            };
            if named.contains(&id) {
                continue;
            }
            named.push(id);
            let from = self.instances[id.index()].status;
            if from == target {
                updated.push(id);
                continue;
            }
            if !matches!(from, InstanceStatus::Active | InstanceStatus::Draining) {
                if target == InstanceStatus::Draining {
                    self.instances.note_drain_refused(id, self.now_ms, from);
                }
                failures.push(Failure {
                    arn: Some(self.instance_arn(id)),
                    reason: from.as_str().into(),
                    detail: Some(format!(
                        "The container instance is {}; only ACTIVE and DRAINING container instances can change state with UpdateContainerInstancesState.",
                        from.as_str()
                    )),
                });
                continue;
            }
            self.set_instance_status(id, target, "UpdateContainerInstancesState");
            self.triggers.push(if target == InstanceStatus::Draining {
                Trigger::DrainStarted(id)
            } else {
                Trigger::DrainEnded(id)
            });
            updated.push(id);
        }
        Ok(Reply::Instances { ids: updated, failures, tags: false, health: false })
    }
}

#[cfg(test)]
mod tests {
    use crate::api::{Attribute, InstanceIdentity, RegisterContainerInstanceRequest, Request, Resource};
    use crate::{Engine, EngineConfig};

    /// A registration of an m5.large named `name` into `prod`, with these custom attributes.
    fn registration(name: &str, attributes: &[&str]) -> Request {
        Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
            attributes: attributes
                .iter()
                .map(|a| Attribute { name: (*a).into(), value: None, target_type: None, target_id: None })
                .collect(),
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "m5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn register(e: &mut Engine, name: &str, attribute: &str) {
        e.handle(registration(name, &[attribute])).expect("registers");
    }

    #[test]
    fn instances_registered_alike_share_a_profile() {
        let mut e = Engine::new(EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        register(&mut e, "a", "team");
        register(&mut e, "b", "team");
        register(&mut e, "c", "other");
        let profile = |name: &str| e.instances[e.instance_by_name(name).expect("registered").index()].profile;
        assert_eq!(profile("a"), profile("b"));
        assert_ne!(profile("a"), profile("c"));
    }

    /// A logical name holds no control character and at most 255 characters, and a resource is
    /// given once; a refused registration changes nothing.
    #[test]
    fn instance_names_are_bounded_and_printable() {
        let mut e = Engine::new(EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        let before = e.state_digest();
        let attempt = |e: &mut Engine, name: &str| e.handle(registration(name, &[]));
        let err = attempt(&mut e, "bad\nname").expect_err("a line feed");
        assert_eq!(
            err.message,
            "The instance name holds the control character U+000A (character 4); a name is 1-255 characters without control characters."
        );
        let err = attempt(&mut e, &"a".repeat(256)).expect_err("too long");
        assert_eq!(err.message, "The instance name is 256 characters; a name is 1-255 characters without control characters.");
        let mut twice = registration("twice", &[]);
        if let Request::RegisterContainerInstance(r) = &mut twice {
            r.total_resources.push(Resource::integer("CPU", 4096));
        }
        let err = e.handle(twice).expect_err("CPU twice");
        assert_eq!(err.message, "Resource CPU is given twice in totalResources.");
        assert_eq!(e.state_digest(), before, "refused registrations change nothing");
        attempt(&mut e, &"é".repeat(255)).expect("255 characters, 510 bytes");
    }
}
