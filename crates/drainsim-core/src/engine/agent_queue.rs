//! The container agent's task queue: when the agent on an instance starts a task that placement
//! put there.
//!
//! Placement treats the CPU, memory and ports of a task that reached STOPPING as free ("ECS
//! optimistically considers instance resources (e.g. cpu, memory, ports) as free for launching new
//! tasks whenever a running task transitions to the stopping state",
//! <https://aws.amazon.com/about-aws/whats-new/2023/06/amazon-ecs-tasks-faster-prolonged-shutdown/>),
//! but the agent does not start the new task before its own rule allows:
//! - an agent before 1.73.0 waits until every stop it was told of before the task arrived has
//!   finished (`waitForHostResources` waits on `taskStopGroup` up to the task's
//!   `StartSequenceNumber`, <https://github.com/aws/amazon-ecs-agent/blob/v1.72.0/agent/engine/task_manager.go>);
//! - 1.73.0 and later keep the tasks in a first-in, first-out queue and start the first one as soon
//!   as the CPU, memory and ports it needs are not held by tasks whose containers still run
//!   (`monitorQueuedTasks`, <https://github.com/aws/amazon-ecs-agent/blob/master/agent/engine/docker_task_engine.go>).
//!
//! A task joins its instance's queue when it is placed (the agent receives it then) and waits, in
//! PENDING, only if the rule does not let it start by the time it reaches PENDING. The agent holds
//! a task's resources from the moment it admits the task until the task's containers have stopped
//! (it leaves STOPPING, or stops before it started). The trace records each wait
//! ([`Change::TaskAgentWaits`], [`Change::TaskAgentStarts`]) and each service tallies them by cause
//! (the report's `agentWaits`), beside placement's own failures.

use crate::infra::ids::{InstanceId, TaskId};
use crate::rules::lifecycle::TaskStatus;
use crate::rules::versions::agent_waits_only_for_needed_resources;
use crate::state::task::AgentWaitCause;
use crate::state::trace::{Change, Subject};
use crate::Engine;

/// What the agent on one instance holds for the tasks it admitted.
#[derive(Default)]
struct AgentHeld {
    cpu: i64,
    memory: i64,
    ports_tcp: Vec<u16>,
    ports_udp: Vec<u16>,
    /// The GPUs pinned to its tasks (bits of the instance's).
    gpus: u64,
}

impl Engine {
    /// Whether the instance's agent is 1.73.0 or later (queues tasks for resources only).
    fn agent_is_resource_aware(&self, instance: InstanceId) -> bool {
        let version = self.instance_profile(instance).agent_version.map(|v| self.strings.resolve(v));
        agent_waits_only_for_needed_resources(version)
    }

    /// What the instance's agent holds: its own reserved ports and the tasks it admitted.
    fn agent_held(&self, instance: InstanceId) -> AgentHeld {
        let registered = &self.instance_profile(instance).registered;
        let mut held = AgentHeld {
            ports_tcp: self.port_set(registered.ports_tcp).to_vec(),
            ports_udp: self.port_set(registered.ports_udp).to_vec(),
            ..Default::default()
        };
        for t in &self.instances[instance.index()].tasks {
            if self.tasks[t.index()].agent_admitted() {
                self.add_to_held(&mut held, *t);
            }
        }
        held
    }

    fn add_to_held(&self, held: &mut AgentHeld, task: TaskId) {
        let td = &self.task_defs[self.task_origin(task).task_def.index()];
        let (cpu, memory) = self.task_size(task);
        held.cpu = held.cpu.checked_add(cpu).expect("agent-held CPU fits in i64");
        held.memory = held.memory.checked_add(memory).expect("agent-held memory fits in i64");
        held.ports_tcp.extend(&td.ports_tcp);
        held.ports_udp.extend(&td.ports_udp);
        held.gpus |= self.tasks.gpus(task);
    }

    /// The first resource the agent lacks to start `task` (CPU, memory, ports, then the GPUs ECS
    /// pinned to it, which the agent tracks by ID as it tracks ports), if any.
    fn agent_lacks(&self, instance: InstanceId, held: &AgentHeld, task: TaskId) -> Option<AgentWaitCause> {
        let registered = &self.instance_profile(instance).registered;
        let td = &self.task_defs[self.task_origin(task).task_def.index()];
        let (cpu, memory) = self.task_size(task);
        if registered.cpu - held.cpu < cpu {
            return Some(AgentWaitCause::Cpu);
        }
        if registered.memory - held.memory < memory {
            return Some(AgentWaitCause::Memory);
        }
        let taken = |used: &[u16], wanted: &[u16]| wanted.iter().any(|p| used.contains(p));
        if taken(&held.ports_tcp, &td.ports_tcp) || taken(&held.ports_udp, &td.ports_udp) {
            return Some(AgentWaitCause::Ports);
        }
        if held.gpus & self.tasks.gpus(task) != 0 {
            return Some(AgentWaitCause::Gpu);
        }
        None
    }

    /// A task just placed reaches its instance's agent: it joins the queue and starts at once if the
    /// agent's rule allows.
    pub(crate) fn queue_at_agent(&mut self, task: TaskId) {
        let instance = self.tasks[task.index()].instance;
        self.tasks.set_agent_queued(task, true);
        // The common case, without building the agent's view: nothing queued before it and no stop
        // in progress on the instance. Then every earlier stop has finished (what an agent before
        // 1.73.0 waits for), and what the agent holds is at most what placement counts (a task
        // placement counts but the agent does not is one it has not admitted yet), so the room
        // placement found is room the agent has too.
        if self.instances.agent_queue(instance).next().is_none() && !self.instances.has_stops_in_progress(instance) {
            self.tasks.set_agent_admitted(task, true);
            return;
        }
        self.instances.enqueue_for_agent(instance, task);
        self.admit_queued_tasks(instance);
    }

    /// Why the agent has not admitted a queued task yet.
    fn agent_wait_cause(&self, task: TaskId) -> AgentWaitCause {
        let instance = self.tasks[task.index()].instance;
        if !self.agent_is_resource_aware(instance) {
            return AgentWaitCause::StoppingTasks;
        }
        match self.instances.agent_queue(instance).next() {
            Some((head, _)) if head == task => {
                let held = self.agent_held(instance);
                self.agent_lacks(instance, &held, task).expect("a queued head that fits is admitted")
            }
            _ => AgentWaitCause::QueuedBehind,
        }
    }

    /// A task reached PENDING: the agent starts it if it admitted it, or it waits in the queue.
    /// Returns whether it may go on.
    pub(crate) fn agent_may_start(&mut self, task: TaskId) -> bool {
        if self.tasks[task.index()].agent_admitted() {
            return true;
        }
        let cause = self.agent_wait_cause(task);
        self.tasks.begin_agent_wait(task, cause, self.now_ms);
        let why = match cause {
            AgentWaitCause::StoppingTasks => "agent before 1.73.0 waits for earlier stops",
            AgentWaitCause::QueuedBehind => "agent queue is first in, first out",
            _ => "agent waits for host resources",
        };
        self.record(Subject::Task(task), Change::TaskAgentWaits(cause), why);
        false
    }

    /// Starts every task of the instance's agent queue that the agent's rule now allows: with an
    /// agent 1.73.0 or later, from the head of the queue while the head fits; before 1.73.0, each
    /// task whose earlier stops have all finished.
    pub(crate) fn admit_queued_tasks(&mut self, instance: InstanceId) {
        let queue: Vec<(TaskId, crate::state::instance::StopSequence)> = self.instances.agent_queue(instance).collect();
        if queue.is_empty() {
            return;
        }
        if self.agent_is_resource_aware(instance) {
            let mut held = self.agent_held(instance);
            for (task, _) in queue {
                if self.agent_lacks(instance, &held, task).is_some() {
                    break;
                }
                self.add_to_held(&mut held, task);
                self.admit(instance, task);
            }
        } else {
            for (task, barrier) in queue {
                if self.instances.stops_before_finished(instance, barrier) {
                    self.admit(instance, task);
                }
            }
        }
    }

    /// The agent admits a queued task; if it was waiting in PENDING, its PENDING stage starts now.
    fn admit(&mut self, instance: InstanceId, task: TaskId) {
        self.instances.dequeue_for_agent(instance, task);
        self.tasks.set_agent_admitted(task, true);
        if let Some((since_ms, cause)) = self.tasks.end_agent_wait(task) {
            debug_assert_eq!(self.tasks[task.index()].last_status, TaskStatus::Pending);
            let why = match cause {
                AgentWaitCause::StoppingTasks => "earlier stops finished",
                _ => "host resources available",
            };
            self.record(Subject::Task(task), Change::TaskAgentStarts, why);
            self.tally_agent_wait(task, since_ms, cause);
            let d = self.config.timings.task_pending_ms;
            self.schedule_stage(task, d);
        }
    }

    fn tally_agent_wait(&mut self, task: TaskId, since_ms: crate::infra::time::SimTimeMs, cause: AgentWaitCause) {
        if let Some(s) = self.task_origin(task).service {
            let waited = self.now_ms.checked_sub(since_ms).expect("a wait ends after it began");
            self.services.schedule_mut(s).observations.agent_waits.entry(cause).or_default().add(waited);
        }
    }

    /// The agent is told to stop a task on its instance (the task reached STOPPING): an agent
    /// before 1.73.0 starts no task queued after this until the task's containers have stopped,
    /// so the stop's place in the sequence is kept for it; a current agent's is only counted.
    pub(crate) fn agent_told_to_stop(&mut self, instance: InstanceId, task: TaskId) {
        let version = self.instance_profile(instance).agent_version;
        let resource_aware = match self.resource_aware_agent_memo {
            Some((v, aware)) if v == version => aware,
            _ => {
                let aware = self.agent_is_resource_aware(instance);
                self.resource_aware_agent_memo = Some((version, aware));
                aware
            }
        };
        let sequenced = !resource_aware;
        self.instances.stop_begins(instance, task, sequenced);
    }

    /// A task's containers have stopped (`stop_in_progress`: it was STOPPING), or it stopped
    /// before it started, or it was orphaned: it leaves the agent's queue or hands back what the
    /// agent held for it, and (unless its instance is going away, `admit_next` false) the queue
    /// moves on.
    pub(crate) fn agent_done_with(&mut self, task: TaskId, stop_in_progress: bool, admit_next: bool) {
        let instance = self.tasks[task.index()].instance;
        if stop_in_progress {
            self.instances.stop_ends(instance, task);
        }
        let t = &self.tasks[task.index()];
        if t.agent_queued() {
            if let Some((since_ms, cause)) = self.tasks.end_agent_wait(task) {
                self.tally_agent_wait(task, since_ms, cause);
            }
            self.instances.dequeue_for_agent(instance, task);
            self.tasks.set_agent_queued(task, false);
        } else if t.agent_admitted() {
            self.tasks.set_agent_admitted(task, false);
        }
        if admit_next {
            self.admit_queued_tasks(instance);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::api::{RegisterContainerInstanceRequest, Request, StartTaskRequest, VersionInfo};
    use crate::engine::invariants::tests::{scale_to_zero_and_stop, steady_cluster};
    use crate::infra::time::SimTimeMs;
    use crate::rules::lifecycle::TaskStatus;

    /// One instance with room to spare: both tasks of `one` STOPPING (their containers stop at
    /// their stopTimeout), then one `app` task started on the instance, its agent first
    /// re-registered as `agent_version` if given; run until quiet. Returns when the last stop
    /// ended and when the started task started.
    fn start_beside_stops(agent_version: Option<&str>) -> (SimTimeMs, SimTimeMs) {
        let mut e = steady_cluster(&[("a", "us-east-1a", 4096, 8192)], (256, 512), &[("one", 2)]);
        scale_to_zero_and_stop(&mut e, "one");
        let service = e.service_named("one").expect("exists");
        let stops_end_ms =
            service.tasks().map(|t| t.stopping_at_ms().expect("STOPPING") + t.stop_timeout_ms()).max().expect("two tasks");
        let arn = e.instance_named("a").expect("registered").arn();
        if let Some(version) = agent_version {
            e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some("prod".into()),
                container_instance_arn: Some(arn.clone()),
                version_info: Some(VersionInfo { agent_version: Some(version.into()), ..Default::default() }),
                ..Default::default()
            }))
            .expect("re-registers");
        }
        e.handle(Request::StartTask(StartTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            container_instances: vec![arn],
            ..Default::default()
        }))
        .expect("starts");
        e.run_until_quiet(e.now_ms + 600_000, 100_000);
        crate::check_invariants(&e).expect("invariants hold");
        let instance = e.instance_named("a").expect("registered");
        let mut tasks = instance.tasks();
        let task = tasks.next().expect("the started task");
        assert!(tasks.next().is_none() && task.service().is_none(), "only the started task is left");
        assert_eq!(task.last_status(), TaskStatus::Running);
        (stops_end_ms, task.started_at_ms().expect("started"))
    }

    #[test]
    fn an_agent_that_became_older_waits_for_the_stops_its_predecessor_began() {
        // A current agent starts the task while the stops are in progress: the CPU and memory it
        // needs are free.
        let (stops_end_ms, started_at_ms) = start_beside_stops(None);
        assert!(started_at_ms < stops_end_ms, "started at {started_at_ms}, before the stops ended at {stops_end_ms}");
        // The same agent re-registered as 1.29.0 while its stops were in progress: they began
        // under the current agent, which kept no sequence number for them, and the older agent
        // waits for all of them (docs/ecs-choices.md) — as if it had been told of them before the
        // task arrived, which it was.
        let (stops_end_ms, started_at_ms) = start_beside_stops(Some("1.29.0"));
        assert!(started_at_ms > stops_end_ms, "started at {started_at_ms}, after the stops ended at {stops_end_ms}");
    }
}
