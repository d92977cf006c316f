//! One step of a run: its action applied at the step's time (an ECS call with logical instance
//! names resolved to ARNs, or a plan step made of ECS calls and waits), and its result judged
//! against the step's `expect:`.

use drainsim_core::api::{self, Request, Response};
use drainsim_core::{EcsError, Engine, StopReason};

use crate::autoscaling::{AutoScaling, RequestEnd, ScenarioDriver};
use crate::expect::evaluate;
use crate::format::{Action, RolloutPlan, Step, StepExpect};
use crate::load::{group_member_names, LoadedScenario, ScenarioError};
use crate::outcome::ExpectationResult;
use crate::setup::ResultText;

/// Replaces a logical instance name by its ARN; anything else (an ID, an ARN, a typo) is passed
/// through so that ECS's own MISSING handling applies.
fn resolve_ref(engine: &Engine, reference: &str) -> String {
    engine.instance_named(reference).map_or_else(|| reference.to_string(), |i| i.arn())
}

/// Expands group names into member names. The groups of more than one instance are looked up in
/// a map, so a step naming a thousand of an imported cluster's 20,000 single instances does not
/// compare every name with every group's (it took 85 % of such a run).
fn expand(loaded: &LoadedScenario, names: &[String]) -> Vec<String> {
    let mut groups: std::collections::BTreeMap<&str, u32> = std::collections::BTreeMap::new();
    for g in loaded.scenario.instances.iter().filter(|g| g.count > 1) {
        groups.entry(g.name.as_str()).or_insert(g.count);
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        match groups.get(n.as_str()) {
            Some(count) => out.extend(group_member_names(n, *count)),
            None => out.push(n.clone()),
        }
    }
    out
}

/// The instances a plan step acts on: its `instances` (group names expanded), or the ARNs of the
/// instances its `filter` selects now, read with ListContainerInstances page by page.
fn select(
    engine: &Engine,
    loaded: &LoadedScenario,
    cluster: &Option<String>,
    instances: &[String],
    filter: &Option<String>,
    status: &Option<String>,
) -> Result<Vec<String>, EcsError> {
    let Some(filter) = filter else {
        return Ok(expand(loaded, instances));
    };
    let mut arns = Vec::new();
    let mut next_token = None;
    // Each page holds at least one ARN until the last, so this ends; the bound is a backstop.
    for _ in 0..=engine.instances().count() {
        let req = api::ListContainerInstancesRequest {
            cluster: cluster.clone(),
            filter: Some(filter.clone()),
            next_token: next_token.take(),
            max_results: Some(100),
            status: status.clone(),
        };
        match engine.list_container_instances(req)? {
            Response::ContainerInstanceArns { container_instance_arns, next_token: next } => {
                arns.extend(container_instance_arns);
                match next {
                    Some(t) => next_token = Some(t),
                    None => break,
                }
            }
            _ => break,
        }
    }
    Ok(arns)
}

/// The instance a name or ARN refers to.
fn instance_id(engine: &Engine, reference: &str) -> Option<drainsim_core::InstanceId> {
    engine.instance_named(reference).or_else(|| engine.instance_by_arn(reference)).map(|i| i.id())
}

/// A `RolloutInstances` step: the selection made once, then wave by wave — every instance of the
/// wave set DRAINING (UpdateContainerInstancesState, 10 per call), the driver run until each of
/// their drains is complete (at most `timeoutMs`), and, with `deregister`, each deregistered
/// (DeregisterContainerInstance without `force`) — before the next wave starts. A refused call
/// or a timed-out wave ends the rollout; later waves are not started.
fn rollout(
    engine: &mut Engine,
    driver: &mut ScenarioDriver,
    loaded: &LoadedScenario,
    caller: &str,
    p: &RolloutPlan,
) -> Result<Outcome, ScenarioError> {
    let selected = match select(engine, loaded, &p.cluster, &p.instances, &p.filter, &p.status) {
        Ok(selected) => selected,
        Err(e) => return Ok(Outcome::Plan { failures: vec![], timed_out: false, error: Some(e), note: None }),
    };
    // A selection of 0 instances is a rollout of no wave; the arithmetic cannot overflow for a
    // selection of at most 100,000 instances, and `None` only comes from a plan `load` refuses.
    let per_wave = p.instances_per_wave(selected.len()).unwrap_or(1);
    let waves = selected.len().div_ceil(per_wave);
    let mut failures = Vec::new();
    let mut done = 0usize;
    let note = |done: usize| {
        Some(format!(
            "{done} of {waves} waves of up to {per_wave} {}, {} selected",
            if per_wave == 1 { "instance" } else { "instances" },
            match selected.len() {
                1 => "1 instance".to_string(),
                n => format!("{n} instances"),
            }
        ))
    };
    for wave in selected.chunks(per_wave) {
        let arns: Vec<String> = wave.iter().map(|c| resolve_ref(engine, c)).collect();
        for call in arns.chunks(10) {
            let req = api::UpdateContainerInstancesStateRequest {
                cluster: p.cluster.clone(),
                container_instances: call.to_vec(),
                status: "DRAINING".into(),
            };
            match engine.submit_as(caller, Request::UpdateContainerInstancesState(req)) {
                Ok(receipt) => failures.extend(receipt.failures),
                Err(e) => return Ok(Outcome::Plan { failures, timed_out: false, error: Some(e), note: note(done) }),
            }
        }
        // An instance ECS refused to drain (a failure above) has no drain to wait for.
        let refused: Vec<&str> = failures.iter().filter_map(|f| f.arn.as_deref()).collect();
        let targets: Vec<drainsim_core::InstanceId> =
            arns.iter().filter(|a| !refused.contains(&a.as_str())).filter_map(|a| instance_id(engine, a)).collect();
        let complete = |e: &Engine| targets.iter().all(|id| e.instance(*id).drain().completed_at_ms().is_some());
        if driver.wait_until(engine, p.timeout_ms, complete)? {
            return Ok(Outcome::Plan { failures, timed_out: true, error: None, note: note(done) });
        }
        if p.deregister {
            for id in &targets {
                let req = api::DeregisterContainerInstanceRequest {
                    cluster: p.cluster.clone(),
                    container_instance: engine.instance(*id).arn(),
                    force: Some(false),
                };
                if let Err(e) = engine.submit_as(caller, Request::DeregisterContainerInstance(req)) {
                    return Ok(Outcome::Plan { failures, timed_out: false, error: Some(e), note: note(done) });
                }
            }
        }
        done += 1;
    }
    Ok(Outcome::Plan { failures, timed_out: false, error: None, note: note(done) })
}

/// The outcome of a step before it is compared with its expectation.
enum Outcome {
    Response(Response),
    /// A container instance call, summarized when it answered (see [`summarize_instances`]).
    Summarized {
        summary: String,
        failures: Vec<api::Failure>,
    },
    Error(EcsError),
    /// A drain-plan step: the failures of its calls, or a timeout.
    Plan {
        failures: Vec<api::Failure>,
        timed_out: bool,
        error: Option<EcsError>,
        /// What a rollout did (its waves), shown after the result.
        note: Option<String>,
    },
    Checked,
    /// A StartInstanceRefresh: the refresh's `Status` when the step ended.
    Refresh {
        status: String,
        timed_out: bool,
        error: Option<EcsError>,
        note: String,
    },
    /// Auto Scaling refused the step's request: its error code (`ValidationError`) and message.
    AutoScalingError {
        code: &'static str,
        message: String,
    },
}

impl From<RequestEnd> for Outcome {
    /// An Auto Scaling request that returns at once: what it began (a plan step's result with its
    /// note), or Auto Scaling's refusal.
    fn from(end: RequestEnd) -> Outcome {
        match end {
            RequestEnd::Began { error, note } => Outcome::Plan { failures: vec![], timed_out: false, error, note: Some(note) },
            RequestEnd::Refused { code, message } => Outcome::AutoScalingError { code, message },
        }
    }
}

/// Why a `WaitForDrain` timed out: how many of its instances (`targets`, by ID or, not registered
/// when the step began, by name) have no complete drain, and the first five with what holds each:
/// one never set DRAINING names its status (an instance ECS refused to drain — REGISTRATION_FAILED
/// — is waited for in vain), one DRAINING its `runningTasksCount`.
fn undrained_note(engine: &Engine, targets: &[Result<drainsim_core::InstanceId, String>]) -> String {
    const SHOWN: usize = 5;
    let undrained: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            let view = match t {
                Ok(id) => Some(engine.instance(*id)),
                Err(name) => engine.instance_named(name),
            };
            let Some(i) = view else {
                let name = t.as_ref().err().cloned().unwrap_or_default();
                return Some(format!("{name} (not registered)"));
            };
            if i.drain().completed_at_ms().is_some() {
                return None;
            }
            let status = i.status().as_str();
            Some(match i.drain().started_at_ms() {
                None => format!("{} ({status}, never set DRAINING)", i.name()),
                Some(_) => format!("{} ({status}, runningTasksCount {})", i.name(), i.running_tasks_count()),
            })
        })
        .collect();
    let more = if undrained.len() > SHOWN { ", …" } else { "" };
    format!(
        "{} of {} not drained: {}{more}",
        undrained.len(),
        targets.len(),
        undrained.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ")
    )
}

/// What a step's `filter` selected, for its result: `ok (2 instances selected)`.
fn selected_note(n: usize) -> String {
    match n {
        0 => "no instance selected: the filter matches none".to_string(),
        1 => "1 instance selected".to_string(),
        n => format!("{n} instances selected"),
    }
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

/// Where a step's verdicts go, and how much of their text is written.
pub(crate) struct StepResults<'r> {
    pub(crate) text: ResultText,
    pub(crate) into: &'r mut Vec<ExpectationResult>,
}

/// Runs step `n` (the clock is at its time): returns its summary and appends its verdicts (the
/// step's expectation, or a `Check` step's expectations) to `results`.
pub(crate) fn run_step(
    engine: &mut Engine,
    driver: &mut ScenarioDriver,
    loaded: &LoadedScenario,
    n: usize,
    step: &Step,
    results: StepResults<'_>,
) -> Result<String, ScenarioError> {
    let StepResults { text, into: results } = results;
    let caller = step.caller.clone().unwrap_or_else(|| engine.default_caller_arn().to_string());
    let outcome = if let Action::Ecs(req) = &step.action {
        let request = resolve_request(engine, req);
        // The container instance calls are summarized from the views as the call left them (the
        // same line `summarize` makes of the response), so their responses are never built: an
        // API script of thousands of registrations and describes reads only names and statuses.
        let answered = match instance_reply_shape(&request) {
            Some(shape) => engine
                .submit_as_with(&caller, request, |e, receipt| summarize_instances(e, receipt, shape))
                .map(|(receipt, summary)| Outcome::Summarized { summary, failures: receipt.failures }),
            None => engine.handle_as(&caller, request).map(Outcome::Response),
        };
        match answered {
            Ok(outcome) => {
                // A pinned trunk failure applies to an instance a step registers, too.
                if let Request::RegisterContainerInstance(reg) = req {
                    let name = &reg.instance_identity.name;
                    if loaded.scenario.faults.as_ref().is_some_and(|f| f.trunk_failures.contains(name)) {
                        if let Some(id) = engine.instance_named(name).map(|i| i.id()) {
                            engine.pin_trunk_failure(id).expect("an instance of this engine");
                        }
                    }
                }
                outcome
            }
            Err(e) => Outcome::Error(e),
        }
    } else {
        match &step.action {
            Action::DrainInstances(p) | Action::ActivateInstances(p) => {
                let status = if matches!(step.action, Action::DrainInstances(_)) { "DRAINING" } else { "ACTIVE" };
                let wave = p.wave_size.unwrap_or(10) as usize;
                let mut failures = Vec::new();
                let (names, mut error) = match select(engine, loaded, &p.cluster, &p.instances, &p.filter, &p.status) {
                    Ok(names) => (names, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                // A filter that selects nothing is most often a typo: say how many it selected.
                let note = p.filter.as_ref().filter(|_| error.is_none()).map(|_| selected_note(names.len()));
                for chunk in names.chunks(wave) {
                    let req = api::UpdateContainerInstancesStateRequest {
                        cluster: p.cluster.clone(),
                        container_instances: chunk.iter().map(|c| resolve_ref(engine, c)).collect(),
                        status: status.into(),
                    };
                    match engine.submit_as(&caller, Request::UpdateContainerInstancesState(req)) {
                        Ok(receipt) => failures.extend(receipt.failures),
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                Outcome::Plan { failures, timed_out: false, error, note }
            }
            Action::DeregisterInstances(p) => {
                let (names, mut error) = match select(engine, loaded, &p.cluster, &p.instances, &p.filter, &p.status) {
                    Ok(names) => (names, None),
                    Err(e) => (Vec::new(), Some(e)),
                };
                let mut note = p.filter.as_ref().filter(|_| error.is_none()).map(|_| selected_note(names.len()));
                for (k, name) in names.iter().enumerate() {
                    let req = api::DeregisterContainerInstanceRequest {
                        cluster: p.cluster.clone(),
                        container_instance: resolve_ref(engine, name),
                        force: Some(p.force),
                    };
                    if let Err(e) = engine.submit_as(&caller, Request::DeregisterContainerInstance(req)) {
                        // ECS's message names the container instance by its ID: say which of the
                        // step's instances it was, and that those after it were not tried.
                        // (A filter selects ARNs: the instance's name is written.)
                        let shown = engine.instance_by_arn(name).map_or_else(|| name.clone(), |i| i.name().to_string());
                        let refused = match names.len() - k - 1 {
                            0 => format!("refused for {shown}"),
                            left => format!("refused for {shown}; the {left} after it not tried"),
                        };
                        note = Some(match note {
                            Some(selected) => format!("{selected}; {refused}"),
                            None => refused,
                        });
                        error = Some(e);
                        break;
                    }
                }
                Outcome::Plan { failures: vec![], timed_out: false, error, note }
            }
            Action::StopTasksOn(p) => {
                let mut error = None;
                let tasks: Vec<String> = engine
                    .instance_named(&p.instance)
                    .map(|i| i.tasks().filter(|t| !p.standalone_only || t.service().is_none()).map(|t| t.arn()).collect())
                    .unwrap_or_default();
                for task in tasks {
                    let req = api::StopTaskRequest { cluster: p.cluster.clone(), task, reason: p.reason.clone() };
                    if let Err(e) = engine.submit_as(&caller, Request::StopTask(req)) {
                        error = Some(e);
                        break;
                    }
                }
                Outcome::Plan { failures: vec![], timed_out: false, error, note: None }
            }
            Action::WaitForDrain(w) => match select(engine, loaded, &w.cluster, &w.instances, &w.filter, &w.status) {
                Ok(selected) => {
                    let note = w.filter.as_ref().map(|_| selected_note(selected.len()));
                    // An instance that has not registered yet has no drain, let alone a complete one:
                    // the wait goes on (it may register, be drained and complete meanwhile) or times out.
                    let targets: Vec<Result<_, String>> =
                        selected.into_iter().map(|n| instance_id(engine, &n).ok_or(n)).collect();
                    let completed = |i: drainsim_core::InstanceView| i.drain().completed_at_ms().is_some();
                    let done = |e: &Engine| {
                        targets.iter().all(|t| match t {
                            Ok(id) => completed(e.instance(*id)),
                            Err(name) => e.instance_named(name).is_some_and(completed),
                        })
                    };
                    let timed_out = driver.wait_until(engine, w.timeout_ms, done)?;
                    let note = match (timed_out, note) {
                        (true, Some(selected)) => Some(format!("{selected}; {}", undrained_note(engine, &targets))),
                        (true, None) => Some(undrained_note(engine, &targets)),
                        (false, note) => note,
                    };
                    Outcome::Plan { failures: vec![], timed_out, error: None, note }
                }
                Err(e) => Outcome::Plan { failures: vec![], timed_out: false, error: Some(e), note: None },
            },
            Action::RolloutInstances(p) => rollout(engine, driver, loaded, &caller, p)?,
            Action::StartInstanceRefresh(r) => {
                let end = AutoScaling::start_instance_refresh(engine, driver, loaded, &caller, r)?;
                Outcome::Refresh { status: end.status, timed_out: end.timed_out, error: end.error, note: end.note }
            }
            Action::SetDesiredCapacity(r) => {
                let end = AutoScaling::set_desired_capacity(engine, driver, loaded, &caller, r)?;
                Outcome::Refresh { status: end.status, timed_out: end.timed_out, error: end.error, note: end.note }
            }
            Action::TerminateInstanceInAutoScalingGroup(r) => {
                AutoScaling::terminate_instance_in_auto_scaling_group(engine, driver, &caller, r).into()
            }
            Action::SetInstanceProtection(r) => AutoScaling::set_instance_protection(engine, driver, &caller, r).into(),
            // Not quiet when the run's event bound stopped it: timed out, as a wait cut short is
            // (docs/scenario-format.md, `maxEvents`; it said "ok").
            Action::RunUntilQuiet => match driver.run_until_quiet(engine)? {
                StopReason::MaxEvents | StopReason::MaxEventsPerInstant => {
                    Outcome::Plan { failures: Vec::new(), timed_out: true, error: None, note: None }
                }
                _ => Outcome::Checked,
            },
            Action::Advance => Outcome::Checked,
            Action::Check(list) => {
                let scope = driver.background.drain_scope(engine);
                results.extend(
                    list.iter().map(|e| ExpectationResult { step: Some(n + 1), ..evaluate(engine, e, None, &scope, text) }),
                );
                return Ok(format!("checked {} expectations", list.len()));
            }
            Action::Ecs(_) => unreachable!("handled above"),
        }
    };
    let expect = step.expect.clone().unwrap_or(StepExpect::Success);
    let (passed, summary) = judge(engine, &outcome, &expect);
    let (name, detail) = if text.written(passed) {
        // The name holds no time (it is in `at_ms`), so a sweep groups one step's failures across
        // seeds whenever the step ended.
        (format!("step {} {}: {}", n + 1, step.action.name(), describe_expect(&expect)), format!("got: {summary}"))
    } else {
        Default::default()
    };
    results.push(ExpectationResult { name, passed, detail, at_ms: engine.now_ms(), step: Some(n + 1) });
    Ok(summary)
}

fn describe_expect(e: &StepExpect) -> String {
    match e {
        StepExpect::Success => "succeeds".into(),
        StepExpect::NoFailures => "succeeds without failures".into(),
        StepExpect::Error(k) => format!("fails with {k}"),
        StepExpect::ErrorContaining(k, t) => format!("fails with {k} containing '{t}'"),
        StepExpect::Failures(f) => {
            format!("returns failures [{}]", f.iter().map(|(n, r)| format!("{n} {r}")).collect::<Vec<_>>().join(", "))
        }
        StepExpect::Listed(l, more) => {
            format!("lists [{}] (nextToken {})", l.join(", "), if *more { "present" } else { "absent" })
        }
        StepExpect::Settings(s) => {
            format!("lists settings [{}]", s.iter().map(|(n, v, p)| format!("{n}={v} for {p}")).collect::<Vec<_>>().join(", "))
        }
        StepExpect::TimedOut => "times out".into(),
        StepExpect::InstanceRefreshStatus(s) => format!("ends the instance refresh with Status {s}"),
    }
}

/// Maps a response's ARNs back to logical names for comparison and display.
fn name_of_arn(engine: &Engine, arn: &str) -> String {
    engine.instance_by_arn(arn).map_or_else(|| arn.to_string(), |i| i.name().to_string())
}

/// Whether a step's outcome meets its expectation, and the outcome's one-line summary.
fn judge(engine: &Engine, outcome: &Outcome, expect: &StepExpect) -> (bool, String) {
    let failures_of = |o: &Outcome| -> Vec<(String, String)> {
        let list: Vec<api::Failure> = match o {
            Outcome::Response(Response::ContainerInstances { failures, .. }) => failures.clone(),
            Outcome::Response(Response::Tasks { failures, .. }) => failures.clone(),
            Outcome::Response(Response::Services { failures, .. }) => failures.clone(),
            Outcome::Plan { failures, .. } | Outcome::Summarized { failures, .. } => failures.clone(),
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
        Outcome::Summarized { summary, .. } => summary.clone(),
        Outcome::Error(e) => e.to_string(),
        Outcome::Plan { failures, timed_out, error, note } => {
            let result = match (error, timed_out) {
                (Some(e), _) => e.to_string(),
                (None, true) => "timed out".into(),
                (None, false) if failures.is_empty() => "ok".into(),
                (None, false) => format!(
                    "ok with failures [{}]",
                    failures_of(outcome).iter().map(|(n, r)| format!("{n} {r}")).collect::<Vec<_>>().join(", ")
                ),
            };
            match note {
                Some(note) => format!("{result} ({note})"),
                None => result,
            }
        }
        Outcome::Checked => "ok".into(),
        Outcome::Refresh { error: Some(e), .. } => e.to_string(),
        Outcome::Refresh { note, .. } => note.clone(),
        Outcome::AutoScalingError { code, message } => format!("{code}: {message}"),
    };
    // The error's code (an ECS exception, or Auto Scaling's) and message.
    let error: Option<(&str, &str)> = match outcome {
        Outcome::Error(e) | Outcome::Plan { error: Some(e), .. } | Outcome::Refresh { error: Some(e), .. } => {
            Some((e.kind.name(), e.message.as_str()))
        }
        Outcome::AutoScalingError { code, message } => Some((code, message.as_str())),
        _ => None,
    };
    let timed_out = matches!(outcome, Outcome::Plan { timed_out: true, .. } | Outcome::Refresh { timed_out: true, .. });
    let refresh_status = match outcome {
        Outcome::Refresh { status, .. } => Some(status.as_str()),
        _ => None,
    };
    let passed = match expect {
        StepExpect::Success => error.is_none() && !timed_out && refresh_status.is_none_or(|s| s == "Successful"),
        StepExpect::NoFailures => error.is_none() && !timed_out && failures_of(outcome).is_empty(),
        StepExpect::Error(k) => error.is_some_and(|(code, _)| code == k),
        StepExpect::ErrorContaining(k, t) => error.is_some_and(|(code, message)| code == k && message.contains(t.as_str())),
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
        StepExpect::InstanceRefreshStatus(want) => refresh_status == Some(want.as_str()),
    };
    (passed, summary)
}

/// Whether a request answers with one container instance (`Some(true)`: RegisterContainerInstance,
/// DeregisterContainerInstance, UpdateContainerAgent) or a list of them with failures
/// (`Some(false)`: DescribeContainerInstances, UpdateContainerInstancesState), as the ECS API
/// shapes them.
fn instance_reply_shape(request: &Request) -> Option<bool> {
    match request {
        Request::RegisterContainerInstance(_) | Request::DeregisterContainerInstance(_) | Request::UpdateContainerAgent(_) => {
            Some(true)
        }
        Request::DescribeContainerInstances(_) | Request::UpdateContainerInstancesState(_) => Some(false),
        _ => None,
    }
}

/// The summary [`summarize`] makes of a container instance call's response, read from the views
/// at the moment the call answered (`single`: the call answers with one instance).
fn summarize_instances(engine: &Engine, receipt: &drainsim_core::Receipt, single: bool) -> String {
    let seen = |id: drainsim_core::InstanceId| engine.instance(id);
    match (single, receipt.instances.as_slice()) {
        (true, [id]) => instance_line(seen(*id).name(), seen(*id).status().as_str(), seen(*id).version()),
        _ => instances_line(
            engine,
            receipt.instances.iter().map(|id| (seen(*id).name().to_string(), seen(*id).status().as_str())),
            &receipt.failures,
        ),
    }
}

/// One container instance: name, status, version.
fn instance_line(name: &str, status: &str, version: u64) -> String {
    format!("{name} {status} version {version}")
}

/// Container instances (name and status) and failures (instance name, else ARN, and reason).
fn instances_line<'s>(engine: &Engine, instances: impl Iterator<Item = (String, &'s str)>, failures: &[api::Failure]) -> String {
    let ok: Vec<String> = instances.map(|(name, status)| format!("{name} {status}")).collect();
    listed_with_failures(counted_with(ok.len(), "container instance", &ok), engine, failures)
}

/// `N things: a, b` (the items after a colon, when there are any).
fn counted_with(n: usize, noun: &str, items: &[String]) -> String {
    match items {
        [] => counted(n, noun),
        _ => format!("{}: {}", counted(n, noun), items.join(", ")),
    }
}

/// What a Describe call returned, `; ` and its failures, each named (the resource's name where its
/// ARN is one drainsim knows, else the ARN) with ECS's reason: one style for every Describe step.
fn listed_with_failures(listed: String, engine: &Engine, failures: &[api::Failure]) -> String {
    let bad: Vec<String> = failures
        .iter()
        .map(|f| match f.arn.as_deref() {
            Some(a) => format!("{} {}", name_of_arn(engine, a), f.reason),
            None => f.reason.clone(),
        })
        .collect();
    format!("{listed}; {}", counted_with(bad.len(), "failure", &bad))
}

/// A one-line summary of a response, with instance names where there are ARNs.
pub fn summarize(engine: &Engine, r: &Response) -> String {
    match r {
        Response::Cluster { cluster } => format!("cluster {}", cluster.cluster_name),
        Response::ContainerInstance { container_instance } => instance_line(
            &name_of_arn(engine, &container_instance.container_instance_arn),
            &container_instance.status,
            container_instance.version,
        ),
        Response::ContainerInstances { container_instances, failures } => instances_line(
            engine,
            container_instances.iter().map(|c| (name_of_arn(engine, &c.container_instance_arn), c.status.as_str())),
            failures,
        ),
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
        Response::Services { services, failures } => {
            let names: Vec<String> = services.iter().map(|s| format!("{} {}", s.service_name, s.status)).collect();
            listed_with_failures(counted_with(names.len(), "service", &names), engine, failures)
        }
        Response::Tasks { tasks, failures } => listed_with_failures(counted(tasks.len(), "task"), engine, failures),
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

/// A count with its noun, singular for one: `1 service`, `2 services`, `0 failures`.
fn counted(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    /// Every Describe step's summary has one style: what it returned, counted (and named where it
    /// names them), then its failures, counted and each named with ECS's reason. The three once
    /// read `0 tasks, failures [MISSING, MISSING]`, `0 services, 1 failure` and
    /// `containerInstances [] failures [arn:… MISSING]`.
    #[test]
    fn describe_summaries_share_one_style() {
        use drainsim_core::api::{Failure, Response};
        let e = drainsim_core::Engine::new(Default::default());
        let missing = |arn: &str| Failure { arn: Some(arn.into()), reason: "MISSING".into(), detail: None };
        let tasks = Response::Tasks { tasks: vec![], failures: vec![missing("t-1"), missing("t-2")] };
        assert_eq!(super::summarize(&e, &tasks), "0 tasks; 2 failures: t-1 MISSING, t-2 MISSING");
        let services =
            Response::Services { services: vec![], failures: vec![missing("arn:aws:ecs:us-east-1:123456789012:service/prod/x")] };
        assert_eq!(
            super::summarize(&e, &services),
            "0 services; 1 failure: arn:aws:ecs:us-east-1:123456789012:service/prod/x MISSING"
        );
        let instances = Response::ContainerInstances { container_instances: vec![], failures: vec![] };
        assert_eq!(super::summarize(&e, &instances), "0 container instances; 0 failures");
    }

    /// A count reads singular for one, plural otherwise (zero included).
    #[test]
    fn a_count_is_singular_for_one() {
        assert_eq!(
            [super::counted(0, "failure"), super::counted(1, "service"), super::counted(2, "task")],
            ["0 failures", "1 service", "2 tasks"]
        );
    }

    use super::*;

    /// The container instance calls summarized from the views say what `summarize` says of their
    /// rendered responses, call for call, failures included.
    #[test]
    fn instance_summaries_from_the_views_match_the_rendered_responses() {
        let loaded = crate::load_str(crate::DEMO_FILE, crate::DEMO_SCENARIO).expect("the demo loads");
        let (mut engine, _) = crate::setup::prepare(&loaded, &crate::RunOptions::default(), None, None).expect("sets up");
        let cluster = engine.instances().next().expect("the demo has instances").cluster().to_string();
        let register = |name: &str| {
            Request::RegisterContainerInstance(api::RegisterContainerInstanceRequest {
                cluster: Some(cluster.clone()),
                total_resources: vec![api::Resource::integer("CPU", 2048), api::Resource::integer("MEMORY", 4096)],
                version_info: None,
                container_instance_arn: None,
                attributes: vec![],
                tags: vec![],
                instance_identity: api::InstanceIdentity {
                    name: name.into(),
                    instance_type: "c5.large".into(),
                    availability_zone: "us-east-1a".into(),
                    ec2_instance_id: None,
                    task_eni_limit: None,
                    container_instance_id: None,
                    capacity_provider_name: None,
                    registered_at_ms: None,
                },
                platform_devices: vec![],
                agent_config: None,
            })
        };
        for name in ["extra-1", "extra-2"] {
            engine.submit(register(name)).expect("registers");
        }
        let arns: Vec<String> = engine.instances().map(|i| i.arn()).collect();
        assert!(arns.len() >= 3, "lists of several instances are compared");
        let some = |n: usize| arns.iter().take(n).cloned().collect::<Vec<_>>();
        let missing = format!("{}-gone", arns[0]);
        let requests = vec![
            register("extra-3"),
            Request::DescribeContainerInstances(api::DescribeContainerInstancesRequest {
                cluster: Some(cluster.clone()),
                container_instances: [some(3), vec![missing.clone()]].concat(),
                include: vec!["TAGS".into()],
            }),
            Request::UpdateContainerInstancesState(api::UpdateContainerInstancesStateRequest {
                cluster: Some(cluster.clone()),
                container_instances: [some(2), vec![missing]].concat(),
                status: "DRAINING".into(),
            }),
            Request::UpdateContainerAgent(api::UpdateContainerAgentRequest {
                cluster: Some(cluster.clone()),
                container_instance: arns[0].clone(),
            }),
            Request::DeregisterContainerInstance(api::DeregisterContainerInstanceRequest {
                cluster: Some(cluster),
                container_instance: arns[arns.len() - 1].clone(),
                force: Some(true),
            }),
        ];
        let caller = engine.default_caller_arn().to_string();
        for request in requests {
            let shape = instance_reply_shape(&request).expect("a container instance call");
            let mut rendered = engine.clone();
            let from_response = match rendered.handle_as(&caller, request.clone()) {
                Ok(r) => summarize(&rendered, &r),
                Err(e) => e.to_string(),
            };
            let from_views = match engine.submit_as_with(&caller, request, |e, r| summarize_instances(e, r, shape)) {
                Ok((_, s)) => s,
                Err(e) => e.to_string(),
            };
            assert_eq!(from_views, from_response);
            assert!(!from_views.is_empty());
        }
    }
}
