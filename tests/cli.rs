//! The `drainsim` binary: the demo runs, `--json` is byte-identical across runs, `--seed` changes IDs
//! and the digest, invalid files exit 2 naming file:line:column, a closed pipe ends a run quietly, and
//! `--account-default` answers "does trunking change it?".

use std::path::Path;
mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use common::drainsim;

fn json(args: &[&str]) -> serde_json::Value {
    let out = drainsim(args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn no_arguments_runs_the_demo_and_prints_its_timeline() {
    let out = drainsim(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("timeline:") && text.contains("status ACTIVE -> DRAINING"), "{text}");
    assert!(text.contains("minHealthyObserved") && text.contains("floor"), "{text}");
    assert!(text.contains("events/s"), "the summary states events per second: {text}");
}

#[test]
fn json_is_identical_across_runs_and_seed_changes_ids_and_digest() {
    let a = drainsim(&["run", "scenarios/demo.ron", "--json"]);
    let b = drainsim(&["run", "scenarios/demo.ron", "--json"]);
    assert_eq!(a.stdout, b.stdout);
    let base: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    assert_eq!(base["reportVersion"], 4);
    // When the run stopped; the scenario's `endTimeMs` is the bound it ran under, not this.
    assert_eq!(base["runEndedAtMs"], 174_000);
    assert!(base.get("endTimeMs").is_none());
    let other = json(&["run", "scenarios/demo.ron", "--json", "--seed", "7"]);
    assert_eq!(other["seed"], 7);
    assert_ne!(base["traceDigest"], other["traceDigest"]);
    assert_ne!(base["containerInstances"][0]["containerInstanceArn"], other["containerInstances"][0]["containerInstanceArn"]);
}

#[test]
fn every_scenario_prints_identical_json_twice() {
    let mut files = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("invalid") {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "ron") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 10);
    for f in files {
        let f = f.to_string_lossy().to_string();
        let a = drainsim(&["run", &f, "--json"]);
        let b = drainsim(&["run", &f, "--json"]);
        assert_eq!(a.status.code(), Some(0), "{f}: {}", String::from_utf8_lossy(&a.stderr));
        assert_eq!(a.stdout, b.stdout, "{f}: two runs printed different JSON");
    }
}

#[test]
fn invalid_files_exit_2_with_their_position() {
    for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid")).unwrap() {
        let p = e.unwrap().path();
        let rel = format!("scenarios/invalid/{}", p.file_name().unwrap().to_string_lossy());
        let header = std::fs::read_to_string(&p).unwrap();
        let pos = header
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// expect-error: "))
            .and_then(|l| l.split(' ').next())
            .unwrap()
            .to_string();
        for cmd in [vec!["run", rel.as_str()], vec!["check", rel.as_str()]] {
            let out = drainsim(&cmd);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
            assert!(err.contains(&format!("{rel}:{pos}")), "{cmd:?}: stderr must name {rel}:{pos}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn account_default_override_answers_the_trunking_question() {
    let file = "scenarios/eni/mixed-cluster-drain-time.ron";
    let off = json(&["run", file, "--json"]);
    let on = json(&["run", file, "--json", "--account-default", "awsvpcTrunking=enabled"]);
    let (off_ms, on_ms) = (off["allDrainsCompletedAtMs"].as_u64().unwrap(), on["allDrainsCompletedAtMs"].as_u64().unwrap());
    assert!(on_ms < off_ms, "trunking should shorten the drain: {on_ms} vs {off_ms}");
    assert_eq!(on["containerInstances"][1]["trunked"], true);
    assert_eq!(on["containerInstances"][1]["taskEniLimit"], 10);
    assert_eq!(off["containerInstances"][1]["taskEniLimit"], 2);
    let bad = drainsim(&["run", file, "--account-default", "awsvpcTrunking=maybe"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("awsvpcTrunking"));
}

#[test]
fn failing_expectations_exit_1_and_name_them() {
    let dir = TempDir::new("cli");
    let f = dir.join("too-strict.ron");
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/demo.ron")).unwrap();
    std::fs::write(&f, demo.replace("MinHealthyObserved(\"web\", AtLeast(2))", "MinHealthyObserved(\"web\", AtLeast(3))"))
        .unwrap();
    let out = drainsim(&["run", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAIL web minHealthyObserved >= 3"), "{text}");
    assert!(text.contains("reproduce with: drainsim run"), "{text}");
    // The JSON says whether the run passed, so a script need not recompute it.
    let out = drainsim(&["run", f.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["passed"], false, "{report}");
    assert_eq!(json(&["run", "scenarios/demo.ron", "--json"])["passed"], true);
}

#[test]
fn trace_is_streamed_to_a_file_without_changing_the_digest() {
    let dir = TempDir::new("trace");
    let path = dir.join("demo.trace");
    let with = json(&["run", "scenarios/demo.ron", "--json", "--trace", path.to_str().unwrap()]);
    let without = json(&["run", "scenarios/demo.ron", "--json"]);
    assert_eq!(with["traceDigest"], without["traceDigest"]);
    let trace = std::fs::read_to_string(&path).unwrap();
    assert!(trace.lines().count() > 50, "{trace}");
    assert!(trace.contains("status ACTIVE -> DRAINING"), "{trace}");
    let text = drainsim(&["run", "scenarios/demo.ron", "--trace", path.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(&format!("records written to {}", path.display())));
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    // `drainsim run … | head -1`: the timeline is longer than a pipe buffer, so writing must notice
    // the closed pipe; it ends with status 141 (as SIGPIPE would), never with a panic.
    use std::io::Read;
    let mut child = common::command()
        .args(["run", "scenarios/drain/large-scale-in.ron", "--timeline", "full"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("drainsim starts");
    let mut first = [0u8; 16];
    child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
    // Dropping the read end closes the pipe.
    let out = child.wait_with_output().expect("drainsim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

/// A standard error whose reader is gone (`drainsim check bad.ron 2>&1 >/dev/null | head -c 10`)
/// loses the message, not the exit status: no panic (status 101).
#[test]
fn a_closed_standard_error_loses_the_message_not_the_exit_status() {
    // A pipe whose only reader has ended: a child that never reads its standard input and has
    // exited holds it.
    let mut reader = common::command().arg("--version").stdin(std::process::Stdio::piped()).spawn().expect("drainsim starts");
    let closed = reader.stdin.take().expect("piped");
    assert!(reader.wait().expect("it ends").success());
    let out = common::command()
        .args(["check", "scenarios/invalid/misspelled_status.ron"])
        .stderr(std::process::Stdio::from(closed))
        .output()
        .expect("drainsim runs");
    assert_eq!(out.status.code(), Some(2), "refused, as with a reader");
}

/// An extreme is reported with the bound of its own instant: `spreadi` ran 4 tasks while its
/// ceiling was 6 (desired 3), and was later scaled in to 1 (ceiling 2).
#[test]
fn extremes_carry_the_bound_of_their_instant() {
    let report = json(&["run", "scenarios/format/services.ron", "--json"]);
    let spreadi = report["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "spreadi").unwrap();
    assert_eq!((spreadi["maxTasksObserved"].as_u64(), spreadi["ceilingAtMaxTasksObserved"].as_u64()), (Some(4), Some(6)));
    assert_eq!(spreadi["taskCeiling"].as_u64(), Some(2));
    let text = String::from_utf8_lossy(&drainsim(&["run", "scenarios/format/services.ron"]).stdout).to_string();
    assert!(text.contains("maxTasksObserved    4 (ceiling then 6)"), "{text}");
}

/// `check` runs every check `run` makes before the first event: each file of `scenarios/invalid/`
/// is refused by both, with the same message at the same position.
#[test]
fn check_refuses_every_invalid_file_as_run_does() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        let rel = format!("scenarios/invalid/{}", f.file_name().unwrap().to_string_lossy());
        let check = drainsim(&["check", &rel]);
        let run = drainsim(&["run", &rel, "--timeline", "none"]);
        let first_line = |o: &std::process::Output| String::from_utf8_lossy(&o.stderr).lines().next().unwrap_or("").to_string();
        assert_eq!(check.status.code(), Some(2), "{rel}: check: {}", first_line(&check));
        assert_eq!(run.status.code(), Some(2), "{rel}: run: {}", first_line(&run));
        assert_eq!(first_line(&check), first_line(&run), "{rel}");
        assert!(first_line(&check).starts_with(&format!("error: {rel}:")), "{}", first_line(&check));
    }
}

/// A file that is not UTF-8 is refused at the line and column of its first invalid byte.
#[test]
fn invalid_utf8_is_refused_where_it_starts() {
    let dir = TempDir::new("cli-utf8");
    let file = dir.join("latin1.ron");
    let mut bytes = b"Scenario(\n    name: \"caf".to_vec();
    bytes.push(0xE9); // 'é' in Latin-1: not UTF-8
    bytes.extend_from_slice(b"\",\n)\n");
    std::fs::write(&file, bytes).unwrap();
    let path = file.to_str().unwrap();
    for args in [vec!["check", path], vec!["run", path]] {
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(&format!("error: {path}:2:15: ")), "{err}");
        assert!(err.contains("not valid UTF-8"), "{err}");
    }
}

/// A file that is not there is named, without a line and column it does not have and without the
/// `(os error 2)` of Rust's error text, by every command that reads or writes one.
#[test]
fn a_missing_file_is_named_without_a_position() {
    let dir = TempDir::new("cli-missing");
    let missing = dir.join("absent.ron");
    let missing = missing.to_str().unwrap();
    let chart = dir.join("no-such-dir").join("chart.svg");
    let cases = [
        (vec!["run", missing], format!("error: {missing}: cannot read the file: No such file or directory\n")),
        (vec!["check", missing], format!("error: {missing}: cannot read the file: No such file or directory\n")),
        (vec!["import", missing], format!("{missing}: cannot read: No such file or directory\n")),
        (
            vec!["run", "scenarios/demo.ron", "--svg", chart.to_str().unwrap()],
            format!("error: cannot write the chart to {}: No such file or directory\n", chart.display()),
        ),
    ];
    for (args, expected) in cases {
        let out = drainsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.ends_with(&expected), "{args:?}: {err}");
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
}

/// A file that never ends (a device) is refused once it passes the bound instead of being read
/// until memory runs out: a scenario, an import's AWS CLI JSON and a sweep report for `--merge`.
#[cfg(target_os = "linux")]
#[test]
fn a_file_that_never_ends_is_refused_past_the_bound() {
    use drainsim_scenario::{import::MAX_FILE_BYTES, input::MAX_SCENARIO_BYTES, sweep::MAX_REPORT_BYTES};
    let cases = [
        (
            vec!["run", "/dev/zero"],
            format!("error: /dev/zero: cannot read the file: the file has more than {MAX_SCENARIO_BYTES} bytes"),
        ),
        (vec!["import", "/dev/zero"], format!("/dev/zero: cannot read: the file has more than {MAX_FILE_BYTES} bytes")),
        (
            vec!["sweep", "--merge", "/dev/zero"],
            format!("error: cannot read /dev/zero: the file has more than {MAX_REPORT_BYTES} bytes"),
        ),
    ];
    for (args, expected) in cases {
        let out = drainsim(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&expected), "{args:?}: {err}");
    }
}

/// A stall for CONSTRAINT:memberOf names the service's memberOf expression, in the report and in
/// the text summary; other stalls carry no `memberOf`.
#[test]
fn a_member_of_stall_names_its_expression() {
    let report = json(&["run", "scenarios/query/member-of-zone-stall.ron", "--json"]);
    let pinned = report["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "pinned").unwrap();
    let stall = &pinned["stalls"][0];
    assert_eq!(stall["reason"], "CONSTRAINT:memberOf");
    assert_eq!(stall["memberOf"], serde_json::json!(["attribute:ecs.availability-zone == us-east-1a"]));
    // Behind the constraint: the zone's instances are out of memory.
    assert_eq!(stall["memberOfInstancesLack"], serde_json::json!(["RESOURCE:MEMORY"]));
    let failures = pinned["placementFailures"].as_array().unwrap();
    assert!(failures.iter().any(|f| f["reason"] == "CONSTRAINT:memberOf" && f["count"].as_u64() > Some(0)), "{failures:?}");
    let text = String::from_utf8_lossy(&drainsim(&["run", "scenarios/query/member-of-zone-stall.ron"]).stdout).to_string();
    assert!(
        text.contains(
            "no instance with room satisfies memberOf(attribute:ecs.availability-zone == us-east-1a) (CONSTRAINT:memberOf); the instances it allows lack memory (RESOURCE:MEMORY)"
        ),
        "{text}"
    );
    let other = json(&["run", "scenarios/drain/stall-no-capacity.ron", "--json"]);
    assert!(other["services"][0]["stalls"][0].get("memberOf").is_none());
    assert!(other["services"][0]["stalls"][0].get("memberOfInstancesLack").is_none());
}

/// A JSON scenario file (docs/scenario-format.md, "JSON") runs as its RON does, and a broken one is
/// refused at its position with the line and a caret.
#[test]
fn a_json_scenario_file_runs_like_its_ron() {
    let dir = TempDir::new("cli-json");
    let loaded = drainsim_scenario::load_file(Path::new("scenarios/demo.ron")).expect("the demo loads");
    let file = dir.join("demo.json");
    std::fs::write(&file, serde_json::to_string_pretty(&loaded.scenario).unwrap()).unwrap();
    let path = file.to_str().unwrap();
    let ron = json(&["run", "scenarios/demo.ron", "--json"]);
    let from_json = json(&["run", path, "--json"]);
    assert_eq!(from_json["traceDigest"], ron["traceDigest"]);
    assert_eq!(from_json["containerInstances"], ron["containerInstances"]);
    assert_eq!(drainsim(&["check", path]).status.code(), Some(0));

    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\n  \"name\": \"t\",\n  \"seed\": \"one\"\n}\n").unwrap();
    let path = broken.to_str().unwrap();
    let out = drainsim(&["run", path]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!("error: {path}:3:11: invalid type: string \"one\", expected a whole number, 0 or more")),
        "{err}"
    );
    assert!(err.contains("\"seed\": \"one\""), "the offending line is shown: {err}");
}

/// `import --terminate` that names no instance (an empty value, blanks, commas) is refused at the
/// flag, as `--drain ''` is, instead of writing a scenario without the plan asked for.
#[test]
fn an_import_termination_plan_of_no_instance_is_refused() {
    for value in ["--terminate=", "--terminate= ", "--terminate=,"] {
        let out = drainsim(&["import", "tests/data/aws/three-zones", "tests/data/aws/asg", value]);
        assert_eq!(out.status.code(), Some(2), "{value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: --terminate: no instance ID given"), "{value}: {stderr}");
    }
}

/// `--wave` groups the instances of a `--drain` plan only: with another plan, or none, it is
/// refused (as `--decrement` without `--terminate` is), not quietly ignored.
#[test]
fn an_import_wave_without_a_drain_plan_is_refused() {
    for plan in [&["--terminate", "i-0a1c2e3f405a6b705"][..], &["--instance-refresh", "prod-ecs-m5"][..], &[][..]] {
        let mut args = vec!["import", "tests/data/aws/three-zones", "tests/data/aws/asg", "--wave", "1"];
        args.extend_from_slice(plan);
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(2), "{plan:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        // "cannot be used with" another plan's flag, or "--drain" not provided.
        assert!(stderr.starts_with("error: ") && stderr.contains("--drain <IDS|QUERY>"), "{plan:?}: {stderr}");
    }
    let out = drainsim(&["import", "tests/data/aws/three-zones", "--drain", "i-0a1c2e3f405a6b705", "--wave", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A deleted service keeps its row in the text report with its status, so one re-created under
/// its name is not read as a twin; ACTIVE rows say nothing more.
#[test]
fn a_deleted_service_row_says_its_status() {
    let out = drainsim(&["run", "scenarios/fidelity/deleted-service-inactive-at-stopping.ron", "--timeline", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("  slow ")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(rows[0].ends_with("  status INACTIVE"), "{}", rows[0]);
    assert!(rows[1].ends_with("floorBreaches 0"), "{}", rows[1]);
}

/// A step whose `filter` selects no instance says so in its result (most often a typo).
#[test]
fn a_filter_that_selects_no_instance_says_so() {
    let out = common::drainsim(&["run", "scenarios/format/filter-selecting-no-instance.ron"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let steps: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())).collect();
    assert_eq!(steps.len(), 3, "{text}");
    assert!(steps.iter().all(|l| l.ends_with("ok (no instance selected: the filter matches none)")), "{text}");
}

/// With a drain still open at the end, the headline names the slowest *completed* drain as such.
#[test]
fn the_headline_calls_the_slowest_of_the_completed_drains_so() {
    let out = common::drainsim(&["run", "scenarios/drain/headline-names-the-slowest-completed-drain.ron"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not every drain completed (b still draining at the end); slowest completed drain a (1s)"), "{text}");
}

/// A JSON file that is no scenario but something else a user has at hand — an AWS CLI output,
/// which `drainsim import` reads, or a report of drainsim's own — is said to be that, at its start,
/// rather than refused at its first field a scenario does not have.
#[test]
fn an_aws_output_or_a_report_given_as_a_scenario_is_named_for_what_it_is() {
    let aws = "tests/data/aws/three-zones/describe-services.json";
    let out = drainsim(&["run", aws]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {aws}:1:1: the output of the AWS CLI's describe-services, not a scenario: `drainsim import DIR -o cluster.ron`"
        )),
        "{err}"
    );
    let dir = TempDir::new("cli-not-a-scenario");
    let report = dir.join("report.json");
    std::fs::write(&report, drainsim(&["run", "scenarios/demo.ron", "--json"]).stdout).unwrap();
    let path = report.to_str().unwrap();
    let err = String::from_utf8_lossy(&drainsim(&["check", path]).stderr).to_string();
    assert!(
        err.starts_with(&format!(
            "error: {path}:1:1: a drainsim report (of run, sweep, compare or explain --json), not a scenario"
        )),
        "{err}"
    );
    let explored = dir.join("explore.json");
    let out =
        drainsim(&["explore", "scenarios/explore/three-instances-start-failures.ron", "--json", "--out", dir.to_str().unwrap()]);
    std::fs::write(&explored, out.stdout).unwrap();
    let path = explored.to_str().unwrap();
    let err = String::from_utf8_lossy(&drainsim(&["run", path]).stderr).to_string();
    assert!(err.starts_with(&format!("error: {path}:1:1: a drainsim explore report (explore --json), not a scenario")), "{err}");
}

/// An instance group registers its agent version alone: no agent hash or Docker version that
/// nothing in the scenario gives (an imported cluster's report showed made-up ones).
#[test]
fn an_instance_group_registers_its_agent_version_alone() {
    let report = json(&["run", "scenarios/demo.ron", "--json"]);
    let version_info = &report["containerInstances"][0]["versionInfo"];
    assert_eq!(version_info, &serde_json::json!({"agentVersion": drainsim_core::CURRENT_AGENT_VERSION}), "{report}");
}

/// A drain ECS refused (the instance REGISTRATION_FAILED) is no drain: the headline says "every
/// drain that began completed" and names it, the text report lists it, `--json` has
/// `drainsRefused`, and a sweep counts the runs with one. The headline said "every drain complete".
#[test]
fn a_refused_drain_is_named_not_counted_complete() {
    let file = "scenarios/drain/drain-refused-is-named-not-complete.ron";
    let out = drainsim(&["run", file]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "headline: every drain that began completed 1s after the first began; drain refused, never DRAINING: a-2 (REGISTRATION_FAILED);"
        ),
        "{text}"
    );
    assert!(
        text.contains("a-2              refused +00:05:00.000: UpdateContainerInstancesState failed with REGISTRATION_FAILED; never DRAINING"),
        "{text}"
    );
    let report = json(&["run", file, "--json"]);
    assert_eq!(report["allDrainsCompletedAtMs"], 301_000, "the drain that began");
    assert_eq!(
        report["drainsRefused"],
        serde_json::json!([{"instance": "a-2", "atMs": 300000, "status": "REGISTRATION_FAILED"}])
    );
    let sweep = json(&["sweep", file, "--seeds", "0..3", "--json"]);
    assert_eq!(sweep["distribution"]["allDrainsCompletedAtMs"]["drainsRefusedRuns"], 3, "{sweep}");
    // A run without one leaves the field out.
    let plain = json(&["run", "scenarios/demo.ron", "--json"]);
    assert!(plain.get("drainsRefused").is_none());
}

/// A rollout's step result counts its waves in words that agree with their numbers ("waves of up
/// to 1 instance", not "1 instances").
#[test]
fn a_rollout_of_one_instance_waves_says_instance() {
    let out = drainsim(&["run", "scenarios/rollouts/rollout-wave-times-out.ron", "--timeline", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ok (2 of 2 waves of up to 1 instance, 2 instances selected)"), "{text}");
}

/// The headline names a group whose last instance refresh did not succeed (it spoke of drains
/// only: "no instance was drained" of a refresh that Failed), and not one whose failed refresh
/// was followed by one that succeeded.
#[test]
fn the_headline_names_a_refresh_left_undone() {
    let out = drainsim(&[
        "run",
        "scenarios/rollouts/instance-refresh-waits-for-managed-termination-protection.ron",
        "--timeline",
        "none",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("headline: no instance was drained; instance refresh of asg Failed at 0%"), "{text}");
    let out = drainsim(&["run", "scenarios/rollouts/instance-refresh-protected-instance.ron", "--timeline", "none"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let headline = text.lines().find(|l| l.starts_with("headline: ")).expect("a headline");
    assert!(!headline.contains("instance refresh"), "{headline}");
}

/// An `--account-default` that nothing in the run reads — every principal that resolved the
/// setting had its own, as an imported cluster's instance role does — is said to change nothing,
/// by `run` and by `compare` for its plan B: a comparison of two identical plans once passed
/// without a word.
#[test]
fn an_account_default_nothing_reads_is_said_to_change_nothing() {
    let pinned = "scenarios/eni/c5large-trunking.ron";
    let out = drainsim(&["run", pinned, "--account-default", "awsvpcTrunking=disabled", "--timeline", "none"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --account-default awsvpcTrunking=disabled changed nothing: nothing in the run took awsvpcTrunking from the account default"),
        "{err}"
    );
    let out = drainsim(&["compare", pinned, "--account-default", "awsvpcTrunking=disabled", "--seeds", "0..1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("changed nothing"), "compare warns too");
    // The demo's instances register as the root user, without a setting of their own: read.
    let out = drainsim(&["run", "scenarios/demo.ron", "--account-default", "awsvpcTrunking=disabled", "--timeline", "none"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("changed nothing"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A service behind a Classic Load Balancer whose container port has a dynamic host port is
/// warned of: ECS needs a static mapping there (one task per instance), and drainsim would place
/// several to an instance. The format example maps a static port, and is not warned of.
#[test]
fn a_classic_load_balancer_with_a_dynamic_host_port_is_warned_of() {
    let example = "scenarios/format/load-balancer.ron";
    let warned = |file: &str| -> bool {
        let out = drainsim(&["check", file]);
        String::from_utf8_lossy(&out.stderr).contains("its Classic Load Balancer forwards to a fixed instance port")
    };
    assert!(!warned(example), "the example maps a static host port");
    let dir = TempDir::new("classic-dynamic");
    let dynamic = dir.join("dynamic.ron");
    let text = std::fs::read_to_string(example)
        .unwrap()
        .replace(r#"serviceName: "graced", taskDefinition: "classic-app""#, r#"serviceName: "graced", taskDefinition: "app""#);
    std::fs::write(&dynamic, text).unwrap();
    assert!(warned(dynamic.to_str().unwrap()), "container port 80 of `app` has a dynamic host port");
}
