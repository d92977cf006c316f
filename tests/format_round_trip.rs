//! The scenario format round-trips: every scenario file under `scenarios/` (but the invalid ones)
//! parses, is written back with the pretty printer (`drainsim_scenario::write::to_ron`), and that
//! text parses to the same value and replays to the same trace digest.

use std::path::{Path, PathBuf};

use drainsim_scenario::{load_file, load_str, run, write, RunOptions};

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "invalid") {
                scenario_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "ron") {
            out.push(path);
        }
    }
}

/// Every valid scenario file under `scenarios/`, loaded, in path order.
fn every_scenario_file() -> Vec<(PathBuf, drainsim_scenario::LoadedScenario)> {
    let mut files = Vec::new();
    scenario_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} scenario files", files.len());
    files.into_iter().map(|path| (path.clone(), load_file(&path).unwrap_or_else(|e| panic!("{e}")))).collect()
}

#[test]
fn every_scenario_file_round_trips_through_the_pretty_printer() {
    for (path, loaded) in every_scenario_file() {
        let text = write::to_ron(&loaded.scenario);
        let again = load_str("written.ron", &text)
            .unwrap_or_else(|e| panic!("{}: written text does not load: {e}\n{text}", path.display()));
        assert_eq!(again.scenario, loaded.scenario, "{}: written text reads back differently\n{text}", path.display());
        assert_eq!(write::to_ron(&again.scenario), text, "{}: writing is not stable", path.display());
    }
}

#[test]
fn a_written_scenario_replays_to_the_same_digest() {
    for rel in ["scenarios/demo.ron", "scenarios/format/timings.ron", "scenarios/format/drain-plans.ron"] {
        let loaded = load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{e}"));
        let again = load_str("written.ron", &write::to_ron(&loaded.scenario)).expect("loads");
        let (a, b) = (run(&loaded, &RunOptions::default()).expect("runs"), run(&again, &RunOptions::default()).expect("runs"));
        assert_eq!(a.engine.trace().digest(), b.engine.trace().digest(), "{rel}");
    }
}

#[test]
fn an_unknown_timings_field_is_refused_at_its_position() {
    let text = "Scenario(\n    name: \"t\",\n    timings: (agentUpdateStageMs: 5000, colour: 3),\n)\n";
    let err = load_str("t.ron", text).expect_err("an unknown field is refused");
    assert_eq!((err.line, err.column), (3, 41), "{err}");
    assert!(err.message.starts_with("unknown field `colour`; expected one of `"), "{err}");
}

#[test]
fn an_absent_timings_field_keeps_its_default_and_an_out_of_range_one_is_refused() {
    let loaded = load_str("t.ron", "Scenario(name: \"t\", timings: (taskPendingMs: 7))").expect("loads");
    let want = drainsim_core::Timings { task_pending_ms: 7, ..Default::default() };
    assert_eq!(loaded.scenario.timings, want);
    let err = load_str("t.ron", "Scenario(name: \"t\", timings: (taskPendingMs: 1125899906842625))").expect_err("refused");
    assert!(err.message.contains("ms is out of range"), "{err}");
    assert_eq!((err.line, err.column), (1, 46), "{err}");
}

/// Every ECS operation of `api::Request` is an action under its own name, read back to the same
/// request; the plan steps follow, and nothing else is an action.
#[test]
fn every_ecs_request_is_an_action_and_round_trips() {
    use drainsim_core::api::Request;
    use drainsim_scenario::format::{Action, Step, PLAN_STEPS};
    let requests = vec![
        Request::CreateCluster(Default::default()),
        Request::RegisterContainerInstance(Default::default()),
        Request::DeregisterContainerInstance(Default::default()),
        Request::DescribeContainerInstances(Default::default()),
        Request::ListContainerInstances(Default::default()),
        Request::UpdateContainerInstancesState(Default::default()),
        Request::UpdateContainerAgent(Default::default()),
        Request::PutAccountSetting(Default::default()),
        Request::PutAccountSettingDefault(Default::default()),
        Request::DeleteAccountSetting(Default::default()),
        Request::ListAccountSettings(Default::default()),
        Request::SubmitAttachmentStateChanges(Default::default()),
        Request::RegisterTaskDefinition(Default::default()),
        Request::CreateService(Default::default()),
        Request::UpdateService(Default::default()),
        Request::DeleteService(Default::default()),
        Request::DescribeServices(Default::default()),
        Request::RunTask(Default::default()),
        Request::StartTask(Default::default()),
        Request::StopTask(Default::default()),
        Request::ListTasks(Default::default()),
        Request::DescribeTasks(Default::default()),
    ];
    let mut names: Vec<&str> = requests.iter().map(Request::operation).collect();
    names.extend(PLAN_STEPS);
    assert_eq!(Action::names(), names.as_slice());
    let options = drainsim_scenario::load::ron_options();
    for r in requests {
        let step = Step { at_ms: None, caller: None, action: Action::Ecs(r.clone()), expect: None };
        let text = options.to_string(&step).expect("serializes");
        assert!(text.contains(&format!("do:{}(", r.operation())), "{text}");
        let back: Step = options.from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back.action.name(), r.operation());
        assert_eq!(back.action, Action::Ecs(r), "{text}");
    }
    for text in ["(do: Advance)", "(do: RunUntilQuiet)", "(do: Check([]))"] {
        let step: Step = options.from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(options.to_string(&step).expect("serializes").replace(' ', ""), text.replace(' ', ""));
    }
}

#[test]
fn a_timing_may_be_written_some_but_not_none() {
    let loaded =
        load_str("t.ron", "Scenario(name: \"t\", timings: (taskPendingMs: Some(7), jitterPercent: Some(25)))").expect("loads");
    let want = drainsim_core::Timings { task_pending_ms: 7, jitter_percent: 25, ..Default::default() };
    assert_eq!(loaded.scenario.timings, want);
    // Out of range is refused, never clamped, `Some(..)` or not.
    let err = load_str("t.ron", "Scenario(name: \"t\", timings: (jitterPercent: Some(250)))").expect_err("250 % is refused");
    assert!(err.message.contains("250 % is out of range"), "{err}");
    let err = load_str("t.ron", "Scenario(name: \"t\", timings: (taskPendingMs: None))").expect_err("None is refused");
    assert_eq!((err.line, err.column), (1, 46), "{err}");
    assert!(err.message.contains("leave the field out"), "{err}");
}

/// A scenario may be JSON (docs/scenario-format.md, "JSON"): every scenario file's JSON form reads
/// back to the same scenario as its RON.
#[test]
fn every_scenario_file_reads_the_same_as_json() {
    for (path, loaded) in every_scenario_file() {
        let json = serde_json::to_string_pretty(&loaded.scenario).expect("a scenario is JSON");
        let again = load_str("scenario.json", &json)
            .unwrap_or_else(|e| panic!("{}: its JSON form does not load: {e}\n{json}", path.display()));
        assert_eq!(again.scenario, loaded.scenario, "{}: its JSON form reads back differently\n{json}", path.display());
    }
}

#[test]
fn a_json_scenario_replays_to_the_same_digest_and_report_as_its_ron() {
    for rel in ["scenarios/demo.ron", "scenarios/format/timings.ron", "scenarios/drain/seed-min50-max200.ron"] {
        let loaded = load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap_or_else(|e| panic!("{e}"));
        let json = load_str("scenario.json", &serde_json::to_string(&loaded.scenario).expect("JSON")).expect("loads");
        let (a, b) = (run(&loaded, &RunOptions::default()).expect("runs"), run(&json, &RunOptions::default()).expect("runs"));
        assert_eq!(a.engine.trace().digest(), b.engine.trace().digest(), "{rel}");
        assert!(a.passed() && b.passed(), "{rel}");
    }
}

/// A misspelled field or variant is refused in one wording whether the scenario is RON or JSON,
/// with the closest name the format has there (or the one name it cut short), every name it has,
/// and no Rust type name (RON's own message named `InstanceGroup`, `CreateServiceRequest`,
/// `enum Action`).
#[test]
fn a_misspelled_name_is_refused_with_the_closest_one_in_ron_and_json_alike() {
    let cases = [
        (
            r#"Scenario(name: "t", instances: [(name: "a", instanceTyp: "c5.large", cpu: 2048, memory: 4096)])"#,
            r#"{"name": "t", "instances": [{"name": "a", "instanceTyp": "c5.large", "cpu": 2048, "memory": 4096}]}"#,
            "unknown field `instanceTyp` (did you mean 'instanceType'?); expected one of `name`, `count`, `cluster`, `instanceType`,",
        ),
        (
            r#"Scenario(name: "t", services: [(serviceName: "w", taskDefinitio: "x")])"#,
            r#"{"name": "t", "services": [{"serviceName": "w", "taskDefinitio": "x"}]}"#,
            "unknown field `taskDefinitio` (did you mean 'taskDefinition'?); expected one of `cluster`, `serviceName`,",
        ),
        (
            r#"Scenario(name: "t", steps: [(do: TerminateInstance((InstanceId: "a")))])"#,
            r#"{"name": "t", "steps": [{"do": {"TerminateInstance": {"InstanceId": "a"}}}]}"#,
            "unknown variant `TerminateInstance` (did you mean 'TerminateInstanceInAutoScalingGroup'?); expected one of `CreateCluster`,",
        ),
    ];
    for (ron, json, message) in cases {
        let (r, j) = (load_str("t.ron", ron).expect_err("refused"), load_str("t.json", json).expect_err("refused"));
        assert!(r.message.starts_with(message), "{r}");
        assert_eq!(r.message, j.message, "RON and JSON alike");
        for rust in ["InstanceGroup", "Request", "enum", "Unexpected"] {
            assert!(!r.message.contains(rust), "{r}");
        }
    }
}

#[test]
fn malformed_json_is_refused_at_its_position() {
    // A missing comma: serde_json's message, at the token after the gap (line 3, column 5).
    let text = "{\n  \"name\": \"t\"\n    \"seed\": 1\n}\n";
    let err = load_str("t.json", text).expect_err("malformed JSON is refused");
    assert_eq!((err.file.as_str(), err.line, err.column), ("t.json", 3, 5), "{err}");
    assert_eq!(err.message, "expected `,` or `}`", "{err}");
    // An unknown field, at its name; the column counts characters, not bytes.
    let text = "{\"name\": \"é\", \"colour\": 3}";
    let err = load_str("t.json", text).expect_err("an unknown field is refused");
    assert!(err.message.starts_with("unknown field `colour`"), "{err}");
    assert_eq!((err.line, err.column), (1, 15), "{err}");
    // Cut short.
    let err = load_str("t.json", "{\"name\": \"t\", \"steps\": [").expect_err("truncated JSON is refused");
    assert!(err.message.contains("EOF"), "{err}");
    assert!(err.line >= 1 && err.column >= 1, "{err}");
}

#[test]
fn a_check_after_parsing_points_into_the_json_text() {
    // An empty name is found by the checks after parsing, at the `"name"` key.
    let err = load_str("t.json", "{\n  \"seed\": 1,\n  \"name\": \" \"\n}").expect_err("an empty name is refused");
    assert_eq!((err.line, err.column), (3, 3), "{err}");
    // An unknown service in an expectation, at the service's name.
    let text = r#"{
  "name": "t",
  "expectations": [
    {"NoStalls": "wbe"}
  ]
}"#;
    let err = load_str("t.json", text).expect_err("an unknown service is refused");
    assert!(err.message.contains("unknown service 'wbe'"), "{err}");
    assert_eq!((err.line, err.column), (4, 18), "{err}");
}

#[test]
fn the_json_example_of_the_format_reference_loads_and_runs() {
    let doc = include_str!("../docs/scenario-format.md");
    let section = &doc[doc.find("## JSON").expect("the JSON section")..];
    let json = section.split("```json\n").nth(1).and_then(|b| b.split("```").next()).expect("a JSON example");
    let loaded = load_str("example.json", json).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&loaded, &RunOptions::default()).expect("runs");
    assert!(outcome.passed(), "the example's expectations hold");
    assert_eq!(outcome.steps.len(), 4);
}
