//! The proptest strategies of generated scenario cases (`drainsim_scenario::generate::ScenarioCase`),
//! shared by the tests that run them: `counterexamples.rs` (named properties) and
//! `swarm_invariants.rs` (every invariant after every event under swarm faults).

use drainsim_scenario::generate::{
    AgentFaultCase, CapacityCase, HealthFaultCase, InstanceCase, PlanStep, ProviderStrategyCase, ScenarioCase, ServiceCase,
    StrategyCase, TaskCase, MAX_INSTANCES, MAX_PLAN_STEPS, MAX_SERVICES,
};
use proptest::prelude::*;

fn service() -> impl Strategy<Value = ServiceCase> {
    (
        1u32..6,
        prop_oneof![Just(0u32), Just(50), Just(75), Just(100)],
        prop_oneof![1 => Just(100u32), 1 => Just(125), 1 => Just(150), 2 => Just(200)],
        prop_oneof![
            Just(StrategyCase::Default),
            Just(StrategyCase::BinpackMemory),
            Just(StrategyCase::SpreadInstanceId),
            Just(StrategyCase::Random)
        ],
    )
        .prop_map(|(desired, min_percent, max_percent, strategy)| ServiceCase {
            desired,
            min_percent,
            max_percent,
            strategy,
        })
}

/// Plans name instances 0..3 (modulo the instance count), so larger clusters keep instances no
/// step touches: the room the liveness property needs.
const PLAN_TARGETS: u8 = 3;

fn instance_list() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..PLAN_TARGETS, 1..4)
}

fn plan_step() -> impl Strategy<Value = PlanStep> {
    prop_oneof![
        5 => (instance_list(), 1u32..11).prop_map(|(instances, wave_size)| PlanStep::Drain { instances, wave_size }),
        1 => instance_list().prop_map(|instances| PlanStep::Activate { instances }),
        2 => (instance_list(), prop_oneof![Just(60_000u64), Just(600_000)])
            .prop_map(|(instances, timeout_ms)| PlanStep::WaitForDrain { instances, timeout_ms }),
        1 => (0u8..PLAN_TARGETS, any::<bool>()).prop_map(|(instance, force)| PlanStep::Deregister { instance, force }),
        1 => Just(PlanStep::Advance),
    ]
}

/// Small scenario cases; every part shrinks toward fewer, smaller and simpler. None is trunked.
pub fn scenario_case() -> impl Strategy<Value = ScenarioCase> {
    (
        any::<u64>(),
        prop::collection::vec((1u32..9, 0u8..3).prop_map(|(slots, zone)| InstanceCase { slots, zone }), 1..=MAX_INSTANCES),
        (
            prop::bool::weighted(0.25),
            prop_oneof![Just(5u32), Just(30)],
            prop::option::of(prop_oneof![Just(1_000u64), Just(20_000)]),
        )
            .prop_map(|(host_port, stop_timeout_s, exit_after_sigterm_ms)| TaskCase {
                host_port,
                stop_timeout_s,
                exit_after_sigterm_ms,
            }),
        prop::collection::vec(service(), 1..=MAX_SERVICES),
        any::<bool>(),
        prop_oneof![Just(60_000u64), Just(0), Just(120_000)],
        prop::collection::vec(
            (prop_oneof![Just(0u64), Just(1_000), Just(30_000), Just(120_000)], plan_step()),
            1..=MAX_PLAN_STEPS,
        ),
    )
        .prop_map(|(seed, instances, task, services, load_balancer, first_step_at_ms, steps)| ScenarioCase {
            seed,
            instances,
            task,
            services,
            load_balancer,
            trunked: false,
            agent_faults: vec![],
            health_faults: vec![],
            capacity: None,
            first_step_at_ms,
            steps,
        })
}

/// Agent disconnects and reconnects pinned within 30 s after the plan's steps.
fn agent_faults() -> impl Strategy<Value = Vec<AgentFaultCase>> {
    prop::collection::vec(
        (0u8..10, prop_oneof![Just(0u64), Just(1_000), Just(5_000), Just(30_000)], 0u8..PLAN_TARGETS, any::<bool>())
            .prop_map(|(step, delay_ms, instance, reconnect)| AgentFaultCase { step, delay_ms, instance, reconnect }),
        0..6,
    )
}

/// Health checks that fail in a zone for 10 s to 2 minutes, from 0–30 s after the plan's steps.
fn health_faults() -> impl Strategy<Value = Vec<HealthFaultCase>> {
    prop::collection::vec(
        (
            0u8..10,
            prop_oneof![Just(0u64), Just(1_000), Just(5_000), Just(30_000)],
            0u8..3,
            prop_oneof![Just(10_000u64), Just(60_000), Just(120_000)],
        )
            .prop_map(|(step, delay_ms, zone, lasts_ms)| HealthFaultCase { step, delay_ms, zone, lasts_ms }),
        0..3,
    )
}

/// Capacity providers `even` and `odd` (by the instance's index) and each service's strategy: none,
/// one provider, or both with a base and weights.
fn capacity() -> impl Strategy<Value = CapacityCase> {
    prop::collection::vec(
        prop_oneof![
            1 => Just(ProviderStrategyCase::None),
            2 => any::<bool>().prop_map(|odd| ProviderStrategyCase::One { odd }),
            2 => (0u32..3, 0u32..4, 0u32..4)
                .prop_map(|(base, even_weight, odd_weight)| ProviderStrategyCase::Both { base, even_weight, odd_weight }),
        ],
        1..4,
    )
    .prop_map(|strategies| CapacityCase { strategies })
}

/// [`scenario_case`]s whose services run by capacity provider strategies.
#[allow(dead_code)] // not every test file that shares this module uses it
pub fn scenario_case_with_capacity_providers() -> impl Strategy<Value = ScenarioCase> {
    (scenario_case(), capacity()).prop_map(|(case, capacity)| ScenarioCase { capacity: Some(capacity), ..case })
}

/// [`scenario_case`]s with agent and health-check faults pinned around their steps, of which half
/// register their instances with trunk ENIs (REGISTERING while the trunk attaches, DEREGISTERING
/// while it detaches) and a third run their services by capacity provider strategies.
pub fn scenario_case_with_agent_faults() -> impl Strategy<Value = ScenarioCase> {
    (scenario_case(), any::<bool>(), agent_faults(), health_faults(), prop::option::weighted(0.33, capacity())).prop_map(
        |(case, trunked, agent_faults, health_faults, capacity)| ScenarioCase {
            trunked,
            agent_faults,
            health_faults,
            capacity,
            ..case
        },
    )
}
