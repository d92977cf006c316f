//! Capacity providers (issue 16): managed draining, managed termination protection and
//! SetDesiredCapacity, beyond what the scenario files under `scenarios/rollouts/` check.

use drainsim_scenario::runner::run;
use drainsim_scenario::{load_file, load_str, RunOptions};

fn group(name: &str, desired: u32, provider: &str) -> String {
    format!(
        r#"Scenario(
    name: "cp",
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "{name}", MinSize: 1, MaxSize: 4, DesiredCapacity: {desired},
         LaunchTemplate: (LaunchTemplateName: "tpl", Version: "1"),
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192,
         imageIds: {{"1": "ami-1"}}, launchToRegisterMs: 30000),
    ],
    capacityProviders: [{provider}],
    taskDefinitions: [(family: "batch", containerDefinitions: [(name: "job", cpu: 256, memory: 512)])],
    steps: STEPS,
)"#
    )
}

#[test]
fn protection_held_instances_are_named_in_the_note() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/rollouts/managed-termination-protection-scale-in.ron");
    let outcome = run(&load_file(&path).expect("loads"), &RunOptions::default()).expect("runs");
    let scale_in = &outcome.steps[1];
    assert_eq!(scale_in.operation, "SetDesiredCapacity");
    assert!(scale_in.summary.contains("1 terminated"), "{}", scale_in.summary);
    assert!(
        scale_in.summary.contains("1 instance(s) above DesiredCapacity kept: protected from scale in"),
        "{}",
        scale_in.summary
    );
}

#[test]
fn scale_out_launches_into_service_after_launch_to_register() {
    let src = group("ecs", 1, "")
        .replace("STEPS", r#"[(atMs: 1000, do: SetDesiredCapacity((AutoScalingGroupName: "ecs", DesiredCapacity: 3)))]"#);
    let outcome = run(&load_str("scale-out.ron", &src).expect("loads"), &RunOptions::default()).expect("runs");
    assert!(outcome.passed());
    assert_eq!(outcome.steps[0].at_ms, 31_000, "the step ends when the new instances register");
    for name in ["ecs-1", "ecs-2", "ecs-3"] {
        assert!(outcome.engine.instance_named(name).is_some(), "{name} registered");
    }
}

#[test]
fn managed_draining_completes_the_lifecycle_action_once_the_tasks_are_gone() {
    // No standalone task: the drained instance is empty at once, so the group terminates it in the
    // same moment instead of waiting for the 48-hour ceiling.
    let provider = r#"(name: "cp", autoScalingGroupProvider: (autoScalingGroupArn: "ecs"))"#;
    let src = group("ecs", 2, provider)
        .replace("STEPS", r#"[(atMs: 1000, do: SetDesiredCapacity((AutoScalingGroupName: "ecs", DesiredCapacity: 1)))]"#);
    let outcome = run(&load_str("drained.ron", &src).expect("loads"), &RunOptions::default()).expect("runs");
    assert_eq!(outcome.steps[0].at_ms, 1000);
    let i = outcome.engine.instance_named("ecs-1").expect("known");
    assert_eq!(i.status(), drainsim_core::InstanceStatus::Inactive);
    assert_eq!(i.drain().started_at_ms(), Some(1000), "managed draining (ENABLED by default) set it DRAINING");
}

#[test]
fn without_managed_draining_or_a_hook_the_instance_goes_at_once_undrained() {
    let provider = r#"(name: "cp", autoScalingGroupProvider: (autoScalingGroupArn: "ecs", managedDraining: "DISABLED"))"#;
    let src = group("ecs", 2, provider).replace(
        "STEPS",
        r#"[(atMs: 1000, do: StartTask((cluster: "prod", taskDefinition: "batch", containerInstances: ["ecs-1"]))),
            (atMs: 2000, do: SetDesiredCapacity((AutoScalingGroupName: "ecs", DesiredCapacity: 1)))]"#,
    );
    let outcome = run(&load_str("undrained.ron", &src).expect("loads"), &RunOptions::default()).expect("runs");
    let i = outcome.engine.instance_named("ecs-1").expect("known");
    assert_eq!(i.status(), drainsim_core::InstanceStatus::Inactive);
    assert_eq!(i.drain().started_at_ms(), None, "nothing set it DRAINING");
}

/// When the group's own termination hook and ECS's managed draining both hold an instance, it goes
/// once every hook has ended, or as soon as the group's hook times out with `ABANDON`, which "stops
/// any remaining actions, such as other lifecycle hooks"
/// (<https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks.html>); the group's hook
/// ends when its tooling completes it (`drainOnTermination`, once the drain is complete) or at its
/// timeout, ECS's once the drain is complete. With the group's hook alone both results terminate
/// at its timeout. Every combination, with a drain that takes `D` (a service task moving under
/// min 100 %) and a hook timeout below and above it.
#[test]
fn the_default_result_of_the_groups_hook_decides_next_to_managed_draining() {
    let scale_in = |result: &str, drain: bool, managed: bool, heartbeat: u32| {
        let src = format!(
            r#"Scenario(
    name: "default-result",
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "ecs", MinSize: 1, MaxSize: 4, DesiredCapacity: 2,
         LaunchTemplate: (LaunchTemplateName: "tpl", Version: "1"),
         LifecycleHooks: [(LifecycleHookName: "h", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                           HeartbeatTimeout: {heartbeat}, DefaultResult: "{result}", drainOnTermination: {drain})],
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {{"1": "ami-1"}}),
    ],
    capacityProviders: [(name: "cp", autoScalingGroupProvider: (autoScalingGroupArn: "ecs", managedDraining: "{}"))],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 2000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 2,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200))],
    steps: [(atMs: 120000, do: SetDesiredCapacity((AutoScalingGroupName: "ecs", DesiredCapacity: 1)))],
)"#,
            if managed { "ENABLED" } else { "DISABLED" }
        );
        let outcome = run(&load_str("default-result.ron", &src).expect("loads"), &RunOptions::default()).expect("runs");
        let i = outcome.engine.instance_named("ecs-1").expect("known");
        assert_eq!(i.status(), drainsim_core::InstanceStatus::Inactive, "{src}");
        // The step ends when the group terminates the instance.
        (outcome.steps[0].at_ms - 120_000, i.drain().completed_at_ms())
    };
    // The drain's duration: managed draining and a CONTINUE hook that waits for it.
    let (d, completed) = scale_in("CONTINUE", true, true, 7200);
    assert_eq!(completed, Some(120_000 + d), "the instance goes when its drain completes");
    assert!(d > 30_000 && d < 120_000, "the service task moves in {d} ms");
    for heartbeat in [30u32, 120] {
        let h = u64::from(heartbeat) * 1000;
        for result in ["CONTINUE", "ABANDON"] {
            let abandon = result == "ABANDON";
            // The group's hook alone: completed by the drain, else timed out; either result terminates.
            assert_eq!(
                scale_in(result, true, false, heartbeat).0,
                d.min(h),
                "{result} {heartbeat} s, drain, no managed draining"
            );
            assert_eq!(scale_in(result, false, false, heartbeat).0, h, "{result} {heartbeat} s, no drain, no managed draining");
            // Next to ECS's hook: ABANDON at the timeout stops it; CONTINUE lets it finish.
            let both = if abandon { d.min(h) } else { d };
            assert_eq!(scale_in(result, true, true, heartbeat).0, both, "{result} {heartbeat} s, drain, managed draining");
            // A hook nobody completes waits for its timeout even when the drain completes first.
            let own_ignores_drain = if abandon { h } else { d.max(h) };
            assert_eq!(
                scale_in(result, false, true, heartbeat).0,
                own_ignores_drain,
                "{result} {heartbeat} s, no drain, managed draining"
            );
        }
    }
}

/// A stall of a task of a capacity provider strategy names the provider in the report's JSON (the
/// stall's `capacityProvider`, the instances' `capacityProviderName`), the text report and
/// `drainsim explain`: the cluster may have room elsewhere.
#[test]
fn a_stall_within_a_capacity_provider_names_it() {
    let file = "scenarios/drain/capacity-provider-strategy-keeps-tasks-on-spot.ron";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let outcome = run(&load_file(&path).expect("loads"), &RunOptions::default()).expect("runs");
    let report = drainsim_scenario::report::build(&outcome);
    let json = serde_json::to_value(&report).expect("serializes");
    let batch = json["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "batch").expect("batch");
    assert_eq!(batch["stalls"][0]["capacityProvider"], "spot", "{}", batch["stalls"]);
    let spot = json["containerInstances"].as_array().unwrap().iter().find(|i| i["name"] == "spot-1").expect("spot-1");
    assert_eq!(spot["capacityProviderName"], "spot");

    let bin = env!("CARGO_BIN_EXE_drainsim");
    let text = std::process::Command::new(bin).args(["run", file]).output().expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("the closest instance of capacity provider spot lacked memory (RESOURCE:MEMORY)"), "{text}");
    let explained = std::process::Command::new(bin).args(["explain", file]).output().expect("runs");
    let explained = String::from_utf8_lossy(&explained.stdout);
    assert!(
        explained.contains("the closest instance of capacity provider spot, which its capacity provider strategy chose for the task, lacked memory"),
        "{explained}"
    );
}

/// Spread by a custom attribute walks its own candidates (the attribute scan); a task of a capacity
/// provider strategy is still placed only on its provider's instances there: the rack of the spot
/// instances has more room, and no task goes to it.
#[test]
fn spread_by_an_attribute_stays_within_the_provider() {
    let text = r#"Scenario(
    name: "rack",
    clusters: ["prod"],
    clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["od", "spot"], defaultCapacityProviderStrategy: [])],
    instances: [
        (name: "od", count: 4, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 4096, attributes: {"rack": "r1"}, capacityProviderName: "od"),
        (name: "spot", count: 4, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192, attributes: {"rack": "r2"}, capacityProviderName: "spot"),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 256)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 8,
        placementStrategy: [(type: "spread", field: "attribute:rack")],
        capacityProviderStrategy: [(capacityProvider: "od", weight: 1)])],
    expectations: [InstanceRunningTasks("spot-1", Eq(0)), InstanceRunningTasks("spot-2", Eq(0)), InstanceRunningTasks("spot-3", Eq(0)), InstanceRunningTasks("spot-4", Eq(0)), ServiceRunningCount("web", Eq(8))],
)
"#;
    let outcome = run(
        &load_str("rack.ron", text).expect("loads"),
        &RunOptions { check_invariants_every_event: true, ..Default::default() },
    )
    .expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations);
}

/// A provider whose instances cannot take its share of a service's tasks keeps that share
/// unplaced, and the other providers of the strategy place theirs, whatever the order the strategy
/// lists them in: ECS gives each task its provider before placing it. (The first failure used to
/// end the pass: a provider without instances held every other provider's tasks back.) With
/// managed scaling on the empty provider, its share waits PROVISIONING while the other's runs, and
/// the scaling asks for what that share needs, not for every task of the service.
#[test]
fn a_provider_without_room_keeps_only_its_own_share_unplaced() {
    let scenario = |strategy: &str, extra: &str| {
        format!(
            r#"Scenario(
    name: "shares",
    clusters: ["prod"],
    {extra}
    clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["A", "B"], defaultCapacityProviderStrategy: [])],
    instances: [
        (name: "b", count: 2, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b"],
         cpu: 4096, memory: 16384, capacityProviderName: "B"),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [(cluster: "prod", serviceName: "s", taskDefinition: "web", desiredCount: DESIRED, availabilityZoneRebalancing: "DISABLED",
        capacityProviderStrategy: {strategy})],
    steps: [(atMs: 30000, do: Advance), (do: RunUntilQuiet)],
    endTimeMs: 3600000,
)"#
        )
    };
    let run_of = |text: String| run(&load_str("shares.ron", &text).expect("loads"), &RunOptions::default()).expect("runs");
    let weights = [
        r#"[(capacityProvider: "A", weight: 1), (capacityProvider: "B", weight: 1)]"#,
        r#"[(capacityProvider: "B", weight: 1), (capacityProvider: "A", weight: 1)]"#,
    ];
    for strategy in weights {
        let outcome = run_of(scenario(strategy, "").replace("DESIRED", "6"));
        let s = outcome.engine.service_named("s").expect("s");
        assert_eq!(s.running_count(), 3, "B's half runs ({strategy})");
        let failures: u64 = s.placement_failures().map(|(_, n)| n).sum();
        assert!(failures >= 3, "A's half failed placement ({strategy}): {failures}");
    }
    // A base on the empty provider: its 2 wait; of the 4 beyond it, B takes its half.
    let outcome = run_of(
        scenario(r#"[(capacityProvider: "A", base: 2, weight: 1), (capacityProvider: "B", weight: 1)]"#, "")
            .replace("DESIRED", "6"),
    );
    assert_eq!(outcome.engine.service_named("s").expect("s").running_count(), 2);

    // Managed scaling on A, one instance of A to begin with: B's 8 run at once, A's wait for the
    // instances its share needs.
    let group = r#"autoScalingGroups: [
        (AutoScalingGroupName: "asgA", NewInstancesProtectedFromScaleIn: true, MinSize: 0, MaxSize: 10, DesiredCapacity: 1,
         LaunchTemplate: (LaunchTemplateName: "tpl", Version: "1"), cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 4096,
         AvailabilityZones: ["us-east-1a", "us-east-1b"], imageIds: {"1": "ami-1"}),
    ],
    capacityProviders: [(name: "A", autoScalingGroupProvider: (autoScalingGroupArn: "asgA",
        managedScaling: (status: "ENABLED", targetCapacity: 100), managedTerminationProtection: "ENABLED"))],"#;
    let text = scenario(weights[0], group).replace("DESIRED", "16").replace(
        "steps: [(atMs: 30000, do: Advance),",
        r#"steps: [(atMs: 30000, do: Check([ServiceRunningCount("s", Eq(12))])),"#,
    );
    let outcome = run_of(text);
    assert!(outcome.passed(), "{:?}", outcome.expectations.iter().filter(|x| !x.passed).map(|x| x.label()).collect::<Vec<_>>());
    assert_eq!(outcome.engine.service_named("s").expect("s").running_count(), 16);
    let scaling = &outcome.managed_scaling[0];
    assert_eq!(scaling.instances_launched, 1, "A's share of 8 needs one more m5.large, not three");
}
