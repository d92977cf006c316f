//! Expectations: named properties of a run, evaluated against the engine's state.

use drainsim_core::api;
use drainsim_core::{Engine, InstanceView, ServiceView, StopReason};

use crate::format::{Cmp, Expectation};
use crate::outcome::ExpectationResult;
use crate::outcome::{all_drains_completed_at, DrainScope};
use crate::setup::ResultText;

impl Cmp {
    /// Whether a value (`None`: null) satisfies the comparison.
    pub fn holds(self, v: Option<u64>) -> bool {
        match (self, v) {
            (Cmp::Null, v) => v.is_none(),
            (_, None) => false,
            (Cmp::Eq(x), Some(v)) => v == x,
            (Cmp::AtLeast(x), Some(v)) => v >= x,
            (Cmp::AtMost(x), Some(v)) => v <= x,
        }
    }
}

/// The comparison as text (`= 3`, `>= 2`, `<= 5`, `is null`).
impl std::fmt::Display for Cmp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cmp::Eq(x) => write!(f, "= {x}"),
            Cmp::AtLeast(x) => write!(f, ">= {x}"),
            Cmp::AtMost(x) => write!(f, "<= {x}"),
            Cmp::Null => f.write_str("is null"),
        }
    }
}

/// A value or `null`, written where it is formatted (no text of its own).
struct Shown(Option<u64>);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v}"),
            None => f.write_str("null"),
        }
    }
}

fn show(v: Option<u64>) -> Shown {
    Shown(v)
}

/// Evaluates one expectation now. `stop` is the run's stop reason when evaluated at the end.
/// `text` says whose name and observation are written: every result's, or (a sweep, which reads
/// only what failed) a failed one's alone, a passed result keeping empty text.
pub fn evaluate(
    e: &Engine,
    exp: &Expectation,
    stop: Option<StopReason>,
    scope: &DrainScope,
    text: ResultText,
) -> ExpectationResult {
    let verdict = judge(e, exp, stop, scope);
    let passed = verdict.passed;
    let (name, detail) = if text.written(passed) { (name_of(exp), (verdict.observed)()) } else { Default::default() };
    ExpectationResult { name, passed, detail, at_ms: e.now_ms(), step: None }
}

/// An expectation's display name: what it says, in words, the same whatever the run observed (a
/// sweep and a comparison count failures by it: an instance that never registered fails
/// `mixed-6 status ACTIVE`, not an expectation of another name).
pub(crate) fn name_of(exp: &Expectation) -> String {
    use Expectation as X;
    match exp {
        X::Named(name, _) => name.clone(),
        X::InstanceStatus(n, want) => format!("{n} status {want}"),
        X::InstanceStatusReasonContains(n, want) => format!("{n} statusReason contains '{want}'"),
        X::InstanceVersion(n, c) => format!("{n} version {c}"),
        X::InstanceRunningTasks(n, c) => format!("{n} runningTasksCount {c}"),
        X::InstancePendingTasks(n, c) => format!("{n} pendingTasksCount {c}"),
        X::OrphanedTasks(n, c) => format!("{n} orphanedTasks {c}"),
        X::AgentConnected(n, want) => format!("{n} agentConnected {want}"),
        X::AgentUpdateStatus(n, want) => format!("{n} agentUpdateStatus {}", want.as_deref().unwrap_or("(never updated)")),
        X::AgentVersion(n, want) => format!("{n} agentVersion {want}"),
        X::Describable(n, want) => format!("{n} describable {want}"),
        X::ListedInstances(cluster, status, want) => format!(
            "ListContainerInstances cluster {}, status {} = [{}]",
            cluster.as_deref().unwrap_or("default"),
            status.as_deref().unwrap_or("any but INACTIVE"),
            want.join(", ")
        ),
        X::EffectiveSetting(principal, setting, want) => format!("effective {setting} for {principal} = {want}"),
        X::TaskEniLimit(n, c) => format!("{n} taskEniLimit {c}"),
        X::TaskEnisInUse(n, c) => format!("{n} taskEnisInUse {c}"),
        X::Trunked(n, want) => format!("{n} trunked {want}"),
        X::HasAttribute(n, attr, want) => format!("{n} has attribute {attr} {want}"),
        X::ServiceDesiredCount(n, c) => format!("{n} desiredCount {c}"),
        X::ServiceRunningCount(n, c) => format!("{n} runningCount {c}"),
        X::ServiceHealthyCount(n, c) => format!("{n} healthyCount {c}"),
        X::ServicePendingCount(n, c) => format!("{n} pendingCount {c}"),
        X::MinHealthyObserved(n, c) => format!("{n} minHealthyObserved {c}"),
        X::MaxTasksObserved(n, c) => format!("{n} maxTasksObserved {c}"),
        X::FloorAtMinHealthyObserved(n, c) => format!("{n} floorAtMinHealthyObserved {c}"),
        X::DeepestDipBelowFloor(n, c) => format!("{n} deepest dip below its floor {c}"),
        X::CeilingAtMaxTasksObserved(n, c) => format!("{n} ceilingAtMaxTasksObserved {c}"),
        X::PlacementFailures(n, reason, c) => format!("{n} placementFailures {reason} {c}"),
        X::AgentWaits(n, cause, c) => format!("{n} agentWaits {cause} {c}"),
        X::ServiceEventSeen(n, text) => format!("{n} event containing '{text}' seen"),
        X::ServiceEventNotSeen(n, text) => format!("{n} no event containing '{text}'"),
        X::Stalled(n, reason) => format!("{n} stalled for {reason}"),
        X::NoStalls(n) => format!("{n} never stalled"),
        X::FloorBreaches(n, c) => format!("{n} floorBreaches {c}"),
        X::FloorBreachCause(n, cause) => format!("{n} floor breach caused by {cause}"),
        X::AzRebalancingMoves(n, c) => format!("{n} azRebalancingMoves {c}"),
        X::TasksMovedMoreThanOnce(n, c) => format!("{n} tasksMovedMoreThanOnce {c}"),
        X::UnhealthyTasks(n, c) => format!("{n} unhealthyTasks {c}"),
        X::SteadyState(n, want) => format!("{n} steady {want}"),
        X::DrainCompletedBy(n, t) => format!("{n} drain completed by {t} ms"),
        X::DrainCompletedWithin(n, d) => format!("{n} drain completed within {d} ms"),
        X::DrainNotCompletedBy(n, t) => format!("{n} drain not completed by {t} ms"),
        X::DrainEndedBy(n, t) => format!("{n} drain ended by {t} ms"),
        X::DrainNotEndedBy(n, t) => format!("{n} drain not ended by {t} ms"),
        X::NoRunningBeforeDrainCompleted(n) => format!("{n} runningTasksCount reached 0 before the drain completed"),
        X::AllDrainsCompletedBy(t) => format!("all drains completed by {t} ms"),
        X::TasksOrphaned(c) => format!("tasks orphaned by drains cut short {c}"),
        X::StopReason(want) => format!("run stopped: {want}"),
    }
}

/// Whether an expectation held, and what was observed, written only when asked for.
struct Verdict<'a> {
    passed: bool,
    observed: Box<dyn FnOnce() -> String + 'a>,
}

fn verdict<'a>(passed: bool, observed: impl FnOnce() -> String + 'a) -> Verdict<'a> {
    Verdict { passed, observed: Box::new(observed) }
}

/// A number compared.
fn num<'a>(v: Option<u64>, c: Cmp) -> Verdict<'a> {
    verdict(c.holds(v), move || format!("observed {}", show(v)))
}

/// Judges `check` on the instance named `n`, or fails because there is none.
fn on_instance<'a>(e: &'a Engine, n: &'a str, check: impl FnOnce(InstanceView<'a>) -> Verdict<'a>) -> Verdict<'a> {
    match e.instance_named(n) {
        Some(i) => check(i),
        None => verdict(false, move || format!("no instance named {n} was registered")),
    }
}

/// Judges `check` on the service named `n`, or fails because there is none.
fn on_service<'a>(e: &'a Engine, n: &'a str, check: impl FnOnce(ServiceView<'a>) -> Verdict<'a>) -> Verdict<'a> {
    match e.service_named(n) {
        Some(s) => check(s),
        None => verdict(false, move || format!("no service named {n} exists")),
    }
}

/// Dispatches an expectation to the function that judges its kind.
fn judge<'a>(e: &'a Engine, exp: &'a Expectation, stop: Option<StopReason>, scope: &DrainScope) -> Verdict<'a> {
    use Expectation as X;
    let count = |v: usize| Some(v as u64);
    match exp {
        // What was checked under the name, then what was observed: a property's name (an explored
        // counterexample's) does not say which instance or service it judged.
        X::Named(_, inner) => {
            let judged = judge(e, inner, stop, scope);
            verdict(judged.passed, move || format!("{}: {}", name_of(inner), (judged.observed)()))
        }
        X::InstanceStatus(n, want) => on_instance(e, n, |i| {
            let got = i.status().as_str();
            verdict(got == want, move || format!("status {got}"))
        }),
        X::InstanceStatusReasonContains(n, want) => on_instance(e, n, |i| {
            let r = i.status_reason();
            verdict(r.is_some_and(|r| r.contains(want.as_str())), move || format!("statusReason {}", r.unwrap_or("(none)")))
        }),
        X::InstanceVersion(n, c) => on_instance(e, n, |i| num(Some(i.version()), *c)),
        X::InstanceRunningTasks(n, c) => on_instance(e, n, |i| num(count(i.running_tasks_count() as usize), *c)),
        X::InstancePendingTasks(n, c) => on_instance(e, n, |i| num(count(i.pending_tasks_count() as usize), *c)),
        X::OrphanedTasks(n, c) => on_instance(e, n, |i| {
            num(count(crate::outcome::orphaned_tasks_by_instance(e).get(i.name()).copied().unwrap_or(0) as usize), *c)
        }),
        X::AgentConnected(n, want) => on_instance(e, n, |i| {
            let got = i.agent_connected();
            verdict(got == *want, move || format!("agentConnected {got}"))
        }),
        X::AgentUpdateStatus(n, want) => on_instance(e, n, |i| {
            let got = i.agent_update_status().map(|u| u.as_str());
            verdict(got == want.as_deref(), move || format!("agentUpdateStatus {}", got.unwrap_or("(never updated)")))
        }),
        X::AgentVersion(n, want) => on_instance(e, n, |i| {
            let got = i.agent_version();
            verdict(got == Some(want.as_str()), move || format!("agentVersion {}", got.unwrap_or("(none)")))
        }),
        X::Describable(n, want) => on_instance(e, n, |i| {
            let forgotten = i.forgotten();
            verdict(forgotten != *want, move || format!("describable {}", !forgotten))
        }),
        X::ListedInstances(cluster, status, want) => listed_instances(e, cluster, status, want),
        X::EffectiveSetting(principal, setting, want) => match e.effective_setting(principal, setting) {
            Ok(v) => verdict(v == *want, move || format!("effective value {v}")),
            Err(err) => verdict(false, move || err.to_string()),
        },
        X::TaskEniLimit(n, c) => on_instance(e, n, |i| num(i.task_eni_limit().map(u64::from), *c)),
        X::TaskEnisInUse(n, c) => on_instance(e, n, |i| num(count(i.task_enis_in_use() as usize), *c)),
        X::Trunked(n, want) => on_instance(e, n, |i| {
            let got = i.trunked();
            verdict(got == *want, move || format!("trunked {got}"))
        }),
        X::HasAttribute(n, attr, want) => on_instance(e, n, |i| {
            let has = i.has_attribute(attr);
            verdict(has == *want, move || format!("has {has}"))
        }),
        X::ServiceDesiredCount(n, c) => on_service(e, n, |s| num(count(s.desired_count() as usize), *c)),
        X::ServiceRunningCount(n, c) => on_service(e, n, |s| num(count(s.running_count() as usize), *c)),
        X::ServiceHealthyCount(n, c) => on_service(e, n, |s| num(count(s.healthy_count() as usize), *c)),
        X::ServicePendingCount(n, c) => on_service(e, n, |s| num(count(s.pending_count() as usize), *c)),
        X::MinHealthyObserved(n, c) => on_service(e, n, |s| num(s.min_healthy_observed().map(u64::from), *c)),
        X::MaxTasksObserved(n, c) => on_service(e, n, |s| num(s.max_tasks_observed().map(u64::from), *c)),
        X::FloorAtMinHealthyObserved(n, c) => on_service(e, n, |s| num(s.floor_at_min_healthy_observed().map(u64::from), *c)),
        X::CeilingAtMaxTasksObserved(n, c) => on_service(e, n, |s| num(s.ceiling_at_max_tasks_observed().map(u64::from), *c)),
        X::DeepestDipBelowFloor(n, c) => {
            on_service(e, n, |s| num(Some(s.deepest_dip_below_floor().map_or(0, |d| u64::from(d.depth()))), *c))
        }
        X::PlacementFailures(n, reason, c) => {
            on_service(e, n, |s| num(Some(s.placement_failures().find(|(r, _)| r.as_str() == reason).map_or(0, |(_, c)| c)), *c))
        }
        X::AgentWaits(n, cause, c) => {
            on_service(e, n, |s| num(Some(s.agent_waits().find(|(k, _)| k.as_str() == cause).map_or(0, |(_, t)| t.tasks)), *c))
        }
        X::ServiceEventSeen(n, text) => on_service(e, n, |s| {
            let seen = s.events().any(|(_, m)| m.contains(text.as_str()));
            verdict(seen, move || format!("{} events", s.events_total()))
        }),
        X::ServiceEventNotSeen(n, text) => on_service(e, n, |s| {
            let seen = s.events().find(|(_, m)| m.contains(text.as_str()));
            verdict(seen.is_none(), move || seen.map_or("none seen".to_string(), |(at, m)| format!("seen at {at} ms: {m}")))
        }),
        X::Stalled(n, reason) => on_service(e, n, |s| {
            let stalls = s.stalls();
            verdict(stalls.iter().any(|x| x.reason.as_str() == reason), move || {
                let reasons: Vec<&str> = stalls.iter().map(|x| x.reason.as_str()).collect();
                format!("stalls [{}]", reasons.join(", "))
            })
        }),
        // The cluster settling at start-up (services waiting for trunked instances still
        // REGISTERING) is no stall of the service's ([`crate::outcome::StartupSettling`]).
        X::NoStalls(n) => on_service(e, n, |s| {
            let settling = crate::outcome::StartupSettling::of_engine(e, scope);
            let found: Vec<_> = s.stalls().iter().filter(|x| !settling.passes_by(&s, x)).collect();
            verdict(found.is_empty(), move || {
                let when = drainsim_core::time::format_sim_time;
                let stalls: Vec<String> = found
                    .iter()
                    .map(|x| match x.ended_at_ms {
                        Some(end) => format!("{} from {} to {}", x.reason, when(x.started_at_ms), when(end)),
                        None => format!("{} from {}, not over", x.reason, when(x.started_at_ms)),
                    })
                    .collect();
                format!("stalls [{}]", stalls.join("; "))
            })
        }),
        X::FloorBreaches(n, c) => on_service(e, n, |s| num(count(s.floor_breaches().len()), *c)),
        X::FloorBreachCause(n, cause) => on_service(e, n, |s| {
            let breaches = s.floor_breaches();
            verdict(breaches.iter().any(|x| x.reason.as_str() == cause), move || {
                let causes: Vec<&str> = breaches.iter().map(|x| x.reason.as_str()).collect();
                format!("causes [{}]", causes.join(", "))
            })
        }),
        X::AzRebalancingMoves(n, c) => on_service(e, n, |s| num(count(s.az_rebalancing_moves() as usize), *c)),
        X::TasksMovedMoreThanOnce(n, c) => on_service(e, n, |s| num(count(s.tasks_moved_more_than_once() as usize), *c)),
        X::UnhealthyTasks(n, c) => on_service(e, n, |s| num(Some(u64::from(s.unhealthy_tasks())), *c)),
        X::SteadyState(n, want) => on_service(e, n, |s| {
            let steady = s.is_steady();
            verdict(steady == *want, move || format!("steady {steady}"))
        }),
        // A drain that ended because its instance went with tasks not yet STOPPED (a lifecycle
        // hook's timeout, a forced deregistration) did not complete: ECS's drain is complete when
        // every task is STOPPED (docs/draining.md, `orphanedTasks`). It once passed these.
        X::DrainCompletedBy(n, t) => on_instance(e, n, |i| {
            let c = i.drain().completed_at_ms();
            let cut = orphaned_ending_drain(e, n);
            verdict(c.is_some_and(|c| c <= *t) && cut == 0, move || ended_text(c, cut))
        }),
        X::DrainCompletedWithin(n, d) => on_instance(e, n, |i| {
            let drain = i.drain();
            let took = drain.duration_ms();
            let cut = orphaned_ending_drain(e, n);
            verdict(took.is_some_and(|t| t <= *d) && cut == 0, move || {
                took.map_or_else(|| format!("took {}", show(None)), |t| format!("took {t} ms")) + &cut_short(cut)
            })
        }),
        X::DrainNotCompletedBy(n, t) => on_instance(e, n, |i| {
            let c = i.drain().completed_at_ms();
            let cut = orphaned_ending_drain(e, n);
            verdict(c.is_none_or(|c| c > *t) || cut > 0, move || ended_text(c, cut))
        }),
        X::DrainEndedBy(n, t) => on_instance(e, n, |i| {
            let c = i.drain().completed_at_ms();
            let cut = orphaned_ending_drain(e, n);
            verdict(c.is_some_and(|c| c <= *t), move || format!("drain ended at {}{}", show(c), cut_short(cut)))
        }),
        X::DrainNotEndedBy(n, t) => on_instance(e, n, |i| {
            let c = i.drain().completed_at_ms();
            verdict(c.is_none_or(|c| c > *t), move || format!("drain ended at {}", show(c)))
        }),
        X::NoRunningBeforeDrainCompleted(n) => on_instance(e, n, |i| {
            let drain = i.drain();
            let (r, c) = (drain.no_running_at_ms(), drain.completed_at_ms());
            verdict(matches!((r, c), (Some(r), Some(c)) if r < c), move || {
                format!("noRunningTasksAtMs {} drainCompletedAtMs {}", show(r), show(c))
            })
        }),
        X::AllDrainsCompletedBy(t) => {
            let all = all_drains_completed_at(e, scope);
            // As the report's `allDrainsCompletedAtMs`, which a sweep and `compare` count alike:
            // every drain ended, cut-short ones included (the detail says so; `TasksOrphaned`
            // judges them).
            let cut: u32 = crate::outcome::orphaned_tasks_ending_drains(e)
                .iter()
                .filter(|(name, _)| e.instance_named(name).is_some_and(|i| scope.counts(&i)))
                .map(|(_, n)| *n)
                .sum();
            let note = match cut {
                0 => String::new(),
                n => format!(" ({n} task(s) orphaned by drains cut short: see TasksOrphaned)"),
            };
            verdict(all.is_some_and(|a| a <= *t), move || format!("allDrainsCompletedAtMs {}{note}", show(all)))
        }
        X::TasksOrphaned(c) => {
            let n: u32 = crate::outcome::orphaned_tasks_ending_drains(e).values().sum();
            num(Some(u64::from(n)), *c)
        }
        X::StopReason(want) => {
            let got = stop.map(|s| s.as_str());
            verdict(got == Some(want.as_str()), move || format!("stopReason {}", got.unwrap_or("(none yet)")))
        }
    }
}

/// How many tasks not yet STOPPED went with instance `name` and so ended its drain
/// ([`crate::outcome::orphaned_tasks_ending_drains`]).
fn orphaned_ending_drain(e: &Engine, name: &str) -> u32 {
    crate::outcome::orphaned_tasks_ending_drains(e).get(name).copied().unwrap_or(0)
}

/// An expectation's detail of when a drain ended: `drainCompletedAtMs T` for one that completed,
/// `drain ended at T, … not completed` for one cut short (the report's field holds the end of
/// both).
fn ended_text(c: Option<u64>, cut: u32) -> String {
    match cut {
        0 => format!("drainCompletedAtMs {}", show(c)),
        _ => format!("drain ended at {}{}", show(c), cut_short(cut)),
    }
}

/// What an expectation's detail adds for a drain that ended with tasks orphaned.
fn cut_short(orphaned: u32) -> String {
    match orphaned {
        0 => String::new(),
        n => format!(", ended with {n} task(s) not yet STOPPED, orphaned when the instance went away: not completed"),
    }
}

fn listed_instances<'a>(e: &Engine, cluster: &'a Option<String>, status: &'a Option<String>, want: &'a [String]) -> Verdict<'a> {
    let req = api::ListContainerInstancesRequest { cluster: cluster.clone(), status: status.clone(), ..Default::default() };
    match e.list_container_instances(req) {
        Ok(api::Response::ContainerInstanceArns { container_instance_arns, .. }) => {
            let got: Vec<String> = container_instance_arns
                .iter()
                .map(|a| e.instance_by_arn(a).map_or(a.clone(), |i| i.name().to_string()))
                .collect();
            verdict(got == *want, move || format!("listed [{}]", got.join(", ")))
        }
        Ok(_) => verdict(false, move || "unexpected response".into()),
        Err(err) => verdict(false, move || err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drainsim_core::api::{RegisterContainerInstanceRequest, Request, Resource};

    /// An expectation's name says what it expects, whether or not its instance or service exists:
    /// a sweep counts failures by name, and an instance that never registered in some seeds (a
    /// group that launched fewer) once made `mixed-6 status ACTIVE` read `instance mixed-6` there.
    #[test]
    fn a_name_is_the_same_whether_its_subject_exists_or_not() {
        let mut e = Engine::new(drainsim_core::EngineConfig::default());
        e.create_cluster("default").expect("creates");
        e.handle(Request::RegisterContainerInstance(RegisterContainerInstanceRequest {
            total_resources: vec![Resource::integer("CPU", 1024), Resource::integer("MEMORY", 2048)],
            instance_identity: drainsim_core::api::InstanceIdentity {
                name: "a".into(),
                instance_type: "m5.large".into(),
                availability_zone: "us-east-1a".into(),
                ..Default::default()
            },
            ..Default::default()
        }))
        .expect("registers");
        let on = |name: &str| {
            [
                Expectation::InstanceStatus(name.into(), "DRAINING".into()),
                Expectation::InstanceRunningTasks(name.into(), Cmp::AtLeast(1)),
                Expectation::DrainCompletedBy(name.into(), 5),
                Expectation::ServiceRunningCount(name.into(), Cmp::Eq(3)),
                Expectation::Stalled(name.into(), "RESOURCE:MEMORY".into()),
            ]
        };
        for (there, missing) in on("a").iter().zip(on("b").iter()) {
            let (x, y) = (
                evaluate(&e, there, None, &DrainScope::default(), ResultText::All),
                evaluate(&e, missing, None, &DrainScope::default(), ResultText::All),
            );
            assert!(!x.passed && !y.passed);
            assert_eq!(x.name.replacen("a", "b", 1), y.name, "{} / {}", x.detail, y.detail);
            assert!(y.detail.starts_with("no instance named b") || y.detail.starts_with("no service named b"), "{}", y.detail);
        }
        // A failed result's text is the same for a sweep, which writes no passed one's.
        let failed = evaluate(&e, &on("b")[0], None, &DrainScope::default(), ResultText::FailuresOnly);
        assert_eq!((failed.name.as_str(), failed.detail.as_str()), ("b status DRAINING", "no instance named b was registered"));
        let held = evaluate(
            &e,
            &Expectation::InstanceStatus("a".into(), "ACTIVE".into()),
            None,
            &DrainScope::default(),
            ResultText::FailuresOnly,
        );
        assert!(held.passed && held.name.is_empty() && held.detail.is_empty());
    }
}
