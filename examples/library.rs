//! drainsim as a library: build a three-instance cluster with a four-task service, drain one
//! instance, and check what the service went through. Only `drainsim_core`'s façade is used:
//! ECS requests in, names to find things, read-only views out.
//!
//! Run it with `cargo run --example library`; the same code is the doctest on `drainsim_core`.

use drainsim_core::api::{self, Request};
use drainsim_core::{EcsError, Engine, EngineConfig, InstanceStatus, StopReason};

fn main() -> Result<(), EcsError> {
    let mut engine = Engine::new(EngineConfig { seed: 42, ..Default::default() });
    engine.handle(Request::CreateCluster(api::CreateClusterRequest { cluster_name: "prod".into() }))?;
    for (name, zone) in [("a", "us-east-1a"), ("b", "us-east-1b"), ("c", "us-east-1c")] {
        engine.handle(Request::RegisterContainerInstance(api::RegisterContainerInstanceRequest {
            cluster: Some("prod".into()),
            total_resources: vec![api::Resource::integer("CPU", 2048), api::Resource::integer("MEMORY", 4096)],
            instance_identity: api::InstanceIdentity {
                name: name.into(),
                instance_type: "c5.large".into(),
                availability_zone: zone.into(),
                ..Default::default()
            },
            ..Default::default()
        }))?;
    }
    engine.handle(Request::RegisterTaskDefinition(api::RegisterTaskDefinitionRequest {
        family: "web".into(),
        container_definitions: vec![api::ContainerDefinition {
            name: "app".into(),
            cpu: Some(512),
            memory: Some(1024),
            ..Default::default()
        }],
        ..Default::default()
    }))?;
    engine.handle(Request::CreateService(api::CreateServiceRequest {
        cluster: Some("prod".into()),
        service_name: "web".into(),
        task_definition: "web".into(),
        desired_count: Some(4),
        deployment_configuration: Some(api::DeploymentConfiguration {
            minimum_healthy_percent: Some(50),
            maximum_percent: Some(200),
        }),
        ..Default::default()
    }))?;
    let hour_ms = 3_600_000;
    assert_eq!(engine.run_until_quiet(hour_ms, 1_000_000), StopReason::Quiet);

    // Drain instance `a`: UpdateContainerInstancesState takes its ARN, found by its name.
    let a = engine.instance_named("a").expect("registered").arn();
    let response = engine.handle(Request::UpdateContainerInstancesState(api::UpdateContainerInstancesStateRequest {
        cluster: Some("prod".into()),
        container_instances: vec![a],
        status: "DRAINING".into(),
    }))?;
    // As in ECS, an instance the request names but cannot find is a failure in the response
    // (`MISSING`), not an error: `?` alone would not see it.
    if let api::Response::ContainerInstances { failures, .. } = &response {
        assert!(
            failures.is_empty(),
            "not drained: {}",
            failures.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    assert_eq!(engine.run_until_quiet(2 * hour_ms, 1_000_000), StopReason::Quiet);

    let web = engine.service_named("web").expect("created");
    assert_eq!(web.running_count(), 4);
    assert!(web.min_healthy_observed() >= Some(web.healthy_floor()), "web fell below its floor");
    assert!(web.max_tasks_observed().is_some_and(|most| most <= web.task_ceiling()), "web went above its ceiling");
    assert!(web.stalls().is_empty() && web.floor_breaches().is_empty());
    let drained = engine.instance_named("a").expect("registered");
    assert_eq!(drained.status(), InstanceStatus::Draining);
    assert_eq!(drained.running_tasks_count(), 0);
    let drain = drained.drain();
    let (started, completed) = (drain.started_at_ms().expect("started"), drain.completed_at_ms().expect("completed"));
    let observed = |v: Option<u32>| v.map_or("none".to_string(), |v| v.to_string());
    println!(
        "web: floor {}, fewest healthy {}, most tasks {}, ceiling {}; instance a drained in {} ms",
        web.healthy_floor(),
        observed(web.min_healthy_observed()),
        observed(web.max_tasks_observed()),
        web.task_ceiling(),
        completed - started
    );
    Ok(())
}
