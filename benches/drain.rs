//! Large-cluster benchmarks, held to the limit of a bare event kernel (see docs/performance.md).
//!
//! - `kernel/heap_1m`: the in-run baseline, a bare (time, seq) `BinaryHeap` processing 1,000,000
//!   events with 10,000 pending.
//! - `drain/i{N}_t{T}`: N instances, T tasks (services of 100, half binpack by memory, half spread by
//!   Availability Zone) RUNNING on the first half; that half is drained at once with min 50 / max 200
//!   and the engine runs until quiet (full task lifecycle, trace digest on, records not kept).
//!   `_svc10k`, `_svc50k`: services of 10,000 and 50,000; `_max110`: at maximumPercent 110;
//!   `_min100_max110_jitter30`: at minimumHealthyPercent 100 and maximumPercent 110, with task
//!   stage durations varying by up to 30 % (`jitterPercent`).
//! - `dense_instance/drain_{N}k_tasks`: one instance running N tiny tasks drained onto another (the
//!   cost of a stop must not grow with the instance's task list).
//! - `full_pool/drain_i4k_20svc_t80k`: 20 services spread by instance, each holding tasks on every
//!   instance, drained from half the instances onto the other half (a search for an empty
//!   instance finds none; noting so must spare the next searches the walk).
//! - `constraint_class/spread_member_of_t5k_i10k`: a service spread by instance and constrained by
//!   `memberOf` to the 5,000 small instances of 10,000 (placements must not visit the big ones);
//!   `spread_member_of_host_port_t5k_i10k`: the same with a host port.
//! - `autoscaling/instance_refresh_i5k`: an instance refresh of an Auto Scaling group of 5,000
//!   instances (its batches of about 500 must not cost the group's size per instance).
//! - `rebalance/zone_t6k_i4k`: a service of 6,000 tasks rebalanced over three zones after one
//!   zone's instances are replaced, one move at a time.
//! - `scale_in/svc50k_*`: a spread service of 50,000 tasks scaled in by 200, at once and one at a
//!   time (the cost of a stop must not grow with the service).
//! - `placement/*`: placing N tasks into M instances per strategy (`spread_rack_400_values_*`: by
//!   a custom attribute with a value per five instances; `member_of_400_pools_*`: 400 services,
//!   each pinned to the five instances of one such value by a `memberOf` expression); `spread_instance_mixed_fleet_*`:
//!   10,000 more tasks of a service spread by instance that holds one on each of 10,000 big
//!   instances, onto 10,000 empty small ones.
//! - `scenario/parse_large`: parsing a 20,000-instance, 1,000-service scenario file;
//!   `scenario/imported_i20k_named_waves`: running the same drain written as an import writes it
//!   (one group per instance) and drained in waves of 1,000 named instances.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use drainsim_core::api::*;
use drainsim_core::{Engine, EngineConfig};

fn kernel(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel");
    g.throughput(Throughput::Elements(1_000_000));
    g.sample_size(20);
    g.bench_function("heap_1m", |b| {
        b.iter(|| {
            let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(10_000);
            let mut seq = 0u64;
            let mut x = 0x9E37_79B9_7F4A_7C15u64;
            for i in 0..10_000u32 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                heap.push(Reverse((x >> 44, seq, i)));
                seq += 1;
            }
            let mut processed = 0u64;
            while processed < 1_000_000 {
                let Reverse((t, _, id)) = heap.pop().expect("pending");
                processed += 1;
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                heap.push(Reverse((t + (x >> 50), seq, id)));
                seq += 1;
            }
            black_box(heap.len())
        })
    });
    g.finish();
}

fn register(e: &mut Engine, name: String, az: usize) {
    register_with(e, name, az, Vec::new());
}

/// Registers an instance as [`register`] does, with the custom attribute `rack`.
fn register_in_rack(e: &mut Engine, name: String, az: usize, rack: String) {
    register_with(e, name, az, vec![Attribute { name: "rack".into(), value: Some(rack), target_type: None, target_id: None }]);
}

fn register_with(e: &mut Engine, name: String, az: usize, attributes: Vec<Attribute>) {
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("bench".into()),
        total_resources: vec![Resource::integer("CPU", 4096), Resource::integer("MEMORY", 16384)],
        attributes,
        instance_identity: InstanceIdentity {
            name,
            instance_type: "m5.xlarge".into(),
            availability_zone: ["us-east-1a", "us-east-1b", "us-east-1c"][az % 3].into(),
            ..Default::default()
        },
        ..Default::default()
    }))
    .expect("valid registration");
}

fn task_definition(e: &mut Engine) {
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(128),
            memory: Some(256),
            stop_timeout: Some(30),
            exit_after_sigterm_ms: Some(2_000),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("valid task definition");
}

fn strategy(n: usize) -> Vec<PlacementStrategy> {
    if n % 2 == 0 {
        vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }]
    } else {
        vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) }]
    }
}

/// The drain-shaped cluster: tasks RUNNING on the first half, the second half registered and empty;
/// services of `service_size` tasks.
fn drain_cluster(
    instances: usize,
    tasks: usize,
    service_size: usize,
    daemon: bool,
    deployment: Deployment,
) -> (Engine, Vec<String>) {
    let mut e = Engine::new(EngineConfig {
        seed: 1,
        keep_trace_records: false,
        check_invariants_every_event: false,
        timings: drainsim_core::Timings { jitter_percent: deployment.jitter_percent, ..Default::default() },
        ..Default::default()
    });
    e.create_cluster("bench").expect("valid name");
    task_definition(&mut e);
    if daemon {
        // A log agent on every ACTIVE instance, as most EC2 clusters run one.
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "agent".into(),
            container_definitions: vec![ContainerDefinition {
                name: "agent".into(),
                cpu: Some(16),
                memory: Some(32),
                exit_after_sigterm_ms: Some(1_000),
                ..Default::default()
            }],
            ..Default::default()
        }))
        .expect("valid task definition");
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("bench".into()),
            service_name: "log-agent".into(),
            task_definition: "agent".into(),
            scheduling_strategy: Some("DAEMON".into()),
            ..Default::default()
        }))
        .expect("valid daemon service");
    }
    let half = instances / 2;
    for i in 0..half {
        register(&mut e, format!("old-{i}"), i);
    }
    for s in 0..tasks / service_size {
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("bench".into()),
            service_name: format!("svc{s}"),
            task_definition: "app".into(),
            desired_count: Some(service_size as i64),
            deployment_configuration: Some(DeploymentConfiguration {
                minimum_healthy_percent: Some(deployment.minimum_healthy_percent),
                maximum_percent: Some(deployment.maximum_percent),
            }),
            placement_strategy: strategy(s),
            ..Default::default()
        }))
        .expect("valid service");
    }
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), drainsim_core::StopReason::Quiet);
    for i in half..instances {
        register(&mut e, format!("new-{i}"), i);
    }
    e.advance_to(e.now_ms() + 1_000, u64::MAX);
    let targets = (0..half).map(|i| e.instance_named(&format!("old-{i}")).expect("registered").arn()).collect();
    (e, targets)
}

/// Drains the targets (10 per call, as the API demands) and runs until quiet: all at once, or in
/// waves of `wave` instances, each run until quiet (its drains complete) before the next starts,
/// as an instance refresh or a rollout does.
fn drain(e: &mut Engine, targets: &[String], wave: Option<usize>) -> u64 {
    let before = e.events_processed();
    for wave in targets.chunks(wave.unwrap_or(targets.len()).max(1)) {
        for chunk in wave.chunks(10) {
            e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: Some("bench".into()),
                container_instances: chunk.to_vec(),
                status: "DRAINING".into(),
            }))
            .expect("valid drain");
        }
        let stop = e.run_until_quiet(e.now_ms() + 24 * 3_600_000, u64::MAX);
        assert_eq!(stop, drainsim_core::StopReason::Quiet);
    }
    e.events_processed() - before
}

/// The services' deployment bounds, and how much the task stages' durations vary.
#[derive(Debug, Clone, Copy)]
struct Deployment {
    minimum_healthy_percent: i64,
    maximum_percent: i64,
    /// `jitterPercent` (0: every task of a batch turns healthy at the same instant).
    jitter_percent: u32,
}

/// Minimum 50 %, maximum 200 %, no jitter.
const DEFAULT_DEPLOYMENT: Deployment = Deployment { minimum_healthy_percent: 50, maximum_percent: 200, jitter_percent: 0 };

/// One drain benchmark's cluster and plan.
struct Shape {
    instances: usize,
    tasks: usize,
    service_size: usize,
    /// A DAEMON service (a log agent) runs on every ACTIVE instance.
    daemon: bool,
    /// Drain in waves of this many instances (else all at once).
    wave: Option<usize>,
    deployment: Deployment,
    suffix: &'static str,
}

fn drains(c: &mut Criterion) {
    let mut g = c.benchmark_group("drain");
    g.sample_size(10);
    let shape = |instances, tasks, service_size, daemon, wave, suffix| Shape {
        instances,
        tasks,
        service_size,
        daemon,
        wave,
        deployment: DEFAULT_DEPLOYMENT,
        suffix,
    };
    let shapes = [
        shape(2_000, 10_000, 100, false, None, ""),
        shape(20_000, 100_000, 100, false, None, ""),
        shape(20_000, 100_000, 10_000, false, None, "_svc10k"),
        shape(20_000, 100_000, 50_000, false, None, "_svc50k"),
        shape(20_000, 100_000, 100, true, None, "_daemon"),
        // A rollout: 50 waves of 200 instances, without and with a DAEMON service.
        shape(20_000, 100_000, 100, false, Some(200), "_waves200"),
        shape(20_000, 100_000, 100, true, Some(200), "_daemon_waves200"),
        // A rollout of two services of 50,000 tasks, 10 instances a wave (1,000 waves): each wave
        // moves a few of their tasks, and a pass costs those, not the service.
        shape(20_000, 100_000, 50_000, false, Some(10), "_svc50k_waves10"),
        // The same two services at maximumPercent 110: replacements start a tenth at a time, and
        // the spread service places beside the binpack one, which has filled instance after
        // instance (spread by instance passes over the full ones unless it keeps a room order).
        Shape {
            deployment: Deployment { maximum_percent: 110, ..DEFAULT_DEPLOYMENT },
            ..shape(20_000, 100_000, 50_000, false, None, "_svc50k_max110")
        },
        // The same at minimum 100 with stage durations that vary by up to 30 %: replacements turn
        // healthy one instant at a time, each letting a pass stop a few of the 100,000 drain
        // candidates (a pass that read every candidate made this quadratic).
        Shape {
            deployment: Deployment { minimum_healthy_percent: 100, maximum_percent: 110, jitter_percent: 30 },
            ..shape(20_000, 100_000, 50_000, false, None, "_svc50k_min100_max110_jitter30")
        },
        shape(40_000, 200_000, 100, false, None, ""),
    ];
    for Shape { instances, tasks, service_size, daemon, wave, deployment, suffix } in shapes {
        let name = format!("i{}k_t{}k{suffix}", instances / 1000, tasks / 1000);
        // Count the events once, so throughput is events per second.
        let (mut e, targets) = drain_cluster(instances, tasks, service_size, daemon, deployment);
        let events = drain(&mut e, &targets, wave);
        let moved: u32 = e.services().filter(|s| s.name() != "log-agent").map(|s| s.running_count()).sum();
        assert_eq!(moved as usize, tasks, "every task is running again after the drain");
        if daemon {
            let agent = e.service_named("log-agent").expect("the daemon");
            assert_eq!(agent.running_count() as usize, instances - instances / 2, "one agent per ACTIVE instance");
        }
        g.throughput(Throughput::Elements(events));
        g.bench_function(&name, |b| {
            b.iter_batched(
                || drain_cluster(instances, tasks, service_size, daemon, deployment),
                |(mut e, t)| black_box(drain(&mut e, &t, wave)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Scales the spread-by-zone service of 50,000 tasks of the `drain/i20k_t100k_svc50k` cluster
/// (`svc1`) in by 200 tasks in `steps` UpdateService calls, each run until quiet; returns the
/// events processed.
fn scale_in(e: &mut Engine, steps: usize) -> u64 {
    let before = e.events_processed();
    for step in 1..=steps {
        e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("bench".into()),
            service: "svc1".into(),
            desired_count: Some((50_000 - 200 * step / steps) as i64),
            ..Default::default()
        }))
        .expect("valid update");
        assert_eq!(e.run_until_quiet(e.now_ms() + 3_600_000, u64::MAX), drainsim_core::StopReason::Quiet);
    }
    e.events_processed() - before
}

/// A big service scaled in: 200 tasks of 50,000 at once, and one at a time 200 times. A stop's
/// cost must not grow with the service (one pass reads it once).
fn scale_ins(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale_in");
    g.sample_size(10);
    for (name, steps) in [("svc50k_by200", 1), ("svc50k_by1_x200", 200)] {
        let (mut e, _) = drain_cluster(20_000, 100_000, 50_000, false, DEFAULT_DEPLOYMENT);
        scale_in(&mut e, steps);
        assert_eq!(e.service_named("svc1").expect("created").running_count(), 49_800, "the service scaled in");
        g.throughput(Throughput::Elements(200));
        g.bench_function(name, |b| {
            b.iter_batched(
                || drain_cluster(20_000, 100_000, 50_000, false, DEFAULT_DEPLOYMENT).0,
                |mut e| black_box(scale_in(&mut e, steps)),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// A mixed fleet: 10,000 big instances (four times the memory) each run one task of a service
/// spread by instance, and 10,000 small ones are empty; the service is scaled to 20,000.
fn mixed_fleet() -> Engine {
    let mut e = bench_cluster();
    for (prefix, cpu, memory) in [("big", 16_384, 65_536), ("small", 4_096, 16_384)] {
        for i in 0..10_000 {
            e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some("bench".into()),
                total_resources: vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)],
                instance_identity: InstanceIdentity {
                    name: format!("{prefix}-{i}"),
                    instance_type: "m5.xlarge".into(),
                    availability_zone: ["us-east-1a", "us-east-1b", "us-east-1c"][i % 3].into(),
                    ..Default::default()
                },
                ..Default::default()
            }))
            .expect("valid registration");
        }
    }
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("bench".into()),
        service_name: "svc".into(),
        task_definition: "app".into(),
        desired_count: Some(10_000),
        placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
        ..Default::default()
    }))
    .expect("valid service");
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), drainsim_core::StopReason::Quiet);
    e
}

/// Scales the mixed fleet's service to 20,000 and runs its pass: 10,000 placements on the small
/// instances, past the big ones (which have more free memory) that all hold a task.
fn scale_up_mixed(e: &mut Engine) -> u32 {
    e.handle(Request::UpdateService(UpdateServiceRequest {
        cluster: Some("bench".into()),
        service: "svc".into(),
        desired_count: Some(20_000),
        ..Default::default()
    }))
    .expect("valid update");
    e.step();
    e.service_named("svc").expect("created").pending_count()
}

fn placement(c: &mut Criterion) {
    let mut g = c.benchmark_group("placement");
    g.sample_size(10);
    {
        let mut e = mixed_fleet();
        assert_eq!(scale_up_mixed(&mut e), 10_000, "the pass places the 10,000 new tasks");
        g.throughput(Throughput::Elements(10_000));
        g.bench_function("spread_instance_mixed_fleet_t10k_i20k", |b| {
            b.iter_batched(mixed_fleet, |mut e| black_box(scale_up_mixed(&mut e)), BatchSize::PerIteration)
        });
    }
    let cases: [(&str, Vec<PlacementStrategy>); 6] = [
        ("binpack_memory", vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }]),
        (
            "spread_az",
            vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.availability-zone".into()) }],
        ),
        ("spread_instance", vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }]),
        ("random", vec![PlacementStrategy { strategy_type: "random".into(), field: None }]),
        // Spread by an attribute other than the zone: its values come from the placement index.
        (
            "spread_instance_type",
            vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:ecs.instance-type".into()) }],
        ),
        // Spread by a custom attribute of 400 values (a rack per five instances): the owner
        // keeps its values in the order it visits them, not sorted at each placement.
        (
            "spread_rack_400_values",
            vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("attribute:rack".into()) }],
        ),
    ];
    let (tasks, instances) = (10_000usize, 2_000usize);
    for (name, strat) in cases {
        let racks = name.starts_with("spread_rack");
        g.throughput(Throughput::Elements(tasks as u64));
        g.bench_function(format!("{name}_t10k_i2k"), |b| {
            b.iter_batched(
                || placement_cluster(instances, racks),
                |mut e| {
                    e.handle(Request::CreateService(CreateServiceRequest {
                        cluster: Some("bench".into()),
                        service_name: "svc".into(),
                        task_definition: "app".into(),
                        desired_count: Some(tasks as i64),
                        placement_strategy: strat.clone(),
                        ..Default::default()
                    }))
                    .expect("valid service");
                    // The scheduler's pass is the event at the current instant: it places every task.
                    e.step();
                    let placed = e.service_named("svc").expect("created").pending_count();
                    assert_eq!(placed as usize, tasks);
                    black_box(placed)
                },
                BatchSize::PerIteration,
            )
        });
    }
    // 400 services of 25 tasks, each pinned to one pool of five instances by a `memberOf`
    // expression of its own (`attribute:rack == rack-NNN`): 400 lists, each keyed by its value,
    // so a placement walks its pool's constraint class, not the cluster.
    let pools = instances / 5;
    g.throughput(Throughput::Elements(tasks as u64));
    g.bench_function("member_of_400_pools_t10k_i2k", |b| {
        b.iter_batched(
            || placement_cluster(instances, true),
            |mut e| {
                for pool in 0..pools {
                    e.handle(Request::CreateService(CreateServiceRequest {
                        cluster: Some("bench".into()),
                        service_name: format!("svc{pool}"),
                        task_definition: "app".into(),
                        desired_count: Some((tasks / pools) as i64),
                        placement_constraints: vec![PlacementConstraint {
                            constraint_type: "memberOf".into(),
                            expression: Some(format!("attribute:rack == rack-{pool:03}")),
                        }],
                        ..Default::default()
                    }))
                    .expect("valid service");
                }
                // Every service's pass is an event at the current instant: together they place
                // every task.
                e.advance_to(e.now_ms(), u64::MAX);
                let placed: u64 =
                    (0..pools).map(|p| e.service_named(&format!("svc{p}")).expect("created").pending_count() as u64).sum();
                assert_eq!(placed as usize, tasks);
                black_box(placed)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// An engine with the cluster `bench` and the task definition `app` (no trace records kept, no
/// invariant check after each event).
fn bench_cluster() -> Engine {
    let mut e = Engine::new(EngineConfig {
        seed: 2,
        keep_trace_records: false,
        check_invariants_every_event: false,
        ..Default::default()
    });
    e.create_cluster("bench").expect("valid");
    task_definition(&mut e);
    e
}

/// The placement benches' cluster: `instances` instances, each on a rack of five
/// (`rack-000`, …) when `racks`, and the task definition `app`.
fn placement_cluster(instances: usize, racks: bool) -> Engine {
    let mut e = bench_cluster();
    for i in 0..instances {
        if racks {
            register_in_rack(&mut e, format!("i{i}"), i, format!("rack-{:03}", i / 5));
        } else {
            register(&mut e, format!("i{i}"), i);
        }
    }
    e
}

fn scenario(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.sample_size(20);
    let text = drainsim_scenario::synthetic::large_drain_scenario(20_000, 1_000);
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse_large", |b| b.iter(|| black_box(drainsim_scenario::load_str("large.ron", &text).expect("valid"))));
    // The same drain in the shape `drainsim import` writes: every instance a group of its own,
    // named by its EC2 instance ID, and the old half drained in waves of 1,000 named instances.
    let loaded = drainsim_scenario::load_str("imported.ron", &imported_shape_scenario()).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    assert!(drainsim_scenario::run(&loaded, &opts).expect("runs").passed(), "every wave drains");
    g.sample_size(10);
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("imported_i20k_named_waves", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// `large_drain_scenario_spec(20_000, 1_000)` with its two groups split into single instances
/// named `i-…` (as an imported cluster's are) and its drain given as ten waves of 1,000 names:
/// each wave a DrainInstances and a WaitForDrain naming them.
fn imported_shape_scenario() -> String {
    use drainsim_scenario::format::{Action, DrainPlan, InstanceGroup, Step, WaitSpec};
    let mut spec = drainsim_scenario::synthetic::large_drain_scenario_spec(20_000, 1_000);
    let mut singles: Vec<InstanceGroup> = Vec::new();
    for group in &spec.instances {
        for n in 0..group.count {
            let id = format!("i-{:017x}", singles.len() + 0x0a1c_2e3f_405a_6b70);
            let zone = group.availability_zones[n as usize % group.availability_zones.len()].clone();
            singles.push(InstanceGroup { name: id, count: 1, availability_zones: vec![zone], ..group.clone() });
        }
    }
    let old: Vec<String> = singles.iter().filter(|g| g.register_at_ms == 0).map(|g| g.name.clone()).collect();
    spec.instances = singles;
    let at_ms = spec.steps[0].at_ms;
    spec.steps = old
        .chunks(1_000)
        .enumerate()
        .flat_map(|(k, wave)| {
            let drain = Action::DrainInstances(DrainPlan {
                cluster: Some("bench".into()),
                instances: wave.to_vec(),
                filter: None,
                status: None,
                wave_size: None,
            });
            let wait = Action::WaitForDrain(WaitSpec {
                cluster: None,
                instances: wave.to_vec(),
                filter: None,
                status: None,
                timeout_ms: 3_600_000,
            });
            [
                Step { at_ms: if k == 0 { at_ms } else { None }, caller: None, action: drain, expect: None },
                Step { at_ms: None, caller: None, action: wait, expect: None },
            ]
        })
        .collect();
    drainsim_scenario::write::to_ron(&spec)
}

/// The engine's own queue and dispatch: no-op events (a reconnect of a connected agent) pinned at
/// pseudo-random times and processed through `Engine::step`, with 10,000 or 1,000,000 pending.
fn engine_events(c: &mut Criterion) {
    use drainsim_core::PinnedFault;
    let mut g = c.benchmark_group("engine");
    g.sample_size(10);
    g.throughput(Throughput::Elements(1_000_000));
    let base = || {
        let mut e = Engine::new(EngineConfig {
            seed: 3,
            keep_trace_records: false,
            check_invariants_every_event: false,
            ..Default::default()
        });
        e.create_cluster("bench").expect("valid");
        register(&mut e, "i0".into(), 0);
        let id = e.instance_named("i0").expect("registered").id();
        (e, id)
    };
    for (name, pending) in [("events_1m_10k_pending", 10_000u64), ("events_1m_1m_pending", 1_000_000)] {
        g.bench_function(name, |b| {
            b.iter_batched(
                base,
                |(mut e, id)| {
                    let mut x = 0x9E37_79B9_7F4A_7C15u64;
                    let mut processed = 0u64;
                    while processed < 1_000_000 {
                        let start = e.now_ms();
                        for _ in 0..pending {
                            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                            e.pin_fault(start + 1 + (x >> 40), PinnedFault::AgentReconnect(id)).expect("pinned");
                        }
                        let before = e.events_processed();
                        while e.step() {}
                        processed += e.events_processed() - before;
                    }
                    black_box(e.events_processed())
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn api(c: &mut Criterion) {
    let mut g = c.benchmark_group("api");
    g.sample_size(10);
    for instances in [1_000usize, 4_000] {
        let text = drainsim_scenario::synthetic::api_script(instances);
        let opts = drainsim_scenario::RunOptions::default();
        let check = drainsim_scenario::run(&drainsim_scenario::load_str("api.ron", &text).expect("valid"), &opts).expect("runs");
        assert!(check.passed(), "every step of the API script succeeds");
        // Elements: the ECS calls the script makes.
        g.throughput(Throughput::Elements((instances + instances / 10 + instances / 100) as u64));
        g.bench_function(format!("register_drain_describe_{}k", instances / 1000), |b| {
            b.iter(|| {
                let loaded = drainsim_scenario::load_str("api.ron", &text).expect("valid");
                black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").steps.len())
            })
        });
        if instances == 1_000 {
            // The same script as JSON (docs/scenario-format.md): the difference is the parser's.
            let json = serde_json::to_string(&check_scenario(&text)).expect("a scenario is JSON");
            g.bench_function("register_drain_describe_1k_json", |b| {
                b.iter(|| {
                    let loaded = drainsim_scenario::load_str("api.json", &json).expect("valid");
                    black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").steps.len())
                })
            });
        }
    }
    g.finish();
}

/// ListTasks on the 20,000-instance cluster after its drain (200,000 task records, half of them
/// STOPPED): every RUNNING task of a 50,000-task service, 100 a page, and the tasks of 1,000
/// instances, one call each. A page must cost what it lists, not the task table.
fn list_tasks_pages(c: &mut Criterion) {
    let mut g = c.benchmark_group("api");
    g.sample_size(10);
    let (mut e, targets) = drain_cluster(20_000, 100_000, 50_000, false, DEFAULT_DEPLOYMENT);
    drain(&mut e, &targets, None);
    let instances: Vec<String> =
        (10_000..11_000).map(|i| e.instance_named(&format!("new-{i}")).expect("registered").arn()).collect();
    let list = |e: &mut Engine, req: ListTasksRequest| match e.handle(Request::ListTasks(req)).expect("valid") {
        Response::TaskArns { task_arns, next_token } => (task_arns.len(), next_token),
        other => panic!("not a task list: {other:?}"),
    };
    let service_pages = |e: &mut Engine| {
        let (mut listed, mut token, mut calls) = (0, None, 0u64);
        loop {
            let req = ListTasksRequest {
                cluster: Some("bench".into()),
                service_name: Some("svc1".into()),
                max_results: Some(100),
                next_token: token.take(),
                ..Default::default()
            };
            let (n, next) = list(e, req);
            listed += n;
            calls += 1;
            match next {
                Some(t) => token = Some(t),
                None => return (listed, calls),
            }
        }
    };
    let (listed, calls) = service_pages(&mut e);
    assert_eq!(listed, 50_000, "every task of the service is listed once");
    g.throughput(Throughput::Elements(calls));
    g.bench_function("list_tasks_svc50k_pages", |b| b.iter(|| black_box(service_pages(&mut e))));
    g.throughput(Throughput::Elements(instances.len() as u64));
    g.bench_function("list_tasks_by_instance_1k", |b| {
        b.iter(|| {
            let mut listed = 0;
            for arn in &instances {
                let req = ListTasksRequest {
                    cluster: Some("bench".into()),
                    container_instance: Some(arn.clone()),
                    ..Default::default()
                };
                listed += list(&mut e, req).0;
            }
            black_box(listed)
        })
    });
    g.finish();
}

/// The scenario a text loads to.
fn check_scenario(text: &str) -> drainsim_scenario::format::Scenario {
    drainsim_scenario::load_str("api.ron", text).expect("valid").scenario
}

/// One instance running `tasks` tiny bridge tasks of one service, drained by binpack onto a second
/// instance: nothing but the instance's task list limits how many it runs, so the drain shows
/// whether a stop costs anything per task on the instance (docs/performance.md).
fn dense_instance_scenario(tasks: usize) -> String {
    format!(
        r#"Scenario(name: "dense-instance", seed: 1, clusters: ["prod"],
    instances: [
        (name: "old", cluster: "prod", instanceType: "c5.24xlarge", availabilityZones: ["us-east-1a"], cpu: 2000000, memory: 2000000),
        (name: "new", cluster: "prod", instanceType: "c5.24xlarge", availabilityZones: ["us-east-1a"], cpu: 2000000, memory: 2000000, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "tiny", containerDefinitions: [(name: "app", cpu: 10, memory: 10)])],
    services: [(cluster: "prod", serviceName: "tiny", taskDefinition: "tiny", desiredCount: {tasks},
        deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200),
        placementStrategy: [(type: "binpack", field: "memory")])],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 3600000))),
    ],
    expectations: [InstanceRunningTasks("old", Eq(0)), ServiceRunningCount("tiny", Eq({tasks}))],
)"#
    )
}

fn dense_instance(c: &mut Criterion) {
    let mut g = c.benchmark_group("dense_instance");
    g.sample_size(10);
    for tasks in [10_000usize, 40_000] {
        let loaded = drainsim_scenario::load_str("dense.ron", &dense_instance_scenario(tasks)).expect("valid");
        let opts = drainsim_scenario::RunOptions::default();
        assert!(drainsim_scenario::run(&loaded, &opts).expect("runs").passed(), "the drain completes");
        g.throughput(Throughput::Elements(tasks as u64));
        g.bench_function(format!("drain_{}k_tasks", tasks / 1000), |b| {
            b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
        });
    }
    g.finish();
}

/// 4,000 instances and 20 services spread by instance of 4,000 tasks each, so every service holds
/// a task on every instance; half the instances are drained onto the other half, which registers
/// later. Once a service occupies every instance with room, its search for an empty one finds
/// none: the first search that walks the pool notes it full and the next do not walk it
/// (`NoFreeMembers`), and the 4 services past the cluster's 16 room orders keep no order.
fn full_pool_scenario() -> String {
    let services: String = (0..20)
        .map(|k| {
            format!(
                "(cluster: \"bench\", serviceName: \"s{k}\", taskDefinition: \"app\", desiredCount: 4000, \
                 deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200), \
                 placementStrategy: [(type: \"spread\", field: \"instanceId\")]),\n"
            )
        })
        .collect();
    format!(
        r#"Scenario(name: "full-pool", seed: 1, clusters: ["bench"],
    instances: [
        (name: "old", count: 2000, cluster: "bench", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 16384, memory: 65536),
        (name: "new", count: 2000, cluster: "bench", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 16384, memory: 65536, registerAtMs: 600000),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 64, memory: 128, exitAfterSigtermMs: 2000)])],
    services: [{services}],
    steps: [
        (atMs: 700000, do: DrainInstances((cluster: "bench", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 36000000))),
    ],
)"#
    )
}

fn full_pool(c: &mut Criterion) {
    let mut g = c.benchmark_group("full_pool");
    g.sample_size(10);
    let loaded = drainsim_scenario::load_str("full-pool.ron", &full_pool_scenario()).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    assert!(drainsim_scenario::run(&loaded, &opts).expect("runs").passed(), "the drain completes");
    g.throughput(Throughput::Elements(80_000));
    g.bench_function("drain_i4k_20svc_t80k", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// 10,000 instances, half `m5.4xlarge` with 64 GiB and half `m5.large` with 8 GiB, and a service of
/// 5,000 tasks spread by instance with `memberOf(attribute:ecs.instance-type == m5.large)`: every
/// placement's walk from the most free memory passes the 5,000 big instances the expression does
/// not select, until the first builds the constraint class. With `host_port`, its task maps host
/// port 8080 (bridge mode), so the class is of the port and the expression both.
fn member_of_scenario(host_port: bool) -> String {
    let (network_mode, port_mappings) = if host_port {
        (r#"networkMode: "bridge", "#, ", portMappings: [(containerPort: 80, hostPort: 8080)]")
    } else {
        ("", "")
    };
    format!(
        r#"Scenario(name: "member-of", seed: 1, clusters: ["bench"],
    instances: [
        (name: "big", count: 5000, cluster: "bench", instanceType: "m5.4xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 16384, memory: 65536),
        (name: "small", count: 5000, cluster: "bench", instanceType: "m5.large", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 2048, memory: 8192),
    ],
    taskDefinitions: [(family: "app", {network_mode}containerDefinitions: [(name: "app", cpu: 64, memory: 128{port_mappings})])],
    services: [(cluster: "bench", serviceName: "web", taskDefinition: "app", desiredCount: 5000,
        placementConstraints: [(type: "memberOf", expression: "attribute:ecs.instance-type == m5.large")],
        placementStrategy: [(type: "spread", field: "instanceId")])],
)"#
    )
}

fn constraint_class(c: &mut Criterion) {
    let mut g = c.benchmark_group("constraint_class");
    g.sample_size(10);
    g.throughput(Throughput::Elements(5_000));
    for (name, host_port) in [("spread_member_of_t5k_i10k", false), ("spread_member_of_host_port_t5k_i10k", true)] {
        let loaded = drainsim_scenario::load_str("member-of.ron", &member_of_scenario(host_port)).expect("valid");
        let opts = drainsim_scenario::RunOptions::default();
        let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
        assert!(run.passed() && run.engine.events_processed() > 0, "the service starts");
        g.bench_function(name, |b| {
            b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
        });
    }
    // Sidecars pinned to their main service (`task:group == service:bN`), 24 pairs on 8,000
    // instances, each service of 333 tasks, a tenth of the instances drained: past 16 such lists
    // the index kept no class of the others, and each of their placements walked the cluster.
    let loaded = drainsim_scenario::load_str("sidecars.ron", &sidecar_scenario(8_000, 24)).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    assert!(run.engine.services().all(|s| s.running_count() == 333), "every service runs its tasks");
    g.throughput(Throughput::Elements(8_000));
    g.bench_function("sidecars_24_pairs_i8k", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// `instances` instances and `pairs` pairs of services of `instances / pairs` tasks: `bN` spread
/// by instance, its sidecar `aN` pinned to where `bN` runs; a tenth of the instances drained at 5
/// minutes.
fn sidecar_scenario(instances: usize, pairs: usize) -> String {
    let per = instances / pairs;
    let services: String = (0..pairs)
        .map(|k| {
            format!(
                "(cluster: \"prod\", serviceName: \"b{k}\", taskDefinition: \"app\", desiredCount: {per}, placementStrategy: [(type: \"spread\", field: \"instanceId\")]),
        (cluster: \"prod\", serviceName: \"a{k}\", taskDefinition: \"app\", desiredCount: {per}, placementConstraints: [(type: \"memberOf\", expression: \"task:group == service:b{k}\")]),\n"
            )
        })
        .collect();
    let drained: Vec<String> = (1..=instances / 10).map(|n| format!("\"c-{n}\"")).collect();
    format!(
        r#"Scenario(name: "sidecars", seed: 7, clusters: ["prod"],
    instances: [(name: "c", count: {instances}, cluster: "prod", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 16384)],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 1000)])],
    services: [{services}],
    steps: [(atMs: 300000, do: DrainInstances((cluster: "prod", instances: [{}])))],
)"#,
        drained.join(", ")
    )
}

/// `scenarios/rollouts/instance-refresh-30-instances.ron` grown to an Auto Scaling group of 5,000
/// instances (ECS's quota of container instances per cluster) running 10,000 tasks, refreshed with
/// the same preferences (MinHealthyPercentage 90, MaxHealthyPercentage 110): about 500 instances
/// terminated and launched per batch, each terminated one drained through the lifecycle hook.
fn auto_scaling(c: &mut Criterion) {
    let mut g = c.benchmark_group("autoscaling");
    g.sample_size(10);
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/rollouts/instance-refresh-30-instances.ron");
    let small = std::fs::read_to_string(file).expect("the scenario file");
    let text = small
        .replace("MinSize: 30, MaxSize: 40, DesiredCapacity: 30", "MinSize: 5000, MaxSize: 10000, DesiredCapacity: 5000")
        .replace("desiredCount: 60", "desiredCount: 10000");
    let expectations = text.find("    expectations: [").expect("expectations");
    let text = format!("{}    expectations: [],\n)\n", &text[..expectations]);
    let loaded = drainsim_scenario::load_str("refresh-5000.ron", &text).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    assert!(run.passed() && run.engine.instances().count() > 9_000, "the refresh replaces the group");
    g.throughput(Throughput::Elements(5_000));
    g.bench_function("instance_refresh_i5k", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// A group of 3,000 instances with a `MaxInstanceLifetime` of one day, launched one after another
/// over the day before the run (as `scenarios/rollouts/max-instance-lifetime-replaces-one-at-a-time.ron`
/// launches its four), each replaced through a draining termination hook, over three days: about
/// 9,000 replacements, up to 300 under way at once, and 6,000 tasks moved off each instance
/// replaced. Each move of the group costs what it touches, not the members it launched so far.
fn max_instance_lifetime(c: &mut Criterion) {
    let mut g = c.benchmark_group("autoscaling");
    g.sample_size(10);
    let n = 3_000u64;
    let day_ms = 86_400_000u64;
    let instances: Vec<String> = (1..=n)
        .map(|i| {
            let zone = if i % 2 == 0 { "us-east-1a" } else { "us-east-1b" };
            format!(
                r#"(name: "o-{i}", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["{zone}"], cpu: 4096, memory: 8192, launchedAtMs: -{})"#,
                i * day_ms / n
            )
        })
        .collect();
    let members: Vec<String> = (1..=n).map(|i| format!(r#"(InstanceId: "o-{i}")"#)).collect();
    let text = format!(
        r#"Scenario(name: "lifetime-3k", clusters: ["prod"], endTimeMs: {end},
    instances: [{instances}],
    autoScalingGroups: [(AutoScalingGroupName: "nodes", MinSize: 0, MaxSize: {max}, DesiredCapacity: {n},
        LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
        AvailabilityZones: ["us-east-1a", "us-east-1b"], HealthCheckGracePeriod: 60, MaxInstanceLifetime: 86400,
        LifecycleHooks: [(LifecycleHookName: "h", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
            HeartbeatTimeout: 300, DefaultResult: "CONTINUE", drainOnTermination: true)],
        cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {{"1": "ami-0"}},
        Instances: [{members}])],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: {tasks},
        deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200))],
)"#,
        end = 3 * day_ms,
        instances = instances.join(",\n"),
        members = members.join(", "),
        max = 2 * n,
        tasks = 2 * n,
    );
    let loaded = drainsim_scenario::load_str("lifetime-3k.ron", &text).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let replaced = run.engine.instances().count() as u64 - n;
    assert!(replaced > 2 * n, "the group replaces its members every day ({replaced} replaced)");
    g.throughput(Throughput::Elements(replaced));
    g.bench_function("max_instance_lifetime_i3k_3d", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// A capacity provider with managed scaling grows its Auto Scaling group from 2 instances to
/// about 5,000 for 200 services of 100 tasks (each instance holds four), all waiting PROVISIONING
/// meanwhile. Every registration runs a pass in which each waiting service fails a placement, and
/// a failed placement names the provider's closest instance: found from the placement index, not
/// by a walk of the provider's instances.
fn managed_scaling_growth(c: &mut Criterion) {
    let mut g = c.benchmark_group("autoscaling");
    g.sample_size(10);
    let services: Vec<String> = (0..200)
        .map(|i| {
            format!(
                r#"(cluster: "bench", serviceName: "svc{i}", taskDefinition: "app", desiredCount: 100,
        deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200))"#
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "managed-scaling-5k", seed: 1, clusters: ["bench"], endTimeMs: 36000000,
    autoScalingGroups: [(AutoScalingGroupName: "ecs-asg", MinSize: 1, MaxSize: 10000, DesiredCapacity: 2,
        AvailabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
        LaunchTemplate: (LaunchTemplateName: "node", Version: "1"), NewInstancesProtectedFromScaleIn: true,
        cluster: "bench", instanceType: "m5.xlarge", cpu: 4096, memory: 16384, imageIds: {{"1": "ami-0"}},
        launchToRegisterMs: 60000)],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 1024, memory: 4096, exitAfterSigtermMs: 2000)])],
    services: [{services}],
    capacityProviders: [(name: "cp", autoScalingGroupProvider: (autoScalingGroupArn: "ecs-asg",
        managedScaling: (status: "ENABLED", targetCapacity: 100), managedTerminationProtection: "ENABLED"))],
    clusterCapacityProviders: [(cluster: "bench", capacityProviders: ["cp"],
        defaultCapacityProviderStrategy: [(capacityProvider: "cp", weight: 1)])],
)"#,
        services = services.join(",\n    "),
    );
    let loaded = drainsim_scenario::load_str("managed-scaling-5k.ron", &text).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let launched = run.engine.instances().count() as u64;
    assert!(launched >= 5_000, "managed scaling grows the group to hold every task ({launched} instances)");
    g.throughput(Throughput::Elements(launched));
    g.bench_function("managed_scaling_grow_i5k_200svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// `scenarios/rollouts/zone-rebalancing-after-zone-drain.ron` grown: 1,000 instances in each of
/// three zones, a service of 6,000 tasks with `availabilityZoneRebalancing` ENABLED beside one
/// without; zone us-east-1c is drained and deregistered, and 1,000 new instances register there
/// at 10 minutes. The service then moves 2,000 tasks back one at a time over 24 simulated hours
/// (each move must not read the service's tasks more than it needs).
fn zone_rebalancing(c: &mut Criterion) {
    let mut g = c.benchmark_group("rebalance");
    g.sample_size(10);
    let text = r#"Scenario(name: "zone-rebalancing", seed: 1604, clusters: ["prod"],
    instances: [
        (name: "a", count: 1000, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a"], cpu: 4096, memory: 8192),
        (name: "b", count: 1000, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1b"], cpu: 4096, memory: 8192),
        (name: "c", count: 1000, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1c"], cpu: 4096, memory: 8192),
        (name: "c-new", count: 1000, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1c"], cpu: 4096, memory: 8192, registerAtMs: 600000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 2000)])],
    services: [
        (cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 6000,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200), availabilityZoneRebalancing: "ENABLED"),
        (cluster: "prod", serviceName: "api", taskDefinition: "web", desiredCount: 6000,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200), availabilityZoneRebalancing: "DISABLED"),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["c"]))),
        (do: WaitForDrain((cluster: "prod", instances: ["c"], timeoutMs: 600000))),
        (do: DeregisterInstances((cluster: "prod", instances: ["c"]))),
        (do: RunUntilQuiet),
    ],
)"#;
    let loaded = drainsim_scenario::load_str("zone-rebalancing.ron", text).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let web = run.engine.services().find(|s| s.name() == "web").expect("created");
    assert!(web.az_rebalancing_moves() > 1_000, "the service rebalances");
    g.throughput(Throughput::Elements(6_000));
    g.bench_function("zone_t6k_i4k", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    // Agents reconnecting all over a cluster whose services rebalance (the default): 4,000
    // instances, 100 services of 70 tasks, every agent disconnecting twice an hour for 6 hours
    // (about 48,000 reconnects) while a tenth of the instances drain. Each reconnect makes an
    // instance placeable again in a zone that has others: no service's zones change.
    let services: String = (0..100)
        .map(|k| format!("(cluster: \"prod\", serviceName: \"s{k}\", taskDefinition: \"app\", desiredCount: 70),\n"))
        .collect();
    let text = format!(
        r#"Scenario(name: "agent-reconnects", seed: 54, endTimeMs: 21700000, clusters: ["prod"],
    faults: (agentDisconnectsPerHour: 2),
    instances: [
        (name: "old", count: 400, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 7680),
        (name: "web", count: 3600, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 7680),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [{services}],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 36000000))),
        (atMs: 21600000, do: Advance),
    ],
)"#
    );
    let loaded = drainsim_scenario::load_str("agent-reconnects.ron", &text).expect("valid");
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    assert!(run.passed() && run.engine.now_ms() >= 21_600_000, "the drain completes and the run lasts 6 hours");
    g.throughput(Throughput::Elements(4_000));
    g.bench_function("agent_reconnects_i4k_100svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    g.finish();
}

/// A sweep as `drainsim sweep scenarios/drain/seed-min50-max200.ron --seeds 0..1000 --jobs 1` runs
/// it: every seed run and aggregated, one worker thread.
fn sweeps(c: &mut Criterion) {
    use drainsim_scenario::sweep::{parse_seeds, sweep, SweepOptions};
    let mut g = c.benchmark_group("sweep");
    g.sample_size(10);
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/drain/seed-min50-max200.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("valid scenario");
    let opts =
        SweepOptions { file: file.into(), seeds: parse_seeds("0..1000").expect("valid"), jobs: Some(1), ..Default::default() };
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("seed_min50_max200_1k", |b| {
        b.iter(|| {
            let run = sweep(&loaded, &opts, &|| {}, &std::sync::atomic::AtomicBool::new(false)).expect("sweeps");
            black_box(run)
        })
    });
    g.finish();
}

/// The 20,000-instance drain stalled (`large_drain_scenario_spec` with the new instances registering
/// 30 minutes late): every pass of a waiting service fails to place a task and names the closest
/// instance. `memory`: tasks of 1,600 MiB fill the 9,000 instances that stay, and 1,000 are drained;
/// `cpu_and_memory`: the same with tasks of 409 CPU and 1,638 MiB, which fill the instances on
/// both (a cluster packed by tasks sized to their instances); `no_capacity`: all 10,000 first
/// instances are drained, so none is placeable.
fn stalls(c: &mut Criterion) {
    use drainsim_scenario::format::{Action, InstanceGroup};
    let mut g = c.benchmark_group("stall");
    g.sample_size(10);
    for shape in ["memory", "cpu_and_memory", "no_capacity"] {
        let mut spec = drainsim_scenario::synthetic::large_drain_scenario_spec(20_000, 1_000);
        spec.instances[1].register_at_ms = 2_400_000;
        if shape != "no_capacity" {
            let app = &mut spec.task_definitions[0].container_definitions[0];
            if shape == "memory" {
                app.memory = Some(1_600);
            } else {
                (app.cpu, app.memory) = (Some(409), Some(1_638));
            }
            spec.instances[0].count = 9_000;
            let drained = InstanceGroup { name: "dr".into(), count: 1_000, ..spec.instances[0].clone() };
            spec.instances.insert(1, drained);
            if let Action::DrainInstances(plan) = &mut spec.steps[0].action {
                plan.instances = vec!["dr".into()];
            }
        }
        let text = drainsim_scenario::write::to_ron(&spec);
        let loaded = drainsim_scenario::load_str("stall.ron", &text).expect("valid");
        let opts = drainsim_scenario::RunOptions::default();
        let check = drainsim_scenario::run(&loaded, &opts).expect("runs");
        assert!(check.passed(), "the drain completes once the new instances register");
        g.throughput(Throughput::Elements(100_000));
        g.bench_function(format!("i20k_t100k_{shape}"), |b| {
            b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").steps.len()))
        });
    }
    // Stalled services and agents reconnecting all over the cluster: 4,000 instances with room for
    // 7 tasks each, 268 services of 100 tasks, 400 instances drained so that the services stall
    // for memory, every agent disconnecting twice an hour for 2 hours (about 16,000 reconnects).
    // Each reconnect makes an instance placeable again with no room for a task.
    let services: String = (0..268)
        .map(|k| {
            format!(
                "(cluster: \"prod\", serviceName: \"s{k}\", taskDefinition: \"app\", desiredCount: 100, availabilityZoneRebalancing: \"DISABLED\"),\n"
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "stall-reconnects", seed: 54, endTimeMs: 7200000, clusters: ["prod"],
    faults: (agentDisconnectsPerHour: 2),
    instances: [
        (name: "old", count: 400, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 7680),
        (name: "web", count: 3600, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 7680),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [{services}],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (atMs: 7100000, do: Advance),
    ],
)"#
    );
    let loaded = drainsim_scenario::load_str("stall-reconnects.ron", &text).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let stalled = run.engine.services().filter(|s| !s.stalls().is_empty()).count();
    assert!(stalled > 10, "services stall for room ({stalled})");
    g.throughput(Throughput::Elements(4_000));
    g.bench_function("agent_reconnects_i4k_268svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    // Services pinned by `memberOf` (`agentVersion >= 1.X.0`, which no index key serves) stalled
    // for CPU, with zone rebalancing at its default (ENABLED): 3,984 m5.xlarge in 24 groups of
    // 166 (agent versions 1.60.0 to 1.83.0), 24 services of 500 tasks of 2,048 CPU (12,000 tasks
    // for room of 7,968), a tenth of each group drained at 10 minutes, every agent disconnecting
    // once an hour for 30 simulated minutes. A reconnect retries no stalled service: it has no
    // room for one, and a waiting service has no rebalancing move to make.
    let groups: String = (0..24)
        .map(|g| {
            format!(
                "(name: \"c{g}\", count: 166, cluster: \"prod\", instanceType: \"m5.xlarge\", availabilityZones: [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"], cpu: 4096, memory: 16384, agentVersion: \"1.{}.0\"),\n",
                60 + g
            )
        })
        .collect();
    let services: String = (0..24)
        .map(|k| {
            format!(
                "(cluster: \"prod\", serviceName: \"s{k}\", taskDefinition: \"app\", desiredCount: 500, placementConstraints: [(type: \"memberOf\", expression: \"agentVersion >= 1.{}.0\")]),\n",
                60 + k % 20
            )
        })
        .collect();
    let drained: Vec<String> = (0..24).flat_map(|g| (1..=16).map(move |i| format!("\"c{g}-{i}\""))).collect();
    let text = format!(
        r#"Scenario(name: "member-of-stall-reconnects", seed: 7, endTimeMs: 1800000, clusters: ["prod"],
    faults: (agentDisconnectsPerHour: 1),
    instances: [{groups}],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 2048, memory: 512, exitAfterSigtermMs: 1000)])],
    services: [{services}],
    steps: [(atMs: 600000, do: DrainInstances((cluster: "prod", instances: [{}])))],
)"#,
        drained.join(", ")
    );
    let loaded = drainsim_scenario::load_str("member-of-stall-reconnects.ron", &text).expect("valid");
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let stalled = run.engine.services().filter(|s| !s.stalls().is_empty() && s.az_rebalancing_enabled()).count();
    assert!(stalled > 10, "rebalancing services stall for room ({stalled})");
    g.throughput(Throughput::Elements(3_984));
    g.bench_function("member_of_reconnects_rebalancing_i4k_24svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    // A capacity provider strategy that overfills one provider of three: 8,000 instances, 200
    // services of 200 tasks by base 20 on `od` and weights 1 : 3 : 1 over `od`, `spot` and `arm`;
    // a tenth of each provider drained, `spot` runs out of room and its services stall for an hour.
    // Each failing pass names the closest instance of `spot`, among a third of the cluster.
    let strategy = r#"[(capacityProvider: "od", base: 20, weight: 1), (capacityProvider: "spot", weight: 3), (capacityProvider: "arm", weight: 1)]"#;
    let services: String = (0..200)
        .map(|k| {
            format!(
                "(cluster: \"prod\", serviceName: \"s{k}\", taskDefinition: \"app\", desiredCount: 200, capacityProviderStrategy: {strategy}),\n"
            )
        })
        .collect();
    let instances: String = ["od", "spot", "arm"]
        .iter()
        .flat_map(|p| [("old", 266), ("web", 2_400)].map(|(gen, count)| (p, gen, count)))
        .map(|(p, gen, count)| {
            format!(
                "(name: \"{gen}{p}\", count: {count}, cluster: \"prod\", instanceType: \"c5.xlarge\", availabilityZones: [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"], cpu: 4096, memory: 7680, capacityProviderName: \"{p}\"),\n"
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "provider-skew", seed: 54, clusters: ["prod"],
    clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["od", "spot", "arm"], defaultCapacityProviderStrategy: [])],
    instances: [{instances}],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [{services}],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["oldod", "oldspot", "oldarm"]))),
        (do: WaitForDrain((instances: ["oldspot"], timeoutMs: 3600000)), expect: TimedOut),
    ],
)"#
    );
    let loaded = drainsim_scenario::load_str("provider-skew.ron", &text).expect("valid");
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let stalled = run.engine.services().filter(|s| !s.stalls().is_empty()).count();
    assert!(run.passed() && stalled > 10, "services of the overfilled provider stall ({stalled})");
    g.throughput(Throughput::Elements(8_000));
    g.bench_function("provider_skew_i8k_200svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    // Stalled for task ENIs: 4,000 trunked c5.large (10 task ENIs each, room for 32 tasks by
    // CPU), 100 awsvpc services of 401 tasks (40,100 against 40,000 ENIs), 40 instances drained
    // at 5 minutes, every agent disconnecting once an hour for the 30 minutes of the run. Each
    // reconnect retries the stalled services, and each try meets instances with CPU and memory
    // free and no task ENI.
    let services: String = (0..100)
        .map(|k| {
            format!(
                "(cluster: \"prod\", serviceName: \"s{k}\", taskDefinition: \"api\", desiredCount: 401, deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200)),\n"
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "eni-stall", seed: 7, endTimeMs: 1800000, clusters: ["prod"],
    accountDefaults: {{"awsvpcTrunking": "enabled"}},
    faults: (agentDisconnectsPerHour: 1),
    instances: [
        (name: "old", count: 40, cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 2048, memory: 3788),
        (name: "c", count: 3960, cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 2048, memory: 3788),
    ],
    taskDefinitions: [(family: "api", networkMode: "awsvpc", containerDefinitions: [(name: "api", cpu: 64, memory: 128, exitAfterSigtermMs: 1000)])],
    services: [{services}],
    steps: [(atMs: 300000, do: DrainInstances((cluster: "prod", instances: ["old"])))],
)"#
    );
    let loaded = drainsim_scenario::load_str("eni-stall.ron", &text).expect("valid");
    let run = drainsim_scenario::run(&loaded, &opts).expect("runs");
    let failures: u64 = run
        .engine
        .services()
        .flat_map(|s| s.placement_failures())
        .filter(|(reason, _)| reason.to_string() == "RESOURCE:ENI")
        .map(|(_, n)| n)
        .sum();
    assert!(failures > 100_000, "services stall for task ENIs ({failures} failed placements)");
    g.throughput(Throughput::Elements(4_000));
    g.bench_function("eni_reconnects_i4k_100svc", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").engine.events_processed()))
    });
    // A service of 10,000 tasks with a fixed host port, one per instance: its 1,000 drained tasks
    // wait 30 minutes for new instances, and each pass's failed placement (binpack by memory)
    // meets only instances that hold the port.
    let loaded = drainsim_scenario::load_str("stall_host_port.ron", STALL_HOST_PORT).expect("valid");
    let opts = drainsim_scenario::RunOptions::default();
    let check = drainsim_scenario::run(&loaded, &opts).expect("runs");
    assert!(check.passed(), "the drain completes once the new instances register");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("i20k_t10k_host_port", |b| {
        b.iter(|| black_box(drainsim_scenario::run(&loaded, &opts).expect("runs").steps.len()))
    });
    g.finish();
}

/// The `stall/i20k_t10k_host_port` scenario.
const STALL_HOST_PORT: &str = r#"(
  name: "stall-host-port",
  seed: 1,
  clusters: ["bench"],
  instances: [
    (name: "old", count: 9000, cluster: "bench", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 16384),
    (name: "dr", count: 1000, cluster: "bench", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 16384),
    (name: "new", count: 10000, cluster: "bench", instanceType: "m5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"], cpu: 4096, memory: 16384, registerAtMs: 2400000),
  ],
  taskDefinitions: [
    (family: "web", containerDefinitions: [(name: "web", cpu: 128, memory: 256, portMappings: [(containerPort: 80, hostPort: 80)], exitAfterSigtermMs: 2000)]),
  ],
  services: [
    (cluster: "bench", serviceName: "web", taskDefinition: "web", desiredCount: 10000, deploymentConfiguration: (maximumPercent: 200, minimumHealthyPercent: 50), placementStrategy: [(type: "binpack", field: "memory")]),
  ],
  steps: [
    (atMs: 660000, do: DrainInstances((cluster: "bench", instances: ["dr"]))),
  ],
  expectations: [
    StopReason("quiet"),
    AllDrainsCompletedBy(3600000),
    Stalled("web", "RESOURCE:PORTS"),
  ],
)"#;

criterion_group!(
    benches,
    kernel,
    engine_events,
    drains,
    scale_ins,
    dense_instance,
    full_pool,
    constraint_class,
    auto_scaling,
    max_instance_lifetime,
    managed_scaling_growth,
    zone_rebalancing,
    api,
    list_tasks_pages,
    sweeps,
    placement,
    stalls,
    scenario
);
criterion_main!(benches);
