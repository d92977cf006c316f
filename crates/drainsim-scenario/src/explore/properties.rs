//! The properties `drainsim explore` checks: *always* properties at every state it reaches (before
//! the canonical digest merges paths, so a property of history is judged on every path), and the
//! *eventually* property at every terminal state (the run is quiet: every fault has stopped and
//! nothing but background retries is pending). Each violation carries the expectation that states
//! it in a scenario file, so a counterexample replays to the same failed expectation.

use drainsim_core::{
    check_invariants, Engine, InstanceStatus, InstanceView, SchedulingStrategy, ServiceStatus, TaskStatus, TaskView,
};

use crate::format::{Cmp, Expectation};
use crate::generate::named;

/// No service ever has more tasks than its ceiling.
pub const CEILING: &str = "always: no service has more tasks than its ceiling (maximumPercent)";
/// Below the healthy floor only with a floor breach recorded (every breach has its cause).
pub const FLOOR: &str = "always: below the healthy floor only with a recorded floor breach";
/// No task is placed on a DRAINING instance.
pub const PLACED_ON_ACTIVE: &str = "always: no task is placed on an instance that is not ACTIVE";
/// `drainsim_core::check_invariants` holds.
pub const INVARIANTS: &str = "always: the engine's invariants hold";
/// Every drain that has room and a legal move completes by the time the run is quiet.
pub const DRAINS_COMPLETE: &str = "eventually: every drain with enough capacity completes once faults stop";

/// Safety or liveness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Checked at every state.
    Always,
    /// Checked at every terminal state.
    Eventually,
}

/// Every property, in the order they are checked and reported.
pub const ALL: [(&str, Kind); 5] = [
    (INVARIANTS, Kind::Always),
    (CEILING, Kind::Always),
    (FLOOR, Kind::Always),
    (PLACED_ON_ACTIVE, Kind::Always),
    (DRAINS_COMPLETE, Kind::Eventually),
];

/// One broken property at one state.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The property's name (one of [`ALL`]).
    pub property: &'static str,
    /// What the state shows.
    pub detail: String,
    /// The expectation a replay fails on (None when no expectation can state it; the run's
    /// invariant check then shows it).
    pub expectation: Option<Expectation>,
}

/// The first *always* property the state breaks, in the order of [`ALL`].
/// A service's most tasks are held to the highest ceiling it has had
/// ([`drainsim_core::ServiceView::highest_ceiling`]): the scheduler never starts a task above its
/// ceiling, but after a scale-in the tasks it stops still count, while they stop, against the new,
/// lower one.
pub fn check_always(e: &Engine) -> Option<Finding> {
    if let Err(v) = check_invariants(e) {
        return Some(Finding { property: INVARIANTS, detail: v.to_string(), expectation: None });
    }
    // A DAEMON service's desired count follows the ACTIVE instances: its ceiling moves with them.
    for s in e.services().filter(|s| s.scheduling_strategy() != SchedulingStrategy::Daemon) {
        if let Some(m) = s.max_tasks_observed() {
            let ceiling = s.highest_ceiling();
            if m > ceiling {
                return Some(Finding {
                    property: CEILING,
                    detail: format!("{}: {m} tasks observed, ceiling {ceiling}", s.name()),
                    expectation: Some(named(
                        CEILING,
                        Expectation::MaxTasksObserved(s.name().into(), Cmp::AtMost(ceiling.into())),
                    )),
                });
            }
        }
    }
    for s in e.services() {
        if let (Some(m), Some(floor)) = (s.min_healthy_observed(), s.floor_at_min_healthy_observed()) {
            if m < floor && s.floor_breaches().is_empty() {
                return Some(Finding {
                    property: FLOOR,
                    detail: format!("{}: {m} healthy observed, floor {floor}, and no floor breach recorded", s.name()),
                    expectation: Some(named(FLOOR, Expectation::MinHealthyObserved(s.name().into(), Cmp::AtLeast(floor.into())))),
                });
            }
        }
    }
    for i in e.instances().filter(|i| i.status() == InstanceStatus::Draining) {
        let Some(started) = i.drain().started_at_ms() else { continue };
        // A task placed in the instant the drain started may have been placed before the request.
        if let Some(t) = i.tasks().find(|t| t.created_at_ms() > started) {
            return Some(Finding {
                property: PLACED_ON_ACTIVE,
                detail: format!(
                    "{}: task {} placed at {} ms, the drain started at {started} ms",
                    i.name(),
                    t.arn(),
                    t.created_at_ms()
                ),
                expectation: None,
            });
        }
    }
    None
}

/// Whether the drain of a DRAINING instance can complete: its live tasks all belong to ACTIVE
/// services that have a legal move (the floor below or the ceiling above the desired count), and
/// the instances those services may use have room for them (`room_for`). The instances a
/// service may use are the ACTIVE ones with a connected agent in its cluster: all of them when no
/// service there has a capacity provider strategy; those of its one capacity provider when every
/// service's strategy names exactly one (each provider's services are then judged against that
/// provider's instances alone). No claim is made — the drain is not judged — for a cluster with a
/// `memberOf` constraint, with a strategy of several providers (its base and weights decide where
/// each task goes, not the room), or with services with and without a strategy, nor while health
/// checks fail (a fault in force: the scenario's own `failingHealthChecks` never stops).
pub fn drain_has_capacity(e: &Engine, drained: &InstanceView) -> bool {
    drain_claim(e, drained).is_ok()
}

/// Why no claim is made of a drain ([`drain_has_capacity`]): what `drainsim explore` says of a
/// terminal state whose drain did not complete and that the *eventually* property does not judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoClaim {
    /// Health checks fail (a fault in force).
    HealthChecksFailing,
    /// A task on the instance belongs to no service (a standalone task: nothing moves it).
    StandaloneTask,
    /// A task on the instance belongs to a service that is not ACTIVE, or whose floor and ceiling
    /// are both its desired count (no legal move).
    NoLegalMove,
    /// A service of the cluster has a `memberOf` constraint or awsvpc subnets: where its tasks may
    /// go is not counted in slots.
    MemberOfOrSubnets,
    /// A service's capacity provider strategy names several providers, or services with and
    /// without a strategy share the cluster.
    ProviderStrategy,
    /// The instances the services may use have no room for their desired counts (counted in slots
    /// of the largest task, and one instance a task for a `distinctInstance` service).
    NoRoom,
}

impl NoClaim {
    /// In words, for the output.
    pub fn as_str(self) -> &'static str {
        match self {
            NoClaim::HealthChecksFailing => "health checks fail (a fault in force)",
            NoClaim::StandaloneTask => "a standalone task, which no service moves, runs on it",
            NoClaim::NoLegalMove => {
                "a service of a task on it has no legal move (not ACTIVE, or its floor and ceiling both at its desired count)"
            }
            NoClaim::MemberOfOrSubnets => {
                "a service of the cluster has a memberOf constraint or awsvpc subnets, whose room is not counted"
            }
            NoClaim::ProviderStrategy => {
                "a capacity provider strategy of several providers, or services with and without one, share the cluster"
            }
            NoClaim::NoRoom => {
                "the ACTIVE instances have no room for the services' desired counts (distinctInstance: one an instance)"
            }
        }
    }

    /// Its name in `--json` output.
    pub fn code(self) -> &'static str {
        match self {
            NoClaim::HealthChecksFailing => "healthChecksFailing",
            NoClaim::StandaloneTask => "standaloneTask",
            NoClaim::NoLegalMove => "noLegalMove",
            NoClaim::MemberOfOrSubnets => "memberOfOrSubnets",
            NoClaim::ProviderStrategy => "capacityProviderStrategy",
            NoClaim::NoRoom => "noRoom",
        }
    }
}

/// [`drain_has_capacity`], with the reason when no claim is made.
pub fn drain_claim(e: &Engine, drained: &InstanceView) -> Result<(), NoClaim> {
    if e.health_checks_failing() {
        return Err(NoClaim::HealthChecksFailing);
    }
    let live = |s: TaskStatus| s != TaskStatus::Stopped;
    let mut moved: Vec<drainsim_core::ServiceId> = Vec::new();
    for t in drained.tasks().filter(|t| live(t.last_status())) {
        let Some(s) = t.service() else { return Err(NoClaim::StandaloneTask) };
        let desired = s.desired_count();
        if s.status() != ServiceStatus::Active || !(s.healthy_floor() < desired || s.task_ceiling() > desired) {
            return Err(NoClaim::NoLegalMove);
        }
        moved.push(s.id());
    }
    let cluster = drained.cluster();
    let services: Vec<_> = e.services().filter(|s| s.cluster() == cluster && s.status() == ServiceStatus::Active).collect();
    // Room that `memberOf` expressions or awsvpc subnets' zones decide is not counted in slots: no
    // claim is made.
    if services.iter().any(|s| s.member_of_expressions().next().is_some() || !s.subnet_zones().is_empty()) {
        return Err(NoClaim::MemberOfOrSubnets);
    }
    // Each service's one capacity provider, or none for a service without a strategy.
    let mut provider_of: Vec<Option<&str>> = Vec::with_capacity(services.len());
    for s in &services {
        let mut providers = s.capacity_providers();
        let first = providers.next();
        if providers.next().is_some() {
            return Err(NoClaim::ProviderStrategy);
        }
        provider_of.push(first);
    }
    if provider_of.iter().any(Option::is_some) && provider_of.iter().any(Option::is_none) {
        return Err(NoClaim::ProviderStrategy);
    }
    // The services that share instances, judged together: those of the provider of each service
    // with a task on the drained instance (all of them, without strategies).
    let mut judged: Vec<Option<&str>> =
        services.iter().zip(&provider_of).filter(|(s, _)| moved.contains(&s.id())).map(|(_, p)| *p).collect();
    judged.sort_unstable();
    judged.dedup();
    let room = judged.into_iter().all(|provider| {
        let sharing: Vec<_> = services.iter().zip(&provider_of).filter(|(_, p)| **p == provider).map(|(s, _)| *s).collect();
        let takers: Vec<_> = e
            .instances()
            .filter(|i| i.cluster() == cluster && i.status() == InstanceStatus::Active && i.agent_connected())
            .filter(|i| provider.is_none_or(|p| i.capacity_provider() == Some(p)))
            .collect();
        room_for(&sharing, &takers)
    });
    if room {
        Ok(())
    } else {
        Err(NoClaim::NoRoom)
    }
}

/// Whether `takers` have room for the desired count of every one of `services` (the services that
/// share them): counted in slots of the largest task (CPU, memory, GPUs, task ENIs for `awsvpc` tasks,
/// one per instance for a host port) after what standalone tasks (RunTask, StartTask), which no
/// drain moves, hold on each; and as many of them as the desired count of each service with a
/// `distinctInstance` constraint (one task an instance) that hold one of its tasks or have room
/// for one beside every task that stays on them.
fn room_for(services: &[drainsim_core::ServiceView], takers: &[InstanceView]) -> bool {
    let (mut cpu, mut memory, mut gpu, mut port, mut awsvpc) = (0i64, 0i64, 0u32, false, false);
    let mut wanted: u64 = 0;
    for s in services {
        let size = s.task_size();
        cpu = cpu.max(size.cpu);
        memory = memory.max(size.memory);
        gpu = gpu.max(size.gpu);
        port |= size.host_port;
        awsvpc |= size.awsvpc;
        wanted += s.desired_count() as u64;
    }
    // What an instance has left once the tasks not STOPPED that `stays` keeps hold theirs: CPU,
    // memory, GPUs, task ENIs, and whether a host port is taken.
    let remaining = |i: &InstanceView, stays: &dyn Fn(&TaskView) -> bool| {
        let (mut c, mut m) = i.registered_cpu_memory();
        let mut g = i.gpu_ids().len() as i64;
        let (mut enis, mut port_taken) = (i64::from(i.task_eni_limit().unwrap_or(0)), false);
        for t in i.tasks().filter(|t| t.last_status() != TaskStatus::Stopped && stays(t)) {
            let size = t.size();
            c -= size.cpu;
            m -= size.memory;
            g -= i64::from(size.gpu);
            enis -= i64::from(size.awsvpc);
            port_taken |= size.host_port;
        }
        (c, m, g.max(0) as u64, enis.max(0) as u64, port_taken)
    };
    // Beside its standalone tasks, which no drain moves.
    let free = |i: &InstanceView| remaining(i, &|t| t.service().is_none());
    // Beside every task that stays (not told to stop): another service's tasks there are not moved
    // by the drain either.
    let left = |i: &InstanceView| remaining(i, &|t| !t.desired_stopped());
    for s in services.iter().filter(|s| s.distinct_instance()) {
        let size = s.task_size();
        // An instance takes one of its tasks if it holds one already (wanted RUNNING), or has room
        // for one beside what stays on it.
        let fit = takers
            .iter()
            .filter(|i| {
                let holds_one = i.tasks().any(|t| {
                    t.last_status() != TaskStatus::Stopped
                        && !t.desired_stopped()
                        && t.service().is_some_and(|ts| ts.id() == s.id())
                });
                let (c, m, g, enis, port_taken) = left(i);
                holds_one
                    || (c >= size.cpu
                        && m >= size.memory
                        && g >= u64::from(size.gpu)
                        && (!size.awsvpc || enis > 0)
                        && !(size.host_port && port_taken))
            })
            .count();
        if s.desired_count() as usize > fit {
            return false;
        }
    }
    let mut slots: u64 = 0;
    for i in takers {
        let (c, m, g, enis, port_taken) = free(i);
        let by_cpu = if cpu > 0 {
            (c / cpu).max(0) as u64
        } else if c < 0 {
            0
        } else {
            u64::MAX
        };
        let by_memory = if memory > 0 {
            (m / memory).max(0) as u64
        } else if m < 0 {
            0
        } else {
            u64::MAX
        };
        let by_gpu = if gpu > 0 { g / u64::from(gpu) } else { u64::MAX };
        let by_eni = if awsvpc { enis } else { u64::MAX };
        let by_port = match (port, port_taken) {
            (false, _) => u64::MAX,
            (true, false) => 1,
            (true, true) => 0,
        };
        slots = slots.saturating_add(by_cpu.min(by_memory).min(by_gpu).min(by_eni).min(by_port));
    }
    slots >= wanted
}

/// The first DRAINING instance whose drain has not completed though it has room, if any (what a
/// cycle of states must keep for the drain never to complete).
pub fn stuck_drain(e: &Engine) -> Option<String> {
    e.instances()
        .filter(|i| i.status() == InstanceStatus::Draining && i.drain().completed_at_ms().is_none())
        .find(|i| drain_has_capacity(e, i))
        .map(|i| i.name().to_string())
}

/// At a terminal state: the DRAINING instances whose drains have not completed and of which no
/// claim is made, each with why ([`drain_claim`]), in instance order. `drainsim explore` counts
/// them, so that "every property holds" never hides a drain that did not complete.
pub fn unjudged_drains(e: &Engine) -> Vec<(String, NoClaim)> {
    e.instances()
        .filter(|i| i.status() == InstanceStatus::Draining && i.drain().completed_at_ms().is_none())
        .filter_map(|i| drain_claim(e, &i).err().map(|why| (i.name().to_string(), why)))
        .collect()
}

/// At a terminal state, whose run ends at `run_end_ms`: the first DRAINING instance with capacity
/// whose drain has not completed.
pub fn check_eventually(e: &Engine, end_time_ms: u64, run_end_ms: u64) -> Option<Finding> {
    for i in e.instances().filter(|i| i.status() == InstanceStatus::Draining) {
        if i.drain().completed_at_ms().is_some() || !drain_has_capacity(e, &i) {
            continue;
        }
        // A drain is complete when every task on the instance is STOPPED: count what keeps it open.
        let left = i.tasks().filter(|t| t.last_status() != TaskStatus::Stopped).count();
        return Some(Finding {
            property: DRAINS_COMPLETE,
            detail: format!(
                "{}: DRAINING since {} ms, {left} task(s) not yet STOPPED when the run ended at {} ms, with room elsewhere",
                i.name(),
                i.drain().started_at_ms().unwrap_or(0),
                run_end_ms
            ),
            expectation: Some(named(DRAINS_COMPLETE, Expectation::DrainCompletedBy(i.name().into(), end_time_ms))),
        });
    }
    None
}
