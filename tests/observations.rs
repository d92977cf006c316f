//! What a run observes of a service: its stall and floor-breach episodes and its extremes, and
//! when they begin and end (docs/draining.md, "Observations" and "Stalls and the deadlock event").

use drainsim_scenario::{load_str, run, RunOptions};

/// One instance `a` running service `web` (min `min_percent`), then `steps`.
fn outcome(min_percent: u32, steps: &str) -> drainsim_scenario::RunOutcome {
    let text = format!(
        r#"Scenario(name: "observations", seed: 3, clusters: ["prod"],
        instances: [(name: "a", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 3840)],
        taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 256, exitAfterSigtermMs: 1000)])],
        services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 1,
                    deploymentConfiguration: (minimumHealthyPercent: {min_percent}, maximumPercent: 200))],
        steps: [{steps} (do: RunUntilQuiet)])"#
    );
    run(&load_str("observations.ron", &text).expect("loads"), &RunOptions::default()).expect("runs")
}

/// A deleted service has no work left: its stall ends when it is deleted, not with the run. Here
/// `a` is drained at 60 s, the replacement finds no instance (NO_INSTANCES from 61 s), and the
/// service is deleted at 90 s.
#[test]
fn deleting_a_service_ends_its_stall() {
    let out = outcome(
        0,
        r#"(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
           (atMs: 90000, do: DeleteService((cluster: "prod", service: "web", force: true))),"#,
    );
    let web = out.engine.service_named("web").expect("web");
    let stalls: Vec<(u64, Option<u64>)> = web.stalls().iter().map(|e| (e.started_at_ms, e.ended_at_ms)).collect();
    assert_eq!(stalls, [(61_000, Some(90_000))]);
}

/// A deleted service's desired count is 0, so its floor is: a floor breach open when it is deleted
/// ends then. Here `web` (min 100 %) is scaled to 2 at 100 s (healthy 1 below the new floor 2) and
/// deleted at 101 s.
#[test]
fn deleting_a_service_ends_its_floor_breach() {
    let out = outcome(
        100,
        r#"(atMs: 100000, do: UpdateService((cluster: "prod", service: "web", desiredCount: 2))),
           (atMs: 101000, do: DeleteService((cluster: "prod", service: "web", force: true))),"#,
    );
    let web = out.engine.service_named("web").expect("web");
    let breaches: Vec<(u64, Option<u64>)> = web.floor_breaches().iter().map(|e| (e.started_at_ms, e.ended_at_ms)).collect();
    assert_eq!(breaches, [(100_000, Some(101_000))]);
}

/// A service is sampled from its first steady state on; one created with desiredCount 0 during a
/// drain reaches it at once and has no task to touch it later, and is sampled then (0 healthy,
/// 0 tasks), like one that existed before the drain.
#[test]
fn a_service_created_empty_during_a_drain_is_sampled_from_its_steady_state() {
    let out = outcome(
        50,
        r#"(atMs: 100000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
           (atMs: 110000, do: CreateService((cluster: "prod", serviceName: "late", taskDefinition: "app", desiredCount: 0))),"#,
    );
    let late = out.engine.service_named("late").expect("late");
    assert_eq!(late.steady_state_at_ms(), Some(110_000));
    assert_eq!((late.min_healthy_observed(), late.max_tasks_observed()), (Some(0), Some(0)));
}
