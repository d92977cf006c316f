//! Clusters: their instances and services in order, and their placement index.

use crate::infra::ids::{InstanceId, ServiceId};
use crate::infra::intern::Sym;
use crate::infra::time::SimTimeMs;
use crate::state::service::RoomKeys;

/// How many owners of one cluster may keep a room order (`SpreadCounts::room`). Each change of an
/// instance's room is passed on to each of them, so the bound keeps that cost fixed; an owner past
/// it places as before, walking its instances by count.
pub(crate) const ROOM_ORDERS_PER_CLUSTER: usize = 16;

/// A cluster.
#[derive(Debug, Clone)]
pub struct ClusterState {
    pub name: Sym,
    /// Instances in registration order.
    pub instances: Vec<InstanceId>,
    /// Services in creation order.
    pub services: Vec<ServiceId>,
    /// The services created under each name, in creation order. Only a name without a service that
    /// is not INACTIVE can be used again, so a name's services but the last are all INACTIVE: the
    /// last is the one service a name can refer to, found without scanning the cluster's services.
    pub services_by_name: std::collections::BTreeMap<Sym, Vec<ServiceId>>,
    /// Free-capacity index of placeable instances.
    pub placement: crate::placement::PlacementIndex,
    /// Whether any instance of the cluster has been set to DRAINING (starts the observation window).
    pub drain_observed: bool,
    /// DAEMON services of the cluster (they re-evaluate on every instance change).
    pub daemon_services: Vec<ServiceId>,
    /// Services whose last pass could not place a task, by what they wait for: freed or new
    /// capacity wakes them.
    pub capacity_waiters: CapacityWaiters,
    /// Services with `availabilityZoneRebalancing` ENABLED: an instance that becomes placeable
    /// wakes them (kept here so that it does not scan every service of the cluster).
    pub rebalancing_services: std::collections::BTreeSet<ServiceId>,
    /// The rebalancing services an instance becoming placeable wakes while the zones of the
    /// placeable instances are `rebalancing_zone_set`: all but those whose last pass found them
    /// balanced, or unsettled with no move under way, over those zones (`Services::zone_note`). A
    /// service leaves when a wake finds it so, and joins when its pass no longer does or a change
    /// drops the balanced finding; a change of the zones makes every rebalancing service a member again. A
    /// superset is allowed (a member with a finding is dropped at the next wake);
    /// `check_invariants` holds it to the services.
    pub rebalancing_unsettled: std::collections::BTreeSet<ServiceId>,
    /// The zones (`PlacementIndex::zone_set_changes`) `rebalancing_unsettled` is for.
    pub rebalancing_zone_set: u64,
    /// An instant at which every service in `rebalancing_services` but those wakes pass by (see
    /// `rebalancing_unsettled`) was seen with its pass event due
    /// (`ServiceSchedule::pass_event_at_ms`), and none has run or joined since: another
    /// instance becoming placeable at that instant has no service to wake
    /// (`Engine::wake_rebalancing_services`), so 50,000 instances registering at one instant under
    /// 2,500 such services cost a check each, not 125 million. A cache of what the services say:
    /// `check_invariants` holds it to them, and the canonical digest leaves it out. It goes when
    /// a service may be woken again: one joins `rebalancing_unsettled`, or one stops waiting for
    /// room ([`Clusters::forget_rebalancing_passes_due`]).
    pub rebalancing_passes_due_at_ms: Option<SimTimeMs>,
    /// Where the staying standalone tasks (RunTask, StartTask) of each task group are, as a
    /// service's spread counts say where its tasks are: spread placement of a group's next task
    /// reads them instead of visiting the cluster's tasks.
    pub group_spread: std::collections::BTreeMap<Sym, crate::state::service::SpreadCounts>,
    /// The owners keeping a room order (`SpreadCounts::room`), in the order they started.
    pub room_ordered: Vec<crate::placement::Owner>,
    /// Its capacity providers (PutClusterCapacityProviders), in the order given.
    pub capacity_providers: Vec<Sym>,
    /// Its default capacity provider strategy: what a service created with neither a launch type
    /// nor a strategy runs on (empty: none).
    pub default_capacity_provider_strategy: Vec<crate::rules::capacity_providers::StrategyItem>,
}

/// The cluster table: every cluster, in creation order, and the index of their names. It owns the
/// records: outside this module a cluster is read through `Index` and changed only through the
/// methods below (its placement index, a type with its own mutators, through `placement_mut`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Clusters {
    records: Vec<ClusterState>,
    by_name: std::collections::BTreeMap<String, crate::infra::ids::ClusterId>,
    /// Whether any cluster ever had a DAEMON service (most runs have none, and then no change of
    /// an instance needs telling one).
    any_daemon_service: bool,
    /// Whether any owner of any cluster ever kept a room order (until then, a change of an
    /// instance's room has no one to tell).
    any_room_order: bool,
    /// Whether any task group ever counted its tasks by an attribute's value (then a change of an
    /// instance's attributes counts its group tasks out and back in).
    any_group_value_spread: bool,
    /// Whether any cluster's placement index keeps a `memberOf` list that reads `task:group`, and
    /// one that reads `runningTasksCount` (until then, a change of an instance's tasks or of its
    /// count has no constraint class to tell).
    any_lists_reading: (bool, bool),
    /// The capacity providers created (CreateCapacityProvider), in creation order, each with
    /// whether its managed scaling is ENABLED. Account-wide, as in ECS.
    created_providers: Vec<(Sym, bool)>,
}

impl std::ops::Index<usize> for Clusters {
    type Output = ClusterState;
    fn index(&self, n: usize) -> &ClusterState {
        &self.records[n]
    }
}

type Id = crate::infra::ids::ClusterId;

impl crate::infra::recycle::Recycle for Clusters {
    fn reset_to(&mut self, fresh: Self) {
        let Clusters {
            records,
            by_name,
            any_daemon_service,
            any_group_value_spread,
            any_room_order,
            any_lists_reading,
            created_providers,
        } = fresh;
        self.records.reset_to(records);
        self.by_name = by_name;
        self.any_daemon_service = any_daemon_service;
        self.any_room_order = any_room_order;
        self.any_lists_reading = any_lists_reading;
        self.any_group_value_spread = any_group_value_spread;
        self.created_providers = created_providers;
    }
}

impl Clusters {
    /// Clusters created.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// Every cluster record, in creation order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &ClusterState> {
        self.records.iter()
    }

    /// The cluster of this name.
    pub(crate) fn by_name(&self, name: &str) -> Option<Id> {
        self.by_name.get(name).copied()
    }

    /// A new, empty cluster (`name` is its interned `name_text`).
    pub(crate) fn push(&mut self, name: Sym, name_text: &str) -> Id {
        let id = crate::infra::ids::ClusterId(u32::try_from(self.records.len()).expect("fewer than 2^32 clusters"));
        assert!(self.by_name.insert(name_text.to_string(), id).is_none(), "cluster names are unique");
        self.records.push(ClusterState {
            name,
            instances: Vec::new(),
            services: Vec::new(),
            services_by_name: Default::default(),
            placement: Default::default(),
            drain_observed: false,
            daemon_services: Vec::new(),
            capacity_waiters: Default::default(),
            rebalancing_services: Default::default(),
            rebalancing_unsettled: Default::default(),
            rebalancing_zone_set: 0,
            rebalancing_passes_due_at_ms: None,
            group_spread: Default::default(),
            room_ordered: Vec::new(),
            capacity_providers: Vec::new(),
            default_capacity_provider_strategy: Vec::new(),
        });
        id
    }

    /// PutClusterCapacityProviders, checked by the engine: the cluster's providers and its default
    /// strategy (of those providers), both replaced.
    pub(crate) fn put_capacity_providers(
        &mut self,
        id: Id,
        providers: Vec<Sym>,
        default_strategy: Vec<crate::rules::capacity_providers::StrategyItem>,
    ) {
        debug_assert!(
            default_strategy.iter().all(|i| providers.contains(&i.provider)),
            "a default strategy names the cluster's providers"
        );
        let c = &mut self.records[id.index()];
        c.capacity_providers = providers;
        c.default_capacity_provider_strategy = default_strategy;
    }

    /// CreateCapacityProvider, checked by the engine: a provider of this name (not yet created)
    /// and whether its managed scaling is ENABLED.
    pub(crate) fn create_capacity_provider(&mut self, name: Sym, managed_scaling: bool) {
        assert!(!self.created_providers.iter().any(|(p, _)| *p == name), "a capacity provider is created once");
        self.created_providers.push((name, managed_scaling));
    }

    /// Whether a capacity provider of this name was created.
    pub(crate) fn capacity_provider_created(&self, name: Sym) -> bool {
        self.created_providers.iter().any(|(p, _)| *p == name)
    }

    /// Whether the capacity provider was created with managed scaling ENABLED (a provider only
    /// named by PutClusterCapacityProviders has none).
    pub(crate) fn managed_scaling(&self, name: Sym) -> bool {
        self.created_providers.iter().any(|(p, managed)| *p == name && *managed)
    }

    /// An instance registered in the cluster.
    pub(crate) fn add_instance(&mut self, id: Id, instance: InstanceId) {
        self.records[id.index()].instances.push(instance);
    }

    /// A service created in the cluster under `name`.
    pub(crate) fn add_service(&mut self, id: Id, service: ServiceId, name: Sym, daemon: bool) {
        let c = &mut self.records[id.index()];
        debug_assert!(c.services.last().is_none_or(|last| *last < service), "services are added in creation order");
        c.services.push(service);
        c.services_by_name.entry(name).or_default().push(service);
        if daemon {
            c.daemon_services.push(service);
            self.any_daemon_service = true;
        }
    }

    /// Whether any cluster ever had a DAEMON service.
    pub(crate) fn any_daemon_service(&self) -> bool {
        self.any_daemon_service
    }

    /// A service of the cluster turned `availabilityZoneRebalancing` on or off (at creation too).
    pub(crate) fn set_rebalancing(&mut self, id: Id, service: ServiceId, enabled: bool) {
        let c = &mut self.records[id.index()];
        debug_assert!(c.services.binary_search(&service).is_ok(), "the service is the cluster's (its list is in creation order)");
        if enabled {
            // A service that joins is not known to have its pass event due.
            if c.rebalancing_services.insert(service) {
                c.rebalancing_passes_due_at_ms = None;
            }
            c.rebalancing_unsettled.insert(service);
        } else {
            c.rebalancing_services.remove(&service);
            c.rebalancing_unsettled.remove(&service);
        }
    }

    /// The zones of the cluster's placeable instances are now `zone_set`, no longer those its
    /// rebalancing services were found balanced over: every one of them is woken again, and no
    /// instant's note of passes due holds for the new zones.
    pub(crate) fn unsettle_rebalancing_services(&mut self, id: Id, zone_set: u64) {
        let c = &mut self.records[id.index()];
        c.rebalancing_unsettled = c.rebalancing_services.clone();
        c.rebalancing_zone_set = zone_set;
        c.rebalancing_passes_due_at_ms = None;
    }

    /// Rebalancing services a wake found balanced over the cluster's zones: later wakes pass them
    /// by.
    pub(crate) fn settle_rebalancing_services(&mut self, id: Id, settled: &[ServiceId]) {
        let c = &mut self.records[id.index()];
        for s in settled {
            c.rebalancing_unsettled.remove(s);
        }
    }

    /// A rebalancing service's pass no longer found it balanced over the zones the cluster's
    /// wakes pass it by for: wakes look at it again.
    pub(crate) fn unsettle_rebalancing_service(&mut self, id: Id, service: ServiceId) {
        let c = &mut self.records[id.index()];
        debug_assert!(c.rebalancing_services.contains(&service), "a rebalancing service of the cluster");
        c.rebalancing_unsettled.insert(service);
        self.forget_rebalancing_passes_due(id, &[service]);
    }

    /// `services` may be woken by the cluster's next wake (one joined the unsettled services, or
    /// stopped waiting for room) with no pass due: an instant's note that every service to wake
    /// has its pass due no longer holds if one of them is a rebalancing service (a task that
    /// exited at the instant an agent reconnected made a service passed by at the reconnect
    /// unsettled, and the note stayed: found by `drainsim explore`).
    fn forget_rebalancing_passes_due(&mut self, id: Id, services: &[ServiceId]) {
        let c = &mut self.records[id.index()];
        if c.rebalancing_passes_due_at_ms.is_some() && services.iter().any(|s| c.rebalancing_services.contains(s)) {
            c.rebalancing_passes_due_at_ms = None;
        }
    }

    /// Every rebalancing service of the cluster was seen with its pass event due at `now_ms`
    /// (see [`ClusterState::rebalancing_passes_due_at_ms`]).
    pub(crate) fn note_rebalancing_passes_due(&mut self, id: Id, now_ms: SimTimeMs) {
        self.records[id.index()].rebalancing_passes_due_at_ms = Some(now_ms);
    }

    /// A pass event of one of the cluster's rebalancing services was taken: it is no longer due.
    pub(crate) fn note_rebalancing_pass_taken(&mut self, id: Id) {
        self.records[id.index()].rebalancing_passes_due_at_ms = None;
    }

    /// One of a task group's staying standalone tasks came to (`+1`) or left (`-1`) an instance
    /// in a zone (with `value` of the attribute the group counts by, when it counts by one).
    pub(crate) fn adjust_group_spread(&mut self, id: Id, group: Sym, place: crate::state::service::SpreadPlace, delta: i32) {
        self.records[id.index()]
            .group_spread
            .entry(group)
            .or_insert_with(|| crate::state::service::SpreadCounts::new(true))
            .adjust_at(place, delta);
    }

    /// A task group (which has counts: it has had a staying task) starts keeping a room order
    /// (`SpreadCounts::keep_room_order`).
    pub(crate) fn keep_group_room_order(
        &mut self,
        id: Id,
        group: Sym,
        class: crate::placement::SizeClass,
        pools: crate::state::service::RoomPools,
        members: &[(InstanceId, Option<Sym>, RoomKeys)],
        (free, tie): (crate::state::service::RoomFree, crate::placement::SpreadTie),
    ) {
        self.group_counts(id, group).keep_room_order(class, pools, members, free, tie);
    }

    /// An instance joined or left the class of a task group's room order
    /// (`SpreadCounts::room_membership_changed`).
    pub(crate) fn group_room_membership_changed(
        &mut self,
        id: Id,
        group: Sym,
        instance: InstanceId,
        pool: Option<Sym>,
        keys: RoomKeys,
        member: bool,
    ) {
        self.group_counts(id, group).room_membership_changed(instance, pool, keys, member);
    }

    /// An unoccupied member of the class of a task group's room order changed pools
    /// (`SpreadCounts::room_member_refiled`).
    pub(crate) fn group_room_member_refiled(
        &mut self,
        id: Id,
        group: Sym,
        instance: InstanceId,
        keys: RoomKeys,
        pools: (Option<Sym>, Option<Sym>),
    ) {
        self.group_counts(id, group).room_member_refiled(instance, keys, pools.0, pools.1);
    }

    /// A member of the class of a task group's room order has new keys
    /// (`SpreadCounts::room_member_rekeyed`).
    pub(crate) fn group_room_member_rekeyed(
        &mut self,
        id: Id,
        group: Sym,
        instance: InstanceId,
        pool: Option<Sym>,
        keys: (RoomKeys, RoomKeys),
    ) {
        self.group_counts(id, group).room_member_rekeyed(instance, pool, keys.0, keys.1);
    }

    /// A walk of a task group's placement passed over `passed_over` members; returns the total
    /// (`SpreadCounts::note_walked_past`).
    pub(crate) fn note_group_walked_past(&mut self, id: Id, group: Sym, passed_over: usize) -> u64 {
        self.group_counts(id, group).note_walked_past(passed_over)
    }

    /// A search found every member of `pool` occupied by a task group
    /// (`SpreadCounts::note_no_free_member`).
    pub(crate) fn note_group_no_free_member(&mut self, id: Id, group: Sym, pool: crate::state::service::SpreadPool, joins: u64) {
        self.group_counts(id, group).note_no_free_member(pool, joins);
    }

    /// A task group's counts (it has them: it has had a staying task).
    fn group_counts(&mut self, id: Id, group: Sym) -> &mut crate::state::service::SpreadCounts {
        self.records[id.index()].group_spread.get_mut(&group).expect("a group placing by its counts has them")
    }

    /// The owners of the cluster that keep a room order (`SpreadCounts::room`), in the order they
    /// started: those the engine tells of a change of an instance's room.
    pub(crate) fn room_ordered(&self, id: Id) -> &[crate::placement::Owner] {
        &self.records[id.index()].room_ordered
    }

    /// `owner` keeps a room order from now on (at most [`ROOM_ORDERS_PER_CLUSTER`] do: every
    /// change of an instance's room costs a look at each). False if the cluster has its fill.
    pub(crate) fn note_room_ordered(&mut self, id: Id, owner: crate::placement::Owner) -> bool {
        let owners = &mut self.records[id.index()].room_ordered;
        if owners.contains(&owner) {
            return true;
        }
        if owners.len() >= ROOM_ORDERS_PER_CLUSTER {
            return false;
        }
        owners.push(owner);
        self.any_room_order = true;
        true
    }

    /// Whether any owner of any cluster ever kept a room order.
    pub(crate) fn any_room_order(&self) -> bool {
        self.any_room_order
    }

    /// A cluster's placement index may keep new `memberOf` lists: notes whether one reads
    /// `task:group` or `runningTasksCount`.
    pub(crate) fn note_member_of_lists(&mut self, id: Id) {
        let placement = &self.records[id.index()].placement;
        self.any_lists_reading.0 |= placement.lists_read_task_groups;
        self.any_lists_reading.1 |= placement.lists_read_running_count;
    }

    /// Whether any cluster keeps a `memberOf` list that reads `task:group`.
    pub(crate) fn any_lists_reading_task_groups(&self) -> bool {
        self.any_lists_reading.0
    }

    /// Whether any cluster keeps a `memberOf` list that reads `runningTasksCount`.
    pub(crate) fn any_lists_reading_running_count(&self) -> bool {
        self.any_lists_reading.1
    }

    /// `owner` keeps no room order any more (a deleted service).
    pub(crate) fn forget_room_ordered(&mut self, id: Id, owner: crate::placement::Owner) {
        self.records[id.index()].room_ordered.retain(|o| *o != owner);
    }

    /// The attribute a task group counts its staying tasks by, if it does.
    pub(crate) fn group_value_attribute(&self, id: Id, group: Sym) -> Option<Sym> {
        self.records[id.index()].group_spread.get(&group).and_then(|s| s.value_attribute)
    }

    /// A task group spreading by `attribute`, when it counts by no attribute or another, starts
    /// counting its staying tasks by its value, from `values` (each instance it occupies, with its
    /// value), and keeps the counts from then on. A group counts by one attribute, the last it
    /// spread by: its RunTask calls may each spread by another, and a call that does counts the
    /// group's instances once (consecutive calls by one attribute, the usual case, count none).
    pub(crate) fn count_group_by_value(&mut self, id: Id, group: Sym, attribute: Sym, values: &[(InstanceId, Option<Sym>)]) {
        let record = &mut self.records[id.index()];
        let counts = record.group_spread.get_mut(&group).expect("the group has counts");
        if counts.count_by_value(attribute, values) {
            record.room_ordered.retain(|o| *o != crate::placement::Owner::Group(group));
        }
        self.any_group_value_spread = true;
    }

    /// A task group's order of values of `attribute` (the one it counts by) is synced with the
    /// index's ranks ([`crate::state::service::SpreadCounts::sync_value_order`]), which
    /// [`crate::placement::PlacementIndex::rank_values`] made current.
    pub(crate) fn sync_group_value_order(&mut self, id: Id, group: Sym, attribute: Sym) {
        let record = &mut self.records[id.index()];
        let ranks = &record.placement.value_samples[&attribute].ranks;
        record.group_spread.get_mut(&group).expect("the group has counts").sync_value_order(ranks);
    }

    /// Whether any task group ever counted its tasks by an attribute's value.
    pub(crate) fn any_group_value_spread(&self) -> bool {
        self.any_group_value_spread
    }

    /// The cluster's placement index.
    pub(crate) fn placement_mut(&mut self, id: Id) -> &mut crate::placement::PlacementIndex {
        &mut self.records[id.index()].placement
    }

    /// Marks the cluster's first drain; true if this is it.
    pub(crate) fn observe_first_drain(&mut self, id: Id) -> bool {
        !std::mem::replace(&mut self.records[id.index()].drain_observed, true)
    }

    /// A service whose last pass could not place a task waits for room (again, for `wait`'s
    /// task if it waited for another).
    pub(crate) fn wait_for_capacity(&mut self, id: Id, service: ServiceId, wait: CapacityWait) {
        self.records[id.index()].capacity_waiters.insert(service, wait);
    }

    /// One service stops waiting for room (its last pass placed what it could, or a wake took it).
    pub(crate) fn stop_waiting(&mut self, id: Id, service: ServiceId) {
        self.records[id.index()].capacity_waiters.remove(service);
        self.forget_rebalancing_passes_due(id, &[service]);
    }

    /// Whether the service waits for room in its cluster.
    pub(crate) fn is_waiting(&self, id: Id, service: ServiceId) -> bool {
        self.capacity_wait(id, service).is_some()
    }

    /// What the service waits for, if it waits for room in its cluster.
    pub(crate) fn capacity_wait(&self, id: Id, service: ServiceId) -> Option<CapacityWait> {
        self.records[id.index()].capacity_waiters.waiting.get(&service).copied()
    }

    /// The services waiting for room that `pick` selects, in ID order, which stop waiting.
    pub(crate) fn take_capacity_waiters(&mut self, id: Id, pick: WaiterPick) -> Vec<ServiceId> {
        let taken = self.records[id.index()].capacity_waiters.take(pick);
        self.forget_rebalancing_passes_due(id, &taken);
        taken
    }

    /// The services waiting for room whose task fits in this much free CPU, memory and GPUs, in
    /// ID order; they go on waiting (the caller ends the wait of those it wakes,
    /// [`Self::stop_waiting`]).
    pub(crate) fn capacity_waiters_fitting_in(&self, id: Id, cpu: i64, memory: i64, gpu: u32) -> Vec<ServiceId> {
        self.records[id.index()].capacity_waiters.fitting_in(cpu, memory, gpu)
    }

    /// Room may have appeared in the cluster that wakes nobody now: on instance `on` (a task
    /// STOPPING there frees its CPU, memory and ports for placement), or anywhere (None: the
    /// capacity providers changed). The next instance that becomes placeable wakes the waiting
    /// services that room may serve as well as those it has room for (every one, for room
    /// anywhere).
    pub(crate) fn note_unannounced_room(&mut self, id: Id, on: Option<InstanceId>) {
        let waiters = &mut self.records[id.index()].capacity_waiters;
        if waiters.waiting.is_empty() {
            return;
        }
        match on {
            Some(instance) => {
                waiters.unannounced_on.insert(instance);
            }
            None => waiters.unannounced_everywhere = true,
        }
    }

    /// The room noted since some waiting service last tried that no wake told it of
    /// ([`Self::note_unannounced_room`]): anywhere, and on which instances.
    pub(crate) fn unannounced_room(&self, id: Id) -> (bool, &std::collections::BTreeSet<InstanceId>) {
        let waiters = &self.records[id.index()].capacity_waiters;
        (waiters.unannounced_everywhere, &waiters.unannounced_on)
    }

    /// The same, which an instance becoming placeable announces now: the notes are cleared.
    pub(crate) fn take_unannounced_room(&mut self, id: Id) -> (bool, std::collections::BTreeSet<InstanceId>) {
        let waiters = &mut self.records[id.index()].capacity_waiters;
        (std::mem::take(&mut waiters.unannounced_everywhere), std::mem::take(&mut waiters.unannounced_on))
    }
}

/// What a service waiting for room could not place: its task's size, and what else wakes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CapacityWait {
    /// The CPU units of the task it could not place.
    pub cpu: i64,
    /// The memory (MiB) of the task it could not place.
    pub memory: i64,
    /// The GPUs of the task it could not place.
    pub gpu: u32,
    /// A DAEMON service: room freed by a task told to stop wakes it before the task is STOPPED.
    pub daemon: bool,
    /// Its `memberOf` expressions read `task:group`: another task placed in the cluster wakes it.
    pub reads_task_groups: bool,
}

/// Which waiting services a change wakes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WaiterPick {
    /// All of them (a task STOPPED in the cluster).
    All,
    /// The DAEMON services.
    Daemons,
    /// Those whose expressions read `task:group`, but this one.
    TaskGroupReadersBut(Option<ServiceId>),
}

/// The services of a cluster whose last pass could not place a task, kept so that a wake finds the
/// ones it concerns without visiting the others: by the size of the task each waits for, and the
/// DAEMON services and readers of `task:group` apart. The sets mirror `waiting`
/// (`check_invariants` holds them to it).
#[derive(Debug, Clone, Default)]
pub struct CapacityWaiters {
    waiting: std::collections::BTreeMap<ServiceId, CapacityWait>,
    /// By the task's memory, then CPU.
    by_size: std::collections::BTreeMap<i64, std::collections::BTreeSet<(i64, ServiceId)>>,
    daemons: std::collections::BTreeSet<ServiceId>,
    task_group_readers: std::collections::BTreeSet<ServiceId>,
    /// Room may have appeared anywhere since some waiting service last tried that no wake told it
    /// of (the capacity providers changed): a wake by an instance's room then wakes them all.
    /// Cleared by that wake, or when no service waits.
    unannounced_everywhere: bool,
    /// The instances where room appeared so (a task STOPPING): a wake by an instance's room also
    /// wakes the services their room may serve. Cleared likewise.
    unannounced_on: std::collections::BTreeSet<InstanceId>,
}

impl CapacityWaiters {
    fn insert(&mut self, service: ServiceId, wait: CapacityWait) {
        if self.waiting.get(&service) == Some(&wait) {
            return;
        }
        self.remove(service);
        self.waiting.insert(service, wait);
        assert!(self.by_size.entry(wait.memory).or_default().insert((wait.cpu, service)), "a waiter is filed once");
        if wait.daemon {
            self.daemons.insert(service);
        }
        if wait.reads_task_groups {
            self.task_group_readers.insert(service);
        }
    }

    fn remove(&mut self, service: ServiceId) {
        let Some(wait) = self.waiting.remove(&service) else { return };
        if self.waiting.is_empty() {
            self.unannounced_everywhere = false;
            self.unannounced_on.clear();
        }
        let sizes = self.by_size.get_mut(&wait.memory).expect("a waiter is filed by its memory");
        assert!(sizes.remove(&(wait.cpu, service)), "a waiter is filed by its size");
        if sizes.is_empty() {
            self.by_size.remove(&wait.memory);
        }
        self.daemons.remove(&service);
        self.task_group_readers.remove(&service);
    }

    /// The waiting services whose task fits in this much free CPU, memory and GPUs, in ID order
    /// (filed by memory and CPU: the few that need GPUs are passed over here).
    fn fitting_in(&self, cpu: i64, memory: i64, gpu: u32) -> Vec<ServiceId> {
        let mut fitting: Vec<ServiceId> = self
            .by_size
            .range(..=memory)
            .flat_map(|(_, sizes)| sizes.range(..=(cpu, ServiceId(u32::MAX))).map(|&(_, s)| s))
            .filter(|s| self.waiting[s].gpu <= gpu)
            .collect();
        fitting.sort_unstable();
        fitting
    }

    fn take(&mut self, pick: WaiterPick) -> Vec<ServiceId> {
        let mut taken: Vec<ServiceId> = match pick {
            WaiterPick::All => self.waiting.keys().copied().collect(),
            WaiterPick::Daemons => self.daemons.iter().copied().collect(),
            WaiterPick::TaskGroupReadersBut(own) => self.task_group_readers.iter().copied().filter(|s| Some(*s) != own).collect(),
        };
        taken.sort_unstable();
        // The last one removed ends any unannounced room (`remove`).
        for &s in &taken {
            self.remove(s);
        }
        taken
    }

    /// Whether the size, DAEMON and `task:group` sets file exactly the waiting services, each as
    /// its wait says.
    pub(crate) fn indexes_agree(&self) -> bool {
        let filed: usize = self.by_size.values().map(|s| s.len()).sum();
        filed == self.waiting.len()
            && self.by_size.values().all(|s| !s.is_empty())
            && self.waiting.iter().all(|(s, w)| {
                self.by_size.get(&w.memory).is_some_and(|sizes| sizes.contains(&(w.cpu, *s)))
                    && self.daemons.contains(s) == w.daemon
                    && self.task_group_readers.contains(s) == w.reads_task_groups
            })
            && self.daemons.iter().chain(&self.task_group_readers).all(|s| self.waiting.contains_key(s))
            && ((!self.unannounced_everywhere && self.unannounced_on.is_empty()) || !self.waiting.is_empty())
    }

    /// The waiting services and what each waits for, in ID order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ServiceId, CapacityWait)> + '_ {
        self.waiting.iter().map(|(s, w)| (*s, *w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placement::Owner;

    /// What a wake by an instance with this much room takes: the waiters whose task fits in it
    /// (the engine asks their `memberOf` expressions too).
    fn take_fitting(w: &mut CapacityWaiters, cpu: i64, memory: i64) -> Vec<ServiceId> {
        take_fitting_gpus(w, cpu, memory, 0)
    }

    fn take_fitting_gpus(w: &mut CapacityWaiters, cpu: i64, memory: i64, gpu: u32) -> Vec<ServiceId> {
        let fitting = w.fitting_in(cpu, memory, gpu);
        for s in &fitting {
            w.remove(*s);
        }
        fitting
    }

    /// A wake by an instance's room takes the waiters whose task fits in it, whatever the other
    /// waiters' sizes; the DAEMON and `task:group` picks take only theirs; a service waiting again
    /// for another task is filed anew; every take leaves the sets mirroring what is left.
    #[test]
    fn capacity_waiters_are_taken_by_what_they_wait_for() {
        let wait = |cpu, memory| CapacityWait { cpu, memory, gpu: 0, daemon: false, reads_task_groups: false };
        let mut w = CapacityWaiters::default();
        w.insert(ServiceId(4), wait(256, 512));
        w.insert(ServiceId(1), wait(1024, 512));
        w.insert(ServiceId(7), wait(256, 4096));
        w.insert(ServiceId(2), CapacityWait { daemon: true, ..wait(128, 128) });
        w.insert(ServiceId(9), CapacityWait { reads_task_groups: true, ..wait(2048, 8192) });
        assert!(w.indexes_agree());
        // 512 CPU units and 1 GiB free: the two tasks within both.
        assert_eq!(take_fitting(&mut w, 512, 1024), [ServiceId(2), ServiceId(4)]);
        assert!(w.indexes_agree());
        assert_eq!(take_fitting(&mut w, 512, 1024), []);
        assert_eq!(w.take(WaiterPick::Daemons), []);
        // Exactly the room asked for fits.
        assert_eq!(take_fitting(&mut w, 1024, 512), [ServiceId(1)]);
        // Service 7 now waits for a smaller task: filed by that size only.
        w.insert(ServiceId(7), wait(64, 64));
        assert!(w.indexes_agree());
        assert_eq!(w.take(WaiterPick::TaskGroupReadersBut(Some(ServiceId(9)))), []);
        assert_eq!(take_fitting(&mut w, 64, 64), [ServiceId(7)]);
        assert_eq!(w.take(WaiterPick::TaskGroupReadersBut(None)), [ServiceId(9)]);
        assert!(w.indexes_agree() && w.iter().next().is_none());
        // A task that needs GPUs is woken only by an instance with that many free.
        w.insert(ServiceId(5), CapacityWait { gpu: 2, ..wait(256, 512) });
        assert_eq!(take_fitting(&mut w, 4096, 8192), []);
        assert_eq!(take_fitting_gpus(&mut w, 4096, 8192, 1), []);
        assert_eq!(take_fitting_gpus(&mut w, 4096, 8192, 2), [ServiceId(5)]);
        assert!(w.indexes_agree() && w.iter().next().is_none());
        w.insert(ServiceId(3), wait(1, 1));
        w.remove(ServiceId(3));
        w.remove(ServiceId(3));
        assert_eq!(w.take(WaiterPick::All), []);
        assert!(w.indexes_agree());

        // Room no wake announced lasts while a service waits, and goes when the last one stops.
        w.insert(ServiceId(5), wait(1, 1));
        w.insert(ServiceId(6), wait(8, 8));
        w.unannounced_everywhere = true;
        w.unannounced_on.insert(InstanceId(3));
        assert_eq!(take_fitting(&mut w, 4, 4), [ServiceId(5)]);
        assert!(w.unannounced_everywhere && w.indexes_agree());
        assert_eq!(w.take(WaiterPick::All), [ServiceId(6)]);
        assert!(!w.unannounced_everywhere && w.unannounced_on.is_empty() && w.indexes_agree());
        w.unannounced_on.insert(InstanceId(3));
        assert!(!w.indexes_agree(), "no room is unannounced to nobody");
    }

    /// A cluster notes at most `ROOM_ORDERS_PER_CLUSTER` owners keeping a room order; an owner
    /// already noted is noted again without counting twice, and a forgotten one frees its place.
    #[test]
    fn room_orders_are_bounded_per_cluster() {
        let mut strings = crate::infra::intern::Interner::default();
        let mut clusters = Clusters::default();
        let id = clusters.push(strings.intern("prod"), "prod");
        for s in 0..ROOM_ORDERS_PER_CLUSTER {
            assert!(clusters.note_room_ordered(id, Owner::Service(ServiceId(s as u32))));
        }
        assert!(clusters.note_room_ordered(id, Owner::Service(ServiceId(0))), "noted already");
        let late = Owner::Group(strings.intern("batch"));
        assert!(!clusters.note_room_ordered(id, late), "the cluster has its fill");
        assert_eq!(clusters.room_ordered(id).len(), ROOM_ORDERS_PER_CLUSTER);
        clusters.forget_room_ordered(id, Owner::Service(ServiceId(3)));
        assert!(clusters.note_room_ordered(id, late));
        assert_eq!(clusters.room_ordered(id).last(), Some(&late));
        assert!(!clusters.room_ordered(id).contains(&Owner::Service(ServiceId(3))));
    }
}
