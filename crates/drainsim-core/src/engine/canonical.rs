//! The canonical state digest: a hash of what decides the engine's future, in a form where two
//! states that differ only in the IDs drawn, in the order records were created, or in how far the
//! clock has moved hash the same. `drainsim explore` visits each digest once.
//!
//! What it covers: every instance (in registration order) with its status, agent connection and
//! update, resources left (the ports in use by value, not by their interned ID), task counts, ENIs, placeability, trunk and its attachment's status,
//! whether its drain started and completed, the stops its agent still tracks and what its tasks
//! wait for from its agent while it is disconnected; every task not
//! yet STOPPED as a tuple (instance, service, task definition, statuses, health and agent flags,
//! its age, the GPUs pinned to it), the tasks sorted so that the order they were created in does not matter; every
//! service's status, counts, deployment bounds, rebalancing setting, grace period and placement
//! lists, spread and scheduler bookkeeping (times relative to now), whether it waits for room and
//! for which task; whether each cluster has room no wake announced to its waiting services; the pending
//! events in firing order, each with its time relative to now and its target (a task by its rank in
//! the sorted tuples, a stale task event marked stale); pinned trunk failures; Spot Instances and their notices; the faults a script
//! may still take, and whether anything was recorded since the last injection point. What it leaves out is history: the trace, the observations (fewest healthy,
//! most tasks, stalls, breaches, service events), STOPPED tasks and the absolute time. A property
//! of history is checked on every state reached, before the digest merges paths.

use crate::infra::fnv::{fnv1a_extend, FNV_OFFSET};
use crate::infra::ids::TaskId;
use crate::infra::queue::EventKind;
use crate::rules::lifecycle::TaskStatus;
use crate::Engine;
use std::hash::Hash;

/// Feeds u64s into FNV-1a.
struct Hasher(u64);

impl Hasher {
    fn eat(&mut self, x: u64) {
        self.0 = fnv1a_extend(self.0, &x.to_le_bytes());
    }
}

impl std::hash::Hasher for Hasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fnv1a_extend(self.0, bytes);
    }
}

impl Engine {
    /// The canonical digest of the state (see the module documentation of `engine/canonical.rs`:
    /// IDs, record order and the absolute time do not count; history does not count).
    pub fn canonical_digest(&self) -> u64 {
        let now = self.now_ms;
        let rel = |t: u64| t.wrapping_sub(now);
        let mut h = Hasher(FNV_OFFSET);

        // Live tasks, sorted by what they are rather than by when they were created.
        let mut live: Vec<([u64; 10], TaskId)> = Vec::new();
        for n in 0..self.tasks.len() {
            let t = &self.tasks[n];
            if t.last_status == TaskStatus::Stopped {
                continue;
            }
            let id = TaskId(n as u32);
            let origin = self.task_origin(id);
            let flags = [
                t.desired_stopped(),
                t.healthy(),
                t.orphaned(),
                t.replaces_drained_task(),
                t.fails_to_start(),
                t.agent_queued(),
                t.agent_admitted(),
                t.reservation_released(),
            ]
            .iter()
            .fold(0u64, |acc, f| acc << 1 | *f as u64);
            let key = [
                t.instance.0 as u64,
                origin.service.map_or(u64::MAX, |s| s.0 as u64),
                origin.task_def.0 as u64,
                t.last_status as u64,
                flags,
                t.stop_code().map_or(u64::MAX, |c| c as u64),
                now.saturating_sub(self.tasks.created_at_ms(id)),
                // Which of its instance's GPUs it holds (what its agent waits for by ID).
                self.tasks.gpus(id),
                // Its RunTask or StartTask override of its size (0: none).
                origin.size.cpu.map_or(0, |c| u64::from(c.get())) << 32 | origin.size.memory.map_or(0, |m| u64::from(m.get())),
                // When its load balancer target is healthy again after it went unhealthy.
                self.tasks.target_recovering_until(id).filter(|until| *until > now).map_or(u64::MAX, rel),
            ];
            live.push((key, id));
        }
        live.sort();
        let mut rank = std::collections::BTreeMap::new();
        h.eat(live.len() as u64);
        for (r, (key, id)) in live.iter().enumerate() {
            rank.insert(*id, r as u64);
            key.iter().for_each(|x| h.eat(*x));
        }
        let task_rank = |id: TaskId| rank.get(&id).copied().unwrap_or(u64::MAX);

        h.eat(self.instances.len() as u64);
        for n in 0..self.instances.len() {
            let i = &self.instances[n];
            for x in [
                i.status as u64,
                i.agent_connected as u64,
                i.agent_update.map_or(u64::MAX, |u| u as u64),
                i.agent_update_fail_at.map_or(u64::MAX, |u| u as u64),
                i.remaining.cpu as u64,
                i.remaining.memory as u64,
                i.running_tasks_count as u64,
                i.pending_tasks_count as u64,
                i.indexed as u64,
                i.forgotten as u64,
                i.trunk_failed as u64,
                i.task_enis_in_use as u64,
                i.trunk.map_or(u64::MAX, |a| self.attachments[a.index()].status as u64),
                i.drain.started_at_ms().is_some() as u64,
                i.drain.completed_at_ms().is_some() as u64,
            ] {
                h.eat(x);
            }
            // The ports in use by value: a port set's ID depends on the order sets were first
            // seen, which differs between paths that reach the same ports.
            for ports in [i.remaining.ports_tcp, i.remaining.ports_udp] {
                let ports = self.port_set(ports);
                h.eat(ports.len() as u64);
                ports.iter().for_each(|p| h.eat(u64::from(*p)));
            }
            // The stops in progress: its STOPPING tasks (the `stops-in-progress` invariant).
            let mut stops: Vec<u64> = i
                .tasks
                .iter()
                .filter(|t| self.tasks[t.index()].last_status == TaskStatus::Stopping)
                .map(|t| task_rank(*t))
                .collect();
            stops.sort();
            h.eat(stops.len() as u64);
            stops.iter().for_each(|x| h.eat(*x));
            // What its tasks wait for from its disconnected agent, in the order it will do it.
            let held = self.faults.agent_held.get(&crate::infra::ids::InstanceId(n as u32));
            for (id, step) in held.into_iter().flatten().filter(|(id, step)| self.agent_hold_stands(*id, *step)) {
                h.eat(task_rank(*id));
                h.eat(matches!(step, crate::infra::faults::AgentHeld::Stop) as u64);
            }
            h.eat(u64::MAX);
        }

        h.eat(self.services.len() as u64);
        for n in 0..self.services.len() {
            let s = &self.services[n];
            let c = s.counts;
            for x in
                [s.status as u64, s.desired_count as u64, c.running as u64, c.pending as u64, c.healthy as u64, c.live as u64]
            {
                h.eat(x);
            }
            // What UpdateService may change: the bounds, rebalancing and the placement lists
            // (which decide where its next task goes and which task a scale-in stops).
            for x in [s.minimum_healthy_percent as u64, s.maximum_percent as u64, s.az_rebalancing() as u64] {
                h.eat(x);
            }
            s.health_check_grace_seconds.hash(&mut h);
            h.eat(s.strategy_specs.len() as u64);
            for p in &s.strategy_specs {
                (&p.strategy_type, &p.field).hash(&mut h);
            }
            h.eat(s.constraint_specs.len() as u64);
            for c in &s.constraint_specs {
                (&c.constraint_type, &c.expression).hash(&mut h);
            }
            // Its awsvpc subnets' zones decide where its next task goes too.
            match &s.network {
                None => h.eat(0),
                Some(n) => {
                    let zones = n.zones();
                    h.eat(zones.len() as u64 + 1);
                    for z in zones {
                        self.strings.resolve(z).hash(&mut h);
                    }
                }
            }
            let sch = &s.schedule;
            for x in [
                sch.retry_pending as u64,
                sch.pass_event_at_ms.map_or(u64::MAX, rel),
                sch.last_health_loss.map_or(u64::MAX, |b| b as u64),
                sch.steady as u64,
                sch.breach_watch as u64,
                sch.steady_desired_count.map_or(u64::MAX, u64::from),
                u64::from(sch.ceiling_since_steady),
                sch.failed_starts as u64,
                sch.start_backoff_until_ms.saturating_sub(now),
                // Which of its next tasks are marked as replacements of drained tasks.
                sch.drain_replacements.balance() as u64,
            ] {
                h.eat(x);
            }
            // Whether it waits for room, and for which task: which wakes retry it.
            match self.clusters.capacity_wait(s.cluster, crate::infra::ids::ServiceId(n as u32)) {
                Some(w) => [1, w.cpu as u64, w.memory as u64].iter().for_each(|x| h.eat(*x)),
                None => h.eat(0),
            }
            // The last event's kind: an event equal to the last one is not recorded again.
            if let Some((_, last)) = s.events.last() {
                std::mem::discriminant(last).hash(&mut h);
            }
            h.eat(s.spread.per_instance.len() as u64);
            for (i, k) in s.spread.per_instance.sorted() {
                h.eat(i.0 as u64);
                h.eat(k as u64);
            }
        }

        // Room no wake has told every waiting service of (see `state/cluster.rs::CapacityWaiters`).
        for c in 0..self.clusters.len() {
            let (everywhere, on) = self.clusters.unannounced_room(crate::infra::ids::ClusterId(c as u32));
            h.eat(everywhere as u64);
            h.eat(on.len() as u64);
            for i in on {
                h.eat(i.0 as u64);
            }
        }

        // Pending events in firing order.
        let mut queue = self.queue.clone();
        h.eat(queue.len() as u64);
        while let Some(e) = queue.pop() {
            h.eat(rel(e.time_ms));
            h.eat(e.kind as u64);
            match e.kind {
                EventKind::TaskStageEnds | EventKind::TaskBecomesHealthy | EventKind::TaskFailsHealthChecks => {
                    let id = TaskId(e.id);
                    let current = self.tasks[id.index()].epoch() == e.epoch;
                    h.eat(if current { task_rank(id) } else { u64::MAX });
                }
                EventKind::Fault => match &self.pinned_faults[e.id as usize] {
                    super::faults::PinnedFault::AgentDisconnect(i) => h.eat(2 * i.0 as u64),
                    super::faults::PinnedFault::AgentReconnect(i) => h.eat(2 * i.0 as u64 + 1),
                    super::faults::PinnedFault::SpotInterruption(i, b) => {
                        h.eat(u64::MAX - 2);
                        h.eat(i.0 as u64);
                        h.eat(*b as u64);
                    }
                    super::faults::PinnedFault::HealthChecksFail(query) => {
                        h.eat(u64::MAX - 3);
                        h.eat(crate::fnv1a(query.to_string().as_bytes()));
                    }
                    super::faults::PinnedFault::HealthChecksPass => h.eat(u64::MAX - 4),
                    super::faults::PinnedFault::SpotRebalanceRecommendation(i) => {
                        h.eat(u64::MAX - 5);
                        h.eat(i.0 as u64);
                    }
                },
                _ => {
                    h.eat(e.id as u64);
                    h.eat(e.epoch as u64);
                }
            }
        }

        let mut trunk_failures: Vec<u32> = self.faults.trunk_failures.iter().map(|i| i.0).collect();
        trunk_failures.sort();
        trunk_failures.iter().for_each(|x| h.eat(*x as u64));
        for (i, draining) in &self.faults.spot_instances {
            h.eat(i.0 as u64);
            h.eat(*draining as u64);
            h.eat(self.faults.spot_notices.contains(i) as u64);
            h.eat(self.faults.spot_notices_unrelayed.contains(i) as u64);
            h.eat(self.faults.terminated_registered.contains(i) as u64);
            h.eat(self.faults.spot_signals.get(i).map_or(0, |s| *s as u64 + 1));
            h.eat(self.faults.spot_notices_scheduled.contains(i) as u64);
            h.eat(self.faults.spot_moments.get(i).map_or(0, |s| *s as u64 + 1));
        }
        h.eat(self.faults.spot_draw_window_end_ms.map_or(u64::MAX, rel));
        // Failing health checks: which instances, and since when (a healthy task's unhealthy
        // threshold counts from then).
        match &self.failing_health_checks {
            Some(query) => {
                h.eat(crate::fnv1a(query.to_string().as_bytes()));
                h.eat(now.saturating_sub(self.failing_health_checks_since_ms));
            }
            None => h.eat(u64::MAX),
        }
        h.eat(self.faults_left() as u64);
        h.eat(self.changed_since_injection_point() as u64);
        h.0
    }
}

#[cfg(test)]
mod tests {
    use crate::api::*;
    use crate::Engine;

    /// One instance running one bridge-mode task with host port 8080.
    fn run_a_port_task(e: &mut Engine) {
        e.create_cluster("prod").expect("valid name");
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 1024), Resource::integer("MEMORY", 2048)],
            instance_identity: InstanceIdentity {
                name: "i0".into(),
                instance_type: "m5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            network_mode: Some("bridge".into()),
            container_definitions: vec![ContainerDefinition {
                name: "web".into(),
                cpu: Some(256),
                memory: Some(512),
                port_mappings: vec![PortMapping { container_port: Some(80), host_port: Some(8080), protocol: None }],
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("registers");
        e.handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "web".into(),
            ..Default::default()
        }))
        .expect("runs");
    }

    /// The same ports in use hash the same whatever IDs their sets were interned with (the IDs
    /// follow the order sets were first seen, which differs between explored paths).
    #[test]
    fn ports_in_use_hash_by_value() {
        let (mut a, mut b) = (Engine::new(crate::EngineConfig::default()), Engine::new(crate::EngineConfig::default()));
        // `a` has seen another set first, so its set {8080} has another ID.
        a.instances.intern_port_set(&vec![9090]);
        run_a_port_task(&mut a);
        run_a_port_task(&mut b);
        let (ia, ib) = (&a.instances[0], &b.instances[0]);
        assert_eq!(a.port_set(ia.remaining.ports_tcp), b.port_set(ib.remaining.ports_tcp));
        assert_ne!(ia.remaining.ports_tcp, ib.remaining.ports_tcp, "the two sets have different IDs");
        assert_eq!(a.canonical_digest(), b.canonical_digest());
    }
}
