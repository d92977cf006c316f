//! Availability Zone rebalancing (issue 16): what CreateService and UpdateService refuse, the
//! setting's default, and that a balanced service or one without the field never moves a task.

use drainsim_scenario::runner::run;
use drainsim_scenario::{load_str, RunOptions};

fn scenario(service_extra: &str, steps: &str) -> String {
    format!(
        r#"Scenario(
    name: "rebalance",
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a"], cpu: 4096, memory: 8192),
        (name: "b", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1b"], cpu: 4096, memory: 8192),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 512)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 4{service_extra})],
    steps: {steps},
)"#
    )
}

fn passes(src: &str) -> bool {
    let outcome = run(&load_str("rebalance.ron", src).expect("loads"), &RunOptions::default()).expect("runs");
    for e in outcome.expectations.iter().filter(|e| !e.passed) {
        eprintln!("FAIL {} ({})", e.name, e.detail);
    }
    outcome.passed()
}

#[test]
fn update_service_refuses_rebalancing_with_maximum_percent_100_and_a_zone_constraint() {
    let src = scenario(
        "",
        r#"[
        (atMs: 1000, do: UpdateService((cluster: "prod", service: "web", deploymentConfiguration: (maximumPercent: 100, minimumHealthyPercent: 50),
            availabilityZoneRebalancing: "ENABLED")),
         expect: ErrorContaining("InvalidParameterException", "maximumPercent is 100")),
        (atMs: 2000, do: UpdateService((cluster: "prod", service: "web", availabilityZoneRebalancing: "SOMETIMES")),
         expect: ErrorContaining("InvalidParameterException", "valid values are [ENABLED, DISABLED]")),
        (atMs: 3000, do: UpdateService((cluster: "prod", service: "web", availabilityZoneRebalancing: "ENABLED"))),
    ]"#,
    );
    assert!(passes(&src));
    let src = scenario(
        r#", placementConstraints: [(type: "memberOf", expression: "attribute:ecs.availability-zone != us-east-1c")],
         availabilityZoneRebalancing: "ENABLED""#,
        "[]",
    );
    let Err(err) = run(&load_str("rebalance.ron", &src).expect("loads"), &RunOptions::default()) else {
        panic!("CreateService with a zone constraint and rebalancing must be refused at setup");
    };
    assert!(err.message.contains("placement constraint on attribute:ecs.availability-zone"), "{err}");
}

#[test]
fn the_setting_is_kept_by_update_service_when_absent_and_disabled_by_default() {
    let outcome = run(
        &load_str(
            "rebalance.ron",
            &scenario(
                r#", availabilityZoneRebalancing: "ENABLED""#,
                r#"[(atMs: 1000, do: UpdateService((cluster: "prod", service: "web", desiredCount: 6)))]"#,
            ),
        )
        .expect("loads"),
        &RunOptions::default(),
    )
    .expect("runs");
    assert!(outcome.engine.service_named("web").expect("known").az_rebalancing_enabled());
    let outcome = run(&load_str("rebalance.ron", &scenario("", "[]")).expect("loads"), &RunOptions::default()).expect("runs");
    assert!(!outcome.engine.service_named("web").expect("known").az_rebalancing_enabled(), "DISABLED by default");
}

#[test]
fn a_balanced_service_makes_no_move_and_a_drained_zone_is_refilled_only_with_rebalancing() {
    let balanced = scenario(r#", availabilityZoneRebalancing: "ENABLED""#, "[(atMs: 600000, do: Advance)]")
        .replace("steps:", r#"expectations: [AzRebalancingMoves("web", Eq(0))], steps:"#);
    assert!(passes(&balanced));
    // Zone b's instance is drained and comes back: 4 tasks in a, then 2 and 2 again with
    // rebalancing, 2 moves; the same without rebalancing stays 4 and 0.
    let steps = r#"[
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["b"]))),
        (do: WaitForDrain((cluster: "prod", instances: ["b"], timeoutMs: 600000))),
        (atMs: 400000, do: ActivateInstances((cluster: "prod", instances: ["b"]))),
        (do: RunUntilQuiet),
    ]"#;
    let with = scenario(r#", availabilityZoneRebalancing: "ENABLED""#, steps)
        .replace("steps:", r#"expectations: [AzRebalancingMoves("web", Eq(2)), FloorBreaches("web", Eq(0))], steps:"#);
    assert!(passes(&with));
    let without = scenario("", steps).replace("steps:", r#"expectations: [AzRebalancingMoves("web", Eq(0))], steps:"#);
    assert!(passes(&without));
}
