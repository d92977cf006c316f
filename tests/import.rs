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
    assert!(skipped.contains(&"describe-tasks $.tasks[].containers"), "{skipped:?}");
}

/// A big cluster's capture is many files (the AWS CLI describes 100 tasks per call): more than
/// 1,000 of them import as the same capture in a few files does. Past `MAX_FILES` the import is
/// refused before any file is read, naming the directory.
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

#[test]
fn bad_input_names_the_file_and_the_json_path() {
    let inputs = fixture_inputs();
    let with = |file: &str, edit: &dyn Fn(&mut Value)| -> String {
        let mut changed = inputs.clone();
        let entry = changed.iter_mut().find(|(n, _)| n.ends_with(file)).expect("fixture file");
        let mut v: Value = serde_json::from_str(&entry.1).unwrap();
        edit(&mut v);
        entry.1 = v.to_string();
        import(&changed, &ImportOptions::default()).expect_err("refused").to_string()
    };
    let e = with("describe-container-instances.json", &|v| {
        v["containerInstances"][2]["registeredResources"] = serde_json::json!([]);
    });
    assert!(e.contains("describe-container-instances.json: $.containerInstances[2].registeredResources: no CPU resource"), "{e}");
    let e = with("describe-services.json", &|v| v["services"][1]["desiredCount"] = Value::String("two".into()));
    assert!(e.contains("$.services[1].desiredCount: expected an integer, found a string"), "{e}");
    let e = with("describe-tasks.json", &|v| {
        v["tasks"][0]["taskDefinitionArn"] = Value::String("arn:aws:ecs:eu-west-1:111122223333:task-definition/gone:4".into())
    });
    assert!(e.contains("$.tasks[0]: task definition gone:4 was not imported"), "{e}");
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

    let mut truncated = inputs.clone();
    let entry = truncated.iter_mut().find(|(n, _)| n.ends_with("describe-tasks.json")).unwrap();
    entry.1.truncate(entry.1.len() / 2);
    let e = import(&truncated, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("describe-tasks.json: $: not valid JSON"), "{e}");

    let mut unknown = inputs.clone();
    unknown.push(("notes.json".into(), "{\"hello\": 1}".into()));
    let e = import(&unknown, &ImportOptions::default()).expect_err("refused").to_string();
    assert!(e.contains("notes.json: $: not an AWS CLI output drainsim reads"), "{e}");

    let e = import(&inputs, &ImportOptions { drain: DrainSelection::Ids(vec!["i-0nothere".into()]), ..Default::default() })
        .expect_err("refused")
        .to_string();
    assert!(e.contains("--drain: $: i-0nothere is not an imported"), "{e}");
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
                prop_assert!(!e.file.is_empty() && e.path.starts_with('$'), "{e}");
            }
        }
    }
}

/// `--drain` takes a cluster query too: evaluated on the imported cluster, it selects the old-AMI
/// instances (the DRAINING one included); one wave keeps the filter in the steps, several name the
/// instances of each wave.
#[test]
fn a_drain_plan_selected_by_query() {
    let query = "attribute:ecs.ami-id == ami-0old4ce5ee1a01234";
    assert_eq!(DrainSelection::parse(query), DrainSelection::Filter(query.into()));
    assert_eq!(DrainSelection::parse("i-01,i-02"), DrainSelection::Ids(vec!["i-01".into(), "i-02".into()]));
    let with = |wave: u32| {
        let opts = ImportOptions { drain: DrainSelection::parse(query), wave_size: wave, ..Default::default() };
        let text = drainsim_scenario::write::to_ron(&import(&fixture_inputs(), &opts).expect("imports").scenario);
        drainsim_scenario::load_str("plan.ron", &text).expect("loads").scenario.steps
    };
    let one_wave = format!("{:?}", with(10));
    assert!(one_wave.contains(query) && !one_wave.contains("i-0a1c2e3f405a6b701"), "{one_wave}");
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
    assert!(e.contains("--drain: $: 'attribute:ecs.ami-id ==' is not a valid cluster query"), "{e}");
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
