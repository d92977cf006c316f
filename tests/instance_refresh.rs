//! Instance refresh properties (issue 15): over generated Auto Scaling groups (desired capacity,
//! MinHealthyPercentage, MaxHealthyPercentage, warmup, launch time, a termination lifecycle hook or
//! none, a service on the group's instances), a refresh never leaves fewer healthy instances than
//! MinHealthyPercentage allows (one fewer when the percentages leave no room at all, as for a
//! single instance at 90 % / 100 %), never more Pending and InService instances than
//! MaxHealthyPercentage allows, and — no instance being protected and capacity being there —
//! finishes `Successful` with every instance on the new version. The scenarios are built as
//! `Scenario` values and written with `write::to_ron`, so a failing case prints a file that
//! replays it.

use std::collections::BTreeMap;

use drainsim_core::api;
use drainsim_scenario::format::{
    Action, AutoScalingGroupSpec, DesiredConfigurationSpec, LaunchTemplateSpec, LifecycleHookSpec, RefreshPreferencesSpec,
    Scenario, StartInstanceRefreshSpec, Step, TERMINATING_TRANSITION,
};
use drainsim_scenario::runner::run;
use drainsim_scenario::{load_str, write, RunOptions};
use proptest::prelude::*;

/// Cases: `PROPTEST_CASES` when set, else 48 (each case is a whole refresh).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

#[derive(Debug, Clone)]
struct Case {
    desired: u32,
    min_pct: u32,
    max_pct: u32,
    warmup_s: u32,
    launch_ms: u64,
    hook: Option<(u32, bool)>,
    zones: usize,
    tasks: u32,
    skip_matching: bool,
    /// CheckpointPercentages (ascending) and CheckpointDelay in seconds.
    checkpoints: Option<(Vec<u32>, u32)>,
}

fn checkpoints() -> impl Strategy<Value = Option<(Vec<u32>, u32)>> {
    proptest::option::of((proptest::collection::btree_set(1u32..=100, 1..=3), 0u32..=600))
        .prop_map(|c| c.map(|(set, delay)| (set.into_iter().collect(), delay)))
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            1u32..=12,
            0u32..=100,
            0u32..=100,
            0u32..=120,
            0u64..=120_000,
            proptest::option::of((30u32..=600, any::<bool>())),
            1usize..=3,
            0u32..=24,
            any::<bool>(),
        ),
        checkpoints(),
    )
        .prop_map(|((desired, min_pct, spread, warmup_s, launch_ms, hook, zones, tasks, skip_matching), checkpoints)| Case {
            desired,
            min_pct,
            // MaxHealthyPercentage is 100 to 200 and at most 100 above the minimum.
            max_pct: (100 + spread).min(min_pct + 100).max(100),
            warmup_s,
            launch_ms,
            hook,
            zones,
            tasks,
            skip_matching,
            checkpoints,
        })
}

fn scenario(c: &Case) -> Scenario {
    let zones = ["us-east-1a", "us-east-1b", "us-east-1c"][..c.zones].iter().map(|z| z.to_string()).collect();
    let group = AutoScalingGroupSpec {
        instances: Vec::new(),
        attributes: BTreeMap::new(),
        auto_scaling_group_name: "asg".into(),
        min_size: 0,
        max_size: c.desired * 2,
        desired_capacity: c.desired,
        availability_zones: zones,
        launch_template: LaunchTemplateSpec { launch_template_name: "web".into(), version: "1".into() },
        health_check_grace_period: 0,
        lifecycle_hooks: c
            .hook
            .map(|(heartbeat, drain)| LifecycleHookSpec {
                lifecycle_hook_name: "drain".into(),
                lifecycle_transition: TERMINATING_TRANSITION.into(),
                heartbeat_timeout: heartbeat,
                default_result: "CONTINUE".into(),
                drain_on_termination: drain,
                record_heartbeats: false,
            })
            .into_iter()
            .collect(),
        cluster: None,
        instance_type: "c5.xlarge".into(),
        cpu: 4096,
        memory: 8192,
        gpus: 0,
        agent_version: None,
        agent_config: None,
        image_ids: BTreeMap::from([("1".into(), "ami-0old".into()), ("2".into(), "ami-0new".into())]),
        launch_to_register_ms: c.launch_ms,
        protected_instances: vec![],
        new_instances_protected_from_scale_in: false,
        spot: None,
        instances_distribution: None,
        capacity_rebalance: false,
        instance_maintenance_policy: None,
        default_instance_warmup: None,
        termination_policies: Vec::new(),
        max_instance_lifetime: None,
    };
    let task_definition = api::RegisterTaskDefinitionRequest {
        family: "web".into(),
        container_definitions: vec![api::ContainerDefinition {
            name: "app".into(),
            cpu: Some(512),
            memory: Some(1024),
            ..Default::default()
        }],
        ..Default::default()
    };
    let service = api::CreateServiceRequest {
        service_name: "web".into(),
        task_definition: "web".into(),
        desired_count: Some(i64::from(c.tasks)),
        ..Default::default()
    };
    let refresh = StartInstanceRefreshSpec {
        auto_scaling_group_name: "asg".into(),
        desired_configuration: Some(DesiredConfigurationSpec {
            launch_template: LaunchTemplateSpec { launch_template_name: "web".into(), version: "2".into() },
        }),
        preferences: RefreshPreferencesSpec {
            min_healthy_percentage: Some(c.min_pct),
            max_healthy_percentage: Some(c.max_pct),
            instance_warmup: Some(c.warmup_s),
            skip_matching: Some(c.skip_matching),
            scale_in_protected_instances: None,
            checkpoint_percentages: c.checkpoints.as_ref().map(|(list, _)| list.clone()),
            checkpoint_delay: c.checkpoints.as_ref().map(|(_, delay)| *delay),
        },
    };
    Scenario {
        name: "generated-instance-refresh".into(),
        seed: 15,
        auto_scaling_groups: vec![group],
        task_definitions: vec![task_definition],
        services: if c.tasks > 0 { vec![service] } else { vec![] },
        steps: vec![Step { at_ms: Some(60_000), caller: None, action: Action::StartInstanceRefresh(refresh), expect: None }],
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_refresh_stays_within_its_percentages_and_finishes(c in case()) {
        let text = write::to_ron(&scenario(&c));
        let loaded = load_str("generated.ron", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let outcome = run(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(outcome.instance_refreshes.len(), 1);
        let r = &outcome.instance_refreshes[0];
        let desired = u64::from(c.desired);
        let min_healthy = (desired * u64::from(c.min_pct)).div_ceil(100) as u32;
        let share = ((desired * u64::from(c.max_pct)) / 100).max(desired) as u32;
        // A maximum above 100 % leaves room for at least one instance (launch before terminating).
        let max_instances = if c.max_pct > 100 && desired > 0 && u64::from(share) == desired { share + 1 } else { share };
        prop_assert_eq!((r.min_healthy_instances, r.max_instances), (min_healthy, max_instances));
        // With no room between the two (one instance at 90 %/100 %), one instance at a time.
        let floor = min_healthy.min(max_instances - 1);
        for s in &r.capacity {
            prop_assert!(s.healthy >= floor, "{} healthy at {} ms, below {}\n{}", s.healthy, s.at_ms, floor, text);
            prop_assert!(s.pending + s.in_service <= max_instances,
                "{} Pending + {} InService at {} ms, above {}\n{}", s.pending, s.in_service, s.at_ms, max_instances, text);
            prop_assert!(s.healthy <= s.in_service);
        }
        prop_assert_eq!(&r.status, "Successful", "{:?}\n{}", r, text);
        // InstancesToUpdate is what was left: the instances to update less the replaced ones.
        let last_checkpoint = c.checkpoints.as_ref().and_then(|(l, _)| l.last().copied()).unwrap_or(100);
        prop_assert_eq!(r.instances_to_update, c.desired - (desired * u64::from(last_checkpoint)).div_ceil(100) as u32);
        // The last checkpoint (100 % without checkpoints) of the instances, rounded up, is how many
        // were replaced: the group holds `desired` instances, that many of them on the new AMI.
        let last = c.checkpoints.as_ref().and_then(|(l, _)| l.last().copied()).unwrap_or(100);
        let replaced = (desired * u64::from(last)).div_ceil(100) as u32;
        prop_assert_eq!(r.percentage_complete, replaced * 100 / c.desired);
        let e = &outcome.engine;
        let live: Vec<_> = e.instances().filter(|i| i.status() == drainsim_core::InstanceStatus::Active).collect();
        prop_assert_eq!(live.len() as u32, c.desired);
        let new = live
            .iter()
            .filter(|i| i.attributes().into_iter().any(|(k, v)| k == "ecs.ami-id" && v == Some("ami-0new")))
            .count() as u32;
        prop_assert_eq!(new, replaced, "{}", text);
        // The percentage only grows, and ends where the refresh ended.
        prop_assert!(r.percentage_complete_over_time.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 <= w[1].0));
        prop_assert_eq!(r.percentage_complete_over_time.last().map(|p| p.1), Some(r.percentage_complete));
        // Each checkpoint before the last pauses the refresh for CheckpointDelay, once for all
        // those reached together.
        if let Some((list, delay)) = &c.checkpoints {
            let pauses = pauses(list, c.desired);
            let took = r.end_time_ms.expect("ended") - r.start_time_ms;
            prop_assert!(took >= pauses * u64::from(*delay) * 1000, "took {} ms with {} pauses of {} s\n{}", took, pauses, delay, text);
        }
    }

    /// A refresh pauses exactly once per checkpoint it stops at: checkpoints reached together
    /// (the same count of instances once rounded up) pause once, and reaching the last one ends the
    /// refresh without a pause. With no tasks in the cluster nothing else moves during a pause, so
    /// the refresh takes exactly as long as with `CheckpointDelay` 0 plus one delay per pause.
    #[test]
    fn checkpoints_reached_together_pause_once(c in case(), list in proptest::collection::btree_set(1u32..=100, 1..=3), minutes in 1u32..=10) {
        let list: Vec<u32> = list.into_iter().collect();
        let took = |delay: u32| -> Result<u64, TestCaseError> {
            let c = Case { tasks: 0, checkpoints: Some((list.clone(), delay)), ..c.clone() };
            let text = write::to_ron(&scenario(&c));
            let loaded = load_str("generated.ron", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let outcome = run(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let r = &outcome.instance_refreshes[0];
            prop_assert_eq!(&r.status, "Successful", "{}", text);
            Ok(r.end_time_ms.expect("ended") - r.start_time_ms)
        };
        let delay = minutes * 60;
        let (with, without) = (took(delay)?, took(0)?);
        prop_assert_eq!(with - without, pauses(&list, c.desired) * u64::from(delay) * 1000, "checkpoints {:?} on {} instances", list, c.desired);
    }
}

/// The pauses a refresh of `instances` instances takes with these checkpoints: one per distinct
/// count of instances (rounded up) below the last checkpoint's.
fn pauses(checkpoints: &[u32], instances: u32) -> u64 {
    let counts: std::collections::BTreeSet<u64> =
        checkpoints.iter().map(|p| (u64::from(instances) * u64::from(*p)).div_ceil(100)).collect();
    let last = counts.last().copied().unwrap_or(0);
    counts.iter().filter(|n| **n < last).count() as u64
}

/// The termination hook holds a refresh until the drain completes or the hook times out: after
/// `HeartbeatTimeout` without heartbeats, after the global timeout (the smaller of 48 h and
/// 100 × `HeartbeatTimeout`) with them — here 600 s and 100 × 60 s.
#[test]
fn a_standalone_task_holds_the_refresh_until_the_hook_times_out() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/instance-refresh-hook-timeout.ron");
    let loaded = drainsim_scenario::load_file(&path).expect("loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations.iter().filter(|x| !x.passed).collect::<Vec<_>>());
    let took: Vec<(String, Option<u64>)> = outcome
        .instance_refreshes
        .iter()
        .map(|r| (r.auto_scaling_group_name.clone(), r.end_time_ms.map(|end| end - r.start_time_ms)))
        .collect();
    assert_eq!(took, vec![("plain".to_string(), Some(600_000)), ("beating".to_string(), Some(6_000_000))]);
    // The hook's global timeout in general: 48 h caps 100 × the heartbeat timeout.
    let hook = |heartbeat_timeout: u32, record_heartbeats: bool| LifecycleHookSpec {
        lifecycle_hook_name: "h".into(),
        lifecycle_transition: TERMINATING_TRANSITION.into(),
        heartbeat_timeout,
        default_result: "ABANDON".into(),
        drain_on_termination: true,
        record_heartbeats,
    };
    assert_eq!(hook(3600, false).wait_limit_ms(), 3_600_000);
    assert_eq!(hook(60, true).wait_limit_ms(), 6_000_000);
    assert_eq!(hook(3600, true).wait_limit_ms(), 48 * 3_600_000);
    assert_eq!(hook(7200, true).wait_limit_ms(), 48 * 3_600_000);
}

/// The user guide's checkpoint example ([20, 50, 100] over 10 instances at 80 %/100 %): the
/// refresh replaces 2 instances, pauses CheckpointDelay (900 s) once they are warmed up, replaces
/// 3 (cut to the checkpoint), pauses again, then replaces the rest.
#[test]
fn checkpoints_pause_the_refresh() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/instance-refresh-checkpoints.ron");
    let loaded = drainsim_scenario::load_file(&path).expect("loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed());
    let r = &outcome.instance_refreshes[0];
    assert_eq!(r.status, "Successful");
    let at = |percent: u32| r.percentage_complete_over_time.iter().find(|p| p.1 == percent).map(|p| p.0).expect("reached");
    let after = |percent: u32| r.percentage_complete_over_time.iter().find(|p| p.1 > percent).map(|p| p.0).expect("went on");
    // Each checkpoint: the replacements warm up (60 s launch + 120 s warmup), then 900 s of pause.
    assert!(after(20) - at(20) >= 900_000 + 180_000, "{:?}", r.percentage_complete_over_time);
    assert!(after(50) - at(50) >= 900_000 + 180_000, "{:?}", r.percentage_complete_over_time);
    // An instance counts as updated only once its replacement is healthy and warm (DescribeInstanceRefreshes):
    // the first 20 % comes 60 s of launch and 120 s of warmup after the refresh starts, not at the
    // first terminations.
    assert!(at(20) - r.start_time_ms >= 180_000, "{:?}", r.percentage_complete_over_time);
    assert_eq!(r.instances_to_update, 0, "nothing left to update");
    // Never past a checkpoint before its pause: the percentages seen are 20, 40, 50, ...
    let seen: Vec<u32> = r.percentage_complete_over_time.iter().map(|p| p.1).collect();
    assert_eq!(seen, vec![0, 20, 40, 50, 70, 90, 100]);
}

/// (`Status`, `InstancesToUpdate`, `PercentageComplete`) of each refresh of a run. A `Successful`
/// refresh (without checkpoints) has updated every instance to update: 100 % and 0 to update
/// (docs/rollouts.md, "End."), also when the group held more than its desired capacity when it
/// began, so that some old instances needed no new one of their own.
fn refresh_ends(outcome: &drainsim_scenario::RunOutcome) -> Vec<(String, u32, u32)> {
    outcome.instance_refreshes.iter().map(|r| (r.status.clone(), r.instances_to_update, r.percentage_complete)).collect()
}

/// The `Refresh` refresh of instance-refresh-protected-instance.ron finds asg-2's replacement
/// (asg-12) already there: the `Wait` refresh before it launched asg-12 into the room above the
/// desired capacity, then failed. Terminating asg-2 completes the refresh, 100 % done. (drainsim
/// counted only the refresh's own launches, and reported it `Successful` at 0 % with 1 instance
/// still to update.)
#[test]
fn a_replacement_an_earlier_refresh_launched_counts_as_done() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/instance-refresh-protected-instance.ron");
    let loaded = drainsim_scenario::load_file(&path).expect("loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations.iter().filter(|x| !x.passed).collect::<Vec<_>>());
    assert_eq!(
        refresh_ends(&outcome),
        vec![("Successful".to_string(), 0, 100), ("Failed".to_string(), 1, 0), ("Successful".to_string(), 0, 100)]
    );
    let last = &outcome.instance_refreshes[2];
    assert_eq!(last.percentage_complete_over_time.last().map(|p| p.1), Some(100), "{:?}", last.percentage_complete_over_time);
}

/// A group that protection from scale in keeps above a lower desired capacity (5 protected
/// instances, desired 4) refreshes all 5 with 4 launches: the fifth old instance needs no new one,
/// and the refresh is `Successful` at 100 % with none to update (drainsim said 80 %, 1 to update).
#[test]
fn a_group_held_above_its_desired_capacity_refreshes_to_100_percent() {
    let text = r#"Scenario(
        name: "refresh-of-a-group-held-above-desired",
        seed: 7,
        clusters: ["prod"],
        autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 1, MaxSize: 12, DesiredCapacity: 6,
            LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
            cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192,
            imageIds: {"1": "ami-0old", "2": "ami-0new"}, launchToRegisterMs: 60000,
            protectedInstances: ["asg-1", "asg-2", "asg-3", "asg-4", "asg-5"])],
        steps: [
            (atMs: 1000, do: SetDesiredCapacity((AutoScalingGroupName: "asg", DesiredCapacity: 4))),
            (do: StartInstanceRefresh((AutoScalingGroupName: "asg",
                DesiredConfiguration: (LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "2")),
                Preferences: (MinHealthyPercentage: 50, MaxHealthyPercentage: 150, ScaleInProtectedInstances: "Refresh"))),
             expect: InstanceRefreshStatus("Successful")),
        ],
        expectations: [InstanceStatus("asg-5", "INACTIVE"), InstanceStatus("asg-10", "ACTIVE")],
    )"#;
    let loaded = load_str("held-above-desired.ron", text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations.iter().filter(|x| !x.passed).collect::<Vec<_>>());
    assert_eq!(refresh_ends(&outcome), vec![("Successful".to_string(), 0, 100)]);
}

/// A pinned fault may name an instance an Auto Scaling group registers at time 0, as it may name
/// any instance registered then.
#[test]
fn a_pinned_fault_may_name_a_group_instance() {
    let text = r#"Scenario(
        name: "pinned-fault-on-group-instance",
        autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 2, MaxSize: 4, DesiredCapacity: 2,
            LaunchTemplate: (LaunchTemplateName: "web", Version: "1"),
            instanceType: "c5.large", cpu: 2048, memory: 3840, imageIds: {"1": "ami-0old"})],
        faults: (pinned: [(atMs: 1000, fault: AgentDisconnect("asg-2"))]),
        expectations: [AgentConnected("asg-1", true), AgentConnected("asg-2", false)],
    )"#;
    let loaded = load_str("pinned.ron", text).expect("loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations);
}

/// A group that adopts declared instances as its members of time 0 (`Instances`, as `drainsim
/// import` writes a captured group) refreshes as the group that registered the same instances
/// itself: the 30-instance refresh, with its members declared under `instances` (named by EC2
/// instance IDs, on the same zones and AMI) and adopted, replaces the same instances at the same
/// moments; only the launched instances' numbers differ (they start from 1).
#[test]
fn adopted_members_refresh_as_the_groups_own() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/instance-refresh-30-instances.ron");
    let own = drainsim_scenario::load_file(&path).expect("loads");
    let mut s = own.scenario.clone();
    let group = &mut s.auto_scaling_groups[0];
    let members = group.initial_members();
    assert_eq!(members.len(), 30);
    for (n, mut m) in members.into_iter().enumerate() {
        m.name = format!("i-{:017x}", n + 1);
        group.instances.push(drainsim_scenario::format::AsgInstanceSpec {
            instance_id: m.name.clone(),
            launch_template: None,
            protected_from_scale_in: false,
        });
        s.instances.push(m);
    }
    // The expectations name the group's own members.
    s.expectations.retain(|e| !matches!(e, drainsim_scenario::format::Expectation::InstanceStatus(..)));
    let adopted = load_str("adopted.ron", &write::to_ron(&s)).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (run(&own, &RunOptions::default()).expect("runs"), run(&adopted, &RunOptions::default()).expect("runs"));
    assert!(b.passed(), "{:?}", b.expectations.iter().filter(|x| !x.passed).collect::<Vec<_>>());
    assert_eq!(a.instance_refreshes, b.instance_refreshes);
    assert_eq!(a.instance_refreshes[0].status, "Successful");
    let ends = |o: &drainsim_scenario::RunOutcome| (o.stop_reason, o.steps.iter().map(|s| s.at_ms).collect::<Vec<_>>());
    assert_eq!(ends(&a), ends(&b));
    let view = |o: &drainsim_scenario::RunOutcome| {
        let e = &o.engine;
        let web = e.service_named("web").expect("web");
        (web.running_count(), web.min_healthy_observed())
    };
    assert_eq!(view(&a), view(&b));
    // Every adopted instance was replaced; the group launched ecs-asg-1 … ecs-asg-30.
    let status = |o: &drainsim_scenario::RunOutcome, name: &str| o.engine.instance_named(name).map(|i| i.status());
    use drainsim_core::InstanceStatus;
    assert_eq!(status(&b, "i-00000000000000001"), Some(InstanceStatus::Inactive));
    assert_eq!(status(&b, "ecs-asg-30"), Some(InstanceStatus::Active));
    assert_eq!(status(&b, "ecs-asg-31"), None);
}

/// Two refreshes of one group that start in the same instant (the first ends at once: every
/// instance matches) get two IDs, as StartInstanceRefresh gives "A unique ID".
#[test]
fn refreshes_started_in_one_instant_have_their_own_ids() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/regressions/two-refreshes-one-instant.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    let ids: Vec<&str> = out.instance_refreshes.iter().map(|r| r.instance_refresh_id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
}

/// A Spot Instance EC2 takes during a refresh wakes it in that instant: its capacity record shows
/// the drop when it happens (3 InService at 3:30), and the replacement is launched then
/// (registered a minute later), where the refresh once saw the loss at its next move, 4:00, and
/// its record, "at every change", never showed the group at 3.
#[test]
fn a_spot_instance_lost_during_a_refresh_is_seen_at_once() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/spot-instance-lost-during-a-refresh.ron");
    let loaded = drainsim_scenario::load_file(&path).expect("loads");
    let outcome = run(&loaded, &RunOptions { keep_records: true, ..Default::default() }).expect("runs");
    assert!(outcome.passed(), "{}", outcome.failures_text());
    let capacity = &outcome.instance_refreshes[0].capacity;
    let at_loss = capacity.iter().find(|c| c.at_ms == 210_000).expect("a sample in the instant EC2 took asg-4");
    assert_eq!((at_loss.pending, at_loss.in_service), (1, 3), "{capacity:?}");
    let asg6 = outcome.engine.instance_named("asg-6").expect("the replacement registered");
    let registered = outcome.engine.trace().records().iter().find(|r| {
        r.subject == drainsim_core::Subject::Instance(asg6.id())
            && matches!(r.change, drainsim_core::Change::InstanceStatus { from: None, .. })
    });
    assert_eq!(registered.map(|r| r.time_ms), Some(270_000), "launched at the loss, registered a minute later");
}

/// A Spot Instance EC2 takes while the refresh pauses at a checkpoint is replaced at once: asg-3,
/// terminated at 22:00 in an hour's pause, has its replacement registered at 23:00 (a minute's
/// launch), where it once waited for the pause to end (1:07:00) and registered at 1:08:00.
#[test]
fn a_spot_instance_lost_during_a_checkpoint_pause_is_replaced_at_once() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/rollouts/spot-instance-lost-during-a-checkpoint-pause.ron");
    let loaded = drainsim_scenario::load_file(&path).expect("loads");
    let outcome = run(&loaded, &RunOptions { keep_records: true, ..Default::default() }).expect("runs");
    assert!(outcome.passed(), "{}", outcome.failures_text());
    let asg7 = outcome.engine.instance_named("asg-7").expect("the replacement registered");
    let registered = outcome.engine.trace().records().iter().find(|r| {
        r.subject == drainsim_core::Subject::Instance(asg7.id())
            && matches!(r.change, drainsim_core::Change::InstanceStatus { from: None, .. })
    });
    assert_eq!(registered.map(|r| r.time_ms), Some(1_380_000), "launched at the loss, in the pause");
    let refresh = &outcome.instance_refreshes[0];
    assert_eq!((refresh.status.as_str(), refresh.percentage_complete), ("Successful", 100));
}
