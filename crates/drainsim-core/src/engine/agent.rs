//! UpdateContainerAgent (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html>): the `agentUpdateStatus` walk
//! PENDING→STAGING→STAGED→UPDATING→UPDATED over simulated time, FAILED when injected.

use crate::api;
use crate::engine::Reply;
use crate::errors::{EcsError, EcsErrorKind};
use crate::infra::ids::InstanceId;
use crate::infra::queue::EventKind;
use crate::rules::lifecycle::{AgentUpdateStatus, InstanceStatus};
use crate::state::trace::{Change, Subject};
use crate::Engine;

use crate::rules::versions::compare_versions;

impl Engine {
    pub(crate) fn update_container_agent(&mut self, req: api::UpdateContainerAgentRequest) -> Result<Reply, EcsError> {
        let cluster = self.resolve_cluster(req.cluster.as_deref())?;
        let id = self
            .resolve_instance(cluster, &req.container_instance)
            .ok_or_else(|| EcsError::client(format!("Container instance {} not found.", req.container_instance)))?;
        let i = &self.instances[id.index()];
        if !matches!(i.status, InstanceStatus::Active | InstanceStatus::Draining) {
            return Err(EcsError::client(format!(
                "Container instance {} is {}; only ACTIVE or DRAINING instances can update their agent.",
                self.instance_short_id(id),
                i.status.as_str()
            )));
        }
        // "Agent updates with the UpdateContainerAgent API operation do not apply to Windows
        // container instances" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html).
        // The page also excludes the ECS-optimized Amazon Linux 2 arm64 AMI, which an instance's
        // attributes do not tell apart from Amazon Linux 2023 on arm64: not refused
        // (docs/ecs-choices.md, "Other operations").
        if self.instance_attribute(id, self.builtin.os_type).flatten().map(|v| self.strings.resolve(v)) == Some("windows") {
            return Err(EcsError::client(format!(
                "Agent updates with the UpdateContainerAgent API operation do not apply to Windows container instances ({}).",
                self.instance_short_id(id)
            )));
        }
        if let Some(u) = i.agent_update {
            if u.in_progress() {
                return Err(EcsError::new(
                    EcsErrorKind::UpdateInProgressException,
                    format!(
                        "An agent update is already in progress on {} (agentUpdateStatus {}).",
                        self.instance_short_id(id),
                        u.as_str()
                    ),
                ));
            }
        }
        let current = self.instance_profile(id).agent_version.map(|s| self.strings.resolve(s).to_string());
        let latest = self.config.latest_agent_version.clone();
        match current.as_deref().and_then(|c| compare_versions(c, &latest)) {
            None => {
                return Err(EcsError::new(
                    EcsErrorKind::MissingVersionException,
                    format!("The agent version of {} is unknown; it cannot be updated.", self.instance_short_id(id)),
                ))
            }
            Some(std::cmp::Ordering::Less) => {}
            Some(_) => {
                return Err(EcsError::new(
                    EcsErrorKind::NoUpdateAvailableException,
                    format!(
                        "There is no update available for the agent on {} ({} is the latest).",
                        self.instance_short_id(id),
                        latest
                    ),
                ))
            }
        }
        self.set_agent_update(id, AgentUpdateStatus::Pending, "UpdateContainerAgent");
        Ok(Reply::Instance { id, tags: false })
    }

    fn set_agent_update(&mut self, id: InstanceId, status: AgentUpdateStatus, reason: &'static str) {
        let epoch = self.instances.set_agent_update(id, status);
        self.bump_version(id);
        self.record(Subject::Instance(id), Change::AgentUpdate(status), reason);
        if status.in_progress() {
            let stage = self.config.timings.agent_update_stage_ms;
            self.schedule(stage, EventKind::AgentUpdateStage, id.0, epoch);
        }
    }

    pub(crate) fn on_agent_update_stage(&mut self, id: InstanceId, epoch: u16) {
        let i = &self.instances[id.index()];
        if i.agent_update_epoch != epoch || i.status == InstanceStatus::Inactive {
            return;
        }
        // A disconnected agent stays where it is and resumes when it reconnects (<https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateContainerAgent.html>).
        if !i.agent_connected {
            return;
        }
        let Some(current) = i.agent_update else { return };
        let Some(next) = current.next() else { return };
        if i.agent_update_fail_at == Some(next) {
            self.instances.set_agent_update_fail_at(id, None);
            self.set_agent_update(id, AgentUpdateStatus::Failed, "AgentUpdateFailed");
            return;
        }
        if next == AgentUpdateStatus::Updated {
            let v = self.strings.intern(&self.config.latest_agent_version.clone());
            self.set_agent_version(id, v);
            self.record(Subject::Instance(id), Change::AgentVersion(v), "UpdateContainerAgent");
        }
        self.set_agent_update(id, next, "UpdateContainerAgent");
    }

    /// Resumes a stalled agent update when the agent reconnects.
    pub(crate) fn resume_agent_update(&mut self, id: InstanceId) {
        let i = &self.instances[id.index()];
        if i.agent_update.is_some_and(|u| u.in_progress()) {
            let epoch = i.agent_update_epoch;
            let stage = self.config.timings.agent_update_stage_ms;
            self.schedule(stage, EventKind::AgentUpdateStage, id.0, epoch);
        }
    }

    /// Scenario fault: the next agent update of this instance fails when it would reach `stage`.
    /// Refused for an instance this engine does not have.
    pub fn inject_agent_update_failure(&mut self, id: InstanceId, stage: AgentUpdateStatus) -> Result<(), crate::ControlError> {
        self.known_instance(id, "inject_agent_update_failure")?;
        self.finish_open_instant();
        self.instances.set_agent_update_fail_at(id, Some(stage));
        Ok(())
    }
}
