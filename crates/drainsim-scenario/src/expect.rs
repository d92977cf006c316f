//! Expectations: named properties of a run, evaluated against the engine's state.

use drainsim_core::engine::StopReason;
use drainsim_core::ids::{InstanceId, ServiceId};
use drainsim_core::Engine;

use crate::format::{Cmp, Expectation};
use crate::outcome::{all_drains_completed_at, ExpectationResult};

impl Cmp {
    pub fn holds(self, v: Option<u64>) -> bool {
        match (self, v) {
            (Cmp::Null, v) => v.is_none(),
            (_, None) => false,
            (Cmp::Eq(x), Some(v)) => v == x,
            (Cmp::AtLeast(x), Some(v)) => v >= x,
            (Cmp::AtMost(x), Some(v)) => v <= x,
        }
    }
    pub fn describe(self) -> String {
        match self {
            Cmp::Eq(x) => format!("= {x}"),
            Cmp::AtLeast(x) => format!(">= {x}"),
            Cmp::AtMost(x) => format!("<= {x}"),
            Cmp::Null => "is null".into(),
        }
    }
}

fn show(v: Option<u64>) -> String {
    v.map_or("null".into(), |v| v.to_string())
}

/// Evaluates one expectation now. `stop` is the run's stop reason when evaluated at the end.
pub fn evaluate(e: &Engine, exp: &Expectation, stop: Option<StopReason>) -> ExpectationResult {
    let (name, passed, detail) = judge(e, exp, stop);
    ExpectationResult { name, passed, detail, at_ms: e.now_ms() }
}

fn inst(e: &Engine, name: &str) -> Option<InstanceId> {
    e.instance_by_name(name)
}

fn svc(e: &Engine, name: &str) -> Option<ServiceId> {
    e.service_by_name(name)
}

fn num(name: String, v: Option<u64>, c: Cmp) -> (String, bool, String) {
    (format!("{name} {}", c.describe()), c.holds(v), format!("observed {}", show(v)))
}

fn judge(e: &Engine, exp: &Expectation, stop: Option<StopReason>) -> (String, bool, String) {
    use Expectation as X;
    let missing_instance = |n: &str| (format!("instance {n}"), false, format!("no instance named {n} was registered"));
    let missing_service = |n: &str| (format!("service {n}"), false, format!("no service named {n} exists"));
    macro_rules! with_inst {
        ($n:expr, |$i:ident, $st:ident| $body:expr) => {
            match inst(e, $n) {
                Some($i) => {
                    let $st = e.instance($i);
                    $body
                }
                None => missing_instance($n),
            }
        };
    }
    macro_rules! with_svc {
        ($n:expr, |$s:ident| $body:expr) => {
            match svc(e, $n) {
                Some(id) => {
                    let $s = e.service(id);
                    $body
                }
                None => missing_service($n),
            }
        };
    }
    match exp {
        X::Named(name, inner) => {
            let (_, p, d) = judge(e, inner, stop);
            (name.clone(), p, d)
        }
        X::InstanceStatus(n, want) => with_inst!(n, |_i, st| (
            format!("{n} status {want}"),
            st.status.as_str() == want,
            format!("status {}", st.status.as_str())
        )),
        X::InstanceStatusReasonContains(n, want) => with_inst!(n, |_i, st| {
            let r = st.status_reason.map(|s| e.resolve_sym(s).to_string());
            (
                format!("{n} statusReason contains '{want}'"),
                r.as_deref().is_some_and(|r| r.contains(want.as_str())),
                format!("statusReason {r:?}"),
            )
        }),
        X::InstanceVersion(n, c) => with_inst!(n, |_i, st| num(format!("{n} version"), Some(st.version), *c)),
        X::InstanceRunningTasks(n, c) => {
            with_inst!(n, |_i, st| num(format!("{n} runningTasksCount"), Some(st.running_tasks_count as u64), *c))
        }
        X::InstancePendingTasks(n, c) => {
            with_inst!(n, |_i, st| num(format!("{n} pendingTasksCount"), Some(st.pending_tasks_count as u64), *c))
        }
        X::AgentConnected(n, want) => with_inst!(n, |_i, st| (
            format!("{n} agentConnected {want}"),
            st.agent_connected == *want,
            format!("agentConnected {}", st.agent_connected)
        )),
        X::AgentUpdateStatus(n, want) => with_inst!(n, |_i, st| {
            let got = st.agent_update.map(|u| u.as_str().to_string());
            (format!("{n} agentUpdateStatus {want:?}"), got == *want, format!("agentUpdateStatus {got:?}"))
        }),
        X::AgentVersion(n, want) => with_inst!(n, |i, _st| {
            let got = e.instance_profile(i).agent_version.map(|v| e.resolve_sym(v).to_string());
            (format!("{n} agentVersion {want}"), got.as_deref() == Some(want.as_str()), format!("agentVersion {got:?}"))
        }),
        X::Describable(n, want) => with_inst!(n, |_i, st| (
            format!("{n} describable {want}"),
            st.forgotten != *want,
            format!("describable {}", !st.forgotten)
        )),
        X::ListedInstances(cluster, status, want) => {
            let req = drainsim_core::api::ListContainerInstancesRequest {
                cluster: cluster.clone(),
                status: status.clone(),
                ..Default::default()
            };
            let name = format!("ListContainerInstances({cluster:?}, {status:?}) = {want:?}");
            match e.list_container_instances(req) {
                Ok(drainsim_core::api::Response::ContainerInstanceArns { container_instance_arns, .. }) => {
                    let got: Vec<String> = container_instance_arns
                        .iter()
                        .map(|a| {
                            e.instance_ids()
                                .find(|i| e.instance_arn(*i) == *a)
                                .map_or(a.clone(), |i| e.resolve_sym(e.instance(i).name).to_string())
                        })
                        .collect();
                    (name, got == *want, format!("listed {got:?}"))
                }
                Ok(_) => (name, false, "unexpected response".into()),
                Err(err) => (name, false, err.to_string()),
            }
        }
        X::EffectiveSetting(principal, setting, want) => {
            let name = format!("effective {setting} for {principal} = {want}");
            match e.effective_setting(principal, setting) {
                Ok(v) => (name, v == *want, format!("effective value {v}")),
                Err(err) => (name, false, err.to_string()),
            }
        }
        X::TaskEniLimit(n, c) => with_inst!(n, |_i, st| num(format!("{n} taskEniLimit"), st.task_eni_limit.map(u64::from), *c)),
        X::TaskEnisInUse(n, c) => with_inst!(n, |_i, st| num(format!("{n} taskEnisInUse"), Some(st.task_enis_in_use as u64), *c)),
        X::Trunked(n, want) => with_inst!(n, |_i, st| (
            format!("{n} trunked {want}"),
            st.trunk.is_some() == *want,
            format!("trunked {}", st.trunk.is_some())
        )),
        X::HasAttribute(n, attr, want) => with_inst!(n, |i, _st| {
            let has = e.instance_attributes(i).iter().any(|(k, _)| e.resolve_sym(*k) == attr);
            (format!("{n} has attribute {attr} {want}"), has == *want, format!("has {has}"))
        }),
        X::ServiceDesiredCount(n, c) => with_svc!(n, |s| num(format!("{n} desiredCount"), Some(s.desired_count as u64), *c)),
        X::ServiceRunningCount(n, c) => with_svc!(n, |s| num(format!("{n} runningCount"), Some(s.counts.running as u64), *c)),
        X::ServiceHealthyCount(n, c) => with_svc!(n, |s| num(format!("{n} healthyCount"), Some(s.counts.healthy as u64), *c)),
        X::ServicePendingCount(n, c) => with_svc!(n, |s| num(format!("{n} pendingCount"), Some(s.counts.pending as u64), *c)),
        X::MinHealthyObserved(n, c) => {
            with_svc!(n, |s| num(format!("{n} minHealthyObserved"), s.observations.min_healthy_observed.map(u64::from), *c))
        }
        X::MaxTasksObserved(n, c) => {
            with_svc!(n, |s| num(format!("{n} maxTasksObserved"), s.observations.max_tasks_observed.map(u64::from), *c))
        }
        X::PlacementFailures(n, reason, c) => with_svc!(n, |s| num(
            format!("{n} placementFailures {reason}"),
            Some(s.observations.placement_failures.get(reason.as_str()).copied().unwrap_or(0)),
            *c
        )),
        X::ServiceEventSeen(n, text) => with_svc!(n, |s| {
            let messages = e.service_event_messages(svc(e, n).expect("checked above"));
            let seen = messages.iter().any(|(_, m)| m.contains(text.as_str()));
            (format!("{n} event containing '{text}' seen"), seen, format!("{} events", s.events.len()))
        }),
        X::ServiceEventNotSeen(n, text) => with_svc!(n, |_s| {
            let messages = e.service_event_messages(svc(e, n).expect("checked above"));
            let seen = messages.iter().find(|(_, m)| m.contains(text.as_str()));
            (format!("{n} no event containing '{text}'"), seen.is_none(), format!("{seen:?}"))
        }),
        X::Stalled(n, reason) => with_svc!(n, |s| {
            let reasons: Vec<&str> = s.observations.stalls.iter().map(|x| x.reason.as_str()).collect();
            (format!("{n} stalled for {reason}"), reasons.contains(&reason.as_str()), format!("stalls {reasons:?}"))
        }),
        X::NoStalls(n) => with_svc!(n, |s| (
            format!("{n} never stalled"),
            s.observations.stalls.is_empty(),
            format!("stalls {:?}", s.observations.stalls)
        )),
        X::FloorBreaches(n, c) => {
            with_svc!(n, |s| num(format!("{n} floorBreaches"), Some(s.observations.floor_breaches.len() as u64), *c))
        }
        X::FloorBreachCause(n, cause) => with_svc!(n, |s| {
            let causes: Vec<&str> = s.observations.floor_breaches.iter().map(|x| x.reason.as_str()).collect();
            (format!("{n} floor breach caused by {cause}"), causes.contains(&cause.as_str()), format!("causes {causes:?}"))
        }),
        X::TasksMovedMoreThanOnce(n, c) => with_svc!(n, |s| num(
            format!("{n} tasksMovedMoreThanOnce"),
            Some(s.observations.tasks_moved_more_than_once as u64),
            *c
        )),
        X::SteadyState(n, want) => {
            with_svc!(n, |s| (format!("{n} steady {want}"), s.steady == *want, format!("steady {}", s.steady)))
        }
        X::DrainCompletedBy(n, t) => with_inst!(n, |_i, st| {
            let c = st.drain.completed_at_ms();
            (format!("{n} drain completed by {t} ms"), c.is_some_and(|c| c <= *t), format!("drainCompletedAtMs {}", show(c)))
        }),
        X::DrainCompletedWithin(n, d) => with_inst!(n, |_i, st| {
            let took = st.drain.completed_at_ms().zip(st.drain.started_at_ms()).map(|(c, s)| c - s);
            (format!("{n} drain completed within {d} ms"), took.is_some_and(|t| t <= *d), format!("took {}", show(took)))
        }),
        X::DrainNotCompletedBy(n, t) => with_inst!(n, |_i, st| {
            let c = st.drain.completed_at_ms();
            (format!("{n} drain not completed by {t} ms"), c.is_none_or(|c| c > *t), format!("drainCompletedAtMs {}", show(c)))
        }),
        X::NoRunningBeforeDrainCompleted(n) => with_inst!(n, |_i, st| {
            let (r, c) = (st.drain.no_running_at_ms(), st.drain.completed_at_ms());
            (
                format!("{n} runningTasksCount reached 0 before the drain completed"),
                matches!((r, c), (Some(r), Some(c)) if r < c),
                format!("noRunningTasksAtMs {} drainCompletedAtMs {}", show(r), show(c)),
            )
        }),
        X::AllDrainsCompletedBy(t) => {
            let all = all_drains_completed_at(e);
            (
                format!("all drains completed by {t} ms"),
                all.is_some_and(|a| a <= *t),
                format!("allDrainsCompletedAtMs {}", show(all)),
            )
        }
        X::StopReason(want) => {
            let got = stop.map(|s| s.as_str());
            (format!("run stopped: {want}"), got == Some(want.as_str()), format!("stopReason {got:?}"))
        }
    }
}
