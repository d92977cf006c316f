//! EC2 Auto Scaling groups and their instance refresh, modelled the way an operator's tooling sees
//! them: outside ECS. A group launches instances that register through RegisterContainerInstance
//! like any other, and terminates instances through its termination lifecycle hook, during which
//! the tooling drains them (UpdateContainerInstancesState) and completes the lifecycle action once
//! their drain is complete; the EC2 instance then goes away (`Engine::terminate_ec2_instance`: ECS
//! deregisters it unless its agent is disconnected). The
//! engine never learns that a group exists. docs/rollouts.md describes the model and its sources
//! (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-maintenance-policy.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html>).

use std::collections::BTreeMap;

use drainsim_core::api::{self, Request};
use drainsim_core::{EcsError, Engine};

use crate::driver::Driver;

/// The run's driver, with the scenario's Auto Scaling groups as what acts between the engine's
/// events.
pub(crate) type ScenarioDriver<'a, 's> = Driver<'a, 's, AutoScaling>;
use crate::format::{
    AutoScalingGroupSpec, InstanceGroup, LaunchTemplateSpec, SetDesiredCapacitySpec, SetInstanceProtectionSpec,
    StartInstanceRefreshSpec, TerminateInstanceSpec, DEFAULT_CHECKPOINT_DELAY_S, MANAGED_DRAINING_LIMIT_MS,
    PROTECTED_INSTANCES_WAIT_MS,
};
use crate::load::{LoadedScenario, ScenarioError};
use crate::outcome::{
    GroupTermination, HookTimeout, InstanceRefreshOutcome, RefreshCapacitySample, TerminationCause, TerminationPath,
    TerminationWait,
};
use crate::setup::registration_request;

mod managed_scaling;
mod members;

use members::{counts_toward_capacity, Members};

/// Where an instance of a group is in its Auto Scaling lifecycle (`LifecycleState`, the states
/// drainsim models).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    /// `Pending`: launched, registers with ECS at `register_at_ms`.
    Pending { register_at_ms: u64 },
    /// `InService`: registered; healthy (past warmup) from `healthy_at_ms`.
    InService { healthy_at_ms: u64 },
    /// `Terminating:Wait` since `since_ms`: held by the termination lifecycle hooks (the group's
    /// own, ECS's managed draining) until [`wait_over`].
    TerminatingWait { since_ms: u64 },
    /// `Terminated`.
    Terminated,
}

#[derive(Debug, Clone)]
struct Member {
    name: String,
    zone: String,
    /// The launch template (name and version) it was launched from.
    template: LaunchTemplateSpec,
    lifecycle: Lifecycle,
    /// Protected from scale in (`ProtectedFromScaleIn`).
    protected: bool,
    /// A Spot Instance: declared one (a member of time 0), or launched as one
    /// ([`AutoScalingGroupSpec::launches_spot`]).
    spot: bool,
    /// When the group launched it (None for the instances it held when the run began).
    launched_at_ms: Option<u64>,
    /// When EC2 launched it, in ms from time 0 (negative: before the run): the group's launch, or
    /// a member of time 0's `launchedAtMs` (what the age-based termination policies read).
    launch_time_ms: i64,
    /// Its container instance, once the group registered it (the instances of time 0, which
    /// the setup registered, are found by name).
    instance: Option<drainsim_core::InstanceId>,
    /// The group is replacing it: Capacity Rebalancing ([`rebalance_capacity`]) or its maximum
    /// instance lifetime ([`replace_expired`]).
    rebalancing: Option<Rebalancing>,
}

/// A member the group replaces ahead of any scale-in — a Spot Instance EC2 signalled at risk
/// (Capacity Rebalancing), or one in service for the group's `MaxInstanceLifetime`: it no longer
/// counts toward the group's capacity ([`counts_toward_capacity`]) and is no scale-in victim; it
/// runs until the group begins to terminate it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rebalancing {
    /// The member launched to replace it, once the group launched one.
    replacement: Option<usize>,
    /// Why the group replaces it.
    reason: ReplacedFor,
}

/// Why a group replaces a member ([`Rebalancing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplacedFor {
    CapacityRebalancing,
    MaxInstanceLifetime,
}

impl Rebalancing {
    fn for_capacity_rebalancing(&self) -> bool {
        self.reason == ReplacedFor::CapacityRebalancing
    }
}

#[derive(Debug, Clone)]
struct Group {
    spec: AutoScalingGroupSpec,
    /// The launch template (name and version) the group launches now.
    template: LaunchTemplateSpec,
    /// Instances launched so far (the next one is `launched + 1`).
    launched: u32,
    members: Members,
    /// The ECS capacity provider of the group, if the scenario gives one.
    provider: Option<api::AutoScalingGroupProvider>,
    /// Its termination lifecycle hook ([`AutoScalingGroupSpec::termination_hook`]), found once:
    /// every instant of a wait reads it.
    termination_hook: Option<crate::format::LifecycleHookSpec>,
    /// A step (StartInstanceRefresh, SetDesiredCapacity) is acting on the group: managed scaling
    /// leaves it alone meanwhile.
    busy: bool,
    /// Its capacity provider's managed scaling, when ENABLED.
    scaler: Option<managed_scaling::Scaler>,
    /// `Engine::instances_deregistered` when it last looked for members EC2 took (a Spot group).
    inactive_seen: u64,
    /// `Engine::spot_signals` when it last looked for members EC2 signalled at risk (a group with
    /// Capacity Rebalancing).
    spot_signals_seen: u64,
    /// The members it began to terminate: member, when, why and how.
    terminations: Vec<(usize, u64, TerminationCause, TerminationPath)>,
    /// How the waits of the members it terminated after a lifecycle hook held them ended, by
    /// member, in the order they ended.
    wait_ends: Vec<(usize, TerminationWait)>,
    /// A TerminateInstanceInAutoScalingGroup request acted on it: from then on it goes on between
    /// steps (registers its replacements, ends the lifecycle waits of those it terminates).
    acts_on_requests: bool,
    /// Its members of time 0 were found by their container instance's ID
    /// ([`Group::resolve_instances_once`]).
    instances_resolved: bool,
    /// `Engine::drains_completed` when it last looked for members in `Terminating:Wait` whose
    /// drain completed ([`note_drains`]).
    drains_seen: u64,
    /// Its maximum instance lifetime's next move, kept while nothing it reads has changed
    /// ([`next_expiry_ms_kept`]).
    expiry_kept: Option<ExpiryKept>,
    /// Managed scaling set the desired capacity last (a datapoint changed it; a step or request
    /// since sets it false): a scale-in to it is managed scaling's, else the group catching up
    /// with a capacity it had been kept above ([`TerminationCause::CapacityDifference`]).
    desired_set_by_managed_scaling: bool,
}

/// [`next_expiry_ms`] as computed at `at_ms`, with what it read that can change: the member
/// changes so far and the desired capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ExpiryKept {
    changes: usize,
    desired: u32,
    at_ms: u64,
    next: Option<u64>,
}

impl Group {
    /// The members of time 0 (which the setup registered) are found by name once, the first time
    /// the group moves: from then on whether a member's drain is complete, asked for every member
    /// in `Terminating:Wait` at every moment, is read without a lookup by name
    /// ([`container_instance`]). Later members get their ID when they register.
    fn resolve_instances_once(&mut self, engine: &Engine) {
        if !self.instances_resolved {
            self.members.resolve_instances(|name| engine.instance_named(name).map(|i| i.id()));
            self.instances_resolved = true;
        }
    }
}

/// The scenario's Auto Scaling groups as a run goes on.
#[derive(Debug, Clone)]
pub(crate) struct AutoScaling {
    groups: Vec<Group>,
    refreshes: Vec<InstanceRefreshOutcome>,
    /// How many times managed scaling acted (the driver's measure of progress).
    pub(crate) background_acts: u64,
    /// The first request each group made between steps that ECS refused: group, time, error.
    background_errors: Vec<(String, u64, String)>,
    /// Whether any group acts between steps (its capacity provider's managed scaling, or a Spot
    /// group replacing what EC2 took): else nothing ever does.
    any_in_background: bool,
}

/// A group's members at time 0, InService and healthy: its own (`setup::prepare` registered
/// them), or the instances of the scenario's `instances` it adopts (`declared`: by name, with
/// their zone; `load` checked that each is one).
fn initial_members(spec: &AutoScalingGroupSpec, declared: &BTreeMap<String, (&InstanceGroup, String)>) -> Vec<Member> {
    let protected = spec.initially_protected();
    let member = |name: String, zone: String, template: LaunchTemplateSpec, spot: bool, launch_time_ms: i64| Member {
        protected: protected.contains(name.as_str()),
        spot,
        zone,
        name,
        template,
        lifecycle: Lifecycle::InService { healthy_at_ms: 0 },
        launched_at_ms: None,
        launch_time_ms,
        instance: None,
        rebalancing: None,
    };
    if spec.adopts_instances() {
        spec.instances
            .iter()
            .map(|i| {
                let (zone, spot, launch_time_ms) = declared
                    .get(&i.instance_id)
                    .map_or_else(|| (spec.zone(0), false, 0), |(g, zone)| (zone.clone(), g.spot.is_some(), g.launch_time_ms()));
                let template = i.launch_template.clone().unwrap_or_else(|| spec.launch_template.clone());
                member(i.instance_id.clone(), zone, template, spot, launch_time_ms)
            })
            .collect()
    } else {
        spec.initial_members()
            .into_iter()
            .map(|g| {
                let zone = g.zone_of(0);
                let spot = g.spot.is_some();
                let launch_time_ms = g.launch_time_ms();
                member(g.name, zone, spec.launch_template.clone(), spot, launch_time_ms)
            })
            .collect()
    }
}

/// The capacity provider of a group, if the scenario gives one.
fn provider_of<'l>(loaded: &'l LoadedScenario, spec: &AutoScalingGroupSpec) -> Option<&'l api::CreateCapacityProviderRequest> {
    loaded.scenario.capacity_providers.iter().find(|c| c.auto_scaling_group_provider.group_name() == spec.auto_scaling_group_name)
}

/// How a StartInstanceRefresh step ended.
pub(crate) struct RefreshEnd {
    /// The run's end time came before the refresh ended.
    pub timed_out: bool,
    /// An ECS request the group made was refused (the refresh stops there).
    pub error: Option<EcsError>,
    /// One line on what the refresh did.
    pub note: String,
    /// Its `Status` when the step ended.
    pub status: String,
}

impl AutoScaling {
    /// The groups as the setup left them: `DesiredCapacity` instances InService and healthy
    /// (`setup::prepare` registered them at time 0).
    pub(crate) fn new(loaded: &LoadedScenario) -> Self {
        let declared = if loaded.scenario.auto_scaling_groups.iter().any(AutoScalingGroupSpec::adopts_instances) {
            crate::load::instances_at_time_zero(&loaded.scenario)
        } else {
            Default::default()
        };
        let groups: Vec<Group> = loaded
            .scenario
            .auto_scaling_groups
            .iter()
            .map(|spec| Group {
                template: spec.launch_template.clone(),
                // Its own members of time 0 took the first numbers; adopted ones take none.
                launched: if spec.adopts_instances() { 0 } else { spec.desired_capacity },
                members: Members::new(initial_members(spec, &declared)),
                spec: spec.clone(),
                provider: provider_of(loaded, spec).map(|c| c.auto_scaling_group_provider.clone()),
                termination_hook: spec.termination_hook().cloned(),
                busy: false,
                inactive_seen: 0,
                spot_signals_seen: 0,
                terminations: Vec::new(),
                wait_ends: Vec::new(),
                acts_on_requests: false,
                instances_resolved: false,
                drains_seen: 0,
                expiry_kept: None,
                desired_set_by_managed_scaling: false,
                scaler: provider_of(loaded, spec).and_then(|c| managed_scaling::Scaler::new(c, spec)),
            })
            .collect();
        let any_in_background = groups.iter().any(managed_scaling::acts_in_background);
        AutoScaling { groups, refreshes: Vec::new(), background_acts: 0, background_errors: Vec::new(), any_in_background }
    }

    /// The refreshes run so far, in order (taken).
    pub(crate) fn take_refreshes(&mut self) -> Vec<InstanceRefreshOutcome> {
        std::mem::take(&mut self.refreshes)
    }

    /// The drains the run's drain times count so far, from the groups' terminations so far (what
    /// an expectation checked during the run reads; [`crate::outcome::RunOutcome::drain_scope`]
    /// at the end).
    pub(crate) fn drain_scope(&self, e: &drainsim_core::Engine) -> crate::outcome::DrainScope {
        crate::outcome::DrainScope::of(
            e,
            self.groups
                .iter()
                .flat_map(|g| g.terminations.iter().map(|(k, at_ms, cause, _)| (g.members[*k].name.as_str(), *at_ms, *cause))),
        )
    }

    /// The instances the groups began to terminate, in the order they did (taken).
    pub(crate) fn take_terminations(&mut self) -> Vec<GroupTermination> {
        let mut all: Vec<GroupTermination> = self
            .groups
            .iter_mut()
            .flat_map(|g| {
                let name = g.spec.auto_scaling_group_name.clone();
                let members = &g.members;
                // A member is terminated once: its wait, if it had one, is the one it ended.
                let mut waits: BTreeMap<usize, TerminationWait> = std::mem::take(&mut g.wait_ends).into_iter().collect();
                std::mem::take(&mut g.terminations).into_iter().map(move |(k, at_ms, cause, path)| GroupTermination {
                    instance: members[k].name.clone(),
                    auto_scaling_group_name: name.clone(),
                    at_ms,
                    cause,
                    path,
                    wait: waits.remove(&k),
                })
            })
            .collect();
        // In time order; of one time, in the groups' order (a stable sort).
        all.sort_by_key(|t| t.at_ms);
        all
    }

    /// A step begins to act on the group it names: its place (`load` checked the name; an
    /// unknown one is an error at the step). Managed scaling leaves the group alone until the
    /// step ends (`busy`).
    fn begin_step(&mut self, loaded: &LoadedScenario, step: &str, name: &str) -> Result<usize, ScenarioError> {
        let gi = self
            .groups
            .iter()
            .position(|g| g.spec.auto_scaling_group_name == name)
            .ok_or_else(|| loaded.error_at(step, format!("unknown Auto Scaling group '{name}'")))?;
        self.groups[gi].busy = true;
        Ok(gi)
    }

    /// StartInstanceRefresh, run until the refresh ends (or the run's end time): instances to
    /// update are the InService and Pending ones (with `SkipMatching`, those whose launch template
    /// — name or version — differs from the desired one). Each moment, in this order:
    /// 1. launched instances due register (Pending → InService; healthy after `InstanceWarmup`);
    /// 2. instances in `Terminating:Wait` whose wait is over ([`wait_over`]: their drain is
    ///    complete, or a hook timed out) are terminated (DeregisterContainerInstance, `force` when
    ///    tasks remain);
    /// 3. old instances are terminated while the healthy instances stay at or above
    ///    MinHealthyPercentage of the desired capacity (rounded up), from the zone with the most
    ///    instances, oldest first — into `Terminating:Wait` and drained when the group has a
    ///    termination hook, else at once;
    /// 4. new instances are launched while Pending + InService stay at or below
    ///    MaxHealthyPercentage (rounded down, at least the desired capacity, and one above it
    ///    when the percentage is above 100), into the zone with
    ///    the fewest — so with a maximum above 100% new instances launch before old ones go.
    ///
    /// When the two percentages leave no room at all (one instance at 90%/100%), one instance at a
    /// time is replaced anyway, terminate then launch, as Auto Scaling does for such groups. The
    /// refresh is `Successful` once every instance to update is Terminated and every new one is
    /// InService past its warmup; the group then launches the desired version.
    ///
    /// With `CheckpointPercentages` batches stop at the current checkpoint (in instances to update,
    /// rounded up); once it is reached and every new instance warmed up, the refresh pauses for
    /// `CheckpointDelay` once, at the highest checkpoint reached (checkpoints reached together
    /// pause once; reaching the last one ends the refresh without a pause); the last checkpoint is
    /// how many instances it replaces.
    ///
    /// Instances protected from scale in follow `ScaleInProtectedInstances`: `Refresh` replaces
    /// them, `Ignore` leaves them out of the instances to update, `Wait` (the default) never
    /// terminates them and, once nothing else is under way, waits an hour and ends the refresh
    /// `Failed`. Protected means either kind ([`protected_from_scale_in`]): set in the scenario, or
    /// kept by managed termination protection while the instance runs a non-daemon task.
    pub(crate) fn start_instance_refresh(
        engine: &mut Engine,
        driver: &mut ScenarioDriver,
        loaded: &LoadedScenario,
        caller: &str,
        req: &StartInstanceRefreshSpec,
    ) -> Result<RefreshEnd, ScenarioError> {
        // `load` checked the group name, the version and the percentages.
        let gi = driver.background.begin_step(loaded, "StartInstanceRefresh", &req.auto_scaling_group_name)?;
        driver.background.groups[gi].resolve_instances_once(engine);
        // Refreshes of the group that started (and ended) in this same instant: each ID is unique.
        let earlier = driver
            .background
            .refreshes
            .iter()
            .filter(|r| r.auto_scaling_group_name == req.auto_scaling_group_name && r.start_time_ms == engine.now_ms())
            .count();
        let g = &mut driver.background.groups[gi];
        let prefs = &req.preferences;
        // The desired launch template, name and version: `SkipMatching` keeps the instances that
        // "match the desired configuration"; another template is another configuration, even at
        // the same version number
        // (https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html).
        let target = req.desired_configuration.as_ref().map_or_else(|| g.template.clone(), |d| d.launch_template.clone());
        let (min_pct, max_pct) = g.spec.refresh_healthy_percentages(prefs);
        let warmup_ms = u64::from(g.spec.refresh_warmup_s(prefs)) * 1000;
        let skip_matching = prefs.skip_matching.unwrap_or(false);
        // `load` checked the value.
        // `Wait` when absent, as Auto Scaling's own default ("Wait (default)",
        // https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html).
        let protected_mode = prefs.scale_in_protected_instances.as_deref().unwrap_or("Wait");
        let mut protection_wait_until: Option<u64> = None;
        let desired = g.spec.desired_capacity;
        let min_healthy = capacity_share(desired, min_pct, true);
        // A maximum above 100 % leaves room for at least one instance above the desired capacity:
        // with MinHealthyPercentage 100 that is "launch before terminating" ("A new instance must
        // be provisioned first before an existing instance can be terminated",
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-maintenance-policy-overview-and-considerations.html),
        // which 110 % of a group under 10 instances, rounded down, would otherwise turn into
        // terminate-then-launch below the minimum.
        let max_instances = max_refresh_instances(desired, max_pct);
        let floor = min_healthy.min(max_instances.saturating_sub(1));
        let start = engine.now_ms();
        // Not the members the group is already replacing (Capacity Rebalancing, a maximum
        // instance lifetime): they count toward its capacity no more, their replacements do, and
        // the group terminates them once the step ends.
        let to_update: Vec<usize> = g
            .members
            .live()
            .filter(|&k| {
                let m = &g.members[k];
                counts_toward_capacity(m)
                    && (!skip_matching || m.template != target)
                    && !(protected_from_scale_in(g, k, engine) && protected_mode == "Ignore")
            })
            .collect();
        // Whether member `k` is one to update (members launched later are not): a test per member
        // instead of a search of `to_update`.
        let mut in_update = vec![false; g.members.len()];
        for &k in &to_update {
            in_update[k] = true;
        }
        let instances_to_update = u32::try_from(to_update.len()).expect("a group holds at most MAX_GROUP_SIZE");
        // The instances the group holds above its desired capacity: the refresh launches up to the
        // desired capacity only (step 4), so as many old instances get no new one of their own
        // ([`instances_updated`]).
        let held_above_desired = alive(g).saturating_sub(desired);
        // Checkpoints as counts of instances to update (rounded up); without checkpoints, one at
        // 100 %. The last one is how many the refresh replaces.
        let checkpoints: Vec<u32> = match &prefs.checkpoint_percentages {
            Some(list) if !list.is_empty() => list.iter().map(|p| capacity_share(instances_to_update, *p, true)).collect(),
            _ => vec![instances_to_update],
        };
        let checkpoint_delay_ms = u64::from(prefs.checkpoint_delay.unwrap_or(DEFAULT_CHECKPOINT_DELAY_S)) * 1000;
        let target_total = *checkpoints.last().expect("at least one checkpoint");
        let mut checkpoint = 0usize;
        let mut paused_until: Option<u64> = None;
        let mut launched_by_refresh = 0u32;
        // Instances EC2 took during the refresh (Spot interruptions) whose replacements the group
        // owes ([`health_replacements`]).
        let mut lost_owed = 0u32;
        // Members are only ever appended: the refresh's launches are those from here on.
        let first_launch = g.members.len();
        let mut record = InstanceRefreshOutcome {
            instance_refresh_id: refresh_id(&g.spec.auto_scaling_group_name, start, earlier),
            auto_scaling_group_name: g.spec.auto_scaling_group_name.clone(),
            status: "InProgress".into(),
            status_reason: None,
            start_time_ms: start,
            end_time_ms: None,
            instances_to_update,
            percentage_complete: 0,
            percentage_complete_over_time: vec![(start, 0)],
            desired_capacity: desired,
            min_healthy_instances: min_healthy,
            max_instances,
            capacity: Vec::new(),
        };
        let mut error = None;
        let mut timed_out = false;
        // Which members to update may go is fixed for the refresh unless managed termination
        // protection makes it follow their tasks: then the victims are read at each moment, and
        // those protected since leave before each pick ([`Victims::drop_protected`]).
        let protection_moves = protected_mode != "Refresh" && protection_follows_tasks(g);
        let may_go = |g: &Group, engine: &Engine, k: usize| {
            matches!(g.members[k].lifecycle, Lifecycle::InService { .. })
                && (protected_mode == "Refresh" || !protected_from_scale_in(g, k, engine))
        };
        let mut counts = RefreshCounts::new(g, !protection_moves);
        loop {
            let g = &mut driver.background.groups[gi];
            let now = engine.now_ms();
            // 0. Members EC2 terminated (a Spot group) are gone; the group owes their replacements.
            let lost = note_lost_members(g, engine);
            lost_owed = lost_owed
                .checked_add(u32::try_from(lost.len()).expect("a group holds at most MAX_GROUP_SIZE"))
                .expect("a group holds at most MAX_GROUP_SIZE");
            // A new instance EC2 took no longer stands for the old one it replaced: the refresh's
            // launches count it no more (its replacement, the group's or the refresh's, will).
            let lost_launches = u32::try_from(lost.iter().filter(|&&k| k >= first_launch).count()).expect("bounded");
            launched_by_refresh = launched_by_refresh.saturating_sub(lost_launches);
            // 1. Registrations due.
            register_due(g, engine, loaded, caller, now, warmup_ms, &mut error);
            // 2. Terminations whose lifecycle action is complete or timed out.
            finish_terminations(g, engine, caller, now, &mut error);
            if error.is_some() {
                record.status_reason = Some("an ECS request the group made was refused".into());
                break;
            }
            // Checkpoints: a checkpoint "is reached when 20 percent of instances are new"
            // (asg-adding-checkpoints-instance-refresh.html): once the new instances past their
            // warmup, each standing for an old instance the refresh began to terminate, reach one,
            // the refresh pauses for CheckpointDelay before it goes on to the next one they have
            // not reached (one pause for all the checkpoints reached together). An old instance a
            // lifecycle hook (or ECS managed draining) still holds in Terminating:Wait does not
            // hold the checkpoint back.
            counts.update(g, engine, &in_update, first_launch, &may_go);
            let warming = g.members.warming_up(now);
            if paused_until.is_some_and(|t| t <= now) {
                paused_until = None;
            }
            let new_instances = refreshed_instances(&mut counts, g, first_launch, held_above_desired, instances_to_update, now);
            reach_checkpoint(&checkpoints, &mut checkpoint, &mut paused_until, new_instances, warming, now, checkpoint_delay_ms);
            let paused = paused_until.is_some();
            let allowed = checkpoints[checkpoint];
            // 3. Terminate old instances within the minimum (and the current checkpoint).
            let mut healthy = g.members.healthy_at(now);
            let mut begun = counts.begun;
            // The InService members to update that may go, in launch order: kept from the
            // member changes, or read at each moment (those protected since leaving before each
            // pick, [`Victims::drop_protected`]) while whether one is protected
            // follows the tasks it runs.
            let eligible =
                |g: &Group, engine: &Engine| Victims::new(g, to_update.iter().copied().filter(|&k| may_go(g, engine, k)));
            let mut victims = match counts.victims.take() {
                Some(mut kept) => {
                    kept.recount_alive(g);
                    kept
                }
                None => eligible(g, engine),
            };
            // While paused at a checkpoint nothing is terminated.
            while !paused && begun < allowed {
                if protection_moves {
                    victims.drop_protected(g, engine);
                    debug_assert_eq!(victims.pick(), eligible(g, engine).pick(), "the victims pick as those read again would");
                }
                let Some(victim) = victims.pick() else { break };
                let victim_healthy =
                    matches!(g.members[victim].lifecycle, Lifecycle::InService { healthy_at_ms } if healthy_at_ms <= now);
                let after = healthy - u32::from(victim_healthy);
                if after < floor {
                    break;
                }
                healthy = after;
                victims.remove(g, victim);
                begun += 1;
                if let Err(e) = begin_termination(g, victim, engine, caller, now, TerminationCause::InstanceRefresh) {
                    error = Some(e);
                }
            }
            if !protection_moves {
                counts.victims = Some(victims);
            }
            counts.update(g, engine, &in_update, first_launch, &may_go);
            // 4. Launch new instances within the maximum (and the current checkpoint). Each launch
            // is a Pending member not to update, in the zone with the fewest alive members: the
            // counts are taken once and moved with each launch.
            let mut alive = alive(g);
            let mut alive_kept = alive.checked_sub(counts.alive_to_update).expect("the alive members to update are alive");
            let mut zones = alive_per_zone(g);
            let mut on_demand = on_demand_alive(g);
            // The group replaces what EC2 took at once, paused or not and outside the refresh's
            // own budget ([`health_replacements`]).
            for _ in 0..health_replacements(&mut lost_owed, alive, desired) {
                launch(g, now, &target, &mut zones, &mut on_demand, &mut alive);
                alive_kept += 1;
                // It stands for what EC2 took, an old instance (which the refresh counts as
                // replaced) or one of its own launches (counted no more, above).
                launched_by_refresh += 1;
            }
            while !paused && launched_by_refresh < allowed {
                if alive >= max_instances || alive_kept >= desired {
                    break;
                }
                launch(g, now, &target, &mut zones, &mut on_demand, &mut alive);
                alive_kept += 1;
                launched_by_refresh += 1;
            }
            #[cfg(debug_assertions)]
            g.members.check_indexes();
            // Observations.
            let sample =
                RefreshCapacitySample { at_ms: now, pending: g.members.pending(), in_service: g.members.in_service(), healthy };
            if record
                .capacity
                .last()
                .is_none_or(|s| (s.pending, s.in_service, s.healthy) != (sample.pending, sample.in_service, sample.healthy))
            {
                record.capacity.push(sample);
            }
            counts.update(g, engine, &in_update, first_launch, &may_go);
            let replaced = counts.replaced;
            // DescribeInstanceRefreshes' progress ([`refreshed_instances`]): "When the instance's
            // health status changes to healthy and the specified warm-up time passes, the instance
            // is considered updated and is added to the percentage complete"
            // (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html>),
            // even while the old instance it stands for waits in Terminating:Wait. Neither
            // `PercentageComplete` nor `InstancesToUpdate` goes back.
            let updated = refreshed_instances(&mut counts, g, first_launch, held_above_desired, instances_to_update, now);
            let percent = (updated * 100).checked_div(instances_to_update).unwrap_or(100).max(record.percentage_complete);
            record.instances_to_update = record.instances_to_update.min(instances_to_update - updated);
            if percent != record.percentage_complete {
                record.percentage_complete = percent;
                record.percentage_complete_over_time.push((now, percent));
            }
            if error.is_some() {
                record.status_reason = Some("an ECS request the group made was refused".into());
                break;
            }
            let warming = g.members.warming_up(now);
            // A checkpoint reached by this moment's terminations pauses too, unless they reach the
            // last checkpoint as well: the refresh then ends without a pause.
            reach_checkpoint(&checkpoints, &mut checkpoint, &mut paused_until, updated, warming, now, checkpoint_delay_ms);
            // Every instance to update is gone (terminated by the refresh, or taken by EC2) and as
            // many new ones stand in for them, past their warmup: a refresh whose new instances EC2
            // took is not done until their replacements are.
            if replaced >= target_total && updated >= target_total && !warming && paused_until.is_none() {
                record.status = "Successful".into();
                record.end_time_ms = Some(now);
                g.template = target.clone();
                break;
            }
            // Wait for the next moment something changes: a registration, a warmup's end, a hook's
            // timeout, or a drain completing.
            // (A live member's next move: the end of an InService member's warmup, or a Pending or
            // Terminating:Wait member's own.)
            let next = next_member_move_ms(g, now)
                .into_iter()
                .chain(g.members.warming_after(now).next().map(|(healthy_at_ms, _)| healthy_at_ms))
                .chain(paused_until)
                .min();
            // `Wait`: only protected instances are left to replace and nothing else is under way;
            // the refresh waits an hour for their protection to go, then fails.
            let waiting_on_protection = next.is_none()
                && protected_mode == "Wait"
                && to_update
                    .iter()
                    .any(|&k| protected_from_scale_in(g, k, engine) && g.members[k].lifecycle != Lifecycle::Terminated);
            let next = if waiting_on_protection {
                let until = *protection_wait_until.get_or_insert(now.saturating_add(PROTECTED_INSTANCES_WAIT_MS));
                if now >= until {
                    record.status = "Failed".into();
                    record.status_reason = Some(
                        "instances protected from scale in were not unprotected within an hour (ScaleInProtectedInstances: Wait)"
                            .into(),
                    );
                    record.end_time_ms = Some(now);
                    break;
                }
                Some(until)
            } else {
                next
            };
            let Some(next) = next else {
                // Every instance to update is InService and none may go: the percentages leave no
                // room (`floor` is below the maximum, so this needs a group that shrank meanwhile).
                record.status_reason =
                    Some("no instance can be replaced within MinHealthyPercentage and MaxHealthyPercentage".into());
                timed_out = true;
                break;
            };
            let end = driver.end_time_ms();
            if now >= end {
                timed_out = true;
                break;
            }
            // An instance EC2 takes meanwhile (a Spot interruption) wakes the refresh at once: the
            // group sees it gone in that instant (step 0), its capacity record shows the drop then,
            // and the refresh replaces it as soon as its own pacing allows — not at its next move,
            // which a checkpoint's pause may put an hour away.
            let gone = engine.instances_deregistered();
            wait_for_moment(driver, gi, engine, now, next.min(end), |e| e.instances_deregistered() != gone)?;
            // Only a bound that cut the wait short ends the step (`Driver::bounded`, which ends the
            // run too): `bound_reached` also holds when the count is at the bound with an event
            // pending later, which the wait did not need.
            if driver.bounded {
                timed_out = true;
                break;
            }
        }
        let note = match record.end_time_ms.filter(|_| record.status == "Successful") {
            Some(end) => format!(
                "instance refresh {} Successful: {} of {} instances replaced in {}",
                record.instance_refresh_id,
                target_total,
                instances_to_update,
                crate::timeline::duration_text(end - start)
            ),
            None => format!(
                "instance refresh {} {} at {}%{}",
                record.instance_refresh_id,
                record.status,
                record.percentage_complete,
                record.status_reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
            ),
        };
        let status = record.status.clone();
        driver.background.refreshes.push(record);
        driver.background.groups[gi].busy = false;
        Ok(RefreshEnd { timed_out, error, note, status })
    }

    /// SetDesiredCapacity, run until the group holds the new capacity: each moment, launched
    /// instances due register; instances whose lifecycle action is complete or timed out are
    /// terminated; while more than the desired capacity of instances are Pending or InService, one
    /// more is terminated — through the same termination path as a refresh's (ECS's managed
    /// draining, or the group's termination hook) — chosen among the instances not protected from
    /// scale in (`protectedInstances`, and with managed termination protection those running
    /// non-daemon tasks, re-checked every moment): from the zone with the most instances, by the
    /// group's termination policies ([`termination_key`]); while fewer are, one is launched into
    /// the zone with the fewest. A group with Capacity Rebalancing goes on replacing the Spot
    /// Instances EC2 signals meanwhile ([`rebalance_capacity`]; a signal wakes the step at once).
    ///
    /// The step ends once nothing is Pending or in `Terminating:Wait`, nothing is being replaced,
    /// and the group holds the desired capacity, or only protected instances are left above it:
    /// Auto Scaling keeps the instances it cannot terminate, and the note says how many.
    pub(crate) fn set_desired_capacity(
        engine: &mut Engine,
        driver: &mut ScenarioDriver,
        loaded: &LoadedScenario,
        caller: &str,
        req: &SetDesiredCapacitySpec,
    ) -> Result<RefreshEnd, ScenarioError> {
        // `load` checked the group name and the capacity.
        let gi = driver.background.begin_step(loaded, "SetDesiredCapacity", &req.auto_scaling_group_name)?;
        driver.background.groups[gi].resolve_instances_once(engine);
        let g = &mut driver.background.groups[gi];
        let desired = req.desired_capacity;
        g.spec.desired_capacity = desired;
        g.desired_set_by_managed_scaling = false;
        let warmup_ms = u64::from(g.spec.health_check_grace_period) * 1000;
        let start = engine.now_ms();
        let (mut launched, mut terminated) = (0u32, 0u32);
        let mut error = None;
        let mut timed_out = false;
        let mut held_by_protection = 0u32;
        loop {
            let g = &mut driver.background.groups[gi];
            let now = engine.now_ms();
            note_lost_members(g, engine);
            register_due(g, engine, loaded, caller, now, warmup_ms, &mut error);
            finish_terminations(g, engine, caller, now, &mut error);
            // Capacity Rebalancing goes on during the scaling activity, its replacements launched
            // before the resize counts what the group holds.
            rebalance_capacity(g, engine, caller, now, &mut error);
            let (up, down) = resize(g, engine, caller, now, desired, TerminationCause::SetDesiredCapacity, &mut error);
            (launched, terminated) = (launched + up, terminated + down);
            #[cfg(debug_assertions)]
            g.members.check_indexes();
            if error.is_some() {
                break;
            }
            let next = next_member_move_ms(g, now).into_iter().chain(next_rebalancing_ms(g, engine, now)).min();
            let Some(next) = next else {
                held_by_protection = alive(g).saturating_sub(desired);
                break;
            };
            // A Spot signal wakes a group with Capacity Rebalancing at once.
            let (rebalancing, signals) = (g.spec.capacity_rebalance, engine.spot_signals());
            let end = driver.end_time_ms();
            if now >= end {
                timed_out = true;
                break;
            }
            wait_for_moment(driver, gi, engine, now, next.min(end), |e| rebalancing && e.spot_signals() != signals)?;
            // Only a bound that cut the wait short ends the step (`Driver::bounded`, which ends the
            // run too): `bound_reached` also holds when the count is at the bound with an event
            // pending later, which the wait did not need.
            if driver.bounded {
                timed_out = true;
                break;
            }
        }
        let g = &mut driver.background.groups[gi];
        g.busy = false;
        let elapsed = engine.now_ms() - start;
        let mut note = format!(
            "SetDesiredCapacity {desired} on {}: {launched} launched, {terminated} terminated in {elapsed} ms",
            g.spec.auto_scaling_group_name
        );
        if held_by_protection > 0 {
            note.push_str(&format!("; {held_by_protection} instance(s) above DesiredCapacity kept: protected from scale in"));
        }
        let status = if error.is_some() || timed_out { "InProgress" } else { "Successful" };
        Ok(RefreshEnd { timed_out, error, note, status: status.into() })
    }
}

/// How an Auto Scaling request step that returns at once (TerminateInstanceInAutoScalingGroup,
/// SetInstanceProtection) ended.
pub(crate) enum RequestEnd {
    /// Auto Scaling took the request: what it began (the `Activity` it answers with, in words).
    Began {
        /// An ECS request the group made was refused.
        error: Option<EcsError>,
        /// One line on what the group began.
        note: String,
    },
    /// Auto Scaling refused the request (its error code and message); nothing changed.
    Refused { code: &'static str, message: String },
}

impl AutoScaling {
    /// TerminateInstanceInAutoScalingGroup
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_TerminateInstanceInAutoScalingGroup.html>):
    /// "This call simply makes a termination request. The instance is not terminated
    /// immediately." The step returns at once; the group goes on between steps.
    /// 1. The instance is found among the groups' members by name; one that no group holds, or
    ///    that is Terminated, is refused (`ValidationError`, "Instance Id not found"); one already
    ///    in `Terminating:Wait` is refused with `ScalingActivityInProgress` (drainsim's choice: the
    ///    API's error for "scaling activities in progress").
    /// 2. `ShouldDecrementDesiredCapacity` lowers the desired capacity by one, refused
    ///    (`ValidationError`) when it equals `MinSize`; else the group keeps its capacity: "If you
    ///    do not specify the option to decrement the desired capacity, Amazon EC2 Auto Scaling
    ///    launches instances to replace the ones that are terminated".
    /// 3. The group begins to terminate the instance through its termination path
    ///    ([`begin_termination`]: ECS's managed draining or its termination hook hold it in
    ///    `Terminating:Wait` and drain it; else it goes at once). Scale-in protection does not keep
    ///    it: protection keeps instances "from being terminated during automatic scale in"
    ///    (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-instance-termination.html>),
    ///    and this request names its instance. A Pending instance, not yet registered, goes at
    ///    once.
    /// 4. While fewer members count toward the capacity than the desired capacity, the group
    ///    launches into the zone with the fewest, at once: the instance in `Terminating:Wait` no
    ///    longer counts.
    ///
    /// The rebalancing across zones a decrement may lead to is not modelled.
    pub(crate) fn terminate_instance_in_auto_scaling_group(
        engine: &mut Engine,
        driver: &mut ScenarioDriver,
        caller: &str,
        req: &TerminateInstanceSpec,
    ) -> RequestEnd {
        let now = engine.now_ms();
        let id = req.instance_id.as_str();
        let not_found = || RequestEnd::Refused {
            code: "ValidationError",
            message: format!("Instance Id not found - No managed instance found for instance ID: {id}"),
        };
        let found = driver
            .background
            .groups
            .iter()
            .enumerate()
            .find_map(|(gi, g)| g.members.iter().rposition(|m| m.name == id).map(|k| (gi, k)));
        let Some((gi, k)) = found else { return not_found() };
        let g = &mut driver.background.groups[gi];
        match g.members[k].lifecycle {
            Lifecycle::Pending { .. } | Lifecycle::InService { .. } => {}
            Lifecycle::TerminatingWait { .. } => {
                return RequestEnd::Refused {
                    code: "ScalingActivityInProgress",
                    message: format!("instance {id} is already Terminating:Wait"),
                }
            }
            Lifecycle::Terminated => return not_found(),
        }
        let before = g.spec.desired_capacity;
        if req.should_decrement_desired_capacity {
            if before <= g.spec.min_size {
                return RequestEnd::Refused {
                    code: "ValidationError",
                    message: format!(
                        "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
                        g.spec.min_size
                    ),
                };
            }
            g.spec.desired_capacity = before - 1;
            g.desired_set_by_managed_scaling = false;
        }
        let mut error = None;
        if let Err(e) = begin_termination(g, k, engine, caller, now, TerminationCause::TerminateInstanceInAutoScalingGroup) {
            error = Some(e);
        }
        let path = g.terminations.last().map(|t| t.3).expect("the termination just begun");
        let desired = g.spec.desired_capacity;
        let first_launch = g.launched + 1;
        let (launched, scaled_in) = if error.is_none() && alive(g) < desired {
            resize(g, engine, caller, now, desired, TerminationCause::TerminateInstanceInAutoScalingGroup, &mut error)
        } else if error.is_none() && req.should_decrement_desired_capacity && alive(g) > desired {
            // The named instance no longer counted toward the capacity (Capacity Rebalancing or its
            // maximum instance lifetime had already launched its replacement), so terminating it
            // left the group as large as before: the lower desired capacity is met by a scale-in,
            // as a SetDesiredCapacity to it would (protected instances stay).
            resize(g, engine, caller, now, desired, TerminationCause::DesiredCapacityDecremented, &mut error)
        } else {
            (0, 0)
        };
        // The instance named was the replacement of a member the group is replacing (Capacity
        // Rebalancing, a maximum instance lifetime that launches first): the instance launched in
        // its place replaces that member now, which waits for it to be healthy as it waited for
        // the first — as when EC2 takes a replacement and the group launches it again. Without
        // this the member found its replacement Terminated, no launch to make (the group already
        // held its capacity), and was terminated at once.
        if launched > 0 {
            let new = g.members.len() - launched as usize;
            let waiting: Vec<usize> =
                g.members.replaced_by(k).filter(|&j| matches!(g.members[j].lifecycle, Lifecycle::InService { .. })).collect();
            for j in waiting {
                let reason = g.members[j].rebalancing.expect("a member being replaced").reason;
                g.members.set_rebalancing(j, Rebalancing { replacement: Some(new), reason });
            }
        }
        #[cfg(debug_assertions)]
        g.members.check_indexes();
        g.acts_on_requests = true;
        driver.background.any_in_background = true;
        let capacity = if desired < before {
            format!("shrinking the capacity from {before} to {desired}")
        } else {
            format!("keeping the capacity at {desired}")
        };
        let replacements = match launched {
            0 if scaled_in > 0 => format!("; scaled in {scaled_in} more to meet it"),
            0 => String::new(),
            1 => format!("; launched {}", g.spec.member_name(first_launch)),
            n => format!("; launched {} to {}", g.spec.member_name(first_launch), g.spec.member_name(first_launch + n - 1)),
        };
        let how = match path {
            TerminationPath::ManagedDraining => "Terminating:Wait, ECS managed draining drains it",
            TerminationPath::LifecycleHookDrain => "Terminating:Wait, its lifecycle hook's handler drains it",
            TerminationPath::LifecycleHookWait => "Terminating:Wait until its lifecycle hook times out",
            TerminationPath::Immediate => "terminated at once",
        };
        let note = format!(
            "Terminating EC2 instance: {id} of {} ({how}): taken out of service in response to a user request, {capacity}{replacements}",
            g.spec.auto_scaling_group_name
        );
        RequestEnd::Began { error, note }
    }
}

impl AutoScaling {
    /// SetInstanceProtection
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceProtection.html>):
    /// each named member of the group (Pending, InService or in `Terminating:Wait`) is protected
    /// from scale in, or no longer, from now on; a scale-in already under way, or a later one, reads
    /// it. Under managed termination protection a member running a non-daemon task stays protected
    /// whatever this says (ECS protects it: [`protected_from_scale_in`]). A name that is not a
    /// member of the group now (never launched, or Terminated) refuses the whole call with
    /// `ValidationError` ("The instance … is not part of Auto Scaling group …"), and nothing changes;
    /// `load` checked the group and the number of names.
    ///
    /// Protection removed from a group that protection had kept above its desired capacity lets
    /// the group scale in to it at once: it "can't terminate the required number of instances
    /// until their instance scale-in protection settings are disabled"
    /// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-instance-protection.html>),
    /// and then does ([`TerminationCause::CapacityDifference`]), by its termination policies, the
    /// instances still protected staying; from then on it goes on between steps (ends the
    /// lifecycle waits of those it terminates).
    pub(crate) fn set_instance_protection(
        engine: &mut Engine,
        driver: &mut ScenarioDriver,
        caller: &str,
        req: &SetInstanceProtectionSpec,
    ) -> RequestEnd {
        let group = req.auto_scaling_group_name.as_str();
        let Some(g) = driver.background.groups.iter_mut().find(|g| g.spec.auto_scaling_group_name == group) else {
            return RequestEnd::Refused { code: "ValidationError", message: format!("Group {group} not found") };
        };
        let mut members = Vec::with_capacity(req.instance_ids.len());
        for id in &req.instance_ids {
            match g.members.live().find(|&k| g.members[k].name == *id) {
                // An instance named twice is one instance (the note counts instances).
                Some(k) if members.contains(&k) => {}
                Some(k) => members.push(k),
                None => {
                    return RequestEnd::Refused {
                        code: "ValidationError",
                        message: format!("The instance {id} is not part of Auto Scaling group {group}."),
                    }
                }
            }
        }
        for &k in &members {
            g.members.set_protected(k, req.protected_from_scale_in);
        }
        let how = if req.protected_from_scale_in { "protected from scale in" } else { "no longer protected from scale in" };
        let mut note = format!("{} instance(s) of {group} {how}", members.len());
        let mut error = None;
        let desired = g.spec.desired_capacity;
        if !req.protected_from_scale_in && !g.busy && alive(g) > desired {
            g.resolve_instances_once(engine);
            let (_, scaled_in) = resize_to_desired(g, engine, caller, engine.now_ms(), &mut error);
            if scaled_in > 0 {
                note.push_str(&format!(
                    "; {scaled_in} terminated in response to a difference between desired and actual capacity \
                     (DesiredCapacity {desired})"
                ));
                g.acts_on_requests = true;
                driver.background.any_in_background = true;
            }
            #[cfg(debug_assertions)]
            g.members.check_indexes();
        }
        RequestEnd::Began { error, note }
    }
}

/// Whether member `k` is InService, or in `Terminating:Wait`, while EC2 has terminated it (a Spot
/// interruption): its container instance is INACTIVE although the group never terminated it, or,
/// terminated with its agent disconnected, still registered but gone
/// (`InstanceView::ec2_instance_gone`). An instance EC2 terminates during its lifecycle wait is
/// gone: the wait ends with it.
fn lost(g: &Group, k: usize, engine: &Engine) -> bool {
    let m = &g.members[k];
    if !matches!(m.lifecycle, Lifecycle::InService { .. } | Lifecycle::TerminatingWait { .. }) {
        return false;
    }
    container_instance(engine, m).is_some_and(|i| i.status() == drainsim_core::InstanceStatus::Inactive || i.ec2_instance_gone())
}

/// A member's container instance: by ID once the group registered it, else by name (the instances
/// of time 0, which the setup registered); none before it registers.
fn container_instance<'e>(engine: &'e Engine, m: &Member) -> Option<drainsim_core::InstanceView<'e>> {
    match m.instance {
        Some(id) => Some(engine.instance(id)),
        None => engine.instance_named(&m.name),
    }
}

/// A Spot group's members EC2 terminated (Spot interruptions) leave it: Terminated, so that the
/// group counts them no more and launches replacements to keep its desired capacity. Looked for
/// only when an instance became INACTIVE since the group last looked
/// (`Engine::instances_deregistered`). Returns the members lost, by index.
fn note_lost_members(g: &mut Group, engine: &Engine) -> Vec<usize> {
    let deregistered = engine.instances_deregistered();
    if g.spec.spot.is_none() || g.inactive_seen == deregistered {
        return Vec::new();
    }
    // Only the instances that became INACTIVE since the group last looked: a walk of every live
    // member here cost O(members) per Spot termination, O(n²) for a group losing a tenth of n.
    let mut lost_members: Vec<usize> = engine
        .instances_deregistered_since(g.inactive_seen)
        .iter()
        .filter_map(|&id| g.members.named(engine.instance(id).name()))
        // `lost` asks for InService or Terminating:Wait, so a Terminated member is passed over.
        .filter(|&k| lost(g, k, engine))
        .collect();
    lost_members.sort_unstable(); // the order of the walk it replaces: by member index
    lost_members.dedup();
    g.inactive_seen = deregistered;
    for &k in &lost_members {
        g.members.set_lifecycle(k, Lifecycle::Terminated);
    }
    lost_members
}

/// The group moves to its desired capacity outside a step (managed scaling's datapoint, protection
/// removed): a scale-in is managed scaling's when managed scaling set that capacity, counted in its
/// record, else the group catching up with one a step or request set
/// ([`TerminationCause::CapacityDifference`]). Returns what [`resize`] launched and terminated.
fn resize_to_desired(g: &mut Group, engine: &mut Engine, caller: &str, now: u64, error: &mut Option<EcsError>) -> (u32, u32) {
    let by_scaling = g.desired_set_by_managed_scaling;
    let cause = if by_scaling { TerminationCause::ManagedScaling } else { TerminationCause::CapacityDifference };
    let (launched, terminated) = resize(g, engine, caller, now, g.spec.desired_capacity, cause, error);
    if let Some(scaler) = g.scaler.as_mut().filter(|_| by_scaling) {
        scaler.record.instances_terminated += terminated;
    }
    (launched, terminated)
}

/// When a member next moves by itself: the first registration due (Pending), or the next timeout
/// of a hook holding one in `Terminating:Wait` that changes something ([`next_wait_timeout`]).
#[inline]
fn next_member_move_ms(g: &Group, now: u64) -> Option<u64> {
    g.members.next_registration_ms().into_iter().chain(next_wait_timeout(g, now)).min()
}

/// Whether the group may terminate member `k` in a scale in: alive ([`counts_toward_capacity`])
/// and not protected from scale in.
fn may_terminate(g: &Group, k: usize, engine: &Engine) -> bool {
    counts_toward_capacity(&g.members[k]) && !protected_from_scale_in(g, k, engine)
}

/// The members that count toward the group's capacity ([`counts_toward_capacity`]).
fn alive(g: &Group) -> u32 {
    g.members.alive()
}

/// The members [`alive`] counts that are On-Demand Instances: with [`alive`], what
/// [`AutoScalingGroupSpec::launches_spot`] weighs a launch by. A loop of launches counts them
/// once and moves the count with each launch.
fn on_demand_alive(g: &Group) -> u32 {
    g.members.on_demand_alive()
}

/// The group moves toward `desired` at `now`: while more members are alive (Pending or
/// InService), one more is terminated — through the group's termination path (ECS's managed
/// draining, or its termination hook) — chosen among those not protected from scale in
/// (`protectedInstances`, and with managed termination protection those running non-daemon tasks,
/// read once per move, those protected since leaving before each pick,
/// [`Victims::drop_protected`]): from the zone with the most instances, by the group's termination
/// policies ([`termination_key`]). A group with an `InstancesDistribution` first chooses the purchase option, as Auto
/// Scaling's default termination policy does for a mixed instances group ("first it identifies
/// which of the two types (Spot or On-Demand) should be terminated",
/// <https://github.com/awsdocs/amazon-ec2-auto-scaling-user-guide/blob/master/doc_source/ec2-auto-scaling-termination-policies.md>):
/// On-Demand while more are alive than its distribution keeps for the capacity left, else Spot
/// (the other when none of that one may go). While fewer are alive, one is launched into the zone
/// with the fewest. Its terminations are recorded with `cause`. Returns how many it launched and
/// how many it began to terminate; a refused ECS request is kept in `error` and ends the moves.
fn resize(
    g: &mut Group,
    engine: &mut Engine,
    caller: &str,
    now: u64,
    desired: u32,
    cause: TerminationCause,
    error: &mut Option<EcsError>,
) -> (u32, u32) {
    let (mut launched, mut terminated) = (0u32, 0u32);
    // The alive members that may go, in the order of the group's termination policies: for a
    // mixed group one set per purchase option (On-Demand, Spot), else one set.
    let options: &[Option<bool>] = if g.spec.instances_distribution.is_some() { &[Some(false), Some(true)] } else { &[None] };
    let policies = g.spec.termination_order();
    let eligible = |g: &Group, engine: &Engine| -> Vec<Victims> {
        options
            .iter()
            .map(|spot| {
                let mut members: Vec<usize> = g
                    .members
                    .live()
                    .filter(|&k| may_terminate(g, k, engine) && spot.is_none_or(|s| g.members[k].spot == s))
                    .collect();
                members.sort_by_cached_key(|&k| termination_key(g, &policies, k, now));
                Victims::new(g, members.into_iter())
            })
            .collect()
    };
    // The victims are ordered only when the group has members to terminate: a resize that only
    // launches (a Spot group replacing what EC2 took, managed scaling growing the group) would
    // otherwise sort every member by its termination key, O(members log members) per launch.
    let mut alive_now = alive(g);
    let mut victims: Option<Vec<Victims>> = None;
    let mut on_demand = on_demand_alive(g);
    while error.is_none() && alive_now > desired {
        let victims = victims.get_or_insert_with(|| eligible(g, engine));
        // While whether a member is protected follows the tasks it runs, the tasks of each member
        // terminated move to others, which may be protected now ([`Victims::drop_protected`]).
        if protection_follows_tasks(g) {
            for v in victims.iter_mut() {
                v.drop_protected(g, engine);
            }
            #[cfg(debug_assertions)]
            for (kept, read) in victims.iter().zip(eligible(g, engine)) {
                assert_eq!(kept.pick(), read.pick(), "the kept victims pick as the members read again would");
            }
        }
        let order = match victims.len() {
            1 => [0, 0],
            _ if on_demand > g.spec.on_demand_of(alive_now - 1) => [0, 1],
            _ => [1, 0],
        };
        let Some((set, victim)) = order.iter().find_map(|&o| victims[o].pick().map(|v| (o, v))) else { break };
        for (o, v) in victims.iter_mut().enumerate() {
            if o == set {
                v.remove(g, victim);
            } else {
                v.forget(g, victim);
            }
        }
        on_demand -= u32::from(!g.members[victim].spot);
        alive_now -= 1;
        terminated += 1;
        if let Err(e) = begin_termination(g, victim, engine, caller, now, cause) {
            *error = Some(e);
        }
    }
    // Each launch is a Pending member in the zone with the fewest alive ones: the counts are taken
    // once and moved with each launch.
    let mut zones = alive_per_zone(g);
    let template = g.template.clone();
    while error.is_none() && alive_now < desired {
        launch(g, now, &template, &mut zones, &mut on_demand, &mut alive_now);
        launched += 1;
    }
    (launched, terminated)
}

/// Where member `k` comes in the order the group's termination `policies` give at `now`
/// ([`AutoScalingGroupSpec::termination_order`]; lower terminates first), within the zone a scale-in
/// takes from: one part per policy, then its launch order, oldest first (Auto Scaling picks among
/// the last ties at random; drainsim keeps runs the same)
/// (<https://github.com/awsdocs/amazon-ec2-auto-scaling-user-guide/blob/master/doc_source/ec2-auto-scaling-termination-policies.md>).
fn termination_key(g: &Group, policies: &[crate::format::TerminationPolicy], k: usize, now: u64) -> Vec<u64> {
    use crate::format::TerminationPolicy as P;
    const HOUR_MS: i128 = 3_600_000;
    let m = &g.members[k];
    // A launch time (negative before the run) as a number of the same order.
    let launched = (m.launch_time_ms as u64) ^ (1 << 63);
    let mut key: Vec<u64> = policies
        .iter()
        .flat_map(|p| match p {
            // "instances that use the noncurrent launch template are terminated first, followed by
            // instances that use the oldest version of the current launch template"
            P::OldestLaunchTemplate if m.template.launch_template_name != g.template.launch_template_name => [0, 0],
            P::OldestLaunchTemplate => [1 + m.template.version.parse::<u64>().unwrap_or(u64::MAX - 1), 0],
            // Closest to a whole hour of running: the least time left in its current hour.
            P::ClosestToNextInstanceHour => {
                let running_ms = i128::from(now) - i128::from(m.launch_time_ms);
                [(HOUR_MS - running_ms.rem_euclid(HOUR_MS)) as u64, 0]
            }
            // By launch time, then by launch order (the members of time 0 in the scenario's order).
            P::NewestInstance => [u64::MAX - launched, u64::MAX - k as u64],
            P::OldestInstance => [launched, k as u64],
            P::Default | P::AllocationStrategy | P::OldestLaunchConfiguration => [0, 0],
        })
        .collect();
    key.push(k as u64);
    key
}

/// The group launches an instance at `now` from launch template `template`: a Pending member in
/// the zone with the fewest alive members (`zones`, [`alive_per_zone`]), a Spot Instance or not as
/// [`AutoScalingGroupSpec::launches_spot`] says for `on_demand` of `alive` members; the three
/// counts move with the launch. Returns its index.
fn launch(
    g: &mut Group,
    now: u64,
    template: &LaunchTemplateSpec,
    zones: &mut [(String, usize)],
    on_demand: &mut u32,
    alive: &mut u32,
) -> usize {
    let zone = fewest_alive_zone(g, zones);
    let spot = g.spec.launches_spot(*on_demand, *alive);
    *on_demand += u32::from(!spot);
    *alive += 1;
    g.launched = g.launched.checked_add(1).expect("launches are bounded by MAX_GROUP_SIZE per step or action");
    // It inherits the group's `NewInstancesProtectedFromScaleIn`; with managed termination
    // protection ECS decides its protection instead ([`protected_from_scale_in`]).
    let protected = g.spec.new_instances_protected_from_scale_in && !protection_follows_tasks(g);
    g.members.push(Member {
        name: g.spec.member_name(g.launched),
        zone,
        template: template.clone(),
        protected,
        spot,
        lifecycle: Lifecycle::Pending { register_at_ms: now.saturating_add(g.spec.launch_to_register_ms) },
        launched_at_ms: Some(now),
        launch_time_ms: i64::try_from(now).expect("simulated times are bounded"),
        instance: None,
        rebalancing: None,
    })
}

/// Capacity Rebalancing (the group's `CapacityRebalance`): "Amazon EC2 Auto Scaling attempts to
/// proactively replace Spot Instances in the group that have received a rebalance
/// recommendation", and on an interruption notice "calls the termination lifecycle hook and
/// attempts to launch a replacement immediately"
/// (<https://github.com/awsdocs/amazon-ec2-auto-scaling-user-guide/blob/master/doc_source/ec2-auto-scaling-capacity-rebalancing.md>).
/// At `now`, between steps or during a SetDesiredCapacity step on the group (a refresh leaves it
/// until it ends):
/// 1. each InService Spot member EC2 has signalled (a rebalance recommendation or an interruption
///    notice: `InstanceView::spot_signal`) begins to be replaced: it no longer counts toward the
///    group's capacity ([`counts_toward_capacity`]);
/// 2. for each one being replaced without a replacement — or whose replacement EC2 took before it
///    was healthy ("keeps trying to relaunch them") — the group launches one while it holds fewer
///    than its desired capacity without it, above `MaxSize` if need be ("can temporarily exceed the
///    specified maximum capacity");
/// 3. one being replaced is terminated through the group's termination path
///    ([`begin_termination`]: its termination lifecycle hook or ECS's managed draining, which
///    drain it; else at once, its tasks lost, since "Amazon ECS does not receive a notice from
///    Amazon EC2 when instances are removed by Auto Scaling Capacity Rebalancing") once its
///    replacement is InService past the group's health check grace period ("waits until the new
///    instance passes its health check before it proceeds with terminating the old instance"),
///    when the group needed no replacement, or at once on its interruption notice.
///
/// EC2 still terminates the instance two minutes after a notice, whatever the group is doing. A
/// refused ECS request is kept in `error`.
fn rebalance_capacity(g: &mut Group, engine: &mut Engine, caller: &str, now: u64, error: &mut Option<EcsError>) {
    if !g.spec.capacity_rebalance {
        return;
    }
    g.members.forget_finished_replacements(now);
    let signals = engine.spot_signals();
    if g.spot_signals_seen != signals {
        g.spot_signals_seen = signals;
        // The InService Spot members not being replaced that EC2 signalled (marked in any order:
        // marking launches nothing).
        let signalled: Vec<usize> = g
            .members
            .in_service_oldest_first()
            .filter(|&k| g.members[k].spot && spot_signal(engine, &g.members[k]).is_some())
            .collect();
        for k in signalled {
            g.members.set_rebalancing(k, Rebalancing { replacement: None, reason: ReplacedFor::CapacityRebalancing });
        }
    }
    let replaced: Vec<usize> = g
        .members
        .replacing()
        .filter(|&k| {
            g.members[k].rebalancing.is_some_and(|r| r.for_capacity_rebalancing())
                && matches!(g.members[k].lifecycle, Lifecycle::InService { .. })
        })
        .collect();
    if replaced.is_empty() {
        return;
    }
    let (mut zones, mut on_demand, mut alive_now) = (alive_per_zone(g), on_demand_alive(g), alive(g));
    let template = g.template.clone();
    for &k in &replaced {
        let replacement = g.members[k].rebalancing.and_then(|r| r.replacement);
        let lost_replacement = replacement.is_some_and(|n| g.members[n].lifecycle == Lifecycle::Terminated);
        if replacement.is_none() || lost_replacement {
            let launched = (alive_now < g.spec.desired_capacity)
                .then(|| launch(g, now, &template, &mut zones, &mut on_demand, &mut alive_now));
            g.members.set_rebalancing(k, Rebalancing { replacement: launched, reason: ReplacedFor::CapacityRebalancing });
        }
    }
    for &k in &replaced {
        let replacement = g.members[k].rebalancing.and_then(|r| r.replacement);
        // A member is being replaced because it had a signal.
        let signal = spot_signal(engine, &g.members[k]).unwrap_or(drainsim_core::SpotSignal::RebalanceRecommendation);
        let noticed = signal == drainsim_core::SpotSignal::InterruptionNotice;
        let replaced_now = replacement
            .is_none_or(|n| matches!(g.members[n].lifecycle, Lifecycle::InService { healthy_at_ms } if healthy_at_ms <= now));
        if noticed || replaced_now {
            if let Err(e) = begin_termination(g, k, engine, caller, now, TerminationCause::CapacityRebalancing(signal)) {
                error.get_or_insert(e);
            }
        }
    }
}

/// When Capacity Rebalancing next moves by itself ([`rebalance_capacity`]): now, when EC2 gave a
/// signal since the group last looked, or for a member being replaced without a replacement (or
/// whose replacement EC2 took); else when the replacement of a member being replaced is past its
/// health check grace period (its registration is a Pending member's own move).
fn next_rebalancing_ms(g: &Group, engine: &Engine, now: u64) -> Option<u64> {
    if !g.spec.capacity_rebalance {
        return None;
    }
    if g.spot_signals_seen != engine.spot_signals() {
        return Some(now);
    }
    g.members
        .replacing()
        .map(|k| &g.members[k])
        .filter(|m| matches!(m.lifecycle, Lifecycle::InService { .. }))
        .filter_map(|m| m.rebalancing.filter(Rebalancing::for_capacity_rebalancing))
        .filter_map(|r| match r.replacement.map(|n| g.members[n].lifecycle) {
            Some(Lifecycle::InService { healthy_at_ms }) => Some(healthy_at_ms.max(now)),
            // None launched (the group held its capacity without it, or a step acting on the group
            // kept it from launching one), or EC2 took it: the group moves now.
            None | Some(Lifecycle::Terminated) => Some(now),
            _ => None,
        })
        .min()
}

/// Maximum instance lifetime (the group's `MaxInstanceLifetime`): "the maximum amount of time
/// ... that an instance can be in service before it is terminated and replaced"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-max-instance-lifetime.html>). At
/// `now`, between steps (a step acting on the group, StartInstanceRefresh or SetDesiredCapacity,
/// leaves it until it ends):
/// 1. an InService member in service that long — since its launch: the group's, or a member of
///    time 0's `launchedAtMs` — and not protected from scale in ("use instance scale-in protection
///    to temporarily prevent individual instances from being terminated") begins to be replaced,
///    the longest in service first, while fewer replacements than a tenth of the desired capacity
///    (at least one) are under way: "Amazon EC2 Auto Scaling will usually replace instances one
///    at a time ... up to 10% of the current capacity of the Auto Scaling group". drainsim
///    replaces one at a time while one is due and up to a tenth when more are; a replacement
///    is under way until the old instance is terminated and its replacement healthy (no further
///    pause: the page gives no length);
/// 2. the group launches its replacement while it holds fewer than its desired capacity without
///    it, and terminates it through its termination path ([`begin_termination`]) at once — "creates
///    a new scaling activity for terminating an instance and then terminates it. While the
///    instance is terminating, another scaling activity launches a new instance" — or, with an
///    `InstanceMaintenancePolicy` whose `MinHealthyPercentage` is 100, once the replacement is
///    InService past the health check grace period (launch before terminating).
///
/// A refused ECS request is kept in `error`.
fn replace_expired(g: &mut Group, engine: &mut Engine, caller: &str, now: u64, error: &mut Option<EcsError>) {
    let Some(lifetime_ms) = g.spec.max_instance_lifetime_ms() else {
        return;
    };
    let launch_first = g.spec.launches_before_terminating();
    g.members.forget_finished_replacements(now);
    let mut under_way = expiries_under_way(g, now);
    let limit = expiry_limit(g);
    let template = g.template.clone();
    let (mut zones, mut on_demand, mut alive_now) = (alive_per_zone(g), on_demand_alive(g), alive(g));
    // The InService members not being replaced whose lifetime is over, longest in service first,
    // read one at a time while there is room (a member taken leaves the order; a protected one
    // stays, and the walk goes past it).
    let mut after = None;
    while under_way < limit {
        let Some((launch_time_ms, k)) = g.members.in_service_oldest_after(after) else { break };
        if expires_at_ms(&g.members[k], lifetime_ms) > i128::from(now) {
            break;
        }
        after = Some((launch_time_ms, k));
        if protected_from_scale_in(g, k, engine) {
            continue;
        }
        under_way += 1;
        // It counts no more: the replacement takes its place.
        alive_now -= 1;
        on_demand -= u32::from(!g.members[k].spot);
        if let Some(zone) = zones.iter_mut().find(|(z, _)| *z == g.members[k].zone) {
            zone.1 -= 1;
        }
        g.members.set_rebalancing(k, Rebalancing { replacement: None, reason: ReplacedFor::MaxInstanceLifetime });
        let launched =
            (alive_now < g.spec.desired_capacity).then(|| launch(g, now, &template, &mut zones, &mut on_demand, &mut alive_now));
        g.members.set_rebalancing(k, Rebalancing { replacement: launched, reason: ReplacedFor::MaxInstanceLifetime });
        if !launch_first {
            if let Err(e) = begin_termination(g, k, engine, caller, now, TerminationCause::MaxInstanceLifetime) {
                error.get_or_insert(e);
            }
        }
    }
    if !launch_first {
        return;
    }
    // Launch before terminating: each member whose replacement is healthy (or that needed none) is
    // terminated; one whose replacement EC2 took before it was healthy gets another.
    let awaiting = g.members.lifetime_awaiting_at(now);
    for k in awaiting {
        let Some(r) = g.members[k].rebalancing.filter(|r| !r.for_capacity_rebalancing()) else { continue };
        if !matches!(g.members[k].lifecycle, Lifecycle::InService { .. }) {
            continue;
        }
        if r.replacement.is_some_and(|n| g.members[n].lifecycle == Lifecycle::Terminated) {
            let (mut zones, mut on_demand, mut alive_now) = (alive_per_zone(g), on_demand_alive(g), alive(g));
            let launched = (alive_now < g.spec.desired_capacity)
                .then(|| launch(g, now, &template, &mut zones, &mut on_demand, &mut alive_now));
            g.members.set_rebalancing(k, Rebalancing { replacement: launched, reason: ReplacedFor::MaxInstanceLifetime });
            continue;
        }
        let replaced_now = r
            .replacement
            .is_none_or(|n| matches!(g.members[n].lifecycle, Lifecycle::InService { healthy_at_ms } if healthy_at_ms <= now));
        if replaced_now {
            if let Err(e) = begin_termination(g, k, engine, caller, now, TerminationCause::MaxInstanceLifetime) {
                error.get_or_insert(e);
            }
        }
    }
}

/// When member `m` has been in service for `lifetime_ms`, in ms from time 0 (before it, for a
/// member of time 0 launched long before the run).
fn expires_at_ms(m: &Member, lifetime_ms: u64) -> i128 {
    AutoScalingGroupSpec::lifetime_ends_at_ms(m.launch_time_ms, lifetime_ms)
}

/// How many replacements for a maximum instance lifetime are under way at `now`
/// ([`Members::lifetime_under_way`], where the rule is).
fn expiries_under_way(g: &Group, now: u64) -> usize {
    g.members.lifetime_under_way(now)
}

/// How many replacements for a maximum instance lifetime may be under way at once: a tenth of the
/// desired capacity, at least one.
fn expiry_limit(g: &Group) -> usize {
    (g.spec.desired_capacity / 10).max(1) as usize
}

/// When the maximum instance lifetime next moves by itself ([`replace_expired`]): while a
/// replacement may begin, when the next member's lifetime ends (now for one past it, unless it is
/// protected from scale in: it is replaced at the group's first move after its protection ends);
/// and when a replacement under way becomes healthy (which may end it, or let its member be
/// terminated). Registrations and terminations are the members' own moves.
fn next_expiry_ms(g: &Group, engine: &Engine, now: u64) -> Option<u64> {
    let lifetime_ms = g.spec.max_instance_lifetime_ms()?;
    // A member still InService waits for its replacement (launch before terminating), or for
    // another when EC2 took it; one already terminating or gone, only to end its replacement's
    // count.
    let healthy = g.members.next_lifetime_replacement_healthy_ms(now);
    let room = expiries_under_way(g, now) < expiry_limit(g);
    // The InService members not being replaced, longest in service first: now for the first one
    // due that is not protected, else when the first one not due yet is.
    let expiry = room
        .then(|| {
            g.members.in_service_oldest_first().find_map(|k| {
                let t = expires_at_ms(&g.members[k], lifetime_ms);
                match t > i128::from(now) {
                    true => Some(t),
                    false => (!protected_from_scale_in(g, k, engine)).then_some(i128::from(now)),
                }
            })
        })
        .flatten()
        .map(|t| u64::try_from(t).unwrap_or(u64::MAX));
    healthy.into_iter().chain(expiry).min()
}

/// [`next_expiry_ms`], asked each time the driver asks when the groups next act (at every instant
/// of a jittered drain), without a walk of the replacements under way while nothing it reads has
/// changed: the members (their change count), the desired capacity, and the clock up to the time
/// it gave. Until then each part of it stands: a replacement's warmup that ends later is still
/// the soonest, the count of replacements under way moves only when one ends (a time it gives),
/// and the next lifetime to end is the same. Not kept when whether a member is protected follows
/// its tasks (managed termination protection: the engine's state), nor when it gave the clock
/// itself (the group acts now).
fn next_expiry_ms_kept(g: &mut Group, engine: &Engine, now: u64) -> Option<u64> {
    g.spec.max_instance_lifetime_ms()?;
    let (changes, desired) = (g.members.changes_count(), g.spec.desired_capacity);
    let kept = g.expiry_kept.filter(|k| {
        (k.changes, k.desired) == (changes, desired) && now >= k.at_ms && k.next.is_none_or(|t| t > k.at_ms && now < t)
    });
    if let Some(k) = kept {
        debug_assert_eq!(k.next, next_expiry_ms(g, engine, now), "the kept next move of the lifetime at {now}");
        return k.next;
    }
    let next = next_expiry_ms(g, engine, now);
    g.expiry_kept = (!protection_follows_tasks(g)).then_some(ExpiryKept { changes, desired, at_ms: now, next });
    next
}

/// The signal EC2 gave a member of a coming Spot interruption, if any.
fn spot_signal(engine: &Engine, m: &Member) -> Option<drainsim_core::SpotSignal> {
    container_instance(engine, m).and_then(|i| i.spot_signal())
}

/// Launched instances whose registration is due register with ECS (Pending → InService, healthy
/// `warmup_ms` later); a refused registration is kept in `error`.
fn register_due(
    g: &mut Group,
    engine: &mut Engine,
    loaded: &LoadedScenario,
    caller: &str,
    now: u64,
    warmup_ms: u64,
    error: &mut Option<EcsError>,
) {
    for k in g.members.registrations_due(now) {
        let m = &g.members[k];
        let shape =
            loaded.scenario.asg_members_with_provider(&g.spec, vec![g.spec.member(&m.name, &m.zone, &m.template, m.spot)]);
        let reg = registration_request(&shape[0], 0, &m.name);
        match engine.submit_as(caller, Request::RegisterContainerInstance(reg)) {
            Ok(_) => {
                // A pinned trunk failure applies to an instance the group launches, too.
                let pinned = loaded.scenario.faults.as_ref().is_some_and(|f| f.trunk_failures.contains(&m.name));
                let id = engine.instance_named(&m.name).map(|i| i.id());
                if let Some(id) = id.filter(|_| pinned) {
                    engine.pin_trunk_failure(id).expect("an instance of this engine");
                }
                // So is Spot: the instances of a Spot group can be interrupted.
                if let (Some(id), Some(spot)) = (id, g.spec.spot.as_ref().filter(|_| m.spot)) {
                    engine.mark_spot_instance(id, spot.spot_instance_draining).expect("an instance of this engine");
                }
                g.members.set_instance(k, id);
            }
            Err(e) => *error = Some(e),
        }
        g.members.set_lifecycle(k, Lifecycle::InService { healthy_at_ms: now.saturating_add(warmup_ms) });
    }
}

/// Instances in `Terminating:Wait` whose wait is over ([`waits_over`]) are terminated, in launch
/// order.
fn finish_terminations(g: &mut Group, engine: &mut Engine, caller: &str, now: u64, error: &mut Option<EcsError>) {
    note_drains(g, engine);
    for k in waits_over(g, engine, now) {
        let ended = wait_ended(g, engine, k, now);
        g.wait_ends.push((k, ended));
        if let Err(e) = terminate(engine, caller, &g.members[k].name) {
            *error = Some(e);
        }
        g.members.set_lifecycle(k, Lifecycle::Terminated);
    }
}

/// How the wait of member `k`, over at `now` ([`wait_over`]), ended: whether its drain was
/// complete, and the hook that timed out, if one did. `ABANDON` ends the wait at its timeout;
/// otherwise, of two hooks that timed out, ECS's managed-draining hook (48 hours) is the later,
/// since the group's own lasts at most 48 hours.
fn wait_ended(g: &Group, engine: &Engine, k: usize, now: u64) -> TerminationWait {
    let m = &g.members[k];
    let Lifecycle::TerminatingWait { since_ms } = m.lifecycle else {
        panic!("member {} whose wait ended is in Terminating:Wait", m.name)
    };
    let drain_completed = drained(g, engine, m);
    let own = g.termination_hook.as_ref().and_then(|h| {
        let at_ms = since_ms.saturating_add(h.wait_limit_ms());
        let completed = h.drain_on_termination && drain_completed;
        (!completed && at_ms <= now).then(|| HookTimeout::LifecycleHook {
            lifecycle_hook_name: h.lifecycle_hook_name.clone(),
            at_ms,
            heartbeat_timeout_s: h.heartbeat_timeout,
            heartbeats_recorded: h.record_heartbeats,
            default_result: h.default_result.clone(),
        })
    });
    let abandoned = matches!(&own, Some(HookTimeout::LifecycleHook { default_result, .. }) if default_result == "ABANDON");
    let managed = (managed_draining(g) && !drain_completed)
        .then(|| since_ms.saturating_add(MANAGED_DRAINING_LIMIT_MS))
        .filter(|&at_ms| at_ms <= now)
        .map(|at_ms| HookTimeout::ManagedDraining { at_ms });
    let handed_over = match (&own, &managed) {
        (Some(o), Some(m)) if !abandoned && o.at_ms() < m.at_ms() => own.clone(),
        _ => None,
    };
    let timed_out = if abandoned { own } else { managed.or(own) };
    TerminationWait { ended_at_ms: now, drain_completed, timed_out, handed_over }
}

/// The group takes in the drains completed since it last looked: each member in
/// `Terminating:Wait` whose drain counts for its hooks ([`drained`]) is marked drained, so that
/// which waits a drain ends is read from the marks, not asked of every member at every moment (a
/// member that enters the wait already drained is marked by [`begin_termination`]). A mark whose
/// drain restarted is dropped when read ([`drained_waits`]).
#[inline]
fn note_drains(g: &mut Group, engine: &Engine) {
    let completed = engine.drains_completed();
    if g.drains_seen != completed {
        note_drains_since_seen(g, engine, completed);
    }
}

/// [`note_drains`] for a group with no member moving: the drains completed so far (`completed`)
/// can end no wait, and are passed over without a look (asked of every group at every instant).
fn pass_over_drains(g: &mut Group, completed: u64) {
    debug_assert!(!g.members.any_moving(), "no member waits");
    g.drains_seen = completed;
}

/// [`note_drains`] once some drains completed since the group last looked (`completed` now).
fn note_drains_since_seen(g: &mut Group, engine: &Engine, completed: u64) {
    if drains_on_termination(g) && g.members.any_waiting() {
        for &id in engine.drains_completed_since(g.drains_seen) {
            let Some(k) = g.members.named(engine.instance(id).name()) else { continue };
            if matches!(g.members[k].lifecycle, Lifecycle::TerminatingWait { .. }) && drained(g, engine, &g.members[k]) {
                g.members.mark_drained(k);
            }
        }
    }
    g.drains_seen = completed;
}

/// The least time a member has been in `Terminating:Wait` from which its wait is over
/// ([`wait_over`]), its drain complete or not (`drained`); None if it never is. Whether a wait is
/// over depends on how long it has lasted alone and changes only when a hook times out, so the
/// waits over at a moment are those begun at or before a cut.
fn wait_over_after_ms(g: &Group, drained: bool) -> Option<u64> {
    let own = g.termination_hook.as_ref().map_or(0, |h| h.wait_limit_ms());
    let managed = if managed_draining(g) { MANAGED_DRAINING_LIMIT_MS } else { 0 };
    let mut lasted = [0, own, managed];
    lasted.sort_unstable();
    lasted.into_iter().find(|&t| wait_over(g, 0, drained, t))
}

/// The members marked drained ([`note_drains`]) in `Terminating:Wait` since `cut` or before whose
/// drain still counts ([`drained`]); a mark whose drain restarted is dropped.
fn drained_waits(g: &mut Group, engine: &Engine, cut: u64) -> Vec<usize> {
    let marked: Vec<usize> = g.members.drained_waiting_since_at_most(cut).collect();
    let (still, restarted): (Vec<usize>, Vec<usize>) = marked.into_iter().partition(|&k| drained(g, engine, &g.members[k]));
    for k in restarted {
        g.members.unmark_drained(k);
    }
    still
}

/// The members in `Terminating:Wait` whose wait is over at `now`, in launch order: those that have
/// waited long enough for it to be over undrained, and of those marked drained, those that have
/// waited long enough for it to be over drained ([`wait_over_after_ms`]).
fn waits_over(g: &mut Group, engine: &Engine, now: u64) -> Vec<usize> {
    let cut = |g: &Group, drained: bool| wait_over_after_ms(g, drained).and_then(|t| now.checked_sub(t));
    let mut over: Vec<usize> = cut(g, false).map(|c| g.members.waiting_since_at_most(c).collect()).unwrap_or_default();
    if let Some(c) = cut(g, true) {
        over.extend(drained_waits(g, engine, c));
    }
    over.sort_unstable();
    over.dedup();
    #[cfg(debug_assertions)]
    {
        // Every drained member is marked: the same as asking each member.
        let asked: Vec<usize> = (0..g.members.len())
            .filter(|&k| match g.members[k].lifecycle {
                Lifecycle::TerminatingWait { since_ms } => wait_over(g, since_ms, drained(g, engine, &g.members[k]), now),
                _ => false,
            })
            .collect();
        assert_eq!(over, asked, "the waits over at {now} are those each member's hooks end");
    }
    over
}

/// The members in `Terminating:Wait` whose wait their drain's completion would end at `now` are
/// those since this cut or before (None: no drain ends a wait, as when the group's own hook
/// ignores the drain): the drains a step waits for.
fn drain_ends_waits_since_at_most(g: &Group, now: u64) -> Option<u64> {
    wait_over_after_ms(g, true).and_then(|t| now.checked_sub(t)).filter(|_| drains_on_termination(g))
}

/// The instance is drained when the group terminates it: by ECS when the group's capacity
/// provider has `managedDraining` ENABLED
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html>),
/// or by the operator's tooling of the termination hook (`drainOnTermination`).
fn drains_on_termination(g: &Group) -> bool {
    managed_draining(g) || g.termination_hook.as_ref().is_some_and(|h| h.drain_on_termination)
}

/// Whether ECS's managed draining holds the instances the group terminates in a lifecycle hook of
/// its own (the capacity provider's `managedDraining` ENABLED).
fn managed_draining(g: &Group) -> bool {
    g.provider.as_ref().is_some_and(|p| p.managed_draining_enabled())
}

/// Whether a lifecycle hook holds the instances the group terminates in `Terminating:Wait` (the
/// group's own termination hook, ECS's managed draining); without one they are terminated at once.
fn held_on_termination(g: &Group) -> bool {
    managed_draining(g) || g.termination_hook.as_ref().is_some()
}

/// Whether the wait of an instance in `Terminating:Wait` since `since_ms` is over at `now`, its
/// drain complete or not (`drained`). Each hook ends on its own:
/// - the group's own hook when the tooling completes it (`drainOnTermination`, once the drain is
///   complete) or when it times out ([`LifecycleHookSpec::wait_limit_ms`](crate::format::LifecycleHookSpec::wait_limit_ms));
/// - ECS's managed-draining hook once the drain is complete or after 48 hours
///   (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html>).
///
/// The instance is terminated once every hook has ended, or as soon as the group's own hook times
/// out with `DefaultResult` `ABANDON`: "If the instance is terminating, both ABANDON and CONTINUE
/// allow the instance to terminate. However, ABANDON stops any remaining actions, such as other
/// lifecycle hooks, and CONTINUE allows any other lifecycle hooks to complete"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html>). With the group's
/// hook alone both results terminate at its timeout; the result matters only next to ECS's hook.
/// The group's hook lasts at most 48 hours, so ECS's hook never times out while it waits.
fn wait_over(g: &Group, since_ms: u64, drained: bool, now: u64) -> bool {
    let own = g.termination_hook.as_ref().map(|h| {
        let completed = h.drain_on_termination && drained;
        let timed_out = !completed && since_ms.saturating_add(h.wait_limit_ms()) <= now;
        (completed || timed_out, timed_out && h.default_result == "ABANDON")
    });
    if own.is_some_and(|(_, abandoned)| abandoned) {
        return true;
    }
    let managed_over = !managed_draining(g) || drained || since_ms.saturating_add(MANAGED_DRAINING_LIMIT_MS) <= now;
    own.is_none_or(|(over, _)| over) && managed_over
}

/// The next time after `now` a hook of an instance in `Terminating:Wait` since `since_ms` times out
/// and that changes something: it ends the wait, its drain complete or not (`drained`), or from
/// then on the drain's completion would end it ([`drain_ends_waits_since_at_most`]: the group's own `CONTINUE`
/// hook that ignores the drain times out while ECS's waits for it). A timeout that changes
/// nothing is no time to wake at. The rule for one member: a group reads it for all of them at
/// once from their order ([`next_wait_timeout`]), which debug builds check against this.
#[cfg(any(test, debug_assertions))]
fn next_timeout(g: &Group, since_ms: u64, drained: bool, now: u64) -> Option<u64> {
    let own = g.termination_hook.as_ref().map(|h| since_ms.saturating_add(h.wait_limit_ms()));
    let managed = managed_draining(g).then(|| since_ms.saturating_add(MANAGED_DRAINING_LIMIT_MS));
    let drain_ends_it_now = wait_over(g, since_ms, true, now);
    own.into_iter()
        .chain(managed)
        .filter(|&t| t > now && (wait_over(g, since_ms, drained, t) || wait_over(g, since_ms, true, t) != drain_ends_it_now))
        .min()
}

/// The next time after `now` a hook of a member in `Terminating:Wait` times out and that changes
/// something ([`next_timeout`]), over every such member, read from the members by the start of
/// their wait. For each hook's limit the members for which its timeout changes something are those
/// begun after a cut: its timeout is after `now`; and it ends the wait (whether it does depends on
/// the limit alone), or the drain's completion would end the wait from then on but not before
/// (which holds for the members that have not yet waited [`wait_over_after_ms`] drained). The
/// members' drains are taken as not complete: a member whose completed drain does not end its
/// wait now has the same next timeout either way (a timeout that ends a drained wait is one after
/// which the drain's completion would end it), and one whose drain ends it now is terminated at
/// this moment, or, having entered the wait at this moment, ends the step's wait at once.
#[inline]
fn next_wait_timeout(g: &Group, now: u64) -> Option<u64> {
    // Asked of every group each time the driver asks when the groups next act: most have no
    // member waiting.
    if !g.members.any_waiting() {
        return None;
    }
    next_wait_timeout_of_waiting(g, now)
}

/// [`next_wait_timeout`] of a group with members waiting.
fn next_wait_timeout_of_waiting(g: &Group, now: u64) -> Option<u64> {
    let own = g.termination_hook.as_ref().map(|h| h.wait_limit_ms());
    let managed = managed_draining(g).then_some(MANAGED_DRAINING_LIMIT_MS);
    let drained_over_after = wait_over_after_ms(g, true);
    let next = own
        .into_iter()
        .chain(managed)
        .filter_map(|limit| {
            // Members since after `now - limit` time out after `now`.
            let times_out_later = now.checked_sub(limit);
            let cut = if wait_over(g, 0, false, limit) {
                times_out_later
            } else if wait_over(g, 0, true, limit) {
                // …and have not waited long enough for the drain to end the wait now.
                let drain_ends_it_now = drained_over_after.and_then(|t| now.checked_sub(t));
                times_out_later.max(drain_ends_it_now)
            } else {
                return None;
            };
            g.members.first_waiting_since_after(cut).map(|since| since.saturating_add(limit))
        })
        .min();
    #[cfg(debug_assertions)]
    {
        let asked = (0..g.members.len())
            .filter_map(|k| match g.members[k].lifecycle {
                Lifecycle::TerminatingWait { since_ms } => next_timeout(g, since_ms, false, now),
                _ => None,
            })
            .min();
        assert_eq!(next, asked, "the next hook timeout after {now} is each member's soonest");
    }
    next
}

/// Whether the drain of member `name` counts for its lifecycle hooks: complete, and started by
/// the group's termination (managed draining or the tooling of its hook).
fn drained(g: &Group, engine: &Engine, m: &Member) -> bool {
    drains_on_termination(g) && container_instance(engine, m).is_some_and(|i| drain_complete(engine, i.id()))
}

/// A step acting on the group waits until `until` for the next moment something changes: it also
/// ends at the completion of a drain that ends a member's wait ([`drain_ends_waits_since_at_most`]
/// at `now`, the moment the wait begins; a drain that would end no wait, as one the group's own
/// hook ignores, wakes nothing), or when `also` holds. Such a drain already complete (a member that entered the
/// wait at this moment, its instance empty) ends it at once. The drains are read from the engine's
/// log of completions: a completion that ends no wait goes on waiting.
fn wait_for_moment(
    driver: &mut ScenarioDriver,
    gi: usize,
    engine: &mut Engine,
    now: u64,
    until: u64,
    also: impl Fn(&Engine) -> bool,
) -> Result<(), ScenarioError> {
    let g = &mut driver.background.groups[gi];
    note_drains(g, engine);
    let Some(cut) = drain_ends_waits_since_at_most(g, now) else {
        driver.wait_until(engine, until - now, also)?;
        return Ok(());
    };
    if !drained_waits(g, engine, cut).is_empty() {
        return Ok(());
    }
    loop {
        let seen = engine.drains_completed();
        driver.wait_until(engine, until.saturating_sub(engine.now_ms()), |e| e.drains_completed() != seen || also(e))?;
        if driver.bounded || engine.now_ms() >= until || also(engine) {
            return Ok(());
        }
        let g = &driver.background.groups[gi];
        let ends_a_wait = engine.drains_completed_since(seen).iter().any(|&id| {
            g.members.named(engine.instance(id).name()).is_some_and(|k| {
                let m = &g.members[k];
                matches!(m.lifecycle, Lifecycle::TerminatingWait { since_ms } if since_ms <= cut)
                    && container_instance(engine, m).is_some_and(|i| i.id() == id)
                    && drain_complete(engine, id)
            })
        });
        if ends_a_wait {
            return Ok(());
        }
    }
}

/// The group begins to terminate member `k`: into `Terminating:Wait` (set DRAINING when the group
/// drains on termination) when a lifecycle hook holds it, else terminated at once.
fn begin_termination(
    g: &mut Group,
    k: usize,
    engine: &mut Engine,
    caller: &str,
    now: u64,
    cause: TerminationCause,
) -> Result<(), EcsError> {
    let name = g.members[k].name.clone();
    // A Pending instance has not registered: no container instance to drain, it goes at once.
    let registered = !matches!(g.members[k].lifecycle, Lifecycle::Pending { .. });
    let path = if !held_on_termination(g) || !registered {
        TerminationPath::Immediate
    } else if managed_draining(g) {
        TerminationPath::ManagedDraining
    } else if drains_on_termination(g) {
        TerminationPath::LifecycleHookDrain
    } else {
        TerminationPath::LifecycleHookWait
    };
    g.terminations.push((k, now, cause, path));
    if path == TerminationPath::Immediate {
        g.members.set_lifecycle(k, Lifecycle::Terminated);
        return terminate(engine, caller, &name);
    }
    g.members.set_lifecycle(k, Lifecycle::TerminatingWait { since_ms: now });
    let mut drain = Ok(());
    if matches!(path, TerminationPath::ManagedDraining | TerminationPath::LifecycleHookDrain) {
        let req = api::UpdateContainerInstancesStateRequest {
            cluster: g.spec.cluster.clone(),
            container_instances: vec![instance_arn(engine, &name)],
            status: "DRAINING".into(),
        };
        drain = engine.submit_as(caller, Request::UpdateContainerInstancesState(req)).map(|_| ());
    }
    // A drain that completed before the group last looked (an empty instance, or one drained
    // before the group terminated it) is marked now ([`note_drains`]).
    if drained(g, engine, &g.members[k]) {
        g.members.mark_drained(k);
    }
    drain
}

/// Member `k` is protected from scale in: set so in the scenario (`protectedInstances`), or, with
/// the capacity provider's `managedTerminationProtection` ENABLED, because it runs a task that is
/// not a daemon service's — ECS keeps such instances protected and removes the protection once
/// every non-daemon task on them has stopped
/// (<https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-termination-protection.html>).
fn protected_from_scale_in(g: &Group, k: usize, engine: &Engine) -> bool {
    let m = &g.members[k];
    m.protected
        || (g.provider.as_ref().is_some_and(|p| p.managed_termination_protection_enabled()) && runs_non_daemon_task(engine, m))
}

/// Whether the member's container instance runs a task that is not a daemon service's (found by
/// its ID once the group registered it: no lookup by name each minute for every member).
fn runs_non_daemon_task(engine: &Engine, m: &Member) -> bool {
    container_instance(engine, m).is_some_and(|i| i.runs_non_daemon_task())
}

/// How many replacements a refresh launches at once for the instances EC2 took (`owed`, which it
/// clears): as many as were lost, up to the desired capacity (`alive` counts the group's members
/// that count toward its capacity). Auto Scaling replaces an instance EC2 terminated to keep its
/// desired capacity whatever else it is doing ("When Amazon EC2 Auto Scaling determines that an
/// InService instance is unhealthy, it replaces it with a new instance to maintain the desired
/// capacity of the group", <https://docs.aws.amazon.com/autoscaling/ec2/userguide/healthcheck.html>):
/// also while the refresh pauses at a checkpoint, and not out of the refresh's own launches, which
/// are paced by its checkpoints and percentages. A loss that leaves the group at its desired
/// capacity or above (the refresh had launched ahead) needs none. The replacement is launched with
/// the refresh's configuration (docs/rollouts.md, "Spot interruptions").
fn health_replacements(owed: &mut u32, alive: u32, desired: u32) -> u32 {
    let n = (*owed).min(desired.saturating_sub(alive));
    *owed = 0;
    n
}

/// If the instances updated (new instances past their warmup, [`refreshed_instances`], with none
/// warming up) reach the current checkpoint and it is not the last, every checkpoint they reach is passed at once and the first one not reached becomes
/// current: the refresh pauses for the delay once, at the highest checkpoint reached — Auto Scaling
/// "skips" the lower ones ("Because 50 percent is higher than the first two checkpoints, it skips
/// the first checkpoint (`10`)",
/// <https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-adding-checkpoints-instance-refresh.html>).
/// When that reaches the last checkpoint there is no pause: the refresh is then `Successful`.
fn reach_checkpoint(
    checkpoints: &[u32],
    current: &mut usize,
    paused_until: &mut Option<u64>,
    updated: u32,
    warming: bool,
    now: u64,
    delay_ms: u64,
) {
    let last = checkpoints.len().saturating_sub(1);
    if paused_until.is_some() || warming || *current >= last || checkpoints.get(*current).is_none_or(|c| updated < *c) {
        return;
    }
    while *current < last && checkpoints.get(*current).is_some_and(|c| updated >= *c) {
        *current += 1;
    }
    if checkpoints.get(*current).is_some_and(|c| updated < *c) {
        *paused_until = Some(now.saturating_add(delay_ms));
    }
}

/// How many of the instances to update have a new instance past its warmup standing for them:
/// the refresh's warm launches (and the instances held above the desired capacity when it began),
/// at most one per old instance the refresh began to terminate (`Terminating:Wait` or
/// `Terminated`) — what a checkpoint counts ("the minimum percentage of instances in the Auto
/// Scaling group that must be new instances before the checkpoint is considered reached"). Read
/// from the refresh's counts and the members still warming up, not from the members.
fn refreshed_instances(
    counts: &mut RefreshCounts,
    g: &Group,
    first_launch: usize,
    held_above_desired: u32,
    instances_to_update: u32,
    now: u64,
) -> u32 {
    let warming_launches = counts.launches_warming_after(now);
    debug_assert_eq!(
        warming_launches as usize,
        g.members.warming_after(now).filter(|&(_, k)| k >= first_launch).count(),
        "the refresh's launches warming up at {now}"
    );
    let warm_launches = counts.launches_in_service.checked_sub(warming_launches).expect("the launches warming up are InService");
    instances_updated(counts.begun, warm_launches, held_above_desired, instances_to_update)
}

/// What a refresh reads at every moment of its instances to update and of its own launches —
/// how many it began to terminate (`Terminating:Wait` or `Terminated`), how many are
/// Terminated, how many count toward the group's capacity, how many of its launches are
/// InService — and, while which may go is fixed, the victims it may pick: kept from the group's
/// member changes ([`members::Members::changes_since`]), so that a moment costs the changes since
/// the last one, not walks of the instances to update (a refresh of 10,000 instances one at a
/// time has tens of thousands of moments).
struct RefreshCounts {
    /// The member changes read.
    seen: usize,
    /// Per member, what it was last counted as ([`Self::BEGUN`] and the other bits).
    counted: Vec<u8>,
    begun: u32,
    replaced: u32,
    alive_to_update: u32,
    launches_in_service: u32,
    /// Of the refresh's launches InService, those not yet seen past their warmup, by its end
    /// ([`Self::launches_warming_after`]), with the end of each one's warmup by member: a moment
    /// reads how many are warming up without a walk of every member warming up.
    launches_warming: std::collections::BTreeSet<(u64, usize)>,
    launch_warmup_ends: BTreeMap<usize, u64>,
    /// The InService members to update that may go, kept while that is fixed (taken out for a
    /// moment's picks and put back); None while it follows the tasks (read at each moment).
    victims: Option<Victims>,
}

impl RefreshCounts {
    const BEGUN: u8 = 1;
    const TERMINATED: u8 = 2;
    const ALIVE: u8 = 4;
    const ELIGIBLE: u8 = 8;
    const LAUNCH_IN_SERVICE: u8 = 16;

    /// Counts of nothing yet: the first [`Self::update`] reads every member (each is a change).
    fn new(g: &Group, keep_victims: bool) -> RefreshCounts {
        RefreshCounts {
            seen: 0,
            counted: Vec::new(),
            begun: 0,
            replaced: 0,
            alive_to_update: 0,
            launches_in_service: 0,
            launches_warming: Default::default(),
            launch_warmup_ends: BTreeMap::new(),
            victims: keep_victims.then(|| Victims::new(g, std::iter::empty())),
        }
    }

    /// Reads the member changes since the last update: `in_update` says which members are to
    /// update, members from `first_launch` on are the refresh's launches, and `may_go` whether
    /// an InService member may go.
    fn update(
        &mut self,
        g: &Group,
        engine: &Engine,
        in_update: &[bool],
        first_launch: usize,
        may_go: &dyn Fn(&Group, &Engine, usize) -> bool,
    ) {
        let (changed, seen) = g.members.changes_since(self.seen);
        if self.counted.len() < g.members.len() {
            self.counted.resize(g.members.len(), 0);
        }
        for &k in changed {
            let m = &g.members[k];
            let mut now = 0;
            if in_update.get(k).copied().unwrap_or(false) {
                if matches!(m.lifecycle, Lifecycle::TerminatingWait { .. } | Lifecycle::Terminated) {
                    now |= Self::BEGUN;
                }
                if m.lifecycle == Lifecycle::Terminated {
                    now |= Self::TERMINATED;
                }
                if counts_toward_capacity(m) {
                    now |= Self::ALIVE;
                }
                if may_go(g, engine, k) {
                    now |= Self::ELIGIBLE;
                }
            }
            if k >= first_launch && matches!(m.lifecycle, Lifecycle::InService { .. }) {
                now |= Self::LAUNCH_IN_SERVICE;
            }
            let before = std::mem::replace(&mut self.counted[k], now);
            let moved = |bit: u8| (before & bit != 0, now & bit != 0);
            for (bit, count) in [
                (Self::BEGUN, &mut self.begun),
                (Self::TERMINATED, &mut self.replaced),
                (Self::ALIVE, &mut self.alive_to_update),
                (Self::LAUNCH_IN_SERVICE, &mut self.launches_in_service),
            ] {
                match moved(bit) {
                    (false, true) => *count = count.checked_add(1).expect("fewer than 2^32 members"),
                    (true, false) => *count = count.checked_sub(1).expect("a member counted before"),
                    _ => {}
                }
            }
            match (moved(Self::LAUNCH_IN_SERVICE), m.lifecycle) {
                ((false, true), Lifecycle::InService { healthy_at_ms }) => {
                    self.launches_warming.insert((healthy_at_ms, k));
                    self.launch_warmup_ends.insert(k, healthy_at_ms);
                }
                ((true, false), _) => {
                    if let Some(t) = self.launch_warmup_ends.remove(&k) {
                        self.launches_warming.remove(&(t, k));
                    }
                }
                _ => {}
            }
            if let Some(victims) = &mut self.victims {
                match moved(Self::ELIGIBLE) {
                    (false, true) => victims.insert(g, k),
                    (true, false) => victims.drop_member(g, k),
                    _ => {}
                }
            }
        }
        self.seen = seen;
        #[cfg(debug_assertions)]
        self.check(g, engine, in_update, first_launch, may_go);
    }

    /// How many of the refresh's launches InService are still warming up at `now` (healthy only
    /// after it). Those past their warmup leave the set for good: the clock only goes on.
    fn launches_warming_after(&mut self, now: u64) -> u32 {
        while let Some(&(t, k)) = self.launches_warming.first().filter(|&&(t, _)| t <= now) {
            self.launches_warming.remove(&(t, k));
            self.launch_warmup_ends.remove(&k);
        }
        u32::try_from(self.launches_warming.len()).expect("fewer than 2^32 members")
    }

    /// The counts and kept victims against a walk of the members (debug builds, after each
    /// update: the net under every refresh the tests run).
    #[cfg(debug_assertions)]
    fn check(
        &self,
        g: &Group,
        engine: &Engine,
        in_update: &[bool],
        first_launch: usize,
        may_go: &dyn Fn(&Group, &Engine, usize) -> bool,
    ) {
        let to_update = || (0..g.members.len()).filter(|&k| in_update.get(k).copied().unwrap_or(false));
        let lifecycles = |f: &dyn Fn(Lifecycle) -> bool| to_update().filter(|&k| f(g.members[k].lifecycle)).count() as u32;
        let begun = lifecycles(&|l| matches!(l, Lifecycle::TerminatingWait { .. } | Lifecycle::Terminated));
        assert_eq!(self.begun, begun, "terminations begun");
        assert_eq!(self.replaced, lifecycles(&|l| l == Lifecycle::Terminated), "instances to update terminated");
        let alive = to_update().filter(|&k| counts_toward_capacity(&g.members[k])).count() as u32;
        assert_eq!(self.alive_to_update, alive, "alive instances to update");
        let launches = (first_launch..g.members.len())
            .filter(|&k| matches!(g.members[k].lifecycle, Lifecycle::InService { .. }))
            .count() as u32;
        assert_eq!(self.launches_in_service, launches, "the refresh's launches InService");
        if let Some(victims) = &self.victims {
            let kept: std::collections::BTreeSet<usize> =
                victims.zones.iter().flat_map(|(_, q)| q.iter().map(|&(_, k)| k)).collect();
            let eligible: std::collections::BTreeSet<usize> = to_update().filter(|&k| may_go(g, engine, k)).collect();
            assert_eq!(kept, eligible, "the kept victims are the members to update that may go");
        }
    }
}

/// The most Pending + InService instances a refresh of a group of `desired` allows at
/// MaxHealthyPercentage `max_pct`: rounded down, at least the desired capacity, and at least one
/// above it when the percentage is above 100.
pub(crate) fn max_refresh_instances(desired: u32, max_pct: u32) -> u32 {
    let share = capacity_share(desired, max_pct, false).max(desired);
    if max_pct > 100 && desired > 0 && share == desired {
        desired + 1
    } else {
        share
    }
}

/// `percent` % of `capacity`, rounded up or down.
fn capacity_share(capacity: u32, percent: u32, round_up: bool) -> u32 {
    let scaled = u64::from(capacity) * u64::from(percent);
    let share = if round_up { scaled.div_ceil(100) } else { scaled / 100 };
    u32::try_from(share).expect("at most 200 % of MAX_GROUP_SIZE")
}

/// How many of a refresh's `instances_to_update` are updated, as DescribeInstanceRefreshes counts
/// them (`PercentageComplete` is their share, `InstancesToUpdate` "the number of instances
/// remaining to update"): an instance counts as updated "when the instance's health status
/// changes to healthy and the specified warm-up time passes"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html>), so a
/// replacement is done when its old instance's termination has begun (`begun` of them: it may
/// still wait in Terminating:Wait for a lifecycle hook or ECS managed draining) and its new one is
/// past its warmup: the updated ones are the fewer of the two (docs/rollouts.md, "End.").
///
/// The new ones are the refresh's own launches past their warmup (`warm_launches`) and the
/// instances the group held above its desired capacity when the refresh began
/// (`held_above_desired`): the refresh launches only while fewer than the desired capacity of
/// instances not to update are alive, so that many old instances are replaced by instances already
/// there — one an earlier refresh launched into the room above the desired capacity before it
/// failed, or instances protection from scale in kept above a lower desired capacity. Counting
/// the refresh's own launches alone, such a refresh ended `Successful`, every instance to update
/// terminated and every instance warm, with fewer than all of them updated (`Successful` at 0 %,
/// one instance still to update). A `Successful` refresh has updated all it replaces: 100 % and
/// none to update, or its last checkpoint's share.
fn instances_updated(begun: u32, warm_launches: u32, held_above_desired: u32, instances_to_update: u32) -> u32 {
    warm_launches.saturating_add(held_above_desired).min(begun).min(instances_to_update)
}

/// Alive (Pending or InService) members per zone, in the group's zone order.
fn alive_per_zone(g: &Group) -> Vec<(String, usize)> {
    let zones: Vec<String> =
        if g.spec.availability_zones.is_empty() { vec![g.spec.zone(0)] } else { g.spec.availability_zones.clone() };
    zones
        .into_iter()
        .map(|z| {
            let n = g.members.alive_in_zone(&z) as usize;
            (z, n)
        })
        .collect()
}

/// The zone with the fewest alive instances among `zones` (alive members per zone, in the group's
/// order; the first such), counted one more for the instance launched there.
fn fewest_alive_zone(g: &Group, zones: &mut [(String, usize)]) -> String {
    let fewest = zones.iter().map(|(_, n)| *n).min().unwrap_or(0);
    match zones.iter_mut().find(|(_, n)| *n == fewest) {
        Some((zone, n)) => {
            *n += 1;
            zone.clone()
        }
        None => g.spec.zone(0),
    }
}

/// Whether a member's protection from scale in follows the tasks it runs (the capacity
/// provider's managed termination protection), so that it may change while the group terminates
/// others (their tasks move).
fn protection_follows_tasks(g: &Group) -> bool {
    g.provider.as_ref().is_some_and(|p| p.managed_termination_protection_enabled())
}

/// The members a group may terminate now, by zone, with the alive members of each zone: the
/// victim — the oldest eligible member in the zone with the most alive members — is found in a
/// step per zone, not in a scan of the group per termination.
struct Victims {
    /// Per zone of [`alive_per_zone`], then one for members of a zone not listed (counted as
    /// having none alive): the zone's alive members, and its eligible members with their place
    /// in the order given (launch order).
    zones: Vec<(usize, std::collections::BTreeSet<(usize, usize)>)>,
    names: Vec<String>,
}

impl Victims {
    fn new(g: &Group, eligible: impl Iterator<Item = usize>) -> Victims {
        let (names, mut zones): (Vec<String>, Vec<_>) =
            alive_per_zone(g).into_iter().map(|(z, n)| (z, (n, std::collections::BTreeSet::new()))).unzip();
        zones.push((0, std::collections::BTreeSet::new()));
        let mut victims = Victims { zones, names };
        for (place, k) in eligible.enumerate() {
            let zone = victims.zone_of(g, k);
            victims.zones[zone].1.insert((place, k));
        }
        victims
    }

    fn zone_of(&self, g: &Group, k: usize) -> usize {
        self.names.iter().position(|z| *z == g.members[k].zone).unwrap_or(self.names.len())
    }

    /// The oldest eligible member in the zone with the most alive members (of equals, the first
    /// given).
    fn pick(&self) -> Option<usize> {
        let fronts =
            self.zones.iter().filter_map(|(alive, q)| q.first().map(|(place, k)| (*alive, std::cmp::Reverse(*place), *k)));
        fronts.max().map(|(_, _, k)| k)
    }

    /// `victim`, which another set picked, is no longer alive (it was not among these eligible).
    fn forget(&mut self, g: &Group, victim: usize) {
        let zone = self.zone_of(g, victim);
        if zone < self.names.len() {
            let alive = &mut self.zones[zone].0;
            *alive = alive.checked_sub(1).expect("the victim was alive");
        }
    }

    /// Member `k` became eligible, in a set kept across moments (a refresh's, [`RefreshCounts`]),
    /// whose members are placed by their index: launch order.
    fn insert(&mut self, g: &Group, k: usize) {
        let zone = self.zone_of(g, k);
        self.zones[zone].1.insert((k, k));
    }

    /// Member `k` is eligible no more (if it was: a pick already took it out), in a set kept
    /// across moments; the alive counts are recounted at the next moment ([`Self::recount_alive`]).
    fn drop_member(&mut self, g: &Group, k: usize) {
        let zone = self.zone_of(g, k);
        self.zones[zone].1.remove(&(k, k));
    }

    /// The alive members per zone now, for a set kept across moments.
    fn recount_alive(&mut self, g: &Group) {
        for (n, (_, alive)) in alive_per_zone(g).into_iter().enumerate() {
            self.zones[n].0 = alive;
        }
    }

    /// The members at the front of each zone that are protected from scale in now leave the set,
    /// so that the next pick is the one a set read again would make. A set ordered at the start
    /// of a group's move is kept through the move's picks this way, instead of being read and
    /// ordered again before each pick: within one instant protection only grows (ECS protects an
    /// instance once a non-daemon task is placed on it, and the tasks of a member terminated are
    /// placed at once, while a task stops on its instance only after its stop timeout, later), so
    /// a member that left stays protected until the move ends. Only the fronts are looked at: a
    /// pick reads nothing else.
    fn drop_protected(&mut self, g: &Group, engine: &Engine) {
        self.drop_fronts(|k| protected_from_scale_in(g, k, engine));
    }

    /// The members at the front of each zone for which `gone` holds leave the set.
    fn drop_fronts(&mut self, gone: impl Fn(usize) -> bool) {
        for (_, eligible) in &mut self.zones {
            while eligible.first().is_some_and(|&(_, k)| gone(k)) {
                eligible.pop_first();
            }
        }
    }

    /// The last pick, `victim`, is no longer alive nor eligible.
    fn remove(&mut self, g: &Group, victim: usize) {
        let zone = self.zone_of(g, victim);
        let (alive, eligible) = &mut self.zones[zone];
        let front = eligible.pop_first();
        debug_assert_eq!(front.map(|(_, k)| k), Some(victim), "the victim is the last pick");
        if zone < self.names.len() {
            *alive = alive.checked_sub(1).expect("the victim was alive");
        }
    }
}

fn instance_arn(engine: &Engine, name: &str) -> String {
    engine.instance_named(name).map_or_else(|| name.to_string(), |i| i.arn())
}

/// Whether the drain of container instance `id` is complete.
fn drain_complete(engine: &Engine, id: drainsim_core::InstanceId) -> bool {
    engine.instance(id).drain().completed_at_ms().is_some()
}

/// The EC2 instance goes away: ECS deregisters its container instance if its agent is connected
/// (with `force` when tasks are still on it) and leaves it registered otherwise
/// ([`Engine::terminate_ec2_instance`], the one place of that rule).
fn terminate(engine: &mut Engine, caller: &str, name: &str) -> Result<(), EcsError> {
    // An instance that never registered has nothing to deregister.
    let Some(id) = engine.instance_named(name).map(|i| i.id()) else {
        return Ok(());
    };
    engine.terminate_ec2_instance(caller, id)
}

/// A UUID-shaped `InstanceRefreshId` from the group's name and the start time (the same every run),
/// and, for a refresh of the group that is not the first to start at that time, how many did
/// before it (the first keeps the ID it always had).
fn refresh_id(group: &str, start_ms: u64, earlier: usize) -> String {
    let nth = if earlier == 0 { String::new() } else { format!("#{earlier}") };
    let a = drainsim_core::fnv1a(format!("{group}@{start_ms}{nth}").as_bytes());
    let b = drainsim_core::fnv1a(format!("{start_ms}@{group}{nth}").as_bytes());
    let hex = format!("{a:016x}{b:016x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The victim by a scan of the eligible members, as every termination found it before
    /// [`Victims`]: the oldest eligible member in the zone with the most alive members.
    fn scanned_victim(g: &Group, eligible: &[usize]) -> Option<usize> {
        let zones = alive_per_zone(g);
        let alive_in = |z: &str| zones.iter().find(|(name, _)| name == z).map_or(0, |(_, n)| *n);
        eligible
            .iter()
            .enumerate()
            .max_by_key(|(place, &k)| (alive_in(&g.members[k].zone), std::cmp::Reverse(*place)))
            .map(|(_, &k)| k)
    }

    /// A group over three zones, its members to be replaced by each case.
    fn group() -> Group {
        let text = r#"Scenario(name: "victims", seed: 1, clusters: ["prod"],
            autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 0, MaxSize: 40, DesiredCapacity: 1,
                AvailabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
                LaunchTemplate: (LaunchTemplateName: "node", Version: "1"),
                cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {"1": "ami-0"})],
        )"#;
        let loaded = crate::load_str("victims.ron", text).expect("valid");
        AutoScaling::new(&loaded).groups.remove(0)
    }

    /// A group with its own termination hook (60 s, `result`, `drain`) and, if `managed`, a
    /// capacity provider with managed draining.
    fn hooked(result: &str, drain: bool, managed: bool) -> Group {
        let text = format!(
            r#"Scenario(name: "hooked", seed: 1, clusters: ["prod"],
            autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 0, MaxSize: 4, DesiredCapacity: 2,
                LaunchTemplate: (LaunchTemplateName: "node", Version: "1"),
                LifecycleHooks: [(LifecycleHookName: "h", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                                  HeartbeatTimeout: 60, DefaultResult: "{result}", drainOnTermination: {drain})],
                cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {{"1": "ami-0"}})],
            capacityProviders: [(name: "cp", autoScalingGroupProvider: (autoScalingGroupArn: "asg", managedDraining: "{}"))],
        )"#,
            if managed { "ENABLED" } else { "DISABLED" }
        );
        let loaded = crate::load_str("hooked.ron", &text).expect("valid");
        AutoScaling::new(&loaded).groups.remove(0)
    }

    /// The wait of an instance in `Terminating:Wait` since 0 (the group's hook times out at 60 s,
    /// ECS's at 48 h): ABANDON at the group's timeout ends it; CONTINUE waits for ECS's hook; a
    /// drain ends the group's hook only when its tooling drains (`drainOnTermination`).
    #[test]
    fn the_default_result_decides_whether_the_other_hook_is_waited_for() {
        let h = 60_000;
        let over = |g: &Group, drained: bool, now: u64| wait_over(g, 0, drained, now);
        for result in ["CONTINUE", "ABANDON"] {
            // The group's hook alone: its timeout ends the wait whatever the result.
            let alone = hooked(result, true, false);
            assert!(!over(&alone, false, h - 1) && over(&alone, false, h) && over(&alone, true, 1));
            assert_eq!(next_timeout(&alone, 0, false, 0), Some(h));
            let ignores_drain = hooked(result, false, false);
            assert!(!over(&ignores_drain, true, h - 1) && over(&ignores_drain, true, h));
        }
        // Next to ECS's hook, the drain not complete: ABANDON ends the wait at 60 s, CONTINUE at 48 h.
        let abandon = hooked("ABANDON", true, true);
        assert!(over(&abandon, false, h) && !over(&abandon, false, h - 1));
        assert_eq!(next_timeout(&abandon, 0, false, 0), Some(h));
        let cont = hooked("CONTINUE", true, true);
        assert!(!over(&cont, false, h) && over(&cont, false, MANAGED_DRAINING_LIMIT_MS) && over(&cont, true, 1));
        assert_eq!(next_timeout(&cont, 0, false, 0), Some(MANAGED_DRAINING_LIMIT_MS));
        // A hook nobody completes: the drain ends ECS's hook only; CONTINUE then ends the wait at
        // the group's timeout, and a drain completing after it ends it then.
        let cont = hooked("CONTINUE", false, true);
        assert!(!over(&cont, true, h - 1) && over(&cont, true, h) && !over(&cont, false, h));
        assert_eq!(next_timeout(&cont, 0, true, 0), Some(h));
        assert_eq!(next_timeout(&cont, 0, false, 0), Some(h), "from 60 s on the drain's completion ends the wait");
        assert_eq!(next_timeout(&cont, 0, false, h), Some(MANAGED_DRAINING_LIMIT_MS));
        let abandon = hooked("ABANDON", false, true);
        assert!(!over(&abandon, true, h - 1) && over(&abandon, false, h));
    }

    /// Checkpoints reached together pause once, at the highest; reaching the last one does not
    /// pause (the user guide's two instances with `[10, 40, 100]`: in instances `[1, 1, 2]`).
    #[test]
    fn checkpoints_reached_together_pause_once() {
        let reach = |checkpoints: &[u32], current: usize, replaced: u32| {
            let (mut current, mut paused_until) = (current, None);
            reach_checkpoint(checkpoints, &mut current, &mut paused_until, replaced, false, 1000, 600_000);
            (current, paused_until)
        };
        // The guide's example: the first replacement passes 10 % and 40 %, one pause.
        assert_eq!(reach(&[1, 1, 2], 0, 1), (2, Some(601_000)));
        // Past the last checkpoint too: no pause, the refresh ends.
        assert_eq!(reach(&[1, 1], 0, 1), (1, None));
        assert_eq!(reach(&[1, 2], 1, 2), (1, None));
        // One checkpoint at a time when they are apart; none before the current one is reached.
        assert_eq!(reach(&[2, 5, 10], 0, 2), (1, Some(601_000)));
        assert_eq!(reach(&[2, 5, 10], 0, 1), (0, None));
        // Nothing while warming up or paused.
        let (mut current, mut paused_until) = (0, None);
        reach_checkpoint(&[1, 1, 2], &mut current, &mut paused_until, 1, true, 1000, 600_000);
        assert_eq!((current, paused_until), (0, None));
        let mut paused_until = Some(5000);
        reach_checkpoint(&[1, 1, 2], &mut current, &mut paused_until, 1, false, 1000, 600_000);
        assert_eq!((current, paused_until), (0, Some(5000)));
        // No checkpoints at all (a refresh always has one; nothing happens without).
        assert_eq!(reach(&[], 0, 3), (0, None));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        /// After a checkpoint is reached, every checkpoint before the current one is reached and the
        /// current one is not — or it is the last, reached, with no pause: never a pause with a
        /// reached checkpoint ahead.
        #[test]
        fn a_pause_is_at_the_highest_checkpoint_reached(
            set in prop::collection::btree_set(1u32..=100, 1..=4),
            instances in 1u32..=12,
            replaced in 0u32..=12,
        ) {
            let checkpoints: Vec<u32> = set.iter().map(|p| capacity_share(instances, *p, true)).collect();
            let replaced = replaced.min(instances);
            let (mut current, mut paused_until) = (0usize, None);
            reach_checkpoint(&checkpoints, &mut current, &mut paused_until, replaced, false, 0, 1);
            let last = checkpoints.len() - 1;
            if replaced < checkpoints[0] || last == 0 {
                prop_assert_eq!((current, paused_until), (0, None));
            } else {
                prop_assert!(checkpoints[..current].iter().all(|c| *c <= replaced));
                if paused_until.is_some() {
                    prop_assert!(checkpoints[current] > replaced);
                } else {
                    prop_assert_eq!(current, last);
                    prop_assert!(checkpoints[last] <= replaced);
                }
            }
        }

        /// Victims kept by zone are the victims a scan of the group picks, termination after
        /// termination: members in the group's three zones and one it does not list, in every
        /// lifecycle state, some of the alive ones eligible.
        #[test]
        fn victims_by_zone_are_the_scanned_victims(
            members in prop::collection::vec((0usize..4, 0usize..4, any::<bool>()), 1..40),
            picks in 1usize..40,
            protections in prop::collection::vec(prop::option::of(0usize..40), 40),
        ) {
            let mut g = group();
            let zones = ["us-east-1a", "us-east-1b", "us-east-1c", "eu-west-1a"];
            // Each pushed Pending, then moved to its state (every state is reachable from Pending).
            g.members = Members::new(Vec::new());
            for m in members
                .iter()
                .enumerate()
                .map(|(n, (zone, state, _))| Member {
                    name: format!("asg-{}", n + 1),
                    zone: zones[*zone].to_string(),
                    template: g.spec.launch_template.clone(),
                    lifecycle: match state {
                        0 => Lifecycle::Pending { register_at_ms: 0 },
                        1 => Lifecycle::InService { healthy_at_ms: 0 },
                        2 => Lifecycle::TerminatingWait { since_ms: 0 },
                        _ => Lifecycle::Terminated,
                    },
                    protected: false,
                    spot: false,
                    launched_at_ms: None,
                    launch_time_ms: 0,
                    instance: None,
                    rebalancing: None,
                })
            {
                let state = m.lifecycle;
                let k = g.members.push(Member { lifecycle: Lifecycle::Pending { register_at_ms: 0 }, ..m });
                if !matches!(state, Lifecycle::Pending { .. }) {
                    g.members.set_lifecycle(k, state);
                }
            }
            let alive = |m: &Member| matches!(m.lifecycle, Lifecycle::Pending { .. } | Lifecycle::InService { .. });
            let mut eligible: Vec<usize> = (0..g.members.len()).filter(|&k| members[k].2 && alive(&g.members[k])).collect();
            let mut victims = Victims::new(&g, eligible.iter().copied());
            for protect in protections.iter().take(picks) {
                // Protection only grows between picks (managed termination protection, as the
                // tasks of the members terminated move): the members protected leave the fronts.
                if let Some(k) = protect.filter(|k| *k < g.members.len() && g.members[*k].lifecycle != Lifecycle::Terminated) {
                    g.members.set_protected(k, true);
                    eligible.retain(|e| *e != k);
                }
                victims.drop_fronts(|k| g.members[k].protected);
                let expected = scanned_victim(&g, &eligible);
                prop_assert_eq!(victims.pick(), expected);
                let Some(victim) = expected else { break };
                victims.remove(&g, victim);
                g.members.set_lifecycle(victim, Lifecycle::TerminatingWait { since_ms: 0 });
                eligible.retain(|k| *k != victim);
            }
        }
    }
}
