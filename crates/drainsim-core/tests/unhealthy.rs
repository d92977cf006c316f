//! The service scheduler replaces UNHEALTHY tasks (docs/ecs-choices.md § "UNHEALTHY tasks are
//! replaced"): a replacement starts first when `maximumPercent` leaves room and the unhealthy task
//! stops once the healthy tasks make up for it; without room, unhealthy tasks stop one at a time
//! first. Checked instant by instant on adopted clusters with random bounds and counts.

mod common;

use drainsim_core::api::*;
use drainsim_core::{Engine, TaskStatus};
use proptest::prelude::*;

/// Tasks count as healthy 40 s after RUNNING; `app` starts in 12 s.
const HEALTHY_AFTER_START_MS: u64 = 52_000;

/// Cluster `prod` with three roomy instances and service `web` of task definition `app`, with
/// `healthy` healthy and `unhealthy` UNHEALTHY tasks adopted on the first instance.
fn adopted(desired: u32, min: u32, max: u32, healthy: u32, unhealthy: u32) -> Engine {
    let mut e = common::engine_with_app(3);
    for (n, zone) in ["us-east-1a", "us-east-1b", "us-east-1c"].iter().enumerate() {
        common::register_instance(&mut e, &format!("i{n}"), zone, 16_384, 32_768);
    }
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(i64::from(desired)),
        deployment_configuration: Some(DeploymentConfiguration {
            minimum_healthy_percent: Some(i64::from(min)),
            maximum_percent: Some(i64::from(max)),
        }),
        ..Default::default()
    }))
    .expect("a valid service");
    let arn = e.instance_named("i0").expect("registered").arn();
    for n in 0..healthy + unhealthy {
        e.adopt_running_task(AdoptTaskRequest {
            cluster: Some("prod".into()),
            container_instance: arn.clone(),
            task_definition: "app".into(),
            service: Some("web".into()),
            group: None,
            started_by: None,
            overrides: None,
            healthy: n < healthy,
        })
        .expect("room for it");
    }
    e
}

/// The IDs of the service's tasks that are not healthy now.
fn unhealthy_ids(e: &Engine) -> Vec<drainsim_core::TaskId> {
    e.service_named("web").expect("created").tasks().filter(|t| !t.healthy()).map(|t| t.id()).collect()
}

#[test]
fn a_replacement_starts_first_and_the_unhealthy_task_stops_once_it_is_healthy() {
    let mut e = adopted(4, 100, 200, 3, 1);
    let unhealthy = unhealthy_ids(&e)[0];
    let arn = e.task(unhealthy).arn();
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![arn] })) {
        // `app` has no container health check, which alone decides healthStatus.
        Ok(Response::Tasks { tasks, .. }) => assert_eq!(tasks[0].health_status, "UNKNOWN"),
        other => panic!("unexpected response {other:?}"),
    }
    assert!(e.advance_to(HEALTHY_AFTER_START_MS - 1, 1_000_000));
    let web = e.service_named("web").unwrap();
    assert_eq!((web.live_count(), web.healthy_count(), web.running_count()), (5, 3, 5), "the replacement runs beside it");
    assert!(!e.task(unhealthy).desired_stopped(), "the unhealthy task runs until its replacement is healthy");
    assert!(e.advance_to(HEALTHY_AFTER_START_MS, 1_000_000));
    let t = e.task(unhealthy);
    assert!(t.desired_stopped(), "stopped as its replacement turned healthy");
    assert_eq!(t.stopping_at_ms(), Some(HEALTHY_AFTER_START_MS));
    assert_eq!(t.stopped_reason(), Some("Task failed container health checks"));
    assert_eq!(t.stop_code(), Some("ServiceSchedulerInitiated"));
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    let web = e.service_named("web").unwrap();
    assert_eq!((web.live_count(), web.healthy_count()), (4, 4));
    assert_eq!(e.task(unhealthy).last_status(), TaskStatus::Stopped);
}

#[test]
fn without_room_under_the_ceiling_unhealthy_tasks_stop_one_at_a_time_first() {
    // desired 4, maximum 100 %: no room for a fifth task; two unhealthy ones.
    let mut e = adopted(4, 50, 100, 2, 2);
    let unhealthy = unhealthy_ids(&e);
    assert!(e.advance_to(0, 1_000_000));
    let stopped: Vec<bool> = unhealthy.iter().map(|t| e.task(*t).desired_stopped()).collect();
    assert_eq!(stopped, [true, false], "the first (oldest) stops at once, the other waits");
    // `app` stops in at most 5 s; its replacement starts then, and the second stops only once
    // the first has reached STOPPED.
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    let (first, second) = (e.task(unhealthy[0]), e.task(unhealthy[1]));
    assert!(second.stopping_at_ms().unwrap() >= first.stopped_at_ms().unwrap(), "one at a time");
    let web = e.service_named("web").unwrap();
    assert_eq!((web.live_count(), web.healthy_count()), (4, 4));
}

#[test]
fn a_task_only_its_target_group_judges_stops_in_the_load_balancers_words() {
    let mut e = common::engine_with_app(5);
    common::register_instance(&mut e, "i0", "us-east-1a", 4_096, 8_192);
    register_app(&mut e, "web", 256, 512, true, None);
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "web".into(),
        desired_count: Some(1),
        load_balancers: vec![LoadBalancer {
            target_group_arn: Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef".into()),
            load_balancer_name: None,
            container_name: Some("web".into()),
            container_port: Some(80),
        }],
        ..Default::default()
    }))
    .expect("a valid service");
    let unhealthy = e
        .adopt_running_task(AdoptTaskRequest {
            cluster: Some("prod".into()),
            container_instance: e.instance_named("i0").unwrap().arn(),
            task_definition: "web".into(),
            service: Some("web".into()),
            group: None,
            started_by: None,
            overrides: None,
            healthy: false,
        })
        .expect("room for it");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(
        e.task(unhealthy).stopped_reason(),
        Some("Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef)")
    );
    assert_eq!(e.service_named("web").unwrap().healthy_count(), 1, "its replacement passed its target health check");
}

#[test]
fn an_unhealthy_task_the_healthy_ones_make_up_for_stops_at_once() {
    let mut e = adopted(2, 100, 200, 2, 1);
    let unhealthy = unhealthy_ids(&e)[0];
    assert!(e.advance_to(0, 1_000_000));
    assert!(e.task(unhealthy).desired_stopped());
    let web = e.service_named("web").unwrap();
    assert_eq!((web.pending_count(), web.healthy_count()), (0, 2), "nothing to replace it with");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Instant by instant: the ceiling is never passed by a start (only the adopted tasks may
    /// exceed it), the healthy count never drops below what it was (while the service wanted at
    /// least that many), unhealthy tasks stop at once only as the rule says; and in the end the service runs `desiredCount`
    /// healthy tasks, every unhealthy one stopped for failing its health checks.
    #[test]
    fn unhealthy_tasks_are_replaced_within_the_bounds(
        desired in 1u32..8,
        min in prop::sample::select(vec![0u32, 50, 75, 100]),
        max in prop::sample::select(vec![100u32, 125, 150, 200]),
        healthy_frac in 0u32..=8,
        unhealthy in 1u32..4,
    ) {
        let healthy = healthy_frac.min(desired);
        let mut e = adopted(desired, min, max, healthy, unhealthy);
        let adopted_unhealthy = unhealthy_ids(&e);
        let ceiling = e.service_named("web").unwrap().task_ceiling();
        let mut seen_healthy = healthy;
        let mut steps = 0;
        while e.next_event_time().is_some_and(|t| t <= 3_600_000) {
            prop_assert!(e.step());
            steps += 1;
            prop_assert!(steps < 100_000, "the run converges");
            let web = e.service_named("web").unwrap();
            prop_assert!(web.live_count() <= ceiling.max(healthy + unhealthy), "{} tasks, ceiling {ceiling}", web.live_count());
            prop_assert!(web.healthy_count() >= seen_healthy.min(desired), "healthy {} after {seen_healthy}", web.healthy_count());
            seen_healthy = seen_healthy.max(web.healthy_count());
        }
        let web = e.service_named("web").unwrap();
        prop_assert_eq!((web.running_count(), web.healthy_count(), web.live_count()), (desired, desired, desired));
        // The rule, from the counts at time 0: the unhealthy tasks the healthy ones already make
        // up for stop at once; the rest wait for replacements, which the ceiling may leave no room
        // for: then one stops first, unless a stop is already under way.
        let awaiting = unhealthy.min(desired.saturating_sub(healthy));
        let surplus = unhealthy - awaiting;
        let room = ceiling.saturating_sub(healthy + unhealthy);
        let need = desired.saturating_sub(healthy);
        let one_for_room = surplus == 0 && awaiting > 0 && need > room;
        let at_once = surplus + u32::from(one_for_room);
        let mut stopped_at_once = 0;
        for t in adopted_unhealthy {
            let t = e.task(t);
            prop_assert_eq!(t.last_status(), TaskStatus::Stopped);
            prop_assert_eq!(t.stopped_reason(), Some("Task failed container health checks"));
            if t.stopping_at_ms() == Some(0) {
                stopped_at_once += 1;
            } else if room >= need {
                // Room for every task the service misses, the replacements among them: each
                // waited for one to be healthy. (With less, a retry pass meanwhile may find the
                // ceiling full and stop one to make room, as the rule says.)
                prop_assert!(t.stopping_at_ms().unwrap() >= HEALTHY_AFTER_START_MS, "stopped at {:?}", t.stopping_at_ms());
            }
        }
        prop_assert_eq!(stopped_at_once, at_once);
    }

    /// An UpdateService of `desiredCount` while UNHEALTHY tasks wait for their replacements: the
    /// invariants hold after every event, the unhealthy tasks stop first when the healthy ones make
    /// up the new count, and in the end the service runs the new count, healthy, with every
    /// unhealthy task stopped.
    #[test]
    fn a_desired_count_changed_while_unhealthy_tasks_wait_settles_healthy(
        desired in 1u32..8,
        new_desired in 0u32..8,
        max in prop::sample::select(vec![100u32, 150, 200]),
        healthy_frac in 0u32..=8,
        unhealthy in 1u32..4,
        at_ms in prop::sample::select(vec![0u64, 5_000, 30_000]),
    ) {
        let healthy = healthy_frac.min(desired);
        let mut e = adopted(desired, 50, max, healthy, unhealthy);
        let adopted_unhealthy = unhealthy_ids(&e);
        prop_assert!(e.advance_to(at_ms, 1_000_000));
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "web".into(),
            desired_count: Some(i64::from(new_desired)),
            ..Default::default()
        }))
        .expect("a valid update");
        let _ = e.run_until_quiet(3_600_000, 1_000_000);
        let web = e.service_named("web").unwrap();
        prop_assert_eq!((web.running_count(), web.healthy_count(), web.live_count()), (new_desired, new_desired, new_desired));
        for t in adopted_unhealthy {
            let t = e.task(t);
            prop_assert_eq!(t.last_status(), TaskStatus::Stopped);
            // No replacement is healthy before 52 s: when the healthy tasks alone make up the new
            // count, the unhealthy ones stop at the update, before any healthy task would.
            if new_desired <= healthy {
                prop_assert!(t.stopping_at_ms().unwrap() <= at_ms, "stopped at {:?}", t.stopping_at_ms());
            }
        }
    }
}

/// Service `name` of task definition `name` in `prod`: desired 3, spread by instance (one task on
/// each of the three instances), with the grace period given.
fn one_per_instance(name: &str, grace_seconds: Option<i64>) -> CreateServiceRequest {
    CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: name.into(),
        task_definition: name.into(),
        desired_count: Some(3),
        health_check_grace_period_seconds: grace_seconds,
        placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
        ..Default::default()
    }
}

/// A container health check every 5 s.
fn check_every_5s(retries: Option<u32>, start_period: Option<u32>) -> HealthCheck {
    HealthCheck { command: vec!["CMD-SHELL".into(), "true".into()], interval: Some(5), timeout: None, retries, start_period }
}

/// Registers task definition `family` of one container of that name with `health_check` (if any),
/// a 5 s stop timeout and, with `port`, container port 80 mapped.
fn register_app(e: &mut Engine, family: &str, cpu: u32, memory: u32, port: bool, health_check: Option<HealthCheck>) {
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: family.into(),
        container_definitions: vec![ContainerDefinition {
            name: family.into(),
            cpu: Some(cpu),
            memory: Some(memory),
            stop_timeout: Some(5),
            port_mappings: if port {
                vec![PortMapping { container_port: Some(80), host_port: None, protocol: None }]
            } else {
                vec![]
            },
            health_check,
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("a valid task definition");
}

/// The engine of [`adopted`] with no task adopted, `app` given a container health check (5 s
/// interval), `web` a grace period, and the instances `i1` and `i2` failing health checks.
fn failing(grace_seconds: Option<i64>) -> Engine {
    let mut e = adopted(4, 100, 200, 0, 0);
    register_app(&mut e, "checked", 512, 1024, false, Some(check_every_5s(None, None)));
    e.fail_health_checks_on("ec2InstanceId in ['i-missing'] or attribute:ecs.availability-zone in [us-east-1b, us-east-1c]")
        .expect("a valid query");
    e.handle(Request::CreateService(one_per_instance("checked", grace_seconds))).expect("a valid service");
    e
}

#[test]
fn tasks_on_selected_instances_fail_their_checks_at_their_retries_and_are_replaced() {
    let mut e = failing(None);
    // Started at 0 s, RUNNING at 12 s, the first check 5 s later: a passing one counts at once,
    // a failing container is UNHEALTHY at its third failure in a row (`retries` 3), at 27 s.
    assert!(e.advance_to(16_999, 1_000_000));
    let checked = e.service_named("checked").unwrap();
    assert_eq!((checked.healthy_count(), checked.unhealthy_tasks()), (0, 0));
    assert!(e.advance_to(17_000, 1_000_000));
    let checked = e.service_named("checked").unwrap();
    assert_eq!((checked.healthy_count(), checked.unhealthy_tasks()), (1, 0), "the task on i0 passed");
    assert!(e.advance_to(26_999, 1_000_000));
    assert_eq!(e.service_named("checked").unwrap().unhealthy_tasks(), 0, "two failures in a row are not enough");
    assert!(e.advance_to(27_000, 1_000_000));
    let checked = e.service_named("checked").unwrap();
    assert_eq!(checked.unhealthy_tasks(), 2, "those on i1 and i2 failed");
    let failed: Vec<_> = checked
        .tasks()
        .filter(|t| t.last_status() == TaskStatus::Running && !t.healthy() && !t.desired_stopped())
        .map(|t| t.arn())
        .collect();
    assert_eq!(failed.len(), 2, "the failed tasks run until their replacements are healthy");
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: failed })) {
        Ok(Response::Tasks { tasks, .. }) => {
            assert!(tasks.iter().all(|t| t.health_status == "UNHEALTHY"), "{tasks:?}");
        }
        other => panic!("unexpected response {other:?}"),
    }
    // `web`'s tasks have no check: nothing judges them, and they count as healthy 40 s after RUNNING.
    assert!(e.advance_to(600_000, 1_000_000));
    assert_eq!(e.service_named("web").unwrap().unhealthy_tasks(), 0);
    let checked = e.service_named("checked").unwrap();
    assert!(checked.unhealthy_tasks() > 2, "the replacements failed in turn");
    assert!(e
        .tasks()
        .filter(|t| t.stopped_reason() == Some("Task failed container health checks"))
        .all(|t| t.instance().name() != "i0"));
}

#[test]
fn a_daemon_replaces_its_failing_task_stopping_it_first() {
    let mut e = failing(None);
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "agent".into(),
        task_definition: "checked".into(),
        scheduling_strategy: Some("DAEMON".into()),
        ..Default::default()
    }))
    .expect("a valid daemon service");
    // RUNNING at 12 s; passing at 17 s, UNHEALTHY at the third failed check, 27 s.
    assert!(e.advance_to(27_000, 1_000_000));
    let agent = e.service_named("agent").unwrap();
    assert_eq!((agent.healthy_count(), agent.unhealthy_tasks()), (1, 2), "i0's passed, i1's and i2's failed");
    // maximumPercent 100 leaves no room to start a replacement first: the failed tasks are
    // stopped one at a time ("the scheduler stops the unhealthy tasks one-by-one").
    assert_eq!(agent.running_count(), 2, "one failed task was told to stop, the other waits its turn");
    let _ = e.run_until_quiet(600_000, 1_000_000);
    let agent = e.service_named("agent").unwrap();
    assert!(agent.unhealthy_tasks() > 2, "their replacements failed in turn");
    assert!(agent.max_tasks_observed().is_none_or(|m| m <= 3));
    let on_i0: Vec<_> =
        e.tasks().filter(|t| t.service().is_some_and(|s| s.name() == "agent") && t.instance().name() == "i0").collect();
    assert_eq!(on_i0.len(), 1, "the daemon task on i0 was never replaced");
    for t in e.tasks().filter(|t| t.service().is_some_and(|s| s.name() == "agent") && t.stopped_at_ms().is_some()) {
        assert_eq!(t.stopped_reason(), Some("Task failed container health checks"));
        // At most one daemon task per instance at a time: the next started after this one stopped.
        let next = e
            .tasks()
            .filter(|n| n.service().is_some_and(|s| s.name() == "agent") && n.instance().id() == t.instance().id())
            .find(|n| n.created_at_ms() > t.created_at_ms());
        if let Some(next) = next {
            assert!(next.created_at_ms() >= t.stopped_at_ms().unwrap());
        }
    }
}

#[test]
fn the_grace_period_holds_a_failing_check_back() {
    let mut e = failing(Some(60));
    // RUNNING at 12 s: failing checks are ignored until 72 s.
    assert!(e.advance_to(71_999, 1_000_000));
    let checked = e.service_named("checked").unwrap();
    assert_eq!((checked.healthy_count(), checked.unhealthy_tasks()), (1, 0), "a passing check counts at once");
    assert!(e.advance_to(72_000, 1_000_000));
    assert_eq!(e.service_named("checked").unwrap().unhealthy_tasks(), 2);
}

#[test]
fn a_query_that_does_not_parse_is_refused_and_changes_nothing() {
    let mut e = failing(None);
    let before = e.state_digest();
    let refused = e.fail_health_checks_on("attribute:ecs.ami-id = ami-0new").expect_err("not a cluster query");
    assert!(refused.to_string().contains("is not a valid cluster query"), "{refused}");
    assert_eq!(e.state_digest(), before);
    // The query given before still holds.
    assert!(e.advance_to(27_000, 1_000_000));
    assert_eq!(e.service_named("checked").unwrap().unhealthy_tasks(), 2);
}

/// Cluster `prod` with `i0`, `i1`, `i2` in three zones and service `checked` (desired 3, one task
/// per instance, `app` with a container check every 5 s and `retries` as given), all healthy at
/// 17 s; nothing fails yet.
fn checked_and_healthy(retries: Option<u32>, grace_seconds: Option<i64>, target_group: Option<TargetGroupSettings>) -> Engine {
    let mut e = adopted(0, 100, 200, 0, 0);
    register_app(&mut e, "checked", 512, 1024, true, Some(check_every_5s(retries, None)));
    let load_balancers = match &target_group {
        Some(_) => vec![LoadBalancer {
            target_group_arn: Some(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/checked/0123456789abcdef".into(),
            ),
            load_balancer_name: None,
            container_name: Some("checked".into()),
            container_port: Some(80),
        }],
        None => vec![],
    };
    e.handle(Request::CreateService(CreateServiceRequest {
        load_balancers,
        target_group,
        // Off, so that any bounds are valid (rebalancing needs a maximum above 100 %).
        availability_zone_rebalancing: Some("DISABLED".into()),
        ..one_per_instance("checked", grace_seconds)
    }))
    .expect("a valid service");
    let _ = e.run_until_quiet(100_000, 1_000_000);
    assert_eq!(e.service_named("checked").unwrap().healthy_count(), 3, "all healthy before anything fails");
    e
}

const ZONE_B: &str = "attribute:ecs.availability-zone == us-east-1b";

/// (healthy, unhealthy found) of `checked` at `at_ms`.
fn checked_at(e: &mut Engine, at_ms: u64) -> (u32, u32) {
    assert!(e.advance_to(at_ms, 1_000_000));
    let s = e.service_named("checked").unwrap();
    (s.healthy_count(), s.unhealthy_tasks())
}

#[test]
fn a_healthy_task_turns_unhealthy_after_its_containers_retries_and_its_service_breaches_for_it() {
    let mut e = checked_and_healthy(None, None, None);
    // Pinned, as a scenario's `HealthChecksFail` is: from 200 s, 3 retries of a 5 s check.
    let zone_b = drainsim_core::query::Query::parse(ZONE_B).unwrap();
    e.pin_fault(200_000, drainsim_core::PinnedFault::HealthChecksFail(zone_b)).expect("pinned");
    assert_eq!(checked_at(&mut e, 214_999), (3, 0));
    assert_eq!(checked_at(&mut e, 215_000), (2, 1), "found UNHEALTHY after interval × retries");
    let failed: Vec<_> = e.tasks().filter(|t| t.instance().name() == "i1" && !t.healthy()).map(|t| t.arn()).collect();
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: failed })) {
        Ok(Response::Tasks { tasks, .. }) => assert_eq!(tasks[0].health_status, "UNHEALTHY"),
        other => panic!("unexpected response {other:?}"),
    }
    // Below its floor of 3 from then, for the health check that failed.
    assert!(e.advance_to(215_001, 1_000_000));
    let breaches = e.service_named("checked").unwrap().floor_breaches();
    assert_eq!(breaches.len(), 1);
    assert_eq!((breaches[0].started_at_ms, breaches[0].reason), (215_000, drainsim_core::BreachCause::HealthCheckFailed));
}

#[test]
fn a_target_judges_a_healthy_task_at_its_unhealthy_threshold_unless_a_container_check_says_so_first() {
    let target_group =
        TargetGroupSettings { health_check_interval_seconds: Some(10), unhealthy_threshold_count: Some(4), ..Default::default() };
    // The container's check (5 s × 10 retries: 50 s) comes after the target's (10 s × 4: 40 s).
    let mut e = checked_and_healthy(Some(10), None, Some(target_group.clone()));
    e.fail_health_checks_on(ZONE_B).unwrap();
    let now = e.now_ms();
    assert_eq!(checked_at(&mut e, now + 39_999), (3, 0));
    assert_eq!(checked_at(&mut e, now + 40_000), (2, 1), "the target's unhealthy threshold");
    // With 2 retries the container's check (10 s) comes first.
    let mut e = checked_and_healthy(Some(2), None, Some(target_group));
    e.fail_health_checks_on(ZONE_B).unwrap();
    let now = e.now_ms();
    assert_eq!(checked_at(&mut e, now + 9_999), (3, 0));
    assert_eq!(checked_at(&mut e, now + 10_000), (2, 1), "the container's retries");
}

#[test]
fn checks_that_pass_again_in_time_change_nothing_and_a_new_failure_counts_from_its_start() {
    let mut e = checked_and_healthy(None, None, None);
    e.fail_health_checks_on(ZONE_B).unwrap();
    let start = e.now_ms();
    assert!(e.advance_to(start + 10_000, 1_000_000));
    e.pass_health_checks();
    assert_eq!(checked_at(&mut e, start + 12_000), (3, 0));
    e.fail_health_checks_on(ZONE_B).unwrap();
    // The first failure's 15 s are not counted: the second's are.
    assert_eq!(checked_at(&mut e, start + 26_999), (3, 0));
    assert_eq!(checked_at(&mut e, start + 27_000), (2, 1));
    // An UNHEALTHY task stays so once checks pass: its service replaces it.
    e.pass_health_checks();
    let _ = e.run_until_quiet(e.now_ms() + 600_000, 1_000_000);
    let checked = e.service_named("checked").unwrap();
    assert_eq!((checked.healthy_count(), checked.live_count(), checked.unhealthy_tasks()), (3, 3, 1));
    assert!(e.tasks().any(|t| t.stopped_reason() == Some("Task failed container health checks")));
}

#[test]
fn the_grace_period_holds_back_a_check_that_starts_failing_after_running() {
    // RUNNING at 12 s; failing checks are ignored until 212 s.
    let mut e = checked_and_healthy(None, Some(200), None);
    e.fail_health_checks_on(ZONE_B).unwrap();
    assert_eq!(checked_at(&mut e, 211_999), (3, 0), "past the threshold, within the grace period");
    assert_eq!(checked_at(&mut e, 212_000), (2, 1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Checks that fail and pass again at random moments, on one zone or two, of a service with
    /// random bounds, some of it drained meanwhile: the invariants hold after every event (the
    /// engine checks them), the ceiling is never passed, and once checks pass for good the
    /// service settles at `desiredCount` healthy tasks.
    #[test]
    fn checks_failing_at_random_moments_keep_the_bounds_and_settle_once_they_pass(
        min in prop::sample::select(vec![0u32, 50, 100]),
        max in prop::sample::select(vec![100u32, 150, 200]),
        zones in prop::sample::select(vec![ZONE_B, "attribute:ecs.availability-zone != us-east-1a"]),
        fail_at in 0u64..120_000,
        pass_after in 1u64..300_000,
        drain in any::<bool>(),
        lb in any::<bool>(),
    ) {
        prop_assume!(!(min == 100 && max == 100));
        let target_group = lb.then(|| TargetGroupSettings { health_check_interval_seconds: Some(5), ..Default::default() });
        let mut e = checked_and_healthy(None, None, target_group);
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "checked".into(),
            deployment_configuration: Some(DeploymentConfiguration {
                minimum_healthy_percent: Some(i64::from(min)),
                maximum_percent: Some(i64::from(max)),
            }),
            ..Default::default()
        })).expect("valid bounds");
        let start = e.now_ms();
        let query = drainsim_core::query::Query::parse(zones).unwrap();
        e.pin_fault(start + fail_at, drainsim_core::PinnedFault::HealthChecksFail(query)).expect("pinned");
        e.pin_fault(start + fail_at + pass_after, drainsim_core::PinnedFault::HealthChecksPass).expect("pinned");
        if drain {
            let arn = e.instance_named("i0").unwrap().arn();
            e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: Some("prod".into()),
                container_instances: vec![arn],
                status: "DRAINING".into(),
            })).expect("a valid drain");
        }
        let ceiling = e.service_named("checked").unwrap().task_ceiling();
        let mut steps = 0;
        while e.next_event_time().is_some_and(|t| t <= start + 3_600_000) {
            prop_assert!(e.step());
            steps += 1;
            prop_assert!(steps < 200_000, "the run converges");
            let s = e.service_named("checked").unwrap();
            prop_assert!(s.live_count() <= ceiling, "{} tasks, ceiling {ceiling}", s.live_count());
        }
        let s = e.service_named("checked").unwrap();
        prop_assert_eq!((s.healthy_count(), s.live_count()), (3, 3));
        prop_assert!(e.tasks().filter(|t| !t.healthy() && t.stopped_at_ms().is_none()).count() == 0);
    }
}

#[test]
fn failures_within_the_start_period_are_not_counted() {
    let mut e = failing(None);
    // `startPeriod` 12 s of a 5 s check: the checks at 5 and 10 s after RUNNING do not count, so the
    // third counted failure is the check at 25 s.
    register_app(&mut e, "slow", 128, 256, false, Some(check_every_5s(None, Some(12))));
    e.handle(Request::CreateService(one_per_instance("slow", None))).expect("a valid service");
    let found = |e: &mut Engine, at_ms: u64| {
        assert!(e.advance_to(at_ms, 1_000_000));
        e.service_named("slow").unwrap().unhealthy_tasks()
    };
    assert_eq!(found(&mut e, 12_000 + 24_999), 0);
    assert_eq!(found(&mut e, 12_000 + 25_000), 2, "the tasks on i1 and i2");
}

#[test]
fn a_task_not_yet_judged_counts_at_its_next_check_once_checks_pass_again() {
    let mut e = failing(None);
    // RUNNING at 12 s; those on i1 and i2 would be UNHEALTHY at 27 s. The checks pass from 20 s:
    // they count healthy one interval later, and their threshold at 27 s finds them healthy.
    assert!(e.advance_to(20_000, 1_000_000));
    e.pass_health_checks();
    let at = |e: &mut Engine, ms: u64| {
        assert!(e.advance_to(ms, 1_000_000));
        let s = e.service_named("checked").unwrap();
        (s.healthy_count(), s.unhealthy_tasks())
    };
    assert_eq!(at(&mut e, 24_999), (1, 0));
    assert_eq!(at(&mut e, 25_000), (3, 0));
    assert_eq!(at(&mut e, 600_000), (3, 0));
    assert_eq!(e.tasks().count(), 3 + 4, "nothing replaced: `checked`'s 3 and `web`'s 4");
}

#[test]
fn a_standalone_task_failing_its_checks_is_unhealthy_and_stays_so() {
    let mut e = failing(None);
    let arn = e.instance_named("i1").unwrap().arn();
    let task = match e.handle(Request::StartTask(StartTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "checked".into(),
        container_instances: vec![arn],
        ..Default::default()
    })) {
        Ok(Response::Tasks { tasks, .. }) => tasks[0].task_arn.clone(),
        other => panic!("unexpected response {other:?}"),
    };
    let health = |e: &mut Engine, at_ms: u64| {
        assert!(e.advance_to(at_ms, 1_000_000));
        match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![task.clone()] })) {
            Ok(Response::Tasks { tasks, .. }) => (tasks[0].health_status.clone(), tasks[0].last_status.clone()),
            other => panic!("unexpected response {other:?}"),
        }
    };
    // RUNNING at 12 s; its third failed check, at 27 s, makes it UNHEALTHY.
    assert_eq!(health(&mut e, 26_999), ("UNKNOWN".to_string(), "RUNNING".to_string()));
    assert_eq!(health(&mut e, 27_000), ("UNHEALTHY".to_string(), "RUNNING".to_string()));
    // Nothing replaces it, and checks that pass again do not judge it twice.
    e.pass_health_checks();
    assert_eq!(health(&mut e, 600_000), ("UNHEALTHY".to_string(), "RUNNING".to_string()));
}

#[test]
fn the_instances_whose_checks_begin_or_stop_failing_say_so_in_the_trace() {
    let mut e = Engine::new(drainsim_core::EngineConfig { seed: 1, keep_trace_records: true, ..Default::default() });
    e.create_cluster("prod").expect("a valid name");
    for (n, zone) in ["us-east-1a", "us-east-1b", "us-east-1b"].iter().enumerate() {
        common::register_instance(&mut e, &format!("i{n}"), zone, 4_096, 8_192);
    }
    let changes = |e: &Engine| -> Vec<(String, bool)> {
        e.trace()
            .records()
            .iter()
            .filter_map(|r| match (r.subject, r.change) {
                (drainsim_core::Subject::Instance(i), drainsim_core::Change::HealthChecksFailing(on)) => {
                    Some((e.instance(i).name().to_string(), on))
                }
                _ => None,
            })
            .collect()
    };
    e.fail_health_checks_on(ZONE_B).unwrap();
    assert_eq!(changes(&e), [("i1".to_string(), true), ("i2".to_string(), true)]);
    // The same instances again: nothing changes for them. Then only i0, then none.
    e.fail_health_checks_on("attribute:ecs.availability-zone in [us-east-1b]").unwrap();
    assert_eq!(changes(&e).len(), 2);
    e.fail_health_checks_on("attribute:ecs.availability-zone == us-east-1a").unwrap();
    e.pass_health_checks();
    let expected: Vec<(String, bool)> = [("i1", true), ("i2", true), ("i0", true), ("i1", false), ("i2", false), ("i0", false)]
        .iter()
        .map(|(n, on)| (n.to_string(), *on))
        .collect();
    assert_eq!(changes(&e), expected);
}

#[test]
fn an_adopted_standalone_task_reported_unhealthy_stays_so() {
    let mut e = adopted(0, 100, 200, 0, 0);
    register_app(&mut e, "checked", 512, 1024, false, Some(check_every_5s(None, None)));
    let id = e
        .adopt_running_task(AdoptTaskRequest {
            cluster: Some("prod".into()),
            container_instance: e.instance_named("i0").unwrap().arn(),
            task_definition: "checked".into(),
            service: None,
            group: None,
            started_by: None,
            overrides: None,
            healthy: false,
        })
        .expect("room for it");
    let arn = e.task(id).arn();
    let _ = e.run_until_quiet(600_000, 1_000_000);
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![arn] })) {
        Ok(Response::Tasks { tasks, .. }) => {
            assert_eq!((tasks[0].health_status.as_str(), tasks[0].last_status.as_str()), ("UNHEALTHY", "RUNNING"))
        }
        other => panic!("unexpected response {other:?}"),
    }
}
