//! The one function that checks every cluster invariant (listed in `docs/invariants.md`). Tests,
//! property tests, scenarios and debug builds all call it; release runs call it at the end.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::rebalance::ZoneCheck;
use crate::infra::faults::SpotSignal;
use crate::infra::ids::{ClusterId, InstanceId, ServiceId, TaskId};
use crate::infra::intern::Sym;
use crate::placement::Owner;
use crate::rules::lifecycle::TaskStatus;
use crate::rules::lifecycle::{AttachmentStatus, InstanceStatus};
use crate::state::service::ZoneFinding;
use crate::state::service::{SchedulingStrategy, ServiceCounts, ServiceStatus};
use crate::state::task::NetworkMode;
use crate::Engine;

/// A violated invariant: its name and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation {
    /// The invariant's name (see docs/invariants.md).
    pub invariant: &'static str,
    /// What was found.
    pub detail: String,
}

impl std::fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.invariant, self.detail)
    }
}

/// So that `check_invariants(&engine)?` works in a function returning `Box<dyn Error>`, as an
/// [`crate::EcsError`] does.
impl std::error::Error for InvariantViolation {}

// Cold: the check runs once per sweep seed, and its failure paths (each formatting a message)
// are kept out of its hot code.
#[cold]
fn fail(invariant: &'static str, detail: String) -> Result<(), InvariantViolation> {
    Err(InvariantViolation { invariant, detail })
}

/// Checks every invariant; returns the first violation.
pub fn check_invariants(e: &Engine) -> Result<(), InvariantViolation> {
    check_tasks_and_resources(e)?;
    check_services(e)?;
    check_capacity_providers(e)?;
    check_daemon_candidates(e)?;
    check_instances(e)?;
    check_placement_index(e)?;
    check_attachments(e)?;
    Ok(())
}

fn check_tasks_and_resources(e: &Engine) -> Result<(), InvariantViolation> {
    // Positions are recorded for as many tasks as the long lists hold; with every listed task at
    // its own position (below), they are recorded for exactly those.
    if !e.instances.list_positions_counted() {
        return fail("tasks-on-instance", "a task outside the long instance lists keeps a list position".to_string());
    }
    // A standalone task found UNHEALTHY keeps its verdict: it is standalone and never healthy.
    if let Some(t) = e.tasks.standalone_unhealthy().find(|t| e.task_origin(*t).service.is_some() || e.tasks[t.index()].healthy())
    {
        return fail("unhealthy-tasks", format!("task {} noted UNHEALTHY as standalone has a service or is healthy", t.0));
    }
    // GPUs stay pinned to a task only while it is on its instance (the recount below checks
    // those that are), and only instances that registered GPUs keep any.
    if let Some((t, _)) = e.tasks.pinned_gpus().find(|(t, _)| {
        let task = &e.tasks[t.index()];
        task.orphaned() || task.last_status == TaskStatus::Stopped
    }) {
        return fail("gpus-pinned", format!("task {} keeps GPUs pinned after it left its instance", t.0));
    }
    if let Some((i, _)) = e.instances.all_gpu_devices().find(|(_, d)| d.ids.is_empty()) {
        return fail("gpus-conserved", format!("instance {} keeps an empty list of GPUs", i.0));
    }
    // Each live task on its own, and at its place in its instance's list.
    for (n, t) in e.tasks.iter().enumerate() {
        let id = TaskId(n as u32);
        if t.orphaned() || t.last_status == TaskStatus::Stopped {
            if t.last_status == TaskStatus::Stopped && e.instances.list_position(t.instance, id).is_some() {
                return fail("tasks-on-instance", format!("STOPPED task {n} still listed on its instance"));
            }
            // ListTasks finds the tasks not told to stop among the live ones (engine/tasks.rs).
            if t.last_status == TaskStatus::Stopped && !t.desired_stopped() && !t.orphaned() {
                return fail("stopped-when-told", format!("STOPPED task {n} has desiredStatus RUNNING"));
            }
            continue;
        }
        if t.last_status == TaskStatus::Running
            && e.task_moment(TaskId(n as u32), crate::state::task::TaskMoment::Started).is_none()
        {
            return fail("task-fields", format!("RUNNING task {n} has no startedAt"));
        }
        if t.healthy() && (t.desired_stopped() || t.last_status != TaskStatus::Running) {
            return fail("task-health", format!("task {n} is healthy but not a RUNNING task that is wanted"));
        }
        // Placement frees a task's reservation when it reaches STOPPING; the agent holds what it
        // admitted until the containers stop (engine/agent_queue.rs).
        let s = t.last_status;
        let started = matches!(s, TaskStatus::Activating | TaskStatus::Running | TaskStatus::Deactivating);
        let kept = e.tasks.keeps_room(TaskId(n as u32));
        if t.reservation_released()
            != ((s == TaskStatus::Stopping && !kept) || (s == TaskStatus::Deprovisioning && t.reservation_released()))
            || (kept
                && (t.reservation_released()
                    || !e
                        .origin(t.origin)
                        .service
                        .is_some_and(|sv| e.services[sv.index()].scheduling == SchedulingStrategy::Daemon)))
        {
            return fail(
                "reservation-until-stopping",
                format!("task {n} in {} has reservation released {}", s.as_str(), t.reservation_released()),
            );
        }
        if (started || s == TaskStatus::Stopping) && !t.agent_admitted() {
            return fail("agent-admits-before-start", format!("task {n} in {} was not admitted by its agent", s.as_str()));
        }
        if t.agent_queued() && !matches!(s, TaskStatus::Provisioning | TaskStatus::Pending) {
            return fail("agent-queue", format!("task {n} in {} is still in its agent's queue", s.as_str()));
        }
        if t.agent_queued() != e.instances.agent_queue(t.instance).any(|(q, _)| q == id) {
            return fail("agent-queue", format!("task {n}'s queued flag disagrees with its instance's agent queue"));
        }
        let listed = e.instances.list_position(t.instance, id).and_then(|p| e.instances[t.instance.index()].tasks.get(p));
        if listed != Some(&id) {
            return fail("tasks-on-instance", format!("live task {n} is missing from its instance's list"));
        }
    }
    // Each instance recounted from its list, which holds exactly its live tasks: every live task is
    // at its recorded position in its instance's list (above), and every entry of a list is a live
    // task of that instance at its own recorded position (below, so no task is listed twice). One
    // recount is reused for every instance: a big cluster's check allocates nothing per instance.
    #[derive(Default)]
    struct Recount {
        cpu: i64,
        memory: i64,
        tcp: Vec<u16>,
        udp: Vec<u16>,
        running: u32,
        pending: u32,
        enis: u16,
        daemon_tasks: u16,
        stopping: u32,
        agent_cpu: i64,
        agent_memory: i64,
        agent_tcp: Vec<u16>,
        agent_udp: Vec<u16>,
        /// The GPUs pinned to tasks that hold their reservation, and to tasks the agent admitted;
        /// whether two such tasks share one.
        gpus: u64,
        agent_gpus: u64,
        gpu_shared: bool,
    }
    impl Recount {
        /// Zero, keeping the port lists' room.
        fn reset(&mut self) {
            let Recount {
                cpu,
                memory,
                tcp,
                udp,
                running,
                pending,
                enis,
                daemon_tasks,
                stopping,
                agent_cpu,
                agent_memory,
                agent_tcp,
                agent_udp,
                gpus,
                agent_gpus,
                gpu_shared,
            } = self;
            (*cpu, *memory, *running, *pending, *enis, *daemon_tasks, *stopping, *agent_cpu, *agent_memory) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0);
            (*gpus, *agent_gpus, *gpu_shared) = (0, 0, false);
            for ports in [tcp, udp, agent_tcp, agent_udp] {
                ports.clear();
            }
        }
    }
    let mut r = Recount::default();
    let mut ports: Vec<u16> = Vec::new();
    for (n, i) in e.instances.iter().enumerate() {
        let id = InstanceId(n as u32);
        let name = e.strings.resolve(i.name);
        r.reset();
        for (p, task) in i.tasks.iter().enumerate() {
            let t = &e.tasks[task.index()];
            if t.instance != id
                || t.orphaned()
                || t.last_status == TaskStatus::Stopped
                || e.instances.list_position(id, *task) != Some(p)
            {
                return fail(
                    "tasks-on-instance",
                    format!("{name}: lists task {} at {p}, which is not one of its live tasks there", task.0),
                );
            }
            let td = &e.task_defs[e.origin(t.origin).task_def.index()];
            let pinned = e.tasks.gpus(*task);
            if pinned.count_ones() != td.gpu {
                return fail(
                    "gpus-pinned",
                    format!(
                        "{name}: task {} has {} GPUs pinned, its task definition reserves {}",
                        task.0,
                        pinned.count_ones(),
                        td.gpu
                    ),
                );
            }
            // Its size read as its reservation reads it (`Engine::task_size`: an override's, else
            // its task definition's).
            let (cpu, memory) = e.task_size(*task);
            if !t.reservation_released() {
                r.cpu += cpu;
                r.memory += memory;
                r.tcp.extend(&td.ports_tcp);
                r.udp.extend(&td.ports_udp);
                r.gpu_shared |= r.gpus & pinned != 0;
                r.gpus |= pinned;
            }
            if t.agent_admitted() {
                r.agent_cpu += cpu;
                r.agent_memory += memory;
                r.agent_tcp.extend(&td.ports_tcp);
                r.agent_udp.extend(&td.ports_udp);
                r.gpu_shared |= r.agent_gpus & pinned != 0;
                r.agent_gpus |= pinned;
            }
            let c = t.contribution();
            r.running += c.running as u32;
            r.pending += c.pending as u32;
            if td.network_mode == NetworkMode::Awsvpc {
                r.enis += 1;
            }
            let daemon =
                e.origin(t.origin).service.is_some_and(|s| e.services[s.index()].scheduling == SchedulingStrategy::Daemon);
            r.daemon_tasks += u16::from(daemon);
            r.stopping += u32::from(t.last_status == TaskStatus::Stopping);
        }
        // The agent's stops in progress are its STOPPING tasks; those kept in sequence (begun
        // under an agent before 1.73.0) are some of them, in the order they began.
        if i.stops_in_progress != r.stopping {
            return fail(
                "stops-in-progress",
                format!("{name}: {} stops in progress counted, {} STOPPING tasks", i.stops_in_progress, r.stopping),
            );
        }
        let mut previous: Option<crate::state::instance::StopSequence> = None;
        for (seq, task) in e.instances.sequenced_stops(id) {
            let t = &e.tasks[task.index()];
            if t.instance != id || t.orphaned() || t.last_status != TaskStatus::Stopping || previous.is_some_and(|p| p >= seq) {
                return fail(
                    "stops-in-progress",
                    format!(
                        "{name}: keeps the stop of task {} in sequence, which is not one of its STOPPING tasks in order",
                        task.0
                    ),
                );
            }
            previous = Some(seq);
        }
        let registered = &e.instance_profile(id).registered;
        if i.remaining.cpu != registered.cpu - r.cpu || i.remaining.memory != registered.memory - r.memory {
            return fail(
                "resources-conserved",
                format!(
                    "{name}: remaining cpu/memory {}/{} but registered {}/{} minus reservations {}/{}",
                    i.remaining.cpu, i.remaining.memory, registered.cpu, registered.memory, r.cpu, r.memory
                ),
            );
        }
        if i.remaining.cpu < 0 || i.remaining.memory < 0 {
            return fail("remaining-within-registered", format!("{name}: negative remaining resources"));
        }
        // GPUs: one task's each (ECS pins a GPU to one container; the agent runs no two tasks on
        // one), the instance's held ones exactly those of the tasks holding their reservation,
        // and its remaining count the registered ones no task holds.
        let devices = e.instances.gpu_devices(id);
        let (registered_gpus, held) = devices.map_or((0, 0), |d| (d.ids.len() as u32, d.held));
        if r.gpu_shared
            || held != r.gpus
            || u32::from(i.gpus_free) != registered_gpus - held.count_ones()
            || r.agent_gpus & !devices.map_or(0, |d| d.free() | d.held) != 0
        {
            return fail(
                "gpus-conserved",
                format!(
                    "{name}: {} of {} GPUs remaining, {} held by the instance's account and {} by its tasks'{}",
                    i.gpus_free,
                    registered_gpus,
                    held.count_ones(),
                    r.gpus.count_ones(),
                    if r.gpu_shared { ", one GPU pinned to two tasks" } else { "" }
                ),
            );
        }
        // The agent never starts more than the instance has, nor two tasks on one host port.
        if r.agent_cpu > registered.cpu || r.agent_memory > registered.memory {
            return fail("agent-within-registered", format!("{name}: the agent holds more CPU or memory than registered"));
        }
        for (reg, used) in [(registered.ports_tcp, &r.agent_tcp), (registered.ports_udp, &r.agent_udp)] {
            ports.clear();
            ports.extend(e.port_set(reg).iter().chain(used.iter()));
            ports.sort_unstable();
            let before = ports.len();
            ports.dedup();
            if ports.len() != before {
                return fail("agent-within-registered", format!("{name}: the agent holds a host port twice"));
            }
        }
        for (reg, rem, used) in
            [(registered.ports_tcp, i.remaining.ports_tcp, &r.tcp), (registered.ports_udp, i.remaining.ports_udp, &r.udp)]
        {
            // No host port is reserved twice: by two tasks, or by a task and the agent.
            let (reg, rem) = (e.port_set(reg), e.port_set(rem));
            ports.clear();
            ports.extend(reg.iter().chain(used.iter()));
            ports.sort_unstable();
            let before = ports.len();
            ports.dedup();
            if ports.len() != before {
                return fail("ports-unique", format!("{name}: a host port is used twice"));
            }
            if rem != ports.as_slice() {
                return fail("resources-conserved", format!("{name}: remaining ports {rem:?}, expected {ports:?}"));
            }
        }
        if i.running_tasks_count != r.running || i.pending_tasks_count != r.pending {
            return fail(
                "task-counts",
                format!(
                    "{name}: runningTasksCount/pendingTasksCount {}/{} but recount {}/{}",
                    i.running_tasks_count, i.pending_tasks_count, r.running, r.pending
                ),
            );
        }
        if i.daemon_tasks != r.daemon_tasks {
            return fail("daemon-tasks", format!("{name}: {} DAEMON tasks counted, {} listed", i.daemon_tasks, r.daemon_tasks));
        }
        if i.task_enis_in_use != r.enis {
            return fail("enis-in-use", format!("{name}: taskEnisInUse {} but {} awsvpc tasks", i.task_enis_in_use, r.enis));
        }
        if let Some(limit) = i.task_eni_limit {
            if i.task_enis_in_use > limit {
                return fail("eni-limit", format!("{name}: {} task ENIs in use, limit {limit}", i.task_enis_in_use));
            }
        }
    }
    Ok(())
}

/// Recounts each service's spread counts from its task list (which `check_services` has shown to
/// hold exactly its live tasks), one service at a time: a recount of every service at once would
/// double the counts' memory at the end of a big run.
/// Spread counts with their zero entries dropped, for comparing a kept count with a recount.
/// Each cluster's spread counts of its task groups' standalone tasks equal a recount of the
/// staying standalone tasks on its instances.
fn check_group_spread_counts(e: &Engine) -> Result<(), InvariantViolation> {
    let mut want: Vec<BTreeMap<Sym, crate::state::service::SpreadCounts>> = vec![BTreeMap::new(); e.clusters.len()];
    for (n, t) in e.tasks.iter().enumerate() {
        let origin = e.origin(t.origin);
        if origin.service.is_some() || !e.counted_in_spread(TaskId(n as u32)) {
            continue;
        }
        let i = &e.instances[t.instance.index()];
        // Counted by the value of the attribute the group counts by, if it counts by one.
        let attribute = e.clusters.group_value_attribute(i.cluster, origin.group);
        let value = attribute.and_then(|a| e.instance_attribute(t.instance, a).flatten());
        want[i.cluster.index()]
            .entry(origin.group)
            .or_insert_with(|| crate::state::service::SpreadCounts {
                value_attribute: attribute,
                ..crate::state::service::SpreadCounts::new(true)
            })
            .adjust_valued(t.instance, i.availability_zone, value, 1);
    }
    for (c, want) in want.into_iter().enumerate() {
        // Groups without a staying task keep empty counts (by the attribute they count by).
        let empty = |s: &crate::state::service::SpreadCounts| {
            s.same_counts(&crate::state::service::SpreadCounts {
                value_attribute: s.value_attribute,
                ..crate::state::service::SpreadCounts::new(true)
            })
        };
        let got: BTreeMap<Sym, &crate::state::service::SpreadCounts> =
            e.clusters[c].group_spread.iter().filter(|(_, s)| !empty(s)).map(|(g, s)| (*g, s)).collect();
        let agree = got.len() == want.len() && got.iter().zip(&want).all(|((g, got), (h, want))| g == h && got.same_counts(want));
        if !agree {
            return fail(
                "spread-counts",
                format!(
                    "cluster {}: task groups' spread counts {got:?} but recount {want:?}",
                    e.strings.resolve(e.clusters[c].name)
                ),
            );
        }
    }
    Ok(())
}

/// Every room order holds exactly its owner's occupied members of its class, filed by zone
/// under their pool (zone, value or none) and by the owner's count; a cluster notes exactly the
/// owners keeping one.
fn check_room_orders(e: &Engine) -> Result<(), InvariantViolation> {
    for (c, cluster) in e.clusters.iter().enumerate() {
        let id = ClusterId(c as u32);
        let mut keeping = Vec::new();
        for (owner, spread) in counted_owners(e, cluster) {
            let Some(room) = spread.room.as_deref() else { continue };
            keeping.push(owner);
            let room_fail = |what: String| {
                fail(
                    "spread-counts",
                    format!("cluster {}: {}'s room order {what}", e.strings.resolve(cluster.name), owner_name(e, owner)),
                )
            };
            // A service's order breaks ties as its strategies say (`placement::spread_tie`). (A
            // task group's strategies are its RunTask call's, so its order's tie-break is read
            // only when it matches the call.)
            if let crate::placement::Owner::Service(sid) = owner {
                let s = &e.services[sid.index()];
                let tie =
                    crate::placement::spread_tie(crate::placement::picking_rules(&s.strategies, e.builtin.availability_zone));
                if room.tie != tie {
                    return room_fail(format!("breaks ties by {:?} but its strategies {:?} by {tie:?}", room.tie, s.strategies));
                }
            }
            // The pool each instance is filed under.
            let pool_of = |i: InstanceId| {
                let value = match room.pools {
                    crate::state::service::RoomPools::Value => {
                        spread.value_attribute.and_then(|a| e.instance_attribute(i, a).flatten())
                    }
                    _ => None,
                };
                room.pool(e.instances[i.index()].availability_zone, value)
            };
            let want: BTreeSet<crate::state::service::RoomEntry> = spread
                .per_instance
                .sorted()
                .into_iter()
                .filter(|(i, _)| e.in_size_class(*i, room.class))
                .map(|(i, n)| {
                    let key = e.instances[i.index()].index_key(i);
                    (pool_of(i), n, room.tie.key(key.memory, key.cpu), i)
                })
                .collect();
            // The unoccupied members, by free memory, when the order keeps them.
            let unoccupied: Vec<InstanceId> = cluster
                .instances
                .iter()
                .copied()
                .filter(|i| room.free.is_some() && e.in_size_class(*i, room.class) && !spread.per_instance.contains(*i))
                .collect();
            let keyed = |key: fn(&crate::placement::IndexKey) -> i32| -> BTreeSet<(Option<Sym>, i32, InstanceId)> {
                unoccupied.iter().map(|i| (pool_of(*i), key(&e.instances[i.index()].index_key(*i)), *i)).collect()
            };
            let want_free = room.free.as_ref().map(|_| keyed(|k| k.memory));
            // And by CPU, when the order keeps them so.
            let want_by_cpu = room.free_by_cpu.as_ref().map(|_| keyed(|k| k.cpu));
            if room.free_by_cpu != want_by_cpu {
                return room_fail(format!("keeps unoccupied members by CPU {:?} but recount {want_by_cpu:?}", room.free_by_cpu));
            }
            if room.free != want_free {
                return room_fail(format!("keeps unoccupied members {:?} but recount {want_free:?}", room.free));
            }
            if room.entries != want {
                return room_fail(format!("{:?} but recount {want:?}", room.entries));
            }
        }
        let mut noted = e.clusters.room_ordered(id).to_vec();
        noted.sort_by_key(owner_key);
        keeping.sort_by_key(owner_key);
        if noted != keeping {
            let names = |owners: &[Owner]| owners.iter().map(|o| owner_name(e, *o)).collect::<Vec<_>>().join(", ");
            return fail(
                "spread-counts",
                format!(
                    "cluster {}: owners noted as keeping room orders [{}], keeping them [{}]",
                    e.strings.resolve(cluster.name),
                    names(&noted),
                    names(&keeping)
                ),
            );
        }
    }
    Ok(())
}

/// A pool an owner's spread searches noted full ([`crate::state::service::NoFreeMembers`]), while
/// the note is current (the cluster's index has counted no join and the owner no vacated
/// instance since), has no member the owner leaves unoccupied. Visits the noted pools' members
/// only: a pool found full has no more members than the owner has tasks.
fn check_full_pool_notes(e: &Engine) -> Result<(), InvariantViolation> {
    for cluster in e.clusters.iter() {
        let placement = &cluster.placement;
        for (owner, spread) in counted_owners(e, cluster) {
            let Some(notes) = spread.no_free_members.as_deref() else { continue };
            if (notes.joins, notes.vacated) != (placement.joins(), spread.vacated) {
                continue;
            }
            for (class, az, value) in &notes.pools {
                let Some(index) = placement.classes.get(class) else {
                    return fail(
                        "spread-counts",
                        format!("{} notes a pool of size class {class} the index lacks", owner_name(e, owner)),
                    );
                };
                let members = match value {
                    None => Some(&index.all),
                    Some((attribute, value)) => index.by_value.get(attribute).and_then(|values| values.get(value)),
                };
                let in_zone = |i: &InstanceId| az.is_none_or(|z| e.instances[i.index()].availability_zone == z);
                let free = members
                    .into_iter()
                    .flat_map(|m| m.by_memory.iter().map(|(_, i)| *i))
                    .find(|i| in_zone(i) && !spread.per_instance.contains(*i));
                if let Some(i) = free {
                    return fail(
                        "spread-counts",
                        format!(
                            "cluster {}: {} notes a pool of size class {class} full, but it does not occupy {}",
                            e.strings.resolve(cluster.name),
                            owner_name(e, owner),
                            e.strings.resolve(e.instances[i.index()].name)
                        ),
                    );
                }
            }
        }
    }
    Ok(())
}

/// A cluster's services and task groups with their spread counts: services in creation order,
/// then task groups in the order of their interned names.
fn counted_owners<'a>(
    e: &'a Engine,
    cluster: &'a crate::state::cluster::ClusterState,
) -> impl Iterator<Item = (Owner, &'a crate::state::service::SpreadCounts)> {
    let services = cluster.services.iter().map(|s| (Owner::Service(*s), &e.services[s.index()].spread));
    services.chain(cluster.group_spread.iter().map(|(g, s)| (Owner::Group(*g), s)))
}

/// An owner as the report names it: the service's name, or `group NAME`.
fn owner_name(e: &Engine, owner: Owner) -> String {
    match owner {
        Owner::Service(s) => e.strings.resolve(e.services[s.index()].name).to_string(),
        Owner::Group(g) => format!("group {}", e.strings.resolve(g)),
    }
}

/// An owner as a sortable key.
fn owner_key(owner: &Owner) -> (u8, usize) {
    match owner {
        Owner::Service(s) => (0, s.index()),
        Owner::Group(g) => (1, g.number()),
    }
}

/// An owner's kept order of the values it counts by files every ranked value at its count,
/// unless noted as changed since its last spread ([`crate::state::service::ValueOrder`]).
fn check_value_orders(e: &Engine) -> Result<(), InvariantViolation> {
    let ranks = |c: usize, spread: &crate::state::service::SpreadCounts| {
        spread.value_attribute.and_then(|a| e.clusters[c].placement.value_samples.get(&a)).map(|s| &s.ranks)
    };
    for s in e.services.iter() {
        if let Some(fault) = s.spread.value_order_fault(ranks(s.cluster.index(), &s.spread)) {
            return fail("spread-counts", format!("service {}: {fault}", e.strings.resolve(s.name)));
        }
    }
    for (c, cluster) in e.clusters.iter().enumerate() {
        for (group, spread) in &cluster.group_spread {
            if let Some(fault) = spread.value_order_fault(ranks(c, spread)) {
                return fail("spread-counts", format!("task group {}: {fault}", e.strings.resolve(*group)));
            }
        }
    }
    Ok(())
}

fn check_spread_counts(e: &Engine) -> Result<(), InvariantViolation> {
    check_group_spread_counts(e)?;
    check_value_orders(e)?;
    check_room_orders(e)?;
    check_full_pool_notes(e)?;
    for s in e.services.iter() {
        // What the counts keep follows the service's strategies and distinctInstance as they are
        // now (UpdateService may have replaced them): per instance, and per value of the attribute
        // the strategy that picks spreads by.
        let shape = crate::state::service::SpreadCounts::for_strategies(
            &s.strategies,
            e.builtin.availability_zone,
            s.constraints.distinct,
        );
        if (shape.tracks_instances, shape.value_attribute) != (s.spread.tracks_instances, s.spread.value_attribute) {
            return fail(
                "spread-counts",
                format!(
                    "{}: its spread counts keep per instance {} and by value {:?}, its strategies {:?} need {} and {:?}",
                    e.strings.resolve(s.name),
                    s.spread.tracks_instances,
                    s.spread.value_attribute.map(|a| e.strings.resolve(a)),
                    s.strategies,
                    shape.tracks_instances,
                    shape.value_attribute.map(|a| e.strings.resolve(a)),
                ),
            );
        }
        let mut want = crate::state::service::SpreadCounts {
            value_attribute: s.spread.value_attribute,
            ..crate::state::service::SpreadCounts::new(s.spread.tracks_instances)
        };
        // The staying tasks per instance first, then each instance's count added at once (under
        // the instance's zone and its value of the attribute now): the same counts as adding the
        // tasks one by one, without reordering the count index at every task of a big service.
        let mut per_instance: BTreeMap<InstanceId, i32> = BTreeMap::new();
        for id in s.tasks.iter().filter(|id| e.counted_in_spread(**id)) {
            *per_instance.entry(e.tasks[id.index()].instance).or_insert(0) += 1;
        }
        for (instance, staying) in per_instance {
            let value = want.value_attribute.and_then(|a| e.instance_attribute(instance, a).flatten());
            want.adjust_valued(instance, e.instances[instance.index()].availability_zone, value, staying);
        }
        if !s.spread.same_counts(&want) {
            return fail(
                "spread-counts",
                format!("{}: spread counts {:?} but recount {:?}", e.strings.resolve(s.name), s.spread, want),
            );
        }
    }
    check_zone_stop_orders(e)
}

/// A zone stop order is kept only by a service that rebalances, and holds the service's staying
/// tasks, each under its instance's zone with its stop key now, and nothing else (probed task by task: a copy of the order would double
/// it at the end of a big run).
fn check_zone_stop_orders(e: &Engine) -> Result<(), InvariantViolation> {
    for s in e.services.iter() {
        let Some(order) = s.zone_stop_order.as_deref() else { continue };
        if !s.az_rebalancing() {
            return fail(
                "zone-stop-order",
                format!("{}: keeps a zone stop order but does not rebalance", e.strings.resolve(s.name)),
            );
        }
        let mut staying = 0usize;
        let all_filed = s.tasks.iter().filter(|t| e.counted_in_spread(**t)).all(|t| {
            staying += 1;
            let (zone, key) = e.zone_place(*t);
            order.contains(zone, key)
        });
        if !all_filed || order.len() != staying {
            return fail(
                "zone-stop-order",
                format!("{}: its zone stop order is not its staying tasks by zone in stop order", e.strings.resolve(s.name)),
            );
        }
    }
    Ok(())
}

fn check_services(e: &Engine) -> Result<(), InvariantViolation> {
    if !e.services.list_positions_counted() {
        return fail("service-tasks", "a task outside the long service lists keeps a list position".to_string());
    }
    // Every live task of a service is at its recorded position in its service's list.
    for (n, t) in e.tasks.iter().enumerate() {
        let Some(s) = e.origin(t.origin).service.filter(|_| t.contribution().live) else { continue };
        let id = TaskId(n as u32);
        if e.services.list_position(s, id).and_then(|p| e.services[s.index()].tasks.get(p)) != Some(&id) {
            return fail(
                "service-tasks",
                format!("{}: live task {n} is missing from its task list", e.strings.resolve(e.services[s.index()].name)),
            );
        }
    }
    for (n, s) in e.services.iter().enumerate() {
        // The task list holds exactly the service's live tasks: each entry is live, the service's
        // own and at its recorded position (so none is listed twice), and every live task is
        // listed (above). The counters are recounted from it.
        let mut expect = ServiceCounts::default();
        let mut staying_healthy = 0u32;
        for (pos, id) in s.tasks.iter().enumerate() {
            let t = &e.tasks[id.index()];
            let c = t.contribution();
            staying_healthy += (c.healthy && e.counted_in_spread(*id)) as u32;
            if !c.live
                || e.origin(t.origin).service != Some(ServiceId(n as u32))
                || e.services.list_position(ServiceId(n as u32), *id) != Some(pos)
            {
                return fail(
                    "service-tasks",
                    format!(
                        "{}: its task list holds a task twice, or one not live or not its own, or one not where its position says",
                        e.strings.resolve(s.name)
                    ),
                );
            }
            expect.running += c.running as u32;
            expect.pending += c.pending as u32;
            expect.healthy += c.healthy as u32;
            expect.live += c.live as u32;
        }
        if s.counts != expect {
            return fail(
                "service-counts",
                format!(
                    "{}: running/pending/healthy/live counters {}/{}/{}/{} but recount {}/{}/{}/{}",
                    e.strings.resolve(s.name),
                    s.counts.running,
                    s.counts.pending,
                    s.counts.healthy,
                    s.counts.live,
                    expect.running,
                    expect.pending,
                    expect.healthy,
                    expect.live
                ),
            );
        }
        // The deepest dip below the floor is within the breaches: there is one exactly when the
        // service breached, below its floor, inside a breach episode (its end included: an instant
        // the scheduler ends twice, after a request at the same time, may open and close one).
        let o = &s.schedule.observations;
        let deepest_dip = e.services.deepest_dip(ServiceId(n as u32));
        let dip_within_breach = |d: &crate::state::service::FloorDip| {
            d.healthy < d.floor
                && d.at_ms <= e.now_ms
                && o.floor_breaches.iter().any(|b| b.started_at_ms <= d.at_ms && b.ended_at_ms.is_none_or(|end| d.at_ms <= end))
        };
        let breached = !o.floor_breaches.is_empty();
        if deepest_dip.is_some() != breached || deepest_dip.is_some_and(|d| !dip_within_breach(&d)) {
            return fail(
                "service-dip",
                format!(
                    "{}: its deepest dip below the floor is not one of its floor breaches' instants",
                    e.strings.resolve(s.name)
                ),
            );
        }
        // The settings UpdateService or DeleteService replaced: a REPLICA's alone, one per instant,
        // in time order, none in the future, and none the same as the settings that replaced it.
        let replaced = e.services.replaced_settings(ServiceId(n as u32));
        if s.scheduling == SchedulingStrategy::Daemon && !replaced.is_empty() {
            return fail("service-settings", format!("{}: a DAEMON with a history of settings", e.strings.resolve(s.name)));
        }
        let next_settings = replaced.iter().skip(1).map(|(_, x)| *x).chain(std::iter::once(s.settings()));
        if replaced.windows(2).any(|w| w[0].0 >= w[1].0)
            || replaced.last().is_some_and(|(until, _)| *until > e.now_ms)
            || replaced.iter().zip(next_settings).any(|((_, was), next)| *was == next)
        {
            return fail(
                "service-settings",
                format!(
                    "{}: its replaced deployment settings are out of time order, in the future or the same as what replaced them",
                    e.strings.resolve(s.name)
                ),
            );
        }
        if s.staying_healthy != staying_healthy {
            return fail(
                "service-counts",
                format!(
                    "{}: {} healthy staying tasks counted but {staying_healthy} recounted",
                    e.strings.resolve(s.name),
                    s.staying_healthy
                ),
            );
        }
        // The UNHEALTHY tasks the scheduler replaces are listed tasks, none healthy, and a service
        // with none keeps no set.
        let id = ServiceId(n as u32);
        let mut noted = e.services.unhealthy_tasks(id).peekable();
        let some = noted.peek().is_some();
        let unhealthy_listed = noted.all(|t| e.services.list_position(id, t).is_some() && !e.tasks[t.index()].healthy())
            && some == e.services.any_unhealthy(id);
        if !unhealthy_listed {
            return fail(
                "unhealthy-tasks",
                format!("{}: an UNHEALTHY task noted is not listed, or healthy", e.strings.resolve(s.name)),
            );
        }
        // A pass reads whether work is left and whether anything is in flight from the counters
        // (`scheduler.rs`); here, from the tasks themselves.
        let (mut on_draining, mut wanted, mut in_flight) = (0u32, 0u32, false);
        let mut drain_candidates = std::collections::BTreeSet::new();
        // Staying tasks healthy, and staying UNHEALTHY (waiting for replacements, not in flight).
        let (mut staying_healthy, mut staying_unhealthy) = (0u32, 0u32);
        for id in &s.tasks {
            let t = &e.tasks[id.index()];
            let draining = e.instances[t.instance.index()].status == InstanceStatus::Draining;
            let waits_for_replacement =
                !t.desired_stopped() && !t.orphaned() && !draining && e.services.is_unhealthy(ServiceId(n as u32), *id);
            in_flight |= t.desired_stopped() || (!t.healthy() && !waits_for_replacement);
            if t.desired_stopped() {
                continue;
            }
            if draining {
                on_draining += 1;
                drain_candidates.insert(e.stop_key(*id));
            } else {
                wanted += 1;
                staying_healthy += u32::from(t.healthy());
                staying_unhealthy += u32::from(waits_for_replacement);
            }
        }
        let awaiting = staying_unhealthy.min(s.desired_count.saturating_sub(staying_healthy));
        wanted -= awaiting;
        let kept_as_due = match &s.drain_candidates {
            Some(kept) => kept.are(drain_candidates.iter().copied()),
            None => s.tasks.len() < crate::state::service::DRAIN_CANDIDATES_KEPT_FROM,
        };
        if !kept_as_due {
            return fail(
                "drain-candidates",
                format!(
                    "{}: {} for {} listed tasks, {} tasks not told to stop on DRAINING instances",
                    e.strings.resolve(s.name),
                    match &s.drain_candidates {
                        Some(kept) => format!("{} drain candidates kept", kept.len()),
                        None => "no drain candidates kept".to_string(),
                    },
                    s.tasks.len(),
                    drain_candidates.len()
                ),
            );
        }
        let work_left = (s.scheduling == SchedulingStrategy::Replica && on_draining > 0) || wanted < s.desired_count;
        let id = ServiceId(n as u32);
        if (e.work_left(id), e.in_flight(id)) != (work_left, in_flight) {
            return fail(
                "pass-counters",
                format!(
                    "{}: from the counters work left {} and in flight {}, from the tasks {work_left} and {in_flight}",
                    e.strings.resolve(s.name),
                    e.work_left(id),
                    e.in_flight(id)
                ),
            );
        }
        if s.status == ServiceStatus::Inactive && s.tasks.iter().any(|t| e.tasks[t.index()].last_status < TaskStatus::Stopping) {
            return fail("service-status", format!("{}: INACTIVE with a task not yet STOPPING", e.strings.resolve(s.name)));
        }
    }
    // Each cluster lists exactly its services with availabilityZoneRebalancing ENABLED, and lists
    // each of its services under its name, in creation order, all but the last INACTIVE.
    for (n, c) in e.clusters.iter().enumerate() {
        let by_name_ok = c.services_by_name.values().map(Vec::len).sum::<usize>() == c.services.len()
            && c.services_by_name.iter().all(|(name, named)| {
                named.windows(2).all(|w| w[0] < w[1])
                    && named.iter().enumerate().all(|(k, id)| {
                        let s = &e.services[id.index()];
                        s.cluster.index() == n && s.name == *name && (k + 1 == named.len() || s.status == ServiceStatus::Inactive)
                    })
            });
        if !by_name_ok {
            return fail(
                "service-names",
                format!("cluster {}: a service name does not find its latest service", e.strings.resolve(c.name)),
            );
        }
        let enabled = c.services.iter().filter(|s| e.services[s.index()].az_rebalancing()).count();
        let listed_ok = c.rebalancing_services.iter().all(|s| {
            let s = &e.services[s.index()];
            s.cluster.index() == n && s.az_rebalancing()
        });
        if !listed_ok || enabled != c.rebalancing_services.len() {
            return fail(
                "rebalancing-services",
                format!("cluster {}: its rebalancing services are not those with rebalancing ENABLED", e.strings.resolve(c.name)),
            );
        }
        // The services waiting for room are the cluster's, filed by what their next pass would
        // try to place (a wake by an instance's room reads it).
        if !c.capacity_waiters.indexes_agree() {
            return fail(
                "capacity-waiters",
                format!(
                    "cluster {}: the services waiting for room are not filed by what they wait for",
                    e.strings.resolve(c.name)
                ),
            );
        }
        for (id, wait) in c.capacity_waiters.iter() {
            let s = &e.services[id.index()];
            let req = e.requirements_of(s.task_def);
            let current = (wait.cpu, wait.memory, wait.gpu) == (req.cpu, req.memory, req.gpu)
                && wait.daemon == (s.scheduling == SchedulingStrategy::Daemon)
                && wait.reads_task_groups == s.constraints.reads_task_groups();
            let stale = s.cluster.index() != n || (s.status == ServiceStatus::Active && !current && !e.pass_due_now(id));
            // The rebalancing wakes pass a waiting service by (`wake_rebalancing_services`): it
            // must have no move to make.
            let move_due = s.az_rebalancing() && !e.pass_due_now(id) && !matches!(e.zone_check(id, false), ZoneCheck::Unsettled);
            if stale || move_due {
                let what = if stale {
                    "waits for room for a task its next pass would not place"
                } else {
                    "waits for room and its zones call for a rebalancing move or event"
                };
                return fail(
                    "capacity-waiters",
                    format!("cluster {}: service {} {what}", e.strings.resolve(c.name), e.strings.resolve(s.name)),
                );
            }
        }
        // A service the cluster's wakes pass by was found balanced, or unsettled with no move, over
        // the zones they are for.
        let passed_by = |s: &ServiceId| e.services.zones_noted_over(*s).map(u64::from) == Some(c.rebalancing_zone_set);
        if !c.rebalancing_unsettled.is_subset(&c.rebalancing_services)
            || c.rebalancing_services.iter().any(|s| !c.rebalancing_unsettled.contains(s) && !passed_by(s))
        {
            return fail(
                "rebalancing-unsettled",
                format!(
                    "cluster {}: a rebalancing service a placeable instance would not wake has no finding of its zones",
                    e.strings.resolve(c.name)
                ),
            );
        }
        // A service with a finding of the zones the cluster has now, whose pass is not due, would
        // find nothing to do in its zones in one: wakes may pass it by. Found balanced, it still
        // is; found unsettled, it still is, with no move under way (its own change runs its pass
        // before it settles).
        let zone_set = c.placement.zone_set_changes();
        for s in &c.rebalancing_services {
            let Some(note) = e.services.zone_note(*s) else { continue };
            if u64::from(note.over) != zone_set || e.pass_due_now(*s) {
                continue;
            }
            let check = e.zone_check(*s, false);
            let found = match (note.found, &check) {
                (ZoneFinding::Unsettled, _) if e.services[s.index()].schedule.rebalance_move.is_some() => "a move under way",
                (ZoneFinding::Unsettled, ZoneCheck::Unsettled) => continue,
                (_, ZoneCheck::Unsettled) => "it not settled",
                (_, ZoneCheck::NotBalanced(_)) => "its zones not balanced",
                (ZoneFinding::Unsettled, ZoneCheck::Balanced(_)) => "its zones settled",
                (ZoneFinding::Balanced, ZoneCheck::Balanced(_)) if e.services[s.index()].schedule.rebalancing => {
                    "an \"AZ balanced\" event to send"
                }
                (ZoneFinding::Balanced, ZoneCheck::Balanced(_)) => continue,
            };
            let noted = match note.found {
                ZoneFinding::Balanced => "balanced over its zones",
                ZoneFinding::Unsettled => "unsettled in its zones",
            };
            return fail(
                "rebalancing-unsettled",
                format!(
                    "cluster {}: service {} is noted {noted}, and a pass would find {found}",
                    e.strings.resolve(c.name),
                    e.strings.resolve(e.services[s.index()].name)
                ),
            );
        }
        if let Some(due_at_ms) = c.rebalancing_passes_due_at_ms {
            let woken = |s: &ServiceId| !e.pass_due_now(*s) && !passed_by(s) && !e.clusters.is_waiting(ClusterId(n as u32), *s);
            if due_at_ms == e.now_ms && c.rebalancing_services.iter().any(woken) {
                return fail(
                    "rebalancing-passes-due",
                    format!(
                        "cluster {}: noted with every rebalancing service's pass due now, and one is not",
                        e.strings.resolve(c.name)
                    ),
                );
            }
        }
    }
    check_spread_counts(e)
}

/// Every instance an ACTIVE DAEMON service's pass would act on is among its candidates
/// (`scheduler.rs::daemon_pass` visits only those), and its candidates are its cluster's.
/// `capacity-providers`: a service's count of its live tasks on each provider of its strategy is
/// the number of its listed tasks on that provider's instances; every provider a service's
/// strategy or a cluster's default strategy names is one of its cluster's (an instance keeps its
/// group's provider after its cluster drops it).
fn check_capacity_providers(e: &Engine) -> Result<(), InvariantViolation> {
    for s in e.services.iter() {
        let Some(c) = &s.capacity else { continue };
        let providers = &e.clusters[s.cluster.index()].capacity_providers;
        for (k, item) in c.strategy.iter().enumerate() {
            let on = s
                .tasks
                .iter()
                .filter(|t| e.instance_profile(e.tasks[t.index()].instance).capacity_provider == Some(item.provider))
                .count();
            if on != c.live[k] as usize || (s.status != ServiceStatus::Inactive && !providers.contains(&item.provider)) {
                return fail(
                    "capacity-providers",
                    format!(
                        "{}: {} live tasks on capacity provider {} counted {}, or the provider is not its cluster's",
                        e.strings.resolve(s.name),
                        on,
                        e.strings.resolve(item.provider),
                        c.live[k]
                    ),
                );
            }
        }
    }
    for c in e.clusters.iter() {
        if let Some(i) = c.default_capacity_provider_strategy.iter().find(|i| !c.capacity_providers.contains(&i.provider)) {
            return fail(
                "capacity-providers",
                format!(
                    "cluster {}: its default strategy names {}, not its own",
                    e.strings.resolve(c.name),
                    e.strings.resolve(i.provider)
                ),
            );
        }
    }
    Ok(())
}

fn check_daemon_candidates(e: &Engine) -> Result<(), InvariantViolation> {
    for (n, s) in e.services.iter().enumerate() {
        if s.scheduling != SchedulingStrategy::Daemon || s.status != ServiceStatus::Active {
            continue;
        }
        let id = ServiceId(n as u32);
        if s.daemon_candidates.iter().any(|i| e.instances[i.index()].cluster != s.cluster) {
            return fail("daemon-candidates", format!("{}: a candidate of another cluster", e.strings.resolve(s.name)));
        }
        let member_of = !s.constraints.member_of.is_empty();
        for i in &e.clusters[s.cluster.index()].instances {
            // A daemon with memberOf counts the instances it last found selected; one whose
            // answer changed since must be due for evaluating again.
            if member_of
                && e.counts_as_daemon_member(id, *i) != s.daemon_members.contains(i)
                && !s.daemon_members_stale.contains(*i)
            {
                return fail(
                    "daemon-candidates",
                    format!(
                        "{}: its count of selected instances is wrong about {} and would not look at it again",
                        e.strings.resolve(s.name),
                        e.strings.resolve(e.instances[i.index()].name)
                    ),
                );
            }
            if e.daemon_action(id, *i) != crate::engine::scheduler::DaemonAction::Nothing && !s.daemon_candidates.contains(*i) {
                return fail(
                    "daemon-candidates",
                    format!(
                        "{}: its pass would act on {} but would not visit it",
                        e.strings.resolve(s.name),
                        e.strings.resolve(e.instances[i.index()].name)
                    ),
                );
            }
        }
    }
    Ok(())
}

fn check_instances(e: &Engine) -> Result<(), InvariantViolation> {
    // What a profile derives from its agent version is that version's (each distinct profile once).
    for p in e.instances.profiles() {
        let version = p.agent_version.map(|v| e.strings.resolve(v));
        let (honours, key) = super::instances::derived_from_agent_version(version);
        if p.agent_version_key.as_deref() != key.as_deref() {
            let version = version.unwrap_or("none");
            return fail("instance-profile", format!("a profile's version key does not follow its agent version {version}"));
        }
        if p.honours_container_stop_timeout != honours {
            let version = version.unwrap_or("none");
            return fail(
                "instance-profile",
                format!("a profile's stop-timeout rule does not follow its agent version {version}"),
            );
        }
    }
    // The instance table's ACTIVE count of each cluster (a daemon's desired count) is a recount.
    for (n, c) in e.clusters.iter().enumerate() {
        let active = c.instances.iter().filter(|i| e.instances[i.index()].status == InstanceStatus::Active).count();
        let counted = e.instances.active_in_cluster(crate::infra::ids::ClusterId(n as u32));
        if counted as usize != active {
            return fail(
                "active-count",
                format!("cluster {}: {counted} ACTIVE instances counted, {active} recounted", e.strings.resolve(c.name)),
            );
        }
    }
    // INACTIVE is final, so the count of instances that became INACTIVE is a recount of them.
    let inactive = (0..e.instances.len()).filter(|n| e.instances[*n].status == InstanceStatus::Inactive).count() as u64;
    if e.instances.became_inactive() != inactive {
        return fail(
            "inactive-count",
            format!("{} instances counted as become INACTIVE, {inactive} recounted", e.instances.became_inactive()),
        );
    }
    // Exactly the INACTIVE instances know when they became so, and not after now.
    for n in 0..e.instances.len() {
        let id = InstanceId(n as u32);
        let at = e.instances.inactive_at_ms(id);
        if (e.instances[n].status == InstanceStatus::Inactive) != at.is_some() || at.is_some_and(|at| at > e.now_ms()) {
            let since = at.map_or("no time".to_string(), |at| format!("{at} ms"));
            return fail(
                "inactive-count",
                format!("instance {n}: {} with INACTIVE since {since}", e.instances[n].status.as_str()),
            );
        }
        // A cancelled drain started before it was cancelled, did not complete, and the instance
        // has not drained again since.
        if let Some(cancelled) = e.instances.drain_cancelled_at_ms(id) {
            let i = &e.instances[n];
            let started = i.drain.started_at_ms();
            if i.status == InstanceStatus::Draining
                || i.drain.completed_at_ms().is_some()
                || started.is_none_or(|s| s > cancelled)
                || cancelled > e.now_ms()
            {
                return fail(
                    "drain-cancelled",
                    format!("instance {n}: {} with a drain cancelled at {cancelled} ms, started {started:?}", i.status.as_str()),
                );
            }
        }
    }
    // The instances without a known task ENI limit that awsvpc requests look for are exactly those.
    let mut unknown: Vec<_> = (0..e.instances.len())
        .map(|n| (e.instances[n].cluster, InstanceId(n as u32)))
        .filter(|(_, id)| {
            e.instances[id.index()].task_eni_limit.is_none() && e.instances[id.index()].status != InstanceStatus::Inactive
        })
        .collect();
    unknown.sort();
    if !e.instances.without_eni_limit().eq(unknown.iter().copied()) {
        return fail("unknown-eni-limit", "the instances without a task ENI limit are not those listed".to_string());
    }
    // The ACTIVE instances with a disconnected agent that a failed placement names are exactly those.
    let mut disconnected: Vec<_> = (0..e.instances.len())
        .map(|n| (e.instances[n].cluster, InstanceId(n as u32)))
        .filter(|(_, id)| {
            let i = &e.instances[id.index()];
            i.status == InstanceStatus::Active && !i.agent_connected
        })
        .collect();
    disconnected.sort();
    if !e.instances.disconnected_active().eq(disconnected.iter().copied()) {
        return fail("disconnected-active", "the ACTIVE instances with a disconnected agent are not those listed".to_string());
    }
    // A task waits for its agent only while the agent is away: a held step of a connected agent
    // would never happen.
    for (instance, held) in &e.faults.agent_held {
        let standing = held.iter().find(|(id, step)| e.agent_hold_stands(*id, *step));
        if let Some((id, _)) = standing.filter(|_| e.instances[instance.index()].agent_connected) {
            return fail(
                "agent-held",
                format!(
                    "task {} waits for the agent of {}, which is connected",
                    id.0,
                    e.strings.resolve(e.instances[instance.index()].name)
                ),
            );
        }
        if let Some((id, _)) = held.iter().find(|(id, _)| e.tasks[id.index()].instance != *instance) {
            return fail("agent-held", format!("task {} is held for an instance it is not on", id.0));
        }
    }
    check_spot_signals(e)?;
    // A drain completes once per start, so every instance whose last drain is complete is in the
    // log of completions (which a watcher of some drains reads instead of its instances).
    let logged: std::collections::BTreeSet<InstanceId> = e.instances.drains_completed_since(0).iter().copied().collect();
    let unlogged = (0..e.instances.len())
        .map(|n| InstanceId(n as u32))
        .find(|id| e.instances[id.index()].drain.completed_at_ms().is_some() && !logged.contains(id));
    if let Some(id) = unlogged {
        return fail(
            "drains-completed",
            format!(
                "{}: its drain is complete and not in the {} completions logged",
                e.strings.resolve(e.instances[id.index()].name),
                e.instances.drains_completed()
            ),
        );
    }
    for i in e.instances.iter() {
        let name = e.strings.resolve(i.name);
        if i.version == 0 {
            return fail("version", format!("{name}: version 0"));
        }
        if i.status == InstanceStatus::Inactive && (!i.tasks.is_empty() || i.agent_connected) {
            return fail("inactive-is-empty", format!("{name}: INACTIVE with tasks or a connected agent"));
        }
        if i.status == InstanceStatus::RegistrationFailed && i.status_reason.is_none() {
            return fail("status-reason", format!("{name}: REGISTRATION_FAILED without a statusReason"));
        }
        let d = i.drain;
        if let (Some(c), n) = (d.completed_at_ms(), d.no_running_at_ms()) {
            if n.is_none_or(|n| n > c) || d.started_at_ms().is_none_or(|s| s > c) {
                return fail("drain-times", format!("{name}: drain completed before it started or before no task ran"));
            }
        }
        if !i.is_placeable() && !i.tasks.is_empty() {
            for t in &i.tasks {
                if e.task_created_at_ms(*t) > i.drain.started_at_ms().unwrap_or(u64::MAX) && i.status == InstanceStatus::Draining
                {
                    return fail("no-placement-on-draining", format!("{name}: a task was placed after the drain began"));
                }
            }
        }
    }
    Ok(())
}

/// EC2's signals of Spot interruptions: only Spot Instances have one; an interruption notice is a
/// `terminate` interruption given (a hibernated instance has none); a drawn notice still to come
/// follows a recommendation (a pinned interruption may have given the notice meanwhile); and each
/// signal is counted once (a recommendation and a notice may both count for one instance).
fn check_spot_signals(e: &Engine) -> Result<(), InvariantViolation> {
    let f = &e.faults;
    for (id, signal) in &f.spot_signals {
        let name = e.strings.resolve(e.instances[id.index()].name);
        if !f.spot_instances.contains_key(id) {
            return fail(
                "spot-signals",
                format!("{name}: a Spot {} on an instance that is not a Spot Instance", signal.as_str()),
            );
        }
        if (*signal == SpotSignal::InterruptionNotice) != f.spot_notices.contains(id) && !f.terminated_registered.contains(id) {
            return fail("spot-signals", format!("{name}: its {} disagrees with the interruptions given", signal.as_str()));
        }
    }
    if let Some(id) = f.spot_notices_scheduled.iter().find(|id| !f.spot_signals.contains_key(id)) {
        let name = e.strings.resolve(e.instances[id.index()].name);
        return fail("spot-signals", format!("{name}: a drawn notice is to come without a recommendation before it"));
    }
    let least = f.spot_signals.len() as u64;
    if f.spot_signals_given < least || f.spot_signals_given > 2 * least {
        return fail(
            "spot-signals",
            format!("{} Spot signals counted for {least} instances with one (each has one or two)", f.spot_signals_given),
        );
    }
    Ok(())
}

/// Up to how many kept `memberOf` lists the placement index's check asks an instance every list.
const LISTS_EVALUATED_IN_FULL: usize = 64;

fn check_placement_index(e: &Engine) -> Result<(), InvariantViolation> {
    for (c, cluster) in e.clusters.iter().enumerate() {
        let mut expect = 0usize;
        let mut satisfied_total = 0usize;
        let mut members: BTreeMap<crate::placement::SizeClass, usize> = BTreeMap::new();
        for id in &cluster.instances {
            let i = &e.instances[id.index()];
            if i.indexed != i.is_placeable() {
                return fail(
                    "placement-index",
                    format!("{}: indexed {} but placeable {}", e.strings.resolve(i.name), i.indexed, i.is_placeable()),
                );
            }
            if i.indexed {
                expect += 1;
                let k = i.index_key(*id);
                // Its answers to the constraint classes' `memberOf` lists, evaluated afresh: they
                // are the lists it is filed under. While the lists are few, every list is asked,
                // which checks that the keys find them all; past that, the lists its keys find
                // are asked (the keys' soundness is `required_values`'s property test), so the
                // check stays linear in the instances.
                let keyed = e.member_of_answers(ClusterId(c as u32), *id);
                let answers = if cluster.placement.member_of_lists.len() <= LISTS_EVALUATED_IN_FULL {
                    e.member_of_answers_of_every_list(ClusterId(c as u32), *id)
                } else {
                    keyed.clone()
                };
                let filed = cluster.placement.lists_of(*id);
                let listed =
                    |lists: &[crate::placement::MemberOfId]| lists.iter().map(|l| l.0.to_string()).collect::<Vec<_>>().join(", ");
                if filed != answers.as_slice() || keyed != answers {
                    return fail(
                        "placement-index",
                        format!(
                            "{}: filed as satisfying memberOf lists [{}], its keys find [{}], but it satisfies [{}]",
                            e.strings.resolve(i.name),
                            listed(filed),
                            listed(&keyed),
                            listed(&answers)
                        ),
                    );
                }
                satisfied_total += answers.len();
                if let Some(list) = answers.iter().find(|l| !cluster.placement.satisfying.get(l).is_some_and(|s| s.contains(id)))
                {
                    return fail(
                        "placement-index",
                        format!("{}: not among the instances of memberOf list {}", e.strings.resolve(i.name), list.0),
                    );
                }
                // The classes it may be a member of (the size and port classes, and those of the
                // lists it satisfies); the members counted here are all of each class's.
                let lists = std::iter::once(crate::placement::MemberOfId(0)).chain(answers.iter().copied());
                for (key, class) in lists.flat_map(|l| cluster.placement.classes.range(crate::placement::list_classes(l))) {
                    let tracked = !cluster.placement.track_cpu || class.all.by_cpu.contains(&(k.cpu, *id));
                    let member = class.all.by_memory.contains(&(k.memory, *id)) && tracked;
                    let in_az = class.by_az.get(&k.az).is_some_and(|s| s.by_memory.contains(&(k.memory, *id)));
                    if member != key.admits(&k, e.instances.port_sets()) || member != in_az {
                        return fail(
                            "placement-index",
                            format!("{}: wrong membership in size class {key}", e.strings.resolve(i.name)),
                        );
                    }
                    if member {
                        *members.entry(*key).or_insert(0) += 1;
                    }
                }
                // Every placeable instance is a member of the class (0, 0), ordered or not.
                let ordered_everywhere = cluster.placement.classes.get(&crate::placement::EVERY_SIZE).is_none_or(|c| {
                    c.all.by_memory.contains(&(k.memory, *id))
                        && (!cluster.placement.track_cpu || c.all.by_cpu.contains(&(k.cpu, *id)))
                });
                if !cluster.placement.placeable.contains(id) || !k.has_room_for(0, 0) || !ordered_everywhere {
                    return fail("placement-index", format!("{}: stale index key", e.strings.resolve(i.name)));
                }
            }
        }
        for (key, class) in &cluster.placement.classes {
            let counted = members.get(key).copied().unwrap_or(0);
            let in_zones = class.by_az.values().map(|s| s.by_memory.len()).sum::<usize>();
            let by_cpu = if cluster.placement.track_cpu { class.all.by_cpu.len() } else { counted };
            if class.all.by_memory.len() != counted || in_zones != counted || by_cpu != counted {
                return fail(
                    "placement-index",
                    format!("cluster {c}: size class {key} holds {} members, {counted} belong", class.all.by_memory.len()),
                );
            }
        }
        let mut per_zone: BTreeMap<Sym, u32> = BTreeMap::new();
        for id in &cluster.placement.placeable {
            *per_zone.entry(e.instances[id.index()].availability_zone).or_insert(0) += 1;
        }
        if per_zone != cluster.placement.placeable_per_zone {
            return fail("placement-index", format!("cluster {c}: placeable instances per zone miscounted"));
        }
        if cluster.placement.len() != expect {
            return fail(
                "placement-index",
                format!("cluster {c}: index holds {} instances, {expect} placeable", cluster.placement.len()),
            );
        }
        let lists = cluster.placement.member_of_lists.len();
        let filed_lists = cluster.placement.satisfying.keys().map(|m| m.0 as usize).collect::<Vec<_>>();
        if filed_lists.iter().any(|n| *n == 0 || *n > lists)
            || cluster.placement.satisfying.values().any(|s| !s.is_subset(&cluster.placement.placeable))
            || cluster.placement.satisfying.values().map(BTreeSet::len).sum::<usize>() != satisfied_total
        {
            return fail(
                "placement-index",
                format!("cluster {c}: instances filed as satisfying a memberOf list that is not kept, or not placeable"),
            );
        }
        check_attribute_values(e, &cluster.placement)?;
        check_keyed_values(e, &cluster.placement)?;
        if cluster.placement.task_group_holders().is_some_and(|h| *h != e.count_task_group_holders(ClusterId(c as u32))) {
            return fail("placement-index", format!("cluster {c}: the instances kept per task group are not a recount"));
        }
    }
    Ok(())
}

/// The placement index's values of the attributes keyed `memberOf` lists name: every placeable
/// instance with a value filed under it, and nothing else.
fn check_keyed_values(e: &Engine, index: &crate::placement::PlacementIndex) -> Result<(), InvariantViolation> {
    for (attr, values) in &index.keyed_values {
        let expected: BTreeMap<InstanceId, Sym> =
            index.placeable.iter().filter_map(|id| Some((*id, e.instance_attribute(*id, *attr).flatten()?))).collect();
        let filed = values.by_value.iter().flat_map(|(v, ids)| ids.iter().map(move |id| (*id, *v)));
        let by_value: BTreeMap<InstanceId, Sym> = filed.collect();
        let holders = values.by_value.values().map(BTreeSet::len).sum::<usize>();
        if values.of != expected
            || by_value != expected
            || holders != expected.len()
            || values.by_value.values().any(BTreeSet::is_empty)
        {
            return fail(
                "placement-index",
                format!(
                    "the instances filed by their value of {} are not the placeable ones with a value",
                    e.strings.resolve(*attr)
                ),
            );
        }
    }
    Ok(())
}

/// The placement index's values of the attributes spread reads: every placeable instance with its
/// current value, listed under it to be sampled at the place it notes, and each class's members
/// filed under exactly that value, by memory and (when kept) by CPU (no empty values).
fn check_attribute_values(e: &Engine, index: &crate::placement::PlacementIndex) -> Result<(), InvariantViolation> {
    if !index.value_samples.keys().eq(index.attribute_values.keys()) {
        return fail("placement-index", "the attributes sampled are not the attributes tracked".to_string());
    }
    for (attr, values) in &index.attribute_values {
        let name = e.strings.resolve(*attr);
        if !values.keys().eq(index.placeable.iter()) {
            return fail("placement-index", format!("attribute {name}: values kept for other instances than the placeable ones"));
        }
        let samples = &index.value_samples[attr];
        let mut sampled: BTreeMap<Option<Sym>, Vec<InstanceId>> = BTreeMap::new();
        for (value, list) in &samples.by_value {
            for (at, id) in list.iter().enumerate() {
                if samples.at.get(id.index()) != Some(&(at as u32)) {
                    return fail(
                        "placement-index",
                        format!("attribute {name}: an instance sampled at another place than it notes"),
                    );
                }
            }
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sampled.insert(*value, sorted);
        }
        let mut expect: BTreeMap<Option<Sym>, Vec<InstanceId>> = BTreeMap::new();
        for (id, value) in values {
            expect.entry(*value).or_default().push(*id);
        }
        if sampled != expect {
            return fail("placement-index", format!("attribute {name}: instances sampled under other values than theirs"));
        }
        for (key, class) in &index.classes {
            let mut expect: BTreeMap<Option<Sym>, Vec<(i32, InstanceId)>> = BTreeMap::new();
            let mut expect_cpu: BTreeMap<Option<Sym>, Vec<(i32, InstanceId)>> = BTreeMap::new();
            for (id, value) in values {
                if *value != e.instance_attribute(*id, *attr).flatten() {
                    let instance = e.strings.resolve(e.instances[id.index()].name);
                    return fail("placement-index", format!("{instance}: stale value of attribute {name}"));
                }
                let k = e.instances[id.index()].index_key(*id);
                let selected = !key.has_member_of() || index.satisfying.get(&key.member_of).is_some_and(|s| s.contains(id));
                if key.admits(&k, e.instances.port_sets()) && selected {
                    expect.entry(*value).or_default().push((k.memory, *id));
                    if index.track_cpu {
                        expect_cpu.entry(*value).or_default().push((k.cpu, *id));
                    }
                }
            }
            for members in expect.values_mut().chain(expect_cpu.values_mut()) {
                members.sort_unstable();
            }
            let filed = |by: fn(&crate::placement::CapacitySets) -> &std::collections::BTreeSet<(i32, InstanceId)>| {
                let filed: Option<BTreeMap<_, Vec<(i32, InstanceId)>>> = class.by_value.get(attr).map(|v| {
                    v.iter()
                        .filter(|(_, sets)| !by(sets).is_empty())
                        .map(|(k, sets)| (*k, by(sets).iter().copied().collect()))
                        .collect()
                });
                filed.unwrap_or_default()
            };
            if filed(|sets| &sets.by_memory) != expect || filed(|sets| &sets.by_cpu) != expect_cpu {
                return fail(
                    "placement-index",
                    format!("size class {key}: members filed under the wrong values of attribute {name}"),
                );
            }
        }
    }
    for (attr, samples) in &index.value_samples {
        let name = e.strings.resolve(*attr);
        let ranks = &samples.ranks;
        if !ranks.current() {
            continue;
        }
        // Ranked in text order, every placeable value among them.
        let by_rank: Vec<Option<Sym>> = (0..ranks.ranked() as u32).map(|r| ranks.value(r)).collect();
        let in_text_order = by_rank.windows(2).all(|w| w[0].map(|s| e.strings.resolve(s)) < w[1].map(|s| e.strings.resolve(s)));
        let ranked_back = by_rank.iter().enumerate().all(|(n, v)| ranks.rank(*v) == Some(n as u32));
        if !in_text_order || !ranked_back || samples.by_value.keys().any(|v| ranks.rank(*v).is_none()) {
            return fail(
                "placement-index",
                format!("attribute {name}: values ranked out of text order, or placeable ones unranked"),
            );
        }
        for (key, class) in &index.classes {
            let Some(bits) = class.value_bits.get(attr).filter(|b| b.epoch == ranks.epoch) else { continue };
            let held: Vec<u32> =
                class.by_value.get(attr).into_iter().flat_map(|v| v.keys()).filter_map(|v| ranks.rank(*v)).collect();
            let set: Vec<u32> = (0..ranks.ranked() as u32).filter(|r| bits.get(*r)).collect();
            let mut held = held;
            held.sort_unstable();
            if held != set {
                return fail(
                    "placement-index",
                    format!("size class {key}: bits of the values of attribute {name} it holds are wrong"),
                );
            }
        }
    }
    if let Some(attr) = index.classes.values().flat_map(|c| c.by_value.keys()).find(|a| !index.attribute_values.contains_key(a)) {
        return fail("placement-index", format!("attribute {}: filed but not tracked", e.strings.resolve(*attr)));
    }
    Ok(())
}

fn check_attachments(e: &Engine) -> Result<(), InvariantViolation> {
    for i in e.instances.iter() {
        let Some(a) = i.trunk else { continue };
        let st = e.attachments[a.index()].status;
        let ok = match i.status {
            InstanceStatus::Registering => {
                matches!(st, AttachmentStatus::Precreated | AttachmentStatus::Attaching | AttachmentStatus::Attached)
            }
            InstanceStatus::RegistrationFailed => st == AttachmentStatus::Failed,
            InstanceStatus::Active | InstanceStatus::Draining => st == AttachmentStatus::Attached,
            InstanceStatus::Deregistering => {
                matches!(st, AttachmentStatus::Detaching | AttachmentStatus::Detached | AttachmentStatus::Deleted)
            }
            InstanceStatus::Inactive => st == AttachmentStatus::Deleted,
        };
        if !ok {
            return fail(
                "attachment-matches-instance",
                format!("{}: instance {} with trunk attachment {}", e.strings.resolve(i.name), i.status.as_str(), st.as_str()),
            );
        }
    }
    for (n, t) in e.tasks.iter().enumerate() {
        if let Some(a) = e.task_eni(TaskId(n as u32)) {
            if e.attachments[a.index()].task != Some(TaskId(n as u32)) {
                return fail("attachment-matches-task", format!("task ENI attachment {} names another task", a.0));
            }
            let st = e.attachments[a.index()].status;
            let ok = match t.last_status {
                _ if t.orphaned() => st == AttachmentStatus::Deleted,
                TaskStatus::Provisioning => st == AttachmentStatus::Attaching,
                TaskStatus::Stopped => st == AttachmentStatus::Deleted,
                TaskStatus::Deprovisioning => st == AttachmentStatus::Detaching,
                _ => st == AttachmentStatus::Attached,
            };
            if !ok {
                return fail(
                    "attachment-matches-task",
                    format!("task {} with ENI attachment {}", t.last_status.as_str(), st.as_str()),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::api::*;

    /// Two services of two tasks each, steady on two instances.
    fn steady_engine() -> Engine {
        let instances = [("a", "us-east-1a", 4096, 8192), ("b", "us-east-1b", 4096, 8192)];
        steady_cluster(&instances, (256, 512), &[("one", 2), ("two", 2)])
    }

    /// One service of 300 tasks on one instance: both lists are long enough to keep positions
    /// (`TaskListPositions`).
    fn long_lists_engine() -> Engine {
        const TASKS: i64 = 300;
        const _: () = assert!(TASKS as usize > crate::infra::ids::INDEXED_ABOVE);
        let e = steady_cluster(&[("big", "us-east-1a", 128 * TASKS, 128 * TASKS)], (128, 128), &[("many", TASKS)]);
        assert_eq!(e.instances[0].tasks.len(), TASKS as usize);
        assert!(e.instances.list_positions_counted() && e.services.list_positions_counted());
        e
    }

    /// Registers an m5.large named `name` in zone `zone` of cluster `prod` with `cpu` and `memory`.
    pub(crate) fn register_instance(e: &mut Engine, name: &str, zone: &str, cpu: i64, memory: i64) {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)],
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "m5.large".into(),
                availability_zone: zone.into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
    }

    /// The agent of instance `name` disconnects and reconnects at this instant: the instance leaves
    /// the placeable ones and comes back (the passes it asks for are due, not run).
    pub(crate) fn flap(e: &mut Engine, name: &str) {
        let id = e.instance_by_name(name).expect("registered");
        e.set_agent_connected(id, false);
        e.react();
        e.set_agent_connected(id, true);
        e.react();
        check_invariants(e).expect("every invariant holds after a reconnect");
    }

    /// A cluster of `instances` (name, zone, CPU, memory) running `services` (name, desired count)
    /// of one task definition of (CPU, memory), once quiet; it keeps every invariant.
    pub(crate) fn steady_cluster(instances: &[(&str, &str, i64, i64)], task: (u32, u32), services: &[(&str, i64)]) -> Engine {
        let mut e = Engine::new(crate::EngineConfig::default());
        e.create_cluster("prod").expect("valid name");
        for (name, az, cpu, memory) in instances {
            register_instance(&mut e, name, az, *cpu, *memory);
        }
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "app".into(),
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                cpu: Some(task.0),
                memory: Some(task.1),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("registers");
        for (name, count) in services {
            e.handle(Request::CreateService(CreateServiceRequest {
                cluster: Some("prod".into()),
                service_name: (*name).into(),
                task_definition: "app".into(),
                desired_count: Some(*count),
                availability_zone_rebalancing: Some("DISABLED".into()),
                ..Default::default()
            }))
            .expect("creates");
        }
        e.run_until_quiet(600_000, 100_000);
        check_invariants(&e).expect("a steady cluster keeps every invariant");
        e
    }

    /// Sets instance `id` of cluster `prod` DRAINING, as UpdateContainerInstancesState does.
    fn drain(e: &mut Engine, id: InstanceId) {
        let arn = e.instance_arn(id);
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: vec![arn],
            status: "DRAINING".into(),
        }))
        .expect("drains");
    }

    fn violated(e: &Engine) -> &'static str {
        check_invariants(e).expect_err("the corruption is caught").invariant
    }

    /// A service waiting for room whose zones call for a rebalancing move or event is caught:
    /// the rebalancing wakes pass a waiting service by, so nothing would wake it for them.
    #[test]
    fn a_waiting_service_with_a_rebalancing_move_due_is_caught() {
        let mut e =
            steady_cluster(&[("a", "us-east-1a", 1024, 2048), ("b", "us-east-1b", 1024, 2048)], (256, 512), &[("web", 2)]);
        enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("steady and balanced");
        let (cluster, web) = (ClusterId(0), ServiceId(0));
        let req = e.requirements_of(e.services[web.index()].task_def);
        let wait = crate::state::cluster::CapacityWait {
            cpu: req.cpu,
            memory: req.memory,
            gpu: 0,
            daemon: false,
            reads_task_groups: false,
        };
        e.clusters.wait_for_capacity(cluster, web, wait);
        assert_eq!(violated(&e), "capacity-waiters");
    }

    /// A profile's version key follows its agent version: set with it (the query language reads
    /// it for `agentVersion`), and one out of step is caught.
    #[test]
    fn a_profile_version_key_out_of_step_is_caught() {
        let mut e = steady_cluster(&[("a", "us-east-1a", 1024, 2048)], (256, 512), &[("web", 1)]);
        let v = e.strings.intern("1.70.0");
        e.set_agent_version(InstanceId(0), v);
        assert_eq!(e.instance_profile(InstanceId(0)).agent_version_key.as_deref(), Some(&[1, 70][..]));
        check_invariants(&e).expect("set with its version");
        e.update_instance_profile(InstanceId(0), |p| p.agent_version_key = Some(vec![1, 69].into()));
        assert_eq!(violated(&e), "instance-profile");
    }

    #[test]
    fn a_completed_drain_missing_from_the_log_is_caught() {
        // The empty instance's drain completes as it starts; a group watching its lifecycle waits
        // reads the log, so a completion missing from it would keep an instance waiting.
        let mut e =
            steady_cluster(&[("a", "us-east-1a", 1024, 2048), ("b", "us-east-1a", 1024, 2048)], (256, 512), &[("web", 1)]);
        let empty =
            (0..2).map(|n| InstanceId(n as u32)).find(|id| e.instances[id.index()].tasks.is_empty()).expect("one is empty");
        drain(&mut e, empty);
        assert!(e.instances[empty.index()].drain.completed_at_ms().is_some(), "an empty instance's drain completes");
        assert_eq!(e.instances.drains_completed_since(0), &[empty]);
        check_invariants(&e).expect("logged");
        e.instances.drained_order_mut_for_test().clear();
        assert_eq!(violated(&e), "drains-completed");
    }

    #[test]
    fn a_pass_reading_a_wrong_staying_count_is_caught() {
        // Both services are steady: 2 staying tasks of 2 wanted. With one fewer counted, a pass
        // would think a task is missing.
        let mut e = steady_engine();
        e.services.record_mut_for_test(ServiceId(0)).spread.staying -= 1;
        assert_eq!(violated(&e), "pass-counters");
    }

    #[test]
    fn a_task_held_for_a_connected_agent_is_caught() {
        // Every agent is connected: a task held for its agent would wait for ever.
        let mut e = steady_engine();
        let task = e.services[0].tasks[0];
        let instance = e.tasks[task.index()].instance;
        e.faults
            .agent_held
            .entry(instance)
            .or_default()
            .push((task, crate::infra::faults::AgentHeld::StageEnd { epoch: e.tasks[task.index()].epoch() }));
        assert_eq!(violated(&e), "agent-held");
    }

    #[test]
    fn a_drain_candidate_on_an_active_instance_is_caught() {
        // No instance is DRAINING, so no task is a drain candidate: a pass given one would stop
        // or replace a task that stays.
        let mut e = steady_engine();
        let task = e.services[0].tasks[0];
        let kept = crate::state::service::DrainCandidates::of([e.stop_key(task)]);
        e.services.record_mut_for_test(ServiceId(0)).drain_candidates = Some(kept);
        assert_eq!(violated(&e), "drain-candidates");
    }

    /// A service big enough to keep its drain candidates (`DRAIN_CANDIDATES_KEPT_FROM`), one of
    /// its tasks RUNNING but not healthy yet, and that task's instance DRAINING before any pass
    /// read it (as when a drain and other events share an instant).
    fn big_service_with_an_unhealthy_drain_candidate() -> (Engine, TaskId) {
        let big = 128 * 1_200;
        let mut e =
            steady_cluster(&[("a", "us-east-1a", big, big), ("b", "us-east-1b", big, big)], (128, 128), &[("big", 1_100)]);
        assert!(e.services[0].drain_candidates.is_some(), "the service keeps its drain candidates");
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "big".into(),
            desired_count: Some(1_110),
            ..Default::default()
        }))
        .expect("updates");
        let unhealthy_running = |e: &Engine| {
            e.services[0]
                .tasks
                .iter()
                .copied()
                .find(|t| e.tasks[t.index()].last_status == TaskStatus::Running && !e.tasks[t.index()].healthy())
        };
        while unhealthy_running(&e).is_none() {
            assert!(e.step(), "a new task reaches RUNNING before it counts as healthy");
        }
        let task = unhealthy_running(&e).expect("found");
        e.set_instance_status(e.tasks[task.index()].instance, InstanceStatus::Draining, "test");
        (e, task)
    }

    #[test]
    fn a_drain_candidate_turning_healthy_moves_among_the_kept_candidates() {
        let (mut e, task) = big_service_with_an_unhealthy_drain_candidate();
        let kept = |e: &Engine| e.services[0].drain_candidates.clone().expect("kept");
        let unhealthy = kept(&e).unhealthy().count();
        assert!(kept(&e).unhealthy().any(|t| t == task), "filed among the unhealthy");
        check_invariants(&e).expect("filed under its key");
        let epoch = e.tasks[task.index()].epoch();
        e.on_task_healthy(task, epoch);
        assert!(e.tasks[task.index()].healthy());
        assert_eq!(kept(&e).unhealthy().count(), unhealthy - 1);
        assert!(!kept(&e).unhealthy().any(|t| t == task));
        let healthy = kept(&e).len();
        assert!(kept(&e).first_healthy(healthy).any(|t| t == task), "filed among the healthy");
        check_invariants(&e).expect("filed under its new key");
    }

    #[test]
    fn a_drain_candidate_filed_under_a_stale_health_is_caught() {
        let (mut e, task) = big_service_with_an_unhealthy_drain_candidate();
        let stale: Vec<_> = e.services[0]
            .tasks
            .iter()
            .copied()
            .filter(|t| e.is_drain_candidate(*t))
            .map(|t| {
                let key = e.stop_key(t);
                if t == task {
                    (true, key.1, key.2, key.3)
                } else {
                    key
                }
            })
            .collect();
        e.services.record_mut_for_test(ServiceId(0)).drain_candidates = Some(crate::state::service::DrainCandidates::of(stale));
        assert_eq!(violated(&e), "drain-candidates");
    }

    #[test]
    fn stale_spread_counts_of_a_task_group_are_caught() {
        let mut e = steady_engine();
        e.handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            count: Some(3),
            group: Some("batch".into()),
            placement_strategy: vec![PlacementStrategy {
                strategy_type: "spread".into(),
                field: Some("attribute:ecs.availability-zone".into()),
            }],
            ..Default::default()
        }))
        .expect("runs");
        check_invariants(&e).expect("the group's counts follow its tasks");
        let cluster = crate::infra::ids::ClusterId(0);
        let batch = e.strings.get("batch").expect("interned");
        let spread = e.clusters[cluster.index()].group_spread.get(&batch).expect("counted");
        assert_eq!(spread.staying, 3, "three staying tasks of the group");
        assert_eq!(spread.per_az.values().copied().collect::<Vec<_>>(), vec![2, 1], "spread over the two zones");
        let zone = *spread.per_az.keys().next().expect("a zone");
        let instance = spread.per_instance.sorted().first().expect("an instance").0;
        let place = crate::state::service::SpreadPlace {
            instance,
            az: zone,
            value: None,
            in_room_class: false,
            keys: Default::default(),
        };
        e.clusters.adjust_group_spread(cluster, batch, place, -1);
        assert_eq!(violated(&e), "spread-counts");
    }

    /// `steady_engine` with a DAEMON service `agent` created (its first pass not run yet).
    fn engine_with_new_daemon() -> Engine {
        engine_with_new_daemon_constrained(vec![])
    }

    /// The same, the daemon with these placement constraints.
    fn engine_with_new_daemon_constrained(placement_constraints: Vec<PlacementConstraint>) -> Engine {
        let mut e = steady_engine();
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "agent".into(),
            task_definition: "app".into(),
            scheduling_strategy: Some("DAEMON".into()),
            placement_constraints,
            ..Default::default()
        }))
        .expect("creates");
        check_invariants(&e).expect("a new daemon's first pass visits every instance");
        e
    }

    #[test]
    fn a_daemon_that_would_not_visit_an_instance_it_must_act_on_is_caught() {
        let mut e = engine_with_new_daemon();
        let agent = ServiceId(2);
        // Forget one of the two instances the first pass must place a task on.
        let keep = e.services[agent.index()].daemon_candidates.iter().max().expect("two candidates");
        e.services.record_mut_for_test(agent).daemon_candidates = [keep].into_iter().collect();
        assert_eq!(violated(&e), "daemon-candidates");
    }

    #[test]
    fn a_daemon_miscounting_its_selected_instances_is_caught() {
        let mut e = engine_with_new_daemon_constrained(vec![PlacementConstraint {
            constraint_type: "memberOf".into(),
            expression: Some("attribute:ecs.availability-zone == us-east-1a".into()),
        }]);
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        let agent = ServiceId(2);
        assert_eq!(e.services[agent.index()].desired_count, 1, "one instance in us-east-1a");
        check_invariants(&e).expect("counted");
        // Forget the selected instance without marking it for another look.
        let a = e.instance_by_name("a").expect("registered");
        e.services.set_daemon_member(agent, a, false);
        assert_eq!(violated(&e), "daemon-candidates");
        // Marked for another look, the next count puts it back.
        e.services.note_daemon_member_stale(agent, a);
        check_invariants(&e).expect("due for another look");
        e.refresh_daemon_desired(agent);
        assert!(e.services[agent.index()].daemon_members.contains(&a));
    }

    /// An instance counts its DAEMON tasks as they come and go: it runs another task (managed
    /// scaling's "not empty") while it lists more, and a miscount is caught.
    #[test]
    fn an_instance_running_only_daemon_tasks_runs_no_other_task() {
        let mut e = engine_with_new_daemon();
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        let a = e.instance_by_name("a").expect("registered");
        assert_eq!(e.instances[a.index()].daemon_tasks, 1);
        assert!(e.instance(a).runs_non_daemon_task(), "`one` and `two` run tasks on both instances");
        for service in ["one", "two"] {
            e.handle(Request::UpdateService(UpdateServiceRequest {
                cluster: Some("prod".into()),
                service: service.into(),
                desired_count: Some(0),
                ..Default::default()
            }))
            .expect("updates");
        }
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        check_invariants(&e).expect("counted as the tasks stopped");
        assert_eq!(e.instances[a.index()].tasks.len(), 1, "the daemon's task is left");
        assert!(!e.instance(a).runs_non_daemon_task());
        e.instances.record_mut_for_test(a).daemon_tasks = 0;
        assert!(e.instance(a).runs_non_daemon_task());
        assert_eq!(violated(&e), "daemon-tasks");
    }

    #[test]
    fn a_settled_daemon_needs_no_candidates() {
        let mut e = engine_with_new_daemon();
        let agent = ServiceId(2);
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        assert_eq!(e.services[agent.index()].tasks.len(), 2, "one task per instance");
        check_invariants(&e).expect("settled");
        // Nothing to do on either instance: an empty candidate set is enough.
        e.services.record_mut_for_test(agent).daemon_candidates = Default::default();
        check_invariants(&e).expect("nothing to visit");
        // Draining an instance gives the daemon work there once its replica tasks are gone, and
        // the drain itself made the instance a candidate.
        let a = e.instance_by_name("a").expect("registered");
        drain(&mut e, a);
        assert!(e.services[agent.index()].daemon_candidates.contains(a), "the drained instance is a candidate");
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        check_invariants(&e).expect("settled again");
        assert!(e.instances[a.index()].tasks.is_empty(), "the daemon task stopped last");
    }

    #[test]
    fn a_stopped_task_never_told_to_stop_is_caught() {
        let mut e = steady_engine();
        let task = e.services[0].tasks[0];
        let arn = e.task_arn(task);
        e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: arn, reason: None })).expect("stops");
        e.run_until_quiet(e.now_ms() + 600_000, 100_000);
        assert_eq!(e.tasks[task.index()].last_status, TaskStatus::Stopped);
        check_invariants(&e).expect("stopped as told");
        e.tasks.clear_desired_stopped_for_test(task);
        assert_eq!(violated(&e), "stopped-when-told");
    }

    #[test]
    fn a_task_listed_under_the_wrong_service_is_caught() {
        let mut e = steady_engine();
        let other = e.services[1].tasks[0];
        e.services.record_mut_for_test(ServiceId(0)).tasks[0] = other;
        assert_eq!(violated(&e), "service-tasks");
    }

    #[test]
    fn a_task_listed_twice_is_caught() {
        let mut e = steady_engine();
        let first = e.services.record_mut_for_test(ServiceId(0)).tasks[0];
        e.services.record_mut_for_test(ServiceId(0)).tasks[1] = first;
        assert_eq!(violated(&e), "service-tasks");
    }

    #[test]
    fn a_task_list_out_of_step_with_its_positions_is_caught() {
        let mut e = long_lists_engine();
        e.services.record_mut_for_test(ServiceId(0)).tasks.swap(0, 1);
        assert_eq!(violated(&e), "service-tasks");
        // A short list keeps no positions: its order is its own, and any order of its tasks holds.
        let mut e = steady_engine();
        e.services.record_mut_for_test(ServiceId(0)).tasks.swap(0, 1);
        check_invariants(&e).expect("a short list in another order");
    }

    #[test]
    fn a_wrong_count_of_healthy_staying_tasks_is_caught() {
        let mut e = steady_engine();
        assert_eq!(e.services[0].staying_healthy, 2, "both tasks of a steady service are healthy and staying");
        e.services.record_mut_for_test(ServiceId(0)).staying_healthy = 1;
        assert_eq!(violated(&e), "service-counts");
    }

    #[test]
    fn stale_spread_counts_are_caught() {
        let mut e = steady_engine();
        let zone = *e.services.record_mut_for_test(ServiceId(0)).spread.per_az.keys().next().expect("tasks in a zone");
        *e.services.record_mut_for_test(ServiceId(0)).spread.per_az.get_mut(&zone).expect("present") += 1;
        assert_eq!(violated(&e), "spread-counts");
    }

    #[test]
    fn a_cluster_list_of_rebalancing_services_out_of_step_is_caught() {
        let mut e = steady_engine();
        // A service that rebalances and that the cluster does not list.
        assert!(!e.services[0].az_rebalancing());
        e.services.record_mut_for_test(ServiceId(0)).availability_zone_rebalancing = true;
        assert_eq!(violated(&e), "rebalancing-services");
        let mut e = steady_engine();
        let (cluster, enabled) = (e.services[1].cluster, e.services[1].az_rebalancing());
        e.clusters.set_rebalancing(cluster, ServiceId(1), !enabled);
        assert_eq!(violated(&e), "rebalancing-services");
    }

    /// Turns `availabilityZoneRebalancing` on for a service of the steady cluster.
    pub(crate) fn enable_rebalancing(e: &mut Engine, service: &str) {
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: service.into(),
            availability_zone_rebalancing: Some("ENABLED".into()),
            ..Default::default()
        }))
        .expect("updates");
    }

    /// Scales service `name` of the steady cluster to 0 and runs a second: its tasks are STOPPING
    /// (their containers have 30 seconds to stop), so their instances' agents have stops in
    /// progress.
    pub(crate) fn scale_to_zero_and_stop(e: &mut Engine, name: &str) {
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: name.into(),
            desired_count: Some(0),
            ..Default::default()
        }))
        .expect("updates");
        e.advance_to(e.now_ms + 1_000, 100_000);
        let service = e.service_named(name).expect("exists");
        assert!(service.tasks().all(|t| t.last_status() == TaskStatus::Stopping), "the tasks are STOPPING");
    }

    #[test]
    fn a_miscount_of_stops_in_progress_is_caught() {
        let mut e = steady_engine();
        scale_to_zero_and_stop(&mut e, "one");
        let instance = e.service_named("one").expect("exists").tasks().next().expect("a task").instance().id();
        assert!(e.instances[instance.index()].stops_in_progress > 0);
        assert_eq!(check_invariants(&e), Ok(()));
        e.instances.record_mut_for_test(instance).stops_in_progress += 1;
        assert_eq!(violated(&e), "stops-in-progress");
        // And one too few: the agent would start a task beside a stop it thinks has finished.
        let mut e = steady_engine();
        scale_to_zero_and_stop(&mut e, "one");
        e.instances.record_mut_for_test(instance).stops_in_progress -= 1;
        assert_eq!(violated(&e), "stops-in-progress");
    }

    #[test]
    fn a_note_of_rebalancing_passes_due_that_one_is_not_is_caught() {
        let mut e = steady_engine();
        enable_rebalancing(&mut e, "one");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let cluster = e.services[0].cluster;
        assert_eq!(e.services[0].schedule.pass_event_at_ms, None, "no pass event is due once quiet");
        // A balanced service is passed by (no claim is made of it); one that is not is woken.
        e.clusters.note_rebalancing_passes_due(cluster, e.now_ms);
        assert_eq!(check_invariants(&e), Ok(()), "the service's last pass found it balanced");
        e.services.set_zone_note(ServiceId(0), None);
        assert_eq!(violated(&e), "rebalancing-passes-due");
        // A note of an instant past is no claim.
        e.clusters.note_rebalancing_passes_due(cluster, e.now_ms - 1);
        assert_eq!(check_invariants(&e), Ok(()));
        e.clusters.note_rebalancing_passes_due(cluster, e.now_ms);
        assert_eq!(violated(&e), "rebalancing-passes-due");
    }

    /// An engine that notes violations (an explored counterexample's replay) keeps the first one
    /// and its time, found after a request as after an event, and keeps it once the state is
    /// whole again; it does not panic.
    #[test]
    fn an_engine_noting_violations_keeps_the_first_and_when() {
        let mut e = steady_engine();
        enable_rebalancing(&mut e, "one");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        e.config.check_invariants_every_event = false;
        e.config.note_invariant_violations = true;
        let (cluster, one) = (e.services[0].cluster, ServiceId(0));
        let list = |e: &mut Engine| {
            e.handle(Request::ListContainerInstances(ListContainerInstancesRequest {
                cluster: Some("prod".into()),
                ..Default::default()
            }))
            .expect("lists");
        };
        list(&mut e);
        assert!(e.first_invariant_violation().is_none());
        e.clusters.settle_rebalancing_services(cluster, &[one]);
        e.services.set_zone_note(one, None);
        let broken_at = e.now_ms;
        list(&mut e);
        let (at, v) = e.first_invariant_violation().expect("noted");
        assert_eq!((at, v.invariant), (broken_at, "rebalancing-unsettled"));
        // Whole again (its next pass finds it balanced, and a wake looks at it): still the first.
        e.clusters.unsettle_rebalancing_service(cluster, one);
        assert_eq!(check_invariants(&e), Ok(()));
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        assert_eq!(e.first_invariant_violation().map(|(at, v)| (at, v.invariant)), Some((broken_at, "rebalancing-unsettled")));
    }

    #[test]
    fn a_rebalancing_service_passed_by_without_reason_is_caught() {
        let mut e = steady_engine();
        enable_rebalancing(&mut e, "one");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let (cluster, one) = (e.services[0].cluster, ServiceId(0));
        assert!(e.services.zones_balanced_over(ServiceId(0)).is_some(), "its last pass found it balanced");
        // Wakes may pass it by, but it must not miss an operation's "AZ balanced".
        e.services.schedule_mut(one).rebalancing = true;
        assert_eq!(violated(&e), "rebalancing-unsettled");
        e.services.schedule_mut(one).rebalancing = false;
        // Noted unsettled, so passed by, while its zones are settled: a move or an event missed.
        let balanced = e.services.zone_note(one).expect("a finding");
        let unsettled = crate::state::service::ZoneNote { found: ZoneFinding::Unsettled, ..balanced };
        e.services.set_zone_note(one, Some(unsettled));
        assert_eq!(violated(&e), "rebalancing-unsettled");
        e.services.set_zone_note(one, Some(balanced));
        // Passed by (out of the cluster's services to wake) while not found balanced.
        e.clusters.settle_rebalancing_services(cluster, &[one]);
        assert_eq!(check_invariants(&e), Ok(()));
        e.services.set_zone_note(one, None);
        assert_eq!(violated(&e), "rebalancing-unsettled");
    }

    #[test]
    fn a_zone_stop_order_out_of_step_is_caught() {
        let enabled = || {
            let mut e = steady_engine();
            enable_rebalancing(&mut e, "one");
            assert!(e.services[0].zone_stop_order.is_none(), "no order before an operation begins");
            // Its first operation lists the staying tasks into the order.
            let staying = e.zone_places(ServiceId(0));
            e.services.keep_zone_stop_order(ServiceId(0), staying);
            assert_eq!(check_invariants(&e), Ok(()), "the order of the staying tasks");
            assert!(e.services[0].zone_stop_order.as_deref().is_some_and(|o| o != &Default::default()));
            e
        };
        let mut e = enabled();
        e.services.record_mut_for_test(ServiceId(0)).zone_stop_order = Some(Box::default());
        assert_eq!(violated(&e), "zone-stop-order");
        // An order kept by a service that does not rebalance.
        let mut e = enabled();
        e.services.record_mut_for_test(ServiceId(0)).availability_zone_rebalancing = false;
        let cluster = e.services[0].cluster;
        e.clusters.set_rebalancing(cluster, ServiceId(0), false);
        assert_eq!(violated(&e), "zone-stop-order");
        // A task filed under the health it no longer has.
        let mut e = enabled();
        let stale = crate::state::service::ZoneStopOrder::of(
            e.zone_places(ServiceId(0))
                .into_iter()
                .map(|(zone, (healthy, created, uuid, t))| (zone, (!healthy, created, uuid, t))),
        );
        e.services.record_mut_for_test(ServiceId(0)).zone_stop_order = Some(Box::new(stale));
        assert_eq!(violated(&e), "zone-stop-order");
        // A task filed that is not a staying task of the service.
        let mut e = enabled();
        let mut keys = e.zone_places(ServiceId(0));
        let (zone, (healthy, created, uuid, _)) = keys[0];
        keys.push((zone, (healthy, created, uuid.wrapping_add(1), TaskId(u32::MAX))));
        let extra = crate::state::service::ZoneStopOrder::of(keys);
        e.services.record_mut_for_test(ServiceId(0)).zone_stop_order = Some(Box::new(extra));
        assert_eq!(violated(&e), "zone-stop-order");
        // A task filed under a zone that is not its instance's.
        let mut e = enabled();
        let keys = e.zone_places(ServiceId(0));
        let elsewhere = keys.iter().map(|(zone, _)| *zone).find(|z| *z != keys[0].0).expect("tasks in two zones");
        let misfiled = crate::state::service::ZoneStopOrder::of(
            keys.iter().enumerate().map(|(n, (zone, key))| (if n == 0 { elsewhere } else { *zone }, *key)),
        );
        e.services.record_mut_for_test(ServiceId(0)).zone_stop_order = Some(Box::new(misfiled));
        assert_eq!(violated(&e), "zone-stop-order");
    }

    #[test]
    fn a_miscounted_zone_of_the_placement_index_is_caught() {
        let mut e = steady_engine();
        let cluster = e.services[0].cluster;
        let zone = *e.clusters[cluster.index()].placement.placeable_per_zone.keys().next().expect("a zone");
        *e.clusters.placement_mut(cluster).placeable_per_zone.get_mut(&zone).expect("counted") += 1;
        assert_eq!(violated(&e), "placement-index");
    }

    /// The steady engine with a third service spreading by instance type, whose placement files the
    /// instances by their type.
    fn engine_spreading_by_instance_type() -> (Engine, crate::infra::ids::ClusterId, Sym) {
        engine_spreading_by("ecs.instance-type")
    }

    /// The steady engine with a third service, `by-type`, spreading by `attribute`.
    fn engine_spreading_by(attribute: &str) -> (Engine, crate::infra::ids::ClusterId, Sym) {
        let mut e = steady_engine();
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "by-type".into(),
            task_definition: "app".into(),
            desired_count: Some(2),
            placement_strategy: vec![PlacementStrategy {
                strategy_type: "spread".into(),
                field: Some(format!("attribute:{attribute}")),
            }],
            ..Default::default()
        }))
        .expect("creates");
        e.run_until_quiet(600_000, 100_000);
        check_invariants(&e).expect("a steady cluster keeps every invariant");
        let cluster = e.services[0].cluster;
        let attr = e.strings.get(attribute).expect("interned");
        assert!(e.clusters[cluster.index()].placement.tracks_attribute(attr), "spread by it files instances by type");
        (e, cluster, attr)
    }

    /// An attribute value changing under a service's tasks (the trunk's `ecs.awsvpc-trunk-id`, the
    /// one attribute that changes on a live instance) moves them to the new value in the service's
    /// counts and the instance in the placement index; changed behind the engine's back, both
    /// invariants see it.
    #[test]
    fn a_changed_attribute_value_moves_the_counts_and_the_index() {
        let (mut e, _, attr) = engine_spreading_by("ecs.awsvpc-trunk-id");
        let by_type = 2;
        assert_eq!(e.strings.resolve(e.services[by_type].name), "by-type");
        assert_eq!(e.services[by_type].spread.per_value.get(&None), Some(&2), "no instance has a trunk yet");
        let a = e.instance_by_name("a").expect("registered");
        let on_a = Some(e.services[by_type].spread.per_instance.get(a)).filter(|n| *n > 0).expect("spread puts a task on a");
        let trunk = e.strings.intern("eni-0123");
        e.set_trunk_id_attribute(a, Some(trunk));
        check_invariants(&e).expect("the counts and the index follow the new value");
        assert_eq!(e.services[by_type].spread.per_value.get(&Some(trunk)), Some(&on_a));
        assert_eq!(e.instance_attribute(a, attr), Some(Some(trunk)));

        let (mut e, _, _) = engine_spreading_by("ecs.awsvpc-trunk-id");
        let a = e.instance_by_name("a").expect("registered");
        let trunk = e.strings.intern("eni-0123");
        e.instances.set_trunk_id_attribute(a, Some(trunk));
        assert_eq!(violated(&e), "spread-counts");
    }

    /// A task group keeps its counts by the value of the last attribute it spread by: the
    /// standalone tasks it ran before count in at once, a later call spreading by another
    /// attribute counts them by that one instead, and a changed value under its tasks moves them
    /// (a change behind the engine's back is caught).
    #[test]
    fn a_task_group_counts_by_the_value_it_last_spread_by() {
        let run = |e: &mut Engine, field: &str| {
            e.handle(Request::RunTask(RunTaskRequest {
                cluster: Some("prod".into()),
                task_definition: "app".into(),
                count: Some(2),
                group: Some("batch".into()),
                placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some(field.into()) }],
                ..Default::default()
            }))
            .expect("runs");
            e.run_until_quiet(600_000, 100_000);
            check_invariants(e).expect("the group's counts follow its tasks");
        };
        let cluster = crate::infra::ids::ClusterId(0);
        let build = || {
            let mut e = steady_engine();
            run(&mut e, "instanceId");
            run(&mut e, "attribute:ecs.awsvpc-trunk-id");
            run(&mut e, "attribute:ecs.instance-type");
            let (batch, types) =
                (e.strings.get("batch").expect("interned"), e.strings.get("ecs.instance-type").expect("interned"));
            assert_eq!(e.clusters.group_value_attribute(cluster, batch), Some(types), "counted by the last attribute");
            let spread = &e.clusters[cluster.index()].group_spread[&batch];
            assert_eq!((spread.staying, spread.per_value.values().sum::<u32>()), (6, 6), "every task counted by type");
            run(&mut e, "attribute:ecs.awsvpc-trunk-id");
            e
        };
        let mut e = build();
        let (batch, attr) = (e.strings.get("batch").expect("interned"), e.strings.get("ecs.awsvpc-trunk-id").expect("interned"));
        assert_eq!(e.clusters.group_value_attribute(cluster, batch), Some(attr), "counted by the trunk again");
        let spread = &e.clusters[cluster.index()].group_spread[&batch];
        assert_eq!((spread.staying, spread.per_value.get(&None)), (8, Some(&8)), "every task counted, none on a trunk yet");
        let a = e.instance_by_name("a").expect("registered");
        let on_a = spread.per_instance.get(a);
        assert!(on_a > 0, "the group has tasks on a");
        let trunk = e.strings.intern("eni-0123");
        e.set_trunk_id_attribute(a, Some(trunk));
        check_invariants(&e).expect("the counts follow the new value");
        assert_eq!(e.clusters[cluster.index()].group_spread[&batch].per_value.get(&Some(trunk)), Some(&on_a));

        let mut e = build();
        let trunk = e.strings.intern("eni-0123");
        e.instances.set_trunk_id_attribute(a, Some(trunk));
        assert_eq!(violated(&e), "spread-counts");
    }

    #[test]
    fn an_instance_filed_under_a_stale_attribute_value_is_caught() {
        let (mut e, cluster, attr) = engine_spreading_by_instance_type();
        let a = e.instance_by_name("a").expect("registered");
        *e.clusters.placement_mut(cluster).attribute_values.get_mut(&attr).expect("tracked").get_mut(&a).expect("placeable") =
            None;
        assert_eq!(violated(&e), "placement-index");
    }

    #[test]
    fn an_instance_sampled_at_another_place_or_value_is_caught() {
        let (mut e, cluster, attr) = engine_spreading_by_instance_type();
        let a = e.instance_by_name("a").expect("registered");
        e.clusters.placement_mut(cluster).value_samples.get_mut(&attr).expect("sampled").at[a.index()] += 1;
        assert_eq!(violated(&e), "placement-index");
        let (mut e, cluster, attr) = engine_spreading_by_instance_type();
        let samples = e.clusters.placement_mut(cluster).value_samples.get_mut(&attr).expect("sampled");
        let list = samples.by_value.values_mut().next().expect("a value");
        let moved = list.pop().expect("an instance");
        samples.by_value.entry(None).or_default().push(moved);
        let at = samples.by_value[&None].len() - 1;
        samples.at[moved.index()] = at as u32;
        assert_eq!(violated(&e), "placement-index");
    }

    #[test]
    fn a_class_member_missing_from_its_attribute_value_is_caught() {
        let (mut e, cluster, attr) = engine_spreading_by_instance_type();
        let a = e.instance_by_name("a").expect("registered");
        let class = e.clusters.placement_mut(cluster).classes.values_mut().next().expect("a size class");
        for members in class.by_value.get_mut(&attr).expect("filed").values_mut() {
            members.by_memory.retain(|(_, id)| *id != a);
        }
        assert_eq!(violated(&e), "placement-index");
    }

    #[test]
    fn an_unlisted_instance_without_an_eni_limit_is_caught() {
        let mut e = steady_engine();
        let a = e.instance_by_name("a").expect("registered");
        e.instances.record_mut_for_test(a).task_eni_limit = None;
        assert_eq!(violated(&e), "unknown-eni-limit");
    }

    #[test]
    fn a_stale_active_count_is_caught() {
        let mut e = steady_engine();
        let a = e.instance_by_name("a").expect("registered");
        e.instances.record_mut_for_test(a).status = InstanceStatus::Registering;
        assert_eq!(violated(&e), "active-count");
    }

    #[test]
    fn a_stale_service_name_lookup_is_caught() {
        let mut e = steady_engine();
        // Service 1 renamed behind the lookup's back: two ACTIVE services share a name.
        let name = e.services[0].name;
        e.services.record_mut_for_test(ServiceId(1)).name = name;
        assert_eq!(violated(&e), "service-names");
    }

    /// The first instance that lists at least two tasks, with them.
    fn busy_instance(e: &Engine) -> (InstanceId, TaskId, TaskId) {
        let n = e.instances.iter().position(|i| i.tasks.len() >= 2).expect("an instance runs two tasks");
        let tasks = &e.instances[n].tasks;
        (InstanceId(n as u32), tasks[0], tasks[1])
    }

    #[test]
    fn a_task_listed_twice_on_its_instance_is_caught() {
        let mut e = steady_engine();
        let (id, first, _) = busy_instance(&e);
        e.instances.record_mut_for_test(id).tasks[1] = first;
        assert_eq!(violated(&e), "tasks-on-instance");
    }

    #[test]
    fn an_instance_list_out_of_step_with_its_positions_is_caught() {
        let mut e = long_lists_engine();
        e.instances.record_mut_for_test(InstanceId(0)).tasks.swap(0, 1);
        assert_eq!(violated(&e), "tasks-on-instance");
        let mut e = long_lists_engine();
        e.instances.record_mut_for_test(InstanceId(0)).tasks.swap(7, 299);
        assert_eq!(violated(&e), "tasks-on-instance");
    }

    #[test]
    fn a_task_listed_twice_on_a_long_list_is_caught() {
        let mut e = long_lists_engine();
        let tasks = &mut e.instances.record_mut_for_test(InstanceId(0)).tasks;
        tasks[5] = tasks[6];
        assert_eq!(violated(&e), "tasks-on-instance");
        let mut e = long_lists_engine();
        let tasks = &mut e.services.record_mut_for_test(ServiceId(0)).tasks;
        tasks[9] = tasks[2];
        assert_eq!(violated(&e), "service-tasks");
    }

    #[test]
    fn another_instances_task_on_a_list_is_caught() {
        let mut e = steady_engine();
        let (id, _, _) = busy_instance(&e);
        let stranger = e.tasks.iter().position(|t| t.instance != id).expect("a task elsewhere");
        e.instances.record_mut_for_test(id).tasks.push(TaskId(stranger as u32));
        assert_eq!(violated(&e), "tasks-on-instance");
    }

    #[test]
    fn an_instance_missing_a_task_from_its_list_is_caught() {
        let mut e = steady_engine();
        let (id, _, _) = busy_instance(&e);
        e.instances.record_mut_for_test(id).tasks.pop();
        assert_eq!(violated(&e), "tasks-on-instance");
    }

    /// An instance with two GPUs running two tasks of one GPU each.
    fn gpu_engine() -> Engine {
        let mut e = Engine::new(crate::EngineConfig::default());
        e.create_cluster("prod").expect("a valid name");
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 4096), Resource::integer("MEMORY", 8192)],
            instance_identity: InstanceIdentity {
                name: "g".into(),
                instance_type: "g5.xlarge".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            platform_devices: (0..2).map(|n| PlatformDevice { id: format!("GPU-{n}"), device_type: "GPU".into() }).collect(),
            ..Default::default()
        }))
        .expect("registers");
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "gpu".into(),
            container_definitions: vec![ContainerDefinition {
                name: "c".into(),
                memory: Some(256),
                resource_requirements: vec![ResourceRequirement { requirement_type: "GPU".into(), value: "1".into() }],
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("registers");
        let run =
            RunTaskRequest { cluster: Some("prod".into()), task_definition: "gpu".into(), count: Some(2), ..Default::default() };
        e.handle(Request::RunTask(run)).expect("runs");
        e.advance_to(120_000, 100_000);
        check_invariants(&e).expect("steady");
        e
    }

    #[test]
    fn gpus_unaccounted_or_pinned_twice_are_caught() {
        let instance = InstanceId(0);
        let mut e = gpu_engine();
        e.instances.record_mut_for_test(instance).gpus_free += 1;
        assert_eq!(violated(&e), "gpus-conserved");
        // The instance forgets that a task holds its GPU.
        let mut e = gpu_engine();
        let mask = e.tasks.gpus(TaskId(0));
        e.instances.give_back_gpus(instance, mask);
        assert_eq!(violated(&e), "gpus-conserved");
        // A task loses its GPU, or holds one it did not reserve.
        let mut e = gpu_engine();
        e.tasks.unpin_gpus(TaskId(1));
        assert_eq!(violated(&e), "gpus-pinned");
        // Both tasks hold the first GPU.
        let mut e = gpu_engine();
        e.tasks.unpin_gpus(TaskId(1));
        e.tasks.pin_gpus(TaskId(1), mask);
        assert_eq!(violated(&e), "gpus-conserved");
    }

    #[test]
    fn unconserved_instance_resources_and_counts_are_caught() {
        let mut e = steady_engine();
        let (id, _, _) = busy_instance(&e);
        e.instances.record_mut_for_test(id).remaining.cpu += 1;
        assert_eq!(violated(&e), "resources-conserved");
        let mut e = steady_engine();
        e.instances.record_mut_for_test(id).running_tasks_count += 1;
        assert_eq!(violated(&e), "task-counts");
    }

    #[test]
    fn a_wrong_service_counter_is_caught() {
        let mut e = steady_engine();
        e.services.record_mut_for_test(ServiceId(0)).counts.running += 1;
        assert_eq!(violated(&e), "service-counts");
    }
}
