//! Durations of the AWS-side processes the engine simulates.

use crate::infra::time::{SimTimeMs, HOUR_MS, SECOND_MS};

/// Durations of AWS-side processes (reference §9.3). Every field is milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timings {
    /// Each stage of an agent update (PENDING→STAGING→STAGED→UPDATING→UPDATED).
    pub agent_update_stage_ms: SimTimeMs,
    /// How long an INACTIVE instance stays describable (reference §3.2: one hour).
    pub inactive_describable_ms: SimTimeMs,
    /// Period of the retry pass of a service that has work it could not do.
    pub scheduler_retry_interval_ms: SimTimeMs,
    /// PROVISIONING → PENDING (ENI creation and attach for awsvpc tasks).
    pub task_provisioning_ms: SimTimeMs,
    /// PENDING → ACTIVATING (image pull and container start).
    pub task_pending_ms: SimTimeMs,
    /// ACTIVATING → RUNNING.
    pub task_activating_ms: SimTimeMs,
    /// DEPROVISIONING → STOPPED.
    pub task_deprovisioning_ms: SimTimeMs,
    /// Uniform jitter applied to task durations, in percent (0 = none).
    pub jitter_percent: u32,
    /// When a task with neither load balancer nor container health check counts as healthy after
    /// RUNNING: 0 under the seed's rule (default), 40 s under today's documented rule.
    pub healthy_after_running_ms: SimTimeMs,
    /// REGISTERING: trunk ENI PRECREATED → ATTACHING.
    pub trunk_provisioning_ms: SimTimeMs,
    /// Trunk ENI ATTACHING → ATTACHED.
    pub trunk_attach_ms: SimTimeMs,
    /// ATTACHED → the agent's SubmitAttachmentStateChanges acknowledgment.
    pub trunk_acknowledge_ms: SimTimeMs,
    /// Each stage of the trunk ENI's detach (DETACHING → DETACHED → DELETED).
    pub trunk_detach_stage_ms: SimTimeMs,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            agent_update_stage_ms: 30 * SECOND_MS,
            inactive_describable_ms: HOUR_MS,
            scheduler_retry_interval_ms: 30 * SECOND_MS,
            task_provisioning_ms: SECOND_MS,
            task_pending_ms: 10 * SECOND_MS,
            task_activating_ms: SECOND_MS,
            task_deprovisioning_ms: SECOND_MS,
            jitter_percent: 0,
            healthy_after_running_ms: 0,
            trunk_provisioning_ms: 5 * SECOND_MS,
            trunk_attach_ms: 10 * SECOND_MS,
            trunk_acknowledge_ms: 2 * SECOND_MS,
            trunk_detach_stage_ms: 5 * SECOND_MS,
        }
    }
}
