//! The Auto Scaling requests a step makes and that return at once (TerminateInstanceInAutoScalingGroup,
//! SetInstanceProtection; docs/rollouts.md): what the step's result says.

use drainsim_scenario::{load_str, runner, RunOptions};

const GROUP: &str = r#"Scenario(name: "requests", seed: 1, clusters: ["prod"],
    autoScalingGroups: [(AutoScalingGroupName: "asg", MinSize: 1, MaxSize: 3, DesiredCapacity: 3,
        LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
        cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {"1": "ami-0old"})],
    steps: [STEP])"#;

/// The result of the scenario's one step.
fn step_result(step: &str) -> String {
    let loaded = load_str("requests.ron", &GROUP.replace("STEP", step)).expect("valid");
    let outcome = runner::run(&loaded, &RunOptions::default()).expect("runs");
    let r = outcome.expectations.iter().find(|r| r.step == Some(1)).expect("the step is judged");
    assert!(r.passed, "{r:?}");
    r.detail.clone()
}

/// An instance named twice in InstanceIds is one instance.
#[test]
fn set_instance_protection_counts_each_instance_once() {
    let detail = step_result(
        r#"(do: SetInstanceProtection((InstanceIds: ["asg-1", "asg-1", "asg-2"], AutoScalingGroupName: "asg", ProtectedFromScaleIn: true)))"#,
    );
    assert_eq!(detail, "got: ok (2 instance(s) of asg protected from scale in)");
}

/// The request answers with the scaling activity: the instance, its path, and what happens to the
/// capacity.
#[test]
fn terminate_instance_says_what_the_group_began() {
    let detail =
        step_result(r#"(do: TerminateInstanceInAutoScalingGroup((InstanceId: "asg-2", ShouldDecrementDesiredCapacity: true)))"#);
    assert_eq!(
        detail,
        "got: ok (Terminating EC2 instance: asg-2 of asg (terminated at once): taken out of service in response to a user request, \
         shrinking the capacity from 3 to 2)"
    );
}
