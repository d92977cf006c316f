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
/// ends then. Here `web`'s task (min 100 %) is stopped at 100 s (userStoppedTask) and the service
/// deleted at 101 s, before the replacement is healthy.
#[test]
fn deleting_a_service_ends_its_floor_breach() {
    let out = outcome(
        100,
        r#"(atMs: 100000, do: StopTasksOn((cluster: "prod", instance: "a", standaloneOnly: false))),
           (atMs: 101000, do: DeleteService((cluster: "prod", service: "web", force: true))),"#,
    );
    let web = out.engine.service_named("web").expect("web");
    let breaches: Vec<(u64, Option<u64>)> = web.floor_breaches().iter().map(|e| (e.started_at_ms, e.ended_at_ms)).collect();
    assert_eq!(breaches, [(100_000, Some(101_000))]);
    assert_eq!(web.floor_breaches()[0].reason, drainsim_core::BreachCause::UserStoppedTask);
}

/// A scale-up is not a breach: the tasks it adds are starting, not lost, and until the service is
/// steady again it is watched against the floor of the count it was steady at. A task lost during
/// the scale-up still breaches that floor. Here `web` (min 100 %, 1 task) is scaled to 2 at 100 s:
/// no breach; then to 3 at 200 s with its tasks stopped at the same time: a breach, from 200 s.
#[test]
fn a_scale_up_is_watched_against_the_floor_it_was_steady_at() {
    let out = outcome(
        100,
        r#"(atMs: 100000, do: UpdateService((cluster: "prod", service: "web", desiredCount: 2))),
           (atMs: 200000, do: UpdateService((cluster: "prod", service: "web", desiredCount: 3))),
           (atMs: 200000, do: StopTasksOn((cluster: "prod", instance: "a", standaloneOnly: false))),"#,
    );
    let web = out.engine.service_named("web").expect("web");
    let breaches: Vec<(u64, drainsim_core::BreachCause)> =
        web.floor_breaches().iter().map(|e| (e.started_at_ms, e.reason)).collect();
    assert_eq!(breaches, [(200_000, drainsim_core::BreachCause::UserStoppedTask)]);
    assert_eq!(web.running_count(), 3);
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

/// A service event that repeats the last one is omitted for six hours, then sent again
/// ("duplicate event messages are omitted until either the cause is resolved or six hours passes",
/// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html): a
/// stalled replacement's failure, retried all along and again when smaller instances register at
/// 3 and 7 hours, is reported at the drain and at the first try six hours after it, and not again.
#[test]
fn a_repeated_service_event_is_sent_again_after_six_hours() {
    let loaded =
        drainsim_scenario::load_file(std::path::Path::new("scenarios/fidelity/duplicate-service-event-after-six-hours.ron"))
            .expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    let web = out.engine.service_named("web").expect("web");
    let unable: Vec<(u64, String)> = web.events().filter(|(_, m)| m.contains("was unable to place a task")).collect();
    let times: Vec<u64> = unable.iter().map(|(at, _)| *at).collect();
    assert_eq!(times, [60_000, 21_660_000], "{unable:?}");
    assert_eq!(unable[0].1, unable[1].1, "the same message, sent again");
}

/// A pass that stops tasks but still cannot place, for the reason of the open stall, does not end
/// the stall: a new wave's stops are no placement. Here `web` (3 tasks of 1024 CPU, min 0 %) runs
/// on three instances with room for one task each; `a` is drained at 60 s (its replacement finds
/// no room: RESOURCE:CPU), `b` at 300 s (its task stops, and its replacement finds no room
/// either). Until 2026-12-07 the stops at 300 s ended the stall, which opened again at the next
/// try, so a stuck rollout showed a stall per wave, each "ended" with nothing placed.
#[test]
fn stops_of_a_new_drain_do_not_end_a_stall_that_still_cannot_place() {
    let text = r#"Scenario(name: "stall-through-waves", seed: 3, clusters: ["prod"],
        instances: [(name: "n", count: 3, cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 1024, memory: 3840)],
        taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 1024, memory: 256, exitAfterSigtermMs: 1000)])],
        services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 3,
                    deploymentConfiguration: (minimumHealthyPercent: 0, maximumPercent: 100))],
        steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["n-1"]))),
                (atMs: 300000, do: DrainInstances((cluster: "prod", instances: ["n-2"]))),
                (atMs: 600000, do: Advance)])"#;
    let out = run(&load_str("stall.ron", text).expect("loads"), &RunOptions::default()).expect("runs");
    let web = out.engine.service_named("web").expect("web");
    let stalls: Vec<(u64, Option<u64>, String)> =
        web.stalls().iter().map(|e| (e.started_at_ms, e.ended_at_ms, e.reason.to_string())).collect();
    assert_eq!(stalls.len(), 1, "one stall through both drains: {stalls:?}");
    assert_eq!((stalls[0].1.is_none(), stalls[0].2.as_str()), (true, "RESOURCE:CPU"), "{stalls:?}");
    assert!(stalls[0].0 < 300_000, "it began with the first drain: {stalls:?}");
    assert_eq!(web.running_count(), 1, "only n-3's task runs");
}

/// A drain that ended because its instance went with a task not yet STOPPED did not complete:
/// `DrainCompletedBy` fails on it, `DrainEndedBy` and `OrphanedTasks` say what happened, and a run
/// whose expectations do not mention the drain warns of it (`--strict` fails it). Here `a` is
/// drained at 60 s while its task waits out a 5-minute deregistration delay, and deregistered
/// with `force` at 90 s.
#[test]
fn a_drain_cut_short_is_not_completed_and_is_a_finding() {
    let scenario = |expectations: &str| {
        format!(
            r#"Scenario(name: "cut", seed: 3, clusters: ["prod"],
            instances: [(name: "a", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840),
                        (name: "b", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840)],
            taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 1024, memory: 256, exitAfterSigtermMs: 1000, portMappings: [(containerPort: 8080)])])],
            services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 2,
                        deploymentConfiguration: (minimumHealthyPercent: 0, maximumPercent: 200),
                        placementStrategy: [(type: "spread", field: "instanceId")],
                        loadBalancers: [(targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", containerName: "app", containerPort: 8080)])],
            steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
                    (atMs: 90000, do: DeregisterInstances((cluster: "prod", instances: ["a"], force: true)))],
            expectations: [{expectations}])"#
        )
    };
    let judged = |expectations: &str| {
        let loaded = load_str("cut.ron", &scenario(expectations)).expect("loads");
        let out = run(&loaded, &RunOptions::default()).expect("runs");
        let findings = drainsim_scenario::outcome::unmentioned_findings(&loaded.scenario, &out);
        (out.expectations.iter().map(|x| x.passed).collect::<Vec<_>>(), findings)
    };
    let (_, findings) = judged("");
    assert_eq!(
        findings,
        ["the drain of a ended at +00:01:30.000 with 1 task(s) not yet STOPPED, orphaned when the instance went away, and no expectation mentions it"]
    );
    let (passed, findings) = judged(
        r#"DrainCompletedBy("a", 90000), DrainEndedBy("a", 90000), DrainNotEndedBy("a", 89999), DrainNotCompletedBy("a", 90000), OrphanedTasks("a", Eq(1))"#,
    );
    // The scenario's expectations come after its steps'.
    assert_eq!(passed[passed.len() - 5..], [false, true, true, true, true]);
    assert!(findings.is_empty(), "{findings:?}");
    // Across the run, as the report's allDrainsCompletedAtMs counts them: the drain ended by
    // 90 s; TasksOrphaned bounds the cut-short drains' tasks, which mentions them all for the warning.
    let (passed, findings) = judged(r#"AllDrainsCompletedBy(90000), TasksOrphaned(Eq(1)), TasksOrphaned(Eq(0))"#);
    assert_eq!(passed[passed.len() - 3..], [true, true, false]);
    assert!(findings.is_empty(), "{findings:?}");
}

/// An instance that registers while health checks fail on the instances a query selects, and is
/// selected, gets the "fail" record as one registered before did: its later "pass again" record
/// once had no "fail" before it (`fidelity/recovered-target-needs-its-healthy-threshold.ron`:
/// `new` registers at 60 s, the instant the checks begin to fail there).
#[test]
fn an_instance_registered_while_checks_fail_says_so() {
    use drainsim_core::{Change, Subject};
    let file = "scenarios/fidelity/recovered-target-needs-its-healthy-threshold.ron";
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    let out = run(&loaded, &RunOptions { keep_records: true, ..Default::default() }).expect("runs");
    let new = out.engine.instance_named("new").expect("new").id();
    let changes: Vec<(u64, bool)> = out
        .engine
        .trace()
        .records()
        .iter()
        .filter(|r| r.subject == Subject::Instance(new))
        .filter_map(|r| match r.change {
            Change::HealthChecksFailing(failing) => Some((r.time_ms, failing)),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [(60_000, true), (170_000, false)]);
}

/// ECS's "is unhealthy in (target-group …)" event names the target group only when the target's
/// checks decided the task: with a container check that reaches its threshold first (5 s × 1
/// against 30 s × 10) the task is UNHEALTHY by its container, and no event blames the target.
/// Behind a Classic Load Balancer the event names the instance, not a task, with the Classic
/// check's reason.
#[test]
fn the_unhealthy_target_event_names_the_check_that_decided() {
    let events = |container_check: &str, lb: &str| -> Vec<String> {
        let text = format!(
            r#"Scenario(name: "unhealthy-event", seed: 3, clusters: ["prod"],
            instances: [(name: "a", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840)],
            taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 256,
                portMappings: [(containerPort: 8080, hostPort: 8080)]{container_check})])],
            services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 1,
                        loadBalancers: [{lb}],
                        targetGroup: (healthCheckIntervalSeconds: 30, unhealthyThresholdCount: 10, healthyThresholdCount: 2))],
            faults: (failingHealthChecks: "attribute:ecs.instance-type == c5.large"),
            steps: [(atMs: 900000, do: Advance)])"#
        );
        let out = run(&load_str("unhealthy-event.ron", &text).expect("loads"), &RunOptions::default()).expect("runs");
        let web = out.engine.service_named("web").expect("web");
        web.describe().events.into_iter().map(|e| e.message).filter(|m| m.contains("is unhealthy in")).collect()
    };
    let tg = r#"(targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", containerName: "app", containerPort: 8080)"#;
    let by_target = events("", tg);
    assert!(!by_target.is_empty(), "the target decided");
    assert!(
        by_target.iter().all(|m| m.contains(") (task ")
            && m.contains("(port 8080) is unhealthy in (target-group arn:")
            && m.ends_with("due to (reason Health checks failed).")),
        "{by_target:?}"
    );
    assert_eq!(
        events(r#", healthCheck: (command: ["CMD", "true"], interval: 5, retries: 1)"#, tg),
        Vec::<String>::new(),
        "the container decided"
    );
    let classic = events("", r#"(loadBalancerName: "web-elb", containerName: "app", containerPort: 8080)"#);
    assert!(!classic.is_empty());
    assert!(
        classic.iter().all(|m| !m.contains("(task ") && m.contains("is unhealthy in (elb web-elb) due to (reason Instance has failed at least the UnhealthyThreshold number of health checks consecutively.)")),
        "{classic:?}"
    );
}
