//! Expectations: named properties of a run, evaluated against the engine's state.

use drainsim_core::api;
use drainsim_core::{Engine, InstanceView, ServiceView, StopReason};

use crate::format::{Cmp, Expectation};
use crate::outcome::ExpectationResult;

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
pub fn evaluate(e: &Engine, exp: &Expectation, stop: Option<StopReason>) -> ExpectationResult {
    let (name, passed, detail) = judge(e, exp, stop);
    ExpectationResult { name, passed, detail, at_ms: e.now_ms(), step: None }
}

/// An expectation's display name, whether it held, and what was observed.
type Verdict = (String, bool, String);

fn num(mut name: String, v: Option<u64>, c: Cmp) -> Verdict {
    use std::fmt::Write;
    let _ = write!(name, " {c}");
    (name, c.holds(v), format!("observed {}", show(v)))
}

/// Judges `check` on the instance named `n`, or fails because there is none.
fn on_instance<'e>(e: &'e Engine, n: &str, check: impl FnOnce(InstanceView<'e>) -> Verdict) -> Verdict {
    match e.instance_named(n) {
        Some(i) => check(i),
        None => (format!("instance {n}"), false, format!("no instance named {n} was registered")),
    }
}

/// Judges `check` on the service named `n`, or fails because there is none.
fn on_service<'e>(e: &'e Engine, n: &str, check: impl FnOnce(ServiceView<'e>) -> Verdict) -> Verdict {
    match e.service_named(n) {
        Some(s) => check(s),
        None => (format!("service {n}"), false, format!("no service named {n} exists")),
    }
}

/// Dispatches an expectation to the function that judges its kind.
fn judge(e: &Engine, exp: &Expectation, stop: Option<StopReason>) -> Verdict {
    use Expectation as X;
    match exp {
        X::Named(name, inner) => {
            let (_, p, d) = judge(e, inner, stop);
            (name.clone(), p, d)
        }
        X::InstanceStatus(n, want) => on_instance(e, n, |i| instance::status(i, n, want)),
        X::InstanceStatusReasonContains(n, want) => on_instance(e, n, |i| instance::status_reason(i, n, want)),
        X::InstanceVersion(n, c) => on_instance(e, n, |i| num(format!("{n} version"), Some(i.version()), *c)),
        X::InstanceRunningTasks(n, c) => {
            on_instance(e, n, |i| num(format!("{n} runningTasksCount"), Some(i.running_tasks_count() as u64), *c))
        }
        X::InstancePendingTasks(n, c) => {
            on_instance(e, n, |i| num(format!("{n} pendingTasksCount"), Some(i.pending_tasks_count() as u64), *c))
        }
        X::AgentConnected(n, want) => on_instance(e, n, |i| instance::agent_connected(i, n, *want)),
        X::AgentUpdateStatus(n, want) => on_instance(e, n, |i| instance::agent_update_status(i, n, want)),
        X::AgentVersion(n, want) => on_instance(e, n, |i| instance::agent_version(i, n, want)),
        X::Describable(n, want) => on_instance(e, n, |i| instance::describable(i, n, *want)),
        X::ListedInstances(cluster, status, want) => listed_instances(e, cluster, status, want),
        X::EffectiveSetting(principal, setting, want) => effective_setting(e, principal, setting, want),
        X::TaskEniLimit(n, c) => on_instance(e, n, |i| num(format!("{n} taskEniLimit"), i.task_eni_limit().map(u64::from), *c)),
        X::TaskEnisInUse(n, c) => on_instance(e, n, |i| num(format!("{n} taskEnisInUse"), Some(i.task_enis_in_use() as u64), *c)),
        X::Trunked(n, want) => on_instance(e, n, |i| instance::trunked(i, n, *want)),
        X::HasAttribute(n, attr, want) => on_instance(e, n, |i| instance::has_attribute(i, n, attr, *want)),
        X::ServiceDesiredCount(n, c) => {
            on_service(e, n, |s| num(format!("{n} desiredCount"), Some(s.desired_count() as u64), *c))
        }
        X::ServiceRunningCount(n, c) => {
            on_service(e, n, |s| num(format!("{n} runningCount"), Some(s.running_count() as u64), *c))
        }
        X::ServiceHealthyCount(n, c) => {
            on_service(e, n, |s| num(format!("{n} healthyCount"), Some(s.healthy_count() as u64), *c))
        }
        X::ServicePendingCount(n, c) => {
            on_service(e, n, |s| num(format!("{n} pendingCount"), Some(s.pending_count() as u64), *c))
        }
        X::MinHealthyObserved(n, c) => {
            on_service(e, n, |s| num(format!("{n} minHealthyObserved"), s.min_healthy_observed().map(u64::from), *c))
        }
        X::MaxTasksObserved(n, c) => {
            on_service(e, n, |s| num(format!("{n} maxTasksObserved"), s.max_tasks_observed().map(u64::from), *c))
        }
        X::FloorAtMinHealthyObserved(n, c) => on_service(e, n, |s| {
            num(format!("{n} floorAtMinHealthyObserved"), s.floor_at_min_healthy_observed().map(u64::from), *c)
        }),
        X::CeilingAtMaxTasksObserved(n, c) => on_service(e, n, |s| {
            num(format!("{n} ceilingAtMaxTasksObserved"), s.ceiling_at_max_tasks_observed().map(u64::from), *c)
        }),
        X::PlacementFailures(n, reason, c) => on_service(e, n, |s| service::placement_failures(s, n, reason, *c)),
        X::AgentWaits(n, cause, c) => on_service(e, n, |s| service::agent_waits(s, n, cause, *c)),
        X::ServiceEventSeen(n, text) => on_service(e, n, |s| service::event_seen(s, n, text)),
        X::ServiceEventNotSeen(n, text) => on_service(e, n, |s| service::event_not_seen(s, n, text)),
        X::Stalled(n, reason) => on_service(e, n, |s| service::stalled(s, n, reason)),
        X::NoStalls(n) => on_service(e, n, |s| service::no_stalls(s, n)),
        X::FloorBreaches(n, c) => {
            on_service(e, n, |s| num(format!("{n} floorBreaches"), Some(s.floor_breaches().len() as u64), *c))
        }
        X::FloorBreachCause(n, cause) => on_service(e, n, |s| service::floor_breach_cause(s, n, cause)),
        X::AzRebalancingMoves(n, c) => {
            on_service(e, n, |s| num(format!("{n} azRebalancingMoves"), Some(s.az_rebalancing_moves() as u64), *c))
        }
        X::TasksMovedMoreThanOnce(n, c) => {
            on_service(e, n, |s| num(format!("{n} tasksMovedMoreThanOnce"), Some(s.tasks_moved_more_than_once() as u64), *c))
        }
        X::SteadyState(n, want) => on_service(e, n, |s| service::steady(s, n, *want)),
        X::DrainCompletedBy(n, t) => on_instance(e, n, |i| drain::completed_by(i, n, *t)),
        X::DrainCompletedWithin(n, d) => on_instance(e, n, |i| drain::completed_within(i, n, *d)),
        X::DrainNotCompletedBy(n, t) => on_instance(e, n, |i| drain::not_completed_by(i, n, *t)),
        X::NoRunningBeforeDrainCompleted(n) => on_instance(e, n, |i| drain::no_running_before_completed(i, n)),
        X::AllDrainsCompletedBy(t) => drain::all_completed_by(e, *t),
        X::StopReason(want) => {
            let got = stop.map(|s| s.as_str());
            (format!("run stopped: {want}"), got == Some(want.as_str()), format!("stopReason {}", got.unwrap_or("(none yet)")))
        }
    }
}

fn listed_instances(e: &Engine, cluster: &Option<String>, status: &Option<String>, want: &[String]) -> Verdict {
    let req = api::ListContainerInstancesRequest { cluster: cluster.clone(), status: status.clone(), ..Default::default() };
    let name = format!(
        "ListContainerInstances cluster {}, status {} = [{}]",
        cluster.as_deref().unwrap_or("default"),
        status.as_deref().unwrap_or("any but INACTIVE"),
        want.join(", ")
    );
    match e.list_container_instances(req) {
        Ok(api::Response::ContainerInstanceArns { container_instance_arns, .. }) => {
            let got: Vec<String> = container_instance_arns
                .iter()
                .map(|a| e.instance_by_arn(a).map_or(a.clone(), |i| i.name().to_string()))
                .collect();
            (name, got == *want, format!("listed [{}]", got.join(", ")))
        }
        Ok(_) => (name, false, "unexpected response".into()),
        Err(err) => (name, false, err.to_string()),
    }
}

fn effective_setting(e: &Engine, principal: &str, setting: &str, want: &str) -> Verdict {
    let name = format!("effective {setting} for {principal} = {want}");
    match e.effective_setting(principal, setting) {
        Ok(v) => (name, v == *want, format!("effective value {v}")),
        Err(err) => (name, false, err.to_string()),
    }
}

/// Expectations about one container instance's state.
mod instance {
    use drainsim_core::InstanceView;

    use super::Verdict;

    pub(super) fn status(i: InstanceView, n: &str, want: &str) -> Verdict {
        let got = i.status().as_str();
        (format!("{n} status {want}"), got == want, format!("status {got}"))
    }

    pub(super) fn status_reason(i: InstanceView, n: &str, want: &str) -> Verdict {
        let r = i.status_reason();
        (
            format!("{n} statusReason contains '{want}'"),
            r.is_some_and(|r| r.contains(want)),
            format!("statusReason {}", r.unwrap_or("(none)")),
        )
    }

    pub(super) fn agent_connected(i: InstanceView, n: &str, want: bool) -> Verdict {
        let got = i.agent_connected();
        (format!("{n} agentConnected {want}"), got == want, format!("agentConnected {got}"))
    }

    pub(super) fn agent_update_status(i: InstanceView, n: &str, want: &Option<String>) -> Verdict {
        let got = i.agent_update_status().map(|u| u.as_str().to_string());
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(never updated)".into());
        (format!("{n} agentUpdateStatus {}", show(want)), got == *want, format!("agentUpdateStatus {}", show(&got)))
    }

    pub(super) fn agent_version(i: InstanceView, n: &str, want: &str) -> Verdict {
        let got = i.agent_version();
        (format!("{n} agentVersion {want}"), got == Some(want), format!("agentVersion {}", got.unwrap_or("(none)")))
    }

    pub(super) fn describable(i: InstanceView, n: &str, want: bool) -> Verdict {
        let forgotten = i.forgotten();
        (format!("{n} describable {want}"), forgotten != want, format!("describable {}", !forgotten))
    }

    pub(super) fn trunked(i: InstanceView, n: &str, want: bool) -> Verdict {
        let got = i.trunked();
        (format!("{n} trunked {want}"), got == want, format!("trunked {got}"))
    }

    pub(super) fn has_attribute(i: InstanceView, n: &str, attr: &str, want: bool) -> Verdict {
        let has = i.has_attribute(attr);
        (format!("{n} has attribute {attr} {want}"), has == want, format!("has {has}"))
    }
}

/// Expectations about one service's state and what was observed of it.
mod service {
    use drainsim_core::ServiceView;

    use super::{num, Verdict};
    use crate::format::Cmp;

    pub(super) fn placement_failures(s: ServiceView, n: &str, reason: &str, c: Cmp) -> Verdict {
        let count = s.placement_failures().find(|(r, _)| r.as_str() == reason).map_or(0, |(_, c)| c);
        num(format!("{n} placementFailures {reason}"), Some(count), c)
    }

    pub(super) fn agent_waits(s: ServiceView, n: &str, cause: &str, c: Cmp) -> Verdict {
        let tasks = s.agent_waits().find(|(k, _)| k.as_str() == cause).map_or(0, |(_, t)| t.tasks);
        num(format!("{n} agentWaits {cause}"), Some(tasks), c)
    }

    pub(super) fn event_seen(s: ServiceView, n: &str, text: &str) -> Verdict {
        let seen = s.events().any(|(_, m)| m.contains(text));
        (format!("{n} event containing '{text}' seen"), seen, format!("{} events", s.events_total()))
    }

    pub(super) fn event_not_seen(s: ServiceView, n: &str, text: &str) -> Verdict {
        let seen = s.events().find(|(_, m)| m.contains(text));
        let passed = seen.is_none();
        let detail = seen.map_or("none seen".to_string(), |(at, m)| format!("seen at {at} ms: {m}"));
        (format!("{n} no event containing '{text}'"), passed, detail)
    }

    pub(super) fn stalled(s: ServiceView, n: &str, reason: &str) -> Verdict {
        let reasons: Vec<&str> = s.stalls().iter().map(|x| x.reason.as_str()).collect();
        (format!("{n} stalled for {reason}"), reasons.contains(&reason), format!("stalls [{}]", reasons.join(", ")))
    }

    pub(super) fn no_stalls(s: ServiceView, n: &str) -> Verdict {
        let stalls: Vec<String> = s.stalls().iter().map(|x| x.to_string()).collect();
        (format!("{n} never stalled"), stalls.is_empty(), format!("stalls [{}]", stalls.join("; ")))
    }

    pub(super) fn floor_breach_cause(s: ServiceView, n: &str, cause: &str) -> Verdict {
        let causes: Vec<&str> = s.floor_breaches().iter().map(|x| x.reason.as_str()).collect();
        (format!("{n} floor breach caused by {cause}"), causes.contains(&cause), format!("causes [{}]", causes.join(", ")))
    }

    pub(super) fn steady(s: ServiceView, n: &str, want: bool) -> Verdict {
        let steady = s.is_steady();
        (format!("{n} steady {want}"), steady == want, format!("steady {steady}"))
    }
}

/// Expectations about drains: when an instance's drain completed, and when all did.
mod drain {
    use drainsim_core::{Engine, InstanceView};

    use super::{show, Verdict};
    use crate::outcome::all_drains_completed_at;

    pub(super) fn completed_by(i: InstanceView, n: &str, t: u64) -> Verdict {
        let c = i.drain().completed_at_ms();
        (format!("{n} drain completed by {t} ms"), c.is_some_and(|c| c <= t), format!("drainCompletedAtMs {}", show(c)))
    }

    pub(super) fn completed_within(i: InstanceView, n: &str, d: u64) -> Verdict {
        let drain = i.drain();
        let took = drain.completed_at_ms().zip(drain.started_at_ms()).map(|(c, s)| c - s);
        (format!("{n} drain completed within {d} ms"), took.is_some_and(|t| t <= d), format!("took {}", show(took)))
    }

    pub(super) fn not_completed_by(i: InstanceView, n: &str, t: u64) -> Verdict {
        let c = i.drain().completed_at_ms();
        (format!("{n} drain not completed by {t} ms"), c.is_none_or(|c| c > t), format!("drainCompletedAtMs {}", show(c)))
    }

    pub(super) fn no_running_before_completed(i: InstanceView, n: &str) -> Verdict {
        let drain = i.drain();
        let (r, c) = (drain.no_running_at_ms(), drain.completed_at_ms());
        (
            format!("{n} runningTasksCount reached 0 before the drain completed"),
            matches!((r, c), (Some(r), Some(c)) if r < c),
            format!("noRunningTasksAtMs {} drainCompletedAtMs {}", show(r), show(c)),
        )
    }

    pub(super) fn all_completed_by(e: &Engine, t: u64) -> Verdict {
        let all = all_drains_completed_at(e);
        (format!("all drains completed by {t} ms"), all.is_some_and(|a| a <= t), format!("allDrainsCompletedAtMs {}", show(all)))
    }
}
