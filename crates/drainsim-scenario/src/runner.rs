//! A run from start to end, bounded: the engine a scenario describes with its setup applied
//! ([`crate::setup`]), each step at its time ([`crate::step`], the clock moved by
//! [`crate::driver`]), then until quiet (or the run's time or event bound), and the end-of-run
//! expectations. Also the determinism check (two runs compared record for record).

use std::collections::BTreeMap;

use drainsim_core::Engine;
use drainsim_core::StopReason;

use crate::autoscaling::AutoScaling;
use crate::driver::{Driver, FailureAwareTraceSink, TraceSink};
use crate::expect::evaluate;
use crate::load::{LoadedScenario, ScenarioError};
use crate::outcome::{RunOutcome, StepOutcome};
pub use crate::setup::RunOptions;
use crate::setup::{prepare, SetupRequests};
pub use crate::step::summarize;
use crate::step::{run_step, StepResults};

/// Parses `--account-default NAME=VALUE` (the value is checked when the run applies it).
pub fn parse_account_default(kv: &str) -> Result<(String, String), String> {
    match kv.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, e.g. awsvpcTrunking=enabled; got '{kv}'")),
    }
}

pub use crate::setup::{DEFAULT_END_TIME_MS, DEFAULT_MAX_EVENTS};

/// Runs a loaded scenario. Setup errors (a request the scenario's own setup makes that ECS refuses)
/// are scenario errors; everything after is judged by the expectations.
pub fn run(loaded: &LoadedScenario, opts: &RunOptions) -> Result<RunOutcome, ScenarioError> {
    run_inner(loaded, opts, None, None, None)
}

/// [`run`] for one of many runs (a sweep's or a comparison's seeds): with the setup's requests
/// built once for all of them (`prebuilt`), and in `spare`, the engine of a run before, reset
/// ([`Engine::reset`]) instead of a new one built. Neither changes the run.
pub(crate) fn run_reusing(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    prebuilt: Option<&SetupRequests>,
    spare: Option<Box<Engine>>,
) -> Result<RunOutcome, ScenarioError> {
    run_inner(loaded, opts, None, prebuilt, spare)
}

/// Runs a scenario streaming its trace records to `sink` in batches as they are made (records are
/// kept only until handed over; the digest is unaffected).
pub fn run_streaming<'s>(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    sink: &'s mut TraceSink<'s>,
) -> Result<RunOutcome, ScenarioError> {
    let mut told_failures = |e: &Engine, records: &[drainsim_core::TraceRecord], _: Option<u64>| sink(e, records);
    run_streaming_with_failures(loaded, opts, &mut told_failures)
}

/// [`run_streaming`] telling the sink when the first step expectation failed (what a streamed
/// text timeline marks).
pub fn run_streaming_with_failures<'s>(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    sink: &'s mut FailureAwareTraceSink<'s>,
) -> Result<RunOutcome, ScenarioError> {
    let mut o = opts.clone();
    o.keep_records = true;
    run_inner(loaded, &o, Some(sink), None, None)
}

/// How many results a run of the scenario judges: one per step (one per expectation of a `Check`),
/// and one per expectation of the scenario: a run's `expectations` once it ran to its end.
/// (`compare` ranks failed expectations only between plans that judge as many.)
pub(crate) fn results_judged(s: &crate::format::Scenario) -> usize {
    let steps: usize =
        s.steps.iter().map(|st| if let crate::format::Action::Check(list) = &st.action { list.len() } else { 1 }).sum();
    steps + s.expectations.len()
}

fn run_inner<'s>(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    sink: Option<&'s mut FailureAwareTraceSink<'s>>,
    prebuilt: Option<&SetupRequests>,
    spare: Option<Box<Engine>>,
) -> Result<RunOutcome, ScenarioError> {
    let s = &loaded.scenario;
    let seed = opts.seed.unwrap_or(s.seed);
    // An explored counterexample's replay must show an invariant broken mid-run: its invariants
    // are checked where the explorer checked its states.
    let noting;
    let replay = s.explore.as_ref().is_some_and(|x| !x.choices.is_empty());
    let opts = if replay && !opts.note_invariant_violations {
        noting = RunOptions { note_invariant_violations: true, ..opts.clone() };
        &noting
    } else {
        opts
    };
    let (mut engine, fault_profile) = prepare(loaded, opts, prebuilt, spare)?;
    let end_time_ms = s.end_time_or_default_ms();
    let max_events = s.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
    let mut driver = Driver::new(loaded, sink, end_time_ms, max_events, prebuilt, AutoScaling::new(loaded));

    let mut outcome_steps = Vec::with_capacity(s.steps.len());
    // A result per step (a Check's per expectation) and per expectation: one allocation.
    let mut results = Vec::with_capacity(results_judged(s));
    let mut bounded_out = false;
    for (n, step) in s.steps.iter().enumerate() {
        // A step without atMs runs right after the one before it.
        let at = step.at_ms.unwrap_or(engine.now_ms());
        if !driver.advance_to(&mut engine, at)? {
            bounded_out = true;
            break;
        }
        let started_at_ms = engine.now_ms();
        let judged_before = results.len();
        let summary =
            run_step(&mut engine, &mut driver, loaded, n, step, StepResults { text: opts.result_text, into: &mut results })?;
        driver.note_results(&results[judged_before..]);
        driver.after_step(&mut engine);
        // Said at the step the bound cut short, which reads "timed out" or its progress.
        let summary = match engine.bound_reached().filter(|_| driver.bounded) {
            Some(bound) => format!("{summary}; the run's bound ({}) stopped it here", bound.as_str()),
            None => summary,
        };
        outcome_steps.push(StepOutcome {
            index: n,
            started_at_ms,
            at_ms: engine.now_ms(),
            operation: step.action.name(),
            summary,
        });
        // A bound that stopped the clock inside the step ends the run there, as one before a
        // step does (docs/scenario-format.md, "endTimeMs and maxEvents").
        if driver.bounded {
            bounded_out = true;
            break;
        }
    }
    let stop_reason = if bounded_out {
        engine.bound_reached().unwrap_or(StopReason::MaxEvents)
    } else {
        driver.run_until_quiet(&mut engine)?
    };
    driver.finish(&mut engine);
    let invariant_violation = match engine.first_invariant_violation() {
        Some((at_ms, v)) => Some(format!("{v} (first found at {})", drainsim_core::time::format_sim_time(at_ms))),
        None => drainsim_core::check_invariants(&engine).err().map(|v| v.to_string()),
    };
    results.extend(driver.background.take_background_failures());
    let scope = driver.background.drain_scope(&engine);
    for e in &s.expectations {
        results.push(evaluate(&engine, e, Some(stop_reason), &scope, opts.result_text));
    }
    Ok(RunOutcome {
        engine,
        scenario_name: s.name.clone(),
        seed,
        stop_reason,
        steps: outcome_steps,
        expectations: results,
        invariant_violation,
        fault_profile,
        instance_refreshes: driver.background.take_refreshes(),
        managed_scaling: driver.background.take_managed_scaling(),
        group_terminations: driver.background.take_terminations(),
    })
}

/// Runs a scenario twice and compares trace records; names the first differing record.
pub fn check_determinism(loaded: &LoadedScenario, opts: &RunOptions) -> Result<u64, String> {
    let mut o = opts.clone();
    o.keep_records = true;
    o.skip_trace_digest = false;
    let a = run(loaded, &o).map_err(|e| e.to_string())?;
    let b = run(loaded, &o).map_err(|e| e.to_string())?;
    compare_traces(&a.engine, &b.engine).map(|d| d.expect("both runs digest their traces"))
}

/// Compares the traces of two runs (records must be kept): their digest (`None` when the runs
/// computed none) when they agree, else a message naming the first differing record, its
/// simulated time, and both versions of it.
pub fn compare_traces(a: &Engine, b: &Engine) -> Result<Option<u64>, String> {
    let (ra, rb) = (a.trace().records(), b.trace().records());
    if a.trace().digest() == b.trace().digest() && ra == rb {
        return Ok(a.trace().digest());
    }
    let first = ra.iter().zip(rb.iter()).position(|(x, y)| x != y).unwrap_or(ra.len().min(rb.len()));
    let describe = |e: &Engine, r: Option<&drainsim_core::TraceRecord>| {
        r.map_or("nothing".to_string(), |r| crate::timeline::render_record(e, r).to_line())
    };
    // Records compare by ids; two runs that only drew different IDs differ in their digests.
    if first == ra.len().min(rb.len()) && ra.len() == rb.len() {
        let mismatch = ra
            .iter()
            .zip(rb.iter())
            .position(|(x, y)| a.describe_record(x).subject_arn != b.describe_record(y).subject_arn)
            .unwrap_or(0);
        return Err(format!(
            "runs diverged at record {mismatch} (simulated time {} ms): first run had `{}`, second `{}`",
            ra.get(mismatch).map_or(0, |r| r.time_ms),
            describe(a, ra.get(mismatch)),
            describe(b, rb.get(mismatch)),
        ));
    }
    Err(format!(
        "runs diverged at record {first} (simulated time {} ms): first run had `{}`, second `{}`",
        ra.get(first).or(rb.get(first)).map_or(0, |r| r.time_ms),
        describe(a, ra.get(first)),
        describe(b, rb.get(first)),
    ))
}

/// Instance names by id, for renderers.
pub fn instance_names(engine: &Engine) -> BTreeMap<u32, String> {
    engine.instances().enumerate().map(|(n, i)| (n as u32, i.name().to_string())).collect()
}

/// The engine a scenario describes with its time-0 setup applied and nothing run yet: the state
/// a run starts from (for a scenario `drainsim import` wrote, the captured cluster). Library users
/// can drive it with [`drainsim_core::Engine`]'s own requests from there. What the scenario does
/// after time 0 is not in the engine but in the run's driver, and does not happen here: its steps,
/// instance groups with a later `registerAtMs`, Auto Scaling groups (their launches, instance
/// refreshes, lifecycle hooks and managed scaling) and Spot interruptions. For those, run the
/// scenario ([`run`]); its [`RunOutcome::engine`](crate::RunOutcome::engine) is the engine as the
/// run left it.
pub fn setup_engine(loaded: &LoadedScenario, opts: &RunOptions) -> Result<drainsim_core::Engine, ScenarioError> {
    crate::setup::prepare(loaded, opts, None, None).map(|(engine, _)| *engine)
}

/// Validates a scenario's setup without running its steps: account settings, clusters, task
/// definitions, instance registrations and services are applied (so ECS refusals surface as
/// file:line:column errors), and the run stops before the first step.
pub fn check_setup(loaded: &LoadedScenario) -> Result<(), ScenarioError> {
    check_setup_of(loaded.clone())
}

/// [`check_setup`] of a scenario the caller is done with: no copy of it is made (an imported
/// cluster of 20,000 instances is tens of megabytes).
pub fn check_setup_of(loaded: LoadedScenario) -> Result<(), ScenarioError> {
    let mut dry = loaded;
    dry.scenario.steps.clear();
    dry.scenario.expectations.clear();
    dry.scenario.end_time_ms = Some(0);
    // Later groups register at once, so their refusals surface too.
    for g in &mut dry.scenario.instances {
        g.register_at_ms = g.register_at_ms.min(0);
    }
    run(&dry, &RunOptions::default()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{Cmp, Expectation, StepExpect};
    use crate::setup::ResultText;

    /// A run to its end judges as many results as `results_judged` counts (what `compare` reads).
    #[test]
    fn a_run_judges_the_results_counted() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/drain/seed-min50-max200.ron");
        let loaded = crate::load_file(&path).expect("the scenario loads");
        let outcome = run(&loaded, &RunOptions::default()).expect("runs");
        assert!(loaded.scenario.steps.iter().any(|st| matches!(st.action, crate::format::Action::Check(_))));
        assert_eq!(outcome.expectations.len(), results_judged(&loaded.scenario));
    }

    #[test]
    fn failures_only_text_keeps_every_verdict_and_the_text_of_failures() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/drain/seed-min50-max200.ron");
        let mut loaded = crate::load_file(&path).expect("the scenario loads");
        let s = &mut loaded.scenario;
        // A failing step, a failing expectation, a failing named one, beside the passing ones.
        s.steps[1].expect = Some(StepExpect::Error("ClientException".into()));
        s.expectations.push(Expectation::ServiceRunningCount("web".into(), Cmp::Eq(99)));
        s.expectations.push(Expectation::Named(
            "web holds 99".into(),
            Box::new(Expectation::ServiceHealthyCount("web".into(), Cmp::AtLeast(99))),
        ));
        s.expectations.push(Expectation::InstanceStatus("no-such-instance".into(), "ACTIVE".into()));
        let full = run(&loaded, &RunOptions::default()).expect("runs").expectations;
        let lean =
            run(&loaded, &RunOptions { result_text: ResultText::FailuresOnly, ..Default::default() }).expect("runs").expectations;
        assert_eq!(full.len(), lean.len());
        assert_eq!(full.iter().filter(|r| !r.passed).count(), 4, "the four planted failures fail");
        assert!(full.iter().filter(|r| r.passed).count() > 10);
        for (f, l) in full.iter().zip(&lean) {
            assert_eq!((f.passed, f.at_ms, f.step), (l.passed, l.at_ms, l.step));
            assert!(!f.name.is_empty() && !f.detail.is_empty(), "every result has its text by default: {f:?}");
            if f.passed {
                assert!(l.name.is_empty() && l.detail.is_empty(), "a passed result has no text: {l:?}");
            } else {
                assert_eq!((&f.name, &f.detail), (&l.name, &l.detail), "a failed result has the same text");
            }
        }
        let named = lean.iter().find(|r| r.name == "web holds 99").expect("the named expectation keeps its name");
        assert_eq!(named.detail, "web healthyCount >= 99: observed 4", "what was checked under the name, then what was observed");
    }

    /// A sweep sets each scenario up with requests built once ([`SetupRequests::prebuild`]) and
    /// runs each seed on the engine of the seed before, reset ([`Engine::reset`]); every scenario
    /// then runs record for record as it does with its requests built in the run on a new engine,
    /// its own seed and another. The
    /// engine reset for each run is the one the run before left, another scenario's or another
    /// seed's, with its tasks, names and pending events.
    #[test]
    fn prebuilt_setup_requests_and_a_reset_engine_change_no_run() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("readable directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() && !path.ends_with("invalid") {
                    files(&path, out);
                } else if path.extension().is_some_and(|x| x == "ron") {
                    out.push(path);
                }
            }
        }
        let mut paths = Vec::new();
        files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios"), &mut paths);
        paths.sort();
        let (mut compared, mut reuses) = (0, 0);
        let mut spare: Option<Box<Engine>> = None;
        for path in &paths {
            let Ok(loaded) = crate::load_file(path) else { continue };
            let Some(setup_requests) = SetupRequests::prebuild(&loaded) else { continue };
            for seed in [None, Some(7)] {
                let opts = RunOptions { seed, keep_records: true, ..Default::default() };
                let reused = spare.is_some();
                let (Ok(built), Ok(prebuilt)) =
                    (run(&loaded, &opts), run_reusing(&loaded, &opts, Some(&setup_requests), spare.take()))
                else {
                    panic!("{}: a run failed with one way of registering but not both", path.display());
                };
                assert_eq!(
                    compare_traces(&built.engine, &prebuilt.engine),
                    Ok(built.engine.trace().digest()),
                    "{}",
                    path.display()
                );
                let verdicts = |o: &RunOutcome| o.expectations.iter().map(|x| (x.passed, x.detail.clone())).collect::<Vec<_>>();
                assert_eq!(verdicts(&built), verdicts(&prebuilt), "{}", path.display());
                compared += 1;
                reuses += u32::from(reused);
                spare = Some(prebuilt.engine);
            }
        }
        assert!(compared >= 200, "only {compared} runs compared");
        assert_eq!(reuses + 1, compared, "every run but the first reset the run before's engine");
    }

    #[test]
    fn a_divergence_names_the_first_differing_record_and_its_time() {
        let loaded = crate::load_str(crate::DEMO_FILE, crate::DEMO_SCENARIO).expect("the demo loads");
        let run_with =
            |seed| run(&loaded, &RunOptions { seed: Some(seed), keep_records: true, ..Default::default() }).expect("runs");
        let (a, b) = (run_with(1), run_with(2));
        let message = compare_traces(&a.engine, &b.engine).expect_err("different seeds draw different IDs");
        // The two runs agree record for record until the scheduler's tie-break by task ID (the stop
        // order of equally old tasks) picks different tasks; the message names that record.
        let first =
            a.engine.trace().records().iter().zip(b.engine.trace().records()).position(|(x, y)| x != y).expect("they differ");
        let at = a.engine.trace().records()[first].time_ms;
        assert!(message.starts_with(&format!("runs diverged at record {first} (simulated time {at} ms)")), "{message}");
        let same = run_with(1);
        assert_eq!(compare_traces(&a.engine, &same.engine), Ok(a.engine.trace().digest()));
    }
}
