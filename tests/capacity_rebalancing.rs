//! Capacity Rebalancing properties (docs/rollouts.md#capacity-rebalancing): over generated Spot
//! groups (sizes, launch and grace times, how the group terminates: a termination hook whose
//! handler drains, one nothing handles, ECS's managed draining, or at once) and generated signals
//! (rebalance recommendations, each maybe followed by its interruption notice, or notices alone;
//! maybe drawn ones too) and maybe a SetDesiredCapacity step scaling the group out meanwhile,
//! a run holds every invariant, the group's requests are accepted, the group ends holding its
//! desired capacity with every signalled instance gone, it begins to terminate an instance on a
//! recommendation only once the instance's replacement is registered and past its grace period,
//! and with recommendations alone and a path that drains, no Spot Instance is interrupted and no
//! service falls below its floor. The same case run twice gives the same trace. A failing case
//! prints the scenario file that replays it.

use drainsim_core::{InstanceStatus, SpotSignal};
use drainsim_scenario::outcome::{TerminationCause, TerminationPath};
use drainsim_scenario::runner::{check_determinism, run};
use drainsim_scenario::{load_str, RunOptions};
use proptest::prelude::*;

#[path = "common/asg_case.rs"]
mod asg_case;
use asg_case::{run_case, Path};

/// Cases: `PROPTEST_CASES` when set, else 32 (each case is a whole run).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

/// What EC2 signals to one member of time 0.
#[derive(Debug, Clone, Copy)]
struct Signal {
    /// The member, from 1.
    member: u32,
    /// When (ms).
    at_ms: u64,
    /// A recommendation first (else the notice alone).
    recommendation: bool,
    /// When the notice follows the recommendation (ms after it), if it does.
    notice_after_ms: Option<u64>,
}

#[derive(Debug, Clone)]
struct Case {
    desired: u32,
    max_extra: u32,
    launch_ms: u64,
    grace_s: u32,
    path: Path,
    tasks: u32,
    minimum_healthy_percent: u32,
    signals: Vec<Signal>,
    /// Drawn signals, if any: interruptions and recommendations alone per mille per hour, and the
    /// lead of an interruption's recommendation (seconds).
    drawn: Option<(u32, u32, u64)>,
    /// A SetDesiredCapacity step at 4 minutes to this capacity (at least the first: the group's
    /// room only grows), if any.
    resize_to: Option<u32>,
}

fn signal(desired: u32) -> impl Strategy<Value = Signal> {
    (1..=desired, 60u64..=1_800, any::<bool>(), prop::option::of(0u64..=900)).prop_map(|(member, at_s, rec, after_s)| Signal {
        member,
        at_ms: at_s * 1000,
        recommendation: rec,
        notice_after_ms: after_s.map(|s| s * 1000),
    })
}

fn case() -> impl Strategy<Value = Case> {
    (1u32..=4)
        .prop_flat_map(|desired| {
            (
                Just(desired),
                0u32..=2,
                10u64..=120,
                0u32..=120,
                prop_oneof![Just(Path::HookDrain), Just(Path::HookWait), Just(Path::ManagedDraining), Just(Path::Immediate)],
                0u32..=12,
                prop_oneof![Just(50u32), Just(100u32)],
                prop::collection::vec(signal(desired), 0..=3),
                prop::option::of((0u32..=1000, 0u32..=1000, 0u64..=1800)),
                prop::option::of(0u32..=2),
            )
        })
        .prop_map(|(desired, max_extra, launch_s, grace_s, path, tasks, minimum_healthy_percent, signals, drawn, resize)| Case {
            desired,
            max_extra,
            launch_ms: launch_s * 1000,
            grace_s,
            path,
            // At most half of the group's room (8 tasks an instance): a drain always finds room
            // for its replacements.
            tasks: tasks.min(4 * desired),
            minimum_healthy_percent,
            signals,
            // A lead needs interruptions to lead.
            drawn: drawn.map(|(rate, alone, lead_s)| (rate, alone, if rate == 0 { 0 } else { lead_s })),
            resize_to: resize.map(|up| desired + up.min(max_extra)),
        })
}

/// The case's scenario file.
fn scenario(c: &Case) -> String {
    let hook = c.path.hook();
    let providers = c.path.providers("spot-cp", "spot");
    let mut pinned = Vec::new();
    for s in &c.signals {
        let name = format!("spot-{}", s.member);
        if s.recommendation {
            pinned.push(format!(r#"(atMs: {}, fault: SpotRebalanceRecommendation("{name}"))"#, s.at_ms));
            if let Some(after) = s.notice_after_ms {
                pinned.push(format!(r#"(atMs: {}, fault: SpotInterruption("{name}", "terminate"))"#, s.at_ms + after));
            }
        } else {
            pinned.push(format!(r#"(atMs: {}, fault: SpotInterruption("{name}", "terminate"))"#, s.at_ms));
        }
    }
    let drawn = match c.drawn {
        Some((rate, alone, lead_s)) => format!(
            "spotInterruptionPerMillePerHour: {rate}, spotRebalanceRecommendationPerMillePerHour: {alone}, \
             spotRebalanceRecommendationLeadMs: {}, ",
            lead_s * 1000
        ),
        None => String::new(),
    };
    // Drawn signals come within each hour: the run goes past two hours before it waits for quiet.
    let mut advance = String::new();
    if let Some(n) = c.resize_to {
        advance.push_str(&format!(
            r#"(atMs: 240000, do: SetDesiredCapacity((AutoScalingGroupName: "spot", DesiredCapacity: {n})), expect: Success), "#
        ));
    }
    if c.drawn.is_some() {
        advance.push_str("(atMs: 7800000, do: Advance), ");
    }
    format!(
        r#"Scenario(
    name: "capacity-rebalancing-case",
    seed: 5,
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "spot", MinSize: 0, MaxSize: {max}, DesiredCapacity: {desired},
         LaunchTemplate: (LaunchTemplateName: "ecs-spot", Version: "1"),
         AvailabilityZones: ["us-east-1a", "us-east-1b"], HealthCheckGracePeriod: {grace},
         {hook}
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {{"1": "ami-0spot"}},
         launchToRegisterMs: {launch}, spot: (spotInstanceDraining: true), CapacityRebalance: true),
    ],
    {providers}
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: {tasks},
                deploymentConfiguration: (minimumHealthyPercent: {minimum}, maximumPercent: 200))],
    faults: ({drawn}pinned: [{pinned}]),
    steps: [{advance}(do: RunUntilQuiet)],
    endTimeMs: 14400000,
)
"#,
        max = c.desired + c.max_extra,
        desired = c.desired,
        grace = c.grace_s,
        launch = c.launch_ms,
        tasks = c.tasks,
        minimum = c.minimum_healthy_percent,
        pinned = pinned.join(", "),
    )
}

fn check(c: &Case) -> Result<(), TestCaseError> {
    let text = scenario(c);
    let (loaded, out) = run_case(&text)?;
    let e = &out.engine;
    // Every instance EC2 signalled is gone, and the group holds its desired capacity.
    for s in &c.signals {
        let i = e.instance_named(&format!("spot-{}", s.member)).expect("a member of time 0");
        prop_assert_eq!(i.status(), InstanceStatus::Inactive, "spot-{} still there\n{}", s.member, text);
    }
    // Drawn signals come at moments within each hour, and each replacement's launch keeps the run
    // going, so a run may reach its end with the group still replacing what the last hour's draws
    // signalled: an instance signalled within the time a replacement takes (its launch, grace and
    // the termination path's 15 minutes at most) before the end may still be there, and only a
    // run that ended quiet holds the group at its desired capacity.
    let end_ms = e.now_ms();
    let settle_ms = c.launch_ms + u64::from(c.grace_s) * 1000 + 900_000;
    let first_signal_ms = |id: drainsim_core::InstanceId| {
        e.trace()
            .records()
            .iter()
            .find(|r| {
                r.subject == drainsim_core::Subject::Instance(id)
                    && matches!(
                        r.change,
                        drainsim_core::Change::SpotRebalanceRecommendation | drainsim_core::Change::SpotInterruptionNotice
                    )
            })
            .map(|r| r.time_ms)
    };
    for i in e.instances().filter(|i| i.spot_signal().is_some()) {
        if first_signal_ms(i.id()).is_some_and(|at| at + settle_ms <= end_ms) {
            prop_assert_eq!(i.status(), InstanceStatus::Inactive, "{} was signalled and is still there\n{}", i.name(), text);
        }
    }
    if out.stop_reason == drainsim_core::StopReason::Quiet {
        let active = e.instances().filter(|i| i.status() == InstanceStatus::Active).count() as u32;
        prop_assert_eq!(active, c.resize_to.unwrap_or(c.desired), "the group's instances at the end\n{}", text);
    }
    // A termination on a recommendation waits for its replacement: some instance the group
    // launched was registered (its first trace record) by then, less its grace period.
    let grace_ms = u64::from(c.grace_s) * 1000;
    let registered_at = |name: &str| {
        let id = e.instance_named(name)?.id();
        e.trace().records().iter().find(|r| r.subject == drainsim_core::Subject::Instance(id)).map(|r| r.time_ms)
    };
    let launched: Vec<u64> = (1..=c.desired * 8).filter_map(|n| registered_at(&format!("spot-{}", c.desired + n))).collect();
    for t in &out.group_terminations {
        if t.cause == TerminationCause::CapacityRebalancing(SpotSignal::RebalanceRecommendation) {
            let ready = launched.iter().filter(|&&r| r + grace_ms <= t.at_ms).count();
            prop_assert!(ready > 0, "{} terminated at {} before any replacement was ready\n{}", t.instance, t.at_ms, text);
        }
    }
    // Recommendations alone, and a path that drains: nothing is interrupted, no floor is breached.
    let draining_path = matches!(c.path, Path::HookDrain | Path::ManagedDraining);
    let drawn_notices = c.drawn.is_some_and(|(rate, _, _)| rate > 0);
    if draining_path && !drawn_notices && c.signals.iter().all(|s| s.recommendation && s.notice_after_ms.is_none()) {
        prop_assert_eq!(e.spot_interruptions(), 0, "{}", text);
        let web = e.service_named("web").expect("web");
        prop_assert!(web.floor_breaches().is_empty(), "{:?}\n{text}", web.floor_breaches());
        for t in &out.group_terminations {
            let expected =
                if c.path == Path::HookDrain { TerminationPath::LifecycleHookDrain } else { TerminationPath::ManagedDraining };
            prop_assert_eq!(t.path, expected, "{}", text);
        }
    }
    // The same case again: the same trace, record for record.
    check_determinism(&loaded, &RunOptions::default()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]
    #[test]
    fn capacity_rebalancing_replaces_what_ec2_signals(c in case()) {
        check(&c)?;
    }
}

/// A recommendation during a SetDesiredCapacity step is acted on in the step, at once: the group
/// (2 → 4 at 1 minute, instances registering a minute after launch) launches the at-risk
/// instance's replacement at the recommendation (90 s) beside the two the step launched, and
/// terminates `spot-1` once that replacement is InService; the step ends with 4 instances.
#[test]
fn a_recommendation_during_set_desired_capacity_is_acted_on_in_the_step() {
    let text = r#"Scenario(
    name: "rebalance-during-a-resize",
    seed: 5,
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "spot", MinSize: 0, MaxSize: 4, DesiredCapacity: 2,
         LaunchTemplate: (LaunchTemplateName: "ecs-spot", Version: "1"),
         LifecycleHooks: [(LifecycleHookName: "h", LifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
                HeartbeatTimeout: 300, DefaultResult: "CONTINUE", drainOnTermination: true)],
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {"1": "ami-0spot"},
         spot: (spotInstanceDraining: true), CapacityRebalance: true),
    ],
    faults: (pinned: [(atMs: 90000, fault: SpotRebalanceRecommendation("spot-1"))]),
    steps: [(atMs: 60000, do: SetDesiredCapacity((AutoScalingGroupName: "spot", DesiredCapacity: 4)), expect: Success)],
)"#;
    let loaded = load_str("resize.ron", text).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(out.passed(), "{:?}", out.expectations);
    let e = &out.engine;
    let active: Vec<&str> = e.instances().filter(|i| i.status() == InstanceStatus::Active).map(|i| i.name()).collect();
    assert_eq!(active, ["spot-2", "spot-3", "spot-4", "spot-5"]);
    let rebalanced: Vec<(&str, u64)> = out
        .group_terminations
        .iter()
        .filter(|t| t.cause == TerminationCause::CapacityRebalancing(SpotSignal::RebalanceRecommendation))
        .map(|t| (t.instance.as_str(), t.at_ms))
        .collect();
    assert_eq!(rebalanced, [("spot-1", 150_000)], "when spot-5, launched at 90 s, registered");
    let step_ended_at = out.steps[0].at_ms;
    assert!(step_ended_at >= 150_000, "the step waited for the replacement: ended at {step_ended_at}");
}

/// A StartInstanceRefresh while Capacity Rebalancing replaces an at-risk instance does not take
/// that instance for a victim (it no longer counts toward the group's capacity; taking it once
/// panicked): the refresh replaces the replacement, which runs the old configuration, and when the
/// step ends the group terminates the at-risk instance, its capacity held by the refresh's launch.
#[test]
fn a_refresh_during_capacity_rebalancing_leaves_the_at_risk_instance_to_it() {
    let text = r#"Scenario(
    name: "refresh-during-rebalancing",
    autoScalingGroups: [(AutoScalingGroupName: "g0", MinSize: 1, MaxSize: 1, DesiredCapacity: 1,
        LaunchTemplate: (LaunchTemplateName: "lt-g0", Version: "1"),
        instanceType: "c5.xlarge", cpu: 2048, memory: 2048, imageIds: {"1": "ami-01x"},
        HealthCheckGracePeriod: 600, spot: (), CapacityRebalance: true)],
    faults: (pinned: [(atMs: 60000, fault: SpotRebalanceRecommendation("g0-1"))]),
    steps: [(atMs: 300000, do: StartInstanceRefresh((AutoScalingGroupName: "g0")), expect: Success)],
    expectations: [InstanceStatus("g0-1", "INACTIVE"), InstanceStatus("g0-2", "INACTIVE"), InstanceStatus("g0-3", "ACTIVE")],
)"#;
    let loaded = load_str("refresh-during-rebalancing.ron", text).expect("loads");
    let out = run(&loaded, &RunOptions::default()).expect("runs");
    assert_eq!(out.invariant_violation, None);
    let failed: Vec<_> = out.expectations.iter().filter(|r| !r.passed).map(|r| (&r.name, &r.detail)).collect();
    assert!(failed.is_empty(), "{failed:?}");
    let causes: Vec<(&str, TerminationCause)> = out.group_terminations.iter().map(|t| (t.instance.as_str(), t.cause)).collect();
    assert_eq!(
        causes,
        [
            ("g0-2", TerminationCause::InstanceRefresh),
            ("g0-1", TerminationCause::CapacityRebalancing(SpotSignal::RebalanceRecommendation))
        ]
    );
}
