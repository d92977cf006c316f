//! Generated large scenarios for benchmarks and memory measurements (docs/performance.md): the
//! drain-shaped cluster of the `drain/*` benchmarks as a RON scenario file, and the API script of the
//! `api/*` benchmarks.

use drainsim_core::api;

use crate::format::{Action, DrainPlan, Expectation, InstanceGroup, Scenario, Step};

/// A scenario of `instances` m5.xlarge instances and `services` services of 100 tasks (half binpack
/// by memory, half spread by Availability Zone, min 50 / max 200). The tasks start on the first
/// half; the second half registers at 10 minutes; the first half is drained at 11 minutes.
pub fn large_drain_scenario_spec(instances: usize, services: usize) -> Scenario {
    let group = |name: &str, register_at_ms: i64| InstanceGroup {
        count: (instances / 2) as u32,
        cluster: Some("bench".into()),
        availability_zones: vec!["us-east-1a".into(), "us-east-1b".into(), "us-east-1c".into()],
        register_at_ms,
        ..InstanceGroup::new(name, "m5.xlarge", 4096, 16384)
    };
    let strategy = |n: usize| {
        let (kind, field) = if n % 2 == 0 { ("binpack", "memory") } else { ("spread", "attribute:ecs.availability-zone") };
        api::PlacementStrategy { strategy_type: kind.into(), field: Some(field.into()) }
    };
    Scenario {
        name: "large".into(),
        seed: 1,
        clusters: vec!["bench".into()],
        instances: vec![group("old", 0), group("new", 600_000)],
        task_definitions: vec![api::RegisterTaskDefinitionRequest {
            family: "app".into(),
            container_definitions: vec![api::ContainerDefinition {
                name: "app".into(),
                cpu: Some(128),
                memory: Some(256),
                exit_after_sigterm_ms: Some(2000),
                ..Default::default()
            }],
            ..Default::default()
        }],
        services: (0..services)
            .map(|n| api::CreateServiceRequest {
                cluster: Some("bench".into()),
                service_name: format!("svc{n}"),
                task_definition: "app".into(),
                desired_count: Some(100),
                deployment_configuration: Some(api::DeploymentConfiguration {
                    minimum_healthy_percent: Some(50),
                    maximum_percent: Some(200),
                }),
                placement_strategy: vec![strategy(n)],
                ..Default::default()
            })
            .collect(),
        steps: vec![Step {
            at_ms: Some(660_000),
            caller: None,
            action: Action::DrainInstances(DrainPlan {
                cluster: Some("bench".into()),
                instances: vec!["old".into()],
                filter: None,
                status: None,
                wave_size: None,
            }),
            expect: None,
        }],
        expectations: vec![Expectation::StopReason("quiet".into()), Expectation::AllDrainsCompletedBy(3_600_000)],
        ..Default::default()
    }
}

/// [`large_drain_scenario_spec`] as RON scenario text.
pub fn large_drain_scenario(instances: usize, services: usize) -> String {
    crate::write::to_ron(&large_drain_scenario_spec(instances, services))
}

/// An API script as a user writes one: `instances` RegisterContainerInstance steps, then
/// UpdateContainerInstancesState to DRAINING ten instances per call, then DescribeContainerInstances a
/// hundred per call, all by the logical names the runner resolves to ARNs, run through the scenario
/// runner (load included). `benches/moto/api_sequence.py` makes the same calls against moto.
pub fn api_script(instances: usize) -> String {
    let mut s = String::from("Scenario(name: \"api-script\", seed: 1, clusters: [\"prod\"], steps: [\n");
    for i in 0..instances {
        s.push_str(&format!(
            "(do: RegisterContainerInstance((cluster: \"prod\", totalResources: [(name: \"CPU\", type: \"INTEGER\", integerValue: 4096), (name: \"MEMORY\", type: \"INTEGER\", integerValue: 16384)], instanceIdentity: (name: \"i{i}\", instanceType: \"m5.xlarge\", availabilityZone: \"us-east-1{}\"))), expect: Success),\n",
            ["a", "b", "c"][i % 3]
        ));
    }
    let names: Vec<String> = (0..instances).map(|i| format!("\"i{i}\"")).collect();
    for chunk in names.chunks(10) {
        s.push_str(&format!(
            "(do: UpdateContainerInstancesState((cluster: \"prod\", containerInstances: [{}], status: \"DRAINING\")), expect: NoFailures),\n",
            chunk.join(", ")
        ));
    }
    for chunk in names.chunks(100) {
        s.push_str(&format!(
            "(do: DescribeContainerInstances((cluster: \"prod\", containerInstances: [{}])), expect: NoFailures),\n",
            chunk.join(", ")
        ));
    }
    s.push_str("])\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_small_one_runs_and_every_drain_completes() {
        let text = super::large_drain_scenario(20, 1);
        let loaded = crate::load_str("large.ron", &text).expect("valid");
        let outcome = crate::run(&loaded, &crate::RunOptions::default()).expect("runs");
        assert!(outcome.passed(), "{:?}", outcome.expectations);
    }
}
