//! Managed scaling properties (docs/ecs-choices.md § "Managed scaling"): over generated groups
//! (sizes, `targetCapacity`, step sizes, warmup), services that may not fit, and drains of some of
//! the group's instances, a run never sets a desired capacity outside `MinSize`–`MaxSize`, never
//! scales out again within the warmup of its last launch, never scales in within 15 minutes of a
//! scale-out nor before 15 datapoints below the target, holds every invariant, and ends either
//! with every task placed or with the group at `MaxSize`; tasks too big for its instances hold the
//! metric at the target, so the group neither grows nor shrinks for them.
//! The same case run twice gives the same trace. Scenarios are built as `Scenario` values and
//! written with `write::to_ron`, so a failing case prints a file that replays it.

use drainsim_core::api;
use drainsim_core::managed_scaling::{SCALE_IN_AFTER_SCALE_OUT_MS, SCALE_IN_DATAPOINTS};
use drainsim_scenario::format::{Action, DrainPlan, Scenario, Step};
use drainsim_scenario::runner::run;
use drainsim_scenario::{load_str, write, RunOptions};
use proptest::prelude::*;

/// Cases: `PROPTEST_CASES` when set, else 40 (each case is a whole run).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

const BASE: &str = r#"Scenario(
    name: "managed-scaling-case",
    seed: 3,
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "workers", NewInstancesProtectedFromScaleIn: true, MinSize: 1, MaxSize: 6, DesiredCapacity: 3,
         LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
         cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 4096,
         AvailabilityZones: ["us-east-1a", "us-east-1b"], imageIds: {"1": "ami-0node"}),
    ],
    capacityProviders: [
        (name: "workers-cp", autoScalingGroupProvider: (autoScalingGroupArn: "workers",
            managedScaling: (status: "ENABLED", targetCapacity: 100),
            managedTerminationProtection: "ENABLED")),
    ],
    clusterCapacityProviders: [
        (cluster: "prod", capacityProviders: ["workers-cp"],
         defaultCapacityProviderStrategy: [(capacityProvider: "workers-cp", weight: 1)]),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 1024)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 8)],
    endTimeMs: 14400000,
)
"#;

#[derive(Debug, Clone)]
struct Case {
    min: u32,
    max: u32,
    desired: u32,
    target: u32,
    min_step: u32,
    max_step: u32,
    warmup_s: u32,
    task_cpu: i64,
    tasks: u32,
    drained: u32,
    maximum_percent: u32,
}

fn case() -> impl Strategy<Value = Case> {
    (0u32..=3, 1u32..=8, 0u32..=8, 50u32..=100, 1u32..=3, 1u32..=6, 0u32..=600, 256i64..=4096, 0u32..=30, 0u32..=3, 100u32..=200)
        .prop_map(|(min, span, desired, target, min_step, extra_step, warmup_s, task_cpu, tasks, drained, maximum_percent)| {
            let max = min.max(1) + span;
            let desired = desired.clamp(min, max);
            Case {
                min,
                max,
                desired,
                target,
                min_step,
                max_step: min_step + extra_step - 1,
                warmup_s,
                task_cpu,
                tasks,
                drained: drained.min(desired),
                maximum_percent,
            }
        })
}

/// The case's scenario, written as a file would be.
fn scenario(c: &Case) -> String {
    let mut s: Scenario = load_str("base.ron", BASE).expect("the base scenario loads").scenario;
    let g = &mut s.auto_scaling_groups[0];
    (g.min_size, g.max_size, g.desired_capacity) = (c.min, c.max, c.desired);
    let m = s.capacity_providers[0].auto_scaling_group_provider.managed_scaling.as_mut().expect("given");
    m.target_capacity = Some(c.target);
    m.minimum_scaling_step_size = Some(c.min_step);
    m.maximum_scaling_step_size = Some(c.max_step);
    m.instance_warmup_period = Some(c.warmup_s);
    s.task_definitions[0].container_definitions[0].cpu = Some(u32::try_from(c.task_cpu).expect("small"));
    let svc = &mut s.services[0];
    svc.desired_count = Some(i64::from(c.tasks));
    svc.deployment_configuration = Some(api::DeploymentConfiguration {
        minimum_healthy_percent: Some(50),
        maximum_percent: Some(i64::from(c.maximum_percent)),
    });
    if c.drained > 0 {
        s.steps.push(Step {
            at_ms: Some(600_000),
            caller: None,
            action: Action::DrainInstances(DrainPlan {
                cluster: Some("prod".into()),
                instances: (1..=c.drained).map(|n| format!("workers-{n}")).collect(),
                filter: None,
                status: None,
                wave_size: None,
            }),
            expect: None,
        });
    }
    write::to_ron(&s)
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let text = scenario(c);
    let loaded = load_str("case.ron", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    let out = run(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert!(out.invariant_violation.is_none(), "{:?}\n{text}", out.invariant_violation);
    prop_assert_eq!(out.managed_scaling.len(), 1);
    let m = &out.managed_scaling[0];
    prop_assert!(m.error.is_none(), "{:?}\n{text}", m.error);
    prop_assert!(!m.samples_truncated);
    let mut last_scale_out: Option<u64> = None;
    let mut desired_before = c.desired;
    for (k, p) in m.samples.iter().enumerate() {
        prop_assert!((c.min..=c.max).contains(&p.desired_capacity) || p.desired_capacity == c.desired, "{p:?}\n{text}");
        prop_assert_eq!(p.at_ms % 60_000, 0);
        if p.desired_capacity > desired_before {
            if let Some(t) = last_scale_out {
                prop_assert!(p.at_ms >= t + u64::from(c.warmup_s) * 1000, "scale-out within the warmup at {}\n{text}", p.at_ms);
            }
            last_scale_out = Some(p.at_ms);
        }
        if p.desired_capacity < desired_before {
            prop_assert!(
                last_scale_out.is_none_or(|t| p.at_ms >= t + SCALE_IN_AFTER_SCALE_OUT_MS),
                "scale-in within 15 minutes of a scale-out at {}\n{text}",
                p.at_ms
            );
            // The datapoints of the last 15 minutes were all below the target: every sample
            // kept since then says so (a sample is kept when something changed).
            let since = p.at_ms.saturating_sub(u64::from(SCALE_IN_DATAPOINTS - 1) * 60_000);
            for q in m.samples[..=k].iter().filter(|q| q.at_ms >= since) {
                prop_assert!(
                    q.instances_needed * 100 < c.target * q.instances_running,
                    "scale-in at {} after a datapoint at or above the target at {}\n{text}",
                    p.at_ms,
                    q.at_ms
                );
            }
        }
        desired_before = p.desired_capacity;
    }
    let e = &out.engine;
    let web = e.service_named("web").expect("web exists");
    let fits = c.task_cpu <= 2048;
    if !fits && c.tasks > 0 {
        // Tasks that fit no instance of the group hold the metric at the target: the group
        // neither grows for them nor shrinks.
        for p in &m.samples {
            prop_assert_eq!(p.desired_capacity, c.desired, "{:?}\n{}", p, text);
            prop_assert_eq!(p.capacity_provider_reservation_hundredths, u64::from(c.target) * 100);
        }
    }
    if matches!(out.stop_reason, drainsim_core::StopReason::Quiet) && fits {
        let at_max = m.samples.last().is_some_and(|p| p.desired_capacity == c.max) || c.desired == c.max;
        prop_assert!(web.running_count() == c.tasks || at_max, "tasks left unplaced below MaxSize\n{text}");
    }
    // The same case again: the same trace.
    let again = run(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again.engine.trace().digest(), e.trace().digest());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn managed_scaling_keeps_its_bounds(c in case()) {
        check(&c)?;
    }
}

/// A group with no instance and a task waiting scales out to two instances at a target of 100
/// ("Amazon ECS always scales-out to two instances initially"), and the task runs.
#[test]
fn from_no_instance_the_group_scales_out_to_two() {
    let c = Case {
        min: 0,
        max: 5,
        desired: 0,
        target: 100,
        min_step: 1,
        max_step: 10,
        warmup_s: 300,
        task_cpu: 512,
        tasks: 1,
        drained: 0,
        maximum_percent: 200,
    };
    let text = scenario(&c);
    let out = run(&load_str("zero.ron", &text).expect("loads"), &RunOptions::default()).expect("runs");
    let first = out.managed_scaling[0].samples[0];
    assert_eq!((first.at_ms, first.instances_running, first.desired_capacity), (60_000, 0, 2), "{first:?}");
    assert_eq!(first.capacity_provider_reservation_hundredths, 20_000);
    assert_eq!(out.engine.service_named("web").expect("web").running_count(), 1);
    // The task needs one instance: 15 minutes after the scale-out the empty one goes.
    assert_eq!(out.managed_scaling[0].scale_ins, 1, "{:?}", out.managed_scaling[0]);
    assert_eq!(out.engine.instances().filter(|i| i.status() == drainsim_core::InstanceStatus::Active).count(), 1);
}

/// Tasks wait PROVISIONING from the first pass that found no room for them, even when that pass
/// made other progress: at the Spot notice (5:00) the pass stops 6 tasks and finds no room for
/// the 8 replacements, so the PROVISIONING stall begins at 5:00, not at the next pass's 5:30; it
/// ends when the scale-out's instances register (6:00).
#[test]
fn a_provisioning_stall_begins_when_the_tasks_began_to_wait() {
    let file =
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/rollouts/spot-capacity-provider-replaces-interrupted-instances.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    let web = out.engine.service_named("web").expect("web");
    let stall = &web.stalls()[0];
    assert_eq!(stall.reason, drainsim_core::StallReason::Provisioning);
    assert_eq!((stall.started_at_ms, stall.ended_at_ms), (300_000, Some(360_000)), "{stall:?}");
}

/// Managed scaling counts what it launched to raise the capacity: the scale-out of 3 to 5 at the
/// Spot notice launches 2; the group's replacements of spot-1 and spot-2, which EC2 terminated
/// (spot-6 and spot-7), are the group keeping its desired capacity, not managed scaling's launches
/// (they were counted, 4). Its scale-in terminates those 2.
#[test]
fn replacements_of_spot_instances_are_not_managed_scaling_launches() {
    let file =
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/rollouts/spot-capacity-provider-replaces-interrupted-instances.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    let m = &out.managed_scaling[0];
    assert_eq!((m.scale_outs, m.instances_launched), (1, 2), "{m:?}");
    assert_eq!((m.scale_ins, m.instances_terminated), (1, 2), "{m:?}");
    for replacement in ["spot-6", "spot-7"] {
        assert!(out.engine.instance_named(replacement).is_some(), "the group launched {replacement}");
    }
}

/// A PROVISIONING stall lasts while its tasks still find no room, whatever else the service's
/// passes do meanwhile: a second drain at 6:40 makes the service stop tasks elsewhere, and the
/// wait that began at 6:00 still ends only when the scale-out's instance registers (7:00).
#[test]
fn a_provisioning_stall_outlasts_progress_elsewhere() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/regressions/provisioning-stall-outlasts-other-progress.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    let web = out.engine.service_named("web").expect("web");
    let stall = &web.stalls()[0];
    assert_eq!(stall.reason, drainsim_core::StallReason::Provisioning);
    assert_eq!((stall.started_at_ms, stall.ended_at_ms), (360_000, Some(420_000)), "{:?}", web.stalls());
}

/// The datapoints at the target between two runs of datapoints below it end the first run: the
/// scale-in comes 15 datapoints after the second began (35 min), not 10 (30 min), and a second,
/// unrelated group in the run (whose activity made the datapoints at the target be taken) changes
/// nothing about it.
#[test]
fn a_scale_in_needs_15_datapoints_in_a_row_below_the_target() {
    let file =
        concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/regressions/managed-scaling-scale-in-needs-15-datapoints-in-a-row.ron");
    let scale_ins = |loaded: &drainsim_scenario::LoadedScenario| -> Vec<(u64, u32, u32)> {
        let out = run(loaded, &RunOptions::default()).expect("runs");
        let asg = out.managed_scaling.iter().find(|m| m.auto_scaling_group_name == "asg").expect("asg is managed");
        asg.samples
            .iter()
            .filter(|p| p.desired_capacity < p.desired_capacity_before)
            .map(|p| (p.at_ms, p.desired_capacity_before, p.desired_capacity))
            .collect()
    };
    let mut loaded = drainsim_scenario::load_file(std::path::Path::new(file)).expect("loads");
    assert_eq!(scale_ins(&loaded), [(35 * 60_000, 4, 2)]);
    // The same with an unrelated managed group in another cluster, scaling itself in.
    let text = std::fs::read_to_string(file).expect("reads");
    let with_idle = text
        .replace(r#"clusters: ["prod"],"#, r#"clusters: ["prod", "other"],"#)
        .replace(
            "    capacityProviders: [",
            r#"    capacityProviders: [
        (name: "idle-cp", autoScalingGroupProvider: (autoScalingGroupArn: "idle",
            managedScaling: (status: "ENABLED", targetCapacity: 100))),"#,
        )
        .replace(
            "    autoScalingGroups: [",
            r#"    autoScalingGroups: [
        (AutoScalingGroupName: "idle", MinSize: 1, MaxSize: 8, DesiredCapacity: 8,
         LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
         cluster: "other", instanceType: "c5.xlarge", cpu: 4096, memory: 8192,
         imageIds: {"1": "ami-0old"}),"#,
        );
    loaded = drainsim_scenario::load_str("with-idle.ron", &with_idle).expect("loads");
    assert_eq!(scale_ins(&loaded), [(35 * 60_000, 4, 2)]);
}

/// The datapoint that reads what changed is recorded, also once the group is settled: after the
/// scale-out to 8 at 1:00 and the new instances' registration at 2:30, the record shows 3:00's
/// M 4 / N 8 at 50 % (the target) and nothing after it; it stopped at 2:00's N 4 and 100 %.
#[test]
fn a_settled_group_records_the_datapoint_that_reads_its_new_instances() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/drain/managed-scaling-records-the-settled-datapoint.ron");
    let loaded = drainsim_scenario::load_file(std::path::Path::new(path)).expect("loads");
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{}", outcome.failures_text());
    let samples: Vec<(u64, u32, u32, u64)> = outcome.managed_scaling[0]
        .samples
        .iter()
        .map(|s| (s.at_ms, s.instances_running, s.instances_needed, s.capacity_provider_reservation_hundredths))
        .collect();
    assert_eq!(samples, [(60_000, 4, 4, 10_000), (120_000, 4, 4, 10_000), (180_000, 8, 4, 5_000)]);
}
