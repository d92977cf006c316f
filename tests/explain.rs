//! `drainsim explain`: why each drain took as long as it did. The demo's explanation is a snapshot
//! (tests/snapshots/); the others check the findings the issue names: a replacement blocked by a
//! host port and CPU at once names both, a rollout names the stopTimeout that sets its pace, and a
//! memberOf stall names the expression.

mod common;

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
fn a_rollout_names_the_stop_timeout_that_sets_its_pace() {
    let text = explain("scenarios/drain/rollout-paced-by-stop-timeout.ron");
    insta::assert_snapshot!("explain_rollout", text);
    assert_eq!(
        text.matches("a container does not exit on SIGTERM, so it is killed at its stopTimeout of 2m00s").count(),
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
            "pinned stalled on CONSTRAINT:memberOf for 28m00s from +00:02:00.000 to +00:30:00.000: the closest instance lacked what memberOf(attribute:ecs.availability-zone == us-east-1a) asks (CONSTRAINT:memberOf)"
        ),
        "{text}"
    );
}
