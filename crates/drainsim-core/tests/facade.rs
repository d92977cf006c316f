//! The façade's lookups: by name and by ARN, in both ARN formats, for instances that no operation
//! finds any more, and refusing near misses.

mod common;

use drainsim_core::api::*;
use drainsim_core::{Engine, InstanceStatus, ServiceStatus, TaskStatus};

fn register(e: &mut drainsim_core::Engine, name: &str) {
    register_with_agent(e, name, None);
}

/// Registers a c5.large in `prod`, reporting `agent_version` when given.
fn register_with_agent(e: &mut drainsim_core::Engine, name: &str, agent_version: Option<&str>) {
    e.handle(registration(name, agent_version, None)).expect("registers");
}

/// The registration of a c5.large named `name` in `prod`, reporting `agent_version` and dated
/// `registered_at_ms` when given.
fn registration(name: &str, agent_version: Option<&str>, registered_at_ms: Option<i64>) -> Request {
    Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
        instance_identity: InstanceIdentity {
            name: name.into(),
            instance_type: "c5.large".into(),
            availability_zone: "us-east-1a".into(),
            registered_at_ms,
            ..Default::default()
        },
        version_info: agent_version.map(|v| VersionInfo { agent_version: Some(v.into()), ..Default::default() }),
        ..Default::default()
    })
}

/// A standalone task of `family`, run until it is RUNNING and counted as healthy.
fn run_one_task(e: &mut drainsim_core::Engine, family: &str) {
    e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: family.into(),
        count: Some(1),
        ..Default::default()
    }))
    .expect("runs");
    e.run_until_quiet(600_000, 1_000_000);
}

#[test]
fn lookups_by_name_and_arn_agree_and_refuse_near_misses() {
    let mut e = common::engine_with_app(3);
    // The old ARN format for the first instance, the new one for the second.
    e.handle(Request::PutAccountSettingDefault(PutAccountSettingDefaultRequest {
        name: "containerInstanceLongArnFormat".into(),
        value: "disabled".into(),
    }))
    .expect("a valid setting");
    register(&mut e, "old");
    e.handle(Request::PutAccountSettingDefault(PutAccountSettingDefaultRequest {
        name: "containerInstanceLongArnFormat".into(),
        value: "enabled".into(),
    }))
    .expect("a valid setting");
    register(&mut e, "new");
    run_one_task(&mut e, "app");

    for name in ["old", "new"] {
        let i = e.instance_named(name).expect("registered");
        let arn = i.arn();
        assert_eq!(e.instance_by_arn(&arn).map(|j| j.id()), Some(i.id()), "{arn}");
        if arn.contains("/prod/") {
            assert!(e.instance_by_arn(&arn.replace("/prod/", "/other/")).is_none(), "another cluster's ARN: {arn}");
        }
        assert!(e.instance_by_arn(&format!("{arn}0")).is_none());
        assert!(e.instance_by_arn(&arn[..arn.len() - 1]).is_none());
        // The container instance ID that ends the ARN finds it too, as requests take it; a
        // prefix of it, or the ID with its case changed, does not.
        let id = arn.rsplit('/').next().unwrap();
        assert_eq!(e.instance_by_arn(id).map(|j| j.id()), Some(i.id()), "{id}");
        assert!(e.instance_by_arn(&id[..id.len() - 1]).is_none());
        assert!(e.instance_by_arn(&id.to_uppercase()).is_none());
    }
    assert_ne!(
        e.instance_named("old").unwrap().arn().matches('/').count(),
        e.instance_named("new").unwrap().arn().matches('/').count()
    );
    assert!(e.instance_named("nobody").is_none());
    assert!(e.instance_by_arn("not an arn").is_none());

    let task = e.tasks().next().expect("RunTask placed a task");
    assert_eq!(task.last_status(), TaskStatus::Running);
    assert_eq!(e.task_by_arn(&task.arn()).map(|t| t.id()), Some(task.id()));
    assert!(e.task_by_arn(&task.arn().replace("task/", "task/x")).is_none());
    let task_id = task.arn().rsplit('/').next().unwrap().to_string();
    assert_eq!(e.task_by_arn(&task_id).map(|t| t.id()), Some(task.id()), "by its task ID");
    assert!(task.service().is_none(), "a RunTask task is standalone");
    let on = task.instance();
    assert!(on.tasks().any(|t| t.id() == task.id()));

    // An instance INACTIVE past its describable hour is found by ARN, though no operation finds it.
    let old = e.instance_named("old").unwrap();
    let (old_id, old_arn) = (old.id(), old.arn());
    e.handle(Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        container_instance: old_arn.clone(),
        force: Some(true),
    }))
    .expect("deregisters");
    // The hour is kept by a background event: move the clock past it.
    assert!(e.advance_to(e.now_ms() + 2 * 3_600_000, 1_000_000));
    let old = e.instance_by_arn(&old_arn).expect("still found by ARN");
    assert_eq!((old.id(), old.status(), old.forgotten()), (old_id, InstanceStatus::Inactive, true));
    // Its name stays its own: registering it again is refused, saying why (it read "is already
    // registered" of an INACTIVE instance), and nothing changes.
    let digest = e.state_digest();
    let refused = e.handle(registration("old", None, None)).expect_err("a name taken for the engine's life").to_string();
    assert!(
        refused.contains(
            "An instance named 'old' was registered before (now INACTIVE): logical names are unique for the engine's life"
        ),
        "{refused}"
    );
    let refused = e.handle(registration("new", None, None)).expect_err("registered").to_string();
    assert!(refused.contains("An instance named 'new' is already registered in cluster prod"), "{refused}");
    assert_eq!(e.state_digest(), digest);
}

#[test]
fn a_service_view_reports_its_bounds_and_outcome() {
    let mut e = common::engine_with_app(5);
    for n in 0..3 {
        register(&mut e, &format!("i{n}"));
    }
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(3),
        deployment_configuration: Some(DeploymentConfiguration { minimum_healthy_percent: Some(50), maximum_percent: Some(150) }),
        ..Default::default()
    }))
    .expect("creates");
    e.run_until_quiet(600_000, 1_000_000);
    let web = e.service_named("web").expect("created");
    assert_eq!((web.healthy_floor(), web.task_ceiling()), (2, 4));
    assert_eq!((web.running_count(), web.healthy_count(), web.pending_count()), (3, 3, 0));
    assert_eq!(e.service_by_arn(&web.arn()).map(|s| s.id()), Some(web.id()));
    assert!(web.is_steady() && web.steady_state_at_ms().is_some());
    assert!(web.events_total() > 0);
    let (_, first) = web.event(0);
    assert!(first.starts_with("(service web)"), "{first}");
    assert_eq!(web.tasks().count(), 3);
    assert!(web.tasks().all(|t| t.service().map(|s| s.id()) == Some(web.id())));
    // The view describes it as DescribeServices does, without `&mut`.
    let viewed = web.describe();
    assert_eq!((viewed.service_name.as_str(), viewed.desired_count, viewed.running_count), ("web", 3, 3));
    let described = e
        .handle(Request::DescribeServices(DescribeServicesRequest { cluster: Some("prod".into()), services: vec!["web".into()] }))
        .expect("describes");
    match described {
        Response::Services { services, .. } => assert_eq!(services, [viewed]),
        other => panic!("unexpected response {other:?}"),
    }
}

/// Two clusters may each have a service of one name: `service_in_cluster` finds each, and neither
/// an unknown cluster nor an unknown name finds one.
#[test]
fn services_of_one_name_in_two_clusters_are_found_by_cluster() {
    let mut e = common::engine_with_app(5);
    e.create_cluster("staging").expect("valid name");
    for (cluster, count) in [("prod", 2), ("staging", 1)] {
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some(cluster.into()),
            service_name: "api".into(),
            task_definition: "app".into(),
            desired_count: Some(count),
            ..Default::default()
        }))
        .expect("creates");
    }
    let prod = e.service_in_cluster("prod", "api").expect("prod's");
    let staging = e.service_in_cluster("staging", "api").expect("staging's");
    assert_ne!(prod.id(), staging.id());
    assert_eq!((prod.desired_count(), staging.desired_count()), (2, 1));
    assert!(prod.arn().contains("/prod/api") || prod.arn().ends_with("/api"), "{}", prod.arn());
    assert!(e.service_in_cluster("dev", "api").is_none() && e.service_in_cluster("prod", "web").is_none());
}

/// A request names a service, task, container instance or task definition by name, ID or its own
/// ARN: an ARN of another cluster, Region or account names nothing, though a resource of its name
/// or ID exists here (a dogfooding helper's UpdateService of staging's service ARN, sent to prod,
/// scaled prod's service of the name to 0; StopTask of another Region's task ARN stopped the task
/// of its ID).
#[test]
fn an_arn_of_another_cluster_region_or_account_names_nothing() {
    let mut e = common::engine_with_app(5);
    e.create_cluster("staging").expect("valid name");
    for cluster in ["prod", "staging"] {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some(cluster.into()),
            total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
            instance_identity: InstanceIdentity {
                name: format!("{cluster}-1"),
                instance_type: "c5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some(cluster.into()),
            service_name: "api".into(),
            task_definition: "app".into(),
            desired_count: Some(1),
            ..Default::default()
        }))
        .expect("creates");
    }
    e.run_until_quiet(600_000, 100_000);
    let staging = e.service_in_cluster("staging", "api").expect("staging's").arn();
    let prod = e.service_in_cluster("prod", "api").expect("prod's").arn();
    let elsewhere = prod.replace("us-east-1", "eu-west-1");
    for arn in [staging.as_str(), elsewhere.as_str(), "x/y/api"] {
        let update = e.handle(Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: arn.into(),
            desired_count: Some(0),
            ..Default::default()
        }));
        assert!(update.is_err(), "UpdateService of {arn} in prod: {update:?}");
    }
    assert_eq!(e.service_in_cluster("prod", "api").unwrap().desired_count(), 1);
    // Its own ARN and its name still name it.
    for own in [prod.as_str(), "api"] {
        let described = e.handle(Request::DescribeServices(DescribeServicesRequest {
            cluster: Some("prod".into()),
            services: vec![own.into()],
        }));
        assert!(matches!(described, Ok(Response::Services { ref services, .. }) if services.len() == 1), "{own}: {described:?}");
    }
    let staging_task = e.tasks().find(|t| t.arn().contains("/staging/")).expect("staging's task").arn();
    let prod_task = e.tasks().find(|t| t.arn().contains("/prod/")).expect("prod's task").arn();
    let prod_task_elsewhere = prod_task.replace("123456789012", "999999999999");
    for arn in [staging_task.as_str(), prod_task_elsewhere.as_str()] {
        let stopped =
            e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: arn.into(), reason: None }));
        assert!(stopped.is_err(), "StopTask of {arn} in prod: {stopped:?}");
    }
    assert!(e.tasks().all(|t| t.last_status() == TaskStatus::Running), "no task stopped");
    let instance = e.instance_named("prod-1").expect("registered").arn();
    let drained = e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
        cluster: Some("prod".into()),
        container_instances: vec![instance.replace("us-east-1", "eu-west-1")],
        status: "DRAINING".into(),
    }));
    assert!(matches!(drained, Ok(Response::ContainerInstances { ref failures, .. }) if failures.len() == 1), "{drained:?}");
    let foreign_definition = e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "arn:aws:ecs:eu-west-1:999999999999:task-definition/app:1".into(),
        desired_count: Some(1),
        ..Default::default()
    }));
    assert!(foreign_definition.is_err(), "{foreign_definition:?}");
    // This account's task definition ARN, with its revision or without (the latest), names it.
    for (name, own) in [
        ("web", "arn:aws:ecs:us-east-1:123456789012:task-definition/app:1"),
        ("web2", "arn:aws:ecs:us-east-1:123456789012:task-definition/app"),
    ] {
        let created = e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: name.into(),
            task_definition: own.into(),
            desired_count: Some(0),
            ..Default::default()
        }));
        assert!(created.is_ok(), "{own}: {created:?}");
    }
    // A task's ID alone, and its cluster's ARN, still name it.
    let id = prod_task.rsplit('/').next().unwrap().to_string();
    let by_id = e.handle(Request::DescribeTasks(DescribeTasksRequest { cluster: Some("prod".into()), tasks: vec![id] }));
    assert!(matches!(by_id, Ok(Response::Tasks { ref tasks, .. }) if tasks.len() == 1), "{by_id:?}");
    let by_cluster_arn = e.handle(Request::DescribeTasks(DescribeTasksRequest {
        cluster: Some("arn:aws:ecs:us-east-1:123456789012:cluster/prod".into()),
        tasks: vec![prod_task.clone()],
    }));
    assert!(matches!(by_cluster_arn, Ok(Response::Tasks { ref tasks, .. }) if tasks.len() == 1), "{by_cluster_arn:?}");
}

/// Every change of a service's `desiredCount` and status is in the trace: a daemon service's
/// desired count follows its cluster's ACTIVE instances, and a deleted service goes INACTIVE once
/// its last task stopped.
#[test]
fn daemon_desired_counts_and_a_deleted_service_going_inactive_are_recorded() {
    let mut e = drainsim_core::Engine::new(drainsim_core::EngineConfig { seed: 9, ..Default::default() });
    e.create_cluster("prod").expect("a valid name");
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(256),
            memory: Some(256),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("registers");
    register(&mut e, "i0");
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "agent".into(),
        task_definition: "app".into(),
        scheduling_strategy: Some("DAEMON".into()),
        ..Default::default()
    }))
    .expect("creates");
    e.run_until_quiet(600_000, 1_000_000);
    register(&mut e, "i1");
    e.run_until_quiet(1_200_000, 1_000_000);
    let agent = e.service_named("agent").expect("created").id();
    let about_agent = |e: &drainsim_core::Engine| -> Vec<String> {
        e.trace()
            .records()
            .iter()
            .filter(|r| r.subject == drainsim_core::Subject::Service(agent))
            .map(|r| e.describe_record(r).change)
            .collect()
    };
    let changes = about_agent(&e);
    assert!(changes.contains(&"desiredCount 1".to_string()), "{changes:?}");
    assert!(changes.contains(&"desiredCount 2".to_string()), "{changes:?}");
    assert_eq!(e.service(agent).desired_count(), 2);

    e.handle(Request::DeleteService(DeleteServiceRequest {
        cluster: Some("prod".into()),
        service: "agent".into(),
        force: Some(true),
    }))
    .expect("deletes");
    e.run_until_quiet(2_400_000, 1_000_000);
    assert_eq!(e.service(agent).status(), drainsim_core::ServiceStatus::Inactive);
    let changes = about_agent(&e);
    let deleted = changes.iter().position(|c| c == "service deleted").expect("deletion recorded");
    let inactive = changes.iter().position(|c| c == "status INACTIVE").expect("INACTIVE recorded");
    assert!(deleted < inactive, "{changes:?}");
}

/// DescribeTasks reports `healthStatus` from the essential containers' health checks: UNKNOWN for a
/// task without one, although the scheduler counts it as healthy 40 s after RUNNING.
#[test]
fn a_task_without_container_health_checks_reports_unknown() {
    let mut e = common::engine_with_app(13);
    register(&mut e, "i0");
    run_one_task(&mut e, "app");
    let task = e.tasks().next().expect("placed");
    assert!(task.healthy(), "counted as healthy 40 s after RUNNING");
    // The view describes it as the request does, without `&mut`.
    let viewed = task.describe();
    let described = e
        .handle(Request::DescribeTasks(DescribeTasksRequest {
            cluster: Some("prod".into()),
            tasks: vec![viewed.task_arn.clone()],
        }))
        .expect("describes");
    match described {
        Response::Tasks { tasks, .. } => {
            assert_eq!(tasks[0].health_status, "UNKNOWN");
            assert_eq!(tasks[0], viewed);
        }
        other => panic!("unexpected response {other:?}"),
    }
}

/// `healthStatus` is HEALTHY only when every essential container has a health check and passed it:
/// an essential container without a check is UNKNOWN, and so is its task ("If Container1 is HEALTHY
/// and Container2 is UNKNOWN, the task health is UNKNOWN", API HealthCheck). A non-essential
/// container without a check does not matter. Both tasks count as healthy for the scheduler.
#[test]
fn an_unchecked_essential_container_keeps_the_task_unknown() {
    let mut e = common::engine_with_app(14);
    register(&mut e, "i0");
    let check = || {
        Some(HealthCheck {
            command: vec!["CMD-SHELL".into(), "true".into()],
            interval: Some(5),
            timeout: None,
            retries: None,
            start_period: None,
        })
    };
    let container = |name: &str, essential: bool, health_check: Option<HealthCheck>| ContainerDefinition {
        name: name.into(),
        cpu: Some(128),
        memory: Some(256),
        essential: Some(essential),
        health_check,
        ..Default::default()
    };
    for (family, second_essential) in [("sidecar", false), ("proxy", true)] {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: family.into(),
            container_definitions: vec![container("app", true, check()), container(family, second_essential, None)],
            ..Default::default()
        }))
        .expect("a valid task definition");
        run_one_task(&mut e, family);
    }
    let tasks: Vec<_> = e.tasks().collect();
    assert_eq!(tasks.len(), 2);
    assert!(tasks.iter().all(|t| t.healthy()), "both count as healthy");
    let described = e
        .handle(Request::DescribeTasks(DescribeTasksRequest {
            cluster: Some("prod".into()),
            tasks: tasks.iter().map(|t| t.arn()).collect(),
        }))
        .expect("describes");
    match described {
        Response::Tasks { tasks, .. } => {
            let status = |family: &str| {
                let t = tasks.iter().find(|t| t.task_definition_arn.contains(&format!("/{family}:"))).expect("described");
                t.health_status.clone()
            };
            assert_eq!(status("sidecar"), "HEALTHY");
            assert_eq!(status("proxy"), "UNKNOWN");
        }
        other => panic!("unexpected response {other:?}"),
    }
}

/// DescribeContainerInstances with `include: CONTAINER_INSTANCE_HEALTH` returns `healthStatus` as
/// the model spells it: the container runtime check is OK while the agent is connected and
/// INSUFFICIENT_DATA once it disconnects; an agent before 1.57.0 reports no check; without the
/// include there is no `healthStatus`.
#[test]
fn describe_container_instances_includes_container_instance_health() {
    let mut e = common::engine_with_app(0);
    for (name, version) in [("new", "1.89.2"), ("old", "1.29.0")] {
        register_with_agent(&mut e, name, Some(version));
    }
    let arns: Vec<String> = ["new", "old"].iter().map(|n| e.instance_named(n).expect("registered").arn()).collect();
    let describe = |e: &mut drainsim_core::Engine, include: Vec<String>| -> Vec<ContainerInstance> {
        match e.handle(Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
            cluster: Some("prod".into()),
            container_instances: arns.clone(),
            include,
        })) {
            Ok(Response::ContainerInstances { container_instances, failures }) => {
                assert!(failures.is_empty());
                container_instances
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(describe(&mut e, vec![]).iter().all(|i| i.health_status.is_none()));
    e.advance_to(60_000, 1_000);
    let got = describe(&mut e, vec!["CONTAINER_INSTANCE_HEALTH".into()]);
    let new = got[0].health_status.clone().expect("included");
    assert_eq!(new.overall_status, "OK");
    let check = &new.details.as_ref().expect("agent 1.57.0 or later is checked")[0];
    assert_eq!((check.check_type.as_str(), check.status.as_str()), ("CONTAINER_RUNTIME", "OK"));
    assert!(check.last_updated > check.last_status_change, "updated now, OK since registration");
    let old = got[1].health_status.clone().expect("included");
    assert_eq!((old.overall_status.as_str(), old.details.is_none()), ("INSUFFICIENT_DATA", true));
    let json = serde_json::to_value(&got[0]).expect("serializes");
    assert_eq!(json["healthStatus"]["details"][0]["type"], "CONTAINER_RUNTIME");
    assert_eq!(json["healthStatus"]["overallStatus"], "OK");

    let new_id = e.instance_named("new").expect("registered").id();
    e.pin_fault(90_000, drainsim_core::PinnedFault::AgentDisconnect(new_id)).expect("pinned");
    e.advance_to(120_000, 1_000);
    let new =
        describe(&mut e, vec!["CONTAINER_INSTANCE_HEALTH".into(), "TAGS".into()])[0].health_status.clone().expect("included");
    assert_eq!(new.overall_status, "INSUFFICIENT_DATA");
    let check = &new.details.expect("still one check")[0];
    assert_eq!(check.status, "INSUFFICIENT_DATA");
    assert_eq!(check.last_status_change, check.last_updated, "no report since the disconnect");
}

/// `submit` applies a request exactly as `handle` does (the same trace, record for record) and
/// its receipt names what the call did, with the failures the response would carry.
#[test]
fn submit_changes_what_handle_changes_and_renders_nothing() {
    let requests = |e: &drainsim_core::Engine| {
        let a = e.instance_named("a").expect("registered").arn();
        vec![
            Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
                cluster: Some("prod".into()),
                container_instances: vec![a, "no-such-instance".into()],
                status: "DRAINING".into(),
            }),
            Request::RunTask(RunTaskRequest {
                cluster: Some("prod".into()),
                task_definition: "app".into(),
                count: Some(2),
                ..Default::default()
            }),
        ]
    };
    let mut handled = common::engine_with_app(5);
    let mut submitted = common::engine_with_app(5);
    for e in [&mut handled, &mut submitted] {
        register(e, "a");
        register(e, "b");
    }
    let mut responses = Vec::new();
    for r in requests(&handled) {
        responses.push(handled.handle(r).expect("accepted"));
    }
    let mut receipts = Vec::new();
    for r in requests(&submitted) {
        receipts.push(submitted.submit(r).expect("accepted"));
    }
    handled.run_until_quiet(600_000, 1_000_000);
    submitted.run_until_quiet(600_000, 1_000_000);
    assert_eq!(handled.trace().digest(), submitted.trace().digest());
    assert_eq!(handled.trace().len(), submitted.trace().len());

    let Response::ContainerInstances { container_instances, failures } = &responses[0] else { panic!("{:?}", responses[0]) };
    assert_eq!(&receipts[0].failures, failures);
    assert_eq!(failures.len(), 1, "the unknown instance is a failure");
    let drained: Vec<String> = receipts[0].instances.iter().map(|id| submitted.instance(*id).arn()).collect();
    assert_eq!(drained, container_instances.iter().map(|c| c.container_instance_arn.clone()).collect::<Vec<_>>());
    let Response::Tasks { tasks, .. } = &responses[1] else { panic!("{:?}", responses[1]) };
    let started: Vec<String> = receipts[1].tasks.iter().map(|id| submitted.task(*id).arn()).collect();
    assert_eq!(started, tasks.iter().map(|t| t.task_arn.clone()).collect::<Vec<_>>());
    assert_eq!(started.len(), 2);
}

/// An instance's attributes are listed by name, in the view and in DescribeContainerInstances,
/// whatever order the names were first seen in (a custom attribute named before the built-in
/// ones, one after them, one the registration overrides).
#[test]
fn attributes_are_listed_by_name() {
    let mut e = common::engine_with_app(0);
    let attribute =
        |name: &str, value: &str| Attribute { name: name.into(), value: Some(value.into()), target_type: None, target_id: None };
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
        instance_identity: InstanceIdentity {
            name: "a".into(),
            instance_type: "c5.large".into(),
            availability_zone: "us-east-1a".into(),
            ..Default::default()
        },
        attributes: vec![attribute("zone-tier", "gold"), attribute("ecs.os-type", "linux"), attribute("a-stack", "blue")],
        ..Default::default()
    }))
    .expect("registers");
    // The trunking capability is the (current, Linux) agent's, though the account did not opt in.
    let want = [
        "a-stack",
        "ecs.availability-zone",
        "ecs.capability.task-eni",
        "ecs.capability.task-eni-trunking",
        "ecs.cpu-architecture",
        "ecs.instance-type",
        "ecs.os-type",
        "zone-tier",
    ];
    let view: Vec<&str> = e.instance_named("a").expect("registered").attributes().into_iter().map(|(n, _)| n).collect();
    assert_eq!(view, want);
    let arn = e.instance_named("a").expect("registered").arn();
    let described = match e.handle(Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
        cluster: Some("prod".into()),
        container_instances: vec![arn],
        include: vec![],
    })) {
        Ok(Response::ContainerInstances { container_instances, .. }) => container_instances,
        other => panic!("unexpected {other:?}"),
    };
    let names: Vec<&str> = described[0].attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, want);
}

/// The `revision` extension of RegisterTaskDefinition (a captured cluster's `web:12`): a family's
/// revisions keep their numbers, may skip, only grow, and are found by number; a refused
/// registration changes nothing.
#[test]
fn captured_task_definition_revisions_keep_their_numbers() {
    let mut e = common::engine_with_app(0);
    let register = |e: &mut drainsim_core::Engine, revision: Option<u32>| {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            container_definitions: vec![ContainerDefinition {
                name: "web".into(),
                cpu: Some(256),
                memory: Some(512),
                ..Default::default()
            }],
            revision,
            ..Default::default()
        }))
        .map(|r| match r {
            Response::TaskDefinition { task_definition } => task_definition.revision,
            other => panic!("unexpected {other:?}"),
        })
    };
    assert_eq!(register(&mut e, Some(12)), Ok(12), "a new family may start past 1");
    let before = e.state_digest();
    for refused in [Some(12), Some(3), Some(1_000_001)] {
        let err = register(&mut e, refused).expect_err("refused");
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::InvalidParameterException, "{refused:?}");
        assert!(err.message.contains("revisions only grow, from 13 to 1000000"), "{}", err.message);
    }
    assert_eq!(e.state_digest(), before, "a refused registration changes nothing");
    assert_eq!(register(&mut e, None), Ok(13), "ECS numbers the next one after the latest");
    assert_eq!(register(&mut e, Some(20)), Ok(20));
    let run = |e: &mut drainsim_core::Engine, reference: &str| {
        e.handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: reference.into(),
            count: Some(1),
            ..Default::default()
        }))
    };
    assert_eq!(register(&mut e, None), Ok(21));
    for (reference, found) in [("web:12", true), ("web:13", true), ("web:20", true), ("web:14", false), ("web:1", false)] {
        // The cluster has no instance: a revision found gets as far as placement, which ECS
        // refuses for the whole call; one not found is refused before.
        let err = run(&mut e, reference).expect_err("refused");
        let expected =
            if found { "No Container Instances were found in your cluster." } else { "Unable to describe task definition" };
        assert!(err.message.contains(expected), "{reference}: {}", err.message);
    }
}

/// `service_named` in a cluster pair: the latest service of the name that is not INACTIVE, in any
/// cluster, else the latest one; a deleted and re-created name finds the new service.
#[test]
fn a_service_is_found_by_name_across_clusters_and_deletions() {
    let mut e = common::engine_with_app(3);
    e.create_cluster("test").expect("a valid name");
    let create = |e: &mut Engine, cluster: &str| {
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some(cluster.into()),
            service_name: "web".into(),
            task_definition: "app".into(),
            desired_count: Some(0),
            ..Default::default()
        }))
        .expect("creates");
        e.services().last().expect("created").id()
    };
    let delete = |e: &mut Engine, cluster: &str| {
        e.handle(Request::DeleteService(DeleteServiceRequest {
            cluster: Some(cluster.into()),
            service: "web".into(),
            force: Some(true),
        }))
        .expect("deletes");
        e.run_until_quiet(e.now_ms() + 600_000, 1_000_000);
    };
    let in_prod = create(&mut e, "prod");
    let in_test = create(&mut e, "test");
    let named = |e: &Engine| e.service_named("web").map(|s| s.id());
    assert_eq!(named(&e), Some(in_test), "the latest of two live services");
    delete(&mut e, "test");
    assert_eq!(e.services().find(|s| s.id() == in_test).map(|s| s.status()), Some(ServiceStatus::Inactive));
    assert_eq!(named(&e), Some(in_prod), "the live one before a later INACTIVE one");
    delete(&mut e, "prod");
    assert_eq!(named(&e), Some(in_test), "all INACTIVE: the latest");
    let again = create(&mut e, "prod");
    assert_eq!(named(&e), Some(again), "a name used again finds the new service");
    assert_eq!(e.services().count(), 3);
    assert_eq!(named(&e).map(|id| e.services().filter(|s| s.id() == id).count()), Some(1));
    assert_eq!(e.service_named("nope").map(|s| s.id()), None);
}

/// An awsvpc service or task is refused while its cluster has an instance, not INACTIVE, whose
/// task ENI limit is unknown (a type not in the table, no explicit limit), naming that instance; an
/// instance in another cluster, or one deregistered, does not count.
#[test]
fn awsvpc_requests_wait_for_every_instance_of_the_cluster_to_have_an_eni_limit() {
    let mut e = common::engine_with_app(4);
    e.create_cluster("other").expect("a valid name");
    common::register_eni_task_definition(&mut e);
    let register_unknown = |e: &mut Engine, cluster: &str, name: &str| {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some(cluster.into()),
            total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "zz9.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
    };
    let create = |e: &mut Engine, name: &str| {
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: name.into(),
            task_definition: "eni".into(),
            desired_count: Some(1),
            ..Default::default()
        }))
    };
    register(&mut e, "known");
    register_unknown(&mut e, "other", "elsewhere");
    create(&mut e, "first").expect("an unknown type in another cluster does not count");
    register_unknown(&mut e, "prod", "odd-1");
    register_unknown(&mut e, "prod", "odd-2");
    let refused = create(&mut e, "second").expect_err("refused");
    assert!(refused.to_string().contains("zz9.large of container instance odd-1 "), "{refused}");
    for name in ["odd-1", "odd-2"] {
        let arn = e.instance_named(name).expect("registered").arn();
        e.handle(Request::DeregisterContainerInstance(DeregisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            container_instance: arn,
            force: Some(true),
        }))
        .expect("deregisters");
        if name == "odd-1" {
            let refused = create(&mut e, "second").expect_err("still refused");
            assert!(refused.to_string().contains("container instance odd-2 "), "{refused}");
        }
    }
    assert_eq!(e.instance_named("odd-2").map(|i| i.status()), Some(InstanceStatus::Inactive));
    create(&mut e, "second").expect("no instance of unknown limit is left");
}

/// A request submitted by reference (`submit_ref_as`) does what the same request submitted by
/// value does, RegisterContainerInstance, RegisterTaskDefinition and CreateService (read in place)
/// and any other (copied), refusals included, and the caller keeps the request.
#[test]
fn submit_ref_as_changes_what_submit_as_changes() {
    let registration = |name: &str, memory: i64| {
        Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", memory)],
            instance_identity: InstanceIdentity {
                name: name.into(),
                instance_type: "c5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        })
    };
    let service = |desired: i64| {
        Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "web".into(),
            desired_count: Some(desired),
            ..Default::default()
        })
    };
    let requests = vec![
        registration("a", 4096),
        registration("b", 8192),
        // Refused: the name is taken, and then a negative memory.
        registration("a", 4096),
        registration("c", -1),
        // Read in place too: a task definition and a service, each accepted and refused.
        Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            container_definitions: vec![ContainerDefinition {
                name: "web".into(),
                cpu: Some(256),
                memory: Some(512),
                ..Default::default()
            }],
            ..Default::default()
        }),
        Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest { family: "no containers".into(), ..Default::default() }),
        service(2),
        // Refused: the name is taken.
        service(1),
        Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            count: Some(3),
            ..Default::default()
        }),
    ];
    let mut by_value = common::engine_with_app(5);
    let mut by_ref = common::engine_with_app(5);
    let caller = by_value.default_caller_arn().to_string();
    for r in &requests {
        let owned = by_value.submit_as(&caller, r.clone());
        let borrowed = by_ref.submit_ref_as(&caller, r);
        assert_eq!(owned.is_ok(), borrowed.is_ok(), "{r:?}");
        match (owned, borrowed) {
            (Ok(a), Ok(b)) => assert_eq!((a.instances, a.tasks.len()), (b.instances, b.tasks.len())),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => unreachable!(),
        }
        assert_eq!(by_value.state_digest(), by_ref.state_digest(), "after {r:?}");
    }
    assert_eq!(by_ref.instances().count(), 2);
    assert_eq!(by_ref.services().count(), 1, "the second CreateService of the name is refused");
    by_value.run_until_quiet(600_000, 1_000_000);
    by_ref.run_until_quiet(600_000, 1_000_000);
    assert_eq!(by_value.trace().digest(), by_ref.trace().digest());
}

/// [`Engine::reset`] leaves an engine in the state of a new one, after a run whose names grew the
/// interner past its first table (the reset then empties it) and after one whose names fit (the
/// reset keeps the built-in names it starts with), and with another account and seed.
#[test]
fn a_reset_engine_is_a_new_engine_whatever_ran_before() {
    for instances in [2, 300] {
        let mut e = common::engine_with_app(3);
        e.override_account_default("awsvpcTrunking", "enabled").expect("a setting");
        for i in 0..instances {
            e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
                cluster: Some("prod".into()),
                total_resources: vec![Resource::integer("CPU", 2048), Resource::integer("MEMORY", 4096)],
                instance_identity: InstanceIdentity {
                    name: format!("node-{i}"),
                    instance_type: "m5.large".into(),
                    availability_zone: "us-east-1a".into(),
                    ..Default::default()
                },
                ..Default::default()
            }))
            .expect("registers");
        }
        e.handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "app".into(),
            desired_count: Some(4),
            ..Default::default()
        }))
        .expect("creates");
        e.run_until_quiet(600_000, 100_000);
        assert!(e.services().next().is_some_and(|s| s.running_count() == 4), "{instances} instances: the service runs");
        let config = drainsim_core::EngineConfig { seed: 11, account_id: "210987654321".into(), ..Default::default() };
        e.reset(config.clone());
        assert_eq!(format!("{e:?}"), format!("{:?}", Engine::new(config)), "{instances} instances");
    }
}

/// RegisterTaskDefinition answers with the task-level `cpu` and `memory` the request gave, in CPU
/// units and MiB (a size in vCPUs or GB converted), and without them when it gave none (an EC2 task
/// definition may size only its containers).
#[test]
fn a_task_definition_answers_with_the_task_size_it_was_given() {
    let mut e = common::engine_with_app(0);
    let mut register = |family: &str, cpu: Option<&str>, memory: Option<&str>| match e.handle(Request::RegisterTaskDefinition(
        RegisterTaskDefinitionRequest {
            family: family.into(),
            cpu: cpu.map(str::to_string),
            memory: memory.map(str::to_string),
            container_definitions: vec![ContainerDefinition {
                name: "web".into(),
                cpu: Some(256),
                memory: Some(512),
                ..Default::default()
            }],
            ..Default::default()
        },
    )) {
        Ok(Response::TaskDefinition { task_definition }) => (task_definition.cpu, task_definition.memory),
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(register("sized", Some("1 vCPU"), Some("2 GB")), (Some("1024".into()), Some("2048".into())));
    assert_eq!(register("halved", Some("0.5 vcpu"), Some("1024")), (Some("512".into()), Some("1024".into())));
    assert_eq!(register("containers-only", None, None), (None, None));
}

/// UpdateService's `placementStrategy`, `placementConstraints` and `healthCheckGracePeriodSeconds`
/// are validated as CreateService validates them, every field before any change: a refused update
/// leaves the service exactly as it was (its description, and the engine's state digest), even
/// when another field of the request was valid. Accepted, they replace the service's lists.
#[test]
fn a_refused_update_leaves_the_service_unchanged() {
    let mut e = common::engine_with_app(11);
    for n in 0..3 {
        register(&mut e, &format!("i{n}"));
    }
    e.handle(Request::CreateService(CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "app".into(),
        desired_count: Some(2),
        placement_strategy: vec![PlacementStrategy { strategy_type: "spread".into(), field: Some("instanceId".into()) }],
        availability_zone_rebalancing: Some("ENABLED".into()),
        health_check_grace_period_seconds: Some(10),
        ..Default::default()
    }))
    .expect("creates");
    e.run_until_quiet(600_000, 1_000_000);
    let describe = |e: &mut Engine| match e
        .handle(Request::DescribeServices(DescribeServicesRequest { cluster: Some("prod".into()), services: vec!["web".into()] }))
    {
        Ok(Response::Services { mut services, .. }) => services.remove(0),
        other => panic!("unexpected {other:?}"),
    };
    let binpack = || vec![PlacementStrategy { strategy_type: "binpack".into(), field: Some("memory".into()) }];
    let member_of = |x: &str| PlacementConstraint { constraint_type: "memberOf".into(), expression: Some(x.into()) };
    let update = |f: &dyn Fn(&mut UpdateServiceRequest)| {
        let mut r = UpdateServiceRequest { cluster: Some("prod".into()), service: "web".into(), ..Default::default() };
        f(&mut r);
        Request::UpdateService(r)
    };
    let refused = [
        // A valid desired count, strategy and grace period with a malformed expression.
        (
            update(&|r| {
                r.desired_count = Some(3);
                r.placement_strategy = Some(binpack());
                r.health_check_grace_period_seconds = Some(60);
                r.placement_constraints = Some(vec![member_of("attribute:ecs.instance-type c5.large")]);
            }),
            "is not a valid cluster query",
        ),
        (
            update(&|r| {
                r.deployment_configuration =
                    Some(DeploymentConfiguration { minimum_healthy_percent: Some(50), maximum_percent: None });
                r.placement_strategy = Some(vec![binpack()[0].clone(); 6]);
            }),
            "At most 5 placement strategy rules",
        ),
        (
            update(&|r| {
                r.placement_strategy = Some(binpack());
                r.placement_constraints =
                    Some(vec![PlacementConstraint { constraint_type: "distinctInstance".into(), expression: None }; 11]);
            }),
            "At most 10 placement constraints",
        ),
        (
            update(&|r| {
                r.placement_strategy = Some(binpack());
                r.health_check_grace_period_seconds = Some(-1);
            }),
            "healthCheckGracePeriodSeconds",
        ),
        (
            update(&|r| r.placement_strategy = Some(vec![PlacementStrategy { strategy_type: "spread".into(), field: None }])),
            "Invalid placement strategy of type 'spread' without a field",
        ),
        // Rebalancing stays ENABLED, which a constraint on the zone attribute does not allow.
        (
            update(&|r| {
                r.placement_strategy = Some(binpack());
                r.placement_constraints = Some(vec![member_of("attribute:ecs.availability-zone == us-east-1a")]);
            }),
            "Availability Zone rebalancing is not supported",
        ),
    ];
    let (before, digest) = (describe(&mut e), e.state_digest());
    for (request, text) in refused {
        let err = e.handle(request.clone()).expect_err("refused");
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::InvalidParameterException, "{request:?}");
        assert!(err.message.contains(text), "{}", err.message);
        assert_eq!(describe(&mut e), before, "a refused {request:?} changed the service");
        assert_eq!(e.state_digest(), digest, "a refused {request:?} changed the state");
        assert!(drainsim_core::check_invariants(&e).is_ok());
    }
    // The zone constraint with rebalancing turned off in the same request; binpack alone keeps
    // rebalancing as it was.
    e.handle(update(&|r| {
        r.placement_constraints = Some(vec![member_of("attribute:ecs.availability-zone == us-east-1a")]);
        r.availability_zone_rebalancing = Some("DISABLED".into());
        r.health_check_grace_period_seconds = Some(60);
    }))
    .expect("accepted");
    e.handle(update(&|r| r.availability_zone_rebalancing = Some("ENABLED".into())))
        .expect_err("rebalancing refused with the zone constraint the service now has");
    e.handle(update(&|r| {
        r.placement_constraints = Some(vec![]);
        r.availability_zone_rebalancing = Some("ENABLED".into());
    }))
    .expect("accepted once the constraint is removed");
    e.handle(update(&|r| r.placement_strategy = Some(binpack()))).expect("binpack keeps rebalancing as set");
    let after = describe(&mut e);
    assert_eq!(after.placement_strategy, binpack());
    assert!(after.placement_constraints.is_empty());
    assert_eq!(after.health_check_grace_period_seconds, Some(60));
    assert_eq!(after.availability_zone_rebalancing, "ENABLED");
    assert_eq!(after.desired_count, 2, "no refused update changed the desired count");
    // An empty list removes the strategy: described empty, placed by the default spread.
    e.handle(update(&|r| r.placement_strategy = Some(vec![]))).expect("accepted");
    assert!(describe(&mut e).placement_strategy.is_empty());
    assert!(drainsim_core::check_invariants(&e).is_ok());
}

/// `registeredAtMs` (a drainsim extension of the instance identity) dates a registration before
/// the run, as a captured cluster's instances registered: DescribeContainerInstances and the
/// cluster query language read it. A time after the request is refused, and nothing changes.
#[test]
fn a_registration_before_the_run_keeps_its_registered_at() {
    let mut e = Engine::new(drainsim_core::EngineConfig { epoch_unix_s: 1_763_596_800, ..Default::default() });
    e.create_cluster("prod").expect("a valid name");
    let register =
        |e: &mut Engine, name: &str, registered_at_ms: Option<i64>| e.handle(registration(name, None, registered_at_ms));
    register(&mut e, "old", Some(-86_400_000)).expect("a day before the run");
    e.advance_to(60_000, 1_000);
    register(&mut e, "now", None).expect("registers");
    let before = e.state_digest();
    let refused = register(&mut e, "future", Some(60_001)).expect_err("after the request");
    assert_eq!(refused.kind, drainsim_core::EcsErrorKind::InvalidParameterException);
    assert!(
        refused.message.contains("registeredAtMs 60001 must be at most the time of the registration (60000 ms)"),
        "{refused}"
    );
    register(&mut e, "ancient", Some(-(1 << 50) - 1)).expect_err("before the earliest time");
    assert_eq!(e.state_digest(), before, "a refused registration changes nothing");

    let arns: Vec<String> = ["old", "now"].iter().map(|n| e.instance_named(n).expect("registered").arn()).collect();
    match e.handle(Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
        cluster: Some("prod".into()),
        container_instances: arns,
        include: vec![],
    })) {
        Ok(Response::ContainerInstances { container_instances, .. }) => {
            let at: Vec<f64> = container_instances.iter().map(|i| i.registered_at).collect();
            assert_eq!(at, [1_763_596_800.0 - 86_400.0, 1_763_596_800.0 + 60.0]);
        }
        other => panic!("unexpected {other:?}"),
    }
    match e.handle(Request::ListContainerInstances(ListContainerInstancesRequest {
        cluster: Some("prod".into()),
        filter: Some("registeredAt < 2025-11-20".into()),
        ..Default::default()
    })) {
        Ok(Response::ContainerInstanceArns { container_instance_arns, .. }) => {
            assert_eq!(container_instance_arns, [e.instance_named("old").expect("registered").arn()]);
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Faults and marks naming an instance this engine does not have (an id of another engine, or
/// built by hand) are refused naming it, and change nothing: they were accepted and the run
/// panicked later ("index out of bounds"), far from the cause. So is a fault pinned in the past.
#[test]
fn faults_on_an_instance_the_engine_does_not_have_are_refused() {
    use drainsim_core::{AgentUpdateStatus, InstanceId, PinnedFault, SpotInterruptionBehavior};
    let mut e = Engine::new(Default::default());
    e.create_cluster("prod").expect("a valid name");
    register(&mut e, "a");
    let unknown = InstanceId(99);
    let said = "no container instance 99 in this engine (it has 1)";
    // Typed, so a caller tells the refusals apart without reading their text.
    let refusal = |call: &'static str| drainsim_core::ControlError::UnknownInstance { call, id: unknown, instances: 1 };
    assert_eq!(e.pin_fault(1_000, PinnedFault::AgentDisconnect(unknown)), Err(refusal("pin_fault")));
    for fault in [
        PinnedFault::AgentDisconnect(unknown),
        PinnedFault::AgentReconnect(unknown),
        PinnedFault::SpotInterruption(unknown, SpotInterruptionBehavior::Terminate),
        PinnedFault::SpotRebalanceRecommendation(unknown),
    ] {
        assert_eq!(e.pin_fault(1_000, fault).map_err(|e| e.to_string()), Err(format!("pin_fault: {said}")));
    }
    assert_eq!(
        e.inject_agent_update_failure(unknown, AgentUpdateStatus::Staging).map_err(|e| e.to_string()),
        Err(format!("inject_agent_update_failure: {said}"))
    );
    assert_eq!(e.mark_spot_instance(unknown, true), Err(refusal("mark_spot_instance")));
    let refused = e.terminate_ec2_instance("arn:aws:iam::123456789012:root", unknown).expect_err("no such instance");
    assert_eq!(refused.message, format!("terminate_ec2_instance: {said}"));
    // It was accepted silently (a library helper's finding).
    assert_eq!(e.pin_trunk_failure(unknown).map_err(|e| e.to_string()), Err(format!("pin_trunk_failure: {said}")));
    e.advance_to(5_000, u64::MAX);
    let before_now = e.pin_fault(1_000, PinnedFault::HealthChecksPass).expect_err("before now");
    assert_eq!(before_now, drainsim_core::ControlError::BeforeNow { call: "pin_fault", at_ms: 1_000, now_ms: 5_000 });
    assert_eq!(before_now.to_string(), "pin_fault: 1000 ms is before now (5000 ms)");
    let digest = e.state_digest();
    assert_eq!(e.run_until_quiet(3_600_000, u64::MAX), drainsim_core::StopReason::Quiet);
    assert_eq!(e.state_digest(), digest, "nothing was pinned");
    assert!(e.instance_named("a").expect("registered").agent_connected());
}

/// A lookup by an id the engine never gave: `get_*` answer `None`, and the panicking lookups name
/// the id and how many the engine has, in words (they printed `no instance InstanceId(99)`, Rust's
/// `Debug` text; a service event past the last, and a record of another engine, panicked on an
/// index out of bounds).
#[test]
fn lookups_by_an_id_this_engine_never_gave() {
    use drainsim_core::{InstanceId, ServiceId, TaskId};
    let mut e = common::engine_with_app(13);
    register(&mut e, "a");
    run_one_task(&mut e, "app");
    assert!(e.get_instance(InstanceId(0)).is_some() && e.get_task(TaskId(0)).is_some());
    assert!(e.get_instance(InstanceId(99)).is_none() && e.get_service(ServiceId(0)).is_none() && e.get_task(TaskId(7)).is_none());
    let message = |f: &dyn Fn()| {
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("panics");
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    };
    assert_eq!(
        message(&|| {
            let _ = e.instance(InstanceId(99));
        }),
        "no container instance 99 in this engine (it has 1)"
    );
    assert_eq!(
        message(&|| {
            let _ = e.service(ServiceId(3));
        }),
        "no service 3 in this engine (it has 0)"
    );
    assert_eq!(
        message(&|| {
            let _ = e.task(TaskId(7));
        }),
        "no task 7 in this engine (it has 1)"
    );
    // A record of a bigger engine.
    let mut big = Engine::new(Default::default());
    big.create_cluster("prod").expect("a valid name");
    for name in ["a", "b", "c"] {
        register(&mut big, name);
    }
    let foreign = *big.trace().records().last().expect("records kept by default");
    assert!(message(&|| drop(e.describe_record(&foreign))).starts_with("a record of another engine"));
    // An attachment, a setting or an interned value this engine never had.
    use drainsim_core::{AttachmentId, Change, Subject, TraceRecord};
    let record = |subject, change| TraceRecord { time_ms: 0, subject, change, reason: "test" };
    let own = *big.trace().records().first().expect("a record");
    for forged in
        [record(Subject::Attachment(AttachmentId(500)), own.change), record(own.subject, Change::SettingDeleted { name: 250 })]
    {
        assert!(message(&|| drop(e.describe_record(&forged))).starts_with("a record of another engine"), "{forged:?}");
    }
}

/// With awsvpc or host networking a port mapping's hostPort is left out or equal to its
/// containerPort; another is refused with ECS's text, naming the mode, and registers nothing.
#[test]
fn host_and_awsvpc_port_mappings_keep_the_container_port() {
    let mut e = Engine::new(drainsim_core::EngineConfig::default());
    let td = |mode: &str, host_port: Option<u16>| {
        Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: format!("app-{mode}"),
            network_mode: Some(mode.into()),
            container_definitions: vec![ContainerDefinition {
                name: "app".into(),
                cpu: Some(256),
                memory: Some(512),
                port_mappings: vec![PortMapping { container_port: Some(8443), host_port, protocol: None }],
                ..Default::default()
            }],
            ..Default::default()
        })
    };
    for mode in ["awsvpc", "host"] {
        let err = e.handle(td(mode, Some(9000))).expect_err("a different host port");
        assert_eq!(
            err.to_string(),
            format!("ClientException: When networkMode={mode}, the host ports and container ports in port mappings must match.")
        );
        e.handle(td(mode, Some(8443))).expect("the same port");
        e.handle(td(mode, None)).expect("no host port");
    }
    e.handle(td("bridge", Some(9000))).expect("bridge maps any host port");
}

/// RunTask in a cluster with no container instance to place on — none registered, or every one
/// DRAINING — is refused whole, as ECS refuses it ("InvalidParameterException: No Container
/// Instances were found in your cluster.", https://github.com/linz/geostore/issues/1687), leaving
/// the state untouched; once an instance is ACTIVE again the call places its task.
#[test]
fn run_task_with_no_container_instances_is_refused_whole() {
    let mut e = common::engine_with_app(3);
    let run = |e: &mut Engine| {
        e.handle(Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            count: Some(2),
            ..Default::default()
        }))
    };
    for stage in ["no instance registered", "its only instance DRAINING"] {
        if stage == "its only instance DRAINING" {
            common::register_instance(&mut e, "only", "us-east-1a", 4096, 8192);
            let arn = e.instance_named("only").expect("registered").arn();
            common::drain_arns(&mut e, &[arn]);
        }
        let before = e.state_digest();
        let err = run(&mut e).expect_err(stage);
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::InvalidParameterException, "{stage}");
        assert_eq!(err.message, "No Container Instances were found in your cluster.", "{stage}");
        assert_eq!(e.state_digest(), before, "{stage}: a refused RunTask changes nothing");
    }
    let arn = e.instance_named("only").expect("registered").arn();
    e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
        cluster: Some("prod".into()),
        container_instances: vec![arn],
        status: "ACTIVE".into(),
    }))
    .expect("activates");
    match run(&mut e).expect("placed") {
        Response::Tasks { tasks, failures } => assert_eq!((tasks.len(), failures.len()), (2, 0)),
        other => panic!("unexpected {other:?}"),
    }
}

/// StopTask's `reason` is at most 255 characters ("Up to 255 characters are allowed in this
/// message", <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html>),
/// counted as characters, not bytes: a longer one is refused whole — the task keeps running and
/// neither the state nor the trace changes — and one of 255 characters stops the task with it.
#[test]
fn stop_task_refuses_a_reason_over_255_characters() {
    let mut e = common::engine_with_app(0);
    common::register_instance(&mut e, "a", "us-east-1a", 4096, 8192);
    run_one_task(&mut e, "app");
    let arn = e.tasks().next().expect("one task").arn();
    let stop = |e: &mut Engine, reason: String| {
        e.handle(Request::StopTask(StopTaskRequest { cluster: Some("prod".into()), task: arn.clone(), reason: Some(reason) }))
    };
    let (state, trace) = (e.state_digest(), e.trace().digest());
    for refused in ["x".repeat(256), "é".repeat(256), "x".repeat(1_000)] {
        let chars = refused.chars().count();
        let err = stop(&mut e, refused).expect_err("a reason over 255 characters");
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::InvalidParameterException);
        assert_eq!(err.message, format!("reason is {chars} characters; StopTask allows up to 255."));
        assert_eq!(e.state_digest(), state, "a refused StopTask changes nothing");
        assert_eq!(e.trace().digest(), trace, "a refused StopTask records nothing");
        assert_eq!(e.tasks().next().expect("one task").last_status(), TaskStatus::Running);
    }
    // 255 two-byte characters are 510 bytes, and allowed.
    let longest = "é".repeat(255);
    stop(&mut e, longest.clone()).expect("a reason of 255 characters");
    assert_eq!(e.tasks().next().expect("one task").stopped_reason(), Some(longest.as_str()));
}

/// "All tasks must have at least one essential container", and one whose `essential` is left out is
/// essential (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html>):
/// RegisterTaskDefinition refuses a task definition whose every container says `essential: false`,
/// in ECS's words, and registers nothing; one container essential, or silent, is enough.
#[test]
fn a_task_definition_without_an_essential_container_is_refused() {
    let mut e = common::engine_with_app(0);
    let container = |name: &str, essential: Option<bool>| ContainerDefinition {
        name: name.into(),
        cpu: Some(128),
        memory: Some(256),
        essential,
        ..Default::default()
    };
    let register = |e: &mut Engine, containers: Vec<ContainerDefinition>| {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            container_definitions: containers,
            ..Default::default()
        }))
    };
    let (state, trace) = (e.state_digest(), e.trace().digest());
    for refused in [vec![container("app", Some(false))], vec![container("app", Some(false)), container("proxy", Some(false))]] {
        let err = register(&mut e, refused).expect_err("no essential container");
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::ClientException);
        assert_eq!(err.message, "Task definition doesn't have any essential container.");
        assert_eq!(e.state_digest(), state, "a refused registration changes nothing");
        assert_eq!(e.trace().digest(), trace, "a refused registration records nothing");
    }
    register(&mut e, vec![container("app", Some(false)), container("proxy", None)]).expect("an omitted essential is true");
    register(&mut e, vec![container("app", Some(true)), container("proxy", Some(false))]).expect("one essential container");
}

/// A container health check's `command` is required and starts with `CMD` or `CMD-SHELL`
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html>):
/// RegisterTaskDefinition refuses an empty one, naming the container, and registers nothing.
#[test]
fn a_health_check_without_a_command_is_refused() {
    let mut e = common::engine_with_app(0);
    let register = |e: &mut Engine, command: Vec<String>| {
        e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
            family: "web".into(),
            container_definitions: vec![ContainerDefinition {
                name: "web".into(),
                cpu: Some(128),
                memory: Some(256),
                health_check: Some(HealthCheck { command, interval: Some(10), timeout: None, retries: None, start_period: None }),
                ..Default::default()
            }],
            ..Default::default()
        }))
    };
    let (state, trace) = (e.state_digest(), e.trace().digest());
    let err = register(&mut e, Vec::new()).expect_err("an empty command");
    assert_eq!(err.kind, drainsim_core::EcsErrorKind::ClientException);
    assert_eq!(err.message, "Container web: healthCheck command is empty; it must start with CMD or CMD-SHELL.");
    assert_eq!(e.state_digest(), state, "a refused registration changes nothing");
    assert_eq!(e.trace().digest(), trace, "a refused registration records nothing");
    register(&mut e, vec!["CMD-SHELL".into(), "true".into()]).expect("a command");
}

/// RegisterContainerInstance's `tags` follow the Tag API reference
/// (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html>): no key or value
/// starts with `aws:` in any case ("reserved for AWS use"), at most 50 tags, keys 1-128 characters
/// and values at most 256. A refused registration registers nothing and records nothing; the
/// bounds themselves, and `aws` elsewhere than as the prefix, are accepted.
#[test]
fn tags_with_the_aws_prefix_or_past_the_bounds_are_refused() {
    let mut e = common::engine_with_app(0);
    let register = |e: &mut Engine, name: &str, tags: Vec<(String, String)>| {
        let Request::RegisterContainerInstance(mut request) = registration(name, None, None) else {
            unreachable!("a registration")
        };
        request.tags = tags.into_iter().map(|(key, value)| Tag { key, value }).collect();
        e.handle(Request::RegisterContainerInstance(request))
    };
    let tag = |k: &str, v: &str| (k.to_string(), v.to_string());
    let (state, trace) = (e.state_digest(), e.trace().digest());
    for (tags, expected) in [
        (vec![tag("aws:owner", "me")], "tags[0].key 'aws:owner' starts with 'aws:'"),
        (vec![tag("team", "web"), tag("AWS:Owner", "me")], "tags[1].key 'AWS:Owner' starts with 'AWS:'"),
        (vec![tag("aWs:x", "")], "tags[0].key 'aWs:x' starts with 'aWs:'"),
        (vec![tag("team", "Aws:web")], "tags[0].value 'Aws:web' starts with 'Aws:'"),
        ((0..51).map(|n| tag(&format!("k{n}"), "v")).collect(), "At most 50 tags are allowed; 51 given."),
        (vec![tag(&"k".repeat(129), "v")], "keys are 1-128 characters and values at most 256"),
        (vec![tag("", "v")], "keys are 1-128 characters and values at most 256"),
        (vec![tag("k", &"v".repeat(257))], "keys are 1-128 characters and values at most 256"),
    ] {
        let err = register(&mut e, "tagged", tags.clone()).expect_err("refused");
        assert_eq!(err.kind, drainsim_core::EcsErrorKind::InvalidParameterException, "{tags:?}");
        assert!(err.message.contains(expected), "{tags:?}: {}", err.message);
        assert_eq!(e.state_digest(), state, "a refused registration changes nothing");
        assert_eq!(e.trace().digest(), trace, "a refused registration records nothing");
        assert!(e.instance_named("tagged").is_none());
    }
    let mut at_the_bounds: Vec<_> = (0..48).map(|n| tag(&format!("k{n}"), "v")).collect();
    at_the_bounds.push(tag(&"é".repeat(128), &"é".repeat(256)));
    at_the_bounds.push(tag("awsome", "my:aws:x aws"));
    register(&mut e, "tagged", at_the_bounds).expect("50 tags, the longest key and value, aws not as a prefix");
}

/// UpdateContainerInstancesState acts on and reports each container instance once, however often
/// the request names it — by its ARN, by its ID, or the same way twice — in the order of its first
/// mention; a reference to no instance named twice is one MISSING failure (what ECS does is not
/// documented: docs/ecs-choices.md §1). The instance moves, and its version is bumped, once.
#[test]
fn update_container_instances_state_reports_an_instance_named_twice_once() {
    let mut e = common::engine_with_app(0);
    common::register_instance(&mut e, "a", "us-east-1a", 4096, 8192);
    common::register_instance(&mut e, "b", "us-east-1a", 4096, 8192);
    e.run_until_quiet(600_000, 1_000_000);
    let arn = |e: &Engine, name: &str| e.instance_named(name).expect("registered").arn();
    let (a, b) = (arn(&e, "a"), arn(&e, "b"));
    let id = |arn: &str| arn.rsplit('/').next().expect("an ID").to_string();
    let versions = |e: &Engine| [e.instance_named("a").unwrap().version(), e.instance_named("b").unwrap().version()];
    let update = |e: &mut Engine, refs: Vec<String>, status: &str| match e
        .handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: refs,
            status: status.into(),
        }))
        .expect("a valid call")
    {
        Response::ContainerInstances { container_instances, failures } => (
            container_instances.into_iter().map(|ci| ci.container_instance_arn).collect::<Vec<_>>(),
            failures.into_iter().map(|f| (f.arn.unwrap_or_default(), f.reason)).collect::<Vec<_>>(),
        ),
        other => panic!("unexpected {other:?}"),
    };
    let before = versions(&e);
    let ghost = "0123456789abcdef0123456789abcdef".to_string();
    let (listed, failures) =
        update(&mut e, vec![id(&b), a.clone(), b.clone(), id(&a), a.clone(), ghost.clone(), ghost.clone()], "DRAINING");
    assert_eq!(listed, vec![b.clone(), a.clone()], "each instance once, in the order first named");
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].0.ends_with(&ghost) && failures[0].1 == "MISSING", "{failures:?}");
    assert_eq!(versions(&e), [before[0] + 1, before[1] + 1], "each instance moved once");
    assert!([a.as_str(), b.as_str()].iter().all(|n| e.instance_by_arn(n).unwrap().status() == InstanceStatus::Draining));
    let (listed, failures) = update(&mut e, vec![a.clone(), id(&a)], "ACTIVE");
    assert_eq!((listed, failures.len()), (vec![a.clone()], 0));
    assert_eq!(e.instance_by_arn(&a).unwrap().status(), InstanceStatus::Active);
}

/// Every response reads back as it was written: a user's script keeps drainsim's JSON and reads it
/// again with the same types (a DescribeServices of a service with a launch type did not: its
/// `capacityProviderStrategy`, left out when empty, was required when read).
#[test]
fn every_response_reads_back_as_it_was_written() {
    let mut e = common::engine_with_app(7);
    register(&mut e, "a");
    register(&mut e, "b");
    let mut responses = vec![e
        .handle(Request::CreateService(CreateServiceRequest {
            cluster: Some("prod".into()),
            service_name: "web".into(),
            task_definition: "app".into(),
            desired_count: Some(2),
            ..Default::default()
        }))
        .expect("creates")];
    e.run_until_quiet(600_000, 1_000_000);
    let instances: Vec<String> = e.instances().map(|i| i.arn()).collect();
    let tasks: Vec<String> = e.instances().flat_map(|i| i.tasks().map(|t| t.arn()).collect::<Vec<_>>()).collect();
    let cluster = || Some("prod".to_string());
    let requests = vec![
        Request::DescribeServices(DescribeServicesRequest { cluster: cluster(), services: vec!["web".into()] }),
        Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
            cluster: cluster(),
            container_instances: instances.clone(),
            ..Default::default()
        }),
        Request::ListContainerInstances(ListContainerInstancesRequest { cluster: cluster(), ..Default::default() }),
        Request::DescribeTasks(DescribeTasksRequest { cluster: cluster(), tasks: tasks.clone() }),
        Request::ListTasks(ListTasksRequest { cluster: cluster(), ..Default::default() }),
        Request::ListAccountSettings(ListAccountSettingsRequest::default()),
        Request::UpdateService(UpdateServiceRequest {
            cluster: cluster(),
            service: "web".into(),
            desired_count: Some(3),
            ..Default::default()
        }),
        Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: cluster(),
            container_instances: vec![instances[0].clone()],
            status: "DRAINING".into(),
        }),
        Request::StopTask(StopTaskRequest { cluster: cluster(), task: tasks[0].clone(), ..Default::default() }),
    ];
    for r in requests {
        responses.push(e.handle(r).expect("succeeds"));
    }
    for response in responses {
        let json = serde_json::to_string(&response).expect("writes");
        let back: Response = serde_json::from_str(&json).unwrap_or_else(|err| panic!("{err}: {json}"));
        assert_eq!(back, response, "{json}");
    }
}

/// A trunk attachment shows only the subnet it is for until its ENI exists (PRECREATED), then the
/// interface's ID, MAC, private DNS name and address, in DescribeContainerInstances' order (it
/// showed an ENI ID, a MAC and an address while PRECREATED, and never a DNS name).
#[test]
fn an_attachment_shows_its_interface_once_it_exists() {
    let mut e = common::engine_with_app(3);
    e.override_account_default("awsvpcTrunking", "enabled").expect("a setting");
    register(&mut e, "t");
    let names = |e: &Engine| -> (String, Vec<String>) {
        let described = e.instance_named("t").expect("registered").describe();
        let a = &described.attachments[0];
        (a.status.clone(), a.details.iter().map(|d| d.name.clone()).collect())
    };
    assert_eq!(names(&e), ("PRECREATED".to_string(), vec!["subnetId".to_string()]));
    e.run_until_quiet(600_000, 1_000_000);
    let (status, details) = names(&e);
    assert_eq!(status, "ATTACHED");
    assert_eq!(details, ["subnetId", "networkInterfaceId", "macAddress", "privateDnsName", "privateIPv4Address"]);
    let described = e.instance_named("t").expect("registered").describe();
    let dns = &described.attachments[0].details[3].value;
    assert!(dns.starts_with("ip-10-0-") && dns.ends_with(".ec2.internal"), "{dns}");
}
