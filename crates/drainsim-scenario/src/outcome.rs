//! What a run produced: the [`RunOutcome`] the runner returns and the report, the timeline and the
//! sweep read, with the verdicts of its steps and expectations. This module depends on nothing else
//! of the crate, so the runner, the expectations and the report never need each other's types.

use std::collections::BTreeMap;

use drainsim_core::{Engine, FaultProfile, InstanceStatus, StopReason};

/// The verdict of one expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectationResult {
    /// What was expected, as a sentence (`web-1 status DRAINING`, or the name given by `Named`).
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// What was observed.
    pub detail: String,
    /// Simulated time at which it was evaluated.
    pub at_ms: u64,
    /// The step (1-based) that evaluated it: a `Check` step's expectations and a step's own
    /// `expect:`; None for the expectations checked when the run ends.
    pub step: Option<usize>,
}

impl ExpectationResult {
    /// Whether it is a step's own result (its `expect:`), named `step N Operation: …` for its
    /// own step N, rather than an expectation a `Check` step evaluated, named as written.
    pub fn is_steps_own(&self) -> bool {
        self.step.is_some_and(|n| self.name.starts_with(&format!("step {n} ")))
    }

    /// Its name where runs of many seeds are counted together (a sweep's and a comparison's
    /// failed expectations): a `Check` step's expectation is named with its step (`step 3: web
    /// healthyCount = 4`), so that it is not counted with the same expectation at the end of the
    /// run; a step's own `expect:` (`step 2 WaitForDrain: succeeds`) and an end-of-run
    /// expectation keep their names.
    pub fn label(&self) -> String {
        match self.step {
            Some(step) if !self.is_steps_own() => format!("step {step}: {}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The result of one step.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    /// The step's position in the scenario's `steps`, from 0 (the text, expectation names and
    /// [`ExpectationResult::step`] number steps from 1: `step 1` is index 0).
    pub index: usize,
    /// Simulated time when the step began (its `atMs`, or when the step before it finished).
    pub started_at_ms: u64,
    /// Simulated time when the step finished.
    pub at_ms: u64,
    /// The action's name (`DrainInstances`, `UpdateContainerInstancesState`, ...).
    pub operation: &'static str,
    /// A one-line summary of the result, with instance names where ECS gives ARNs.
    pub summary: String,
}

/// The group's capacity at one moment of an instance refresh, after Auto Scaling's decisions of
/// that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshCapacitySample {
    /// Simulated time.
    pub at_ms: u64,
    /// Instances launched and not yet registered (`Pending`).
    pub pending: u32,
    /// Instances `InService` (registered; warming up or healthy).
    pub in_service: u32,
    /// `InService` instances past their warmup, not being terminated.
    pub healthy: u32,
}

/// One datapoint of a capacity provider's managed scaling, taken when something in it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManagedScalingSample {
    /// Simulated time (a whole minute).
    pub at_ms: u64,
    /// N: the group's InService instances.
    pub instances_running: u32,
    /// M: the instances its tasks need (those running a non-daemon task, or N and the scale-out
    /// step the tasks waiting PROVISIONING call for).
    pub instances_needed: u32,
    /// CapacityProviderReservation, in hundredths of a percent.
    pub capacity_provider_reservation_hundredths: u64,
    /// Tasks of the provider waiting PROVISIONING in its cluster.
    pub tasks_provisioning: u32,
    /// The group's desired capacity after the datapoint.
    pub desired_capacity: u32,
    /// The group's desired capacity when the datapoint was taken: a difference with the previous
    /// sample's `desired_capacity` is someone else's doing (a step, a request, a refresh), only
    /// `desired_capacity_before` -> `desired_capacity` is the datapoint's.
    pub desired_capacity_before: u32,
}

/// What the managed scaling of one capacity provider did over a run (ECS cluster auto scaling).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ManagedScalingOutcome {
    /// The capacity provider's name.
    pub capacity_provider_name: String,
    /// Its Auto Scaling group.
    pub auto_scaling_group_name: String,
    /// `targetCapacity`.
    pub target_capacity: u32,
    /// The group's `MinSize`.
    pub min_size: u32,
    /// The group's `MaxSize`.
    pub max_size: u32,
    /// The group's desired capacity when the run began.
    pub initial_desired_capacity: u32,
    /// The datapoints at which something changed, in time order (at most 10,000).
    pub samples: Vec<ManagedScalingSample>,
    /// Whether datapoints that changed something were left out past the bound.
    pub samples_truncated: bool,
    /// Datapoints that raised the desired capacity.
    pub scale_outs: u32,
    /// Datapoints that lowered it.
    pub scale_ins: u32,
    /// Instances it launched to raise the group's capacity (not the group's replacements of Spot
    /// Instances EC2 terminated).
    pub instances_launched: u32,
    /// Instances it began to terminate.
    pub instances_terminated: u32,
    /// The first ECS request of the group that was refused, if any (the group goes on).
    pub error: Option<String>,
}

/// One instance refresh (DescribeInstanceRefreshes' `InstanceRefresh`, with drainsim's record of
/// it over time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRefreshOutcome {
    /// `InstanceRefreshId`: derived from the group's name and the start time.
    pub instance_refresh_id: String,
    /// `AutoScalingGroupName`.
    pub auto_scaling_group_name: String,
    /// `Status`: `Successful`, `Failed` (ScaleInProtectedInstances: Wait), or `InProgress` (the run ended first).
    pub status: String,
    /// `StatusReason`.
    pub status_reason: Option<String>,
    /// When it started (simulated ms).
    pub start_time_ms: u64,
    /// When it ended (simulated ms), if it did.
    pub end_time_ms: Option<u64>,
    /// `InstancesToUpdate`: the instances still to update when it ended (the refresh's
    /// instances to update less its replacements done).
    pub instances_to_update: u32,
    /// `PercentageComplete` at the end: the share of the instances to update whose replacement
    /// is done (the old instance terminated, the new one healthy and past its warmup).
    pub percentage_complete: u32,
    /// `PercentageComplete` over time: (simulated ms, percent) at each change.
    pub percentage_complete_over_time: Vec<(u64, u32)>,
    /// The desired capacity it kept.
    pub desired_capacity: u32,
    /// The fewest healthy instances MinHealthyPercentage allows (rounded up).
    pub min_healthy_instances: u32,
    /// The most Pending and InService instances MaxHealthyPercentage allows (rounded down, at
    /// least the desired capacity).
    pub max_instances: u32,
    /// The group's capacity at every moment it changed.
    pub capacity: Vec<RefreshCapacitySample>,
}

impl InstanceRefreshOutcome {
    /// How long it took, `EndTime` − `StartTime` (`None` while it had not ended): what `explain`
    /// says of it and a sweep's `instanceRefreshes` count.
    pub fn duration_ms(&self) -> Option<u64> {
        self.end_time_ms.map(|end| end.checked_sub(self.start_time_ms).expect("a refresh ends after it starts"))
    }
}

/// An instance an Auto Scaling group began to terminate, and why (what `drainsim explain` says of
/// an instance a group drained and deregistered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTermination {
    /// The instance, by its name in the scenario.
    pub instance: String,
    /// The group (`AutoScalingGroupName`).
    pub auto_scaling_group_name: String,
    /// When the group began to terminate it (simulated ms).
    pub at_ms: u64,
    /// What made the group terminate it.
    pub cause: TerminationCause,
    /// How its termination went on in ECS.
    pub path: TerminationPath,
    /// How its `Terminating:Wait` ended, when a lifecycle hook held it and the wait ended in the
    /// run (None when it was terminated at once, or still waited at the end).
    pub wait: Option<TerminationWait>,
}

/// How a lifecycle hook's wait of an instance in `Terminating:Wait` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminationWait {
    /// When the wait ended and the group terminated the instance (simulated ms).
    pub ended_at_ms: u64,
    /// Whether its drain was complete then (false for an instance nothing drained).
    pub drain_completed: bool,
    /// The hook whose timeout ended the wait, or that timed out before a drain ended it (None
    /// when the drain's completion ended every hook in time).
    pub timed_out: Option<HookTimeout>,
    /// The group's own hook when it timed out first, with `DefaultResult` CONTINUE, and the wait
    /// went on under ECS managed draining's hook, which then timed out too (`timed_out`): where
    /// the wait the user set became managed draining's 48 hours (None otherwise).
    pub handed_over: Option<HookTimeout>,
}

/// A lifecycle hook that timed out while it held an instance in `Terminating:Wait`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookTimeout {
    /// The group's own termination hook, after its `HeartbeatTimeout` with no heartbeat, or with
    /// heartbeats recorded after its global timeout (the smaller of 48 hours and 100 ×
    /// `HeartbeatTimeout`; <https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html>).
    LifecycleHook {
        /// `LifecycleHookName`.
        lifecycle_hook_name: String,
        /// When it timed out (simulated ms).
        at_ms: u64,
        /// `HeartbeatTimeout`, in seconds.
        heartbeat_timeout_s: u32,
        /// Whether heartbeats were recorded (`recordHeartbeats`): then it ran to the global timeout.
        heartbeats_recorded: bool,
        /// `DefaultResult`: `CONTINUE` or `ABANDON`.
        default_result: String,
    },
    /// ECS managed draining's hook, after 48 hours
    /// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html>).
    ManagedDraining {
        /// When it timed out (simulated ms).
        at_ms: u64,
    },
}

impl HookTimeout {
    /// When it timed out (simulated ms).
    pub fn at_ms(&self) -> u64 {
        match self {
            HookTimeout::LifecycleHook { at_ms, .. } | HookTimeout::ManagedDraining { at_ms } => *at_ms,
        }
    }

    /// The hook, as `explain` names it: `lifecycle hook drain`, `ECS managed draining's lifecycle
    /// hook`.
    pub fn hook(&self) -> String {
        match self {
            HookTimeout::LifecycleHook { lifecycle_hook_name, .. } => format!("lifecycle hook {lifecycle_hook_name}"),
            HookTimeout::ManagedDraining { .. } => "ECS managed draining's lifecycle hook".into(),
        }
    }

    /// Why it timed out then, in words, as `explain` writes it.
    pub fn describe(&self) -> String {
        match self {
            HookTimeout::LifecycleHook { heartbeat_timeout_s, heartbeats_recorded: false, default_result, .. } => {
                format!("HeartbeatTimeout {heartbeat_timeout_s} s passed without a heartbeat; DefaultResult {default_result}")
            }
            HookTimeout::LifecycleHook { heartbeat_timeout_s, heartbeats_recorded: true, default_result, .. } => format!(
                "heartbeats kept it waiting to the global timeout, the smaller of 48 hours and 100 × HeartbeatTimeout {heartbeat_timeout_s} s; DefaultResult {default_result}"
            ),
            HookTimeout::ManagedDraining { .. } => "ECS waits at most 48 hours for a drain".into(),
        }
    }
}

/// What made an Auto Scaling group terminate an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationCause {
    /// A StartInstanceRefresh replaced it.
    InstanceRefresh,
    /// A SetDesiredCapacity step scaled the group in.
    SetDesiredCapacity,
    /// Its capacity provider's managed scaling scaled the group in.
    ManagedScaling,
    /// Capacity Rebalancing replaced it, a Spot Instance EC2 signalled at risk (the signal it had
    /// when the group began to terminate it).
    CapacityRebalancing(drainsim_core::SpotSignal),
    /// It had been in service for the group's `MaxInstanceLifetime`.
    MaxInstanceLifetime,
    /// A TerminateInstanceInAutoScalingGroup step named it.
    TerminateInstanceInAutoScalingGroup,
    /// A TerminateInstanceInAutoScalingGroup step lowered the desired capacity while the instance
    /// it named no longer counted toward it (being replaced), and the group scaled in to meet it.
    DesiredCapacityDecremented,
    /// The group scaled in to a desired capacity it had been kept above (its instances protected
    /// from scale in) once protection no longer kept them: SetInstanceProtection removed it, or
    /// ECS's managed termination protection did at a datapoint where managed scaling had not
    /// lowered the desired capacity itself. Auto Scaling's activity says "in response to a
    /// difference between desired and actual capacity"
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html>:
    /// the group "can't terminate the required number of instances until their instance scale-in
    /// protection settings are disabled").
    CapacityDifference,
}

impl TerminationCause {
    /// In words, as `explain` writes it.
    pub fn describe(self) -> String {
        match self {
            TerminationCause::InstanceRefresh => "its instance refresh".into(),
            TerminationCause::SetDesiredCapacity => "a SetDesiredCapacity scale-in".into(),
            TerminationCause::ManagedScaling => "managed scaling's scale-in".into(),
            TerminationCause::CapacityRebalancing(signal) => format!("Capacity Rebalancing, on its {}", signal.as_str()),
            TerminationCause::MaxInstanceLifetime => "its maximum instance lifetime".into(),
            TerminationCause::TerminateInstanceInAutoScalingGroup => "a TerminateInstanceInAutoScalingGroup request".into(),
            TerminationCause::DesiredCapacityDecremented => {
                "the scale-in to the desired capacity a TerminateInstanceInAutoScalingGroup request lowered".into()
            }
            TerminationCause::CapacityDifference => {
                "a scale-in to its desired capacity, once scale-in protection no longer kept the instance".into()
            }
        }
    }
}

/// How an instance's termination by its Auto Scaling group went on in ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminationPath {
    /// Held by the capacity provider's managed draining, which set it DRAINING.
    ManagedDraining,
    /// Held by the group's termination lifecycle hook, whose handler set it DRAINING.
    LifecycleHookDrain,
    /// Held by the group's termination lifecycle hook, which nothing drains it for: it waits for
    /// the hook's timeout.
    LifecycleHookWait,
    /// Terminated at once, its tasks with it.
    Immediate,
}

impl TerminationPath {
    /// In words, as `explain` writes it.
    pub fn describe(self) -> &'static str {
        match self {
            TerminationPath::ManagedDraining => "ECS managed draining drained it",
            TerminationPath::LifecycleHookDrain => "its termination lifecycle hook's handler drained it",
            TerminationPath::LifecycleHookWait => "its termination lifecycle hook held it, undrained, until the hook timed out",
            TerminationPath::Immediate => "terminated at once, with whatever ran on it",
        }
    }
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunOutcome {
    /// The engine as the run left it (its trace, and its state for reports and expectations).
    pub engine: Box<Engine>,
    /// The scenario's `name`.
    pub scenario_name: String,
    /// The seed the run used (the scenario's, or the one given on the command line).
    pub seed: u64,
    /// Why the run stopped: quiet, its end time, or its event bound.
    pub stop_reason: StopReason,
    /// One outcome per step that ran, in order.
    pub steps: Vec<StepOutcome>,
    /// The verdicts of the steps' expectations, of `Check` steps and of the end-of-run
    /// expectations, in the order they were evaluated.
    pub expectations: Vec<ExpectationResult>,
    /// Invariant violation found at the end of the run, if any.
    pub invariant_violation: Option<String>,
    /// The fault profile of the run when it injects faults (from the scenario or `--faults swarm`).
    pub fault_profile: Option<FaultProfile>,
    /// The instance refreshes its StartInstanceRefresh steps ran, in order.
    pub instance_refreshes: Vec<InstanceRefreshOutcome>,
    /// The managed scaling of each capacity provider that has it ENABLED, in the scenario's
    /// order of Auto Scaling groups.
    pub managed_scaling: Vec<ManagedScalingOutcome>,
    /// The instances the Auto Scaling groups began to terminate, in the order they did.
    pub group_terminations: Vec<GroupTermination>,
}

impl RunOutcome {
    /// The drains the run's drain times count ([`DrainScope`]).
    pub fn drain_scope(&self) -> DrainScope {
        DrainScope::of(&self.engine, self.group_terminations.iter().map(|t| (t.instance.as_str(), t.at_ms, t.cause)))
    }

    /// Whether every expectation held and no invariant was violated.
    pub fn passed(&self) -> bool {
        self.invariant_violation.is_none() && self.expectations.iter().all(|e| e.passed)
    }

    /// What failed, one line each, as the text report writes it (`FAIL step 2 at +00:01:00.000:
    /// web runningCount = 4  (observed 3)`, `FAIL invariant: …`); empty when the run passed. For
    /// a test: `assert!(outcome.passed(), "{}", outcome.failures_text())`.
    pub fn failures_text(&self) -> String {
        let mut text = String::new();
        for x in self.expectations.iter().filter(|x| !x.passed) {
            let when = drainsim_core::time::format_sim_time(x.at_ms);
            let name = match x.step {
                Some(n) if !x.is_steps_own() => format!("step {n} at {when}: {}", x.name),
                _ => format!("{} (at {when})", x.name),
            };
            text.push_str(&format!("FAIL {name}  ({})\n", x.detail));
        }
        if let Some(v) = &self.invariant_violation {
            text.push_str(&format!("FAIL invariant: {v}\n"));
        }
        text
    }

    /// The simulated time of the first failed expectation.
    pub fn first_failure_at_ms(&self) -> Option<u64> {
        first_failure_at_ms(&self.expectations)
    }
}

/// The simulated time of the first failed result among `results`.
pub(crate) fn first_failure_at_ms(results: &[ExpectationResult]) -> Option<u64> {
    results.iter().filter(|e| !e.passed).map(|e| e.at_ms).min()
}

/// The most services a text report lists one by one (`run`, `explain`, `sweep`, `compare`); past
/// it, the ones worth a look first and a line that counts the rest (a cluster of 1,000 services
/// printed a line, or two rows, for each). The JSON outputs list every one.
pub const MAX_SERVICE_LINES: usize = 50;

/// Whether a service is worth a look in a text report: it stalled, fell below its floor, failed a
/// placement, had a task found UNHEALTHY, or ended short of its desired count.
pub fn service_is_notable(s: &drainsim_core::ServiceView) -> bool {
    !s.stalls().is_empty()
        || !s.floor_breaches().is_empty()
        || s.placement_failures().next().is_some()
        || s.unhealthy_tasks() > 0
        || s.running_count() < s.desired_count()
}

/// Which of `len` items a text report lists when it lists at most `bound`: every one up to the
/// bound; past it, those `notable` picks first, then the others, up to the bound, each kept in
/// its place (indices in increasing order).
pub fn listed_first(len: usize, bound: usize, notable: impl Fn(usize) -> bool) -> Vec<usize> {
    if len <= bound {
        return (0..len).collect();
    }
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by_key(|&k| (!notable(k), k));
    let mut chosen: Vec<usize> = order.into_iter().take(bound).collect();
    chosen.sort_unstable();
    chosen
}

/// Whether an instance's drain was cancelled: started, not complete, and the instance ACTIVE again.
/// Such a drain counts neither as complete nor as open (here, in `drainsim explain`'s headline and
/// in a sweep's `noDrainRuns`).
pub fn drain_cancelled(i: &drainsim_core::InstanceView) -> bool {
    drain_cancelled_at(i).is_some()
}

/// When an instance's drain was cancelled ([`drain_cancelled`]), if it was: what the text report,
/// `--json` and `explain` say of it.
pub fn drain_cancelled_at(i: &drainsim_core::InstanceView) -> Option<u64> {
    // The instance table notes a cancellation (its drain not complete when it was set ACTIVE, and
    // no drain since): what is left to ask is whether it is still ACTIVE.
    i.drain_cancelled_at_ms().filter(|_| i.status() == InstanceStatus::Active)
}

/// How many of a DAEMON service's tasks at its `maxTasksObserved` were above the ceiling of that
/// instant (None for a REPLICA service, or none above): a DAEMON's ceiling is its ACTIVE
/// instances' count, and its tasks on DRAINING instances, which stop last, are above it and not
/// bound by it. What the text report and `explain` add to the figure, so that it does not read as
/// a ceiling crossed.
pub fn daemon_tasks_above_ceiling(s: &drainsim_core::ServiceView) -> Option<u32> {
    if s.scheduling_strategy() != drainsim_core::SchedulingStrategy::Daemon {
        return None;
    }
    let above = s.max_tasks_observed()?.checked_sub(s.ceiling_at_max_tasks_observed()?)?;
    (above > 0).then_some(above)
}

/// Which drains a run's drain times count: every drain that was not cancelled
/// ([`drain_cancelled`]), but those managed scaling's scale-in began. A capacity provider's
/// managed scaling shrinks its group once the cluster is below its target for 15 minutes, through
/// managed draining: after an instance refresh that launched more than it terminated, say, it
/// drains the group's spare instances half an hour after the plan. Counted, those drains made
/// the plan's own drains (its steps', its refreshes', Spot's) look 20 minutes longer, and
/// `compare` called the slower of two plans the faster. An instance the plan had set DRAINING
/// before managed scaling took it is the plan's drain. A run whose only drains managed scaling
/// began (a scenario of the scale-in itself) counts them: they are the drains then. `run`'s
/// headline and drains section name the drains left out; `compare` counts them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainScope {
    /// The instances managed scaling began to terminate, by name: when it did.
    scaled_in_at_ms: BTreeMap<String, u64>,
}

impl DrainScope {
    /// From the Auto Scaling groups' terminations so far: (instance, when, why).
    pub fn of<'a>(e: &Engine, terminations: impl IntoIterator<Item = (&'a str, u64, TerminationCause)>) -> Self {
        let mut scope = DrainScope::default();
        for (instance, at_ms, cause) in terminations {
            if cause == TerminationCause::ManagedScaling {
                scope.scaled_in_at_ms.entry(instance.to_string()).or_insert(at_ms);
            }
        }
        // No other drain: the scale-in's are the run's drains.
        if !scope.scaled_in_at_ms.is_empty()
            && !e.instances().any(|i| i.drain().started_at_ms().is_some() && !drain_cancelled(&i) && !scope.begun_by_scale_in(&i))
        {
            scope.scaled_in_at_ms.clear();
        }
        scope
    }

    /// Whether managed scaling's scale-in began this instance's (last) drain: it began to
    /// terminate the instance before anything else set it DRAINING.
    pub fn begun_by_scale_in(&self, i: &drainsim_core::InstanceView) -> bool {
        match (self.scaled_in_at_ms.get(i.name()), i.drain().started_at_ms()) {
            (Some(at), Some(started)) => started >= *at,
            _ => false,
        }
    }

    /// Whether the run's drain times count this instance's drain: it started, was not cancelled,
    /// and managed scaling's scale-in did not begin it.
    pub fn counts(&self, i: &drainsim_core::InstanceView) -> bool {
        i.drain().started_at_ms().is_some() && !drain_cancelled(i) && !self.begun_by_scale_in(i)
    }

    /// The drains managed scaling's scale-in began (not cancelled), in registration order.
    pub fn scale_in_drains<'e>(&self, e: &'e Engine) -> Vec<drainsim_core::InstanceView<'e>> {
        if self.scaled_in_at_ms.is_empty() {
            return Vec::new();
        }
        e.instances().filter(|i| !drain_cancelled(i) && self.begun_by_scale_in(i)).collect()
    }
}

/// The slowest of the drains that count ([`DrainScope::counts`]) and completed: its duration,
/// from its start to its completion, and its instance (ties: the first name). `run`'s headline
/// names it; `compare` measures it, which tells plans apart where the total drain time spans
/// drains far apart (Spot interruptions an hour apart, waves).
pub fn slowest_completed_drain(e: &Engine, scope: &DrainScope) -> Option<(u64, String)> {
    e.instances()
        .filter(|i| scope.counts(i))
        .filter_map(|i| {
            let (start, end) = (i.drain().started_at_ms()?, i.drain().completed_at_ms()?);
            Some((end.saturating_sub(start), i.name().to_string()))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
}

/// When the first drain that counts began ([`DrainScope::counts`]: not cancelled, not begun by
/// managed scaling's scale-in). None when the run drained nothing, or set every instance it
/// drained ACTIVE again before its drain completed. `run`'s headline, `drainsim explain`, a
/// sweep's `noDrainRuns` and `compare`'s total drain time all count drains by it.
pub fn first_drain_started_at(e: &Engine, scope: &DrainScope) -> Option<u64> {
    e.instances().filter(|i| scope.counts(i)).filter_map(|i| i.drain().started_at_ms()).min()
}

/// The run's total drain time: from the first drain's start ([`first_drain_started_at`]) to the
/// moment every drain was complete ([`all_drains_completed_at`]), a cancelled drain counting
/// neither as complete nor as open: `run`'s headline, `drainsim explain`'s `totalDrainMs` and
/// `compare`'s total drain time. None when a drain never completed, and when nothing counts as
/// drained (tell the two apart with [`first_drain_started_at`]).
pub fn total_drain_ms(e: &Engine, scope: &DrainScope) -> Option<u64> {
    let first = first_drain_started_at(e, scope)?;
    all_drains_completed_at(e, scope).map(|end| end.saturating_sub(first))
}

/// How many tasks a forced deregistration of each instance left behind before they reached
/// STOPPED (only instances that have some): a drain that "completed" so ended because its instance
/// went, with those tasks still running or stopping, not because they stopped. One pass over the
/// tasks.
pub fn orphaned_tasks_by_instance(e: &Engine) -> BTreeMap<String, u32> {
    orphaned_tasks_where(e, |_| true)
}

/// Of [`orphaned_tasks_by_instance`], the tasks that were on the instance when its (last) drain
/// completed: only those made the drain end by the instance going rather than by their stopping.
/// A task placed after the drain completed — the instance set ACTIVE again, then deregistered with
/// `force` — orphaned by a later deregistration says nothing about the drain.
pub fn orphaned_tasks_ending_drains(e: &Engine) -> BTreeMap<String, u32> {
    orphaned_tasks_where(e, |t| {
        let drain = t.instance().drain();
        matches!((drain.started_at_ms(), drain.completed_at_ms()), (Some(_), Some(c)) if t.created_at_ms() <= c)
    })
}

/// Whether a task was orphaned with an instance that went away undrained (a Spot Instance
/// terminated without its notice draining it, a group's termination without managed draining, a
/// forced deregistration): `explain`'s `gone without a drain`, and the headline's.
pub fn orphaned_undrained(t: &drainsim_core::TaskView) -> bool {
    t.orphaned() && t.instance().drain().started_at_ms().is_none()
}

/// Of [`orphaned_tasks_by_instance`], those of instances that went away undrained
/// ([`orphaned_undrained`]).
pub fn orphaned_tasks_gone_undrained(e: &Engine) -> BTreeMap<String, u32> {
    orphaned_tasks_where(e, |t| t.instance().drain().started_at_ms().is_none())
}

/// The orphaned tasks `keep` takes, counted by their instance's name.
fn orphaned_tasks_where(e: &Engine, keep: impl Fn(&drainsim_core::TaskView) -> bool) -> BTreeMap<String, u32> {
    let mut orphaned = BTreeMap::new();
    for t in e.tasks().filter(|t| t.orphaned() && keep(t)) {
        *orphaned.entry(t.instance().name().to_string()).or_insert(0u32) += 1;
    }
    orphaned
}

/// From the first drain's start ([`first_drain_started_at`]) to the last completion among the
/// drains that completed (a cancelled drain counting as none), and how many drains did not
/// complete: what `compare` measures where a drain never completes in any run (an instance
/// captured DRAINING with a standalone task, which ECS never stops), so that the total drain time
/// is undefined for every plan and the plans' own drains still differ. The time is None when no
/// drain completed; (Some(0), 0) when nothing was drained.
pub fn completed_drains(e: &Engine, scope: &DrainScope) -> (Option<u64>, u64) {
    let Some(first) = first_drain_started_at(e, scope) else { return (Some(0), 0) };
    let (last, open) = drain_ends(e, scope);
    (last.map(|l| l.saturating_sub(first)), open)
}

/// Over the drains that count ([`DrainScope::counts`]; an instance re-activated or deregistered
/// after its drain keeps its record): the last completion among those that completed, and how
/// many did not complete.
fn drain_ends(e: &Engine, scope: &DrainScope) -> (Option<u64>, u64) {
    let (mut last, mut open) = (None, 0u64);
    for i in e.instances().filter(|i| scope.counts(i)) {
        match i.drain().completed_at_ms() {
            Some(c) => last = Some(last.map_or(c, |l: u64| l.max(c))),
            None => open += 1,
        }
    }
    (last, open)
}

/// An instance a request asked to set DRAINING, which ECS refused (its status could not move:
/// UpdateContainerInstancesState's per-instance failure), and which never drained in the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedDrain {
    /// The instance's name.
    pub instance: String,
    /// When the first such request was refused.
    pub at_ms: u64,
    /// Its status then, the failure's reason (`REGISTERING`, `REGISTRATION_FAILED`,
    /// `DEREGISTERING`, `INACTIVE`).
    pub status: drainsim_core::InstanceStatus,
}

/// The drains a run asked for that ECS refused and that never began ([`RefusedDrain`]), in
/// registration order: not drains, so no drain time counts them, but the headline, the text and
/// JSON reports and a sweep name them — "every drain complete" must not be said of a plan ECS
/// refused part of. Reads only the instances a drain was refused for.
pub fn refused_drains(e: &Engine) -> Vec<RefusedDrain> {
    e.instances_drain_refused()
        .filter(|i| i.drain().started_at_ms().is_none())
        .filter_map(|i| i.drain_refused().map(|(at_ms, status)| RefusedDrain { instance: i.name().to_string(), at_ms, status }))
        .collect()
}

/// When the last of the drains that count ([`DrainScope::counts`]) completed; None if any did not
/// complete (or none started).
pub fn all_drains_completed_at(e: &Engine, scope: &DrainScope) -> Option<u64> {
    match drain_ends(e, scope) {
        (last, 0) => last,
        _ => None,
    }
}

/// The cluster settling at start-up, which is no finding of a run: a stall that began at time 0
/// with no ACTIVE instance to place on (`NO_INSTANCES`) in a cluster whose instances of time 0
/// include a trunked one — the setup creates its services in the instant it registers its
/// instances, and a trunked instance stays REGISTERING until its trunk ENI attaches, about 17 s —
/// and that ended before the first drain began (with no drain, that ended). The run's warnings
/// ([`unmentioned_findings`], `--strict`), the chart's choice of troubled services, the `NoStalls`
/// expectation and a sweep's stall counts pass it by; the reports and `Stalled` still see it. (`compare` leaves out every stall over before the
/// first drain, whatever its cause: it measures the plan, which begins with the drain; a run's
/// warnings are about the whole run, so only this artifact of the setup is passed by.) A cluster
/// with no instance at time 0 (its instances register later) is waited for: a finding.
#[derive(Debug, Default)]
pub struct StartupSettling {
    /// The clusters with a trunked instance registered at or before time 0.
    clusters: std::collections::BTreeSet<String>,
    first_drain_ms: Option<u64>,
}

impl StartupSettling {
    /// From the end of a run: one pass over the instances.
    pub fn of(outcome: &RunOutcome) -> Self {
        Self::of_engine(&outcome.engine, &outcome.drain_scope())
    }

    /// From the engine and the drains the run counts (what an expectation is judged with).
    pub fn of_engine(e: &drainsim_core::Engine, scope: &DrainScope) -> Self {
        StartupSettling {
            clusters: e
                .instances()
                .filter(|i| i.registered_at_ms() <= 0 && i.trunked())
                .map(|i| i.cluster().to_string())
                .collect(),
            first_drain_ms: first_drain_started_at(e, scope),
        }
    }

    /// Whether `st`, a stall of service `s`, is the cluster settling at start-up.
    pub fn passes_by(&self, s: &drainsim_core::ServiceView, st: &drainsim_core::Episode<drainsim_core::StallReason>) -> bool {
        st.started_at_ms == 0
            && st.reason == drainsim_core::StallReason::Placement(drainsim_core::PlacementFailureReason::NoInstances)
            && st.ended_at_ms.is_some_and(|end| self.first_drain_ms.is_none_or(|first| end <= first))
            && self.clusters.contains(s.cluster())
    }
}

/// What a run found that no expectation of the scenario mentions: a service that fell below its
/// floor, or stalled (not the cluster settling at start-up, [`StartupSettling`]), while no
/// expectation about that service's floor or stalls was written. The text output prints them as
/// warnings; `--strict` fails the run on them.
pub fn unmentioned_findings(scenario: &crate::format::Scenario, outcome: &RunOutcome) -> Vec<String> {
    use crate::format::{Action, Expectation as X};
    /// The services and instances the expectations mention, by what they judge.
    #[derive(Default)]
    struct Mentioned<'a> {
        breaches: Vec<&'a str>,
        stalls: Vec<&'a str>,
        drains: Vec<&'a str>,
        /// `TasksOrphaned`: every drain's orphans are judged.
        all_drains: bool,
    }
    fn collect<'a>(x: &'a X, m: &mut Mentioned<'a>) {
        match x {
            X::FloorBreaches(s, _)
            | X::FloorBreachCause(s, _)
            | X::MinHealthyObserved(s, _)
            | X::FloorAtMinHealthyObserved(s, _)
            | X::DeepestDipBelowFloor(s, _) => m.breaches.push(s),
            X::Stalled(s, _) | X::NoStalls(s) => m.stalls.push(s),
            X::DrainCompletedBy(i, _)
            | X::DrainCompletedWithin(i, _)
            | X::DrainNotCompletedBy(i, _)
            | X::DrainEndedBy(i, _)
            | X::DrainNotEndedBy(i, _)
            | X::OrphanedTasks(i, _) => m.drains.push(i),
            X::TasksOrphaned(_) => m.all_drains = true,
            X::Named(_, inner) => collect(inner, m),
            _ => {}
        }
    }
    let mut mentioned = Mentioned::default();
    let in_steps = scenario.steps.iter().filter_map(|st| match &st.action {
        Action::Check(list) => Some(list.iter()),
        _ => None,
    });
    for x in scenario.expectations.iter().chain(in_steps.flatten()) {
        collect(x, &mut mentioned);
    }
    let Mentioned { breaches, stalls, drains, all_drains } = mentioned;
    let mut out = Vec::new();
    let settling = StartupSettling::of(outcome);
    for s in outcome.engine.services() {
        let name = s.name();
        if let Some(first) = s.floor_breaches().first() {
            if !breaches.contains(&name) {
                out.push(format!(
                    "service {name} fell below its floor {}, first at {} ({}), and no expectation mentions it",
                    times(s.floor_breaches().len()),
                    drainsim_core::time::format_sim_time(first.started_at_ms),
                    first.reason.as_str()
                ));
            }
        }
        let found: Vec<_> = s.stalls().iter().filter(|st| !settling.passes_by(&s, st)).collect();
        if let Some(first) = found.first() {
            if !stalls.contains(&name) {
                out.push(format!(
                    "service {name} stalled {}, first at {} ({}), and no expectation mentions it",
                    times(found.len()),
                    drainsim_core::time::format_sim_time(first.started_at_ms),
                    first.reason.as_str()
                ));
            }
        }
    }
    // A drain that ended because its instance went with tasks not yet STOPPED (a lifecycle hook's
    // timeout, managed draining's 48 hours, a forced deregistration): their connections were cut.
    for (name, n) in orphaned_tasks_ending_drains(&outcome.engine) {
        if !all_drains && !drains.contains(&name.as_str()) {
            let ended = outcome.engine.instance_named(&name).and_then(|i| i.drain().completed_at_ms());
            out.push(format!(
                "the drain of {name} ended{} with {n} task(s) not yet STOPPED, orphaned when the instance went away, and no expectation mentions it",
                ended.map_or(String::new(), |t| format!(" at {}", drainsim_core::time::format_sim_time(t)))
            ));
        }
    }
    out
}

/// A run of a scenario with pinned `explore.choices` that did not take them as written
/// ([`drainsim_core::Engine::choice_departure`]), as a warning: the choices were written for
/// another path (the scenario was edited after `drainsim explore` wrote it), so the run replays
/// some other path, and a value past its outcomes would otherwise be taken as the last one without
/// a word.
pub fn choice_departure_warning(e: &Engine) -> Option<String> {
    let why = match e.choice_departure()? {
        drainsim_core::ChoiceDeparture::PastArity { index, pinned, arity } => format!(
            "explore.choices[{index}] is {pinned}, but that choice point has {arity} outcomes (0 to {}): the run took {}",
            arity - 1,
            arity - 1
        ),
        drainsim_core::ChoiceDeparture::Unused { unused } => {
            format!("the run met fewer choice points than explore.choices lists: the last {unused} were never taken")
        }
    };
    Some(format!(
        "{why}; the choices were written for another path (was the scenario edited after drainsim explore wrote it?), \
         so this run is not that path"
    ))
}

/// The `--account-default NAME=VALUE` overrides nothing in a run read, each as a warning: every
/// principal that resolved the setting had its own, or the root user had one
/// ([`drainsim_core::Engine::account_default_read`]). An imported cluster's instances register
/// with the trunking they were captured with, so `--account-default awsvpcTrunking=…` once
/// compared two identical plans without a word.
pub fn unread_account_defaults(e: &Engine, overrides: &[(String, String)]) -> Vec<String> {
    overrides
        .iter()
        .filter(|(name, _)| e.account_default_read(name).is_ok_and(|read| !read))
        .map(|(name, value)| {
            format!(
                "--account-default {name}={value} changed nothing: nothing in the run took {name} from the account default \
                 (each principal that asked had its own setting, or the root user had one — an imported cluster's \
                 instances keep the trunking and ARN formats they were captured with —, or nothing drainsim models \
                 reads {name})"
            )
        })
        .collect()
}

/// How many times: `once`, `twice`, `3 times`.
fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

#[cfg(test)]
mod tests {
    use super::ExpectationResult;

    /// Counted over many runs, a `Check` step's failed expectation is told apart from the same
    /// expectation at the run's end by its step (a scripting helper found `web healthyCount = 4`
    /// listed twice in a sweep's failures, with no step to tell which); a step's own `expect:`
    /// already names its step.
    #[test]
    fn a_checked_expectation_is_labelled_with_its_step() {
        let result = |name: &str, step: Option<usize>| ExpectationResult {
            name: name.into(),
            passed: false,
            detail: String::new(),
            at_ms: 0,
            step,
        };
        assert_eq!(result("web healthyCount = 4", Some(3)).label(), "step 3: web healthyCount = 4");
        assert_eq!(result("web healthyCount = 4", None).label(), "web healthyCount = 4");
        assert_eq!(result("step 2 WaitForDrain: succeeds", Some(2)).label(), "step 2 WaitForDrain: succeeds");
        // An expectation whose subject is named like a step is a Check's all the same, in the
        // sweep's label as in the text's failures (the three had their own rules).
        let odd = result("step 9 runningTasksCount = 5", Some(3));
        assert!(!odd.is_steps_own());
        assert_eq!(odd.label(), "step 3: step 9 runningTasksCount = 5");
        let outcome_line = |x: ExpectationResult| {
            let o = super::RunOutcome {
                engine: Box::new(drainsim_core::Engine::new(drainsim_core::EngineConfig::default())),
                scenario_name: String::new(),
                seed: 0,
                stop_reason: drainsim_core::StopReason::Quiet,
                steps: Vec::new(),
                expectations: vec![x],
                invariant_violation: None,
                fault_profile: None,
                instance_refreshes: Vec::new(),
                managed_scaling: Vec::new(),
                group_terminations: Vec::new(),
            };
            o.failures_text()
        };
        assert!(outcome_line(odd).starts_with("FAIL step 3 at "), "a Check's expectation says its step");
    }
}
