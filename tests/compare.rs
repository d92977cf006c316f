//! `drainsim compare`: two plans over the same seeds, side by side — here, the imported fixture
//! cluster drained one instance at a time against two at a time, and the demo against itself with
//! a stricter deployment configuration.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;
#[cfg(unix)]
#[path = "common/interrupt.rs"]
mod interrupt;

use serde_json::Value;

fn compare_json(args: &[&str]) -> Value {
    let out = common::drainsim(args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn measure<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["measures"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap_or_else(|| panic!("no measure {name}"))
}

/// The imported fixture cluster with two of its instances drained in waves of `wave`, written
/// into `dir`; the file's path.
fn imported_plan(dir: &TempDir, wave: &str) -> String {
    let out = dir.join(format!("wave{wave}.ron"));
    let o = common::command()
        .args([
            "import",
            "tests/data/aws/three-zones",
            "--drain",
            "i-0a1c2e3f405a6b701,i-0a1c2e3f405a6b703",
            "--wave",
            wave,
            "-o",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    out.to_str().unwrap().to_string()
}

#[test]
fn two_imported_plans_compare_side_by_side() {
    let dir = TempDir::new("compare");
    let plan = |wave: &str| {
        let out = imported_plan(&dir, wave);
        // The instance captured DRAINING never completes (a standalone task holds it), so no run
        // would have a total drain time: start it ACTIVE for this comparison.
        let text = std::fs::read_to_string(&out).unwrap().replace(", status: \"DRAINING\"", "");
        std::fs::write(&out, text).unwrap();
        out
    };
    let (one, two) = (plan("1"), plan("2"));
    let report = compare_json(&["compare", &one, &two, "--seeds", "0..4", "--json"]);
    assert_eq!(report["compareVersion"], 6);
    let total = measure(&report, "total drain time");
    assert_eq!((total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64()), (Some(4), Some(4)));
    assert!(total["a"]["median"].as_u64() > total["b"]["median"].as_u64(), "draining two at a time is faster: {total}");
    assert_eq!(total["better"], "B");
    assert!(total["medianDifference"].as_i64().unwrap() < 0);
    for service in ["web", "api", "log-agent"] {
        measure(&report, &format!("{service}: deepest dip below floor"));
    }
    // The result does not depend on the number of threads.
    let again = compare_json(&["compare", &one, &two, "--seeds", "0..4", "--json", "--jobs", "1"]);
    assert_eq!(report, again);
}

/// A plan that leaves drains not completed is not faster for the drains it did complete: plan B
/// (`pinned` at minimumHealthyPercent 100 and maximumPercent 100 can neither start nor stop a
/// task) leaves the 2 instances its tasks are on DRAINING, and its other drains take as long as
/// A's. The times of completed drains say `n/a`, not `same` (or `B` when they were quicker), and
/// the table says why.
#[test]
fn times_of_completed_drains_do_not_compare_when_the_plans_complete_different_numbers() {
    let dir = TempDir::new("compare-n-a");
    let file = dir.join("plan.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "some-drains-never-complete",
    seed: 5,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 4, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680),
        (name: "new", count: 4, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680, registerAtMs: 60000),
    ],
    taskDefinitions: [
        (family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 20000)]),
        (family: "pinned", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 2000)]),
    ],
    services: [
        (cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 8),
        (cluster: "prod", serviceName: "pinned", taskDefinition: "pinned", desiredCount: 2,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200)),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 1200000))),
    ],
)"#,
    )
    .unwrap();
    let args =
        ["compare", file.to_str().unwrap(), "--set", "pinned.deploymentConfiguration.maximumPercent=100", "--seeds", "0..3"];
    let report = compare_json(&[&args[..], &["--json"]].concat());
    let open = measure(&report, "drains not completed");
    assert_eq!((open["a"]["median"].as_u64(), open["b"]["median"].as_u64(), &open["better"]), (Some(0), Some(2), &"A".into()));
    for name in ["slowest single drain", "time to the last completed drain"] {
        let m = measure(&report, name);
        assert_eq!(m["better"], "n/a", "{m}");
        assert!(m["b"]["runs"].as_u64() > Some(0), "B completed some drains: {m}");
    }
    let text = String::from_utf8(common::drainsim(&args).stdout).unwrap();
    assert!(text.contains("\nn/a: the plans leave different numbers of drains not completed"), "{text}");
}

/// The same plans with the fixture's instance captured DRAINING kept so (a standalone task holds it,
/// and ECS never stops one): no run of either plan has a total drain time, and the plans' own drains
/// are told apart by the last completed one (two at a time finish in half the time).
#[test]
fn plans_with_a_drain_that_never_completes_compare_their_completed_drains() {
    let dir = TempDir::new("compare-open");
    let (one, two) = (imported_plan(&dir, "1"), imported_plan(&dir, "2"));
    let report = compare_json(&["compare", &one, &two, "--seeds", "0..3", "--json"]);
    let total = measure(&report, "total drain time");
    assert_eq!((total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64()), (Some(0), Some(0)), "{total}");
    let open = measure(&report, "drains not completed");
    assert_eq!((open["a"]["median"].as_u64(), open["b"]["median"].as_u64(), &open["better"]), (Some(1), Some(1), &"same".into()));
    let last = measure(&report, "time to the last completed drain");
    assert_eq!(last["better"], "B", "{last}");
    assert!(last["a"]["median"].as_u64() > last["b"]["median"].as_u64(), "{last}");
    // Plans whose drains all complete show neither row.
    let report = compare_json(&[
        "compare",
        "scenarios/demo.ron",
        "--set",
        "web.deploymentConfiguration.maximumPercent=150",
        "--seeds",
        "0..2",
        "--json",
    ]);
    assert!(report["measures"].as_array().unwrap().iter().all(|m| m["name"] != "drains not completed"));
}

#[test]
fn one_plan_against_itself_with_overrides() {
    let report = compare_json(&[
        "compare",
        "scenarios/demo.ron",
        "--set",
        "web.deploymentConfiguration.minimumHealthyPercent=100",
        "--set",
        "web.deploymentConfiguration.maximumPercent=125",
        "--seeds",
        "0..3",
        "--json",
    ]);
    assert!(report["b"].as_str().unwrap().contains("--set web.deploymentConfiguration.maximumPercent=125"));
    let total = measure(&report, "total drain time");
    assert_eq!(total["better"], "A", "one replacement at a time is slower: {total}");
    let text = String::from_utf8_lossy(
        &common::drainsim(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2"]).stdout,
    )
    .to_string();
    assert!(text.contains("measure") && text.contains("total drain time") && text.contains("better"), "{text}");
    // Bad overrides and flags are refused with exit code 2.
    for bad in [
        vec!["compare", "scenarios/demo.ron", "--set", "nosuch.desiredCount=1", "--seeds", "0..2"],
        vec!["compare", "scenarios/demo.ron", "--seeds", "0..2"],
        vec!["compare", "scenarios/demo.ron", "--set", "web.desiredCount=1", "--seeds", "5..5"],
        vec!["compare", "scenarios/demo.ron", "--set", "web.desiredCount=1", "--seeds", "0..2", "--jobs", "100000"],
    ] {
        let out = common::drainsim(&bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Plans whose tasks fail their health checks show how many were replaced; plans without any do
/// not show the row. Replacing the broken image's tasks one at a time for the half hour the run
/// lasts is the same churn at minimum 100 % and at 50 %, but only at 50 % does web's drain move.
#[test]
fn unhealthy_tasks_replaced_show_only_where_there_were_some() {
    let report = compare_json(&[
        "compare",
        "scenarios/faults/failing-health-checks-hold-a-drain.ron",
        "--set",
        "web.deploymentConfiguration.minimumHealthyPercent=50",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let unhealthy = measure(&report, "unhealthy tasks replaced");
    assert_eq!(unhealthy["a"]["min"], 190, "{unhealthy}");
    assert!(unhealthy["b"]["min"].as_u64().unwrap() > 100, "{unhealthy}");
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "unhealthy tasks replaced"), "{plain}");
}

/// Plans whose capacity provider's managed scaling launched instances compare how many: a drain
/// that stops tasks before their replacements run (minimum 50 %, maximum 100 %) needs the same
/// two instances; a plan with a smaller service needs none. Plans without managed scaling show
/// no such row.
#[test]
fn instances_launched_by_managed_scaling_show_where_there_were_some() {
    let file = "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron";
    let report = compare_json(&["compare", file, "--set", "web.desiredCount=4", "--seeds", "0..2", "--json"]);
    let launched = measure(&report, "instances launched by managed scaling");
    assert_eq!((launched["a"]["min"].as_u64(), launched["a"]["max"].as_u64()), (Some(2), Some(2)), "{launched}");
    assert_eq!(launched["b"]["max"], 0, "{launched}");
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(
        plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "instances launched by managed scaling"),
        "{plain}"
    );
}

/// A breach outside a drain shows in no dip (only a drain's window measures one): the "floor
/// breaches" row counts it, in plans that had one.
#[test]
fn floor_breaches_show_where_there_were_some() {
    let report = compare_json(&[
        "compare",
        "scenarios/faults/health-checks-fail-in-one-zone.ron",
        "--set",
        "web.deploymentConfiguration.minimumHealthyPercent=50",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let breaches = measure(&report, "floor breaches");
    // At 100 % the zone's failing tasks take web below its floor once; at 50 % its floor of 2 holds.
    assert_eq!((breaches["a"]["min"].as_u64(), breaches["b"]["max"].as_u64()), (Some(1), Some(0)), "{breaches}");
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "floor breaches"), "{plain}");
}

/// Ctrl-C during a comparison: it stops promptly, prints the comparison of the seeds both plans ran,
/// marked partial, and exits 130.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_comparison_and_prints_what_finished_as_partial() {
    for json in [false, true] {
        let mut cmd = common::command();
        cmd.args(["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..10000000", "--jobs", "2"]);
        if json {
            cmd.arg("--json");
        }
        // Ten million seeds of two plans take far longer than this.
        let out = interrupt::interrupted(cmd, std::time::Duration::from_millis(1500));
        let (text, err) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(130), "stdout:\n{text}\nstderr:\n{err}");
        assert!(err.contains("interrupted:") && err.contains("(partial)"), "{err}");
        if json {
            let v: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(v["partial"], true);
            let runs = v["runs"].as_u64().expect("runs");
            assert!(runs > 0 && runs < 10_000_000, "{runs}");
            let total = measure(&v, "total drain time");
            assert_eq!(
                (total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64()),
                (Some(runs), Some(runs)),
                "both plans ran the same seeds"
            );
        } else {
            assert!(text.contains("PARTIAL: interrupted after "), "{text}");
        }
    }
}

/// An override that makes the scenario invalid is refused naming the override, with no
/// `file:line:column`: plan B's text is written from the overrides, so a position in it pointed
/// at an unrelated line of the user's file (`demo.ron:31:66` for a service on line 29). serde's
/// Rust type names stay out (`expected i64`), and `--set seed`, which no run reads (the seeds
/// come from `--seeds`), is refused rather than compared as if it changed something.
#[test]
fn a_bad_override_is_refused_naming_it_without_a_position() {
    let file = "scenarios/drain/seed-min50-max200.ron";
    for (set, says) in [
        ("web.desiredCount=99999999999", "--set web.desiredCount=99999999999: the scenario asks for 99999999999 tasks"),
        ("web.desiredCount=-1", "desiredCount must be between 0 and 1000000; -1 given."),
        (
            "web.desiredCount=abc",
            "--set web.desiredCount=abc: the scenario no longer reads: invalid type: string \"abc\", expected a whole number",
        ),
        // A 64-bit field's 19-digit range says nothing about text given for it.
        (
            "web.deploymentConfiguration.minimumHealthyPercent=abc",
            "minimumHealthyPercent=abc: the scenario no longer reads: invalid type: string \"abc\", expected a whole number\n",
        ),
        ("seed=5", "--set seed: every run of both plans takes its seed from --seeds"),
        // Nor about a number with an exponent (the message named i64's range).
        (
            "web.desiredCount=1e30",
            "--set web.desiredCount=1e30: the scenario no longer reads: invalid type: a number written with a fraction or an \
             exponent, `1e+30`, expected a whole number\n",
        ),
    ] {
        let out = common::drainsim(&[
            "compare",
            file,
            "--set",
            "web.deploymentConfiguration.maximumPercent=150",
            "--set",
            set,
            "--seeds",
            "0..2",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert!(err.contains(says), "{set}: {err}");
        assert!(!err.contains(&format!("{file}:")), "{set}: a position in text no file holds: {err}");
        assert!(!err.contains("i64"), "{set}: {err}");
    }
    // A number an instance group's field cannot hold is out of range for that field, not "expected
    // a whole number" (it is one) nor the type's range (gpus: 0 to 4294967295).
    let gpus = "scenarios/drain/gpu-replacements-wait-for-a-free-gpu.ron";
    for (set, says) in [
        (
            "gpu.registerAtMs=18446744073709551615",
            "--set gpu.registerAtMs=18446744073709551615: 18446744073709551615 is out of range for `registerAtMs`",
        ),
        ("gpu.gpus=-1", "--set gpu.gpus=-1: -1 is out of range for `gpus`: it is never negative"),
    ] {
        let out = common::drainsim(&["compare", gpus, "--set", set, "--seeds", "0..1"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert!(err.contains(says) && !err.contains("expected"), "{set}: {err}");
    }
    // compare has no --merge to advise.
    let out = common::drainsim(&["compare", file, "--set", "web.desiredCount=6", "--seeds", "0..10000001"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("10000001 seeds; one comparison runs at most 10000000") && !err.contains("--merge"), "{err}");
}

/// A plan that refreshes an Auto Scaling group shows how long until every refresh succeeded, and
/// `--set GROUP.Preferences.FIELD` changes the preferences of the group's StartInstanceRefresh
/// steps (`GROUP.FIELD` the group itself): with MinHealthyPercentage 50 the refresh of the
/// adopted instances replaces two at a time and finishes sooner. A refresh that fails measures no
/// time ("runs without"); a plan without a refresh has no such row.
#[test]
fn instance_refresh_time_compares_refresh_preferences() {
    let file = "scenarios/rollouts/instance-refresh-30-instances.ron";
    let report = compare_json(&[
        "compare",
        file,
        "--set",
        "ecs-asg.Preferences.MinHealthyPercentage=50",
        "--set",
        "ecs-asg.MaxSize=60",
        "--seeds",
        "0..3",
        "--json",
    ]);
    let refresh = measure(&report, "instance refresh time");
    assert_eq!((refresh["a"]["runs"].as_u64(), refresh["b"]["runs"].as_u64()), (Some(3), Some(3)), "{refresh}");
    assert!(refresh["b"]["median"].as_u64() < refresh["a"]["median"].as_u64(), "{refresh}");
    assert_eq!(refresh["better"], "B");
    // A refresh that fails (protected instances, Wait) measures no time.
    let failing = "scenarios/rollouts/instance-refresh-waits-for-managed-termination-protection.ron";
    let report = compare_json(&[
        "compare",
        failing,
        "--set",
        "asg.Preferences.ScaleInProtectedInstances=Ignore",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let refresh = measure(&report, "instance refresh time");
    assert_eq!((refresh["a"]["runs"].as_u64(), refresh["b"]["runs"].as_u64()), (Some(0), Some(2)), "{refresh}");
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "instance refresh time"), "{plain}");
    // A group without a refresh step has no preferences to set; a name that is no group, service
    // or field is refused.
    for (set, says) in [
        ("plain.Preferences.MinHealthyPercentage=50", "Auto Scaling group 'plain' has no StartInstanceRefresh step"),
        (
            "asg.Preferences.MinHealthyPercentage=50",
            "'asg' is neither a service, an instance group nor an Auto Scaling group of the scenario",
        ),
    ] {
        let out = common::drainsim(&[
            "compare",
            "scenarios/rollouts/managed-termination-protection-scale-in.ron",
            "--set",
            set,
            "--seeds",
            "0..2",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

/// A plan that drains nothing is not a plan without a value: a mixed group made all On-Demand
/// (`--set GROUP.InstancesDistribution.OnDemandBaseCapacity`) loses no instance to the Spot
/// draws, so its total drain time is 0 and better, and its services' dips, never opened by a
/// drain, are 0 — not runs that count against it.
#[test]
fn a_plan_that_drains_nothing_measures_zero() {
    let report = compare_json(&[
        "compare",
        "scenarios/rollouts/spot-mixed-group-keeps-its-on-demand-base.ron",
        "--set",
        "mixed.InstancesDistribution.OnDemandBaseCapacity=5",
        "--seeds",
        "0..3",
        "--json",
    ]);
    let total = measure(&report, "total drain time");
    assert_eq!((total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64()), (Some(3), Some(3)), "{total}");
    assert_eq!(total["b"]["max"], 0, "{total}");
    assert!(total["a"]["min"].as_u64() > Some(0), "the Spot Instances drain at their notices: {total}");
    assert_eq!(total["better"], "B");
    let dip = measure(&report, "web: deepest dip below floor");
    assert_eq!((dip["a"]["runs"].as_u64(), dip["b"]["runs"].as_u64()), (Some(3), Some(3)), "{dip}");
    assert_eq!(dip["b"]["max"], 0);
    assert_eq!(measure(&report, "tasks moved more than once")["better"], "B", "no Spot capacity lost, no task moved twice");
    let interrupted = measure(&report, "Spot Instances interrupted");
    assert_eq!((interrupted["a"]["median"].as_u64(), interrupted["b"]["max"].as_u64()), (Some(8), Some(0)), "{interrupted}");
    assert_eq!(interrupted["better"], "B");
}

/// A dip below the floor outside any drain (an instance refresh terminating instances undrained)
/// is measured: the plan at MinHealthyPercentage 25 takes `web` 8 below its floor, the one at 75
/// only 3, and compare calls the second better, though it breaches twice as often. Before, no
/// drain opened the observation window, both dips read 0, and the breaches' count made the
/// deeper plan look better.
#[test]
fn a_dip_outside_a_drain_is_compared() {
    let report = compare_json(&[
        "compare",
        "scenarios/regressions/undrained-refresh-dips-below-the-floor.ron",
        "--set",
        "nodes.Preferences.MinHealthyPercentage=75",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let dip = measure(&report, "web: deepest dip below floor");
    assert_eq!((dip["a"]["median"].as_u64(), dip["b"]["median"].as_u64()), (Some(8), Some(3)), "{dip}");
    assert_eq!(dip["better"], "B", "{dip}");
}

/// A plan that lowers `minimumHealthyPercent` lowers its own floor: the demo at 0 % takes every
/// healthy `web` task at once and never dips below that floor, so only the row measured against the
/// desired count shows the outage (4 short of 4 against 2 short at 50 %), and its run's headline
/// names it.
#[test]
fn a_plan_that_lowers_the_floor_is_compared_by_what_it_leaves_healthy() {
    let report = compare_json(&[
        "compare",
        "scenarios/demo.ron",
        "--set",
        "web.deploymentConfiguration.minimumHealthyPercent=0",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let dip = measure(&report, "web: deepest dip below floor");
    assert_eq!((dip["a"]["median"].as_u64(), dip["b"]["median"].as_u64(), &dip["better"]), (Some(0), Some(0), &"same".into()));
    let short = measure(&report, "web: healthy tasks short of desired");
    assert_eq!((short["a"]["median"].as_u64(), short["b"]["median"].as_u64()), (Some(2), Some(4)), "{short}");
    assert_eq!(short["better"], "A", "{short}");
    let text =
        std::fs::read_to_string("scenarios/demo.ron").unwrap().replace("minimumHealthyPercent: 50", "minimumHealthyPercent: 0");
    assert!(text.contains("minimumHealthyPercent: 0"), "the demo's web has a floor to lower");
    let dir = TempDir::new("compare-floor");
    let file = dir.join("min0.ron");
    std::fs::write(&file, text).unwrap();
    let out = common::drainsim(&["run", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("no service dipped below its floor, but web had 0 healthy of 4 desired at its lowest"), "{stdout}");
}

/// Stalls and placement failures count from the first drain on: with trunking, the drain never stalls, and the service's
/// wait while the trunked instance registers (before any drain) is no cost of that plan; without,
/// the drain stalls on RESOURCE:ENI. Counting every stall called them the same.
#[test]
fn stalls_and_failures_before_the_first_drain_are_no_cost_of_the_plan() {
    let report = compare_json(&[
        "compare",
        "scenarios/eni/mixed-cluster-drain-time.ron",
        "--account-default",
        "awsvpcTrunking=enabled",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let stalls = measure(&report, "stalls");
    assert_eq!((stalls["a"]["median"].as_u64(), stalls["b"]["median"].as_u64()), (Some(1), Some(0)), "{stalls}");
    assert_eq!(stalls["better"], "B", "{stalls}");
    // The same for placement failures: B's six tasks that found no instance at time 0, while the
    // trunked instance registered, are no cost of its plan (h55: they were counted, +710 on a
    // 300-instance cluster whose drains were identical).
    let failures = measure(&report, "placement failures");
    assert_eq!(failures["b"]["median"].as_u64(), Some(0), "{failures}");
    assert!(failures["a"]["median"].as_u64().is_some_and(|n| n > 0), "A's drain stalls on RESOURCE:ENI: {failures}");
    // Attempts are shown, not ranked; what the stall cost is, in time.
    assert_eq!(failures["better"], "not ranked", "{failures}");
    let stalled = measure(&report, "time stalled");
    assert_eq!(stalled["unit"], "ms", "{stalled}");
    assert_eq!(stalled["b"]["median"].as_u64(), Some(0), "B's start-up wait is before its drain: {stalled}");
    assert!(stalled["a"]["median"].as_u64().is_some_and(|ms| ms > 0), "{stalled}");
    assert_eq!(stalled["better"], "B", "{stalled}");
}

/// The same plan with stage jitter: its placement failures grow with the distinct moments tasks
/// stop at (each retries the waiting service), which ranked the plan without jitter better on
/// placement failures although nothing about placement differs. They are not ranked.
#[test]
fn placement_failures_are_shown_but_not_ranked() {
    let report = compare_json(&[
        "compare",
        "scenarios/eni/mixed-cluster-drain-time.ron",
        "--set",
        "timings.jitterPercent=30",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let failures = measure(&report, "placement failures");
    assert_eq!(failures["better"], "not ranked", "{failures}");
    let text = String::from_utf8_lossy(
        &common::drainsim(&[
            "compare",
            "scenarios/eni/mixed-cluster-drain-time.ron",
            "--set",
            "timings.jitterPercent=30",
            "--seeds",
            "0..2",
        ])
        .stdout,
    )
    .to_string();
    let row = text.lines().find(|l| l.starts_with("placement failures")).expect("the row");
    assert!(row.trim_end().ends_with("not ranked"), "{text}");
}

/// Capacity Rebalancing against none, on the same group (`--set b.CapacityRebalance=true`): the
/// plan with it interrupts no Spot Instance and breaches no floor, and pays for it with a
/// replacement, which the measure of Capacity Rebalancing's replacements counts.
#[test]
fn capacity_rebalancing_is_compared_by_what_it_spares_and_what_it_replaces() {
    let report = compare_json(&[
        "compare",
        "scenarios/rollouts/spot-capacity-rebalance-replaces-before-the-notice.ron",
        "--set",
        "b.CapacityRebalance=true",
        "--seeds",
        "0..3",
        "--json",
    ]);
    let median = |name: &str| {
        let m = measure(&report, name);
        (m["a"]["median"].as_u64(), m["b"]["median"].as_u64(), m["better"].as_str().map(str::to_string))
    };
    assert_eq!(median("Spot Instances interrupted"), (Some(1), Some(0), Some("B".into())));
    assert_eq!(median("floor breaches"), (Some(1), Some(0), Some("B".into())));
    assert_eq!(median("web-b: deepest dip below floor"), (Some(2), Some(0), Some("B".into())));
    assert_eq!(median("Spot Instances replaced by Capacity Rebalancing"), (Some(1), Some(2), Some("A".into())));
    // The tasks EC2's termination took with the instance in A, which B moved first.
    let orphaned = median("tasks orphaned with their instance");
    assert!(orphaned.0 > Some(0) && orphaned.1 == Some(0) && orphaned.2.as_deref() == Some("B"), "{orphaned:?}");
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "tasks orphaned with their instance"), "{plain}");
}

/// A run a bound stopped before it was quiet measures no drain time: with `maxEvents` 0 plan B
/// never reaches its drain, and is not the faster plan for it (its drain time is missing, and the
/// runs cut short are counted).
#[test]
fn a_run_cut_short_by_a_bound_measures_no_drain_time() {
    let report = compare_json(&["compare", "scenarios/demo.ron", "--set", "maxEvents=0", "--seeds", "0..2", "--json"]);
    let total = measure(&report, "total drain time");
    assert_eq!(
        (total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64(), total["better"].as_str()),
        (Some(2), Some(0), Some("A")),
        "{total}"
    );
    let cut = measure(&report, "runs cut short by a bound (maxEvents)");
    assert_eq!(
        (cut["a"]["max"].as_u64(), cut["b"]["min"].as_u64(), cut["better"].as_str()),
        (Some(0), Some(1), Some("A")),
        "{cut}"
    );
    let plain = compare_json(&["compare", "scenarios/demo.ron", "--set", "web.desiredCount=6", "--seeds", "0..2", "--json"]);
    assert!(
        plain["measures"].as_array().unwrap().iter().all(|m| m["name"] != "runs cut short by a bound (maxEvents)"),
        "{plain}"
    );
}

/// A longer maximum instance lifetime on one of two groups (`--set
/// terminate-first.MaxInstanceLifetime=172800`, two days): within the hour only the other group's
/// two instances come due, so the measure of lifetime replacements counts 4 against 2.
#[test]
fn max_instance_lifetime_replacements_are_counted() {
    let report = compare_json(&[
        "compare",
        "scenarios/rollouts/max-instance-lifetime-replaces-one-at-a-time.ron",
        "--set",
        "terminate-first.MaxInstanceLifetime=172800",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let m = measure(&report, "instances replaced at their maximum instance lifetime");
    assert_eq!((m["a"]["median"].as_u64(), m["b"]["median"].as_u64(), m["better"].as_str()), (Some(4), Some(2), Some("B")));
}

/// A `--account-default` ECS refuses is refused once, at its flag, before any run: by compare and
/// by sweep alike (not as a run's failure).
#[test]
fn a_refused_account_default_is_an_error_at_its_flag() {
    for args in [
        &["compare", "scenarios/demo.ron", "--seeds", "0..2", "--account-default", "awsvpcTrunking=maybe"][..],
        &["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--account-default", "awsvpcTrunking=maybe"][..],
    ] {
        let out = common::drainsim(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with("error: --account-default awsvpcTrunking=maybe: "), "{err}");
        assert_eq!(err.matches("--account-default").count(), 1, "{err}");
        assert!(!err.contains("seed 0"), "{err}");
    }
    // A setting given twice is refused (the last value was kept silently).
    let twice = ["--account-default", "awsvpcTrunking=enabled", "--account-default", "awsvpcTrunking=disabled"];
    for head in [&["run", "scenarios/demo.ron"][..], &["sweep", "scenarios/demo.ron", "--seeds", "0..2"][..]] {
        let args: Vec<&str> = head.iter().chain(twice.iter()).copied().collect();
        let out = common::drainsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with("error: --account-default awsvpcTrunking=disabled: awsvpcTrunking is given twice (=enabled before)"),
            "{err}"
        );
    }
}

/// A `--set` that leaves an expectation naming nothing says which expectation: the rewritten
/// scenario has no file for a position to point into.
#[test]
fn a_set_that_orphans_an_expectation_names_it() {
    let out = common::drainsim(&["compare", "scenarios/demo.ron", "--seeds", "0..2", "--set", "web.serviceName=x"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown service 'web' in expectation ") && err.contains(" of `expectations`"), "{err}");
    // Plan B's text is in no file: the error quotes its line, the expectation naming `web`.
    assert!(err.contains(" (at `") && err.contains("\"web\"") && err.contains("` in plan B)"), "{err}");
    // One value per field: the same path twice is refused, not the last one kept.
    let twice = common::drainsim(&[
        "compare",
        "scenarios/demo.ron",
        "--seeds",
        "0..2",
        "--set",
        "web.desiredCount=3",
        "--set",
        "web.desiredCount=5",
    ]);
    let err = String::from_utf8_lossy(&twice.stderr);
    assert_eq!(twice.status.code(), Some(2), "{err}");
    assert!(err.contains("--set web.desiredCount is given twice"), "{err}");
}

/// `a` is drained at 60 s and set ACTIVE again at 65 s (its drain is cancelled and never
/// completes); `b` is drained at 300 s and completes at 412 s.
const CANCEL_FIRST: &str = r#"Scenario(
    name: "cancel-first",
    seed: 5,
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a"], cpu: 4096, memory: 7680),
        (name: "b", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1b"], cpu: 4096, memory: 7680),
        (name: "c", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1c"], cpu: 4096, memory: 7680),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 256, stopTimeout: 60, exitAfterSigtermMs: 120000)])],
    services: [
        (cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 3,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200), availabilityZoneRebalancing: "DISABLED"),
    ],
    steps: [
        (atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
        (atMs: 65000, do: ActivateInstances((cluster: "prod", instances: ["a"]))),
        (atMs: 300000, do: DrainInstances((cluster: "prod", instances: ["b"]))),
        (do: RunUntilQuiet),
    ],
    expectations: [],
)
"#;

/// A cancelled drain (the instance set ACTIVE again before its drain completed) is no drain, in
/// `compare` as in `run`'s headline, `explain`'s `totalDrainMs` and a sweep's `noDrainRuns`: the
/// total drain time ran from the cancelled drain's start (5m52s where `explain` says 1m52s), and a
/// plan whose only drain was cancelled counted as one whose drain never completed.
#[test]
fn a_cancelled_drain_is_no_drain() {
    let dir = TempDir::new("compare-cancelled");
    let file = dir.join("cancel-first.ron");
    std::fs::write(&file, CANCEL_FIRST).unwrap();
    let file = file.to_str().unwrap();
    let report = compare_json(&["compare", file, "scenarios/drain/drain-then-reactivate.ron", "--seeds", "0..2", "--json"]);
    let total = measure(&report, "total drain time");
    // Each run measures what `explain` says of it: from b's drain to its end.
    let explained: Vec<u64> = (0..2)
        .map(|seed: u64| {
            let out = common::drainsim(&["explain", file, "--seed", &seed.to_string(), "--json"]);
            assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
            let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
            v["totalDrainMs"].as_u64().expect("every drain that counts completed")
        })
        .collect();
    assert_eq!(explained, [112_000, 112_000]);
    assert_eq!(
        (total["a"]["runs"].as_u64(), total["a"]["min"].as_u64(), total["a"]["max"].as_u64()),
        (Some(2), Some(112_000), Some(112_000)),
        "{total}"
    );
    // drain-then-reactivate cancels its only drain: it drains nothing, 0 (a sweep's noDrainRuns).
    assert_eq!((total["b"]["runs"].as_u64(), total["b"]["max"].as_u64()), (Some(2), Some(0)), "{total}");
    assert_eq!(total["better"], "B", "{total}");
}

/// Drains in waves do not run side by side, so the total drain time spans the waves: the slowest
/// single drain, the longest of a run's drains from start to completion, is shown beside it, and
/// equals what the run's report gives. A single drain shows no such row.
#[test]
fn drains_apart_compare_their_slowest_single_drain() {
    let file = "scenarios/rollouts/ami-rollout-waves-of-10-percent.ron";
    let report = compare_json(&["compare", file, file, "--seeds", "0..1", "--json"]);
    let slowest = measure(&report, "slowest single drain");
    let run: Value = serde_json::from_slice(&common::drainsim(&["run", file, "--json"]).stdout).unwrap();
    let longest = run["containerInstances"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| Some(i["drainCompletedAtMs"].as_u64()? - i["drainStartedAtMs"].as_u64()?))
        .max()
        .unwrap();
    assert_eq!(slowest["a"]["median"].as_u64(), Some(longest), "{slowest}");
    let total = measure(&report, "total drain time");
    assert!(total["a"]["median"].as_u64().unwrap() > longest, "{total}");
    let single = compare_json(&["compare", "scenarios/demo.ron", "scenarios/demo.ron", "--seeds", "0..1", "--json"]);
    assert!(single["measures"].as_array().unwrap().iter().all(|m| m["name"] != "slowest single drain"), "{single}");
}

/// A plan's failed runs are counted, the smallest seed named, and its command reproduces that
/// run: `drainsim run` for a plan that is a file (exit 1, as a failed run exits), the comparison
/// of that one seed for a plan written from `--set` overrides. The comparison still exits 0: its
/// expectations were written for plan A.
#[test]
fn a_plans_failed_runs_name_the_command_that_reproduces_the_smallest_seed() {
    let args = |seeds: &str| {
        [
            "compare",
            "scenarios/faults/health-checks-fail-in-one-zone.ron",
            "--set",
            "web.deploymentConfiguration.minimumHealthyPercent=50",
            "--seeds",
            seeds,
            "--json",
        ]
        .map(String::from)
    };
    let report = compare_json(&args("3..6").each_ref().map(String::as_str));
    let (a, b) = (&report["failedRuns"]["a"], &report["failedRuns"]["b"]);
    assert_eq!(a, &serde_json::json!({"runs": 0}), "plan A holds its expectations: {report}");
    assert_eq!((b["runs"].as_u64(), b["smallestSeed"].as_u64()), (Some(3), Some(3)), "{report}");
    // Which expectations failed, and in how many runs, the most failed first (ties by name).
    assert_eq!(
        b["expectations"],
        serde_json::json!([
            {"name": "web floor breach caused by healthCheckFailed", "count": 3},
            {"name": "web floorBreaches = 1", "count": 3},
        ]),
        "{report}"
    );
    let reproduce = b["reproduce"].as_str().expect("a command");
    let mut want = args("3..4").join(" ");
    want.truncate(want.len() - " --json".len());
    assert_eq!(reproduce, format!("drainsim {want}"));
    // Reproduced: that one seed's comparison fails plan B's run.
    let words: Vec<&str> = reproduce.split(' ').skip(1).chain(["--json"]).collect();
    let again = compare_json(&words);
    assert_eq!(again["failedRuns"]["b"]["runs"], 1, "{again}");
    // The text ends with the plan's line.
    let text_args = args("3..5");
    let out = common::drainsim(&text_args[..6].iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(
            "plan B: 2 of 2 runs failed an expectation (each failed 'web floor breach caused by healthCheckFailed'; \
             one other expectation failed too); the smallest seed's, 3, reproduces with: drainsim compare "
        ),
        "{text}"
    );

    // A plan that is a file with an account default: `drainsim run`, which fails that seed.
    let report = compare_json(&[
        "compare",
        "scenarios/eni/mixed-cluster-drain-time.ron",
        "--account-default",
        "awsvpcTrunking=enabled",
        "--seeds",
        "1..3",
        "--json",
    ]);
    let reproduce = report["failedRuns"]["b"]["reproduce"].as_str().expect("a command");
    assert_eq!(
        reproduce,
        "drainsim run scenarios/eni/mixed-cluster-drain-time.ron --account-default awsvpcTrunking=enabled --seed 1"
    );
    let words: Vec<&str> = reproduce.split(' ').skip(1).collect();
    let run = common::drainsim(&words);
    assert_eq!(run.status.code(), Some(1), "the run fails: {}", String::from_utf8_lossy(&run.stdout));
}

/// `--set GROUP.FIELD` changes an instance group of `instances`: the GPU fleet given a fourth
/// instance drains at once (the replacement finds a GPU free there) instead of waiting for the
/// spare that registers at 10 minutes; a name an instance group shares with a service is refused as
/// ambiguous, and a field instance groups do not have is refused when the changed scenario loads.
#[test]
fn an_instance_group_override_compares_a_fleet_of_another_shape() {
    let gpu = "scenarios/drain/gpu-replacements-wait-for-a-free-gpu.ron";
    let report = compare_json(&["compare", gpu, "--set", "gpu.count=4", "--seeds", "0..3", "--json"]);
    let total = measure(&report, "total drain time");
    assert_eq!(total["better"], "B", "{total}");
    assert!(total["a"]["median"].as_u64() > Some(540_000), "A waits for the instance at 10 min: {total}");
    assert!(total["b"]["median"].as_u64() < Some(120_000), "B replaces at once: {total}");
    let dir = TempDir::new("compare-instance-group");
    let shared = dir.join("shared.ron");
    let text = std::fs::read_to_string(gpu).expect("the scenario").replace("\"cpu-1\"", "\"infer\"");
    std::fs::write(&shared, text).expect("writes");
    for (file, set, says) in [
        (shared.to_str().unwrap(), "infer.memory=60000", "'infer' names an instance group and service alike"),
        (gpu, "gpu.gpuCount=2", "gpuCount"),
    ] {
        let out = common::drainsim(&["compare", file, "--set", set, "--seeds", "0..2"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

/// The text table leaves out the rows of services that never dipped below their floor nor fell
/// short of their desired count in either plan, and counts them; the JSON keeps every row. Of
/// eight services, the four at minimumHealthyPercent 100 never lose a healthy task.
#[test]
fn quiet_services_rows_are_counted_not_printed() {
    let args = [
        "compare",
        "tests/data/explain/twenty-instances-eight-services.ron",
        "--set",
        "svc0.deploymentConfiguration.maximumPercent=150",
        "--seeds",
        "0..2",
    ];
    let out = common::drainsim(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for quiet in ["svc1", "svc3", "svc5", "svc7"] {
        assert!(!text.contains(&format!("{quiet}: deepest dip")), "{text}");
    }
    assert!(text.contains("svc0: healthy tasks short of desired"), "{text}");
    assert!(
        text.contains("\n4 services' rows left out: no dip below the floor and no healthy task short of desired in either plan (--json lists them)\n"),
        "{text}"
    );
    let report = compare_json(&[&args[..], &["--json"]].concat());
    measure(&report, "svc1: deepest dip below floor");
}

/// A plan that refreshes a group against one that does not: the refresh time does not make the
/// plan that refreshes the better (it was "B" on the 50 runs "without" of the plan that drained by
/// hand), it is `n/a`, with a note under the table.
#[test]
fn instance_refresh_time_against_a_plan_without_a_refresh_is_not_compared() {
    let refresh = "scenarios/rollouts/instance-refresh-30-instances.ron";
    let report = compare_json(&["compare", "scenarios/demo.ron", refresh, "--seeds", "0..2", "--json"]);
    let m = measure(&report, "instance refresh time");
    assert_eq!((m["a"]["runs"].as_u64(), m["b"]["runs"].as_u64()), (Some(0), Some(2)), "{m}");
    assert_eq!(m["better"], "n/a", "{m}");
    let out = common::drainsim(&["compare", "scenarios/demo.ron", refresh, "--seeds", "0..2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("n/a: instance refresh time: the plans start an instance refresh in different numbers of runs"),
        "{text}"
    );
    assert!(!text.contains("n/a: the plans leave different numbers of drains"), "{text}");
}

/// Drains that managed scaling's scale-in began (the group shrinking 15 minutes after the plan)
/// are not in the drain times, and are counted in a row of their own: here two Spot drains of 2
/// minutes, then two empty replacements scaled in at 23 minutes. The total drain time read 18
/// minutes, and a plan without the scale-in would have been called the faster.
#[test]
fn drains_begun_by_managed_scaling_scale_in_are_not_in_the_drain_times() {
    let file = "scenarios/rollouts/spot-capacity-provider-replaces-interrupted-instances.ron";
    let report = compare_json(&["compare", file, file, "--seeds", "0..2", "--json"]);
    let total = measure(&report, "total drain time");
    assert_eq!(total["a"]["max"], 120000, "{total}");
    let scale_in = measure(&report, "drains begun by managed scaling's scale-in (not in the drain times)");
    assert_eq!((scale_in["a"]["median"].as_u64(), scale_in["b"]["max"].as_u64()), (Some(2), Some(2)), "{scale_in}");
    let out = common::drainsim(&["run", file, "--timeline", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "headline: every drain ended 2m00s after the first began; managed scaling's scale-in drained 2 more \
             instances from +00:23:00.000, not counted above"
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("  spot-6 ") && l.ends_with("(begun by managed scaling's scale-in: not in the drain times)")),
        "{text}"
    );
    // A run whose only drains managed scaling began counts them: they are its drains.
    let only =
        common::drainsim(&["run", "scenarios/regressions/managed-scaling-scale-in-needs-15-datapoints-in-a-row.ron", "--json"]);
    let json: Value = serde_json::from_slice(&only.stdout).expect("JSON");
    assert!(json["allDrainsCompletedAtMs"].is_u64(), "{}", json["allDrainsCompletedAtMs"]);
}

/// A plan whose every run measured the same says so: 50 equal runs read as a spread of 50 (a
/// dogfooding helper compared two imported plans over 50 seeds and got one value per row). A plan
/// whose seed changes its figures gets no such line.
#[test]
fn runs_that_all_measured_the_same_are_said_to() {
    let out = common::drainsim(&["compare", "scenarios/demo.ron", "scenarios/demo.ron", "--seeds", "0..4"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "\nevery run of both plans measured the same on every row and failed the same expectations: nothing drawn \
             from the seed (a fault profile, timing jitter, the task IDs that break ties) changed them"
        ),
        "{text}"
    );
    let file = "scenarios/drain/seed-min50-max200.ron";
    let out = common::drainsim(&["compare", file, file, "--seeds", "0..4"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("measured the same on every row"), "{text}");
    // Every figure alike, but the expectation each run fails is the one its task IDs pick (a
    // helper's imported plan lost a different wave to managed scaling's scale-in by seed): the
    // seeds matter, and nothing says they do not.
    let file = "tests/data/compare/tie-broken-by-task-id.ron";
    let out = common::drainsim(&["compare", file, file, "--seeds", "0..6"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("failed expectations         1 / 1 / 1 / 1"), "{text}");
    assert!(text.contains("'a runningTasksCount = 1', in 4 of them; one other expectation failed too"), "{text}");
    assert!(!text.contains("measured the same on every row"), "{text}");
}

/// Sixty services drained from one instance, each of one task at minimumHealthyPercent 0, so each
/// falls one healthy task short of desired; plan B gives the last a floor of 100 % and adds a
/// service plan A does not have. The text lists 50 services' rows, those the plans differ on
/// first, and counts the rest (1,000 services printed 2,000 rows); the added service's rows are
/// `n/a`, not better for the plan without it.
#[test]
fn many_services_rows_are_capped_and_a_service_of_one_plan_does_not_compare() {
    let dir = TempDir::new("compare-many-services");
    let plan = |extra: &str, last_min: u32| {
        let services: Vec<String> = (1..=60)
            .map(|k| {
                let min = if k == 60 { last_min } else { 0 };
                format!(
                    r#"(cluster: "prod", serviceName: "s{k:02}", taskDefinition: "small", desiredCount: 1, availabilityZoneRebalancing: "DISABLED",
         deploymentConfiguration: (minimumHealthyPercent: {min}, maximumPercent: 200))"#
                )
            })
            .collect();
        format!(
            r#"Scenario(
    name: "many-services",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "old", cluster: "prod", instanceType: "m5.4xlarge", cpu: 16384, memory: 65536),
        (name: "new", count: 2, cluster: "prod", instanceType: "m5.4xlarge", cpu: 16384, memory: 65536, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "small", containerDefinitions: [(name: "c", cpu: 64, memory: 64, exitAfterSigtermMs: 1000)])],
    services: [
        {}{extra}
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 600000))),
    ],
)"#,
            services.join(",\n        ")
        )
    };
    let (a, b) = (dir.join("a.ron"), dir.join("b.ron"));
    std::fs::write(&a, plan("", 0)).unwrap();
    let extra = r#",
        (cluster: "prod", serviceName: "added", taskDefinition: "small", desiredCount: 1, availabilityZoneRebalancing: "DISABLED",
         deploymentConfiguration: (minimumHealthyPercent: 0, maximumPercent: 200))"#;
    std::fs::write(&b, plan(extra, 100)).unwrap();
    let out = common::drainsim(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--seeds", "0..2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let service_rows = text.lines().filter(|l| l.contains(": healthy tasks short of desired")).count();
    assert_eq!(service_rows, 50, "{text}");
    assert!(
        text.contains("\n11 more services' rows left out: 50 listed, those the plans differ on first (--json lists them all)\n"),
        "{text}"
    );
    let row =
        |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("no row {name}: {text}")).to_string();
    assert!(row("s60: healthy tasks short of desired").ends_with(" B"), "{text}");
    assert!(row("added: healthy tasks short of desired").ends_with(" n/a"), "{text}");
    assert!(text.contains("\nn/a: added: only one plan has the service, so its rows do not compare\n"), "{text}");
    let json = compare_json(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--seeds", "0..2", "--json"]);
    let listed =
        json["measures"].as_array().unwrap().iter().filter(|m| m["name"].as_str().unwrap().ends_with("short of desired")).count();
    assert_eq!(listed, 61, "{json}");
}

/// A plan refused at its setup names its file once, in the error's place (it read `error:
/// plan.ron: plan.ron:29:40: …`).
#[test]
fn a_plan_refused_at_setup_names_its_file_once() {
    let dir = TempDir::new("compare-setup-refused");
    let text = std::fs::read_to_string("scenarios/drain/seed-min50-max200.ron").unwrap();
    let text = text.replacen(
        "taskDefinition: \"web\", desiredCount: 4,",
        "taskDefinition: \"web\", desiredCount: 4, launchType: \"FARGATE\",",
        1,
    );
    assert!(text.contains("FARGATE"), "the service line was found");
    let file = dir.join("fargate.ron");
    std::fs::write(&file, text).unwrap();
    let path = file.to_str().unwrap();
    let out = common::drainsim(&["compare", path, "--set", "web.desiredCount=2", "--seeds", "0..2"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("launchType FARGATE is not modelled"), "{err}");
    assert_eq!(err.matches(path).count(), 1, "the file named once: {err}");
}

/// A plan of one failed run names its expectation without "most often … in all 1", and says
/// "1 of 1 run".
#[test]
fn one_failed_run_is_said_in_the_singular() {
    let out =
        common::drainsim(&["compare", "scenarios/drain/seed-min50-max200.ron", "--set", "endTimeMs=1000", "--seeds", "1..2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("plan B: 1 of 1 run failed an expectation ('"), "{text}");
    assert!(!text.contains("most often"), "{text}");
}

/// Plans that share no service are two clusters, not two plans for one: the text says so before
/// its rows rank them (a helper compared the demo with a 300-instance cluster and was told which
/// plan is better, with no word that they were unrelated); two plans of one cluster hear nothing.
#[test]
fn plans_that_share_no_service_are_called_two_clusters() {
    let text = |args: &[&str]| {
        let out = common::drainsim(args);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let unrelated =
        text(&["compare", "scenarios/demo.ron", "scenarios/drain/rollout-paced-by-stop-timeout.ron", "--seeds", "0..2"]);
    assert!(unrelated.contains("warning: the plans share no service"), "{unrelated}");
    let related =
        text(&["compare", "scenarios/demo.ron", "--set", "web.deploymentConfiguration.maximumPercent=150", "--seeds", "0..2"]);
    assert!(!related.contains("share no service"), "{related}");
}

/// A plan in which ECS refused a drain it asked for (an instance REGISTRATION_FAILED) never
/// drained what it asked for: it has no total drain time (a plan that leaves an instance undrained
/// is not faster for it), and a row counts the refusals. It was ranked the faster plan.
#[test]
fn a_plan_with_a_refused_drain_is_not_the_faster_one() {
    let report = compare_json(&[
        "compare",
        "scenarios/drain/drain-refused-is-named-not-complete.ron",
        "--set",
        "faults.trunkFailures=[]",
        "--seeds",
        "0..2",
        "--json",
    ]);
    let total = measure(&report, "total drain time");
    assert_eq!((total["a"]["runs"].as_u64(), total["b"]["runs"].as_u64()), (Some(0), Some(2)), "{total}");
    assert_eq!(total["better"], "B", "{total}");
    let refused = measure(&report, "drains ECS refused (never DRAINING)");
    assert_eq!((refused["a"]["median"].as_u64(), refused["b"]["median"].as_u64()), (Some(1), Some(0)), "{refused}");
    assert_eq!(refused["better"], "B", "{refused}");
}

/// A stall still open at the end of a run has no length: counted up to the end of the run, it
/// measured how long the plan's steps waited (here plan A waits 20 minutes for a drain the stall
/// holds, plan B an hour, and B read 40 minutes worse on the same stall). Both plans end every run
/// stalled: `time stalled` is `n/a`, the row `stalls still open at the end` counts them, and the
/// failed expectations of plans that judge different numbers of steps are not ranked.
#[test]
fn a_stall_still_open_at_the_end_has_no_time_and_different_judgements_are_not_ranked() {
    let dir = TempDir::new("compare-open-stall");
    let plan = |name: &str, timeout_ms: u64, extra_step: &str| {
        let file = dir.join(name);
        std::fs::write(
            &file,
            format!(
                r#"Scenario(
    name: "deadlocked-{name}",
    seed: 5,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 2, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680),
        (name: "new", count: 2, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "pinned", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 2000)])],
    services: [
        (cluster: "prod", serviceName: "pinned", taskDefinition: "pinned", desiredCount: 2,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 100)),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: {timeout_ms}))),{extra_step}
    ],
)"#
            ),
        )
        .unwrap();
        file.to_str().unwrap().to_string()
    };
    let a = plan("a.ron", 1_200_000, "");
    let b = plan("b.ron", 3_600_000, "\n        (do: Check([ServiceRunningCount(\"pinned\", Eq(3))])),");
    let args = ["compare", a.as_str(), b.as_str(), "--seeds", "0..3"];
    let report = compare_json(&[&args[..], &["--json"]].concat());
    let stalled = measure(&report, "time stalled");
    assert_eq!((stalled["a"]["runs"].as_u64(), stalled["b"]["runs"].as_u64()), (Some(0), Some(0)), "{stalled}");
    assert_eq!(stalled["better"], "n/a", "{stalled}");
    let open = measure(&report, "stalls still open at the end");
    assert_eq!((open["a"]["median"].as_u64(), open["b"]["median"].as_u64(), &open["better"]), (Some(1), Some(1), &"same".into()));
    let failed = measure(&report, "failed expectations");
    assert_eq!(failed["better"], "not ranked", "{failed}");
    let text = String::from_utf8(common::drainsim(&args).stdout).unwrap();
    assert!(text.contains("\nn/a: time stalled: as many runs of each plan ended with a stall still open"), "{text}");
    assert!(text.contains("\nnot ranked: failed expectations: the plans judge different numbers"), "{text}");
    // The note points at the failed runs' lines only when there are some (it once pointed at
    // counts "below" that were not there).
    let failed_runs = report["failedRuns"]["a"]["runs"].as_u64().unwrap() + report["failedRuns"]["b"]["runs"].as_u64().unwrap();
    assert_eq!(text.contains("(the runs that failed one are counted below)"), failed_runs > 0, "{text}");
    // Plans that judge as many are ranked on them.
    let report =
        compare_json(&["compare", &a, "--set", "pinned.deploymentConfiguration.maximumPercent=200", "--seeds", "0..3", "--json"]);
    let failed = measure(&report, "failed expectations");
    assert_eq!(failed["better"], "B", "{failed}");
    // B's drain does not stall for good: the plan whose runs end stalled is the worse.
    let open = measure(&report, "stalls still open at the end");
    assert_eq!((open["b"]["median"].as_u64(), &open["better"]), (Some(0), &"B".into()), "{open}");
    assert_eq!(measure(&report, "time stalled")["better"], "B");
}
