//! The readable timeline: one line per trace record (simulated time, object, change, reason).

use drainsim_core::time::format_sim_time;
use drainsim_core::trace::TraceRecord;
use drainsim_core::Engine;

/// A trace record with its strings rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRecord {
    pub time_ms: u64,
    pub subject: String,
    pub subject_arn: String,
    pub change: String,
    pub reason: String,
}

impl RenderedRecord {
    pub fn to_line(&self) -> String {
        format!("{}  {:<28} {:<44} [{}]", format_sim_time(self.time_ms), self.subject, self.change, self.reason)
    }
}

pub fn render_record(e: &Engine, r: &TraceRecord) -> RenderedRecord {
    let subject_arn = e.subject_arn(r.subject);
    let subject = e.subject_name(r.subject).unwrap_or_else(|| subject_arn.clone());
    let change = match r.change {
        drainsim_core::trace::Change::ServiceEvent(n) => {
            if let drainsim_core::trace::Subject::Service(s) = r.subject {
                format!("event: {}", e.service_event_message(s, n as usize))
            } else {
                e.describe_change(&r.change)
            }
        }
        _ => e.describe_change(&r.change),
    };
    RenderedRecord { time_ms: r.time_ms, subject, subject_arn, change, reason: r.reason.to_string() }
}
