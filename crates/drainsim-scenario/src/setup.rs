//! The setup of a run: the engine a scenario describes, and the requests that register its instance
//! groups. Everything here happens at one simulated instant; moving time is the driver's job (`driver.rs`).

use drainsim_core::api::{self, Request};
use drainsim_core::Engine;

use crate::format::InstanceGroup;
use crate::load::{group_member_names, LoadedScenario, ScenarioError};

/// The request that registers one member of an instance group.
pub fn registration_request(g: &InstanceGroup, index: u32, name: &str) -> api::RegisterContainerInstanceRequest {
    let az = if g.availability_zones.is_empty() {
        "us-east-1a".to_string()
    } else {
        g.availability_zones[index as usize % g.availability_zones.len()].clone()
    };
    let ports: Vec<String> =
        g.reserved_ports.clone().unwrap_or_else(|| vec![22, 2375, 2376, 51678, 51679]).iter().map(|p| p.to_string()).collect();
    api::RegisterContainerInstanceRequest {
        cluster: g.cluster.clone(),
        total_resources: vec![
            api::Resource::integer("CPU", g.cpu),
            api::Resource::integer("MEMORY", g.memory),
            api::Resource::string_set("PORTS", ports),
            api::Resource::string_set("PORTS_UDP", vec![]),
        ],
        version_info: Some(api::VersionInfo {
            agent_version: Some(g.agent_version.clone().unwrap_or_else(|| "1.29.0".into())),
            agent_hash: Some("4023248".into()),
            docker_version: Some("DockerVersion: 18.06.1-ce".into()),
        }),
        container_instance_arn: None,
        attributes: g
            .attributes
            .iter()
            .map(|(k, v)| api::Attribute { name: k.clone(), value: Some(v.clone()), target_type: None, target_id: None })
            .collect(),
        tags: g.tags.iter().map(|(k, v)| api::Tag { key: k.clone(), value: v.clone() }).collect(),
        instance_identity: api::InstanceIdentity {
            name: name.to_string(),
            instance_type: g.instance_type.clone(),
            availability_zone: az,
            ec2_instance_id: None,
            task_eni_limit: g.task_eni_limit,
        },
    }
}

/// Registers every member of an instance group now (a setup refusal is an error at the group's name),
/// pinning the trunk failures the scenario's faults name.
pub(crate) fn register_group(engine: &mut Engine, loaded: &LoadedScenario, g: &InstanceGroup) -> Result<(), ScenarioError> {
    let caller = g.instance_role.clone().unwrap_or_else(|| engine.default_caller_arn());
    let trunk_failures = loaded.scenario.faults.as_ref().map(|f| f.trunk_failures.as_slice()).unwrap_or_default();
    for (k, name) in group_member_names(&g.name, g.count).iter().enumerate() {
        let req = registration_request(g, k as u32, name);
        engine
            .handle_as(&caller, Request::RegisterContainerInstance(req))
            .map_err(|e| loaded.error_at(&format!("\"{}\"", g.name), format!("instance group '{}': {e}", g.name)))?;
        // A pinned trunk failure applies whenever the instance registers (its trunk is provisioned later).
        if trunk_failures.contains(name) {
            let id = engine.instance_by_name(name).expect("just registered");
            engine.pin_trunk_failure(id);
        }
    }
    Ok(())
}
