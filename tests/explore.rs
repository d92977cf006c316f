//! `drainsim explore` (docs/explore.md): the examples of `scenarios/explore/` prove or refute the
//! drain properties; the result does not depend on the number of threads; every counterexample
//! replays to the same violation under `drainsim run`; a sweep of 10,000 seeds with
//! `--faults swarm` misses the violation the explorer finds; bad input is refused.

use std::path::{Path, PathBuf};
use std::process::Command;

use drainsim_scenario::explore::{self, properties, Bound, ExploreOptions, ExploreReport};
use drainsim_scenario::{load_file, load_str, runner, LoadedScenario, RunOptions};
use rayon::prelude::*;

const PROVED: &str = "scenarios/explore/three-instances-start-failures.ron";
const WINDOW: &str = "scenarios/explore/window-three-spares-disconnected.ron";
/// The seeds the sweep runs (the figure docs/explore.md quotes).
const SWEEP_SEEDS: u64 = 10_000;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load(file: &str) -> LoadedScenario {
    load_file(&workspace().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn explore_with(loaded: &LoadedScenario, opts: &ExploreOptions, threads: usize) -> ExploreReport {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
    pool.install(|| explore::explore(loaded, opts, &|| false)).expect("explores")
}

/// Runs the binary from the workspace: its exit code, standard output and standard error.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim")).args(args).current_dir(workspace()).output().expect("runs");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

fn out_dir(name: &str) -> PathBuf {
    let dir = workspace().join("target").join("explore-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs a counterexample file with the binary: it must fail (exit 1) on the property's expectation.
fn assert_replays(path: &Path, property: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", path.to_str().unwrap(), "--timeline", "none"])
        .current_dir(workspace())
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    // The replay takes the written choices as written: no departure from them is warned of.
    assert!(!stderr.contains("explore.choices"), "{stderr}");
    assert!(stdout.contains(&format!("FAIL {property}")), "{stdout}");
    // Its detail says what the property judged, by name, before what was observed (it read
    // `drainCompletedAtMs null`, naming no instance).
    let line = stdout.lines().find(|l| l.contains(&format!("FAIL {property}"))).expect("the failed property");
    let detail = line.split_once(&format!("FAIL {property}  (")).map(|(_, d)| d).expect("a detail");
    assert!(detail.ends_with(')') && detail.contains(": "), "{line}");
}

/// When the replay of a counterexample file ends (`runEndedAtMs` of `drainsim run --json`).
fn replay_end_ms(path: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", path.to_str().unwrap(), "--json"])
        .current_dir(workspace())
        .output()
        .expect("the binary runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["runEndedAtMs"].as_u64().expect("runEndedAtMs")
}

/// A violation of "every drain completes" is found at a terminal state, whose last change may be
/// long before the run ends: its time, and the time its detail says the run ended at, are when
/// the replay ends (`endTimeMs`, 100 s here, with the agents' reconnections past it), not the
/// state's last change (62 s).
#[test]
fn a_violation_at_the_runs_end_is_reported_when_the_replay_ends() {
    let loaded = drainsim_scenario::load_str(
        "ended.ron",
        r#"Scenario(name: "ended", seed: 1,
        timings: (schedulerRetryIntervalMs: 1000, taskProvisioningMs: 100, taskPendingMs: 100, taskActivatingMs: 100, healthyAfterRunningMs: 0),
        clusters: ["prod"],
        instances: [
            (name: "a", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 3840),
            (name: "b", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1b"], cpu: 2048, memory: 3840),
            (name: "c", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1c"], cpu: 1024, memory: 1900),
        ],
        taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 900, exitAfterSigtermMs: 2000)])],
        services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 2,
                    deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200))],
        explore: (faults: [TaskExit, AgentDisconnect], maxFaults: 2),
        steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"])))],
        endTimeMs: 100000)"#,
    )
    .expect("loads");
    let report = explore_with(&loaded, &ExploreOptions::default(), 1);
    let v = report.violation.as_ref().expect("a violation");
    assert_eq!(v.finding.property, properties::DRAINS_COMPLETE);
    assert_eq!(v.at_ms, 100_000);
    assert!(v.finding.detail.contains("when the run ended at 100000 ms"), "{}", v.finding.detail);
    let path = explore::write_counterexample(&out_dir("ended"), "ended", &loaded.scenario, &report, v).expect("written");
    assert_replays(&path, properties::DRAINS_COMPLETE);
    assert_eq!(replay_end_ms(&path), v.at_ms);
}

#[test]
fn three_instances_with_start_failures_are_proved_on_every_path() {
    let loaded = load(PROVED);
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert_eq!(report.violation, None);
    assert_eq!(report.bound, None, "explored completely");
    assert!(report.distinct_states > 100 && report.terminal_states > 10, "{report:?}");
    assert_eq!(report.spec.max_faults, 2);
    let paths = report.paths.expect("a complete, acyclic graph counts its paths");
    assert!(paths >= report.terminal_states, "{report:?}");
    for p in &report.properties {
        assert!(!p.violated && p.checked > 0, "{p:?}");
    }
    // Paths with one and with two start failures were among them: fewer faults, fewer states.
    let one = explore_with(&loaded, &ExploreOptions { max_faults: Some(1), ..Default::default() }, 2);
    let none = explore_with(&loaded, &ExploreOptions { max_faults: Some(0), ..Default::default() }, 2);
    assert!(none.distinct_states < one.distinct_states && one.distinct_states < report.distinct_states);
    assert_eq!(none.terminal_states, 1, "without faults the scenario is one path");
}

/// Health checks failing at any moment of a drain (`HealthCheckFailure`): every property holds on
/// every path, and the failures are choices the explorer takes: without them the same drain has
/// one path. Each failure the explorer takes on a healthy task makes its service lose a healthy
/// task it did not stop, and a path whose failures take a service below its floor records that
/// breach as `healthCheckFailed`.
#[test]
fn health_check_failures_during_a_drain_break_no_property() {
    let loaded = load("scenarios/explore/health-check-failures-during-a-drain.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert_eq!((report.violation.as_ref(), report.bound), (None, None), "explored completely, no violation");
    for p in &report.properties {
        assert!(!p.violated && p.checked > 0, "{p:?}");
    }
    let paths = report.paths.expect("a complete, acyclic graph counts its paths");
    let mut without = loaded.clone();
    without.scenario.explore.as_mut().unwrap().faults.clear();
    let plain = explore_with(&without, &ExploreOptions::default(), 2);
    assert_eq!(plain.paths, Some(1), "{plain:?}");
    assert!(paths > 100, "{paths} paths with health-check failures");
    // A path that fails both of `web`'s tasks before a replacement counts goes below its floor of 1
    // and says why: pinned choices replay one (nothing until the `skip`-th injection point, then
    // the first candidate twice).
    let breaches_for_health = |skip: usize| {
        let mut path = loaded.clone();
        path.scenario.explore.as_mut().unwrap().choices = std::iter::repeat_n(0, skip).chain([1, 1]).collect();
        let outcome = runner::run(&path, &RunOptions::default()).expect("runs");
        let web = outcome.engine.service_named("web").expect("created");
        web.floor_breaches().iter().any(|b| b.reason == drainsim_core::BreachCause::HealthCheckFailed)
    };
    assert!((0..40).any(breaches_for_health), "some path breaches web's floor for its health checks");
}

/// Capacity provider strategies under start failures and container exits during a drain: every
/// path keeps every property (the invariants include the services' counts of their tasks per
/// provider), and the fault-free run keeps `batch` on the spot instance left.
#[test]
fn capacity_provider_strategies_during_a_drain_break_no_property() {
    let loaded = load("scenarios/explore/capacity-provider-strategies-during-a-drain.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert_eq!((report.violation.as_ref(), report.bound), (None, None), "explored completely, no violation");
    for p in &report.properties {
        assert!(!p.violated && p.checked > 0, "{p:?}");
    }
    assert!(report.paths.is_some_and(|p| p > 100), "{:?} paths", report.paths);
    let outcome = runner::run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "{:?}", outcome.expectations);
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    for file in [PROVED, WINDOW] {
        let loaded = load(file);
        let a = explore_with(&loaded, &ExploreOptions::default(), 1);
        let b = explore_with(&loaded, &ExploreOptions::default(), 3);
        assert_eq!(
            (a.states_visited, a.distinct_states, a.terminal_states, a.depth_reached, a.engine_events),
            (b.states_visited, b.distinct_states, b.terminal_states, b.depth_reached, b.engine_events),
            "{file}"
        );
        assert_eq!(a.violation, b.violation, "{file}");
    }
}

#[test]
fn the_explorer_finds_what_a_sweep_of_10000_swarm_seeds_misses() {
    let loaded = load(WINDOW);
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    let v = report.violation.as_ref().expect("a violation");
    assert_eq!(v.finding.property, properties::DRAINS_COMPLETE);
    assert_eq!(v.depth, 10, "the shortest path");
    let injected = v.choice_points.iter().filter(|c| c.kind == drainsim_core::ChoiceKind::Injection && c.chosen > 0).count();
    assert_eq!(injected, 3, "three agent disconnects: {:?}", v.choice_points);
    // The run ended in the violating state: it is a terminal state reached, and counted so (it was
    // left out: "terminalStates 0" beside an `eventually` property checked once).
    assert!(report.terminal_states >= 1, "{report:?}");
    // Explored with the classes `--faults swarm` draws.
    let names: Vec<&str> = report.spec.faults.iter().map(|f| f.as_str()).collect();
    assert_eq!(names, ["TaskStartFailure", "AgentDisconnect", "TrunkFailure"]);

    let dir = out_dir("window");
    let path = explore::write_counterexample(&dir, "window", &loaded.scenario, &report, v).expect("written");
    assert_replays(&path, properties::DRAINS_COMPLETE);

    // The same scenario, swept over 10,000 seeds with each seed's own swarm fault profile.
    let failing: Vec<u64> = (0..SWEEP_SEEDS)
        .into_par_iter()
        .filter(|seed| {
            let opts = RunOptions { seed: Some(*seed), swarm_faults: true, ..Default::default() };
            let outcome = runner::run(&loaded, &opts).expect("runs");
            outcome.expectations.iter().any(|r| !r.passed)
        })
        .collect();
    println!(
        "explore: violation after {} transitions, {} distinct states; sweep of {SWEEP_SEEDS} swarm seeds: {} failing",
        v.depth,
        report.distinct_states,
        failing.len()
    );
    // The sweep finds other ways to miss the window, each one agent away at the wrong moment: the
    // task on `a` waits for `a`'s agent to send SIGTERM and report it stopped, or the replacement,
    // placed on a spare whose agent then disconnects, waits for that agent to start it. It never
    // shows the explorer's path, where no instance with a connected agent can take the
    // replacement (placement fails with `AGENT`).
    for seed in &failing {
        let opts = RunOptions { seed: Some(*seed), swarm_faults: true, ..Default::default() };
        let outcome = runner::run(&loaded, &opts).expect("runs");
        let web = outcome.engine.service_named("web").expect("web");
        assert_eq!(
            web.placement_failures_for(drainsim_core::PlacementFailureReason::Agent),
            0,
            "seed {seed} could place the replacement nowhere for want of an agent: the sweep found the explorer's path"
        );
    }
    assert!(!failing.is_empty(), "with agents that hold their tasks, a swarm sweep misses the window too");
}

#[test]
fn a_scale_in_before_an_injected_drain_breaks_no_property() {
    // `rand` is created by a step (desired 2, ceiling 4), scaled to 0 and deleted; a drain injected
    // while its two tasks still stop sees them against a ceiling of 0. The ceiling property holds a
    // service to the highest ceiling it has had, so the scale-in's stopping tasks are no violation;
    // the `distinct` service (distinctInstance, desired 3) can never have its three instances, so
    // no drain of its tasks is claimed to have room. Both were reported before (docs/explore.md).
    let loaded = load("scenarios/format/services.ron");
    let opts = ExploreOptions {
        faults: Some(explore::parse_faults("DrainRequest").unwrap()),
        max_faults: Some(1),
        ..Default::default()
    };
    let report = explore_with(&loaded, &opts, 2);
    assert_eq!(report.violation, None, "{report:?}");
    assert_eq!(report.bound, None, "explored completely");
    for name in [properties::CEILING, properties::FLOOR, properties::DRAINS_COMPLETE] {
        let p = report.properties.iter().find(|p| p.name == name).expect("checked");
        assert!(!p.violated && p.checked > 0, "{p:?}");
    }
    // The run itself: `rand` ends with a ceiling of 0 and keeps the 4 it was created with.
    let outcome = runner::run(&loaded, &RunOptions::default()).unwrap();
    let rand = outcome.engine.service_named("rand").expect("created by a step");
    assert_eq!((rand.task_ceiling(), rand.highest_ceiling()), (0, 4));
}

#[test]
fn an_always_counterexample_replays_to_the_same_violation() {
    // A cluster captured with more tasks than its service's ceiling (tests/data/explore): the
    // ceiling property fails at once, and its counterexample fails the same expectation under
    // `drainsim run`, in process and with the binary.
    let loaded = load("tests/data/explore/captured-over-ceiling.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    let v = report.violation.as_ref().expect("a violation");
    assert_eq!(v.finding.property, properties::CEILING);
    assert_eq!(v.finding.detail, "web: 3 tasks observed, ceiling 2");
    let dir = out_dir("captured-over-ceiling");
    let path = explore::write_counterexample(&dir, "captured-over-ceiling", &loaded.scenario, &report, v).expect("written");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("Named({:?}, ", properties::CEILING)), "{text}");
    assert_replays(&path, properties::CEILING);
    let cx = load_file(&path).unwrap();
    let outcome = runner::run(&cx, &RunOptions::default()).unwrap();
    let failed: Vec<_> = outcome.expectations.iter().filter(|r| !r.passed).collect();
    assert!(failed.iter().any(|r| r.name.contains(properties::CEILING)), "{failed:?}");
    assert!(matches!(cx.scenario.expectations.as_slice(), [drainsim_scenario::format::Expectation::Named(..)]));
}

#[test]
fn a_distinct_instance_service_needs_an_instance_of_room_per_task() {
    // Three instances, `c` too small for a task; `web` (distinctInstance) runs on `a` and `b`, and
    // `a` drains at 1 min. With `c` as small as it is, `web`'s task on `a` has nowhere to go: no
    // room is claimed. With `c` as big as the others, it has.
    let scenario = |c_memory: u32| {
        format!(
            r#"Scenario(name: "distinct", seed: 1, clusters: ["prod"],
            instances: [
                (name: "a", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 7680),
                (name: "b", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1b"], cpu: 2048, memory: 7680),
                (name: "c", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1c"], cpu: 2048, memory: {c_memory}),
            ],
            taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 256, memory: 1024)])],
            services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 2,
                        placementConstraints: [(type: "distinctInstance")],
                        placementStrategy: [(type: "binpack", field: "memory")])],
            steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"])))],
            expectations: [])"#
        )
    };
    for (c_memory, room) in [(512, false), (7680, true)] {
        let mut loaded = drainsim_scenario::load_str("distinct.ron", &scenario(c_memory)).expect("valid");
        loaded.scenario.end_time_ms = Some(60_000);
        let outcome = runner::run(&loaded, &RunOptions::default()).unwrap();
        let e = &outcome.engine;
        let a = e.instance_named("a").expect("registered");
        assert_eq!(a.running_tasks_count(), 1, "web runs on a and b");
        assert_eq!(properties::drain_has_capacity(e, &a), room, "c has {c_memory} MiB");
    }
}

/// Room the drain's services cannot use is no room: the instances of another capacity provider
/// than a service's one, what standalone tasks hold, and an instance without the GPUs a task
/// reserves. In both clusters the drain stalls for
/// memory, and the explorer (no fault) finds no violation; with room where the service may go,
/// the drain completes and room is claimed. Nor is room claimed while the scenario's own
/// `failingHealthChecks` (a fault that never stops) are in force.
#[test]
fn room_the_services_cannot_use_is_not_claimed() {
    // `batch` runs on provider `spot` only: `spot-1` and `spot-2` full, `od` (on-demand) empty.
    let providers = |od_provider: &str| {
        format!(
            r#"Scenario(name: "providers", seed: 11, clusters: ["prod"],
            clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["on-demand", "spot"], defaultCapacityProviderStrategy: [])],
            instances: [
                (name: "od", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 4096, capacityProviderName: "{od_provider}"),
                (name: "spot", count: 2, cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1a", "us-east-1b"], cpu: 2048, memory: 4096, capacityProviderName: "spot"),
            ],
            taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 1024)])],
            services: [(cluster: "prod", serviceName: "batch", taskDefinition: "app", desiredCount: 8,
                        capacityProviderStrategy: [(capacityProvider: "spot", weight: 1)])],
            explore: (),
            steps: [(atMs: 300000, do: DrainInstances((cluster: "prod", instances: ["spot-2"])))],
            expectations: [], endTimeMs: 1800000)"#
        )
    };
    // `app` (distinctInstance) runs on `a`; `b`'s memory is held by a standalone task, or not.
    let standalone = |hog_memory: u32| {
        format!(
            r#"Scenario(name: "standalone", seed: 29, clusters: ["prod"],
            instances: [
                (name: "a", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 4096),
                (name: "b", cluster: "prod", instanceType: "m5.large", availabilityZones: ["us-east-1b"], cpu: 2048, memory: 4096),
            ],
            taskDefinitions: [
                (family: "app", containerDefinitions: [(name: "app", cpu: 1024, memory: 2048)]),
                (family: "hog", containerDefinitions: [(name: "hog", cpu: 256, memory: {hog_memory})]),
            ],
            services: [(cluster: "prod", serviceName: "app", taskDefinition: "app", desiredCount: 1,
                        deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200),
                        placementConstraints: [(type: "distinctInstance")])],
            explore: (),
            steps: [
                (atMs: 10000, do: StartTask((cluster: "prod", taskDefinition: "hog", containerInstances: ["b"]))),
                (atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
            ],
            expectations: [], endTimeMs: 600000)"#
        )
    };
    // `infer` (a GPU a task) runs on `gpu-1` and `gpu-2`, one GPU each; `spare` has room for many
    // tasks, and a GPU or none.
    let gpus = |spare_gpus: u32| {
        format!(
            r#"Scenario(name: "gpus", seed: 5, clusters: ["prod"],
            instances: [
                (name: "gpu", count: 2, cluster: "prod", instanceType: "g5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b"], cpu: 4096, memory: 15600, gpus: 1),
                (name: "spare", cluster: "prod", instanceType: "g5.xlarge", availabilityZones: ["us-east-1a"], cpu: 16384, memory: 60000, gpus: {spare_gpus}),
            ],
            taskDefinitions: [(family: "infer", containerDefinitions: [(name: "model", cpu: 1024, memory: 4096, resourceRequirements: [(type: "GPU", value: "1")])])],
            services: [(cluster: "prod", serviceName: "infer", taskDefinition: "infer", desiredCount: 2,
                        deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200),
                        placementConstraints: [(type: "distinctInstance")])],
            explore: (),
            steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["gpu-1"])))],
            expectations: [], endTimeMs: 600000)"#
        )
    };
    let cases = [
        (providers("on-demand"), "spot-2", false),
        (providers("spot"), "spot-2", true),
        (standalone(3584), "a", false),
        (standalone(512), "a", true),
        (gpus(0), "gpu-1", false),
        (gpus(1), "gpu-1", true),
    ];
    for (text, drained, room) in cases {
        let loaded = load_str("room.ron", &text).expect("valid");
        let outcome = runner::run(&loaded, &RunOptions::default()).expect("runs");
        let e = &outcome.engine;
        let i = e.instance_named(drained).expect("registered");
        assert_eq!(properties::drain_has_capacity(e, &i), room, "{}: {drained}", loaded.scenario.name);
        assert_eq!(i.drain().completed_at_ms().is_some(), room, "{}: the drain completes only with room", loaded.scenario.name);
        let report = explore_with(&loaded, &ExploreOptions::default(), 1);
        assert_eq!(report.violation.as_ref().map(|v| v.finding.property), None, "{}: no violation", loaded.scenario.name);
    }
    // The scenario's own failing health checks never stop: no claim while they fail.
    let mut loaded = load("scenarios/faults/failing-health-checks-hold-a-drain.ron");
    loaded.scenario.end_time_ms = Some(loaded.scenario.end_time_ms.unwrap_or(3_600_000));
    let outcome = runner::run(&loaded, &RunOptions::default()).expect("runs");
    let e = &outcome.engine;
    assert!(e.health_checks_failing());
    assert!(e.instances().all(|i| !properties::drain_has_capacity(e, &i)));
}

#[test]
fn the_canonical_digest_ignores_the_ids_drawn() {
    let loaded = load(PROVED);
    let engine_at_end = |seed: u64| {
        let mut l = loaded.clone();
        l.scenario.seed = seed;
        l.scenario.explore = None;
        let outcome = runner::run(&l, &RunOptions::default()).unwrap();
        outcome.engine
    };
    let (a, b) = (engine_at_end(1), engine_at_end(2));
    assert_ne!(a.trace().digest(), b.trace().digest(), "different seeds draw different IDs");
    assert_eq!(a.canonical_digest(), b.canonical_digest());
    // A scripted run whose choices are all 0 takes the path the seeded run takes (this scenario
    // draws no jitter and no fault from its seed): the same trace, record for record.
    assert_eq!(loaded.scenario.seed, 1);
    let c = runner::run(&loaded, &RunOptions::default()).unwrap().engine;
    assert!(!c.choices_taken().is_empty(), "the script met the start-failure choice points");
    assert_eq!(a.trace().digest(), c.trace().digest());
}

#[test]
fn bounds_and_bad_input_are_refused_or_reported() {
    let loaded = load(PROVED);
    let bounded = explore_with(&loaded, &ExploreOptions { max_states: 10, ..Default::default() }, 1);
    assert_eq!(bounded.bound, Some(Bound::States));
    // The bound holds every distinct state, terminal ones included.
    assert_eq!(bounded.distinct_states, 10);
    let whole = explore_with(&loaded, &ExploreOptions::default(), 1);
    assert_eq!(whole.bound, None, "explored completely");
    let exact = explore_with(&loaded, &ExploreOptions { max_states: whole.distinct_states, ..Default::default() }, 1);
    assert_eq!((exact.bound, exact.distinct_states), (None, whole.distinct_states), "a bound of exactly its states explores it");
    let short = explore_with(&loaded, &ExploreOptions { max_states: whole.distinct_states - 1, ..Default::default() }, 1);
    assert_eq!((short.bound, short.distinct_states), (Some(Bound::States), whole.distinct_states - 1));
    assert_eq!(bounded.violation, None);
    let shallow = explore_with(&loaded, &ExploreOptions { max_depth: 3, ..Default::default() }, 1);
    assert_eq!(shallow.bound, Some(Bound::Depth));
    for (opts, needle) in [
        (ExploreOptions { max_depth: 0, ..Default::default() }, "--depth 0"),
        (ExploreOptions { max_states: explore::MAX_STATES + 1, ..Default::default() }, "--max-states"),
        (ExploreOptions { max_faults: Some(9), ..Default::default() }, "--max-faults 9"),
    ] {
        let err = explore::explore(&loaded, &opts, &|| false).expect_err("refused");
        assert!(err.message.contains(needle), "{err}");
    }
    let waits = load("scenarios/drain/seed-min50-max100.ron");
    let err = explore::explore(&waits, &ExploreOptions::default(), &|| false).expect_err("refused");
    assert!(err.message.contains("registers at 60000 ms") || err.message.contains("moves the clock"), "{err}");
    assert!(explore::parse_faults("TaskStartFailure,nope").unwrap_err().contains("'nope'"));
    assert_eq!(explore::parse_faults("task-exit, agent_disconnect").unwrap().len(), 2);
}

/// 2,000 instances and a RunTask of one `random` placement: 2,000 outcomes of half a megabyte
/// each for the step's transition, past a memory bound of 64 MiB (two placements, four million
/// outcomes, are refused from the first: `random_placements_past_the_bound_are_refused_at_once`).
const TOO_BIG_TO_EXPLORE: &str = r#"Scenario(
    name: "too-big-to-explore",
    clusters: ["prod"],
    instances: [(name: "i", count: 2000, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192)],
    taskDefinitions: [(family: "t", containerDefinitions: [(name: "c", cpu: 128, memory: 128)])],
    steps: [(atMs: 1000, do: RunTask((cluster: "prod", taskDefinition: "t", count: 1)))],
)"#;

/// A transition whose `random` placements multiply far past what can be explored is refused from
/// its first outcome (two tasks at random among 2,000 instances: 4 million outcomes), where it was
/// refused only after 65,536 outcomes had been run and held (seconds and gigabytes), or, past the
/// memory bound, reported as a search that found nothing.
#[test]
fn random_placements_past_the_bound_are_refused_at_once() {
    let loaded = load_str("too-big.ron", &TOO_BIG_TO_EXPLORE.replace("count: 1)", "count: 2)")).expect("a valid scenario");
    let err = explore::explore(&loaded, &ExploreOptions::default(), &|| false).expect_err("refused");
    assert!(
        err.message.contains("one transition places 2 task(s) at random among its candidate instances, about 4000000 outcomes"),
        "{err}"
    );
}

#[test]
fn a_cluster_too_big_to_explore_stops_at_the_memory_bound() {
    // Before the bound, the step's outcomes (each an engine of 0.4 MB) were held until 65,536 of
    // them were: the process ran out of memory whatever --max-states and --time-limit said.
    let loaded = load_str("too-big.ron", TOO_BIG_TO_EXPLORE).expect("a valid scenario");
    let opts = ExploreOptions { max_memory_mib: 64, ..Default::default() };
    let report = explore_with(&loaded, &opts, 2);
    assert_eq!(report.bound, Some(Bound::Memory), "{report:?}");
    assert_eq!(report.violation, None);
    assert_eq!((report.distinct_states, report.depth_reached), (1, 0), "only the start was merged");
    assert!(report.largest_state_bytes > 400_000, "{}", report.largest_state_bytes);
    // What the estimate leaves out is caught by the process's own size, when it can be read: a
    // probe past the bound stops even the smallest exploration at its start, one below it changes
    // nothing.
    let proved = load(PROVED);
    let over = ExploreOptions { resident_bytes: Some(|| Some(u64::MAX)), ..Default::default() };
    let stopped = explore_with(&proved, &over, 1);
    assert_eq!((stopped.bound, stopped.distinct_states), (Some(Bound::Memory), 0), "{stopped:?}");
    let under = ExploreOptions { resident_bytes: Some(|| Some(1 << 20)), ..Default::default() };
    let complete = explore_with(&proved, &under, 2);
    assert_eq!(complete.bound, None);
    assert_eq!(complete.distinct_states, explore_with(&proved, &ExploreOptions::default(), 2).distinct_states);
    for mib in [explore::MIN_MAX_MEMORY_MIB - 1, explore::MAX_MAX_MEMORY_MIB + 1] {
        let err = explore::explore(&loaded, &ExploreOptions { max_memory_mib: mib, ..Default::default() }, &|| false)
            .expect_err("refused");
        assert!(err.message.contains(&format!("--max-memory {mib}")), "{err}");
    }
}

#[test]
fn more_instances_than_explore_takes_are_refused_before_setup() {
    // Under a script of choices every injection point lists the cluster's instances, and setup
    // registers them an instant each: 100,000 instances took a minute to set up (a fuzz finding).
    let cluster = |count: u32, explore_section: &str| {
        format!(
            r#"Scenario(
    name: "big",
    clusters: ["prod"],
    instances: [(name: "i", count: {count}, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192)],
    {explore_section}
    steps: [(atMs: 1000, do: Advance)],
)"#
        )
    };
    let limit = drainsim_scenario::format::MAX_EXPLORED_INSTANCES as u32;
    let err = load_str("big.ron", &cluster(limit + 1, "explore: (faults: [DrainRequest]),")).expect_err("refused");
    assert!(err.message.contains("explore takes at most 10000 instances; this scenario declares 10001"), "{err}");
    assert_eq!(err.line, 5, "at the explore section: {err}");
    let without = load_str("big.ron", &cluster(limit + 1, "")).expect("runs without an explore section");
    let err = explore::explore(&without, &ExploreOptions::default(), &|| false).expect_err("refused");
    assert!(err.message.contains("explore takes at most 10000 instances; this scenario declares 10001"), "{err}");
    load_str("big.ron", &cluster(limit, "explore: (faults: [DrainRequest]),")).expect("at the limit");
}

#[test]
fn the_memory_bound_changes_how_states_are_expanded_not_what_is_found() {
    // At a tight bound the states of a level are expanded fewer at a time; what is found, and the
    // violation's path, are the same. (The window's widest level holds about 1,000 states of
    // 15 KiB, and its states have up to a few dozen outcomes.)
    for (file, mib) in [(PROVED, explore::MIN_MAX_MEMORY_MIB), (WINDOW, explore::MIN_MAX_MEMORY_MIB)] {
        let loaded = load(file);
        let summary = |r: &ExploreReport| {
            (r.states_visited, r.distinct_states, r.terminal_states, r.paths, r.bound, r.violation.clone(), r.largest_state_bytes)
        };
        let roomy = explore_with(&loaded, &ExploreOptions::default(), 2);
        let tight = explore_with(&loaded, &ExploreOptions { max_memory_mib: mib, ..Default::default() }, 2);
        assert_eq!(summary(&roomy), summary(&tight), "{file}");
        assert!(roomy.largest_state_bytes > 10_000 && roomy.largest_state_bytes < 100_000, "{}", roomy.largest_state_bytes);
    }
}

#[test]
fn the_command_line_prints_json_and_exits_by_verdict() {
    let dir = out_dir("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let dot = dir.join("graph.dot");
    let (code, stdout, _) = run(&["explore", PROVED, "--json", "--out", dir_arg, "--dot", dot.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}");
    let graph = std::fs::read_to_string(&dot).expect("DOT written");
    assert!(graph.starts_with("digraph {") && graph.contains(" -> ") && graph.contains(" end"), "{graph}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(json["distinctStates"].as_u64().unwrap() > 100);
    assert_eq!(json["complete"], true);
    assert!(json["paths"].as_u64().unwrap() >= json["terminalStates"].as_u64().unwrap());
    assert!(json.get("counterexample").is_none());
    // The JSON is the result alone, the same bytes run after run (it held the wall-clock rate,
    // which a CI diff had to strip); the rate is on standard error.
    let (_, again, stderr) = run(&["explore", PROVED, "--json", "--out", dir_arg]);
    assert_eq!(again, stdout, "the same exploration writes the same JSON");
    assert!(json.get("statesPerSecond").is_none(), "{stdout}");
    assert!(stderr.contains(" states/s)"), "{stderr}");

    let too_big = dir.join("too-big.dot");
    let (code, stdout, stderr) = run(&["explore", WINDOW, "--json", "--out", dir_arg, "--dot", too_big.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let written = json["counterexample"].as_str().expect("a counterexample path");
    assert!(Path::new(written).exists(), "{written}");
    assert_replays(Path::new(written), properties::DRAINS_COMPLETE);
    assert!(stderr.contains("more than 2000 states; no DOT written") && !too_big.exists(), "{stderr}");

    // A DOT path that cannot be written is refused before the search (nothing explored, nothing
    // printed on standard output); a refused scenario leaves no DOT file behind.
    let unwritable = dir.join("no-such-directory").join("graph.dot");
    let (code, stdout, stderr) = run(&["explore", PROVED, "--json", "--out", dir_arg, "--dot", unwritable.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty() && stderr.contains("error: --dot") && stderr.contains("cannot write it"), "{stdout}{stderr}");
    let refused_dot = dir.join("refused.dot");
    let (code, _, stderr) = run(&["explore", "scenarios/drain/seed-min50-max100.ron", "--dot", refused_dot.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!refused_dot.exists(), "a refused scenario leaves no DOT file");
    // An --out that is a file is refused before the search.
    let file_out = dir.join("a-file");
    std::fs::write(&file_out, "").unwrap();
    let (code, stdout, stderr) = run(&["explore", PROVED, "--out", file_out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stdout.is_empty() && stderr.contains("it is a file; give the directory"), "{stderr}");

    let (code, stdout, _) = run(&["explore", PROVED, "--max-states", "5", "--out", dir_arg]);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("bound reached (maxStates)"), "{stdout}");
    // A property no state reached before the bound was checked nowhere, and says so: it once
    // read "holds in the 0 terminal states visited checked".
    assert!(!stdout.contains("holds in the 0 "), "{stdout}");
    assert!(stdout.contains("not checked: no terminal states visited before the search stopped"), "{stdout}");
    // … and so does the JSON, which said "holds" for it.
    let (code, stdout, _) = run(&["explore", PROVED, "--max-states", "5", "--json", "--out", dir_arg]);
    assert_eq!(code, Some(3), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let unchecked: Vec<&serde_json::Value> =
        json["properties"].as_array().unwrap().iter().filter(|p| p["checked"] == 0).collect();
    assert!(!unchecked.is_empty(), "{json}");
    assert!(unchecked.iter().all(|p| p["verdict"] == "notChecked"), "{json}");
    let too_big = dir.join("too-big.ron");
    std::fs::write(&too_big, TOO_BIG_TO_EXPLORE).unwrap();
    let too_big = too_big.to_str().unwrap();
    let (code, stdout, _) = run(&["explore", too_big, "--max-memory", "64", "--out", dir_arg]);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("bound reached (maxMemory)") && stdout.contains("a state is about 5"), "{stdout}");
    let (code, stdout, _) = run(&["explore", too_big, "--max-memory", "64", "--json", "--out", dir_arg]);
    assert_eq!(code, Some(3), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["bound"], "maxMemory");
    assert!(json["largestStateBytes"].as_u64().unwrap() > 400_000, "{json}");
    for bad in [
        vec!["explore", PROVED, "--max-memory", "8"],
        vec!["explore", PROVED, "--max-memory", "many"],
        vec!["explore", PROVED, "--max-states", "999999999"],
        vec!["explore", PROVED, "--time-limit", "0"],
        vec!["explore", PROVED, "--faults", "Meteor"],
        vec!["explore", "scenarios/drain/seed-min50-max100.ron"],
    ] {
        let (code, stdout, stderr) = run(&bad);
        assert_eq!(code, Some(2), "{bad:?}: {stdout}{stderr}");
        assert!(stderr.contains("error"), "{bad:?}: {stderr}");
    }
}

#[test]
fn jitter_values_and_random_placements_are_choice_points() {
    let loaded = load(PROVED);
    let opts = ExploreOptions { max_faults: Some(0), ..Default::default() };
    let nominal = explore_with(&loaded, &opts, 2);
    assert_eq!(nominal.terminal_states, 1);

    // Every jittered duration takes its shortest or its longest value.
    let mut jittered = loaded.clone();
    jittered.scenario.timings.jitter_percent = 20;
    jittered.scenario.explore.as_mut().unwrap().jitter_values = 2;
    let j = explore_with(&jittered, &opts, 2);
    assert_eq!((j.violation.clone(), j.bound), (None, None));
    assert!(j.terminal_states > 1 && j.distinct_states > nominal.distinct_states, "{j:?}");

    // A `random` placement takes each instance that fits.
    let mut random = loaded.clone();
    for s in &mut random.scenario.services {
        s.placement_strategy = vec![drainsim_core::api::PlacementStrategy { strategy_type: "random".into(), field: None }];
    }
    let r = explore_with(&random, &opts, 2);
    assert_eq!((r.violation.clone(), r.bound), (None, None));
    assert!(r.terminal_states > 1 && r.distinct_states > nominal.distinct_states, "{r:?}");
}

/// A bad bound is a flag's error: `error: --depth 0: …`, not `error: --depth:1:1: …` as if the flag
/// were a file with a line and column; `--jobs` names explore, not a sweep.
#[test]
fn flag_errors_name_the_flag_without_a_position() {
    for (args, says) in [
        (vec!["explore", PROVED, "--depth", "0"], "error: --depth 0: explore takes 1 to 100000 transitions\n"),
        (vec!["explore", PROVED, "--max-states", "0"], "error: --max-states 0: explore keeps 1 to 1000000 distinct states\n"),
        (vec!["explore", PROVED, "--max-faults", "9"], "error: --max-faults 9: at most 8 faults per path\n"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_drainsim")).args(&args).current_dir(workspace()).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), says, "{args:?}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["explore", PROVED, "--jobs", "0"])
        .current_dir(workspace())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("0 worker threads; explore starts 1 to 256") && !err.contains("sweep"), "{err}");
}

/// A group registered after time 0 is refused at that group: the first `registerAtMs` of the file
/// (here `a`'s, 0) was named instead.
#[test]
fn a_late_registration_is_refused_at_its_own_group() {
    let text = std::fs::read_to_string(workspace().join(PROVED)).unwrap();
    let a =
        r#"(name: "a", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 3840)"#;
    let c =
        r#"(name: "c", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1c"], cpu: 2048, memory: 3840)"#;
    assert!(text.contains(a) && text.contains(c));
    let text = text
        .replace(a, &a.replace("memory: 3840)", "memory: 3840, registerAtMs: 0)"))
        .replace(c, &c.replace("memory: 3840)", "memory: 3840, registerAtMs: 5000)"));
    let loaded = drainsim_scenario::load_str("late.ron", &text).expect("loads");
    let err = explore::explore(&loaded, &ExploreOptions::default(), &|| false).expect_err("refused");
    let line_of_c = text.lines().position(|l| l.contains(r#"(name: "c""#)).unwrap() + 1;
    assert_eq!(err.line, line_of_c, "{err}");
    assert!(err.message.starts_with("instance group 'c' registers at 5000 ms"), "{err}");
}

/// The time bound and Ctrl-C (`stop`) are polled before every transition, not only between levels:
/// a level of thousands of states ran to its end after the time was up (a `--time-limit 5` of
/// `scenarios/format/services.ron` with four fault classes took 8 s).
#[test]
fn a_stop_is_obeyed_within_a_level() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let loaded = load(PROVED);
    let opts = ExploreOptions { max_depth: 1, ..Default::default() };
    let level = explore_with(&loaded, &opts, 1);
    assert_eq!(level.bound, Some(Bound::Depth));
    assert!(level.states_visited > 10, "{level:?}");
    let calls = AtomicU64::new(0);
    let stop_after_three = || calls.fetch_add(1, Ordering::SeqCst) >= 3;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool");
    let stopped = pool.install(|| explore::explore(&loaded, &opts, &stop_after_three)).expect("explores");
    assert_eq!(stopped.bound, Some(Bound::Stopped));
    assert!(stopped.states_visited < level.states_visited, "{} of {}", stopped.states_visited, level.states_visited);
}

/// A scenario whose states have thousands of outcomes each: 256 states were expanded together
/// whatever their outcomes, so it ran 2 million transitions and held their engines (16 GB) before
/// its first merge, and was refused only after 40 s. The states expanded together now hold at
/// most `MAX_OUTCOMES_IN_FLIGHT` outcomes, then are expanded one at a time and merged as they
/// go: the state with too many outcomes is refused after a few hundred thousand transitions.
#[test]
fn states_with_many_outcomes_are_expanded_a_few_at_a_time() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut loaded = load(PROVED);
    let spec = loaded.scenario.explore.as_mut().unwrap();
    spec.faults = drainsim_scenario::format::ExploreFault::ALL.to_vec();
    spec.max_faults = 3;
    spec.jitter_values = 3;
    loaded.scenario.timings.jitter_percent = 20;
    for s in &mut loaded.scenario.services {
        s.placement_strategy = vec![drainsim_core::api::PlacementStrategy { strategy_type: "random".into(), field: None }];
    }
    let transitions = AtomicUsize::new(0);
    let most = 4 * explore::MAX_OUTCOMES_IN_FLIGHT;
    // Stops a search that runs (and holds) more, instead of using gigabytes of memory.
    let stop = || transitions.fetch_add(1, Ordering::SeqCst) > most;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("a pool");
    let err = pool.install(|| explore::explore(&loaded, &ExploreOptions::default(), &stop)).expect_err("refused");
    assert!(err.message.contains("one transition has more than 65536 outcomes ("), "{err}");
    // It names what multiplies: the choice points of the outcome past the bound, by kind.
    assert!(err.message.contains(" choice(s) of "), "{err}");
    assert!(!err.to_string().contains(":1:1:"), "no made-up position: {err}");
    let ran = transitions.load(Ordering::SeqCst);
    assert!(ran <= most, "{ran} transitions run before the refusal");
}

/// A counterexample that cannot be written (`--out` under a regular file) is an error, exit 2, but
/// the result of the search is printed first: it printed only the error, and the violation found
/// was lost.
#[test]
fn an_unwritable_out_still_prints_the_result() {
    let dir = out_dir("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["explore", WINDOW, "--out", file.join("under").to_str().unwrap()])
        .current_dir(workspace())
        .output()
        .expect("runs");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stdout.contains(&format!("VIOLATED: {}", properties::DRAINS_COMPLETE)), "{stdout}");
    assert!(!stdout.contains("replay:"), "{stdout}");
    assert!(stderr.starts_with("error: cannot write the counterexample under "), "{stderr}");
}

/// `--dot FILE` naming a file that exists: a run that writes no graph (a refused flag here)
/// leaves it as it was, and one that writes the graph replaces its contents.
#[test]
fn a_dot_file_that_exists_is_kept_until_a_graph_replaces_it() {
    let dir = out_dir("dot-kept");
    std::fs::create_dir_all(&dir).unwrap();
    let dot = dir.join("mine.dot");
    std::fs::write(&dot, "the user's own file\n").unwrap();
    let explore = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_drainsim"))
            .args(["explore", "scenarios/explore/three-instances-start-failures.ron", "--dot", dot.to_str().unwrap()])
            .args(["--out", dir.to_str().unwrap()])
            .args(extra)
            .current_dir(workspace())
            .output()
            .expect("runs")
    };
    let refused = explore(&["--depth", "0"]);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert_eq!(std::fs::read_to_string(&dot).unwrap(), "the user's own file\n", "a refused run changes nothing");
    let written = explore(&[]);
    assert_eq!(written.status.code(), Some(0), "{}", String::from_utf8_lossy(&written.stderr));
    let graph = std::fs::read_to_string(&dot).unwrap();
    assert!(graph.starts_with("digraph") && !graph.contains("the user's own file"), "{graph}");
}

/// An output that cannot be written (`> /dev/full`) is an error with exit 2, as for the other
/// commands, not a panic.
#[test]
fn an_unwritable_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["explore", "scenarios/explore/three-instances-start-failures.ron", "--out", out_dir("full").to_str().unwrap()])
        .current_dir(workspace())
        .stdout(full)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: cannot write the output"), "{stderr}");
}

/// A scale-up during a drain is no dip below the floor (docs/draining.md, "Observations"): the
/// floor recorded beside the lowest healthy count is the one the breach watch judges, that of the
/// count the service was steady at, so neither the explorer's floor property nor the run's report
/// sees `web` (min 100 %, 1 task, scaled to 2 while `a` drains) below a floor of 2.
#[test]
fn a_scale_up_during_a_drain_is_no_dip_below_the_floor() {
    let loaded = load("tests/data/explore/scale-up-during-a-drain.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert_eq!(report.violation, None, "{report:?}");
    let outcome = runner::run(&loaded, &RunOptions::default()).unwrap();
    let web = outcome.engine.service_named("web").expect("declared");
    assert_eq!((web.min_healthy_observed(), web.floor_at_min_healthy_observed()), (Some(1), Some(1)));
    assert_eq!(web.desired_count(), 2);
}

/// The explorer injects faults from the end of the setup on: a drain or an agent disconnect it
/// injected during the setup made the setup refuse its own `runningTasks` (adopted only on an
/// ACTIVE instance with a connected agent), and a valid file was reported as bad input.
#[test]
fn faults_are_injected_only_after_the_setup() {
    let loaded = load("tests/data/explore/adopted-task-and-injected-drains.ron");
    for faults in ["DrainRequest", "AgentDisconnect"] {
        let opts = ExploreOptions { faults: Some(explore::parse_faults(faults).unwrap()), ..Default::default() };
        let report = explore::explore(&loaded, &opts, &|| false).unwrap_or_else(|e| panic!("{faults}: {e}"));
        assert_eq!(report.bound, None, "{faults}: explored completely");
    }
}

/// Room for a distinctInstance service's task counts what stays on each instance: `a` is full of
/// another service's tasks (256 CPU units left for a 512-unit task) and is the only instance
/// without an `api` task, so draining `b` has no room and the stall is no violation.
#[test]
fn a_distinct_instance_service_counts_what_stays_on_each_instance() {
    let loaded = load("tests/data/explore/distinct-instance-room-taken-by-another-service.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert_eq!(report.violation, None, "{report:?}");
    let outcome = runner::run(&loaded, &RunOptions::default()).unwrap();
    let b = outcome.engine.instance_named("b").expect("registered");
    assert!(b.drain().completed_at_ms().is_none(), "api's task on b has nowhere to go");
    assert!(!properties::drain_has_capacity(&outcome.engine, &b));
}

/// A drain that completes on the path reaching a state first, and would be cut by `endTimeMs` on a
/// path reaching the same state later (`scenarios/explore/drain-cut-by-the-end-on-a-later-path.ron`):
/// the first search merges the two (states alike but for the clock) and expands the earlier one
/// only; explore sees that a later arrival could end with the drain incomplete, searches again
/// keeping the time left until `endTimeMs` apart, and reports the later path, whose replay fails.
#[test]
fn a_drain_cut_by_the_end_on_a_later_path_is_found() {
    let loaded = load("scenarios/explore/drain-cut-by-the-end-on-a-later-path.ron");
    let report = explore_with(&loaded, &ExploreOptions::default(), 2);
    assert!(report.time_left_kept, "searched again with the time left kept");
    let v = report.violation.as_ref().expect("a violation");
    assert_eq!(v.finding.property, properties::DRAINS_COMPLETE);
    assert!(
        // The task holding the drain was told to stop while ACTIVATING: STOPPING, not running
        // or pending, and counted all the same.
        v.finding.detail.starts_with("b: DRAINING")
            && v.finding.detail.contains("1 task(s) not yet STOPPED")
            && v.finding.detail.contains("ended at 54000 ms"),
        "{}",
        v.finding.detail
    );
    let path = explore::write_counterexample(&out_dir("cut-later"), "cut-later", &loaded.scenario, &report, v).expect("written");
    assert_replays(&path, properties::DRAINS_COMPLETE);
    // The same drain with time to finish on every path: one search, every property holds.
    let text = std::fs::read_to_string("scenarios/explore/drain-cut-by-the-end-on-a-later-path.ron").unwrap();
    let roomy = drainsim_scenario::load_str("roomy.ron", &text.replace("endTimeMs: 54000", "endTimeMs: 60000")).expect("loads");
    let report = explore_with(&roomy, &ExploreOptions::default(), 2);
    assert!(!report.time_left_kept && report.violation.is_none() && report.bound.is_none(), "{:?}", report.violation);
}

/// The text's header counts distinct terminal states (the JSON's `terminalStates`); a property's
/// count is of visits, a state reached by several paths checked at each. `services.ron` with
/// drain requests reaches its 13 terminal states 45 times: both counts say what they count
/// (the text once wrote "terminal states" for both).
#[test]
fn the_text_says_distinct_terminal_states_and_visits_apart() {
    let dir = out_dir("terminal-visits");
    std::fs::create_dir_all(&dir).unwrap();
    let args = ["explore", "scenarios/format/services.ron", "--faults", "DrainRequest", "--out", dir.to_str().unwrap()];
    let run = |json: bool| {
        let mut all = args.to_vec();
        if json {
            all.push("--json");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_drainsim")).args(&all).current_dir(workspace()).output().expect("runs");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let text = run(false);
    let number_after = |what: &str| -> u64 {
        let at = text.find(what).unwrap_or_else(|| panic!("{what} in {text}")) + what.len();
        text[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().expect("a number")
    };
    let distinct = number_after("distinct terminal states ");
    let eventually = text.lines().find(|l| l.contains("eventually:")).expect("an eventually property");
    let visits: u64 = eventually
        .rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(" terminal states visited)"))
        .unwrap_or_else(|| panic!("{eventually}"))
        .parse()
        .expect("a count");
    assert!(visits > distinct, "some terminal state is reached by several paths: {text}");
    let json: serde_json::Value = serde_json::from_str(&run(true)).expect("JSON");
    assert_eq!(json["terminalStates"].as_u64(), Some(distinct), "{json}");
}

/// A search `--time-limit` stopped says so — `timeLimit`, in the text and the JSON — not `stopped`,
/// which is Ctrl-C's: a user told which bound to raise (both read "stopped" before).
#[test]
fn a_search_stopped_by_its_time_limit_names_it() {
    let dir = out_dir("time-limit");
    let args = |json: bool| {
        let mut a = vec![
            "explore",
            "scenarios/format/services.ron",
            "--time-limit",
            "1",
            "--faults",
            "TaskStartFailure,TaskExit,AgentDisconnect,HealthCheckFailure",
            "--max-faults",
            "3",
            "--jobs",
            "1",
            "--out",
            dir.to_str().unwrap(),
        ];
        if json {
            a.push("--json");
        }
        a
    };
    let (code, stdout, stderr) = run(&args(false));
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    assert!(stdout.contains("bound reached (timeLimit) with no violation"), "{stdout}");
    let (code, stdout, stderr) = run(&args(true));
    assert_eq!(code, Some(3), "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(json["bound"], "timeLimit", "{json}");
}

/// The text counts in words that fit the number: a search without faults is one path, and says
/// so (it read "faults [], at most 1 per path" and "holds on all 1 paths (1 terminal states
/// visited)").
#[test]
fn a_single_path_is_said_in_the_singular() {
    let dir = out_dir("single-path");
    let (code, stdout, _) = run(&["explore", PROVED, "--faults", "none", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains(": faults none, "), "{stdout}");
    assert!(stdout.contains("holds on the one path (1 terminal state visited)"), "{stdout}");
    assert!(!stdout.contains("all 1 paths"), "{stdout}");
}

/// A counterexample is never overwritten by another of the same scenario and property (an
/// exploration with other faults wrote over the first); the same exploration run again writes
/// the same file.
#[test]
fn a_counterexample_is_not_overwritten_by_another() {
    let dir = out_dir("not-overwritten");
    let out = dir.to_str().unwrap();
    let written = |extra: &[&str]| {
        let mut args = vec!["explore", WINDOW, "--out", out];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, Some(1), "{stdout}{stderr}");
        let path = stdout.lines().find_map(|l| l.strip_prefix("counterexample: ")).expect("a counterexample").to_string();
        (path.clone(), std::fs::read_to_string(&path).expect("written"))
    };
    let (first, first_text) = written(&[]);
    assert_eq!(written(&[]), (first.clone(), first_text.clone()), "the same exploration, the same file");
    // The same directory spelt otherwise is the same file too (the replay comment names the
    // path as given, and once made a second and a third copy).
    let respelt = format!("{}/./", dir.display());
    let (code, stdout, stderr) = run(&["explore", WINDOW, "--out", &respelt]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let again = stdout.lines().find_map(|l| l.strip_prefix("counterexample: ")).expect("a counterexample").to_string();
    assert_eq!(std::fs::canonicalize(&again).unwrap(), std::fs::canonicalize(&first).unwrap(), "{again}");
    assert_eq!(std::fs::read_to_string(&first).unwrap(), first_text, "kept as written first");
    let (other, other_text) = written(&["--faults", "AgentDisconnect", "--max-faults", "3"]);
    assert_eq!(other, first.replace(".ron", "-2.ron"), "{other}");
    assert_ne!(other_text, first_text);
    assert_eq!(std::fs::read_to_string(&first).unwrap(), first_text, "the first is kept");
    assert_replays(Path::new(&other), properties::DRAINS_COMPLETE);
}

/// The replay command of a counterexample written under a directory whose name holds a space and
/// a quote is quoted for a shell, on the terminal and in the file's comment (it was printed as
/// typed, and pasted into a shell it failed); a directory whose name holds a control character (a
/// line feed would end the file's comment) is refused.
#[cfg(unix)]
#[test]
fn a_replay_command_is_quoted_for_a_shell() {
    let dir = out_dir("quoted").join("o ut's");
    let (code, stdout, stderr) = run(&["explore", WINDOW, "--out", dir.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    let replay = stdout.lines().find_map(|l| l.strip_prefix("replay: ")).expect("a replay command").to_string();
    let path = stdout.lines().find_map(|l| l.strip_prefix("counterexample: ")).expect("a counterexample").to_string();
    let text = std::fs::read_to_string(&path).expect("written");
    assert!(text.contains(&format!("// Replay: {replay}\n")), "{text}");
    // Pasted into a shell, it runs the counterexample (drainsim named by its path).
    let pasted = replay.replacen("drainsim", env!("CARGO_BIN_EXE_drainsim"), 1);
    let out = Command::new("sh").args(["-c", &pasted]).current_dir(workspace()).output().expect("sh runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAIL"), "the counterexample's expectation fails");

    let (code, _, stderr) = run(&["explore", WINDOW, "--out", "target/explore-tests/line\nfeed"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("the path holds a control character"), "{stderr}");
    // So is a scenario whose name holds one (the counterexample is named after it), before it is
    // read.
    let (code, _, stderr) = run(&["explore", "target/explore-tests/tab\there.ron"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("the scenario file") && stderr.contains("the path holds a control character"), "{stderr}");
    // --dot over the scenario being explored is refused, as run's --trace and --svg are.
    let copy = out_dir("dot-over-input");
    std::fs::create_dir_all(&copy).unwrap();
    let scenario = copy.join("window.ron");
    std::fs::copy(workspace().join(WINDOW), &scenario).unwrap();
    let s = scenario.to_str().unwrap();
    let (code, _, stderr) = run(&["explore", s, "--dot", s]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("it is the scenario file being explored"), "{stderr}");
    assert_eq!(std::fs::read(&scenario).unwrap(), std::fs::read(workspace().join(WINDOW)).unwrap(), "left as it was");
}

/// A drain that does not complete where the *eventually* property makes no claim (here a
/// `distinctInstance` service with no spare instance) is said, with why and on how many terminal
/// states, in the report, the text and `--json`: "every property holds" alone read as proof that
/// the drain completes. A proved scenario has none.
#[test]
fn drains_the_property_does_not_judge_are_said() {
    let text = r#"Scenario(
        name: "distinct-without-a-spare",
        seed: 1,
        clusters: ["prod"],
        instances: [
            (name: "a", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 3840),
            (name: "b", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1b"], cpu: 2048, memory: 3840),
            (name: "c", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1c"], cpu: 2048, memory: 3840),
        ],
        taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 960, exitAfterSigtermMs: 2000)])],
        services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 3,
            deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200),
            placementConstraints: [(type: "distinctInstance")])],
        steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["a"])))],
    )"#;
    let loaded = load_str("distinct.ron", text).expect("loads");
    let report = explore_with(&loaded, &ExploreOptions::default(), 1);
    assert!(report.violation.is_none() && report.bound.is_none());
    let unjudged: Vec<_> = report.unjudged_drains.iter().map(|((i, why), n)| (i.as_str(), *why, *n)).collect();
    // Counted at every arrival at a terminal state, as the property's checks are: at least once
    // each.
    assert_eq!(unjudged.len(), 1, "{unjudged:?}");
    assert_eq!((unjudged[0].0, unjudged[0].1), ("a", properties::NoClaim::NoRoom));
    assert!(unjudged[0].2 >= report.terminal_states, "every path ends with a's drain open: {unjudged:?}");
    let proved = explore_with(&load(PROVED), &ExploreOptions::default(), 1);
    assert!(proved.unjudged_drains.is_empty(), "{:?}", proved.unjudged_drains);

    let dir = out_dir("unjudged");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("distinct.ron");
    std::fs::write(&file, text).unwrap();
    let (code, stdout, _) = run(&["explore", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.contains("drains not judged") && stdout.contains("    a: the ACTIVE instances have no room"), "{stdout}");
    assert!(stdout.contains("every property holds where it is judged"), "{stdout}");
    let (_, json, _) = run(&["explore", file.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(v["drainsNotJudged"][0]["instance"], "a");
    assert_eq!(v["drainsNotJudged"][0]["reason"], "noRoom");
    let (_, proved_json, _) = run(&["explore", PROVED, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&proved_json).expect("JSON");
    assert_eq!(v["drainsNotJudged"], serde_json::json!([]));
}

/// Pinned choices a run cannot take as written — a value past its choice point's outcomes, or more
/// values than the run meets choice points — are warned of: the replay is another path than the
/// one they were written for (an edited scenario's), where it used to take the last outcome without
/// a word.
#[test]
fn choices_the_run_cannot_take_as_written_are_warned_of() {
    let scenario = |choices: &str| {
        format!(
            r#"Scenario(
            name: "pinned",
            seed: 1,
            clusters: ["prod"],
            instances: [(name: "a", count: 3, cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 3840)],
            taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 512, memory: 960, exitAfterSigtermMs: 2000)])],
            services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 2,
                placementStrategy: [(type: "random")])],
            explore: (choices: {choices}),
        )"#
        )
    };
    let dir = out_dir("pinned");
    std::fs::create_dir_all(&dir).unwrap();
    let warning_of = |choices: &str| {
        let file = dir.join("pinned.ron");
        std::fs::write(&file, scenario(choices)).unwrap();
        let (code, stdout, stderr) = run(&["run", file.to_str().unwrap(), "--timeline", "none"]);
        assert_eq!(code, Some(0), "{stdout}{stderr}");
        stderr.lines().find(|l| l.contains("explore.choices")).map(str::to_string)
    };
    // The first placement chooses among the three instances.
    assert_eq!(warning_of("[2]"), None);
    let past = warning_of("[7]").expect("a value past the outcomes is warned of");
    assert!(past.contains("explore.choices[0] is 7, but that choice point has 3 outcomes (0 to 2): the run took 2"), "{past}");
    let unused = warning_of("[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]").expect("unused values are warned of");
    assert!(unused.contains("fewer choice points than explore.choices lists"), "{unused}");
}
