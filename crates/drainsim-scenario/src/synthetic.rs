//! Generated large scenarios for benchmarks and memory measurements (docs/performance.md): the
//! drain-shaped cluster of the `drain/*` benchmarks as a RON scenario file.

/// A scenario of `instances` m5.xlarge instances and `services` services of 100 tasks (half binpack
/// by memory, half spread by Availability Zone, min 50 / max 200). The tasks start on the first
/// half; the second half registers at 10 minutes; the first half is drained at 11 minutes.
pub fn large_drain_scenario(instances: usize, services: usize) -> String {
    let mut s = String::from("Scenario(\n  name: \"large\",\n  seed: 1,\n  clusters: [\"bench\"],\n  instances: [\n");
    let group = |name: &str, extra: &str| {
        format!(
            "    (name: \"{name}\", count: {}, cluster: \"bench\", instanceType: \"m5.xlarge\", availabilityZones: [\"us-east-1a\", \"us-east-1b\", \"us-east-1c\"], cpu: 4096, memory: 16384{extra}),\n",
            instances / 2
        )
    };
    s.push_str(&group("old", ""));
    s.push_str(&group("new", ", registerAtMs: 600000"));
    s.push_str("  ],\n  taskDefinitions: [(family: \"app\", containerDefinitions: [(name: \"app\", cpu: 128, memory: 256, exitAfterSigtermMs: 2000)])],\n  services: [\n");
    for n in 0..services {
        let strategy = if n % 2 == 0 {
            "(type: \"binpack\", field: \"memory\")"
        } else {
            "(type: \"spread\", field: \"attribute:ecs.availability-zone\")"
        };
        s.push_str(&format!(
            "    (cluster: \"bench\", serviceName: \"svc{n}\", taskDefinition: \"app\", desiredCount: 100, deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200), placementStrategy: [{strategy}]),\n"
        ));
    }
    s.push_str("  ],\n  steps: [(atMs: 660000, do: DrainInstances((cluster: \"bench\", instances: [\"old\"])))],\n  expectations: [StopReason(\"quiet\"), AllDrainsCompletedBy(3600000)],\n)\n");
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
