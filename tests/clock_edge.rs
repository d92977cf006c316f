//! The clock's edge (issue 18, problem 1): generated scenarios whose steps, `WaitForDrain` timeouts
//! and pinned faults all fall within a few minutes of the end of simulated time (2^50 ms), with
//! services that cannot always place their tasks and fault rates on. Every run must end within
//! its event bound — counted in events, never timed — with its invariants checked after every
//! event. Before the fix an event past the limit was clamped to it, a retry pass came back at the
//! same instant forever, and such a run never ended.

use drainsim_core::api::{self, Request};
use drainsim_core::time::{MAX_SIM_TIME_MS, MINUTE_MS, SECOND_MS};
use drainsim_core::StopReason;
use drainsim_scenario::format::{
    Action, DeregisterPlan, DrainPlan, FaultsSpec, InstanceGroup, PinnedFaultKind, PinnedFaultSpec, Scenario, Step, WaitSpec,
};
use drainsim_scenario::runner::run;
use drainsim_scenario::write::to_ron;
use drainsim_scenario::{load_str, RunOptions};
use proptest::prelude::*;

/// The event bound of every generated run.
const MAX_EVENTS: u64 = 200_000;

/// Cases per run: `PROPTEST_CASES` when set, else 48.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

#[derive(Debug, Clone)]
enum EdgeStep {
    CreateService { desired: u32 },
    Drain(u8),
    Wait { instance: u8, timeout_ms: u64 },
    Deregister { instance: u8, force: bool },
    Advance,
}

fn edge_step() -> impl Strategy<Value = EdgeStep> {
    prop_oneof![
        (1u32..6).prop_map(|desired| EdgeStep::CreateService { desired }),
        (0u8..3).prop_map(EdgeStep::Drain),
        // Timeouts from a minute to two hours: most reach past the end of simulated time.
        (0u8..3, prop_oneof![Just(MINUTE_MS), Just(30 * MINUTE_MS), Just(120 * MINUTE_MS)])
            .prop_map(|(instance, timeout_ms)| EdgeStep::Wait { instance, timeout_ms }),
        (0u8..3, any::<bool>()).prop_map(|(instance, force)| EdgeStep::Deregister { instance, force }),
        Just(EdgeStep::Advance),
    ]
}

/// A scenario whose every step and pinned fault is within `minutes_before` (0–5) minutes of
/// the limit: three instances (trunked c5.large, small or roomy; none may hold a task), a task
/// definition of 1024 MiB, services created by steps, fault rates and pinned agent faults.
#[allow(clippy::type_complexity)]
fn edge_scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<u64>(),
        0u64..=5,
        prop::collection::vec(prop_oneof![Just(768i64), Just(4096), Just(16384)], 3),
        prop::collection::vec((0u64..=5 * MINUTE_MS, edge_step()), 1..8),
        prop::collection::vec((0u64..=5 * MINUTE_MS, 0u8..3, any::<bool>()), 0..4),
        (0u32..=500, 0u32..=500, prop_oneof![Just(1u64), Just(30 * SECOND_MS)]),
    )
        .prop_map(|(seed, minutes_before, memories, steps, pinned, (trunk_failure, start_failure, retry_ms))| {
            let start = MAX_SIM_TIME_MS - minutes_before * MINUTE_MS;
            let at = |offset: u64| (start + offset).min(MAX_SIM_TIME_MS);
            let name = |i: u8| format!("i{i}");
            let mut steps: Vec<(u64, EdgeStep)> = steps.into_iter().map(|(o, s)| (at(o), s)).collect();
            steps.sort_by_key(|(t, _)| *t);
            let mut pinned: Vec<PinnedFaultSpec> = pinned
                .into_iter()
                .map(|(o, i, connect)| PinnedFaultSpec {
                    at_ms: at(o),
                    fault: if connect {
                        PinnedFaultKind::AgentReconnect(name(i))
                    } else {
                        PinnedFaultKind::AgentDisconnect(name(i))
                    },
                })
                .collect();
            pinned.sort_by_key(|p| p.at_ms);
            let timings = drainsim_core::Timings { scheduler_retry_interval_ms: retry_ms, ..Default::default() };
            let mut services = 0;
            let steps = steps
                .into_iter()
                .map(|(t, s)| Step {
                    at_ms: Some(t),
                    caller: None,
                    expect: None,
                    action: match s {
                        EdgeStep::CreateService { desired } => {
                            services += 1;
                            Action::Ecs(Request::CreateService(api::CreateServiceRequest {
                                cluster: Some("prod".into()),
                                service_name: format!("svc{services}"),
                                task_definition: "app".into(),
                                desired_count: Some(desired as i64),
                                ..Default::default()
                            }))
                        }
                        EdgeStep::Drain(i) => Action::DrainInstances(DrainPlan {
                            cluster: Some("prod".into()),
                            instances: vec![name(i)],
                            filter: None,
                            status: None,
                            wave_size: None,
                        }),
                        EdgeStep::Wait { instance, timeout_ms } => Action::WaitForDrain(WaitSpec {
                            cluster: None,
                            instances: vec![name(instance)],
                            filter: None,
                            status: None,
                            timeout_ms,
                        }),
                        EdgeStep::Deregister { instance, force } => Action::DeregisterInstances(DeregisterPlan {
                            cluster: Some("prod".into()),
                            instances: vec![name(instance)],
                            filter: None,
                            status: None,
                            force,
                        }),
                        EdgeStep::Advance => Action::Advance,
                    },
                })
                .collect();
            Scenario {
                name: "clock-edge".into(),
                seed,
                timings,
                account_defaults: [("awsvpcTrunking".to_string(), "enabled".to_string())].into(),
                clusters: vec!["prod".into()],
                instances: memories
                    .iter()
                    .enumerate()
                    .map(|(n, m)| InstanceGroup {
                        cluster: Some("prod".into()),
                        ..InstanceGroup::new(&name(n as u8), "c5.large", 2048, *m)
                    })
                    .collect(),
                task_definitions: vec![api::RegisterTaskDefinitionRequest {
                    family: "app".into(),
                    container_definitions: vec![api::ContainerDefinition {
                        name: "app".into(),
                        cpu: Some(256),
                        memory: Some(1024),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                faults: Some(FaultsSpec {
                    trunk_provisioning_failure_per_mille: trunk_failure,
                    task_start_failure_per_mille: start_failure,
                    pinned,
                    ..Default::default()
                }),
                steps,
                end_time_ms: Some(MAX_SIM_TIME_MS),
                max_events: Some(MAX_EVENTS),
                ..Default::default()
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn runs_at_the_clock_edge_end_within_their_event_bound(scenario in edge_scenario()) {
        let text = to_ron(&scenario);
        let loaded = load_str("clock-edge.ron", &text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let opts = RunOptions { check_invariants_every_event: true, ..Default::default() };
        let outcome = run(&loaded, &opts).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let events = outcome.engine.events_processed();
        prop_assert!(events <= MAX_EVENTS, "{} events, bound {}\n{}", events, MAX_EVENTS, text);
        prop_assert!(outcome.engine.now_ms() <= MAX_SIM_TIME_MS, "the clock went past the limit\n{}", text);
        prop_assert_eq!(outcome.invariant_violation.as_deref(), None, "{}", text);
        if outcome.stop_reason != StopReason::MaxEvents {
            prop_assert!(outcome.engine.next_event_time().is_none_or(|t| t <= MAX_SIM_TIME_MS), "{}", text);
        }
    }
}
