//! Choosing an instance for a task over the engine's tables (the index and the pure rules are in
//! [`crate::placement`]).

use crate::errors::EcsError;
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskDefId, TaskId};
use crate::infra::intern::Sym;
use crate::infra::shared::PortSetId;
use crate::placement::*;
use crate::state::service::{RoomFree, RoomKeys, RoomPools};
use crate::Engine;
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

/// A first-phase walk of spread by instance: how many occupied members it passed over, and whether
/// it saw an unoccupied one.
struct Walk<'a> {
    passed_over: &'a mut usize,
    saw_free: &'a mut bool,
}

impl Walk<'_> {
    /// The first of `ids` the owner does not occupy that the task fits (occupancy, a hash probe,
    /// asked first), counting the occupied ones passed over.
    fn first_empty_fitting(
        &mut self,
        ids: impl Iterator<Item = InstanceId>,
        unoccupied: impl Fn(InstanceId) -> bool,
        fits: impl Fn(InstanceId) -> bool,
    ) -> Option<InstanceId> {
        for id in ids {
            let empty = unoccupied(id);
            *self.passed_over += usize::from(!empty);
            *self.saw_free |= empty;
            if empty && fits(id) {
                return Some(id);
            }
        }
        None
    }
}

/// How many tasks of `owner` that are not STOPPED sit on an instance.
pub(crate) fn owner_tasks_on(engine: &Engine, instance: InstanceId, owner: Owner) -> usize {
    engine.instances[instance.index()]
        .tasks
        .iter()
        .filter(|t| {
            let origin = engine.task_origin(**t);
            match owner {
                Owner::Service(s) => origin.service == Some(s),
                Owner::Group(g) => origin.service.is_none() && origin.group == g,
            }
        })
        .count()
}

/// The first requirement an instance does not meet, in ECS's order, as a failure reason; None if the
/// task fits.
pub(crate) fn unmet_requirement(
    engine: &Engine,
    id: InstanceId,
    req: &Requirements,
    owner: Owner,
    constraints: &Constraints,
) -> Option<PlacementFailureReason> {
    let mut first = None;
    check_requirements(engine, id, req, owner, constraints, |r| {
        first = Some(r);
        false
    });
    first
}

/// Every requirement an instance does not meet, in ECS's order (what `explain` and the report's
/// stalls show: a task may lack a host port and CPU at once).
pub(crate) fn unmet_requirements(
    engine: &Engine,
    id: InstanceId,
    req: &Requirements,
    owner: Owner,
    constraints: &Constraints,
) -> Vec<PlacementFailureReason> {
    let mut all = Vec::new();
    check_requirements(engine, id, req, owner, constraints, |r| {
        all.push(r);
        true
    });
    all
}

/// The placement checks, in ECS's order (agent, CPU, GPU, memory, ports, task ENI, the awsvpc
/// subnets' zone (`LOCATION`, `crate::engine::subnets`), then
/// constraints: "CPU, GPU, memory, and port requirements" come first,
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>):
/// each unmet requirement goes to `unmet`, which says whether to go on checking. Generic, so the
/// first-only check on the placement path compiles to plain early returns.
fn check_requirements<F: FnMut(PlacementFailureReason) -> bool>(
    engine: &Engine,
    id: InstanceId,
    req: &Requirements,
    owner: Owner,
    constraints: &Constraints,
    mut unmet: F,
) {
    use PlacementFailureReason as R;
    let i = &engine.instances[id.index()];
    let r: &Resources = &i.remaining;
    if !i.agent_connected && !unmet(R::Agent) {
        return;
    }
    if r.cpu < req.cpu && !unmet(R::Cpu) {
        return;
    }
    if u32::from(i.gpus_free) < req.gpu && !unmet(R::Gpu) {
        return;
    }
    if r.memory < req.memory && !unmet(R::Memory) {
        return;
    }
    if !instance_ports_fit(engine, r, req) && !unmet(R::Ports) {
        return;
    }
    if req.awsvpc && !i.has_free_task_eni() && !unmet(R::Eni) {
        return;
    }
    // The subnets' zone test (cheap, one attribute) first; the user's expressions, which may read
    // task groups, only once distinctInstance holds, as before there was a zone test.
    let answers = |subnet_zones: bool| {
        constraints.member_of.iter().filter(|m| m.subnet_zones == subnet_zones).all(|m| engine.instance_matches(id, &m.query))
    };
    if !answers(true) && !unmet(R::Location) {
        return;
    }
    if constraints.distinct && owner_tasks_on(engine, id, owner) > 0 && !unmet(R::DistinctInstance) {
        return;
    }
    if !answers(false) {
        unmet(R::MemberOf);
    }
}

/// Whether an instance is a candidate for a task by its capacity provider: any instance when the
/// task has none, else an instance of that provider (an instance of another is no candidate at all,
/// not one that misses a requirement: ECS chooses the provider first, then places within it).
pub(crate) fn of_capacity_provider(engine: &Engine, id: InstanceId, constraints: &Constraints) -> bool {
    constraints.capacity_provider.is_none_or(|p| engine.instance_profile(id).capacity_provider == Some(p))
}

/// Whether an instance satisfies every `memberOf` expression of the constraints.
pub(crate) fn satisfies_member_of(engine: &Engine, id: InstanceId, constraints: &Constraints) -> bool {
    satisfies_all(engine, id, &constraints.member_of)
}

/// Whether the instance satisfies every expression of a `memberOf` list (ECS: a task's
/// constraints all hold): the one test placement, and the constraint classes' answers, apply.
fn satisfies_all(engine: &Engine, id: InstanceId, list: &[MemberOf]) -> bool {
    list.iter().all(|m| engine.instance_matches(id, &m.query))
}

/// Whether the instance is one a DAEMON service's `memberOf` expressions select, read as if the
/// service's own tasks were not on it (docs/ecs-choices.md, §9.8): the instances it runs on, the
/// instances it counts in its desired count, and those where its running task still meets its
/// constraints. Its own task was not there when it was placed; counted against itself, an
/// expression such as `not(task:group == service:agent)` or `runningTasksCount == 0` would stop
/// the task it just placed, and place it again, for ever.
pub(crate) fn satisfies_member_of_without(
    engine: &Engine,
    id: InstanceId,
    constraints: &Constraints,
    service: ServiceId,
) -> bool {
    constraints.member_of.iter().all(|m| engine.instance_matches_without(id, &m.query, service))
}

/// How close an instance comes to taking a task, greatest closest: the fewest of CPU, GPUs, memory
/// and host ports it misses, then the most free memory, then the later-registered. What a placement
/// failure names ([`Engine::closest_placeable`] searches the index for the greatest; a kept
/// `memberOf` list's few instances are compared by it directly, [`Engine::closest_allowed`]).
pub(crate) fn closeness(engine: &Engine, id: InstanceId, req: &Requirements) -> (std::cmp::Reverse<usize>, i32, InstanceId) {
    let memory = engine.instances[id.index()].index_key(id).memory;
    (std::cmp::Reverse(unmet_count(engine, id, req)), memory, id)
}

fn unmet_count(engine: &Engine, id: InstanceId, req: &Requirements) -> usize {
    let i = &engine.instances[id.index()];
    let r = &i.remaining;
    (r.cpu < req.cpu) as usize
        + (u32::from(i.gpus_free) < req.gpu) as usize
        + (r.memory < req.memory) as usize
        + !instance_ports_fit(engine, r, req) as usize
}

/// Whether the task's host ports fit the instance's remaining resources ([`ports_fit`]).
fn instance_ports_fit(engine: &Engine, r: &Resources, req: &Requirements) -> bool {
    ports_fit((engine.port_set(r.ports_tcp), engine.port_set(r.ports_udp)), (&req.ports_tcp, &req.ports_udp))
}

/// One task's placement as the strategies see it: the cluster and size class it is placed in,
/// what it needs, whose it is, and its constraints; the narrower class its walks read if one is
/// kept, and counts of the members passed over because they hold one of its host ports or do not
/// satisfy its `memberOf` expressions.
#[derive(Clone, Copy)]
struct Ask<'a> {
    cluster: ClusterId,
    class: SizeClass,
    /// The narrowest class kept of its size and its host ports, its `memberOf` expressions, or
    /// both ([`Engine::narrowed_class`]): the members of `class` it may fit, fewer of them. Walks read it
    /// instead of `class` and choose the same; where a walk counts the pool's members, it reads
    /// `class`.
    narrowed: Option<SizeClass>,
    req: &'a Requirements,
    owner: Owner,
    constraints: &'a Constraints,
    port_misses: &'a Cell<usize>,
    /// Members passed over because their instance does not satisfy the task's `memberOf`.
    member_of_misses: &'a Cell<usize>,
}

impl Ask<'_> {
    /// Whether the task fits on an instance, counting the instances that lack one of its ports.
    fn fits(&self, engine: &Engine, id: InstanceId) -> bool {
        if self.constraints.capacity_provider.is_some() && !of_capacity_provider(engine, id, self.constraints) {
            // The provider's test is one of the task's `memberOf` expressions: a miss of it counts
            // toward the class that narrows the walks to the provider's instances.
            self.member_of_misses.set(self.member_of_misses.get() + 1);
            return false;
        }
        match unmet_requirement(engine, id, self.req, self.owner, self.constraints) {
            None => true,
            Some(reason) => {
                match reason {
                    PlacementFailureReason::Ports => self.port_misses.set(self.port_misses.get() + 1),
                    // The subnets' zone test is one of the task's `memberOf` lists.
                    PlacementFailureReason::MemberOf | PlacementFailureReason::Location => {
                        self.member_of_misses.set(self.member_of_misses.get() + 1)
                    }
                    _ => {}
                }
                false
            }
        }
    }
}

/// A class's members, or those in zone `az` (None: the class has none there).
fn class_sets(index: &PlacementIndex, class: SizeClass, az: Option<Sym>) -> Option<&CapacitySets> {
    let class = &index.classes[&class];
    match az {
        None => Some(&class.all),
        Some(az) => class.by_az.get(&az),
    }
}

/// No members.
static NO_MEMBERS: CapacitySets = CapacitySets { by_memory: BTreeSet::new(), by_cpu: BTreeSet::new() };

/// The members of a class with value `value` of a tracked attribute (none when no member has it).
fn class_sets_by_value(index: &PlacementIndex, class: SizeClass, attr: Sym, value: Option<Sym>) -> &CapacitySets {
    index.classes.get(&class).and_then(|c| c.by_value.get(&attr)).and_then(|v| v.get(&value)).unwrap_or(&NO_MEMBERS)
}

/// How many instances `random` samples before it lists the candidates that fit and draws one.
pub(crate) const RANDOM_SAMPLES: usize = 64;

/// `random` within an attribute's value samples the value's placeable instances only when at
/// least one in this many is a member of the size class (else it lists the members at once).
const SAMPLED_SHARE: usize = 8;

/// Spread by instance starts keeping an owner's [`RoomOrder`](crate::state::service::RoomOrder)
/// after one walk of its instances by count passed over more than this many without room.
pub(crate) const ROOM_ORDER_AFTER_SKIPS: usize = 256;

/// An owner's walks start keeping its unoccupied members once they have passed over this many
/// times the pool's members in all (and one walk past [`ROOM_ORDER_AFTER_SKIPS`]).
const UNOCCUPIED_ORDER_AFTER_POOLS: u64 = 4;

/// An instance's keys in a room order, from its index key.
fn room_keys(k: &IndexKey) -> RoomKeys {
    RoomKeys { memory: k.memory, cpu: k.cpu }
}

/// Whether a task is placed in the size class of a task ENI ([`SizeClass::task_eni`]): an awsvpc
/// task, unless a rule of its strategy is `random`. Its walks then never meet an instance whose
/// task ENIs are all taken (a cluster stalled for them otherwise walks every instance at each try,
/// as every instance still has the CPU and memory). Which members a random draw samples within a
/// zone or an attribute's value, and so how much of the placement stream it spends, depends on
/// the class's members, those without a free task ENI included: a task placed at random keeps the
/// plain size class, and the choices stay those of the rule.
fn in_task_eni_class(req: &Requirements, strategies: &[Strategy]) -> bool {
    req.awsvpc && !strategies.contains(&Strategy::Random)
}

/// Whether an instance whose index key is `k` has room for size class `class` (the index's own
/// membership test for a class without ports).
fn key_in_class(k: &IndexKey, class: SizeClass) -> bool {
    class.has_room(k)
}

/// Whether an instance's record has the CPU, memory and GPUs of size class `class` free: the
/// walks' cheap test before [`Ask::fits`], read from the record without making its index key.
fn record_has_size(i: &crate::state::instance::InstanceState, class: SizeClass) -> bool {
    i.remaining.cpu >= class.cpu && i.remaining.memory >= class.memory && u32::from(i.gpus_free) >= class.gpu
}

impl Engine {
    /// Changes an instance's remaining resources, keeping the placement index in step.
    pub(crate) fn update_instance_resources(&mut self, id: InstanceId, f: impl FnOnce(&mut Resources, &mut u8)) {
        let indexed = self.instances[id.index()].indexed;
        let cluster = self.instances[id.index()].cluster;
        let (before, after) = self.instances.update_remaining(id, f);
        self.scale_in_lists.note_room_changed(id);
        if indexed {
            self.clusters.placement_mut(cluster).rekey(before, after, self.instances.port_sets());
            self.relay_room_change(id, Some(before), Some(after));
        }
    }

    /// An instance's key changed from `before` by a task ENI taken or given back (its
    /// `task_eni_free`): the placement index and the room orders follow, as for a change of its
    /// remaining resources.
    pub(crate) fn rekey_after_task_eni_change(&mut self, id: InstanceId, before: IndexKey) {
        let i = &self.instances[id.index()];
        let after = i.index_key(id);
        if !i.indexed || before == after {
            return;
        }
        debug_assert_eq!(IndexKey { task_eni_free: after.task_eni_free, ..before }, after, "only the task ENI changed");
        let cluster = i.cluster;
        self.clusters.placement_mut(cluster).rekey(before, after, self.instances.port_sets());
        self.relay_room_change(id, Some(before), Some(after));
    }

    /// The `memberOf` lists its cluster's constraint classes keep that instance `id` satisfies,
    /// ascending (what the placement index files it under). Only the lists that are not keyed,
    /// the keyed lists of the instance's values and those of the groups of its tasks
    /// ([`crate::placement::list_key`]), are asked: an instance without a keyed list's value, or
    /// without a task of one of its groups, does not satisfy it.
    pub(crate) fn member_of_answers(&self, cluster: ClusterId, id: InstanceId) -> Vec<MemberOfId> {
        let index = &self.clusters[cluster.index()].placement;
        let mut yes: Vec<MemberOfId> =
            index.unkeyed_lists().iter().copied().filter(|list| satisfies_all(self, id, index.list(*list))).collect();
        for (attribute, by_value) in index.keyed_lists() {
            let value = self.strings.get(attribute).and_then(|name| self.instance_attribute(id, name)).flatten();
            let lists = value.and_then(|v| by_value.get(self.strings.resolve(v)));
            yes.extend(lists.into_iter().flatten().copied().filter(|list| satisfies_all(self, id, index.list(*list))));
        }
        let by_group = index.group_keyed_lists();
        if !by_group.is_empty() {
            // A list of several groups is found once per group the instance runs a task of.
            let mut asked: Vec<MemberOfId> = Vec::new();
            let mut last_group = None;
            for task in &self.instances[id.index()].tasks {
                let group = self.task_origin(*task).group;
                if last_group == Some(group) {
                    continue; // a service's tasks often sit side by side
                }
                last_group = Some(group);
                asked.extend(by_group.get(self.strings.resolve(group)).into_iter().flatten().copied());
            }
            asked.sort_unstable();
            asked.dedup();
            yes.extend(asked.into_iter().filter(|list| satisfies_all(self, id, index.list(*list))));
        }
        yes.sort_unstable();
        debug_assert!(yes.windows(2).all(|w| w[0] < w[1]), "a list has one key");
        yes
    }

    /// The same, every kept list asked (the invariants' check of the keys).
    pub(crate) fn member_of_answers_of_every_list(&self, cluster: ClusterId, id: InstanceId) -> Vec<MemberOfId> {
        let index = &self.clusters[cluster.index()].placement;
        (1..=index.member_of_lists.len())
            .map(|n| MemberOfId(u32::try_from(n).expect("fewer than 2^32 lists")))
            .filter(|list| satisfies_all(self, id, index.list(*list)))
            .collect()
    }

    /// Task `task` joined (`joined`) or left `instance`'s task list: when a constraint class's
    /// `memberOf` expressions read `task:group`, the instance's answers may have changed, and the
    /// index files it under the new ones and counts the task under its group's instances (one
    /// flag check otherwise).
    #[inline]
    pub(crate) fn refresh_task_group_answers(&mut self, instance: InstanceId, task: TaskId, joined: bool) {
        if self.clusters.any_lists_reading_task_groups() {
            let (cluster, group) = (self.instances[instance.index()].cluster, self.task_origin(task).group);
            self.clusters.placement_mut(cluster).note_task_group(instance, group, joined);
            self.refile_member_of_answers(instance, |p| p.lists_read_task_groups);
        }
    }

    /// Every task group's instances in `cluster`, counted from their task lists: what the
    /// placement index keeps once a list keyed by task groups is kept.
    pub(crate) fn count_task_group_holders(&self, cluster: ClusterId) -> BTreeMap<Sym, BTreeMap<InstanceId, u32>> {
        let mut holders: BTreeMap<Sym, BTreeMap<InstanceId, u32>> = BTreeMap::new();
        for id in &self.clusters[cluster.index()].instances {
            for task in &self.instances[id.index()].tasks {
                let n = holders.entry(self.task_origin(*task).group).or_default().entry(*id).or_insert(0);
                *n = n.checked_add(1).expect("fewer than 2^32 tasks on an instance");
            }
        }
        holders
    }

    /// An instance's `runningTasksCount` changed: the same, for expressions that read it.
    #[inline]
    pub(crate) fn refresh_running_count_answers(&mut self, instance: InstanceId) {
        if self.clusters.any_lists_reading_running_count() {
            self.refile_member_of_answers(instance, |p| p.lists_read_running_count);
        }
    }

    /// Files a placeable instance under its current answers to its cluster's `memberOf` lists,
    /// when its cluster keeps a list that reads what changed (`reads`).
    #[inline(never)]
    pub(crate) fn refile_member_of_answers(&mut self, instance: InstanceId, reads: fn(&PlacementIndex) -> bool) {
        let i = &self.instances[instance.index()];
        let cluster = i.cluster;
        if !i.indexed || !reads(&self.clusters[cluster.index()].placement) {
            return;
        }
        let key = i.index_key(instance);
        let answers = self.member_of_answers(cluster, instance);
        self.clusters.placement_mut(cluster).resatisfy(key, self.instances.port_sets(), &answers);
    }

    /// Whether `instance` is now a member of size class `class`: placeable, with room for it.
    pub(crate) fn in_size_class(&self, instance: InstanceId, class: SizeClass) -> bool {
        let i = &self.instances[instance.index()];
        i.indexed && key_in_class(&i.index_key(instance), class)
    }

    /// An instance's room, or whether it is placeable, changed: `before` and `after` are its
    /// index keys while placeable (`None` while not). Each owner of its cluster keeping a room
    /// order learns whether the instance joined or left the order's class.
    /// Until some owner keeps an order this is one flag check, inlined at every change of an
    /// instance's room.
    #[inline]
    pub(crate) fn relay_room_change(&mut self, id: InstanceId, before: Option<IndexKey>, after: Option<IndexKey>) {
        if self.clusters.any_room_order() {
            self.relay_room_change_to_orders(id, before, after);
        }
    }

    /// [`Engine::relay_room_change`] once some owner keeps a room order.
    #[inline(never)]
    fn relay_room_change_to_orders(&mut self, id: InstanceId, before: Option<IndexKey>, after: Option<IndexKey>) {
        let cluster = self.instances[id.index()].cluster;
        for k in 0..self.clusters.room_ordered(cluster).len() {
            let owner = self.clusters.room_ordered(cluster)[k];
            let spread = self.owner_spread(cluster, owner).expect("an owner keeping a room order has counts");
            let room = spread.room.as_deref().expect("an owner noted as keeping a room order keeps one");
            let class = room.class;
            let (was, is) = (before.filter(|k| key_in_class(k, class)), after.filter(|k| key_in_class(k, class)));
            match (was, is) {
                (None, None) => {}
                (Some(was), Some(is)) => {
                    // Still a member: the unoccupied members (kept by their keys) move, and the
                    // occupied ones when the order breaks ties by their free memory or CPU.
                    let (before, after) = (room_keys(&was), room_keys(&is));
                    if before == after || (room.free.is_none() && room.tie == SpreadTie::Own) {
                        continue;
                    }
                    let pool = self.room_pool(spread, id);
                    match owner {
                        Owner::Service(s) => self.services.room_member_rekeyed(s, id, pool, before, after),
                        Owner::Group(g) => self.clusters.group_room_member_rekeyed(cluster, g, id, pool, (before, after)),
                    }
                }
                (_, _) => {
                    let (keys, member) = match (was, is) {
                        (_, Some(is)) => (room_keys(&is), true),
                        (Some(was), None) => (room_keys(&was), false),
                        (None, None) => unreachable!("handled above"),
                    };
                    let pool = self.room_pool(spread, id);
                    match owner {
                        Owner::Service(s) => self.services.room_membership_changed(s, id, pool, keys, member),
                        Owner::Group(g) => self.clusters.group_room_membership_changed(cluster, g, id, pool, keys, member),
                    }
                }
            }
        }
    }

    /// The owners of `id`'s cluster keeping a room order filed by value that `id` is a member of,
    /// each with the pool `id` is filed under now: what [`Engine::refile_value_rooms`] moves after
    /// a change of its attributes.
    pub(crate) fn value_room_pools(&self, id: InstanceId) -> Vec<(Owner, Option<Sym>)> {
        if !self.clusters.any_room_order() {
            return Vec::new();
        }
        let cluster = self.instances[id.index()].cluster;
        self.clusters
            .room_ordered(cluster)
            .iter()
            .filter_map(|owner| {
                let spread = self.owner_spread(cluster, *owner)?;
                let room = spread.room.as_deref()?;
                (room.pools == RoomPools::Value && self.in_size_class(id, room.class))
                    .then(|| (*owner, self.room_pool(spread, id)))
            })
            .collect()
    }

    /// `id`'s attributes changed, its tasks counted out of their owners' counts: in each room order
    /// by value that `before` lists (with the pool it was filed under), it moves to the pool of its
    /// new value.
    pub(crate) fn refile_value_rooms(&mut self, id: InstanceId, before: Vec<(Owner, Option<Sym>)>) {
        let cluster = self.instances[id.index()].cluster;
        let keys = room_keys(&self.instances[id.index()].index_key(id));
        for (owner, old) in before {
            let spread = self.owner_spread(cluster, owner).expect("an owner keeping a room order has counts");
            let new = self.room_pool(spread, id);
            if new == old {
                continue;
            }
            match owner {
                Owner::Service(s) => self.services.room_member_refiled(s, id, keys, (old, new)),
                Owner::Group(g) => self.clusters.group_room_member_refiled(cluster, g, id, keys, (old, new)),
            }
        }
    }

    /// The pool `instance` is filed under in the room order `spread` keeps: its zone, its value of
    /// the owner's attribute, or the one pool.
    fn room_pool(&self, spread: &crate::state::service::SpreadCounts, instance: InstanceId) -> Option<Sym> {
        let room = spread.room.as_deref().expect("a room order");
        let value = match room.pools {
            RoomPools::Value => {
                let attribute = spread.value_attribute.expect("an order by value is filed by counted values");
                self.instance_attribute(instance, attribute).flatten()
            }
            RoomPools::Whole | RoomPools::Zone => None,
        };
        room.pool(self.instances[instance.index()].availability_zone, value)
    }

    /// `instance`'s keys in a room order when it is a member of one's class (`in_room_class`),
    /// else the default: a change of counts outside any order's class leaves them unread
    /// (`SpreadCounts::adjust_at`), so it does not compute them.
    pub(crate) fn room_keys_if(&self, in_room_class: bool, instance: InstanceId) -> RoomKeys {
        if in_room_class {
            room_keys(&self.instances[instance.index()].index_key(instance))
        } else {
            RoomKeys::default()
        }
    }

    /// A spread search walked every member of `pool` and found each occupied by `owner`
    /// ([`crate::state::service::NoFreeMembers`]).
    fn note_no_free_member(&mut self, cluster: ClusterId, owner: Owner, pool: crate::state::service::SpreadPool, joins: u64) {
        match owner {
            Owner::Service(s) => self.services.note_no_free_member(s, pool, joins),
            Owner::Group(g) => self.clusters.note_group_no_free_member(cluster, g, pool, joins),
        }
    }

    /// Whether `instance` is a member of the class of the room order that `spread` keeps (false
    /// without one): what a change of its counts on that instance passes in.
    pub(crate) fn in_room_class(&self, spread: &crate::state::service::SpreadCounts, instance: InstanceId) -> bool {
        spread.room.as_ref().is_some_and(|r| self.in_size_class(instance, r.class))
    }

    /// Whether a walk of `owner`'s placement that passed over `passed_over` members of a pool of
    /// `pool_members` warrants keeping its unoccupied members ([`RoomFree`]): one walk past
    /// [`ROOM_ORDER_AFTER_SKIPS`], and all its walks together past
    /// [`UNOCCUPIED_ORDER_AFTER_POOLS`] times the pool. Keeping them costs a move at every change
    /// of a member's room, whoever's task it is: a few long walks (a spread service beside a
    /// binpack one) cost less than that; walks that grow with the pool at every placement (a mixed
    /// fleet, distinctInstance) soon pass the bound.
    fn walk_warrants_unoccupied_order(
        &mut self,
        cluster: ClusterId,
        owner: Owner,
        passed_over: usize,
        pool_members: usize,
    ) -> bool {
        if passed_over == 0 || self.owner_spread(cluster, owner).is_none() {
            return false;
        }
        let total = match owner {
            Owner::Service(s) => self.services.note_walked_past(s, passed_over),
            Owner::Group(g) => self.clusters.note_group_walked_past(cluster, g, passed_over),
        };
        passed_over > ROOM_ORDER_AFTER_SKIPS && total > UNOCCUPIED_ORDER_AFTER_POOLS.saturating_mul(pool_members as u64)
    }

    /// Starts keeping a room order of size class `class` filed under `pools` for `owner`, with its
    /// unoccupied members as `free` says (and as the order it replaces kept them), and its occupied
    /// ones ordered within a count by `tie` (`None`: as the order it replaces did, for a reader of
    /// the unoccupied members alone), unless the cluster has its fill of them. True if it keeps
    /// one now.
    fn start_room_order(
        &mut self,
        cluster: ClusterId,
        owner: Owner,
        class: SizeClass,
        pools: RoomPools,
        (free, tie): (RoomFree, Option<SpreadTie>),
    ) -> bool {
        if !self.clusters.note_room_ordered(cluster, owner) {
            return false;
        }
        let spread = self.owner_spread(cluster, owner).expect("an owner placing by its counts has them");
        // Every member of the class, occupied or not, with its pool.
        let value_attribute = match pools {
            RoomPools::Value => Some(spread.value_attribute.expect("an order by value is filed by counted values")),
            RoomPools::Whole | RoomPools::Zone => None,
        };
        let members: Vec<(InstanceId, Option<Sym>, RoomKeys)> = self.clusters[cluster.index()].placement.classes[&class]
            .all
            .by_memory
            .iter()
            .map(|(_, id)| {
                let value = value_attribute.and_then(|a| self.instance_attribute(*id, a).flatten());
                let i = &self.instances[id.index()];
                (*id, pools.pool(i.availability_zone, value), room_keys(&i.index_key(*id)))
            })
            .collect();
        // An order replacing one keeps the unoccupied members that one kept.
        let free = free.max(spread.room.as_ref().map_or(RoomFree::Not, |r| r.keeps_free()));
        let tie = tie.unwrap_or_else(|| spread.room.as_ref().map_or(SpreadTie::Own, |r| r.tie));
        match owner {
            Owner::Service(s) => self.services.keep_room_order(s, class, pools, &members, (free, tie)),
            Owner::Group(g) => self.clusters.keep_group_room_order(cluster, g, class, pools, &members, (free, tie)),
        }
        true
    }

    /// An awsvpc task needs the task ENI limit of every instance of its cluster, whatever its
    /// placement constraints (which may change, and which every placement would otherwise have to
    /// check against the limits): an instance type missing from the table without an explicit limit
    /// is a clear error (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html>).
    pub(crate) fn check_eni_limits_known(&self, cluster: ClusterId, td: TaskDefId) -> Result<(), EcsError> {
        if self.task_defs[td.index()].network_mode != crate::state::task::NetworkMode::Awsvpc {
            return Ok(());
        }
        if let Some(id) = self.instances.first_without_eni_limit(cluster) {
            let i = &self.instances[id.index()];
            return Err(EcsError::invalid_parameter(format!(
                "Instance type {} of container instance {} is not in drainsim's task ENI limit table; give the instance an explicit taskEniLimit to run awsvpc tasks.",
                self.strings.resolve(i.instance_type),
                self.strings.resolve(i.name)
            )));
        }
        Ok(())
    }

    /// Chooses an instance for one task: resources, then constraints, then strategies, then
    /// selection (ties broken by the instance's position in the index — free capacity, then instance
    /// id — so the choice is deterministic).
    pub(crate) fn choose_instance(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        strategies: &[Strategy],
        owner: Owner,
        constraints: &Constraints,
    ) -> Result<InstanceId, PlacementFailure> {
        let chosen = self.try_choose_instance(cluster, req, strategies, owner, constraints);
        chosen.ok_or_else(|| self.placement_failure(cluster, req, owner, constraints))
    }

    /// [`Self::choose_instance`] without naming the failure: for a caller that drops it (a zone
    /// rebalancing move, whose event names only the zone). The failure's diagnosis searches for
    /// the closest instance, and, when the closest fails a `memberOf` expression, for the closest
    /// allowed one, passing over every instance the expression leaves out one by one: a move into
    /// a full zone would pay a walk of the other zones' instances, once per rebalancing service.
    pub(crate) fn try_choose_instance(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        strategies: &[Strategy],
        owner: Owner,
        constraints: &Constraints,
    ) -> Option<InstanceId> {
        let instances = &self.instances;
        let class = self.clusters.placement_mut(cluster).class_for(
            (req.cpu, req.memory, req.gpu, in_task_eni_class(req, strategies)),
            instances.port_sets(),
            |id| instances[id.index()].index_key(id),
        );
        debug_assert!(class.is_size_only(), "a task is placed in a size class");
        let narrowed = self.narrowed_class(cluster, class, req, constraints);
        let (port_misses, member_of_misses) = (Cell::new(0), Cell::new(0));
        let ask = Ask {
            cluster,
            class,
            narrowed,
            req,
            owner,
            constraints,
            port_misses: &port_misses,
            member_of_misses: &member_of_misses,
        };
        let chosen = match after_zone_spread(strategies, self.builtin.availability_zone) {
            Some(within_zone) => {
                // Order the zones with room by this owner's staying tasks in them, then by name. (A
                // zone without room for this size cannot take the task, so only the class's zones
                // are tried.)
                let per_az = self.owner_spread(cluster, owner).map(|counts| &counts.per_az);
                let mut zones: Vec<(usize, Sym)> = self.clusters[cluster.index()].placement.classes[&class]
                    .by_az
                    .iter()
                    .filter(|(_, sets)| !sets.by_memory.is_empty())
                    .map(|(az, _)| (per_az.and_then(|p| p.get(az)).copied().unwrap_or(0) as usize, *az))
                    .collect();
                let strings = &self.strings;
                zones.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| strings.resolve(a.1).cmp(strings.resolve(b.1))));
                zones.into_iter().find_map(|(_, az)| self.pick_within(ask, Some(az), within_zone))
            }
            None => self.pick_within(ask, None, strategies),
        };
        self.narrow_after_misses(cluster, class, narrowed, req, constraints, (port_misses.get(), member_of_misses.get()));
        chosen
    }

    /// The narrowest class the cluster keeps within size class `class` for a task with these
    /// requirements and constraints: the class of both its host ports and its `memberOf`
    /// expressions, else of its host ports, else of its expressions (None: none is kept, or the
    /// task has neither). Each holds every member the task fits.
    fn narrowed_class(
        &self,
        cluster: ClusterId,
        class: SizeClass,
        req: &Requirements,
        constraints: &Constraints,
    ) -> Option<SizeClass> {
        let ports = self.interned_host_ports(req);
        // Most tasks have no `memberOf`: for them no list is compared.
        let by_member_of = constraints.indexable();
        let index = &self.clusters[cluster.index()].placement;
        let both = ports.filter(|_| by_member_of).and_then(|p| index.constraint_class(class, p, &constraints.member_of));
        both.or_else(|| ports.and_then(|(tcp, udp)| index.port_class(class, tcp, udp)))
            .or_else(|| by_member_of.then(|| index.constraint_class(class, NO_PORTS, &constraints.member_of)).flatten())
    }

    /// The port class of size class `class` and the task's host ports, if the cluster keeps it.
    fn port_class_of(&self, cluster: ClusterId, class: SizeClass, req: &Requirements) -> Option<SizeClass> {
        let (tcp, udp) = self.interned_host_ports(req)?;
        self.clusters[cluster.index()].placement.port_class(class, tcp, udp)
    }

    /// The task's host ports as interned sets (None: it has none, or they were never interned, so
    /// no class of them is kept).
    fn interned_host_ports(&self, req: &Requirements) -> Option<(PortSetId, PortSetId)> {
        if !req.has_host_ports() {
            return None;
        }
        Some((self.instances.lookup_port_set(&req.ports_tcp)?, self.instances.lookup_port_set(&req.ports_udp)?))
    }

    /// The task's host ports, interned (so that a class of them can be built).
    fn intern_host_ports(&mut self, req: &Requirements) -> (PortSetId, PortSetId) {
        (self.instances.intern_port_set(&req.ports_tcp), self.instances.intern_port_set(&req.ports_udp))
    }

    /// After a walk of size class `class` (or of the narrower class `narrowed`) that passed over
    /// many members holding one of the task's host ports or not selected by its `memberOf`
    /// expressions, builds the narrowest class that leaves such members out, for the next
    /// placements like it: of both when the task has both (while the cluster keeps few enough),
    /// else — when the walk read no narrower class — of the ports or of the expressions it passed
    /// over. A few misses cost less than keeping a class ([`PORT_CLASS_AFTER_MISSES`],
    /// [`CONSTRAINT_CLASS_AFTER_MISSES`]).
    fn narrow_after_misses(
        &mut self,
        cluster: ClusterId,
        class: SizeClass,
        narrowed: Option<SizeClass>,
        req: &Requirements,
        constraints: &Constraints,
        (port_misses, member_of_misses): (usize, usize),
    ) {
        let (many_port_misses, many_member_of_misses) =
            (port_misses > PORT_CLASS_AFTER_MISSES, member_of_misses > CONSTRAINT_CLASS_AFTER_MISSES);
        if !many_port_misses && !many_member_of_misses {
            return;
        }
        let (by_ports, by_member_of) = (req.has_host_ports(), constraints.indexable());
        if by_ports && by_member_of {
            let ports = self.intern_host_ports(req);
            if self.build_constraint_class(cluster, class, ports, constraints) || narrowed.is_some() {
                return;
            }
        } else if narrowed.is_some() {
            // The class of its only kind of miss: the walk passed over none of them.
            return;
        }
        let built = by_ports && many_port_misses && self.build_port_class(cluster, class, req);
        if !built && by_member_of && many_member_of_misses {
            self.build_constraint_class(cluster, class, NO_PORTS, constraints);
        }
    }

    /// Builds the port class of size class `class` and the task's host ports (while the cluster
    /// keeps few enough); returns whether it exists.
    fn build_port_class(&mut self, cluster: ClusterId, class: SizeClass, req: &Requirements) -> bool {
        let ports = self.intern_host_ports(req);
        let instances = &self.instances;
        self.clusters
            .placement_mut(cluster)
            .build_port_class(class, ports, instances.port_sets(), |id| instances[id.index()].index_key(id))
    }

    /// Builds the constraint class of size class `class`, host ports `ports` ([`NO_PORTS`] for
    /// none) and the task's `memberOf` expressions (while the cluster keeps few enough); returns
    /// whether it exists. Only a list new to the cluster reads every placeable instance's answer.
    fn build_constraint_class(
        &mut self,
        cluster: ClusterId,
        class: SizeClass,
        ports: (PortSetId, PortSetId),
        constraints: &Constraints,
    ) -> bool {
        let index = &self.clusters[cluster.index()].placement;
        if index.constraint_class(class, ports, &constraints.member_of).is_some() {
            return true;
        }
        if !index.may_keep_constraint_class(&constraints.member_of, ports != NO_PORTS) {
            return false;
        }
        let satisfying: BTreeSet<InstanceId> = if index.keeps_member_of_list(&constraints.member_of) {
            BTreeSet::new()
        } else if let Some(ListKey { subject: KeySubject::Attribute(attribute), values: key_values }) =
            list_key(&constraints.member_of)
        {
            // Only the instances with one of the key's values may satisfy the list: they are read
            // from the attribute's values, which the index files from now on. (A list keyed by
            // task groups is answered by every placeable instance once, below, as a list not
            // keyed is: then only by instances running a task of its groups.)
            let Some(attribute) = self.strings.get(&attribute) else {
                // No instance has ever had the attribute; one that gets it is asked then.
                return self.keep_constraint_class(cluster, class, ports, constraints, BTreeSet::new());
            };
            let (instances, trunk_id) = (&self.instances, self.builtin.trunk_id);
            self.clusters
                .placement_mut(cluster)
                .index_keyed_attribute(attribute, |id| instances.attribute(id, attribute, trunk_id).flatten());
            let values = &self.clusters[cluster.index()].placement.keyed_values[&attribute];
            let holders = key_values.iter().filter_map(|v| self.strings.get(v)).filter_map(|v| values.by_value.get(&v));
            holders.flatten().copied().filter(|id| satisfies_member_of(self, *id, constraints)).collect()
        } else if let Some(ListKey { subject: KeySubject::TaskGroup, values: groups }) = list_key(&constraints.member_of) {
            // Only the instances running a task of one of the key's groups may satisfy the list:
            // they are read from the groups' instances, which the index keeps from now on.
            if index.task_group_holders().is_none() {
                let holders = self.count_task_group_holders(cluster);
                self.clusters.placement_mut(cluster).keep_task_group_holders(holders);
            }
            let index = &self.clusters[cluster.index()].placement;
            let all_holders = index.task_group_holders().expect("kept");
            let holders = groups.iter().filter_map(|g| self.strings.get(g)).filter_map(|g| all_holders.get(&g));
            holders
                .flat_map(|h| h.keys().copied())
                .filter(|id| index.placeable.contains(id) && satisfies_member_of(self, *id, constraints))
                .collect()
        } else {
            index.placeable.iter().copied().filter(|id| satisfies_member_of(self, *id, constraints)).collect()
        };
        self.keep_constraint_class(cluster, class, ports, constraints, satisfying)
    }

    /// Builds the constraint class of `build_constraint_class` from the placeable instances that
    /// satisfy its list (`satisfying`, read only when the list is new to the cluster).
    fn keep_constraint_class(
        &mut self,
        cluster: ClusterId,
        class: SizeClass,
        ports: (PortSetId, PortSetId),
        constraints: &Constraints,
        satisfying: BTreeSet<InstanceId>,
    ) -> bool {
        let instances = &self.instances;
        let built = self.clusters.placement_mut(cluster).build_constraint_class(
            class,
            ports,
            &constraints.member_of,
            satisfying,
            instances.port_sets(),
            |id| instances[id.index()].index_key(id),
        );
        self.clusters.note_member_of_lists(cluster);
        built
    }

    /// Picks an instance for the task `ask` describes by the first of `strategies` (spread by
    /// instance when none is left), among the class's members, or those of zone `az`.
    ///
    /// The candidates are walked in the class's orders; with a port or constraint class
    /// (`Ask::narrowed`), in its orders, which hold the class's members with the task's ports
    /// free, or that satisfy its `memberOf` expressions. Every choice is the same either way (the
    /// members the narrower class leaves out are those the task does not fit), so where spread by
    /// instance counts the pool's members, it reads the size class.
    fn pick_within(&mut self, ask: Ask<'_>, az: Option<Sym>, strategies: &[Strategy]) -> Option<InstanceId> {
        let Ask { cluster, class, narrowed, req, .. } = ask;
        // Binpack reads its members itself (a zone without members of the class leaves it an
        // empty walk, as the early return below does for the rest).
        let strategy = picking(strategies);
        // How spread by instance breaks its ties (a binpack rule after it, or its own rule).
        let tie = spread_tie(strategies);
        // Binpack by CPU, and spread by instance with ties broken by it, read the members by CPU.
        let by_cpu = strategy == Strategy::BinpackCpu || tie == SpreadTie::LeastCpu;
        if by_cpu && !self.clusters[cluster.index()].placement.track_cpu {
            let instances = &self.instances;
            self.clusters.placement_mut(cluster).track_cpu(instances.port_sets(), |id| instances[id.index()].index_key(id));
        }
        match strategy {
            Strategy::BinpackMemory => return self.binpack(ask, az, false),
            Strategy::BinpackCpu => return self.binpack(ask, az, true),
            _ => {}
        }
        let placement = &self.clusters[cluster.index()].placement;
        let sets = class_sets(placement, class, az)?;
        let members = match narrowed {
            Some(p) => class_sets(placement, p, az).unwrap_or(&NO_MEMBERS),
            None => sets,
        };
        let fits = |e: &Engine, id: InstanceId| ask.fits(e, id);
        match strategy {
            Strategy::BinpackMemory | Strategy::BinpackCpu => unreachable!("binpack returned above"),
            Strategy::Random => {
                // Sample instances of the cluster uniformly (from the placement stream) until one is
                // in this size class and fits; after 64 misses, choose among all that fit.
                let cluster_instances = self.clusters[cluster.index()].instances.len();
                for _ in 0..RANDOM_SAMPLES {
                    if cluster_instances == 0 {
                        break;
                    }
                    let Some(k) = self.rng.placement_sample(cluster_instances) else { break };
                    let id = self.clusters[cluster.index()].instances[k];
                    let i = &self.instances[id.index()];
                    let in_sets = match az {
                        None => true,
                        Some(z) => i.availability_zone == z,
                    };
                    if i.indexed && in_sets && record_has_size(i, class) && fits(self, id) {
                        return Some(id);
                    }
                }
                // With distinctInstance only the members the owner does not occupy can fit: listed
                // from its room order when it keeps one (without a port class); a listing that
                // passes over many others starts the order.
                let pools = if az.is_some() { RoomPools::Zone } else { RoomPools::Whole };
                let spread = self.owner_spread(cluster, ask.owner).filter(|s| ask.constraints.distinct && s.tracks_instances);
                let room = spread.and_then(|s| s.room.as_deref()).filter(|r| r.class == class && r.pools == pools);
                let placement = &self.clusters[cluster.index()].placement;
                let members = class_sets(placement, narrowed.unwrap_or(class), az).unwrap_or(&NO_MEMBERS);
                let mut passed_over = 0usize;
                #[cfg(debug_assertions)]
                let listed_from_order = room.filter(|_| narrowed.is_none()).is_some_and(|r| r.free.is_some());
                let mut candidates: Vec<InstanceId> = {
                    let kept = room.filter(|_| narrowed.is_none()).and_then(|r| r.free_least_first(az, false));
                    match kept {
                        Some(kept) => kept.filter(|id| fits(self, *id)).collect(),
                        None => members
                            .by_memory
                            .range(at_least(req.memory))
                            .map(|(_, id)| *id)
                            .filter(|id| {
                                let fit = fits(self, *id);
                                passed_over += usize::from(!fit);
                                fit
                            })
                            .collect(),
                    }
                };
                #[cfg(debug_assertions)]
                if listed_from_order {
                    let mut listed: Vec<InstanceId> =
                        members.by_memory.range(at_least(req.memory)).map(|(_, id)| *id).filter(|id| fits(self, *id)).collect();
                    let mut kept = candidates.clone();
                    listed.sort();
                    kept.sort();
                    assert_eq!(listed, kept, "the room order's unoccupied members hold every instance a distinct task fits");
                }
                let (distinct_owner, pool_members) = (spread.is_some() && narrowed.is_none(), members.by_memory.len());
                if distinct_owner && self.walk_warrants_unoccupied_order(cluster, ask.owner, passed_over, pool_members) {
                    self.start_room_order(cluster, ask.owner, class, pools, (RoomFree::ByMemory, None));
                }
                if candidates.is_empty() {
                    None
                } else {
                    candidates.sort();
                    let k = self.rng.placement_index(candidates.len());
                    Some(candidates[k])
                }
            }
            Strategy::SpreadInstance => {
                let in_az = |e: &Engine, id: InstanceId| az.is_none_or(|z| e.instances[id.index()].availability_zone == z);
                // A binpack rule after it breaks its ties (`tie`): the least free memory (CPU) among
                // the instances holding the fewest of the owner's tasks.
                let tie_key = |e: &Engine, id: InstanceId| {
                    let k = e.instances[id.index()].index_key(id);
                    tie.key(k.memory, k.cpu)
                };
                // A service's staying tasks, or a task group's (a group has no counts until it
                // has had a staying task).
                let owner = ask.owner;
                let spread = self.owner_spread(cluster, owner);
                debug_assert!(spread.is_none_or(|s| s.tracks_instances), "spread by instance keeps per-instance counts");
                let staying_on = |id: InstanceId| spread.map_or(0, |s| s.per_instance.get(id));
                // Whether the owner holds no staying task on the instance (a hash probe, no tree search).
                let unoccupied = |id: InstanceId| spread.is_none_or(|s| !s.per_instance.contains(id));
                // Phase 1: an instance without a staying task of the owner, most free memory first
                // (least free memory or CPU first when a binpack rule breaks the ties).
                // Instances that hold tasks but have no room count among the owner's occupied
                // ones, so however many it occupies, an empty member may remain anywhere in the
                // pool: the search is exact (until 2026-12-01 it looked only among the 64 members
                // with the most free memory once the owner occupied as many instances as the pool
                // had members, and could pass an empty one over).
                // A first-phase walk's length and its pool's, when it may start keeping the
                // unoccupied members.
                let mut free_walk: Option<(usize, usize)> = None;
                // Set when a whole walk of the size class's pool found every member occupied: the
                // owner notes it, and its next search skips the walk until an instance joins the
                // class or one it occupied becomes free ([`NoFreeMembers`]).
                let joins = self.clusters[cluster.index()].placement.joins();
                let walked_class = narrowed.unwrap_or(class);
                let mut found_none_free = false;
                // The unoccupied members a room order keeps for this tie-break: by free CPU too
                // when a binpack by CPU breaks the ties.
                let free_kept = if tie == SpreadTie::LeastCpu { RoomFree::ByMemoryAndCpu } else { RoomFree::ByMemory };
                // The owner's room order keeps the unoccupied members by free memory: they are read
                // instead of walking the pool past the occupied ones (with a port class, the pool
                // is walked); a walk that passes over many occupied members starts the order.
                {
                    let pools = if az.is_some() { RoomPools::Zone } else { RoomPools::Whole };
                    // The unoccupied members in the order this tie-break takes them, as the room
                    // order keeps them (None: it keeps none, or not by this key).
                    let kept_free = |room: &'_ crate::state::service::RoomOrder| -> Option<Vec<InstanceId>> {
                        let limit = 256;
                        Some(match tie {
                            SpreadTie::Own => room.free_in_pool(az)?.take(limit).collect(),
                            SpreadTie::LeastMemory => room.free_least_first(az, false)?.take(limit).collect(),
                            SpreadTie::LeastCpu => room.free_least_first(az, true)?.take(limit).collect(),
                        })
                    };
                    let (found, passed_over) = {
                        let room = spread
                            .and_then(|s| s.room.as_deref())
                            .filter(|r| r.class == class && r.pools == pools && narrowed.is_none());
                        // Notes are of the class walked: the size class, or the port or constraint
                        // class (their members join through the same count).
                        let known_full = spread.is_some_and(|s| s.knows_no_free_member((walked_class, az, None), joins));
                        let from_order = room.and_then(|r| match tie {
                            SpreadTie::Own => r.free_in_pool(az).map(|mut f| f.find(|id| fits(self, *id))),
                            SpreadTie::LeastMemory => r.free_least_first(az, false).map(|mut f| f.find(|id| fits(self, *id))),
                            SpreadTie::LeastCpu => r.free_least_first(az, true).map(|mut f| f.find(|id| fits(self, *id))),
                        });
                        match from_order {
                            Some(found) => (found, 0),
                            None if known_full => {
                                debug_assert!(
                                    members.by_memory.iter().all(|(_, id)| !unoccupied(*id)),
                                    "a pool noted full has no unoccupied member"
                                );
                                (None, 0)
                            }
                            None => {
                                // Only an empty instance is returned here, so occupancy (a hash probe) is asked first.
                                let (mut passed_over, mut saw_free) = (0usize, false);
                                let mut walk = Walk { passed_over: &mut passed_over, saw_free: &mut saw_free };
                                let (unoccupied, fits) = (&unoccupied, |id| fits(self, id));
                                let found = match tie {
                                    SpreadTie::Own => walk.first_empty_fitting(
                                        members.by_memory.range(at_least(req.memory)).rev().map(|(_, id)| *id),
                                        unoccupied,
                                        fits,
                                    ),
                                    SpreadTie::LeastMemory => walk.first_empty_fitting(
                                        members.by_memory.range(at_least(req.memory)).map(|(_, id)| *id),
                                        unoccupied,
                                        fits,
                                    ),
                                    SpreadTie::LeastCpu => walk.first_empty_fitting(
                                        members.by_cpu.range(at_least(req.cpu)).map(|(_, id)| *id),
                                        unoccupied,
                                        fits,
                                    ),
                                };
                                found_none_free = found.is_none() && !saw_free && spread.is_some();
                                (found, passed_over)
                            }
                        }
                    };
                    #[cfg(debug_assertions)]
                    if let Some(kept) = spread
                        .and_then(|s| s.room.as_deref())
                        .filter(|r| r.class == class && r.pools == pools)
                        .and_then(kept_free)
                    {
                        let walked: Vec<InstanceId> = match tie {
                            SpreadTie::Own => {
                                sets.by_memory.iter().rev().map(|(_, id)| *id).filter(|id| unoccupied(*id)).take(256).collect()
                            }
                            SpreadTie::LeastMemory => {
                                sets.by_memory.iter().map(|(_, id)| *id).filter(|id| unoccupied(*id)).take(256).collect()
                            }
                            SpreadTie::LeastCpu => {
                                sets.by_cpu.iter().map(|(_, id)| *id).filter(|id| unoccupied(*id)).take(256).collect()
                            }
                        };
                        assert_eq!(walked, kept, "the room order lists the unoccupied members a walk finds");
                    }
                    #[cfg(not(debug_assertions))]
                    let _ = kept_free;
                    // A walk that found every member occupied counts too: the note it leaves
                    // spares the next walk only until an instance the owner occupied is freed, and
                    // an owner that occupies every member while its tasks come and go (stopped by
                    // hand, exiting, moved) would otherwise walk the whole pool after each one.
                    if spread.is_some() && narrowed.is_none() {
                        free_walk = Some((passed_over, sets.by_memory.len()));
                    }
                    if found.is_some() {
                        if let Some((passed_over, pool_members)) = free_walk {
                            if self.walk_warrants_unoccupied_order(cluster, owner, passed_over, pool_members) {
                                self.start_room_order(cluster, owner, class, pools, (free_kept, Some(tie)));
                            }
                        }
                        return found;
                    }
                }
                // Phase 2: every pool member holds tasks; fewest first (the owner's ordered counts),
                // ties broken by the tie-break's key, then by instance.
                // The first of the 256 fewest-tasks class members that fits, checked lazily (most
                // often the first one does). The owner's room order holds just those members (of
                // the pool's zone), in that order; without one, its instances by count are walked,
                // passing over those without room or in another zone, and a walk that passes over
                // many starts the order for the next placement. Under a binpack tie-break, a count's
                // instances are read whole and sorted by their key (a count read past many starts
                // the order, which keeps them so).
                let spread = spread?;
                let pools = if az.is_some() { RoomPools::Zone } else { RoomPools::Whole };
                let room = spread.room.as_deref().filter(|r| r.class == class && r.pools == pools && r.tie == tie);
                let mut start_order = false;
                #[cfg(debug_assertions)]
                let had_room = room.is_some();
                let candidate = |e: &Engine, id: InstanceId| {
                    let i = &e.instances[id.index()];
                    i.indexed && record_has_size(i, class) && in_az(e, id)
                };
                let fewest_first = match room {
                    Some(room) => room.in_pool(az).map(|(_, id)| id).take(256).find(|id| fits(self, *id)),
                    None if tie == SpreadTie::Own => {
                        let mut passed_over = 0usize;
                        let found = spread
                            .by_count
                            .iter()
                            .map(|(_, id)| *id)
                            .filter(|id| {
                                let is = candidate(self, *id);
                                passed_over += usize::from(!is);
                                is
                            })
                            .take(256)
                            .find(|id| fits(self, *id));
                        start_order = passed_over > ROOM_ORDER_AFTER_SKIPS;
                        found
                    }
                    None => {
                        // Count by count, each count's candidates by the tie-break's key: the
                        // order a room order keeps them in.
                        let (mut read, mut taken, mut found) = (0usize, 0usize, None);
                        let mut next_count = spread.by_count.first().map(|(n, _)| *n);
                        while let Some(n) = next_count.filter(|_| taken < 256 && found.is_none()) {
                            let mut level: Vec<(i32, InstanceId)> = spread
                                .by_count
                                .range((n, InstanceId(0))..=(n, InstanceId(u32::MAX)))
                                .map(|(_, id)| *id)
                                .inspect(|_| read += 1)
                                .filter(|id| candidate(self, *id))
                                .map(|id| (tie_key(self, id), id))
                                .collect();
                            level.sort_unstable();
                            found = level.iter().map(|(_, id)| *id).take(256 - taken).find(|id| fits(self, *id));
                            taken += level.len().min(256 - taken);
                            next_count = n
                                .checked_add(1)
                                .and_then(|more| spread.by_count.range((more, InstanceId(0))..).next())
                                .map(|(n, _)| *n);
                        }
                        start_order = read > ROOM_ORDER_AFTER_SKIPS;
                        found
                    }
                };
                let chosen = fewest_first.or_else(|| {
                    // Nothing among the first candidates fits (ports, ENIs): fall back to a scan.
                    let fitting =
                        members.by_memory.range(at_least(req.memory)).rev().map(|(_, id)| *id).filter(|id| fits(self, *id));
                    match tie {
                        SpreadTie::Own => fitting.min_by_key(|id| staying_on(*id)),
                        SpreadTie::LeastMemory | SpreadTie::LeastCpu => {
                            fitting.min_by_key(|id| (staying_on(*id), tie_key(self, *id), *id))
                        }
                    }
                });
                let start_free_order = free_walk.is_some_and(|(passed_over, pool_members)| {
                    self.walk_warrants_unoccupied_order(cluster, ask.owner, passed_over, pool_members)
                });
                if found_none_free {
                    self.note_no_free_member(cluster, ask.owner, (walked_class, az, None), joins);
                }
                if start_order || start_free_order {
                    let free = if start_free_order { free_kept } else { RoomFree::Not };
                    self.start_room_order(cluster, ask.owner, class, pools, (free, Some(tie)));
                }
                #[cfg(debug_assertions)]
                if had_room {
                    // The order holds exactly the members a walk of the counts would not pass over,
                    // in the tie-break's order within a count.
                    let spread = self.owner_spread(cluster, ask.owner).expect("an owner keeping a room order has counts");
                    let members = spread.by_count.iter().filter(|(_, id)| self.in_size_class(*id, class) && in_az(self, *id));
                    let walked: Vec<InstanceId> = if tie == SpreadTie::Own {
                        members.map(|(_, id)| *id).take(256).collect()
                    } else {
                        let mut keyed: Vec<(u32, i32, InstanceId)> =
                            members.map(|(n, id)| (*n, tie_key(self, *id), *id)).collect();
                        keyed.sort_unstable();
                        keyed.into_iter().map(|(_, _, id)| id).take(256).collect()
                    };
                    let kept: Vec<InstanceId> =
                        spread.room.as_ref().expect("kept").in_pool(az).map(|(_, id)| id).take(256).collect();
                    assert_eq!(walked, kept, "the room order lists what a walk of the counts finds");
                }
                chosen
            }
            Strategy::SpreadAttribute(attr) => {
                // The rest of the strategy picks within the value, as after a spread by zone.
                let within = within_value(&strategies[1..]);
                let chosen = self.spread_by_attribute(ask, az, attr, within);
                // The choice is exact: a debug build checks it against a scan of every candidate
                // (in classes of up to 4,096 members, so that big debug runs stay usable).
                #[cfg(debug_assertions)]
                if self.clusters[cluster.index()].placement.classes[&class].all.by_memory.len() <= 4096 {
                    let expected = self.spread_by_attribute_scan(ask, az, attr, within);
                    match (within, expected) {
                        // A random pick: any fitting instance of the value the scan chose.
                        (Strategy::Random, Some((value, _))) => assert_eq!(
                            chosen.map(|id| self.instance_attribute(id, attr).flatten()),
                            Some(value),
                            "a random pick within the value a scan chooses"
                        ),
                        _ => assert_eq!(
                            chosen,
                            expected.map(|(_, id)| id),
                            "the value index chooses what a scan of every candidate chooses"
                        ),
                    }
                }
                chosen
            }
        }
    }

    /// Binpack within the class's members (or those of zone `az`): the least free memory (CPU when
    /// `by_cpu`) that fits, ties to the earlier-registered. With distinctInstance only the members
    /// the owner does not occupy can fit: its room order keeps them (without a port class), read
    /// least first instead of walking past the occupied ones, which sort first; a walk past many
    /// starts keeping them.
    fn binpack(&mut self, ask: Ask<'_>, az: Option<Sym>, by_cpu: bool) -> Option<InstanceId> {
        let Ask { cluster, class, narrowed, req, owner, constraints, .. } = ask;
        let pools = if az.is_some() { RoomPools::Zone } else { RoomPools::Whole };
        // Only a distinctInstance owner reads (or starts) a room order here: others skip the lookup.
        let spread = if constraints.distinct { self.owner_spread(cluster, owner).filter(|s| s.tracks_instances) } else { None };
        let room = spread.and_then(|s| s.room.as_deref()).filter(|r| r.class == class && r.pools == pools);
        let placement = &self.clusters[cluster.index()].placement;
        let members = class_sets(placement, narrowed.unwrap_or(class), az).unwrap_or(&NO_MEMBERS);
        let (order, amount) = if by_cpu { (&members.by_cpu, req.cpu) } else { (&members.by_memory, req.memory) };
        let walk = || order.range(at_least(amount)).map(|(_, id)| *id);
        let (chosen, passed_over) = {
            let kept = room.filter(|_| narrowed.is_none()).and_then(|r| r.free_least_first(az, by_cpu));
            match kept {
                Some(mut kept) => {
                    let chosen = kept.find(|id| ask.fits(self, *id));
                    debug_assert_eq!(
                        chosen,
                        walk().find(|id| ask.fits(self, *id)),
                        "the room order's unoccupied members hold every instance a distinct task fits"
                    );
                    (chosen, 0)
                }
                None => {
                    let mut passed_over = 0usize;
                    let chosen = walk().find(|id| {
                        let fit = ask.fits(self, *id);
                        passed_over += usize::from(!fit);
                        fit
                    });
                    (chosen, passed_over)
                }
            }
        };
        let (distinct_owner, pool_members) = (spread.is_some() && narrowed.is_none(), order.len());
        if distinct_owner && self.walk_warrants_unoccupied_order(cluster, owner, passed_over, pool_members) {
            let free = if by_cpu { RoomFree::ByMemoryAndCpu } else { RoomFree::ByMemory };
            self.start_room_order(cluster, owner, class, pools, (free, None));
        }
        chosen
    }

    /// Spread by an attribute other than the zone: among the instances with room, those whose
    /// value of `attr` holds the fewest of the owner's staying tasks, ties broken by the value's
    /// text (instances lacking the attribute first); within the value, the rest of the strategy
    /// (`within`) picks, as after a spread by zone: binpack and random among the value's members;
    /// by default, and after a further spread by an attribute, as spread by instance: an instance
    /// without a staying task of the owner, the one with the most free memory (ties: the
    /// later-registered), else the one holding the fewest (ties: the earlier-registered). The values of the
    /// class's members come from the placement index (`ClassIndex::by_value`) and a service's
    /// tasks per value from its spread counts (`SpreadCounts::per_value`), so a placement visits
    /// each value once and, within the chosen value, passes over the instances the owner
    /// occupies there and those that do not fit until it finds a free one (or reads the free ones
    /// from its room order by value): no scan of the cluster or the service. With a narrower class
    /// (ports, `memberOf` or both), a value's members of that class are walked instead, as in
    /// [`Engine::pick_within`] (the counts still read the size class). A task
    /// group keeps its tasks per value of the last attribute it spread by
    /// (`Clusters::count_group_by_value`): a RunTask call spreading by another counts the group's
    /// instances once.
    fn spread_by_attribute(&mut self, ask: Ask<'_>, az: Option<Sym>, attr: Sym, within: Strategy) -> Option<InstanceId> {
        let Ask { cluster, class, narrowed, req, owner, .. } = ask;
        if !self.clusters[cluster.index()].placement.tracks_attribute(attr) {
            let (instances, trunk_id) = (&self.instances, self.builtin.trunk_id);
            self.clusters.placement_mut(cluster).track_attribute(
                attr,
                instances.port_sets(),
                |id| instances[id.index()].index_key(id),
                |id| instances.attribute(id, attr, trunk_id).flatten(),
            );
        }
        if within == Strategy::BinpackCpu && !self.clusters[cluster.index()].placement.track_cpu {
            let instances = &self.instances;
            self.clusters.placement_mut(cluster).track_cpu(instances.port_sets(), |id| instances[id.index()].index_key(id));
        }
        if let Owner::Group(group) = owner {
            // A task group's first spread by this attribute since it spread by another (or by
            // none): from now on it counts its tasks by this attribute's value, as a service
            // spreading by one does.
            let counts = self.clusters[cluster.index()].group_spread.get(&group).filter(|s| s.value_attribute != Some(attr));
            if let Some(counts) = counts {
                let values: Vec<(InstanceId, Option<Sym>)> = counts
                    .per_instance
                    .sorted()
                    .into_iter()
                    .map(|(instance, _)| (instance, self.instance_attribute(instance, attr).flatten()))
                    .collect();
                self.clusters.count_group_by_value(cluster, group, attr, &values);
            }
        }
        // A service spreading by this attribute, and a task group (which counts by the last
        // attribute it spread by, switched above), keep their tasks' counts per value as they
        // change, and the values in the order they are visited in; an owner without counts by
        // it (a group with no staying task yet) is counted here.
        if self.owner_spread(cluster, owner).is_some_and(|s| s.value_attribute == Some(attr)) {
            self.ready_value_order(cluster, owner, class, attr);
        }
        let spread = self.owner_spread(cluster, owner);
        debug_assert!(spread.is_none_or(|s| s.tracks_instances), "spread by an attribute keeps per-instance counts");
        let kept = spread.filter(|s| s.value_attribute == Some(attr));
        let placement = &self.clusters[cluster.index()].placement;
        let values = placement.classes[&class].by_value.get(&attr)?;
        // The members of a value to walk: those of the narrower class when one is kept.
        let narrowed_values = narrowed.map(|p| placement.classes[&p].by_value.get(&attr));
        let walked_members = |v: &Option<Sym>| match narrowed_values {
            Some(narrowed_values) => narrowed_values.and_then(|m| m.get(v)).unwrap_or(&NO_MEMBERS),
            None => &values[v],
        };
        // The class's values, the fewest of the owner's tasks first (ties: the value's text, a
        // value lacking the attribute first): from the owner's kept order, read as far as the
        // search goes, or sorted here.
        let by_text = |counts: &BTreeMap<Option<Sym>, u32>| {
            let mut order: Vec<(u32, Option<&str>, Option<Sym>)> =
                values.keys().map(|v| (counts.get(v).copied().unwrap_or(0), v.map(|s| self.strings.resolve(s)), *v)).collect();
            order.sort_unstable();
            order.into_iter().map(|(_, _, v)| v)
        };
        let order: Box<dyn Iterator<Item = Option<Sym>> + '_> = match kept {
            Some(s) => {
                let ranks = &placement.value_samples[&attr].ranks;
                let present = &placement.classes[&class].value_bits[&attr];
                let kept_order = s.value_order.as_deref().expect("an owner counting by value keeps its order");
                #[cfg(debug_assertions)]
                if values.len() <= 512 {
                    assert!(
                        kept_order.visit(present, ranks).eq(by_text(&s.per_value)),
                        "the kept order of values is the sorted one"
                    );
                }
                Box::new(kept_order.visit(present, ranks))
            }
            None => Box::new(by_text(&self.owner_tasks_by_value(cluster, owner, attr))),
        };
        let staying_on = |id: InstanceId| spread.map_or(0, |s| s.per_instance.get(id));
        let in_zone = |id: InstanceId| az.is_none_or(|z| self.instances[id.index()].availability_zone == z);
        let fits = |id: InstanceId| ask.fits(self, id);
        if within == Strategy::Random {
            let order: Vec<Option<Sym>> = order.collect();
            return self.random_within_values(ask, az, attr, &order);
        }
        // How many of the owner's instances the walks by count passed over (no room, or another
        // zone): past ROOM_ORDER_AFTER_SKIPS, the owner keeps a room order by value.
        let passed_over = Cell::new(0usize);
        // And past occupied ones to an empty one: the order then keeps the unoccupied members.
        let passed_over_occupied = Cell::new(0usize);
        let walked_pool_members = Cell::new(0usize);
        let kept_by_attribute = kept.is_some();
        // Values whose every member in the zone (of the class walked) a walk found occupied,
        // noted for the next search; values noted so are not walked ([`NoFreeMembers`]).
        let joins = placement.joins();
        let pool_of = |v: Option<Sym>| (narrowed.unwrap_or(class), az, Some((attr, v)));
        let known_full = |v: Option<Sym>| spread.is_some_and(|s| s.knows_no_free_member(pool_of(v), joins));
        let found_full = std::cell::RefCell::new(Vec::new());
        let mut order = order;
        let chosen = order.find_map(|v| {
            let members = &values[&v].by_memory;
            let walked_sets = walked_members(&v);
            let walked = &walked_sets.by_memory;
            match within {
                // The least free memory that fits (ties: the earlier-registered), as binpack does.
                Strategy::BinpackMemory => {
                    return walked.range(at_least(req.memory)).map(|(_, id)| *id).find(|id| in_zone(*id) && fits(*id))
                }
                // The least free CPU that fits (ties: the earlier-registered), from the value's
                // by-CPU order.
                Strategy::BinpackCpu => {
                    return walked_sets.by_cpu.range(at_least(req.cpu)).map(|(_, id)| *id).find(|id| in_zone(*id) && fits(*id))
                }
                // Spread by instance (a further spread by an attribute, which drainsim does not
                // nest, arrives as one: `placement::within_value`).
                Strategy::SpreadInstance | Strategy::SpreadAttribute(_) | Strategy::Random => {}
            }
            // An instance without a staying task of the owner, the one with the most free memory
            // (ties: the later-registered), as spread by instance takes: the value's unoccupied
            // members, most free memory first, from the owner's room order by value when it keeps
            // one (without a port class), else walked past the occupied ones and those that do
            // not fit (a walk past many starts the order). Exact however many instances the owner
            // occupies, as spread by instance is.
            let free_member = match kept
                .and_then(|s| s.room.as_deref())
                .filter(|r| r.class == class && r.pools == RoomPools::Value && narrowed.is_none())
                .filter(|r| r.free.is_some())
            {
                Some(room) => {
                    #[cfg(debug_assertions)]
                    {
                        let walked: Vec<InstanceId> =
                            members.iter().rev().map(|(_, id)| *id).filter(|id| staying_on(*id) == 0).take(256).collect();
                        let kept: Vec<InstanceId> = room.free_in_pool(v).expect("kept").take(256).collect();
                        assert_eq!(walked, kept, "the room order lists the unoccupied members a walk finds");
                    }
                    room.free_in_pool(v).expect("kept").find(|id| in_zone(*id) && fits(*id))
                }
                None if known_full(v) => {
                    debug_assert!(
                        walked.iter().all(|(_, id)| staying_on(*id) > 0 || !in_zone(*id)),
                        "a value noted full has no unoccupied member"
                    );
                    None
                }
                None => {
                    let (mut saw_free, mut passed) = (false, 0usize);
                    let found = walked.range(at_least(req.memory)).rev().map(|(_, id)| *id).find(|id| {
                        let empty = staying_on(*id) == 0;
                        passed += usize::from(!empty);
                        saw_free |= empty && in_zone(*id);
                        empty && in_zone(*id) && fits(*id)
                    });
                    if found.is_none() && !saw_free && spread.is_some() {
                        // Every member occupied: noted, and (as in spread by instance) no count
                        // toward an order of free members, which would hold none of this value.
                        found_full.borrow_mut().push(v);
                    } else {
                        walked_pool_members.set(walked_pool_members.get() + walked.len());
                        passed_over_occupied.set(passed_over_occupied.get() + passed);
                    }
                    found
                }
            };
            if free_member.is_some() {
                return free_member;
            }
            // Else the member holding the fewest (ties: the earlier-registered), from the
            // owner's instances in order of their counts: those with room for the class (its
            // room order by value), or all of them, passing over the rest.
            let member_in_zone = |id: &InstanceId| {
                let k = self.instances[id.index()].index_key(*id);
                k.memory >= crate::placement::index_amount(req.memory) && members.contains(&(k.memory, *id)) && in_zone(*id)
            };
            match kept {
                // Fewer members of the narrower class (ports free, expressions satisfied) than
                // instances the owner holds in the value (its tasks hold the port where they
                // run): the fewest among those members.
                Some(s) if narrowed.is_some() && walked.len() < s.occupied_per_value.get(&v).copied().unwrap_or(0) as usize => {
                    walked
                        .range(at_least(req.memory))
                        .map(|(_, id)| *id)
                        .filter(|id| staying_on(*id) > 0 && in_zone(*id) && fits(*id))
                        .min_by_key(|id| (staying_on(*id), *id))
                }
                Some(s) => {
                    let by_count = || {
                        s.by_value_count.range((v, 0, InstanceId(0))..=(v, u32::MAX, InstanceId(u32::MAX))).map(|(_, _, id)| *id)
                    };
                    match s.room.as_deref().filter(|r| r.class == class && r.pools == RoomPools::Value && r.tie == SpreadTie::Own)
                    {
                        Some(room) => {
                            #[cfg(debug_assertions)]
                            {
                                let walked: Vec<InstanceId> = by_count().filter(member_in_zone).take(256).collect();
                                let kept: Vec<InstanceId> =
                                    room.in_pool(v).map(|(_, id)| id).filter(|id| in_zone(*id)).take(256).collect();
                                assert_eq!(walked, kept, "the room order lists what a walk of the counts finds");
                            }
                            room.in_pool(v).map(|(_, id)| id).find(|id| in_zone(*id) && fits(*id))
                        }
                        None => by_count().find(|id| {
                            let candidate = member_in_zone(id);
                            passed_over.set(passed_over.get() + usize::from(!candidate));
                            candidate && fits(*id)
                        }),
                    }
                }
                None => spread?.by_count.iter().map(|(_, id)| *id).find(|id| member_in_zone(id) && fits(*id)),
            }
        });
        drop(order);
        for v in found_full.into_inner() {
            self.note_no_free_member(cluster, owner, pool_of(v), joins);
        }
        let warranted = kept_by_attribute
            && self.walk_warrants_unoccupied_order(cluster, owner, passed_over_occupied.get(), walked_pool_members.get());
        let free = if warranted { RoomFree::ByMemory } else { RoomFree::Not };
        if (passed_over.get() > ROOM_ORDER_AFTER_SKIPS || free > RoomFree::Not) && kept_by_attribute {
            self.start_room_order(cluster, owner, class, RoomPools::Value, (free, Some(SpreadTie::Own)));
        }
        chosen
    }

    /// Makes `owner`'s order of the values of `attr`, the attribute it counts by, ready for a
    /// spread among the members of `class`: the attribute's ranks current, the class's bits of
    /// them, and the values whose counts changed filed again ([`crate::state::service::ValueOrder`]).
    fn ready_value_order(&mut self, cluster: ClusterId, owner: Owner, class: SizeClass, attr: Sym) {
        let strings = &self.strings;
        self.clusters.placement_mut(cluster).rank_values(attr, class, |s| strings.resolve(s));
        match owner {
            Owner::Service(s) => {
                let ranks = &self.clusters[cluster.index()].placement.value_samples[&attr].ranks;
                self.services.sync_value_order(s, ranks);
            }
            Owner::Group(g) => self.clusters.sync_group_value_order(cluster, g, attr),
        }
    }

    /// `random` after a spread by an attribute: uniform among the members that fit of the first
    /// value of `order` with any. The value's placeable instances are sampled uniformly (from the
    /// placement stream, as `random` samples the cluster's) until one is a member of the size
    /// class, in zone `az` and fits; after [`RANDOM_SAMPLES`] misses, one of the value's members
    /// that fit is drawn (one draw; a scripted run always draws this way). Either way each fitting
    /// member is equally likely, and a placement costs the samples, not the value's size, unless
    /// few of the value's instances fit. A value with fewer members than an eighth of its
    /// placeable instances (samples would mostly miss) is not sampled: its members are few, and
    /// listed at once.
    fn random_within_values(&mut self, ask: Ask<'_>, az: Option<Sym>, attr: Sym, order: &[Option<Sym>]) -> Option<InstanceId> {
        let Ask { cluster, class, narrowed, req, .. } = ask;
        let in_zone = |e: &Engine, id: InstanceId| az.is_none_or(|z| e.instances[id.index()].availability_zone == z);
        for v in order {
            let placement = &self.clusters[cluster.index()].placement;
            let len = placement.value_samples[&attr].of(*v).len();
            let members = class_sets_by_value(placement, class, attr, *v).by_memory.len();
            let samples = if len > 0 && members.saturating_mul(SAMPLED_SHARE) >= len { RANDOM_SAMPLES } else { 0 };
            for _ in 0..samples {
                let Some(k) = self.rng.placement_sample(len) else { break };
                let id = self.clusters[cluster.index()].placement.value_samples[&attr].of(*v)[k];
                let i = &self.instances[id.index()];
                if record_has_size(i, class) && in_zone(self, id) && ask.fits(self, id) {
                    return Some(id);
                }
            }
            let placement = &self.clusters[cluster.index()].placement;
            let members = class_sets_by_value(placement, narrowed.unwrap_or(class), attr, *v);
            let mut fitting: Vec<InstanceId> = members
                .by_memory
                .range(at_least(req.memory))
                .map(|(_, id)| *id)
                .filter(|id| in_zone(self, *id) && ask.fits(self, *id))
                .collect();
            if !fitting.is_empty() {
                fitting.sort_unstable();
                let k = self.rng.placement_index(fitting.len());
                return Some(fitting[k]);
            }
        }
        None
    }

    /// The spread counts of an owner (a task group has none until it has had a staying task).
    /// Only a service whose strategy spreads by instance or by an attribute keeps per-instance
    /// counts; a task group always does.
    fn owner_spread(&self, cluster: ClusterId, owner: Owner) -> Option<&crate::state::service::SpreadCounts> {
        match owner {
            Owner::Service(s) => Some(&self.services[s.index()].spread),
            Owner::Group(g) => self.clusters[cluster.index()].group_spread.get(&g),
        }
    }

    /// The owner's staying tasks by the value of `attr` of the instance they are on (tasks told
    /// to stop and tasks on DRAINING instances are leaving, so spread balances what will remain).
    fn owner_tasks_by_value(&self, cluster: ClusterId, owner: Owner, attr: Sym) -> BTreeMap<Option<Sym>, u32> {
        let value_of = |instance: InstanceId| self.instance_attribute(instance, attr).flatten();
        self.owner_spread(cluster, owner).map(|s| s.per_instance.sum_by(value_of)).unwrap_or_default()
    }

    /// What [`Engine::spread_by_attribute`] chooses, found by scoring every candidate of the
    /// class: the value and the instance (for `random` within the value, any of its fitting
    /// instances may be drawn). The oracle the index's choice is checked against in debug builds.
    #[cfg(debug_assertions)]
    fn spread_by_attribute_scan(
        &self,
        ask: Ask<'_>,
        az: Option<Sym>,
        attr: Sym,
        within: Strategy,
    ) -> Option<(Option<Sym>, InstanceId)> {
        let Ask { cluster, class, req, owner, constraints, .. } = ask;
        let index = &self.clusters[cluster.index()].placement.classes[&class];
        let sets = match az {
            None => &index.all,
            Some(az) => index.by_az.get(&az)?,
        };
        let counts = self.owner_tasks_by_value(cluster, owner, attr);
        let spread = self.owner_spread(cluster, owner);
        sets.by_memory
            .range(at_least(req.memory))
            .map(|(_, id)| *id)
            // A task of a capacity provider strategy has its provider's test among its `memberOf`
            // expressions (`Constraints::within_capacity_provider`), which this checks too.
            .filter(|id| unmet_requirement(self, *id, req, owner, constraints).is_none())
            .filter(|id| within != Strategy::BinpackCpu || self.instances[id.index()].remaining.cpu >= req.cpu)
            .map(|id| {
                let v = self.instance_attribute(id, attr).flatten();
                let on_instance = spread.map_or(0, |s| s.per_instance.get(id));
                let k = self.instances[id.index()].index_key(id);
                let (memory, cpu, n) = (k.memory as i64, k.cpu as i64, id.0 as i64);
                let within_value = match within {
                    Strategy::BinpackMemory => (0, memory, n),
                    Strategy::BinpackCpu => (0, cpu, n),
                    // Free instances: most free memory first, then the later-registered; occupied
                    // ones: the fewest tasks, then the earlier-registered.
                    _ if on_instance == 0 => (0, -memory, -n),
                    _ => (on_instance as i64, 0, n),
                };
                (counts.get(&v).copied().unwrap_or(0), v.map(|s| self.strings.resolve(s)), within_value, v, id)
            })
            .min()
            .map(|(_, _, _, v, id)| (v, id))
    }

    /// Whether the cluster has no container instance to place on at all: none placeable (ACTIVE,
    /// agent connected) and none ACTIVE with its agent disconnected. The one rule of ECS's "No
    /// Container Instances were found in your cluster.": a service's placement failure then has
    /// the reason `NO_INSTANCES` and that sentence in its event, and RunTask without a capacity
    /// provider strategy is refused whole with it, an InvalidParameterException (a CloudTrail
    /// record of it: <https://github.com/linz/geostore/issues/1687>; a cluster scaled to zero:
    /// <https://github.com/boto/boto3/issues/2862>), where a cluster with instances that cannot
    /// take the task answers with per-task `failures`. A call with a capacity provider strategy is
    /// answered per task: its provider may scale out.
    pub(crate) fn no_container_instances(&self, cluster: ClusterId) -> bool {
        self.clusters[cluster.index()].placement.is_empty() && self.instances.first_disconnected_active(cluster).is_none()
    }

    /// The closest of the cluster's ACTIVE instances whose agent is disconnected, among those `of`
    /// takes, when no placeable instance is left to name: one whose EC2 instance is still there
    /// before any EC2 terminated, and of those the one [`closeness`] ranks first (the fewest of
    /// CPU, GPUs, memory and host ports missed, then the most free memory, then the
    /// later-registered). An instance EC2 terminated comes last (ECS
    /// still lists it ACTIVE, so its `AGENT` is what ECS reports, but its agent never comes back:
    /// `Engine::terminate_ec2_instance`). A plan must fix that instance's agent; naming the first
    /// registered one, as drainsim did, could name a terminated instance or one the task does not
    /// fit. Reads the instance table's list of disconnected ACTIVE instances, never a scan of the
    /// cluster.
    fn closest_disconnected(
        &self,
        cluster: ClusterId,
        req: &Requirements,
        of: impl Fn(&Engine, InstanceId) -> bool,
    ) -> Option<InstanceId> {
        self.instances
            .disconnected_active_in(cluster)
            .filter(|id| of(self, *id))
            .max_by_key(|id| (!self.faults.terminated_registered.contains(id), closeness(self, *id, req)))
    }

    /// The failure of a placement that found nothing: the closest matching instance is the placeable
    /// one that misses the fewest resources (ties: most free memory, then the later-registered
    /// instance); with no placeable instance, the closest ACTIVE one whose agent is disconnected
    /// ([`Self::closest_disconnected`]).
    fn placement_failure(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        owner: Owner,
        constraints: &Constraints,
    ) -> PlacementFailure {
        if let Some(provider) = constraints.capacity_provider {
            return self.placement_failure_in_provider(cluster, req, owner, constraints, provider);
        }
        if self.no_container_instances(cluster) {
            return PlacementFailure {
                reason: PlacementFailureReason::NoInstances,
                closest: None,
                unmet: vec![PlacementFailureReason::NoInstances],
                allowed_unmet: Vec::new(),
            };
        }
        if self.clusters[cluster.index()].placement.is_empty() {
            let i = self.closest_disconnected(cluster, req, |_, _| true).expect("an ACTIVE instance, its agent disconnected");
            return PlacementFailure {
                reason: PlacementFailureReason::Agent,
                closest: Some(i),
                unmet: vec![PlacementFailureReason::Agent],
                allowed_unmet: Vec::new(),
            };
        }
        let closest = self.closest_placeable(cluster, req, |_, _| true).expect("the cluster has a placeable instance");
        let unmet = unmet_requirements(self, closest, req, owner, constraints);
        if let Some(failure) = self.agent_failure_with_room(cluster, req, owner, constraints, &unmet, |_, _| true) {
            return failure;
        }
        let reason = unmet.first().copied().unwrap_or(PlacementFailureReason::Cpu);
        let allowed_unmet = self.allowed_unmet(cluster, req, owner, constraints, &unmet);
        PlacementFailure { reason, closest: Some(closest), unmet, allowed_unmet }
    }

    /// `AGENT` when the task fits an ACTIVE instance whose agent is disconnected and nothing
    /// placeable (the closest misses `unmet`, not empty): that instance misses nothing but its
    /// agent, so it is the closest match — ECS's event "The closest matching container-instance
    /// … encountered error "AGENT"" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages-list.html>),
    /// and what a plan must fix is the agent, not the CPU or memory the connected instances lack
    /// (docs/ecs-choices.md, "The closest matching instance"). Of several, the one
    /// [`closeness`] ranks first (the most free memory, then the later-registered); not one whose
    /// EC2 instance is gone (terminated with its agent disconnected: it never reconnects). Reads the
    /// instance table's list of disconnected ACTIVE instances, empty in most runs, never a scan of
    /// the cluster.
    fn agent_failure_with_room(
        &self,
        cluster: ClusterId,
        req: &Requirements,
        owner: Owner,
        constraints: &Constraints,
        unmet: &[PlacementFailureReason],
        of: impl Fn(&Engine, InstanceId) -> bool,
    ) -> Option<PlacementFailure> {
        if unmet.is_empty() {
            return None;
        }
        let only_the_agent = |id: InstanceId| {
            let mut missed = Vec::new();
            check_requirements(self, id, req, owner, constraints, |r| {
                missed.push(r);
                r == PlacementFailureReason::Agent
            });
            missed == [PlacementFailureReason::Agent]
        };
        // An instance EC2 terminated while its agent was disconnected stays ACTIVE in ECS's eyes,
        // but its room is no one's: its agent never comes back (`Engine::terminate_ec2_instance`).
        let with_room = self.closest_disconnected(cluster, req, |e, id| {
            !e.faults.terminated_registered.contains(&id) && of(e, id) && only_the_agent(id)
        })?;
        let reason = PlacementFailureReason::Agent;
        Some(PlacementFailure { reason, closest: Some(with_room), unmet: vec![reason], allowed_unmet: Vec::new() })
    }

    /// When the closest instance fails a `memberOf` expression (`unmet`): what the closest of the
    /// placeable instances that satisfy every expression misses, from the index's walk with that
    /// filter ([`Self::closest_placeable`]) — the shortfall a plan must fix (ECS filters by
    /// resources before constraints, so the closest instance may be one the constraints rule out,
    /// and "CONSTRAINT:memberOf" alone hides that the allowed instances lack, say, memory).
    fn allowed_unmet(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        owner: Owner,
        constraints: &Constraints,
        unmet: &[PlacementFailureReason],
    ) -> Vec<PlacementFailureReason> {
        if !unmet.iter().any(|r| r.is_member_of_test()) {
            return Vec::new();
        }
        match self.closest_allowed(cluster, req, owner, constraints) {
            Some(id) => unmet_requirements(self, id, req, owner, constraints),
            None => Vec::new(),
        }
    }

    /// The closest placeable instance that satisfies the task's `memberOf` expressions (None:
    /// none does), by [`Self::closest_placeable`]'s order.
    fn closest_allowed(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        owner: Owner,
        constraints: &Constraints,
    ) -> Option<InstanceId> {
        // A kept list knows the instances it allows: the closest of them ([`closeness`]),
        // without passing over every instance the expressions leave out one by one (a stalled
        // service pinned to one of many pools paid a walk of the cluster at each failing
        // placement). While they are at most half the placeable instances.
        let index = &self.clusters[cluster.index()].placement;
        if let Some(allowed) = index.satisfying_list(&constraints.member_of).filter(|s| s.len() <= index.len() / 2) {
            return allowed.iter().copied().max_by_key(|id| closeness(self, *id, req));
        }
        let allowed = |e: &Engine, id: InstanceId| {
            !unmet_requirements(e, id, req, owner, constraints).iter().any(|r| r.is_member_of_test())
        };
        self.closest_placeable(cluster, req, allowed)
    }

    /// Why a task of a capacity provider could not be placed: its closest instance among the
    /// provider's placeable ones, chosen by [`Self::closest_placeable`] (fewest of CPU, memory and
    /// host ports missed, then the most free memory, then the later-registered); with none, an
    /// ACTIVE one with its agent disconnected (`AGENT`), else `NO_INSTANCES` (ECS: "No Container
    /// Instances were found in your capacity provider"). The search walks the index as for a task
    /// without a provider, passing over other providers' instances, so a provider that holds the
    /// cluster's instances does not pay a walk of them on every failing placement; the walk for a
    /// disconnected agent runs only when the provider has no placeable instance.
    fn placement_failure_in_provider(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        owner: Owner,
        constraints: &Constraints,
        provider: Sym,
    ) -> PlacementFailure {
        let of_provider = |e: &Engine, id: InstanceId| e.instance_profile(id).capacity_provider == Some(provider);
        let closest = if self.clusters[cluster.index()].placement.is_empty() {
            None
        } else {
            self.closest_of_provider(cluster, req, provider)
        };
        match closest {
            Some(closest) => {
                let unmet = unmet_requirements(self, closest, req, owner, constraints);
                if let Some(failure) = self.agent_failure_with_room(cluster, req, owner, constraints, &unmet, of_provider) {
                    return failure;
                }
                let reason = unmet.first().copied().unwrap_or(PlacementFailureReason::Cpu);
                let allowed_unmet = self.allowed_unmet(cluster, req, owner, constraints, &unmet);
                PlacementFailure { reason, closest: Some(closest), unmet, allowed_unmet }
            }
            None => {
                let disconnected = self.closest_disconnected(cluster, req, of_provider);
                let reason =
                    if disconnected.is_some() { PlacementFailureReason::Agent } else { PlacementFailureReason::NoInstances };
                PlacementFailure { reason, closest: disconnected, unmet: vec![reason], allowed_unmet: Vec::new() }
            }
        }
    }

    /// The placeable instance of a cluster (which has one) among those `of` takes (all, or a
    /// capacity provider's) that comes closest to taking the task ([`closeness`]: the fewest of
    /// its CPU, memory and host ports missed; ties: the most free memory, then the
    /// later-registered instance). None when `of` takes no placeable instance.
    ///
    /// Found from the index rather than by scoring every placeable instance, so that a stall does
    /// not cost a scan of the cluster on every pass of every waiting service. Instances are taken
    /// in descending (free memory, ID) order, so the first found of the fewest misses wins:
    /// - An instance that misses nothing has room for the task, so it is a member of the task's
    ///   size class when the class exists; the members are visited from the most free memory down
    ///   to the first with the ports free (without host ports, the first member). When the
    ///   cluster keeps the port class of the task's size and ports, its first member is the one.
    /// - Then the instances with at least the task's memory, from the most free memory down,
    ///   until one misses no more than any instance can still miss. Without host ports the first
    ///   one settles it.
    /// - Every instance left misses memory, so one that misses only that has the CPU: the first
    ///   member of the class of the task's CPU (`(cpu, 0)`) below the task's memory with its
    ///   ports free. A cluster packed full on both CPU and memory (tasks sized to their
    ///   instances) ends there, not after a walk down to the first instance with the CPU.
    /// - When nothing misses only one, the remaining instances in the same order, until one
    ///   misses no more than two.
    ///
    /// What is still visited one by one: members that lack a host port, when no port class is
    /// kept for the task's ports, and instances `of` leaves out.
    ///
    /// The first failure orders the class of every size (`EVERY_SIZE`), and one that needs the
    /// class of the task's CPU orders that too; the index then keeps both through every resource
    /// change of the cluster: up to two more ordered classes, paid only by runs that fail a
    /// placement. At the index's class limit the CPU class is not built and the instances below
    /// the task's memory are walked instead. An awsvpc task is placed in the class of its size
    /// with a task ENI free ([`in_task_eni_class`]), which leaves out instances that miss nothing
    /// here (closeness does not count task ENIs): its failure orders the class of its size
    /// without one as well, or a cluster stalled on CPU would be walked at every failure.
    fn closest_placeable(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        of: impl Fn(&Engine, InstanceId) -> bool,
    ) -> Option<InstanceId> {
        let own_class = SizeClass::of_size(req.cpu.max(0), req.memory.max(0)).with_gpu(req.gpu);
        let instances = &self.instances;
        let index = self.clusters.placement_mut(cluster);
        let every_size = index.class_for((0, 0, 0, false), instances.port_sets(), |id| instances[id.index()].index_key(id));
        debug_assert_eq!(every_size, EVERY_SIZE, "the class of every size is always available");
        if req.awsvpc {
            // Kept unless at the class limit (then the walk goes on without it, as for any task).
            index.class_for((req.cpu, req.memory, req.gpu, false), instances.port_sets(), |id| {
                instances[id.index()].index_key(id)
            });
        }
        let own = self.port_class_of(cluster, own_class, req).unwrap_or(own_class);
        let cpu_class = |e: &mut Engine| {
            let instances = &e.instances;
            let cpu_class = e
                .clusters
                .placement_mut(cluster)
                .class_for((req.cpu, 0, 0, false), instances.port_sets(), |id| instances[id.index()].index_key(id));
            (cpu_class != EVERY_SIZE || req.cpu <= 0).then_some(cpu_class)
        };
        self.closest_in_classes(cluster, req, ClosestClasses { every: EVERY_SIZE, own }, cpu_class, of)
    }

    /// [`Self::closest_placeable`]'s walk over `classes` (and the class of the task's CPU,
    /// which `cpu_class` finds or builds when the walk needs it: None when it cannot be kept), of
    /// the instances among them that `of` takes.
    fn closest_in_classes(
        &mut self,
        cluster: ClusterId,
        req: &Requirements,
        classes: ClosestClasses,
        cpu_class: impl FnOnce(&mut Engine) -> Option<SizeClass>,
        of: impl Fn(&Engine, InstanceId) -> bool,
    ) -> Option<InstanceId> {
        let index = &self.clusters[cluster.index()].placement;
        // The fewest misses an instance not yet visited can have.
        let mut floor = 0;
        if let Some(class) = index.classes.get(&classes.own) {
            let mut members = class.all.by_memory.iter().rev().map(|(_, id)| *id);
            if let Some(id) = members.find(|id| of(self, *id) && unmet_count(self, *id, req) == 0) {
                return Some(id);
            }
            floor = 1;
        }
        let settled = |best: Option<(usize, InstanceId)>, floor: usize| best.is_some_and(|(fewest, _)| fewest <= floor);
        let by_memory = &index.classes[&classes.every].all.by_memory;
        let (with_memory, _) = split_at_memory(by_memory, req.memory);
        let mut best: Option<(usize, InstanceId)> = None;
        for &(_, id) in with_memory.rev() {
            if settled(best, floor) {
                return best.map(|(_, id)| id);
            }
            if !of(self, id) {
                continue;
            }
            let misses = unmet_count(self, id, req);
            if best.is_none_or(|(fewest, _)| misses < fewest) {
                best = Some((misses, id));
            }
        }
        // Every instance not yet visited misses memory.
        if settled(best, 1) {
            return best.map(|(_, id)| id);
        }
        let cpu_class = cpu_class(self);
        let index = &self.clusters[cluster.index()].placement;
        if let Some(cpu_class) = cpu_class {
            // The members of the CPU class lack only memory, and maybe GPUs or a port.
            let (_, below) = split_at_memory(&index.classes[&cpu_class].all.by_memory, req.memory);
            if let Some(&(_, id)) = below.rev().find(|(_, id)| of(self, *id) && unmet_count(self, *id, req) == 1) {
                return Some(id);
            }
            // Nothing misses only one: the rest miss at least two.
            if settled(best, 2) {
                return best.map(|(_, id)| id);
            }
            floor = 2;
        } else {
            floor = 1;
        }
        let (_, without_memory) = split_at_memory(&index.classes[&classes.every].all.by_memory, req.memory);
        for &(_, id) in without_memory.rev() {
            if settled(best, floor) {
                break;
            }
            if !of(self, id) {
                continue;
            }
            let misses = unmet_count(self, id, req);
            if best.is_none_or(|(fewest, _)| misses < fewest) {
                best = Some((misses, id));
            }
        }
        best.map(|(_, id)| id)
    }

    /// The closest placeable instance of capacity provider `provider` ([`closeness`]'s order, as
    /// [`Self::closest_placeable`] finds it), walking constraint classes of the provider's
    /// instances (its `memberOf` test, as placement within the provider keeps them): every size,
    /// the task's size (with its host ports when kept), the task's CPU. A stalled service of a
    /// provider that holds a part of the cluster then does not pass over every other provider's
    /// instance on each failing pass (a strategy that overfilled one provider of three cost a
    /// walk of the cluster per failure: 19 s at 16,000 instances). While the provider holds more
    /// than half of the placeable instances, or where the index keeps no more constraint classes,
    /// the cluster's classes are walked, passing over the other providers' instances, with the
    /// same result.
    fn closest_of_provider(&mut self, cluster: ClusterId, req: &Requirements, provider: Sym) -> Option<InstanceId> {
        let name = self.strings.resolve(provider).to_string();
        let within = Constraints::default().within_capacity_provider(provider, &name);
        let of_provider = |e: &Engine, id: InstanceId| e.instance_profile(id).capacity_provider == Some(provider);
        // While the provider holds most of the placeable instances (or placement never passed over
        // enough of another's to keep its list), the cluster's classes are walked: few instances
        // are passed over, and the provider's classes would cost their upkeep at every change of
        // room (a cluster of one provider would keep every class twice).
        let index = &self.clusters[cluster.index()].placement;
        let few = index.satisfying_list(&within.member_of).is_some_and(|s| s.len() <= index.len() / 2);
        if !few || !self.build_constraint_class(cluster, EVERY_SIZE, NO_PORTS, &within) {
            return self.closest_placeable(cluster, req, of_provider);
        }
        let own_class = SizeClass::of_size(req.cpu.max(0), req.memory.max(0)).with_gpu(req.gpu);
        if req.awsvpc {
            // As in `closest_placeable`: the provider's class of the size without a task ENI
            // (placement's narrowed class of an awsvpc task is of the size with one).
            self.build_constraint_class(cluster, own_class, NO_PORTS, &within);
        }
        let ports = self.interned_host_ports(req);
        let index = &self.clusters[cluster.index()].placement;
        let list = &within.member_of;
        let every = index.constraint_class(EVERY_SIZE, NO_PORTS, list).expect("built");
        let own = ports
            .and_then(|p| index.constraint_class(own_class, p, list))
            .or_else(|| index.constraint_class(own_class, NO_PORTS, list))
            // Not kept: no class by that key, and the walk goes on without it.
            .unwrap_or(SizeClass { member_of: every.member_of, ..own_class });
        let cpu_class = |e: &mut Engine| {
            if req.cpu <= 0 {
                return Some(every);
            }
            let cpu = SizeClass::of_size(req.cpu, 0);
            e.build_constraint_class(cluster, cpu, NO_PORTS, &within)
                .then(|| e.clusters[cluster.index()].placement.constraint_class(cpu, NO_PORTS, &within.member_of))
                .flatten()
        };
        let closest = self.closest_in_classes(cluster, req, ClosestClasses { every, own }, cpu_class, |_, _| true);
        debug_assert_eq!(closest, self.closest_placeable(cluster, req, of_provider), "the provider's classes hold its instances");
        closest
    }
}

/// The classes [`Engine::closest_placeable`] walks: `every` holds every instance it may choose,
/// `own` (when kept) those with room for the task.
#[derive(Debug, Clone, Copy)]
struct ClosestClasses {
    every: SizeClass,
    own: SizeClass,
}

/// The members of an ordered set of (free memory, instance) with at least `memory`, and those with
/// less, both in ascending order. Index amounts are exact (registration caps resources at
/// `i32::MAX`), so the split is too.
fn split_at_memory(by_memory: &BTreeSet<(i32, InstanceId)>, memory: i64) -> (MemoryRange<'_>, MemoryRange<'_>) {
    use std::ops::Bound::{Excluded, Included, Unbounded};
    match i32::try_from(memory.max(i64::from(i32::MIN))) {
        Ok(m) => (by_memory.range((m, InstanceId(0))..), by_memory.range(..(m, InstanceId(0)))),
        // More than any instance can have: every member lacks it.
        Err(_) => {
            let last = (i32::MAX, InstanceId(u32::MAX));
            (by_memory.range((Excluded(last), Unbounded)), by_memory.range((Unbounded, Included(last))))
        }
    }
}

/// Part of a size class's members in (free memory, instance) order.
type MemoryRange<'a> = std::collections::btree_set::Range<'a, (i32, InstanceId)>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::*;
    use proptest::prelude::*;

    /// A cluster of instances registered with these (CPU, memory, reserved TCP port) totals, in
    /// two zones and on three racks (attribute `rack`).
    fn cluster_of(totals: &[(i64, i64, Option<u16>)]) -> Engine {
        let with_gpus: Vec<_> = totals.iter().map(|(c, m, p)| (*c, *m, *p, 0)).collect();
        cluster_with_gpus_of(&with_gpus)
    }

    /// [`cluster_of`] with the number of GPUs each instance registers.
    fn cluster_with_gpus_of(totals: &[(i64, i64, Option<u16>, u32)]) -> Engine {
        let mut e = Engine::new(crate::EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        for (n, (cpu, memory, port, gpus)) in totals.iter().enumerate() {
            let mut total_resources = vec![Resource::integer("CPU", *cpu), Resource::integer("MEMORY", *memory)];
            if let Some(p) = port {
                total_resources.push(Resource::string_set("PORTS", vec![p.to_string()]));
            }
            let mut registration = rack_registration(format!("i{n}"), n, total_resources, None);
            if let Request::RegisterContainerInstance(r) = &mut registration {
                r.platform_devices = (0..*gpus)
                    .map(|g| crate::api::PlatformDevice { id: format!("GPU-{n}-{g}"), device_type: "GPU".into() })
                    .collect();
            }
            e.handle(registration).expect("registers");
        }
        e
    }

    /// Registers instance `i{n}` in cluster `prod` with these (CPU, memory, reserved TCP port)
    /// totals, in zone `us-east-1a` or `-1b` and on rack `r0`–`r2` by `n`.
    fn register_instance(e: &mut Engine, n: usize, (cpu, memory, port): (i64, i64, Option<u16>)) {
        let mut total_resources = vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)];
        if let Some(p) = port {
            total_resources.push(Resource::string_set("PORTS", vec![p.to_string()]));
        }
        e.handle(rack_registration(format!("i{n}"), n, total_resources, None)).expect("registers");
    }

    /// The registration of instance `name` in cluster `prod` (an m5.large) with these resources,
    /// in zone `us-east-1a` or `-1b` and on rack `r0`–`r2` by `n`, and the task ENI limit if given.
    fn rack_registration(name: String, n: usize, total_resources: Vec<Resource>, task_eni_limit: Option<u16>) -> Request {
        Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources,
            attributes: vec![Attribute {
                name: "rack".into(),
                value: Some(format!("r{}", n % 3)),
                target_type: None,
                target_id: None,
            }],
            instance_identity: InstanceIdentity {
                name,
                instance_type: "m5.large".into(),
                availability_zone: ["us-east-1a", "us-east-1b"][n % 2].into(),
                task_eni_limit,
                ..Default::default()
            },
            ..Default::default()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// The closest instance found from the index is the one scoring every placeable instance
        /// finds: the fewest of CPU, GPUs, memory and ports missed, then the most free memory, then the
        /// later-registered instance. Sizes come from a few values so that ties are common; the
        /// task's size class is built first in some cases (a placement of that size ran) and not
        /// in others (with the port class of its size and port, in some), and in some the index is
        /// at its class limit, so the class of the task's CPU cannot be built. Some searches take
        /// only some instances (as a capacity provider's takes its own), and may find none.
        #[test]
        fn the_closest_instance_is_the_best_scored(
            totals in prop::collection::vec((0i64..4, 0i64..4, prop::option::of(0u16..2), prop::sample::select(vec![0u32, 0, 1, 2])), 1..40),
            (cpu, memory, gpu) in (0i64..5, 0i64..5, prop::sample::select(vec![0u32, 0, 1, 2])),
            port in prop::option::of(0u16..2),
            class_built in any::<bool>(),
            port_class_built in any::<bool>(),
            classes_full in any::<bool>(),
            only_some in prop::option::of(1u32..4),
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m, p, g)| (c * 256, m * 512, p.map(|p| 8000 + p), *g)).collect();
            let mut e = cluster_with_gpus_of(&totals);
            let cluster = e.clusters.by_name("prod").expect("created");
            let req = Requirements {
                cpu: cpu * 256,
                memory: memory * 512,
                ports_tcp: port.map(|p| 8000 + p).into_iter().collect(),
                ports_udp: Vec::new(),
                awsvpc: false,
                gpu,
            };
            let ports = (e.instances.intern_port_set(&req.ports_tcp), e.instances.intern_port_set(&req.ports_udp));
            let instances = &e.instances;
            let index = e.clusters.placement_mut(cluster);
            if class_built {
                let class = index.class_for((req.cpu, req.memory, req.gpu, req.awsvpc), instances.port_sets(), |id| instances[id.index()].index_key(id));
                if port_class_built && port.is_some() {
                    index.build_port_class(class, ports, instances.port_sets(), |id| instances[id.index()].index_key(id));
                }
            }
            if classes_full {
                // Sizes no task here asks for, until the index refuses more classes.
                for n in 0.. {
                    if index.class_for((10_000 + n, 10_000, 0, false), instances.port_sets(), |id| instances[id.index()].index_key(id)) == EVERY_SIZE {
                        break;
                    }
                }
            }
            // Some searches take only some instances, as a capacity provider's does: every
            // `modulus`-th.
            let of = |_: &Engine, id: InstanceId| only_some.is_none_or(|modulus| id.0 % modulus == 0);
            let scored = e.clusters[cluster.index()]
                .placement
                .placeable
                .iter()
                .copied()
                .filter(|id| of(&e, *id))
                .max_by_key(|id| closeness(&e, *id, &req));
            prop_assert_eq!(e.closest_placeable(cluster, &req, of), scored);
            prop_assert!(crate::engine::invariants::check_invariants(&e).is_ok());
        }
    }

    /// Registers task definition `t{port}_{cpu}_{memory}` (bridge mode, host port `8000 + port`)
    /// for every combination of these.
    fn register_port_tasks(e: &mut Engine) {
        for port in 0..3u16 {
            for cpu in 1..3u32 {
                for memory in 1..3u32 {
                    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
                        family: format!("t{port}_{cpu}_{memory}"),
                        network_mode: Some("bridge".into()),
                        container_definitions: vec![ContainerDefinition {
                            name: "app".into(),
                            cpu: Some(cpu * 256),
                            memory: Some(memory * 512),
                            port_mappings: vec![PortMapping {
                                container_port: Some(80),
                                host_port: Some(8000 + port),
                                protocol: None,
                            }],
                            ..Default::default()
                        }],
                        ..Default::default()
                    }))
                    .expect("registers");
                }
            }
        }
    }

    /// The placement strategies the port-class property test draws from.
    fn strategy_of(n: usize) -> Vec<PlacementStrategy> {
        let rule = |t: &str, f: Option<&str>| PlacementStrategy { strategy_type: t.into(), field: f.map(Into::into) };
        match n {
            0 => vec![rule("binpack", Some("memory"))],
            1 => vec![rule("binpack", Some("cpu"))],
            2 => vec![rule("random", None)],
            3 => vec![rule("spread", Some("instanceId"))],
            4 => vec![rule("spread", Some("attribute:ecs.availability-zone")), rule("binpack", Some("memory"))],
            5 => vec![rule("spread", Some("attribute:ecs.availability-zone"))],
            6 => vec![rule("spread", Some("attribute:rack"))],
            7 => vec![rule("spread", Some("attribute:rack")), rule("binpack", Some("memory"))],
            8 => vec![rule("spread", Some("attribute:rack")), rule("binpack", Some("cpu"))],
            _ => vec![rule("spread", Some("attribute:rack")), rule("random", None)],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A port class changes no choice: with the port class of every task's size and host port
        /// built before its RunTask (engine `with`), tasks placed by each strategy land where they
        /// land without one (engine `without`, where a cluster this small builds one only when a
        /// spread by an attribute passes over the same instances in several values), failures name
        /// the same closest instance, and draining instances (which leave every class) changes
        /// nothing either. The class only leaves out members the task does not fit.
        #[test]
        fn a_port_class_changes_no_placement(
            totals in prop::collection::vec((1i64..4, 1i64..4, prop::option::of(0u16..3)), 1..24),
            steps in prop::collection::vec((0usize..10, 0u16..3, 1i64..3, 1i64..3, 1i64..4, prop::option::of(0usize..24)), 1..12),
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m, p)| (c * 256, m * 512, p.map(|p| 8000 + p))).collect();
            let (mut with, mut without) = (cluster_of(&totals), cluster_of(&totals));
            register_port_tasks(&mut with);
            register_port_tasks(&mut without);
            let cluster = with.clusters.by_name("prod").expect("created");
            for (strategy, port, cpu, memory, count, drain) in steps {
                let family = format!("t{port}_{cpu}_{memory}");
                let td = with.resolve_task_def(&family).expect("registered");
                let req = with.requirements_of(td);
                let ports = (with.instances.intern_port_set(&req.ports_tcp), with.instances.intern_port_set(&req.ports_udp));
                let instances = &with.instances;
                let index = with.clusters.placement_mut(cluster);
                let class = index.class_for((req.cpu, req.memory, req.gpu, req.awsvpc), instances.port_sets(), |id| instances[id.index()].index_key(id));
                prop_assert!(index.build_port_class(class, ports, instances.port_sets(), |id| instances[id.index()].index_key(id)));
                prop_assert!(with.port_class_of(cluster, class, &req).is_some());
                let run = Request::RunTask(RunTaskRequest {
                    cluster: Some("prod".into()),
                    task_definition: family,
                    count: Some(count),
                    placement_strategy: strategy_of(strategy),
                    ..Default::default()
                });
                prop_assert_eq!(with.handle(run.clone()), without.handle(run));
                if let Some(k) = drain.filter(|k| *k < totals.len()) {
                    let drain = Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                        cluster: Some("prod".into()),
                        container_instances: vec![with.instance_arn(InstanceId(k as u32))],
                        status: "DRAINING".into(),
                    });
                    prop_assert_eq!(with.handle(drain.clone()), without.handle(drain));
                }
                prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
            }
        }
    }

    /// Registers instance `e{n}` in cluster `prod` of (CPU, memory) `totals` with an explicit task
    /// ENI limit, in zone `us-east-1a` or `-1b` and on rack `r0`–`r2` by `n`.
    fn register_eni_instance(e: &mut Engine, n: usize, (cpu, memory): (i64, i64), task_eni_limit: u16) {
        let total_resources = vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)];
        e.handle(rack_registration(format!("e{n}"), n, total_resources, Some(task_eni_limit))).expect("registers");
    }

    /// A cluster `prod` of instances of these (CPU, memory, task ENI limit), with the awsvpc task
    /// definitions `v{cpu}_{memory}` (1–2 × 256 CPU, 1–2 × 512 MiB); `without`: its index keeps no
    /// class of a task ENI.
    fn eni_cluster(totals: &[(i64, i64, u16)], without: bool) -> Engine {
        let mut e = Engine::new(crate::EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        let cluster = e.clusters.by_name("prod").expect("created");
        e.clusters.placement_mut(cluster).without_task_eni_classes = without;
        for (n, (cpu, memory, limit)) in totals.iter().enumerate() {
            register_eni_instance(&mut e, n, (*cpu, *memory), *limit);
        }
        for cpu in 1..3u32 {
            for memory in 1..3u32 {
                e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
                    family: format!("v{cpu}_{memory}"),
                    network_mode: Some("awsvpc".into()),
                    container_definitions: vec![ContainerDefinition {
                        name: "app".into(),
                        cpu: Some(cpu * 256),
                        memory: Some(memory * 512),
                        ..Default::default()
                    }],
                    ..Default::default()
                }))
                .expect("registers");
            }
        }
        e
    }

    #[test]
    fn an_awsvpc_task_walks_only_the_instances_with_a_task_eni_free() {
        // 40 instances with room for 8 tasks each and 2 task ENIs: 30 tasks fill 15 of them.
        let mut e = eni_cluster(&[(4096, 8192, 2); 40], false);
        let cluster = e.clusters.by_name("prod").expect("created");
        create_service(&mut e, "api", "v1_1", 30, vec![rule("binpack", "memory")]);
        e.run_until_quiet(600_000, 100_000);
        let class = SizeClass::of_task(256, 512, true);
        let members = |e: &Engine| e.clusters[cluster.index()].placement.classes[&class].all.by_memory.len();
        assert_eq!(members(&e), 25, "the 15 instances whose two task ENIs are taken are no members");
        assert!(!e.clusters[cluster.index()].placement.classes.contains_key(&SizeClass::of_size(256, 512)));
        // Scaled in to 10: 20 tasks give their ENIs back as they reach STOPPED, not before.
        e.handle(scale("api", 10)).expect("scales");
        e.advance_to(e.now_ms() + 1, 10_000);
        assert_eq!(members(&e), 25, "a task told to stop holds its task ENI");
        e.run_until_quiet(1_200_000, 100_000);
        let full = (0..40usize).filter(|k| !e.instances[*k].has_free_task_eni()).count();
        assert!(full < 15, "scale-in freed task ENIs on {} instances", 15 - full);
        assert_eq!(members(&e), 40 - full, "every instance with a task ENI free is a member again");
        crate::engine::invariants::check_invariants(&e).expect("the class is exact");
    }

    /// An awsvpc task that fits nowhere is placed in the class of its size with a task ENI free,
    /// which holds none of the instances that have its CPU and memory but no task ENI. Its
    /// failure names the closest instance from the class of its size without one, which it keeps
    /// (without it, every failure of a cluster stalled on CPU walked every instance: h62).
    #[test]
    fn an_awsvpc_failure_keeps_the_class_of_its_size_without_a_task_eni() {
        // Two instances lack CPU, one lacks memory; `e2` has the room and no task ENI.
        let mut e = eni_cluster(&[(256, 2048, 2), (256, 2048, 2), (512, 2048, 0), (1024, 512, 2)], false);
        let cluster = e.clusters.by_name("prod").expect("created");
        let failed = e.handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "v2_2".into(),
            count: Some(1),
            // RunTask's default strategy is `random`, which keeps the plain size class.
            placement_strategy: vec![rule("binpack", "memory")],
            ..Default::default()
        }));
        let Ok(Response::Tasks { tasks, failures }) = failed else { panic!("RunTask answers: {failed:?}") };
        assert!(tasks.is_empty());
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].reason, "RESOURCE:ENI", "the closest instance, e2, misses only a task ENI");
        let index = &e.clusters[cluster.index()].placement;
        assert!(index.classes[&SizeClass::of_task(512, 1024, true)].all.by_memory.is_empty(), "no instance has it all");
        let without = &index.classes[&SizeClass::of_size(512, 1024)];
        let members: Vec<InstanceId> = without.all.by_memory.iter().map(|(_, id)| *id).collect();
        assert_eq!(members, [InstanceId(2)], "the class of its size without a task ENI holds e2");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// A class of a task ENI changes no choice: awsvpc tasks placed by each strategy (RunTask
        /// and a service scaled up and down), on instances of task ENI limits 0 to 3, some drained
        /// and some stopped, make the same responses and trace as with an index that keeps no
        /// such class and whose walks pass over the instances without a free task ENI one by one
        /// (engine `without`). The class only leaves out members the task does not fit.
        #[test]
        fn a_task_eni_class_changes_no_placement(
            totals in prop::collection::vec((1i64..4, 1i64..4, 0u16..4), 1..24),
            service in (0usize..10, 1u32..3, 1u32..3),
            steps in prop::collection::vec((0usize..10, 1u32..3, 1u32..3, 1i64..4, 0i64..12, prop::option::of(0usize..24)), 1..10),
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m, l)| (c * 256, m * 512, *l)).collect();
            let (mut with, mut without) = (eni_cluster(&totals, false), eni_cluster(&totals, true));
            let create = Request::CreateService(CreateServiceRequest {
                cluster: Some("prod".into()),
                service_name: "api".into(),
                task_definition: format!("v{}_{}", service.1, service.2),
                desired_count: Some(1),
                placement_strategy: strategy_of(service.0),
                ..Default::default()
            });
            prop_assert_eq!(with.handle(create.clone()), without.handle(create));
            for (strategy, cpu, memory, count, desired, drain) in steps {
                let mut requests = vec![
                    Request::RunTask(RunTaskRequest {
                        cluster: Some("prod".into()),
                        task_definition: format!("v{cpu}_{memory}"),
                        count: Some(count),
                        placement_strategy: strategy_of(strategy),
                        ..Default::default()
                    }),
                    scale("api", desired),
                ];
                if let Some(k) = drain.filter(|k| *k < totals.len()) {
                    requests.push(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                        cluster: Some("prod".into()),
                        container_instances: vec![with.instance_arn(InstanceId(k as u32))],
                        status: "DRAINING".into(),
                    }));
                }
                for request in requests {
                    prop_assert_eq!(with.handle(request.clone()), without.handle(request));
                }
                let until = with.now_ms() + 120_000;
                for e in [&mut with, &mut without] {
                    e.advance_to(until, 100_000);
                }
                prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
            }
            prop_assert!(with.trace().digest().is_some());
            prop_assert_eq!(with.trace().digest(), without.trace().digest());
        }
    }

    /// The `memberOf` expressions the constraint-class tests place by.
    const MEMBER_OF: [&str; 11] = [
        "attribute:rack == r0",
        "attribute:rack in [r0, r1]",
        "attribute:rack != r2 and attribute:ecs.availability-zone == us-east-1a",
        "not(attribute:rack == r1)",
        "not(task:group == family:c)",
        "task:group == family:c or attribute:rack == r2",
        "runningTasksCount < 2",
        "agentConnected == true and runningTasksCount == 0",
        "task:group == family:c",
        "runningTasksCount < 3 and task:group in [family:c, family:t0_1_1]",
        // Keyed by the union of the `or`'s values: r1 and r2.
        "attribute:rack == r1 or (attribute:rack == r2 and runningTasksCount < 2)",
    ];

    /// A RunTask of `count` tasks of `family` in `prod`, placed by strategy shape `strategy` with
    /// the `memberOf` expression `expression`.
    fn run_member_of(family: &str, count: i64, strategy: usize, expression: &str) -> Request {
        Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: family.into(),
            count: Some(count),
            placement_strategy: strategy_of(strategy),
            placement_constraints: vec![PlacementConstraint {
                constraint_type: "memberOf".into(),
                expression: Some(expression.into()),
            }],
            ..Default::default()
        })
    }

    /// Builds the constraint class of a task definition's size, host ports (if it has any) and a
    /// `memberOf` expression, as a placement that passed over many instances the expression does
    /// not select would.
    fn build_constraint_class_of(e: &mut Engine, family: &str, expression: &str) {
        let cluster = e.clusters.by_name("prod").expect("created");
        let req = e.requirements_of(e.resolve_task_def(family).expect("registered"));
        let constraints = crate::placement::parse_constraints(
            &[],
            &[PlacementConstraint { constraint_type: "memberOf".into(), expression: Some(expression.into()) }],
        )
        .expect("valid");
        assert!(constraints.indexable());
        let instances = &e.instances;
        let class = e.clusters.placement_mut(cluster).class_for(
            (req.cpu, req.memory, req.gpu, req.awsvpc),
            instances.port_sets(),
            |id| instances[id.index()].index_key(id),
        );
        let ports = if req.has_host_ports() { e.intern_host_ports(&req) } else { NO_PORTS };
        assert!(e.build_constraint_class(cluster, class, ports, &constraints), "few enough classes");
        let narrowed = e.narrowed_class(cluster, class, &req, &constraints).expect("kept");
        assert!(narrowed.has_member_of() && narrowed.has_ports() == req.has_host_ports(), "the narrowest class is read");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// A constraint class changes no choice: with the class of every task's size, host port
        /// (for `t0_1_1`, whose class is a port class too) and `memberOf` expression built before
        /// its RunTask (engine `with`), tasks placed by each strategy
        /// shape land where they land without one (engine `without`, whose cluster is too small to
        /// build one), and failures name the same closest instance. Between placements instances
        /// drain and come back, their agents disconnect and reconnect, they move between racks (a
        /// change of the attribute the expressions read), and tasks stop after the engines run
        /// until quiet (a change of the task groups on their instance and of its running tasks,
        /// which seven of the expressions read), in both engines alike.
        #[test]
        fn a_constraint_class_changes_no_placement(
            totals in prop::collection::vec((1i64..5, 1i64..5), 2..30),
            steps in prop::collection::vec((0usize..8, 0usize..10, 0usize..MEMBER_OF.len(), 1i64..4, 0usize..30), 1..16),
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m)| (c * 256, m * 512, None)).collect();
            let (mut with, mut without) = (cluster_of(&totals), cluster_of(&totals));
            for e in [&mut with, &mut without] {
                register_sized(e, "c", 256, 512);
                // `t0_1_1`: the same size with host port 8000, whose class is a port class too.
                register_port_tasks(e);
            }
            for (op, strategy, expression, count, k) in steps {
                let instance = InstanceId((k % totals.len()) as u32);
                match op {
                    0 => {
                        let drain = set_status(&with, k % totals.len(), "DRAINING");
                        prop_assert_eq!(with.handle(drain.clone()), without.handle(drain));
                    }
                    1 => {
                        let activate = set_status(&with, k % totals.len(), "ACTIVE");
                        prop_assert_eq!(with.handle(activate.clone()), without.handle(activate));
                    }
                    2 => {
                        let connected = !with.instances[instance.index()].agent_connected;
                        with.set_agent_connected(instance, connected);
                        without.set_agent_connected(instance, connected);
                    }
                    3 => {
                        for e in [&mut with, &mut without] {
                            let (rack, value) = (e.strings.intern("rack"), e.strings.intern(&format!("r{}", strategy % 3)));
                            e.update_instance_profile(instance, |p| {
                                for (name, v) in p.attributes.iter_mut() {
                                    if *name == rack {
                                        *v = Some(value);
                                    }
                                }
                            });
                        }
                    }
                    4 => {
                        // A task stops (if there is one) and the engines run until quiet.
                        let stop = (with.tasks.len() > 0).then(|| with.task_arn(crate::infra::ids::TaskId((k % with.tasks.len()) as u32)));
                        for e in [&mut with, &mut without] {
                            if let Some(task) = &stop {
                                let stopped = e.handle(Request::StopTask(StopTaskRequest {
                                    cluster: Some("prod".into()),
                                    task: task.clone(),
                                    reason: None,
                                }));
                                prop_assert!(stopped.is_ok());
                            }
                            let now = e.now_ms();
                            e.run_until_quiet(now + 600_000, 100_000);
                        }
                    }
                    _ => {
                        let family = if op == 7 { "t0_1_1" } else { "c" };
                        build_constraint_class_of(&mut with, family, MEMBER_OF[expression]);
                        let run = run_member_of(family, count, strategy, MEMBER_OF[expression]);
                        prop_assert_eq!(with.handle(run.clone()), without.handle(run));
                    }
                }
                prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
                prop_assert_eq!(with.trace().digest(), without.trace().digest());
            }
        }
    }

    /// A placement that passes over more than 64 instances its `memberOf` expression does not
    /// select builds the constraint class, and the next placements walk only its members: a
    /// spread service on the 100 instances of rack r0, beside 200 with more room on the other racks.
    #[test]
    fn a_placement_past_many_unselected_instances_builds_a_constraint_class() {
        let mut totals = vec![(4096, 16384, None); 300];
        for (n, t) in totals.iter_mut().enumerate() {
            if n % 3 == 0 {
                *t = (4096, 8192, None);
            }
        }
        let mut e = cluster_of(&totals);
        register_sized(&mut e, "web", 128, 256);
        let cluster = e.clusters.by_name("prod").expect("created");
        assert!(e.clusters[cluster.index()].placement.member_of_lists.is_empty());
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "web".into(),
            desired_count: Some(150),
            placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
            placement_constraints: vec![PlacementConstraint {
                constraint_type: "memberOf".into(),
                expression: Some("attribute:rack == r0".into()),
            }],
            ..Default::default()
        }))
        .expect("creates");
        e.run_until_quiet(600_000, 1_000_000);
        assert_web_spread_over_one_class_of_every_third_instance(&e, "r0");
    }

    /// Node pools of the `memberOf` tests.
    const POOLS: usize = 40;

    /// 100 instances of no pool with less free memory than any pool instance, which each binpack
    /// walk passes over first (more than 64: a constraint class is built), then five instances
    /// of `pool_totals` in each of [`POOLS`] pools (`attribute:pool` p0 to p39, in turn); the
    /// invariants are checked where a test asserts, not after every event (the check of dozens
    /// of lists' answers would take most of a minute in a debug build). Returns the totals too.
    fn pool_cluster(pool_totals: (i64, i64, Option<u16>)) -> (Engine, Vec<(i64, i64, Option<u16>)>) {
        let mut totals = vec![(4096, 2048, None); 100];
        totals.extend(vec![pool_totals; POOLS * 5]);
        let mut e = cluster_of(&totals);
        e.config.check_invariants_every_event = false;
        let pool = e.strings.intern("pool");
        for n in 100..totals.len() {
            let value = e.strings.intern(&format!("p{}", (n - 100) % POOLS));
            e.update_instance_profile(InstanceId(n as u32), |p| p.attributes.push((pool, Some(value))));
        }
        (e, totals)
    }

    /// Lists that pin tasks to either of two pools with `or` (`attribute:pool == pN or
    /// attribute:pool == pN+1`) are keyed by both values as `in [pN, pN+1]` would be, so they too
    /// get a class each past the 16 classes of lists that are not keyed, holding the ten
    /// instances of their two pools.
    #[test]
    fn member_of_lists_joined_by_or_are_keyed_by_the_union_of_their_values() {
        let (mut e, totals) = pool_cluster((16384, 16384, None));
        register_sized(&mut e, "web", 128, 256);
        for p in 0..POOLS {
            let expression = format!("attribute:pool == p{p} or attribute:pool == p{}", (p + 1) % POOLS);
            e.handle(run_member_of("web", 2, 0, &expression)).expect("runs");
        }
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let index = &e.clusters[cluster.index()].placement;
        assert_eq!(index.member_of_lists.len(), POOLS, "a list per pair, past MAX_CONSTRAINT_CLASSES");
        assert!(index.unkeyed_lists().is_empty(), "every list is keyed by its two pools");
        let classes: Vec<_> = index.classes.keys().filter(|k| k.has_member_of()).collect();
        assert_eq!(classes.len(), POOLS, "a class per list");
        assert!(classes.iter().all(|k| index.classes[k].all.by_memory.len() == 10), "its two pools' ten instances");
        let group = Owner::Group(e.strings.get("family:web").expect("the group"));
        let placed: usize = (100..totals.len()).map(|n| owner_tasks_on(&e, InstanceId(n as u32), group)).sum();
        assert_eq!(placed, 2 * POOLS, "every task placed in a pool");
        crate::engine::invariants::check_invariants(&e).expect("the classes are exact");
    }

    /// Services pinned to one of many node pools (`attribute:pool == pN`, one value per five
    /// instances) get a constraint class each, past the 16 classes of lists that are not keyed:
    /// each list is keyed by its pool, so an instance's answers and the new list's members are
    /// read from its pool alone. Lists keyed by a value every instance has fill their budget of
    /// members after 16 classes. A pool instance moved to another pool leaves its old pool's
    /// class and joins the new one's.
    #[test]
    fn keyed_member_of_lists_get_classes_past_the_unkeyed_limit() {
        // The pool instances have the CPU and memory for every task of the test on one.
        let (mut e, totals) = pool_cluster((16384, 16384, None));
        let (pool, everyone, yes) = (e.strings.intern("pool"), e.strings.intern("everyone"), e.strings.intern("yes"));
        let pool_of = |n: usize| (n - 100) % POOLS;
        for n in 100..totals.len() {
            e.update_instance_profile(InstanceId(n as u32), |p| p.attributes.push((everyone, Some(yes))));
        }
        register_sized(&mut e, "web", 128, 256);
        for p in 0..POOLS {
            e.handle(run_member_of("web", 2, 0, &format!("attribute:pool == p{p}"))).expect("runs");
        }
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let index = &e.clusters[cluster.index()].placement;
        assert_eq!(index.member_of_lists.len(), POOLS, "a list per pool, past MAX_CONSTRAINT_CLASSES");
        assert!(index.unkeyed_lists().is_empty());
        let classes: Vec<_> = index.classes.keys().filter(|k| k.has_member_of()).collect();
        assert_eq!(classes.len(), POOLS, "a class per pool");
        assert!(classes.iter().all(|k| index.classes[k].all.by_memory.len() == 5), "each of its pool's five instances");
        let group = Owner::Group(e.strings.get("family:web").expect("the group"));
        let mut per_pool = vec![0; POOLS];
        for n in 100..totals.len() {
            per_pool[pool_of(n)] += owner_tasks_on(&e, InstanceId(n as u32), group);
        }
        assert_eq!(per_pool, vec![2; POOLS], "each RunTask's two tasks in its pool");
        crate::engine::invariants::check_invariants(&e).expect("the classes are exact");

        // Instance 100 moves from pool p0 to p1: out of p0's class, into p1's.
        let p1 = e.strings.intern("p1");
        e.update_instance_profile(InstanceId(100), |p| {
            p.attributes.retain(|(name, _)| *name != pool);
            p.attributes.push((pool, Some(p1)));
        });
        let index = &e.clusters[cluster.index()].placement;
        let members =
            |list: MemberOfId| index.classes.range(list_classes(list)).map(|(_, c)| c.all.by_memory.len()).sum::<usize>();
        let (p0_list, p1_list) = (index.lists_of(InstanceId(140))[0], index.lists_of(InstanceId(101))[0]);
        assert_eq!(index.lists_of(InstanceId(100)), [p1_list]);
        assert_eq!((members(p0_list), members(p1_list)), (4, 6), "instance 100 moved");
        crate::engine::invariants::check_invariants(&e).expect("the classes follow the move");

        // Lists keyed by a value every pool instance has: their classes of 200 members are built
        // until the budget of members is spent, and the later lists walk their size class.
        for n in 0..30 {
            e.handle(run_member_of("web", 1, 0, &format!("attribute:everyone == yes and runningTasksCount < {}", 100 + n)))
                .expect("runs");
        }
        e.run_until_quiet(600_000, 1_000_000);
        let index = &e.clusters[cluster.index()].placement;
        let wide = index.classes.iter().filter(|(k, c)| k.has_member_of() && c.all.by_memory.len() == POOLS * 5).count();
        let budget = KEYED_MEMBERS_PER_PLACEABLE * totals.len();
        assert_eq!(wide, (budget - POOLS * 5).div_ceil(POOLS * 5), "classes of every pool instance until the budget is spent");
        assert_eq!(index.member_of_lists.len(), POOLS + wide, "the lists of classes not built are not kept");
        crate::engine::invariants::check_invariants(&e).expect("the classes are exact");
    }

    /// Sidecar services pinned to where their main service runs (`task:group == service:bN`, 24
    /// pairs) get a constraint class each, past the 16 classes of lists that are not keyed: each
    /// list is keyed by its task group, so an instance's answers are asked only of the lists of
    /// the groups it runs tasks of. A main service scaled in to nothing takes its instances out
    /// of its sidecar's class, and scaled out again brings them back.
    #[test]
    fn member_of_lists_keyed_by_task_group_get_classes_past_the_unkeyed_limit() {
        const PAIRS: usize = 24;
        let mut e = cluster_of(&vec![(4096, 16384, None); 300]);
        e.config.check_invariants_every_event = false;
        register_sized(&mut e, "app", 128, 256);
        let cluster = e.clusters.by_name("prod").expect("created");
        for k in 0..PAIRS {
            create_service(&mut e, &format!("b{k}"), "app", 5, vec![rule("spread", "instanceId")]);
            e.run_until_quiet(600_000, 1_000_000);
            let sidecar = PlacementConstraint {
                constraint_type: "memberOf".into(),
                expression: Some(format!("task:group == service:b{k}")),
            };
            create_constrained_service(&mut e, &format!("a{k}"), "app", 10, vec![], vec![sidecar]);
            e.run_until_quiet(600_000, 1_000_000);
        }
        let index = &e.clusters[cluster.index()].placement;
        assert_eq!(index.member_of_lists.len(), PAIRS, "a list per sidecar, past MAX_CONSTRAINT_CLASSES");
        assert!(index.unkeyed_lists().is_empty(), "every list is keyed by its group");
        assert_eq!(index.group_keyed_lists().len(), PAIRS);
        let main_instances = |e: &Engine, k: usize| -> BTreeSet<InstanceId> {
            let s = e.resolve_service(cluster, &format!("b{k}")).expect("created");
            e.services[s.index()].spread.per_instance.sorted().into_iter().map(|(i, _)| i).collect()
        };
        let members = |e: &Engine, list: MemberOfId| -> BTreeSet<InstanceId> {
            let index = &e.clusters[cluster.index()].placement;
            index.classes.range(list_classes(list)).flat_map(|(_, c)| c.all.by_memory.iter().map(|(_, id)| *id)).collect()
        };
        for k in 0..PAIRS {
            let list = MemberOfId(k as u32 + 1);
            assert_eq!(members(&e, list), main_instances(&e, k), "a{k}'s class holds b{k}'s instances");
            let a = e.resolve_service(cluster, &format!("a{k}")).expect("created");
            let on: BTreeSet<InstanceId> =
                e.services[a.index()].spread.per_instance.sorted().into_iter().map(|(i, _)| i).collect();
            assert!(on.is_subset(&main_instances(&e, k)), "a{k} runs where b{k} runs");
            // The new list's members were read from the instances kept for its group.
            let holders = e.clusters[cluster.index()].placement.task_group_holders().expect("kept since the first such list");
            let group = e.strings.get(&format!("service:b{k}")).expect("interned");
            assert!(holders[&group].keys().copied().eq(main_instances(&e, k)), "b{k}'s instances, each with one task");
        }
        crate::engine::invariants::check_invariants(&e).expect("the classes are exact");

        e.handle(scale("b0", 0)).expect("scales");
        e.run_until_quiet(1_200_000, 1_000_000);
        assert!(members(&e, MemberOfId(1)).is_empty(), "no instance runs a task of b0");
        crate::engine::invariants::check_invariants(&e).expect("the class follows the stops");
        e.handle(scale("b0", 3)).expect("scales");
        e.run_until_quiet(1_800_000, 1_000_000);
        assert_eq!(members(&e, MemberOfId(1)).len(), 3, "b0's three new instances");
        crate::engine::invariants::check_invariants(&e).expect("the class follows the placements");
    }

    /// Behind a `memberOf` failure of a kept list, the closest allowed instance is read from the
    /// list's instances, not from a walk past every instance it leaves out: the two agree. Pool
    /// p0's instances are filled but one, which keeps 1,024 MiB: a task of 1,536 MiB comes
    /// closest to it, by either search, and lacks memory there.
    #[test]
    fn the_closest_allowed_instance_of_a_kept_list_is_the_walks() {
        let (mut e, _) = pool_cluster((16384, 2048, None));
        register_sized(&mut e, "web", 128, 512);
        register_sized(&mut e, "big", 128, 1536);
        // 18 tasks of 512 MiB by binpack: four fill each of four of p0's instances, two leave
        // 1,024 MiB on the fifth, the one a task of 1,536 MiB comes closest to.
        for count in [10, 8] {
            e.handle(run_member_of("web", count, 0, "attribute:pool == p0")).expect("runs");
        }
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let constraints = crate::placement::parse_constraints(
            &[],
            &[PlacementConstraint { constraint_type: "memberOf".into(), expression: Some("attribute:pool == p0".into()) }],
        )
        .expect("valid");
        assert!(e.clusters[cluster.index()].placement.satisfying_list(&constraints.member_of).is_some(), "the list is kept");
        let req = e.requirements_of(e.resolve_task_def("big").expect("registered"));
        let owner = Owner::Group(e.strings.intern("family:big"));
        let read = e.closest_allowed(cluster, &req, owner, &constraints).expect("p0 has instances");
        let allowed = |e: &Engine, id: InstanceId| {
            !unmet_requirements(e, id, &req, owner, &constraints).contains(&PlacementFailureReason::MemberOf)
        };
        let walked = e.closest_placeable(cluster, &req, allowed).expect("p0's instances are placeable");
        assert_eq!(read, walked);
        assert_eq!(e.instances[read.index()].remaining.memory, 1024, "the instance with the most free memory");
        assert_eq!(unmet_requirements(&e, read, &req, owner, &constraints), vec![PlacementFailureReason::Memory]);
        crate::engine::invariants::check_invariants(&e).expect("the index is exact");
    }

    /// Service `web` of cluster `prod` (spread by instance, 150 tasks over 300 instances) ran in
    /// the one constraint class the index built, of every third instance (`which`: rack r0, or a
    /// capacity provider), one task on each of them before a second on any.
    fn assert_web_spread_over_one_class_of_every_third_instance(e: &Engine, which: &str) {
        let cluster = e.clusters.by_name("prod").expect("created");
        let index = &e.clusters[cluster.index()].placement;
        assert_eq!(index.member_of_lists.len(), 1, "the first placement passed over the 200 other instances");
        let class = *index.classes.keys().find(|k| k.has_member_of()).expect("built");
        assert_eq!(index.classes[&class].all.by_memory.len(), 100, "{which}'s instances");
        let web = e.resolve_service(cluster, "web").expect("created");
        let per_instance = &e.services[web.index()].spread.per_instance;
        assert!(per_instance.sorted().iter().all(|(i, _)| i.0 % 3 == 0), "every task on {which}");
        assert_eq!(per_instance.len(), 100, "one on each of {which}'s instances before a second on any");
        crate::engine::invariants::check_invariants(e).expect("the class is exact");
    }

    /// A task of a capacity provider strategy narrows the same way: its provider's test is one of
    /// its `memberOf` expressions, so after a placement passes over many instances of other
    /// providers the index keeps the class of the provider's instances, and the next placements
    /// walk only those (a drain of a strategy's service in a cluster of several providers walks
    /// its own provider, not the cluster).
    #[test]
    fn a_capacity_provider_strategy_builds_the_class_of_its_providers_instances() {
        let mut e = Engine::new(crate::EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        e.put_cluster_capacity_providers(&PutClusterCapacityProvidersRequest {
            cluster: "prod".into(),
            capacity_providers: vec!["od".into(), "spot".into()],
            default_capacity_provider_strategy: vec![],
        })
        .expect("valid providers");
        for n in 0..300usize {
            let od = n % 3 == 0;
            e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some("prod".into()),
                total_resources: vec![Resource::integer("CPU", 4096), Resource::integer("MEMORY", if od { 8192 } else { 16384 })],
                instance_identity: InstanceIdentity {
                    name: format!("i{n}"),
                    instance_type: "m5.large".into(),
                    availability_zone: ["us-east-1a", "us-east-1b"][n % 2].into(),
                    capacity_provider_name: Some(if od { "od" } else { "spot" }.into()),
                    ..Default::default()
                },
                ..Default::default()
            }))
            .expect("registers");
        }
        register_sized(&mut e, "web", 128, 256);
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "web".into(),
            desired_count: Some(150),
            placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
            capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: "od".into(),
                weight: Some(1),
                base: None,
            }],
            ..Default::default()
        }))
        .expect("creates");
        e.run_until_quiet(600_000, 1_000_000);
        assert_web_spread_over_one_class_of_every_third_instance(&e, "od");
    }

    /// The same for a task with a host port: the first placement passes over the 200 instances
    /// of r1 and r2 and builds the class of both its port and its expression, which then holds
    /// r0's instances with the port free. Each instance takes one task (the port), so 100 of the
    /// 150 are placed, all on r0, and the class is left empty.
    #[test]
    fn a_placement_with_host_ports_past_many_unselected_instances_builds_a_class_of_both() {
        let mut totals = vec![(4096, 16384, None); 300];
        for (n, t) in totals.iter_mut().enumerate() {
            if n % 3 == 0 {
                *t = (4096, 8192, None);
            }
        }
        let mut e = cluster_of(&totals);
        register_port_tasks(&mut e);
        let cluster = e.clusters.by_name("prod").expect("created");
        let spread = vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }];
        let rack_r0 =
            vec![PlacementConstraint { constraint_type: "memberOf".into(), expression: Some("attribute:rack == r0".into()) }];
        create_constrained_service(&mut e, "web", "t0_1_1", 150, spread, rack_r0);
        e.run_until_quiet(600_000, 1_000_000);
        let index = &e.clusters[cluster.index()].placement;
        assert_eq!(index.member_of_lists.len(), 1, "the first placement passed over 200 instances of r1 and r2");
        let both: Vec<_> = index.classes.keys().filter(|k| k.has_member_of()).collect();
        assert_eq!(both.len(), 1, "one constraint class");
        assert!(both[0].has_ports(), "of the expression and the port both");
        assert!(index.classes[both[0]].all.by_memory.is_empty(), "every r0 instance holds the port");
        let web = e.resolve_service(cluster, "web").expect("created");
        let per_instance = e.services[web.index()].spread.per_instance.sorted();
        assert!(per_instance.iter().all(|(i, n)| i.0 % 3 == 0 && *n == 1), "one task on each r0 instance");
        assert_eq!(per_instance.len(), 100);
        crate::engine::invariants::check_invariants(&e).expect("the class is exact");
    }

    /// Builds the port class of a task definition's size and host ports in a cluster, as a
    /// placement that passed over many instances holding its ports would.
    fn build_port_class_of(e: &mut Engine, cluster: crate::infra::ids::ClusterId, family: &str) {
        let req = e.requirements_of(e.resolve_task_def(family).expect("registered"));
        let ports = (e.instances.intern_port_set(&req.ports_tcp), e.instances.intern_port_set(&req.ports_udp));
        let instances = &e.instances;
        let index = e.clusters.placement_mut(cluster);
        let class = index.class_for((req.cpu, req.memory, req.gpu, req.awsvpc), instances.port_sets(), |id| {
            instances[id.index()].index_key(id)
        });
        assert!(index.build_port_class(class, ports, instances.port_sets(), |id| instances[id.index()].index_key(id)));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// The same for services, whose spread counts (per instance and per value of the
        /// attribute they spread by) decide among instances they already hold: a service with a
        /// host port, scaled up past what the cluster's free ports allow and then with an instance
        /// drained, makes the same trace with the port class built before it is created as
        /// without one.
        #[test]
        fn a_port_class_changes_no_service_placement(
            totals in prop::collection::vec((1i64..4, 1i64..4, prop::option::of(0u16..3)), 1..24),
            (strategy, port, cpu, memory) in (0usize..10, 0u16..3, 1i64..3, 1i64..3),
            desired in 1i64..40,
            drain in 0usize..24,
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m, p)| (c * 256, m * 512, p.map(|p| 8000 + p))).collect();
            let (mut with, mut without) = (cluster_of(&totals), cluster_of(&totals));
            let family = format!("t{port}_{cpu}_{memory}");
            let cluster = with.clusters.by_name("prod").expect("created");
            for e in [&mut with, &mut without] {
                register_port_tasks(e);
            }
            build_port_class_of(&mut with, cluster, &family);
            for e in [&mut with, &mut without] {
                e.handle(Request::CreateService(CreateServiceRequest {
                    cluster: Some("prod".into()),
                    service_name: "web".into(),
                    task_definition: family.clone(),
                    desired_count: Some(desired),
                    placement_strategy: strategy_of(strategy),
                    ..Default::default()
                }))
                .expect("creates");
                e.run_until_quiet(600_000, 100_000);
                if drain < totals.len() {
                    e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                        cluster: Some("prod".into()),
                        container_instances: vec![e.instance_arn(InstanceId(drain as u32))],
                        status: "DRAINING".into(),
                    }))
                    .expect("drains");
                    e.run_until_quiet(1_200_000, 200_000);
                }
            }
            prop_assert!(with.trace().digest().is_some());
            prop_assert_eq!(with.trace().digest(), without.trace().digest());
            prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
        }
    }

    /// Registers task definition `family` of one container of `cpu` and `memory`, without ports.
    fn register_sized(e: &mut Engine, family: &str, cpu: u32, memory: u32) {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: family.into(),
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                cpu: Some(cpu),
                memory: Some(memory),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("registers");
    }

    /// Creates service `name` of `family` in cluster `prod`.
    fn create_service(e: &mut Engine, name: &str, family: &str, desired: i64, placement_strategy: Vec<PlacementStrategy>) {
        create_constrained_service(e, name, family, desired, placement_strategy, vec![]);
    }

    /// A placement rule with a field (`spread` by `instanceId`, `binpack` by `memory`, …).
    fn rule(strategy_type: &str, field: &str) -> PlacementStrategy {
        PlacementStrategy { strategy_type: strategy_type.into(), field: Some(field.into()) }
    }

    /// Creates service `name` of `family` in cluster `prod`, with placement constraints.
    fn create_constrained_service(
        e: &mut Engine,
        name: &str,
        family: &str,
        desired: i64,
        placement_strategy: Vec<PlacementStrategy>,
        placement_constraints: Vec<PlacementConstraint>,
    ) {
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: name.into(),
            task_definition: family.into(),
            desired_count: Some(desired),
            placement_strategy,
            placement_constraints,
            // These tests are about placement: no task moves between zones on its own.
            availability_zone_rebalancing: Some("DISABLED".into()),
            ..Default::default()
        }))
        .expect("creates");
    }

    /// The `distinctInstance` constraint.
    fn distinct_instance() -> PlacementConstraint {
        PlacementConstraint { constraint_type: "distinctInstance".into(), expression: None }
    }

    /// Sets service `name`'s desiredCount.
    fn scale(name: &str, desired: i64) -> Request {
        Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: name.into(),
            desired_count: Some(desired),
            ..Default::default()
        })
    }

    /// Sets instance `i{k}`'s status (requests name an instance by its ARN or ID, not its name).
    fn set_status(e: &Engine, k: usize, status: &str) -> Request {
        Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: vec![e.instance_arn(InstanceId(k as u32))],
            status: status.into(),
        })
    }

    /// Starts the room order of `owner` for the size class of `family` (the class is created if
    /// no placement asked for it yet).
    fn start_room_order_of(e: &mut Engine, owner: Owner, family: &str, pools: RoomPools, (free, tie): (RoomFree, SpreadTie)) {
        let cluster = e.clusters.by_name("prod").expect("created");
        let req = e.requirements_of(e.resolve_task_def(family).expect("registered"));
        let instances = &e.instances;
        let class = e.clusters.placement_mut(cluster).class_for(
            (req.cpu, req.memory, req.gpu, req.awsvpc),
            instances.port_sets(),
            |id| instances[id.index()].index_key(id),
        );
        assert!(e.start_room_order(cluster, owner, class, pools, (free, Some(tie))), "the cluster has room for one more");
    }

    /// The cases of [`a_room_order_changes_no_placement`]: a placement strategy (ECS's default
    /// spread, by zone and instance, by instance, by rack, by zone then rack; by instance with
    /// ties broken by binpack memory, or after a spread by zone by CPU; binpack or random with
    /// distinctInstance), the pools and tie-break of the room order it keeps, and its constraints.
    fn room_order_case(strategy: usize) -> (Vec<PlacementStrategy>, RoomPools, SpreadTie, Vec<PlacementConstraint>) {
        let (strategies, pools) = match strategy {
            // Spread by instance, ties broken by binpack.
            9 => (vec![rule("spread", "instanceId"), rule("binpack", "memory")], RoomPools::Whole),
            10 => (
                vec![rule("spread", "attribute:ecs.availability-zone"), rule("spread", "instanceId"), rule("binpack", "cpu")],
                RoomPools::Zone,
            ),
            0 => (vec![rule("spread", "attribute:ecs.availability-zone"), rule("spread", "instanceId")], RoomPools::Zone),
            1 => (vec![rule("spread", "instanceId")], RoomPools::Whole),
            2 => (vec![], RoomPools::Zone),
            3 => (vec![rule("spread", "attribute:rack")], RoomPools::Value),
            4 => (vec![rule("spread", "attribute:ecs.availability-zone"), rule("spread", "attribute:rack")], RoomPools::Value),
            // Binpack with distinctInstance: the order's unoccupied members are where it fits.
            5 => (vec![rule("binpack", "memory")], RoomPools::Whole),
            6 => (vec![rule("spread", "attribute:ecs.availability-zone"), rule("binpack", "memory")], RoomPools::Zone),
            7 => (vec![PlacementStrategy { strategy_type: "random".into(), field: None }], RoomPools::Whole),
            _ => (vec![rule("binpack", "cpu")], RoomPools::Whole),
        };
        let tie = match strategy {
            9 => SpreadTie::LeastMemory,
            10 => SpreadTie::LeastCpu,
            _ => SpreadTie::Own,
        };
        let constraints = if (5..=8).contains(&strategy) { vec![distinct_instance()] } else { vec![] };
        (strategies, pools, tie, constraints)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// A room order changes no choice. A spread service (by zone and instance, by instance,
        /// by rack, by zone then rack, or ECS's default; by instance with ties broken by binpack
        /// memory, or after a spread by zone by CPU; or binpack with distinctInstance, alone or
        /// after a spread by zone, binpack by CPU or random with it) shares a cluster with a binpack service
        /// that fills instances; the engine `with` keeps the spread service's room order from its
        /// creation, and a task group's from its first task, while `without` (too small to start
        /// one) walks their counts. Scaling both services, RunTask calls of the group, drains,
        /// reactivations, forced deregistrations, agent disconnections (which take instances out
        /// of every class, and back), moves to another rack and UpdateService requests replacing the
        /// spread service's strategy and constraints with another case's (its counts recounted for
        /// them, its room order dropped; `with` starts one by the new pools and tie-break at once)
        /// answer alike and leave the same trace; the room orders stay exact throughout
        /// (`check_invariants`).
        #[test]
        fn a_room_order_changes_no_placement(
            totals in prop::collection::vec((1i64..5, 1i64..5), 2..30),
            strategy in 0usize..11,
            free in prop::sample::select(vec![RoomFree::Not, RoomFree::ByMemory, RoomFree::ByMemoryAndCpu]),
            spread_size in 1u32..3,
            steps in prop::collection::vec((0usize..9, 0i64..60, 0usize..30), 1..14),
        ) {
            let totals: Vec<_> = totals.iter().map(|(c, m)| (c * 256, m * 512, None)).collect();
            let (mut with, mut without) = (cluster_of(&totals), cluster_of(&totals));
            let (spread_strategy, pools, tie, constraints) = room_order_case(strategy);
            for e in [&mut with, &mut without] {
                register_sized(e, "pack", 256, 512);
                register_sized(e, "spread", 128 * spread_size, 256 * spread_size);
                let binpack = PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) };
                create_service(e, "pack", "pack", 0, vec![binpack]);
                create_constrained_service(e, "spread", "spread", 0, spread_strategy.clone(), constraints.clone());
            }
            let cluster = with.clusters.by_name("prod").expect("created");
            let spread = with.resolve_service(cluster, "spread").expect("created");
            start_room_order_of(&mut with, Owner::Service(spread), "spread", pools, (free, tie));
            // Interned in both at once, so that the engines number their strings alike.
            let batch = with.strings.intern("batch");
            without.strings.intern("batch");
            for (op, n, k) in steps {
                if op == 8 {
                    // UpdateService: the spread service places by another case's strategy and
                    // constraints from now on (its tasks stay where they are).
                    let (strategies, pools, tie, constraints) = room_order_case(k % 11);
                    let request = Request::UpdateService(UpdateServiceRequest {
                        cluster: Some("prod".into()),
                        service: "spread".into(),
                        placement_strategy: Some(strategies),
                        placement_constraints: Some(constraints),
                        ..Default::default()
                    });
                    prop_assert_eq!(with.handle(request.clone()), without.handle(request));
                    prop_assert!(with.services[spread.index()].spread.room.is_none(), "the room order went with the old counts");
                    prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
                    start_room_order_of(&mut with, Owner::Service(spread), "spread", pools, (free, tie));
                    prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
                    continue;
                }
                if op == 7 {
                    // The instance moves to another rack (a change of its attributes).
                    let instance = InstanceId((k % totals.len()) as u32);
                    for e in [&mut with, &mut without] {
                        let (rack, value) = (e.strings.intern("rack"), e.strings.intern(&format!("r{}", n % 3)));
                        e.update_instance_profile(instance, |p| {
                            for (name, v) in p.attributes.iter_mut() {
                                if *name == rack {
                                    *v = Some(value);
                                }
                            }
                        });
                    }
                    prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
                    continue;
                }
                if op == 6 {
                    // The agent disconnects (its instance leaves every class, its tasks stay) or
                    // reconnects.
                    let instance = InstanceId((k % totals.len()) as u32);
                    let connected = !with.instances[instance.index()].agent_connected;
                    with.set_agent_connected(instance, connected);
                    without.set_agent_connected(instance, connected);
                    prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
                    continue;
                }
                let request = match op {
                    0 => scale("pack", n),
                    1 => scale("spread", n),
                    2 => set_status(&with, k % totals.len(), "DRAINING"),
                    3 => set_status(&with, k % totals.len(), "ACTIVE"),
                    // Deregistered with its tasks: it leaves every class, its tasks the counts.
                    4 => Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
                        cluster: Some("prod".into()),
                        container_instance: with.instance_arn(InstanceId((k % totals.len()) as u32)),
                        force: Some(true),
                    }),
                    _ => Request::RunTask(RunTaskRequest {
                        cluster: Some("prod".into()),
                        task_definition: "spread".into(),
                        count: Some(1 + n % 10),
                        group: Some("batch".into()),
                        placement_strategy: spread_strategy.clone(),
                        placement_constraints: constraints.clone(),
                        ..Default::default()
                    }),
                };
                prop_assert_eq!(with.handle(request.clone()), without.handle(request));
                with.run_until_quiet(600_000, 100_000);
                without.run_until_quiet(600_000, 100_000);
                // A group counts by the value of the attribute it spread by last.
                let group_counted = with.clusters[cluster.index()]
                    .group_spread
                    .get(&batch)
                    .is_some_and(|g| pools != RoomPools::Value || g.value_attribute.is_some());
                if group_counted && !with.clusters.room_ordered(cluster).contains(&Owner::Group(batch)) {
                    start_room_order_of(&mut with, Owner::Group(batch), "spread", pools, (free, tie));
                }
                prop_assert!(crate::engine::invariants::check_invariants(&with).is_ok());
            }
            prop_assert_eq!(with.trace().digest(), without.trace().digest());
            prop_assert!(without.clusters.room_ordered(cluster).is_empty(), "a cluster this small starts none");
        }
    }

    /// 300 instances each hold one task of a spread service, and a binpack service fills 280 of
    /// them. Scaling the spread service up walks its instances by count past the full ones (more
    /// than `ROOM_ORDER_AFTER_SKIPS`): the walk starts its room order, later placements read it,
    /// and it follows the binpack service's scale-in (room regained) and a drain.
    #[test]
    fn a_walk_past_many_full_instances_starts_a_room_order() {
        let mut e = cluster_of(&vec![(1024, 2048, None); 300]);
        register_sized(&mut e, "pack", 128, 256);
        register_sized(&mut e, "spread", 128, 256);
        create_service(&mut e, "spread", "spread", 300, vec![]);
        e.run_until_quiet(600_000, 1_000_000);
        create_service(&mut e, "pack", "pack", 7 * 280, vec![rule("binpack", "memory")]);
        e.run_until_quiet(1_200_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let spread = e.resolve_service(cluster, "spread").expect("created");
        assert!(e.services[spread.index()].spread.room.is_none(), "no walk has passed over many yet");
        let full = e.clusters[cluster.index()].instances.iter().filter(|i| e.instances[i.index()].remaining.memory < 256).count();
        assert_eq!(full, 280, "the binpack service filled 280 instances");
        e.handle(scale("spread", 310)).expect("scales");
        e.run_until_quiet(1_800_000, 1_000_000);
        let room = e.services[spread.index()].spread.room.as_deref().expect("the walk started a room order");
        assert_eq!(room.pools, RoomPools::Zone, "ECS's default spreads by zone first");
        assert_eq!(room.entries.len(), 20, "the 20 instances with room");
        assert_eq!(room.free, None, "a walk past full instances keeps no unoccupied members");
        assert_eq!(e.clusters.room_ordered(cluster), [Owner::Service(spread)]);
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        // Room regained: the binpack service scales in; then a drain takes instances out.
        e.handle(scale("pack", 7 * 200)).expect("scales");
        e.run_until_quiet(2_400_000, 1_000_000);
        let room = e.services[spread.index()].spread.room.as_deref().expect("kept");
        assert!(room.entries.len() > 20, "instances the binpack service left joined the order");
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        e.handle(set_status(&e, 299, "DRAINING")).expect("drains");
        e.handle(scale("spread", 400)).expect("scales");
        e.run_until_quiet(3_600_000, 1_000_000);
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        // A deleted service places no more: its order goes.
        e.handle(scale("spread", 0)).expect("scales");
        e.handle(Request::DeleteService(DeleteServiceRequest {
            cluster: Some("prod".into()),
            service: "spread".into(),
            force: None,
        }))
        .expect("deletes");
        assert!(e.services[spread.index()].spread.room.is_none());
        assert!(e.clusters.room_ordered(cluster).is_empty());
        crate::engine::invariants::check_invariants(&e).expect("none kept, none noted");
    }

    /// A mixed fleet: 300 big instances each hold a task of a service spread by instance, and 50
    /// small ones are empty. Scaling up takes the empty ones, most free memory first, past the big
    /// occupied ones (which have more): the walk passes over 300, so the service starts a room
    /// order, whose unoccupied members by free memory the next placements read.
    #[test]
    fn a_walk_past_many_occupied_instances_starts_a_room_order() {
        let mut totals = vec![(4096, 16384, None); 300];
        totals.extend([(1024, 2048, None); 50]);
        let mut e = cluster_of(&totals);
        register_sized(&mut e, "web", 128, 256);
        create_service(&mut e, "web", "web", 300, vec![rule("spread", "instanceId")]);
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        assert!(e.services[web.index()].spread.room.is_none());
        e.handle(scale("web", 340)).expect("scales");
        e.run_until_quiet(1_200_000, 1_000_000);
        let room = e.services[web.index()].spread.room.as_deref().expect("the walk started a room order");
        assert_eq!(room.pools, RoomPools::Whole, "spread by instance alone picks over the whole class");
        assert_eq!(room.free.as_ref().expect("kept by free memory").len(), 10, "ten small instances are still empty");
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        e.handle(scale("web", 350)).expect("scales");
        e.run_until_quiet(1_800_000, 1_000_000);
        let room = e.services[web.index()].spread.room.as_deref().expect("kept");
        assert!(room.free.as_ref().expect("kept").is_empty(), "every instance holds a task");
        let per_instance = &e.services[web.index()].spread.per_instance;
        assert_eq!((per_instance.len(), per_instance.sorted().iter().all(|(_, n)| *n == 1)), (350, true));
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
    }

    /// 300 instances each hold two tasks of a service spread by instance, so it occupies every
    /// member. Both tasks of one instance after another are stopped by hand: the first replacement
    /// takes the emptied instance, and the second finds every member occupied — a walk of the
    /// whole pool, which the note of a full pool spared only until the next instance was emptied.
    /// Those walks now count toward starting the room order, which keeps the unoccupied members,
    /// so after a few the service reads them from it (the replacements still land where the walks
    /// put them: both on the emptied instance, which holds the fewest).
    #[test]
    fn walks_that_find_every_member_occupied_start_a_room_order() {
        let mut e = cluster_of(&vec![(4096, 8192, None); 300]);
        register_sized(&mut e, "web", 128, 256);
        create_service(&mut e, "web", "web", 600, vec![rule("spread", "instanceId")]);
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        assert!(e.services[web.index()].spread.room.is_none(), "no walk has passed over any member yet");
        for k in [7usize, 70, 140, 210, 280, 8, 71, 141] {
            let id = e.clusters[cluster.index()].instances[k];
            let tasks = e.instances[id.index()].tasks.clone();
            assert_eq!(tasks.len(), 2, "two tasks on each instance");
            for t in tasks {
                let task = e.task_arn(t);
                e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task, reason: None })).expect("stops");
            }
            let until = e.now_ms() + 600_000;
            e.run_until_quiet(until, 1_000_000);
            let per_instance = &e.services[web.index()].spread.per_instance;
            assert_eq!(per_instance.get(id), 2, "both replacements went back to the emptied instance, the fewest");
            assert_eq!(per_instance.sorted().iter().map(|(_, n)| u64::from(*n)).sum::<u64>(), 600);
            crate::engine::invariants::check_invariants(&e).expect("the order, once kept, is exact");
        }
        let room = e.services[web.index()].spread.room.as_deref().expect("the walks started a room order");
        assert!(room.free.as_ref().expect("kept by free memory").is_empty(), "every member holds a task");
        assert_eq!(e.clusters.room_ordered(cluster), [Owner::Service(web)]);
    }

    /// Spread by instance with its ties broken by binpack memory ("Distribute tasks evenly across
    /// instances and then bin pack tasks based on memory",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/strategy-examples.html>). 320
    /// instances of varied memory each take one task. Ten more go, one by one, to the instances
    /// holding one task with the least free memory (ties: the earlier-registered), which is what
    /// a scan of every instance picks. The first of them reads all 320 instances of that count,
    /// which starts the service's room order: kept by count, then free memory; the later ones
    /// read it (and a debug build checks it against the walk at every placement).
    #[test]
    fn spread_by_instance_then_binpack_takes_the_least_free_memory_among_the_fewest() {
        let totals: Vec<_> = (0..320i64).map(|k| (4096, 4096 + (k * 37 % 50) * 256, None)).collect();
        let mut e = cluster_of(&totals);
        register_sized(&mut e, "web", 128, 256);
        create_service(&mut e, "web", "web", 320, vec![rule("spread", "instanceId"), rule("binpack", "memory")]);
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        let counts = |e: &Engine| e.services[web.index()].spread.per_instance.sorted();
        assert!(counts(&e).iter().all(|(_, n)| *n == 1) && counts(&e).len() == 320, "one task on each instance");
        // The ten instances with the least free memory now (ties: the earlier-registered).
        let mut by_free: Vec<(i64, InstanceId)> =
            counts(&e).iter().map(|(id, _)| (e.instances[id.index()].remaining.memory, *id)).collect();
        by_free.sort_unstable();
        let mut expected: Vec<InstanceId> = by_free.iter().take(10).map(|(_, id)| *id).collect();
        expected.sort_unstable();
        e.handle(scale("web", 330)).expect("scales");
        e.run_until_quiet(1_200_000, 1_000_000);
        let doubled: Vec<InstanceId> = counts(&e).iter().filter(|(_, n)| *n == 2).map(|(id, _)| *id).collect();
        assert_eq!(doubled, expected, "the least free memory among the instances holding the fewest");
        let room = e.services[web.index()].spread.room.as_deref().expect("reading 320 of a count started a room order");
        assert_eq!(room.tie, SpreadTie::LeastMemory);
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        // Draining the instance with the least free memory holding two moves both to the tightest
        // instances holding one.
        let drained = expected[0];
        e.handle(set_status(&e, drained.index(), "DRAINING")).expect("drains");
        assert_eq!(e.instances[drained.index()].status, crate::rules::lifecycle::InstanceStatus::Draining);
        e.run_until_quiet(2_400_000, 1_000_000);
        assert_eq!(e.services[web.index()].spread.per_instance.get(drained), 0, "its tasks left");
        crate::engine::invariants::check_invariants(&e).expect("the order is exact");
    }

    /// Spread by instance takes an empty instance wherever it is in the pool. 30 instances hold a
    /// binpack task each and keep room for one small task; 70 have much more room. A spread
    /// service of 90 fills the 70 and 20 of the 30, so it occupies more instances than have
    /// room: the ten empty members have the least free memory. The 91st task goes to one of them
    /// (until 2026-12-01 only the 64 members with the most free memory were searched, and it went
    /// to a big instance that already held one). Once every member is occupied, a search that
    /// walked them all notes so and the next does not walk, until an instance registers (a
    /// member joins), the service's task on one stops (a member is vacated) or the binpack
    /// service leaves (the instance it filled, i100, regains room): each time the next task goes
    /// to the empty instance.
    #[test]
    fn spread_by_instance_takes_an_empty_instance_past_the_fullest_members() {
        let mut totals = vec![(4096, 4000, None); 100];
        totals.push((4096, 3500, None));
        let mut e = cluster_of(&totals);
        register_sized(&mut e, "hog", 10, 3500);
        register_sized(&mut e, "web", 10, 400);
        create_service(&mut e, "hog", "hog", 31, vec![rule("binpack", "memory")]);
        e.run_until_quiet(600_000, 1_000_000);
        create_service(&mut e, "web", "web", 90, vec![rule("spread", "instanceId")]);
        e.run_until_quiet(1_200_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        let instance = |e: &Engine, n: usize| {
            e.strings.get(&format!("i{n}")).and_then(|name| e.instances.by_name(name)).expect("registered")
        };
        let on = |e: &Engine, n: usize| e.services[web.index()].spread.per_instance.get(instance(e, n));
        assert_eq!((0..10).map(|n| on(&e, n)).sum::<u32>(), 0, "i0–i9 hold a binpack task and none of web's");
        assert_eq!(e.instances[instance(&e, 100).index()].remaining.memory, 0, "the binpack service fills i100");
        e.handle(scale("web", 91)).expect("scales");
        e.run_until_quiet(1_800_000, 1_000_000);
        assert_eq!(on(&e, 9), 1, "the empty member with the least free memory (ties: the later-registered)");
        assert!((0..100).all(|n| on(&e, n) <= 1), "no instance holds two while one is empty");
        assert_eq!(on(&e, 100), 0, "i100 has no room");
        // Every member occupied: the walk notes it; the next placement reads the note.
        e.handle(scale("web", 101)).expect("scales");
        e.run_until_quiet(2_400_000, 1_000_000);
        let class = e.services[web.index()].spread.no_free_members.as_ref().expect("noted").pools.first().copied();
        assert!(class.is_some_and(|(_, az, value)| az.is_none() && value.is_none()), "the whole pool is noted full");
        e.handle(scale("web", 102)).expect("scales");
        e.run_until_quiet(3_000_000, 1_000_000);
        crate::engine::invariants::check_invariants(&e).expect("consistent");
        // A member joins: the next task goes to it.
        register_instance(&mut e, 101, (4096, 4000, None));
        e.handle(scale("web", 103)).expect("scales");
        e.run_until_quiet(3_600_000, 1_000_000);
        assert_eq!(on(&e, 101), 1, "the instance that joined takes the task");
        // Full again and noted; then web's task on i101 stops: its replacement goes there.
        e.handle(scale("web", 104)).expect("scales");
        e.run_until_quiet(4_200_000, 1_000_000);
        let i101 = instance(&e, 101);
        let task = e.instances[i101.index()]
            .tasks
            .iter()
            .copied()
            .find(|t| e.task_origin(*t).service == Some(web))
            .expect("web runs on i101");
        let noted = e.services[web.index()].spread.no_free_members.as_deref().map(|n| n.vacated);
        assert_eq!(noted, Some(e.services[web.index()].spread.vacated), "the note is current before the stop");
        e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: e.task_arn(task), reason: None }))
            .expect("stops");
        e.run_until_quiet(4_800_000, 1_000_000);
        assert_eq!(e.services[web.index()].counts.running, 104);
        assert_eq!(on(&e, 101), 1, "the replacement takes the vacated instance");
        // Full and noted again; the binpack service leaves, and i100 regains room.
        e.handle(scale("web", 105)).expect("scales");
        e.run_until_quiet(5_400_000, 1_000_000);
        assert!(e.services[web.index()].spread.no_free_members.is_some());
        e.handle(scale("hog", 0)).expect("scales");
        e.run_until_quiet(6_000_000, 1_000_000);
        e.handle(scale("web", 106)).expect("scales");
        e.run_until_quiet(6_600_000, 1_000_000);
        assert_eq!(on(&e, 100), 1, "the instance that regained room takes the task");
        crate::engine::invariants::check_invariants(&e).expect("consistent");
    }

    /// The same within an attribute's value: racks r0 (five instances) and r1 (fifteen). A
    /// service spread by rack, then by instance, fills r0; its next task, in r0 by the racks'
    /// tie, walks r0, notes it full and goes to the instance of r0 with the fewest. When an empty
    /// instance of r1 moves to r0 (a change of its attributes), the note no longer holds and the
    /// next task for r0 goes to that instance.
    #[test]
    fn spread_by_attribute_notes_a_full_value_until_an_instance_moves_into_it() {
        let mut e = cluster_of(&vec![(4096, 4000, None); 20]);
        let set_rack = |e: &mut Engine, n: usize, to: &str| {
            let (rack, value) = (e.strings.intern("rack"), e.strings.intern(to));
            e.update_instance_profile(InstanceId(n as u32), |p| {
                for (name, v) in p.attributes.iter_mut() {
                    if *name == rack {
                        *v = Some(value);
                    }
                }
            });
        };
        for n in 0..20 {
            set_rack(&mut e, n, if n < 5 { "r0" } else { "r1" });
        }
        register_sized(&mut e, "web", 10, 400);
        create_service(&mut e, "web", "web", 10, vec![rule("spread", "attribute:rack"), rule("spread", "instanceId")]);
        e.run_until_quiet(600_000, 1_000_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        let on = |e: &Engine, n: usize| e.services[web.index()].spread.per_instance.get(InstanceId(n as u32));
        assert!((0..5).all(|n| on(&e, n) == 1), "r0 is full");
        e.handle(scale("web", 11)).expect("scales");
        e.run_until_quiet(1_200_000, 1_000_000);
        let r0 = e.strings.get("r0");
        let rack = e.strings.get("rack").expect("interned");
        let notes = e.services[web.index()].spread.no_free_members.as_deref().expect("noted");
        assert!(notes.pools.iter().any(|(_, _, value)| *value == Some((rack, r0))), "r0 is noted full");
        e.handle(scale("web", 12)).expect("scales");
        e.run_until_quiet(1_800_000, 1_000_000);
        assert_eq!(((0..5).map(|n| on(&e, n)).sum::<u32>(), (5..20).map(|n| on(&e, n)).sum::<u32>()), (6, 6));
        assert_eq!(on(&e, 5), 0, "i5 is still empty");
        set_rack(&mut e, 5, "r0");
        e.handle(scale("web", 13)).expect("scales");
        e.run_until_quiet(2_400_000, 1_000_000);
        assert_eq!(on(&e, 5), 1, "the empty instance that moved into r0 takes r0's next task");
        crate::engine::invariants::check_invariants(&e).expect("consistent");
    }

    /// `random` with distinctInstance, when its samples miss (2,000 instances too small for the
    /// task, 20 that fit): the members it draws among come from the room order's unoccupied ones,
    /// and the draw is the walk's (the debug assertion compares the two lists at each listing).
    #[test]
    fn random_with_distinct_instance_lists_from_the_room_order() {
        let mut totals = vec![(64, 64, None); 2_000];
        totals.extend([(1024, 2048, None); 20]);
        let mut e = cluster_of(&totals);
        register_sized(&mut e, "web", 128, 256);
        let random = PlacementStrategy { strategy_type: "random".into(), field: None };
        create_constrained_service(&mut e, "web", "web", 0, vec![random], vec![distinct_instance()]);
        let cluster = e.clusters.by_name("prod").expect("created");
        let web = e.resolve_service(cluster, "web").expect("created");
        start_room_order_of(&mut e, Owner::Service(web), "web", RoomPools::Whole, (RoomFree::ByMemory, SpreadTie::Own));
        for desired in [10, 19, 20] {
            e.handle(scale("web", desired)).expect("scales");
            e.run_until_quiet(e.now_ms() + 600_000, 1_000_000);
            assert_eq!(e.services[web.index()].spread.per_instance.len(), desired as usize, "one task on each of {desired}");
            crate::engine::invariants::check_invariants(&e).expect("the order is exact");
        }
        assert!(e.services[web.index()].spread.room.as_ref().expect("kept").free.as_ref().expect("kept").is_empty());
    }

    /// A room order missing an occupied member, or holding a full one, is caught.
    #[test]
    fn a_wrong_room_order_is_caught() {
        let mut e = cluster_of(&[(1024, 2048, None); 4]);
        register_sized(&mut e, "spread", 128, 256);
        create_service(&mut e, "spread", "spread", 8, vec![]);
        e.run_until_quiet(600_000, 100_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let spread = e.resolve_service(cluster, "spread").expect("created");
        start_room_order_of(&mut e, Owner::Service(spread), "spread", RoomPools::Zone, (RoomFree::ByMemory, SpreadTie::Own));
        crate::engine::invariants::check_invariants(&e).expect("exact");
        let entry = *e.services[spread.index()].spread.room.as_ref().expect("kept").entries.first().expect("an occupied member");
        let room = e.services.record_mut_for_test(spread).spread.room.as_deref_mut().expect("kept");
        room.entries.remove(&entry);
        assert_eq!(crate::engine::invariants::check_invariants(&e).expect_err("caught").invariant, "spread-counts");
        let room = e.services.record_mut_for_test(spread).spread.room.as_deref_mut().expect("kept");
        room.entries.insert(entry);
        room.entries.insert((entry.0, entry.1 + 1, entry.2, entry.3));
        assert_eq!(crate::engine::invariants::check_invariants(&e).expect_err("caught").invariant, "spread-counts");
        // An order whose tie-break is not the one the service's strategies give.
        let room = e.services.record_mut_for_test(spread).spread.room.as_deref_mut().expect("kept");
        room.entries.remove(&(entry.0, entry.1 + 1, entry.2, entry.3));
        crate::engine::invariants::check_invariants(&e).expect("exact again");
        let room = e.services.record_mut_for_test(spread).spread.room.as_deref_mut().expect("kept");
        room.tie = SpreadTie::LeastMemory;
        let entries: std::collections::BTreeSet<_> = room.entries.iter().map(|(p, n, _, id)| (*p, *n, 0, *id)).collect();
        room.entries = entries;
        let caught = crate::engine::invariants::check_invariants(&e).expect_err("caught");
        assert!(caught.detail.contains("breaks ties by LeastMemory"), "{}", caught.detail);
    }

    /// A note that a pool is full while one of its members is empty is caught, and a note made
    /// stale by a join is not checked (nor read).
    #[test]
    fn a_wrong_full_pool_note_is_caught() {
        let mut e = cluster_of(&[(1024, 2048, None); 4]);
        register_sized(&mut e, "spread", 128, 256);
        create_service(&mut e, "spread", "spread", 3, vec![rule("spread", "instanceId")]);
        e.run_until_quiet(600_000, 100_000);
        let cluster = e.clusters.by_name("prod").expect("created");
        let spread = e.resolve_service(cluster, "spread").expect("created");
        let class = *e.clusters[cluster.index()].placement.classes.keys().last().expect("the task's class");
        let joins = e.clusters[cluster.index()].placement.joins();
        e.services.note_no_free_member(spread, (class, None, None), joins);
        let caught = crate::engine::invariants::check_invariants(&e).expect_err("one of four is empty");
        assert_eq!(caught.invariant, "spread-counts");
        e.services.note_no_free_member(spread, (class, None, None), joins - 1);
        crate::engine::invariants::check_invariants(&e).expect("a stale note is neither read nor checked");
        e.handle(scale("spread", 4)).expect("scales");
        e.run_until_quiet(1_200_000, 100_000);
        assert_eq!(e.services[spread.index()].spread.per_instance.len(), 4, "the empty instance takes the fourth task");
    }

    /// With no placeable instance, the failure names the closest ACTIVE instance whose agent is
    /// disconnected (the most free memory, then the later-registered), from the instance table's
    /// list rather than a scan of the cluster.
    #[test]
    fn a_cluster_without_placeable_instances_names_its_closest_disconnected_one() {
        let mut e = cluster_of(&[(1024, 2048, None), (1024, 4096, None), (1024, 2048, None)]);
        let cluster = e.clusters.by_name("prod").expect("created");
        let req = Requirements { cpu: 256, memory: 512, ports_tcp: Vec::new(), ports_udp: Vec::new(), awsvpc: false, gpu: 0 };
        let none = Constraints::default();
        let owner = Owner::Group(e.builtin.availability_zone);
        let (first, second, third) = (InstanceId(0), InstanceId(1), InstanceId(2));
        e.set_agent_connected(third, false);
        e.set_agent_connected(second, false);
        assert_eq!(e.placement_failure(cluster, &req, owner, &none).closest, Some(first), "the placeable one");
        e.set_agent_connected(first, false);
        assert!(e.clusters[cluster.index()].placement.is_empty());
        // The one with the most free memory, though registered neither first nor last.
        assert_eq!(e.placement_failure(cluster, &req, owner, &none).closest, Some(second));
        assert!(crate::engine::invariants::check_invariants(&e).is_ok());
        // Not ACTIVE any more: of the two alike, the later-registered.
        e.instances.set_status(second, crate::rules::lifecycle::InstanceStatus::Draining, 0);
        assert_eq!(e.placement_failure(cluster, &req, owner, &none).closest, Some(third));
        e.set_agent_connected(first, true);
        e.set_agent_connected(third, true);
        assert_eq!(e.instances.disconnected_active().count(), 0);
    }
}
