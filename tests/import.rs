//! `drainsim import`: a captured cluster (tests/data/aws/three-zones, written in the shapes of the
//! AWS CLI's JSON) becomes a scenario that starts exactly as the cluster was; a drain plan added on
//! the command line runs; malformed input is an error naming the file and the JSON path, never a
//! panic.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use std::collections::BTreeMap;
use std::path::PathBuf;

use drainsim_scenario::format::{FaultsSpec, PinnedFaultKind, PinnedFaultSpec};
use drainsim_scenario::import::{import, read_inputs, DrainSelection, ImportOptions};
use drainsim_scenario::runner::{setup_engine, RunOptions};
use proptest::prelude::*;
use serde_json::Value;

const FIXTURE: &str = "tests/data/aws/three-zones";

fn fixture_inputs() -> Vec<(String, String)> {
    read_inputs(&[PathBuf::from(FIXTURE)]).expect("the fixture reads")
}

fn fixture_json(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{FIXTURE}/{file}")).expect("fixture file")).expect("fixture JSON")
}

/// `(status, runningTasksCount, CPU, MEMORY, PORTS)` of a DescribeContainerInstances entry.
fn instance_state(ci: &Value) -> (String, u64, i64, i64, Vec<String>) {
    let resource = |name: &str| ci["remainingResources"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    let mut ports: Vec<String> =
        resource("PORTS")["stringSetValue"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    ports.sort();
    (
        ci["status"].as_str().unwrap().to_string(),
        ci["runningTasksCount"].as_u64().unwrap(),
        resource("CPU")["integerValue"].as_i64().unwrap(),
        resource("MEMORY")["integerValue"].as_i64().unwrap(),
        ports,
    )
}

/// The command line reads one file at a time (`import_paths`), so a big capture is never all in
/// memory; it writes what importing the files read first writes, summary included.
#[test]
fn importing_file_by_file_writes_what_importing_read_files_does() {
    let opts =
        ImportOptions { drain: DrainSelection::parse("attribute:ecs.availability-zone == eu-west-1a"), ..Default::default() };
    let read_first = import(&fixture_inputs(), &opts).expect("imports");
    let file_by_file = drainsim_scenario::import::import_paths(&[PathBuf::from(FIXTURE)], &opts).expect("imports");
    assert_eq!(drainsim_scenario::write::to_ron(&file_by_file.scenario), drainsim_scenario::write::to_ron(&read_first.scenario));
    assert_eq!(file_by_file.summary.to_string(), read_first.summary.to_string());
    assert!(!read_first.scenario.steps.is_empty(), "the filter selects instances");
    // A file that cannot be read is named, whichever way the files come.
    let missing = PathBuf::from(FIXTURE).join("no-such-file.json");
    let err = drainsim_scenario::import::import_paths(&[missing], &opts).expect_err("refused").to_string();
    assert!(err.contains("no-such-file.json"), "{err}");
}

#[test]
fn an_imported_cluster_starts_as_it_was_captured() {
    let imported = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let loaded = drainsim_scenario::load_str("cluster.ron", &text).expect("the written scenario loads");
    drainsim_scenario::runner::check_setup(&loaded).expect("check accepts it");
    let engine = setup_engine(&loaded, &RunOptions::default()).expect("sets up");

    let captured = fixture_json("describe-container-instances.json");
    let mut want = BTreeMap::new();
    for ci in captured["containerInstances"].as_array().unwrap() {
        want.insert(ci["containerInstanceArn"].as_str().unwrap().to_string(), (ci["ec2InstanceId"].clone(), instance_state(ci)));
    }
    let mut got = BTreeMap::new();
    for i in engine.instances() {
        let described = serde_json::to_value(i.describe()).unwrap();
        got.insert(i.arn(), (Value::String(i.ec2_instance_id()), instance_state(&described)));
    }
    assert_eq!(got, want, "same instances (ARNs and EC2 IDs), statuses, task counts and remaining resources");
    // Trunks as captured: the two c5.large instances with ecs.awsvpc-trunk-id, and no other.
    let trunked: Vec<String> = engine.instances().filter(|i| i.trunked()).map(|i| i.name().to_string()).collect();
    assert_eq!(trunked, ["i-0a1c2e3f405a6b704", "i-0a1c2e3f405a6b705"]);
    // Services as described, with their tasks where they ran and none started by the import.
    for s in fixture_json("describe-services.json")["services"].as_array().unwrap() {
        let name = s["serviceName"].as_str().unwrap();
        let view = engine.service_named(name).expect("service imported");
        assert_eq!(u64::from(view.running_count()), s["runningCount"].as_u64().unwrap(), "{name}");
        assert_eq!(view.arn(), s["serviceArn"].as_str().unwrap(), "{name}");
        // availabilityZoneRebalancing is carried as captured (absent: drainsim's DISABLED).
        let captured = s["availabilityZoneRebalancing"].as_str();
        let request = imported.scenario.services.iter().find(|r| r.service_name == name).expect("in the scenario");
        assert_eq!(request.availability_zone_rebalancing.as_deref(), captured, "{name}");
        assert_eq!(view.az_rebalancing_enabled(), captured == Some("ENABLED"), "{name}");
    }
    assert!(
        fixture_json("describe-services.json")["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["availabilityZoneRebalancing"].is_string()),
        "the fixture captures the field for at least one service"
    );
    // Every task runs the task definition revision it ran in ECS (web:12, api:7, …), not a
    // renumbered one.
    let mut captured: Vec<String> = fixture_json("describe-tasks.json")["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskDefinitionArn"].as_str().unwrap().to_string())
        .collect();
    captured.sort();
    let mut running: Vec<String> = engine.instances().flat_map(|i| i.tasks().map(|t| t.task_definition_arn())).collect();
    running.sort();
    assert_eq!(running, captured);
    assert!(imported.summary.notes.iter().all(|n| !n.contains("in the scenario (revisions")), "{:?}", imported.summary.notes);
    assert_eq!(imported.summary.counts, [6, 4, 3, 15]);
    // Fields drainsim does not model are listed, not refused.
    let skipped: Vec<&str> = imported.summary.skipped_fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(skipped.contains(&"describe-task-definition $.taskDefinition.containerDefinitions[].image"), "{skipped:?}");
    assert!(skipped.contains(&"describe-tasks $.tasks[] (containers, but for their networkBindings' hostPort)"), "{skipped:?}");
    // Every target of the captured target group is one of web's tasks, by instance and host port.
    assert!(!noted(&imported, "match no imported task"), "{:?}", imported.summary.notes);
    assert!(imported.scenario.running_tasks.iter().all(|r| r.healthy), "every captured target is healthy");
}

/// The running tasks an import writes for a service, `(instance, count, healthy)`, sorted.
fn running_of(imported: &drainsim_scenario::import::Imported, service: &str) -> Vec<(String, u32, bool)> {
    let mut rows: Vec<(String, u32, bool)> = imported
        .scenario
        .running_tasks
        .iter()
        .filter(|r| r.service.as_deref() == Some(service))
        .map(|r| (r.instance.clone(), r.count, r.healthy))
        .collect();
    rows.sort();
    rows
}

/// A target the load balancer found unhealthy is its task's health: the task (matched by its
/// instance and the host port its container bound) is imported UNHEALTHY, which its service
/// replaces as ECS does, and a note names it; `initial` and `draining` targets are said; a target
/// no imported task has is counted; a state ELB does not have is refused at its path.
#[test]
fn target_health_is_read_into_the_tasks_it_names() {
    let set_target = |n: usize, state: &'static str, reason: Option<&'static str>| {
        move |v: &mut Value| {
            let health = &mut v["TargetHealthDescriptions"][n]["TargetHealth"];
            health["State"] = serde_json::json!(state);
            if let Some(r) = reason {
                health["Reason"] = serde_json::json!(r);
            }
        }
    };
    let file = "describe-target-health-web-tg.json";
    // Target 2 is i-0a1c2e3f405a6b702:32770, the first web task on that instance.
    let inputs = edited(&fixture_inputs(), file, set_target(2, "unhealthy", Some("Target.ResponseCodeMismatch")));
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert_eq!(
        running_of(&imported, "web"),
        vec![
            ("i-0a1c2e3f405a6b701".to_string(), 2, true),
            ("i-0a1c2e3f405a6b702".to_string(), 1, false),
            ("i-0a1c2e3f405a6b702".to_string(), 1, true),
            ("i-0a1c2e3f405a6b703".to_string(), 1, true),
            ("i-0a1c2e3f405a6b706".to_string(), 1, true),
        ]
    );
    assert!(
        noted(&imported, "imported UNHEALTHY (healthy: false; its service replaces it): its target i-0a1c2e3f405a6b702:32770 was unhealthy, Target.ResponseCodeMismatch"),
        "{:?}",
        imported.summary.notes
    );
    // The scenario runs, and web replaces the task as ECS would.
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let loaded = drainsim_scenario::load_str("cluster.ron", &text).expect("loads");
    let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
    let web = outcome.engine.services().find(|s| s.name() == "web").expect("web");
    assert_eq!(web.unhealthy_tasks(), 1, "the task its target group found unhealthy is replaced");

    // unhealthy.draining is unhealthy too; initial and draining are imported healthy, with a note.
    let imported = import(&edited(&fixture_inputs(), file, set_target(0, "unhealthy.draining", None)), &ImportOptions::default())
        .expect("imports");
    assert_eq!(imported.scenario.running_tasks.iter().filter(|r| !r.healthy).count(), 1);
    for state in ["initial", "draining"] {
        let imported =
            import(&edited(&fixture_inputs(), file, set_target(5, state, None)), &ImportOptions::default()).expect("imports");
        assert!(imported.scenario.running_tasks.iter().all(|r| r.healthy), "{state}");
        assert!(noted(&imported, &format!("imported healthy, but its target i-0a1c2e3f405a6b706:32773 was {state}")), "{state}");
    }
    // A target on a port no task bound, and an address no task ENI has: counted, not read.
    let inputs = edited(&fixture_inputs(), file, |v| {
        v["TargetHealthDescriptions"][0]["Target"]["Port"] = serde_json::json!(40000);
        v["TargetHealthDescriptions"][1]["Target"] = serde_json::json!({"Id": "10.9.9.9", "Port": 8080});
        v["TargetHealthDescriptions"][1]["TargetHealth"]["State"] = serde_json::json!("unhealthy");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, &format!("{file}: 2 target(s) match no imported task")), "{:?}", imported.summary.notes);
    assert!(imported.scenario.running_tasks.iter().all(|r| r.healthy));
    // An ip target names a task by its ENI's address; api has no load balancer, so ECS does not
    // read the target's health, and neither does the import (a note says so).
    let inputs = edited(&fixture_inputs(), file, |v| {
        v["TargetHealthDescriptions"][0]["Target"] = serde_json::json!({"Id": "10.0.1.7", "Port": 8080});
        v["TargetHealthDescriptions"][0]["TargetHealth"]["State"] = serde_json::json!("unhealthy");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, "target 10.0.1.7:8080 (unhealthy"), "{:?}", imported.summary.notes);
    assert!(noted(&imported, "which no service with a load balancer runs"), "{:?}", imported.summary.notes);
    assert!(imported.scenario.running_tasks.iter().all(|r| r.healthy));
    // A state ELB does not have is refused where it was read.
    let refused = refused_with(&fixture_inputs(), file, &|v: &mut Value| {
        v["TargetHealthDescriptions"][3]["TargetHealth"]["State"] = serde_json::json!("sick");
    });
    assert!(refused.contains("$.TargetHealthDescriptions[3].TargetHealth.State"), "{refused}");
    assert!(refused.contains("'sick' is not a target health state (initial, healthy, unhealthy"), "{refused}");
}

/// A big cluster's capture is many files (the AWS CLI describes 100 tasks per call): more than
/// 1,000 of them import as the same capture in a few files does. Past `MAX_FILES` the import is
/// refused before any file is read, naming the directory.
/// A capture written by Windows PowerShell: UTF-8 with a byte order mark imports as without one;
/// UTF-16 (what its `>` writes) is refused naming the file and what to do.
#[test]
fn a_byte_order_mark_is_read_past_and_utf16_is_refused_with_a_way_out() {
    use drainsim_scenario::import::import_paths;
    let opts = ImportOptions::default();
    let dir = TempDir::new("import-bom");
    for (name, text) in fixture_inputs() {
        let file = std::path::Path::new(&name).file_name().expect("a file").to_str().unwrap().to_string();
        std::fs::write(dir.join(&file), [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()).unwrap();
    }
    let with_marks = import_paths(&[dir.to_path_buf()], &opts).expect("imports").scenario;
    let mut plain = import(&fixture_inputs(), &opts).expect("imports").scenario;
    plain.description.clone_from(&with_marks.description);
    assert_eq!(drainsim_scenario::write::to_ron(&with_marks), drainsim_scenario::write::to_ron(&plain));

    let utf16 = dir.join("describe-clusters.json");
    let text = std::fs::read_to_string(format!("{FIXTURE}/describe-clusters.json")).unwrap();
    let units: Vec<u8> = [0xFFFE_u16.swap_bytes()].into_iter().chain(text.encode_utf16()).flat_map(u16::to_le_bytes).collect();
    std::fs::write(&utf16, units).unwrap();
    let err = import_paths(&[dir.to_path_buf()], &opts).expect_err("refused").to_string();
    assert!(err.contains("describe-clusters.json") && err.contains("UTF-16") && err.contains("Out-File -Encoding utf8"), "{err}");

    // Latin-1 text (a byte that is not UTF-8) is refused at the line and column an editor shows,
    // for the file as a whole (no JSON path: the text was never parsed).
    let latin1: Vec<u8> = text.replacen("\"clusters\"", "\"clust\u{e9}rs\"", 1).chars().map(|c| c as u8).collect();
    let line = text.lines().position(|l| l.contains("\"clusters\"")).expect("the key") + 1;
    let column = text.lines().nth(line - 1).unwrap().find("\"clusters\"").unwrap() + 7;
    std::fs::write(&utf16, latin1).unwrap();
    let err = import_paths(&[dir.to_path_buf()], &opts).expect_err("refused").to_string();
    let expected = format!("describe-clusters.json: not UTF-8: byte 0xE9 at line {line}, column {column}");
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
}

#[test]
fn a_capture_of_many_files_imports_and_too_many_are_refused() {
    use drainsim_scenario::import::{import_paths, MAX_FILES};
    let dir = TempDir::new("import-many");
    for (name, text) in fixture_inputs() {
        let file = std::path::Path::new(&name).file_name().expect("a file").to_owned();
        if file == "describe-tasks.json" {
            // One file per task, as a capture that describes the tasks one call at a time.
            let tasks: Value = serde_json::from_str(&text).unwrap();
            for (n, task) in tasks["tasks"].as_array().unwrap().iter().enumerate() {
                let one = serde_json::json!({ "tasks": [task], "failures": [] });
                std::fs::write(dir.join(format!("describe-tasks-{n:02}.json")), one.to_string()).unwrap();
            }
        } else {
            std::fs::write(dir.join(file.to_str().unwrap()), &text).unwrap();
        }
    }
    // The list-* outputs are read and not needed: a thousand more of them.
    let list_tasks = std::fs::read_to_string(format!("{FIXTURE}/list-tasks.json")).unwrap();
    for n in 0..1_000 {
        std::fs::write(dir.join(format!("list-tasks-{n:04}.json")), &list_tasks).unwrap();
    }
    let files = std::fs::read_dir(dir.to_path_buf()).unwrap().count();
    assert!(files > 1_000, "{files} files");
    let opts = ImportOptions::default();
    let many = import_paths(&[dir.to_path_buf()], &opts).expect("imports").scenario;
    let mut few = import(&fixture_inputs(), &opts).expect("imports").scenario;
    assert!(many.description.contains(&format!("from {files} AWS CLI output files")), "{}", many.description);
    few.description.clone_from(&many.description);
    assert_eq!(drainsim_scenario::write::to_ron(&many), drainsim_scenario::write::to_ron(&few));

    let too_many = TempDir::new("import-too-many");
    for n in 0..=MAX_FILES {
        std::fs::File::create(too_many.join(format!("{n:06}.json"))).unwrap();
    }
    let err = import_paths(&[too_many.to_path_buf()], &opts).expect_err("refused").to_string();
    assert!(err.contains(&format!("more than {MAX_FILES} input files")), "{err}");
}

#[test]
fn an_imported_cluster_with_a_drain_plan_runs_to_the_end() {
    let dir = TempDir::new("import");
    let out = dir.join("cluster.ron");
    let import = common::command()
        .args(["import", FIXTURE, "--drain", "i-0a1c2e3f405a6b701,i-0a1c2e3f405a6b702", "--wave", "1", "-o"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(import.status.code(), Some(0), "{}", String::from_utf8_lossy(&import.stderr));
    let summary = String::from_utf8_lossy(&import.stderr);
    assert!(summary.contains("imported 6 container instances, 4 task definitions, 3 services and 15 running tasks"), "{summary}");
    let run = common::drainsim(&["run", out.to_str().expect("a UTF-8 temp path"), "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let by_name = |n: &str| report["containerInstances"].as_array().unwrap().iter().find(|i| i["name"] == n).unwrap().clone();
    for drained in ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702"] {
        let i = by_name(drained);
        assert_eq!(i["status"], "INACTIVE", "{drained} drained and deregistered");
        assert!(i["drainCompletedAtMs"].as_u64().is_some());
    }
    // The instance captured DRAINING stays held by its standalone batch task, as ECS would.
    let held = by_name("i-0a1c2e3f405a6b706");
    assert_eq!((held["status"].as_str(), held["drainCompletedAtMs"].as_u64()), (Some("DRAINING"), None));
    let web = report["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "web").unwrap();
    assert_eq!(web["minHealthyObserved"].as_u64(), Some(6), "min 100 %: web never dips");
    assert_eq!(web["deploymentConfiguration"]["minimumHealthyPercent"].as_u64(), Some(100));
}

/// The error importing `inputs` with the JSON of the one whose name ends with `file` changed by
/// `edit` (the import must refuse it).
fn refused_with(inputs: &[(String, String)], file: &str, edit: &dyn Fn(&mut Value)) -> String {
    let mut changed = inputs.to_vec();
    let entry = changed.iter_mut().find(|(n, _)| n.ends_with(file)).expect("fixture file");
    let mut v: Value = serde_json::from_str(&entry.1).unwrap();
    edit(&mut v);
    entry.1 = v.to_string();
    import(&changed, &ImportOptions::default()).expect_err("refused").to_string()
}

#[test]
fn bad_input_names_the_file_and_the_json_path() {
    let inputs = fixture_inputs();
    let with = |file: &str, edit: &dyn Fn(&mut Value)| refused_with(&inputs, file, edit);
    let e = with("describe-container-instances.json", &|v| {
        v["containerInstances"][2]["registeredResources"] = serde_json::json!([]);
    });
    assert!(e.contains("describe-container-instances.json: $.containerInstances[2].registeredResources: no CPU resource"), "{e}");
    let e = with("describe-services.json", &|v| v["services"][1]["desiredCount"] = Value::String("two".into()));
    assert!(e.contains("$.services[1].desiredCount: expected an integer, found the string \"two\""), "{e}");
    // A number that is not written as an integer is shown as written; a whole one past an i64 is
    // out of range.
    let e = with("describe-services.json", &|v| v["services"][1]["desiredCount"] = serde_json::json!(-0.0));
    assert!(e.contains("$.services[1].desiredCount: expected an integer, found -0.0, which is not written as one"), "{e}");
    let e = with("describe-services.json", &|v| v["services"][1]["desiredCount"] = serde_json::json!(u64::MAX));
    assert!(e.contains("$.services[1].desiredCount: 18446744073709551615 is out of range"), "{e}");
    let e = with("describe-services.json", &|v| v["services"][1]["serviceName"] = serde_json::json!(true));
    assert!(e.contains("$.services[1].serviceName: expected a string, found true"), "{e}");
    let e = with("describe-tasks.json", &|v| {
        v["tasks"][0]["taskDefinitionArn"] = Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/gone:4".into())
    });
    assert!(e.contains("$.tasks[0].taskDefinitionArn: task definition gone:4 was not imported"), "{e}");
    // A service its tasks name (`group: service:NAME`) that the capture never describes (a
    // describe-services batch not run) is refused at the first such task, with the command that
    // captures it: its tasks would otherwise run as standalone tasks that nothing replaces.
    let e = with("describe-services.json", &|v| {
        v["services"].as_array_mut().unwrap().retain(|s| s["serviceName"] != "web");
    });
    assert!(
        e.contains("describe-tasks.json: $.tasks[")
            && e.contains("].group: service web was not described: add the output of aws ecs describe-services --cluster prod --services web"),
        "{e}"
    );
    // A service describe-services could not describe (deleted: a failure, MISSING) is in the
    // capture: its tasks are standalone, noted.
    let mut deleted = inputs.clone();
    let entry = deleted.iter_mut().find(|(n, _)| n.ends_with("describe-services.json")).unwrap();
    let mut v: Value = serde_json::from_str(&entry.1).unwrap();
    v["services"].as_array_mut().unwrap().retain(|s| s["serviceName"] != "web");
    v["failures"] = serde_json::json!([{"arn": "arn:aws:ecs:eu-west-1:111122223333:service/prod/web", "reason": "MISSING"}]);
    entry.1 = v.to_string();
    let imported = import(&deleted, &ImportOptions::default()).expect("a deleted service's tasks import");
    assert!(noted(&imported, "of service web imported as standalone tasks (group service:web)"), "{:?}", imported.summary.notes);
    let e = with("task-definition-web.json", &|v| {
        v["taskDefinition"].as_object_mut().unwrap().remove("family");
    });
    assert!(e.contains("task-definition-web.json: $.taskDefinition.family: missing"), "{e}");
    let e = with("describe-container-instances.json", &|v| {
        v["containerInstances"][0]["registeredAt"] = Value::String("yesterday".into())
    });
    assert!(e.contains("$.containerInstances[0].registeredAt: 'yesterday' is not an ISO 8601 timestamp"), "{e}");
    // A container health check's timeout has ECS's range (2 to 60 s), as RegisterTaskDefinition
    // checks it.
    let e = with("task-definition-api.json", &|v| {
        v["taskDefinition"]["containerDefinitions"][0]["healthCheck"]["timeout"] = serde_json::json!(90)
    });
    assert!(e.contains("$.taskDefinition.containerDefinitions[0].healthCheck.timeout: 90 is out of range (2 to 60)"), "{e}");
    // A control character drainsim would print to the terminal is refused where it is read (the
    // instance IDs and an array's strings alike).
    let e = with("describe-container-instances.json", &|v| {
        let id = v["containerInstances"][1]["ec2InstanceId"].as_str().unwrap().to_string();
        v["containerInstances"][1]["ec2InstanceId"] = Value::String(format!("{id}\u{1b}[2J"));
    });
    assert!(
        e.contains("$.containerInstances[1].ec2InstanceId: \"") && e.contains("\\u{1b}[2J\" holds the control character U+001B"),
        "{e}"
    );
    assert!(!e.contains('\u{1b}'), "the error prints the character escaped: {e}");
    let e = with("describe-clusters.json", &|v| {
        v["clusters"][0]["capacityProviders"] = serde_json::json!(["ok", "bell\u{7}"]);
    });
    assert!(e.contains("$.clusters[0].capacityProviders[1]: \"bell\\u{7}\" holds the control character U+0007"), "{e}");

    let mut truncated = inputs.clone();
    let entry = truncated.iter_mut().find(|(n, _)| n.ends_with("describe-tasks.json")).unwrap();
    entry.1.truncate(entry.1.len() / 2);
    let e = import(&truncated, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("describe-tasks.json: $: not valid JSON"), "{e}");
    // An empty file is said to be empty, with no JSON path (a helper got "EOF while parsing").
    let entry = truncated.iter_mut().find(|(n, _)| n.ends_with("describe-tasks.json")).unwrap();
    entry.1 = " \n".into();
    let e = import(&truncated, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("describe-tasks.json: the file is empty: import reads the JSON an AWS CLI command printed"), "{e}");
    assert!(!e.contains('$') && !e.contains("EOF"), "{e}");

    // drainsim's own outputs and scenarios put among the captured files are said to be what they
    // are, not read as the AWS outputs whose keys they share.
    let report = r#"{"reportVersion": 3, "scenario": "x", "containerInstances": [], "services": []}"#;
    for (name, text, said) in [
        ("report.json", report, "a drainsim report (drainsim run --json), not an AWS CLI output"),
        ("sweep.json", r#"{"sweepVersion": 3, "scenario": "x"}"#, "a drainsim report (of compare, sweep or explain --json)"),
        ("plan.json", r#"{"name": "x", "clusters": ["prod"], "instances": []}"#, "a drainsim scenario, not an AWS CLI output"),
        ("plan.ron", "// a plan\nScenario (\n    name: \"x\",\n)\n", "a drainsim scenario (RON), not an AWS CLI capture"),
    ] {
        let mut with = inputs.clone();
        with.push((name.into(), text.into()));
        let e = import(&with, &ImportOptions::default()).expect_err("refused").to_string();
        assert!(e.contains(&format!("{name}: $: {said}")), "{e}");
    }
    // Attributes of a target group, with no target group described: the capture misses
    // describe-target-groups (the file's name is not at fault).
    let no_groups: Vec<(String, String)> =
        inputs.iter().filter(|(n, _)| !n.ends_with("describe-target-groups.json")).cloned().collect();
    let e = import(&no_groups, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("no target group is described, so these attributes belong to none: add the output of aws elbv2 describe-target-groups"), "{e}");
    // The list-* outputs are recognised and not needed.
    let mut listed = inputs.clone();
    for (name, text) in [
        (
            "list-task-definitions.json",
            r#"{"taskDefinitionArns": ["arn:aws:ecs:eu-west-1:111122223333:task-definition/web:12"]}"#,
        ),
        ("list-task-definition-families.json", r#"{"families": ["web"]}"#),
        ("list-clusters.json", r#"{"clusterArns": ["arn:aws:ecs:eu-west-1:111122223333:cluster/prod"]}"#),
    ] {
        listed.push((name.into(), text.into()));
    }
    import(&listed, &ImportOptions::default()).expect("list outputs are accepted");

    let mut unknown = inputs.clone();
    unknown.push(("notes.json".into(), "{\"hello\": 1}".into()));
    let e = import(&unknown, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("notes.json: $: not an AWS CLI output drainsim reads"), "{e}");

    let e = import(&inputs, &ImportOptions { drain: DrainSelection::Ids(vec!["i-0nothere".into()]), ..Default::default() })
        .expect_err("refused")
        .to_string();
    assert!(e.contains("--drain: i-0nothere is not an imported"), "{e}");
    // A typo of an imported instance's ID is answered with the closest one.
    let e = import(&inputs, &ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b7O1"), ..Default::default() })
        .expect_err("refused")
        .to_string();
    assert!(
        e.contains(
            "i-0a1c2e3f405a6b7O1 is not an imported ACTIVE or DRAINING container instance (did you mean 'i-0a1c2e3f405a6b701'?)"
        ),
        "{e}"
    );
    // A container instance, by its ID or ARN as ListContainerInstances prints them, is drained as
    // its EC2 instance; named with it, it is named twice.
    let arn = "arn:aws:ecs:eu-west-1:111122223333:container-instance/prod/5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c02";
    let by_container = DrainSelection::parse(&format!("5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c01,{arn}"));
    assert!(matches!(by_container, DrainSelection::Ids(_)), "{by_container:?}");
    let imported = import(&inputs, &ImportOptions { drain: by_container, ..Default::default() }).expect("imports");
    assert_eq!(drained_instances(&imported), ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702"]);
    let e = import(
        &inputs,
        &ImportOptions { drain: DrainSelection::parse(&format!("i-0a1c2e3f405a6b702,{arn}")), ..Default::default() },
    )
    .expect_err("refused")
    .to_string();
    assert!(e.contains(&format!("--drain: {arn} (i-0a1c2e3f405a6b702) is named twice")), "{e}");
    let refused = |drain: &str| {
        import(&inputs, &ImportOptions { drain: DrainSelection::parse(drain), ..Default::default() })
            .expect_err("refused")
            .to_string()
    };
    let e = refused("00000000000000000000000000000000");
    assert!(e.contains("00000000000000000000000000000000 is not the container instance of an imported"), "{e}");
    // A container instance ID one digit off is answered with the closest.
    let e = refused("5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c0f");
    assert!(e.contains("(did you mean '5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c0"), "{e}");
    // The ARN of another Region's, account's or cluster's container instance is none of this
    // cluster's, whatever ID ends it (a helper's finding: it drained the instance of that ID).
    for (other, why) in [
        (
            "arn:aws:ecs:eu-west-9:111122223333:container-instance/prod/5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c02",
            "Region eu-west-9, not eu-west-1",
        ),
        (
            "arn:aws:ecs:eu-west-1:999999999999:container-instance/prod/5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c02",
            "account 999999999999, not 111122223333",
        ),
        (
            "arn:aws:ecs:eu-west-1:111122223333:container-instance/staging/5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c02",
            "cluster staging, not prod",
        ),
    ] {
        let e = refused(other);
        assert!(e.contains(&format!("--drain: {other} is the ARN of a container instance of another cluster ({why})")), "{e}");
    }

    let twice = DrainSelection::parse("i-0a1c2e3f405a6b701,i-0a1c2e3f405a6b702,i-0a1c2e3f405a6b701");
    let e = import(&inputs, &ImportOptions { drain: twice, ..Default::default() }).expect_err("refused").to_string();
    assert!(e.contains("--drain: i-0a1c2e3f405a6b701 is named twice"), "{e}");
}

/// A JSON value with one change somewhere: a field removed, or a value replaced by another type.
fn mutate(v: &mut Value, choice: &mut impl Iterator<Item = u32>) {
    let pick = choice.next().unwrap_or(0);
    match v {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = &keys[pick as usize % keys.len()];
            match choice.next().unwrap_or(0) % 4 {
                0 => {
                    map.remove(key);
                }
                1 => {
                    map.insert(key.clone(), Value::Null);
                }
                2 => {
                    map.insert(key.clone(), serde_json::json!([1, "x", {"y": -1}]));
                }
                _ => mutate(map.get_mut(key).unwrap(), choice),
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let n = pick as usize % items.len();
            if choice.next().unwrap_or(0) % 3 == 0 {
                items[n] = Value::String("garbage".into());
            } else {
                mutate(&mut items[n], choice);
            }
        }
        Value::Number(_) => *v = serde_json::json!(-9_999_999_999_i64),
        Value::String(s) => s.push_str("\u{0}:"),
        _ => *v = Value::Bool(true),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Mutated fixtures never panic: the import either succeeds (and what it writes sets up, or is
    /// refused by the loader with an error) or fails with a file and a JSON path.
    #[test]
    fn mutated_fixtures_never_panic(file in 0usize..14, path in proptest::collection::vec(0u32..1000, 1..12)) {
        let mut inputs = fixture_inputs();
        let n = file % inputs.len();
        let mut v: Value = serde_json::from_str(&inputs[n].1).unwrap();
        mutate(&mut v, &mut path.into_iter());
        inputs[n].1 = v.to_string();
        match import(&inputs, &ImportOptions::default()) {
            Ok(imported) => {
                let text = drainsim_scenario::write::to_ron(&imported.scenario);
                if let Ok(loaded) = drainsim_scenario::load_str("cluster.ron", &text) {
                    let _ = drainsim_scenario::runner::check_setup(&loaded);
                }
            }
            Err(e) => {
                prop_assert!(!e.file.is_empty() && (e.path.starts_with('$') || e.file.starts_with("--") && e.path.is_empty()), "{e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// The same for the Auto Scaling outputs (and the capacity providers and clusters beside
    /// them), with a refresh planned: never a panic, and what is written sets up.
    #[test]
    fn mutated_auto_scaling_captures_never_panic(file in 0usize..5, path in proptest::collection::vec(0u32..1000, 1..12)) {
        let mut inputs = asg_inputs();
        let overlay: Vec<usize> =
            (0..inputs.len()).filter(|k| inputs[*k].0.starts_with("tests/data/aws/asg")).collect();
        let n = overlay[file % overlay.len()];
        let mut v: Value = serde_json::from_str(&inputs[n].1).unwrap();
        mutate(&mut v, &mut path.into_iter());
        inputs[n].1 = v.to_string();
        let opts = ImportOptions { instance_refresh: Some("prod-ecs-m5".into()), ..Default::default() };
        match import(&inputs, &opts) {
            Ok(imported) => {
                let text = drainsim_scenario::write::to_ron(&imported.scenario);
                let loaded = drainsim_scenario::load_str("cluster.ron", &text);
                prop_assert!(loaded.is_ok(), "{:?}\n{text}", loaded.err());
                prop_assert!(drainsim_scenario::runner::check_setup(&loaded.unwrap()).is_ok());
            }
            Err(e) => {
                prop_assert!(!e.file.is_empty() && (e.path.starts_with('$') || e.file.starts_with("--") && e.path.is_empty()), "{e}");
            }
        }
    }
}

/// `--drain` takes a cluster query too: evaluated on the imported cluster, it selects the old-AMI
/// instances (the DRAINING one included), and each wave's steps name the instances it selected
/// (the description keeps the query).
#[test]
fn a_drain_plan_selected_by_query() {
    let query = "attribute:ecs.ami-id == ami-0old4ce5ee1a01234";
    assert_eq!(DrainSelection::parse(query), DrainSelection::Filter(query.into()));
    assert_eq!(DrainSelection::parse("i-01,i-02"), DrainSelection::Ids(vec!["i-01".into(), "i-02".into()]));
    // A trailing or doubled comma separates nothing: still instance IDs, not a query.
    assert_eq!(DrainSelection::parse("i-01, ,i-02,"), DrainSelection::Ids(vec!["i-01".into(), "i-02".into()]));
    assert_eq!(DrainSelection::parse(","), DrainSelection::Filter(",".into()));
    let with = |wave: u32| {
        let opts = ImportOptions { drain: DrainSelection::parse(query), wave_size: wave, ..Default::default() };
        let text = drainsim_scenario::write::to_ron(&import(&fixture_inputs(), &opts).expect("imports").scenario);
        drainsim_scenario::load_str("plan.ron", &text).expect("loads").scenario.steps
    };
    let one_wave = with(10);
    assert_eq!(one_wave.len(), 3, "one wave of three steps");
    let one_wave = format!("{one_wave:?}");
    assert!(!one_wave.contains(query) && one_wave.contains("i-0a1c2e3f405a6b701"), "{one_wave}");
    let waves = with(2);
    assert_eq!(waves.len(), 6, "two waves of three steps");
    let text = format!("{waves:?}");
    for id in ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702", "i-0a1c2e3f405a6b706"] {
        assert!(text.contains(id), "{id} selected: {text}");
    }
    assert!(!text.contains("i-0a1c2e3f405a6b703"), "a new-AMI instance is not selected");
    let none = ImportOptions { drain: DrainSelection::parse("attribute:ecs.ami-id == ami-0none"), ..Default::default() };
    let e = import(&fixture_inputs(), &none).expect_err("selects nothing").to_string();
    assert!(e.contains("selects no ACTIVE or DRAINING instance"), "{e}");
    let bad = ImportOptions { drain: DrainSelection::parse("attribute:ecs.ami-id =="), ..Default::default() };
    let e = import(&fixture_inputs(), &bad).expect_err("does not parse").to_string();
    assert!(e.contains("--drain: 'attribute:ecs.ami-id ==' is not a valid cluster query"), "{e}");
}

/// A query the drain itself changes the answer to (`runningTasksCount`: a drained instance's
/// tasks stop) selects its instances once, at time 0: in one wave as in several, the plan waits for
/// and deregisters the instances it drained (a step carrying the query would select none of them
/// by then, and its wait and deregistration would pass doing nothing). The instance held by a
/// standalone task is left out: its drain never completes.
#[test]
fn a_drain_plan_by_a_query_the_drain_changes_waits_for_what_it_selected() {
    let query = "runningTasksCount >= 3 and ec2InstanceId != i-0a1c2e3f405a6b706";
    for wave in [1, 10] {
        let opts = ImportOptions { drain: DrainSelection::parse(query), wave_size: wave, ..Default::default() };
        let imported = import(&fixture_inputs(), &opts).expect("imports");
        let drained = drained_instances(&imported);
        assert!(!drained.is_empty(), "{query} selects instances");
        let text = drainsim_scenario::write::to_ron(&imported.scenario);
        let loaded = drainsim_scenario::load_str("plan.ron", &text).expect("loads");
        let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
        for step in outcome.steps.iter().filter(|s| s.operation != "DrainInstances") {
            assert!(!step.summary.contains("no instance selected"), "wave {wave}: {}: {}", step.operation, step.summary);
        }
        for name in &drained {
            let i = outcome.engine.instance_named(name).expect("imported");
            assert!(i.drain().completed_at_ms().is_some(), "wave {wave}: {name}'s drain is waited for");
            assert_eq!(i.status(), drainsim_core::InstanceStatus::Inactive, "wave {wave}: {name} is deregistered");
        }
    }
}

/// An AMI rollout by query selects `i-0a1c2e3f405a6b706`, captured DRAINING with a standalone
/// task of `batch` on it, which no drain stops: the import says so, naming that instance only and
/// the step that stops the task. The plan as written times out its wait and fails; with the step
/// the note gives, every drain completes and every expectation holds.
#[test]
fn a_drained_instance_held_by_a_standalone_task_is_noted_with_the_step_that_frees_it() {
    let opts = ImportOptions {
        drain: DrainSelection::parse("attribute:ecs.ami-id == ami-0old4ce5ee1a01234"),
        wave_size: 5,
        ..Default::default()
    };
    let imported = import(&fixture_inputs(), &opts).expect("imports");
    let held: Vec<&String> = imported.summary.notes.iter().filter(|n| n.contains("no service owns")).collect();
    assert_eq!(held.len(), 1, "{:?}", imported.summary.notes);
    assert!(
        held[0].starts_with("drained instance i-0a1c2e3f405a6b706 runs 1 task no service owns (task definition batch:2)")
            && held[0].contains(r#"StopTasksOn((cluster: "prod", instance: "i-0a1c2e3f405a6b706"))"#),
        "{}",
        held[0]
    );
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let outcome = |text: &str| {
        let loaded = drainsim_scenario::load_str("plan.ron", text).expect("loads");
        drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs")
    };
    let as_written = outcome(&text);
    assert!(!as_written.passed(), "the wait times out and the deregistration is refused");
    // The refusal (ECS's message names the container instance by its ID) says which instance.
    let deregister = as_written.steps.iter().find(|s| s.operation == "DeregisterInstances").expect("a deregistration step");
    assert!(
        deregister.summary.starts_with("InvalidParameterException: Found running tasks on the instance.")
            && deregister.summary.ends_with("(refused for i-0a1c2e3f405a6b706)"),
        "{}",
        deregister.summary
    );
    let drain_step = "(do: DrainInstances(";
    let at = text.find(drain_step).expect("a drain step");
    let end = at + text[at..].find("\n").expect("one line");
    let advised = format!(
        "{}\n    (do: StopTasksOn((cluster: \"prod\", instance: \"i-0a1c2e3f405a6b706\"))),{}",
        &text[..end],
        &text[end..]
    );
    let freed = outcome(&advised);
    assert!(freed.passed(), "{:?}", freed.expectations.iter().filter(|x| !x.passed).collect::<Vec<_>>());
    let i = freed.engine.instance_named("i-0a1c2e3f405a6b706").expect("imported");
    assert!(i.drain().completed_at_ms().is_some(), "its drain completes once the task is stopped");
    // A plan of instances without standalone tasks gets no such note.
    let plain = ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b701"), ..Default::default() };
    let notes = import(&fixture_inputs(), &plain).expect("imports").summary.notes;
    assert!(notes.iter().all(|n| !n.contains("no service owns")), "{notes:?}");
}

/// The fixture's files, with the JSON of the one named `file` changed by `edit`.
fn edited(inputs: &[(String, String)], file: &str, edit: impl FnOnce(&mut Value)) -> Vec<(String, String)> {
    let mut changed = inputs.to_vec();
    let entry = changed.iter_mut().find(|(n, _)| n.ends_with(&format!("/{file}"))).expect("fixture file");
    let mut v: Value = serde_json::from_str(&entry.1).expect("fixture JSON");
    edit(&mut v);
    entry.1 = v.to_string();
    changed
}

/// The engine a written scenario sets up (it must load and set up).
fn engine_of(imported: &drainsim_scenario::import::Imported) -> drainsim_core::Engine {
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let loaded = drainsim_scenario::load_str("cluster.ron", &text).expect("the written scenario loads");
    setup_engine(&loaded, &RunOptions::default()).expect("sets up")
}

/// The `registeredAt` DescribeContainerInstances gives an imported instance (Unix seconds).
fn described_registered_at(engine: &mut drainsim_core::Engine, cluster: &str, name: &str) -> f64 {
    let arn = engine.instance_named(name).expect("imported").arn();
    match engine.handle(drainsim_core::api::Request::DescribeContainerInstances(
        drainsim_core::api::DescribeContainerInstancesRequest {
            cluster: Some(cluster.to_string()),
            container_instances: vec![arn],
            ..Default::default()
        },
    )) {
        Ok(drainsim_core::api::Response::ContainerInstances { container_instances, .. }) => container_instances[0].registered_at,
        other => panic!("unexpected response {other:?}"),
    }
}

/// The instances an imported drain plan's steps drain, sorted.
fn drained_instances(imported: &drainsim_scenario::import::Imported) -> Vec<String> {
    let mut drained: Vec<String> = imported
        .scenario
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            drainsim_scenario::format::Action::DrainInstances(p) => Some(p.instances.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    drained.sort();
    drained
}

fn noted(imported: &drainsim_scenario::import::Imported, text: &str) -> bool {
    imported.summary.notes.iter().any(|n| n.contains(text))
}

/// A capture that misses tasks (a describe-tasks batch not run) would import a cluster running
/// fewer tasks than it does, and the services would start theirs again at time 0: the instances'
/// runningTasksCount + pendingTasksCount say how many there are, and the import says which
/// instances are short. A complete capture says nothing; a stopping task left out is described.
#[test]
fn a_capture_missing_tasks_is_noted_with_the_instances_short_of_them() {
    let inputs = fixture_inputs();
    let complete = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(!noted(&complete, "describe-tasks describes"), "{:?}", complete.summary.notes);
    let partial = edited(&inputs, "describe-tasks.json", |v| {
        let tasks = v["tasks"].as_array_mut().expect("tasks");
        tasks.truncate(10);
    });
    let imported = import(&partial, &ImportOptions::default()).expect("imports");
    let note = imported.summary.notes.iter().find(|n| n.contains("describe-tasks describes")).expect("noted");
    assert!(note.starts_with("describe-tasks describes 10 of the 15 tasks the container instances report"), "{note}");
    assert!(note.contains("i-0a1c2e3f405a6b706 1 of 3"), "{note}");
    let none: Vec<(String, String)> = inputs.iter().filter(|(n, _)| !n.ends_with("/describe-tasks.json")).cloned().collect();
    let imported = import(&none, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, "describe-tasks describes 0 of the 15 tasks"), "{:?}", imported.summary.notes);
    // An instance whose agent was disconnected when captured is imported so, and said to be.
    let away =
        edited(&inputs, "describe-container-instances.json", |v| v["containerInstances"][2]["agentConnected"] = false.into());
    let imported = import(&away, &ImportOptions::default()).expect("imports");
    assert!(
        noted(
            &imported,
            "instance i-0a1c2e3f405a6b703: agentConnected false in the capture, imported with its agent disconnected from time 0"
        ),
        "{:?}",
        imported.summary.notes
    );
    // A task stopping (desired STOPPED) is left out, but it was described: no note.
    let stopping = edited(&inputs, "describe-tasks.json", |v| v["tasks"][0]["desiredStatus"] = "STOPPED".into());
    let imported = import(&stopping, &ImportOptions::default()).expect("imports");
    assert!(!noted(&imported, "describe-tasks describes"), "{:?}", imported.summary.notes);
}

/// `list-account-settings --effective-settings` lists guardDutyActivate, which AWS manages
/// (type aws_managed): PutAccountSetting refuses it, so it is left out, with a note. Another
/// setting marked aws_managed is what AWS applies to every principal: an account default.
/// How long a container takes to exit after SIGTERM is in no capture: the import says once what
/// drainsim assumes (killed at its stop timeout), and writes no `exitAfterSigtermMs`.
#[test]
fn the_sigterm_exit_drainsim_assumes_is_noted_once() {
    let imported = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    let notes: Vec<&String> = imported.summary.notes.iter().filter(|n| n.contains("exitAfterSigtermMs")).collect();
    assert_eq!(notes.len(), 1, "{:?}", imported.summary.notes);
    assert!(notes[0].contains("killed at its stop timeout"), "{}", notes[0]);
    let containers = imported.scenario.task_definitions.iter().flat_map(|t| &t.container_definitions);
    assert!(containers.clone().count() > 0 && containers.clone().all(|c| c.exit_after_sigterm_ms.is_none()));
}

#[test]
fn an_aws_managed_setting_is_left_out_with_a_note() {
    let settings = fixture_json("list-account-settings.json");
    assert!(
        settings["settings"].as_array().unwrap().iter().any(|s| s["type"] == "aws_managed"),
        "the fixture captures an aws_managed setting"
    );
    let inputs = edited(&fixture_inputs(), "list-account-settings.json", |v| {
        let list = v["settings"].as_array_mut().unwrap();
        list.push(serde_json::json!(
            {"name": "guardDutyActivate", "value": "enabled", "principalArn": "arn:aws:iam::111122223333:user/ops", "type": "aws_managed"}
        ));
        let task_arns = list.iter_mut().find(|s| s["name"] == "taskLongArnFormat").expect("in the fixture");
        task_arns["type"] = Value::String("aws_managed".into());
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let names: Vec<&str> = imported.scenario.account_settings.iter().map(|s| s.name.as_str()).collect();
    assert!(!names.contains(&"guardDutyActivate") && names.contains(&"containerInsights"), "{names:?}");
    assert!(!names.contains(&"taskLongArnFormat"), "{names:?}");
    assert_eq!(imported.scenario.account_defaults.get("taskLongArnFormat").map(String::as_str), Some("enabled"));
    assert!(noted(&imported, "account setting guardDutyActivate left out: AWS manages it"), "{:?}", imported.summary.notes);
    assert!(
        noted(
            &imported,
            "account setting taskLongArnFormat is managed by AWS (type aws_managed, read-only): carried as the account default"
        ),
        "{:?}",
        imported.summary.notes
    );
    engine_of(&imported);
}

/// A container may reserve more than 10 vCPUs on EC2 (RegisterTaskDefinition takes 128 to 196,608
/// CPU units for the EC2 launch type): the import takes what the engine takes.
#[test]
fn a_container_of_more_than_ten_vcpus_imports() {
    let inputs = edited(&fixture_inputs(), "task-definition-batch.json", |v| {
        v["taskDefinition"]["containerDefinitions"][0]["cpu"] = serde_json::json!(16384);
    });
    // The DRAINING instance that runs batch is a 16-vCPU one.
    let inputs = edited(&inputs, "describe-container-instances.json", |v| {
        let ci = &mut v["containerInstances"][5];
        assert_eq!(ci["ec2InstanceId"], "i-0a1c2e3f405a6b706");
        ci["registeredResources"][0]["integerValue"] = serde_json::json!(20480);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let batch = imported.scenario.task_definitions.iter().find(|t| t.family == "batch").expect("batch");
    assert_eq!(batch.container_definitions[0].cpu, Some(16384));
    let engine = engine_of(&imported);
    let runs_batch = engine
        .instance_named("i-0a1c2e3f405a6b706")
        .expect("imported")
        .tasks()
        .any(|t| t.task_definition_arn().ends_with("/batch:2"));
    assert!(runs_batch);
}

/// A GPU instance keeps its GPUs (the `GPU` resource's IDs, counted) and a container its GPU
/// requirement: the captured task that reserves a GPU runs on the instance that has it, holding it.
/// More GPUs than an instance may register are refused at the resource.
#[test]
fn gpu_instances_and_gpu_requirements_import() {
    let gpu =
        |ids: Vec<String>| serde_json::json!({"name": "GPU", "type": "STRINGSET", "integerValue": 0, "stringSetValue": ids});
    let inputs = edited(&fixture_inputs(), "task-definition-batch.json", |v| {
        v["taskDefinition"]["containerDefinitions"][0]["resourceRequirements"] =
            serde_json::json!([{"type": "GPU", "value": "1"}]);
    });
    let with_gpus = |n: usize| {
        edited(&inputs, "describe-container-instances.json", |v| {
            let ci = &mut v["containerInstances"][5];
            assert_eq!(ci["ec2InstanceId"], "i-0a1c2e3f405a6b706");
            ci["registeredResources"].as_array_mut().unwrap().push(gpu((0..n).map(|g| format!("GPU-{g:08x}")).collect()));
        })
    };
    let imported = import(&with_gpus(1), &ImportOptions::default()).expect("imports");
    let batch = imported.scenario.task_definitions.iter().find(|t| t.family == "batch").expect("batch");
    assert_eq!(
        batch.container_definitions[0].resource_requirements,
        [drainsim_core::api::ResourceRequirement { requirement_type: "GPU".into(), value: "1".into() }]
    );
    let group = imported.scenario.instances.iter().find(|g| g.name == "i-0a1c2e3f405a6b706").expect("imported");
    assert_eq!(group.gpus, 1);
    let engine = engine_of(&imported);
    let instance = engine.instance_named("i-0a1c2e3f405a6b706").expect("imported");
    assert_eq!(instance.gpus_free(), 0, "the batch task holds the GPU");
    let batch_task = instance.tasks().find(|t| t.task_definition_arn().ends_with("/batch:2")).expect("runs batch");
    assert_eq!(batch_task.gpu_ids(), ["GPU-i-0a1c2e3f405a6b706-0"]);

    let Err(refused) = import(&with_gpus(65), &ImportOptions::default()) else { panic!("65 GPUs are refused") };
    let refused = refused.to_string();
    assert!(refused.contains("registeredResources[") && refused.contains("65 GPUs; drainsim models at most 64"), "{refused}");

    // GPU IDs RegisterContainerInstance would refuse, a GPU resource without its IDs and a second
    // GPU resource are refused at their path, not counted.
    let with_resources = |resources: Vec<serde_json::Value>| {
        edited(&inputs, "describe-container-instances.json", |v| {
            v["containerInstances"][5]["registeredResources"].as_array_mut().unwrap().extend(resources.iter().cloned());
        })
    };
    for (resources, path, why) in [
        (
            vec![gpu(vec!["GPU-aaa".into(), "GPU-aaa".into()])],
            "stringSetValue",
            "RegisterContainerInstance would refuse these GPUs: platformDevices[1]: GPU 'GPU-aaa' is listed twice",
        ),
        (vec![gpu(vec![String::new()])], "stringSetValue", "a GPU's id is 1-255 characters"),
        (
            vec![serde_json::json!({"name": "GPU", "type": "INTEGER", "integerValue": 4})],
            "stringSetValue",
            "a GPU resource lists its GPU IDs (type STRINGSET)",
        ),
        (vec![gpu(vec!["a".into()]), gpu(vec!["b".into(), "c".into()])], "name", "a second GPU resource"),
    ] {
        let Err(refused) = import(&with_resources(resources), &ImportOptions::default()) else { panic!("{why}: refused") };
        let refused = refused.to_string();
        assert!(refused.contains("containerInstances[5].registeredResources["), "{refused}");
        assert!(refused.contains(&format!("].{path}: ")) && refused.contains(why), "{why}: {refused}");
    }
}

/// A Graviton or Windows instance keeps its captured ecs.cpu-architecture and ecs.os-type (the
/// engine gives x86_64 and linux only to an instance that names none), so a query on them selects
/// what it selects in ECS.
#[test]
fn captured_cpu_architecture_and_os_type_are_kept() {
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        for (n, ci) in v["containerInstances"].as_array_mut().unwrap().iter_mut().enumerate() {
            for a in ci["attributes"].as_array_mut().unwrap() {
                match a["name"].as_str() {
                    Some("ecs.cpu-architecture") if n != 2 => a["value"] = Value::String("arm64".into()),
                    Some("ecs.os-type") if n == 2 => a["value"] = Value::String("windows".into()),
                    _ => {}
                }
            }
        }
    });
    let opts = ImportOptions {
        drain: DrainSelection::parse("attribute:ecs.cpu-architecture == arm64"),
        wave_size: 1,
        ..Default::default()
    };
    let imported = import(&inputs, &opts).expect("imports");
    let engine = engine_of(&imported);
    let attribute = |id: &str, name: &str| {
        let i = engine.instance_named(id).expect("imported");
        i.attributes().into_iter().find(|(n, _)| *n == name).and_then(|(_, v)| v).map(str::to_string)
    };
    assert_eq!(attribute("i-0a1c2e3f405a6b701", "ecs.cpu-architecture").as_deref(), Some("arm64"));
    assert_eq!(attribute("i-0a1c2e3f405a6b703", "ecs.cpu-architecture").as_deref(), Some("x86_64"));
    assert_eq!(attribute("i-0a1c2e3f405a6b703", "ecs.os-type").as_deref(), Some("windows"));
    assert_eq!(attribute("i-0a1c2e3f405a6b701", "ecs.os-type").as_deref(), Some("linux"));
    // The query selects the five arm64 instances (the DRAINING one too): a wave each.
    let drained = imported.scenario.steps.iter().filter(|s| format!("{:?}", s.action).starts_with("DrainInstances")).count();
    assert_eq!(drained, 5);
}

/// An EXTERNAL-controller service (its task definition is its task sets') and a service without a
/// task definition are left out with a note, their tasks kept as standalone tasks; a CODE_DEPLOY
/// one is imported, noted as modelled by a rolling update.
#[test]
fn services_drainsim_cannot_model_are_left_out_with_a_note() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        let api = &mut v["services"][1];
        assert_eq!(api["serviceName"], "api");
        let api = api.as_object_mut().unwrap();
        api.remove("taskDefinition");
        api.remove("launchType");
        api.insert("deploymentController".into(), serde_json::json!({"type": "EXTERNAL"}));
        api.insert("taskSets".into(), serde_json::json!([{"id": "ecs-svc/1111", "taskDefinition": "arn:aws:ecs:eu-west-1:111122223333:task-definition/api:7"}]));
        v["services"][0]["deploymentController"] = serde_json::json!({"type": "CODE_DEPLOY"});
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let names: Vec<&str> = imported.scenario.services.iter().map(|s| s.service_name.as_str()).collect();
    assert_eq!(names, ["web", "log-agent"]);
    assert!(noted(&imported, "service api left out: it uses the EXTERNAL deployment controller"), "{:?}", imported.summary.notes);
    assert!(noted(&imported, "2 tasks of service api imported as standalone tasks"), "{:?}", imported.summary.notes);
    assert!(noted(&imported, "service web uses the CODE_DEPLOY deployment controller"), "{:?}", imported.summary.notes);
    let engine = engine_of(&imported);
    assert!(engine.service_named("web").is_some() && engine.service_named("api").is_none());

    // No task definition, ECS controller: left out too.
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        v["services"][1].as_object_mut().unwrap().remove("taskDefinition");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, "service api left out: it names no task definition"), "{:?}", imported.summary.notes);
}

/// An ECS Anywhere instance (`mi-…`) and its tasks are left out, with notes.
#[test]
fn an_external_instance_is_left_out_with_its_tasks() {
    let external_arn = "arn:aws:ecs:eu-west-1:111122223333:container-instance/prod/5f1d6a0c3e8b4d2a9c7e1b3f5a7dee01";
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        let list = v["containerInstances"].as_array_mut().unwrap();
        let mut external = list[0].clone();
        external["containerInstanceArn"] = Value::String(external_arn.into());
        external["ec2InstanceId"] = Value::String("mi-0123456789abcdef0".into());
        list.push(external);
    });
    let inputs = edited(&inputs, "describe-tasks.json", |v| {
        let list = v["tasks"].as_array_mut().unwrap();
        let mut task = list[14].clone();
        task["taskArn"] = Value::String("arn:aws:ecs:eu-west-1:111122223333:task/prod/0123456789abcdef0123456789abcdef".into());
        task["containerInstanceArn"] = Value::String(external_arn.into());
        list.push(task);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert_eq!(imported.summary.counts, [6, 4, 3, 15]);
    assert!(noted(&imported, "instance mi-0123456789abcdef0 (container instance 5f1d6a0c3e8b4d2a9c7e1b3f5a7dee01) left out: it is an external instance (ECS Anywhere)"), "{:?}", imported.summary.notes);
    assert!(
        noted(&imported, "a task on container instance 5f1d6a0c3e8b4d2a9c7e1b3f5a7dee01 left out: the instance was not imported"),
        "{:?}",
        imported.summary.notes
    );
    engine_of(&imported);
}

/// Target-group attribute files are matched by the longest target-group name that ends the file
/// name: `…-web-tg.json` is web-tg's even when a target group is named `tg`.
#[test]
fn target_group_attributes_go_to_the_longest_matching_name() {
    let tg = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/tg/1d0ecf831eec9f01";
    let inputs = edited(&fixture_inputs(), "describe-target-groups.json", |v| {
        let list = v["TargetGroups"].as_array_mut().unwrap();
        let mut other = list[0].clone();
        other["TargetGroupArn"] = Value::String(tg.into());
        other["TargetGroupName"] = Value::String("tg".into());
        other["HealthCheckIntervalSeconds"] = serde_json::json!(10);
        list.push(other);
    });
    let mut inputs = edited(&inputs, "describe-services.json", |v| {
        v["services"][1]["loadBalancers"] =
            serde_json::json!([{"targetGroupArn": tg, "containerName": "api", "containerPort": 8443}]);
    });
    let attributes = serde_json::json!({"Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "5"}]});
    inputs.push((format!("{FIXTURE}/describe-target-group-attributes-tg.json"), attributes.to_string()));
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let delay = |name: &str| {
        let s = imported.scenario.services.iter().find(|s| s.service_name == name).expect("imported");
        s.target_group.as_ref().and_then(|t| t.deregistration_delay_seconds)
    };
    assert_eq!((delay("web"), delay("api")), (Some(60), Some(5)));
}

/// A target group's health-check settings are read, the unhealthy threshold among them (it decides
/// when a task whose checks begin to fail is replaced); one out of ELB's range is refused at its path.
#[test]
fn target_group_health_check_settings_are_read() {
    let imported = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    let web = imported.scenario.services.iter().find(|s| s.service_name == "web").expect("imported");
    let tg = web.target_group.as_ref().expect("its target group was described");
    assert_eq!(
        (tg.health_check_interval_seconds, tg.healthy_threshold_count, tg.unhealthy_threshold_count),
        (Some(15), Some(3), Some(2))
    );
    let inputs = edited(&fixture_inputs(), "describe-target-groups.json", |v| {
        v["TargetGroups"][0]["UnhealthyThresholdCount"] = serde_json::json!(11);
    });
    let Err(refused) = import(&inputs, &ImportOptions::default()) else { panic!("an unhealthy threshold of 11 is refused") };
    let refused = refused.to_string();
    assert!(refused.contains("UnhealthyThresholdCount"), "{refused}");
}

/// What is dropped is listed: a service's capacity provider strategy that names a provider the
/// cluster's description does not list (noted: drainsim places its tasks on any instance), reserved
/// UDP ports and other registered resources drainsim does not
/// reserve (a GPU it does: the instance keeps it).
#[test]
fn dropped_fields_are_listed() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        let web = v["services"][0].as_object_mut().unwrap();
        web.remove("launchType");
        web.insert(
            "capacityProviderStrategy".into(),
            serde_json::json!([{"capacityProvider": "asg-cp-a", "weight": 1, "base": 0}]),
        );
    });
    let inputs = edited(&inputs, "describe-container-instances.json", |v| {
        let resources = v["containerInstances"][0]["registeredResources"].as_array_mut().unwrap();
        let udp = resources.iter_mut().find(|r| r["name"] == "PORTS_UDP").expect("the fixture lists PORTS_UDP");
        udp["stringSetValue"] = serde_json::json!(["53"]);
        resources
            .push(serde_json::json!({"name": "GPU", "type": "STRINGSET", "integerValue": 0, "stringSetValue": ["GPU-1a2b"]}));
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(
        noted(&imported, "service web: its capacityProviderStrategy names asg-cp-a, which is not one of the cluster's"),
        "{:?}",
        imported.summary.notes
    );
    let skipped: Vec<&str> = imported.summary.skipped_fields.iter().map(|(f, _)| f.as_str()).collect();
    let field =
        |resource: &str| format!("describe-container-instances $.containerInstances[].registeredResources[] ({resource})");
    assert!(skipped.contains(&field("PORTS_UDP").as_str()), "{skipped:?}");
    // GPUs are modelled: the instance registers as many.
    assert!(!skipped.contains(&field("GPU").as_str()), "{skipped:?}");
    let gpus: Vec<u32> = imported.scenario.instances.iter().map(|g| g.gpus).collect();
    assert_eq!(gpus.iter().filter(|n| **n == 1).count(), 1, "{gpus:?}");
    assert!(gpus.iter().all(|n| *n <= 1), "{gpus:?}");
    // An empty PORTS_UDP reserves nothing: the other instances' are not listed.
    let udp = imported.summary.skipped_fields.iter().find(|(f, _)| f.ends_with("(PORTS_UDP)")).expect("listed");
    assert_eq!(udp.1, 1);
}

/// A cluster's capacity providers, its instances' providers and a service's strategy are carried
/// over, and the written scenario runs; the Fargate providers, and a default strategy naming one,
/// are left out with a note, and a provider whose managed scaling is ENABLED
/// (describe-capacity-providers) is noted as not modelled.
#[test]
fn capacity_providers_and_strategies_are_imported() {
    let inputs = edited(&fixture_inputs(), "describe-clusters.json", |v| {
        v["clusters"][0]["capacityProviders"] = serde_json::json!(["od", "spot", "FARGATE"]);
        v["clusters"][0]["defaultCapacityProviderStrategy"] = serde_json::json!([{"capacityProvider": "FARGATE", "weight": 1}]);
    });
    let inputs = edited(&inputs, "describe-container-instances.json", |v| {
        for (k, ci) in v["containerInstances"].as_array_mut().unwrap().iter_mut().enumerate() {
            ci["capacityProviderName"] = serde_json::json!(if k < 3 { "od" } else { "spot" });
        }
    });
    let inputs = edited(&inputs, "describe-services.json", |v| {
        let api = v["services"].as_array_mut().unwrap().iter_mut().find(|s| s["serviceName"] == "api").unwrap();
        api.as_object_mut().unwrap().remove("launchType");
        api["capacityProviderStrategy"] = serde_json::json!([{"capacityProvider": "spot", "weight": 1, "base": 0}]);
    });
    let mut inputs = inputs;
    inputs.push((
        "capacity-providers.json".to_string(),
        serde_json::json!({"capacityProviders": [
            {"capacityProviderArn": "arn:aws:ecs:eu-west-1:111122223333:capacity-provider/spot", "name": "spot",
             "status": "ACTIVE", "autoScalingGroupProvider": {
                "autoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:1:autoScalingGroupName/spot",
                "managedScaling": {"status": "ENABLED", "targetCapacity": 100, "minimumScalingStepSize": 1,
                                   "maximumScalingStepSize": 10000, "instanceWarmupPeriod": 300},
                "managedTerminationProtection": "DISABLED", "managedDraining": "ENABLED"}, "tags": []},
            {"capacityProviderArn": "arn:aws:ecs:eu-west-1:111122223333:capacity-provider/od", "name": "od",
             "status": "ACTIVE", "autoScalingGroupProvider": {
                "autoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:111122223333:autoScalingGroup:2:autoScalingGroupName/od",
                "managedScaling": {"status": "DISABLED"}}, "tags": []}
        ], "failures": []})
        .to_string(),
    ));
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, "capacity provider spot has managed scaling ENABLED"), "{:?}", imported.summary.notes);
    assert!(!noted(&imported, "capacity provider od has managed scaling"), "{:?}", imported.summary.notes);
    let put = &imported.scenario.cluster_capacity_providers;
    assert_eq!(put.len(), 1);
    assert_eq!(put[0].capacity_providers, vec!["od".to_string(), "spot".to_string()], "FARGATE is left out");
    assert!(put[0].default_capacity_provider_strategy.is_empty());
    assert!(noted(&imported, "its default capacity provider strategy names a Fargate"), "{:?}", imported.summary.notes);
    let providers: Vec<Option<&str>> = imported.scenario.instances.iter().map(|g| g.capacity_provider_name.as_deref()).collect();
    assert_eq!(providers.iter().filter(|p| **p == Some("spot")).count(), 3);
    let api = imported.scenario.services.iter().find(|s| s.service_name == "api").unwrap();
    assert_eq!(api.capacity_provider_strategy[0].capacity_provider, "spot");
    assert_eq!(api.launch_type, None);
    let web = imported.scenario.services.iter().find(|s| s.service_name == "web").unwrap();
    assert_eq!(web.launch_type.as_deref(), Some("EC2"), "a service with a launch type keeps it");

    // The written scenario loads and runs whole.
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    assert!(text.contains("clusterCapacityProviders"), "{text}");
    let loaded = drainsim_scenario::load_str("imported.ron", &text).expect("the written scenario loads");
    let outcome = drainsim_scenario::run(&loaded, &drainsim_scenario::RunOptions::default()).expect("runs");
    assert_eq!(outcome.invariant_violation, None);
}

/// docs/import.md's capture recipe describes the task definition of every service, not only the
/// ones tasks run: a service scaled to zero (or whose newest revision runs no task yet) needs its
/// own.
#[test]
fn the_capture_recipe_describes_every_service_task_definition() {
    let doc = std::fs::read_to_string("docs/import.md").expect("docs/import.md");
    let line = doc.lines().find(|l| l.starts_with("for td in $(jq -r '")).expect("the recipe's loop");
    let program = line.split('\'').nth(1).expect("a quoted jq program");
    assert!(program.contains(".services[]") && program.contains("taskDefinition"), "{line}");
    // Where jq is installed, run the recipe's program on the fixture with api scaled to zero.
    let dir = TempDir::new("import-recipe");
    let mut services = fixture_json("describe-services.json");
    services["services"][1]["desiredCount"] = serde_json::json!(0);
    let mut tasks = fixture_json("describe-tasks.json");
    tasks["tasks"].as_array_mut().unwrap().retain(|t| !t["group"].as_str().unwrap().ends_with(":api"));
    std::fs::write(dir.join("tasks.json"), tasks.to_string()).unwrap();
    std::fs::write(dir.join("services.json"), services.to_string()).unwrap();
    let Ok(out) = std::process::Command::new("jq")
        .arg("-r")
        .arg(program)
        .arg("tasks.json")
        .arg("services.json")
        .current_dir(dir.to_path_buf())
        .output()
    else {
        return;
    };
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = String::from_utf8_lossy(&out.stdout);
    for td in ["task-definition/api:7", "task-definition/web:12", "task-definition/batch:2"] {
        assert!(listed.lines().any(|l| l.ends_with(td)), "{td} not in:\n{listed}");
    }
    assert!(!listed.lines().any(|l| l == "null"), "{listed}");
}

/// During a deployment, a service's older tasks run an older revision with its own reservation:
/// they are imported running it (its task definition captured), not the service's; without it
/// the import names what to capture, at the task's taskDefinitionArn.
#[test]
fn tasks_of_an_older_revision_keep_it() {
    let mut inputs = edited(&fixture_inputs(), "task-definition-web.json", |v| {
        // web:12 reserves far more than web:11: relabelled, the old tasks would not fit.
        v["taskDefinition"]["containerDefinitions"][0]["memoryReservation"] = serde_json::json!(4096);
        v["taskDefinition"]["containerDefinitions"][0]["memory"] = serde_json::json!(4096);
    });
    inputs = edited(&inputs, "describe-tasks.json", |v| {
        for t in v["tasks"].as_array_mut().unwrap() {
            if t["group"] == "service:web" {
                t["taskDefinitionArn"] = Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/web:11".into());
            }
        }
    });
    let without = import(&inputs, &ImportOptions::default()).expect_err("web:11 is not captured");
    assert_eq!(without.path, "$.tasks[0].taskDefinitionArn", "{without}");
    assert!(without.message.contains("aws ecs describe-task-definition --task-definition web:11"), "{without}");

    let mut web11 = fixture_json("task-definition-web.json");
    web11["taskDefinition"]["revision"] = serde_json::json!(11);
    web11["taskDefinition"]["taskDefinitionArn"] =
        Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/web:11".into());
    inputs.push((format!("{FIXTURE}/task-definition-web-11.json"), web11.to_string()));
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(
        noted(&imported, "service web: 6 tasks run web:11, not the service's web:12 (a deployment in progress)"),
        "{:?}",
        imported.summary.notes
    );
    let engine = engine_of(&imported);
    let web: Vec<String> = engine
        .instances()
        .flat_map(|i| i.tasks().map(|t| t.task_definition_arn()).collect::<Vec<_>>())
        .filter(|arn| arn.contains("/web:"))
        .collect();
    assert_eq!(web.len(), 6);
    assert!(web.iter().all(|arn| arn.ends_with("/web:11")), "{web:?}");
    assert_eq!(engine.service_named("web").expect("web").running_count(), 6);
}

/// A capture taken while a deployment had started new tasks beside the old ones, up to
/// maximumPercent: the service runs more tasks than desiredCount, which the import notes, and its
/// first pass stops the older revision's tasks, not the new ones (the deployment would have).
#[test]
fn a_service_captured_over_its_desired_count_keeps_its_new_revision() {
    let mut web11 = fixture_json("task-definition-web.json");
    web11["taskDefinition"]["revision"] = serde_json::json!(11);
    web11["taskDefinition"]["taskDefinitionArn"] =
        Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/web:11".into());
    let mut inputs = edited(&fixture_inputs(), "describe-tasks.json", |v| {
        // Two of web's six tasks still run web:11 (none on the DRAINING instance, whose task stops
        // with its drain whatever it runs).
        let web = v["tasks"].as_array_mut().unwrap().iter_mut().filter(|t| t["group"] == "service:web");
        for t in web.take(2) {
            t["taskDefinitionArn"] = Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/web:11".into());
        }
    });
    inputs = edited(&inputs, "describe-services.json", |v| {
        let web = v["services"].as_array_mut().unwrap().iter_mut().find(|s| s["serviceName"] == "web").unwrap();
        web["desiredCount"] = serde_json::json!(3);
    });
    inputs.push((format!("{FIXTURE}/task-definition-web-11.json"), web11.to_string()));
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(
        noted(
            &imported,
            "service web: 5 tasks run on instances not DRAINING for a desiredCount of 3: its first scheduling pass, at time 0, stops the 2 beyond it"
        ),
        "{:?}",
        imported.summary.notes
    );
    let mut engine = engine_of(&imported);
    engine.advance_to(60_000, 1_000_000);
    let web: Vec<String> = engine
        .instances()
        .flat_map(|i| i.tasks().filter(|t| !t.desired_stopped()).map(|t| t.task_definition_arn()).collect::<Vec<_>>())
        .filter(|arn| arn.contains("/web:"))
        .collect();
    assert_eq!(web.len(), 3, "{web:?}");
    assert!(web.iter().all(|arn| arn.ends_with("/web:12")), "the old revision's tasks were stopped first: {web:?}");
}

/// `-o` naming one of the capture's files is refused before anything is read or written: the
/// scenario replaced the capture file it named. A file of the directory not read is named.
#[test]
fn the_output_may_not_overwrite_a_capture_file() {
    let dir = TempDir::new("import-overwrite");
    for f in std::fs::read_dir(FIXTURE).expect("the fixture") {
        let f = f.expect("an entry").path();
        std::fs::copy(&f, dir.join(f.file_name().expect("a name"))).expect("copies");
    }
    let tasks = dir.join("describe-tasks.json");
    let before = std::fs::read(&tasks).expect("reads");
    let capture_dir = dir.join("");
    let capture = capture_dir.to_str().expect("UTF-8");
    let out = common::drainsim(&["import", capture, "-o", tasks.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it is one of the capture's files") && err.contains("write it elsewhere"), "{err}");
    assert_eq!(std::fs::read(&tasks).expect("reads"), before, "the capture file is untouched");
    let elsewhere = dir.join("cluster.ron");
    let ok = common::drainsim(&["import", capture, "-o", elsewhere.to_str().expect("UTF-8")]);
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    // Written next to the capture, and imported again with it: a .ron file is not read as capture.
    let again = common::drainsim(&["import", capture, "-o", elsewhere.to_str().expect("UTF-8")]);
    assert_eq!(again.status.code(), Some(0), "{}", String::from_utf8_lossy(&again.stderr));
    // A capture file saved under another ending is not read, and the summary says so (with the
    // tasks it would have described).
    std::fs::rename(&tasks, dir.join("tasks.txt")).expect("renames");
    let renamed = common::drainsim(&["import", capture, "-o", elsewhere.to_str().expect("UTF-8")]);
    assert_eq!(renamed.status.code(), Some(0), "{}", String::from_utf8_lossy(&renamed.stderr));
    let summary = String::from_utf8_lossy(&renamed.stderr);
    assert!(
        summary.contains("note: not read: ") && summary.contains("tasks.txt (of a directory, the .json files are read"),
        "{summary}"
    );
    assert!(summary.contains("describe-tasks describes 0 of the 15 tasks"), "{summary}");
}

/// What does not set up is refused at the file and JSON path of the item refused (here a task
/// that does not fit its instance: it reports 100,000 MiB, its task definition's), with
/// the summary; the command line says nothing was written and names no file it did not write.
#[test]
fn a_setup_refusal_names_where_the_item_was_read() {
    let batch_task = fixture_json("describe-tasks.json")["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["taskDefinitionArn"].as_str().unwrap().ends_with("/batch:2"))
        .expect("the fixture runs batch");
    let edit = |v: &mut Value| v["taskDefinition"]["containerDefinitions"][0]["memory"] = serde_json::json!(100_000);
    // The task reports its task definition's size (a task whose size differs from it is written
    // with a RunTask override: `a_standalone_task_with_an_override_keeps_its_size`).
    let task_edit = |v: &mut Value| v["tasks"][batch_task]["memory"] = "100000".into();
    let inputs = edited(&edited(&fixture_inputs(), "task-definition-batch.json", edit), "describe-tasks.json", task_edit);
    let e = import(&inputs, &ImportOptions::default()).expect_err("the batch task does not fit");
    assert!(e.file.ends_with("describe-tasks.json"), "{e}");
    assert_eq!(e.path, format!("$.tasks[{batch_task}]"), "{e}");
    assert!(e.message.contains("does not set up") && e.message.contains("RESOURCE:MEMORY"), "{e}");
    let summary = e.summary.as_ref().expect("the summary comes with it");
    assert_eq!(summary.counts, [6, 4, 3, 15]);
    // The same with the Auto Scaling groups imported too: the bisection keeps a group (and its
    // capacity provider) only with all its instances, and still finds the task.
    let with_groups = edited(&edited(&asg_inputs(), "task-definition-batch.json", edit), "describe-tasks.json", task_edit);
    let e = import(&with_groups, &ImportOptions::default()).expect_err("the batch task does not fit");
    assert_eq!((e.file.ends_with("describe-tasks.json"), e.path.clone()), (true, format!("$.tasks[{batch_task}]")), "{e}");

    let dir = TempDir::new("import-refused");
    for (name, text) in &inputs {
        let file = std::path::Path::new(name).file_name().unwrap().to_str().unwrap().to_string();
        std::fs::write(dir.join(&file), text).unwrap();
    }
    let out = dir.join("out").join("cluster.ron");
    let o = common::command().arg("import").arg(dir.to_path_buf()).arg("-o").arg(&out).output().expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(&format!("describe-tasks.json: $.tasks[{batch_task}]: the imported cluster does not set up")),
        "{stderr}"
    );
    assert!(stderr.contains("cluster.ron was not written") && stderr.contains("imported 6 container instances"), "{stderr}");
    assert!(!stderr.contains("cluster.ron:"), "no position in a file that was not written: {stderr}");
    assert!(!out.exists());
}

/// Container instances keep their captured ARNs, old format or new, whatever the account setting
/// says today ("Only resources launched after opting in receive the new ARN").
#[test]
fn old_format_instance_arns_are_kept() {
    // `…:container-instance/prod/5f1d…c01` as the old format writes it: no cluster, a UUID.
    let to_old = |arn: &str| {
        let (head, hex) = arn.rsplit_once('/').unwrap();
        let head = head.trim_end_matches("/prod");
        format!("{head}/{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
    };
    for only_first in [false, true] {
        let first = "5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c01";
        let edit = |v: &mut Value| {
            let key = if v.get("tasks").is_some() { "tasks" } else { "containerInstances" };
            let list = v[key].as_array_mut().unwrap();
            for item in list.iter_mut() {
                let arn = item["containerInstanceArn"].as_str().unwrap().to_string();
                if !only_first || arn.ends_with(first) {
                    item["containerInstanceArn"] = Value::String(to_old(&arn));
                }
            }
        };
        let inputs = edited(&fixture_inputs(), "describe-container-instances.json", edit);
        let inputs = edited(&inputs, "describe-tasks.json", edit);
        let imported = import(&inputs, &ImportOptions::default()).expect("imports");
        assert_eq!(imported.summary.counts, [6, 4, 3, 15]);
        let captured: Value =
            serde_json::from_str(&inputs.iter().find(|(n, _)| n.ends_with("/describe-container-instances.json")).unwrap().1)
                .unwrap();
        let engine = engine_of(&imported);
        for ci in captured["containerInstances"].as_array().unwrap() {
            let i = engine.instance_named(ci["ec2InstanceId"].as_str().unwrap()).expect("imported");
            assert_eq!(i.arn(), ci["containerInstanceArn"].as_str().unwrap(), "only the first: {only_first}");
        }
    }
}

/// An instance type missing from drainsim's task ENI table in a cluster that runs awsvpc tasks is
/// refused at its ecs.instance-type, naming the option that gives its limit.
#[test]
fn an_unknown_instance_type_needs_a_task_eni_limit_for_awsvpc_tasks() {
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        for a in v["containerInstances"][0]["attributes"].as_array_mut().unwrap() {
            if a["name"] == "ecs.instance-type" {
                a["value"] = Value::String("m7i.large".into());
            }
        }
    });
    let e = import(&inputs, &ImportOptions::default()).expect_err("no limit for m7i.large");
    assert!(e.file.ends_with("describe-container-instances.json"), "{e}");
    assert!(e.path.starts_with("$.containerInstances[0].attributes["), "{e}");
    assert!(e.message.contains("--task-eni-limit m7i.large=N") && e.message.contains("service api runs api:7"), "{e}");
    let opts = ImportOptions { task_eni_limits: [("m7i.large".to_string(), 2)].into_iter().collect(), ..Default::default() };
    let imported = import(&inputs, &opts).expect("imports with the limit");
    assert_eq!(engine_of(&imported).instance_named("i-0a1c2e3f405a6b701").expect("imported").task_eni_limit(), Some(2));
    // On the command line.
    let dir = TempDir::new("import-eni");
    for (name, text) in &inputs {
        std::fs::write(dir.join(std::path::Path::new(name).file_name().unwrap().to_str().unwrap()), text).unwrap();
    }
    let out = dir.join("cluster.ron");
    let o = common::command()
        .arg("import")
        .arg(dir.to_path_buf())
        .args(["--task-eni-limit", "m7i.large=2", "-o"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().contains("taskEniLimit: 2"));
}

/// registeredAt is carried (a negative `registerAtMs`: before time 0, the capture): a drain plan's
/// query on it selects the instances ECS would, and the run describes each instance with the
/// `registeredAt` ECS gave it. An instance the capture gives none registers at time 0, noted.
#[test]
fn registered_at_is_carried_and_a_query_on_it_selects_as_in_ecs() {
    // The fixture's instances registered an hour apart, the newest at 2025-11-20T00:00:00Z.
    let oldest =
        ImportOptions { drain: DrainSelection::parse("registeredAt < 2025-11-19T22:00:00Z"), wave_size: 1, ..Default::default() };
    let imported = import(&fixture_inputs(), &oldest).expect("imports");
    assert!(!noted(&imported, "registeredAt"), "{:?}", imported.summary.notes);
    let drained = drained_instances(&imported);
    assert_eq!(drained, ["i-0a1c2e3f405a6b704", "i-0a1c2e3f405a6b705", "i-0a1c2e3f405a6b706"]);

    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let loaded = drainsim_scenario::load_str("cluster.ron", &text).expect("loads");
    let mut engine = drainsim_scenario::runner::setup_engine(&loaded, &Default::default()).expect("sets up");
    // 2025-11-19T22:00:00Z.
    assert_eq!(described_registered_at(&mut engine, &loaded.scenario.clusters[0], "i-0a1c2e3f405a6b703"), 1_763_589_600.0);

    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        v["containerInstances"][1].as_object_mut().unwrap().remove("registeredAt");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(
        noted(&imported, "instance i-0a1c2e3f405a6b702: no registeredAt in the capture: registered at time 0 (2025-"),
        "{:?}",
        imported.summary.notes
    );
}

/// A `registeredAt` with a fraction of a second keeps it to the millisecond, as the CLI's ISO 8601
/// (microseconds) or as the JSON protocol's epoch seconds: DescribeContainerInstances gives it
/// back, to the millisecond.
#[test]
fn a_registered_at_keeps_its_fraction_of_a_second() {
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        v["containerInstances"][2]["registeredAt"] = Value::String("2025-11-19T22:00:00.250000+00:00".into());
        v["containerInstances"][3]["registeredAt"] = serde_json::json!(1_763_589_599.875);
    });
    let after =
        ImportOptions { drain: DrainSelection::parse("registeredAt > 2025-11-19T22:00:00Z"), wave_size: 1, ..Default::default() };
    let imported = import(&inputs, &after).expect("imports");
    let group = |name: &str| imported.scenario.instances.iter().find(|g| g.name == name).expect("imported");
    // Against i-0a1c2e3f405a6b702, registered at 2025-11-19T23:00:00Z (time 0 is the capture,
    // the latest time the files mention).
    let from_702 = |name: &str| group(name).register_at_ms - group("i-0a1c2e3f405a6b702").register_at_ms;
    assert_eq!(from_702("i-0a1c2e3f405a6b703"), -3_600_000 + 250);
    assert_eq!(from_702("i-0a1c2e3f405a6b704"), -3_600_000 - 125);
    let drained = drained_instances(&imported);
    // A date compares at its own precision, here the second (ecs-choices.md § 8): i-0a1c2e3f405a6b703,
    // registered within that second, is not after it.
    assert_eq!(drained, ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702"]);

    let mut engine = engine_of(&imported);
    for (name, unix_seconds) in [("i-0a1c2e3f405a6b703", 1_763_589_600.25), ("i-0a1c2e3f405a6b704", 1_763_589_599.875)] {
        assert_eq!(described_registered_at(&mut engine, &imported.scenario.clusters[0], name), unix_seconds, "{name}");
    }
}

/// A captured `maximumPercent` is carried as ECS gives it, up to its type's bound (a 32-bit
/// Integer), as a scenario takes it: import capped it at 100,000, which `drainsim check` accepts
/// past.
#[test]
fn a_maximum_percent_far_above_200_imports() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        v["services"][0]["deploymentConfiguration"]["maximumPercent"] = serde_json::json!(150_000);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let max = imported.scenario.services[0].deployment_configuration.as_ref().and_then(|d| d.maximum_percent);
    assert_eq!(max, Some(150_000));
    engine_of(&imported);
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        v["services"][0]["deploymentConfiguration"]["maximumPercent"] = serde_json::json!(2_147_483_648_u64);
    });
    let e = import(&inputs, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("$.services[0].deploymentConfiguration.maximumPercent: 2147483648 is out of range"), "{e}");
    // A capture without it (DescribeServices always gives it: edited or cut) imports with ECS's
    // defaults, and says so (a helper's service imported at 100/200 silently).
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        v["services"][0].as_object_mut().unwrap().remove("deploymentConfiguration");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert_first_service_noted(
        &imported,
        "has no deploymentConfiguration in the capture: imported with ECS's defaults, minimumHealthyPercent 100 and \
         maximumPercent 200",
    );
}

/// The import noted `says` of its first service (`service NAME…`).
fn assert_first_service_noted(imported: &drainsim_scenario::import::Imported, says: &str) {
    let name = &imported.scenario.services[0].service_name;
    let separator = if says.starts_with(':') { "" } else { " " };
    assert!(noted(imported, &format!("service {name}{separator}{says}")), "{:?}", imported.summary.notes);
}

/// drainsim writes ARNs of the aws partition only: a capture of the China or GovCloud Regions is
/// refused at the first ARN read.
#[test]
fn another_partition_is_refused_at_the_first_arn() {
    let inputs: Vec<(String, String)> = fixture_inputs()
        .into_iter()
        .map(|(name, text)| (name, text.replace("arn:aws:", "arn:aws-cn:").replace("eu-west-1", "cn-north-1")))
        .collect();
    let e = import(&inputs, &ImportOptions::default()).expect_err("refused");
    assert!(e.file.ends_with("describe-clusters.json"), "{e}");
    assert_eq!(e.path, "$.clusters[0].clusterArn", "{e}");
    assert!(e.message.contains("an ARN of the aws-cn partition"), "{e}");
}

/// A Classic Load Balancer's health check and connection draining are not in the capture: the
/// service gets the Classic defaults (healthy after 10 checks 30 s apart), with a note.
#[test]
fn a_classic_load_balancer_service_is_noted_and_gets_the_classic_defaults() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        let web = &mut v["services"][0];
        assert_eq!(web["serviceName"], "web");
        web["loadBalancers"] =
            serde_json::json!([{"loadBalancerName": "legacy-elb", "containerName": "web", "containerPort": 8080}]);
        web["availabilityZoneRebalancing"] = serde_json::json!("ENABLED");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    // Rebalancing is not supported behind a Classic Load Balancer: a captured ENABLED is written
    // DISABLED, with a note, and the scenario sets up.
    assert!(
        noted(&imported, "service web: availabilityZoneRebalancing ENABLED written as DISABLED: Availability Zone rebalancing is not supported for a service that uses a Classic Load Balancer"),
        "{:?}",
        imported.summary.notes
    );
    engine_of(&imported);
    assert!(
        noted(
            &imported,
            "service web: the Classic Load Balancer legacy-elb's health check and connection draining are not captured"
        ),
        "{:?}",
        imported.summary.notes
    );
    let web = imported.scenario.services.iter().find(|s| s.service_name == "web").expect("web is imported");
    assert_eq!(web.load_balancers[0].load_balancer_name.as_deref(), Some("legacy-elb"));
    assert_eq!(web.availability_zone_rebalancing.as_deref(), Some("DISABLED"));
    assert!(web.target_group.is_none(), "no target group settings: the engine's Classic defaults apply");
}

/// The three-zones capture with its Auto Scaling outputs (tests/data/aws/asg: the groups, their
/// lifecycle hooks, a launch template's versions, the capacity provider of the Spot group and a
/// describe-clusters that lists it), as `drainsim import three-zones asg` reads them.
/// The capture without its services' events: its newest moment (time 0) is then the last task
/// start, 2025-11-27T00:15:00Z, not the last steady-state event, 2025-11-29T23:50:00Z.
fn without_service_events(inputs: Vec<(String, String)>) -> Vec<(String, String)> {
    edited(&inputs, "describe-services.json", |v| {
        for s in v["services"].as_array_mut().unwrap() {
            s["events"] = serde_json::json!([]);
        }
    })
}

fn asg_inputs() -> Vec<(String, String)> {
    read_inputs(&[PathBuf::from(FIXTURE), PathBuf::from("tests/data/aws/asg")]).expect("the fixtures read")
}

/// An instance refresh or a termination that takes an instance running a task no service owns
/// says so, as a drain plan does: the group terminates the instance with the task (its drain
/// never completes), unless a step stops it first. With SkipMatching, an instance the refresh
/// keeps gets no note.
#[test]
fn a_refresh_or_termination_of_an_instance_held_by_a_standalone_task_is_noted() {
    let held = "instance i-0a1c2e3f405a6b706, which the instance refresh of prod-ecs-m5 replaces, runs 1 task no service owns (task definition batch:2)";
    let refresh = ImportOptions { instance_refresh: Some("prod-ecs-m5".into()), ..Default::default() };
    let imported = import(&asg_inputs(), &refresh).expect("imports");
    let notes: Vec<&String> = imported.summary.notes.iter().filter(|n| n.contains("no service owns")).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with(held)
            && notes[0].contains("the group terminates the instance with it running")
            && notes[0].contains(
                r#"add a step StopTasksOn((cluster: "prod", instance: "i-0a1c2e3f405a6b706")) before the plan's first step"#
            ),
        "{}",
        notes[0]
    );
    let terminate = ImportOptions { terminate: vec!["i-0a1c2e3f405a6b706".into()], ..Default::default() };
    let imported = import(&asg_inputs(), &terminate).expect("imports");
    assert!(
        noted(&imported, "instance i-0a1c2e3f405a6b706, which --terminate terminates, runs 1 task no service owns"),
        "{:?}",
        imported.summary.notes
    );
    let elsewhere = ImportOptions { terminate: vec!["i-0a1c2e3f405a6b701".into()], ..Default::default() };
    assert!(!noted(&import(&asg_inputs(), &elsewhere).expect("imports"), "no service owns"));
    // With SkipMatching, the instances already on the group's launch template version are kept.
    let skip = ImportOptions { instance_refresh: Some("prod-ecs-m5".into()), skip_matching: true, ..Default::default() };
    let imported = import(&asg_inputs(), &skip).expect("imports");
    let group =
        imported.scenario.auto_scaling_groups.iter().find(|g| g.auto_scaling_group_name == "prod-ecs-m5").expect("imported");
    let kept_706 = group
        .instances
        .iter()
        .find(|m| m.instance_id == "i-0a1c2e3f405a6b706")
        .is_some_and(|m| m.launch_template.as_ref().is_none_or(|t| *t == group.launch_template));
    assert_eq!(noted(&imported, held), !kept_706, "{:?}", imported.summary.notes);
}

/// A refusal of an imported Auto Scaling group (an instance in two groups) is an error at the
/// group in the Auto Scaling file, not at the container instance that completes it; one of its
/// lifecycle hook (its `DefaultResult`) is an error at the hook in the hooks' file; one of what is
/// set up before any item (a cluster's capacity provider, an account default AWS manages) at
/// where it was read, not at the first file with "what the import derives itself".
#[test]
fn a_refused_group_is_an_error_at_the_group() {
    let inputs = asg_inputs();
    let with = |file: &str, edit: &dyn Fn(&mut Value)| refused_with(&inputs, file, edit);
    let e = with("describe-lifecycle-hooks.json", &|v| v["LifecycleHooks"][0]["DefaultResult"] = "abandon".into());
    assert!(
        e.contains(
            "describe-lifecycle-hooks.json: $.LifecycleHooks[0].DefaultResult: lifecycle hook 'drain-before-terminate' \
             DefaultResult 'abandon' must be CONTINUE or ABANDON"
        ),
        "{e}"
    );
    // The hook's HeartbeatTimeout is read within PutLifecycleHook's range, the one load's rule holds.
    let e = with("describe-lifecycle-hooks.json", &|v| v["LifecycleHooks"][0]["HeartbeatTimeout"] = 29.into());
    assert!(
        e.contains("describe-lifecycle-hooks.json: $.LifecycleHooks[0].HeartbeatTimeout: 29 is out of range (30 to 7200)"),
        "{e}"
    );
    let e = with("asg/describe-clusters.json", &|v| v["clusters"][0]["capacityProviders"][0] = "$Default".into());
    assert!(e.contains("asg/describe-clusters.json: $.clusters[0]: the imported cluster does not set up"), "{e}");
    assert!(e.contains("Capacity provider name '$Default' must be 1-255 letters"), "{e}");
    assert!(!e.contains("what the import derives itself"), "{e}");
    let e = with("list-account-settings.json", &|v| {
        let managed = v["settings"].as_array_mut().unwrap().iter_mut().find(|s| s["type"] == "aws_managed").unwrap();
        managed["name"] = "fooBar".into();
    });
    assert!(e.contains("list-account-settings.json: $.settings["), "{e}");
    assert!(
        e.contains(
            "].name: an account default AWS manages does not set up: InvalidParameterException: Invalid setting name 'fooBar'"
        ),
        "{e}"
    );
    // batch-c5 (the second group imported) lists one of prod-ecs-m5's instances too.
    let e = with("describe-auto-scaling-groups.json", &|v| {
        let taken = v["AutoScalingGroups"][0]["Instances"][0].clone();
        let batch =
            v["AutoScalingGroups"].as_array_mut().unwrap().iter_mut().find(|g| g["AutoScalingGroupName"] == "batch-c5").unwrap();
        batch["Instances"].as_array_mut().unwrap().push(taken);
    });
    assert!(e.contains("describe-auto-scaling-groups.json: $.AutoScalingGroups["), "{e}");
    assert!(e.contains("is already a member of 'prod-ecs-m5'"), "{e}");
    // A flag's error names the flag, with no JSON path, and quotes the name it was given.
    let opts = ImportOptions { instance_refresh: Some(String::new()), ..Default::default() };
    let e = import(&inputs, &opts).expect_err("refused").to_string();
    assert!(e.starts_with("--instance-refresh: '' is not an imported Auto Scaling group"), "{e}");
}

/// Each captured Auto Scaling group that holds imported instances becomes one of the scenario's
/// groups, adopting them by their EC2 instance IDs with their launch template versions and scale-in
/// protection; `$Latest` and `$Default` are resolved; the AMIs come from the launch template
/// versions or the members' `ImageId`; ECS's managed-draining hook and a launch hook are left out;
/// a Spot group's instances are Spot; the capacity provider over a group is imported with it; what
/// is left out is noted.
#[test]
fn auto_scaling_groups_are_imported_with_their_instances() {
    let imported = import(&asg_inputs(), &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    let names: Vec<&str> = s.auto_scaling_groups.iter().map(|g| g.auto_scaling_group_name.as_str()).collect();
    assert_eq!(names, ["prod-ecs-m5", "batch-c5"], "staging-ecs holds no instance of the cluster");
    assert_eq!(imported.summary.auto_scaling_groups, 2);
    assert!(imported.summary.to_string().starts_with("imported 6 container instances (2 Auto Scaling groups)"));
    let m5 = &s.auto_scaling_groups[0];
    let members: Vec<(&str, Option<&str>, bool)> = m5
        .instances
        .iter()
        .map(|i| (i.instance_id.as_str(), i.launch_template.as_ref().map(|t| t.version.as_str()), i.protected_from_scale_in))
        .collect();
    // Oldest first, by when their container instances registered (the capture lists 701, 702,
    // 703, 706; 706 registered first and 701 last).
    assert_eq!(
        members,
        [
            ("i-0a1c2e3f405a6b706", Some("3"), true),
            ("i-0a1c2e3f405a6b703", None, false),
            ("i-0a1c2e3f405a6b702", Some("3"), false),
            ("i-0a1c2e3f405a6b701", Some("3"), false),
        ]
    );
    assert_eq!((m5.min_size, m5.desired_capacity, m5.max_size), (3, 4, 8), "the Pending instance is not one");
    assert_eq!(m5.launch_template.version, "4", "$Latest is the newest described version");
    assert_eq!(
        m5.image_ids,
        BTreeMap::from([("3".into(), "ami-0old4ce5ee1a01234".into()), ("4".into(), "ami-0new7d2c8b3f45678".into())])
    );
    assert_eq!((m5.instance_type.as_str(), m5.cpu, m5.memory), ("m5.large", 2048, 7680));
    assert_eq!(m5.health_check_grace_period, 300);
    // What its members share, the instances it launches register too (not the AMI, nor a subnet).
    assert_eq!(m5.attributes.get("team").map(String::as_str), Some("payments"));
    assert_eq!(m5.attributes.get("ecs.vpc-id").map(String::as_str), Some("vpc-0a1b2c3d4e5f60718"));
    assert!(!m5.attributes.contains_key("ecs.ami-id") && !m5.attributes.contains_key("ecs.subnet-id"));
    let hooks: Vec<&str> = m5.lifecycle_hooks.iter().map(|h| h.lifecycle_hook_name.as_str()).collect();
    assert_eq!(hooks, ["drain-before-terminate"]);
    assert_eq!(m5.lifecycle_hooks[0].default_result, "CONTINUE");
    let batch = &s.auto_scaling_groups[1];
    assert_eq!(batch.launch_template.version, "1", "$Default from the members");
    assert!(batch.lifecycle_hooks.is_empty(), "ECS's managed-draining hook is the provider's managed draining");
    assert!(batch.spot.is_some());
    let spot: Vec<&str> = s.instances.iter().filter(|g| g.spot.is_some()).map(|g| g.name.as_str()).collect();
    assert_eq!(spot, ["i-0a1c2e3f405a6b704", "i-0a1c2e3f405a6b705"]);
    assert_eq!(s.capacity_providers.len(), 1);
    assert_eq!(s.capacity_providers[0].auto_scaling_group_provider.group_name(), "batch-c5");
    for note in [
        "Auto Scaling group staging-ecs left out",
        "i-0a1c2e3f405a6b799 Pending",
        "launch template prod-ecs version $Latest taken as version 4",
        "DesiredCapacity 5 captured, imported as 4",
        "lifecycle hook warm-up (autoscaling:EC2_INSTANCE_LAUNCHING) left out",
        "lifecycle hook drain-before-terminate is imported as one whose handler drains",
        "launch template batch-node version 1: its user data sets ECS_ENABLE_SPOT_INSTANCE_DRAINING=true",
    ] {
        assert!(noted(&imported, note), "{note}: {:?}", imported.summary.notes);
    }
    assert!(!noted(&imported, "managed scaling ENABLED, but"), "its group is imported: {:?}", imported.summary.notes);
    // The members registered before the capacity provider was associated have none (ECS gives
    // them none afterwards); with it, they keep it. Either sets up and runs.
    let with_provider = edited(&asg_inputs(), "describe-container-instances.json", |v| {
        for ci in v["containerInstances"].as_array_mut().unwrap() {
            if ci["ec2InstanceId"] == "i-0a1c2e3f405a6b704" || ci["ec2InstanceId"] == "i-0a1c2e3f405a6b705" {
                ci["capacityProviderName"] = serde_json::json!("batch-cp");
            }
        }
    });
    for imported in [imported, import(&with_provider, &ImportOptions::default()).expect("imports")] {
        let text = drainsim_scenario::write::to_ron(&imported.scenario);
        let loaded = drainsim_scenario::load_str("imported.ron", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
        assert_eq!(outcome.invariant_violation, None);
        assert_eq!(outcome.managed_scaling.len(), 1, "batch-cp's managed scaling runs");
    }
}

/// Standard base64 of `text`, as describe-launch-template-versions prints `UserData`.
fn base64_of(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (k, b)| n | u32::from(*b) << (16 - 8 * k));
        for k in 0..4 {
            out.push(if k <= chunk.len() { ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// The agent configuration of imported instances comes from the user data of the launch template
/// version each was launched from: `ECS_CONTAINER_STOP_TIMEOUT` of prod-ecs version 4 goes to its
/// member and to the instances the group launches, not to the members on version 3;
/// `ECS_ENABLE_SPOT_INSTANCE_DRAINING` of batch-node version 1 turns Spot Instance draining on for
/// the Spot group and its members. A value the agent would replace is imported as the agent reads
/// it, and what cannot be read is noted with what to do.
#[test]
fn agent_configuration_comes_from_the_launch_templates_user_data() {
    let imported = import(&asg_inputs(), &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    let stop_timeout = |name: &str| {
        let g = s.instances.iter().find(|g| g.name == name).expect("imported");
        g.agent_config.and_then(|c| c.ecs_container_stop_timeout).map(|t| t.seconds())
    };
    assert_eq!(stop_timeout("i-0a1c2e3f405a6b703"), Some(120), "launched from version 4");
    for on_version_3 in ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702", "i-0a1c2e3f405a6b706"] {
        assert_eq!(stop_timeout(on_version_3), None, "{on_version_3}");
    }
    let m5 = &s.auto_scaling_groups[0];
    assert_eq!(m5.agent_config.and_then(|c| c.ecs_container_stop_timeout).map(|t| t.seconds()), Some(120));
    let batch = &s.auto_scaling_groups[1];
    assert_eq!(batch.spot.as_ref().map(|spot| spot.spot_instance_draining), Some(true));
    let draining: Vec<bool> =
        s.instances.iter().filter_map(|g| g.spot.as_ref()).map(|spot| spot.spot_instance_draining).collect();
    assert_eq!(draining, [true, true]);
    assert!(noted(&imported, "launch template prod-ecs version 4: its user data sets ECS_CONTAINER_STOP_TIMEOUT=2m: the instances launched from it get agentConfig: (ECS_CONTAINER_STOP_TIMEOUT: \"120s\")"), "{:?}", imported.summary.notes);
    assert!(!noted(&imported, "not in the capture"), "every version the groups run is described");
    // The written scenario loads, sets up and runs with them.
    let loaded = drainsim_scenario::load_str("agents.ron", &drainsim_scenario::write::to_ron(s)).expect("loads");
    let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
    assert_eq!(outcome.invariant_violation, None);

    // Version 4's user data written otherwise: what the agent makes of it, and why.
    let with_v4 = |user_data: &str| {
        let user_data = user_data.to_string();
        let inputs = edited(&asg_inputs(), "describe-launch-template-versions.json", move |v| {
            v["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"] = Value::String(user_data);
        });
        import(&inputs, &ImportOptions::default()).expect("imports")
    };
    let group_timeout = |imported: &drainsim_scenario::import::Imported| {
        imported.scenario.auto_scaling_groups[0].agent_config.map(|c| c.ecs_container_stop_timeout.map(|t| t.seconds()))
    };
    for (script, timeout, note) in [
        (
            "echo ECS_CONTAINER_STOP_TIMEOUT=90 >> /etc/ecs/ecs.config\n",
            None,
            "not a duration the agent reads (a number needs a unit",
        ),
        (
            "echo ECS_CONTAINER_STOP_TIMEOUT=500ms >> /etc/ecs/ecs.config\n",
            Some(Some(1)),
            "the agent raises it to its minimum, 1s",
        ),
        (
            "echo ECS_CONTAINER_STOP_TIMEOUT=$STOP >> /etc/ecs/ecs.config\n",
            None,
            "from a shell variable ($STOP), which drainsim cannot read",
        ),
        ("echo ECS_CLUSTER=staging >> /etc/ecs/ecs.config\n", None, "would register in that cluster, not in prod"),
    ] {
        let imported = with_v4(&base64_of(script));
        assert_eq!(group_timeout(&imported), timeout, "{script}");
        assert!(noted(&imported, note), "{script}: {:?}", imported.summary.notes);
    }
    let gzipped = with_v4("H4sIAAAAAAAAAw==");
    assert_eq!(group_timeout(&gzipped), None);
    assert!(noted(&gzipped, "launch template prod-ecs version 4: its UserData is not read (it is gzip-compressed"));
    let not_base64 = with_v4("#!/bin/bash");
    assert!(
        noted(&not_base64, "its UserData is not read (it is not base64 (character 1 of UserData))"),
        "{:?}",
        not_base64.summary.notes
    );

    // The Spot group's template: a value that is no boolean leaves draining off; without the
    // template's versions in the capture, so does the group, with a note saying what to add.
    let spot_draining = |imported: &drainsim_scenario::import::Imported| {
        imported.scenario.auto_scaling_groups[1].spot.as_ref().map(|spot| spot.spot_instance_draining)
    };
    let yes = edited(&asg_inputs(), "template-batch-node.json", |v| {
        v["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"] =
            Value::String(base64_of("echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=yes >> /etc/ecs/ecs.config\n"));
    });
    let imported = import(&yes, &ImportOptions::default()).expect("imports");
    assert_eq!(spot_draining(&imported), Some(false));
    assert!(noted(&imported, "ECS_ENABLE_SPOT_INSTANCE_DRAINING=yes, which is not a boolean to the agent"));
    let undescribed = edited(&asg_inputs(), "template-batch-node.json", |v| v["LaunchTemplateVersions"] = serde_json::json!([]));
    let imported = import(&undescribed, &ImportOptions::default()).expect("imports");
    assert_eq!(spot_draining(&imported), Some(false));
    assert!(noted(&imported, "where the user data of their launch template version is not in the capture"));
}

/// A group's `MaxInstanceLifetime` is imported with it; one Auto Scaling would refuse (under a day)
/// is an error at its path. The written scenario replaces the member launched longest ago first.
#[test]
fn max_instance_lifetime_is_imported_with_its_group() {
    let inputs = edited(&without_service_events(asg_inputs()), "describe-auto-scaling-groups.json", |v| {
        assert_eq!(v["AutoScalingGroups"][0]["AutoScalingGroupName"], "prod-ecs-m5");
        v["AutoScalingGroups"][0]["MaxInstanceLifetime"] = serde_json::json!(604_800);
    });
    let inputs = edited(&inputs, "describe-instances.json", |v| {
        // i-…703 was launched 7 days less 10 minutes before the capture: due 10 minutes in.
        let instances = &mut v["Reservations"][0]["Instances"];
        assert_eq!(instances[2]["InstanceId"], "i-0a1c2e3f405a6b703");
        instances[2]["LaunchTime"] = serde_json::json!("2025-11-20T00:25:00+00:00");
        for k in [0, 1, 3] {
            instances[k]["LaunchTime"] = serde_json::json!("2025-11-26T00:00:00+00:00");
        }
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    assert_eq!(s.auto_scaling_groups[0].max_instance_lifetime, Some(604_800));
    assert_eq!(s.auto_scaling_groups[1].max_instance_lifetime, None);
    let written = drainsim_scenario::write::to_ron(s);
    assert!(written.contains("MaxInstanceLifetime: 604800"), "{written}");
    let mut loaded = drainsim_scenario::load_str("lifetime.ron", &written).expect("loads");
    loaded.scenario.end_time_ms = Some(3_600_000);
    let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
    assert_eq!(outcome.invariant_violation, None);
    let lifetime: Vec<(&str, u64)> = outcome
        .group_terminations
        .iter()
        .filter(|t| t.cause == drainsim_scenario::outcome::TerminationCause::MaxInstanceLifetime)
        .map(|t| (t.instance.as_str(), t.at_ms))
        .collect();
    assert_eq!(lifetime, [("i-0a1c2e3f405a6b703", 600_000)]);

    let under_a_day = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        v["AutoScalingGroups"][0]["MaxInstanceLifetime"] = serde_json::json!(3600);
    });
    let refused = import(&under_a_day, &ImportOptions::default()).expect_err("under a day");
    let text = refused.to_string();
    assert!(text.contains("MaxInstanceLifetime") && text.contains("at least 86400 seconds"), "{text}");
}

/// EC2's `LaunchTime` of each group member comes in as its `launchedAtMs`, in ms before the
/// capture (time 0), which the age-based termination policies read; a launch the capture's files
/// place after it counts as at it; a member `describe-instances` does not describe keeps none (time
/// 0). The written scenario reads back the same.
#[test]
fn group_members_keep_when_ec2_launched_them() {
    let inputs = edited(&without_service_events(asg_inputs()), "describe-instances.json", |v| {
        let instances = &mut v["Reservations"][0]["Instances"];
        assert_eq!(instances[0]["InstanceId"], "i-0a1c2e3f405a6b701");
        instances[0]["LaunchTime"] = serde_json::json!("2025-11-26T23:20:00+00:00");
        assert_eq!(instances[1]["InstanceId"], "i-0a1c2e3f405a6b702");
        instances[1]["LaunchTime"] = serde_json::json!("2025-11-28T00:00:00+00:00");
        assert_eq!(instances[2]["InstanceId"], "i-0a1c2e3f405a6b703");
        instances[2].as_object_mut().unwrap().remove("LaunchTime");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    assert_eq!(s.epoch_unix_seconds, Some(1_764_202_500), "the capture: 2025-11-27T00:15:00Z");
    let launched = |name: &str| s.instances.iter().find(|g| g.name == name).expect("imported").launched_at_ms;
    assert_eq!(launched("i-0a1c2e3f405a6b701"), Some(-55 * 60_000));
    assert_eq!(launched("i-0a1c2e3f405a6b702"), Some(0), "described as launched after the capture");
    assert_eq!(launched("i-0a1c2e3f405a6b703"), None);
    // 2025-11-20T10:05:00Z, 6 days 14 h 10 min before the capture.
    assert_eq!(launched("i-0a1c2e3f405a6b706"), Some(-(1_764_202_500 - 1_763_633_100) * 1000));
    assert_eq!(launched("i-0a1c2e3f405a6b704"), Some(-(1_764_202_500 - 1_763_633_100) * 1000), "a Spot group's member");
    let written = drainsim_scenario::write::to_ron(s);
    assert!(written.contains("launchedAtMs: -3300000"), "{written}");
    let loaded = drainsim_scenario::load_str("launched.ron", &written).expect("loads");
    let read: Vec<Option<i64>> = loaded.scenario.instances.iter().map(|g| g.launched_at_ms).collect();
    assert_eq!(read, s.instances.iter().map(|g| g.launched_at_ms).collect::<Vec<_>>());
}

/// A group only part of whose capacity is Spot (an `InstancesDistribution` with On-Demand base or
/// percentage) is imported as a Spot group with that distribution when `describe-instances` says
/// which of its instances are Spot (`InstanceLifecycle`); without it, as On-Demand, with a note
/// naming the command. Spot Instances in no imported group are Spot Instances without draining.
#[test]
fn partly_spot_groups_take_their_instances_lifecycle_from_describe_instances() {
    let mixed = |inputs: &[(String, String)]| {
        edited(inputs, "describe-auto-scaling-groups.json", |v| {
            let d = &mut v["AutoScalingGroups"][1]["MixedInstancesPolicy"]["InstancesDistribution"];
            d["OnDemandBaseCapacity"] = serde_json::json!(1);
        })
    };
    let inputs = edited(&mixed(&asg_inputs()), "describe-instances.json", |v| {
        let first = &mut v["Reservations"][1]["Instances"][0];
        assert_eq!(first["InstanceId"], "i-0a1c2e3f405a6b704");
        first.as_object_mut().unwrap().remove("InstanceLifecycle");
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    let batch = &s.auto_scaling_groups[1];
    assert_eq!(batch.spot.as_ref().map(|spot| spot.spot_instance_draining), Some(true));
    let d = batch.instances_distribution.expect("its distribution");
    assert_eq!((d.on_demand_base_capacity, d.on_demand_percentage_above_base_capacity), (1, 0));
    let spot_of = |name: &str| s.instances.iter().find(|g| g.name == name).and_then(|g| g.spot.clone());
    assert_eq!(spot_of("i-0a1c2e3f405a6b704"), None, "its On-Demand base");
    assert_eq!(spot_of("i-0a1c2e3f405a6b705").map(|spot| spot.spot_instance_draining), Some(true));
    assert!(noted(&imported, "1 of its 2 instances are Spot Instances (describe-instances)"), "{:?}", imported.summary.notes);
    // The written scenario takes a Spot interruption on the Spot member and refuses one on the
    // On-Demand member.
    let with_interruption = |instance: &str| {
        let mut s = s.clone();
        let fault = PinnedFaultKind::SpotInterruption(instance.to_string(), "terminate".to_string());
        s.faults = Some(FaultsSpec { pinned: vec![PinnedFaultSpec { at_ms: 60_000, fault }], ..Default::default() });
        drainsim_scenario::load_str("mixed.ron", &drainsim_scenario::write::to_ron(&s))
    };
    let loaded = with_interruption("i-0a1c2e3f405a6b705").expect("loads");
    let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
    assert_eq!(outcome.invariant_violation, None);
    let status = |name: &str| outcome.engine.instance_named(name).map(|i| i.status());
    assert_eq!(status("i-0a1c2e3f405a6b705"), Some(drainsim_core::InstanceStatus::Inactive));
    assert!(status("batch-c5-1").is_some(), "the group replaced it (its managed scaling scales it in once it idles)");
    let refused = with_interruption("i-0a1c2e3f405a6b704").expect_err("an On-Demand member");
    assert!(refused.to_string().contains("is not a Spot Instance"), "{refused}");

    // Without describe-instances nothing says which are Spot: On-Demand, and the note says what to add.
    let undescribed: Vec<(String, String)> =
        mixed(&asg_inputs()).into_iter().filter(|(n, _)| !n.ends_with("describe-instances.json")).collect();
    let imported = import(&undescribed, &ImportOptions::default()).expect("imports");
    assert!(imported.scenario.auto_scaling_groups[1].spot.is_none());
    assert!(noted(&imported, "add the output of aws ec2 describe-instances --instance-ids"));

    // Spot Instances outside any imported group stay Spot Instances.
    let no_batch_group = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        v["AutoScalingGroups"].as_array_mut().unwrap().remove(1);
    });
    let imported = import(&no_batch_group, &ImportOptions::default()).expect("imports");
    let lone: Vec<&str> = imported.scenario.instances.iter().filter(|g| g.spot.is_some()).map(|g| g.name.as_str()).collect();
    assert_eq!(lone, ["i-0a1c2e3f405a6b704", "i-0a1c2e3f405a6b705"]);
    assert!(noted(&imported, "described as Spot Instances outside any imported Auto Scaling group"));
}

/// `CapacityRebalance` is imported for a Spot group (the fixture's `batch-c5`), and left out, with
/// a note, for a group imported On-Demand. The imported Spot group acts on a rebalance
/// recommendation: it launches a replacement, and its capacity provider's managed draining drains
/// the at-risk instance before the group terminates it.
#[test]
fn capacity_rebalancing_is_imported_for_spot_groups() {
    let inputs = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        assert_eq!(v["AutoScalingGroups"][0]["AutoScalingGroupName"], "prod-ecs-m5");
        v["AutoScalingGroups"][0]["CapacityRebalance"] = serde_json::json!(true);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let s = &imported.scenario;
    let rebalancing: Vec<(&str, bool)> =
        s.auto_scaling_groups.iter().map(|g| (g.auto_scaling_group_name.as_str(), g.capacity_rebalance)).collect();
    assert_eq!(rebalancing, [("prod-ecs-m5", false), ("batch-c5", true)]);
    assert!(
        noted(&imported, "Auto Scaling group prod-ecs-m5: CapacityRebalance left out: the group is imported On-Demand"),
        "{:?}",
        imported.summary.notes
    );
    assert!(!imported.summary.to_string().contains("CapacityRebalance (x"), "read, not skipped");

    let mut s = s.clone();
    let fault = PinnedFaultKind::SpotRebalanceRecommendation("i-0a1c2e3f405a6b705".to_string());
    s.faults = Some(FaultsSpec { pinned: vec![PinnedFaultSpec { at_ms: 60_000, fault }], ..Default::default() });
    let loaded = drainsim_scenario::load_str("rebalance.ron", &drainsim_scenario::write::to_ron(&s)).expect("loads");
    let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
    assert_eq!(outcome.invariant_violation, None);
    let at_risk = outcome.engine.instance_named("i-0a1c2e3f405a6b705").expect("known");
    assert_eq!(at_risk.status(), drainsim_core::InstanceStatus::Inactive, "the group terminated it");
    assert!(at_risk.drain().completed_at_ms().is_some(), "drained first, by managed draining");
    assert_eq!(outcome.engine.spot_interruptions(), 0, "EC2 never interrupted it");
    assert!(outcome.engine.instance_named("batch-c5-1").is_some(), "the group launched a replacement");
    // Launched at the recommendation (60 s), registered a minute later (`launchToRegisterMs`), and
    // past the group's health check grace period the at-risk instance's termination begins.
    let grace_ms = u64::from(s.auto_scaling_groups[1].health_check_grace_period) * 1000;
    assert_eq!(at_risk.drain().started_at_ms(), Some(120_000 + grace_ms));
}

/// A group's `InstanceMaintenancePolicy` and `DefaultInstanceWarmup` are imported (the API's -1
/// clears them: none), and a refresh of the imported group without percentages keeps the policy's.
#[test]
fn the_instance_maintenance_policy_and_default_warmup_are_imported() {
    let with = |min: i64, max: i64, warmup: i64| {
        edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
            let g = &mut v["AutoScalingGroups"][0];
            assert_eq!(g["AutoScalingGroupName"], "prod-ecs-m5");
            g["InstanceMaintenancePolicy"] = serde_json::json!({"MinHealthyPercentage": min, "MaxHealthyPercentage": max});
            g["DefaultInstanceWarmup"] = serde_json::json!(warmup);
        })
    };
    let imported = import(&with(100, 110, 120), &ImportOptions::default()).expect("imports");
    let m5 = &imported.scenario.auto_scaling_groups[0];
    let policy = m5.instance_maintenance_policy.expect("imported");
    assert_eq!((policy.min_healthy_percentage, policy.max_healthy_percentage), (100, 110));
    assert_eq!(m5.default_instance_warmup, Some(120));
    let bare = drainsim_scenario::format::RefreshPreferencesSpec::default();
    assert_eq!(m5.refresh_healthy_percentages(&bare), (100, 110));
    assert_eq!(m5.refresh_warmup_s(&bare), 120, "before the group's HealthCheckGracePeriod of 300");
    let cleared = import(&with(-1, -1, -1), &ImportOptions::default()).expect("imports");
    let m5 = &cleared.scenario.auto_scaling_groups[0];
    assert_eq!((m5.instance_maintenance_policy, m5.default_instance_warmup), (None, None));
    assert_eq!(m5.refresh_healthy_percentages(&bare), (90, 100));
    assert_eq!(m5.refresh_warmup_s(&bare), 300);
    // A policy the API would not take is an error that names its place.
    let error = import(&with(50, 200, 0), &ImportOptions::default()).expect_err("more than 100 apart");
    let text = error.to_string();
    assert!(text.contains("AutoScalingGroups[0].InstanceMaintenancePolicy") && text.contains("at most 100 apart"), "{text}");
}

/// A group's `TerminationPolicies` are imported (`["Default"]`, the fixture's, is the default and
/// written as none); a list with a custom Lambda policy is left out with a note.
#[test]
fn termination_policies_are_imported() {
    let with = |policies: serde_json::Value| {
        edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
            v["AutoScalingGroups"][0]["TerminationPolicies"] = policies.clone();
        })
    };
    let plain = import(&asg_inputs(), &ImportOptions::default()).expect("imports");
    assert!(plain.scenario.auto_scaling_groups[0].termination_policies.is_empty());
    assert!(!plain.summary.to_string().contains("TerminationPolicies (x"), "read, not skipped");
    let listed =
        import(&with(serde_json::json!(["OldestLaunchTemplate", "OldestInstance"])), &ImportOptions::default()).expect("imports");
    assert_eq!(listed.scenario.auto_scaling_groups[0].termination_policies, ["OldestLaunchTemplate", "OldestInstance"]);
    let custom = import(
        &with(serde_json::json!(["arn:aws:lambda:eu-west-1:111122223333:function:pick:prod", "OldestInstance"])),
        &ImportOptions::default(),
    )
    .expect("imports");
    assert!(custom.scenario.auto_scaling_groups[0].termination_policies.is_empty());
    assert!(noted(&custom, "TerminationPolicies arn:aws:lambda"), "{:?}", custom.summary.notes);
}

/// `--instance-refresh GROUP` plans a refresh of the imported group to its launch template: with
/// `--skip-matching` it replaces the members on version 3 and keeps the one on version 4. The
/// captured member protected from scale in holds it, as Auto Scaling's default
/// `ScaleInProtectedInstances: Wait` does, until it fails an hour later; without the protection it
/// completes.
#[test]
fn an_instance_refresh_plan_of_an_imported_group() {
    let opts = ImportOptions { instance_refresh: Some("prod-ecs-m5".into()), skip_matching: true, ..Default::default() };
    let refresh = |inputs: &[(String, String)]| {
        let imported = import(inputs, &opts).expect("imports");
        let loaded =
            drainsim_scenario::load_str("plan.ron", &drainsim_scenario::write::to_ron(&imported.scenario)).expect("loads");
        let outcome = drainsim_scenario::run(&loaded, &RunOptions::default()).expect("runs");
        let status = |name: &str| outcome.engine.instance_named(name).map(|i| i.status());
        let r = &outcome.instance_refreshes[0];
        let replaced: Vec<&str> = ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702", "i-0a1c2e3f405a6b703", "i-0a1c2e3f405a6b706"]
            .into_iter()
            .filter(|n| status(n) == Some(drainsim_core::InstanceStatus::Inactive))
            .collect();
        (r.status.clone(), replaced, outcome.passed())
    };
    let (status, replaced, passed) = refresh(&asg_inputs());
    assert_eq!(status, "Failed");
    assert_eq!(replaced, ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702"]);
    assert!(!passed, "the plan expects a Successful refresh");
    let unprotected = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        for i in v["AutoScalingGroups"][0]["Instances"].as_array_mut().unwrap() {
            i["ProtectedFromScaleIn"] = serde_json::json!(false);
        }
    });
    let (status, replaced, passed) = refresh(&unprotected);
    assert_eq!(status, "Successful");
    assert_eq!(replaced, ["i-0a1c2e3f405a6b701", "i-0a1c2e3f405a6b702", "i-0a1c2e3f405a6b706"]);
    assert!(passed);
}

/// What an Auto Scaling import cannot do is an error naming the place: a refresh of a group that
/// was not imported (with a suggestion), a refresh beside a drain plan, and a group whose launch
/// template version has no AMI in the capture (naming the command that captures it).
#[test]
fn auto_scaling_import_errors_name_the_place() {
    let refuse = |inputs: &[(String, String)], opts: &ImportOptions| import(inputs, opts).expect_err("refused").to_string();
    let unknown = ImportOptions { instance_refresh: Some("prod-ecs-m4".into()), ..Default::default() };
    let err = refuse(&asg_inputs(), &unknown);
    assert!(err.contains("--instance-refresh") && err.contains("did you mean 'prod-ecs-m5'"), "{err}");
    let err = refuse(&fixture_inputs(), &unknown);
    assert!(err.contains("none was: add the output of aws autoscaling describe-auto-scaling-groups"), "{err}");
    let both = ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b701"), ..unknown.clone() };
    assert!(refuse(&asg_inputs(), &both).contains("one plan per import"));
    let skip_alone = ImportOptions { skip_matching: true, ..Default::default() };
    assert!(refuse(&asg_inputs(), &skip_alone).contains("--skip-matching is a preference of --instance-refresh"));
    let unrun = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        v["AutoScalingGroups"][0]["LaunchTemplate"]["Version"] = serde_json::json!("7");
    });
    let err = refuse(&unrun, &ImportOptions::default());
    assert!(err.contains("describe-auto-scaling-groups.json: $.AutoScalingGroups[0]"), "{err}");
    assert!(err.contains("aws ec2 describe-launch-template-versions --launch-template-name prod-ecs --versions 7"), "{err}");
}

/// The command line plans an instance refresh of an imported group; the run reports it Failed on
/// the protected instance (exit 1: the plan's expectation fails). `--skip-matching` alone, and
/// with `--drain`, are refused as flags.
#[test]
fn the_command_line_plans_an_instance_refresh() {
    let dir = TempDir::new("import-refresh");
    let out = dir.join("refresh.ron");
    let import = common::command()
        .args(["import", FIXTURE, "tests/data/aws/asg", "--instance-refresh", "prod-ecs-m5", "--skip-matching", "-o"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(import.status.code(), Some(0), "{}", String::from_utf8_lossy(&import.stderr));
    assert!(String::from_utf8_lossy(&import.stderr).contains("(2 Auto Scaling groups)"));
    let run = common::drainsim(&["run", out.to_str().expect("a UTF-8 temp path"), "--timeline", "none"]);
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(text.contains("Failed at 66%: instances protected from scale in were not unprotected within an hour"), "{text}");
    for args in [
        vec!["import", FIXTURE, "--skip-matching"],
        vec!["import", FIXTURE, "--instance-refresh", "g", "--drain", "i-0a1c2e3f405a6b701"],
    ] {
        let o = common::drainsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

/// A group's `NewInstancesProtectedFromScaleIn` is carried; under a capacity provider with managed
/// termination protection it is written on (as CreateCapacityProvider requires), with a note, when
/// the capture has it off (turned off after the provider was created).
#[test]
fn new_instances_protected_from_scale_in_is_carried() {
    let protects = |imported: &drainsim_scenario::import::Imported, group: &str| {
        imported
            .scenario
            .auto_scaling_groups
            .iter()
            .find(|g| g.auto_scaling_group_name == group)
            .map(|g| g.new_instances_protected_from_scale_in)
    };
    let imported = import(&asg_inputs(), &ImportOptions::default()).expect("imports");
    assert_eq!((protects(&imported, "prod-ecs-m5"), protects(&imported, "batch-c5")), (Some(false), Some(true)));
    assert!(
        !imported.summary.notes.iter().any(|n| n.contains("NewInstancesProtectedFromScaleIn")),
        "{:?}",
        imported.summary.notes
    );
    let inputs = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        let batch =
            v["AutoScalingGroups"].as_array_mut().unwrap().iter_mut().find(|g| g["AutoScalingGroupName"] == "batch-c5").unwrap();
        batch["NewInstancesProtectedFromScaleIn"] = false.into();
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert_eq!(protects(&imported, "batch-c5"), Some(true));
    let note = imported.summary.notes.iter().find(|n| n.contains("NewInstancesProtectedFromScaleIn")).expect("noted");
    assert!(note.contains("batch-c5") && note.contains("batch-cp"), "{note}");
}

/// `--terminate` plans a TerminateInstanceInAutoScalingGroup of each instance, all at time 0, then
/// the run until quiet; each group replaces its instance (`--decrement`: not). An instance of no
/// imported group, one named twice, a decrement below `MinSize` and a second plan are refused.
#[test]
fn a_termination_plan_terminates_through_the_groups() {
    let (spot, m5) = ("i-0a1c2e3f405a6b705", "i-0a1c2e3f405a6b701");
    let opts = ImportOptions { terminate: vec![spot.into(), m5.into()], ..Default::default() };
    let imported = import(&asg_inputs(), &opts).expect("imports");
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    let loaded = drainsim_scenario::load_str("terminate.ron", &text).expect("loads");
    let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
    let e = &outcome.engine;
    // Each is replaced (batch-c5's managed scaling later scales its idle group in, the
    // replacement with it).
    for (gone, replacement) in [(spot, "batch-c5-1"), (m5, "prod-ecs-m5-1")] {
        assert_eq!(e.instance_named(gone).map(|i| i.status().as_str()), Some("INACTIVE"), "{gone}");
        assert!(e.instance_named(replacement).is_some(), "{replacement} registered");
    }
    assert_eq!(e.instance_named("prod-ecs-m5-1").map(|i| i.status().as_str()), Some("ACTIVE"));
    assert!(outcome.expectations.iter().all(|r| r.passed), "{:?}", outcome.expectations);
    // With --decrement nothing replaces them.
    let opts = ImportOptions { terminate: vec![spot.into()], decrement: true, ..Default::default() };
    let imported = import(&asg_inputs(), &opts).expect("imports");
    let loaded = drainsim_scenario::load_str("decrement.ron", &drainsim_scenario::write::to_ron(&imported.scenario)).unwrap();
    let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.engine.instance_named("batch-c5-1").is_none(), "no replacement");
    let refused = |opts: ImportOptions| import(&asg_inputs(), &opts).expect_err("refused").to_string();
    let e = refused(ImportOptions { terminate: vec!["i-0000000000000000f".into()], ..Default::default() });
    assert_eq!(e, "--terminate: i-0000000000000000f is not an instance of an imported Auto Scaling group");
    let e = refused(ImportOptions { terminate: vec![spot.into(), spot.into()], ..Default::default() });
    assert_eq!(e, format!("--terminate: {spot} is named twice"));
    // prod-ecs-m5 holds 4 with MinSize 3: one may go without replacement, not two.
    let two = vec![m5.to_string(), "i-0a1c2e3f405a6b702".to_string()];
    let e = refused(ImportOptions { terminate: two, decrement: true, ..Default::default() });
    assert_eq!(
        e,
        "--decrement: terminating 2 instance(s) of prod-ecs-m5 without replacement would take its desired capacity 4 below its MinSize 3"
    );
    let e =
        refused(ImportOptions { terminate: vec![spot.into()], instance_refresh: Some("batch-c5".into()), ..Default::default() });
    assert!(e.contains("one plan per import"), "{e}");
    // A member already past its group's MaxInstanceLifetime is the group's to replace from the
    // start of the run: a request naming it would find it terminating.
    let lifetime = edited(&asg_inputs(), "describe-auto-scaling-groups.json", |v| {
        let m5 = v["AutoScalingGroups"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|g| g["AutoScalingGroupName"] == "prod-ecs-m5")
            .unwrap();
        m5["MaxInstanceLifetime"] = 86_400.into();
    });
    let e = import(&lifetime, &ImportOptions { terminate: vec!["i-0a1c2e3f405a6b703".into()], ..Default::default() })
        .expect_err("refused")
        .to_string();
    assert!(
        e.starts_with("--terminate: i-0a1c2e3f405a6b703 has been in service longer than the MaxInstanceLifetime of prod-ecs-m5"),
        "{e}"
    );
}

/// A capture that is not one whole cluster is refused at the place that shows it, not imported
/// as a wrong cluster: a task described twice (overlapping describe-tasks outputs), an output of
/// another Region or account (two captures of clusters named alike in one directory), a file
/// holding two commands' outputs (`jq -s add`), and one page of a paginated output. What ECS
/// could not describe (`failures`) is noted.
#[test]
fn a_capture_that_is_not_one_whole_cluster_is_refused_where_it_shows() {
    let inputs = fixture_inputs();
    let e = refused_with(&inputs, "describe-tasks.json", &|v| {
        let first = v["tasks"][0].clone();
        v["tasks"].as_array_mut().unwrap().push(first);
    });
    assert!(e.contains("describe-tasks.json: $.tasks[15].taskArn") && e.contains("appears twice"), "{e}");
    // A task definition revision described twice: alike, it is one revision; differently, the
    // capture mixes in a file from elsewhere (its tasks' reservation cannot be told).
    let mut twice = inputs.clone();
    let web = twice.iter().find(|(n, _)| n.ends_with("task-definition-web.json")).expect("fixture file").clone();
    twice.push(("task-definition-web-again.json".to_string(), web.1.clone()));
    let alike = import(&twice, &ImportOptions::default()).expect("the same revision described twice is one revision");
    let plain = import(&inputs, &ImportOptions::default()).expect("the fixture imports");
    // The same scenario but for the count of files read, in its description.
    let files = |n: usize| format!("from {n} AWS CLI output files");
    assert_eq!(
        drainsim_scenario::write::to_ron(&alike.scenario).replace(&files(inputs.len() + 1), &files(inputs.len())),
        drainsim_scenario::write::to_ron(&plain.scenario)
    );
    let mut differing: Value = serde_json::from_str(&web.1).unwrap();
    differing["taskDefinition"]["containerDefinitions"][0]["cpu"] = serde_json::json!(1024);
    twice.last_mut().unwrap().1 = differing.to_string();
    let e = import(&twice, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(
        e.contains("task-definition-web-again.json: $.taskDefinition.taskDefinitionArn: task definition web:")
            && e.contains("is described twice, differently (first at")
            && e.contains("task-definition-web.json: $.taskDefinition)"),
        "{e}"
    );
    let e = refused_with(&inputs, "describe-tasks.json", &|v| {
        let arn = v["tasks"][1]["clusterArn"].as_str().unwrap().replace("eu-west-1", "us-east-1");
        v["tasks"][1]["clusterArn"] = Value::String(arn);
    });
    assert!(
        e.contains("$.tasks[1].clusterArn") && e.contains("Region us-east-1") && e.contains("import one cluster at a time"),
        "{e}"
    );
    // Two cluster names, one of them empty: each is quoted, so the empty one shows.
    let e = refused_with(&inputs, "describe-clusters.json", &|v| v["clusters"][0]["clusterName"] = Value::String(String::new()));
    assert!(e.contains("$.services[0].clusterArn: cluster 'prod', where "), "{e}");
    assert!(e.contains("describe-clusters.json: $.clusters[0].clusterName names cluster '': "), "{e}");
    assert!(e.contains("the files describe 2 clusters ('', 'prod'); import one cluster at a time"), "{e}");
    let e = refused_with(&inputs, "describe-tasks.json", &|v| v["containerInstances"] = serde_json::json!([]));
    assert!(e.contains("describe-tasks.json: $: holds the outputs of two commands"), "{e}");
    // A describe-container-instances batch not run: its instances' tasks are not left out as if
    // the import had dropped the instance, which would start their services below their floors.
    let e = refused_with(&inputs, "describe-container-instances.json", &|v| {
        v["containerInstances"].as_array_mut().unwrap().remove(0);
    });
    assert!(e.contains(".containerInstanceArn: container instance 5f1d6a0c3e8b4d2a9c7e1b3f5a7d9c01 was not described"), "{e}");
    let e = refused_with(&inputs, "describe-services.json", &|v| v["nextToken"] = Value::String("eyJ2IjoxfQ==".into()));
    assert!(e.contains("describe-services.json: $.nextToken") && e.contains("one page of several"), "{e}");
    let failed = edited(&inputs, "describe-tasks.json", |v| {
        v["failures"] =
            serde_json::json!([{"arn": "arn:aws:ecs:eu-west-1:111122223333:task/prod/0badc0de", "reason": "MISSING"}]);
    });
    let imported = import(&failed, &ImportOptions::default()).expect("imports");
    assert!(
        noted(&imported, "did not describe arn:aws:ecs:eu-west-1:111122223333:task/prod/0badc0de (MISSING)"),
        "{:?}",
        imported.summary.notes
    );
}

/// Time 0 is the latest timestamp the files mention, a service's events and deployments included:
/// a quiet cluster's newest moment is often its last steady-state event, hours or days after the
/// last task started, and every age the import derives (`registerAtMs`, when a maximum instance
/// lifetime makes a member due) counts from it.
#[test]
fn time_zero_counts_a_services_events_and_deployments() {
    let inputs = fixture_inputs();
    let before = import(&inputs, &ImportOptions::default()).expect("imports");
    let later = |at: &str| {
        edited(&inputs, "describe-services.json", |v| {
            let event =
                serde_json::json!({"id": "late", "createdAt": at, "message": "(service web) has reached a steady state."});
            v["services"][0]["events"].as_array_mut().unwrap().push(event);
        })
    };
    // A day after everything else the fixture mentions.
    let day_after = import(&later("2025-12-01T00:00:00.000000+00:00"), &ImportOptions::default()).expect("imports");
    let shift = |a: &drainsim_scenario::import::Imported, b: &drainsim_scenario::import::Imported| -> Vec<i64> {
        a.scenario.instances.iter().zip(&b.scenario.instances).map(|(x, y)| x.register_at_ms - y.register_at_ms).collect()
    };
    let shifts = shift(&before, &day_after);
    assert!(!shifts.is_empty() && shifts.iter().all(|d| *d == shifts[0] && *d > 0), "{shifts:?}");
    // An instance's health check, updated by its agent every few minutes, is dated too.
    let checked = edited(&inputs, "describe-container-instances.json", |v| {
        v["containerInstances"][0]["healthStatus"] = serde_json::json!({
            "overallStatus": "OK",
            "details": [{"type": "CONTAINER_RUNTIME", "status": "OK", "lastUpdated": "2025-12-01T00:00:00.000000+00:00",
                         "lastStatusChange": "2025-11-01T00:00:00.000000+00:00"}]
        });
    });
    let checked = import(&checked, &ImportOptions::default()).expect("imports");
    assert_eq!(shift(&before, &checked), shifts, "the health check's lastUpdated is the newest moment");
    // An event older than the capture's newest moment changes nothing.
    let old = import(&later("2025-11-01T00:00:00.000000+00:00"), &ImportOptions::default()).expect("imports");
    assert!(shift(&before, &old).iter().all(|d| *d == 0));
}

/// A drain plan over members of an Auto Scaling group whose capacity provider has managed scaling
/// says the group may scale them in before the plan deregisters them (which ECS then refuses as
/// inactive, failing the plan), and how to retire them through the group; members of a group
/// without managed scaling get no such note.
#[test]
fn a_drain_plan_over_a_managed_scaling_group_is_noted() {
    let opts = ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b704"), ..Default::default() };
    let imported = import(&asg_inputs(), &opts).expect("imports");
    assert!(
        noted(
            &imported,
            "1 drained instance(s) (i-0a1c2e3f405a6b704) are members of Auto Scaling group batch-c5, whose capacity provider \
             batch-cp has managed scaling"
        ),
        "{:?}",
        imported.summary.notes
    );
    let elsewhere = ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b701"), ..Default::default() };
    assert!(!noted(&import(&asg_inputs(), &elsewhere).expect("imports"), "has managed scaling"));
}

/// A service captured with `availabilityZoneRebalancing` ENABLED where the guide says
/// rebalancing is not supported (here `maximumPercent` 100) is written DISABLED, with a note: the
/// import refused the whole capture (CreateService refuses ENABLED for such a service).
#[test]
fn rebalancing_a_service_cannot_do_is_written_disabled_with_a_note() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        let s = &mut v["services"][0];
        s["availabilityZoneRebalancing"] = serde_json::json!("ENABLED");
        s["deploymentConfiguration"]["maximumPercent"] = serde_json::json!(100);
        s["deploymentConfiguration"]["minimumHealthyPercent"] = serde_json::json!(50);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    assert_first_service_noted(
        &imported,
        ": availabilityZoneRebalancing ENABLED written as DISABLED: Availability Zone rebalancing is not supported \
         when maximumPercent is 100",
    );
    assert_eq!(imported.scenario.services[0].availability_zone_rebalancing.as_deref(), Some("DISABLED"));
    engine_of(&imported);
}

/// A standalone task that RunTask gave its own size (`overrides.cpu`, `overrides.memory`, which ECS
/// reports as the task's `cpu` and `memory`: <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskOverride.html>)
/// is written with that override, noted, and reserves it: its instance's room is the captured
/// `remainingResources`, not its task definition's size more. A size RunTask would refuse is
/// refused at the task.
#[test]
fn a_standalone_task_with_an_override_keeps_its_size() {
    // batch:2 is 1,024 units and 2,048 MiB; its task ran with 1,536 and 4,096, and its instance
    // has 512 units and 2,048 MiB less left.
    let inputs = edited(&fixture_inputs(), "describe-tasks.json", |v| {
        let task = &mut v["tasks"][14];
        assert_eq!(task["group"], "family:batch");
        task["cpu"] = "1536".into();
        task["memory"] = "4096".into();
        task["overrides"]["cpu"] = "1536".into();
        task["overrides"]["memory"] = "4096".into();
    });
    let inputs = edited(&inputs, "describe-container-instances.json", |v| {
        for r in v["containerInstances"][5]["remainingResources"].as_array_mut().unwrap() {
            match r["name"].as_str() {
                Some("CPU") => r["integerValue"] = (640 - 512).into(),
                Some("MEMORY") => r["integerValue"] = (4992 - 2048).into(),
                _ => {}
            }
        }
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let batch: Vec<_> = imported.scenario.running_tasks.iter().filter(|t| t.task_definition == "batch:2").collect();
    assert_eq!(batch.len(), 1);
    assert_eq!(
        batch[0].overrides,
        Some(drainsim_core::api::TaskOverride { cpu: Some("1536".into()), memory: Some("4096".into()) })
    );
    assert!(imported.scenario.running_tasks.iter().filter(|t| t.service.is_some()).all(|t| t.overrides.is_none()));
    assert!(noted(&imported, "standalone task"), "{:?}", imported.summary.notes);
    assert!(noted(&imported, "(batch:2, cpu 1536, memory 4096) runs with a size other than its task definition's"));
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    assert!(text.contains(r#"overrides: (cpu: "1536", memory: "4096")"#), "{text}");
    let engine = engine_of(&imported);
    let captured: Value =
        serde_json::from_str(&inputs.iter().find(|(n, _)| n.ends_with("describe-container-instances.json")).unwrap().1).unwrap();
    for ci in captured["containerInstances"].as_array().unwrap() {
        let name = ci["ec2InstanceId"].as_str().unwrap();
        let described = serde_json::to_value(engine.instance_named(name).expect("imported").describe()).unwrap();
        assert_eq!(instance_state(&described), instance_state(ci), "{name}: the room ECS reported");
    }
    // The container overrides are not modelled: listed as skipped; the size is read.
    let skipped: Vec<&str> = imported.summary.skipped_fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(skipped.contains(&"describe-tasks $.tasks[].overrides.containerOverrides"), "{skipped:?}");
    assert!(!skipped.iter().any(|f| f.ends_with(".cpu") || f.ends_with(".memory")), "{skipped:?}");
    // The fixture as captured: no override written, no note.
    let plain = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    assert!(plain.scenario.running_tasks.iter().all(|t| t.overrides.is_none()));
    assert!(!noted(&plain, "RunTask override"));
    // A size a task definition could not have is refused at the task, as RunTask refuses it.
    let err = refused_with(&fixture_inputs(), "describe-tasks.json", &|v| v["tasks"][14]["memory"] = "1024".into());
    assert!(
        err.contains("$.tasks[14]") && err.contains("The containers reserve 2048 MiB of memory, more than the task's 1024 MiB"),
        "{err}"
    );
}

/// The note of instances captured with their agent disconnected speaks of one instance as "it"
/// and of several as "they", all through the sentence.
#[test]
fn the_disconnected_agent_note_agrees_in_number() {
    let one = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        v["containerInstances"][2]["agentConnected"] = false.into();
    });
    let imported = import(&one, &ImportOptions::default()).expect("imports");
    let note = imported.summary.notes.iter().find(|n| n.contains("agentConnected false")).expect("noted");
    assert_eq!(
        note,
        "instance i-0a1c2e3f405a6b703: agentConnected false in the capture, imported with its agent disconnected from \
         time 0 (faults.pinned AgentDisconnect): it takes no placements, and a drain of it stops no task until an \
         AgentReconnect the scenario does not have"
    );
    let two = edited(&one, "describe-container-instances.json", |v| v["containerInstances"][3]["agentConnected"] = false.into());
    let imported = import(&two, &ImportOptions::default()).expect("imports");
    let note = imported.summary.notes.iter().find(|n| n.contains("agentConnected false")).expect("noted");
    assert_eq!(
        note,
        "instances i-0a1c2e3f405a6b703, i-0a1c2e3f405a6b704: agentConnected false in the capture, imported with their \
         agent disconnected from time 0 (faults.pinned AgentDisconnect): they take no placements, and a drain of them \
         stops no task until an AgentReconnect the scenario does not have"
    );
}

/// A group's `InstanceLifecyclePolicy` that retains an instance whose termination lifecycle hook
/// is abandoned or times out (`RetentionTriggers.TerminateHookAbandon: retain`,
/// <https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-lifecycle-policy.html>) is not
/// modelled: the import says so, and what drainsim does instead, rather than listing it among the
/// skipped fields only. `terminate`, what drainsim does, is read without a note.
#[test]
fn a_retaining_instance_lifecycle_policy_is_noted_as_not_modelled() {
    let with_policy = |action: &'static str| {
        let mut inputs = asg_inputs();
        let entry =
            inputs.iter_mut().find(|(_, text)| text.contains("\"AutoScalingGroups\"")).expect("the fixture describes its groups");
        let mut v: Value = serde_json::from_str(&entry.1).unwrap();
        v["AutoScalingGroups"][0]["InstanceLifecyclePolicy"] =
            serde_json::json!({"RetentionTriggers": {"TerminateHookAbandon": action}});
        entry.1 = v.to_string();
        let name = v["AutoScalingGroups"][0]["AutoScalingGroupName"].as_str().unwrap().to_string();
        (import(&inputs, &ImportOptions::default()).expect("imports"), name)
    };
    let (retained, name) = with_policy("retain");
    let note = format!(
        "Auto Scaling group {name}: InstanceLifecyclePolicy RetentionTriggers.TerminateHookAbandon retain is not modelled"
    );
    assert!(noted(&retained, &note), "{:?}", retained.summary.notes);
    assert!(noted(&retained, "drainsim terminates such an instance when its hook times out"));
    let skipped: Vec<&str> = retained.summary.skipped_fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(!skipped.iter().any(|f| f.contains("InstanceLifecyclePolicy")), "read, not skipped: {skipped:?}");
    let (terminated, _) = with_policy("terminate");
    assert!(!noted(&terminated, "InstanceLifecyclePolicy"), "{:?}", terminated.summary.notes);
}

/// A captured container instance's tags that begin with AWS's reserved `aws:` (a key or a value,
/// any case) are left out of the written scenario, with a note: RegisterContainerInstance refuses
/// them, so the import would otherwise write a scenario its own setup refuses. The others are kept.
#[test]
fn reserved_aws_tags_are_left_out_with_a_note() {
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        v["containerInstances"][0]["tags"] = serde_json::json!([
            {"key": "team", "value": "payments"},
            {"key": "aws:autoscaling:groupName", "value": "ecs-asg"},
            {"key": "origin", "value": "AWS:managed"},
        ]);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let ec2 = fixture_inputs()
        .iter()
        .find(|(name, _)| name.ends_with("describe-container-instances.json"))
        .map(|(_, text)| {
            serde_json::from_str::<Value>(text).unwrap()["containerInstances"][0]["ec2InstanceId"].as_str().unwrap().to_string()
        })
        .expect("the fixture's instances");
    let note = format!(
        "instance {ec2}: tags aws:autoscaling:groupName, origin left out: a tag whose key or value begins with aws: is AWS's own, and RegisterContainerInstance refuses it"
    );
    assert!(imported.summary.notes.contains(&note), "{:?}", imported.summary.notes);
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    assert!(text.contains("\"team\": \"payments\""), "{text}");
    assert!(!text.contains("aws:autoscaling"), "{text}");
    drainsim_scenario::load_str("imported.ron", &text).expect("the written scenario loads and sets up");
}

/// A port mapping of a `containerPortRange` (no `containerPort`) is not modelled: the import leaves
/// it out and lists the skipped field, and the written scenario sets up (RegisterTaskDefinition
/// refuses a mapping without its container port, `invalid/port_mapping_without_container_port.ron`).
#[test]
fn a_container_port_range_mapping_is_left_out_and_noted() {
    let inputs = edited(&fixture_inputs(), "task-definition-batch.json", |v| {
        let batch = &mut v["taskDefinition"]["containerDefinitions"][0];
        assert_eq!(batch["name"], "batch");
        batch["portMappings"] = serde_json::json!([
            {"containerPort": 8080, "hostPort": 0, "protocol": "tcp"},
            {"containerPortRange": "9000-9099", "protocol": "tcp"},
        ]);
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let skipped: Vec<&str> = imported.summary.skipped_fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(
        skipped
            .iter()
            .any(|f| f
                .ends_with("portMappings[] (a mapping of a containerPortRange, left out whole: port ranges are not modelled)")),
        "{skipped:?}"
    );
    let batch = imported.scenario.task_definitions.iter().find(|t| t.family == "batch").expect("imported");
    let mappings: Vec<_> = batch.container_definitions[0].port_mappings.iter().map(|m| m.container_port).collect();
    assert_eq!(mappings, vec![Some(8080)], "the range's mapping is left out");
    engine_of(&imported);
    // A mapping with neither (an edited capture) is no mapping ECS describes: RegisterTaskDefinition
    // refuses it when the import sets up what it wrote, naming the task definition.
    let inputs = edited(&fixture_inputs(), "task-definition-batch.json", |v| {
        v["taskDefinition"]["containerDefinitions"][0]["portMappings"] = serde_json::json!([{"hostPort": 80}]);
    });
    let err = import(&inputs, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(
        err.contains("task-definition-batch.json")
            && err.contains("does not set up")
            && err.contains("Invalid 'containerPort' setting for container 'batch'."),
        "{err}"
    );
}

/// A service captured DRAINING was deleted, and ECS is stopping its tasks: it is imported with them
/// and deleted (force) at time 0, so a drain of an instance running one completes once ECS has
/// stopped it. Until 2026-12-07 the service was left out and its tasks imported as standalone
/// tasks, which no drain stops: the drain never completed, and `explain` advised a StopTask.
#[test]
fn a_draining_service_is_imported_and_deleted_at_time_0() {
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        assert_eq!(v["services"][1]["serviceName"], "api");
        v["services"][1]["status"] = Value::String("DRAINING".into());
    });
    let opts = ImportOptions { drain: DrainSelection::parse("i-0a1c2e3f405a6b704"), ..Default::default() };
    let imported = import(&inputs, &opts).expect("imports");
    assert!(noted(&imported, "service api is DRAINING (deleted, ECS stopping its tasks)"), "{:?}", imported.summary.notes);
    assert!(!noted(&imported, "imported as a standalone task"), "{:?}", imported.summary.notes);
    let api = imported.scenario.services.iter().find(|s| s.service_name == "api").expect("api imported");
    assert_eq!(api.desired_count, Some(0), "a deleted service wants no task");
    let text = drainsim_scenario::write::to_ron(&imported.scenario);
    assert!(text.contains(r#"DeleteService((cluster: "prod", service: "api", force: true))"#), "{text}");
    let loaded = drainsim_scenario::load_str("cluster.ron", &text).expect("the written scenario loads");
    let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
    let e = &outcome.engine;
    let drained = e.instance_named("i-0a1c2e3f405a6b704").expect("imported");
    assert!(drained.drain().completed_at_ms().is_some(), "the drain completes once the deleted service's task stopped");
    assert_eq!(e.service_named("api").expect("api").status(), drainsim_core::ServiceStatus::Inactive);

    // One the import leaves out (an EXTERNAL controller's task sets are not modelled): ECS is
    // stopping its tasks, which are left out with it, not imported as standalone tasks no drain
    // stops.
    let inputs = edited(&fixture_inputs(), "describe-services.json", |v| {
        let api = v["services"][1].as_object_mut().unwrap();
        api.insert("status".into(), "DRAINING".into());
        api.insert("deploymentController".into(), serde_json::json!({"type": "EXTERNAL"}));
    });
    let imported = import(&inputs, &opts).expect("imports");
    assert!(
        noted(&imported, "2 tasks of service api left out: the service is DRAINING (deleted) and ECS is stopping them"),
        "{:?}",
        imported.summary.notes
    );
    assert!(!noted(&imported, "imported as standalone tasks"), "{:?}", imported.summary.notes);
    assert!(
        imported.scenario.running_tasks.iter().all(|r| r.task_definition != "api:7" && r.group.is_none()),
        "no api task kept"
    );
    let loaded =
        drainsim_scenario::load_str("cluster.ron", &drainsim_scenario::write::to_ron(&imported.scenario)).expect("loads");
    let outcome = drainsim_scenario::runner::run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.engine.instance_named("i-0a1c2e3f405a6b704").expect("imported").drain().completed_at_ms().is_some());

    // A status ECS does not have is refused where it is.
    let e = refused_with(&fixture_inputs(), "describe-services.json", &|v| v["services"][1]["status"] = "PAUSED".into());
    assert!(e.contains("$.services[1].status: 'PAUSED' is not a service status (ACTIVE, DRAINING or INACTIVE)"), "{e}");
}

/// A describe-clusters of a name ECS does not know prints no cluster (and a failure): importing on
/// would drop every capacity provider without a word, so it is refused at the file.
#[test]
fn a_describe_clusters_that_described_no_cluster_is_refused() {
    let e = refused_with(&fixture_inputs(), "describe-clusters.json", &|v| {
        v["clusters"] = serde_json::json!([]);
        v["failures"] = serde_json::json!([{"arn": "arn:aws:ecs:eu-west-1:111122223333:cluster/prdo", "reason": "MISSING"}]);
    });
    assert!(
        e.contains(
            "describe-clusters.json: $.clusters: describe-clusters described no cluster (not found: \
             arn:aws:ecs:eu-west-1:111122223333:cluster/prdo)"
        ),
        "{e}"
    );
}

/// An instance status ECS does not have is refused at its path; instances left out for their
/// status, and instances whose capacity provider the cluster does not have, are noted once per
/// status or provider, naming a few (a cluster of 300 instances printed 274 alike lines).
#[test]
fn instance_notes_are_said_once_and_unknown_statuses_refused() {
    let e = refused_with(&fixture_inputs(), "describe-container-instances.json", &|v| {
        v["containerInstances"][3]["status"] = "SLEEPING".into();
    });
    assert!(e.contains("$.containerInstances[3].status: 'SLEEPING' is not a container instance status"), "{e}");
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        for (n, ci) in v["containerInstances"].as_array_mut().unwrap().iter_mut().enumerate() {
            match n {
                0 | 1 => ci["status"] = "REGISTERING".into(),
                _ => ci["capacityProviderName"] = "cp-general".into(),
            }
        }
    });
    let imported = import(&inputs, &ImportOptions::default()).expect("imports");
    let notes = &imported.summary.notes;
    assert!(noted(&imported, "instances i-0a1c2e3f405a6b701, i-0a1c2e3f405a6b702 left out: they are REGISTERING"), "{notes:?}");
    let provider: Vec<&String> = notes.iter().filter(|n| n.contains("capacity provider cp-general")).collect();
    assert_eq!(provider.len(), 1, "{notes:?}");
    assert!(provider[0].starts_with("instances i-0a1c2e3f405a6b703, i-0a1c2e3f405a6b704, "), "{provider:?}");
    assert!(provider[0].contains(": their capacity provider cp-general is not one of"), "{provider:?}");
}

/// `--drain mi-…` names an external instance (ECS Anywhere), which the import leaves out: said so,
/// not read as a cluster query that does not parse.
#[test]
fn draining_an_external_instance_is_refused_as_one() {
    let e =
        import(&fixture_inputs(), &ImportOptions { drain: DrainSelection::parse("mi-0123456789abcdef0"), ..Default::default() })
            .expect_err("refused")
            .to_string();
    assert!(e.contains("--drain: mi-0123456789abcdef0 is an external instance (ECS Anywhere)"), "{e}");
}

/// The import says which moment time 0 is, so that a date no capture could hold (an edited
/// `registeredAt` of 9999-12-31 made every instance thousands of years old without a word) shows.
#[test]
fn time_0_is_said() {
    let imported = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    let when = imported.scenario.epoch_unix_seconds.expect("dated");
    let said: Vec<&String> = imported.summary.notes.iter().filter(|n| n.starts_with("time 0 is ")).collect();
    assert_eq!(said.len(), 1, "{:?}", imported.summary.notes);
    let inputs = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        v["containerInstances"][0]["registeredAt"] = "9999-12-31T23:59:59.999999+00:00".into();
    });
    let far = import(&inputs, &ImportOptions::default()).expect("imports");
    assert!(noted(&far, "time 0 is 9999-12-31T23:59:59"), "{:?}", far.summary.notes);
    assert!(far.scenario.epoch_unix_seconds > Some(when));
}

/// An awsvpc service's subnets are imported with the zones the capture shows them in (its
/// tasks' ENIs, its instances' `ecs.subnet-id`): its tasks stay in those zones, its ENIs in the
/// subnet of their zone. A subnet the capture shows in no zone is left out with a note; a service
/// left with none places in any zone; a subnet shown in two zones is refused where it is read.
#[test]
fn awsvpc_subnets_are_imported_with_their_zones() {
    let imported = import(&fixture_inputs(), &ImportOptions::default()).expect("imports");
    let zones: Vec<(&str, &str)> = imported.scenario.subnet_zones.iter().map(|(s, z)| (s.as_str(), z.as_str())).collect();
    assert_eq!(
        zones,
        [
            ("subnet-0a1b2c3d4e5f60718", "eu-west-1a"),
            ("subnet-0b1b2c3d4e5f60718", "eu-west-1b"),
            ("subnet-0c1b2c3d4e5f60718", "eu-west-1c")
        ]
    );
    let api = imported.scenario.services.iter().find(|s| s.service_name == "api").expect("api imported");
    let vpc = api.network_configuration.as_ref().and_then(|n| n.awsvpc_configuration.as_ref()).expect("its subnets");
    assert_eq!(vpc.subnets.len(), 3);
    assert_eq!(vpc.security_groups, ["sg-0a1b2c3d4e5f60718"]);
    let e = engine_of(&imported);
    assert_eq!(e.service_named("api").expect("set up").subnet_zones(), ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);

    // A subnet no task or instance of the capture is in: left out, said.
    let unknown = edited(&fixture_inputs(), "describe-services.json", |v| {
        for s in v["services"].as_array_mut().unwrap() {
            if let Some(vpc) = s.get_mut("networkConfiguration").and_then(|n| n.get_mut("awsvpcConfiguration")) {
                vpc["subnets"] = serde_json::json!(["subnet-0a1b2c3d4e5f60718", "subnet-0d1b2c3d4e5f60718"]);
            }
        }
    });
    let imported = import(&unknown, &ImportOptions::default()).expect("imports");
    assert!(
        noted(&imported, "subnets subnet-0d1b2c3d4e5f60718 left out of its networkConfiguration"),
        "{:?}",
        imported.summary.notes
    );
    assert_eq!(engine_of(&imported).service_named("api").unwrap().subnet_zones(), ["eu-west-1a"]);
    let none_known = edited(&fixture_inputs(), "describe-services.json", |v| {
        for s in v["services"].as_array_mut().unwrap() {
            if let Some(vpc) = s.get_mut("networkConfiguration").and_then(|n| n.get_mut("awsvpcConfiguration")) {
                vpc["subnets"] = serde_json::json!(["subnet-0d1b2c3d4e5f60718"]);
            }
        }
    });
    let imported = import(&none_known, &ImportOptions::default()).expect("imports");
    assert!(noted(&imported, "its tasks are placed in any zone"), "{:?}", imported.summary.notes);
    assert!(engine_of(&imported).service_named("api").unwrap().subnet_zones().is_empty());

    // One subnet in two zones: refused at the place that contradicts the first.
    let contradicting = edited(&fixture_inputs(), "describe-container-instances.json", |v| {
        for a in v["containerInstances"][1]["attributes"].as_array_mut().unwrap() {
            if a["name"] == "ecs.subnet-id" {
                a["value"] = serde_json::json!("subnet-0a1b2c3d4e5f60718");
            }
        }
    });
    let err = import(&contradicting, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(err.contains("containerInstances[1]") && err.contains("a subnet is in one zone"), "{err}");
}
