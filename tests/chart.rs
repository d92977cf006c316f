//! `drainsim run --svg`: the chart is an SVG document with a panel per service and a lane per drained
//! instance (an aggregate panel past 40), the same bytes on every run.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;

fn svg(file: &str, out: &str) -> String {
    // A directory per chart: the tests that call this run in parallel, so each gives its own `out`
    // (two tests with one name shared a directory, and the first to end removed it under the other).
    let dir = TempDir::new(&format!("chart-{out}"));
    let path = dir.join(out);
    let run = common::drainsim(&["run", file, "--svg", path.to_str().unwrap(), "--timeline", "none"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    std::fs::read_to_string(&path).expect("the chart was written")
}

#[test]
fn a_chart_has_a_panel_per_service_and_a_lane_per_drained_instance() {
    let text = svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "rollout.svg");
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert!(
        text.contains(
            "worker: running (blue), healthy (green), pending (orange), not STOPPED (purple); floor 2 (green) and ceiling 4 (purple) at the end of the run dashed"
        ),
        "{text}"
    );
    // Lanes do not use the panels' orange (pending tasks) for tasks still running: light blue.
    assert!(
        text.contains("drained instances: tasks running (light blue), last tasks stopping (yellow), drain complete (black |)")
    );
    assert!(text.contains(r##"fill="#9ECAE1""##), "a lane's running stretch in light blue");
    assert!(!text.contains("orphaned"), "no instance went away with tasks");
    for lane in ["old-1", "old-2"] {
        assert!(text.contains(&format!(">\n{lane}\n</text>")), "lane {lane}");
    }
    assert_eq!(text, svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "again.svg"), "the same bytes every run");
    assert_time_axes_aligned(&text);
    assert_axis_unit_below_ticks(&text);
    // The chart in docs/ is this one.
    let committed = std::fs::read_to_string("docs/images/rollout-paced-by-stop-timeout.svg").expect("docs/images chart");
    assert_eq!(text, committed, "regenerate docs/images/rollout-paced-by-stop-timeout.svg with drainsim run … --svg");
}

/// The unit under a panel's time axis (`minutes`) sits below its ticks, not over the one nearest
/// the middle (24 pixels of labels drew them 14 pixels apart, glyphs of 9.7 overlapping).
fn assert_axis_unit_below_ticks(svg: &str) {
    let lines: Vec<&str> = svg.lines().collect();
    let y_of = |line: &str| -> f64 { line.split(" y=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap() };
    let ticks: Vec<f64> = (1..lines.len())
        .filter(|&k| lines[k - 1].contains(r#"dy="0.76em" text-anchor="middle""#) && lines[k].trim().parse::<f64>().is_ok())
        .map(|k| y_of(lines[k - 1]))
        .collect();
    let units: Vec<f64> =
        (1..lines.len()).filter(|&k| matches!(lines[k].trim(), "minutes" | "hours")).map(|k| y_of(lines[k - 1])).collect();
    assert!(!units.is_empty());
    for unit in units {
        let above = ticks.iter().filter(|t| **t < unit).fold(f64::MIN, |a, t| a.max(*t));
        assert!(unit - above >= 20.0, "the unit at y {unit} is {} pixels below the ticks at {above}", unit - above);
    }
}

/// Every panel of a chart puts an instant at one horizontal position, and labels it alike: each
/// time axis tick (a label centred under its panel, `text-anchor="middle"` with `dy="0.76em"`)
/// that appears in several panels is at the same `x` and written the same way in each. The
/// lanes of the drained instances once had a wider label area for their names than the service
/// panels above them, so a drain's start sat 116 pixels further right in its lane, and their ticks
/// read `0.0` where the panels read `0`.
fn assert_time_axes_aligned(svg: &str) {
    let mut ticks: std::collections::BTreeMap<String, Vec<(String, String)>> = Default::default();
    let mut panels_with_ticks = std::collections::BTreeSet::new();
    let mut lines = svg.lines();
    while let Some(line) = lines.next() {
        if !(line.starts_with("<text ") && line.contains("text-anchor=\"middle\"") && line.contains("dy=\"0.76em\"")) {
            continue;
        }
        let attr = |name: &str| line.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next()).map(str::to_string);
        let label = lines.next().unwrap_or_default().trim().to_string();
        let Ok(value) = label.parse::<f64>() else { continue };
        let (x, y) = (attr("x").expect("an x"), attr("y").expect("a y"));
        panels_with_ticks.insert(y.clone());
        ticks.entry(format!("{value}")).or_default().push((x, label));
    }
    assert!(panels_with_ticks.len() >= 2, "ticks of several panels: {panels_with_ticks:?}");
    let zero = ticks.get("0").expect("a tick at 0");
    assert_eq!(zero.len(), panels_with_ticks.len(), "every panel has a tick at 0: {zero:?}");
    for (value, at) in &ticks {
        assert!(at.windows(2).all(|w| w[0] == w[1]), "the tick at {value} is not alike in every panel: {at:?}");
    }
}

/// Past six services the chart shows those a drain troubled first: the one-task service held by
/// its deployment configuration (min 100 / max 100) gets a panel although seven larger ones exist,
/// and the title says that the two left out neither stalled nor fell below their floor. Axis
/// labels are whole numbers.
#[test]
fn a_troubled_small_service_is_shown_before_larger_ones() {
    let dir = TempDir::new("chart-troubled");
    let services: Vec<String> =
        (1..=7).map(|k| format!(r#"(cluster: "prod", serviceName: "s{k}", taskDefinition: "app", desiredCount: 4)"#)).collect();
    let text = format!(
        r#"Scenario(name: "many", clusters: ["prod"], endTimeMs: 600000,
    instances: [
        (name: "old", cluster: "prod", instanceType: "c5.4xlarge", cpu: 16384, memory: 32768),
        (name: "new", cluster: "prod", instanceType: "c5.4xlarge", cpu: 16384, memory: 32768, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 256, exitAfterSigtermMs: 1000)])],
    services: [{}, (cluster: "prod", serviceName: "tiny", taskDefinition: "app", desiredCount: 1,
        deploymentConfiguration: (minimumHealthyPercent: 100, maximumPercent: 100))],
    steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"])))],
)"#,
        services.join(", ")
    );
    let file = dir.join("many.ron");
    std::fs::write(&file, text).unwrap();
    let chart = svg(file.to_str().unwrap(), "troubled.svg");
    assert!(chart.contains("tiny: running (blue)"), "the stalled service has a panel");
    assert!(chart.contains("2 more services not shown (s6, s7), none of them stalled or fell below its floor"), "{chart}");
    // The y axes' labels (right-aligned) are whole counts: no tick at half a task.
    let y_labels: Vec<&str> = chart.split("text-anchor=\"end\"").skip(1).filter_map(|rest| rest.split('\n').nth(1)).collect();
    assert!(y_labels.contains(&"4"), "{y_labels:?}");
    assert!(y_labels.iter().all(|l| l.parse::<f64>().map_or(true, |v| v.fract() == 0.0)), "{y_labels:?}");
}

/// A run longer than six hours is drawn over hours, every panel alike (a multi-day run in minutes
/// read 3000, 6000, …); a shorter one over minutes.
#[test]
fn a_long_run_is_drawn_over_hours() {
    let axis_names = |chart: &str| -> Vec<String> {
        let mut names: Vec<String> = chart
            .split("text-anchor=\"middle\"")
            .skip(1)
            .filter_map(|rest| rest.split('\n').nth(1))
            .filter(|l| *l == "hours" || *l == "minutes")
            .map(str::to_string)
            .collect();
        names.dedup();
        names
    };
    let long = svg("scenarios/rollouts/managed-draining-hook-timeout.ron", "long.svg");
    assert_eq!(axis_names(&long), ["hours"]);
    let short = svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "short.svg");
    assert_eq!(axis_names(&short), ["minutes"]);
}

/// A capacity provider with managed scaling gets a panel of its group's instances over time; a
/// run without one gets none.
#[test]
fn managed_scaling_has_a_panel_of_its_instances() {
    let text = svg("scenarios/rollouts/spot-capacity-provider-replaces-interrupted-instances.ron", "spot-capacity-provider.svg");
    assert_time_axes_aligned(&text);
    assert!(
        text.contains(
            "spot-cp (group spot, targetCapacity 100%): instances running N (blue), needed M (green), desired capacity (orange)"
        ),
        "{text}"
    );
    let plain = svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "plain.svg");
    assert!(!plain.contains("targetCapacity"), "{plain}");
    // The desired capacity is drawn from time 0, at the group's own before the first datapoint
    // that changed it: the scale-out from 3 to 5 for the drain shows as a step, where the line
    // once began at the datapoint, already at 5.
    let text = svg("scenarios/drain/managed-scaling-scales-out-for-a-drain.ron", "scale-out.svg");
    // The last orange line: the service panels above draw their pending tasks in orange too.
    let desired = text.lines().rfind(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#FF7F0E""##)).expect("desired");
    let points: Vec<(f64, f64)> = desired
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|p| p.split_once(',').map(|(x, y)| (x.parse().unwrap(), y.trim_end_matches('"').parse().unwrap())))
        .collect();
    let origin = text
        .lines()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[1].trim() == "0" && w[0].contains(r#"dy="0.76em" text-anchor="middle""#))
        .map(|w| w[0].split(" x=\"").nth(1).unwrap().split('"').next().unwrap().parse::<f64>().unwrap())
        .expect("the tick at 0");
    assert_eq!(points[0].0, origin, "from time 0: {desired}");
    assert!(points.iter().any(|p| p.1 < points[0].1), "a step up from the first value: {desired}");
    // A request that decremented the group before the first datapoint (4 -> 3): the line begins
    // at the group's own 4, where it once began at 3, the first datapoint's value before it.
    let text = svg("tests/data/explain/decrement-between-datapoints.ron", "decrement.svg");
    // The last orange line: the service panels above draw their pending tasks in orange too.
    let desired = text.lines().rfind(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#FF7F0E""##)).expect("desired");
    let ys: Vec<f64> = desired
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .filter_map(|p| p.split_once(',').map(|(_, y)| y.trim_end_matches('"').parse().unwrap()))
        .collect();
    assert!(ys[0] < *ys.last().unwrap(), "from 4 down to 3 (higher up first): {desired}");
}

#[test]
fn many_drained_instances_are_drawn_as_one_aggregate_panel() {
    let text = svg("scenarios/query/ami-rollout-by-filter.ron", "rollout-by-filter.svg");
    assert!(text.contains("drained instances"), "{text}");
    let dir = TempDir::new("chart-many");
    let file = dir.join("many.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "fifty-instances",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 50, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192),
        (name: "new", count: 50, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 512, memory: 1024, exitAfterSigtermMs: 5000)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 100)],
    steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["old"]))), (do: WaitForDrain((instances: ["old"], timeoutMs: 3600000)))],
)"#,
    )
    .unwrap();
    let text = svg(file.to_str().unwrap(), "many.svg");
    assert!(text.contains("50 drained instances: draining (brown), drain complete (black)"), "{text}");
    assert!(!text.contains(">\nold-17\n</text>"), "no lane of its own past 40 instances");
    // The 50 drains start in one call: the service panel marks that once (a mark per drain made a
    // 20,000-instance run's chart 7 MB of lines drawn over each other).
    let marks = text.lines().filter(|l| l.starts_with("<polyline") && l.contains(r#"opacity="0.25""#)).count();
    assert_eq!(marks, 1, "one drain-start mark");
    // The draining line steps up once at the start, not once per instance.
    let draining =
        text.lines().find(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#8C564B""##)).expect("the draining line");
    let steps = draining.split(' ').filter(|p| p.contains(',')).count();
    assert!(steps <= 2 * 51 + 2, "one step per instant at most: {steps} points");
}

/// An instance that went away with tasks on it gets a lane, drained or not, ending in a red mark
/// that says how many tasks ECS orphaned: here EC2 terminates two Spot Instances at the end of
/// their notice, `spot-a` drained (Spot Instance draining on) with both its old tasks still
/// running, and `spot-b` undrained (it is off). Neither drain is drawn as complete.
#[test]
fn an_instance_gone_with_its_tasks_has_a_lane_with_its_orphans() {
    let text = svg("scenarios/rollouts/spot-interruption-min100-max200.ron", "spot-interruption.svg");
    assert!(
        text.contains(
            "instances drained or gone with tasks: tasks running (light blue), last tasks stopping (yellow), drain complete \
             (black |), gone with tasks orphaned (red |)"
        ),
        "{text}"
    );
    for lane in ["spot-a", "spot-b"] {
        assert!(text.contains(&format!(">\n{lane}\n</text>")), "lane {lane}");
    }
    assert!(!text.contains(">\nod-a\n</text>"), "an instance that neither drained nor went away has no lane");
    let labels: Vec<&str> = text.lines().filter(|l| l.contains("orphaned") && !l.contains("(red")).collect();
    assert_eq!(labels, ["2 tasks orphaned", "2 tasks orphaned, not drained"], "{text}");
    let red_marks = text.lines().filter(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#D62728""##)).count();
    assert_eq!(red_marks, 2, "one red mark per instance gone with its tasks");
    let black_marks =
        text.lines().filter(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#000000" stroke-width="2""##)).count();
    assert_eq!(black_marks, 0, "no drain drawn as complete");
}

/// A drain cancelled (the instance set ACTIVE again before the drain completed) ends at the
/// cancellation with a grey mark and a note, not at the right edge of the chart as if still open:
/// `old` is drained at 2:00 and set ACTIVE again at 10:00 in a run that ends at 10:52.
#[test]
fn a_cancelled_drain_ends_where_it_was_cancelled() {
    let text = svg("scenarios/drain/drain-then-reactivate.ron", "cancelled.svg");
    assert!(text.contains(">\ndrain cancelled (ACTIVE again)\n</text>"), "{text}");
    assert!(!text.contains("still draining at the end of the run"), "{text}");
    // The lane's bar ends at 10:00: where the axis puts 10 minutes.
    let tick_x = |label: &str| -> f64 {
        let lines: Vec<&str> = text.lines().collect();
        let k = lines.iter().position(|l| l.trim() == label).expect("a tick");
        let attr = lines[k - 1].split(" x=\"").nth(1).unwrap().split('"').next().unwrap();
        attr.parse().unwrap()
    };
    let ten = tick_x("10");
    let bar =
        text.lines().find(|l| l.starts_with("<rect") && l.contains(r##"fill="#9ECAE1""##)).expect("the lane's running stretch");
    let field =
        |name: &str| -> f64 { bar.split(&format!(" {name}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap() };
    let end = field("x") + field("width");
    assert!((end - ten).abs() <= 2.0, "the bar ends at {end}, 10 minutes is at {ten}: {bar}");
}

/// A drain still open when the run ends says so, also when the run ends the instant it began (a
/// drain that stalls at once drew nothing at all): here `old`'s only task is a standalone one,
/// which ECS does not stop for a drain.
#[test]
fn a_drain_open_at_the_end_says_so() {
    let dir = TempDir::new("chart-open");
    let file = dir.join("open.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "open-drain",
    clusters: ["prod"],
    instances: [(name: "a-container-instance-with-a-rather-long-name-7", cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192)],
    taskDefinitions: [(family: "job", containerDefinitions: [(name: "job", cpu: 512, memory: 1024)])],
    runningTasks: [(instance: "a-container-instance-with-a-rather-long-name-7", taskDefinition: "job")],
    steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a-container-instance-with-a-rather-long-name-7"])))],
)"#,
    )
    .unwrap();
    let text = svg(file.to_str().unwrap(), "open.svg");
    assert!(text.contains(">\nstill draining at the end of the run\n</text>"), "{text}");
    // A name longer than the label area holds keeps its start and its end.
    assert!(text.contains(">\na-container-…long-name-7\n</text>"), "{text}");
}

/// Past 40 lanes, the aggregate panel counts the instances gone with tasks orphaned in red: 50
/// instances deregistered with `force` while their tasks run.
#[test]
fn the_aggregate_panel_counts_instances_gone_with_tasks() {
    let dir = TempDir::new("chart-many-gone");
    let file = dir.join("gone.ron");
    std::fs::write(
        &file,
        r#"Scenario(
    name: "fifty-gone",
    seed: 3,
    clusters: ["prod"],
    instances: [
        (name: "old", count: 50, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192),
        (name: "new", count: 50, cluster: "prod", instanceType: "m5.large", cpu: 2048, memory: 8192, registerAtMs: 60000),
    ],
    taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 512, memory: 1024)])],
    services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 100)],
    steps: [(atMs: 120000, do: DeregisterInstances((cluster: "prod", instances: ["old"], force: true)))],
)"#,
    )
    .unwrap();
    let text = svg(file.to_str().unwrap(), "gone.svg");
    assert!(
        text.contains(
            "50 instances drained or gone with tasks: draining (brown), drain complete (black), gone with tasks orphaned (red)"
        ),
        "{text}"
    );
    let gone = text.lines().find(|l| l.starts_with("<polyline") && l.contains(r##"stroke="#D62728""##)).expect("the gone line");
    let points: Vec<&str> = gone.split(' ').filter(|p| p.contains(',')).collect();
    assert_eq!(points.len(), 4, "from 0, one step up at the deregistration, to the end: {gone}");
}

/// Each point of a service's series has its tasks not STOPPED (what `maximumPercent` bounds): at
/// least its running and pending tasks, more while tasks told to stop are still stopping, and at
/// its highest at least the most the observation window saw (`maxTasksObserved`). The chart draws
/// it in purple.
#[test]
fn the_series_counts_the_tasks_not_stopped() {
    let run = common::drainsim(&["run", "scenarios/drain/rollout-paced-by-stop-timeout.ron", "--json"]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let services = report["services"].as_array().expect("services");
    let mut stopping_seen = false;
    for s in services {
        let series = s["series"].as_array().expect("series");
        let n = |p: &serde_json::Value, k: &str| p[k].as_u64().unwrap_or_else(|| panic!("{k} in {p}"));
        for p in series {
            assert!(n(p, "notStopped") >= n(p, "running") + n(p, "pending"), "{p}");
            stopping_seen |= n(p, "notStopped") > n(p, "running") + n(p, "pending");
        }
        let most = series.iter().map(|p| n(p, "notStopped")).max().expect("points");
        assert!(most >= s["maxTasksObserved"].as_u64().expect("observed"), "{s}");
    }
    assert!(stopping_seen, "the rollout's old tasks are stopping for 120 s");
    let text = svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "not-stopped.svg");
    assert!(text.to_lowercase().contains("#9467bd"), "the purple series is drawn");
}

/// `--trace` and `--svg` naming one file is refused before the run: the chart, written last,
/// would replace the trace.
#[test]
fn trace_and_chart_to_one_file_are_refused() {
    let dir = TempDir::new("chart-one-file");
    let path = dir.join("out");
    let p = path.to_str().unwrap();
    let out = common::drainsim(&["run", "scenarios/demo.ron", "--trace", p, "--svg", p]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--trace and --svg both name"), "{err}");
    assert!(!path.exists(), "nothing written");
}

/// Neither `--trace` nor `--svg` may name the scenario being run, through a symlink either: it was
/// overwritten, and the run's reproduce command then named a file that was no longer a scenario.
#[cfg(unix)]
#[test]
fn trace_or_chart_over_the_scenario_is_refused() {
    let dir = TempDir::new("chart-over-input");
    let scenario = dir.join("plan.ron");
    let text = std::fs::read_to_string("scenarios/demo.ron").unwrap();
    std::fs::write(&scenario, &text).unwrap();
    let link = dir.join("link.svg");
    std::os::unix::fs::symlink(&scenario, &link).unwrap();
    let s = scenario.to_str().unwrap();
    for (flag, target) in [("--trace", s), ("--svg", s), ("--svg", link.to_str().unwrap())] {
        let out = common::drainsim(&["run", s, flag, target]);
        assert_eq!(out.status.code(), Some(2), "{flag} {target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("error: {flag} {target}: it is the scenario file being run")), "{err}");
        assert_eq!(std::fs::read_to_string(&scenario).unwrap(), text, "the scenario is left as it was");
    }
    // Through a symlink, trace and chart are one file too.
    let trace = dir.join("trace.jsonl");
    std::fs::write(&trace, "").unwrap();
    let other = dir.join("other.svg");
    std::os::unix::fs::symlink(&trace, &other).unwrap();
    let out = common::drainsim(&["run", s, "--trace", trace.to_str().unwrap(), "--svg", other.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trace and --svg both name"));
}

/// `--svg -` writes the chart to standard output, alone (the text report is not printed; the
/// headline goes to standard error), the same bytes as a file gets, and no file named `-`.
/// Standard output takes one document: with `--json` or `--trace -` beside it, the run is refused.
#[test]
fn a_chart_to_standard_output_is_alone_there() {
    let dir = TempDir::new("chart-stdout");
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/drain/rollout-paced-by-stop-timeout.ron");
    let out = common::command()
        .current_dir(&*dir)
        .args(["run", scenario.to_str().unwrap(), "--svg", "-"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, svg("scenarios/drain/rollout-paced-by-stop-timeout.ron", "to-file.svg"), "the bytes a file gets");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("headline: "), "{err}");
    assert!(!dir.join("-").exists(), "no file named -");
    for other in [["--json", ""], ["--trace", "-"]] {
        let mut args = vec!["run", "scenarios/demo.ron", "--svg", "-", other[0]];
        args.extend(other[1..].iter().filter(|a| !a.is_empty()));
        let out = common::drainsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("both write to standard output"), "{err}");
    }
}

/// A name holding a control character cannot reach the chart as it is: XML does not allow it, so
/// the document would not be well-formed. `load` refuses such a name, but a program that builds
/// its `LoadedScenario` by hand skips `load`; the chart draws the character as U+FFFD.
#[test]
fn control_characters_in_names_keep_the_chart_well_formed() {
    let mut loaded = drainsim_scenario::load_str(
        "bell.ron",
        r#"Scenario(name: "bell", seed: 1, clusters: ["prod"],
        instances: [
            (name: "o", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 4096),
            (name: "n", cluster: "prod", instanceType: "c5.large", availabilityZones: ["us-east-1a"], cpu: 2048, memory: 4096),
        ],
        taskDefinitions: [(family: "web", containerDefinitions: [(name: "web", cpu: 256, memory: 512)])],
        services: [(cluster: "prod", serviceName: "web", taskDefinition: "web", desiredCount: 2)],
        steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["o"])))],
        expectations: [])"#,
    )
    .expect("loads");
    assert!(
        drainsim_scenario::load_str("bell.ron", &loaded.source.replace(r#""o""#, r#""o\u{7}""#)).is_err(),
        "load refuses the control character"
    );
    // The same scenario with the names changed behind load's back: the engine refuses the
    // instance's (RegisterContainerInstance: no control character in a logical name), and the
    // chart draws the scenario's without its control character.
    let mut bad_instance = loaded.clone();
    bad_instance.scenario.instances[0].name = "o\u{7}".to_string();
    let refused = drainsim_scenario::run(&bad_instance, &drainsim_scenario::RunOptions::default()).expect_err("refused");
    assert!(refused.message.contains("holds the control character U+0007"), "{}", refused.message);
    loaded.scenario.name = "bell\u{1b}[31m".to_string();
    let outcome = drainsim_scenario::run(&loaded, &drainsim_scenario::RunOptions::default()).expect("runs");
    let text = drainsim_scenario::chart::render_svg(&outcome).expect("draws");
    let forbidden = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    assert!(!text.chars().any(forbidden), "no control character in the SVG");
    assert!(text.contains("bell\u{FFFD}[31m"), "{text}");
}

/// The cluster settling at start-up is no trouble: in a trunked cluster every service waits
/// (NO_INSTANCES) while its instances are REGISTERING, and the title called all of those left out
/// "stalled" ("2 of them stalled …") although no drain stalled any of them.
#[test]
fn a_start_up_stall_does_not_make_a_service_troubled() {
    let dir = TempDir::new("chart-start-up");
    let services: Vec<String> =
        (1..=8).map(|k| format!(r#"(cluster: "prod", serviceName: "s{k}", taskDefinition: "app", desiredCount: 2)"#)).collect();
    let text = format!(
        r#"Scenario(name: "trunked", clusters: ["prod"], accountDefaults: {{"awsvpcTrunking": "enabled"}},
    instances: [(name: "a", count: 3, cluster: "prod", instanceType: "c5.4xlarge", availabilityZones: ["us-east-1a", "us-east-1b"],
                 cpu: 16384, memory: 32768)],
    taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 256, exitAfterSigtermMs: 1000)])],
    services: [{}],
    steps: [(atMs: 120000, do: DrainInstances((cluster: "prod", instances: ["a-1"])))],
)"#,
        services.join(", ")
    );
    let file = dir.join("trunked.ron");
    std::fs::write(&file, text).unwrap();
    let chart = svg(file.to_str().unwrap(), "start-up.svg");
    let title = chart.lines().find(|l| l.starts_with("trunked (seed 0)")).expect("the title");
    assert!(
        title.contains("2 more services not shown (") && title.ends_with("), none of them stalled or fell below its floor"),
        "{title}"
    );
}

/// The service whose task was the last to stop on the drained instances gets a panel ahead of
/// larger services the drain never touched: seven services of 10 tasks pinned to `stay`, and
/// `holder`, one task on `old` behind a target group with a 2-minute deregistration delay, which
/// holds `old`'s drain. Until 2026-12-07 the panels went by size, and `holder` was left out.
#[test]
fn the_service_that_held_the_drains_has_a_panel() {
    let big: Vec<String> = (1..=7)
        .map(|n| {
            format!(
                r#"(cluster: "prod", serviceName: "big-{n}", taskDefinition: "app", desiredCount: 10,
                   placementConstraints: [(type: "memberOf", expression: "attribute:role == stay")])"#
            )
        })
        .collect();
    let text = format!(
        r#"Scenario(name: "held", seed: 1, clusters: ["prod"],
        instances: [
            (name: "stay", cluster: "prod", instanceType: "c5.4xlarge", cpu: 16384, memory: 32768, attributes: {{"role": "stay"}}),
            (name: "old", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840, attributes: {{"role": "old"}}),
            (name: "new", cluster: "prod", instanceType: "c5.large", cpu: 2048, memory: 3840, attributes: {{"role": "new"}}, registerAtMs: 30000),
        ],
        taskDefinitions: [(family: "app", containerDefinitions: [(name: "app", cpu: 128, memory: 128, exitAfterSigtermMs: 1000, portMappings: [(containerPort: 8080)])])],
        services: [
            {big},
            (cluster: "prod", serviceName: "holder", taskDefinition: "app", desiredCount: 1,
             placementConstraints: [(type: "memberOf", expression: "attribute:role != stay")],
             loadBalancers: [(targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/holder/0123456789abcdef", containerName: "app", containerPort: 8080)],
             targetGroup: (deregistrationDelaySeconds: 120)),
        ],
        steps: [(atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["old"]))), (do: RunUntilQuiet)])"#,
        big = big.join(",\n")
    );
    let dir = TempDir::new("chart-held");
    let file = dir.join("held.ron");
    std::fs::write(&file, text).expect("written");
    let out = dir.join("held.svg");
    let run = common::drainsim(&["run", file.to_str().unwrap(), "--svg", out.to_str().unwrap(), "--timeline", "none"]);
    assert!(run.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&run.stderr));
    let chart = std::fs::read_to_string(&out).expect("the chart was written");
    assert!(chart.contains("2 more services not shown"), "{chart}");
    assert!(chart.contains("holder: running (blue)"), "holder has a panel");
    assert!(chart.contains("(big-6, big-7)"), "the two last of the equal big services are left out");
}
