//! `drainsim run --trace FILE` writes JSON Lines as docs/trace.md documents them.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use serde_json::Value;

#[test]
fn the_trace_is_json_lines_with_the_documented_fields() {
    let dir = TempDir::new("jsonl");
    let path = dir.join("trace.jsonl");
    let out = common::drainsim(&[
        "run",
        "scenarios/fidelity/load-balancer-target-events.ron",
        "--trace",
        path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("every line is one JSON object")).collect();
    assert!(lines.len() > 30, "{} lines", lines.len());
    let mut last = 0;
    for l in &lines {
        let at = l["atMs"].as_u64().expect("atMs is a number");
        assert!(at >= last, "records are in time order");
        last = at;
        for field in ["subjectKind", "subject", "arn", "kind", "change", "reason"] {
            assert!(l[field].is_string(), "{field} in {l}");
        }
        assert!(l["arn"].as_str().unwrap().starts_with("arn:aws:"), "{l}");
    }
    let find =
        |kind: &str, to: &str| lines.iter().find(|l| l["kind"] == kind && l["to"] == to).unwrap_or_else(|| panic!("{kind} {to}"));
    let draining = find("instanceStatus", "DRAINING");
    assert_eq!(
        (draining["subject"].as_str(), draining["from"].as_str(), draining["field"].as_str()),
        (Some("a"), Some("ACTIVE"), Some("status"))
    );
    assert_eq!(draining["change"], "status ACTIVE -> DRAINING");
    let deactivating = find("taskStatus", "DEACTIVATING");
    assert_eq!(deactivating["from"], "RUNNING");
    assert_eq!(deactivating["subjectKind"], "task");
    // A task's records name the instance it was placed on, the same on every record of the task;
    // no other record has the field. The drained task was on `a`, its replacement elsewhere.
    let mut placed_on = std::collections::BTreeMap::new();
    for l in &lines {
        match (l["subjectKind"].as_str(), l["containerInstance"].as_str()) {
            (Some("task"), Some(on)) => {
                if l["kind"] == "taskStatus" && l.get("from").is_none() {
                    assert_eq!(l["change"], format!("placed on {on}, lastStatus PROVISIONING"), "{l}");
                }
                assert_eq!(*placed_on.entry(l["subject"].as_str().unwrap().to_string()).or_insert(on), on, "{l}");
            }
            (Some("task"), None) => panic!("a task's record without containerInstance: {l}"),
            (_, on) => assert_eq!(on, None, "{l}"),
        }
    }
    assert_eq!(deactivating["containerInstance"], "a");
    assert!(placed_on.values().any(|&on| on != "a"), "{placed_on:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "serviceEvent"
                && l["to"].as_str().unwrap().contains("has begun draining connections on 1 tasks."))
    );
    // The trace does not change the run.
    let plain: Value = serde_json::from_slice(
        &common::drainsim(&["run", "scenarios/fidelity/load-balancer-target-events.ron", "--json"]).stdout,
    )
    .unwrap();
    assert_eq!(plain["traceDigest"], report["traceDigest"]);
}

/// An UpdateService request that gives fields besides `desiredCount` leaves a `serviceUpdated`
/// record naming them as the API spells them, and the timeline says so.
/// `--trace -` writes the trace to standard output in place of the report: the lines a file gets.
#[test]
fn the_trace_to_standard_output_is_the_file_s_lines() {
    let dir = TempDir::new("jsonl-stdout");
    let path = dir.join("trace.jsonl");
    let to_file = common::drainsim(&["run", "scenarios/demo.ron", "--trace", path.to_str().unwrap()]);
    assert_eq!(to_file.status.code(), Some(0), "{}", String::from_utf8_lossy(&to_file.stderr));
    let out = common::drainsim(&["run", "scenarios/demo.ron", "--trace", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), std::fs::read_to_string(&path).unwrap());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("headline: every drain complete"), "{err}");
}

#[test]
fn an_update_of_placement_is_a_service_updated_record() {
    let dir = TempDir::new("jsonl-update");
    let path = dir.join("trace.jsonl");
    let file = "scenarios/drain/update-placement-before-drain.ron";
    let out = common::drainsim(&["run", file, "--trace", path.to_str().unwrap(), "--timeline", "full"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&path).unwrap();
    let updates: Vec<Value> =
        text.lines().map(|l| serde_json::from_str::<Value>(l).expect("JSON")).filter(|l| l["kind"] == "serviceUpdated").collect();
    assert!(!updates.is_empty(), "the scenario updates web's placementStrategy");
    for u in &updates {
        assert_eq!((u["subject"].as_str(), u["reason"].as_str()), (Some("web"), Some("UpdateService")), "{u}");
    }
    assert_eq!(updates[0]["to"], "placementStrategy", "{}", updates[0]);
    let out = common::drainsim(&["run", file, "--timeline", "full"]);
    let timeline = String::from_utf8_lossy(&out.stdout);
    assert!(timeline.contains("web                          updated placementStrategy"), "{timeline}");
}
