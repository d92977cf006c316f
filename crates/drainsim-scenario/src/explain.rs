//! `drainsim explain`: why a drain took as long as it did.
//!
//! From a run's trace records and its end state: for each drained instance, the task that stopped
//! last and what each stretch of its path was (held by its service's floor, a daemon waiting for the
//! instance's other tasks, a standalone task nobody stopped, the target group's deregistration
//! delay, a container that ignores SIGTERM until `stopTimeout`); for each service, what held it back
//! (stalls with every unmet requirement, time below its floor, tasks its agent held in PENDING); and
//! a headline (total drain time, slowest instance, deepest dip below a floor).

use std::collections::BTreeMap;

use drainsim_core::{
    Change, Engine, InstanceId, InstanceStatus, InstanceView, SchedulingStrategy, ServiceId, ServiceView, StopReason,
    StoppingEnd, Subject, TaskId, TaskStatus, TaskView, TraceRecord,
};
use serde::Serialize;

use crate::load::{LoadedScenario, ScenarioError};
use crate::outcome::{drain_cancelled, first_drain_started_at, DrainScope, RunOutcome};
use crate::setup::RunOptions;
use crate::timeline::duration_text;

/// One stretch of a task's path, in simulated time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stretch {
    /// When it began.
    pub from_ms: u64,
    /// When it ended.
    pub to_ms: u64,
    /// What the task was doing, and why it took this long.
    pub why: String,
}

/// Why one drained instance took as long as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceExplanation {
    /// The instance.
    pub name: String,
    /// When its drain started.
    pub drain_started_at_ms: u64,
    /// When its drain completed (null if it did not).
    pub drain_completed_at_ms: Option<u64>,
    /// When its drain was cancelled: the instance was set ACTIVE again before its drain completed,
    /// and is ACTIVE at the end of the run (null otherwise).
    pub drain_cancelled_at_ms: Option<u64>,
    /// What set it DRAINING (its last move to DRAINING), as the trace records it: the request
    /// (`UpdateContainerInstancesState`, which a plan sends; `… from ECS managed draining, for the
    /// Auto Scaling group's termination` or `… from the Auto Scaling group's termination
    /// lifecycle hook handler` when a group's termination did) or ECS's own reaction (`Spot
    /// Instance interruption notice`).
    pub drain_started_by: String,
    /// When it was deregistered (INACTIVE), if it was, and what did it (`DeregisterContainerInstance`,
    /// `Spot Instance terminated`).
    pub deregistered: Option<Deregistration>,
    /// The Auto Scaling group that began to terminate it, if one did — before its drain completed
    /// or after (`at_ms` later than the completion: the group took the drained instance away) —:
    /// when, why and how (null otherwise).
    pub terminated_by: Option<TerminatedBy>,
    /// The Spot signals EC2 gave it, in order (empty for an instance that had none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spot_signals: Vec<SpotSignalAt>,
    /// The task whose stop completed the drain (`web:task/47bd5ad9`).
    pub last_task: Option<String>,
    /// Whether that task did not stop but was orphaned with the instance (a forced
    /// deregistration, EC2 terminating it), which ended the drain (absent when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub last_task_orphaned: bool,
    /// That task's path from the drain's start to STOPPED: the critical path.
    pub critical_path: Vec<Stretch>,
    /// The instance's other tasks not STOPPED when it went away with them (a forced
    /// deregistration, EC2 terminating it), by service in the services' creation order, standalone
    /// tasks last (absent when none): the drain ended without them stopping.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_orphaned: Vec<OrphanedDrainingTasks>,
    /// For a drain that did not complete: each task still on the instance, and why.
    pub holding: Vec<String>,
}

/// One service's tasks orphaned with a draining instance beside its last task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrphanedDrainingTasks {
    /// The service (null for standalone tasks, which a drain does not stop).
    pub service_name: Option<String>,
    /// How many.
    pub tasks: u32,
    /// How many of them their service had not told to stop (its floor, or a deadlock of its
    /// bounds, held them): they were RUNNING, or starting, when the instance went.
    pub never_told_to_stop: u32,
}

/// An instance that went away (INACTIVE) with tasks on it and no drain: EC2 took a Spot Instance
/// without its interruption notice draining it, an Auto Scaling group terminated it without
/// managed draining or a lifecycle hook, or DeregisterContainerInstance with `force`. ECS orphaned
/// its tasks: they were never told to stop, and their services counted them gone at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GoneUndrained {
    /// The instance.
    pub name: String,
    /// When it went INACTIVE, and what did it (null for an instance whose EC2 instance was
    /// terminated but which is still registered, its agent disconnected).
    pub deregistered: Option<Deregistration>,
    /// The Auto Scaling group that terminated it, if one did.
    pub terminated_by: Option<TerminatedBy>,
    /// The Spot signals EC2 gave it, in order (absent for an instance that had none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spot_signals: Vec<SpotSignalAt>,
    /// How many of its tasks ECS orphaned with it.
    pub orphaned_tasks: u32,
    /// Those tasks by service, in the services' creation order; standalone tasks last.
    pub orphaned_by_service: Vec<OrphanedTasks>,
}

/// A count of one service's tasks orphaned with an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrphanedTasks {
    /// The service (null for standalone tasks: RunTask or StartTask, which no scheduler replaces).
    pub service_name: Option<String>,
    /// How many.
    pub tasks: u32,
}

/// An Auto Scaling group's termination of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminatedBy {
    /// The group.
    pub auto_scaling_group_name: String,
    /// When it began to terminate the instance.
    pub at_ms: u64,
    /// Why, in words (`Capacity Rebalancing, on its rebalance recommendation`).
    pub cause: String,
    /// How the termination went on in ECS, in words (`ECS managed draining drained it`).
    pub path: String,
    /// How the lifecycle hook's wait that held it ended (null when it was terminated at once, or
    /// still waited at the end of the run).
    pub wait_ended: Option<WaitEnded>,
}

/// How the lifecycle hook's wait of an instance in `Terminating:Wait` ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitEnded {
    /// When the wait ended and the group terminated the instance.
    pub at_ms: u64,
    /// Whether its drain was complete then (false for an instance nothing drained).
    pub drain_completed: bool,
    /// The hook whose timeout ended the wait, or that timed out before the drain ended it (null
    /// when the drain's completion ended every hook in time).
    pub timed_out: Option<HookTimedOut>,
    /// The group's own hook, when it timed out first with `DefaultResult` CONTINUE and handed the
    /// wait to ECS managed draining's hook (`timedOut`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handed_over: Option<HookTimedOut>,
}

/// A lifecycle hook that timed out while it held an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HookTimedOut {
    /// The hook: `lifecycle hook drain` (the group's own, by its `LifecycleHookName`) or `ECS
    /// managed draining's lifecycle hook`.
    pub hook: String,
    /// When it timed out.
    pub at_ms: u64,
    /// Why then, in words (`HeartbeatTimeout 600 s passed without a heartbeat; DefaultResult
    /// CONTINUE`).
    pub why: String,
}

/// A Spot signal EC2 gave an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SpotSignalAt {
    /// When.
    pub at_ms: u64,
    /// Which: `rebalance recommendation` or `interruption notice`.
    pub signal: String,
}

/// When and how an instance was deregistered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deregistration {
    /// When it went INACTIVE.
    pub at_ms: u64,
    /// What did it, as the trace records it.
    pub by: String,
}

/// What held a service back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceExplanation {
    /// The service.
    pub name: String,
    /// Its bounds and extremes, in words.
    pub summary: String,
    /// Each finding (stalls with every unmet requirement, floor breaches, agent waits, how long the
    /// floor held its tasks on draining instances).
    pub findings: Vec<String>,
    /// Worth a look first ([`crate::outcome::service_is_notable`]): the text lists such services
    /// first when it cannot list them all. Not in the JSON, which lists every service.
    #[serde(skip)]
    pub notable: bool,
}

/// The explanation of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// The run's headline in one sentence.
    pub headline: String,
    /// From the first drain's start until every drain was complete: null when a drain never
    /// completed, and also when nothing counts as drained (none started, every one cancelled).
    pub total_drain_ms: Option<u64>,
    /// Each drained instance, in registration order.
    pub instances: Vec<InstanceExplanation>,
    /// Each instance that went away with tasks on it and no drain, in registration order (absent
    /// when none did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gone_undrained: Vec<GoneUndrained>,
    /// Each service, in creation order.
    pub services: Vec<ServiceExplanation>,
    /// Each capacity provider with managed scaling: what its group did, in words (absent without
    /// one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_scaling: Vec<ScalingExplanation>,
    /// Each instance refresh, in words: how it ended, and why when it did not succeed (absent
    /// without one).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance_refreshes: Vec<String>,
    /// The instances `drainsim explain --instance` asked for that were neither drained nor gone
    /// with tasks: nothing to explain (absent when none; [`explain`] leaves it empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_drained: Vec<String>,
}

/// How an instance refresh ended, in words: its status, how far it got and how long it took, and
/// the reason Auto Scaling gives when it did not succeed.
fn explain_refresh(r: &crate::outcome::InstanceRefreshOutcome) -> String {
    let took = match r.duration_ms() {
        Some(ms) => format!("after {}", crate::timeline::duration_text(ms)),
        None => "when the run ended".to_string(),
    };
    let mut text = format!(
        "{}: instance refresh {} {} at {}% {took} (started {})",
        r.auto_scaling_group_name,
        r.instance_refresh_id,
        r.status,
        r.percentage_complete,
        when(r.start_time_ms)
    );
    if r.instances_to_update > 0 {
        text.push_str(&format!("; {} instance(s) still to update", r.instances_to_update));
    }
    if let Some(reason) = &r.status_reason {
        text.push_str(&format!(": {reason}"));
    }
    text
}

/// What a capacity provider's managed scaling did to its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingExplanation {
    /// The capacity provider.
    pub capacity_provider_name: String,
    /// Its bounds and activity, in words.
    pub summary: String,
    /// Each change of the group's desired capacity, and, when tasks were still waiting at the end,
    /// why the group did not grow for them.
    pub findings: Vec<String>,
}

/// The most desired-capacity changes an explanation lists per capacity provider.
const SCALING_CHANGES_LISTED: usize = 10;

/// What a capacity provider's managed scaling did, from its record.
fn explain_scaling(m: &crate::outcome::ManagedScalingOutcome) -> ScalingExplanation {
    let pct = |h: u64| format!("{}.{:02}%", h / 100, h % 100);
    let summary = format!(
        "group {} (MinSize {}, MaxSize {}), targetCapacity {}%: {} scale-out(s), {} scale-in(s); {} instance(s) launched, {} terminated",
        m.auto_scaling_group_name,
        m.min_size,
        m.max_size,
        m.target_capacity,
        m.scale_outs,
        m.scale_ins,
        m.instances_launched,
        m.instances_terminated
    );
    let mut findings = Vec::new();
    let mut desired = m.initial_desired_capacity;
    let mut changes = 0usize;
    for p in &m.samples {
        // A change between datapoints (TerminateInstanceInAutoScalingGroup with a decrement,
        // SetDesiredCapacity, …) is not managed scaling's: say so, and judge the datapoint by its
        // own change only.
        if desired != p.desired_capacity_before {
            changes += 1;
            if changes <= SCALING_CHANGES_LISTED {
                findings.push(format!(
                    "by {} desired capacity {desired} -> {}: set between datapoints by a step or request, not managed scaling",
                    when(p.at_ms),
                    p.desired_capacity_before
                ));
            }
        }
        let before = p.desired_capacity_before;
        if before != p.desired_capacity {
            changes += 1;
            if changes <= SCALING_CHANGES_LISTED {
                let why = if p.desired_capacity > before {
                    if p.tasks_provisioning > 0 {
                        format!("{} task(s) waited PROVISIONING", p.tasks_provisioning)
                    } else {
                        "the instances in use were above the target".to_string()
                    }
                } else {
                    "15 datapoints in a row below the target".to_string()
                };
                findings.push(format!(
                    "at {} desired capacity {before} -> {}: CapacityProviderReservation {} (M {} / N {}); {why}",
                    when(p.at_ms),
                    p.desired_capacity,
                    pct(p.capacity_provider_reservation_hundredths),
                    p.instances_needed,
                    p.instances_running
                ));
            }
        }
        desired = p.desired_capacity;
    }
    if changes > SCALING_CHANGES_LISTED {
        findings.push(format!(
            "… and {} more changes (the report's managedScaling has every datapoint)",
            changes - SCALING_CHANGES_LISTED
        ));
    }
    if let Some(last) = m.samples.last().filter(|p| p.tasks_provisioning > 0) {
        let why = if last.desired_capacity >= m.max_size {
            format!("the group is at its MaxSize of {}", m.max_size)
        } else {
            "the run ended first".to_string()
        };
        findings.push(format!(
            "{} task(s) still waited PROVISIONING at the last datapoint ({}): {why}",
            last.tasks_provisioning,
            when(last.at_ms)
        ));
    }
    if let Some(e) = &m.error {
        findings.push(format!("a request of the group was refused: {e}"));
    }
    ScalingExplanation { capacity_provider_name: m.capacity_provider_name.clone(), summary, findings }
}

/// What the explanation reads of a run's task records, gathered as they stream by
/// ([`run_explained`]) so that the trace itself is never kept: when each task entered each status
/// of its stop (a fixed record per task, by task index, no list), and when each service's tasks
/// became healthy. A task's status only moves forward (`TaskStatus::TRANSITIONS`), so it enters
/// each status at most once, and the statuses it entered, in lifecycle order, are its status
/// records in order. When it was told to stop is its `stoppingAt`, which the engine keeps.
#[derive(Debug, Default)]
pub struct TaskHistory {
    by_task: Vec<StopMoments>,
    /// The stop moments 49.7 days or more after their task's creation (an offset of 32 bits does
    /// not reach them), by task and place in [`STOP_STATUSES`].
    far_ms: BTreeMap<(TaskId, usize), u64>,
    healthy_at: BTreeMap<ServiceId, Vec<u64>>,
    /// Each service's tasks that failed their health checks: how many, the first and the last
    /// time (a broken image fails a task a minute for as long as a run lasts: no list of them).
    unhealthy_at: BTreeMap<ServiceId, HealthFailures>,
    /// The tasks orphaned (a forced deregistration, EC2 terminating the instance), with when and
    /// the record's reason: a drain such a task held ended when it was orphaned, not stopped.
    orphaned: BTreeMap<TaskId, (u64, &'static str)>,
    /// Each instance's agent outages, `(disconnected at, reconnected at)`, keyed by reconnection
    /// (an outage not over has none and is not listed): a task waits for its agent to start, to
    /// get SIGTERM and to report its containers stopped.
    agent_outages: BTreeMap<(InstanceId, u64), u64>,
    /// Instances whose agent is disconnected, since when.
    agent_away: BTreeMap<InstanceId, u64>,
    /// What last set each instance DRAINING (the record's reason).
    drain_cause: BTreeMap<InstanceId, &'static str>,
    /// When each instance was last set ACTIVE again after DRAINING (a cancelled drain): tasks
    /// orphaned with it after that were not on a draining instance.
    reactivated_at: BTreeMap<InstanceId, u64>,
    /// When each deregistered instance went INACTIVE, and what did it.
    deregistered: BTreeMap<InstanceId, (u64, &'static str)>,
    /// What set each instance DEREGISTERING (a trunked instance goes INACTIVE only when its trunk
    /// is deleted: the record of that says `trunk deleted`, not what deregistered it).
    deregistering_cause: BTreeMap<InstanceId, &'static str>,
    /// The Spot signals EC2 gave each instance that had one, in order: when, and which.
    spot_signals: BTreeMap<InstanceId, Vec<(u64, drainsim_core::SpotSignal)>>,
}

/// A service's tasks that failed their health checks ([`TaskHistory`]).
#[derive(Debug, Clone, Copy)]
struct HealthFailures {
    count: u64,
    first_ms: u64,
    last_ms: u64,
}

/// The statuses of a task's stop, in lifecycle order: the stretches of a drain's critical path
/// (DEACTIVATING, STOPPING, DEPROVISIONING) and where the last of them ends (STOPPED). Every
/// status after RUNNING is one of them.
const STOP_STATUSES: [TaskStatus; 4] =
    [TaskStatus::Deactivating, TaskStatus::Stopping, TaskStatus::Deprovisioning, TaskStatus::Stopped];

/// When a task entered each of [`STOP_STATUSES`], in milliseconds after its creation:
/// [`NOT_ENTERED`] if it did not, [`FAR`] if the moment is in `TaskHistory::far_ms`. 16 bytes a
/// task, where the time of every status and of the stop order took 80.
#[derive(Debug, Clone, Copy)]
struct StopMoments {
    offsets_ms: [u32; STOP_STATUSES.len()],
}

/// The task did not enter the status.
const NOT_ENTERED: u32 = u32::MAX;
/// The moment is too far after the task's creation for an offset: it is in `TaskHistory::far_ms`.
const FAR: u32 = u32::MAX - 1;

impl Default for StopMoments {
    fn default() -> Self {
        StopMoments { offsets_ms: [NOT_ENTERED; STOP_STATUSES.len()] }
    }
}

impl TaskHistory {
    /// Notes the task records among `records` (a batch of the trace, in order; `e` is the engine
    /// that recorded them, for a task's creation and service).
    pub fn note(&mut self, e: &Engine, records: &[TraceRecord]) {
        for r in records {
            if let (Subject::Instance(i), Change::InstanceStatus { to, .. }) = (r.subject, r.change) {
                match to {
                    InstanceStatus::Draining => {
                        self.drain_cause.insert(i, r.reason);
                    }
                    InstanceStatus::Active
                        if matches!(r.change, Change::InstanceStatus { from: Some(InstanceStatus::Draining), .. }) =>
                    {
                        self.reactivated_at.insert(i, r.time_ms);
                    }
                    InstanceStatus::Deregistering => {
                        self.deregistering_cause.insert(i, r.reason);
                    }
                    InstanceStatus::Inactive => {
                        let by = self.deregistering_cause.remove(&i).unwrap_or(r.reason);
                        self.deregistered.insert(i, (r.time_ms, by));
                    }
                    _ => {}
                }
            }
            let signal = match r.change {
                Change::SpotRebalanceRecommendation => Some(drainsim_core::SpotSignal::RebalanceRecommendation),
                Change::SpotInterruptionNotice => Some(drainsim_core::SpotSignal::InterruptionNotice),
                _ => None,
            };
            if let (Subject::Instance(i), Some(signal)) = (r.subject, signal) {
                self.spot_signals.entry(i).or_default().push((r.time_ms, signal));
            }
            if let (Subject::Instance(i), Change::AgentConnected(connected)) = (r.subject, r.change) {
                if !connected {
                    self.agent_away.insert(i, r.time_ms);
                } else if let Some(since) = self.agent_away.remove(&i) {
                    self.agent_outages.insert((i, r.time_ms), since);
                }
            }
            let Subject::Task(t) = r.subject else { continue };
            match r.change {
                Change::TaskStatus { to, .. } => {
                    let Some(k) = STOP_STATUSES.iter().position(|s| *s == to) else { continue };
                    let after_creation =
                        r.time_ms.checked_sub(e.task(t).created_at_ms()).expect("a task's statuses follow its creation");
                    let offset = u32::try_from(after_creation).ok().filter(|o| *o < FAR);
                    let m = self.moments_mut(t);
                    debug_assert_eq!(m.offsets_ms[k], NOT_ENTERED, "a task enters {} once", to.as_str());
                    m.offsets_ms[k] = offset.unwrap_or(FAR);
                    if offset.is_none() {
                        self.far_ms.insert((t, k), r.time_ms);
                    }
                }
                Change::TaskHealthy { .. } => {
                    if let Some(s) = e.task(t).service() {
                        self.healthy_at.entry(s.id()).or_default().push(r.time_ms);
                    }
                }
                Change::TaskUnhealthy { .. } => {
                    if let Some(s) = e.task(t).service() {
                        let f = self.unhealthy_at.entry(s.id()).or_insert(HealthFailures {
                            count: 0,
                            first_ms: r.time_ms,
                            last_ms: 0,
                        });
                        f.count += 1;
                        f.last_ms = r.time_ms;
                    }
                }
                Change::TaskOrphaned => {
                    self.orphaned.insert(t, (r.time_ms, r.reason));
                }
                _ => {}
            }
        }
    }

    /// When the agent of `instance` disconnected, if it reconnected at `at_ms`.
    fn outage_ending_at(&self, instance: InstanceId, at_ms: u64) -> Option<u64> {
        self.agent_outages.get(&(instance, at_ms)).copied()
    }

    fn moments_mut(&mut self, t: TaskId) -> &mut StopMoments {
        let i = t.index();
        if self.by_task.len() <= i {
            // Tasks are numbered as they are created, so this grows by one at a time: by a
            // quarter, not doubling, for a table of every task of a big run.
            if self.by_task.capacity() <= i {
                self.by_task.reserve_exact((i + 1 - self.by_task.len()).max(self.by_task.len() / 4).max(64));
            }
            self.by_task.resize(i + 1, StopMoments::default());
        }
        &mut self.by_task[i]
    }

    /// The statuses of its stop task `t` (created at `created_ms`) entered, with when, in order.
    fn stop_statuses(&self, t: TaskId, created_ms: u64) -> impl Iterator<Item = (u64, TaskStatus)> + '_ {
        let m = self.by_task.get(t.index()).copied().unwrap_or_default();
        STOP_STATUSES.into_iter().enumerate().filter_map(move |(k, status)| match m.offsets_ms[k] {
            NOT_ENTERED => None,
            FAR => Some((self.far_ms[&(t, k)], status)),
            offset => Some((created_ms + u64::from(offset), status)),
        })
    }
}

/// Task ids grouped by the index of an instance or a service: each group's tasks in task order,
/// one array for them all (a map of vectors took twice as much for a big run).
struct Grouped {
    /// Where each group's tasks begin in `tasks` (one more entry than groups).
    starts: Vec<u32>,
    tasks: Vec<TaskId>,
}

impl Grouped {
    /// Groups the pairs (group index, task) that `members` lists, in the order it lists them
    /// (it is called twice: to count, then to place).
    fn of<I: Iterator<Item = (usize, TaskId)>>(members: impl Fn() -> I) -> Grouped {
        let groups = members().map(|(g, _)| g + 1).max().unwrap_or(0);
        let mut starts = vec![0u32; groups + 1];
        for (g, _) in members() {
            starts[g + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut next: Vec<u32> = starts[..groups].to_vec();
        let mut tasks = vec![TaskId(0); starts[groups] as usize];
        for (g, t) in members() {
            tasks[next[g] as usize] = t;
            next[g] += 1;
        }
        Grouped { starts, tasks }
    }

    /// The tasks of group `g` (none for a group past the last).
    fn get(&self, g: usize) -> &[TaskId] {
        match (self.starts.get(g), g.checked_add(1).and_then(|next| self.starts.get(next))) {
            (Some(a), Some(b)) => &self.tasks[*a as usize..*b as usize],
            _ => &[],
        }
    }
}

/// What the explanation reads, gathered in one pass over the records and one over the tasks, so
/// explaining a 20,000-instance run stays linear.
struct Index {
    records: TaskHistory,
    /// Every task ever placed on each instance, by instance index.
    by_instance: Grouped,
    /// Every task of each service, by service index.
    by_service: Grouped,
    /// When each service's tasks became healthy, in time order.
    healthy_at: BTreeMap<ServiceId, Vec<u64>>,
    /// Per service: when it told each of its tasks on a draining instance to stop, and the
    /// instance, in time order (what `stopped_elsewhere_meanwhile` reads a window of).
    stops_on_draining: BTreeMap<ServiceId, Vec<(u64, InstanceId)>>,
    /// Per capacity provider with managed scaling: its group's instance refreshes (the group, when
    /// each started and ended), during which managed scaling leaves the group alone.
    refreshes_by_provider: BTreeMap<String, Vec<(String, u64, Option<u64>)>>,
    /// Per REPLICA service whose series was not cut: when each of its tasks was placed that had to
    /// wait for room under `maximumPercent`, in time order ([`ceiling_bound_starts`]).
    ceiling_bound_starts: BTreeMap<ServiceId, Vec<u64>>,
}

/// When the service's tasks were placed that waited for room under its ceiling: at the end of the
/// last instant before a task's placement the service's tasks not STOPPED were at the ceiling
/// (floor(desiredCount × maximumPercent / 100) then), the ceiling did not rise at the placement,
/// and a task of the service STOPPED in that instant, or was orphaned with its instance (it counts
/// no more): the stop made the room it started in. What paces a drain whose `maximumPercent` leaves
/// little room above `desiredCount`: replacements start in batches, one batch per round of stops.
/// In time order; `None` for a DAEMON service (no ceiling holds its tasks) and when the service's
/// series was cut (the instants past the cut are not known).
fn ceiling_bound_starts(e: &Engine, by_service: &Grouped, records: &TaskHistory, s: &ServiceView) -> Option<Vec<u64>> {
    if s.series_truncated() || s.scheduling_strategy() == SchedulingStrategy::Daemon {
        return None;
    }
    let points: Vec<drainsim_core::SeriesPoint> = s.series().collect();
    let tasks = by_service.get(s.id().index());
    // The instants its tasks STOPPED, or were orphaned, at: the room a stop made.
    let mut stopped_at: Vec<u64> = tasks.iter().filter_map(|t| gone_at_ms(records, &e.task(*t))).collect();
    stopped_at.sort_unstable();
    let mut starts: Vec<u64> = tasks
        .iter()
        .map(|t| e.task(*t).created_at_ms())
        .filter(|placed| {
            let before = points.partition_point(|p| p.at_ms < *placed);
            let Some(prev) = before.checked_sub(1).map(|i| &points[i]) else { return false };
            let ceiling_before = s.settings_at(prev.at_ms).task_ceiling();
            // At the ceiling just before; not placed because the ceiling rose (a scale-up, a
            // higher maximumPercent), but because a task STOPPED in the same instant.
            prev.not_stopped >= ceiling_before
                && s.settings_at(*placed).task_ceiling() <= ceiling_before
                && stopped_at.binary_search(placed).is_ok()
        })
        .collect();
    starts.sort_unstable();
    Some(starts)
}

/// How many of the service's tasks placed in `from_ms < placed ≤ to_ms` had waited for room
/// under its ceiling ([`ceiling_bound_starts`]); 0 when that is not known.
fn started_at_the_ceiling(ix: &Index, s: &ServiceView, (from_ms, to_ms): (u64, u64)) -> usize {
    ix.ceiling_bound_starts
        .get(&s.id())
        .map_or(0, |starts| starts.partition_point(|at| *at <= to_ms) - starts.partition_point(|at| *at <= from_ms))
}

/// `; its ceiling paced the replacements: …` when some of the service's tasks placed in the
/// window had waited for room under its ceiling (empty otherwise): the ceiling and what made it.
fn ceiling_pace_text(ix: &Index, s: &ServiceView, (from_ms, to_ms): (u64, u64)) -> String {
    let n = started_at_the_ceiling(ix, s, (from_ms, to_ms));
    if n == 0 {
        return String::new();
    }
    format!(
        "; and its ceiling paced the replacements: {n} of them started only as tasks stopped made room under it ({})",
        ceilings_text(ix, s, (from_ms, to_ms))
    )
}

/// The ceilings the service's starts in `from_ms < placed ≤ to_ms` that waited for room under it
/// ([`ceiling_bound_starts`]) were held by, each as it was when such a start was placed
/// (`4 tasks not STOPPED: maximumPercent 100 of 4 desired`), in time order, joined by `, then`
/// when an UpdateService changed it between them; not the ceiling at the window's end, which a
/// later UpdateService may have changed.
fn ceilings_text(ix: &Index, s: &ServiceView, (from_ms, to_ms): (u64, u64)) -> String {
    let starts = ix.ceiling_bound_starts.get(&s.id()).map_or(&[][..], Vec::as_slice);
    let in_window = &starts[starts.partition_point(|at| *at <= from_ms)..starts.partition_point(|at| *at <= to_ms)];
    let mut seen: Vec<(u32, u32, u32)> = Vec::new();
    for at in in_window {
        let then = s.settings_at(*at);
        let ceiling = (then.task_ceiling(), then.maximum_percent, then.desired_count);
        if seen.last() != Some(&ceiling) {
            seen.push(ceiling);
        }
    }
    let texts: Vec<String> = seen
        .iter()
        .map(|(ceiling, max, desired)| {
            format!("{} not STOPPED: maximumPercent {max} of {desired} desired", tasks_text(*ceiling, "task"))
        })
        .collect();
    texts.join(", then ")
}

/// When a task stopped counting toward its service's ceiling: STOPPED, or orphaned with its
/// instance (it counts no more); None while it still counts.
fn gone_at_ms(records: &TaskHistory, t: &TaskView) -> Option<u64> {
    t.stopped_at_ms().or_else(|| records.orphaned.get(&t.id()).map(|(at, _)| *at))
}

/// When a service's `told` tasks on draining instances were all told to stop at once (the first
/// at `first_told_ms`, the last gone at `last_gone_ms`) and some of its tasks placed in between
/// had waited for room under its ceiling ([`ceiling_bound_starts`]): their replacements, counted
/// at most one a drained task (a start in the window may have replaced another task). A task
/// told to stop counts toward `maximumPercent` until
/// it is STOPPED — DEACTIVATING first for its load balancer's deregistration delay — so the
/// replacements wait for the drained tasks to be gone, or for the instance to go
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service_definition_parameters.html#sd-deploymentconfiguration>).
/// None when no start waited.
fn ceiling_held_text(ix: &Index, s: &ServiceView, told: usize, (first_told_ms, last_gone_ms): (u64, u64)) -> Option<String> {
    // At most one a drained task: the window may hold starts that replaced other tasks too (a
    // StopTask's, a failed health check's), paced alike.
    let n = started_at_the_ceiling(ix, s, (first_told_ms, last_gone_ms)).min(told);
    if n == 0 {
        return None;
    }
    let first_ms = *ix.ceiling_bound_starts.get(&s.id())?.iter().find(|at| **at > first_told_ms)?;
    // A delay of 0 (or no load balancer) took no time: the wait was the stop itself (STOPPING, up
    // to its stop timeout).
    let delay = match s.deregistration_delay_ms() {
        Some(d) if d > 0 => {
            format!(" (DEACTIVATING first, for its load balancer's deregistration delay of {})", duration_text(d))
        }
        _ => " (through STOPPING, up to its containers' stop timeout)".to_string(),
    };
    Some(format!(
        "its {} on draining instances {} told to stop at once, but {n} of its tasks placed meanwhile waited for room under its ceiling ({}), the first until {}, {} after the first was told: a task told to stop counts toward the ceiling until it is STOPPED{delay}",
        tasks_text(told as u32, "task"),
        if told == 1 { "was" } else { "were" },
        ceilings_text(ix, s, (first_told_ms, last_gone_ms)),
        when(first_ms),
        duration_text(first_ms - first_told_ms),
    ))
}

impl Index {
    fn of(e: &Engine, mut records: TaskHistory, outcome: &RunOutcome) -> Index {
        let mut refreshes_by_provider: BTreeMap<String, Vec<(String, u64, Option<u64>)>> = BTreeMap::new();
        for m in &outcome.managed_scaling {
            let windows = outcome.instance_refreshes.iter().filter(|r| r.auto_scaling_group_name == m.auto_scaling_group_name);
            let windows: Vec<_> = windows.map(|r| (r.auto_scaling_group_name.clone(), r.start_time_ms, r.end_time_ms)).collect();
            if !windows.is_empty() {
                refreshes_by_provider.insert(m.capacity_provider_name.clone(), windows);
            }
        }
        let by_instance = Grouped::of(|| e.tasks().map(|t| (t.instance().id().index(), t.id())));
        let by_service = Grouped::of(|| e.tasks().filter_map(|t| Some((t.service()?.id().index(), t.id()))));
        let mut healthy_at = std::mem::take(&mut records.healthy_at);
        for times in healthy_at.values_mut() {
            times.sort_unstable();
        }
        let mut stops_on_draining: BTreeMap<ServiceId, Vec<(u64, InstanceId)>> = BTreeMap::new();
        for t in e.tasks() {
            let (Some(s), Some(told)) = (t.service(), t.stopping_at_ms()) else { continue };
            let instance = t.instance();
            if instance.drain().started_at_ms().is_some_and(|d| d <= told) {
                stops_on_draining.entry(s.id()).or_default().push((told, instance.id()));
            }
        }
        for stops in stops_on_draining.values_mut() {
            stops.sort_unstable();
        }
        let ceiling_bound_starts =
            e.services().filter_map(|s| Some((s.id(), ceiling_bound_starts(e, &by_service, &records, &s)?))).collect();
        Index { records, by_instance, by_service, healthy_at, stops_on_draining, refreshes_by_provider, ceiling_bound_starts }
    }
}

fn task_label(t: &TaskView) -> String {
    let id = t.arn().rsplit('/').next().unwrap_or_default().chars().take(8).collect::<String>();
    match t.service() {
        Some(s) => format!("{}:task/{id}", s.name()),
        None => format!("standalone:task/{id}"),
    }
}

/// A count with its noun: `1 healthy task`, `2 healthy tasks`.
fn tasks_text(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn when(ms: u64) -> String {
    drainsim_core::time::format_sim_time(ms)
}

/// Whether the service's deepest dip below its floor was within a floor breach of cause
/// `preExistingDeficit` (the service was already short, e.g. its first tasks were still starting
/// when its cluster's first drain began), not one a drain or a fault caused: the headline says so
/// beside the dip.
fn already_short(s: &ServiceView) -> bool {
    let Some(d) = s.deepest_dip_below_floor() else { return false };
    s.floor_breaches().iter().any(|b| {
        b.reason == drainsim_core::BreachCause::PreExistingDeficit
            && b.started_at_ms <= d.at_ms
            && b.ended_at_ms.is_none_or(|end| d.at_ms <= end)
    })
}

/// The deepest dip of a service below its floor: (healthy, floor then).
fn dip(s: &ServiceView) -> Option<(u32, u32)> {
    s.deepest_dip_below_floor().map(|d| (d.healthy, d.floor))
}

/// For a DAEMON's task told to stop at `told_ms`: the last task of another service (or a
/// standalone one) on the instance to end (stop, or be orphaned) between the drain's start
/// `from_ms` and then, whose end let the daemon's task stop (None for any other task, or when no
/// such task ended in the drain).
fn last_other_task_before_daemon<'e>(
    t: &TaskView,
    ix: &Index,
    instance: &InstanceView,
    e: &'e Engine,
    from_ms: u64,
    told_ms: u64,
) -> Option<TaskView<'e>> {
    let is_daemon = |v: &TaskView| v.service().is_some_and(|s| s.scheduling_strategy() == SchedulingStrategy::Daemon);
    if !is_daemon(t) {
        return None;
    }
    ix.by_instance
        .get(instance.id().index())
        .iter()
        .map(|id| e.task(*id))
        .filter(|o| !is_daemon(o))
        .filter_map(|o| {
            let ended = o.stopped_at_ms().or_else(|| ix.records.orphaned.get(&o.id()).map(|(at, _)| *at))?;
            (ended >= from_ms && ended <= told_ms).then_some((ended, o.id(), o))
        })
        .max_by_key(|(ended, id, _)| (*ended, *id))
        .map(|(_, _, o)| o)
}

/// Whether task `t` was orphaned with its instance while the instance was draining, from the
/// drain that began at `drain_started_ms`: not before it, and not after the drain was cancelled
/// (the instance set ACTIVE again).
fn orphaned_while_draining(ix: &Index, t: &TaskView, drain_started_ms: u64) -> bool {
    let Some((at, _)) = ix.records.orphaned.get(&t.id()) else { return false };
    let reactivated = ix.records.reactivated_at.get(&t.instance().id());
    *at >= drain_started_ms && reactivated.is_none_or(|r| *r < drain_started_ms || *r > *at)
}

/// The tasks of `instance` beside `last` that were orphaned with it during its drain from
/// `drain_started_ms`, not STOPPED (the instance went away with them), by service in creation
/// order, standalone tasks last.
fn also_orphaned(
    e: &Engine,
    ix: &Index,
    instance: &InstanceView,
    last: Option<TaskId>,
    drain_started_ms: u64,
) -> Vec<OrphanedDrainingTasks> {
    let mut by_service: BTreeMap<(bool, usize), OrphanedDrainingTasks> = BTreeMap::new();
    for t in ix.by_instance.get(instance.id().index()).iter().map(|id| e.task(*id)) {
        if Some(t.id()) == last || t.stopped_at_ms().is_some() || !orphaned_while_draining(ix, &t, drain_started_ms) {
            continue;
        }
        let service = t.service();
        let key = (service.is_none(), service.as_ref().map_or(0, |s| s.id().index()));
        let entry = by_service.entry(key).or_insert_with(|| OrphanedDrainingTasks {
            service_name: service.map(|s| s.name().to_string()),
            tasks: 0,
            never_told_to_stop: 0,
        });
        entry.tasks += 1;
        if t.stopping_at_ms().is_none() && t.service().is_some() {
            entry.never_told_to_stop += 1;
        }
    }
    by_service.into_values().collect()
}

/// `was orphaned with its instance before being told to stop` (`were … their instances` for
/// several): what happened to a service's `n` tasks on draining instances that went away first.
fn orphaned_before_told(n: u32) -> String {
    match n {
        1 => "was orphaned with its instance before being told to stop".to_string(),
        _ => "were orphaned with their instances before being told to stop".to_string(),
    }
}

/// Whether an UpdateService lowered the service's floor (its desiredCount or
/// minimumHealthyPercent) in the instant `at_ms`, `at_ms` > 0: what released a task told to stop
/// then, rather than replacements turning healthy.
fn floor_lowered_at(s: &ServiceView, at_ms: u64) -> bool {
    s.settings_at(at_ms).healthy_floor() < s.settings_at(at_ms - 1).healthy_floor()
}

/// Whether the scheduler stopped a task because its service was deleted: its stop code and reason
/// both (a user's StopTask may give any reason, "Service deleted" too).
fn stopped_by_deletion(t: &TaskView) -> bool {
    t.stop_code() == Some("ServiceSchedulerInitiated")
        && t.stopped_reason() == Some(drainsim_core::SERVICE_DELETED_STOPPED_REASON)
}

/// Why a task was told to stop only at `told_ms`, `started_ms` after its instance's drain began.
fn wait_reason(ix: &Index, t: &TaskView, instance: &InstanceView, from_ms: u64, told_ms: u64) -> String {
    let Some(s) = t.service() else {
        return format!(
            "a standalone task: ECS does not stop it for a drain; it ran until {} ({})",
            match t.stop_code() {
                Some("UserInitiated") => "a StopTask",
                _ => "it stopped",
            },
            t.stopped_reason().unwrap_or("no reason")
        );
    };
    if s.scheduling_strategy() == SchedulingStrategy::Daemon {
        return format!("the {} daemon task stops after every other task on {}", s.name(), instance.name());
    }
    // A deployment-configuration deadlock that lasted until the task was told to stop held it, not
    // the floor: no replacement started, and the UpdateService that ended it may have lowered the
    // floor (to 0, even), so "the floor held it" with the end-of-run floor would contradict itself.
    let deadlock_until = s
        .stalls()
        .iter()
        .filter(|x| x.reason.as_str() == "deploymentConfiguration")
        .filter(|x| x.started_at_ms < told_ms && x.ended_at_ms.is_none_or(|end| end >= told_ms))
        .map(|x| x.ended_at_ms)
        .next();
    if let Some(end) = deadlock_until {
        return format!(
            "{}'s minimumHealthyPercent and maximumPercent left no legal stop or start (deploymentConfiguration){}",
            s.name(),
            match end {
                Some(end) => format!(" until {}, when it was told to stop", when(end)),
                None => " to the end of the run".to_string(),
            }
        );
    }
    // Stopped by its service's deletion, not released by the drain: the floor held it until then
    // (a helper read "told to stop once enough replacements were healthy" of a task DeleteService
    // stopped while its replacements stalled). A scale-in stops only staying tasks, never one on a
    // DRAINING instance: a lower desiredCount releases one by lowering the floor (below).
    if stopped_by_deletion(t) {
        return format!(
            "{}'s floor held it until {}, when DeleteService stopped it (the service was deleted): no replacement \
             released it{}",
            s.name(),
            when(told_ms),
            stalls_meanwhile(ix, &s, (from_ms, told_ms))
        );
    }
    // Released by an UpdateService that lowered the floor in the instant it was told to stop (a
    // lower desiredCount or minimumHealthyPercent), not by replacements turning healthy.
    if told_ms > from_ms && floor_lowered_at(&s, told_ms) {
        let (before, then) = (s.settings_at(told_ms - 1), s.settings_at(told_ms));
        return format!(
            "{}'s floor held it until {}, when an UpdateService lowered the floor from {} to {} (desiredCount {} -> {}, \
             minimumHealthyPercent {} -> {}){}{}",
            s.name(),
            when(told_ms),
            tasks_text(before.healthy_floor(), "healthy task"),
            then.healthy_floor(),
            before.desired_count,
            then.desired_count,
            before.minimum_healthy_percent,
            then.minimum_healthy_percent,
            ceiling_pace_text(ix, &s, (from_ms, told_ms)),
            stalls_meanwhile(ix, &s, (from_ms, told_ms))
        );
    }
    // The floor's figures are those in force when the task was told to stop: an UpdateService
    // during the wait may have changed them since (the end of the run's are in the service's line).
    let mut why =
        format!("{}'s floor held it: it was told to stop once enough replacements were healthy to keep the floor", s.name());
    let healthy = ix.healthy_at.get(&s.id()).and_then(|times| {
        let upto = times.partition_point(|at| *at <= told_ms);
        times[..upto].last().copied().filter(|at| *at > from_ms)
    });
    if let Some(h) = healthy {
        why.push_str(&format!(", the last of them at {}", when(h)));
    }
    let then = s.settings_at(told_ms);
    why.push_str(&format!(
        " (the floor then: {}, minimumHealthyPercent {} of {} desired)",
        tasks_text(then.healthy_floor(), "healthy task"),
        then.minimum_healthy_percent,
        then.desired_count
    ));
    why.push_str(&ceiling_pace_text(ix, &s, (from_ms, told_ms)));
    why.push_str(&stalls_meanwhile(ix, &s, (from_ms, told_ms)));
    why
}

/// The service's stalls that overlapped `from_ms..to_ms`, as `; meanwhile web stalled on …`
/// (empty when none did): what kept its replacements from starting while a task waited.
fn stalls_meanwhile(ix: &Index, s: &ServiceView, (from_ms, to_ms): (u64, u64)) -> String {
    let stalls: Vec<String> = s
        .stalls()
        .iter()
        .enumerate()
        .filter(|(_, x)| x.started_at_ms < to_ms && x.ended_at_ms.is_none_or(|end| end > from_ms))
        .map(|(n, x)| stall_text(ix, s, n, x.reason.as_str(), x.started_at_ms, x.ended_at_ms))
        .collect();
    if stalls.is_empty() {
        return String::new();
    }
    format!("; meanwhile {}", stalls.join("; "))
}

/// What a placement requirement (`RESOURCE:MEMORY`, …) asks, in words (`memory`), as the object
/// of "lacked …" or "lack …" (every caller's sentence: "the closest instance lacked …", "the
/// instances it allows lack …").
pub fn requirement_words(reason: &str) -> &'static str {
    match reason {
        "RESOURCE:CPU" => "CPU",
        "RESOURCE:MEMORY" => "memory",
        "RESOURCE:GPU" => "a free GPU",
        "RESOURCE:PORTS" => "a free host port",
        "RESOURCE:ENI" => "a free task ENI",
        "AGENT" => "a connected agent",
        "CONSTRAINT:distinctInstance" => "a place free of the service's tasks (distinctInstance: one already runs there)",
        "CONSTRAINT:memberOf" => "the attributes its memberOf expressions ask for",
        "NO_INSTANCES" => "an ACTIVE instance to place on",
        "LOCATION" => "a place in the zone of one of its awsvpc subnets",
        _ => "an unknown requirement",
    }
}

fn stall_text(ix: &Index, s: &ServiceView, n: usize, reason: &str, from: u64, to: Option<u64>) -> String {
    let span = match to {
        Some(end) => format!("for {} from {} to {}", duration_text(end - from), when(from), when(end)),
        None => format!("from {} to the end of the run", when(from)),
    };
    let unmet = s.stall_unmet_requirements(n);
    let detail = if unmet.is_empty() {
        match reason {
            "deploymentConfiguration" => " (minimumHealthyPercent and maximumPercent left no legal stop or start)".to_string(),
            "TaskFailedToStart" => " (tasks failed to start; the scheduler backed off)".to_string(),
            _ => String::new(),
        }
    } else {
        // A memberOf requirement names the service's expressions.
        let member_of: Vec<String> = s.member_of_expressions().map(|e| format!("memberOf({e})")).collect();
        let subnet_zones = s.subnet_zones();
        let words: Vec<String> = unmet
            .iter()
            .map(|r| match r.as_str() {
                // The closest instance fails at least one of them, not necessarily each: name them as
                // a conjunction it does not satisfy, never as requirements it lacked one by one.
                "CONSTRAINT:memberOf" if member_of.len() == 1 => format!("what {} asks", member_of[0]),
                "CONSTRAINT:memberOf" if !member_of.is_empty() => {
                    format!("what one or more of {} asks (not necessarily each)", member_of.join(", "))
                }
                // An awsvpc task goes only to the zones of its subnets: name them.
                "LOCATION" if !subnet_zones.is_empty() => {
                    format!("a place in the zones of its awsvpc subnets ({})", subnet_zones.join(", "))
                }
                other => requirement_words(other).to_string(),
            })
            .collect();
        let codes: Vec<&str> = unmet.iter().map(|r| r.as_str()).collect();
        // A task of a capacity provider strategy is placed only on its provider's instances.
        let provider = s.stall_capacity_provider(n);
        match (codes.as_slice(), provider) {
            // No instance at all: there is no closest one.
            (["NO_INSTANCES"], None) => format!(": the cluster had no ACTIVE instance to place on ({})", codes.join(", ")),
            (["NO_INSTANCES"], Some(p)) => {
                format!(": capacity provider {p} had no ACTIVE instance to place on ({})", codes.join(", "))
            }
            (_, None) => format!(": the closest instance lacked {} ({})", words.join(" and "), codes.join(", ")),
            (_, Some(p)) => format!(
                ": the closest instance of capacity provider {p}, which its capacity provider strategy chose for the task, lacked {} ({})",
                words.join(" and "),
                codes.join(", ")
            ),
        }
    };
    if reason == "PROVISIONING" {
        // Tasks of a provider with managed scaling wait for the group to scale out: a wait, not a
        // failure, unless the group can grow no further.
        let provider = s.stall_capacity_provider(n).unwrap_or("its capacity provider");
        // While an instance refresh acts on the provider's group, managed scaling leaves the
        // group alone (docs/rollouts.md): the room came from the refresh's launches, not from a
        // scale-out.
        let refresh = ix.refreshes_by_provider.get(provider).and_then(|windows| {
            windows.iter().find(|(_, start, end)| *start <= to.unwrap_or(u64::MAX) && end.is_none_or(|end| end >= from))
        });
        if let Some((group, start, _)) = refresh {
            return format!(
                "{} waited with tasks PROVISIONING for capacity provider {provider} {span}, while Auto Scaling group {group}'s instance refresh (from {}) held managed scaling off (only the refresh's own launches added instances){detail}",
                s.name(),
                when(*start)
            );
        }
        return format!(
            "{} waited with tasks PROVISIONING for capacity provider {provider}'s managed scaling {span}{detail}",
            s.name()
        );
    }
    // Behind a memberOf or LOCATION stall, what the instances the constraints (and the awsvpc
    // subnets' zones) allow lacked.
    let allowed = s.stall_allowed_instances_lack(n);
    let (member_of, subnets) = (s.member_of_expressions().next().is_some(), !s.subnet_zones().is_empty());
    let whose = match (member_of, subnets) {
        (true, true) => "its memberOf expressions and its awsvpc subnets' zones allow",
        (false, true) => "in its awsvpc subnets' zones",
        _ => "its memberOf expressions allow",
    };
    let behind = if allowed.is_empty() {
        // Both kinds of test, and no placeable instance that passes both.
        let unmet = s.stall_unmet_requirements(n);
        let both = unmet.iter().any(|r| r.as_str() == "LOCATION") && unmet.iter().any(|r| r.as_str() == "CONSTRAINT:memberOf");
        if both && member_of && subnets {
            "; no placeable instance is both in its awsvpc subnets' zones and allowed by its memberOf expressions".to_string()
        } else {
            String::new()
        }
    } else {
        let words: Vec<&str> = allowed.iter().map(|r| requirement_words(r.as_str())).collect();
        let codes: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
        format!("; the closest instance {whose} lacked {} ({})", words.join(" and "), codes.join(", "))
    };
    format!("{} stalled on {reason} {span}{detail}{behind}", s.name())
}

/// `: waiting for X's agent, …` when a task told to stop is held by its instance's agent, away
/// since then and not back by the end of the run: the agent sends SIGTERM and reports the
/// containers stopped, so nothing else moves the task on (docs/ecs-choices.md, "Tasks on an
/// instance whose agent is disconnected"). Empty otherwise, and for a task in DEACTIVATING (its
/// load balancer's deregistration delay is ECS's, not the agent's).
fn agent_still_away(ix: &Index, instance: &InstanceView, t: &TaskView) -> String {
    // PROVISIONING and DEPROVISIONING (a task ENI attached or detached) and DEACTIVATING (the
    // load balancer's deregistration delay) are ECS's stages, not the agent's.
    let agents =
        matches!(t.last_status(), TaskStatus::Pending | TaskStatus::Activating | TaskStatus::Running | TaskStatus::Stopping);
    match ix.records.agent_away.get(&instance.id()) {
        Some(since) if agents => format!(
            ": waiting for {}'s agent, disconnected at {} and not back by the end of the run, to reconnect{}",
            instance.name(),
            when(*since),
            match t.last_status() {
                TaskStatus::Stopping => " and report the containers stopped",
                TaskStatus::Running | TaskStatus::Activating => " and send SIGTERM",
                _ => " and stop the task before it started",
            }
        ),
        _ => String::new(),
    }
}

/// A stretch of a task told to stop on an instance whose agent was away (docs/ecs-choices.md).
fn waiting_for_sigterm(instance: &InstanceView, away_ms: u64) -> String {
    format!("waiting for {}'s agent, disconnected at {}, to reconnect and send SIGTERM", instance.name(), when(away_ms))
}

/// The critical path of the task whose stop completed a drain.
fn critical_path(t: &TaskView, ix: &Index, instance: &InstanceView, e: &Engine, from_ms: u64) -> Vec<Stretch> {
    let mut path = Vec::new();
    // A task orphaned ended there, whatever it was doing.
    let orphaned = ix.records.orphaned.get(&t.id()).copied();
    let told = t.stopping_at_ms().filter(|told| orphaned.is_none_or(|(at, _)| *told < at));
    let mut cursor = from_ms;
    // Where the task's own stretches begin, after another task's it waited for (each labelled).
    let mut own_from = None;
    if let Some(told) = told.filter(|t| *t > from_ms) {
        // A DAEMON task is told to stop once every other task on the instance has stopped: what
        // held it is the path of the last of them, which a plan can change (its floor, its
        // deregistration delay, its stop timeout); its own wait says nothing more.
        if let Some(other) = last_other_task_before_daemon(t, ix, instance, e, from_ms, told) {
            let label = task_label(&other);
            let before = critical_path(&other, ix, instance, e, from_ms);
            path.extend(before.into_iter().map(|s| Stretch { why: format!("{label}: {}", s.why), ..s }));
            own_from = Some(path.len());
        }
        let covered = path.last().map_or(from_ms, |s: &Stretch| s.to_ms);
        if told > covered {
            path.push(Stretch { from_ms: covered, to_ms: told, why: wait_reason(ix, t, instance, from_ms, told) });
        }
        cursor = told;
    }
    let statuses: Vec<(u64, TaskStatus)> =
        ix.records.stop_statuses(t.id(), t.created_at_ms()).filter(|(at, _)| orphaned.is_none_or(|(o, _)| *at < o)).collect();
    for (k, (at, status)) in statuses.iter().enumerate() {
        let end = statuses.get(k + 1).map(|(next, _)| *next).or(orphaned.map(|(o, _)| o));
        // The last stage of a task orphaned while it stopped ends at the orphaning, not as the
        // stage would have ended: its stretch says so.
        let cut_by = orphaned.filter(|_| statuses.get(k + 1).is_none()).map(|(_, reason)| reason);
        let on_path = *at >= cursor || matches!(status, TaskStatus::Deactivating | TaskStatus::Stopping);
        let start = (*at).max(from_ms);
        // A stage that waited for the agent to come back ends at its reconnection: the wait is
        // its own stretch (docs/ecs-choices.md: tasks on an instance whose agent is disconnected).
        // A task told to stop while PENDING waited for the agent to stop it before it started.
        let covered = path.last().map_or(cursor, |s: &Stretch| s.to_ms);
        if on_path && start > covered {
            if let Some(away) = ix.records.outage_ending_at(instance.id(), start) {
                let why = match status {
                    TaskStatus::Stopped | TaskStatus::Deprovisioning => format!(
                        "waiting for {}'s agent, disconnected at {}, to reconnect and stop the task before it started (PENDING)",
                        instance.name(),
                        when(away)
                    ),
                    _ => waiting_for_sigterm(instance, away),
                };
                path.push(Stretch { from_ms: covered, to_ms: start, why });
            }
        }
        let (Some(end), true) = (end, on_path) else {
            continue;
        };
        // A stage that ended at the agent's reconnection waited for it from the disconnect (the
        // containers' report of STOPPING) or from the end of the delay (DEACTIVATING, which ECS
        // ends itself before the agent sends SIGTERM), whichever came later.
        let outage = ix.records.outage_ending_at(instance.id(), end).and_then(|away| {
            let nominal_end = match status {
                TaskStatus::Deactivating => t.service().and_then(|s| s.deregistration_delay_ms()).map(|d| start + d),
                _ => None,
            };
            Some(away.max(nominal_end.unwrap_or(away))).filter(|split| *split > start && *split < end).map(|split| (away, split))
        });
        let end_of_stage = outage.map_or(end, |(_, split)| split);
        let why = match status {
            // The delay of a target group, or a Classic Load Balancer's connection draining (jitter
            // leaves it as it is).
            TaskStatus::Deactivating => {
                let delay_ms = t.service().and_then(|s| s.deregistration_delay_ms());
                format!(
                    "DEACTIVATING: the load balancer's deregistration delay of {}",
                    delay_ms.map_or("?".into(), duration_text)
                )
            }
            TaskStatus::Stopping => match t.stopping_end() {
                StoppingEnd::Exits { after_sigterm_ms } => format!(
                    "STOPPING: its containers exit {} after SIGTERM{}",
                    duration_text(after_sigterm_ms),
                    // Jitter may lengthen the exit (never past the stop timeout) or shorten it; a
                    // stage an agent's outage split, or an orphaning cut, ended early for that.
                    match end_of_stage.saturating_sub(*at).cmp(&after_sigterm_ms) {
                        std::cmp::Ordering::Greater => ", lengthened by jitter",
                        std::cmp::Ordering::Less if outage.is_none() && cut_by.is_none() => ", shortened by jitter",
                        _ => "",
                    }
                ),
                StoppingEnd::KilledAtStopTimeout { stop_timeout_ms, agent_default: false, exit_assumed } => format!(
                    "STOPPING: {}, so it is killed at its stopTimeout of {}",
                    not_exiting(exit_assumed),
                    duration_text(stop_timeout_ms)
                ),
                StoppingEnd::KilledAtStopTimeout { stop_timeout_ms, agent_default: true, exit_assumed }
                    if !instance.honours_container_stop_timeout() =>
                {
                    format!(
                        "STOPPING: {}, so it is killed at the agent's stop timeout of {} \
                         (an agent older than 1.26.0 applies its ECS_CONTAINER_STOP_TIMEOUT, {}, to every container, \
                         whatever stopTimeout it gives)",
                        not_exiting(exit_assumed),
                        duration_text(stop_timeout_ms),
                        agent_stop_timeout_source(stop_timeout_ms)
                    )
                }
                StoppingEnd::KilledAtStopTimeout { stop_timeout_ms, agent_default: true, exit_assumed } => format!(
                    "STOPPING: {}, so it is killed at the agent's stop timeout of {} \
                     (it gives no stopTimeout; the agent's ECS_CONTAINER_STOP_TIMEOUT, {})",
                    not_exiting(exit_assumed),
                    duration_text(stop_timeout_ms),
                    agent_stop_timeout_source(stop_timeout_ms)
                ),
            },
            TaskStatus::Deprovisioning => "DEPROVISIONING: its task ENI is detached".to_string(),
            _ => continue,
        };
        let why = match cut_by {
            Some(reason) => {
                format!("{why}; still {} when {reason} orphaned it (the drain ended without it stopping)", status.as_str())
            }
            None => why,
        };
        if end_of_stage > start {
            path.push(Stretch { from_ms: start, to_ms: end_of_stage, why });
        }
        if let Some((away, split)) = outage {
            let why = match status {
                TaskStatus::Stopping => format!(
                    "STOPPING: {}'s agent disconnected at {} and reported the containers stopped when it reconnected",
                    instance.name(),
                    when(away)
                ),
                _ => waiting_for_sigterm(instance, away),
            };
            path.push(Stretch { from_ms: split, to_ms: end, why });
        }
    }
    let covered_to = path.last().map_or(cursor, |s| s.to_ms);
    // Taken away as the drain began (a Spot instance terminated at once), the task's path is that
    // moment alone: said, not left empty.
    if let Some((at, reason)) = orphaned.filter(|(at, _)| *at > covered_to || (path.is_empty() && *at == covered_to)) {
        // Nothing stopped it: it ran (or waited) until the instance was taken away.
        let why = match t.service() {
            // Told to stop in the instant the instance was taken away (a Spot Instance's drain
            // and its termination at once): nothing had time to happen.
            _ if t.stopping_at_ms() == Some(at) => format!(
                "told to stop as {} was taken away; still {} when {reason} orphaned it in the same instant (the drain ended \
                 without it stopping)",
                instance.name(),
                t.last_status().as_str()
            ),
            None => format!(
                "a standalone task: ECS does not stop it for a drain; still {} when {reason} orphaned it (the drain ended without it stopping)",
                t.last_status().as_str()
            ),
            Some(s) if s.scheduling_strategy() == SchedulingStrategy::Daemon => format!(
                "the {} daemon task, waiting for every other task on {}; still {} when {reason} orphaned it",
                s.name(),
                instance.name(),
                t.last_status().as_str()
            ),
            // What kept its replacement from starting (a stall) is why it was not told to stop.
            Some(s) => format!(
                "not yet told to stop by {}{}{}; still {} when {reason} orphaned it (the drain ended without it stopping)",
                s.name(),
                stopped_elsewhere_meanwhile(e, ix, &s, instance, (covered_to, at)),
                stalls_meanwhile(ix, &s, (covered_to, at)),
                t.last_status().as_str()
            ),
        };
        path.push(Stretch { from_ms: covered_to, to_ms: at, why });
    }
    if path.is_empty() && t.last_status() == TaskStatus::Stopped && told == Some(from_ms) {
        // Nothing took time: told to stop as the drain began, it STOPPED in the same instant
        // (a task not yet RUNNING on a DRAINING instance stops at once). Said, not left empty.
        let before_running = !statuses.iter().any(|(_, s)| matches!(s, TaskStatus::Deactivating | TaskStatus::Stopping));
        let why = if before_running {
            "told to stop as the drain began, before it was RUNNING, and STOPPED in the same instant (a task not yet \
             RUNNING on a DRAINING instance stops at once)"
        } else {
            "told to stop as the drain began, and STOPPED in the same instant"
        };
        path.push(Stretch { from_ms, to_ms: from_ms, why: why.to_string() });
    }
    // After another task's labelled stretches the task's own are labelled too: a line without a
    // label after them read as the other task's.
    if let Some(own_from) = own_from {
        let label = task_label(t);
        for s in &mut path[own_from..] {
            s.why = format!("{label}: {}", s.why);
        }
    }
    path
}

/// Why a container killed at its stop timeout did not exit first: what the scenario says of it
/// (`exitAfterSigtermMs` at or past the timeout), or drainsim's assumption when it says nothing
/// (docs/scenario-format.md: a container without `exitAfterSigtermMs` never exits on its own).
fn not_exiting(exit_assumed: bool) -> &'static str {
    if exit_assumed {
        "a container is assumed not to exit on SIGTERM (it gives no exitAfterSigtermMs)"
    } else {
        "a container does not exit on SIGTERM before its stop timeout (its exitAfterSigtermMs)"
    }
}

/// Where a service's room to stop went while a task of it on `instance` waited to be told to stop
/// (`from_ms` to `to_ms`, when the instance was taken away): its tasks on other draining instances
/// it told to stop meanwhile — the scheduler stops the oldest first, whichever instance goes
/// sooner (docs/ecs-choices.md) — as "; meanwhile web told 4 of its tasks on other draining
/// instances (asg-12, asg-14) to stop"; empty when there were none. Reads a window of the
/// service's stops ([`Index`]), not its every task: explain runs it once per drained instance.
fn stopped_elsewhere_meanwhile(
    e: &Engine,
    ix: &Index,
    s: &ServiceView,
    instance: &InstanceView,
    (from_ms, to_ms): (u64, u64),
) -> String {
    let stops = ix.stops_on_draining.get(&s.id()).map_or(&[][..], Vec::as_slice);
    let window = &stops[stops.partition_point(|(told, _)| *told < from_ms)..stops.partition_point(|(told, _)| *told < to_ms)];
    let elsewhere: Vec<InstanceId> = window.iter().map(|(_, i)| *i).filter(|i| *i != instance.id()).collect();
    let tasks = elsewhere.len();
    if tasks == 0 {
        return String::new();
    }
    let mut names: Vec<&str> = elsewhere.iter().map(|i| e.instance(*i).name()).collect();
    names.sort_unstable();
    names.dedup();
    let listed = names;
    format!(
        "; meanwhile {} told {tasks} of its tasks on other draining instances ({}) to stop",
        s.name(),
        names_listed(&listed, HEADLINE_NAMES)
    )
}

/// [`explain`] was given a run made without its trace records (`RunOptions::keep_records` false,
/// the default): what set each instance DRAINING, when each task started and stopped, are in the
/// records, so its explanation would be wrong. Run with `keep_records: true`, or call
/// [`run_explained`], which gathers them as they stream by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordsNotKept;

impl std::fmt::Display for RecordsNotKept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the run kept no trace records, which an explanation reads: run it with RunOptions { keep_records: true, .. }, \
             or call explain::run_explained",
        )
    }
}

impl std::error::Error for RecordsNotKept {}

/// Explains a run made with its trace records kept; refuses one made without them
/// ([`RecordsNotKept`]), whose explanation would be wrong (a drain's cause and every task's
/// stretches are read from the records).
pub fn explain(outcome: &RunOutcome) -> Result<Explanation, RecordsNotKept> {
    // Every record the run appended is still there: none was left unkept, none handed to a sink.
    let trace = outcome.engine.trace();
    if trace.records().len() as u64 != trace.len() {
        return Err(RecordsNotKept);
    }
    let mut history = TaskHistory::default();
    history.note(&outcome.engine, outcome.engine.trace().records());
    Ok(explain_with(outcome, history))
}

/// Runs a scenario and explains it, the task records gathered as they stream by (the trace is not
/// kept): the same explanation as [`explain`] of the run made with its records kept.
pub fn run_explained(loaded: &LoadedScenario, opts: &RunOptions) -> Result<(RunOutcome, Explanation), ScenarioError> {
    let mut history = TaskHistory::default();
    let mut sink = |e: &Engine, records: &[TraceRecord]| history.note(e, records);
    let outcome = crate::runner::run_streaming(loaded, opts, &mut sink)?;
    let explanation = explain_with(&outcome, history);
    Ok((outcome, explanation))
}

/// Explains a run from its end state and the task records gathered during it.
pub fn explain_with(outcome: &RunOutcome, history: TaskHistory) -> Explanation {
    let e = &outcome.engine;
    let ix = Index::of(e, history, outcome);
    // A bound (endTimeMs, maxEvents, the end of simulated time) that stopped the run, not quiet.
    let stopped_by_bound = Some(outcome.stop_reason).filter(|r| *r != StopReason::Quiet);
    // The groups' terminations of each instance, in time order: looked up per drained instance,
    // not scanned (a refresh of a big group terminates thousands).
    let mut terminations: Terminations = BTreeMap::new();
    for t in &outcome.group_terminations {
        terminations.entry(t.instance.as_str()).or_default().push(t);
    }
    let mut instances = Vec::new();
    for i in e.instances() {
        let drain = i.drain();
        let Some(started) = drain.started_at_ms() else { continue };
        let completed = drain.completed_at_ms();
        // A drain that did not complete on an instance ACTIVE again was cancelled, not stuck.
        let cancelled = crate::outcome::drain_cancelled_at(&i);
        let on_it: Vec<TaskView> = ix.by_instance.get(i.id().index()).iter().map(|t| e.task(*t)).collect();
        // The task whose end completed the drain: the last to stop, or one orphaned then (a forced
        // deregistration, EC2 terminating the instance), which ended the drain without stopping.
        let last = completed.and_then(|end| {
            on_it
                .iter()
                .filter_map(|t| {
                    let orphaned = ix.records.orphaned.get(&t.id()).map(|(at, _)| *at);
                    let ended = t.stopped_at_ms().or(orphaned)?;
                    (ended >= started && ended <= end).then_some((ended, orphaned.is_some(), t.id(), t))
                })
                .max_by_key(|(ended, orphaned, id, _)| (*ended, *orphaned, *id))
                .map(|(_, _, _, t)| *t)
        });
        let (last_task, critical_path) = match &last {
            Some(t) => (Some(task_label(t)), critical_path(t, &ix, &i, e, started)),
            None => (None, Vec::new()),
        };
        let last_task_orphaned = last.is_some_and(|t| ix.records.orphaned.contains_key(&t.id()) && t.stopped_at_ms().is_none());
        let also_orphaned = also_orphaned(e, &ix, &i, last.as_ref().map(|t| t.id()), started);
        let holding = if completed.is_some() || cancelled.is_some() {
            Vec::new()
        } else {
            i.tasks()
                .map(|t| {
                    let why = match t.service() {
                        // Told to stop already: its containers, not its service, hold it.
                        _ if t.stopping_at_ms().is_some() => format!(
                            "told to stop at {}; not STOPPED by the end of the run{}{}",
                            when(t.stopping_at_ms().unwrap_or(0)),
                            agent_still_away(&ix, &i, &t),
                            stopped_by_bound.map_or(String::new(), |b| format!(" (the run's bound, {}, stopped it)", b.as_str()))
                        ),
                        None => {
                            "a standalone task: ECS does not stop it for a drain; stop it (StopTask) or let it finish".to_string()
                        }
                        Some(s) if s.scheduling_strategy() == SchedulingStrategy::Daemon => {
                            format!("the {} daemon task: it stops after every other task here", s.name())
                        }
                        Some(s) if ix.records.unhealthy_at.get(&s.id()).is_some_and(|f| f.last_ms >= started) => {
                            format!(
                                "{} replaced it with tasks that failed their health checks (see service {})",
                                s.name(),
                                s.name()
                            )
                        }
                        // A run a bound stopped may have stopped it mid-replacement: no open stall
                        // says the service could not go on.
                        Some(s) if stopped_by_bound.is_some() && s.stalls().last().is_none_or(|x| x.ended_at_ms.is_some()) => {
                            format!(
                                "{} had not replaced it when the run's bound ({}) stopped the run (see service {})",
                                s.name(),
                                stopped_by_bound.map_or("", |b| b.as_str()),
                                s.name()
                            )
                        }
                        // Its replacements could not start: the stall open at the end of the run
                        // says why (the finding below gives what the closest instance lacked).
                        Some(s) if s.stalls().last().is_some_and(|x| x.ended_at_ms.is_none()) => {
                            let x = s.stalls().last().expect("an open stall");
                            format!(
                                "{} could not replace it: stalled on {} from {} to the end of the run (see service {})",
                                s.name(),
                                x.reason.as_str(),
                                when(x.started_at_ms),
                                s.name()
                            )
                        }
                        Some(s) => format!("{} could not replace it within its bounds (see service {})", s.name(), s.name()),
                    };
                    format!("{} ({}): {why}", task_label(&t), t.last_status().as_str())
                })
                .collect()
        };
        instances.push(InstanceExplanation {
            name: i.name().to_string(),
            drain_started_at_ms: started,
            drain_completed_at_ms: completed,
            drain_cancelled_at_ms: cancelled,
            drain_started_by: drain_started_by(&ix, &i, &terminations, started),
            deregistered: ix
                .records
                .deregistered
                .get(&i.id())
                .map(|(at_ms, by)| Deregistration { at_ms: *at_ms, by: by.to_string() }),
            // The group's last termination of it: one that began after the drain completed is
            // what took the drained instance away (explain says it came after).
            terminated_by: terminated_by(&terminations, i.name()),
            spot_signals: spot_signals(&ix, &i),
            last_task,
            last_task_orphaned,
            critical_path,
            also_orphaned,
            holding,
        });
    }
    let gone_undrained = gone_undrained(e, &ix, &terminations);
    let services = e.services().map(|s| explain_service(e, &s, &ix)).collect();
    let (headline, total_drain_ms) = run_headline(outcome);
    let managed_scaling = outcome.managed_scaling.iter().map(explain_scaling).collect();
    let instance_refreshes = outcome.instance_refreshes.iter().map(explain_refresh).collect();
    Explanation {
        headline,
        total_drain_ms,
        instances,
        gone_undrained,
        services,
        managed_scaling,
        instance_refreshes,
        not_drained: Vec::new(),
    }
}

/// The Auto Scaling groups' terminations of each instance, in time order.
type Terminations<'o> = BTreeMap<&'o str, Vec<&'o crate::outcome::GroupTermination>>;

/// What set an instance DRAINING, as the trace records it, and who sent the request when an Auto
/// Scaling group's termination did (ECS managed draining, the termination hook's handler): the
/// request alone read as if a plan had called the API.
fn drain_started_by(ix: &Index, i: &InstanceView, terminations: &Terminations, started_ms: u64) -> String {
    use crate::outcome::TerminationPath;
    let cause = ix.records.drain_cause.get(&i.id()).copied().unwrap_or("its registration as DRAINING");
    let sender =
        terminations.get(i.name()).and_then(|ts| ts.iter().rev().find(|t| t.at_ms <= started_ms)).and_then(|t| match t.path {
            TerminationPath::ManagedDraining => Some("ECS managed draining, for the Auto Scaling group's termination"),
            TerminationPath::LifecycleHookDrain => Some("the Auto Scaling group's termination lifecycle hook handler"),
            TerminationPath::LifecycleHookWait | TerminationPath::Immediate => None,
        });
    match sender {
        Some(sender) if cause == "UpdateContainerInstancesState" => format!("{cause} from {sender}"),
        _ => cause.to_string(),
    }
}

/// The group's last termination of `instance`.
fn terminated_by(terminations: &Terminations, instance: &str) -> Option<TerminatedBy> {
    let t = terminations.get(instance)?.last()?;
    Some(TerminatedBy {
        auto_scaling_group_name: t.auto_scaling_group_name.clone(),
        at_ms: t.at_ms,
        cause: t.cause.describe(),
        path: t.path.describe().to_string(),
        wait_ended: t.wait.as_ref().map(|w| WaitEnded {
            at_ms: w.ended_at_ms,
            drain_completed: w.drain_completed,
            timed_out: w.timed_out.as_ref().map(|h| HookTimedOut { hook: h.hook(), at_ms: h.at_ms(), why: h.describe() }),
            handed_over: w.handed_over.as_ref().map(|h| HookTimedOut { hook: h.hook(), at_ms: h.at_ms(), why: h.describe() }),
        }),
    })
}

/// The Spot signals EC2 gave an instance, in order.
fn spot_signals(ix: &Index, i: &InstanceView) -> Vec<SpotSignalAt> {
    ix.records
        .spot_signals
        .get(&i.id())
        .map(|s| s.iter().map(|(at_ms, signal)| SpotSignalAt { at_ms: *at_ms, signal: signal.as_str().into() }).collect())
        .unwrap_or_default()
}

/// The instances that went away with tasks ECS orphaned and no drain (the chart's lanes of
/// instances gone undrained): one pass over the run's tasks counts the orphans by instance and
/// service.
fn gone_undrained(e: &Engine, ix: &Index, terminations: &Terminations) -> Vec<GoneUndrained> {
    // Per instance, per service (keyed so that services come in creation order, standalone tasks
    // last): the service's name and its count.
    type ByService = BTreeMap<(bool, usize), (Option<String>, u32)>;
    let mut orphans: BTreeMap<drainsim_core::InstanceId, ByService> = BTreeMap::new();
    for t in e.tasks().filter(crate::outcome::orphaned_undrained) {
        let service = t.service();
        let key = (service.is_none(), service.as_ref().map_or(0, |s| s.id().index()));
        let entry =
            orphans.entry(t.instance().id()).or_default().entry(key).or_insert((service.map(|s| s.name().to_string()), 0));
        entry.1 += 1;
    }
    orphans
        .into_iter()
        .map(|(id, by_service)| {
            let i = e.instance(id);
            let orphaned_by_service: Vec<OrphanedTasks> =
                by_service.into_values().map(|(service_name, tasks)| OrphanedTasks { service_name, tasks }).collect();
            GoneUndrained {
                name: i.name().to_string(),
                deregistered: ix
                    .records
                    .deregistered
                    .get(&i.id())
                    .map(|(at_ms, by)| Deregistration { at_ms: *at_ms, by: by.to_string() }),
                terminated_by: terminated_by(terminations, i.name()),
                spot_signals: spot_signals(ix, &i),
                orphaned_tasks: orphaned_by_service.iter().map(|o| o.tasks).sum(),
                orphaned_by_service,
            }
        })
        .collect()
}

/// The most instance names a headline lists; the report's `instances` has every one.
const HEADLINE_NAMES: usize = 5;

/// Names joined by commas, at most `most` of them, then how many more there are: a drain of
/// thousands of instances that did not finish must not make a headline of thousands of names.
fn names_listed(names: &[&str], most: usize) -> String {
    if names.len() <= most {
        return names.join(", ");
    }
    format!("{} and {} more", names[..most].join(", "), names.len() - most)
}

/// [`headline`] of a run, with what its instance refreshes left undone: a group whose last
/// instance refresh did not end `Successful` (still InProgress when the run ended, Failed,
/// Cancelled) is named with its status and progress. A refresh that failed and was followed by one
/// that succeeded left nothing undone. What `run`'s text, `run --json`'s standard error and
/// `explain` print.
pub fn run_headline(outcome: &crate::outcome::RunOutcome) -> (String, Option<u64>) {
    let (mut text, total) = headline(&outcome.engine, &outcome.drain_scope(), outcome.stop_reason);
    let mut last: BTreeMap<&str, &crate::outcome::InstanceRefreshOutcome> = BTreeMap::new();
    for r in &outcome.instance_refreshes {
        last.insert(r.auto_scaling_group_name.as_str(), r);
    }
    for r in last.values().filter(|r| r.status != "Successful") {
        text.push_str(&format!("; instance refresh of {} {} at {}%", r.auto_scaling_group_name, r.status, r.percentage_complete));
    }
    (text, total)
}

/// The run's headline — total drain time, slowest instance, deepest dip below a floor — and the
/// total drain time (from the first drain's start until every drain was complete). A drain still
/// open when a bound stopped the run (`stop_reason` other than `Quiet`) is said to be open then.
pub fn headline(e: &Engine, scope: &DrainScope, stop_reason: StopReason) -> (String, Option<u64>) {
    // A cancelled drain counts neither as complete nor as open; one managed scaling's scale-in
    // began is named apart.
    let reactivated: Vec<String> = e.instances().filter(drain_cancelled).map(|i| i.name().to_string()).collect();
    let refused = crate::outcome::refused_drains(e);
    let drained: Vec<(String, u64, Option<u64>)> = e
        .instances()
        .filter(|i| scope.counts(i))
        .filter_map(|i| i.drain().started_at_ms().map(|s| (i.name().to_string(), s, i.drain().completed_at_ms())))
        .collect();
    let first = first_drain_started_at(e, scope);
    let total_drain_ms = crate::outcome::total_drain_ms(e, scope);
    let slowest = crate::outcome::slowest_completed_drain(e, scope);
    let scaled_in = scope.scale_in_drains(e);
    let deepest = e
        .services()
        .filter_map(|s| dip(&s).map(|(h, f)| (f - h, s.name().to_string(), h, f, already_short(&s))))
        .max_by_key(|x| x.0);
    let reactivated_names: Vec<&str> = reactivated.iter().map(String::as_str).collect();
    let mut text = match (first, total_drain_ms) {
        (None, _) if !reactivated.is_empty() => {
            format!("every drain was cancelled ({} set ACTIVE again)", names_listed(&reactivated_names, HEADLINE_NAMES))
        }
        (None, _) => "no instance was drained".to_string(),
        (Some(_), Some(total)) => {
            // A drain ended by its instance's going with tasks not yet STOPPED is not said to have
            // drained (a helper read "every drain complete" of a forced deregistration that left
            // its service at 0 of 2 running); the headline's orphan clause below names them.
            let orphaned = crate::outcome::orphaned_tasks_ending_drains(e);
            // A drain ECS refused is none: "every drain complete" is said only of the drains that
            // began when some were refused (named below).
            let verb = match (drained.iter().any(|(name, _, _)| orphaned.contains_key(name)), refused.is_empty()) {
                (true, true) => "ended",
                (false, true) => "complete",
                (true, false) => "that began ended",
                (false, false) => "that began completed",
            };
            format!("every drain {verb} {} after the first began", duration_text(total))
        }
        (Some(_), None) => {
            let open: Vec<&str> = drained.iter().filter(|(_, _, c)| c.is_none()).map(|(n, _, _)| n.as_str()).collect();
            let end = match stop_reason {
                StopReason::Quiet => "at the end".to_string(),
                bound => format!("when the run's bound ({}) stopped it at {}", bound.as_str(), when(e.now_ms())),
            };
            format!("not every drain completed ({} still draining {end})", names_listed(&open, HEADLINE_NAMES))
        }
    };
    if first.is_some() && !reactivated.is_empty() {
        text.push_str(&format!("; drain cancelled: {} set ACTIVE again", names_listed(&reactivated_names, HEADLINE_NAMES)));
    }
    if !refused.is_empty() {
        let named: Vec<String> = refused.iter().map(|r| format!("{} ({})", r.instance, r.status.as_str())).collect();
        let named: Vec<&str> = named.iter().map(String::as_str).collect();
        text.push_str(&format!("; drain refused, never DRAINING: {}", names_listed(&named, HEADLINE_NAMES)));
    }
    if let Some(from) = scaled_in.iter().filter_map(|i| i.drain().started_at_ms()).min() {
        let open = scaled_in.iter().filter(|i| i.drain().completed_at_ms().is_none()).count();
        text.push_str(&format!(
            "; managed scaling's scale-in drained {} from {}, not counted above{}",
            tasks_text(u32::try_from(scaled_in.len()).unwrap_or(u32::MAX), "more instance"),
            when(from),
            if open > 0 { format!(" ({open} still draining at the end)") } else { String::new() }
        ));
    }
    // Drains that completed only because the instance went with tasks still running.
    let orphaned = crate::outcome::orphaned_tasks_ending_drains(e);
    let cut_short: Vec<&str> =
        drained.iter().filter(|(n, _, c)| c.is_some() && orphaned.contains_key(n.as_str())).map(|(n, _, _)| n.as_str()).collect();
    if !cut_short.is_empty() {
        let tasks: u32 = cut_short.iter().map(|n| orphaned[*n]).sum();
        text.push_str(&format!(
            "; {} went with {tasks} task(s) not yet STOPPED, orphaned: {} so, not by their stopping",
            names_listed(&cut_short, HEADLINE_NAMES),
            if cut_short.len() == 1 { "its drain ended" } else { "their drains ended" }
        ));
    }
    // Instances that went with tasks and no drain (Spot, a group's termination, a forced
    // deregistration): their tasks were lost, not moved.
    let undrained = crate::outcome::orphaned_tasks_gone_undrained(e);
    if !undrained.is_empty() {
        // In registration order, as the other names of the headline.
        let names: Vec<&str> = e.instances().map(|i| i.name()).filter(|n| undrained.contains_key(*n)).collect();
        text.push_str(&format!(
            "; gone without a drain: {}, with {} orphaned",
            names_listed(&names, HEADLINE_NAMES),
            tasks_text(undrained.values().sum(), "task")
        ));
    }
    if let Some((d, n)) = &slowest {
        // With a drain still open, the slowest is that one: name this one for what it is.
        let which = if total_drain_ms.is_none() && first.is_some() { "slowest completed drain" } else { "slowest" };
        text.push_str(&format!("; {which} {n} ({})", duration_text(*d)));
    }
    match deepest {
        Some((by, name, h, f, already)) => text.push_str(&format!(
            "; deepest dip: {name} at {h} healthy, {by} below its floor of {f}{}",
            if already { ", a shortfall no drain caused (preExistingDeficit: the service was already short)" } else { "" }
        )),
        None if first.is_some() || !reactivated.is_empty() => {
            text.push_str("; no service dipped below its floor");
            // A floor of 0 (minimumHealthyPercent 0, or one a plan lowered) holds nothing up: a
            // service that lost every healthy task is named all the same.
            let emptied: Vec<(String, u32)> = e
                .services()
                .filter(|s| s.min_healthy_observed() == Some(0))
                .filter_map(|s| s.desired_count_at_min_healthy_observed().filter(|d| *d > 0).map(|d| (s.name().to_string(), d)))
                .collect();
            if let Some((name, desired)) = emptied.first() {
                let more = match emptied.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                text.push_str(&format!(", but {name}{more} had 0 healthy of {desired} desired at its lowest"));
            }
        }
        None => {}
    }
    // Services the run left short of their desired count (a replacement that never found room):
    // no dip below a floor says it when the floor is below the desired count.
    let short: Vec<String> = e
        .services()
        .filter(|s| s.status() == drainsim_core::ServiceStatus::Active && s.running_count() < s.desired_count())
        .map(|s| {
            let stalled = s.stalls().last().filter(|st| st.ended_at_ms.is_none()).map(|st| st.reason.as_str());
            format!(
                "{} ({} of {} running{})",
                s.name(),
                s.running_count(),
                s.desired_count(),
                stalled.map_or(String::new(), |r| format!(", stalled on {r}"))
            )
        })
        .collect();
    if !short.is_empty() {
        let named: Vec<&str> = short.iter().map(String::as_str).collect();
        text.push_str(&format!("; short of desired at the end: {}", names_listed(&named, HEADLINE_NAMES)));
    }
    (text, total_drain_ms)
}

fn explain_service(e: &Engine, s: &ServiceView, ix: &Index) -> ServiceExplanation {
    let mut summary = format!(
        "{}, desired {}, floor {} (minimumHealthyPercent {}), ceiling {} (maximumPercent {})",
        s.scheduling_strategy().as_str(),
        s.desired_count(),
        s.healthy_floor(),
        s.minimum_healthy_percent(),
        s.task_ceiling(),
        s.maximum_percent()
    );
    if let (Some(h), Some(f)) = (s.min_healthy_observed(), s.floor_at_min_healthy_observed()) {
        summary.push_str(&format!("; lowest healthy {h} (floor then {f})"));
    }
    if let (Some(m), Some(c)) = (s.max_tasks_observed(), s.ceiling_at_max_tasks_observed()) {
        summary.push_str(&format!("; most tasks {m} (ceiling then {c}"));
        if let Some(above) = crate::outcome::daemon_tasks_above_ceiling(s) {
            summary.push_str(&format!("; {above} on DRAINING instances, stopped last"));
        }
        summary.push(')');
    }
    let mut findings = Vec::new();
    // How long the floor held its tasks on draining instances before they were told to stop, and
    // when they were told.
    let mut waits: Vec<(u64, u64)> = Vec::new();
    // Those DeleteService stopped (the floor no longer held them then: the service went).
    let mut deleted = 0u32;
    // Those an UpdateService released by lowering the floor in the instant they were told to stop.
    let mut lowered = 0u32;
    // Those never told to stop: still on their draining instance at the end of the run, and how
    // long the longest was held there.
    let (mut never_told, mut never_told_held_ms) = (0u32, 0u64);
    // When the last of those told to stop was gone (STOPPED, or orphaned with its instance).
    let mut last_told_gone_ms = 0u64;
    // Those orphaned with their instance before they were told to stop (a forced deregistration,
    // EC2 terminating it): their drains ended without them.
    let mut orphaned_untold = 0u32;
    for t in ix.by_service.get(s.id().index()).iter().map(|t| e.task(*t)) {
        let Some(started) = t.instance().drain().started_at_ms() else { continue };
        let told = t.stopping_at_ms();
        // `<=`: a task adopted or placed at the instant the drain began (time 0 for every plan
        // `drainsim import` writes) was on the instance when it began; nothing is placed on a
        // DRAINING instance afterwards.
        if let Some(told) = told.filter(|told| *told >= started && t.created_at_ms() <= started) {
            waits.push((told - started, told));
            last_told_gone_ms = last_told_gone_ms.max(gone_at_ms(&ix.records, &t).unwrap_or(e.now_ms()));
            if told > started && stopped_by_deletion(&t) {
                deleted += 1;
            } else if told > started && floor_lowered_at(s, told) {
                lowered += 1;
            }
        } else if told.is_none() && t.created_at_ms() <= started && orphaned_while_draining(ix, &t, started) {
            orphaned_untold += 1;
        } else if told.is_none() && t.created_at_ms() <= started && t.stopped_at_ms().is_none() && !t.orphaned() {
            // A drain cancelled since does not hold it: its instance is ACTIVE again.
            if t.instance().status() == drainsim_core::InstanceStatus::Draining {
                never_told += 1;
                never_told_held_ms = never_told_held_ms.max(e.now_ms().saturating_sub(started));
            }
        }
    }
    waits.sort_unstable();
    // Tasks told to stop at once (a wait of 0) need no word.
    let waited = waits.last().is_some_and(|(longest, _)| *longest > 0);
    // The floor quoted: the one in force when the longest wait ended, or, while some are held
    // to the end of the run, the one then (an UpdateService during the run may have changed it).
    let floor_text = match (never_told, waits.last()) {
        (0, Some((_, told))) => format!("it was {} when the longest wait ended", s.settings_at(*told).healthy_floor()),
        _ => format!("at the end of the run it is {}", s.healthy_floor()),
    };
    let orphaned_text = match orphaned_untold {
        0 => String::new(),
        n => format!(", and {n} {}", orphaned_before_told(n)),
    };
    let never_told_text = match (never_told, !waited) {
        (0, _) => String::new(),
        (n, true) => format!(
            "its {} on draining instances {} never told to stop (held up to {}, to the end of the run)",
            tasks_text(n, "task"),
            if n == 1 { "was" } else { "were" },
            duration_text(never_told_held_ms)
        ),
        (n, false) => format!(
            ", and {n} more {} never told to stop (held up to {}, to the end of the run)",
            if n == 1 { "was" } else { "were" },
            duration_text(never_told_held_ms)
        ),
    };
    if let (Some((max, _)), SchedulingStrategy::Daemon) = (waits.last(), s.scheduling_strategy()) {
        findings.push(format!(
            "its {} on draining instances {} told to stop last there, up to {} after their drains began{orphaned_text}",
            tasks_text(waits.len() as u32, "daemon task"),
            if waits.len() == 1 { "was" } else { "were" },
            duration_text(*max)
        ));
    } else if s.scheduling_strategy() == SchedulingStrategy::Daemon {
        // A daemon task stops after every other task on its instance: one whose instance went
        // away first was orphaned before its turn (no floor holds a daemon's task).
        if orphaned_untold > 0 {
            findings.push(format!(
                "its {} on draining instances {}: a daemon task stops only after every other task on its instance",
                tasks_text(orphaned_untold, "daemon task"),
                orphaned_before_told(orphaned_untold)
            ));
        }
    } else if waited || never_told > 0 || orphaned_untold > 0 {
        // A deadlock of minimumHealthyPercent and maximumPercent (no replacement can start, no
        // task may stop) holds them too, whatever the floor at the end of the run (an UpdateService
        // that ended the deadlock may have lowered it to 0, which holds nothing).
        let deadlocked = s.stalls().iter().any(|x| x.reason.as_str() == "deploymentConfiguration");
        let head = if !waited && never_told == 0 {
            format!("its {} on draining instances {}", tasks_text(orphaned_untold, "task"), orphaned_before_told(orphaned_untold))
        } else if !waited {
            format!("{never_told_text}{orphaned_text}")
        } else {
            format!(
                "its {} on draining instances waited up to {} (median {}) to be told to stop{never_told_text}{orphaned_text}",
                tasks_text(waits.len() as u32, "task"),
                duration_text(waits.last().expect("a wait").0),
                duration_text(waits[(waits.len() - 1) / 2].0),
            )
        };
        findings.push(format!(
            "{head}: {}",
            if deleted > 0 && deleted as usize == waits.iter().filter(|(w, _)| *w > 0).count() {
                "the floor kept them until DeleteService stopped them (the service was deleted)".to_string()
            } else if deadlocked {
                // How long: to the end of the run while the last deadlock is open, else the
                // deadlocks' time in all.
                let deadlocks = s.stalls().iter().filter(|x| x.reason.as_str() == "deploymentConfiguration");
                let span = match deadlocks.clone().find(|x| x.ended_at_ms.is_none()) {
                    Some(open) => format!("from {} to the end of the run", when(open.started_at_ms)),
                    None => format!(
                        "for {}",
                        duration_text(deadlocks.filter_map(|x| Some(x.ended_at_ms? - x.started_at_ms)).sum::<u64>())
                    ),
                };
                format!(
                    "minimumHealthyPercent and maximumPercent left no legal stop or start {span} (deploymentConfiguration, below), and the floor keeps them until replacements are healthy ({floor_text})"
                )
            } else if lowered > 0 && lowered as usize == waits.iter().filter(|(w, _)| *w > 0).count() {
                "the floor kept them until an UpdateService lowered it (see each task's wait)".to_string()
            } else {
                let mut by_deletion = if deleted > 0 {
                    format!("; {} until DeleteService stopped them", tasks_text(deleted, "task"))
                } else {
                    String::new()
                };
                if lowered > 0 {
                    by_deletion.push_str(&format!("; {} until an UpdateService lowered it", tasks_text(lowered, "task")));
                }
                // From the first wait's start to the last task told to stop.
                let first_wait_began = waits.iter().map(|(wait, told)| told - wait).min();
                let last_told = waits.iter().map(|(_, told)| *told).max();
                let paced = match (first_wait_began, last_told) {
                    (Some(from), Some(to)) => ceiling_pace_text(ix, s, (from, to)),
                    _ => String::new(),
                };
                format!("the floor keeps them until replacements are healthy ({floor_text}){by_deletion}{paced}")
            }
        ));
    }
    // Told to stop at once, their replacements held by the ceiling instead: the floor has nothing
    // to say, the ceiling does (at maximumPercent 100 no replacement starts before a task is gone).
    if !waited && s.scheduling_strategy() != SchedulingStrategy::Daemon {
        if let Some(first_told_ms) = waits.iter().map(|(_, told)| *told).min() {
            findings.extend(ceiling_held_text(ix, s, waits.len(), (first_told_ms, last_told_gone_ms)));
        }
    }
    if let Some(f) = ix.records.unhealthy_at.get(&s.id()) {
        let span = if f.first_ms == f.last_ms {
            format!("at {}", when(f.first_ms))
        } else {
            format!("from {} to {}", when(f.first_ms), when(f.last_ms))
        };
        // Of those the run found failing (an adopted UNHEALTHY task is noted without a record).
        let waiting = u64::from(s.unhealthy_tasks_not_stopped()).min(f.count);
        let outcome = match waiting {
            0 => "each was replaced".to_string(),
            n if n == f.count => format!(
                "{} still ran UNHEALTHY at the end, waiting for a healthy replacement",
                if n == 1 { "it" } else { "they all" }
            ),
            n => format!("{n} still ran UNHEALTHY at the end, waiting for a healthy replacement; the others were replaced"),
        };
        findings.push(format!(
            "{} of its tasks failed their health checks, {span}: {outcome}; a replacement that fails too never counts as healthy, so a task waiting for a healthy replacement (on a draining instance, or UNHEALTHY itself) waits on",
            f.count,
        ));
    }
    for (n, x) in s.stalls().iter().enumerate() {
        findings.push(stall_text(ix, s, n, x.reason.as_str(), x.started_at_ms, x.ended_at_ms));
    }
    for b in s.floor_breaches() {
        let span = match b.ended_at_ms {
            Some(end) => format!("for {} from {}", duration_text(end - b.started_at_ms), when(b.started_at_ms)),
            None => format!("from {} to the end of the run", when(b.started_at_ms)),
        };
        findings.push(format!("below its floor {span} ({})", b.reason.as_str()));
    }
    for (cause, tally) in s.agent_waits() {
        findings.push(format!(
            "{} of its tasks waited in PENDING for their agent ({}), {} in all, longest {}",
            tally.tasks,
            cause.as_str(),
            duration_text(tally.total_wait_ms),
            duration_text(tally.longest_wait_ms)
        ));
    }
    let failures: Vec<String> = s.placement_failures().map(|(r, c)| format!("{r} x{c}")).collect();
    if !failures.is_empty() {
        findings.push(format!("failed placement attempts: {}", failures.join(", ")));
    }
    ServiceExplanation { name: s.name().to_string(), summary, findings, notable: crate::outcome::service_is_notable(s) }
}

/// The explanation as text a person reads.
pub fn render_text(x: &Explanation) -> String {
    let mut out = String::new();
    let names: Vec<&str> = x.instances.iter().map(|i| i.name.as_str()).collect();
    let blocks: Vec<String> = x.instances.iter().map(instance_text).collect();
    // Worth a look first: a drain still open, then the slowest.
    let took = |k: usize| {
        let i = &x.instances[k];
        i.drain_completed_at_ms.map_or(u64::MAX, |c| c.saturating_sub(i.drain_started_at_ms))
    };
    write_alike_once(&mut out, &names, &blocks, "the same path, with their own tasks", &took, "drained instance");
    if !x.gone_undrained.is_empty() {
        out.push_str("gone without a drain:\n");
        let names: Vec<&str> = x.gone_undrained.iter().map(|g| g.name.as_str()).collect();
        let blocks: Vec<String> = x.gone_undrained.iter().map(gone_undrained_text).collect();
        write_alike_once(&mut out, &names, &blocks, "the same, with their own counts", &|_| 0, "instance gone without a drain");
    }
    render_rest(x, out)
}

/// The most groups of alike blocks the text writes: a drain of 20,000 instances of 1,000
/// services, whose paths differ by service, wrote 1,087 paragraphs (590 KB). Past it, the
/// groups worth a look first, and a line that counts the rest, which `--json` explains.
const MAX_ALIKE_GROUPS: usize = 50;

/// Writes each block, those the same but for their instance's name and their tasks' IDs (a drain
/// of a uniform fleet explained 40 or 40,000 times over) once, with the others named; past
/// [`MAX_ALIKE_GROUPS`] groups, those whose member `worth` ranks highest, in their order, and a
/// line counting the rest (`what`: what a member is).
fn write_alike_once(out: &mut String, names: &[&str], blocks: &[String], alike: &str, worth: &dyn Fn(usize) -> u64, what: &str) {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut group_of: BTreeMap<String, usize> = BTreeMap::new();
    for (k, (name, block)) in names.iter().zip(blocks).enumerate() {
        let key = alike_key(block, name);
        match group_of.get(&key) {
            Some(g) => groups[*g].1.push(k),
            None => {
                group_of.insert(key.clone(), groups.len());
                groups.push((key, vec![k]));
            }
        }
    }
    let mut shown: Vec<usize> = (0..groups.len()).collect();
    if groups.len() > MAX_ALIKE_GROUPS {
        let best = |g: usize| groups[g].1.iter().map(|k| worth(*k)).max().unwrap_or(0);
        shown.sort_by_key(|&g| (std::cmp::Reverse(best(g)), g));
        shown.truncate(MAX_ALIKE_GROUPS);
        shown.sort_unstable();
    }
    for &g in &shown {
        let members = &groups[g].1;
        out.push_str(&blocks[members[0]]);
        if members.len() > 1 {
            let others: Vec<&str> = members[1..].iter().map(|k| names[*k]).collect();
            out.push_str(&format!("  and {} more alike ({alike}): {}\n", others.len(), names_listed(&others, ALIKE_NAMES)));
        }
    }
    if shown.len() < groups.len() {
        let left: usize = (0..groups.len()).filter(|g| shown.binary_search(g).is_err()).map(|g| groups[g].1.len()).sum();
        out.push_str(&format!(
            "… and {} in {} more groups, left out: {} groups are written, those worth a look first (--json explains every one, --instance NAME one)\n",
            tasks_text(u32::try_from(left).unwrap_or(u32::MAX), what),
            groups.len() - shown.len(),
            MAX_ALIKE_GROUPS
        ));
    }
}

/// An instance gone with its tasks and no drain, in words: when and how it went, and what ECS
/// orphaned with it.
fn gone_undrained_text(g: &GoneUndrained) -> String {
    let went = match &g.deregistered {
        Some(d) => format!("INACTIVE at {} ({})", when(d.at_ms), d.by),
        None => "its EC2 instance terminated, still registered at the end of the run".to_string(),
    };
    let by_service: Vec<String> = g
        .orphaned_by_service
        .iter()
        .map(|o| match &o.service_name {
            Some(name) => format!("{} of {name}", o.tasks),
            None => format!("{} standalone", o.tasks),
        })
        .collect();
    let mut out = format!(
        "{}: {went}, never set DRAINING: {} orphaned with it, never told to stop ({})\n",
        g.name,
        tasks_text(g.orphaned_tasks, "task"),
        by_service.join(", ")
    );
    if !g.spot_signals.is_empty() {
        let told: Vec<String> = g.spot_signals.iter().map(|s| format!("{} at {}", s.signal, when(s.at_ms))).collect();
        out.push_str(&format!("  EC2 gave it a Spot {}\n", told.join(", then an ")));
    }
    if let Some(t) = &g.terminated_by {
        out.push_str(&began_to_terminate(t));
    }
    if g.orphaned_by_service.iter().any(|o| o.service_name.is_some()) {
        out.push_str(
            "  their services lost them at once and started replacements (no floor holds a task on an instance that goes)\n",
        );
    }
    out
}

/// The most names `explain`'s text lists of the instances explained alike.
const ALIKE_NAMES: usize = 10;

/// What two instances' explanations share when they are alike: the text with the instance's name
/// (where it stands as a whole name, not inside a word: an instance `a` leaves `drained` alone)
/// and every task ID (`task/1578f98e…`) masked.
fn alike_key(block: &str, name: &str) -> String {
    let part_of_a_name = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut named = String::with_capacity(block.len());
    let mut from = 0;
    for (at, _) in block.match_indices(name) {
        let before = block[..at].chars().next_back();
        let after = block[at + name.len()..].chars().next();
        if at >= from && !before.is_some_and(part_of_a_name) && !after.is_some_and(part_of_a_name) {
            named.push_str(&block[from..at]);
            named.push('\u{0}');
            from = at + name.len();
        }
    }
    named.push_str(&block[from..]);
    let mut key = String::with_capacity(named.len());
    let mut rest = named.as_str();
    while let Some(at) = rest.find("task/") {
        key.push_str(&rest[..at + 5]);
        rest = rest[at + 5..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        key.push('\u{0}');
    }
    key.push_str(rest);
    key
}

/// The line naming the Auto Scaling group that began to terminate an instance: when, why, how.
fn began_to_terminate(t: &TerminatedBy) -> String {
    format!(
        "  Auto Scaling group {} began to terminate it at {} ({}): {}\n",
        t.auto_scaling_group_name,
        when(t.at_ms),
        t.cause,
        t.path
    )
}

/// Where the agent's stop timeout came from, by its value: the agent's default (30 s "unless
/// set"), else the instance's own `ECS_CONTAINER_STOP_TIMEOUT` (its agent configuration, as a
/// launch template's user data sets it): a 2-minute timeout is not read as 30 s.
fn agent_stop_timeout_source(stop_timeout_ms: u64) -> String {
    if stop_timeout_ms == drainsim_core::AGENT_DEFAULT_STOP_TIMEOUT_MS {
        format!("{} unless set", duration_text(stop_timeout_ms))
    } else {
        format!("set to {} on this instance", duration_text(stop_timeout_ms))
    }
}

/// One drained instance's explanation, as `render_text` writes it.
fn instance_text(i: &InstanceExplanation) -> String {
    let mut out = String::new();
    {
        match i.drain_completed_at_ms {
            // A drain the instance's going away ended, its last task orphaned rather than stopped,
            // did not empty it: "drained in" would say it had.
            Some(done) if i.last_task_orphaned => out.push_str(&format!(
                "{}: drain ended undrained after {} (from {} to {}): the instance went away with tasks not yet STOPPED\n",
                i.name,
                duration_text(done - i.drain_started_at_ms),
                when(i.drain_started_at_ms),
                when(done)
            )),
            Some(done) => out.push_str(&format!(
                "{}: drained in {} (from {} to {})\n",
                i.name,
                duration_text(done - i.drain_started_at_ms),
                when(i.drain_started_at_ms),
                when(done)
            )),
            None => match i.drain_cancelled_at_ms {
                Some(at) => out.push_str(&format!(
                    "{}: drain cancelled at {}: set ACTIVE again before its tasks had stopped (started {})\n",
                    i.name,
                    when(at),
                    when(i.drain_started_at_ms)
                )),
                None => out.push_str(&format!(
                    "{}: not drained by the end of the run (started {})\n",
                    i.name,
                    when(i.drain_started_at_ms)
                )),
            },
        }
        out.push_str(&format!("  set DRAINING by {}", i.drain_started_by));
        match &i.deregistered {
            Some(d) => out.push_str(&format!("; INACTIVE at {} ({})\n", when(d.at_ms), d.by)),
            None => out.push('\n'),
        }
        if !i.spot_signals.is_empty() {
            let told: Vec<String> = i.spot_signals.iter().map(|s| format!("{} at {}", s.signal, when(s.at_ms))).collect();
            out.push_str(&format!("  EC2 gave it a Spot {}\n", told.join(", then an ")));
        }
        if let Some(t) = &i.terminated_by {
            // A termination begun after the drain completed did not drain it: it took the drained
            // instance away.
            let after = i.drain_completed_at_ms.is_some_and(|done| t.at_ms > done);
            if after {
                out.push_str(&format!(
                    "  after its drain completed, Auto Scaling group {} began to terminate it at {} ({}), and took the \
                     drained instance away\n",
                    t.auto_scaling_group_name,
                    when(t.at_ms),
                    t.cause
                ));
            } else {
                out.push_str(&began_to_terminate(t));
            }
            if let Some(h) = t.wait_ended.as_ref().and_then(|w| w.handed_over.as_ref()) {
                out.push_str(&format!(
                    "  {} timed out at {} ({}): the wait went on under ECS managed draining's lifecycle hook\n",
                    h.hook,
                    when(h.at_ms),
                    h.why
                ));
            }
            if let Some((w, h)) = t.wait_ended.as_ref().and_then(|w| Some((w, w.timed_out.as_ref()?))) {
                let then = if w.at_ms == h.at_ms {
                    "the group terminated it then".to_string()
                } else {
                    format!("the group terminated it at {}", when(w.at_ms))
                };
                let drain = if w.drain_completed { "after its drain completed" } else { "before its drain completed" };
                out.push_str(&format!("  {} timed out at {} ({}) {drain}: {then}\n", h.hook, when(h.at_ms), h.why));
            }
        }
        match (&i.last_task, i.drain_completed_at_ms) {
            (Some(t), _) if i.last_task_orphaned => {
                out.push_str(&format!("  the last task on it was {t}, orphaned with the instance, not stopped:\n"))
            }
            (Some(t), _) => out.push_str(&format!("  the last task to stop was {t}:\n")),
            // Nothing to wait for: no task was on it when it was set DRAINING.
            (None, Some(done)) if done == i.drain_started_at_ms => {
                out.push_str("  no task on it was left to stop: its drain was complete as it began\n")
            }
            _ => {}
        }
        // Whole seconds from the drain's start, rounded there: a stretch is the difference of its
        // rounded ends, so the stretches add up to the drain's rounded time (rounded one by one,
        // 54.53 s and 2.69 s read 55s and 3s of a drain of 57s). A stretch under a second keeps its
        // milliseconds.
        let second_of = |ms: u64| ms.saturating_sub(i.drain_started_at_ms).saturating_add(500) / 1000;
        for s in &i.critical_path {
            let ms = s.to_ms - s.from_ms;
            let shown = if ms < 1000 { ms } else { (second_of(s.to_ms) - second_of(s.from_ms)) * 1000 };
            out.push_str(&format!("    {:>8}  {}\n", duration_text(shown), s.why));
        }
        if !i.also_orphaned.is_empty() {
            let groups: Vec<String> = i
                .also_orphaned
                .iter()
                .map(|o| {
                    let noun = match &o.service_name {
                        Some(name) => format!("{name} task"),
                        None => "standalone task".to_string(),
                    };
                    let told = match (o.service_name.is_some(), o.never_told_to_stop) {
                        (false, _) => String::new(),
                        (true, 0) => ", told to stop".to_string(),
                        (true, n) if n == o.tasks => ", never told to stop".to_string(),
                        (true, n) => format!(", {n} never told to stop"),
                    };
                    format!("{}{told}", tasks_text(o.tasks, &noun))
                })
                .collect();
            out.push_str(&format!("  also orphaned with it, not STOPPED: {}\n", groups.join("; ")));
        }
        for h in &i.holding {
            out.push_str(&format!("  held by {h}\n"));
        }
    }
    out
}

/// The services', managed scaling's and the headline's part of `render_text`, after the instances.
fn render_rest(x: &Explanation, mut out: String) -> String {
    if !x.services.is_empty() {
        out.push_str("services:\n");
    }
    let listed = crate::outcome::listed_first(x.services.len(), crate::outcome::MAX_SERVICE_LINES, |k| x.services[k].notable);
    if listed.len() < x.services.len() {
        out.push_str(&format!(
            "  {} services, {} with a stall, a floor breach, a placement failure, an UNHEALTHY task or fewer running than \
             desired; explained: {} of them, those first (--json explains every service)\n",
            x.services.len(),
            x.services.iter().filter(|s| s.notable).count(),
            listed.len()
        ));
    }
    for s in listed.into_iter().map(|k| &x.services[k]) {
        out.push_str(&format!("  {}: {}\n", s.name, s.summary));
        for f in &s.findings {
            out.push_str(&format!("    - {f}\n"));
        }
    }
    if !x.managed_scaling.is_empty() {
        out.push_str("managed scaling:\n");
    }
    for m in &x.managed_scaling {
        out.push_str(&format!("  {}: {}\n", m.capacity_provider_name, m.summary));
        for f in &m.findings {
            out.push_str(&format!("    - {f}\n"));
        }
    }
    if !x.instance_refreshes.is_empty() {
        out.push_str("instance refreshes:\n");
    }
    for r in &x.instance_refreshes {
        out.push_str(&format!("  {r}\n"));
    }
    out.push_str(&format!("headline: {}\n", x.headline));
    out
}

#[cfg(test)]
mod tests {
    /// Two instances' explanations are alike when they differ only in the instance's name, as a
    /// whole name, and their tasks' IDs: instances `a` and `b` whose paths are the same group (the
    /// `a` of `drained` was once masked too, so they did not), and `old-1` is not `old-10`.
    #[test]
    fn alike_keys_mask_whole_names_and_task_ids() {
        let block = |name: &str, task: &str| {
            format!("{name}: drained in 52s\n  the last task to stop was web:task/{task}:\n    52s  waited on {name}\n")
        };
        assert_eq!(super::alike_key(&block("a", "1578f98e"), "a"), super::alike_key(&block("b", "0d2c44aa"), "b"));
        assert!(super::alike_key(&block("a", "1578f98e"), "a").contains("dr\u{61}ined"), "a word keeps its letters");
        assert_ne!(
            super::alike_key(&block("old-1", "1"), "old-1"),
            super::alike_key(&block("old-1", "1").replace("waited on old-1", "waited on old-10"), "old-1")
        );
    }

    use super::*;

    #[test]
    fn a_headline_lists_a_few_names_and_counts_the_rest() {
        assert_eq!(names_listed(&[], 5), "");
        assert_eq!(names_listed(&["old-1"], 5), "old-1");
        assert_eq!(names_listed(&["a", "b", "c", "d", "e"], 5), "a, b, c, d, e");
        assert_eq!(names_listed(&["a", "b", "c", "d", "e", "f", "g"], 5), "a, b, c, d, e and 2 more");
    }

    /// A task's stop moments say what its records say: its records of the statuses of its stop,
    /// in order, its first desired stop (the engine's `stoppingAt`), and each service's healthy
    /// times. The last scenario stops a task 60 days after it started, past what an offset of 32
    /// bits reaches.
    #[test]
    fn stop_moments_hold_what_the_records_say() {
        assert_eq!(std::mem::size_of::<StopMoments>(), 16);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        let mut scenarios: Vec<(String, crate::LoadedScenario)> = [
            "demo.ron",
            "drain/example06-pending-task-stopped.ron",
            "drain/example07-standalone-task-blocks-drain.ron",
            "drain/example08-daemon-service.ron",
            "drain/load-balancer-deregistration-delay.ron",
            "drain/drain-then-reactivate.ron",
            "faults/agent-disconnect-during-drain.ron",
            "faults/agent-flaps.ron",
        ]
        .into_iter()
        .map(|file| (file.to_string(), crate::load_file(&root.join(file)).expect("loads")))
        .collect();
        let sixty_days = r#"Scenario(name: "sixty-days", seed: 1, clusters: ["prod"],
            instances: [(name: "old", count: 1, cluster: "prod", instanceType: "m5.large", cpu: 1024, memory: 2048),
                        (name: "new", count: 1, cluster: "prod", instanceType: "m5.large", cpu: 1024, memory: 2048, registerAtMs: 5184000000)],
            taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 512, memory: 1024, exitAfterSigtermMs: 3000)])],
            services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 1, placementConstraints: [(type: "distinctInstance")])],
            steps: [(atMs: 5184000000, do: DrainInstances((cluster: "prod", instances: ["old"]))), (do: WaitForDrain((instances: ["old"], timeoutMs: 3600000)))],
        )"#;
        scenarios.push(("sixty-days".into(), crate::load_str("sixty-days.ron", sixty_days).expect("loads")));
        for (file, loaded) in scenarios {
            let kept = crate::runner::run(&loaded, &RunOptions { keep_records: true, ..Default::default() }).expect("runs");
            let e = &kept.engine;
            let mut history = TaskHistory::default();
            history.note(e, e.trace().records());
            let mut healthy: BTreeMap<ServiceId, Vec<u64>> = BTreeMap::new();
            let mut skipped_a_status = false;
            for t in e.tasks() {
                let mine = || e.trace().records().iter().filter(move |r| r.subject == Subject::Task(t.id()));
                let statuses: Vec<(u64, TaskStatus)> = mine()
                    .filter_map(|r| match r.change {
                        Change::TaskStatus { to, .. } => Some((r.time_ms, to)),
                        _ => None,
                    })
                    .collect();
                let of_stop: Vec<(u64, TaskStatus)> =
                    statuses.iter().copied().filter(|(_, s)| STOP_STATUSES.contains(s)).collect();
                let noted: Vec<(u64, TaskStatus)> = history.stop_statuses(t.id(), t.created_at_ms()).collect();
                assert_eq!(noted, of_stop, "{file}: task {:?}", t.id());
                skipped_a_status |= statuses.len() < TaskStatus::ALL.len() && t.last_status() == TaskStatus::Stopped;
                let told = mine().find(|r| r.change == Change::TaskDesiredStopped).map(|r| r.time_ms);
                assert_eq!(t.stopping_at_ms(), told, "{file}: task {:?}", t.id());
                if let Some(s) = t.service() {
                    healthy
                        .entry(s.id())
                        .or_default()
                        .extend(mine().filter(|r| matches!(r.change, Change::TaskHealthy { .. })).map(|r| r.time_ms));
                }
            }
            assert!(e.tasks().count() > 0, "{file}: tasks ran");
            if file == "sixty-days" {
                assert_eq!(history.far_ms.len(), 2, "{file}: STOPPING and STOPPED are 60 days after the first task's creation");
            }
            let mut noted = std::mem::take(&mut history.healthy_at);
            for times in noted.values_mut().chain(healthy.values_mut()) {
                times.sort_unstable();
            }
            healthy.retain(|_, times| !times.is_empty());
            assert_eq!(noted, healthy, "{file}");
            if file.contains("example06") {
                assert!(skipped_a_status, "{file}: a task stopped before it ran skips statuses");
            }
        }
    }

    /// Groups hold their members in the order met, and a group past the last is empty.
    #[test]
    fn grouped_tasks_keep_their_order() {
        let members = [(2, TaskId(0)), (0, TaskId(1)), (2, TaskId(2)), (2, TaskId(3))];
        let grouped = Grouped::of(|| members.into_iter());
        assert_eq!(grouped.get(0), &[TaskId(1)]);
        assert!(grouped.get(1).is_empty());
        assert_eq!(grouped.get(2), &[TaskId(0), TaskId(2), TaskId(3)]);
        assert!(grouped.get(3).is_empty() && grouped.get(usize::MAX).is_empty());
    }

    /// The explanation made from the records as they stream by is the one made from the kept trace.
    #[test]
    fn streamed_and_kept_records_explain_alike() {
        for (file, source) in [
            (crate::DEMO_FILE, crate::DEMO_SCENARIO),
            ("seed-min50-max200.ron", include_str!("../../../scenarios/drain/seed-min50-max200.ron")),
        ] {
            let loaded = crate::load_str(file, source).expect("loads");
            let kept = crate::runner::run(&loaded, &RunOptions { keep_records: true, ..Default::default() }).expect("runs");
            let (streamed_outcome, streamed) = run_explained(&loaded, &RunOptions::default()).expect("runs");
            let from_kept = explain(&kept).expect("the records were kept");
            assert!(!from_kept.instances.is_empty(), "{file}: a drained instance is explained");
            assert_eq!(streamed, from_kept, "{file}");
            assert!(streamed_outcome.engine.trace().records().is_empty(), "{file}: the streamed run keeps no trace");
            // A run without its records (the default), or whose records streamed away, is not
            // explained wrongly: it is refused (a library user got "set DRAINING by its
            // registration" for a drain a step began).
            let unkept = crate::runner::run(&loaded, &RunOptions::default()).expect("runs");
            assert_eq!(explain(&unkept), Err(RecordsNotKept), "{file}");
            assert_eq!(explain(&streamed_outcome), Err(RecordsNotKept), "{file}");
        }
    }
}
