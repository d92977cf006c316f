//! Availability Zone rebalancing of a REPLICA service
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html>): with
//! `availabilityZoneRebalancing` ENABLED, once the service has reached a steady state ECS watches
//! how its tasks are spread over the Availability Zones; when they are not balanced it "starts
//! tasks in Availability Zones with the fewest number of running tasks" and "stops the tasks in
//! Availability Zones with the largest number of running tasks", waiting for the started tasks to
//! be healthy, within the service's deployment configuration. Its service events are ECS's
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing-event-messages-list.html>).
//!
//! drainsim's model, one move at a time:
//! - **Zones** are those of the cluster's placeable instances (ACTIVE, agent connected) — of them,
//!   those of its awsvpc subnets, when it names some (`crate::engine::subnets`); a service's
//!   tasks per zone are its staying tasks there: not told to stop, on an instance that is not
//!   DRAINING. A task whose agent is disconnected counts in its zone: ECS still counts it RUNNING,
//!   and agents disconnect and reconnect several times an hour in normal operation
//!   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_container_instance_events.html>),
//!   so a rule that waited for every agent would never rebalance a big cluster. The zones are
//!   balanced when the most and the fewest tasks differ by at most one.
//! - **A move begins** after a pass that had nothing else to do: no task missing, none on a
//!   DRAINING instance, none starting or stopping, `desiredCount` tasks alive, and room under
//!   `maximumPercent`. It starts one task in the zone with the fewest (ties: the zone name), placed
//!   by the service's own placement within that zone; the first move of an operation sends "is not
//!   AZ balanced". No instance in that zone can take the task: the placement-failure event, and no
//!   move.
//! - **While the move's task starts**, the scheduler's scale-in does not count it as a surplus
//!   ([`Engine::rebalance_surplus`]).
//! - **A move ends** at the first pass after its task is healthy: the oldest task of the zone with
//!   the most tasks whose agent is connected is stopped (within `minimumHealthyPercent`: the
//!   healthy tasks stay at or above the floor), and the move is counted (`az_rebalancing_moves`).
//!   When every other task of that zone is on a disconnected agent, the move waits for one to
//!   reconnect. A move whose task stopped first is dropped uncounted, and so is one whose service
//!   left its steady state meanwhile (a drain began, a task failed): its task stays as any other
//!   ([`Engine::unsettled_beside_move`]).
//! - Once balanced after a move, "is AZ balanced".
//!
//! Whether the zones are balanced is read from the service's spread counts (staying tasks per
//! zone). An instance that becomes placeable (a registration, an agent reconnecting) wakes the
//! rebalancing services but those whose last pass found them balanced over the same zones
//! ([`Engine::wake_rebalancing_services`]). A move costs no read of the service's tasks: the service's first rebalancing operation
//! lists them once into a zone stop order (`state::service::ZoneStopOrder`), kept up to date while
//! rebalancing stays ENABLED, so a service whose zones stay balanced keeps none, and one that
//! rebalances again does not list its tasks again.
//!
//! Rebalancing is refused (InvalidParameterException, [`Engine::az_rebalancing_setting`]) for a DAEMON
//! service, with `maximumPercent` 100 (no room to start before stopping) and with a placement
//! constraint on the zone attribute, the cases the guide lists as unsupported. Shown by
//! `scenarios/rollouts/zone-rebalancing-after-zone-drain.ron`.

use std::collections::BTreeMap;

use crate::api;
use crate::errors::EcsError;
use crate::infra::ids::{ServiceId, TaskId};
use crate::infra::intern::Sym;
use crate::placement::{Owner, Strategy};
use crate::state::instance::AVAILABILITY_ZONE_ATTRIBUTE as ZONE_ATTRIBUTE;
use crate::state::service::{
    RebalanceMove, RebalancingEvent, SchedulingStrategy, ServiceEventKind, ServiceStatus, ZoneFinding, ZoneNote,
};
use crate::state::task::StopCode;
use crate::Engine;

/// What a rebalancing service's zones call for after a pass ([`Engine::zone_check`]), with its
/// staying tasks per zone of the cluster's placeable instances when it is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZoneCheck {
    /// Nothing to look at yet: the pass did something else, a move is under way, the service
    /// is not ACTIVE or has not reached a steady state, its tasks are not `desiredCount` or not
    /// all healthy and staying, or the cluster has no placeable instance.
    Unsettled,
    /// The most and the fewest tasks per zone differ by at most one.
    Balanced(BTreeMap<Sym, u32>),
    /// They differ by more: a move is due (room under `maximumPercent` permitting).
    NotBalanced(BTreeMap<Sym, u32>),
}

impl Engine {
    /// `availabilityZoneRebalancing` as CreateService or UpdateService leaves it: the given value
    /// (`ENABLED`/`DISABLED`); without one, UpdateService keeps the service's `current` value, and
    /// CreateService (`current` None) defaults to ENABLED for a service that can rebalance and to
    /// DISABLED for one that cannot ("For create service requests, when no value is specified for
    /// AvailabilityZoneRebalancing, Amazon ECS defaults the value to ENABLED",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html>; services
    /// "that are not compatible — such as those using the binpack placement strategy — will default
    /// to false", AWS's notice of the change, quoted in
    /// <https://github.com/DistributedScience/Distributed-CellProfiler/issues/198>; compatible are
    /// "Services that specify Availability Zone spread as the first task placement strategy, or do
    /// not specify a placement strategy", the guide). ENABLED is refused for a DAEMON service, with
    /// `maximumPercent` 100, behind a Classic Load Balancer, and with a placement constraint on
    /// `ecs.availability-zone`
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html>).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn az_rebalancing_setting(
        given: Option<&str>,
        current: Option<bool>,
        scheduling: SchedulingStrategy,
        maximum_percent: u32,
        classic_load_balancer: bool,
        constraints: &[api::PlacementConstraint],
        strategies: &[Strategy],
        zone: Sym,
    ) -> Result<bool, EcsError> {
        let unsupported = crate::rules::rebalancing::az_rebalancing_unsupported(
            scheduling == SchedulingStrategy::Daemon,
            maximum_percent,
            classic_load_balancer,
            constraints,
        );
        let enabled = match (given, current) {
            (None, Some(current)) => current,
            (None, None) => {
                // Compatible: "Services that specify Availability Zone spread as the first task
                // placement strategy, or do not specify a placement strategy" (the guide).
                let compatible = strategies.first().is_none_or(|s| *s == Strategy::SpreadAttribute(zone));
                return Ok(unsupported.is_none() && compatible);
            }
            (Some("ENABLED"), _) => true,
            (Some("DISABLED"), _) => false,
            (Some(other), _) => {
                return Err(EcsError::invalid_parameter(format!(
                    "availabilityZoneRebalancing '{other}' is not valid; valid values are [ENABLED, DISABLED]."
                )))
            }
        };
        match unsupported {
            Some(why) if enabled => Err(EcsError::invalid_parameter(why)),
            _ => Ok(enabled),
        }
    }

    /// An instance became placeable: the cluster's services with rebalancing ENABLED look at their
    /// zones again (ECS "continuously monitors the distribution of tasks"), but for those whose
    /// last pass found them balanced over the same zones: an instance in a zone that already had
    /// one changes no service's counts per zone, and such a service has no move to place. The
    /// cluster keeps the others ([`ClusterState::rebalancing_unsettled`]) for the zones of its
    /// placeable instances; when those zones changed (a zone's first instance, or its last one
    /// gone before), every rebalancing service looks again. 16,000 instances under 80 services,
    /// their agents reconnecting twice an hour each, would otherwise run a pass of every service
    /// at each reconnect.
    ///
    /// A service waiting for room is not woken either: its last pass could not place a task, so
    /// it has no move to make (its zone check is unsettled until a pass places what it lacks),
    /// and the waiting services' own wakes (`Engine::wake_services_with_room_on`, which ran
    /// first for this instance) decide when it tries its placement again. Waking it here retried
    /// that placement at every agent reconnect of the cluster, each failing again and searching
    /// the cluster for the instance closest to taking its task.
    ///
    /// A service whose pass is already due at this instant (its pass event, or among the instant's
    /// due passes) will look then: 10,000 instances registering at one instant under 500 such
    /// services would otherwise request five million passes. Once every service to wake is seen
    /// due, the cluster notes it, and later instances of the instant look no further
    /// ([`ClusterState::rebalancing_passes_due_at_ms`]); the note goes when one of those passes is
    /// taken, as an event (`on_scheduler_event`) or from the due passes (`next_due_pass`), and
    /// when the zones change.
    ///
    /// [`ClusterState::rebalancing_unsettled`]: crate::state::cluster::ClusterState::rebalancing_unsettled
    /// [`ClusterState::rebalancing_passes_due_at_ms`]: crate::state::cluster::ClusterState::rebalancing_passes_due_at_ms
    pub(crate) fn wake_rebalancing_services(&mut self, cluster: crate::infra::ids::ClusterId) {
        let zone_set = self.clusters[cluster.index()].placement.zone_set_changes();
        if self.clusters[cluster.index()].rebalancing_zone_set != zone_set {
            self.clusters.unsettle_rebalancing_services(cluster, zone_set);
        }
        if self.clusters[cluster.index()].rebalancing_passes_due_at_ms == Some(self.now_ms) {
            return;
        }
        let (mut settled, mut not_due) = (Vec::new(), Vec::new());
        for &s in &self.clusters[cluster.index()].rebalancing_unsettled {
            if self.services.zones_noted_over(s).map(u64::from) == Some(zone_set) {
                settled.push(s);
            } else if !self.pass_due_now(s) && !self.clusters.is_waiting(cluster, s) {
                not_due.push(s);
            }
        }
        self.clusters.settle_rebalancing_services(cluster, &settled);
        // Most often none: the first registration of an instant made every pass due.
        if not_due.is_empty() {
            self.clusters.note_rebalancing_passes_due(cluster, self.now_ms);
        }
        for s in not_due {
            self.request_pass(s);
        }
    }

    /// After a rebalancing service's pass: notes what it found of the service's zones (`note`,
    /// over the cluster's zones, or nothing), and a service the cluster's wakes passed by for
    /// its last finding that no longer is joins the services they wake.
    fn note_zones(&mut self, id: ServiceId, found: Option<ZoneFinding>) {
        let cluster = self.services[id.index()].cluster;
        let c = &self.clusters[cluster.index()];
        // A zone is noted only once one exists (a balanced service has one).
        let note = found
            .and_then(|found| std::num::NonZeroU64::new(c.placement.zone_set_changes()).map(|over| ZoneNote { over, found }));
        debug_assert!(
            found != Some(ZoneFinding::Balanced) || note.is_some(),
            "a balanced service has a zone, so the zones changed at least once"
        );
        let before = self.services.zone_note(id);
        if note == before {
            return;
        }
        let passed_by = |n: Option<ZoneNote>| n.map(|n| u64::from(n.over)) == Some(c.rebalancing_zone_set);
        let rejoins = passed_by(before) && !passed_by(note);
        self.services.set_zone_note(id, note);
        if rejoins {
            self.clusters.unsettle_rebalancing_service(cluster, id);
        }
    }

    /// After a REPLICA pass of a rebalancing service, its steady state noted (`after_pass`):
    /// when its zones are not settled and no move is under way, the cluster's wakes may pass it
    /// by until the service changes ([`ZoneFinding::Unsettled`]); a service noted so that now has
    /// a move under way or settled zones is noted so no longer. During an instance refresh most
    /// services are not settled, and each agent reconnect of the cluster ran a pass of every
    /// one, which found nothing to do (docs/performance.md, "Unsettled services passed by").
    pub(crate) fn note_zones_after_pass(&mut self, id: ServiceId) {
        if !self.services[id.index()].az_rebalancing() {
            return;
        }
        let idle = self.services[id.index()].schedule.rebalance_move.is_none() && self.zones_unsettled(id);
        if idle {
            self.note_zones(id, Some(ZoneFinding::Unsettled));
        } else if self.services.zone_note(id).is_some_and(|n| n.found == ZoneFinding::Unsettled) {
            self.note_zones(id, None);
        }
    }

    /// Tasks the scale-in step must not take for a surplus: the task of a rebalancing move under
    /// way (it is one above `desiredCount` until the move stops a task of the fullest zone).
    pub(crate) fn rebalance_surplus(&self, id: ServiceId) -> usize {
        match self.services[id.index()].schedule.rebalance_move {
            Some(m) if !self.tasks[m.started.index()].desired_stopped() => 1,
            _ => 0,
        }
    }

    /// Before a REPLICA pass: ends the move under way once its task is healthy (stops the oldest
    /// task of the zone with the most, within the floor), or drops it when its task was stopped or
    /// the service left its steady state meanwhile ([`Self::unsettled_beside_move`]).
    pub(crate) fn rebalance_before_pass(&mut self, id: ServiceId) {
        let Some(m) = self.services[id.index()].schedule.rebalance_move else { return };
        let started = &self.tasks[m.started.index()];
        if started.desired_stopped() || self.services.list_position(id, m.started).is_none() {
            self.services.schedule_mut(id).rebalance_move = None;
            return;
        }
        let started_healthy = started.healthy();
        if self.unsettled_beside_move(id, started_healthy) {
            // The move's task stays, one of the service's tasks like any other: a drain counts
            // it among the staying tasks it replaces up to `desiredCount`, and scale-in may take
            // it for a surplus. Stopping a task of the fullest zone now would stop one of the
            // drain's replacements still starting (they are the zone's only staying tasks) and
            // start another in its place, delaying the drain.
            self.services.schedule_mut(id).rebalance_move = None;
            return;
        }
        if !started_healthy {
            return;
        }
        let s = &self.services[id.index()];
        if s.healthy_stops_within_floor() == 0 {
            return;
        }
        let Some((zone, victim)) = self.rebalance_victim(id, m.started) else { return };
        self.stop_task_now(victim, StopCode::ServiceSchedulerInitiated, "Task stopped due to AZ rebalancing");
        self.service_event(id, ServiceEventKind::rebalancing(RebalancingEvent::Stopped(zone, victim)));
        let schedule = self.services.schedule_mut(id);
        schedule.rebalance_move = None;
        schedule.observations.az_rebalancing_moves =
            schedule.observations.az_rebalancing_moves.checked_add(1).expect("fewer than 2^32 moves");
    }

    /// Whether a service with a move under way has left the steady state the move began in: one
    /// of its tasks other than the move's own is not staying and healthy — on a DRAINING instance
    /// (a drain began), starting, stopping or UNHEALTHY. ECS "starts monitoring a service after it
    /// reaches the steady state" (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-rebalancing.html>);
    /// drainsim drops the move then, uncounted, and looks at the zones again once the service is
    /// settled (docs/rollouts.md, "Zone rebalancing").
    fn unsettled_beside_move(&self, id: ServiceId, started_healthy: bool) -> bool {
        let s = &self.services[id.index()];
        // The move's task is listed and staying (not told to stop); it counts among the staying
        // healthy tasks only once healthy.
        let settled_others = s.staying_healthy as usize + usize::from(!started_healthy);
        settled_others != s.tasks.len()
    }

    /// After a REPLICA pass that made no other progress: when the zones are not balanced, begins a
    /// move (starts a task in the zone with the fewest); when they are after an operation, sends
    /// "is AZ balanced". Returns whether it started a task.
    pub(crate) fn rebalance_after_pass(&mut self, id: ServiceId, progress: bool) -> bool {
        if !self.services[id.index()].az_rebalancing() {
            return false;
        }
        let check = self.zone_check(id, progress);
        let balanced = matches!(check, ZoneCheck::Balanced(_));
        // Most passes find a service unsettled that was not found balanced: nothing to note here
        // (`note_zones_after_pass` notes what is unsettled).
        if balanced || self.services.zones_balanced_over(id).is_some() {
            self.note_zones(id, balanced.then_some(ZoneFinding::Balanced));
        }
        let per_zone = match check {
            ZoneCheck::Unsettled => return false,
            ZoneCheck::Balanced(per_zone) => {
                if self.services[id.index()].schedule.rebalancing {
                    self.services.schedule_mut(id).rebalancing = false;
                    let counts = self.zone_list(&per_zone);
                    self.service_event(id, ServiceEventKind::rebalancing(RebalancingEvent::Balanced(counts)));
                }
                return false;
            }
            ZoneCheck::NotBalanced(per_zone) => per_zone,
        };
        let s = &self.services[id.index()];
        if s.counts.live >= s.ceiling() {
            return false;
        }
        let (&to_zone, _) =
            per_zone.iter().min_by_key(|(z, n)| (**n, self.strings.resolve(**z))).expect("at least one zone: the maximum exists");
        if !self.services[id.index()].schedule.rebalancing {
            self.services.schedule_mut(id).rebalancing = true;
            if self.services[id.index()].zone_stop_order.is_none() {
                let staying = self.zone_places(id);
                self.services.keep_zone_stop_order(id, staying);
            }
            let counts = self.zone_list(&per_zone);
            self.service_event(id, ServiceEventKind::rebalancing(RebalancingEvent::NotBalanced(counts)));
        }
        let s = &self.services[id.index()];
        let (task_def, cluster, group, strategies) = (s.task_def, s.cluster, s.group, s.strategies.clone());
        let zone_rule = api::PlacementConstraint {
            constraint_type: "memberOf".into(),
            expression: Some(format!("attribute:{ZONE_ATTRIBUTE} == {}", self.strings.resolve(to_zone))),
        };
        let Ok(mut constraints) = crate::placement::parse_constraints(&s.constraints.member_of, &[zone_rule]) else {
            return false;
        };
        constraints.distinct = s.constraints.distinct;
        let constraints = self.constraints_within(&constraints, self.next_task_provider(id), &mut Vec::new());
        let req = self.requirements_of(task_def);
        // The failure's diagnosis is not wanted (the event names the zone only), and costs a walk
        // of the instances outside the zone when the zone is full: see `try_choose_instance`.
        match self.try_choose_instance(cluster, &req, &strategies, Owner::Service(id), &constraints) {
            Some(instance) => {
                let task = self.launch_task(
                    instance,
                    task_def,
                    Some(id),
                    group,
                    None,
                    crate::state::task::SizeOverride::default(),
                    false,
                    None,
                );
                self.services.schedule_mut(id).rebalance_move = Some(RebalanceMove { started: task });
                self.service_event(id, ServiceEventKind::rebalancing(RebalancingEvent::Started(to_zone, task)));
                true
            }
            None => {
                self.service_event(id, ServiceEventKind::rebalancing(RebalancingEvent::UnableToPlace(to_zone)));
                false
            }
        }
    }

    /// What a rebalancing service's zones call for after a pass (`progress`: whether the pass did
    /// anything else), read without a change: see [`ZoneCheck`].
    pub(crate) fn zone_check(&self, id: ServiceId, progress: bool) -> ZoneCheck {
        if progress || self.zones_unsettled(id) {
            return ZoneCheck::Unsettled;
        }
        let Some(per_zone) = self.settled_zone_counts(id) else { return ZoneCheck::Unsettled };
        let (Some(most), Some(fewest)) = (per_zone.values().max(), per_zone.values().min()) else {
            return ZoneCheck::Unsettled;
        };
        if most - fewest <= 1 {
            ZoneCheck::Balanced(per_zone)
        } else {
            ZoneCheck::NotBalanced(per_zone)
        }
    }

    /// Whether a rebalancing service has nothing to look at in its zones whatever the pass did:
    /// [`ZoneCheck::Unsettled`] for a reason of the service's own state — not ACTIVE or not
    /// REPLICA, a move under way, no steady state yet, not `desiredCount` tasks alive (or none
    /// desired), a task not healthy or not staying — or because the cluster has no placeable
    /// instance.
    pub(crate) fn zones_unsettled(&self, id: ServiceId) -> bool {
        let s = &self.services[id.index()];
        if s.status != ServiceStatus::Active
            || s.scheduling != SchedulingStrategy::Replica
            || s.schedule.rebalance_move.is_some()
            || s.schedule.observations.steady_state_at_ms.is_none()
            || s.counts.live != s.desired_count
            || s.desired_count == 0
        {
            return true;
        }
        // Every task is staying and healthy exactly when the healthy staying tasks are as many as
        // the listed ones.
        let unsettled = s.staying_healthy as usize != s.tasks.len();
        debug_assert_eq!(unsettled, self.settled_zone_counts_read(id).is_none(), "the counter agrees with the tasks");
        unsettled || !self.clusters[s.cluster.index()].placement.placeable_per_zone.keys().any(|z| rebalances_in(s, *z))
    }

    /// The end of a move: the zone with the most of the service's staying tasks (ties: the zone
    /// name) and its first task in stop order that is neither the move's own (`started`) nor on
    /// an instance whose agent is disconnected (ECS would tell that agent to stop it only once it
    /// reconnects), if it has one. Read from the service's [`ZoneStopOrder`], whose walk passes
    /// over at most the zone's tasks on disconnected agents and the move's own; a service that
    /// does not rebalance any more (a move under way when it was turned off) reads its tasks.
    ///
    /// [`ZoneStopOrder`]: crate::state::service::ZoneStopOrder
    fn rebalance_victim(&self, id: ServiceId, started: TaskId) -> Option<(Sym, TaskId)> {
        let s = &self.services[id.index()];
        let Some(order) = s.zone_stop_order.as_deref() else { return self.rebalance_victim_read(id, started) };
        let zones = &self.clusters[s.cluster.index()].placement.placeable_per_zone;
        let (zone, _) = zones
            .keys()
            .filter(|z| rebalances_in(s, **z))
            .map(|z| (*z, order.tasks_in(*z)))
            .max_by_key(|(z, n)| (*n, std::cmp::Reverse(self.strings.resolve(*z))))?;
        let victim = order.in_stop_order(zone).find(|t| *t != started && self.stoppable_now(*t)).map(|t| (zone, t));
        debug_assert_eq!(victim, self.rebalance_victim_read(id, started), "the zone order agrees with the tasks");
        victim
    }

    /// Whether a task's agent is connected, so that a stop reaches it now.
    fn stoppable_now(&self, t: TaskId) -> bool {
        self.instances[self.tasks[t.index()].instance.index()].agent_connected
    }

    /// [`Self::rebalance_victim`], from one read of the service's tasks: it counts the staying ones
    /// per zone and lists each zone's candidates, and the victim is sought among the fullest
    /// zone's.
    fn rebalance_victim_read(&self, id: ServiceId, started: TaskId) -> Option<(Sym, TaskId)> {
        let s = &self.services[id.index()];
        let mut per_zone: BTreeMap<Sym, (u32, Vec<TaskId>)> = self.clusters[s.cluster.index()]
            .placement
            .placeable_per_zone
            .keys()
            .filter(|z| rebalances_in(s, **z))
            .map(|z| (*z, (0, Vec::new())))
            .collect();
        for t in &s.tasks {
            if !self.counted_in_spread(*t) {
                continue;
            }
            let instance = &self.instances[self.tasks[t.index()].instance.index()];
            if let Some((n, candidates)) = per_zone.get_mut(&instance.availability_zone) {
                *n += 1;
                if *t != started && self.stoppable_now(*t) {
                    candidates.push(*t);
                }
            }
        }
        let (&zone, (_, candidates)) =
            per_zone.iter().max_by_key(|(z, (n, _))| (*n, std::cmp::Reverse(self.strings.resolve(**z))))?;
        // The fullest zone's first candidate in stop order (unhealthy first, then oldest, then by
        // task ID).
        self.first_in_stop_order(candidates).map(|t| (zone, t))
    }

    /// Whether the service is settled — every task healthy and staying (not told to stop, on an
    /// instance that is not DRAINING; its agent may be disconnected: ECS still counts such a task
    /// RUNNING, and agents reconnect several times an hour in normal operation) — and, if so, its
    /// staying tasks per zone of the cluster's placeable instances. Read from two counters: every
    /// task is staying and healthy exactly when the healthy staying tasks are as many as the
    /// listed ones, and its spread counts keep its staying tasks per zone.
    fn settled_zone_counts(&self, id: ServiceId) -> Option<BTreeMap<Sym, u32>> {
        let s = &self.services[id.index()];
        let counts = (s.staying_healthy as usize == s.tasks.len()).then(|| {
            let zones = &self.clusters[s.cluster.index()].placement.placeable_per_zone;
            zones.keys().filter(|z| rebalances_in(s, **z)).map(|z| (*z, s.spread.per_az.get(z).copied().unwrap_or(0))).collect()
        });
        debug_assert_eq!(counts, self.settled_zone_counts_read(id), "the zone order agrees with the tasks");
        counts
    }

    /// [`Self::settled_zone_counts`], from one read of the service's tasks: the oracle debug builds
    /// hold the counter and the order to.
    fn settled_zone_counts_read(&self, id: ServiceId) -> Option<BTreeMap<Sym, u32>> {
        let s = &self.services[id.index()];
        let mut per_zone: BTreeMap<Sym, u32> = self.clusters[s.cluster.index()]
            .placement
            .placeable_per_zone
            .keys()
            .filter(|z| rebalances_in(s, **z))
            .map(|z| (*z, 0))
            .collect();
        for t in &s.tasks {
            if !self.counted_in_spread(*t) || !self.tasks[t.index()].healthy() {
                return None;
            }
            if let Some(n) = per_zone.get_mut(&self.instances[self.tasks[t.index()].instance.index()].availability_zone) {
                *n += 1;
            }
        }
        Some(per_zone)
    }

    /// The zones with their task counts, ordered by zone name (as the events list them).
    fn zone_list(&self, per_zone: &BTreeMap<Sym, u32>) -> Vec<(Sym, u32)> {
        let mut list: Vec<(Sym, u32)> = per_zone.iter().map(|(z, n)| (*z, *n)).collect();
        list.sort_by_key(|(z, _)| self.strings.resolve(*z));
        list
    }

    /// The text of a rebalancing service event, in ECS's words.
    pub(crate) fn rebalancing_event_message(&self, id: ServiceId, event: &RebalancingEvent) -> String {
        let name = self.service_name(id);
        let zone = |z: Sym| self.strings.resolve(z);
        let task = |t: TaskId| format!("(task {})", self.task_short_id(t));
        let counts =
            |list: &[(Sym, u32)], tasks_each: bool| {
                let parts: Vec<String> =
                    list.iter()
                        .enumerate()
                        .map(|(k, (z, n))| {
                            if k == 0 || tasks_each {
                                format!("{n} tasks in {}", zone(*z))
                            } else {
                                format!("{n} in {}", zone(*z))
                            }
                        })
                        .collect();
                match parts.len() {
                    0 => String::new(),
                    1 => parts[0].clone(),
                    2 => format!("{} and {}", parts[0], parts[1]),
                    n => format!("{}, and {}", parts[..n - 1].join(", "), parts[n - 1]),
                }
            };
        match event {
            RebalancingEvent::NotBalanced(list) => {
                format!("service ({name}) is not AZ balanced with {}. AZ Rebalancing in progress.", counts(list, false))
            }
            RebalancingEvent::Balanced(list) => format!("service ({name}) is AZ balanced with {}.", counts(list, true)),
            RebalancingEvent::Started(z, t) => {
                format!("{name} has started 1 tasks in {} to AZ Rebalance: {}.", zone(*z), task(*t))
            }
            RebalancingEvent::Stopped(z, t) => {
                format!("{name} has stopped 1 running tasks in {} due to AZ rebalancing: {}.", zone(*z), task(*t))
            }
            RebalancingEvent::UnableToPlace(z) => format!(
                "service ({name}) is unable to place a task in {} because no container instance met all of its requirements.",
                zone(*z)
            ),
        }
    }
}

/// Whether a service balances its tasks over `zone`: a zone of its awsvpc subnets, or any zone
/// when it names none (`crate::engine::subnets`): its tasks can go nowhere else.
fn rebalances_in(s: &crate::state::service::ServiceState, zone: Sym) -> bool {
    s.network.as_ref().is_none_or(|n| n.covers(zone))
}

#[cfg(test)]
mod tests {
    use crate::api::*;
    use crate::engine::invariants::check_invariants;
    use crate::engine::invariants::tests::{enable_rebalancing, flap, register_instance, steady_cluster};
    use crate::engine::Engine;
    use crate::infra::ids::{ClusterId, ServiceId};

    fn register(e: &mut Engine, name: &str, zone: &str) {
        register_instance(e, name, zone, 4096, 8192);
        check_invariants(e).expect("every invariant holds after a registration");
    }

    /// A quiet cluster of one instance in us-east-1a and the service `web` (two tasks) with
    /// rebalancing ENABLED: `ServiceId(0)` of `ClusterId(0)`.
    fn quiet_rebalancing_web() -> (Engine, ClusterId, ServiceId) {
        let mut e = steady_cluster(&[("a", "us-east-1a", 4096, 8192)], (256, 512), &[("web", 2)]);
        enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let web = ServiceId(0);
        assert!(e.services[web.index()].az_rebalancing());
        (e, ClusterId(0), web)
    }

    /// Instances that become placeable through events (an agent reconnecting) wake the services
    /// through the instant's due passes, not pass events: the second at one instant finds the
    /// service among them and notes it, and taking that pass drops the note.
    #[test]
    fn instances_placeable_through_events_at_one_instant_look_at_the_services_once() {
        let (mut e, cluster, web) = quiet_rebalancing_web();
        let noted = |e: &Engine| e.clusters[cluster.index()].rebalancing_passes_due_at_ms == Some(e.now_ms);
        assert!(e.pass_due.is_empty() && !noted(&e));
        // Its last pass found it balanced over the one zone: a wake passes it by, and so does the
        // note (every service to wake is due: none).
        e.wake_rebalancing_services(cluster);
        assert!(e.pass_due.is_empty() && noted(&e));
        check_invariants(&e).expect("the note holds: no service to wake");
        // A pass that finds it otherwise (here: told so) makes it one to wake.
        e.note_zones(web, None);
        e.clusters.note_rebalancing_pass_taken(cluster);
        check_invariants(&e).expect("a service to wake again");

        // The first instance's wake asks for the pass; it waits among the due passes.
        e.wake_rebalancing_services(cluster);
        assert!(e.pass_due.contains(web) && !noted(&e));
        // The second finds it due there and notes it; a third looks no further.
        e.wake_rebalancing_services(cluster);
        assert!(e.pass_due.contains(web) && noted(&e));
        check_invariants(&e).expect("the note holds: the pass is due");
        e.wake_rebalancing_services(cluster);
        assert!(noted(&e));

        // The pass is taken from the due passes: the note goes, and the next instance wakes the
        // service again.
        assert_eq!(e.next_due_pass(), Some(web));
        assert!(!e.pass_due.contains(web) && !noted(&e));
        check_invariants(&e).expect("no note once the pass is taken");
        e.wake_rebalancing_services(cluster);
        assert!(e.pass_due.contains(web), "the service looks again");
        e.defer_due_passes();
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds once quiet");
    }

    /// Instances that become placeable at one instant wake the rebalancing services once they are
    /// all due, and a service whose pass ran since is woken again by the next one: it has to look
    /// at the new zone (the cluster's note of passes due is dropped when one is taken).
    #[test]
    fn an_instance_placeable_after_the_rebalancing_pass_ran_wakes_the_service_again() {
        let (mut e, cluster, web) = quiet_rebalancing_web();
        let due_now = |e: &Engine| e.services[web.index()].schedule.pass_event_at_ms == Some(e.now_ms);
        let noted = |e: &Engine| e.clusters[cluster.index()].rebalancing_passes_due_at_ms == Some(e.now_ms);
        assert!(!due_now(&e) && !noted(&e));

        // The first instance wakes the service; the second finds it due and notes it.
        register(&mut e, "b", "us-east-1b");
        assert!(due_now(&e) && !noted(&e));
        register(&mut e, "c", "us-east-1c");
        assert!(due_now(&e) && noted(&e));
        // A third at the same instant looks no further, and the service is still due.
        register(&mut e, "d", "us-east-1b");
        assert!(due_now(&e) && noted(&e));

        // A service that starts rebalancing is not known to be due: the note goes.
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "api".into(),
            task_definition: "app".into(),
            desired_count: Some(1),
            availability_zone_rebalancing: Some("ENABLED".into()),
            ..Default::default()
        }))
        .expect("creates");
        assert!(!noted(&e));
        register(&mut e, "e", "us-east-1a");
        assert!(due_now(&e) && noted(&e), "both services are due");

        // The instant's events run the passes: nothing is due, so nothing is noted.
        let instant = e.now_ms;
        e.step_part(usize::MAX);
        assert_eq!(e.now_ms, instant, "still the same instant");
        assert!(!due_now(&e) && !noted(&e), "the pass was taken");
        check_invariants(&e).expect("every invariant holds after the pass");

        // An instance placeable after the pass, at the same instant, wakes the service again.
        register(&mut e, "f", "us-east-1c");
        assert!(due_now(&e), "the service looks at the new instance's zone");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds once quiet");
    }

    /// An agent that disconnects and reconnects makes its instance placeable again. While its zone
    /// kept another placeable instance, the zones are those a balanced service was found balanced
    /// over, and the wake passes it by; when its zone had no other, the zone left and came back —
    /// the same names, but not the same zones since the service looked — and the service looks.
    #[test]
    fn a_reconnect_wakes_a_balanced_service_only_when_the_zones_changed() {
        let mut e = steady_cluster(
            &[("a", "us-east-1a", 4096, 8192), ("b", "us-east-1a", 4096, 8192), ("c", "us-east-1b", 4096, 8192)],
            (256, 512),
            &[("web", 2)],
        );
        enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let (web, cluster) = (ServiceId(0), ClusterId(0));
        assert!(e.services.zones_balanced_over(web).is_some(), "balanced over us-east-1a and us-east-1b");
        flap(&mut e, "a");
        assert!(!e.pass_due_now(web), "us-east-1a kept b: the same zones");
        assert!(!e.clusters[cluster.index()].rebalancing_unsettled.contains(&web));
        // c is us-east-1b's only instance: the zone left with its agent and came back.
        flap(&mut e, "c");
        assert!(e.pass_due_now(web), "the zones changed since the service looked");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds once quiet");
        assert!(e.services.zones_balanced_over(web).is_some(), "balanced again");
    }

    /// A service whose zones are not balanced and whose move found no room in the zone with the
    /// fewest tasks is not passed by: any instance that becomes placeable may have the room.
    #[test]
    fn a_reconnect_wakes_a_service_whose_move_found_no_room() {
        // c, the one instance of us-east-1b, is too small for a task of web.
        let mut e = steady_cluster(
            &[("a", "us-east-1a", 4096, 8192), ("b", "us-east-1a", 4096, 8192), ("c", "us-east-1b", 128, 256)],
            (256, 512),
            &[("web", 2)],
        );
        enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let web = ServiceId(0);
        assert!(e.services[web.index()].schedule.rebalancing, "not AZ balanced, and no move under way");
        assert!(e.services[web.index()].schedule.rebalance_move.is_none());
        assert_eq!(e.services.zones_balanced_over(web), None);
        flap(&mut e, "a");
        assert!(e.pass_due_now(web), "the service looks for room again");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds once quiet");
    }

    /// A service whose pass found its zones unsettled with no move under way (here: a task to
    /// replace on a DRAINING instance whose agent is away, so its stop waits for the reconnect)
    /// is passed by at other instances' reconnects, which change nothing of its zones; its own
    /// change (the task stopped once its agent is back) runs its pass, and it settles balanced.
    /// Before, each reconnect of the cluster ran a pass of every such service.
    #[test]
    fn a_reconnect_passes_by_a_service_unsettled_with_no_move() {
        use crate::state::service::ZoneFinding;
        let mut e = steady_cluster(
            &[
                ("a", "us-east-1a", 4096, 8192),
                ("b", "us-east-1a", 4096, 8192),
                ("c", "us-east-1b", 4096, 8192),
                ("d", "us-east-1b", 4096, 8192),
            ],
            (256, 512),
            &[("web", 2)],
        );
        enable_rebalancing(&mut e, "web");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        let (web, cluster) = (ServiceId(0), ClusterId(0));
        assert!(e.services.zones_balanced_over(web).is_some());
        // The instance of web's task in us-east-1a loses its agent and is set DRAINING.
        let held = e.services[web.index()]
            .tasks
            .iter()
            .map(|t| e.tasks[t.index()].instance)
            .find(|i| e.strings.resolve(e.instances[i.index()].availability_zone) == "us-east-1a")
            .expect("a task in us-east-1a");
        e.set_agent_connected(held, false);
        e.react();
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: vec![e.instance_arn(held)],
            status: "DRAINING".into(),
        }))
        .expect("drains");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds while the stop waits");
        let note = e.services.zone_note(web).expect("a finding");
        assert_eq!(note.found, ZoneFinding::Unsettled, "its task on the DRAINING instance is not stopped yet");
        // Agents of us-east-1b, which keeps a placeable instance while each is away, reconnect:
        // the zones stay the same, and the service is not woken. (The other instance of
        // us-east-1a is its zone's only placeable one: its reconnect would bring a zone back.)
        for name in ["c", "d", "c"] {
            flap(&mut e, name);
            assert!(!e.pass_due_now(web), "a reconnect of {name} passes the service by");
        }
        assert!(!e.clusters[cluster.index()].rebalancing_unsettled.contains(&web));
        // Its agent back, the stop goes out: the task's end runs the pass, and it settles.
        e.set_agent_connected(held, true);
        e.react();
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        check_invariants(&e).expect("every invariant holds once quiet");
        assert!(e.services.zones_balanced_over(web).is_some(), "balanced again");
        assert_eq!(e.services[web.index()].counts.healthy, 2);
    }
}
