//! Maximum instance lifetime properties (docs/rollouts.md#maximum-instance-lifetime): over
//! generated groups (sizes, a lifetime of one or two days, members of time 0 launched at various
//! times before the run, how the group terminates — a termination hook whose handler drains, one
//! nothing handles, ECS's managed draining, or at once —, terminate-first or launch-before-
//! terminating, launch and grace times) run for up to three days, a run holds every invariant, the
//! group's requests are accepted, no instance it terminates for its lifetime had been in service
//! less than the lifetime, every instance of the group that is ACTIVE at the end has been in service
//! less than the lifetime and an hour a member (what replacing them one by one may take), the group ends holding its
//! desired capacity (give or take the replacements under way), replacements are paced (at most a tenth of the capacity, at least one,
//! begin in one instant), and with launch-before-terminating and a path that drains no service
//! falls below its floor. The same case run twice gives the same trace. A failing case prints the
//! scenario file that replays it.

use drainsim_core::InstanceStatus;
use drainsim_scenario::outcome::TerminationCause;
use drainsim_scenario::runner::check_determinism;
use drainsim_scenario::RunOptions;
use proptest::prelude::*;

#[path = "common/asg_case.rs"]
mod asg_case;
use asg_case::{run_case, Path};

/// Cases: `PROPTEST_CASES` when set, else 24 (each case is a run of days).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
}

const DAY_MS: u64 = 86_400_000;

#[derive(Debug, Clone)]
struct Case {
    /// When each member of time 0 was launched, in ms before the run.
    launched_before_ms: Vec<u64>,
    lifetime_days: u64,
    launch_first: bool,
    path: Path,
    launch_ms: u64,
    grace_s: u32,
    tasks: u32,
    end_days: u64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u64..=2 * 24 * 60, 1..=12),
        1u64..=2,
        any::<bool>(),
        prop_oneof![Just(Path::HookDrain), Just(Path::HookWait), Just(Path::ManagedDraining), Just(Path::Immediate)],
        10u64..=120,
        0u32..=300,
        0u32..=24,
        1u64..=3,
    )
        .prop_map(|(minutes, lifetime_days, launch_first, path, launch_s, grace_s, tasks, end_days)| Case {
            launched_before_ms: minutes.iter().map(|m| m * 60_000).collect(),
            lifetime_days,
            launch_first,
            path,
            launch_ms: launch_s * 1000,
            grace_s,
            // At most half of the group's room (8 tasks an instance): a drain always finds room.
            tasks: tasks.min(4 * minutes.len() as u32),
            end_days,
        })
}

fn scenario(c: &Case) -> String {
    let n = c.launched_before_ms.len();
    let instances: Vec<String> = c
        .launched_before_ms
        .iter()
        .enumerate()
        .map(|(k, before)| {
            format!(
                r#"(name: "old-{}", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["{}"], cpu: 4096, memory: 8192, launchedAtMs: -{before})"#,
                k + 1,
                ["us-east-1a", "us-east-1b"][k % 2]
            )
        })
        .collect();
    let adopted: Vec<String> = (1..=n).map(|k| format!(r#"(InstanceId: "old-{k}")"#)).collect();
    let hook = c.path.hook();
    let providers = c.path.providers("cp", "nodes");
    let policy =
        if c.launch_first { "InstanceMaintenancePolicy: (MinHealthyPercentage: 100, MaxHealthyPercentage: 200)," } else { "" };
    format!(
        r#"Scenario(
    name: "max-instance-lifetime-case",
    seed: 9,
    clusters: ["prod"],
    instances: [{instances}],
    autoScalingGroups: [
        (AutoScalingGroupName: "nodes", MinSize: 0, MaxSize: {max}, DesiredCapacity: {n},
         LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
         AvailabilityZones: ["us-east-1a", "us-east-1b"], HealthCheckGracePeriod: {grace},
         MaxInstanceLifetime: {lifetime_s}, {policy}
         {hook}
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {{"1": "ami-0node"}},
         launchToRegisterMs: {launch}, Instances: [{adopted}]),
    ],
    {providers}
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: {tasks},
                deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200))],
    endTimeMs: {end},
)
"#,
        instances = instances.join(",\n        "),
        adopted = adopted.join(", "),
        max = 2 * n,
        grace = c.grace_s,
        lifetime_s = c.lifetime_days * 86_400,
        launch = c.launch_ms,
        tasks = c.tasks,
        end = c.end_days * DAY_MS,
    )
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let text = scenario(c);
    let (loaded, out) = run_case(&text)?;
    let e = &out.engine;
    let lifetime_ms = c.lifetime_days * DAY_MS;
    // When each instance was launched, in ms from time 0: a member of time 0's launchedAtMs, else
    // its first trace record (its registration) less the launch-to-register time.
    let launched_at = |name: &str| -> i128 {
        if let Some(k) = name.strip_prefix("old-").and_then(|k| k.parse::<usize>().ok()) {
            return -i128::from(c.launched_before_ms[k - 1]);
        }
        let id = e.instance_named(name).expect("registered").id();
        let registered =
            e.trace().records().iter().find(|r| r.subject == drainsim_core::Subject::Instance(id)).expect("a record").time_ms;
        i128::from(registered) - i128::from(c.launch_ms)
    };
    // No instance is terminated for its lifetime before it reached it.
    let mut starts: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    for t in out.group_terminations.iter().filter(|t| t.cause == TerminationCause::MaxInstanceLifetime) {
        let age = i128::from(t.at_ms) - launched_at(&t.instance);
        prop_assert!(age >= i128::from(lifetime_ms), "{} terminated at {} aged {age} ms\n{text}", t.instance, t.at_ms);
        *starts.entry(t.at_ms).or_default() += 1;
    }
    // Replacements begin in small batches: at most a tenth of the capacity (at least one) at once
    // (with launch-before-terminating they are terminated as their replacements become healthy,
    // so only terminate-first begins them in one instant).
    if !c.launch_first {
        let limit = (c.launched_before_ms.len() / 10).max(1);
        for (at, count) in &starts {
            prop_assert!(*count <= limit, "{count} terminations for their lifetime at {at}\n{text}");
        }
    }
    // The group ends holding its desired capacity, each instance younger than its lifetime plus
    // what replacing a member takes (a replacement waits for the one before it).
    // (Give or take the replacements under way at the end, at most a tenth of it, at least one:
    // launched and not yet registered, or registered before the instance they replace is gone.)
    let active: Vec<_> = e.instances().filter(|i| i.status() == InstanceStatus::Active).collect();
    let (n, under_way) = (c.launched_before_ms.len(), (c.launched_before_ms.len() / 10).max(1));
    prop_assert!(active.len().abs_diff(n) <= under_way, "{} instances at the end\n{text}", active.len());
    // A replacement takes well under an hour here (launch, grace period, a drain or a 5-minute
    // hook), and they go one at a time at most: none is overdue by more than an hour a member.
    let end = i128::from(e.now_ms());
    let slack_ms = i128::from(3_600_000 * c.launched_before_ms.len() as u64);
    for i in &active {
        let age = end - launched_at(i.name());
        prop_assert!(age < i128::from(lifetime_ms) + slack_ms, "{} is {age} ms old at the end\n{text}", i.name());
    }
    // Launch before terminating, and a path that drains: no floor is breached (but where the
    // service was still starting its tasks when the first drain began: a deficit of its own).
    if c.launch_first && matches!(c.path, Path::HookDrain | Path::ManagedDraining) {
        let web = e.service_named("web").expect("web");
        let breaches: Vec<_> =
            web.floor_breaches().iter().filter(|b| b.reason != drainsim_core::BreachCause::PreExistingDeficit).collect();
        prop_assert!(breaches.is_empty(), "{breaches:?}\n{text}");
    }
    check_determinism(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn max_instance_lifetime_replaces_instances_in_service_that_long(c in case()) {
        check(&c)?;
    }
}
