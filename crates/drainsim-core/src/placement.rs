//! Task placement in ECS's order (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>): (1) instances whose resources fit — CPU, GPUs, memory,
//! ports, task ENIs — among ACTIVE instances with a connected agent, (2) placement constraints,
//! (3) strategies, (4) selection.
//!
//! Placement stays cheap on big clusters: each cluster keeps an ordered index of its placeable
//! instances by free memory and by free CPU, overall and per Availability Zone, so binpack is a range
//! query and spread-by-instance stops at the first instance without a task of the service.

use std::collections::{BTreeMap, BTreeSet};

use crate::api;
use crate::errors::EcsError;
use crate::infra::ids::{InstanceId, ServiceId};
use crate::infra::intern::Sym;
use crate::infra::shared::PortSetId;

/// The port sets are shared ([`PortSetId`]): instances registered alike reserve the same ports.
/// GPUs are counted apart, in the instance's record (`InstanceState::gpus_free`), and which they
/// are in the instance table ([`crate::state::instance::GpuDevices`]): a count here would make
/// every instance record 8 bytes bigger for the few instances that have GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Resources {
    pub cpu: i64,
    pub memory: i64,
    pub ports_tcp: PortSetId,
    pub ports_udp: PortSetId,
}

/// Why a task could not be placed: the first requirement the closest instance does not meet, in
/// ECS's order (agent, CPU, GPU, memory, ports, task ENI, the awsvpc subnets' zone, then constraints). [`Display`](std::fmt::Display)
/// gives ECS's `reason` text (RunTask and StartTask `failures[].reason`; see
/// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html>).
///
/// The variants are declared in the order of their text, so ordered maps keyed by them list
/// reasons as they always have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlacementFailureReason {
    /// `AGENT`: the instance's agent is disconnected.
    Agent,
    /// `CONSTRAINT:distinctInstance`: the instance already runs a task of the service or group.
    DistinctInstance,
    /// `CONSTRAINT:memberOf`: the instance does not satisfy a `memberOf` expression.
    MemberOf,
    /// `LOCATION`: the instance is not in the Availability Zone of any of the awsvpc task's
    /// subnets (`crate::engine::subnets`).
    Location,
    /// `NO_INSTANCES`: no ACTIVE instance with a connected agent exists.
    NoInstances,
    /// `RESOURCE:CPU`: not enough CPU units free.
    Cpu,
    /// `RESOURCE:ENI`: no task ENI free (or the instance type's limit is unknown).
    Eni,
    /// `RESOURCE:GPU`: fewer GPUs free than the task's containers reserve.
    Gpu,
    /// `RESOURCE:MEMORY`: not enough memory free.
    Memory,
    /// `RESOURCE:PORTS`: a host port the task needs is in use.
    Ports,
}

impl PlacementFailureReason {
    /// Every reason, in the order of their text.
    pub const ALL: [PlacementFailureReason; 10] = [
        PlacementFailureReason::Agent,
        PlacementFailureReason::DistinctInstance,
        PlacementFailureReason::MemberOf,
        PlacementFailureReason::Location,
        PlacementFailureReason::NoInstances,
        PlacementFailureReason::Cpu,
        PlacementFailureReason::Eni,
        PlacementFailureReason::Gpu,
        PlacementFailureReason::Memory,
        PlacementFailureReason::Ports,
    ];

    /// Whether the reason is a `memberOf` list's answer: a placement constraint's, or the test
    /// of an awsvpc task's subnet zones (`LOCATION`).
    pub(crate) fn is_member_of_test(self) -> bool {
        matches!(self, PlacementFailureReason::MemberOf | PlacementFailureReason::Location)
    }

    /// ECS's reason text.
    pub fn as_str(self) -> &'static str {
        match self {
            PlacementFailureReason::Agent => "AGENT",
            PlacementFailureReason::DistinctInstance => "CONSTRAINT:distinctInstance",
            PlacementFailureReason::MemberOf => "CONSTRAINT:memberOf",
            PlacementFailureReason::Location => "LOCATION",
            PlacementFailureReason::NoInstances => "NO_INSTANCES",
            PlacementFailureReason::Cpu => "RESOURCE:CPU",
            PlacementFailureReason::Eni => "RESOURCE:ENI",
            PlacementFailureReason::Gpu => "RESOURCE:GPU",
            PlacementFailureReason::Memory => "RESOURCE:MEMORY",
            PlacementFailureReason::Ports => "RESOURCE:PORTS",
        }
    }

    /// The reason ECS gives for it in a RunTask or StartTask `failures` entry, and quotes in a
    /// service's "encountered error" event: for a placement constraint a sentence
    /// (`MemberOf placement constraint unsatisfied.`, listed as a stopped reason at
    /// <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html>;
    /// `DistinctInstance placement constraint unsatisfied.` as RunTask answers), for the rest the
    /// code [`Self::as_str`] gives. drainsim's reports and expectations count by the code.
    pub fn failure_reason(self) -> &'static str {
        match self {
            PlacementFailureReason::DistinctInstance => "DistinctInstance placement constraint unsatisfied.",
            PlacementFailureReason::MemberOf => "MemberOf placement constraint unsatisfied.",
            other => other.as_str(),
        }
    }
}

impl std::fmt::Display for PlacementFailureReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a task needs from an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirements {
    pub cpu: i64,
    pub memory: i64,
    pub ports_tcp: Vec<u16>,
    pub ports_udp: Vec<u16>,
    pub awsvpc: bool,
    /// The GPUs its containers reserve (`resourceRequirements` of type `GPU`, summed).
    pub gpu: u32,
}

impl Requirements {
    /// Whether the task reserves any host port (TCP or UDP).
    pub fn has_host_ports(&self) -> bool {
        !self.ports_tcp.is_empty() || !self.ports_udp.is_empty()
    }
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
pub(crate) fn after_zone_spread(strategies: &[Strategy], az_attribute: Sym) -> Option<&[Strategy]> {
    match strategies.first() {
        Some(Strategy::SpreadAttribute(a)) if az_attribute == *a => Some(&strategies[1..]),
        _ => None,
    }
}

/// The strategy of a list that picks an instance: its first; spread by instance when none is left.
pub(crate) fn picking(strategies: &[Strategy]) -> Strategy {
    strategies.first().copied().unwrap_or(Strategy::SpreadInstance)
}

/// The rules that pick among the instances with room: those after a first spread by zone (which
/// picks the zone), else the whole list.
pub(crate) fn picking_rules(strategies: &[Strategy], az_attribute: Sym) -> &[Strategy] {
    after_zone_spread(strategies, az_attribute).unwrap_or(strategies)
}

/// The strategy that picks among the instances with room (after a zone spread picked the zone).
pub(crate) fn deciding_strategy(strategies: &[Strategy], az_attribute: Sym) -> Strategy {
    picking(picking_rules(strategies, az_attribute))
}

/// The rule that picks within a value after a spread by an attribute, from the rules after that
/// spread: the next one, or spread by instance when there is none or it is another spread by an
/// attribute (drainsim does not nest them).
pub(crate) fn within_value(rest: &[Strategy]) -> Strategy {
    match picking(rest) {
        Strategy::SpreadAttribute(_) => Strategy::SpreadInstance,
        rule => rule,
    }
}

/// How spread by instance breaks its ties among the instances holding the fewest of the owner's
/// tasks, from the rules that pick (`picks`: a list from its picking rule, after a spread by zone):
/// when the picking rule spreads by instance, a binpack rule right after it takes the least free
/// memory (or CPU) among them, as ECS applies a list's rules in order — "Distribute tasks evenly
/// across instances and then bin pack tasks based on memory"
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/strategy-examples.html>). Otherwise
/// (and for an empty list, which spreads by instance alone) drainsim breaks them by its own rule
/// (docs/ecs-choices.md, "Placement strategies and tie-breaks").
pub(crate) fn spread_tie(picks: &[Strategy]) -> SpreadTie {
    match picks {
        [Strategy::SpreadInstance, Strategy::BinpackMemory, ..] => SpreadTie::LeastMemory,
        [Strategy::SpreadInstance, Strategy::BinpackCpu, ..] => SpreadTie::LeastCpu,
        _ => SpreadTie::Own,
    }
}

/// How spread by instance breaks its ties ([`spread_tie`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpreadTie {
    /// drainsim's own rule: the most free memory among the unoccupied instances (ties: the
    /// later-registered), the earlier-registered among the occupied ones.
    Own,
    /// The least free memory that fits (ties: the earlier-registered), as binpack by memory.
    LeastMemory,
    /// The least free CPU that fits (ties: the earlier-registered), as binpack by CPU.
    LeastCpu,
}

impl SpreadTie {
    /// The key an instance with `memory` and `cpu` free (as the placement index keys them) is
    /// ordered by within its count: 0 under drainsim's own rule, which orders by instance.
    pub fn key(self, memory: i32, cpu: i32) -> i32 {
        match self {
            SpreadTie::Own => 0,
            SpreadTie::LeastMemory => memory,
            SpreadTie::LeastCpu => cpu,
        }
    }
}

/// How many of a list's rules, from the first, drainsim applies: a first spread by zone (it picks
/// the zone), then the rule that picks ([`picking`]) and, when that spreads by an attribute, the
/// rule after it if it is the one that picks within the value ([`within_value`]), or, when it
/// spreads by instance, a binpack rule after it that breaks its ties ([`spread_tie`]). ECS
/// applies every rule in order, each breaking the ties the ones before it leave
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html>);
/// drainsim breaks the picking rule's ties by its own rule (docs/ecs-choices.md, "Placement
/// strategies and tie-breaks"), since reading every tied instance — in a fresh cluster, all of
/// them — is what the index avoids. The rules after these are not applied.
pub(crate) fn applied_rules(strategies: &[Strategy], az_attribute: Sym) -> usize {
    let zone = usize::from(after_zone_spread(strategies, az_attribute).is_some());
    match &strategies[zone..] {
        [] => zone,
        [Strategy::SpreadAttribute(_), rest @ ..] if rest.first() == Some(&within_value(rest)) => zone + 2,
        picks @ [Strategy::SpreadInstance, ..] if spread_tie(picks) != SpreadTie::Own => zone + 2,
        _ => zone + 1,
    }
}

/// The key of an instance in the index. Free CPU and memory are `i32`: registration caps
/// resources at `i32::MAX` and remaining resources never go below zero, and 8-byte set entries
/// halve the index on a big cluster. The ports in use decide its membership in port classes;
/// whether it has a task ENI free, its membership in the classes of awsvpc tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexKey {
    pub id: InstanceId,
    pub cpu: i32,
    pub memory: i32,
    pub az: Sym,
    pub ports_tcp: PortSetId,
    pub ports_udp: PortSetId,
    /// Fewer task ENIs in use than its task ENI limit (an instance without a known limit has none).
    pub task_eni_free: bool,
    /// GPUs free (a byte, in what would be padding: at most 64 are registered).
    pub gpu: u8,
}

/// An amount as an index key (saturating: the caller checks the fit of every candidate).
pub fn index_amount(v: i64) -> i32 {
    v.clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The first index entry with at least `amount` free.
pub(crate) fn at_least(amount: i64) -> std::ops::RangeFrom<(i32, InstanceId)> {
    (index_amount(amount), InstanceId(0))..
}

impl IndexKey {
    /// Whether the instance has room for a task of this size (its size class).
    pub fn has_room_for(&self, cpu: i64, memory: i64) -> bool {
        self.cpu as i64 >= cpu && self.memory as i64 >= memory
    }

    /// The key of an instance with `remaining` resources and `gpus_free` GPUs in zone `az`, with a
    /// task ENI free or not.
    pub fn of(id: InstanceId, remaining: &Resources, gpus_free: u8, az: Sym, task_eni_free: bool) -> Self {
        IndexKey {
            id,
            cpu: index_amount(remaining.cpu),
            memory: index_amount(remaining.memory),
            az,
            ports_tcp: remaining.ports_tcp,
            ports_udp: remaining.ports_udp,
            task_eni_free,
            gpu: gpus_free,
        }
    }
}

/// The interned port sets: the ports in use on instances, and the host ports of port classes.
/// `PortSetId(0)` is the empty set.
pub type PortSets = crate::infra::shared::SharedTable<Vec<u16>, PortSetId>;

/// A list of `memberOf` expressions a constraint class selects by, numbered from 1 in the order
/// the cluster's index first kept one (`PlacementIndex::member_of_lists`); 0: none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemberOfId(pub u32);

/// A class of the placement index: the placeable instances with room for a task of `cpu`,
/// `memory` and `gpu` GPUs — and, for an awsvpc task (`task_eni`), a task ENI free — (a *size
/// class*) and, for a
/// *port class*, with every host port of `ports_tcp` and
/// `ports_udp` (interned sets) free as well; for a *constraint class*, those of a size class (or
/// of a port class: a class may be both) that satisfy the `memberOf` expressions `member_of`.
/// Ordered by `member_of` first, so that the classes of one list are a range of the index's
/// classes ([`list_classes`]) and the size and port classes come before every constraint class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SizeClass {
    pub member_of: MemberOfId,
    pub cpu: i64,
    pub memory: i64,
    pub ports_tcp: PortSetId,
    pub ports_udp: PortSetId,
    /// Its members have a task ENI free: the class of an awsvpc task, which takes one (an awsvpc
    /// task has no host ports, so no class has both).
    pub task_eni: bool,
    /// Its members have at least this many GPUs free.
    pub gpu: u32,
}

/// The classes of `memberOf` list `list` in the index's order (list 0: the size and port
/// classes).
pub fn list_classes(list: MemberOfId) -> std::ops::Range<SizeClass> {
    let first = |member_of| SizeClass {
        member_of,
        cpu: i64::MIN,
        memory: i64::MIN,
        ports_tcp: PortSetId(0),
        ports_udp: PortSetId(0),
        task_eni: false,
        gpu: 0,
    };
    first(list)..first(MemberOfId(list.0.checked_add(1).expect("fewer than 2^32 memberOf lists")))
}

/// Calls `f` with each class an instance satisfying exactly the lists `lists` may be a member of:
/// every size and port class, and the classes of those lists.
fn member_classes(
    classes: &mut BTreeMap<SizeClass, ClassIndex>,
    lists: &[MemberOfId],
    mut f: impl FnMut(&SizeClass, &mut ClassIndex),
) {
    // The size and port classes come first: read in order, with no search for where they end.
    for (key, class) in classes.iter_mut().take_while(|(key, _)| !key.has_member_of()) {
        f(key, class);
    }
    for list in lists {
        for (key, class) in classes.range_mut(list_classes(*list)) {
            f(key, class);
        }
    }
}

impl SizeClass {
    /// The size class of a task of this CPU and memory (no host ports) that takes no task ENI.
    pub const fn of_size(cpu: i64, memory: i64) -> Self {
        SizeClass::of_task(cpu, memory, false)
    }
    /// The size class of a task of this CPU and memory that takes a task ENI (`task_eni`: an
    /// awsvpc task) or not.
    pub const fn of_task(cpu: i64, memory: i64, task_eni: bool) -> Self {
        SizeClass { cpu, memory, ports_tcp: PortSetId(0), ports_udp: PortSetId(0), member_of: MemberOfId(0), task_eni, gpu: 0 }
    }
    /// The class of a task of this size that needs `gpu` GPUs as well.
    pub const fn with_gpu(self, gpu: u32) -> Self {
        SizeClass { gpu, ..self }
    }
    /// Whether an instance with key `k` has the room of the class: its CPU, its memory, its GPUs
    /// and, for an awsvpc task's class, a task ENI.
    pub fn has_room(&self, k: &IndexKey) -> bool {
        k.has_room_for(self.cpu, self.memory) && u32::from(k.gpu) >= self.gpu && (!self.task_eni || k.task_eni_free)
    }
    /// Whether this is a port class.
    pub fn has_ports(&self) -> bool {
        self.ports_tcp != PortSetId(0) || self.ports_udp != PortSetId(0)
    }
    /// Whether this is a constraint class.
    pub fn has_member_of(&self) -> bool {
        self.member_of != MemberOfId(0)
    }
    /// Whether this is a size class: neither a port class nor a constraint class.
    pub fn is_size_only(&self) -> bool {
        !self.has_ports() && !self.has_member_of()
    }
    /// Whether an instance with key `k` has the room and ports to be a member: room for the size
    /// and, for a port class, every one of the class's ports free (`ports` resolves the interned
    /// sets). A constraint class's members must also satisfy its expressions
    /// ([`PlacementIndex`] keeps which instances do).
    pub fn admits(&self, k: &IndexKey, ports: &PortSets) -> bool {
        self.has_room(k)
            && (!self.has_ports()
                || ports_fit(
                    (ports.get(k.ports_tcp), ports.get(k.ports_udp)),
                    (ports.get(self.ports_tcp), ports.get(self.ports_udp)),
                ))
    }
}

impl std::fmt::Display for SizeClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({}, {})", self.cpu, self.memory)?;
        if self.gpu > 0 {
            write!(f, " with {} GPUs free", self.gpu)?;
        }
        if self.task_eni {
            write!(f, " with a free task ENI")?;
        }
        if self.has_ports() {
            write!(f, " with port sets {} and {}", self.ports_tcp.0, self.ports_udp.0)?;
        }
        if self.has_member_of() {
            write!(f, " within memberOf list {}", self.member_of.0)?;
        }
        Ok(())
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

/// A size class's members by their value of one attribute (`None`: lacking it or without a
/// value), each value's ordered by free memory and (while the cluster keeps the by-CPU order) by
/// free CPU, as a zone's are.
pub type ValueMembers = BTreeMap<Option<Sym>, CapacitySets>;

/// The placeable instances of each value of one attribute, in no particular order, so that
/// `random` within a value samples one uniformly in constant time (as `random` samples the
/// cluster's instances). `at` is each instance's place in its value's list, by instance index.
#[derive(Debug, Clone, Default)]
pub struct ValueSamples {
    pub by_value: BTreeMap<Option<Sym>, Vec<InstanceId>>,
    pub at: Vec<u32>,
    /// The values' text order, which spread by the attribute visits values of equal counts in.
    pub ranks: ValueRanks,
}

/// The text order of one tracked attribute's values (`None`, lacking the attribute, first), as
/// ranks: spread by an attribute visits the values with the fewest of the owner's tasks first,
/// ties in this order, and keeps its order by these ranks
/// (the services' and task groups' spread counts keep them) instead of sorting every value by its text at each
/// placement. The ranks are given anew ([`PlacementIndex::rank_values`]) when a spread reads them
/// after an unranked value became placeable; each giving has its own `epoch`, so an order kept by
/// older ranks is known to be stale.
#[derive(Debug, Clone, Default)]
pub struct ValueRanks {
    /// Each ranked value's place in the text order.
    rank_of: BTreeMap<Option<Sym>, u32>,
    /// The ranked values in text order.
    by_rank: Vec<Option<Sym>>,
    /// Whether a value without a rank has become placeable since the ranks were given.
    unranked: bool,
    /// Which giving of ranks these are: unique within the cluster's index, 0 before the first.
    pub epoch: u64,
}

impl ValueRanks {
    /// The ranks of `by_rank`, values already in text order, as giving `epoch`.
    pub fn in_order(by_rank: Vec<Option<Sym>>, epoch: u64) -> ValueRanks {
        let rank_of = by_rank.iter().enumerate().map(|(n, v)| (*v, u32::try_from(n).expect("fewer than 2^32 values"))).collect();
        ValueRanks { rank_of, by_rank, unranked: false, epoch }
    }
    /// The rank of `value` (none for a value that was not placeable when the ranks were given).
    pub fn rank(&self, value: Option<Sym>) -> Option<u32> {
        self.rank_of.get(&value).copied()
    }
    /// The value of rank `rank`.
    pub fn value(&self, rank: u32) -> Option<Sym> {
        self.by_rank[rank as usize]
    }
    /// How many values are ranked.
    pub fn ranked(&self) -> usize {
        self.by_rank.len()
    }
    /// Whether every placeable value has a rank, from a giving of ranks (epoch above 0).
    pub fn current(&self) -> bool {
        self.epoch > 0 && !self.unranked
    }
    /// A bit per rank of these ranks, all clear.
    pub fn no_bits(&self) -> RankBits {
        RankBits { epoch: self.epoch, words: vec![0; self.by_rank.len().div_ceil(64)] }
    }
}

/// One bit per rank of an attribute's values ([`ValueRanks`]), for the ranks of epoch `epoch`:
/// the values a size class has members of. Words past the end read as clear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RankBits {
    pub epoch: u64,
    pub words: Vec<u64>,
}

impl RankBits {
    /// Sets or clears rank `rank`'s bit (one of the ranks the bits were made for).
    pub fn set(&mut self, rank: u32, on: bool) {
        let (word, bit) = (rank as usize / 64, rank % 64);
        let w = &mut self.words[word];
        *w = if on { *w | (1 << bit) } else { *w & !(1 << bit) };
    }
    /// Whether rank `rank`'s bit is set.
    pub fn get(&self, rank: u32) -> bool {
        self.words.get(rank as usize / 64).is_some_and(|w| w & (1 << (rank % 64)) != 0)
    }
}

impl ValueSamples {
    /// The placeable instances of `value` (empty when none has it).
    pub fn of(&self, value: Option<Sym>) -> &[InstanceId] {
        self.by_value.get(&value).map_or(&[], Vec::as_slice)
    }
    fn insert(&mut self, id: InstanceId, value: Option<Sym>) {
        if !self.by_value.contains_key(&value) && self.ranks.rank(value).is_none() {
            self.ranks.unranked = true;
        }
        let list = self.by_value.entry(value).or_default();
        if self.at.len() <= id.index() {
            self.at.resize(id.index() + 1, u32::MAX);
        }
        self.at[id.index()] = u32::try_from(list.len()).expect("fewer than 2^32 instances");
        list.push(id);
    }
    fn remove(&mut self, id: InstanceId, value: Option<Sym>) {
        let list = self.by_value.get_mut(&value).expect("a placeable instance is listed under its value");
        let at = self.at[id.index()] as usize;
        assert_eq!(list.get(at), Some(&id), "a placeable instance is listed where its place says");
        list.swap_remove(at);
        if let Some(moved) = list.get(at) {
            self.at[moved.index()] = at as u32;
        }
        self.at[id.index()] = u32::MAX;
        if list.is_empty() {
            self.by_value.remove(&value);
        }
    }
}

/// The placeable instances that have room for at least one task of a given CPU and memory size,
/// overall and per Availability Zone, and by the value of each attribute a spread strategy reads.
#[derive(Debug, Clone, Default)]
pub struct ClassIndex {
    pub all: CapacitySets,
    pub by_az: BTreeMap<Sym, CapacitySets>,
    /// Per attribute in [`PlacementIndex::attribute_values`]: the members by their value of it
    /// (`None`: the instance lacks the attribute or it has no value), ordered by free memory as
    /// `by_memory` is. Values no member has are absent.
    pub by_value: BTreeMap<Sym, ValueMembers>,
    /// Per attribute in `by_value`: the ranks of the values it holds, kept while they are of
    /// the attribute's current ranks (`RankBits::epoch`), rebuilt from `by_value` otherwise
    /// ([`PlacementIndex::rank_values`]).
    pub value_bits: BTreeMap<Sym, RankBits>,
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
    /// Files a member (key `k`) under its value of `attribute`.
    /// `ranks` are the attribute's: a value the class had no member of gets its bit.
    fn insert_value(&mut self, attribute: Sym, value: Option<Sym>, k: IndexKey, track_cpu: bool, ranks: &ValueRanks) {
        let values = self.by_value.entry(attribute).or_default();
        let new_value = !values.contains_key(&value);
        let members = values.entry(value).or_default();
        debug_assert!(!members.by_memory.contains(&(k.memory, k.id)), "an instance is filed once under an attribute");
        members.insert(k, track_cpu);
        if new_value {
            self.note_value(attribute, value, ranks, true);
        }
    }
    /// Takes a member (key `k`) out of its value of `attribute`, dropping the value (and its bit)
    /// when no member has it.
    fn remove_value(&mut self, attribute: Sym, value: Option<Sym>, k: IndexKey, track_cpu: bool, ranks: &ValueRanks) {
        let values = self.by_value.get_mut(&attribute).expect("a tracked attribute has a value map");
        let members = values.get_mut(&value).expect("a member is filed under its value");
        assert!(members.by_memory.contains(&(k.memory, k.id)), "a member is filed under its value");
        members.remove(k, track_cpu);
        if members.by_memory.is_empty() {
            values.remove(&value);
            self.note_value(attribute, value, ranks, false);
        }
    }
    /// The class came to hold (`on`) or no longer holds a value of `attribute`: its bit follows
    /// while the bits are of the current ranks (else they are rebuilt when next read).
    fn note_value(&mut self, attribute: Sym, value: Option<Sym>, ranks: &ValueRanks, on: bool) {
        if !ranks.current() {
            return;
        }
        let Some(bits) = self.value_bits.get_mut(&attribute).filter(|b| b.epoch == ranks.epoch) else { return };
        let rank = ranks.rank(value).expect("a placeable value has a current rank");
        bits.set(rank, on);
    }
    /// Rebuilds the bits of `attribute` from the values the class holds, for `ranks`.
    fn rebuild_value_bits(&mut self, attribute: Sym, ranks: &ValueRanks) {
        let mut bits = ranks.no_bits();
        for value in self.by_value.get(&attribute).into_iter().flat_map(|v| v.keys()) {
            bits.set(ranks.rank(*value).expect("a placeable value has a current rank"), true);
        }
        self.value_bits.insert(attribute, bits);
    }
}

/// Most task sizes indexed per cluster; placements of other sizes use the `(0, 0)` class and skip
/// what does not fit. Port classes do not count against it.
pub const MAX_SIZE_CLASSES: usize = 64;

/// Most port classes kept per cluster. Each costs as much memory as a size class and one more
/// ordered update on every resource change, so only placements that visited many instances holding
/// their ports ask for one ([`PORT_CLASS_AFTER_MISSES`]); placements of other port sets skip the
/// instances holding their ports one by one.
pub const MAX_PORT_CLASSES: usize = 16;

/// How many members holding a task's host ports one placement may pass over before its port class
/// is built: fewer, and skipping them costs less than keeping the class.
pub const PORT_CLASS_AFTER_MISSES: usize = 64;

/// The free-capacity index of one cluster. Each *size class* `(cpu, memory)` — one per task size
/// placed so far — holds exactly the placeable instances with room for such a task, ordered by free
/// memory and by free CPU. Binpack is then the first member of a range, and spread stops at the first
/// member without a task of the service: no scan over instances that cannot take the task. The
/// class `(0, 0)` holds every placeable instance; it is ordered only once a placement of that size
/// needs it (most clusters only ask how many instances it holds, which `placeable` answers), so a
/// resource change does not reorder it. Each resource change updates every ordered class
/// (`O(classes × log n)`). The by-CPU order is only kept once a binpack-by-CPU placement needs it,
/// and the members by an attribute's value once a spread by that attribute (other than the zone,
/// which `by_az` serves) needs them. A *port class* (a size class and a set of host ports, built
/// once a placement of a task with those ports passed over many members holding them) holds the
/// members of its size class with those ports free, so such a placement does not visit the
/// instances where its service's tasks already hold the port. A *constraint class* (a size class
/// and a list of `memberOf` expressions, built once a placement passed over many members the
/// expressions do not select) holds the members that satisfy them; one of a task with host ports
/// as well is also a port class, holding the members that satisfy the expressions and have the
/// ports free.
#[derive(Debug, Clone, Default)]
pub struct PlacementIndex {
    pub classes: BTreeMap<SizeClass, ClassIndex>,
    /// Tests only: no class is of a task ENI, so an awsvpc task's walks pass over the members
    /// without one, as before such classes were kept (the reference of the property test
    /// `a_task_eni_class_changes_no_placement`).
    #[cfg(test)]
    pub without_task_eni_classes: bool,
    /// Whether the `by_cpu` sets are maintained.
    pub track_cpu: bool,
    /// The attributes spread placement reads through `ClassIndex::by_value`, with every placeable
    /// instance's value of each (`None`: lacking or without a value). The engine reports a change
    /// of a placeable instance's value with [`PlacementIndex::revalue`].
    pub attribute_values: BTreeMap<Sym, BTreeMap<InstanceId, Option<Sym>>>,
    /// Per attribute in `attribute_values`: the placeable instances of each value, to sample.
    pub value_samples: BTreeMap<Sym, ValueSamples>,
    /// Every placeable instance (the members of the class `(0, 0)`, ordered or not).
    pub placeable: BTreeSet<InstanceId>,
    /// Placeable instances per Availability Zone (zones without one are absent): the zones zone
    /// rebalancing balances over, without a scan of the cluster's instances.
    pub placeable_per_zone: BTreeMap<Sym, u32>,
    /// How many times a zone joined or left `placeable_per_zone`: zone rebalancing's note that a
    /// service was balanced over the zones holds while this is unchanged
    /// (`Engine::wake_rebalancing_services`). A zone that leaves and comes back counts twice, so
    /// an equal count means the same zones. Only grows.
    zone_set_changes: u64,
    /// How many times an instance became a member of a class (joined the index, gained the room
    /// or the ports for one, or came to satisfy a constraint class's expressions) or moved to
    /// another value of a tracked attribute: a search that found no free member can trust its
    /// finding while this is unchanged (the spread counts' notes of full pools). Only grows.
    joins: u64,
    /// The `memberOf` lists of the constraint classes, `MemberOfId(n)` at `n - 1`; each reads
    /// only what changes with an instance's attributes, profile or tasks' groups
    /// ([`Constraints::indexable`]). A list is *keyed* when one of its expressions requires an
    /// attribute to hold one of a few values ([`list_key`]: `attribute:pool == 'team-a'`), or
    /// a task of one of a few groups on the instance (`task:group == service:web`): only the
    /// instances with such a value, or such a task, may satisfy it, so its answers are read from
    /// them alone and there may be any number of keyed lists (their classes' members are bounded,
    /// [`KEYED_MEMBERS_PER_PLACEABLE`]). At most [`MAX_CONSTRAINT_CLASSES`] lists are not keyed.
    pub member_of_lists: Vec<std::sync::Arc<[MemberOf]>>,
    /// The kept lists by the digest of their expressions ([`list_digest`]): a placement finds its
    /// list without comparing it with every kept list.
    list_ids: BTreeMap<u64, Vec<MemberOfId>>,
    /// The keyed lists, by their key's attribute and each of its values.
    keyed_lists: BTreeMap<Box<str>, BTreeMap<Box<str>, Vec<MemberOfId>>>,
    /// The lists keyed by task groups, by each group of their key.
    group_keyed_lists: BTreeMap<Box<str>, Vec<MemberOfId>>,
    /// Once a list keyed by task groups is kept (None before): per task group, the cluster's
    /// instances (placeable or not) whose task list holds a task of it, with how many. A new
    /// such list's members are read from them, not from every placeable instance's answer.
    task_group_holders: Option<BTreeMap<Sym, BTreeMap<InstanceId, u32>>>,
    /// The kept lists that are not keyed, ascending.
    unkeyed_lists: Vec<MemberOfId>,
    /// Per placeable instance that satisfies a kept list: the lists it satisfies, ascending (it
    /// is a member of no other list's classes).
    lists_of: BTreeMap<InstanceId, Vec<MemberOfId>>,
    /// Per attribute a keyed list's key names: the placeable instances by their value of it,
    /// which a new keyed list's members are read from. Kept apart from `attribute_values`, whose
    /// samples' order a spread's random choice reads: keying a list changes no choice.
    pub keyed_values: BTreeMap<Sym, KeyedValues>,
    /// The members the keyed lists' classes had when each was built, summed: another is built
    /// while it is below [`KEYED_MEMBERS_PER_PLACEABLE`] per placeable instance.
    keyed_class_members: usize,
    /// Whether one of `member_of_lists` reads `task:group`: then every task that joins or leaves
    /// an instance's task list may change its answers.
    pub lists_read_task_groups: bool,
    /// Whether one of `member_of_lists` reads `runningTasksCount`: then every change of an
    /// instance's count may change its answers.
    pub lists_read_running_count: bool,
    /// Per list of `member_of_lists`: the placeable instances that satisfy it. The engine passes
    /// an instance's answers when it joins the index and when its attributes change
    /// ([`PlacementIndex::insert`], [`PlacementIndex::resatisfy`]).
    pub satisfying: BTreeMap<MemberOfId, BTreeSet<InstanceId>>,
    /// How many times values were ranked ([`ValueRanks::epoch`]). Only grows.
    rank_epochs: u64,
}

/// The instances that may be members of class `key`: every placeable instance, or for a
/// constraint class those satisfying its list (a member also has the room and ports,
/// [`SizeClass::admits`]).
fn candidates<'a>(
    placeable: &'a BTreeSet<InstanceId>,
    satisfying: &'a BTreeMap<MemberOfId, BTreeSet<InstanceId>>,
    key: &SizeClass,
) -> impl Iterator<Item = InstanceId> + 'a {
    let set = if key.has_member_of() { satisfying.get(&key.member_of) } else { Some(placeable) };
    set.into_iter().flatten().copied()
}

/// Most constraint classes of lists that are not keyed a cluster keeps, and most such lists.
pub const MAX_CONSTRAINT_CLASSES: usize = 16;

/// The keyed lists' classes are built while the members they had when built sum to fewer than
/// this many per placeable instance: as many as that many classes of every instance would hold.
pub const KEYED_MEMBERS_PER_PLACEABLE: usize = 16;

/// The placeable instances by their value of one attribute a keyed list names (instances without
/// a value are not filed).
#[derive(Debug, Clone, Default)]
pub struct KeyedValues {
    pub of: BTreeMap<InstanceId, Sym>,
    pub by_value: BTreeMap<Sym, BTreeSet<InstanceId>>,
}

impl KeyedValues {
    /// Files instance `id` under `value` (None: under none), out of the value it was filed under.
    fn set(&mut self, id: InstanceId, value: Option<Sym>) {
        let old = match value {
            Some(v) => self.of.insert(id, v),
            None => self.of.remove(&id),
        };
        if old == value {
            return;
        }
        if let Some(old) = old {
            let holders = self.by_value.get_mut(&old).expect("a filed value has its holders");
            assert!(holders.remove(&id), "filed under its value");
            if holders.is_empty() {
                self.by_value.remove(&old);
            }
        }
        if let Some(v) = value {
            self.by_value.entry(v).or_default().insert(id);
        }
    }
}

/// What a keyed `memberOf` list requires: its subject holds one of `values` (texts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKey {
    pub subject: KeySubject,
    pub values: Vec<Box<str>>,
}

/// What a keyed list's key reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySubject {
    /// An attribute's value: only the instances with one of the key's values may satisfy it.
    Attribute(Box<str>),
    /// `task:group`: only the instances running a task of one of the key's groups may.
    TaskGroup,
}

/// The key of a `memberOf` list: the first of its expressions that requires an attribute to hold
/// one of a few values ([`crate::rules::query::Query::required_values`]), else the first that
/// requires a task of one of a few groups on the instance
/// ([`crate::rules::query::Query::required_task_groups`]: a sidecar's `task:group ==
/// service:web`); None if none does.
pub fn list_key(list: &[MemberOf]) -> Option<ListKey> {
    let texts = |values: Vec<&str>| values.into_iter().map(Box::from).collect();
    if let Some((attribute, values)) = list.iter().find_map(|m| m.query.required_values()) {
        return Some(ListKey { subject: KeySubject::Attribute(attribute.into()), values: texts(values) });
    }
    let groups = list.iter().find_map(|m| m.query.required_task_groups())?;
    Some(ListKey { subject: KeySubject::TaskGroup, values: texts(groups) })
}

/// The digest of a list's expressions (FNV-1a over their texts, each closed by a byte no text
/// holds), by which the index finds a kept list.
fn list_digest(list: &[MemberOf]) -> u64 {
    use crate::infra::fnv::{fnv1a_extend, FNV_OFFSET};
    list.iter().fold(FNV_OFFSET, |h, m| fnv1a_extend(fnv1a_extend(h, m.expression.as_bytes()), &[0xff]))
}

/// A constraint class is built once a placement passed over more than this many members whose
/// instance does not satisfy its `memberOf` expressions.
pub const CONSTRAINT_CLASS_AFTER_MISSES: usize = 64;

/// The host ports of a class without any: no TCP and no UDP port set.
pub const NO_PORTS: (PortSetId, PortSetId) = (PortSetId(0), PortSetId(0));

/// The class every placeable instance belongs to.
pub const EVERY_SIZE: SizeClass = SizeClass::of_size(0, 0);

impl PlacementIndex {
    /// A placeable instance joins the index. `value_of` gives its value of each attribute in
    /// [`PlacementIndex::attribute_values`], `satisfied` the lists of
    /// [`PlacementIndex::member_of_lists`] it satisfies (ascending); `ports` resolves port sets.
    pub fn insert(&mut self, k: IndexKey, ports: &PortSets, value_of: impl Fn(Sym) -> Option<Sym>, satisfied: &[MemberOfId]) {
        self.assert_lists(satisfied);
        self.note_join();
        for list in satisfied {
            self.satisfying.entry(*list).or_default().insert(k.id);
        }
        if satisfied.is_empty() {
            self.lists_of.remove(&k.id);
        } else {
            self.lists_of.insert(k.id, satisfied.to_vec());
        }
        for (attribute, values) in self.keyed_values.iter_mut() {
            values.set(k.id, value_of(*attribute));
        }
        if self.placeable.insert(k.id) {
            let n = self.placeable_per_zone.entry(k.az).or_insert(0);
            if *n == 0 {
                self.zone_set_changes = self.zone_set_changes.checked_add(1).expect("fewer than 2^64 zone changes");
            }
            *n = n.checked_add(1).expect("fewer than 2^32 instances in a zone");
        }
        for (attribute, values) in self.attribute_values.iter_mut() {
            let value = value_of(*attribute);
            let samples = self.value_samples.get_mut(attribute).expect("a tracked attribute is sampled");
            match values.insert(k.id, value) {
                None => samples.insert(k.id, value),
                Some(old) if old != value => {
                    samples.remove(k.id, old);
                    samples.insert(k.id, value);
                }
                Some(_) => {}
            }
        }
        let (values, samples, track_cpu) = (&self.attribute_values, &self.value_samples, self.track_cpu);
        member_classes(&mut self.classes, satisfied, |key, class| {
            if key.admits(&k, ports) {
                class.insert(k, track_cpu);
                for ((attribute, values), samples) in values.iter().zip(samples.values()) {
                    class.insert_value(*attribute, values[&k.id], k, track_cpu, &samples.ranks);
                }
            }
        });
    }
    /// `lists` are ids of kept lists, ascending.
    fn assert_lists(&self, lists: &[MemberOfId]) {
        assert!(lists.windows(2).all(|w| w[0] < w[1]), "memberOf lists ascending");
        assert!(lists.iter().all(|l| l.0 >= 1 && l.0 as usize <= self.member_of_lists.len()), "kept memberOf lists");
    }
    /// The kept lists an indexed instance satisfies, ascending.
    pub fn lists_of(&self, id: InstanceId) -> &[MemberOfId] {
        self.lists_of.get(&id).map_or(&[], Vec::as_slice)
    }
    /// The kept lists that are not keyed, ascending.
    pub fn unkeyed_lists(&self) -> &[MemberOfId] {
        &self.unkeyed_lists
    }
    /// The keyed lists, by their key's attribute and each of its values.
    pub fn keyed_lists(&self) -> &BTreeMap<Box<str>, BTreeMap<Box<str>, Vec<MemberOfId>>> {
        &self.keyed_lists
    }
    /// The lists keyed by task groups, by each group of their key.
    pub fn group_keyed_lists(&self) -> &BTreeMap<Box<str>, Vec<MemberOfId>> {
        &self.group_keyed_lists
    }
    /// Per task group, the instances with a task of it (None until the index keeps them,
    /// [`PlacementIndex::keep_task_group_holders`]).
    pub fn task_group_holders(&self) -> Option<&BTreeMap<Sym, BTreeMap<InstanceId, u32>>> {
        self.task_group_holders.as_ref()
    }
    /// Starts keeping the instances of each task group, counted by the engine from every
    /// instance's task list (`holders`); from now on it reports each task that joins or leaves one
    /// ([`PlacementIndex::note_task_group`]).
    pub fn keep_task_group_holders(&mut self, holders: BTreeMap<Sym, BTreeMap<InstanceId, u32>>) {
        debug_assert!(self.task_group_holders.is_none(), "counted once");
        debug_assert!(holders.values().all(|h| !h.is_empty() && h.values().all(|n| *n > 0)), "no empty entry");
        self.task_group_holders = Some(holders);
    }
    /// A task of `group` joined (`joined`) or left instance `id`'s task list, while the index
    /// keeps the groups' instances.
    pub fn note_task_group(&mut self, id: InstanceId, group: Sym, joined: bool) {
        let Some(holders) = self.task_group_holders.as_mut() else { return };
        let of_group = holders.entry(group).or_default();
        let n = of_group.entry(id).or_insert(0);
        *n = if joined {
            n.checked_add(1).expect("fewer than 2^32 tasks on an instance")
        } else {
            n.checked_sub(1).expect("a counted task leaves")
        };
        if *n == 0 {
            of_group.remove(&id);
            if of_group.is_empty() {
                holders.remove(&group);
            }
        }
    }
    /// A kept list's expressions.
    pub fn list(&self, list: MemberOfId) -> &[MemberOf] {
        &self.member_of_lists[list.0 as usize - 1]
    }
    /// Whether a kept list is keyed (every list not among the few unkeyed ones).
    pub fn is_keyed(&self, list: MemberOfId) -> bool {
        !self.unkeyed_lists.contains(&list)
    }
    /// How many times a zone joined or left the zones of the placeable instances
    /// (`placeable_per_zone`): equal counts mean the same zones.
    pub fn zone_set_changes(&self) -> u64 {
        self.zone_set_changes
    }
    /// An instance leaves the index.
    pub fn remove(&mut self, k: IndexKey, ports: &PortSets) {
        if self.placeable.remove(&k.id) {
            let n = self.placeable_per_zone.get_mut(&k.az).expect("an indexed instance's zone is counted");
            *n = n.checked_sub(1).expect("a counted zone has an instance");
            if *n == 0 {
                self.placeable_per_zone.remove(&k.az);
                self.zone_set_changes = self.zone_set_changes.checked_add(1).expect("fewer than 2^64 zone changes");
            }
        }
        let lists = self.lists_of.remove(&k.id).unwrap_or_default();
        let (values, samples, track_cpu) = (&self.attribute_values, &self.value_samples, self.track_cpu);
        member_classes(&mut self.classes, &lists, |key, class| {
            if key.admits(&k, ports) {
                class.remove(k, track_cpu);
                for ((attribute, values), samples) in values.iter().zip(samples.values()) {
                    class.remove_value(*attribute, values[&k.id], k, track_cpu, &samples.ranks);
                }
            }
        });
        for (attribute, values) in self.attribute_values.iter_mut() {
            if let Some(value) = values.remove(&k.id) {
                self.value_samples.get_mut(attribute).expect("a tracked attribute is sampled").remove(k.id, value);
            }
        }
        for list in &lists {
            let set = self.satisfying.get_mut(list).expect("a satisfied list has its instances");
            assert!(set.remove(&k.id), "an instance is filed under the lists it satisfies");
        }
        for values in self.keyed_values.values_mut() {
            values.set(k.id, None);
        }
    }
    /// Starts filing the placeable instances by their value of `attribute` (`value_of` reads an
    /// instance's), which a keyed list's key names.
    pub fn index_keyed_attribute(&mut self, attribute: Sym, value_of: impl Fn(InstanceId) -> Option<Sym>) {
        if self.keyed_values.contains_key(&attribute) {
            return;
        }
        let mut values = KeyedValues::default();
        for id in &self.placeable {
            values.set(*id, value_of(*id));
        }
        self.keyed_values.insert(attribute, values);
    }
    /// A placeable instance's attributes, profile or tasks' groups changed: `satisfied` are the
    /// lists of [`PlacementIndex::member_of_lists`] it now satisfies (ascending), and it joins or
    /// leaves the constraint classes whose answer changed (where it has the room and ports).
    pub fn resatisfy(&mut self, k: IndexKey, ports: &PortSets, satisfied: &[MemberOfId]) {
        self.assert_lists(satisfied);
        let before = self.lists_of(k.id).to_vec();
        if before == satisfied {
            return;
        }
        let left = before.iter().filter(|l| !satisfied.contains(l)).map(|l| (*l, false));
        let joined = satisfied.iter().filter(|l| !before.contains(l)).map(|l| (*l, true));
        let changes: Vec<(MemberOfId, bool)> = left.chain(joined).collect();
        if satisfied.is_empty() {
            self.lists_of.remove(&k.id);
        } else {
            self.lists_of.insert(k.id, satisfied.to_vec());
        }
        for (list, now) in changes {
            let set = self.satisfying.entry(list).or_default();
            if now {
                assert!(set.insert(k.id), "a list it did not satisfy");
            } else {
                assert!(set.remove(&k.id), "a list it satisfied");
            }
            for (key, class) in self.classes.range_mut(list_classes(list)) {
                if !key.admits(&k, ports) {
                    continue;
                }
                if now {
                    class.insert(k, self.track_cpu);
                    self.joins = self.joins.checked_add(1).expect("fewer than 2^64 joins");
                } else {
                    class.remove(k, self.track_cpu);
                }
                for ((attribute, values), samples) in self.attribute_values.iter().zip(self.value_samples.values()) {
                    if now {
                        class.insert_value(*attribute, values[&k.id], k, self.track_cpu, &samples.ranks);
                    } else {
                        class.remove_value(*attribute, values[&k.id], k, self.track_cpu, &samples.ranks);
                    }
                }
            }
        }
    }
    /// An indexed instance's free resources changed from `before` to `after`: its place in the
    /// orders changes, and it joins or leaves the classes it now has room, or no more room, for.
    pub fn rekey(&mut self, before: IndexKey, after: IndexKey, ports: &PortSets) {
        debug_assert_eq!((before.id, before.az), (after.id, after.az), "a rekey keeps the instance and its zone");
        let lists = self.lists_of.get(&after.id).map_or(&[][..], Vec::as_slice);
        let (values, samples, track_cpu, joins) = (&self.attribute_values, &self.value_samples, self.track_cpu, &mut self.joins);
        member_classes(&mut self.classes, lists, |key, class| {
            let (was, is) = (key.admits(&before, ports), key.admits(&after, ports));
            if !was && !is {
                // Not a member before or after: nothing to move, no value to look up.
                return;
            }
            if was {
                class.remove(before, track_cpu);
            }
            if is {
                class.insert(after, track_cpu);
                if !was {
                    *joins = joins.checked_add(1).expect("fewer than 2^64 joins");
                }
            }
            for ((attribute, values), samples) in values.iter().zip(samples.values()) {
                let value = values[&after.id];
                if was {
                    class.remove_value(*attribute, value, before, track_cpu, &samples.ranks);
                }
                if is {
                    class.insert_value(*attribute, value, after, track_cpu, &samples.ranks);
                }
            }
        });
    }
    /// How many times an instance joined a class or moved to another value (see the field of
    /// this name): while it is unchanged, no class has gained a member.
    pub fn joins(&self) -> u64 {
        self.joins
    }
    fn note_join(&mut self) {
        self.joins = self.joins.checked_add(1).expect("fewer than 2^64 joins");
    }
    /// A placeable instance's values of the tracked attributes may have changed (`value_of` gives
    /// the current ones; `k` is its current key): it moves to its new value in each class it is a
    /// member of, and in the keyed lists' values.
    pub fn revalue(&mut self, k: IndexKey, ports: &PortSets, value_of: impl Fn(Sym) -> Option<Sym>) {
        for (attribute, values) in self.keyed_values.iter_mut() {
            values.set(k.id, value_of(*attribute));
        }
        for (attribute, values) in self.attribute_values.iter_mut() {
            let slot = values.get_mut(&k.id).expect("a placeable instance has a value of each tracked attribute");
            let (old, new) = (*slot, value_of(*attribute));
            if old == new {
                continue;
            }
            *slot = new;
            self.joins = self.joins.checked_add(1).expect("fewer than 2^64 joins");
            let samples = self.value_samples.get_mut(attribute).expect("a tracked attribute is sampled");
            samples.remove(k.id, old);
            samples.insert(k.id, new);
            let lists = self.lists_of.get(&k.id).map_or(&[][..], Vec::as_slice);
            let track_cpu = self.track_cpu;
            member_classes(&mut self.classes, lists, |key, class| {
                if key.admits(&k, ports) {
                    class.remove_value(*attribute, old, k, track_cpu, &samples.ranks);
                    class.insert_value(*attribute, new, k, track_cpu, &samples.ranks);
                }
            });
        }
    }
    /// Starts filing the members of every class by their value of `attribute` (a spread by it).
    pub fn track_attribute(
        &mut self,
        attribute: Sym,
        ports: &PortSets,
        key_of: impl Fn(InstanceId) -> IndexKey,
        value_of: impl Fn(InstanceId) -> Option<Sym>,
    ) {
        if self.attribute_values.contains_key(&attribute) {
            return;
        }
        let values: BTreeMap<InstanceId, Option<Sym>> = self.placeable.iter().map(|id| (*id, value_of(*id))).collect();
        // No ranks yet: the classes' bits are built when a spread first reads them.
        let unranked = ValueRanks::default();
        for (key, class) in self.classes.iter_mut() {
            for k in candidates(&self.placeable, &self.satisfying, key).map(&key_of) {
                if key.admits(&k, ports) {
                    class.insert_value(attribute, values[&k.id], k, self.track_cpu, &unranked);
                }
            }
        }
        let mut samples = ValueSamples::default();
        for (id, value) in &values {
            samples.insert(*id, *value);
        }
        self.value_samples.insert(attribute, samples);
        self.attribute_values.insert(attribute, values);
    }
    /// Whether members are filed by their value of `attribute`.
    pub fn tracks_attribute(&self, attribute: Sym) -> bool {
        self.attribute_values.contains_key(&attribute)
    }
    /// Makes the ranks of tracked `attribute`'s values current and class `class`'s bits of them
    /// ([`ValueRanks`], [`ClassIndex::value_bits`]): the ranks are given anew (in the text order
    /// `text` gives) when a placeable value has none, which costs a sort of the values, and a
    /// class's bits are rebuilt when they are of older ranks. Returns the ranks.
    pub fn rank_values<'a>(&mut self, attribute: Sym, class: SizeClass, text: impl Fn(Sym) -> &'a str) -> &ValueRanks {
        let samples = self.value_samples.get_mut(&attribute).expect("a tracked attribute is sampled");
        if !samples.ranks.current() {
            let mut by_rank: Vec<Option<Sym>> = samples.by_value.keys().copied().collect();
            by_rank.sort_unstable_by_key(|v| v.map(&text));
            self.rank_epochs = self.rank_epochs.checked_add(1).expect("fewer than 2^64 rankings");
            samples.ranks = ValueRanks::in_order(by_rank, self.rank_epochs);
        }
        let ranks = &samples.ranks;
        let class = self.classes.get_mut(&class).expect("a class read is kept");
        if class.value_bits.get(&attribute).is_none_or(|b| b.epoch != ranks.epoch) {
            class.rebuild_value_bits(attribute, ranks);
        }
        ranks
    }
    /// Starts keeping the by-CPU order (binpack by CPU).
    pub fn track_cpu(&mut self, ports: &PortSets, key_of: impl Fn(InstanceId) -> IndexKey) {
        if self.track_cpu {
            return;
        }
        self.track_cpu = true;
        for (key, class) in self.classes.iter_mut() {
            for k in candidates(&self.placeable, &self.satisfying, key).map(&key_of) {
                if key.admits(&k, ports) {
                    class.all.by_cpu.insert((k.cpu, k.id));
                    class.by_az.entry(k.az).or_default().by_cpu.insert((k.cpu, k.id));
                    for (attribute, values) in &self.attribute_values {
                        let members = class.by_value.get_mut(attribute).and_then(|v| v.get_mut(&values[&k.id]));
                        members.expect("a member is filed under its value").by_cpu.insert((k.cpu, k.id));
                    }
                }
            }
        }
    }
    /// How many instances are placeable.
    pub fn len(&self) -> usize {
        self.placeable.len()
    }
    pub fn is_empty(&self) -> bool {
        self.placeable.is_empty()
    }
    /// Builds a class's ordered sets from the placeable instances and keeps them from now on.
    fn build_class(&mut self, key: SizeClass, ports: &PortSets, key_of: impl Fn(InstanceId) -> IndexKey) {
        let mut class = ClassIndex::default();
        for k in candidates(&self.placeable, &self.satisfying, &key).map(key_of) {
            if key.admits(&k, ports) {
                class.insert(k, self.track_cpu);
                for ((attribute, values), samples) in self.attribute_values.iter().zip(self.value_samples.values()) {
                    class.insert_value(*attribute, values[&k.id], k, self.track_cpu, &samples.ranks);
                }
            }
        }
        self.classes.insert(key, class);
    }
    /// The class for a task size (of an awsvpc task when `task_eni`), built on first use from the
    /// placeable instances; `(0, 0)` when the class limit is reached.
    pub fn class_for(
        &mut self,
        (cpu, memory, gpu, task_eni): (i64, i64, u32, bool),
        ports: &PortSets,
        key_of: impl Fn(InstanceId) -> IndexKey,
    ) -> SizeClass {
        #[cfg(test)]
        let task_eni = task_eni && !self.without_task_eni_classes;
        let key = SizeClass::of_task(cpu.max(0), memory.max(0), task_eni).with_gpu(gpu);
        if self.classes.contains_key(&key) {
            return key;
        }
        // The class `(0, 0)` counts against the limit whether it is ordered yet or not.
        let size_classes = self.classes.keys().filter(|k| k.is_size_only()).count();
        let classes = size_classes + usize::from(!self.classes.contains_key(&EVERY_SIZE));
        let key = if classes >= MAX_SIZE_CLASSES { EVERY_SIZE } else { key };
        if !self.classes.contains_key(&key) {
            self.build_class(key, ports, key_of);
        }
        key
    }
    /// The port class of size class `size` and the host ports `ports_tcp` and `ports_udp`, if it
    /// has been built.
    pub fn port_class(&self, size: SizeClass, ports_tcp: PortSetId, ports_udp: PortSetId) -> Option<SizeClass> {
        let key = SizeClass { ports_tcp, ports_udp, ..size };
        (key.has_ports() && self.classes.contains_key(&key)).then_some(key)
    }
    /// The id of the kept `memberOf` list with the same expressions as `list`.
    fn member_of_id(&self, list: &[MemberOf]) -> Option<MemberOfId> {
        let ids = self.list_ids.get(&list_digest(list))?;
        ids.iter().copied().find(|id| same_expressions(self.list(*id), list))
    }
    /// The placeable instances that satisfy `list`, if it is one of the kept `memberOf` lists.
    pub fn satisfying_list(&self, list: &[MemberOf]) -> Option<&BTreeSet<InstanceId>> {
        self.satisfying.get(&self.member_of_id(list)?)
    }
    /// Whether `list` is one of the kept `memberOf` lists (else building its class files every
    /// placeable instance's answer to it).
    pub fn keeps_member_of_list(&self, list: &[MemberOf]) -> bool {
        self.member_of_id(list).is_some()
    }
    /// The constraint class of size class `size`, the host ports `ports` ([`NO_PORTS`] for none)
    /// and the `memberOf` expressions `list`, if it has been built.
    pub fn constraint_class(
        &self,
        size: SizeClass,
        (ports_tcp, ports_udp): (PortSetId, PortSetId),
        list: &[MemberOf],
    ) -> Option<SizeClass> {
        let key = SizeClass { ports_tcp, ports_udp, member_of: self.member_of_id(list)?, ..size };
        self.classes.contains_key(&key).then_some(key)
    }
    /// Whether the constraint class of `list`, with host ports when `with_ports`, is kept or may
    /// be built. For one with host ports (a port class as well), fewer than [`MAX_PORT_CLASSES`]
    /// port classes are kept. For a keyed list ([`list_key`]), the keyed lists' classes had fewer
    /// than [`KEYED_MEMBERS_PER_PLACEABLE`] members per placeable instance when built; for
    /// another, its list is kept or fewer than [`MAX_CONSTRAINT_CLASSES`] such lists are, and
    /// fewer than [`MAX_CONSTRAINT_CLASSES`] classes of such lists are kept.
    pub fn may_keep_constraint_class(&self, list: &[MemberOf], with_ports: bool) -> bool {
        let port_room = !with_ports || self.classes.keys().filter(|k| k.has_ports()).count() < MAX_PORT_CLASSES;
        if list_key(list).is_some() {
            let budget = KEYED_MEMBERS_PER_PLACEABLE.saturating_mul(self.placeable.len().max(1));
            return port_room && self.keyed_class_members < budget;
        }
        let list_room = self.keeps_member_of_list(list) || self.unkeyed_lists.len() < MAX_CONSTRAINT_CLASSES;
        let classes = self.unkeyed_lists.iter().map(|l| self.classes.range(list_classes(*l)).count()).sum::<usize>();
        list_room && classes < MAX_CONSTRAINT_CLASSES && port_room
    }
    /// Builds the constraint class of size class `size`, the host ports `ports` ([`NO_PORTS`] for
    /// none) and the `memberOf` expressions `list`, unless
    /// [`PlacementIndex::may_keep_constraint_class`] says no; returns whether it exists now.
    /// `satisfying` are the placeable instances that satisfy `list` (read only when the list is
    /// new to the cluster).
    pub fn build_constraint_class(
        &mut self,
        size: SizeClass,
        (ports_tcp, ports_udp): (PortSetId, PortSetId),
        list: &std::sync::Arc<[MemberOf]>,
        satisfying: BTreeSet<InstanceId>,
        ports: &PortSets,
        key_of: impl Fn(InstanceId) -> IndexKey,
    ) -> bool {
        debug_assert!(size.is_size_only(), "a constraint class narrows a size class");
        let with_ports = SizeClass { ports_tcp, ports_udp, ..size }.has_ports();
        if self.constraint_class(size, (ports_tcp, ports_udp), list).is_some() {
            return true;
        }
        if !self.may_keep_constraint_class(list, with_ports) {
            return false;
        }
        let member_of = match self.member_of_id(list) {
            Some(id) => id,
            None => self.keep_list(list, satisfying),
        };
        let key = SizeClass { ports_tcp, ports_udp, member_of, ..size };
        self.build_class(key, ports, key_of);
        if self.is_keyed(member_of) {
            let members = self.classes[&key].all.by_memory.len();
            self.keyed_class_members = self.keyed_class_members.checked_add(members).expect("fewer than 2^64 members");
        }
        true
    }
    /// Keeps a new list, which the placeable instances `satisfying` satisfy: files them under it
    /// and it under its key. Returns its id.
    fn keep_list(&mut self, list: &std::sync::Arc<[MemberOf]>, satisfying: BTreeSet<InstanceId>) -> MemberOfId {
        debug_assert!(satisfying.is_subset(&self.placeable), "only placeable instances are filed");
        self.lists_read_task_groups |= reads_task_groups(list);
        self.lists_read_running_count |= reads_running_tasks_count(list);
        self.member_of_lists.push(list.clone());
        let id = MemberOfId(u32::try_from(self.member_of_lists.len()).expect("fewer than 2^32 memberOf lists"));
        match list_key(list) {
            Some(ListKey { subject, values }) => {
                let by_value = match subject {
                    KeySubject::Attribute(attribute) => self.keyed_lists.entry(attribute).or_default(),
                    KeySubject::TaskGroup => &mut self.group_keyed_lists,
                };
                for value in values {
                    let ids = by_value.entry(value).or_default();
                    if ids.last() != Some(&id) {
                        ids.push(id);
                    }
                }
            }
            None => self.unkeyed_lists.push(id),
        }
        self.list_ids.entry(list_digest(list)).or_default().push(id);
        for instance in &satisfying {
            let lists = self.lists_of.entry(*instance).or_default();
            debug_assert!(lists.last().is_none_or(|l| *l < id), "a new list has the greatest id");
            lists.push(id);
        }
        self.satisfying.insert(id, satisfying);
        id
    }
    /// Builds the port class of size class `size` and those host ports, unless the cluster keeps
    /// [`MAX_PORT_CLASSES`] already; returns whether it exists now.
    pub fn build_port_class(
        &mut self,
        size: SizeClass,
        (ports_tcp, ports_udp): (PortSetId, PortSetId),
        ports: &PortSets,
        key_of: impl Fn(InstanceId) -> IndexKey,
    ) -> bool {
        let key = SizeClass { ports_tcp, ports_udp, ..size };
        debug_assert!(key.has_ports(), "a port class has ports");
        if self.classes.contains_key(&key) {
            return true;
        }
        if self.classes.keys().filter(|k| k.has_ports()).count() >= MAX_PORT_CLASSES {
            return false;
        }
        self.build_class(key, ports, key_of);
        true
    }
}

/// Why no instance could take a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementFailure {
    /// The first requirement the closest instance does not meet.
    pub reason: PlacementFailureReason,
    /// The closest matching instance, when there was one.
    pub closest: Option<InstanceId>,
    /// Every requirement the closest instance does not meet, in ECS's order (`reason` first).
    pub unmet: Vec<PlacementFailureReason>,
    /// When the closest instance fails a `memberOf` expression: what the closest of the instances
    /// that satisfy every expression lacks (its resources, in ECS's order), so a stall says what
    /// the instances the constraints allow are short of; empty when no placeable instance
    /// satisfies them, or the closest does not fail one.
    pub allowed_unmet: Vec<PlacementFailureReason>,
}

/// Parses placement strategies (at most 5 rules; <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement.html>).
pub(crate) fn parse_strategies(
    strings: &mut crate::infra::intern::Interner,
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
                Ok(Strategy::SpreadAttribute(strings.intern(&f["attribute:".len()..])))
            }
            (t, f) => {
                let rule = match f {
                    Some(f) => format!("of type '{t}' with field '{f}'"),
                    None => format!("of type '{t}' without a field"),
                };
                Err(EcsError::invalid_parameter(format!(
                    "Invalid placement strategy {rule}: use random, binpack with cpu or memory, or spread with instanceId, host or attribute:<name>."
                )))
            }
        })
        .collect()
}

/// A `memberOf` placement constraint: its expression as written, and parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOf {
    pub expression: String,
    pub query: crate::rules::query::Query,
    /// The test of the zones of an awsvpc task's subnets, which the engine adds
    /// ([`Constraints::within_subnet_zones`]): an instance it rules out misses `LOCATION`, not
    /// `CONSTRAINT:memberOf`.
    pub subnet_zones: bool,
}

/// Whether an expression of a `memberOf` list tests `task:group`.
fn reads_task_groups(list: &[MemberOf]) -> bool {
    list.iter().any(|m| m.query.uses_task_group())
}

/// Whether an expression of a `memberOf` list reads `runningTasksCount`.
fn reads_running_tasks_count(list: &[MemberOf]) -> bool {
    list.iter().any(|m| m.query.uses_running_tasks_count())
}

/// Whether two lists of `memberOf` expressions are the same, expression by expression.
fn same_expressions(a: &[MemberOf], b: &[MemberOf]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.expression == y.expression)
}

/// The placement constraints of a task: `distinctInstance`, and every `memberOf` expression (an
/// instance must satisfy all of them). Shared, so a scheduling pass copies a pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub distinct: bool,
    pub member_of: std::sync::Arc<[MemberOf]>,
    /// The capacity provider the task runs on, chosen by its service's strategy
    /// ([`crate::rules::capacity_providers::choose_provider`]): only that provider's instances are
    /// candidates (None: any instance).
    pub capacity_provider: Option<Sym>,
}

impl Constraints {
    /// These constraints for a task placed on capacity provider `provider` (named `name`): its
    /// `memberOf` list gains the test of the provider, which the placement index narrows by as
    /// it narrows by any list (a class of the provider's instances, built after many misses), so
    /// a placement does not walk past the other providers' instances every time.
    pub(crate) fn within_capacity_provider(&self, provider: Sym, name: &str) -> Constraints {
        let query = crate::rules::query::Query::capacity_provider_is(name);
        let member_of: Vec<MemberOf> = self
            .member_of
            .iter()
            .cloned()
            .chain(std::iter::once(MemberOf { expression: query.to_string(), query, subnet_zones: false }))
            .collect();
        Constraints { distinct: self.distinct, member_of: member_of.into(), capacity_provider: Some(provider) }
    }

    /// These constraints for an awsvpc task whose subnets are in `zones`: its `memberOf` list gains
    /// the test `attribute:ecs.availability-zone in [zones]` (`crate::engine::subnets`), which the
    /// placement index narrows by as by any list.
    pub(crate) fn within_subnet_zones(&self, zones: &[&str]) -> Constraints {
        assert!(!zones.is_empty(), "a networkConfiguration names at least one subnet");
        let quoted: Vec<String> = zones.iter().map(|z| format!("'{z}'")).collect();
        let expression =
            format!("attribute:{} in [{}]", crate::rules::rebalancing::AVAILABILITY_ZONE_ATTRIBUTE, quoted.join(", "));
        let query = crate::rules::query::Query::parse(&expression).expect("zone names checked as the language's values");
        let member_of: Vec<MemberOf> =
            self.member_of.iter().cloned().chain(std::iter::once(MemberOf { expression, query, subnet_zones: true })).collect();
        Constraints { distinct: self.distinct, member_of: member_of.into(), capacity_provider: self.capacity_provider }
    }

    /// Whether a `memberOf` expression tests `task:group`, so that a task placed anywhere in the
    /// cluster may change which instances satisfy it.
    pub(crate) fn reads_task_groups(&self) -> bool {
        reads_task_groups(&self.member_of)
    }

    /// Whether a `memberOf` expression reads `runningTasksCount`.
    pub(crate) fn reads_running_tasks_count(&self) -> bool {
        reads_running_tasks_count(&self.member_of)
    }

    /// Whether some instances are selected by `memberOf`: what a constraint class of the
    /// placement index may keep. Every subject an expression reads changes only where the engine
    /// re-files the instance: its attributes and profile (`ec2InstanceId`, `registeredAt`,
    /// `agentVersion`, `attribute:`), the tasks on it (`task:group`), their status
    /// (`runningTasksCount`); `agentConnected` is true of every instance in the index.
    pub(crate) fn indexable(&self) -> bool {
        !self.member_of.is_empty()
    }
}

/// A request's `networkConfiguration`, checked (`crate::engine::subnets`): as given (what DescribeServices gives back), and
/// its subnets with their zones, in the order given without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskSubnets {
    pub spec: api::NetworkConfiguration,
    subnets: Vec<(Sym, Sym)>,
}

impl TaskSubnets {
    /// `spec` checked, with its subnets and their zones in the order given, without repeats.
    pub(crate) fn new(spec: api::NetworkConfiguration, subnets: Vec<(Sym, Sym)>) -> Self {
        assert!(!subnets.is_empty(), "a networkConfiguration names at least one subnet");
        TaskSubnets { spec, subnets }
    }

    /// The zones of the subnets, each once, in the order of their names' symbols (placement's
    /// test reads them as a set).
    pub(crate) fn zones(&self) -> Vec<Sym> {
        let mut zones: Vec<Sym> = self.subnets.iter().map(|(_, z)| *z).collect();
        zones.sort();
        zones.dedup();
        zones
    }

    /// The subnet a task ENI on an instance in `zone` is created in: the first given there.
    pub(crate) fn subnet_in(&self, zone: Sym) -> Option<Sym> {
        self.subnets.iter().find(|(_, z)| *z == zone).map(|(s, _)| *s)
    }

    /// Whether a task of these subnets may be placed in `zone`.
    pub(crate) fn covers(&self, zone: Sym) -> bool {
        self.subnets.iter().any(|(_, z)| *z == zone)
    }
}

/// Most placement constraints of a task, task definition and service (or RunTask) together
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html>).
pub const MAX_PLACEMENT_CONSTRAINTS: usize = 10;

/// Parses placement constraints (`distinctInstance`, and `memberOf` with a cluster query language
/// expression, <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html>),
/// after `inherited` (the task definition's `memberOf` expressions): at most
/// [`MAX_PLACEMENT_CONSTRAINTS`] in all.
pub(crate) fn parse_constraints(inherited: &[MemberOf], list: &[api::PlacementConstraint]) -> Result<Constraints, EcsError> {
    // The test of an awsvpc task's subnet zones is the engine's, not one of the ten.
    let total = inherited.iter().filter(|m| !m.subnet_zones).count() + list.len();
    if total > MAX_PLACEMENT_CONSTRAINTS {
        return Err(EcsError::invalid_parameter(format!(
            "At most {MAX_PLACEMENT_CONSTRAINTS} placement constraints are allowed (the task definition's and the request's together); {total} given."
        )));
    }
    let mut distinct = false;
    let mut member_of = inherited.to_vec();
    for c in list {
        match (c.constraint_type.as_str(), &c.expression) {
            ("distinctInstance", None) => distinct = true,
            ("distinctInstance", Some(_)) => {
                return Err(EcsError::invalid_parameter("A distinctInstance constraint takes no expression."))
            }
            ("memberOf", expression) => member_of.push(parse_member_of(expression.as_deref())?),
            (t, _) => {
                return Err(EcsError::invalid_parameter(format!(
                    "Invalid placement constraint type '{t}'; valid types are [distinctInstance, memberOf]."
                )))
            }
        }
    }
    Ok(Constraints { distinct, member_of: member_of.into(), capacity_provider: None })
}

/// Parses one `memberOf` expression.
pub(crate) fn parse_member_of(expression: Option<&str>) -> Result<MemberOf, EcsError> {
    let Some(expression) = expression else {
        return Err(EcsError::invalid_parameter("A memberOf constraint needs an expression."));
    };
    let query = crate::rules::query::Query::parse(expression).map_err(|e| {
        let quoted = crate::rules::query::quoted(expression);
        EcsError::invalid_parameter(format!("memberOf expression {quoted} is not a valid cluster query: {e}."))
    })?;
    Ok(MemberOf { expression: expression.to_string(), query, subnet_zones: false })
}

fn ports_free(in_use: &[u16], wanted: &[u16]) -> bool {
    wanted.iter().all(|p| in_use.binary_search(p).is_err())
}

/// The most host ports a container instance may hold reserved at once, the agent's default ones
/// included; dynamically assigned ports do not count
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html>: "A container
/// instance can have up to 100 reserved ports at a time"). The page does not split the quota by
/// protocol; drainsim counts TCP and UDP ports together.
pub const MAX_RESERVED_PORTS: usize = 100;

/// Whether a task reserving the host ports `wanted` (TCP, UDP) fits an instance holding `in_use`:
/// none of them is taken, and the instance then holds at most [`MAX_RESERVED_PORTS`]. A task
/// that reserves no host port always fits. The one port rule of placement: the engine's checks and
/// the placement index's port classes both ask it.
pub(crate) fn ports_fit(in_use: (&[u16], &[u16]), wanted: (&[u16], &[u16])) -> bool {
    let asked = wanted.0.len() + wanted.1.len();
    asked == 0
        || (ports_free(in_use.0, wanted.0)
            && ports_free(in_use.1, wanted.1)
            && in_use.0.len() + in_use.1.len() + asked <= MAX_RESERVED_PORTS)
}

#[cfg(test)]
mod tests {
    use super::PlacementFailureReason as R;

    /// The rules drainsim applies: a first spread by zone, the rule that picks, after a spread by
    /// another attribute the rule that picks within its value (not a second such spread), and
    /// after a spread by instance a binpack rule that breaks its ties.
    #[test]
    fn the_rules_applied_are_the_zone_the_pick_and_the_pick_within_a_value() {
        use super::{applied_rules, Strategy as S};
        let mut strings = crate::infra::intern::Interner::with_capacity(2, 32);
        let (zone, rack) = (strings.intern("ecs.availability-zone"), strings.intern("rack"));
        let cases: [(&[S], usize); 13] = [
            (&[], 0),
            (&[S::BinpackMemory], 1),
            (&[S::SpreadAttribute(zone), S::SpreadInstance], 2),
            (&[S::SpreadAttribute(zone), S::BinpackMemory, S::SpreadInstance], 2),
            (&[S::SpreadInstance, S::BinpackMemory], 2),
            (&[S::SpreadInstance, S::BinpackCpu, S::Random], 2),
            (&[S::SpreadInstance, S::Random], 1),
            (&[S::SpreadAttribute(zone), S::SpreadInstance, S::BinpackMemory], 3),
            (&[S::SpreadAttribute(rack), S::SpreadInstance, S::BinpackMemory], 2),
            (&[S::BinpackMemory, S::SpreadAttribute(zone)], 1),
            (&[S::SpreadAttribute(rack), S::BinpackCpu, S::SpreadInstance], 2),
            (&[S::SpreadAttribute(zone), S::SpreadAttribute(rack), S::BinpackMemory], 3),
            (&[S::SpreadAttribute(rack), S::SpreadAttribute(zone)], 1),
        ];
        for (rules, applied) in cases {
            assert_eq!(applied_rules(rules, zone), applied, "{rules:?}");
        }
    }

    /// A task's host ports fit when none is taken and the instance then holds at most 100, TCP and
    /// UDP together; a task without host ports fits whatever the instance holds.
    #[test]
    fn host_ports_fit_when_free_and_within_the_quota() {
        use super::{ports_fit, MAX_RESERVED_PORTS};
        let held: Vec<u16> = (1..=95).collect();
        let (tcp, udp): (Vec<u16>, Vec<u16>) = ((1000..1004).collect(), vec![53]);
        assert_eq!(held.len() + tcp.len() + udp.len(), MAX_RESERVED_PORTS);
        assert!(ports_fit((&held, &[]), (&tcp, &udp)), "exactly the quota");
        assert!(!ports_fit((&held, &[7]), (&tcp, &udp)), "one past it, counting UDP with TCP");
        assert!(!ports_fit((&held, &[]), (&[95], &[])), "a port taken");
        assert!(ports_fit((&[], &[95]), (&[95], &[])), "a UDP port does not take the TCP port of its number");
        let full: Vec<u16> = (1..=150).collect();
        assert!(ports_fit((&full, &[]), (&[], &[])), "no host port asked");
    }

    /// Maps keyed by the reason list reasons in the order of their text, as they did when the keys
    /// were the text itself (the report's `placementFailures` order depends on it).
    #[test]
    fn reasons_order_as_their_text() {
        let all = R::ALL;
        let mut by_text = all;
        by_text.sort_by_key(|r| r.as_str());
        let mut by_variant = all;
        by_variant.sort();
        assert_eq!(by_variant, by_text);
    }
}
