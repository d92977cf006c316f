//! ECS cluster auto scaling of the scenario's Auto Scaling groups: a capacity provider with
//! `managedScaling` ENABLED has ECS take a CapacityProviderReservation datapoint every minute and
//! a target tracking policy resize the group by it
//! (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-scaling-behavior.html>).
//! The arithmetic is `drainsim_core::managed_scaling`'s; this is the actor that applies it as the
//! run goes on, whatever moves the clock (the [`Driver`](crate::driver::Driver) asks it when it
//! next acts and lets it act then, after the engine's events of that instant).
//!
//! Each minute (60 s, 120 s, … of simulated time), for each such group that no step is acting on:
//! 1. N is its InService members; M the InService members running a task that is not a daemon
//!    service's ("A container instance is considered empty even when daemon tasks are running"),
//!    or, with tasks of the provider waiting PROVISIONING
//!    ([`drainsim_core::ServiceView::tasks_provisioning`]), N and the scale-out step those tasks
//!    call for;
//! 2. a datapoint above `targetCapacity` scales out to the capacity target tracking asks for (at
//!    most `MaxSize`), unless an instance it launched is still within `instanceWarmupPeriod`
//!    ("Any additional scale-out waits for the instance warmup period");
//! 3. 15 datapoints in a row below the target, and 15 minutes since the last scale-out, scale in
//!    toward that capacity (at least `MinSize`), by at most half the group a minute;
//! 4. the group then launches or terminates toward its desired capacity as SetDesiredCapacity
//!    does (managed termination protection keeps instances with non-daemon tasks; managed draining
//!    drains those it terminates).
//!
//! Between datapoints the group registers the instances it launched when they are due and
//! terminates those whose lifecycle wait is over.

use drainsim_core::managed_scaling::{
    instances_for_provisioning_tasks, scale_in_capacity, scale_out_step, ProvisioningTasks, Reservation, ScalingSettings,
    MAX_PROVISIONING_TASKS_PER_CLUSTER, METRIC_PERIOD_MS, SCALE_IN_AFTER_SCALE_OUT_MS, SCALE_IN_DATAPOINTS,
};
use drainsim_core::Engine;

use super::{
    alive, finish_terminations, next_member_move_ms, note_drains, pass_over_drains, register_due, resize_to_desired,
    runs_non_daemon_task, waits_over,
};
use super::{next_expiry_ms_kept, next_rebalancing_ms, rebalance_capacity, replace_expired};
use super::{AutoScaling, Group, Lifecycle};
use crate::load::LoadedScenario;
use crate::outcome::{ManagedScalingOutcome, ManagedScalingSample};

/// Most samples one group's record keeps (a sample is taken only when something changed); past
/// it the record says it was cut.
pub(crate) const MAX_MANAGED_SCALING_SAMPLES: usize = 10_000;

/// A group's managed scaling as the run goes on.
#[derive(Debug, Clone)]
pub(super) struct Scaler {
    settings: ScalingSettings,
    /// Datapoints below the target in a row.
    below: u32,
    /// The minute of the last datapoint.
    last_datapoint_ms: Option<u64>,
    /// When the last scale-out set the desired capacity.
    last_scale_out_ms: Option<u64>,
    /// What it did, for the report.
    pub(super) record: ManagedScalingOutcome,
}

impl Scaler {
    /// The scaler of a group whose capacity provider has managed scaling ENABLED.
    pub(super) fn new(
        provider: &drainsim_core::api::CreateCapacityProviderRequest,
        group: &crate::format::AutoScalingGroupSpec,
    ) -> Option<Scaler> {
        let p = &provider.auto_scaling_group_provider;
        if !p.managed_scaling_enabled() {
            return None;
        }
        let settings = ScalingSettings::of(p.managed_scaling.as_ref().expect("enabled managed scaling is given"));
        Some(Scaler {
            settings,
            below: 0,
            last_datapoint_ms: None,
            last_scale_out_ms: None,
            record: ManagedScalingOutcome {
                capacity_provider_name: provider.name.clone(),
                auto_scaling_group_name: group.auto_scaling_group_name.clone(),
                target_capacity: settings.target_capacity,
                min_size: group.min_size,
                max_size: group.max_size,
                initial_desired_capacity: group.desired_capacity,
                samples: Vec::new(),
                samples_truncated: false,
                scale_outs: 0,
                scale_ins: 0,
                instances_launched: 0,
                instances_terminated: 0,
                error: None,
            },
        })
    }

    /// The minute of the next datapoint: the first whole minute after the last one (the first at
    /// 60 s), and not before `now`.
    fn next_datapoint_ms(&self, now: u64) -> u64 {
        let after = self.last_datapoint_ms.map_or(METRIC_PERIOD_MS, |t| t.saturating_add(METRIC_PERIOD_MS));
        after.max(now.div_ceil(METRIC_PERIOD_MS).saturating_mul(METRIC_PERIOD_MS))
    }
}

/// One datapoint of a group: its reservation and the tasks waiting for it.
struct Datapoint {
    reservation: Reservation,
    tasks_provisioning: u32,
}

/// The group's datapoint now: N, M and the tasks of its provider waiting PROVISIONING in its
/// cluster (at most [`MAX_PROVISIONING_TASKS_PER_CLUSTER`], counted in service order).
fn datapoint(g: &Group, scaler: &Scaler, engine: &Engine) -> Datapoint {
    let (mut running, mut occupied) = (0u32, 0u32);
    for m in g.members.live().map(|k| &g.members[k]).filter(|m| matches!(m.lifecycle, Lifecycle::InService { .. })) {
        running = running.checked_add(1).expect("a group holds fewer than 2^32 instances");
        occupied += u32::from(runs_non_daemon_task(engine, m));
    }
    let provider = scaler.record.capacity_provider_name.as_str();
    let cluster = g.spec.cluster.as_deref().unwrap_or("default");
    let mut waiting: Vec<ProvisioningTasks> = Vec::new();
    let mut total = 0u32;
    // Only a service waiting for room has tasks waiting PROVISIONING.
    for s in engine.services_waiting_for_room(cluster) {
        let Some((p, n)) = s.tasks_provisioning() else { continue };
        if p != provider || total >= MAX_PROVISIONING_TASKS_PER_CLUSTER {
            continue;
        }
        let n = n.min(MAX_PROVISIONING_TASKS_PER_CLUSTER - total);
        total += n;
        let size = s.task_size();
        match waiting
            .iter_mut()
            .find(|w| (w.cpu, w.memory, w.host_port, w.gpu) == (size.cpu, size.memory, size.host_port, size.gpu))
        {
            Some(w) => w.count += n,
            None => waiting.push(ProvisioningTasks {
                cpu: size.cpu,
                memory: size.memory,
                host_port: size.host_port,
                gpu: size.gpu,
                count: n,
            }),
        }
    }
    let step =
        scale_out_step(instances_for_provisioning_tasks(&waiting, g.spec.cpu, g.spec.memory, g.spec.gpus), &scaler.settings);
    let reservation =
        if total > 0 && step == 0 { Reservation::held(running, occupied) } else { Reservation::of(running, occupied, step) };
    Datapoint { reservation, tasks_provisioning: total }
}

/// Whether an instance the group launched is still within the warmup at `now` (then no further
/// scale-out).
fn warming_up(g: &Group, scaler: &Scaler, now: u64) -> bool {
    let warmup = scaler.settings.instance_warmup_period_ms();
    g.members.live().map(|k| &g.members[k]).any(|m| {
        matches!(m.lifecycle, Lifecycle::Pending { .. } | Lifecycle::InService { .. })
            && m.launched_at_ms.is_some_and(|t| t.saturating_add(warmup) > now)
    })
}

/// The desired capacity a datapoint would lead to, with enough datapoints below the target (the
/// scale-out limits and the warmup left aside): up to `MaxSize` for one above, down to `MinSize`
/// for one below.
fn capacity_wanted(g: &Group, scaler: &Scaler, d: &Datapoint) -> u32 {
    let target = scaler.settings.target_capacity;
    let tracked = d.reservation.target_tracking_capacity(target);
    let desired = g.spec.desired_capacity;
    if d.reservation.above(target) {
        desired.max(tracked).min(g.spec.max_size)
    } else if d.reservation.below(target) {
        scale_in_capacity(desired, tracked.max(g.spec.min_size))
    } else {
        desired
    }
}

/// Whether the group acts between steps: its capacity provider has managed scaling, it
/// launches Spot Instances, which EC2 may take away and the group then replaces, it replaces
/// its members at their maximum instance lifetime, or a TerminateInstanceInAutoScalingGroup
/// request left it terminating and launching.
pub(super) fn acts_in_background(g: &Group) -> bool {
    g.scaler.is_some() || g.spec.spot.is_some() || g.spec.max_instance_lifetime_ms().is_some() || g.acts_on_requests
}

impl crate::driver::Background for AutoScaling {
    fn next_time(&mut self, engine: &Engine) -> Option<u64> {
        if !self.any_in_background {
            return None;
        }
        self.background_next_time(engine)
    }

    fn act(&mut self, engine: &mut Engine, loaded: &LoadedScenario) {
        self.background_act(engine, loaded);
    }

    fn acts(&self) -> u64 {
        self.background_acts
    }

    /// A Spot group no step is acting on replaces the members EC2 took as soon as they are gone,
    /// and with Capacity Rebalancing those EC2 signals at risk as soon as it signals them.
    fn wakes_on_ec2_events(&self) -> bool {
        self.groups.iter().any(|g| !g.busy && g.spec.spot.is_some())
    }

    /// A group no step is acting on terminates an instance in `Terminating:Wait` as soon as the
    /// drain that ends its wait is complete (the tooling of its hook, or ECS's managed draining,
    /// completes the lifecycle action then).
    fn wakes_on_drain_completion(&self) -> bool {
        self.groups.iter().any(|g| !g.busy && acts_in_background(g) && super::drains_on_termination(g) && g.members.any_waiting())
    }
}

impl AutoScaling {
    /// When managed scaling next acts, if it will: the next registration due or lifecycle wait
    /// over of a managed group (now, for a wait its drain just ended), and the next datapoint
    /// while the engine is busy or a datapoint now would change something. None once every managed
    /// group is settled and the engine quiet: nothing would change.
    fn background_next_time(&mut self, engine: &Engine) -> Option<u64> {
        let now = engine.now_ms();
        let mut next: Option<u64> = None;
        let mut soonest = |t: u64| next = Some(next.map_or(t, |n: u64| n.min(t)));
        // An instance became INACTIVE since a Spot group last looked: it may have lost a member
        // (looked at then, not at every step of the clock).
        let deregistered = engine.instances_deregistered();
        if self.groups.iter().any(|g| !g.busy && g.spec.spot.is_some() && g.inactive_seen != deregistered) {
            soonest(now);
        }
        let completed = engine.drains_completed();
        for g in self.groups.iter_mut().filter(|g| !g.busy && acts_in_background(g)) {
            if let Some(t) = next_rebalancing_ms(g, engine, now) {
                soonest(t);
            }
            if let Some(t) = next_expiry_ms_kept(g, engine, now) {
                soonest(t);
            }
            let moving = g.members.any_moving();
            // A wait over (its drain just ended it) is over now; else the members' own next move
            // ([`next_member_move_ms`]: a registration, or a hook's next timeout). The drains
            // completed since the group last looked are taken in first; with no member moving
            // they can end no wait, and are passed over at once (most groups, most of the time).
            if moving {
                note_drains(g, engine);
                if g.members.any_waiting() && !waits_over(g, engine, now).is_empty() {
                    soonest(now);
                }
                if let Some(t) = next_member_move_ms(g, now) {
                    soonest(t.max(now));
                }
            } else {
                pass_over_drains(g, completed);
            }
            let Some(scaler) = &g.scaler else { continue };
            // A settled group's datapoints change nothing, but the record shows the one that
            // reads what changed since the last recorded (instances that registered since, say):
            // it was left at N 4 and 100 % for 18 minutes while 8 instances ran at 50 %.
            if moving || !engine.is_quiet() || !settled(g, scaler, engine) || record_behind(g, scaler, engine) {
                soonest(scaler.next_datapoint_ms(now));
            }
        }
        next
    }

    /// Managed scaling acts at `now` (a time [`Self::background_next_time`] gave): each managed
    /// group no step is acting on takes the minute's datapoint when one is due and sets its
    /// desired capacity by it, registers the instances due, terminates those whose wait is over,
    /// and, at a datapoint, moves toward its desired capacity.
    fn background_act(&mut self, engine: &mut Engine, loaded: &LoadedScenario) {
        let now = engine.now_ms();
        let caller = engine.default_caller_arn().to_string();
        for g in self.groups.iter_mut().filter(|g| !g.busy && acts_in_background(g)) {
            g.resolve_instances_once(engine);
            let warmup_ms = u64::from(g.spec.health_check_grace_period) * 1000;
            let mut error = None;
            // Spot Instances EC2 terminated leave the group, which replaces them at once to keep
            // its desired capacity ("Amazon EC2 Auto Scaling ... launches a replacement").
            let alive_before = super::alive(g);
            let lost_members = super::note_lost_members(g, engine).len();
            // What the resize below launches to stand in for members that counted toward the
            // capacity and were lost is the group's replacement, not managed scaling's launch.
            let replacements = alive_before.saturating_sub(super::alive(g));
            // The minute's datapoint is of the state the instant found: the instances registering
            // now have had no task placed yet.
            let datapoint_due = g.scaler.as_ref().is_some_and(|s| s.next_datapoint_ms(now) == now && now % METRIC_PERIOD_MS == 0);
            if datapoint_due {
                take_datapoint(g, engine, now);
            }
            register_due(g, engine, loaded, &caller, now, warmup_ms, &mut error);
            finish_terminations(g, engine, &caller, now, &mut error);
            // Capacity Rebalancing launches its replacements before a resize would launch them as
            // plain capacity.
            rebalance_capacity(g, engine, &caller, now, &mut error);
            replace_expired(g, engine, &caller, now, &mut error);
            if datapoint_due || lost_members > 0 {
                // A scale-in to a desired capacity a step or request set, which protection had
                // kept the group above until now, is not managed scaling's.
                let (up, _) = resize_to_desired(g, engine, &caller, now, &mut error);
                if let Some(scaler) = g.scaler.as_mut() {
                    scaler.record.instances_launched += up.saturating_sub(replacements);
                }
            }
            #[cfg(debug_assertions)]
            g.members.check_indexes();
            if let Some(e) = error {
                if let Some(scaler) = g.scaler.as_mut() {
                    scaler.record.error.get_or_insert_with(|| e.to_string());
                }
                // A refused request between steps fails the run, as a step's would fail its step.
                if !self.background_errors.iter().any(|(name, _, _)| *name == g.spec.auto_scaling_group_name) {
                    self.background_errors.push((g.spec.auto_scaling_group_name.clone(), now, e.to_string()));
                }
            }
        }
        self.background_acts += 1;
    }

    /// The first ECS request each group made between steps that ECS refused, with when, as failed
    /// results (taken): "the group's requests are accepted".
    pub(crate) fn take_background_failures(&mut self) -> Vec<crate::outcome::ExpectationResult> {
        std::mem::take(&mut self.background_errors)
            .into_iter()
            .map(|(group, at_ms, error)| crate::outcome::ExpectationResult {
                name: format!("Auto Scaling group {group}'s requests between steps are accepted"),
                passed: false,
                detail: error,
                at_ms,
                step: None,
            })
            .collect()
    }

    /// The managed scaling records of the groups that have it, in the scenario's order (taken).
    pub(crate) fn take_managed_scaling(&mut self) -> Vec<ManagedScalingOutcome> {
        self.groups.iter_mut().filter_map(|g| g.scaler.as_mut().map(|s| std::mem::take(&mut s.record))).collect()
    }
}

/// A datapoint at minute `now`: the group's desired capacity follows it (see the module's
/// documentation), and the record notes it when something changed.
fn take_datapoint(g: &mut Group, engine: &Engine, now: u64) {
    // Each member's instance is read by its ID: the group resolved its members of time 0 before
    // its first move (`Group::resolve_instances_once`), and later ones get it when they register.
    let scaler = g.scaler.as_ref().expect("a managed group");
    let d = datapoint(g, scaler, engine);
    let target = scaler.settings.target_capacity;
    let wanted = capacity_wanted(g, scaler, &d);
    let warming = warming_up(g, scaler, now);
    let desired = g.spec.desired_capacity;
    let scaler = g.scaler.as_mut().expect("a managed group");
    scaler.last_datapoint_ms = Some(now);
    scaler.below = if d.reservation.below(target) { scaler.below.saturating_add(1) } else { 0 };
    let scale_in_allowed = scaler.below >= SCALE_IN_DATAPOINTS
        && scaler.last_scale_out_ms.is_none_or(|t| t.saturating_add(SCALE_IN_AFTER_SCALE_OUT_MS) <= now);
    let new_desired = if wanted > desired && !warming {
        scaler.last_scale_out_ms = Some(now);
        scaler.record.scale_outs += 1;
        wanted
    } else if wanted < desired && scale_in_allowed {
        scaler.record.scale_ins += 1;
        wanted
    } else {
        desired
    };
    if new_desired != desired {
        g.spec.desired_capacity = new_desired;
        g.desired_set_by_managed_scaling = true;
    }
    let sample = ManagedScalingSample {
        at_ms: now,
        instances_running: d.reservation.instances_running,
        instances_needed: d.reservation.instances_needed,
        capacity_provider_reservation_hundredths: d.reservation.hundredths_of_percent(target),
        tasks_provisioning: d.tasks_provisioning,
        desired_capacity: new_desired,
        desired_capacity_before: desired,
    };
    let record = &mut scaler.record;
    let changed = record.samples.last().is_none_or(|last| ManagedScalingSample { at_ms: now, ..*last } != sample);
    if changed {
        if record.samples.len() < MAX_MANAGED_SCALING_SAMPLES {
            record.samples.push(sample);
        } else {
            record.samples_truncated = true;
        }
    }
}

/// Whether a datapoint now would be recorded: it reads another N, M, reservation, count of tasks
/// waiting or desired capacity than the last datapoint recorded.
fn record_behind(g: &Group, scaler: &Scaler, engine: &Engine) -> bool {
    let Some(last) = scaler.record.samples.last() else { return false };
    let d = datapoint(g, scaler, engine);
    let now = (
        d.reservation.instances_running,
        d.reservation.instances_needed,
        d.reservation.hundredths_of_percent(scaler.settings.target_capacity),
        d.tasks_provisioning,
        g.spec.desired_capacity,
    );
    now != (
        last.instances_running,
        last.instances_needed,
        last.capacity_provider_reservation_hundredths,
        last.tasks_provisioning,
        last.desired_capacity,
    )
}

/// Whether a datapoint now would change nothing in the group: nothing Pending or waiting to
/// terminate, a desired capacity the datapoint would keep (given the datapoints it takes), and
/// the group at it, or above it with nothing it may terminate.
fn settled(g: &Group, scaler: &Scaler, engine: &Engine) -> bool {
    let d = datapoint(g, scaler, engine);
    // A datapoint at or above the target ends a run of datapoints below it: skipping it would let
    // the run go on, and a later scale-in come after fewer than 15 datapoints in a row below.
    if scaler.below > 0 && !d.reservation.below(scaler.settings.target_capacity) {
        return false;
    }
    if capacity_wanted(g, scaler, &d) != g.spec.desired_capacity {
        return false;
    }
    let alive = alive(g);
    let desired = g.spec.desired_capacity;
    if alive < desired {
        return false;
    }
    alive == desired || g.members.live().all(|k| !super::may_terminate(g, k, engine))
}
