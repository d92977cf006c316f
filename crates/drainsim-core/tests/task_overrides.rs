//! RunTask's and StartTask's `overrides` of a task's size ("The cpu override for the task", "The
//! memory override for the task",
//! <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html>): the task
//! is placed by, reserves and gives back its own size, DescribeTasks reports it, and an override
//! RegisterTaskDefinition would refuse as a task-level size is refused with nothing changed.

mod common;

use common::{engine_with_app, register_instance};
use drainsim_core::api::*;
use drainsim_core::{check_invariants, EcsErrorKind, Engine, TaskStatus};

/// An instance's remaining CPU units and MiB, as DescribeContainerInstances reports them.
fn remaining(e: &Engine, name: &str) -> (i64, i64) {
    let described = e.instance_named(name).expect("registered").describe();
    let of =
        |n: &str| described.remaining_resources.iter().find(|r| r.name == n).and_then(|r| r.integer_value).expect("reported");
    (of("CPU"), of("MEMORY"))
}

fn overrides(cpu: Option<&str>, memory: Option<&str>) -> Option<TaskOverride> {
    Some(TaskOverride { cpu: cpu.map(str::to_string), memory: memory.map(str::to_string) })
}

/// RunTask of `app` (512 CPU units, 1024 MiB) binpacked by memory, with these overrides.
fn run_app(e: &mut Engine, over: Option<TaskOverride>) -> Result<Response, drainsim_core::EcsError> {
    e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "app".into(),
        placement_strategy: vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }],
        overrides: over,
        ..Default::default()
    }))
}

fn describe(e: &mut Engine, arn: &str) -> Task {
    match e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![arn.into()] })) {
        Ok(Response::Tasks { mut tasks, .. }) => tasks.remove(0),
        other => panic!("DescribeTasks answers with the task: {other:?}"),
    }
}

/// An engine with `small` (2,048 units, 4,096 MiB) and `big` (8,192 units, 16,384 MiB).
fn two_instances() -> Engine {
    let mut e = engine_with_app(7);
    register_instance(&mut e, "small", "us-east-1a", 2048, 4096);
    register_instance(&mut e, "big", "us-east-1a", 8192, 16384);
    e
}

#[test]
fn an_overridden_task_is_placed_reserves_and_releases_its_own_size() {
    let mut e = two_instances();
    // Binpack puts a task of the definition's size on the fuller instance, `small`; one of 4 vCPUs
    // and 8 GB fits on `big` only.
    let Ok(Response::Tasks { tasks, failures }) = run_app(&mut e, overrides(Some("4 vCPU"), Some("8192"))) else {
        panic!("RunTask answers")
    };
    assert!(failures.is_empty(), "{failures:?}");
    let arn = tasks[0].task_arn.clone();
    assert_eq!(tasks[0].container_instance_arn.as_deref(), Some(e.instance_named("big").unwrap().arn().as_str()));
    assert_eq!(remaining(&e, "big"), (8192 - 4096, 16384 - 8192), "it reserves the override");
    assert_eq!(remaining(&e, "small"), (2048, 4096));
    let described = describe(&mut e, &arn);
    assert_eq!((described.cpu.as_str(), described.memory.as_str()), ("4096", "8192"));
    assert_eq!(described.overrides, TaskOverride { cpu: Some("4096".into()), memory: Some("8192".into()) });
    let size = e.task_by_arn(&arn).expect("placed").size();
    assert_eq!((size.cpu, size.memory), (4096, 8192));

    // A task without overrides keeps its definition's size and reports no overrides.
    let Ok(Response::Tasks { tasks: plain, .. }) = run_app(&mut e, None) else { panic!("RunTask answers") };
    assert_eq!(plain[0].container_instance_arn.as_deref(), Some(e.instance_named("small").unwrap().arn().as_str()));
    assert_eq!(remaining(&e, "small"), (2048 - 512, 4096 - 1024));
    let plain = describe(&mut e, &plain[0].task_arn);
    assert_eq!((plain.cpu.as_str(), plain.memory.as_str()), ("512", "1024"));
    assert!(plain.overrides.is_empty());
    let json = serde_json::to_string(&plain).expect("serializes");
    assert!(!json.contains("overrides"), "no overrides, none reported: {json}");

    // Only the memory: the CPU stays the definition's.
    let Ok(Response::Tasks { tasks: half, .. }) = run_app(&mut e, overrides(None, Some("2 GB"))) else {
        panic!("RunTask answers")
    };
    let half = describe(&mut e, &half[0].task_arn);
    assert_eq!((half.cpu.as_str(), half.memory.as_str()), ("512", "2048"));
    assert_eq!(half.overrides, TaskOverride { cpu: None, memory: Some("2048".into()) });
    check_invariants(&e).expect("the recount reads the overridden sizes");

    // Stopped, it gives back what it took.
    let before = remaining(&e, "big");
    e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: arn.clone(), reason: None }))
        .expect("stops");
    e.advance_to(e.now_ms() + 120_000, 1_000_000);
    assert_eq!(e.task_by_arn(&arn).unwrap().last_status(), TaskStatus::Stopped);
    let (cpu, memory) = remaining(&e, "big");
    assert_eq!((cpu - before.0, memory - before.1), (4096, 8192), "its release gives its own size back");
    check_invariants(&e).expect("consistent");
}

#[test]
fn start_task_places_by_the_override() {
    let mut e = two_instances();
    let start = |e: &mut Engine, over| {
        let small = e.instance_named("small").unwrap().arn();
        match e.handle(Request::StartTask(StartTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            container_instances: vec![small],
            overrides: over,
            ..Default::default()
        })) {
            Ok(Response::Tasks { tasks, failures }) => (tasks, failures),
            other => panic!("StartTask answers: {other:?}"),
        }
    };
    let (tasks, failures) = start(&mut e, overrides(None, Some("5000")));
    assert!(tasks.is_empty());
    assert_eq!(failures[0].reason, "RESOURCE:MEMORY", "5,000 MiB do not fit in 4,096");
    let (tasks, _) = start(&mut e, overrides(Some("2048"), None));
    assert_eq!((tasks[0].cpu.as_str(), tasks[0].memory.as_str()), ("2048", "1024"));
    assert_eq!(remaining(&e, "small"), (0, 4096 - 1024));
    check_invariants(&e).expect("consistent");
}

#[test]
fn an_override_a_task_definition_could_not_have_is_refused_with_nothing_changed() {
    let mut e = two_instances();
    let digest = e.state_digest();
    let refused = |e: &mut Engine, over, says: &str| {
        let err = run_app(e, over).expect_err("refused");
        assert_eq!(err.kind, EcsErrorKind::ClientException, "{err}");
        assert!(err.message.contains(says), "{err}");
    };
    // RegisterTaskDefinition's own messages, for its own rules.
    refused(&mut e, overrides(Some("100"), None), "Invalid 'cpu' setting for task: '100'");
    refused(&mut e, overrides(Some("a lot"), None), "Invalid 'cpu' setting for task: 'a lot'");
    refused(&mut e, overrides(None, Some("0")), "Invalid 'memory' setting for task: '0'");
    refused(&mut e, overrides(None, Some("1.3 GB")), "Invalid 'memory' setting for task: '1.3 GB'");
    // The container reserves 1,024 MiB: a task of 512 could not hold it.
    refused(
        &mut e,
        overrides(Some("1024"), Some("512")),
        "The containers reserve 1024 MiB of memory, more than the task's 512 MiB.",
    );
    let small = e.instance_named("small").unwrap().arn();
    let err = e
        .handle(Request::StartTask(StartTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            container_instances: vec![small.clone()],
            overrides: overrides(Some("99"), None),
            ..Default::default()
        }))
        .expect_err("refused");
    assert!(err.message.contains("Invalid 'cpu' setting for task: '99'"), "{err}");
    // A service's task has no overrides.
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(0),
        ..Default::default()
    }))
    .expect("creates");
    let digest_with_service = e.state_digest();
    let err = e
        .adopt_running_task(AdoptTaskRequest {
            cluster: Some("prod".into()),
            container_instance: small,
            task_definition: "app".into(),
            service: Some("web".into()),
            overrides: overrides(Some("1024"), None),
            healthy: true,
            ..Default::default()
        })
        .expect_err("refused");
    assert!(err.message.contains("has no overrides"), "{err}");
    assert_eq!(e.state_digest(), digest_with_service, "a refused adoption changes nothing");
    assert_ne!(digest, digest_with_service);
    assert_eq!(remaining(&e, "small"), (2048, 4096));
    assert_eq!(remaining(&e, "big"), (8192, 16384));
}

#[test]
fn refused_overrides_leave_the_state_digest_alone() {
    let mut e = two_instances();
    let digest = e.state_digest();
    for over in [overrides(Some("100"), None), overrides(None, Some("512")), overrides(Some("200000"), Some("1024"))] {
        run_app(&mut e, over).expect_err("refused");
        assert_eq!(e.state_digest(), digest);
    }
}
