//! `drainsim explain`: why each drain took as long as it did. The demo's explanation is a snapshot
//! (tests/snapshots/); the others check the findings the issue names: a replacement blocked by a
//! host port and CPU at once names both, a rollout names the stopTimeout that sets its pace, and a
//! memberOf stall names the expression.

mod common;
#[path = "common/temp.rs"]
mod temp;

fn explain(file: &str) -> String {
    let out = common::drainsim(&["explain", file]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_demo_explained() {
    insta::assert_snapshot!("explain_demo", explain("scenarios/demo.ron"));
}

#[test]
fn a_replacement_blocked_by_a_port_and_cpu_names_both() {
    let text = explain("scenarios/drain/stall-port-and-cpu.ron");
    assert!(
        text.contains("fixed stalled on RESOURCE:CPU from +00:01:01.000 to the end of the run: the closest instance lacked CPU and a free host port (RESOURCE:CPU, RESOURCE:PORTS)"),
        "{text}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&common::drainsim(&["run", "scenarios/drain/stall-port-and-cpu.ron", "--json"]).stdout).unwrap();
    assert_eq!(report["services"][0]["stalls"][0]["unmetRequirements"], serde_json::json!(["RESOURCE:CPU", "RESOURCE:PORTS"]));
}

#[test]
fn a_drain_held_by_an_agent_that_never_returns_names_the_agent_and_the_stall() {
    // The drained task waits for its agent; its replacement cannot be placed (port 80): both are
    // said, where explain said only "not STOPPED by the end of the run" and the service no stall.
    let text = explain("scenarios/fidelity/stall-behind-a-task-held-by-a-disconnected-agent.ron");
    assert!(
        text.contains("told to stop at +00:02:00.000; not STOPPED by the end of the run: waiting for old's agent, disconnected at +00:01:40.000 and not back by the end of the run, to reconnect and send SIGTERM"),
        "{text}"
    );
    assert!(text.contains("web stalled on RESOURCE:PORTS from +00:02:30.000 to the end of the run"), "{text}");
    assert!(text.contains("short of desired at the end: web (1 of 2 running, stalled on RESOURCE:PORTS)"), "{text}");
}

#[test]
fn a_distinct_instance_stall_says_the_closest_instance_already_ran_a_task() {
    // It read "lacked no task of the service already there", which says the opposite.
    let text = explain("scenarios/drain/binpack-and-spread.ron");
    assert!(
        text.contains("web stalled on CONSTRAINT:distinctInstance from +00:06:00.000 to the end of the run: the closest instance lacked a place free of the service's tasks (distinctInstance: one already runs there) (CONSTRAINT:distinctInstance)"),
        "{text}"
    );
}

#[test]
fn a_rollout_names_the_stop_timeout_that_sets_its_pace() {
    let text = explain("scenarios/drain/rollout-paced-by-stop-timeout.ron");
    insta::assert_snapshot!("explain_rollout", text);
    assert_eq!(
        text.matches("a container is assumed not to exit on SIGTERM (it gives no exitAfterSigtermMs), so it is killed at its stopTimeout of 2m00s").count(),
        2,
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_slice(
        &common::drainsim(&["explain", "scenarios/drain/rollout-paced-by-stop-timeout.ron", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(json["totalDrainMs"], 344_000);
    assert_eq!(json["instances"][0]["criticalPath"][1]["fromMs"], 172_000);
}

/// The daemon task stops last, after every other task: its path goes through the api task it
/// waited for, naming api's floor and stop timeout, not "the daemon stops last" alone.
#[test]
fn a_daemon_task_stopping_last_follows_the_task_it_waited_for() {
    let file = "scenarios/drain/daemon-stops-after-the-replica-that-held-the-drain.ron";
    let json = explain_json(file);
    let old = &json["instances"][0];
    assert!(old["lastTask"].as_str().unwrap().starts_with("logs:task/"), "{old}");
    let path: Vec<(u64, u64, &str)> = old["criticalPath"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["fromMs"].as_u64().unwrap(), s["toMs"].as_u64().unwrap(), s["why"].as_str().unwrap()))
        .collect();
    assert_eq!(path.len(), 3, "{path:?}");
    assert_eq!((path[0].0, path[0].1), (120_000, 172_000), "{path:?}");
    assert!(path[0].2.starts_with("api:task/") && path[0].2.contains("api's floor held it"), "{path:?}");
    assert_eq!((path[1].0, path[1].1), (172_000, 202_000), "{path:?}");
    assert!(path[1].2.starts_with("api:task/") && path[1].2.contains("stop timeout of 30s"), "{path:?}");
    assert_eq!((path[2].0, path[2].1), (202_000, 203_000), "{path:?}");
    // The daemon task's own stage carries its label after the other task's labelled ones.
    assert!(
        path[2].2.starts_with("logs:task/") && path[2].2.contains(": STOPPING: its containers exit 1s after SIGTERM"),
        "{path:?}"
    );
    let text = explain(file);
    assert!(!text.contains("a logs daemon task"), "{text}");
}

#[test]
fn an_incomplete_drain_names_what_holds_it() {
    let text = explain("scenarios/drain/example07-standalone-task-blocks-drain.ron");
    assert!(text.contains("a standalone task: ECS does not stop it for a drain"), "{text}");
}

#[test]
fn a_member_of_stall_names_the_expression() {
    let text = explain("scenarios/query/member-of-zone-stall.ron");
    assert!(
        text.contains(
            "pinned stalled on CONSTRAINT:memberOf for 28m00s from +00:02:00.000 to +00:30:00.000: the closest instance lacked what memberOf(attribute:ecs.availability-zone == us-east-1a) asks (CONSTRAINT:memberOf); the closest instance its memberOf expressions allow lacked memory (RESOURCE:MEMORY)"
        ),
        "{text}"
    );
}

fn explain_json(file: &str) -> serde_json::Value {
    let out = common::drainsim(&["explain", file, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{file}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Every completed drain's critical path runs without a gap from the drain's start to its end:
/// the explanation accounts for the whole drain, also when a forced deregistration or EC2 ended it
/// with a task still there (the task is followed to the moment it was orphaned).
#[test]
fn every_critical_path_covers_its_whole_drain() {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        "scenarios/drain",
        "scenarios/rollouts",
        "scenarios/eni",
        "scenarios/fidelity",
        "scenarios/faults",
        "scenarios/instances",
    ] {
        for entry in std::fs::read_dir(dir).expect("a scenario directory") {
            files.push(entry.expect("an entry").path());
        }
    }
    files.sort();
    let mut orphan_paths = 0;
    for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "ron")) {
        let file = file.to_str().expect("UTF-8 path");
        let json = explain_json(file);
        for i in json["instances"].as_array().expect("instances") {
            let (Some(start), Some(end)) = (i["drainStartedAtMs"].as_u64(), i["drainCompletedAtMs"].as_u64()) else { continue };
            let path = i["criticalPath"].as_array().expect("a path");
            if end == start {
                continue;
            }
            assert!(!path.is_empty(), "{file}: {} drained in {} ms with no path: {i}", i["name"], end - start);
            assert_eq!(path[0]["fromMs"].as_u64(), Some(start), "{file}: {i}");
            assert_eq!(path.last().unwrap()["toMs"].as_u64(), Some(end), "{file}: {i}");
            for pair in path.windows(2) {
                assert_eq!(pair[0]["toMs"], pair[1]["fromMs"], "{file}: a gap in {i}");
            }
            orphan_paths += usize::from(path.iter().any(|s| s["why"].as_str().is_some_and(|w| w.contains("orphaned it"))));
        }
    }
    assert!(orphan_paths >= 4, "the scenarios hold drains ended by orphaning ({orphan_paths})");
}

/// A lifecycle hook's timeout ends a drain held by a standalone task with a forced
/// deregistration: the explanation follows that task, not the last one that stopped.
#[test]
fn a_drain_ended_by_a_forced_deregistration_follows_the_task_it_cut_off() {
    let file = "scenarios/rollouts/managed-draining-hook-timeout.ron";
    // The report says the drain ended because the instance went with a task still running, not
    // because its tasks stopped: its row, the text's drains line and the headline.
    let report: serde_json::Value = serde_json::from_slice(&common::drainsim(&["run", file, "--json"]).stdout).unwrap();
    let orphaned: Vec<(&str, u64)> = report["containerInstances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["orphanedTasks"].as_u64().unwrap()))
        .collect();
    assert_eq!(orphaned, [("ecs-1", 1), ("ecs-2", 0), ("ecs-3", 0)]);
    let run = String::from_utf8(common::drainsim(&["run", file]).stdout).unwrap();
    assert!(run.contains("status INACTIVE  (1 task(s) never stopped: orphaned when the instance went away)"), "{run}");
    assert!(
        run.contains("ecs-1 went with 1 task(s) not yet STOPPED, orphaned: its drain ended so, not by their stopping"),
        "{run}"
    );
    let text = explain(file);
    assert!(text.contains("the last task on it was standalone:task/"), "{text}");
    assert!(
        text.contains("a standalone task: ECS does not stop it for a drain; still RUNNING when DeregisterContainerInstance force orphaned it"),
        "{text}"
    );
}

/// A floor an UpdateService changed after the drain: each drained task's wait quotes the floor in
/// force when it was told to stop (50 % of 4), the service's line the one at the end (100 % of 6).
#[test]
fn a_task_held_by_the_floor_quotes_the_floor_then() {
    let text = explain("scenarios/drain/update-service-after-the-floor-held-a-task.ron");
    assert_eq!(text.matches("(the floor then: 2 healthy tasks, minimumHealthyPercent 50 of 4 desired)").count(), 1, "{text}");
    assert!(!text.contains("minimumHealthyPercent 100 of 6 desired"), "{text}");
    assert!(text.contains("desired 6, floor 6 (minimumHealthyPercent 100)"), "{text}");
    // Deleted after the drain instead: the floor then is still 2 of 4, not 0 of 0.
    let dir = temp::TempDir::new("explain-floor-then-deleted");
    let file = dir.join("deleted.ron");
    let original = std::fs::read_to_string("scenarios/drain/update-service-after-the-floor-held-a-task.ron").unwrap();
    let update = "(do: UpdateService((cluster: \"prod\", service: \"web\", desiredCount: 6,\n            deploymentConfiguration: (minimumHealthyPercent: 100)))),";
    assert!(original.contains(update), "the scenario's last step");
    let expectations = original.find("    expectations: [").expect("expectations");
    let text = format!("{}    expectations: [],\n)\n", &original[..expectations]).replacen(
        update,
        "(do: DeleteService((cluster: \"prod\", service: \"web\", force: true))),",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let text = explain(file.to_str().unwrap());
    assert!(text.contains("(the floor then: 2 healthy tasks, minimumHealthyPercent 50 of 4 desired)"), "{text}");
    assert!(text.contains("(it was 2 when the longest wait ended)"), "{text}");
}

/// A run its bound stopped mid-drain (the demo cut at 2m05s by `endTimeMs`, at 2m01s by
/// `maxEvents`): the headline and each held task say the bound stopped it, not that the service
/// could not replace the task, and a task already STOPPING is held by its stop, not its service.
#[test]
fn a_drain_a_bound_stopped_is_not_blamed_on_the_service() {
    let dir = temp::TempDir::new("explain-bound");
    let demo = std::fs::read_to_string("scenarios/demo.ron").expect("demo");
    let expectations = demo.find("    expectations: [").expect("expectations");
    let demo = format!(
        "{}    expectations: [],
)
",
        &demo[..expectations]
    )
    .replacen("timeoutMs: 600000", "timeoutMs: 1000", 1);
    for (name, bound, stopped_at) in
        [("end-time", "endTimeMs: 125000,", "+00:02:05.000"), ("max-events", "maxEvents: 20,", "+00:02:01.000")]
    {
        let file = dir.join(format!("{name}.ron"));
        std::fs::write(&file, demo.replacen("    seed: 42,", &format!("    seed: 42,\n    {bound}"), 1)).expect("written");
        let text = explain(file.to_str().expect("UTF-8 path"));
        let reason = if name == "end-time" { "endTime" } else { "maxEvents" };
        assert!(
            text.contains(&format!("headline: not every drain completed (old still draining when the run's bound ({reason}) stopped it at {stopped_at})")),
            "{text}"
        );
        assert!(!text.contains("could not replace it within its bounds"), "{text}");
        assert!(
            text.contains(&format!("web had not replaced it when the run's bound ({reason}) stopped the run (see service web)")),
            "{text}"
        );
        if name == "max-events" {
            assert!(
                text.contains(&format!("(STOPPING): told to stop at +00:02:00.000; not STOPPED by the end of the run (the run's bound, {reason}, stopped it)")),
                "{text}"
            );
        }
    }
}

/// A drain cancelled by setting the instance ACTIVE again is neither complete nor stuck: the
/// headline and the instance say it was cancelled, and no task is said to hold it.
#[test]
fn a_cancelled_drain_is_not_called_stuck() {
    let text = explain("scenarios/drain/drain-then-reactivate.ron");
    assert!(!text.contains("still draining"), "{text}");
    assert!(!text.contains("held by"), "{text}");
    assert!(text.contains("old: drain cancelled at "), "{text}");
    assert!(text.contains("headline: every drain was cancelled (old set ACTIVE again)"), "{text}");
    let json = explain_json("scenarios/drain/drain-then-reactivate.ron");
    assert!(json["instances"][0]["drainCancelledAtMs"].is_u64(), "{json}");
    assert_eq!(json["instances"][0]["holding"], serde_json::json!([]));
}

/// Each drained instance says what set it DRAINING and what deregistered it: a plan's request, or
/// a Spot Instance's interruption notice and EC2's termination two minutes later.
#[test]
fn what_drained_an_instance_and_what_took_it_away_are_named() {
    let json = explain_json("scenarios/rollouts/spot-mixed-group-keeps-its-on-demand-base.ron");
    let spot = &json["instances"][0];
    assert_eq!(spot["name"], "mixed-3");
    assert_eq!(spot["drainStartedBy"], "Spot Instance interruption notice");
    assert_eq!(spot["deregistered"], serde_json::json!({"atMs": 238_573, "by": "Spot Instance terminated"}));
    let text = explain("scenarios/rollouts/spot-mixed-group-keeps-its-on-demand-base.ron");
    assert!(
        text.contains("mixed-3: drained in 30s (from +00:01:58.573 to +00:02:28.573)\n  set DRAINING by Spot Instance interruption notice; INACTIVE at +00:03:58.573 (Spot Instance terminated)"),
        "{text}"
    );
    // A trunked instance goes INACTIVE when its trunk is deleted, the last step of a
    // deregistration the Spot termination began: what took it away is the termination.
    let json = explain_json("scenarios/rollouts/spot-notice-relayed-when-the-agent-reconnects.ron");
    let spot_b = json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == "spot-b").expect("drained");
    assert_eq!(spot_b["deregistered"], serde_json::json!({"atMs": 131_000, "by": "Spot Instance terminated"}));
    let json = explain_json("scenarios/drain/drain-then-reactivate.ron");
    assert_eq!(json["instances"][0]["drainStartedBy"], "UpdateContainerInstancesState");
    assert_eq!(json["instances"][0]["deregistered"], serde_json::Value::Null, "set ACTIVE again, never deregistered");
}

/// A drain that completed by its tasks stopping is not blamed for tasks a later forced
/// deregistration orphaned: w-1's drain completes at +1:02, w-1 is set ACTIVE again at +1:40 and
/// takes new tasks, which the forced deregistration at +4:20 leaves behind.
#[test]
fn tasks_orphaned_after_a_drain_completed_are_not_its_end() {
    let text = explain("scenarios/format/drain-plans.ron");
    let headline = text.lines().find(|l| l.starts_with("headline:")).expect("a headline");
    assert!(!headline.contains("w-1 went with"), "{headline}");
    let out = common::drainsim(&["run", "scenarios/format/drain-plans.ron"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let w1 = stdout.lines().find(|l| l.trim_start().starts_with("w-1 ") && l.contains("started")).expect("w-1's drain line");
    assert!(!w1.contains("never stopped"), "{w1}");
}

/// A task held by a deployment-configuration deadlock (min 100 / max 100, one task) until an
/// UpdateService lowered the floor to 0 was held by the deadlock, not by "the floor" (whose figure
/// at the end of the run, 0, holds nothing): the critical path names the deadlock and its end.
#[test]
fn a_task_held_by_a_deadlock_names_the_deadlock_not_the_floor() {
    let text = explain("scenarios/format/drain-plans.ron");
    assert!(
        text.contains("api's minimumHealthyPercent and maximumPercent left no legal stop or start (deploymentConfiguration) until +00:06:00.000, when it was told to stop"),
        "{text}"
    );
    assert!(!text.contains("api's floor held it"), "{text}");
    assert!(
        text.contains("to be told to stop: minimumHealthyPercent and maximumPercent left no legal stop or start for 1m00s (deploymentConfiguration, below)"),
        "{text}"
    );
}

/// A stall on two memberOf expressions (the task definition's and the service's) does not say the
/// closest instance lacked each: it fails at least one of them (here only the zone); what the
/// instances both allow (zone a's) lack is memory.
#[test]
fn a_stall_on_two_member_of_expressions_does_not_blame_each() {
    let dir = temp::TempDir::new("explain-member-of");
    let file = dir.join("two-member-of.ron");
    std::fs::write(&file, r#"Scenario(
    name: "s4-memberof-memory",
    seed: 4,
    clusters: ["prod"],
    instances: [
        (name: "a", count: 2, cluster: "prod", instanceType: "r5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 2048, attributes: {"tier": "gold"}),
        (name: "b", count: 2, cluster: "prod", instanceType: "r5.large", availabilityZones: ["us-east-1b"], cpu: 2048, memory: 16000, attributes: {"tier": "gold"}),
    ],
    taskDefinitions: [
        (family: "db", containerDefinitions: [(name: "d", cpu: 256, memory: 1500, exitAfterSigtermMs: 1000)],
         placementConstraints: [(type: "memberOf", expression: "attribute:tier == gold")]),
    ],
    services: [
        (cluster: "prod", serviceName: "db", taskDefinition: "db", desiredCount: 2, deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200),
         placementConstraints: [(type: "memberOf", expression: "attribute:ecs.availability-zone == us-east-1a")]),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["a-1"]))),
        (do: WaitForDrain((instances: ["a-1"], timeoutMs: 300000))),
    ],
    expectations: [],
)
"#).unwrap();
    let text = explain(file.to_str().unwrap());
    assert!(
        text.contains("the closest instance lacked what one or more of memberOf(attribute:tier == gold), memberOf(attribute:ecs.availability-zone == us-east-1a) asks (not necessarily each) (CONSTRAINT:memberOf); the closest instance its memberOf expressions allow lacked memory (RESOURCE:MEMORY)"),
        "{text}"
    );
}

/// An instance an Auto Scaling group terminated says which group began to terminate it, why and
/// how it was drained: Capacity Rebalancing on a rebalance recommendation, its termination hook's
/// handler draining it; an instance EC2 took from a group without Capacity Rebalancing has none.
#[test]
fn the_group_that_terminated_an_instance_and_why_are_named() {
    let file = "scenarios/rollouts/spot-capacity-rebalance-replaces-before-the-notice.ron";
    let json = explain_json(file);
    let by_name = |name: &str| json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == name).cloned();
    let a1 = by_name("a-1").expect("drained");
    assert_eq!(
        a1["terminatedBy"],
        serde_json::json!({
            "autoScalingGroupName": "a",
            "atMs": 360_000,
            "cause": "Capacity Rebalancing, on its rebalance recommendation",
            "path": "its termination lifecycle hook's handler drained it",
            "waitEnded": {"atMs": 494_000, "drainCompleted": true, "timedOut": null}
        })
    );
    assert_eq!(by_name("b-1").expect("drained")["terminatedBy"], serde_json::Value::Null, "EC2 took it");
    // What EC2 told each, in order.
    assert_eq!(a1["spotSignals"], serde_json::json!([{"atMs": 300_000, "signal": "rebalance recommendation"}]));
    assert_eq!(
        by_name("b-1").expect("drained")["spotSignals"],
        serde_json::json!([
            {"atMs": 300_000, "signal": "rebalance recommendation"},
            {"atMs": 900_000, "signal": "interruption notice"}
        ])
    );
    let text = explain(file);
    assert!(
        text.contains(
            "  EC2 gave it a Spot rebalance recommendation at +00:05:00.000, then an interruption notice at +00:15:00.000\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  Auto Scaling group a began to terminate it at +00:06:00.000 (Capacity Rebalancing, on its rebalance recommendation): its termination lifecycle hook's handler drained it\n"),
        "{text}"
    );
    // On the notice, the group begins at once.
    let json = explain_json("scenarios/rollouts/spot-capacity-rebalance-on-the-notice.ron");
    let c1 = json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == "c-1").expect("drained").clone();
    assert_eq!(c1["terminatedBy"]["cause"], "Capacity Rebalancing, on its interruption notice");
    assert_eq!(c1["terminatedBy"]["atMs"], 300_000);
}

/// The critical path `drainsim explain --json` gives for one drained instance of a scenario:
/// (from, to, why) of each stretch.
fn critical_path_of(file: &str, instance: &str) -> Vec<(u64, u64, String)> {
    let json = explain_json(file);
    let drained =
        json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == instance).expect("drained").clone();
    drained["criticalPath"]
        .as_array()
        .expect("a path")
        .iter()
        .map(|s| (s["fromMs"].as_u64().unwrap(), s["toMs"].as_u64().unwrap(), s["why"].as_str().unwrap().to_string()))
        .collect()
}

/// A drained instance whose agent is away: its last task's path shows the wait for the agent
/// between being told to stop and SIGTERM (docs/ecs-choices.md, tasks on an instance whose agent
/// is disconnected).
#[test]
fn the_wait_for_a_disconnected_agent_is_on_the_critical_path() {
    let path = critical_path_of("scenarios/fidelity/drain-waits-for-a-disconnected-agent.ron", "old");
    assert_eq!(path.len(), 3, "{path:?}");
    assert_eq!((path[1].0, path[1].1), (172_000, 300_000), "{path:?}");
    assert!(path[1].2.starts_with("waiting for old's agent, disconnected at +00:01:40.000"), "{path:?}");
    assert_eq!((path[2].0, path[2].1), (300_000, 330_000), "{path:?}");
}

/// A PENDING task told to stop while its agent is away waits, on the critical path, for the
/// agent to come back and stop it before it started; the stages of its stop then take no time.
#[test]
fn the_stop_of_a_pending_task_waits_for_its_agent_on_the_critical_path() {
    let path = critical_path_of("scenarios/fidelity/pending-stop-waits-for-the-agent.ron", "old");
    assert_eq!(path.len(), 1, "{path:?}");
    assert_eq!((path[0].0, path[0].1), (8_000, 90_000), "{path:?}");
    assert_eq!(
        path[0].2,
        "waiting for old's agent, disconnected at +00:00:05.000, to reconnect and stop the task before it started (PENDING)"
    );
}

/// A capacity provider with managed scaling: the explanation says how long the service waited
/// with tasks PROVISIONING, and what the group did, each change of its desired capacity with its
/// datapoint and its reason.
#[test]
fn managed_scaling_is_explained_change_by_change() {
    let text = explain("scenarios/drain/managed-scaling-scales-out-for-a-drain.ron");
    assert!(
        text.contains("web waited with tasks PROVISIONING for capacity provider workers-cp's managed scaling for 1m30s"),
        "{text}"
    );
    assert!(
        text.contains(
            "  workers-cp: group workers (MinSize 1, MaxSize 6), targetCapacity 100%: 1 scale-out(s), 1 scale-in(s); 2 instance(s) launched, 2 terminated"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    - at +00:06:00.000 desired capacity 3 -> 5: CapacityProviderReservation 166.66% (M 5 / N 3); 8 task(s) waited PROVISIONING"
        ),
        "{text}"
    );
    assert!(
        text.contains("    - at +00:23:00.000 desired capacity 5 -> 3: CapacityProviderReservation 60.00% (M 3 / N 5); 15 datapoints in a row below the target"),
        "{text}"
    );
    let plain = explain("scenarios/demo.ron");
    assert!(!plain.contains("managed scaling:"), "{plain}");
}

/// Tasks still waiting when the group is at its MaxSize are named as such, in the JSON
/// explanation too.
#[test]
fn tasks_left_waiting_at_max_size_are_explained() {
    let dir = temp::TempDir::new("explain-max-size");
    let file = dir.join("max.ron");
    let text = std::fs::read_to_string("scenarios/drain/managed-scaling-scales-out-for-a-drain.ron")
        .expect("the scenario")
        .replace("MinSize: 1, MaxSize: 6, DesiredCapacity: 3", "MinSize: 1, MaxSize: 4, DesiredCapacity: 3");
    std::fs::write(&file, text).expect("written");
    let out = common::drainsim(&["explain", file.to_str().expect("a path"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let x: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let scaling = &x["managedScaling"][0];
    assert_eq!(scaling["capacityProviderName"], "workers-cp", "{x}");
    let findings: Vec<&str> = scaling["findings"].as_array().expect("findings").iter().filter_map(|f| f.as_str()).collect();
    assert!(
        findings
            .iter()
            .any(|f| f.contains("task(s) still waited PROVISIONING") && f.ends_with("the group is at its MaxSize of 4")),
        "{findings:?}"
    );
}

/// Each instance refresh is explained: how it ended, how far it got, and Auto Scaling's reason
/// when it did not succeed (here the instances managed termination protection keeps).
#[test]
fn instance_refreshes_are_explained() {
    let failed = explain("scenarios/rollouts/instance-refresh-waits-for-managed-termination-protection.ron");
    let section = failed.split("instance refreshes:\n").nth(1).unwrap_or_else(|| panic!("{failed}"));
    assert!(section.starts_with("  asg: instance refresh "), "{failed}");
    assert!(section.contains("Failed at 0% after 1h00m00s") && section.contains("3 instance(s) still to update"), "{failed}");
    assert!(section.contains("(ScaleInProtectedInstances: Wait)"), "{failed}");
    let done = explain("scenarios/rollouts/instance-refresh-30-instances.ron");
    assert!(done.contains("ecs-asg: instance refresh ") && done.contains(" Successful at 100% after "), "{done}");
    assert!(!explain("scenarios/demo.ron").contains("instance refreshes:"));
}

/// A task still STOPPING when a forced deregistration took its instance was not killed at its
/// stop timeout: its last stretch says it was orphaned, and by what.
#[test]
fn a_task_orphaned_while_stopping_is_not_said_to_be_killed() {
    let text = explain("tests/data/explain/orphaned-while-stopping.ron");
    assert!(text.contains("still STOPPING when DeregisterContainerInstance force orphaned it"), "{text}");
}

/// Tasks adopted at time 0 on an instance drained at time 0 (every plan `drainsim import` writes
/// begins so) were on it when its drain began: the floor that held them is explained, as it is
/// for a drain that begins a millisecond later.
#[test]
fn tasks_on_an_instance_drained_at_time_0_are_explained() {
    let text = explain("tests/data/explain/adopted-tasks-drained-at-time-0.ron");
    assert!(
        text.contains("its 4 tasks on draining instances waited up to 52s (median 52s) to be told to stop: the floor keeps them"),
        "{text}"
    );
}

/// Tasks on draining instances that were never told to stop are counted, not left out: on the
/// Spot Instances drained while the capacity provider strategy keeps the service's tasks on Spot,
/// one of web's three tasks there was told to stop after 52 s and two never were, and all four of
/// batch's were held to the end of the run (the finding was once "its 1 task … waited up to 52s",
/// and batch had none).
#[test]
fn tasks_never_told_to_stop_are_counted() {
    let text = explain("scenarios/drain/capacity-provider-strategy-keeps-tasks-on-spot.ron");
    assert!(
        text.contains(
            "its 1 task on draining instances waited up to 52s (median 52s) to be told to stop, and 2 more were never told to stop (held up to 25m00s, to the end of the run): "
        ),
        "{text}"
    );
    assert!(
        text.contains("its 4 tasks on draining instances were never told to stop (held up to 25m00s, to the end of the run): "),
        "{text}"
    );
}

/// A change of a managed-scaling group's desired capacity between datapoints (here a
/// TerminateInstanceInAutoScalingGroup decrement) is named as not managed scaling's, and the
/// datapoint after it, at the target, is not said to have scaled in: explain and the text report
/// judged each datapoint by the previous one's capacity.
#[test]
fn a_desired_capacity_set_between_datapoints_is_not_credited_to_managed_scaling() {
    let file = "tests/data/explain/decrement-between-datapoints.ron";
    let text = explain(file);
    assert!(
        text.contains(
            "    - by +00:02:00.000 desired capacity 4 -> 3: set between datapoints by a step or request, not managed scaling"
        ),
        "{text}"
    );
    assert!(!text.contains("datapoints in a row below the target"), "{text}");
    let run = String::from_utf8(common::drainsim(&["run", file]).stdout).expect("UTF-8");
    assert!(
        run.contains("by +00:02:00.000  desired 4 -> 3 (set between datapoints by a step or request, not managed scaling)"),
        "{run}"
    );
    assert!(run.contains("+00:02:00.000  CapacityProviderReservation 100.00% (M 3 / N 3)  PROVISIONING 0  desired 3\n"), "{run}");
    let report: serde_json::Value = serde_json::from_slice(&common::drainsim(&["run", file, "--json"]).stdout).unwrap();
    let point = &report["managedScaling"][0]["datapoints"][0];
    assert_eq!((point["desiredCapacityBefore"].as_u64(), point["desiredCapacity"].as_u64()), (Some(3), Some(3)), "{point}");
}

/// A DAEMON's most tasks above its ceiling are its tasks on DRAINING instances (its ceiling counts
/// its ACTIVE instances; those stop last): the text report and explain say so, from one rule
/// (`outcome::daemon_tasks_above_ceiling`), so the figure does not read as a ceiling crossed.
#[test]
fn a_daemon_above_its_ceiling_names_its_tasks_on_draining_instances() {
    let file = "scenarios/query/member-of-daemon.ron";
    let text = explain(file);
    assert!(text.contains("most tasks 3 (ceiling then 1; 2 on DRAINING instances, stopped last)"), "{text}");
    let run = String::from_utf8(common::drainsim(&["run", file, "--timeline", "none"]).stdout).unwrap();
    // The text report says which ceiling too, as explain does (it once left it out when the
    // ceiling was the same at the end, and 3 beside "ceiling 1" read as a breach).
    assert!(run.contains("maxTasksObserved    3 (ceiling then 1; 2 on DRAINING instances, stopped last)"), "{run}");
    // The JSON report says so too, and which services are DAEMONs (a script comparing
    // maxTasksObserved with ceilingAtMaxTasksObserved could not tell).
    let json: serde_json::Value =
        serde_json::from_slice(&common::drainsim(&["run", file, "--json"]).stdout).expect("the report is JSON");
    let daemon = json["services"].as_array().unwrap().iter().find(|s| s["schedulingStrategy"] == "DAEMON").expect("a DAEMON");
    assert_eq!(daemon["daemonTasksAboveCeilingAtMaxTasksObserved"], 2, "{daemon}");
    assert!(json["services"].as_array().unwrap().iter().all(|s| s["schedulingStrategy"] == "DAEMON"
        || (s["schedulingStrategy"] == "REPLICA" && s.get("daemonTasksAboveCeilingAtMaxTasksObserved").is_none())));
}

/// A Spot task orphaned while still RUNNING: its service had the room to stop it, and spent it on
/// tasks on other draining instances; explain says so rather than only "not yet told to stop".
#[test]
fn an_orphaned_running_task_names_where_its_services_room_went() {
    let text = explain("scenarios/rollouts/spot-notice-during-a-refresh-drain.ron");
    assert!(
        text.contains("not yet told to stop by web; meanwhile web told 4 of its tasks on other draining instances (asg-11, asg-12, asg-14, asg-17) to stop; still RUNNING when Spot Instance terminated orphaned it"),
        "{text}"
    );
}

/// A lifecycle hook that timed out is named with its instance: which hook, when, why then
/// (HeartbeatTimeout without a heartbeat, the global timeout with heartbeats, ECS managed
/// draining's 48 hours) and whether the drain had completed; a wait the drain ended names none.
#[test]
fn a_lifecycle_hook_that_timed_out_is_named_with_its_instance() {
    let file = "scenarios/rollouts/instance-refresh-hook-timeout.ron";
    let json = explain_json(file);
    let ended = |name: &str| {
        let i = json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == name).expect(name);
        i["terminatedBy"]["waitEnded"].clone()
    };
    assert_eq!(
        ended("plain-1"),
        serde_json::json!({
            "atMs": 660_000,
            "drainCompleted": false,
            "timedOut": {
                "hook": "lifecycle hook drain",
                "atMs": 660_000,
                "why": "HeartbeatTimeout 600 s passed without a heartbeat; DefaultResult CONTINUE"
            }
        })
    );
    // Heartbeats: 100 × 60 s from its termination at 11 min.
    assert_eq!(ended("beating-1")["timedOut"]["atMs"], 660_000 + 6_000_000);
    assert!(ended("beating-1")["timedOut"]["why"]
        .as_str()
        .unwrap()
        .starts_with("heartbeats kept it waiting to the global timeout"));
    // The drain completed and the handler completed the hook: no timeout.
    assert_eq!(ended("plain-2"), serde_json::json!({"atMs": 122_000, "drainCompleted": true, "timedOut": null}));
    let text = explain(file);
    assert!(
        text.contains(
            "  lifecycle hook drain timed out at +00:11:00.000 (HeartbeatTimeout 600 s passed without a heartbeat; \
             DefaultResult CONTINUE) before its drain completed: the group terminated it then\n"
        ),
        "{text}"
    );
    assert_eq!(text.matches(" timed out at ").count(), 2, "{text}");

    // Beside ECS managed draining: the group's CONTINUE hook times out after the drain completed;
    // ABANDON ends both hooks at its timeout; after CONTINUE, ECS's hook runs its 48 hours.
    let json = explain_json("scenarios/rollouts/lifecycle-hook-default-result.ron");
    let timed_out = |name: &str| {
        let i = json["instances"].as_array().expect("instances").iter().find(|i| i["name"] == name).expect(name);
        let w = &i["terminatedBy"]["waitEnded"];
        (
            w["drainCompleted"].as_bool().unwrap(),
            w["timedOut"]["hook"].as_str().unwrap().to_string(),
            w["timedOut"]["atMs"].as_u64().unwrap(),
        )
    };
    assert_eq!(timed_out("keeps-1"), (true, "lifecycle hook audit".into(), 180_000));
    assert_eq!(timed_out("abandons-1"), (false, "lifecycle hook audit".into(), 240_000));
    assert_eq!(timed_out("continues-1"), (false, "ECS managed draining's lifecycle hook".into(), 240_000 + 48 * 3_600_000));
}

/// A drain ended by a forced deregistration while its service could place no replacement: the
/// task orphaned was never told to stop because the service stalled, and the stall is named on
/// its critical path with what the closest instance lacked.
#[test]
fn an_orphaned_task_names_the_stall_that_kept_it_from_being_told_to_stop() {
    let text = explain("scenarios/drain/forced-deregistration-of-a-drain-whose-replacements-stall.ron");
    assert!(
        text.contains(
            "not yet told to stop by web; meanwhile web stalled on RESOURCE:MEMORY from +00:01:00.000 to the end of the run: \
             the closest instance lacked memory (RESOURCE:MEMORY); still RUNNING when DeregisterContainerInstance force \
             orphaned it (the drain ended without it stopping)"
        ),
        "{text}"
    );
}

/// A drain with nothing to wait for (no task on the instance but STOPPED ones) says so, instead of
/// a bare "drained in 0s".
#[test]
fn an_empty_instance_drained_says_nothing_was_left_to_stop() {
    let text = explain("scenarios/query/filter-draining-by-attribute.ron");
    assert!(
        text.contains(
            "blue-1: drained in 0s (from +00:00:01.000 to +00:00:01.000)\n  set DRAINING by UpdateContainerInstancesState\n  \
             no task on it was left to stop: its drain was complete as it began\n"
        ),
        "{text}"
    );
}

/// A drain that took no time still says what ended its last task: a task stopped before it was
/// RUNNING as the drain began, and a RUNNING task orphaned at once by a Spot Instance that its
/// Auto Scaling group terminated on the notice (Capacity Rebalancing without a termination
/// lifecycle hook). Neither path is left empty.
#[test]
fn a_drain_of_no_time_says_what_ended_its_last_task() {
    let path = critical_path_of("scenarios/drain/example06-pending-task-stopped.ron", "old");
    assert_eq!(path.len(), 1, "{path:?}");
    assert_eq!((path[0].0, path[0].1), (120_000, 120_000), "{path:?}");
    assert!(
        path[0].2.starts_with("told to stop as the drain began, before it was RUNNING, and STOPPED in the same instant"),
        "{path:?}"
    );

    let dir = temp::TempDir::new("explain-at-once");
    let original = std::fs::read_to_string("scenarios/rollouts/spot-capacity-rebalance-on-the-notice.ron").expect("scenario");
    let hook = "         LifecycleHooks: [(LifecycleHookName: \"drain\", LifecycleTransition: \"autoscaling:EC2_INSTANCE_TERMINATING\",\n                           HeartbeatTimeout: 900, DefaultResult: \"CONTINUE\", drainOnTermination: true)],\n";
    assert!(original.contains(hook), "the scenario's hook");
    let steps = original.find("    steps: [").expect("steps");
    let text = format!(
        "{}    steps: [(do: RunUntilQuiet)],\n)\n",
        original[..steps].replacen(hook, "", 1).replacen(
            "spot: (spotInstanceDraining: false), CapacityRebalance",
            "spot: (spotInstanceDraining: true), CapacityRebalance",
            1
        )
    );
    let file = dir.join("at-once.ron");
    std::fs::write(&file, text).expect("written");
    let explained = explain(file.to_str().expect("UTF-8 path"));
    assert!(
        explained.contains("began to terminate it at +00:05:00.000 (Capacity Rebalancing, on its interruption notice): terminated at once, with whatever ran on it\n  the last task on it was web-c:task/"),
        "{explained}"
    );
    let path = critical_path_of(file.to_str().unwrap(), "c-1");
    assert_eq!(path.len(), 1, "{path:?}");
    assert_eq!((path[0].0, path[0].1), (300_000, 300_000), "{path:?}");
    assert_eq!(
        path[0].2,
        "told to stop as c-1 was taken away; still STOPPING when DeregisterContainerInstance force orphaned it in the same instant (the drain ended without it stopping)",
        "{path:?}"
    );
    // With a floor of 100 %, no task of c-1 was told to stop before the group took it away.
    let floor_held = file.with_file_name("floor-held.ron");
    let text =
        std::fs::read_to_string(&file).expect("written").replacen("minimumHealthyPercent: 75", "minimumHealthyPercent: 100", 1);
    std::fs::write(&floor_held, text).expect("written");
    let path = critical_path_of(floor_held.to_str().unwrap(), "c-1");
    assert_eq!(path.len(), 1, "{path:?}");
    assert_eq!((path[0].0, path[0].1), (300_000, 300_000), "{path:?}");
    assert!(
        path[0].2.starts_with("not yet told to stop by web-c; still RUNNING when DeregisterContainerInstance force orphaned it"),
        "{path:?}"
    );
}

/// A container killed at its stop timeout is said to be assumed not to exit on SIGTERM only when
/// the scenario gives no `exitAfterSigtermMs` (drainsim's conservative default); one whose given
/// exit comes after its stop timeout is said to exit too late.
#[test]
fn a_kill_at_the_stop_timeout_says_whether_the_exit_was_assumed() {
    let file = "scenarios/drain/rollout-paced-by-stop-timeout.ron";
    assert!(explain(file).contains("a container is assumed not to exit on SIGTERM (it gives no exitAfterSigtermMs), so it is killed at its stopTimeout of 2m00s"));
    let dir = temp::TempDir::new("explain-exit-given");
    let text = std::fs::read_to_string(file).expect("scenario");
    let given = text.replacen("stopTimeout: 120)", "stopTimeout: 120, exitAfterSigtermMs: 300000)", 1);
    assert_ne!(given, text, "the container's exit given");
    let edited = dir.join("exit-given.ron");
    std::fs::write(&edited, given).expect("written");
    let explained = explain(edited.to_str().expect("UTF-8 path"));
    assert!(
        explained.contains("STOPPING: a container does not exit on SIGTERM before its stop timeout (its exitAfterSigtermMs), so it is killed at its stopTimeout of 2m00s"),
        "{explained}"
    );
    assert!(!explained.contains("assumed"), "{explained}");
}

/// The headline names the services the run left short of their desired count, with the stall
/// that holds each: a floor below the desired count shows no dip for them.
#[test]
fn the_headline_names_services_left_short_of_desired() {
    let out = common::drainsim(&["run", "scenarios/drain/stall-no-capacity.ron", "--timeline", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let headline = text.lines().find(|l| l.starts_with("headline: ")).expect("a headline");
    assert!(headline.ends_with("; short of desired at the end: web (2 of 4 running, stalled on RESOURCE:MEMORY)"), "{headline}");
    let demo = common::drainsim(&["run", "scenarios/demo.ron", "--timeline", "none"]);
    assert!(!String::from_utf8_lossy(&demo.stdout).contains("short of desired"), "a service at its desired count is not named");
}

/// A service deleted during a drain: its tasks on the draining instance waited for DeleteService,
/// not for healthy replacements, and `explain` says so.
#[test]
fn tasks_a_deletion_stopped_are_said_to_have_waited_for_it() {
    let dir = temp::TempDir::new("explain-deleted");
    let file = dir.join("deleted.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "deleted-during-drain",
    seed: 9,
    clusters: ["prod"],
    instances: [
        (name: "old", cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680),
        (name: "new", count: 2, cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a", "us-east-1b"], cpu: 4096, memory: 7680, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 256, memory: 512, exitAfterSigtermMs: 2000)])],
    services: [
        (cluster: "prod", serviceName: "tmp", taskDefinition: "web", desiredCount: 3,
         deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200)),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (atMs: 150000, do: DeleteService((cluster: "prod", service: "tmp", force: true))),
        (do: WaitForDrain((instances: ["old"], timeoutMs: 600000))),
    ],
)
"#,
    )
    .expect("written");
    let explained = explain(file.to_str().expect("UTF-8 path"));
    assert!(
        explained.contains("to be told to stop: the floor kept them until DeleteService stopped them (the service was deleted)"),
        "{explained}"
    );
    assert!(!explained.contains("until replacements are healthy"), "{explained}");
}

/// Instances whose explanation is the same but for their name and their tasks are written once,
/// the others named after it: twenty instances drained together under eight services take five
/// paths (the JSON still explains each of them).
#[test]
fn instances_explained_alike_are_written_once() {
    let file = "tests/data/explain/twenty-instances-eight-services.ron";
    let text = explain(file);
    assert_eq!(text.matches(": drained in ").count(), 5, "{text}");
    assert!(
        text.contains("  and 8 more alike (the same path, with their own tasks): old-2, old-4, old-6, old-8, old-13, old-15, old-17, old-19\n"),
        "{text}"
    );
    let alike: usize =
        text.lines().filter_map(|l| l.strip_prefix("  and ")?.split_once(" more alike")?.0.parse::<usize>().ok()).sum();
    assert_eq!(alike + 5, 20, "every instance is written or named: {text}");
    assert_eq!(explain_json(file)["instances"].as_array().map(Vec::len), Some(20));
}

/// explain warns on standard error of the findings no expectation mentions, as `run` does (its
/// docs said so; it printed the setup's warnings only), and its explanation is unchanged.
#[test]
fn findings_no_expectation_mentions_are_warned_of() {
    let file = "tests/data/explain/stall-then-forced-deregistration-unmentioned.ron";
    let out = common::drainsim(&["explain", file]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "warning: service web stalled once, first at +00:01:00.000 (RESOURCE:MEMORY), and no expectation mentions it"
        ),
        "{err}"
    );
    assert!(err.contains("(forcedDeregistration), and no expectation mentions it"), "{err}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), explain(file), "the explanation is the same");
}

/// The stretches of a critical path, as the text writes them, add up to the drain's time as it
/// writes it: each is rounded at its ends from the drain's start, not on its own (54.53 s and
/// 2.69 s read 55s and 3s of a drain of 57s in five of eight seeds of a jittered demo).
#[test]
fn written_stretches_add_up_to_the_written_drain_time() {
    fn seconds(text: &str) -> f64 {
        let (mut total, mut number) = (0.0, String::new());
        for c in text.chars() {
            match c {
                'h' => total += number.parse::<f64>().unwrap() * 3600.0,
                'm' => total += number.parse::<f64>().unwrap() * 60.0,
                's' => total += number.parse::<f64>().unwrap(),
                _ => {
                    number.push(c);
                    continue;
                }
            }
            number.clear();
        }
        total
    }
    for seed in 1..=8 {
        let seed = seed.to_string();
        let out = common::drainsim(&["explain", "tests/data/explain/demo-with-jitter.ron", "--seed", &seed]);
        let text = String::from_utf8(out.stdout).unwrap();
        let drained = text.split(": drained in ").nth(1).and_then(|r| r.split_whitespace().next()).expect("a drain");
        let stretches: f64 = text
            .lines()
            .filter(|l| l.starts_with("    ") && !l.trim_start().starts_with('-'))
            .filter_map(|l| l.split_whitespace().next())
            .map(seconds)
            .sum();
        assert!((stretches - seconds(drained)).abs() < 1e-9, "seed {seed}: {stretches} s of stretches in {drained}: {text}");
    }
}

/// A drain ended by its instance going away with a task on it names that task as the last on
/// it, orphaned, not as "the last task to stop" (it never stopped), and the JSON says so: the
/// refresh's hook timed out with a standalone task running on `plain-1`.
#[test]
fn an_orphaned_last_task_is_not_said_to_have_stopped() {
    let file = "scenarios/rollouts/instance-refresh-hook-timeout.ron";
    let text = explain(file);
    assert!(text.contains("  the last task on it was standalone:task/"), "{text}");
    assert!(text.contains(", orphaned with the instance, not stopped:\n"), "{text}");
    // Its headline does not say it drained: the instance went away with the task on it.
    assert!(
        text.contains(
            "plain-1: drain ended undrained after 10m00s (from +00:01:00.000 to +00:11:00.000): the instance went away with \
             tasks not yet STOPPED\n"
        ),
        "{text}"
    );
    assert!(!text.contains("plain-1: drained in"), "{text}");
    assert!(text.contains("plain-2: drained in 2s"), "{text}");
    let json = explain_json(file);
    let plain = json["instances"].as_array().unwrap().iter().find(|i| i["name"] == "plain-1").expect("plain-1");
    assert_eq!(plain["lastTaskOrphaned"], true);
    let other = json["instances"].as_array().unwrap().iter().find(|i| i["name"] == "plain-2").expect("plain-2");
    assert!(other.get("lastTaskOrphaned").is_none(), "absent when false: {other}");
}

/// An instance that went away with tasks on it and no drain is named, with what ECS orphaned by
/// service (it was left out: the explanation spoke of drained instances only). Here 20 instances
/// are deregistered with `force` while each runs two `web` tasks and `old-3` also a standalone one:
/// one block for `old-3`, one for the other 19 alike, and the headline counts the 41 tasks lost.
#[test]
fn instances_gone_without_a_drain_are_named_with_their_orphans() {
    let dir = temp::TempDir::new("explain-gone");
    let file = dir.join("gone.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "gone-undrained",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 20, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192),
        (name: "new", count: 20, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 512, memory: 1024)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 40,
                placementStrategy: [(type: "spread", field: "instanceId")])],
    runningTasks: [(instance: "old-3", taskDefinition: "web")],
    steps: [(atMs: 120000, do: DeregisterInstances((cluster: "prod", instances: ["old"], force: true)))],
)"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let text = explain(file);
    let section = text.split("gone without a drain:\n").nth(1).unwrap_or_else(|| panic!("no section:\n{text}"));
    assert!(
        section.contains(
            "old-3: INACTIVE at +00:02:00.000 (DeregisterContainerInstance), never set DRAINING: 3 tasks orphaned \
             with it, never told to stop (2 of web, 1 standalone)\n"
        ),
        "{text}"
    );
    assert!(section.contains("and 18 more alike (the same, with their own counts): "), "{text}");
    assert!(
        text.contains("; gone without a drain: old-1, old-2, old-3, old-4, old-5 and 15 more, with 41 tasks orphaned"),
        "{text}"
    );
    let json = explain_json(file);
    let gone = json["goneUndrained"].as_array().expect("goneUndrained");
    assert_eq!(gone.len(), 20, "{json}");
    assert_eq!(gone[2]["name"], "old-3");
    assert_eq!(gone[2]["orphanedTasks"], 3);
    assert_eq!(
        gone[2]["orphanedByService"],
        serde_json::json!([{"serviceName": "web", "tasks": 2}, {"serviceName": null, "tasks": 1}])
    );
    assert_eq!(json["instances"], serde_json::json!([]), "nothing was drained");
}

/// What set an instance DRAINING names who sent the request when an Auto Scaling group's
/// termination did: it read `set DRAINING by UpdateContainerInstancesState`, as if a plan had
/// called the API, and only the next line said ECS managed draining had.
#[test]
fn a_drain_a_groups_termination_began_names_its_sender() {
    let managed = explain("scenarios/rollouts/managed-draining-hook-timeout.ron");
    assert!(
        managed.contains(
            "set DRAINING by UpdateContainerInstancesState from ECS managed draining, for the Auto Scaling group's termination"
        ),
        "{managed}"
    );
    let hook = explain("scenarios/rollouts/instance-refresh-hook-timeout.ron");
    assert!(
        hook.contains(
            "set DRAINING by UpdateContainerInstancesState from the Auto Scaling group's termination lifecycle hook handler"
        ),
        "{hook}"
    );
    // A plan's own drain names the request alone.
    assert!(explain("scenarios/demo.ron").contains("set DRAINING by UpdateContainerInstancesState;"));
}

/// `--instance` explains the instances named only (the services and the headline stay whole): a
/// 300-instance plan explained every one. An instance that was neither drained nor gone says so;
/// a name the run does not have is refused, with the closest (before the run when it can be).
#[test]
fn explain_takes_the_instances_to_explain() {
    let file = "scenarios/rollouts/spot-interruption-min100-max200.ron";
    let text = explain_with(&["explain", file, "--instance", "spot-b"]);
    assert!(text.contains("gone without a drain:\nspot-b: "), "{text}");
    assert!(!text.contains("\nspot-a: "), "{text}");
    assert!(text.contains("\nheadline: ") && text.contains("\nservices:\n"), "{text}");
    let json = common::drainsim(&["explain", file, "--instance", "spot-a", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["instances"].as_array().map(Vec::len), Some(1), "{json}");
    assert!(json.get("goneUndrained").is_none(), "{json}");
    let quiet = explain_with(&["explain", "scenarios/demo.ron", "--instance", "new-1"]);
    assert!(quiet.contains("new-1: neither drained nor gone with tasks in this run: nothing to explain"), "{quiet}");
    // The JSON says so too (it gave `instances: []` alone).
    let json = common::drainsim(&["explain", "scenarios/demo.ron", "--instance", "new-1", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(json["notDrained"], serde_json::json!(["new-1"]), "{json}");
    let unknown = common::drainsim(&["explain", file, "--instance", "spot-c"]);
    assert_eq!(unknown.status.code(), Some(2));
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("error: --instance spot-c: the scenario has no instance of that name (did you mean 'spot-a'?)"),
        "{err}"
    );
    // An Auto Scaling group names its launches as the run goes: a name is refused after the run.
    let later =
        common::drainsim(&["explain", "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron", "--instance", "workers-9"]);
    assert_eq!(later.status.code(), Some(2));
    let err = String::from_utf8_lossy(&later.stderr);
    assert!(
        err.contains("error: --instance workers-9: the run has no instance of that name (did you mean 'workers-1'?)"),
        "{err}"
    );
    // Without Auto Scaling groups every name the run can have is known before it runs: a typo is
    // refused at once, before the run (its output and warnings never start).
    let typo = common::drainsim(&["explain", "scenarios/demo.ron", "--instance", "new-1", "--instance", "nwe-2"]);
    assert_eq!(typo.status.code(), Some(2));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert_eq!(err, "error: --instance nwe-2: the scenario has no instance of that name (did you mean 'new-2'?)\n");
    assert!(typo.stdout.is_empty());
    // An instance a step registers is one the run can have.
    let registered = explain_with(&["explain", "scenarios/instances/register_container_instance.ron", "--instance", "extra"]);
    assert!(registered.contains("extra: neither drained nor gone"), "{registered}");
}

/// Tasks PROVISIONING while an instance refresh acts on their capacity provider's group waited for
/// the refresh's launches: managed scaling leaves the group alone then, so the wait is not its.
#[test]
fn a_provisioning_wait_during_an_instance_refresh_names_the_refresh() {
    let text = explain("scenarios/rollouts/instance-refresh-holds-managed-scaling-off.ron");
    assert!(
        text.contains("web waited with tasks PROVISIONING for capacity provider cp for 1m30s from +00:05:00.000 to +00:06:30.000, while Auto Scaling group nodes's instance refresh (from +00:05:00.000) held managed scaling off (only the refresh's own launches added instances): the closest instance"),
        "{text}"
    );
    assert!(!text.contains("cp's managed scaling"), "{text}");
}

fn explain_with(args: &[&str]) -> String {
    let out = common::drainsim(args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// A drain whose `maximumPercent` leaves little room above `desiredCount` is paced by the ceiling:
/// replacements start only as old tasks stop, batch by batch. `explain` names the ceiling beside
/// the floor, for the instance and the service (a helper's 40-instance drain at maximumPercent 110
/// was explained by the floor alone, which pointed at the wrong setting). With maximumPercent 200
/// every replacement starts at once and the ceiling paces nothing: not named.
#[test]
fn a_drain_paced_by_the_ceiling_names_it() {
    let text = explain("scenarios/drain/seed-min50-max100.ron");
    let paced = "and its ceiling paced the replacements: 2 of them started only as tasks stopped made room under it (4 tasks not STOPPED: maximumPercent 100 of 4 desired)";
    assert_eq!(text.matches(paced).count(), 2, "the instance's path and the service's finding: {text}");
    let roomy = explain("scenarios/drain/seed-min50-max200.ron");
    assert!(!roomy.contains("ceiling paced"), "{roomy}");
}

/// A drain ended by a forced deregistration names every task that went with the instance, not
/// only the last: the service's other tasks there were never told to stop (a deadlock of its
/// bounds held them), and its finding counts them (it said nothing of them, and a deadlock open
/// to the end of the run read "for a while"). A drain held by a stall open to the end of the run
/// names the stall, not "its bounds".
#[test]
fn tasks_orphaned_with_a_drained_instance_are_named() {
    let file = "scenarios/drain/example13-deregister-force.ron";
    let text = explain(file);
    assert!(text.contains("  also orphaned with it, not STOPPED: 3 web tasks, never told to stop\n"), "{text}");
    assert!(
        text.contains("its 4 tasks on draining instances were orphaned with their instances before being told to stop: minimumHealthyPercent and maximumPercent left no legal stop or start for 10m00s"),
        "{text}"
    );
    let json = explain_json(file);
    let old = json["instances"].as_array().unwrap().iter().find(|i| i["name"] == "old").expect("old");
    assert_eq!(old["alsoOrphaned"], serde_json::json!([{"serviceName": "web", "tasks": 3, "neverToldToStop": 3}]));

    let stalled = explain("scenarios/drain/stall-no-capacity.ron");
    assert!(
        stalled.contains(
            "web could not replace it: stalled on RESOURCE:MEMORY from +00:02:02.000 to the end of the run (see service web)"
        ),
        "{stalled}"
    );
    assert!(!stalled.contains("within its bounds"), "{stalled}");
}

/// What `explain` says of orphaned tasks and of the ceiling holds only where it is true (a
/// reviewer's cases): tasks orphaned after their drain was cancelled are no drain's; a DAEMON's
/// task orphaned during a drain is explained as a daemon's, not by a floor; and tasks a scale-up
/// placed at the ceiling (it rose) are not counted as paced by it — only the one a stop made room
/// for.
#[test]
fn orphans_and_the_ceiling_are_named_only_where_true() {
    let cancelled = explain("tests/data/explain/orphaned-after-a-cancelled-drain.ron");
    assert!(!cancelled.contains("orphaned with their instances before being told"), "{cancelled}");
    assert!(!cancelled.contains("also orphaned with it"), "{cancelled}");

    let daemon = explain("tests/data/explain/daemon-orphaned-during-a-drain.ron");
    assert!(
        daemon.contains("its 1 daemon task on draining instances was orphaned with its instance before being told to stop: a daemon task stops only after every other task on its instance"),
        "{daemon}"
    );
    let daemon_line = daemon.lines().find(|l| l.contains("daemon task on draining instances")).expect("the daemon's finding");
    assert!(!daemon_line.contains("floor"), "{daemon_line}");

    let scaled = explain("tests/data/explain/scale-up-during-a-drain-at-the-ceiling.ron");
    assert!(scaled.contains("and its ceiling paced the replacements: 1 of them started only as tasks stopped"), "{scaled}");
    assert!(!scaled.contains("3 of them"), "{scaled}");
}

/// An instance a group terminates because protection no longer keeps it above the desired
/// capacity a step set is not managed scaling's scale-in, though managed scaling's datapoint let
/// the group act: explain names the catching up, and managed scaling's record counts no
/// termination (`mtp-2`, whose task stopped, so that managed termination protection let it go).
#[test]
fn a_scale_in_protection_lapse_is_not_managed_scalings_scale_in() {
    let file = "scenarios/rollouts/protection-removed-resumes-the-scale-in.ron";
    let text = explain(file);
    assert!(
        text.contains(
            "Auto Scaling group mtp began to terminate it at +00:06:00.000 (a scale-in to its desired capacity, once \
             scale-in protection no longer kept the instance)"
        ),
        "{text}"
    );
    assert!(!text.contains("managed scaling's scale-in"), "{text}");
    assert!(text.contains("0 scale-out(s), 0 scale-in(s); 0 instance(s) launched, 0 terminated"), "{text}");
}

/// A drained instance an Auto Scaling group terminated only after its drain completed (managed
/// scaling's scale-in took the plan's drained instances away) says so: its deregistration was
/// explained as the plan's `DeregisterContainerInstance`, no group named (a helper's finding).
#[test]
fn a_termination_after_the_drain_completed_is_named() {
    let file = "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron";
    let text = explain(file);
    assert!(
        text.contains(
            "workers-1: drained in 2m52s (from +00:05:30.000 to +00:08:22.000)\n  set DRAINING by \
             UpdateContainerInstancesState; INACTIVE at +00:23:00.000 (DeregisterContainerInstance)\n  after its drain \
             completed, Auto Scaling group workers began to terminate it at +00:23:00.000 (managed scaling's scale-in), \
             and took the drained instance away\n"
        ),
        "{text}"
    );
    let json = explain_json(file);
    let w1 = json["instances"].as_array().unwrap().iter().find(|i| i["name"] == "workers-1").expect("workers-1");
    assert_eq!(w1["terminatedBy"]["atMs"], 1_380_000);
    assert_eq!(w1["drainCompletedAtMs"], 502_000);
}

/// The agent's stop timeout is said where it came from: 30 s is the default "unless set", and a
/// timeout an instance's agent configuration set is said to be set (a helper read "5s … 30s unless
/// set" as if 30 s applied).
#[test]
fn the_agent_stop_timeout_says_where_it_came_from() {
    let text = explain("scenarios/fidelity/agent-stop-timeout.ron");
    assert!(
        text.contains(
            "killed at the agent's stop timeout of 30s (it gives no stopTimeout; the agent's ECS_CONTAINER_STOP_TIMEOUT, \
             30s unless set)"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "killed at the agent's stop timeout of 5s (it gives no stopTimeout; the agent's ECS_CONTAINER_STOP_TIMEOUT, set \
             to 5s on this instance)"
        ),
        "{text}"
    );
    assert!(
        text.contains("(an agent older than 1.26.0 applies its ECS_CONTAINER_STOP_TIMEOUT, set to 5s on this instance, to every"),
        "{text}"
    );
}

/// `explain` takes `run`'s `--faults` and `--account-default`, so the run a sweep's reproduce
/// command names (`drainsim run FILE --seed N --faults swarm`) is the one it explains: its
/// completion is the run's, and its header names the faults (a scripting helper could not
/// explain a failing swarm seed: the flags were refused, and without them another run was
/// explained).
#[test]
fn explain_explains_the_run_of_the_same_flags() {
    let file = "scenarios/drain/seed-min50-max200.ron";
    let completed = |args: &[&str]| -> serde_json::Value {
        let out = common::drainsim(&[&["run", file, "--json"], args].concat());
        let run: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        run["allDrainsCompletedAtMs"].clone()
    };
    let explained = |args: &[&str]| -> serde_json::Value {
        let out = common::drainsim(&[&["explain", file, "--json"], args].concat());
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let x: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        x["instances"][0]["drainCompletedAtMs"].clone()
    };
    let mut differed = false;
    for seed in 0..12 {
        let seed = seed.to_string();
        let swarm = ["--seed", seed.as_str(), "--faults", "swarm"];
        let plain = ["--seed", seed.as_str()];
        assert_eq!(explained(&swarm), completed(&swarm), "seed {seed}");
        assert_eq!(explained(&plain), completed(&plain), "seed {seed}");
        differed |= completed(&swarm) != completed(&plain);
    }
    assert!(differed, "some seed's faults change the drain");
    let out =
        common::drainsim(&["explain", file, "--seed", "3", "--faults", "swarm", "--account-default", "awsvpcTrunking=enabled"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "drainsim explain: scenario 'seed-min50-max200', seed 3, account default awsvpcTrunking=enabled, faults swarm\n"
        ),
        "{text}"
    );
}

/// A task the floor held until something other than healthy replacements let it go says what
/// did: an UpdateService that lowered the floor, or DeleteService (a helper read "told to stop
/// once enough replacements were healthy" of tasks whose replacements had stalled for minutes).
#[test]
fn a_drain_released_by_an_update_or_a_deletion_says_so() {
    let lowered = explain("scenarios/drain/floor-lowered-by-update-service-mid-drain.ron");
    assert!(
        lowered.contains(
            "web's floor held it until +00:10:00.000, when an UpdateService lowered the floor from 4 healthy tasks to 2 \
             (desiredCount 4 -> 2, minimumHealthyPercent 100 -> 100)"
        ),
        "{lowered}"
    );
    assert!(!lowered.contains("once enough replacements were healthy"), "{lowered}");
    // The service's finding agrees: two of its four waits ended with the update.
    assert!(lowered.contains("; 2 tasks until an UpdateService lowered it"), "{lowered}");
    let deleted = explain("scenarios/drain/service-deleted-mid-drain.ron");
    assert!(
        deleted.contains("api's floor held it until +00:06:40.000, when DeleteService stopped it (the service was deleted): no replacement released it"),
        "{deleted}"
    );
}

/// A service whose drained tasks were told to stop at once but whose replacements waited for room
/// under `maximumPercent` 100 says so (the floor had nothing to hold): the tasks told to stop
/// count toward the ceiling, DEACTIVATING for the load balancer's deregistration delay, until the
/// Spot Instance went (a helper planning a Spot reclaim found no word of it).
#[test]
fn replacements_held_by_the_ceiling_are_named() {
    let text = explain("scenarios/rollouts/spot-interruption-max100-replacements-wait-for-the-ceiling.ron");
    assert!(
        text.contains(
            "its 2 tasks on draining instances were told to stop at once, but 2 of its tasks placed meanwhile waited for room under its ceiling \
             (8 tasks not STOPPED: maximumPercent 100 of 8 desired), the first until +00:12:00.000, 2m00s after the first was told: \
             a task told to stop counts toward the ceiling until it is STOPPED (DEACTIVATING first, for its load balancer's deregistration delay of 5m00s)"
        ),
        "{text}"
    );
    // A drain at maximumPercent 200 starts its replacements at once: nothing to say.
    let roomy = explain("scenarios/demo.ron");
    assert!(!roomy.contains("waited for room under its ceiling"), "{roomy}");
}

/// The ceiling a paced replacement waited under is the one in force when it was placed, not the
/// one when the held task was told to stop: an UpdateService raising `maximumPercent` 100 → 200
/// between the two read "8 tasks not STOPPED: maximumPercent 200" of starts the ceiling of 4 had
/// paced.
#[test]
fn a_paced_start_quotes_the_ceiling_it_waited_under() {
    let dir = temp::TempDir::new("explain-ceiling-raised");
    let file = dir.join("raised.ron");
    let original = std::fs::read_to_string("scenarios/drain/seed-min50-max100.ron").unwrap();
    let (steps, expectations) =
        (original.find("    steps: [").expect("steps"), original.find("    expectations: [").expect("expectations"));
    let text = format!(
        "{}    steps: [
        (atMs: 120000, do: DrainInstances((cluster: \"prod\", instances: [\"old\"]))),
        (atMs: 200000, do: UpdateService((cluster: \"prod\", service: \"web\", deploymentConfiguration: (maximumPercent: 200)))),
        (do: WaitForDrain((instances: [\"old\"], timeoutMs: 600000))),
    ],
    expectations: [],
)
",
        &original[..steps]
    )
    .replace("exitAfterSigtermMs: 2000", "exitAfterSigtermMs: 60000");
    assert!(steps < expectations);
    std::fs::write(&file, text).unwrap();
    let text = explain(file.to_str().unwrap());
    let paced = "and its ceiling paced the replacements: 2 of them started only as tasks stopped made room under it (4 tasks not STOPPED: maximumPercent 100 of 4 desired)";
    assert_eq!(text.matches(paced).count(), 2, "the task's wait and the service's finding: {text}");
    assert!(!text.contains("8 tasks not STOPPED"), "{text}");
}

/// The replacements the ceiling held are counted at most one a drained task: starts in the window
/// that replaced tasks a StopTask stopped between two drains are paced alike, and read "8 of its
/// tasks" of 5 drained ones (a reviewer's finding).
#[test]
fn replacements_held_by_the_ceiling_are_at_most_the_drained_tasks() {
    let dir = temp::TempDir::new("explain-ceiling-between-drains");
    let file = dir.join("between.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "between",
    seed: 5010,
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a"], cpu: 4096, memory: 7680),
        (name: "b", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1b"], cpu: 4096, memory: 7680),
        (name: "c", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1c"], cpu: 4096, memory: 7680),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 512, memory: 1024, exitAfterSigtermMs: 2000)])],
    services: [
        (cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 6, availabilityZoneRebalancing: "DISABLED",
         deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 100)),
    ],
    steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
        (atMs: 1800000, do: StopTasksOn((cluster: "prod", instance: "c", standaloneOnly: false, reason: "ops"))),
        (atMs: 3600000, do: DrainInstances((cluster: "prod", instances: ["b"]))),
        (do: RunUntilQuiet),
    ],
    expectations: [],
)
"#,
    )
    .unwrap();
    let text = explain(file.to_str().unwrap());
    assert!(
        text.contains("its 5 tasks on draining instances were told to stop at once, but 5 of its tasks placed meanwhile waited for room under its ceiling"),
        "{text}"
    );
}

/// The text explains at most 50 groups of alike drains, those worth a look first, and counts the
/// rest: 60 instances, each running a task of its own service (so no two drains share a path),
/// all drained; the slowest (s60's, a stop timeout of 100 s) is among those written. A drain of
/// 20,000 instances of 1,000 services wrote 1,087 paragraphs. `--json` explains every one.
#[test]
fn explain_writes_fifty_groups_of_drains_and_counts_the_rest() {
    let dir = temp::TempDir::new("explain-many-groups");
    let instances: Vec<String> = (1..=60)
        .map(|k| format!(r#"(name: "i{k}", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 4096, attributes: {{"slot": "{k}"}})"#))
        .collect();
    let services: Vec<String> = (1..=60)
        .map(|k| {
            let td = if k == 60 { "slow" } else { "app" };
            format!(
                r#"(cluster: "prod", serviceName: "s{k}", taskDefinition: "{td}", desiredCount: 1,
                    placementConstraints: [(type: "memberOf", expression: "attribute:slot == {k} or attribute:spare exists")],
                    deploymentConfiguration: (minimumHealthyPercent: 0, maximumPercent: 100))"#
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "many-groups", clusters: ["prod"],
    instances: [{}, (name: "spare", count: 2, cluster: "prod", instanceType: "c5.4xlarge", cpu: 16384, memory: 32768, attributes: {{"spare": "yes"}}, registerAtMs: 60000)],
    taskDefinitions: [
        (family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 256, exitAfterSigtermMs: 1000)]),
        (family: "slow", containerDefinitions: [(name: "app", cpu: 128, memory: 256, stopTimeout: 100)]),
    ],
    services: [{}],
    steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", filter: "attribute:slot exists")))],
)"#,
        instances.join(", "),
        services.join(", ")
    );
    let file = dir.join("many.ron");
    std::fs::write(&file, text).unwrap();
    let out = explain(file.to_str().unwrap());
    let written = out.lines().filter(|l| l.contains(": drained in ")).count();
    assert_eq!(written, 50, "{out}");
    assert!(out.contains("i60: drained in"), "the slowest is written: {out}");
    assert!(
        out.contains("… and 10 drained instances in 10 more groups, left out: 50 groups are written, those worth a look first"),
        "{out}"
    );
    let json = common::drainsim(&["explain", file.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(v["instances"].as_array().map(Vec::len), Some(60));
}

/// A group's own hook that timed out with CONTINUE while ECS managed draining still held the
/// instance is named, with when and why: the wait the user set became managed draining's.
#[test]
fn a_continue_hook_that_handed_the_wait_to_managed_draining_is_named() {
    let file = "scenarios/rollouts/lifecycle-hook-default-result.ron";
    let json = explain_json(file);
    let waits: Vec<serde_json::Value> = json["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .filter(|i| i["terminatedBy"]["waitEnded"]["handedOver"].is_object())
        .map(|i| i["terminatedBy"]["waitEnded"].clone())
        .collect();
    assert!(!waits.is_empty(), "the continues group's instance: {json}");
    for w in &waits {
        assert_eq!(w["handedOver"]["hook"], "lifecycle hook audit");
        assert!(w["handedOver"]["why"].as_str().unwrap().contains("DefaultResult CONTINUE"), "{w}");
        assert_eq!(w["timedOut"]["hook"], "ECS managed draining's lifecycle hook");
        assert!(w["handedOver"]["atMs"].as_u64() < w["timedOut"]["atMs"].as_u64());
    }
    let text = explain(file);
    assert!(text.contains("DefaultResult CONTINUE): the wait went on under ECS managed draining's lifecycle hook"), "{text}");
}
