//! Every invariant after every event, under swarm faults (issue 18, problem 3): generated drain
//! scenarios (half of them with trunked instances, so instances are REGISTERING and DEREGISTERING
//! for a while, and with agent disconnects and reconnects, and health checks failing in a zone or
//! passing again, pinned around their steps; a third with capacity provider strategies, whose
//! tasks must run on their providers' instances) run with
//! `--faults swarm` — each seed draws its own fault profile: trunk
//! provisioning failures, ENI attach latency, task start failures, random agent disconnects and
//! reconnects — and `check_invariants` runs after every event and request. The determinism test
//! runs faults without checking invariants; this is the test that catches an invariant a fault
//! breaks (an agent that reconnected while its instance was deregistering left it INACTIVE with
//! `agentConnected: true`).

use drainsim_scenario::generate::{render, ScenarioCase};
use drainsim_scenario::runner::run;
use drainsim_scenario::{load_str, RunOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

mod generated;

/// Cases of a run: `PROPTEST_CASES` when set, else 512.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

/// Runs in which some task was found UNHEALTHY (the health-check faults were exercised).
static RUNS_WITH_UNHEALTHY_TASKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs in which a service with a capacity provider strategy ran tasks (the strategies were
/// exercised).
static RUNS_WITH_PROVIDER_TASKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Runs one case with swarm faults, every invariant checked after every event; the error names the
/// broken invariant (a debug assertion's panic message) and the command that replays the case.
fn run_case(case: &ScenarioCase) -> Result<(), String> {
    let text = render(case);
    let loaded = load_str("generated.ron", &text).map_err(|e| format!("the generated case does not load: {e}\n{text}"))?;
    let opts = RunOptions { swarm_faults: true, check_invariants_every_event: true, ..Default::default() };
    let outcome = std::panic::catch_unwind(|| run(&loaded, &opts)).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("{why}\nreplay: write this case to a file and run `drainsim run FILE --faults swarm`\n{text}")
    })?;
    let outcome = outcome.map_err(|e| format!("the run refused the case: {e}\n{text}"))?;
    if outcome.engine.services().any(|s| s.unhealthy_tasks() > 0) {
        RUNS_WITH_UNHEALTHY_TASKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // A service with a capacity provider strategy runs only on its providers' instances.
    let mut provider_tasks = false;
    for s in outcome.engine.services() {
        let providers: Vec<&str> = s.capacity_providers().collect();
        if providers.is_empty() {
            continue;
        }
        for t in s.tasks() {
            let on = t.instance().capacity_provider();
            if !on.is_some_and(|p| providers.contains(&p)) {
                return Err(format!("{}'s task runs on capacity provider {on:?}, not one of {providers:?}\n{text}", s.name()));
            }
            provider_tasks = true;
        }
    }
    if provider_tasks {
        RUNS_WITH_PROVIDER_TASKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    match outcome.invariant_violation {
        Some(v) => Err(format!("invariant violated at the end: {v}\n{text}")),
        None => Ok(()),
    }
}

#[test]
fn swarm_faults_never_break_an_invariant() {
    let mut config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x5a12_0018);
    }
    let result = TestRunner::new(config)
        .run(&generated::scenario_case_with_agent_faults(), |case| run_case(&case).map_err(TestCaseError::fail));
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, minimal)) => panic!("{why}\nshrunk case: {minimal:#?}"),
        Err(e) => panic!("{e}"),
    }
    // Not vacuous: the health-check faults made some task UNHEALTHY, and some service ran by a
    // capacity provider strategy.
    assert!(RUNS_WITH_UNHEALTHY_TASKS.load(std::sync::atomic::Ordering::Relaxed) > 0, "no run found an UNHEALTHY task");
    assert!(RUNS_WITH_PROVIDER_TASKS.load(std::sync::atomic::Ordering::Relaxed) > 0, "no run placed a task by a strategy");
}
