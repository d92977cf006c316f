//! Named properties over generated drain scenarios, and the counterexample pipeline.
//!
//! proptest generates small [`ScenarioCase`]s (1–5 instances, one task definition, 1–3 services, a
//! drain plan of at most 10 steps); each is rendered as RON, loaded, run with invariants checked
//! after every event, and judged by the *always*, *sometimes* and *eventually* properties of
//! `drainsim_scenario::generate`. A failing case is shrunk, then written as a scenario file under
//! `target/counterexamples/` whose expectations encode the violated property; the failure message
//! names the `drainsim run ...` command that replays it. See `docs/properties.md`.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use drainsim_scenario::format::{Cmp, Expectation};
use drainsim_scenario::generate::{
    check_case, counterexample_dir, named, standard_properties, write_counterexample, CaseRun, Counterexample, Finding, Property,
    PropertyKind, ScenarioCase, Verdict, DRAIN_MOVED_TASK, MAX_PLAN_STEPS,
};
use drainsim_scenario::RunOptions;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};

#[allow(dead_code)] // each test uses some of the shared strategies
mod generated;
use generated::scenario_case;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Cases of a run: `PROPTEST_CASES` when set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A runner with a fixed seed (CI sees the same cases every time) unless `PROPTEST_RNG_SEED` is set;
/// failures persist as scenario files, not as proptest-regressions seeds.
fn runner(cases: u32) -> TestRunner {
    let mut config = Config { cases, failure_persistence: None, ..Config::default() };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x0d12_a175);
    }
    eprintln!("proptest: {} cases, rng seed {:?} (set PROPTEST_RNG_SEED to change it)", config.cases, config.rng_seed);
    TestRunner::new(config)
}

/// Tallies of a batch: how many cases each property held in (non-vacuously).
type Tally = RefCell<BTreeMap<&'static str, u32>>;

/// A property failed: the shrunk case, its counterexample file, and the failure message (which ends
/// with the command that replays it).
struct Failure {
    minimal: ScenarioCase,
    written: Counterexample,
    message: String,
}

/// Runs the properties over generated cases. On failure, the shrunk case is written as a
/// counterexample.
fn search(properties: &[Property], cases: u32, tally: &Tally) -> Result<(), Box<Failure>> {
    search_in(scenario_case(), properties, cases, tally)
}

/// [`search`] over the cases `strategy` draws.
fn search_in(
    strategy: impl Strategy<Value = ScenarioCase>,
    properties: &[Property],
    cases: u32,
    tally: &Tally,
) -> Result<(), Box<Failure>> {
    let result = runner(cases).run(&strategy, |case| {
        let report = check_case(&case, properties);
        if let Some(v) = report.violations.first() {
            return Err(TestCaseError::fail(v.to_string()));
        }
        let mut t = tally.borrow_mut();
        for name in report.held {
            *t.entry(name).or_insert(0) += 1;
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Abort(why)) => panic!("proptest aborted: {why}"),
        Err(TestError::Fail(reason, minimal)) => {
            let report = check_case(&minimal, properties);
            let violation =
                report.violations.first().cloned().unwrap_or_else(|| panic!("the shrunk case passes again: {reason}"));
            let dir = counterexample_dir(workspace());
            let written = write_counterexample(workspace(), &dir, &minimal, &violation)
                .unwrap_or_else(|e| panic!("cannot write the counterexample to {}: {e}", dir.display()));
            let message = format!(
                "property violated: {violation}\n\nshrunk case: {minimal:#?}\n\ncounterexample written to {}\n{}\nreproduce with: {}",
                written.path.display(),
                replay(&written.path),
                written.reproduce
            );
            Err(Box::new(Failure { minimal, written, message }))
        }
    }
}

/// What replaying a written counterexample shows (its failed expectations), so a file that does not
/// reproduce is noticed at once.
fn replay(path: &Path) -> String {
    let outcome = match drainsim_scenario::load_file(path).and_then(|l| drainsim_scenario::run(&l, &RunOptions::default())) {
        Ok(o) => o,
        Err(e) => return format!("replaying it fails to load: {e}"),
    };
    let mut failed: Vec<String> = outcome.expectations.iter().filter(|x| !x.passed).map(|x| format!("FAIL {}", x.name)).collect();
    failed.extend(outcome.invariant_violation.map(|v| format!("FAIL invariant: {v}")));
    if failed.is_empty() {
        "replaying it PASSES: the violation is not visible to `drainsim run` (see the header comment of the file)".into()
    } else {
        format!("replaying it: {}", failed.join("; "))
    }
}

fn assert_not_vacuous(properties: &[Property], tally: &Tally, cases: u32) {
    let t = tally.borrow();
    for p in properties.iter().filter(|p| p.kind != PropertyKind::Always) {
        let n = t.get(p.name).copied().unwrap_or(0);
        eprintln!("{:>5} of {cases} cases: {}", n, p.name);
        // A handful of cases may legitimately never reach a state; a real batch must.
        if cases >= 64 {
            assert!(n > 0, "`{}` never held in {cases} cases: the batch is vacuous for it", p.name);
        }
    }
}

#[test]
fn generated_drains_keep_the_named_properties() {
    let properties = standard_properties();
    let n = cases(256);
    let tally = Tally::default();
    if let Err(f) = search(&properties, n, &tally) {
        panic!("{}", f.message);
    }
    assert_not_vacuous(&properties, &tally, n);
}

/// The same properties when the services run by capacity provider strategies (two providers,
/// by the instances' parity): a strategy narrows where a task may go, never the bounds. The
/// drain-time property is vacuous there (room per provider is not counted); drains still move
/// tasks.
#[test]
fn generated_drains_with_capacity_providers_keep_the_named_properties() {
    let properties = standard_properties();
    let n = cases(128);
    let tally = Tally::default();
    if let Err(f) = search_in(generated::scenario_case_with_capacity_providers(), &properties, n, &tally) {
        panic!("{}", f.message);
    }
    let moved = tally.borrow().get(DRAIN_MOVED_TASK).copied().unwrap_or(0);
    assert!(n < 64 || moved > 0, "no drain moved a task in {n} cases");
}

/// Deliberately too strict: a drain may take a service down to exactly its floor.
const TOO_STRICT: &str = "always: minHealthyObserved >= floor + 1";

fn too_strict(r: &CaseRun) -> Verdict {
    let mut found = Vec::new();
    for (n, sv) in r.case.services.iter().enumerate() {
        let e = &r.outcome.engine;
        let Some(s) = e.service_named(&format!("svc{n}")) else { continue };
        if let Some(m) = s.min_healthy_observed() {
            if m < sv.floor() + 1 {
                found.push(Finding {
                    detail: format!("svc{n}: {m} healthy observed, floor {}", sv.floor()),
                    expectation: Some(named(
                        TOO_STRICT,
                        Expectation::MinHealthyObserved(format!("svc{n}"), Cmp::AtLeast(u64::from(sv.floor()) + 1)),
                    )),
                });
            }
        }
    }
    if found.is_empty() {
        Verdict::Holds
    } else {
        Verdict::Violated(found)
    }
}

#[test]
fn a_too_strict_property_is_caught_shrunk_written_and_replayed() {
    let properties = [Property { name: TOO_STRICT, kind: PropertyKind::Always, eval: too_strict }];
    let tally = Tally::default();
    let Failure { minimal, written, message } =
        *search(&properties, cases(200), &tally).expect_err("the too-strict property must be caught");

    assert!(minimal.steps.len() <= MAX_PLAN_STEPS, "{minimal:?}");
    assert!(
        minimal.services.len() == 1 && minimal.instances.len() == 1,
        "shrinking should reach one service on one instance: {minimal:#?}"
    );
    let dir = counterexample_dir(workspace());
    assert!(written.path.starts_with(&dir) && written.path.exists(), "{}", written.path.display());
    let file = written.path.file_name().unwrap().to_string_lossy().to_string();
    assert!(file.starts_with("always-minhealthyobserved-ge-floor-plus-1-") && file.ends_with(".ron"), "{file}");
    assert!(!written.path.starts_with(workspace().join("scenarios")));
    assert!(written.reproduce.starts_with("drainsim run "), "{}", written.reproduce);
    assert!(message.contains(&format!("replaying it: FAIL {TOO_STRICT}\n")), "{message}");
    assert!(message.ends_with(&format!("reproduce with: {}", written.reproduce)), "{message}");
    assert!(written.text.contains(&format!("Named({TOO_STRICT:?}, MinHealthyObserved(\"svc0\", AtLeast(")), "{}", written.text);

    // The binary replays it: exit 1, naming the property.
    let out = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", written.path.to_str().unwrap(), "--timeline", "none"])
        .current_dir(workspace())
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("FAIL {TOO_STRICT}")), "{stdout}");
    // Only the property fails: every step of the file expects what it did.
    assert_eq!(stdout.matches("FAIL ").count(), 1, "{stdout}");
}
