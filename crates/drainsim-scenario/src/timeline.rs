//! The readable timeline: one line per trace record (simulated time, object, change, reason).

use drainsim_core::time::format_sim_time;
use drainsim_core::Engine;
use drainsim_core::TraceRecord;

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
