//! Durations of the AWS-side processes the engine simulates.

use serde::{Deserialize, Deserializer, Serialize};

use crate::infra::time::{SimTimeMs, HOUR_MS, MAX_SIM_TIME_MS, SECOND_MS};

/// Durations of AWS-side processes (docs/ecs-choices.md). Every field is milliseconds.
///
/// Read from a scenario's `timings:` (camelCase field names, unknown fields refused, an absent field
/// keeps its default below). Every duration is at most [`MAX_SIM_TIME_MS`];
/// `schedulerRetryIntervalMs` is at least 1 and `jitterPercent` at most 100. A value out of range
/// is refused as it is read, never clamped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Timings {
    /// Each stage of an agent update (PENDING→STAGING→STAGED→UPDATING→UPDATED).
    #[serde(deserialize_with = "duration")]
    pub agent_update_stage_ms: SimTimeMs,
    /// How long an INACTIVE instance stays describable (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeregisterContainerInstance.html>: one hour).
    #[serde(deserialize_with = "duration")]
    pub inactive_describable_ms: SimTimeMs,
    /// Period of the retry pass of a service that has work it could not do.
    #[serde(deserialize_with = "at_least_one_ms")]
    pub scheduler_retry_interval_ms: SimTimeMs,
    /// PROVISIONING → PENDING (ENI creation and attach for awsvpc tasks).
    #[serde(deserialize_with = "duration")]
    pub task_provisioning_ms: SimTimeMs,
    /// PENDING → ACTIVATING (image pull and container start).
    #[serde(deserialize_with = "duration")]
    pub task_pending_ms: SimTimeMs,
    /// ACTIVATING → RUNNING.
    #[serde(deserialize_with = "duration")]
    pub task_activating_ms: SimTimeMs,
    /// DEPROVISIONING → STOPPED.
    #[serde(deserialize_with = "duration")]
    pub task_deprovisioning_ms: SimTimeMs,
    /// Uniform jitter applied to task durations, in percent (0 = none).
    #[serde(deserialize_with = "percent")]
    pub jitter_percent: u32,
    /// When a task with neither load balancer nor container health check counts as healthy after
    /// RUNNING: 40 s under today's documented rule (the default: "the service scheduler will wait
    /// for 40 seconds after a task reaches a RUNNING state before the task is counted towards the
    /// minimum healthy percent total",
    /// <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html>),
    /// 0 under the 2019 rule (healthy at RUNNING).
    #[serde(deserialize_with = "duration")]
    pub healthy_after_running_ms: SimTimeMs,
    /// REGISTERING: trunk ENI PRECREATED → ATTACHING.
    #[serde(deserialize_with = "duration")]
    pub trunk_provisioning_ms: SimTimeMs,
    /// Trunk ENI ATTACHING → ATTACHED.
    #[serde(deserialize_with = "duration")]
    pub trunk_attach_ms: SimTimeMs,
    /// ATTACHED → the agent's SubmitAttachmentStateChanges acknowledgment.
    #[serde(deserialize_with = "duration")]
    pub trunk_acknowledge_ms: SimTimeMs,
    /// Each stage of the trunk ENI's detach (DETACHING → DETACHED → DELETED).
    #[serde(deserialize_with = "duration")]
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
            healthy_after_running_ms: 40 * SECOND_MS,
            trunk_provisioning_ms: 5 * SECOND_MS,
            trunk_attach_ms: 10 * SECOND_MS,
            trunk_acknowledge_ms: 2 * SECOND_MS,
            trunk_detach_stage_ms: 5 * SECOND_MS,
        }
    }
}

/// Reads a simulated duration or time, refusing one past [`MAX_SIM_TIME_MS`].
pub fn bounded_time<'de, D: Deserializer<'de>>(d: D) -> Result<SimTimeMs, D::Error> {
    let ms = u64::deserialize(d)?;
    if ms > MAX_SIM_TIME_MS {
        return Err(serde::de::Error::custom(format!(
            "{ms} ms is out of range: simulated times are at most {MAX_SIM_TIME_MS} ms"
        )));
    }
    Ok(ms)
}

/// [`bounded_time`] of an optional value (`None` passes).
pub fn bounded_time_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimTimeMs>, D::Error> {
    match Option::<u64>::deserialize(d)? {
        Some(ms) if ms > MAX_SIM_TIME_MS => {
            Err(serde::de::Error::custom(format!("{ms} ms is out of range: simulated times are at most {MAX_SIM_TIME_MS} ms")))
        }
        v => Ok(v),
    }
}

/// A field that is present: a value, also written `Some(value)` (as scenario files may write an
/// optional field); `None` is refused, since leaving the field out is how a file keeps the default.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Option::<T>::deserialize(d)?
        .ok_or_else(|| serde::de::Error::custom("None is not a timing; leave the field out to keep its default"))
}

/// The rule of a duration of [`Timings`]: at most [`MAX_SIM_TIME_MS`].
fn check_duration(ms: SimTimeMs) -> Result<SimTimeMs, String> {
    if ms > MAX_SIM_TIME_MS {
        return Err(format!("{ms} ms is out of range: simulated times are at most {MAX_SIM_TIME_MS} ms"));
    }
    Ok(ms)
}

/// The rule of a period: a bounded duration of at least 1 ms (a retry interval of 0 would retry
/// at the same instant forever).
fn check_period(ms: SimTimeMs) -> Result<SimTimeMs, String> {
    match check_duration(ms)? {
        0 => Err("0 ms is out of range: a retry interval is at least 1 ms".to_string()),
        ms => Ok(ms),
    }
}

/// The rule of a percentage: 0 to 100.
fn check_percent(p: u32) -> Result<u32, String> {
    if p > 100 {
        return Err(format!("{p} % is out of range: a percentage is 0 to 100"));
    }
    Ok(p)
}

/// A bounded duration of [`Timings`].
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<SimTimeMs, D::Error> {
    check_duration(present(d)?).map_err(serde::de::Error::custom)
}

/// A bounded period of at least 1 ms; 0 is refused.
fn at_least_one_ms<'de, D: Deserializer<'de>>(d: D) -> Result<SimTimeMs, D::Error> {
    check_period(present(d)?).map_err(serde::de::Error::custom)
}

/// A percentage, 0 to 100; a larger one is refused.
fn percent<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    check_percent(present(d)?).map_err(serde::de::Error::custom)
}

impl Timings {
    /// Checks every field as a scenario's `timings:` is checked when it is read (the same rules):
    /// timings built in Rust skip that, and [`Engine::new`](crate::Engine::new) takes them as
    /// they are ([`Engine::try_new`](crate::Engine::try_new) checks them). The error names the
    /// first field out of range, as the scenario spells it.
    pub fn validate(&self) -> Result<(), String> {
        let durations = [
            ("agentUpdateStageMs", self.agent_update_stage_ms),
            ("inactiveDescribableMs", self.inactive_describable_ms),
            ("taskProvisioningMs", self.task_provisioning_ms),
            ("taskPendingMs", self.task_pending_ms),
            ("taskActivatingMs", self.task_activating_ms),
            ("taskDeprovisioningMs", self.task_deprovisioning_ms),
            ("healthyAfterRunningMs", self.healthy_after_running_ms),
            ("trunkProvisioningMs", self.trunk_provisioning_ms),
            ("trunkAttachMs", self.trunk_attach_ms),
            ("trunkAcknowledgeMs", self.trunk_acknowledge_ms),
            ("trunkDetachStageMs", self.trunk_detach_stage_ms),
        ];
        let field = |name: &str, e: String| format!("timings.{name}: {e}");
        for (name, ms) in durations {
            check_duration(ms).map_err(|e| field(name, e))?;
        }
        check_period(self.scheduler_retry_interval_ms).map_err(|e| field("schedulerRetryIntervalMs", e))?;
        check_percent(self.jitter_percent).map_err(|e| field("jitterPercent", e))?;
        Ok(())
    }
}
