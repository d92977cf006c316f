//! Capacity provider strategies (docs/ecs-choices.md § "Capacity provider strategies"): a
//! service's tasks run only on the instances of its strategy's providers, the base first and the
//! rest by weight; a drain moves them within those providers; the requests that would break the
//! rules are refused and change nothing.

mod common;

use drainsim_core::api::*;
use drainsim_core::{EcsErrorKind, Engine, TaskStatus};
use proptest::prelude::*;

/// Registers `count` instances named `{provider}-{k}` of capacity provider `provider` in `prod`,
/// each with room for `room` tasks of `app`, dealt over two zones.
fn register_provider_instances(e: &mut Engine, provider: &str, count: usize, room: i64) {
    for k in 0..count {
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![Resource::integer("CPU", 512 * room), Resource::integer("MEMORY", 1024 * room)],
            instance_identity: InstanceIdentity {
                name: format!("{provider}-{k}"),
                instance_type: "m5.4xlarge".into(),
                availability_zone: ["us-east-1a", "us-east-1b"][k % 2].into(),
                capacity_provider_name: Some(provider.into()),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("a valid registration");
    }
}

fn item(provider: &str, base: i64, weight: i64) -> CapacityProviderStrategyItem {
    CapacityProviderStrategyItem { capacity_provider: provider.into(), base: Some(base), weight: Some(weight) }
}

fn put_providers(
    e: &mut Engine,
    providers: &[&str],
    default: Vec<CapacityProviderStrategyItem>,
) -> Result<(), drainsim_core::EcsError> {
    e.put_cluster_capacity_providers(&PutClusterCapacityProvidersRequest {
        cluster: "prod".into(),
        capacity_providers: providers.iter().map(|p| p.to_string()).collect(),
        default_capacity_provider_strategy: default,
    })
}

/// Cluster `prod` with providers `od` and `spot`, `per_provider` instances of each with room for
/// `room` tasks.
fn two_providers(per_provider: usize, room: i64) -> Engine {
    let mut e = common::engine_with_app(7);
    put_providers(&mut e, &["od", "spot"], vec![]).expect("valid providers");
    register_provider_instances(&mut e, "od", per_provider, room);
    register_provider_instances(&mut e, "spot", per_provider, room);
    e
}

fn service(name: &str, desired: i64, strategy: Vec<CapacityProviderStrategyItem>) -> CreateServiceRequest {
    CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: name.into(),
        task_definition: "app".into(),
        desired_count: Some(desired),
        deployment_configuration: Some(DeploymentConfiguration { minimum_healthy_percent: Some(50), maximum_percent: Some(200) }),
        capacity_provider_strategy: strategy,
        ..Default::default()
    }
}

/// The live tasks of a service on each provider: `(od, spot, none)`.
fn tasks_by_provider(e: &Engine, name: &str) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for t in e.service_named(name).expect("created").tasks() {
        match t.instance().capacity_provider() {
            Some("od") => counts.0 += 1,
            Some("spot") => counts.1 += 1,
            _ => counts.2 += 1,
        }
    }
    counts
}

fn drain(e: &mut Engine, names: &[String]) {
    let arns: Vec<String> = names.iter().map(|n| e.instance_named(n).expect("registered").arn()).collect();
    common::drain_arns(e, &arns);
}

#[test]
fn the_base_goes_first_and_the_rest_follows_the_weights() {
    let mut e = two_providers(4, 4);
    e.handle(Request::CreateService(service("web", 8, vec![item("od", 2, 1), item("spot", 0, 3)]))).expect("created");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    // 2 on od for the base; of the 6 beyond it, od's share is 1.5 and spot's 4.5: the rule gives od
    // 2 (ties go to the provider listed first) and spot 4.
    assert_eq!(tasks_by_provider(&e, "web"), (4, 4, 0));
    let described = match e
        .handle(Request::DescribeServices(DescribeServicesRequest { cluster: Some("prod".into()), services: vec!["web".into()] }))
    {
        Ok(Response::Services { services, .. }) => services.into_iter().next().expect("described"),
        other => panic!("unexpected response {other:?}"),
    };
    assert_eq!(described.launch_type, None, "a service with a strategy has no launch type");
    assert_eq!(described.capacity_provider_strategy, vec![item("od", 2, 1), item("spot", 0, 3)]);
    let arn = e.instance_named("spot-0").unwrap().arn();
    match e.handle(Request::DescribeContainerInstances(DescribeContainerInstancesRequest {
        cluster: Some("prod".into()),
        container_instances: vec![arn],
        ..Default::default()
    })) {
        Ok(Response::ContainerInstances { container_instances, .. }) => {
            assert_eq!(container_instances[0].capacity_provider_name.as_deref(), Some("spot"))
        }
        other => panic!("unexpected response {other:?}"),
    }
}

#[test]
fn a_drain_moves_tasks_within_their_provider_and_stalls_when_it_is_full() {
    // Three spot instances with room for 2 tasks each; od has as much room, but the service runs
    // on spot only.
    let mut e = two_providers(3, 2);
    e.handle(Request::CreateService(service("batch", 2, vec![item("spot", 0, 1)]))).expect("created");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "batch"), (0, 2, 0));
    // Drain the spot instances holding the tasks first: they move to the spot instance left.
    let holding: Vec<String> = {
        let mut names: Vec<String> = e.service_named("batch").unwrap().tasks().map(|t| t.instance().name().to_string()).collect();
        names.sort();
        names.dedup();
        names
    };
    drain(&mut e, &holding);
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    let live: Vec<_> = e.service_named("batch").unwrap().tasks().filter(|t| t.last_status() != TaskStatus::Stopped).collect();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|t| t.instance().capacity_provider() == Some("spot")));
    // Now drain every spot instance: od has room, but the tasks may not go there.
    let rest: Vec<String> =
        ["spot-0", "spot-1", "spot-2"].iter().map(|n| n.to_string()).filter(|n| !holding.contains(n)).collect();
    drain(&mut e, &rest);
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "batch").0, 0, "nothing ran on od");
    let events: Vec<String> = e.service_named("batch").unwrap().events().map(|(_, m)| m).collect();
    assert!(events.iter().any(|m| m.contains("No Container Instances were found in your capacity provider")), "{events:#?}");
}

#[test]
fn the_default_strategy_applies_to_a_service_with_neither_a_launch_type_nor_a_strategy() {
    let mut e = common::engine_with_app(3);
    put_providers(&mut e, &["od", "spot"], vec![item("spot", 0, 1)]).expect("valid");
    register_provider_instances(&mut e, "od", 2, 4);
    register_provider_instances(&mut e, "spot", 2, 4);
    common::register_instance(&mut e, "plain", "us-east-1a", 4096, 8192);
    e.handle(Request::CreateService(service("by-default", 4, vec![]))).expect("created");
    let mut ec2 = service("by-launch-type", 12, vec![]);
    ec2.launch_type = Some("EC2".into());
    e.handle(Request::CreateService(ec2)).expect("created");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "by-default"), (0, 4, 0));
    let (od, spot, none) = tasks_by_provider(&e, "by-launch-type");
    assert_eq!(od + spot + none, 12);
    assert!(od > 0 && none > 0, "launchType EC2 places on any instance: ({od}, {spot}, {none})");
}

#[test]
fn requests_that_break_the_rules_are_refused_and_change_nothing() {
    let mut e = two_providers(1, 4);
    let refused = |e: &mut Engine, r: CreateServiceRequest| match e.handle(Request::CreateService(r)) {
        Err(err) => err,
        Ok(_) => panic!("refused"),
    };
    let err = refused(&mut e, service("x", 1, vec![item("elsewhere", 0, 1)]));
    assert!(err.message.contains("not associated with the cluster"), "{}", err.message);
    let mut both = service("x", 1, vec![item("od", 0, 1)]);
    both.launch_type = Some("EC2".into());
    assert!(refused(&mut e, both).message.contains("Specifying both a launch type and capacity provider strategy"));
    let mut daemon = service("x", 1, vec![item("od", 0, 1)]);
    daemon.desired_count = None;
    daemon.scheduling_strategy = Some("DAEMON".into());
    daemon.deployment_configuration = None;
    assert!(refused(&mut e, daemon.clone()).message.contains("DAEMON scheduling strategy"));
    // A cluster's default strategy applies to a DAEMON too, which must then say launchType EC2.
    put_providers(&mut e, &["od", "spot"], vec![item("od", 0, 1)]).expect("valid");
    daemon.capacity_provider_strategy.clear();
    assert!(refused(&mut e, daemon.clone()).message.contains("DAEMON scheduling strategy"));
    daemon.launch_type = Some("EC2".into());
    e.handle(Request::CreateService(daemon)).expect("a DAEMON with launchType EC2 is created");
    assert!(refused(&mut e, service("y", 1, vec![item("od", 1, 1), item("spot", 1, 1)])).message.contains("Only one"));
    let mut fargate = service("y", 1, vec![]);
    fargate.launch_type = Some("FARGATE".into());
    assert!(refused(&mut e, fargate).message.contains("not modelled"));
    assert_eq!(e.services().count(), 1, "only the DAEMON was created");

    // Providers in use stay; one that nothing uses may go.
    e.handle(Request::CreateService(service("web", 1, vec![item("spot", 0, 1)]))).expect("created");
    let err = put_providers(&mut e, &["od"], vec![]).expect_err("spot is in use");
    assert_eq!(err.kind, EcsErrorKind::ResourceInUseException);
    let err = put_providers(&mut e, &["od", "spot"], vec![item("gone", 0, 1)]).expect_err("an unknown provider");
    assert!(err.message.contains("not associated"), "{}", err.message);
    let err = put_providers(&mut e, &["od", "od"], vec![]).expect_err("twice");
    assert!(err.message.contains("more than once"), "{}", err.message);
    put_providers(&mut e, &["od", "spot", "unused"], vec![]).expect("a new provider");
    put_providers(&mut e, &["od", "spot"], vec![]).expect("an unused provider goes");
    // An instance naming a provider its cluster does not have is refused.
    let r = e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", 1024), Resource::integer("MEMORY", 2048)],
        instance_identity: InstanceIdentity {
            name: "stray".into(),
            instance_type: "m5.large".into(),
            availability_zone: "us-east-1a".into(),
            capacity_provider_name: Some("unused".into()),
            ..Default::default()
        },
        ..Default::default()
    }));
    assert!(r.is_err_and(|err| err.message.contains("not associated with its cluster")));
    assert!(e.instance_named("stray").is_none());
    drainsim_core::check_invariants(&e).expect("the state is whole");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random strategies, rooms and drains: every task a service starts runs on a provider of its
    /// strategy, the invariants hold after every event (the engine checks them), and once quiet
    /// the service runs its desired count wherever its providers have room.
    #[test]
    fn tasks_stay_within_their_strategy_through_drains(
        od_weight in 0i64..=3,
        spot_weight in 1i64..=3,
        base in 0i64..=3,
        desired in 1i64..=12,
        room in 1i64..=4,
        drained in proptest::collection::vec(any::<bool>(), 6),
    ) {
        let mut e = two_providers(3, room);
        let strategy = vec![item("od", base, od_weight), item("spot", 0, spot_weight)];
        e.handle(Request::CreateService(service("web", desired, strategy))).expect("created");
        let _ = e.run_until_quiet(3_600_000, 1_000_000);
        let names: Vec<String> = ["od-0", "od-1", "od-2", "spot-0", "spot-1", "spot-2"]
            .iter()
            .zip(&drained)
            .filter(|(_, d)| **d)
            .map(|(n, _)| n.to_string())
            .collect();
        drain(&mut e, &names);
        let _ = e.run_until_quiet(6 * 3_600_000, 2_000_000);
        let web = e.service_named("web").unwrap();
        for t in web.tasks() {
            let provider = t.instance().capacity_provider();
            prop_assert!(provider == Some("spot") || (provider == Some("od") && (od_weight > 0 || base > 0)));
        }
        drainsim_core::check_invariants(&e).expect("invariants");
    }
}

#[test]
fn run_task_deals_its_tasks_over_its_strategy_or_the_clusters_default() {
    let mut e = two_providers(2, 4);
    let run = |e: &mut Engine, strategy: Vec<CapacityProviderStrategyItem>, launch_type: Option<&str>| match e.handle(
        Request::RunTask(RunTaskRequest {
            cluster: Some("prod".into()),
            task_definition: "app".into(),
            count: Some(5),
            capacity_provider_strategy: strategy,
            launch_type: launch_type.map(str::to_string),
            ..Default::default()
        }),
    ) {
        Ok(Response::Tasks { tasks, failures }) => {
            assert!(failures.is_empty(), "{failures:?}");
            let mut on = (0, 0);
            for t in &tasks {
                let arn = t.container_instance_arn.as_deref().expect("placed");
                match e.instances().find(|i| i.arn() == arn).and_then(|i| i.capacity_provider()) {
                    Some("od") => on.0 += 1,
                    Some("spot") => on.1 += 1,
                    other => panic!("on {other:?}"),
                }
            }
            on
        }
        other => panic!("unexpected response {other:?}"),
    };
    // The base, then 1 : 1 from the provider listed first.
    assert_eq!(run(&mut e, vec![item("spot", 1, 1), item("od", 0, 1)], None), (2, 3));
    put_providers(&mut e, &["od", "spot"], vec![item("od", 0, 1)]).expect("valid");
    assert_eq!(run(&mut e, vec![], None), (5, 0), "the cluster's default");
    let (od, spot) = run(&mut e, vec![], Some("EC2"));
    assert_eq!(od + spot, 5, "launchType EC2: any instance");
    let refused = e.handle(Request::RunTask(RunTaskRequest {
        cluster: Some("prod".into()),
        task_definition: "app".into(),
        launch_type: Some("EC2".into()),
        capacity_provider_strategy: vec![item("od", 0, 1)],
        ..Default::default()
    }));
    assert!(refused.is_err_and(|err| err.message.contains("Specifying both")));
}

#[test]
fn update_service_replaces_the_strategy_for_later_placements() {
    let mut e = two_providers(3, 2);
    e.handle(Request::CreateService(service("batch", 4, vec![item("spot", 0, 1)]))).expect("created");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "batch"), (0, 4, 0));
    let update = |strategy: Option<Vec<CapacityProviderStrategyItem>>| {
        Request::UpdateService(UpdateServiceRequest {
            cluster: Some("prod".into()),
            service: "batch".into(),
            capacity_provider_strategy: strategy,
            ..Default::default()
        })
    };
    // Refused, and nothing changes: a provider the cluster does not have.
    assert!(e.handle(update(Some(vec![item("gone", 0, 1)]))).is_err());
    // The new strategy moves no running task ("doesn't trigger a new service deployment")...
    e.handle(update(Some(vec![item("od", 0, 1)]))).expect("updated");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "batch"), (0, 4, 0));
    // ...but the replacements of a drain follow it.
    drain(&mut e, &["spot-0".to_string(), "spot-1".to_string(), "spot-2".to_string()]);
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    assert_eq!(tasks_by_provider(&e, "batch"), (4, 0, 0));
    // An empty list goes back to the launch type.
    e.handle(update(Some(vec![]))).expect("updated");
    match e.handle(Request::DescribeServices(DescribeServicesRequest {
        cluster: Some("prod".into()),
        services: vec!["batch".into()],
    })) {
        Ok(Response::Services { services, .. }) => {
            assert_eq!(services[0].launch_type.as_deref(), Some("EC2"));
            assert!(services[0].capacity_provider_strategy.is_empty());
        }
        other => panic!("unexpected response {other:?}"),
    }
    drainsim_core::check_invariants(&e).expect("invariants");
}

/// A provider goes from its cluster only while no task runs on it ("You can only disassociate an
/// existing capacity provider from a cluster if it's not being used by any existing tasks"); its
/// instances keep its name.
#[test]
fn a_provider_goes_only_while_no_task_runs_on_it() {
    let mut e = two_providers(1, 4);
    put_providers(&mut e, &["spot"], vec![]).expect("od's instance runs no task");
    assert_eq!(e.instance_named("od-0").unwrap().capacity_provider(), Some("od"));
    let mut plain = service("plain", 2, vec![]);
    plain.launch_type = Some("EC2".into());
    e.handle(Request::CreateService(plain)).expect("created");
    let _ = e.run_until_quiet(3_600_000, 1_000_000);
    let err = put_providers(&mut e, &[], vec![]).expect_err("tasks run on spot's instance");
    assert_eq!(err.kind, EcsErrorKind::ResourceInUseException);
    drainsim_core::check_invariants(&e).expect("invariants");
}
