//! Errors a person can act on: the source line with a caret under the column, did-you-mean
//! suggestions, and an unknown instance type as a warning that `--strict` makes an error.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use common::drainsim;

/// Writes `text` as `name` in `dir`; returns its path.
fn write(dir: &TempDir, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn an_error_shows_its_line_and_a_caret() {
    let out = drainsim(&["check", "scenarios/invalid/misspelled_status.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[0],
        "error: scenarios/invalid/misspelled_status.ron:11:42: unknown instance status 'INACTIV' (did you mean 'INACTIVE'?)"
    );
    assert_eq!(lines[2], "11 |     expectations: [InstanceStatus(\"web\", \"INACTIV\")],");
    assert_eq!(lines[3].find('^'), Some("11 | ".len() + 41), "{err}");
}

/// Nothing drainsim writes to standard error holds a raw control character: the source line of
/// an error (here a raw ESC in a comment, then one in a string, which load refuses), a JSON
/// field's name, a command-line value are written with it escaped, and the caret stays under
/// its column.
#[test]
fn errors_write_control_characters_escaped() {
    let dir = TempDir::new("diagnostics-control");
    let comment = write(&dir, "comment.ron", "Scenario(name: \"c\", bogus: 1, // \u{1b}[31mred\n)");
    let string = write(&dir, "string.ron", "Scenario(name: \"x\u{1b}[31mred\")");
    let json = write(&dir, "field.json", "{\"name\": \"j\", \"bo\\u001b[31mgus\": 1}");
    for args in [
        vec!["check", comment.as_str()],
        vec!["check", string.as_str()],
        vec!["check", json.as_str()],
        vec!["compare", "scenarios/demo.ron", "--set", "web.desiredCount=4\u{1b}[2J", "--seeds", "0..1"],
    ] {
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}"), "{args:?}: {err}");
    }
    let out = drainsim(&["check", string.as_str()]);
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[2], "1 | Scenario(name: \"x\\u{1b}[31mred\")", "{err}");
    // The caret is under the escape, where the refused character is.
    assert_eq!(lines[3].find('^'), lines[2].find('\\'), "{err}");
}

/// A bidirectional override (U+202E shows what follows it right to left) in the source line of an
/// error is written escaped, as a control character is, and the caret stays under its column.
#[test]
fn errors_write_bidirectional_overrides_escaped() {
    let dir = TempDir::new("diagnostics-bidi");
    let file = write(&dir, "bidi.ron", "Scenario(name: \"c\", bogus: 1, // \u{202E}der\n)");
    let out = drainsim(&["check", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{202E}') && err.contains("\\u{202e}"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[2], "1 | Scenario(name: \"c\", bogus: 1, // \\u{202e}der", "{err}");
    assert_eq!(lines[3].find('^'), Some("1 | Scenario(name: \"c\", ".len()), "{err}");
}

/// A `WaitForDrain` that times out says which instances have no complete drain and what holds
/// each: one still DRAINING its `runningTasksCount`, one never set DRAINING its status (an
/// instance ECS refused to drain is waited for in vain), one not registered yet that.
#[test]
fn a_wait_that_times_out_names_what_it_waited_for() {
    let dir = TempDir::new("diag-wait");
    let file = write(
        &dir,
        "wait.ron",
        r#"Scenario(
    name: "wait",
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840),
        (name: "b", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840),
        (name: "late", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840, registerAtMs: 600000),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 2048, memory: 512)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 2,
        deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 200))],
    steps: [
        (atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
        (do: WaitForDrain((instances: ["a", "b", "late"], timeoutMs: 60000)), expect: TimedOut),
    ],
)
"#,
    );
    let out = drainsim(&["run", &file]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "timed out (3 of 3 not drained: a (DRAINING, runningTasksCount 1), b (ACTIVE, never set DRAINING), late (not registered))"
        ),
        "{text}"
    );
}

#[test]
fn an_unknown_instance_type_warns_with_a_suggestion_and_strict_refuses_it() {
    let dir = TempDir::new("diag-typo");
    let file = write(
        &dir,
        "typo.ron",
        "Scenario(\n    name: \"typo\",\n    clusters: [\"prod\"],\n    instances: [(name: \"web\", cluster: \"prod\", instanceType: \"c5.xlarg\", cpu: 4096, memory: 8192)],\n)\n",
    );
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.starts_with(&format!(
            "warning: {file}:4:62: instance type 'c5.xlarg' is not in drainsim's task ENI table (did you mean 'c5.xlarge'?)"
        )),
        "{err}"
    );
    for args in [vec!["check", "--strict", &file], vec!["run", &file, "--strict"]] {
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "), "{args:?}");
    }
    let run = drainsim(&["run", &file, "--timeline", "none"]);
    assert_eq!(run.status.code(), Some(0));
    // A real family the table has no row for (m7i, newer than the guide's last readable table) is
    // not called a misspelling of another (m7g).
    let newer = write(
        &dir,
        "newer.ron",
        "Scenario(\n    name: \"newer\",\n    clusters: [\"prod\"],\n    instances: [(name: \"a\", cluster: \"prod\", instanceType: \"m7i.large\", cpu: 2048, memory: 7680)],\n)\n",
    );
    let check = drainsim(&["check", &newer]);
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(err.contains("instance type 'm7i.large' is not in drainsim's task ENI table; its awsvpc tasks need"), "{err}");
    // g4dn, which the guide lists as not trunked, is known (its untrunked limit, from EC2's
    // interface limits): no warning.
    let check = drainsim(&["check", "--strict", "scenarios/query/member-of-daemon.ron"]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    // A group that gives its taskEniLimit has what the table would give: no warning, and
    // --strict accepts it.
    let given = write(
        &dir,
        "given.ron",
        "Scenario(\n    name: \"given\",\n    clusters: [\"prod\"],\n    instances: [(name: \"gpu\", cluster: \"prod\", instanceType: \"m7i.large\", cpu: 2048, memory: 7680, taskEniLimit: 2)],\n)\n",
    );
    let strict = drainsim(&["check", "--strict", &given]);
    assert_eq!(strict.status.code(), Some(0), "{}", String::from_utf8_lossy(&strict.stderr));
    assert!(!String::from_utf8_lossy(&strict.stderr).contains("warning"), "{}", String::from_utf8_lossy(&strict.stderr));
}

/// Placement strategy rules drainsim does not apply (those after the rule that picks, which in
/// ECS break its ties) are a warning naming them, at the service's name; the lists it applies
/// whole are not.
#[test]
fn placement_rules_drainsim_does_not_apply_are_a_warning() {
    let dir = TempDir::new("diag-rules");
    let scenario = |rules: &str| {
        format!(
            "Scenario(\n    name: \"rules\",\n    instances: [(name: \"a\", instanceType: \"c5.xlarge\", cpu: 4096, memory: 8192)],\n    taskDefinitions: [(family: \"web\", containerDefinitions: [(name: \"app\", cpu: 256, memory: 512)])],\n    services: [(serviceName: \"web\", taskDefinition: \"web\", desiredCount: 1, placementStrategy: [{rules}])],\n)\n"
        )
    };
    let file = write(
        &dir,
        "ignored.ron",
        &scenario(
            "(type: \"spread\", field: \"attribute:rack\"), (type: \"spread\", field: \"instanceId\"), (type: \"binpack\", field: \"memory\")",
        ),
    );
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.starts_with(&format!(
            "warning: {file}:5:30: service 'web': drainsim does not apply placementStrategy rule 3 and after (binpack memory): it breaks the ties of 'spread instanceId' by its own rule, where ECS picks among the tied instances by 'binpack memory', so placements may differ"
        )),
        "{err}"
    );
    assert_eq!(drainsim(&["check", "--strict", &file]).status.code(), Some(2));
    for applied in [
        "(type: \"spread\", field: \"attribute:ecs.availability-zone\"), (type: \"spread\", field: \"instanceId\")",
        "(type: \"spread\", field: \"attribute:ecs.availability-zone\"), (type: \"binpack\", field: \"memory\")",
        "(type: \"spread\", field: \"attribute:rack\"), (type: \"binpack\", field: \"cpu\")",
        "(type: \"random\"), (type: \"binpack\", field: \"memory\")",
        // A binpack rule breaks spread by instance's ties.
        "(type: \"spread\", field: \"instanceId\"), (type: \"binpack\", field: \"memory\")",
        "(type: \"spread\", field: \"attribute:ecs.availability-zone\"), (type: \"spread\", field: \"instanceId\"), (type: \"binpack\", field: \"cpu\")",
    ] {
        let file = write(&dir, "applied.ron", &scenario(applied));
        let check = drainsim(&["check", &file]);
        assert_eq!(check.status.code(), Some(0));
        assert!(
            !String::from_utf8_lossy(&check.stderr).contains("warning"),
            "{applied}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

/// An UpdateService step's `placementStrategy` replaces the service's (docs/ecs-choices.md,
/// "UpdateService's placement"): its rules drainsim does not apply are a warning at the step, and
/// its `memberOf` expressions are read for attributes no instance has; a step leaving the strategy
/// as it is, or giving a list applied whole, is not warned of.
#[test]
fn an_update_service_step_with_rules_drainsim_does_not_apply_is_a_warning() {
    let dir = TempDir::new("diag-update-rules");
    let scenario = |update: &str| {
        format!(
            "Scenario(\n    name: \"rules\",\n    instances: [(name: \"a\", instanceType: \"c5.xlarge\", cpu: 4096, memory: 8192)],\n    taskDefinitions: [(family: \"web\", containerDefinitions: [(name: \"app\", cpu: 256, memory: 512)])],\n    services: [(serviceName: \"web\", taskDefinition: \"web\", desiredCount: 1)],\n    steps: [\n        (atMs: 1000, do: UpdateService((service: \"web\", desiredCount: 2))),\n        (atMs: 2000, do: UpdateService((service: \"web\"{update}))),\n    ],\n)\n"
        )
    };
    let file = write(
        &dir,
        "ignored.ron",
        &scenario(
            ", placementStrategy: [(type: \"spread\", field: \"attribute:rack\"), (type: \"spread\", field: \"instanceId\"), (type: \"binpack\", field: \"memory\")]",
        ),
    );
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.starts_with(&format!(
            "warning: {file}:8:26: service 'web': drainsim does not apply placementStrategy rule 3 and after (binpack memory)"
        )),
        "{err}"
    );
    assert_eq!(drainsim(&["check", "--strict", &file]).status.code(), Some(2));
    let file = write(
        &dir,
        "constraint.ron",
        &scenario(", placementConstraints: [(type: \"memberOf\", expression: \"attribute:ecs.os-family == LINUX\")]"),
    );
    let err = String::from_utf8_lossy(&drainsim(&["check", &file]).stderr).to_string();
    assert!(err.contains("memberOf 'attribute:ecs.os-family == LINUX' reads ecs.os-family, which no instance has"), "{err}");
    for quiet in ["", ", placementStrategy: []", ", placementStrategy: [(type: \"binpack\", field: \"memory\")]"] {
        let file = write(&dir, "applied.ron", &scenario(quiet));
        let check = drainsim(&["check", &file]);
        assert_eq!(check.status.code(), Some(0));
        assert!(
            !String::from_utf8_lossy(&check.stderr).contains("warning"),
            "{quiet}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

/// A `memberOf` expression reading a built-in attribute ECS sets but drainsim cannot know
/// (`ecs.os-family`), which no instance group gives, is a warning at the expression; given in the
/// group's attributes, it is not.
#[test]
fn a_constraint_on_an_attribute_no_instance_has_is_a_warning() {
    let dir = TempDir::new("diag-attr");
    let scenario = |attributes: &str| {
        format!(
            "Scenario(\n    name: \"attr\",\n    instances: [(name: \"a\", instanceType: \"c5.xlarge\", cpu: 4096, memory: 8192, attributes: {{{attributes}}})],\n    taskDefinitions: [(family: \"web\", containerDefinitions: [(name: \"app\", cpu: 256, memory: 512)])],\n    services: [(serviceName: \"web\", taskDefinition: \"web\", desiredCount: 1,\n        placementConstraints: [(type: \"memberOf\", expression: \"attribute:ecs.os-family == LINUX\")])],\n)\n"
        )
    };
    let file = write(&dir, "missing.ron", &scenario(""));
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.starts_with(&format!(
            "warning: {file}:6:63: memberOf 'attribute:ecs.os-family == LINUX' reads ecs.os-family, which no instance has"
        )),
        "{err}"
    );
    let file = write(&dir, "given.ron", &scenario("\"ecs.os-family\": \"LINUX\""));
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&check.stderr).contains("warning"), "{}", String::from_utf8_lossy(&check.stderr));
}

/// A cluster query too long to parse (a file may hold one of any length) is refused with its
/// first 80 characters and its length, not echoed whole: 20,000 characters made a 20 KB line.
#[test]
fn a_long_query_is_quoted_short() {
    let dir = TempDir::new("long-query");
    let query = "x".repeat(20_000);
    // The first line of `check`'s refusal of `text`, written as `name`.
    let refusal = |name: &str, text: String| {
        let out = drainsim(&["check", &write(&dir, name, &text)]);
        assert_eq!(out.status.code(), Some(2));
        let first = String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or_default().to_string();
        assert!(first.len() < 400, "{first}");
        first
    };
    let shown = format!("'{}…' (20000 characters) is not a valid cluster query", "x".repeat(80));
    let first = refusal(
        "long.ron",
        format!(
            "Scenario(name: \"long\", instances: [(name: \"a\", instanceType: \"c5.large\", cpu: 2048, memory: 3840)], faults: (pinned: [(atMs: 1000, fault: HealthChecksFail(\"{query}\"))]))"
        ),
    );
    assert!(first.contains(&format!("HealthChecksFail {shown}")) && first.contains("at most 2000 are allowed"), "{first}");
    // The engine's refusal of a service's memberOf expression quotes it short too.
    let first = refusal(
        "member-of.ron",
        format!(
            "Scenario(name: \"long\", clusters: [\"prod\"], instances: [(name: \"a\", cluster: \"prod\", instanceType: \"c5.large\", cpu: 2048, memory: 3840)], taskDefinitions: [(family: \"app\", containerDefinitions: [(name: \"app\", cpu: 128, memory: 256)])], services: [(cluster: \"prod\", serviceName: \"web\", taskDefinition: \"app\", desiredCount: 1, placementConstraints: [(type: \"memberOf\", expression: \"{query}\")])])"
        ),
    );
    assert!(first.contains(&format!("memberOf expression {shown}")), "{first}");
}

/// A capacity provider with managed scaling ENABLED scales its Auto Scaling group out for the
/// tasks of its strategy that wait PROVISIONING, up to the group's MaxSize and no further; the
/// tasks never go to an instance of no provider; the text and JSON reports show the datapoints,
/// and the scenario draws no warning (it used to: drainsim did not scale the group).
#[test]
fn a_provider_with_managed_scaling_scales_its_group_out_up_to_max_size() {
    let dir = TempDir::new("diag-managed-scaling");
    let text = r#"Scenario(
    name: "managed-scaling",
    clusters: ["prod"],
    autoScalingGroups: [
        (AutoScalingGroupName: "workers", MinSize: 1, MaxSize: 4, DesiredCapacity: 2,
         LaunchTemplate: (LaunchTemplateName: "ecs-node", Version: "1"),
         cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192, imageIds: {"1": "ami-0a"}),
    ],
    capacityProviders: [
        (name: "workers-cp", autoScalingGroupProvider: (autoScalingGroupArn: "workers",
            managedScaling: (status: "ENABLED", targetCapacity: 100, instanceWarmupPeriod: 0))),
    ],
    clusterCapacityProviders: [(cluster: "prod", capacityProviders: ["workers-cp"], defaultCapacityProviderStrategy: [])],
    instances: [(name: "other", cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 8192)],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 1024, memory: 512)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 40,
        capacityProviderStrategy: [(capacityProvider: "workers-cp", weight: 1)])],
    expectations: [
        InstanceRunningTasks("other", Eq(0)),
        ServiceRunningCount("web", Eq(16)),
        InstanceStatus("workers-4", "ACTIVE"),
        Stalled("web", "PROVISIONING"),
        PlacementFailures("web", "RESOURCE:CPU", Eq(0)),
    ],
)
"#;
    let file = write(&dir, "managed.ron", text);
    let strict = drainsim(&["check", "--strict", &file]);
    assert_eq!(strict.status.code(), Some(0), "{}", String::from_utf8_lossy(&strict.stderr));
    assert!(strict.stderr.is_empty(), "{}", String::from_utf8_lossy(&strict.stderr));
    let run = drainsim(&["run", &file, "--timeline", "none"]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{out}");
    // At 60 s: 2 instances run, 32 tasks wait, 8 more instances would hold them; the group goes to
    // its MaxSize of 4 and no further.
    assert!(out.contains("workers-cp       group workers  targetCapacity 100%  scale-outs 1"), "{out}");
    assert!(
        out.contains("+00:01:00.000  CapacityProviderReservation 500.00% (M 10 / N 2)  PROVISIONING 32  desired 2 -> 4"),
        "{out}"
    );
    let json = drainsim(&["run", &file, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    let scaling = &report["managedScaling"][0];
    assert_eq!(scaling["capacityProviderName"], "workers-cp");
    assert_eq!(scaling["instancesLaunched"], 2);
    assert_eq!(scaling["datapoints"][0]["capacityProviderReservation"], 500.0);
    assert_eq!(scaling["datapoints"][0]["tasksProvisioning"], 32);
}

/// A capacity provider with managed scaling whose Auto Scaling group starts at its MaxSize is a
/// warning at the provider's name: managed scaling can add no instance, so its tasks without room
/// wait PROVISIONING for good; `--strict` refuses it.
#[test]
fn managed_scaling_of_a_group_at_its_max_size_is_a_warning() {
    let dir = TempDir::new("diag-max-size");
    let text = std::fs::read_to_string("scenarios/drain/managed-scaling-scales-out-for-a-drain.ron")
        .expect("the scenario")
        .replace("MinSize: 1, MaxSize: 6, DesiredCapacity: 3", "MinSize: 1, MaxSize: 3, DesiredCapacity: 3");
    let file = write(&dir, "max.ron", &text);
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("capacity provider 'workers-cp' has managed scaling ENABLED, but its Auto Scaling group 'workers' starts at its MaxSize (3)"),
        "{err}"
    );
    assert_eq!(drainsim(&["check", "--strict", &file]).status.code(), Some(2));
    let fine = drainsim(&["check", "--strict", "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron"]);
    assert_eq!(fine.status.code(), Some(0), "{}", String::from_utf8_lossy(&fine.stderr));
}

/// A task definition that reserves more GPUs than any instance registers is a warning at its
/// family (most often a group of GPU instances written without `gpus`): its tasks would never be
/// placed. `--strict` refuses it.
#[test]
fn a_task_definition_reserving_more_gpus_than_any_instance_has_is_a_warning() {
    let dir = TempDir::new("diag-gpus");
    let original = "scenarios/drain/gpu-replacements-wait-for-a-free-gpu.ron";
    let text =
        std::fs::read_to_string(original).expect("the scenario").replace(", gpus: 1", "").replace("\n         gpus: 1,", "");
    assert!(!text.contains("gpus:"), "every gpus field removed");
    let file = write(&dir, "no-gpus.ron", &text);
    let check = drainsim(&["check", &file]);
    assert_eq!(check.status.code(), Some(0));
    let err = String::from_utf8_lossy(&check.stderr);
    assert!(
        err.contains("task definition 'infer' reserves 1 GPU, but no instance group, Auto Scaling group or RegisterContainerInstance step registers that many (`gpus`, 0 at most)"),
        "{err}"
    );
    assert_eq!(drainsim(&["check", "--strict", &file]).status.code(), Some(2));
    // `explain`, `sweep` and `compare` print it as `run` does, on standard error; compare names plan
    // B where its overrides brought it.
    let warned = "task definition 'infer' reserves 1 GPU, but no instance group";
    for args in [
        vec!["explain", &file],
        vec!["sweep", &file, "--seeds", "0..1"],
        vec!["compare", &file, "--set", "infer.desiredCount=2", "--seeds", "0..1"],
    ] {
        let out = drainsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("warning: {file}:")) && err.contains(warned), "{args:?}: {err}");
        assert_eq!(err.matches(warned).count(), 1, "once: {args:?}: {err}");
    }
    let b_only = drainsim(&["compare", original, "--set", "gpu.gpus=0", "--set", "gpu-spare.gpus=0", "--seeds", "0..1"]);
    let err = String::from_utf8_lossy(&b_only.stderr);
    assert!(err.contains(&format!("warning: plan B ({original} --set gpu.gpus=0 --set gpu-spare.gpus=0): {warned}")), "{err}");
    let fine = drainsim(&["check", "--strict", original]);
    assert_eq!(fine.status.code(), Some(0), "{}", String::from_utf8_lossy(&fine.stderr));
    // GPUs a RegisterContainerInstance step registers count too.
    let step = r#"steps: [
        (atMs: 30000, do: RegisterContainerInstance((cluster: "ml",
            totalResources: [(name: "CPU", type: "INTEGER", integerValue: 4096), (name: "MEMORY", type: "INTEGER", integerValue: 15600)],
            platformDevices: [(id: "GPU-late-0", type: "GPU")],
            instanceIdentity: (name: "late", instanceType: "g5.xlarge", availabilityZone: "us-east-1a")))),"#;
    let with_step = write(&dir, "step-gpus.ron", &text.replacen("steps: [", step, 1));
    let check = drainsim(&["check", "--strict", &with_step]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
    // ... counted as RegisterContainerInstance counts them: a device that is no GPU, or a list
    // ECS refuses (the same GPU twice), registers none.
    for (what, devices) in [
        ("a Neuron device", r#"[(id: "nd-0", type: "NEURON_DEVICE"), (id: "nd-1", type: "NEURON_DEVICE")]"#),
        ("the same GPU twice", r#"[(id: "GPU-late-0", type: "GPU"), (id: "GPU-late-0", type: "GPU")]"#),
    ] {
        let refused = write(
            &dir,
            "step-refused-devices.ron",
            &text.replacen("steps: [", &step.replace(r#"[(id: "GPU-late-0", type: "GPU")]"#, devices), 1),
        );
        let check = drainsim(&["check", "--strict", &refused]);
        assert_eq!(check.status.code(), Some(2), "{what}: {}", String::from_utf8_lossy(&check.stderr));
        let err = String::from_utf8_lossy(&check.stderr);
        assert!(err.contains("task definition 'infer' reserves 1 GPU"), "{what}: {err}");
    }
}

/// A step that cannot reach the instances it names is a warning at the step (`--strict` refuses
/// it): one that names no cluster while its instances are in another (ECS takes `default`), and
/// one at a fixed time before an instance it names registers (ECS answers MISSING for it, and the
/// step passes doing nothing to it). A step that names its cluster, after the registration, is not.
#[test]
fn a_step_that_cannot_reach_its_instances_is_a_warning() {
    let dir = TempDir::new("diag-unreachable");
    let scenario = |step: &str| {
        format!(
            r#"Scenario(
    name: "unreachable",
    clusters: ["prod"],
    instances: [
        (name: "node", count: 2, cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680),
        (name: "late", cluster: "prod", instanceType: "c5.xlarge", cpu: 4096, memory: 7680, registerAtMs: 300000),
    ],
    steps: [
        {step}
    ],
)
"#
        )
    };
    for (name, step, says) in [
        (
            "no-cluster.ron",
            r#"(atMs: 120000, do: DrainInstances((instances: ["node-1", "node-2"]))),"#,
            "the step drains node-1 of cluster 'prod' but names no cluster, so ECS takes the `default` cluster, which does not hold it: give `cluster: \"prod\"`",
        ),
        (
            "too-early.ron",
            r#"(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["late"]))),"#,
            "the step at +00:02:00.000 drains late, which registers at +00:05:00.000: ECS does not know it yet",
        ),
        (
            "group-too-early.ron",
            r#"(atMs: 60000, do: DeregisterInstances((cluster: "prod", instances: ["late"], force: true))),"#,
            "the step at +00:01:00.000 deregisters late, which registers at +00:05:00.000",
        ),
    ] {
        let file = write(&dir, name, &scenario(step));
        let check = drainsim(&["check", &file]);
        let err = String::from_utf8_lossy(&check.stderr);
        assert_eq!(check.status.code(), Some(0), "{name}: {err}");
        assert!(err.contains(&format!("warning: {file}:9:")) && err.contains(says), "{name}: {err}");
        assert_eq!(drainsim(&["check", "--strict", &file]).status.code(), Some(2), "{name}");
    }
    let fine = write(
        &dir,
        "fine.ron",
        &scenario(r#"(atMs: 360000, do: DrainInstances((cluster: "prod", instances: ["node", "late"]))),"#),
    );
    let check = drainsim(&["check", "--strict", &fine]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
}

/// An instance group that starts DRAINING at time 0, while a service of its cluster has not
/// deployed yet (no runningTasks for it), is a warning at its status: the service's first
/// deployment would count as a floor breach of the drain. With the service's tasks given as
/// runningTasks, it is not.
#[test]
fn a_group_draining_before_its_services_deployed_is_a_warning() {
    let dir = TempDir::new("diag-draining-at-zero");
    let scenario = |running: &str| {
        format!(
            r#"Scenario(
    name: "draining-at-zero",
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 7680),
        (name: "z", cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 7680, status: "DRAINING"),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 256, memory: 512)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 2)],
    runningTasks: [{running}],
)
"#
        )
    };
    let file = write(&dir, "deploying.ron", &scenario(""));
    let check = drainsim(&["check", &file]);
    let err = String::from_utf8_lossy(&check.stderr);
    assert_eq!(check.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("warning: {file}:6:"))
            && err.contains("instance group 'z' starts DRAINING at time 0, before service 'web' has deployed (its runningTasks give 0 of its 2 tasks)"),
        "{err}"
    );
    let deployed = write(&dir, "deployed.ron", &scenario(r#"(instance: "a", taskDefinition: "web", service: "web", count: 2)"#));
    let check = drainsim(&["check", "--strict", &deployed]);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
}
