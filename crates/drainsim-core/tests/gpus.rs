//! GPUs: a container instance registers them as `platformDevices`, a container reserves them with
//! `resourceRequirements` of type `GPU`, placement pins free ones to a task (`RESOURCE:GPU` when an
//! instance has too few), and an agent 1.73.0 or later starts a task only once the GPUs pinned to
//! it are no longer held by a task whose containers still run.

mod common;

use drainsim_core::api::*;
use drainsim_core::{check_invariants, AgentWaitCause, EcsErrorKind, Engine, PlacementFailureReason, TaskStatus};

/// The registration of instance `name` in cluster `prod` (8 vCPUs, 32 GiB, agent 1.80.0) with
/// these platform devices.
fn registration(name: &str, devices: Vec<PlatformDevice>) -> Request {
    Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 8192), Resource::integer("MEMORY", 32768)],
        version_info: Some(VersionInfo { agent_version: Some("1.80.0".into()), ..Default::default() }),
        instance_identity: InstanceIdentity {
            name: name.into(),
            instance_type: "g5.2xlarge".into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        platform_devices: devices,
        ..Default::default()
    })
}

fn gpus(name: &str, n: usize) -> Vec<PlatformDevice> {
    (0..n).map(|g| PlatformDevice { id: format!("GPU-{name}-{g}"), device_type: "GPU".into() }).collect()
}

/// Registers task definition `family`: one container per entry of `gpus`, each of 256 CPU units
/// and 512 MiB reserving that many GPUs (none for 0), killed 30 s after SIGTERM.
fn gpu_task_definition(family: &str, gpus: &[&str]) -> Request {
    Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: family.into(),
        container_definitions: gpus
            .iter()
            .enumerate()
            .map(|(n, value)| ContainerDefinition {
                name: format!("c{n}"),
                cpu: Some(256),
                memory: Some(512),
                stop_timeout: Some(30),
                resource_requirements: if *value == "0" {
                    vec![]
                } else {
                    vec![ResourceRequirement { requirement_type: "GPU".into(), value: value.to_string() }]
                },
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

/// Registers task definition `trainer` (one container reserving one GPU) and creates service
/// `trainer` of `desired` tasks.
fn trainer_service(e: &mut Engine, desired: i64) {
    e.handle(gpu_task_definition("trainer", &["1"])).expect("a valid task definition");
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "trainer".into(),
        task_definition: "trainer".into(),
        desired_count: Some(desired),
        ..Default::default()
    }))
    .expect("creates");
}

fn run(e: &mut Engine, family: &str, count: u32) -> (Vec<String>, Vec<String>) {
    let Response::Tasks { tasks, failures } = e
        .handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: family.into(),
            count: Some(i64::from(count)),
            ..Default::default()
        }))
        .expect("RunTask answers")
    else {
        panic!("RunTask answers with tasks")
    };
    (tasks.into_iter().map(|t| t.task_arn).collect(), failures.into_iter().map(|f| f.reason).collect())
}

/// The GPU resource of a described instance: (registered IDs, remaining IDs).
fn gpu_resource(e: &Engine, name: &str) -> (Vec<String>, Vec<String>) {
    let described = e.instance_named(name).expect("registered").describe();
    let of = |list: &[Resource]| {
        let r = list.iter().find(|r| r.name == "GPU").expect("a GPU resource");
        assert_eq!(r.resource_type, "STRINGSET");
        r.string_set_value.clone().expect("a string set")
    };
    (of(&described.registered_resources), of(&described.remaining_resources))
}

/// An instance's GPUs show as a STRINGSET resource named GPU, all of them registered and those no
/// task holds remaining; tasks take the lowest-numbered free ones, a task that asks for more than
/// are free is refused with RESOURCE:GPU, and a stopped task's GPUs are free again.
#[test]
fn gpus_register_as_platform_devices_and_tasks_take_the_free_ones() {
    let mut e = common::engine_with_app(3);
    e.handle(registration("g1", gpus("g1", 4))).expect("registers");
    e.handle(gpu_task_definition("one", &["1"])).expect("a valid task definition");
    e.handle(gpu_task_definition("three", &["2", "1"])).expect("a valid task definition");
    let all: Vec<String> = (0..4).map(|g| format!("GPU-g1-{g}")).collect();
    assert_eq!(gpu_resource(&e, "g1"), (all.clone(), all.clone()));
    assert_eq!(e.instance_named("g1").expect("registered").gpu_ids(), all);

    let (first, failures) = run(&mut e, "one", 2);
    assert_eq!((first.len(), failures.len()), (2, 0));
    assert_eq!(gpu_resource(&e, "g1").1, ["GPU-g1-2", "GPU-g1-3"]);
    assert_eq!(e.task_by_arn(&first[0]).expect("placed").gpu_ids(), ["GPU-g1-0"]);
    assert_eq!(e.task_by_arn(&first[1]).expect("placed").gpu_ids(), ["GPU-g1-1"]);
    assert_eq!(e.instance_named("g1").expect("registered").gpus_free(), 2);

    // Three GPUs over two containers: two are free.
    let (none, failures) = run(&mut e, "three", 1);
    assert!(none.is_empty());
    assert_eq!(failures, ["RESOURCE:GPU"]);
    assert_eq!(gpu_resource(&e, "g1").1, ["GPU-g1-2", "GPU-g1-3"], "a refused placement pins nothing");

    // The first task stops: its GPU is free for placement at once, and free by ID once it is STOPPED.
    e.handle(Request::StopTask(StopTaskRequest {
        cluster: Some("prod".into()),
        task: first[0].clone(),
        reason: Some("done".into()),
    }))
    .expect("stops");
    assert_eq!(gpu_resource(&e, "g1").1, ["GPU-g1-0", "GPU-g1-2", "GPU-g1-3"]);
    e.advance_to(e.now_ms() + 120_000, 1_000_000);
    let stopped = e.task_by_arn(&first[0]).expect("describable");
    assert_eq!(stopped.last_status(), TaskStatus::Stopped);
    assert!(stopped.gpu_ids().is_empty(), "a stopped task holds no GPU");
    let (three, failures) = run(&mut e, "three", 1);
    assert!(failures.is_empty());
    assert_eq!(e.task_by_arn(&three[0]).expect("placed").gpu_ids(), ["GPU-g1-0", "GPU-g1-2", "GPU-g1-3"]);
    assert_eq!(e.instance_named("g1").expect("registered").gpus_free(), 0);
    check_invariants(&e).expect("invariants hold");
}

/// A task that reserves GPUs goes only to an instance with that many free; a task that reserves
/// none may use a GPU instance's CPU and memory. A service that finds no GPU free says so in
/// ECS's words for a placement error of the closest instance.
#[test]
fn placement_needs_free_gpus_and_a_service_reports_resource_gpu() {
    let mut e = common::engine_with_app(5);
    common::register_instance(&mut e, "plain", "us-east-1a", 2048, 8192);
    e.handle(registration("g1", gpus("g1", 1))).expect("registers");
    trainer_service(&mut e, 2);
    e.advance_to(e.now_ms() + 300_000, 1_000_000);
    let trainer = e.service_named("trainer").expect("created");
    let placed: Vec<&str> = trainer.tasks().filter(|t| !t.desired_stopped()).map(|t| t.instance().name()).collect();
    assert_eq!(placed, ["g1"], "the plain instance has room but no GPU");
    assert!(trainer.placement_failures_for(PlacementFailureReason::Gpu) > 0);
    assert_eq!(trainer.task_size().gpu, 1);
    let (_, last) = trainer.events().last().expect("an event");
    assert!(last.contains("encountered error \"RESOURCE:GPU\""), "{last}");
    // A task without GPUs runs on the GPU instance as well as anywhere.
    let (apps, failures) = run(&mut e, "app", 10);
    assert!(failures.is_empty());
    assert!(apps.iter().any(|t| e.task_by_arn(t).expect("placed").instance().name() == "g1"));
    check_invariants(&e).expect("invariants hold");
}

/// The agent holds a task's GPUs until its containers stop, as it holds its CPU, memory and
/// ports: a service's replacement placed where its stopping task was is pinned the same GPU and
/// waits in PENDING (RESOURCE:GPU) until the old task's container is killed at its stop timeout.
#[test]
fn the_agent_waits_for_a_gpu_still_held_by_a_stopping_task() {
    let mut e = common::engine_with_app(8);
    e.handle(registration("g1", gpus("g1", 1))).expect("registers");
    trainer_service(&mut e, 1);
    e.advance_to(e.now_ms() + 300_000, 1_000_000);
    let old = e.service_named("trainer").expect("created").tasks().next().expect("placed").arn();
    e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: old.clone(), reason: None }))
        .expect("stops");
    e.advance_to(e.now_ms() + 300_000, 1_000_000);
    let trainer = e.service_named("trainer").expect("created");
    let waits: Vec<_> = trainer.agent_waits().filter(|(cause, _)| *cause == AgentWaitCause::Gpu).collect();
    assert_eq!(waits.len(), 1, "{:?}", trainer.agent_waits().map(|(c, _)| c).collect::<Vec<_>>());
    assert!(waits[0].1.longest_wait_ms >= 20_000, "waited about the 30 s stop timeout: {:?}", waits[0].1.longest_wait_ms);
    let new = trainer.tasks().find(|t| t.arn() != old && !t.desired_stopped()).expect("replaced");
    assert_eq!(new.last_status(), TaskStatus::Running);
    assert_eq!(new.gpu_ids(), ["GPU-g1-0"]);
    check_invariants(&e).expect("invariants hold");
}

/// What RegisterContainerInstance and RegisterTaskDefinition refuse about GPUs, each refusal
/// changing nothing.
#[test]
fn gpu_requests_drainsim_does_not_model_or_ecs_refuses_change_nothing() {
    let mut e = common::engine_with_app(4);
    let device = |id: &str, t: &str| PlatformDevice { id: id.into(), device_type: t.into() };
    let refused_registrations: [(Vec<PlatformDevice>, &str); 4] = [
        (vec![device("n0", "NEURON_DEVICE")], "does not model NEURON_DEVICE"),
        (vec![device("x", "FPGA")], "valid values are [GPU, NEURON_DEVICE]"),
        (vec![device("GPU-a", "GPU"), device("GPU-a", "GPU")], "listed twice"),
        (gpus("big", 65), "at most 64"),
    ];
    for (devices, why) in refused_registrations {
        let err = e.handle(registration("g", devices)).expect_err(why);
        assert_eq!(err.kind, EcsErrorKind::InvalidParameterException);
        assert!(err.to_string().contains(why), "{err}");
        assert!(e.instance_named("g").is_none());
    }
    let Request::RegisterContainerInstance(mut as_resource) = registration("g", vec![]) else { unreachable!() };
    as_resource.total_resources.push(Resource::string_set("GPU", vec!["GPU-0".into()]));
    let err = e.handle(Request::RegisterContainerInstance(as_resource)).expect_err("GPUs are platform devices");
    assert!(err.to_string().contains("platformDevices"), "{err}");

    let refused_definitions: [(&[&str], &str); 5] = [
        (&["ALL"], "does not model ALL"),
        (&["0.5"], "not a whole number"),
        (&["-1"], "not a whole number"),
        (&["65"], "from 1 to 64"),
        (&["40", "30"], "reserve 70 GPUs"),
    ];
    for (values, why) in refused_definitions {
        let err = e.handle(gpu_task_definition("t", values)).expect_err(why);
        assert_eq!(err.kind, EcsErrorKind::ClientException);
        assert!(err.to_string().contains(why), "{values:?}: {err}");
    }
    let with = |requirements: Vec<ResourceRequirement>| {
        Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "t".into(),
            container_definitions: vec![ContainerDefinition {
                name: "c".into(),
                memory: Some(512),
                resource_requirements: requirements,
                ..Default::default()
            }],
            ..Default::default()
        })
    };
    let requirement = |t: &str, v: &str| ResourceRequirement { requirement_type: t.into(), value: v.into() };
    for (requirements, why) in [
        (vec![requirement("InferenceAccelerator", "device_1")], "does not model InferenceAccelerator"),
        (vec![requirement("gpu", "1")], "valid values are [GPU, InferenceAccelerator, NeuronDevice]"),
        (vec![requirement("GPU", "1"), requirement("GPU", "1")], "twice"),
    ] {
        let err = e.handle(with(requirements)).expect_err(why);
        assert!(err.to_string().contains(why), "{err}");
    }
    assert!(e.handle(Request::RunTask(RunTaskRequest { task_definition: "t".into(), ..Default::default() })).is_err());
    check_invariants(&e).expect("invariants hold");
}

/// A DAEMON task replaced for failing its health checks keeps its room, its GPU included, for its
/// replacement until it is STOPPED (no replica task takes the GPU meanwhile), and the replacement is
/// pinned that GPU; every event keeps each GPU one task's.
#[test]
fn a_daemon_task_being_replaced_keeps_its_gpu_for_its_replacement() {
    let mut e = common::engine_with_app(12);
    let mut in_zone = |name: &str, zone: &str| {
        let Request::RegisterContainerInstance(mut r) = registration(name, gpus(name, 1)) else { unreachable!() };
        r.instance_identity.availability_zone = zone.into();
        e.handle(Request::RegisterContainerInstance(r)).expect("registers");
    };
    in_zone("g1", "us-east-1a");
    in_zone("g2", "us-east-1b");
    let Request::RegisterTaskDefinition(mut checked) = gpu_task_definition("agent", &["1"]) else { unreachable!() };
    checked.container_definitions[0].health_check = Some(HealthCheck {
        command: vec!["CMD-SHELL".into(), "true".into()],
        interval: Some(5),
        timeout: None,
        retries: None,
        start_period: None,
    });
    e.handle(Request::RegisterTaskDefinition(checked)).expect("a valid task definition");
    e.handle(gpu_task_definition("batch", &["1"])).expect("a valid task definition");
    e.fail_health_checks_on("attribute:ecs.availability-zone == us-east-1b").expect("a valid query");
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "agent".into(),
        task_definition: "agent".into(),
        scheduling_strategy: Some("DAEMON".into()),
        ..Default::default()
    }))
    .expect("a valid daemon service");
    // A replica service that wants every GPU it can get.
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "batch".into(),
        task_definition: "batch".into(),
        desired_count: Some(2),
        ..Default::default()
    }))
    .expect("a valid service");
    let _ = e.run_until_quiet(600_000, 1_000_000);
    let agent = e.service_named("agent").expect("created");
    assert!(agent.unhealthy_tasks() >= 2, "the daemon task on g2 failed and was replaced, more than once");
    let on_g2: Vec<_> = agent.tasks().filter(|t| t.instance().name() == "g2" && t.last_status() != TaskStatus::Stopped).collect();
    assert_eq!(on_g2.len(), 1);
    assert_eq!(on_g2[0].gpu_ids(), ["GPU-g2-0"], "the replacement holds the GPU its predecessor kept for it");
    let batch = e.service_named("batch").expect("created");
    assert!(batch.tasks().all(|t| t.last_status() == TaskStatus::Stopped || t.gpu_ids().is_empty()), "batch got no GPU");
    check_invariants(&e).expect("invariants hold");
}

/// A forced deregistration orphans a GPU instance's tasks: they leave it, holding no GPU, and
/// their service's replacements go where a GPU is free.
#[test]
fn tasks_orphaned_by_a_forced_deregistration_hold_no_gpu() {
    let mut e = common::engine_with_app(9);
    e.handle(registration("g1", gpus("g1", 2))).expect("registers");
    e.handle(registration("g2", gpus("g2", 2))).expect("registers");
    trainer_service(&mut e, 2);
    e.advance_to(e.now_ms() + 120_000, 1_000_000);
    let g1 = e.instance_named("g1").expect("registered");
    let on_g1: Vec<String> = g1.tasks().map(|t| t.arn()).collect();
    assert!(!on_g1.is_empty(), "spread puts a task on each instance");
    let arn = g1.arn();
    e.handle(Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        container_instance: arn,
        force: Some(true),
    }))
    .expect("deregisters");
    for t in &on_g1 {
        let t = e.task_by_arn(t).expect("describable");
        assert!(t.orphaned());
        assert!(t.gpu_ids().is_empty(), "an orphaned task holds no GPU");
    }
    e.advance_to(e.now_ms() + 300_000, 1_000_000);
    let g2 = e.instance_named("g2").expect("registered");
    assert_eq!(g2.gpus_free(), 0, "the replacement took g2's other GPU");
    assert_eq!(e.service_named("trainer").expect("created").running_count(), 2);
    check_invariants(&e).expect("invariants hold");
}
