//! Expectations: named properties of a run, evaluated against the engine's state.

use drainsim_core::api;
use drainsim_core::{Engine, InstanceView, ServiceView, StopReason};

use crate::format::{Cmp, Expectation};
use crate::outcome::ExpectationResult;
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
pub fn evaluate(e: &Engine, exp: &Expectation, stop: Option<StopReason>, text: ResultText) -> ExpectationResult {
    let verdict = judge(e, exp, stop);
    let passed = verdict.passed;
    let (name, detail) = if text.written(passed) { (verdict.say)() } else { Default::default() };
    ExpectationResult { name, passed, detail, at_ms: e.now_ms(), step: None }
}

/// Whether an expectation held, and how to say so: its display name and what was observed, written
/// only when asked for.
struct Verdict<'a> {
    passed: bool,
    say: Box<dyn FnOnce() -> (String, String) + 'a>,
}

fn verdict<'a>(passed: bool, say: impl FnOnce() -> (String, String) + 'a) -> Verdict<'a> {
    Verdict { passed, say: Box::new(say) }
}

/// A number compared: `name` (written only when asked for) followed by the comparison.
fn num<'a>(name: impl FnOnce() -> String + 'a, v: Option<u64>, c: Cmp) -> Verdict<'a> {
    verdict(c.holds(v), move || {
        use std::fmt::Write;
        let mut name = name();
        let _ = write!(name, " {c}");
        (name, format!("observed {}", show(v)))
    })
}

/// Judges `check` on the instance named `n`, or fails because there is none.
fn on_instance<'a>(e: &'a Engine, n: &'a str, check: impl FnOnce(InstanceView<'a>) -> Verdict<'a>) -> Verdict<'a> {
    match e.instance_named(n) {
        Some(i) => check(i),
        None => verdict(false, move || (format!("instance {n}"), format!("no instance named {n} was registered"))),
    }
}

/// Judges `check` on the service named `n`, or fails because there is none.
fn on_service<'a>(e: &'a Engine, n: &'a str, check: impl FnOnce(ServiceView<'a>) -> Verdict<'a>) -> Verdict<'a> {
    match e.service_named(n) {
        Some(s) => check(s),
        None => verdict(false, move || (format!("service {n}"), format!("no service named {n} exists"))),
    }
}

/// Dispatches an expectation to the function that judges its kind.
fn judge<'a>(e: &'a Engine, exp: &'a Expectation, stop: Option<StopReason>) -> Verdict<'a> {
    use Expectation as X;
    match exp {
        X::Named(name, inner) => {
            let Verdict { passed, say } = judge(e, inner, stop);
            verdict(passed, move || (name.clone(), say().1))
        }
        X::InstanceStatus(n, want) => on_instance(e, n, |i| instance::status(i, n, want)),
        X::InstanceStatusReasonContains(n, want) => on_instance(e, n, |i| instance::status_reason(i, n, want)),
        X::InstanceVersion(n, c) => on_instance(e, n, |i| num(move || format!("{n} version"), Some(i.version()), *c)),
        X::InstanceRunningTasks(n, c) => {
            on_instance(e, n, |i| num(move || format!("{n} runningTasksCount"), Some(i.running_tasks_count() as u64), *c))
        }
        X::InstancePendingTasks(n, c) => {
            on_instance(e, n, |i| num(move || format!("{n} pendingTasksCount"), Some(i.pending_tasks_count() as u64), *c))
        }
        X::AgentConnected(n, want) => on_instance(e, n, |i| instance::agent_connected(i, n, *want)),
        X::AgentUpdateStatus(n, want) => on_instance(e, n, |i| instance::agent_update_status(i, n, want)),
        X::AgentVersion(n, want) => on_instance(e, n, |i| instance::agent_version(i, n, want)),
        X::Describable(n, want) => on_instance(e, n, |i| instance::describable(i, n, *want)),
        X::ListedInstances(cluster, status, want) => listed_instances(e, cluster, status, want),
        X::EffectiveSetting(principal, setting, want) => effective_setting(e, principal, setting, want),
        X::TaskEniLimit(n, c) => {
            on_instance(e, n, |i| num(move || format!("{n} taskEniLimit"), i.task_eni_limit().map(u64::from), *c))
        }
        X::TaskEnisInUse(n, c) => {
            on_instance(e, n, |i| num(move || format!("{n} taskEnisInUse"), Some(i.task_enis_in_use() as u64), *c))
        }
        X::Trunked(n, want) => on_instance(e, n, |i| instance::trunked(i, n, *want)),
        X::HasAttribute(n, attr, want) => on_instance(e, n, |i| instance::has_attribute(i, n, attr, *want)),
        X::ServiceDesiredCount(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} desiredCount"), Some(s.desired_count() as u64), *c))
        }
        X::ServiceRunningCount(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} runningCount"), Some(s.running_count() as u64), *c))
        }
        X::ServiceHealthyCount(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} healthyCount"), Some(s.healthy_count() as u64), *c))
        }
        X::ServicePendingCount(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} pendingCount"), Some(s.pending_count() as u64), *c))
        }
        X::MinHealthyObserved(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} minHealthyObserved"), s.min_healthy_observed().map(u64::from), *c))
        }
        X::MaxTasksObserved(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} maxTasksObserved"), s.max_tasks_observed().map(u64::from), *c))
        }
        X::FloorAtMinHealthyObserved(n, c) => on_service(e, n, |s| {
            num(move || format!("{n} floorAtMinHealthyObserved"), s.floor_at_min_healthy_observed().map(u64::from), *c)
        }),
        X::CeilingAtMaxTasksObserved(n, c) => on_service(e, n, |s| {
            num(move || format!("{n} ceilingAtMaxTasksObserved"), s.ceiling_at_max_tasks_observed().map(u64::from), *c)
        }),
        X::PlacementFailures(n, reason, c) => on_service(e, n, |s| service::placement_failures(s, n, reason, *c)),
        X::AgentWaits(n, cause, c) => on_service(e, n, |s| service::agent_waits(s, n, cause, *c)),
        X::ServiceEventSeen(n, text) => on_service(e, n, |s| service::event_seen(s, n, text)),
        X::ServiceEventNotSeen(n, text) => on_service(e, n, |s| service::event_not_seen(s, n, text)),
        X::Stalled(n, reason) => on_service(e, n, |s| service::stalled(s, n, reason)),
        X::NoStalls(n) => on_service(e, n, |s| service::no_stalls(s, n)),
        X::FloorBreaches(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} floorBreaches"), Some(s.floor_breaches().len() as u64), *c))
        }
        X::FloorBreachCause(n, cause) => on_service(e, n, |s| service::floor_breach_cause(s, n, cause)),
        X::AzRebalancingMoves(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} azRebalancingMoves"), Some(s.az_rebalancing_moves() as u64), *c))
        }
        X::TasksMovedMoreThanOnce(n, c) => on_service(e, n, |s| {
            num(move || format!("{n} tasksMovedMoreThanOnce"), Some(s.tasks_moved_more_than_once() as u64), *c)
        }),
        X::UnhealthyTasks(n, c) => {
            on_service(e, n, |s| num(move || format!("{n} unhealthyTasks"), Some(u64::from(s.unhealthy_tasks())), *c))
        }
        X::SteadyState(n, want) => on_service(e, n, |s| service::steady(s, n, *want)),
        X::DrainCompletedBy(n, t) => on_instance(e, n, |i| drain::completed_by(i, n, *t)),
        X::DrainCompletedWithin(n, d) => on_instance(e, n, |i| drain::completed_within(i, n, *d)),
        X::DrainNotCompletedBy(n, t) => on_instance(e, n, |i| drain::not_completed_by(i, n, *t)),
        X::NoRunningBeforeDrainCompleted(n) => on_instance(e, n, |i| drain::no_running_before_completed(i, n)),
        X::AllDrainsCompletedBy(t) => drain::all_completed_by(e, *t),
        X::StopReason(want) => {
            let got = stop.map(|s| s.as_str());
            verdict(got == Some(want.as_str()), move || {
                (format!("run stopped: {want}"), format!("stopReason {}", got.unwrap_or("(none yet)")))
            })
        }
    }
}

fn listed_instances<'a>(e: &Engine, cluster: &'a Option<String>, status: &'a Option<String>, want: &'a [String]) -> Verdict<'a> {
    let req = api::ListContainerInstancesRequest { cluster: cluster.clone(), status: status.clone(), ..Default::default() };
    let name = move || {
        format!(
            "ListContainerInstances cluster {}, status {} = [{}]",
            cluster.as_deref().unwrap_or("default"),
            status.as_deref().unwrap_or("any but INACTIVE"),
            want.join(", ")
        )
    };
    match e.list_container_instances(req) {
        Ok(api::Response::ContainerInstanceArns { container_instance_arns, .. }) => {
            let got: Vec<String> = container_instance_arns
                .iter()
                .map(|a| e.instance_by_arn(a).map_or(a.clone(), |i| i.name().to_string()))
                .collect();
            verdict(got == *want, move || (name(), format!("listed [{}]", got.join(", "))))
        }
        Ok(_) => verdict(false, move || (name(), "unexpected response".into())),
        Err(err) => verdict(false, move || (name(), err.to_string())),
    }
}

fn effective_setting<'a>(e: &Engine, principal: &'a str, setting: &'a str, want: &'a str) -> Verdict<'a> {
    let name = move || format!("effective {setting} for {principal} = {want}");
    match e.effective_setting(principal, setting) {
        Ok(v) => verdict(v == *want, move || (name(), format!("effective value {v}"))),
        Err(err) => verdict(false, move || (name(), err.to_string())),
    }
}

/// Expectations about one container instance's state.
mod instance {
    use drainsim_core::InstanceView;

    use super::{verdict, Verdict};

    pub(super) fn status<'a>(i: InstanceView<'a>, n: &'a str, want: &'a str) -> Verdict<'a> {
        let got = i.status().as_str();
        verdict(got == want, move || (format!("{n} status {want}"), format!("status {got}")))
    }

    pub(super) fn status_reason<'a>(i: InstanceView<'a>, n: &'a str, want: &'a str) -> Verdict<'a> {
        let r = i.status_reason();
        verdict(r.is_some_and(|r| r.contains(want)), move || {
            (format!("{n} statusReason contains '{want}'"), format!("statusReason {}", r.unwrap_or("(none)")))
        })
    }

    pub(super) fn agent_connected<'a>(i: InstanceView<'a>, n: &'a str, want: bool) -> Verdict<'a> {
        let got = i.agent_connected();
        verdict(got == want, move || (format!("{n} agentConnected {want}"), format!("agentConnected {got}")))
    }

    pub(super) fn agent_update_status<'a>(i: InstanceView<'a>, n: &'a str, want: &'a Option<String>) -> Verdict<'a> {
        let got = i.agent_update_status().map(|u| u.as_str());
        verdict(got == want.as_deref(), move || {
            let show = |v: Option<&str>| v.unwrap_or("(never updated)").to_string();
            (format!("{n} agentUpdateStatus {}", show(want.as_deref())), format!("agentUpdateStatus {}", show(got)))
        })
    }

    pub(super) fn agent_version<'a>(i: InstanceView<'a>, n: &'a str, want: &'a str) -> Verdict<'a> {
        let got = i.agent_version();
        verdict(got == Some(want), move || {
            (format!("{n} agentVersion {want}"), format!("agentVersion {}", got.unwrap_or("(none)")))
        })
    }

    pub(super) fn describable<'a>(i: InstanceView<'a>, n: &'a str, want: bool) -> Verdict<'a> {
        let forgotten = i.forgotten();
        verdict(forgotten != want, move || (format!("{n} describable {want}"), format!("describable {}", !forgotten)))
    }

    pub(super) fn trunked<'a>(i: InstanceView<'a>, n: &'a str, want: bool) -> Verdict<'a> {
        let got = i.trunked();
        verdict(got == want, move || (format!("{n} trunked {want}"), format!("trunked {got}")))
    }

    pub(super) fn has_attribute<'a>(i: InstanceView<'a>, n: &'a str, attr: &'a str, want: bool) -> Verdict<'a> {
        let has = i.has_attribute(attr);
        verdict(has == want, move || (format!("{n} has attribute {attr} {want}"), format!("has {has}")))
    }
}

/// Expectations about one service's state and what was observed of it.
mod service {
    use drainsim_core::ServiceView;

    use super::{num, verdict, Verdict};
    use crate::format::Cmp;

    pub(super) fn placement_failures<'a>(s: ServiceView<'a>, n: &'a str, reason: &'a str, c: Cmp) -> Verdict<'a> {
        let count = s.placement_failures().find(|(r, _)| r.as_str() == reason).map_or(0, |(_, c)| c);
        num(move || format!("{n} placementFailures {reason}"), Some(count), c)
    }

    pub(super) fn agent_waits<'a>(s: ServiceView<'a>, n: &'a str, cause: &'a str, c: Cmp) -> Verdict<'a> {
        let tasks = s.agent_waits().find(|(k, _)| k.as_str() == cause).map_or(0, |(_, t)| t.tasks);
        num(move || format!("{n} agentWaits {cause}"), Some(tasks), c)
    }

    pub(super) fn event_seen<'a>(s: ServiceView<'a>, n: &'a str, text: &'a str) -> Verdict<'a> {
        let seen = s.events().any(|(_, m)| m.contains(text));
        verdict(seen, move || (format!("{n} event containing '{text}' seen"), format!("{} events", s.events_total())))
    }

    pub(super) fn event_not_seen<'a>(s: ServiceView<'a>, n: &'a str, text: &'a str) -> Verdict<'a> {
        let seen = s.events().find(|(_, m)| m.contains(text));
        verdict(seen.is_none(), move || {
            let detail = seen.map_or("none seen".to_string(), |(at, m)| format!("seen at {at} ms: {m}"));
            (format!("{n} no event containing '{text}'"), detail)
        })
    }

    pub(super) fn stalled<'a>(s: ServiceView<'a>, n: &'a str, reason: &'a str) -> Verdict<'a> {
        let stalls = s.stalls();
        verdict(stalls.iter().any(|x| x.reason.as_str() == reason), move || {
            let reasons: Vec<&str> = stalls.iter().map(|x| x.reason.as_str()).collect();
            (format!("{n} stalled for {reason}"), format!("stalls [{}]", reasons.join(", ")))
        })
    }

    pub(super) fn no_stalls<'a>(s: ServiceView<'a>, n: &'a str) -> Verdict<'a> {
        let stalls = s.stalls();
        verdict(stalls.is_empty(), move || {
            let stalls: Vec<String> = stalls.iter().map(|x| x.to_string()).collect();
            (format!("{n} never stalled"), format!("stalls [{}]", stalls.join("; ")))
        })
    }

    pub(super) fn floor_breach_cause<'a>(s: ServiceView<'a>, n: &'a str, cause: &'a str) -> Verdict<'a> {
        let breaches = s.floor_breaches();
        verdict(breaches.iter().any(|x| x.reason.as_str() == cause), move || {
            let causes: Vec<&str> = breaches.iter().map(|x| x.reason.as_str()).collect();
            (format!("{n} floor breach caused by {cause}"), format!("causes [{}]", causes.join(", ")))
        })
    }

    pub(super) fn steady<'a>(s: ServiceView<'a>, n: &'a str, want: bool) -> Verdict<'a> {
        let steady = s.is_steady();
        verdict(steady == want, move || (format!("{n} steady {want}"), format!("steady {steady}")))
    }
}

/// Expectations about drains: when an instance's drain completed, and when all did.
mod drain {
    use drainsim_core::{Engine, InstanceView};

    use super::{show, verdict, Verdict};
    use crate::outcome::all_drains_completed_at;

    pub(super) fn completed_by<'a>(i: InstanceView<'a>, n: &'a str, t: u64) -> Verdict<'a> {
        let c = i.drain().completed_at_ms();
        verdict(c.is_some_and(|c| c <= t), move || {
            (format!("{n} drain completed by {t} ms"), format!("drainCompletedAtMs {}", show(c)))
        })
    }

    pub(super) fn completed_within<'a>(i: InstanceView<'a>, n: &'a str, d: u64) -> Verdict<'a> {
        let drain = i.drain();
        let took = drain.completed_at_ms().zip(drain.started_at_ms()).map(|(c, s)| c - s);
        verdict(took.is_some_and(|t| t <= d), move || {
            (
                format!("{n} drain completed within {d} ms"),
                took.map_or_else(|| format!("took {}", show(None)), |t| format!("took {t} ms")),
            )
        })
    }

    pub(super) fn not_completed_by<'a>(i: InstanceView<'a>, n: &'a str, t: u64) -> Verdict<'a> {
        let c = i.drain().completed_at_ms();
        verdict(c.is_none_or(|c| c > t), move || {
            (format!("{n} drain not completed by {t} ms"), format!("drainCompletedAtMs {}", show(c)))
        })
    }

    pub(super) fn no_running_before_completed<'a>(i: InstanceView<'a>, n: &'a str) -> Verdict<'a> {
        let drain = i.drain();
        let (r, c) = (drain.no_running_at_ms(), drain.completed_at_ms());
        verdict(matches!((r, c), (Some(r), Some(c)) if r < c), move || {
            (
                format!("{n} runningTasksCount reached 0 before the drain completed"),
                format!("noRunningTasksAtMs {} drainCompletedAtMs {}", show(r), show(c)),
            )
        })
    }

    pub(super) fn all_completed_by(e: &Engine, t: u64) -> Verdict<'static> {
        let all = all_drains_completed_at(e);
        verdict(all.is_some_and(|a| a <= t), move || {
            (format!("all drains completed by {t} ms"), format!("allDrainsCompletedAtMs {}", show(all)))
        })
    }
}
