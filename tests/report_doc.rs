//! docs/report.md names every field the JSON reports print: `drainsim run --json` and `drainsim
//! explain --json` of scenarios that between them print every kind of object (faults, Auto
//! Scaling refreshes, managed scaling, stalls, breaches, agent waits, Spot signals, health checks).
//! The ECS objects the reports carry as ECS gives them (`registeredResources`, `attributes`,
//! `versionInfo`) are named by their own documentation, not here.

mod common;

use std::collections::BTreeSet;

const FILES: [&str; 14] = [
    "scenarios/demo.ron",
    "scenarios/format/faults.ron",
    "scenarios/format/load-balancer.ron",
    "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron",
    "scenarios/drain/stall-port-and-cpu.ron",
    "scenarios/query/member-of-zone-stall.ron",
    "scenarios/rollouts/instance-refresh-checkpoints.ron",
    "scenarios/rollouts/spot-capacity-rebalance-replaces-before-the-notice.ron",
    "scenarios/rollouts/managed-draining-hook-timeout.ron",
    "scenarios/faults/failing-health-checks-hold-a-drain.ron",
    "scenarios/rollouts/spot-interruption-min100-max200.ron",
    "scenarios/drain/drain-then-reactivate.ron",
    "scenarios/drain/example06-pending-task-stopped.ron",
    "scenarios/drain/drain-refused-is-named-not-complete.ron",
];

/// Every key of every object in `v`, except inside the members that are ECS's own objects.
fn keys(v: &serde_json::Value, into: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                into.insert(k.clone());
                if !matches!(k.as_str(), "registeredResources" | "remainingResources" | "attributes" | "versionInfo") {
                    keys(x, into);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| keys(x, into)),
        _ => {}
    }
}

#[test]
fn every_field_the_reports_print_is_documented() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.md")).expect("docs/report.md");
    let mut printed = BTreeSet::new();
    for file in FILES {
        for command in ["run", "explain"] {
            let out = common::drainsim(&[command, file, "--json"]);
            assert!(out.status.code().is_some_and(|c| c <= 1), "{command} {file}: {}", String::from_utf8_lossy(&out.stderr));
            let report: serde_json::Value =
                serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{command} {file}: {e}"));
            keys(&report, &mut printed);
        }
    }
    let missing: Vec<&String> = printed.iter().filter(|k| !doc.contains(&format!("| `{k}` |"))).collect();
    assert!(missing.is_empty(), "fields printed but not in docs/report.md: {missing:?}");
    // Fields of every kind of object were seen (a scenario that stopped printing them would make
    // the check above weaker).
    for k in [
        "faultProfile",
        "instanceRefreshes",
        "managedScaling",
        "stalls",
        "floorBreaches",
        "spotSignals",
        "orphanedTasks",
        "goneUndrained",
        "orphanedByService",
        "drainCancelledAtMs",
        "drainsRefused",
    ] {
        assert!(printed.contains(k), "no scenario printed {k}");
    }
}
