//! Properties of the draining scheduler over random clusters, services and drains:
//! - the ceiling floor(desired × max / 100) is never crossed;
//! - the floor ceil(desired × min / 100) is only crossed with a cause recorded in floorBreaches
//!   (here: only a deficit that existed before the drain, as nothing else can cause one);
//! - no task is placed on an instance that is not ACTIVE (the engine asserts it at every placement);
//! - every drain whose services fit in the remaining capacity, and whose min/max leave a legal move,
//!   completes within a bound computed from the timings;
//! - splitting instants at a record limit (`step_part`, for streaming the trace) changes no record.

use drainsim_core::api::*;
use drainsim_core::{check_invariants, BreachCause, Engine, EngineConfig, StepPart};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).map_or(300, |c: u32| (c / 4).max(1))
}

#[derive(Debug, Clone)]
struct ServiceSpec {
    desired: u32,
    min: u32,
    max: u32,
    strategy: u8,
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    instances: usize,
    slots_per_instance: u32,
    services: Vec<ServiceSpec>,
    drained: Vec<bool>,
    lb: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        3usize..9,
        1u32..5,
        prop::collection::vec(
            (
                1u32..7,
                prop_oneof![Just(0u32), Just(50), Just(75), Just(100)],
                prop_oneof![Just(100u32), Just(125), Just(150), Just(200)],
                0u8..8,
            )
                .prop_map(|(desired, min, max, strategy)| ServiceSpec { desired, min, max, strategy }),
            1..4,
        ),
        prop::collection::vec(any::<bool>(), 9),
        any::<bool>(),
    )
        .prop_map(|(seed, instances, slots_per_instance, services, drained, lb)| Case {
            seed,
            instances,
            slots_per_instance,
            services,
            drained,
            lb,
        })
}

const TASK_CPU: i64 = 256;
const TASK_MEMORY: i64 = 512;
const STOP_TIMEOUT_S: u32 = 5;

fn build(c: &Case) -> Engine {
    build_keeping(c, false)
}

fn config(c: &Case, keep_trace_records: bool) -> EngineConfig {
    EngineConfig { seed: c.seed, keep_trace_records, check_invariants_every_event: true, ..Default::default() }
}

fn build_keeping(c: &Case, keep_trace_records: bool) -> Engine {
    populate(Engine::new(config(c, keep_trace_records)), c)
}

/// The case's cluster, instances, task definition and services, created in `e` (a new engine).
fn populate(mut e: Engine, c: &Case) -> Engine {
    e.create_cluster("prod").unwrap();
    for i in 0..c.instances {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![
                Resource::integer("CPU", TASK_CPU * c.slots_per_instance as i64),
                Resource::integer("MEMORY", TASK_MEMORY * c.slots_per_instance as i64),
            ],
            instance_identity: InstanceIdentity {
                name: format!("i{i}"),
                instance_type: "m5.large".into(),
                availability_zone: ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3].into(),
                ..Default::default()
            },
            // Two racks, for spread by a custom attribute.
            attributes: vec![Attribute {
                name: "rack".into(),
                value: Some(format!("r{}", i % 2)),
                target_type: None,
                target_id: None,
            }],
            ..Default::default()
        }))
        .unwrap();
    }
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(TASK_CPU as u32),
            memory: Some(TASK_MEMORY as u32),
            stop_timeout: Some(STOP_TIMEOUT_S),
            // A dynamic host port: the load balancer's containerPort, which reserves no port.
            port_mappings: vec![PortMapping { container_port: Some(80), host_port: None, protocol: None }],
            ..Default::default()
        }],
        ..Default::default()
    }))
    .unwrap();
    for (n, s) in c.services.iter().enumerate() {
        let strategy = match s.strategy {
            0 => vec![],
            1 => vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }],
            2 => vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
            3 => vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("cpu".into()) }],
            4 => vec![
                PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) },
                PlacementStrategy { strategy_type: "binpack".into(), field: Some("cpu".into()) },
            ],
            6 => vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:rack".into()) }],
            7 => vec![
                PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:rack".into()) },
                PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) },
            ],
            _ => vec![PlacementStrategy { strategy_type: "random".into(), field: None }],
        };
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: format!("svc{n}"),
            task_definition: "app".into(),
            desired_count: Some(s.desired as i64),
            deployment_configuration: Some(DeploymentConfiguration {
                minimum_healthy_percent: Some(s.min as i64),
                maximum_percent: Some(s.max as i64),
            }),
            placement_strategy: strategy,
            load_balancers: if c.lb && n == 0 {
                vec![LoadBalancer {
                    target_group_arn: Some("tg".into()),
                    load_balancer_name: None,
                    container_name: Some("app".into()),
                    container_port: Some(80),
                }]
            } else {
                vec![]
            },
            target_group: (c.lb && n == 0).then_some(TargetGroupSettings {
                health_check_interval_seconds: Some(10),
                healthy_threshold_count: Some(2),
                deregistration_delay_seconds: Some(20),
                ..Default::default()
            }),
            ..Default::default()
        }))
        .unwrap();
    }
    e
}

/// Drains the chosen instances (always at least the first, never the last); returns their ARNs.
fn drain(e: &mut Engine, c: &Case) -> Vec<String> {
    let targets: Vec<String> = (0..c.instances)
        .filter(|i| (c.drained[*i] || *i == 0) && *i + 1 < c.instances)
        .map(|i| e.instance_named(&format!("i{i}")).unwrap().arn())
        .collect();
    for chunk in targets.chunks(10) {
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: chunk.to_vec(),
            status: "DRAINING".into(),
        }))
        .unwrap();
    }
    targets
}

/// Sets a service's `desiredCount` (UpdateService).
fn set_desired_count(e: &mut Engine, service: &str, desired_count: i64) {
    e.handle(Request::UpdateService(UpdateServiceRequest {
        cluster: Some("prod".into()),
        service: service.into(),
        desired_count: Some(desired_count),
        ..Default::default()
    }))
    .unwrap();
}

/// The trace of a drain run instant by instant (`split: None`) or with every instant split by
/// `step_part` whenever `split` records are kept.
fn drain_trace(c: &Case, split: Option<usize>) -> (Vec<drainsim_core::TraceRecord>, u64) {
    drain_trace_on(build_keeping(c, true), c, split)
}

/// [`drain_trace`] on an engine the case is built in.
fn drain_trace_on(mut e: Engine, c: &Case, split: Option<usize>) -> (Vec<drainsim_core::TraceRecord>, u64) {
    let drain_at = 120_000;
    assert!(e.advance_to(drain_at, 1_000_000));
    drain(&mut e, c);
    let mut records = e.take_trace_records();
    let end = drain_at + 6 * 3_600_000;
    loop {
        let instant_done = match split {
            None => e.step(),
            Some(k) => match e.step_part(k) {
                StepPart::Idle => false,
                StepPart::Bounded => panic!("the engine has no event bound here"),
                StepPart::Partial => {
                    assert!(e.trace().records().len() >= k, "a partial step stops at the record limit");
                    records.extend(e.take_trace_records());
                    continue;
                }
                StepPart::InstantDone => true,
            },
        };
        records.extend(e.take_trace_records());
        if !instant_done || e.is_quiet() || e.now_ms() > end {
            break;
        }
    }
    (records, e.trace().digest().expect("the engine digests its trace by default"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Splitting instants to stream the trace (`step_part`) changes nothing: the same records in
    /// the same order, the same digest.
    #[test]
    fn instants_split_by_record_limit_give_the_same_trace(c in case(), limit in 0usize..40) {
        let whole = drain_trace(&c, None);
        prop_assert!(!whole.0.is_empty());
        prop_assert_eq!(drain_trace(&c, Some(limit)), whole);
    }

    /// An engine reset ([`Engine::reset`]) after another case's drain is in the state of a new
    /// one, and runs the case record for record as a new engine does.
    #[test]
    fn a_reset_engine_runs_as_a_new_one(before in case(), c in case()) {
        let mut used = build_keeping(&before, true);
        drain(&mut used, &before);
        used.run_until_quiet(6 * 3_600_000, 1_000_000);
        prop_assert!(used.events_processed() > 0);
        used.reset(config(&c, true));
        prop_assert_eq!(format!("{used:?}"), format!("{:?}", Engine::new(config(&c, true))));
        prop_assert_eq!(drain_trace_on(populate(used, &c), &c, None), drain_trace(&c, None));
    }

    /// Drains onto instances whose tasks fail their health checks (the load-balanced service's
    /// tasks on the instances of rack r1 fail their target health checks, and are replaced again
    /// and again): the ceiling is still never crossed, the floor only with a deficit that existed
    /// before the drain, the invariants hold after every event, and only tasks that have a check
    /// fail one.
    #[test]
    fn drains_onto_failing_instances_keep_their_bounds(c in case()) {
        let mut e = build(&c);
        e.fail_health_checks_on("attribute:rack == r1").expect("a valid query");
        let drain_at = 120_000;
        prop_assert!(e.advance_to(drain_at, 1_000_000));
        let full_health_at_drain: Vec<bool> = e.services().map(|s| s.healthy_count() == s.desired_count()).collect();
        drain(&mut e, &c);
        let _ = e.run_until_quiet(drain_at + 3_600_000, 2_000_000);
        prop_assert!(check_invariants(&e).is_ok(), "{:?}", check_invariants(&e));
        for (n, s) in e.services().enumerate() {
            prop_assert!(s.max_tasks_observed().unwrap_or(0) <= s.task_ceiling(), "svc{n}: {} tasks > ceiling {}", s.max_tasks_observed().unwrap_or(0), s.task_ceiling());
            if full_health_at_drain[n] {
                prop_assert!(s.floor_breaches().is_empty(), "svc{n}: breaches {:?} with no cause", s.floor_breaches());
            } else {
                prop_assert!(s.floor_breaches().iter().all(|b| b.reason == BreachCause::PreExistingDeficit), "{:?}", s.floor_breaches());
            }
            if !(c.lb && n == 0) {
                prop_assert_eq!(s.unhealthy_tasks(), 0, "svc{} has no health check to fail", n);
            }
        }
    }

    #[test]
    fn drains_respect_bounds_and_complete_when_they_can(c in case()) {
        let mut e = build(&c);
        let drain_at = 120_000;
        prop_assert!(e.advance_to(drain_at, 1_000_000));
        let full_health_at_drain: Vec<bool> = e.services().map(|s| s.healthy_count() == s.desired_count()).collect();
        let targets = drain(&mut e, &c);
        let _ = e.run_until_quiet(drain_at + 6 * 3_600_000, 5_000_000);
        prop_assert!(check_invariants(&e).is_ok(), "{:?}", check_invariants(&e));

        let remaining_slots = (c.instances - targets.len()) as u32 * c.slots_per_instance;
        let total_tasks: u32 = c.services.iter().map(|s| s.desired).sum();
        let max_extra: u32 = c.services.iter().map(|s| (s.desired * s.max / 100).saturating_sub(s.desired)).sum();
        let _ = max_extra;
        for (n, s) in e.services().enumerate() {
            prop_assert!(s.max_tasks_observed().unwrap_or(0) <= s.task_ceiling(), "svc{n}: {} tasks > ceiling {}", s.max_tasks_observed().unwrap_or(0), s.task_ceiling());
            if full_health_at_drain[n] {
                prop_assert!(s.floor_breaches().is_empty(), "svc{n}: breaches {:?} with no cause", s.floor_breaches());
                prop_assert!(s.min_healthy_observed().unwrap_or(u32::MAX) >= s.healthy_floor());
            } else {
                prop_assert!(s.floor_breaches().iter().all(|b| b.reason == BreachCause::PreExistingDeficit), "{:?}", s.floor_breaches());
            }
        }
        // Liveness: enough room for every task after the drain, and every service has a legal move.
        let live = c.services.iter().all(|s| {
            let floor = (s.desired * s.min).div_ceil(100);
            let ceiling = s.desired * s.max / 100;
            floor < s.desired || ceiling > s.desired
        });
        let all_placed_before = e.services().zip(full_health_at_drain.iter()).all(|(_, ok)| *ok);
        if live && all_placed_before && remaining_slots >= total_tasks {
            // One task start (1 s + 10 s + 1 s), health (LB: 20 s), deregistration (20 s) and stop
            // (5 s) per task in the worst case, plus one retry interval per task.
            let per_task_ms = 12_000 + 20_000 + 20_000 + STOP_TIMEOUT_S as u64 * 1000 + 30_000;
            let bound = drain_at + per_task_ms * total_tasks as u64 + 60_000;
            for name in targets {
                let instance = e.instance_by_arn(&name).unwrap();
                let done = instance.drain().completed_at_ms();
                prop_assert!(done.is_some_and(|d| d <= bound), "{} drain completed at {:?}, bound {bound}", instance.name(), done);
            }
        }
    }
}

/// A request after a partial step comes after the whole instant, as it would after `step`.
#[test]
fn a_request_after_a_partial_step_finishes_the_instant_first() {
    let c = Case {
        seed: 5,
        instances: 4,
        slots_per_instance: 4,
        services: vec![ServiceSpec { desired: 6, min: 50, max: 200, strategy: 2 }],
        drained: vec![true, true, false, false, false, false, false, false, false],
        lb: false,
    };
    let run = |split: bool| {
        let mut e = build_keeping(&c, true);
        assert!(e.advance_to(120_000, 1_000_000));
        drain(&mut e, &c);
        if split {
            assert_eq!(e.step_part(1), StepPart::Partial, "the drain's instant has more than one record");
        } else {
            assert!(e.step());
        }
        // Scale the service in the middle of it all.
        set_desired_count(&mut e, "svc0", 3);
        let _ = e.run_until_quiet(120_000 + 3_600_000, 1_000_000);
        check_invariants(&e).unwrap();
        (e.take_trace_records(), e.trace().digest())
    };
    assert_eq!(run(true), run(false));
}

/// A service big enough to keep its drain candidates (256 listed tasks or more) rolls out in
/// waves, then shrinks below 64 tasks (it stops keeping them) and drains again. Every event is
/// checked against the invariants, which recount the kept candidates from the service's tasks
/// (`drain-candidates`), so a pass always reads the candidates the list walk would give it.
#[test]
fn a_big_service_rolls_out_in_waves_reading_its_kept_drain_candidates() {
    let c = Case {
        seed: 11,
        instances: 60,
        slots_per_instance: 40,
        services: vec![
            ServiceSpec { desired: 1_100, min: 50, max: 200, strategy: 1 },
            ServiceSpec { desired: 30, min: 100, max: 200, strategy: 4 },
        ],
        drained: vec![false; 9],
        lb: false,
    };
    let mut e = build(&c);
    assert_eq!(e.run_until_quiet(3_600_000, 10_000_000), drainsim_core::StopReason::Quiet);
    assert_eq!(e.service_named("svc0").unwrap().running_count(), 1_100);
    let arn = |e: &Engine, i: usize| e.instance_named(&format!("i{i}")).unwrap().arn();
    let drain_wave = |e: &mut Engine, wave: &[usize]| {
        let container_instances = wave.iter().map(|i| arn(e, *i)).collect();
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances,
            status: "DRAINING".into(),
        }))
        .unwrap();
        let end = e.now_ms() + 3_600_000;
        assert_eq!(e.run_until_quiet(end, 10_000_000), drainsim_core::StopReason::Quiet);
        for i in wave {
            assert_eq!(e.instance_named(&format!("i{i}")).unwrap().running_tasks_count(), 0, "i{i} drained");
        }
    };
    for wave in [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]] {
        drain_wave(&mut e, &wave);
    }
    assert_eq!(e.service_named("svc0").unwrap().running_count(), 1_100);
    set_desired_count(&mut e, "svc0", 50);
    let end = e.now_ms() + 3_600_000;
    assert_eq!(e.run_until_quiet(end, 10_000_000), drainsim_core::StopReason::Quiet);
    drain_wave(&mut e, &[12, 13, 14, 15, 16, 17, 18, 19, 20, 21]);
    for (name, desired) in [("svc0", 50), ("svc1", 30)] {
        assert_eq!(e.service_named(name).unwrap().running_count(), desired, "{name} back at its desired count");
    }
    check_invariants(&e).unwrap();
}

/// A big service (it keeps its drain candidates in stop order) with little room above its floor
/// (minimum 100, maximum 110) and stage durations that vary (`jitterPercent`), so that its
/// replacements turn healthy one instant at a time and each pass may stop only a few candidates:
/// a pass reads the unhealthy candidates and the first healthy ones the floor lets stop, and
/// debug builds compare what it stops with the rule applied to the whole list (the first 4,096
/// tasks' worth). Every event is checked against the invariants, which recount the kept
/// candidates with their keys from the service's tasks.
#[test]
fn a_big_service_with_little_room_drains_reading_only_the_candidates_it_stops() {
    let c = Case {
        seed: 5,
        instances: 60,
        slots_per_instance: 40,
        services: vec![
            ServiceSpec { desired: 1_100, min: 100, max: 110, strategy: 4 },
            ServiceSpec { desired: 40, min: 50, max: 200, strategy: 2 },
        ],
        drained: vec![false; 9],
        lb: true,
    };
    let timings = drainsim_core::Timings { jitter_percent: 30, ..Default::default() };
    let mut e = populate(Engine::new(EngineConfig { timings, ..config(&c, false) }), &c);
    assert_eq!(e.run_until_quiet(3_600_000, 10_000_000), drainsim_core::StopReason::Quiet);
    let drained: Vec<String> = (0..20).map(|i| e.instance_named(&format!("i{i}")).unwrap().arn()).collect();
    for wave in drained.chunks(10) {
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: wave.to_vec(),
            status: "DRAINING".into(),
        }))
        .unwrap();
    }
    let end = e.now_ms() + 6 * 3_600_000;
    assert_eq!(e.run_until_quiet(end, 10_000_000), drainsim_core::StopReason::Quiet);
    for i in 0..20 {
        assert_eq!(e.instance_named(&format!("i{i}")).unwrap().running_tasks_count(), 0, "i{i} drained");
    }
    let big = e.service_named("svc0").unwrap();
    assert_eq!(big.running_count(), 1_100);
    assert!(big.floor_breaches().is_empty(), "the floor of 100 % holds: every stop waited for a healthy replacement");
    check_invariants(&e).unwrap();
}
