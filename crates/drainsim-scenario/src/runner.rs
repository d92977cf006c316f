//! The bounded driver: builds an engine from a scenario, applies its setup and steps at their
//! simulated times, runs until quiet (or its time/event bound), and evaluates its expectations.

use std::collections::BTreeMap;

use drainsim_core::api::{self, Request, Response};
use drainsim_core::engine::StopReason;
use drainsim_core::faults::{FaultProfile, PinnedFault};
use drainsim_core::lifecycle::AgentUpdateStatus;
use drainsim_core::time::HOUR_MS;
use drainsim_core::{EcsError, Engine, EngineConfig};

use crate::driver::{Driver, TraceSink};
use crate::expect::evaluate;
use crate::format::{Action, PinnedFaultKind, Step, StepExpect};
use crate::load::{group_member_names, LoadedScenario, ScenarioError};
use crate::outcome::{ExpectationResult, RunOutcome, StepOutcome};
use crate::setup::register_group;

/// How to run a scenario.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// `--account-default NAME=VALUE` overrides, applied after the scenario's own.
    pub account_defaults: Vec<(String, String)>,
    /// Keep every trace record (for the timeline and determinism diffs).
    pub keep_records: bool,
    /// Check invariants after every event (tests); a release run checks at the end.
    pub check_invariants_every_event: bool,
    /// Draw a fault profile from the seed (`--faults swarm`).
    pub swarm_faults: bool,
}

/// Parses `--account-default NAME=VALUE` (the value is checked when the run applies it).
pub fn parse_account_default(kv: &str) -> Result<(String, String), String> {
    match kv.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, e.g. awsvpcTrunking=enabled; got '{kv}'")),
    }
}

/// Default simulated-time bound of a run.
pub const DEFAULT_END_TIME_MS: u64 = 24 * HOUR_MS;
/// Default event bound of a run.
pub const DEFAULT_MAX_EVENTS: u64 = 50_000_000;

/// Runs a loaded scenario. Setup errors (a request the scenario's own setup makes that ECS refuses)
/// are scenario errors; everything after is judged by the expectations.
pub fn run(loaded: &LoadedScenario, opts: &RunOptions) -> Result<RunOutcome, ScenarioError> {
    run_inner(loaded, opts, None)
}

/// Runs a scenario streaming its trace records to `sink` in batches as they are made (records are
/// kept only until handed over; the digest is unaffected).
pub fn run_streaming<'s>(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    sink: &'s mut TraceSink<'s>,
) -> Result<RunOutcome, ScenarioError> {
    let mut o = opts.clone();
    o.keep_records = true;
    run_inner(loaded, &o, Some(sink))
}

fn run_inner<'s>(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    sink: Option<&'s mut TraceSink<'s>>,
) -> Result<RunOutcome, ScenarioError> {
    let s = &loaded.scenario;
    let seed = opts.seed.unwrap_or(s.seed);
    let mut config = EngineConfig {
        seed,
        timings: s.timings.clone(),
        keep_trace_records: opts.keep_records,
        check_invariants_every_event: opts.check_invariants_every_event,
        ..EngineConfig::default()
    };
    if let Some(e) = s.epoch_unix_seconds {
        config.epoch_unix_s = e;
    }
    if let Some(a) = &s.account_id {
        config.account_id = a.clone();
    }
    if let Some(r) = &s.region {
        config.region = r.clone();
    }
    if let Some(v) = &s.latest_agent_version {
        config.latest_agent_version = v.clone();
    }
    let end_time_ms = s.end_time_ms.unwrap_or(DEFAULT_END_TIME_MS);
    let max_events = s.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
    let mut engine = Engine::new(config);
    let setup_err = |needle: &str, what: &str, e: EcsError| loaded.error_at(needle, format!("{what}: {e}"));

    for (name, value) in &s.account_defaults {
        engine.override_account_default(name, value).map_err(|e| setup_err(&format!("\"{name}\""), "accountDefaults", e))?;
    }
    for (name, value) in &opts.account_defaults {
        engine.override_account_default(name, value).map_err(|e| ScenarioError {
            file: "--account-default".into(),
            line: 1,
            column: 1,
            message: format!("{name}={value}: {e}"),
        })?;
    }
    let mut fault_profile = None;
    if let Some(f) = &s.faults {
        let p = FaultProfile {
            trunk_provisioning_failure_per_mille: f.trunk_provisioning_failure_per_mille,
            eni_attach_latency_ms: f.eni_attach_latency_ms,
            task_start_failure_per_mille: f.task_start_failure_per_mille,
            agent_disconnects_per_hour: f.agent_disconnects_per_hour,
        };
        if p != FaultProfile::default() {
            fault_profile = Some(p.clone());
        }
        engine.set_fault_profile(p);
    }
    if opts.swarm_faults {
        let p = engine.draw_swarm_fault_profile();
        engine.set_fault_profile(p.clone());
        fault_profile = Some(p);
    }
    for put in &s.account_settings {
        engine
            .handle(Request::PutAccountSetting(put.clone()))
            .map_err(|e| setup_err(&format!("\"{}\"", put.name), "accountSettings", e))?;
    }
    for c in &s.clusters {
        engine.create_cluster(c).map_err(|e| setup_err(&format!("\"{c}\""), "clusters", e))?;
    }
    for td in &s.task_definitions {
        engine
            .handle(Request::RegisterTaskDefinition(td.clone()))
            .map_err(|e| setup_err(&format!("\"{}\"", td.family), "taskDefinitions", e))?;
    }
    for g in s.instances.iter().filter(|g| g.register_at_ms == 0) {
        register_group(&mut engine, loaded, g)?;
    }
    let mut driver = Driver::new(loaded, sink, end_time_ms, max_events);
    for svc in &s.services {
        engine
            .handle(Request::CreateService(svc.clone()))
            .map_err(|e| setup_err(&format!("\"{}\"", svc.service_name), "services", e))?;
    }
    if let Some(f) = &s.faults {
        for p in &f.pinned {
            let (PinnedFaultKind::AgentDisconnect(n)
            | PinnedFaultKind::AgentReconnect(n)
            | PinnedFaultKind::AgentUpdateFailure(n, _)) = &p.fault;
            let Some(i) = engine.instance_by_name(n) else {
                return Err(loaded.error_at(
                    &format!("\"{n}\""),
                    format!("unknown instance '{n}' in a pinned fault (it must be registered at time 0)"),
                ));
            };
            match &p.fault {
                PinnedFaultKind::AgentDisconnect(_) => engine.pin_fault(p.at_ms, PinnedFault::AgentDisconnect(i)),
                PinnedFaultKind::AgentReconnect(_) => engine.pin_fault(p.at_ms, PinnedFault::AgentReconnect(i)),
                PinnedFaultKind::AgentUpdateFailure(_, stage) => {
                    let st = AgentUpdateStatus::parse(stage)
                        .filter(|s| !matches!(s, AgentUpdateStatus::Pending | AgentUpdateStatus::Failed))
                        .ok_or_else(|| {
                            loaded.error_at(
                                &format!("\"{stage}\""),
                                "AgentUpdateFailure stage must be STAGING, STAGED, UPDATING or UPDATED",
                            )
                        })?;
                    engine.inject_agent_update_failure(i, st);
                }
            }
        }
    }

    let mut outcome_steps = Vec::new();
    let mut results = Vec::new();
    let mut bounded_out = false;
    for (n, step) in s.steps.iter().enumerate() {
        // A step without atMs runs right after the one before it.
        let at = step.at_ms.unwrap_or(engine.now_ms());
        if !driver.advance_to(&mut engine, at)? {
            bounded_out = true;
            break;
        }
        let (summary, mut step_results) = run_step(&mut engine, &mut driver, loaded, n, step)?;
        driver.after_step(&mut engine);
        outcome_steps.push(StepOutcome { index: n, at_ms: engine.now_ms(), operation: step.action.name().into(), summary });
        results.append(&mut step_results);
    }
    let stop_reason = if bounded_out { StopReason::MaxEvents } else { driver.run_until_quiet(&mut engine)? };
    driver.finish(&mut engine);
    let invariant_violation = drainsim_core::check_invariants(&engine).err().map(|v| v.to_string());
    for e in &s.expectations {
        results.push(evaluate(&engine, e, Some(stop_reason)));
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
    })
}

/// Replaces a logical instance name by its ARN; anything else (an ID, an ARN, a typo) is passed
/// through so that ECS's own MISSING handling applies.
fn resolve_ref(engine: &Engine, reference: &str) -> String {
    engine.instance_by_name(reference).map_or_else(|| reference.to_string(), |id| engine.instance_arn(id))
}

/// Expands group names into member names.
fn expand(loaded: &LoadedScenario, names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for n in names {
        match loaded.scenario.instances.iter().find(|g| g.name == *n && g.count > 1) {
            Some(g) => out.extend(group_member_names(&g.name, g.count)),
            None => out.push(n.clone()),
        }
    }
    out
}

/// The outcome of a step before it is compared with its expectation.
enum Outcome {
    Response(Response),
    Error(EcsError),
    /// A drain-plan step: the failures of its calls, or a timeout.
    Plan {
        failures: Vec<api::Failure>,
        timed_out: bool,
        error: Option<EcsError>,
    },
    Checked,
}

/// The request with its instance references resolved (logical names become ARNs).
fn resolve_request(engine: &Engine, request: &Request) -> Request {
    let r = |s: &String| resolve_ref(engine, s);
    let mut request = request.clone();
    match &mut request {
        Request::DeregisterContainerInstance(x) => x.container_instance = r(&x.container_instance),
        Request::DescribeContainerInstances(x) => x.container_instances = x.container_instances.iter().map(r).collect(),
        Request::UpdateContainerInstancesState(x) => x.container_instances = x.container_instances.iter().map(r).collect(),
        Request::UpdateContainerAgent(x) => x.container_instance = r(&x.container_instance),
        Request::StartTask(x) => x.container_instances = x.container_instances.iter().map(r).collect(),
        Request::ListTasks(x) => x.container_instance = x.container_instance.as_ref().map(r),
        _ => {}
    }
    request
}

fn run_step(
    engine: &mut Engine,
    driver: &mut Driver,
    loaded: &LoadedScenario,
    n: usize,
    step: &Step,
) -> Result<(String, Vec<ExpectationResult>), ScenarioError> {
    let caller = step.caller.clone().unwrap_or_else(|| engine.default_caller_arn());
    let outcome = if let Action::Ecs(req) = &step.action {
        match engine.handle_as(&caller, resolve_request(engine, req)) {
            Ok(r) => {
                // A pinned trunk failure applies to an instance a step registers, too.
                if let Request::RegisterContainerInstance(reg) = req {
                    let name = &reg.instance_identity.name;
                    if loaded.scenario.faults.as_ref().is_some_and(|f| f.trunk_failures.contains(name)) {
                        if let Some(id) = engine.instance_by_name(name) {
                            engine.pin_trunk_failure(id);
                        }
                    }
                }
                Outcome::Response(r)
            }
            Err(e) => Outcome::Error(e),
        }
    } else {
        match &step.action {
            Action::DrainInstances(p) | Action::ActivateInstances(p) => {
                let status = if matches!(step.action, Action::DrainInstances(_)) { "DRAINING" } else { "ACTIVE" };
                let names = expand(loaded, &p.instances);
                let wave = p.wave_size.unwrap_or(10) as usize;
                let mut failures = Vec::new();
                let mut error = None;
                for chunk in names.chunks(wave) {
                    let req = api::UpdateContainerInstancesStateRequest {
                        cluster: p.cluster.clone(),
                        container_instances: chunk.iter().map(|c| resolve_ref(engine, c)).collect(),
                        status: status.into(),
                    };
                    match engine.handle_as(&caller, Request::UpdateContainerInstancesState(req)) {
                        Ok(Response::ContainerInstances { failures: f, .. }) => failures.extend(f),
                        Ok(_) => {}
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                Outcome::Plan { failures, timed_out: false, error }
            }
            Action::DeregisterInstances(p) => {
                let mut error = None;
                for name in expand(loaded, &p.instances) {
                    let req = api::DeregisterContainerInstanceRequest {
                        cluster: p.cluster.clone(),
                        container_instance: resolve_ref(engine, &name),
                        force: Some(p.force),
                    };
                    if let Err(e) = engine.handle_as(&caller, Request::DeregisterContainerInstance(req)) {
                        error = Some(e);
                        break;
                    }
                }
                Outcome::Plan { failures: vec![], timed_out: false, error }
            }
            Action::StopTasksOn(p) => {
                let mut error = None;
                let tasks: Vec<_> = engine
                    .instance_by_name(&p.instance)
                    .map(|i| engine.instance(i).tasks.clone())
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| !p.standalone_only || engine.task_origin(*t).service.is_none())
                    .collect();
                for t in tasks {
                    let req =
                        api::StopTaskRequest { cluster: p.cluster.clone(), task: engine.task_arn(t), reason: p.reason.clone() };
                    if let Err(e) = engine.handle_as(&caller, Request::StopTask(req)) {
                        error = Some(e);
                        break;
                    }
                }
                Outcome::Plan { failures: vec![], timed_out: false, error }
            }
            Action::WaitForDrain(w) => {
                let ids: Vec<_> = expand(loaded, &w.instances).iter().filter_map(|n| engine.instance_by_name(n)).collect();
                let done = |e: &Engine| ids.iter().all(|i| e.instance(*i).drain.completed_at_ms().is_some());
                let timed_out = driver.wait_until(engine, w.timeout_ms, done)?;
                Outcome::Plan { failures: vec![], timed_out, error: None }
            }
            Action::RunUntilQuiet => {
                driver.run_until_quiet(engine)?;
                Outcome::Checked
            }
            Action::Advance => Outcome::Checked,
            Action::Check(list) => {
                let results: Vec<ExpectationResult> = list.iter().map(|e| evaluate(engine, e, None)).collect();
                return Ok((format!("checked {} expectations", results.len()), results));
            }
            Action::Ecs(_) => unreachable!("handled above"),
        }
    };
    let expect = step.expect.clone().unwrap_or(StepExpect::Success);
    let (passed, detail, summary) = judge(engine, &outcome, &expect);
    let op = step.action.name();
    let result = ExpectationResult {
        name: format!("step {} {op} at {} ms: {}", n + 1, engine.now_ms(), describe_expect(&expect)),
        passed,
        detail,
        at_ms: engine.now_ms(),
    };
    Ok((summary, vec![result]))
}

fn describe_expect(e: &StepExpect) -> String {
    match e {
        StepExpect::Success => "succeeds".into(),
        StepExpect::NoFailures => "succeeds without failures".into(),
        StepExpect::Error(k) => format!("fails with {k}"),
        StepExpect::ErrorContaining(k, t) => format!("fails with {k} containing '{t}'"),
        StepExpect::Failures(f) => format!("returns failures {f:?}"),
        StepExpect::Listed(l, more) => format!("lists {l:?} (nextToken {})", if *more { "present" } else { "absent" }),
        StepExpect::Settings(s) => format!("lists settings {s:?}"),
        StepExpect::TimedOut => "times out".into(),
    }
}

/// Maps a response's ARNs back to logical names for comparison and display.
fn name_of_arn(engine: &Engine, arn: &str) -> String {
    engine
        .instance_ids()
        .find(|i| engine.instance_arn(*i) == arn)
        .map_or_else(|| arn.to_string(), |i| engine.resolve_sym(engine.instance(i).name).to_string())
}

fn judge(engine: &Engine, outcome: &Outcome, expect: &StepExpect) -> (bool, String, String) {
    let failures_of = |o: &Outcome| -> Vec<(String, String)> {
        let list: Vec<api::Failure> = match o {
            Outcome::Response(Response::ContainerInstances { failures, .. }) => failures.clone(),
            Outcome::Response(Response::Tasks { failures, .. }) => failures.clone(),
            Outcome::Response(Response::Services { failures, .. }) => failures.clone(),
            Outcome::Plan { failures, .. } => failures.clone(),
            _ => vec![],
        };
        list.iter()
            .map(|f| {
                let arn = f.arn.clone().unwrap_or_default();
                let short = name_of_arn(engine, &arn);
                let short = if short == arn { arn.rsplit('/').next().unwrap_or(&arn).to_string() } else { short };
                (short, f.reason.clone())
            })
            .collect()
    };
    let summary = match outcome {
        Outcome::Response(r) => summarize(engine, r),
        Outcome::Error(e) => e.to_string(),
        Outcome::Plan { failures, timed_out, error } => match (error, timed_out) {
            (Some(e), _) => e.to_string(),
            (None, true) => "timed out".into(),
            (None, false) if failures.is_empty() => "ok".into(),
            (None, false) => format!("ok with failures {:?}", failures_of(outcome)),
        },
        Outcome::Checked => "ok".into(),
    };
    let error = match outcome {
        Outcome::Error(e) => Some(e),
        Outcome::Plan { error: Some(e), .. } => Some(e),
        _ => None,
    };
    let timed_out = matches!(outcome, Outcome::Plan { timed_out: true, .. });
    let passed = match expect {
        StepExpect::Success => error.is_none() && !timed_out,
        StepExpect::NoFailures => error.is_none() && !timed_out && failures_of(outcome).is_empty(),
        StepExpect::Error(k) => error.is_some_and(|e| e.kind.name() == k),
        StepExpect::ErrorContaining(k, t) => error.is_some_and(|e| e.kind.name() == k && e.message.contains(t.as_str())),
        StepExpect::Failures(want) => error.is_none() && failures_of(outcome) == *want,
        StepExpect::Listed(names, more) => match outcome {
            Outcome::Response(Response::ContainerInstanceArns { container_instance_arns, next_token }) => {
                let got: Vec<String> = container_instance_arns.iter().map(|a| name_of_arn(engine, a)).collect();
                got == *names && next_token.is_some() == *more
            }
            _ => false,
        },
        StepExpect::Settings(want) => match outcome {
            Outcome::Response(Response::Settings { settings, .. }) => {
                let got: Vec<(String, String, String)> =
                    settings.iter().map(|s| (s.name.clone(), s.value.clone(), s.principal_arn.clone())).collect();
                got == *want
            }
            _ => false,
        },
        StepExpect::TimedOut => timed_out,
    };
    let detail = format!("got: {summary}");
    (passed, detail, summary)
}

/// A one-line summary of a response, with instance names where there are ARNs.
pub fn summarize(engine: &Engine, r: &Response) -> String {
    match r {
        Response::Cluster { cluster } => format!("cluster {}", cluster.cluster_name),
        Response::ContainerInstance { container_instance } => format!(
            "{} {} version {}",
            name_of_arn(engine, &container_instance.container_instance_arn),
            container_instance.status,
            container_instance.version
        ),
        Response::ContainerInstances { container_instances, failures } => {
            let ok: Vec<String> = container_instances
                .iter()
                .map(|c| format!("{} {}", name_of_arn(engine, &c.container_instance_arn), c.status))
                .collect();
            let bad: Vec<String> = failures
                .iter()
                .map(|f| format!("{} {}", f.arn.as_deref().map(|a| name_of_arn(engine, a)).unwrap_or_default(), f.reason))
                .collect();
            format!("containerInstances [{}] failures [{}]", ok.join(", "), bad.join(", "))
        }
        Response::ContainerInstanceArns { container_instance_arns, next_token } => {
            let names: Vec<String> = container_instance_arns.iter().map(|a| name_of_arn(engine, a)).collect();
            format!("[{}]{}", names.join(", "), if next_token.is_some() { " +nextToken" } else { "" })
        }
        Response::Setting { setting } => format!("{} = {} for {}", setting.name, setting.value, setting.principal_arn),
        Response::Settings { settings, next_token } => {
            let s: Vec<String> = settings.iter().map(|s| format!("{}={}@{}", s.name, s.value, s.principal_arn)).collect();
            format!("[{}]{}", s.join(", "), if next_token.is_some() { " +nextToken" } else { "" })
        }
        Response::Acknowledgment { acknowledgment } => format!("acknowledgment {acknowledgment}"),
        Response::TaskDefinition { task_definition } => format!("{}:{}", task_definition.family, task_definition.revision),
        Response::Service { service } => {
            format!("service {} {} desired {}", service.service_name, service.status, service.desired_count)
        }
        Response::Services { services, failures } => format!("{} services, {} failures", services.len(), failures.len()),
        Response::Tasks { tasks, failures } => {
            let bad: Vec<String> = failures.iter().map(|f| f.reason.clone()).collect();
            format!("{} tasks, failures [{}]", tasks.len(), bad.join(", "))
        }
        Response::Task { task } => format!(
            "task {} {} desired {}",
            task.task_arn.rsplit('/').next().unwrap_or(""),
            task.last_status,
            task.desired_status
        ),
        Response::TaskArns { task_arns, next_token } => {
            format!("{} tasks{}", task_arns.len(), if next_token.is_some() { " +nextToken" } else { "" })
        }
    }
}

/// Runs a scenario twice and compares trace records; names the first differing record.
pub fn check_determinism(loaded: &LoadedScenario, opts: &RunOptions) -> Result<u64, String> {
    let mut o = opts.clone();
    o.keep_records = true;
    let a = run(loaded, &o).map_err(|e| e.to_string())?;
    let b = run(loaded, &o).map_err(|e| e.to_string())?;
    compare_traces(&a.engine, &b.engine)
}

/// Compares the traces of two runs (records must be kept): their digest when they agree, else a
/// message naming the first differing record, its simulated time, and both versions of it.
pub fn compare_traces(a: &Engine, b: &Engine) -> Result<u64, String> {
    let (ra, rb) = (a.trace().records(), b.trace().records());
    if a.trace().digest() == b.trace().digest() && ra == rb {
        return Ok(a.trace().digest());
    }
    let first = ra.iter().zip(rb.iter()).position(|(x, y)| x != y).unwrap_or(ra.len().min(rb.len()));
    let describe = |e: &Engine, r: Option<&drainsim_core::trace::TraceRecord>| {
        r.map_or("nothing".to_string(), |r| crate::timeline::render_record(e, r).to_line())
    };
    // Records compare by ids; two runs that only drew different IDs differ in their digests.
    if first == ra.len().min(rb.len()) && ra.len() == rb.len() {
        let mismatch =
            ra.iter().zip(rb.iter()).position(|(x, y)| a.subject_arn(x.subject) != b.subject_arn(y.subject)).unwrap_or(0);
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
    engine.instance_ids().map(|i| (i.0, engine.resolve_sym(engine.instance(i).name).to_string())).collect()
}

/// Validates a scenario's setup without running its steps: account settings, clusters, task
/// definitions, instance registrations and services are applied (so ECS refusals surface as
/// file:line:column errors), and the run stops before the first step.
pub fn check_setup(loaded: &LoadedScenario) -> Result<(), ScenarioError> {
    let mut dry = loaded.clone();
    dry.scenario.steps.clear();
    dry.scenario.expectations.clear();
    dry.scenario.end_time_ms = Some(0);
    // Later groups register at once, so their refusals surface too.
    for g in &mut dry.scenario.instances {
        g.register_at_ms = 0;
    }
    run(&dry, &RunOptions::default()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

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
