//! The text a person reads: a timeline that fits the run, warnings for what no expectation
//! mentions (and `--strict`), examples in every subcommand's help, and no Rust debug text.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

use common::drainsim;

fn stdout(args: &[&str]) -> String {
    String::from_utf8(drainsim(args).stdout).expect("UTF-8")
}

#[test]
fn every_subcommand_help_ends_with_examples() {
    for sub in ["run", "check", "sweep", "graph", "import", "compare", "explain"] {
        let help = stdout(&[sub, "--help"]);
        let examples = help.rfind("Examples:").unwrap_or_else(|| panic!("{sub} --help has no examples:\n{help}"));
        assert!(help[examples..].contains(&format!("drainsim {sub}")), "{sub}: {help}");
    }
}

#[test]
fn the_timeline_fits_the_run() {
    // The demo has 65 records: all of them by default.
    let demo = stdout(&["run", "scenarios/demo.ron"]);
    assert!(demo.contains("\ntimeline:\n") && demo.contains("lastStatus RUNNING -> STOPPING"), "{demo}");
    // More than 300 records: a summary by default, every record on request.
    let big = stdout(&["run", "scenarios/query/ami-rollout-by-filter.ron"]);
    let full = stdout(&["run", "scenarios/query/ami-rollout-by-filter.ron", "--timeline", "full"]);
    if full.lines().filter(|l| l.starts_with("  +")).count() > 300 {
        assert!(big.contains(" records (") && big.contains("--timeline full or changes prints them"), "{big}");
        assert!(!big.contains("lastStatus RUNNING -> STOPPING"));
    }
    let changes = stdout(&["run", "scenarios/demo.ron", "--timeline", "changes"]);
    assert!(changes.contains("status ACTIVE -> DRAINING") && !changes.contains("lastStatus"), "{changes}");
    let summary = stdout(&["run", "scenarios/demo.ron", "--timeline", "summary"]);
    assert!(summary.contains("timeline: 65 records (6 instance, 7 service, 52 task)"), "{summary}");
}

#[test]
fn unmentioned_breaches_warn_and_strict_fails() {
    let text = stdout(&["run", "scenarios/drain/example06-pending-task-stopped.ron", "--timeline", "none"]);
    assert!(text.contains("warning: service web fell below its floor once, first at +00:02:00.000 (preExistingDeficit), and no expectation mentions it"), "{text}");
    // With --strict the finding is an error, and the last line says why the run fails (exit 1),
    // with the command that reproduces it, as it does for a failed expectation.
    let strict = drainsim(&["run", "scenarios/drain/example06-pending-task-stopped.ron", "--timeline", "none", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
    let text = String::from_utf8_lossy(&strict.stdout);
    assert!(text.contains("\nerror: service web fell below its floor"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some(
            "result: all 23 expectations hold, but --strict fails the run on 2 findings above that no expectation mentions; \
             reproduce with: drainsim run scenarios/drain/example06-pending-task-stopped.ron --seed 106 --strict"
        ),
        "{text}"
    );
    let json = drainsim(&["run", "scenarios/drain/example06-pending-task-stopped.ron", "--json"]);
    assert_eq!(json.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&json.stderr).contains("warning: service web fell below its floor"));
    let json = drainsim(&["run", "scenarios/drain/example06-pending-task-stopped.ron", "--json", "--strict"]);
    assert_eq!(json.status.code(), Some(1));
    let err = String::from_utf8_lossy(&json.stderr);
    assert!(err.contains("error: --strict: 2 findings no expectation mentions; reproduce with: drainsim run"), "{err}");
    // The JSON names them too: a script told by the exit status that the run failed reads why.
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    let findings = report["unmentionedFindings"].as_array().expect("unmentionedFindings");
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings[0].as_str().is_some_and(|f| f.starts_with("service web fell below its floor once")), "{findings:?}");
    // A run whose expectations speak of its stalls has nothing to warn about.
    let quiet = drainsim(&["run", "scenarios/drain/stall-no-capacity.ron", "--timeline", "none", "--strict"]);
    assert_eq!(quiet.status.code(), Some(0), "{}", String::from_utf8_lossy(&quiet.stdout));
}

#[test]
fn no_rust_debug_text_reaches_the_output() {
    for file in [
        "scenarios/demo.ron",
        "scenarios/drain/stall-no-capacity.ron",
        "scenarios/format/faults.ron",
        "scenarios/fidelity/agent-start-waits-by-version.ron",
        "scenarios/drain/stall-port-and-cpu.ron",
    ] {
        for args in [vec!["run", file], vec!["explain", file]] {
            let text = stdout(&args);
            for debug in ["Some(", "None)", "Episode {", "StallReason", "Placement(", "\"\"\""] {
                assert!(!text.contains(debug), "{args:?} prints {debug}:\n{text}");
            }
        }
    }
}

#[test]
fn piped_output_has_no_colour_and_reproduce_commands_are_quoted() {
    let text = stdout(&["run", "scenarios/demo.ron"]);
    assert!(!text.contains('\u{1b}'), "no escape codes when stdout is not a terminal");
    let dir = TempDir::new("quote");
    let file = dir.join("my demo.ron");
    let demo = std::fs::read_to_string("scenarios/demo.ron").unwrap();
    std::fs::write(&file, demo.replace("ServiceRunningCount(\"web\", Eq(4))", "ServiceRunningCount(\"web\", Eq(5))")).unwrap();
    let out = stdout(&["run", file.to_str().unwrap(), "--timeline", "none"]);
    assert!(out.contains(&format!("reproduce with: drainsim run '{}' --seed 42", file.display())), "{out}");
    // A step's result names no time (a sweep groups it across seeds); the text shows the time.
    assert!(out.contains("PASS step 2 WaitForDrain at +00:02:54.000: succeeds"), "{out}");
}

/// The demo's whole text output, as a snapshot (the wall-clock figures of the summary line left out).
#[test]
fn the_demo_run_snapshot() {
    let text = stdout(&["run", "scenarios/demo.ron"]);
    let stable: Vec<String> = text
        .lines()
        .map(|l| match l.find(" in ").filter(|_| l.starts_with("summary:")) {
            Some(i) => format!("{} in (wall time left out)", &l[..i]),
            None => l.to_string(),
        })
        .collect();
    insta::assert_snapshot!("run_demo", stable.join("\n"));
    let check = drainsim(&["check", "scenarios/invalid/misspelled_instance_name.ron"]);
    insta::assert_snapshot!("check_misspelled_instance_name", String::from_utf8_lossy(&check.stderr));
}

/// The README's sample of the demo's output is what the demo prints: every line of it (the block
/// after "Its output ends with", but for its "…") is a line of `drainsim` run with no arguments.
#[test]
fn the_readme_shows_the_demo_as_it_prints() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let after = readme.split_once("Its output ends with").expect("the README shows the demo's output").1;
    let block = after.split("```text\n").nth(1).and_then(|b| b.split("```").next()).expect("a text block");
    let demo = stdout(&[]);
    let printed: Vec<&str> = demo.lines().collect();
    let mut shown = 0;
    for line in block.lines().filter(|l| !l.trim().is_empty() && l.trim() != "…") {
        assert!(printed.contains(&line), "the README shows a line the demo does not print:\n{line}\n\nthe demo prints:\n{demo}");
        shown += 1;
    }
    assert!(shown >= 10, "the sample has {shown} lines");
}

/// `--timeline full` prints each record as it streams by (a big run's timeline is never held in
/// memory), and prints what the collected timeline of a run of at most 300 records prints: the
/// same report, with the first failed step expectation marked before the first record after it.
#[test]
fn a_streamed_timeline_prints_what_the_collected_one_does() {
    let dir = TempDir::new("streamed");
    let file = dir.join("failing.ron");
    let demo = std::fs::read_to_string("scenarios/demo.ron").unwrap();
    let failing = demo.replace(
        "        (do: WaitForDrain(",
        "        (atMs: 150000, do: Check([ServiceRunningCount(\"web\", Eq(99))])),\n        (do: WaitForDrain(",
    );
    assert_ne!(failing, demo, "the demo still has its WaitForDrain step");
    std::fs::write(&file, failing).unwrap();
    let without_wall = |text: String| -> Vec<String> {
        text.lines()
            .map(|l| if l.starts_with("summary:") { l[..l.find(" in ").unwrap()].to_string() } else { l.to_string() })
            .collect()
    };
    let run = |timeline: Option<&str>| {
        let mut args = vec!["run", file.to_str().unwrap()];
        args.extend(timeline.map(|t| ["--timeline", t]).into_iter().flatten());
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(1), "the Check fails");
        without_wall(String::from_utf8(out.stdout).expect("UTF-8"))
    };
    let (collected, streamed) = (run(None), run(Some("full")));
    assert_eq!(collected, streamed);
    let mark = streamed.iter().position(|l| l == "  ---- first failed expectation at +00:02:30.000 ----").expect("marked");
    assert!(streamed[mark - 1].starts_with("  +00:02:") && streamed[mark - 1].as_str() <= "  +00:02:30.000", "{streamed:?}");
    assert!(streamed[mark + 1].as_str() > "  +00:02:30.000", "{streamed:?}");
    // Changes only: no task records, the same mark.
    let changes = run(Some("changes"));
    assert!(changes.iter().any(|l| l.starts_with("  ---- first failed expectation")), "{changes:?}");
    assert!(!changes.iter().any(|l| l.contains("lastStatus")), "{changes:?}");
}

/// The steps list says when each step began, and when one that took time ended: a refresh that
/// began at 5 minutes is listed at 5 minutes, until it ended 12m35s later.
#[test]
fn a_step_is_listed_when_it_began_and_until_it_ended() {
    let text = stdout(&["run", "scenarios/rollouts/instance-refresh-30-instances.ron", "--timeline", "none"]);
    let step = text.lines().find(|l| l.contains("StartInstanceRefresh")).expect("the refresh step");
    assert!(
        step.trim_start().starts_with("1. +00:05:00.000  StartInstanceRefresh")
            && step.ends_with("replaced in 12m35s (until +00:17:35.000)"),
        "{step}"
    );
    let list = text.lines().find(|l| l.contains("ListContainerInstances")).expect("an instant step");
    assert!(!list.contains("until"), "a step of no time says no end: {list}");
}

/// A library user's test gets what failed in the report's words from `RunOutcome::failures_text`
/// (its `Debug` holds the whole engine): the demo with an expectation it cannot meet.
#[test]
fn failures_text_says_what_failed_as_the_report_does() {
    let text = drainsim_scenario::DEMO_SCENARIO
        .replace("expectations: [", "expectations: [\n        ServiceRunningCount(\"web\", Eq(5)),");
    let loaded = drainsim_scenario::load_str("demo.ron", &text).expect("loads");
    let outcome = drainsim_scenario::runner::run(&loaded, &drainsim_scenario::RunOptions::default()).expect("runs");
    assert!(!outcome.passed());
    let failures = outcome.failures_text();
    assert_eq!(failures.lines().count(), 1, "{failures}");
    assert!(failures.starts_with("FAIL web runningCount = 5 (at +00:"), "{failures}");
    assert!(failures.trim_end().ends_with("(observed 4)"), "{failures}");
    let passing = drainsim_scenario::load_str("demo.ron", drainsim_scenario::DEMO_SCENARIO).expect("loads");
    let outcome = drainsim_scenario::runner::run(&passing, &drainsim_scenario::RunOptions::default()).expect("runs");
    assert_eq!(outcome.failures_text(), "");
}

/// The drains section of a run of 60 instances drained at 2 minutes (`old-1` … `old-60`, two
/// `web` tasks each, room for them on `new-*`), with `extra` written into the scenario after its
/// services (a running task, more steps): its lines, from the summary on.
fn sixty_drains(dir: &str, extra: &str) -> (Vec<String>, String) {
    let dir = TempDir::new(dir);
    let file = dir.join("sixty.ron");
    std::fs::write(
        &file,
        format!(
            r#"Scenario(
    name: "sixty-drains",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 60, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192),
        (name: "new", count: 60, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 512, memory: 1024, exitAfterSigtermMs: 5000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 120)],
    {extra}
)"#
        ),
    )
    .unwrap();
    let text = stdout(&["run", file.to_str().unwrap(), "--timeline", "none"]);
    let drains = text.split("\ndrains:\n").nth(1).expect("a drains section").lines().take_while(|l| !l.is_empty());
    (drains.map(str::to_string).collect(), text)
}

/// Past 50 drains the text report lists 50, those not completed or cut short first, then the
/// slowest, under a summary line (a 100,000-instance run listed 50,000, also with `--timeline
/// summary`): of 60 drains, `old-7`'s never completes (a standalone task holds it) and is listed.
#[test]
fn a_long_drains_list_is_summarised() {
    let (drains, text) = sixty_drains(
        "drains-summary",
        r#"runningTasks: [(instance: "old-7", taskDefinition: "web")],
    steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"])))],"#,
    );
    assert!(
        drains[0].starts_with("  60 drains, 59 completed in ") && drains[0].contains(", 1 not completed; listed: 50 of them"),
        "{text}"
    );
    assert_eq!(drains.len(), 51, "{text}");
    assert!(drains.iter().any(|l| l.starts_with("  old-7 ") && l.contains("not completed")), "{text}");
}

/// A drain cancelled by setting the instance ACTIVE again says so in the text report's drains
/// line and in `--json` (`drainCancelledAtMs`), as the chart and `explain` do; it read "not
/// completed" like a drain still open. `old` is drained at 2 minutes and set ACTIVE at 10.
#[test]
fn a_cancelled_drain_says_so_in_the_report() {
    let text = stdout(&["run", "scenarios/drain/drain-then-reactivate.ron", "--timeline", "none"]);
    let line = text
        .split("\ndrains:\n")
        .nth(1)
        .and_then(|d| d.lines().find(|l| l.starts_with("  old ")))
        .unwrap_or_else(|| panic!("no drains line for old:\n{text}"));
    assert!(line.contains("cancelled +00:10:00.000 (set ACTIVE again)") && !line.contains("not completed"), "{line}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&["run", "scenarios/drain/drain-then-reactivate.ron", "--json"])).expect("a JSON report");
    let rows = json["containerInstances"].as_array().expect("instances");
    let row = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(row("old")["drainCancelledAtMs"], 600000);
    assert_eq!(row("old")["drainCompletedAtMs"], serde_json::Value::Null);
    // Nothing cancelled, nothing written.
    assert!(row("spare").get("drainCancelledAtMs").is_none());
}

/// The summary above a shortened drains list names the slowest drain as the headline does (ties:
/// the first name; it named another of the tied drains), and counts the drains that completed
/// only because the instance went with tasks on it (it said "60 completed … 0 not completed" of
/// a drain a forced deregistration ended).
#[test]
fn the_drains_summary_agrees_with_the_headline_and_counts_drains_cut_short() {
    let (drains, text) = sixty_drains(
        "drains-summary-cut-short",
        r#"steps: [
        (atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))),
        (atMs: 121000, do: DeregisterInstances((cluster: "prod", instances: ["old-9"], force: true))),
    ],"#,
    );
    let summary = &drains[0];
    assert!(
        summary.starts_with("  60 drains, 60 completed in ")
            && summary.contains(", 1 of them cut short: the instance went with tasks not yet STOPPED, orphaned, 0 not completed"),
        "{summary}"
    );
    let headline = text.lines().find(|l| l.starts_with("headline: ")).expect("a headline");
    let slowest = headline.split("; slowest ").nth(1).and_then(|s| s.split(' ').next()).expect("the slowest named");
    assert!(summary.contains(&format!(" ({slowest})")), "{summary}\n{headline}");
}

/// Past 50 services the text report lists 50, those with a stall, a breach or a placement failure
/// first, under a summary line (1,000 services printed a line each); a service that stalled again
/// and again lists its first and last five stalls and counts the rest. Here 60 one-task services
/// fit, and `late` (13 tasks, room for one) stalls until each of 12 instances registers, a minute
/// apart: 13 stalls, the last still open.
#[test]
fn a_long_services_list_and_a_long_stalls_list_are_summarised() {
    let dir = TempDir::new("services-summary");
    let file = dir.join("many.ron");
    let late: Vec<String> = (1..=12)
        .map(|k| {
            format!(
                r#"(name: "late-{k}", cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 1024, registerAtMs: {})"#,
                60_000 * k
            )
        })
        .collect();
    let services: Vec<String> = (1..=60)
        .map(|k| format!(r#"(cluster: "prod", serviceName: "s{k:02}", taskDefinition: "small", desiredCount: 1)"#))
        .collect();
    std::fs::write(
        &file,
        format!(
            r#"Scenario(
    name: "many-services",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "big", count: 4, cluster: "prod", instanceType: "m5.4xlarge", cpu: 1024, memory: 65536),
        {},
    ],
    taskDefinitions: [
        (family: "small", containerDefinitions: [(name: "c", cpu: 64, memory: 64)]),
        (family: "fat", containerDefinitions: [(name: "c", cpu: 2048, memory: 1024)]),
    ],
    services: [
        {},
        (cluster: "prod", serviceName: "late", taskDefinition: "fat", desiredCount: 13),
    ],
    endTimeMs: 1200000,
)"#,
            late.join(",\n        "),
            services.join(",\n        ")
        ),
    )
    .unwrap();
    // The services section's lines, and whether its first line counts them and ends as `tail`.
    let services = |text: &str, head: &str, tail: &str| -> Vec<String> {
        let section: Vec<String> = text
            .split("\nservices:\n")
            .nth(1)
            .expect("a services section")
            .lines()
            .take_while(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        assert!(section[0].starts_with(head) && section[0].ends_with(tail), "{text}");
        section
    };
    let text = stdout(&["run", file.to_str().unwrap(), "--timeline", "none"]);
    let stalled = "  61 services, 1 with a stall, a floor breach, a placement failure";
    let section = services(&text, stalled, "listed: 50 of them, those first (--json has every service)");
    let rows = section.iter().filter(|l| l.contains(" desired ")).count();
    assert_eq!(rows, 50, "{text}");
    assert!(section.iter().any(|l| l.starts_with("  late ")), "{text}");
    let stalls: Vec<&String> = section.iter().filter(|l| l.trim_start().starts_with("stalled ")).collect();
    assert_eq!(stalls.len(), 10, "{text}");
    assert!(section.iter().any(|l| l.trim_start() == "… 3 more stalls (--json lists every one)"), "{text}");
    assert!(stalls.last().is_some_and(|l| l.contains(".. still:")), "{text}");

    // explain and sweep list as many, `late` first, and say so.
    let explained = stdout(&["explain", file.to_str().unwrap()]);
    let section = services(&explained, stalled, "explained: 50 of them, those first (--json explains every service)");
    assert_eq!(section.iter().filter(|l| l.starts_with("  s") || l.starts_with("  late:")).count(), 50, "{explained}");
    assert!(section.iter().any(|l| l.starts_with("  late: ")), "{explained}");
    let swept = stdout(&["sweep", file.to_str().unwrap(), "--seeds", "0..2"]);
    let section = services(
        &swept,
        "  61 services, 1 with a stall, a floor breach, a placement failure or an UNHEALTHY task in some run",
        "listed: 50 of them, those first (--json has every service)",
    );
    assert_eq!(section.iter().filter(|l| l.contains("minHealthyObserved")).count(), 50, "{swept}");
    assert!(section.iter().any(|l| l.starts_with("  late ")), "{swept}");
}

/// The text report says what the JSON says a human would miss: a headline whose drains some
/// instance's going cut short says so instead of "every drain complete" (a forced deregistration
/// left its service at 0 of 2 running), and a service whose replacements a later drain moved again
/// counts them on its row.
#[test]
fn cut_short_drains_and_tasks_moved_twice_are_in_the_text() {
    let forced =
        stdout(&["run", "scenarios/drain/forced-deregistration-of-a-drain-whose-replacements-stall.ron", "--timeline", "none"]);
    assert!(forced.contains("headline: every drain ended"), "{forced}");
    assert!(forced.contains("not yet STOPPED, orphaned: its drain ended so, not by their stopping"), "{forced}");
    let demo = stdout(&["run", "scenarios/demo.ron", "--timeline", "none"]);
    assert!(demo.contains("headline: every drain complete") && !demo.contains("tasksMovedMoreThanOnce"), "{demo}");
    let moved = stdout(&["run", "scenarios/drain/tasks-moved-twice.ron", "--timeline", "none"]);
    assert!(moved.contains("tasksMovedMoreThanOnce 2"), "{moved}");
}

/// The cluster settling at start-up is no finding: in a trunked cluster every service created by
/// the setup waits (NO_INSTANCES) while its instances are REGISTERING, about 17 s. That stall
/// warned ("no expectation mentions it") for every service and failed `--strict` on a clean
/// drain; it is passed by now, as `compare` leaves it out. A stall during the drain still warns.
#[test]
fn a_start_up_stall_of_trunked_instances_is_no_finding() {
    let dir = TempDir::new("text-output-start-up-stall");
    let scenario = |drain: &str| {
        format!(
            r#"Scenario(
    name: "start-up", seed: 1, clusters: ["prod"],
    accountDefaults: {{"awsvpcTrunking": "enabled"}},
    instances: [(name: "a", count: 2, cluster: "prod", instanceType: "m5.xlarge",
                 availabilityZones: ["us-east-1a", "us-east-1b"], cpu: 1024, memory: 4096)],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "app", cpu: 512, memory: 512, exitAfterSigtermMs: 1000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 2,
                deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 200))],
    steps: [(atMs: 300000, do: DrainInstances((cluster: "prod", instances: [{drain}])))],
)"#
        )
    };
    let clean = dir.join("clean.ron");
    std::fs::write(&clean, scenario(r#""a-1""#)).unwrap();
    let out = drainsim(&["run", clean.to_str().unwrap(), "--timeline", "none", "--strict"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("stalled +00:00:00.000 .. +00:00:17.000"), "the report still lists it: {text}");
    assert!(!text.contains("no expectation mentions"), "{text}");
    // Both instances drained: the service has nowhere to go, a stall of the drain, which warns
    // (counted without the start-up one).
    let stuck = dir.join("stuck.ron");
    std::fs::write(&stuck, scenario(r#""a-1", "a-2""#)).unwrap();
    let text = String::from_utf8_lossy(&drainsim(&["run", stuck.to_str().unwrap(), "--timeline", "none"]).stdout).to_string();
    assert!(text.contains("warning: service web stalled once, first at +00:05:01.000 (NO_INSTANCES)"), "{text}");
    // A cluster whose instances register only later is waited for: a finding, not its settling.
    let later = dir.join("later.ron");
    let text = scenario(r#""a-1""#)
        .replace(r#"accountDefaults: {"awsvpcTrunking": "enabled"},"#, "")
        .replace("cpu: 1024, memory: 4096)]", "cpu: 1024, memory: 4096, registerAtMs: 20000)]");
    std::fs::write(&later, text).unwrap();
    let text = String::from_utf8_lossy(&drainsim(&["run", later.to_str().unwrap(), "--timeline", "none"]).stdout).to_string();
    assert!(text.contains("warning: service web stalled once, first at +00:00:00.000 (NO_INSTANCES)"), "{text}");
}

/// Findings no expectation mentions are bounded in the text: 60 services that each stall print 50
/// warnings and a line for the rest, which `--json` lists (a cluster of 100,000 services printed
/// 105,007 lines).
#[test]
fn findings_past_fifty_are_counted_not_listed() {
    let dir = TempDir::new("text-output-many-findings");
    let services: Vec<String> =
        (1..=60).map(|k| format!(r#"(cluster: "prod", serviceName: "s{k}", taskDefinition: "app", desiredCount: 1)"#)).collect();
    let file = dir.join("many.ron");
    std::fs::write(
        &file,
        format!(
            r#"Scenario(name: "many", clusters: ["prod"], endTimeMs: 60000,
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 256)])],
    services: [{}],
)"#,
            services.join(", ")
        ),
    )
    .unwrap();
    let text = stdout(&["run", file.to_str().unwrap(), "--timeline", "none"]);
    assert_eq!(text.lines().filter(|l| l.starts_with("warning: service ")).count(), 50, "{text}");
    assert!(
        text.contains("warning: and 10 more findings no expectation mentions (--json lists every one in unmentionedFindings)"),
        "{text}"
    );
    let json = drainsim(&["run", file.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("a JSON report");
    assert_eq!(report["unmentionedFindings"].as_array().map(Vec::len), Some(60));
    assert_eq!(String::from_utf8_lossy(&json.stderr).lines().filter(|l| l.starts_with("warning: ")).count(), 51);
}
