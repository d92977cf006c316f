//! Task placement in ECS's order (reference §2.3): (1) instances whose resources fit — CPU, memory,
//! ports, task ENIs — among ACTIVE instances with a connected agent, (2) placement constraints,
//! (3) strategies, (4) selection.
//!
//! Placement stays cheap on big clusters: each cluster keeps an ordered index of its placeable
//! instances by free memory and by free CPU, overall and per Availability Zone, so binpack is a range
//! query and spread-by-instance stops at the first instance without a task of the service.

use std::collections::{BTreeMap, BTreeSet};

use crate::api;
use crate::errors::EcsError;
use crate::ids::{ClusterId, InstanceId, ServiceId, TaskDefId};
use crate::instances::{InstanceState, Resources};
use crate::intern::Sym;
use crate::Engine;

/// What a task needs from an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    pub cpu: i64,
    pub memory: i64,
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub awsvpc: bool,
}

/// A placement strategy rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Random,
    /// spread by `instanceId` / `host`.
    SpreadInstance,
    /// spread by `attribute:<name>` (the Availability Zone uses the per-AZ index).
    SpreadAttribute(Sym),
    BinpackCpu,
    BinpackMemory,
}

/// Whose tasks count for spread and `distinctInstance`: a service's, or a task group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Service(ServiceId),
    Group(Sym),
}

/// When the first strategy spreads by zone (`az_attribute`), it only picks the zone, through the
/// per-zone index: `Some` of the strategies that pick within the zone. `None` otherwise.
fn after_zone_spread(strategies: &[Strategy], az_attribute: Option<Sym>) -> Option<&[Strategy]> {
    match strategies.first() {
        Some(Strategy::SpreadAttribute(a)) if az_attribute == Some(*a) => Some(&strategies[1..]),
        _ => None,
    }
}

/// The strategy of a list that picks an instance: its first; spread by instance when none is left.
fn picking(strategies: &[Strategy]) -> Strategy {
    strategies.first().copied().unwrap_or(Strategy::SpreadInstance)
}

/// The strategy that picks among the instances with room (after a zone spread picked the zone).
pub(crate) fn deciding_strategy(strategies: &[Strategy], az_attribute: Option<Sym>) -> Strategy {
    picking(after_zone_spread(strategies, az_attribute).unwrap_or(strategies))
}

/// The key of an instance in the index. Free CPU and memory are `i32`: registration caps
/// resources at `i32::MAX` and remaining resources never go below zero, and 8-byte set entries
/// halve the index on a big cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexKey {
    pub id: InstanceId,
    pub cpu: i32,
    pub memory: i32,
    pub az: Sym,
}

/// An amount as an index key (saturating: the caller checks the fit of every candidate).
pub fn index_amount(v: i64) -> i32 {
    v.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The first index entry with at least `amount` free.
fn at_least(amount: i64) -> std::ops::RangeFrom<(i32, InstanceId)> {
    (index_amount(amount), InstanceId(0))..
}

impl IndexKey {
    /// Whether the instance has room for a task of this size (its size class).
    pub fn has_room_for(&self, cpu: i64, memory: i64) -> bool {
        self.cpu as i64 >= cpu && self.memory as i64 >= memory
    }

    pub fn of(id: InstanceId, i: &InstanceState) -> Self {
        IndexKey { id, cpu: index_amount(i.remaining.cpu), memory: index_amount(i.remaining.memory), az: i.availability_zone }
    }
}

/// Ordered sets of placeable instances by free memory and (once a binpack-by-CPU placement has
/// asked for it) by free CPU.
#[derive(Debug, Clone, Default)]
pub struct CapacitySets {
    pub by_memory: BTreeSet<(i32, InstanceId)>,
    pub by_cpu: BTreeSet<(i32, InstanceId)>,
}

impl CapacitySets {
    fn insert(&mut self, k: IndexKey, track_cpu: bool) {
        self.by_memory.insert((k.memory, k.id));
        if track_cpu {
            self.by_cpu.insert((k.cpu, k.id));
        }
    }
    fn remove(&mut self, k: IndexKey, track_cpu: bool) {
        self.by_memory.remove(&(k.memory, k.id));
        if track_cpu {
            self.by_cpu.remove(&(k.cpu, k.id));
        }
    }
}

/// The placeable instances that have room for at least one task of a given CPU and memory size,
/// overall and per Availability Zone.
#[derive(Debug, Clone, Default)]
pub struct ClassIndex {
    pub all: CapacitySets,
    pub by_az: BTreeMap<Sym, CapacitySets>,
}

impl ClassIndex {
    fn insert(&mut self, k: IndexKey, track_cpu: bool) {
        self.all.insert(k, track_cpu);
        self.by_az.entry(k.az).or_default().insert(k, track_cpu);
    }
    fn remove(&mut self, k: IndexKey, track_cpu: bool) {
        self.all.remove(k, track_cpu);
        if let Some(s) = self.by_az.get_mut(&k.az) {
            s.remove(k, track_cpu);
        }
    }
}

/// Most task sizes indexed per cluster; placements of other sizes use the `(0, 0)` class and skip
/// what does not fit.
pub const MAX_SIZE_CLASSES: usize = 64;

/// The free-capacity index of one cluster. Each *size class* `(cpu, memory)` — one per task size
/// placed so far — holds exactly the placeable instances with room for such a task, ordered by free
/// memory and by free CPU. Binpack is then the first member of a range, and spread stops at the first
/// member without a task of the service: no scan over instances that cannot take the task. The
/// class `(0, 0)` holds every placeable instance. Each resource change updates every class
/// (`O(classes × log n)`). The by-CPU order is only kept once a binpack-by-CPU placement needs it.
#[derive(Debug, Clone)]
pub struct PlacementIndex {
    pub classes: BTreeMap<(i64, i64), ClassIndex>,
    /// Whether the `by_cpu` sets are maintained.
    pub track_cpu: bool,
}

impl Default for PlacementIndex {
    fn default() -> Self {
        let mut classes = BTreeMap::new();
        classes.insert((0, 0), ClassIndex::default());
        PlacementIndex { classes, track_cpu: false }
    }
}

impl PlacementIndex {
    pub fn insert(&mut self, k: IndexKey) {
        for ((cpu, memory), class) in self.classes.iter_mut() {
            if k.has_room_for(*cpu, *memory) {
                class.insert(k, self.track_cpu);
            }
        }
    }
    pub fn remove(&mut self, k: IndexKey) {
        for class in self.classes.values_mut() {
            class.remove(k, self.track_cpu);
        }
    }
    /// The keys of every placeable instance (`key_of` reads an instance's current key).
    fn all_keys(&self, key_of: impl Fn(InstanceId) -> IndexKey) -> Vec<IndexKey> {
        self.everything().all.by_memory.iter().map(|(_, id)| key_of(*id)).collect()
    }

    /// Starts keeping the by-CPU order (binpack by CPU).
    pub fn track_cpu(&mut self, key_of: impl Fn(InstanceId) -> IndexKey) {
        if self.track_cpu {
            return;
        }
        self.track_cpu = true;
        let keys = self.all_keys(key_of);
        for ((cpu, memory), class) in self.classes.iter_mut() {
            for k in &keys {
                if k.has_room_for(*cpu, *memory) {
                    class.all.by_cpu.insert((k.cpu, k.id));
                    class.by_az.entry(k.az).or_default().by_cpu.insert((k.cpu, k.id));
                }
            }
        }
    }
    /// Every placeable instance.
    pub fn everything(&self) -> &ClassIndex {
        &self.classes[&(0, 0)]
    }
    pub fn len(&self) -> usize {
        self.everything().all.by_memory.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The class for a task size, built on first use from the placeable instances; `(0, 0)` when the
    /// class limit is reached.
    pub fn class_for(&mut self, cpu: i64, memory: i64, key_of: impl Fn(InstanceId) -> IndexKey) -> (i64, i64) {
        let key = (cpu.max(0), memory.max(0));
        if self.classes.contains_key(&key) {
            return key;
        }
        if self.classes.len() >= MAX_SIZE_CLASSES {
            return (0, 0);
        }
        let mut class = ClassIndex::default();
        for k in self.all_keys(key_of) {
            if k.has_room_for(key.0, key.1) {
                class.insert(k, self.track_cpu);
            }
        }
        self.classes.insert(key, class);
        key
    }
}

/// Why no instance could take a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementFailure {
    /// `RESOURCE:CPU`, `RESOURCE:MEMORY`, `RESOURCE:PORTS`, `RESOURCE:ENI`, `AGENT`,
    /// `CONSTRAINT:distinctInstance`, or `NO_INSTANCES`.
    pub reason: &'static str,
    /// The closest matching instance, when there was one.
    pub closest: Option<InstanceId>,
}

/// Parses placement strategies (at most 5 rules; reference §2.3).
pub(crate) fn parse_strategies(
    engine: &mut Engine,
    list: &[api::PlacementStrategy],
    _service: bool,
) -> Result<Vec<Strategy>, EcsError> {
    if list.len() > 5 {
        return Err(EcsError::invalid_parameter("At most 5 placement strategy rules are allowed."));
    }
    list.iter()
        .map(|s| match (s.strategy_type.as_str(), s.field.as_deref()) {
            ("random", None) => Ok(Strategy::Random),
            ("binpack", Some(f)) if f.eq_ignore_ascii_case("cpu") => Ok(Strategy::BinpackCpu),
            ("binpack", Some(f)) if f.eq_ignore_ascii_case("memory") => Ok(Strategy::BinpackMemory),
            ("spread", Some("instanceId" | "host")) => Ok(Strategy::SpreadInstance),
            ("spread", Some(f)) if f.starts_with("attribute:") && f.len() > "attribute:".len() => {
                Ok(Strategy::SpreadAttribute(engine.strings.intern(&f["attribute:".len()..])))
            }
            (t, f) => Err(EcsError::invalid_parameter(format!(
                "Invalid placement strategy {{type: {t}, field: {}}}: use random, binpack with cpu or memory, or spread with instanceId, host or attribute:<name>.",
                f.unwrap_or("none")
            ))),
        })
        .collect()
}

/// Parses placement constraints; returns whether `distinctInstance` is set. `memberOf` needs the
/// cluster query language, which drainsim does not support yet: it is refused, never ignored.
pub(crate) fn parse_constraints(list: &[api::PlacementConstraint]) -> Result<bool, EcsError> {
    if list.len() > 10 {
        return Err(EcsError::invalid_parameter("At most 10 placement constraints are allowed."));
    }
    let mut distinct = false;
    for c in list {
        match (c.constraint_type.as_str(), &c.expression) {
            ("distinctInstance", None) => distinct = true,
            ("distinctInstance", Some(_)) => {
                return Err(EcsError::invalid_parameter("A distinctInstance constraint takes no expression."))
            }
            ("memberOf", _) => {
                return Err(EcsError::invalid_parameter(
                    "memberOf placement constraints need the cluster query language, which drainsim does not support yet.",
                ))
            }
            (t, _) => {
                return Err(EcsError::invalid_parameter(format!(
                    "Invalid placement constraint type '{t}'; valid types are [distinctInstance, memberOf]."
                )))
            }
        }
    }
    Ok(distinct)
}

fn ports_free(in_use: &[u16], wanted: &[u16]) -> bool {
    wanted.iter().all(|p| in_use.binary_search(p).is_err())
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
    distinct: bool,
) -> Option<&'static str> {
    let i = &engine.instances[id.index()];
    if !i.agent_connected {
        return Some("AGENT");
    }
    let r: &Resources = &i.remaining;
    if r.cpu < req.cpu {
        return Some("RESOURCE:CPU");
    }
    if r.memory < req.memory {
        return Some("RESOURCE:MEMORY");
    }
    if !ports_free(engine.port_set(r.ports_tcp), &req.ports_tcp) || !ports_free(engine.port_set(r.ports_udp), &req.ports_udp) {
        return Some("RESOURCE:PORTS");
    }
    if req.awsvpc {
        match i.task_eni_limit {
            Some(limit) if i.task_enis_in_use < limit => {}
            _ => return Some("RESOURCE:ENI"),
        }
    }
    if distinct && owner_tasks_on(engine, id, owner) > 0 {
        return Some("CONSTRAINT:distinctInstance");
    }
    None
}

fn unmet_count(engine: &Engine, id: InstanceId, req: &Requirements) -> usize {
    let r = &engine.instances[id.index()].remaining;
    (r.cpu < req.cpu) as usize
        + (r.memory < req.memory) as usize
        + (!ports_free(engine.port_set(r.ports_tcp), &req.ports_tcp) || !ports_free(engine.port_set(r.ports_udp), &req.ports_udp))
            as usize
}

impl Engine {
    /// Changes an instance's remaining resources, keeping the placement index in step.
    pub(crate) fn update_instance_resources(&mut self, id: InstanceId, f: impl FnOnce(&mut Resources)) {
        let indexed = self.instances[id.index()].indexed;
        let cluster = self.instances[id.index()].cluster;
        if indexed {
            let key = IndexKey::of(id, &self.instances[id.index()]);
            self.clusters[cluster.index()].placement.remove(key);
        }
        f(&mut self.instances[id.index()].remaining);
        if indexed {
            let key = IndexKey::of(id, &self.instances[id.index()]);
            self.clusters[cluster.index()].placement.insert(key);
        }
    }

    /// An awsvpc task needs the task ENI limit of every instance type it could land on: an instance
    /// type missing from the table without an explicit limit is a clear error (reference §4.2).
    pub(crate) fn check_eni_limits_known(&self, cluster: ClusterId, td: TaskDefId) -> Result<(), EcsError> {
        if self.task_defs[td.index()].network_mode != crate::tasks::NetworkMode::Awsvpc {
            return Ok(());
        }
        for id in &self.clusters[cluster.index()].instances {
            let i = &self.instances[id.index()];
            if i.task_eni_limit.is_none() && i.status != crate::lifecycle::InstanceStatus::Inactive {
                return Err(EcsError::invalid_parameter(format!(
                    "Instance type {} of container instance {} is not in drainsim's task ENI limit table; give the instance an explicit taskEniLimit to run awsvpc tasks.",
                    self.strings.resolve(i.instance_type),
                    self.strings.resolve(i.name)
                )));
            }
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
        distinct: bool,
    ) -> Result<InstanceId, PlacementFailure> {
        let instances = &self.instances;
        let class = self.clusters[cluster.index()]
            .placement
            .class_for(req.cpu, req.memory, |id| IndexKey::of(id, &instances[id.index()]));
        if let Some(within_zone) = after_zone_spread(strategies, self.strings.get("ecs.availability-zone")) {
            // Order the zones with room by this owner's staying tasks in them, then by name. (A
            // zone without room for this size cannot take the task, so only the class's zones
            // are tried.)
            let mut zones: Vec<(usize, &str, Sym)> = match owner {
                Owner::Service(s) => {
                    let per_az = &self.services[s.index()].spread.per_az;
                    self.clusters[cluster.index()].placement.classes[&class]
                        .by_az
                        .iter()
                        .filter(|(_, sets)| !sets.by_memory.is_empty())
                        .map(|(az, _)| (per_az.get(az).copied().unwrap_or(0) as usize, self.strings.resolve(*az), *az))
                        .collect()
                }
                Owner::Group(_) => {
                    let mut counts: BTreeMap<Sym, usize> = BTreeMap::new();
                    for az in self.clusters[cluster.index()].placement.classes[&class].by_az.keys() {
                        counts.insert(*az, 0);
                    }
                    self.for_each_owner_task(cluster, owner, |e, inst| {
                        if let Some(n) = counts.get_mut(&e.instances[inst.index()].availability_zone) {
                            *n += 1;
                        }
                    });
                    counts.iter().map(|(az, n)| (*n, self.strings.resolve(*az), *az)).collect()
                }
            };
            zones.sort_unstable();
            let zones: Vec<Sym> = zones.into_iter().map(|z| z.2).collect();
            for az in zones {
                if let Some(i) = self.pick_within(cluster, class, Some(az), req, within_zone, owner, distinct) {
                    return Ok(i);
                }
            }
            return Err(self.placement_failure(cluster, req, owner, distinct));
        }
        self.pick_within(cluster, class, None, req, strategies, owner, distinct)
            .ok_or_else(|| self.placement_failure(cluster, req, owner, distinct))
    }

    /// Calls `f` with the instance of every task of `owner` that stays: tasks told to stop and tasks
    /// on DRAINING instances are leaving, so spread balances what will remain (drainsim's choice).
    fn for_each_owner_task(&self, cluster: ClusterId, owner: Owner, mut f: impl FnMut(&Engine, InstanceId)) {
        match owner {
            Owner::Service(s) => {
                debug_assert!(
                    self.services[s.index()].spread.tracks_instances,
                    "spread by an attribute keeps per-instance counts"
                );
                for (instance, n) in &self.services[s.index()].spread.per_instance {
                    for _ in 0..*n {
                        f(self, *instance);
                    }
                }
            }
            Owner::Group(g) => {
                for i in &self.clusters[cluster.index()].instances {
                    for id in &self.instances[i.index()].tasks {
                        let origin = self.task_origin(*id);
                        if origin.service.is_none() && origin.group == g && self.is_staying(*id) {
                            f(self, *i);
                        }
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pick_within(
        &mut self,
        cluster: ClusterId,
        class: (i64, i64),
        az: Option<Sym>,
        req: &Requirements,
        strategies: &[Strategy],
        owner: Owner,
        distinct: bool,
    ) -> Option<InstanceId> {
        let index = &self.clusters[cluster.index()].placement.classes[&class];
        let sets = match az {
            None => &index.all,
            Some(az) => index.by_az.get(&az)?,
        };
        let fits = |e: &Engine, id: InstanceId| unmet_requirement(e, id, req, owner, distinct).is_none();
        match picking(strategies) {
            Strategy::BinpackMemory => sets.by_memory.range(at_least(req.memory)).map(|(_, id)| *id).find(|id| fits(self, *id)),
            Strategy::BinpackCpu => {
                if !self.clusters[cluster.index()].placement.track_cpu {
                    let instances = &self.instances;
                    self.clusters[cluster.index()].placement.track_cpu(|id| IndexKey::of(id, &instances[id.index()]));
                }
                let index = &self.clusters[cluster.index()].placement.classes[&class];
                let sets = match az {
                    None => &index.all,
                    Some(az) => index.by_az.get(&az)?,
                };
                sets.by_cpu.range(at_least(req.cpu)).map(|(_, id)| *id).find(|id| fits(self, *id))
            }
            Strategy::Random => {
                // Sample instances of the cluster uniformly (from the placement stream) until one is
                // in this size class and fits; after 64 misses, choose among all that fit.
                let cluster_instances = self.clusters[cluster.index()].instances.len();
                for _ in 0..64 {
                    if cluster_instances == 0 {
                        break;
                    }
                    let k = self.rng.placement_index(cluster_instances);
                    let id = self.clusters[cluster.index()].instances[k];
                    let i = &self.instances[id.index()];
                    let in_sets = match az {
                        None => true,
                        Some(z) => i.availability_zone == z,
                    };
                    if i.indexed && in_sets && i.remaining.cpu >= class.0 && i.remaining.memory >= class.1 && fits(self, id) {
                        return Some(id);
                    }
                }
                let index = &self.clusters[cluster.index()].placement.classes[&class];
                let sets = match az {
                    None => &index.all,
                    Some(az) => index.by_az.get(&az)?,
                };
                let mut candidates: Vec<InstanceId> =
                    sets.by_memory.range(at_least(req.memory)).map(|(_, id)| *id).filter(|id| fits(self, *id)).collect();
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
                let staying_on = |e: &Engine, id: InstanceId| match owner {
                    Owner::Service(s) => e.services[s.index()].spread.per_instance.get(&id).copied().unwrap_or(0) as usize,
                    Owner::Group(_) => owner_tasks_on(e, id, owner),
                };
                let occupied = match (owner, az) {
                    (Owner::Service(s), None) => self.services[s.index()].spread.per_instance.len(),
                    (Owner::Service(s), Some(z)) => {
                        self.services[s.index()].spread.occupied_per_az.get(&z).copied().unwrap_or(0) as usize
                    }
                    (Owner::Group(_), _) => usize::MAX,
                };
                // Phase 1: an instance without a staying task of the owner, most free memory first.
                // While fewer instances hold tasks than this pool has members, one must be empty.
                if occupied < sets.by_memory.len() || matches!(owner, Owner::Group(_)) {
                    let mut best: Option<(usize, InstanceId)> = None;
                    for (_, id) in sets.by_memory.range(at_least(req.memory)).rev() {
                        if !fits(self, *id) {
                            continue;
                        }
                        let n = staying_on(self, *id);
                        if n == 0 {
                            return Some(*id);
                        }
                        if best.is_none_or(|(b, _)| n < b) {
                            best = Some((n, *id));
                        }
                    }
                    if matches!(owner, Owner::Group(_)) {
                        return best.map(|(_, id)| id);
                    }
                }
                // Instances that hold tasks but have no room still count as occupied, so an empty
                // member may remain: look among the 64 members with the most free memory (where empty
                // instances sort) before taking the fewest-tasks member.
                if let Some(id) = sets
                    .by_memory
                    .range(at_least(req.memory))
                    .rev()
                    .take(64)
                    .map(|(_, id)| *id)
                    .find(|id| staying_on(self, *id) == 0 && fits(self, *id))
                {
                    return Some(id);
                }
                // Phase 2: every pool member holds tasks; fewest first (the service's ordered counts).
                let Owner::Service(s) = owner else { unreachable!("groups returned above") };
                let class_members: Vec<InstanceId> = self.services[s.index()]
                    .spread
                    .by_count
                    .iter()
                    .map(|(_, id)| *id)
                    .filter(|id| {
                        let i = &self.instances[id.index()];
                        i.indexed && i.remaining.cpu >= class.0 && i.remaining.memory >= class.1 && in_az(self, *id)
                    })
                    .take(256)
                    .collect();
                class_members.into_iter().find(|id| fits(self, *id)).or_else(|| {
                    // Nothing among the first candidates fits (ports, ENIs): fall back to a scan.
                    sets.by_memory
                        .range(at_least(req.memory))
                        .rev()
                        .map(|(_, id)| *id)
                        .filter(|id| fits(self, *id))
                        .min_by_key(|id| staying_on(self, *id))
                })
            }
            Strategy::SpreadAttribute(attr) => {
                let candidates: Vec<InstanceId> =
                    sets.by_memory.range(at_least(req.memory)).map(|(_, id)| *id).filter(|id| fits(self, *id)).collect();
                let value_of = |e: &Engine, id: InstanceId| e.instance_attribute(id, attr).flatten();
                let mut counts: BTreeMap<Option<Sym>, usize> = BTreeMap::new();
                self.for_each_owner_task(cluster, owner, |e, inst| *counts.entry(value_of(e, inst)).or_insert(0) += 1);
                candidates
                    .into_iter()
                    .map(|id| {
                        let v = value_of(self, id);
                        (counts.get(&v).copied().unwrap_or(0), v.map(|s| self.strings.resolve(s).to_string()), id)
                    })
                    .min()
                    .map(|(_, _, id)| id)
            }
        }
    }

    /// The failure of a placement that found nothing: the closest matching instance is the placeable
    /// one that misses the fewest resources (ties: most free memory, then the later-registered instance).
    fn placement_failure(&self, cluster: ClusterId, req: &Requirements, owner: Owner, distinct: bool) -> PlacementFailure {
        let index = &self.clusters[cluster.index()].placement;
        if index.is_empty() {
            let disconnected = self.clusters[cluster.index()].instances.iter().copied().find(|i| {
                let i = &self.instances[i.index()];
                i.status == crate::lifecycle::InstanceStatus::Active && !i.agent_connected
            });
            return match disconnected {
                Some(i) => PlacementFailure { reason: "AGENT", closest: Some(i) },
                None => PlacementFailure { reason: "NO_INSTANCES", closest: None },
            };
        }
        let closest = index
            .everything()
            .all
            .by_memory
            .iter()
            .rev()
            .map(|(_, id)| *id)
            .min_by_key(|id| unmet_count(self, *id, req))
            .expect("index is not empty");
        let reason = unmet_requirement(self, closest, req, owner, distinct).unwrap_or("RESOURCE:CPU");
        PlacementFailure { reason, closest: Some(closest) }
    }
}
