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
         LaunchTemplate: (LaunchTemplateName: "t", Version: "1"),
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
