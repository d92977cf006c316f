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
