//! What the engine's integration tests share.

use drainsim_core::api::*;
use drainsim_core::{Engine, EngineConfig};

/// An engine checking every invariant after every event, with cluster `prod` and task definition
/// `app` (one container: 512 CPU units, 1024 MiB, stopTimeout 5 s).
pub fn engine_with_app(seed: u64) -> Engine {
    let mut e =
        Engine::new(EngineConfig { seed, keep_trace_records: false, check_invariants_every_event: true, ..Default::default() });
    e.create_cluster("prod").expect("a valid name");
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "app".into(),
        container_definitions: vec![ContainerDefinition {
            name: "app".into(),
            cpu: Some(512),
            memory: Some(1024),
            stop_timeout: Some(5),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("a valid task definition");
    e
}

/// Registers task definition `eni`: awsvpc, one container of 128 CPU units and 256 MiB,
/// stopTimeout 2 s.
#[allow(dead_code)] // not every test file that shares this module uses it
pub fn register_eni_task_definition(e: &mut Engine) {
    e.handle(Request::RegisterTaskDefinition(RegisterTaskDefinitionRequest {
        family: "eni".into(),
        network_mode: Some("awsvpc".into()),
        container_definitions: vec![ContainerDefinition {
            name: "eni".into(),
            cpu: Some(128),
            memory: Some(256),
            stop_timeout: Some(2),
            ..Default::default()
        }],
        ..Default::default()
    }))
    .expect("a valid task definition");
}

/// Registers instance `name` in cluster `prod`: an `m5.4xlarge` in `zone` with these CPU units
/// and MiB.
#[allow(dead_code)] // not every test file that shares this module uses it
pub fn register_instance(e: &mut Engine, name: &str, zone: &str, cpu: i64, memory: i64) {
    e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
        cluster: Some("prod".into()),
        total_resources: vec![Resource::integer("CPU", cpu), Resource::integer("MEMORY", memory)],
        instance_identity: InstanceIdentity {
            name: name.into(),
            instance_type: "m5.4xlarge".into(),
            availability_zone: zone.into(),
            ..Default::default()
        },
        ..Default::default()
    }))
    .expect("a valid registration");
}

/// Sets the instances DRAINING in cluster `prod`, ten a call (as the API takes them).
#[allow(dead_code)] // not every test file that shares this module uses it
pub fn drain_arns(e: &mut Engine, arns: &[String]) {
    for chunk in arns.chunks(10) {
        e.handle(Request::UpdateContainerInstancesState(UpdateContainerInstancesStateRequest {
            cluster: Some("prod".into()),
            container_instances: chunk.to_vec(),
            status: "DRAINING".into(),
        }))
        .expect("drains");
    }
}
