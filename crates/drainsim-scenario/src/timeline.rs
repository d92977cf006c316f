//! The readable timeline: one line per trace record (simulated time, object, change, reason), and
//! the same records as JSON Lines objects ([`TraceLine`], docs/trace.md).

use drainsim_core::time::format_sim_time;
use drainsim_core::Engine;
use drainsim_core::TraceRecord;
use drainsim_core::{Change, Subject};
use serde::Serialize;

/// A trace record with its strings rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRecord {
    /// Simulated time of the record.
    pub time_ms: u64,
    /// What changed: the logical name of an instance, service or task, else its ARN.
    pub subject: String,
    /// The subject's ARN.
    pub subject_arn: String,
    /// The change, as `field: old -> new`.
    pub change: String,
    /// Why it changed.
    pub reason: String,
}

impl RenderedRecord {
    /// The record as one timeline line: time, subject, change and `[reason]`.
    pub fn to_line(&self) -> String {
        format!("{}  {:<28} {:<44} [{}]", format_sim_time(self.time_ms), self.subject, self.change, self.reason)
    }
}

/// Renders a trace record with the engine's names for its subject and strings.
pub fn render_record(e: &Engine, r: &TraceRecord) -> RenderedRecord {
    let text = e.describe_record(r);
    RenderedRecord {
        time_ms: r.time_ms,
        subject: text.subject,
        subject_arn: text.subject_arn,
        change: text.change,
        reason: r.reason.to_string(),
    }
}

/// One trace record as a line of the JSON Lines trace (`drainsim run --trace FILE`), documented in
/// docs/trace.md. `change` and `reason` are the timeline's wording; the other fields say the same
/// in a form scripts can filter on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceLine {
    /// Simulated time, in milliseconds.
    pub at_ms: u64,
    /// `instance`, `task`, `service`, `attachment` or `principal`.
    pub subject_kind: &'static str,
    /// The subject's logical name (`web:task/47bd5ad9`, an instance's name), or its ARN.
    pub subject: String,
    /// The subject's ARN.
    pub arn: String,
    /// For a task's record, the logical name of the container instance the task is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_instance: Option<String>,
    /// What kind of change (`taskStatus`, `instanceStatus`, `serviceEvent`, …; see docs/trace.md).
    pub kind: &'static str,
    /// The ECS field that changed (`lastStatus`, `status`, `desiredCount`, …), if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    /// Its value before (absent when the subject was created by the change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Its value after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The change in words, as the timeline prints it (`lastStatus RUNNING -> STOPPING`).
    pub change: String,
    /// Why it changed (the operation or rule).
    pub reason: String,
}

/// The kind of a record's subject as a trace line names it (`instance`, `task`, `service`,
/// `attachment`, `principal`), without rendering the record.
pub fn subject_kind(subject: Subject) -> &'static str {
    match subject {
        Subject::Instance(_) => "instance",
        Subject::Task(_) => "task",
        Subject::Service(_) => "service",
        Subject::Attachment(_) => "attachment",
        Subject::Principal(_) => "principal",
    }
}

/// A trace record as a [`TraceLine`].
pub fn trace_line(e: &Engine, r: &TraceRecord) -> TraceLine {
    let text = e.describe_record(r);
    let subject_kind = subject_kind(r.subject);
    let s = |x: &str| Some(x.to_string());
    let (kind, field, from, to): (&'static str, Option<&'static str>, Option<String>, Option<String>) = match r.change {
        Change::InstanceStatus { from, to } => {
            ("instanceStatus", Some("status"), from.and_then(|f| s(f.as_str())), s(to.as_str()))
        }
        Change::AgentConnected(c) => {
            ("agentConnected", Some("agentConnected"), s(if c { "false" } else { "true" }), s(&c.to_string()))
        }
        Change::AgentUpdate(u) => ("agentUpdate", Some("agentUpdateStatus"), None, s(u.as_str())),
        Change::AgentVersion(_) => {
            ("agentVersion", Some("versionInfo.agentVersion"), None, text.change.strip_prefix("agentVersion ").and_then(s))
        }
        Change::AttachmentStatus { from, to } => {
            ("attachmentStatus", Some("status"), from.and_then(|f| s(f.as_str())), s(to.as_str()))
        }
        Change::TaskStatus { from, to } => ("taskStatus", Some("lastStatus"), from.and_then(|f| s(f.as_str())), s(to.as_str())),
        Change::TaskDesiredStopped => ("taskDesiredStopped", Some("desiredStatus"), s("RUNNING"), s("STOPPED")),
        Change::TaskHealthy { health_status: true } => ("taskHealthy", Some("healthStatus"), None, s("HEALTHY")),
        Change::TaskHealthy { health_status: false } => ("taskHealthy", None, None, None),
        Change::TaskUnhealthy { health_status: true } => ("taskUnhealthy", Some("healthStatus"), None, s("UNHEALTHY")),
        Change::TaskUnhealthy { health_status: false } => ("taskUnhealthy", None, None, None),
        Change::TaskOrphaned => ("taskOrphaned", None, None, None),
        Change::SpotInterruptionNotice => ("spotInterruptionNotice", None, None, None),
        Change::SpotRebalanceRecommendation => ("spotRebalanceRecommendation", None, None, None),
        Change::HealthChecksFailing(failing) => ("healthChecksFailing", None, None, s(&failing.to_string())),
        Change::TaskAgentWaits(cause) => ("taskAgentWaits", None, None, s(cause.as_str())),
        Change::TaskAgentStarts => ("taskAgentStarts", None, None, None),
        Change::ServiceCreated => ("serviceCreated", Some("status"), None, s("ACTIVE")),
        Change::ServiceDesiredCount(n) => ("serviceDesiredCount", Some("desiredCount"), None, Some(n.to_string())),
        Change::ServiceUpdated(fields) => ("serviceUpdated", None, None, Some(fields.names().join(","))),
        Change::ServiceDeleted => ("serviceDeleted", Some("status"), s("ACTIVE"), s("DRAINING")),
        Change::ServiceInactive => ("serviceInactive", Some("status"), s("DRAINING"), s("INACTIVE")),
        Change::ServiceEvent(_) => ("serviceEvent", Some("events"), None, text.change.strip_prefix("event: ").and_then(s)),
        Change::SettingPut { .. } => ("settingPut", None, None, None),
        Change::SettingDeleted { .. } => ("settingDeleted", None, None, None),
    };
    TraceLine {
        at_ms: r.time_ms,
        subject_kind,
        subject: text.subject,
        arn: text.subject_arn,
        container_instance: text.container_instance,
        kind,
        field,
        from,
        to,
        change: text.change,
        reason: r.reason.to_string(),
    }
}

/// A duration as people write it: `45s`, `2m01s`, `1h05m00s`, `0.250s` under a second; from a
/// second on, to the nearest second (53,638 ms is `54s`).
pub fn duration_text(ms: u64) -> String {
    if ms < 1000 && ms > 0 {
        return format!("{:.3}s", ms as f64 / 1000.0);
    }
    let s = ms.saturating_add(500) / 1000;
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}
